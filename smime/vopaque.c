/*
 * vopaque.c - verify opaque (application/pkcs7-mime signed-data) mail in
 * flat memory.
 *
 * d2i_CMS_bio() reads the whole DER into memory and the parsed structure
 * holds the encapsulated content a second time, so a 28 MB message took
 * 48 MB.  Instead, the SignedData is parsed here as a stream (DER or BER,
 * definite or indefinite lengths): the encapsulated content's octets go
 * to a spool (a temporary file beyond spool_memory) and everything else,
 * which is small (version, digest algorithms, certificates, CRLs, signer
 * infos; at most OPQ_MAX_META bytes), is re-wrapped as a detached
 * SignedData.  smime_signerinfo_verify() then digests the content from
 * the spool like a detached signature.  The signature covers the eContent
 * octets and the signed attributes, not the encoding of the wrapper, so
 * the result is the same as with the attached structure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "smime/cmslimit.h"
#include "smime/vopaque.h"

#define OPQ_MAX_META	(1024 * 1024)	/* everything but the content */
#define OPQ_MAX_DEPTH	32		/* nesting of copied elements */

/* A forward-only reader over a BIO, counting the bytes it consumed. */
struct opq_rd {
	BIO		*r_bio;
	unsigned char	 r_buf[16384];
	size_t		 r_have, r_off;
	uint64_t	 r_pos;
	bool		 r_err;		/* read error (not end of data) */
};

/* A growable byte buffer, capped at OPQ_MAX_META. */
struct opq_buf {
	unsigned char	*b_data;
	size_t		 b_len, b_cap;
};

/* One TLV header as read. */
struct opq_hdr {
	unsigned int	h_tag;		/* first identifier octet */
	bool		h_indef;	/* indefinite length */
	uint64_t	h_len;		/* definite length */
	unsigned char	h_raw[16];	/* the header octets */
	size_t		h_rawlen;
};

static int
opq_byte(struct opq_rd *r)
{
	int n;

	if (r->r_off == r->r_have) {
		if ((n = BIO_read(r->r_bio, r->r_buf, sizeof(r->r_buf))) <= 0) {
			if (!BIO_eof(r->r_bio) && !BIO_should_retry(r->r_bio))
				r->r_err = true;
			return -1;
		}
		r->r_have = (size_t)n;
		r->r_off = 0;
	}
	r->r_pos++;
	return r->r_buf[r->r_off++];
}

static bool
opq_append(struct opq_buf *b, const unsigned char *data, size_t len)
{
	unsigned char *grown;
	size_t cap;

	if (len > OPQ_MAX_META - b->b_len)
		return false;
	if (b->b_len + len > b->b_cap) {
		cap = b->b_cap == 0 ? 4096 : b->b_cap;
		while (cap < b->b_len + len)
			cap *= 2;
		if ((grown = realloc(b->b_data, cap)) == NULL)
			return false;
		b->b_data = grown;
		b->b_cap = cap;
	}
	memcpy(b->b_data + b->b_len, data, len);
	b->b_len += len;
	return true;
}

/* Read a TLV header (low tag numbers only, as CMS uses). */
static bool
opq_hdr(struct opq_rd *r, struct opq_hdr *h)
{
	int c, i, n;

	memset(h, 0, sizeof(*h));
	if ((c = opq_byte(r)) < 0 || (c & 0x1f) == 0x1f)
		return false;
	h->h_tag = (unsigned int)c;
	h->h_raw[h->h_rawlen++] = (unsigned char)c;
	if ((c = opq_byte(r)) < 0)
		return false;
	h->h_raw[h->h_rawlen++] = (unsigned char)c;
	if (c < 0x80) {
		h->h_len = (uint64_t)c;
		return true;
	}
	if (c == 0x80) {	/* indefinite: constructed only */
		h->h_indef = true;
		return (h->h_tag & 0x20) != 0;
	}
	n = c & 0x7f;
	if (n > 8)
		return false;
	for (i = 0; i < n; i++) {
		if ((c = opq_byte(r)) < 0)
			return false;
		h->h_raw[h->h_rawlen++] = (unsigned char)c;
		h->h_len = (h->h_len << 8) | (uint64_t)c;
	}
	return h->h_len <= (UINT64_MAX >> 1);
}

/* True when h is the end-of-contents marker (00 00). */
static bool
opq_is_eoc(const struct opq_hdr *h)
{
	return h->h_tag == 0 && !h->h_indef && h->h_len == 0;
}

/* Copy len content octets to out (NULL: to the content spool). */
static bool
opq_copy(struct opq_rd *r, uint64_t len, struct opq_buf *out,
    struct smime_spool *content, struct smime_err *err)
{
	size_t n;

