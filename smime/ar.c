/*
 * ar.c - Authentication-Results (RFC 8601) with the S/MIME method of
 * RFC 7281, and the X-SMIME-Signer field.
 *
 * All our results go into ONE field of their own: at least one widely
 * used filter drops a whole A-R field when it meets an smime property it
 * does not know, so mixing with other methods would cost them too.
 * Folding uses "\n\t" as OpenDKIM does; the daemon hands the value to
 * the MTA unchanged.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "smime/ar.h"
#include "smime/forged.h"
#include "smime/hp.h"
#include "smime/mime.h"
#include "smime/result.h"
#include "smime/utf8.h"

#define AR_FOLD		78	/* fold before this column */
#define SIGNER_FOLD	78	/* X-SMIME-Signer lines, plain text */
#define SIGNER_CUT	" ..."	/* appended to a capped signer text */
#define AR_NAME		"Authentication-Results"
#define SIGNER_NAME	"X-SMIME-Signer"

/* A growing string; as_failed sticks once an allocation failed. */
struct ar_buf {
	char	*ab_text;
	size_t	 ab_len;
	size_t	 ab_alloc;
	size_t	 ab_col;	/* column of the current line */
	bool	 ab_failed;
};

static void
ar_put(struct ar_buf *b, const char *s, size_t len)
{
	char *n;

	if (b->ab_failed)
		return;
	if (b->ab_len + len + 1 > b->ab_alloc) {
		size_t want = (b->ab_len + len + 1) * 2;

		if ((n = realloc(b->ab_text, want)) == NULL) {
			b->ab_failed = true;
			return;
		}
		b->ab_text = n;
		b->ab_alloc = want;
	}
	memcpy(b->ab_text + b->ab_len, s, len);
	b->ab_len += len;
	b->ab_text[b->ab_len] = '\0';
	b->ab_col += len;
}

/* Add a word, preceded by a space or, when it would pass AR_FOLD, a fold. */
static void
ar_word(struct ar_buf *b, const char *w)
{
	size_t len = strlen(w);

	if (b->ab_col + 1 + len > AR_FOLD) {
		ar_put(b, "\n\t", 2);
		b->ab_col = 1;
	} else
		ar_put(b, " ", 1);
	ar_put(b, w, len);
}

/* RFC 2045 token characters. */
static bool
ar_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c))
			return false;
	}
	return true;
}

