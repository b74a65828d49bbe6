/*
 * b64enc.h - MIME base64 (RFC 2045 6.8) into a spool: lines of 76
 * characters, each ended by CRLF, batched into large spool writes.  The
 * counterpart of b64dec.h, for the signature of multipart/signed and the
 * whole body of opaque signed-data.
 */
#ifndef SMIME_B64ENC_H
#define SMIME_B64ENC_H

#include <stddef.h>

#include "smime/err.h"
#include "smime/smime.h"
#include "smime/spool.h"

struct smime_b64enc;

/*
 * A new encoder appending to out, which must outlive it.  NULL on
 * allocation failure; free with smime_b64enc_free().
 */
struct smime_b64enc *smime_b64enc_new(struct smime_spool *out);

/* Encode len octets; SMIME_TEMPFAIL (spool I/O) with err set. */
smime_status smime_b64enc_write(struct smime_b64enc *enc, const void *data,
    size_t len, struct smime_err *err);

/*
 * Write the last, shorter line (with its padding) and everything still
 * buffered; no line for empty input.  SMIME_TEMPFAIL with err set.
 */
smime_status smime_b64enc_finish(struct smime_b64enc *enc,
    struct smime_err *err);

/* Free the encoder (not the spool); accepts NULL. */
void smime_b64enc_free(struct smime_b64enc *enc);

#endif /* SMIME_B64ENC_H */
