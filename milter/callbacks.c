/*
 * callbacks.c - the only code that talks to libmilter.  Each callback
 * fetches its context, hands the event to smf_msg_*() and maps the
 * verdict; edits are applied through a libmilter-backed smf_editor.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include <libmilter/mfapi.h>

#include "milter/smf.h"

/* Per-connection state: the runtime generation it started with. */
struct smf_conn {
	struct smf_runtime	*cctx_rt;
	char			*cctx_client_addr;
	struct smf_msg		*cctx_msg;
	/*
	 * No reply per header field, when the MTA offers it (Postfix
	 * does): a header of 60,000 fields costs one message per field
	 * less.  A failure while taking a field in is then remembered on
	 * the message and becomes a temporary failure at end of message.
	 */
	bool			 cctx_nr_hdr;
	/*
	 * Likewise for MAIL FROM and each body chunk: every round trip the
	 * MTA need not wait for is a wake-up, a read and a write less per
	 * message (small mail is bound by them).  Failures there are kept
	 * for end of message the same way.
	 */
	bool			 cctx_nr_mail;
	bool			 cctx_nr_body;
	bool			 cctx_nr_rcpt;	/* likewise per recipient */
};

static sfsistat
smf_sfsistat(enum smf_verdict verdict)
{
	switch (verdict) {
	case SMF_CONTINUE:
		return SMFIS_CONTINUE;
	case SMF_TEMPFAIL:
		return SMFIS_TEMPFAIL;
	case SMF_REJECT:
		return SMFIS_REJECT;
	case SMF_ACCEPT:
	default:
		return SMFIS_ACCEPT;
	}
}

static void
smf_conn_free(struct smf_conn *conn)
{
	if (conn == NULL)
		return;
	smf_msg_free(conn->cctx_msg);
	smf_runtime_release(conn->cctx_rt);
	free(conn->cctx_client_addr);
	free(conn);
}

/* Numeric client address from the macro, else from the socket address. */
static char *
smf_client_addr(SMFICTX *ctx, const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	const char *macro = smfi_getsymval(ctx, "{client_addr}");

	if (macro != NULL && *macro != '\0')
		return strdup(macro);
	if (sa == NULL)
		return NULL;
	if (sa->sa_family == AF_INET && inet_ntop(AF_INET,
	    &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
	    sizeof(buf)) != NULL)
		return strdup(buf);
	if (sa->sa_family == AF_INET6 && inet_ntop(AF_INET6,
	    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
	    sizeof(buf)) != NULL)
		return strdup(buf);
	return NULL;
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	/*
	 * Not SMFIP_NOEOH, although we have no end-of-header callback:
	 * miltertest(8), the tool admins test milters with, sends EOH
	 * whatever was negotiated, and libmilter then drops the connection.
	 * RCPT is wanted: the signing policy by destination needs the
	 * envelope recipients (sign.destinations).
	 */
	unsigned long skip = SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOHELO |
	    SMFIP_SKIP;
	unsigned long noreply = SMFIP_NR_HDR | SMFIP_NR_MAIL | SMFIP_NR_BODY |
	    SMFIP_NR_RCPT;
	struct smf_conn *conn;

	(void)f2;
	(void)f3;
	if ((f0 & want) != want) {
		smf_log(LOG_ERR, NULL, "MTA does not offer header and body "
		    "changes (actions 0x%lx); cannot sign or add results", f0);
		return SMFIS_REJECT;
	}
	/* The connection state starts here, so that it can remember what
	 * was agreed; mlfi_connect() completes it. */
	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return SMFIS_TEMPFAIL;
	conn->cctx_nr_hdr = (f1 & SMFIP_NR_HDR) != 0;
	conn->cctx_nr_mail = (f1 & SMFIP_NR_MAIL) != 0;
	conn->cctx_nr_body = (f1 & SMFIP_NR_BODY) != 0;
	conn->cctx_nr_rcpt = (f1 & SMFIP_NR_RCPT) != 0;
	smfi_setpriv(ctx, conn);
	*pf0 = want;
	*pf1 = f1 & (skip | noreply);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	struct smf_conn *conn;

	(void)hostname;
	if ((conn = smfi_getpriv(ctx)) == NULL) {	/* no negotiation */
		if ((conn = calloc(1, sizeof(*conn))) == NULL)
			return SMFIS_TEMPFAIL;
		smfi_setpriv(ctx, conn);
	}
	if (conn->cctx_rt == NULL &&
	    (conn->cctx_rt = smf_runtime_acquire()) == NULL)
		return SMFIS_TEMPFAIL;
	free(conn->cctx_client_addr);
	conn->cctx_client_addr = smf_client_addr(ctx, hostaddr);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct smf_conn *conn = smfi_getpriv(ctx);

	enum smf_verdict verdict;

	(void)argv;
	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	smf_msg_free(conn->cctx_msg);
	conn->cctx_msg = smf_msg_new(conn->cctx_rt, conn->cctx_client_addr);
	if (conn->cctx_msg == NULL) {
		/* Without a message, end of message temp-fails. */
		smf_log(LOG_ERR, NULL, "out of memory starting a message");
		return conn->cctx_nr_mail ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
	}
	smf_msg_set_qid(conn->cctx_msg, smfi_getsymval(ctx, "i"));
	verdict = smf_msg_envfrom(conn->cctx_msg,
	    smfi_getsymval(ctx, "{auth_authen}"));
	if (!conn->cctx_nr_mail)
		return smf_sfsistat(verdict);
	if (verdict != SMF_CONTINUE)
		conn->cctx_msg->msg_hdr_failed = true;	/* eom temp-fails */
	return SMFIS_NOREPLY;
}

