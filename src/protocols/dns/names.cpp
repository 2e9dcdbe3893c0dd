// Opcode and RCODE names (RFC 1035, 1996, 2136, 6891, 8490, 2845, 2930, 4635, 7873).
#include "protocols/dns/names.h"

#include <iterator>
#include <string_view>

namespace obi::dns {

std::string opcode_name(uint8_t opcode)
{
    static constexpr std::string_view kNames[] = {"QUERY", "IQUERY", "STATUS", "", "NOTIFY", "UPDATE", "DSO"};
    if (opcode < std::size(kNames) && !kNames[opcode].empty()) return std::string(kNames[opcode]);
    return std::to_string(opcode);
}

std::string rcode_name(int rcode)
{
    static constexpr std::string_view kNames[] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",  "YXDOMAIN",  "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "",        "",         "",          "",
        "BADVERS", "BADKEY",  "BADTIME", "BADMODE",   "BADNAME", "BADALG",   "BADTRUNC",  "BADCOOKIE"};
    if (rcode >= 0 && rcode < static_cast<int>(std::size(kNames)) && !kNames[rcode].empty())
        return std::string(kNames[rcode]);
    return std::to_string(rcode);
}

}  // namespace obi::dns
