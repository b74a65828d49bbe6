/*
 * address.c - RFC 5322 mailbox extraction from an address header value.
 *
 * The value is first cut into tokens (atoms, quoted strings, domain
 * literals and the specials < > @ . , : ;) with comments and white space
 * dropped, then the token list is read as either "phrase <addr-spec>" or a
 * bare addr-spec.  Working on tokens keeps comment and quoting rules in
 * one place, and the scan is linear with no recursion, so hostile input
 * (deeply nested comments, megabyte headers) costs nothing special.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "smime/address.h"

#define ADDR_MAX	1024	/* longer is not a real address */

enum addr_tok_type {
	ADDR_TOK_ATOM,
	ADDR_TOK_QUOTED,	/* at_text holds the unescaped content */
	ADDR_TOK_LITERAL,	/* domain literal including brackets */
	ADDR_TOK_SPECIAL	/* at_text is the one character */
};

struct addr_tok {
	enum addr_tok_type	 at_type;
	char			*at_text;
};

struct addr_toks {
	struct addr_tok	*ats_list;
	size_t		 ats_count;
	size_t		 ats_alloc;
};

static void
addr_toks_free(struct addr_toks *ts)
{
	size_t i;

	for (i = 0; i < ts->ats_count; i++)
		free(ts->ats_list[i].at_text);
	free(ts->ats_list);
	memset(ts, 0, sizeof(*ts));
}

/* Append a token of type with a copy of len bytes of text. */
static smime_status
addr_toks_add(struct addr_toks *ts, enum addr_tok_type type, const char *text,
    size_t len)
{
	struct addr_tok *list;
	char *copy;

	if (ts->ats_count == ts->ats_alloc) {
		size_t n = ts->ats_alloc ? ts->ats_alloc * 2 : 16;

		if ((list = reallocarray(ts->ats_list, n, sizeof(*list))) ==
		    NULL)
			return SMIME_NORESOURCE;
		ts->ats_list = list;
		ts->ats_alloc = n;
	}
	if ((copy = strndup(text, len)) == NULL)
		return SMIME_NORESOURCE;
	ts->ats_list[ts->ats_count].at_type = type;
	ts->ats_list[ts->ats_count].at_text = copy;
	ts->ats_count++;
	return SMIME_OK;
}

/* RFC 5322 atext, plus any 8-bit byte (RFC 6532 UTF-8 addresses). */
static bool
addr_is_atext(unsigned char c)
{
	return c >= 0x80 || isalnum(c) ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * Skip a comment starting at *pp ('('), nested comments and quoted pairs
 * included.  Returns false when it is not closed.
 */
static bool
addr_skip_comment(const char **pp)
{
	const char *p = *pp;
	size_t depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0) {
			*pp = p + 1;
			return true;
		}
	}
	return false;
}

/*
 * Read a quoted string starting at *pp ('"') into an unescaped token.
 * Folding inside it is removed (CRLF dropped, the WSP kept).
 */
static smime_status
addr_read_quoted(struct addr_toks *ts, const char **pp, struct smime_err *err)
{
	const char *p = *pp + 1;
	char *buf;
	size_t n = 0;
	smime_status ret;

	if ((buf = malloc(strlen(p) + 1)) == NULL)
		return SMIME_NORESOURCE;
	for (; *p != '\0' && *p != '"'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (*p == '\\' && p[1] != '\0')
			p++;
		/* obs-qp may escape controls; no mailbox contains one. */
		if ((unsigned char)*p < 0x20 ? *p != '\t' : *p == 0x7f) {
			smime_err_set(err, "control character in quoted "
			    "string");
			ret = SMIME_SYNTAX;
			goto out;
		}
		buf[n++] = *p;
	}
	if (*p != '"') {
		smime_err_set(err, "unterminated quoted string");
		ret = SMIME_SYNTAX;
		goto out;
	}
	*pp = p + 1;
	ret = addr_toks_add(ts, ADDR_TOK_QUOTED, buf, n);
out:
	free(buf);
	return ret;
}

