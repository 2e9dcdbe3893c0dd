// Frame header decoding and the validity / plausibility rules of RFC 9113 sections 4 and 6.
#include "protocols/http2/frame.h"

namespace obi::http2 {
namespace {

constexpr uint32_t kMaxErrorCode = 0xd;  // HTTP_1_1_REQUIRED, the last code RFC 9113 defines

uint32_t be32(const uint8_t* p)
{
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Flags each known type defines; anything else must be sent as zero.
uint8_t defined_flags(uint8_t type)
{
    switch (type) {
    case kData: return kEndStream | kPadded;
    case kHeaders: return kEndStream | kEndHeaders | kPadded | kPriorityFlag;
    case kSettings:
    case kPing: return kAck;
    case kPushPromise: return kEndHeaders | kPadded;
    case kContinuation: return kEndHeaders;
    default: return 0;
    }
}

// Values of the registered settings must be in range; unknown identifiers are legal (gRPC
// sends 0xfe03, some clients "GREASE" values 0x?a?a) and receivers ignore them.
bool plausible_setting(uint16_t id, uint32_t value)
{
    switch (id) {
    case kSettingHeaderTableSize:
    case kSettingMaxConcurrentStreams:
    case kSettingMaxHeaderListSize: return true;
    case kSettingEnablePush:
    case kSettingEnableConnectProtocol:
    case kSettingNoRfc7540Priorities: return value <= 1;
    case kSettingInitialWindowSize: return value <= 0x7fffffffu;
    case kSettingMaxFrameSize: return value >= kDefaultMaxFrameSize && value <= kMaxMaxFrameSize;
    default: return id != 0;  // 0 is not an identifier anyone assigns
    }
}

}  // namespace

FrameHeader parse_frame_header(const uint8_t* p)
{
    FrameHeader h;
    h.length = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
    h.type = p[3];
    h.flags = p[4];
    uint32_t s = be32(p + 5);
    h.reserved = (s & 0x80000000u) != 0;
    h.stream = s & 0x7fffffffu;
    return h;
}

bool header_valid(const FrameHeader& h, uint32_t max_len)
{
    if (h.length > max_len) return false;
    const bool padded = (h.flags & kPadded) != 0;
    switch (h.type) {
    case kData: return h.stream != 0 && (!padded || h.length >= 1);
    case kHeaders: {
        uint32_t min = (padded ? 1 : 0) + ((h.flags & kPriorityFlag) ? 5 : 0);
        return h.stream != 0 && h.length >= min;
    }
    case kPriority: return h.stream != 0 && h.length == 5;
    case kRstStream: return h.stream != 0 && h.length == 4;
    case kSettings: return h.stream == 0 && h.length % 6 == 0 && (!(h.flags & kAck) || h.length == 0);
    case kPushPromise: return h.stream != 0 && h.length >= 4u + (padded ? 1 : 0);
    case kPing: return h.stream == 0 && h.length == 8;
    case kGoaway: return h.stream == 0 && h.length >= 8;
    case kWindowUpdate: return h.length == 4;
    case kContinuation: return h.stream != 0;
    default: return true;  // extension frame: skipped by length
    }
}

bool header_plausible(const FrameHeader& h, uint32_t max_len)
{
    if (h.type > kContinuation || h.reserved) return false;
    if ((h.flags & ~defined_flags(h.type)) != 0) return false;
    return header_valid(h, max_len);
}

bool payload_plausible(const FrameHeader& h, std::string_view payload)
{
    const auto* p = reinterpret_cast<const uint8_t*>(payload.data());
    const size_t n = payload.size();
    switch (h.type) {
    case kData:
    case kHeaders:
    case kPushPromise: {
        if (!(h.flags & kPadded) || n < 1) return true;
        uint32_t fixed = 1 + (h.type == kPushPromise ? 4 : 0) + ((h.type == kHeaders && (h.flags & kPriorityFlag)) ? 5 : 0);
        return fixed + p[0] <= h.length;  // the padding fits in the frame
    }
    case kPriority: return n < 4 || (be32(p) & 0x7fffffffu) != h.stream;  // a stream cannot depend on itself
    case kRstStream: return n < 4 || be32(p) <= kMaxErrorCode;
    case kSettings:
        for (size_t i = 0; i + 6 <= n; i += 6) {
            uint16_t id = static_cast<uint16_t>((p[i] << 8) | p[i + 1]);
            if (!plausible_setting(id, be32(p + i + 2))) return false;
        }
        return true;
    case kGoaway: return (n < 4 || !(p[0] & 0x80)) && (n < 8 || be32(p + 4) <= kMaxErrorCode);
    case kWindowUpdate: return n < 4 || (be32(p) != 0 && !(p[0] & 0x80));
    default: return true;
    }
}

Chain walk_chain(std::string_view captured, uint64_t total, uint32_t max_len)
{
    Chain c;
    size_t pos = 0;
    while (pos + kFrameHeaderLen <= captured.size() && pos < total) {
        FrameHeader h = parse_frame_header(captured.substr(pos));
        if (!header_plausible(h, max_len)) return Chain{};
        size_t avail = captured.size() - pos - kFrameHeaderLen;
        std::string_view payload = captured.substr(pos + kFrameHeaderLen, h.length < avail ? h.length : avail);
        if (!payload_plausible(h, payload)) return Chain{};
        if (c.frames == 0) c.first_settings = h.type == kSettings && !(h.flags & kAck);
        c.frames++;
        pos += kFrameHeaderLen + h.length;
        c.end = pos;
    }
    c.ok = c.frames > 0;
    return c;
}

}  // namespace obi::http2
