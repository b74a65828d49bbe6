/*
 * signopaque.c - RFC 8551 3.5.2 opaque signing: application/pkcs7-mime;
 * smime-type=signed-data, the signed entity encapsulated in the
 * SignedData (for destinations known to rewrite mail, where a
 * multipart/signed body would not survive).
 *
 * The entity is written to a spool and signed exactly as for
 * multipart/signed (a detached SignedData, sign.c), which then hands both
 * to smime_sign_opaque_encapsulate() here.  A signature covers
 * the eContent octets and the signed attributes, never the encoding of
 * the wrapper, so the attached form is then produced by splicing the
 * entity into that DER as encapContentInfo.eContent (an OCTET STRING of
 * definite length) and recomputing the enclosing lengths: the result is
 * DER, and the entity streams from its spool into the base64 output
 * instead of being held in memory by OpenSSL (i2d of an attached
 * SignedData would hold it twice).  vopaque.c does the reverse when
 * verifying.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

#include "smime/b64enc.h"
#include "smime/sign_int.h"

#define OPQ_CHUNK		65536
#define OPQ_PREFIX_MAX		1024	/* wrapper up to the eContent octets */

/* One TLV of the detached DER: where it starts, its sizes. */
struct opq_tlv {
	const unsigned char	*t_start;
	size_t			 t_hdrlen;
	size_t			 t_len;		/* content octets */
};

/* Read the TLV at *p (within end), definite length only; advance *p. */
static bool
opq_tlv(const unsigned char **p, const unsigned char *end, int tag,
    int cls, struct opq_tlv *t)
{
	const unsigned char *q = *p;
	long len;
	int rc, gtag, gcls;

	if (*p >= end)
		return false;
	rc = ASN1_get_object(&q, &len, &gtag, &gcls, (long)(end - *p));
	if ((rc & 0x80) != 0 || rc == 0x21 || len < 0 ||
	    (size_t)len > (size_t)(end - q) || gtag != tag || gcls != cls)
		return false;
	t->t_start = *p;
	t->t_hdrlen = (size_t)(q - *p);
	t->t_len = (size_t)len;
	*p = q + len;
	return true;
}

static size_t
opq_tlv_size(const struct opq_tlv *t)
{
	return t->t_hdrlen + t->t_len;
}

/* Octets of a DER header with a one-octet tag and length len. */
static uint64_t
opq_hdr_size(uint64_t len)
{
	uint64_t n = 2;

	if (len >= 128)
		for (; len > 0; len >>= 8)
			n++;
	return n;
}

/* Append a DER header to buf (capacity OPQ_PREFIX_MAX) at *used. */
static bool
opq_put_hdr(unsigned char *buf, size_t *used, unsigned char tag,
    uint64_t len)
{
	size_t n = (size_t)opq_hdr_size(len), i;

	if (*used + n > OPQ_PREFIX_MAX)
		return false;
	buf[(*used)++] = tag;
	if (len < 128) {
		buf[(*used)++] = (unsigned char)len;
		return true;
	}
	buf[(*used)++] = (unsigned char)(0x80 | (n - 2));
	for (i = n - 2; i > 0; i--)
		buf[(*used)++] = (unsigned char)(len >> (8 * (i - 1)));
	return true;
}

static bool
opq_put(unsigned char *buf, size_t *used, const struct opq_tlv *t)
{
	size_t n = opq_tlv_size(t);

	if (*used + n > OPQ_PREFIX_MAX)
		return false;
	memcpy(buf + *used, t->t_start, n);
	*used += n;
	return true;
}

/*
 * The parts of the detached SignedData in der[0..len) that the attached
 * one keeps: the content type, version, digestAlgorithms, eContentType
 * and everything after encapContentInfo (certificates, crls,
 * signerInfos).  False when der is not the shape OpenSSL writes.
 */
struct opq_parts {
	struct opq_tlv	p_ctype, p_version, p_digests, p_etype;
	const unsigned char *p_rest;
	size_t		 p_restlen;
};

static bool
opq_split(const unsigned char *der, size_t len, struct opq_parts *pp)
{
	const unsigned char *p = der, *end = der + len, *in;
	struct opq_tlv ci, ctx0, sd, encap;

	if (!opq_tlv(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &ci) ||
	    p != end)
		return false;
	in = ci.t_start + ci.t_hdrlen;
	if (!opq_tlv(&in, p, V_ASN1_OBJECT, V_ASN1_UNIVERSAL, &pp->p_ctype) ||
	    !opq_tlv(&in, p, 0, V_ASN1_CONTEXT_SPECIFIC, &ctx0) || in != p)
		return false;
	in = ctx0.t_start + ctx0.t_hdrlen;
	if (!opq_tlv(&in, p, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &sd) ||
	    in != p)
		return false;
	in = sd.t_start + sd.t_hdrlen;
	if (!opq_tlv(&in, p, V_ASN1_INTEGER, V_ASN1_UNIVERSAL,
	    &pp->p_version) ||
	    !opq_tlv(&in, p, V_ASN1_SET, V_ASN1_UNIVERSAL, &pp->p_digests) ||
	    !opq_tlv(&in, p, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &encap))
		return false;
	pp->p_rest = in;
	pp->p_restlen = (size_t)(p - in);
	/* A detached encapContentInfo holds the content type alone. */
	in = encap.t_start + encap.t_hdrlen;
	return opq_tlv(&in, pp->p_rest, V_ASN1_OBJECT, V_ASN1_UNIVERSAL,
	    &pp->p_etype) && in == pp->p_rest;
}

