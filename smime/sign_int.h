/*
 * sign_int.h - internals shared by the signer's sources (sign.c,
 * signopaque.c); not part of the library's public interface.
 */
#ifndef SMIME_SIGN_INT_H
#define SMIME_SIGN_INT_H

#include <stdint.h>

#include <openssl/bio.h>

#include "smime/err.h"
#include "smime/headers.h"
#include "smime/identity.h"
#include "smime/mime.h"
#include "smime/sign.h"
#include "smime/signent.h"
#include "smime/spool.h"

/*
 * Sign [off, off + len) of spool as a detached CMS SignedData with id
 * (digest mdname, an EVP name; signingTime, SMIMECapabilities and ESS
 * signing-certificate-v2 as signed attributes).  On SMIME_OK *der is a
 * memory BIO holding the DER, which the caller frees; otherwise *der is
 * NULL and err says why.  (sign.c)
 */
smime_status smime_sign_cms_detached(const struct smime_identity *id,
    const struct smime_sign_opts *opts, const char *mdname,
    struct smime_spool *spool, uint64_t off, uint64_t len, BIO **der,
    struct smime_err *err);

/*
 * Write the body of an RFC 8551 3.5.2 application/pkcs7-mime
 * (smime-type=signed-data) message to out: the entity of hdrs/hp/body/
 * tree (smime_signent_write(); info as there) encapsulated in a DER
 * SignedData, base64 in lines of 76 characters with CRLF.  The entity
 * and the SignedData stream through spools, so memory stays bounded.
 * Returns SMIME_OK or the status of the step that failed, err set.
 * (signopaque.c)
 */
smime_status smime_sign_opaque_body(const struct smime_identity *id,
    const struct smime_sign_opts *opts, const char *mdname,
    const struct smime_headers *hdrs, const struct smime_headers *hp,
    struct smime_spool *body, const struct smime_mime_part *tree,
    struct smime_spool *out, struct smime_signent_info *info,
    struct smime_err *err);

#endif /* SMIME_SIGN_INT_H */
