/*
 * smf.h - smime-milter daemon glue shared by the libmilter callbacks and
 * test mode.
 *
 * The per-message logic (smf_msg_*) knows nothing of libmilter: the
 * callbacks in callbacks.c and the -t driver in testmode.c both feed it the
 * same events and apply the resulting struct smime_edits through a
 * struct smf_editor.  That is what makes test mode exercise the real path.
 */
#ifndef SMF_SMF_H
#define SMF_SMF_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "smime/edits.h"
#include "smime/forged.h"
#include "smime/headers.h"
#include "smime/identity.h"
#include "smime/signpolicy.h"
#include "smime/spool.h"
#include "smime/verify.h"

#define SMF_PROGNAME	"smime-milter"
#define SMF_NOQUEUE	"NOQUEUE"

/* Exit codes of test mode and the daemon (sysexits.h values). */
#define SMF_EX_OK	0
#define SMF_EX_USAGE	64
#define SMF_EX_UNAVAIL	69	/* message rejected */
#define SMF_EX_SOFTWARE	70
#define SMF_EX_OSERR	71
#define SMF_EX_TEMPFAIL	75
#define SMF_EX_CONFIG	78

/* What the MTA should do with a message. */
enum smf_verdict {
	SMF_CONTINUE,
	SMF_ACCEPT,
	SMF_TEMPFAIL,
	SMF_REJECT
};

/*
 * Everything built from one configuration file: settings, signing
 * identities and the verifier.  Immutable once published; connections hold
 * a reference so that a reload never frees what a message in flight uses.
 */
struct smf_runtime {
	struct smime_conf	*rt_conf;
	struct smime_idstore	*rt_ids;
	struct smime_verifier	*rt_verifier;	/* NULL unless mode has v */
	unsigned int		 rt_refcnt;	/* guarded by smf_runtime_lock */
	unsigned long		 rt_generation;
};

/* ---- runtime.c ---- */

/*
 * Load path and build a runtime (keys and verifier included).  On failure
 * returns NULL with the reason(s) in errbuf; warnings go to the log.
 */
struct smf_runtime *smf_runtime_load(const char *path, char *errbuf,
    size_t errlen);

/*
 * smf_runtime_load() with the verifier judging certificates as of at
 * (seconds since 1970, UTC; 0: the time of each verification), for -t -D.
 */
struct smf_runtime *smf_runtime_load_at(const char *path, time_t at,
    char *errbuf, size_t errlen);

/* Make rt the current runtime (taking over the caller's reference). */
void smf_runtime_publish(struct smf_runtime *rt);

/* Unpublish the current runtime at shutdown (dropping its reference). */
void smf_runtime_retire(void);

/* Take a reference to the current runtime; release with smf_runtime_release. */
struct smf_runtime *smf_runtime_acquire(void);

/* Drop a reference; the last one frees. Accepts NULL. */
void smf_runtime_release(struct smf_runtime *rt);

/*
 * Reload from path: on success the new runtime replaces the current one
 * and true is returned; on failure the current one stays and errbuf says
 * why.
 */
bool smf_runtime_reload(const char *path, char *errbuf, size_t errlen);

/* ---- log.c ---- */

/* Start logging: syslog always, stderr too when to_stderr. */
void smf_log_open(bool to_stderr);

/* Set the most verbose syslog priority that is still logged. */
void smf_log_set_level(int level);

