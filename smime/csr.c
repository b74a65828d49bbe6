/* csr.c - build and sign a PKCS#10 request from a checked profile. */
#include <string.h>

#include <openssl/x509v3.h>

#include "smime/csr.h"

const char *
smime_csr_digest(const EVP_PKEY *key)
{
	/* Match the hash to the curve strength (RFC 5480 section 4). */
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256)
		return "SHA384";
	return "SHA256";
}

smime_status
smime_csr_build(const struct smime_profile *p, EVP_PKEY *key,
    smime_profile_warn_fn *warn, void *warnarg, X509_REQ **out,
    struct smime_err *err)
{
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	EVP_MD *md = NULL;
	smime_status ret = SMIME_INTERNAL;

	*out = NULL;
	if ((ret = smime_profile_check(p, warn, warnarg, err)) != SMIME_OK)
		goto out;
	if ((ret = smime_profile_name(p, &name, err)) != SMIME_OK ||
	    (ret = smime_profile_extensions(p, EVP_PKEY_is_a(key, "RSA"),
	    &exts, err)) != SMIME_OK)
		goto out;
	ret = SMIME_INTERNAL;
	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_add_extensions(req, exts)) {
		smime_err_openssl(err, "cannot build certificate request");
		goto out;
	}
	if ((md = EVP_MD_fetch(NULL, smime_csr_digest(key), NULL)) == NULL ||
	    X509_REQ_sign(req, key, md) <= 0) {
		smime_err_openssl(err, "cannot sign certificate request");
		goto out;
	}
	ret = SMIME_OK;
out:
	EVP_MD_free(md);
	X509_NAME_free(name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (ret == SMIME_OK)
		*out = req;
	else
		X509_REQ_free(req);
	return ret;
}
