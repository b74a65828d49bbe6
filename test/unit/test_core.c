/* test_core.c - spool, header list and edit queue. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>

#include "smime/edits.h"
#include "smime/headers.h"
#include "smime/spool.h"
#include "test/unit/unit.h"

/* Writing past the memory threshold moves the data to disk intact. */
START_TEST(spool_spills_to_disk_and_reads_back)
{
	struct smime_spool *spool = smime_spool_new(64, NULL);
	struct smime_err err;
	char chunk[50], back[200];
	size_t got, i;

	ck_assert_ptr_nonnull(spool);
	for (i = 0; i < 4; i++) {
		memset(chunk, 'a' + (int)i, sizeof(chunk));
		ck_assert_int_eq(smime_spool_write(spool, chunk, sizeof(chunk),
		    &err), SMIME_OK);
		ck_assert(smime_spool_on_disk(spool) == (i >= 1));
	}
	ck_assert_uint_eq(smime_spool_size(spool), 200);
	ck_assert_int_eq(smime_spool_read_at(spool, 45, back, 10, &got, &err),
	    SMIME_OK);
	ck_assert_uint_eq(got, 10);
	ck_assert(memcmp(back, "aaaaabbbbb", 10) == 0);
	smime_spool_free(spool);
}
END_TEST

/* A range BIO returns exactly the requested window. */
START_TEST(spool_range_bio)
{
	struct smime_spool *spool = smime_spool_new(1 << 20, NULL);
	struct smime_err err;
	char buf[64];
	BIO *bio;
	int n;

	ck_assert_int_eq(smime_spool_write(spool, "0123456789", 10, &err),
	    SMIME_OK);
	bio = smime_spool_new_read_bio(spool, 3, 4);
	ck_assert_ptr_nonnull(bio);
	n = BIO_read(bio, buf, sizeof(buf));
	ck_assert_int_eq(n, 4);
	ck_assert(memcmp(buf, "3456", 4) == 0);
	ck_assert_int_le(BIO_read(bio, buf, sizeof(buf)), 0);
	BIO_free(bio);

	bio = smime_spool_new_write_bio(spool);
	ck_assert_int_eq(BIO_write(bio, "ab", 2), 2);
	BIO_free(bio);
	ck_assert_uint_eq(smime_spool_size(spool), 12);
	smime_spool_free(spool);
}
END_TEST

START_TEST(headers_lookup_is_case_insensitive)
{
	struct smime_headers hs;

	smime_headers_init(&hs);
	ck_assert_int_eq(smime_headers_add(&hs, "Received", "a"), SMIME_OK);
	ck_assert_int_eq(smime_headers_add(&hs, "received", "b"), SMIME_OK);
	ck_assert_int_eq(smime_headers_add(&hs, "From", "x@y"), SMIME_OK);
	ck_assert_str_eq(smime_headers_get0(&hs, "RECEIVED", 1), "b");
	ck_assert_ptr_null(smime_headers_get0(&hs, "received", 2));
	ck_assert_uint_eq(smime_headers_count(&hs, "Received"), 2);
	smime_headers_clear(&hs);
}
END_TEST

START_TEST(edits_delete_all_indexes_every_occurrence)
{
	struct smime_headers hs;
	struct smime_edits ed;

	smime_headers_init(&hs);
	smime_edits_init(&ed);
	smime_headers_add(&hs, "Content-Type", "text/plain");
	smime_headers_add(&hs, "Subject", "s");
	smime_headers_add(&hs, "content-type", "text/html");
	ck_assert_int_eq(smime_edits_delete_all(&ed, &hs, "Content-Type"),
	    SMIME_OK);
	ck_assert_uint_eq(ed.ed_ndelete, 2);
	ck_assert(smime_edits_deletes(&ed, "CONTENT-TYPE", 2));
	ck_assert(!smime_edits_deletes(&ed, "Subject", 1));
	smime_edits_clear(&ed);
	smime_headers_clear(&hs);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, spool_spills_to_disk_and_reads_back);
	tcase_add_test(tc, spool_range_bio);
	tcase_add_test(tc, headers_lookup_is_case_insensitive);
	tcase_add_test(tc, edits_delete_all_indexes_every_occurrence);
	suite_add_tcase(s, tc);
	return s;
}