/*
 * DER of the attached ContentInfo up to the eContent octets into buf
 * (OPQ_PREFIX_MAX), for an entity of elen octets.
 */
static bool
opq_prefix(const struct opq_parts *pp, uint64_t elen, unsigned char *buf,
    size_t *used)
{
	uint64_t octets, e0, enc, sdc, sdt, ctx0, ci;

	octets = opq_hdr_size(elen) + elen;		/* OCTET STRING */
	e0 = opq_hdr_size(octets) + octets;		/* [0] EXPLICIT */
	enc = opq_tlv_size(&pp->p_etype) + e0;		/* encapContentInfo */
	sdc = opq_tlv_size(&pp->p_version) + opq_tlv_size(&pp->p_digests) +
	    opq_hdr_size(enc) + enc + pp->p_restlen;
	sdt = opq_hdr_size(sdc) + sdc;			/* SignedData */
	ctx0 = opq_hdr_size(sdt) + sdt;			/* content [0] */
	ci = opq_tlv_size(&pp->p_ctype) + ctx0;		/* ContentInfo */
	*used = 0;
	return opq_put_hdr(buf, used, 0x30, ci) &&
	    opq_put(buf, used, &pp->p_ctype) &&
	    opq_put_hdr(buf, used, 0xa0, sdt) &&
	    opq_put_hdr(buf, used, 0x30, sdc) &&
	    opq_put(buf, used, &pp->p_version) &&
	    opq_put(buf, used, &pp->p_digests) &&
	    opq_put_hdr(buf, used, 0x30, enc) &&
	    opq_put(buf, used, &pp->p_etype) &&
	    opq_put_hdr(buf, used, 0xa0, octets) &&
	    opq_put_hdr(buf, used, 0x04, elen);
}

/* Base64 of prefix, the entity from ent, then the rest, into b. */
static smime_status
opq_encode(struct smime_b64enc *b, const unsigned char *prefix, size_t plen,
    struct smime_spool *ent, const struct opq_parts *pp,
    struct smime_err *err)
{
	unsigned char *chunk = NULL;
	uint64_t off = 0;
	size_t got;
	smime_status ret;

	if ((chunk = malloc(OPQ_CHUNK)) == NULL) {
		smime_err_set(err, "out of memory");
		return SMIME_NORESOURCE;
	}
	if ((ret = smime_b64enc_write(b, prefix, plen, err)) != SMIME_OK)
		goto out;
	for (;;) {
		if ((ret = smime_spool_read_at(ent, off, chunk, OPQ_CHUNK, &got,
		    err)) != SMIME_OK)
			goto out;
		if (got == 0)
			break;
		if ((ret = smime_b64enc_write(b, chunk, got, err)) != SMIME_OK)
			goto out;
		off += got;
	}
	if (off != smime_spool_size(ent)) {
		smime_err_set(err, "spool read failed while encoding");
		ret = SMIME_TEMPFAIL;
		goto out;
	}
	if ((ret = smime_b64enc_write(b, pp->p_rest, pp->p_restlen, err)) !=
	    SMIME_OK)
		goto out;
	ret = smime_b64enc_finish(b, err);
out:
	free(chunk);
	return ret;
}

smime_status
smime_sign_opaque_encapsulate(BIO *der, struct smime_spool *ent,
    struct smime_spool *out, struct smime_err *err)
{
	unsigned char prefix[OPQ_PREFIX_MAX];
	struct smime_b64enc *b = NULL;
	struct opq_parts pp;
	size_t plen;
	char *data;
	long dlen;
	smime_status ret = SMIME_INTERNAL;

	dlen = BIO_get_mem_data(der, &data);
	if (dlen <= 0 || !opq_split((const unsigned char *)data, (size_t)dlen,
	    &pp) || !opq_prefix(&pp, smime_spool_size(ent), prefix, &plen)) {
		smime_err_set(err, "unexpected SignedData encoding");
		goto out;
	}
	if ((b = smime_b64enc_new(out)) == NULL) {
		smime_err_set(err, "out of memory");
		ret = SMIME_NORESOURCE;
		goto out;
	}
	ret = opq_encode(b, prefix, plen, ent, &pp, err);
out:
	smime_b64enc_free(b);
	return ret;
}
