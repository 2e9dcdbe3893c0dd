// PostgreSQL message facts and the detector's burst classification (see messages.h).
#include "protocols/postgres/messages.h"

#include "protocols/sql/statement.h"

namespace obi::postgres {
namespace {

// Bytes of a detection burst: the tracker hands at most 512 (conntrack::kMaxDetectBytes).
constexpr size_t kDetectWindow = 512;

bool fixed_len_frontend(char t) { return t == 'S' || t == 'H' || t == 'c' || t == 'X'; }
bool fixed_len_backend(char t)
{
    return t == '1' || t == '2' || t == '3' || t == 'n' || t == 'I' || t == 'c' || t == 's';
}

bool param_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }
bool printable(std::string_view s)
{
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
}

enum class Step : uint8_t { Ok, Partial, Bad };

// One complete frontend message body checked field by field. `strong` is set for a Query or
// Parse whose text starts like SQL.
Step check_frontend(char t, std::string_view body, bool complete, bool& strong)
{
    size_t pos = 0;
    std::string_view a, b;
    switch (t) {
    case 'Q': {
        size_t nul = body.find('\0');
        if (complete && nul != body.size() - 1) return Step::Bad;
        std::string_view text = body.substr(0, nul == std::string_view::npos ? body.size() : nul);
        if (!complete && text.size() < 24 && !sql::starts_like_sql(text)) return Step::Partial;
        if (!sql::starts_like_sql(text)) return Step::Bad;
        strong = true;
        return Step::Ok;
    }
    case 'P': {
        if (!cstring(body, pos, a, kMaxNameLen)) return complete || body.size() > kMaxNameLen ? Step::Bad : Step::Partial;
        if (!printable(a)) return Step::Bad;
        size_t qstart = pos;
        bool have_query = cstring(body, pos, b);
        std::string_view text = have_query ? b : body.substr(qstart);
        if (!have_query && complete) return Step::Bad;
        if (!have_query && text.size() < 24 && !sql::starts_like_sql(text)) return Step::Partial;
        if (!sql::starts_like_sql(text)) return Step::Bad;
        if (complete) {
            if (pos + 2 > body.size()) return Step::Bad;
            uint16_t n = be16(body, pos);
            if (pos + 2 + size_t(n) * 4 != body.size()) return Step::Bad;
        }
        strong = true;
        return Step::Ok;
    }
    case 'B': {
        if (!complete) return Step::Partial;
        if (!cstring(body, pos, a, kMaxNameLen) || !cstring(body, pos, b, kMaxNameLen)) return Step::Bad;
        if (!printable(a) || !printable(b) || pos + 2 > body.size()) return Step::Bad;
        uint16_t nfmt = be16(body, pos);
        pos += 2 + size_t(nfmt) * 2;
        if (pos + 2 > body.size()) return Step::Bad;
        uint16_t nparams = be16(body, pos);
        pos += 2;
        if (nfmt > 1 && nfmt != nparams) return Step::Bad;
        for (uint16_t i = 0; i < nparams; i++) {
            if (pos + 4 > body.size()) return Step::Bad;
            uint32_t plen = be32(body, pos);
            pos += 4;
            if (plen == 0xffffffffu) continue;  // NULL
            if (plen > body.size() - pos) return Step::Bad;
            pos += plen;
        }
        if (pos + 2 > body.size()) return Step::Bad;
        uint16_t nres = be16(body, pos);
        return pos + 2 + size_t(nres) * 2 == body.size() ? Step::Ok : Step::Bad;
    }
    case 'E':
        if (!complete) return Step::Partial;
        if (!cstring(body, pos, a, kMaxNameLen) || !printable(a)) return Step::Bad;
        return pos + 4 == body.size() ? Step::Ok : Step::Bad;
    case 'D':
    case 'C':
        if (!complete) return Step::Partial;
        if (body.empty() || (body[0] != 'S' && body[0] != 'P')) return Step::Bad;
        pos = 1;
        if (!cstring(body, pos, a, kMaxNameLen) || !printable(a)) return Step::Bad;
        return pos == body.size() ? Step::Ok : Step::Bad;
    case 'S':
    case 'H': return Step::Ok;
    default: return Step::Bad;  // other frontend messages are not used to detect
    }
}

BurstKind classify_startup(std::string_view s)
{
    if (s.size() < 8) {  // lengths start 00 00 (at most 10000) and codes 00 03 / 04 d2
        if (s.size() >= 2 && s[1] != 0) return BurstKind::None;
        if (s.size() >= 3 && static_cast<uint8_t>(s[2]) > (kMaxStartupLen >> 8)) return BurstKind::None;
        if (s.size() >= 5 && s[4] != 0 && static_cast<uint8_t>(s[4]) != 0x04) return BurstKind::None;
        return BurstKind::NeedMore;
    }
    uint32_t len = be32(s, 0), code = be32(s, 4);
    if (code == kSslRequest || code == kGssEncRequest) return len == 8 && s.size() == 8 ? BurstKind::Startup : BurstKind::None;
    if ((code >> 16) != kProtocolMajor || (code & 0xffff) > 2) return BurstKind::None;
    if (len < 8 + 6 || len > kMaxStartupLen) return BurstKind::None;  // at least "user\0x\0\0"
    if (s.size() > len) return BurstKind::None;  // a client waits for the server after its startup packet
    bool complete = s.size() == len;
    size_t pos = 8;
    bool user = false;
    while (pos < s.size()) {
        std::string_view key, value;
        if (s[pos] == '\0') {  // the list's terminator: the packet's last byte
            if (pos + 1 != len) return BurstKind::None;
            return user ? BurstKind::Startup : BurstKind::None;
        }
        if (!cstring(s, pos, key, 64)) return complete || s.size() - pos > 64 ? BurstKind::None : BurstKind::NeedMore;
        for (char c : key)
            if (!param_key_char(c)) return BurstKind::None;
        if (key == "user") user = true;
        if (!cstring(s, pos, value, 4096)) return complete ? BurstKind::None : (user ? BurstKind::Startup : BurstKind::NeedMore);
        if (!printable(value)) return BurstKind::None;
    }
    if (complete) return BurstKind::None;  // no terminator
    return user && s.size() >= kDetectWindow ? BurstKind::Startup : BurstKind::NeedMore;
}

BurstKind classify_frontend(std::string_view s)
{
    size_t pos = 0;
    bool strong = false;
    char last = 0;
    int count = 0;
    while (pos < s.size()) {
        if (s.size() - pos < 5) {
            if (strong) return BurstKind::Frontend;
            return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
        }
        char t = s[pos];
        uint32_t len = be32(s, pos + 1);
        if (!is_frontend_type(t) || !plausible_length(t, len, true)) return BurstKind::None;
        size_t avail = s.size() - pos - 1;
        bool complete = avail >= len;
        std::string_view body = s.substr(pos + 5, (complete ? len : avail) - 4);
        Step st = check_frontend(t, body, complete, strong);
        if (st == Step::Bad) return BurstKind::None;
        count++;
        last = t;
        if (!complete) {
            if (strong) return BurstKind::Frontend;
            return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
        }
        pos += 1 + len;
        if (count > 64) break;
    }
    if (strong) return BurstKind::Frontend;
    // Bind/Execute of statements prepared before we watched: the chain must end in a Sync.
    if (last == 'S') return count >= 3 ? BurstKind::Frontend : BurstKind::None;
    return s.size() < kDetectWindow && count < 64 ? BurstKind::NeedMore : BurstKind::None;
}

BurstKind classify_backend(std::string_view s)
{
    size_t pos = 0;
    int count = 0;
    while (pos < s.size()) {
        if (s.size() - pos < 5) return BurstKind::NeedMore;
        char t = s[pos];
        uint32_t len = be32(s, pos + 1);
        if (!is_backend_type(t) || !plausible_length(t, len, false)) return BurstKind::None;
        if (s.size() - pos - 1 < len) return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
        std::string_view body = s.substr(pos + 5, len - 4);
        if (t == 'C') {  // "SELECT 1", "INSERT 0 5": upper-case tag, digits
            if (body.empty() || body.back() != '\0' || body[0] < 'A' || body[0] > 'Z') return BurstKind::None;
            for (char c : body.substr(0, body.size() - 1))
                if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')) return BurstKind::None;
        }
        if (t == 'E' && error_fields(body).sqlstate.size() != 5) return BurstKind::None;
        pos += 1 + len;
        if (++count > 256) return BurstKind::None;
        if (t == 'Z') {
            char st = body[0];
            if (st != 'I' && st != 'T' && st != 'E') return BurstKind::None;
            return pos == s.size() && count >= 2 ? BurstKind::Backend : BurstKind::None;
        }
    }
    return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;  // ReadyForQuery may follow
}

}  // namespace

