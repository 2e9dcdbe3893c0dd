// Byte-at-a-time state machine for chunked framing; chunk data is skipped in one step, so
// the cost is per framing byte, not per payload byte.
#include "protocols/http1/chunked_scanner.h"

#include <algorithm>

#include "protocols/http1/char_class.h"

namespace obi::http1 {
namespace {

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

}  // namespace

void ChunkedScanner::end_size_line()
{
    line_bytes_ = 0;
    if (chunk_size_ == 0) {
        state_ = State::TrailerStart;
        return;
    }
    data_left_ = chunk_size_;
    chunk_size_ = 0;
    state_ = State::Data;
}

size_t ChunkedScanner::feed(std::string_view d)
{
    const size_t n = d.size();
    size_t i = 0;
    while (i < n) {
        const char c = d[i];
        switch (state_) {
        case State::Done:
        case State::Invalid:
            wire_bytes_ += i;
            return i;
        case State::Unknown:
            wire_bytes_ += n;
            return n;
        case State::Size:
            if (chars::is_hex(c)) {
                chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(hex_value(c));
                if (++line_bytes_ > kMaxSizeDigits || chunk_size_ > kMaxChunkSize) {
                    state_ = State::Invalid;
                    break;
                }
                i++;
            } else if (line_bytes_ == 0) {
                state_ = State::Invalid;
            } else if (c == ';' || c == ' ' || c == '\t') {
                line_bytes_ = 0;
                state_ = State::Extension;
                i++;
            } else if (c == '\r') {
                state_ = State::SizeLF;
                i++;
            } else if (c == '\n') {
                end_size_line();
                i++;
            } else {
                state_ = State::Invalid;
            }
            break;
        case State::Extension:
            if (c == '\r') {
                state_ = State::SizeLF;
            } else if (c == '\n') {
                end_size_line();
            } else if (!chars::is_field_value(c) || ++line_bytes_ > kMaxExtensionLen) {
                state_ = State::Invalid;
                break;
            }
            i++;
            break;
        case State::SizeLF:
            if (c != '\n') {
                state_ = State::Invalid;
                break;
            }
            end_size_line();
            i++;
            break;
        case State::Data: {
            uint64_t take = std::min<uint64_t>(data_left_, n - i);
            i += static_cast<size_t>(take);
            data_left_ -= take;
            body_bytes_ += take;
            if (data_left_ == 0) state_ = State::DataCR;
            break;
        }
        case State::DataCR:
            if (c == '\r') {
                state_ = State::DataLF;
            } else if (c == '\n') {
                state_ = State::Size;
            } else {
                state_ = State::Invalid;
                break;
            }
            i++;
            break;
        case State::DataLF:
            if (c != '\n') {
                state_ = State::Invalid;
                break;
            }
            state_ = State::Size;
            i++;
            break;
        case State::TrailerStart:
            if (c == '\r') {
                state_ = State::FinalLF;
            } else if (c == '\n') {
                state_ = State::Done;
            } else if (!chars::is_token(c)) {  // a trailer line starts with a field name
                state_ = State::Invalid;
                break;
            } else {
                state_ = State::TrailerLine;
            }
            i++;
            if (state_ == State::TrailerLine && ++trailer_bytes_ > kMaxTrailerLen) state_ = State::Invalid;
            break;
        case State::TrailerLine:
            if (c == '\n') {
                state_ = State::TrailerStart;
            } else if (!chars::is_field_value(c) && c != '\r') {
                state_ = State::Invalid;
                break;
            }
            i++;
            if (++trailer_bytes_ > kMaxTrailerLen) state_ = State::Invalid;
            break;
        case State::FinalLF:
            if (c != '\n') {
                state_ = State::Invalid;
                break;
            }
            state_ = State::Done;
            i++;
            break;
        }
    }
    wire_bytes_ += i;
    return i;
}

void ChunkedScanner::skip(size_t n)
{
    if (n == 0 || state_ == State::Done || state_ == State::Invalid) return;
    wire_bytes_ += n;
    if (state_ == State::Data && n <= data_left_) {
        data_left_ -= n;
        body_bytes_ += n;
        if (data_left_ == 0) state_ = State::DataCR;
        return;
    }
    if (state_ == State::Data) body_bytes_ += data_left_;  // at least the rest of this chunk
    data_left_ = 0;
    lost_sync_ = true;
    state_ = State::Unknown;
}

bool ChunkedScanner::is_last_chunk_tail(std::string_view tail)
{
    constexpr std::string_view kLastChunk = "0\r\n\r\n";
    constexpr std::string_view kAfterData = "\r\n0\r\n\r\n";
    if (tail == kLastChunk) return true;
    return tail.size() >= kAfterData.size() && tail.substr(tail.size() - kAfterData.size()) == kAfterData;
}

bool ChunkedScanner::observe_write_tail(std::string_view tail)
{
    if (state_ == State::Unknown && is_last_chunk_tail(tail)) state_ = State::Done;
    return done();
}

}  // namespace obi::http1