/*
 * Each envelope recipient, as the MTA accepted it, for the signing
 * policy by destination.  The envelope is the truth (Bcc recipients are
 * only there); the recipient never changes the verdict here.
 */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct smf_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL || conn->cctx_msg == NULL)
		return conn != NULL && conn->cctx_nr_rcpt ? SMFIS_NOREPLY :
		    SMFIS_TEMPFAIL;
	(void)smf_msg_rcpt(conn->cctx_msg, argv != NULL ? argv[0] : NULL);
	return conn->cctx_nr_rcpt ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct smf_conn *conn = smfi_getpriv(ctx);

	enum smf_verdict verdict;

	if (conn == NULL || conn->cctx_msg == NULL)
		return conn != NULL && conn->cctx_nr_hdr ? SMFIS_NOREPLY :
		    SMFIS_TEMPFAIL;
	verdict = smf_msg_header(conn->cctx_msg, name, value);
	if (conn->cctx_nr_hdr) {
		/* Remembered by the message: eom temp-fails it. */
		return SMFIS_NOREPLY;
	}
	return smf_sfsistat(verdict);
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct smf_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL || conn->cctx_msg == NULL)
		return conn != NULL && conn->cctx_nr_body ? SMFIS_NOREPLY :
		    SMFIS_TEMPFAIL;
	/* A chunk that cannot be spooled is remembered: eom temp-fails. */
	(void)smf_msg_body(conn->cctx_msg, chunk, len);
	return conn->cctx_nr_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* ---- the libmilter editor ---- */

static int
smf_mlfi_delete(void *arg, const char *name, size_t index)
{
	return smfi_chgheader(arg, (char *)name, (int)index, NULL) ==
	    MI_SUCCESS ? 0 : -1;
}

static int
smf_mlfi_insert(void *arg, size_t pos, const char *name, const char *value)
{
	return smfi_insheader(arg, (int)pos, (char *)name, (char *)value) ==
	    MI_SUCCESS ? 0 : -1;
}

static int
smf_mlfi_append(void *arg, const char *name, const char *value)
{
	return smfi_addheader(arg, (char *)name, (char *)value) ==
	    MI_SUCCESS ? 0 : -1;
}

static int
smf_mlfi_body(void *arg, const unsigned char *chunk, size_t len)
{
	return smfi_replacebody(arg, (unsigned char *)chunk, (int)len) ==
	    MI_SUCCESS ? 0 : -1;
}

static void
smf_set_reply(SMFICTX *ctx, enum smf_verdict verdict, const char *reply)
{
	char rcode[4], xcode[16];
	const char *text;

	if (reply == NULL || *reply == '\0' ||
	    (verdict != SMF_TEMPFAIL && verdict != SMF_REJECT))
		return;
	snprintf(rcode, sizeof(rcode), "%s", verdict == SMF_REJECT ? "550" :
	    "451");
	text = strchr(reply, ' ');
	snprintf(xcode, sizeof(xcode), "%.*s", text != NULL ?
	    (int)(text - reply) : 0, reply);
	(void)smfi_setreply(ctx, rcode, xcode, (char *)(text != NULL ?
	    text + 1 : reply));
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct smf_conn *conn = smfi_getpriv(ctx);
	struct smf_editor editor = { smf_mlfi_delete, smf_mlfi_insert,
	    smf_mlfi_append, smf_mlfi_body, ctx };
	enum smf_verdict verdict;
	struct smf_msg *msg;

	if (conn == NULL || (msg = conn->cctx_msg) == NULL)
		return SMFIS_TEMPFAIL;
	smf_msg_set_qid(msg, smfi_getsymval(ctx, "i"));
	verdict = smf_msg_eom(msg);
	if (verdict == SMF_ACCEPT || verdict == SMF_CONTINUE) {
		if (smf_apply_edits(&msg->msg_edits, &editor) != 0) {
			/* A half-applied signature must never leave. */
			smf_log(LOG_ERR, msg->msg_qid, "MTA refused a header or "
			    "body change; message deferred");
			snprintf(msg->msg_reply, sizeof(msg->msg_reply),
			    "4.7.0 S/MIME processing failed");
			verdict = SMF_TEMPFAIL;
		}
	}
	smf_set_reply(ctx, verdict, msg->msg_reply);
	smf_msg_account(msg, verdict);
	smf_msg_free(msg);
	conn->cctx_msg = NULL;
	return verdict == SMF_CONTINUE ? SMFIS_ACCEPT : smf_sfsistat(verdict);
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct smf_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL) {
		smf_msg_free(conn->cctx_msg);
		conn->cctx_msg = NULL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	smf_conn_free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

int
smf_callbacks_register(void)
{
	struct smfiDesc desc;

	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = SMF_PROGNAME;
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	desc.xxfi_connect = mlfi_connect;
	desc.xxfi_envfrom = mlfi_envfrom;
	desc.xxfi_envrcpt = mlfi_envrcpt;
	desc.xxfi_header = mlfi_header;
	desc.xxfi_body = mlfi_body;
	desc.xxfi_eom = mlfi_eom;
	desc.xxfi_abort = mlfi_abort;
	desc.xxfi_close = mlfi_close;
	desc.xxfi_negotiate = mlfi_negotiate;
	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
