/*
 * hp.c - RFC 9788 header protection for signed-only mail: the protected
 * header fields we put into the signed root part, and the comparison of a
 * received message's protected fields with its outer header.
 *
 * The signed part must stay 7-bit (a relay without 8BITMIME re-encodes
 * 8-bit content and the signature breaks; RFC 8551 3.1.3), so raw 8-bit
 * values become RFC 2047 encoded-words: the whole value of an
 * unstructured field, and in address fields the display names and
 * comments only (encoded-words are not allowed anywhere else,
 * RFC 2047 §5).  A non-ASCII addr-spec (RFC 6532) cannot be written in
 * 7 bits at all; such a message is signed without header protection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "smime/hp.h"
#include "smime/hp_int.h"
#include "smime/result.h"

#define HP_FOLD		78	/* preferred line length (RFC 5322 §2.1.1) */
#define HP_MAX_LINE	998	/* hard limit */
#define HP_LONG_WORD	900	/* a longer word is encoded to be split */
#define HP_EW_MAX	75	/* RFC 2047 §2 */
#define HP_MAX_FIELDS	256	/* protected fields compared, at most */

const char *const smime_hp_default_fields[] = { SMIME_HP_DEFAULT_FIELDS,
	NULL };

/*
 * Fields whose outer copy must be protected once hp= is present: what a
 * reader shows as the sender and subject, and where replies go
 * (Mail-Reply-To and Mail-Followup-To are honoured by mutt and others).
 */
static const char *const hp_required[] = { "From", "Subject", "To", "Cc",
	"Reply-To", "Mail-Reply-To", "Mail-Followup-To", NULL };

/* Spelling used in reasons for well-known fields. */
static const char *const hp_known[] = { "From", "Sender", "Reply-To", "To",
	"Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	"Keywords", "Comments", NULL };

static bool
hp_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

static bool
hp_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
hp_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 && s[0] < 0xf0 ?
	    3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static bool
hp_is_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t l;

	while (n > 0) {
		if ((l = hp_utf8_len(p, n)) == 0)
			return false;
		p += l;
		n -= l;
	}
	return true;
}

/*
 * Append s[0..n) as B encoded-words of at most 75 characters separated by
 * single spaces (where the folder may break), never splitting a UTF-8
 * character; "unknown-8bit" when the text is not UTF-8 (RFC 1428).  The
 * first word gets at most room characters (when that leaves space for a
 * few bytes), so that it fits after "Name: ".
 */
static void
hp_encoded_words(struct hp_buf *hb, const char *s, size_t n, size_t room)
{
	const char *cs = hp_is_utf8(s, n) ? "UTF-8" : "unknown-8bit";
	unsigned char b64[HP_EW_MAX + 4];
	size_t over = strlen(cs) + 7, budget, take, l;
	bool first = true;
	int bl;

	budget = room > over + 8 && room < HP_EW_MAX ? (room - over) / 4 * 3 :
	    (HP_EW_MAX - over) / 4 * 3;
	while (n > 0) {
		for (take = 0; take < n; take += l) {
			l = strcmp(cs, "UTF-8") == 0 ? hp_utf8_len(
			    (const unsigned char *)s + take, n - take) : 1;
			if (take + l > budget)
				break;
		}
		bl = EVP_EncodeBlock(b64, (const unsigned char *)s, (int)take);
		if (!first)
			hp_buf_puts(hb, " ");
		first = false;
		hp_buf_puts(hb, "=?");
		hp_buf_puts(hb, cs);
		hp_buf_puts(hb, "?B?");
		hp_buf_put(hb, (const char *)b64, (size_t)bl);
		hp_buf_puts(hb, "?=");
		s += take;
		n -= take;
		budget = (HP_EW_MAX - over) / 4 * 3;
	}
}

/* Display text of a phrase being collected in an address field. */
struct hp_phrase {
	struct hp_buf	ph_raw;		/* as written (comments encoded) */
	struct hp_buf	ph_disp;	/* quotes and comments removed */
	struct hp_buf	ph_cmts;	/* the comments, encoded */
	bool		ph_8bit;	/* 8-bit outside comments */
	size_t		ph_room;	/* room for a first encoded-word */
};

static void
hp_phrase_clear(struct hp_phrase *ph)
{
	size_t room = ph->ph_room;

	free(ph->ph_raw.hb_text);
	free(ph->ph_disp.hb_text);
	free(ph->ph_cmts.hb_text);
	memset(ph, 0, sizeof(*ph));
	ph->ph_room = room;
}

