/*
 * signerinfo.c - verify the signers of one CMS SignedData and judge each one:
 * signature over the content, certificate path, revocation, purpose and
 * the signer's address against From.
 *
 * We do not call CMS_verify(): it stops at the first bad signer and folds
 * every failure into one error, while RFC 7281 wants each signer reported
 * and a fail must say why.  Instead the content is streamed once through
 * CMS_dataInit()'s digest BIOs and every SignerInfo is checked against
 * them, as CMS_verify() does internally.
 *
 * Validity is judged at verification time ("now"), not at the signer's
 * claimed signingTime: that attribute is chosen by the signer, so trusting
 * it would let a stolen, since-expired key sign mail "in the past".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "smime/address.h"
#include "smime/result.h"
#include "smime/revocation.h"
#include "smime/signerinfo.h"
#include "smime/verifier.h"

/* strdup that accepts NULL; *ok turns false on allocation failure. */
static char *
sinfo_dup(const char *s, bool *ok)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*ok = false;
	return d;
}

smime_status
smime_vctx_add_plain(struct smime_vctx *vc, enum smime_result result,
    const char *reason, const char *part, const char *from)
{
	struct smime_sigres *sr;
	bool ok = true;

	if (vc->vc_full)
		return SMIME_OK;
	if (vc->vc_results.srl_count >= SMIME_VERIFY_MAX_RESULTS) {
		vc->vc_full = true;
		result = SMIME_RESULT_PERMERROR;
		reason = "too many signatures";
	}
	if (smime_sigres_add(&vc->vc_results, &sr) != SMIME_OK)
		return SMIME_NORESOURCE;
	sr->sr_part = sinfo_dup(part, &ok);
	sr->sr_from = sinfo_dup(from, &ok);
	if (!smime_sigres_set(sr, result, reason) || !ok)
		return SMIME_NORESOURCE;
	return SMIME_OK;
}

/* "CN=.., O=.., OU=.." in UTF-8 from the subject; NULL when none. */
static char *
sinfo_signer_name(X509 *cert)
{
	static const struct {
		int	 nid;
		const char *label;
	} fields[] = {
		{ NID_commonName, "CN" },
		{ NID_organizationName, "O" },
		{ NID_organizationalUnitName, "OU" },
	};
	const X509_NAME *name = X509_get_subject_name(cert);
	BIO *mem = BIO_new(BIO_s_mem());
	char *out = NULL, *data;
	unsigned char *utf8;
	size_t f;
	long len;
	int pos, n, i;

	if (mem == NULL)
		return NULL;
	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		for (pos = -1; (pos = X509_NAME_get_index_by_NID(name,
		    fields[f].nid, pos)) >= 0;) {
			n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
			    X509_NAME_get_entry(name, pos)));
			if (n < 0)
				continue;
			/* No honest name has control characters. */
			for (i = 0; i < n; i++)
				if (utf8[i] < 0x20 || utf8[i] == 0x7f)
					utf8[i] = '?';
			BIO_printf(mem, "%s%s=%.*s", BIO_pending(mem) ? ", " :
			    "", fields[f].label, n, utf8);
			OPENSSL_free(utf8);
		}
	}
	if ((len = BIO_get_mem_data(mem, &data)) > 0 &&
	    (out = malloc((size_t)len + 1)) != NULL) {
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(mem);
	return out;
}

/* Issuer DN as RFC 4514 text (non-ASCII escaped as \XX); caller frees. */
static char *
sinfo_issuer(X509 *cert)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *out = NULL, *data;
	long len;

	if (mem == NULL)
		return NULL;
	if (X509_NAME_print_ex(mem, X509_get_issuer_name(cert), 0,
	    XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(mem, &data)) >= 0 &&
	    (out = malloc((size_t)len + 1)) != NULL) {
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(mem);
	return out;
}

