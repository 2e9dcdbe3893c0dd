// Scalar parsing shared by the YAML and env readers (booleans, integers, sizes, lists),
// and the "did you mean" suggestion for misspelled keys and values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace obi::config {

std::string trim(std::string_view s);
std::string to_lower(std::string_view s);
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

// true/false, yes/no, on/off, 1/0, t/f (any case).
std::optional<bool> parse_bool(std::string_view text, std::string* error = nullptr);
// A decimal integer within [min, max].
std::optional<int64_t> parse_int(std::string_view text, int64_t min, int64_t max, std::string* error = nullptr);
std::optional<double> parse_double(std::string_view text, std::string* error = nullptr);
// Bytes: a plain integer, or with a binary suffix K/KiB, M/MiB, G/GiB ("8MiB", "64K").
std::optional<uint64_t> parse_size(std::string_view text, std::string* error = nullptr);

// Comma-separated list: items trimmed, empty items dropped.
std::vector<std::string> split_list(std::string_view text, char sep = ',');

size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` when it is close enough to be a likely typo, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace obi::config
