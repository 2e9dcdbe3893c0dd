// Field-line scanning for HTTP/1 heads: one memchr per line, then a validation pass over
// the name and the value; only the few headers the agent uses are interpreted.
#include "protocols/http1/header_block.h"

#include <cstring>

#include "protocols/http1/char_class.h"

namespace obi::http1::detail {
namespace {

using chars::iequals;
using chars::trim_ows;

// Calls fn(token) for each non-empty, trimmed element of a comma-separated list.
template <typename Fn>
void for_each_list_item(std::string_view list, Fn&& fn)
{
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view item = trim_ows(list.substr(0, comma));
        if (!item.empty()) fn(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

// "42" or a list of identical values "42, 42" (RFC 9110 8.6). Returns false when invalid.
bool parse_content_length(std::string_view value, int64_t& out)
{
    int64_t result = -1;
    bool ok = true;
    size_t items = 0;
    for_each_list_item(value, [&](std::string_view item) {
        items++;
        if (item.size() > kMaxContentLengthDigits) {
            ok = false;
            return;
        }
        int64_t v = 0;
        for (char c : item) {
            if (!chars::is_digit(c)) {
                ok = false;
                return;
            }
            v = v * 10 + (c - '0');
        }
        if (result >= 0 && v != result) ok = false;
        result = v;
    });
    if (!ok || items == 0) return false;
    out = result;
    return true;
}

bool apply_field(std::string_view name, std::string_view value, HeaderFields& f)
{
    switch (name.size()) {
    case 4:
        if (f.host.empty() && iequals(name, "host")) f.host = value;
        break;
    case 6:
        if (iequals(name, "expect")) f.expect_continue = f.expect_continue || iequals(value, "100-continue");
        break;
    case 10:
        if (iequals(name, "connection")) {
            for_each_list_item(value, [&](std::string_view t) {
                if (iequals(t, "close")) f.close_token = true;
                if (iequals(t, "keep-alive")) f.keep_alive_token = true;
            });
        } else if (f.user_agent.empty() && iequals(name, "user-agent")) {
            f.user_agent = value;
        }
        break;
    case 11:
        if (f.traceparent.empty() && iequals(name, "traceparent")) f.traceparent = value;
        break;
    case 14:
        if (iequals(name, "content-length")) {
            int64_t v = -1;
            if (!parse_content_length(value, v)) return false;
            if (f.content_length >= 0 && f.content_length != v) return false;  // conflicting lengths
            f.content_length = v;
        }
        break;
    case 17:
        if (iequals(name, "transfer-encoding")) {
            f.has_transfer_encoding = true;
            for_each_list_item(value, [&](std::string_view coding) {
                f.chunked = iequals(trim_ows(coding.substr(0, coding.find(';'))), "chunked");
            });
        }
        break;
    default:
        break;
    }
    return true;
}

// Splits a complete line (no LF, maybe a trailing CR) into name and trimmed value.
bool split_field_line(std::string_view line, std::string_view& name, std::string_view& value)
{
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t i = 0;
    while (i < line.size() && chars::is_token(line[i])) i++;
    if (i == 0 || i == line.size() || line[i] != ':') return false;
    for (size_t j = i + 1; j < line.size(); j++) {
        if (!chars::is_field_value(line[j])) return false;
    }
    name = line.substr(0, i);
    value = trim_ows(line.substr(i + 1));
    return true;
}

}  // namespace

ParseStatus check_partial_field_line(std::string_view line)
{
    size_t i = 0;
    while (i < line.size() && chars::is_token(line[i])) i++;
    if (i == line.size()) return ParseStatus::NeedMore;  // still in the name
    if (i == 0 || line[i] != ':') return ParseStatus::Invalid;
    for (size_t j = i + 1; j < line.size(); j++) {
        if (chars::is_field_value(line[j])) continue;
        if (line[j] == '\r' && j + 1 == line.size()) continue;  // CR of a CRLF still arriving
        return ParseStatus::Invalid;
    }
    return ParseStatus::NeedMore;
}

ParseStatus parse_header_block(std::string_view buf, size_t pos, HeaderFields& fields, size_t& head_len)
{
    const size_t n = buf.size();
    while (true) {
        if (pos >= n) return ParseStatus::NeedMore;
        if (buf[pos] == '\n') {
            head_len = pos + 1;
            return ParseStatus::Complete;
        }
        if (buf[pos] == '\r') {
            if (pos + 1 >= n) return ParseStatus::NeedMore;
            if (buf[pos + 1] != '\n') return ParseStatus::Invalid;
            head_len = pos + 2;
            return ParseStatus::Complete;
        }
        const void* nl = std::memchr(buf.data() + pos, '\n', n - pos);
        if (nl == nullptr) return check_partial_field_line(buf.substr(pos));
        size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
        std::string_view name, value;
        if (!split_field_line(buf.substr(pos, end - pos), name, value)) return ParseStatus::Invalid;
        if (!apply_field(name, value, fields)) return ParseStatus::Invalid;
        pos = end + 1;
    }
}

}  // namespace obi::http1::detail
