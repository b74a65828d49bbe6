/*
 * mclient.h - the MTA side of the Sendmail milter protocol, version 6.
 *
 * libmilter only implements the filter side; this is the other half, as
 * Postfix's milter8.c speaks it: option negotiation, macros, connect,
 * HELO, MAIL, RCPT, DATA, one HEADER per field, EOH, BODY chunks and
 * BODYEOB, then the filter's modification requests and its verdict.
 * Steps the filter asks to skip (SMFIP_NO*) are not sent, replies it
 * asks to omit (SMFIP_NR_*) are not awaited, and SMFIR_SKIP ends the
 * body early.  Used by milterclient (one message, CLI) and by the
 * benchmark (many connections in threads); nothing here is global.
 */
#ifndef MCLIENT_H
#define MCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MC_CHUNK	65535	/* MILTER_CHUNK_SIZE: largest BODY chunk */
#define MC_ERRLEN	512

/* Final outcome of one message, as the MTA would act on it. */
enum mc_verdict {
	MC_ACCEPT,	/* accepted (continue or accept), edits applied */
	MC_TEMPFAIL,	/* 't', '4', 'y' with 4xx */
	MC_REJECT,	/* 'r', 'y' with 5xx */
	MC_DISCARD	/* 'd' */
};

/* Per-connection data (SMFIC_CONNECT, HELO and connect macros). */
struct mc_connect_info {
	const char	*ci_client_addr;	/* NULL: family unknown */
	const char	*ci_client_name;	/* NULL: "[addr]" */
	const char	*ci_helo;		/* NULL: "client.example" */
	const char	*ci_myhostname;		/* macro j, NULL: "mx.test" */
};

/* Per-message envelope and macros. */
struct mc_envelope {
	const char	 *env_qid;		/* macro i */
	const char	 *env_authuser;		/* {auth_authen}, NULL: none */
	const char	 *env_from;		/* "<a@b>" or "<>" */
	const char *const *env_rcpts;
	size_t		  env_nrcpts;
};

/* A header field as the MTA hands it over (value: no leading blank, LF folding). */
struct mc_field {
	const char	*mf_name;
	const char	*mf_value;
};

/*
 * Supplies the body already in SMTP form (CRLF line ends): fill buf with
 * up to len bytes and return the count, 0 at the end, -1 on error.
 */
typedef ssize_t mc_body_fn(void *arg, unsigned char *buf, size_t len);

/*
 * Receives the filter's end-of-message requests in the order they arrive.
 * op is 'h' (add: index unused), 'i' (insert at 0-based index), 'm'
 * (change index-th field of that name, 1-based; empty value deletes).
 * Body replacement chunks arrive through mr_body (CRLF, in order).  Either
 * may be NULL to ignore.  Return 0, or -1 to abort the message.
 */
struct mc_result_ops {
	int	(*mr_header)(void *arg, char op, uint32_t index,
		    const char *name, const char *value);
	int	(*mr_body)(void *arg, const unsigned char *chunk, size_t len);
	void	*mr_arg;
};

struct mc_outcome {
	enum mc_verdict	 mo_verdict;
	char		 mo_reply[MC_ERRLEN];	/* SMTP reply text, if any */
	bool		 mo_body_replaced;
	bool		 mo_skipped_body;	/* filter sent SMFIR_SKIP */
	unsigned int	 mo_nedits;		/* header requests received */
	unsigned int	 mo_nprogress;
	char		 mo_stage;		/* command that got the verdict */
};

struct mc_conn;

/*
 * Connect to spec ("unix:/path", "local:/path", "/path", "inet:PORT@HOST",
 * "inet:HOST:PORT", "inet6:PORT@HOST"), negotiate protocol version 6
 * offering every action and protocol step, then send the connection
 * events of ci.  timeout_ms bounds every read and write.  Returns a new
 * connection (free with mc_close()) or NULL with the reason in err.
 */
struct mc_conn *mc_open(const char *spec, const struct mc_connect_info *ci,
    int timeout_ms, bool verbose, char *err, size_t errlen);

/*
 * Run one message: envelope, header fields, body from body_fn, then
 * collect the filter's requests through ops until its verdict.  Returns
 * 0 with *out filled, or -1 on a protocol or I/O error (text from
 * mc_error()); the connection is unusable after -1.
 */
int mc_message(struct mc_conn *conn, const struct mc_envelope *env,
    const struct mc_field *fields, size_t nfields, mc_body_fn *body_fn,
    void *body_arg, const struct mc_result_ops *ops, struct mc_outcome *out);

/* Send QUIT, close and free; accepts NULL. */
void mc_close(struct mc_conn *conn);

/* Borrow the last error text ("" when none). */
const char *mc_error(const struct mc_conn *conn);

/* Negotiated filter actions and protocol flags (for -v output and tests). */
void mc_negotiated(const struct mc_conn *conn, uint32_t *actions,
    uint32_t *protocol);

/* "accept", "tempfail", ... */
const char *mc_verdict_name(enum mc_verdict v);

#endif /* MCLIENT_H */
