/*
 * identity.c - load and check signing identities (certificate, private
 * key, chain, authorized senders) into a read-only store.
 *
 * Everything that can make a signature unusable or unsafe is checked
 * here, once, at start and reload: a key others can read, a key that
 * does not belong to the certificate, a certificate for another address
 * or without the S/MIME usages.  Expiry is only a warning, because the
 * operator may be about to install the renewed certificate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/address.h"
#include "smime/certpolicy.h"
#include "smime/credential.h"
#include "smime/identity.h"
#include "smime/identity-int.h"
#include "smime/import.h"

#define EXPIRY_WARN_DAYS 30

struct smime_idstore {
	struct smime_identity	**is_ids;
	size_t			  is_count;
	size_t			  is_cap;
	struct smime_fs_policy	  is_pol;	/* for sign.store */
};

struct smime_idstore *
smime_idstore_new(void)
{
	struct smime_idstore *store = calloc(1, sizeof(*store));

	if (store != NULL)
		store->is_pol.fp_strict = true;
	return store;
}

void
smime_idstore_set_policy(struct smime_idstore *store,
    const struct smime_fs_policy *p)
{
	store->is_pol = *p;
}

const struct smime_fs_policy *
smime_idstore_get0_policy(const struct smime_idstore *store)
{
	return &store->is_pol;
}

/* Free one identity and everything it owns; accepts NULL. */
void
smime_identity_free(struct smime_identity *id)
{
	size_t i;

	if (id == NULL)
		return;
	free(id->id_address);
	X509_free(id->id_cert);
	EVP_PKEY_free(id->id_key);
	sk_X509_pop_free(id->id_chain, X509_free);
	for (i = 0; i < id->id_nsenders; i++)
		free(id->id_senders[i]);
	free(id->id_senders);
	free(id->id_origin);
	free(id);
}

void
smime_idstore_free(struct smime_idstore *store)
{
	size_t i;

	if (store == NULL)
		return;
	for (i = 0; i < store->is_count; i++)
		smime_identity_free(store->is_ids[i]);
	free(store->is_ids);
	free(store);
}

const struct smime_identity *
smime_idstore_find(const struct smime_idstore *store, const char *address)
{
	size_t i;

	if (store == NULL || address == NULL)
		return NULL;
	for (i = 0; i < store->is_count; i++)
		if (smime_address_equal(store->is_ids[i]->id_address, address))
			return store->is_ids[i];
	return NULL;
}

size_t
smime_idstore_count(const struct smime_idstore *store)
{
	return store == NULL ? 0 : store->is_count;
}

const struct smime_identity *
smime_idstore_get0(const struct smime_idstore *store, size_t i)
{
	return store == NULL || i >= store->is_count ? NULL : store->is_ids[i];
}

bool
smime_identity_allows_sender(const struct smime_identity *id,
    const char *login)
{
	size_t i;

	if (id == NULL || login == NULL)
		return false;
	for (i = 0; i < id->id_nsenders; i++)
		if (strcmp(id->id_senders[i], login) == 0)
			return true;
	return false;
}

/*
 * Append id to the store, which takes ownership.  SMIME_SYNTAX when the
 * address is already there (the caller decides who wins before adding).
 */
smime_status
smime_idstore_add0(struct smime_idstore *store, struct smime_identity *id,
    struct smime_err *err)
{
	struct smime_identity **grown;
	const struct smime_identity *old;

	if ((old = smime_idstore_find(store, id->id_address)) != NULL) {
		smime_err_set(err, "%s: duplicate identity %s (already loaded "
		    "from %s)", id->id_origin, id->id_address, old->id_origin);
		return SMIME_SYNTAX;
	}
	if (store->is_count == store->is_cap) {
		grown = reallocarray(store->is_ids, store->is_cap * 2 + 8,
		    sizeof(*grown));
		if (grown == NULL) {
			smime_err_set(err, "%s: out of memory", id->id_origin);
			return SMIME_NORESOURCE;
		}
		store->is_ids = grown;
		store->is_cap = store->is_cap * 2 + 8;
	}
	store->is_ids[store->is_count++] = id;
	return SMIME_OK;
}

