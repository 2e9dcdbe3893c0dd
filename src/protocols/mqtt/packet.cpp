// MQTT packet parsing with every length bounded by the packet's remaining length.
#include "protocols/mqtt/packet.h"

namespace obi::mqtt {
namespace {

Parse read_u16(std::string_view b, size_t& pos, uint16_t& out)
{
    if (pos + 2 > b.size()) return Parse::NeedMore;
    out = static_cast<uint16_t>(static_cast<uint8_t>(b[pos]) << 8 | static_cast<uint8_t>(b[pos + 1]));
    pos += 2;
    return Parse::Ok;
}

Parse read_string(std::string_view b, size_t& pos, std::string_view& out)
{
    uint16_t n = 0;
    Parse p = read_u16(b, pos, n);
    if (p != Parse::Ok) return p;
    if (pos + n > b.size()) return Parse::NeedMore;
    out = b.substr(pos, n);
    pos += n;
    return Parse::Ok;
}

// Skips MQTT 5 properties at `pos` (length, then properties); reports a Topic Alias.
Parse skip_properties(std::string_view b, size_t& pos, size_t end, uint16_t* topic_alias)
{
    uint32_t len = 0;
    Parse p = read_varint(b, pos, len);
    if (p != Parse::Ok) return p;
    if (pos + len > end) return Parse::Invalid;
    const size_t stop = pos + len;
    while (pos < stop) {
        if (pos >= b.size()) return Parse::NeedMore;
        uint8_t id = static_cast<uint8_t>(b[pos++]);
        size_t n = 0;
        switch (id) {
        case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A: n = 1; break;
        case 0x13: case 0x21: case 0x22: case 0x23: n = 2; break;
        case 0x02: case 0x11: case 0x18: case 0x27: n = 4; break;
        case 0x0B: {
            uint32_t v = 0;
            Parse q = read_varint(b, pos, v);
            if (q != Parse::Ok) return q;
            continue;
        }
        case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1A: case 0x1C: case 0x1F: {
            std::string_view s;
            Parse q = read_string(b, pos, s);
            if (q != Parse::Ok) return q;
            continue;
        }
        case 0x26: {  // user property: two strings
            std::string_view k, v;
            Parse q = read_string(b, pos, k);
            if (q == Parse::Ok) q = read_string(b, pos, v);
            if (q != Parse::Ok) return q;
            continue;
        }
        default: return Parse::Invalid;
        }
        if (pos + n > stop) return Parse::Invalid;
        if (pos + n > b.size()) return Parse::NeedMore;
        if (id == 0x23 && topic_alias) *topic_alias = static_cast<uint16_t>(static_cast<uint8_t>(b[pos]) << 8 | static_cast<uint8_t>(b[pos + 1]));
        pos += n;
    }
    if (pos != stop) return Parse::Invalid;
    return Parse::Ok;
}

}  // namespace

Parse read_varint(std::string_view b, size_t& pos, uint32_t& out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (pos >= b.size()) return Parse::NeedMore;
        uint8_t c = static_cast<uint8_t>(b[pos++]);
        v |= static_cast<uint32_t>(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            out = v;
            return Parse::Ok;
        }
    }
    return Parse::Invalid;  // a fifth byte: not a variable byte integer
}

Parse parse_fixed_header(std::string_view b, FixedHeader& h)
{
    if (b.empty()) return Parse::NeedMore;
    uint8_t b0 = static_cast<uint8_t>(b[0]);
    h.type = b0 >> 4;
    h.flags = b0 & 0x0f;
    size_t pos = 1;
    Parse p = read_varint(b, pos, h.remaining);
    if (p != Parse::Ok) return p;
    h.size = static_cast<uint8_t>(pos);
    const uint32_t n = h.remaining;
    switch (h.type) {
    case PUBLISH: {
        uint8_t qos = (h.flags >> 1) & 3;
        if (qos == 3 || (qos == 0 && (h.flags & 8))) return Parse::Invalid;  // DUP only with QoS > 0
        return n >= 2u + (qos ? 2u : 0u) ? Parse::Ok : Parse::Invalid;
    }
    case PUBREL:
    case SUBSCRIBE:
    case UNSUBSCRIBE:
        if (h.flags != 2) return Parse::Invalid;
        return n >= (h.type == PUBREL ? 2u : 5u) ? Parse::Ok : Parse::Invalid;
    case CONNECT: return h.flags == 0 && n >= 12 ? Parse::Ok : Parse::Invalid;
    case CONNACK:
    case PUBACK:
    case PUBREC:
    case PUBCOMP:
    case UNSUBACK: return h.flags == 0 && n >= 2 ? Parse::Ok : Parse::Invalid;
    case SUBACK: return h.flags == 0 && n >= 3 ? Parse::Ok : Parse::Invalid;
    case PINGREQ:
    case PINGRESP: return h.flags == 0 && n == 0 ? Parse::Ok : Parse::Invalid;
    case DISCONNECT:
    case AUTH: return h.flags == 0 ? Parse::Ok : Parse::Invalid;
    default: return Parse::Invalid;  // 0 is reserved
    }
}

