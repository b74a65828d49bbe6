/*
 * testfilter - a libmilter filter that exercises every request milterclient
 * must apply, so that the client is tested against the real libmilter
 * independently of smime-milter.
 *
 *   testfilter -p SOCKET [-l] [-k]
 *
 * At end of message it replaces the body with a report of what it
 * received (macros, each header as "[name]=[value]" with LF shown as \n,
 * body byte count, whether every line ended in CRLF) followed by the
 * original body, and edits the header: insert X-Ins at the top, add a
 * folded X-Add, delete the 1st X-Del, change the 2nd X-Chg, change a
 * missing X-Missing (so appended).  Subject "reject" or "tempfail"
 * selects that verdict.  -l negotiates SMFIP_HDR_LEADSPC, -k answers the
 * first body chunk with SMFIS_SKIP.  Test code: exits on OOM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

struct tf_msg {
	char	*tm_report;	/* grows with each header */
	size_t	 tm_len;
	char	*tm_body;
	size_t	 tm_blen;
	size_t	 tm_chunks;
	int	 tm_verdict;
};

static int tf_leadspc;
static int tf_skip;

/* Append n bytes to *buf. */
static void
tf_add(char **buf, size_t *len, const char *data, size_t n)
{
	if ((*buf = realloc(*buf, *len + n + 1)) == NULL)
		exit(71);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void
tf_addstr(struct tf_msg *m, const char *s)
{
	tf_add(&m->tm_report, &m->tm_len, s, strlen(s));
}

static sfsistat
tf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx; (void)f0; (void)f2; (void)f3;
	*pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	*pf1 = (f1 & (SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NR_HDR)) |
	    (tf_leadspc ? (f1 & SMFIP_HDR_LEADSPC) : 0);
	if (tf_skip)
		*pf1 |= f1 & SMFIP_SKIP;
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
tf_envfrom(SMFICTX *ctx, char **argv)
{
	struct tf_msg *m = calloc(1, sizeof(*m));
	const char *auth, *addr, *qid;
	char line[512];

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	smfi_setpriv(ctx, m);
	auth = smfi_getsymval(ctx, "{auth_authen}");
	addr = smfi_getsymval(ctx, "{client_addr}");
	qid = smfi_getsymval(ctx, "i");
	(void)snprintf(line, sizeof(line), "from=%s auth=%s client=%s i=%s\r\n",
	    argv[0], auth ? auth : "-", addr ? addr : "-", qid ? qid : "-");
	tf_addstr(m, line);
	return SMFIS_CONTINUE;
}

static sfsistat
tf_header(SMFICTX *ctx, char *name, char *value)
{
	struct tf_msg *m = smfi_getpriv(ctx);
	const char *p;

	tf_addstr(m, "[");
	tf_addstr(m, name);
	tf_addstr(m, "]=[");
	for (p = value; *p != '\0'; p++)
		tf_add(&m->tm_report, &m->tm_len, *p == '\n' ? "\\n" : p,
		    *p == '\n' ? 2 : 1);
	tf_addstr(m, "]\r\n");
	if (strcasecmp(name, "Subject") == 0 && strstr(value, "reject"))
		m->tm_verdict = SMFIS_REJECT;
	if (strcasecmp(name, "Subject") == 0 && strstr(value, "tempfail"))
		m->tm_verdict = SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat
tf_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct tf_msg *m = smfi_getpriv(ctx);

	tf_add(&m->tm_body, &m->tm_blen, (const char *)chunk, len);
	m->tm_chunks++;
	return tf_skip ? SMFIS_SKIP : SMFIS_CONTINUE;
}

static sfsistat
tf_eom(SMFICTX *ctx)
{
	struct tf_msg *m = smfi_getpriv(ctx);
	char line[256];
	size_t i;
	int crlf = 1;

	if (m->tm_verdict == SMFIS_REJECT) {
		(void)smfi_setreply(ctx, "550", "5.7.1", "rejected by test");
		return SMFIS_REJECT;
	}
	if (m->tm_verdict == SMFIS_TEMPFAIL)
		return SMFIS_TEMPFAIL;
	for (i = 0; i < m->tm_blen; i++)
		if (m->tm_body[i] == '\n' && (i == 0 || m->tm_body[i - 1] != '\r'))
			crlf = 0;
	(void)snprintf(line, sizeof(line), "body=%zu chunks=%zu crlf=%s\r\n",
	    m->tm_blen, m->tm_chunks, crlf ? "yes" : "no");
	tf_addstr(m, line);
	if (smfi_insheader(ctx, 0, "X-Ins", "top") != MI_SUCCESS ||
	    smfi_addheader(ctx, "X-Add", "folded\n\tvalue") != MI_SUCCESS ||
	    smfi_chgheader(ctx, "X-Del", 1, NULL) != MI_SUCCESS ||
	    smfi_chgheader(ctx, "X-Chg", 2, "changed") != MI_SUCCESS ||
	    smfi_chgheader(ctx, "X-Missing", 1, "appended") != MI_SUCCESS ||
	    smfi_replacebody(ctx, (unsigned char *)m->tm_report,
	    (int)m->tm_len) != MI_SUCCESS ||
	    (m->tm_blen > 0 && smfi_replacebody(ctx,
	    (unsigned char *)m->tm_body, (int)m->tm_blen) != MI_SUCCESS))
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat
tf_close(SMFICTX *ctx)
{
	struct tf_msg *m = smfi_getpriv(ctx);

	if (m != NULL) {
		free(m->tm_report);
		free(m->tm_body);
		free(m);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc;
	const char *sock = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "klp:")) != -1) {
		if (ch == 'p')
			sock = optarg;
		else if (ch == 'l')
			tf_leadspc = 1;
		else if (ch == 'k')
			tf_skip = 1;
		else
			return 64;
	}
	if (sock == NULL)
		return 64;
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = "testfilter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	desc.xxfi_envfrom = tf_envfrom;
	desc.xxfi_header = tf_header;
	desc.xxfi_body = tf_body;
	desc.xxfi_eom = tf_eom;
	desc.xxfi_abort = tf_close;
	desc.xxfi_close = tf_close;
	desc.xxfi_negotiate = tf_negotiate;
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		return 71;
	return smfi_main() == MI_SUCCESS ? 0 : 70;
}
