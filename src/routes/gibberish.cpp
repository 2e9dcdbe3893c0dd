// Scoring with the generated bigram table; no allocation, one table lookup per letter.
#include "routes/gibberish.h"

#include <cstddef>
#include <cstdint>

namespace obi::routes {
namespace {
#include "routes/gibberish_model.inc"

inline int letter_index(char c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' : c - 'a';
}

inline bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool run_is_gibberish(std::string_view run)
{
    return run.size() >= kGibberishMinWordLen && gibberish_score_milli(run) < kGibberishThresholdMilli;
}

}  // namespace

int gibberish_score_milli(std::string_view letters)
{
    int prev = kGibberishBoundary;
    int64_t total = 0;
    for (char c : letters) {
        int cur = letter_index(c);
        total += kGibberishLogProb[prev][cur];
        prev = cur;
    }
    total += kGibberishLogProb[prev][kGibberishBoundary];
    return static_cast<int>(total / static_cast<int64_t>(letters.size() + 1));
}

bool is_gibberish(std::string_view segment)
{
    size_t start = 0;
    for (size_t i = 0; i <= segment.size(); i++) {
        if (i < segment.size() && is_letter(segment[i])) continue;
        if (run_is_gibberish(segment.substr(start, i - start))) return true;
        start = i + 1;
    }
    return false;
}

}  // namespace obi::routes
