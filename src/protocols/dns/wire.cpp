// DNS wire parsing: header, bounded name decompression, question, record walk.
#include "protocols/dns/wire.h"

#include <arpa/inet.h>

namespace obi::dns {
namespace {

uint16_t be16(std::string_view m, size_t at)
{
    return static_cast<uint16_t>((static_cast<uint8_t>(m[at]) << 8) | static_cast<uint8_t>(m[at + 1]));
}

uint32_t be32(std::string_view m, size_t at)
{
    return (static_cast<uint32_t>(be16(m, at)) << 16) | be16(m, at + 2);
}

bool plain_byte(uint8_t c) { return c >= 0x21 && c <= 0x7e && c != '.' && c != '\\'; }

bool label_plain(std::string_view label)
{
    for (char c : label)
        if (!plain_byte(static_cast<uint8_t>(c))) return false;
    return true;
}

void append_label(std::string& out, std::string_view label, bool& plain)
{
    for (char ch : label) {
        auto c = static_cast<uint8_t>(ch);
        if (c == '.' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
            plain = false;
        } else if (c < 0x21 || c > 0x7e) {
            out.push_back('\\');
            out.push_back(static_cast<char>('0' + c / 100));
            out.push_back(static_cast<char>('0' + c / 10 % 10));
            out.push_back(static_cast<char>('0' + c % 10));
            plain = false;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
}

std::string address_text(int family, const char* bytes)
{
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(family, bytes, buf, sizeof(buf))) return {};
    return buf;
}

}  // namespace

bool read_header(std::string_view m, Header& h)
{
    if (m.size() < kHeaderLen) return false;
    h.id = be16(m, 0);
    h.flags = be16(m, 2);
    h.qdcount = be16(m, 4);
    h.ancount = be16(m, 6);
    h.nscount = be16(m, 8);
    h.arcount = be16(m, 10);
    return true;
}

Status read_name(std::string_view m, size_t pos, std::string* out, size_t& end, bool* plain_out)
{
    size_t p = pos;
    size_t run_start = pos;  // where the labels being read started: pointers must go below it
    size_t wire = 0;
    int jumps = 0;
    bool jumped = false, plain = true;
    const size_t out_start = out ? out->size() : 0;
    for (;;) {
        if (p >= m.size()) return Status::Short;
        auto len = static_cast<uint8_t>(m[p]);
        if ((len & 0xc0) == 0xc0) {
            if (p + 1 >= m.size()) return Status::Short;
            size_t target = be16(m, p) & 0x3fff;
            if (!jumped) end = p + 2;
            // Strictly backwards from the start of this run of labels, and never into the header:
            // every jump lowers run_start, so a loop cannot exist.
            if (target >= run_start || target < kHeaderLen || ++jumps > kMaxPointerJumps) return Status::Invalid;
            jumped = true;
            p = run_start = target;
            continue;
        }
        if (len & 0xc0) return Status::Invalid;  // 0x40/0x80: extended label types (obsolete, RFC 6891 5)
        wire += 1 + len;
        if (wire > kMaxNameWire) return Status::Invalid;
        if (len == 0) {
            if (!jumped) end = p + 1;
            if (out && out->size() == out_start) out->push_back('.');
            if (plain_out) *plain_out = plain;
            return Status::Ok;
        }
        if (p + 1 + len > m.size()) return Status::Short;
        std::string_view label = m.substr(p + 1, len);
        if (out) {
            if (out->size() > out_start) out->push_back('.');
            append_label(*out, label, plain);
        } else if (plain_out && plain) {
            plain = label_plain(label);
        }
        p += 1 + len;
    }
}

bool same_name(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

Status parse_message(std::string_view m, size_t full_len, bool records, Message& out)
{
    out = Message{};
    if (m.size() > full_len) m = m.substr(0, full_len);
    if (full_len < kHeaderLen) return out.status = Status::Invalid;
    if (!read_header(m, out.header)) return out.status = Status::Short;
    const Header& h = out.header;
    out.rcode = h.rcode();
    // A truncated response (TC) may claim more records than it holds: it ends early, not invalid.
    const Status past_end = h.qr() && h.tc() ? Status::Short : Status::Invalid;
    // Each question takes at least 5 bytes and each record 11: counts that cannot fit are not DNS.
    uint64_t least = kHeaderLen + uint64_t{h.qdcount} * kMinQuestion +
                     (uint64_t{h.ancount} + h.nscount + h.arcount) * kMinRecord;
    if (least > full_len && past_end == Status::Invalid) return out.status = Status::Invalid;

    size_t pos = kHeaderLen;
    for (uint16_t i = 0; i < h.qdcount; i++) {
        size_t end = 0;
        bool plain = false;
        Status st = read_name(m, pos, i == 0 ? &out.question.name : nullptr, end, i == 0 ? &plain : nullptr);
        if (st == Status::Short && m.size() == full_len) st = past_end;  // the name runs past the message
        if (st != Status::Ok) {
            if (i == 0) out.question.name.clear();
            return out.status = st;
        }
        if (end + 4 > m.size()) return out.status = end + 4 > full_len ? past_end : Status::Short;
        if (i == 0) {
            out.question.qtype = be16(m, end);
            out.question.qclass = be16(m, end + 2);
            out.question_plain = plain;
            out.has_question = true;
        }
        pos = end + 4;
        out.end = pos;
    }
    if (!records) return out.status = Status::Ok;

    const uint32_t total = uint32_t{h.ancount} + h.nscount + h.arcount;
    for (uint32_t i = 0; i < total; i++) {
        size_t end = 0;
        if (pos >= full_len) return out.status = past_end;
        Status st = read_name(m, pos, nullptr, end);
        if (st == Status::Short && m.size() == full_len) st = past_end;
        if (st != Status::Ok) return out.status = st;
        if (end + 10 > m.size()) return out.status = end + 10 > full_len ? past_end : Status::Short;
        uint16_t type = be16(m, end), cls = be16(m, end + 2);
        uint32_t ttl = be32(m, end + 4);
        size_t rdlen = be16(m, end + 8), rdata = end + 10;
        if (rdata + rdlen > full_len) return out.status = past_end;
        bool answer = i < h.ancount, additional = i >= uint32_t{h.ancount} + h.nscount;
        if (additional && type == kTypeOPT) {  // EDNS: the RCODE's upper 8 bits in the TTL's first byte
            if (out.edns || end != pos + 1) return out.status = Status::Invalid;  // one OPT, root owner name
            out.edns = true;
            out.rcode = static_cast<int>(((ttl >> 24) << 4) | h.rcode());
        }
        if (rdata + rdlen > m.size()) return out.status = Status::Short;
        if (answer && cls == kClassIN && out.addresses.size() < kMaxAddresses) {
            if (type == kTypeA && rdlen == 4) out.addresses.push_back(address_text(AF_INET, m.data() + rdata));
            if (type == kTypeAAAA && rdlen == 16) out.addresses.push_back(address_text(AF_INET6, m.data() + rdata));
        }
        pos = rdata + rdlen;
        out.end = pos;
    }
    if (pos != full_len) return out.status = Status::Invalid;  // bytes after the last record
    return out.status = Status::Ok;
}

}  // namespace obi::dns
