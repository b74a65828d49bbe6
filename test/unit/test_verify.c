/*
 * test_verify.c - Authentication-Results formatting, authserv-id
 * matching, RFC 2047 encoding and the edits (smime/ar.c).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "smime/mime.h"
#include "smime/forged.h"
#include "smime/ar.h"
#include "smime/result.h"
#include "smime/verify.h"
#include "test/unit/unit.h"

/* Unfold "\n\t" back to the single space it replaced. */
static char *
unfold(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (s[0] == '\n' && s[1] == '\t') {
			*o++ = ' ';
			s++;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* Longest line of a folded value, the first one counted after "Name: ". */
static size_t
longest_line(const char *v, size_t first_offset)
{
	size_t max = 0, cur = first_offset;

	for (; *v != '\0'; v++) {
		if (*v == '\n') {
			if (cur > max)
				max = cur;
			cur = 0;
		} else
			cur++;
	}
	return cur > max ? cur : max;
}

START_TEST(ar_none_when_no_results)
{
	struct smime_sigres_list l;
	char *v;

	memset(&l, 0, sizeof(l));
	v = smime_ar_format("mx.example.net", &l);
	ck_assert_str_eq(v, "mx.example.net; smime=none");
	free(v);
}
END_TEST

START_TEST(ar_properties_quoting_and_folding)
{
	struct smime_sigres_list l;
	struct smime_sigres *sr;
	char *v, *u;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(smime_sigres_add(&l, &sr), SMIME_OK);
	sr->sr_result = SMIME_RESULT_FAIL;
	sr->sr_reason = strdup("certificate revoked");
	sr->sr_from = strdup("\"taro yamada\"@example.jp");
	sr->sr_identifier = strdup("bad id@exa\"mple.jp\r\n");
	sr->sr_part = strdup("2.1");
	sr->sr_serial = strdup("0A1B");
	sr->sr_issuer = strdup("CN=A\\, B,O=Test \"PKI\",C=JP");
	ck_assert_int_eq(smime_sigres_add(&l, &sr), SMIME_OK);
	sr->sr_result = SMIME_RESULT_PASS;
	sr->sr_identifier = strdup("hanako@example.jp");
	sr->sr_part = strdup("1");
	sr->sr_serial = strdup("1001");	/* no issuer: no serial either */
	v = smime_ar_format("mx.example.net", &l);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_le(longest_line(v, strlen("Authentication-Results: ")),
	    78);
	u = unfold(v);
	ck_assert_str_eq(u, "mx.example.net; smime=fail (certificate revoked) "
	    "header.from=\"taro yamada\"@example.jp "
	    "body.smime-identifier=\"bad id@exa\\\"mple.jp??\" "
	    "body.smime-part=2.1 body.smime-serial=0A1B "
	    "body.smime-issuer=\"CN=A\\\\, B,O=Test \\\"PKI\\\",C=JP\"; "
	    "smime=pass body.smime-identifier=hanako@example.jp "
	    "body.smime-part=1");
	free(u);
	free(v);
	smime_sigres_list_clear(&l);
}
END_TEST

struct ours_case {
	const char	*oc_value;
	bool		 oc_ours;
};

static const struct ours_case ours_cases[] = {
	{ "mx.example.net; smime=pass", true },
	{ "MX.Example.NET; smime=pass", true },
	{ "  (forged (nested)) mx.example.net ; spf=pass", true },
	{ "\r\n\tmx.example.net;", true },
	{ "mx.example.net 1; dkim=pass", true },
	{ "mx.example.net(c); none", true },
	{ "\"mx.example.net\"; smime=pass", true },
	{ "\"mx.exam\\ple.net\"; smime=pass", true },
	{ "mx.example.net", true },
	{ "mx.example.net.evil; smime=pass", false },
	{ "evil.mx.example.net; smime=pass", false },
	{ "mx.example.ne; smime=pass", false },
	{ "\"mx.example.net.\"; smime=pass", false },
	{ "(mx.example.net) other.example; smime=pass", false },
	{ "", false },
	{ "(unterminated mx.example.net", false },
};

START_TEST(ar_authserv_id_match)
{
	const struct ours_case *c = &ours_cases[_i];

	ck_assert_msg(smime_ar_is_ours(c->oc_value, "mx.example.net") ==
	    c->oc_ours, "%s", c->oc_value);
}
END_TEST

/* RFC 8601 classification of A-R values (smime/forged.c). */
struct claim_case {
	const char		*cc_value;
	enum smime_ar_claim	 cc_claim;
};

static const struct claim_case claim_cases[] = {
	{ "mx.example.net; smime=pass", SMIME_AR_OURS_SMIME },
	{ "MX.Example.NET; SMIME/1 = fail (x) header.from=a@b.example",
	  SMIME_AR_OURS_SMIME },
	{ "mx.example.net; dkim=pass header.d=a.example; smime=none",
	  SMIME_AR_OURS_SMIME },
	{ "mx.example.net; dkim=pass (1024-bit key; ok) header.b=Ab/+x1",
	  SMIME_AR_OURS },
	{ "mx.example.net 1; spf=pass smtp.mailfrom=\"a b\"@c.example",
	  SMIME_AR_OURS },
	{ "mx.example.net; dkim=neutral reason=\"x; y\"", SMIME_AR_OURS },
	{ "mx.example.net; none", SMIME_AR_OURS },
	{ "mx.example.net (c) ; none (c)", SMIME_AR_OURS },
	{ "mx.example.net", SMIME_AR_OURS_BAD },
	{ "mx.example.net;", SMIME_AR_OURS_BAD },
	{ "mx.example.net; dkim", SMIME_AR_OURS_BAD },
	{ "mx.example.net; dkim=pass (open", SMIME_AR_OURS_BAD },
	{ "mx.example.net smime=pass", SMIME_AR_OURS_BAD },
	{ "mx.example.net; none; smime=pass", SMIME_AR_OURS_BAD },
	{ "\"mx\".example.net; dkim=pass", SMIME_AR_OURS_BAD },
	{ "mx.example.net; dkim=pass foo=bar", SMIME_AR_OURS_BAD },
	{ "other.example; smime=pass", SMIME_AR_OTHER },
	{ "mx.example.net.evil; smime=pass", SMIME_AR_OTHER },
	{ "", SMIME_AR_OTHER },
};

START_TEST(ar_classify)
{
	const struct claim_case *c = &claim_cases[_i];

	ck_assert_msg(smime_ar_classify(c->cc_value, "mx.example.net") ==
	    c->cc_claim, "%s: %d", c->cc_value,
	    (int)smime_ar_classify(c->cc_value, "mx.example.net"));
}
END_TEST

/* Decode one "=?UTF-8?B?...?=" word into out; returns its byte count. */
static size_t
decode_word(const char *w, size_t wlen, unsigned char *out)
{
	int n;
	size_t pad = 0;

	ck_assert(wlen > 12 && strncmp(w, "=?UTF-8?B?", 10) == 0 &&
	    strncmp(w + wlen - 2, "?=", 2) == 0);
	n = EVP_DecodeBlock(out, (const unsigned char *)w + 10,
	    (int)(wlen - 12));
	ck_assert_int_ge(n, 0);
	if (wlen - 12 >= 1 && w[wlen - 3] == '=')
		pad++;
	if (wlen - 12 >= 2 && w[wlen - 4] == '=')
		pad++;
	return (size_t)n - pad;
}

/* Every word is whole UTF-8, at most 75 characters, and they add up. */
static void
check_2047(const char *text, size_t name_len)
{
	char *enc = smime_rfc2047_encode(text, name_len);
	unsigned char buf[4096], *b = buf;
	const char *p, *end;
	size_t n;

	ck_assert_ptr_nonnull(enc);
	ck_assert_uint_le(longest_line(enc, name_len + 2), 76);
	for (p = enc; *p != '\0'; p = end) {
		while (*p == '\n' || *p == '\t')
			p++;
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		ck_assert_uint_le((size_t)(end - p), 75);
		n = decode_word(p, (size_t)(end - p), b);
		/* A word never ends inside a UTF-8 sequence. */
		ck_assert((b[n - 1] & 0x80) == 0 || (b[n - 1] & 0xc0) == 0x80);
		if ((b[n - 1] & 0x80) != 0) {
			size_t k = n - 1;

			while (k > 0 && (b[k] & 0xc0) == 0x80)
				k--;
			ck_assert_uint_eq(n - k, (b[k] >= 0xf0) ? 4 :
			    (b[k] >= 0xe0) ? 3 : 2);
		}
		b += n;
	}
	*b = '\0';
	ck_assert_str_eq((char *)buf, text);
	free(enc);
}

START_TEST(rfc2047_plain_ascii_untouched)
{
	char *enc = smime_rfc2047_encode("CN=Saburo Tanaka, O=Example Party",
	    14);

	ck_assert_str_eq(enc, "CN=Saburo Tanaka, O=Example Party");
	free(enc);
}
END_TEST

START_TEST(rfc2047_japanese_words)
{
	check_2047("CN=山田太郎, O=山田太郎, OU=衆議院議員候補", 14);
	check_2047("CN=衆議院議員候補衆議院議員候補衆議院議員候補衆議院議員候補"
	    "衆議院議員候補衆議院議員候補, O=😀😀😀😀😀😀😀😀😀😀😀😀😀", 14);
	check_2047("é", 50);
	check_2047("tab\there", 14);
}
END_TEST

/* An encoded-word lookalike is encoded, so it displays as itself. */
START_TEST(rfc2047_lookalike_encoded)
{
	char *enc = smime_rfc2047_encode("CN==?UTF-8?B?5bGx55Sw5aSq6YOO?=",
	    14);

	ck_assert_ptr_nonnull(enc);
	ck_assert(strncmp(enc, "=?UTF-8?B?", 10) == 0);
	free(enc);
	check_2047("CN==?UTF-8?B?5bGx55Sw5aSq6YOO?=, O=Attacker", 14);
	check_2047("CN=a=?b", 14);
}
END_TEST

/* Decode every encoded-word of enc and return the text (static buffer). */
static const char *
unfold_2047(const char *enc)
{
	static unsigned char buf[4096];
	unsigned char *b = buf;
	const char *p, *end;

	for (p = enc; *p != '\0'; p = end) {
		while (*p == '\n' || *p == '\t')
			p++;
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		b += decode_word(p, (size_t)(end - p), b);
	}
	*b = '\0';
	return (const char *)buf;
}

/*
 * A bidi override, isolate, zero-width or C1 character in a certificate
 * name would make X-SMIME-Signer display other text than the name holds
 * ("CN=<RLO>ofnI" reads "Info..."): each becomes '?', as does a byte of
 * invalid UTF-8.
 */
START_TEST(rfc2047_invisible_replaced)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "CN=\xe2\x80\xae" "oraT", "CN=?oraT" },		/* RLO */
		{ "CN=a\xe2\x81\xa7" "b\xe2\x81\xa9", "CN=a?b?" },	/* FSI, PDI */
		{ "CN=\xe2\x80\x8f\xe2\x80\x8b\xef\xbb\xbf" "x", "CN=???x" },
		{ "CN=\xc2\x85x\xd8\x9c", "CN=?x?" },		/* NEL, ALM */
		{ "CN=\xf3\xa0\x80\x81" "t", "CN=?t" },		/* tag */
		{ "CN=\xff\xc3(\xe0\x80\xaf", "CN=?\?(?\?\?" },	/* invalid */
		{ "CN=\xed\xa0\x80", "CN=???" },			/* surrogate */
		{ "CN=\xe5\xb1\xb1\xe7\x94\xb0", "CN=\xe5\xb1\xb1\xe7\x94\xb0" },
	};
	size_t i;
	char *enc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enc = smime_rfc2047_encode(cases[i].in, 14);
		ck_assert_ptr_nonnull(enc);
		if (strncmp(enc, "=?", 2) == 0)
			ck_assert_str_eq(unfold_2047(enc), cases[i].out);
		else
			ck_assert_str_eq(enc, cases[i].out);
		free(enc);
	}
}
END_TEST

