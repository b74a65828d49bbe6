/*
 * revocation.c - CRLs that follow their files on disk, and OCSP with a
 * hard timeout and a small response cache.
 *
 * CRLs: instead of rebuilding the shared X509_STORE (which other threads
 * are using), each message gets its own X509_STORE_CTX with a stack of
 * references to the current CRLs (X509_STORE_CTX_set0_crls).  A changed
 * file (mtime or size) is re-read under the set's mutex; a failed re-read
 * keeps the old CRLs, so a half-written file cannot disable checking.
 *
 * OCSP: one request per leaf to the responder in its AIA extension, over
 * smime_http_transfer() whose timeout bounds name lookup, connect, send
 * and receive together, so a silent responder (or DNS server) costs at
 * most vo_ocsp_timeout seconds.
 * Answers are cached by CertID until their nextUpdate (answers without
 * nextUpdate are not cached).  A nonce is sent; a responder that does not
 * echo it (pre-produced responses) is accepted, a wrong one is not.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/http.h"
#include "smime/revocation.h"

#define OCSP_CACHE_MAX		256
#define OCSP_MAX_RESPONSE	(100 * 1024)
#define OCSP_SKEW		300	/* seconds of clock skew allowed */

struct smime_crlfile {
	char	*cf_path;
	time_t	 cf_mtime;
	off_t	 cf_size;
};

struct smime_crlset {
	pthread_mutex_t		 cs_lock;
	struct smime_crlfile	*cs_files;
	size_t			 cs_nfiles;
	STACK_OF(X509_CRL)	*cs_crls;
	time_t			 cs_checked;	/* last stat() round */
};

/* Append every CRL in path to crls; false when none can be read. */
static bool
crl_load_file(const char *path, STACK_OF(X509_CRL) *crls,
    struct smime_err *err)
{
	BIO *in;
	X509_CRL *crl;
	size_t n = 0;

	if ((in = BIO_new_file(path, "r")) == NULL) {
		smime_err_openssl(err, "%s: cannot open CRL file", path);
		return false;
	}
	while ((crl = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_CRL_push(crls, crl)) {
			X509_CRL_free(crl);
			break;
		}
		n++;
	}
	if (n == 0) {
		/* Try DER, as distributed by many CAs. */
		(void)BIO_reset(in);
		ERR_clear_error();
		if ((crl = d2i_X509_CRL_bio(in, NULL)) != NULL &&
		    sk_X509_CRL_push(crls, crl))
			n++;
		else
			X509_CRL_free(crl);
	}
	BIO_free(in);
	ERR_clear_error();
	if (n == 0)
		smime_err_set(err, "%s: no CRL found", path);
	return n > 0;
}

/* Read all files into a new stack, updating their stamps; NULL on error. */
static STACK_OF(X509_CRL) *
crl_load_all(struct smime_crlset *cs, struct smime_err *err)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	struct stat st;
	size_t i;

	if (crls == NULL) {
		smime_err_set(err, "out of memory");
		return NULL;
	}
	for (i = 0; i < cs->cs_nfiles; i++) {
		struct smime_crlfile *cf = &cs->cs_files[i];

		if (stat(cf->cf_path, &st) != 0) {
			smime_err_set(err, "%s: %s", cf->cf_path,
			    strerror(errno));
			goto bad;
		}
		if (!crl_load_file(cf->cf_path, crls, err))
			goto bad;
		cf->cf_mtime = st.st_mtime;
		cf->cf_size = st.st_size;
	}
	return crls;
bad:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return NULL;
}

struct smime_crlset *
smime_crlset_new(char *const *paths, size_t npaths, struct smime_err *err)
{
	struct smime_crlset *cs;
	size_t i;

	if ((cs = calloc(1, sizeof(*cs))) == NULL ||
	    (cs->cs_files = calloc(npaths ? npaths : 1,
	    sizeof(*cs->cs_files))) == NULL) {
		free(cs);
		smime_err_set(err, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&cs->cs_lock, NULL);
	for (i = 0; i < npaths; i++) {
		if ((cs->cs_files[i].cf_path = strdup(paths[i])) == NULL) {
			smime_err_set(err, "out of memory");
			goto bad;
		}
		cs->cs_nfiles++;
	}
	if ((cs->cs_crls = crl_load_all(cs, err)) == NULL)
		goto bad;
	cs->cs_checked = time(NULL);
	return cs;
bad:
	smime_crlset_free(cs);
	return NULL;
}

void
smime_crlset_free(struct smime_crlset *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->cs_nfiles; i++)
		free(cs->cs_files[i].cf_path);
	free(cs->cs_files);
	sk_X509_CRL_pop_free(cs->cs_crls, X509_CRL_free);
	pthread_mutex_destroy(&cs->cs_lock);
	free(cs);
}