/* Log one line, prefixed with the queue id when qid is not NULL. */
void smf_log(int priority, const char *qid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- message.c ---- */

/* Per-message state shared by callbacks and test mode. */
struct smf_msg {
	struct smf_runtime	*msg_rt;	/* borrowed from the connection */
	char			 msg_qid[64];
	char			*msg_client_addr;	/* NULL: unknown */
	char			*msg_authuser;		/* NULL: not logged in */
	struct smime_headers	 msg_headers;
	struct smime_spool	*msg_body;
	bool			 msg_oversize;	/* header limit hit */
	bool			 msg_body_failed; /* spool I/O error */
	bool			 msg_hdr_failed; /* a field not taken in */
	struct smime_edits	 msg_edits;	/* what eom decided */
	struct smime_forged	 msg_forged;	/* fields to remove, any path */
	char			 msg_reply[256]; /* "4.7.0 text" for non-accept */
	/* What became of it, for metrics and the summary log (account.c). */
	int			 msg_outcome;	/* enum smf_outcome */
	int			 msg_reason;	/* enum smf_reason */
	int			 msg_result;	/* enum smime_result; -1: none */
	char			 msg_identity[256]; /* address signed as */
	char			 msg_detail[256];	/* error text, "" */
	uint64_t		 msg_body_bytes;
	uint64_t		 msg_sign_us;	/* time spent signing */
	uint64_t		 msg_verify_us;	/* time spent verifying */
	struct timespec		 msg_start;	/* CLOCK_MONOTONIC */
	/* signing policy (signpolicy.h): envelope recipients so far */
	size_t			 msg_nrcpt;
	enum smime_dest_action	 msg_dest;	/* combined over them */
	char			 msg_dest_rcpt[128]; /* first that set it */
	bool			 msg_rcpt_failed; /* one not taken in */
	/* X-SMIME-Sign fields: how many (all removed), what they ask */
	size_t			 msg_signreq_count;
	bool			 msg_signreq_no;	/* every one says "no" */
};

/*
 * Record what became of msg so far (enum smf_outcome, enum smf_reason);
 * a later decision replaces an earlier one.  detail may be NULL.
 */
void smf_msg_note(struct smf_msg *msg, int outcome, int reason,
    const char *detail);

/*
 * After the verdict went to the MTA: count the message in the metrics
 * and, with log_format json or logfmt, log its summary record (queue id,
 * action, identity, login, client, result, reason, detail, duration,
 * size).  A verdict the notes do not explain (edits refused by the MTA)
 * wins over them.
 */
void smf_msg_account(struct smf_msg *msg, enum smf_verdict verdict);

/* Start a message; NULL on allocation failure. rt is borrowed. */
struct smf_msg *smf_msg_new(struct smf_runtime *rt, const char *client_addr);

/* Free a message and everything it owns; accepts NULL. */
void smf_msg_free(struct smf_msg *msg);

/* Record the queue id (NULL or empty leaves it unchanged). */
void smf_msg_set_qid(struct smf_msg *msg, const char *qid);

/* Record the SMTP AUTH login (NULL or empty: none). */
enum smf_verdict smf_msg_envfrom(struct smf_msg *msg, const char *authuser);

/*
 * One envelope recipient (RCPT TO argument, "<local@domain>" or bare, as
 * the MTA passes it): its destination rule (sign.destinations) is folded
 * into the message's signing policy with smime_dest_combine().  A
 * recipient that does not parse as an address counts as "sign" (no rule
 * can name it).  No recipients at all: "sign".  Always SMF_CONTINUE; a
 * failure to take one in (memory) temp-fails the message at eom.
 */
enum smf_verdict smf_msg_rcpt(struct smf_msg *msg, const char *rcpt);

/*
 * One header field as the MTA passed it: kept for signing/verifying up to
 * max_header_bytes, and always checked against the forged-result rule
 * (smime/forged.h), whose removals smf_msg_eom() adds on every path.
 */
enum smf_verdict smf_msg_header(struct smf_msg *msg, const char *name,
    const char *value);

/* A body chunk. */
enum smf_verdict smf_msg_body(struct smf_msg *msg, const void *data,
    size_t len);

/*
 * End of message: sign or verify as policy says and leave the changes in
 * msg->msg_edits, plus the removal of forged results whenever the message
 * is accepted.  Returns the verdict; every non-accept path is logged.
 */
enum smf_verdict smf_msg_eom(struct smf_msg *msg);

/* ---- edits.c: applying struct smime_edits ---- */

/* How edits reach the message: libmilter calls or test-mode rewriting. */
struct smf_editor {
	int	(*se_delete)(void *arg, const char *name, size_t index);
	int	(*se_insert)(void *arg, size_t pos, const char *name,
		    const char *value);
	int	(*se_append)(void *arg, const char *name, const char *value);
	int	(*se_body)(void *arg, const unsigned char *chunk, size_t len);
	void	*se_arg;
};

/*
 * Apply edits in the order libmilter requires (deletions from the highest
 * index down, prepends in order, appends, body in chunks).  Header values
 * are handed over with bare LF folding, the MTA convention.  Returns 0 or
 * -1 when an editor call failed.
 */
int smf_apply_edits(const struct smime_edits *edits,
    const struct smf_editor *editor);

/* ---- testmode.c ---- */

#define SMF_TM_MAX_RCPTS	64

struct smf_testargs {
	const char	*ta_msgfile;	/* "-" for stdin */
	const char	*ta_authuser;
	const char	*ta_client_addr;
	const char	*ta_envfrom;
	const char	*ta_rcpts[SMF_TM_MAX_RCPTS];	/* -R, in order */
	size_t		 ta_nrcpts;
};

/* Run one message through smf_msg_*; returns a SMF_EX_* exit code. */
int smf_testmode_run(struct smf_runtime *rt, const struct smf_testargs *ta);

/* ---- callbacks.c ---- */

/* Register the filter with libmilter; 0 or -1. */
int smf_callbacks_register(void);

#endif /* SMF_SMF_H */
