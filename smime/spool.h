/*
 * spool.h - a byte store that stays in memory up to a threshold and then
 * moves to an unlinked temporary file, so that memory does not grow with
 * message size.  Readers get OpenSSL BIOs over byte ranges; several readers
 * may coexist because reads are positional (pread), never seek-based.
 */
#ifndef SMIME_SPOOL_H
#define SMIME_SPOOL_H

#include <openssl/bio.h>

#include "smime/err.h"
#include "smime/smime.h"

struct smime_spool;

/* In memory, bytes are kept in segments of this size (see spool.c). */
#define SMIME_SPOOL_SEGMENT	(64 * 1024)

/*
 * Create an empty spool that keeps up to mem_limit bytes in memory and then
 * moves to a file in tmpdir (NULL: $TMPDIR or /tmp).  Returns NULL on
 * allocation failure.  Free with smime_spool_free().
 */
struct smime_spool *smime_spool_new(size_t mem_limit, const char *tmpdir);

/* Release the spool and its file; accepts NULL. BIOs over it must be gone. */
void smime_spool_free(struct smime_spool *spool);

/* Append len bytes.  SMIME_TEMPFAIL on I/O error (disk full), text in err. */
smime_status smime_spool_write(struct smime_spool *spool, const void *data,
    size_t len, struct smime_err *err);

/* Total bytes written so far. */
uint64_t smime_spool_size(const struct smime_spool *spool);

/* True once the data lives in a temporary file rather than memory. */
bool smime_spool_on_disk(const struct smime_spool *spool);

/*
 * Copy up to len bytes starting at off into buf; *got receives the count
 * (0 at end).  SMIME_TEMPFAIL on I/O error.
 */
smime_status smime_spool_read_at(struct smime_spool *spool, uint64_t off,
    void *buf, size_t len, size_t *got, struct smime_err *err);

/*
 * Zero-copy read of an in-memory spool: *p points at the bytes from off
 * on, valid until the spool is written to or freed; returns how many
 * are contiguous there (at most SMIME_SPOOL_SEGMENT).  0 (and *p NULL)
 * at the end or once the spool is on disk: use smime_spool_read_at().
 */
size_t smime_spool_peek(const struct smime_spool *spool, uint64_t off,
    const unsigned char **p);

/*
 * A read-only source BIO over [off, off + len) of the spool (len
 * UINT64_MAX: to the end as it is when reading).  The spool must outlive
 * the BIO.  Returns NULL on allocation failure; free with BIO_free().
 */
BIO *smime_spool_new_read_bio(struct smime_spool *spool, uint64_t off,
    uint64_t len);

/*
 * A sink BIO that appends to the spool; BIO_write fails (returns -1) on
 * I/O error.  The spool must outlive the BIO.  Free with BIO_free().
 */
BIO *smime_spool_new_write_bio(struct smime_spool *spool);

#endif /* SMIME_SPOOL_H */
