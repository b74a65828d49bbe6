/*
 * store.c - atomic installation of keys and certificates into the
 * signing store, rollback, senders, the revoked marker, listing and the
 * migration of old stores.  Every file operation goes through safefs.c:
 * the store is opened once and walked with directory descriptors, no
 * link is ever followed (smime-enroll runs as root; see store.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "smime/credential.h"
#include "smime/pkcs11.h"
#include "smime/store.h"

/*
 * The files an install replaces, in the order they are renamed.  The key
 * is key.pem (PEM) or, for a key on a PKCS#11 token, key.uri (its RFC
 * 7512 URI, smime/pkcs11.h); an identity has one of the two.
 */
enum smime_store_file { SF_KEY, SF_KEYURI, SF_CHAIN, SF_CERT, SF_COUNT };

static const char *const smime_store_names[SF_COUNT] = {
	"key.pem", "key.uri", "chain.pem", "cert.pem"
};

#define SF_IS_KEY(f)	((f) == SF_KEY || (f) == SF_KEYURI)

/* An open identity directory and how to create things in it. */
struct store_dir {
	struct smime_fs_policy	sd_pol;
	int			sd_root;	/* the store */
	int			sd_dir;		/* STORE/ADDRESS, or -1 */
	char			sd_where[PATH_MAX];	/* for messages */
	bool			sd_chown;
	uid_t			sd_uid;
	gid_t			sd_gid;
	mode_t			sd_dmode, sd_kmode, sd_fmode;
};

void
smime_store_policy(const struct smime_store_owner *owner,
    struct smime_fs_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->fp_strict = owner == NULL || owner->so_strict;
	if (owner != NULL && owner->so_has_user) {
		p->fp_has_user = true;
		p->fp_user = owner->so_user_uid;
	}
}

bool
smime_store_path(const char *store, const char *address, const char *name,
    char *buf, size_t buflen)
{
	int n;

	if (name == NULL)
		n = snprintf(buf, buflen, "%s/%s", store, address);
	else
		n = snprintf(buf, buflen, "%s/%s/%s", store, address, name);
	return n >= 0 && (size_t)n < buflen;
}

static void
store_close(struct store_dir *sd)
{
	if (sd->sd_dir != -1)
		close(sd->sd_dir);
	if (sd->sd_root != -1)
		close(sd->sd_root);
	sd->sd_dir = sd->sd_root = -1;
}

/*
 * Open STORE (and STORE/ADDRESS unless address is NULL), creating them
 * when create.  A missing store or entry without create is SMIME_OK with
 * sd_dir (or sd_root) -1 and *missing true (missing may be NULL).
 */
static smime_status
store_open(const char *store, const char *address,
    const struct smime_store_owner *owner, bool create, struct store_dir *sd,
    bool *missing, struct smime_err *err)
{
	struct stat st;
	bool gone = false;
	smime_status ret;

	memset(sd, 0, sizeof(*sd));
	sd->sd_root = sd->sd_dir = -1;
	if (missing != NULL)
		*missing = false;
	smime_store_policy(owner, &sd->sd_pol);
	sd->sd_chown = owner != NULL && owner->so_set;
	sd->sd_uid = sd->sd_chown ? owner->so_uid : geteuid();
	sd->sd_gid = sd->sd_chown ? owner->so_gid : getegid();
	/* As root the milter reads through its group; else we are it. */
	sd->sd_dmode = sd->sd_chown && sd->sd_gid != 0 ? 0750 : 0700;
	sd->sd_kmode = sd->sd_chown && sd->sd_gid != 0 ? 0640 : 0600;
	sd->sd_fmode = 0644;
	snprintf(sd->sd_where, sizeof(sd->sd_where), "%s", store);
	ret = smime_fs_open_dir(&sd->sd_pol, store, create, sd->sd_dmode,
	    sd->sd_chown, sd->sd_uid, sd->sd_gid, &sd->sd_root, &gone, err);
	if (ret != SMIME_OK || sd->sd_root == -1)
		goto out;
	/* No user configured: the store root's group is the milter's. */
	if (sd->sd_chown && !owner->so_has_group &&
	    fstat(sd->sd_root, &st) == 0)
		sd->sd_gid = st.st_gid;
	/* Group access only for a milter's group, never for root's. */
	sd->sd_dmode = sd->sd_chown && sd->sd_gid != 0 ? 0750 : 0700;
	sd->sd_kmode = sd->sd_chown && sd->sd_gid != 0 ? 0640 : 0600;
	if (address == NULL)
		goto out;
	if (!smime_store_path(store, address, NULL, sd->sd_where,
	    sizeof(sd->sd_where))) {
		ret = SMIME_SYNTAX;
		smime_err_set(err, "%s/%s: path too long", store, address);
		goto out;
	}
	ret = smime_fs_open_subdir(&sd->sd_pol, sd->sd_root, store, address,
	    create, sd->sd_dmode, sd->sd_chown, sd->sd_uid, sd->sd_gid,
	    &sd->sd_dir, &gone, err);
out:
	if (missing != NULL)
		*missing = gone;
	if (ret != SMIME_OK)
		store_close(sd);
	return ret;
}

