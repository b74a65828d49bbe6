/*
 * identity-int.h - pieces of identity.c shared with idstore_dir.c and
 * idstore_crl.c.  Not part of the library API.
 */
#ifndef SMIME_IDENTITY_INT_H
#define SMIME_IDENTITY_INT_H

#include "smime/address.h"
#include "smime/identity.h"
#include "smime/safefs.h"

/* Free one identity and all it owns; accepts NULL. */
void smime_identity_free(struct smime_identity *id);

/*
 * Check one identity built from parts already loaded (see
 * smime_idstore_add_files() for the checks) and hand back a new identity
 * in *out, owned by the caller and in no store yet.  cert, key and chain
 * (may be NULL: no chain) are taken over whatever the outcome;
 * cert_name and key_name name them in messages, which start with
 * origin.
 */
smime_status smime_identity_build(const char *origin, const char *address,
    const char *cert_name, X509 *cert, const char *key_name, EVP_PKEY *key,
    STACK_OF(X509) *chain, char *const *senders, size_t nsenders,
    smime_warn_fn *warn, void *warnarg, struct smime_identity **out,
    struct smime_err *err);

/* The safefs policy smime_idstore_add_dir() applies. */
const struct smime_fs_policy *smime_idstore_get0_policy(
    const struct smime_idstore *store);

/* Hand id to the store (SMIME_SYNTAX if its address is already there). */
smime_status smime_idstore_add0(struct smime_idstore *store,
    struct smime_identity *id, struct smime_err *err);

/* Borrow a modifiable identity, for the revocation marks. */
struct smime_identity *smime_idstore_get0_mutable(
    struct smime_idstore *store, size_t i);


#endif /* SMIME_IDENTITY_INT_H */
