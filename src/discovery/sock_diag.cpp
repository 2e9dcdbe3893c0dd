// One inet_diag dump per address family, filtered to TCP_LISTEN by the kernel.
#include "discovery/sock_diag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace obi::discovery {
namespace {

// A listener answer is ~100 bytes; a dump larger than this is not plausible for listeners.
constexpr size_t kMaxDumpBytes = 64 * 1024 * 1024;

bool dump_family(int fd, uint8_t family, std::unordered_map<uint64_t, uint16_t>& out)
{
    struct {
        nlmsghdr nlh;
        inet_diag_req_v2 req;
    } msg{};
    msg.nlh.nlmsg_len = sizeof(msg);
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nlh.nlmsg_seq = family;
    msg.req.sdiag_family = family;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = 1u << TCP_LISTEN;

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, &msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) return false;

    alignas(nlmsghdr) char buf[32 * 1024];
    size_t total = 0;
    while (total < kMaxDumpBytes) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        total += static_cast<size_t>(n);
        int len = static_cast<int>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE) return true;
            if (h->nlmsg_type == NLMSG_ERROR) return false;
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
            const auto* d = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
            if (d->idiag_state != TCP_LISTEN || d->idiag_inode == 0) continue;
            out[d->idiag_inode] = ntohs(d->id.idiag_sport);
        }
    }
    return false;
}

}  // namespace

bool dump_tcp_listeners(std::unordered_map<uint64_t, uint16_t>& out)
{
    int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return false;
    timeval tv{1, 0};  // the kernel answers at once; never hang discovery on it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    bool ok = dump_family(fd, AF_INET, out) && dump_family(fd, AF_INET6, out);
    ::close(fd);
    return ok;
}

}  // namespace obi::discovery
