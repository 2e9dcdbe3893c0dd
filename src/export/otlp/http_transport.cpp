// libcurl driven through a private multi handle, so that cancel() can wake a transfer in
// flight (curl_multi_wakeup) and the connection stays cached between requests.
#include "export/otlp/http_transport.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

#include "export/otlp/classify.h"
#include "export/otlp/gzip.h"
#include "export/otlp/json_encoder.h"
#include "spans/attributes.h"

namespace obi::otlp {
namespace {

constexpr size_t kMaxResponseBody = 64 * 1024;

void global_init()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user)
{
    auto* resp = static_cast<HttpTransport::Response*>(user);
    size_t len = size * n;
    if (resp->body.size() < kMaxResponseBody) resp->body.append(data, std::min(len, kMaxResponseBody - resp->body.size()));
    return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user)
{
    auto* resp = static_cast<HttpTransport::Response*>(user);
    std::string_view line(data, size * n);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return size * n;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    if (name == "retry-after") resp->retry_after = std::string(value);
    else if (name == "content-type") resp->content_type = std::string(value);
    return size * n;
}

std::string header_safe(std::string s)
{
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; }), s.end());
    return s;
}

SendResult curl_failure(CURLcode code, const char* detail)
{
    SendResult r;
    r.outcome = Outcome::Retryable;
    std::string what = detail && *detail ? detail : curl_easy_strerror(code);
    const char* prefix = "";
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        r.reason = "dns";
        prefix = "cannot resolve the host: ";
        break;
    case CURLE_COULDNT_CONNECT:
        r.reason = "connect";
        prefix = "cannot connect: ";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        r.reason = "timeout";
        prefix = "no answer in time: ";
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        r.reason = "tls";
        prefix = "TLS failed: ";
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        r.reason = "connection_lost";
        prefix = "connection lost: ";
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        r.reason = "bad_url";
        r.outcome = Outcome::Permanent;
        break;
    default: r.reason = "transport"; break;
    }
    r.message = prefix + what;
    return r;
}

int64_t json_int(const nlohmann::json& j)
{
    if (j.is_number_integer()) return j.get<int64_t>();
    if (j.is_string()) {
        try {
            return std::stoll(j.get<std::string>());
        } catch (...) {
            return 0;
        }
    }
    return 0;
}

void parse_partial_success(const std::string& body, bool json, bool traces, SendResult* r)
{
    if (body.empty()) return;
    if (json) {
        auto j = nlohmann::json::parse(body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("partialSuccess")) return;
        const auto& ps = j["partialSuccess"];
        if (!ps.is_object()) return;
        const char* key = traces ? "rejectedSpans" : "rejectedDataPoints";
        if (ps.contains(key)) r->rejected = json_int(ps[key]);
        if (ps.contains("errorMessage") && ps["errorMessage"].is_string())
            r->partial_message = ps["errorMessage"].get<std::string>();
        return;
    }
    if (traces) {
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
        if (!resp.ParseFromString(body) || !resp.has_partial_success()) return;
        r->rejected = resp.partial_success().rejected_spans();
        r->partial_message = resp.partial_success().error_message();
    } else {
        opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse resp;
        if (!resp.ParseFromString(body) || !resp.has_partial_success()) return;
        r->rejected = resp.partial_success().rejected_data_points();
        r->partial_message = resp.partial_success().error_message();
    }
}

std::string error_body_message(const HttpTransport::Response& resp)
{
    if (resp.body.empty()) return "";
    if (resp.content_type.find("protobuf") != std::string::npos) return rpc_status_message(resp.body);
    if (resp.content_type.find("json") != std::string::npos) {
        auto j = nlohmann::json::parse(resp.body, nullptr, false);
        if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
    }
    std::string text = resp.body.substr(0, 200);
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return text;
}

}  // namespace

SendResult classify_http_response(const HttpTransport::Response& resp, bool json, bool traces)
{
    SendResult r;
    if (resp.status >= 200 && resp.status < 300) {
        parse_partial_success(resp.body, json, traces, &r);
        return r;
    }
    r.reason = "http_" + std::to_string(resp.status);
    r.outcome = http_status_retryable(resp.status) ? Outcome::Retryable : Outcome::Permanent;
    std::string detail = error_body_message(resp);
    r.message = "HTTP " + std::to_string(resp.status) + (detail.empty() ? "" : ": " + detail);
    if (r.outcome == Outcome::Retryable && !resp.retry_after.empty())
        r.retry_after = parse_retry_after(resp.retry_after, std::time(nullptr));
    return r;
}

