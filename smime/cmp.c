/*
 * cmp.c - CMP client sessions (ir, cr, kur, rr) over HTTP or HTTPS with
 * PBM or signature protection, on OpenSSL's OSSL_CMP_CTX.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "smime/credential.h"
#include "smime/cmp.h"
#include "smime/import.h"

#define SMIME_CMP_TIMEOUT 60	/* seconds per message by default */

/* What the certConf callback needs and what it found. */
struct smime_cmp_check {
	EVP_PKEY	*cc_key;
	const char	*cc_address;
	const X509_NAME	*cc_subject;	/* must be in the cert, or NULL */
	bool		 cc_failed;
	struct smime_err cc_err;
};

static const struct {
	const char	*rs_name;
	int		 rs_code;
} smime_cmp_reasons[] = {
	{ "keyCompromise", CRL_REASON_KEY_COMPROMISE },
	{ "affiliationChanged", CRL_REASON_AFFILIATION_CHANGED },
	{ "superseded", CRL_REASON_SUPERSEDED },
	{ "cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION },
};

int
smime_cmp_reason(const char *name)
{
	size_t i;

	for (i = 0; name != NULL &&
	    i < sizeof(smime_cmp_reasons) / sizeof(smime_cmp_reasons[0]); i++)
		if (strcmp(name, smime_cmp_reasons[i].rs_name) == 0)
			return smime_cmp_reasons[i].rs_code;
	return -1;
}

/* The library must not print; errors reach us through the ERR queue. */
static int
smime_cmp_log(const char *func, const char *file, int line,
    OSSL_CMP_severity level, const char *msg)
{
	(void)func; (void)file; (void)line; (void)level; (void)msg;
	return 1;
}

/*
 * Parse "/CN=x/O=y" into a new X509_NAME (values UTF-8; no escapes).
 * NULL on a syntax error.
 */
static X509_NAME *
smime_cmp_parse_dn(const char *text)
{
	X509_NAME *name = NULL;
	char *copy = NULL, *part, *save = NULL, *eq;

	if (text[0] != '/' || (copy = strdup(text + 1)) == NULL ||
	    (name = X509_NAME_new()) == NULL)
		goto fail;
	for (part = strtok_r(copy, "/", &save); part != NULL;
	    part = strtok_r(NULL, "/", &save)) {
		if ((eq = strchr(part, '=')) == NULL)
			goto fail;
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(name, part, MBSTRING_UTF8,
		    (unsigned char *)eq + 1, -1, -1, 0))
			goto fail;
	}
	free(copy);
	return name;
fail:
	free(copy);
	X509_NAME_free(name);
	return NULL;
}

/*
 * OpenSSL's HTTP client calls this around the connection (as apps/cmp.c's
 * app_http_tls_cb): on connect put a TLS BIO on top of the socket BIO, on
 * disconnect take it off again.  arg is our SSL_CTX.
 */
static BIO *
smime_cmp_tls_cb(BIO *bio, void *arg, int connect, int detail)
{
	SSL_CTX *sc = arg;
	const char *host;
	BIO *sbio, *cbio;
	SSL *ssl;

	(void)detail;
	if (connect) {
		if ((sbio = BIO_new(BIO_f_ssl())) == NULL)
			return NULL;
		if ((ssl = SSL_new(sc)) == NULL) {
			BIO_free(sbio);
			return NULL;
		}
		/* SNI for a name; an address literal is sent none. */
		host = X509_VERIFY_PARAM_get0_host(SSL_CTX_get0_param(sc), 0);
		if (host != NULL && !SSL_set_tlsext_host_name(ssl, host)) {
			SSL_free(ssl);
			BIO_free(sbio);
			return NULL;
		}
		SSL_set_connect_state(ssl);
		BIO_set_ssl(sbio, ssl, BIO_CLOSE);
		return BIO_push(sbio, bio);
	}
	(void)ERR_set_mark();
	BIO_ssl_shutdown(bio);
	cbio = BIO_pop(bio);	/* the connection BIO underneath */
	BIO_free(bio);
	(void)ERR_pop_to_mark();
	return cbio;
}

/*
 * The TLS client certificate (its file's first certificate, the others
 * as its chain) and key (a key file checked as the daemon's are) through
 * the credential loader.
 */
