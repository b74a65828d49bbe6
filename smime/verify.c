/*
 * verify.c - the verifier: trust configuration, the walk over the MIME
 * tree that finds signed entities, and the message-level result, decided
 * by vfy_decide() (the rule is written there and in smime-milter(8)).
 *
 * Signed entities are multipart/signed with an S/MIME protocol (content:
 * the first part's header and body exactly as received, CRLF-canonical,
 * streamed from the spool) and application/(x-)pkcs7-mime signed-data.
 * Below the top level the walk enters multiparts and message/rfc822 (an
 * encapsulated message's signer is compared with its own From); those
 * results go to the log line only.  Part numbers are IMAP's, and
 * body.smime-part names the signed content (multipart/signed: its first
 * part; opaque: the pkcs7-mime part).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "smime/credential.h"
#include "smime/address.h"
#include "smime/ar.h"
#include "smime/b64dec.h"
#include "smime/canon.h"
#include "smime/cmslimit.h"
#include "smime/hp.h"
#include "smime/import.h"
#include "smime/mime.h"
#include "smime/result.h"
#include "smime/revocation.h"
#include "smime/signerinfo.h"
#include "smime/verifier.h"
#include "smime/vopaque.h"


void
smime_verifier_free(struct smime_verifier *v)
{
	if (v == NULL)
		return;
	X509_STORE_free(v->v_store);
	sk_X509_pop_free(v->v_intermediates, X509_free);
	smime_crlset_free(v->v_crls);
	smime_ocsp_cache_free(v->v_ocsp);
	smime_crlfetch_free(v->v_fetch);
	smime_aiafetch_free(v->v_aia);
	free(v->v_authserv_id);
	free(v->v_tmpdir);
	free(v);
}

struct smime_verifier *
smime_verifier_new(const struct smime_verify_opts *opts,
    struct smime_err *err)
{
	struct smime_verifier *v = NULL;
	struct stat st;
	int ok;

	smime_err_clear(err);
	if (opts->vo_trust_anchors == NULL || opts->vo_authserv_id == NULL ||
	    *opts->vo_authserv_id == '\0') {
		smime_err_set(err, "trust anchors and authserv-id required");
		goto bad;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->v_store = X509_STORE_new()) == NULL ||
	    (v->v_intermediates = sk_X509_new_null()) == NULL ||
	    (v->v_authserv_id = strdup(opts->vo_authserv_id)) == NULL) {
		smime_err_set(err, "out of memory");
		goto bad;
	}
	if (stat(opts->vo_trust_anchors, &st) != 0) {
		smime_err_set(err, "%s: cannot stat trust anchors",
		    opts->vo_trust_anchors);
		goto bad;
	}
	/* A hashed directory (c_rehash) or one PEM file of roots. */
	ok = S_ISDIR(st.st_mode) ?
	    X509_STORE_load_path(v->v_store, opts->vo_trust_anchors) :
	    X509_STORE_load_file(v->v_store, opts->vo_trust_anchors);
	if (!ok) {
		smime_err_openssl(err, "%s: cannot load trust anchors",
		    opts->vo_trust_anchors);
		goto bad;
	}
	if (opts->vo_intermediates != NULL &&
	    smime_credential_add_certs(NULL, opts->vo_intermediates,
	    v->v_intermediates, err) != SMIME_OK)
		goto bad;
	if (opts->vo_ncrls > 0 && (v->v_crls = smime_crlset_new(opts->vo_crls,
	    opts->vo_ncrls, err)) == NULL)
		goto bad;
	if (opts->vo_crl_fetch) {
		if ((v->v_fetch = smime_crlfetch_new(opts->vo_crl_cache_dir,
		    opts->vo_crl_fetch_timeout, opts->vo_crl_max_size, err)) ==
		    NULL)
			goto bad;
		X509_STORE_set_lookup_crls(v->v_store,
		    smime_signerinfo_lookup_crls);
	}
	if (opts->vo_aia_fetch && (v->v_aia = smime_aiafetch_new(
	    opts->vo_crl_fetch_timeout)) == NULL) {
		smime_err_set(err, "out of memory");
		goto bad;
	}
	if (opts->vo_ocsp && (v->v_ocsp = smime_ocsp_cache_new()) == NULL) {
		smime_err_set(err, "out of memory");
		goto bad;
	}
	if (opts->vo_tmpdir != NULL &&
	    (v->v_tmpdir = strdup(opts->vo_tmpdir)) == NULL) {
		smime_err_set(err, "out of memory");
		goto bad;
	}
	v->v_spool_memory = opts->vo_spool_memory;
	v->v_ocsp_timeout = opts->vo_ocsp_timeout ? opts->vo_ocsp_timeout : 10;
	v->v_signer_header = opts->vo_signer_header;
	v->v_revscope = opts->vo_revocation_scope;
	v->v_revunavail = opts->vo_revocation_unavailable;
	v->v_time = opts->vo_time;
	v->v_allow_sha1 = opts->vo_allow_sha1;
	v->v_min_rsa_bits = opts->vo_min_rsa_bits ? opts->vo_min_rsa_bits :
	    2048;
	v->v_max_depth = opts->vo_max_depth ? opts->vo_max_depth :
	    SMIME_MIME_DEFAULT_DEPTH;
	v->v_max_parts = opts->vo_max_parts ? opts->vo_max_parts :
	    SMIME_MIME_DEFAULT_PARTS;
	return v;
