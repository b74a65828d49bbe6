/*
 * canon.c - CRLF canonicalizing BIO filter.
 *
 * The state that must survive between calls is one bit: whether the last
 * byte seen was a CR (already emitted as CRLF, so an LF right after it is
 * swallowed).  Reads keep an output buffer because one input byte can
 * become two output bytes.  Lines are found with memchr() and copied as
 * whole runs, a block of up to 64 KiB at a time.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "smime/canon.h"

#define CANON_CHUNK	SMIME_CANON_CHUNK
#define CANON_MIN	4096

struct canon_state {
	bool		 cs_after_cr;		/* read direction */
	bool		 cs_wafter_cr;		/* write direction */
	unsigned char	*cs_in;		/* cs_cap bytes, read direction */
	unsigned char	*cs_out;	/* 2 * cs_cap bytes */
	size_t		 cs_cap;
	unsigned char	*cs_wout;	/* 2 * cs_wcap bytes, write direction */
	size_t		 cs_wcap;
	size_t		 cs_out_pos;
	size_t		 cs_out_len;
};

size_t
smime_canon_block(const unsigned char *in, size_t n, unsigned char *out,
    bool *after_cr)
{
	const unsigned char *p = in, *end = in + n, *lf, *e;
	unsigned char *o = out;
	size_t k;

	if (n == 0)
		return 0;
	if (*after_cr && *p == '\n')
		p++;	/* the LF of a CRLF split by the caller's blocks */
	*after_cr = false;
	while (p < end) {
		/* The first CR or LF: two memchr() passes over the run. */
		lf = memchr(p, '\n', (size_t)(end - p));
		e = memchr(p, '\r', (size_t)((lf != NULL ? lf : end) - p));
		if (e == NULL && (e = lf) == NULL) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			break;
		}
		k = (size_t)(e - p);
		memcpy(o, p, k);
		o += k;
		*o++ = '\r';
		*o++ = '\n';
		p = e + 1;
		if (*e == '\r') {
			if (p == end)
				*after_cr = true;
			else if (*p == '\n')
				p++;
		}
	}
	return (size_t)(o - out);
}

/*
 * Give the read state buffers for blocks of want input bytes (clamped to
 * [CANON_MIN, CANON_CHUNK]): sized by the first use, so that a filter over
 * a small message does not allocate for a large one.  False on
 * allocation failure.
 */
static bool
canon_buffers(struct canon_state *cs, size_t want)
{
	size_t cap = want < CANON_MIN ? CANON_MIN : want > CANON_CHUNK ?
	    CANON_CHUNK : want;

	if (cs->cs_out != NULL && cap <= cs->cs_cap)
		return true;
	if (cs->cs_out_pos < cs->cs_out_len)
		return cs->cs_out != NULL;	/* keep what is pending */
	free(cs->cs_in);
	free(cs->cs_out);
	cs->cs_in = malloc(cap);
	cs->cs_out = malloc(2 * cap);
	cs->cs_cap = cs->cs_in != NULL && cs->cs_out != NULL ? cap : 0;
	if (cs->cs_cap == 0) {
		free(cs->cs_in);
		free(cs->cs_out);
		cs->cs_in = cs->cs_out = NULL;
		return false;
	}
	return true;
}

static int
canon_read(BIO *bio, char *buf, size_t len, size_t *readbytes)
{
	struct canon_state *cs = BIO_get_data(bio);
	BIO *next = BIO_next(bio);
	size_t done = 0, n;
	int got;

	*readbytes = 0;
	BIO_clear_retry_flags(bio);
	if (cs == NULL || next == NULL || !canon_buffers(cs, len))
		return 0;
	while (done < len) {
		if (cs->cs_out_pos < cs->cs_out_len) {
			n = cs->cs_out_len - cs->cs_out_pos;
			if (n > len - done)
				n = len - done;
			memcpy(buf + done, cs->cs_out + cs->cs_out_pos, n);
			cs->cs_out_pos += n;
			done += n;
			continue;
		}
		got = BIO_read(next, cs->cs_in, (int)cs->cs_cap);
		if (got <= 0) {
			if (done == 0) {
				BIO_copy_next_retry(bio);
				return 0;
			}
			break;
		}
		cs->cs_out_len = smime_canon_block(cs->cs_in, (size_t)got,
		    cs->cs_out, &cs->cs_after_cr);
		cs->cs_out_pos = 0;
	}
	*readbytes = done;
	return 1;
}

