/*
 * idstore_dir.c - load the identity store that smime-enroll maintains:
 *
 *   STORE/ADDRESS/cert.pem    certificate (PEM); without it the entry is
 *                             an enrollment still waiting for its cert
 *   STORE/ADDRESS/key.pem     private key, mode 0600
 *   STORE/ADDRESS/chain.pem   intermediates (optional)
 *   STORE/ADDRESS/senders     SMTP AUTH logins, one per line (optional)
 *   STORE/ADDRESS/revoked     marker: do not sign with it (optional)
 *
 * Other files (cert.pem.prev, CSRs) are ignored, as are names starting
 * with a dot, which smime-enroll uses while it writes a new entry.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/identity-int.h"

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
 * Read a senders file: one login per line, blank lines and lines that
 * start with '#' skipped, surrounding white space dropped.  A missing
 * file leaves ss empty.
 */
static smime_status
smime_read_senders(const char *path, struct smime_senders *ss,
    struct smime_err *err)
{
	FILE *fp = NULL;
	char *line = NULL, *p, *end, **grown;
	size_t cap = 0;
	smime_status ret = SMIME_SYNTAX;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			ret = SMIME_OK;
		else
			smime_err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (getline(&line, &cap, fp) != -1) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		end = p + strlen(p);
		while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (ss->ss_count >= SENDERS_MAX) {
			smime_err_set(err, "%s: more than %d logins", path,
			    SENDERS_MAX);
			goto out;
		}
		grown = reallocarray(ss->ss_names, ss->ss_count + 1,
		    sizeof(char *));
		if (grown == NULL || (grown[ss->ss_count] = strdup(p)) == NULL) {
			if (grown != NULL)
				ss->ss_names = grown;
			ret = SMIME_NORESOURCE;
			smime_err_set(err, "%s: out of memory", path);
			goto out;
		}
		ss->ss_names = grown;
		ss->ss_count++;
	}
	if (ferror(fp)) {
		smime_err_set(err, "%s: read error", path);
		goto out;
	}
	ret = SMIME_OK;
out:
	free(line);
	if (fp != NULL)
		fclose(fp);
	return ret;
}

/*
 * Pick the identity's address from the certificate at cert_path: the
 * one equal to the directory name when that is an address, else the
 * certificate's first.  *out is a copy the caller frees.
 */
static smime_status
smime_store_address(const char *entry, const char *name,
    const char *cert_path, char **out, struct smime_err *err)
{
	STACK_OF(OPENSSL_STRING) *emails = NULL;
	X509 *cert = NULL;
	BIO *bio = NULL;
	const char *pick = NULL, *e;
	smime_status ret = SMIME_SYNTAX;
	int i;

	*out = NULL;
	if ((bio = BIO_new_file(cert_path, "r")) == NULL ||
	    (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		smime_err_openssl(err, "%s: cert %s: unreadable PEM "
		    "certificate", entry, cert_path);
		goto out;
	}
	emails = X509_get1_email(cert);
	for (i = 0; i < sk_OPENSSL_STRING_num(emails) && pick == NULL; i++) {
		e = sk_OPENSSL_STRING_value(emails, i);
		if (strchr(name, '@') == NULL || smime_address_equal(e, name))
			pick = e;
	}
	if (pick == NULL) {
		ret = SMIME_POLICY;
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
	X509_free(cert);
	BIO_free(bio);
	return ret;
}

/* Join dir and name into buf; false when it does not fit. */
static bool
smime_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n > 0 && (size_t)n < len;
}

/* True when path exists (any type). */
static bool
smime_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Load one STORE/NAME entry; entry is its path. */
static smime_status
smime_store_entry(struct smime_idstore *store, const char *entry,
    const char *name, smime_warn_fn *warn, void *warnarg,
    struct smime_err *err)
{
	struct smime_senders ss = { NULL, 0 };
	struct smime_identity *id = NULL;
	const struct smime_identity *old;
	char cert[4096], key[4096], chain[4096], file[4096], msg[1024];
	char *address = NULL;
	smime_status ret = SMIME_SYNTAX;

	if (!smime_join(cert, sizeof(cert), entry, "cert.pem") ||
	    !smime_join(key, sizeof(key), entry, "key.pem") ||
	    !smime_join(chain, sizeof(chain), entry, "chain.pem") ||
	    !smime_join(file, sizeof(file), entry, "senders")) {
		smime_err_set(err, "%s: path too long", entry);
		goto out;
	}
	if (!smime_exists(cert)) {
		if (warn != NULL) {
			snprintf(msg, sizeof(msg), "%.900s: no cert.pem "
			    "(enrollment pending?); skipped", entry);
			warn(warnarg, msg);
		}
		ret = SMIME_OK;
		goto out;
	}
	if ((ret = smime_store_address(entry, name, cert, &address, err)) !=
	    SMIME_OK)
		goto out;
	if ((old = smime_idstore_find(store, address)) != NULL) {
		if (warn != NULL) {
			snprintf(msg, sizeof(msg), "%.300s: %.200s is already "
			    "configured at %.300s; store entry ignored", entry,
			    address, old->id_origin);
			warn(warnarg, msg);
		}
		ret = SMIME_OK;
		goto out;
	}
	if ((ret = smime_read_senders(file, &ss, err)) != SMIME_OK)
		goto out;
	ret = smime_identity_load(entry, address, cert, key,
	    smime_exists(chain) ? chain : NULL, ss.ss_names, ss.ss_count,
	    warn, warnarg, &id, err);
	if (ret != SMIME_OK)
		goto out;
	if (!smime_join(file, sizeof(file), entry, "revoked")) {
		ret = SMIME_SYNTAX;
		smime_err_set(err, "%s: path too long", entry);
		goto out;
	}
	id->id_revoked = smime_exists(file);
	if ((ret = smime_idstore_add0(store, id, err)) == SMIME_OK)
		id = NULL;
out:
	smime_identity_free(id);
	smime_senders_clear(&ss);
	free(address);
	return ret;
}

smime_status
smime_idstore_add_dir(struct smime_idstore *store, const char *dir,
    smime_warn_fn *warn, void *warnarg, struct smime_err *err)
{
	struct dirent **names = NULL;
	struct stat st;
	char entry[4096];
	smime_status ret = SMIME_SYNTAX;
	int i, n;

	smime_err_clear(err);
	/* sorted, so that messages and duplicates come out the same way */
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		if (errno == ENOENT)
			ret = SMIME_OK;
		else
			smime_err_set(err, "%s: %s", dir, strerror(errno));
		n = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] == '.')
			continue;
		if (!smime_join(entry, sizeof(entry), dir, names[i]->d_name)) {
			smime_err_set(err, "%s: path too long", dir);
			goto out;
		}
		if (stat(entry, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;	/* README, lock files */
		if ((ret = smime_store_entry(store, entry, names[i]->d_name,
		    warn, warnarg, err)) != SMIME_OK)
			goto out;
	}
	ret = SMIME_OK;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}
