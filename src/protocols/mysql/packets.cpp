// MySQL packet decoding and burst classification (see packets.h).
#include "protocols/mysql/packets.h"

#include <cctype>

#include "protocols/sql/statement.h"

namespace obi::mysql {
namespace {

constexpr size_t kDetectWindow = 512;  // conntrack::kMaxDetectBytes

bool printable(std::string_view s)
{
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
}

bool ident(std::string_view s)
{
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
              c == '-'))
            return false;
    return true;
}

BurstKind classify_greeting(std::string_view s)
{
    uint32_t len = le24(s, 0);
    if (len < 40 || len > 1024) return BurstKind::None;
    std::string_view p = s.substr(4);
    // version string: digits first, printable, NUL-terminated within 64 bytes
    size_t nul = p.find('\0', 1);
    if (nul == std::string_view::npos) return p.size() < 65 && s.size() < 4 + len ? BurstKind::NeedMore : BurstKind::None;
    std::string_view version = p.substr(1, nul - 1);
    if (version.empty() || version.size() > 64 || version[0] < '0' || version[0] > '9' || !printable(version))
        return BurstKind::None;
    if (s.size() > 4 + len) return BurstKind::None;  // the server waits for the client's answer
    if (s.size() < 4 + len) return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
    uint32_t caps = 0;
    return greeting_capabilities(p, caps) ? BurstKind::Greeting : BurstKind::None;
}

BurstKind classify_command(std::string_view s)
{
    uint32_t len = le24(s, 0);
    if (len == 0) return BurstKind::None;
    std::string_view p = s.substr(4, std::min<size_t>(len, s.size() - 4));
    bool complete = s.size() >= 4 + size_t(len);
    if (s.size() > 4 + size_t(len)) return BurstKind::None;  // a client waits for the answer to a command
    if (p.empty()) return BurstKind::NeedMore;
    switch (static_cast<uint8_t>(p[0])) {
    case kComQuery:
    case kComStmtPrepare: {
        if (len < 2 || len > kMaxPayload) return BurstKind::None;
        std::string_view text = p.substr(1);
        // MySQL 8 query attributes: parameter count 0, one parameter set, then the text
        if (text.size() >= 2 && text[0] == '\0' && text[1] == '\1') text = text.substr(2);
        if (!complete && text.size() < 24 && !sql::starts_like_sql(text)) return BurstKind::NeedMore;
        return sql::starts_like_sql(text) ? BurstKind::Command : BurstKind::None;
    }
    case kComStmtExecute:
        if (len < 10 || len > kMaxPayload) return BurstKind::None;
        if (!complete) return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
        // flags: cursor type 0-3 (MariaDB adds 0x80 bits for bulk); iteration count is always 1
        if ((static_cast<uint8_t>(p[5]) & 0x7c) != 0 || le32(p, 6) != 1) return BurstKind::None;
        return BurstKind::Command;
    case kComInitDb:
        if (!complete) return s.size() < 4 + 65 ? BurstKind::NeedMore : BurstKind::None;
        return ident(p.substr(1)) ? BurstKind::Command : BurstKind::None;
    default: return BurstKind::None;
    }
}

// A result set's head: column count (seq 1) then a column definition (seq 2, catalog "def").
// Or a complete ERR packet with an SQL state.
BurstKind classify_response(std::string_view s)
{
    uint32_t len = le24(s, 0);
    if (len == 0 || len > kMaxPayload) return BurstKind::None;
    if (s.size() < 5) return BurstKind::NeedMore;
    uint8_t first = static_cast<uint8_t>(s[4]);
    if (first == 0xff) {
        if (len < 9 || len > 1024) return BurstKind::None;
        if (s.size() < 4 + size_t(len)) return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
        if (s.size() != 4 + size_t(len)) return BurstKind::None;
        ErrPacket e;
        std::string_view p = s.substr(4, len);
        if (!parse_err(p, e) || e.sqlstate.size() != 5 || p[3] != '#' || !printable(e.message)) return BurstKind::None;
        for (char c : e.sqlstate)
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return BurstKind::None;
        return BurstKind::Response;
    }
    if (first == 0x00 && (len == 12 || len == 13)) {  // PREPARE_OK, then definitions (seq 2)
        if (s.size() < 4 + size_t(len)) return BurstKind::NeedMore;
        std::string_view p = s.substr(4, len);
        if (p[9] != '\0' || le16(p, 5) + le16(p, 7) == 0) return BurstKind::None;
        size_t pos = 4 + len;
        if (s.size() < pos + 8) return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
        if (static_cast<uint8_t>(s[pos + 3]) != 2 || s.substr(pos + 4, 4) != std::string_view("\x03" "def", 4))
            return BurstKind::None;
        return BurstKind::Response;
    }
    if (len > 10) return BurstKind::None;
    size_t pos = 4;
    uint64_t columns = 0;
    // MariaDB's MARIADB_CLIENT_CACHE_METADATA adds a "metadata follows" byte after the count
    if (!lenenc(s.substr(0, 4 + len), pos, columns) || (pos != 4 + len && pos + 1 != 4 + len) || columns == 0 ||
        columns > 4096)
        return BurstKind::None;
    pos = 4 + len;
    if (s.size() < pos + 8) return s.size() < kDetectWindow ? BurstKind::NeedMore : BurstKind::None;
    if (static_cast<uint8_t>(s[pos + 3]) != 2 || s.substr(pos + 4, 4) != std::string_view("\x03" "def", 4))
        return BurstKind::None;
    return BurstKind::Response;
}

}  // namespace