	while (len > 0) {
		if (r->r_off == r->r_have) {	/* refill, then step back */
			if (opq_byte(r) < 0)
				return false;
			r->r_off--;
			r->r_pos--;
		}
		n = r->r_have - r->r_off;
		if (n > len)
			n = (size_t)len;
		if (out != NULL ? !opq_append(out, r->r_buf + r->r_off, n) :
		    smime_spool_write(content, r->r_buf + r->r_off, n, err) !=
		    SMIME_OK)
			return false;
		r->r_off += n;
		r->r_pos += n;
		len -= n;
	}
	return true;
}

/* Copy one whole element whose header is h (BER allowed) to out. */
static bool
opq_copy_tlv(struct opq_rd *r, const struct opq_hdr *h, struct opq_buf *out,
    int depth)
{
	struct opq_hdr sub;

	if (depth > OPQ_MAX_DEPTH || !opq_append(out, h->h_raw, h->h_rawlen))
		return false;
	if (!h->h_indef)
		return opq_copy(r, h->h_len, out, NULL, NULL);
	for (;;) {
		if (!opq_hdr(r, &sub))
			return false;
		if (opq_is_eoc(&sub))
			return opq_append(out, sub.h_raw, sub.h_rawlen);
		if (!opq_copy_tlv(r, &sub, out, depth + 1))
			return false;
	}
}

/* Stream the octets of an OCTET STRING (primitive or constructed). */
static bool
opq_octets(struct opq_rd *r, const struct opq_hdr *h,
    struct smime_spool *content, int depth, struct smime_err *err)
{
	struct opq_hdr sub;
	uint64_t end = r->r_pos + h->h_len;

	if ((h->h_tag & ~0x20u) != 0x04 || depth > OPQ_MAX_DEPTH)
		return false;
	if (!(h->h_tag & 0x20))
		return !h->h_indef && opq_copy(r, h->h_len, NULL, content,
		    err);
	while (h->h_indef || r->r_pos < end) {
		if (!opq_hdr(r, &sub))
			return false;
		if (opq_is_eoc(&sub))
			return h->h_indef;
		if (!opq_octets(r, &sub, content, depth + 1, err))
			return false;
	}
	return r->r_pos == end;
}

/* Read the end of a container: EOC when indefinite, nothing otherwise. */
static bool
opq_close(struct opq_rd *r, const struct opq_hdr *h, uint64_t end)
{
	struct opq_hdr eoc;

	if (!h->h_indef)
		return r->r_pos == end;
	return opq_hdr(r, &eoc) && opq_is_eoc(&eoc);
}

/* Octets of a definite-length header for len. */
static size_t
opq_hdr_len(size_t len)
{
	size_t n = 2;

	if (len < 0x80)
		return n;
	for (; len > 0; len >>= 8)
		n++;
	return n;
}

/* Append a definite-length header tag/len to out. */
static bool
opq_put_hdr(struct opq_buf *out, unsigned int tag, size_t len)
{
	unsigned char h[10];
	size_t n = 0, i;
	int bytes = 0;

	h[n++] = (unsigned char)tag;
	if (len < 0x80)
		h[n++] = (unsigned char)len;
	else {
		for (i = len; i > 0; i >>= 8)
			bytes++;
		h[n++] = (unsigned char)(0x80 | bytes);
		while (bytes-- > 0)
			h[n++] = (unsigned char)(len >> (8 * bytes));
	}
	return opq_append(out, h, n);
}

/*
 * Parse the encapContentInfo whose header is h: its eContentType goes to
 * ctype, the content octets to content.  *has_content tells whether
 * there was an eContent at all.
 */
static bool
opq_encap(struct opq_rd *r, const struct opq_hdr *h, struct opq_buf *ctype,
    struct smime_spool *content, bool *has_content, struct smime_err *err)
{
	struct opq_hdr t, e, o;
	uint64_t end = r->r_pos + h->h_len, eend;

	*has_content = false;
	if (h->h_tag != 0x30 || !opq_hdr(r, &t) || t.h_tag != 0x06 ||
	    !opq_copy_tlv(r, &t, ctype, 0))
		return false;
	if (!h->h_indef && r->r_pos == end)
		return true;
	if (!opq_hdr(r, &e))
		return false;
	if (h->h_indef && opq_is_eoc(&e))
		return true;
	if (e.h_tag != 0xa0)
		return false;
	eend = r->r_pos + e.h_len;
	*has_content = true;
	if (!opq_hdr(r, &o) || !opq_octets(r, &o, content, 0, err) ||
	    !opq_close(r, &e, eend))
		return false;
	return opq_close(r, h, end);
}

