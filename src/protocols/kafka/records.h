// Kafka record sets (the RECORDS field of Produce requests and Fetch responses): walks the
// batches by their lengths, reading only each batch header, to count records and find the
// first offset. Record batches (magic 2) and the legacy message sets (magic 0 and 1).
#pragma once

#include <cstdint>

#include "protocols/kafka/wire.h"

namespace obi::kafka {

struct RecordSetInfo {
    int64_t first_offset = -1;  // base offset of the first data batch (-1: not seen)
    int64_t last_offset = -1;   // last offset of the last complete batch seen
    uint32_t records = 0;       // records in the complete data batches seen
    uint32_t batches = 0;
    bool uncaptured = false;  // a batch header fell into an uncaptured hole: more may be there
    bool cut = false;         // the set ends in an incomplete batch (brokers may send one)

    // The set may hold records the client receives.
    bool has_records() const { return records > 0 || uncaptured; }
};

// The record set of `len` bytes at `pos` in `m`. Invalid when a batch header contradicts
// the format (magic, lengths, counts); Ok otherwise.
ReadStatus summarize_records(const SparseBytes& m, uint64_t pos, uint64_t len, RecordSetInfo& out);

}  // namespace obi::kafka
