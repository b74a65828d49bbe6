/*
 * test_certpolicy.c - one table of certificates through every path that
 * asks "may this certificate sign e-mail?": the rule itself
 * (smime_certpolicy_may_sign), identity loading (smime_idstore_add_files),
 * import and CMP enrollment (smime_cert_check, which cmp.c's certConf
 * callback calls; test/enroll/certpolicy.sh drives both through
 * smime-enroll) and signing (smime_sign_message).  A path that disagrees
 * with the table fails here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/certpolicy.h"
#include "smime/identity.h"
#include "smime/import.h"
#include "smime/sign.h"
#include "test/unit/unit.h"

#define ADDR	"taro@example.jp"

static const struct {
	const char	*ku;	/* keyUsage, NULL: absent */
	const char	*eku;	/* extendedKeyUsage, NULL: absent */
	bool		 ok;	/* may sign e-mail */
} table[] = {
	{ "digitalSignature", "emailProtection", true },
	{ "critical, digitalSignature, keyEncipherment", "emailProtection",
	    true },
	{ "digitalSignature, nonRepudiation", "clientAuth, emailProtection",
	    true },
	{ NULL, NULL, true },			/* RFC 5280: any purpose */
	{ "digitalSignature", NULL, true },
	{ NULL, "emailProtection", true },
	{ "digitalSignature", "emailProtection, anyExtendedKeyUsage", true },
	{ "digitalSignature", "anyExtendedKeyUsage", false },
	{ "digitalSignature", "serverAuth", false },
	{ "digitalSignature", "clientAuth, codeSigning", false },
	{ "nonRepudiation", "emailProtection", false },
	{ "keyEncipherment", "emailProtection", false },
	{ "keyCertSign, cRLSign", NULL, false },
};

/* Identity loading: the files of a configured identity. */
static smime_status
via_identity(X509 *cert, EVP_PKEY *key, struct smime_err *err)
{
	struct smime_idstore *store = smime_idstore_new();
	char *dir = unit_tmpdir(), crt[4096], kf[4096];
	smime_status st;
	FILE *fp;

	snprintf(crt, sizeof(crt), "%s/c.pem", dir);
	snprintf(kf, sizeof(kf), "%s/k.pem", dir);
	ck_assert_ptr_nonnull(fp = fopen(crt, "w"));
	ck_assert_int_eq(PEM_write_X509(fp, cert), 1);
	fclose(fp);
	ck_assert_ptr_nonnull(fp = fopen(kf, "w"));
	ck_assert_int_eq(chmod(kf, 0600), 0);
	ck_assert_int_eq(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(fp);
	st = smime_idstore_add_files(store, "t.conf:1", ADDR, crt, kf, NULL,
	    NULL, 0, NULL, NULL, err);
	smime_idstore_free(store);
	unit_rmtmpdir(dir);
	return st;
}

/* Signing: a small message with an identity holding cert and key. */
static smime_status
via_sign(X509 *cert, EVP_PKEY *key, struct smime_err *err)
{
	struct smime_identity id;
	struct smime_headers hdrs;
	struct smime_sign_opts so;
	struct smime_edits ed;
	struct smime_spool *body;
	smime_status st;

	memset(&id, 0, sizeof(id));
	memset(&so, 0, sizeof(so));
	memset(&ed, 0, sizeof(ed));
	id.id_cert = cert;
	id.id_key = key;
	id.id_chain = sk_X509_new_null();
	smime_headers_init(&hdrs);
	smime_headers_add(&hdrs, "From", ADDR);
	smime_headers_add(&hdrs, "Subject", "table");
	body = smime_spool_new(1 << 16, NULL);
	ck_assert_int_eq(smime_spool_write(body, "hello\r\n", 7, err),
	    SMIME_OK);
	so.so_digest = "sha256";
	st = smime_sign_message(&id, &so, &hdrs, body, &ed, err);
	smime_edits_clear(&ed);
	smime_spool_free(body);
	smime_headers_clear(&hdrs);
	sk_X509_free(id.id_chain);
	return st;
}

START_TEST(every_path_agrees)
{
	struct smime_err err;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert;
	smime_status want, st;

	ck_assert_ptr_nonnull(key);
	cert = unit_cert(key, -1, 60, "email:" ADDR, table[_i].ku,
	    table[_i].eku);
	want = table[_i].ok ? SMIME_OK : SMIME_POLICY;
	st = smime_certpolicy_may_sign(cert, &err);
	ck_assert_msg(st == want, "rule: KU %s EKU %s: %d %s", table[_i].ku,
	    table[_i].eku, st, smime_err_get0(&err));
	st = via_identity(cert, key, &err);
	ck_assert_msg(st == want, "identity: KU %s EKU %s: %d %s",
	    table[_i].ku, table[_i].eku, st, smime_err_get0(&err));
	st = smime_cert_check(cert, key, ADDR, &err);
	ck_assert_msg(st == want, "import/enroll: KU %s EKU %s: %d %s",
	    table[_i].ku, table[_i].eku, st, smime_err_get0(&err));
	st = via_sign(cert, key, &err);
	ck_assert_msg(st == want, "sign: KU %s EKU %s: %d %s", table[_i].ku,
	    table[_i].eku, st, smime_err_get0(&err));
	if (!table[_i].ok)
		ck_assert_msg(strstr(smime_err_get0(&err), "certificate ") !=
		    NULL, "%s", smime_err_get0(&err));
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("certpolicy");
	TCase *tc = tcase_create("certpolicy");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, every_path_agrees, 0,
	    (int)(sizeof(table) / sizeof(table[0])));
	suite_add_tcase(s, tc);
	return s;
}
