/*
 * certpolicy.c - may this certificate sign e-mail (see certpolicy.h for
 * the rule and why).
 */
#include <openssl/x509v3.h>

#include "smime/certpolicy.h"

smime_status
smime_certpolicy_may_sign(X509 *cert, struct smime_err *err)
{
	uint32_t flags = X509_get_extension_flags(cert);

	if ((flags & EXFLAG_INVALID) != 0) {
		smime_err_set(err, "certificate has malformed extensions");
		return SMIME_POLICY;
	}
	if ((flags & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE) == 0) {
		smime_err_set(err, "certificate KeyUsage lacks "
		    "digitalSignature; it cannot sign mail");
		return SMIME_POLICY;
	}
	/* XKU_ANYEKU alone does not count (certpolicy.h). */
	if ((flags & EXFLAG_XKUSAGE) != 0 &&
	    (X509_get_extended_key_usage(cert) & XKU_SMIME) == 0) {
		smime_err_set(err, "certificate ExtendedKeyUsage lacks "
		    "emailProtection; clients will reject its signatures");
		return SMIME_POLICY;
	}
	return SMIME_OK;
}
