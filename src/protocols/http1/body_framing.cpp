// Message-body length rules of RFC 9112 section 6.3 for requests and responses.
#include "protocols/http1/body_framing.h"

namespace obi::http1 {

BodyFraming request_framing(const RequestHead& req)
{
    if (req.has_transfer_encoding) return req.chunked ? BodyFraming::Chunked : BodyFraming::UntilClose;
    if (req.content_length > 0) return BodyFraming::ContentLength;
    return BodyFraming::None;
}

BodyFraming response_framing(const ResponseHead& resp, std::string_view request_method)
{
    if (request_method == "HEAD") return BodyFraming::None;
    if (resp.status < 200 || resp.status == 204 || resp.status == 304) return BodyFraming::None;
    if (request_method == "CONNECT" && resp.status < 300) return BodyFraming::UntilClose;
    if (resp.has_transfer_encoding) return resp.chunked ? BodyFraming::Chunked : BodyFraming::UntilClose;
    if (resp.content_length > 0) return BodyFraming::ContentLength;
    if (resp.content_length == 0) return BodyFraming::None;
    return BodyFraming::UntilClose;
}

}  // namespace obi::http1
