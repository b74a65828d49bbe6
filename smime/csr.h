/*
 * csr.h - PKCS#10 certificate requests for CAs that take a CSR through a
 * web portal (submit the CSR, import the certificate days later).
 */
#ifndef SMIME_CSR_H
#define SMIME_CSR_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/profile.h"
#include "smime/smime.h"

/*
 * Check profile p (warnings to warn, may be NULL) and build a CSR with
 * its UTF-8 subject and S/MIME extensions, signed by key (SHA-256, or
 * SHA-384 for P-384 keys).  *out is a new request the caller frees.
 * Returns SMIME_OK, SMIME_SYNTAX (profile, err says which field) or
 * SMIME_INTERNAL.
 */
smime_status smime_csr_build(const struct smime_profile *p, EVP_PKEY *key,
    smime_profile_warn_fn *warn, void *warnarg, X509_REQ **out,
    struct smime_err *err);

/* Digest name we sign with for key ("SHA256" or "SHA384"). */
const char *smime_csr_digest(const EVP_PKEY *key);

#endif /* SMIME_CSR_H */
