// Prometheus naming rules (OpenTelemetry's Prometheus compatibility) and text escaping.
#include "export/prometheus/names.h"

#include <charconv>
#include <cmath>

namespace obi::prometheus {
namespace {

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the byte there starts none.
size_t utf8_sequence(std::string_view s, size_t i)
{
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return 1;
    size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; k++)
        if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    bool overlong_or_surrogate = (n == 2 && c < 0xc2) || (n == 3 && c == 0xe0 && c1 < 0xa0) ||
                                 (n == 3 && c == 0xed && c1 >= 0xa0) || (n == 4 && c == 0xf0 && c1 < 0x90) ||
                                 (n == 4 && (c > 0xf4 || (c == 0xf4 && c1 >= 0x90)));
    return overlong_or_surrogate ? 0 : n;
}

// Appends `text` without invalid UTF-8 bytes, escaping with `escape(char, out)`.
template <class Escape>
void append_clean(std::string& out, std::string_view text, Escape escape)
{
    for (size_t i = 0; i < text.size();) {
        size_t n = utf8_sequence(text, i);
        if (n == 0) {
            i++;  // drop the byte
        } else if (n == 1) {
            escape(text[i], out);
            i++;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
}

}  // namespace

std::string_view family_type(const metrics::MetricData& m)
{
    switch (m.kind) {
    case metrics::MetricKind::Sum: return m.monotonic ? "counter" : "gauge";
    case metrics::MetricKind::Gauge: return "gauge";
    case metrics::MetricKind::Histogram:
    case metrics::MetricKind::ExponentialHistogram: return "histogram";
    }
    return "gauge";
}

std::string unit_suffix(std::string_view unit, bool gauge)
{
    static const std::pair<std::string_view, std::string_view> kUnits[] = {
        {"d", "days"},     {"h", "hours"},          {"min", "minutes"},     {"s", "seconds"},
        {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
        {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"}, {"KBy", "kilobytes"},
        {"MBy", "megabytes"},   {"GBy", "gigabytes"},   {"%", "percent"},      {"Cel", "celsius"},
    };
    if (unit.empty() || unit.front() == '{') return "";
    if (unit == "1") return gauge ? "ratio" : "";
    for (const auto& [ucum, name] : kUnits)
        if (unit == ucum) return std::string(name);
    std::string s = sanitize_metric_name(unit);
    return s == "_" ? "" : s;
}

std::string sanitize_metric_name(std::string_view name)
{
    std::string out;
    out.reserve(name.size() + 1);
    for (char c : name) {
        bool ok = is_alpha(c) || is_digit(c) || c == '_' || c == ':';
        char v = ok ? c : '_';
        if (v == '_' && !out.empty() && out.back() == '_') continue;
        out.push_back(v);
    }
    if (out.empty()) return "_";
    if (is_digit(out.front())) out.insert(out.begin(), '_');
    return out;
}

std::string sanitize_label_name(std::string_view name)
{
    std::string out;
    out.reserve(name.size() + 4);
    for (char c : name) out.push_back(is_alpha(c) || is_digit(c) || c == '_' ? c : '_');
    if (out.empty()) return out;
    if (is_digit(out.front())) out.insert(0, "key_");
    else if (out.rfind("__", 0) == 0) out.insert(0, "key");
    return out;
}

std::string family_name(const metrics::MetricData& m)
{
    if (!m.prometheus_name.empty()) return sanitize_metric_name(m.prometheus_name);
    std::string n = sanitize_metric_name(m.name);
    bool counter = family_type(m) == "counter";
    if (counter && ends_with(n, "_total")) n.resize(n.size() - 6);
    std::string suffix = unit_suffix(m.unit, family_type(m) == "gauge");
    if (!suffix.empty() && !ends_with(n, "_" + suffix)) n += "_" + suffix;
    if (counter) n += "_total";
    return n;
}

void append_label_value(std::string& out, std::string_view value)
{
    append_clean(out, value, [](char c, std::string& o) {
        if (c == '\\') o.append("\\\\");
        else if (c == '"') o.append("\\\"");
        else if (c == '\n') o.append("\\n");
        else o.push_back(c);
    });
}

void append_help(std::string& out, std::string_view text)
{
    append_clean(out, text, [](char c, std::string& o) {
        if (c == '\\') o.append("\\\\");
        else if (c == '\n') o.append("\\n");
        else o.push_back(c);
    });
}

void append_number(std::string& out, double v)
{
    if (std::isnan(v)) {
        out.append("NaN");
    } else if (std::isinf(v)) {
        out.append(v > 0 ? "+Inf" : "-Inf");
    } else {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
    }
}

std::string format_number(double v)
{
    std::string s;
    append_number(s, v);
    return s;
}

std::string valid_utf8_only(std::string_view text)
{
    std::string out;
    append_clean(out, text, [](char c, std::string& o) { o.push_back(c); });
    return out;
}

}  // namespace obi::prometheus
