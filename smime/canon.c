/*
 * canon.c - CRLF canonicalizing BIO filter.
 *
 * The state that must survive between calls is one bit: whether the last
 * byte seen was a CR (already emitted as CRLF, so an LF right after it is
 * swallowed).  Reads keep a small output buffer because one input byte can
 * become two output bytes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "smime/canon.h"

#define CANON_CHUNK 4096

struct canon_state {
	bool		cs_after_cr;		/* read direction */
	bool		cs_wafter_cr;		/* write direction */
	unsigned char	cs_out[2 * CANON_CHUNK];
	size_t		cs_out_pos;
	size_t		cs_out_len;
};

/* Convert n input bytes into out (room for 2n); returns bytes produced. */
static size_t
canon_convert(const unsigned char *in, size_t n, unsigned char *out,
    bool *after_cr)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && *after_cr) {
			*after_cr = false;
			continue;
		}
		*after_cr = in[i] == '\r';
		if (in[i] == '\r' || in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else
			out[o++] = in[i];
	}
	return o;
}

static int
canon_read(BIO *bio, char *buf, size_t len, size_t *readbytes)
{
	struct canon_state *cs = BIO_get_data(bio);
	BIO *next = BIO_next(bio);
	unsigned char in[CANON_CHUNK];
	size_t done = 0, n;
	int got;

	*readbytes = 0;
	BIO_clear_retry_flags(bio);
	if (cs == NULL || next == NULL)
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
		got = BIO_read(next, in, sizeof(in));
		if (got <= 0) {
			if (done == 0) {
				BIO_copy_next_retry(bio);
				return 0;
			}
			break;
		}
		cs->cs_out_len = canon_convert(in, (size_t)got, cs->cs_out,
		    &cs->cs_after_cr);
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
	unsigned char out[2 * CANON_CHUNK];
	size_t done = 0, n, o, sent;
	int w;

	*written = 0;
	BIO_clear_retry_flags(bio);
	if (cs == NULL || next == NULL)
		return 0;
	while (done < len) {
		n = len - done > CANON_CHUNK ? CANON_CHUNK : len - done;
		o = canon_convert((const unsigned char *)buf + done, n, out,
		    &cs->cs_wafter_cr);
		/* The sinks we use never write short; a failure is fatal. */
		for (sent = 0; sent < o; sent += (size_t)w)
			if ((w = BIO_write(next, out + sent, (int)(o - sent)))
			    <= 0)
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
	free(BIO_get_data(bio));
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
