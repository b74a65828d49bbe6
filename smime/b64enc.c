/*
 * b64enc.c - base64 lines into a spool (b64enc.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "smime/b64enc.h"

#define B64_IN		57	/* octets per 76-character line */
#define B64_LINE	78	/* 76 characters and CRLF */
#define B64_LINES	1024	/* lines buffered per spool write */

struct smime_b64enc {
	struct smime_spool	*b_out;
	unsigned char		 b_in[B64_IN];
	size_t			 b_n;
	unsigned char		 b_lines[B64_LINES * B64_LINE];
	size_t			 b_used;
};

struct smime_b64enc *
smime_b64enc_new(struct smime_spool *out)
{
	struct smime_b64enc *enc;

	if ((enc = malloc(sizeof(*enc))) == NULL)
		return NULL;
	enc->b_out = out;
	enc->b_n = 0;
	enc->b_used = 0;
	return enc;
}

void
smime_b64enc_free(struct smime_b64enc *enc)
{
	free(enc);
}

static smime_status
b64_flush(struct smime_b64enc *enc, struct smime_err *err)
{
	smime_status ret = SMIME_OK;

	if (enc->b_used > 0)
		ret = smime_spool_write(enc->b_out, enc->b_lines, enc->b_used,
		    err);
	enc->b_used = 0;
	return ret;
}

/* Encode the octets in b_in as one line. */
static smime_status
b64_line(struct smime_b64enc *enc, struct smime_err *err)
{
	int n;

	if (enc->b_n == 0)
		return SMIME_OK;
	n = EVP_EncodeBlock(enc->b_lines + enc->b_used, enc->b_in,
	    (int)enc->b_n);
	enc->b_used += (size_t)n;
	enc->b_lines[enc->b_used++] = '\r';
	enc->b_lines[enc->b_used++] = '\n';
	enc->b_n = 0;
	return enc->b_used + B64_LINE > sizeof(enc->b_lines) ?
	    b64_flush(enc, err) : SMIME_OK;
}

smime_status
smime_b64enc_write(struct smime_b64enc *enc, const void *data, size_t len,
    struct smime_err *err)
{
	const unsigned char *p = data;
	smime_status ret;
	size_t take;

	while (len > 0) {
		take = B64_IN - enc->b_n;
		if (take > len)
			take = len;
		memcpy(enc->b_in + enc->b_n, p, take);
		enc->b_n += take;
		p += take;
		len -= take;
		if (enc->b_n == B64_IN && (ret = b64_line(enc, err)) !=
		    SMIME_OK)
			return ret;
	}
	return SMIME_OK;
}

smime_status
smime_b64enc_finish(struct smime_b64enc *enc, struct smime_err *err)
{
	smime_status ret;

	if ((ret = b64_line(enc, err)) != SMIME_OK)
		return ret;
	return b64_flush(enc, err);
}
