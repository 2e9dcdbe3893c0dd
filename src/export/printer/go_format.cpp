// go_duration and start_time implementations.
#include "export/printer/go_format.h"

#include <ctime>

namespace obi::printer {
namespace {

// Appends v / 10^digits with the fraction trimmed of trailing zeros.
void append_fixed(std::string& out, uint64_t v, int digits)
{
    uint64_t pow = 1;
    for (int i = 0; i < digits; i++) pow *= 10;
    out += std::to_string(v / pow);
    uint64_t frac = v % pow;
    if (frac == 0) return;
    std::string f = std::to_string(frac);
    f.insert(0, digits - f.size(), '0');
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
}

}  // namespace

std::string go_duration(int64_t ns)
{
    if (ns == 0) return "0s";
    std::string out;
    uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
    if (ns < 0) out += "-";
    if (u < 1000) return out + std::to_string(u) + "ns";
    if (u < 1000000) {
        append_fixed(out, u, 3);
        return out + "µs";
    }
    if (u < 1000000000) {
        append_fixed(out, u, 6);
        return out + "ms";
    }
    uint64_t h = u / 3600000000000ull, rest = u % 3600000000000ull;
    uint64_t m = rest / 60000000000ull, sec_ns = rest % 60000000000ull;
    if (h) out += std::to_string(h) + "h";
    if (h || m) out += std::to_string(m) + "m";
    append_fixed(out, sec_ns, 9);
    return out + "s";
}

std::string start_time(uint64_t unix_ns)
{
    time_t secs = static_cast<time_t>(unix_ns / 1000000000ull);
    struct tm tm;
    localtime_r(&secs, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%05llu", static_cast<unsigned long long>((unix_ns % 1000000000ull) / 10000));
    return buf;
}

}  // namespace obi::printer
