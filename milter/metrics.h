/*
 * metrics.h - counters and histograms of the daemon, rendered in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * Every message that reaches end of message is counted once, by outcome
 * and reason (smf_metrics_message()).  All label values come from fixed
 * tables in metrics.c: no address, login or header text ever becomes a
 * label, so the number of series is bounded.  Counters are C11 atomics:
 * any libmilter worker thread may count while another thread renders.
 */
#ifndef SMF_METRICS_H
#define SMF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "milter/textbuf.h"
#include "smime/smime.h"

/* What became of a message (label outcome=). */
enum smf_outcome {
	SMF_OUTCOME_NONE = -1,		/* not decided yet */
	SMF_OUTCOME_SIGNED = 0,
	SMF_OUTCOME_VERIFIED,		/* verified; result counted apart */
	SMF_OUTCOME_SKIPPED,		/* passed on unchanged, by policy */
	SMF_OUTCOME_ERROR_ACCEPTED,	/* failed, passed on (on_error=accept) */
	SMF_OUTCOME_TEMPFAILED,
	SMF_OUTCOME_REJECTED,
	SMF_OUTCOME_COUNT
};

/* Why (label reason=); "none" for signed and verified messages. */
enum smf_reason {
	SMF_REASON_NONE = 0,
	SMF_REASON_ALREADY_SMIME,	/* already signed or encrypted */
	SMF_REASON_NO_FROM,		/* no single From mailbox, Sender differs */
	SMF_REASON_NO_IDENTITY,		/* no identity for the From address */
	SMF_REASON_UNAUTHORIZED,	/* login may not use the identity */
	SMF_REASON_NOT_SUBMISSION,	/* nothing to do: not a submission,
					   verification off */
	SMF_REASON_POLICY,		/* destination policy says skip */
	SMF_REASON_REQUESTED,		/* authenticated submitter asked */
	SMF_REASON_IDENTITY_REVOKED,
	SMF_REASON_HEADER_LIMIT,	/* header over max_header_bytes */
	SMF_REASON_BODY_SPOOL,		/* body could not be spooled */
	SMF_REASON_VERIFY_FAIL,		/* smime=fail with reject_fail */
	SMF_REASON_MTA_REFUSED,		/* MTA refused a header/body change */
	SMF_REASON_OUT_OF_MEMORY,
	SMF_REASON_SYNTAX,		/* smime_status values from here on */
	SMF_REASON_UNSUPPORTED,
	SMF_REASON_LIMIT,
	SMF_REASON_TEMPFAIL,
	SMF_REASON_BAD_KEY,
	SMF_REASON_INTERNAL,
	SMF_REASON_OTHER,
	SMF_REASON_COUNT
};

/* Label value of an outcome / reason ("signed", "no_identity"). */
const char *smf_outcome_name(enum smf_outcome outcome);
const char *smf_reason_name(enum smf_reason reason);

/* The reason a library status stands for (SMIME_SYNTAX -> "syntax"). */
enum smf_reason smf_reason_of_status(smime_status status);

/* Start of the process, for smime_milter_start_time_seconds. */
void smf_metrics_init(void);

/*
 * Count one finished message: outcome and reason, the smime= result
 * when it was verified (result < 0: not verified; else an enum
 * smime_result), its body size in bytes, and the time spent signing or
 * verifying in microseconds (0: neither ran).  Also feeds the temp-fail
 * streak that health.c reads.  Thread-safe.
 */
void smf_metrics_message(enum smf_outcome outcome, enum smf_reason reason,
    int result, uint64_t body_bytes, uint64_t sign_us, uint64_t verify_us);

/* Count one reload (SIGHUP) and whether it succeeded. Thread-safe. */
void smf_metrics_reload(bool ok);

/* Number of messages in a row, up to now, that were temp-failed. */
uint64_t smf_metrics_tempfail_streak(void);

/*
 * Render every metric into b (exposition format 0.0.4, "# HELP" and
 * "# TYPE" before each family), with the identity gauges taken from the
 * current runtime as of now.  Check b->sb_failed afterwards.
 */
void smf_metrics_render(struct smf_buf *b, time_t now);

/*
 * Write the rendering atomically to path (temporary file in the same
 * directory, fsync, rename), for node_exporter's textfile collector.
 * 0, or -1 with the reason in errbuf.
 */
int smf_metrics_write_textfile(const char *path, char *errbuf,
    size_t errlen);

#endif /* SMF_METRICS_H */
