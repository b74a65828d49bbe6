/*
 * signent.c - the signed entity: Content-* fields moved inside, CRLF line
 * ends, every leaf 7-bit clean.
 *
 * Transport re-encoding of 8bit text by relays is the classic way S/MIME
 * signatures break (RFC 8551 3.1.3 asks for 7-bit content), so nothing that could be re-encoded in
 * transit may stay inside the signed part.  Leaves that are already safe
 * are copied through the CRLF filter unchanged, so that a 7-bit message
 * signs to what its author wrote.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "smime/b64dec.h"
#include "smime/canon.h"
#include "smime/hp.h"
#include "smime/signent.h"

#define ENT_CHUNK	(64 * 1024)	/* largest block read or written */
#define ENT_MIN_CHUNK	4096
#define ENT_MAX_LINE	998	/* RFC 5322 §2.1.1 */
#define ENT_FOLD_AT	900	/* header lines longer than this get refolded */
#define QP_MAX_BODY	72	/* leaves room for =XX, =46 and the '=' */
#define ENT_BOUNDARY_MAX 70	/* RFC 2046 §5.1.1 */

/* Transfer-encoding label a container needs for what it holds. */
enum ent_label { LBL_7BIT, LBL_8BIT, LBL_BINARY };

/* A nested signed or encrypted entity copied byte for byte. */
struct ent_kept {
	const struct smime_mime_part	*ek_part;
	enum ent_label			 ek_label;
};

struct ent {
	struct smime_spool	*en_in;
	struct smime_spool	*en_out;
	struct smime_err	*en_err;
	const struct smime_headers *en_hp;	/* RFC 9788 fields, or NULL */
	smime_status		 en_status;	/* first failure, sticky */
	const char		*en_ct;	/* Content-Type to write instead */
	const char		*en_declared;	/* charset of the part written */
	struct ent_kept		*en_kept;
	size_t			 en_nkept;
	size_t			 en_akept;
	unsigned char		*en_buf;	/* output, en_chunk bytes */
	size_t			 en_len;
	unsigned char		*en_blk;	/* input block, en_chunk bytes */
	unsigned char		*en_cbuf;	/* 2 * en_chunk: CRLF output */
	unsigned char		*en_mid;	/* 3 * en_chunk: decoded */
	size_t			 en_chunk;	/* by message size, <= ENT_CHUNK */
};

enum enc_kind { ENC_QP, ENC_BASE64 };
enum dec_kind { DEC_IDENTITY, DEC_QP, DEC_BASE64 };

struct enc {
	struct ent	*ec_en;
	enum enc_kind	 ec_kind;
	unsigned char	 ec_line[QP_MAX_BODY + 8];
	size_t		 ec_len;
	bool		 ec_after_cr;
	unsigned char	 ec_grp[57];
	size_t		 ec_glen;
	bool		 ec_first;
};

struct dec {
	enum dec_kind	 dc_kind;
	int		 dc_state;
	unsigned char	 dc_hex;
	unsigned int	 dc_bits;
	int		 dc_nbits;
};

struct leaf_scan {
	bool	ls_notutf8;	/* 8-bit bytes that are no valid UTF-8 */
	bool	ls_8bit;
	bool	ls_nul;
	bool	ls_barecr;
	bool	ls_long;
};

bool
smime_signent_is_content_field(const char *name)
{
	return smime_mime_strncasecmp(name, "Content-", 8) == 0;
}

static void
ent_flush(struct ent *en)
{
	smime_status ret;

	if (en->en_len > 0 && en->en_status == SMIME_OK) {
		ret = smime_spool_write(en->en_out, en->en_buf, en->en_len,
		    en->en_err);
		if (ret != SMIME_OK)
			en->en_status = ret;
	}
	en->en_len = 0;
}

/* Append len bytes to the output; a block as large as the buffer goes
 * to the spool in one write. */
static void
ent_put(struct ent *en, const void *data, size_t len)
{
	smime_status ret;

	if (en->en_len + len > en->en_chunk)
		ent_flush(en);
	if (len >= en->en_chunk) {
		if (en->en_status == SMIME_OK && (ret = smime_spool_write(
		    en->en_out, data, len, en->en_err)) != SMIME_OK)
			en->en_status = ret;
		return;
	}
	memcpy(en->en_buf + en->en_len, data, len);
	en->en_len += len;
}

static void
ent_puts(struct ent *en, const char *s)
{
	ent_put(en, s, strlen(s));
}

static void
ent_fail(struct ent *en, smime_status ret)
{
	if (en->en_status == SMIME_OK)
		en->en_status = ret;
}

/*
 * Write "name: value" CRLF.  Line breaks inside the value (folding, as
 * LF, CR or CRLF) become CRLF; a break not followed by white space gets a
 * space so that the value cannot start a new field.
 */
/*
 * True when value (after "name: ") has a run longer than ENT_FOLD_AT
 * octets without white space or a line break: ent_field() could not fold
 * it within 998 octets (RFC 5322 §2.1.1).
 */