static int
canon_write(BIO *bio, const char *buf, size_t len, size_t *written)
{
	struct canon_state *cs = BIO_get_data(bio);
	BIO *next = BIO_next(bio);
	size_t done = 0, n, o, sent, cap;
	int w;

	*written = 0;
	BIO_clear_retry_flags(bio);
	if (cs == NULL || next == NULL)
		return 0;
	cap = len < CANON_MIN ? CANON_MIN : len > CANON_CHUNK ? CANON_CHUNK :
	    len;
	if (cs->cs_wcap < cap) {
		free(cs->cs_wout);
		cs->cs_wcap = (cs->cs_wout = malloc(2 * cap)) != NULL ? cap : 0;
		if (cs->cs_wout == NULL)
			return 0;
	}
	while (done < len) {
		n = len - done > cs->cs_wcap ? cs->cs_wcap : len - done;
		o = smime_canon_block((const unsigned char *)buf + done, n,
		    cs->cs_wout, &cs->cs_wafter_cr);
		/* The sinks we use never write short; a failure is fatal. */
		for (sent = 0; sent < o; sent += (size_t)w)
			if ((w = BIO_write(next, cs->cs_wout + sent,
			    (int)(o - sent))) <= 0)
				return 0;
		done += n;
	}
	*written = done;
	return 1;
}

static long
canon_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	struct canon_state *cs = BIO_get_data(bio);
	BIO *next = BIO_next(bio);

	switch (cmd) {
	case BIO_CTRL_RESET:
		cs->cs_after_cr = cs->cs_wafter_cr = false;
		cs->cs_out_pos = cs->cs_out_len = 0;
		break;
	case BIO_CTRL_PENDING:
		return (long)(cs->cs_out_len - cs->cs_out_pos) +
		    (next == NULL ? 0 : BIO_ctrl(next, cmd, num, ptr));
	case BIO_CTRL_EOF:
		if (cs->cs_out_pos < cs->cs_out_len)
			return 0;
		break;
	case BIO_CTRL_DUP:
		return 0;
	default:
		break;
	}
	return next == NULL ? 0 : BIO_ctrl(next, cmd, num, ptr);
}

static long
canon_callback_ctrl(BIO *bio, int cmd, BIO_info_cb *fp)
{
	BIO *next = BIO_next(bio);

	return next == NULL ? 0 : BIO_callback_ctrl(next, cmd, fp);
}

static int
canon_create(BIO *bio)
{
	struct canon_state *cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return 0;
	BIO_set_data(bio, cs);
	BIO_set_init(bio, 1);
	return 1;
}

static int
canon_destroy(BIO *bio)
{
	struct canon_state *cs = BIO_get_data(bio);

	if (cs != NULL) {
		free(cs->cs_in);
		free(cs->cs_out);
		free(cs->cs_wout);
	}
	free(cs);
	BIO_set_data(bio, NULL);
	return 1;
}

static BIO_METHOD *canon_method;

static void
canon_method_init(void)
{
	BIO_METHOD *meth;

	meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER,
	    "smime CRLF canonicalizer");
	if (meth == NULL)
		return;
	if (!BIO_meth_set_read_ex(meth, canon_read) ||
	    !BIO_meth_set_write_ex(meth, canon_write) ||
	    !BIO_meth_set_ctrl(meth, canon_ctrl) ||
	    !BIO_meth_set_callback_ctrl(meth, canon_callback_ctrl) ||
	    !BIO_meth_set_create(meth, canon_create) ||
	    !BIO_meth_set_destroy(meth, canon_destroy)) {
		BIO_meth_free(meth);
		return;
	}
	canon_method = meth;
}

const BIO_METHOD *
smime_canon_bio_method(void)
{
	static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;

	if (!CRYPTO_THREAD_run_once(&once, canon_method_init))
		return NULL;
	return canon_method;
}

BIO *
smime_canon_new_bio(void)
{
	const BIO_METHOD *meth = smime_canon_bio_method();

	return meth == NULL ? NULL : BIO_new(meth);
}
