/*
 * sign.c - RFC 8551 multipart/signed with a detached CMS SignedData.
 *
 * The new body is built in one spool: a short preamble, the signed entity
 * (signent.c), then the signature part.  The signature is computed by
 * streaming the entity's byte range of that same spool through the CMS
 * digest BIOs (sign_digest_range(): CMS_final() in 64 KiB blocks),
 * so no step holds the whole message in memory.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "smime/b64enc.h"
#include "smime/certpolicy.h"
#include "smime/hp.h"
#include "smime/mime.h"
#include "smime/pkcs11.h"
#include "smime/sign.h"
#include "smime/sign_int.h"
#include "smime/signent.h"

#define SIGN_DEFAULT_MEMORY	(1024 * 1024)
#define SIGN_BLOCK		(64 * 1024)	/* bytes digested per write */
#define SIGN_PREAMBLE		"This is an S/MIME signed message.\r\n"

bool
smime_sign_is_smime(const struct smime_headers *hdrs)
{
	struct smime_mime_param *params = NULL;
	size_t nparams = 0, i;
	char *type = NULL, *sub = NULL;
	const char *ct, *proto;
	bool ret = false;

	/* Several Content-Type fields: which one a reader takes differs. */
	if (smime_headers_get0(hdrs, "Content-Type", 1) != NULL)
		return false;
	for (i = 0; (ct = smime_headers_get0(hdrs, "Content-Type", i)) != NULL;
	    i++) {
		if (smime_mime_parse_content_type(ct, &type, &sub, &params,
		    &nparams) != SMIME_OK)
			continue;
		proto = smime_mime_params_get0(params, nparams, "protocol");
		if (strcmp(type, "multipart") == 0 &&
		    strcmp(sub, "signed") == 0 && proto != NULL &&
		    (smime_mime_strcasecmp(proto,
		    "application/pkcs7-signature") == 0 ||
		    smime_mime_strcasecmp(proto,
		    "application/x-pkcs7-signature") == 0))
			ret = true;
		if (strcmp(type, "application") == 0 &&
		    (strcmp(sub, "pkcs7-mime") == 0 ||
		    strcmp(sub, "x-pkcs7-mime") == 0))
			ret = true;
		free(type);
		free(sub);
		smime_mime_params_free(params, nparams);
		type = sub = NULL;
		params = NULL;
		nparams = 0;
	}
	return ret;
}

/*
 * Map the configured digest to its EVP name and RFC 8551 micalg.  An EC
 * key gets at least a digest of its curve's size (P-384: SHA-384), as
 * RFC 5753 recommends; gpgsm refuses a shorter one.
 */
static smime_status
sign_digest(const char *name, const EVP_PKEY *key, const char **mdname,
    const char **micalg, struct smime_err *err)
{
	static const struct {
		const char	*sd_name;
		const char	*sd_micalg;
	} digests[] = {
		{ "sha256", "sha-256" },
		{ "sha384", "sha-384" },
		{ "sha512", "sha-512" },
	};
	size_t i, n = sizeof(digests) / sizeof(digests[0]);
	int bits;

	if (name == NULL)
		name = "sha256";
	for (i = 0; i < n; i++)
		if (smime_mime_strcasecmp(name, digests[i].sd_name) == 0) {
			bits = key != NULL && EVP_PKEY_is_a(key, "EC") ?
			    EVP_PKEY_get_bits(key) : 0;
			if (bits > 256 && i < 1)
				i = 1;
			if (bits > 384 && i < 2)
				i = 2;
			*mdname = digests[i].sd_name;
			*micalg = digests[i].sd_micalg;
			return SMIME_OK;
		}
	smime_err_set(err, "unsupported signing digest \"%s\"", name);
	return SMIME_UNSUPPORTED;
}

/*
 * Refuse certificates a recipient would reject: outside validity, not
 * allowed to sign mail (smime/certpolicy.h), or not matching the key.
 */
