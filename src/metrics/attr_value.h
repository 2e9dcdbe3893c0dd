// Attribute values as recorders pass them (non-owning views: no allocation per recording)
// and as series keep them (owned), plus the hash that finds a series without building strings.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "spans/attributes.h"

namespace obi::metrics {

enum class ValueType : uint8_t { Absent, String, Int, Double, Bool };

// A view of one attribute value. Absent: the attribute is left off the data point
// (e.g. http.route when no route was decided).
struct AttrValue {
    ValueType type = ValueType::Absent;
    int64_t i = 0;  // Int, Bool (0/1)
    double d = 0;
    std::string_view s;

    static AttrValue absent() { return {}; }
    static AttrValue str(std::string_view v) { return {ValueType::String, 0, 0, v}; }
    static AttrValue integer(int64_t v) { return {ValueType::Int, v, 0, {}}; }
    static AttrValue real(double v) { return {ValueType::Double, 0, v, {}}; }
    static AttrValue boolean(bool v) { return {ValueType::Bool, v ? 1 : 0, 0, {}}; }
    // String, or Absent when empty.
    static AttrValue str_or_absent(std::string_view v) { return v.empty() ? absent() : str(v); }
};

// The owned copy a series keeps of each selected attribute value.
struct OwnedValue {
    ValueType type = ValueType::Absent;
    int64_t i = 0;
    double d = 0;
    std::string s;

    OwnedValue() = default;
    explicit OwnedValue(const AttrValue& v) : type(v.type), i(v.i), d(v.d), s(v.s) {}
    bool equals(const AttrValue& v) const
    {
        if (type != v.type) return false;
        switch (type) {
        case ValueType::Absent: return true;
        case ValueType::String: return s == v.s;
        case ValueType::Double: return std::memcmp(&d, &v.d, sizeof d) == 0;
        default: return i == v.i;
        }
    }
};

// The OpenTelemetry attribute for an owned value (Absent values have none: check first).
inline Attribute to_attribute(const std::string& key, const OwnedValue& v)
{
    switch (v.type) {
    case ValueType::Int: return {key, v.i};
    case ValueType::Double: return {key, v.d};
    case ValueType::Bool: return {key, v.i != 0};
    default: return {key, v.s};
    }
}

// 64-bit hashing for series lookup (collisions are resolved by comparing values).
inline uint64_t hash_mix(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

inline uint64_t hash_bytes(uint64_t seed, std::string_view text)
{
    constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
    uint64_t h = seed ^ (text.size() * kMul);
    const char* p = text.data();
    const size_t len = text.size();
    auto step = [&](uint64_t w) {
        h = (h ^ w) * kMul;
        h ^= h >> 29;
    };
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        step(w);
    }
    size_t rest = len - i;
    if (rest == 0) return h;
    // The tail with whole-word loads (a byte-wise copy would stall store forwarding); the
    // length is in the seed, so overlapping bytes cannot make two texts collide.
    uint64_t w;
    if (len >= 8) {
        std::memcpy(&w, p + len - 8, 8);
    } else if (rest >= 4) {
        uint32_t a, b;
        std::memcpy(&a, p + i, 4);
        std::memcpy(&b, p + len - 4, 4);
        w = (static_cast<uint64_t>(a) << 32) | b;
    } else {
        auto byte = [&](size_t k) { return static_cast<uint64_t>(static_cast<unsigned char>(p[k])); };
        w = (byte(i) << 16) | (byte(i + rest / 2) << 8) | byte(len - 1);
    }
    step(w);
    return h;
}

inline uint64_t hash_value(uint64_t seed, const AttrValue& v)
{
    uint64_t h = (seed ^ static_cast<uint64_t>(v.type)) * 0x100000001b3ULL;
    switch (v.type) {
    case ValueType::Absent: return h;
    case ValueType::String: return hash_bytes(h, v.s);
    case ValueType::Double: {
        uint64_t bits;
        std::memcpy(&bits, &v.d, sizeof bits);
        return hash_mix(h ^ bits);
    }
    default: return hash_mix(h ^ static_cast<uint64_t>(v.i));
    }
}

}  // namespace obi::metrics
