/* unit.c - the one main() of the Check unit tests (see unit.h) and the
 * temp-dir helpers they share.  Linked from test/unit/libunit.a: a test
 * program that defines unit_suite() gets this main(). */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

char *
unit_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = NULL;

	if (base == NULL || base[0] != '/')
		base = "/tmp";
	ck_assert_int_ne(asprintf(&dir, "%s/%s.XXXXXX", base,
	    program_invocation_short_name), -1);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir,
	    strerror(errno));
	return dir;
}

/* nftw callback: remove one entry, children first (FTW_DEPTH). */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == -1) {
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

void
unit_rmtmpdir(char *dir)
{
	if (dir == NULL)
		return;
	ck_assert_msg(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0,
	    "cannot remove %s", dir);
	free(dir);
}

int
main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
