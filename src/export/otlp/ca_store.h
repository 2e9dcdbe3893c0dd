// Where this machine keeps its trusted CA bundle (Debian, RHEL, SUSE, Alpine layouts).
#pragma once

#include <string>

namespace obi::otlp {

// The first readable bundle, or "" (then libraries fall back to their built-in default).
std::string system_ca_file();

}  // namespace obi::otlp
