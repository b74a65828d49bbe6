/*
 * p11cert - test helper: write the PEM certificate FILE as a certificate
 * object to the token of the PKCS#11 URI (what an operator does with
 * pkcs11-tool or p11tool; Debian 12's softhsm2-util cannot import
 * certificates).  Usage: p11cert URI FILE.  Exit 0 or 1.
 */
#include <stdio.h>

#include <openssl/pem.h>

#include "smime/pkcs11.h"

int
main(int argc, char **argv)
{
	struct smime_err err;
	X509 *cert = NULL;
	FILE *fp;
	int rc = 1;

	smime_err_clear(&err);
	if (argc != 3) {
		fprintf(stderr, "usage: p11cert URI FILE\n");
		return 2;
	}
	if ((fp = fopen(argv[2], "r")) == NULL ||
	    (cert = PEM_read_X509(fp, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "p11cert: %s: no PEM certificate\n", argv[2]);
		goto out;
	}
	if (smime_p11_store_cert(argv[1], cert, &err) != SMIME_OK) {
		fprintf(stderr, "p11cert: %s\n", smime_err_get0(&err));
		goto out;
	}
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	X509_free(cert);
	return rc;
}
