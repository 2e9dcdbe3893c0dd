// Kafka's length-prefixed framing of one direction of a connection: rebuilds each message
// from the calls that carry it (split anywhere, also inside the length prefix), skips
// uncaptured bytes by length, and after lost events or a prefix that fell into a hole waits
// for a call whose start the owner accepts as a message start.
#pragma once

#include <cstdint>
#include <string_view>

#include "conntrack/chunk.h"
#include "conntrack/protocol.h"
#include "protocols/kafka/wire.h"

namespace obi::kafka {

// One whole message. Valid only during FrameSink::on_frame.
struct Frame {
    const SparseBytes* bytes = nullptr;  // after the length prefix
    uint64_t start_ns = 0;               // the call holding its first byte
    uint64_t end_ns = 0;                 // the call holding its last byte
    uint32_t tid = 0;
    const obi_trace_ctx* tctx = nullptr;  // the kernel's context when the message started a burst
};

class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void on_frame(const Frame& f) = 0;
    // Out of sync: may a message start at the first byte of this call?
    virtual bool resync_at(std::string_view captured) = 0;
};

class Framer {
public:
    // Messages shorter than `min_len` or longer than kMaxMessage are not Kafka: sync is lost.
    Framer(uint32_t min_len, conntrack::ProtocolCounters* counters) : min_len_(min_len), counters_(counters) {}

    void feed(const conntrack::DataChunk& c, FrameSink& sink);
    // Events were lost: drop the partial message and wait for a resynchronisation point.
    void lose();
    bool lost() const { return st_ == State::Lost; }
    // Between two messages (no partial message or length prefix held).
    bool idle() const { return st_ == State::Length && len_have_ == 0; }

private:
    enum class State : uint8_t { Length, Body, Lost };
    void begin(const conntrack::DataChunk& c, uint64_t pos);
    void emit(uint64_t end_ns, FrameSink& sink);

    State st_ = State::Length;
    uint32_t min_len_;
    conntrack::ProtocolCounters* counters_;
    uint8_t len_buf_[4] = {};
    uint8_t len_have_ = 0;
    uint64_t msg_len_ = 0, msg_got_ = 0;
    uint64_t start_ns_ = 0;
    uint32_t tid_ = 0;
    bool have_tctx_ = false;
    obi_trace_ctx tctx_{};
    SparseBytes msg_;
};

}  // namespace obi::kafka
