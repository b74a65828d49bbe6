/*
 * aiafetch.c - issuer certificates fetched from the caIssuers URLs of a
 * certificate's Authority Information Access (RFC 5280 4.2.2.1), for
 * paths whose sender left out an intermediate.  Off by default.
 *
 * Only http:// URLs; the answer may be one DER certificate or a DER
 * certs-only CMS/PKCS #7 bundle (RFC 5280 4.2.2.1); only CA certificates
 * are kept.
 * Fetched certificates are untrusted helpers for path building, exactly
 * like the ones in the message: trust still comes from the anchors.
 * Answers are cached in memory for a day, failures for a minute.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "smime/http.h"
#include "smime/revocation.h"

#define AIA_CACHE_MAX	64
#define AIA_MAX_SIZE	(256 * 1024)
#define AIA_TTL		86400
#define AIA_BACKOFF	60

struct aia_entry {
	char		*ae_url;
	STACK_OF(X509)	*ae_certs;	/* NULL: the last fetch failed */
	time_t		 ae_until;
};

struct smime_aiafetch {
	pthread_mutex_t		 af_lock;
	unsigned int		 af_timeout;
	struct aia_entry	 af_list[AIA_CACHE_MAX];
	size_t			 af_count;
};

struct smime_aiafetch *
smime_aiafetch_new(unsigned int timeout)
{
	struct smime_aiafetch *af = calloc(1, sizeof(*af));

	if (af == NULL)
		return NULL;
	pthread_mutex_init(&af->af_lock, NULL);
	af->af_timeout = timeout ? timeout : 10;
	return af;
}

void
smime_aiafetch_free(struct smime_aiafetch *af)
{
	size_t i;

	if (af == NULL)
		return;
	for (i = 0; i < af->af_count; i++) {
		free(af->af_list[i].ae_url);
		sk_X509_pop_free(af->af_list[i].ae_certs, X509_free);
	}
	pthread_mutex_destroy(&af->af_lock);
	free(af);
}

/* The first http:// caIssuers URL of cert, or NULL; caller frees. */
static char *
aia_url(X509 *cert)
{
	AUTHORITY_INFO_ACCESS *aia;
	char *url = NULL;
	int i;

	aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
	for (i = 0; url == NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		ASN1_IA5STRING *uri;

		if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers ||
		    ad->location->type != GEN_URI)
			continue;
		uri = ad->location->d.uniformResourceIdentifier;
		if (uri->length > 7 && uri->length < 2048 &&
		    OPENSSL_strncasecmp((const char *)uri->data, "http://",
		    7) == 0 &&
		    memchr(uri->data, '\0', (size_t)uri->length) == NULL)
			url = strndup((const char *)uri->data,
			    (size_t)uri->length);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	ERR_clear_error();
	return url;
}

/* The CA certificates in an answer (DER certificate or DER PKCS #7). */
static STACK_OF(X509) *
aia_parse(const unsigned char *buf, long len)
{
	STACK_OF(X509) *out = sk_X509_new_null(), *p7certs = NULL;
	const unsigned char *p = buf;
	PKCS7 *p7 = NULL;
	X509 *x;
	int i;

	if (out == NULL)
		return NULL;
	if ((x = d2i_X509(NULL, &p, len)) != NULL) {
		if (!sk_X509_push(out, x))
			X509_free(x);
	} else if (p = buf, (p7 = d2i_PKCS7(NULL, &p, len)) != NULL) {
		if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL)
			p7certs = p7->d.sign->cert;
		for (i = 0; i < sk_X509_num(p7certs); i++)
			if (!X509_add_cert(out, sk_X509_value(p7certs, i),
			    X509_ADD_FLAG_UP_REF))
				break;
	}
	PKCS7_free(p7);
	/* Only CA certificates can be intermediates. */
	for (i = sk_X509_num(out) - 1; i >= 0; i--)
		if (X509_check_ca(sk_X509_value(out, i)) < 1)
			X509_free(sk_X509_delete(out, i));
	ERR_clear_error();
	return out;
}

/* Cached or fetched certificates for url; a new reference stack or NULL. */
static STACK_OF(X509) *
aia_get(struct smime_aiafetch *af, const char *url, time_t now)
{
	STACK_OF(X509) *certs = NULL;
	struct aia_entry *e = NULL;
	BIO *rsp;
	char *data;
	long len;
	size_t i, victim = 0;

	pthread_mutex_lock(&af->af_lock);
	for (i = 0; i < af->af_count; i++)
		if (strcmp(af->af_list[i].ae_url, url) == 0 &&
		    af->af_list[i].ae_until > now) {
			if (af->af_list[i].ae_certs != NULL)
				certs = X509_chain_up_ref(
				    af->af_list[i].ae_certs);
			pthread_mutex_unlock(&af->af_lock);
			return certs;
		}
	pthread_mutex_unlock(&af->af_lock);

	if ((rsp = smime_http_transfer(url, NULL, NULL, 0, NULL, AIA_MAX_SIZE,
	    af->af_timeout)) != NULL) {
		if ((len = BIO_get_mem_data(rsp, &data)) > 0)
			certs = aia_parse((const unsigned char *)data, len);
		BIO_free(rsp);
	}
	if (certs != NULL && sk_X509_num(certs) == 0) {
		sk_X509_free(certs);
		certs = NULL;
	}
	pthread_mutex_lock(&af->af_lock);
	for (i = 0; i < af->af_count && e == NULL; i++)
		if (strcmp(af->af_list[i].ae_url, url) == 0)
			e = &af->af_list[i];
	if (e == NULL) {
		char *copy = strdup(url);

		if (copy != NULL) {
			if (af->af_count < AIA_CACHE_MAX)
				victim = af->af_count++;
			else {
				for (i = 1; i < af->af_count; i++)
					if (af->af_list[i].ae_until <
					    af->af_list[victim].ae_until)
						victim = i;
				free(af->af_list[victim].ae_url);
				sk_X509_pop_free(af->af_list[victim].ae_certs,
				    X509_free);
			}
			e = &af->af_list[victim];
			memset(e, 0, sizeof(*e));
			e->ae_url = copy;
		}
	} else
		sk_X509_pop_free(e->ae_certs, X509_free);
	if (e != NULL) {
		e->ae_certs = certs != NULL ? X509_chain_up_ref(certs) : NULL;
		e->ae_until = now + (certs != NULL ? AIA_TTL : AIA_BACKOFF);
	}
	pthread_mutex_unlock(&af->af_lock);
	return certs;
}

bool
smime_aiafetch_add(struct smime_aiafetch *af, X509 *cert,
    STACK_OF(X509) *untrusted)
{
	STACK_OF(X509) *certs;
	char *url;
	bool added = false;
	int i;

	if (af == NULL || (url = aia_url(cert)) == NULL)
		return false;
	if ((certs = aia_get(af, url, time(NULL))) != NULL) {
		for (i = 0; i < sk_X509_num(certs); i++) {
			X509 *x = sk_X509_value(certs, i);
			int j;
			bool dup = false;

			for (j = 0; !dup && j < sk_X509_num(untrusted); j++)
				dup = X509_cmp(sk_X509_value(untrusted, j),
				    x) == 0;
			if (!dup && X509_add_cert(untrusted, x,
			    X509_ADD_FLAG_UP_REF))
				added = true;
		}
		sk_X509_pop_free(certs, X509_free);
	}
	free(url);
	return added;
}