static smime_status
sign_check_cert(const struct smime_identity *id, struct smime_err *err)
{
	X509 *cert = id->id_cert;

	if (cert == NULL || id->id_key == NULL) {
		smime_err_set(err, "identity has no certificate or key");
		return SMIME_BADKEY;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
		smime_err_set(err, "signing certificate is not yet valid");
		return SMIME_EXPIRED;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
		smime_err_set(err, "signing certificate has expired");
		return SMIME_EXPIRED;
	}
	if (smime_certpolicy_may_sign(cert, err) != SMIME_OK)
		return SMIME_POLICY;
	if (X509_check_private_key(cert, id->id_key) != 1) {
		smime_err_openssl(err, "private key does not match certificate");
		return SMIME_BADKEY;
	}
	return SMIME_OK;
}

/*
 * Digest [off, off + len) of spool into cms and compute the signature
 * with id's key: what CMS_final() does (CMS_dataInit(), copy,
 * CMS_dataFinal()), but with one BIO_write() per 64 KiB block where
 * CMS_final() moves 1 KiB at a time (SMIME_crlf_copy()), each a read of
 * the spool.  The bytes digested are the same (binary: no conversion).
 */
static smime_status
sign_digest_range(const struct smime_identity *id, CMS_ContentInfo *cms,
    struct smime_spool *spool, uint64_t off, uint64_t len,
    struct smime_err *err)
{
	unsigned char *buf = NULL;
	const unsigned char *p;
	size_t got, want, size;
	uint64_t end = off + len;
	BIO *cmsbio = NULL;
	smime_status ret = SMIME_INTERNAL;

	size = len < SIGN_BLOCK ? (size_t)len + 1 : SIGN_BLOCK;
	if ((buf = malloc(size)) == NULL) {
		smime_err_set(err, "out of memory");
		ret = SMIME_NORESOURCE;
		goto out;
	}
	if ((cmsbio = CMS_dataInit(cms, NULL)) == NULL) {
		smime_err_openssl(err, "CMS_dataInit");
		goto out;
	}
	for (; off < end; off += got) {
		want = end - off < size ? (size_t)(end - off) : size;
		/* In memory: digest the spool's own bytes, no copy. */
		if ((got = smime_spool_peek(spool, off, &p)) > 0) {
			if (got > want)
				got = want;
		} else if ((ret = smime_spool_read_at(spool, off, buf, want,
		    &got, err)) != SMIME_OK)
			goto out;
		else
			p = buf;
		ret = SMIME_INTERNAL;
		if (got == 0) {
			smime_err_set(err, "spool read failed while signing");
			ret = SMIME_TEMPFAIL;
			goto out;
		}
		if (BIO_write(cmsbio, p, (int)got) != (int)got) {
			smime_err_openssl(err, "digesting the signed entity");
			goto out;
		}
	}
	(void)BIO_flush(cmsbio);
	if (CMS_dataFinal(cms, cmsbio) != 1) {
		if (smime_p11_is_token_key(id->id_key) &&
		    smime_p11_take_error(err)) {
			ret = SMIME_TEMPFAIL;	/* token absent, PIN, lost */
			goto out;
		}
		smime_err_openssl(err, "CMS_final");
		goto out;
	}
	ret = SMIME_OK;
out:
	BIO_free_all(cmsbio);
	free(buf);
	return ret;
}

/* The DER of OpenSSL's standard SMIMECapabilities, built once. */
static unsigned char *sign_smcap_der;
static int sign_smcap_len;

static void
sign_smimecap_init(void)
{
	STACK_OF(X509_ALGOR) *smcap = NULL;

	if (CMS_add_standard_smimecap(&smcap) == 1)
		sign_smcap_len = i2d_X509_ALGORS(smcap, &sign_smcap_der);
	sk_X509_ALGOR_pop_free(smcap, X509_ALGOR_free);
	if (sign_smcap_len <= 0) {
		sign_smcap_len = 0;
		ERR_clear_error();
	}
}

