// Parser for port enumerations; accepts exactly OBI's grammar
// ^\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*$ and checks the port bounds.
#include "util/port_enum.h"

#include <cctype>

namespace obi {
namespace {

void skip_ws(std::string_view s, size_t& i)
{
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) i++;
}

bool read_port(std::string_view s, size_t& i, uint32_t& out)
{
    size_t start = i;
    out = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        out = out * 10 + (s[i] - '0');
        if (out > 1000000) out = 1000000;  // saturate; rejected below
        i++;
    }
    return i > start;
}

}  // namespace

std::optional<PortEnum> PortEnum::parse(std::string_view s, std::string* error)
{
    auto fail = [&](std::string msg) -> std::optional<PortEnum> {
        if (error)
            *error = "invalid port list '" + std::string(s) + "': " + msg +
                     " (expected ports and inclusive ranges separated by commas, e.g. 80,443,8000-8999)";
        return std::nullopt;
    };
    PortEnum pe;
    size_t i = 0;
    while (true) {
        skip_ws(s, i);
        uint32_t lo, hi;
        if (!read_port(s, i, lo)) {
            if (i >= s.size()) return fail(pe.ranges_.empty() ? "it is empty" : "it ends with a comma");
            return fail("'" + std::string(1, s[i]) + "' at position " + std::to_string(i + 1) + " is not a port number");
        }
        skip_ws(s, i);
        hi = lo;
        if (i < s.size() && s[i] == '-') {
            i++;
            skip_ws(s, i);
            if (!read_port(s, i, hi)) return fail("the range at position " + std::to_string(i + 1) + " has no end");
            skip_ws(s, i);
        }
        if (lo == 0 || lo > 65535 || hi == 0 || hi > 65535)
            return fail("ports must be between 1 and 65535");
        if (lo > hi) return fail("the range " + std::to_string(lo) + "-" + std::to_string(hi) + " is reversed");
        pe.ranges_.push_back({static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)});
        if (i >= s.size()) break;
        if (s[i] != ',') return fail("'" + std::string(1, s[i]) + "' at position " + std::to_string(i + 1) + " is unexpected");
        i++;
    }
    return pe;
}

bool PortEnum::contains(uint16_t port) const
{
    for (const auto& r : ranges_)
        if (port >= r.lo && port <= r.hi) return true;
    return false;
}

std::string PortEnum::to_string() const
{
    std::string out;
    for (const auto& r : ranges_) {
        if (!out.empty()) out += ",";
        out += std::to_string(r.lo);
        if (r.hi != r.lo) out += "-" + std::to_string(r.hi);
    }
    return out;
}

}  // namespace obi
