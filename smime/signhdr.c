/*
 * signhdr.c - make a header field with raw 8-bit bytes 7-bit clean for
 * the signed entity: RFC 2231 for Content-Type/Content-Disposition
 * parameters (raw UTF-8 file names are common in Japanese mail), RFC 2047
 * encoded-words for everything else (Subject of a forwarded message,
 * Content-Description).  Readers decode both back to the same text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iconv.h>

#include <openssl/evp.h>

#include "smime/mimehdr.h"
#include "smime/signhdr.h"

#define HDR_FOLD	76	/* fold before a word that would pass this */
#define EW_BYTES	45	/* raw bytes per encoded-word: 60 base64 */
#define HDR_LINE	78	/* our generated lines stay within this */
#define HDR_LONG_WORD	900	/* a word this long cannot be folded: encode */

struct hbuf {
	char	*hb_text;
	size_t	 hb_len;
	size_t	 hb_alloc;
	size_t	 hb_col;	/* length of the current line */
	bool	 hb_failed;
};

static void
hb_put(struct hbuf *hb, const char *s, size_t n)
{
	char *nb;
	size_t alloc;

	if (hb->hb_failed)
		return;
	if (hb->hb_len + n + 1 > hb->hb_alloc) {
		alloc = (hb->hb_len + n + 1) * 2;
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
	hb->hb_col += n;
}

static void
hb_puts(struct hbuf *hb, const char *s)
{
	hb_put(hb, s, strlen(s));
}

/* Separate the next word: a space, or a fold when the line would be long. */
static void
hb_sep(struct hbuf *hb, size_t wordlen, const char *fold)
{
	if (hb->hb_col + 1 + wordlen > HDR_FOLD) {
		hb_puts(hb, fold);
		hb->hb_col = 1;
	} else
		hb_puts(hb, " ");
}

static bool
hdr_has_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
hdr_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 :
	    s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static bool
hdr_is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), l;

	while (n > 0) {
		if ((l = hdr_utf8_len(p, n)) == 0)
			return false;
		p += l;
		n -= l;
	}
	return true;
}

/* Append [s, s + n) as B encoded-words, split at character boundaries. */
static void
hdr_encoded_words(struct hbuf *hb, const char *s, size_t n,
    const char *charset, bool first)
{
	unsigned char b64[EW_BYTES * 2];
	char word[128];
	size_t take, l;
	int bl;

	while (n > 0) {
		take = 0;
		while (take < n) {
			l = strcmp(charset, "UTF-8") == 0 ? hdr_utf8_len(
			    (const unsigned char *)s + take, n - take) : 1;
			if (l == 0)
				l = 1;
			if (take + l > EW_BYTES)
				break;
			take += l;
		}
		bl = EVP_EncodeBlock(b64, (const unsigned char *)s,
		    (int)take);
		snprintf(word, sizeof(word), "=?%s?B?%.*s?=", charset, bl,
		    (const char *)b64);
		if (!first)
			hb_sep(hb, strlen(word), "\r\n ");
		else if (hb->hb_col + strlen(word) > HDR_FOLD) {
			hb_puts(hb, "\r\n ");
			hb->hb_col = 1;
		}
		first = false;
		hb_puts(hb, word);
		s += take;
		n -= take;
	}
}

/*
 * RFC 2047: words (runs between blanks) with 8-bit bytes become
 * encoded-words; a run of such words is encoded together so that the
 * blanks between them survive.
 */
static void
hdr_encode_unstructured(struct hbuf *hb, const char *value)
{
	const char *charset = hdr_is_utf8(value) ? "UTF-8" : "unknown-8bit";
	const char *p = value, *w, *run = NULL, *runend = NULL;
	bool first = true;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (w != p && (hdr_has_8bit(w, (size_t)(p - w)) ||
		    (size_t)(p - w) > HDR_LONG_WORD)) {
			if (run == NULL)
				run = w;
			runend = p;
			continue;
		}
		if (run != NULL) {
			hdr_encoded_words(hb, run, (size_t)(runend - run),
			    charset, first);
			first = false;
			run = NULL;
		}
		if (w == p)
			break;
		if (!first)
			hb_sep(hb, (size_t)(p - w), "\r\n ");
		first = false;
		hb_put(hb, w, (size_t)(p - w));
	}
}

/* An RFC 2045 token character, the set a parameter value may use bare. */
static bool
hdr_attr_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=*'%", c) ==
	    NULL;
}

/*
 * A long 7-bit parameter as RFC 2231 §3 continuations, each section a
 * quoted-string on its own line: name*0="..."; name*1="..." (boundary is
 * never split: not every reader joins it).
 */
static void
hdr_param_sections(struct hbuf *hb, const struct smime_mime_param *pa)
{
	const char *v = pa->mpa_value;
	char sect[HDR_LINE + 32];
	size_t n, take;
	int idx = 0;

	while (*v != '\0') {
		n = (size_t)snprintf(sect, sizeof(sect), "%.40s*%d=\"",
		    pa->mpa_name, idx++);
		for (take = 0; *v != '\0' && n + 4 < HDR_LINE - 2 &&
		    take < 60; v++, take++) {
			if (*v == '"' || *v == '\\')
				sect[n++] = '\\';
			sect[n++] = *v;
		}
		sect[n++] = '"';
		sect[n] = '\0';
		hb_puts(hb, ";");
		hb_sep(hb, n, "\r\n\t");
		hb_puts(hb, sect);
	}
}