/* Long ASCII folds at its spaces within 78 columns and unfolds back. */
START_TEST(rfc2047_plain_folded_and_capped)
{
	char text[2048], *enc, *p, *q;
	size_t i, col;

	text[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(text, "OU=Division ");
	strcat(text, "end");
	enc = smime_rfc2047_encode(text, 14);
	ck_assert_ptr_nonnull(enc);
	for (p = enc, col = 16; *p != '\0'; p++, col++) {
		if (*p == '\n') {
			ck_assert_uint_le(col, 78);
			ck_assert(p[1] == ' ');
			col = 0;
		}
	}
	ck_assert_uint_le(col, 78);
	/* Unfolded: a prefix of the text, cut at 512 bytes, marked. */
	for (p = q = enc; *p != '\0'; p++)
		if (*p != '\n')
			*q++ = *p;
	*q = '\0';
	ck_assert_uint_le(strlen(enc), SMIME_SIGNER_MAX + 4);
	ck_assert(strcmp(enc + strlen(enc) - 4, " ...") == 0);
	ck_assert(strncmp(enc, text, strlen(enc) - 4) == 0);
	free(enc);
}
END_TEST

START_TEST(edits_delete_ours_and_signers)
{
	struct smime_headers hs;
	struct smime_edits ed;
	struct smime_sigres_list l;
	struct smime_sigres *sr;

	smime_headers_init(&hs);
	smime_edits_init(&ed);
	memset(&l, 0, sizeof(l));
	smime_headers_add(&hs, "Authentication-Results", "other; spf=pass");
	smime_headers_add(&hs, "X-SMIME-Signer", "forged");
	smime_headers_add(&hs, "authentication-results",
	    "MX.example.net; smime=pass");
	smime_headers_add(&hs, "From", "taro@example.jp");
	smime_sigres_add(&l, &sr);
	sr->sr_result = SMIME_RESULT_PASS;
	sr->sr_signer = strdup("CN=Saburo");
	ck_assert_int_eq(smime_ar_edits("mx.example.net", true, &hs, &l, &ed),
	    SMIME_OK);
	ck_assert_uint_eq(ed.ed_ndelete, 2);
	ck_assert(smime_edits_deletes(&ed, "Authentication-Results", 2));
	ck_assert(smime_edits_deletes(&ed, "X-SMIME-Signer", 1));
	ck_assert_uint_eq(ed.ed_prepend.hs_count, 2);
	ck_assert_str_eq(ed.ed_prepend.hs_list[0].hdr_name,
	    "Authentication-Results");
	ck_assert_str_eq(ed.ed_prepend.hs_list[1].hdr_value, "CN=Saburo");
	ck_assert_ptr_null(ed.ed_body);
	smime_edits_clear(&ed);
	/* No signer field unless asked for, and never for a non-pass. */
	sr->sr_result = SMIME_RESULT_FAIL;
	ck_assert_int_eq(smime_ar_edits("mx.example.net", true, &hs, &l, &ed),
	    SMIME_OK);
	ck_assert_uint_eq(ed.ed_prepend.hs_count, 1);
	smime_edits_clear(&ed);
	smime_sigres_list_clear(&l);
	smime_headers_clear(&hs);
}
END_TEST

START_TEST(result_names)
{
	ck_assert_str_eq(smime_result_name(SMIME_RESULT_NONE), "none");
	ck_assert_str_eq(smime_result_name(SMIME_RESULT_PASS), "pass");
	ck_assert_str_eq(smime_result_name(SMIME_RESULT_FAIL), "fail");
	ck_assert_str_eq(smime_result_name(SMIME_RESULT_NEUTRAL), "neutral");
	ck_assert_str_eq(smime_result_name(SMIME_RESULT_POLICY), "policy");
	ck_assert_str_eq(smime_result_name(SMIME_RESULT_TEMPERROR),
	    "temperror");
	ck_assert_str_eq(smime_result_name(SMIME_RESULT_PERMERROR),
	    "permerror");
}
END_TEST

/*
 * The worst-result rule (result.c): fail outranks every error, errors
 * outrank policy and neutral, anything outranks pass; an empty list is
 * none.  A reject-on-fail policy must see the fail whatever its position.
 */
START_TEST(result_worst_rule)
{
	static const enum smime_result order[] = { SMIME_RESULT_NONE,
	    SMIME_RESULT_PASS, SMIME_RESULT_NEUTRAL, SMIME_RESULT_POLICY,
	    SMIME_RESULT_TEMPERROR, SMIME_RESULT_PERMERROR, SMIME_RESULT_FAIL };
	struct smime_sigres_list l;
	struct smime_sigres *sr;
	size_t i, j;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(smime_sigres_worst(&l), SMIME_RESULT_NONE);
	for (i = 1; i < sizeof(order) / sizeof(order[0]); i++)
		ck_assert_int_lt(smime_result_rank(order[i - 1]),
		    smime_result_rank(order[i]));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		for (j = 0; j < sizeof(order) / sizeof(order[0]); j++) {
			memset(&l, 0, sizeof(l));
			ck_assert_int_eq(smime_sigres_add(&l, &sr), SMIME_OK);
			sr->sr_result = order[i];
			ck_assert_int_eq(smime_sigres_add(&l, &sr), SMIME_OK);
			sr->sr_result = order[j];
			ck_assert_int_eq(smime_sigres_worst(&l),
			    order[i > j ? i : j]);
			smime_sigres_list_clear(&l);
		}
}
END_TEST

/* The log summary: one entry per result, inner ones marked, cut safely. */
START_TEST(result_summary_line)
{
	struct smime_sigres_list l;
	struct smime_sigres *sr;
	char buf[SMIME_SUMMARY_MAX];
	size_t i;

	memset(&l, 0, sizeof(l));
	smime_sigres_summary(&l, 0, buf);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(smime_sigres_add(&l, &sr), SMIME_OK);
	ck_assert(smime_sigres_set(sr, SMIME_RESULT_PASS, NULL));
	ck_assert_ptr_nonnull(sr->sr_part = strdup("1"));
	ck_assert_ptr_nonnull(sr->sr_identifier = strdup("taro@example.jp"));
	ck_assert_ptr_nonnull(sr->sr_serial = strdup("1B"));
	ck_assert_ptr_nonnull(sr->sr_signing_time =
	    strdup("2026-01-02T03:04:05Z"));
	ck_assert_int_eq(smime_sigres_add(&l, &sr), SMIME_OK);
	ck_assert(smime_sigres_set(sr, SMIME_RESULT_FAIL, "content altered"));
	smime_sigres_summary(&l, 1, buf);
	ck_assert_str_eq(buf, "part 1: pass signer taro@example.jp serial 1B "
	    "signingTime 2026-01-02T03:04:05Z; inner part -: fail "
	    "(content altered)");
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(smime_sigres_add(&l, &sr), SMIME_OK);
		ck_assert(smime_sigres_set(sr, SMIME_RESULT_NEUTRAL,
		    "malformed signature"));
	}
	smime_sigres_summary(&l, 1, buf);
	ck_assert_uint_eq(strlen(buf), SMIME_SUMMARY_MAX - 1);
	smime_sigres_list_clear(&l);
}
END_TEST