/* True when a file's mtime or size differs from what was loaded. */
static bool
crl_changed(const struct smime_crlset *cs)
{
	struct stat st;
	size_t i;

	for (i = 0; i < cs->cs_nfiles; i++) {
		if (stat(cs->cs_files[i].cf_path, &st) != 0)
			continue;	/* gone: keep what we have */
		if (st.st_mtime != cs->cs_files[i].cf_mtime ||
		    st.st_size != cs->cs_files[i].cf_size)
			return true;
	}
	return false;
}

STACK_OF(X509_CRL) *
smime_crlset_get1(struct smime_crlset *cs)
{
	STACK_OF(X509_CRL) *copy = NULL, *fresh;
	time_t now = time(NULL);
	int i;

	pthread_mutex_lock(&cs->cs_lock);
	/* At most one stat() round a second, however busy we are. */
	if (now != cs->cs_checked) {
		cs->cs_checked = now;
		if (crl_changed(cs) && (fresh = crl_load_all(cs, NULL)) !=
		    NULL) {
			sk_X509_CRL_pop_free(cs->cs_crls, X509_CRL_free);
			cs->cs_crls = fresh;
		}
	}
	if ((copy = sk_X509_CRL_new_null()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_CRL_num(cs->cs_crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(cs->cs_crls, i);

		if (!sk_X509_CRL_push(copy, crl)) {
			sk_X509_CRL_pop_free(copy, X509_CRL_free);
			copy = NULL;
			goto out;
		}
		X509_CRL_up_ref(crl);
	}
out:
	pthread_mutex_unlock(&cs->cs_lock);
	return copy;
}

/* ---- OCSP ---- */

struct ocsp_entry {
	unsigned char	*oe_id;		/* DER of the OCSP_CERTID */
	int		 oe_idlen;
	int		 oe_status;	/* V_OCSP_CERTSTATUS_* */
	time_t		 oe_until;
};

struct smime_ocsp_cache {
	pthread_mutex_t		 oc_lock;
	struct ocsp_entry	 oc_list[OCSP_CACHE_MAX];
	size_t			 oc_count;
};

struct smime_ocsp_cache *
smime_ocsp_cache_new(void)
{
	struct smime_ocsp_cache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		pthread_mutex_init(&c->oc_lock, NULL);
	return c;
}

void
smime_ocsp_cache_free(struct smime_ocsp_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->oc_count; i++)
		free(c->oc_list[i].oe_id);
	pthread_mutex_destroy(&c->oc_lock);
	free(c);
}

/* Cached status for id, or -1; expired entries are dropped. */
static int
ocsp_cache_get(struct smime_ocsp_cache *c, const unsigned char *id,
    int idlen)
{
	time_t now = time(NULL);
	int status = -1;
	size_t i;

	pthread_mutex_lock(&c->oc_lock);
	for (i = 0; i < c->oc_count; i++) {
		struct ocsp_entry *e = &c->oc_list[i];

		if (e->oe_idlen != idlen || memcmp(e->oe_id, id, idlen) != 0)
			continue;
		if (e->oe_until > now)
			status = e->oe_status;
		else {
			free(e->oe_id);
			*e = c->oc_list[--c->oc_count];
		}
		break;
	}
	pthread_mutex_unlock(&c->oc_lock);
	return status;
}

/* Remember status until until; the oldest slot goes when full. */
static void
ocsp_cache_put(struct smime_ocsp_cache *c, const unsigned char *id,
    int idlen, int status, time_t until)
{
	unsigned char *copy = malloc((size_t)idlen);
	struct ocsp_entry *e;
	size_t i, victim = 0;

	if (copy == NULL)
		return;
	memcpy(copy, id, (size_t)idlen);
	pthread_mutex_lock(&c->oc_lock);
	if (c->oc_count < OCSP_CACHE_MAX)
		victim = c->oc_count++;
	else {
		for (i = 1; i < c->oc_count; i++)
			if (c->oc_list[i].oe_until <
			    c->oc_list[victim].oe_until)
				victim = i;
		free(c->oc_list[victim].oe_id);
	}
	e = &c->oc_list[victim];
	e->oe_id = copy;
	e->oe_idlen = idlen;
	e->oe_status = status;
	e->oe_until = until;
	pthread_mutex_unlock(&c->oc_lock);
}

/* POST req to url; the response or NULL (timeout, refused, garbage). */
static OCSP_RESPONSE *
ocsp_send(const char *url, OCSP_REQUEST *req, unsigned int timeout)
{
	unsigned char *der = NULL;
	OCSP_RESPONSE *resp = NULL;
	BIO *rsp = NULL;
	int len;

	if ((len = i2d_OCSP_REQUEST(req, &der)) <= 0)
		goto out;
	rsp = smime_http_transfer(url, "application/ocsp-request", der,
	    (size_t)len, "application/ocsp-response", OCSP_MAX_RESPONSE,
	    timeout > 0 ? timeout : 10);
	if (rsp != NULL)
		resp = d2i_OCSP_RESPONSE_bio(rsp, NULL);
out:
	BIO_free(rsp);
	OPENSSL_free(der);
	ERR_clear_error();
	return resp;
}

/*
 * Check resp for id: signature (by the issuer or a delegated responder
 * it certified), nonce, freshness.  Returns the V_OCSP_CERTSTATUS_* or -1
 * and sets *until to nextUpdate (0 when absent).
 */
static int
ocsp_check_response(OCSP_RESPONSE *resp, OCSP_REQUEST *req, OCSP_CERTID *id,
    X509_STORE *store, STACK_OF(X509) *chain, time_t *until)
{
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *thisupd, *nextupd;
	int status = -1, reason;
	struct tm tm;

	*until = 0;
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out;
	if (OCSP_check_nonce(req, bs) == 0)	/* -1: not echoed, fine */
		goto out;
	if (OCSP_basic_verify(bs, chain, store, 0) <= 0)
		goto out;
	if (!OCSP_resp_find_status(bs, id, &status, &reason, NULL, &thisupd,
	    &nextupd)) {
		status = -1;
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, OCSP_SKEW, -1)) {
		status = -1;
		goto out;
	}
	if (nextupd != NULL && ASN1_TIME_to_tm(nextupd, &tm))
		*until = timegm(&tm);
out:
	OCSP_BASICRESP_free(bs);
	ERR_clear_error();
	return status;
}

