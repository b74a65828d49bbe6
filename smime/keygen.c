/* keygen.c - RSA and EC key generation through EVP_PKEY_Q_keygen(). */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include "smime/keygen.h"

static const struct {
	const char	*kt_name;
	const char	*kt_alg;	/* "RSA" or "EC" */
	size_t		 kt_bits;	/* RSA */
	const char	*kt_curve;	/* EC */
} smime_key_types[] = {
	{ "rsa:2048", "RSA", 2048, NULL },
	{ "rsa:3072", "RSA", 3072, NULL },
	{ "rsa:4096", "RSA", 4096, NULL },
	{ "ec:P-256", "EC", 0, "P-256" },
	{ "ec:P-384", "EC", 0, "P-384" },
};

#define SMIME_NKEYTYPES (sizeof(smime_key_types) / sizeof(smime_key_types[0]))

bool
smime_keygen_type_ok(const char *type)
{
	size_t i;

	for (i = 0; type != NULL && i < SMIME_NKEYTYPES; i++)
		if (strcmp(type, smime_key_types[i].kt_name) == 0)
			return true;
	return false;
}

smime_status
smime_keygen(const char *type, EVP_PKEY **out, struct smime_err *err)
{
	EVP_PKEY *key = NULL;
	smime_status ret = SMIME_INTERNAL;
	size_t i;

	*out = NULL;
	for (i = 0; type != NULL && i < SMIME_NKEYTYPES; i++)
		if (strcmp(type, smime_key_types[i].kt_name) == 0)
			break;
	if (type == NULL || i == SMIME_NKEYTYPES) {
		ret = SMIME_SYNTAX;
		smime_err_set(err, "unknown key type \"%s\" (rsa:2048, "
		    "rsa:3072, rsa:4096, ec:P-256, ec:P-384)",
		    type == NULL ? "" : type);
		goto out;
	}
	if (smime_key_types[i].kt_curve != NULL)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    smime_key_types[i].kt_curve);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    smime_key_types[i].kt_bits);
	if (key == NULL) {
		smime_err_openssl(err, "cannot generate %s key", type);
		goto out;
	}
	*out = key;
	ret = SMIME_OK;
out:
	return ret;
}

void
smime_key_describe(const EVP_PKEY *key, char *buf, size_t buflen)
{
	char curve[64];
	const char *nist;

	if (EVP_PKEY_is_a(key, "RSA"))
		snprintf(buf, buflen, "RSA-%d", EVP_PKEY_get_bits(key));
	else if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	    curve, sizeof(curve), NULL)) {
		nist = EC_curve_nid2nist(OBJ_sn2nid(curve));
		snprintf(buf, buflen, "EC %s", nist != NULL ? nist : curve);
	}
	else
		snprintf(buf, buflen, "%s-%d", EVP_PKEY_get0_type_name(key),
		    EVP_PKEY_get_bits(key));
}