/* Read name of the identity directory (missing: *buf NULL). */
static smime_status
store_read(struct store_dir *sd, const char *name, bool secret, char **buf,
    size_t *len, struct smime_err *err)
{
	bool missing;

	return smime_fs_read(&sd->sd_pol, sd->sd_dir, sd->sd_where, name,
	    secret, buf, len, &missing, err);
}

/* Replace name with data, with the mode for its kind. */
static smime_status
store_write(struct store_dir *sd, const char *name, const void *data,
    size_t len, bool secret, struct smime_err *err)
{
	return smime_fs_write(sd->sd_dir, sd->sd_where, name, data, len,
	    secret ? sd->sd_kmode : sd->sd_fmode, sd->sd_chown, sd->sd_uid,
	    sd->sd_gid, err);
}

/* PEM of key (when not NULL) or cert and chain, in a new memory BIO. */
static BIO *
store_pem(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
    struct smime_err *err)
{
	BIO *bio;
	int i;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		goto fail;
	if (key != NULL && smime_p11_is_token_key(key)) {
		/* No key material: where the key lives (key.uri). */
		if (BIO_printf(bio, "%s\n", smime_p11_key_uri(key)) <= 0)
			goto fail;
	} else if (key != NULL && !PEM_write_bio_PrivateKey(bio, key, NULL,
	    NULL, 0, NULL, NULL))
		goto fail;
	if (cert != NULL && !PEM_write_bio_X509(bio, cert))
		goto fail;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(chain, i)))
			goto fail;
	return bio;
fail:
	smime_err_openssl(err, "cannot encode PEM");
	BIO_free(bio);
	return NULL;
}

/* Write the PEM in bio as name. */
static smime_status
store_write_bio(struct store_dir *sd, const char *name, BIO *bio, bool secret,
    struct smime_err *err)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	return store_write(sd, name, data, len > 0 ? (size_t)len : 0, secret,
	    err);
}

/*
 * Copy name to name.prev (a new file, never a link: a store file has
 * exactly one).  *had tells whether name existed.
 */
static smime_status
store_keep_prev(struct store_dir *sd, const char *name, bool secret,
    bool *had, struct smime_err *err)
{
	char prev[NAME_MAX + 1], *buf = NULL;
	size_t len = 0;
	smime_status ret;

	*had = false;
	snprintf(prev, sizeof(prev), "%s.prev", name);
	if ((ret = store_read(sd, name, secret, &buf, &len, err)) != SMIME_OK ||
	    buf == NULL)
		goto out;
	*had = true;
	ret = store_write(sd, prev, buf, len, secret, err);
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, len + 1);
	return ret;
}

/* Put name.prev back as name (or remove name when there was none). */
static void
store_restore(struct store_dir *sd, const char *name, bool secret, bool had)
{
	char prev[NAME_MAX + 1], *buf = NULL;
	size_t len = 0;

	if (!had) {
		(void)smime_fs_remove(sd->sd_dir, sd->sd_where, name, NULL);
		return;
	}
	snprintf(prev, sizeof(prev), "%s.prev", name);
	if (store_read(sd, prev, secret, &buf, &len, NULL) == SMIME_OK &&
	    buf != NULL)
		(void)store_write(sd, name, buf, len, secret, NULL);
	if (buf != NULL)
		OPENSSL_clear_free(buf, len + 1);
}

