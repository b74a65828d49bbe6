/*
 * storelayout.h - the on-disk layout of the signing-key store that
 * smime-enroll writes and smime-milter reads (storelayout.c): the file
 * names, defined here and nowhere else, the modes, and the one way a
 * store file is read or replaced.
 *
 *   STORE/ADDRESS/key.pem       private key (key.pem.prev: the last one)
 *   STORE/ADDRESS/key.uri       or: the pkcs11: URI of a key on a token
 *   STORE/ADDRESS/cert.pem      certificate (cert.pem.prev)
 *   STORE/ADDRESS/chain.pem     intermediates, optional (chain.pem.prev)
 *   STORE/ADDRESS/senders       SMTP AUTH logins allowed to send as ADDRESS
 *   STORE/ADDRESS/revoked       marker: never sign with this identity
 *   STORE/ADDRESS/request.pem   the pending certificate request
 *
 * Run as root, the tree belongs to root with the milter's group:
 * directories 0750, keys 0640, other files 0644; otherwise to us,
 * 0700/0600/0644.  Files are replaced by write-to-temp (O_EXCL), fsync,
 * rename within the directory (smime_fs_write()), so that a reader sees
 * either the old or the new file, never a torn one.  Not part of the
 * library API.
 */
#ifndef SMIME_STORELAYOUT_H
#define SMIME_STORELAYOUT_H

#include <sys/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "smime/err.h"
#include "smime/safefs.h"
#include "smime/store.h"

#define SMIME_STORE_KEY		"key.pem"
#define SMIME_STORE_KEY_URI	"key.uri"
#define SMIME_STORE_CERT	"cert.pem"
#define SMIME_STORE_CHAIN	"chain.pem"
#define SMIME_STORE_SENDERS	"senders"
#define SMIME_STORE_REVOKED	"revoked"
#define SMIME_STORE_REQUEST	"request.pem"
/* Suffix of the previous version kept for rollback ("cert.pem.prev"). */
#define SMIME_STORE_PREV	".prev"

/* Modes; group: the milter reads through its group (we run as root). */
#define SMIME_STORE_MODE_DIR(group)	((group) ? 0750 : 0700)
#define SMIME_STORE_MODE_KEY(group)	((group) ? 0640 : 0600)
#define SMIME_STORE_MODE_FILE		0644

/*
 * True for a file that names or holds the private key (key.pem,
 * key.uri and their .prev copies): it gets SMIME_STORE_MODE_KEY.
 */
bool smime_store_is_secret(const char *name);

/* "NAME.prev" into buf (len bytes); false when it does not fit. */
bool smime_store_prev_name(const char *name, char *buf, size_t len);

/* An open store (and identity directory) and how to create things in it. */
struct smime_storedir {
	struct smime_fs_policy	sd_pol;
	int			sd_root;	/* the store */
	int			sd_dir;		/* STORE/ADDRESS, or -1 */
	char			sd_where[PATH_MAX];	/* for messages */
	bool			sd_chown;
	uid_t			sd_uid;
	gid_t			sd_gid;
	mode_t			sd_dmode, sd_kmode, sd_fmode;
};

/*
 * Open STORE (and STORE/ADDRESS unless address is NULL) into sd,
 * creating them when create, owned and moded for owner (NULL: us,
 * strict).  A missing store or entry without create is SMIME_OK with
 * sd_dir (or sd_root) -1 and *missing true (missing may be NULL).
 * Returns SMIME_OK, SMIME_SYNTAX (path too long), SMIME_POLICY or
 * SMIME_TEMPFAIL; on error sd is closed.
 */
smime_status smime_storedir_open(const char *store, const char *address,
    const struct smime_store_owner *owner, bool create,
    struct smime_storedir *sd, bool *missing, struct smime_err *err);

/* Close what smime_storedir_open() opened; safe to call twice. */
void smime_storedir_close(struct smime_storedir *sd);

/*
 * Read name of the identity directory into a new *buf of *len bytes
 * (missing: *buf NULL), as smime_fs_read() does; free with
 * OPENSSL_clear_free(*buf, *len + 1).
 */
smime_status smime_storedir_read(struct smime_storedir *sd, const char *name,
    bool secret, char **buf, size_t *len, struct smime_err *err);

/* Replace name atomically with data, with the mode for its kind. */
smime_status smime_storedir_write(struct smime_storedir *sd, const char *name,
    const void *data, size_t len, bool secret, struct smime_err *err);

/*
 * Copy name to name.prev (a new file, never a link: a store file has
 * exactly one).  *had tells whether name existed.
 */
smime_status smime_storedir_keep_prev(struct smime_storedir *sd,
    const char *name, bool secret, bool *had, struct smime_err *err);

/* Put name.prev back as name (or remove name when there was none). */
void smime_storedir_restore(struct smime_storedir *sd, const char *name,
    bool secret, bool had);

#endif /* SMIME_STORELAYOUT_H */
