/*
 * revocation.h - where the verifier learns about revocation and missing
 * CA certificates: configured CRL files and OCSP (revocation.c), CRLs
 * fetched from CRL distribution points (crlfetch.c), CA certificates
 * fetched from AIA caIssuers (aiafetch.c).  Not part of the library API.
 */
#ifndef SMIME_REVOCATION_H
#define SMIME_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/result.h"

/* ---- revocation.c ---- */

struct smime_crlset;
struct smime_ocsp_cache;

/*
 * Load the CRL files; NULL with err set when one cannot be read.  The
 * set remembers each file's mtime and size for smime_crlset_get1().
 */
struct smime_crlset *smime_crlset_new(char *const *paths, size_t npaths,
    struct smime_err *err);

/* Free the set; accepts NULL. */
void smime_crlset_free(struct smime_crlset *cs);

/*
 * A new stack holding references to the current CRLs, re-reading the
 * files first when one changed on disk (a failed re-read keeps the old
 * CRLs).  Free with sk_X509_CRL_pop_free(s, X509_CRL_free).  NULL on
 * allocation failure.
 */
STACK_OF(X509_CRL) *smime_crlset_get1(struct smime_crlset *cs);

/* New empty OCSP response cache; NULL on allocation failure. */
struct smime_ocsp_cache *smime_ocsp_cache_new(void);

/* Free the cache; accepts NULL. */
void smime_ocsp_cache_free(struct smime_ocsp_cache *c);

/* True when cert's AIA names an OCSP responder (smime_ocsp_check asks it). */
bool smime_ocsp_has_responder(X509 *cert);

/*
 * Ask the leaf's OCSP responder (AIA) about chain[0] (issuer chain[1]),
 * using the cache.  Sets *result to PASS (good or no responder named),
 * FAIL (revoked) or TEMPERROR (unreachable, timeout, bad or unknown
 * answer) and *reason to a static comment.  timeout is the hard limit in
 * seconds for the whole exchange.
 */
void smime_ocsp_check(struct smime_ocsp_cache *cache, X509_STORE *store,
    STACK_OF(X509) *chain, unsigned int timeout, enum smime_result *result,
    const char **reason);

/* ---- crlfetch.c ---- */

struct smime_crlfetch;

/*
 * A CRL fetcher: cache directory dir (must exist; NULL: memory only;
 * files that cannot be written there are simply not cached on disk), timeout in seconds per download (name lookup included;
 * 0: 10), max_size bytes per CRL (0: 10 MiB).  NULL with err set.
 */
struct smime_crlfetch *smime_crlfetch_new(const char *dir,
    unsigned int timeout, size_t max_size, struct smime_err *err);

/* Free the fetcher; accepts NULL. */
void smime_crlfetch_free(struct smime_crlfetch *f);

/*
 * A new stack with (a reference to) the current CRL that issuer signed
 * for cert, from cert's http:// CRL distribution points: from memory,
 * the disk cache, or the network (cached until its nextUpdate; failures
 * for a minute).  Empty when there is none; NULL on allocation failure.
 */
STACK_OF(X509_CRL) *smime_crlfetch_get1(struct smime_crlfetch *f, X509 *cert,
    X509 *issuer, time_t now);

/* ---- aiafetch.c ---- */

struct smime_aiafetch;

/* An AIA caIssuers fetcher (timeout seconds per fetch, 0: 10); NULL: ENOMEM. */
struct smime_aiafetch *smime_aiafetch_new(unsigned int timeout);

/* Free the fetcher; accepts NULL. */
void smime_aiafetch_free(struct smime_aiafetch *af);

/*
 * Fetch (or take from the cache) the CA certificates named by cert's
 * http:// caIssuers URL and add those not yet there to untrusted (up
 * referenced).  True when any was added.
 */
bool smime_aiafetch_add(struct smime_aiafetch *af, X509 *cert,
    STACK_OF(X509) *untrusted);

#endif /* SMIME_REVOCATION_H */
