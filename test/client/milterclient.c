/*
 * milterclient - feed one RFC 5322 message to a milter as an MTA would and
 * write the message that the MTA would then queue.
 *
 *   milterclient -s SOCKET [-A AUTHUSER] [-C CLIENTADDR] [-H HELO]
 *       [-F ENVFROM] [-R RCPT]... [-q QUEUEID] [-n COUNT] [-m PERCONN]
 *       [-o OUTFILE] [-t SECONDS] [-r] [-v] MESSAGE|-
 *
 * The message is read in chunks and sent as Postfix sends it: one HEADER
 * per field (value without the blank after the colon, folding kept as
 * LF), the body with CRLF line ends in chunks of at most 65535 bytes and a
 * final line end added when missing (-r sends the body bytes unchanged).
 * The filter's header requests are applied the way Postfix's cleanup
 * applies them (chgheader index 1-based per name, empty value deletes,
 * missing index appends; insheader index 0 = top) and a replaced body is
 * spooled to a temporary file as it arrives, so memory does not grow with
 * the message.  Output uses the input's line ends (LF or CRLF).
 *
 * -n COUNT sends the message COUNT times, -m PERCONN messages per
 * connection (0: all on one; default 1); the last result is written.
 * Exit: 0 accepted, 69 rejected, 75 tempfailed, 67 discarded, 76 filter
 * protocol/connection error, 64 usage, 66 unreadable input, 74 output error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "test/client/mclient.h"

#define EX_OK_		0
#define EX_USAGE_	64
#define EX_NOINPUT_	66
#define EX_DISCARD_	67
#define EX_REJECT_	69
#define EX_IOERR_	74
#define EX_TEMPFAIL_	75
#define EX_PROTOCOL_	76

/* A header field of the message being built. */
struct hfield {
	char	*hf_name;
	char	*hf_value;	/* as the MTA sends it: LF folding */
	char	*hf_raw;	/* original text (LF joined); NULL once edited */
	bool	 hf_dead;	/* deleted; dropped at the next compaction */
};

struct hlist {
	struct hfield	*hl_list;
	size_t		 hl_count;
	size_t		 hl_alloc;
};

/* The input message: header fields in memory, the body left in the file. */
struct message {
	FILE		*msg_fp;
	off_t		 msg_body_off;
	bool		 msg_crlf;	/* input (and so output) uses CRLF */
	struct hlist	 msg_hdrs;
};

/* Streams the body from the file in SMTP form (see body_read()). */
struct body_src {
	FILE		*bs_fp;
	bool		 bs_raw;
	bool		 bs_eof;
	bool		 bs_prev_cr;
	bool		 bs_any;
	bool		 bs_done;	/* final CRLF added */
	unsigned char	 bs_last;
	size_t		 bs_pos;
	size_t		 bs_len;
	unsigned char	 bs_buf[32768];
};

/* Collects one message's results. */
struct result {
	struct hlist	 res_hdrs;
	/* Live positions of the fields called res_del_name: a run of
	 * deletions of one name from the highest index down (what filters
	 * send) then costs O(1) each instead of a scan of the header. */
	char		*res_del_name;
	size_t		*res_del_pos;
	size_t		 res_del_count;
	size_t		 res_del_last;	/* index of the last deletion */
	FILE		*res_body;	/* replacement body (CRLF), tmpfile */
	bool		 res_replaced;
};

static void
usage(void)
{
	fprintf(stderr, "usage: milterclient -s SOCKET [-A authuser] "
	    "[-C clientaddr] [-H helo] [-F envfrom]\n"
	    "    [-R rcpt]... [-q queueid] [-n count] [-m per-connection] "
	    "[-o outfile]\n    [-t seconds] [-r] [-v] message|-\n");
	exit(EX_USAGE_);
}