/*
 * Fill buf with the addresses the certificate carries (SAN rfc822Name
 * and subject emailAddress), comma separated, for error messages.
 */
static void
smime_cert_addresses(X509 *cert, char *buf, size_t len)
{
	STACK_OF(OPENSSL_STRING) *emails = X509_get1_email(cert);
	size_t used;
	int i;

	snprintf(buf, len, "none");
	for (i = 0; i < sk_OPENSSL_STRING_num(emails); i++) {
		used = i == 0 ? 0 : strlen(buf);
		snprintf(buf + used, len - used, "%s%s", i == 0 ? "" : ", ",
		    sk_OPENSSL_STRING_value(emails, i));
	}
	X509_email_free(emails);
}

/* Write t as "YYYY-MM-DD HH:MM:SS UTC" into buf. */
static void
smime_format_time(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "(unreadable time)");
}

/* Warn about validity: expired, not yet valid, or expiring soon. */
static void
smime_check_validity(const char *origin, X509 *cert, smime_warn_fn *warn,
    void *warnarg)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert);
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	char when[64], msg[SMIME_ERR_MAX];
	time_t soon = time(NULL) + EXPIRY_WARN_DAYS * 86400;
	long days = 0;

	if (warn == NULL)
		return;
	msg[0] = '\0';
	if (X509_cmp_current_time(na) <= 0) {
		smime_format_time(na, when, sizeof(when));
		snprintf(msg, sizeof(msg), "%s: certificate expired on %s; it "
		    "cannot produce signatures that verify", origin, when);
	} else if (X509_cmp_current_time(nb) >= 0) {
		smime_format_time(nb, when, sizeof(when));
		snprintf(msg, sizeof(msg), "%s: certificate is not valid "
		    "before %s", origin, when);
	} else if (X509_cmp_time(na, &soon) <= 0) {
		smime_format_time(na, when, sizeof(when));
		(void)smime_cert_days_left(cert, time(NULL), &days, NULL);
		snprintf(msg, sizeof(msg), "%s: certificate expires on %s "
		    "(in %ld days); renew it", origin, when, days);
	}
	if (msg[0] != '\0')
		warn(warnarg, msg);
}

/* The certificate may sign mail (smime/certpolicy.h); origin prefixes. */
static smime_status
smime_check_usage(const char *origin, X509 *cert, struct smime_err *err)
{
	struct smime_err why;
	smime_status ret;

	smime_err_clear(&why);
	if ((ret = smime_certpolicy_may_sign(cert, &why)) != SMIME_OK)
		smime_err_set(err, "%s: %s", origin, smime_err_get0(&why));
	return ret;
}

