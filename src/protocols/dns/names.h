// Text names of DNS opcodes and response codes (IANA DNS parameters registry), as span
// operations and error codes.
#pragma once

#include <cstdint>
#include <string>

namespace obi::dns {

// "QUERY", "IQUERY", "STATUS", "NOTIFY", "UPDATE", "DSO"; the number for unassigned ones.
std::string opcode_name(uint8_t opcode);

// "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", ... (extended EDNS codes included, 16 is
// "BADVERS"); the number for unassigned ones.
std::string rcode_name(int rcode);

}  // namespace obi::dns
