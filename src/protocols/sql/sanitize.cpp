// A single-pass SQL lexer that copies everything but literals.
#include "protocols/sql/sanitize.h"

#include <cctype>

namespace obi::sql {
namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '#'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// End of a quoted section starting at `i` (the opening quote), honouring doubled quotes and,
// when `backslash`, backslash escapes. Unterminated: the end of the text.
size_t skip_quoted(std::string_view s, size_t i, char q, bool backslash)
{
    for (size_t j = i + 1; j < s.size(); j++) {
        if (backslash && s[j] == '\\') {
            j++;
            continue;
        }
        if (s[j] == q) {
            if (j + 1 < s.size() && s[j + 1] == q) {
                j++;
                continue;
            }
            return j + 1;
        }
    }
    return s.size();
}

// Postgres dollar quoting: $tag$ ... $tag$ (tag may be empty). Returns 0 when `i` does not open one.
size_t skip_dollar(std::string_view s, size_t i)
{
    size_t j = i + 1;
    while (j < s.size() && (std::isalpha(static_cast<unsigned char>(s[j])) || s[j] == '_')) j++;
    if (j >= s.size() || s[j] != '$') return 0;
    std::string_view tag = s.substr(i, j - i + 1);
    size_t end = s.find(tag, j + 1);
    return end == std::string_view::npos ? s.size() : end + tag.size();
}

// End of the block comment opening at `i`; Postgres nests them (/* /* */ */ is one comment,
// so a quote inside must not be taken as a string start that hides a literal after it).
size_t skip_block_comment(std::string_view s, size_t i, bool nested)
{
    int depth = 0;
    size_t j = i;
    while (j + 1 < s.size()) {
        if (s[j] == '/' && s[j + 1] == '*') {
            if (depth == 0 || nested) depth++;
            j += 2;
        } else if (s[j] == '*' && s[j + 1] == '/') {
            j += 2;
            if (--depth == 0) return j;
        } else {
            j++;
        }
    }
    return s.size();
}

size_t skip_number(std::string_view s, size_t i)
{
    size_t j = i;
    if (j + 1 < s.size() && s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X')) {
        j += 2;
        while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) j++;
        return j;
    }
    while (j < s.size() && digit(s[j])) j++;
    if (j < s.size() && s[j] == '.') {
        j++;
        while (j < s.size() && digit(s[j])) j++;
    }
    if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) k++;
        if (k < s.size() && digit(s[k])) {
            j = k;
            while (j < s.size() && digit(s[j])) j++;
        }
    }
    return j;
}

}  // namespace

std::string sanitize(std::string_view s, Dialect dialect)
{
    const bool mysql = dialect == Dialect::MySQL;
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    size_t literal_end = std::string_view::npos;  // where the last literal ended: a token starts there
    while (i < s.size()) {
        char c = s[i];
        const bool token_start = i == 0 || !ident_char(s[i - 1]) || i == literal_end;
        char next = i + 1 < s.size() ? s[i + 1] : '\0';
        if ((c == '-' && next == '-') || (mysql && c == '#')) {  // line comment: copied
            size_t end = s.find('\n', i);
            end = end == std::string_view::npos ? s.size() : end;
            out.append(s.substr(i, end - i));
            i = end;
        } else if (c == '/' && next == '*') {  // block comment: copied
            size_t end = skip_block_comment(s, i, !mysql);
            out.append(s.substr(i, end - i));
            i = end;
        } else if (c == '\'') {
            i = skip_quoted(s, i, '\'', mysql);
            out += '?';
            literal_end = i;
        } else if (c == '"') {
            if (mysql) {  // a string in MySQL's default mode
                i = skip_quoted(s, i, '"', true);
                out += '?';
            literal_end = i;
            } else {  // a quoted identifier in Postgres
                size_t end = skip_quoted(s, i, '"', false);
                out.append(s.substr(i, end - i));
                i = end;
            }
        } else if (c == '`') {  // MySQL quoted identifier
            size_t end = skip_quoted(s, i, '`', false);
            out.append(s.substr(i, end - i));
            i = end;
        } else if (!mysql && c == '$' && !digit(next) && token_start &&
                   skip_dollar(s, i) != 0) {
            i = skip_dollar(s, i);
            out += '?';
            literal_end = i;
        } else if (c == '$' && digit(next)) {  // $1 placeholder
            size_t j = i + 1;
            while (j < s.size() && digit(s[j])) j++;
            out.append(s.substr(i, j - i));
            i = j;
        } else if ((c == 'E' || c == 'e' || c == 'B' || c == 'b' || c == 'X' || c == 'x' || c == 'N' || c == 'n') &&
                   next == '\'' && token_start) {  // E'..', B'..', X'..', N'..'
            i = skip_quoted(s, i + 1, '\'', c == 'E' || c == 'e' || mysql);
            out += '?';
            literal_end = i;
        } else if (ident_char(c) && !digit(c)) {  // identifier or keyword (may contain digits)
            size_t j = i;
            while (j < s.size() && ident_char(s[j]) && !(mysql && s[j] == '#')) j++;
            out.append(s.substr(i, j - i));
            i = j;
        } else if (digit(c) || (c == '.' && digit(next))) {
            i = skip_number(s, c == '.' ? i + 1 : i);
            out += '?';
            literal_end = i;
        } else {
            out += c;
            i++;
        }
    }
    return out;
}

}  // namespace obi::sql
