/*
 * test_enroll.c - profile validation, UTF-8 subject encoding of CSRs,
 * import parsing and checks, and the store's install/rollback.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/csr.h"
#include "smime/identity.h"
#include "smime/credential.h"
#include "smime/import.h"
#include "smime/keygen.h"
#include "smime/profile.h"
#include "smime/store.h"
#include "test/unit/unit.h"

/* A valid Japanese profile; cases below change one field each. */
static struct smime_profile
good_profile(void)
{
	struct smime_profile p = {
		.pr_cn = "山田太郎", .pr_o = "山田太郎",
		.pr_ou = "衆議院議員候補", .pr_l = "千代田区",
		.pr_st = "東京都", .pr_c = "JP",
		.pr_email = "taro@example.jp", .pr_dn_email = false,
	};
	return p;
}

static int nwarn;
static char lastwarn[512];

static void
count_warn(void *arg, const char *msg)
{
	(void)arg;
	nwarn++;
	snprintf(lastwarn, sizeof(lastwarn), "%s", msg);
}

START_TEST(profile_good_has_no_error_or_warning)
{
	struct smime_profile p = good_profile();
	struct smime_err err;

	nwarn = 0;
	ck_assert_int_eq(smime_profile_check(&p, count_warn, NULL, &err),
	    SMIME_OK);
	ck_assert_int_eq(nwarn, 0);
	p.pr_st = "Tokyo-to";
	ck_assert_int_eq(smime_profile_check(&p, count_warn, NULL, &err),
	    SMIME_OK);
	ck_assert_int_eq(nwarn, 0);
}
END_TEST

/* One bad field and the message the admin must see. */
static const struct {
	const char	*bc_field;	/* which field to set */
	const char	*bc_value;
	const char	*bc_message;	/* substring of the error */
} bad_cases[] = {
	{ "cn", NULL, "CN: required" },
	{ "cn", "", "CN: required" },
	{ "o", NULL, "O: required" },
	{ "c", "jp", "C: must be two upper-case letters (ISO 3166), got \"jp\"" },
	{ "c", "JPN", "C: must be two upper-case letters" },
	{ "c", NULL, "C: required" },
	{ "st", NULL, "ST: required" },
	{ "cn", "山田\n太郎", "CN: control character U+000A at character 3" },
	{ "ou", "候補\x7f", "OU: control character U+007F" },
	{ "l", "\xc2\x85" "千代田", "L: control character U+0085" },
	{ "o", "\xe5\xb1", "O: not valid UTF-8 at byte 1" },
	{ "o", "ab\xc0\xafz", "O: not valid UTF-8 at byte 3" },
	{ "cn", "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺＡＢＣＤＥ"
	    "ＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺＡＢＣＤＥＦＧＨＩＪＫＬＭ",
	    "CN: 65 characters, RFC 5280 allows at most 64" },
	{ "cn", " 山田", "CN: leading or trailing white space" },
	{ "email", "taro", "email: \"taro\" is not local@domain" },
	{ "email", "taro@example", "email: domain of \"taro@example\" has no dot" },
	{ "email", "ta ro@example.jp", "email: character ' ' not allowed" },
	{ "email", "../x@example.jp", "email: misplaced '.'" },
	{ "email", "a/b@example.jp", "email: character '/' not allowed" },
	{ "email", "taro@-bad.jp", "email: bad domain label" },
	{ "email", NULL, "email: required" },
};

START_TEST(profile_bad_case)
{
	struct smime_profile p = good_profile();
	struct smime_err err;
	const char *f = bad_cases[_i].bc_field, *v = bad_cases[_i].bc_value;

	if (strcmp(f, "cn") == 0) p.pr_cn = v;
	else if (strcmp(f, "o") == 0) p.pr_o = v;
	else if (strcmp(f, "ou") == 0) p.pr_ou = v;
	else if (strcmp(f, "l") == 0) p.pr_l = v;
	else if (strcmp(f, "st") == 0) p.pr_st = v;
	else if (strcmp(f, "c") == 0) p.pr_c = v;
	else p.pr_email = v;
	ck_assert_int_eq(smime_profile_check(&p, NULL, NULL, &err),
	    SMIME_SYNTAX);
	ck_assert_msg(strstr(smime_err_get0(&err), bad_cases[_i].bc_message)
	    != NULL, "case %d: got \"%s\", want \"%s\"", _i,
	    smime_err_get0(&err), bad_cases[_i].bc_message);
	/* A CSR is never built from a bad profile. */
}
END_TEST

