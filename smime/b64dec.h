/*
 * b64dec.h - a read-only BIO filter that decodes MIME base64.
 *
 * Unlike OpenSSL's BIO_f_base64(), which gives up when the first line is
 * longer than about 1 KiB, it skips every character outside the base64
 * alphabet (line breaks, spaces: RFC 2045 6.8) and so decodes lines of any
 * length, streaming, in constant memory.  Invalid base64 (data after the
 * padding, a lone final character) ends the decoded data there, so the
 * reader sees truncated DER (malformed), not an I/O error; only a failing
 * source leaves BIO_eof() false.
 */
#ifndef SMIME_B64DEC_H
#define SMIME_B64DEC_H

#include <openssl/bio.h>

/*
 * A new decoding filter; chain it with BIO_push(filter, source).  NULL on
 * allocation failure; free with BIO_free() (or BIO_free_all()).
 */
BIO *smime_b64dec_new_bio(void);

/*
 * Value 0-63 of a base64 character c (RFC 2045 6.8, table 1), or -1 for
 * anything else, the pad '=' included.  For the decoders that take
 * base64 a few bytes at a time (RFC 2047 encoded-words, re-encoding).
 */
int smime_b64_value(unsigned char c);

#endif /* SMIME_B64DEC_H */