/* One parameter: quoted when 7-bit, RFC 2231 sections otherwise. */
static void
hdr_param(struct hbuf *hb, const struct smime_mime_param *pa)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)pa->mpa_value;
	char sect[HDR_LINE + 96], *line;
	size_t n = 0, llen, limit;
	int idx = 0;
	const char *cs = pa->mpa_charset != NULL ? pa->mpa_charset :
	    hdr_is_utf8(pa->mpa_value) ? "UTF-8" : "unknown-8bit";
	char csbuf[64];

	/* A value with its own RFC 2231 charset keeps it, and its bytes. */
	if (pa->mpa_charset == NULL &&
	    !hdr_has_8bit(pa->mpa_value, strlen(pa->mpa_value)) &&
	    strlen(pa->mpa_name) + 2 * strlen(pa->mpa_value) + 8 > HDR_LINE &&
	    smime_mime_strcasecmp(pa->mpa_name, "boundary") != 0) {
		hdr_param_sections(hb, pa);
		return;
	}
	if (pa->mpa_charset == NULL &&
	    !hdr_has_8bit(pa->mpa_value, strlen(pa->mpa_value))) {
		llen = strlen(pa->mpa_name) + 2 * strlen(pa->mpa_value) + 8;
		if ((line = malloc(llen)) == NULL) {
			hb->hb_failed = true;
			return;
		}
		n = (size_t)snprintf(line, llen, "%s=\"", pa->mpa_name);
		for (; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				line[n++] = '\\';
			line[n++] = (char)*v;
		}
		line[n++] = '"';
		line[n] = '\0';
		hb_puts(hb, ";");
		hb_sep(hb, n, "\r\n\t");
		hb_puts(hb, line);
		free(line);
		return;
	}
	/* An RFC 2045 token, as the charset must be; else unknown-8bit. */
	for (n = 0; cs[n] != '\0' && n < sizeof(csbuf) - 3 &&
	    hdr_attr_char((unsigned char)cs[n]); n++)
		csbuf[n] = cs[n];
	if (cs[n] != '\0' || n == 0)
		snprintf(csbuf, sizeof(csbuf), "unknown-8bit''");
	else
		snprintf(csbuf + n, sizeof(csbuf) - n, "''");
	/* One line fits: "name*=cs''..." (RFC 2231 §4), which more readers
	 * take than a lone section "name*0*=". */
	for (llen = strlen(pa->mpa_name) + strlen(csbuf) + 3; *v != '\0';
	    v++)
		llen += hdr_attr_char(*v) ? 1 : 3;
	v = (const unsigned char *)pa->mpa_value;
	if (llen <= HDR_LINE - 2) {
		n = (size_t)snprintf(sect, sizeof(sect), "%s*=%s",
		    pa->mpa_name, csbuf);
		for (; *v != '\0'; v++) {
			if (hdr_attr_char(*v))
				sect[n++] = (char)*v;
			else {
				sect[n++] = '%';
				sect[n++] = hex[*v >> 4];
				sect[n++] = hex[*v & 15];
			}
		}
		sect[n] = '\0';
		hb_puts(hb, ";");
		hb_sep(hb, n, "\r\n\t");
		hb_puts(hb, sect);
		return;
	}
	while (*v != '\0' || idx == 0) {
		n = (size_t)snprintf(sect, sizeof(sect), "%.40s*%d*=%s",
		    pa->mpa_name, idx, idx == 0 ? csbuf : "");
		/* Keep "\tname*N*=...;" within 78 columns. */
		limit = n + 12 < HDR_LINE - 2 ? HDR_LINE - 2 - n : 12;
		for (llen = 0; *v != '\0' && llen + 3 <= limit; v++) {
			if (hdr_attr_char(*v)) {
				sect[n++] = (char)*v;
				llen++;
			} else {
				sect[n++] = '%';
				sect[n++] = hex[*v >> 4];
				sect[n++] = hex[*v & 15];
				llen += 3;
			}
		}
		sect[n] = '\0';
		hb_puts(hb, ";");
		hb_sep(hb, n, "\r\n\t");
		hb_puts(hb, sect);
		idx++;
	}
}

/*
 * Content-Type / Content-Disposition rebuilt from their parsed form, one
 * parameter per fold; set_name (non-NULL) gets set_value.
 */
