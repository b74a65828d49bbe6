/*
 * pkcs11-evp.c - token keys as ordinary EVP_PKEYs, so that CMS signing,
 * CSRs and CMP keep one code path for file and token keys.
 *
 * Why not libp11's engine or a provider: Debian 12 ships no PKCS#11
 * provider for OpenSSL 3 (pkcs11-provider arrived in Debian 13), and its
 * libp11 0.4.12 engine keeps returning a dead session or key handle once
 * the token went away (fixed upstream only in 0.4.13, libp11 #482, #502),
 * so a daemon using it cannot recover without a restart; it also reads
 * PINs from the URI text.  Here the key is an RSA or EC key with our own
 * RSA_METHOD / EC_KEY_METHOD whose private operation calls C_Sign through
 * smime/pkcs11.c; OpenSSL 3 treats such a key as a "foreign" legacy key
 * and routes signing to those methods (the same mechanism libp11 uses),
 * which is why this file uses the deprecated RSA and EC_KEY calls.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "smime/keygen.h"
#include "smime/pkcs11.h"
#include "smime/pkcs11-int.h"

static pthread_once_t p11_evp_once = PTHREAD_ONCE_INIT;
static RSA_METHOD *p11_rsa_meth;
static EC_KEY_METHOD *p11_ec_meth;
static int p11_rsa_idx = -1, p11_ec_idx = -1;

/* The last token failure in this thread, for smime_p11_take_error(). */
static _Thread_local struct smime_err p11_lasterr;
static _Thread_local bool p11_haserr;

/* ex_data free: drop the key's reference to its token handle. */
static void
p11_exfree(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	p11_key_unref(ptr);
}

/* Sign through the token; remembers a failure for take_error. */
static int
p11_evp_sign(struct p11_key *k, enum p11_mech m, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t *outlen)
{
	struct smime_err err;

	smime_err_clear(&err);
	if (k == NULL)
		return 0;
	if (p11_key_sign(k, m, in, inlen, out, outlen, &err) != SMIME_OK) {
		p11_lasterr = err;
		p11_haserr = true;
		ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "%s",
		    smime_err_get0(&err));
		return 0;
	}
	p11_haserr = false;
	return 1;
}

/* RSA private "encryption" = signature: PKCS#1 v1.5 or raw (PSS). */
static int
p11_rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	size_t outlen = (size_t)RSA_size(rsa);
	enum p11_mech m;

	if (padding == RSA_PKCS1_PADDING)
		m = P11_RSA_PKCS;
	else if (padding == RSA_NO_PADDING)
		m = P11_RSA_RAW;
	else {
		ERR_raise(ERR_LIB_RSA, RSA_R_UNKNOWN_PADDING_TYPE);
		return -1;
	}
	if (flen < 0 || !p11_evp_sign(RSA_get_ex_data(rsa, p11_rsa_idx), m,
	    from, (size_t)flen, to, &outlen))
		return -1;
	return (int)outlen;
}

/* RSA private decryption: a signing key never decrypts. */
static int
p11_rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	(void)flen;
	(void)from;
	(void)to;
	(void)rsa;
	(void)padding;
	ERR_raise(ERR_LIB_RSA, ERR_R_OPERATION_FAIL);
	return -1;
}

/* ECDSA: the token returns r || s. */
static ECDSA_SIG *
p11_ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *rp, EC_KEY *ec)
{
	unsigned char sig[2 * 66 + 2];
	size_t siglen = sizeof(sig);
	ECDSA_SIG *s = NULL;
	BIGNUM *r = NULL, *ss = NULL;

	(void)kinv;
	(void)rp;
	if (dlen < 0 || !p11_evp_sign(EC_KEY_get_ex_data(ec, p11_ec_idx),
	    P11_ECDSA, dgst, (size_t)dlen, sig, &siglen))
		return NULL;
	if (siglen == 0 || siglen % 2 != 0 ||
	    (r = BN_bin2bn(sig, (int)siglen / 2, NULL)) == NULL ||
	    (ss = BN_bin2bn(sig + siglen / 2, (int)siglen / 2, NULL)) == NULL ||
	    (s = ECDSA_SIG_new()) == NULL || !ECDSA_SIG_set0(s, r, ss)) {
		ECDSA_SIG_free(s);
		BN_free(r);
		BN_free(ss);
		return NULL;
	}
	return s;
}

