// What is known about one HTTP/2 stream while its request and response are in flight, and
// the bounded table of a connection's open streams.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conntrack/span_context.h"

namespace obi::http2 {

struct Stream {
    uint32_t id = 0;
    bool orphan = false;  // the request was never seen (joined mid-stream): ignored to its end
    // Request.
    bool method_known = false, path_known = false;
    std::string method, path, query, authority;
    bool grpc = false;  // content-type application/grpc*, or a grpc-status was seen
    bool plain_type = false;  // a content-type that is not gRPC was seen (request or response)
    bool req_end = false;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    int64_t req_body = 0;
    conntrack::SpanContext ctx;
    // Response.
    bool resp_final = false;    // the final (non-1xx) response headers were seen
    bool status_known = false;  // ... and their :status decoded
    int status = 0;
    bool trailers = false;
    bool resp_unknown = false;      // the response headers had fields we could not decode
    bool trailers_unknown = false;  // ... the trailers had
    int grpc_status = -1;
    int64_t resp_body = 0;
    uint64_t last_ts = 0;  // last frame of the stream seen
};

// Open streams of one connection, bounded. Lookup by id through a small open-addressing
// index, eviction of the oldest through a queue of ids in open order: both O(1) amortized, so
// a connection that piles up streams whose responses were lost stays cheap. Slots are reused
// (strings keep their storage); nothing is allocated per stream once the table has grown.
class StreamTable {
public:
    static constexpr size_t kMaxStreams = 1024;

    Stream* find(uint32_t id);
    // A new stream; when the table is full the oldest stream is dropped first (`evicted`).
    Stream& open(uint32_t id, bool& evicted);
    void remove(Stream* s);
    void clear();
    size_t size() const { return live_; }
    // Some open stream (the only one when size() == 1), nullptr when none.
    Stream* first();
    // Removes every open stream for which pred(stream) returns true.
    template <class F>
    void remove_if(F pred)
    {
        for (size_t i = 0; i < slots_.size(); i++)
            if (slots_[i].live && pred(slots_[i].s)) remove_slot(i);
    }

private:
    struct Slot {
        Stream s;
        bool live = false;
    };
    struct Entry {
        uint32_t id = 0;
        uint32_t slot = 0;  // slot index + 1; 0 = empty
    };
    size_t probe(uint32_t id) const { return (id * 2654435761u) & (index_.size() - 1); }
    void index_insert(uint32_t id, uint32_t slot);
    void index_erase(uint32_t id);
    void grow_index();
    void remove_slot(size_t i);

    std::vector<Slot> slots_;
    std::vector<uint32_t> free_;   // slots not in use
    std::vector<Entry> index_;     // power-of-two size, at most half full
    std::vector<uint32_t> order_;  // stream ids in open order from order_head_ (removed ones are skipped)
    size_t order_head_ = 0;
    size_t live_ = 0;
};

}  // namespace obi::http2