bool lenenc(std::string_view s, size_t& pos, uint64_t& out)
{
    if (pos >= s.size()) return false;
    auto b = static_cast<uint8_t>(s[pos]);
    size_t n = b < 0xfb ? 0 : b == 0xfc ? 2 : b == 0xfd ? 3 : b == 0xfe ? 8 : SIZE_MAX;
    if (n == SIZE_MAX || pos + 1 + n > s.size()) return false;
    if (n == 0) {
        out = b;
    } else {
        out = 0;
        for (size_t i = 0; i < n; i++) out |= uint64_t(uint8_t(s[pos + 1 + i])) << (8 * i);
    }
    pos += 1 + n;
    return true;
}

bool greeting_capabilities(std::string_view p, uint32_t& caps)
{
    if (p.size() < 2 || p[0] != 0x0a) return false;
    size_t nul = p.find('\0', 1);
    if (nul == std::string_view::npos || nul > 65) return false;
    size_t pos = nul + 1 + 4 + 8;  // connection id, auth-plugin-data part 1
    if (pos + 3 > p.size() || p[pos] != '\0') return false;
    caps = le16(p, pos + 1);
    pos += 3;
    if (pos + 5 <= p.size()) caps |= le16(p, pos + 3) << 16;  // after charset and status
    return (caps & kClientProtocol41) != 0;
}

bool parse_handshake_response(std::string_view p, HandshakeResponse& out)
{
    if (p.size() < 32) return false;
    out.caps = le32(p, 0);
    if (!(out.caps & kClientProtocol41)) return false;
    for (size_t i = 9; i < 28; i++)  // filler (MariaDB puts its extended capabilities in bytes 28-31)
        if (p[i] != '\0') return false;
    if (p.size() == 32) {
        out.ssl_request = (out.caps & kClientSsl) != 0;
        return out.ssl_request;
    }
    size_t pos = 32;
    size_t nul = p.find('\0', pos);
    if (nul == std::string_view::npos || nul - pos > 256) return false;
    pos = nul + 1;
    if (out.caps & kClientPluginAuthLenencData) {
        uint64_t n = 0;
        if (!lenenc(p, pos, n) || n > p.size() - pos) return true;  // cut: no database to read
        pos += n;
    } else if (out.caps & kClientSecureConnection) {
        if (pos >= p.size()) return true;
        size_t n = static_cast<uint8_t>(p[pos]);
        if (pos + 1 + n > p.size()) return true;
        pos += 1 + n;
    } else {
        nul = p.find('\0', pos);
        if (nul == std::string_view::npos) return true;
        pos = nul + 1;
    }
    if ((out.caps & kClientConnectWithDb) && pos < p.size()) {
        nul = p.find('\0', pos);
        if (nul != std::string_view::npos && nul - pos <= 256) out.database = p.substr(pos, nul - pos);
    }
    return true;
}

bool parse_err(std::string_view p, ErrPacket& out)
{
    out = ErrPacket{};
    if (p.size() < 3 || static_cast<uint8_t>(p[0]) != 0xff) return false;
    out.code = static_cast<uint16_t>(le16(p, 1));
    std::string_view rest = p.substr(3);
    if (rest.size() >= 6 && rest[0] == '#') {
        out.sqlstate = rest.substr(1, 5);
        rest = rest.substr(6);
    }
    out.message = rest;
    return true;
}

