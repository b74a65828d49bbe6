/*
 * canon.h - a BIO filter that canonicalizes line ends to CRLF.
 *
 * Every LF, every CR and every CRLF becomes one CRLF, in both directions:
 * reading through the filter canonicalizes what the next BIO yields,
 * writing through it canonicalizes before passing on.  The same rule as
 * the MIME parser's (mime.h), so offsets and hashed bytes agree.  A CRLF
 * split across two reads or writes is still one line end.
 */
#ifndef SMIME_CANON_H
#define SMIME_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/bio.h>

/* The filter converts up to this many input bytes at a time. */
#define SMIME_CANON_CHUNK	(64 * 1024)

/*
 * Canonicalize n bytes at in into out (room for 2n bytes), the rule
 * above; returns the bytes produced.  *after_cr carries the state from
 * block to block: start with false; true after a block that ended in a
 * CR, whose LF (if the next block starts with one) is then dropped.
 */
size_t smime_canon_block(const unsigned char *in, size_t n,
    unsigned char *out, bool *after_cr);

/*
 * A new canonicalizing filter; chain it with BIO_push(filter, next).
 * Returns NULL on allocation failure; free with BIO_free() (or
 * BIO_free_all() for the chain).
 */
BIO *smime_canon_new_bio(void);

/* The BIO_METHOD, for BIO_find_type(); NULL on allocation failure. */
const BIO_METHOD *smime_canon_bio_method(void);

#endif /* SMIME_CANON_H */