HttpTransport::HttpTransport(TransportOptions options) : options_(std::move(options))
{
    global_init();
    multi_ = curl_multi_init();
    easy_ = curl_easy_init();
    if (!multi_ || !easy_) {
        init_error_ = "cannot initialise libcurl";
        return;
    }
    headers_ = curl_slist_append(headers_, json() ? "Content-Type: application/json" : "Content-Type: application/x-protobuf");
    if (options_.compression == Compression::Gzip) headers_ = curl_slist_append(headers_, "Content-Encoding: gzip");
    headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip for big bodies
    for (const auto& [k, v] : options_.headers)
        headers_ = curl_slist_append(headers_, header_safe(k + ": " + v).c_str());

    curl_easy_setopt(easy_, CURLOPT_URL, options_.url.c_str());
    if (!options_.unix_socket.empty() && options_.unix_socket[0] == '@')  // unix://@name: abstract namespace
        curl_easy_setopt(easy_, CURLOPT_ABSTRACT_UNIX_SOCKET, options_.unix_socket.c_str() + 1);
    else if (!options_.unix_socket.empty())
        curl_easy_setopt(easy_, CURLOPT_UNIX_SOCKET_PATH, options_.unix_socket.c_str());
    curl_easy_setopt(easy_, CURLOPT_POST, 1L);
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    std::string agent = std::string("OTel-OTLP-Exporter-obi-cpp/") + agent_version();
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, agent.c_str());  // copied by libcurl
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_buf_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    if (options_.skip_verify) {
        curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!options_.ca_file.empty()) {
        curl_easy_setopt(easy_, CURLOPT_CAINFO, options_.ca_file.c_str());
    }
}

HttpTransport::~HttpTransport()
{
    if (easy_) curl_easy_cleanup(easy_);
    if (multi_) curl_multi_cleanup(multi_);
    if (headers_) curl_slist_free_all(headers_);
}

void HttpTransport::cancel()
{
    cancelled_.store(true);
    if (multi_) curl_multi_wakeup(multi_);
}

std::string HttpTransport::describe() const
{
    return std::string(json() ? "http/json " : "http/protobuf ") + options_.url +
           (options_.unix_socket.empty() ? "" : " via " + options_.unix_socket);
}

SendResult HttpTransport::post(const std::string& body, Deadline deadline, Response* resp)
{
    SendResult r;
    if (!init_error_.empty()) {
        r.outcome = Outcome::Permanent;
        r.reason = "init";
        r.message = init_error_;
        return r;
    }
    auto now = SteadyClock::now();
    auto left = std::min<SteadyClock::duration>(options_.timeout, deadline - now);
    long timeout_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
    if (cancelled_.load() || timeout_ms <= 0) {
        r.outcome = Outcome::Retryable;
        r.reason = cancelled_.load() ? "cancelled" : "timeout";
        r.message = cancelled_.load() ? "export cancelled at shutdown" : "no time left for the request";
        return r;
    }
    std::string gz;
    const std::string* payload = &body;
    if (options_.compression == Compression::Gzip) {
        gz = gzip_compress(body);
        payload = &gz;
    }
    error_buf_[0] = 0;
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, payload->data());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload->size()));
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, resp);
    r.bytes_sent = payload->size();

    curl_multi_add_handle(multi_, easy_);
    CURLcode code = CURLE_OK;
    bool done = false;
    while (!done) {
        int running = 0;
        if (curl_multi_perform(multi_, &running) != CURLM_OK) {
            code = CURLE_FAILED_INIT;
            break;
        }
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy_) {
                code = msg->data.result;
                done = true;
            }
        }
        if (done || running == 0) break;
        if (cancelled_.load()) {
            code = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    curl_multi_remove_handle(multi_, easy_);
    if (code == CURLE_ABORTED_BY_CALLBACK) {
        r.outcome = Outcome::Retryable;
        r.reason = "cancelled";
        r.message = "export cancelled at shutdown";
        return r;
    }
    if (code != CURLE_OK) {
        SendResult f = curl_failure(code, error_buf_);
        f.bytes_sent = 0;
        return f;
    }
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &resp->status);
    return r;
}

SendResult HttpTransport::send(const TraceRequest& request, Deadline deadline)
{
    Response resp;
    SendResult r = post(json() ? to_otlp_json(request) : request.SerializeAsString(), deadline, &resp);
    if (!r.reason.empty()) return r;
    SendResult c = classify_http_response(resp, json(), true);
    c.bytes_sent = r.bytes_sent;
    return c;
}

SendResult HttpTransport::send(const MetricsRequest& request, Deadline deadline)
{
    Response resp;
    SendResult r = post(json() ? to_otlp_json(request) : request.SerializeAsString(), deadline, &resp);
    if (!r.reason.empty()) return r;
    SendResult c = classify_http_response(resp, json(), false);
    c.bytes_sent = r.bytes_sent;
    return c;
}

}  // namespace obi::otlp
