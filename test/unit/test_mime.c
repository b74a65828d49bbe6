/* test_mime.c - MIME tree parser offsets and numbers, header helpers, CRLF filter. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>

#include "smime/canon.h"
#include "smime/mime.h"
#include "test/unit/unit.h"

/* Rewrite every CRLF of a template into the line end under test. */
static char *
with_eol(const char *tmpl, const char *eol)
{
	size_t n = strlen(tmpl), el = strlen(eol), o = 0;
	char *s = malloc(n * 2 + 1);

	ck_assert_ptr_nonnull(s);
	while (*tmpl != '\0') {
		if (tmpl[0] == '\r' && tmpl[1] == '\n') {
			memcpy(s + o, eol, el);
			o += el;
			tmpl += 2;
		} else
			s[o++] = *tmpl++;
	}
	s[o] = '\0';
	return s;
}

static struct smime_spool *
spool_of(const char *text, size_t mem)
{
	struct smime_spool *sp = smime_spool_new(mem, NULL);
	struct smime_err err;

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(smime_spool_write(sp, text, strlen(text), &err),
	    SMIME_OK);
	return sp;
}

/* The top-level header: one Content-Type field (or none when ct NULL). */
static void
top_headers(struct smime_headers *hs, const char *ct)
{
	smime_headers_init(hs);
	ck_assert_int_eq(smime_headers_add(hs, "Subject", "t"), SMIME_OK);
	if (ct != NULL)
		ck_assert_int_eq(smime_headers_add(hs, "Content-Type", ct),
		    SMIME_OK);
}

/* Check that [from, to) of text equals want, with want in CRLF template form. */
static void
range_is(const char *text, uint64_t from, uint64_t to, const char *want,
    const char *eol)
{
	char *w = with_eol(want, eol);

	ck_assert_uint_le(from, to);
	ck_assert_uint_eq(to - from, strlen(w));
	ck_assert(memcmp(text + from, w, strlen(w)) == 0);
	free(w);
}

static const char *nested =
    "This is a preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative;\r\n"
    "\tboundary=\"inner b\"\r\n"
    "\r\n"
    "--inner b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "plain\r\n"
    "--inner b   \r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>html</p>\r\n"
    "--inner b--\r\n"
    "inner epilogue\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: BASE64\r\n"
    "\r\n"
    "AAEC\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

static const char *eols[] = { "\r\n", "\n", "\r" };

START_TEST(nested_offsets_and_numbers)
{
	const char *eol = eols[_i % 3];
	char *text = with_eol(nested, eol);
	struct smime_spool *sp = spool_of(text, _i < 3 ? 1 << 20 : 64);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	const struct smime_mime_part *p;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=outer");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_str_eq(tree->mp_number, "");
	ck_assert_uint_eq(tree->mp_nchildren, 3);
	range_is(text, tree->mp_body_start, tree->mp_preamble_end,
	    "This is a preamble", eol);
	range_is(text, tree->mp_epilogue_start, tree->mp_body_end,
	    "epilogue\r\n", eol);

	p = smime_mime_find(tree, "1");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->mp_type, "text");
	ck_assert_str_eq(smime_mime_get0_param(p, "CHARSET"), "utf-8");
	range_is(text, p->mp_body_start, p->mp_body_end, "Hello\r\n", eol);
	range_is(text, p->mp_hdr_start, p->mp_body_end,
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n", eol);

	p = smime_mime_find(tree, "2");
	ck_assert(smime_mime_is(p, "multipart", "alternative"));
	ck_assert_uint_eq(p->mp_nchildren, 2);
	ck_assert_str_eq(smime_mime_get0_param(p, "boundary"), "inner b");
	range_is(text, p->mp_epilogue_start, p->mp_body_end,
	    "inner epilogue", eol);
	p = smime_mime_find(tree, "2.1");
	range_is(text, p->mp_body_start, p->mp_body_end, "plain", eol);
	p = smime_mime_find(tree, "2.2");
	ck_assert(smime_mime_is(p, "TEXT", "Html"));
	range_is(text, p->mp_body_start, p->mp_body_end, "<p>html</p>", eol);
	p = smime_mime_find(tree, "3");
	ck_assert_str_eq(p->mp_cte, "base64");
	ck_assert_uint_eq(p->mp_headers.hs_count, 2);
	range_is(text, p->mp_body_start, p->mp_body_end, "AAEC", eol);
	ck_assert_uint_eq(p->mp_depth, 1);
	ck_assert_ptr_null(smime_mime_find(tree, "4"));

	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
	free(text);
}
END_TEST