bool trailing_err(std::string_view call, ErrPacket& out)
{
    constexpr size_t kMinErr = 4 + 9;      // header, 0xff, code, '#', state
    constexpr size_t kMaxErr = 4 + 9 + 512;  // MySQL's error messages are at most 512 bytes
    if (call.size() < kMinErr) return false;
    // The packet nearest the end that fits: an ERR's own bytes never hold a 0xff header byte
    // followed by a length that reaches the end (the message is text).
    size_t lowest = call.size() > kMaxErr ? call.size() - kMaxErr : 0;
    for (size_t at = call.size() - kMinErr + 1; at-- > lowest;) {
        if (static_cast<uint8_t>(call[at + 4]) != 0xff || static_cast<uint8_t>(call[at + 3]) == 0) continue;
        if (size_t(le24(call, at)) + 4 != call.size() - at) continue;
        std::string_view p = call.substr(at + 4);
        ErrPacket e;
        if (!parse_err(p, e) || p[3] != '#' || e.sqlstate.size() != 5 || !printable(e.message)) continue;
        bool state_ok = true;
        for (char c : e.sqlstate) state_ok &= (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
        if (!state_ok) continue;
        out = e;
        return true;
    }
    return false;
}

bool tail_looks_like_err_text(std::string_view t)
{
    if (t.size() < 8) return false;
    for (char c : t)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    // An OK packet's info ("Records: 3  Duplicates: 0  Warnings: 0") also ends in text.
    size_t digits = 0;
    while (digits < t.size() && t[t.size() - 1 - digits] >= '0' && t[t.size() - 1 - digits] <= '9') digits++;
    if (digits > 0 && t.substr(0, t.size() - digits).ends_with(": ")) return false;
    return true;
}

bool ok_status(std::string_view p, uint16_t& status)
{
    if (p.empty()) return false;
    size_t pos = 1;
    uint64_t v = 0;
    if (!lenenc(p, pos, v) || !lenenc(p, pos, v) || pos + 2 > p.size()) return false;
    status = static_cast<uint16_t>(le16(p, pos));
    return true;
}

bool eof_status(std::string_view p, uint32_t len, uint16_t& status)
{
    if (p.size() < 5 || len >= 9 || static_cast<uint8_t>(p[0]) != 0xfe) return false;
    status = static_cast<uint16_t>(le16(p, 3));
    return true;
}

bool is_result_terminator(std::string_view p, uint32_t len, bool deprecate_eof)
{
    if (p.empty() || static_cast<uint8_t>(p[0]) != 0xfe) return false;
    return len < 9 || (deprecate_eof && len < kMaxPayload);
}

BurstKind classify_burst(std::string_view s)
{
    if (s.size() < 4) return BurstKind::NeedMore;
    if (le24(s, 0) == 0) return BurstKind::None;  // no first burst of a connection is an empty packet
    uint8_t seq = static_cast<uint8_t>(s[3]);
    if (s.size() < 5) return seq <= 1 ? BurstKind::NeedMore : BurstKind::None;
    if (seq == 0 && s[4] == 0x0a) return classify_greeting(s);
    if (seq == 0) return classify_command(s);
    if (seq == 1) return classify_response(s);
    return BurstKind::None;
}

bool parse_change_user_database(std::string_view p, uint32_t caps, std::string_view& db)
{
    size_t user_end = p.find('\0', 1);
    if (p.empty() || user_end == std::string_view::npos) return false;
    size_t pos = user_end + 1;
    if (caps & kClientSecureConnection) {
        if (pos >= p.size()) return false;
        pos += 1 + static_cast<uint8_t>(p[pos]);
    } else {
        size_t auth_end = p.find('\0', pos);
        if (auth_end == std::string_view::npos) return false;
        pos = auth_end + 1;
    }
    size_t db_end = pos < p.size() ? p.find('\0', pos) : std::string_view::npos;
    if (db_end == std::string_view::npos) return false;
    db = p.substr(pos, db_end - pos);
    return true;
}

std::string_view use_statement_db(std::string_view sql)
{
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    auto trim = [&](std::string_view t) {
        while (!t.empty() && space(t.front())) t.remove_prefix(1);
        while (!t.empty() && (space(t.back()) || t.back() == ';')) t.remove_suffix(1);
        return t;
    };
    sql = trim(sql);
    if (sql.size() < 5 || !space(sql[3])) return {};
    for (size_t i = 0; i < 3; i++)
        if ((sql[i] | 0x20) != "use"[i]) return {};
    std::string_view db = trim(sql.substr(4));
    if (db.size() >= 2 && db.front() == '`') {
        if (db.back() != '`') return {};
        db = db.substr(1, db.size() - 2);
        return db.find('`') == std::string_view::npos ? db : std::string_view{};
    }
    for (char c : db)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return {};
    return db;
}

}  // namespace obi::mysql