static bool
ent_unfoldable(const char *name, const char *value)
{
	size_t run = strlen(name) + 2;
	const char *p;

	for (p = value; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			run = 0;
		else if (++run > ENT_FOLD_AT)
			return true;
	}
	return false;
}

static void
ent_field(struct ent *en, const char *name, const char *value)
{
	const char *p = value;
	char *enc = NULL;
	size_t col;

	for (; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p != '\0' || ent_unfoldable(name, value)) {
		/* Raw 8-bit text would not survive a 7-bit hop either; a
		 * parameter or word too long to fold is rebuilt (RFC 2231
		 * continuations, RFC 2047 words). */
		if ((enc = smime_signent_encode_field(name, value,
		    en->en_declared)) == NULL) {
			smime_err_set(en->en_err, "out of memory");
			ent_fail(en, SMIME_NORESOURCE);
			return;
		}
		value = enc;
	}
	p = value;
	ent_puts(en, name);
	ent_puts(en, ": ");
	col = strlen(name) + 2;
	while (*p != '\0') {
		if (*p == '\r' || *p == '\n') {
			if (p[0] == '\r' && p[1] == '\n')
				p++;
			p++;
			while (*p == '\r' || *p == '\n')
				p++;	/* empty continuation lines */
			if (*p == '\0')
				break;
			ent_puts(en, *p == ' ' || *p == '\t' ? "\r\n" : "\r\n ");
			col = 0;
			continue;
		}
		/* Refold before white space rather than pass 998 octets. */
		if ((*p == ' ' || *p == '\t') && col > ENT_FOLD_AT) {
			ent_puts(en, "\r\n");
			col = 0;
		}
		col++;
		ent_put(en, p++, 1);
	}
	ent_puts(en, "\r\n");
	free(enc);
}

/* The root's Content-Type, marked hp="clear" when protecting (hp.c). */
static void
ent_root_ct(struct ent *en, const char *name, const char *value)
{
	char *ct;

	if (en->en_hp == NULL) {
		ent_field(en, name, value);
		return;
	}
	if ((ct = smime_hp_content_type(value)) == NULL) {
		smime_err_set(en->en_err, "out of memory");
		ent_fail(en, SMIME_NORESOURCE);
		return;
	}
	ent_field(en, name, ct);
	free(ct);
}

/* RFC 5322 §2.2: printable US-ASCII other than ':'. */
static bool
ent_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	for (; *p != '\0'; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return false;
	return p != (const unsigned char *)name;
}

/*
 * Write the fields of hs (only Content-* ones when content_only), with
 * Content-Transfer-Encoding set to new_cte when non-NULL (added when
 * absent, duplicates dropped), and the default Content-Type when
 * default_ct is set and none is present.  charset, when non-NULL, is
 * added to the (first) Content-Type, which is created when absent: the
 * text has none and is not US-ASCII.  No blank line.
 */
static void
ent_fields(struct ent *en, const struct smime_headers *hs, bool content_only,
    const char *new_cte, bool default_ct, const char *charset)
{
	const struct smime_header *h;
	bool cte_done = false, ct_done = false;
	char *ct, dflt[64];
	size_t i, n;

	if ((default_ct || charset != NULL) &&
	    smime_headers_get0(hs, "Content-Type", 0) == NULL) {
		snprintf(dflt, sizeof(dflt), "text/plain; charset=%s",
		    charset != NULL ? charset : "us-ascii");
		if (default_ct)
			ent_root_ct(en, "Content-Type", dflt);
		else
			ent_field(en, "Content-Type", dflt);
		ct_done = true;
	}
	for (i = 0; i < hs->hs_count; i++) {
		h = &hs->hs_list[i];
		if (content_only && !smime_signent_is_content_field(h->hdr_name))
			continue;
		if (!ent_name_ok(h->hdr_name))
			continue;	/* not a field name; cannot go out */
		if (new_cte != NULL && smime_mime_strcasecmp(h->hdr_name,
		    "Content-Transfer-Encoding") == 0) {
			if (!cte_done)
				ent_field(en, h->hdr_name, new_cte);
			cte_done = true;
			continue;
		}
		if (en->en_ct != NULL && !ct_done && smime_mime_strcasecmp(
		    h->hdr_name, "Content-Type") == 0) {
			ct_done = true;
			if (default_ct)
				ent_root_ct(en, h->hdr_name, en->en_ct);
			else
				ent_field(en, h->hdr_name, en->en_ct);
			continue;
		}
		if (charset != NULL && !ct_done && smime_mime_strcasecmp(
		    h->hdr_name, "Content-Type") == 0) {
			ct_done = true;
			n = strlen(h->hdr_value) + strlen(charset) + 16;
			if ((ct = malloc(n)) == NULL) {
				smime_err_set(en->en_err, "out of memory");
				ent_fail(en, SMIME_NORESOURCE);
				return;
			}
			snprintf(ct, n, "%s; charset=%s", h->hdr_value,
			    charset);
			if (default_ct)
				ent_root_ct(en, h->hdr_name, ct);
			else
				ent_field(en, h->hdr_name, ct);
			free(ct);
			continue;
		}
		if (default_ct && smime_mime_strcasecmp(h->hdr_name,
		    "Content-Type") == 0)
			ent_root_ct(en, h->hdr_name, h->hdr_value);
		else
			ent_field(en, h->hdr_name, h->hdr_value);
	}
	if (new_cte != NULL && !cte_done)
		ent_field(en, "Content-Transfer-Encoding", new_cte);
}