/* Serial number in upper-case hex; caller frees. */
static char *
sinfo_serial(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = NULL, *out = NULL;

	if (bn != NULL && (hex = BN_bn2hex(bn)) != NULL)
		out = strdup(hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

/*
 * Fill the signer's identity into sr and compare its addresses (SAN
 * rfc822Name and DN emailAddress) with from.  Returns true on a match;
 * *ok turns false on allocation failure.
 */
static bool
sinfo_identity(struct smime_sigres *sr, X509 *cert, const char *from, bool *ok)
{
	STACK_OF(OPENSSL_STRING) *emails = X509_get1_email(cert);
	const char *id = NULL;
	bool match = false;
	int i;

	for (i = 0; i < sk_OPENSSL_STRING_num(emails); i++) {
		const char *e = sk_OPENSSL_STRING_value(emails, i);

		if (id == NULL)
			id = e;
		if (from != NULL && smime_address_equal(e, from)) {
			id = e;
			match = true;
			break;
		}
	}
	sr->sr_identifier = sinfo_dup(id, ok);
	X509_email_free(emails);
	if ((sr->sr_serial = sinfo_serial(cert)) == NULL ||
	    (sr->sr_issuer = sinfo_issuer(cert)) == NULL)
		*ok = false;
	sr->sr_signer = sinfo_signer_name(cert);
	return match;
}

/* Map a failed path validation to a result and reason. */
static void
sinfo_chain_error(X509_STORE_CTX *ctx, enum smime_result *result,
    const char **reason)
{
	int top;

	*result = SMIME_RESULT_FAIL;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		*reason = "expired";
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		*reason = "not yet valid";
		break;
	case X509_V_ERR_CERT_REVOKED:
		*reason = "certificate revoked";
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		/*
		 * The path stops at a certificate whose issuer is unknown.
		 * At the signer itself, its CA certificate is missing (the
		 * sender left out the intermediate, or the admin did not
		 * configure it); higher up, a CA certificate issued by a
		 * root we do not trust.
		 */
		top = sk_X509_num(X509_STORE_CTX_get0_chain(ctx));
		*reason = top <= 1 ? "missing intermediate" : "untrusted root";
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
		*reason = "untrusted root";
		break;
	case X509_V_ERR_INVALID_PURPOSE:
		*result = SMIME_RESULT_POLICY;
		*reason = "missing emailProtection";
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
		*result = SMIME_RESULT_TEMPERROR;
		*reason = "CRL unavailable";
		break;
	default:
		*reason = "certificate invalid";
		break;
	}
}

/*
 * Set up a fresh context for S/MIME signing, at the verifier's time (-D)
 * when at_time, else now.
 */
static bool
sinfo_ctx_init(X509_STORE_CTX *ctx, const struct smime_verifier *v,
    X509 *signer, STACK_OF(X509) *untrusted, bool at_time)
{
	if (!X509_STORE_CTX_init(ctx, v->v_store, signer, untrusted) ||
	    !X509_STORE_CTX_set_default(ctx, "smime_sign"))
		return false;
	if (at_time && v->v_time != 0)
		X509_STORE_CTX_set_time(ctx, 0, v->v_time);
	return true;
}

/* What the CRL pass learnt, per chain depth (deeper ones share bit 63). */
struct sinfo_rev {
	const struct smime_verifier *vr_v;
	uint64_t	 vr_unavail;	/* no usable CRL for this depth */
	uint64_t	 vr_revoked;	/* listed as revoked */
};

#define VCMS_BIT(depth)	((uint64_t)1 << ((depth) < 63 ? (depth) : 63))

/*
 * Verify callback of the CRL pass.  The path itself was judged by the
 * first pass; here only revocation is recorded, and validation goes on
 * so that every depth is looked at.
 */
static int
sinfo_rev_cb(int ok, X509_STORE_CTX *ctx)
{
	struct sinfo_rev *vr = X509_STORE_CTX_get_app_data(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);

	if (ok || vr == NULL || depth < 0)
		return 1;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_CERT_REVOKED:
		vr->vr_revoked |= VCMS_BIT(depth);
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
		vr->vr_unavail |= VCMS_BIT(depth);
		break;
	default:
		break;
	}
	return 1;
}

STACK_OF(X509_CRL) *
smime_signerinfo_lookup_crls(const X509_STORE_CTX *ctx, const X509_NAME *nm)
{
	struct sinfo_rev *vr = X509_STORE_CTX_get_app_data(ctx);
	STACK_OF(X509_CRL) *crls, *fetched;
	STACK_OF(X509) *chain;
	X509 *cert, *issuer = NULL;
	int i, n;

	crls = X509_STORE_CTX_get1_crls(ctx, nm);
	if (vr == NULL || vr->vr_v->v_fetch == NULL ||
	    (cert = X509_STORE_CTX_get_current_cert(ctx)) == NULL)
		return crls;
	/* The issuer is the next certificate up the (built) chain. */
	chain = X509_STORE_CTX_get0_chain(ctx);
	n = sk_X509_num(chain);
	for (i = 0; i < n; i++)
		if (sk_X509_value(chain, i) == cert) {
			issuer = sk_X509_value(chain, i + 1 < n ? i + 1 : i);
			break;
		}
	fetched = smime_crlfetch_get1(vr->vr_v->v_fetch, cert, issuer,
	    time(NULL));
	if (crls == NULL)
		return fetched;
	for (i = 0; fetched != NULL && i < sk_X509_CRL_num(fetched); i++) {
		X509_CRL *crl = sk_X509_CRL_value(fetched, i);

		if (sk_X509_CRL_push(crls, crl))
			X509_CRL_up_ref(crl);
	}
	sk_X509_CRL_pop_free(fetched, X509_CRL_free);
	return crls;
}

