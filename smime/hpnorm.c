/*
 * hpnorm.c - normalised forms of header field values, so that a protected
 * field (RFC 9788) and its outer copy compare equal when a reader would
 * show the same thing, whatever folding, RFC 2047 encoding, quoting or
 * Date notation a relay or the signer chose.
 *
 * Decoding is deliberately liberal (an encoded-word inside a quoted
 * string is decoded, as Thunderbird does): both sides go through the same
 * function, so liberal decoding can only make differently written equal
 * text compare equal, never hide a change of the text itself.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "smime/b64dec.h"
#include "smime/hp.h"
#include "smime/hp_int.h"

void
hp_buf_put(struct hp_buf *hb, const char *s, size_t n)
{
	char *nb;
	size_t alloc;

	if (hb->hb_failed)
		return;
	if (hb->hb_len + n + 1 > hb->hb_alloc) {
		alloc = (hb->hb_len + n + 1) * 2;
		if (alloc < 64)
			alloc = 64;
		if ((nb = realloc(hb->hb_text, alloc)) == NULL) {
			hb->hb_failed = true;
			return;
		}
		hb->hb_text = nb;
		hb->hb_alloc = alloc;
	}
	memcpy(hb->hb_text + hb->hb_len, s, n);
	hb->hb_len += n;
	hb->hb_text[hb->hb_len] = '\0';
}

void
hp_buf_puts(struct hp_buf *hb, const char *s)
{
	hp_buf_put(hb, s, strlen(s));
}

char *
hp_buf_take(struct hp_buf *hb)
{
	char *t;

	if (hb->hb_failed) {
		free(hb->hb_text);
		memset(hb, 0, sizeof(*hb));
		return NULL;
	}
	if (hb->hb_text == NULL)
		hp_buf_put(hb, "", 0);
	t = hb->hb_text;
	if (hb->hb_failed)
		t = NULL;
	memset(hb, 0, sizeof(*hb));
	return t;
}

static bool
hp_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- RFC 2047 decoding ---- */