/* The first OCSP URL of the certificate's AIA, or NULL; caller frees. */
static char *
ocsp_url(X509 *cert)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
	char *url = NULL;

	if (urls != NULL && sk_OPENSSL_STRING_num(urls) > 0)
		url = strdup(sk_OPENSSL_STRING_value(urls, 0));
	X509_email_free(urls);
	return url;
}

bool
smime_ocsp_has_responder(X509 *cert)
{
	char *url = ocsp_url(cert);
	bool has = url != NULL;

	free(url);
	return has;
}

void
smime_ocsp_check(struct smime_ocsp_cache *cache, X509_STORE *store,
    STACK_OF(X509) *chain, unsigned int timeout, enum smime_result *result,
    const char **reason)
{
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_CERTID *id = NULL;
	unsigned char *der = NULL;
	char *url = NULL;
	int derlen, status;
	time_t until;

	*result = SMIME_RESULT_TEMPERROR;
	*reason = "OCSP check failed";
	if (sk_X509_num(chain) < 2 ||
	    (url = ocsp_url(sk_X509_value(chain, 0))) == NULL) {
		*result = SMIME_RESULT_PASS;	/* no responder named */
		*reason = NULL;
		goto out;
	}
	if ((id = OCSP_cert_to_id(NULL, sk_X509_value(chain, 0),
	    sk_X509_value(chain, 1))) == NULL ||
	    (derlen = i2d_OCSP_CERTID(id, &der)) <= 0)
		goto out;
	if ((status = ocsp_cache_get(cache, der, derlen)) < 0) {
		if ((req = OCSP_REQUEST_new()) == NULL ||
		    OCSP_request_add0_id(req, id) == NULL)
			goto out;
		/* The request owns id now; keep a copy to look it up. */
		if ((id = OCSP_CERTID_dup(id)) == NULL ||
		    !OCSP_request_add1_nonce(req, NULL, -1))
			goto out;
		if ((resp = ocsp_send(url, req, timeout)) == NULL) {
			*reason = "OCSP responder unreachable";
			goto out;
		}
		status = ocsp_check_response(resp, req, id, store, chain,
		    &until);
		if (status < 0) {
			*reason = "OCSP response invalid";
			goto out;
		}
		if (until > time(NULL))
			ocsp_cache_put(cache, der, derlen, status, until);
	}
	if (status == V_OCSP_CERTSTATUS_GOOD) {
		*result = SMIME_RESULT_PASS;
		*reason = NULL;
	} else if (status == V_OCSP_CERTSTATUS_REVOKED) {
		*result = SMIME_RESULT_FAIL;
		*reason = "certificate revoked";
	} else
		*reason = "OCSP status unknown";
out:
	OCSP_CERTID_free(id);	/* ours: never the one req owns */
	OCSP_REQUEST_free(req);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	free(url);
	ERR_clear_error();
}