/*
 * The next block of [off, to) of the input in *p: in place when the spool
 * is in memory (smime_spool_peek()), else read into en_blk (up to
 * en_chunk bytes).  Returns the count, 0 after a failure (status set).
 */
static size_t
ent_read(struct ent *en, uint64_t off, uint64_t to, const unsigned char **p)
{
	size_t got;

	*p = en->en_blk;
	if (en->en_status != SMIME_OK)
		return 0;
	if ((got = smime_spool_peek(en->en_in, off, p)) > 0)
		return to - off < got ? (size_t)(to - off) : got;
	*p = en->en_blk;
	if (smime_spool_read_at(en->en_in, off, en->en_blk,
	    to - off < en->en_chunk ? (size_t)(to - off) : en->en_chunk,
	    &got, en->en_err) != SMIME_OK) {
		ent_fail(en, SMIME_TEMPFAIL);
		return 0;
	}
	if (got == 0) {
		smime_err_set(en->en_err, "spool read failed: short read");
		ent_fail(en, SMIME_TEMPFAIL);
		return 0;
	}
	return got;
}

/* Copy [from, to) of the input with CRLF line ends, a block at a time. */
static void
ent_copy_canon(struct ent *en, uint64_t from, uint64_t to)
{
	const unsigned char *p;
	bool after_cr = false;
	uint64_t off;
	size_t got, n;

	for (off = from; off < to; off += n) {
		if ((got = ent_read(en, off, to, &p)) == 0)
			return;
		/* en_cbuf has room for twice en_chunk input bytes. */
		n = got < en->en_chunk ? got : en->en_chunk;
		ent_put(en, en->en_cbuf, smime_canon_block(p, n, en->en_cbuf,
		    &after_cr));
	}
}

/*
 * One step of a strict UTF-8 check (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  *need counts the continuation
 * bytes still due, [*lo, *hi] is the range of the next one.  Returns
 * false on a byte that cannot come next (the state is reset).
 */
static bool
ent_utf8_step(unsigned char c, int *need, unsigned char *lo,
    unsigned char *hi)
{
	if (*need > 0) {
		if (c < *lo || c > *hi) {
			*need = 0;
			return false;
		}
		(*need)--;
		*lo = 0x80;
		*hi = 0xbf;
		return true;
	}
	*lo = 0x80;
	*hi = 0xbf;
	if (c < 0x80)
		return true;
	if (c >= 0xc2 && c <= 0xdf)
		*need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		*need = 2;
		if (c == 0xe0)
			*lo = 0xa0;
		else if (c == 0xed)
			*hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		*need = 3;
		if (c == 0xf0)
			*lo = 0x90;
		else if (c == 0xf4)
			*hi = 0x8f;
	} else
		return false;
	return true;
}

/*
 * The length of the run at p (at most n) of bytes 0x01-0x7f other than CR
 * and LF: the bytes ent_scan() needs no closer look at.  Eight bytes a
 * step: a word has such a byte when one of its bytes has the high bit set
 * or is zero, CR or LF (the classic has-zero-byte test on w, w ^ CR...).
 */
static size_t
ent_plain_run(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t w, x, y;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		x = w ^ (ones * '\r');
		y = w ^ (ones * '\n');
		if (((w | ((w - ones) & ~w) | ((x - ones) & ~x) |
		    ((y - ones) & ~y)) & high) != 0)
			break;
	}
	for (; i < n; i++)
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n' ||
		    p[i] >= 0x80)
			break;
	return i;
}

/*
 * Classify the bytes of [from, to): what keeps them from being 7bit.
 * Runs of plain ASCII are skipped a word at a time (ent_plain_run());
 * only line breaks, NUL and 8-bit bytes are looked at one by one.
 */
