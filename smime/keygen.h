/*
 * keygen.h - generation of the candidate's signing key (RSA or EC on a
 * NIST curve, as the S/MIME Baseline Requirements allow).
 */
#ifndef SMIME_KEYGEN_H
#define SMIME_KEYGEN_H

#include <openssl/evp.h>

#include "smime/err.h"
#include "smime/smime.h"

/*
 * True when type is one we generate: "rsa:2048", "rsa:3072", "rsa:4096",
 * "ec:P-256" or "ec:P-384".
 */
bool smime_keygen_type_ok(const char *type);

/*
 * Generate a new key of type (see above).  *out is a new key the caller
 * frees with EVP_PKEY_free().  Returns SMIME_OK, SMIME_SYNTAX (unknown
 * type) or SMIME_INTERNAL.
 */
smime_status smime_keygen(const char *type, EVP_PKEY **out,
    struct smime_err *err);

/* Short description of key ("RSA-2048", "EC P-256") into buf. */
void smime_key_describe(const EVP_PKEY *key, char *buf, size_t buflen);

#endif /* SMIME_KEYGEN_H */
