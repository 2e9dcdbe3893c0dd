// OTLP/HTTP with libcurl: POST of a protobuf or JSON body to the signal's URL, optional
// gzip, custom headers, TLS against the system CA store, one reused connection.
#pragma once

#include <atomic>
#include <string>

#include <curl/curl.h>

#include "export/otlp/transport.h"

namespace obi::otlp {

class HttpTransport final : public Transport {
public:
    explicit HttpTransport(TransportOptions options);
    ~HttpTransport() override;
    HttpTransport(const HttpTransport&) = delete;
    HttpTransport& operator=(const HttpTransport&) = delete;

    const std::string& init_error() const { return init_error_; }  // "" when usable

    SendResult send(const TraceRequest& request, Deadline deadline) override;
    SendResult send(const MetricsRequest& request, Deadline deadline) override;
    void cancel() override;
    std::string describe() const override;

    struct Response {
        long status = 0;
        std::string body;
        std::string content_type;
        std::string retry_after;
    };

private:
    bool json() const { return options_.protocol == config::OtlpProtocol::HttpJson; }
    // Sends `body`; on a transport-level failure fills the result, otherwise `resp`.
    SendResult post(const std::string& body, Deadline deadline, Response* resp);

    TransportOptions options_;
    std::string init_error_;
    CURLM* multi_ = nullptr;
    CURL* easy_ = nullptr;
    curl_slist* headers_ = nullptr;
    std::atomic<bool> cancelled_{false};
    char error_buf_[256] = {};
};

// Outcome of an HTTP response (status, Retry-After, error body or partial success);
// `traces` selects which partial-success message the body holds. Exposed for tests.
SendResult classify_http_response(const HttpTransport::Response& resp, bool json, bool traces);

}  // namespace obi::otlp
