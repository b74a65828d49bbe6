/*
 * test_signpolicy.c - the signing policy by destination: conf_load()'s
 * pattern normalization feeding smime_dest_lookup() (most specific rule,
 * subdomains, case; a 50,000-rule table in little CPU time),
 * smime_dest_combine() (opaque > sign > skip) and
 * smime_signreq_parse() / smime_signreq_is_field().  Table-driven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <check.h>

#include "test/unit/unit.h"

#include "conf/conf.h"
#include "smime/signpolicy.h"

static const char table_conf[] =
    "socket = \"inet:8895@127.0.0.1\";\n"
    "strict_modes = false;\n"
    "mode = \"s\";\n"
    "sign = { destinations = {\n"
    "  opaque = [ \"Lists.Example.ORG\", \".lists.example.org\",\n"
    "             \"@rewrites.example\" ];\n"
    "  skip = [ \"example.net\", \"NoReply@Example.ORG\", \".skip.example\" ];\n"
    "  sign = [ \"board@example.net\", \"keep.skip.example\" ];\n"
    "}; };\n";

static const struct {
	const char	*address;
	const char	*want;
	const char	*rule;	/* NULL: no rule */
} lookups[] = {
	{ "a@lists.example.org", "opaque", "lists.example.org" },
	{ "a@x.lists.example.org", "opaque", ".lists.example.org" },
	{ "a@x.y.lists.example.org", "opaque", ".lists.example.org" },
	{ "a@xlists.example.org", "sign", NULL },
	{ "a@rewrites.example", "opaque", "rewrites.example" },
	{ "a@sub.rewrites.example", "sign", NULL },	/* domain only */
	{ "a@example.net", "skip", "example.net" },
	{ "a@example.net.", "skip", "example.net" },	/* trailing dot */
	{ "a@x.example.net", "sign", NULL },
	{ "board@example.net", "sign", "board@example.net" },
	{ "BOARD@example.net", "sign", "board@example.net" },
	{ "noreply@example.org", "skip", "NoReply@example.org" },
	{ "other@example.org", "sign", NULL },
	{ "a@keep.skip.example", "sign", "keep.skip.example" },
	{ "a@x.keep.skip.example", "skip", ".skip.example" },
	{ "a@skip.example", "sign", NULL },
	{ "postmaster", "sign", NULL },
	{ "a@", "sign", NULL },
	{ "a@.", "sign", NULL },
	{ "a@org", "sign", NULL },
	/* Routing in the local part (percent hack, bang path): an MTA
	 * that is the final destination of the domain relays to the one
	 * named inside, so never skip, and that one's rule counts. */
	{ "voter%example.com@example.net", "sign", NULL },
	{ "example.com!voter@example.net", "sign", NULL },
	{ "\"voter%example.com\"@example.net", "sign", NULL },
	{ "a%b%example.com@x.skip.example", "sign", NULL },
	{ "x%lists.example.org@example.net", "opaque", "lists.example.org" },
	{ "x.lists.example.org!a@example.net", "opaque",
	  ".lists.example.org" },
	{ "a%example.net@example.net", "sign", NULL },
	/* ... and an '@' inside a quoted local part (Postfix resolves
	 * "user@other"@domain like user@other@domain by default). */
	{ "\"voter@example.com\"@example.net", "sign", NULL },
	{ "\"x@rewrites.example\"@example.net", "opaque",
	  "rewrites.example" },
};

START_TEST(lookup_table)
{
	char *dir = unit_tmpdir(), path[4096], err[512];
	const struct smime_dest_rule *rule;
	enum smime_dest_action got;
	struct smime_conf *conf;
	size_t i;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/c.conf", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(table_conf, fp);
	fclose(fp);
	conf = conf_load(path, err, sizeof(err), NULL, NULL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->cf_sign_ndests, 8);
	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		got = smime_dest_lookup(conf->cf_sign_dests,
		    conf->cf_sign_ndests, lookups[i].address, &rule);
		ck_assert_msg(strcmp(smime_dest_action_name(got),
		    lookups[i].want) == 0, "%s: %s, want %s",
		    lookups[i].address, smime_dest_action_name(got),
		    lookups[i].want);
		if (lookups[i].rule == NULL)
			ck_assert_msg(rule == NULL, "%s: rule %s",
			    lookups[i].address, rule->dr_pattern);
		else
			ck_assert_msg(rule != NULL && strcasecmp(
			    rule->dr_pattern, lookups[i].rule) == 0,
			    "%s: rule %s, want %s", lookups[i].address,
			    rule != NULL ? rule->dr_pattern : "none",
			    lookups[i].rule);
	}
	ck_assert_int_eq(smime_dest_lookup(NULL, 0, "a@b.example", NULL),
	    SMIME_DEST_SIGN);
	conf_free(conf);
	unit_rmtmpdir(dir);
}
END_TEST

