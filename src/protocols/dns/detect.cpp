// DNS classification: progressive header checks, then a full parse.
#include "protocols/dns/detect.h"

#include "protocols/dns/wire.h"

namespace obi::dns {
namespace {

using conntrack::Detection;

constexpr size_t kMinMessage = kHeaderLen + kMinQuestion;
constexpr size_t kMaxUdpPayload = 65535;

bool known_opcode(uint8_t op) { return op == 0 || op == 4 || op == 5; }  // QUERY, NOTIFY, UPDATE

bool known_class(uint16_t c) { return c == 1 || c == 3 || c == 4 || c == 254 || c == 255; }  // IN CH HS NONE ANY

uint16_t be16(std::string_view m, size_t at)
{
    return static_cast<uint16_t>((static_cast<uint8_t>(m[at]) << 8) | static_cast<uint8_t>(m[at + 1]));
}

// The header fields present in the first m.size() (< 12 possibly) bytes.
bool plausible_header_prefix(std::string_view m)
{
    if (m.size() >= 3 && !known_opcode((static_cast<uint8_t>(m[2]) >> 3) & 0xf)) return false;
    if (m.size() < 4) return true;
    uint16_t flags = be16(m, 2);
    bool qr = flags & 0x8000;
    if (flags & 0x0040) return false;                             // Z
    if (!qr && ((flags & 0x000f) || (flags & 0x0200))) return false;  // a query has no RCODE and is never truncated
    if (m.size() < 6) return true;
    if (be16(m, 4) != 1) return false;  // one question (an error response may have none: too weak to classify)
    if (m.size() < 12) return true;
    uint16_t an = be16(m, 6), ns = be16(m, 8), ar = be16(m, 10);
    if (!qr) {
        uint8_t op = (flags >> 11) & 0xf;
        if (ar > 2) return false;  // OPT, TSIG
        return op == 0 ? an == 0 && ns == 0 : an <= 16 && ns <= 64;
    }
    return true;  // response counts are bounded by the message length (parse_message)
}

}  // namespace

Detection classify_message(std::string_view m, size_t full_len, bool complete)
{
    if (full_len < kMinMessage) return Detection::No;
    if (!plausible_header_prefix(m)) return Detection::No;
    if (m.size() < kHeaderLen) return complete ? Detection::No : Detection::NeedMore;
    Message msg;
    Status st = parse_message(m, full_len, true, msg);
    if (st == Status::Invalid) return Detection::No;
    if (!msg.has_question) return st == Status::Short && !complete ? Detection::NeedMore : Detection::No;
    const Question& q = msg.question;
    if (!msg.question_plain || q.qtype == 0 || !known_class(q.qclass)) return Detection::No;
    if (st == Status::Ok) return Detection::Yes;
    // The captured bytes end inside the message: a valid header and question are enough.
    return complete ? Detection::No : Detection::Yes;
}

Detection detect(std::string_view b, conntrack::Direction, const conntrack::ConnInfo& conn)
{
    if (conn.udp) {
        // One datagram; the tracker passes at most kMaxDetectBytes of it, so a burst of exactly
        // that size may be cut.
        bool whole = b.size() < conntrack::kMaxDetectBytes;
        return classify_message(b, whole ? b.size() : kMaxUdpPayload, whole) == Detection::Yes ? Detection::Yes
                                                                                              : Detection::No;
    }
    if (b.size() < 2) return Detection::NeedMore;
    size_t len = be16(b, 0);
    std::string_view m = b.substr(2);
    if (m.size() > len) m = m.substr(0, len);
    return classify_message(m, len, m.size() == len);
}

}  // namespace obi::dns
