// Redis detection: bounded parsing of the burst start (see detect.h).
#include "protocols/redis/detect.h"

#include <cctype>

#include "protocols/redis/commands.h"
#include "protocols/redis/resp_scanner.h"

namespace obi::redis {
namespace {

using conntrack::Detection;
using conntrack::Direction;

constexpr int64_t kDetectMaxArgs = 1 << 20;  // Redis refuses larger multibulk counts before AUTH

// Reads "<digits>\r\n" at `pos` (at most `max_digits`); advances `pos`.
Detection read_number(std::string_view s, size_t& pos, size_t max_digits, int64_t& out)
{
    int64_t v = 0;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (++digits > max_digits) return Detection::No;
        v = v * 10 + (s[pos] - '0');
        pos++;
    }
    if (pos >= s.size()) return Detection::NeedMore;
    if (digits == 0 || s[pos] != '\r') return Detection::No;
    if (++pos >= s.size()) return Detection::NeedMore;
    if (s[pos] != '\n') return Detection::No;
    pos++;
    out = v;
    return Detection::Yes;
}

// "*N\r\n$L\r\n<command>\r\n"
Detection detect_command(std::string_view s)
{
    size_t pos = 1;
    int64_t n = 0, len = 0;
    Detection d = read_number(s, pos, 7, n);
    if (d != Detection::Yes) return d;
    if (n < 1 || n > kDetectMaxArgs) return Detection::No;
    if (pos >= s.size()) return Detection::NeedMore;
    if (s[pos++] != '$') return Detection::No;
    d = read_number(s, pos, 2, len);
    if (d != Detection::Yes) return d;
    if (len < 1 || len > 64) return Detection::No;
    size_t avail = s.size() - pos;
    std::string_view name = s.substr(pos, std::min<size_t>(avail, static_cast<size_t>(len)));
    // A prefix of the name must already look like a command.
    if (!name.empty() && !command_token(name)) return Detection::No;
    if (avail < static_cast<size_t>(len) + 2) return Detection::NeedMore;
    if (s[pos + len] != '\r' || s[pos + len + 1] != '\n') return Detection::No;
    return Detection::Yes;
}

// An inline SET that memcached's `set <key> <flags> <exptime> <bytes> [noreply]` cannot be:
// not 5 or 6 words, or a flags/exptime/bytes word that is not a number (redis-cli --pipe input).
bool redis_only_set(std::string_view cmd, std::string_view line)
{
    if (cmd.size() != 3 || std::tolower(static_cast<unsigned char>(cmd[0])) != 's' ||
        std::tolower(static_cast<unsigned char>(cmd[1])) != 'e' || std::tolower(static_cast<unsigned char>(cmd[2])) != 't')
        return false;
    std::string_view words[7];
    size_t n = 0, pos = 0;
    while (pos < line.size() && n < 7) {
        pos = line.find_first_not_of(" \t", pos);
        if (pos == std::string_view::npos) break;
        size_t end = line.find_first_of(" \t", pos);
        if (end == std::string_view::npos) end = line.size();
        words[n++] = line.substr(pos, end - pos);
        pos = end;
    }
    if (n != 5 && n != 6) return n >= 3;  // SET key value [options]; fewer words is an error reply
    for (size_t i = 2; i < 5; i++) {
        std::string_view w = words[i];
        if (i == 3 && !w.empty() && w[0] == '-') w.remove_prefix(1);
        if (w.empty()) return true;
        for (char c : w)
            if (c < '0' || c > '9') return true;
    }
    return false;
}

// Lines of inline commands: Yes at the first complete line whose command is one Redis knows and
// no other text protocol uses; lines of shared words (PING, GET ...) alone are not enough.
Detection detect_inline(std::string_view s)
{
    constexpr size_t kMaxInlineDetect = 256;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t eol = s.find('\n', pos);
        std::string_view line = s.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        size_t sp = line.find_first_of(" \t\r");
        std::string_view cmd = line.substr(0, sp == std::string_view::npos ? line.size() : sp);
        if (cmd.empty() || cmd.size() > 32) return Detection::No;
        for (char c : cmd)
            if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_' && c != '-') return Detection::No;
        if (eol == std::string_view::npos) break;  // wait for the end of the line
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!known_command(cmd)) return Detection::No;
        char prev = ' ';
        for (char c : line) {
            unsigned char u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f) return Detection::No;
            if (c == ':' && prev == ' ') return Detection::No;  // IRC-style ":trailing" arguments
            prev = c;
        }
        if (inline_detectable(cmd) || redis_only_set(cmd, line)) return Detection::Yes;
        pos = eol + 1;
    }
    return s.size() < kMaxInlineDetect ? Detection::NeedMore : Detection::No;
}