bad:
	smime_verifier_free(v);
	return NULL;
}

/* Per-walk state: the verifier context plus the message spool. */
struct vfy_walk {
	struct smime_vctx	*vw_vc;
	struct smime_spool	*vw_spool;
	struct smime_err	*vw_err;
	const struct smime_headers *vw_outer;	/* enclosing message header */
	const struct smime_headers *vw_hdrs;	/* the message's own */
};

/*
 * The From address of a header list, or NULL when there is not exactly
 * one parsable From field.  *ok turns false on allocation failure.
 */
static char *
vfy_from(const struct smime_headers *hs, bool *ok)
{
	struct smime_err err;
	char *addr = NULL;
	smime_status st;

	if (smime_headers_count(hs, "From") != 1)
		return NULL;
	st = smime_address_from_header(smime_headers_get0(hs, "From", 0),
	    &addr, &err);
	if (st == SMIME_NORESOURCE)
		*ok = false;
	return addr;
}

/*
 * Read a CMS structure from a part's body (base64 of any line length, or
 * binary), bounded by
 * smime_cms_read_bounded() before OpenSSL parses it.  *cms NULL: not
 * parsable, or over a limit when *limit is set (report permerror).
 */
static smime_status
vfy_read_cms(struct vfy_walk *vw, const struct smime_mime_part *p,
    CMS_ContentInfo **cms, const char **limit)
{
	BIO *src, *b64 = NULL;
	smime_status ret = SMIME_NORESOURCE;

	*cms = NULL;
	*limit = NULL;
	if ((src = smime_spool_new_read_bio(vw->vw_spool, p->mp_body_start,
	    p->mp_body_end - p->mp_body_start)) == NULL)
		return SMIME_NORESOURCE;
	if (strcmp(p->mp_cte, "base64") == 0) {
		if ((b64 = smime_b64dec_new_bio()) == NULL)
			goto out;
		BIO_push(b64, src);
		ret = smime_cms_read_bounded(b64, cms, limit);
	} else if (strcmp(p->mp_cte, "binary") == 0 ||
	    strcmp(p->mp_cte, "7bit") == 0 || strcmp(p->mp_cte, "8bit") == 0)
		ret = smime_cms_read_bounded(src, cms, limit);
	else
		ret = SMIME_OK;
out:
	BIO_free(b64);
	BIO_free(src);
	ERR_clear_error();
	return ret;
}

/*
 * True when p is application/octet-stream named NAME.suffix (file name
 * from Content-Disposition's filename, else Content-Type's name; ASCII
 * case-insensitive): RFC 8551 3.2.2 asks receivers to treat such parts
 * as S/MIME (.p7m: pkcs7-mime, .p7s: pkcs7-signature).  The top-level
 * entity's fields are the message header.
 */
static bool
vfy_octet_named(const struct vfy_walk *vw, const struct smime_mime_part *p,
    const char *suffix)
{
	const struct smime_headers *hs = p->mp_parent == NULL ? vw->vw_hdrs :
	    &p->mp_headers;
	struct smime_mime_param *params = NULL;
	const char *disp, *name = NULL;
	char *token = NULL;
	size_t nparams = 0, i, len, slen = strlen(suffix);
	bool match = false;

	if (!smime_mime_is(p, "application", "octet-stream"))
		return false;
	if (smime_headers_count(hs, "Content-Disposition") == 1 &&
	    (disp = smime_headers_get0(hs, "Content-Disposition", 0)) !=
	    NULL && smime_mime_parse_token_params(disp, &token, &params,
	    &nparams) == SMIME_OK)
		for (i = 0; i < nparams; i++)
			if (smime_mime_strcasecmp(params[i].mpa_name,
			    "filename") == 0)
				name = params[i].mpa_value;
	if (name == NULL)
		name = smime_mime_get0_param(p, "name");
	if (name != NULL && (len = strlen(name)) > slen &&
	    smime_mime_strcasecmp(name + len - slen, suffix) == 0)
		match = true;
	free(token);
	smime_mime_params_free(params, nparams);
	return match;
}

