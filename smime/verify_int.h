/*
 * verify_int.h - internals shared by verify.c, signerinfo.c, vopaque.c,
 * revocation.c, ar.c and hp.c.
 * Not part of the library API.
 */
#ifndef SMIME_VERIFY_INT_H
#define SMIME_VERIFY_INT_H

#include <pthread.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "smime/verify.h"

/* The outcome for one signer (or one unverifiable signed entity). */
struct smime_sigres {
	enum smime_result	 sr_result;
	char			*sr_reason;	/* comment text, NULL: none */
	char			*sr_part;	/* IMAP part number, "1.2" */
	char			*sr_from;	/* From address compared, or NULL */
	char			*sr_identifier;	/* signer's address, or NULL */
	char			*sr_serial;	/* hex, or NULL */
	char			*sr_issuer;	/* RFC 4514, or NULL */
	char			*sr_signer;	/* "CN=.., O=.., OU=.." UTF-8 */
	char			*sr_signing_time; /* claimed, ISO 8601, or NULL */
	char			*sr_protected;	/* RFC 9788 fields, "from, to" */
};

struct smime_sigres_list {
	struct smime_sigres	*srl_list;
	size_t			 srl_count;
	size_t			 srl_alloc;
};

/* Append a zeroed entry and borrow it in *out; SMIME_NORESOURCE on ENOMEM. */
smime_status smime_sigres_add(struct smime_sigres_list *l,
    struct smime_sigres **out);

/* Free every entry and reset to empty; accepts NULL. */
void smime_sigres_list_clear(struct smime_sigres_list *l);

/* ---- ar.c ---- */

/*
 * The Authentication-Results value for the results (smime=none when the
 * list is empty), folded with "\n\t" before 78 columns.  Caller frees;
 * NULL on allocation failure.
 */
char *smime_ar_format(const char *authserv_id,
    const struct smime_sigres_list *l);

/*
 * True when an Authentication-Results value names authserv_id (ASCII
 * case-insensitive, after skipping CFWS; a quoted authserv-id is
 * unquoted first).
 */
bool smime_ar_is_ours(const char *value, const char *authserv_id);

/* Bytes of signer text (UTF-8) kept in X-SMIME-Signer; " ..." marks a cut. */
#define SMIME_SIGNER_MAX	512

/*
 * Encode UTF-8 text as an unstructured header value (RFC 5322 2.2.1,
 * RFC 2047) after capping it at SMIME_SIGNER_MAX bytes and replacing
 * each invalid UTF-8 byte and each invisible or bidirectional-formatting
 * character (C1, U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, ...) with
 * one '?', so the text displays as what it is: printable ASCII
 * without "=?" stays plain, folded at its spaces ("\n ") so that no line
 * passes 78 columns after a field name of name_len characters; anything
 * else (non-ASCII, control characters, an "=?" that a reader would
 * decode as an encoded-word, a word too long to fold) becomes RFC 2047
 * B encoded-words of at most 75 characters that never split a
 * character, folded with "\n\t" within 76 columns.
 * Caller frees; NULL on allocation failure.
 */
char *smime_rfc2047_encode(const char *text, size_t name_len);

/*
 * Fill edits: delete the fields forged.h says could pass for ours (A-R
 * with our authserv-id and an smime result or unparsable, every
 * X-SMIME-Signer), prepend one A-R and (signer_header) one X-SMIME-Signer per passing
 * signer.
 */
smime_status smime_ar_edits(const char *authserv_id, bool signer_header,
    const struct smime_headers *hdrs, const struct smime_sigres_list *l,
    struct smime_edits *edits);

/* ---- hp.c ---- */

struct smime_mime_part;

/*
 * RFC 9788 check of one multipart/signed entity whose results are
 * l->srl_list[first..]: when its signed part content carries hp=, compare
 * the protected fields with outer (the enclosing message's header).  A
 * difference turns each pass into policy with the reason naming the
 * field; agreement records the field list in sr_protected of each pass
 * when top (the entity is the message itself, so the marker field speaks
 * about what the reader sees).  Returns SMIME_OK or SMIME_NORESOURCE.
 */
smime_status smime_hp_check(struct smime_sigres_list *l, size_t first,
    const struct smime_mime_part *content, const struct smime_headers *outer,
    bool top);

/*
 * The same for application/pkcs7-mime signed-data: the protected fields
 * are read from the header of the MIME entity in content (the eContent,
 * as vopaque.c spooled it).
 */
smime_status smime_hp_check_opaque(struct smime_sigres_list *l, size_t first,
    struct smime_spool *content, const struct smime_headers *outer, bool top);

/* The X-SMIME-Protected field's name and the folded value for fields. */
#define SMIME_HP_MARKER	"X-SMIME-Protected"
char *smime_hp_marker(const char *fields);

/* ---- verify.c: the verifier's settings and trust (see verify.h) ---- */

struct smime_verifier {
	X509_STORE		*v_store;
	STACK_OF(X509)		*v_intermediates;	/* never NULL */
	struct smime_crlset	*v_crls;	/* NULL: no CRL checks */
	struct smime_ocsp_cache	*v_ocsp;	/* NULL: no OCSP */
	unsigned int		 v_ocsp_timeout;
	struct smime_crlfetch	*v_fetch;	/* NULL: no CDP fetching */
	struct smime_aiafetch	*v_aia;		/* NULL: no caIssuers fetching */
	enum smime_revocation_scope v_revscope;
	enum smime_revocation_unavail v_revunavail;
	time_t			 v_time;	/* 0: now */
	bool			 v_allow_sha1;
	unsigned int		 v_min_rsa_bits;
	char			*v_authserv_id;
	bool			 v_signer_header;
	unsigned int		 v_max_depth;
	unsigned int		 v_max_parts;
	char			*v_tmpdir;	/* spool of opaque content */
	size_t			 v_spool_memory;
};

/* ---- vopaque.c ---- */

/*
 * Split an opaque SignedData read from src (DER or BER) into a detached
 * *cms (new, caller frees) and its encapsulated content octets, appended
 * to content, in memory that does not grow with the content (vopaque.c).
 * *nid is the ContentInfo's type; for anything but signedData the call
 * returns SMIME_OK with *cms NULL.  When the re-wrapped SignedData is over
 * a limit of cmslimit.h, SMIME_OK with *cms NULL and *limit naming it
 * (report permerror); else *limit is NULL.  Returns SMIME_OK, SMIME_SYNTAX
 * (malformed, or no encapsulated content), SMIME_TEMPFAIL (reading or
 * spooling failed) or SMIME_NORESOURCE.
 */
smime_status smime_opaque_split(BIO *src, struct smime_spool *content,
    int *nid, CMS_ContentInfo **cms, const char **limit,
    struct smime_err *err);

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

#endif /* SMIME_VERIFY_INT_H */
