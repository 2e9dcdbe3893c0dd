// HPACK representation boundaries: prefix integers and string lengths only.
#include "protocols/http2/hpack_walk.h"

namespace obi::http2 {
namespace {

constexpr uint64_t kMaxInt = 1ull << 32;

// Skips one string literal (H bit + 7-bit prefix length + octets).
WalkStatus skip_string(std::string_view b, size_t& pos)
{
    uint64_t len = 0;
    WalkStatus st = read_hpack_int(b, pos, 7, len);
    if (st != WalkStatus::Ok) return st;
    if (len > b.size() - pos) return WalkStatus::Truncated;
    pos += static_cast<size_t>(len);
    return WalkStatus::Ok;
}

}  // namespace

WalkStatus read_hpack_int(std::string_view b, size_t& pos, unsigned prefix_bits, uint64_t& value)
{
    if (pos >= b.size()) return WalkStatus::Truncated;
    const uint64_t max_prefix = (1u << prefix_bits) - 1;
    value = static_cast<uint8_t>(b[pos++]) & max_prefix;
    if (value < max_prefix) return WalkStatus::Ok;
    unsigned shift = 0;
    while (true) {
        if (pos >= b.size()) return WalkStatus::Truncated;
        uint8_t byte = static_cast<uint8_t>(b[pos++]);
        value += uint64_t{byte & 0x7fu} << shift;
        if (value > kMaxInt) return WalkStatus::Invalid;
        if (!(byte & 0x80)) return WalkStatus::Ok;
        shift += 7;
        if (shift > 28) return WalkStatus::Invalid;
    }
}

WalkStatus walk_representation(std::string_view block, size_t start, Representation& out)
{
    if (start >= block.size()) return WalkStatus::Truncated;
    const uint8_t first = static_cast<uint8_t>(block[start]);
    size_t pos = start;
    unsigned prefix;
    if (first & 0x80) {
        out.kind = RepKind::Indexed;
        prefix = 7;
    } else if (first & 0x40) {
        out.kind = RepKind::LiteralIncremental;
        prefix = 6;
    } else if (first & 0x20) {
        out.kind = RepKind::SizeUpdate;
        prefix = 5;
    } else {
        out.kind = (first & 0x10) ? RepKind::LiteralNeverIndexed : RepKind::LiteralNoIndex;
        prefix = 4;
    }
    WalkStatus st = read_hpack_int(block, pos, prefix, out.index);
    if (st != WalkStatus::Ok) return st;
    if (out.kind == RepKind::Indexed || out.kind == RepKind::SizeUpdate) {
        out.len = pos - start;
        out.value_off = 0;
        return WalkStatus::Ok;
    }
    if (out.index == 0 && (st = skip_string(block, pos)) != WalkStatus::Ok) return st;  // literal name
    out.value_off = pos - start;
    if ((st = skip_string(block, pos)) != WalkStatus::Ok) return st;
    out.len = pos - start;
    return WalkStatus::Ok;
}

}  // namespace obi::http2
