/*
 * cmslimit.c - count what a CMS SignedData carries before OpenSSL's CMS
 * code touches it (see cmslimit.h for why).
 *
 * The walker reads one TLV at a time with ASN1_get_object(), the same
 * header decoder d2i uses, so it agrees with OpenSSL about where each
 * element starts and ends, BER indefinite lengths included.  Only the
 * elements RFC 5652 5.1-5.3 lets repeat are counted:
 *
 *   ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
 *   SignedData ::= SEQUENCE { version, digestAlgorithms SET OF,
 *       encapContentInfo, certificates [0] IMPLICIT SET OF OPTIONAL,
 *       crls [1] IMPLICIT SET OF OPTIONAL, signerInfos SET OF }
 *   SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm,
 *       signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL,
 *       signatureAlgorithm, signature, unsignedAttrs [1] IMPLICIT ... }
 *   Attribute ::= SEQUENCE { attrType OID, attrValues SET OF }
 *
 * Every step either consumes input or stops, and an indefinite-length
 * element is skipped by walking its children at most SMIME_CMS_MAX_DEPTH
 * levels deep, so the cost is linear in the input.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "smime/cmslimit.h"

/* 1.2.840.113549.1.7.2, id-signedData, as DER content octets. */
static const unsigned char cl_oid_signed[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};

/* One element: where its content starts and the element ends. */
struct cl_tlv {
	int			 tl_tag;
	int			 tl_class;
	bool			 tl_cons;
	bool			 tl_indef;
	const unsigned char	*tl_val;	/* first content octet */
	const unsigned char	*tl_end;	/* after the element (and EOC) */
};

/* A position among the children of one constructed element. */
struct cl_cur {
	const unsigned char	*cc_p;
	const unsigned char	*cc_end;
	bool			 cc_indef;	/* children end with EOC */
	bool			 cc_done;
	int			 cc_depth;
};

/* Walk outcomes below zero; 1 is "an element", 0 "no more children". */
#define CL_BAD		(-1)	/* malformed */
#define CL_DEEP		(-2)	/* nesting over SMIME_CMS_MAX_DEPTH */

static void
cl_cur_init(struct cl_cur *c, const unsigned char *p, const unsigned char *end,
    bool indef, int depth)
{
	c->cc_p = p;
	c->cc_end = end;
	c->cc_indef = indef;
	c->cc_done = false;
	c->cc_depth = depth;
}

/* Cursor over the children of t, one level deeper than parent. */
static int
cl_cur_children(struct cl_cur *c, const struct cl_tlv *t,
    const struct cl_cur *parent)
{
	if (!t->tl_cons)
		return CL_BAD;
	if (parent->cc_depth + 1 > SMIME_CMS_MAX_DEPTH)
		return CL_DEEP;
	cl_cur_init(c, t->tl_val, t->tl_end, t->tl_indef,
	    parent->cc_depth + 1);
	return 0;
}

/*
 * Read the next child of c into t.  Returns 1, 0 at the end of the
 * children, CL_BAD or CL_DEEP.  An indefinite-length child is walked to
 * its end-of-contents octets (recursively, bounded).
 */
static int
cl_next(struct cl_cur *c, struct cl_tlv *t)
{
	const unsigned char *q = c->cc_p;
	struct cl_cur sub;
	struct cl_tlv skip;
	long len;
	int rc, tag, cls, r;

	if (c->cc_done)
		return 0;
	if (c->cc_p >= c->cc_end) {
		if (c->cc_indef)
			return CL_BAD;	/* no end-of-contents */
		c->cc_done = true;
		return 0;
	}
	if (c->cc_indef && c->cc_end - c->cc_p >= 2 && c->cc_p[0] == 0 &&
	    c->cc_p[1] == 0) {
		c->cc_p += 2;
		c->cc_done = true;
		return 0;
	}
	rc = ASN1_get_object(&q, &len, &tag, &cls, (long)(c->cc_end - c->cc_p));
	ERR_clear_error();
	if (rc & 0x80)
		return CL_BAD;
	t->tl_tag = tag;
	t->tl_class = cls;
	t->tl_cons = (rc & V_ASN1_CONSTRUCTED) != 0;
	t->tl_indef = (rc & 1) != 0;
	t->tl_val = q;
	if (!t->tl_indef) {
		if (len < 0 || len > c->cc_end - q)
			return CL_BAD;
		t->tl_end = q + len;
	} else {
		/* Find the end: walk the children down to their EOC. */
		if (c->cc_depth + 1 > SMIME_CMS_MAX_DEPTH)
			return CL_DEEP;
		cl_cur_init(&sub, q, c->cc_end, true, c->cc_depth + 1);
		while ((r = cl_next(&sub, &skip)) == 1)
			;
		if (r < 0)
			return r;
		t->tl_end = sub.cc_p;
	}
	c->cc_p = t->tl_end;
	return 1;
}