START_TEST(single_part_and_defaults)
{
	const char *text = "line one\r\nline two\r\n";
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	struct smime_err err;

	top_headers(&hs, NULL);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_str_eq(tree->mp_number, "1");
	ck_assert(smime_mime_is(tree, "text", "plain"));
	ck_assert_str_eq(tree->mp_cte, "7bit");
	ck_assert_uint_eq(tree->mp_body_start, 0);
	ck_assert_uint_eq(tree->mp_body_end, strlen(text));
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

START_TEST(message_rfc822_numbers)
{
	const char *text =
	    "--b\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "cover\r\n"
	    "--b\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "Subject: inner\r\n"
	    "Content-Type: multipart/mixed; boundary=c\r\n"
	    "\r\n"
	    "--c\r\n"
	    "\r\n"
	    "first\r\n"
	    "--c\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "Subject: innermost\r\n"
	    "\r\n"
	    "deep\r\n"
	    "--c--\r\n"
	    "--b--\r\n";
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	const struct smime_mime_part *p;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=\"b\"");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	p = tree->mp_children[1];
	ck_assert_str_eq(p->mp_number, "2");
	ck_assert_uint_eq(p->mp_nchildren, 1);
	p = p->mp_children[0];
	ck_assert_str_eq(p->mp_number, "2");
	ck_assert_str_eq(smime_headers_get0(&p->mp_headers, "subject", 0),
	    "inner");
	ck_assert_uint_eq(p->mp_nchildren, 2);
	ck_assert_str_eq(p->mp_children[0]->mp_number, "2.1");
	range_is(text, p->mp_children[0]->mp_body_start,
	    p->mp_children[0]->mp_body_end, "first", "\r\n");
	p = p->mp_children[1];
	ck_assert_str_eq(p->mp_number, "2.2");
	ck_assert_str_eq(p->mp_children[0]->mp_number, "2.2.1");
	range_is(text, p->mp_children[0]->mp_body_start,
	    p->mp_children[0]->mp_body_end, "deep", "\r\n");
	ck_assert_uint_eq(p->mp_children[0]->mp_depth, 4);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

START_TEST(missing_close_delimiter)
{
	const char *text =
	    "--b\r\n"
	    "\r\n"
	    "one\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "two, truncated\r\n";
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=b");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert(tree->mp_flags & SMIME_MIME_F_NOCLOSE);
	ck_assert_uint_eq(tree->mp_nchildren, 2);
	range_is(text, tree->mp_children[1]->mp_body_start,
	    tree->mp_children[1]->mp_body_end, "two, truncated\r\n", "\r\n");
	ck_assert_uint_eq(tree->mp_body_end, strlen(text));
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

/* An inner multipart cut short by the outer delimiter ends right there. */
START_TEST(inner_ended_by_outer_delimiter)
{
	const char *text =
	    "--o\r\n"
	    "Content-Type: multipart/mixed; boundary=i\r\n"
	    "\r\n"
	    "--i\r\n"
	    "\r\n"
	    "cut\r\n"
	    "--o\r\n"
	    "\r\n"
	    "after\r\n"
	    "--o--\r\n";
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=o");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_uint_eq(tree->mp_nchildren, 2);
	ck_assert(tree->mp_children[0]->mp_flags & SMIME_MIME_F_NOCLOSE);
	range_is(text, tree->mp_children[0]->mp_children[0]->mp_body_start,
	    tree->mp_children[0]->mp_children[0]->mp_body_end, "cut", "\r\n");
	ck_assert_str_eq(tree->mp_children[1]->mp_number, "2");
	range_is(text, tree->mp_children[1]->mp_body_start,
	    tree->mp_children[1]->mp_body_end, "after", "\r\n");
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

START_TEST(boundary_never_appears)
{
	const char *text = "no delimiters here\r\n--bx\r\n";
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=b");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert(tree->mp_flags & SMIME_MIME_F_NOBOUNDARY);
	ck_assert_uint_eq(tree->mp_nchildren, 0);
	ck_assert(!smime_mime_is_multipart(tree));
	smime_mime_free(tree);
	smime_headers_clear(&hs);

	top_headers(&hs, "multipart/signed; boundary=b; "
	    "protocol=\"application/pkcs7-signature\"");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_SYNTAX);
	ck_assert_ptr_null(tree);
	smime_headers_clear(&hs);
	top_headers(&hs, "multipart/signed; protocol=x");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_SYNTAX);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

/* Build n nested multiparts, each holding the next. */
static char *
deep_message(int n)
{
	size_t cap = (size_t)n * 120 + 64, o = 0;
	char *s = malloc(cap);
	int i;

	for (i = 1; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "--b%d\r\nContent-Type: "
		    "multipart/mixed; boundary=b%d\r\n\r\n", i, i + 1);
	o += (size_t)snprintf(s + o, cap - o, "--b%d\r\n\r\nleaf\r\n", n);
	for (i = n; i >= 1; i--)
		o += (size_t)snprintf(s + o, cap - o, "--b%d--\r\n", i);
	return s;
}

START_TEST(depth_and_part_limits)
{
	char *text = deep_message(6);
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=b1");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 6, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_ptr_nonnull(smime_mime_find(tree, "1.1.1.1.1.1"));
	smime_mime_free(tree);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 5, 0, &tree, &err),
	    SMIME_LIMIT);
	ck_assert_ptr_null(tree);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 6, &tree, &err),
	    SMIME_LIMIT);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 7, &tree, &err),
	    SMIME_OK);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
	free(text);
}
END_TEST

