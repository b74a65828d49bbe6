/*
 * credential.c - the one loader for certificates, chains and private
 * keys (see credential.h for the rules it enforces).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>

#include "smime/credential.h"
#include "smime/pkcs11.h"
#include "smime/storelayout.h"

int
smime_credential_pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t len;

	(void)rwflag;
	if (u == NULL || size <= 0 || (len = strlen(u)) >= (size_t)size)
		return -1;
	memcpy(buf, u, len);
	return (int)len;
}

void
smime_credential_buf_free(char *buf, size_t len)
{
	if (buf != NULL)
		OPENSSL_clear_free(buf, len + 1);
}

/* Copy (new references) the certificates of a signed PKCS#7 to to. */
static bool
cred_pkcs7_certs(PKCS7 *p7, STACK_OF(X509) *to)
{
	STACK_OF(X509) *in;
	int i;

	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL)
		return false;
	in = p7->d.sign->cert;
	for (i = 0; in != NULL && i < sk_X509_num(in); i++)
		if (!X509_add_cert(to, sk_X509_value(in, i),
		    X509_ADD_FLAG_UP_REF))
			return false;
	return true;
}

/* The message for a key that cannot be read. */
static void
cred_key_error(struct smime_err *err, const char *name, const char *pass,
    const char *pass_option)
{
	if (pass_option == NULL)
		smime_err_openssl(err, "%s: no usable private key (encrypted "
		    "keys are not supported)", name);
	else
		smime_err_openssl(err, "%s: cannot read the private key "
		    "(encrypted keys need the right %s%s)", name, pass_option,
		    pass == NULL ? "" : "; the one given does not decrypt it");
}

/*
 * PEM: a PKCS#7 block, or certificates and keys in any order.  The
 * first private key wins; PEM_read_bio_PrivateKey() reads every kind
 * (traditional, PKCS#8, encrypted PKCS#8) through our callback.
 */
static smime_status
cred_parse_pem(const char *name, const void *buf, size_t len,
    const char *pass, const char *pass_option, EVP_PKEY **pkey,
    STACK_OF(X509) *certs, struct smime_err *err)
{
	STACK_OF(X509_INFO) *infos = NULL;
	X509_INFO *xi;
	PKCS7 *p7 = NULL;
	BIO *bio = NULL;
	smime_status ret = SMIME_NORESOURCE;
	int i;

	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		goto out;
	ret = SMIME_SYNTAX;
	if (certs != NULL && memmem(buf, len, "-----BEGIN PKCS7-----", 21) !=
	    NULL) {
		if ((p7 = PEM_read_bio_PKCS7(bio, NULL, smime_credential_pass_cb,
		    NULL)) == NULL || !cred_pkcs7_certs(p7, certs)) {
			smime_err_openssl(err, "%s: PKCS#7 holds no "
			    "certificates", name);
			goto out;
		}
	} else if (certs != NULL) {
		infos = PEM_X509_INFO_read_bio(bio, NULL,
		    smime_credential_pass_cb, (void *)pass);
		if (infos == NULL) {
			smime_err_openssl(err, "%s: unreadable PEM", name);
			goto out;
		}
		for (i = 0; i < sk_X509_INFO_num(infos); i++) {
			xi = sk_X509_INFO_value(infos, i);
			if (xi->x509 == NULL)
				continue;
			if (!sk_X509_push(certs, xi->x509)) {
				ret = SMIME_NORESOURCE;
				smime_err_set(err, "%s: out of memory", name);
				goto out;
			}
			xi->x509 = NULL;	/* the stack owns it now */
		}
	}
	if (pkey != NULL && memmem(buf, len, "PRIVATE KEY-----", 16) != NULL) {
		ERR_clear_error();
		(void)BIO_reset(bio);
		if ((*pkey = PEM_read_bio_PrivateKey(bio, NULL,
		    smime_credential_pass_cb, (void *)pass)) == NULL) {
			ret = SMIME_BADKEY;
			cred_key_error(err, name, pass, pass_option);
			goto out;
		}
	}
	ret = SMIME_OK;
out:
	ERR_clear_error();	/* the end of a PEM file shows up as an error */
	PKCS7_free(p7);
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	return ret;
}

/*
 * PKCS#12.  RC2 and other algorithms of old exporters live in OpenSSL
 * 3's legacy provider; it is loaded (with the default provider kept)
 * only when the first attempt fails and unloaded afterwards.
 */