static smime_status
smime_cmp_tls_identity(SSL_CTX *sc, const struct smime_cmp_opts *o,
    struct smime_err *err)
{
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *key = NULL;
	X509 *x;
	smime_status ret = SMIME_NORESOURCE;

	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	if ((ret = smime_credential_add_certs(NULL, o->co_tls_cert, certs,
	    err)) != SMIME_OK || (ret = smime_credential_load_key(
	    o->co_tls_key, sk_X509_value(certs, 0), NULL, &key, err)) != SMIME_OK)
		goto out;
	ret = SMIME_SYNTAX;
	if (SSL_CTX_use_certificate(sc, sk_X509_value(certs, 0)) != 1)
		goto bad;
	while (sk_X509_num(certs) > 1) {
		x = sk_X509_delete(certs, 1);
		if (SSL_CTX_add0_chain_cert(sc, x) != 1) {
			X509_free(x);
			goto bad;
		}
	}
	if (SSL_CTX_use_PrivateKey(sc, key) != 1 ||
	    SSL_CTX_check_private_key(sc) != 1)
		goto bad;
	ret = SMIME_OK;
	goto out;
bad:
	smime_err_openssl(err, "TLS client certificate %s, key %s",
	    o->co_tls_cert, o->co_tls_key);
out:
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(key);
	return ret;
}

static X509_STORE *smime_cmp_trust(const char *path, struct smime_err *err);

/*
 * TLS for an https:// server: TLS 1.2 or later, the server's certificate
 * verified against co_tls_trusted (PEM anchors) or, when that is NULL,
 * the system's default store, and its name (host) or address checked;
 * co_tls_cert/co_tls_key as client certificate.  The SSL_CTX becomes the
 * callback's argument, freed by smime_cmp_ctx_free().
 */
static smime_status
smime_cmp_tls(OSSL_CMP_CTX *ctx, const char *host,
    const struct smime_cmp_opts *o, struct smime_err *err)
{
	X509_VERIFY_PARAM *vpm;
	X509_STORE *store = NULL;
	ASN1_OCTET_STRING *ip;
	SSL_CTX *sc;
	smime_status ret = SMIME_INTERNAL;

	if ((sc = SSL_CTX_new(TLS_client_method())) == NULL) {
		smime_err_openssl(err, "SSL_CTX_new");
		return SMIME_INTERNAL;
	}
	if (!SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION))
		goto fail;
	SSL_CTX_set_verify(sc, SSL_VERIFY_PEER, NULL);
	if (o->co_tls_trusted != NULL) {
		ret = SMIME_SYNTAX;
		if ((store = smime_cmp_trust(o->co_tls_trusted, err)) == NULL)
			goto out;
		SSL_CTX_set_cert_store(sc, store);	/* sc owns it */
	} else if (!SSL_CTX_set_default_verify_paths(sc))
		goto fail;
	ret = SMIME_INTERNAL;
	vpm = SSL_CTX_get0_param(sc);
	if ((ip = a2i_IPADDRESS(host)) != NULL) {
		ASN1_OCTET_STRING_free(ip);
		if (!X509_VERIFY_PARAM_set1_ip_asc(vpm, host))
			goto fail;
	} else {
		X509_VERIFY_PARAM_set_hostflags(vpm,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!X509_VERIFY_PARAM_set1_host(vpm, host, 0))
			goto fail;
	}
	ERR_clear_error();	/* a2i_IPADDRESS on a name */
	if (o->co_tls_cert != NULL || o->co_tls_key != NULL) {
		ret = SMIME_SYNTAX;
		if (o->co_tls_cert == NULL || o->co_tls_key == NULL) {
			smime_err_set(err, "a TLS client certificate needs both "
			    "certificate and key");
			goto out;
		}
		if ((ret = smime_cmp_tls_identity(sc, o, err)) != SMIME_OK)
			goto out;
	}
	/*
	 * The callback does not CONNECT through an HTTP proxy: connect
	 * directly rather than start TLS with whatever https_proxy names.
	 */
	if (!OSSL_CMP_CTX_set1_no_proxy(ctx, host) ||
	    !OSSL_CMP_CTX_set_http_cb(ctx, smime_cmp_tls_cb) ||
	    !OSSL_CMP_CTX_set_http_cb_arg(ctx, sc))
		goto fail;
	return SMIME_OK;
fail:
	smime_err_openssl(err, "cannot set up TLS");
out:
	SSL_CTX_free(sc);
	return ret;
}

/* Free ctx and the SSL_CTX of its TLS callback; accepts NULL. */
static void
smime_cmp_ctx_free(OSSL_CMP_CTX *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(OSSL_CMP_CTX_get_http_cb_arg(ctx));
	OSSL_CMP_CTX_free(ctx);
}