/*
 * Emit the phrase collected so far.  as_name: it is a display name or a
 * group name (followed by '<' or ':'), which may be encoded; otherwise it
 * is a bare addr-spec, which may not.  False when it cannot be 7-bit.
 */
static bool
hp_phrase_emit(struct hp_phrase *ph, struct hp_buf *out, bool as_name)
{
	const char *d;
	size_t n;

	if (ph->ph_8bit) {
		if (!as_name) {
			hp_phrase_clear(ph);
			return false;
		}
		d = ph->ph_disp.hb_text != NULL ? ph->ph_disp.hb_text : "";
		while (hp_blank((unsigned char)*d))
			d++;
		for (n = strlen(d); n > 0 && hp_blank((unsigned char)d[n - 1]);
		    n--)
			;
		if (out->hb_len > 0 && !hp_blank((unsigned char)
		    out->hb_text[out->hb_len - 1]))
			hp_buf_puts(out, " ");
		hp_encoded_words(out, d, n, out->hb_len == 0 ? ph->ph_room :
		    HP_EW_MAX);
		if (ph->ph_cmts.hb_len > 0)
			hp_buf_put(out, ph->ph_cmts.hb_text, ph->ph_cmts.hb_len);
		hp_buf_puts(out, " ");
	} else if (ph->ph_raw.hb_len > 0)
		hp_buf_put(out, ph->ph_raw.hb_text, ph->ph_raw.hb_len);
	hp_phrase_clear(ph);
	return true;
}

/* A comment at p: copied, or its text encoded when it has 8-bit bytes. */
static const char *
hp_enc_comment(const char *p, struct hp_phrase *ph)
{
	struct hp_buf text;
	const char *start = p;
	int depth = 0;

	memset(&text, 0, sizeof(text));
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			hp_buf_put(&text, ++p, 1);
			continue;
		}
		if (*p == '(') {
			if (depth++ == 0)
				continue;
		} else if (*p == ')' && --depth == 0) {
			p++;
			break;
		}
		hp_buf_put(&text, p, 1);
	}
	if (text.hb_text != NULL && hp_8bit(text.hb_text)) {
		hp_buf_puts(&ph->ph_raw, "(");
		hp_encoded_words(&ph->ph_raw, text.hb_text, text.hb_len,
		    HP_EW_MAX - 1);
		hp_buf_puts(&ph->ph_raw, ")");
		hp_buf_puts(&ph->ph_cmts, " (");
		hp_encoded_words(&ph->ph_cmts, text.hb_text, text.hb_len,
		    HP_EW_MAX - 1);
		hp_buf_puts(&ph->ph_cmts, ")");
	} else {
		hp_buf_put(&ph->ph_raw, start, (size_t)(p - start));
		hp_buf_puts(&ph->ph_cmts, " ");
		hp_buf_put(&ph->ph_cmts, start, (size_t)(p - start));
	}
	free(text.hb_text);
	return p;
}

/*
 * An address list (unfolded) with 8-bit display names and comments as
 * encoded-words.  NULL with *unsup set when an addr-spec has 8-bit bytes.
 */