// Redis' error codes other than the generic ERR (which POP3 shares).
bool redis_error_code(std::string_view line)
{
    static constexpr std::string_view kCodes[] = {
        "WRONGTYPE", "NOAUTH",    "NOPERM",   "WRONGPASS", "MOVED",      "ASK",       "BUSY",     "NOSCRIPT",
        "LOADING",   "READONLY",  "EXECABORT", "OOM",      "MASTERDOWN", "MISCONF",   "NOREPLICAS", "NOGROUP",
        "BUSYGROUP", "CROSSSLOT", "TRYAGAIN", "CLUSTERDOWN", "UNBLOCKED", "NOTBUSY",  "NOPROTO",  "UNKILLABLE"};
    size_t sp = line.find(' ');
    std::string_view code = line.substr(0, sp);
    for (auto c : kCodes)
        if (c == code) return true;
    return false;
}

struct CheckReplies final : RespVisitor {
    size_t messages = 0;
    bool ok = true;
    void on_begin(uint64_t) override {}
    void on_message(const RespMessage& m, uint64_t) override
    {
        if (messages++ > 0) return;
        if (m.type == '+') {  // a status word: OK, PONG, QUEUED, string ...
            if (m.text.empty() || m.text.size() > 32) ok = false;
            for (char c : m.text)
                if (!std::isalpha(static_cast<unsigned char>(c))) ok = false;
        } else if (m.type == '-') {
            if (!redis_error_code(m.text)) ok = false;
        }
    }
};

// Complete RESP replies, nothing else.
Detection detect_replies(std::string_view s)
{
    RespScanner scanner;
    CheckReplies check;
    auto r = scanner.feed(s, s.size(), check);
    if (r != RespScanner::Result::Ok || !check.ok) return Detection::No;
    if (scanner.in_message() && s.size() < conntrack::kMaxDetectBytes) return Detection::NeedMore;
    // Complete replies (the last one may be cut by the detection window, as pub/sub bursts are).
    return check.messages > 0 ? Detection::Yes : Detection::No;
}

}  // namespace

bool command_start(std::string_view s)
{
    if (s.empty()) return false;
    if (s[0] == '*') return detect_command(s.substr(0, std::min<size_t>(s.size(), 128))) != Detection::No;
    size_t end = s.find_first_of(" \t\r\n");
    if (end == std::string_view::npos) return false;
    return known_command(s.substr(0, end));
}

Detection detect(std::string_view s, Direction dir, const conntrack::ConnInfo& conn)
{
    if (conn.udp) return Detection::No;
    if (s.empty()) return Detection::NeedMore;
    // Which way does this burst travel? Commands go client -> server, replies back.
    const bool known = conn.kernel_role == OBI_ROLE_SERVER || conn.kernel_role == OBI_ROLE_CLIENT;
    const bool to_server = (conn.kernel_role == OBI_ROLE_SERVER) == (dir == Direction::Ingress);
    const char c = s[0];
    if (!known || to_server) {
        if (c == '*') {
            Detection d = detect_command(s);
            if (d != Detection::No || known) return d;
        } else if (std::isalpha(static_cast<unsigned char>(c))) {
            return detect_inline(s);
        }
    }
    if (!known || to_server) return Detection::No;
    return detect_replies(s);
}

}  // namespace obi::redis