/* True when cert names an http:// CRL distribution point. */
static bool
sinfo_has_http_cdp(X509 *cert)
{
	STACK_OF(DIST_POINT) *dps;
	bool found = false;
	int i, j;

	dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	for (i = 0; !found && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *names;

		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; !found && j < sk_GENERAL_NAME_num(names); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);

			found = gn->type == GEN_URI &&
			    gn->d.uniformResourceIdentifier->length > 7 &&
			    OPENSSL_strncasecmp((const char *)gn->d.
			    uniformResourceIdentifier->data, "http://", 7) == 0;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return found;
}

/*
 * True when the verifier has some way to learn cert's revocation status:
 * configured CRL files (the admin asked for CRL checks), a fetchable CDP,
 * or (the signer only) an OCSP responder.  A certificate whose CA
 * publishes nothing and that no configured CRL covers cannot be checked;
 * that is not "unavailable".
 */
static bool
sinfo_rev_checkable(const struct smime_verifier *v, X509 *cert, int depth)
{
	return v->v_crls != NULL ||
	    (v->v_fetch != NULL && sinfo_has_http_cdp(cert)) ||
	    (depth == 0 && v->v_ocsp != NULL &&
	    smime_ocsp_has_responder(cert));
}

/*
 * Revocation of a validated chain (signer first, trust anchor last):
 * one CRL pass over every certificate (configured CRLs, fetched ones),
 * then OCSP for the signer.  Revocation is judged as of now, also with
 * -D: a CRL issued after that time still says the certificate was not
 * revoked then, and one that lists it makes any signature suspect.  Returns FAIL ("certificate revoked") when
 * any certificate is listed as revoked, else PASS; *unavail receives the
 * reason when a certificate in scope (the signer; with scope "chain"
 * every one below the anchor) has no usable status, else NULL.
 */
static enum smime_result
sinfo_revocation(struct smime_vctx *vc, X509 *signer, STACK_OF(X509) *untrusted,
    STACK_OF(X509) *chain, const char **reason, const char **unavail)
{
	const struct smime_verifier *v = vc->vc_v;
	X509_STORE_CTX *ctx = NULL;
	struct sinfo_rev vr = { v, 0, 0 };
	enum smime_result result = SMIME_RESULT_PASS, ocsp = SMIME_RESULT_PASS;
	const char *ocsp_reason = NULL;
	bool crl_pass = v->v_crls != NULL || v->v_fetch != NULL;
	int i, n = sk_X509_num(chain);

	*reason = NULL;
	*unavail = NULL;
	if (crl_pass) {
		if (v->v_crls != NULL && !vc->vc_crls_loaded) {
			vc->vc_crls = smime_crlset_get1(v->v_crls);
			vc->vc_crls_loaded = true;
		}
		if ((ctx = X509_STORE_CTX_new()) == NULL ||
		    !sinfo_ctx_init(ctx, v, signer, untrusted, false) ||
		    (v->v_crls != NULL && vc->vc_crls == NULL)) {
			vr.vr_unavail = ~(uint64_t)0;	/* nothing learnt */
		} else {
			if (vc->vc_crls != NULL)
				X509_STORE_CTX_set0_crls(ctx, vc->vc_crls);
			X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK |
			    X509_V_FLAG_CRL_CHECK_ALL);
			X509_STORE_CTX_set_app_data(ctx, &vr);
			X509_STORE_CTX_set_verify_cb(ctx, sinfo_rev_cb);
			if (X509_verify_cert(ctx) <= 0)
				vr.vr_unavail = ~(uint64_t)0;
		}
	} else
		vr.vr_unavail = ~(uint64_t)0;
	/* The anchor (last) is trusted as configured, not checked. */
	for (i = 0; i < n - 1; i++)
		if (vr.vr_revoked & VCMS_BIT(i)) {
			result = SMIME_RESULT_FAIL;
			*reason = "certificate revoked";
			goto out;
		}
	if (v->v_ocsp != NULL && n >= 2 &&
	    smime_ocsp_has_responder(sk_X509_value(chain, 0))) {
		smime_ocsp_check(v->v_ocsp, v->v_store, chain,
		    v->v_ocsp_timeout, &ocsp, &ocsp_reason);
		if (ocsp == SMIME_RESULT_FAIL) {
			result = SMIME_RESULT_FAIL;
			*reason = ocsp_reason;
			goto out;
		}
		if (ocsp == SMIME_RESULT_PASS)
			vr.vr_unavail &= ~VCMS_BIT(0);	/* OCSP: good */
	}
	for (i = 0; i < n - 1; i++) {
		if (!(vr.vr_unavail & VCMS_BIT(i)) ||
		    (i > 0 && v->v_revscope != SMIME_REVSCOPE_CHAIN) ||
		    !sinfo_rev_checkable(v, sk_X509_value(chain, i), i))
			continue;
		*unavail = i == 0 && ocsp_reason != NULL ? ocsp_reason :
		    "CRL unavailable";
		break;
	}
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return result;
}