/*
 * The SMIMECapabilities attribute value CMS_add1_signer() would add
 * (CMS_add_standard_smimecap(), DER-encoded): built once per process,
 * where CMS_add1_signer() builds the algorithm list and encodes it for
 * every message.  Signed attributes are a DER SET OF, sorted when
 * encoded, so the SignerInfo is byte for byte the same.  Returns the
 * length (0: not available; let CMS_add1_signer() add it).
 */
static int
sign_smimecap(const unsigned char **der)
{
	static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;

	*der = NULL;
	if (!CRYPTO_THREAD_run_once(&once, sign_smimecap_init))
		return 0;
	*der = sign_smcap_der;
	return sign_smcap_len;
}

/*
 * Sign [off, off + len) of spool; *der receives the DER SignedData in a
 * memory BIO the caller frees.  signingTime, SMIMECapabilities and ESS
 * signing-certificate-v2 (CMS_CADES) are signed attributes.
 */
static smime_status
sign_cms(const struct smime_identity *id, const struct smime_sign_opts *opts,
    const char *mdname, struct smime_spool *spool, uint64_t off, uint64_t len,
    BIO **der, struct smime_err *err)
{
	unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL |
	    CMS_CADES;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	EVP_PKEY_CTX *pctx;
	const EVP_MD *md;
	const unsigned char *smcap;
	int smcap_len;
	BIO *out = NULL;
	bool pss = opts->so_rsa_pss && EVP_PKEY_is_a(id->id_key, "RSA");
	int i;
	smime_status ret = SMIME_INTERNAL;

	*der = NULL;
	if ((md = EVP_get_digestbyname(mdname)) == NULL) {
		smime_err_openssl(err, "digest %s unavailable", mdname);
		goto out;
	}
	if ((cms = CMS_sign_ex(NULL, NULL, NULL, NULL, flags, NULL, NULL)) ==
	    NULL) {
		smime_err_openssl(err, "CMS_sign_ex");
		goto out;
	}
	smcap_len = sign_smimecap(&smcap);
	si = CMS_add1_signer(cms, id->id_cert, id->id_key, md,
	    flags | (pss ? CMS_KEY_PARAM : 0) |
	    (smcap_len > 0 ? CMS_NOSMIMECAP : 0));
	if (si == NULL) {
		smime_err_openssl(err, "CMS_add1_signer");
		ret = SMIME_BADKEY;
		goto out;
	}
	if (smcap_len > 0 && !CMS_signed_add1_attr_by_NID(si,
	    NID_SMIMECapabilities, V_ASN1_SEQUENCE, smcap, smcap_len)) {
		smime_err_openssl(err, "SMIMECapabilities");
		goto out;
	}
	if (pss && ((pctx = CMS_SignerInfo_get0_pkey_ctx(si)) == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
	    <= 0)) {
		smime_err_openssl(err, "cannot select RSASSA-PSS");
		goto out;
	}
	for (i = 0; opts->so_include_chain && id->id_chain != NULL &&
	    i < sk_X509_num(id->id_chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(id->id_chain, i))) {
			smime_err_openssl(err, "CMS_add1_cert");
			goto out;
		}
	if ((out = BIO_new(BIO_s_mem())) == NULL) {
		smime_err_set(err, "out of memory");
		ret = SMIME_NORESOURCE;
		goto out;
	}
	if ((ret = sign_digest_range(id, cms, spool, off, len, err)) !=
	    SMIME_OK)
		goto out;
	ret = SMIME_INTERNAL;
	if (i2d_CMS_bio(out, cms) != 1) {
		smime_err_openssl(err, "i2d_CMS_bio");
		goto out;
	}
	*der = out;
	out = NULL;
	ret = SMIME_OK;
out:
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return ret;
}

