// Drains a BPF ring buffer without a wakeup per event: the kernel wakes us only past a
// fill threshold, and poll() consumes whatever is queued when its timeout expires.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct ring_buffer;

namespace obi::ebpf {

class RingSink {
public:
    virtual ~RingSink() = default;
    // One record, valid only during the call (the ring's pages are read-only).
    virtual void on_record(const void* data, size_t size) = 0;
};

class RingReader {
public:
    static std::unique_ptr<RingReader> open(int map_fd, RingSink* sink, std::string* error);
    ~RingReader();
    // Waits up to timeout_ms for a wakeup, then consumes everything queued. Returns the
    // number of records consumed, or a negative errno (EINTR is reported as 0).
    int poll(int timeout_ms);
    // Consumes everything queued without waiting.
    int consume();
    // Readable when the kernel woke the ring (add it to your own epoll set).
    int epoll_fd() const;

private:
    RingReader() = default;
    ring_buffer* rb_ = nullptr;
};

}  // namespace obi::ebpf
