// HTTP/2 framing (RFC 9113 section 4): the 9-byte frame header, frame types and flags, the
// client connection preface, and the plausibility rules that decide whether bytes look like
// the start of a frame (used for detection and for resynchronisation after lost bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace obi::http2 {

inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";  // 24 bytes
inline constexpr size_t kFrameHeaderLen = 9;
inline constexpr uint32_t kDefaultMaxFrameSize = 16384;  // SETTINGS_MAX_FRAME_SIZE initial value
inline constexpr uint32_t kMaxMaxFrameSize = (1u << 24) - 1;

enum FrameType : uint8_t {
    kData = 0,
    kHeaders = 1,
    kPriority = 2,
    kRstStream = 3,
    kSettings = 4,
    kPushPromise = 5,
    kPing = 6,
    kGoaway = 7,
    kWindowUpdate = 8,
    kContinuation = 9,
};

enum FrameFlag : uint8_t {
    kEndStream = 0x1,  // DATA, HEADERS
    kAck = 0x1,        // SETTINGS, PING
    kEndHeaders = 0x4,  // HEADERS, PUSH_PROMISE, CONTINUATION
    kPadded = 0x8,      // DATA, HEADERS, PUSH_PROMISE
    kPriorityFlag = 0x20,  // HEADERS
};

enum SettingId : uint16_t {
    kSettingHeaderTableSize = 1,
    kSettingEnablePush = 2,
    kSettingMaxConcurrentStreams = 3,
    kSettingInitialWindowSize = 4,
    kSettingMaxFrameSize = 5,
    kSettingMaxHeaderListSize = 6,
    kSettingEnableConnectProtocol = 8,  // RFC 8441
    kSettingNoRfc7540Priorities = 9,    // RFC 9218
};

struct FrameHeader {
    uint32_t length = 0;  // payload bytes (24 bits)
    uint8_t type = 0;
    uint8_t flags = 0;
    bool reserved = false;  // the R bit before the stream id
    uint32_t stream = 0;    // 31 bits
};

// Decodes the 9 header bytes at `p`.
FrameHeader parse_frame_header(const uint8_t* p);
inline FrameHeader parse_frame_header(std::string_view b)
{
    return parse_frame_header(reinterpret_cast<const uint8_t*>(b.data()));
}

// What a receiver following a connection in sync requires of a frame header: a length within
// `max_len`, and the stream-id and fixed-length rules of the known types. Unknown types pass
// (receivers ignore them; we skip them by length).
bool header_valid(const FrameHeader& h, uint32_t max_len);

// Stricter: a frame a real peer would send, known types only, no undefined flag or reserved
// bit set. Used where the bytes might not be a frame boundary at all.
bool header_plausible(const FrameHeader& h, uint32_t max_len);

// Checks of a frame's payload start (captured bytes of it, possibly fewer than its length):
// SETTINGS identifiers and values, WINDOW_UPDATE increments, RST_STREAM / GOAWAY error codes,
// padding lengths. Only what is captured is checked.
bool payload_plausible(const FrameHeader& h, std::string_view payload);

// The result of walking frame headers from the start of some bytes.
struct Chain {
    bool ok = false;        // every complete header seen was plausible (and there was at least one)
    size_t frames = 0;      // complete plausible frame headers seen
    size_t end = 0;         // offset just after the last frame whose header was seen
    bool first_settings = false;  // the first frame is a non-ACK SETTINGS (a connection start)
};

// Walks frames through `captured` (the captured start of bytes that, in total, are `total`
// long: frames may run past the captured part). Stops at the first header that does not fit
// in `captured`. A header that is implausible makes the chain not ok.
Chain walk_chain(std::string_view captured, uint64_t total, uint32_t max_len);

}  // namespace obi::http2
