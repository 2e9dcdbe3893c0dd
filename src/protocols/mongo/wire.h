// MongoDB wire protocol: the 16-byte message header, the opcodes, and what a message says as
// far as spans need it (command name, collection, database, flags; a reply's ok/code/
// codeName/errmsg and writeErrors), read from the captured start of the message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace obi::mongo {

inline constexpr int32_t kMaxMessage = 48 * 1000 * 1000;  // the server's maxMessageSizeBytes
inline constexpr size_t kHeaderSize = 16;

enum OpCode : int32_t {
    OP_REPLY = 1,
    OP_UPDATE = 2001,
    OP_INSERT = 2002,
    OP_QUERY = 2004,
    OP_GET_MORE = 2005,
    OP_DELETE = 2006,
    OP_KILL_CURSORS = 2007,
    OP_COMPRESSED = 2012,
    OP_MSG = 2013,
};

struct Header {
    int32_t length = 0, request_id = 0, response_to = 0, opcode = 0;
};

// Parses the 16 header bytes; true when the opcode is known and the length is sane for it.
bool parse_header(std::string_view b, Header& h);
bool is_request_op(int32_t opcode);

// OP_MSG flag bits.
inline constexpr uint32_t kChecksumPresent = 1u << 0;
inline constexpr uint32_t kMoreToCome = 1u << 1;
inline constexpr uint32_t kExhaustAllowed = 1u << 16;

// What one message says. Views point into the body given to describe().
struct Message {
    bool parsed = false;      // the body had the structure its opcode requires
    bool compressed = false;  // OP_COMPRESSED with a compressor we do not decode
    bool more_to_come = false;
    bool no_reply = false;     // legacy writes (OP_INSERT/UPDATE/DELETE) and OP_KILL_CURSORS
    int32_t opcode = 0;        // of the message (the original one inside OP_COMPRESSED noop)
    // Requests
    std::string_view command;     // first key of the command document
    std::string_view collection;  // its string value (or the collection field of getMore)
    std::string_view database;    // $db, or the namespace's database for OP_QUERY
    // Replies
    bool have_ok = false;
    double ok = 1;
    bool error = false;
    int64_t code = 0;
    bool have_code = false;
    std::string_view code_name, errmsg;
};

// `body` is the captured start of the bytes after the header (possibly less than
// h.length - 16). Never reads outside `body`.
Message describe(const Header& h, std::string_view body);

}  // namespace obi::mongo
