// HPACK decoding of one direction's header blocks with nghttp2's inflater (RFC 7541), made
// safe for a passive observer that may have missed part of the connection.
//
// Index i of the dynamic table is the i-th most recently inserted entry on both ends, so a
// table that has seen every block since some point holds exactly the newest entries of the
// peer's table: references to them decode correctly, references beyond them are unknown.
// Before nghttp2 sees a field representation, its index is checked against the number of
// entries the inflater holds; unresolvable fields are not decoded (counted as unknown), and a
// literal that the peer inserted under an unknown name is inserted here under a placeholder
// name, so the order (hence every later index) stays right. A block that was not seen whole
// resets the table: nothing decoded afterwards can come from a stale entry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct nghttp2_hd_inflater;

namespace obi::http2 {

class HeaderVisitor {
public:
    virtual ~HeaderVisitor() = default;
    virtual void header(std::string_view name, std::string_view value) = 0;
};

struct DecodeResult {
    unsigned fields = 0;     // fields decoded and passed to the visitor
    unsigned unknown = 0;    // fields that refer to table entries this decoder never saw
    bool truncated = false;  // only a prefix of the block was available
    bool corrupt = false;    // not valid HPACK (the table was reset)
    bool clean() const { return unknown == 0 && !truncated && !corrupt; }
};

// Largest dynamic table a peer may ask for with a size update (RFC default 4096; 64 KiB
// covers every common stack's SETTINGS_HEADER_TABLE_SIZE). Bounds memory per direction.
inline constexpr size_t kMaxHpackTable = 64 * 1024;

class HeaderDecoder {
public:
    HeaderDecoder() = default;
    ~HeaderDecoder();
    HeaderDecoder(const HeaderDecoder&) = delete;
    HeaderDecoder& operator=(const HeaderDecoder&) = delete;

    // Decodes one header block. `complete` false: `block` is only the captured start of it.
    DecodeResult decode(std::string_view block, bool complete, HeaderVisitor& v);
    // Forgets the dynamic table (blocks were missed): older entries become unknown.
    void reset();
    // The table has been followed since the connection started (so an unknown index is
    // corruption, not a late start).
    bool from_start() const { return from_start_; }
    void set_from_start() { from_start_ = true; }
    // Entries of the dynamic table (for tests).
    size_t dynamic_entries();

private:
    bool ensure();
    bool feed(const uint8_t* p, size_t n, HeaderVisitor& v, DecodeResult& r);
    bool feed_placeholder(std::string_view value_rep, HeaderVisitor& v, DecodeResult& r);
    bool finish();

    nghttp2_hd_inflater* inf_ = nullptr;
    bool from_start_ = false;
    std::string placeholder_;
};

}  // namespace obi::http2
