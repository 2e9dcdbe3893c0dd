// Parsing and printing of Go-syntax durations.
#include "config/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

namespace obi::config {
namespace {

struct Unit {
    std::string_view name;
    int64_t ns;
};
// Longest names first so "ms" is not read as "m" followed by "s".
constexpr Unit kUnits[] = {
    {"ns", 1}, {"us", 1000}, {"\xC2\xB5s", 1000}, {"\xCE\xBCs", 1000}, {"ms", 1000000},
    {"s", 1000000000}, {"m", 60LL * 1000000000}, {"h", 3600LL * 1000000000},
};

constexpr std::string_view kExpected = "expected a duration such as 500ms, 5s, 1m30s or 1h";

}  // namespace

std::optional<Duration> parse_duration(std::string_view s, std::string* error)
{
    auto fail = [&](std::string msg) -> std::optional<Duration> {
        if (error) *error = std::move(msg);
        return std::nullopt;
    };
    std::string_view orig = s;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    if (s.empty()) return fail("'" + std::string(orig) + "' is empty; " + std::string(kExpected));
    if (s.front() == '-') return fail("'" + std::string(orig) + "' is negative; durations must be 0 or more");
    if (s.front() == '+') s.remove_prefix(1);
    if (s == "0") return Duration::zero();

    long double total = 0;
    size_t i = 0;
    while (i < s.size()) {
        size_t start = i;
        long double value = 0;
        bool digits = false;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            value = value * 10 + (s[i] - '0');
            i++;
            digits = true;
        }
        if (i < s.size() && s[i] == '.') {
            i++;
            long double scale = 0.1L;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
                value += (s[i] - '0') * scale;
                scale /= 10;
                i++;
                digits = true;
            }
        }
        if (!digits)
            return fail("'" + std::string(orig) + "': expected a number at position " + std::to_string(start + 1) +
                        "; " + std::string(kExpected));
        if (i >= s.size()) {
            std::string hint = std::string(s.substr(start)) + "s";
            return fail("'" + std::string(orig) + "' has no unit (write e.g. " + hint + " or " +
                        std::string(s.substr(start)) + "ms)");
        }
        const Unit* unit = nullptr;
        for (const auto& u : kUnits) {
            if (s.substr(i, u.name.size()) == u.name &&
                (unit == nullptr || u.name.size() > unit->name.size()))
                unit = &u;
        }
        if (unit == nullptr) {
            size_t end = i;
            while (end < s.size() && !std::isdigit(static_cast<unsigned char>(s[end])) && s[end] != '.') end++;
            return fail("'" + std::string(orig) + "': unknown unit '" + std::string(s.substr(i, end - i)) +
                        "' (use ns, us, ms, s, m or h)");
        }
        total += value * unit->ns;
        i += unit->name.size();
    }
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max()))
        return fail("'" + std::string(orig) + "' is too long");
    return Duration(static_cast<int64_t>(total + 0.5L));
}

std::string format_duration(Duration d)
{
    int64_t ns = d.count();
    if (ns == 0) return "0s";
    std::string sign;
    uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
    if (ns < 0) sign = "-";

    // "<int>.<frac>" with trailing zeros of the fraction removed.
    auto fixed = [](uint64_t v, uint64_t unit) {
        std::string out = std::to_string(v / unit);
        uint64_t frac = v % unit;
        if (frac != 0) {
            std::string f = std::to_string(frac);
            std::string digits = std::to_string(unit).substr(1);  // as many digits as zeros in unit
            f = std::string(digits.size() - f.size(), '0') + f;
            while (!f.empty() && f.back() == '0') f.pop_back();
            out += "." + f;
        }
        return out;
    };
    if (u < 1000) return sign + std::to_string(u) + "ns";
    if (u < 1000000) return sign + fixed(u, 1000) + "\xC2\xB5s";
    if (u < 1000000000) return sign + fixed(u, 1000000) + "ms";

    uint64_t hours = u / 3600000000000ULL;
    u %= 3600000000000ULL;
    uint64_t minutes = u / 60000000000ULL;
    u %= 60000000000ULL;
    std::string out = sign;
    if (hours > 0) out += std::to_string(hours) + "h";
    if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
    out += fixed(u, 1000000000) + "s";
    return out;
}

}  // namespace obi::config
