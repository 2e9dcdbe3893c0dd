// Glob patterns with the semantics OBI users know (gobwas/glob without separators):
// `*` any run of characters including '/', `?` one character, `[abc]` `[a-z]` `[!a]`
// classes, `{a,b}` alternatives (nestable), `\` escapes the next character.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace obi {

class Glob {
public:
    // Returns nullopt and sets *error (what is wrong, and where) for an invalid pattern.
    static std::optional<Glob> compile(std::string_view pattern, std::string* error = nullptr);

    bool matches(std::string_view text) const;
    const std::string& pattern() const { return pattern_; }

private:
    Glob(std::string p, std::vector<std::string> alts) : pattern_(std::move(p)), alternatives_(std::move(alts)) {}
    std::string pattern_;
    std::vector<std::string> alternatives_;  // the pattern with every {a,b} expanded
};

}  // namespace obi
