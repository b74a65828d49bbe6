/*
 * enroll-retitle.c - smime-enroll retitle: a title change (肩書変更, e.g.
 * 衆議院議員候補 becomes 衆議院議員 after the election) is a new
 * certificate with a new OU.  One command does the five manual steps:
 * request (cr signed with the current certificate, or ir with PBM),
 * check, install, reload, and only once the new certificate is active
 * revoke the old one with reason superseded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "enroll/enroll.h"
#include "smime/credential.h"
#include "smime/import.h"

/* "serial S" text of cert into buf. */
static void
enr_serial(X509 *cert, char *buf, size_t len)
{
	BIGNUM *bn;
	char *hex = NULL;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) !=
	    NULL)
		hex = BN_bn2hex(bn);
	snprintf(buf, len, "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/*
 * Revoke old (superseded) with the CMP credentials of the new identity
 * (cert, key, chain) unless PBM or --cert/--key were given.  Exit code.
 */
static int
enr_retitle_revoke(struct enr_ctx *ec, const char *address, X509 *old,
    X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain)
{
	struct enr_cmp cm = { 0 };
	char serial[80];
	int rc;

	enr_serial(old, serial, sizeof(serial));
	if ((rc = enr_cmp_setup(ec, &cm, cert, key, chain)) != ENR_EX_OK)
		goto out;
	if (smime_cmp_revoke(&cm.cm_opts, old, CRL_REASON_SUPERSEDED,
	    &ec->ec_err) != SMIME_OK) {
		rc = ENR_EX_CA;
		enr_error(address, "the new certificate is active, but the old "
		    "one (serial %s) was not revoked: %s; retry with "
		    "\"smime-enroll revoke %s --previous --reason superseded\"",
		    serial, smime_err_get0(&ec->ec_err), address);
		goto out;
	}
	printf("revoked the previous certificate of %s (serial %s) as "
	    "superseded\n", address, serial);
	rc = ENR_EX_OK;
out:
	enr_cmp_clear(&cm);
	return rc;
}

int
enr_cmd_retitle(struct enr_ctx *ec, const char *address)
{
	struct enr_subject su;
	struct smime_profile prof;
	struct enr_cmp cm = { 0 };
	STACK_OF(X509) *chain = NULL, *extra = NULL, *newchain = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_NAME *subject = NULL;
	X509 *old = NULL, *cert = NULL, *active = NULL;
	EVP_PKEY *key = NULL, *newkey = NULL, *activekey = NULL;
	long days;
	bool expired;
	int rc = ENR_EX_INVALID, i;

	if (smime_store_is_revoked(ec->ec_store, address)) {
		enr_error(address, "marked revoked: enroll a new certificate "
		    "instead");
		goto out;
	}
	if (smime_store_load_cert(ec->ec_store, address, &old, &chain,
	    &ec->ec_err) != SMIME_OK ||
	    smime_store_load_key(ec->ec_store, address, &key, NULL,
	    &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	(void)smime_cert_days_left(old, time(NULL), &days, &expired);
	if (expired) {
		enr_error(address, "certificate has expired; it cannot sign "
		    "the request, use enroll");
		goto out;
	}
	enr_profile_from_name(ec, address, X509_get_subject_name(old), &su,
	    &prof);
	if (ec->ec_opts.eo_ou == NULL && ec->ec_opts.eo_cn == NULL &&
	    ec->ec_opts.eo_o == NULL && ec->ec_opts.eo_l == NULL &&
	    ec->ec_opts.eo_st == NULL && ec->ec_opts.eo_c == NULL) {
		rc = ENR_EX_USAGE;
		enr_error(address, "retitle needs the new --ou (or another "
		    "subject option)");
		goto out;
	}
	if (smime_profile_check(&prof, enr_warn, NULL, &ec->ec_err) !=
	    SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	/* The CA builds the path of our signature from the intermediates. */
	if ((rc = enr_add_intermediates(ec, chain)) != ENR_EX_OK)
		goto out;
	if ((rc = enr_renew_key(ec, address, key, &newkey)) != ENR_EX_OK ||
	    (rc = enr_cmp_setup(ec, &cm, old, key, chain)) != ENR_EX_OK ||
	    (rc = enr_profile_request(ec, address, &prof, newkey, &subject,
	    &exts)) != ENR_EX_OK)
		goto out;
	if (ec->ec_opts.eo_dry_run) {
		printf("would request OU \"%s\" for %s via %s (%s key), then "
		    "revoke the current certificate as superseded\n",
		    prof.pr_ou != NULL ? prof.pr_ou : "", address, cm.cm_url,
		    ec->ec_opts.eo_reuse_key ? "same" : "new");
		rc = ENR_EX_OK;
		goto out;
	}
	/* The CA must issue what we asked for: the new OU, not the old. */
	cm.cm_opts.co_same_subject = true;
	if ((rc = enr_cmp_newcert(ec, &cm, address, newkey, subject, exts,
	    &cert, &extra)) != ENR_EX_OK)
		goto out;
	for (i = 0; i < sk_X509_num(chain); i++)
		(void)X509_add_cert(extra, sk_X509_value(chain, i),
		    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP);
	if ((rc = enr_install(ec, address, "retitled", cert,
	    ec->ec_opts.eo_reuse_key ? NULL : newkey, extra)) != ENR_EX_OK)
		goto out;
	/* Active means loaded by the milter: reload before revoking. */
	if ((rc = enr_notify(ec)) != ENR_EX_OK) {
		enr_error(address, "the old certificate is not revoked while "
		    "the milter may still sign with it; reload it, then run "
		    "\"smime-enroll revoke %s --previous --reason superseded\"",
		    address);
		goto out;
	}
	ec->ec_changed = false;		/* reloaded already */
	if (smime_store_load_cert(ec->ec_store, address, &active, &newchain,
	    &ec->ec_err) != SMIME_OK || smime_store_load_key(ec->ec_store,
	    address, &activekey, NULL, &ec->ec_err) != SMIME_OK) {
		rc = ENR_EX_FAIL;
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	for (i = 0; i < sk_X509_num(chain); i++)
		(void)X509_add_cert(newchain, sk_X509_value(chain, i),
		    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP);
	rc = enr_retitle_revoke(ec, address, old, active, activekey, newchain);
out:
	enr_cmp_clear(&cm);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(newchain, X509_free);
	sk_X509_pop_free(extra, X509_free);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subject);
	X509_free(old);
	X509_free(cert);
	X509_free(active);
	EVP_PKEY_free(key);
	EVP_PKEY_free(newkey);
	EVP_PKEY_free(activekey);
	return rc;
}