/*
 * A caller that leaves the limits 0 (signing, verifying) gets the
 * daemon's defaults, smime/mime.h, the same as max_mime_depth's.
 */
START_TEST(default_depth_is_the_daemons)
{
	char *text = deep_message(SMIME_MIME_DEFAULT_DEPTH + _i);
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree = NULL;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=b1");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    _i == 0 ? SMIME_OK : SMIME_LIMIT);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
	free(text);
}
END_TEST

/* Lines far longer than the read buffer, on disk, CRLF across chunks. */
START_TEST(long_lines_on_disk)
{
	size_t big = 40000, o;
	char *text = malloc(big + 200);
	struct smime_spool *sp;
	struct smime_headers hs;
	struct smime_mime_part *tree;
	struct smime_err err;

	o = (size_t)sprintf(text, "--b\r\n\r\n");
	memset(text + o, 'x', big);
	o += big;
	memcpy(text + o, "\r\n--b--\r\n", 10);
	sp = spool_of(text, 1000);
	ck_assert(smime_spool_on_disk(sp));
	top_headers(&hs, "multipart/mixed; boundary=b");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_uint_eq(tree->mp_nchildren, 1);
	ck_assert_uint_eq(tree->mp_children[0]->mp_body_start, 7);
	ck_assert_uint_eq(tree->mp_children[0]->mp_body_end, 7 + big);
	ck_assert(!(tree->mp_flags & SMIME_MIME_F_NOCLOSE));
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
	free(text);
}
END_TEST

/* Parse text under a top-level Content-Type; caller frees all three. */
static struct smime_mime_part *
parse_ct(const char *text, const char *ct, struct smime_spool **sp,
    struct smime_headers *hs, size_t mem)
{
	struct smime_mime_part *tree = NULL;
	struct smime_err err;

