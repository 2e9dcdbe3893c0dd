// summarize(): a small tokenizer (words, quoted identifiers, punctuation; strings, numbers and
// comments skipped) and the per-operation rules that find the statement's first table.
#include "protocols/sql/statement.h"

#include <array>
#include <cstdint>

namespace obi::sql {
namespace {

constexpr size_t kMaxWord = 64;         // longer words are not keywords
constexpr size_t kMaxCollection = 256;  // db.collection.name is cut here
constexpr int kMaxTokens = 4096;        // a statement head this long is not scanned further

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c & 0x80); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool word_char(char c) { return alpha(c) || digit(c) || c == '$'; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (upper(a[i]) != b[i]) return false;
    return true;
}

enum class Tok : uint8_t { End, Word, Quoted, Open, Close, Dot, Other };

struct Token {
    Tok kind = Tok::End;
    std::string_view text;  // Word: the word; Quoted: the name inside the quotes
};

// Tokens of a statement, left to right. Unterminated strings, quoted names and comments
// (a truncated statement) end the text.
class Lexer {
public:
    explicit Lexer(std::string_view s) : s_(s) {}

    Token next()
    {
        if (++count_ > kMaxTokens) return {};
        while (i_ < s_.size()) {
            char c = s_[i_];
            char n = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
                i_++;
            } else if ((c == '-' && n == '-') || c == '#') {
                size_t e = s_.find('\n', i_);
                i_ = e == std::string_view::npos ? s_.size() : e + 1;
            } else if (c == '/' && n == '*') {
                skip_block_comment();
            } else if (c == '\'') {
                skip_string(i_ + 1);
            } else if ((c == 'E' || c == 'e' || c == 'B' || c == 'b' || c == 'X' || c == 'x' || c == 'N' ||
                        c == 'n') &&
                       n == '\'') {
                skip_string(i_ + 2);
            } else if (c == '"' || c == '`') {
                size_t e = s_.find(c, i_ + 1);
                if (e == std::string_view::npos) {
                    i_ = s_.size();
                    return {};
                }
                Token t{Tok::Quoted, s_.substr(i_ + 1, e - i_ - 1)};
                i_ = e + 1;
                return t;
            } else if (c == '$' && !digit(n)) {  // dollar quoting $tag$...$tag$ (a string)
                size_t j = i_ + 1;
                while (j < s_.size() && (alpha(s_[j]) || digit(s_[j]))) j++;
                if (j < s_.size() && s_[j] == '$') {
                    std::string_view tag = s_.substr(i_, j - i_ + 1);
                    size_t e = s_.find(tag, j + 1);
                    i_ = e == std::string_view::npos ? s_.size() : e + tag.size();
                } else {
                    i_++;
                    return {Tok::Other, {}};
                }
            } else if (digit(c)) {
                while (i_ < s_.size() && (word_char(s_[i_]) || s_[i_] == '.')) i_++;
                return {Tok::Other, {}};
            } else if (alpha(c)) {
                size_t j = i_;
                while (j < s_.size() && word_char(s_[j])) j++;
                Token t{Tok::Word, s_.substr(i_, j - i_)};
                i_ = j;
                return t;
            } else {
                i_++;
                switch (c) {
                case '(': return {Tok::Open, {}};
                case ')': return {Tok::Close, {}};
                case '.': return {Tok::Dot, {}};
                default: return {Tok::Other, s_.substr(i_ - 1, 1)};
                }
            }
        }
        return {};
    }

private:
    void skip_string(size_t from)
    {
        // Both dialects: '' is an escaped quote; a backslash escapes in MySQL and E'' strings.
        // Treating \' as an escape everywhere only matters for a Postgres string ending in a
        // backslash, which then swallows the rest: the summary stays conservative.
        for (size_t j = from; j < s_.size(); j++) {
            if (s_[j] == '\\') {
                j++;
            } else if (s_[j] == '\'') {
                if (j + 1 < s_.size() && s_[j + 1] == '\'') {
                    j++;
                    continue;
                }
                i_ = j + 1;
                return;
            }
        }
        i_ = s_.size();
    }

    void skip_block_comment()
    {
        int depth = 0;  // Postgres nests block comments
        size_t j = i_;
        while (j + 1 < s_.size()) {
            if (s_[j] == '/' && s_[j + 1] == '*') {
                depth++;
                j += 2;
            } else if (s_[j] == '*' && s_[j + 1] == '/') {
                j += 2;
                if (--depth == 0) {
                    i_ = j;
                    return;
                }
            } else {
                j++;
            }
        }
        i_ = s_.size();
    }

    std::string_view s_;
    size_t i_ = 0;
    int count_ = 0;
};

constexpr std::array<std::string_view, 7> kMainOps = {"SELECT", "INSERT", "UPDATE", "DELETE", "ALTER", "CREATE", "DROP"};

