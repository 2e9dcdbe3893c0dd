// Status-line parsing; the header fields are parsed by header_block.cpp.
#include "protocols/http1/response_head.h"

#include "protocols/http1/char_class.h"
#include "protocols/http1/header_block.h"

namespace obi::http1 {
namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";

ParseStatus parse_window(std::string_view buf, ResponseHead& out)
{
    const size_t n = buf.size();
    size_t i = 0;
    for (; i < kVersionPrefix.size(); i++) {
        if (i == n) return ParseStatus::NeedMore;
        if (buf[i] != kVersionPrefix[i]) return ParseStatus::Invalid;
    }
    if (i == n) return ParseStatus::NeedMore;
    if (!chars::is_digit(buf[i])) return ParseStatus::Invalid;
    const int minor = buf[i++] - '0';
    if (i == n) return ParseStatus::NeedMore;
    if (buf[i++] != ' ') return ParseStatus::Invalid;
    int status = 0;
    for (int k = 0; k < 3; k++, i++) {
        if (i == n) return ParseStatus::NeedMore;
        if (!chars::is_digit(buf[i])) return ParseStatus::Invalid;
        status = status * 10 + (buf[i] - '0');
    }
    if (status < 100) return ParseStatus::Invalid;
    if (i == n) return ParseStatus::NeedMore;
    size_t reason_start = i, reason_end = i;
    if (buf[i] == ' ') {
        reason_start = ++i;
        while (i < n && chars::is_field_value(buf[i])) i++;
        if (i == n) return ParseStatus::NeedMore;
        reason_end = i;
    }
    if (buf[i] == '\r') {
        if (++i == n) return ParseStatus::NeedMore;
    }
    if (buf[i] != '\n') return ParseStatus::Invalid;  // also "2000", control bytes in the reason
    i++;

    detail::HeaderFields f;
    size_t head_len = 0;
    ParseStatus st = detail::parse_header_block(buf, i, f, head_len);
    if (st != ParseStatus::Complete) return st;

    ResponseHead h;
    h.status = status;
    h.version_minor = minor;
    h.reason = chars::trim_ows(buf.substr(reason_start, reason_end - reason_start));
    h.content_length = f.content_length;
    h.has_transfer_encoding = f.has_transfer_encoding;
    h.chunked = f.chunked;
    h.connection_close = minor == 0 ? !f.keep_alive_token : f.close_token;
    h.head_len = head_len;
    out = h;
    return ParseStatus::Complete;
}

}  // namespace

ParseStatus parse_response_head(std::string_view buf, ResponseHead& out)
{
    ParseStatus st = parse_window(buf.substr(0, kMaxHeadLen), out);
    if (st == ParseStatus::NeedMore && buf.size() >= kMaxHeadLen) return ParseStatus::Invalid;
    return st;
}

}  // namespace obi::http1
