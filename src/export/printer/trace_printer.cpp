// Text and JSON renderings of spans; JSON carries OBI's printer fields plus the exact
// OpenTelemetry span and resource attributes ("spanAttributes", "resource").
#include "export/printer/trace_printer.h"

#include <nlohmann/json.hpp>

#include "export/printer/go_format.h"
#include "spans/attributes.h"

namespace obi::printer {
namespace {

nlohmann::ordered_json attrs_json(const std::vector<Attribute>& attrs)
{
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (const auto& a : attrs)
        std::visit([&](const auto& v) { o[a.key] = v; }, a.value);
    return o;
}

std::string us(uint64_t ns) { return std::to_string(ns / 1000); }

std::string flags_hex(uint8_t f)
{
    char b[3];
    snprintf(b, sizeof(b), "%02x", f);
    return b;
}

// OBI's printer fields for every protocol: HTTP method and path; the gRPC full method and
// grpc-status; the operation and its target (table, key space, topic, question) elsewhere.
struct Printed {
    int status;
    std::string_view method, path;
};

Printed printed(const Span& s)
{
    if (s.is_http()) return {s.status, s.method, s.path};
    if (s.is_grpc()) return {s.rpc_status < 0 ? 0 : s.rpc_status, s.method, s.path};
    return {s.error ? 1 : 0, s.operation, s.collection};
}

}  // namespace

std::string TracePrinter::text_line(const Span& s) const
{
    const ServiceInfo* svc = s.service.get();
    // The host side is the instrumented service: it carries the service namespace.
    std::string host_ns = svc && !svc->namespace_.empty() ? "." + svc->namespace_ : "";
    std::string svc_part;
    if (svc) svc_part = (svc->namespace_.empty() ? "" : svc->namespace_ + "/") + svc->name + " " + svc->sdk_language;
    std::string parent = s.parent_span_id.valid() ? s.parent_span_id.hex() : "0000000000000000";
    std::string line = start_time(clock_.to_unix_ns(s.start_ns));
    line += " (" + go_duration(static_cast<int64_t>(s.end_ns - s.request_start_ns)) + "[" +
            go_duration(static_cast<int64_t>(s.end_ns - s.start_ns)) + "]) ";
    Printed pr = printed(s);
    line += std::string(span_type_name(s.type)) + " " + std::to_string(pr.status) + " ";
    line.append(pr.method).append(" ").append(pr.path);
    // [client as name:port]->[server as name:port]; the instrumented side carries the namespace.
    std::string peer_ns = s.is_client() ? host_ns : "", server_ns = s.is_client() ? "" : host_ns;
    line += " [" + s.peer + " as " + s.peer + peer_ns + ":" + std::to_string(s.peer_port) + "]->[" + s.host + " as " +
            s.server_address() + server_ns + ":" + std::to_string(s.host_port) + "]";
    line += " contentLen:" + std::to_string(s.request_body_size) + "B responseLen:" +
            std::to_string(s.response_body_size) + "B svc=[" + svc_part + "] traceparent=[00-" + s.trace_id.hex() + "-" +
            s.span_id.hex() + "[" + parent + "]-" + flags_hex(s.trace_flags) + "]";
    return line;
}

std::string TracePrinter::json_batch(const std::vector<Span>& batch, bool indent) const
{
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const Span& s : batch) {
        uint64_t start = clock_.to_unix_ns(s.request_start_ns), handler = clock_.to_unix_ns(s.start_ns),
                 end = clock_.to_unix_ns(s.end_ns);
        nlohmann::ordered_json j;
        j["type"] = std::string(span_type_name(s.type));
        j["ignoreSpan"] = "";
        j["peer"] = s.peer;
        j["peerPort"] = std::to_string(s.peer_port);
        j["host"] = s.host;
        j["hostPort"] = std::to_string(s.host_port);
        j["traceID"] = s.trace_id.hex();
        j["spanID"] = s.span_id.hex();
        j["parentSpanID"] = s.parent_span_id.valid() ? s.parent_span_id.hex() : "";
        j["flags"] = flags_hex(s.trace_flags);
        j["peerName"] = s.peer;
        j["hostName"] = s.server_address();
        j["kind"] = std::string(span_kind_name(s.kind()));
        j["start"] = us(start);
        j["handlerStart"] = us(handler);
        j["end"] = us(end);
        j["duration"] = go_duration(static_cast<int64_t>(end - start));
        j["durationUSec"] = us(end - start);
        j["handlerDuration"] = go_duration(static_cast<int64_t>(end - handler));
        j["handlerDurationUSec"] = us(end - handler);
        nlohmann::ordered_json a;
        Printed pr = printed(s);
        a["method"] = std::string(pr.method);
        a["status"] = std::to_string(pr.status);
        if (s.is_http()) a["url"] = s.is_client() ? s.url_full() : (s.query.empty() ? s.path : s.path + "?" + s.query);
        else a["url"] = std::string(pr.path);
        a["contentLen"] = std::to_string(s.request_body_size);
        a["responseLen"] = std::to_string(s.response_body_size);
        a["route"] = s.route;
        a["clientAddr"] = s.client_address();
        a["serverAddr"] = s.server_address();
        a["serverPort"] = std::to_string(s.server_port());
        j["attributes"] = std::move(a);
        // obi-cpp extensions: what exporters send, attribute by attribute.
        j["name"] = s.name();
        j["statusCode"] = std::string(status_code_name(s.status_code()));
        j["pid"] = s.pid;
        j["spanAttributes"] = attrs_json(span_attributes(s));
        j["resource"] = s.service ? attrs_json(resource_attributes(*s.service)) : nlohmann::ordered_json::object();
        arr.push_back(std::move(j));
    }
    // Invalid UTF-8 never reaches here (the pipeline drops such spans); replace to be safe.
    return arr.dump(indent ? 2 : -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void TracePrinter::export_spans(const std::vector<Span>& batch)
{
    if (batch.empty()) return;
    switch (mode_) {
    case Mode::Counter:
        count_ += batch.size();
        fprintf(out_, "Processed %llu requests\n", static_cast<unsigned long long>(count_));
        break;
    case Mode::Text:
        for (const Span& s : batch) fprintf(out_, "%s\n", text_line(s).c_str());
        break;
    case Mode::Json:
    case Mode::JsonIndent:
        fprintf(out_, "%s\n", json_batch(batch, mode_ == Mode::JsonIndent).c_str());
        break;
    }
    fflush(out_);
}

}  // namespace obi::printer
