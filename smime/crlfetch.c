/*
 * crlfetch.c - CRLs fetched from the HTTP CRL distribution points of the
 * certificates being checked (RFC 5280 4.2.1.13), cached in memory and
 * on disk until their nextUpdate.
 *
 * Only CRLs that the certificate's issuer signed, under its own name, are
 * kept (no indirect CRLs), so a forged or garbled download is never
 * cached; a failed fetch is remembered for FETCH_BACKOFF seconds so that a
 * dead server costs one timeout per minute, not one per message.  Each CRL
 * is parsed once when it arrives (or when the disk file changed) and
 * shared by reference.  Disk files are written to a temporary name, synced
 * and renamed into place, so readers see the old or the new CRL, never
 * half of one.  Configured CRL files are consulted before this (OpenSSL
 * asks us only when none of them is current).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/http.h"
#include "smime/revocation.h"
#include "smime/safefs.h"

#define FETCH_CACHE_MAX		256
#define FETCH_BACKOFF		60	/* seconds after a failed fetch */
#define FETCH_NO_NEXT		3600	/* cache life without nextUpdate */
#define FETCH_STALE		300	/* recheck of a CRL already past due */
#define FETCH_MAX_URLS		2	/* per certificate */

struct crl_entry {
	char		*ce_url;
	X509_CRL	*ce_crl;	/* NULL: the last fetch failed */
	time_t		 ce_until;	/* fetch again after this */
	time_t		 ce_mtime;	/* of the disk file it came from */
	off_t		 ce_size;
};

struct smime_crlfetch {
	pthread_mutex_t		 cf_lock;
	char			*cf_dir;	/* NULL: memory only */
	unsigned int		 cf_timeout;
	size_t			 cf_max;
	struct crl_entry	 cf_list[FETCH_CACHE_MAX];
	size_t			 cf_count;
};

struct smime_crlfetch *
smime_crlfetch_new(const char *dir, unsigned int timeout, size_t max_size,
    struct smime_err *err)
{
	struct smime_crlfetch *f;
	struct stat st;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		smime_err_set(err, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&f->cf_lock, NULL);
	f->cf_timeout = timeout ? timeout : 10;
	f->cf_max = max_size ? max_size : 10 * 1024 * 1024;
	if (dir != NULL) {
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			smime_err_set(err, "%s: CRL cache is not a directory",
			    dir);
			goto bad;
		}
		if ((f->cf_dir = strdup(dir)) == NULL) {
			smime_err_set(err, "out of memory");
			goto bad;
		}
	}
	return f;
bad:
	smime_crlfetch_free(f);
	return NULL;
}

void
smime_crlfetch_free(struct smime_crlfetch *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->cf_count; i++) {
		free(f->cf_list[i].ce_url);
		X509_CRL_free(f->cf_list[i].ce_crl);
	}
	free(f->cf_dir);
	pthread_mutex_destroy(&f->cf_lock);
	free(f);
}

/* The http:// CDP URLs of cert (at most FETCH_MAX_URLS); caller frees. */
static STACK_OF(OPENSSL_STRING) *
crlfetch_urls(X509 *cert)
{
	STACK_OF(OPENSSL_STRING) *urls = sk_OPENSSL_STRING_new_null();
	STACK_OF(DIST_POINT) *dps;
	char *u;
	int i, j;

	if (urls == NULL)
		return NULL;
	dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *names;

		/* A partitioned or reason-limited CRL is not a full answer. */
		if (dp->distpoint == NULL || dp->distpoint->type != 0 ||
		    dp->reasons != NULL || dp->CRLissuer != NULL)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(names); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
			ASN1_IA5STRING *uri;

			if (gn->type != GEN_URI)
				continue;
			uri = gn->d.uniformResourceIdentifier;
			if (uri->length <= 7 || uri->length > 2048 ||
			    OPENSSL_strncasecmp((const char *)uri->data,
			    "http://", 7) != 0 ||
			    memchr(uri->data, '\0', (size_t)uri->length) != NULL)
				continue;
			if (sk_OPENSSL_STRING_num(urls) >= FETCH_MAX_URLS)
				goto out;
			if ((u = OPENSSL_strndup((const char *)uri->data,
			    (size_t)uri->length)) == NULL ||
			    !sk_OPENSSL_STRING_push(urls, u)) {
				OPENSSL_free(u);
				goto out;
			}
		}
	}
out:
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return urls;
}

