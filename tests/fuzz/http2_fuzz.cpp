// libFuzzer target: the HTTP/2 handler (framing, HPACK through nghttp2, streams) on arbitrary
// byte streams, and the HPACK decoder alone on arbitrary header blocks.
#include <algorithm>

#include "fuzz_driver.h"
#include "protocols/http2/conn_handler.h"
#include "protocols/http2/header_decoder.h"

namespace {

struct Sink final : obi::http2::HeaderVisitor {
    void header(std::string_view, std::string_view) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::http2::protocol_def();
    obi::fuzz::drive(def, data, size);
    // The same bytes as a sequence of header blocks (the first byte of each: its length).
    obi::http2::HeaderDecoder dec;
    Sink sink;
    size_t pos = 0;
    while (pos < size) {
        size_t n = data[pos++];
        if (n > size - pos) n = size - pos;
        dec.decode(std::string_view(reinterpret_cast<const char*>(data + pos), n), (n & 1) == 0, sink);
        pos += n;
    }
    return 0;
}
