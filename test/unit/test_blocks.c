/*
 * test_blocks.c - the block code at its buffer edges.
 *
 * The MIME parser, the CRLF canonicalizer, the signed-entity writer and
 * the spool's memory segments work a buffer at a time (memchr() over 64 KiB, whole runs copied), so
 * their hard cases are where a buffer ends: a CRLF split in two, a bare
 * CR or LF as the last or first byte, a boundary delimiter cut anywhere,
 * lines longer than the buffer.  Each test shifts one message across the
 * edge a byte at a time and compares with what the same message must
 * give wherever it lies (offsets moved by the shift, or a byte-at-a-time
 * reference written here), in memory and in a spool on disk.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>

#include "smime/canon.h"
#include "smime/mime.h"
#include "smime/signent.h"
#include "test/unit/unit.h"

/* A growable byte string. */
struct buf {
	char	*b_data;
	size_t	 b_len;
	size_t	 b_alloc;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->b_len + n + 1 > b->b_alloc) {
		b->b_alloc = (b->b_len + n + 1) * 2;
		b->b_data = realloc(b->b_data, b->b_alloc);
		ck_assert_ptr_nonnull(b->b_data);
	}
	memcpy(b->b_data + b->b_len, p, n);
	b->b_len += n;
	b->b_data[b->b_len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_rep(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_add(b, &c, 1);
}

/* Filler of exactly n bytes: lines of 'p' ending in eol, last byte 'p'. */
static void
buf_filler(struct buf *b, size_t n, const char *eol)
{
	size_t start = b->b_len, i;

	buf_add(b, "", 0);
	while (b->b_len - start < n) {
		buf_rep(b, 'p', 61);
		buf_str(b, eol);
	}
	b->b_len = start + n;
	for (i = b->b_len; i > start && (b->b_data[i - 1] == '\r' ||
	    b->b_data[i - 1] == '\n'); i--)
		b->b_data[i - 1] = 'p';
	b->b_data[b->b_len] = '\0';
}

static struct smime_spool *
spool_of(const char *data, size_t len, bool disk)
{
	struct smime_spool *sp = smime_spool_new(disk ? 512 : len + 1, NULL);
	struct smime_err err;

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(smime_spool_write(sp, data, len, &err), SMIME_OK);
	ck_assert(smime_spool_on_disk(sp) == disk);
	return sp;
}

/* Where the pieces of one multipart lie, relative to its tail. */
struct layout {
	uint64_t	ly_preamble_end;
	uint64_t	ly_hdr_start;
	uint64_t	ly_body_start;
	uint64_t	ly_body_end;
	uint64_t	ly_epilogue_start;
	uint64_t	ly_total;
	size_t		ly_subject_len;
};

/*
 * Append a multipart body after a preamble of pre bytes: delimiter, one
 * text part (a lookalike "--bogus" line in it), close delimiter,
 * epilogue.  With longlines, a Subject longer than the parser's buffer in
 * the part header, a body line longer than it, and transport padding
 * longer than it on the close delimiter.
 */
static void
build_multipart(struct buf *b, size_t pre, const char *eol, bool longlines,
    struct layout *ly)
{
	size_t el = strlen(eol), longlen = SMIME_MIME_CHUNK + 1000;

	b->b_len = 0;
	buf_filler(b, pre, eol);
	ly->ly_preamble_end = b->b_len;
	buf_str(b, eol);
	buf_str(b, "--b");
	buf_str(b, eol);
	ly->ly_hdr_start = b->b_len;
	buf_str(b, "Content-Type: text/plain");
	buf_str(b, eol);
	ly->ly_subject_len = 0;
	if (longlines) {
		buf_str(b, "Subject: ");
		buf_rep(b, 'h', longlen);
		ly->ly_subject_len = longlen;
		buf_str(b, eol);
	}
	buf_str(b, eol);
	ly->ly_body_start = b->b_len;
	buf_str(b, "body");
	buf_str(b, eol);
	buf_str(b, "--bogus");
	buf_str(b, eol);
	if (longlines) {
		buf_rep(b, 'y', longlen);
		buf_str(b, eol);
	}
	buf_str(b, "more");
	ly->ly_body_end = b->b_len;
	buf_str(b, eol);
	buf_str(b, "--b--");
	if (longlines)
		buf_rep(b, ' ', longlen);
	buf_str(b, eol);
	ly->ly_epilogue_start = b->b_len;
	buf_str(b, "epilogue");
	buf_str(b, eol);
	ly->ly_total = b->b_len;
	(void)el;
}

static void
check_layout(const struct buf *b, bool disk, const struct layout *ly)
{
	struct smime_spool *sp = spool_of(b->b_data, b->b_len, disk);
	struct smime_mime_part *tree = NULL, *kid;
	struct smime_headers hs;
	struct smime_err err;
	const char *subj;

	smime_headers_init(&hs);
	ck_assert_int_eq(smime_headers_add(&hs, "Content-Type",
	    "multipart/mixed; boundary=b"), SMIME_OK);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_uint_eq(tree->mp_nchildren, 1);
	ck_assert_uint_eq(tree->mp_preamble_end, ly->ly_preamble_end);
	ck_assert_uint_eq(tree->mp_epilogue_start, ly->ly_epilogue_start);
	ck_assert_uint_eq(tree->mp_body_end, ly->ly_total);
	/* "--bogus" is flagged; a long padded close delimiter too. */
	ck_assert_uint_eq(tree->mp_flags, SMIME_MIME_F_LOOKALIKE);
	kid = tree->mp_children[0];
	ck_assert_uint_eq(kid->mp_hdr_start, ly->ly_hdr_start);
	ck_assert_uint_eq(kid->mp_body_start, ly->ly_body_start);
	ck_assert_uint_eq(kid->mp_body_end, ly->ly_body_end);
	ck_assert_uint_eq(kid->mp_flags, 0);
	ck_assert(smime_mime_is(kid, "text", "plain"));
	subj = smime_headers_get0(&kid->mp_headers, "Subject", 0);
	if (ly->ly_subject_len == 0)
		ck_assert_ptr_null(subj);
	else {
		ck_assert_ptr_nonnull(subj);
		ck_assert_uint_eq(strlen(subj), ly->ly_subject_len);
	}
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}

/*
 * Every byte of the multipart's delimiters, header and line breaks lands
 * on the last and the first byte of a parser buffer, for each line-end
 * style, in memory and on disk.
 */
START_TEST(mime_every_edge)
{
	static const char *eols[] = { "\r\n", "\n", "\r" };
	const char *eol = eols[_i % 3];
	bool disk = _i >= 3;
	struct layout ly;
	struct buf b = { NULL, 0, 0 };
	size_t tail, pre;

	build_multipart(&b, 0, eol, false, &ly);
	tail = ly.ly_total;
	for (pre = SMIME_MIME_CHUNK - tail - 2; pre <= SMIME_MIME_CHUNK + 2;
	    pre++) {
		build_multipart(&b, pre, eol, false, &ly);
		check_layout(&b, disk, &ly);
	}
	free(b.b_data);
}
END_TEST

/*
 * Lines longer than the buffer: a header field, a body line, a close
 * delimiter's padding, at a few shifts against the buffer edge.
 */
START_TEST(mime_long_lines)
{
	static const char *eols[] = { "\r\n", "\n", "\r" };
	const char *eol = eols[_i % 3];
	bool disk = _i >= 3;
	struct layout ly;
	struct buf b = { NULL, 0, 0 };
	size_t pre;

	for (pre = SMIME_MIME_CHUNK - 90; pre <= SMIME_MIME_CHUNK + 2;
	    pre += 23) {
		build_multipart(&b, pre, eol, true, &ly);
		check_layout(&b, disk, &ly);
	}
	free(b.b_data);
}
END_TEST

/* A header line one byte under and one byte over the per-line bound. */
START_TEST(mime_header_bound)
{
	struct buf b = { NULL, 0, 0 };
	struct smime_spool *sp;
	struct smime_mime_part *tree = NULL;
	struct smime_headers hs;
	struct smime_err err;
	size_t name = strlen("Subject: ");

	buf_str(&b, "--b\r\nSubject: ");
	buf_rep(&b, 'h', SMIME_MIME_MAX_HEADER - 1 - name);
	buf_str(&b, "\r\n\r\nx\r\n--b--\r\n");
	smime_headers_init(&hs);
	ck_assert_int_eq(smime_headers_add(&hs, "Content-Type",
	    "multipart/mixed; boundary=b"), SMIME_OK);
	sp = spool_of(b.b_data, b.b_len, true);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	smime_mime_free(tree);
	smime_spool_free(sp);
	b.b_len = 0;
	buf_str(&b, "--b\r\nSubject: ");
	buf_rep(&b, 'h', SMIME_MIME_MAX_HEADER - name);
	buf_str(&b, "\r\n\r\nx\r\n--b--\r\n");
	sp = spool_of(b.b_data, b.b_len, true);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_NORESOURCE);
	ck_assert_ptr_null(tree);
	smime_spool_free(sp);
	smime_headers_clear(&hs);
	free(b.b_data);
}
END_TEST


