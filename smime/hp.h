/*
 * hp.h - RFC 9788 header protection for signed-only messages.
 *
 * Signing: copies of the header fields a reader sees (From, To, Cc,
 * Subject, Date, ... a configurable list) go into the header section of
 * the Cryptographic Payload's root part, which is marked with the
 * Content-Type parameter hp="clear" (RFC 9788 §2.1, §5.2).  Values are
 * carried 7-bit: raw 8-bit text becomes RFC 2047 encoded-words (in
 * address fields only the display names and comments), and every field is
 * folded at white space so that lines stay within 78 octets where possible
 * and never pass 998.  The outer header is not changed.
 *
 * Verifying: when the signed root part carries hp=, every protected field
 * (each non-Content-* field of that part's header) is compared with the
 * outer field of the same name after normalisation (unfolding, RFC 2047
 * decoding through iconv, white space collapsed; address lists by display
 * name and addr-spec with the domain case-folded; Date by the instant it
 * names; Message-ID/In-Reply-To/References by their msg-ids).  A passing
 * signature becomes policy with a reason naming the first changed field
 * (From before the others).  The verifier hooks are below
 * (smime_hp_check for multipart/signed, smime_hp_check_opaque for
 * signed-data); they take the verifier's result list (result.h).
 */
#ifndef SMIME_HP_H
#define SMIME_HP_H

#include "smime/err.h"
#include "smime/headers.h"
#include "smime/mime.h"
#include "smime/result.h"
#include "smime/smime.h"

/* The default list of protected fields (for array initialisers). */
#define SMIME_HP_DEFAULT_FIELDS "From", "To", "Cc", "Subject", "Date", \
	"Message-ID", "Reply-To", "In-Reply-To", "References", \
	"Mail-Reply-To", "Mail-Followup-To"

/* The same, NULL-terminated. */
extern const char *const smime_hp_default_fields[];

/* ASCII case-insensitive: the first n bytes of a equal b (NUL ends). */
static inline bool
smime_hp_ascii_ieq(const char *a, const char *b, size_t n)
{
	size_t i;
	char x, y;

	for (i = 0; i < n; i++) {
		x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
		y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];
		if (x != y)
			return false;
		if (x == '\0')
			return true;
	}
	return true;
}

/*
 * True when name may be listed as a protected field: an RFC 5322 field
 * name that is not Content-*, MIME-Version or Bcc (a Bcc copy would show
 * the blind recipients to everyone).  Inline, so that conf/ can check its
 * list without linking the library.
 */
static inline bool
smime_hp_field_allowed(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	for (; *p != '\0'; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return false;
	return p != (const unsigned char *)name &&
	    !smime_hp_ascii_ieq(name, "Content-", 8) &&
	    !smime_hp_ascii_ieq(name, "MIME-Version", 13) &&
	    !smime_hp_ascii_ieq(name, "Bcc", 4);
}

/*
 * Build the protected header fields for the message header hdrs: every
 * field of hdrs whose name is in names[0..nnames) (case-insensitive; NULL
 * names: the default list), in message order, its value 7-bit and folded
 * with CRLF + space, appended to *out (initialised by the caller).
 * Returns SMIME_OK; SMIME_UNSUPPORTED when a listed field cannot be
 * carried 7-bit (a non-ASCII addr-spec, RFC 6532) or not within 998
 * octets a line: the caller then signs without header protection; or
 * SMIME_NORESOURCE.  err is set on failure; *out is then emptied.
 */
smime_status smime_hp_fields(const struct smime_headers *hdrs,
    char *const *names, size_t nnames, struct smime_headers *out,
    struct smime_err *err);

/*
 * The Content-Type value with any hp parameter removed and hp="clear"
 * appended (after a fold).  Returns a new string the caller frees, NULL
 * on allocation failure.
 */
char *smime_hp_content_type(const char *value);

/* True when the part's Content-Type carries an hp parameter. */
bool smime_hp_present(const struct smime_mime_part *part);

/*
 * Compare the protected fields of root (the signed part, hp= present)
 * with the outer header.  On a difference *why receives a reason such as
 * "Subject differs from the signed Subject" (or "From is not signed")
 * and *fields NULL; when all agree *why is NULL and *fields the list of
 * protected field names, lower-case, ", "-separated.  Both are new
 * strings the caller frees.  Returns SMIME_OK or SMIME_NORESOURCE.
 */
smime_status smime_hp_compare(const struct smime_mime_part *root,
    const struct smime_headers *outer, char **why, char **fields);

/* ---- hpnorm.c: normalised forms, for comparison (new strings) ---- */

/* Unstructured text: unfolded, encoded-words decoded, blanks collapsed. */
char *smime_hp_norm_text(const char *value);

/* Address list: "display <local@domain>" items joined by ", ". */
char *smime_hp_norm_addresses(const char *value);

/* Date: "@SECONDS" since the epoch, or the text form when unparsable. */
char *smime_hp_norm_date(const char *value);

/* msg-id list: "<id> <id>", or the text form when there is none. */
char *smime_hp_norm_msgids(const char *value);

/* The normalised form of a field's value by its name's kind. */
char *smime_hp_norm(const char *name, const char *value);

/*
 * Decode RFC 2047 encoded-words in s (charsets through iconv to UTF-8;
 * "unknown-8bit" and failures keep the raw bytes or the word as written);
 * white space between two encoded-words is dropped.  New string or NULL.
 */
char *smime_hp_decode_words(const char *s);

/* ---- hp.c: the verifier side ---- */

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

#endif /* SMIME_HP_H */
