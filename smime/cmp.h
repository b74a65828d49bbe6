/*
 * cmp.h - Certificate Management Protocol client (RFC 4210, RFC 9483
 * Lightweight CMP Profile) over HTTP (RFC 6712) or HTTPS on top of
 * OpenSSL's OSSL_CMP: initial and certification requests (ir/cr), key
 * update (kur) and revocation (rr).
 */
#ifndef SMIME_CMP_H
#define SMIME_CMP_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

/* How to reach and authenticate to the CA; everything is borrowed. */
struct smime_cmp_opts {
	const char	*co_server;	/* http[s]://host[:port]/path */
	const char	*co_ref;	/* PBM reference (senderKID) or NULL */
	const char	*co_secret;	/* PBM shared secret or NULL */
	X509		*co_cert;	/* signature protection: our cert */
	EVP_PKEY	*co_key;	/*   and its key */
	STACK_OF(X509)	*co_untrusted;	/* chain for co_cert, may be NULL */
	const char	*co_recipient;	/* "/CN=CA/O=..." or NULL */
	const char	*co_trusted;	/* PEM file: anchors for the CA's
					   signing cert; required unless PBM */
	int		 co_timeout;	/* seconds per message, 0: default */
	const char	*co_tls_trusted; /* https: PEM anchors for the server
					   certificate; NULL: system store */
	const char	*co_tls_cert;	/* https: client certificate (PEM,
					   chain may follow) or NULL */
	const char	*co_tls_key;	/*   and its unencrypted key */
	bool		 co_same_subject; /* ir/cr: certConf rejects a cert
					   whose subject lacks a value of
					   the requested one (retitle) */
};

enum smime_cmp_req {
	SMIME_CMP_IR,			/* initialization request */
	SMIME_CMP_CR,			/* certification request */
	SMIME_CMP_KUR			/* key update request */
};

/*
 * Request a certificate for newkey.  ir/cr: subject and exts (may be
 * NULL) go into the template; kur: oldcert is the certificate to update
 * (subject and SANs are copied from it), protected with co_cert/co_key.
 * Before confirming, the new cert is checked (smime_cert_check against
 * newkey and address, and with co_same_subject every attribute value of
 * subject must be in its subject); a bad one is rejected in certConf.  *cert and
 * *extra (extraCerts and caPubs of the response) are new, caller frees.
 * Returns SMIME_OK, SMIME_TEMPFAIL (no answer), SMIME_POLICY (CA said no
 * or the cert failed our checks), SMIME_SYNTAX (options) or
 * SMIME_INTERNAL.
 */
smime_status smime_cmp_certreq(const struct smime_cmp_opts *o,
    enum smime_cmp_req type, EVP_PKEY *newkey, const X509_NAME *subject,
    STACK_OF(X509_EXTENSION) *exts, X509 *oldcert, const char *address,
    X509 **cert, STACK_OF(X509) **extra, struct smime_err *err);

/*
 * Ask the CA to revoke cert for reason (a CRLReason code, see
 * smime_cmp_reason()).  Returns as smime_cmp_certreq().
 */
smime_status smime_cmp_revoke(const struct smime_cmp_opts *o, X509 *cert,
    int reason, struct smime_err *err);

/*
 * CRLReason code for keyCompromise, affiliationChanged, superseded or
 * cessationOfOperation; -1 for anything else.
 */
int smime_cmp_reason(const char *name);

#endif /* SMIME_CMP_H */