static bool
cl_is(const struct cl_tlv *t, int cls, int tag, bool cons)
{
	return t->tl_class == cls && t->tl_tag == tag && t->tl_cons == cons;
}

/*
 * Count the children of t, stopping early past max.  Returns the count
 * (max + 1 meaning "over") or a negative walk outcome.
 */
static long
cl_count(const struct cl_tlv *t, const struct cl_cur *parent, long max)
{
	struct cl_cur c;
	struct cl_tlv child;
	long n = 0;
	int r;

	if ((r = cl_cur_children(&c, t, parent)) < 0)
		return r;
	while (n <= max && (r = cl_next(&c, &child)) == 1)
		n++;
	return r < 0 ? r : n;
}

/* Map a walk outcome to a verdict and reason. */
static enum smime_cms_verdict
cl_fail(long r, const char **reason)
{
	if (r == CL_DEEP) {
		*reason = "signature nested too deeply";
		return SMIME_CMS_OVER;
	}
	*reason = "malformed signature";
	return SMIME_CMS_MALFORMED;
}

/* Check the attributes in t (signedAttrs or unsignedAttrs). */
static enum smime_cms_verdict
cl_attrs(const struct cl_tlv *t, const struct cl_cur *parent,
    const char *what, const char **reason)
{
	struct cl_cur c, ac;
	struct cl_tlv attr, part;
	long n = 0, r;

	if ((r = cl_cur_children(&c, t, parent)) < 0)
		return cl_fail(r, reason);
	while ((r = cl_next(&c, &attr)) == 1) {
		if (++n > SMIME_CMS_MAX_ATTRS) {
			*reason = what;
			return SMIME_CMS_OVER;
		}
		if (!cl_is(&attr, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true) ||
		    (r = cl_cur_children(&ac, &attr, &c)) < 0)
			return cl_fail(r < 0 ? r : CL_BAD, reason);
		/* attrType, then attrValues */
		if ((r = cl_next(&ac, &part)) != 1 ||
		    (r = cl_next(&ac, &part)) != 1 ||
		    !cl_is(&part, V_ASN1_UNIVERSAL, V_ASN1_SET, true))
			return cl_fail(r < 0 ? r : CL_BAD, reason);
		if ((r = cl_count(&part, &ac, SMIME_CMS_MAX_ATTR_VALUES)) < 0)
			return cl_fail(r, reason);
		if (r > SMIME_CMS_MAX_ATTR_VALUES) {
			*reason = "too many values in one attribute";
			return SMIME_CMS_OVER;
		}
	}
	return r < 0 ? cl_fail(r, reason) : SMIME_CMS_WITHIN;
}

/* Check every SignerInfo of the signerInfos SET t. */
static enum smime_cms_verdict
cl_signers(const struct cl_tlv *t, const struct cl_cur *parent,
    const char **reason)
{
	struct cl_cur c, sc;
	struct cl_tlv si, f;
	enum smime_cms_verdict v;
	long n = 0, r;

	if ((r = cl_cur_children(&c, t, parent)) < 0)
		return cl_fail(r, reason);
	while ((r = cl_next(&c, &si)) == 1) {
		if (++n > SMIME_CMS_MAX_SIGNERS) {
			*reason = "too many SignerInfos";
			return SMIME_CMS_OVER;
		}
		if (!cl_is(&si, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true) ||
		    (r = cl_cur_children(&sc, &si, &c)) < 0)
			return cl_fail(r < 0 ? r : CL_BAD, reason);
		while ((r = cl_next(&sc, &f)) == 1) {
			if (f.tl_class != V_ASN1_CONTEXT_SPECIFIC ||
			    (f.tl_tag != 0 && f.tl_tag != 1))
				continue;
			v = cl_attrs(&f, &sc, f.tl_tag == 0 ?
			    "too many signed attributes" :
			    "too many unsigned attributes", reason);
			if (v != SMIME_CMS_WITHIN)
				return v;
		}
		if (r < 0)
			return cl_fail(r, reason);
	}
	return r < 0 ? cl_fail(r, reason) : SMIME_CMS_WITHIN;
}