static char *
hp_encode_addresses(const char *v, size_t room, bool *unsup)
{
	struct hp_phrase ph;
	struct hp_buf out;
	const char *p = v, *q;
	bool ok = true;

	memset(&ph, 0, sizeof(ph));
	memset(&out, 0, sizeof(out));
	ph.ph_room = room;
	while (*p != '\0' && ok) {
		if (*p == '(') {
			p = hp_enc_comment(p, &ph);
			continue;
		}
		if (*p == '"') {
			for (q = p + 1; *q != '\0' && *q != '"'; q++) {
				if (*q == '\\' && q[1] != '\0')
					q++;
				hp_buf_put(&ph.ph_disp, q, 1);
				if ((unsigned char)*q >= 0x80)
					ph.ph_8bit = true;
			}
			if (*q == '"')
				q++;
			hp_buf_put(&ph.ph_raw, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (*p == '<') {
			ok = hp_phrase_emit(&ph, &out, true);
			for (q = p; *q != '\0' && *q != '>'; q++)
				if ((unsigned char)*q >= 0x80)
					ok = false;
			if (*q == '>')
				q++;
			hp_buf_put(&out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (*p == ',' || *p == ';' || *p == ':') {
			ok = hp_phrase_emit(&ph, &out, *p == ':');
			hp_buf_put(&out, p++, 1);
			continue;
		}
		if ((unsigned char)*p >= 0x80)
			ph.ph_8bit = true;
		hp_buf_put(&ph.ph_raw, p, 1);
		hp_buf_put(&ph.ph_disp, p, 1);
		p++;
	}
	if (ok)
		ok = hp_phrase_emit(&ph, &out, false);
	hp_phrase_clear(&ph);
	if (!ok) {
		*unsup = true;
		free(out.hb_text);
		return NULL;
	}
	return hp_buf_take(&out);
}

/* Whether some word (run without blanks) of s is longer than max. */
static bool
hp_long_word(const char *s, size_t max)
{
	size_t run = 0;

	for (; *s != '\0'; s++) {
		run = hp_blank((unsigned char)*s) ? 0 : run + 1;
		if (run > max)
			return true;
	}
	return false;
}

/*
 * Fold v (one line, 7-bit) for a field called name: CRLF inserted before
 * a blank whenever the next word would pass column 78.  NULL with *unsup
 * set when a line would still pass 998 octets.
 */
static char *
hp_fold(const char *name, const char *v, bool *unsup)
{
	struct hp_buf out;
	size_t col = strlen(name) + 2, ws, wl, maxcol = col;
	const char *p = v;

	memset(&out, 0, sizeof(out));
	while (*p != '\0') {
		for (ws = 0; hp_blank((unsigned char)p[ws]); ws++)
			;
		for (wl = 0; p[ws + wl] != '\0' &&
		    !hp_blank((unsigned char)p[ws + wl]); wl++)
			;
		if (ws > 0 && out.hb_len > 0 && col + ws + wl > HP_FOLD) {
			hp_buf_puts(&out, "\r\n");
			col = 0;
		}
		hp_buf_put(&out, p, ws + wl);
		col += ws + wl;
		if (col > maxcol)
			maxcol = col;
		p += ws + wl;
	}
	if (maxcol > HP_MAX_LINE) {
		*unsup = true;
		free(out.hb_text);
		return NULL;
	}
	return hp_buf_take(&out);
}

/* The protected copy of one field's value; see smime_hp_fields(). */
static char *
hp_encode_value(const char *name, const char *value, bool *unsup)
{
	struct hp_buf b;
	char *flat, *enc = NULL, *folded = NULL, *dec = NULL, *s;
	const char *src;
	enum hp_kind kind = hp_kind(name);
	size_t room = HP_FOLD > strlen(name) + 2 ? HP_FOLD - strlen(name) - 2 :
	    0;

	if ((flat = smime_mime_unfold(value)) == NULL)
		return NULL;
	memset(&b, 0, sizeof(b));
	if (kind == HP_ADDR && hp_8bit(flat))
		enc = hp_encode_addresses(flat, room, unsup);
	else if (hp_8bit(flat) || (kind == HP_TEXT &&
	    hp_long_word(flat, HP_LONG_WORD))) {
		/*
		 * Encoded-words already there are decoded first, so that
		 * "=?UTF-8?B?...?= 第2回" does not become the literal text of
		 * an encoded-word; if that leaves invalid UTF-8 (raw bytes
		 * of another charset) the value is encoded as it stands.
		 */
		if ((dec = smime_hp_decode_words(flat)) == NULL)
			goto out;
		src = hp_is_utf8(dec, strlen(dec)) ? dec : flat;
		hp_encoded_words(&b, src, strlen(src), room);
		enc = hp_buf_take(&b);
	} else if (kind == HP_MSGID && strlen(name) + 2 + strlen(flat) >
	    HP_FOLD) {
		/* "<a><b>" too long for a line may fold as "<a> <b>". */
		for (s = flat; *s != '\0'; s++) {
			hp_buf_put(&b, s, 1);
			if (s[0] == '>' && s[1] == '<')
				hp_buf_puts(&b, " ");
		}
		enc = hp_buf_take(&b);
	} else
		enc = strdup(flat);
	if (enc != NULL)
		folded = hp_fold(name, enc, unsup);
out:
	free(flat);
	free(dec);
	free(enc);
	return folded;
}

static bool
hp_listed(const char *name, char *const *names, size_t nnames)
{
	size_t i;

	if (names == NULL) {
		for (i = 0; smime_hp_default_fields[i] != NULL; i++)
			if (smime_mime_strcasecmp(name,
			    smime_hp_default_fields[i]) == 0)
				return true;
		return false;
	}
	for (i = 0; i < nnames; i++)
		if (smime_mime_strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

smime_status
smime_hp_fields(const struct smime_headers *hdrs, char *const *names,
    size_t nnames, struct smime_headers *out, struct smime_err *err)
{
	const struct smime_header *h;
	smime_status ret = SMIME_INTERNAL;
	char *v = NULL;
	bool unsup = false;
	size_t i;

	for (i = 0; i < hdrs->hs_count; i++) {
		h = &hdrs->hs_list[i];
		if (!smime_hp_field_allowed(h->hdr_name) ||
		    !hp_listed(h->hdr_name, names, nnames))
			continue;
		if ((v = hp_encode_value(h->hdr_name, h->hdr_value, &unsup)) ==
		    NULL) {
			if (unsup) {
				smime_err_set(err, "header protection: %s "
				    "cannot be carried in 7 bits", h->hdr_name);
				ret = SMIME_UNSUPPORTED;
			} else {
				smime_err_set(err, "out of memory");
				ret = SMIME_NORESOURCE;
			}
			goto out;
		}
		if (smime_headers_add(out, h->hdr_name, v) != SMIME_OK) {
			smime_err_set(err, "out of memory");
			ret = SMIME_NORESOURCE;
			goto out;
		}
		free(v);
		v = NULL;
	}
	ret = SMIME_OK;
out:
	free(v);
	if (ret != SMIME_OK)
		smime_headers_clear(out);
	return ret;
}

/* True when the parameter segment [s, e) is named hp (hp, hp*, hp*0*). */
static bool
hp_is_hp_param(const char *s, const char *e)
{
	s = smime_mime_skip_cfws(s);
	if (e - s < 2 || smime_mime_strncasecmp(s, "hp", 2) != 0)
		return false;
	s += 2;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	return s < e && (*s == '=' || *s == '*');
}

char *
smime_hp_content_type(const char *value)
{
	struct hp_buf out;
	const char *seg = value, *p = value;
	bool first = true, quoted = false;
	int depth = 0;
	size_t n;

	memset(&out, 0, sizeof(out));
	for (;; p++) {
		if (*p == '\\' && (quoted || depth > 0) && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"' && depth == 0)
			quoted = !quoted;
		else if (*p == '(' && !quoted)
			depth++;
		else if (*p == ')' && !quoted && depth > 0)
			depth--;
		if (*p != '\0' && (*p != ';' || quoted || depth > 0))
			continue;
		if (first || !hp_is_hp_param(seg, p)) {
			if (!first)
				hp_buf_puts(&out, ";");
			hp_buf_put(&out, seg, (size_t)(p - seg));
		}
		first = false;
		if (*p == '\0')
			break;
		seg = p + 1;
	}
	/* Drop trailing blanks, line breaks and empty parameters. */
	while (out.hb_len > 0 && (out.hb_text[out.hb_len - 1] == ' ' ||
	    out.hb_text[out.hb_len - 1] == '\t' ||
	    out.hb_text[out.hb_len - 1] == '\r' ||
	    out.hb_text[out.hb_len - 1] == '\n' ||
	    out.hb_text[out.hb_len - 1] == ';'))
		out.hb_text[--out.hb_len] = '\0';
	n = out.hb_len;
	hp_buf_puts(&out, n > 0 ? ";\r\n hp=\"clear\"" : "hp=\"clear\"");
	return hp_buf_take(&out);
}

bool
smime_hp_present(const struct smime_mime_part *part)
{
	struct smime_mime_param *params = NULL;
	char *type = NULL, *sub = NULL;
	const char *ct;
	size_t np = 0, i;
	bool found = smime_mime_get0_param(part, "hp") != NULL;

	/* Any Content-Type of the part that names hp counts. */
	for (i = 0; !found && (ct = smime_headers_get0(&part->mp_headers,
	    "Content-Type", i)) != NULL; i++) {
		if (smime_mime_parse_content_type(ct, &type, &sub, &params,
		    &np) == SMIME_OK)
			found = smime_mime_params_get0(params, np, "hp") != NULL;
		free(type);
		free(sub);
		smime_mime_params_free(params, np);
		type = sub = NULL;
		params = NULL;
		np = 0;
	}
	return found;
}

/* A field name fit for a reason or the marker field. */
static void
hp_put_name(struct hp_buf *hb, const char *name, bool lower)
{
	const char *p;
	char c;
	size_t i;

	for (i = 0; hp_known[i] != NULL; i++)
		if (smime_mime_strcasecmp(name, hp_known[i]) == 0)
			name = hp_known[i];
	for (p = name; *p != '\0'; p++) {
		c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			c = '?';
		if (lower && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		hp_buf_put(hb, &c, 1);
	}
}

/* Whether the values of name agree inside and outside. */
static smime_status
hp_same(const struct smime_headers *in, const struct smime_headers *outer,
    const char *name, bool *same)
{
	const char *a, *b;
	char *na = NULL, *nb = NULL;
	size_t i;

	*same = smime_headers_count(in, name) ==
	    smime_headers_count(outer, name);
	for (i = 0; *same && (a = smime_headers_get0(in, name, i)) != NULL;
	    i++) {
		b = smime_headers_get0(outer, name, i);
		if ((na = smime_hp_norm(name, a)) == NULL ||
		    (nb = smime_hp_norm(name, b)) == NULL) {
			free(na);
			return SMIME_NORESOURCE;
		}
		*same = strcmp(na, nb) == 0;
		free(na);
		free(nb);
	}
	return SMIME_OK;
}

static bool
hp_protected_name(const char *name)
{
	return smime_mime_strncasecmp(name, "Content-", 8) != 0 &&
	    smime_mime_strcasecmp(name, "MIME-Version") != 0;
}

/* Index of the first earlier field of in with the same name, or i. */
static size_t
hp_first_of(const struct smime_headers *in, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (smime_mime_strcasecmp(in->hs_list[j].hdr_name,
		    in->hs_list[i].hdr_name) == 0)
			return j;
	return i;
}

smime_status
smime_hp_compare(const struct smime_mime_part *root,
    const struct smime_headers *outer, char **why, char **fields)
{
	const struct smime_headers *in = &root->mp_headers;
	struct hp_buf list, bad;
	const char *name, *badname = NULL;
	smime_status ret = SMIME_NORESOURCE;
	size_t i, nbad = 0;
	bool same, from_bad = false;

	*why = *fields = NULL;
	memset(&list, 0, sizeof(list));
	memset(&bad, 0, sizeof(bad));
	/* Bounded work: real messages protect a dozen fields. */
	for (i = 0, nbad = 0; i < in->hs_count; i++)
		if (hp_protected_name(in->hs_list[i].hdr_name))
			nbad++;
	if (nbad > HP_MAX_FIELDS) {
		*why = strdup("too many protected header fields");
		return *why == NULL ? SMIME_NORESOURCE : SMIME_OK;
	}
	nbad = 0;
	for (i = 0; i < in->hs_count; i++) {
		name = in->hs_list[i].hdr_name;
		if (!hp_protected_name(name) || hp_first_of(in, i) != i)
			continue;
		if (hp_same(in, outer, name, &same) != SMIME_OK)
			goto out;
		if (list.hb_len > 0)
			hp_buf_puts(&list, ", ");
		hp_put_name(&list, name, true);
		if (same)
			continue;
		/* From first: who it is from matters most. */
		if (smime_mime_strcasecmp(name, "From") == 0)
			from_bad = true;
		if (badname == NULL || from_bad)
			badname = from_bad ? "From" : name;
		nbad++;
	}
	if (badname != NULL) {
		hp_put_name(&bad, badname, false);
		hp_buf_puts(&bad, " differs from the signed ");
		hp_put_name(&bad, badname, false);
		if (nbad > 1)
			hp_buf_puts(&bad, " and other protected fields");
	} else {
		for (i = 0; hp_required[i] != NULL; i++)
			if (smime_headers_count(in, hp_required[i]) == 0 &&
			    smime_headers_count(outer, hp_required[i]) > 0)
				break;
		if (hp_required[i] != NULL) {
			hp_buf_puts(&bad, hp_required[i]);
			hp_buf_puts(&bad, " is not signed");
		}
	}
	if (bad.hb_len > 0) {
		if ((*why = hp_buf_take(&bad)) == NULL)
			goto out;
	} else if ((*fields = hp_buf_take(&list)) == NULL)
		goto out;
	ret = SMIME_OK;
out:
	free(list.hb_text);
	free(bad.hb_text);
	return ret;
}

/* "a; b", or a copy of a when b is NULL. */
static char *
hp_join(const char *a, const char *b)
{
	struct hp_buf out;

	memset(&out, 0, sizeof(out));
	hp_buf_puts(&out, a);
	if (b != NULL) {
		hp_buf_puts(&out, "; ");
		hp_buf_puts(&out, b);
	}
	return hp_buf_take(&out);
}

smime_status
smime_hp_check(struct smime_sigres_list *l, size_t first,
    const struct smime_mime_part *content, const struct smime_headers *outer,
    bool top)
{
	struct smime_sigres *sr;
	char *why = NULL, *fields = NULL, *dup;
	smime_status ret;
	size_t i;

	if (first >= l->srl_count || !smime_hp_present(content))
		return SMIME_OK;
	if ((ret = smime_hp_compare(content, outer, &why, &fields)) !=
	    SMIME_OK)
		return ret;
	for (i = first; i < l->srl_count; i++) {
		sr = &l->srl_list[i];
		if (why != NULL && (sr->sr_result == SMIME_RESULT_PASS ||
		    sr->sr_result == SMIME_RESULT_POLICY)) {
			/*
			 * A signed header the reader does not see: no pass.
			 * An existing policy reason (signer does not match
			 * From) is kept after ours.
			 */
			if ((dup = hp_join(why, sr->sr_result ==
			    SMIME_RESULT_POLICY ? sr->sr_reason : NULL)) ==
			    NULL) {
				ret = SMIME_NORESOURCE;
				break;
			}
			free(sr->sr_reason);
			sr->sr_reason = dup;
			sr->sr_result = SMIME_RESULT_POLICY;
		} else if (sr->sr_result != SMIME_RESULT_PASS)
			continue;
		else if (top && fields != NULL && *fields != '\0') {
			if ((dup = strdup(fields)) == NULL) {
				ret = SMIME_NORESOURCE;
				break;
			}
			free(sr->sr_protected);
			sr->sr_protected = dup;
		}
	}
	free(why);
	free(fields);
	return ret;
}

char *
smime_hp_marker(const char *fields)
{
	struct hp_buf out;
	const char *p = fields, *e;
	size_t col = strlen(SMIME_HP_MARKER) + 2, n;

	/* "a, b, c" folded with LF + TAB (smfi_addheader()'s form). */
	memset(&out, 0, sizeof(out));
	while (*p != '\0') {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p) + (*e == ',' ? 1 : 0);
		if (out.hb_len > 0) {
			if (col + 1 + n > HP_FOLD) {
				hp_buf_puts(&out, "\n\t");
				col = 8;
			} else {
				hp_buf_puts(&out, " ");
				col++;
			}
		}
		hp_buf_put(&out, p, n);
		col += n;
		for (p = e + (*e == ',' ? 1 : 0); *p == ' '; p++)
			;
	}
	return hp_buf_take(&out);
}

smime_status
smime_hp_check_opaque(struct smime_sigres_list *l, size_t first,
    struct smime_spool *content, const struct smime_headers *outer, bool top)
{
	struct smime_mime_part *tree = NULL;
	struct smime_spool *sp = NULL;
	struct smime_err err;
	unsigned char *d = NULL;
	size_t n = 0, i, hlen, got;
	smime_status ret = SMIME_NORESOURCE;

	if (first >= l->srl_count)
		return SMIME_OK;
	/* Only the header section matters: up to the first empty line. */
	if ((d = malloc(SMIME_MIME_MAX_HEADER)) == NULL)
		goto out;
	for (n = 0; n < SMIME_MIME_MAX_HEADER; n += got) {
		if (smime_spool_read_at(content, n, d + n,
		    SMIME_MIME_MAX_HEADER - n, &got, &err) != SMIME_OK) {
			ret = SMIME_TEMPFAIL;
			goto out;
		}
		if (got == 0)
			break;
	}
	for (i = 0, hlen = n; i < n; i++)
		if (d[i] == '\n' && ((i + 1 < n && d[i + 1] == '\n') ||
		    (i + 2 < n && d[i + 1] == '\r' && d[i + 2] == '\n'))) {
			hlen = i + 1;
			break;
		}
	if ((sp = smime_spool_new(SMIME_MIME_MAX_HEADER + 16, NULL)) == NULL ||
	    smime_spool_write(sp, d, hlen, &err) != SMIME_OK ||
	    smime_spool_write(sp, "\r\n\r\n", 4, &err) != SMIME_OK)
		goto out;
	/* An entity we cannot parse protects nothing we could compare. */
	ret = SMIME_OK;
	if (smime_mime_parse(sp, NULL, 4, 4, &tree, &err) == SMIME_OK)
		ret = smime_hp_check(l, first, tree, outer, top);
out:
	free(d);
	smime_mime_free(tree);
	smime_spool_free(sp);
	return ret;
}
