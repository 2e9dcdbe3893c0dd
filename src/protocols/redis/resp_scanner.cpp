// RespScanner: the RESP framing state machine (type byte -> line -> bulk payload -> CRLF),
// the aggregate stack, attributes (which are not values of their parent), streamed strings
// and aggregates, and inline commands.
#include "protocols/redis/resp_scanner.h"

#include <algorithm>
#include <cctype>

namespace obi::redis {
namespace {

constexpr size_t kKeepLine = 64;      // bytes of a length or number line kept for parsing
constexpr size_t kKeepInline = 4096;  // bytes of an inline command kept for splitting

bool text_line_type(char c) { return c == '+' || c == '-' || c == ':' || c == ',' || c == '(' || c == '#'; }

// A non-negative decimal up to `max`; "" and leading '+' are invalid.
bool parse_length(std::string_view s, int64_t max, int64_t& out)
{
    if (s.empty() || s.size() > 19) return false;
    int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

bool integer_text(std::string_view s)
{
    if (!s.empty() && s[0] == '-') s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool double_text(std::string_view s)
{
    if (s == "inf" || s == "-inf" || s == "nan") return true;
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    });
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

void RespScanner::reset()
{
    state_ = State::Type;
    in_message_ = false;
    msg_type_ = cur_type_ = 0;
    line_.clear();
    line_len_ = 0;
    bulk_remaining_ = 0;
    stack_.clear();
    rec_ = -1;
    text_rec_ = false;
}

void RespScanner::record(std::string_view bytes)
{
    RespArg* a = text_rec_ ? &text_ : (rec_ >= 0 ? &args_[static_cast<size_t>(rec_)] : nullptr);
    if (!a || bytes.empty()) return;
    size_t room = buf_.size() < kMaxArgBytes ? kMaxArgBytes - buf_.size() : 0;
    size_t n = std::min(room, bytes.size());
    buf_.append(bytes.data(), n);
    a->len += static_cast<uint32_t>(n);
    if (n < bytes.size()) a->truncated = true;
}

void RespScanner::start_arg(char type)
{
    if (args_.size() >= kMaxArgs) {
        rec_ = -1;
        return;
    }
    args_.push_back({type, static_cast<uint32_t>(buf_.size()), 0, false});
    rec_ = static_cast<int>(args_.size() - 1);
}

RespScanner::Result RespScanner::feed(std::string_view cap, uint64_t total, RespVisitor& v, std::string_view tail)
{
    const uint64_t ncap = std::min<uint64_t>(cap.size(), total);
    // Known bytes: [0, ncap) captured, [tail_at, total) from the tail; between them a hole.
    if (tail.size() > total) tail = tail.substr(tail.size() - total);
    const uint64_t tail_at = std::max<uint64_t>(ncap, total - tail.size());
    auto known = [&](uint64_t pos) -> std::string_view {
        if (pos < ncap) return cap.substr(pos, ncap - pos);
        if (pos >= tail_at && pos < total) return tail.substr(pos - (total - tail.size()));
        return {};
    };
    uint64_t pos = 0;
    while (pos < total) {
        const std::string_view seg = known(pos);  // the known bytes from pos on; empty in a hole
        const bool have = !seg.empty();
        switch (state_) {
        case State::Type: {
            if (!have) return Result::Hole;
            Result r = on_type(seg[0], pos, v);
            pos++;
            if (r != Result::Ok) return r;
            break;
        }
        case State::Line: {
            if (!have) return Result::Hole;
            size_t i = seg.find_first_of("\r\n");
            std::string_view piece = seg.substr(0, i == std::string_view::npos ? seg.size() : i);
            line_len_ += piece.size();
            if (line_len_ > kMaxLine) return Result::Invalid;
            if (line_.size() < kKeepLine) line_.append(piece.substr(0, kKeepLine - line_.size()));
            if (text_line_type(cur_type_)) record(piece);
            pos += piece.size();
            if (i == std::string_view::npos) break;
            if (seg[i] == '\n') return Result::Invalid;  // a line ends with CRLF
            pos++;
            state_ = State::LineLF;
            break;
        }
        case State::LineLF: {
            if (!have) return Result::Hole;
            if (seg[0] != '\n') return Result::Invalid;
            pos++;
            Result r = on_line(v, pos);
            if (r != Result::Ok) return r;
            break;
        }
        case State::Bulk: {
            uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(bulk_remaining_), total - pos);
            RespArg* a = text_rec_ ? &text_ : (rec_ >= 0 ? &args_[static_cast<size_t>(rec_)] : nullptr);
            if (have) {
                n = std::min<uint64_t>(n, seg.size());
                record(seg.substr(0, n));
            } else {  // skipped by length up to the next known byte
                if (pos < tail_at) n = std::min<uint64_t>(n, tail_at - pos);
                if (a) a->truncated = true;
            }
            pos += n;
            bulk_remaining_ -= static_cast<int64_t>(n);
            if (bulk_remaining_ == 0) state_ = State::BulkCR;
            break;
        }
        case State::BulkCR:  // unverifiable in a hole: the length said where it is
            if (have && seg[0] != '\r') return Result::Invalid;
            pos++;
            state_ = State::BulkLF;
            break;
        case State::BulkLF: {
            if (have && seg[0] != '\n') return Result::Invalid;
            pos++;
            if (!stack_.empty() && stack_.back().kind == FrameKind::StreamedString) {  // a chunk, not a value
                state_ = State::Type;
                break;
            }
            Result r = value_done(v, pos);
            if (r != Result::Ok) return r;
            break;
        }
        case State::Inline: {
            if (!have) return Result::Hole;
            size_t i = seg.find('\n');
            std::string_view piece = seg.substr(0, i == std::string_view::npos ? seg.size() : i);
            line_len_ += piece.size();
            if (line_len_ > kMaxLine) return Result::Invalid;
            if (line_.size() < kKeepInline) line_.append(piece.substr(0, kKeepInline - line_.size()));
            pos += piece.size();
            if (i == std::string_view::npos) break;
            pos++;
            Result r = on_inline(v, pos);
            if (r != Result::Ok) return r;
            break;
        }
        }
    }
    return Result::Ok;
}

bool RespScanner::partial(RespMessage& out)
{
    if (!in_message_ || msg_type_ != '*' || stack_.empty() || stack_[0].kind != FrameKind::Aggregate) return false;
    if (rec_ >= 0) args_[static_cast<size_t>(rec_)].truncated = true;  // the child cut short
    out = RespMessage{};
    out.type = msg_type_;
    out.count = count_;
    out.buf = buf_;
    out.args = args_.data();
    out.nargs = args_.size();
    return true;
}

RespScanner::Result RespScanner::on_type(char c, uint64_t pos, RespVisitor& v)
{
    const size_t depth = stack_.size();
    if (!in_message_) {
        in_message_ = true;
        msg_type_ = 0;
        count_ = -1;
        null_ = false;
        buf_.clear();
        args_.clear();
        text_ = {};
        text_rec_ = false;
        rec_ = -1;
        v.on_begin(pos);
    }
    if (depth == 0 && allow_inline_ && c != '*') {  // requests are arrays of bulk strings, or inline
        if (c == '\n') {  // an empty line: Redis ignores it
            in_message_ = false;
            return Result::Ok;
        }
        if (!std::isalpha(static_cast<unsigned char>(c)) && c != '\r' && c != ' ' && c != '\t') return Result::Invalid;
        msg_type_ = 'i';
        line_.assign(1, c);
        line_len_ = 1;
        state_ = State::Inline;
        return Result::Ok;
    }
    const bool in_streamed_string = depth > 0 && stack_.back().kind == FrameKind::StreamedString;
    if (in_streamed_string != (c == ';')) return Result::Invalid;
    switch (c) {
    case '+': case '-': case ':': case '$': case '*':                       // RESP2
    case '_': case '#': case ',': case '(': case '!': case '=': case '%':  // RESP3
    case '~': case '>': case '|': case ';': break;
    case '.':
        if (depth == 0 || stack_.back().kind != FrameKind::StreamedAggregate) return Result::Invalid;
        break;
    default: return Result::Invalid;
    }
    if (c != ';') {
        rec_ = -1;
        text_rec_ = false;
        if (depth == 0 && c != '|') {
            msg_type_ = c;
            text_ = {c, static_cast<uint32_t>(buf_.size()), 0, false};
            text_rec_ = true;
        } else if (depth == 1 && c != '|' && c != '.' &&
                   (stack_[0].kind == FrameKind::Aggregate || stack_[0].kind == FrameKind::StreamedAggregate)) {
            start_arg(c);
        }
    }
    cur_type_ = c;
    line_.clear();
    line_len_ = 0;
    state_ = State::Line;
    return Result::Ok;
}

RespScanner::Result RespScanner::on_line(RespVisitor& v, uint64_t pos)
{
    const std::string_view l = line_;
    const bool top = stack_.empty();
    const bool kept_all = line_len_ == line_.size();
    switch (cur_type_) {
    case '+':
    case '-': return value_done(v, pos);
    case ':':
        if (line_len_ > 20 || !integer_text(l)) return Result::Invalid;
        return value_done(v, pos);
    case '#':
        if (l != "t" && l != "f") return Result::Invalid;
        return value_done(v, pos);
    case ',':
        if (!kept_all || !double_text(l)) return Result::Invalid;
        return value_done(v, pos);
    case '(':
        if (!integer_text(l)) return Result::Invalid;
        return value_done(v, pos);
    case '_':
        if (line_len_ != 0) return Result::Invalid;
        if (top) null_ = true;
        return value_done(v, pos);
    case '.':
        if (line_len_ != 0) return Result::Invalid;
        stack_.pop_back();
        return value_done(v, pos);
    case '$':
    case '!':
    case '=':
    case ';': {
        if (!kept_all) return Result::Invalid;
        if (cur_type_ == '$' && l == "?") {
            if (stack_.size() >= kMaxDepth) return Result::Invalid;
            stack_.push_back({FrameKind::StreamedString, -1});
            state_ = State::Type;
            return Result::Ok;
        }
        if (cur_type_ == '$' && l == "-1") {  // RESP2 null bulk string
            if (top) null_ = true;
            return value_done(v, pos);
        }
        int64_t len = 0;
        if (!parse_length(l, kMaxBulk, len)) return Result::Invalid;
        if (cur_type_ == ';' && len == 0) {  // end of a streamed string
            stack_.pop_back();
            return value_done(v, pos);
        }
        if (cur_type_ == '=' && len < 4) return Result::Invalid;  // "txt:" format prefix
        bulk_remaining_ = len;
        state_ = len > 0 ? State::Bulk : State::BulkCR;
        return Result::Ok;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
        if (!kept_all) return Result::Invalid;
        if (cur_type_ == '*' && l == "-1") {  // RESP2 null array
            if (top) null_ = true;
            return value_done(v, pos);
        }
        if (l == "?" && cur_type_ != '|') {
            if (stack_.size() >= kMaxDepth) return Result::Invalid;
            stack_.push_back({FrameKind::StreamedAggregate, -1});
            state_ = State::Type;
            return Result::Ok;
        }
        int64_t n = 0;
        if (!parse_length(l, kMaxCount, n)) return Result::Invalid;
        if (top && cur_type_ != '|') count_ = n;
        const bool pairs = cur_type_ == '%' || cur_type_ == '|';
        const int64_t elements = pairs ? n * 2 : n;
        if (elements == 0) {
            if (cur_type_ == '|') {  // an empty attribute: no value yet
                state_ = State::Type;
                return Result::Ok;
            }
            return value_done(v, pos);
        }
        if (stack_.size() >= kMaxDepth) return Result::Invalid;
        stack_.push_back({cur_type_ == '|' ? FrameKind::Attribute : FrameKind::Aggregate, elements});
        state_ = State::Type;
        return Result::Ok;
    }
    }
    return Result::Invalid;
}

RespScanner::Result RespScanner::value_done(RespVisitor& v, uint64_t pos)
{
    state_ = State::Type;
    rec_ = -1;
    text_rec_ = false;
    for (;;) {
        if (stack_.empty()) break;
        Frame& f = stack_.back();
        if (f.kind == FrameKind::StreamedAggregate) return Result::Ok;  // ends with '.'
        if (--f.remaining > 0) return Result::Ok;
        const bool attribute = f.kind == FrameKind::Attribute;
        stack_.pop_back();
        if (attribute) return Result::Ok;  // not a value of its parent; at the top the value follows
    }
    RespMessage m;
    m.type = msg_type_;
    m.count = count_;
    m.null = null_;
    m.buf = buf_;
    if (msg_type_ != '*' && msg_type_ != '~' && msg_type_ != '>' && msg_type_ != '%') {
        m.text = std::string_view(buf_).substr(text_.off, text_.len);
        m.text_truncated = text_.truncated;
    }
    m.args = args_.data();
    m.nargs = args_.size();
    in_message_ = false;
    v.on_message(m, pos);
    return Result::Ok;
}

// Splits an inline command the way Redis does (sdssplitargs): words separated by blanks,
// "double quoted" with \n \r \t \b \a \\ \" \xHH escapes, 'single quoted' with \'.
bool RespScanner::split_inline(std::string_view line)
{
    size_t i = 0;
    const size_t n = line.size();
    while (true) {
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n' || line[i] == '\v' ||
                         line[i] == '\f'))
            i++;
        if (i >= n) return true;
        start_arg('$');
        std::string word;
        bool dq = false, sq = false;
        for (;; i++) {
            if (i >= n) {
                if (dq || sq) return false;  // unbalanced quotes
                break;
            }
            char c = line[i];
            if (dq) {
                if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && hex_digit(line[i + 2]) >= 0 && hex_digit(line[i + 3]) >= 0) {
                    word.push_back(static_cast<char>(hex_digit(line[i + 2]) * 16 + hex_digit(line[i + 3])));
                    i += 3;
                } else if (c == '\\' && i + 1 < n) {
                    char e = line[++i];
                    switch (e) {
                    case 'n': word.push_back('\n'); break;
                    case 'r': word.push_back('\r'); break;
                    case 't': word.push_back('\t'); break;
                    case 'b': word.push_back('\b'); break;
                    case 'a': word.push_back('\a'); break;
                    default: word.push_back(e); break;
                    }
                } else if (c == '"') {
                    if (i + 1 < n && line[i + 1] != ' ' && line[i + 1] != '\t') return false;  // closing quote must end the word
                    i++;
                    break;
                } else {
                    word.push_back(c);
                }
            } else if (sq) {
                if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
                    word.push_back('\'');
                    i++;
                } else if (c == '\'') {
                    if (i + 1 < n && line[i + 1] != ' ' && line[i + 1] != '\t') return false;
                    i++;
                    break;
                } else {
                    word.push_back(c);
                }
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
                break;
            } else if (c == '"' && word.empty()) {
                dq = true;
            } else if (c == '\'' && word.empty()) {
                sq = true;
            } else {
                word.push_back(c);
            }
        }
        record(word);
    }
}

RespScanner::Result RespScanner::on_inline(RespVisitor& v, uint64_t pos)
{
    std::string_view l = line_;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    std::string line(l);  // split_inline appends to buf_, which must not alias line_
    if (!split_inline(line)) return Result::Invalid;
    state_ = State::Type;
    rec_ = -1;
    in_message_ = false;
    if (args_.empty()) return Result::Ok;  // an empty line: Redis ignores it
    RespMessage m;
    m.type = 'i';
    m.count = static_cast<int64_t>(args_.size());
    m.buf = buf_;
    m.args = args_.data();
    m.nargs = args_.size();
    m.text_truncated = line_len_ > line_.size();
    v.on_message(m, pos);
    return Result::Ok;
}

}  // namespace obi::redis