/* Copy address with the domain lower-cased; NULL on allocation failure. */
static char *
smime_address_copy(const char *address)
{
	char *copy = strdup(address), *p;

	if (copy != NULL && (p = strrchr(copy, '@')) != NULL)
		for (; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return copy;
}

smime_status
smime_identity_build(const char *origin, const char *address,
    const char *cert_name, X509 *cert, const char *key_name, EVP_PKEY *key,
    STACK_OF(X509) *chain, char *const *senders, size_t nsenders,
    smime_warn_fn *warn, void *warnarg, struct smime_identity **out,
    struct smime_err *err)
{
	struct smime_identity *id = NULL;
	char have[512];
	smime_status ret = SMIME_NORESOURCE;
	size_t i;

	*out = NULL;
	if ((id = calloc(1, sizeof(*id))) == NULL) {
		smime_err_set(err, "%s: out of memory", origin);
		X509_free(cert);
		EVP_PKEY_free(key);
		sk_X509_pop_free(chain, X509_free);
		goto out;
	}
	id->id_cert = cert;
	id->id_key = key;
	id->id_chain = chain;
	if ((id->id_origin = strdup(origin)) == NULL ||
	    (id->id_address = smime_address_copy(address)) == NULL ||
	    (id->id_chain == NULL && (id->id_chain = sk_X509_new_null()) ==
	    NULL) || (nsenders > 0 && (id->id_senders = calloc(nsenders,
	    sizeof(char *))) == NULL)) {
		smime_err_set(err, "%s: out of memory", origin);
		goto out;
	}
	for (i = 0; i < nsenders; i++) {
		if ((id->id_senders[i] = strdup(senders[i])) == NULL) {
			smime_err_set(err, "%s: out of memory", origin);
			goto out;
		}
		id->id_nsenders++;
	}
	ERR_clear_error();
	if (X509_check_private_key(id->id_cert, id->id_key) != 1) {
		ret = SMIME_BADKEY;
		smime_err_openssl(err, "%s: key %s does not match certificate "
		    "%s", origin, key_name, cert_name);
		goto out;
	}
	if (!smime_cert_has_address(id->id_cert, id->id_address)) {
		ret = SMIME_POLICY;
		smime_cert_addresses(id->id_cert, have, sizeof(have));
		smime_err_set(err, "%s: certificate %s is not issued to %s "
		    "(it carries: %s)", origin, cert_name, address, have);
		goto out;
	}
	if ((ret = smime_check_usage(origin, id->id_cert, err)) != SMIME_OK)
		goto out;
	smime_check_validity(origin, id->id_cert, warn, warnarg);
	*out = id;
	id = NULL;
	ret = SMIME_OK;
out:
	smime_identity_free(id);
	return ret;
}

/* Prefix err's text with "origin: ". */
static void
smime_err_prefix(struct smime_err *err, const char *origin)
{
	char text[SMIME_ERR_MAX];

	if (err == NULL)
		return;
	snprintf(text, sizeof(text), "%s", smime_err_get0(err));
	smime_err_set(err, "%s: %s", origin, text);
}

/*
 * Load and check one identity from files through the credential loader
 * (the key with pol); see smime_idstore_add_files().
 */
static smime_status
smime_identity_load(const struct smime_fs_policy *pol, const char *origin,
    const char *address, const char *cert_path, const char *key_path,
    const char *chain_path, char *const *senders, size_t nsenders,
    smime_warn_fn *warn, void *warnarg, struct smime_identity **out,
    struct smime_err *err)
{
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert;
	smime_status ret = SMIME_NORESOURCE;

	*out = NULL;
	if ((certs = sk_X509_new_null()) == NULL ||
	    (chain_path != NULL && (chain = sk_X509_new_null()) == NULL)) {
		smime_err_set(err, "%s: out of memory", origin);
		goto out;
	}
	/* The first certificate of the file is the identity's. */
	if ((ret = smime_credential_add_certs(NULL, cert_path, certs, err)) !=
	    SMIME_OK || (ret = smime_credential_load_key(key_path,
	    sk_X509_value(certs, 0), pol, &key, err)) != SMIME_OK ||
	    (chain_path != NULL && (ret = smime_credential_add_certs(NULL,
	    chain_path, chain, err)) != SMIME_OK)) {
		smime_err_prefix(err, origin);
		goto out;
	}
	cert = sk_X509_shift(certs);
	ret = smime_identity_build(origin, address, cert_path, cert, key_path,
	    key, chain, senders, nsenders, warn, warnarg, out, err);
	key = NULL;
	chain = NULL;
out:
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	return ret;
}

smime_status
smime_idstore_add_files(struct smime_idstore *store, const char *origin,
    const char *address, const char *cert_path, const char *key_path,
    const char *chain_path, char *const *senders, size_t nsenders,
    smime_warn_fn *warn, void *warnarg, struct smime_err *err)
{
	struct smime_identity *id = NULL;
	smime_status ret;

	smime_err_clear(err);
	ret = smime_identity_load(&store->is_pol, origin, address, cert_path,
	    key_path, chain_path, senders, nsenders, warn, warnarg, &id, err);
	if (ret == SMIME_OK && (ret = smime_idstore_add0(store, id, err)) ==
	    SMIME_OK)
		id = NULL;
	smime_identity_free(id);
	return ret;
}

struct smime_identity *
smime_idstore_get0_mutable(struct smime_idstore *store, size_t i)
{
	return store == NULL || i >= store->is_count ? NULL : store->is_ids[i];
}