/* Build the methods once. */
static void
p11_evp_init(void)
{
	int (*sign)(int, const unsigned char *, int, unsigned char *,
	    unsigned int *, const BIGNUM *, const BIGNUM *, EC_KEY *) = NULL;
	int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;

	p11_rsa_idx = RSA_get_ex_new_index(0, "smime pkcs11", NULL, NULL,
	    p11_exfree);
	p11_ec_idx = EC_KEY_get_ex_new_index(0, "smime pkcs11", NULL, NULL,
	    p11_exfree);
	if ((p11_rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL())) != NULL) {
		RSA_meth_set1_name(p11_rsa_meth, "smime-milter PKCS#11");
		RSA_meth_set_priv_enc(p11_rsa_meth, p11_rsa_priv_enc);
		RSA_meth_set_priv_dec(p11_rsa_meth, p11_rsa_priv_dec);
	}
	if ((p11_ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) != NULL) {
		EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &sign, &setup, NULL);
		EC_KEY_METHOD_set_sign(p11_ec_meth, sign, setup,
		    p11_ec_sign_sig);
	}
}

/* Big-endian bytes to a new BIGNUM. */
static BIGNUM *
p11_bn(const unsigned char *p, size_t len)
{
	return len > 0 && len <= 4096 ? BN_bin2bn(p, (int)len, NULL) : NULL;
}

/*
 * A new EVP_PKEY for pub whose private operations go to k (one more
 * reference on k, dropped when the key is freed).
 */
static smime_status
p11_evp_make(struct p11_key *k, const struct p11_pub *pub, EVP_PKEY **out,
    struct smime_err *err)
{
	EVP_PKEY *pk = NULL;
	RSA *rsa = NULL;
	EC_KEY *ec = NULL;
	EC_GROUP *grp = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *n = NULL, *e = NULL;
	ASN1_OBJECT *oid = NULL;
	const unsigned char *p;
	smime_status ret = SMIME_BADKEY;

	*out = NULL;
	pthread_once(&p11_evp_once, p11_evp_init);
	if (p11_rsa_meth == NULL || p11_ec_meth == NULL || p11_rsa_idx < 0 ||
	    p11_ec_idx < 0 || (pk = EVP_PKEY_new()) == NULL) {
		ret = SMIME_INTERNAL;
		smime_err_openssl(err, "PKCS#11 key methods");
		goto out;
	}
	if (pub->pp_type == EVP_PKEY_RSA) {
		if ((n = p11_bn(pub->pp_a, pub->pp_alen)) == NULL ||
		    (e = p11_bn(pub->pp_b, pub->pp_blen)) == NULL ||
		    (rsa = RSA_new()) == NULL || !RSA_set0_key(rsa, n, e, NULL)) {
			smime_err_openssl(err, "PKCS#11 key %s: bad RSA public "
			    "key", p11_key_display(k));
			goto out;
		}
		n = e = NULL;
		if (!RSA_set_method(rsa, p11_rsa_meth) ||
		    !RSA_set_ex_data(rsa, p11_rsa_idx, k))
			goto fail;
		p11_key_ref(k);
		if (!EVP_PKEY_assign_RSA(pk, rsa))
			goto fail;
		rsa = NULL;
	} else {
		p = pub->pp_a;
		if ((oid = d2i_ASN1_OBJECT(NULL, &p, (long)pub->pp_alen)) ==
		    NULL || (grp = EC_GROUP_new_by_curve_name(OBJ_obj2nid(oid)))
		    == NULL) {
			smime_err_openssl(err, "PKCS#11 key %s: unsupported EC "
			    "parameters (a named curve is needed)",
			    p11_key_display(k));
			goto out;
		}
		if ((ec = EC_KEY_new()) == NULL || !EC_KEY_set_group(ec, grp) ||
		    (pt = EC_POINT_new(grp)) == NULL)
			goto fail;
		if (!EC_POINT_oct2point(grp, pt, pub->pp_b, pub->pp_blen,
		    NULL)) {
			smime_err_openssl(err, "PKCS#11 key %s: bad EC point",
			    p11_key_display(k));
			goto out;
		}
		if (!EC_KEY_set_public_key(ec, pt) ||
		    !EC_KEY_set_method(ec, p11_ec_meth) ||
		    !EC_KEY_set_ex_data(ec, p11_ec_idx, k))
			goto fail;
		p11_key_ref(k);
		if (!EVP_PKEY_assign_EC_KEY(pk, ec))
			goto fail;
		ec = NULL;
	}
	*out = pk;
	pk = NULL;
	ret = SMIME_OK;
	goto out;
fail:
	ret = SMIME_INTERNAL;
	smime_err_openssl(err, "PKCS#11 key %s", p11_key_display(k));
out:
	BN_free(n);
	BN_free(e);
	RSA_free(rsa);
	EC_KEY_free(ec);
	EC_GROUP_free(grp);
	EC_POINT_free(pt);
	ASN1_OBJECT_free(oid);
	EVP_PKEY_free(pk);
	return ret;
}