smime_status
smime_store_load_key(const char *store, const char *address, EVP_PKEY **out,
    bool *missing, struct smime_err *err)
{
	struct store_dir sd;
	bool gone = false;
	smime_status ret = SMIME_BADKEY;

	*out = NULL;
	if (store_open(store, address, NULL, false, &sd, &gone, err) !=
	    SMIME_OK)
		goto out;
	if (gone) {
		smime_err_set(err, "%s/%s/key.pem: %s", store, address,
		    strerror(ENOENT));
		goto out;
	}
	ret = smime_credential_load_store_key(&sd.sd_pol, sd.sd_dir,
	    sd.sd_where, NULL, out, &gone, err);
out:
	if (missing != NULL)
		*missing = gone;
	store_close(&sd);
	return ret;
}

smime_status
smime_store_load_cert(const char *store, const char *address, X509 **cert,
    STACK_OF(X509) **chain, struct smime_err *err)
{
	STACK_OF(X509) *certs = NULL;
	struct store_dir sd;
	bool gone = false;
	smime_status ret = SMIME_SYNTAX;

	*cert = NULL;
	if (chain != NULL)
		*chain = NULL;
	if (store_open(store, address, NULL, false, &sd, &gone, err) !=
	    SMIME_OK)
		goto out;
	if (gone) {
		smime_err_set(err, "%s/%s/cert.pem: %s", store, address,
		    strerror(ENOENT));
		goto out;
	}
	/* The first certificate of cert.pem is the identity's. */
	if ((ret = smime_credential_load_certs_at(&sd.sd_pol, sd.sd_dir,
	    sd.sd_where, "cert.pem", &certs, NULL, err)) != SMIME_OK)
		goto out;
	*cert = sk_X509_shift(certs);
	if (chain == NULL)
		goto out;
	if ((ret = smime_credential_load_certs_at(&sd.sd_pol, sd.sd_dir,
	    sd.sd_where, "chain.pem", chain, &gone, err)) == SMIME_OK &&
	    *chain == NULL && (*chain = sk_X509_new_null()) == NULL)
		ret = SMIME_NORESOURCE;
out:
	sk_X509_pop_free(certs, X509_free);
	store_close(&sd);
	if (ret != SMIME_OK) {
		X509_free(*cert);
		*cert = NULL;
		if (chain != NULL) {
			sk_X509_pop_free(*chain, X509_free);
			*chain = NULL;
		}
	}
	return ret;
}

smime_status
smime_store_save_key(const char *store, const char *address, EVP_PKEY *key,
    bool force, const struct smime_store_owner *owner, struct smime_err *err)
{
	struct store_dir sd;
	BIO *bio = NULL;
	bool had;
	int f, mine;
	smime_status ret = SMIME_TEMPFAIL;

	if ((ret = store_open(store, address, owner, true, &sd, NULL, err)) !=
	    SMIME_OK) {
		ret = ret == SMIME_POLICY ? SMIME_TEMPFAIL : ret;
		goto out;
	}
	ret = SMIME_TEMPFAIL;
	for (f = SF_KEY; f <= SF_KEYURI; f++) {
		if (!force && smime_fs_kind(sd.sd_dir, smime_store_names[f],
		    NULL) != 0) {
			ret = SMIME_POLICY;
			smime_err_set(err, "%s/%s exists; use --force to "
			    "replace it", sd.sd_where, smime_store_names[f]);
			goto out;
		}
	}
	/* The new key is one of key.pem / key.uri; the other one goes. */
	mine = smime_p11_is_token_key(key) ? SF_KEYURI : SF_KEY;
	if ((bio = store_pem(key, NULL, NULL, err)) == NULL)
		goto out;
	for (f = SF_KEY; f <= SF_KEYURI; f++)
		if (store_keep_prev(&sd, smime_store_names[f], true, &had,
		    err) != SMIME_OK || (f != mine && smime_fs_remove(sd.sd_dir,
		    sd.sd_where, smime_store_names[f], err) != SMIME_OK))
			goto out;
	if (store_write_bio(&sd, smime_store_names[mine], bio, true, err) !=
	    SMIME_OK || smime_fs_sync(sd.sd_dir, sd.sd_where, err) != SMIME_OK)
		goto out;
	ret = SMIME_OK;
out:
	BIO_free(bio);
	store_close(&sd);
	return ret;
}