/*
 * Point ctx at the server URL, with TLS for https:// (see
 * smime_cmp_tls()); SMIME_OK or SMIME_SYNTAX.
 */
static smime_status
smime_cmp_set_server(OSSL_CMP_CTX *ctx, const struct smime_cmp_opts *o,
    struct smime_err *err)
{
	const char *url = o->co_server;
	char *host = NULL, *path = NULL;
	int ssl = 0, port = 0;
	smime_status ret = SMIME_SYNTAX;

	if (url == NULL || !OSSL_HTTP_parse_url(url, &ssl, NULL, &host, NULL,
	    &port, &path, NULL, NULL)) {
		smime_err_openssl(err, "bad CMP server URL \"%s\"",
		    url == NULL ? "" : url);
		goto out;
	}
	if (ssl && (ret = smime_cmp_tls(ctx, host, o, err)) != SMIME_OK)
		goto out;
	if (!OSSL_CMP_CTX_set1_server(ctx, host) ||
	    !OSSL_CMP_CTX_set_serverPort(ctx, port) ||
	    !OSSL_CMP_CTX_set1_serverPath(ctx, path)) {
		ret = SMIME_INTERNAL;
		smime_err_openssl(err, "cannot set CMP server");
		goto out;
	}
	ret = SMIME_OK;
out:
	OPENSSL_free(host);
	OPENSSL_free(path);
	return ret;
}

/* Load a PEM file of anchors into a new store; NULL + err on failure. */
static X509_STORE *
smime_cmp_trust(const char *path, struct smime_err *err)
{
	STACK_OF(X509) *certs = NULL;
	X509_STORE *store = NULL;
	int i;

	if ((certs = sk_X509_new_null()) == NULL ||
	    smime_credential_add_certs(NULL, path, certs, err) != SMIME_OK)
		goto out;
	if ((store = X509_STORE_new()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(certs); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(certs, i))) {
			smime_err_openssl(err, "%s: cannot add anchor", path);
			X509_STORE_free(store);
			store = NULL;
			goto out;
		}
out:
	sk_X509_pop_free(certs, X509_free);
	return store;
}

/*
 * New CMP context set up from o: server, timeouts, protection (PBM or
 * signature), recipient and trusted anchors.  NULL with err on failure;
 * *status says why.
 */
static OSSL_CMP_CTX *
smime_cmp_ctx(const struct smime_cmp_opts *o, smime_status *status,
    struct smime_err *err)
{
	OSSL_CMP_CTX *ctx;
	X509_NAME *rcpt = NULL;
	X509_STORE *store = NULL;
	int timeout = o->co_timeout > 0 ? o->co_timeout : SMIME_CMP_TIMEOUT;
	bool pbm = o->co_secret != NULL;

	*status = SMIME_INTERNAL;
	if ((ctx = OSSL_CMP_CTX_new(NULL, NULL)) == NULL) {
		smime_err_openssl(err, "OSSL_CMP_CTX_new");
		return NULL;
	}
	OSSL_CMP_CTX_set_log_cb(ctx, smime_cmp_log);
	if ((*status = smime_cmp_set_server(ctx, o, err)) != SMIME_OK)
		goto fail;
	*status = SMIME_SYNTAX;
	if (!pbm && (o->co_cert == NULL || o->co_key == NULL)) {
		smime_err_set(err, "CMP needs a reference and secret (PBM) or "
		    "a certificate and key (signature)");
		goto fail;
	}
	if (!pbm && o->co_trusted == NULL) {
		smime_err_set(err, "signature-protected CMP needs the CA's "
		    "trust anchors (--trusted or enroll.cmp_trusted)");
		goto fail;
	}
	if (o->co_recipient != NULL &&
	    (rcpt = smime_cmp_parse_dn(o->co_recipient)) == NULL) {
		smime_err_set(err, "bad recipient DN \"%s\" (use /CN=../O=..)",
		    o->co_recipient);
		goto fail;
	}
	if (o->co_trusted != NULL &&
	    (store = smime_cmp_trust(o->co_trusted, err)) == NULL)
		goto fail;
	*status = SMIME_INTERNAL;
	if (!OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_MSG_TIMEOUT, timeout) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT,
	    4 * timeout) ||
	    (pbm && (!OSSL_CMP_CTX_set1_secretValue(ctx,
	    (const unsigned char *)o->co_secret, (int)strlen(o->co_secret)) ||
	    (o->co_ref != NULL && !OSSL_CMP_CTX_set1_referenceValue(ctx,
	    (const unsigned char *)o->co_ref, (int)strlen(o->co_ref))))) ||
	    (!pbm && (!OSSL_CMP_CTX_set1_cert(ctx, o->co_cert) ||
	    !OSSL_CMP_CTX_set1_pkey(ctx, o->co_key))) ||
	    (o->co_untrusted != NULL &&
	    !OSSL_CMP_CTX_set1_untrusted(ctx, o->co_untrusted)) ||
	    (rcpt != NULL && !OSSL_CMP_CTX_set1_recipient(ctx, rcpt)) ||
	    (store != NULL && !OSSL_CMP_CTX_set0_trustedStore(ctx, store))) {
		smime_err_openssl(err, "cannot set up CMP context");
		goto fail;
	}
	store = NULL;	/* owned by ctx now */
	X509_NAME_free(rcpt);
	*status = SMIME_OK;
	return ctx;
