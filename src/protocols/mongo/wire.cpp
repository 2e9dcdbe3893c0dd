// Mongo message description: OP_MSG sections, OP_QUERY / OP_REPLY documents, legacy
// operations, OP_COMPRESSED (noop only), reply error fields.
#include "protocols/mongo/wire.h"

#include <cstring>

#include "protocols/mongo/bson.h"

namespace obi::mongo {
namespace {

// Smallest body per opcode (after the header).
int32_t min_body(int32_t op)
{
    switch (op) {
    case OP_REPLY: return 20;                  // flags, cursor id, starting from, number returned
    case OP_MSG: return 4 + 1 + 5;             // flags, kind 0, an empty document
    case OP_QUERY: return 4 + 4 + 8 + 5;       // flags, "a.b", skip and return counts, a document
    case OP_COMPRESSED: return 4 + 4 + 1;
    case OP_UPDATE: return 4 + 2 + 4 + 10;
    case OP_INSERT: return 4 + 2 + 5;
    case OP_GET_MORE: return 4 + 2 + 4 + 8;
    case OP_DELETE: return 4 + 2 + 4 + 5;
    case OP_KILL_CURSORS: return 4 + 4;
    default: return -1;
    }
}

// A cstring at `pos` (printable, without NUL, at most `max` bytes).
bool cstring(std::string_view b, size_t pos, size_t max, std::string_view& out, size_t& next)
{
    if (pos >= b.size()) return false;
    size_t lim = std::min(b.size(), pos + max + 1);
    const void* z = std::memchr(b.data() + pos, 0, lim - pos);
    if (!z) return false;
    size_t end = static_cast<const char*>(z) - b.data();
    out = b.substr(pos, end - pos);
    for (char c : out)
        if (static_cast<unsigned char>(c) < 0x20) return false;
    next = end + 1;
    return true;
}

void read_command(std::string_view doc, Message& m)
{
    BsonReader r(doc);
    BsonElement e;
    bool first = true;
    while (r.next(e)) {
        if (first) {
            first = false;
            if (e.name == "$query" && e.type == 0x03) {  // OP_QUERY's wrapped form: {$query: {...}, $readPreference ...}
                read_command(e.value, m);
                if (!m.command.empty()) continue;
            }
            m.command = e.name;
            std::string_view s;
            if (bson_string(e, s)) m.collection = s;
            continue;
        }
        if (e.name == "$db") {
            std::string_view s;
            if (bson_string(e, s)) m.database = s;
        } else if (e.name == "collection" && m.command == "getMore") {
            std::string_view s;
            if (bson_string(e, s)) m.collection = s;
        }
    }
}

void read_reply(std::string_view doc, Message& m)
{
    BsonReader r(doc);
    BsonElement e;
    while (r.next(e)) {
        std::string_view s;
        if (e.name == "ok") {
            m.have_ok = bson_number(e, m.ok);
        } else if (e.name == "code") {
            m.have_code = bson_int(e, m.code);
        } else if (e.name == "codeName" && bson_string(e, s)) {
            m.code_name = s;
        } else if ((e.name == "errmsg" || e.name == "$err") && bson_string(e, s)) {
            m.errmsg = s;
        } else if ((e.name == "writeErrors" && e.type == 0x04) || (e.name == "writeConcernError" && e.type == 0x03)) {
            // writeErrors: [{index, code, errmsg}, ...]; writeConcernError: {code, codeName, errmsg}
            std::string_view inner = e.value;
            if (e.type == 0x04) {
                BsonReader arr(e.value);
                BsonElement first;
                if (!arr.next(first) || first.type != 0x03) continue;
                inner = first.value;
            }
            m.error = true;
            BsonReader w(inner);
            BsonElement f;
            while (w.next(f)) {
                if (f.name == "code" && !m.have_code) m.have_code = bson_int(f, m.code);
                else if (f.name == "codeName" && m.code_name.empty() && bson_string(f, s)) m.code_name = s;
                else if (f.name == "errmsg" && m.errmsg.empty() && bson_string(f, s)) m.errmsg = s;
            }
        }
    }
    if (m.have_ok && m.ok == 0) m.error = true;
}

// OP_MSG: flagBits, then sections up to the end of the message (less the checksum).
void describe_msg(int32_t length, std::string_view b, Message& m, bool reply)
{
    if (b.size() < 5) return;
    uint32_t flags = static_cast<uint32_t>(read_i32(b.data()));
    if (flags & 0xFFFCu) return;  // unknown required bits (2-15)
    m.more_to_come = flags & kMoreToCome;
    size_t end = static_cast<size_t>(length) - kHeaderSize - ((flags & kChecksumPresent) ? 4 : 0);
    size_t pos = 4;
    while (pos < end && pos < b.size()) {
        uint8_t kind = static_cast<uint8_t>(b[pos]);
        if (kind == 0) {
            std::string_view doc = b.substr(pos + 1);
            BsonReader probe(doc);
            if (!probe.valid() || static_cast<size_t>(probe.declared_size()) > end - pos - 1) return;
            m.parsed = true;
            if (reply) read_reply(doc, m);
            else read_command(doc, m);
            return;  // one body section per message
        }
        if (kind != 1 || pos + 5 > b.size()) return;
        int32_t size = read_i32(b.data() + pos + 1);  // document sequence: size, identifier, documents
        if (size < 4 || static_cast<size_t>(size) > end - pos - 1) return;
        pos += 1 + static_cast<size_t>(size);
    }
}

Message describe_body(int32_t opcode, int32_t length, std::string_view b, bool reply)
{
    Message m;
    m.opcode = opcode;
    std::string_view ns;
    size_t next = 0;
    switch (opcode) {
    case OP_MSG: describe_msg(length, b, m, reply); break;
    case OP_QUERY: {
        if (b.size() < 4 || !cstring(b, 4, 256, ns, next) || ns.find('.') == std::string_view::npos) break;
        if (next + 8 > b.size()) break;
        std::string_view doc = b.substr(next + 8);
        BsonReader probe(doc);
        if (!probe.valid()) break;
        m.parsed = true;
        read_command(doc, m);
        std::string_view db = ns.substr(0, ns.find('.')), coll = ns.substr(ns.find('.') + 1);
        m.database = db;
        if (coll != "$cmd") {  // a legacy query on a collection
            m.command = "find";
            m.collection = coll;
        }
        break;
    }
    case OP_REPLY: {
        if (b.size() < 20) break;
        int32_t flags = read_i32(b.data());
        int32_t returned = read_i32(b.data() + 16);
        if (returned < 0) break;
        m.parsed = true;
        if (returned > 0) read_reply(b.substr(20), m);
        if (flags & 2) m.error = true;  // QueryFailure
        break;
    }
    case OP_INSERT:
    case OP_UPDATE:
    case OP_DELETE:
    case OP_GET_MORE: {
        // flags (insert) or ZERO, then the namespace
        if (!cstring(b, 4, 256, ns, next) || ns.find('.') == std::string_view::npos) break;
        m.parsed = true;
        m.database = ns.substr(0, ns.find('.'));
        m.collection = ns.substr(ns.find('.') + 1);
        m.command = opcode == OP_INSERT ? "insert" : opcode == OP_UPDATE ? "update" : opcode == OP_DELETE ? "delete" : "getMore";
        m.no_reply = opcode != OP_GET_MORE;
        break;
    }
    case OP_KILL_CURSORS:
        m.parsed = b.size() >= 8;
        m.command = "killCursors";
        m.no_reply = true;
        break;
    default: break;
    }
    return m;
}

}  // namespace

bool is_request_op(int32_t op) { return op != OP_REPLY; }

bool parse_header(std::string_view b, Header& h)
{
    if (b.size() < kHeaderSize) return false;
    h.length = read_i32(b.data());
    h.request_id = read_i32(b.data() + 4);
    h.response_to = read_i32(b.data() + 8);
    h.opcode = read_i32(b.data() + 12);
    int32_t min = min_body(h.opcode);
    return min >= 0 && h.length >= static_cast<int32_t>(kHeaderSize) + min && h.length <= kMaxMessage;
}

Message describe(const Header& h, std::string_view body)
{
    const bool reply = h.opcode == OP_REPLY || (h.opcode != OP_QUERY && h.response_to != 0);
    if (h.opcode != OP_COMPRESSED) return describe_body(h.opcode, h.length, body, reply);
    // OP_COMPRESSED: originalOpcode, uncompressedSize, compressorId, compressed message.
    Message m;
    m.opcode = h.opcode;
    if (body.size() < 9) return m;
    int32_t original = read_i32(body.data());
    int32_t size = read_i32(body.data() + 4);
    uint8_t compressor = static_cast<uint8_t>(body[8]);
    if (min_body(original) < 0 || original == OP_COMPRESSED || size < 0 || size > kMaxMessage) return m;
    if (compressor != 0) {  // snappy (1), zlib (2), zstd (3): not decoded
        m.parsed = true;
        m.compressed = true;
        return m;
    }
    Message inner = describe_body(original, size + static_cast<int32_t>(kHeaderSize), body.substr(9), reply);
    return inner;
}

}  // namespace obi::mongo