static int
hp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Convert n bytes in charset to UTF-8 into out; false when iconv cannot. */
static bool
hp_iconv(const char *charset, const char *in, size_t n, struct hp_buf *out)
{
	char buf[512], *ip = (char *)(uintptr_t)in, *op;
	size_t il = n, ol, r;
	iconv_t cd;
	bool ok = true;

	if ((cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
		return false;
	while (il > 0 && ok) {
		op = buf;
		ol = sizeof(buf);
		r = iconv(cd, &ip, &il, &op, &ol);
		if (r == (size_t)-1 && errno != E2BIG)
			ok = false;
		hp_buf_put(out, buf, sizeof(buf) - ol);
	}
	if (ok) {	/* flush a stateful encoding's shift state */
		op = buf;
		ol = sizeof(buf);
		if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
			ok = false;
		hp_buf_put(out, buf, sizeof(buf) - ol);
	}
	iconv_close(cd);
	return ok;
}

/*
 * If an encoded-word starts at p, append its decoded text to out and
 * return its length; 0 (out untouched) when p does not start one or it
 * cannot be decoded.
 */
static size_t
hp_ew(const char *p, struct hp_buf *out)
{
	const char *cs, *cse, *tx, *txe;
	char charset[64], *star;
	struct hp_buf raw, conv;
	unsigned int bits = 0;
	int nbits = 0, v, h1, h2;
	bool ok = true;
	char enc, c;

	if (p[0] != '=' || p[1] != '?')
		return 0;
	for (cs = cse = p + 2; *cse != '\0' && *cse != '?' &&
	    !hp_wsp((unsigned char)*cse); cse++)
		;
	if (*cse != '?' || cse == cs || (size_t)(cse - cs) >= sizeof(charset))
		return 0;
	enc = cse[1];
	if ((enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') ||
	    cse[2] != '?')
		return 0;
	for (tx = txe = cse + 3; *txe != '\0' && *txe != '?' &&
	    !hp_wsp((unsigned char)*txe); txe++)
		;
	if (txe[0] != '?' || txe[1] != '=')
		return 0;
	memcpy(charset, cs, (size_t)(cse - cs));
	charset[cse - cs] = '\0';
	if ((star = strchr(charset, '*')) != NULL)	/* RFC 2231 language */
		*star = '\0';
	memset(&raw, 0, sizeof(raw));
	for (; tx < txe && ok; tx++) {
		c = *tx;
		if (enc == 'B' || enc == 'b') {
			if (c == '=')
				break;
			if ((v = smime_b64_value((unsigned char)c)) < 0) {
				ok = false;
				break;
			}
			bits = (bits << 6 | (unsigned int)v) & 0xffffff;
			if ((nbits += 6) >= 8) {
				nbits -= 8;
				c = (char)(bits >> nbits);
				hp_buf_put(&raw, &c, 1);
			}
		} else if (c == '_')
			hp_buf_put(&raw, " ", 1);
		else if (c == '=') {
			if (tx + 2 >= txe ||
			    (h1 = hp_hexval((unsigned char)tx[1])) < 0 ||
			    (h2 = hp_hexval((unsigned char)tx[2])) < 0) {
				ok = false;
				break;
			}
			c = (char)(h1 << 4 | h2);
			hp_buf_put(&raw, &c, 1);
			tx += 2;
		} else
			hp_buf_put(&raw, &c, 1);
	}
	memset(&conv, 0, sizeof(conv));
	if (ok && !raw.hb_failed) {
		if (smime_mime_strcasecmp(charset, "unknown-8bit") == 0 ||
		    smime_mime_strncasecmp(charset, "x-unknown", 9) == 0)
			hp_buf_put(&conv, raw.hb_text ? raw.hb_text : "",
			    raw.hb_len);
		else
			ok = hp_iconv(charset, raw.hb_text ? raw.hb_text : "",
			    raw.hb_len, &conv);
	}
	/*
	 * A decoded NUL would end the C string the comparison sees, hiding
	 * whatever follows it from the check while readers still show it:
	 * such a word is not decoded, so its literal text is compared.
	 */
	if (ok && (conv.hb_failed ||
	    (conv.hb_len > 0 && memchr(conv.hb_text, '\0', conv.hb_len) != NULL)))
		ok = false;
	if (ok)
		hp_buf_put(out, conv.hb_text ? conv.hb_text : "", conv.hb_len);
	free(raw.hb_text);
	free(conv.hb_text);
	return ok ? (size_t)(txe + 2 - p) : 0;
}

char *
smime_hp_decode_words(const char *s)
{
	struct hp_buf out, pend;
	const char *p = s, *ws;
	bool last_ew = false;
	size_t n;

	memset(&out, 0, sizeof(out));
	while (*p != '\0') {
		if (hp_wsp((unsigned char)*p)) {
			for (ws = p; hp_wsp((unsigned char)*p); p++)
				;
			/* Blanks between two encoded-words are dropped. */
			memset(&pend, 0, sizeof(pend));
			if (last_ew && (n = hp_ew(p, &pend)) > 0) {
				hp_buf_put(&out, pend.hb_text ? pend.hb_text :
				    "", pend.hb_len);
				p += n;
				free(pend.hb_text);
				continue;
			}
			free(pend.hb_text);
			hp_buf_put(&out, ws, (size_t)(p - ws));
			last_ew = false;
			continue;
		}
		if ((n = hp_ew(p, &out)) > 0) {
			p += n;
			last_ew = true;
			continue;
		}
		hp_buf_put(&out, p++, 1);
		last_ew = false;
	}
	return hp_buf_take(&out);
}

/* Collapse runs of blanks and line breaks to one space; trim both ends. */
static char *
hp_collapse(char *s)
{
	char *r = s, *w = s;
	bool blank = false;

	if (s == NULL)
		return NULL;
	while (hp_wsp((unsigned char)*r))
		r++;
	for (; *r != '\0'; r++) {
		if (hp_wsp((unsigned char)*r)) {
			blank = true;
			continue;
		}
		if (blank)
			*w++ = ' ';
		blank = false;
		*w++ = *r;
	}
	*w = '\0';
	return s;
}

char *
smime_hp_norm_text(const char *value)
{
	return hp_collapse(smime_hp_decode_words(value));
}

/* ---- addresses ---- */

struct hp_mbox {
	struct hp_buf	hm_phrase;	/* display name, quotes removed */
	struct hp_buf	hm_addr;	/* inside <>, blanks removed */
	struct hp_buf	hm_cmt;		/* comment texts */
	bool		hm_angle;
	bool		hm_any;		/* something besides blanks */
};

static void
hp_mbox_reset(struct hp_mbox *m)
{
	free(m->hm_phrase.hb_text);
	free(m->hm_addr.hb_text);
	free(m->hm_cmt.hb_text);
	memset(m, 0, sizeof(*m));
}

/* Append the normalised mailbox to out (", " before it unless *first). */
static void
hp_mbox_finish(struct hp_mbox *m, struct hp_buf *out, bool *first)
{
	struct hp_buf addr;
	char *disp = NULL, *cmt = NULL, *at;
	const char *src;
	size_t i;

	if (!m->hm_any) {
		hp_mbox_reset(m);
		return;
	}
	memset(&addr, 0, sizeof(addr));
	src = m->hm_angle ? m->hm_addr.hb_text : m->hm_phrase.hb_text;
	for (i = 0; src != NULL && src[i] != '\0'; i++)
		if (!hp_wsp((unsigned char)src[i]))
			hp_buf_put(&addr, src + i, 1);
	hp_buf_put(&addr, "", 0);
	if (addr.hb_text != NULL) {
		/* A source route "@a,@b:" is obsolete syntax: drop it. */
		if (addr.hb_text[0] == '@' && (at = strrchr(addr.hb_text,
		    ':')) != NULL)
			memmove(addr.hb_text, at + 1, strlen(at + 1) + 1);
		/* Case is kept by nobody's display: compare without it. */
		for (at = addr.hb_text; *at != '\0'; at++)
			*at = (char)tolower((unsigned char)*at);
	}
	if (m->hm_angle)
		disp = smime_hp_norm_text(m->hm_phrase.hb_text ?
		    m->hm_phrase.hb_text : "");
	cmt = smime_hp_norm_text(m->hm_cmt.hb_text ? m->hm_cmt.hb_text : "");
	if ((m->hm_angle && disp == NULL) || cmt == NULL || addr.hb_failed)
		out->hb_failed = true;
	if (!*first)
		hp_buf_puts(out, ", ");
	*first = false;
	if (disp != NULL && *disp != '\0') {
		hp_buf_puts(out, disp);
		hp_buf_puts(out, " ");
	}
	hp_buf_puts(out, "<");
	hp_buf_puts(out, addr.hb_text != NULL ? addr.hb_text : "");
	hp_buf_puts(out, ">");
	if (cmt != NULL && *cmt != '\0') {
		hp_buf_puts(out, " (");
		hp_buf_puts(out, cmt);
		hp_buf_puts(out, ")");
	}
	free(disp);
	free(cmt);
	free(addr.hb_text);
	hp_mbox_reset(m);
}

/* Skip a comment at p ('('), appending its text to out; returns after it. */
static const char *
hp_comment(const char *p, struct hp_buf *out)
{
	int depth = 0;

	hp_buf_puts(out, " ");
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			hp_buf_put(out, ++p, 1);
			continue;
		}
		if (*p == '(') {
			if (depth++ == 0)
				continue;
		} else if (*p == ')' && --depth == 0)
			return p + 1;
		hp_buf_put(out, p, 1);
	}
	return p;
}

/* Copy a quoted string at p ('"') without quotes and escapes. */
static const char *
hp_quoted(const char *p, struct hp_buf *out)
{
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p != '\r' && *p != '\n')
			hp_buf_put(out, p, 1);
	}
	return *p == '"' ? p + 1 : p;
}

