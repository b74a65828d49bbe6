/*
 * forged.h - which incoming header fields could be mistaken for our own
 * results, and must go before the message is delivered (RFC 8601 5).
 *
 * The rule, on every path (signed, unsigned, verify off, over the header
 * limit):
 *  - every X-SMIME-Signer and X-SMIME-Protected field (only we write
 *    them);
 *  - every Authentication-Results field whose authserv-id is ours and
 *    that reports an "smime" result, or that cannot be parsed as
 *    RFC 8601 at all (what it claims is unknowable);
 *  - with remove_all, every Authentication-Results field with our
 *    authserv-id (OpenDKIM's RemoveARAll).
 * Results of other methods under our authserv-id (a dkim=pass that
 * OpenDKIM, running earlier in the same MTA, just added) stay.
 *
 * The decision is made per field as the MTA hands it over, so it needs
 * no stored header and costs time linear in the header's size.
 */
#ifndef SMIME_FORGED_H
#define SMIME_FORGED_H

#include <stdbool.h>
#include <stddef.h>

#include "smime/edits.h"

#define SMIME_AR_NAME		"Authentication-Results"
#define SMIME_SIGNER_NAME	"X-SMIME-Signer"
#define SMIME_PROTECTED_NAME	"X-SMIME-Protected"	/* = SMIME_HP_MARKER */

/* What an Authentication-Results value says about authserv_id. */
enum smime_ar_claim {
	SMIME_AR_OTHER,		/* another authserv-id: not ours to judge */
	SMIME_AR_OURS,		/* ours, parsed, no smime result */
	SMIME_AR_OURS_SMIME,	/* ours, reports an smime result */
	SMIME_AR_OURS_BAD	/* ours (or may be), not parsable */
};

/*
 * Parse an Authentication-Results value (RFC 8601 2.2: authserv-id,
 * optional version, "none" or resinfos; comments, quoted-strings and
 * folding anywhere CFWS may be) and classify it against authserv_id
 * (ASCII case-insensitive).  A value whose text before the first ';' is
 * ours after removing comments, quotes and blanks counts as ours even when
 * its authserv-id does not parse or reads differently ("mx".example), and
 * is then unparsable (SMIME_AR_OURS_BAD).  Linear in the value.
 */
enum smime_ar_claim smime_ar_classify(const char *value,
    const char *authserv_id);

/*
 * True when the field name: value must be removed under the rule above.
 * name is compared case-insensitively, ignoring trailing blanks.
 */
bool smime_forged_field(const char *name, const char *value,
    const char *authserv_id, bool remove_all);

/*
 * Positions of fields to remove, as the MTA counts them (1-based per
 * name).  Feed every header field in order with smime_forged_see(); the
 * value may be NULL when it could not be kept, which removes the field
 * when its name is one of ours.
 */
struct smime_forged_name {
	size_t	 fn_seen;	/* fields of this name so far */
	size_t	*fn_remove;	/* their indices to remove */
	size_t	 fn_count;
	size_t	 fn_alloc;
};

enum { SMIME_FORGED_AR, SMIME_FORGED_SIGNER, SMIME_FORGED_PROTECTED,
	SMIME_FORGED_NNAMES };

struct smime_forged {
	struct smime_forged_name fg_name[SMIME_FORGED_NNAMES];
};

/* Number of fields queued for removal. */
size_t smime_forged_count(const struct smime_forged *fg);

/* Initialise empty (no allocation). */
void smime_forged_init(struct smime_forged *fg);

/* Free and reset; accepts NULL. */
void smime_forged_clear(struct smime_forged *fg);

/*
 * Account for one header field.  SMIME_NORESOURCE on allocation failure
 * (the caller must then not let the message through unchanged).
 */
smime_status smime_forged_see(struct smime_forged *fg, const char *name,
    const char *value, const char *authserv_id, bool remove_all);

/* Queue a deletion in ed for every field recorded in fg. */
smime_status smime_forged_edits(const struct smime_forged *fg,
    struct smime_edits *ed);

#endif /* SMIME_FORGED_H */
