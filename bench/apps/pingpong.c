/* Ping-pong over one loopback TCP connection inside one process: per iteration, 4 socket
 * calls (write, read, write, read) of a small Redis-like command and reply. The cost of
 * tracing each socket call is what bench/socket_call_cost.py measures with it.
 *
 *   pingpong ITERATIONS [wait]   "wait": start the loop after a line on stdin
 * Prints "<ns> ns per iteration". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(a);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &sl) != 0) {
        perror("listen");
        return 1;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("connect");
        return 1;
    }
    int s = accept(l, NULL, NULL);
    if (s < 0) {
        perror("accept");
        return 1;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (argc > 2 && !strcmp(argv[2], "wait")) {
        printf("connected\n");
        fflush(stdout);
        char line[16];
        if (!fgets(line, sizeof(line), stdin)) return 1;
    }
    static const char req[] = "*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n", rep[] = "$3\r\nabc\r\n";
    char buf[256];
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        if (write(c, req, sizeof(req) - 1) < 0 || read(s, buf, sizeof(buf)) <= 0 || write(s, rep, sizeof(rep) - 1) < 0 ||
            read(c, buf, sizeof(buf)) <= 0) {
            perror("io");
            return 1;
        }
    }
    printf("%.1f ns per iteration\n", (now_s() - t0) * 1e9 / (double)n);
    return 0;
}
