/*
 * import.h - certificates delivered by a CA (parsed by smime/credential.h:
 * PEM, DER, PKCS#7 bundle, PKCS#12 including the legacy RC2/3DES ones),
 * the checks an S/MIME signing certificate must pass, and chain
 * completion.
 */
#ifndef SMIME_IMPORT_H
#define SMIME_IMPORT_H

#include <stdbool.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

/*
 * Read a secret given as "env:VAR", "file:PATH" (first line) or "stdin"
 * (first line).  *out is a new string the caller frees with
 * OPENSSL_clear_free(s, strlen(s)).  Returns SMIME_OK or SMIME_SYNTAX.
 */
smime_status smime_secret_read(const char *spec, char **out,
    struct smime_err *err);

/*
 * Check that cert can sign mail for address with key: key matches,
 * address in SAN rfc822Name (or DN emailAddress), may sign mail
 * (smime/certpolicy.h), valid now.  smime-enroll import and the CMP
 * certConf callback ask this.
 * Returns SMIME_OK, SMIME_BADKEY, SMIME_POLICY or SMIME_EXPIRED.
 */
smime_status smime_cert_check(X509 *cert, EVP_PKEY *key,
    const char *address, struct smime_err *err);

/*
 * Pick the end-entity certificate of certs that matches key (borrowed
 * into *leaf).  Returns SMIME_OK or SMIME_BADKEY (none matches).
 */
smime_status smime_import_select(STACK_OF(X509) *certs, EVP_PKEY *key,
    X509 **leaf, struct smime_err *err);

/*
 * Build leaf's chain of intermediates from pool (may be NULL), leaf's
 * issuer first, stopping before a self-signed root.  *chain is a new
 * stack with new references.  Returns SMIME_OK or SMIME_NORESOURCE.
 */
smime_status smime_chain_build(X509 *leaf, STACK_OF(X509) *pool,
    STACK_OF(X509) **chain, struct smime_err *err);

/*
 * Days left until cert's notAfter, counted from now (seconds since the
 * epoch, usually time(NULL)) and rounded DOWN (floor): notAfter in 23
 * hours is 0 days, 30 days and 1 second is 30, one second ago is -1.
 * Every day count smime-enroll and the daemon print comes from here, so
 * that import, list, renew and check agree.  *expired is true when
 * notAfter <= now (may be NULL).  Returns false (days 0) when notAfter
 * cannot be read.
 */
bool smime_cert_days_left(const X509 *cert, time_t now, long *days,
    bool *expired);

/* One-line UTF-8 name (RFC 2253 order reversed, "CN=..., O=...") in buf. */
void smime_name_oneline(const X509_NAME *name, char *buf, size_t buflen);

/* UTF-8 value of the first nid entry of name into buf ("" when none). */
void smime_name_get_text(const X509_NAME *name, int nid, char *buf,
    size_t buflen);

#endif /* SMIME_IMPORT_H */
