// PostgreSQL wire protocol v3: message types, plausibility bounds, the fields spans need
// (startup parameters, Parse/Bind/Execute names, ErrorResponse fields), and the strict
// classification of a burst's first bytes used for protocol detection.
#pragma once

#include <cstdint>
#include <string_view>

namespace obi::postgres {

inline constexpr uint32_t kSslRequest = 80877103;     // 1234.5679
inline constexpr uint32_t kGssEncRequest = 80877104;  // 1234.5680
inline constexpr uint32_t kCancelRequest = 80877102;  // 1234.5678
inline constexpr uint32_t kProtocolMajor = 3;
inline constexpr uint32_t kMaxStartupLen = 10000;     // the server's own limit on a startup packet
inline constexpr uint32_t kMaxMessageLen = 1u << 30;  // PostgreSQL's MaxAllocSize
inline constexpr uint32_t kMaxNameLen = 64;           // NAMEDATALEN: statement and portal names

inline uint32_t be32(std::string_view s, size_t at)
{
    return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
           (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}
inline uint16_t be16(std::string_view s, size_t at) { return uint16_t((uint8_t(s[at]) << 8) | uint8_t(s[at + 1])); }

// Message types a client sends (after startup) and a server sends.
bool is_frontend_type(char t);
bool is_backend_type(char t);

// The length field (which counts itself) is possible for a message of this type.
bool plausible_length(char type, uint32_t len, bool frontend);

// The most body bytes worth keeping of a message (the statement text, error fields, ...).
uint32_t frontend_keep(char type);
uint32_t backend_keep(char type);

// Reads a NUL-terminated string at `pos`; false when no NUL lies within `max` bytes.
bool cstring(std::string_view body, size_t& pos, std::string_view& out, size_t max = kMaxMessageLen);

// StartupMessage parameters after the protocol version: "database" (else "user").
std::string_view startup_database(std::string_view params);

struct ErrorFields {
    std::string_view sqlstate;  // 'C'
    std::string_view message;   // 'M'
    std::string_view severity;  // 'V' (not localised), else 'S'
};
// ErrorResponse / NoticeResponse body (possibly cut: what is complete is returned).
ErrorFields error_fields(std::string_view body);

// The message that ended right before a ReadyForQuery, judged from the few bytes known of a
// response whose messages could not be followed (uncaptured holes): the first bytes of a call,
// the bytes of the previous calls (when captured whole) and the call's tail (its last bytes).
struct TrailingMessage {
    enum class Kind : uint8_t { Unknown, Other, Error } kind = Kind::Unknown;
    ErrorFields fields;  // an ErrorResponse's fields recovered (all empty when none were)
};
// `before`: contiguous response bytes ending `gap` bytes before the ReadyForQuery (gap 0: right
// before it). A message header whose length ends exactly at the ReadyForQuery names the message;
// without one (gap 0 only), the end of a field list ("...\0\0") is read back field by field:
// a SQLSTATE of class 00-02 or a NOTICE/WARNING severity is a notice, anything else an error.
TrailingMessage message_before_ready(std::string_view before, uint64_t gap);

enum class BurstKind : uint8_t {
    None,      // not PostgreSQL (or not decidable from these bytes)
    NeedMore,  // a valid prefix of a startup message or a frontend message
    Startup,   // SSLRequest / GSSENCRequest / StartupMessage: a new connection, client side
    Frontend,  // messages a client sends (a connection seen mid-stream)
    Backend,   // a complete server response ending in ReadyForQuery (mid-stream)
};

// Strict: bounded lengths, known message types, protocol version numbers, SQL text that
// starts with an SQL keyword; a chain of messages must be consistent up to the end.
BurstKind classify_burst(std::string_view first_bytes);

}  // namespace obi::postgres
