/*
 * fuzz_cms.c - libFuzzer target over DER/BER CMS SignedData, the
 * signature part of a multipart/signed message.
 *
 * Input: the signature's DER.  The target checks it with
 * smime_cms_check(), then wraps it (base64) with a fixed signed text into
 * a multipart/signed message from taro@example.jp (even input sizes) or
 * as an opaque application/pkcs7-mime body (odd sizes, the streaming
 * path of smime/vopaque.c) and runs smime_verify_message() with the test
 * PKI of $FUZZ_PKI trusted, so seeds signed over FZ_CONTENT (see run.sh)
 * reach every signer check.
 *
 * A custom mutator keeps inputs structured: it parses the TLV tree and
 * duplicates (up to thousands of times), deletes, swaps or splices
 * elements, changes tags, or mutates one primitive value with
 * libFuzzer's own mutator, then re-encodes with correct lengths (now and
 * then with indefinite lengths).  Repeating SETs is how the hostile
 * inputs of issue 10 case 7 are built.
 *
 * Invariants: a checked-over-limit signature yields smime=permerror;
 * whatever passes the check and parses with OpenSSL stays within the
 * counts OpenSSL itself reports (SignerInfos, certificates, CRLs,
 * attributes); the edits are safe header fields.  Time and memory are
 * bounded by libFuzzer's -timeout and -rss_limit_mb.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "smime/cmslimit.h"
#include "smime/verify.h"
#include "test/fuzz/fuzz_msg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* The signed text; run.sh signs exactly these bytes for the seeds. */
#define FZ_CONTENT	"Content-Type: text/plain; charset=us-ascii\r\n\r\n" \
			"vote on Sunday"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct smime_verify_opts vo;

	(void)argc;
	(void)argv;
	fz_verify_opts(&vo, "fuzz_cms", true);
	vo.vo_signer_header = true;
	vo.vo_max_depth = 20;
	vo.vo_max_parts = 1000;
	fz_verifiers_init(&vo, "fuzz_cms");
	return 0;
}

/* ---- the TLV tree of the custom mutator ---- */

#define FZ_MAX_NODES	8192
#define FZ_MAX_DEPTH	24

struct fz_node {
	uint8_t		 fn_tag[4];	/* identifier octets */
	size_t		 fn_taglen;
	int		 fn_cons;
	const uint8_t	*fn_val;	/* primitive content (borrowed) */
	size_t		 fn_vlen;
	int		 fn_first;	/* first child, -1 none */
	int		 fn_next;	/* next sibling, -1 none */
	int		 fn_parent;
	int		 fn_indef;	/* write with indefinite length */
};

struct fz_tree {
	struct fz_node	 ft_n[FZ_MAX_NODES];
	int		 ft_count;
	uint8_t		*ft_scratch;	/* mutated primitive values */
	size_t		 ft_slen;
	size_t		 ft_salloc;
};

static struct fz_tree fz_t;

/* Parse DER siblings in [p, end) under parent; -1 when not DER. */
static int
fz_parse(struct fz_tree *t, const uint8_t *p, const uint8_t *end, int parent,
    int depth)
{
	int prev = -1, me;
	size_t len, n;

	if (depth > FZ_MAX_DEPTH)
		return -1;
	while (p < end) {
		struct fz_node *f;

		if (t->ft_count >= FZ_MAX_NODES)
			return -1;
		me = t->ft_count++;
		f = &t->ft_n[me];
		memset(f, 0, sizeof(*f));
		f->fn_first = f->fn_next = -1;
		f->fn_parent = parent;
		f->fn_cons = (p[0] & 0x20) != 0;
		f->fn_tag[0] = p[0];
		f->fn_taglen = 1;
		p++;
		if ((f->fn_tag[0] & 0x1f) == 0x1f) {
			while (p < end && (*p & 0x80) && f->fn_taglen < 3)
				f->fn_tag[f->fn_taglen++] = *p++;
			if (p >= end || (*p & 0x80))
				return -1;
			f->fn_tag[f->fn_taglen++] = *p++;
		}
		if (p >= end)
			return -1;
		len = *p++;
		if (len & 0x80) {
			n = len & 0x7f;
			if (n == 0 || n > 4 || (size_t)(end - p) < n)
				return -1;
			for (len = 0; n > 0; n--)
				len = (len << 8) | *p++;
		}
		if (len > (size_t)(end - p))
			return -1;
		if (f->fn_cons) {
			if (fz_parse(t, p, p + len, me, depth + 1) != 0)
				return -1;
		} else {
			f->fn_val = p;
			f->fn_vlen = len;
		}
		if (prev >= 0)
			t->ft_n[prev].fn_next = me;
		else if (parent >= 0)
			t->ft_n[parent].fn_first = me;
		prev = me;
		p += len;
	}
	return 0;
}

