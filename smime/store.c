/*
 * store.c - the store's admin operations: installing keys and
 * certificates atomically, rollback, senders, the revoked marker, the
 * pending request, listing (see store.h).  Where things are on disk and
 * how a file is read or replaced is storelayout.c; every file operation
 * goes through it and safefs.c: the store is opened once and walked with
 * directory descriptors, no link is ever followed (smime-enroll runs as
 * root).  Migrating old stores: store_migrate.c.
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
#include "smime/storelayout.h"

/*
 * The files an install replaces, in the order they are renamed.  The key
 * is key.pem (PEM) or, for a key on a PKCS#11 token, key.uri (its RFC
 * 7512 URI, smime/pkcs11.h); an identity has one of the two.
 */
enum smime_store_file { SF_KEY, SF_KEYURI, SF_CHAIN, SF_CERT, SF_COUNT };

static const char *const smime_store_names[SF_COUNT] = {
	SMIME_STORE_KEY, SMIME_STORE_KEY_URI, SMIME_STORE_CHAIN,
	SMIME_STORE_CERT
};

#define SF_IS_KEY(f)	((f) == SF_KEY || (f) == SF_KEYURI)

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
store_write_bio(struct smime_storedir *sd, const char *name, BIO *bio,
    bool secret, struct smime_err *err)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	return smime_storedir_write(sd, name, data, len > 0 ? (size_t)len : 0,
	    secret, err);
}

smime_status
smime_store_load_key(const char *store, const char *address, EVP_PKEY **out,
    bool *missing, struct smime_err *err)
{
	struct smime_storedir sd;
	bool gone = false;
	smime_status ret = SMIME_BADKEY;

	*out = NULL;
	if (smime_storedir_open(store, address, NULL, false, &sd, &gone, err) !=
	    SMIME_OK)
		goto out;
	if (gone) {
		smime_err_set(err, "%s/%s/%s: %s", store, address,
		    SMIME_STORE_KEY, strerror(ENOENT));
		goto out;
	}
	ret = smime_credential_load_store_key(&sd.sd_pol, sd.sd_dir,
	    sd.sd_where, NULL, out, &gone, err);
out:
	if (missing != NULL)
		*missing = gone;
	smime_storedir_close(&sd);
	return ret;
}

