/*
 * metrics.c - the daemon's counters and histograms and their rendering
 * in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Counters are C11 atomics updated with relaxed ordering: each is an
 * independent tally, and a scrape that sees one message in the signed
 * counter but not yet in the size histogram is harmless.  A histogram's
 * _count is rendered as the sum of its buckets, so that it always equals
 * the +Inf bucket even while workers are counting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "milter/health.h"
#include "milter/metrics.h"
#include "milter/smf.h"
#include "smime/result.h"

#define SMF_NRESULTS	(SMIME_RESULT_PERMERROR + 1)

static const char *const smf_outcome_names[SMF_OUTCOME_COUNT] = {
	"signed", "verified", "skipped", "error_accepted", "tempfailed",
	"rejected"
};

static const char *const smf_reason_names[SMF_REASON_COUNT] = {
	"none", "already_smime", "no_from", "no_identity", "unauthorized",
	"not_submission", "policy", "requested", "identity_revoked",
	"header_limit", "body_spool", "verify_fail", "mta_refused",
	"out_of_memory", "syntax", "unsupported", "limit", "tempfail",
	"bad_key", "internal", "other"
};

/* Upper bounds of the histogram buckets (+Inf is implicit). */
static const double smf_duration_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10
};
#define SMF_NDURATION	(sizeof(smf_duration_bounds) / sizeof(double))

static const double smf_size_bounds[] = {
	1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
	67108864
};
#define SMF_NSIZE	(sizeof(smf_size_bounds) / sizeof(double))

#define SMF_MAXBUCKETS	16

/* A histogram of integer observations (microseconds or bytes). */
struct smf_hist {
	const double		*h_bounds;	/* in the rendered unit */
	size_t			 h_nbounds;
	double			 h_scale;	/* rendered unit per raw unit */
	atomic_uint_least64_t	 h_buckets[SMF_MAXBUCKETS]; /* non-cumulative */
	atomic_uint_least64_t	 h_sum;		/* raw units */
};

static struct {
	atomic_uint_least64_t	 m_messages[SMF_OUTCOME_COUNT][SMF_REASON_COUNT];
	atomic_uint_least64_t	 m_results[SMF_NRESULTS];
	atomic_uint_least64_t	 m_reloads[2];	/* failure, success */
	atomic_bool		 m_last_reload_ok;
	atomic_uint_least64_t	 m_tempfail_streak;
	struct smf_hist		 m_sign_time;
	struct smf_hist		 m_verify_time;
	struct smf_hist		 m_body_size;
	time_t			 m_start;
} smf_metrics = {
	.m_last_reload_ok = true,
	.m_sign_time = { smf_duration_bounds, SMF_NDURATION, 1e-6 },
	.m_verify_time = { smf_duration_bounds, SMF_NDURATION, 1e-6 },
	.m_body_size = { smf_size_bounds, SMF_NSIZE, 1 },
};

const char *
smf_outcome_name(enum smf_outcome outcome)
{
	if (outcome < 0 || outcome >= SMF_OUTCOME_COUNT)
		return "none";
	return smf_outcome_names[outcome];
}

const char *
smf_reason_name(enum smf_reason reason)
{
	if (reason < 0 || reason >= SMF_REASON_COUNT)
		return "other";
	return smf_reason_names[reason];
}

enum smf_reason
smf_reason_of_status(smime_status status)
{
	switch (status) {
	case SMIME_OK:
		return SMF_REASON_NONE;
	case SMIME_SYNTAX:
		return SMF_REASON_SYNTAX;
	case SMIME_UNSUPPORTED:
		return SMF_REASON_UNSUPPORTED;
	case SMIME_LIMIT:
		return SMF_REASON_LIMIT;
	case SMIME_TEMPFAIL:
		return SMF_REASON_TEMPFAIL;
	case SMIME_BADKEY:
		return SMF_REASON_BAD_KEY;
	case SMIME_NORESOURCE:
		return SMF_REASON_OUT_OF_MEMORY;
	case SMIME_REVOKED:
		return SMF_REASON_IDENTITY_REVOKED;
	case SMIME_INTERNAL:
		return SMF_REASON_INTERNAL;
	default:
		return SMF_REASON_OTHER;
	}
}

void
smf_metrics_init(void)
{
	smf_metrics.m_start = time(NULL);
}

/* Count raw value v into h. */
static void
smf_hist_observe(struct smf_hist *h, uint64_t v)
{
	size_t i;

	for (i = 0; i < h->h_nbounds; i++)
		if ((double)v * h->h_scale <= h->h_bounds[i])
			break;
	atomic_fetch_add_explicit(&h->h_buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->h_sum, v, memory_order_relaxed);
}

