// DNS wire format (RFC 1035 section 4, EDNS RFC 6891) on a captured prefix of a message:
// the header, names with compression pointers (bounded: a pointer must go strictly
// backwards, so no loop is possible, and at most kMaxPointerJumps are followed), the
// question, and a walk over the records for A/AAAA answers and the EDNS extended RCODE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace obi::dns {

inline constexpr size_t kHeaderLen = 12;
inline constexpr size_t kMaxNameWire = 255;  // RFC 1035 2.3.4: a name's wire form, length bytes included
inline constexpr size_t kMaxLabel = 63;
inline constexpr int kMaxPointerJumps = 32;  // strictly backwards already bounds them; this bounds the work
inline constexpr size_t kMaxAddresses = 16;  // A/AAAA answers kept per response (span.dns_addresses)
inline constexpr size_t kMinQuestion = 5;    // root name, type, class
inline constexpr size_t kMinRecord = 11;     // root name, type, class, TTL, RDLENGTH
inline constexpr uint16_t kTypeA = 1, kTypeAAAA = 28, kTypeOPT = 41;
inline constexpr uint16_t kClassIN = 1;

struct Header {
    uint16_t id = 0, flags = 0, qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
    bool qr() const { return flags & 0x8000; }  // a response
    uint8_t opcode() const { return (flags >> 11) & 0xf; }
    bool tc() const { return flags & 0x0200; }  // truncated (the client retries over TCP)
    bool z() const { return flags & 0x0040; }   // reserved, zero
    uint8_t rcode() const { return flags & 0xf; }
};

enum class Status : uint8_t {
    Ok,       // parsed
    Short,    // valid so far, but the bytes (captured or received) end first
    Invalid,  // not DNS: a bad label, a forward or looping pointer, an impossible count
};

// Header at the start of `m`; false when `m` is shorter.
bool read_header(std::string_view m, Header& h);

// The name at `pos` of message `m` (all of the message's bytes we have, for pointers).
// Appends its presentation form to *out when out is not null: labels joined by '.', no
// trailing dot, "." for the root; '.', '\' and bytes outside printable ASCII escaped as
// "\.", "\\", "\DDD" (so the text is always ASCII). `end` = offset just after the name where
// it is written (after its pointer when compressed). *plain, when not null, tells whether
// every label byte was printable ASCII other than '.' and '\'.
Status read_name(std::string_view m, size_t pos, std::string* out, size_t& end, bool* plain = nullptr);

// Case-insensitive (ASCII) equality of two names in presentation form.
bool same_name(std::string_view a, std::string_view b);

struct Question {
    std::string name;
    uint16_t qtype = 0, qclass = 0;
};

struct Message {
    Header header;
    bool has_question = false;  // qdcount >= 1 and the first question was parsed
    Question question;
    bool question_plain = false;   // see read_name
    int rcode = 0;                 // header RCODE, with the EDNS extended bits when an OPT record was seen
    bool edns = false;             // an OPT record was seen
    std::vector<std::string> addresses;  // A/AAAA answers as text, at most kMaxAddresses
    size_t end = 0;                // offset after the last record parsed
    Status status = Status::Short;
};

// Parses message `m`, the first m.size() bytes of a message of `full_len` bytes (m.size() <
// full_len: the rest was not captured). Ok: every record parsed and the last ends at
// full_len exactly (trailing bytes make it Invalid). Short: the captured bytes end inside
// the message; what was parsed before that is filled in. Counts that cannot fit in
// full_len are Invalid. Records are walked only when `records` (responses); for queries
// only the header and the question are read and the status is Ok once they parsed.
Status parse_message(std::string_view m, size_t full_len, bool records, Message& out);

}  // namespace obi::dns