// Leading keywords of other statements: the operation is the keyword itself.
constexpr std::array<std::string_view, 62> kOtherOps = {
    "WITH",     "BEGIN",      "START",    "COMMIT",   "END",      "ROLLBACK", "ABORT",    "SAVEPOINT",
    "RELEASE",  "SET",        "SHOW",     "RESET",    "TRUNCATE", "COPY",     "CALL",     "DO",
    "EXPLAIN",  "ANALYZE",    "ANALYSE",  "VACUUM",   "GRANT",    "REVOKE",   "LOCK",     "UNLOCK",
    "LISTEN",   "NOTIFY",     "UNLISTEN", "DISCARD",  "DEALLOCATE", "PREPARE", "EXECUTE", "FETCH",
    "MOVE",     "CLOSE",      "DECLARE",  "USE",      "REPLACE",  "MERGE",    "DESCRIBE", "DESC",
    "HANDLER",  "LOAD",       "REFRESH",  "REINDEX",  "CLUSTER",  "COMMENT",  "CHECKPOINT", "SECURITY",
    "XA",       "FLUSH",      "KILL",     "OPTIMIZE", "REPAIR",   "CHECKSUM", "RENAME",   "VALUES",
    "TABLE",    "IMPORT",     "PURGE",    "INSTALL",  "UNINSTALL", "UPSERT"};

template <size_t N>
std::string_view find_keyword(const std::array<std::string_view, N>& list, std::string_view word)
{
    if (word.size() > kMaxWord) return {};
    for (std::string_view k : list)
        if (iequals(word, k)) return k;
    return {};
}

bool is_word(const Token& t, std::string_view upper_word) { return t.kind == Tok::Word && iequals(t.text, upper_word); }

// A table name at the lexer's position: ident(.ident)*, not followed by '(' (a function).
class Parser {
public:
    explicit Parser(std::string_view s) : lex_(s) { advance(); }

    const Token& peek() const { return cur_; }
    void advance()
    {
        if (cur_.kind == Tok::Open) depth_++;
        if (cur_.kind == Tok::Close && depth_ > 0) depth_--;
        cur_ = lex_.next();
    }
    int depth() const { return depth_; }

    // Skips any of `words` (upper case).
    template <size_t N>
    void skip_words(const std::array<std::string_view, N>& words)
    {
        while (cur_.kind == Tok::Word && !find_keyword(words, cur_.text).empty()) advance();
    }

    // A table reference at the current token; "" when there is none. In a FROM list a name
    // followed by '(' is a function (generate_series(...)); elsewhere '(' opens a column list.
    std::string table_name(bool function_check = false)
    {
        std::string out;
        for (int part = 0; part < 4; part++) {
            if (cur_.kind != Tok::Word && cur_.kind != Tok::Quoted) return part == 0 ? std::string() : out;
            if (cur_.kind == Tok::Word && part == 0 && is_reserved(cur_.text)) return {};
            if (!out.empty()) out.push_back('.');
            out.append(cur_.text.substr(0, kMaxCollection));
            advance();
            if (cur_.kind != Tok::Dot) break;
            advance();
        }
        if (function_check && cur_.kind == Tok::Open) return {};  // a function call, not a table
        if (out.size() > kMaxCollection) out.resize(kMaxCollection);
        return out;
    }

private:
    static bool is_reserved(std::string_view w)
    {
        static constexpr std::array<std::string_view, 12> kWords = {
            "SELECT", "WHERE", "VALUES", "SET", "LATERAL", "UNNEST", "ONLY", "DUAL", "JOIN", "ON", "AS", "USING"};
        return !find_keyword(kWords, w).empty();
    }

    Lexer lex_;
    Token cur_;
    int depth_ = 0;
};

// SELECT: the first FROM at the statement's own depth names the table; a subquery there
// (FROM (SELECT ...)) falls back to the first FROM/JOIN table at any depth.
std::string select_table(Parser& p)
{
    int base = p.depth();
    std::string fallback;
    while (p.peek().kind != Tok::End) {
        const Token& t = p.peek();
        bool from = is_word(t, "FROM") || is_word(t, "JOIN");
        int d = p.depth();
        if (d < base) break;  // the statement's closing parenthesis
        p.advance();
        if (!from) continue;
        static constexpr std::array<std::string_view, 2> kSkip = {"ONLY", "LATERAL"};
        p.skip_words(kSkip);
        if (p.peek().kind == Tok::Open) continue;
        std::string name = p.table_name(true);
        if (name.empty()) continue;
        if (d == base) return name;
        if (fallback.empty()) fallback = std::move(name);
    }
    return fallback;
}

std::string insert_table(Parser& p)
{
    static constexpr std::array<std::string_view, 6> kSkip = {"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO", "OR"};
    static constexpr std::array<std::string_view, 5> kConflict = {"REPLACE", "ROLLBACK", "ABORT", "FAIL", "IGNORE"};
    p.skip_words(kSkip);
    p.skip_words(kConflict);  // SQLite-style INSERT OR REPLACE
    p.skip_words(kSkip);
    return p.table_name();
}

