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

// Web vocabulary the English bigram model scores low (file extensions, protocol names):
// never gibberish, so "/index.html" keeps its route.
bool is_web_token(std::string_view run)
{
    static constexpr std::string_view kTokens[] = {
        "html", "xhtml", "json", "jsonp", "yaml", "woff", "woff2", "webp", "webm", "mpeg", "jpeg", "tiff", "svgz",
        "http", "https", "grpc", "oauth", "oidc", "ldap", "smtp", "imap", "mqtt", "rpc", "xml", "csv", "tsv",
        "pdf", "png", "gif", "svg", "ico", "ttf", "otf", "mjs", "cjs", "jsx", "tsx", "scss", "less", "wasm",
        "aspx", "ashx", "jsp", "php", "cgi", "fcgi", "htm", "txt", "md", "rss", "atom", "ndjson", "protobuf"};
    if (run.size() > 8) return false;
    char lower[8];
    for (size_t i = 0; i < run.size(); i++) lower[i] = static_cast<char>(run[i] | 0x20);
    std::string_view l(lower, run.size());
    for (auto t : kTokens)
        if (t == l) return true;
    return false;
}

bool run_is_gibberish(std::string_view run)
{
    return run.size() >= kGibberishMinWordLen && !is_web_token(run) &&
           gibberish_score_milli(run) < kGibberishThresholdMilli;
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