/* Append the DER in der as base64, 76 characters a line, CRLF. */
static smime_status
sign_put_base64(struct smime_spool *out, BIO *der, struct smime_err *err)
{
	struct smime_b64enc *enc;
	char *data;
	long len;
	smime_status ret;

	len = BIO_get_mem_data(der, &data);
	if ((enc = smime_b64enc_new(out)) == NULL) {
		smime_err_set(err, "out of memory");
		return SMIME_NORESOURCE;
	}
	if ((ret = smime_b64enc_write(enc, data, len > 0 ? (size_t)len : 0,
	    err)) == SMIME_OK)
		ret = smime_b64enc_finish(enc, err);
	smime_b64enc_free(enc);
	return ret;
}

static smime_status
sign_puts(struct smime_spool *out, const char *s, struct smime_err *err)
{
	return smime_spool_write(out, s, strlen(s), err);
}

/* Fields the signed entity takes over: Content-* and MIME-Version. */
static bool
sign_replaced_field(const char *name)
{
	return smime_signent_is_content_field(name) ||
	    smime_mime_strcasecmp(name, "MIME-Version") == 0;
}

/*
 * Queue the header changes: Content-* and MIME-Version out, ours in; cte
 * (NULL: none) labels a body that keeps nested 8-bit signed bytes.
 */
static smime_status
sign_header_edits(const struct smime_headers *hdrs, const char *micalg,
    const char *bnd, const char *cte, bool opaque, struct smime_edits *edits)
{
	char ct[256];
	smime_status ret = SMIME_OK;

	/* Each field once, in O(n log n) however many there are. */
	if ((ret = smime_edits_delete_matching(edits, hdrs,
	    sign_replaced_field)) != SMIME_OK)
		return ret;
	/* Folded with LF + TAB, the form smfi_addheader() expects. */
	if (opaque)
		snprintf(ct, sizeof(ct), "application/pkcs7-mime;\n\t"
		    "smime-type=signed-data;\n\tname=\"smime.p7m\"");
	else
		snprintf(ct, sizeof(ct), "multipart/signed;\n\t"
		    "protocol=\"application/pkcs7-signature\";\n\t"
		    "micalg=%s;\n\tboundary=\"%s\"", micalg, bnd);
	if ((ret = smime_headers_add(&edits->ed_append, "MIME-Version", "1.0"))
	    != SMIME_OK)
		return ret;
	if (opaque) {
		/* RFC 8551 3.5.2: base64, an attachment named smime.p7m. */
		if ((ret = smime_headers_add(&edits->ed_append, "Content-Type",
		    ct)) != SMIME_OK ||
		    (ret = smime_headers_add(&edits->ed_append,
		    "Content-Transfer-Encoding", "base64")) != SMIME_OK)
			return ret;
		return smime_headers_add(&edits->ed_append,
		    "Content-Disposition",
		    "attachment;\n\tfilename=\"smime.p7m\"");
	}
	if ((ret = smime_headers_add(&edits->ed_append, "Content-Type", ct)) !=
	    SMIME_OK || cte == NULL)
		return ret;
	return smime_headers_add(&edits->ed_append,
	    "Content-Transfer-Encoding", cte);
}

/* A fresh boundary: "=_" cannot occur in base64 or quoted-printable. */
static smime_status
sign_boundary(char *bnd, size_t size, struct smime_err *err)
{
	unsigned char rnd[16];
	size_t i, o;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		smime_err_openssl(err, "RAND_bytes");
		return SMIME_INTERNAL;
	}
	o = (size_t)snprintf(bnd, size, "----=_smime_");
	for (i = 0; i < sizeof(rnd) && o + 3 <= size; i++)
		o += (size_t)snprintf(bnd + o, size - o, "%02x", rnd[i]);
	return SMIME_OK;
}

/*
 * The RFC 9788 protected fields for hdrs into *hp; *use_hp tells whether
 * to protect.  Fields that cannot be carried 7-bit mean no protection,
 * with a note in err, not a failure.
 */
