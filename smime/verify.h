/*
 * verify.h - verify S/MIME signatures in a received message and describe
 * the outcome as RFC 8601 / RFC 7281 Authentication-Results.
 *
 * A verifier (trust anchors, intermediates, CRLs, OCSP settings) is built
 * once per configuration and shared read-only by all threads.
 */
#ifndef SMIME_VERIFY_H
#define SMIME_VERIFY_H

#include "smime/edits.h"
#include "smime/err.h"
#include "smime/headers.h"
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
	unsigned int	  vo_max_depth;
	unsigned int	  vo_max_parts;
};

/* RFC 7281 result keywords. */
enum smime_result {
	SMIME_RESULT_NONE,
	SMIME_RESULT_PASS,
	SMIME_RESULT_FAIL,
	SMIME_RESULT_NEUTRAL,
	SMIME_RESULT_POLICY,
	SMIME_RESULT_TEMPERROR,
	SMIME_RESULT_PERMERROR
};

struct smime_verifier;

/* Build a verifier; NULL with err set when a file cannot be loaded. */
struct smime_verifier *smime_verifier_new(const struct smime_verify_opts *opts,
    struct smime_err *err);

/* Free a verifier; accepts NULL. */
void smime_verifier_free(struct smime_verifier *v);

/*
 * Verify every S/MIME signature in the message and fill edits with the
 * header changes: forged Authentication-Results claiming our authserv-id
 * and any X-SMIME-Signer deleted, our Authentication-Results (and on pass
 * X-SMIME-Signer) prepended.  The body is never changed.  *worst receives
 * the least favourable result, for reject policies.  Returns SMIME_OK
 * whenever a result could be determined (including fail/permerror).
 */
smime_status smime_verify_message(const struct smime_verifier *v,
    const struct smime_headers *hdrs, struct smime_spool *body,
    struct smime_edits *edits, enum smime_result *worst,
    struct smime_err *err);

/* "pass", "fail", ... */
const char *smime_result_name(enum smime_result result);

#endif /* SMIME_VERIFY_H */