smime_status
smime_store_install(const char *store, const char *address, EVP_PKEY *newkey,
    X509 *cert, STACK_OF(X509) *chain, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	struct store_dir sd;
	BIO *pem[SF_COUNT] = { NULL };
	bool had[SF_COUNT] = { false }, done[SF_COUNT] = { false };
	int f;
	smime_status ret = SMIME_TEMPFAIL;

	if (store_open(store, address, owner, true, &sd, NULL, err) !=
	    SMIME_OK)
		goto out;
	/* Everything is encoded before anything is replaced. */
	if ((newkey != NULL && (pem[smime_p11_is_token_key(newkey) ?
	    SF_KEYURI : SF_KEY] = store_pem(newkey, NULL, NULL, err)) ==
	    NULL) || (chain != NULL && sk_X509_num(chain) > 0 &&
	    (pem[SF_CHAIN] = store_pem(NULL, NULL, chain, err)) == NULL) ||
	    (pem[SF_CERT] = store_pem(NULL, cert, NULL, err)) == NULL)
		goto out;
	for (f = 0; f < SF_COUNT; f++) {
		if (SF_IS_KEY(f) && newkey == NULL)
			continue;
		if (store_keep_prev(&sd, smime_store_names[f], SF_IS_KEY(f),
		    &had[f], err) != SMIME_OK)
			goto out;
		done[f] = true;
		if (pem[f] != NULL) {
			if (store_write_bio(&sd, smime_store_names[f], pem[f],
			    SF_IS_KEY(f), err) != SMIME_OK)
				goto out;
		} else if (smime_fs_remove(sd.sd_dir, sd.sd_where,
		    smime_store_names[f], err) != SMIME_OK)
			goto out;	/* no chain (or other key kind) */
	}
	/* The marker was about the certificate just replaced. */
	if (smime_fs_remove(sd.sd_dir, sd.sd_where, "revoked", err) !=
	    SMIME_OK || smime_fs_sync(sd.sd_dir, sd.sd_where, err) !=
	    SMIME_OK)
		goto out;
	ret = SMIME_OK;
out:
	for (f = 0; f < SF_COUNT; f++) {
		if (ret != SMIME_OK && done[f])
			store_restore(&sd, smime_store_names[f], SF_IS_KEY(f),
			    had[f]);
		BIO_free(pem[f]);
	}
	store_close(&sd);
	return ret;
}

smime_status
smime_store_rollback(const char *store, const char *address,
    struct smime_err *err)
{
	struct store_dir sd;
	char prev[NAME_MAX + 1];
	struct stat st;
	int f, n = 0, kind;
	bool gone = false, keyprev;
	smime_status ret = SMIME_TEMPFAIL;

	if ((ret = store_open(store, address, NULL, false, &sd, &gone, err)) !=
	    SMIME_OK)
		goto out;
	ret = SMIME_TEMPFAIL;
	/* The previous key is key.pem.prev or key.uri.prev: not both keys. */
	keyprev = !gone && (smime_fs_kind(sd.sd_dir, "key.pem.prev", NULL) !=
	    0 || smime_fs_kind(sd.sd_dir, "key.uri.prev", NULL) != 0);
	for (f = 0; !gone && f < SF_COUNT; f++) {
		snprintf(prev, sizeof(prev), "%s.prev", smime_store_names[f]);
		if ((kind = smime_fs_kind(sd.sd_dir, prev, &st)) == 0) {
			if (SF_IS_KEY(f) && keyprev && smime_fs_remove(
			    sd.sd_dir, sd.sd_where, smime_store_names[f], err)
			    != SMIME_OK)
				goto out;
			continue;
		}
		if (kind != 'f' || st.st_nlink != 1) {
			ret = SMIME_POLICY;
			smime_err_set(err, "%s/%s: not a regular file with one "
			    "link; refusing it", sd.sd_where, prev);
			goto out;
		}
		if (renameat(sd.sd_dir, prev, sd.sd_dir, smime_store_names[f])
		    == -1) {
			smime_err_set(err, "rename %s/%s: %s", sd.sd_where,
			    prev, strerror(errno));
			goto out;
		}
		n++;
	}
	if (n == 0) {
		ret = SMIME_POLICY;
		smime_err_set(err, "%s/%s: no previous files to roll back to",
		    store, address);
		goto out;
	}
	if (smime_fs_sync(sd.sd_dir, sd.sd_where, err) != SMIME_OK)
		goto out;
	ret = SMIME_OK;
out:
	store_close(&sd);
	return ret;
}

