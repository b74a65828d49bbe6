/*
 * credential.h - the one loader for certificates, certificate chains and
 * private keys, whatever reads them: the daemon's configured identities
 * and its store, smime-enroll's import, CMP and store commands, the
 * verifier's extra certificates.
 *
 * Modelled on OpenSSL's apps/lib/apps.c load_key_certs_crls() (one
 * parser for every format) and OpenSSH's authfile.c (one permission
 * check for private key files):
 *   - it never prompts on a terminal: every PEM and PKCS#12 read gets
 *     smime_credential_pass_cb(), which hands over the password it was
 *     given or refuses;
 *   - a private key file is read through smime/safefs.c: owner root, us
 *     (or the milter's user), writable by nobody else, readable by nobody
 *     but its owner and the group of its directory (0600, or 0640 with
 *     the milter's group); links and directories on the way as
 *     smime_fs_check_path() checks them;
 *   - every buffer that held key material is wiped (OPENSSL_clear_free);
 *   - every message starts with the file it is about: "FILE: reason".
 *
 * A key or certificate is named by a reference: a file path, or a
 * "pkcs11:" URI (RFC 7512) that smime_credential_load_key() and
 * smime_credential_add_certs() hand to smime/pkcs11.h, so that a token
 * key can stand wherever a key file can.
 */
#ifndef SMIME_CREDENTIAL_H
#define SMIME_CREDENTIAL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/safefs.h"
#include "smime/smime.h"

/*
 * OpenSSL pem_password_cb: copy the NUL-terminated password u into buf,
 * or fail (-1) when u is NULL or too long.  Never asks a terminal.
 */
int smime_credential_pass_cb(char *buf, int size, int rwflag, void *u);

/*
 * Parse len bytes of buf, named name in messages, in any format we
 * accept: PEM (certificates, PKCS#7, private keys, encrypted ones with
 * pass) or DER (a certificate, PKCS#7 or PKCS#12).  pkey (may be NULL:
 * keys are ignored) receives the first private key or NULL; certs (may
 * be NULL) a new stack of every certificate, in file order, possibly
 * empty.  pass (may be NULL) decrypts keys and PKCS#12; pass_option
 * names how a user gives it in messages ("--pass"), NULL when encrypted
 * keys are not supported there.  Returns SMIME_OK, SMIME_SYNTAX (not a
 * format we read), SMIME_BADKEY (a key that cannot be read or
 * decrypted) or SMIME_NORESOURCE; the caller frees both outputs.
 */
smime_status smime_credential_parse(const char *name, const void *buf,
    size_t len, const char *pass, const char *pass_option, EVP_PKEY **pkey,
    STACK_OF(X509) **certs, struct smime_err *err);

/*
 * Read the file path into a new NUL-terminated buffer *buf of *len
 * bytes, to be freed with smime_credential_buf_free().  secret: the file
 * holds a private key and is checked as described above with pol (NULL:
 * strict, no milter user).  Not secret and pol NULL: a plain read of a
 * public file (certificates, a CA's delivery), links followed.  At most
 * SMIME_FS_MAX_FILE bytes.  Returns SMIME_OK, SMIME_BADKEY (a key file
 * others may read), SMIME_POLICY (unsafe owner, mode or path),
 * SMIME_TEMPFAIL (missing, I/O) or SMIME_NORESOURCE.
 */
smime_status smime_credential_read(const struct smime_fs_policy *pol,
    const char *path, bool secret, char **buf, size_t *len,
    struct smime_err *err);

/* Wipe and free a buffer of len bytes from smime_credential_read();
 * accepts NULL. */
void smime_credential_buf_free(char *buf, size_t len);

/*
 * Load the private key ref names: a file path (checked as a secret with
 * pol, NULL: strict; encrypted key files are refused), or a "pkcs11:"
 * URI, handed to smime/pkcs11.h with cert (may be NULL) as the key's
 * public half.  *out is a new key the caller frees.  Returns SMIME_OK,
 * SMIME_BADKEY (missing, unreadable, unsafe mode, not a key),
 * SMIME_POLICY (unsafe owner or path), SMIME_SYNTAX (bad URI),
 * SMIME_TEMPFAIL (token absent, wrong PIN) or SMIME_NORESOURCE; err says
 * "REF: reason".
 */
smime_status smime_credential_load_key(const char *ref, X509 *cert,
    const struct smime_fs_policy *pol, EVP_PKEY **out,
    struct smime_err *err);

/*
 * The same for the key file name in the store directory dirfd (where
 * names it), read with smime_fs_read() (no link followed, one hard
 * link).  A missing file is SMIME_BADKEY with *missing true (missing may
 * be NULL).
 */
smime_status smime_credential_load_key_at(const struct smime_fs_policy *pol,
    int dirfd, const char *where, const char *name, EVP_PKEY **out,
    bool *missing, struct smime_err *err);

/*
 * The key of a store identity directory dirfd (where names it): key.pem,
 * or key.uri holding the pkcs11: URI of a key on a token (smime-enroll
 * keygen --pkcs11), loaded with cert (may be NULL) as its public half.
 * Both files present is SMIME_BADKEY; neither is SMIME_BADKEY with
 * *missing true (missing may be NULL).  Other returns as
 * smime_credential_load_key().
 */
smime_status smime_credential_load_store_key(
    const struct smime_fs_policy *pol, int dirfd, const char *where,
    X509 *cert, EVP_PKEY **out, bool *missing, struct smime_err *err);

/*
 * Append every certificate of the file path (PEM, or DER certificate,
 * PKCS#7 or PKCS#12 without a password), or the certificate object of a
 * "pkcs11:" URI, to into.  pol NULL: a public
 * file, not checked; else checked as smime_fs_read_path() describes.
 * Returns SMIME_OK, SMIME_SYNTAX (missing, unreadable, no certificate),
 * SMIME_POLICY or SMIME_NORESOURCE.
 */
smime_status smime_credential_add_certs(const struct smime_fs_policy *pol,
    const char *path, STACK_OF(X509) *into, struct smime_err *err);

/*
 * The certificates of the file name in the store directory dirfd (where
 * names it) into a new stack *out (at least one).  Missing: SMIME_OK with
 * *out NULL and *missing true (missing may be NULL: then SMIME_SYNTAX).
 */
smime_status smime_credential_load_certs_at(
    const struct smime_fs_policy *pol, int dirfd, const char *where,
    const char *name, STACK_OF(X509) **out, bool *missing,
    struct smime_err *err);

#endif /* SMIME_CREDENTIAL_H */
