// Host header splitting, including bracketed IPv6 literals.
#include "protocols/http1/host_port.h"

namespace obi::http1 {
namespace {

bool parse_port(std::string_view s, uint16_t& port)
{
    if (s.empty()) {
        port = 0;
        return true;
    }
    if (s.size() > 5) return false;
    uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v > 65535) return false;
    port = static_cast<uint16_t>(v);
    return true;
}

}  // namespace

bool split_host_port(std::string_view host, std::string_view& name, uint16_t& port)
{
    std::string_view n;
    uint16_t p = 0;
    if (!host.empty() && host.front() == '[') {
        size_t close = host.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        n = host.substr(1, close - 1);
        std::string_view rest = host.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || !parse_port(rest.substr(1), p)) return false;
        }
    } else {
        size_t colon = host.find(':');
        if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos) {
            n = host.substr(0, colon);
            if (!parse_port(host.substr(colon + 1), p)) return false;
        } else {
            n = host;  // no port, or an unbracketed IPv6 literal
        }
    }
    if (n.empty()) return false;
    name = n;
    port = p;
    return true;
}

}  // namespace obi::http1