/* malloc that exits: a test tool has nothing better to do on OOM. */
static void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL) {
		fprintf(stderr, "milterclient: out of memory\n");
		exit(EX_IOERR_);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* Insert a field at pos (clamped); the list takes ownership of the strings. */
static void
hlist_insert(struct hlist *hl, size_t pos, char *name, char *value,
    char *raw)
{
	if (hl->hl_count == hl->hl_alloc) {
		hl->hl_alloc = hl->hl_alloc == 0 ? 32 : hl->hl_alloc * 2;
		hl->hl_list = realloc(hl->hl_list,
		    hl->hl_alloc * sizeof(*hl->hl_list));
		if (hl->hl_list == NULL) {
			fprintf(stderr, "milterclient: out of memory\n");
			exit(EX_IOERR_);
		}
	}
	if (pos > hl->hl_count)
		pos = hl->hl_count;
	memmove(&hl->hl_list[pos + 1], &hl->hl_list[pos],
	    (hl->hl_count - pos) * sizeof(*hl->hl_list));
	hl->hl_list[pos].hf_name = name;
	hl->hl_list[pos].hf_value = value;
	hl->hl_list[pos].hf_raw = raw;
	hl->hl_list[pos].hf_dead = false;
	hl->hl_count++;
}

static void
hlist_clear(struct hlist *hl)
{
	size_t i;

	for (i = 0; i < hl->hl_count; i++) {
		free(hl->hl_list[i].hf_name);
		free(hl->hl_list[i].hf_value);
		free(hl->hl_list[i].hf_raw);
	}
	free(hl->hl_list);
	memset(hl, 0, sizeof(*hl));
}

/* Deep copy of src into an empty dst. */
static void
hlist_copy(struct hlist *dst, const struct hlist *src)
{
	size_t i;
	const struct hfield *f;

	for (i = 0; i < src->hl_count; i++) {
		f = &src->hl_list[i];
		hlist_insert(dst, dst->hl_count, xstrdup(f->hf_name),
		    xstrdup(f->hf_value), f->hf_raw ? xstrdup(f->hf_raw) : NULL);
	}
}

/*
 * Length of the field name if line starts a header field ("Name:" with
 * printable non-colon characters, blanks allowed before the colon, as
 * Postfix's is_header()), else 0.  *colon receives the colon's offset.
 */
static size_t
header_name_len(const char *line, size_t *colon)
{
	size_t i = 0, end;

	while (line[i] > ' ' && line[i] < 127 && line[i] != ':')
		i++;
	end = i;
	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (end == 0 || line[i] != ':')
		return 0;
	*colon = i;
	return end;
}

/* Strip the line end; record whether it was CRLF. */
static size_t
chomp(char *line, size_t len, bool *crlf)
{
	if (len > 0 && line[len - 1] == '\n') {
		line[--len] = '\0';
		*crlf = len > 0 && line[len - 1] == '\r';
		if (*crlf)
			line[--len] = '\0';
	}
	return len;
}

/* Append text to a malloc'ed string s with sep in between. */
static char *
append(char *s, const char *sep, const char *text)
{
	size_t a = strlen(s), b = strlen(sep), c = strlen(text);
	char *p = realloc(s, a + b + c + 1);

	if (p == NULL) {
		fprintf(stderr, "milterclient: out of memory\n");
		exit(EX_IOERR_);
	}
	memcpy(p + a, sep, b);
	memcpy(p + a + b, text, c + 1);
	return p;
}

/*
 * Read the header section of msg->msg_fp into msg->msg_hdrs and leave
 * msg_body_off at the first body byte.  A line that neither starts a
 * field nor continues one ends the header and is the first body line.
 */
static int
read_headers(struct message *msg)
{
	char *line = NULL, *value, *name, *raw;
	size_t cap = 0, len, nlen, colon;
	ssize_t n;
	off_t start;
	bool crlf = false, first = true;
	struct hlist *hl = &msg->msg_hdrs;

	for (;;) {
		start = ftello(msg->msg_fp);
		if ((n = getline(&line, &cap, msg->msg_fp)) < 0)
			break;
		len = chomp(line, (size_t)n, &crlf);
		if (first)
			msg->msg_crlf = crlf;
		first = false;
		if (len == 0) {
			start = ftello(msg->msg_fp);
			break;
		}
		if ((line[0] == ' ' || line[0] == '\t') && hl->hl_count > 0) {
			struct hfield *f = &hl->hl_list[hl->hl_count - 1];

			f->hf_value = append(f->hf_value, "\n", line);
			f->hf_raw = append(f->hf_raw, "\n", line);
			continue;
		}
		if ((nlen = header_name_len(line, &colon)) == 0)
			break;	/* first body line; start points at it */
		name = xmalloc(nlen + 1);
		memcpy(name, line, nlen);
		name[nlen] = '\0';
		value = line + colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		raw = xstrdup(line);
		hlist_insert(hl, hl->hl_count, name, xstrdup(value), raw);
	}
	free(line);
	if (ferror(msg->msg_fp) || start < 0)
		return -1;
	msg->msg_body_off = start;
	return 0;
}

/* Open path ("-": stdin, spooled so that it can be read more than once). */
static FILE *
open_input(const char *path)
{
	FILE *fp, *tmp;
	char buf[65536];
	size_t n;
	struct stat st;

	if (strcmp(path, "-") != 0)
		return fopen(path, "rb");
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return fdopen(dup(STDIN_FILENO), "rb");
	if ((tmp = tmpfile()) == NULL)
		return NULL;
	fp = stdin;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (fwrite(buf, 1, n, tmp) != n)
			break;
	if (ferror(fp) || ferror(tmp) || fflush(tmp) != 0) {
		fclose(tmp);
		return NULL;
	}
	rewind(tmp);
	return tmp;
}

/*
 * mc_body_fn: the body in SMTP form.  Bare LF becomes CRLF and a missing
 * final line end is added, unless bs_raw.
 */
static ssize_t
body_read(void *arg, unsigned char *buf, size_t len)
{
	struct body_src *bs = arg;
	size_t o = 0;
	unsigned char c;

	while (o < len) {
		if (bs->bs_pos == bs->bs_len) {
			if (bs->bs_eof)
				break;
			bs->bs_len = fread(bs->bs_buf, 1, sizeof(bs->bs_buf),
			    bs->bs_fp);
			bs->bs_pos = 0;
			if (bs->bs_len == 0) {
				if (ferror(bs->bs_fp))
					return -1;
				bs->bs_eof = true;
				break;
			}
		}
		c = bs->bs_buf[bs->bs_pos];
		if (!bs->bs_raw && c == '\n' && !bs->bs_prev_cr) {
			if (o + 2 > len)
				break;	/* no room for both CR and LF */
			buf[o++] = '\r';
		}
		buf[o++] = c;
		bs->bs_pos++;
		bs->bs_prev_cr = c == '\r';
		bs->bs_last = c;
		bs->bs_any = true;
	}
	if (bs->bs_eof && !bs->bs_raw && bs->bs_any && bs->bs_last != '\n' &&
	    !bs->bs_done && o + 2 <= len) {
		buf[o++] = '\r';
		buf[o++] = '\n';
		bs->bs_done = true;
	}
	return (ssize_t)o;
}

/* Drop deleted fields and forget the deletion positions. */
static void
res_compact(struct result *res)
{
	struct hlist *hl = &res->res_hdrs;
	size_t i, o = 0;

	for (i = 0; i < hl->hl_count; i++) {
		if (hl->hl_list[i].hf_dead) {
			free(hl->hl_list[i].hf_name);
			free(hl->hl_list[i].hf_value);
			free(hl->hl_list[i].hf_raw);
			continue;
		}
		hl->hl_list[o++] = hl->hl_list[i];
	}
	hl->hl_count = o;
	free(res->res_del_name);
	res->res_del_name = NULL;
}

/* Delete the index-th live field called name (1-based), as cleanup does. */
static void
res_delete(struct result *res, uint32_t index, const char *name)
{
	struct hlist *hl = &res->res_hdrs;
	size_t i;

	if (res->res_del_name == NULL || strcasecmp(res->res_del_name,
	    name) != 0 || index >= res->res_del_last) {
		res_compact(res);
		res->res_del_name = xstrdup(name);
		res->res_del_pos = realloc(res->res_del_pos,
		    (hl->hl_count + 1) * sizeof(*res->res_del_pos));
		if (res->res_del_pos == NULL) {
			fprintf(stderr, "milterclient: out of memory\n");
			exit(EX_IOERR_);
		}
		res->res_del_count = 0;
		for (i = 0; i < hl->hl_count; i++)
			if (strcasecmp(hl->hl_list[i].hf_name, name) == 0)
				res->res_del_pos[res->res_del_count++] = i;
	}
	res->res_del_last = index;
	if (index <= res->res_del_count)
		hl->hl_list[res->res_del_pos[index - 1]].hf_dead = true;
}

/* mc_result_ops header callback: apply one request as Postfix's cleanup. */
static int
on_header(void *arg, char op, uint32_t index, const char *name,
    const char *value)
{
	struct result *res = arg;
	struct hlist *hl = &res->res_hdrs;
	size_t i, seen = 0;

	if (index == 0 && op != 'h' && op != 'i')
		index = 1;	/* sendmail compatibility, as Postfix */
	if (op != 'h' && op != 'i' && *value == '\0') {
		res_delete(res, index, name);
		return 0;
	}
	res_compact(res);
	if (op == 'h') {
		hlist_insert(hl, hl->hl_count, xstrdup(name), xstrdup(value),
		    NULL);
		return 0;
	}
	if (op == 'i') {
		hlist_insert(hl, index, xstrdup(name), xstrdup(value), NULL);
		return 0;
	}
	for (i = 0; i < hl->hl_count; i++) {
		struct hfield *f = &hl->hl_list[i];

		if (strcasecmp(f->hf_name, name) != 0 || ++seen != index)
			continue;
		free(f->hf_value);
		free(f->hf_raw);
		f->hf_value = xstrdup(value);
		f->hf_raw = NULL;
		return 0;
	}
	/* No such instance: Postfix turns a change into an addition. */
	hlist_insert(hl, hl->hl_count, xstrdup(name), xstrdup(value), NULL);
	return 0;
}

/* mc_result_ops body callback: spool the replacement body. */
static int
on_body(void *arg, const unsigned char *chunk, size_t len)
{
	struct result *res = arg;

	if (res->res_body == NULL && (res->res_body = tmpfile()) == NULL)
		return -1;
	res->res_replaced = true;
	return fwrite(chunk, 1, len, res->res_body) == len ? 0 : -1;
}

/* Write s converting each LF (optionally preceded by CR) to eol. */
static void
put_lines(FILE *out, const char *s, const char *eol)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;
		if (*s == '\n')
			fputs(eol, out);
		else
			putc(*s, out);
	}
}