static smime_status
cred_parse_p12(const char *name, PKCS12 *p12, const char *pass,
    const char *pass_option, EVP_PKEY **pkey, STACK_OF(X509) *certs,
    struct smime_err *err)
{
	OSSL_PROVIDER *legacy = NULL;
	STACK_OF(X509) *ca = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *x;
	smime_status ret = SMIME_BADKEY;

	if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, pass, -1) &&
	    !(pass == NULL && PKCS12_verify_mac(p12, "", 0))) {
		smime_err_openssl(err, pass == NULL ? "%s: PKCS#12 file needs "
		    "a password%s%s" : "%s: wrong PKCS#12 password%s%s", name,
		    pass_option != NULL ? " " : "", pass_option != NULL ?
		    pass_option : "");
		goto out;
	}
	if (!PKCS12_parse(p12, pass, &key, &cert, &ca)) {
		ERR_clear_error();
		legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
		if (legacy == NULL || !PKCS12_parse(p12, pass, &key, &cert,
		    &ca)) {
			smime_err_openssl(err, "%s: cannot decrypt PKCS#12%s",
			    name, legacy == NULL ? " (legacy provider "
			    "unavailable)" : "");
			goto out;
		}
	}
	ret = SMIME_NORESOURCE;
	if (certs != NULL && cert != NULL) {
		if (!sk_X509_push(certs, cert))
			goto out;
		cert = NULL;
	}
	while (certs != NULL && ca != NULL && (x = sk_X509_shift(ca)) != NULL)
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			goto out;
		}
	if (pkey != NULL) {
		*pkey = key;
		key = NULL;
	}
	ret = SMIME_OK;
out:
	if (ret == SMIME_NORESOURCE)
		smime_err_set(err, "%s: out of memory", name);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	OSSL_PROVIDER_unload(legacy);
	return ret;
}

/* DER: one certificate, a PKCS#7 or a PKCS#12. */
static smime_status
cred_parse_der(const char *name, const unsigned char *buf, size_t len,
    const char *pass, const char *pass_option, EVP_PKEY **pkey,
    STACK_OF(X509) *certs, struct smime_err *err)
{
	const unsigned char *p;
	X509 *x = NULL;
	PKCS7 *p7 = NULL;
	PKCS12 *p12 = NULL;
	smime_status ret = SMIME_SYNTAX;

	p = buf;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL && p == buf + len) {
		if (certs == NULL || sk_X509_push(certs, x))
			ret = SMIME_OK;
		else {
			ret = SMIME_NORESOURCE;
			smime_err_set(err, "%s: out of memory", name);
		}
		if (certs != NULL && ret == SMIME_OK)
			x = NULL;
		goto out;
	}
	p = buf;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) != NULL) {
		if (certs == NULL || cred_pkcs7_certs(p7, certs))
			ret = SMIME_OK;
		else
			smime_err_set(err, "%s: PKCS#7 holds no certificates",
			    name);
		goto out;
	}
	p = buf;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) != NULL) {
		ret = cred_parse_p12(name, p12, pass, pass_option, pkey, certs,
		    err);
		goto out;
	}
	smime_err_set(err, "%s: no PEM certificate or key, and not a "
	    "certificate, PKCS#7 or PKCS#12 file in DER either", name);
out:
	ERR_clear_error();	/* failed attempts leave errors behind */
	X509_free(x);
	PKCS7_free(p7);
	PKCS12_free(p12);
	return ret;
}

smime_status
smime_credential_parse(const char *name, const void *buf, size_t len,
    const char *pass, const char *pass_option, EVP_PKEY **pkey,
    STACK_OF(X509) **certs, struct smime_err *err)
{
	STACK_OF(X509) *list = NULL;
	smime_status ret = SMIME_NORESOURCE;

	if (pkey != NULL)
		*pkey = NULL;
	if (certs != NULL)
		*certs = NULL;
	ERR_clear_error();
	if (len > INT_MAX) {
		ret = SMIME_SYNTAX;
		smime_err_set(err, "%s: too large", name);
		goto out;
	}
	if (certs != NULL && (list = sk_X509_new_null()) == NULL) {
		smime_err_set(err, "%s: out of memory", name);
		goto out;
	}
	if (len > 10 && memmem(buf, len, "-----BEGIN ", 11) != NULL)
		ret = cred_parse_pem(name, buf, len, pass, pass_option, pkey,
		    list, err);
	else
		ret = cred_parse_der(name, buf, len, pass, pass_option, pkey,
		    list, err);
	if (ret != SMIME_OK)
		goto out;
	if (certs != NULL) {
		*certs = list;
		list = NULL;
	}
out:
	if (ret != SMIME_OK && pkey != NULL) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
	}
	sk_X509_pop_free(list, X509_free);
	return ret;
}