/*
 * Validate the signer's path (at the verifier's time, for S/MIME
 * signing) without revocation, so that a definitive answer (expired,
 * untrusted...) is never hidden behind missing revocation data; then,
 * when the path is good, its revocation.  When the path stops at a
 * certificate whose issuer is unknown and verify.aia_fetch is on, the
 * issuer named by its caIssuers URL is fetched and the path tried again.  Returns PASS or a failing
 * result with *reason; *unavail as for sinfo_revocation().
 */
static enum smime_result
sinfo_chain(struct smime_vctx *vc, X509 *signer, STACK_OF(X509) *untrusted,
    const char **reason, const char **unavail)
{
	const struct smime_verifier *v = vc->vc_v;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *chain = NULL, *more = NULL, *use = untrusted;
	enum smime_result result = SMIME_RESULT_TEMPERROR;
	int err, round;
	X509 *top;

	*reason = "internal error";
	*unavail = NULL;
	/* With verify.aia_fetch, up to 3 missing CA certificates are fetched. */
	for (round = 0;; round++) {
		X509_STORE_CTX_free(ctx);
		if ((ctx = X509_STORE_CTX_new()) == NULL ||
		    !sinfo_ctx_init(ctx, v, signer, use, true))
			goto out;
		if (X509_verify_cert(ctx) > 0)
			break;
		err = X509_STORE_CTX_get_error(ctx);
		top = sk_X509_value(X509_STORE_CTX_get0_chain(ctx),
		    sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) - 1);
		if (v->v_aia == NULL || round >= 3 || top == NULL ||
		    (err != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT &&
		    err != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY &&
		    err != X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) ||
		    (more == NULL && (more = X509_chain_up_ref(untrusted)) ==
		    NULL) || !smime_aiafetch_add(v->v_aia, top, more)) {
			sinfo_chain_error(ctx, &result, reason);
			goto out;
		}
		use = more;
	}
	if ((chain = X509_STORE_CTX_get1_chain(ctx)) == NULL)
		goto out;
	if (v->v_crls == NULL && v->v_fetch == NULL && v->v_ocsp == NULL) {
		*reason = NULL;
		result = SMIME_RESULT_PASS;
		goto out;
	}
	result = sinfo_revocation(vc, signer, use, chain, reason, unavail);
out:
	sk_X509_pop_free(more, X509_free);
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return result;
}

#define VCMS_SIG_OK	1	/* the signature verifies */
#define VCMS_SIG_BAD	0	/* it does not: content or attributes altered */
#define VCMS_SIG_BADKEY	(-1)	/* the signer's key cannot be used at all */

/*
 * Check si's signature (over its signed attributes, and the content
 * digest from cmsbio).  A public key OpenSSL cannot load (unknown
 * algorithm, DSA whose parameters are inherited from the issuer per RFC
 * 3279 2.3.2 and so absent) is VCMS_SIG_BADKEY: the verifier cannot
 * judge it, which is not evidence of tampering.
 */
