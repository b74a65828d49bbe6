/*
 * identity-int.h - pieces of identity.c shared with idstore_dir.c and
 * idstore_crl.c.  Not part of the library API.
 */
#ifndef SMIME_IDENTITY_INT_H
#define SMIME_IDENTITY_INT_H

#include "smime/identity.h"
#include "smime/safefs.h"

/* Free one identity and all it owns; accepts NULL. */
void smime_identity_free(struct smime_identity *id);

/*
 * Load and check one identity (see smime_idstore_add_files()); on success
 * *out is a new identity owned by the caller, not yet in a store.
 */
smime_status smime_identity_load(const char *origin, const char *address,
    const char *cert_path, const char *key_path, const char *chain_path,
    char *const *senders, size_t nsenders, smime_warn_fn *warn,
    void *warnarg, struct smime_identity **out, struct smime_err *err);

/*
 * The same from parts already read: cert_bio and chain_bio (may be NULL)
 * hold PEM, keybuf the key's PEM (keylen bytes); the paths only name them
 * in messages.  NULL parts are read from their paths instead.
 */
smime_status smime_identity_load_src(const char *origin,
    const char *address, const char *cert_path, BIO *cert_bio,
    const char *key_path, const char *keybuf, size_t keylen,
    const char *chain_path, BIO *chain_bio, char *const *senders,
    size_t nsenders, smime_warn_fn *warn, void *warnarg,
    struct smime_identity **out, struct smime_err *err);

/* The safefs policy smime_idstore_add_dir() applies. */
const struct smime_fs_policy *smime_idstore_get0_policy(
    const struct smime_idstore *store);

/* Hand id to the store (SMIME_SYNTAX if its address is already there). */
smime_status smime_idstore_add0(struct smime_idstore *store,
    struct smime_identity *id, struct smime_err *err);

/* Borrow a modifiable identity, for the revocation marks. */
struct smime_identity *smime_idstore_get0_mutable(
    struct smime_idstore *store, size_t i);

/* True when cert carries address (SAN rfc822Name or DN emailAddress). */
bool smime_cert_has_address(X509 *cert, const char *address);

#endif /* SMIME_IDENTITY_INT_H */
