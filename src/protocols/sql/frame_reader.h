// Frames of a length-prefixed binary protocol (PostgreSQL messages, MySQL packets) in one
// direction of a connection, rebuilt from socket calls whose captured prefix may be shorter
// than the call: keeps each frame's header and the first bytes of its body the protocol asks
// for, skips the rest by length (across uncaptured "holes"), and reports when the next header
// lies in bytes that were not captured: the stream has then lost its place until the next
// burst starts (where a new message must start) or the protocol finds the end by other means.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "conntrack/chunk.h"

namespace obi::sql {

struct Frame {
    std::string_view header;  // the frame header (1-8 bytes)
    std::string_view body;    // the kept start of the body (at most the `keep` asked for)
    uint32_t len = 0;         // the body's full length
    bool body_cut = false;    // bytes of the kept range lay in a hole: body is shorter than asked
    uint64_t start_ts = 0;    // the call in which the frame's first byte was seen
    uint64_t end_ts = 0;      // the call in which its last byte was seen
    uint32_t tid = 0;
    bool burst_start = false;             // the frame opened a burst (its first byte was the burst's first)
    const obi_trace_ctx* tctx = nullptr;  // the kernel context of the burst the frame started in
};

// The header checker returns false when the header cannot be the protocol's (then the stream
// is lost); otherwise it sets the body length and how many body bytes to keep.
struct HeaderVerdict {
    bool ok = false;
    uint32_t body_len = 0;
    uint32_t keep = 0;
};

enum class FeedStatus : uint8_t {
    Ok,        // every byte of the call was accounted for
    Waiting,   // out of sync: the call was ignored (waiting for a burst start)
    Lost,      // a header lay in uncaptured bytes: out of sync from here on
    Invalid,   // a header failed the protocol's checks: out of sync from here on
};

class FrameReader {
public:
    static constexpr size_t kMaxHeader = 8;

    explicit FrameReader(uint8_t header_len) : header_len_(header_len) {}

    // The header length of the frames that follow (PostgreSQL's untyped startup messages).
    void set_header_len(uint8_t n) { header_len_ = std::min<uint8_t>(n, kMaxHeader); }
    uint8_t header_len() const { return header_len_; }
    bool in_sync() const { return state_ == State::InSync; }
    bool between_frames() const { return state_ == State::InSync && hdr_len_ == 0 && !in_body_; }
    // Out of sync until the next burst starts.
    void lose()
    {
        state_ = State::Lost;
        hdr_len_ = 0;
        in_body_ = false;
    }
    // In sync at the start of the next call (the protocol saw the end of a response).
    void resync_after_call()
    {
        state_ = State::InSync;
        hdr_len_ = 0;
        in_body_ = false;
    }

    // `check(std::string_view header) -> HeaderVerdict`; `on_frame(const Frame&)`. A burst start
    // re-synchronises a lost stream: a message must start there.
    template <class Check, class OnFrame>
    FeedStatus feed(const conntrack::DataChunk& c, Check&& check, OnFrame&& on_frame)
    {
        if (c.msg_start) {
            if (c.tctx) {
                burst_ctx_ = *c.tctx;
                has_burst_ctx_ = true;
            } else {
                has_burst_ctx_ = false;
            }
            if (state_ != State::InSync) {
                state_ = State::InSync;
                hdr_len_ = 0;
                in_body_ = false;
            }
        }
        if (state_ != State::InSync) return FeedStatus::Waiting;
        const uint64_t total = c.bytes;
        const uint64_t cap = std::min<uint64_t>(c.captured.size(), total);
        uint64_t pos = 0;
        while (pos < total) {
            if (!in_body_) {
                if (pos >= cap) {
                    lose();
                    return FeedStatus::Lost;
                }
                if (hdr_len_ == 0) {
                    start_ts_ = c.ts_ns;
                    tid_ = c.tid;
                    burst_start_ = c.msg_start && pos == 0;
                    frame_has_ctx_ = has_burst_ctx_;
                }
                size_t take = std::min<uint64_t>(header_len_ - hdr_len_, cap - pos);
                std::copy_n(c.captured.data() + pos, take, hdr_ + hdr_len_);
                hdr_len_ += take;
                pos += take;
                if (hdr_len_ < header_len_) continue;
                HeaderVerdict v = check(std::string_view(hdr_, hdr_len_));
                if (!v.ok) {
                    lose();
                    return FeedStatus::Invalid;
                }
                in_body_ = true;
                body_len_ = body_left_ = v.body_len;
                keep_ = std::min(v.keep, v.body_len);
                body_.clear();
                body_cut_ = false;
            }
            uint64_t n = std::min<uint64_t>(body_left_, total - pos);
            uint64_t cap_n = pos < cap ? std::min<uint64_t>(n, cap - pos) : 0;
            size_t want = body_cut_ ? 0 : keep_ - body_.size();  // after a hole: never splice later bytes on
            if (want > 0) {
                size_t got = std::min<uint64_t>(cap_n, want);
                body_.append(c.captured.data() + pos, got);
                if (got < std::min<uint64_t>(n, want)) body_cut_ = true;
            }
            pos += n;
            body_left_ -= static_cast<uint32_t>(n);
            if (body_left_ == 0) {
                Frame f;
                f.header = std::string_view(hdr_, hdr_len_);
                f.body = body_;
                f.len = body_len_;
                f.body_cut = body_cut_ || (body_.size() < keep_);
                f.start_ts = start_ts_;
                f.end_ts = c.ts_ns;
                f.tid = tid_;
                f.burst_start = burst_start_;
                f.tctx = frame_has_ctx_ ? &burst_ctx_ : nullptr;
                hdr_len_ = 0;
                in_body_ = false;
                on_frame(f);
                if (state_ != State::InSync) return FeedStatus::Ok;  // the protocol stopped following
            }
        }
        return FeedStatus::Ok;
    }

private:
    enum class State : uint8_t { InSync, Lost };

    State state_ = State::Lost;  // a stream starts at a burst start
    uint8_t header_len_;
    char hdr_[kMaxHeader] = {};
    uint8_t hdr_len_ = 0;
    bool in_body_ = false;
    bool body_cut_ = false;
    uint32_t body_len_ = 0, body_left_ = 0, keep_ = 0;
    std::string body_;
    uint64_t start_ts_ = 0;
    uint32_t tid_ = 0;
    bool burst_start_ = false;
    obi_trace_ctx burst_ctx_{};
    bool has_burst_ctx_ = false, frame_has_ctx_ = false;
};

}  // namespace obi::sql