/* ---- the CRLF canonicalizer ---- */

/* The rule, one byte at a time: every CR, LF and CRLF becomes CRLF. */
static size_t
ref_canon(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	bool cr = false;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && cr) {
			cr = false;
			continue;
		}
		cr = in[i] == '\r';
		if (in[i] == '\r' || in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else
			out[o++] = in[i];
	}
	return o;
}

static uint32_t
rnd_next(uint32_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

/*
 * Random text over a, NUL, CR and LF with every pair of {a, CR, LF}
 * forced onto each edge of a block of size edge (last byte of one block,
 * first of the next).
 */
static unsigned char *
canon_input(size_t n, size_t edge, uint32_t *st)
{
	static const char pairs[][2] = { {'\r','\n'}, {'\r','\r'},
	    {'\n','\r'}, {'\n','\n'}, {'\r','a'}, {'a','\r'}, {'\n','a'},
	    {'a','\n'}, {'a','a'} };
	unsigned char *in = malloc(n);
	size_t i, k;

	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++) {
		k = rnd_next(st) % 16;
		in[i] = k < 3 ? '\r' : k < 6 ? '\n' : k == 6 ? '\0' : 'a';
	}
	for (i = edge, k = rnd_next(st); i < n; i += edge, k++) {
		in[i - 1] = (unsigned char)pairs[k % 9][0];
		in[i] = (unsigned char)pairs[k % 9][1];
	}
	return in;
}

