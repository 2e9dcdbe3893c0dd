// Cheap checks that classify a connection as HTTP/1 from the first bytes seen in either
// direction, before any full parse.
#pragma once

#include <string_view>

namespace obi::http1 {

// True when first_bytes start with one of GET POST PUT DELETE HEAD OPTIONS PATCH CONNECT
// TRACE followed by a space. Extension methods (PROPFIND, ...) parse fine with
// parse_request_head but are not used to classify an unknown connection.
bool looks_like_request(std::string_view first_bytes);

// True when first_bytes start with "HTTP/1." followed by a digit (or end there).
bool looks_like_response(std::string_view first_bytes);

}  // namespace obi::http1
