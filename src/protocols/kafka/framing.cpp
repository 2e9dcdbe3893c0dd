// Framer: a message that lies wholly in one call's captured bytes is handed out in place;
// others are assembled piece by piece, holes included.
#include "protocols/kafka/framing.h"

#include <algorithm>

#include "protocols/kafka/api.h"

namespace obi::kafka {

void Framer::lose()
{
    st_ = State::Lost;
    len_have_ = 0;
    msg_.reset(0);
}

void Framer::begin(const conntrack::DataChunk& c, uint64_t pos)
{
    start_ns_ = c.ts_ns;
    tid_ = c.tid;
    have_tctx_ = pos == 0 && c.msg_start && c.tctx;
    if (have_tctx_) tctx_ = *c.tctx;
}

void Framer::emit(uint64_t end_ns, FrameSink& sink)
{
    Frame f;
    f.bytes = &msg_;
    f.start_ns = start_ns_;
    f.end_ns = end_ns < start_ns_ ? start_ns_ : end_ns;
    f.tid = tid_;
    f.tctx = have_tctx_ ? &tctx_ : nullptr;
    st_ = State::Length;
    sink.on_frame(f);
}

void Framer::feed(const conntrack::DataChunk& c, FrameSink& sink)
{
    if (st_ == State::Lost) {
        if (c.captured.size() < 8 || !sink.resync_at(c.captured)) return;
        st_ = State::Length;
        len_have_ = 0;
    }
    const uint64_t total = c.bytes;
    const uint64_t cap = std::min<uint64_t>(c.captured.size(), total);
    uint64_t pos = 0;
    while (pos < total && st_ != State::Lost) {
        if (st_ == State::Length) {
            if (pos >= cap) {  // the next length prefix was not captured: boundaries are unknown
                counters_->lost_sync++;
                lose();
                return;
            }
            if (len_have_ == 0) begin(c, pos);
            size_t take = std::min<uint64_t>(4 - len_have_, cap - pos);
            std::copy_n(c.captured.data() + pos, take, len_buf_ + len_have_);
            len_have_ = static_cast<uint8_t>(len_have_ + take);
            pos += take;
            if (len_have_ < 4) continue;
            len_have_ = 0;
            uint32_t len = (uint32_t(len_buf_[0]) << 24) | (uint32_t(len_buf_[1]) << 16) | (uint32_t(len_buf_[2]) << 8) |
                           uint32_t(len_buf_[3]);
            if (len < min_len_ || len > kMaxMessage) {
                counters_->parse_errors++;
                lose();
                return;
            }
            msg_len_ = len;
            msg_got_ = 0;
            if (cap - pos >= len) {  // wholly captured in this call: no copy
                msg_.set_external(c.captured.substr(pos, len), len);
                pos += len;
                emit(c.ts_ns, sink);
                continue;
            }
            msg_.reset(len);
            st_ = State::Body;
        }
        uint64_t take = std::min(msg_len_ - msg_got_, total - pos);
        if (pos < cap) msg_.append(msg_got_, c.captured.substr(pos, std::min(take, cap - pos)));
        msg_got_ += take;
        pos += take;
        if (msg_got_ == msg_len_) emit(c.ts_ns, sink);
    }
}

}  // namespace obi::kafka