void
smf_metrics_message(enum smf_outcome outcome, enum smf_reason reason,
    int result, uint64_t body_bytes, uint64_t sign_us, uint64_t verify_us)
{
	if (outcome < 0 || outcome >= SMF_OUTCOME_COUNT)
		return;
	if (reason < 0 || reason >= SMF_REASON_COUNT)
		reason = SMF_REASON_OTHER;
	atomic_fetch_add_explicit(&smf_metrics.m_messages[outcome][reason], 1,
	    memory_order_relaxed);
	if (result >= 0 && result < (int)SMF_NRESULTS)
		atomic_fetch_add_explicit(&smf_metrics.m_results[result], 1,
		    memory_order_relaxed);
	smf_hist_observe(&smf_metrics.m_body_size, body_bytes);
	if (sign_us > 0)
		smf_hist_observe(&smf_metrics.m_sign_time, sign_us);
	if (verify_us > 0)
		smf_hist_observe(&smf_metrics.m_verify_time, verify_us);
	if (outcome == SMF_OUTCOME_TEMPFAILED)
		atomic_fetch_add_explicit(&smf_metrics.m_tempfail_streak, 1,
		    memory_order_relaxed);
	else
		atomic_store_explicit(&smf_metrics.m_tempfail_streak, 0,
		    memory_order_relaxed);
}

void
smf_metrics_reload(bool ok)
{
	atomic_fetch_add_explicit(&smf_metrics.m_reloads[ok ? 1 : 0], 1,
	    memory_order_relaxed);
	atomic_store(&smf_metrics.m_last_reload_ok, ok);
}

uint64_t
smf_metrics_tempfail_streak(void)
{
	return atomic_load_explicit(&smf_metrics.m_tempfail_streak,
	    memory_order_relaxed);
}

/* ---- rendering ---- */

