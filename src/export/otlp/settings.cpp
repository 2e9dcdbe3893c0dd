// transport_options: endpoint checks, URL shaping per transport, and the SDK variables.
#include "export/otlp/settings.h"

#include <unistd.h>

#include <charconv>

namespace obi::otlp {
namespace {

using config::OtlpSignal;

// The signal's variable, then the common one: {name, value}.
std::optional<std::pair<std::string, std::string>> sdk_env(const config::EnvLookup& env, OtlpSignal signal,
                                                           const std::string& suffix)
{
    std::string own = std::string("OTEL_EXPORTER_OTLP_") + (signal == OtlpSignal::Traces ? "TRACES_" : "METRICS_") + suffix;
    if (auto v = config::env_value(env, own)) return std::make_pair(own, *v);
    std::string common = "OTEL_EXPORTER_OTLP_" + suffix;
    if (auto v = config::env_value(env, common)) return std::make_pair(common, *v);
    return std::nullopt;
}

std::string trim(std::string s)
{
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string lower(std::string s)
{
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool sdk_settings(const config::EnvLookup& env, OtlpSignal signal, TransportOptions& o, std::string* error)
{
    if (auto v = sdk_env(env, signal, "TIMEOUT")) {
        std::string s = trim(v->second);
        int64_t ms = -1;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
        if (ec != std::errc() || p != s.data() + s.size() || ms <= 0) {
            *error = v->first + ": '" + v->second + "' is not a positive number of milliseconds (e.g. 10000)";
            return false;
        }
        o.timeout = std::chrono::milliseconds(ms);
    }
    if (auto v = sdk_env(env, signal, "COMPRESSION")) {
        std::string s = lower(trim(v->second));
        if (s == "gzip") o.compression = Compression::Gzip;
        else if (s == "none" || s.empty()) o.compression = Compression::None;
        else {
            *error = v->first + ": '" + v->second + "' is not supported (expected gzip or none)";
            return false;
        }
    }
    if (auto v = sdk_env(env, signal, "CERTIFICATE")) {
        if (access(v->second.c_str(), R_OK) != 0) {
            *error = v->first + ": cannot read the CA certificate file '" + v->second + "'";
            return false;
        }
        o.ca_file = v->second;
    }
    return true;
}

}  // namespace

std::optional<TransportOptions> transport_options(const config::Config& cfg, OtlpSignal signal,
                                                  const config::EnvLookup& env, std::string* error)
{
    bool traces = signal == OtlpSignal::Traces;
    const std::string& own = traces ? cfg.otel_traces.endpoint : cfg.otel_metrics.endpoint;
    std::string key = !own.empty() ? (traces ? "otel_traces_export.endpoint" : "otel_metrics_export.endpoint")
                                   : "OTEL_EXPORTER_OTLP_ENDPOINT";
    std::string endpoint = trim(own.empty() ? cfg.otlp.endpoint : own);
    auto fail = [&](const std::string& why) {
        if (error) *error = key + ": " + why;
        return std::nullopt;
    };
    auto target = config::otlp_target(cfg, signal);
    if (!target) {
        if (endpoint.empty()) return std::nullopt;
        std::string why = config::check_endpoint(endpoint);
        return fail(why.empty() ? "'" + endpoint + "' is not a usable OTLP endpoint" : why);
    }
    if (target->protocol == config::OtlpProtocol::Debug) return std::nullopt;

    std::string scheme;
    if (auto p = endpoint.find("://"); p != std::string::npos) scheme = lower(endpoint.substr(0, p));
    if (!scheme.empty() && scheme != "http" && scheme != "https" && scheme != "unix")
        return fail("unsupported scheme '" + scheme + "' in '" + endpoint +
                    "' (expected http://, https://, unix:// or a bare host:port)");

    TransportOptions o;
    o.protocol = target->protocol;
    o.plaintext = target->plaintext;
    o.skip_verify = target->skip_verify;
    o.headers = target->headers;
    o.config_key = key;
    if (o.protocol == config::OtlpProtocol::Grpc) {
        o.url = target->url;
    } else if (scheme == "unix") {
        std::string path = endpoint.substr(7);
        std::string request_path = traces ? "/v1/traces" : "/v1/metrics";
        o.unix_socket = path;
        o.url = "http://localhost" + request_path;
    } else if (scheme.empty()) {
        o.url = "https://" + target->url;  // a bare host:port means TLS
    } else {
        o.url = target->url;
    }
    std::string sdk_error;
    if (!sdk_settings(env, signal, o, &sdk_error)) {
        if (error) *error = sdk_error;
        return std::nullopt;
    }
    return o;
}

RetryPolicy retry_policy(const config::Config& cfg)
{
    RetryPolicy p;
    p.initial_interval = cfg.otel_traces.backoff_initial_interval;
    p.max_interval = cfg.otel_traces.backoff_max_interval;
    p.max_elapsed_time = cfg.otel_traces.backoff_max_elapsed_time;
    if (p.initial_interval.count() <= 0) p.initial_interval = std::chrono::seconds(5);
    if (p.max_interval < p.initial_interval) p.max_interval = p.initial_interval;
    return p;
}

}  // namespace obi::otlp
