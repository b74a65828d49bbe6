/*
 * signpolicy.h - signing policy by destination, and the submitter's
 * request not to sign.
 *
 * A rule maps a recipient pattern to an action.  Patterns come normalized
 * (conf/destconf.c checks and normalizes what the administrator writes):
 *   "local@domain"  that address (compared with smime_address_equal(),
 *                   like every address comparison of the library);
 *   "domain"        every address @domain, that domain only;
 *   ".domain"       every address in a subdomain of domain (at any
 *                   depth), not domain itself;
 * domains in lower-case ASCII (an IDN as the MTA passes it: A-labels, or
 * U-labels in UTF-8 for SMTPUTF8 mail).  For one recipient the most
 * specific rule wins: its address, then its domain, then the nearest
 * parent ".domain"; no rule means SMIME_DEST_SIGN.  For a message, the
 * strictest action that still signs wins (smime_dest_combine()):
 * opaque over sign over skip, so a message is only left unsigned when
 * every recipient's rule says skip.
 */
#ifndef SMIME_SIGNPOLICY_H
#define SMIME_SIGNPOLICY_H

#include <stdbool.h>
#include <stddef.h>

/* Ordered: a larger value is stricter (smime_dest_combine()). */
enum smime_dest_action {
	SMIME_DEST_SKIP = 0,	/* leave unsigned */
	SMIME_DEST_SIGN = 1,	/* multipart/signed (the default) */
	SMIME_DEST_OPAQUE = 2	/* application/pkcs7-mime signed-data */
};

struct smime_dest_rule {
	char			*dr_pattern;	/* normalized, see above */
	enum smime_dest_action	 dr_action;
	int			 dr_line;	/* where it was written, for */
	bool			 dr_in_file;	/* messages and -T (0: none) */
};

/* The submitter's X-SMIME-Sign request, see smime_signreq_parse(). */
enum smime_signreq {
	SMIME_SIGNREQ_YES,	/* "yes": the destination policy applies */
	SMIME_SIGNREQ_NO,	/* "no": do not sign */
	SMIME_SIGNREQ_INVALID	/* anything else: ignored */
};

#define SMIME_SIGNREQ_NAME	"X-SMIME-Sign"

/* "skip", "sign" or "opaque". */
static inline const char *
smime_dest_action_name(enum smime_dest_action action)
{
	return action == SMIME_DEST_SKIP ? "skip" :
	    action == SMIME_DEST_OPAQUE ? "opaque" : "sign";
}

/*
 * The action for one recipient address ("local@domain" as
 * smime_address_from_header() returns it; a domain's trailing dot is
 * ignored) under rules[0..n), which must be sorted by strcasecmp() of
 * dr_pattern (conf/destconf.c sorts them).  *rule (may be NULL) receives
 * the rule that decided, NULL when none did (SMIME_DEST_SIGN).  A local
 * part that routes ('%' percent hack, '!' bang path, '@' in a quoted
 * local part: the MTA may relay to the domain named there) is never
 * SMIME_DEST_SKIP, and each name in
 * it is looked up as a domain too, the strictest action winning.
 * O(log n) per label of the domain.
 */
enum smime_dest_action smime_dest_lookup(const struct smime_dest_rule *rules,
    size_t n, const char *address, const struct smime_dest_rule **rule);

/* The action for a message going to recipients with actions a and b. */
enum smime_dest_action smime_dest_combine(enum smime_dest_action a,
    enum smime_dest_action b);

/*
 * Read one X-SMIME-Sign field value (as the MTA passes it, folding
 * allowed): "no" or "yes" in any case, with blanks and line breaks
 * around it; anything else (comments, "false", "0", several words, an
 * empty value) is SMIME_SIGNREQ_INVALID.
 */
enum smime_signreq smime_signreq_parse(const char *value);

/* True when name (trailing blanks ignored, any case) is X-SMIME-Sign. */
bool smime_signreq_is_field(const char *name);

#endif /* SMIME_SIGNPOLICY_H */