static void
ent_scan(struct ent *en, uint64_t from, uint64_t to, struct leaf_scan *ls)
{
	unsigned char lo = 0x80, hi = 0xbf, c;
	const unsigned char *buf;
	size_t got, i, k, linelen = 0;
	bool after_cr = false;
	uint64_t off;
	int need = 0;

	memset(ls, 0, sizeof(*ls));
	for (off = from; off < to; off += got) {
		if ((got = ent_read(en, off, to, &buf)) == 0)
			return;
		for (i = 0; i < got; i++) {
			if ((k = ent_plain_run(buf + i, got - i)) > 0) {
				/* As the byte steps below would see them. */
				if (after_cr)
					ls->ls_barecr = true;
				after_cr = false;
				if ((linelen += k) > ENT_MAX_LINE)
					ls->ls_long = true;
				if (need != 0) {
					need = 0;
					ls->ls_notutf8 = true;
				}
				if ((i += k) == got)
					break;
			}
			c = buf[i];
			if (after_cr && c != '\n')
				ls->ls_barecr = true;
			after_cr = c == '\r';
			if (c == '\r' || c == '\n') {
				linelen = 0;
				continue;
			}
			if (++linelen > ENT_MAX_LINE)
				ls->ls_long = true;
			if (c >= 0x80)
				ls->ls_8bit = true;
			else if (c == '\0')
				ls->ls_nul = true;
			if (!ent_utf8_step(c, &need, &lo, &hi))
				ls->ls_notutf8 = true;
		}
	}
	if (after_cr)
		ls->ls_barecr = true;
	if (need != 0)
		ls->ls_notutf8 = true;
}

/* ---- encoders ---- */

/* Emit the current quoted-printable output line followed by tail. */
static void
qp_emit(struct enc *ec, const char *tail)
{
	struct ent *en = ec->ec_en;

	if (ec->ec_len == 1 && ec->ec_line[0] == '.') {
		ent_puts(en, "=2E");	/* a lone dot ends SMTP DATA */
	} else if (ec->ec_len >= 5 && memcmp(ec->ec_line, "From ", 5) == 0) {
		ent_puts(en, "=46");	/* mbox writers would add '>' */
		ent_put(en, ec->ec_line + 1, ec->ec_len - 1);
	} else
		ent_put(en, ec->ec_line, ec->ec_len);
	ent_puts(en, tail);
	ec->ec_len = 0;
}

/* End a line of text: trailing white space must be encoded. */
static void
qp_hard_break(struct enc *ec, const char *tail)
{
	unsigned char last;

	if (ec->ec_len > 0 && (ec->ec_line[ec->ec_len - 1] == ' ' ||
	    ec->ec_line[ec->ec_len - 1] == '\t')) {
		last = ec->ec_line[--ec->ec_len];
		ec->ec_line[ec->ec_len++] = '=';
		ec->ec_line[ec->ec_len++] = last == ' ' ? '2' : '0';
		ec->ec_line[ec->ec_len++] = last == ' ' ? '0' : '9';
	}
	qp_emit(ec, tail);
}

static void
qp_feed(struct enc *ec, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i, need;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '\n' && ec->ec_after_cr) {
			ec->ec_after_cr = false;
			continue;
		}
		ec->ec_after_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			qp_hard_break(ec, "\r\n");
			continue;
		}
		need = (c >= 33 && c <= 126 && c != '=') || c == ' ' ||
		    c == '\t' ? 1 : 3;
		if (ec->ec_len + need > QP_MAX_BODY)
			qp_emit(ec, "=\r\n");
		if (need == 1)
			ec->ec_line[ec->ec_len++] = c;
		else {
			ec->ec_line[ec->ec_len++] = '=';
			ec->ec_line[ec->ec_len++] = (unsigned char)hex[c >> 4];
			ec->ec_line[ec->ec_len++] = (unsigned char)hex[c & 15];
		}
	}
}

/* Emit one base64 line of the bytes in ec_grp. */
static void
b64_line(struct enc *ec)
{
	unsigned char out[80];
	int n;

	if (ec->ec_glen == 0)
		return;
	n = EVP_EncodeBlock(out, ec->ec_grp, (int)ec->ec_glen);
	if (!ec->ec_first)
		ent_puts(ec->ec_en, "\r\n");
	ec->ec_first = false;
	ent_put(ec->ec_en, out, (size_t)n);
	ec->ec_glen = 0;
}

static void
enc_feed(struct enc *ec, const unsigned char *p, size_t n)
{
	size_t take;

	if (ec->ec_kind == ENC_QP) {
		qp_feed(ec, p, n);
		return;
	}
	while (n > 0) {
		take = sizeof(ec->ec_grp) - ec->ec_glen;
		if (take > n)
			take = n;
		memcpy(ec->ec_grp + ec->ec_glen, p, take);
		ec->ec_glen += take;
		p += take;
		n -= take;
		if (ec->ec_glen == sizeof(ec->ec_grp))
			b64_line(ec);
	}
}

static void
enc_finish(struct enc *ec)
{
	if (ec->ec_kind == ENC_QP) {
		if (ec->ec_len > 0)
			qp_hard_break(ec, "");
	} else
		b64_line(ec);
}

/* ---- lenient decoders for leaves that arrive encoded but unsafe ---- */

static int
dec_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decode n bytes into out (room for 3n); returns the count.  Invalid
 * quoted-printable escapes pass through literally, base64 skips anything
 * outside its alphabet, as common readers do.
 */
