/* test_address.c - From header mailbox extraction (smime/address.c). */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "smime/address.h"
#include "test/unit/unit.h"

struct addr_case {
	const char	*ac_value;
	smime_status	 ac_status;
	const char	*ac_addr;
};

static const struct addr_case addr_cases[] = {
	{ "taro@example.jp", SMIME_OK, "taro@example.jp" },
	{ "  Taro@Example.JP  ", SMIME_OK, "Taro@example.jp" },
	{ "Taro Yamada <taro@example.jp>", SMIME_OK, "taro@example.jp" },
	{ "\"Yamada, Taro\" <taro@example.jp>", SMIME_OK,
	  "taro@example.jp" },
	{ "=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>", SMIME_OK,
	  "taro@example.jp" },
	{ "taro@example.jp (Taro <evil@example.com>)", SMIME_OK,
	  "taro@example.jp" },
	{ "(a (nested) comment) <taro@example.jp>", SMIME_OK,
	  "taro@example.jp" },
	{ "\"evil@example.com\" <taro@example.jp>", SMIME_OK,
	  "taro@example.jp" },
	{ "Taro\r\n <taro@\r\n\texample.jp>", SMIME_OK, "taro@example.jp" },
	{ "<\"taro\"@example.jp>", SMIME_OK, "taro@example.jp" },
	{ "<\"taro yamada\"@example.jp>", SMIME_OK,
	  "\"taro yamada\"@example.jp" },
	{ "<\"ta\\\"ro\"@example.jp>", SMIME_OK, "\"ta\\\"ro\"@example.jp" },
	{ "<first . last@example.jp>", SMIME_OK, "first.last@example.jp" },
	{ "<@relay.example,@r2.example:taro@example.jp>", SMIME_OK,
	  "taro@example.jp" },
	{ "taro@[192.0.2.1]", SMIME_OK, "taro@[192.0.2.1]" },
	{ "山田 <山田@例え.jp>", SMIME_OK, "山田@例え.jp" },
	{ "taro@example.jp,", SMIME_OK, "taro@example.jp" },
	{ "", SMIME_SYNTAX, NULL },
	{ "Taro Yamada", SMIME_SYNTAX, NULL },
	{ "<taro@example.jp", SMIME_SYNTAX, NULL },
	{ "taro@example.jp>", SMIME_SYNTAX, NULL },
	{ "<taro@example.jp> trailing", SMIME_SYNTAX, NULL },
	{ "taro@@example.jp", SMIME_SYNTAX, NULL },
	{ "taro@example..jp", SMIME_SYNTAX, NULL },
	{ "@example.jp", SMIME_SYNTAX, NULL },
	{ "taro@", SMIME_SYNTAX, NULL },
	{ "\"unterminated <taro@example.jp>", SMIME_SYNTAX, NULL },
	{ "(unterminated <taro@example.jp>", SMIME_SYNTAX, NULL },
	{ "<\"a\\\rb\"@example.jp>", SMIME_SYNTAX, NULL },
	{ "<\"a\\\001b\"@example.jp>", SMIME_SYNTAX, NULL },
	{ "<\"a\\\tb\"@example.jp>", SMIME_OK, "\"a\tb\"@example.jp" },
	{ "a@[192.0.2.1\r\n]", SMIME_SYNTAX, NULL },
	{ "a@example.jp, b@example.jp", SMIME_UNSUPPORTED, NULL },
	{ "A <a@example.jp>, B <b@example.jp>", SMIME_UNSUPPORTED, NULL },
	{ "undisclosed-recipients:;", SMIME_UNSUPPORTED, NULL },
	{ "team: a@example.jp;", SMIME_UNSUPPORTED, NULL },
};

START_TEST(address_table)
{
	const struct addr_case *c = &addr_cases[_i];
	struct smime_err err;
	char *addr = (char *)1;
	smime_status st;

	smime_err_clear(&err);
	st = smime_address_from_header(c->ac_value, &addr, &err);
	ck_assert_msg(st == c->ac_status, "%s: status %d want %d (%s)",
	    c->ac_value, st, c->ac_status, smime_err_get0(&err));
	if (c->ac_addr == NULL) {
		ck_assert_ptr_null(addr);
		ck_assert_str_ne(smime_err_get0(&err), "");
	} else
		ck_assert_str_eq(addr, c->ac_addr);
	free(addr);
}
END_TEST

