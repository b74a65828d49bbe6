/*
 * vopaque.h - application/pkcs7-mime signed-data for the verifier
 * (vopaque.c).  Not part of the library API.
 */
#ifndef SMIME_VOPAQUE_H
#define SMIME_VOPAQUE_H

#include <openssl/bio.h>
#include <openssl/cms.h>

#include "smime/err.h"
#include "smime/spool.h"

/*
 * Split an opaque SignedData read from src (DER or BER) into a detached
 * *cms (new, caller frees) and its encapsulated content octets, appended
 * to content, in memory that does not grow with the content (vopaque.c).
 * *nid is the ContentInfo's type; for anything but signedData the call
 * returns SMIME_OK with *cms NULL.  When the re-wrapped SignedData is over
 * a limit of cmslimit.h, SMIME_OK with *cms NULL and *limit naming it
 * (report permerror); else *limit is NULL.  Returns SMIME_OK, SMIME_SYNTAX
 * (malformed, or no encapsulated content), SMIME_TEMPFAIL (reading or
 * spooling failed) or SMIME_NORESOURCE.
 */
smime_status smime_opaque_split(BIO *src, struct smime_spool *content,
    int *nid, CMS_ContentInfo **cms, const char **limit,
    struct smime_err *err);

#endif /* SMIME_VOPAQUE_H */