static smime_status
sign_hp(const struct smime_sign_opts *opts, const struct smime_headers *hdrs,
    struct smime_headers *hp, bool *use_hp, struct smime_err *err)
{
	smime_status ret;

	*use_hp = false;
	if (!opts->so_header_protection ||
	    (opts->so_hp_fields != NULL && opts->so_hp_nfields == 0))
		return SMIME_OK;
	ret = smime_hp_fields(hdrs, opts->so_hp_fields, opts->so_hp_nfields,
	    hp, err);
	if (ret == SMIME_UNSUPPORTED) {
		/* err says which field; the caller logs it as a note. */
		return SMIME_OK;
	}
	*use_hp = ret == SMIME_OK;
	return ret;
}

/*
 * Write preamble, entity, signature part and close delimiter into out;
 * the entity lies at [ent_off, ent_off + ent_len) when done.
 */
static smime_status
sign_body(const struct smime_identity *id, const struct smime_sign_opts *opts,
    const char *mdname, const struct smime_headers *hdrs,
    const struct smime_headers *hp, struct smime_spool *body,
    const struct smime_mime_part *tree, const char *bnd,
    struct smime_spool *out, struct smime_signent_info *info,
    struct smime_err *err)
{
	char line[128];
	uint64_t ent_off, ent_len;
	BIO *der = NULL;
	smime_status ret;

	snprintf(line, sizeof(line), SIGN_PREAMBLE "\r\n--%s\r\n", bnd);
	if ((ret = sign_puts(out, line, err)) != SMIME_OK)
		goto out;
	ent_off = smime_spool_size(out);
	if ((ret = smime_signent_write(hdrs, hp, body, tree, out, info,
	    err)) !=
	    SMIME_OK)
		goto out;
	ent_len = smime_spool_size(out) - ent_off;
	if ((ret = sign_cms(id, opts, mdname, out, ent_off, ent_len, &der,
	    err)) != SMIME_OK)
		goto out;
	snprintf(line, sizeof(line), "\r\n--%s\r\n", bnd);
	if ((ret = sign_puts(out, line, err)) != SMIME_OK ||
	    (ret = sign_puts(out, "Content-Type: application/pkcs7-signature; "
	    "name=\"smime.p7s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
	    "Content-Description: S/MIME Cryptographic Signature\r\n\r\n",
	    err)) != SMIME_OK ||
	    (ret = sign_put_base64(out, der, err)) != SMIME_OK)
		goto out;
	snprintf(line, sizeof(line), "\r\n--%s--\r\n", bnd);
	ret = sign_puts(out, line, err);
out:
	BIO_free(der);
	return ret;
}

/*
 * The opaque form (RFC 8551 3.5.2): the entity into its own spool, signed
 * as for multipart/signed, then encapsulated (signopaque.c) into out.
 */
static smime_status
sign_opaque(const struct smime_identity *id,
    const struct smime_sign_opts *opts, const char *mdname,
    const struct smime_headers *hdrs, const struct smime_headers *hp,
    struct smime_spool *body, const struct smime_mime_part *tree,
    struct smime_spool *out, struct smime_signent_info *info,
    struct smime_err *err)
{
	struct smime_spool *ent;
	BIO *der = NULL;
	smime_status ret;

	ent = smime_spool_new(opts->so_spool_memory == 0 ?
	    SIGN_DEFAULT_MEMORY : opts->so_spool_memory, opts->so_tmpdir);
	if (ent == NULL) {
		smime_err_set(err, "out of memory");
		return SMIME_NORESOURCE;
	}
	if ((ret = smime_signent_write(hdrs, hp, body, tree, ent, info,
	    err)) == SMIME_OK &&
	    (ret = sign_cms(id, opts, mdname, ent, 0, smime_spool_size(ent),
	    &der, err)) == SMIME_OK)
		ret = smime_sign_opaque_encapsulate(der, ent, out, err);
	BIO_free(der);
	smime_spool_free(ent);
	return ret;
}