/* Encoded size of node i (and its subtree). */
static size_t
fz_size(const struct fz_tree *t, int i, int depth)
{
	const struct fz_node *f = &t->ft_n[i];
	size_t body = 0, hdr;
	int c;

	if (depth > 64)
		return SIZE_MAX / 4;
	if (f->fn_cons)
		for (c = f->fn_first; c >= 0; c = t->ft_n[c].fn_next)
			body += fz_size(t, c, depth + 1);
	else
		body = f->fn_vlen;
	if (f->fn_cons && f->fn_indef)
		return f->fn_taglen + 1 + body + 2;
	hdr = body < 0x80 ? 1 : body < 0x100 ? 2 : body < 0x10000 ? 3 :
	    body < 0x1000000 ? 4 : 5;
	return f->fn_taglen + hdr + body;
}

/* Write node i at out (room checked by the caller); returns the end. */
static uint8_t *
fz_write(const struct fz_tree *t, int i, uint8_t *out)
{
	const struct fz_node *f = &t->ft_n[i];
	size_t body = 0;
	int c;

	memcpy(out, f->fn_tag, f->fn_taglen);
	out += f->fn_taglen;
	if (f->fn_cons)
		for (c = f->fn_first; c >= 0; c = t->ft_n[c].fn_next)
			body += fz_size(t, c, 0);
	else
		body = f->fn_vlen;
	if (f->fn_cons && f->fn_indef)
		*out++ = 0x80;
	else if (body < 0x80)
		*out++ = (uint8_t)body;
	else {
		int nb = body < 0x100 ? 1 : body < 0x10000 ? 2 :
		    body < 0x1000000 ? 3 : 4, k;

		*out++ = (uint8_t)(0x80 | nb);
		for (k = nb - 1; k >= 0; k--)
			*out++ = (uint8_t)(body >> (8 * k));
	}
	if (f->fn_cons) {
		for (c = f->fn_first; c >= 0; c = t->ft_n[c].fn_next)
			out = fz_write(t, c, out);
		if (f->fn_indef) {
			*out++ = 0;
			*out++ = 0;
		}
	} else {
		memcpy(out, f->fn_val, f->fn_vlen);
		out += f->fn_vlen;
	}
	return out;
}

/* Copy the subtree of src as a new node (shares primitive values). */
static int
fz_clone(struct fz_tree *t, int src, int parent, int depth)
{
	int me, c, prev = -1, k;

	if (t->ft_count >= FZ_MAX_NODES || depth > FZ_MAX_DEPTH)
		return -1;
	me = t->ft_count++;
	t->ft_n[me] = t->ft_n[src];
	t->ft_n[me].fn_parent = parent;
	t->ft_n[me].fn_first = t->ft_n[me].fn_next = -1;
	for (c = t->ft_n[src].fn_first; c >= 0; c = t->ft_n[c].fn_next) {
		if ((k = fz_clone(t, c, me, depth + 1)) < 0)
			return -1;
		if (prev < 0)
			t->ft_n[me].fn_first = k;
		else
			t->ft_n[prev].fn_next = k;
		prev = k;
	}
	return me;
}

/* Unlink node i from its parent's children (not the root). */
static void
fz_unlink(struct fz_tree *t, int i)
{
	int p = t->ft_n[i].fn_parent, c;

	if (p < 0)
		return;
	if (t->ft_n[p].fn_first == i) {
		t->ft_n[p].fn_first = t->ft_n[i].fn_next;
		return;
	}
	for (c = t->ft_n[p].fn_first; c >= 0; c = t->ft_n[c].fn_next)
		if (t->ft_n[c].fn_next == i) {
			t->ft_n[c].fn_next = t->ft_n[i].fn_next;
			return;
		}
}

/* A random node reachable from the root (index order is parse order). */
static int
fz_pick(const struct fz_tree *t, unsigned int *r)
{
	*r = *r * 1103515245u + 12345u;
	return (int)((*r >> 8) % (unsigned int)t->ft_count);
}

/* Is i still attached under the root? */
static int
fz_attached(const struct fz_tree *t, int i)
{
	int p, c, depth = 0;

	for (; (p = t->ft_n[i].fn_parent) >= 0; i = p) {
		for (c = t->ft_n[p].fn_first; c >= 0 && c != i;
		    c = t->ft_n[c].fn_next)
			;
		if (c < 0 || ++depth > 64)
			return 0;
	}
	return i == 0;
}

