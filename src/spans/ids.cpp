// Hex formatting, traceparent parsing and random generation of W3C ids.
#include "spans/ids.h"

#include <sys/random.h>

#include <cstring>

namespace obi {
namespace {

constexpr char kHex[] = "0123456789abcdef";

template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& b)
{
    std::string out(2 * N, '0');
    for (size_t i = 0; i < N; i++) {
        out[2 * i] = kHex[b[i] >> 4];
        out[2 * i + 1] = kHex[b[i] & 0xf];
    }
    return out;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

template <size_t N>
bool from_hex(std::string_view s, std::array<uint8_t, N>& out)
{
    if (s.size() != 2 * N) return false;
    for (size_t i = 0; i < N; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}

template <size_t N>
bool any_nonzero(const std::array<uint8_t, N>& b)
{
    for (uint8_t v : b)
        if (v) return true;
    return false;
}

struct Xoshiro {
    uint64_t s[4];
    Xoshiro()
    {
        if (getrandom(s, sizeof(s), 0) != sizeof(s)) {
            uint64_t seed = reinterpret_cast<uintptr_t>(this) ^ 0x9e3779b97f4a7c15ull;
            for (auto& v : s) v = seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        }
    }
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t next()
    {
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
};

Xoshiro& rng()
{
    thread_local Xoshiro r;
    return r;
}

}  // namespace

bool TraceId::valid() const { return any_nonzero(bytes); }
bool SpanId::valid() const { return any_nonzero(bytes); }
std::string TraceId::hex() const { return to_hex(bytes); }
std::string SpanId::hex() const { return to_hex(bytes); }

std::optional<TraceParent> parse_traceparent(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
    // version(2) - trace(32) - parent(16) - flags(2); later versions may append fields.
    if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
    if (v.size() > 55 && v[55] != '-') return std::nullopt;
    std::array<uint8_t, 1> version{}, flags{};
    TraceParent tp;
    if (!from_hex(v.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
    if (version[0] == 0 && v.size() != 55) return std::nullopt;
    if (!from_hex(v.substr(3, 32), tp.trace_id.bytes) || !from_hex(v.substr(36, 16), tp.parent_id.bytes) ||
        !from_hex(v.substr(53, 2), flags))
        return std::nullopt;
    if (!tp.trace_id.valid() || !tp.parent_id.valid()) return std::nullopt;
    tp.flags = flags[0];
    return tp;
}

TraceId random_trace_id()
{
    TraceId id;
    uint64_t a = rng().next(), b = rng().next();
    std::memcpy(id.bytes.data(), &a, 8);
    std::memcpy(id.bytes.data() + 8, &b, 8);
    return id;
}

SpanId random_span_id()
{
    SpanId id;
    uint64_t a = rng().next() | 1;  // never all-zero
    std::memcpy(id.bytes.data(), &a, 8);
    return id;
}

}  // namespace obi
