// The contract between the exporters and the wire: one Export call of a traces or metrics
// request, its outcome classified as OTLP defines (success, retryable, permanent).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace obi::otlp {

using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

enum class Outcome : uint8_t { Success, Retryable, Permanent };

struct SendResult {
    Outcome outcome = Outcome::Success;
    std::string reason;   // short key for stats and logs: http_503, grpc_unavailable, connect, timeout, tls ...
    std::string message;  // detail for the log
    std::optional<std::chrono::milliseconds> retry_after;  // delay the receiver asked for
    int64_t rejected = 0;          // partial success: items the receiver refused
    std::string partial_message;   // partial success: the receiver's explanation
    uint64_t bytes_sent = 0;       // request bytes (HTTP: after compression)
};

enum class Compression : uint8_t { None, Gzip };

struct TransportOptions {
    config::OtlpProtocol protocol = config::OtlpProtocol::HttpProtobuf;
    std::string url;          // HTTP: full URL. gRPC: host:port, unix:/path or unix-abstract:name
    std::string unix_socket;  // HTTP over a unix socket ("" = TCP)
    bool plaintext = true;    // false: TLS
    bool skip_verify = false; // TLS without certificate or host name checks
    std::string ca_file;      // PEM bundle of trusted CAs; "" = the system store
    std::map<std::string, std::string> headers;
    Compression compression = Compression::None;
    std::chrono::milliseconds timeout{10000};  // per attempt
    std::string config_key;   // the setting the endpoint came from, for log messages
};

class Transport {
public:
    virtual ~Transport() = default;
    // One attempt, bounded by the transport timeout and `deadline`. Never throws.
    virtual SendResult send(const TraceRequest& request, Deadline deadline) = 0;
    virtual SendResult send(const MetricsRequest& request, Deadline deadline) = 0;
    // Any thread: abort the attempt in flight and fail every later one at once (shutdown).
    virtual void cancel() = 0;
    virtual std::string describe() const = 0;  // "grpc 127.0.0.1:4317", "http/protobuf https://..."
};

// gRPC or HTTP per options.protocol; nullptr and `error` when the options are unusable.
std::unique_ptr<Transport> make_transport(const TransportOptions& options, std::string* error);

}  // namespace obi::otlp