// Plausible length (the 4-byte length field, which counts itself) for a message type.
bool plausible_length(char t, uint32_t len, bool frontend)
{
    if (len < 4 || len > kMaxMessageLen) return false;
    if (frontend) {
        if (fixed_len_frontend(t)) return len == 4;
        if (t == 'E') return len >= 9;
        if (t == 'B') return len >= 12;
        if (t == 'P') return len >= 8;
        if (t == 'Q' || t == 'D' || t == 'C') return len >= 5;
        return true;
    }
    if (fixed_len_backend(t)) return len == 4;
    switch (t) {
    case 'Z': return len == 5;
    case 'K': return len >= 12 && len <= 4 + 4 + 256;  // 3.2 allows up to 256-byte keys
    case 'R': return len >= 8 && len <= 64 * 1024;
    case 'S': return len >= 6 && len <= 64 * 1024;
    case 'C': return len >= 5 && len <= 1024;
    case 'T': return len >= 6;
    case 'D': return len >= 6;
    case 't': return len >= 6;
    default: return true;
    }
}

bool is_frontend_type(char t)
{
    switch (t) {
    case 'B': case 'C': case 'd': case 'c': case 'f': case 'D': case 'E': case 'H':
    case 'F': case 'P': case 'p': case 'Q': case 'S': case 'X': return true;
    default: return false;
    }
}