/* Check the SignedData SEQUENCE t. */
static enum smime_cms_verdict
cl_signed_data(const struct cl_tlv *t, const struct cl_cur *parent,
    const char **reason)
{
	struct cl_cur c;
	struct cl_tlv f;
	long r;

	if ((r = cl_cur_children(&c, t, parent)) < 0)
		return cl_fail(r, reason);
	/* version */
	if ((r = cl_next(&c, &f)) != 1 ||
	    !cl_is(&f, V_ASN1_UNIVERSAL, V_ASN1_INTEGER, false))
		return cl_fail(r < 0 ? r : CL_BAD, reason);
	/* digestAlgorithms */
	if ((r = cl_next(&c, &f)) != 1 ||
	    !cl_is(&f, V_ASN1_UNIVERSAL, V_ASN1_SET, true))
		return cl_fail(r < 0 ? r : CL_BAD, reason);
	if ((r = cl_count(&f, &c, SMIME_CMS_MAX_DIGEST_ALGS)) < 0)
		return cl_fail(r, reason);
	if (r > SMIME_CMS_MAX_DIGEST_ALGS) {
		*reason = "too many digestAlgorithms";
		return SMIME_CMS_OVER;
	}
	/* encapContentInfo */
	if ((r = cl_next(&c, &f)) != 1 ||
	    !cl_is(&f, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true))
		return cl_fail(r < 0 ? r : CL_BAD, reason);
	if ((r = cl_next(&c, &f)) != 1)
		return cl_fail(r < 0 ? r : CL_BAD, reason);
	if (cl_is(&f, V_ASN1_CONTEXT_SPECIFIC, 0, true)) {
		if ((r = cl_count(&f, &c, SMIME_CMS_MAX_CERTS)) < 0)
			return cl_fail(r, reason);
		if (r > SMIME_CMS_MAX_CERTS) {
			*reason = "too many certificates";
			return SMIME_CMS_OVER;
		}
		if ((r = cl_next(&c, &f)) != 1)
			return cl_fail(r < 0 ? r : CL_BAD, reason);
	}
	if (cl_is(&f, V_ASN1_CONTEXT_SPECIFIC, 1, true)) {
		if ((r = cl_count(&f, &c, SMIME_CMS_MAX_CRLS)) < 0)
			return cl_fail(r, reason);
		if (r > SMIME_CMS_MAX_CRLS) {
			*reason = "too many CRLs";
			return SMIME_CMS_OVER;
		}
		if ((r = cl_next(&c, &f)) != 1)
			return cl_fail(r < 0 ? r : CL_BAD, reason);
	}
	if (!cl_is(&f, V_ASN1_UNIVERSAL, V_ASN1_SET, true))
		return cl_fail(CL_BAD, reason);
	return cl_signers(&f, &c, reason);
}

enum smime_cms_verdict
smime_cms_check(const unsigned char *der, size_t len, const char **reason)
{
	struct cl_cur top, c, inner;
	struct cl_tlv ci, f;
	long r;

	*reason = NULL;
	if (len > SMIME_CMS_MAX_BYTES) {
		*reason = "signature too large";
		return SMIME_CMS_OVER;
	}
	cl_cur_init(&top, der, der + len, false, 0);
	if ((r = cl_next(&top, &ci)) != 1 ||
	    !cl_is(&ci, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true) ||
	    (r = cl_cur_children(&c, &ci, &top)) < 0 ||
	    (r = cl_next(&c, &f)) != 1 ||
	    !cl_is(&f, V_ASN1_UNIVERSAL, V_ASN1_OBJECT, false))
		return cl_fail(r < 0 ? r : CL_BAD, reason);
	if ((size_t)(f.tl_end - f.tl_val) != sizeof(cl_oid_signed) ||
	    memcmp(f.tl_val, cl_oid_signed, sizeof(cl_oid_signed)) != 0)
		return SMIME_CMS_WITHIN;	/* not SignedData: no counts */
	if ((r = cl_next(&c, &f)) != 1 ||
	    !cl_is(&f, V_ASN1_CONTEXT_SPECIFIC, 0, true) ||
	    (r = cl_cur_children(&inner, &f, &c)) < 0 ||
	    (r = cl_next(&inner, &f)) != 1 ||
	    !cl_is(&f, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true))
		return cl_fail(r < 0 ? r : CL_BAD, reason);
	return cl_signed_data(&f, &inner, reason);
}

smime_status
smime_cms_read_bounded(BIO *in, CMS_ContentInfo **cms, const char **limit)
{
	smime_status ret = SMIME_NORESOURCE;
	unsigned char *buf = NULL, *n;
	const unsigned char *p;
	size_t len = 0, alloc = 0;
	const char *why;
	int got;

	*cms = NULL;
	*limit = NULL;
	for (;;) {
		if (len == alloc) {
			alloc = alloc == 0 ? 16384 : alloc * 2;
			if (alloc > SMIME_CMS_MAX_BYTES + 1)
				alloc = SMIME_CMS_MAX_BYTES + 1;
			if ((n = realloc(buf, alloc)) == NULL)
				goto out;
			buf = n;
		}
		if ((got = BIO_read(in, buf + len, (int)(alloc - len))) <= 0)
			break;
		len += (size_t)got;
		if (len > SMIME_CMS_MAX_BYTES)
			break;	/* one byte over is enough to know */
	}
	ret = SMIME_OK;
	switch (smime_cms_check(buf, len, &why)) {
	case SMIME_CMS_OVER:
		*limit = why;
		goto out;
	case SMIME_CMS_MALFORMED:
		goto out;
	case SMIME_CMS_WITHIN:
	default:
		break;
	}
	p = buf;
	*cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
out:
	free(buf);
	ERR_clear_error();
	return ret;
}
