/*
 * identity.h - signing identities: a candidate's certificate, private key,
 * chain and the SMTP AUTH logins allowed to send as that address.
 *
 * An idstore is built once (at start and on each reload) and is read-only
 * afterwards, so that worker threads can share it without locks.
 */
#ifndef SMIME_IDENTITY_H
#define SMIME_IDENTITY_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

struct smime_identity {
	char		 *id_address;	/* lower-cased domain */
	X509		 *id_cert;
	EVP_PKEY	 *id_key;
	STACK_OF(X509)	 *id_chain;	/* may be empty, never NULL */
	char		**id_senders;
	size_t		  id_nsenders;
	char		 *id_origin;	/* "FILE:LINE" or store dir, for logs */
	bool		  id_revoked;	/* marked revoked by smime-enroll */
};

struct smime_idstore;

/* Called for each non-fatal finding (cert expires soon, expired). */
typedef void smime_warn_fn(void *arg, const char *msg);

/* New empty store; NULL on allocation failure. */
struct smime_idstore *smime_idstore_new(void);

/* Free a store and all identities; accepts NULL. */
void smime_idstore_free(struct smime_idstore *store);

/*
 * Load one identity from PEM files and add it.  origin prefixes every
 * message ("/etc/smime-milter.conf:12").  Checks: files read by the
 * credential loader (smime/credential.h: a key file others may read is
 * SMIME_BADKEY), key matches cert, cert carries
 * address (SAN rfc822Name or DN emailAddress), may sign mail
 * (smime/certpolicy.h); an expired or not-yet-valid cert
 * is a warning, not an error.  chain_path may be NULL.
 */
smime_status smime_idstore_add_files(struct smime_idstore *store,
    const char *origin, const char *address, const char *cert_path,
    const char *key_path, const char *chain_path,
    char *const *senders, size_t nsenders,
    smime_warn_fn *warn, void *warnarg, struct smime_err *err);

/*
 * Load every identity under dir laid out by smime-enroll as
 * ADDRESS/{cert.pem,key.pem,chain.pem[,senders][,revoked]}; the address
 * comes from the certificate.  A missing dir is not an error.  Nothing
 * is followed: a link, a file with several links, an entry of a foreign
 * owner or a group/world-writable one fails the load (SMIME_POLICY), as
 * smime/safefs.h describes.
 */
smime_status smime_idstore_add_dir(struct smime_idstore *store,
    const char *dir, smime_warn_fn *warn, void *warnarg,
    struct smime_err *err);

/*
 * Set who may own store files and whether modes are checked
 * (strict_modes) for smime_idstore_add_dir(); the default is strict with
 * no milter user.  p is copied.
 */
struct smime_fs_policy;
void smime_idstore_set_policy(struct smime_idstore *store,
    const struct smime_fs_policy *p);

/*
 * Mark identities whose certificate crl_path (PEM) lists as revoked,
 * warning once for each.  Call after loading; the store stays read-only
 * once it is shared.
 */
smime_status smime_idstore_apply_crl(struct smime_idstore *store,
    const char *crl_path, smime_warn_fn *warn, void *warnarg,
    struct smime_err *err);

/* Borrow the identity for address (smime_address_equal()); NULL if none. */
const struct smime_identity *smime_idstore_find(
    const struct smime_idstore *store, const char *address);

/* Number of identities. */
size_t smime_idstore_count(const struct smime_idstore *store);

/* Borrow the i-th identity. */
const struct smime_identity *smime_idstore_get0(
    const struct smime_idstore *store, size_t i);

/* True when login is among the identity's senders (exact match). */
bool smime_identity_allows_sender(const struct smime_identity *id,
    const char *login);

#endif /* SMIME_IDENTITY_H */
