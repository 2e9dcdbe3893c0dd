// Waits on a set of file descriptors (ring buffers, a stop eventfd) with a timeout:
// the one blocking point of each agent thread.
#pragma once

#include <vector>

namespace obi {

class Waiter {
public:
    Waiter();
    ~Waiter();
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    bool add(int fd);
    // Blocks until one fd is readable or the timeout expires; false on error.
    bool wait(int timeout_ms);

private:
    int epfd_ = -1;
};

// An eventfd that stops agent threads; notify() is async-signal-safe.
class StopSignal {
public:
    StopSignal();
    ~StopSignal();
    int fd() const { return fd_; }
    void notify();
    bool stopped() const;

private:
    int fd_ = -1;
};

}  // namespace obi
