/*
 * pkcs11.h - private keys and certificates on a PKCS#11 token (HSM, TPM
 * through tpm2-pkcs11, smart card, SoftHSM), named by an RFC 7512 URI:
 *
 *   pkcs11:token=party;object=taro;type=private
 *       ?pin-source=file:/etc/smime-milter/pin
 *       &module-path=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
 *
 * The module comes from module-path, else module-name (a p11-kit module
 * name), else every module p11-kit's configuration registers is searched
 * for the token.  The PIN comes from pin-source (a file, mode 0600 or
 * stricter, owned by us or root) or else from the environment variable
 * SMIME_PKCS11_PIN; pin-value (a PIN in the URI text) is refused.
 *
 * A token key is an ordinary EVP_PKEY (RSA or EC) whose private operation
 * is done by the token, so every caller (CMS signing, CSR, CMP) keeps its
 * one code path.  All token use is serialised by one lock (libmilter runs
 * callbacks in many threads; a token session is not to be shared).  A
 * failed operation closes the session (and re-initialises the module when
 * the device is gone), so the next one logs in again: the daemon recovers
 * when the token returns, without a restart.  A wrong PIN is not tried
 * again until the PIN file (or environment) changes, so a daemon never
 * locks a token by retrying a bad PIN for every message.
 */
#ifndef SMIME_PKCS11_H
#define SMIME_PKCS11_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

/* Environment variable read for the PIN when the URI has no pin-source. */
#define SMIME_PKCS11_PIN_ENV "SMIME_PKCS11_PIN"

/* True when s is a PKCS#11 URI ("pkcs11:" prefix, case-insensitive). */
bool smime_p11_is_uri(const char *s);

/*
 * Check the syntax of uri (RFC 7512; type, if given, must suit want:
 * "private" or "cert"; pin-value refused; pin-source must be file:
 * or an absolute path).  Does not touch any token.  Returns SMIME_OK or
 * SMIME_SYNTAX with the reason in err.
 */
smime_status smime_p11_check_uri(const char *uri, const char *want,
    struct smime_err *err);

/*
 * Make a private key handle for the token key uri.  With cert, the public
 * half is taken from cert and the token is first used at the first
 * signature (a token that is absent at start-up is not an error; its
 * key's public half is compared with cert's when the session opens).
 * Without cert, the token is opened now and the public half read from
 * it.  *out is a new EVP_PKEY the caller frees.  Returns SMIME_OK,
 * SMIME_SYNTAX (uri), SMIME_BADKEY (no such key, several keys, mismatch,
 * unsupported type) or SMIME_TEMPFAIL (token absent, wrong PIN).
 */
smime_status smime_p11_load_key(const char *uri, X509 *cert, EVP_PKEY **out,
    struct smime_err *err);

/*
 * Read the certificate object uri (CKO_CERTIFICATE) from its token.
 * *out is a new X509 the caller frees.  Returns as smime_p11_load_key().
 */
smime_status smime_p11_load_cert(const char *uri, X509 **out,
    struct smime_err *err);

/*
 * Generate a key pair of type ("rsa:2048" ... "ec:P-384", as
 * smime_keygen()) on the token of uri, labelled with the URI's object
 * (required) and its id (or 16 random bytes).  The private key is
 * sensitive and not extractable: no key material leaves the token.
 * Refuses (SMIME_BADKEY) when a private key already matches uri.  *out
 * is the new key's handle (as smime_p11_load_key() without cert).
 */
smime_status smime_p11_keygen(const char *uri, const char *type,
    EVP_PKEY **out, struct smime_err *err);

/*
 * Write cert as a certificate object (CKO_CERTIFICATE, X.509) to the
 * token of the certificate URI uri, labelled with its object and id.
 * Refuses (SMIME_BADKEY) when one already matches the URI.  Returns as
 * smime_p11_load_cert().
 */
smime_status smime_p11_store_cert(const char *uri, X509 *cert,
    struct smime_err *err);

/* True when key is a token key made by this module. */
bool smime_p11_is_token_key(const EVP_PKEY *key);

/*
 * Borrow the URI a token key was made from (as given, with its query:
 * what smime-enroll stores as key.uri); NULL for other keys.
 */
const char *smime_p11_key_uri(const EVP_PKEY *key);

/*
 * After an OpenSSL operation with a token key failed in this thread:
 * when the token was the cause, put its one-line reason into err, forget
 * it and return true (the caller reports SMIME_TEMPFAIL); false when the
 * failure was not the token's.
 */
bool smime_p11_take_error(struct smime_err *err);

/*
 * Write uri without its query part (no PIN file name, no module path)
 * into buf, for messages and listings.
 */
void smime_p11_uri_display(const char *uri, char *buf, size_t buflen);

#endif /* SMIME_PKCS11_H */
