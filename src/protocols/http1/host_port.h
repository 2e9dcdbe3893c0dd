// Splits a Host header value (or an authority) into host name and port.
#pragma once

#include <cstdint>
#include <string_view>

namespace obi::http1 {

// "example.com" -> ("example.com", 0); "example.com:8080" -> ("example.com", 8080);
// "[::1]:8080" -> ("::1", 8080); "[::1]" -> ("::1", 0); an unbracketed IPv6 literal "::1" is
// taken whole with port 0; "host:" (empty port) -> ("host", 0).
// Returns false, leaving name and port untouched, for an empty name, an unclosed '[', junk
// after ']', or a port that is not 1..5 digits <= 65535.
bool split_host_port(std::string_view host, std::string_view& name, uint16_t& port);

}  // namespace obi::http1