START_TEST(profile_reports_every_problem)
{
	struct smime_profile p = good_profile();
	struct smime_err err;

	p.pr_cn = NULL;
	p.pr_c = "jp";
	p.pr_email = "nope";
	ck_assert_int_eq(smime_profile_check(&p, NULL, NULL, &err),
	    SMIME_SYNTAX);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "CN: required; "));
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "C: must be"));
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "email: \"nope\""));
}
END_TEST

START_TEST(profile_prefectures)
{
	struct smime_profile p = good_profile();
	struct smime_err err;
	static const char *const ok[] = { "東京都", "北海道", "大阪府",
	    "京都府", "沖縄県", "神奈川県", "Tokyo", "tokyo", "OSAKA-FU",
	    "Aichi-ken", "Hokkaido", "Tōkyō", "Kōchi", "Hyogo Prefecture" };
	static const char *const bad[] = { "東京", "Tokio", "California",
	    "大阪県", "" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(smime_profile_is_prefecture(ok[i]), "%s", ok[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!smime_profile_is_prefecture(bad[i]), "%s",
		    bad[i]);
	/* Unknown prefecture with C=JP: a warning, not an error. */
	nwarn = 0;
	p.pr_st = "Tokio";
	ck_assert_int_eq(smime_profile_check(&p, count_warn, NULL, &err),
	    SMIME_OK);
	ck_assert_int_eq(nwarn, 1);
	ck_assert_ptr_nonnull(strstr(lastwarn, "ST: \"Tokio\" is not one of "
	    "the 47 prefectures"));
	/* Outside Japan ST is free and optional. */
	nwarn = 0;
	p.pr_c = "US";
	p.pr_st = NULL;
	ck_assert_int_eq(smime_profile_check(&p, count_warn, NULL, &err),
	    SMIME_OK);
	ck_assert_int_eq(nwarn, 0);
}
END_TEST

/* Find the string type of the first nid entry in a DER-decoded name. */
static int
entry_type(const X509_NAME *name, int nid)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);

	if (idx < 0)
		return -1;
	return ASN1_STRING_type(X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, idx)));
}

