/* HTTP/1.1 client that sends and receives with one chosen family of socket syscalls, so the
 * integration tests can check that every way a program moves socket data is traced.
 *
 *   syscall_client MODE HOST PORT PATH [COUNT]
 *   MODE: write (write/read), send (send/recv), sendto (sendto/recvfrom), writev (writev/readv),
 *         sendmsg (sendmsg/recvmsg), sendmmsg (sendmmsg/recvmmsg); a vectored mode with the suffix
 *         "-many" (writev-many, sendmsg-many) sends each request in 3-byte iovecs (up to 48 of them)
 *   HOST: an IPv4 or IPv6 literal. COUNT requests on one keep-alive connection (default 1).
 * Prints "ok <status>" per response; exits non-zero on any error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *mode;
static int many; /* "-many": requests in many small iovecs */
#define MANY_IOVECS 48

static ssize_t do_send(int fd, const char *buf, size_t len)
{
    if (!strcmp(mode, "write")) return write(fd, buf, len);
    if (!strcmp(mode, "send")) return send(fd, buf, len, 0);
    if (!strcmp(mode, "sendto")) return sendto(fd, buf, len, 0, NULL, 0);
    /* vectored forms: head line and the rest in two pieces, or in 3-byte pieces */
    struct iovec iov[MANY_IOVECS];
    size_t n = 0;
    if (many) {
        for (size_t off = 0; off < len && n < MANY_IOVECS; n++, off += 3) {
            iov[n].iov_base = (void *)(buf + off);
            iov[n].iov_len = n == MANY_IOVECS - 1 || len - off < 3 ? len - off : 3;
        }
    } else {
        size_t cut = len / 2;
        iov[0] = (struct iovec){(void *)buf, cut};
        iov[1] = (struct iovec){(void *)(buf + cut), len - cut};
        n = 2;
    }
    if (!strcmp(mode, "writev")) return writev(fd, iov, n);
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
    if (!strcmp(mode, "sendmsg")) return sendmsg(fd, &msg, 0);
    if (!strcmp(mode, "sendmmsg")) {
        struct mmsghdr mm = {.msg_hdr = msg};
        int n = sendmmsg(fd, &mm, 1, 0);
        return n == 1 ? (ssize_t)mm.msg_len : -1;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    exit(2);
}

static ssize_t do_recv(int fd, char *buf, size_t len)
{
    if (!strcmp(mode, "write")) return read(fd, buf, len);
    if (!strcmp(mode, "send")) return recv(fd, buf, len, 0);
    if (!strcmp(mode, "sendto")) return recvfrom(fd, buf, len, 0, NULL, NULL);
    struct iovec iov[1] = {{buf, len}};
    if (!strcmp(mode, "writev")) return readv(fd, iov, 1);
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 1};
    if (!strcmp(mode, "sendmsg")) return recvmsg(fd, &msg, 0);
    struct mmsghdr mm = {.msg_hdr = msg};
    int n = recvmmsg(fd, &mm, 1, MSG_WAITFORONE, NULL);
    return n == 1 ? (ssize_t)mm.msg_len : -1;
}

/* Reads one response (Content-Length framing); returns its status. */
static int read_response(int fd)
{
    static char buf[65536];
    size_t have = 0;
    char *end = NULL;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
        ssize_t n = do_recv(fd, buf + have, sizeof(buf) - have);
        if (n <= 0) return -1;
        have += (size_t)n;
    }
    int status = atoi(buf + 9);
    const char *cl = strcasestr(buf, "content-length:");
    size_t body = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
    size_t need = (size_t)(end + 4 - buf) + body;
    while (have < need) {
        ssize_t n = do_recv(fd, buf + have, sizeof(buf) - have);
        if (n <= 0) return -1;
        have += (size_t)n;
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s MODE HOST PORT PATH [COUNT]\n", argv[0]);
        return 2;
    }
    static char base[32];
    snprintf(base, sizeof(base), "%s", argv[1]);
    char *suffix = strstr(base, "-many");
    if (suffix && suffix[5] == 0) {
        *suffix = 0;
        many = 1;
    }
    mode = base;
    const char *host = argv[2], *path = argv[4];
    int port = atoi(argv[3]), count = argc > 5 ? atoi(argv[5]) : 1;
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    int family;
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = family = AF_INET6;
        a->sin6_port = htons(port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return 2;
        sl = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = family = AF_INET;
        a->sin_port = htons(port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return 2;
        sl = sizeof(*a);
    }
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        perror("connect");
        return 1;
    }
    char req[1024];
    int len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: syscall-client/%s\r\n\r\n",
                       path, strchr(host, ':') ? "localhost" : host, port, mode);
    for (int i = 0; i < count; i++) {
        if (do_send(fd, req, (size_t)len) != len) {
            perror("send");
            return 1;
        }
        int status = read_response(fd);
        if (status < 0) {
            fprintf(stderr, "bad response\n");
            return 1;
        }
        printf("ok %d\n", status);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
