// Resumable scanner for a chunked message body (RFC 9112 section 7.1): finds where the body
// ends and counts its payload bytes, fed piece by piece, including pieces the agent only
// knows the length of (skip).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace obi::http1 {

class ChunkedScanner {
public:
    enum class State : uint8_t {
        Size,         // reading the hex chunk size
        Extension,    // in ";ext=val" (or whitespace) after the size, up to the line end
        SizeLF,       // saw the CR that ends the size line
        Data,         // inside chunk data, data_left() bytes to go
        DataCR,       // expecting the CRLF that closes a chunk's data
        DataLF,       // saw that CR
        TrailerStart, // after the last chunk: at the start of a trailer line or the final CRLF
        TrailerLine,  // inside a trailer field line
        FinalLF,      // saw the CR of the final empty line
        Done,         // the body ended; bytes after it were not consumed
        Invalid,      // the bytes are not a chunked body (or exceed the bounds below)
        // Bytes were skipped across chunk framing: the scanner no longer knows where it is.
        // It consumes everything fed to it and only ends via observe_write_tail().
        Unknown,
    };

    static constexpr uint64_t kMaxChunkSize = uint64_t{1} << 40;  // 1 TiB: larger is not HTTP we believe
    static constexpr size_t kMaxSizeDigits = 16;                  // hex digits, leading zeros included
    static constexpr size_t kMaxExtensionLen = 4096;              // per size line
    static constexpr size_t kMaxTrailerLen = 64 * 1024;           // all trailer lines together

    // Feeds captured bytes that follow what was fed or skipped before. Returns the bytes
    // consumed: all of data, or fewer when the body ends (Done) or turns out Invalid inside it.
    size_t feed(std::string_view data);

    // Accounts for n bytes the agent did not capture. Stays in sync when they lie within the
    // current chunk's data; otherwise the state becomes Unknown.
    void skip(size_t n);

    // The fallback end-of-body signal when out of sync: `tail` is the last bytes (up to 8) of
    // a write. In Unknown, a tail ending in the last chunk "0\r\n\r\n" (after "\r\n", or as
    // the whole write) moves to Done with exact() false. Returns done().
    bool observe_write_tail(std::string_view tail);

    // True when the tail bytes of a write end a chunked body with an empty trailer.
    static bool is_last_chunk_tail(std::string_view tail);

    void reset() { *this = ChunkedScanner(); }

    State state() const { return state_; }
    bool done() const { return state_ == State::Done; }
    bool failed() const { return state_ == State::Invalid; }  // not a chunked body
    bool in_sync() const { return !lost_sync_; }
    bool exact() const { return done() && !lost_sync_; }  // the end and body_bytes() are exact
    uint64_t body_bytes() const { return body_bytes_; }   // payload bytes; a lower bound once out of sync
    uint64_t wire_bytes() const { return wire_bytes_; }   // bytes consumed or skipped, framing included
    uint64_t data_left() const { return data_left_; }     // in Data: bytes left in the current chunk

private:
    void end_size_line();

    State state_ = State::Size;
    bool lost_sync_ = false;
    uint64_t chunk_size_ = 0;
    uint64_t data_left_ = 0;
    uint64_t body_bytes_ = 0;
    uint64_t wire_bytes_ = 0;
    size_t line_bytes_ = 0;     // digits (Size) or extension bytes (Extension) on this line
    size_t trailer_bytes_ = 0;  // all trailer bytes so far
};

}  // namespace obi::http1