/* Encode, decode again and inspect the types the CA will see. */
START_TEST(csr_subject_is_utf8string)
{
	struct smime_profile p = good_profile();
	struct smime_err err;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL, *back = NULL;
	unsigned char *der = NULL;
	const unsigned char *q;
	const X509_NAME *name;
	STACK_OF(X509_EXTENSION) *exts;
	int len, crit = 0;
	STACK_OF(GENERAL_NAME) *san;
	const GENERAL_NAME *gn;
	EXTENDED_KEY_USAGE *eku;
	int nids[] = { NID_stateOrProvinceName, NID_localityName,
	    NID_organizationName, NID_organizationalUnitName, NID_commonName };
	size_t i;

	/* Even a hostile process-wide mask must not change the encoding. */
	ASN1_STRING_set_default_mask(B_ASN1_BMPSTRING | B_ASN1_T61STRING);
	p.pr_dn_email = true;
	ck_assert_int_eq(smime_keygen(_i == 0 ? "ec:P-256" : "rsa:2048", &key,
	    &err), SMIME_OK);
	ck_assert_int_eq(smime_csr_build(&p, key, NULL, NULL, &req, &err),
	    SMIME_OK);
	len = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(len, 0);
	q = der;
	back = d2i_X509_REQ(NULL, &q, len);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(X509_REQ_verify(back, key), 1);
	name = X509_REQ_get_subject_name(back);
	for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++)
		ck_assert_int_eq(entry_type(name, nids[i]), V_ASN1_UTF8STRING);
	ck_assert_int_eq(entry_type(name, NID_countryName),
	    V_ASN1_PRINTABLESTRING);
	ck_assert_int_eq(entry_type(name, NID_pkcs9_emailAddress),
	    V_ASN1_IA5STRING);
	exts = X509_REQ_get_extensions(back);
	ck_assert_ptr_nonnull(exts);
	san = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	ck_assert_ptr_nonnull(san);
	ck_assert_int_eq(sk_GENERAL_NAME_num(san), 1);
	gn = sk_GENERAL_NAME_value(san, 0);
	ck_assert_int_eq(gn->type, GEN_EMAIL);
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(gn->d.rfc822Name),
	    "taro@example.jp");
	eku = X509V3_get_d2i(exts, NID_ext_key_usage, &crit, NULL);
	ck_assert_ptr_nonnull(eku);
	ck_assert_int_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)),
	    NID_email_protect);
	EXTENDED_KEY_USAGE_free(eku);
	ASN1_STRING_set_default_mask(B_ASN1_UTF8STRING);
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	OPENSSL_free(der);
	X509_REQ_free(req);
	X509_REQ_free(back);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_refuses_bad_profile)
{
	struct smime_profile p = good_profile();
	struct smime_err err;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;

	ck_assert_int_eq(smime_keygen("ec:P-256", &key, &err), SMIME_OK);
	p.pr_c = "Japan";
	ck_assert_int_eq(smime_csr_build(&p, key, NULL, NULL, &req, &err),
	    SMIME_SYNTAX);
	ck_assert_ptr_null(req);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(keygen_types)
{
	static const char *const types[] = { "ec:P-256", "ec:P-384",
	    "rsa:2048" };
	struct smime_err err;
	EVP_PKEY *key = NULL;
	char desc[64];
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_int_eq(smime_keygen(types[i], &key, &err), SMIME_OK);
		smime_key_describe(key, desc, sizeof(desc));
		ck_assert_msg(strstr(desc, i == 2 ? "RSA-2048" : "EC") != NULL,
		    "%s", desc);
		EVP_PKEY_free(key);
	}
	ck_assert_int_eq(smime_keygen("dsa:1024", &key, &err), SMIME_SYNTAX);
	ck_assert_ptr_null(key);
	ck_assert(!smime_keygen_type_ok("rsa:1024"));
}
END_TEST

/* Self-signed S/MIME certificate for key, valid from nb to na days. */
static X509 *
make_cert(EVP_PKEY *key, const char *email, long nb, long na, bool eku)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char san[128];

	snprintf(san, sizeof(san), "email:%s", email);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)"テスト", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), nb * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), na * 86400);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, eku ?
	    "emailProtection" : "serverAuth");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());
	return x;
}

START_TEST(cert_checks)
{
	struct smime_err err;
	EVP_PKEY *key = NULL, *other = NULL;
	X509 *good, *expired, *noeku;

	ck_assert_int_eq(smime_keygen("ec:P-256", &key, &err), SMIME_OK);
	ck_assert_int_eq(smime_keygen("ec:P-256", &other, &err), SMIME_OK);
	good = make_cert(key, "taro@example.jp", -1, 1000, true);
	expired = make_cert(key, "taro@example.jp", -100, -1, true);
	noeku = make_cert(key, "taro@example.jp", -1, 1000, false);
	ck_assert_int_eq(smime_cert_check(good, key, "taro@example.jp", &err),
	    SMIME_OK);
	ck_assert_int_eq(smime_cert_check(good, key, "jiro@example.jp", &err),
	    SMIME_POLICY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "is not for "
	    "jiro@example.jp (it names taro@example.jp)"));
	ck_assert_int_eq(smime_cert_check(good, other, "taro@example.jp",
	    &err), SMIME_BADKEY);
	ck_assert_int_eq(smime_cert_check(expired, key, "taro@example.jp",
	    &err), SMIME_EXPIRED);
	ck_assert_int_eq(smime_cert_check(noeku, key, "taro@example.jp",
	    &err), SMIME_POLICY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "emailProtection"));
	X509_free(good);
	X509_free(expired);
	X509_free(noeku);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}
END_TEST