std::string update_table(Parser& p)
{
    static constexpr std::array<std::string_view, 3> kSkip = {"ONLY", "LOW_PRIORITY", "IGNORE"};
    p.skip_words(kSkip);
    return p.table_name();
}

std::string delete_table(Parser& p)
{
    static constexpr std::array<std::string_view, 4> kSkip = {"LOW_PRIORITY", "QUICK", "IGNORE", "ONLY"};
    p.skip_words(kSkip);
    if (is_word(p.peek(), "FROM")) {
        p.advance();
        p.skip_words(kSkip);
    }
    return p.table_name();  // MySQL's multi-table DELETE t1 FROM ...: the first one named
}

// ALTER / CREATE / DROP / TRUNCATE: tables, views and the table an index is on.
std::string ddl_table(Parser& p, bool truncate)
{
    static constexpr std::array<std::string_view, 13> kModifiers = {
        "OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "UNIQUE", "MATERIALIZED",
        "RECURSIVE", "EXTERNAL", "FOREIGN", "CONCURRENTLY"};
    static constexpr std::array<std::string_view, 5> kIfExists = {"IF", "NOT", "EXISTS", "ONLY", "CONCURRENTLY"};
    p.skip_words(kModifiers);
    const Token& kind = p.peek();
    if (truncate) {
        if (is_word(kind, "TABLE")) p.advance();
        p.skip_words(kIfExists);
        return p.table_name();
    }
    if (is_word(kind, "TABLE") || is_word(kind, "VIEW")) {
        p.advance();
        p.skip_words(kIfExists);
        return p.table_name();
    }
    if (is_word(kind, "INDEX")) {  // CREATE INDEX [name] ON table
        for (int i = 0; i < 8 && p.peek().kind != Tok::End; i++) {
            bool on = is_word(p.peek(), "ON");
            p.advance();
            if (on) {
                p.skip_words(kIfExists);
                return p.table_name();
            }
        }
    }
    return {};
}

std::string table_for(std::string_view op, Parser& p)
{
    if (op == "SELECT") return select_table(p);
    if (op == "INSERT" || op == "REPLACE") return insert_table(p);
    if (op == "UPDATE") return update_table(p);
    if (op == "DELETE") return delete_table(p);
    if (op == "ALTER" || op == "CREATE" || op == "DROP") return ddl_table(p, false);
    if (op == "TRUNCATE") return ddl_table(p, true);
    if (op == "COPY" || op == "LOCK") {
        static constexpr std::array<std::string_view, 3> kSkip = {"TABLE", "TABLES", "ONLY"};
        p.skip_words(kSkip);
        return p.table_name();
    }
    return {};
}

}  // namespace

StatementSummary summarize(std::string_view statement)
{
    StatementSummary out;
    Parser p(statement);
    while (p.peek().kind == Tok::Open) p.advance();
    if (p.peek().kind != Tok::Word) return out;
    std::string_view lead = find_keyword(kMainOps, p.peek().text);
    if (lead.empty()) lead = find_keyword(kOtherOps, p.peek().text);
    if (lead.empty()) return out;
    p.advance();
    if (lead == "WITH") {
        // The statement after the common table expressions: the first main operation at the
        // WITH's depth; a truncated text falls back to the first one anywhere.
        int base = p.depth();
        std::string_view any;
        while (p.peek().kind != Tok::End) {
            std::string_view op = p.peek().kind == Tok::Word ? find_keyword(kMainOps, p.peek().text) : std::string_view();
            bool top = p.depth() == base;
            p.advance();
            if (op.empty()) continue;
            if (top) {
                out.operation = op;
                out.collection = table_for(op, p);
                return out;
            }
            if (any.empty()) any = op;
        }
        out.operation = any.empty() ? std::string("WITH") : std::string(any);
        return out;
    }
    out.operation = lead;
    out.collection = table_for(lead, p);
    return out;
}

bool starts_like_sql(std::string_view text)
{
    Lexer lex(text);
    Token t = lex.next();
    for (int i = 0; i < 8 && t.kind == Tok::Open; i++) t = lex.next();
    if (t.kind != Tok::Word) return false;
    return !find_keyword(kMainOps, t.text).empty() || !find_keyword(kOtherOps, t.text).empty();
}

std::string_view clean_text_prefix(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
            i++;
            continue;
        }
        size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || c == 0xC0 || c == 0xC1 || c > 0xF4 || i + n > s.size()) break;
        bool ok = true;
        for (size_t k = 1; k < n; k++)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) ok = false;
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        if (ok && n == 3 && ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))) ok = false;  // overlong, surrogate
        if (ok && n == 4 && ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))) ok = false;
        if (!ok) break;
        i += n;
    }
    return s.substr(0, i);
}

}  // namespace obi::sql
