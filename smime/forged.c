/*
 * forged.c - recognise header fields that could pass for our results
 * (see forged.h for the rule) with an RFC 8601 parser of
 * Authentication-Results.
 *
 * The parser follows RFC 8601 2.2 for the structure (authserv-id,
 * version, "none" or resinfo list; methodspec, reasonspec, propspec) and
 * RFC 5322 for CFWS: nested comments with quoted-pairs, quoted-strings,
 * folding.  Property values are read laxly (any run of printable
 * non-separator bytes), because real producers write values such as
 * OpenDKIM's header.b=Ab/+cd that are neither tokens nor domains; what
 * matters here is finding every method name reliably.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smime/forged.h"

/* Skip CFWS; NULL when a comment is not closed. */
static const char *
fg_cfws(const char *p)
{
	int depth;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		for (depth = 0; *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				break;
		}
		if (*p == '\0')
			return NULL;
		p++;
	}
}

/* RFC 2045 token character. */
static bool
fg_tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 8601 Keyword character (RFC 5321 Ldh-str, plus '_' seen in use). */
static bool
fg_kchar(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* Skip a quoted-string at *pp ('"' first); false when not closed. */
static bool
fg_quoted(const char **pp)
{
	const char *p = *pp + 1;

	for (; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	if (*p != '"')
		return false;
	*pp = p + 1;
	return true;
}

/*
 * A value (RFC 2045 token or quoted-string, or local-part@domain with a
 * quoted local-part), read laxly: quoted-strings and runs of printable
 * non-separator bytes, concatenated.  False when empty or a quote is not
 * closed.
 */
static bool
fg_value(const char **pp)
{
	const char *p = *pp;
	unsigned char c;

	for (;;) {
		if (*p == '"') {
			if (!fg_quoted(&p))
				return false;
			continue;
		}
		c = (unsigned char)*p;
		if (c == '\0' || c <= 0x20 || c == 0x7f || c == ';' ||
		    c == '(' || c == ')')
			break;
		p++;
	}
	if (p == *pp)
		return false;
	*pp = p;
	return true;
}

/* Does [s, s + len) equal word, ASCII case-insensitively? */
static bool
fg_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/*
 * Lax reading of the authserv-id: the text before the first ';' with
 * comments, quotes and blanks removed.  True when that is ours.
 */
static bool
fg_lax_ours(const char *value, const char *ours)
{
	size_t n = strlen(ours), i = 0;
	int depth = 0;
	const char *p;

	for (p = value; *p != '\0' && (*p != ';' || depth > 0); p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\\' && depth > 0 && p[1] != '\0') {
			p++;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		if (depth > 0 || c == ')' || c == '"' || c == '\\' ||
		    isspace(c))
			continue;
		if (i >= n || tolower(c) != tolower((unsigned char)ours[i]))
			return false;
		i++;
	}
	return i == n;
}

/* Read the strict authserv-id; true when it is ours.  *ok: readable. */
static bool
fg_authserv_id(const char **pp, const char *ours, bool *ok)
{
	const char *p = *pp, *s;
	size_t n = strlen(ours), i;

	*ok = false;
	if (*p == '"') {
		s = p;
		if (!fg_quoted(&p))
			return false;
		*pp = p;
		*ok = true;
		/* Compare the unescaped content. */
		for (s++, i = 0; s < p - 1; s++, i++) {
			if (*s == '\\')
				s++;
			if (i >= n || tolower((unsigned char)*s) !=
			    tolower((unsigned char)ours[i]))
				return false;
		}
		return i == n;
	}
	for (s = p; fg_tchar((unsigned char)*p); p++)
		;
	if (p == s)
		return false;
	*pp = p;
	*ok = true;
	return (size_t)(p - s) == n && strncasecmp(s, ours, n) == 0;
}

/*
 * Parse the resinfo list after the authserv-id (and version).  Returns
 * SMIME_AR_OURS, SMIME_AR_OURS_SMIME or SMIME_AR_OURS_BAD.
 */
static enum smime_ar_claim
fg_resinfos(const char *p)
{
	const char *m;
	size_t mlen;
	bool smime = false, any = false;

	for (;;) {
		if ((p = fg_cfws(p)) == NULL)
			return SMIME_AR_OURS_BAD;
		if (*p == '\0')
			break;
		if (*p != ';')
			return SMIME_AR_OURS_BAD;
		if ((p = fg_cfws(p + 1)) == NULL)
			return SMIME_AR_OURS_BAD;
		/* methodspec = method [ "/" version ] "=" result */
		for (m = p; fg_kchar((unsigned char)*p); p++)
			;
		if ((mlen = (size_t)(p - m)) == 0)
			return SMIME_AR_OURS_BAD;
		if ((p = fg_cfws(p)) == NULL)
			return SMIME_AR_OURS_BAD;
		if (!any && fg_is(m, mlen, "none") && *p == '\0')
			return SMIME_AR_OURS;	/* no-result */
		any = true;
		if (fg_is(m, mlen, "smime"))
			smime = true;
		if (*p == '/') {
			if ((p = fg_cfws(p + 1)) == NULL ||
			    !isdigit((unsigned char)*p))
				return SMIME_AR_OURS_BAD;
			while (isdigit((unsigned char)*p))
				p++;
			if ((p = fg_cfws(p)) == NULL)
				return SMIME_AR_OURS_BAD;
		}
		if (*p != '=' || (p = fg_cfws(p + 1)) == NULL)
			return SMIME_AR_OURS_BAD;
		for (m = p; fg_kchar((unsigned char)*p); p++)
			;
		if (p == m)
			return SMIME_AR_OURS_BAD;
		/* [reasonspec] *propspec, up to the next ';' */
		for (;;) {
			if ((p = fg_cfws(p)) == NULL)
				return SMIME_AR_OURS_BAD;
			if (*p == '\0' || *p == ';')
				break;
			for (m = p; fg_kchar((unsigned char)*p); p++)
				;
			if ((mlen = (size_t)(p - m)) == 0 ||
			    (p = fg_cfws(p)) == NULL)
				return SMIME_AR_OURS_BAD;
			if (*p == '.') {	/* ptype "." property */
				if ((p = fg_cfws(p + 1)) == NULL)
					return SMIME_AR_OURS_BAD;
				for (m = p; fg_kchar((unsigned char)*p); p++)
					;
				if (p == m || (p = fg_cfws(p)) == NULL)
					return SMIME_AR_OURS_BAD;
			} else if (!fg_is(m, mlen, "reason"))
				return SMIME_AR_OURS_BAD;
			if (*p != '=' || (p = fg_cfws(p + 1)) == NULL ||
			    !fg_value(&p))
				return SMIME_AR_OURS_BAD;
		}
	}
	if (!any)
		return SMIME_AR_OURS_BAD;	/* neither "none" nor a result */
	return smime ? SMIME_AR_OURS_SMIME : SMIME_AR_OURS;
}

enum smime_ar_claim
smime_ar_classify(const char *value, const char *authserv_id)
{
	const char *p;
	bool ok, ours;

	if ((p = fg_cfws(value)) == NULL)
		return fg_lax_ours(value, authserv_id) ? SMIME_AR_OURS_BAD :
		    SMIME_AR_OTHER;
	ours = fg_authserv_id(&p, authserv_id, &ok);
	if (!ok)
		return fg_lax_ours(value, authserv_id) ? SMIME_AR_OURS_BAD :
		    SMIME_AR_OTHER;
	if (!ours)	/* "mx".example or a spaced id: read loosely too */
		return fg_lax_ours(value, authserv_id) ? SMIME_AR_OURS_BAD :
		    SMIME_AR_OTHER;
	/* [CFWS authres-version] */
	if ((p = fg_cfws(p)) == NULL)
		return SMIME_AR_OURS_BAD;
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
	}
	return fg_resinfos(p);
}

/* Is name (trailing blanks ignored) want, case-insensitively? */
static bool
fg_name_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	if (strncasecmp(name, want, n) != 0)
		return false;
	for (name += n; *name == ' ' || *name == '\t'; name++)
		;
	return *name == '\0';
}