smime_status
smime_store_load_cert(const char *store, const char *address, X509 **cert,
    STACK_OF(X509) **chain, struct smime_err *err)
{
	STACK_OF(X509) *certs = NULL;
	struct smime_storedir sd;
	bool gone = false;
	smime_status ret = SMIME_SYNTAX;

	*cert = NULL;
	if (chain != NULL)
		*chain = NULL;
	if (smime_storedir_open(store, address, NULL, false, &sd, &gone, err) !=
	    SMIME_OK)
		goto out;
	if (gone) {
		smime_err_set(err, "%s/%s/%s: %s", store, address,
		    SMIME_STORE_CERT, strerror(ENOENT));
		goto out;
	}
	/* The first certificate of cert.pem is the identity's. */
	if ((ret = smime_credential_load_certs_at(&sd.sd_pol, sd.sd_dir,
	    sd.sd_where, SMIME_STORE_CERT, &certs, NULL, err)) != SMIME_OK)
		goto out;
	*cert = sk_X509_shift(certs);
	if (chain == NULL)
		goto out;
	if ((ret = smime_credential_load_certs_at(&sd.sd_pol, sd.sd_dir,
	    sd.sd_where, SMIME_STORE_CHAIN, chain, &gone, err)) == SMIME_OK &&
	    *chain == NULL && (*chain = sk_X509_new_null()) == NULL)
		ret = SMIME_NORESOURCE;
out:
	sk_X509_pop_free(certs, X509_free);
	smime_storedir_close(&sd);
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
	struct smime_storedir sd;
	BIO *bio = NULL;
	bool had;
	int f, mine;
	smime_status ret = SMIME_TEMPFAIL;

	if ((ret = smime_storedir_open(store, address, owner, true, &sd, NULL,
	    err)) != SMIME_OK) {
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
		if (smime_storedir_keep_prev(&sd, smime_store_names[f], true,
		    &had, err) != SMIME_OK || (f != mine &&
		    smime_fs_remove(sd.sd_dir, sd.sd_where,
		    smime_store_names[f], err) != SMIME_OK))
			goto out;
	if (store_write_bio(&sd, smime_store_names[mine], bio, true, err) !=
	    SMIME_OK || smime_fs_sync(sd.sd_dir, sd.sd_where, err) != SMIME_OK)
		goto out;
	ret = SMIME_OK;
out:
	BIO_free(bio);
	smime_storedir_close(&sd);
	return ret;
}

smime_status
smime_store_install(const char *store, const char *address, EVP_PKEY *newkey,
    X509 *cert, STACK_OF(X509) *chain, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	struct smime_storedir sd;
	BIO *pem[SF_COUNT] = { NULL };
	bool had[SF_COUNT] = { false }, done[SF_COUNT] = { false };
	int f;
	smime_status ret = SMIME_TEMPFAIL;

	if (smime_storedir_open(store, address, owner, true, &sd, NULL, err) !=
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
		if (smime_storedir_keep_prev(&sd, smime_store_names[f],
		    SF_IS_KEY(f), &had[f], err) != SMIME_OK)
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
	if (smime_fs_remove(sd.sd_dir, sd.sd_where, SMIME_STORE_REVOKED, err) !=
	    SMIME_OK || smime_fs_sync(sd.sd_dir, sd.sd_where, err) !=
	    SMIME_OK)
		goto out;
	ret = SMIME_OK;
out:
	for (f = 0; f < SF_COUNT; f++) {
		if (ret != SMIME_OK && done[f])
			smime_storedir_restore(&sd, smime_store_names[f],
			    SF_IS_KEY(f), had[f]);
		BIO_free(pem[f]);
	}
	smime_storedir_close(&sd);
	return ret;
}

smime_status
smime_store_rollback(const char *store, const char *address,
    struct smime_err *err)
{
	struct smime_storedir sd;
	char prev[NAME_MAX + 1];
	struct stat st;
	int f, n = 0, kind;
	bool gone = false, keyprev;
	smime_status ret = SMIME_TEMPFAIL;

	if ((ret = smime_storedir_open(store, address, NULL, false, &sd, &gone,
	    err)) != SMIME_OK)
		goto out;
	ret = SMIME_TEMPFAIL;
	/* The previous key is key.pem.prev or key.uri.prev: not both keys. */
	keyprev = !gone && (smime_fs_kind(sd.sd_dir,
	    SMIME_STORE_KEY SMIME_STORE_PREV, NULL) != 0 ||
	    smime_fs_kind(sd.sd_dir, SMIME_STORE_KEY_URI SMIME_STORE_PREV,
	    NULL) != 0);
	for (f = 0; !gone && f < SF_COUNT; f++) {
		smime_store_prev_name(smime_store_names[f], prev, sizeof(prev));
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
	smime_storedir_close(&sd);
	return ret;
}

smime_status
smime_store_set_senders(const char *store, const char *address,
    char *const *logins, size_t nlogins,
    const struct smime_store_owner *owner, struct smime_err *err)
{
	struct smime_storedir sd = { .sd_root = -1, .sd_dir = -1 };
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
	if ((ret = smime_storedir_open(store, address, owner, true, &sd, NULL,
	    err)) != SMIME_OK || (ret = smime_storedir_write(&sd,
	    SMIME_STORE_SENDERS, text, used, false, err)) != SMIME_OK ||
	    (ret = smime_fs_sync(sd.sd_dir, sd.sd_where, err)) != SMIME_OK) {
		ret = ret == SMIME_SYNTAX ? SMIME_TEMPFAIL : ret;
		goto out;
	}
	ret = SMIME_OK;
out:
	free(text);
	smime_storedir_close(&sd);
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
	struct smime_storedir sd;
	char *buf = NULL;
	size_t len = 0;
	bool gone = false;
	smime_status ret;

	*text = NULL;
	if ((ret = smime_storedir_open(store, address, owner, false, &sd, &gone,
	    err)) != SMIME_OK || gone)
		goto out;
	if ((ret = smime_storedir_read(&sd, name, false, &buf, &len, err)) !=
	    SMIME_OK || buf == NULL)
		goto out;
	if ((*text = strdup(buf)) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "out of memory");
	}
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, len + 1);
	smime_storedir_close(&sd);
	return ret;
}

smime_status
smime_store_get_senders(const char *store, const char *address,
    const struct smime_store_owner *owner, char **text,
    struct smime_err *err)
{
	return store_get_text(store, address, owner, SMIME_STORE_SENDERS, text,
	    err);
}

/*
 * Replace name in the identity directory of address with len bytes of
 * data: a new file renamed over the name (a planted link is replaced,
 * never followed), then the directory synced.
 */
static smime_status
store_put_text(const char *store, const char *address,
    const struct smime_store_owner *owner, const char *name,
    const void *data, size_t len, struct smime_err *err)
{
	struct smime_storedir sd = { .sd_root = -1, .sd_dir = -1 };
	smime_status ret;

	if ((ret = smime_storedir_open(store, address, owner, true, &sd, NULL,
	    err)) != SMIME_OK || (ret = smime_storedir_write(&sd, name, data,
	    len, false, err)) != SMIME_OK ||
	    (ret = smime_fs_sync(sd.sd_dir, sd.sd_where, err)) != SMIME_OK)
		ret = ret == SMIME_SYNTAX ? SMIME_TEMPFAIL : ret;
	smime_storedir_close(&sd);
	return ret;
}

smime_status
smime_store_mark_revoked(const char *store, const char *address,
    const char *reason, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	char text[256], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(text, sizeof(text), "reason=%.100s\ndate=%s\n", reason,
	    stamp);
	return store_put_text(store, address, owner, SMIME_STORE_REVOKED, text,
	    (size_t)n, err);
}

smime_status
smime_store_save_request(const char *store, const char *address,
    const char *pem, size_t len, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	return store_put_text(store, address, owner, SMIME_STORE_REQUEST, pem,
	    len, err);
}

smime_status
smime_store_get_request(const char *store, const char *address,
    const struct smime_store_owner *owner, char **pem,
    struct smime_err *err)
{
	return store_get_text(store, address, owner, SMIME_STORE_REQUEST, pem,
	    err);
}

bool
smime_store_has(const char *store, const char *address, const char *name)
{
	struct smime_storedir sd;
	bool gone = true, has = false;

	if (smime_storedir_open(store, address, NULL, false, &sd, &gone,
	    NULL) == SMIME_OK && !gone)
		has = smime_fs_kind(sd.sd_dir, name, NULL) != 0;
	smime_storedir_close(&sd);
	return has;
}

bool
smime_store_is_revoked(const char *store, const char *address)
{
	struct smime_storedir sd;
	bool gone = true, revoked = false;

	if (smime_storedir_open(store, address, NULL, false, &sd, &gone,
	    NULL) == SMIME_OK && !gone)
		revoked = smime_fs_kind(sd.sd_dir, SMIME_STORE_REVOKED,
		    NULL) != 0;
	smime_storedir_close(&sd);
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
store_scan_entry(struct smime_storedir *sd, struct smime_store_entry *e)
{
	STACK_OF(X509) *certs = NULL;
	char *buf = NULL;
	size_t len = 0;

	e->se_has_key = smime_fs_kind(sd->sd_dir, SMIME_STORE_KEY, NULL) == 'f';
	if (smime_storedir_read(sd, SMIME_STORE_KEY_URI, true, &buf, &len,
	    NULL) == SMIME_OK && buf != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		e->se_has_key = true;
		if ((e->se_key_uri = malloc(len + 1)) != NULL)
			smime_p11_uri_display(buf, e->se_key_uri, len + 1);
		OPENSSL_clear_free(buf, len + 1);
		buf = NULL;
	}
	e->se_revoked =
	    smime_fs_kind(sd->sd_dir, SMIME_STORE_REVOKED, NULL) != 0;
	if (smime_credential_load_certs_at(&sd->sd_pol, sd->sd_dir,
	    sd->sd_where, SMIME_STORE_CERT, &certs, NULL, NULL) == SMIME_OK)
		e->se_cert = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
}

smime_status
smime_store_scan(const char *store, struct smime_store_entry **out,
    size_t *n, struct smime_err *err)
{
	struct smime_store_entry *list = NULL, *grown, *e;
	size_t count = 0, cap = 0;
	struct smime_storedir sd;
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	bool gone = false;
	int fd, kind;
	smime_status ret;

	*out = NULL;
	*n = 0;
	if ((ret = smime_storedir_open(store, NULL, NULL, false, &sd, &gone,
	    err)) != SMIME_OK || gone)
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
	smime_storedir_close(&sd);
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
