/*
 * certpolicy.h - the one answer to "may this certificate sign e-mail?",
 * asked by signing (sign.c, before every signature), identity loading
 * (identity.c, at start and reload), import and enrollment (import.c's
 * smime_cert_check(), which smime-enroll import and the CMP certConf
 * callback in cmp.c call).
 *
 * The rule (RFC 8550 section 4.4, RFC 5280 sections 4.2.1.3 and
 * 4.2.1.12):
 *   - extensions OpenSSL cannot parse: no;
 *   - keyUsage, when present, must assert digitalSignature
 *     (nonRepudiation alone is not enough);
 *   - extendedKeyUsage, when present, must list id-kp-emailProtection;
 *     anyExtendedKeyUsage does not stand in for it;
 *   - either extension absent: no restriction (RFC 5280).
 * Validity in time and the address are the callers' (each has its own
 * moment: a configured identity may be about to be renewed).
 *
 * Why anyExtendedKeyUsage is not enough: RFC 8550 4.4.4 lets a receiving
 * agent accept it, but the verifiers our recipients run do not (OpenSSL's
 * S/MIME signing purpose and mozilla::pkix in Thunderbird require
 * emailProtection when an EKU is present, and so does our own verifier),
 * and the CA/Browser Forum S/MIME Baseline Requirements forbid it in
 * subscriber certificates; a signature made with it would fail where it
 * matters.  Why digitalSignature: the S/MIME BR require it for signing
 * certificates; a nonRepudiation-only certificate is a "content
 * commitment" certificate meant for a person's own signatures, not for a
 * gateway's.
 */
#ifndef SMIME_CERTPOLICY_H
#define SMIME_CERTPOLICY_H

#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

/*
 * Check cert against the rule above.  Returns SMIME_OK, or SMIME_POLICY
 * with "certificate ...: why" in err (the caller adds whose).
 */
smime_status smime_certpolicy_may_sign(X509 *cert, struct smime_err *err);

#endif /* SMIME_CERTPOLICY_H */