static int
sinfo_signature(CMS_SignerInfo *si, X509 *signer, BIO *cmsbio)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	int ret;

	if (pk == NULL || EVP_PKEY_missing_parameters(pk)) {
		ERR_clear_error();
		return VCMS_SIG_BADKEY;
	}
	ret = (CMS_signed_get_attr_count(si) < 0 ||
	    CMS_SignerInfo_verify(si) > 0) &&
	    CMS_SignerInfo_verify_content(si, cmsbio) > 0 ? VCMS_SIG_OK :
	    VCMS_SIG_BAD;
	ERR_clear_error();
	return ret;
}

/*
 * The algorithm policy for one signer: NULL when acceptable, else the
 * reason for "policy".  SHA-1 as the message digest (RFC 8551 2.1: MUST
 * NOT be used; clients reject it) unless allowed, and RSA signer keys
 * shorter than v_min_rsa_bits.
 */
static const char *
sinfo_algorithm(const struct smime_verifier *v, CMS_SignerInfo *si,
    X509 *signer)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	EVP_PKEY *pk;
	int id;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	if (!v->v_allow_sha1 && dig != NULL &&
	    OBJ_obj2nid(dig->algorithm) == NID_sha1)
		return "SHA-1 signature";
	if (!v->v_allow_sha1 && sig != NULL) {
		id = OBJ_obj2nid(sig->algorithm);
		if (id == NID_sha1WithRSAEncryption ||
		    id == NID_ecdsa_with_SHA1 || id == NID_dsaWithSHA1)
			return "SHA-1 signature";
	}
	if ((pk = X509_get0_pubkey(signer)) != NULL &&
	    (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA ||
	    EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA_PSS) &&
	    EVP_PKEY_get_bits(pk) < (int)v->v_min_rsa_bits)
		return "RSA key too short";
	ERR_clear_error();
	return NULL;
}

/*
 * Judge one signer whose signature state is sig (VCMS_SIG_*): fills sr.  A
 * definitive answer always wins over missing revocation data: content
 * altered, then the path (expired, not yet valid, untrusted, missing
 * emailProtection...), revoked, the signer's address against From, the
 * algorithm policy (alg: its reason, or NULL); only then does
 * "revocation unavailable" count, as verify.revocation_unavailable says.
 */
static bool
sinfo_signer(struct smime_vctx *vc, struct smime_sigres *sr, X509 *signer,
    int sig, const char *alg, STACK_OF(X509) *untrusted,
    const char *from)
{
	const struct smime_verifier *v = vc->vc_v;
	enum smime_result result;
	const char *reason = NULL, *unavail = NULL;
	bool ok = true, match;

	match = sinfo_identity(sr, signer, from, &ok);
	if (sig == VCMS_SIG_BADKEY) {
		/* Nothing can be said about the content: not a fail. */
		result = SMIME_RESULT_PERMERROR;
		reason = "unsupported key";
	} else if (sig != VCMS_SIG_OK) {
		result = SMIME_RESULT_FAIL;
		reason = "content altered";
	} else if ((result = sinfo_chain(vc, signer, untrusted, &reason,
	    &unavail)) != SMIME_RESULT_PASS)
		;
	else if (!match) {
		result = SMIME_RESULT_POLICY;
		reason = from == NULL ? "no single From address" :
		    "signer does not match From";
	} else if (alg != NULL) {
		result = SMIME_RESULT_POLICY;
		reason = alg;
	} else if (unavail != NULL) {
		reason = unavail;
		switch (v->v_revunavail) {
		case SMIME_REVUNAVAIL_PASS:
			result = SMIME_RESULT_PASS;
			break;
		case SMIME_REVUNAVAIL_NEUTRAL:
			result = SMIME_RESULT_NEUTRAL;
			break;
		default:
			result = SMIME_RESULT_TEMPERROR;
			break;
		}
	}
	return smime_sigres_set(sr, result, reason) && ok;
}

/*
 * The signer's claimed signingTime as "YYYY-MM-DDTHH:MM:SSZ", or NULL
 * when absent or unreadable.  Reported only, never used for validity.
 */
