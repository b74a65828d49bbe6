/*
 * idstore_crl.c - mark identities whose certificate our own CA has
 * revoked (sign.crl), so that the daemon stops signing with them even
 * before smime-enroll has written the "revoked" marker.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "smime/identity-int.h"

smime_status
smime_idstore_apply_crl(struct smime_idstore *store, const char *crl_path,
    smime_warn_fn *warn, void *warnarg, struct smime_err *err)
{
	struct smime_identity *id;
	X509_REVOKED *rev;
	X509_CRL *crl = NULL;
	BIO *bio = NULL;
	char msg[1024];
	smime_status ret = SMIME_SYNTAX;
	size_t i;

	smime_err_clear(err);
	ERR_clear_error();
	if ((bio = BIO_new_file(crl_path, "r")) == NULL) {
		smime_err_set(err, "%s: %s", crl_path, strerror(errno));
		ERR_clear_error();
		goto out;
	}
	if ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) == NULL) {
		smime_err_openssl(err, "%s: no PEM CRL", crl_path);
		goto out;
	}
	for (i = 0; i < smime_idstore_count(store); i++) {
		id = smime_idstore_get0_mutable(store, i);
		/* serial and issuer name must both match */
		if (X509_CRL_get0_by_cert(crl, &rev, id->id_cert) != 1 ||
		    id->id_revoked)
			continue;
		id->id_revoked = true;
		if (warn != NULL) {
			snprintf(msg, sizeof(msg), "%s: certificate of %s is "
			    "revoked by %s; it will not be used", id->id_origin,
			    id->id_address, crl_path);
			warn(warnarg, msg);
		}
	}
	ret = SMIME_OK;
out:
	X509_CRL_free(crl);
	BIO_free(bio);
	return ret;
}
