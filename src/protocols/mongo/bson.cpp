// BsonReader: element sizes by type, every length checked against the captured bytes and the
// declared document size.
#include "protocols/mongo/bson.h"

#include <cstring>

namespace obi::mongo {

int32_t read_i32(const char* p)
{
    uint32_t v = static_cast<uint8_t>(p[0]) | static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8 |
                 static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16 |
                 static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 24;
    return static_cast<int32_t>(v);
}

int64_t read_i64(const char* p)
{
    uint64_t lo = static_cast<uint32_t>(read_i32(p)), hi = static_cast<uint32_t>(read_i32(p + 4));
    return static_cast<int64_t>(lo | hi << 32);
}

bool bson_known_type(uint8_t t) { return (t >= 0x01 && t <= 0x13) || t == 0xFF || t == 0x7F; }

BsonReader::BsonReader(std::string_view bytes)
{
    if (bytes.size() < 4) {
        truncated_ = true;
        return;
    }
    size_ = read_i32(bytes.data());
    if (size_ < 5 || size_ > kMaxBsonSize) {
        malformed_ = true;
        return;
    }
    valid_ = true;
    doc_ = bytes.substr(0, static_cast<size_t>(size_));
}

bool BsonReader::next(BsonElement& e)
{
    if (!valid_ || done_ || malformed_ || truncated_) return false;
    const size_t end = static_cast<size_t>(size_);  // declared end
    auto need = [&](size_t upto) {                  // bytes [0, upto) must exist
        if (upto > end) {
            malformed_ = true;
            return false;
        }
        if (upto > doc_.size()) {
            truncated_ = true;
            return false;
        }
        return true;
    };
    if (!need(pos_ + 1)) return false;
    const uint8_t type = static_cast<uint8_t>(doc_[pos_]);
    if (type == 0) {  // the document's terminator must be its last byte
        if (pos_ + 1 != end) malformed_ = true;
        done_ = true;
        return false;
    }
    if (!bson_known_type(type)) {
        malformed_ = true;
        return false;
    }
    // name: a cstring inside the document
    size_t name_start = pos_ + 1;
    size_t limit = std::min(end, doc_.size());
    const void* nul = name_start < limit ? std::memchr(doc_.data() + name_start, 0, limit - name_start) : nullptr;
    if (!nul) {
        if (limit == end) malformed_ = true;
        else truncated_ = true;
        return false;
    }
    size_t name_end = static_cast<const char*>(nul) - doc_.data();
    size_t v = name_end + 1;
    size_t len = 0;
    auto i32_len = [&](int32_t min, size_t extra) -> bool {  // value = int32 length-prefixed
        if (!need(v + 4)) return false;
        int32_t n = read_i32(doc_.data() + v);
        if (n < min || static_cast<size_t>(n) > end) {
            malformed_ = true;
            return false;
        }
        len = 4 + extra + static_cast<size_t>(n);
        return true;
    };
    switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: len = 8; break;  // double, datetime, timestamp, int64
    case 0x10: len = 4; break;
    case 0x08: len = 1; break;
    case 0x07: len = 12; break;
    case 0x13: len = 16; break;
    case 0x06: case 0x0A: case 0xFF: case 0x7F: len = 0; break;
    case 0x02: case 0x0D: case 0x0E:  // string: int32 size (with the NUL), bytes, NUL
        if (!i32_len(1, 0)) return false;
        break;
    case 0x03: case 0x04:  // embedded document: its size includes itself
        if (!i32_len(5, 0)) return false;
        len -= 4;
        break;
    case 0x05:  // binary: int32 size, subtype, bytes
        if (!i32_len(0, 1)) return false;
        break;
    case 0x0C:  // DBPointer: string + 12-byte ObjectId
        if (!i32_len(1, 12)) return false;
        break;
    case 0x0F:  // code with scope: int32 total size
        if (!i32_len(14, 0)) return false;
        len -= 4;
        break;
    case 0x0B: {  // regex: two cstrings
        size_t p = v;
        for (int k = 0; k < 2; k++) {
            size_t lim = std::min(end, doc_.size());
            const void* z = p < lim ? std::memchr(doc_.data() + p, 0, lim - p) : nullptr;
            if (!z) {
                if (lim == end) malformed_ = true;
                else truncated_ = true;
                return false;
            }
            p = static_cast<const char*>(z) - doc_.data() + 1;
        }
        len = p - v;
        break;
    }
    default: malformed_ = true; return false;
    }
    if (!need(v + len)) return false;
    if (v + len >= end) {  // the terminator must still follow
        malformed_ = true;
        return false;
    }
    if ((type == 0x02 || type == 0x0D || type == 0x0E) && doc_[v + len - 1] != 0) {
        malformed_ = true;
        return false;
    }
    e.type = type;
    e.name = doc_.substr(name_start, name_end - name_start);
    e.value = doc_.substr(v, len);
    pos_ = v + len;
    return true;
}

bool bson_string(const BsonElement& e, std::string_view& out)
{
    if ((e.type != 0x02 && e.type != 0x0D && e.type != 0x0E) || e.value.size() < 5) return false;
    out = e.value.substr(4, e.value.size() - 5);
    return true;
}

bool bson_number(const BsonElement& e, double& out)
{
    switch (e.type) {
    case 0x01: {
        uint64_t bits = static_cast<uint64_t>(read_i64(e.value.data()));
        std::memcpy(&out, &bits, sizeof(out));
        return true;
    }
    case 0x10: out = read_i32(e.value.data()); return true;
    case 0x12: out = static_cast<double>(read_i64(e.value.data())); return true;
    case 0x08: out = e.value[0] != 0 ? 1 : 0; return true;
    default: return false;
    }
}

bool bson_int(const BsonElement& e, int64_t& out)
{
    switch (e.type) {
    case 0x10: out = read_i32(e.value.data()); return true;
    case 0x12: out = read_i64(e.value.data()); return true;
    case 0x01: {
        double d = 0;
        bson_number(e, d);
        if (d != d || d < -9e15 || d > 9e15 || static_cast<double>(static_cast<int64_t>(d)) != d) return false;
        out = static_cast<int64_t>(d);
        return true;
    }
    default: return false;
    }
}

}  // namespace obi::mongo
