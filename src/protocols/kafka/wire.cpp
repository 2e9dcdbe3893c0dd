// SparseBytes (captured pieces of a message) and the Reader of Kafka's primitive types.
#include "protocols/kafka/wire.h"

#include <algorithm>

namespace obi::kafka {

void SparseBytes::reset(uint64_t length)
{
    length_ = length;
    data_.clear();
    external_ = {};
    pieces_.clear();
}

void SparseBytes::set_external(std::string_view bytes, uint64_t length)
{
    reset(length);
    if (bytes.size() > length) bytes = bytes.substr(0, length);
    external_ = bytes;
    if (!bytes.empty()) pieces_.push_back({0, 0, bytes.size()});
}

void SparseBytes::append(uint64_t offset, std::string_view bytes)
{
    if (external_.data() || bytes.empty() || offset >= length_) return;
    if (bytes.size() > length_ - offset) bytes = bytes.substr(0, length_ - offset);
    if (data_.size() >= max_kept_) return;
    if (bytes.size() > max_kept_ - data_.size()) bytes = bytes.substr(0, max_kept_ - data_.size());
    if (!pieces_.empty()) {
        Piece& last = pieces_.back();
        if (offset < last.off + last.len) return;  // pieces arrive in order; an overlap is a caller bug
        if (last.off + last.len == offset && last.at + last.len == data_.size()) {
            data_.append(bytes);
            last.len += bytes.size();
            return;
        }
    }
    pieces_.push_back({offset, data_.size(), bytes.size()});
    data_.append(bytes);
}

bool SparseBytes::view(uint64_t off, size_t n, std::string_view& out) const
{
    if (n == 0) {
        out = {};
        return true;
    }
    // The last piece starting at or before `off`.
    auto it = std::upper_bound(pieces_.begin(), pieces_.end(), off, [](uint64_t o, const Piece& p) { return o < p.off; });
    if (it == pieces_.begin()) return false;
    const Piece& p = *std::prev(it);
    if (off + n > p.off + p.len) return false;
    out = std::string_view(base() + p.at + (off - p.off), n);
    return true;
}

bool SparseBytes::complete() const
{
    if (length_ == 0) return true;
    return pieces_.size() == 1 && pieces_[0].off == 0 && pieces_[0].len == length_;
}

bool Reader::take(size_t n, std::string_view& out)
{
    if (!ok()) return false;
    if (n > remaining()) return invalid();
    if (!m_.view(pos_, n, out)) {
        st_ = ReadStatus::Short;
        return false;
    }
    pos_ += n;
    return true;
}

namespace {
uint64_t be(std::string_view b)
{
    uint64_t v = 0;
    for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
}
}  // namespace

bool Reader::i8(int8_t& v)
{
    std::string_view b;
    if (!take(1, b)) return false;
    v = static_cast<int8_t>(b[0]);
    return true;
}

bool Reader::i16(int16_t& v)
{
    std::string_view b;
    if (!take(2, b)) return false;
    v = static_cast<int16_t>(be(b));
    return true;
}

bool Reader::i32(int32_t& v)
{
    std::string_view b;
    if (!take(4, b)) return false;
    v = static_cast<int32_t>(static_cast<uint32_t>(be(b)));
    return true;
}

bool Reader::i64(int64_t& v)
{
    std::string_view b;
    if (!take(8, b)) return false;
    v = static_cast<int64_t>(be(b));
    return true;
}

bool Reader::uvarint(uint32_t& v)
{
    v = 0;
    for (int i = 0; i < 5; i++) {
        std::string_view b;
        if (!take(1, b)) return false;
        uint8_t byte = static_cast<uint8_t>(b[0]);
        if (i == 4 && byte > 0x0f) return invalid();  // more than 32 bits
        v |= static_cast<uint32_t>(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) return true;
    }
    return invalid();
}

bool Reader::varint(int32_t& v)
{
    uint32_t u = 0;
    if (!uvarint(u)) return false;
    v = static_cast<int32_t>((u >> 1) ^ (0u - (u & 1u)));
    return true;
}

bool Reader::uuid(Uuid& v)
{
    std::string_view b;
    if (!take(16, b)) return false;
    std::copy(b.begin(), b.end(), v.begin());
    return true;
}

bool Reader::string(std::string_view& out, bool& null)
{
    int64_t len = 0;
    if (flex_) {
        uint32_t n = 0;
        if (!uvarint(n)) return false;
        len = static_cast<int64_t>(n) - 1;
    } else {
        int16_t n = 0;
        if (!i16(n)) return false;
        len = n;
    }
    null = len == -1;
    out = {};
    if (len < -1) return invalid();
    if (null) return true;
    if (static_cast<uint64_t>(len) > remaining()) return invalid();
    return take(static_cast<size_t>(len), out);
}

bool Reader::bytes_length(int64_t& len)
{
    if (flex_) {
        uint32_t n = 0;
        if (!uvarint(n)) return false;
        len = static_cast<int64_t>(n) - 1;
    } else {
        int32_t n = 0;
        if (!i32(n)) return false;
        len = n;
    }
    if (len < -1 || (len > 0 && static_cast<uint64_t>(len) > remaining())) return invalid();
    return true;
}

bool Reader::array_length(int32_t& n, uint32_t min_elem)
{
    int64_t len = 0;
    if (flex_) {
        uint32_t u = 0;
        if (!uvarint(u)) return false;
        len = static_cast<int64_t>(u) - 1;
    } else {
        int32_t c = 0;
        if (!i32(c)) return false;
        len = c;
    }
    if (len < -1 || (len > 0 && static_cast<uint64_t>(len) * min_elem > remaining())) return invalid();
    n = static_cast<int32_t>(len);
    return true;
}

bool Reader::skip_tags()
{
    if (!flex_) return ok();
    uint32_t count = 0;
    if (!uvarint(count)) return false;
    if (static_cast<uint64_t>(count) * 2 > remaining()) return invalid();
    for (uint32_t i = 0; i < count; i++) {
        uint32_t tag = 0, size = 0;
        if (!uvarint(tag) || !uvarint(size) || !skip(size)) return false;
    }
    return true;
}

bool Reader::skip(uint64_t n)
{
    if (!ok()) return false;
    if (n > remaining()) return invalid();
    pos_ += n;
    return true;
}

uint64_t topic_hash(std::string_view bytes)
{
    uint64_t h = 1469598103934665603ull;
    for (char c : bytes) {
        h ^= static_cast<uint8_t>(c);
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace obi::kafka
