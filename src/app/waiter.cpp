// Waiter (epoll) and StopSignal (eventfd).
#include "app/waiter.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace obi {

Waiter::Waiter() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {}

Waiter::~Waiter()
{
    if (epfd_ >= 0) close(epfd_);
}

bool Waiter::add(int fd)
{
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool Waiter::wait(int timeout_ms)
{
    epoll_event evs[8];
    int n = epoll_wait(epfd_, evs, 8, timeout_ms);
    return n >= 0 || errno == EINTR;
}

StopSignal::StopSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

StopSignal::~StopSignal()
{
    if (fd_ >= 0) close(fd_);
}

void StopSignal::notify()
{
    uint64_t one = 1;
    ssize_t r = write(fd_, &one, sizeof(one));
    (void)r;
}

bool StopSignal::stopped() const
{
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

}  // namespace obi