/*
 * smime_canon_block() over random splits, and the filter read through in
 * reads of 1, 4096 and 64 KiB and written in random pieces, all equal to
 * the byte-at-a-time rule, whatever falls on the block edges.
 */
START_TEST(canon_every_edge)
{
	static const size_t reads[] = { 5, 4096, 70, SMIME_CANON_CHUNK };
	size_t n = 2 * SMIME_CANON_CHUNK + 4096 + (size_t)_i * 7, want_len,
	    off, k, o, got_len;
	uint32_t st = 0x9e3779b9u + (uint32_t)_i;
	unsigned char *in, *want, *got;
	bool after_cr = false;
	BIO *f, *mem;
	char *p;
	long len;
	int r;

	in = canon_input(n, _i % 2 ? 4096 : SMIME_CANON_CHUNK, &st);
	want = malloc(2 * n);
	got = malloc(2 * n + 1);
	ck_assert(want != NULL && got != NULL);
	want_len = ref_canon(in, n, want);
	/* The block function, cut anywhere. */
	for (off = o = 0; off < n; off += k) {
		k = rnd_next(&st) % (_i % 2 ? 9000 : 90) + 1;
		if (k > n - off)
			k = n - off;
		o += smime_canon_block(in + off, k, got + o, &after_cr);
	}
	ck_assert_uint_eq(o, want_len);
	ck_assert(memcmp(got, want, want_len) == 0);
	/* Reading through the filter. */
	f = smime_canon_new_bio();
	ck_assert_ptr_nonnull(f);
	BIO_push(f, BIO_new_mem_buf(in, (int)n));
	for (got_len = 0; (r = BIO_read(f, got + got_len,
	    (int)reads[_i % 4])) > 0; got_len += (size_t)r)
		ck_assert_uint_le(got_len + (size_t)r, want_len);
	ck_assert_uint_eq(got_len, want_len);
	ck_assert(memcmp(got, want, want_len) == 0);
	BIO_free_all(f);
	/* Writing through it. */
	f = smime_canon_new_bio();
	mem = BIO_new(BIO_s_mem());
	BIO_push(f, mem);
	for (off = 0; off < n; off += k) {
		k = rnd_next(&st) % (_i % 2 ? 70000 : 5) + 1;
		if (k > n - off)
			k = n - off;
		ck_assert_int_eq(BIO_write(f, in + off, (int)k), (int)k);
	}
	len = BIO_get_mem_data(mem, &p);
	ck_assert_int_eq(len, (long)want_len);
	ck_assert(memcmp(p, want, want_len) == 0);
	BIO_free_all(f);
	free(in);
	free(want);
	free(got);
}
END_TEST


