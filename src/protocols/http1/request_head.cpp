// Request-line parsing and target decomposition; the header fields are parsed by
// header_block.cpp. Each byte is examined once, so invalid input is rejected early.
#include "protocols/http1/request_head.h"

#include "protocols/http1/char_class.h"
#include "protocols/http1/header_block.h"

namespace obi::http1 {
namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";

// "scheme://" at the start of an absolute-form target: returns the offset after "//", or 0.
size_t absolute_form_authority_start(std::string_view target)
{
    size_t i = 0;
    while (i < target.size()) {
        char c = target[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool scheme_char = alpha || chars::is_digit(c) || c == '+' || c == '-' || c == '.';
        if (!(i == 0 ? alpha : scheme_char)) break;
        i++;
    }
    if (i == 0 || target.substr(i, 3) != "://") return 0;
    return i + 3;
}

void decompose_target(std::string_view target, RequestHead& h)
{
    std::string_view rest = target;
    if (target.front() != '/') {
        if (target == "*") {
            h.path = target;
            return;
        }
        size_t start = absolute_form_authority_start(target);
        if (start == 0) {  // authority-form (CONNECT host:port)
            h.authority = target;
            h.path = target;
            return;
        }
        size_t end = target.find_first_of("/?#", start);
        h.authority = target.substr(start, end - start);
        rest = end == std::string_view::npos ? std::string_view() : target.substr(end);
        if (rest.empty() || rest.front() != '/') {
            h.path = "/";  // static storage: "http://host?q" has the path "/"
            if (!rest.empty() && rest.front() == '?') h.query = rest.substr(1);
            return;
        }
    }
    size_t q = rest.find('?');
    h.path = rest.substr(0, q);
    if (q != std::string_view::npos) h.query = rest.substr(q + 1);
}

ParseStatus parse_window(std::string_view buf, RequestHead& out)
{
    const size_t n = buf.size();
    size_t i = 0;
    // RFC 9112 2.2: one empty line before the request-line is ignored (some clients send a
    // CRLF after a POST body).
    if (n > 0 && buf[0] == '\r') {
        if (n == 1) return ParseStatus::NeedMore;
        if (buf[1] != '\n') return ParseStatus::Invalid;
        i = 2;
    } else if (n > 0 && buf[0] == '\n') {
        i = 1;
    }
    const size_t method_start = i;
    while (i < n && chars::is_token(buf[i])) {
        if (++i - method_start > kMaxMethodLen) return ParseStatus::Invalid;
    }
    if (i == n) return ParseStatus::NeedMore;
    if (i == method_start || buf[i] != ' ') return ParseStatus::Invalid;
    const size_t target_start = ++i;
    while (i < n && chars::is_target(buf[i])) i++;
    if (i == n) return ParseStatus::NeedMore;
    if (i == target_start || buf[i] != ' ') return ParseStatus::Invalid;  // also HTTP/0.9 "GET /\r\n"
    const size_t target_end = i++;
    for (size_t k = 0; k < kVersionPrefix.size(); k++, i++) {
        if (i == n) return ParseStatus::NeedMore;
        if (buf[i] != kVersionPrefix[k]) return ParseStatus::Invalid;
    }
    if (i == n) return ParseStatus::NeedMore;
    if (!chars::is_digit(buf[i])) return ParseStatus::Invalid;
    const int minor = buf[i++] - '0';
    if (i == n) return ParseStatus::NeedMore;
    if (buf[i] == '\r') {
        if (++i == n) return ParseStatus::NeedMore;
    }
    if (buf[i] != '\n') return ParseStatus::Invalid;
    i++;

    detail::HeaderFields f;
    size_t head_len = 0;
    ParseStatus st = detail::parse_header_block(buf, i, f, head_len);
    if (st != ParseStatus::Complete) return st;

    RequestHead h;
    h.method = buf.substr(method_start, target_start - 1 - method_start);
    h.target = buf.substr(target_start, target_end - target_start);
    decompose_target(h.target, h);
    h.version_minor = minor;
    h.host = f.host;
    h.content_length = f.content_length;
    h.has_transfer_encoding = f.has_transfer_encoding;
    h.chunked = f.chunked;
    h.connection_close = minor == 0 ? !f.keep_alive_token : f.close_token;
    h.expect_continue = f.expect_continue;
    h.traceparent = f.traceparent;
    h.user_agent = f.user_agent;
    h.head_len = head_len;
    out = h;
    return ParseStatus::Complete;
}

}  // namespace

ParseStatus parse_request_head(std::string_view buf, RequestHead& out)
{
    ParseStatus st = parse_window(buf.substr(0, kMaxHeadLen), out);
    if (st == ParseStatus::NeedMore && buf.size() >= kMaxHeadLen) return ParseStatus::Invalid;
    return st;
}

}  // namespace obi::http1