static size_t
dec_feed(struct dec *dc, const unsigned char *in, size_t n,
    unsigned char *out)
{
	size_t i, o = 0;
	unsigned char c;
	int v;

	for (i = 0; i < n; i++) {
		c = in[i];
		switch (dc->dc_kind) {
		case DEC_IDENTITY:
			out[o++] = c;
			break;
		case DEC_BASE64:
			if ((v = smime_b64_value(c)) < 0)
				break;
			dc->dc_bits = (dc->dc_bits << 6 | (unsigned int)v) &
			    0xffffff;
			if ((dc->dc_nbits += 6) >= 8) {
				dc->dc_nbits -= 8;
				out[o++] = (unsigned char)(dc->dc_bits >>
				    dc->dc_nbits);
			}
			break;
		case DEC_QP:
			if (dc->dc_state == 3) {	/* after "=\r" */
				dc->dc_state = 0;
				if (c == '\n')
					break;
			}
			if (dc->dc_state == 0) {
				if (c == '=')
					dc->dc_state = 1;
				else
					out[o++] = c;
			} else if (dc->dc_state == 1) {
				dc->dc_state = 0;
				if (dec_hexval(c) >= 0) {
					dc->dc_hex = c;
					dc->dc_state = 2;
				} else if (c == '\r')
					dc->dc_state = 3;
				else if (c != '\n') {
					out[o++] = '=';
					out[o++] = c;
				}
			} else {
				dc->dc_state = 0;
				if ((v = dec_hexval(c)) >= 0)
					out[o++] = (unsigned char)
					    (dec_hexval(dc->dc_hex) << 4 | v);
				else {
					out[o++] = '=';
					out[o++] = dc->dc_hex;
					if (c == '=')
						dc->dc_state = 1;
					else
						out[o++] = c;
				}
			}
			break;
		}
	}
	return o;
}

static size_t
dec_finish(struct dec *dc, unsigned char *out)
{
	size_t o = 0;

	if (dc->dc_kind == DEC_QP && dc->dc_state == 1)
		out[o++] = '=';
	else if (dc->dc_kind == DEC_QP && dc->dc_state == 2) {
		out[o++] = '=';
		out[o++] = dc->dc_hex;
	}
	return o;
}

/* Decode [from, to) as dkind and re-encode it as ekind into the output. */
static void
ent_recode(struct ent *en, uint64_t from, uint64_t to, enum dec_kind dkind,
    enum enc_kind ekind)
{
	const unsigned char *p;
	struct enc ec;
	struct dec dc;
	size_t got, n;
	uint64_t off;

	memset(&ec, 0, sizeof(ec));
	memset(&dc, 0, sizeof(dc));
	ec.ec_en = en;
	ec.ec_kind = ekind;
	ec.ec_first = true;
	dc.dc_kind = dkind;
	if (en->en_mid == NULL &&
	    (en->en_mid = malloc(3 * en->en_chunk)) == NULL) {
		smime_err_set(en->en_err, "out of memory");
		ent_fail(en, SMIME_NORESOURCE);
		return;
	}
	for (off = from; off < to; off += got) {
		if ((got = ent_read(en, off, to, &p)) == 0)
			return;
		/* en_mid has room for three times en_chunk input bytes. */
		if (got > en->en_chunk)
			got = en->en_chunk;
		n = dec_feed(&dc, p, got, en->en_mid);
		enc_feed(&ec, en->en_mid, n);
	}
	n = dec_finish(&dc, en->en_mid);
	enc_feed(&ec, en->en_mid, n);
	enc_finish(&ec);
}

/* ---- the tree walk ---- */

static bool
ent_cte_is(const struct smime_mime_part *part, const char *cte)
{
	return strcmp(part->mp_cte, cte) == 0;
}

/*
 * Whether the part's raw header bytes can be copied as they are.  A
 * header that ends at a line that is no field (SMIME_MIME_F_BADHEADER:
 * no blank line, the body starts there) is copied as it is in an
 * encapsulated message (message/rfc822 child, whose bytes BouncyCastle
 * hashes as they are): a blank line inserted there would move its
 * header/body split.  A body part of a multipart gets the blank line
 * instead: JavaMail (and so BouncyCastle) reads every line up to a blank
 * one as header, so only the explicit form verifies everywhere, and the
 * split stays where our parser and Python's put it.
 */
static bool
ent_header_clean(struct ent *en, const struct smime_mime_part *part)
{
	struct leaf_scan ls;

	if (part->mp_flags & SMIME_MIME_F_NOHEADEREND)
		return false;
	if ((part->mp_flags & SMIME_MIME_F_BADHEADER) &&
	    (part->mp_parent == NULL || smime_mime_is_multipart(
	    part->mp_parent)))
		return false;
	ent_scan(en, part->mp_hdr_start, part->mp_body_start, &ls);
	return !ls.ls_8bit && !ls.ls_nul && !ls.ls_barecr && !ls.ls_long;
}

/*
 * The part's header (top level: Content-* of hdrs) and the blank line;
 * see ent_fields() for new_cte and charset.
 */