/*
 * The signed content of a multipart/signed whose first part is itself a
 * multipart ends at that part's close delimiter when no epilogue follows:
 * the line break after it belongs to the outer delimiter (RFC 2046).
 */
static void
check_content_range(const char *inner_tail, const char *want_end)
{
	static const char head[] =
	    "--outer\r\n"
	    "Content-Type: multipart/mixed; boundary=inner\r\n"
	    "\r\n"
	    "--inner\r\n"
	    "\r\n"
	    "text\r\n"
	    "--inner--";
	struct smime_headers hs;
	struct smime_spool *sp = smime_spool_new(1 << 16, NULL);
	struct smime_mime_part *tree = NULL;
	struct smime_err err;
	char body[512], got[512];
	const struct smime_mime_part *c;
	size_t n;

	snprintf(body, sizeof(body), "%s%s\r\n--outer\r\n"
	    "Content-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n"
	    "--outer--\r\n", head, inner_tail);
	smime_headers_init(&hs);
	smime_headers_add(&hs, "Content-Type", "multipart/signed; "
	    "protocol=\"application/pkcs7-signature\"; boundary=outer");
	ck_assert_int_eq(smime_spool_write(sp, body, strlen(body), &err),
	    SMIME_OK);
	ck_assert_int_eq(smime_mime_parse(sp, &hs, 0, 0, &tree, &err),
	    SMIME_OK);
	ck_assert_uint_eq(tree->mp_nchildren, 2);
	c = tree->mp_children[0];
	ck_assert_uint_le(c->mp_epilogue_start, c->mp_body_end);
	n = (size_t)(c->mp_body_end - c->mp_hdr_start);
	memcpy(got, body + c->mp_hdr_start, n);
	got[n] = '\0';
	snprintf(body, sizeof(body), "%s%s", head + strlen("--outer\r\n"),
	    want_end);
	ck_assert_str_eq(got, body);
	smime_mime_free(tree);
	smime_headers_clear(&hs);
	smime_spool_free(sp);
}