fail:
	X509_NAME_free(rcpt);
	X509_STORE_free(store);
	smime_cmp_ctx_free(ctx);
	return NULL;
}

/* Map a failed session to a status and a message naming the CA's words. */
static smime_status
smime_cmp_failed(OSSL_CMP_CTX *ctx, const char *what, struct smime_err *err)
{
	char buf[512];
	int status = OSSL_CMP_CTX_get_status(ctx);

	if (status < 0) {
		smime_err_openssl(err, "%s: no valid answer from the CMP "
		    "server", what);
		return SMIME_TEMPFAIL;
	}
	if (OSSL_CMP_CTX_snprint_PKIStatus(ctx, buf, sizeof(buf)) == NULL)
		snprintf(buf, sizeof(buf), "status %d", status);
	smime_err_openssl(err, "%s: CA answered %s", what, buf);
	return SMIME_POLICY;
}

/*
 * True when every attribute of want appears in got with the same type
 * and UTF-8 value (the CA may add attributes, not change or drop ours);
 * else false with the first difference in err.
 */
static bool
smime_cmp_subject_has(const X509_NAME *got, const X509_NAME *want,
    struct smime_err *err)
{
	const X509_NAME_ENTRY *we, *ge;
	unsigned char *wv = NULL, *gv = NULL;
	int i, j, nid, wl, gl;
	bool found;

	for (i = 0; i < X509_NAME_entry_count(want); i++) {
		we = X509_NAME_get_entry(want, i);
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(we));
		if ((wl = ASN1_STRING_to_UTF8(&wv,
		    X509_NAME_ENTRY_get_data(we))) < 0)
			return false;
		found = false;
		for (j = -1; !found &&
		    (j = X509_NAME_get_index_by_NID(got, nid, j)) >= 0;) {
			ge = X509_NAME_get_entry(got, j);
			if ((gl = ASN1_STRING_to_UTF8(&gv,
			    X509_NAME_ENTRY_get_data(ge))) >= 0)
				found = gl == wl && memcmp(gv, wv,
				    (size_t)wl) == 0;
			OPENSSL_free(gv);
			gv = NULL;
		}
		if (!found)
			smime_err_set(err, "certificate subject lacks the "
			    "requested %s=%.*s", OBJ_nid2sn(nid), wl,
			    (const char *)wv);
		OPENSSL_free(wv);
		wv = NULL;
		if (!found)
			return false;
	}
	return true;
}

/* certConf callback: confirm the new certificate only if it is usable. */
static int
smime_cmp_confirm(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info,
    const char **txt)
{
	struct smime_cmp_check *cc = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);

	if (fail_info != 0 || cc == NULL)
		return fail_info;
	if (smime_cert_check(cert, cc->cc_key, cc->cc_address, &cc->cc_err) !=
	    SMIME_OK || (cc->cc_subject != NULL && !smime_cmp_subject_has(
	    X509_get_subject_name(cert), cc->cc_subject, &cc->cc_err))) {
		cc->cc_failed = true;
		*txt = smime_err_get0(&cc->cc_err);
		return 1 << OSSL_CMP_PKIFAILUREINFO_badCertTemplate;
	}
	return 0;
}