/*
 * Verify a multipart/signed entity p: permerror when readers could split
 * it differently or it has more than two parts, neutral without a
 * signature part, else the signers of its second part over its first.
 */
static smime_status
vfy_detached(struct vfy_walk *vw, const struct smime_mime_part *p,
    const char *from)
{
	const struct smime_mime_part *content, *sig;
	const char *limit;
	CMS_ContentInfo *cms = NULL;
	BIO *src = NULL, *canon = NULL;
	size_t first = vw->vw_vc->vc_results.srl_count;
	const char *part;
	unsigned int flags;
	smime_status ret;
	size_t i;

	part = p->mp_nchildren ? p->mp_children[0]->mp_number : p->mp_number;
	/*
	 * Where readers could disagree on the signed part: no verdict.  The
	 * first part's own header is signed content, whatever it says.
	 */
	flags = p->mp_flags;
	for (i = 1; i < p->mp_nchildren; i++)
		flags |= p->mp_children[i]->mp_flags & SMIME_MIME_F_AMBIGUOUS;
	if ((flags & SMIME_MIME_F_LOOKALIKE) != 0) {
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_PERMERROR,
		    "ambiguous MIME boundary", part, from);
		goto out;
	}
	if ((flags & SMIME_MIME_F_AMBIGUOUS) != 0) {
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_PERMERROR,
		    "ambiguous MIME header", part, from);
		goto out;
	}
	/* Truncated, or readers differ on where the last part ends. */
	if ((p->mp_flags & SMIME_MIME_F_NOCLOSE) != 0) {
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_PERMERROR,
		    "no close delimiter", part, from);
		goto out;
	}
	/* A third part is content nobody signed, wherever it sits. */
	if (p->mp_nchildren > 2) {
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_PERMERROR,
		    "multipart/signed with more than two parts", part, from);
		goto out;
	}
	if (p->mp_nchildren < 2 ||
	    (!smime_mime_is(p->mp_children[1], "application",
	    "pkcs7-signature") && !smime_mime_is(p->mp_children[1],
	    "application", "x-pkcs7-signature") &&
	    !vfy_octet_named(vw, p->mp_children[1], ".p7s"))) {
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_NEUTRAL,
		    "malformed signature: no signature part", part, from);
		goto out;
	}
	content = p->mp_children[0];
	sig = p->mp_children[1];
	if ((ret = vfy_read_cms(vw, sig, &cms, &limit)) != SMIME_OK)
		goto out;
	if (cms == NULL) {
		ret = smime_vctx_add_plain(vw->vw_vc, limit != NULL ?
		    SMIME_RESULT_PERMERROR : SMIME_RESULT_NEUTRAL, limit != NULL ?
		    limit : "malformed signature", content->mp_number, from);
		goto out;
	}
	ret = SMIME_NORESOURCE;
	if ((src = smime_spool_new_read_bio(vw->vw_spool,
	    content->mp_hdr_start, content->mp_body_end -
	    content->mp_hdr_start)) == NULL ||
	    (canon = smime_canon_new_bio()) == NULL)
		goto out;
	BIO_push(canon, src);
	src = NULL;
	ret = smime_signerinfo_verify(vw->vw_vc, cms, canon,
	    content->mp_number, from, vw->vw_err);
	if (ret == SMIME_OK && vw->vw_outer != NULL)
		ret = smime_hp_check(&vw->vw_vc->vc_results, first, content,
		    vw->vw_outer, p->mp_parent == NULL);
out:
	BIO_free_all(canon);
	BIO_free(src);
	CMS_ContentInfo_free(cms);
	return ret;
}

/*
 * Verify an application/(x-)pkcs7-mime entity p.  The SignedData is
 * split while it is read (vopaque.c): its content goes to a spool of its
 * own and is digested from there, so memory stays flat however large the
 * message is.
 */
