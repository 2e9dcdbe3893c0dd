/* Minimal HTTP/1.1 client in C (plain sockets): GET requests over one keep-alive connection, so
 * the tests get client spans from a non-interpreted program.
 *
 * Build: cc -O2 -Wall -o http_client tests/apps/http_client.c
 * Usage: http_client [-n N] [-w WARM_PATH] [-H 'Name: value'] HOST PORT PATH
 *   -n N          number of GET PATH requests (default 1)
 *   -w WARM_PATH  first send GET WARM_PATH every 200 ms until a line arrives on stdin, then do the N
 *                 requests (lets a test wait until the agent sees this process before counting spans)
 * Prints "local_port=<port>", "warm=<count>" (with -w), one "status=<code> body=<bytes>" line per request
 * and "done n=<N> ok=<2xx-5xx answers>". Exit 0 when every request got an answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_CAP (1 << 20) /* largest response we accept (1 MiB) */

struct conn {
    int fd;
    char *buf; /* received, not yet consumed bytes; always NUL-terminated (BUF_CAP + 1 bytes) */
    size_t len;
};

static int fill(struct conn *c) {
    if (c->len >= BUF_CAP) return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, BUF_CAP - c->len, 0);
    if (n <= 0) return -1;
    c->len += (size_t)n;
    c->buf[c->len] = '\0'; /* keeps sscanf/strstr/strtol inside the received bytes */
    return 0;
}

static void consume(struct conn *c, size_t n) {
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    c->buf[c->len] = '\0';
}

/* Returns the index just past the next CRLF, reading more as needed; -1 on EOF. */
static long line_end(struct conn *c) {
    for (;;) {
        for (size_t i = 0; i + 1 < c->len; i++)
            if (c->buf[i] == '\r' && c->buf[i + 1] == '\n') return (long)(i + 2);
        if (fill(c) < 0) return -1;
    }
}

static int need(struct conn *c, size_t n) {
    while (c->len < n)
        if (fill(c) < 0) return -1;
    return 0;
}

/* Reads one response; returns the status code (and body size in *body) or -1. */
static int read_response(struct conn *c, long *body) {
    long e = line_end(c);
    if (e < 0) return -1;
    int status = 0;
    if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1) return -1;
    consume(c, (size_t)e);
    long content_length = -1;
    int chunked = 0;
    for (;;) {
        e = line_end(c);
        if (e < 0) return -1;
        if (e == 2) {
            consume(c, 2);
            break;
        }
        if (strncasecmp(c->buf, "content-length:", 15) == 0) content_length = strtol(c->buf + 15, NULL, 10);
        if (strncasecmp(c->buf, "transfer-encoding:", 18) == 0 && strstr(c->buf, "chunked") &&
            strstr(c->buf, "chunked") < c->buf + e)
            chunked = 1;
        consume(c, (size_t)e);
    }
    *body = 0;
    if (status < 200 || status == 204 || status == 304) return status;
    if (chunked) {
        for (;;) {
            e = line_end(c);
            if (e < 0) return -1;
            long size = strtol(c->buf, NULL, 16);
            consume(c, (size_t)e);
            if (size == 0) {
                while ((e = line_end(c)) > 2) consume(c, (size_t)e); /* trailers */
                if (e < 0) return -1;
                consume(c, 2);
                return status;
            }
            if (need(c, (size_t)size + 2) < 0) return -1;
            consume(c, (size_t)size + 2);
            *body += size;
        }
    }
    if (content_length < 0) return -1; /* read-until-close bodies are not used by our servers */
    if (need(c, (size_t)content_length) < 0) return -1;
    consume(c, (size_t)content_length);
    *body = content_length;
    return status;
}

static int get(struct conn *c, const char *host, const char *port, const char *path, const char *extra) {
    char req[4096];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: obi-c-client\r\n%s%s\r\n",
                     path, host, port, extra ? extra : "", extra ? "\r\n" : "");
    if (n <= 0 || (size_t)n >= sizeof req) return -1;
    for (int off = 0; off < n;) {
        ssize_t w = send(c->fd, req + off, (size_t)(n - off), 0);
        if (w <= 0) return -1;
        off += (int)w;
    }
    long body = 0;
    int status = read_response(c, &body);
    if (status > 0) printf("status=%d body=%ld\n", status, body);
    return status;
}

int main(int argc, char **argv) {
    int n = 1, opt;
    const char *warm = NULL, *extra = NULL;
    while ((opt = getopt(argc, argv, "n:w:H:")) != -1) {
        switch (opt) {
        case 'n': n = atoi(optarg); break;
        case 'w': warm = optarg; break;
        case 'H': extra = optarg; break;
        default:
            fprintf(stderr, "usage: %s [-n N] [-w WARM_PATH] [-H 'Name: value'] HOST PORT PATH\n", argv[0]);
            return 2;
        }
    }
    if (argc - optind != 3) {
        fprintf(stderr, "usage: %s [-n N] [-w WARM_PATH] [-H 'Name: value'] HOST PORT PATH\n", argv[0]);
        return 2;
    }
    const char *host = argv[optind], *port = argv[optind + 1], *path = argv[optind + 2];
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "host must be an IPv4 address: %s\n", host);
        return 2;
    }
    struct conn c = {.fd = socket(AF_INET, SOCK_STREAM, 0), .buf = calloc(1, BUF_CAP + 1), .len = 0};
    if (c.fd < 0 || !c.buf || connect(c.fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "connect %s:%s: %s\n", host, port, strerror(errno));
        return 1;
    }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in local;
    socklen_t sl = sizeof local;
    getsockname(c.fd, (struct sockaddr *)&local, &sl);
    printf("local_port=%d\n", ntohs(local.sin_port));

    if (warm) {
        int count = 0;
        for (;;) {
            if (get(&c, host, port, warm, extra) < 0) {
                fprintf(stderr, "warm-up request failed\n");
                return 1;
            }
            count++;
            struct pollfd p = {.fd = 0, .events = POLLIN};
            if (poll(&p, 1, 200) > 0) break; /* "go" line (or EOF) on stdin */
        }
        printf("warm=%d\n", count);
    }
    int ok = 0;
    for (int i = 0; i < n; i++) {
        if (get(&c, host, port, path, extra) < 0) {
            fprintf(stderr, "request %d failed\n", i + 1);
            break;
        }
        ok++;
    }
    printf("done n=%d ok=%d\n", n, ok);
    close(c.fd);
    free(c.buf);
    return ok == n ? 0 : 1;
}
