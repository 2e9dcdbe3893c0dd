// OTLP endpoint resolution (obi-compat.md 5.3): which URL, protocol, transport security
// and headers each signal uses, from the per-signal and common settings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace obi::config {

enum class OtlpSignal { Traces, Metrics };

struct OtlpTarget {
    std::string url;        // HTTP: full URL including the path. gRPC: host:port.
    OtlpProtocol protocol;  // never Unset
    bool plaintext;         // http:// and unix://; https:// and a bare gRPC host:port use TLS
    bool skip_verify;       // insecure_skip_verify
    std::map<std::string, std::string> headers;  // common headers, overridden per key by the signal's
    bool from_common;       // came from OTEL_EXPORTER_OTLP_ENDPOINT (path appended for HTTP)
};

// nullopt when no endpoint is configured for the signal (traces: also not the debug protocol).
std::optional<OtlpTarget> otlp_target(const Config& cfg, OtlpSignal signal);

// "" if `endpoint` is a usable OTLP endpoint (scheme://host[:port][/path], unix://path or a
// bare host:port), else what is wrong.
std::string check_endpoint(std::string_view endpoint);

// OTEL_EXPORTER_OTLP_HEADERS syntax: "k=v,k2=v2", split at the first '=', values
// percent-decoded. Returns "" or the problem.
std::string parse_headers(std::string_view text, std::map<std::string, std::string>& out);

}  // namespace obi::config
