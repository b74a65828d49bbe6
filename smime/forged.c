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

/* The names we track, in the order of the SMIME_FORGED_* indices. */
static const char *const fg_names[SMIME_FORGED_NNAMES] = {
	SMIME_AR_NAME, SMIME_SIGNER_NAME, SMIME_PROTECTED_NAME
};

bool
smime_forged_field(const char *name, const char *value,
    const char *authserv_id, bool remove_all)
{
	enum smime_ar_claim c;

	if (fg_name_is(name, SMIME_SIGNER_NAME) ||
	    fg_name_is(name, SMIME_PROTECTED_NAME))
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
	size_t i;

	if (fg == NULL)
		return;
	for (i = 0; i < SMIME_FORGED_NNAMES; i++)
		free(fg->fg_name[i].fn_remove);
	smime_forged_init(fg);
}

size_t
smime_forged_count(const struct smime_forged *fg)
{
	size_t i, n = 0;

	for (i = 0; i < SMIME_FORGED_NNAMES; i++)
		n += fg->fg_name[i].fn_count;
	return n;
}

smime_status
smime_forged_see(struct smime_forged *fg, const char *name,
    const char *value, const char *authserv_id, bool remove_all)
{
	struct smime_forged_name *fn;
	size_t i, *grown;

	for (i = 0; i < SMIME_FORGED_NNAMES; i++)
		if (fg_name_is(name, fg_names[i]))
			break;
	if (i == SMIME_FORGED_NNAMES)
		return SMIME_OK;
	fn = &fg->fg_name[i];
	fn->fn_seen++;
	if (!smime_forged_field(name, value, authserv_id, remove_all))
		return SMIME_OK;
	if (fn->fn_count == fn->fn_alloc) {
		size_t want = fn->fn_alloc == 0 ? 8 : fn->fn_alloc * 2;

		if ((grown = reallocarray(fn->fn_remove, want,
		    sizeof(*grown))) == NULL)
			return SMIME_NORESOURCE;
		fn->fn_remove = grown;
		fn->fn_alloc = want;
	}
	fn->fn_remove[fn->fn_count++] = fn->fn_seen;
	return SMIME_OK;
}

smime_status
smime_forged_edits(const struct smime_forged *fg, struct smime_edits *ed)
{
	smime_status ret;
	size_t i, k;

	for (i = 0; i < SMIME_FORGED_NNAMES; i++)
		for (k = 0; k < fg->fg_name[i].fn_count; k++)
			if ((ret = smime_edits_delete(ed, fg_names[i],
			    fg->fg_name[i].fn_remove[k])) != SMIME_OK)
				return ret;
	return SMIME_OK;
}