/* True when crl is cert's issuer's own CRL, signed by issuer. */
static bool
crlfetch_fits(X509_CRL *crl, X509 *cert, X509 *issuer)
{
	EVP_PKEY *pk = X509_get0_pubkey(issuer);
	bool ok;

	ok = pk != NULL && X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_issuer_name(cert)) == 0 && X509_CRL_verify(crl, pk) > 0;
	ERR_clear_error();
	return ok;
}

/* When to look again at crl: its nextUpdate, bounded below. */
static time_t
crlfetch_until(X509_CRL *crl, time_t now)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	struct tm tm;
	time_t t;

	if (next == NULL || !ASN1_TIME_to_tm(next, &tm))
		return now + FETCH_NO_NEXT;
	t = timegm(&tm);
	return t > now ? t : now + FETCH_STALE;
}

/* DER or PEM CRL from bytes; NULL when it is neither. */
static X509_CRL *
crlfetch_parse(const unsigned char *buf, long len)
{
	const unsigned char *p = buf;
	X509_CRL *crl;
	BIO *mem;

	if ((crl = d2i_X509_CRL(NULL, &p, len)) != NULL && p == buf + len)
		return crl;
	X509_CRL_free(crl);
	crl = NULL;
	if ((mem = BIO_new_mem_buf(buf, (int)len)) != NULL) {
		crl = PEM_read_bio_X509_CRL(mem, NULL, NULL, NULL);
		BIO_free(mem);
	}
	ERR_clear_error();
	return crl;
}

/* The cache file for url into buf: DIR/<sha256 of url>.crl. */
static bool
crlfetch_path(const struct smime_crlfetch *f, const char *url, char *buf,
    size_t len)
{
	unsigned char md[32];
	char hex[65];
	int i, n;

	if (!EVP_Digest(url, strlen(url), md, NULL, EVP_sha256(), NULL))
		return false;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	n = snprintf(buf, len, "%s/%s.crl", f->cf_dir, hex);
	return n > 0 && (size_t)n < len;
}

/*
 * The CRL in the cache file for url when it is a regular file no bigger
 * than the limit; *st receives its stamp.  NULL when absent or unusable.
 */
static X509_CRL *
crlfetch_disk_read(const struct smime_crlfetch *f, const char *path,
    struct stat *st)
{
	unsigned char *buf = NULL;
	X509_CRL *crl = NULL;
	ssize_t got;
	size_t have = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size <= 0 ||
	    (size_t)st->st_size > f->cf_max ||
	    (buf = malloc((size_t)st->st_size)) == NULL)
		goto out;
	while (have < (size_t)st->st_size && (got = read(fd, buf + have,
	    (size_t)st->st_size - have)) > 0)
		have += (size_t)got;
	if (have == (size_t)st->st_size)
		crl = crlfetch_parse(buf, (long)have);
out:
	free(buf);
	close(fd);
	return crl;
}

/*
 * Replace the cache file atomically with crl's DER (safefs.c); *st
 * receives the new file's stamp.  Errors are ignored: the cache is an
 * optimisation.
 */
static void
crlfetch_disk_write(const char *path, X509_CRL *crl, struct stat *st)
{
	unsigned char *der = NULL;
	int len;

	if ((len = i2d_X509_CRL(crl, &der)) > 0 &&
	    smime_fs_write_path(path, der, (size_t)len, 0644, NULL) ==
	    SMIME_OK)
		(void)lstat(path, st);
	OPENSSL_free(der);
}

/* Fetch url over HTTP within the limits; NULL on any failure. */
static X509_CRL *
crlfetch_http(const struct smime_crlfetch *f, const char *url)
{
	X509_CRL *crl = NULL;
	BIO *rsp;
	char *data;
	long len;

	if ((rsp = smime_http_transfer(url, NULL, NULL, 0, NULL, f->cf_max,
	    f->cf_timeout)) == NULL)
		return NULL;
	if ((len = BIO_get_mem_data(rsp, &data)) > 0)
		crl = crlfetch_parse((const unsigned char *)data, len);
	BIO_free(rsp);
	return crl;
}

/*
 * The memory entry for url, or a new one (the entry due soonest makes
 * room when full).  Called with the lock held; NULL on ENOMEM.
 */
