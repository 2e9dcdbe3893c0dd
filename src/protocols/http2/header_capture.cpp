// HeaderCapture: picks the few fields spans need out of a header block.
#include "protocols/http2/header_capture.h"

#include <cctype>
#include <charconv>

namespace obi::http2 {
namespace {

void keep(std::string& dst, std::string_view v) { dst.assign(v.substr(0, kMaxFieldValue)); }

// Decimal of 1..max_digits digits, nothing else.
bool parse_uint(std::string_view v, size_t max_digits, int& out)
{
    if (v.empty() || v.size() > max_digits) return false;
    int n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) return false;
    out = n;
    return true;
}

}  // namespace

void HeaderCapture::clear()
{
    has_method = has_path = has_authority = has_status = has_content_type = has_grpc_status = has_traceparent = false;
    method.clear();
    path.clear();
    authority.clear();
    content_type.clear();
    traceparent.clear();
    status = 0;
    grpc_status = -1;
}

void HeaderCapture::header(std::string_view name, std::string_view value)
{
    if (name.empty()) return;
    if (name[0] == ':') {
        if (name == ":method") {
            has_method = true;
            keep(method, value);
        } else if (name == ":path") {
            has_path = true;
            keep(path, value);
        } else if (name == ":authority") {
            has_authority = true;
            keep(authority, value);
        } else if (name == ":status") {
            int s = 0;
            if (parse_uint(value, 3, s) && s >= 100) {
                has_status = true;
                status = s;
            }
        }
        return;
    }
    if (name == "content-type") {
        has_content_type = true;
        keep(content_type, value);
    } else if (name == "grpc-status") {
        int s = 0;
        has_grpc_status = true;
        grpc_status = parse_uint(value, 2, s) && s <= 16 ? s : 2;  // gRPC: an unparsable status is UNKNOWN
    } else if (name == "traceparent") {
        has_traceparent = true;
        keep(traceparent, value);
    } else if (name == "host" && !has_authority) {  // HTTP/1-style Host instead of :authority
        has_authority = true;
        keep(authority, value);
    }
}

bool HeaderCapture::grpc_content() const
{
    constexpr std::string_view kGrpc = "application/grpc";
    if (!has_content_type || content_type.size() < kGrpc.size()) return false;
    for (size_t i = 0; i < kGrpc.size(); i++)
        if (std::tolower(static_cast<unsigned char>(content_type[i])) != kGrpc[i]) return false;
    return content_type.size() == kGrpc.size() || content_type[kGrpc.size()] == '+' ||
           content_type[kGrpc.size()] == ';';
}

}  // namespace obi::http2
