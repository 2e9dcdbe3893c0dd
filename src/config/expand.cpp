// Environment reference expansion for the YAML text.
#include "config/expand.h"

#include <cctype>

namespace obi::config {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct Ref {
    size_t end = 0;  // index just past the closing '}'
    std::string name;
    bool has_default = false;
    std::string fallback;
};

// Parses "${...}" starting at text[pos] == '$'. False if it is not a reference.
bool parse_ref(std::string_view text, size_t pos, Ref& ref)
{
    size_t i = pos + 2;  // past "${"
    if (text.substr(i, 4) == "env:") i += 4;
    if (i >= text.size() || !name_start(text[i])) return false;
    size_t name_begin = i;
    while (i < text.size() && name_char(text[i])) i++;
    ref.name = std::string(text.substr(name_begin, i - name_begin));
    if (text.substr(i, 2) == ":-") {
        size_t close = text.find('}', i + 2);
        size_t newline = text.find('\n', i + 2);
        if (close == std::string_view::npos || (newline != std::string_view::npos && newline < close)) return false;
        ref.has_default = true;
        ref.fallback = std::string(text.substr(i + 2, close - i - 2));
        ref.end = close + 1;
        return true;
    }
    if (i >= text.size() || text[i] != '}') return false;
    ref.end = i + 1;
    return true;
}

}  // namespace

std::string expand_env_refs(std::string_view text, const EnvLookup& env)
{
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c != '$') {
            out += c;
            i++;
            continue;
        }
        Ref ref;
        // "$${NAME}" is an escaped reference: emit "${NAME}" literally.
        if (text.substr(i, 3) == "$${" && parse_ref(text, i + 1, ref)) {
            out.append(text.substr(i + 1, ref.end - i - 1));
            i = ref.end;
            continue;
        }
        if (text.substr(i, 2) == "${" && parse_ref(text, i, ref)) {
            auto value = env ? env(ref.name) : std::nullopt;
            if (ref.has_default && (!value || value->empty()))
                out += ref.fallback;
            else if (value)
                out += *value;
            i = ref.end;
            continue;
        }
        out += c;
        i++;
    }
    return out;
}

}  // namespace obi::config