smime_status
smime_sign_message(const struct smime_identity *id,
    const struct smime_sign_opts *opts, const struct smime_headers *hdrs,
    struct smime_spool *body, struct smime_edits *edits,
    struct smime_err *err)
{
	struct smime_mime_part *tree = NULL;
	struct smime_signent_info info;
	char note[SMIME_ERR_MAX];
	struct smime_spool *out = NULL;
	struct smime_headers hp;
	const char *mdname, *micalg, *bad;
	char bnd[64];
	bool use_hp = false;
	smime_status ret;

	smime_edits_init(edits);
	smime_headers_init(&hp);
	if ((ret = sign_check_cert(id, err)) != SMIME_OK ||
	    (ret = sign_digest(opts->so_digest, id->id_key, &mdname, &micalg,
	    err)) != SMIME_OK)
		goto out;
	if (smime_sign_is_smime(hdrs)) {
		smime_err_set(err, "message already carries S/MIME");
		ret = SMIME_UNSUPPORTED;
		goto out;
	}
	/*
	 * The verifier gives permerror to such a header whoever signed it
	 * (readers split it differently), so a signature could never pass.
	 */
	if ((bad = smime_mime_headers_ambiguous(hdrs)) != NULL) {
		smime_err_set(err, "header field \"%.64s\" holds a bare CR or "
		    "ends its name in a blank; readers would split it "
		    "differently", bad);
		ret = SMIME_SYNTAX;
		goto out;
	}
	if ((ret = smime_mime_parse(body, hdrs, opts->so_max_depth,
	    opts->so_max_parts, &tree, err)) != SMIME_OK ||
	    (ret = sign_boundary(bnd, sizeof(bnd), err)) != SMIME_OK)
		goto out;
	out = smime_spool_new(opts->so_spool_memory == 0 ?
	    SIGN_DEFAULT_MEMORY : opts->so_spool_memory, opts->so_tmpdir);
	if (out == NULL) {
		smime_err_set(err, "out of memory");
		ret = SMIME_NORESOURCE;
		goto out;
	}
	if ((ret = sign_hp(opts, hdrs, &hp, &use_hp, err)) != SMIME_OK)
		goto out;
	if (opts->so_opaque)
		ret = sign_opaque(id, opts, mdname, hdrs, use_hp ? &hp : NULL,
		    body, tree, out, &info, err);
	else
		ret = sign_body(id, opts, mdname, hdrs, use_hp ? &hp : NULL,
		    body, tree, bnd, out, &info, err);
	if (ret != SMIME_OK)
		goto out;
	/* Opaque: base64 carries nested 8-bit bytes, no label needed. */
	if ((ret = sign_header_edits(hdrs, micalg, bnd, opts->so_opaque ?
	    NULL : info.si_cte, opts->so_opaque, edits)) != SMIME_OK) {
		smime_err_set(err, "out of memory");
		goto out;
	}
	if (info.si_kept8 > 0) {
		/* After the header-protection note, if there is one. */
		snprintf(note, sizeof(note), "%s", smime_err_get0(err));
		smime_err_set(err, "%s%skept %zu nested signed entit%s with "
		    "8-bit content unchanged (first: part %s); %s%s", note,
		    *note != '\0' ? "; " : "", info.si_kept8,
		    info.si_kept8 == 1 ? "y" : "ies", info.si_first,
		    opts->so_opaque ? "carried in the base64 of the opaque "
		    "signature" : "labelled Content-Transfer-Encoding: ",
		    opts->so_opaque ? "" : info.si_cte);
	}
	edits->ed_body = out;
	out = NULL;
	ret = SMIME_OK;
out:
	if (ret != SMIME_OK)
		smime_edits_clear(edits);
	smime_headers_clear(&hp);
	smime_spool_free(out);
	smime_mime_free(tree);
	return ret;
}