/* PEM with key and cert, and DER: both parse to the same certificate. */
START_TEST(import_pem_and_der)
{
	struct smime_err err;
	EVP_PKEY *key = NULL, *got = NULL;
	STACK_OF(X509) *certs = NULL;
	X509 *x, *leaf;
	BIO *mem = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *pem;
	long pemlen;
	int len;

	ck_assert_int_eq(smime_keygen("ec:P-256", &key, &err), SMIME_OK);
	x = make_cert(key, "taro@example.jp", -1, 1000, true);
	PEM_write_bio_X509(mem, x);
	PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL);
	pemlen = BIO_get_mem_data(mem, &pem);
	ck_assert_int_eq(smime_credential_parse("pem", pem, (size_t)pemlen,
	    NULL, NULL, &got, &certs, &err), SMIME_OK);
	ck_assert_int_eq(sk_X509_num(certs), 1);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(smime_import_select(certs, got, &leaf, &err),
	    SMIME_OK);
	ck_assert_int_eq(X509_cmp(leaf, x), 0);
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(got);
	len = i2d_X509(x, &der);
	ck_assert_int_eq(smime_credential_parse("der", der, (size_t)len, NULL,
	    NULL, &got, &certs, &err), SMIME_OK);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), x), 0);
	sk_X509_pop_free(certs, X509_free);
	ck_assert_int_eq(smime_credential_parse("garbage", "garbage", 7, NULL,
	    NULL, &got, &certs, &err), SMIME_SYNTAX);
	ck_assert_ptr_null(certs);
	OPENSSL_free(der);
	BIO_free(mem);
	X509_free(x);
	EVP_PKEY_free(key);
}
END_TEST

/* Install twice, check *.prev and modes, then roll back. */
START_TEST(store_install_and_rollback)
{
	struct smime_err err;
	char *dir = unit_tmpdir(), path[512];
	EVP_PKEY *k1 = NULL, *k2 = NULL, *loaded = NULL;
	X509 *c1, *c2, *cur = NULL;
	struct stat st;
	struct smime_store_entry *list = NULL;
	size_t n = 0;

	ck_assert_int_eq(smime_keygen("ec:P-256", &k1, &err), SMIME_OK);
	ck_assert_int_eq(smime_keygen("ec:P-256", &k2, &err), SMIME_OK);
	c1 = make_cert(k1, "a@example.jp", -1, 1000, true);
	c2 = make_cert(k2, "a@example.jp", -1, 2000, true);
	ck_assert_int_eq(smime_store_save_key(dir, "a@example.jp", k1, false,
	    NULL, &err), SMIME_OK);
	ck_assert_int_eq(smime_store_save_key(dir, "a@example.jp", k1, false,
	    NULL, &err), SMIME_POLICY);
	snprintf(path, sizeof(path), "%s/a@example.jp/key.pem", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/a@example.jp", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(smime_store_install(dir, "a@example.jp", NULL, c1,
	    NULL, NULL, &err), SMIME_OK);
	ck_assert_int_eq(smime_store_mark_revoked(dir, "a@example.jp",
	    "superseded", NULL, &err), SMIME_OK);
	ck_assert(smime_store_is_revoked(dir, "a@example.jp"));
	ck_assert_int_eq(smime_store_install(dir, "a@example.jp", k2, c2,
	    NULL, NULL, &err), SMIME_OK);
	ck_assert(!smime_store_is_revoked(dir, "a@example.jp"));
	ck_assert_int_eq(smime_store_load_cert(dir, "a@example.jp", &cur, NULL,
	    &err), SMIME_OK);
	ck_assert_int_eq(X509_cmp(cur, c2), 0);
	X509_free(cur);
	ck_assert_int_eq(smime_store_load_key(dir, "a@example.jp", &loaded,
	    NULL, &err), SMIME_OK);
	ck_assert_int_eq(EVP_PKEY_eq(loaded, k2), 1);
	EVP_PKEY_free(loaded);
	ck_assert_int_eq(smime_store_scan(dir, &list, &n, &err), SMIME_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].se_address, "a@example.jp");
	ck_assert(list[0].se_has_key && list[0].se_cert != NULL);
	smime_store_entries_free(list, n);
	ck_assert_int_eq(smime_store_rollback(dir, "a@example.jp", &err),
	    SMIME_OK);
	ck_assert_int_eq(smime_store_load_cert(dir, "a@example.jp", &cur, NULL,
	    &err), SMIME_OK);
	ck_assert_int_eq(X509_cmp(cur, c1), 0);
	X509_free(cur);
	ck_assert_int_eq(smime_store_load_key(dir, "a@example.jp", &loaded,
	    NULL, &err), SMIME_OK);
	ck_assert_int_eq(EVP_PKEY_eq(loaded, k1), 1);
	EVP_PKEY_free(loaded);
	ck_assert_int_eq(smime_store_rollback(dir, "a@example.jp", &err),
	    SMIME_POLICY);
	X509_free(c1);
	X509_free(c2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	unit_rmtmpdir(dir);
}
END_TEST

