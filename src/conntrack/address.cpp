// Address formatting with inet_ntop.
#include "conntrack/address.h"

#include <arpa/inet.h>

#include <cstring>

namespace obi::conntrack {

std::string format_address(const uint8_t addr[16])
{
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char buf[INET6_ADDRSTRLEN];
    if (std::memcmp(addr, kMapped, sizeof(kMapped)) == 0) {
        inet_ntop(AF_INET, addr + 12, buf, sizeof(buf));
    } else {
        inet_ntop(AF_INET6, addr, buf, sizeof(buf));
    }
    return buf;
}

}  // namespace obi::conntrack