smime_status
smime_store_set_senders(const char *store, const char *address,
    char *const *logins, size_t nlogins,
    const struct smime_store_owner *owner, struct smime_err *err)
{
	struct store_dir sd = { .sd_root = -1, .sd_dir = -1 };
	const unsigned char *c;
	char *text = NULL;
	size_t i, len, used;
	smime_status ret = SMIME_SYNTAX;

	len = strlen(address) + 64;
	for (i = 0; i < nlogins; i++) {
		for (c = (const unsigned char *)logins[i]; *c != '\0'; c++)
			if (*c <= 0x20 || *c >= 0x7f)
				break;
		if (logins[i][0] == '\0' || logins[i][0] == '#' || *c != '\0') {
			smime_err_set(err, "login \"%s\": must be printable "
			    "ASCII without spaces, not starting with '#'",
			    logins[i]);
			goto out;
		}
		len += strlen(logins[i]) + 1;
	}
	ret = SMIME_NORESOURCE;
	if ((text = malloc(len)) == NULL) {
		smime_err_set(err, "out of memory");
		goto out;
	}
	used = (size_t)snprintf(text, len, "# SMTP AUTH logins allowed to "
	    "send as %s\n", address);
	for (i = 0; i < nlogins; i++)
		used += (size_t)snprintf(text + used, len - used, "%s\n",
		    logins[i]);
	if ((ret = store_open(store, address, owner, true, &sd, NULL, err)) !=
	    SMIME_OK || (ret = store_write(&sd, "senders", text, used, false,
	    err)) != SMIME_OK || (ret = smime_fs_sync(sd.sd_dir, sd.sd_where,
	    err)) != SMIME_OK) {
		ret = ret == SMIME_SYNTAX ? SMIME_TEMPFAIL : ret;
		goto out;
	}
	ret = SMIME_OK;
out:
	free(text);
	store_close(&sd);
	return ret;
}

/*
 * A copy of the text file name of address's entry in *text (NULL when
 * the entry or file is absent), read through store_read's checks.
 */
static smime_status
store_get_text(const char *store, const char *address,
    const struct smime_store_owner *owner, const char *name, char **text,
    struct smime_err *err)
{
	struct store_dir sd;
	char *buf = NULL;
	size_t len = 0;
	bool gone = false;
	smime_status ret;

	*text = NULL;
	if ((ret = store_open(store, address, owner, false, &sd, &gone,
	    err)) != SMIME_OK || gone)
		goto out;
	if ((ret = store_read(&sd, name, false, &buf, &len, err)) !=
	    SMIME_OK || buf == NULL)
		goto out;
	if ((*text = strdup(buf)) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "out of memory");
	}
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, len + 1);
	store_close(&sd);
	return ret;
}

smime_status
smime_store_get_senders(const char *store, const char *address,
    const struct smime_store_owner *owner, char **text,
    struct smime_err *err)
{
	return store_get_text(store, address, owner, "senders", text, err);
}

smime_status
smime_store_mark_revoked(const char *store, const char *address,
    const char *reason, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	struct store_dir sd;
	char text[256], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;
	smime_status ret = SMIME_TEMPFAIL;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(text, sizeof(text), "reason=%.100s\ndate=%s\n", reason,
	    stamp);
	if (store_open(store, address, owner, true, &sd, NULL, err) !=
	    SMIME_OK)
		goto out;
	/* A new file renamed over the name: a planted link is replaced. */
	if (store_write(&sd, "revoked", text, (size_t)n, false, err) !=
	    SMIME_OK || smime_fs_sync(sd.sd_dir, sd.sd_where, err) !=
	    SMIME_OK)
		goto out;
	ret = SMIME_OK;
out:
	store_close(&sd);
	return ret;
}

smime_status
smime_store_save_request(const char *store, const char *address,
    const char *pem, size_t len, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	struct store_dir sd = { .sd_root = -1, .sd_dir = -1 };
	smime_status ret;

	if ((ret = store_open(store, address, owner, true, &sd, NULL, err)) !=
	    SMIME_OK || (ret = store_write(&sd, "request.pem", pem, len, false,
	    err)) != SMIME_OK || (ret = smime_fs_sync(sd.sd_dir, sd.sd_where,
	    err)) != SMIME_OK)
		ret = ret == SMIME_SYNTAX ? SMIME_TEMPFAIL : ret;
	store_close(&sd);
	return ret;
}

smime_status
smime_store_get_request(const char *store, const char *address,
    const struct smime_store_owner *owner, char **pem,
    struct smime_err *err)
{
	return store_get_text(store, address, owner, "request.pem", pem, err);
}

