// Connection tracking in user space: one entry per (process, socket), fed by the kernel's
// data and close events in order. Detects each connection's protocol, hands its calls to
// the protocol's handler, and bounds memory by a connection cap (LRU) and idle expiry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "conntrack/protocol.h"

namespace obi::conntrack {

struct TrackerOptions {
    size_t max_connections = 16384;
    uint64_t idle_timeout_ns = 120ull * 1000000000ull;  // forget connections silent this long
    uint64_t request_timeout_ns = 0;                     // see HandlerEnv
    uint64_t dns_request_timeout_ns = 5000000000ull;     // see HandlerEnv (ebpf.dns_request_timeout's default)
    uint8_t max_detect_attempts = 4;                     // bursts tried before a connection is ignored
};

struct TrackerStats {
    uint64_t data_events = 0;
    uint64_t close_events = 0;
    uint64_t opened = 0;
    uint64_t evicted = 0;        // dropped at the connection cap
    uint64_t expired = 0;        // dropped after idle_timeout
    uint64_t gaps = 0;           // sequence gaps: kernel events lost
    uint64_t unclassified = 0;   // connections given up on (no known protocol)
    uint64_t malformed = 0;      // records too short for their header
};

class ConnTracker {
public:
    ConnTracker(TrackerOptions opts, SpanSink& sink, std::vector<ProtocolDef> protocols);
    ~ConnTracker();

    // A kernel record (data or close); `size` is the record size from the ring buffer.
    void on_record(const void* data, size_t size);
    void on_timer(uint64_t now_ns);
    void forget_pid(uint32_t pid);

    const TrackerStats& stats() const { return stats_; }
    const std::vector<ProtocolCounters>& counters() const { return counters_; }
    const std::vector<ProtocolDef>& protocols() const { return protocols_; }
    size_t size() const { return conns_.size(); }

private:
    struct Key {
        uint32_t pid;
        uint64_t sock_id;
        bool operator==(const Key& o) const { return pid == o.pid && sock_id == o.sock_id; }
    };
    struct KeyHash {
        size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.sock_id * 31 + k.pid); }
    };
    // A call kept while the protocol of its connection is still undecided (the first
    // bytes of a burst may arrive a few at a time).
    struct ProbeChunk {
        DataChunk chunk;
        std::string data, tail;
        obi_trace_ctx tctx{};
    };
    struct Connection {
        uint64_t conn_id = 0;
        ConnInfo info;
        uint32_t next_seq = 0;
        uint64_t last_ts = 0;
        int protocol = -1;
        uint8_t attempts = 0;
        bool ignored = false;
        std::vector<ProbeChunk> probe;  // calls of the current burst, until detection decides
        // The burst before, when it ended undecided and the other way round: a reply may decide
        // the protocol its request could not (an inline Redis PING), and the request is replayed.
        std::vector<ProbeChunk> prev_probe;
        std::unique_ptr<ProtocolHandler> handler;
        std::list<Key>::iterator lru;
    };

    void on_data(const obi_data_event& ev, size_t size);
    void on_close(const obi_close_event& ev);
    Connection& open(const Key& key, const obi_data_event& ev);
    void erase(std::unordered_map<Key, Connection, KeyHash>::iterator it);
    // Detects the protocol from the burst's first bytes; on success creates the handler and
    // replays the burst (including `chunk`) into it.
    void detect(Connection& c, const DataChunk& chunk);
    // A burst gave no protocol; after max_detect_attempts the connection is ignored.
    void give_up_burst(Connection& c);
    static std::string burst_head(const std::vector<ProbeChunk>& burst, bool* hole = nullptr);

    TrackerOptions opts_;
    SpanSink& sink_;
    std::vector<ProtocolDef> protocols_;
    std::vector<ProtocolCounters> counters_;
    TraceResolver resolver_;
    std::unordered_map<Key, Connection, KeyHash> conns_;
    std::string joined_;  // a call whose captured head and tail meet: the whole call (reused)
    std::list<Key> lru_;  // least recently used first
    TrackerStats stats_;
};

}  // namespace obi::conntrack
