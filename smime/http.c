/*
 * http.c - plain-HTTP requests for revocation data (OCSP, CRL
 * distribution points) with one hard deadline that covers the name
 * lookup too.
 *
 * OpenSSL's OSSL_HTTP_transfer() bounds connect, send and receive by
 * its timeout, but resolves the host name with a blocking getaddrinfo()
 * first, which a dead DNS server stretches to tens of seconds.  So the
 * name is resolved here, in a helper thread we stop waiting for at the
 * deadline, and OSSL_HTTP_transfer() gets a connect BIO to the numeric
 * address (the host name still goes into the Host header).  Redirects
 * are not followed; https URLs are refused (RFC 5280 4.2.1.13 and RFC
 * 6960 use plain HTTP, the data is signed).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>

#include "smime/http.h"

/* One lookup, shared by the caller and the resolver thread. */
struct gai_job {
	pthread_mutex_t	 gj_lock;
	pthread_cond_t	 gj_cond;
	int		 gj_refs;	/* caller + thread */
	bool		 gj_done;
	int		 gj_rc;
	char		*gj_host;
	char		*gj_port;
	struct addrinfo	*gj_res;
};

/* Drop one reference; the last one frees the job. */
static void
gai_job_release(struct gai_job *j)
{
	bool last;

	pthread_mutex_lock(&j->gj_lock);
	last = --j->gj_refs == 0;
	pthread_mutex_unlock(&j->gj_lock);
	if (!last)
		return;
	if (j->gj_res != NULL)
		freeaddrinfo(j->gj_res);
	pthread_cond_destroy(&j->gj_cond);
	pthread_mutex_destroy(&j->gj_lock);
	free(j->gj_host);
	free(j->gj_port);
	free(j);
}

static void *
gai_thread(void *arg)
{
	struct gai_job *j = arg;
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(j->gj_host, j->gj_port, &hints, &res);
	pthread_mutex_lock(&j->gj_lock);
	j->gj_rc = rc;
	j->gj_res = rc == 0 ? res : NULL;
	j->gj_done = true;
	pthread_cond_signal(&j->gj_cond);
	pthread_mutex_unlock(&j->gj_lock);
	gai_job_release(j);
	return NULL;
}

/*
 * getaddrinfo(host, port) that gives up at deadline (CLOCK_REALTIME).
 * Returns the list (free with freeaddrinfo) or NULL: not found, timed
 * out or out of resources.
 */
static struct addrinfo *
http_resolve(const char *host, const char *port, const struct timespec *deadline)
{
	struct gai_job *j;
	struct addrinfo *res = NULL;
	pthread_attr_t attr;
	pthread_t tid;
	int rc = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	if ((j->gj_host = strdup(host)) == NULL ||
	    (j->gj_port = strdup(port)) == NULL) {
		free(j->gj_host);
		free(j);
		return NULL;
	}
	pthread_mutex_init(&j->gj_lock, NULL);
	pthread_cond_init(&j->gj_cond, NULL);
	j->gj_refs = 2;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, gai_thread, j) != 0) {
		j->gj_refs = 1;
		pthread_attr_destroy(&attr);
		gai_job_release(j);
		return NULL;
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&j->gj_lock);
	while (!j->gj_done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&j->gj_cond, &j->gj_lock,
		    deadline);
	if (j->gj_done) {
		res = j->gj_res;
		j->gj_res = NULL;
	}
	pthread_mutex_unlock(&j->gj_lock);
	gai_job_release(j);	/* a late thread frees the job itself */
	return res;
}

/* Seconds left before deadline, at least 1 when any time is left. */
static int
http_left(const struct timespec *deadline)
{
	struct timespec now;
	double left;

	clock_gettime(CLOCK_REALTIME, &now);
	left = (double)(deadline->tv_sec - now.tv_sec) +
	    (double)(deadline->tv_nsec - now.tv_nsec) / 1e9;
	if (left <= 0)
		return 0;
	return left < 1 ? 1 : (int)left;
}

BIO *
smime_http_transfer(const char *url, const char *content_type,
    const unsigned char *body, size_t bodylen, const char *expected_ct,
    size_t max_resp, unsigned int timeout)
{
	BIO *req = NULL;
	char *host = NULL, *port = NULL, *path = NULL;
	char addr[NI_MAXHOST];
	struct addrinfo *res = NULL, *ai;
	struct timespec deadline;
	BIO *cbio = NULL, *rsp = NULL;
	int use_ssl = 0, left;

	if (timeout == 0)
		timeout = 10;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout;
	if (!OSSL_HTTP_parse_url(url, &use_ssl, NULL, &host, &port, NULL,
	    &path, NULL, NULL) || use_ssl)
		goto out;
	if ((res = http_resolve(host, port, &deadline)) == NULL)
		goto out;
	for (ai = res; ai != NULL && rsp == NULL; ai = ai->ai_next) {
		if ((left = http_left(&deadline)) == 0)
			break;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0 ||
		    (cbio = BIO_new(BIO_s_connect())) == NULL)
			continue;
		if (!BIO_set_conn_hostname(cbio, addr) ||
		    !BIO_set_conn_port(cbio, port) ||
		    !BIO_set_conn_ip_family(cbio, ai->ai_family == AF_INET6 ?
		    BIO_FAMILY_IPV6 : BIO_FAMILY_IPV4) ||
		    !BIO_set_nbio(cbio, 1)) {
			BIO_free_all(cbio);
			cbio = NULL;
			continue;
		}
		/* A fresh request body for each address tried. */
		BIO_free(req);
		req = NULL;
		if (body != NULL && (req = BIO_new_mem_buf(body,
		    (int)bodylen)) == NULL) {
			BIO_free_all(cbio);
			cbio = NULL;
			break;
		}
		/* The connection BIO stays ours: free it after the transfer. */
		rsp = OSSL_HTTP_transfer(NULL, host, port, path, 0, NULL, NULL,
		    cbio, NULL, NULL, NULL, 0, NULL, content_type, req,
		    expected_ct, 1, max_resp, left, 0);
		BIO_free_all(cbio);
		cbio = NULL;
	}
out:
	BIO_free(req);
	if (res != NULL)
		freeaddrinfo(res);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	ERR_clear_error();
	return rsp;
}
