// One direction of DNS over TCP (RFC 1035 4.2.2, RFC 7766): every message is preceded by
// its length in two bytes. Reassembles messages from the calls of a connection, skips
// uncaptured bytes by length, and hands each complete message (its captured prefix and
// its full length) to the caller. A length that falls into uncaptured bytes loses sync
// until the next burst starts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "conntrack/chunk.h"
#include "conntrack/protocol.h"

namespace obi::dns {

struct FramedMessage {
    std::string_view bytes;  // the captured start of the message (all of it unless bytes were not captured)
    size_t full_len = 0;
    uint64_t start_ns = 0;   // the call that carried its length prefix
    uint64_t end_ns = 0;     // the call that carried its last byte
    uint32_t tid = 0;
    const obi_trace_ctx* kctx = nullptr;  // the kernel's context, when the message started a burst
};

class StreamFramer {
public:
    // Bytes of one message kept across calls (a response's answers are at its start).
    static constexpr size_t kMaxKeep = 8192;

    // Feeds one call; emit(const FramedMessage&) runs for every message it completes.
    template <class Emit>
    void feed(const conntrack::DataChunk& c, conntrack::ProtocolCounters& counters, Emit&& emit);
    // Events were lost: wait for the next burst.
    void lose() { state_ = State::Lost; }

private:
    enum class State : uint8_t { Length, Body, Lost };
    void start(const conntrack::DataChunk& c, size_t pos);
    FramedMessage message(std::string_view bytes, uint64_t end_ns) const;

    State state_ = State::Length;
    bool have_hi_ = false;  // the first length byte was read
    uint8_t len_hi_ = 0;
    size_t len_ = 0, got_ = 0;  // message length; body bytes consumed so far
    bool hole_ = false;         // part of the body was not captured: buf_ holds the prefix before it
    std::string buf_;           // body bytes of a message that spans calls
    uint64_t start_ns_ = 0;
    uint32_t tid_ = 0;
    bool has_kctx_ = false;
    obi_trace_ctx kctx_{};
};

template <class Emit>
void StreamFramer::feed(const conntrack::DataChunk& c, conntrack::ProtocolCounters& counters, Emit&& emit)
{
    if (c.msg_start && state_ == State::Lost) {  // a new burst: assume a message starts here
        state_ = State::Length;
        have_hi_ = false;
    }
    const uint64_t total = c.bytes;
    const size_t cap = c.captured.size();
    uint64_t pos = 0;
    while (pos < total && state_ != State::Lost) {
        if (state_ == State::Length) {
            if (pos >= cap) {  // the length prefix was not captured: nothing tells where messages are
                counters.lost_sync++;
                state_ = State::Lost;
                return;
            }
            auto b = static_cast<uint8_t>(c.captured[pos]);
            if (!have_hi_) {
                start(c, pos);
                len_hi_ = b;
                have_hi_ = true;
                pos++;
                continue;
            }
            have_hi_ = false;
            pos++;
            len_ = (size_t{len_hi_} << 8) | b;
            if (len_ < 12) {  // shorter than a header: not a DNS message
                counters.parse_errors++;
                state_ = State::Lost;
                return;
            }
            state_ = State::Body;
            got_ = 0;
            hole_ = false;
            buf_.clear();
            continue;
        }
        uint64_t n = std::min<uint64_t>(len_ - got_, total - pos);
        size_t have = pos < cap ? static_cast<size_t>(std::min<uint64_t>(n, cap - pos)) : 0;
        if (got_ == 0 && n == len_ && have == n) {  // the whole message is in this call: no copy
            emit(message(c.captured.substr(pos, have), c.ts_ns));
        } else {
            if (!hole_) {
                size_t keep = std::min(have, kMaxKeep - std::min(kMaxKeep, buf_.size()));
                buf_.append(c.captured.substr(pos, keep));
                if (keep < n) hole_ = true;
            }
            got_ += n;
            if (got_ < len_) {
                pos += n;
                continue;
            }
            emit(message(buf_, c.ts_ns));
        }
        pos += n;
        state_ = State::Length;
    }
}

}  // namespace obi::dns
