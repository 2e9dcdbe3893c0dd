// StreamTable: lookup after many opens and removals in any order (the index's backward-shift
// deletion), eviction of the oldest open stream when full, slot reuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "protocols/http2/stream.h"

using namespace obi::http2;

TEST(Http2Streams, MatchesAReferenceMapUnderRandomOpensAndRemovals)
{
    StreamTable t;
    std::map<uint32_t, uint64_t> ref;  // id -> start_ns
    std::mt19937 rng(3);
    uint32_t next = 1;
    for (int step = 0; step < 200000; step++) {
        if (ref.empty() || rng() % 3) {
            bool evicted = false;
            Stream& s = t.open(next, evicted);
            s.start_ns = next;
            if (evicted) {  // the oldest open stream went
                ASSERT_EQ(ref.size(), StreamTable::kMaxStreams);
                ref.erase(ref.begin());
            }
            ref[next] = next;
            next += 2;
        } else {
            auto it = ref.begin();
            std::advance(it, rng() % ref.size());
            Stream* s = t.find(it->first);
            ASSERT_NE(s, nullptr) << it->first;
            ASSERT_EQ(s->id, it->first);
            t.remove(s);
            ref.erase(it);
        }
        ASSERT_EQ(t.size(), ref.size());
        if (step % 997 == 0) {
            for (const auto& [id, start] : ref) ASSERT_EQ(t.find(id)->start_ns, start);
        }
        ASSERT_EQ(t.find(next), nullptr);
    }
}

TEST(Http2Streams, RemoveIfAndClear)
{
    StreamTable t;
    bool ev = false;
    for (uint32_t id = 1; id < 40; id += 2) t.open(id, ev).status = static_cast<int>(id);
    t.remove_if([](Stream& s) { return s.status % 4 == 1; });
    EXPECT_EQ(t.size(), 10u);
    EXPECT_EQ(t.find(5), nullptr);
    EXPECT_NE(t.find(7), nullptr);
    t.clear();
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.first(), nullptr);
    EXPECT_EQ(t.open(3, ev).status, 0);  // a reused slot starts clean
}