	*sp = spool_of(text, mem);
	top_headers(hs, ct);
	ck_assert_int_eq(smime_mime_parse(*sp, hs, 0, 0, &tree, &err),
	    SMIME_OK);
	return tree;
}

/*
 * RFC 2046 5.1.1: a delimiter may carry any amount of transport padding
 * (far past any prefix buffer, in memory and on disk); a line that only
 * starts like a delimiter marks the multipart LOOKALIKE.
 */
START_TEST(padding_any_length)
{
	static const size_t pads[] = { 0, 1, 200, 254, 255, 256, 257, 993,
	    994, 5000, 100000 };
	size_t pad = pads[_i / 2], o;
	bool junk = _i % 2 == 1;
	char *text = malloc(pad * 2 + 200);
	struct smime_spool *sp;
	struct smime_headers hs;
	struct smime_mime_part *tree;

	ck_assert_ptr_nonnull(text);
	o = (size_t)sprintf(text, "pre\r\n--b");
	memset(text + o, pad % 2 ? '\t' : ' ', pad);
	o += pad;
	o += (size_t)sprintf(text + o, "%s\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--",
	    junk ? "x" : "");
	memset(text + o, ' ', pad);
	o += pad;
	memcpy(text + o, "\r\n", 3);
	tree = parse_ct(text, "multipart/mixed; boundary=b", &sp, &hs,
	    _i % 4 < 2 ? 1 << 20 : 100);
	if (junk) {
		/* Not a delimiter: part of the preamble, and flagged. */
		ck_assert_uint_eq(tree->mp_nchildren, 1);
		ck_assert(tree->mp_flags & SMIME_MIME_F_LOOKALIKE);
	} else {
		/* A delimiter still, but past 998 octets readers differ. */
		ck_assert_uint_eq(tree->mp_nchildren, 2);
		ck_assert_uint_eq(tree->mp_preamble_end, 3);
		ck_assert(!(tree->mp_flags & SMIME_MIME_F_NOCLOSE));
		ck_assert_int_eq((tree->mp_flags & SMIME_MIME_F_LOOKALIKE) != 0,
		    pad + 5 > 998);
		range_is(text, tree->mp_children[0]->mp_body_start,
		    tree->mp_children[0]->mp_body_end, "one", "\r\n");
	}
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
	free(text);
}
END_TEST

/*
 * Lookalikes of a boundary anywhere in its body: preamble, inside a part
 * (also a nested one), after the close delimiter (also a repeated
 * delimiter there); only the multipart whose boundary it resembles is
 * flagged.
 */