static void
ent_header(struct ent *en, const struct smime_mime_part *part,
    const struct smime_headers *hdrs, const char *new_cte,
    const char *charset)
{
	/* Raw 8-bit parameters are read in the part's own charset. */
	en->en_declared = smime_mime_get0_param(part, "charset");
	if (hdrs != NULL) {
		ent_fields(en, hdrs, true, new_cte, true, charset);
		if (en->en_hp != NULL)
			ent_fields(en, en->en_hp, false, NULL, false, NULL);
	} else if (new_cte == NULL && charset == NULL && en->en_ct == NULL &&
	    ent_header_clean(en, part)) {
		ent_flush(en);
		ent_copy_canon(en, part->mp_hdr_start, part->mp_body_start);
		en->en_declared = NULL;
		return;
	} else
		ent_fields(en, &part->mp_headers, false, new_cte, false,
		    charset);
	en->en_declared = NULL;
	ent_puts(en, "\r\n");
}

/* Header and body of a leaf, re-encoded when it is not 7-bit clean. */
static void
ent_leaf(struct ent *en, const struct smime_mime_part *part,
    const struct smime_headers *hdrs)
{
	struct leaf_scan ls;
	enum dec_kind dkind = DEC_IDENTITY;
	enum enc_kind ekind;
	const char *charset = NULL;
	bool unsafe, recode;

	ent_scan(en, part->mp_body_start, part->mp_body_end, &ls);
	unsafe = ls.ls_8bit || ls.ls_nul || ls.ls_barecr || ls.ls_long;
	if (ent_cte_is(part, "8bit") || ent_cte_is(part, "binary"))
		recode = true;
	else if (ent_cte_is(part, "7bit"))
		recode = unsafe;
	else if (ent_cte_is(part, "quoted-printable")) {
		recode = unsafe;
		dkind = DEC_QP;
	} else if (ent_cte_is(part, "base64")) {
		recode = unsafe;
		dkind = DEC_BASE64;
	} else if (unsafe) {
		smime_err_set(en->en_err, "part %s: transfer encoding \"%s\" "
		    "is not 7-bit clean", part->mp_number, part->mp_cte);
		ent_fail(en, SMIME_UNSUPPORTED);
		return;
	} else
		recode = false;
	if (!recode) {
		ent_header(en, part, hdrs, NULL, NULL);
		ent_flush(en);
		ent_copy_canon(en, part->mp_body_start, part->mp_body_end);
		return;
	}
	if (smime_mime_is(part, "multipart", NULL)) {
		/* Not split (no usable boundary), yet not 7-bit: RFC 2045
		 * §6.4 forbids base64 or quoted-printable on a multipart. */
		smime_err_set(en->en_err, "part %s: multipart without a "
		    "usable boundary holds content that is not 7-bit clean",
		    part->mp_number);
		ent_fail(en, SMIME_UNSUPPORTED);
		return;
	}
	ekind = smime_mime_is(part, "text", NULL) ? ENC_QP : ENC_BASE64;
	/*
	 * Text with 8-bit bytes and no charset would be read as US-ASCII
	 * (RFC 2045 §5.2), so replacement characters: label it with what
	 * is true, UTF-8 when it is valid UTF-8, else unknown-8bit (RFC
	 * 1428).  Only raw bytes can be judged, not QP/base64 ones.
	 */
	if (ekind == ENC_QP && dkind == DEC_IDENTITY && ls.ls_8bit &&
	    smime_mime_get0_param(part, "charset") == NULL &&
	    !(part->mp_flags & SMIME_MIME_F_BADCTYPE))
		charset = ls.ls_notutf8 ? "unknown-8bit" : "UTF-8";
	ent_header(en, part, hdrs, ekind == ENC_QP ? "quoted-printable" :
	    "base64", charset);
	ent_recode(en, part->mp_body_start, part->mp_body_end, dkind, ekind);
}

/*
 * True for an entity that carries its own signature or encryption over
 * its bytes: S/MIME (multipart/signed, application/pkcs7-mime) and
 * PGP/MIME (multipart/signed with any protocol, multipart/encrypted).
 * Re-encoding anything inside it would break what its signer signed.
 */
static bool
ent_is_protected(const struct smime_mime_part *part)
{
	return smime_mime_is(part, "multipart", "signed") ||
	    smime_mime_is(part, "multipart", "encrypted") ||
	    smime_mime_is(part, "application", "pkcs7-mime") ||
	    smime_mime_is(part, "application", "x-pkcs7-mime");
}

