// Known-method and status-line prefix checks for connection classification.
#include "protocols/http1/classify.h"

namespace obi::http1 {
namespace {

bool starts_with_method(std::string_view s, std::string_view method)
{
    return s.size() > method.size() && s.substr(0, method.size()) == method && s[method.size()] == ' ';
}

}  // namespace

bool looks_like_request(std::string_view b)
{
    if (b.size() < 4) return false;
    switch (b[0]) {
    case 'G':
        return starts_with_method(b, "GET");
    case 'P':
        return starts_with_method(b, "POST") || starts_with_method(b, "PUT") || starts_with_method(b, "PATCH");
    case 'D':
        return starts_with_method(b, "DELETE");
    case 'H':
        return starts_with_method(b, "HEAD");
    case 'O':
        return starts_with_method(b, "OPTIONS");
    case 'C':
        return starts_with_method(b, "CONNECT");
    case 'T':
        return starts_with_method(b, "TRACE");
    default:
        return false;
    }
}

bool looks_like_response(std::string_view b)
{
    constexpr std::string_view kPrefix = "HTTP/1.";
    if (b.size() < kPrefix.size() || b.substr(0, kPrefix.size()) != kPrefix) return false;
    return b.size() == kPrefix.size() || (b[kPrefix.size()] >= '0' && b[kPrefix.size()] <= '9');
}

}  // namespace obi::http1
