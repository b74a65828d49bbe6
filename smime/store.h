/*
 * store.h - the signing-key store that smime-enroll writes and
 * smime-milter reads: STORE/ADDRESS/{key.pem,cert.pem,chain.pem}, plus
 * cert.pem.prev, chain.pem.prev and key.pem.prev for rollback and an
 * optional "revoked" marker.  Directories are 0700, keys 0600; files are
 * replaced by write-to-temp, fsync, rename so that a reader sees either
 * the old or the new file, never a torn one.
 */
#ifndef SMIME_STORE_H
#define SMIME_STORE_H

#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

/* Who should own what we create (the milter's user when we run as root). */
struct smime_store_owner {
	bool	so_set;
	uid_t	so_uid;
	gid_t	so_gid;
};

/* One identity directory as found by smime_store_scan(). */
struct smime_store_entry {
	char	*se_address;	/* directory name */
	X509	*se_cert;	/* NULL when cert.pem is missing or bad */
	bool	 se_has_key;
	bool	 se_revoked;
};

/*
 * Fill owner for user: set only when we run as root and user is not NULL.
 * Returns SMIME_OK or SMIME_SYNTAX (unknown user).
 */
smime_status smime_store_owner_lookup(const char *user,
    struct smime_store_owner *owner, struct smime_err *err);

/* Write STORE/ADDRESS/NAME (name may be NULL) into buf; false if too long. */
bool smime_store_path(const char *store, const char *address,
    const char *name, char *buf, size_t buflen);

/*
 * Load STORE/ADDRESS/key.pem into *out (caller frees).  Returns SMIME_OK,
 * SMIME_BADKEY (missing or unreadable; *missing tells which, may be NULL).
 */
smime_status smime_store_load_key(const char *store, const char *address,
    EVP_PKEY **out, bool *missing, struct smime_err *err);

/*
 * Load cert.pem and chain.pem (missing chain: empty stack) into new
 * objects the caller frees.  chain may be NULL.  Returns SMIME_OK or
 * SMIME_SYNTAX.
 */
smime_status smime_store_load_cert(const char *store, const char *address,
    X509 **cert, STACK_OF(X509) **chain, struct smime_err *err);

/*
 * Save a freshly generated key as key.pem (0600), creating directories
 * (0700).  An existing key is kept unless force, in which case it becomes
 * key.pem.prev.  Returns SMIME_OK, SMIME_POLICY (exists) or SMIME_TEMPFAIL.
 */
smime_status smime_store_save_key(const char *store, const char *address,
    EVP_PKEY *key, bool force, const struct smime_store_owner *owner,
    struct smime_err *err);

/*
 * Install cert (and chain, may be NULL or empty) and, when newkey is not
 * NULL, a new key.  Previous files become *.prev; on a failure half-way
 * the previous files are put back.  A "revoked" marker (it concerned the
 * replaced certificate) is removed.  Returns SMIME_OK or SMIME_TEMPFAIL.
 */
smime_status smime_store_install(const char *store, const char *address,
    EVP_PKEY *newkey, X509 *cert, STACK_OF(X509) *chain,
    const struct smime_store_owner *owner, struct smime_err *err);

/*
 * Put the *.prev files back (undo the last install).  Returns SMIME_OK,
 * SMIME_POLICY (nothing to roll back) or SMIME_TEMPFAIL.
 */
smime_status smime_store_rollback(const char *store, const char *address,
    struct smime_err *err);

/*
 * Replace STORE/ADDRESS/senders (the SMTP AUTH logins allowed to send as
 * address, one per line) atomically.  Logins must be non-empty printable
 * ASCII without white space.  Returns SMIME_OK, SMIME_SYNTAX or
 * SMIME_TEMPFAIL.
 */
smime_status smime_store_set_senders(const char *store, const char *address,
    char *const *logins, size_t nlogins,
    const struct smime_store_owner *owner, struct smime_err *err);

/* Create the "revoked" marker with reason and date.  SMIME_OK/TEMPFAIL. */
smime_status smime_store_mark_revoked(const char *store, const char *address,
    const char *reason, const struct smime_store_owner *owner,
    struct smime_err *err);

/* True when the "revoked" marker exists. */
bool smime_store_is_revoked(const char *store, const char *address);

/*
 * List the identity directories of store, sorted by address.  *out is a
 * new array (free with smime_store_entries_free()).  A missing store is
 * an empty list.  Returns SMIME_OK, SMIME_TEMPFAIL or SMIME_NORESOURCE.
 */
smime_status smime_store_scan(const char *store,
    struct smime_store_entry **out, size_t *n, struct smime_err *err);

/* Free a list from smime_store_scan(); accepts NULL. */
void smime_store_entries_free(struct smime_store_entry *entries, size_t n);

/*
 * Tell a running milter to reload: run command through /bin/sh when not
 * NULL, else send SIGHUP to the pid in pidfile if that process is alive.
 * done (buflen bytes) says what happened.  Returns SMIME_OK (also when
 * no milter runs) or SMIME_TEMPFAIL (command failed, kill failed).
 */
smime_status smime_store_notify(const char *command, const char *pidfile,
    char *done, size_t donelen, struct smime_err *err);

#endif /* SMIME_STORE_H */
