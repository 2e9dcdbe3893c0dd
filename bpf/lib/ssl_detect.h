/* Recognises the start of a TLS handshake in a socket call's first bytes. Plain C with no
 * kernel dependency, so the unit tests run the very predicate the kernel runs
 * (tests/unit/ssl_detect_test.cpp, against the classification corpus). */
#ifndef OBI_BPF_SSL_DETECT_H
#define OBI_BPF_SSL_DETECT_H

#ifndef __BPF__
#include <linux/types.h>
#endif

/* Bytes the predicate needs. */
#define OBI_TLS_PEEK_LEN 6
/* Largest TLS record payload (2^14) plus the expansion TLS 1.2 allows (RFC 5246 6.2.3). */
#define OBI_TLS_MAX_RECORD (16384 + 2048)

/* A TLS record header (content type 22 = handshake, version 3.x with x <= 4, a plausible
 * length) whose first handshake message is a ClientHello (1) or a ServerHello (2). */
static inline int obi_tls_handshake_start(const __u8 *b)
{
    __u32 len = ((__u32)b[3] << 8) | b[4];
    return b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04 && len >= 4 && len <= OBI_TLS_MAX_RECORD &&
           (b[5] == 0x01 || b[5] == 0x02);
}

#endif
