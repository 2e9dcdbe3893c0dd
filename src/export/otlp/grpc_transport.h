// OTLP/gRPC with grpc++: the TraceService / MetricsService Export call, plaintext or TLS
// (system CA store or insecure_skip_verify), headers as metadata, optional gzip.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include <grpcpp/grpcpp.h>

#include "export/otlp/transport.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace obi::otlp {

class GrpcTransport final : public Transport {
public:
    explicit GrpcTransport(TransportOptions options);

    const std::string& init_error() const { return init_error_; }  // "" when usable

    SendResult send(const TraceRequest& request, Deadline deadline) override;
    SendResult send(const MetricsRequest& request, Deadline deadline) override;
    void cancel() override;
    std::string describe() const override;

private:
    template <class Call>
    SendResult call(const google::protobuf::Message& request, Deadline deadline, Call&& rpc);

    TransportOptions options_;
    std::string init_error_;
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<opentelemetry::proto::collector::trace::v1::TraceService::Stub> traces_;
    std::unique_ptr<opentelemetry::proto::collector::metrics::v1::MetricsService::Stub> metrics_;
    std::atomic<bool> cancelled_{false};
    std::mutex mu_;                         // guards current_
    grpc::ClientContext* current_ = nullptr;  // the call in flight, for cancel()
};

// The gRPC target for an OBI endpoint: host:port as is, unix:///p -> unix:/p,
// unix://@name -> unix-abstract:name.
std::string grpc_target(const std::string& endpoint);

// A SendResult from a gRPC status: code, message and RetryInfo details.
SendResult classify_grpc_status(const grpc::Status& status);

}  // namespace obi::otlp
