// The result type every HTTP/1 parser returns, and the plausibility bounds that turn
// "not HTTP" bytes into Invalid early.
#pragma once

#include <cstddef>
#include <cstdint>

namespace obi::http1 {

enum class ParseStatus : uint8_t {
    Complete,  // a whole head was parsed; the output is filled
    NeedMore,  // a strict prefix of something that can still be valid; nothing consumed
    Invalid,   // these bytes cannot be an HTTP/1.x head
};

constexpr size_t kMaxMethodLen = 32;            // longest method token accepted
constexpr size_t kMaxHeadLen = 64 * 1024;       // request/status line + headers + blank line
constexpr size_t kMaxContentLengthDigits = 18;  // keeps the value below 10^18 (fits int64_t)

}  // namespace obi::http1