/*
 * A plain read of a public file (or a pipe: "import <(curl ...)"), at
 * most SMIME_FS_MAX_FILE bytes; the buffer is wiped all the same, since
 * a CA's delivery may hold a key.
 */
static smime_status
cred_read_plain(const char *path, char **buf, size_t *len,
    struct smime_err *err)
{
	struct stat st;
	char *grown;
	size_t cap = 0;
	ssize_t n;
	int fd;
	smime_status ret = SMIME_TEMPFAIL;

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		smime_err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = SMIME_POLICY;
		smime_err_set(err, "%s: %s", path, strerror(EISDIR));
		goto out;
	}
	for (;;) {
		if (*len + 1 >= cap) {
			if (cap > SMIME_FS_MAX_FILE) {
				ret = SMIME_POLICY;
				smime_err_set(err, "%s: larger than %d bytes",
				    path, SMIME_FS_MAX_FILE);
				goto out;
			}
			if ((grown = OPENSSL_clear_realloc(*buf, cap,
			    cap == 0 ? 16384 : cap * 2)) == NULL) {
				ret = SMIME_NORESOURCE;
				smime_err_set(err, "%s: out of memory", path);
				goto out;
			}
			*buf = grown;
			cap = cap == 0 ? 16384 : cap * 2;
		}
		n = read(fd, *buf + *len, cap - *len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			smime_err_set(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	(*buf)[*len] = '\0';
	ret = SMIME_OK;
out:
	if (ret != SMIME_OK && *buf != NULL) {
		OPENSSL_clear_free(*buf, cap);
		*buf = NULL;
		*len = 0;
	}
	if (fd != -1)
		close(fd);
	return ret;
}

smime_status
smime_credential_read(const struct smime_fs_policy *pol, const char *path,
    bool secret, char **buf, size_t *len, struct smime_err *err)
{
	static const struct smime_fs_policy strict = { .fp_strict = true };

	*buf = NULL;
	*len = 0;
	if (!secret && pol == NULL)
		return cred_read_plain(path, buf, len, err);
	return smime_fs_read_path(pol != NULL ? pol : &strict, path, secret,
	    buf, len, err);
}

/* Parse the one key of a key file's bytes (no password). */
static smime_status
cred_key_from_buf(const char *name, const char *buf, size_t len,
    EVP_PKEY **out, struct smime_err *err)
{
	smime_status ret;

	ret = smime_credential_parse(name, buf, len, NULL, NULL, out, NULL,
	    err);
	if (ret == SMIME_OK && *out == NULL) {
		ret = SMIME_BADKEY;
		smime_err_set(err, "%s: no usable private key (encrypted keys "
		    "are not supported)", name);
	} else if (ret != SMIME_OK && ret != SMIME_NORESOURCE)
		ret = SMIME_BADKEY;
	return ret;
}

smime_status
smime_credential_load_key(const char *ref, X509 *cert,
    const struct smime_fs_policy *pol, EVP_PKEY **out,
    struct smime_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	smime_status ret;

	*out = NULL;
	/* The one place a token key is told from a key file. */
	if (smime_p11_is_uri(ref))
		return smime_p11_load_key(ref, cert, out, err);
	ret = smime_credential_read(pol, ref, true, &buf, &len, err);
	if (ret == SMIME_OK)
		ret = cred_key_from_buf(ref, buf, len, out, err);
	else if (ret == SMIME_TEMPFAIL)
		ret = SMIME_BADKEY;	/* missing or unreadable */
	smime_credential_buf_free(buf, len);
	return ret;
}

smime_status
smime_credential_load_key_at(const struct smime_fs_policy *pol, int dirfd,
    const char *where, const char *name, EVP_PKEY **out, bool *missing,
    struct smime_err *err)
{
	char shown[PATH_MAX], *buf = NULL;
	size_t len = 0;
	bool gone = false;
	smime_status ret;

	*out = NULL;
	snprintf(shown, sizeof(shown), "%s/%s", where, name);
	ret = smime_fs_read(pol, dirfd, where, name, true, &buf, &len, &gone,
	    err);
	if (ret == SMIME_OK && gone) {
		ret = SMIME_BADKEY;
		smime_err_set(err, "%s: %s", shown, strerror(ENOENT));
	} else if (ret == SMIME_OK)
		ret = cred_key_from_buf(shown, buf, len, out, err);
	else if (ret == SMIME_TEMPFAIL)
		ret = SMIME_BADKEY;
	if (missing != NULL)
		*missing = gone;
	smime_credential_buf_free(buf, len);
	return ret;
}

smime_status
smime_credential_load_store_key(const struct smime_fs_policy *pol, int dirfd,
    const char *where, X509 *cert, EVP_PKEY **out, bool *missing,
    struct smime_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	bool gone = false;
	smime_status ret;

	*out = NULL;
	if (missing != NULL)
		*missing = false;
	ret = smime_fs_read(pol, dirfd, where, SMIME_STORE_KEY_URI, true, &buf,
	    &len, &gone, err);
	if (ret != SMIME_OK) {
		ret = ret == SMIME_TEMPFAIL ? SMIME_BADKEY : ret;
		goto out;
	}
	if (gone) {
		ret = smime_credential_load_key_at(pol, dirfd, where,
		    SMIME_STORE_KEY, out, missing, err);
		goto out;
	}
	ret = SMIME_BADKEY;
	if (smime_fs_kind(dirfd, SMIME_STORE_KEY, NULL) != 0) {
		smime_err_set(err, "%s: both %s and %s; keep one", where,
		    SMIME_STORE_KEY, SMIME_STORE_KEY_URI);
		goto out;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!smime_p11_is_uri(buf)) {
		smime_err_set(err, "%s/%s: no pkcs11: URI", where,
		    SMIME_STORE_KEY_URI);
		goto out;
	}
	ret = smime_p11_load_key(buf, cert, out, err);
out:
	smime_credential_buf_free(buf, len);
	return ret;
}

/* Append the certificates of buf (at least one) to into. */
static smime_status
cred_certs_from_buf(const char *name, const char *buf, size_t len,
    STACK_OF(X509) *into, struct smime_err *err)
{
	STACK_OF(X509) *got = NULL;
	X509 *x;
	smime_status ret;

	ret = smime_credential_parse(name, buf, len, NULL, NULL, NULL, &got,
	    err);
	if (ret != SMIME_OK)
		goto out;
	if (sk_X509_num(got) == 0) {
		ret = SMIME_SYNTAX;
		smime_err_set(err, "%s: no PEM certificate", name);
		goto out;
	}
	while ((x = sk_X509_shift(got)) != NULL)
		if (!sk_X509_push(into, x)) {
			X509_free(x);
			ret = SMIME_NORESOURCE;
			smime_err_set(err, "%s: out of memory", name);
			goto out;
		}
out:
	sk_X509_pop_free(got, X509_free);
	return ret;
}

smime_status
smime_credential_add_certs(const struct smime_fs_policy *pol,
    const char *path, STACK_OF(X509) *into, struct smime_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	X509 *x = NULL;
	smime_status ret;

	/* A certificate object on a token, or a file. */
	if (smime_p11_is_uri(path)) {
		if ((ret = smime_p11_load_cert(path, &x, err)) == SMIME_OK &&
		    !sk_X509_push(into, x)) {
			X509_free(x);
			ret = SMIME_NORESOURCE;
			smime_err_set(err, "out of memory");
		}
		return ret;
	}
	ret = smime_credential_read(pol, path, false, &buf, &len, err);
	if (ret == SMIME_OK)
		ret = cred_certs_from_buf(path, buf, len, into, err);
	else if (ret == SMIME_TEMPFAIL)
		ret = SMIME_SYNTAX;	/* missing or unreadable */
	smime_credential_buf_free(buf, len);
	return ret;
}

smime_status
smime_credential_load_certs_at(const struct smime_fs_policy *pol, int dirfd,
    const char *where, const char *name, STACK_OF(X509) **out,
    bool *missing, struct smime_err *err)
{
	char shown[PATH_MAX], *buf = NULL;
	size_t len = 0;
	bool gone = false;
	smime_status ret;

	*out = NULL;
	snprintf(shown, sizeof(shown), "%s/%s", where, name);
	ret = smime_fs_read(pol, dirfd, where, name, false, &buf, &len, &gone,
	    err);
	if (ret != SMIME_OK)
		goto out;
	if (gone) {
		if (missing == NULL) {
			ret = SMIME_SYNTAX;
			smime_err_set(err, "%s: %s", shown, strerror(ENOENT));
		}
		goto out;
	}
	if ((*out = sk_X509_new_null()) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "%s: out of memory", shown);
		goto out;
	}
	ret = cred_certs_from_buf(shown, buf, len, *out, err);
out:
	if (ret != SMIME_OK) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
	}
	if (missing != NULL)
		*missing = gone;
	smime_credential_buf_free(buf, len);
	return ret;
}
