/*
 * base64.c - base64 text to bytes and back, through OpenSSL's libcrypto.
 *
 * EVP_EncodeBlock and EVP_DecodeBlock do the arithmetic; this file decides
 * which text is base64.  EVP_DecodeBlock itself is too forgiving to be
 * the judge (it skips leading blanks, reads '=' anywhere as zero bits and
 * counts the padding as decoded bytes), so every decoder here first
 * checks and normalizes the text to the standard alphabet with full
 * padding, hands that to OpenSSL, and takes the padding's bytes off.
 *
 * Three readings, for three kinds of caller:
 *  - strict, standard alphabet with '=' padding (a worker's
 *    "output_base64", Lambda's X-Amz-Log-Result): the length is a multiple
 *    of four and '=' appears only as the last one or two characters;
 *  - strict without padding, optionally URL-safe (task tokens): no '=', and
 *    a length that is not one more than a multiple of four;
 *  - lenient, as Java's commons-codec and Node's Buffer.from(s, 'base64')
 *    read it (States.Base64Decode, JSONata's $base64decode): characters
 *    outside both alphabets are skipped, the first '=' ends the data, and a
 *    dangling last character (six bits, less than a byte) is dropped.
 * Every result is malloc'd with a NUL after its last byte.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "dynlib.h"

/* EVP_*Block take int lengths: longer input goes through in chunks of
 * whole quanta (3 bytes in, 4 characters out). */
#define CHUNK_BYTES (3 * (1 << 20))

char *aslrtp_base64_encode(const void *data, size_t n, int flags, size_t *len)
{
    const unsigned char *in = data;
    aslrtp_crypto_need();
    char *out = aslrtp_malloc(4 * (n / 3 + 1) + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += CHUNK_BYTES) {
        size_t k = n - i < CHUNK_BYTES ? n - i : CHUNK_BYTES;
        o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, in + i, (int)k);
    }
    if (flags & ASLRTP_B64_NOPAD)
        while (o > 0 && out[o - 1] == '=')
            o--;
    out[o] = '\0';
    if (flags & ASLRTP_B64_URL)
        for (size_t i = 0; i < o; i++)
            out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    if (len)
        *len = o;
    return out;
}

/* The value of c in the standard alphabet (the URL-safe one too when url),
 * or -1. */
static int digit(unsigned char c, bool std, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if ((std && c == '+') || (url && c == '-'))
        return 62;
    if ((std && c == '/') || (url && c == '_'))
        return 63;
    return -1;
}

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decodes m standard-alphabet characters (m % 4 != 1), the padding not
 * included: pads them, decodes through OpenSSL and drops the padding's
 * bytes.  Takes over text (malloc'd, at least m + 3 bytes). */
static char *decode_clean(char *text, size_t m, size_t *len)
{
    size_t pad = (4 - m % 4) % 4;
    aslrtp_crypto_need();
    memset(text + m, '=', pad);
    size_t total = m + pad;
    unsigned char *out = aslrtp_malloc(total / 4 * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < total; i += CHUNK_BYTES / 3 * 4) {
        size_t k = total - i < CHUNK_BYTES / 3 * 4 ? total - i : CHUNK_BYTES / 3 * 4;
        int got = EVP_DecodeBlock(out + o, (unsigned char *)text + i, (int)k);
        if (got < 0)
            abort(); /* cannot happen: the text is clean */
        o += (size_t)got;
    }
    free(text);
    o -= pad; /* EVP_DecodeBlock counts the padding as zero bytes */
    out[o] = '\0';
    if (len)
        *len = o;
    return (char *)out;
}

char *aslrtp_base64_decode(const char *s, size_t n, int flags, size_t *len)
{
    bool url = flags & ASLRTP_B64_URL;
    size_t m = n;
    if (!(flags & ASLRTP_B64_NOPAD)) {
        if (n % 4)
            return NULL;
        for (int k = 0; k < 2 && m > 0 && s[m - 1] == '='; k++)
            m--;
    }
    if (m % 4 == 1)
        return NULL;
    char *text = aslrtp_malloc(m + 4);
    for (size_t i = 0; i < m; i++) {
        int d = digit((unsigned char)s[i], !url, url);
        if (d < 0) {
            free(text);
            return NULL;
        }
        text[i] = alphabet[d];
    }
    return decode_clean(text, m, len);
}

char *aslrtp_base64_decode_lenient(const char *s, size_t n, size_t *len)
{
    char *text = aslrtp_malloc(n + 4);
    size_t m = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        int d = digit((unsigned char)s[i], true, true);
        if (d >= 0)
            text[m++] = alphabet[d];
    }
    if (m % 4 == 1)
        m--;
    return decode_clean(text, m, len);
}
