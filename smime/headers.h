/*
 * headers.h - an ordered list of RFC 5322 header fields as the MTA handed
 * them to us (name without colon, value as received: leading space after
 * the colon removed, folding kept).
 */
#ifndef SMIME_HEADERS_H
#define SMIME_HEADERS_H

#include "smime/smime.h"

struct smime_header {
	char	*hdr_name;
	char	*hdr_value;
};

struct smime_headers {
	struct smime_header	*hs_list;
	size_t			 hs_count;
	size_t			 hs_alloc;
	size_t			 hs_bytes;	/* names + values, for limits */
};

/* Initialise an empty list (no allocation). */
void smime_headers_init(struct smime_headers *hs);

/* Free every field and reset to empty; accepts NULL. */
void smime_headers_clear(struct smime_headers *hs);

/* Append copies of name and value. SMIME_NORESOURCE on allocation failure. */
smime_status smime_headers_add(struct smime_headers *hs, const char *name,
    const char *value);

/*
 * Borrow the value of the nth (0-based) field called name, compared
 * case-insensitively; NULL when there are fewer.
 */
const char *smime_headers_get0(const struct smime_headers *hs,
    const char *name, size_t nth);

/* Number of fields called name (case-insensitive). */
size_t smime_headers_count(const struct smime_headers *hs, const char *name);

/*
 * Split the first line of a header field the way Postfix hands it to a
 * milter (is_header() and milter8_header()): the name is one or more
 * printable US-ASCII characters other than ':' (no blank, no control, no
 * 8-bit byte), optionally followed by blanks (RFC 5322 §4.5 obsolete
 * syntax, "Subject :"), then ':'.  line need not be NUL-terminated; len
 * is its length in octets.  Returns the length of the name (its blanks
 * excluded), or 0 when the line starts no field (an MTA starts the body
 * there).  *value_off receives the offset of the value: after the colon
 * and one space, which Postfix and Sendmail drop.  Used by -t test mode
 * and, for the names an MTA passes, by the milter path, so that both
 * split alike.
 */
size_t smime_header_split(const char *line, size_t len, size_t *value_off);

#endif /* SMIME_HEADERS_H */