/* ---- the signed entity's scanner and copier ---- */

/*
 * Sign-side entity of a text/plain body (charset given or not): the
 * entity's bytes in *out (caller frees), its length returned.
 */
static size_t
entity_of(const char *body, size_t len, const char *ct, bool disk,
    char **out)
{
	struct smime_spool *sp = spool_of(body, len, disk), *res;
	struct smime_mime_part *tree = NULL;
	struct smime_headers hs;
	struct smime_err err;
	size_t got, size;

	smime_headers_init(&hs);
	ck_assert_int_eq(smime_headers_add(&hs, "Content-Type", ct), SMIME_OK);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	res = smime_spool_new(disk ? 512 : 4 * len + 4096, NULL);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(smime_signent_write(&hs, NULL, sp, tree, res, NULL,
	    &err), SMIME_OK);
	size = (size_t)smime_spool_size(res);
	*out = malloc(size + 1);
	ck_assert_ptr_nonnull(*out);
	ck_assert_int_eq(smime_spool_read_at(res, 0, *out, size, &got, &err),
	    SMIME_OK);
	ck_assert_uint_eq(got, size);
	(*out)[size] = '\0';
	smime_spool_free(res);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
	return size;
}

/* What sits on the block edge in entity_every_edge. */
enum edge_case {
	EC_CRLF,	/* a CRLF split: clean, copied */
	EC_BARECR,	/* a bare CR: re-encoded */
	EC_LASTCR,	/* the body ends in a bare CR: re-encoded */
	EC_LINE998,	/* a 998-octet line across the edge: clean */
	EC_LINE999,	/* a 999-octet one: re-encoded */
	EC_NUL,		/* a NUL: re-encoded */
	EC_UTF8,	/* a UTF-8 character split: 8bit, labelled UTF-8 */
	EC_BADUTF8,	/* a truncated one: labelled unknown-8bit */
	EC_N
};

/*
 * Each thing that makes a leaf unsafe (or does not) lands on every byte
 * around the first block edge: the decision to copy or re-encode, and
 * the charset label, are the same wherever it falls, in memory and on
 * disk; a clean body is copied as it is.
 */
START_TEST(entity_every_edge)
{
	enum edge_case ec = (enum edge_case)(_i % EC_N);
	bool disk = _i >= EC_N;
	const char *hdr = "Content-Type: text/plain\r\n\r\n";
	struct buf b = { NULL, 0, 0 };
	size_t at, n, hl = strlen(hdr);
	char *ent;
	int d;

	for (d = -12; d <= 12; d++) {
		/* The critical byte; the body is larger than one block. */
		at = (size_t)SMIME_MIME_CHUNK + (size_t)d;
		b.b_len = 0;
		switch (ec) {
		case EC_CRLF:
			buf_filler(&b, at, "\r\n");
			buf_str(&b, "\r\ntail");
			break;
		case EC_BARECR:
			buf_filler(&b, at, "\r\n");
			buf_str(&b, "\rtail");
			break;
		case EC_LASTCR:
			buf_filler(&b, at, "\r\n");
			buf_str(&b, "\r");
			break;
		case EC_LINE998:
		case EC_LINE999:
			/* A line of 998 or 999 octets ending at the byte. */
			n = ec == EC_LINE998 ? 998 : 999;
			buf_filler(&b, at - n - 2, "\r\n");
			buf_str(&b, "\r\n");
			buf_rep(&b, 'L', n);
			buf_str(&b, "\r\ntail");
			break;
		case EC_NUL:
			buf_filler(&b, at, "\r\n");
			buf_add(&b, "\0tail", 5);
			break;
		case EC_UTF8:
			/* U+3042 across the edge, at each of its bytes. */
			buf_filler(&b, at - 1, "\r\n");
			buf_str(&b, "\xe3\x81\x82tail");
			break;
		case EC_BADUTF8:
			buf_filler(&b, at - 1, "\r\n");
			buf_str(&b, "\xe3\x81tail");
			break;
		default:
			break;
		}
		if (ec != EC_LASTCR) {
			buf_str(&b, "\r\n");
			buf_filler(&b, 300, "\r\n");
			buf_str(&b, "\r\n");
		}
		entity_of(b.b_data, b.b_len, "text/plain", disk, &ent);
		switch (ec) {
		case EC_CRLF:
		case EC_LINE998:
			ck_assert_uint_eq(strlen(ent), hl + b.b_len);
			ck_assert(memcmp(ent, hdr, hl) == 0);
			ck_assert(memcmp(ent + hl, b.b_data, b.b_len) == 0);
			break;
		case EC_UTF8:
			ck_assert_ptr_nonnull(strstr(ent,
			    "Content-Type: text/plain; charset=UTF-8\r\n"));
			ck_assert_ptr_nonnull(strstr(ent, "=E3=81=82"));
			break;
		case EC_BADUTF8:
			ck_assert_ptr_nonnull(strstr(ent,
			    "Content-Type: text/plain; charset=unknown-8bit\r\n"));
			break;
		default:
			ck_assert_ptr_nonnull(strstr(ent,
			    "Content-Transfer-Encoding: quoted-printable\r\n"));
			ck_assert_ptr_null(strstr(ent, "charset="));
			break;
		}
		free(ent);
	}
	free(b.b_data);
}
END_TEST