/* Cut value into tokens; comments and white space are dropped. */
static smime_status
addr_tokenize(const char *value, struct addr_toks *ts, struct smime_err *err)
{
	const char *p = value, *start;
	smime_status ret = SMIME_OK;

	while (*p != '\0' && ret == SMIME_OK) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			p++;
		} else if (c == '(') {
			if (!addr_skip_comment(&p)) {
				smime_err_set(err, "unterminated comment");
				return SMIME_SYNTAX;
			}
		} else if (c == '"') {
			ret = addr_read_quoted(ts, &p, err);
		} else if (c == '[') {
			start = p;
			while (*p != '\0' && *p != ']' &&
			    (unsigned char)*p >= 0x20 && *p != 0x7f)
				p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
			if (*p != ']') {
				smime_err_set(err, "unterminated domain literal");
				return SMIME_SYNTAX;
			}
			p++;
			ret = addr_toks_add(ts, ADDR_TOK_LITERAL, start,
			    (size_t)(p - start));
		} else if (addr_is_atext(c)) {
			start = p;
			while (addr_is_atext((unsigned char)*p))
				p++;
			ret = addr_toks_add(ts, ADDR_TOK_ATOM, start,
			    (size_t)(p - start));
		} else if (strchr("<>@.,:;", c) != NULL) {
			ret = addr_toks_add(ts, ADDR_TOK_SPECIAL, p, 1);
			p++;
		} else {
			smime_err_set(err, "unexpected character 0x%02x in "
			    "address", c);
			return SMIME_SYNTAX;
		}
	}
	return ret;
}

static bool
addr_tok_is(const struct addr_toks *ts, size_t i, char special)
{
	return i < ts->ats_count &&
	    ts->ats_list[i].at_type == ADDR_TOK_SPECIAL &&
	    ts->ats_list[i].at_text[0] == special;
}

/* True when s is a dot-atom: atext runs separated by single dots. */
static bool
addr_is_dot_atom(const char *s)
{
	bool prev_dot = true;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (prev_dot)
				return false;
			prev_dot = true;
		} else if (addr_is_atext((unsigned char)*s)) {
			prev_dot = false;
		} else
			return false;
	}
	return !prev_dot;
}

/* Append len bytes of s to buf (capacity ADDR_MAX); false when too long. */
static bool
addr_append(char *buf, size_t *n, const char *s, size_t len)
{
	if (*n + len >= ADDR_MAX)
		return false;
	memcpy(buf + *n, s, len);
	*n += len;
	buf[*n] = '\0';
	return true;
}

/*
 * Build "local@domain" from tokens [i, end): words separated by dots, one
 * '@', then atoms separated by dots or one domain literal.  The result is
 * malloc'ed into *out.
 */
static smime_status
addr_build(const struct addr_toks *ts, size_t i, size_t end, char **out,
    struct smime_err *err)
{
	char local[ADDR_MAX], full[ADDR_MAX * 2 + 4];
	size_t nl = 0, nf = 0, k;
	bool want_word = true;
	const struct addr_tok *t;

	local[0] = '\0';
	for (; i < end && !addr_tok_is(ts, i, '@'); i++) {
		t = &ts->ats_list[i];
		if (want_word != (t->at_type == ADDR_TOK_ATOM ||
		    t->at_type == ADDR_TOK_QUOTED) ||
		    (!want_word && !addr_tok_is(ts, i, '.')))
			goto bad;
		if (!addr_append(local, &nl, t->at_text, strlen(t->at_text)))
			goto bad;
		want_word = !want_word;
	}
	if (want_word || i >= end)
		goto bad;
	/* Quote the local part only when it is not a plain dot-atom. */
	if (addr_is_dot_atom(local)) {
		memcpy(full, local, nl);
		nf = nl;
	} else {
		full[nf++] = '"';
		for (k = 0; k < nl; k++) {
			if (local[k] == '"' || local[k] == '\\')
				full[nf++] = '\\';
			full[nf++] = local[k];
		}
		full[nf++] = '"';
	}
	full[nf++] = '@';
	i++;
	if (i + 1 == end && ts->ats_list[i].at_type == ADDR_TOK_LITERAL) {
		t = &ts->ats_list[i];
		if (strlen(t->at_text) >= ADDR_MAX)
			goto bad;
		memcpy(full + nf, t->at_text, strlen(t->at_text));
		nf += strlen(t->at_text);
		i++;
	} else {
		for (want_word = true; i < end; i++) {
			t = &ts->ats_list[i];
			if (want_word ? t->at_type != ADDR_TOK_ATOM :
			    !addr_tok_is(ts, i, '.'))
				goto bad;
			if (nf + strlen(t->at_text) >= sizeof(full) - 1)
				goto bad;
			for (k = 0; t->at_text[k] != '\0'; k++)
				full[nf++] = (char)tolower(
				    (unsigned char)t->at_text[k]);
			want_word = !want_word;
		}
		if (want_word)
			goto bad;
	}
	full[nf] = '\0';
	if ((*out = strdup(full)) == NULL)
		return SMIME_NORESOURCE;
	return SMIME_OK;
bad:
	smime_err_set(err, "malformed addr-spec");
	return SMIME_SYNTAX;
}

