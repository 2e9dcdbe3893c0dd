// summarize_records: batch headers only; the record bodies are skipped by length.
#include "protocols/kafka/records.h"

namespace obi::kafka {
namespace {

// Offsets inside a record batch header (magic 2).
constexpr uint64_t kLengthEnd = 12;        // baseOffset int64 + batchLength int32
constexpr uint64_t kMagicAt = 16;          // after partitionLeaderEpoch int32
constexpr uint64_t kAttributesAt = 21;     // after crc uint32
constexpr uint64_t kHeaderV2 = 61;         // ... lastOffsetDelta, timestamps, producer, recordsCount
constexpr uint32_t kMinBatchLength = 49;   // kHeaderV2 - kLengthEnd
constexpr uint32_t kMinLegacyMessage = 14; // crc, magic, attributes, key and value lengths
constexpr int16_t kControlBatch = 0x20;    // attributes bit 5: transaction markers, not records

int64_t be(std::string_view b, size_t at, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
    if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    if (n == 2) return static_cast<int16_t>(static_cast<uint16_t>(v));
    return static_cast<int64_t>(v);
}

}  // namespace

ReadStatus summarize_records(const SparseBytes& m, uint64_t pos, uint64_t len, RecordSetInfo& out)
{
    out = RecordSetInfo{};
    const uint64_t end = pos + len;
    while (pos < end) {
        std::string_view h;
        if (end - pos < kLengthEnd + 5) {  // a cut batch at the end (brokers may send one)
            out.cut = true;
            return ReadStatus::Ok;
        }
        if (!m.view(pos, kLengthEnd + 5, h)) {  // the rest cannot be walked
            out.uncaptured = true;
            return ReadStatus::Ok;
        }
        const int64_t base = be(h, 0, 8);
        const int64_t batch_len = be(h, 8, 4);
        const int magic = static_cast<int8_t>(h[kMagicAt]);
        if (base < 0 || batch_len <= 0 || magic < 0 || magic > 2) return ReadStatus::Invalid;
        if (magic == 2 && batch_len < kMinBatchLength) return ReadStatus::Invalid;
        if (magic < 2 && batch_len < kMinLegacyMessage) return ReadStatus::Invalid;
        const uint64_t total = kLengthEnd + static_cast<uint64_t>(batch_len);
        if (total > end - pos) {
            out.cut = true;
            return ReadStatus::Ok;
        }
        if (magic == 2) {
            std::string_view full;
            if (m.view(pos, kHeaderV2, full)) {
                const int64_t attrs = be(full, kAttributesAt, 2);
                const int64_t last_delta = be(full, 23, 4);
                const int64_t count = be(full, 57, 4);
                if (last_delta < 0 || count < 0 || count > batch_len) return ReadStatus::Invalid;
                if (!(attrs & kControlBatch)) {
                    if (out.first_offset < 0) out.first_offset = base;
                    out.records += static_cast<uint32_t>(count);
                }
                out.last_offset = base + last_delta;
            } else {
                out.uncaptured = true;
            }
        } else {  // legacy message: one offset each (a compressed wrapper counts as one)
            if (out.first_offset < 0) out.first_offset = base;
            out.records += 1;
            out.last_offset = base;
        }
        out.batches++;
        pos += total;
    }
    return ReadStatus::Ok;
}

}  // namespace obi::kafka
