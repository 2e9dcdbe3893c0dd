// How the end of an HTTP/1 message body is found (RFC 9112 section 6.3).
#pragma once

#include <cstdint>
#include <string_view>

#include "protocols/http1/request_head.h"
#include "protocols/http1/response_head.h"

namespace obi::http1 {

enum class BodyFraming : uint8_t {
    None,           // no body follows the head
    ContentLength,  // exactly content_length bytes (> 0) follow
    Chunked,        // chunked coding: use ChunkedScanner
    UntilClose,     // the body (or tunnel) runs until the connection closes
};

// Chunked > Content-Length > None. A request whose Transfer-Encoding does not end in
// chunked has no determinable length (the server must answer 400 and close): UntilClose.
BodyFraming request_framing(const RequestHead& req);

// HEAD requests and 1xx/204/304 responses: None. A 2xx answer to CONNECT: UntilClose
// (tunnel). Then chunked, then Content-Length (0 -> None); otherwise UntilClose.
// request_method is the method of the request this response answers ("" if unknown).
BodyFraming response_framing(const ResponseHead& resp, std::string_view request_method);

}  // namespace obi::http1