/* Collect extraCerts and caPubs of the last response into a new stack. */
static STACK_OF(X509) *
smime_cmp_extra(OSSL_CMP_CTX *ctx)
{
	STACK_OF(X509) *all, *part;
	int i;

	if ((all = OSSL_CMP_CTX_get1_extraCertsIn(ctx)) == NULL &&
	    (all = sk_X509_new_null()) == NULL)
		return NULL;
	if ((part = OSSL_CMP_CTX_get1_caPubs(ctx)) != NULL) {
		for (i = 0; i < sk_X509_num(part); i++)
			if (!X509_add_cert(all, sk_X509_value(part, i),
			    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP))
				break;
		sk_X509_pop_free(part, X509_free);
	}
	return all;
}

smime_status
smime_cmp_certreq(const struct smime_cmp_opts *o, enum smime_cmp_req type,
    EVP_PKEY *newkey, const X509_NAME *subject,
    STACK_OF(X509_EXTENSION) *exts, X509 *oldcert, const char *address,
    X509 **cert, STACK_OF(X509) **extra, struct smime_err *err)
{
	static const char *const names[] = { "ir", "cr", "kur" };
	struct smime_cmp_check cc = { newkey, address, NULL, false, { "" } };
	STACK_OF(X509_EXTENSION) *copy = NULL;
	OSSL_CMP_CTX *ctx;
	X509 *got = NULL;
	smime_status ret;

	*cert = NULL;
	*extra = NULL;
	if (o->co_same_subject && type != SMIME_CMP_KUR)
		cc.cc_subject = subject;
	if ((ctx = smime_cmp_ctx(o, &ret, err)) == NULL)
		goto out;
	ret = SMIME_INTERNAL;
	if (exts != NULL && (copy = sk_X509_EXTENSION_deep_copy(exts,
	    X509_EXTENSION_dup, X509_EXTENSION_free)) == NULL)
		goto fail;
	if (!EVP_PKEY_up_ref(newkey))
		goto fail;
	if (!OSSL_CMP_CTX_set0_newPkey(ctx, 1, newkey)) {
		EVP_PKEY_free(newkey);
		goto fail;
	}
	if ((subject != NULL && !OSSL_CMP_CTX_set1_subjectName(ctx, subject)) ||
	    (copy != NULL && !OSSL_CMP_CTX_set0_reqExtensions(ctx, copy)))
		goto fail;
	copy = NULL;
	if ((oldcert != NULL && !OSSL_CMP_CTX_set1_oldCert(ctx, oldcert)) ||
	    !OSSL_CMP_CTX_set_certConf_cb(ctx, smime_cmp_confirm) ||
	    !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, &cc))
		goto fail;
	switch (type) {
	case SMIME_CMP_IR:
		got = OSSL_CMP_exec_IR_ses(ctx);
		break;
	case SMIME_CMP_CR:
		got = OSSL_CMP_exec_CR_ses(ctx);
		break;
	case SMIME_CMP_KUR:
		got = OSSL_CMP_exec_KUR_ses(ctx);
		break;
	}
	if (cc.cc_failed) {
		ret = SMIME_POLICY;
		smime_err_set(err, "%s: rejected the new certificate: %s",
		    names[type], smime_err_get0(&cc.cc_err));
		ERR_clear_error();
		goto out;
	}
	if (got == NULL) {
		ret = smime_cmp_failed(ctx, names[type], err);
		goto out;
	}
	/* got belongs to ctx; keep our own reference. */
	if ((*extra = smime_cmp_extra(ctx)) == NULL || !X509_up_ref(got)) {
		sk_X509_pop_free(*extra, X509_free);
		*extra = NULL;
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "out of memory");
		goto out;
	}
	*cert = got;
	ret = SMIME_OK;
	goto out;
fail:
	smime_err_openssl(err, "%s: cannot build the request", names[type]);
out:
	sk_X509_EXTENSION_pop_free(copy, X509_EXTENSION_free);
	smime_cmp_ctx_free(ctx);
	return ret;
}

smime_status
smime_cmp_revoke(const struct smime_cmp_opts *o, X509 *cert, int reason,
    struct smime_err *err)
{
	OSSL_CMP_CTX *ctx;
	smime_status ret;

	if ((ctx = smime_cmp_ctx(o, &ret, err)) == NULL)
		goto out;
	if (!OSSL_CMP_CTX_set1_oldCert(ctx, cert) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON,
	    reason)) {
		ret = SMIME_INTERNAL;
		smime_err_openssl(err, "rr: cannot build the request");
		goto out;
	}
	if (OSSL_CMP_exec_RR_ses(ctx) != 1) {
		ret = smime_cmp_failed(ctx, "rr", err);
		goto out;
	}
	ret = SMIME_OK;
out:
	smime_cmp_ctx_free(ctx);
	return ret;
}