/* What the store writes, the daemon's identity loader reads. */
START_TEST(store_is_read_by_idstore)
{
	struct smime_err err;
	char *dir = unit_tmpdir();
	char *logins[] = { "taro", "taro-staff" };
	EVP_PKEY *key = NULL;
	X509 *cert;
	struct smime_idstore *ids;
	const struct smime_identity *id;

	ck_assert_int_eq(smime_keygen("ec:P-256", &key, &err), SMIME_OK);
	cert = make_cert(key, "taro@example.jp", -1, 1000, true);
	ck_assert_int_eq(smime_store_save_key(dir, "taro@example.jp", key,
	    false, NULL, &err), SMIME_OK);
	ck_assert_int_eq(smime_store_install(dir, "taro@example.jp", NULL,
	    cert, NULL, NULL, &err), SMIME_OK);
	ck_assert_int_eq(smime_store_set_senders(dir, "taro@example.jp",
	    logins, 2, NULL, &err), SMIME_OK);
	ck_assert_int_eq(smime_store_set_senders(dir, "taro@example.jp",
	    (char *[]){ "bad login" }, 1, NULL, &err), SMIME_SYNTAX);
	ids = smime_idstore_new();
	ck_assert_int_eq(smime_idstore_add_dir(ids, dir, NULL, NULL, &err),
	    SMIME_OK);
	ck_assert_uint_eq(smime_idstore_count(ids), 1);
	id = smime_idstore_find(ids, "taro@example.jp");
	ck_assert_ptr_nonnull(id);
	ck_assert(!id->id_revoked);
	ck_assert(smime_identity_allows_sender(id, "taro-staff"));
	ck_assert(!smime_identity_allows_sender(id, "jiro"));
	ck_assert_int_eq(EVP_PKEY_eq(id->id_key, key), 1);
	smime_idstore_free(ids);
	ck_assert_int_eq(smime_store_mark_revoked(dir, "taro@example.jp",
	    "keyCompromise", NULL, &err), SMIME_OK);
	ids = smime_idstore_new();
	ck_assert_int_eq(smime_idstore_add_dir(ids, dir, NULL, NULL, &err),
	    SMIME_OK);
	id = smime_idstore_find(ids, "taro@example.jp");
	ck_assert(id != NULL && id->id_revoked);
	smime_idstore_free(ids);
	X509_free(cert);
	EVP_PKEY_free(key);
	unit_rmtmpdir(dir);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("enroll");
	TCase *tc = tcase_create("enroll");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, profile_good_has_no_error_or_warning);
	tcase_add_loop_test(tc, profile_bad_case, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, profile_reports_every_problem);
	tcase_add_test(tc, profile_prefectures);
	tcase_add_loop_test(tc, csr_subject_is_utf8string, 0, 2);
	tcase_add_test(tc, csr_refuses_bad_profile);
	tcase_add_test(tc, keygen_types);
	tcase_add_test(tc, cert_checks);
	tcase_add_test(tc, import_pem_and_der);
	tcase_add_test(tc, store_install_and_rollback);
	tcase_add_test(tc, store_is_read_by_idstore);
	suite_add_tcase(s, tc);
	return s;
}
