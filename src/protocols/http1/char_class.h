// Character classes of RFC 9110/9112 used by the HTTP/1 parsers (table lookups, no locale).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace obi::http1::chars {

namespace detail {
constexpr uint8_t kToken = 1;        // tchar: field names, methods
constexpr uint8_t kTarget = 2;       // request-target bytes: VCHAR and obs-text
constexpr uint8_t kFieldValue = 4;   // field-value / reason-phrase bytes: VCHAR, obs-text, SP, HTAB
constexpr uint8_t kHex = 8;

constexpr std::array<uint8_t, 256> make_table()
{
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; c++) {
        uint8_t v = 0;
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos)
            v |= kToken;
        if ((c > 0x20 && c < 0x7f) || c >= 0x80) v |= kTarget | kFieldValue;
        if (c == ' ' || c == '\t') v |= kFieldValue;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
        t[c] = v;
    }
    return t;
}
inline constexpr std::array<uint8_t, 256> kTable = make_table();
}  // namespace detail

inline bool is_token(char c) { return detail::kTable[static_cast<uint8_t>(c)] & detail::kToken; }
inline bool is_target(char c) { return detail::kTable[static_cast<uint8_t>(c)] & detail::kTarget; }
inline bool is_field_value(char c) { return detail::kTable[static_cast<uint8_t>(c)] & detail::kFieldValue; }
inline bool is_hex(char c) { return detail::kTable[static_cast<uint8_t>(c)] & detail::kHex; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// ASCII case-insensitive equality; `lower` must already be lower case.
inline bool iequals(std::string_view s, std::string_view lower)
{
    if (s.size() != lower.size()) return false;
    for (size_t i = 0; i < s.size(); i++) {
        if (to_lower(s[i]) != lower[i]) return false;
    }
    return true;
}

inline std::string_view trim_ows(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace obi::http1::chars