smime_status
smime_address_from_header(const char *value, char **addr_out,
    struct smime_err *err)
{
	struct addr_toks ts;
	size_t i, lt = 0, gt = 0, start, end;
	bool have_lt = false;
	smime_status ret = SMIME_INTERNAL;

	*addr_out = NULL;
	memset(&ts, 0, sizeof(ts));
	if ((ret = addr_tokenize(value, &ts, err)) != SMIME_OK)
		goto out;
	/* Drop empty list elements and trailing commas (obs-mbox-list). */
	while (ts.ats_count > 0 && addr_tok_is(&ts, ts.ats_count - 1, ',')) {
		free(ts.ats_list[--ts.ats_count].at_text);
	}
	start = 0;
	while (addr_tok_is(&ts, start, ','))
		start++;
	end = ts.ats_count;
	for (i = start; i < end; i++) {
		if (addr_tok_is(&ts, i, '<') && !have_lt) {
			lt = i;
			have_lt = true;
		} else if (addr_tok_is(&ts, i, '>') && have_lt && gt == 0)
			gt = i;
		else if (addr_tok_is(&ts, i, ':') && !have_lt) {
			smime_err_set(err, "group syntax has no single "
			    "mailbox");
			ret = SMIME_UNSUPPORTED;
			goto out;
		} else if (addr_tok_is(&ts, i, ',') && (!have_lt || gt != 0)) {
			smime_err_set(err, "more than one mailbox");
			ret = SMIME_UNSUPPORTED;
			goto out;
		}
	}
	if (start == end) {
		smime_err_set(err, "no address");
		ret = SMIME_SYNTAX;
		goto out;
	}
	if (have_lt) {
		if (gt == 0 || gt + 1 != end) {
			smime_err_set(err, "unbalanced angle brackets");
			ret = SMIME_SYNTAX;
			goto out;
		}
		/* The display name is words (and obs-phrase dots) only. */
		for (i = start; i < lt; i++)
			if (ts.ats_list[i].at_type == ADDR_TOK_SPECIAL &&
			    !addr_tok_is(&ts, i, '.')) {
				smime_err_set(err, "bad display name");
				ret = SMIME_SYNTAX;
				goto out;
			}
		start = lt + 1;
		end = gt;
		/* obs-route: "@a,@b:" before the addr-spec. */
		for (i = start; i < end; i++)
			if (addr_tok_is(&ts, i, ':')) {
				if (!addr_tok_is(&ts, start, '@')) {
					smime_err_set(err, "bad route");
					ret = SMIME_SYNTAX;
					goto out;
				}
				start = i + 1;
				break;
			}
	}
	ret = addr_build(&ts, start, end, addr_out, err);
out:
	addr_toks_free(&ts);
	return ret;
}

/* ASCII letters folded, every other byte as it is, whatever the locale. */
static bool
addr_ascii_caseeq(const char *a, const char *b, size_t len)
{
	unsigned char ca, cb;
	size_t i;

	for (i = 0; i < len; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return false;
	}
	return true;
}

/* Split at the last '@'; false when there is none or a side is empty. */
static bool
addr_split(const char *a, size_t *local_len)
{
	const char *at = strrchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0')
		return false;
	*local_len = (size_t)(at - a);
	return true;
}

bool
smime_address_equal(const char *a, const char *b)
{
	size_t la, lb, n;

	if (a == NULL || b == NULL || !addr_split(a, &la) ||
	    !addr_split(b, &lb) || la != lb || (n = strlen(a)) != strlen(b))
		return false;
	return addr_ascii_caseeq(a, b, n);
}

bool
smime_cert_has_address(X509 *cert, const char *address)
{
	STACK_OF(OPENSSL_STRING) *emails = X509_get1_email(cert);
	bool found = false;
	int i;

	for (i = 0; i < sk_OPENSSL_STRING_num(emails) && !found; i++)
		found = smime_address_equal(sk_OPENSSL_STRING_value(emails, i),
		    address);
	X509_email_free(emails);
	return found;
}
