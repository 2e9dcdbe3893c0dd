// make_transport: picks gRPC or HTTP from the protocol.
#include "export/otlp/transport.h"

#include "export/otlp/grpc_transport.h"
#include "export/otlp/http_transport.h"

namespace obi::otlp {

std::unique_ptr<Transport> make_transport(const TransportOptions& options, std::string* error)
{
    using P = config::OtlpProtocol;
    switch (options.protocol) {
    case P::Grpc: {
        auto t = std::make_unique<GrpcTransport>(options);
        if (!t->init_error().empty()) {
            if (error) *error = t->init_error();
            return nullptr;
        }
        return t;
    }
    case P::HttpProtobuf:
    case P::HttpJson: {
        auto t = std::make_unique<HttpTransport>(options);
        if (!t->init_error().empty()) {
            if (error) *error = t->init_error();
            return nullptr;
        }
        return t;
    }
    default:
        if (error) *error = "no OTLP transport for this protocol (expected grpc, http/protobuf or http/json)";
        return nullptr;
    }
}

}  // namespace obi::otlp