/* "# HELP" and "# TYPE" lines of a family. */
static void
smf_family(struct smf_buf *b, const char *name, const char *type,
    const char *help)
{
	smf_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static uint64_t
smf_load(atomic_uint_least64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* A histogram family; labels is "" or "name=\"value\"" (no braces). */
static void
smf_render_hist(struct smf_buf *b, const char *name, const char *help,
    struct smf_hist *h)
{
	uint64_t cum = 0;
	size_t i;

	smf_family(b, name, "histogram", help);
	for (i = 0; i <= h->h_nbounds; i++) {
		cum += smf_load(&h->h_buckets[i]);
		if (i < h->h_nbounds)
			smf_buf_printf(b, "%s_bucket{le=\"%.10g\"} %llu\n",
			    name, h->h_bounds[i], (unsigned long long)cum);
		else
			smf_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n",
			    name, (unsigned long long)cum);
	}
	if (h->h_scale == 1)
		smf_buf_printf(b, "%s_sum %llu\n", name,
		    (unsigned long long)smf_load(&h->h_sum));
	else
		smf_buf_printf(b, "%s_sum %.6f\n", name,
		    (double)smf_load(&h->h_sum) * h->h_scale);
	smf_buf_printf(b, "%s_count %llu\n", name, (unsigned long long)cum);
}

static void
smf_render_messages(struct smf_buf *b)
{
	uint64_t v;
	int o, r;

	smf_family(b, "smime_milter_messages_total", "counter",
	    "Messages that reached end of message, by outcome and reason.");
	for (o = 0; o < SMF_OUTCOME_COUNT; o++) {
		for (r = 0; r < SMF_REASON_COUNT; r++) {
			v = smf_load(&smf_metrics.m_messages[o][r]);
			/* The two success series always, others once seen. */
			if (v == 0 && !(r == SMF_REASON_NONE &&
			    (o == SMF_OUTCOME_SIGNED ||
			    o == SMF_OUTCOME_VERIFIED)))
				continue;
			smf_buf_printf(b, "smime_milter_messages_total"
			    "{outcome=\"%s\",reason=\"%s\"} %llu\n",
			    smf_outcome_names[o], smf_reason_names[r],
			    (unsigned long long)v);
		}
	}
	smf_family(b, "smime_milter_verify_results_total", "counter",
	    "Verified messages by their smime= result (the worst signature "
	    "of the message).");
	for (r = 0; r < (int)SMF_NRESULTS; r++)
		smf_buf_printf(b, "smime_milter_verify_results_total"
		    "{result=\"%s\"} %llu\n",
		    smime_result_name((enum smime_result)r),
		    (unsigned long long)smf_load(&smf_metrics.m_results[r]));
}

static void
smf_render_runtime(struct smf_buf *b, time_t now)
{
	struct smf_runtime *rt = smf_runtime_acquire();
	struct smf_idsum sum;

	memset(&sum, 0, sizeof(sum));
	if (rt != NULL)
		smf_identity_summary(rt->rt_ids, now, &sum);
	smf_family(b, "smime_milter_identities_loaded", "gauge",
	    "Signing identities in the running configuration.");
	smf_buf_printf(b, "smime_milter_identities_loaded %zu\n",
	    sum.is_loaded);
	smf_family(b, "smime_milter_identities_usable", "gauge",
	    "Signing identities whose certificate is valid now and not "
	    "marked revoked.");
	smf_buf_printf(b, "smime_milter_identities_usable %zu\n",
	    sum.is_usable);
	smf_family(b, "smime_milter_identity_earliest_expiry_days", "gauge",
	    "Days until the earliest expiry among the identities not marked "
	    "revoked (negative: already expired); absent without identities.");
	if (sum.is_have_expiry)
		smf_buf_printf(b, "smime_milter_identity_earliest_expiry_days "
		    "%.3f\n", (double)(sum.is_earliest - now) / 86400.0);
	smf_family(b, "smime_milter_identity_earliest_expiry_timestamp_seconds",
	    "gauge", "notAfter of that certificate, seconds since 1970.");
	if (sum.is_have_expiry)
		smf_buf_printf(b, "smime_milter_identity_earliest_expiry_"
		    "timestamp_seconds %lld\n", (long long)sum.is_earliest);
	smf_family(b, "smime_milter_config_generation", "gauge",
	    "Generation of the running configuration (1 at start, +1 per "
	    "successful reload).");
	smf_buf_printf(b, "smime_milter_config_generation %lu\n",
	    rt != NULL ? rt->rt_generation : 0UL);
	smf_runtime_release(rt);
}

void
smf_metrics_render(struct smf_buf *b, time_t now)
{
	smf_render_messages(b);
	smf_render_hist(b, "smime_milter_sign_duration_seconds",
	    "Time spent signing a message (CMS and MIME work, not the "
	    "transfer).", &smf_metrics.m_sign_time);
	smf_render_hist(b, "smime_milter_verify_duration_seconds",
	    "Time spent verifying a message, revocation checks included.",
	    &smf_metrics.m_verify_time);
	smf_render_hist(b, "smime_milter_message_body_bytes",
	    "Body size of the messages that reached end of message.",
	    &smf_metrics.m_body_size);
	smf_render_runtime(b, now);
	smf_family(b, "smime_milter_reloads_total", "counter",
	    "Configuration reloads (SIGHUP) by result.");
	smf_buf_printf(b, "smime_milter_reloads_total{result=\"success\"} "
	    "%llu\n", (unsigned long long)smf_load(&smf_metrics.m_reloads[1]));
	smf_buf_printf(b, "smime_milter_reloads_total{result=\"failure\"} "
	    "%llu\n", (unsigned long long)smf_load(&smf_metrics.m_reloads[0]));
	smf_family(b, "smime_milter_last_reload_successful", "gauge",
	    "1 when the last reload succeeded or none was tried, else 0 "
	    "(the previous configuration is still running).");
	smf_buf_printf(b, "smime_milter_last_reload_successful %d\n",
	    atomic_load(&smf_metrics.m_last_reload_ok) ? 1 : 0);
	smf_family(b, "smime_milter_tempfail_streak", "gauge",
	    "Messages in a row, up to now, that were temp-failed.");
	smf_buf_printf(b, "smime_milter_tempfail_streak %llu\n",
	    (unsigned long long)smf_metrics_tempfail_streak());
	smf_family(b, "smime_milter_start_time_seconds", "gauge",
	    "Start of the daemon, seconds since 1970.");
	smf_buf_printf(b, "smime_milter_start_time_seconds %lld\n",
	    (long long)smf_metrics.m_start);
	smf_family(b, "smime_milter_build_info", "gauge",
	    "Always 1; the labels name the version and the OpenSSL library.");
	smf_buf_printf(b, "smime_milter_build_info{version=\"");
	smf_buf_label(b, PACKAGE_VERSION);
	smf_buf_printf(b, "\",openssl=\"");
	smf_buf_label(b, OpenSSL_version(OPENSSL_VERSION));
	smf_buf_printf(b, "\"} 1\n");
}

int
smf_metrics_write_textfile(const char *path, char *errbuf, size_t errlen)
{
	struct smf_buf b = { NULL, 0, 0, false };
	char tmp[4096];
	size_t off = 0;
	ssize_t n;
	int fd = -1, ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(errbuf, errlen, "%s: path too long", path);
		return -1;
	}
	smf_metrics_render(&b, time(NULL));
	if (b.sb_failed) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		goto out;
	}
	/* node_exporter reads only *.prom: the temporary name is skipped. */
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) < 0) {
		snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < b.sb_len) {
		n = write(fd, b.sb_data + off, b.sb_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(errbuf, errlen, "%s: %s", tmp,
			    n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		snprintf(errbuf, errlen, "rename %s: %s", path,
		    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret != 0)
		(void)unlink(tmp);
	smf_buf_free(&b);
	return ret;
}