char *
smime_hp_norm_addresses(const char *value)
{
	struct hp_mbox m;
	struct hp_buf out;
	const char *p = value;
	bool first = true, inang = false;
	char *g;

	memset(&m, 0, sizeof(m));
	memset(&out, 0, sizeof(out));
	while (*p != '\0' && !out.hb_failed) {
		if (*p == '(') {
			p = hp_comment(p, &m.hm_cmt);
			continue;
		}
		if (*p == '"') {
			m.hm_any = true;
			p = hp_quoted(p, inang ? &m.hm_addr : &m.hm_phrase);
			continue;
		}
		if (inang) {
			if (*p == '>')
				inang = false;
			else
				hp_buf_put(&m.hm_addr, p, 1);
			p++;
			continue;
		}
		switch (*p) {
		case '<':
			inang = m.hm_angle = m.hm_any = true;
			break;
		case ',':
			hp_mbox_finish(&m, &out, &first);
			break;
		case ';':
			hp_mbox_finish(&m, &out, &first);
			hp_buf_puts(&out, ";");
			break;
		case ':':	/* group: its display name */
			g = smime_hp_norm_text(m.hm_phrase.hb_text ?
			    m.hm_phrase.hb_text : "");
			if (g == NULL)
				out.hb_failed = true;
			else {
				if (!first)
					hp_buf_puts(&out, ", ");
				hp_buf_puts(&out, g);
				hp_buf_puts(&out, ":");
			}
			free(g);
			hp_mbox_reset(&m);
			first = true;
			break;
		default:
			if (!hp_wsp((unsigned char)*p))
				m.hm_any = true;
			hp_buf_put(&m.hm_phrase, p, 1);
			break;
		}
		p++;
	}
	hp_mbox_finish(&m, &out, &first);
	return hp_buf_take(&out);
}