/* Record part as kept, with the label its bytes need. */
static void
ent_keep(struct ent *en, const struct smime_mime_part *part)
{
	struct ent_kept *nk;
	struct leaf_scan ls;
	size_t n;

	ent_scan(en, part->mp_hdr_start, part->mp_body_end, &ls);
	if (en->en_nkept == en->en_akept) {
		n = en->en_akept == 0 ? 8 : en->en_akept * 2;
		if ((nk = reallocarray(en->en_kept, n, sizeof(*nk))) == NULL) {
			smime_err_set(en->en_err, "out of memory");
			ent_fail(en, SMIME_NORESOURCE);
			return;
		}
		en->en_kept = nk;
		en->en_akept = n;
	}
	en->en_kept[en->en_nkept].ek_part = part;
	/* Bare CRs become CRLF like everywhere else: S/MIME and PGP/MIME
	 * both sign the CRLF-canonical form. */
	en->en_kept[en->en_nkept++].ek_label = ls.ls_nul || ls.ls_long ?
	    LBL_BINARY : ls.ls_8bit ? LBL_8BIT : LBL_7BIT;
	/*
	 * NUL bytes or lines over 998 octets cannot cross SMTP without
	 * BINARYMIME (Postfix breaks long lines), and re-encoding would
	 * break the nested signature: such a message cannot be signed.
	 */
	if (ls.ls_nul || ls.ls_long) {
		smime_err_set(en->en_err, "part %s: nested signed entity has "
		    "%s; it cannot be sent unchanged and re-encoding it would "
		    "break its signature", part->mp_number, ls.ls_nul ?
		    "NUL bytes" : "lines over 998 octets");
		ent_fail(en, SMIME_UNSUPPORTED);
	}
}

/*
 * Find the entities to copy byte for byte: every protected entity below
 * the root whole (header, preamble and epilogue included), and the
 * children of a protected root (its header becomes ours).
 */
static void
ent_find_kept(struct ent *en, const struct smime_mime_part *part, bool root)
{
	size_t i;

	if (en->en_status != SMIME_OK)
		return;
	if (!root && ent_is_protected(part)) {
		ent_keep(en, part);
		return;
	}
	for (i = 0; i < part->mp_nchildren; i++) {
		if (root && ent_is_protected(part))
			ent_keep(en, part->mp_children[i]);
		else
			ent_find_kept(en, part->mp_children[i], false);
	}
}

/* The kept entry for part, or NULL. */
static const struct ent_kept *
ent_kept_get0(const struct ent *en, const struct smime_mime_part *part)
{
	size_t i;

	for (i = 0; i < en->en_nkept; i++)
		if (en->en_kept[i].ek_part == part)
			return &en->en_kept[i];
	return NULL;
}

/* The strongest label of the kept entities inside part. */
static enum ent_label
ent_label_within(const struct ent *en, const struct smime_mime_part *part)
{
	const struct smime_mime_part *p;
	enum ent_label lbl = LBL_7BIT;
	size_t i;

	for (i = 0; i < en->en_nkept; i++)
		for (p = en->en_kept[i].ek_part->mp_parent; p != NULL;
		    p = p->mp_parent)
			if (p == part && en->en_kept[i].ek_label > lbl)
				lbl = en->en_kept[i].ek_label;
	return lbl;
}

/*
 * RFC 2046 §5.1.1: 1 to 70 bchars, not ending in a space.  A longer
 * boundary makes delimiter lines that relays and readers handle
 * differently (and over 998 octets it cannot cross SMTP at all).
 */
