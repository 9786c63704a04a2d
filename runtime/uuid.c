/*
 * uuid.c - random bytes from the kernel, and UUIDs as text.
 *
 * Sixteen bytes become "xxxxxxxx-xxxx-Vxxx-Nxxx-xxxxxxxxxxxx" (lowercase,
 * as Java's UUID.toString prints it) in one function, which also stamps
 * the version V and the RFC 4122 variant: version 4 for random UUIDs
 * (execution names, request ids, States.UUID), version 3 for the name-based
 * ones a caller hashes itself (a Map Run's child executions).
 *
 * Random bytes come from getrandom(2), which is thread-safe and keeps no
 * state of ours, with /dev/urandom behind it for kernels without the call.
 * With neither there is no sane value to return, and the process aborts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "aslrt_private.h"

void aslrtp_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
            if (fd < 0 || read(fd, p, n) != (ssize_t)n)
                abort(); /* no entropy at all: nothing sane to return */
            close(fd);
            return;
        }
        p += got;
        n -= (size_t)got;
    }
}

void aslrtp_uuid_format(const unsigned char bytes[16], int version, char out[ASLRTP_UUID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    memcpy(b, bytes, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0F) | (version & 0x0F) << 4);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0F];
    }
    out[o] = '\0';
}

void aslrtp_uuid_v4(char out[ASLRTP_UUID_SIZE])
{
    unsigned char b[16];
    aslrtp_random_bytes(b, sizeof b);
    aslrtp_uuid_format(b, 4, out);
}
