// A small bounds-checked BSON reader for the start of a document: walks the top-level
// elements of a document that may be cut short by the capture (truncated) without ever
// reading past the bytes it was given or past the document's declared size.
#pragma once

#include <cstdint>
#include <string_view>

namespace obi::mongo {

inline constexpr int32_t kMaxBsonSize = 16 * 1024 * 1024 + 16 * 1024;  // 16 MiB documents plus command overhead

struct BsonElement {
    uint8_t type = 0;
    std::string_view name;
    std::string_view value;  // the value's bytes (the whole value: complete elements only)
};

// Reads the little-endian int32 at `p` (the caller checked 4 bytes are there).
int32_t read_i32(const char* p);
int64_t read_i64(const char* p);

class BsonReader {
public:
    // `bytes` starts at a document's size field; it may hold less than the document.
    explicit BsonReader(std::string_view bytes);

    bool valid() const { return valid_; }        // the size field is plausible
    int32_t declared_size() const { return size_; }
    // The next complete element; false at the end of the document, where the captured bytes
    // end (truncated()), or at malformed bytes (malformed()).
    bool next(BsonElement& e);
    bool truncated() const { return truncated_; }
    bool malformed() const { return malformed_; }

private:
    std::string_view doc_;  // the captured part of the document, at most its declared size
    int32_t size_ = 0;
    size_t pos_ = 4;
    bool valid_ = false, truncated_ = false, malformed_ = false, done_ = false;
};

// A string value (types 0x02 string, 0x0D code, 0x0E symbol) without its NUL.
bool bson_string(const BsonElement& e, std::string_view& out);
// A number (double, int32, int64, bool) as double.
bool bson_number(const BsonElement& e, double& out);
// An int32/int64/double value that is integral.
bool bson_int(const BsonElement& e, int64_t& out);
// Is the element type one BSON defines?
bool bson_known_type(uint8_t t);

}  // namespace obi::mongo