/* Wrap the pieces as ContentInfo { signedData, [0] SignedData }. */
static bool
opq_rebuild(const struct opq_buf *pre, const struct opq_buf *ctype,
    const struct opq_buf *rest, struct opq_buf *out)
{
	static const unsigned char oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
	    0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
	struct opq_buf sd = { NULL, 0, 0 }, ci = { NULL, 0, 0 };
	bool ok;

	ok = opq_append(&sd, pre->b_data, pre->b_len) &&
	    opq_put_hdr(&sd, 0x30, ctype->b_len) &&
	    opq_append(&sd, ctype->b_data, ctype->b_len) &&
	    opq_append(&sd, rest->b_data, rest->b_len) &&
	    opq_append(&ci, oid, sizeof(oid)) &&
	    opq_put_hdr(&ci, 0xa0, opq_hdr_len(sd.b_len) + sd.b_len) &&
	    opq_put_hdr(&ci, 0x30, sd.b_len) &&
	    opq_append(&ci, sd.b_data, sd.b_len) &&
	    opq_put_hdr(out, 0x30, ci.b_len) &&
	    opq_append(out, ci.b_data, ci.b_len);
	free(sd.b_data);
	free(ci.b_data);
	return ok;
}

/* Parse the SignedData (header h) into pre, ctype, rest and content. */
static bool
opq_signed_data(struct opq_rd *r, const struct opq_hdr *h,
    struct opq_buf *pre, struct opq_buf *ctype, struct opq_buf *rest,
    struct smime_spool *content, bool *has_content, struct smime_err *err)
{
	struct opq_hdr v, d, e, x;
	uint64_t end = r->r_pos + h->h_len;

	if (h->h_tag != 0x30 || !opq_hdr(r, &v) || v.h_tag != 0x02 ||
	    !opq_copy_tlv(r, &v, pre, 0) || !opq_hdr(r, &d) ||
	    d.h_tag != 0x31 || !opq_copy_tlv(r, &d, pre, 0) ||
	    !opq_hdr(r, &e) || !opq_encap(r, &e, ctype, content,
	    has_content, err))
		return false;
	while (h->h_indef || r->r_pos < end) {
		if (!opq_hdr(r, &x))
			return false;
		if (opq_is_eoc(&x))
			return h->h_indef;
		if (!opq_copy_tlv(r, &x, rest, 0))
			return false;
	}
	return r->r_pos == end;
}

smime_status
smime_opaque_split(BIO *src, struct smime_spool *content, int *nid,
    CMS_ContentInfo **cms, const char **limit, struct smime_err *err)
{
	struct opq_rd *r = NULL;
	struct opq_hdr ci, oid, expl, sd;
	struct opq_buf oidbuf = { NULL, 0, 0 }, pre = { NULL, 0, 0 };
	struct opq_buf ctype = { NULL, 0, 0 }, rest = { NULL, 0, 0 };
	struct opq_buf der = { NULL, 0, 0 };
	const unsigned char *p;
	const char *why;
	ASN1_OBJECT *obj = NULL;
	bool has_content = false;
	smime_status ret = SMIME_SYNTAX;

	*cms = NULL;
	*nid = NID_undef;
	*limit = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ret = SMIME_NORESOURCE;
		goto out;
	}
	r->r_bio = src;
	if (!opq_hdr(r, &ci) || ci.h_tag != 0x30 || !opq_hdr(r, &oid) ||
	    oid.h_tag != 0x06 || !opq_copy_tlv(r, &oid, &oidbuf, 0))
		goto out;
	p = oidbuf.b_data;
	if ((obj = d2i_ASN1_OBJECT(NULL, &p, (long)oidbuf.b_len)) == NULL)
		goto out;
	if ((*nid = OBJ_obj2nid(obj)) != NID_pkcs7_signed) {
		ret = SMIME_OK;		/* not ours to split; the caller says */
		goto out;
	}
	if (!opq_hdr(r, &expl) || expl.h_tag != 0xa0 || !opq_hdr(r, &sd) ||
	    !opq_signed_data(r, &sd, &pre, &ctype, &rest, content,
	    &has_content, err)) {
		ret = r->r_err ? SMIME_TEMPFAIL : SMIME_SYNTAX;
		goto out;
	}
	if (!has_content) {	/* nothing encapsulated: not opaque */
		ret = SMIME_SYNTAX;
		goto out;
	}
	if (!opq_rebuild(&pre, &ctype, &rest, &der))
		goto out;
	/* Counts bounded before OpenSSL parses (cmslimit.h). */
	switch (smime_cms_check(der.b_data, der.b_len, &why)) {
	case SMIME_CMS_OVER:
		*limit = why;
		ret = SMIME_OK;
		goto out;
	case SMIME_CMS_MALFORMED:
		goto out;
	case SMIME_CMS_WITHIN:
	default:
		break;
	}
	p = der.b_data;
	if ((*cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.b_len)) == NULL)
		goto out;
	ret = SMIME_OK;
out:
	if (ret == SMIME_TEMPFAIL)
		smime_err_set(err, "cannot read the signed data");
	ERR_clear_error();
	ASN1_OBJECT_free(obj);
	free(oidbuf.b_data);
	free(pre.b_data);
	free(ctype.b_data);
	free(rest.b_data);
	free(der.b_data);
	free(r);
	return ret;
}
