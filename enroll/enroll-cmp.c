/*
 * enroll-cmp.c - smime-enroll commands that talk CMP to the CA: enroll
 * (ir/cr), renew (kur) and revoke (rr).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "enroll/enroll.h"
#include "smime/credential.h"
#include "smime/cmp.h"
#include "smime/import.h"
#include "smime/keygen.h"
#include "smime/pkcs11.h"

/* Free what enr_cmp_setup() loaded. */
void
enr_cmp_clear(struct enr_cmp *cm)
{
	if (cm->cm_secret != NULL)
		OPENSSL_clear_free(cm->cm_secret, strlen(cm->cm_secret));
	X509_free(cm->cm_cert);
	EVP_PKEY_free(cm->cm_key);
	sk_X509_pop_free(cm->cm_chain, X509_free);
	memset(cm, 0, sizeof(*cm));
}

/*
 * Load the first certificate (cert != NULL) or the private key of path
 * through the credential loader: a key file is checked like the
 * daemon's (owner, mode) and never prompts for a pass phrase.
 */
bool
enr_load_pem(struct enr_ctx *ec, const char *path, X509 **cert,
    EVP_PKEY **key)
{
	STACK_OF(X509) *certs = NULL;
	struct smime_fs_policy pol;
	smime_status st;

	smime_store_policy(&ec->ec_owner, &pol);
	if (cert != NULL) {
		*cert = NULL;
		if ((certs = sk_X509_new_null()) == NULL)
			st = SMIME_NORESOURCE;
		else if ((st = smime_credential_add_certs(NULL, path, certs,
		    &ec->ec_err)) == SMIME_OK)
			*cert = sk_X509_shift(certs);
		sk_X509_pop_free(certs, X509_free);
	} else
		st = smime_credential_load_key(path, NULL, &pol, key,
		    &ec->ec_err);
	if (st == SMIME_OK)
		return true;
	enr_error(NULL, "%s", st == SMIME_NORESOURCE ? "out of memory" :
	    smime_err_get0(&ec->ec_err));
	return false;
}

/*
 * Fill cm from options and the enroll group.  Protection: PBM with
 * --secret (and --ref), else --cert/--key, else own cert/key (may be
 * NULL) for renew and revoke.  Exit code.
 */
int
enr_cmp_setup(struct enr_ctx *ec, struct enr_cmp *cm, X509 *own_cert,
    EVP_PKEY *own_key, STACK_OF(X509) *own_chain)
{
	const struct enr_opts *o = &ec->ec_opts;
	const struct smime_conf *cf = ec->ec_conf;
	const char *server = o->eo_server ? o->eo_server :
	    cf->cf_enroll_cmp_server;

	memset(cm, 0, sizeof(*cm));
	if (server == NULL) {
		enr_error(NULL, "no CMP server: use --server or set "
		    "enroll.cmp_server");
		return ENR_EX_USAGE;
	}
	snprintf(cm->cm_url, sizeof(cm->cm_url), "%s%s",
	    strstr(server, "://") == NULL ? "http://" : "", server);
	cm->cm_opts.co_server = cm->cm_url;
	cm->cm_opts.co_recipient = o->eo_recipient ? o->eo_recipient :
	    cf->cf_enroll_cmp_recipient;
	cm->cm_opts.co_trusted = o->eo_trusted ? o->eo_trusted :
	    cf->cf_enroll_cmp_trusted;
	cm->cm_opts.co_tls_trusted = o->eo_tls_trusted ? o->eo_tls_trusted :
	    cf->cf_enroll_cmp_tls_trusted;
	cm->cm_opts.co_tls_cert = o->eo_tls_cert ? o->eo_tls_cert :
	    cf->cf_enroll_cmp_tls_cert;
	cm->cm_opts.co_tls_key = o->eo_tls_key ? o->eo_tls_key :
	    cf->cf_enroll_cmp_tls_key;
	if ((cm->cm_opts.co_tls_cert == NULL) !=
	    (cm->cm_opts.co_tls_key == NULL)) {
		enr_error(NULL, "a TLS client certificate needs both --tls-cert "
		    "and --tls-key (enroll.cmp_tls_cert, enroll.cmp_tls_key)");
		return ENR_EX_USAGE;
	}
	if (o->eo_secret != NULL) {
		if (smime_secret_read(o->eo_secret, &cm->cm_secret,
		    &ec->ec_err) != SMIME_OK) {
			enr_error(NULL, "--secret: %s",
			    smime_err_get0(&ec->ec_err));
			return ENR_EX_USAGE;
		}
		cm->cm_opts.co_secret = cm->cm_secret;
		cm->cm_opts.co_ref = o->eo_ref;
	} else if (o->eo_cert != NULL || o->eo_key != NULL) {
		if (o->eo_cert == NULL || o->eo_key == NULL) {
			enr_error(NULL, "--cert and --key go together");
			return ENR_EX_USAGE;
		}
		if (!enr_load_pem(ec, o->eo_cert, &cm->cm_cert, NULL) ||
		    !enr_load_pem(ec, o->eo_key, NULL, &cm->cm_key))
			return ENR_EX_INVALID;
		cm->cm_opts.co_cert = cm->cm_cert;
		cm->cm_opts.co_key = cm->cm_key;
		/* Let the CA build the path of --cert from our intermediates. */
		if (cf->cf_enroll_intermediates != NULL) {
			if ((cm->cm_chain = sk_X509_new_null()) == NULL) {
				enr_error(NULL, "out of memory");
				return ENR_EX_FAIL;
			}
			if (enr_add_intermediates(ec, cm->cm_chain) !=
			    ENR_EX_OK)
				return ENR_EX_CONF;
			cm->cm_opts.co_untrusted = cm->cm_chain;
		}
	} else if (own_cert != NULL && own_key != NULL) {
		cm->cm_opts.co_cert = own_cert;
		cm->cm_opts.co_key = own_key;
		cm->cm_opts.co_untrusted = own_chain;
	} else {
		enr_error(NULL, "CMP needs --ref REF --secret SPEC or --cert "
		    "FILE --key FILE");
		return ENR_EX_USAGE;
	}
	return ENR_EX_OK;
}

