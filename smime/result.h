/*
 * result.h - verification results (result.c): the RFC 7281 result
 * keywords and their names, the ranking of results and the worst-result
 * rule, the per-signer result list, and its one-line summary for the log.
 *
 * This is the only place that orders results.  The verifier decides
 * WHICH entries describe a message (verify.c vfy_decide()); this module
 * says how to name, rank and summarize them.  It depends on nothing else
 * of the verifier, so ar.c (formatting) and verify.c (deciding) both use
 * it without using each other's internals.
 */
#ifndef SMIME_RESULT_H
#define SMIME_RESULT_H

#include <stddef.h>

#include "smime/smime.h"

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

/* "pass", "fail", ... (RFC 7281 section 3.2.2); never NULL. */
const char *smime_result_name(enum smime_result result);

/*
 * Rank of a result for the worst-result rule, higher is less favourable:
 * none < pass < neutral < policy < temperror < permerror < fail.  A fail
 * (altered, revoked, untrusted) outranks every error: a reject policy
 * keyed on fail must not be escaped by adding a broken second signature.
 */
int smime_result_rank(enum smime_result result);

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

/* A growing array of results; all-zero is a valid empty list. */
struct smime_sigres_list {
	struct smime_sigres	*srl_list;
	size_t			 srl_count;
	size_t			 srl_alloc;
};

/* Append a zeroed entry and borrow it in *out; SMIME_NORESOURCE on ENOMEM. */
smime_status smime_sigres_add(struct smime_sigres_list *l,
    struct smime_sigres **out);

/*
 * Set sr's result and reason (reason copied, NULL: none; the old reason
 * is freed).  False on allocation failure (the result is set anyway).
 */
bool smime_sigres_set(struct smime_sigres *sr, enum smime_result result,
    const char *reason);

/* Free every entry and reset to empty; accepts NULL. */
void smime_sigres_list_clear(struct smime_sigres_list *l);

/*
 * The worst-result rule: the least favourable result of l by
 * smime_result_rank(), SMIME_RESULT_NONE when l is empty.
 */
enum smime_result smime_sigres_worst(const struct smime_sigres_list *l);

/* Size of the buffer smime_sigres_summary() fills, NUL included. */
#define SMIME_SUMMARY_MAX	1024

/*
 * One log line describing every entry of l into buf (SMIME_SUMMARY_MAX
 * bytes; cut there): per entry "part N: RESULT (reason) signer ADDR
 * serial HEX signingTime TIME", "; " between entries, entries from ntop
 * on (signatures below the top level, logged only) prefixed "inner ".
 * The claimed signingTime is reported here and nowhere else, since
 * nothing is decided on it.  Empty when l is.
 */
void smime_sigres_summary(const struct smime_sigres_list *l, size_t ntop,
    char *buf);

#endif /* SMIME_RESULT_H */
