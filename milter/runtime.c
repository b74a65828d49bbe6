/*
 * runtime.c - configuration generations.
 *
 * A reload builds a complete new runtime first and only then swaps it in
 * under the lock; connections keep a reference to the generation they
 * started with, so a bad config never replaces a good one and a message in
 * flight never loses its keys (OpenDKIM's conf_refcnt, same idea).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "milter/log.h"
#include "milter/smf.h"

static struct {
	pthread_mutex_t		 rs_lock;
	struct smf_runtime	*rs_current;
	unsigned long		 rs_generation;
} smf_runtime_state = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };

static void
smf_runtime_warn(void *arg, const char *msg)
{
	(void)arg;
	smf_log(LOG_WARNING, NULL, "%s", msg);
}

static void
smf_runtime_free(struct smf_runtime *rt)
{
	if (rt == NULL)
		return;
	smime_verifier_free(rt->rt_verifier);
	smime_idstore_free(rt->rt_ids);
	conf_free(rt->rt_conf);
	free(rt);
}

/* Fill a verifier's options from the configuration. */
static void
smf_runtime_verify_opts(const struct smime_conf *conf,
    struct smime_verify_opts *vo)
{
	memset(vo, 0, sizeof(*vo));
	vo->vo_trust_anchors = conf->cf_verify_trust_anchors;
	vo->vo_intermediates = conf->cf_verify_intermediates;
	vo->vo_crls = conf->cf_verify_crls;
	vo->vo_ncrls = conf->cf_verify_ncrls;
	vo->vo_ocsp = conf->cf_verify_ocsp;
	vo->vo_ocsp_timeout = conf->cf_verify_ocsp_timeout;
	vo->vo_crl_fetch = conf->cf_verify_crl_fetch;
	vo->vo_crl_cache_dir = conf->cf_verify_crl_cache_dir;
	vo->vo_crl_fetch_timeout = conf->cf_verify_crl_fetch_timeout;
	vo->vo_crl_max_size = conf->cf_verify_crl_max_size;
	vo->vo_aia_fetch = conf->cf_verify_aia_fetch;
	vo->vo_allow_sha1 = conf->cf_verify_allow_sha1;
	vo->vo_min_rsa_bits = conf->cf_verify_min_rsa_bits;
	vo->vo_revocation_scope = conf->cf_verify_revocation_scope;
	vo->vo_revocation_unavailable =
	    conf->cf_verify_revocation_unavailable;
	vo->vo_authserv_id = conf->cf_authserv_id;
	vo->vo_signer_header = conf->cf_verify_signer_header;
	vo->vo_tmpdir = conf->cf_tmpdir;
	vo->vo_spool_memory = conf->cf_spool_memory;
	vo->vo_max_depth = conf->cf_max_mime_depth;
	vo->vo_max_parts = conf->cf_max_mime_parts;
}

struct smf_runtime *
smf_runtime_load(const char *path, char *errbuf, size_t errlen)
{
	return smf_runtime_load_at(path, 0, errbuf, errlen);
}

struct smf_runtime *
smf_runtime_load_at(const char *path, time_t at, char *errbuf, size_t errlen)
{
	struct smf_runtime *rt = NULL, *ret = NULL;
	struct smime_verify_opts vo;
	struct smime_err err;

	errbuf[0] = '\0';
	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	rt->rt_refcnt = 1;
	rt->rt_conf = conf_load(path, errbuf, errlen, smf_runtime_warn, NULL);
	if (rt->rt_conf == NULL)
		goto out;
	if (conf_load_identities(rt->rt_conf, &rt->rt_ids, smf_runtime_warn,
	    NULL, errbuf, errlen) != SMIME_OK)
		goto out;
	if (rt->rt_conf->cf_mode_verify) {
		smf_runtime_verify_opts(rt->rt_conf, &vo);
		vo.vo_time = at;
		smime_err_clear(&err);
		if ((rt->rt_verifier = smime_verifier_new(&vo, &err)) == NULL) {
			snprintf(errbuf, errlen, "%s: verify: %s", path,
			    smime_err_get0(&err));
			goto out;
		}
	}
	ret = rt;
	rt = NULL;
out:
	smf_runtime_free(rt);
	return ret;
}

void
smf_runtime_publish(struct smf_runtime *rt)
{
	struct smf_runtime *old;

	pthread_mutex_lock(&smf_runtime_state.rs_lock);
	old = smf_runtime_state.rs_current;
	rt->rt_generation = ++smf_runtime_state.rs_generation;
	smf_runtime_state.rs_current = rt;
	pthread_mutex_unlock(&smf_runtime_state.rs_lock);
	smf_log_set_level(rt->rt_conf->cf_log_level);
	smf_log_configure(rt->rt_conf->cf_log_format,
	    rt->rt_conf->cf_log_target);
	smf_runtime_release(old);
}

void
smf_runtime_retire(void)
{
	struct smf_runtime *old;

	pthread_mutex_lock(&smf_runtime_state.rs_lock);
	old = smf_runtime_state.rs_current;
	smf_runtime_state.rs_current = NULL;
	pthread_mutex_unlock(&smf_runtime_state.rs_lock);
	smf_runtime_release(old);
}

struct smf_runtime *
smf_runtime_acquire(void)
{
	struct smf_runtime *rt;

	pthread_mutex_lock(&smf_runtime_state.rs_lock);
	rt = smf_runtime_state.rs_current;
	if (rt != NULL)
		rt->rt_refcnt++;
	pthread_mutex_unlock(&smf_runtime_state.rs_lock);
	return rt;
}

void
smf_runtime_release(struct smf_runtime *rt)
{
	bool last;

	if (rt == NULL)
		return;
	pthread_mutex_lock(&smf_runtime_state.rs_lock);
	last = --rt->rt_refcnt == 0;
	pthread_mutex_unlock(&smf_runtime_state.rs_lock);
	if (last)
		smf_runtime_free(rt);
}

bool
smf_runtime_reload(const char *path, char *errbuf, size_t errlen)
{
	struct smf_runtime *rt, *old;
	const char *was, *now;

	if ((rt = smf_runtime_load(path, errbuf, errlen)) == NULL)
		return false;
	/* The listener was bound at start, before privileges were dropped. */
	if ((old = smf_runtime_acquire()) != NULL) {
		was = old->rt_conf->cf_metrics_listen;
		now = rt->rt_conf->cf_metrics_listen;
		if ((was == NULL) != (now == NULL) ||
		    (was != NULL && strcmp(was, now) != 0))
			smf_log(LOG_WARNING, NULL, "metrics_listen changed; the "
			    "change takes effect at the next start");
		smf_runtime_release(old);
	}
	smf_runtime_publish(rt);
	smf_log(LOG_INFO, NULL, "configuration %s loaded (generation %lu, "
	    "%zu signing identities)", path, rt->rt_generation,
	    smime_idstore_count(rt->rt_ids));
	return true;
}