/* ---- Date ---- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
hp_days(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* RFC 5322 §3.3 date-time (with the obsolete forms of §4.3) to seconds. */
static bool
hp_parse_date(const char *value, long long *out)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr",
	    "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	static const struct { const char *z; int off; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "Z", 0 }, { "EST", -500 },
		{ "EDT", -400 }, { "CST", -600 }, { "CDT", -500 },
		{ "MST", -700 }, { "MDT", -600 }, { "PST", -800 },
		{ "PDT", -700 },
	};
	struct hp_buf flat;
	char *tok[8], *save = NULL, *t;
	int ntok = 0, i = 0, day, mon = -1, hh, mm, ss = 0, off = 0, k;
	long long year;
	bool ok = false;
	const char *p;

	memset(&flat, 0, sizeof(flat));
	for (p = value; *p != '\0';) {	/* comments out */
		if (*p == '(') {
			struct hp_buf junk;

			memset(&junk, 0, sizeof(junk));
			p = hp_comment(p, &junk);
			free(junk.hb_text);
			hp_buf_puts(&flat, " ");
		} else
			hp_buf_put(&flat, p++, 1);
	}
	if (flat.hb_text == NULL || flat.hb_failed)
		goto out;
	for (t = strtok_r(flat.hb_text, " \t\r\n,", &save); t != NULL &&
	    ntok < 8; t = strtok_r(NULL, " \t\r\n,", &save))
		tok[ntok++] = t;
	if (ntok > 0 && isalpha((unsigned char)tok[0][0]))
		i = 1;			/* day-of-week */
	if (ntok - i < 4 || sscanf(tok[i], "%d", &day) != 1 ||
	    strlen(tok[i + 1]) < 3)
		goto out;
	for (k = 0; k < 12; k++)
		if (smime_mime_strncasecmp(tok[i + 1], months[k], 3) == 0)
			mon = k + 1;
	if (mon < 0 || sscanf(tok[i + 2], "%lld", &year) != 1 ||
	    (sscanf(tok[i + 3], "%d:%d:%d", &hh, &mm, &ss) < 2))
		goto out;
	if (strlen(tok[i + 2]) == 2)
		year += year < 50 ? 2000 : 1900;
	else if (strlen(tok[i + 2]) == 3)
		year += 1900;
	if (day < 1 || day > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
	    ss < 0 || ss > 60 || year < 1900 || year > 9999)
		goto out;
	if (ntok > i + 4) {
		t = tok[i + 4];
		if ((t[0] == '+' || t[0] == '-') && strlen(t) == 5 &&
		    strspn(t + 1, "0123456789") == 4) {
			off = atoi(t + 1);
			if (t[0] == '-')
				off = -off;
		} else
			for (k = 0; k < (int)(sizeof(zones) /
			    sizeof(zones[0])); k++)
				if (smime_mime_strcasecmp(t, zones[k].z) == 0)
					off = zones[k].off;
	}
	*out = hp_days(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss -
	    (off / 100 * 3600 + off % 100 * 60);
	ok = true;
out:
	free(flat.hb_text);
	return ok;
}

