/*
 * test_pkcs11.c - smime/pkcs11.c without a token: RFC 7512 URI checks
 * (what is refused and why: a PIN in the text, a relative or program
 * pin-source, unknown attributes, the wrong object type, no object), the
 * display form that logs and listings use (no query), and a token key
 * whose module cannot be loaded: loading it is lazy (the certificate
 * gives the public half), signing fails with the token's reason handed
 * over by smime_p11_take_error(), not a crash or a bogus signature.
 * The SoftHSM2 runs are in test/pkcs11/ (daemon.sh, enroll.sh).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "smime/pkcs11.h"
#include "test/unit/unit.h"

struct uri_case {
	const char	*uri;
	const char	*want;		/* "private" or "cert" */
	smime_status	 status;
	const char	*reason;	/* substring of the error, or NULL */
};

static const struct uri_case uri_cases[] = {
	{ "pkcs11:token=party;object=taro;type=private", "private", SMIME_OK,
	  NULL },
	{ "pkcs11:token=party;object=taro;type=private?pin-source=file:/etc/p"
	  "&module-path=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	  "private", SMIME_OK, NULL },
	{ "pkcs11:object=taro?pin-source=file:///etc/p", "private", SMIME_OK,
	  NULL },
	{ "pkcs11:object=taro?pin-source=/etc/p", "private", SMIME_OK, NULL },
	{ "pkcs11:id=%01%02;token=party", "private", SMIME_OK, NULL },
	{ "PKCS11:object=taro", "private", SMIME_OK, NULL },
	{ "pkcs11:object=taro%20yamada?module-name=softhsm2", "private",
	  SMIME_OK, NULL },
	{ "pkcs11:token=party;object=c;type=cert", "cert", SMIME_OK, NULL },
	{ "pkcs11:token=party;object=taro?pin-value=1234", "private",
	  SMIME_SYNTAX, "pin-value" },
	{ "pkcs11:token=party;object=taro?pin-source=etc/pin", "private",
	  SMIME_SYNTAX, "pin-source must be" },
	{ "pkcs11:token=party;object=taro?pin-source=|/bin/cat%20/etc/p",
	  "private", SMIME_SYNTAX, "pin-source must be" },
	{ "pkcs11:token=party;object=taro?pin-source=file:pin", "private",
	  SMIME_SYNTAX, "pin-source must be" },
	{ "pkcs11:token=party;object=taro;type=cert", "private",
	  SMIME_SYNTAX, "type must be private" },
	{ "pkcs11:token=party;object=taro;type=private", "cert",
	  SMIME_SYNTAX, "type must be cert" },
	{ "pkcs11:token=party", "private", SMIME_SYNTAX, "name the object" },
	{ "pkcs11:token=party;colour=red;object=x", "private", SMIME_SYNTAX,
	  "unknown attribute" },
	{ "pkcs11:object=%zz", "private", SMIME_SYNTAX, "RFC 7512" },
	{ "file:/etc/key.pem", "private", SMIME_SYNTAX, "not a pkcs11: URI" },
	{ "pkcs11:object=taro\nX: forged log line", "private", SMIME_SYNTAX,
	  "byte 0x0a" },
	{ "pkcs11:object=taro yamada", "private", SMIME_SYNTAX, "byte 0x20" },
	{ "pkcs11:object=\xe5\xa4\xaa\xe9\x83\x8e", "private", SMIME_SYNTAX,
	  "percent-encode" },
	{ "pkcs11:object=%E5%A4%AA%E9%83%8E", "private", SMIME_OK, NULL },
	{ "/etc/key.pem", "private", SMIME_SYNTAX, "not a pkcs11: URI" },
};

START_TEST(uri_table)
{
	const struct uri_case *c = &uri_cases[_i];
	struct smime_err err;
	smime_status st;

	smime_err_clear(&err);
	st = smime_p11_check_uri(c->uri, c->want, &err);
	ck_assert_msg(st == c->status, "%s: status %d, want %d (%s)", c->uri,
	    (int)st, (int)c->status, smime_err_get0(&err));
	if (c->reason != NULL)
		ck_assert_msg(strstr(smime_err_get0(&err), c->reason) != NULL,
		    "%s: error \"%s\" lacks \"%s\"", c->uri,
		    smime_err_get0(&err), c->reason);
	/* No message ever repeats a PIN given in the URI text. */
	ck_assert_ptr_null(strstr(smime_err_get0(&err), "1234"));
}
END_TEST

START_TEST(display_drops_query)
{
	char buf[64];

	smime_p11_uri_display("pkcs11:token=a;object=b?pin-source=file:/p",
	    buf, sizeof(buf));
	ck_assert_str_eq(buf, "pkcs11:token=a;object=b");
	smime_p11_uri_display("pkcs11:token=abcdefgh", buf, 10);
	ck_assert_str_eq(buf, "pkcs11:to");
	ck_assert(smime_p11_is_uri("pkcs11:x"));
	ck_assert(smime_p11_is_uri("Pkcs11:x"));
	ck_assert(!smime_p11_is_uri("pkcs11"));
	ck_assert(!smime_p11_is_uri("/etc/pkcs11:x"));
	ck_assert(!smime_p11_is_uri(NULL));
}
END_TEST

/* A self-signed RSA certificate for the lazy key. */
static X509 *
make_cert(EVP_PKEY **keyout)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509 *x = X509_new();

	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(x);
	ck_assert(X509_set_version(x, 2));
	ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	ck_assert(X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL);
	ck_assert(X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL);
	ck_assert(X509_set_pubkey(x, key));
	ck_assert(X509_sign(x, key, EVP_sha256()) > 0);
	*keyout = key;
	return x;
}