/* True for a dot-atom of RFC 5322 atext (ASCII only). */
static bool
ar_is_dot_atom(const char *s, size_t len)
{
	size_t i;
	bool dot = true;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (c < 0x80 && (isalnum(c) ||
		    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
			dot = false;
		else
			return false;
	}
	return !dot;
}

/* True for an RFC 5322 quoted-string of printable ASCII. */
static bool
ar_is_quoted(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return false;
	for (i = 1; i < len - 1; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"')
			return false;
		if (s[i] == '\\' && ++i >= len - 1)
			return false;
	}
	return true;
}

/*
 * Append "name=value" as one word: value bare when it is a token or a
 * local@domain (RFC 8601 pvalue: dot-atom or quoted local part), else a
 * quoted-string; control characters, which no honest value has, become
 * '?'.
 */
static void
ar_prop(struct ar_buf *b, const char *name, const char *value)
{
	struct ar_buf w;
	const char *at = strrchr(value, '@');
	bool bare;

	memset(&w, 0, sizeof(w));
	bare = ar_is_token(value) || (at != NULL &&
	    (at == value || ar_is_dot_atom(value, (size_t)(at - value)) ||
	    ar_is_quoted(value, (size_t)(at - value))) &&
	    ar_is_dot_atom(at + 1, strlen(at + 1)));
	ar_put(&w, name, strlen(name));
	ar_put(&w, "=", 1);
	if (bare)
		ar_put(&w, value, strlen(value));
	else {
		ar_put(&w, "\"", 1);
		for (; *value != '\0'; value++) {
			unsigned char c = (unsigned char)*value;

			if (c == '"' || c == '\\')
				ar_put(&w, "\\", 1);
			ar_put(&w, (c < 0x20 || c == 0x7f) ? "?" : value, 1);
		}
		ar_put(&w, "\"", 1);
	}
	if (w.ab_failed)
		b->ab_failed = true;
	else
		ar_word(b, w.ab_text);
	free(w.ab_text);
}

char *
smime_ar_format(const char *authserv_id, const struct smime_sigres_list *l)
{
	struct ar_buf b;
	char *comment = NULL;
	size_t i;

	memset(&b, 0, sizeof(b));
	b.ab_col = strlen(AR_NAME) + 2;
	ar_put(&b, authserv_id, strlen(authserv_id));
	ar_put(&b, ";", 1);
	if (l->srl_count == 0)
		ar_word(&b, "smime=none");
	for (i = 0; i < l->srl_count; i++) {
		const struct smime_sigres *sr = &l->srl_list[i];
		char res[32];

		if (i > 0)
			ar_put(&b, ";", 1);
		snprintf(res, sizeof(res), "smime=%s",
		    smime_result_name(sr->sr_result));
		ar_word(&b, res);
		if (sr->sr_reason != NULL) {
			free(comment);
			if ((comment = malloc(strlen(sr->sr_reason) + 3)) ==
			    NULL) {
				b.ab_failed = true;
				break;
			}
			/* Reasons are our own static texts: no parentheses. */
			sprintf(comment, "(%s)", sr->sr_reason);
			ar_word(&b, comment);
		}
		if (sr->sr_from != NULL)
			ar_prop(&b, "header.from", sr->sr_from);
		if (sr->sr_identifier != NULL)
			ar_prop(&b, "body.smime-identifier", sr->sr_identifier);
		if (sr->sr_part != NULL)
			ar_prop(&b, "body.smime-part", sr->sr_part);
		/* RFC 7281 3.2.3: serial only together with issuer. */
		if (sr->sr_serial != NULL && sr->sr_issuer != NULL) {
			ar_prop(&b, "body.smime-serial", sr->sr_serial);
			ar_prop(&b, "body.smime-issuer", sr->sr_issuer);
		}
	}
	free(comment);
	if (b.ab_failed) {
		free(b.ab_text);
		return NULL;
	}
	return b.ab_text;
}

bool
smime_ar_is_ours(const char *value, const char *authserv_id)
{
	const char *p = smime_mime_skip_cfws(value);
	size_t n = strlen(authserv_id), i;

	if (*p == '"') {
		/* Compare the unescaped quoted-string with ours. */
		for (p++, i = 0; *p != '\0' && *p != '"'; p++, i++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (i >= n || tolower((unsigned char)*p) !=
			    tolower((unsigned char)authserv_id[i]))
				return false;
		}
		return *p == '"' && i == n;
	}
	if (strncasecmp(p, authserv_id, n) != 0)
		return false;
	p += n;
	return *p == '\0' || *p == ';' || *p == '(' || *p == ' ' ||
	    *p == '\t' || *p == '\r' || *p == '\n';
}

/* Length of the UTF-8 sequence starting with byte c (1 for junk). */
static size_t
ar_utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/*
 * Fold printable ASCII text at its spaces ("a b" becomes "a\n b", which
 * unfolds to the same text) so that no line passes SIGNER_FOLD columns;
 * the first line starts after "Name: ".  NULL when a word is too long
 * to fit a line (the caller encodes instead) or on allocation failure.
 */
static char *
ar_fold_plain(const char *text, size_t name_len)
{
	struct ar_buf b;
	const char *p = text, *sp;
	size_t col = name_len + 2, wlen;
	bool first = true;

	memset(&b, 0, sizeof(b));
	for (;;) {
		sp = strchr(p, ' ');
		wlen = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (!first && wlen > 0 && col + 1 + wlen > SIGNER_FOLD) {
			ar_put(&b, "\n ", 2);
			col = 1;
		} else if (!first) {
			ar_put(&b, " ", 1);
			col++;
		}
		if (col + wlen > SIGNER_FOLD) {
			free(b.ab_text);
			return NULL;
		}
		ar_put(&b, p, wlen);
		col += wlen;
		first = false;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	if (b.ab_failed || b.ab_text == NULL) {
		free(b.ab_text);
		return NULL;
	}
	return b.ab_text;
}

/* Encode text[0..len) as UTF-8 B encoded-words, one per line. */
static char *
ar_encode_words(const unsigned char *p, size_t len, size_t name_len)
{
	struct ar_buf b;
	size_t i, take, cl, budget;
	unsigned char enc[64];

	memset(&b, 0, sizeof(b));
	/*
	 * "=?UTF-8?B?" + base64 + "?=" is 12 + 4 * ceil(n / 3) characters:
	 * 45 bytes make a 72-character word.  The first word shares its
	 * line with "Name: ", later ones follow a tab.
	 */
	budget = name_len + 2 + 12 < 76 ? ((76 - name_len - 2 - 12) / 4) * 3 :
	    3;
	if (budget > 45)
		budget = 45;
	for (i = 0; i < len && !b.ab_failed; i += take) {
		take = 0;
		while (i + take < len) {
			cl = ar_utf8_len(p[i + take]);
			if (i + take + cl > len)
				cl = len - i - take;
			if (take + cl > budget)
				break;
			take += cl;
		}
		if (take == 0)	/* budget below one character */
			take = ar_utf8_len(p[i]) > len - i ? len - i :
			    ar_utf8_len(p[i]);
		if (i > 0)
			ar_put(&b, "\n\t", 2);
		ar_put(&b, "=?UTF-8?B?", 10);
		EVP_EncodeBlock(enc, p + i, (int)take);
		ar_put(&b, (const char *)enc, strlen((const char *)enc));
		ar_put(&b, "?=", 2);
		budget = 45;
	}
	if (b.ab_failed || b.ab_text == NULL) {
		free(b.ab_text);
		return NULL;
	}
	return b.ab_text;
}

/*
 * True for a code point that changes how the text around it displays
 * without showing itself: C1 controls, bidirectional formatting
 * (UAX #9: LRM, RLM, ALM, LRE..RLO, LRI..PDI), zero-width and invisible
 * characters, interlinear annotation and tags.  A right-to-left override
 * in a CN could make "CN=Attacker" read as another candidate's name.
 */
static bool
ar_invisible(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x61c ||
	    cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
	    cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
	    (cp >= 0xe0000 && cp <= 0xe007f);
}

char *
smime_rfc2047_encode(const char *text, size_t name_len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), i, o, n;
	char *work, *out = NULL;
	unsigned long cp;
	bool plain = true, cut = false;

	/* Cap the text, never inside a UTF-8 sequence, and say so. */
	if (len > SMIME_SIGNER_MAX) {
		len = SMIME_SIGNER_MAX;
		while (len > 0 && (p[len] & 0xc0) == 0x80)
			len--;
		cut = true;
	}
	if ((work = malloc(len + sizeof(SIGNER_CUT))) == NULL)
		return NULL;
	memcpy(work, text, len);
	memcpy(work + len, SIGNER_CUT, sizeof(SIGNER_CUT));
	if (cut)
		len += sizeof(SIGNER_CUT) - 1;
	else
		work[len] = '\0';
	/* Invalid UTF-8 and invisible characters become one '?' each. */
	for (i = 0, o = 0; i < len; i += n) {
		n = smime_utf8_decode((unsigned char *)work + i, len - i, &cp);
		if (n == 0 || ar_invisible(cp)) {
			work[o++] = '?';
			n = n == 0 ? 1 : n;
			continue;
		}
		memmove(work + o, work + i, n);
		o += n;
	}
	work[len = o] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)work[i] < 0x20 ||
		    (unsigned char)work[i] > 0x7e)
			plain = false;
	/*
	 * Plain text only when a reader cannot decode it into something
	 * else: no "=?" (an encoded-word lookalike would display as the
	 * text it encodes, e.g. a candidate's name), and foldable.
	 */
	if (plain && strstr(work, "=?") == NULL)
		out = ar_fold_plain(work, name_len);
	if (out == NULL)
		out = ar_encode_words((const unsigned char *)work, len,
		    name_len);
	free(work);
	return out;
}

