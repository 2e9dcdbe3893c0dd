// Text forms of the kernel's IPv4-mapped / IPv6 addresses.
#pragma once

#include <cstdint>
#include <string>

namespace obi::conntrack {

// "127.0.0.1" for IPv4-mapped addresses, RFC 5952 text for IPv6.
std::string format_address(const uint8_t addr[16]);

}  // namespace obi::conntrack