bool plausible_topic(std::string_view t, bool filter)
{
    if (t.empty()) return false;
    size_t i = 0;
    while (i < t.size()) {
        unsigned char c = static_cast<unsigned char>(t[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return false;
            if (!filter && (c == '+' || c == '#')) return false;
            i++;
            continue;
        }
        // UTF-8 multi-byte sequence
        size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || i + n > t.size() || c == 0xC0 || c == 0xC1 || c > 0xF4) return false;
        for (size_t k = 1; k < n; k++)
            if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

Parse parse_connect(std::string_view b, Connect& out)
{
    size_t pos = 0;
    std::string_view name;
    Parse p = read_string(b, pos, name);
    if (p != Parse::Ok) return p;
    if (name != "MQTT" && name != "MQIsdp") return Parse::Invalid;
    if (pos + 4 > b.size()) return Parse::NeedMore;
    uint8_t level = static_cast<uint8_t>(b[pos]);
    uint8_t flags = static_cast<uint8_t>(b[pos + 1]);
    if ((name == "MQTT") != (level == 4 || level == 5)) return Parse::Invalid;
    if (name == "MQIsdp" && level != 3) return Parse::Invalid;
    if (flags & 1) return Parse::Invalid;  // reserved
    bool will = flags & 4;
    uint8_t will_qos = (flags >> 3) & 3;
    if (will_qos == 3 || (!will && (will_qos || (flags & 0x20)))) return Parse::Invalid;
    if (level != 5 && !(flags & 0x80) && (flags & 0x40)) return Parse::Invalid;  // password needs a user name
    pos += 4;  // level, flags, keep alive
    if (level == 5) {
        p = skip_properties(b, pos, b.size() + kMaxRemaining, nullptr);
        if (p != Parse::Ok) return p;
    }
    std::string_view id;
    p = read_string(b, pos, id);
    if (p != Parse::Ok) return p;
    out.level = level;
    out.client_id = id;
    return Parse::Ok;
}

Parse parse_publish(const FixedHeader& h, std::string_view b, uint8_t level, Publish& out)
{
    const size_t end = h.remaining;
    size_t pos = 0;
    out.qos = (h.flags >> 1) & 3;
    out.dup = h.flags & 8;
    Parse p = read_string(b, pos, out.topic);
    if (p != Parse::Ok) return p;
    if (pos > end) return Parse::Invalid;
    if (!out.topic.empty() && !plausible_topic(out.topic, false)) return Parse::Invalid;
    if (out.qos > 0) {
        p = read_u16(b, pos, out.packet_id);
        if (p != Parse::Ok) return p;
        if (out.packet_id == 0 || pos > end) return Parse::Invalid;
    }
    out.topic_alias = 0;
    // MQTT 5 (or unknown with an empty topic, which only MQTT 5 allows): properties.
    if (level == 5 || (level == 0 && out.topic.empty())) {
        p = skip_properties(b, pos, end, &out.topic_alias);
        if (p != Parse::Ok) return p;
    }
    if (out.topic.empty() && out.topic_alias == 0) return Parse::Invalid;
    return Parse::Ok;
}

Parse parse_subscribe(std::string_view b, uint8_t level, Subscribe& out)
{
    size_t pos = 0;
    Parse p = read_u16(b, pos, out.packet_id);
    if (p != Parse::Ok) return p;
    if (out.packet_id == 0) return Parse::Invalid;
    auto filter_at = [&](size_t at) -> Parse {
        std::string_view f;
        Parse q = read_string(b, at, f);
        if (q != Parse::Ok) return q;
        if (!plausible_topic(f, true)) return Parse::Invalid;
        if (at >= b.size()) return Parse::NeedMore;  // the options byte
        out.first_filter = f;
        return Parse::Ok;
    };
    if (level == 5) {
        p = skip_properties(b, pos, b.size() + kMaxRemaining, nullptr);
        if (p != Parse::Ok) return p;
        return filter_at(pos);
    }
    if (level != 0) return filter_at(pos);
    // Unknown version: MQTT 3 puts the filter right after the packet id (a filter is never empty),
    // MQTT 5 first has properties.
    Parse v3 = filter_at(pos);
    if (v3 == Parse::Ok) return v3;
    size_t p5 = pos;
    p = skip_properties(b, p5, b.size() + kMaxRemaining, nullptr);
    if (p != Parse::Ok) return v3 == Parse::NeedMore ? v3 : p;
    return filter_at(p5);
}

Parse parse_ack(const FixedHeader& h, std::string_view b, Ack& out)
{
    size_t pos = 0;
    Parse p = read_u16(b, pos, out.packet_id);
    if (p != Parse::Ok) return p;
    if (out.packet_id == 0) return Parse::Invalid;
    out.reason = 0;
    if (h.type == SUBACK || h.type == UNSUBACK) return Parse::Ok;  // reason codes per filter follow
    if (h.remaining > 2 && b.size() > 2) out.reason = static_cast<uint8_t>(b[2]);
    return Parse::Ok;
}

}  // namespace obi::mqtt
