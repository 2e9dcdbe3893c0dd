// MySQL / MariaDB client-server protocol: packet framing facts, command bytes, capability
// flags, the handshake fields spans need, OK/ERR/EOF decoding, and the strict classification
// of a burst's first bytes used for protocol detection.
#pragma once

#include <cstdint>
#include <string_view>

namespace obi::mysql {

inline constexpr uint32_t kMaxPayload = 0xffffff;  // a payload this long continues in the next packet

// Command bytes (the first payload byte of a command packet, sequence id 0).
enum Command : uint8_t {
    kComQuit = 0x01,
    kComInitDb = 0x02,
    kComQuery = 0x03,
    kComFieldList = 0x04,
    kComStatistics = 0x09,
    kComPing = 0x0e,
    kComChangeUser = 0x11,
    kComStmtPrepare = 0x16,
    kComStmtExecute = 0x17,
    kComStmtSendLongData = 0x18,
    kComStmtClose = 0x19,
    kComStmtReset = 0x1a,
    kComSetOption = 0x1b,
    kComStmtFetch = 0x1c,
    kComResetConnection = 0x1f,
    kComStmtBulkExecute = 0xfa,  // MariaDB: one statement, many parameter rows; answered like an execute
};

// A COM_STMT_EXECUTE / COM_STMT_BULK_EXECUTE statement id meaning "the statement prepared just
// before" (MariaDB; the npm mariadb connector pipelines it with the COM_STMT_PREPARE).
inline constexpr uint32_t kLastPreparedStatement = 0xffffffff;

// Capability flags.
inline constexpr uint32_t kClientConnectWithDb = 1u << 3;
inline constexpr uint32_t kClientProtocol41 = 1u << 9;
inline constexpr uint32_t kClientSsl = 1u << 11;
inline constexpr uint32_t kClientSecureConnection = 1u << 15;
inline constexpr uint32_t kClientPluginAuth = 1u << 19;
inline constexpr uint32_t kClientPluginAuthLenencData = 1u << 21;
inline constexpr uint32_t kClientDeprecateEof = 1u << 24;
inline constexpr uint32_t kClientQueryAttributes = 1u << 27;

inline constexpr uint16_t kServerMoreResultsExist = 0x0008;

inline uint32_t le16(std::string_view s, size_t at) { return uint32_t(uint8_t(s[at])) | (uint32_t(uint8_t(s[at + 1])) << 8); }
inline uint32_t le24(std::string_view s, size_t at) { return le16(s, at) | (uint32_t(uint8_t(s[at + 2])) << 16); }
inline uint32_t le32(std::string_view s, size_t at) { return le24(s, at) | (uint32_t(uint8_t(s[at + 3])) << 24); }

// A length-encoded integer at `pos` (advanced); false when cut or not an integer (0xfb, 0xff).
bool lenenc(std::string_view s, size_t& pos, uint64_t& out);

// Server greeting (protocol 10): the capability flags it offers; false when not a greeting.
bool greeting_capabilities(std::string_view payload, uint32_t& caps);

struct HandshakeResponse {
    uint32_t caps = 0;
    bool ssl_request = false;   // only the SSL request: TLS follows
    std::string_view database;  // CLIENT_CONNECT_WITH_DB
};
// HandshakeResponse41 (or the SSL request that precedes it); false when not one.
bool parse_handshake_response(std::string_view payload, HandshakeResponse& out);

struct ErrPacket {
    uint16_t code = 0;
    std::string_view sqlstate;  // "" when the server sent none
    std::string_view message;
};
// 0xff ... (possibly cut by the capture budget: what is there).
bool parse_err(std::string_view payload, ErrPacket& out);

// Status flags of an OK packet (0x00 or, terminating a result set, 0xfe) or an EOF packet.
bool ok_status(std::string_view payload, uint16_t& status);
bool eof_status(std::string_view payload, uint32_t len, uint16_t& status);

// The payload of a packet that ends a result set: EOF (0xfe, shorter than 9 bytes) or, with
// CLIENT_DEPRECATE_EOF, an OK packet with the 0xfe header.
bool is_result_terminator(std::string_view payload, uint32_t len, bool deprecate_eof);

// A call's bytes that end with a complete ERR packet with a SQL state (0xff, code, '#', five
// state characters, a text message), as a long result set that fails ends; `out` points into
// `call`. False when the bytes do not end so.
bool trailing_err(std::string_view call, ErrPacket& out);

// The last bytes of a call that end an ERR packet's text message (printable text, not the
// "... Warnings: N" info of an OK packet): what a long result set that fails ends with when
// only the call's last bytes are known.
bool tail_looks_like_err_text(std::string_view tail);

// COM_CHANGE_USER (0x11, user, auth response, database, ...): the database it asks for ("" for
// none); false when the payload is cut before the database ends.
bool parse_change_user_database(std::string_view payload, uint32_t caps, std::string_view& db);

// The database a `USE db` statement (COM_QUERY text) switches to, without backticks; "" when the
// text is not one single USE statement.
std::string_view use_statement_db(std::string_view sql);

enum class BurstKind : uint8_t {
    None,
    NeedMore,
    Greeting,  // server greeting: a new connection (the server speaks first)
    Command,   // a command a client sends (a connection seen mid-stream)
    Response,  // a result set or an error answering a command (mid-stream)
};
BurstKind classify_burst(std::string_view first_bytes);

}  // namespace obi::mysql