static bool
hdr_encode_params(struct hbuf *hb, const char *name, const char *value,
    const char *set_name, const char *set_value)
{
	struct smime_mime_param over;
	struct smime_mime_param *pa = NULL;
	char *type = NULL, *sub = NULL;
	size_t npa = 0, i;
	smime_status st;

	if (smime_mime_strcasecmp(name, "Content-Type") == 0)
		st = smime_mime_parse_content_type(value, &type, &sub, &pa,
		    &npa);
	else
		st = smime_mime_parse_token_params(value, &type, &pa, &npa);
	if (st != SMIME_OK || hdr_has_8bit(type, strlen(type)) ||
	    (sub != NULL && hdr_has_8bit(sub, strlen(sub)))) {
		free(type);
		free(sub);
		smime_mime_params_free(pa, npa);
		return false;
	}
	hb_puts(hb, type);
	if (sub != NULL) {
		hb_puts(hb, "/");
		hb_puts(hb, sub);
	}
	/* A name with 8-bit bytes cannot be expressed: such a parameter
	 * is noise nobody can read, so it is left out. */
	for (i = 0; i < npa; i++) {
		if (hdr_has_8bit(pa[i].mpa_name, strlen(pa[i].mpa_name)))
			continue;
		if (set_name != NULL && smime_mime_strcasecmp(pa[i].mpa_name,
		    set_name) == 0) {
			over.mpa_name = pa[i].mpa_name;
			over.mpa_value = (char *)set_value;
			over.mpa_charset = NULL;
			over.mpa_dup = false;
			hdr_param(hb, &over);
			set_name = NULL;
		} else
			hdr_param(hb, &pa[i]);
	}
	if (set_name != NULL) {
		over.mpa_name = (char *)set_name;
		over.mpa_value = (char *)set_value;
		over.mpa_charset = NULL;
		over.mpa_dup = false;
		hdr_param(hb, &over);
	}
	free(type);
	free(sub);
	smime_mime_params_free(pa, npa);
	return true;
}

char *
smime_signent_rebuild_params(const char *name, const char *value,
    const char *set_name, const char *set_value)
{
	struct hbuf hb;
	char *flat;
	bool ok;

	memset(&hb, 0, sizeof(hb));
	if ((flat = smime_mime_unfold(value)) == NULL)
		return NULL;
	hb_puts(&hb, "");
	hb.hb_col = strlen(name) + 2;
	ok = hdr_encode_params(&hb, name, flat, set_name, set_value);
	free(flat);
	if (!ok || hb.hb_failed) {
		free(hb.hb_text);
		return NULL;
	}
	return hb.hb_text;
}

/*
 * s converted from charset from to UTF-8 with iconv(3), or NULL when
 * iconv does not know the charset, s is not valid in it, or on
 * allocation failure.  The caller frees the result.
 */
static char *
hdr_to_utf8(const char *s, const char *from)
{
	size_t inleft = strlen(s), outleft = inleft * 4, size = outleft + 1;
	char *in = (char *)s, *out, *o;
	iconv_t cd;

	if ((cd = iconv_open("UTF-8", from)) == (iconv_t)-1)
		return NULL;
	if ((out = o = malloc(size)) != NULL) {
		if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
		    iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1) {
			free(out);
			out = NULL;
		} else
			*o = '\0';
	}
	iconv_close(cd);
	return out;
}

/*
 * Raw 8-bit text of a field, as UTF-8: decoded with the part's declared
 * charset when iconv knows it and the bytes are valid in it; kept when
 * already valid UTF-8; else decoded as CP932 (Windows Shift_JIS, what
 * Japanese mail without a charset nearly always is) when that decodes
 * it.  NULL: none fits, the caller labels the bytes unknown-8bit.
 */
static char *
hdr_decode_8bit(const char *s, const char *declared)
{
	char *u;

	if (declared != NULL && (u = hdr_to_utf8(s, declared)) != NULL) {
		if (hdr_is_utf8(u))
			return u;
		free(u);
	}
	if (hdr_is_utf8(s))
		return strdup(s);
	if ((u = hdr_to_utf8(s, "CP932")) != NULL && hdr_is_utf8(u))
		return u;
	free(u);
	return NULL;
}

char *
smime_signent_encode_field(const char *name, const char *value,
    const char *declared)
{
	struct hbuf hb;
	char *flat, *u;

	memset(&hb, 0, sizeof(hb));
	hb.hb_col = strlen(name) + 2;
	if ((flat = smime_mime_unfold(value)) == NULL)
		return NULL;
	if (hdr_has_8bit(flat, strlen(flat)) &&
	    (u = hdr_decode_8bit(flat, declared)) != NULL) {
		free(flat);
		flat = u;
	}
	hb_puts(&hb, "");
	hb.hb_col = strlen(name) + 2;
	if ((smime_mime_strcasecmp(name, "Content-Type") != 0 &&
	    smime_mime_strcasecmp(name, "Content-Disposition") != 0) ||
	    !hdr_encode_params(&hb, name, flat, NULL, NULL)) {
		hb.hb_len = 0;
		if (hb.hb_text != NULL)
			hb.hb_text[0] = '\0';
		hb.hb_col = strlen(name) + 2;
		hdr_encode_unstructured(&hb, flat);
	}
	free(flat);
	if (hb.hb_failed) {
		free(hb.hb_text);
		return NULL;
	}
	return hb.hb_text;
}