/* One structural change; 0 when it did something. */
static int
fz_mutate_tree(struct fz_tree *t, unsigned int *r, size_t max_size)
{
	int i = fz_pick(t, r), j, k, times;
	struct fz_node *f;

	if (!fz_attached(t, i))
		return -1;
	f = &t->ft_n[i];
	*r = *r * 1103515245u + 12345u;
	switch ((*r >> 12) % 8) {
	case 0:		/* repeat a node: the hostile-SET shape */
	case 1:
		if (i == 0)
			return -1;
		times = 1 + (int)((*r >> 20) % (((*r >> 4) & 1) ? 4 : 2000));
		for (; times > 0; times--) {
			if ((k = fz_clone(t, i, f->fn_parent, 0)) < 0)
				break;
			t->ft_n[k].fn_next = t->ft_n[i].fn_next;
			t->ft_n[i].fn_next = k;
		}
		return 0;
	case 2:		/* delete */
		if (i == 0)
			return -1;
		fz_unlink(t, i);
		return 0;
	case 3:		/* splice another subtree in place of this one */
		j = fz_pick(t, r);
		if (i == 0 || j == i || !fz_attached(t, j) ||
		    (k = fz_clone(t, j, f->fn_parent, 0)) < 0)
			return -1;
		t->ft_n[k].fn_next = t->ft_n[i].fn_next;
		t->ft_n[i].fn_next = k;
		fz_unlink(t, i);
		return 0;
	case 4:		/* change the tag (class/number, keep form) */
		f->fn_tag[0] ^= (uint8_t)(1u << ((*r >> 16) % 5));
		if ((f->fn_tag[0] & 0x1f) == 0x1f)
			f->fn_tag[0] &= 0xfe;
		f->fn_taglen = 1;
		return 0;
	case 5:		/* indefinite length for a constructed node */
		if (!f->fn_cons)
			return -1;
		f->fn_indef = !f->fn_indef;
		return 0;
	default:	/* mutate a primitive value */
		if (f->fn_cons)
			return -1;
		{
			size_t room = f->fn_vlen + 64, n;
			uint8_t *v;

			if (room > max_size)
				room = max_size;
			if (t->ft_slen + room > t->ft_salloc)
				return -1;
			v = t->ft_scratch + t->ft_slen;
			if (f->fn_vlen > room)
				return -1;
			memcpy(v, f->fn_val, f->fn_vlen);
			n = LLVMFuzzerMutate(v, f->fn_vlen, room);
			f->fn_val = v;
			f->fn_vlen = n;
			t->ft_slen += n;
		}
		return 0;
	}
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed)
{
	struct fz_tree *t = &fz_t;
	unsigned int r = seed;
	uint8_t *copy = NULL, *out;
	size_t n, ok = 0;
	int rounds, tries;

	/* Now and then a plain byte mutation, lengths and all. */
	if (seed % 8 == 0 || size == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	if ((copy = malloc(size)) == NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	memcpy(copy, data, size);
	t->ft_count = 0;
	if (t->ft_scratch == NULL) {
		t->ft_salloc = 1 << 20;
		if ((t->ft_scratch = malloc(t->ft_salloc)) == NULL)
			goto plain;
	}
	t->ft_slen = 0;
	if (fz_parse(t, copy, copy + size, -1, 0) != 0 || t->ft_count == 0 ||
	    t->ft_n[0].fn_next >= 0)
		goto plain;
	rounds = 1 + (int)(seed >> 3) % 3;
	for (tries = 0; rounds > 0 && tries < 20; tries++)
		if (fz_mutate_tree(t, &r, max_size) == 0)
			rounds--;
	n = fz_size(t, 0, 0);
	if (n > max_size)
		goto plain;
	out = fz_write(t, 0, data);
	ok = (size_t)(out - data);
	free(copy);
	return ok;
plain:
	free(copy);
	return LLVMFuzzerMutate(data, size, max_size);
}

/* ---- the target ---- */

/* Build the multipart/signed message around the base64 of der. */
static char *
fz_wrap(const uint8_t *der, size_t size, size_t *len)
{
	static const char head[] =
	    "From: Taro <taro@example.jp>\nTo: voter@example.net\n"
	    "Subject: fuzz\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/signed; "
	    "protocol=\"application/pkcs7-signature\";\n"
	    " micalg=sha-256; boundary=\"fz-b\"\n\n--fz-b\n";
	static const char mid[] = "\n--fz-b\n"
	    "Content-Type: application/pkcs7-signature; name=smime.p7s\n"
	    "Content-Transfer-Encoding: base64\n\n";
	static const char tail[] = "\n--fz-b--\n";
	const char *content = FZ_CONTENT;
	size_t b64 = 4 * ((size + 2) / 3), lines = b64 / 76 + 1, i, o;
	char *msg, *c;
	unsigned char enc[80];

	*len = 0;
	if ((msg = malloc(sizeof(head) + strlen(content) + sizeof(mid) +
	    b64 + lines + sizeof(tail))) == NULL)
		return NULL;
	o = (size_t)sprintf(msg, "%s", head);
	/* The content with LF line ends, as fz_message expects a file. */
	for (c = (char *)content; *c != '\0'; c++)
		if (*c != '\r')
			msg[o++] = *c;
	o += (size_t)sprintf(msg + o, "%s", mid);
	for (i = 0; i < size; i += 57) {
		int n = EVP_EncodeBlock(enc, der + i,
		    (int)(size - i < 57 ? size - i : 57));

		memcpy(msg + o, enc, (size_t)n);
		o += (size_t)n;
		msg[o++] = '\n';
	}
	o += (size_t)sprintf(msg + o, "%s", tail + 1);
	*len = o;
	return msg;
}

/* The same DER as an opaque application/pkcs7-mime message. */
static char *
fz_wrap_opaque(const uint8_t *der, size_t size, size_t *len)
{
	static const char head[] =
	    "From: Taro <taro@example.jp>\nTo: voter@example.net\n"
	    "Subject: fuzz\nMIME-Version: 1.0\n"
	    "Content-Type: application/pkcs7-mime; smime-type=signed-data;"
	    " name=smime.p7m\nContent-Transfer-Encoding: base64\n\n";
	size_t b64 = 4 * ((size + 2) / 3), lines = b64 / 76 + 1, i, o;
	unsigned char enc[80];
	char *msg;

	*len = 0;
	if ((msg = malloc(sizeof(head) + b64 + lines + 1)) == NULL)
		return NULL;
	o = (size_t)sprintf(msg, "%s", head);
	for (i = 0; i < size; i += 57) {
		int n = EVP_EncodeBlock(enc, der + i,
		    (int)(size - i < 57 ? size - i : 57));

		memcpy(msg + o, enc, (size_t)n);
		o += (size_t)n;
		msg[o++] = '\n';
	}
	msg[o] = '\0';
	*len = o;
	return msg;
}

/* OpenSSL's own counts must respect what the walker let through. */
static void
fz_check_counts(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)size);
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *certs;
	STACK_OF(X509_CRL) *crls;
	int i;

	if (cms == NULL) {
		ERR_clear_error();
		return;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed) {
		sis = CMS_get0_SignerInfos(cms);
		if (sk_CMS_SignerInfo_num(sis) > SMIME_CMS_MAX_SIGNERS)
			fz_fail("SignerInfos over the limit passed", NULL);
		for (i = 0; i < sk_CMS_SignerInfo_num(sis); i++) {
			CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, i);

			if (CMS_signed_get_attr_count(si) >
			    SMIME_CMS_MAX_ATTRS ||
			    CMS_unsigned_get_attr_count(si) >
			    SMIME_CMS_MAX_ATTRS)
				fz_fail("attributes over the limit passed",
				    NULL);
		}
		certs = CMS_get1_certs(cms);
		if (sk_X509_num(certs) > SMIME_CMS_MAX_CERTS)
			fz_fail("certificates over the limit passed", NULL);
		sk_X509_pop_free(certs, X509_free);
		crls = CMS_get1_crls(cms);
		if (sk_X509_CRL_num(crls) > SMIME_CMS_MAX_CRLS)
			fz_fail("CRLs over the limit passed", NULL);
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
	}
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smime_headers hs;
	struct smime_spool *body;
	struct smime_edits ed;
	struct smime_err err;
	struct smime_verify_result res;
	enum smime_result worst;
	enum smime_cms_verdict v;
	const char *reason = NULL;
	smime_status st;
	size_t len;
	char *msg;

	v = smime_cms_check(data, size, &reason);
	if (v != SMIME_CMS_WITHIN && reason == NULL)
		fz_fail("check without a reason", NULL);
	if (v == SMIME_CMS_WITHIN)
		fz_check_counts(data, size);
	/* Odd sizes go the opaque (attached, streamed) way, even sizes as
	 * the signature part of a multipart/signed. */
	if ((msg = size % 2 ? fz_wrap_opaque(data, size, &len) :
	    fz_wrap(data, size, &len)) == NULL)
		return 0;
	if (fz_message((const uint8_t *)msg, len, &hs, &body) != 0) {
		free(msg);
		return 0;
	}
	smime_edits_init(&ed);
	st = smime_verify_message(fz_verifier_for((const uint8_t *)msg, len),
	    &hs, body, &ed, &res, &err);
	worst = res.vres_worst;
	if ((unsigned int)st >= SMIME_STATUS_COUNT)
		fz_fail("status out of range", NULL);
	fz_check_edits(&ed);
	/* Detached: over a limit is always permerror.  (Opaque input
	 * without encapsulated content is malformed before it is counted.) */
	if (size % 2 == 0 && st == SMIME_OK && v == SMIME_CMS_OVER &&
	    worst != SMIME_RESULT_PERMERROR)
		fz_fail("signature over a limit without permerror",
		    smime_result_name(worst));
	smime_edits_clear(&ed);
	smime_spool_free(body);
	smime_headers_clear(&hs);
	free(msg);
	return 0;
}
