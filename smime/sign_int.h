/*
 * sign_int.h - internals shared by the signer's sources (sign.c,
 * signopaque.c); not part of the library's public interface.
 */
#ifndef SMIME_SIGN_INT_H
#define SMIME_SIGN_INT_H

#include <openssl/bio.h>

#include "smime/err.h"
#include "smime/smime.h"
#include "smime/spool.h"

/*
 * Write the body of an RFC 8551 3.5.2 application/pkcs7-mime
 * (smime-type=signed-data) message to out: the DER detached SignedData in
 * der (a memory BIO, as i2d_CMS_bio() writes it) with the signed entity
 * in ent spliced in as encapContentInfo.eContent, base64 in lines of 76
 * characters with CRLF.  The entity streams from its spool, so memory
 * stays bounded.  Returns SMIME_OK, SMIME_INTERNAL (der not the shape
 * OpenSSL writes), SMIME_NORESOURCE or SMIME_TEMPFAIL (spool I/O), err
 * set.  (signopaque.c)
 */
smime_status smime_sign_opaque_encapsulate(BIO *der, struct smime_spool *ent,
    struct smime_spool *out, struct smime_err *err);

#endif /* SMIME_SIGN_INT_H */
