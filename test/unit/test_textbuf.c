/*
 * test_textbuf.c - the escapes of milter/textbuf.c: JSON strings (RFC
 * 8259) and logfmt values for structured logs, Prometheus label values.
 * Hostile input (quotes, backslashes, control characters, every kind of
 * invalid UTF-8) must come out as one well-formed value; the golden
 * outputs are checked byte for byte.  test/client/metrics.sh parses what
 * the daemon writes with Python's json module.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "milter/textbuf.h"
#include "test/unit/unit.h"

struct esc_case {
	const char	*in;
	const char	*json;		/* smf_buf_json() */
	const char	*logfmt;	/* smf_buf_logfmt() */
	const char	*plain;		/* smf_buf_plain() */
};

static const struct esc_case esc_cases[] = {
	{ "taro", "\"taro\"", "taro", "taro" },
	{ "", "\"\"", "\"\"", "" },
	{ "a b", "\"a b\"", "\"a b\"", "a b" },
	{ "k=v", "\"k=v\"", "\"k=v\"", "k=v" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\"",
	  "say \"hi\"" },
	{ "back\\slash", "\"back\\\\slash\"", "\"back\\\\slash\"",
	  "back\\slash" },
	{ "l1\nl2\r\tx", "\"l1\\nl2\\r\\tx\"", "\"l1\\nl2\\r\\tx\"",
	  "l1?l2??x" },
	{ "esc\033[31m", "\"esc\\u001b[31m\"", "\"esc\\u001b[31m\"",
	  "esc?[31m" },
	{ "del\177", "\"del\\u007f\"", "\"del\\u007f\"", "del?" },
	/* C1 control U+0085 (NEL) and the JavaScript line separators */
	{ "c1\302\205", "\"c1\\u0085\"", "\"c1\\u0085\"", "c1?" },
	{ "ls\342\200\250ps\342\200\251", "\"ls\\u2028ps\\u2029\"",
	  "\"ls\\u2028ps\\u2029\"", "ls?ps?" },
	/* valid UTF-8 passes unchanged, bare in logfmt */
	{ "山田太郎", "\"山田太郎\"", "山田太郎", "山田太郎" },
	{ "\360\237\227\263", "\"\360\237\227\263\"", "\360\237\227\263",
	  "\360\237\227\263" },
	/* invalid: stray continuation, lone lead byte, 0xff */
	{ "a\200b", "\"a\\ufffdb\"", "\"a\\ufffdb\"", "a?b" },
	{ "a\303", "\"a\\ufffd\"", "\"a\\ufffd\"", "a?" },
	{ "\377\376", "\"\\ufffd\\ufffd\"", "\"\\ufffd\\ufffd\"", "??" },
	/* overlong "/" and overlong NUL */
	{ "\300\257", "\"\\ufffd\\ufffd\"", "\"\\ufffd\\ufffd\"", "??" },
	{ "\340\200\200", "\"\\ufffd\\ufffd\\ufffd\"",
	  "\"\\ufffd\\ufffd\\ufffd\"", "???" },
	/* UTF-16 surrogate U+D800, beyond U+10FFFF, truncated 3-byte */
	{ "\355\240\200", "\"\\ufffd\\ufffd\\ufffd\"",
	  "\"\\ufffd\\ufffd\\ufffd\"", "???" },
	{ "\364\220\200\200", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	  "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "????" },
	{ "x\343\201", "\"x\\ufffd\\ufffd\"", "\"x\\ufffd\\ufffd\"", "x??" },
	/* a forged record inside a value stays inside it */
	{ "x\"}\n{\"level\":\"err\"", "\"x\\\"}\\n{\\\"level\\\":\\\"err\\\"\"",
	  "\"x\\\"}\\n{\\\"level\\\":\\\"err\\\"\"", "x\"}?{\"level\":\"err\"" },
};

/* Run fn over in and compare with want. */
static void
check_one(void (*fn)(struct smf_buf *, const char *), const char *in,
    const char *want, const char *what)
{
	struct smf_buf b = { NULL, 0, 0, false };

	fn(&b, in);
	ck_assert(!b.sb_failed);
	ck_assert_msg(strcmp(b.sb_len > 0 ? b.sb_data : "", want) == 0,
	    "%s of \"%s\": got [%s], want [%s]", what, in,
	    b.sb_len > 0 ? b.sb_data : "", want);
	smf_buf_free(&b);
}

START_TEST(escape_table)
{
	const struct esc_case *c = &esc_cases[_i];

	check_one(smf_buf_json, c->in, c->json, "json");
	check_one(smf_buf_logfmt, c->in, c->logfmt, "logfmt");
	check_one(smf_buf_plain, c->in, c->plain, "plain");
}
END_TEST

/* Exposition format: only \\, \" and \n are escaped in label values. */
START_TEST(prometheus_label)
{
	check_one(smf_buf_label, "OpenSSL 3.0.2 \"x\"\\y\nz",
	    "OpenSSL 3.0.2 \\\"x\\\"\\\\y\\nz", "label");
	check_one(smf_buf_label, "山田", "山田", "label");
}
END_TEST

/* The buffer grows past its first allocation and keeps every byte. */
START_TEST(buffer_grows)
{
	struct smf_buf b = { NULL, 0, 0, false };
	size_t i;

	for (i = 0; i < 10000; i++)
		smf_buf_printf(&b, "%05zu", i);
	ck_assert(!b.sb_failed);
	ck_assert_uint_eq(b.sb_len, 50000);
	ck_assert(strncmp(b.sb_data + 49995, "09999", 5) == 0);
	ck_assert_uint_eq(strlen(b.sb_data), 50000);
	smf_buf_free(&b);
	ck_assert_ptr_null(b.sb_data);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("textbuf");
	TCase *tc = tcase_create("textbuf");

	tcase_add_loop_test(tc, escape_table, 0,
	    (int)(sizeof(esc_cases) / sizeof(esc_cases[0])));
	tcase_add_test(tc, prometheus_label);
	tcase_add_test(tc, buffer_grows);
	suite_add_tcase(s, tc);
	return s;
}
