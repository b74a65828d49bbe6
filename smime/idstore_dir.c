/*
 * idstore_dir.c - load the identity store that smime-enroll maintains
 * (file names and modes: storelayout.h):
 *
 *   STORE/ADDRESS/cert.pem    certificate (PEM); without it the entry is
 *                             an enrollment still waiting for its cert
 *   STORE/ADDRESS/key.pem     private key, mode 0600 (0640: group)
 *   STORE/ADDRESS/key.uri     or: the pkcs11: URI of a key on a token
 *   STORE/ADDRESS/chain.pem   intermediates (optional)
 *   STORE/ADDRESS/senders     SMTP AUTH logins, one per line (optional)
 *   STORE/ADDRESS/revoked     marker: do not sign with it (optional)
 *
 * Other files (cert.pem.prev, CSRs) are ignored, as are names starting
 * with a dot, which smime-enroll uses while it writes a new entry.
 * The store is opened once and read through directory descriptors;
 * nothing is followed and every file is checked on its descriptor
 * (smime/safefs.h), so whoever runs this (root at start-up) reads only
 * what root or the store's owner wrote.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/address.h"
#include "smime/credential.h"
#include "smime/identity-int.h"
#include "smime/storelayout.h"

#define SENDERS_MAX	10000	/* lines read from one senders file */

struct smime_senders {
	char	**ss_names;
	size_t	  ss_count;
};

static void
smime_senders_clear(struct smime_senders *ss)
{
	size_t i;

	for (i = 0; i < ss->ss_count; i++)
		free(ss->ss_names[i]);
	free(ss->ss_names);
	ss->ss_names = NULL;
	ss->ss_count = 0;
}

/*
 * Parse a senders file (text, NUL-terminated): one login per line, blank
 * lines and lines that start with '#' skipped, surrounding white space
 * dropped.  NULL text leaves ss empty.
 */
static smime_status
smime_parse_senders(const char *path, char *text, struct smime_senders *ss,
    struct smime_err *err)
{
	char *line, *save = NULL, *p, *end, **grown;

	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save)) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		end = p + strlen(p);
		while (end > p && (end[-1] == '\r' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			*--end = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (ss->ss_count >= SENDERS_MAX) {
			smime_err_set(err, "%s: more than %d logins", path,
			    SENDERS_MAX);
			return SMIME_SYNTAX;
		}
		grown = reallocarray(ss->ss_names, ss->ss_count + 1,
		    sizeof(char *));
		if (grown == NULL || (grown[ss->ss_count] = strdup(p)) == NULL) {
			if (grown != NULL)
				ss->ss_names = grown;
			smime_err_set(err, "%s: out of memory", path);
			return SMIME_NORESOURCE;
		}
		ss->ss_names = grown;
		ss->ss_count++;
	}
	return SMIME_OK;
}

/*
 * Pick the identity's address from cert (cert_path in messages): the
 * one equal to the directory name when that is an address, else the
 * certificate's first.  *out is a copy the caller frees.
 */
static smime_status
smime_store_address(const char *entry, const char *name,
    const char *cert_path, X509 *cert, char **out, struct smime_err *err)
{
	STACK_OF(OPENSSL_STRING) *emails = NULL;
	const char *pick = NULL, *e;
	smime_status ret = SMIME_POLICY;
	int i;

	*out = NULL;
	emails = X509_get1_email(cert);
	for (i = 0; i < sk_OPENSSL_STRING_num(emails) && pick == NULL; i++) {
		e = sk_OPENSSL_STRING_value(emails, i);
		if (strchr(name, '@') == NULL || smime_address_equal(e, name))
			pick = e;
	}
	if (pick == NULL) {
		smime_err_set(err, "%s: certificate %s carries %s", entry,
		    cert_path, strchr(name, '@') != NULL ? "a different "
		    "address than the directory name" : "no e-mail address");
		goto out;
	}
	if ((*out = strdup(pick)) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "%s: out of memory", entry);
		goto out;
	}
	ret = SMIME_OK;
out:
	X509_email_free(emails);
	return ret;
}

/* Join dir and name into buf; false when it does not fit. */
static bool
smime_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n > 0 && (size_t)n < len;
}

/*
 * Load one STORE/NAME entry (open as fd); entry is its path.  Every file
 * goes through the credential loader; a key is checked even while the
 * certificate is pending.
 */
static smime_status
smime_store_entry(struct smime_idstore *store, int fd, const char *entry,
    const char *name, smime_warn_fn *warn, void *warnarg,
    struct smime_err *err)
{
	const struct smime_fs_policy *pol = smime_idstore_get0_policy(store);
	struct smime_senders ss = { NULL, 0 };
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	struct smime_identity *id = NULL;
	const struct smime_identity *old;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char msg[1024], certp[4096], keyp[4096], *address = NULL;
	char *text = NULL;
	size_t textlen = 0;
	bool missing = false;
	smime_status ret;