static smime_status
vfy_opaque(struct vfy_walk *vw, const struct smime_mime_part *p,
    const char *from)
{
	const struct smime_verifier *v = vw->vw_vc->vc_v;
	const char *type = smime_mime_get0_param(p, "smime-type");
	const char *limit = NULL;
	CMS_ContentInfo *cms = NULL;
	struct smime_spool *content = NULL;
	BIO *src = NULL, *b64 = NULL, *cbio = NULL;
	smime_status ret = SMIME_OK, st;
	int nid = NID_undef;
	size_t first;

	/* Only what can carry a signature interests us. */
	if (type != NULL && (smime_mime_strcasecmp(type, "certs-only") == 0 ||
	    smime_mime_strcasecmp(type, "compressed-data") == 0))
		goto out;
	if ((p->mp_flags & SMIME_MIME_F_AMBIGUOUS) != 0) {
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_PERMERROR,
		    "ambiguous MIME header", p->mp_number, from);
		goto out;
	}
	ret = SMIME_NORESOURCE;
	if ((src = smime_spool_new_read_bio(vw->vw_spool, p->mp_body_start,
	    p->mp_body_end - p->mp_body_start)) == NULL ||
	    (content = smime_spool_new(v->v_spool_memory, v->v_tmpdir)) ==
	    NULL)
		goto out;
	if (strcmp(p->mp_cte, "base64") == 0) {
		if ((b64 = smime_b64dec_new_bio()) == NULL)
			goto out;
		BIO_push(b64, src);
		st = smime_opaque_split(b64, content, &nid, &cms, &limit,
		    vw->vw_err);
	} else if (strcmp(p->mp_cte, "binary") == 0 ||
	    strcmp(p->mp_cte, "7bit") == 0 || strcmp(p->mp_cte, "8bit") == 0)
		st = smime_opaque_split(src, content, &nid, &cms, &limit,
		    vw->vw_err);
	else
		st = SMIME_SYNTAX;
	if (st == SMIME_TEMPFAIL || st == SMIME_NORESOURCE) {
		ret = st;
		goto out;
	}
	if (nid == NID_pkcs7_enveloped ||
	    nid == NID_id_smime_ct_authEnvelopedData)
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_NEUTRAL,
		    "encrypted: signature not verifiable", p->mp_number, from);
	else if (limit != NULL)	/* cmslimit.h: bounded before parsing */
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_PERMERROR,
		    limit, p->mp_number, from);
	else if (st != SMIME_OK || (nid == NID_pkcs7_signed && cms == NULL))
		ret = smime_vctx_add_plain(vw->vw_vc, SMIME_RESULT_NEUTRAL,
		    "malformed signature", p->mp_number, from);
	else if (cms == NULL)	/* other types carry no signature */
		ret = SMIME_OK;
	else if ((cbio = smime_spool_new_read_bio(content, 0, UINT64_MAX)) ==
	    NULL)
		ret = SMIME_NORESOURCE;
	else {
		first = vw->vw_vc->vc_results.srl_count;
		ret = smime_signerinfo_verify(vw->vw_vc, cms, cbio,
		    p->mp_number, from, vw->vw_err);
		if (ret == SMIME_OK && vw->vw_outer != NULL)
			ret = smime_hp_check_opaque(&vw->vw_vc->vc_results,
			    first, content, vw->vw_outer, p->mp_parent == NULL);
	}
out:
	ERR_clear_error();
	BIO_free(cbio);
	BIO_free(b64);
	BIO_free(src);
	smime_spool_free(content);
	CMS_ContentInfo_free(cms);
	return ret;
}

/* True for multipart/signed with S/MIME's protocol (or none given). */
static bool
vfy_is_smime_signed(const struct smime_mime_part *p)
{
	const char *proto = smime_mime_get0_param(p, "protocol");

	return smime_mime_is(p, "multipart", "signed") && (proto == NULL ||
	    smime_mime_strcasecmp(proto, "application/pkcs7-signature") == 0 ||
	    smime_mime_strcasecmp(proto, "application/x-pkcs7-signature") == 0);
}

/* True for application/(x-)pkcs7-mime. */
static bool
vfy_is_opaque(const struct vfy_walk *vw, const struct smime_mime_part *p)
{
	return smime_mime_is(p, "application", "pkcs7-mime") ||
	    smime_mime_is(p, "application", "x-pkcs7-mime") ||
	    vfy_octet_named(vw, p, ".p7m");
}

/*
 * Walk p and its descendants and verify every signed entity found; from
 * is the address signers must match (inside message/rfc822: that
 * message's own From).  Used below the top level, where results are
 * reported (log) but never make the message pass.
 */
