// gRPC status codes a call gets when the server sent none: from the HTTP status of the
// response (gRPC's "HTTP to gRPC status code mapping" document).
#pragma once

namespace obi::http2 {

inline constexpr int kGrpcUnknown = 2;

// 400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED,
// 429/502/503/504 UNAVAILABLE, anything else (200 without grpc-status included) UNKNOWN.
inline int grpc_status_from_http(int http_status)
{
    switch (http_status) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429:
    case 502:
    case 503:
    case 504: return 14;
    default: return kGrpcUnknown;
    }
}

}  // namespace obi::http2
