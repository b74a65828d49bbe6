/*
 * import.c - what smime-enroll does with what a CA delivered (read by
 * smime/credential.c): pick the certificate for the key, check it for
 * S/MIME signing and complete its chain.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/address.h"
#include "smime/certpolicy.h"
#include "smime/import.h"

/* Longest chain we follow (leaf excluded) before giving up. */
#define SMIME_CHAIN_MAX 8

/* Read the first line of fp into a new string; NULL on error. */
static char *
smime_secret_line(FILE *fp)
{
	char buf[1024];
	size_t n;
	char *s;

	if (fgets(buf, sizeof(buf), fp) == NULL)
		return NULL;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	s = OPENSSL_strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return s;
}

smime_status
smime_secret_read(const char *spec, char **out, struct smime_err *err)
{
	const char *v;
	FILE *fp = NULL;
	smime_status ret = SMIME_SYNTAX;

	*out = NULL;
	if (strncmp(spec, "env:", 4) == 0) {
		if ((v = getenv(spec + 4)) == NULL) {
			smime_err_set(err, "environment variable %s is not set",
			    spec + 4);
			goto out;
		}
		*out = OPENSSL_strdup(v);
	} else if (strncmp(spec, "file:", 5) == 0) {
		if ((fp = fopen(spec + 5, "r")) == NULL) {
			smime_err_set(err, "%s: %s", spec + 5, strerror(errno));
			goto out;
		}
		*out = smime_secret_line(fp);
	} else if (strcmp(spec, "stdin") == 0)
		*out = smime_secret_line(stdin);
	else {
		/* The argument may be the secret itself: never echo it. */
		smime_err_set(err, "secret given in an unknown form (not "
		    "shown): use env:VAR, file:PATH or stdin");
		goto out;
	}
	if (*out == NULL) {
		smime_err_set(err, "cannot read secret from %s", spec);
		goto out;
	}
	ret = SMIME_OK;
out:
	if (fp != NULL)
		fclose(fp);
	return ret;
}

/* List the rfc822Names of cert into buf for messages. */
static void
smime_cert_emails(X509 *cert, char *buf, size_t buflen)
{
	STACK_OF(OPENSSL_STRING) *emails = X509_get1_email(cert);
	int i;
	size_t used = 0;

	buf[0] = '\0';
	for (i = 0; i < sk_OPENSSL_STRING_num(emails) && used < buflen; i++)
		used += (size_t)snprintf(buf + used, buflen - used, "%s%s",
		    i == 0 ? "" : ", ", sk_OPENSSL_STRING_value(emails, i));
	if (buf[0] == '\0')
		snprintf(buf, buflen, "no address");
	X509_email_free(emails);
}

smime_status
smime_cert_check(X509 *cert, EVP_PKEY *key, const char *address,
    struct smime_err *err)
{
	char names[256];
	smime_status ret = SMIME_BADKEY;

	if (key == NULL || !X509_check_private_key(cert, key)) {
		smime_err_openssl(err, "certificate does not match the key");
		goto out;
	}
	ret = SMIME_POLICY;
	if (!smime_cert_has_address(cert, address)) {
		smime_cert_emails(cert, names, sizeof(names));
		smime_err_set(err, "certificate is not for %s (it names %s)",
		    address, names);
		goto out;
	}
	if (smime_certpolicy_may_sign(cert, err) != SMIME_OK)
		goto out;
	ret = SMIME_EXPIRED;
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
		smime_err_set(err, "certificate is not valid yet");
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
		smime_err_set(err, "certificate has expired");
		goto out;
	}
	ret = SMIME_OK;
out:
	ERR_clear_error();
	return ret;
}

bool
smime_cert_days_left(const X509 *cert, time_t now, long *days,
    bool *expired)
{
	ASN1_TIME *from;
	long long left;
	int d = 0, s = 0;
	bool ok;

	*days = 0;
	if (expired != NULL)
		*expired = false;
	if ((from = ASN1_TIME_set(NULL, now)) == NULL)
		return false;
	ok = ASN1_TIME_diff(&d, &s, from, X509_get0_notAfter(cert)) == 1;
	ASN1_TIME_free(from);
	if (!ok) {
		ERR_clear_error();
		return false;
	}
	/* d and s have the same sign; floor, not truncation toward 0. */
	left = (long long)d * 86400 + s;
	*days = (long)(left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
	if (expired != NULL)
		*expired = left <= 0;
	return true;
}

smime_status
smime_import_select(STACK_OF(X509) *certs, EVP_PKEY *key, X509 **leaf,
    struct smime_err *err)
{
	X509 *x;
	int i;
	smime_status ret = SMIME_BADKEY;

	*leaf = NULL;
	if (key == NULL) {
		smime_err_set(err, "no private key: run keygen and submit a "
		    "CSR first, or import a PKCS#12 file");
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (X509_check_ca(x) == 0 && X509_check_private_key(x, key)) {
			*leaf = x;
			ret = SMIME_OK;
			goto out;
		}
	}
	smime_err_set(err, "no certificate in the file matches the private "
	    "key (%d certificate%s checked)", sk_X509_num(certs),
	    sk_X509_num(certs) == 1 ? "" : "s");
out:
	ERR_clear_error();
	return ret;
}

smime_status
smime_chain_build(X509 *leaf, STACK_OF(X509) *pool, STACK_OF(X509) **chain,
    struct smime_err *err)
{
	X509 *cur = leaf, *cand;
	int depth, i;
	smime_status ret = SMIME_NORESOURCE;

	if ((*chain = sk_X509_new_null()) == NULL)
		goto out;
	for (depth = 0; depth < SMIME_CHAIN_MAX; depth++) {
		if (X509_check_issued(cur, cur) == X509_V_OK)
			break;	/* reached a self-signed root */
		cand = NULL;
		for (i = 0; pool != NULL && i < sk_X509_num(pool); i++)
			if (X509_check_issued(sk_X509_value(pool, i), cur) ==
			    X509_V_OK && sk_X509_value(pool, i) != cur) {
				cand = sk_X509_value(pool, i);
				break;
			}
		if (cand == NULL || X509_check_issued(cand, cand) == X509_V_OK)
			break;	/* chain ends, or the root is not shipped */
		if (!X509_add_cert(*chain, cand, X509_ADD_FLAG_UP_REF |
		    X509_ADD_FLAG_NO_DUP))
			goto out;
		cur = cand;
	}
	ret = SMIME_OK;
out:
	ERR_clear_error();
	if (ret != SMIME_OK) {
		smime_err_set(err, "out of memory building the chain");
		sk_X509_pop_free(*chain, X509_free);
		*chain = NULL;
	}
	return ret;
}

void
smime_name_oneline(const X509_NAME *name, char *buf, size_t buflen)
{
	BIO *bio;
	int n;

	buf[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	/* RFC 2253 quoting, but UTF-8 kept as is for a UTF-8 terminal. */
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_read(bio, buf, (int)buflen - 1)) > 0)
		buf[n] = '\0';
	BIO_free(bio);
}

void
smime_name_get_text(const X509_NAME *name, int nid, char *buf,
    size_t buflen)
{
	unsigned char *utf8 = NULL;
	int idx, n;

	buf[0] = '\0';
	if ((idx = X509_NAME_get_index_by_NID(name, nid, -1)) < 0)
		return;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, idx)));
	if (n >= 0)
		snprintf(buf, buflen, "%.*s", n, (const char *)utf8);
	OPENSSL_free(utf8);
}
