// FrameReader: a small state machine (preface -> header -> payload -> header ...) over the
// calls of one direction, with "lost" as the state that only a plausible call start leaves.
#include "protocols/http2/frame_reader.h"

#include <algorithm>

namespace obi::http2 {

using conntrack::DataChunk;

size_t collect_len(const FrameHeader& h)
{
    switch (h.type) {
    case kHeaders:
    case kContinuation:
    case kPushPromise:
    case kSettings: return std::min<size_t>(h.length, kMaxCollect);
    case kRstStream:
    case kWindowUpdate: return std::min<size_t>(h.length, 4);
    case kGoaway: return std::min<size_t>(h.length, 8);
    case kData: return (h.flags & kPadded) ? 1 : 0;
    default: return 0;
    }
}

FrameReader::FrameReader(conntrack::Direction dir, Start start)
    : dir_(dir),
      state_(start == Start::Preface ? State::Preface : start == Start::Frames ? State::Header : State::Lost)
{
}

void FrameReader::set_max_frame_size(uint32_t n) { max_len_ = std::clamp(n, kDefaultMaxFrameSize, kMaxMaxFrameSize); }

void FrameReader::lose_sync()
{
    state_ = State::Lost;
    hdr_have_ = 0;
    buf_.clear();
}

void FrameReader::lost(FrameSink& sink, SyncLoss why, uint64_t skipped)
{
    lose_sync();
    sink.on_sync_lost(dir_, why, skipped);
}

void FrameReader::begin_frame(const DataChunk& c)
{
    start_ts_ = c.ts_ns;
    start_tid_ = c.tid;
    start_burst_ = burst_;
}

void FrameReader::deliver(const DataChunk& c, FrameSink& sink, std::string_view direct)
{
    Frame f;
    f.hdr = cur_;
    f.payload = direct.data() ? direct : std::string_view(buf_);
    f.complete = direct.data() ? true : buf_complete_;
    f.start_ts = start_ts_;
    f.end_ts = c.ts_ns;
    f.tid = start_tid_;
    f.start_burst = start_burst_;
    state_ = State::Header;
    hdr_have_ = 0;
    sink.on_frame(dir_, f);
    buf_.clear();
}

void FrameReader::feed(const DataChunk& c, FrameSink& sink)
{
    if (c.msg_start) burst_++;
    const uint64_t total = c.bytes;
    const size_t cap = c.captured.size();
    if (state_ == State::Lost) {
        // Only a call start can be a frame start we trust: the client preface (a connection
        // that starts now), or bytes that chain as plausible frames.
        size_t n = std::min(cap, kPreface.size());
        if (cap > 0 && c.captured.substr(0, n) == kPreface.substr(0, n) && (n == kPreface.size() || cap == total)) {
            state_ = State::Preface;
            preface_have_ = 0;
        } else if (walk_chain(c.captured, total, max_len_).ok) {
            state_ = State::Header;
        } else {
            return;
        }
        hdr_have_ = 0;
    }
    uint64_t pos = 0;
    while (pos < total) {
        switch (state_) {
        case State::Lost: return;
        case State::Preface: {
            size_t n = static_cast<size_t>(std::min<uint64_t>(kPreface.size() - preface_have_, total - pos));
            if (pos < cap) {
                size_t m = std::min<size_t>(n, cap - pos);
                if (c.captured.substr(pos, m) != kPreface.substr(preface_have_, m)) {
                    if (preface_have_ == 0 && pos == 0) {  // no preface after all: frames from here
                        state_ = State::Header;
                        break;
                    }
                    lost(sink, SyncLoss::Invalid, total - pos);
                    return;
                }
            }
            preface_have_ += n;
            pos += n;
            if (preface_have_ == kPreface.size()) state_ = State::Header;
            break;
        }
        case State::Header: {
            if (hdr_have_ == 0) begin_frame(c);
            if (pos >= cap) {  // the header lies in bytes that were not captured
                lost(sink, SyncLoss::Hole, total - pos + hdr_have_);
                return;
            }
            size_t take = std::min<size_t>(kFrameHeaderLen - hdr_have_, cap - static_cast<size_t>(pos));
            std::copy_n(c.captured.data() + pos, take, hdr_ + hdr_have_);
            hdr_have_ += take;
            pos += take;
            if (hdr_have_ < kFrameHeaderLen) break;  // the rest comes with the next call (or is a hole)
            cur_ = parse_frame_header(hdr_);
            if (!header_valid(cur_, max_len_)) {
                lost(sink, SyncLoss::Invalid, total - pos + kFrameHeaderLen);
                return;
            }
            left_ = cur_.length;
            want_ = collect_len(cur_);
            buf_.clear();
            buf_complete_ = true;
            if (left_ == 0) {
                deliver(c, sink, std::string_view(""));
            } else {
                state_ = State::Payload;
            }
            break;
        }
        case State::Payload: {
            uint64_t n = std::min<uint64_t>(left_, total - pos);
            size_t off = cur_.length - left_;
            std::string_view direct;
            if (off < want_) {
                size_t need = std::min<size_t>(want_ - off, static_cast<size_t>(n));
                size_t have = pos < cap ? std::min<size_t>(need, cap - static_cast<size_t>(pos)) : 0;
                std::string_view piece = c.captured.substr(static_cast<size_t>(pos), have);
                if (off == 0 && have == want_ && n == left_) direct = piece;  // whole frame here: no copy
                else if (buf_complete_) buf_.append(piece);
                if (have < need) buf_complete_ = false;
            }
            pos += n;
            left_ -= static_cast<uint32_t>(n);
            if (left_ == 0) deliver(c, sink, direct.data() ? direct : std::string_view());
            break;
        }
        }
    }
}

}  // namespace obi::http2
