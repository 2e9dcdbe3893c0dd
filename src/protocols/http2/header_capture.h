// The header fields of one decoded HTTP/2 header block that become span fields: pseudo-headers,
// content-type (gRPC or not), grpc-status and traceparent. Reused across blocks (no allocation
// once the strings have grown).
#pragma once

#include <string>
#include <string_view>

#include "protocols/http2/header_decoder.h"

namespace obi::http2 {

// Longest value kept of any field (longer paths are cut: the span needs no more).
inline constexpr size_t kMaxFieldValue = 8192;

struct HeaderCapture final : HeaderVisitor {
    bool has_method = false, has_path = false, has_authority = false, has_status = false;
    bool has_content_type = false, has_grpc_status = false, has_traceparent = false;
    std::string method, path, authority, content_type, traceparent;
    int status = 0;       // :status, 100..999
    int grpc_status = -1;  // grpc-status, 0..16 (other values are kept as 2, UNKNOWN)

    void clear();
    void header(std::string_view name, std::string_view value) override;
    bool grpc_content() const;  // content-type is application/grpc or application/grpc+<subtype>
};

}  // namespace obi::http2
