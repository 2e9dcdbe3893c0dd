// Internal: parses the field lines shared by request and response heads (through the blank
// line) and extracts the headers the agent needs. Not for use outside protocols/http1.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocols/http1/parse_status.h"

namespace obi::http1::detail {

struct HeaderFields {
    std::string_view host;         // first Host value, trimmed
    std::string_view traceparent;  // first traceparent value, trimmed
    std::string_view user_agent;   // first User-Agent value, trimmed
    int64_t content_length = -1;   // -1 when absent
    bool has_transfer_encoding = false;
    bool chunked = false;  // the final transfer coding is "chunked"
    bool close_token = false;
    bool keep_alive_token = false;
    bool expect_continue = false;
};

// Parses field lines starting at buf[pos]. On Complete, head_len is the offset just past the
// blank line. Lines may end in CRLF or a bare LF; a bare CR, a line without ':', whitespace
// before ':', obs-fold continuation lines, control bytes in a value, and bad or conflicting
// Content-Length values are Invalid. The caller bounds buf to kMaxHeadLen.
ParseStatus parse_header_block(std::string_view buf, size_t pos, HeaderFields& fields, size_t& head_len);

// Checks a line that is still missing its LF: NeedMore if it can still become valid, else
// Invalid. `line` starts at the line's first byte.
ParseStatus check_partial_field_line(std::string_view line);

}  // namespace obi::http1::detail
