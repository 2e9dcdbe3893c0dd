// The agent's build identity as OBI labels it (obi_build_info, obi.internal.build.info):
// goarch, goos, goversion (for us: the compiler), revision, version.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace obi::metrics {

std::vector<std::pair<std::string, std::string>> build_info_labels();

}  // namespace obi::metrics
