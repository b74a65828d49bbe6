/* unitcert.c - unit_cert() of unit.h: test certificates built in memory.
 * Its own member of libunit.a, so that a test without OpenSSL (e.g.
 * test_textbuf) links the shared main() without it. */
#include <openssl/x509v3.h>

#include "unit.h"

/* Add the extension nid with value (OpenSSL config syntax) to x. */
static void
unit_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_msg(ext != NULL, "extension %d = %s", nid, value);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

X509 *
unit_cert(EVP_PKEY *key, long from, long until, const char *san,
    const char *ku, const char *eku)
{
	X509_NAME *name;
	X509 *x = X509_new();

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), until * 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"unit test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (san != NULL)
		unit_add_ext(x, NID_subject_alt_name, san);
	if (ku != NULL)
		unit_add_ext(x, NID_key_usage, ku);
	if (eku != NULL)
		unit_add_ext(x, NID_ext_key_usage, eku);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	return x;
}

