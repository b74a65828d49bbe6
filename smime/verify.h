/*
 * verify.h - verify S/MIME signatures in a received message and describe
 * the outcome as RFC 8601 / RFC 7281 Authentication-Results.
 *
 * A verifier (trust anchors, intermediates, CRLs, OCSP settings) is built
 * once per configuration and shared by all threads (its CRL set and OCSP
 * cache lock internally).
 *
 * What is verified (application/octet-stream named *.p7s / *.p7m counts
 * as the pkcs7 type, RFC 8551 3.2.2): multipart/signed with protocol
 * application/(x-)pkcs7-signature (over the first part's header and
 * body exactly as received, CRLF-canonical, streamed from the spool) and
 * application/(x-)pkcs7-mime signed-data.  The message result describes the TOP-LEVEL entity only
 * (the rule and decision table: verify.c vfy_decide(), smime-milter(8)):
 * pass needs a signature over the whole body the reader sees; signatures
 * deeper in the tree (inside message/rfc822 too, then against that
 * message's own From) are verified for the log only and turn into one
 * smime=neutral (only part N is signed).  Each signer of the top-level
 * entity is one resinfo of ONE Authentication-Results field:
 *
 *   smime=pass       signature, path (now, purpose S/MIME signing), CRLs,
 *                    OCSP and signer address == From all good
 *   smime=fail       (content altered) (expired) (not yet valid)
 *                    (certificate revoked) (untrusted root)
 *                    (missing intermediate) (certificate invalid)
 *                    (detached signature has embedded content)
 *   smime=policy     (missing emailProtection) (signer does not match From)
 *                    (no single From address) (SHA-1 signature)
 *                    (RSA key too short)
 *   smime=neutral    (malformed signature...) (signer certificate missing)
 *                    (encrypted: signature not verifiable)
 *                    (only part N is signed)
 *   smime=temperror  (CRL unavailable) [or neutral/pass, as
 *                    vo_revocation_unavailable says; a definitive
 *                    result above always wins] (OCSP responder unreachable)
 *                    (OCSP response invalid) (OCSP status unknown)
 *                    (OCSP check failed)
 *   smime=permerror  (unsupported key) (malformed MIME structure) (MIME structure exceeds
 *                    limits) (ambiguous MIME boundary) (ambiguous MIME
 *                    header) (multipart/signed with more than two parts)
 *                    (no close delimiter) (too many signatures)
 *   smime=none       no S/MIME signature at all
 *
 * Properties: header.from, body.smime-identifier (the signer's address
 * matching From, else its first), body.smime-part (IMAP number of the
 * signed content: a multipart/signed's first part, or the pkcs7-mime part
 * itself), body.smime-serial (hex) and body.smime-issuer (RFC 4514).
 * Validity is checked at verification time; signingTime is the signer's
 * own claim and is not used.  OCSP is asked about the signer's
 * certificate only (CRLs cover the whole path); vo_revocation_scope says
 * which certificates must have revocation data.  vo_tmpdir and
 * vo_spool_memory are accepted for symmetry but unused: nothing is
 * copied, the body spool is read in place.
 */
#ifndef SMIME_VERIFY_H
#define SMIME_VERIFY_H

#include <stdbool.h>
#include <time.h>

#include "smime/edits.h"
#include "smime/err.h"
#include "smime/headers.h"
#include "smime/result.h"
#include "smime/spool.h"

struct smime_verify_opts {
	const char	 *vo_trust_anchors;	/* PEM file or hashed dir */
	const char	 *vo_intermediates;	/* PEM file, may be NULL */
	char *const	 *vo_crls;
	size_t		  vo_ncrls;
	bool		  vo_ocsp;
	unsigned int	  vo_ocsp_timeout;	/* seconds */
	const char	 *vo_authserv_id;
	bool		  vo_signer_header;	/* add X-SMIME-Signer on pass */
	const char	 *vo_tmpdir;
	size_t		  vo_spool_memory;
	/* MIME limits; 0: SMIME_MIME_DEFAULT_DEPTH/_PARTS (mime.h) */
	unsigned int	  vo_max_depth;
	unsigned int	  vo_max_parts;
	/* Revocation (see smime-milter.conf(5), verify.revocation_*). */
	enum smime_revocation_scope {
		SMIME_REVSCOPE_LEAF,	/* signer must be checked (default) */
		SMIME_REVSCOPE_CHAIN	/* every certificate below the root */
	}		  vo_revocation_scope;
	enum smime_revocation_unavail {
		SMIME_REVUNAVAIL_TEMPERROR,	/* default */
		SMIME_REVUNAVAIL_NEUTRAL,
		SMIME_REVUNAVAIL_PASS
	}		  vo_revocation_unavailable;
	bool		  vo_crl_fetch;		/* CRLs from CDP URLs */
	bool		  vo_aia_fetch;		/* CA certs from caIssuers */
	const char	 *vo_crl_cache_dir;	/* NULL: memory only */
	unsigned int	  vo_crl_fetch_timeout;	/* seconds, 0: 10 */
	size_t		  vo_crl_max_size;	/* bytes, 0: 10 MiB */
	time_t		  vo_time;		/* 0: now; else -D TIME */
	bool		  vo_allow_sha1;	/* else policy (SHA-1 ...) */
	unsigned int	  vo_min_rsa_bits;	/* 0: 2048 */
};

/* What smime_verify_message() concluded, besides the header edits. */
struct smime_verify_result {
	/* The least favourable message result, for reject policies
	 * (inner signatures never count; result.h ranks them). */
	enum smime_result	 vres_worst;
	/* One line for the log: per signer part, result, reason, address,
	 * serial and claimed signingTime (smime_sigres_summary()). */
	char			 vres_summary[SMIME_SUMMARY_MAX];
};

struct smime_verifier;

/* Build a verifier; NULL with err set when a file cannot be loaded. */
struct smime_verifier *smime_verifier_new(const struct smime_verify_opts *opts,
    struct smime_err *err);

/* Free a verifier; accepts NULL. */
void smime_verifier_free(struct smime_verifier *v);

/*
 * Verify the S/MIME signatures in the message (the message result is the
 * top-level entity's, see above) and fill edits with the header changes: forged Authentication-Results claiming our authserv-id
 * and any X-SMIME-Signer deleted, our Authentication-Results (and on pass
 * X-SMIME-Signer) prepended.  The body is never changed.  *res receives
 * the worst message result and the summary line for the log (cleared at
 * entry).  Returns SMIME_OK whenever a result could be determined
 * (including fail/permerror), err then empty; otherwise the status
 * (SMIME_TEMPFAIL, SMIME_NORESOURCE...) with the reason in err, edits
 * cleared and *res empty.
 */
smime_status smime_verify_message(const struct smime_verifier *v,
    const struct smime_headers *hdrs, struct smime_spool *body,
    struct smime_edits *edits, struct smime_verify_result *res,
    struct smime_err *err);

#endif /* SMIME_VERIFY_H */