bool
smime_forged_field(const char *name, const char *value,
    const char *authserv_id, bool remove_all)
{
	enum smime_ar_claim c;

	if (fg_name_is(name, SMIME_SIGNER_NAME))
		return true;
	if (!fg_name_is(name, SMIME_AR_NAME))
		return false;
	if (value == NULL)
		return true;
	c = smime_ar_classify(value, authserv_id);
	return c == SMIME_AR_OURS_SMIME || c == SMIME_AR_OURS_BAD ||
	    (remove_all && c == SMIME_AR_OURS);
}

void
smime_forged_init(struct smime_forged *fg)
{
	memset(fg, 0, sizeof(*fg));
}

void
smime_forged_clear(struct smime_forged *fg)
{
	if (fg == NULL)
		return;
	free(fg->fg_ar);
	free(fg->fg_signer);
	smime_forged_init(fg);
}

/* Append index to a growing array. */
static smime_status
fg_push(size_t **list, size_t *count, size_t *alloc, size_t index)
{
	size_t *n;

	if (*count == *alloc) {
		size_t want = *alloc == 0 ? 8 : *alloc * 2;

		if ((n = reallocarray(*list, want, sizeof(**list))) == NULL)
			return SMIME_NORESOURCE;
		*list = n;
		*alloc = want;
	}
	(*list)[(*count)++] = index;
	return SMIME_OK;
}

smime_status
smime_forged_see(struct smime_forged *fg, const char *name,
    const char *value, const char *authserv_id, bool remove_all)
{
	if (fg_name_is(name, SMIME_SIGNER_NAME))
		return fg_push(&fg->fg_signer, &fg->fg_signer_count,
		    &fg->fg_signer_alloc, ++fg->fg_nsigner);
	if (!fg_name_is(name, SMIME_AR_NAME))
		return SMIME_OK;
	fg->fg_nar++;
	if (!smime_forged_field(name, value, authserv_id, remove_all))
		return SMIME_OK;
	return fg_push(&fg->fg_ar, &fg->fg_ar_count, &fg->fg_ar_alloc,
	    fg->fg_nar);
}

smime_status
smime_forged_edits(const struct smime_forged *fg, struct smime_edits *ed)
{
	smime_status ret;
	size_t i;

	for (i = 0; i < fg->fg_ar_count; i++)
		if ((ret = smime_edits_delete(ed, SMIME_AR_NAME,
		    fg->fg_ar[i])) != SMIME_OK)
			return ret;
	for (i = 0; i < fg->fg_signer_count; i++)
		if ((ret = smime_edits_delete(ed, SMIME_SIGNER_NAME,
		    fg->fg_signer[i])) != SMIME_OK)
			return ret;
	return SMIME_OK;
}
