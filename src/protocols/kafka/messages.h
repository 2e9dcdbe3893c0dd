// The parts of Kafka messages that spans need: Produce requests (topic, partition, acks),
// Fetch requests (fetch offsets) and responses (which partition returned records, from which
// offset), Metadata responses (topic ids -> names), and body checks for classification.
// Every parser takes the message and the offset of its body and reads only what it needs.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "protocols/kafka/api.h"
#include "protocols/kafka/records.h"
#include "protocols/kafka/topic_cache.h"
#include "protocols/kafka/wire.h"

namespace obi::kafka {

// Kafka's legal topic names: 1-249 characters of [a-zA-Z0-9._-].
bool valid_topic_name(std::string_view name);

// A topic as a message names it: by name, or by id (Fetch v13+, Produce v13+).
struct TopicRef {
    std::string_view name;  // a view into the message
    Uuid id{};
    bool by_id = false;

    uint64_t hash() const;
};

struct ProduceRequestInfo {
    int16_t acks = -1;  // 0: the broker sends no response
    int32_t topics = 0;
    TopicRef topic;          // the first topic
    int32_t partition = -1;     // its first partition
    int64_t records_bytes = -1;  // length of that partition's records (-1: null or not read)
    RecordSetInfo records;      // that partition's records
};
// The fields read before a Short or Invalid status stay filled in.
ReadStatus parse_produce_request(const SparseBytes& m, const RequestHeader& h, ProduceRequestInfo& out);

struct FetchOffset {
    uint64_t topic = 0;  // TopicRef::hash()
    int32_t partition = -1;
    int64_t offset = -1;
};

struct FetchRequestInfo {
    static constexpr size_t kMaxOffsets = 8;  // partitions remembered per request (bounds the memory per request in flight)
    std::array<FetchOffset, kMaxOffsets> offsets{};
    size_t count = 0;
    int32_t topics = 0;

    // The fetch offset requested for a partition (-1: not among the remembered ones).
    int64_t offset_of(uint64_t topic, int32_t partition) const;
};
ReadStatus parse_fetch_request(const SparseBytes& m, const RequestHeader& h, FetchRequestInfo& out);

struct FetchResponseInfo {
    bool found = false;  // some partition returned records
    TopicRef topic;      // the first topic-partition that did
    int32_t partition = -1;
    RecordSetInfo records;  // its records
    uint32_t partitions_with_records = 0;
    uint32_t records_total = 0;  // records in every partition that could be read
};
ReadStatus parse_fetch_response(const SparseBytes& m, uint64_t body, int16_t version, FetchResponseInfo& out);

// Puts the topic ids of a Metadata response (v10+) into `cache`; `learnt` counts them.
ReadStatus parse_metadata_response(const SparseBytes& m, uint64_t body, int16_t version, TopicIdCache& cache,
                                   uint32_t& learnt);

// Offset of a response body: after the correlation id and, for flexible versions, the
// header's tagged fields.
ReadStatus response_body_offset(const SparseBytes& m, int16_t api_key, int16_t version, uint64_t& body);

// Checks the body of a request whose key has a checker (Produce, Fetch, Metadata,
// ApiVersions) against the format: Invalid on a contradiction, Short when the capture ends
// first, Ok otherwise (and for the other keys).
ReadStatus check_request_body(const SparseBytes& m, const RequestHeader& h);

}  // namespace obi::kafka
