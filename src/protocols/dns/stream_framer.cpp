// StreamFramer: the parts that do not depend on the caller's callback.
#include "protocols/dns/stream_framer.h"

namespace obi::dns {

void StreamFramer::start(const conntrack::DataChunk& c, size_t pos)
{
    start_ns_ = c.ts_ns;
    tid_ = c.tid;
    has_kctx_ = pos == 0 && c.msg_start && c.tctx;
    if (has_kctx_) kctx_ = *c.tctx;
}

FramedMessage StreamFramer::message(std::string_view bytes, uint64_t end_ns) const
{
    FramedMessage m;
    m.bytes = bytes;
    m.full_len = len_;
    m.start_ns = start_ns_;
    m.end_ns = end_ns;
    m.tid = tid_;
    m.kctx = has_kctx_ ? &kctx_ : nullptr;
    return m;
}

}  // namespace obi::dns
