// One direction of an HTTP/2 connection cut back into frames: follows frame lengths across
// calls and across uncaptured bytes ("holes"), collects the payload bytes the handler needs,
// skips the client preface, and after lost bytes waits for a call that starts with a
// plausible frame to resynchronise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "conntrack/chunk.h"
#include "protocols/http2/frame.h"

namespace obi::http2 {

// A frame whose last byte has been read.
struct Frame {
    FrameHeader hdr;
    std::string_view payload;  // the collected start of the payload (see collect_len)
    bool complete = true;      // every collected byte was captured
    uint64_t start_ts = 0;     // completion time of the call holding the frame's first byte
    uint64_t end_ts = 0;       // ... and of the call holding its last byte
    uint32_t tid = 0;          // thread of the call with the first byte
    uint64_t start_burst = 0;  // FrameReader::burst() when the first byte was read
};

enum class SyncLoss : uint8_t {
    Hole,     // a frame header lay in uncaptured bytes
    Invalid,  // bytes that cannot be a frame header here (or a wrong preface)
};

class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void on_frame(conntrack::Direction dir, const Frame& f) = 0;
    // `skipped`: bytes of the call from the lost frame header on (not followed).
    virtual void on_sync_lost(conntrack::Direction dir, SyncLoss why, uint64_t skipped) = 0;
};

// Bytes of a frame's payload the handler looks at: header blocks, SETTINGS, RST_STREAM and
// GOAWAY codes whole (bounded), DATA only its pad length; nothing of the others.
size_t collect_len(const FrameHeader& h);
inline constexpr size_t kMaxCollect = 64 * 1024;

class FrameReader {
public:
    enum class Start : uint8_t {
        Preface,  // connection start, client side of the bytes: the 24-byte preface comes first
        Frames,   // connection start (or just after an h2c upgrade): frames from the first byte
        Unknown,  // joined mid-connection: wait for a call that begins with plausible frames
    };
    FrameReader(conntrack::Direction dir, Start start);

    void feed(const conntrack::DataChunk& c, FrameSink& sink);
    // Kernel events were lost: what is in flight is dropped, the next frame start is searched.
    void lose_sync();
    bool synced() const { return state_ != State::Lost; }
    // The largest frame the receiving peer accepts (its SETTINGS_MAX_FRAME_SIZE).
    void set_max_frame_size(uint32_t n);
    uint32_t max_frame_size() const { return max_len_; }
    // Direction bursts seen (incremented by every msg_start call).
    uint64_t burst() const { return burst_; }
    conntrack::Direction dir() const { return dir_; }

private:
    enum class State : uint8_t { Preface, Header, Payload, Lost };
    void lost(FrameSink& sink, SyncLoss why, uint64_t skipped);
    void begin_frame(const conntrack::DataChunk& c);
    void deliver(const conntrack::DataChunk& c, FrameSink& sink, std::string_view direct);

    conntrack::Direction dir_;
    State state_;
    uint32_t max_len_ = kDefaultMaxFrameSize;
    uint64_t burst_ = 0;
    size_t preface_have_ = 0;
    uint8_t hdr_[kFrameHeaderLen] = {};
    size_t hdr_have_ = 0;
    FrameHeader cur_;
    uint32_t left_ = 0;   // payload bytes of cur_ still to come
    size_t want_ = 0;     // payload bytes of cur_ to collect
    std::string buf_;     // collected payload when it spans calls
    bool buf_complete_ = true;
    uint64_t start_ts_ = 0;
    uint32_t start_tid_ = 0;
    uint64_t start_burst_ = 0;
};

}  // namespace obi::http2