bool
smime_store_has(const char *store, const char *address, const char *name)
{
	struct store_dir sd;
	bool gone = true, has = false;

	if (store_open(store, address, NULL, false, &sd, &gone, NULL) ==
	    SMIME_OK && !gone)
		has = smime_fs_kind(sd.sd_dir, name, NULL) != 0;
	store_close(&sd);
	return has;
}

bool
smime_store_is_revoked(const char *store, const char *address)
{
	struct store_dir sd;
	bool gone = true, revoked = false;

	if (store_open(store, address, NULL, false, &sd, &gone, NULL) ==
	    SMIME_OK && !gone)
		revoked = smime_fs_kind(sd.sd_dir, "revoked", NULL) != 0;
	store_close(&sd);
	return revoked;
}

static int
smime_store_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct smime_store_entry *)a)->se_address,
	    ((const struct smime_store_entry *)b)->se_address);
}

/* Fill e from the open identity directory sd. */
static void
store_scan_entry(struct store_dir *sd, struct smime_store_entry *e)
{
	STACK_OF(X509) *certs = NULL;
	char *buf = NULL;
	size_t len = 0;

	e->se_has_key = smime_fs_kind(sd->sd_dir, "key.pem", NULL) == 'f';
	if (store_read(sd, "key.uri", true, &buf, &len, NULL) == SMIME_OK &&
	    buf != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		e->se_has_key = true;
		if ((e->se_key_uri = malloc(len + 1)) != NULL)
			smime_p11_uri_display(buf, e->se_key_uri, len + 1);
		OPENSSL_clear_free(buf, len + 1);
		buf = NULL;
	}
	e->se_revoked = smime_fs_kind(sd->sd_dir, "revoked", NULL) != 0;
	if (smime_credential_load_certs_at(&sd->sd_pol, sd->sd_dir,
	    sd->sd_where, "cert.pem", &certs, NULL, NULL) == SMIME_OK)
		e->se_cert = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
}

smime_status
smime_store_scan(const char *store, struct smime_store_entry **out,
    size_t *n, struct smime_err *err)
{
	struct smime_store_entry *list = NULL, *grown, *e;
	size_t count = 0, cap = 0;
	struct store_dir sd;
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	bool gone = false;
	int fd, kind;
	smime_status ret;

	*out = NULL;
	*n = 0;
	if ((ret = store_open(store, NULL, NULL, false, &sd, &gone, err)) !=
	    SMIME_OK || gone)
		goto out;
	ret = SMIME_TEMPFAIL;
	if ((fd = dup(sd.sd_root)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		smime_err_set(err, "%s: %s", store, strerror(errno));
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((kind = smime_fs_kind(sd.sd_root, de->d_name, &st)) ==
		    'l') {
			ret = SMIME_POLICY;
			smime_err_set(err, "%s/%s is a symbolic link (owned by "
			    "uid %lu); links are never followed in the store: "
			    "remove it", store, de->d_name,
			    (unsigned long)st.st_uid);
			goto out;
		}
		if (kind != 'd')
			continue;
		if (count == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = realloc(list, cap * sizeof(*list))) ==
			    NULL) {
				ret = SMIME_NORESOURCE;
				goto out;
			}
			list = grown;
		}
		e = &list[count];
		memset(e, 0, sizeof(*e));
		if ((e->se_address = strdup(de->d_name)) == NULL) {
			ret = SMIME_NORESOURCE;
			goto out;
		}
		count++;
		snprintf(sd.sd_where, sizeof(sd.sd_where), "%s/%s", store,
		    de->d_name);
		if ((ret = smime_fs_open_subdir(&sd.sd_pol, sd.sd_root, store,
		    de->d_name, false, 0, false, 0, 0, &sd.sd_dir, NULL, err))
		    != SMIME_OK)
			goto out;
		store_scan_entry(&sd, e);
		close(sd.sd_dir);
		sd.sd_dir = -1;
	}
	if (count > 0)
		qsort(list, count, sizeof(*list), smime_store_entry_cmp);
	*out = list;
	*n = count;
	list = NULL;
	ret = SMIME_OK;
out:
	if (dir != NULL)
		closedir(dir);
	store_close(&sd);
	if (ret == SMIME_NORESOURCE)
		smime_err_set(err, "out of memory");
	smime_store_entries_free(list, count);
	return ret;
}

void
smime_store_entries_free(struct smime_store_entry *entries, size_t n)
{
	size_t i;

	if (entries == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(entries[i].se_address);
		free(entries[i].se_key_uri);
		X509_free(entries[i].se_cert);
	}
	free(entries);
}
