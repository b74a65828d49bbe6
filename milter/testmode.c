/*
 * testmode.c - `smime-milter -t MSGFILE`: run one RFC 5322 message
 * through the same smf_msg_*() calls the milter callbacks make, apply the
 * resulting edits to the message text the way an MTA would, and print it.
 *
 * The header is fed as an MTA feeds a milter: value without the leading
 * blank, folding kept as bare LF; the body with CRLF line ends.  Unchanged
 * parts are written back byte for byte, so a message nobody touched
 * round-trips identically.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "milter/smf.h"

#define SMF_TM_CHUNK	65536

/* One header field of the message being rewritten. */
struct smf_tm_field {
	char	*tf_name;
	char	*tf_raw;	/* whole field as in the input, line ends kept */
	bool	 tf_deleted;
};

struct smf_tm {
	struct smf_tm_field	*tm_fields;
	size_t			 tm_nfields;
	size_t			 tm_alloc;
	const char		*tm_eol;	/* "\r\n" or "\n", from input */
	FILE			*tm_in;
	bool			 tm_body_replaced;
	char			*tm_pending;	/* first body line, when the */
	size_t			 tm_npending;	/* header had no blank line */
	/* Positions of the live fields called tm_del_name, built on the
	 * first deletion of that name: deletions come per name from the
	 * highest index down, so the lower positions stay valid and N
	 * deletions cost O(fields + N) instead of O(fields * N). */
	char			*tm_del_name;
	size_t			*tm_del_pos;
	size_t			 tm_del_count;
};

static int smf_tm_feed_field(struct smf_tm *tm, struct smf_msg *msg,
    char *name, char *raw, size_t voff);

static int
smf_tm_insert_field(struct smf_tm *tm, size_t pos, char *name, char *raw)
{
	struct smf_tm_field *f;

	if (tm->tm_nfields == tm->tm_alloc) {
		size_t alloc = tm->tm_alloc == 0 ? 32 : tm->tm_alloc * 2;

		if ((f = reallocarray(tm->tm_fields, alloc, sizeof(*f))) == NULL)
			return -1;
		tm->tm_fields = f;
		tm->tm_alloc = alloc;
	}
	if (pos > tm->tm_nfields)
		pos = tm->tm_nfields;
	free(tm->tm_del_name);	/* positions move: rebuild on next delete */
	tm->tm_del_name = NULL;
	memmove(&tm->tm_fields[pos + 1], &tm->tm_fields[pos],
	    (tm->tm_nfields - pos) * sizeof(*tm->tm_fields));
	tm->tm_fields[pos].tf_name = name;
	tm->tm_fields[pos].tf_raw = raw;
	tm->tm_fields[pos].tf_deleted = false;
	tm->tm_nfields++;
	return 0;
}

static void
smf_tm_free(struct smf_tm *tm)
{
	size_t i;

	for (i = 0; i < tm->tm_nfields; i++) {
		free(tm->tm_fields[i].tf_name);
		free(tm->tm_fields[i].tf_raw);
	}
	free(tm->tm_fields);
	free(tm->tm_del_name);
	free(tm->tm_del_pos);
}

/*
 * Build a raw field "Name: value" + eol, turning the LF folding of value
 * into the message's line ends.  NULL on allocation failure.
 */
static char *
smf_tm_format_field(const struct smf_tm *tm, const char *name,
    const char *value)
{
	size_t n = strlen(name) + 2 + strlen(value) * 2 + 3, used;
	char *raw;
	const char *p;

	if ((raw = malloc(n)) == NULL)
		return NULL;
	used = (size_t)snprintf(raw, n, "%s: ", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\n')
			used += (size_t)snprintf(raw + used, n - used, "%s",
			    tm->tm_eol);
		else
			raw[used++] = *p;
	}
	snprintf(raw + used, n - used, "%s", tm->tm_eol);
	return raw;
}

/* ---- editor callbacks ---- */

