/* test_hp.c - RFC 9788 header protection: normalisation, 7-bit copies, comparison. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "smime/hp.h"
#include "test/unit/unit.h"

/* ---- normalised forms ---- */

struct norm_case {
	const char	*nc_name;
	const char	*nc_a;
	const char	*nc_b;
	bool		 nc_same;
};

static const struct norm_case norm_cases[] = {
	/* unstructured: encodings, folding, adjacent words */
	{ "Subject", "=?UTF-8?B?5ryU6Kqs5Lya?=", "演説会", true },
	{ "Subject", "=?UTF-8?B?5ryU6Kqs?=\r\n =?UTF-8?B?5Lya?=", "演説会", true },
	{ "Subject", "=?ISO-2022-JP?B?GyRCMWlAYjJxGyhC?=", "演説会", true },
	{ "Subject", "=?utf-8?q?a_b=20c?=", "a b c", true },
	{ "Subject", "=?UTF-8?B?5ryU6Kqs5Lya?= 第2回", "演説会 第2回", true },
	{ "Subject", "a  \r\n\tb", "a b", true },
	{ "Subject", "演説会のお知らせ", "演説会は中止になりました", false },
	{ "Subject", "=?x-nonsense?B?YWJj?=", "abc", false },
	{ "Subject", "Re: plan", "RE: plan", false },
	/* addresses: display name and addr-spec */
	{ "From", "\"Yamada, Taro\" <Taro@Example.JP>",
	  "=?UTF-8?B?WWFtYWRhLCBUYXJv?= <taro@example.jp>", true },
	{ "From", "山田 太郎 <taro@example.jp>",
	  "\"山田 太郎\" <taro@example.jp>", true },
	{ "From", "山田 太郎 <taro@example.jp>", "山田 次郎 <taro@example.jp>",
	  false },
	{ "From", "Taro <taro@example.jp>", "Taro <jiro@example.jp>", false },
	{ "To", "a@example.jp, b@example.jp", "a@example.jp", false },
	{ "To", "a@example.jp,b@example.jp", "a@example.jp, b@example.jp", true },
	{ "To", "undisclosed-recipients:;", "undisclosed-recipients: ;", true },
	{ "Cc", "c@example.org (山田)", "c@example.org (=?UTF-8?B?5bGx55Sw?=)",
	  true },
	{ "Cc", "c@example.org (山田)", "c@example.org (鈴木)", false },
	{ "To", "<@relay.example:a@example.jp>", "a@example.jp", true },
	/* Date by instant */
	{ "Date", "Wed, 25 Nov 2026 10:00:00 +0900",
	  "Wed, 25 Nov 2026 01:00:00 +0000 (UTC)", true },
	{ "Date", "25 Nov 2026 10:00 +0900", "Wed, 25 Nov 2026 01:00:00 GMT",
	  true },
	{ "Date", "Wed, 25 Nov 26 10:00:00 +0900",
	  "Wed, 25 Nov 2026 10:00:00 +0900", true },
	{ "Date", "Wed, 25 Nov 2026 10:00:00 +0900",
	  "Wed, 25 Nov 2026 10:00:01 +0900", false },
	{ "Date", "Wed, 25 Nov 2026 10:00:00 +0900",
	  "Wed, 25 Nov 2026 10:00:00 +0800", false },
	{ "Date", "not a date", "not  a date", true },
	/* msg-ids */
	{ "References", "<a@x><b@y>", "<a@x>\r\n <b@y>", true },
	{ "References", "<a@x> <b@y>", "<b@y> <a@x>", false },
	{ "Message-ID", "<m1@example.jp> (comment)", "<m1@example.jp>", true },
	{ "In-Reply-To", "<m1@example.jp>", "<m2@example.jp>", false },
};

