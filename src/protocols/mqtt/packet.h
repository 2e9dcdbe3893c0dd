// MQTT 3.1, 3.1.1 and 5 control packets: the fixed header (type, flags, remaining length as
// a variable byte integer of at most 4 bytes), the per-type flag and length rules, and the
// fields spans need from CONNECT, PUBLISH, SUBSCRIBE and the acknowledgements (MQTT 5
// properties are skipped by their length; a PUBLISH's topic alias is read from them).
#pragma once

#include <cstdint>
#include <string_view>

namespace obi::mqtt {

inline constexpr uint32_t kMaxRemaining = 268435455;  // 4-byte variable byte integer

enum PacketType : uint8_t {
    CONNECT = 1, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP,
    SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH,
};

enum class Parse : uint8_t { Ok, NeedMore, Invalid };

struct FixedHeader {
    uint8_t type = 0, flags = 0;
    uint32_t remaining = 0;
    uint8_t size = 0;  // bytes of the fixed header (2-5)
};

// Reads a fixed header at the start of `b`; checks the type's flags and length rules.
Parse parse_fixed_header(std::string_view b, FixedHeader& h);

// A variable byte integer (1-4 bytes) at `pos`; advances `pos`.
Parse read_varint(std::string_view b, size_t& pos, uint32_t& out);

// MQTT protocol level: 3 (3.1, "MQIsdp"), 4 (3.1.1), 5; 0 when not known yet.
struct Connect {
    uint8_t level = 0;
    std::string_view client_id;
};
// `body` is the whole variable header + payload (or its captured start).
Parse parse_connect(std::string_view body, Connect& out);

struct Publish {
    uint8_t qos = 0;
    bool dup = false;
    std::string_view topic;
    uint16_t packet_id = 0;
    uint16_t topic_alias = 0;  // MQTT 5 Topic Alias property (0: none)
};
// `level` 5 reads properties; 0 (unknown) reads them when the bytes say so.
Parse parse_publish(const FixedHeader& h, std::string_view body, uint8_t level, Publish& out);

struct Subscribe {
    uint16_t packet_id = 0;
    std::string_view first_filter;
};
Parse parse_subscribe(std::string_view body, uint8_t level, Subscribe& out);

// PUBACK/PUBREC/PUBREL/PUBCOMP/SUBACK/UNSUBACK: the packet id and (MQTT 5 acks) the reason code.
struct Ack {
    uint16_t packet_id = 0;
    uint8_t reason = 0;
};
Parse parse_ack(const FixedHeader& h, std::string_view body, Ack& out);

// Printable UTF-8 topic name of 1..65535 bytes; `filter` allows the + and # wildcards.
bool plausible_topic(std::string_view t, bool filter);

}  // namespace obi::mqtt
