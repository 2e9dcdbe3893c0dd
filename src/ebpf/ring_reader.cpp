// RingReader over libbpf's ring_buffer: poll for the wakeup, then consume all records.
#include "ebpf/ring_reader.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace obi::ebpf {
namespace {

int on_sample(void* ctx, void* data, size_t size)
{
    static_cast<RingSink*>(ctx)->on_record(data, size);
    return 0;
}

}  // namespace

std::unique_ptr<RingReader> RingReader::open(int map_fd, RingSink* sink, std::string* error)
{
    std::unique_ptr<RingReader> r(new RingReader());
    r->rb_ = ring_buffer__new(map_fd, on_sample, sink, nullptr);
    if (!r->rb_) {
        *error = std::string("cannot open the ring buffer: ") + strerror(errno);
        return nullptr;
    }
    return r;
}

RingReader::~RingReader()
{
    if (rb_) ring_buffer__free(rb_);
}

int RingReader::poll(int timeout_ms)
{
    int n = ring_buffer__poll(rb_, timeout_ms);
    if (n < 0 && n != -EINTR) return n;
    // Records written with BPF_RB_NO_WAKEUP do not wake epoll: consume them now.
    int m = ring_buffer__consume(rb_);
    if (m < 0) return m;
    return (n > 0 ? n : 0) + m;
}

int RingReader::consume() { return ring_buffer__consume(rb_); }

int RingReader::epoll_fd() const { return ring_buffer__epoll_fd(rb_); }

}  // namespace obi::ebpf