/* ---- the spool's memory segments ---- */

/*
 * Writes of random sizes, then reads and peeks of random ranges across
 * the segment edges, in memory and after moving to disk at a limit that
 * is no multiple of the segment size.
 */
START_TEST(spool_segments)
{
	size_t n = 3 * SMIME_SPOOL_SEGMENT + 1234, off, k, got, i;
	size_t limit = _i == 0 ? n + 1 : 2 * SMIME_SPOOL_SEGMENT + 77;
	uint32_t st = 0x1234567u + (uint32_t)_i;
	unsigned char *data = malloc(n), *buf = malloc(n);
	const unsigned char *p;
	struct smime_spool *sp = smime_spool_new(limit, NULL);
	struct smime_err err;

	ck_assert(data != NULL && buf != NULL && sp != NULL);
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)rnd_next(&st);
	for (off = 0; off < n; off += k) {
		k = rnd_next(&st) % 20000 + 1;
		if (k > n - off)
			k = n - off;
		ck_assert_int_eq(smime_spool_write(sp, data + off, k, &err),
		    SMIME_OK);
		ck_assert_uint_eq(smime_spool_size(sp), off + k);
	}
	ck_assert(smime_spool_on_disk(sp) == (_i != 0));
	for (i = 0; i < 200; i++) {
		off = i < 6 ? (i + 1) * SMIME_SPOOL_SEGMENT / 2 - 1 :
		    rnd_next(&st) % n;
		k = rnd_next(&st) % (2 * SMIME_SPOOL_SEGMENT) + 1;
		ck_assert_int_eq(smime_spool_read_at(sp, off, buf, k, &got,
		    &err), SMIME_OK);
		ck_assert_uint_eq(got, k < n - off ? k : n - off);
		ck_assert(memcmp(buf, data + off, got) == 0);
		got = smime_spool_peek(sp, off, &p);
		if (_i != 0)
			ck_assert_uint_eq(got, 0);
		else {
			ck_assert_uint_gt(got, 0);
			ck_assert_uint_le(off % SMIME_SPOOL_SEGMENT + got,
			    SMIME_SPOOL_SEGMENT);
			ck_assert(memcmp(p, data + off, got) == 0);
		}
	}
	ck_assert_uint_eq(smime_spool_peek(sp, n, &p), 0);
	smime_spool_free(sp);
	free(data);
	free(buf);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("blocks");
	TCase *tc = tcase_create("blocks");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, mime_every_edge, 0, 6);
	tcase_add_loop_test(tc, mime_long_lines, 0, 6);
	tcase_add_test(tc, mime_header_bound);
	tcase_add_loop_test(tc, canon_every_edge, 0, 12);
	tcase_add_loop_test(tc, entity_every_edge, 0, 2 * EC_N);
	tcase_add_loop_test(tc, spool_segments, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
