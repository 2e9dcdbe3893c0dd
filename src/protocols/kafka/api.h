// Kafka API keys with the highest version this parser knows and the first flexible
// version of each (from the Apache Kafka message definitions up to 4.1), and the request
// header (v0, v1, v2) every request starts with.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocols/kafka/wire.h"

namespace obi::kafka {

enum ApiKey : int16_t {
    kProduce = 0,
    kFetch = 1,
    kListOffsets = 2,
    kMetadata = 3,
    kControlledShutdown = 7,
    kApiVersions = 18,
};

struct ApiInfo {
    int16_t max_version;
    int16_t flexible_from;  // -1: no flexible version
};

// nullptr for a key outside the known range.
const ApiInfo* api_info(int16_t key);
// Request header v2 and compact body encodings (KIP-482).
bool request_is_flexible(int16_t key, int16_t version);
// Response header v1 (tagged fields after the correlation id): flexible versions except
// ApiVersions, whose response header stays v0 so that any client can read it.
bool response_is_flexible(int16_t key, int16_t version);

// Plausibility bounds (a misclassified connection is worse than an unclassified one).
inline constexpr uint32_t kMaxMessage = 100u << 20;  // Kafka's socket.request.max.bytes default is 100 MiB
inline constexpr uint32_t kMinRequest = 10;          // api key, version, correlation id, client id length
inline constexpr size_t kMaxClientId = 255;          // real client ids are short; Kafka sets no limit
inline constexpr uint32_t kMaxHeaderTags = 16;

struct RequestHeader {
    int16_t api_key = 0;
    int16_t api_version = 0;
    int32_t correlation_id = 0;
    std::string_view client_id;  // a view into the message
    bool client_id_null = true;
    bool flexible = false;
    uint64_t body_offset = 0;  // first byte of the request body
};

// Parses the header at the start of `m` and checks it: known key and version, correlation
// id >= 0, client id of printable ASCII and bounded length, few header tags. Short when the
// captured prefix ends inside the header.
ReadStatus parse_request_header(const SparseBytes& m, RequestHeader& h);

}  // namespace obi::kafka
