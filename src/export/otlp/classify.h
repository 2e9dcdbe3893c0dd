// OTLP's rules for what a failed export means: which HTTP statuses and gRPC codes are
// worth retrying, and the delay a receiver may ask for (Retry-After, google.rpc.RetryInfo).
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace obi::otlp {

// HTTP 429, 502, 503 and 504 are retryable; every other non-2xx status is permanent.
bool http_status_retryable(long status);

// Retry-After: delay-seconds or an HTTP-date (relative to `now`); nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::time_t now);

// gRPC codes (grpc::StatusCode values). RESOURCE_EXHAUSTED is retryable only when the
// server sent RetryInfo, as the OTLP specification says.
bool grpc_code_retryable(int code, bool has_retry_info);
std::string grpc_code_reason(int code);  // "grpc_unavailable", ...

// The retry delay of a google.rpc.RetryInfo detail inside serialized google.rpc.Status
// bytes (grpc-status-details-bin); nullopt when absent or malformed.
std::optional<std::chrono::milliseconds> parse_retry_info(std::string_view status_details);

// The `message` of serialized google.rpc.Status bytes (OTLP/HTTP error bodies); "" if none.
std::string rpc_status_message(std::string_view status_bytes);

}  // namespace obi::otlp
