// OBI's port enumeration: "80,443,8000-8999" (inclusive ranges, whitespace allowed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace obi {

class PortEnum {
public:
    struct Range {
        uint16_t lo, hi;
    };
    // nullopt with *error naming the offending part for anything OBI would reject.
    static std::optional<PortEnum> parse(std::string_view text, std::string* error = nullptr);

    bool contains(uint16_t port) const;
    bool empty() const { return ranges_.empty(); }
    const std::vector<Range>& ranges() const { return ranges_; }
    std::string to_string() const;

private:
    std::vector<Range> ranges_;
};

}  // namespace obi
