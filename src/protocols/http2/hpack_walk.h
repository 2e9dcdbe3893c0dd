// The structure of an HPACK header block (RFC 7541 section 6), without decoding it: where
// each field representation starts and ends, its kind and the table index it refers to.
// HeaderDecoder uses this to decide, before nghttp2 decodes a representation, whether its
// reference can be resolved by the table we followed (see header_decoder.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace obi::http2 {

enum class RepKind : uint8_t {
    Indexed,             // 1xxxxxxx: a whole table entry
    LiteralIncremental,  // 01xxxxxx: a literal added to the dynamic table
    LiteralNoIndex,      // 0000xxxx
    LiteralNeverIndexed,  // 0001xxxx
    SizeUpdate,           // 001xxxxx: dynamic table size update
};

struct Representation {
    RepKind kind = RepKind::Indexed;
    uint64_t index = 0;     // Indexed: entry; literals: name entry (0 = literal name); SizeUpdate: new size
    size_t len = 0;         // bytes of the whole representation
    size_t value_off = 0;   // literals: offset of the value string (its length prefix) from the start
};

enum class WalkStatus : uint8_t {
    Ok,
    Truncated,  // the block ends inside this representation
    Invalid,    // an integer longer than any real peer sends
};

// Reads the representation starting at block[pos].
WalkStatus walk_representation(std::string_view block, size_t pos, Representation& out);

// HPACK integer with an N-bit prefix (RFC 7541 5.1) at b[pos]; advances pos. Values above
// 2^32 are Invalid: no table index, size or string length gets near that.
WalkStatus read_hpack_int(std::string_view b, size_t& pos, unsigned prefix_bits, uint64_t& value);

}  // namespace obi::http2