static int
smf_tm_delete(void *arg, const char *name, size_t index)
{
	struct smf_tm *tm = arg;
	size_t i, *pos;

	if (tm->tm_del_name == NULL || strcasecmp(tm->tm_del_name, name) != 0) {
		free(tm->tm_del_name);
		tm->tm_del_name = NULL;
		if ((pos = reallocarray(tm->tm_del_pos, tm->tm_nfields + 1,
		    sizeof(*pos))) == NULL)
			return -1;
		tm->tm_del_pos = pos;
		if ((tm->tm_del_name = strdup(name)) == NULL)
			return -1;
		tm->tm_del_count = 0;
		for (i = 0; i < tm->tm_nfields; i++)
			if (!tm->tm_fields[i].tf_deleted &&
			    strcasecmp(tm->tm_fields[i].tf_name, name) == 0)
				pos[tm->tm_del_count++] = i;
	}
	/* Like MTAs: deleting a missing field is no error. */
	if (index >= 1 && index <= tm->tm_del_count)
		tm->tm_fields[tm->tm_del_pos[index - 1]].tf_deleted = true;
	return 0;
}

static int
smf_tm_add(struct smf_tm *tm, size_t pos, const char *name, const char *value)
{
	char *n = strdup(name), *raw = smf_tm_format_field(tm, name, value);

	if (n == NULL || raw == NULL || smf_tm_insert_field(tm, pos, n, raw)) {
		free(n);
		free(raw);
		return -1;
	}
	return 0;
}

static int
smf_tm_insert(void *arg, size_t pos, const char *name, const char *value)
{
	return smf_tm_add(arg, pos, name, value);
}

static int
smf_tm_append(void *arg, const char *name, const char *value)
{
	struct smf_tm *tm = arg;

	return smf_tm_add(tm, tm->tm_nfields, name, value);
}

static int
smf_tm_body(void *arg, const unsigned char *chunk, size_t len)
{
	(void)chunk;
	(void)len;
	/* The spool itself is written out at the end; just note it. */
	((struct smf_tm *)arg)->tm_body_replaced = true;
	return 0;
}

/* ---- reading the input ---- */

/*
 * Read the header block: each field's raw text, and its name and value
 * as an MTA passes them (smime_header_split(): Postfix's rules, so that
 * "Subject :" is a field and a name with 8-bit bytes starts the body;
 * CRLF folding turned into LF).  Returns 0, or -1 with errno-style text
 * in why.
 */
static int
smf_tm_read_header(struct smf_tm *tm, struct smf_msg *msg, const char **why)
{
	char *line = NULL, *raw = NULL, *name = NULL;
	size_t cap = 0, rawlen = 0, nlen, voff = 0;
	ssize_t n;
	int ret = -1;

	tm->tm_eol = "\n";
	for (;;) {
		n = getline(&line, &cap, tm->tm_in);
		bool cont = n > 0 && (line[0] == ' ' || line[0] == '\t');
		bool end = n <= 0 || line[0] == '\n' ||
		    (line[0] == '\r' && line[1] == '\n');

		if (raw != NULL && !cont) {
			/* A complete field: hand it over. */
			if (smf_tm_feed_field(tm, msg, name, raw, voff) != 0)
				goto fail;
			name = raw = NULL;
			rawlen = 0;
		}
		if (end)
			break;
		if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n' &&
		    tm->tm_nfields == 0 && raw == NULL)
			tm->tm_eol = "\r\n";
		if (cont && raw != NULL) {
			char *grown = realloc(raw, rawlen + (size_t)n + 1);

			if (grown == NULL)
				goto fail;
			raw = grown;
			memcpy(raw + rawlen, line, (size_t)n + 1);
			rawlen += (size_t)n;
			continue;
		}
		if ((nlen = smime_header_split(line, (size_t)n, &voff)) == 0) {
			/* Not a field: as MTAs do, the body starts here. */
			tm->tm_pending = line;
			tm->tm_npending = (size_t)n;
			line = NULL;
			break;
		}
		if ((name = strndup(line, nlen)) == NULL ||
		    (raw = strdup(line)) == NULL)
			goto fail;
		rawlen = (size_t)n;
	}
	ret = 0;
fail:
	if (ret != 0 && *why == NULL)
		*why = "out of memory";
	free(name);
	free(raw);
	free(line);
	return ret;
}

/*
 * Record a complete raw field and pass name/value to the message; the
 * value starts at raw + voff (see smime_header_split()).
 */
