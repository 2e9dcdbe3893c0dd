// Incremental RESP2/RESP3 scanner for one direction of a connection: finds where each
// top-level value begins and ends across calls and uncaptured holes (bulk payloads are
// skipped by length), validates the framing with bounds on every length, count and depth,
// and keeps a compact summary of each value (its type, count, its first children's text).
// Optionally accepts inline commands (a line of words) on the request stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace obi::redis {

inline constexpr size_t kMaxLine = 64 * 1024;     // Redis' PROTO_INLINE_MAX_SIZE; also bounds simple lines
inline constexpr int64_t kMaxBulk = 4ll << 30;    // proto-max-bulk-len can be raised; beyond 4 GiB: not RESP
inline constexpr int64_t kMaxCount = 1ll << 32;   // elements of one aggregate
inline constexpr size_t kMaxDepth = 32;           // nesting of aggregates
inline constexpr size_t kMaxArgs = 64;            // children of a top-level aggregate kept per value
inline constexpr size_t kMaxArgBytes = 2048;      // text kept per value (all children together)

// A child of the top-level aggregate (or the top-level scalar itself): its type byte and
// the captured start of its text (bulk payload or line).
struct RespArg {
    char type = 0;
    uint32_t off = 0, len = 0;
    bool truncated = false;  // the text was longer than kept, or not captured
};

// A complete top-level value. Views are valid during the visitor call only.
struct RespMessage {
    char type = 0;          // '*', '$', '+', '-', ... ; 'i' for an inline command
    int64_t count = -1;     // elements of an aggregate (pairs for maps); -1: null, streamed or scalar
    bool null = false;
    std::string_view text;  // a scalar's text (simple/error line, bulk payload); "" for aggregates
    bool text_truncated = false;
    const RespArg* args = nullptr;  // children of an aggregate, in order (inline: the words)
    size_t nargs = 0;               // children kept (<= kMaxArgs; count may be larger)
    std::string_view buf;           // backing text of args

    bool is_error() const { return type == '-' || type == '!'; }
    std::string_view arg(size_t i) const { return i < nargs ? buf.substr(args[i].off, args[i].len) : std::string_view(); }
    char arg_type(size_t i) const { return i < nargs ? args[i].type : 0; }
    bool arg_truncated(size_t i) const { return i < nargs && args[i].truncated; }
};

class RespVisitor {
public:
    virtual ~RespVisitor() = default;
    // A top-level value starts at `offset` bytes into the current call.
    virtual void on_begin(uint64_t offset) = 0;
    // It ended `offset` bytes into the current call.
    virtual void on_message(const RespMessage& m, uint64_t offset) = 0;
};

class RespScanner {
public:
    enum class Result : uint8_t {
        Ok,       // every byte of the call was consumed
        Hole,     // framing fell into uncaptured bytes: the stream position is lost
        Invalid,  // the bytes are not RESP
    };

    explicit RespScanner(bool allow_inline = false) : allow_inline_(allow_inline) {}

    // One call: `captured` is the start of its `total` bytes and `tail` (optional) its last
    // bytes, which let the framing that ends a call be read after a hole. After Hole or
    // Invalid the scanner must be reset() before it is fed again.
    Result feed(std::string_view captured, uint64_t total, RespVisitor& v, std::string_view tail = {});
    void reset();

    // After Hole: the summary of the top-level command array that was in progress (its count,
    // the children read so far, the one cut short flagged truncated). False when the value
    // in progress is not an array or nothing of it is known.
    bool partial(RespMessage& out);

    bool in_message() const { return in_message_; }
    char message_type() const { return msg_type_; }  // of the value in progress

private:
    enum class State : uint8_t { Type, Line, LineLF, Bulk, BulkCR, BulkLF, Inline };
    enum class FrameKind : uint8_t { Aggregate, Attribute, StreamedAggregate, StreamedString };
    struct Frame {
        FrameKind kind;
        int64_t remaining;
    };

    Result on_type(char c, uint64_t pos, RespVisitor& v);
    Result on_line(RespVisitor& v, uint64_t pos);
    Result on_inline(RespVisitor& v, uint64_t pos);
    Result value_done(RespVisitor& v, uint64_t pos);
    void record(std::string_view bytes);
    void start_arg(char type);
    bool split_inline(std::string_view line);

    bool allow_inline_;
    State state_ = State::Type;
    bool in_message_ = false;
    char msg_type_ = 0;
    char cur_type_ = 0;
    bool cur_null_ = false;
    std::string line_;        // the current line's first bytes (lengths, numbers, inline command)
    size_t line_len_ = 0;     // its full length so far
    int64_t bulk_remaining_ = 0;
    std::vector<Frame> stack_;
    int rec_ = -1;  // index into args_ receiving bytes; -1 none
    // The value's summary.
    int64_t count_ = -1;
    bool null_ = false;
    std::string buf_;
    std::vector<RespArg> args_;
    RespArg text_;
    bool text_rec_ = false;
};

}  // namespace obi::redis