START_TEST(signed_multipart_content_range)
{
	check_content_range("", "");
	check_content_range("\r\nepilogue", "\r\nepilogue");
	check_content_range("\r\n", "\r\n");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("ar");

	tcase_add_test(tc, ar_none_when_no_results);
	tcase_add_test(tc, ar_properties_quoting_and_folding);
	tcase_add_loop_test(tc, ar_authserv_id_match, 0,
	    (int)(sizeof(ours_cases) / sizeof(ours_cases[0])));
	tcase_add_loop_test(tc, ar_classify, 0,
	    (int)(sizeof(claim_cases) / sizeof(claim_cases[0])));
	tcase_add_test(tc, rfc2047_plain_ascii_untouched);
	tcase_add_test(tc, rfc2047_japanese_words);
	tcase_add_test(tc, rfc2047_lookalike_encoded);
	tcase_add_test(tc, rfc2047_plain_folded_and_capped);
	tcase_add_test(tc, rfc2047_invisible_replaced);
	tcase_add_test(tc, edits_delete_ours_and_signers);
	tcase_add_test(tc, result_names);
	tcase_add_test(tc, result_worst_rule);
	tcase_add_test(tc, result_summary_line);
	tcase_add_test(tc, signed_multipart_content_range);
	suite_add_tcase(s, tc);
	return s;
}