START_TEST(lookalike_lines)
{
	static const struct {
		const char	*text;
		bool		 outer, inner;
	} cases[] = {
		{ "--b\r\n\r\none\r\n--b--\r\n", false, false },
		{ "--bx\r\n--b\r\n\r\none\r\n--b--\r\n", true, false },
		{ "--b\r\n\r\n--b-\r\n--b--\r\n", true, false },
		{ "--b\r\n\r\none\r\n--b--\r\n--b\r\n\r\nevil\r\n", true, false },
		{ "--b\r\n\r\none\r\n--b--\r\n--b--\r\n", true, false },
		{ "--b\r\n\r\none\r\n--b--\r\n--b \f\r\n", true, false },
		{ "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
		  "--c\r\n\r\n--bb\r\n--c--\r\n--b--\r\n", true, false },
		{ "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
		  "--c\r\n\r\n--cc\r\n--c--\r\n--b--\r\n", false, true },
		{ "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
		  "--c\r\n\r\nx\r\n--c--\r\n--c\r\n--b--\r\n", false, true },
		/* "--b  " with padding in the epilogue of the inner one */
		{ "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
		  "--c\r\n\r\nx\r\n--c--\r\n--b  \r\n\r\ny\r\n--b--\r\n",
		  false, false },
	};
	struct smime_spool *sp;
	struct smime_headers hs;
	struct smime_mime_part *tree, *in;

	tree = parse_ct(cases[_i].text, "multipart/mixed; boundary=b", &sp,
	    &hs, 1 << 20);
	ck_assert_int_eq((tree->mp_flags & SMIME_MIME_F_LOOKALIKE) != 0,
	    cases[_i].outer);
	in = tree->mp_nchildren > 0 ? tree->mp_children[0] : NULL;
	if (in != NULL && smime_mime_is(in, "multipart", NULL))
		ck_assert_int_eq((in->mp_flags & SMIME_MIME_F_LOOKALIKE) != 0,
		    cases[_i].inner);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

/* Parameters readers may read differently mark the part AMBIGUOUS. */
START_TEST(ambiguous_content_type)
{
	static const struct {
		const char	*ct;
		bool		 ambiguous;
	} cases[] = {
		{ "multipart/mixed; boundary=b", false },
		{ "multipart/mixed; boundary=\"b\"", false },
		{ "multipart/mixed; boundary*0=b", false },
		{ "multipart/mixed; boundary*=''b", false },
		{ "multipart/mixed; boundary=b; boundary=b", true },
		{ "multipart/mixed; boundary=x; BOUNDARY=b", true },
		{ "multipart/mixed; boundary=x; boundary*0=b", true },
		{ "multipart/mixed; boundary*0=b; boundary=x", true },
		{ "multipart/mixed; boundary*=''b; boundary=x", true },
		{ "multipart/mixed; boundary*0=b; boundary*0=x", true },
		{ "multipart/mixed; boundary*0=b; boundary*2=x", true },
		{ "multipart/mixed; boundary=b (comment)", true },
		{ "multipart/mixed; boundary=\"\\b\"", true },
		{ "multipart/mixed; boundary=\"b \"", true },
		{ "multipart/mixed; boundary=\"b#\"", true },
		{ "multipart/mixed; boundary=b; charset=x; charset=y", true },
		{ "multipart/mixed; boundary=\"b\"junk", true },
		{ "multipart/mixed; boundary=\"b\" charset=x", true },
		{ "multipart/mixed; boundary=b c", true },
		{ "multipart / mixed; boundary=b", true },
		{ "multipart/mixed;\r\n\tboundary = \"b\";", false },
		{ "multipart/mixed; boundary=\"b\r\n c\"", true },
	};
	const char *text = "--b\r\n\r\none\r\n--b--\r\n";
	struct smime_spool *sp;
	struct smime_headers hs;
	struct smime_mime_part *tree;

	tree = parse_ct(text, cases[_i].ct, &sp, &hs, 1 << 20);
	ck_assert_msg(((tree->mp_flags & SMIME_MIME_F_AMBIGUOUS) != 0) ==
	    cases[_i].ambiguous, "%s", cases[_i].ct);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

/* Two Content-Type (or CTE) fields, blanks before a colon: AMBIGUOUS. */
START_TEST(ambiguous_part_header)
{
	static const char *texts[] = {
		"--b\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n"
		"\r\nx\r\n--b--\r\n",
		"--b\r\nContent-Transfer-Encoding: 7bit\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nx\r\n--b--\r\n",
		"--b\r\nContent-Type : text/plain\r\n\r\nx\r\n--b--\r\n",
	};
	struct smime_spool *sp;
	struct smime_headers hs;
	struct smime_mime_part *tree;

	tree = parse_ct(texts[_i], "multipart/mixed; boundary=b", &sp, &hs,
	    1 << 20);
	ck_assert_uint_eq(tree->mp_nchildren, 1);
	ck_assert(!(tree->mp_flags & SMIME_MIME_F_AMBIGUOUS));
	ck_assert(tree->mp_children[0]->mp_flags & SMIME_MIME_F_AMBIGUOUS);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
	/* The same at the top level. */
	sp = spool_of("x\r\n", 1 << 20);
	top_headers(&hs, "text/plain");
	ck_assert_int_eq(smime_headers_add(&hs, "content-type", "text/html"),
	    SMIME_OK);
	{
		struct smime_err err;

		ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
		    SMIME_OK);
	}
	ck_assert(tree->mp_flags & SMIME_MIME_F_AMBIGUOUS);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

START_TEST(content_type_parsing)
{
	char *type, *sub, *tok;
	struct smime_mime_param *pa;
	size_t np;

	ck_assert_int_eq(smime_mime_parse_content_type(
	    " Multipart/Signed (a comment);\r\n\tprotocol=\"application/"
	    "pkcs7-signature\"; MICALG=SHA-256 ;\n boundary=\"a\\\"b; c\"",
	    &type, &sub, &pa, &np), SMIME_OK);
	ck_assert_str_eq(type, "multipart");
	ck_assert_str_eq(sub, "signed");
	ck_assert_uint_eq(np, 3);
	ck_assert_str_eq(smime_mime_params_get0(pa, np, "protocol"),
	    "application/pkcs7-signature");
	ck_assert_str_eq(smime_mime_params_get0(pa, np, "micalg"), "SHA-256");
	ck_assert_str_eq(smime_mime_params_get0(pa, np, "boundary"),
	    "a\"b; c");
	free(type);
	free(sub);
	smime_mime_params_free(pa, np);

	/* RFC 2231 §4.1 example, plus an ordinary parameter. */
	ck_assert_int_eq(smime_mime_parse_content_type(
	    "application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20"
	    "more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\""
	    "; name=x.bin", &type, &sub, &pa, &np), SMIME_OK);
	ck_assert_str_eq(smime_mime_params_get0(pa, np, "title"),
	    "This is even more ***fun*** isn't it!");
	ck_assert_str_eq(smime_mime_params_get0(pa, np, "name"), "x.bin");
	free(type);
	free(sub);
	smime_mime_params_free(pa, np);

	ck_assert_int_eq(smime_mime_parse_content_type("attachment; "
	    "filename*=UTF-8''%E6%97%A5.pdf", &type, &sub, &pa, &np),
	    SMIME_SYNTAX);
	ck_assert_ptr_null(type);
	ck_assert_int_eq(smime_mime_parse_token_params("Attachment; "
	    "filename*=UTF-8''%E6%97%A5.pdf", &tok, &pa, &np), SMIME_OK);
	ck_assert_str_eq(tok, "attachment");
	ck_assert_str_eq(smime_mime_params_get0(pa, np, "filename"),
	    "\xe6\x97\xa5.pdf");
	free(tok);
	smime_mime_params_free(pa, np);
	ck_assert_int_eq(smime_mime_parse_content_type("", &type, &sub, &pa,
	    &np), SMIME_SYNTAX);
}
END_TEST

START_TEST(unfold_and_case)
{
	char *s = smime_mime_unfold("  a;\r\n\tb=c\n d  \r\n");

	ck_assert_str_eq(s, "a;\tb=c d");
	free(s);
	ck_assert_int_eq(smime_mime_strcasecmp("Content-TYPE", "content-type"),
	    0);
	ck_assert_int_ne(smime_mime_strcasecmp("a", "b"), 0);
	ck_assert_int_eq(smime_mime_strncasecmp("MIME-Version", "mime-v", 6),
	    0);
}
END_TEST

/* Reading and writing through the filter, byte by byte and in one go. */
START_TEST(canon_bio_both_ways)
{
	static const char in[] = "a\rb\nc\r\nd\r\r\ne\n\n";
	static const char want[] = "a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\n";
	BIO *f, *mem, *src;
	char *p, buf[64];
	size_t i;
	long n;
	int got, total = 0;

	f = smime_canon_new_bio();
	mem = BIO_new(BIO_s_mem());
	BIO_push(f, mem);
	for (i = 0; i < sizeof(in) - 1; i++)
		ck_assert_int_eq(BIO_write(f, in + i, 1), 1);
	n = BIO_get_mem_data(mem, &p);
	ck_assert_int_eq(n, (long)sizeof(want) - 1);
	ck_assert(memcmp(p, want, sizeof(want) - 1) == 0);
	BIO_free_all(f);

	f = smime_canon_new_bio();
	src = BIO_new_mem_buf(in, sizeof(in) - 1);
	BIO_push(f, src);
	while ((got = BIO_read(f, buf + total, 3)) > 0)
		total += got;
	ck_assert_int_eq(total, (int)sizeof(want) - 1);
	ck_assert(memcmp(buf, want, sizeof(want) - 1) == 0);
	BIO_free_all(f);
}
END_TEST

/* A line whose "name" is not printable ASCII is body, not header. */
START_TEST(bad_field_name_starts_body)
{
	const char *text =
	    "--b\r\n"
	    "Content-Type: text/plain\r\n"
	    "Bad\xff:Name\r\n"
	    "rest\r\n"
	    "--b--\r\n";
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_headers hs;
	struct smime_mime_part *tree;
	struct smime_err err;

	top_headers(&hs, "multipart/mixed; boundary=b");
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert(tree->mp_children[0]->mp_flags & SMIME_MIME_F_BADHEADER);
	ck_assert_uint_eq(tree->mp_children[0]->mp_headers.hs_count, 1);
	range_is(text, tree->mp_children[0]->mp_body_start,
	    tree->mp_children[0]->mp_body_end, "Bad\xff:Name\r\nrest", "\r\n");
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}
END_TEST

/* hdrs NULL: the header comes from the spool; digest children default. */
START_TEST(whole_message_and_digest_default)
{
	const char *text =
	    "Subject: digest\n"
	    "Content-Type: multipart/digest; boundary=d\n"
	    "\n"
	    "--d\n"
	    "\n"
	    "Subject: one\n"
	    "\n"
	    "first\n"
	    "--d\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "second\n"
	    "--d--\n";
	struct smime_spool *sp = spool_of(text, 1 << 20);
	struct smime_mime_part *tree;
	const struct smime_mime_part *p;
	struct smime_err err;

	ck_assert_int_eq(smime_mime_parse(sp, NULL, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_str_eq(smime_headers_get0(&tree->mp_headers, "subject", 0),
	    "digest");
	ck_assert_uint_eq(tree->mp_hdr_start, 0);
	ck_assert(smime_mime_is(tree, "multipart", "digest"));
	p = smime_mime_find(tree, "1");
	ck_assert(smime_mime_is(p, "message", "rfc822"));
	ck_assert_uint_eq(p->mp_nchildren, 1);
	ck_assert_str_eq(p->mp_children[0]->mp_number, "1.1");
	range_is(text, p->mp_children[0]->mp_body_start,
	    p->mp_children[0]->mp_body_end, "first", "\n");
	p = smime_mime_find(tree, "2");
	ck_assert(smime_mime_is(p, "text", "plain"));
	smime_mime_free(tree);
	smime_spool_free(sp);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");

	tcase_add_loop_test(tc, nested_offsets_and_numbers, 0, 6);
	tcase_add_test(tc, single_part_and_defaults);
	tcase_add_test(tc, message_rfc822_numbers);
	tcase_add_test(tc, missing_close_delimiter);
	tcase_add_test(tc, inner_ended_by_outer_delimiter);
	tcase_add_test(tc, boundary_never_appears);
	tcase_add_test(tc, depth_and_part_limits);
	tcase_add_loop_test(tc, default_depth_is_the_daemons, 0, 2);
	tcase_add_test(tc, long_lines_on_disk);
	tcase_add_loop_test(tc, padding_any_length, 0, 22);
	tcase_add_loop_test(tc, lookalike_lines, 0, 10);
	tcase_add_loop_test(tc, ambiguous_content_type, 0, 22);
	tcase_add_loop_test(tc, ambiguous_part_header, 0, 3);
	tcase_add_test(tc, content_type_parsing);
	tcase_add_test(tc, unfold_and_case);
	tcase_add_test(tc, canon_bio_both_ways);
	tcase_add_test(tc, bad_field_name_starts_body);
	tcase_add_test(tc, whole_message_and_digest_default);
	suite_add_tcase(s, tc);
	return s;
}
