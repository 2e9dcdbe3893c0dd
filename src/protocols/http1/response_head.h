// Zero-copy parser for an HTTP/1.x response head (status line + header fields).
#pragma once

#include <cstdint>
#include <string_view>

#include "protocols/http1/parse_status.h"

namespace obi::http1 {

struct ResponseHead {
    int status = 0;  // 100..999
    int version_minor = 1;
    std::string_view reason;      // reason phrase, may be empty
    int64_t content_length = -1;  // -1 when absent
    bool has_transfer_encoding = false;
    bool chunked = false;
    // The server closes after this response: "Connection: close", or HTTP/1.0 without
    // "Connection: keep-alive".
    bool connection_close = false;
    size_t head_len = 0;  // bytes through the blank line
};

// Same contract as parse_request_head. The status line is "HTTP/1.<d> <3 digits>" followed by
// SP reason, or directly by the line end; the status must be 100..999.
ParseStatus parse_response_head(std::string_view buf, ResponseHead& out);

}  // namespace obi::http1
