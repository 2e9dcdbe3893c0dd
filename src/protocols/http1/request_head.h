// Zero-copy parser for an HTTP/1.x request head (request line + header fields). Every view
// points into the caller's buffer, which must outlive the RequestHead.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocols/http1/parse_status.h"

namespace obi::http1 {

struct RequestHead {
    std::string_view method;  // any RFC 9110 token, as sent (case kept)
    std::string_view target;  // request-target as sent
    // Target without the query; for absolute-form without "scheme://authority" ("/" when the
    // target has no path); "*" for asterisk-form; the authority itself for authority-form.
    std::string_view path;
    std::string_view query;      // after the first '?', without it; "" when absent
    std::string_view authority;  // "host:port" of an absolute- or authority-form target, else ""
    int version_minor = 1;       // HTTP/1.<version_minor>
    std::string_view host;       // Host header value as sent (trimmed), "" when absent
    int64_t content_length = -1;  // -1 when absent
    bool has_transfer_encoding = false;
    bool chunked = false;  // Transfer-Encoding whose final coding is chunked
    // The connection closes after this exchange: "Connection: close", or HTTP/1.0 without
    // "Connection: keep-alive".
    bool connection_close = false;
    bool expect_continue = false;  // "Expect: 100-continue"
    std::string_view traceparent;  // W3C traceparent header value, "" when absent
    std::string_view user_agent;
    size_t head_len = 0;  // bytes from buf's first byte through the blank line
};

// Complete: `out` holds the head and out.head_len bytes form it (the body, if any, follows).
// NeedMore: buf is a strict prefix of a possibly valid head; `out` is untouched.
// Invalid: buf cannot start an HTTP/1.x request (bad method token, method longer than
// kMaxMethodLen, missing or non-1.x version, control bytes, header line without ':', bad or
// conflicting Content-Length, head longer than kMaxHeadLen, ...); `out` is untouched.
// Header names are case-insensitive; lines may end in CRLF or a bare LF; one empty line
// before the request line is skipped (and counted in head_len).
ParseStatus parse_request_head(std::string_view buf, RequestHead& out);

}  // namespace obi::http1