bool is_backend_type(char t)
{
    switch (t) {
    case 'R': case 'K': case '1': case '2': case '3': case 'C': case 'd': case 'c':
    case 'G': case 'H': case 'W': case 'D': case 'I': case 'E': case 'V': case 'v':
    case 'n': case 'N': case 'A': case 't': case 'S': case 's': case 'Z': case 'T': return true;
    default: return false;
    }
}

uint32_t frontend_keep(char type)
{
    switch (type) {
    case 'Q':
    case 'P': return 8192;  // the statement text (ebpf.capture_size is at most 8192)
    case 'B': return 2 * kMaxNameLen + 2;
    case 'E':
    case 'C':
    case 'D': return kMaxNameLen + 2;
    default: return 0;
    }
}

uint32_t backend_keep(char type)
{
    switch (type) {
    case 'E': return 1024;  // SQLSTATE and message
    case 'C': return 64;
    case 'Z': return 1;
    default: return 0;
    }
}

bool cstring(std::string_view body, size_t& pos, std::string_view& out, size_t max)
{
    if (pos > body.size()) return false;
    size_t end = body.find('\0', pos);
    if (end == std::string_view::npos || end - pos > max) return false;
    out = body.substr(pos, end - pos);
    pos = end + 1;
    return true;
}

std::string_view startup_database(std::string_view params)
{
    size_t pos = 0;
    std::string_view user, database;
    while (pos < params.size() && params[pos] != '\0') {
        std::string_view key, value;
        if (!cstring(params, pos, key, 64) || !cstring(params, pos, value, 4096)) break;
        if (key == "database") database = value;
        if (key == "user") user = value;
    }
    return database.empty() ? user : database;  // the server's default database is the user's name
}

ErrorFields error_fields(std::string_view body)
{
    ErrorFields f;
    size_t pos = 0;
    while (pos < body.size() && body[pos] != '\0') {
        char code = body[pos++];
        std::string_view value;
        if (!cstring(body, pos, value, 4096)) break;
        if (code == 'C') f.sqlstate = value;
        else if (code == 'M') f.message = value;
        else if (code == 'V' || (code == 'S' && f.severity.empty())) f.severity = value;
    }
    return f;
}

