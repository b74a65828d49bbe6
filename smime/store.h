/*
 * store.h - the admin operations on the signing-key store that
 * smime-enroll writes and smime-milter reads (store.c): install, rollback,
 * senders, the revoked marker, the pending request, listing, migration.
 * The layout (file names, key.pem or key.uri for a key on a PKCS#11
 * token, modes, how a file is read and replaced) is storelayout.h.
 * Every operation is symlink-safe (safefs.h): the store is opened once,
 * walked with O_NOFOLLOW, files are replaced atomically, so that a
 * reader sees either the old or the new file, never a torn one.
 */
#ifndef SMIME_STORE_H
#define SMIME_STORE_H

#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/safefs.h"
#include "smime/smime.h"

/*
 * Who owns what we create and whom we trust (ownership model in
 * safefs.h and smime-enroll(8)): as root, everything belongs to root with
 * the milter's group; otherwise to us.
 */
struct smime_store_owner {
	bool	so_set;		/* we run as root: chown to so_uid:so_gid */
	uid_t	so_uid;		/* owner of what we create: root */
	gid_t	so_gid;		/* its group: the milter's */
	bool	so_has_group;	/* so_gid is known (user or store root) */
	bool	so_has_user;	/* a milter user is configured: */
	uid_t	so_user_uid;	/* its uid (may own a store from before) */
	bool	so_strict;	/* strict_modes (default true) */
};

/* One identity directory as found by smime_store_scan(). */
struct smime_store_entry {
	char	*se_address;	/* directory name */
	X509	*se_cert;	/* NULL when cert.pem is missing or bad */
	bool	 se_has_key;	/* key.pem or key.uri */
	char	*se_key_uri;	/* key.uri's URI without query, or NULL */
	bool	 se_revoked;
};

/* Write STORE/ADDRESS/NAME (name may be NULL) into buf; false if too long. */
bool smime_store_path(const char *store, const char *address,
    const char *name, char *buf, size_t buflen);

/*
 * Load STORE/ADDRESS/key.pem into *out (caller frees), or the token key
 * key.uri names (the token is opened now).  Returns SMIME_OK,
 * SMIME_BADKEY (missing or unreadable; *missing tells which, may be NULL)
 * or, for a token key, smime_p11_load_key()'s status.
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
 * (0700); a token key as key.uri (its URI, same mode).  An existing key
 * (either file) is kept unless force, in which case it becomes
 * key.pem.prev / key.uri.prev.  Returns SMIME_OK, SMIME_POLICY (exists) or SMIME_TEMPFAIL.
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

/*
 * Create the "revoked" marker with reason and date, atomically.  Returns
 * SMIME_OK, SMIME_TEMPFAIL or SMIME_POLICY (an unsafe store), err set.
 */
smime_status smime_store_mark_revoked(const char *store, const char *address,
    const char *reason, const struct smime_store_owner *owner,
    struct smime_err *err);

/*
 * Keep pem (len bytes, a PEM certificate request) as STORE/ADDRESS/
 * request.pem, the identity's pending request, replacing any earlier
 * one atomically (0644).  Returns SMIME_OK, SMIME_TEMPFAIL or
 * SMIME_POLICY (an unsafe store), err set.
 */
smime_status smime_store_save_request(const char *store,
    const char *address, const char *pem, size_t len,
    const struct smime_store_owner *owner, struct smime_err *err);

/*
 * Read STORE/ADDRESS/request.pem into a new NUL-terminated *pem (free
 * with free()); NULL when there is none.  owner may be NULL.  Returns
 * SMIME_OK, SMIME_POLICY (a link, a hard link, a foreign owner) or
 * SMIME_TEMPFAIL.
 */
smime_status smime_store_get_request(const char *store, const char *address,
    const struct smime_store_owner *owner, char **pem,
    struct smime_err *err);

/* True when STORE/ADDRESS/NAME exists (not following a link). */
bool smime_store_has(const char *store, const char *address,
    const char *name);

/* True when the "revoked" marker exists (anything of that name). */
bool smime_store_is_revoked(const char *store, const char *address);

/*
 * Read STORE/ADDRESS/senders into a new NUL-terminated buffer *text (free
 * with free()); NULL when there is none.  owner may be NULL.  Returns
 * SMIME_OK, SMIME_POLICY (a link, a hard link, a foreign owner) or
 * SMIME_TEMPFAIL.
 */
smime_status smime_store_get_senders(const char *store, const char *address,
    const struct smime_store_owner *owner, char **text,
    struct smime_err *err);

/*
 * Bring a store from before the ownership model (owned by the milter's
 * user) to it: root:GROUP, directories 0750, keys 0640, other files 0644,
 * never following a link.  Only as root (owner->so_set); anything that
 * is a link, has several hard links, belongs to someone else or is
 * group/world-writable stops it with a message.  *changed counts what
 * was fixed.  Returns SMIME_OK, SMIME_POLICY or SMIME_TEMPFAIL.
 */
smime_status smime_store_migrate(const char *store,
    const struct smime_store_owner *owner, size_t *changed,
    struct smime_err *err);

/* The safefs policy for owner (NULL: strict, no milter user). */
void smime_store_policy(const struct smime_store_owner *owner,
    struct smime_fs_policy *p);

/*
 * List the identity directories of store, sorted by address.  *out is a
 * new array (free with smime_store_entries_free()).  A missing store is
 * an empty list.  Returns SMIME_OK, SMIME_TEMPFAIL or SMIME_NORESOURCE.
 */
smime_status smime_store_scan(const char *store,
    struct smime_store_entry **out, size_t *n, struct smime_err *err);

/* Free a list from smime_store_scan(); accepts NULL. */
void smime_store_entries_free(struct smime_store_entry *entries, size_t n);

#endif /* SMIME_STORE_H */
