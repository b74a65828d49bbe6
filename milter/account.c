/*
 * account.c - what became of each message: one count in the metrics
 * (metrics.h) and, with log_format json or logfmt, one summary record
 * with stable keys (smime-milter.conf(5), LOGGING):
 *   event qid action identity login client result reason detail
 *   duration_ms size
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "milter/log.h"
#include "milter/metrics.h"
#include "milter/smf.h"

void
smf_msg_note(struct smf_msg *msg, int outcome, int reason,
    const char *detail)
{
	msg->msg_outcome = outcome;
	msg->msg_reason = reason;
	if (detail != msg->msg_detail)
		snprintf(msg->msg_detail, sizeof(msg->msg_detail), "%s",
		    detail != NULL ? detail : "");
}

/* Milliseconds since the message started, as text. */
static void
smf_msg_duration(const struct smf_msg *msg, char *buf, size_t len)
{
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - msg->msg_start.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - msg->msg_start.tv_nsec) / 1e6;
	snprintf(buf, len, "%.3f", ms < 0 ? 0.0 : ms);
}

void
smf_msg_account(struct smf_msg *msg, enum smf_verdict verdict)
{
	struct smf_logrec r;
	char num[64];

	/* The verdict the MTA got is the truth; notes give the reason. */
	if (verdict == SMF_TEMPFAIL && msg->msg_outcome !=
	    SMF_OUTCOME_TEMPFAILED)
		smf_msg_note(msg, SMF_OUTCOME_TEMPFAILED,
		    msg->msg_outcome == SMF_OUTCOME_NONE ? SMF_REASON_OTHER :
		    SMF_REASON_MTA_REFUSED, msg->msg_detail);
	else if (verdict == SMF_REJECT && msg->msg_outcome !=
	    SMF_OUTCOME_REJECTED)
		smf_msg_note(msg, SMF_OUTCOME_REJECTED, SMF_REASON_OTHER,
		    msg->msg_detail);
	else if (msg->msg_outcome == SMF_OUTCOME_NONE)
		smf_msg_note(msg, SMF_OUTCOME_SKIPPED,
		    SMF_REASON_NOT_SUBMISSION, NULL);
	smf_metrics_message(msg->msg_outcome, msg->msg_reason,
	    msg->msg_result, msg->msg_body_bytes, msg->msg_sign_us,
	    msg->msg_verify_us);
	if (!smf_log_structured() || !smf_log_enabled(LOG_INFO))
		return;
	smf_log_record_begin(&r, LOG_INFO);
	if (r.lr_format == CONF_LOG_TEXT) {	/* a reload just now */
		smf_buf_free(&r.lr_buf);
		return;
	}
	smf_log_kv(&r, "event", "message");
	smf_log_kv(&r, "qid", msg->msg_qid);
	smf_log_kv(&r, "action", smf_outcome_name(msg->msg_outcome));
	smf_log_kv(&r, "identity", msg->msg_identity[0] != '\0' ?
	    msg->msg_identity : NULL);
	smf_log_kv(&r, "login", msg->msg_authuser);
	smf_log_kv(&r, "client", msg->msg_client_addr);
	smf_log_kv(&r, "result", msg->msg_result >= 0 ?
	    smime_result_name((enum smime_result)msg->msg_result) : NULL);
	smf_log_kv(&r, "reason", smf_reason_name(msg->msg_reason));
	smf_log_kv(&r, "detail", msg->msg_detail[0] != '\0' ?
	    msg->msg_detail : NULL);
	smf_msg_duration(msg, num, sizeof(num));
	smf_log_kv_number(&r, "duration_ms", num);
	snprintf(num, sizeof(num), "%llu",
	    (unsigned long long)msg->msg_body_bytes);
	smf_log_kv_number(&r, "size", num);
	smf_log_record_end(LOG_INFO, &r);
}