static char *
sinfo_signing_time(CMS_SignerInfo *si)
{
	ASN1_TYPE *t;
	struct tm tm;
	char buf[32];
	int pos;

	pos = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	if (pos < 0 || (t = X509_ATTRIBUTE_get0_type(
	    CMS_signed_get_attr(si, pos), 0)) == NULL)
		return NULL;
	if ((t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME) ||
	    !ASN1_TIME_to_tm(t->value.utctime, &tm) ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return strdup(buf);
}

/* Free the digest BIOs CMS_dataInit() pushed on top of content. */
static void
sinfo_free_upto(BIO *bio, BIO *content)
{
	BIO *next;

	while (bio != NULL && bio != content) {
		next = BIO_pop(bio);
		BIO_free(bio);
		bio = next;
	}
}

/* Read bio to its end; false on a read error of the content source. */
static bool
sinfo_drain(BIO *bio, BIO *content)
{
	unsigned char buf[8192];
	BIO *src = content;

	while (BIO_read(bio, buf, sizeof(buf)) > 0)
		;
	if (content == NULL)
		return true;
	/* The source at the bottom must be at its end, or reading failed. */
	while (BIO_next(src) != NULL)
		src = BIO_next(src);
	return BIO_eof(src) != 0;
}

smime_status
smime_signerinfo_verify(struct smime_vctx *vc, CMS_ContentInfo *cms,
    BIO *content, const char *part, const char *from, struct smime_err *err)
{
	STACK_OF(CMS_SignerInfo) *sinfos;
	STACK_OF(X509) *untrusted = NULL;
	CMS_SignerInfo *si;
	struct smime_sigres *sr;
	BIO *cmsbio = NULL;
	X509 *signer;
	smime_status ret = SMIME_NORESOURCE;
	bool ok = true;
	int sig;
	int i, n;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		ret = smime_vctx_add_plain(vc, SMIME_RESULT_NEUTRAL,
		    "malformed signature", part, from);
		goto out;
	}
	sinfos = CMS_get0_SignerInfos(cms);
	/*
	 * Signed data of its own in the detached slot: whatever it says
	 * about its own copy, it does not vouch for the content the reader
	 * sees (openssl cms -verify fails it too).
	 */
	if (content != NULL && CMS_is_detached(cms) == 0) {
		ret = smime_vctx_add_plain(vc, SMIME_RESULT_FAIL,
		    "detached signature has embedded content", part, from);
		goto out;
	}
	if ((n = sk_CMS_SignerInfo_num(sinfos)) <= 0 ||
	    (content == NULL) != (CMS_is_detached(cms) == 0)) {
		ret = smime_vctx_add_plain(vc, SMIME_RESULT_NEUTRAL,
		    "malformed signature", part, from);
		goto out;
	}
	/* Certificates in the message first, then our intermediates. */
	if ((untrusted = CMS_get1_certs(cms)) == NULL &&
	    (untrusted = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(vc->vc_v->v_intermediates); i++)
		if (!X509_add_cert(untrusted,
		    sk_X509_value(vc->vc_v->v_intermediates, i),
		    X509_ADD_FLAG_UP_REF))
			goto out;
	CMS_set1_signers_certs(cms, vc->vc_v->v_intermediates, 0);
	ERR_clear_error();
	if ((cmsbio = CMS_dataInit(cms, content)) == NULL) {
		ret = smime_vctx_add_plain(vc, SMIME_RESULT_NEUTRAL,
		    "malformed signature", part, from);
		goto out;
	}
	if (!sinfo_drain(cmsbio, content)) {
		smime_err_set(err, "cannot read signed content");
		ret = SMIME_TEMPFAIL;
		goto out;
	}
	for (i = 0; i < n && !vc->vc_full; i++) {
		if (vc->vc_results.srl_count >= SMIME_VERIFY_MAX_RESULTS) {
			ret = smime_vctx_add_plain(vc, SMIME_RESULT_PERMERROR,
			    NULL, part, from);
			goto out;
		}
		si = sk_CMS_SignerInfo_value(sinfos, i);
		signer = NULL;
		CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
		if (signer == NULL) {
			if ((ret = smime_vctx_add_plain(vc,
			    SMIME_RESULT_NEUTRAL, "signer certificate missing",
			    part, from)) != SMIME_OK)
				goto out;
			continue;
		}
		ret = SMIME_NORESOURCE;
		if (smime_sigres_add(&vc->vc_results, &sr) != SMIME_OK)
			goto out;
		sr->sr_part = sinfo_dup(part, &ok);
		sr->sr_from = sinfo_dup(from, &ok);
		sr->sr_signing_time = sinfo_signing_time(si);
		sig = sinfo_signature(si, signer, cmsbio);
		if (!sinfo_signer(vc, sr, signer, sig,
		    sinfo_algorithm(vc->vc_v, si, signer), untrusted, from) ||
		    !ok)
			goto out;
	}
	ret = SMIME_OK;
out:
	if (ret == SMIME_NORESOURCE)
		smime_err_set(err, "out of memory");
	sinfo_free_upto(cmsbio, content);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return ret;
}
