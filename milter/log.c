/*
 * log.c - syslog (and stderr in the foreground) with the queue id first,
 * so that an admin can grep one message's story out of mail.log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "milter/smf.h"

static struct {
	bool	lg_stderr;
	int	lg_level;
} smf_logstate = { false, LOG_INFO };

void
smf_log_open(bool to_stderr)
{
	smf_logstate.lg_stderr = to_stderr;
	openlog(SMF_PROGNAME, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
smf_log_set_level(int level)
{
	smf_logstate.lg_level = level;
}

void
smf_log(int priority, const char *qid, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (priority > smf_logstate.lg_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
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