static bool
ent_boundary_ok(const char *bnd)
{
	size_t n = strlen(bnd), i;

	if (n == 0 || n > ENT_BOUNDARY_MAX || bnd[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++)
		if (!((bnd[i] >= '0' && bnd[i] <= '9') ||
		    (bnd[i] >= 'a' && bnd[i] <= 'z') ||
		    (bnd[i] >= 'A' && bnd[i] <= 'Z') ||
		    strchr("'()+_,-./:=? ", bnd[i]) != NULL))
			return false;
	return true;
}

/*
 * A fresh boundary for part in bnd (size n) and its rebuilt Content-Type
 * in *ct (caller frees).  "=_" cannot occur in base64 or QP, 128 random
 * bits in anything else.  False (nothing set) when the Content-Type
 * cannot be rebuilt or on failure; the old boundary is kept then.
 */
static bool
ent_new_boundary(struct ent *en, const struct smime_mime_part *part,
    const struct smime_headers *hdrs, char *bnd, size_t n, char **ct)
{
	unsigned char rnd[16];
	const char *old;
	size_t i, o;

	*ct = NULL;
	old = smime_headers_get0(hdrs != NULL ? hdrs : &part->mp_headers,
	    "Content-Type", 0);
	if (old == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return false;
	o = (size_t)snprintf(bnd, n, "=_smime_part_");
	for (i = 0; i < sizeof(rnd) && o + 3 <= n; i++)
		o += (size_t)snprintf(bnd + o, n - o, "%02x", rnd[i]);
	if ((*ct = smime_signent_rebuild_params("Content-Type", old,
	    "boundary", bnd)) == NULL) {
		(void)en;
		return false;
	}
	return true;
}

/*
 * Write one entity.  hdrs is the top-level header for the root, NULL
 * below it.  Multipart preamble and epilogue are left out: Outlook calls
 * a signature whose signed part carries an epilogue altered.
 *
 * Every multipart we write ends with its close delimiter followed by
 * CRLF ("--b--" CRLF), at any depth, so the signed root ends in CRLF and
 * the wire shows a blank line before the outer "--boundary": the layout
 * Thunderbird, Outlook and JavaMail write.  OpenSSL, gpgsm and NSS hash
 * the bytes between the outer delimiters as they are, so any layout
 * verifies there; BouncyCastle (SMIMEUtil.outputBodyPart) rebuilds a
 * multipart entity from its parsed parts and writes that CRLF after the
 * close delimiter, so an entity ending exactly at "--b--" fails its
 * message-digest check in every Java client and gateway.  The CRLF is
 * the empty epilogue RFC 2046 §5.1.1 allows; readers ignore it.
 */
static void
ent_part(struct ent *en, const struct smime_mime_part *part,
    const struct smime_headers *hdrs)
{
	const char *bnd, *cte7;
	char newbnd[ENT_BOUNDARY_MAX + 1], *ct = NULL;
	size_t i;

	if (en->en_status != SMIME_OK)
		return;
	/*
	 * Containers hold only 7-bit content once we are done, unless a
	 * kept entity inside has 8-bit bytes: then every
	 * container up to the root says so (RFC 2045 §6.4; message/rfc822
	 * and multipart allow 7bit, 8bit and binary only).
	 */
	switch (ent_label_within(en, part)) {
	case LBL_BINARY:	/* refused in ent_keep() */
	case LBL_8BIT:
		cte7 = "8bit";
		break;
	default:
		cte7 = ent_cte_is(part, "8bit") || ent_cte_is(part, "binary") ?
		    "7bit" : NULL;
		break;
	}
	if (ent_kept_get0(en, part) != NULL) {
		ent_flush(en);
		ent_copy_canon(en, part->mp_hdr_start, part->mp_body_end);
	} else if (smime_mime_is_multipart(part) && part->mp_nchildren > 0) {
		bnd = smime_mime_get0_param(part, "boundary");
		if (!ent_boundary_ok(bnd) && ent_new_boundary(en, part, hdrs,
		    newbnd, sizeof(newbnd), &ct)) {
			bnd = newbnd;
			en->en_ct = ct;
		}
		ent_header(en, part, hdrs, cte7, NULL);
		en->en_ct = NULL;
		free(ct);
		ct = NULL;
		for (i = 0; i < part->mp_nchildren; i++) {
			ent_puts(en, "--");
			ent_puts(en, bnd);
			ent_puts(en, "\r\n");
			ent_part(en, part->mp_children[i], NULL);
			ent_puts(en, "\r\n");
		}
		ent_puts(en, "--");
		ent_puts(en, bnd);
		ent_puts(en, "--");
		ent_puts(en, "\r\n");	/* see ent_part() */
	} else if (part->mp_nchildren == 1) {	/* message/rfc822 */
		ent_header(en, part, hdrs, cte7, NULL);
		ent_part(en, part->mp_children[0], NULL);
	} else
		ent_leaf(en, part, hdrs);
}

smime_status
smime_signent_write(const struct smime_headers *hdrs,
    const struct smime_headers *hp, struct smime_spool *body,
    const struct smime_mime_part *tree, struct smime_spool *out,
    struct smime_signent_info *info,
    struct smime_err *err)
{
	struct ent *en;
	enum ent_label lbl;
	smime_status ret;
	size_t i;

	if (info != NULL)
		memset(info, 0, sizeof(*info));

	if ((en = calloc(1, sizeof(*en))) == NULL) {
		smime_err_set(err, "out of memory");
		return SMIME_NORESOURCE;
	}
	en->en_in = body;
	en->en_out = out;
	en->en_err = err;
	en->en_hp = hp;
	en->en_status = SMIME_OK;
	/* Blocks no larger than the message: small mail, small buffers. */
	en->en_chunk = smime_spool_size(body) < ENT_MIN_CHUNK ? ENT_MIN_CHUNK :
	    smime_spool_size(body) > ENT_CHUNK ? ENT_CHUNK :
	    (size_t)smime_spool_size(body);
	if ((en->en_buf = malloc(en->en_chunk)) == NULL ||
	    (en->en_blk = malloc(en->en_chunk)) == NULL ||
	    (en->en_cbuf = malloc(2 * en->en_chunk)) == NULL) {
		smime_err_set(err, "out of memory");
		ret = SMIME_NORESOURCE;
		goto out;
	}
	ent_find_kept(en, tree, true);
	ent_part(en, tree, hdrs);
	ent_flush(en);
	ret = en->en_status;
	if (info != NULL && ret == SMIME_OK) {
		lbl = ent_label_within(en, tree);
		info->si_cte = lbl != LBL_7BIT ? "8bit" : NULL;
		for (i = 0; i < en->en_nkept; i++) {
			if (en->en_kept[i].ek_label == LBL_7BIT)
				continue;
			if (info->si_kept8++ == 0)
				snprintf(info->si_first, sizeof(info->si_first),
				    "%s", en->en_kept[i].ek_part->mp_number);
		}
	}
out:
	free(en->en_kept);
	free(en->en_buf);
	free(en->en_blk);
	free(en->en_cbuf);
	free(en->en_mid);
	free(en);
	return ret;
}