static struct crl_entry *
crlfetch_slot(struct smime_crlfetch *f, const char *url)
{
	struct crl_entry *e;
	size_t i, victim = 0;
	char *copy;

	for (i = 0; i < f->cf_count; i++)
		if (strcmp(f->cf_list[i].ce_url, url) == 0)
			return &f->cf_list[i];
	if ((copy = strdup(url)) == NULL)
		return NULL;
	if (f->cf_count < FETCH_CACHE_MAX)
		victim = f->cf_count++;
	else {
		for (i = 1; i < f->cf_count; i++)
			if (f->cf_list[i].ce_until <
			    f->cf_list[victim].ce_until)
				victim = i;
		free(f->cf_list[victim].ce_url);
		X509_CRL_free(f->cf_list[victim].ce_crl);
	}
	e = &f->cf_list[victim];
	memset(e, 0, sizeof(*e));
	e->ce_url = copy;
	return e;
}

/*
 * The CRL for one URL: memory, else the disk file (when it changed since
 * we parsed it and is still current), else the network.  Returns a new
 * reference or NULL.
 */
static X509_CRL *
crlfetch_one(struct smime_crlfetch *f, const char *url, X509 *cert,
    X509 *issuer, time_t now)
{
	struct crl_entry *e;
	struct stat st, seen;
	const ASN1_TIME *next;
	X509_CRL *crl = NULL;
	char path[4096];
	bool have_path;

	memset(&st, 0, sizeof(st));
	memset(&seen, 0, sizeof(seen));
	pthread_mutex_lock(&f->cf_lock);
	if ((e = crlfetch_slot(f, url)) != NULL) {
		if (e->ce_until > now && (e->ce_crl == NULL ||
		    crlfetch_fits(e->ce_crl, cert, issuer))) {
			if ((crl = e->ce_crl) != NULL)
				X509_CRL_up_ref(crl);
			pthread_mutex_unlock(&f->cf_lock);
			return crl;
		}
		seen.st_mtime = e->ce_mtime;
		seen.st_size = e->ce_size;
	}
	pthread_mutex_unlock(&f->cf_lock);

	/* The disk file, unless it is the one we already found wanting. */
	have_path = f->cf_dir != NULL &&
	    crlfetch_path(f, url, path, sizeof(path));
	if (have_path && (stat(path, &st) != 0 ||
	    (st.st_mtime == seen.st_mtime && st.st_size == seen.st_size)))
		memset(&st, 0, sizeof(st));
	else if (have_path &&
	    (crl = crlfetch_disk_read(f, path, &st)) != NULL) {
		next = X509_CRL_get0_nextUpdate(crl);
		if (!crlfetch_fits(crl, cert, issuer) || (next != NULL ?
		    X509_cmp_time(next, &now) <= 0 :
		    st.st_mtime + FETCH_NO_NEXT <= now)) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	}
	if (crl == NULL && (crl = crlfetch_http(f, url)) != NULL) {
		if (!crlfetch_fits(crl, cert, issuer)) {
			X509_CRL_free(crl);
			crl = NULL;
		} else if (have_path)
			crlfetch_disk_write(path, crl, &st);
	}
	pthread_mutex_lock(&f->cf_lock);
	if ((e = crlfetch_slot(f, url)) != NULL) {
		X509_CRL_free(e->ce_crl);
		e->ce_crl = crl;
		if (crl != NULL)
			X509_CRL_up_ref(crl);
		e->ce_until = crl != NULL ? crlfetch_until(crl, now) :
		    now + FETCH_BACKOFF;
		e->ce_mtime = st.st_mtime;
		e->ce_size = st.st_size;
	}
	pthread_mutex_unlock(&f->cf_lock);
	return crl;
}

/* sk_OPENSSL_STRING_pop_free() helper. */
static void
crlfetch_str_free(char *s)
{
	OPENSSL_free(s);
}

STACK_OF(X509_CRL) *
smime_crlfetch_get1(struct smime_crlfetch *f, X509 *cert, X509 *issuer,
    time_t now)
{
	STACK_OF(OPENSSL_STRING) *urls;
	STACK_OF(X509_CRL) *out;
	X509_CRL *crl;
	int i;

	if ((out = sk_X509_CRL_new_null()) == NULL)
		return NULL;
	if (f == NULL || cert == NULL || issuer == NULL ||
	    (urls = crlfetch_urls(cert)) == NULL)
		return out;
	for (i = 0; i < sk_OPENSSL_STRING_num(urls); i++) {
		if ((crl = crlfetch_one(f, sk_OPENSSL_STRING_value(urls, i),
		    cert, issuer, now)) == NULL)
			continue;
		if (!sk_X509_CRL_push(out, crl))
			X509_CRL_free(crl);
		break;	/* one current CRL is the answer */
	}
	sk_OPENSSL_STRING_pop_free(urls, crlfetch_str_free);
	return out;
}