/* Deep comment nesting and huge values are linear, not recursive. */
START_TEST(address_hostile_sizes)
{
	size_t n = 200000, i;
	char *v = malloc(n * 2 + 32), *addr;
	struct smime_err err;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++)
		v[i] = '(';
	for (i = 0; i < n; i++)
		v[n + i] = ')';
	strcpy(v + 2 * n, "a@example.jp");
	ck_assert_int_eq(smime_address_from_header(v, &addr, &err), SMIME_OK);
	ck_assert_str_eq(addr, "a@example.jp");
	free(addr);
	memset(v, 'a', 2 * n);
	strcpy(v + 2 * n, "@example.jp");
	ck_assert_int_eq(smime_address_from_header(v, &addr, &err),
	    SMIME_SYNTAX);
	free(v);
}
END_TEST

/*
 * The one comparison (identity lookup, Sender, signer-vs-From): ASCII
 * case never matters, in the local part as in the domain; any other byte
 * must be the same; both sides must be local@domain.
 */
static const struct {
	const char	*a, *b;
	bool		 equal;
} equal_cases[] = {
	{ "Taro@Example.jp", "taro@example.JP", true },
	{ "TARO.YAMADA@EXAMPLE.JP", "taro.yamada@example.jp", true },
	{ "taro@example.jp", "taro@example.jp", true },
	{ "\"x@y\"@b.jp", "\"X@Y\"@B.jp", true },
	{ "taro@example.jp", "taro@example.com", false },
	{ "taro@example.jp", "taro@example.jpx", false },
	{ "taro@example.jp", "tar0@example.jp", false },
	{ "ab@b.jp", "a@b.jp", false },
	{ "a@bb.jp", "ab@b.jp", false },	/* same length, '@' elsewhere */
	{ "taro+x@example.jp", "taro@example.jp", false },
	{ "t.aro@example.jp", "taro@example.jp", false },
	{ "taro@example.jp.", "taro@example.jp", false },
	/* UTF-8 (RFC 6532): no Unicode case folding, no look-alikes */
	{ "\xc3\xa9lu@example.jp", "\xc3\xa9lu@example.jp", true },
	{ "\xc3\x89lu@example.jp", "\xc3\xa9lu@example.jp", false },
	{ "\xe2\x84\xaa" "aro@example.jp", "karo@example.jp", false },
	{ "taro@\xc4\xb1.jp", "taro@i.jp", false },
	/* not an address: never equal, not even to itself */
	{ "nobody", "nobody", false },
	{ "@b.jp", "@b.jp", false },
	{ "a@", "a@", false },
	{ "", "", false },
};

START_TEST(address_equal_table)
{
	ck_assert_msg(smime_address_equal(equal_cases[_i].a,
	    equal_cases[_i].b) == equal_cases[_i].equal, "%s vs %s",
	    equal_cases[_i].a, equal_cases[_i].b);
	ck_assert_msg(smime_address_equal(equal_cases[_i].b,
	    equal_cases[_i].a) == equal_cases[_i].equal, "%s vs %s",
	    equal_cases[_i].b, equal_cases[_i].a);
}
END_TEST

START_TEST(address_equal_null)
{
	ck_assert(!smime_address_equal(NULL, "taro@example.jp"));
	ck_assert(!smime_address_equal("taro@example.jp", NULL));
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("address");
	TCase *tc = tcase_create("address");

	tcase_add_loop_test(tc, address_table, 0,
	    (int)(sizeof(addr_cases) / sizeof(addr_cases[0])));
	tcase_add_test(tc, address_hostile_sizes);
	tcase_add_loop_test(tc, address_equal_table, 0,
	    (int)(sizeof(equal_cases) / sizeof(equal_cases[0])));
	tcase_add_test(tc, address_equal_null);
	suite_add_tcase(s, tc);
	return s;
}