static int
smf_tm_feed_field(struct smf_tm *tm, struct smf_msg *msg, char *name,
    char *raw, size_t voff)
{
	char *value, *v;
	const char *p;

	if ((value = malloc(strlen(raw) + 1)) == NULL)
		return -1;
	p = raw + voff;
	for (v = value; *p != '\0'; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		*v++ = *p;
	}
	while (v > value && v[-1] == '\n')
		v--;
	*v = '\0';
	smf_msg_header(msg, name, value);
	free(value);
	return smf_tm_insert_field(tm, tm->tm_nfields, name, raw);
}

/*
 * Feed buf to the message with line ends made CRLF, as an MTA hands a body
 * to a milter: an LF not preceded by CR gets one.  *last_cr carries a CR
 * seen at the end of the previous chunk.  Runs between LFs are copied
 * whole (memchr()); out has room for 2 * len bytes.
 */
static void
smf_tm_feed_crlf(struct smf_msg *msg, const char *buf, size_t len,
    bool *last_cr, char *out)
{
	const char *p = buf, *end = buf + len, *lf;
	size_t o = 0, k;

	if (len == 0)
		return;
	while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k = (size_t)(lf - p);
		memcpy(out + o, p, k);
		o += k;
		if (lf == buf ? !*last_cr : lf[-1] != '\r')
			out[o++] = '\r';
		out[o++] = '\n';
		p = lf + 1;
	}
	memcpy(out + o, p, (size_t)(end - p));
	o += (size_t)(end - p);
	*last_cr = end[-1] == '\r';
	smf_msg_body(msg, out, o);
}

/*
 * Feed the body and keep an untouched copy for writing back unchanged.
 * Returns 0 or -1 on read error.
 */
static int
smf_tm_read_body(struct smf_tm *tm, struct smf_msg *msg,
    struct smime_spool *orig)
{
	char *buf, *out;
	bool last_cr = false;
	size_t n;
	int ret = -1;

	buf = malloc(SMF_TM_CHUNK);
	out = malloc(2 * SMF_TM_CHUNK);
	if (buf == NULL || out == NULL)
		goto out;
	if (tm->tm_pending != NULL) {
		/* One header-sized line: fed in pieces that fit out. */
		for (n = 0; n < tm->tm_npending; n += SMF_TM_CHUNK)
			smf_tm_feed_crlf(msg, tm->tm_pending + n,
			    tm->tm_npending - n < SMF_TM_CHUNK ?
			    tm->tm_npending - n : SMF_TM_CHUNK, &last_cr, out);
		if (smime_spool_write(orig, tm->tm_pending, tm->tm_npending,
		    NULL) != SMIME_OK)
			goto out;
	}
	while ((n = fread(buf, 1, SMF_TM_CHUNK, tm->tm_in)) > 0) {
		smf_tm_feed_crlf(msg, buf, n, &last_cr, out);
		if (smime_spool_write(orig, buf, n, NULL) != SMIME_OK)
			goto out;
	}
	ret = ferror(tm->tm_in) ? -1 : 0;
out:
	free(buf);
	free(out);
	return ret;
}

/*
 * Copy a spool to out a block at a time; with to_lf, CRLF line ends
 * become LF (the CRs are squeezed out of the block in place, memchr()
 * finding them, and the block written with one fwrite()).
 */
