/*
 * log.h - structured log records (log_format = "json" | "logfmt") and
 * the log target (log_target), beside smf_log() in smf.h.  A record is
 * built key by key into a struct smf_buf and written as one line.
 * Keys are plain ASCII chosen by the caller; values are escaped here.
 */
#ifndef SMF_LOG_H
#define SMF_LOG_H

#include <stdbool.h>

#include "milter/textbuf.h"

/* Use format (enum conf_log_format) and target (enum conf_log_target). */
void smf_log_configure(int format, int target);

/* True when log_format is json or logfmt. */
bool smf_log_structured(void);

/* True when a line of this syslog priority would be logged. */
bool smf_log_enabled(int priority);

/* "err", "warning", "notice", "info" or "debug". */
const char *smf_log_level_name(int priority);

/*
 * One record being built.  The format and target are taken once at the
 * start, so that a reload switching log_format never mixes two formats
 * in one line.
 */
struct smf_logrec {
	struct smf_buf	lr_buf;
	int		lr_format;	/* enum conf_log_format */
	int		lr_target;	/* enum conf_log_target */
};

/* Start a record in r (zeroed here) with the "ts" and "level" keys. */
void smf_log_record_begin(struct smf_logrec *r, int priority);

/* Add key with a string value (NULL: JSON null, logfmt ""). */
void smf_log_kv(struct smf_logrec *r, const char *key, const char *value);

/* Add key with a number already formatted ("12.345"), written bare. */
void smf_log_kv_number(struct smf_logrec *r, const char *key,
    const char *number);

/* Finish the record, write it to the target and free it. */
void smf_log_record_end(int priority, struct smf_logrec *r);

#endif /* SMF_LOG_H */
