// OTLP endpoint checks and per-signal resolution.
#include "config/otlp.h"

#include <cctype>

#include "config/values.h"

namespace obi::config {
namespace {

struct Url {
    std::string scheme;  // "" for a bare host:port
    std::string host;
    std::string port;
    std::string path;
};

std::string parse_url(std::string_view text, Url& url)
{
    std::string s = trim(text);
    if (s.empty()) return "the endpoint is empty";
    std::string_view rest = s;
    if (auto p = s.find("://"); p != std::string::npos) {
        url.scheme = to_lower(s.substr(0, p));
        if (url.scheme != "http" && url.scheme != "https" && url.scheme != "unix")
            return "'" + s + "' has the scheme '" + url.scheme + "' (expected http://, https:// or unix://)";
        rest = std::string_view(s).substr(p + 3);
        if (url.scheme == "unix") {
            if (rest.empty()) return "'" + s + "' has no socket path (e.g. unix:///run/otlp.sock)";
            url.path = std::string(rest);
            return "";
        }
    }
    size_t slash = rest.find('/');
    std::string_view hostport = rest.substr(0, slash);
    if (slash != std::string_view::npos) url.path = std::string(rest.substr(slash));
    if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
        size_t close = hostport.find(']');
        if (close == std::string_view::npos) return "'" + s + "' has an unclosed '[' in the host";
        url.host = std::string(hostport.substr(0, close + 1));
        hostport.remove_prefix(close + 1);
        if (!hostport.empty()) {
            if (hostport.front() != ':') return "'" + s + "' has text after the IPv6 address";
            url.port = std::string(hostport.substr(1));
        }
    } else {
        size_t colon = hostport.rfind(':');
        url.host = std::string(hostport.substr(0, colon));
        if (colon != std::string_view::npos) url.port = std::string(hostport.substr(colon + 1));
    }
    if (url.host.empty())
        return "'" + s + "' has no host (expected e.g. http://collector:4318 or collector:4317)";
    for (char c : url.host)
        if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)) || c == '@')
            return "'" + s + "' has an invalid character in the host '" + url.host + "'";
    if (url.scheme.empty() && url.port.empty())
        return "'" + s + "' needs a scheme or a port (expected e.g. http://collector:4318 or collector:4317)";
    if (!url.port.empty() && !parse_int(url.port, 1, 65535)) return "'" + s + "' has an invalid port '" + url.port + "'";
    return "";
}

std::string percent_decode(std::string_view s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::string check_endpoint(std::string_view endpoint)
{
    Url url;
    return parse_url(endpoint, url);
}

std::string parse_headers(std::string_view text, std::map<std::string, std::string>& out)
{
    out.clear();
    for (const auto& item : split_list(text)) {
        size_t eq = item.find('=');
        if (eq == std::string::npos || trim(item.substr(0, eq)).empty())
            return "'" + item + "' is not a key=value pair (expected e.g. Authorization=Bearer%20token,x-tenant=a)";
        out[percent_decode(trim(item.substr(0, eq)))] = percent_decode(trim(item.substr(eq + 1)));
    }
    return "";
}

std::optional<OtlpTarget> otlp_target(const Config& cfg, OtlpSignal signal)
{
    bool traces = signal == OtlpSignal::Traces;
    const std::string& own = traces ? cfg.otel_traces.endpoint : cfg.otel_metrics.endpoint;
    OtlpProtocol protocol = traces ? cfg.otel_traces.protocol : cfg.otel_metrics.protocol;
    OtlpTarget t;
    t.from_common = own.empty();
    std::string endpoint = own.empty() ? cfg.otlp.endpoint : own;
    if (endpoint.empty()) {
        if (traces && protocol == OtlpProtocol::Debug)
            return OtlpTarget{"", OtlpProtocol::Debug, true, false, {}, false};
        return std::nullopt;
    }
    Url url;
    if (!parse_url(endpoint, url).empty()) return std::nullopt;
    if (protocol == OtlpProtocol::Unset)
        protocol = url.port.size() >= 4 && url.port.compare(url.port.size() - 4, 4, "4317") == 0
                       ? OtlpProtocol::Grpc
                       : OtlpProtocol::HttpProtobuf;
    t.protocol = protocol;
    t.plaintext = url.scheme == "http" || url.scheme == "unix";
    t.skip_verify = traces ? cfg.otel_traces.insecure_skip_verify : cfg.otel_metrics.insecure_skip_verify;
    t.headers = cfg.otlp.headers;
    for (const auto& [k, v] : traces ? cfg.otel_traces.headers : cfg.otel_metrics.headers) t.headers[k] = v;

    if (protocol == OtlpProtocol::Grpc) {
        t.url = url.scheme == "unix" ? endpoint : url.host + (url.port.empty() ? "" : ":" + url.port);
    } else if (t.from_common) {
        std::string base = trim(endpoint);
        while (!base.empty() && base.back() == '/') base.pop_back();
        t.url = base + (traces ? "/v1/traces" : "/v1/metrics");
    } else {
        t.url = trim(endpoint);
    }
    return t;
}

}  // namespace obi::config