/*
 * Without --cn, take the subject of the key's pending request
 * (STORE/ADDRESS/request.pem, saved by csr) when it is for key: the
 * admin typed it once already.  Options still replace single fields.
 * Otherwise p is the options with the enroll defaults.  Exit code.
 */
static int
enr_enroll_profile(struct enr_ctx *ec, const char *address, EVP_PKEY *key,
    struct enr_subject *su, struct smime_profile *p)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pub;
	char *pem = NULL;
	BIO *bio = NULL;
	int rc = ENR_EX_OK;

	enr_profile(ec, address, p);
	if (ec->ec_opts.eo_cn != NULL || key == NULL)
		return ENR_EX_OK;
	if (smime_store_get_request(ec->ec_store, address, &ec->ec_owner,
	    &pem, &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		return ENR_EX_INVALID;
	}
	if (pem == NULL)
		return ENR_EX_OK;	/* no csr was made: --cn is required */
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL)) == NULL)
		enr_error(address, "warning: the pending %s is unreadable; "
		    "ignored", SMIME_STORE_REQUEST);
	else if ((pub = X509_REQ_get0_pubkey(req)) == NULL ||
	    EVP_PKEY_eq(pub, key) != 1)
		enr_error(address, "warning: the pending %s is for another "
		    "key; ignored", SMIME_STORE_REQUEST);
	else {
		enr_profile_from_name(ec, address, X509_REQ_get_subject_name(
		    req), su, p);
		printf("%s: using the subject of the pending request\n",
		    address);
	}
	ERR_clear_error();
	X509_REQ_free(req);
	BIO_free(bio);
	free(pem);
	return rc;
}