static smime_status
vfy_walk_part(struct vfy_walk *vw, const struct smime_mime_part *p,
    const char *from)
{
	const struct smime_headers *outer = vw->vw_outer;
	char *inner = NULL;
	smime_status ret = SMIME_OK;
	bool ok = true;
	size_t i;

	if (vw->vw_vc->vc_full)
		goto out;
	if (smime_mime_is(p, "multipart", "signed")) {
		if (vfy_is_smime_signed(p) &&
		    (ret = vfy_detached(vw, p, from)) != SMIME_OK)
			goto out;
		/* A signature may sit inside the signed content too. */
		if (p->mp_nchildren > 0)
			ret = vfy_walk_part(vw, p->mp_children[0], from);
	} else if (vfy_is_opaque(vw, p)) {
		ret = vfy_opaque(vw, p, from);
	} else if ((smime_mime_is(p, "message", "rfc822") ||
	    smime_mime_is(p, "message", "global")) && p->mp_nchildren == 1) {
		inner = vfy_from(&p->mp_children[0]->mp_headers, &ok);
		vw->vw_outer = &p->mp_children[0]->mp_headers;
		if (!ok)
			ret = SMIME_NORESOURCE;
		else
			ret = vfy_walk_part(vw, p->mp_children[0], inner);
		vw->vw_outer = outer;
	} else {
		for (i = 0; i < p->mp_nchildren && ret == SMIME_OK; i++)
			ret = vfy_walk_part(vw, p->mp_children[i], from);
	}
out:
	free(inner);
	return ret;
}

/*
 * The one result for a message whose top level is not signed but which
 * carries signatures below it (the entries of inner): neutral, "only
 * part 2.1 is signed" (up to VFY_INNER_LIST part numbers), body.smime-part
 * only when there is one such part, never a signer.  Filled into *out.
 */
#define VFY_INNER_LIST	4

static smime_status
vfy_inner_summary(const struct smime_sigres *inner, size_t ninner,
    const char *from, struct smime_sigres_list *out)
{
	const char *parts[VFY_INNER_LIST];
	struct smime_sigres *sr;
	char reason[256];
	size_t i, j, np = 0, n;
	bool more = false, seen;

	for (i = 0; i < ninner; i++) {
		if (inner[i].sr_part == NULL)
			continue;
		for (seen = false, j = 0; j < np; j++)
			seen |= strcmp(parts[j], inner[i].sr_part) == 0;
		if (seen)
			continue;
		if (np == VFY_INNER_LIST) {
			more = true;
			break;
		}
		parts[np++] = inner[i].sr_part;
	}
	n = (size_t)snprintf(reason, sizeof(reason), "only part%s ",
	    np == 1 && !more ? "" : "s");
	for (j = 0; j < np && n < sizeof(reason); j++)
		n += (size_t)snprintf(reason + n, sizeof(reason) - n, "%s%s",
		    j ? ", " : "", parts[j]);
	if (n < sizeof(reason))
		snprintf(reason + n, sizeof(reason) - n, "%s %s signed",
		    more ? ", ..." : "", np == 1 && !more ? "is" : "are");
	if (np == 0)	/* only "too many signatures" entries */
		snprintf(reason, sizeof(reason), "only inner parts are signed");
	if (smime_sigres_add(out, &sr) != SMIME_OK)
		return SMIME_NORESOURCE;
	sr->sr_result = SMIME_RESULT_NEUTRAL;
	if ((sr->sr_reason = strdup(reason)) == NULL ||
	    (from != NULL && (sr->sr_from = strdup(from)) == NULL) ||
	    (np == 1 && !more && (sr->sr_part = strdup(parts[0])) == NULL))
		return SMIME_NORESOURCE;
	return SMIME_OK;
}

/*
 * THE MESSAGE-LEVEL RULE.  The message result (Authentication-Results,
 * the worst result for the reject policies) and X-SMIME-Signer describe the
 * top-level entity only, the body the reader sees:
 *
 *  - top-level multipart/signed (S/MIME protocol) or application/pkcs7-
 *    mime signed-data: its signers' results.  pass needs a valid
 *    signature over exactly the first of exactly two parts, a trusted
 *    signer and signer address == From (signerinfo.c).  Any structure
 *    readers may split differently (SMIME_MIME_F_LOOKALIKE,
 *    SMIME_MIME_F_AMBIGUOUS on the entity or its two parts) is permerror;
 *    a third part is permerror; attached SignedData in the signature slot
 *    is fail.
 *  - anything else (multipart/mixed with a signed part, a top-level
 *    message/rfc822, text/plain...): signatures below are verified and
 *    logged, and the message gets ONE smime=neutral ("only part 2.1 is
 *    signed") without signer, or smime=none when there are none.
 *
 * Signatures inside a signed top-level entity's content are logged only.
 * The decision table is in smime-milter(8).  *ntop receives how many
 * entries of vw's results describe the top-level entity.
 */