char *
smime_hp_norm_date(const char *value)
{
	long long t;
	char buf[32];

	if (!hp_parse_date(value, &t))
		return smime_hp_norm_text(value);
	snprintf(buf, sizeof(buf), "@%lld", t);
	return strdup(buf);
}

/* ---- msg-id lists ---- */

char *
smime_hp_norm_msgids(const char *value)
{
	struct hp_buf out, junk;
	const char *p = value;
	bool in = false, any = false;

	memset(&out, 0, sizeof(out));
	while (*p != '\0') {
		if (*p == '(' && !in) {
			memset(&junk, 0, sizeof(junk));
			p = hp_comment(p, &junk);
			free(junk.hb_text);
			continue;
		}
		if (*p == '<' && !in) {
			if (any)
				hp_buf_puts(&out, " ");
			in = any = true;
		}
		if (in && !hp_wsp((unsigned char)*p))
			hp_buf_put(&out, p, 1);
		if (*p == '>')
			in = false;
		p++;
	}
	if (!any || in || out.hb_failed) {
		free(out.hb_text);
		return smime_hp_norm_text(value);
	}
	return hp_buf_take(&out);
}

/* ---- by field name ---- */

static bool
hp_name_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (smime_mime_strcasecmp(name, *list) == 0)
			return true;
	return false;
}

static const char *const hp_addr_fields[] = { "From", "Sender", "Reply-To",
	"To", "Cc", "Bcc", "Resent-From", "Resent-Sender", "Resent-To",
	"Resent-Cc", "Resent-Bcc", "Disposition-Notification-To", NULL };
static const char *const hp_date_fields[] = { "Date", "Resent-Date", NULL };
static const char *const hp_msgid_fields[] = { "Message-ID", "In-Reply-To",
	"References", "Resent-Message-ID", NULL };

enum hp_kind
hp_kind(const char *name)
{
	if (hp_name_in(name, hp_addr_fields))
		return HP_ADDR;
	if (hp_name_in(name, hp_date_fields))
		return HP_DATE;
	if (hp_name_in(name, hp_msgid_fields))
		return HP_MSGID;
	return HP_TEXT;
}

char *
smime_hp_norm(const char *name, const char *value)
{
	switch (hp_kind(name)) {
	case HP_ADDR:
		return smime_hp_norm_addresses(value);
	case HP_DATE:
		return smime_hp_norm_date(value);
	case HP_MSGID:
		return smime_hp_norm_msgids(value);
	case HP_TEXT:
	default:
		return smime_hp_norm_text(value);
	}
}