START_TEST(norm_table)
{
	const struct norm_case *nc = &norm_cases[_i];
	char *a = smime_hp_norm(nc->nc_name, nc->nc_a);
	char *b = smime_hp_norm(nc->nc_name, nc->nc_b);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_msg((strcmp(a, b) == 0) == nc->nc_same,
	    "case %d %s: \"%s\" vs \"%s\"", _i, nc->nc_name, a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(norm_forms)
{
	char *s;

	s = smime_hp_norm_addresses("\"Yamada, Taro\" <Taro@Example.JP>, "
	    "hanako@example.jp (Hanako)");
	ck_assert_str_eq(s, "Yamada, Taro <taro@example.jp>, "
	    "<hanako@example.jp> (Hanako)");
	free(s);
	s = smime_hp_norm_date("Thu, 1 Jan 1970 09:00:00 +0900");
	ck_assert_str_eq(s, "@0");
	free(s);
	s = smime_hp_decode_words("=?UTF-8?B?YQ==?=  =?UTF-8?B?Yg==?= c");
	ck_assert_str_eq(s, "ab c");
	free(s);
}
END_TEST

/* ---- the copies put into the signed part ---- */

static const char *const copy_cases[][2] = {
	{ "Subject", "演説会のお知らせ 12月1日（日）駅前広場にて、午後2時から"
	  "午後4時まで。雨天の場合は公民館で行います。" },
	{ "Subject", "=?UTF-8?B?5pS/562W6Kqs5piO5Lya?= 第2回" },
	{ "Subject", "plain ASCII\r\n folded subject" },
	{ "From", "山田 太郎 <taro@example.jp>" },
	{ "From", "\"山田, 太郎\" <taro@example.jp> (後援会)" },
	{ "From", "taro@example.jp (山田 太郎)" },
	{ "To", "支援者: a@example.org, \"B 様\" <b@example.org>;, "
	  "c@example.org" },
	{ "Reply-To", "\"Quoted \\\"name\\\" 様\" <office@example.jp>" },
	{ "Date", "Wed, 25 Nov 2026 10:00:00 +0900" },
	{ "References", "<a.1234567890@lists.example.jp><b.1234567890@lists."
	  "example.jp><c.1234567890@lists.example.jp>" },
	{ "Subject", "\xff\xfe raw bytes that are not UTF-8" },
};

START_TEST(copies_are_7bit_and_equal)
{
	const char *name = copy_cases[_i][0], *value = copy_cases[_i][1];
	struct smime_headers in, out;
	struct smime_err err;
	const unsigned char *p;
	char *a, *b;
	size_t col;

	smime_headers_init(&in);
	smime_headers_init(&out);
	ck_assert_int_eq(smime_headers_add(&in, name, value), SMIME_OK);
	ck_assert_int_eq(smime_hp_fields(&in, NULL, 0, &out, &err), SMIME_OK);
	ck_assert_uint_eq(out.hs_count, 1);
	col = strlen(name) + 2;
	for (p = (const unsigned char *)out.hs_list[0].hdr_value; *p != '\0';
	    p++) {
		ck_assert_msg(*p < 0x80, "case %d: 8-bit byte", _i);
		if (*p == '\r') {
			ck_assert_msg(p[1] == '\n' && (p[2] == ' ' ||
			    p[2] == '\t'), "case %d: bad fold", _i);
			col = 0;
			p++;
			continue;
		}
		ck_assert_msg(++col <= 78, "case %d: line over 78: %s", _i,
		    out.hs_list[0].hdr_value);
	}
	a = smime_hp_norm(name, value);
	b = smime_hp_norm(name, out.hs_list[0].hdr_value);
	ck_assert_msg(strcmp(a, b) == 0, "case %d: \"%s\" became \"%s\"", _i,
	    a, b);
	free(a);
	free(b);
	smime_headers_clear(&in);
	smime_headers_clear(&out);
}
END_TEST

START_TEST(copies_select_and_refuse)
{
	struct smime_headers in, out;
	struct smime_err err;
	char *only[] = { "Subject", "Bcc" };

	smime_headers_init(&in);
	smime_headers_init(&out);
	smime_headers_add(&in, "Received", "from x by y");
	smime_headers_add(&in, "From", "a@example.jp");
	smime_headers_add(&in, "Bcc", "secret@example.jp");
	smime_headers_add(&in, "Subject", "one");
	smime_headers_add(&in, "Content-Type", "text/plain");
	smime_headers_add(&in, "Subject", "two");
	ck_assert_int_eq(smime_hp_fields(&in, NULL, 0, &out, &err), SMIME_OK);
	ck_assert_uint_eq(out.hs_count, 3);	/* From, Subject x2 */
	ck_assert_str_eq(out.hs_list[0].hdr_name, "From");
	ck_assert_str_eq(out.hs_list[2].hdr_value, "two");
	smime_headers_clear(&out);
	/* Bcc is never copied, even when listed. */
	ck_assert_int_eq(smime_hp_fields(&in, only, 2, &out, &err), SMIME_OK);
	ck_assert_uint_eq(out.hs_count, 2);
	ck_assert_str_eq(out.hs_list[0].hdr_name, "Subject");
	smime_headers_clear(&out);
	/* A non-ASCII addr-spec cannot be carried in 7 bits. */
	smime_headers_add(&in, "To", "山田 <山田@example.jp>");
	ck_assert_int_eq(smime_hp_fields(&in, NULL, 0, &out, &err),
	    SMIME_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "To"));
	ck_assert_uint_eq(out.hs_count, 0);
	smime_headers_clear(&in);
	/* A word longer than 998 in a structured field: no protection. */
	{
		char big[1200];

		memset(big, 'a', sizeof(big));
		memcpy(big, "<", 1);
		memcpy(big + sizeof(big) - 3, "@x>", 3);
		big[sizeof(big) - 1] = '\0';
		big[sizeof(big) - 2] = '>';
		smime_headers_add(&in, "Message-ID", big);
		ck_assert_int_eq(smime_hp_fields(&in, NULL, 0, &out, &err),
		    SMIME_UNSUPPORTED);
		smime_headers_clear(&in);
	}
	ck_assert(!smime_hp_field_allowed("Content-Type"));
	ck_assert(!smime_hp_field_allowed("mime-version"));
	ck_assert(!smime_hp_field_allowed("BCC"));
	ck_assert(!smime_hp_field_allowed("Sub ject"));
	ck_assert(smime_hp_field_allowed("X-Campaign"));
}
END_TEST

START_TEST(content_type_param)
{
	static const char *const cases[][2] = {
		{ "text/plain; charset=UTF-8",
		  "text/plain; charset=UTF-8;\r\n hp=\"clear\"" },
		{ "multipart/mixed; hp=\"cipher\";\n\tboundary=\"b\"",
		  "multipart/mixed;\n\tboundary=\"b\";\r\n hp=\"clear\"" },
		{ "text/plain; HP*0=x; hp*1=y; charset=\"a;hp=1\"",
		  "text/plain; charset=\"a;hp=1\";\r\n hp=\"clear\"" },
		{ "text/plain (hp=no; x); a=b;",
		  "text/plain (hp=no; x); a=b;\r\n hp=\"clear\"" },
		{ "text/plain; hpx=1", "text/plain; hpx=1;\r\n hp=\"clear\"" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = smime_hp_content_type(cases[i][0]);
		ck_assert_msg(s != NULL && strcmp(s, cases[i][1]) == 0,
		    "case %zu: \"%s\"", i, s);
		free(s);
	}
}
END_TEST

/* ---- comparison ---- */

static void
part_init(struct smime_mime_part *p, const char *const *fields)
{
	memset(p, 0, sizeof(*p));
	smime_headers_init(&p->mp_headers);
	for (; fields[0] != NULL; fields += 2)
		smime_headers_add(&p->mp_headers, fields[0], fields[1]);
}

START_TEST(compare)
{
	static const char *const inner[] = { "Content-Type",
	    "text/plain; hp=\"clear\"", "From", "Taro <taro@example.jp>",
	    "Subject", "=?UTF-8?B?5ryU6Kqs5Lya?=", "Date",
	    "Wed, 25 Nov 2026 10:00:00 +0900", "To", "a@example.jp",
	    "MIME-Version", "1.0", NULL };
	struct smime_mime_part part;
	struct smime_headers outer;
	char *why, *fields;

	part_init(&part, inner);
	ck_assert(smime_hp_present(&part));
	smime_headers_init(&outer);
	smime_headers_add(&outer, "Received", "x");
	smime_headers_add(&outer, "From", "\"Taro\" <taro@example.jp>");
	smime_headers_add(&outer, "To", "a@example.jp");
	smime_headers_add(&outer, "Subject", "演説会");
	smime_headers_add(&outer, "Date", "Wed, 25 Nov 2026 01:00:00 +0000");
	smime_headers_add(&outer, "Message-ID", "<added@relay>");
	ck_assert_int_eq(smime_hp_compare(&part, &outer, &why, &fields),
	    SMIME_OK);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(fields, "from, subject, date, to");
	free(fields);
	/* Subject and From changed: From is named. */
	free(outer.hs_list[3].hdr_value);
	outer.hs_list[3].hdr_value = strdup("中止");
	ck_assert_int_eq(smime_hp_compare(&part, &outer, &why, &fields),
	    SMIME_OK);
	ck_assert_str_eq(why, "Subject differs from the signed Subject");
	free(why);
	free(outer.hs_list[1].hdr_value);
	outer.hs_list[1].hdr_value = strdup("Jiro <taro@example.jp>");
	ck_assert_int_eq(smime_hp_compare(&part, &outer, &why, &fields),
	    SMIME_OK);
	ck_assert_str_eq(why, "From differs from the signed From and other "
	    "protected fields");
	ck_assert_ptr_null(fields);
	free(why);
	smime_headers_clear(&outer);
	/* A second outer Subject, or a Cc that is not protected. */
	smime_headers_add(&outer, "From", "Taro <taro@example.jp>");
	smime_headers_add(&outer, "To", "a@example.jp");
	smime_headers_add(&outer, "Subject", "演説会");
	smime_headers_add(&outer, "Date", "Wed, 25 Nov 2026 10:00:00 +0900");
	smime_headers_add(&outer, "Cc", "b@example.jp");
	ck_assert_int_eq(smime_hp_compare(&part, &outer, &why, &fields),
	    SMIME_OK);
	ck_assert_str_eq(why, "Cc is not signed");
	free(why);
	smime_headers_add(&outer, "Subject", "second");
	ck_assert_int_eq(smime_hp_compare(&part, &outer, &why, &fields),
	    SMIME_OK);
	ck_assert_str_eq(why, "Subject differs from the signed Subject");
	free(why);
	smime_headers_clear(&outer);
	smime_headers_clear(&part.mp_headers);
	/* An odd field name cannot break the A-R comment. */
	{
		static const char *const odd[] = { "Content-Type",
		    "text/plain; hp=clear", "X-(evil)\\", "1", NULL };

		part_init(&part, odd);
		ck_assert_int_eq(smime_hp_compare(&part, &outer, &why,
		    &fields), SMIME_OK);
		ck_assert_str_eq(why, "X-?evil?? differs from the signed "
		    "X-?evil??");
		free(why);
		smime_headers_clear(&part.mp_headers);
	}
	/* Work is bounded: hundreds of protected fields are refused. */
	{
		static const char *const ct[] = { "Content-Type",
		    "text/plain; hp=clear", NULL };
		int k;

		part_init(&part, ct);
		for (k = 0; k < 300; k++)
			smime_headers_add(&part.mp_headers, "X-A", "1");
		ck_assert_int_eq(smime_hp_compare(&part, &outer, &why,
		    &fields), SMIME_OK);
		ck_assert_str_eq(why, "too many protected header fields");
		free(why);
		smime_headers_clear(&part.mp_headers);
	}
	{
		static const char *const none[] = { "Content-Type",
		    "text/plain", NULL };

		part_init(&part, none);
		ck_assert(!smime_hp_present(&part));
		smime_headers_clear(&part.mp_headers);
	}
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("hp");
	TCase *tc = tcase_create("hp");

	tcase_add_loop_test(tc, norm_table, 0,
	    sizeof(norm_cases) / sizeof(norm_cases[0]));
	tcase_add_test(tc, norm_forms);
	tcase_add_loop_test(tc, copies_are_7bit_and_equal, 0,
	    sizeof(copy_cases) / sizeof(copy_cases[0]));
	tcase_add_test(tc, copies_select_and_refuse);
	tcase_add_test(tc, content_type_param);
	tcase_add_test(tc, compare);
	suite_add_tcase(s, tc);
	return s;
}