static smime_status
vfy_decide(struct vfy_walk *vw, const struct smime_mime_part *root,
    const char *from, size_t *ntop)
{
	smime_status ret;

	*ntop = 0;
	if (vfy_is_smime_signed(root)) {
		ret = vfy_detached(vw, root, from);
		*ntop = vw->vw_vc->vc_results.srl_count;
		if (ret == SMIME_OK && root->mp_nchildren > 0)
			ret = vfy_walk_part(vw, root->mp_children[0], from);
	} else if (vfy_is_opaque(vw, root)) {
		ret = vfy_opaque(vw, root, from);
		*ntop = vw->vw_vc->vc_results.srl_count;
	} else
		ret = vfy_walk_part(vw, root, from);
	return ret;
}

smime_status
smime_verify_message(const struct smime_verifier *v,
    const struct smime_headers *hdrs, struct smime_spool *body,
    struct smime_edits *edits, struct smime_verify_result *res,
    struct smime_err *err)
{
	struct smime_mime_part *tree = NULL;
	struct smime_sigres_list summary, view;
	const struct smime_sigres_list *msg;
	struct smime_vctx vc;
	struct vfy_walk vw;
	smime_status ret = SMIME_INTERNAL, st;
	char *from = NULL;
	size_t ntop = 0;
	bool ok = true;

	memset(res, 0, sizeof(*res));
	smime_err_clear(err);
	memset(&vc, 0, sizeof(vc));
	memset(&summary, 0, sizeof(summary));
	vc.vc_v = v;
	vw.vw_vc = &vc;
	vw.vw_spool = body;
	vw.vw_err = err;
	vw.vw_outer = hdrs;
	vw.vw_hdrs = hdrs;
	from = vfy_from(hdrs, &ok);
	if (!ok) {
		ret = SMIME_NORESOURCE;
		goto out;
	}
	st = smime_mime_parse(body, hdrs, v->v_max_depth, v->v_max_parts,
	    &tree, err);
	if (st == SMIME_TEMPFAIL) {
		ret = st;
		goto out;
	} else if (st == SMIME_NORESOURCE || st == SMIME_LIMIT ||
	    st == SMIME_SYNTAX) {
		/* The limits or a broken structure: nothing can be trusted. */
		ret = smime_vctx_add_plain(&vc, SMIME_RESULT_PERMERROR,
		    st == SMIME_SYNTAX ? "malformed MIME structure" :
		    "MIME structure exceeds limits", NULL, from);
		ntop = vc.vc_results.srl_count;
	} else if (st != SMIME_OK) {
		ret = st;
		goto out;
	} else
		ret = vfy_decide(&vw, tree, from, &ntop);
	if (ret != SMIME_OK)
		goto out;
	/* The message result: the top-level entries, or one summary. */
	view = vc.vc_results;
	view.srl_count = ntop;
	msg = &view;
	if (ntop == 0 && vc.vc_results.srl_count > 0) {
		if ((ret = vfy_inner_summary(vc.vc_results.srl_list,
		    vc.vc_results.srl_count, from, &summary)) != SMIME_OK) {
			smime_err_set(err, "out of memory");
			goto out;
		}
		msg = &summary;
	}
	if ((ret = smime_ar_edits(v->v_authserv_id, v->v_signer_header, hdrs,
	    msg, edits)) != SMIME_OK) {
		smime_err_set(err, "out of memory");
		goto out;
	}
	res->vres_worst = smime_sigres_worst(msg);
	smime_sigres_summary(&vc.vc_results, ntop, res->vres_summary);
	/* Sub-steps that did not stop verification leave no error behind. */
	smime_err_clear(err);
	ret = SMIME_OK;
out:
	if (ret != SMIME_OK) {
		smime_edits_clear(edits);
		memset(res, 0, sizeof(*res));
	}
	sk_X509_CRL_pop_free(vc.vc_crls, X509_CRL_free);
	smime_sigres_list_clear(&summary);
	smime_sigres_list_clear(&vc.vc_results);
	smime_mime_free(tree);
	free(from);
	return ret;
}
