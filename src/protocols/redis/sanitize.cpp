// Redis command-line sanitisation and credential masking.
#include "protocols/redis/sanitize.h"

#include <algorithm>
#include <cctype>

#include "protocols/redis/commands.h"

namespace obi::redis {
namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
}

bool icontains(std::string_view hay, std::string_view needle)
{
    if (needle.size() > hay.size()) return false;
    for (size_t i = 0; i + needle.size() <= hay.size(); i++)
        if (iequals(hay.substr(i, needle.size()), needle)) return true;
    return false;
}

// Commands whose first argument is not a key: nothing but the command itself is kept.
bool keyless(std::string_view cmd)
{
    static constexpr std::string_view kKeyless[] = {
        "AUTH",     "HELLO",       "ECHO",       "PING",        "SELECT",       "EVAL",     "EVALSHA",
        "EVAL_RO",  "EVALSHA_RO",  "FCALL",      "FCALL_RO",    "PUBLISH",      "SPUBLISH", "SUBSCRIBE",
        "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MIGRATE", "SWAPDB",
        "REPLICAOF", "SLAVEOF",    "FAILOVER",   "SHUTDOWN",    "WAIT",         "WAITAOF",  "DEBUG"};
    return std::any_of(std::begin(kKeyless), std::end(kKeyless), [&](std::string_view k) { return iequals(k, cmd); });
}

// Where the argument starting at `pos` ends (the space after it, or npos): a "double quoted"
// argument (with backslash escapes) may hold spaces.
size_t token_end(std::string_view line, size_t pos)
{
    if (pos < line.size() && line[pos] == '"') {
        for (pos++; pos < line.size() && line[pos] != '"'; pos++)
            if (line[pos] == '\\') pos++;
        if (pos >= line.size()) return std::string_view::npos;  // cut short
    }
    return line.find(' ', pos);
}

}  // namespace

std::string sanitize(std::string_view line)
{
    std::string out;
    out.reserve(line.size() < 64 ? line.size() : 64);
    size_t pos = 0, index = 0;
    std::string_view cmd;
    bool container = false;
    while (pos < line.size()) {
        size_t sp = token_end(line, pos);
        std::string_view word = line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
        if (index == 0) {
            cmd = word;
            container = container_command(cmd);
        }
        if (index > 0) out += ' ';
        bool keep = index == 0 || (index == 1 && (container ? command_token(word) : !keyless(cmd)));
        if (keep) out.append(word);
        else out += '?';
        index++;
        if (sp == std::string_view::npos) break;
        pos = sp + 1;
    }
    return out;
}

bool secret_argument(std::span<const std::string_view> args, size_t i)
{
    if (args.empty() || i == 0 || i >= args.size()) return false;
    std::string_view cmd = args[0];
    if (iequals(cmd, "AUTH")) return true;
    if (iequals(cmd, "HELLO") || iequals(cmd, "MIGRATE")) {
        // HELLO [protover [AUTH username password] ...]; MIGRATE ... [AUTH password | AUTH2 username password]
        for (size_t j = 1; j < i; j++) {
            if (iequals(args[j], "AUTH")) {
                if (iequals(cmd, "HELLO") ? (i == j + 1 || i == j + 2) : i == j + 1) return true;
            } else if (iequals(args[j], "AUTH2") && (i == j + 1 || i == j + 2)) {
                return true;
            }
        }
        return false;
    }
    if (iequals(cmd, "CONFIG") && args.size() > 1 && iequals(args[1], "SET")) {
        // CONFIG SET parameter value [parameter value ...]
        if (i < 3 || (i - 2) % 2 != 1) return false;
        std::string_view param = args[i - 1];
        return icontains(param, "pass") || icontains(param, "auth") || icontains(param, "secret") ||
               icontains(param, "key");
    }
    if (iequals(cmd, "ACL") && args.size() > 2 && iequals(args[1], "SETUSER") && i >= 3) {
        // password rules: >pass <pass #hash !hash
        std::string_view rule = args[i];
        return !rule.empty() && (rule[0] == '>' || rule[0] == '<' || rule[0] == '#' || rule[0] == '!');
    }
    return false;
}

}  // namespace obi::redis
