// Kafka's primitive types read from one framed message whose bytes were captured only in
// part: a read that falls into an uncaptured hole fails as Short, a length that points past
// the message fails as Invalid, and skipping by a length works across holes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace obi::kafka {

enum class ReadStatus : uint8_t {
    Ok,
    Short,    // the bytes are not (yet) known: a hole, or a message prefix
    Invalid,  // the bytes contradict the protocol
};

using Uuid = std::array<uint8_t, 16>;

// The captured pieces of one message. Offsets count from the first byte after the 4-byte
// length prefix; `length()` is the length the prefix announced.
class SparseBytes {
public:
    explicit SparseBytes(size_t max_kept = 256 * 1024) : max_kept_(max_kept) {}

    void reset(uint64_t length);
    // The whole message, or a prefix of it, as one view owned by the caller (no copy).
    void set_external(std::string_view bytes, uint64_t length);
    // Captured bytes at `offset`; pieces beyond max_kept bytes in total are dropped.
    void append(uint64_t offset, std::string_view bytes);

    uint64_t length() const { return length_; }
    // [off, off + n) when all of it was captured.
    bool view(uint64_t off, size_t n, std::string_view& out) const;
    // True when every byte of the message was captured.
    bool complete() const;

private:
    struct Piece {
        uint64_t off;
        size_t at;
        size_t len;
    };
    const char* base() const { return external_.data() ? external_.data() : data_.data(); }

    size_t max_kept_;
    uint64_t length_ = 0;
    std::string data_;
    std::string_view external_;
    std::vector<Piece> pieces_;
};

// Sequential reader over [pos, end) of a SparseBytes. After the first failure every read
// fails and status() tells why. `flexible` selects the compact encodings (KIP-482).
class Reader {
public:
    Reader(const SparseBytes& m, uint64_t pos, bool flexible) : m_(m), pos_(pos), end_(m.length()), flex_(flexible) {}

    bool ok() const { return st_ == ReadStatus::Ok; }
    ReadStatus status() const { return st_; }
    uint64_t pos() const { return pos_; }
    uint64_t remaining() const { return end_ > pos_ ? end_ - pos_ : 0; }
    bool flexible() const { return flex_; }
    void set_flexible(bool f) { flex_ = f; }

    bool i8(int8_t& v);
    bool i16(int16_t& v);
    bool i32(int32_t& v);
    bool i64(int64_t& v);
    bool uvarint(uint32_t& v);  // unsigned LEB128, at most 5 bytes
    bool varint(int32_t& v);    // zig-zag signed
    bool uuid(Uuid& v);
    // STRING / COMPACT_STRING, nullable; `null` tells -1 / 0 apart from "".
    bool string(std::string_view& out, bool& null);
    bool string(std::string_view& out)
    {
        bool null = false;
        return string(out, null);
    }
    // Length of BYTES / COMPACT_BYTES / RECORDS (-1: null); the bytes themselves are not read.
    bool bytes_length(int64_t& len);
    // Element count of ARRAY / COMPACT_ARRAY (-1: null). Fails when the count cannot fit in
    // what is left of the message at `min_elem` bytes per element.
    bool array_length(int32_t& n, uint32_t min_elem = 1);
    // The tagged-field section of a flexible struct (nothing in classic versions).
    bool skip_tags();
    bool skip(uint64_t n);
    // Marks the message as contradicting the protocol (a value out of its range).
    bool invalid()
    {
        if (st_ == ReadStatus::Ok) st_ = ReadStatus::Invalid;
        return false;
    }

private:
    bool take(size_t n, std::string_view& out);

    const SparseBytes& m_;
    uint64_t pos_, end_;
    bool flex_;
    ReadStatus st_ = ReadStatus::Ok;
};

// FNV-1a of a topic name or id, to remember topics without copying them.
uint64_t topic_hash(std::string_view bytes);

}  // namespace obi::kafka
