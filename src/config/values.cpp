// Scalar parsing helpers and edit-distance suggestions.
#include "config/values.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace obi::config {

std::string trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::string to_lower(std::string_view s)
{
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep)
{
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += sep;
        out += item;
    }
    return out;
}

std::optional<bool> parse_bool(std::string_view text, std::string* error)
{
    std::string v = to_lower(trim(text));
    if (v == "true" || v == "yes" || v == "on" || v == "1" || v == "t") return true;
    if (v == "false" || v == "no" || v == "off" || v == "0" || v == "f") return false;
    if (error) *error = "'" + std::string(text) + "' is not a boolean (expected true or false)";
    return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view text, int64_t min, int64_t max, std::string* error)
{
    std::string v = trim(text);
    if (!v.empty() && v.front() == '+') v.erase(0, 1);
    int64_t out = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec == std::errc::invalid_argument || ptr != v.data() + v.size()) {
        if (error) *error = "'" + std::string(text) + "' is not a whole number";
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || out < min || out > max) {
        if (error)
            *error = "'" + std::string(text) + "' is out of range (expected " + std::to_string(min) + " to " +
                     std::to_string(max) + ")";
        return std::nullopt;
    }
    return out;
}

std::optional<double> parse_double(std::string_view text, std::string* error)
{
    std::string v = trim(text);
    if (!v.empty() && v.front() == '+') v.erase(0, 1);
    double out = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
        if (error) *error = "'" + std::string(text) + "' is not a number";
        return std::nullopt;
    }
    return out;
}

std::optional<uint64_t> parse_size(std::string_view text, std::string* error)
{
    std::string v = trim(text);
    size_t digits = 0;
    while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits]))) digits++;
    std::string suffix = to_lower(trim(std::string_view(v).substr(digits)));
    uint64_t mult = 0;
    if (suffix.empty() || suffix == "b") mult = 1;
    else if (suffix == "k" || suffix == "kib" || suffix == "kb") mult = 1ULL << 10;
    else if (suffix == "m" || suffix == "mib" || suffix == "mb") mult = 1ULL << 20;
    else if (suffix == "g" || suffix == "gib" || suffix == "gb") mult = 1ULL << 30;
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + digits, n);
    if (digits == 0 || mult == 0 || ec != std::errc() || ptr != v.data() + digits) {
        if (error) *error = "'" + std::string(text) + "' is not a size (expected bytes, e.g. 8388608, 8MiB or 64KiB)";
        return std::nullopt;
    }
    if (n > (UINT64_MAX / mult)) {
        if (error) *error = "'" + std::string(text) + "' is too large";
        return std::nullopt;
    }
    return n * mult;
}

std::vector<std::string> split_list(std::string_view text, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(sep, start);
        if (end == std::string_view::npos) end = text.size();
        std::string item = trim(text.substr(start, end - start));
        if (!item.empty()) out.push_back(std::move(item));
        start = end + 1;
    }
    return out;
}

size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); j++) {
            size_t subst = prev[j - 1] + (std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                                  std::tolower(static_cast<unsigned char>(b[j - 1]))
                                              ? 0
                                              : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates)
{
    std::string best;
    size_t best_distance = SIZE_MAX;
    for (const auto& c : candidates) {
        size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    // A typo: at most a third of the word changed (and at least one edit allowed).
    size_t limit = std::max<size_t>(1, std::max(word.size(), best.size()) / 3);
    if (best_distance > limit || best == word) return "";
    return best;
}

}  // namespace obi::config