START_TEST(absent_module_tempfails)
{
	struct smime_err err;
	EVP_PKEY *file = NULL, *tok = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	X509 *cert = make_cert(&file);

	smime_err_clear(&err);
	ck_assert_int_eq(smime_p11_load_key("pkcs11:token=t;object=k?"
	    "module-path=/nonexistent/libnothing.so", cert, &tok, &err),
	    SMIME_OK);
	ck_assert(smime_p11_is_token_key(tok));
	ck_assert(!smime_p11_is_token_key(file));
	ck_assert_str_eq(smime_p11_key_uri(tok), "pkcs11:token=t;object=k?"
	    "module-path=/nonexistent/libnothing.so");
	ck_assert_ptr_null(smime_p11_key_uri(file));
	/* Same public half as the certificate. */
	ck_assert_int_eq(X509_check_private_key(cert, tok), 1);
	ck_assert(!smime_p11_take_error(&err));
	ck_assert_int_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    tok), 1);
	ck_assert_int_ne(EVP_DigestSign(md, sig, &siglen,
	    (const unsigned char *)"x", 1), 1);
	ck_assert(smime_p11_take_error(&err));
	ck_assert_msg(strstr(smime_err_get0(&err), "module-path "
	    "/nonexistent/libnothing.so: No such file") != NULL, "%s",
	    smime_err_get0(&err));
	ck_assert(!smime_p11_take_error(&err));	/* taken once */
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(tok);
	EVP_PKEY_free(file);
	X509_free(cert);
}
END_TEST

/* A module-path others may write is never loaded (it runs in the daemon). */
START_TEST(unsafe_module_refused)
{
	struct smime_err err;
	EVP_PKEY *file = NULL, *tok = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	X509 *cert = make_cert(&file);
	char *dir = unit_tmpdir(), mod[4096], uri[4200];
	FILE *fp;

	snprintf(mod, sizeof(mod), "%s/libplanted.so", dir);
	ck_assert_ptr_nonnull(fp = fopen(mod, "w"));
	fclose(fp);
	ck_assert_int_eq(chmod(mod, 0666), 0);
	snprintf(uri, sizeof(uri), "pkcs11:object=k?module-path=%s", mod);
	smime_err_clear(&err);
	ck_assert_int_eq(smime_p11_load_key(uri, cert, &tok, &err), SMIME_OK);
	ck_assert_int_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    tok), 1);
	ck_assert_int_ne(EVP_DigestSign(md, sig, &siglen,
	    (const unsigned char *)"x", 1), 1);
	ck_assert(smime_p11_take_error(&err));
	ck_assert_msg(strstr(smime_err_get0(&err), "only root may write") !=
	    NULL, "%s", smime_err_get0(&err));
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(tok);
	EVP_PKEY_free(file);
	X509_free(cert);
	unit_rmtmpdir(dir);
}
END_TEST

/*
 * Nor one reached through a directory or a link another user controls:
 * the file itself may be root's 0644, but whoever can write its
 * directory (or owns the link) swaps it between the check and dlopen()
 * and runs code as root.
 */
static void
expect_module_refused(const char *mod)
{
	struct smime_err err;
	EVP_PKEY *file = NULL, *tok = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	X509 *cert = make_cert(&file);
	char uri[4200];

	snprintf(uri, sizeof(uri), "pkcs11:object=k?module-path=%s", mod);
	smime_err_clear(&err);
	ck_assert_int_eq(smime_p11_load_key(uri, cert, &tok, &err), SMIME_OK);
	ck_assert_int_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    tok), 1);
	ck_assert_int_ne(EVP_DigestSign(md, sig, &siglen,
	    (const unsigned char *)"x", 1), 1);
	ck_assert(smime_p11_take_error(&err));
	ck_assert_msg(strstr(smime_err_get0(&err), "strict_modes") != NULL,
	    "%s", smime_err_get0(&err));
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(tok);
	EVP_PKEY_free(file);
	X509_free(cert);
}

START_TEST(module_in_foreign_dir_refused)
{
	char *dir = unit_tmpdir(), sub[4096], mod[4200], link[4200];
	FILE *fp;

	/* A directory others may write, a root-owned 0644 file in it. */
	snprintf(sub, sizeof(sub), "%s/open", dir);
	ck_assert_int_eq(mkdir(sub, 0777), 0);
	ck_assert_int_eq(chmod(sub, 0777), 0);
	snprintf(mod, sizeof(mod), "%s/libmod.so", sub);
	ck_assert_ptr_nonnull(fp = fopen(mod, "w"));
	fclose(fp);
	ck_assert_int_eq(chmod(mod, 0644), 0);
	expect_module_refused(mod);
	/* A link owned by another user to a safe-looking file. */
	ck_assert_int_eq(chmod(sub, 0755), 0);
	snprintf(link, sizeof(link), "%s/liblink.so", dir);
	ck_assert_int_eq(symlink(mod, link), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(lchown(link, 65534, 65534), 0);
		expect_module_refused(link);
	}
	unlink(link);
	unlink(mod);
	rmdir(sub);
	unit_rmtmpdir(dir);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("pkcs11");
	TCase *tc = tcase_create("pkcs11");

	tcase_add_loop_test(tc, uri_table, 0,
	    (int)(sizeof(uri_cases) / sizeof(uri_cases[0])));
	tcase_add_test(tc, display_drops_query);
	tcase_add_test(tc, absent_module_tempfails);
	tcase_add_test(tc, unsafe_module_refused);
	tcase_add_test(tc, module_in_foreign_dir_refused);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
