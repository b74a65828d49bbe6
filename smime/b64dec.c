/*
 * b64dec.c - streaming MIME base64 decoder BIO; see b64dec.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "smime/b64dec.h"

#define B64_CHUNK	4096

struct b64dec_state {
	EVP_ENCODE_CTX	*bd_ctx;
	unsigned char	 bd_out[B64_CHUNK];	/* decoded, not yet read */
	size_t		 bd_have, bd_off;
	bool		 bd_eof;	/* source drained, final block done */
	bool		 bd_err;	/* the source failed */
};

/* 1 for the 64 base64 characters and the pad, else 0. */
static unsigned char b64dec_alphabet[256];

static void
b64dec_alphabet_init(void)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/=";
	size_t i;

	for (i = 0; i < sizeof(chars) - 1; i++)
		b64dec_alphabet[(unsigned char)chars[i]] = 1;
}

int
smime_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Refill bd_out from the source; false at the end or on error. */
static bool
b64dec_fill(struct b64dec_state *bd, BIO *next)
{
	unsigned char in[B64_CHUNK], clean[B64_CHUNK];
	int n, m, i, outl;

	while (!bd->bd_eof && !bd->bd_err) {
		if ((n = BIO_read(next, in, sizeof(in) - 64)) <= 0) {
			if (!BIO_eof(next)) {
				bd->bd_err = true;
				return false;
			}
			bd->bd_eof = true;
			if (EVP_DecodeFinal(bd->bd_ctx, bd->bd_out, &outl) < 0)
				outl = 0;	/* bad: the data just ends */
		} else {
			/* Branch-free: store every byte, keep the good. */
			for (i = m = 0; i < n; i++) {
				clean[m] = in[i];
				m += b64dec_alphabet[in[i]];
			}
			/* <= 4032 input characters decode to <= 3072. */
			if (EVP_DecodeUpdate(bd->bd_ctx, bd->bd_out, &outl,
			    clean, m) < 0) {
				/* Bad base64: the data ends here. */
				bd->bd_eof = true;
				return false;
			}
		}
		bd->bd_have = (size_t)outl;
		bd->bd_off = 0;
		if (outl > 0)
			return true;
	}
	return false;
}

static int
b64dec_read(BIO *bio, char *buf, size_t len, size_t *got)
{
	struct b64dec_state *bd = BIO_get_data(bio);
	BIO *next = BIO_next(bio);
	size_t n;

	*got = 0;
	if (bd == NULL || next == NULL || len == 0)
		return 0;
	if (bd->bd_off == bd->bd_have && !b64dec_fill(bd, next))
		return 0;
	n = bd->bd_have - bd->bd_off < len ? bd->bd_have - bd->bd_off : len;
	memcpy(buf, bd->bd_out + bd->bd_off, n);
	bd->bd_off += n;
	*got = n;
	return 1;
}

static long
b64dec_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	struct b64dec_state *bd = BIO_get_data(bio);
	BIO *next = BIO_next(bio);

	switch (cmd) {
	case BIO_CTRL_EOF:
		/* The end only when all was decoded and nothing failed. */
		return bd->bd_eof && !bd->bd_err && bd->bd_off == bd->bd_have;
	case BIO_CTRL_PENDING:
		return (long)(bd->bd_have - bd->bd_off);
	case BIO_CTRL_RESET:
	case BIO_CTRL_DUP:
		return 0;
	default:
		break;
	}
	return next == NULL ? 0 : BIO_ctrl(next, cmd, num, ptr);
}

static int
b64dec_create(BIO *bio)
{
	struct b64dec_state *bd;

	if ((bd = calloc(1, sizeof(*bd))) == NULL)
		return 0;
	if ((bd->bd_ctx = EVP_ENCODE_CTX_new()) == NULL) {
		free(bd);
		return 0;
	}
	EVP_DecodeInit(bd->bd_ctx);
	BIO_set_data(bio, bd);
	BIO_set_init(bio, 1);
	return 1;
}

static int
b64dec_destroy(BIO *bio)
{
	struct b64dec_state *bd = BIO_get_data(bio);

	if (bd != NULL)
		EVP_ENCODE_CTX_free(bd->bd_ctx);
	free(bd);
	BIO_set_data(bio, NULL);
	return 1;
}

static BIO_METHOD *b64dec_method;

static void
b64dec_method_init(void)
{
	BIO_METHOD *meth;

	b64dec_alphabet_init();
	meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER,
	    "smime base64 decoder");
	if (meth == NULL)
		return;
	if (!BIO_meth_set_read_ex(meth, b64dec_read) ||
	    !BIO_meth_set_ctrl(meth, b64dec_ctrl) ||
	    !BIO_meth_set_create(meth, b64dec_create) ||
	    !BIO_meth_set_destroy(meth, b64dec_destroy)) {
		BIO_meth_free(meth);
		return;
	}
	b64dec_method = meth;
}

BIO *
smime_b64dec_new_bio(void)
{
	static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;

	if (!CRYPTO_THREAD_run_once(&once, b64dec_method_init) ||
	    b64dec_method == NULL)
		return NULL;
	return BIO_new(b64dec_method);
}
