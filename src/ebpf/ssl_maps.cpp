// executable_files: a strict parser of /proc/<pid>/maps lines
// ("start-end perms offset major:minor inode   path").
#include "ebpf/ssl_maps.h"

#include <charconv>

namespace obi::ebpf {
namespace {

// Next space-separated field of `line` starting at *pos; empty at the end.
std::string_view next_field(std::string_view line, size_t* pos)
{
    size_t b = line.find_first_not_of(' ', *pos);
    if (b == std::string_view::npos) {
        *pos = line.size();
        return {};
    }
    size_t e = line.find(' ', b);
    if (e == std::string_view::npos) e = line.size();
    *pos = e;
    return line.substr(b, e - b);
}

bool parse_hex(std::string_view s, uint64_t* out)
{
    if (s.empty() || s.size() > 16) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_dec(std::string_view s, uint64_t* out)
{
    if (s.empty() || s.size() > 20) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), *out, 10);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_line(std::string_view line, MappedFile* out)
{
    size_t pos = 0;
    std::string_view range = next_field(line, &pos), perms = next_field(line, &pos), offset = next_field(line, &pos),
                     dev = next_field(line, &pos), inode = next_field(line, &pos);
    uint64_t ignored = 0;
    if (range.find('-') == std::string_view::npos || perms.size() != 4 || !parse_hex(offset, &ignored)) return false;
    if (perms[2] != 'x') return false;
    size_t colon = dev.find(':');
    uint64_t major = 0, minor = 0;
    if (colon == std::string_view::npos || !parse_hex(dev.substr(0, colon), &major) ||
        !parse_hex(dev.substr(colon + 1), &minor) || !parse_dec(inode, &out->inode) || out->inode == 0)
        return false;
    size_t b = line.find_first_not_of(' ', pos);
    if (b == std::string_view::npos || line[b] != '/') return false;  // anonymous or [special]
    std::string_view path = line.substr(b);
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.size() >= kDeleted.size() && path.substr(path.size() - kDeleted.size()) == kDeleted) return false;
    out->dev = (major << 32) | minor;
    out->path.assign(path);
    return true;
}

}  // namespace

std::vector<MappedFile> executable_files(std::string_view text, size_t max_files)
{
    std::vector<MappedFile> out;
    size_t start = 0;
    while (start < text.size() && out.size() < max_files) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        MappedFile f;
        if (parse_line(text.substr(start, end - start), &f)) {
            bool seen = false;
            for (const auto& o : out) seen = seen || o == f;
            if (!seen) out.push_back(std::move(f));
        }
        start = end + 1;
    }
    return out;
}

}  // namespace obi::ebpf