/* Copy a CRLF stream to out with eol line ends. */
static void
copy_crlf(FILE *in, FILE *out, bool crlf)
{
	unsigned char buf[65536];
	size_t n, i;
	bool held_cr = false;

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (crlf) {
			(void)fwrite(buf, 1, n, out);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (held_cr && buf[i] != '\n')
				putc('\r', out);
			held_cr = buf[i] == '\r';
			if (!held_cr)
				putc(buf[i], out);
		}
	}
	if (held_cr)
		putc('\r', out);
}

/* Write the resulting message; -1 on output error. */
static int
write_message(const struct message *msg, struct result *res, bool leadspc,
    bool raw, FILE *out)
{
	const char *eol = msg->msg_crlf ? "\r\n" : "\n";
	unsigned char buf[65536];
	size_t i, n;
	int last = -1;

	for (i = 0; i < res->res_hdrs.hl_count; i++) {
		const struct hfield *f = &res->res_hdrs.hl_list[i];

		if (f->hf_dead)
			continue;
		if (f->hf_raw != NULL) {
			put_lines(out, f->hf_raw, eol);
		} else {
			fprintf(out, "%s:%s", f->hf_name, leadspc ? "" : " ");
			put_lines(out, f->hf_value, eol);
		}
		fputs(eol, out);
	}
	fputs(eol, out);
	if (res->res_replaced) {
		rewind(res->res_body);
		copy_crlf(res->res_body, out, msg->msg_crlf);
	} else {
		if (fseeko(msg->msg_fp, msg->msg_body_off, SEEK_SET) != 0)
			return -1;
		while ((n = fread(buf, 1, sizeof(buf), msg->msg_fp)) > 0) {
			(void)fwrite(buf, 1, n, out);
			last = buf[n - 1];
		}
		if (!raw && last != -1 && last != '\n')
			fputs(eol, out);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* "<addr>" from an address header value, or def when there is none. */
static char *
envelope_addr(const struct hlist *hl, const char *field, const char *def)
{
	const char *v = NULL, *lt, *gt;
	char *s;
	size_t i;

	for (i = 0; i < hl->hl_count && v == NULL; i++)
		if (strcasecmp(hl->hl_list[i].hf_name, field) == 0)
			v = hl->hl_list[i].hf_value;
	if (v == NULL)
		return xstrdup(def);
	if ((lt = strchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		s = xmalloc((size_t)(gt - lt) + 2);
		memcpy(s, lt, (size_t)(gt - lt) + 1);
		s[gt - lt + 1] = '\0';
		return s;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	s = xmalloc(strlen(v) + 3);
	(void)snprintf(s, strlen(v) + 3, "<%.*s>", (int)strcspn(v, " \t\n,"),
	    v);
	return s;
}

/* Map a verdict to the exit status. */
static int
verdict_exit(enum mc_verdict v)
{
	switch (v) {
	case MC_ACCEPT:
		return EX_OK_;
	case MC_REJECT:
		return EX_REJECT_;
	case MC_TEMPFAIL:
		return EX_TEMPFAIL_;
	case MC_DISCARD:
		return EX_DISCARD_;
	}
	return EX_PROTOCOL_;
}

/* Command line settings shared by main() and run(). */
struct options {
	struct mc_connect_info	 o_ci;
	struct mc_envelope	 o_env;
	const char		*o_sock;
	const char		*o_qid;
	unsigned long		 o_count;
	unsigned long		 o_perconn;
	int			 o_timeout;	/* seconds */
	bool			 o_verbose;
	bool			 o_raw;
};

/*
 * Send msg o_count times, o_perconn per connection, collecting the last
 * result in res.  Returns the exit status of the last message (or of the
 * first failure); *protocol receives the negotiated protocol flags.
 */
static int
run(const struct options *o, struct message *msg, struct result *res,
    uint32_t *protocol)
{
	struct mc_result_ops ops = { on_header, on_body, res };
	struct mc_envelope env = o->o_env;
	struct mc_outcome outcome;
	struct mc_conn *conn = NULL;
	struct mc_field *fields;
	struct body_src *bs;
	char qid[128], err[MC_ERRLEN];
	uint32_t actions;
	unsigned long k;
	size_t i;
	int rc = EX_OK_;

	fields = xmalloc(msg->msg_hdrs.hl_count * sizeof(*fields));
	for (i = 0; i < msg->msg_hdrs.hl_count; i++) {
		fields[i].mf_name = msg->msg_hdrs.hl_list[i].hf_name;
		fields[i].mf_value = msg->msg_hdrs.hl_list[i].hf_value;
	}
	bs = xmalloc(sizeof(*bs));
	env.env_qid = qid;
	for (k = 0; k < o->o_count; k++) {
		(void)snprintf(qid, sizeof(qid), o->o_count > 1 ? "%s%lu" :
		    "%s", o->o_qid, k + 1);
		res_compact(res);
		hlist_clear(&res->res_hdrs);
		hlist_copy(&res->res_hdrs, &msg->msg_hdrs);
		res->res_replaced = false;
		memset(bs, 0, sizeof(*bs));
		bs->bs_fp = msg->msg_fp;
		bs->bs_raw = o->o_raw;
		if ((res->res_body != NULL && (fflush(res->res_body) != 0 ||
		    ftruncate(fileno(res->res_body), 0) != 0 ||
		    fseeko(res->res_body, 0, SEEK_SET) != 0)) ||
		    fseeko(msg->msg_fp, msg->msg_body_off, SEEK_SET) != 0) {
			fprintf(stderr, "milterclient: %s\n", strerror(errno));
			rc = EX_IOERR_;
			break;
		}
		if (conn == NULL && (conn = mc_open(o->o_sock, &o->o_ci,
		    o->o_timeout * 1000, o->o_verbose, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "milterclient: %s\n", err);
			rc = EX_PROTOCOL_;
			break;
		}
		mc_negotiated(conn, &actions, protocol);
		if (mc_message(conn, &env, fields, msg->msg_hdrs.hl_count,
		    body_read, bs, &ops, &outcome) != 0) {
			fprintf(stderr, "milterclient: %s: %s\n", qid,
			    mc_error(conn));
			rc = EX_PROTOCOL_;
			break;
		}
		rc = verdict_exit(outcome.mo_verdict);
		if (o->o_verbose || outcome.mo_verdict != MC_ACCEPT)
			fprintf(stderr, "milterclient: %s: %s%s%s\n", qid,
			    mc_verdict_name(outcome.mo_verdict),
			    outcome.mo_reply[0] != '\0' ? ": " : "",
			    outcome.mo_reply);
		if (o->o_perconn != 0 && (k + 1) % o->o_perconn == 0) {
			mc_close(conn);
			conn = NULL;
		}
	}
	mc_close(conn);
	free(fields);
	free(bs);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct message msg;
	struct result res;
	const char *outpath = NULL, **rcpts;
	char *from = NULL, *defrcpt = NULL;
	uint32_t protocol = 0;
	int ch, rc;
	FILE *out = stdout;

	memset(&o, 0, sizeof(o));
	memset(&msg, 0, sizeof(msg));
	memset(&res, 0, sizeof(res));
	o.o_qid = "MCLIENT";
	o.o_count = o.o_perconn = 1;
	o.o_timeout = 300;
	rcpts = xmalloc((size_t)argc * sizeof(*rcpts));
	while ((ch = getopt(argc, argv, "A:C:F:H:m:n:o:q:R:rs:t:v")) != -1) {
		switch (ch) {
		case 'A': o.o_env.env_authuser = optarg; break;
		case 'C': o.o_ci.ci_client_addr = optarg; break;
		case 'F': from = xstrdup(optarg); break;
		case 'H': o.o_ci.ci_helo = optarg; break;
		case 'm': o.o_perconn = strtoul(optarg, NULL, 10); break;
		case 'n': o.o_count = strtoul(optarg, NULL, 10); break;
		case 'o': outpath = optarg; break;
		case 'q': o.o_qid = optarg; break;
		case 'R': rcpts[o.o_env.env_nrcpts++] = optarg; break;
		case 'r': o.o_raw = true; break;
		case 's': o.o_sock = optarg; break;
		case 't': o.o_timeout = atoi(optarg); break;
		case 'v': o.o_verbose = true; break;
		default: usage();
		}
	}
	if (o.o_sock == NULL || optind != argc - 1 || o.o_count == 0 ||
	    o.o_timeout <= 0)
		usage();
	if ((msg.msg_fp = open_input(argv[optind])) == NULL ||
	    read_headers(&msg) != 0) {
		fprintf(stderr, "milterclient: cannot read %s: %s\n",
		    argv[optind], strerror(errno));
		return EX_NOINPUT_;
	}
	if (from == NULL)
		from = envelope_addr(&msg.msg_hdrs, "From", "<>");
	if (o.o_env.env_nrcpts == 0) {
		defrcpt = envelope_addr(&msg.msg_hdrs, "To",
		    "<postmaster@localhost>");
		rcpts[o.o_env.env_nrcpts++] = defrcpt;
	}
	o.o_env.env_from = from;
	o.o_env.env_rcpts = rcpts;

	rc = run(&o, &msg, &res, &protocol);
	if (rc == EX_OK_ && outpath != NULL &&
	    (out = fopen(outpath, "wb")) == NULL) {
		fprintf(stderr, "milterclient: %s: %s\n", outpath,
		    strerror(errno));
		rc = EX_IOERR_;
	}
	if (rc == EX_OK_ && ((res.res_body != NULL &&
	    fflush(res.res_body) != 0) || write_message(&msg, &res,
	    (protocol & SMFIP_HDR_LEADSPC) != 0, o.o_raw, out) != 0)) {
		fprintf(stderr, "milterclient: write error\n");
		rc = EX_IOERR_;
	}
	if (out != stdout && out != NULL && fclose(out) != 0 && rc == EX_OK_)
		rc = EX_IOERR_;
	if (res.res_body != NULL)
		fclose(res.res_body);
	res_compact(&res);
	free(res.res_del_pos);
	hlist_clear(&res.res_hdrs);
	hlist_clear(&msg.msg_hdrs);
	fclose(msg.msg_fp);
	free(from);
	free(defrcpt);
	free(rcpts);
	return rc;
}
