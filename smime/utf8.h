/*
 * utf8.h - decoding one UTF-8 sequence strictly (RFC 3629 section 4):
 * overlong forms, UTF-16 surrogates, code points past U+10FFFF, stray
 * continuation bytes and truncated sequences are all invalid.
 */
#ifndef SMIME_UTF8_H
#define SMIME_UTF8_H

#include <stddef.h>

/*
 * Decode the sequence at s (len bytes available, len >= 1) into *cp.
 * Returns its length (1 to 4), or 0 when the bytes at s do not start a
 * valid sequence; *cp is then unchanged.
 */
size_t smime_utf8_decode(const unsigned char *s, size_t len,
    unsigned long *cp);

#endif /* SMIME_UTF8_H */