int
enr_profile_request(struct enr_ctx *ec, const char *address,
    const struct smime_profile *prof, EVP_PKEY *key, X509_NAME **subject,
    STACK_OF(X509_EXTENSION) **exts)
{
	if (smime_profile_name(prof, subject, &ec->ec_err) != SMIME_OK ||
	    smime_profile_extensions(prof, EVP_PKEY_is_a(key, "RSA"), exts,
	    &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		return ENR_EX_FAIL;
	}
	return ENR_EX_OK;
}

int
enr_cmp_newcert(struct enr_ctx *ec, struct enr_cmp *cm,
    const char *address, EVP_PKEY *key, X509_NAME *subject,
    STACK_OF(X509_EXTENSION) *exts, X509 **cert, STACK_OF(X509) **extra)
{
	if (smime_cmp_certreq(&cm->cm_opts, cm->cm_secret != NULL ?
	    SMIME_CMP_IR : SMIME_CMP_CR, key, subject, exts, NULL, address,
	    cert, extra, &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		return ENR_EX_CA;
	}
	return ENR_EX_OK;
}

int
enr_cmd_enroll(struct enr_ctx *ec, const char *address)
{
	struct enr_subject su;
	struct smime_profile prof;
	struct enr_cmp cm = { 0 };
	X509_NAME *subject = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	STACK_OF(X509) *extra = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char dn[1024];
	bool generated;
	int rc;

	if ((rc = enr_get_key(ec, address, &key, &generated)) != ENR_EX_OK ||
	    (rc = enr_enroll_profile(ec, address, generated ? NULL : key, &su,
	    &prof)) != ENR_EX_OK)
		goto out;
	rc = ENR_EX_INVALID;
	if (smime_profile_check(&prof, enr_warn, NULL, &ec->ec_err) !=
	    SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	if ((rc = enr_cmp_setup(ec, &cm, NULL, NULL, NULL)) != ENR_EX_OK ||
	    (rc = enr_profile_request(ec, address, &prof, key, &subject,
	    &exts)) != ENR_EX_OK)
		goto out;
	if (ec->ec_opts.eo_dry_run) {
		smime_name_oneline(subject, dn, sizeof(dn));
		printf("would send a CMP %s for %s to %s, subject %s\n",
		    cm.cm_secret ? "ir" : "cr", address, cm.cm_url, dn);
		rc = ENR_EX_OK;
		goto out;
	}
	/* Keep a new key even if the CA fails; the next try reuses it. */
	if (generated && smime_store_save_key(ec->ec_store, address, key,
	    false, &ec->ec_owner, &ec->ec_err) != SMIME_OK) {
		rc = ENR_EX_FAIL;
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	if ((rc = enr_cmp_newcert(ec, &cm, address, key, subject, exts, &cert,
	    &extra)) != ENR_EX_OK)
		goto out;
	rc = enr_install(ec, address, "enrolled", cert, NULL, extra);
out:
	enr_cmp_clear(&cm);
	X509_NAME_free(subject);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	sk_X509_pop_free(extra, X509_free);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* The key a renewal certifies: current, --newkey FILE or a fresh one. */
int
enr_renew_key(struct enr_ctx *ec, const char *address, EVP_PKEY *cur,
    EVP_PKEY **newkey)
{
	const char *type;

	*newkey = NULL;
	/*
	 * A key on a token cannot be copied: renewing keeps it unless
	 * --pkcs11 URI (a new key on the token) or --newkey says otherwise,
	 * and never replaces it by a key on disk.
	 */
	if (ec->ec_opts.eo_reuse_key || (smime_p11_is_token_key(cur) &&
	    ec->ec_opts.eo_pkcs11 == NULL && ec->ec_opts.eo_newkey == NULL)) {
		if (!EVP_PKEY_up_ref(cur))
			return ENR_EX_FAIL;
		*newkey = cur;
		return ENR_EX_OK;
	}
	if (ec->ec_opts.eo_newkey != NULL)
		return enr_load_pem(ec, ec->ec_opts.eo_newkey, NULL, newkey) ?
		    ENR_EX_OK : ENR_EX_INVALID;
	if ((type = enr_key_type(ec)) == NULL)
		return ENR_EX_USAGE;
	return enr_new_key(ec, address, type, newkey);
}

/* Renew one identity if it expires within days; exit code. */
static int
enr_renew_one(struct enr_ctx *ec, const char *address, long within,
    bool quiet_missing)
{
	struct enr_cmp cm = { 0 };
	STACK_OF(X509) *chain = NULL, *extra = NULL;
	X509 *cert = NULL, *newcert = NULL;
	EVP_PKEY *key = NULL, *newkey = NULL;
	long days = 0;
	bool expired;
	int rc = ENR_EX_INVALID, i;

	if (smime_store_is_revoked(ec->ec_store, address)) {
		printf("%s: revoked, not renewed\n", address);
		rc = ENR_EX_OK;
		goto out;
	}
	if (smime_store_load_cert(ec->ec_store, address, &cert, &chain,
	    &ec->ec_err) != SMIME_OK) {
		if (quiet_missing) {
			printf("%s: no certificate, skipped\n", address);
			rc = ENR_EX_OK;
		} else
			enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	(void)smime_cert_days_left(cert, time(NULL), &days, &expired);
	if (days > within) {
		printf("%s: not due (%ld days left, renewing within %ld)\n",
		    address, days, within);
		rc = ENR_EX_OK;
		goto out;
	}
	if (expired) {
		enr_error(address, "certificate has expired; a key update "
		    "needs a valid one, use enroll");
		goto out;
	}
	if (smime_store_load_key(ec->ec_store, address, &key, NULL,
	    &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	/* The CA must be able to build our path: offer the intermediates. */
	if ((rc = enr_add_intermediates(ec, chain)) != ENR_EX_OK)
		goto out;
	if ((rc = enr_renew_key(ec, address, key, &newkey)) != ENR_EX_OK ||
	    (rc = enr_cmp_setup(ec, &cm, cert, key, chain)) != ENR_EX_OK)
		goto out;
	if (ec->ec_opts.eo_dry_run) {
		printf("would renew %s (%ld days left) via %s\n", address, days,
		    cm.cm_url);
		rc = ENR_EX_OK;
		goto out;
	}
	if (smime_cmp_certreq(&cm.cm_opts, SMIME_CMP_KUR, newkey, NULL, NULL,
	    cert, address, &newcert, &extra, &ec->ec_err) != SMIME_OK) {
		rc = ENR_EX_CA;
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	for (i = 0; i < sk_X509_num(chain); i++)
		(void)X509_add_cert(extra, sk_X509_value(chain, i),
		    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP);
	rc = enr_install(ec, address, "renewed", newcert,
	    ec->ec_opts.eo_reuse_key ? NULL : newkey, extra);
out:
	enr_cmp_clear(&cm);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(extra, X509_free);
	X509_free(cert);
	X509_free(newcert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(newkey);
	return rc;
}

int
enr_cmd_renew(struct enr_ctx *ec, const char *address)
{
	struct smime_store_entry *list = NULL;
	size_t n = 0, i;
	long within = ec->ec_opts.eo_within >= 0 ? ec->ec_opts.eo_within :
	    (long)ec->ec_conf->cf_enroll_renew_within;
	int rc = ENR_EX_OK, one;

	if (address != NULL)
		return enr_renew_one(ec, address, within, false);
	if (smime_store_scan(ec->ec_store, &list, &n, &ec->ec_err) !=
	    SMIME_OK) {
		enr_error(NULL, "%s", smime_err_get0(&ec->ec_err));
		return ENR_EX_FAIL;
	}
	/* Go on after a failure: one bad identity must not block the rest. */
	for (i = 0; i < n; i++)
		if ((one = enr_renew_one(ec, list[i].se_address, within, true))
		    != ENR_EX_OK && rc == ENR_EX_OK)
			rc = one;
	smime_store_entries_free(list, n);
	return rc;
}

int
enr_cmd_revoke(struct enr_ctx *ec, const char *address)
{
	struct enr_cmp cm = { 0 };
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL, *prev = NULL;
	EVP_PKEY *key = NULL;
	char path[PATH_MAX];
	int rc = ENR_EX_USAGE, reason;

	if ((reason = smime_cmp_reason(ec->ec_opts.eo_reason)) < 0) {
		enr_error(address, "--reason must be keyCompromise, "
		    "affiliationChanged, superseded or cessationOfOperation");
		goto out;
	}
	rc = ENR_EX_INVALID;
	if (smime_store_load_cert(ec->ec_store, address, &cert, &chain,
	    &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	/* Without PBM the request is signed with the identity's own key. */
	(void)smime_store_load_key(ec->ec_store, address, &key, NULL, NULL);
	ERR_clear_error();
	if ((rc = enr_cmp_setup(ec, &cm, cert, key, chain)) != ENR_EX_OK)
		goto out;
	/* --previous: the certificate the installed one superseded. */
	if (ec->ec_opts.eo_previous) {
		smime_store_path(ec->ec_store, address,
		    SMIME_STORE_CERT SMIME_STORE_PREV, path, sizeof(path));
		if (!enr_load_pem(ec, path, &prev, NULL)) {
			rc = ENR_EX_INVALID;
			goto out;
		}
		if (X509_cmp(prev, cert) == 0) {
			rc = ENR_EX_INVALID;
			enr_error(address, "%s is the installed certificate",
			    path);
			goto out;
		}
	}
	if (ec->ec_opts.eo_dry_run) {
		printf("would revoke %s (%s) via %s\n", address,
		    ec->ec_opts.eo_reason, cm.cm_url);
		goto out;
	}
	if (smime_cmp_revoke(&cm.cm_opts, prev != NULL ? prev : cert, reason,
	    &ec->ec_err) != SMIME_OK) {
		rc = ENR_EX_CA;
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	if (prev != NULL) {	/* the installed certificate stays usable */
		enr_report_cert("revoked the previous certificate of", address,
		    prev);
		rc = ENR_EX_OK;
		goto out;
	}
	rc = ENR_EX_FAIL;
	if (smime_store_mark_revoked(ec->ec_store, address,
	    ec->ec_opts.eo_reason, &ec->ec_owner, &ec->ec_err) != SMIME_OK) {
		enr_error(address, "revoked at the CA, but %s",
		    smime_err_get0(&ec->ec_err));
		goto out;
	}
	ec->ec_changed = true;
	enr_report_cert("revoked", address, cert);
	rc = ENR_EX_OK;
out:
	enr_cmp_clear(&cm);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	X509_free(prev);
	EVP_PKEY_free(key);
	return rc;
}
