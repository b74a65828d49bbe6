/*
 * mclient.c - the MTA side of the milter protocol (see mclient.h).
 *
 * Wire format: every packet is a 4-byte big-endian length (command byte
 * included), one command byte and the data.  Strings are NUL-terminated.
 * Behaviour follows Postfix's milter8.c where the protocol leaves a
 * choice: macros are sent even for skipped events, SMFIR_ACCEPT during
 * connect/HELO accepts the whole connection, a message that ends before
 * BODYEOB is closed with SMFIC_ABORT before the next one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "test/client/mclient.h"

/* Largest reply we accept; libmilter never sends more than 64 KB chunks. */
#define MC_MAX_PACKET	(16u * 1024 * 1024)

/* Everything we can do, offered at negotiation. */
#define MC_OFFER_ACTIONS	SMFI_CURR_ACTS
#define MC_OFFER_PROTOCOL	SMFI_CURR_PROT

enum mc_connstate {
	MC_CS_OPEN,		/* talking to the filter */
	MC_CS_ACCEPTED,		/* filter accepted the whole connection */
	MC_CS_REFUSED		/* filter rejected/tempfailed the connection */
};

struct mc_buf {
	unsigned char	*b_data;
	size_t		 b_len;
	size_t		 b_cap;
};

struct mc_conn {
	int			 cc_fd;
	int			 cc_timeout;	/* ms */
	bool			 cc_verbose;
	uint32_t		 cc_actions;	/* what the filter may do */
	uint32_t		 cc_protocol;	/* steps/replies it skips */
	enum mc_connstate	 cc_state;
	enum mc_verdict		 cc_conn_verdict; /* for MC_CS_REFUSED */
	char			 cc_conn_reply[MC_ERRLEN];
	bool			 cc_need_abort;	/* message ended early */
	struct mc_buf		 cc_out;	/* command being built */
	struct mc_buf		 cc_in;		/* last reply's data */
	char			 cc_err[MC_ERRLEN];
};

/* Result of reading replies to one command. */
enum mc_step {
	MC_STEP_CONTINUE,
	MC_STEP_SKIP,
	MC_STEP_FINAL,		/* verdict in the outcome */
	MC_STEP_ERROR
};

