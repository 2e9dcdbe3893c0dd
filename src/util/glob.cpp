// Glob compilation (brace expansion, validation) and a backtracking matcher for the
// brace-free alternatives; patterns are short (paths, names).
#include "util/glob.h"

namespace obi {
namespace {

constexpr size_t kMaxAlternatives = 1024;

// End of the [...] class starting at `open` (index of ']'), or npos.
size_t class_end(std::string_view p, size_t open)
{
    size_t j = open + 1;
    if (j < p.size() && p[j] == '!') j++;
    if (j < p.size() && p[j] == ']') j++;  // a leading ']' is literal
    while (j < p.size() && p[j] != ']') {
        if (p[j] == '\\') j++;
        j++;
    }
    return j < p.size() ? j : std::string_view::npos;
}

// Expands the first top-level {...} group recursively. Returns false on too many results.
bool expand(const std::string& p, std::vector<std::string>& out)
{
    size_t open = std::string::npos, close = std::string::npos;
    std::vector<size_t> commas;
    int depth = 0;
    for (size_t i = 0; i < p.size(); i++) {
        char c = p[i];
        if (c == '\\') {
            i++;
        } else if (c == '[') {
            i = class_end(p, i);
        } else if (c == '{') {
            if (depth++ == 0) open = i;
        } else if (c == '}') {
            if (--depth == 0) {
                close = i;
                break;
            }
        } else if (c == ',' && depth == 1) {
            commas.push_back(i);
        }
    }
    if (open == std::string::npos) {
        if (out.size() >= kMaxAlternatives) return false;
        out.push_back(p);
        return true;
    }
    std::string head = p.substr(0, open), tail = p.substr(close + 1);
    size_t start = open + 1;
    commas.push_back(close);
    for (size_t comma : commas) {
        if (!expand(head + p.substr(start, comma - start) + tail, out)) return false;
        start = comma + 1;
    }
    return true;
}

// Matches one character against the class p[open..end]; end is the index of ']'.
bool class_matches(std::string_view p, size_t open, size_t end, char c)
{
    size_t j = open + 1;
    bool negate = p[j] == '!';
    if (negate) j++;
    bool hit = false;
    while (j < end) {
        char lo = p[j];
        if (lo == '\\' && j + 1 < end) lo = p[++j];
        j++;
        char hi = lo;
        if (j + 1 < end && p[j] == '-') {  // a range; a '-' just before ']' is literal
            hi = p[j + 1];
            if (hi == '\\' && j + 2 < end) {
                hi = p[j + 2];
                j++;
            }
            j += 2;
        }
        if (c >= lo && c <= hi) hit = true;
    }
    return hit != negate;
}

bool match_plain(std::string_view p, std::string_view t)
{
    size_t pi = 0, ti = 0;
    size_t star_p = std::string_view::npos, star_t = 0;
    while (ti < t.size() || pi < p.size()) {
        if (pi < p.size()) {
            char c = p[pi];
            if (c == '*') {
                star_p = pi++;
                star_t = ti;
                continue;
            }
            if (ti < t.size()) {
                bool ok;
                size_t next = pi + 1;
                if (c == '?') {
                    ok = true;
                } else if (c == '[') {
                    size_t end = class_end(p, pi);
                    ok = class_matches(p, pi, end, t[ti]);
                    next = end + 1;
                } else if (c == '\\') {
                    ok = p[pi + 1] == t[ti];
                    next = pi + 2;
                } else {
                    ok = c == t[ti];
                }
                if (ok) {
                    pi = next;
                    ti++;
                    continue;
                }
            }
        }
        if (star_p == std::string_view::npos || star_t >= t.size()) return false;
        pi = star_p + 1;
        ti = ++star_t;
    }
    return true;
}

}  // namespace

std::optional<Glob> Glob::compile(std::string_view p, std::string* error)
{
    auto fail = [&](std::string msg) -> std::optional<Glob> {
        if (error) *error = std::move(msg);
        return std::nullopt;
    };
    int depth = 0;
    for (size_t i = 0; i < p.size(); i++) {
        char c = p[i];
        if (c == '\\') {
            if (i + 1 >= p.size()) return fail("a '\\' ends the pattern; escape it as '\\\\'");
            i++;
        } else if (c == '[') {
            size_t end = class_end(p, i);
            if (end == std::string_view::npos)
                return fail("the '[' at position " + std::to_string(i + 1) + " has no closing ']'");
            if (end == i + 1 || (end == i + 2 && p[i + 1] == '!'))
                return fail("the character class at position " + std::to_string(i + 1) + " is empty");
            i = end;
        } else if (c == '{') {
            depth++;
        } else if (c == '}') {
            if (depth == 0) return fail("the '}' at position " + std::to_string(i + 1) + " has no opening '{'");
            depth--;
        }
    }
    if (depth != 0) return fail("a '{' has no closing '}'");
    std::vector<std::string> alts;
    if (!expand(std::string(p), alts))
        return fail("the pattern expands to more than " + std::to_string(kMaxAlternatives) + " alternatives");
    return Glob(std::string(p), std::move(alts));
}

bool Glob::matches(std::string_view text) const
{
    for (const auto& a : alternatives_)
        if (match_plain(a, text)) return true;
    return false;
}

}  // namespace obi
