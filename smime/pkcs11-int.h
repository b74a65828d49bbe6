/*
 * pkcs11-int.h - the token side of smime/pkcs11.c, shared with the
 * OpenSSL glue in smime/pkcs11-evp.c.  Not for other callers.
 */
#ifndef SMIME_PKCS11_INT_H
#define SMIME_PKCS11_INT_H

#include <stddef.h>

#include "smime/err.h"
#include "smime/smime.h"

/* Object classes a handle can name. */
enum p11_class { P11_PRIVATE_KEY, P11_CERTIFICATE };

/* Mechanisms the glue asks for. */
enum p11_mech { P11_RSA_PKCS, P11_RSA_RAW, P11_ECDSA };

/* Public half read from the token: RSA (n, e) or EC (params, point). */
struct p11_pub {
	int		 pp_type;	/* EVP_PKEY_RSA or EVP_PKEY_EC */
	unsigned char	*pp_a;		/* modulus, or DER ECParameters */
	size_t		 pp_alen;
	unsigned char	*pp_b;		/* exponent, or EC point (raw) */
	size_t		 pp_blen;
};

struct p11_key;

/*
 * Parse uri for an object of class cls into a new handle (refcount 1).
 * Does not touch the token.  Returns SMIME_OK or SMIME_SYNTAX.
 */
smime_status p11_key_new(const char *uri, enum p11_class cls,
    struct p11_key **out, struct smime_err *err);

/* The URI as given (with its query), to be stored as key.uri. */
const char *p11_key_text(const struct p11_key *k);

/* Take another reference. */
void p11_key_ref(struct p11_key *k);

/* Drop a reference; the last one closes the session.  Accepts NULL. */
void p11_key_unref(struct p11_key *k);

/* The URI without its query, for messages ("pkcs11:token=...;..."). */
const char *p11_key_display(const struct p11_key *k);

/*
 * Remember the public half the token key must have (from the
 * certificate); compared when a session opens.  Copies pub.
 */
smime_status p11_key_expect(struct p11_key *k, const struct p11_pub *pub);

/*
 * Open the token now and read the public half of the key (or, for a
 * certificate handle, its DER value into pub->pp_a).  pub is filled
 * with allocated buffers the caller frees with p11_pub_clear().
 */
smime_status p11_key_read_public(struct p11_key *k, struct p11_pub *pub,
    struct smime_err *err);

/* Free the buffers of pub; accepts an empty one. */
void p11_pub_clear(struct p11_pub *pub);

/*
 * Sign in with mechanism m: in is the DigestInfo (RSA_PKCS), the padded
 * block (RSA_RAW) or the digest (ECDSA).  out has room for *outlen
 * bytes; *outlen becomes the signature length.  Retries once after a
 * lost session.  On failure err says why (one line, naming the token).
 */
smime_status p11_key_sign(struct p11_key *k, enum p11_mech m,
    const unsigned char *in, size_t inlen, unsigned char *out,
    size_t *outlen, struct smime_err *err);

/*
 * Generate a key pair of the given kind on k's token (see
 * smime_p11_keygen()): RSA with bits, or EC with the DER curve OID.
 */
smime_status p11_key_generate(struct p11_key *k, unsigned long bits,
    const unsigned char *ec_oid, size_t ec_oidlen, struct smime_err *err);

/*
 * Create a certificate object on k's token (a handle for a certificate
 * URI; its label and id from the URI) from the DER of the certificate,
 * its subject, issuer and serial number.  Refuses (SMIME_BADKEY) when a
 * certificate already matches the URI.
 */
smime_status p11_key_put_cert(struct p11_key *k, const unsigned char *der,
    size_t derlen, const unsigned char *subj, size_t subjlen,
    const unsigned char *iss, size_t isslen, const unsigned char *serial,
    size_t seriallen, struct smime_err *err);

#endif /* SMIME_PKCS11_INT_H */