static int
smf_tm_write_spool(struct smime_spool *spool, FILE *out, bool to_lf)
{
	unsigned char *buf, *cr, *o, *p, *end, next;
	uint64_t off = 0;
	size_t got, g2;
	int ret = -1;

	if ((buf = malloc(SMF_TM_CHUNK)) == NULL)
		return -1;
	for (;;) {
		if (smime_spool_read_at(spool, off, buf, SMF_TM_CHUNK, &got,
		    NULL) != SMIME_OK)
			goto out;
		if (got == 0)
			break;
		off += got;
		end = buf + got;
		o = p = buf;
		while (to_lf && (cr = memchr(p, '\r', (size_t)(end - p))) !=
		    NULL) {
			/* A CR split from its LF by the block edge: peek. */
			if (cr + 1 < end)
				next = cr[1];
			else if (smime_spool_read_at(spool, off, &next, 1, &g2,
			    NULL) != SMIME_OK || g2 == 0)
				next = 0;
			memmove(o, p, (size_t)(cr - p));
			o += cr - p;
			if (next != '\n')
				*o++ = '\r';
			p = cr + 1;
		}
		memmove(o, p, (size_t)(end - p));
		o += end - p;
		if (o > buf && fwrite(buf, 1, (size_t)(o - buf), out) !=
		    (size_t)(o - buf))
			goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static int
smf_tm_write(const struct smf_tm *tm, const struct smf_msg *msg,
    struct smime_spool *orig, FILE *out)
{
	size_t i;

	for (i = 0; i < tm->tm_nfields; i++)
		if (!tm->tm_fields[i].tf_deleted &&
		    fputs(tm->tm_fields[i].tf_raw, out) == EOF)
			return -1;
	if (fputs(tm->tm_eol, out) == EOF)
		return -1;
	if (tm->tm_body_replaced && msg->msg_edits.ed_body != NULL) {
		if (smf_tm_write_spool(msg->msg_edits.ed_body, out,
		    strcmp(tm->tm_eol, "\n") == 0) != 0)
			return -1;
	} else if (smf_tm_write_spool(orig, out, false) != 0)
		return -1;
	return fflush(out) == 0 ? 0 : -1;
}

static int
smf_tm_exit_code(enum smf_verdict verdict)
{
	switch (verdict) {
	case SMF_TEMPFAIL:
		return SMF_EX_TEMPFAIL;
	case SMF_REJECT:
		return SMF_EX_UNAVAIL;
	default:
		return SMF_EX_OK;
	}
}

int
smf_testmode_run(struct smf_runtime *rt, const struct smf_testargs *ta)
{
	struct smf_tm tm;
	struct smf_editor editor = { smf_tm_delete, smf_tm_insert,
	    smf_tm_append, smf_tm_body, &tm };
	struct smf_msg *msg = NULL;
	struct smime_spool *orig = NULL;
	enum smf_verdict verdict;
	const char *why = NULL;
	int ret = SMF_EX_SOFTWARE;
	size_t i;

	memset(&tm, 0, sizeof(tm));
	if (strcmp(ta->ta_msgfile, "-") == 0)
		tm.tm_in = stdin;
	else if ((tm.tm_in = fopen(ta->ta_msgfile, "rb")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", SMF_PROGNAME, ta->ta_msgfile,
		    strerror(errno));
		ret = SMF_EX_USAGE;
		goto out;
	}
	msg = smf_msg_new(rt, ta->ta_client_addr);
	orig = smime_spool_new(rt->rt_conf->cf_spool_memory,
	    rt->rt_conf->cf_tmpdir);
	if (msg == NULL || orig == NULL)
		goto out;
	smf_msg_set_qid(msg, "TESTMODE");
	smf_log(LOG_DEBUG, msg->msg_qid, "envfrom=<%s> rcpts=%zu",
	    ta->ta_envfrom != NULL ? ta->ta_envfrom : "", ta->ta_nrcpts);
	smf_msg_envfrom(msg, ta->ta_authuser);
	for (i = 0; i < ta->ta_nrcpts; i++)
		smf_msg_rcpt(msg, ta->ta_rcpts[i]);
	if (smf_tm_read_header(&tm, msg, &why) != 0 ||
	    smf_tm_read_body(&tm, msg, orig) != 0) {
		fprintf(stderr, "%s: %s: %s\n", SMF_PROGNAME, ta->ta_msgfile,
		    why != NULL ? why : "read error");
		ret = SMF_EX_OSERR;
		goto out;
	}
	verdict = smf_msg_eom(msg);
	ret = smf_tm_exit_code(verdict);
	if (ret != SMF_EX_OK) {
		fprintf(stderr, "%s: message %s: %s\n", SMF_PROGNAME,
		    verdict == SMF_REJECT ? "rejected" : "temporarily failed",
		    msg->msg_reply);
		goto out;
	}
	if (smf_apply_edits(&msg->msg_edits, &editor) != 0 ||
	    smf_tm_write(&tm, msg, orig, stdout) != 0) {
		fprintf(stderr, "%s: cannot write the result\n", SMF_PROGNAME);
		ret = SMF_EX_OSERR;
	}
out:
	if (tm.tm_in != NULL && tm.tm_in != stdin)
		fclose(tm.tm_in);
	free(tm.tm_pending);
	smf_tm_free(&tm);
	smime_spool_free(orig);
	smf_msg_free(msg);
	return ret;
}