namespace {

bool error_field_code(char c)
{
    switch (c) {
    case 'S': case 'V': case 'C': case 'M': case 'D': case 'H': case 'P': case 'p': case 'q': case 'W':
    case 's': case 't': case 'c': case 'd': case 'n': case 'F': case 'L': case 'R': return true;
    default: return false;
    }
}

bool field_text(std::string_view s)
{
    for (char c : s)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
    return true;
}

bool sqlstate_like(std::string_view s)
{
    if (s.size() != 5) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
    return true;
}

bool notice_severity(std::string_view s)
{
    return s == "NOTICE" || s == "WARNING" || s == "INFO" || s == "DEBUG" || s == "LOG";
}

// Error or notice from the fields recovered (an empty set: most likely an error, the usual end
// of a long response that stops with a field list).
TrailingMessage judge(const ErrorFields& f)
{
    TrailingMessage t;
    t.fields = f;
    bool notice = false;
    if (sqlstate_like(f.sqlstate)) notice = f.sqlstate.starts_with("00") || f.sqlstate.starts_with("01") || f.sqlstate.starts_with("02");
    else if (!f.severity.empty()) notice = notice_severity(f.severity);
    t.kind = notice ? TrailingMessage::Kind::Other : TrailingMessage::Kind::Error;
    if (notice || !sqlstate_like(f.sqlstate)) t.fields.sqlstate = {};
    return t;
}

}  // namespace

TrailingMessage message_before_ready(std::string_view before, uint64_t gap)
{
    TrailingMessage t;
    const uint64_t end = before.size() + gap;  // where the message must end, from before's start
    // The last message's header: the nearest to the end whose length ends exactly there. (Inside
    // an ErrorResponse or NoticeResponse no header can match: their fields never hold two NULs.)
    for (size_t q = before.size() >= 4 ? before.size() - 4 : 0; q-- > 0;) {
        char type = before[q];
        uint32_t len = be32(before, q + 1);
        if (!is_backend_type(type) || q + 1 + uint64_t(len) != end || !plausible_length(type, len, false)) continue;
        std::string_view body = before.substr(q + 5, len - 4);
        if ((type == 'E' || type == 'N') && !body.empty() && body[0] != 'S') continue;  // fields start with the severity
        if (type != 'E') {
            t.kind = TrailingMessage::Kind::Other;
            return t;
        }
        t.kind = TrailingMessage::Kind::Error;
        t.fields = error_fields(body);
        if (!sqlstate_like(t.fields.sqlstate)) t.fields.sqlstate = {};
        return t;
    }
    if (gap != 0 || before.size() < 2 || before.substr(before.size() - 2) != std::string_view("\0\0", 2)) return t;
    // No header: read the field list back from its terminator. A field counts only when a NUL
    // precedes it here (the first bytes seen may be the cut end of a longer field).
    ErrorFields f;
    std::string_view list = before.substr(0, before.size() - 1);  // ends with the last field's NUL
    size_t field_end = list.size() - 1;
    while (field_end > 0) {
        size_t nul = list.rfind('\0', field_end - 1);
        if (nul == std::string_view::npos) break;
        std::string_view field = list.substr(nul + 1, field_end - nul - 1);
        if (field.empty() || !error_field_code(field[0]) || !field_text(field.substr(1))) break;
        std::string_view value = field.substr(1);
        if (field[0] == 'C') f.sqlstate = value;
        else if (field[0] == 'M') f.message = value;
        else if (field[0] == 'V' || (field[0] == 'S' && f.severity.empty())) f.severity = value;
        field_end = nul;
    }
    return judge(f);
}

BurstKind classify_burst(std::string_view s)
{
    if (s.empty()) return BurstKind::NeedMore;
    if (s[0] == '\0') return classify_startup(s);
    if (is_frontend_type(s[0])) {
        BurstKind k = classify_frontend(s);
        if (k != BurstKind::None || !is_backend_type(s[0])) return k;
    }
    if (is_backend_type(s[0])) return classify_backend(s);
    return BurstKind::None;
}

}  // namespace obi::postgres