/* The public half of cert in token form, for the comparison. */
static smime_status
p11_pub_from_cert(X509 *cert, struct p11_pub *pub, struct smime_err *err)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	const RSA *rsa;
	const EC_KEY *ec;
	const BIGNUM *n, *e;
	unsigned char *buf = NULL;
	int len;

	memset(pub, 0, sizeof(*pub));
	if (pk != NULL && (rsa = EVP_PKEY_get0_RSA(pk)) != NULL) {
		RSA_get0_key(rsa, &n, &e, NULL);
		pub->pp_type = EVP_PKEY_RSA;
		pub->pp_alen = (size_t)BN_num_bytes(n);
		pub->pp_blen = (size_t)BN_num_bytes(e);
		if ((pub->pp_a = OPENSSL_zalloc(pub->pp_alen + 1)) == NULL ||
		    (pub->pp_b = OPENSSL_zalloc(pub->pp_blen + 1)) == NULL)
			goto oom;
		BN_bn2bin(n, pub->pp_a);
		BN_bn2bin(e, pub->pp_b);
		return SMIME_OK;
	}
	if (pk != NULL && (ec = EVP_PKEY_get0_EC_KEY(pk)) != NULL) {
		pub->pp_type = EVP_PKEY_EC;
		if ((len = i2d_ASN1_OBJECT(OBJ_nid2obj(EC_GROUP_get_curve_name(
		    EC_KEY_get0_group(ec))), &buf)) <= 0)
			goto bad;
		pub->pp_a = buf;
		pub->pp_alen = (size_t)len;
		buf = NULL;
		if ((len = (int)EC_KEY_key2buf(ec, POINT_CONVERSION_UNCOMPRESSED,
		    &buf, NULL)) <= 0)
			goto bad;
		pub->pp_b = buf;
		pub->pp_blen = (size_t)len;
		return SMIME_OK;
	}
bad:
	p11_pub_clear(pub);
	smime_err_openssl(err, "certificate key is neither RSA nor EC on a "
	    "named curve");
	return SMIME_BADKEY;
oom:
	p11_pub_clear(pub);
	smime_err_set(err, "out of memory");
	return SMIME_NORESOURCE;
}

/*
 * A new EVP_PKEY for k with the public half read from the token, which
 * the session's key must keep from now on.
 */
static smime_status
p11_evp_from_token(struct p11_key *k, EVP_PKEY **out, struct smime_err *err)
{
	struct p11_pub tok = { 0 };
	smime_status ret;

	if ((ret = p11_key_read_public(k, &tok, err)) == SMIME_OK &&
	    (ret = p11_evp_make(k, &tok, out, err)) == SMIME_OK &&
	    (ret = p11_key_expect(k, &tok)) != SMIME_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
		smime_err_set(err, "out of memory");
	}
	p11_pub_clear(&tok);
	return ret;
}

smime_status
smime_p11_load_key(const char *uri, X509 *cert, EVP_PKEY **out,
    struct smime_err *err)
{
	struct p11_key *k = NULL;
	struct p11_pub pub = { 0 };
	smime_status ret;

	*out = NULL;
	if ((ret = p11_key_new(uri, P11_PRIVATE_KEY, &k, err)) != SMIME_OK)
		goto out;
	if (cert != NULL) {
		if ((ret = p11_pub_from_cert(cert, &pub, err)) != SMIME_OK)
			goto out;
		if ((ret = p11_key_expect(k, &pub)) != SMIME_OK) {
			smime_err_set(err, "out of memory");
			goto out;
		}
		/* The token may be absent now: first used when signing. */
		ret = p11_evp_make(k, &pub, out, err);
		goto out;
	}
	ret = p11_evp_from_token(k, out, err);
out:
	if (ret != SMIME_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	p11_pub_clear(&pub);
	p11_key_unref(k);
	return ret;
}

smime_status
smime_p11_load_cert(const char *uri, X509 **out, struct smime_err *err)
{
	struct p11_key *k = NULL;
	struct p11_pub der = { 0 };
	const unsigned char *p;
	smime_status ret;

	*out = NULL;
	if ((ret = p11_key_new(uri, P11_CERTIFICATE, &k, err)) != SMIME_OK)
		goto out;
	if ((ret = p11_key_read_public(k, &der, err)) != SMIME_OK)
		goto out;
	p = der.pp_a;
	if ((*out = d2i_X509(NULL, &p, (long)der.pp_alen)) == NULL ||
	    p != der.pp_a + der.pp_alen) {
		X509_free(*out);
		*out = NULL;
		ret = SMIME_BADKEY;
		smime_err_openssl(err, "PKCS#11 certificate %s: not DER X.509",
		    p11_key_display(k));
	}
out:
	p11_pub_clear(&der);
	p11_key_unref(k);
	return ret;
}

smime_status
smime_p11_keygen(const char *uri, const char *type, EVP_PKEY **out,
    struct smime_err *err)
{
	struct p11_key *k = NULL;
	unsigned char *oid = NULL;
	unsigned long bits = 0;
	int oidlen = 0, nid;
	smime_status ret = SMIME_SYNTAX;