/*
 * A table of 50,000 rules loads and answers 20,000 lookups in well under
 * the CPU time a linear search would need (2e9 comparisons): sorted once,
 * binary search per label.
 */
START_TEST(large_table)
{
	char *dir = unit_tmpdir(), path[4096], tbl[4096];
	char err[512], addr[64];
	const struct smime_dest_rule *rule;
	struct smime_conf *conf;
	clock_t t0;
	FILE *fp;
	int i;

	snprintf(tbl, sizeof(tbl), "%s/dest", dir);
	ck_assert_ptr_nonnull(fp = fopen(tbl, "w"));
	for (i = 0; i < 50000; i++)
		fprintf(fp, "%sd%05d.example %s\n", i % 3 == 0 ? "." : "",
		    i, i % 2 == 0 ? "skip" : "opaque");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fprintf(fp, "socket = \"inet:8895@127.0.0.1\";\nstrict_modes = "
	    "false;\nmode = \"s\";\nsign = { destinations_file = \"%s\"; "
	    "};\n", tbl);
	fclose(fp);
	t0 = clock();
	conf = conf_load(path, err, sizeof(err), NULL, NULL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->cf_sign_ndests, 50000);
	for (i = 0; i < 20000; i++) {
		/* d00003 is ".d00003.example": subdomains only */
		snprintf(addr, sizeof(addr), "v%d@x.d%05d.example", i, i % 50000);
		ck_assert_int_eq(smime_dest_lookup(conf->cf_sign_dests,
		    conf->cf_sign_ndests, addr, &rule), i % 3 == 0 ?
		    (i % 2 == 0 ? SMIME_DEST_SKIP : SMIME_DEST_OPAQUE) :
		    SMIME_DEST_SIGN);
		snprintf(addr, sizeof(addr), "v%d@d%05d.example", i, i % 50000);
		ck_assert_int_eq(smime_dest_lookup(conf->cf_sign_dests,
		    conf->cf_sign_ndests, addr, &rule), i % 3 != 0 ?
		    (i % 2 == 0 ? SMIME_DEST_SKIP : SMIME_DEST_OPAQUE) :
		    SMIME_DEST_SIGN);
	}
	ck_assert_msg(clock() - t0 < 5 * CLOCKS_PER_SEC, "%.1f s of CPU",
	    (double)(clock() - t0) / CLOCKS_PER_SEC);
	conf_free(conf);
	unit_rmtmpdir(dir);
}
END_TEST

START_TEST(combine)
{
	static const enum smime_dest_action all[] = { SMIME_DEST_SKIP,
	    SMIME_DEST_SIGN, SMIME_DEST_OPAQUE };
	size_t i, j;

	/* The strictest that still signs, in either order. */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			ck_assert_int_eq(smime_dest_combine(all[i], all[j]),
			    all[i > j ? i : j]);
}
END_TEST

START_TEST(signreq)
{
	static const struct {
		const char		*value;
		enum smime_signreq	 want;
	} cases[] = {
		{ "no", SMIME_SIGNREQ_NO }, { "NO", SMIME_SIGNREQ_NO },
		{ " No \t", SMIME_SIGNREQ_NO }, { "\n no\n", SMIME_SIGNREQ_NO },
		{ "yes", SMIME_SIGNREQ_YES }, { "Yes ", SMIME_SIGNREQ_YES },
		{ "", SMIME_SIGNREQ_INVALID }, { "n", SMIME_SIGNREQ_INVALID },
		{ "nope", SMIME_SIGNREQ_INVALID },
		{ "no (list)", SMIME_SIGNREQ_INVALID },
		{ "no no", SMIME_SIGNREQ_INVALID },
		{ "false", SMIME_SIGNREQ_INVALID },
		{ "0", SMIME_SIGNREQ_INVALID },
		{ "\"no\"", SMIME_SIGNREQ_INVALID },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(smime_signreq_parse(cases[i].value) ==
		    cases[i].want, "\"%s\"", cases[i].value);
	ck_assert(smime_signreq_parse(NULL) == SMIME_SIGNREQ_INVALID);
	ck_assert(smime_signreq_is_field("X-SMIME-Sign"));
	ck_assert(smime_signreq_is_field("x-smime-sign \t"));
	ck_assert(!smime_signreq_is_field("X-SMIME-Signer"));
	ck_assert(!smime_signreq_is_field("X-SMIME-Sig"));
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("signpolicy");
	TCase *tc = tcase_create("signpolicy");

	tcase_add_test(tc, lookup_table);
	tcase_add_test(tc, large_table);
	tcase_set_timeout(tc, 120);	/* sanitizers on a loaded machine */
	tcase_add_test(tc, combine);
	tcase_add_test(tc, signreq);
	suite_add_tcase(s, tc);
	return s;
}
