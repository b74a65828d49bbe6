/*
 * log.c - log lines with the queue id first, so that an admin can grep
 * one message's story out of mail.log; optionally as JSON or logfmt
 * records with stable keys (log_format), to syslog or to stdout/stderr
 * for containers (log_target).  smime-milter.conf(5), LOGGING.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "milter/log.h"
#include "milter/smf.h"
#include "milter/textbuf.h"

static struct {
	bool		lg_stderr;	/* -f: a copy on stderr (syslog target) */
	atomic_int	lg_level;
	atomic_int	lg_format;	/* enum conf_log_format */
	atomic_int	lg_target;	/* enum conf_log_target */
	pthread_mutex_t	lg_lock;	/* one line at a time on stdout */
} smf_logstate = { false, LOG_INFO, CONF_LOG_TEXT, CONF_LOG_SYSLOG,
    PTHREAD_MUTEX_INITIALIZER };

void
smf_log_open(bool to_stderr)
{
	smf_logstate.lg_stderr = to_stderr;
	openlog(SMF_PROGNAME, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
smf_log_set_level(int level)
{
	atomic_store(&smf_logstate.lg_level, level);
}

void
smf_log_configure(int format, int target)
{
	atomic_store(&smf_logstate.lg_format, format);
	atomic_store(&smf_logstate.lg_target, target);
}

const char *
smf_log_level_name(int priority)
{
	switch (priority) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "err";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/* "2026-11-30T06:10:00.123Z" */
static void
smf_log_time(struct smf_buf *b)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	smf_buf_printf(b, "%s.%03ldZ", when, ts.tv_nsec / 1000000);
}

/* Start a record: the time and level keys. */
void
smf_log_record_begin(struct smf_logrec *r, int priority)
{
	struct smf_buf *b = &r->lr_buf;

	memset(r, 0, sizeof(*r));
	r->lr_format = atomic_load(&smf_logstate.lg_format);
	r->lr_target = atomic_load(&smf_logstate.lg_target);
	if (r->lr_format == CONF_LOG_JSON) {
		smf_buf_printf(b, "{\"ts\":\"");
		smf_log_time(b);
		smf_buf_printf(b, "\",\"level\":\"%s\"",
		    smf_log_level_name(priority));
	} else if (r->lr_format == CONF_LOG_LOGFMT) {
		smf_buf_printf(b, "ts=");
		smf_log_time(b);
		smf_buf_printf(b, " level=%s", smf_log_level_name(priority));
	}
}

void
smf_log_kv(struct smf_logrec *r, const char *key, const char *value)
{
	struct smf_buf *b = &r->lr_buf;

	if (r->lr_format == CONF_LOG_JSON) {
		smf_buf_printf(b, ",\"%s\":", key);
		if (value == NULL)
			smf_buf_printf(b, "null");
		else
			smf_buf_json(b, value);
	} else {
		smf_buf_printf(b, " %s=", key);
		smf_buf_logfmt(b, value != NULL ? value : "");
	}
}

void
smf_log_kv_number(struct smf_logrec *r, const char *key, const char *number)
{
	if (r->lr_format == CONF_LOG_JSON)
		smf_buf_printf(&r->lr_buf, ",\"%s\":%s", key, number);
	else
		smf_buf_printf(&r->lr_buf, " %s=%s", key, number);
}

/* Write one finished line to the target; the record is freed. */
void
smf_log_record_end(int priority, struct smf_logrec *r)
{
	struct smf_buf *b = &r->lr_buf;

	if (r->lr_format == CONF_LOG_JSON)
		smf_buf_printf(b, "}");
	if (b->sb_failed) {
		smf_buf_free(b);
		return;
	}
	switch (r->lr_target) {
	case CONF_LOG_STDOUT:
	case CONF_LOG_STDERR:
		smf_buf_printf(b, "\n");
		if (b->sb_failed)
			break;
		pthread_mutex_lock(&smf_logstate.lg_lock);
		if (r->lr_target == CONF_LOG_STDOUT) {
			fwrite(b->sb_data, 1, b->sb_len, stdout);
			fflush(stdout);
		} else {
			fwrite(b->sb_data, 1, b->sb_len, stderr);
		}
		pthread_mutex_unlock(&smf_logstate.lg_lock);
		break;
	case CONF_LOG_SYSLOG:
	default:
		syslog(priority, "%s", b->sb_data);
		if (smf_logstate.lg_stderr)
			fprintf(stderr, "%s: %s\n", SMF_PROGNAME, b->sb_data);
		break;
	}
	smf_buf_free(b);
}

bool
smf_log_structured(void)
{
	return atomic_load(&smf_logstate.lg_format) != CONF_LOG_TEXT;
}

bool
smf_log_enabled(int priority)
{
	return priority <= atomic_load(&smf_logstate.lg_level);
}

void
smf_log(int priority, const char *qid, const char *fmt, ...)
{
	struct smf_logrec r;
	char line[2048];
	va_list ap;

	if (!smf_log_enabled(priority))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	smf_log_record_begin(&r, priority);
	if (r.lr_format != CONF_LOG_TEXT) {
		smf_log_kv(&r, "qid", qid);
		smf_log_kv(&r, "msg", line);
		smf_log_record_end(priority, &r);
		return;
	}
	if (r.lr_target != CONF_LOG_SYSLOG) {
		/* No syslog to escape for us: no control characters. */
		smf_log_time(&r.lr_buf);
		smf_buf_printf(&r.lr_buf, " %s %s: ",
		    smf_log_level_name(priority), SMF_PROGNAME);
		if (qid != NULL)
			smf_buf_printf(&r.lr_buf, "%s: ", qid);
		smf_buf_plain(&r.lr_buf, line);
		smf_log_record_end(priority, &r);
		return;
	}
	smf_buf_free(&r.lr_buf);
	if (qid != NULL) {
		syslog(priority, "%s: %s", qid, line);
		if (smf_logstate.lg_stderr)
			fprintf(stderr, "%s: %s: %s\n", SMF_PROGNAME, qid, line);
	} else {
		syslog(priority, "%s", line);
		if (smf_logstate.lg_stderr)
			fprintf(stderr, "%s: %s\n", SMF_PROGNAME, line);
	}
}