static void
mc_seterr(struct mc_conn *conn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record an error text on the connection. */
static void
mc_seterr(struct mc_conn *conn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(conn->cc_err, sizeof(conn->cc_err), fmt, ap);
	va_end(ap);
}

/* Make room for n more bytes in b; -1 on allocation failure. */
static int
mc_buf_reserve(struct mc_buf *b, size_t n)
{
	size_t cap;
	unsigned char *p;

	if (b->b_cap - b->b_len >= n)
		return 0;
	cap = b->b_cap == 0 ? 256 : b->b_cap;
	while (cap - b->b_len < n)
		cap *= 2;
	if ((p = realloc(b->b_data, cap)) == NULL)
		return -1;
	b->b_data = p;
	b->b_cap = cap;
	return 0;
}

/* Append n bytes; -1 on allocation failure. */
static int
mc_buf_add(struct mc_buf *b, const void *data, size_t n)
{
	if (mc_buf_reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->b_data + b->b_len, data, n);
	b->b_len += n;
	return 0;
}

/* Append a string with its NUL. */
static int
mc_buf_str(struct mc_buf *b, const char *s)
{
	return mc_buf_add(b, s, strlen(s) + 1);
}

/* Append a 32-bit value in network order. */
static int
mc_buf_u32(struct mc_buf *b, uint32_t v)
{
	uint32_t n = htonl(v);

	return mc_buf_add(b, &n, sizeof(n));
}

/* Wait until fd is ready for events; -1 with the reason on timeout/error. */
static int
mc_wait(struct mc_conn *conn, short events)
{
	struct pollfd pfd;
	int n;

	pfd.fd = conn->cc_fd;
	pfd.events = events;
	do
		n = poll(&pfd, 1, conn->cc_timeout);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		mc_seterr(conn, "timeout after %d ms waiting for the filter",
		    conn->cc_timeout);
		return -1;
	}
	if (n < 0) {
		mc_seterr(conn, "poll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Write all of data; -1 on error or timeout. */
static int
mc_write_all(struct mc_conn *conn, const unsigned char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if (mc_wait(conn, POLLOUT) != 0)
			return -1;
		n = send(conn->cc_fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			mc_seterr(conn, "write to filter: %s", strerror(errno));
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes; -1 on error, timeout or early EOF. */
static int
mc_read_all(struct mc_conn *conn, unsigned char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if (mc_wait(conn, POLLIN) != 0)
			return -1;
		n = recv(conn->cc_fd, data, len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			mc_seterr(conn, "read from filter: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			mc_seterr(conn, "filter closed the connection");
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send command cmd with len bytes of data. */
static int
mc_send(struct mc_conn *conn, char cmd, const void *data, size_t len)
{
	unsigned char hdr[5];
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(hdr, &n, 4);
	hdr[4] = (unsigned char)cmd;
	if (conn->cc_verbose)
		fprintf(stderr, "milterclient: -> %c (%zu bytes)\n", cmd, len);
	/* Small commands go out in one write so that TCP sends one segment. */
	if (len <= 1024) {
		unsigned char small[1029];

		memcpy(small, hdr, 5);
		if (len > 0)
			memcpy(small + 5, data, len);
		return mc_write_all(conn, small, len + 5);
	}
	if (mc_write_all(conn, hdr, sizeof(hdr)) != 0)
		return -1;
	return mc_write_all(conn, data, len);
}

/* Send the command built in cc_out and reset the buffer. */
static int
mc_send_out(struct mc_conn *conn, char cmd)
{
	int rc = mc_send(conn, cmd, conn->cc_out.b_data, conn->cc_out.b_len);

	conn->cc_out.b_len = 0;
	return rc;
}

/*
 * Read one reply into cc_in (NUL-terminated one byte past the data, for
 * string parsing) and its command into *cmd.
 */
static int
mc_recv(struct mc_conn *conn, char *cmd)
{
	unsigned char hdr[5];
	uint32_t len;

	if (mc_read_all(conn, hdr, sizeof(hdr)) != 0)
		return -1;
	memcpy(&len, hdr, 4);
	len = ntohl(len);
	if (len < 1 || len > MC_MAX_PACKET) {
		mc_seterr(conn, "bad reply length %u", (unsigned int)len);
		return -1;
	}
	*cmd = (char)hdr[4];
	conn->cc_in.b_len = 0;
	if (mc_buf_reserve(&conn->cc_in, len) != 0) {
		mc_seterr(conn, "out of memory");
		return -1;
	}
	if (mc_read_all(conn, conn->cc_in.b_data, len - 1) != 0)
		return -1;
	conn->cc_in.b_len = len - 1;
	conn->cc_in.b_data[len - 1] = '\0';
	if (conn->cc_verbose)
		fprintf(stderr, "milterclient: <- %c (%u bytes)\n", *cmd,
		    (unsigned int)(len - 1));
	return 0;
}

/* Send a macro definition for stage; pairs is NULL-terminated name,value. */
static int
mc_macros(struct mc_conn *conn, char stage, const char *const *pairs)
{
	struct mc_buf *b = &conn->cc_out;
	size_t i;
	int rc = 0;

	rc |= mc_buf_add(b, &stage, 1);
	for (i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
		rc |= mc_buf_str(b, pairs[i]);
		rc |= mc_buf_str(b, pairs[i + 1]);
	}
	if (rc != 0) {
		mc_seterr(conn, "out of memory");
		return -1;
	}
	return mc_send_out(conn, SMFIC_MACRO);
}

/* Parse "name\0value\0" at p (inside cc_in); -1 when malformed. */
static int
mc_parse_nv(struct mc_conn *conn, size_t off, const char **name,
    const char **value)
{
	const char *base = (const char *)conn->cc_in.b_data;
	size_t len = conn->cc_in.b_len;
	const char *nul;

	if (off >= len || (nul = memchr(base + off, '\0', len - off)) == NULL)
		goto bad;
	*name = base + off;
	off = (size_t)(nul - base) + 1;
	if (off >= len || memchr(base + off, '\0', len - off) == NULL)
		goto bad;
	*value = base + off;
	return 0;
bad:
	mc_seterr(conn, "malformed header request");
	return -1;
}

/* Handle an end-of-message modification request; -1 on error. */
static int
mc_edit(struct mc_conn *conn, char cmd, const struct mc_result_ops *ops,
    struct mc_outcome *out)
{
	const unsigned char *d = conn->cc_in.b_data;
	const char *name, *value;
	uint32_t index = 0;
	size_t off = 0;

	switch (cmd) {
	case SMFIR_REPLBODY:
		out->mo_body_replaced = true;
		if (ops->mr_body != NULL &&
		    ops->mr_body(ops->mr_arg, d, conn->cc_in.b_len) != 0) {
			mc_seterr(conn, "cannot store replacement body");
			return -1;
		}
		return 0;
	case SMFIR_CHGHEADER:
	case SMFIR_INSHEADER:
		if (conn->cc_in.b_len < 4) {
			mc_seterr(conn, "short header request");
			return -1;
		}
		memcpy(&index, d, 4);
		index = ntohl(index);
		off = 4;
		/* FALLTHROUGH */
	case SMFIR_ADDHEADER:
		if (mc_parse_nv(conn, off, &name, &value) != 0)
			return -1;
		if (*name == '\0') {
			mc_seterr(conn, "header request without a name");
			return -1;
		}
		out->mo_nedits++;
		if (ops->mr_header != NULL &&
		    ops->mr_header(ops->mr_arg, cmd, index, name, value) != 0) {
			mc_seterr(conn, "cannot apply header request");
			return -1;
		}
		return 0;
	case SMFIR_ADDRCPT:
	case SMFIR_DELRCPT:
	case SMFIR_ADDRCPT_PAR:
	case SMFIR_CHGFROM:
		/* Envelope edits do not change the message text. */
		if (conn->cc_verbose)
			fprintf(stderr, "milterclient: envelope edit %c %s\n",
			    cmd, (const char *)d);
		return 0;
	default:
		mc_seterr(conn, "unexpected reply '%c' (0x%02x)",
		    cmd >= ' ' && cmd < 127 ? cmd : '?', (unsigned char)cmd);
		return -1;
	}
}

/* Fill out with verdict v and reply text. */
static void
mc_final(struct mc_outcome *out, enum mc_verdict v, const char *reply,
    char stage)
{
	out->mo_verdict = v;
	out->mo_stage = stage;
	(void)snprintf(out->mo_reply, sizeof(out->mo_reply), "%s", reply);
}

/*
 * Read the replies to the command stage until one decides: 'p' and 'q'
 * are absorbed, modification requests are allowed only after BODYEOB.
 * A connection-level decision (during CONNECT/HELO) sticks to conn.
 */
static enum mc_step
mc_reply(struct mc_conn *conn, char stage, const struct mc_result_ops *ops,
    struct mc_outcome *out)
{
	bool connlevel = stage == SMFIC_CONNECT || stage == SMFIC_HELO;
	const char *text;
	char cmd;

	for (;;) {
		if (mc_recv(conn, &cmd) != 0)
			return MC_STEP_ERROR;
		text = (const char *)conn->cc_in.b_data;
		switch (cmd) {
		case SMFIR_PROGRESS:
			out->mo_nprogress++;
			continue;
		case SMFIR_QUARANTINE:
			if (conn->cc_verbose)
				fprintf(stderr, "milterclient: quarantine: %s\n",
				    text);
			continue;
		case SMFIR_CONTINUE:
			return MC_STEP_CONTINUE;
		case SMFIR_SKIP:
			return MC_STEP_SKIP;
		case SMFIR_ACCEPT:
			mc_final(out, MC_ACCEPT, "", stage);
			if (connlevel)
				conn->cc_state = MC_CS_ACCEPTED;
			return MC_STEP_FINAL;
		case SMFIR_DISCARD:
			if (connlevel) {
				mc_seterr(conn, "discard during connect/helo");
				return MC_STEP_ERROR;
			}
			mc_final(out, MC_DISCARD, "", stage);
			return MC_STEP_FINAL;
		case SMFIR_REJECT:
			mc_final(out, MC_REJECT, "550 5.7.1 Command rejected",
			    stage);
			break;
		case SMFIR_TEMPFAIL:
			mc_final(out, MC_TEMPFAIL, "451 4.7.1 Service "
			    "unavailable - try again later", stage);
			break;
		case SMFIR_SHUTDOWN:
		case SMFIR_CONN_FAIL:
			mc_final(out, MC_TEMPFAIL, "421 4.7.0 Filter shut "
			    "down", stage);
			connlevel = true;
			break;
		case SMFIR_REPLYCODE:
			if ((text[0] != '4' && text[0] != '5') ||
			    text[1] < '0' || text[1] > '9' ||
			    text[2] < '0' || text[2] > '9' ||
			    (text[3] != ' ' && text[3] != '-')) {
				mc_seterr(conn, "malformed reply code: %.100s",
				    text);
				return MC_STEP_ERROR;
			}
			mc_final(out, text[0] == '4' ? MC_TEMPFAIL : MC_REJECT,
			    text, stage);
			break;
		default:
			if (stage != SMFIC_BODYEOB) {
				mc_seterr(conn, "reply '%c' to command '%c'",
				    cmd >= ' ' && cmd < 127 ? cmd : '?', stage);
				return MC_STEP_ERROR;
			}
			if (mc_edit(conn, cmd, ops, out) != 0)
				return MC_STEP_ERROR;
			continue;
		}
		/* Reject, tempfail or reply code. */
		if (connlevel) {
			conn->cc_state = MC_CS_REFUSED;
			conn->cc_conn_verdict = out->mo_verdict;
			(void)snprintf(conn->cc_conn_reply,
			    sizeof(conn->cc_conn_reply), "%s", out->mo_reply);
		}
		return MC_STEP_FINAL;
	}
}

/*
 * Send event cmd (data in cc_out) unless the filter asked to skip it
 * (noflag), then await its reply unless it asked for none (nrflag).
 */
static enum mc_step
mc_event(struct mc_conn *conn, char cmd, uint32_t noflag, uint32_t nrflag,
    const struct mc_result_ops *ops, struct mc_outcome *out)
{
	if ((conn->cc_protocol & noflag) != 0) {
		conn->cc_out.b_len = 0;
		return MC_STEP_CONTINUE;
	}
	if (mc_send_out(conn, cmd) != 0)
		return MC_STEP_ERROR;
	if ((conn->cc_protocol & nrflag) != 0)
		return MC_STEP_CONTINUE;
	return mc_reply(conn, cmd, ops, out);
}

/* Connect a socket to spec; returns the fd or -1 with err set. */
static int
mc_dial(const char *spec, struct mc_conn *conn)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	char host[256], port[32];
	const char *p, *at, *colon;
	int fd = -1, family = AF_UNSPEC;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0 ||
	    spec[0] == '/') {
		p = spec[0] == '/' ? spec : strchr(spec, ':') + 1;
		if (strlen(p) >= sizeof(sun.sun_path)) {
			mc_seterr(conn, "socket path too long: %s", p);
			return -1;
		}
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, p, strlen(p) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			mc_seterr(conn, "connect %s: %s", p, strerror(errno));
			if (fd >= 0)
				(void)close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "inet6:", 6) == 0) {
		family = AF_INET6;
		p = spec + 6;
	} else if (strncmp(spec, "inet:", 5) == 0) {
		p = spec + 5;
	} else {
		mc_seterr(conn, "unknown socket type: %s", spec);
		return -1;
	}
	/* libmilter writes PORT@HOST, Postfix HOST:PORT. */
	if ((at = strchr(p, '@')) != NULL) {
		(void)snprintf(port, sizeof(port), "%.*s", (int)(at - p), p);
		(void)snprintf(host, sizeof(host), "%s", at + 1);
	} else if ((colon = strrchr(p, ':')) != NULL) {
		(void)snprintf(host, sizeof(host), "%.*s", (int)(colon - p), p);
		(void)snprintf(port, sizeof(port), "%s", colon + 1);
	} else {
		mc_seterr(conn, "socket needs a port: %s", spec);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host[0] != '\0' ? host : "127.0.0.1", port, &hints,
	    &res) != 0) {
		mc_seterr(conn, "cannot resolve %s", spec);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		(void)close(fd);
		fd = -1;
	}
	if (fd < 0)
		mc_seterr(conn, "connect %s: %s", spec, strerror(errno));
	else
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
		    sizeof(int));
	freeaddrinfo(res);
	return fd;
}

/* Option negotiation; the filter's macro lists (if any) are ignored. */
static int
mc_negotiate(struct mc_conn *conn)
{
	const unsigned char *d;
	uint32_t v[3];
	char cmd;

	if (mc_buf_u32(&conn->cc_out, SMFI_PROT_VERSION) != 0 ||
	    mc_buf_u32(&conn->cc_out, MC_OFFER_ACTIONS) != 0 ||
	    mc_buf_u32(&conn->cc_out, MC_OFFER_PROTOCOL) != 0) {
		mc_seterr(conn, "out of memory");
		return -1;
	}
	if (mc_send_out(conn, SMFIC_OPTNEG) != 0 || mc_recv(conn, &cmd) != 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || conn->cc_in.b_len < 12) {
		mc_seterr(conn, "bad negotiation reply '%c'", cmd);
		return -1;
	}
	d = conn->cc_in.b_data;
	memcpy(v, d, 12);
	v[0] = ntohl(v[0]);
	conn->cc_actions = ntohl(v[1]);
	conn->cc_protocol = ntohl(v[2]);
	if (v[0] < 2 || v[0] > SMFI_PROT_VERSION) {
		mc_seterr(conn, "filter speaks protocol version %u",
		    (unsigned int)v[0]);
		return -1;
	}
	if ((conn->cc_actions & ~(uint32_t)MC_OFFER_ACTIONS) != 0) {
		mc_seterr(conn, "filter wants actions 0x%x we did not offer",
		    (unsigned int)conn->cc_actions);
		return -1;
	}
	if (conn->cc_verbose)
		fprintf(stderr, "milterclient: negotiated version %u actions "
		    "0x%x protocol 0x%x\n", (unsigned int)v[0],
		    (unsigned int)conn->cc_actions,
		    (unsigned int)conn->cc_protocol);
	return 0;
}

/* Send the connect macros, SMFIC_CONNECT and SMFIC_HELO. */
static int
mc_hello(struct mc_conn *conn, const struct mc_connect_info *ci)
{
	static const struct mc_result_ops noops;
	struct mc_outcome out;
	struct mc_buf *b = &conn->cc_out;
	const char *addr = ci->ci_client_addr;
	char name[300];
	const char *macros[] = { "j", ci->ci_myhostname != NULL ?
	    ci->ci_myhostname : "mx.test", "{daemon_name}", "milterclient",
	    addr != NULL ? "{client_addr}" : NULL, addr, NULL, NULL };
	enum mc_step step;
	char family = SMFIA_UNKNOWN;
	int rc = 0;

	memset(&out, 0, sizeof(out));
	if (addr != NULL)
		family = strchr(addr, ':') != NULL ? SMFIA_INET6 : SMFIA_INET;
	(void)snprintf(name, sizeof(name), "%s", ci->ci_client_name != NULL ?
	    ci->ci_client_name : "unknown");
	if (ci->ci_client_name == NULL && addr != NULL)
		(void)snprintf(name, sizeof(name), "[%s]", addr);
	if (mc_macros(conn, SMFIC_CONNECT, macros) != 0)
		return -1;
	rc |= mc_buf_str(b, name);
	rc |= mc_buf_add(b, &family, 1);
	if (family != SMFIA_UNKNOWN) {
		uint16_t port = htons(25);

		rc |= mc_buf_add(b, &port, 2);
		rc |= mc_buf_str(b, addr);
	}
	if (rc != 0) {
		mc_seterr(conn, "out of memory");
		return -1;
	}
	step = mc_event(conn, SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN,
	    &noops, &out);
	if (step == MC_STEP_CONTINUE || step == MC_STEP_SKIP) {
		if (mc_buf_str(b, ci->ci_helo != NULL ? ci->ci_helo :
		    "client.example") != 0) {
			mc_seterr(conn, "out of memory");
			return -1;
		}
		step = mc_event(conn, SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO,
		    &noops, &out);
	}
	return step == MC_STEP_ERROR ? -1 : 0;
}

struct mc_conn *
mc_open(const char *spec, const struct mc_connect_info *ci, int timeout_ms,
    bool verbose, char *err, size_t errlen)
{
	struct mc_conn *conn;

	if ((conn = calloc(1, sizeof(*conn))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	conn->cc_timeout = timeout_ms;
	conn->cc_verbose = verbose;
	if ((conn->cc_fd = mc_dial(spec, conn)) < 0 ||
	    mc_negotiate(conn) != 0 || mc_hello(conn, ci) != 0) {
		(void)snprintf(err, errlen, "%s", conn->cc_err);
		if (conn->cc_fd >= 0)
			(void)close(conn->cc_fd);
		free(conn->cc_out.b_data);
		free(conn->cc_in.b_data);
		free(conn);
		return NULL;
	}
	return conn;
}

/* MAIL, RCPT and DATA; returns the step that ended the envelope. */
static enum mc_step
mc_envelope(struct mc_conn *conn, const struct mc_envelope *env,
    const struct mc_result_ops *ops, struct mc_outcome *out)
{
	const char *mail_macros[] = { "i", env->env_qid, "{mail_addr}",
	    env->env_from, env->env_authuser != NULL ? "{auth_authen}" : NULL,
	    env->env_authuser, NULL, NULL };
	const char *rcpt_macros[] = { "{rcpt_addr}", NULL, NULL, NULL };
	const char *no_macros[] = { NULL };
	enum mc_step step;
	size_t i, refused = 0;

	if (mc_macros(conn, SMFIC_MAIL, mail_macros) != 0 ||
	    mc_buf_str(&conn->cc_out, env->env_from) != 0)
		return MC_STEP_ERROR;
	step = mc_event(conn, SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL, ops, out);
	if (step == MC_STEP_FINAL || step == MC_STEP_ERROR)
		return step;
	for (i = 0; i < env->env_nrcpts; i++) {
		rcpt_macros[1] = env->env_rcpts[i];
		if (mc_macros(conn, SMFIC_RCPT, rcpt_macros) != 0 ||
		    mc_buf_str(&conn->cc_out, env->env_rcpts[i]) != 0)
			return MC_STEP_ERROR;
		step = mc_event(conn, SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT,
		    ops, out);
		if (step == MC_STEP_ERROR)
			return step;
		/* A refused recipient ends the message only if it was the last. */
		if (step == MC_STEP_FINAL && out->mo_verdict == MC_ACCEPT)
			return step;
		if (step == MC_STEP_FINAL)
			refused++;
	}
	if (refused > 0 && refused == env->env_nrcpts)
		return MC_STEP_FINAL;
	memset(out, 0, sizeof(*out));
	if (mc_macros(conn, SMFIC_DATA, no_macros) != 0)
		return MC_STEP_ERROR;
	return mc_event(conn, SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA, ops, out);
}

/* HEADER per field and EOH. */
static enum mc_step
mc_headers(struct mc_conn *conn, const struct mc_field *fields,
    size_t nfields, const struct mc_result_ops *ops, struct mc_outcome *out)
{
	const char *no_macros[] = { NULL };
	bool leadspc = (conn->cc_protocol & SMFIP_HDR_LEADSPC) != 0;
	enum mc_step step = MC_STEP_CONTINUE;
	size_t i;

	for (i = 0; i < nfields && step == MC_STEP_CONTINUE; i++) {
		if (mc_buf_str(&conn->cc_out, fields[i].mf_name) != 0 ||
		    (leadspc && mc_buf_add(&conn->cc_out, " ", 1) != 0) ||
		    mc_buf_str(&conn->cc_out, fields[i].mf_value) != 0) {
			mc_seterr(conn, "out of memory");
			return MC_STEP_ERROR;
		}
		step = mc_event(conn, SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR,
		    ops, out);
	}
	if (step == MC_STEP_FINAL || step == MC_STEP_ERROR)
		return step;
	if (mc_macros(conn, SMFIC_EOH, no_macros) != 0)
		return MC_STEP_ERROR;
	return mc_event(conn, SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH, ops, out);
}

/* BODY chunks, BODYEOB and the end-of-message replies. */
static enum mc_step
mc_body(struct mc_conn *conn, const struct mc_envelope *env,
    mc_body_fn *body_fn, void *body_arg, const struct mc_result_ops *ops,
    struct mc_outcome *out)
{
	const char *eom_macros[] = { "i", env->env_qid, NULL, NULL };
	enum mc_step step = MC_STEP_CONTINUE;
	unsigned char *chunk = NULL;
	ssize_t n;

	if ((conn->cc_protocol & SMFIP_NOBODY) == 0) {
		if ((chunk = malloc(MC_CHUNK)) == NULL) {
			mc_seterr(conn, "out of memory");
			return MC_STEP_ERROR;
		}
		while (step == MC_STEP_CONTINUE &&
		    (n = body_fn(body_arg, chunk, MC_CHUNK)) != 0) {
			if (n < 0) {
				mc_seterr(conn, "cannot read the message body");
				step = MC_STEP_ERROR;
				break;
			}
			if (mc_buf_add(&conn->cc_out, chunk, (size_t)n) != 0) {
				mc_seterr(conn, "out of memory");
				step = MC_STEP_ERROR;
				break;
			}
			step = mc_event(conn, SMFIC_BODY, SMFIP_NOBODY,
			    SMFIP_NR_BODY, ops, out);
			if (step == MC_STEP_SKIP)
				out->mo_skipped_body = true;
		}
		free(chunk);
	}
	if (step == MC_STEP_FINAL || step == MC_STEP_ERROR)
		return step;
	if (mc_macros(conn, SMFIC_BODYEOB, eom_macros) != 0 ||
	    mc_send(conn, SMFIC_BODYEOB, NULL, 0) != 0)
		return MC_STEP_ERROR;
	step = mc_reply(conn, SMFIC_BODYEOB, ops, out);
	if (step == MC_STEP_CONTINUE || step == MC_STEP_SKIP)
		mc_final(out, MC_ACCEPT, "", SMFIC_BODYEOB);
	return step == MC_STEP_ERROR ? MC_STEP_ERROR : MC_STEP_FINAL;
}

int
mc_message(struct mc_conn *conn, const struct mc_envelope *env,
    const struct mc_field *fields, size_t nfields, mc_body_fn *body_fn,
    void *body_arg, const struct mc_result_ops *ops, struct mc_outcome *out)
{
	static const struct mc_result_ops noops;
	enum mc_step step;

	memset(out, 0, sizeof(*out));
	if (ops == NULL)
		ops = &noops;
	if (conn->cc_state == MC_CS_ACCEPTED) {
		mc_final(out, MC_ACCEPT, "", SMFIC_CONNECT);
		return 0;
	}
	if (conn->cc_state == MC_CS_REFUSED) {
		mc_final(out, conn->cc_conn_verdict, conn->cc_conn_reply,
		    SMFIC_CONNECT);
		return 0;
	}
	if (conn->cc_need_abort && mc_send(conn, SMFIC_ABORT, NULL, 0) != 0)
		return -1;
	conn->cc_need_abort = true;
	step = mc_envelope(conn, env, ops, out);
	if (step == MC_STEP_CONTINUE || step == MC_STEP_SKIP) {
		memset(out, 0, sizeof(*out));
		step = mc_headers(conn, fields, nfields, ops, out);
	}
	if (step == MC_STEP_CONTINUE || step == MC_STEP_SKIP) {
		step = mc_body(conn, env, body_fn, body_arg, ops, out);
		if (step == MC_STEP_FINAL)
			conn->cc_need_abort = false;
	}
	return step == MC_STEP_ERROR ? -1 : 0;
}

void
mc_close(struct mc_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->cc_fd >= 0) {
		if (conn->cc_need_abort)
			(void)mc_send(conn, SMFIC_ABORT, NULL, 0);
		(void)mc_send(conn, SMFIC_QUIT, NULL, 0);
		(void)close(conn->cc_fd);
	}
	free(conn->cc_out.b_data);
	free(conn->cc_in.b_data);
	free(conn);
}

const char *
mc_error(const struct mc_conn *conn)
{
	return conn != NULL ? conn->cc_err : "";
}

void
mc_negotiated(const struct mc_conn *conn, uint32_t *actions,
    uint32_t *protocol)
{
	*actions = conn->cc_actions;
	*protocol = conn->cc_protocol;
}

const char *
mc_verdict_name(enum mc_verdict v)
{
	switch (v) {
	case MC_ACCEPT:
		return "accept";
	case MC_TEMPFAIL:
		return "tempfail";
	case MC_REJECT:
		return "reject";
	case MC_DISCARD:
		return "discard";
	}
	return "?";
}
