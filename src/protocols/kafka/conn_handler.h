// Kafka over one connection, client or broker side: frames both directions, pairs responses
// with requests by correlation id, and emits "publish <topic>" spans for Produce and
// "process <topic>" spans for Fetch responses that carry records (empty long polls are
// counted, not emitted). Topic ids are resolved through the shared TopicIdCache.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "conntrack/protocol.h"

namespace obi::kafka {

// A burst that starts a Kafka request (only requests classify a connection).
conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);
std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"kafka", &detect, &create_handler}; }

// Process-wide Kafka facts that ProtocolCounters has no field for.
struct KafkaStats {
    std::atomic<uint64_t> empty_fetches{0};      // Fetch responses without records: no span
    std::atomic<uint64_t> unknown_topic_ids{0};  // topic ids not (yet) learnt from a Metadata response
    std::atomic<uint64_t> topic_ids_learnt{0};   // topic ids taken from Metadata responses
};
KafkaStats& stats();

}  // namespace obi::kafka