	snprintf(certp, sizeof(certp), "%.4000s/%s", entry, SMIME_STORE_CERT);
	snprintf(keyp, sizeof(keyp), "%.4000s/%s", entry, SMIME_STORE_KEY);
	if ((ret = smime_credential_load_certs_at(pol, fd, entry,
	    SMIME_STORE_CERT, &certs, &missing, err)) != SMIME_OK)
		goto out;
	if (certs == NULL) {
		/* Pending: its key must still be safe. */
		ret = smime_fs_read(pol, fd, entry, SMIME_STORE_KEY, true,
		    &text, &textlen, &missing, err);
		if (ret != SMIME_OK)
			goto out;
		if (warn != NULL) {
			snprintf(msg, sizeof(msg), "%.900s: no %s "
			    "(enrollment pending?); skipped", entry,
			    SMIME_STORE_CERT);
			warn(warnarg, msg);
		}
		goto out;
	}
	cert = sk_X509_shift(certs);
	if (smime_fs_kind(fd, SMIME_STORE_KEY_URI, NULL) != 0)
		snprintf(keyp, sizeof(keyp), "%.4000s/%s", entry,
		    SMIME_STORE_KEY_URI);
	if ((ret = smime_credential_load_store_key(pol, fd, entry, cert,
	    &key, NULL, err)) != SMIME_OK ||
	    (ret = smime_credential_load_certs_at(pol, fd, entry,
	    SMIME_STORE_CHAIN, &chain, &missing, err)) != SMIME_OK ||
	    (ret = smime_fs_read(pol, fd, entry, SMIME_STORE_SENDERS, false,
	    &text, &textlen, &missing, err)) != SMIME_OK)
		goto out;
	if ((ret = smime_store_address(entry, name, certp, cert, &address,
	    err)) != SMIME_OK)
		goto out;
	if ((old = smime_idstore_find(store, address)) != NULL) {
		if (warn != NULL) {
			snprintf(msg, sizeof(msg), "%.300s: %.200s is already "
			    "configured at %.300s; store entry ignored", entry,
			    address, old->id_origin);
			warn(warnarg, msg);
		}
		goto out;
	}
	snprintf(msg, sizeof(msg), "%.900s/%s", entry, SMIME_STORE_SENDERS);
	if ((ret = smime_parse_senders(msg, text, &ss, err)) != SMIME_OK)
		goto out;
	ret = smime_identity_build(entry, address, certp, cert, keyp, key,
	    chain, ss.ss_names, ss.ss_count, warn, warnarg, &id, err);
	cert = NULL;
	key = NULL;
	chain = NULL;
	if (ret != SMIME_OK)
		goto out;
	/* Anything called "revoked", even a link, stops signing. */
	id->id_revoked = smime_fs_kind(fd, SMIME_STORE_REVOKED, NULL) != 0;
	if ((ret = smime_idstore_add0(store, id, err)) == SMIME_OK)
		id = NULL;
out:
	smime_identity_free(id);
	X509_free(cert);
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	if (text != NULL)
		OPENSSL_clear_free(text, textlen + 1);
	smime_senders_clear(&ss);
	free(address);
	return ret;
}

static int
smime_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in the directory fd (path dir), without those starting with
 * a dot, sorted, into a new array *out of *n strings (free each and the
 * array).  Reads through the descriptor: no path is looked up again.
 */
static smime_status
smime_dir_names(int fd, const char *dir, char ***out, int *n,
    struct smime_err *err)
{
	struct dirent *de;
	char **list = NULL, **grown;
	DIR *d = NULL;
	int dfd, count = 0;
	smime_status ret = SMIME_TEMPFAIL;

	*out = NULL;
	*n = 0;
	if ((dfd = dup(fd)) == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		smime_err_set(err, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((grown = reallocarray(list, (size_t)count + 1,
		    sizeof(*list))) == NULL || (grown[count] =
		    strdup(de->d_name)) == NULL) {
			if (grown != NULL)
				list = grown;
			ret = SMIME_NORESOURCE;
			smime_err_set(err, "%s: out of memory", dir);
			goto out;
		}
		list = grown;
		count++;
	}
	if (count > 0)
		qsort(list, (size_t)count, sizeof(*list), smime_name_cmp);
	*out = list;
	*n = count;
	list = NULL;
	ret = SMIME_OK;
out:
	while (list != NULL && count > 0)
		free(list[--count]);
	free(list);
	if (d != NULL)
		closedir(d);
	return ret;
}

smime_status
smime_idstore_add_dir(struct smime_idstore *store, const char *dir,
    smime_warn_fn *warn, void *warnarg, struct smime_err *err)
{
	const struct smime_fs_policy *pol = smime_idstore_get0_policy(store);
	char **names = NULL;
	struct stat st;
	char entry[4096];
	int root = -1, sub = -1, i, n = 0, kind;
	bool missing = false;
	smime_status ret;

	smime_err_clear(err);
	/* Opened once; every entry below is reached from this descriptor. */
	if ((ret = smime_fs_open_dir(pol, dir, false, 0, false, 0, 0, &root,
	    &missing, err)) != SMIME_OK || root == -1)
		goto out;
	/* sorted, so that messages and duplicates come out the same way */
	if ((ret = smime_dir_names(root, dir, &names, &n, err)) != SMIME_OK)
		goto out;
	ret = SMIME_TEMPFAIL;
	for (i = 0; i < n; i++) {
		if (!smime_join(entry, sizeof(entry), dir, names[i])) {
			ret = SMIME_SYNTAX;
			smime_err_set(err, "%s: path too long", dir);
			goto out;
		}
		if ((kind = smime_fs_kind(root, names[i], &st)) ==
		    'l') {
			ret = SMIME_POLICY;
			smime_err_set(err, "%s is a symbolic link (owned by uid "
			    "%lu); links are never followed in the store: "
			    "remove it", entry, (unsigned long)st.st_uid);
			goto out;
		}
		if (kind != 'd')
			continue;	/* README, lock files */
		if ((ret = smime_fs_open_subdir(pol, root, dir,
		    names[i], false, 0, false, 0, 0, &sub, NULL, err))
		    != SMIME_OK)
			goto out;
		ret = smime_store_entry(store, sub, entry, names[i],
		    warn, warnarg, err);
		close(sub);
		sub = -1;
		if (ret != SMIME_OK)
			goto out;
	}
	ret = SMIME_OK;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (root != -1)
		close(root);
	return ret;
}