/* X-SMIME-Protected for a pass over RFC 9788 protected header fields. */
static smime_status
ar_protected(const struct smime_sigres *sr, struct smime_edits *edits)
{
	smime_status ret;
	char *v;

	if (sr->sr_protected == NULL)
		return SMIME_OK;
	if ((v = smime_hp_marker(sr->sr_protected)) == NULL)
		return SMIME_NORESOURCE;
	ret = smime_headers_add(&edits->ed_prepend, SMIME_HP_MARKER, v);
	free(v);
	return ret;
}

smime_status
smime_ar_edits(const char *authserv_id, bool signer_header,
    const struct smime_headers *hdrs, const struct smime_sigres_list *l,
    struct smime_edits *edits)
{
	smime_status ret = SMIME_INTERNAL;
	struct smime_forged fg;
	char *ar = NULL, *signer = NULL;
	size_t i;

	/* The same rule the daemon applies to every message (forged.h). */
	smime_forged_init(&fg);
	for (i = 0; i < hdrs->hs_count; i++)
		if ((ret = smime_forged_see(&fg, hdrs->hs_list[i].hdr_name,
		    hdrs->hs_list[i].hdr_value, authserv_id, false)) !=
		    SMIME_OK)
			goto out;
	if ((ret = smime_forged_edits(&fg, edits)) != SMIME_OK)
		goto out;
	ret = SMIME_NORESOURCE;
	if ((ar = smime_ar_format(authserv_id, l)) == NULL)
		goto out;
	if ((ret = smime_headers_add(&edits->ed_prepend, AR_NAME, ar)) !=
	    SMIME_OK)
		goto out;
	for (i = 0; signer_header && i < l->srl_count; i++) {
		if (l->srl_list[i].sr_result != SMIME_RESULT_PASS ||
		    l->srl_list[i].sr_signer == NULL)
			continue;
		ret = SMIME_NORESOURCE;
		free(signer);
		if ((signer = smime_rfc2047_encode(l->srl_list[i].sr_signer,
		    strlen(SIGNER_NAME))) == NULL)
			goto out;
		if ((ret = smime_headers_add(&edits->ed_prepend, SIGNER_NAME,
		    signer)) != SMIME_OK)
			goto out;
		if ((ret = ar_protected(&l->srl_list[i], edits)) != SMIME_OK)
			goto out;
	}
	ret = SMIME_OK;
out:
	smime_forged_clear(&fg);
	free(ar);
	free(signer);
	return ret;
}
