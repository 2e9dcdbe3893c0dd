// Build identity labels, fixed at compile time.
#include "metrics/build_info.h"

#include "spans/attributes.h"

namespace obi::metrics {

std::vector<std::pair<std::string, std::string>> build_info_labels()
{
#if defined(__x86_64__)
    const char* arch = "amd64";
#elif defined(__aarch64__)
    const char* arch = "arm64";
#else
    const char* arch = "unknown";
#endif
#if defined(__clang__)
    std::string compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    std::string compiler = std::string("gcc ") + __VERSION__;
#else
    std::string compiler = "unknown";
#endif
#ifdef OBI_REVISION
    const char* revision = OBI_REVISION;
#else
    const char* revision = "unknown";
#endif
    return {{"goarch", arch},
            {"goos", "linux"},
            {"goversion", compiler},
            {"revision", revision},
            {"version", agent_version()}};
}

}  // namespace obi::metrics
