// grpc++ channel setup and the unary Export calls.
#include "export/otlp/grpc_transport.h"

#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "export/otlp/ca_store.h"
#include "export/otlp/classify.h"
#include "spans/attributes.h"

namespace obi::otlp {
namespace {

std::shared_ptr<grpc::ChannelCredentials> credentials(const TransportOptions& o, std::string* error)
{
    if (o.plaintext) return grpc::InsecureChannelCredentials();
    if (o.skip_verify) {
        grpc::experimental::TlsChannelCredentialsOptions tls;
        tls.set_verify_server_certs(false);
        tls.set_check_call_host(false);
        tls.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
        return grpc::experimental::TlsCredentials(tls);
    }
    grpc::SslCredentialsOptions ssl;
    std::string path = o.ca_file.empty() ? system_ca_file() : o.ca_file;
    if (!path.empty()) {
        std::ifstream in(path);
        std::stringstream pem;
        pem << in.rdbuf();
        if (!in && !o.ca_file.empty()) {
            *error = "cannot read the CA certificates in " + path;
            return nullptr;
        }
        ssl.pem_root_certs = pem.str();
    }
    return grpc::SslCredentials(ssl);
}

}  // namespace

std::string grpc_target(const std::string& endpoint)
{
    if (endpoint.rfind("unix://@", 0) == 0) return "unix-abstract:" + endpoint.substr(8);
    if (endpoint.rfind("unix://", 0) == 0) return "unix:" + endpoint.substr(7);
    return endpoint;
}

SendResult classify_grpc_status(const grpc::Status& status)
{
    SendResult r;
    if (status.ok()) return r;
    int code = static_cast<int>(status.error_code());
    std::optional<std::chrono::milliseconds> retry_info;
    if (!status.error_details().empty()) retry_info = parse_retry_info(status.error_details());
    r.outcome = grpc_code_retryable(code, retry_info.has_value()) ? Outcome::Retryable : Outcome::Permanent;
    r.reason = grpc_code_reason(code);
    r.message = r.reason.substr(5) + (status.error_message().empty() ? "" : ": " + status.error_message());
    if (r.outcome == Outcome::Retryable) r.retry_after = retry_info;
    return r;
}

GrpcTransport::GrpcTransport(TransportOptions options) : options_(std::move(options))
{
    auto creds = credentials(options_, &init_error_);
    if (!creds) return;
    grpc::ChannelArguments args;
    args.SetUserAgentPrefix(std::string("OTel-OTLP-Exporter-obi-cpp/") + agent_version());
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // the exporter retries with OTLP's rules
    // Reconnect soon after a collector restart instead of gRPC's default of up to 120 s.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
    channel_ = grpc::CreateCustomChannel(grpc_target(options_.url), creds, args);
    traces_ = opentelemetry::proto::collector::trace::v1::TraceService::NewStub(channel_);
    metrics_ = opentelemetry::proto::collector::metrics::v1::MetricsService::NewStub(channel_);
}

void GrpcTransport::cancel()
{
    cancelled_.store(true);
    std::lock_guard lock(mu_);
    if (current_) current_->TryCancel();
}

std::string GrpcTransport::describe() const
{
    return std::string("grpc ") + (options_.plaintext ? "" : "(TLS) ") + options_.url;
}

template <class Call>
SendResult GrpcTransport::call(const google::protobuf::Message& request, Deadline deadline, Call&& rpc)
{
    SendResult r;
    if (!init_error_.empty()) {
        r.outcome = Outcome::Permanent;
        r.reason = "init";
        r.message = init_error_;
        return r;
    }
    auto until = std::min<Deadline>(SteadyClock::now() + options_.timeout, deadline);
    if (cancelled_.load() || until <= SteadyClock::now()) {
        r.outcome = Outcome::Retryable;
        r.reason = cancelled_.load() ? "cancelled" : "timeout";
        r.message = cancelled_.load() ? "export cancelled at shutdown" : "no time left for the request";
        return r;
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + (until - SteadyClock::now()));
    for (const auto& [k, v] : options_.headers) {
        std::string key = k;
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
        ctx.AddMetadata(key, v);
    }
    if (options_.compression == Compression::Gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    {
        std::lock_guard lock(mu_);
        current_ = &ctx;
    }
    if (cancelled_.load()) ctx.TryCancel();
    r.bytes_sent = request.ByteSizeLong();
    grpc::Status status = rpc(&ctx);
    {
        std::lock_guard lock(mu_);
        current_ = nullptr;
    }
    uint64_t bytes = r.bytes_sent;
    r = classify_grpc_status(status);
    r.bytes_sent = bytes;
    if (cancelled_.load() && !status.ok()) {
        r.reason = "cancelled";
        r.message = "export cancelled at shutdown";
    }
    return r;
}

SendResult GrpcTransport::send(const TraceRequest& request, Deadline deadline)
{
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
    SendResult r = call(request, deadline, [&](grpc::ClientContext* ctx) { return traces_->Export(ctx, request, &resp); });
    if (r.outcome == Outcome::Success && resp.has_partial_success()) {
        r.rejected = resp.partial_success().rejected_spans();
        r.partial_message = resp.partial_success().error_message();
    }
    return r;
}

SendResult GrpcTransport::send(const MetricsRequest& request, Deadline deadline)
{
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse resp;
    SendResult r =
        call(request, deadline, [&](grpc::ClientContext* ctx) { return metrics_->Export(ctx, request, &resp); });
    if (r.outcome == Outcome::Success && resp.has_partial_success()) {
        r.rejected = resp.partial_success().rejected_data_points();
        r.partial_message = resp.partial_success().error_message();
    }
    return r;
}

}  // namespace obi::otlp
