// Redis command-line sanitisation.
#include "protocols/redis/sanitize.h"

#include <algorithm>
#include <cctype>

namespace obi::redis {
namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
}

// Commands whose first argument is not a key (keep nothing but the command itself).
bool keyless(std::string_view cmd)
{
    static constexpr std::string_view kKeyless[] = {"AUTH", "HELLO", "ECHO", "PING", "SELECT", "CONFIG", "CLIENT",
                                                     "EVAL", "EVALSHA", "SCRIPT", "PUBLISH", "SUBSCRIBE", "ACL",
                                                     "MIGRATE", "FUNCTION", "FCALL", "COMMAND"};
    return std::any_of(std::begin(kKeyless), std::end(kKeyless), [&](std::string_view k) { return iequals(k, cmd); });
}

}  // namespace

std::string sanitize(std::string_view line)
{
    std::string out;
    size_t pos = 0, index = 0;
    std::string_view cmd;
    while (pos < line.size()) {
        size_t sp = line.find(' ', pos);
        std::string_view word = line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
        if (index == 0) cmd = word;
        if (!out.empty()) out += ' ';
        if (index == 0 || (index == 1 && !keyless(cmd))) out.append(word);
        else out += '?';
        index++;
        if (sp == std::string_view::npos) break;
        pos = sp + 1;
    }
    return out;
}

}  // namespace obi::redis
