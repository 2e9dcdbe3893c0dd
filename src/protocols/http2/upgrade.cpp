// is_h2c_upgrade: the Upgrade header of a 101 response names h2c.
#include <cctype>

#include "protocols/http2/conn_handler.h"

namespace obi::http2 {
namespace {

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

bool is_h2c_upgrade(std::string_view head)
{
    size_t eol = head.find('\n');
    if (eol == std::string_view::npos) return false;
    std::string_view rest = head.substr(eol + 1);
    while (!rest.empty()) {
        eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || !iequals(trim(line.substr(0, colon)), "upgrade")) continue;
        std::string_view list = line.substr(colon + 1);
        while (!list.empty()) {  // a comma-separated list of protocols
            size_t comma = list.find(',');
            if (iequals(trim(list.substr(0, comma)), "h2c")) return true;
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    return false;
}

}  // namespace obi::http2