	*out = NULL;
	if (!smime_keygen_type_ok(type)) {
		smime_err_set(err, "unknown key type \"%s\" (rsa:2048, "
		    "rsa:3072, rsa:4096, ec:P-256, ec:P-384)",
		    type == NULL ? "" : type);
		goto out;
	}
	if (strncmp(type, "rsa:", 4) == 0)
		bits = strtoul(type + 4, NULL, 10);
	else {
		nid = strcmp(type, "ec:P-384") == 0 ? NID_secp384r1 :
		    NID_X9_62_prime256v1;
		if ((oidlen = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &oid)) <= 0) {
			ret = SMIME_INTERNAL;
			smime_err_openssl(err, "curve OID");
			goto out;
		}
	}
	if ((ret = p11_key_new(uri, P11_PRIVATE_KEY, &k, err)) != SMIME_OK)
		goto out;
	if ((ret = p11_key_generate(k, bits, oid, (size_t)oidlen, err)) !=
	    SMIME_OK)
		goto out;
	ret = p11_evp_from_token(k, out, err);
out:
	if (ret != SMIME_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	OPENSSL_free(oid);
	p11_key_unref(k);
	return ret;
}

/* The token handle behind key, or NULL for other keys. */
static struct p11_key *
p11_evp_handle(const EVP_PKEY *key)
{
	const RSA *rsa;
	const EC_KEY *ec;

	if (key == NULL || p11_rsa_idx < 0)
		return NULL;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
	    (rsa = EVP_PKEY_get0_RSA(key)) != NULL &&
	    RSA_get_method(rsa) == p11_rsa_meth)
		return RSA_get_ex_data(rsa, p11_rsa_idx);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    (ec = EVP_PKEY_get0_EC_KEY(key)) != NULL &&
	    EC_KEY_get_method(ec) == p11_ec_meth)
		return EC_KEY_get_ex_data(ec, p11_ec_idx);
	return NULL;
}

bool
smime_p11_is_token_key(const EVP_PKEY *key)
{
	return p11_evp_handle(key) != NULL;
}

const char *
smime_p11_key_uri(const EVP_PKEY *key)
{
	struct p11_key *k = p11_evp_handle(key);

	return k != NULL ? p11_key_text(k) : NULL;
}

bool
smime_p11_take_error(struct smime_err *err)
{
	if (!p11_haserr)
		return false;
	p11_haserr = false;
	if (err != NULL)
		smime_err_set(err, "%s", smime_err_get0(&p11_lasterr));
	ERR_clear_error();
	return true;
}

smime_status
smime_p11_store_cert(const char *uri, X509 *cert, struct smime_err *err)
{
	struct p11_key *k = NULL;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	int derlen, subjlen, isslen, serlen;
	smime_status ret;

	if ((ret = p11_key_new(uri, P11_CERTIFICATE, &k, err)) != SMIME_OK)
		goto out;
	ret = SMIME_NORESOURCE;
	if ((derlen = i2d_X509(cert, &der)) <= 0 ||
	    (subjlen = i2d_X509_NAME(X509_get_subject_name(cert), &subj)) <= 0 ||
	    (isslen = i2d_X509_NAME(X509_get_issuer_name(cert), &iss)) <= 0 ||
	    (serlen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &ser)) <=
	    0) {
		smime_err_openssl(err, "cannot encode the certificate");
		goto out;
	}
	ret = p11_key_put_cert(k, der, (size_t)derlen, subj, (size_t)subjlen,
	    iss, (size_t)isslen, ser, (size_t)serlen, err);
out:
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	p11_key_unref(k);
	return ret;
}
