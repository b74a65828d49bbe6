/* test_sign.c - signer API: S/MIME detection, edits, entity encoding, refusals. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "smime/sign.h"
#include "test/unit/unit.h"

struct fixture {
	struct smime_identity	 fx_id;
	struct smime_headers	 fx_hdrs;
	struct smime_spool	*fx_body;
	struct smime_edits	 fx_ed;
	struct smime_sign_opts	 fx_opts;
	struct smime_err	 fx_err;
	char			*fx_out;	/* ed_body as a string */
	char			 fx_bnd[128];
};

/* A self-signed P-256 certificate valid from..until days from now. */
static void
make_identity(struct smime_identity *id, long from, long until,
    const char *ku, const char *eku)
{
	memset(id, 0, sizeof(*id));
	id->id_key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(id->id_key);
	id->id_cert = unit_cert(id->id_key, from, until, NULL, ku, eku);
	id->id_chain = sk_X509_new_null();
}

static void
fx_init(struct fixture *fx, const char *ct, const char *cte, const char *body)
{
	struct smime_err err;

	memset(fx, 0, sizeof(*fx));
	make_identity(&fx->fx_id, -1, 30, "digitalSignature",
	    "emailProtection");
	smime_headers_init(&fx->fx_hdrs);
	smime_headers_add(&fx->fx_hdrs, "From", "unit@example.jp");
	smime_headers_add(&fx->fx_hdrs, "MIME-Version", "1.0");
	if (ct != NULL)
		smime_headers_add(&fx->fx_hdrs, "Content-Type", ct);
	if (cte != NULL)
		smime_headers_add(&fx->fx_hdrs, "Content-Transfer-Encoding",
		    cte);
	smime_headers_add(&fx->fx_hdrs, "Subject", "unit");
	fx->fx_body = smime_spool_new(1 << 20, NULL);
	smime_spool_write(fx->fx_body, body, strlen(body), &err);
	fx->fx_opts.so_digest = "sha256";
	fx->fx_opts.so_include_chain = true;
}

/* Sign; on success copy ed_body into fx_out and find the boundary. */
static smime_status
fx_sign(struct fixture *fx)
{
	smime_status st;
	uint64_t size;
	size_t got;
	const char *ct, *b;

	st = smime_sign_message(&fx->fx_id, &fx->fx_opts, &fx->fx_hdrs,
	    fx->fx_body, &fx->fx_ed, &fx->fx_err);
	if (st != SMIME_OK)
		return st;
	size = smime_spool_size(fx->fx_ed.ed_body);
	fx->fx_out = malloc((size_t)size + 1);
	ck_assert_int_eq(smime_spool_read_at(fx->fx_ed.ed_body, 0, fx->fx_out,
	    (size_t)size, &got, &fx->fx_err), SMIME_OK);
	ck_assert_uint_eq(got, size);
	fx->fx_out[size] = '\0';
	ct = smime_headers_get0(&fx->fx_ed.ed_append, "Content-Type", 0);
	ck_assert_ptr_nonnull(ct);
	b = strstr(ct, "boundary=\"");
	ck_assert_ptr_nonnull(b);
	b += 10;
	ck_assert_uint_lt(strcspn(b, "\""), sizeof(fx->fx_bnd));
	memcpy(fx->fx_bnd, b, strcspn(b, "\""));
	return st;
}

/* The signed entity: between the first delimiter line and CRLF--B. */
static char *
fx_entity(const struct fixture *fx)
{
	char delim[160], *start, *end;

	snprintf(delim, sizeof(delim), "--%s\r\n", fx->fx_bnd);
	start = strstr(fx->fx_out, delim);
	ck_assert_ptr_nonnull(start);
	start += strlen(delim);
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", fx->fx_bnd);
	end = strstr(start, delim);
	ck_assert_ptr_nonnull(end);
	return strndup(start, (size_t)(end - start));
}

static void
fx_free(struct fixture *fx)
{
	smime_edits_clear(&fx->fx_ed);
	smime_headers_clear(&fx->fx_hdrs);
	smime_spool_free(fx->fx_body);
	X509_free(fx->fx_id.id_cert);
	EVP_PKEY_free(fx->fx_id.id_key);
	sk_X509_free(fx->fx_id.id_chain);
	free(fx->fx_out);
}

static void
entity_is(const struct fixture *fx, const char *want)
{
	char *ent = fx_entity(fx);

	ck_assert_str_eq(ent, want);
	free(ent);
}

static void
assert_edits_empty(const struct smime_edits *ed)
{
	ck_assert_ptr_null(ed->ed_body);
	ck_assert_uint_eq(ed->ed_ndelete, 0);
	ck_assert_uint_eq(ed->ed_append.hs_count, 0);
	ck_assert_uint_eq(ed->ed_prepend.hs_count, 0);
}

static const struct {
	const char	*ct;
	bool		 smime;
} is_smime_table[] = {
	{ "multipart/signed; protocol=\"application/pkcs7-signature\"; "
	  "micalg=sha-256; boundary=x", true },
	{ "Multipart/Signed; Protocol=\"Application/X-PKCS7-Signature\"; "
	  "boundary=x", true },
	{ "multipart/signed; protocol=\"application/pgp-signature\"; "
	  "boundary=x", false },
	{ "application/pkcs7-mime; smime-type=enveloped-data", true },
	{ "application/x-pkcs7-mime; smime-type=signed-data", true },
	{ "application/pkcs7-signature", false },
	{ "text/plain; charset=utf-8", false },
	{ "multipart/mixed; boundary=\"a\"", false },
	{ NULL, false },
};

START_TEST(detects_smime)
{
	struct smime_headers hs;

	smime_headers_init(&hs);
	smime_headers_add(&hs, "Subject", "x");
	if (is_smime_table[_i].ct != NULL)
		smime_headers_add(&hs, "content-type", is_smime_table[_i].ct);
	ck_assert_msg(smime_sign_is_smime(&hs) == is_smime_table[_i].smime,
	    "%s", is_smime_table[_i].ct);
	smime_headers_clear(&hs);
}
END_TEST

/* Header edits: every Content-* and MIME-Version out, ours appended. */
START_TEST(header_edits)
{
	struct fixture fx;
	const char *ct;

	fx_init(&fx, "text/plain; charset=us-ascii", "7bit", "hello\r\n");
	smime_headers_add(&fx.fx_hdrs, "MIME-Version", "1.0");
	smime_headers_add(&fx.fx_hdrs, "content-disposition", "inline");
	ck_assert_int_eq(fx_sign(&fx), SMIME_OK);
	ck_assert_uint_eq(fx.fx_ed.ed_ndelete, 5);
	ck_assert(smime_edits_deletes(&fx.fx_ed, "Content-Type", 1));
	ck_assert(smime_edits_deletes(&fx.fx_ed, "Content-Transfer-Encoding",
	    1));
	ck_assert(smime_edits_deletes(&fx.fx_ed, "Content-Disposition", 1));
	ck_assert(smime_edits_deletes(&fx.fx_ed, "MIME-Version", 1));
	ck_assert(smime_edits_deletes(&fx.fx_ed, "MIME-Version", 2));
	ck_assert(!smime_edits_deletes(&fx.fx_ed, "Subject", 1));
	ck_assert_uint_eq(fx.fx_ed.ed_append.hs_count, 2);
	ck_assert_str_eq(fx.fx_ed.ed_append.hs_list[0].hdr_name,
	    "MIME-Version");
	ck_assert_str_eq(fx.fx_ed.ed_append.hs_list[0].hdr_value, "1.0");
	ct = fx.fx_ed.ed_append.hs_list[1].hdr_value;
	ck_assert_ptr_nonnull(strstr(ct, "multipart/signed;\n\t"));
	ck_assert_ptr_nonnull(strstr(ct,
	    "protocol=\"application/pkcs7-signature\""));
	ck_assert_ptr_nonnull(strstr(ct, "micalg=sha-256;"));
	ck_assert_ptr_null(strchr(ct, '\r'));
	/* The entity keeps the Content-* fields moved in, in order. */
	entity_is(&fx, "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "content-disposition: inline\r\n\r\nhello\r\n");
	fx_free(&fx);
}
END_TEST

/* Quoted-printable edge cases, checked octet for octet. */
START_TEST(quoted_printable_edges)
{
	struct fixture fx;
	char body[1024], want[2048];
	char a100[101], b72[73], c71[72];

	memset(a100, 'a', 100);
	a100[100] = '\0';
	memset(b72, 'b', 72);
	b72[72] = '\0';
	memset(c71, 'c', 71);
	c71[71] = '\0';
	snprintf(body, sizeof(body),
	    "%s\n"			/* soft break at 72 */
	    "%sFrom x\n"		/* "From " after a soft break */
	    "From the start\n"
	    "tab\t\n"
	    "space \n"
	    "eq=\n"
	    "%s\xc3\xa9\n"		/* escape does not fit: break first */
	    "\xe6\x97\xa5\r"		/* CR alone is a line end too */
	    ".\n"
	    ".", a100, b72, c71);
	snprintf(want, sizeof(want),
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "%.72s=\r\n%s\r\n"
	    "%s=\r\n=46rom x\r\n"
	    "=46rom the start\r\n"
	    "tab=09\r\n"
	    "space=20\r\n"
	    "eq=3D\r\n"
	    "%s=\r\n=C3=A9\r\n"
	    "=E6=97=A5\r\n"
	    "=2E\r\n"
	    "=2E", a100, a100 + 72, b72, c71);
	fx_init(&fx, "text/plain; charset=utf-8", "8bit", body);
	ck_assert_int_eq(fx_sign(&fx), SMIME_OK);
	entity_is(&fx, want);
	fx_free(&fx);
}
END_TEST

/* A binary leaf becomes base64 in 76-column lines that decode back. */
START_TEST(binary_leaf_base64)
{
	struct fixture fx;
	unsigned char raw[300], dec[400];
	char body[2048], *ent, *p, *line, *save = NULL, b64[1024] = "";
	size_t i, o;
	int n;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 1) == 0 ? 1 :
		    (unsigned char)(i * 7 + 1);	/* fx_init takes a string */
	raw[10] = '\r';
	raw[11] = 'x';
	o = (size_t)snprintf(body, sizeof(body), "--b\r\nContent-Type: "
	    "application/octet-stream\r\nContent-Transfer-Encoding: binary"
	    "\r\n\r\n");
	memcpy(body + o, raw, sizeof(raw));
	o += sizeof(raw);
	memcpy(body + o, "\r\n--b--\r\n", 10);
	fx_init(&fx, "multipart/mixed; boundary=b", NULL, body);
	ck_assert_int_eq(fx_sign(&fx), SMIME_OK);
	ent = fx_entity(&fx);
	p = strstr(ent, "Content-Transfer-Encoding: base64\r\n\r\n");
	ck_assert_ptr_nonnull(p);
	p += strlen("Content-Transfer-Encoding: base64\r\n\r\n");
	*strstr(p, "\r\n--b--") = '\0';
	for (line = strtok_r(p, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		ck_assert_uint_le(strlen(line), 76);
		strcat(b64, line);
	}
	n = EVP_DecodeBlock(dec, (unsigned char *)b64, (int)strlen(b64));
	ck_assert_int_eq(n - (int)(strlen(b64) - strcspn(b64, "=")),
	    (int)sizeof(raw));
	ck_assert(memcmp(dec, raw, sizeof(raw)) == 0);
	free(ent);
	fx_free(&fx);
}
END_TEST

/* 7-bit parts are copied; preamble and epilogue are dropped. */
START_TEST(multipart_kept_without_epilogue)
{
	struct fixture fx;

	fx_init(&fx, "multipart/alternative; boundary=\"q\"", NULL,
	    "preamble\n--q\nContent-Type: text/plain\n\nplain\n--q\n"
	    "Content-Type: text/html\n\n<p>x</p>\n--q--\nepilogue\n");
	ck_assert_int_eq(fx_sign(&fx), SMIME_OK);
	entity_is(&fx, "Content-Type: multipart/alternative; boundary=\"q\""
	    "\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nplain\r\n--q\r\n"
	    "Content-Type: text/html\r\n\r\n<p>x</p>\r\n--q--\r\n");
	/* A fresh boundary each time. */
	ck_assert_ptr_nonnull(strstr(fx.fx_bnd, "=_smime_"));
	ck_assert_uint_ge(strlen(fx.fx_bnd), 40);
	fx_free(&fx);
}
END_TEST

START_TEST(boundaries_differ)
{
	struct fixture a, b;

	fx_init(&a, NULL, NULL, "x\n");
	fx_init(&b, NULL, NULL, "x\n");
	ck_assert_int_eq(fx_sign(&a), SMIME_OK);
	ck_assert_int_eq(fx_sign(&b), SMIME_OK);
	ck_assert_str_ne(a.fx_bnd, b.fx_bnd);
	fx_free(&a);
	fx_free(&b);
}
END_TEST

/* Every refusal leaves the edits empty. */
START_TEST(refusals_leave_edits_empty)
{
	struct fixture fx;
	EVP_PKEY *other;

	fx_init(&fx, NULL, NULL, "x\n");
	X509_free(fx.fx_id.id_cert);
	EVP_PKEY_free(fx.fx_id.id_key);
	sk_X509_free(fx.fx_id.id_chain);
	switch (_i) {
	case 0:		/* expired yesterday */
		make_identity(&fx.fx_id, -30, -1, "digitalSignature",
		    "emailProtection");
		ck_assert_int_eq(fx_sign(&fx), SMIME_EXPIRED);
		break;
	case 1:		/* not yet valid */
		make_identity(&fx.fx_id, 2, 30, "digitalSignature",
		    "emailProtection");
		ck_assert_int_eq(fx_sign(&fx), SMIME_EXPIRED);
		break;
	case 2:		/* no digitalSignature */
		make_identity(&fx.fx_id, -1, 30, "keyEncipherment",
		    "emailProtection");
		ck_assert_int_eq(fx_sign(&fx), SMIME_POLICY);
		break;
	case 3:		/* no emailProtection */
		make_identity(&fx.fx_id, -1, 30, "digitalSignature",
		    "serverAuth");
		ck_assert_int_eq(fx_sign(&fx), SMIME_POLICY);
		break;
	case 4:		/* key of another certificate */
		make_identity(&fx.fx_id, -1, 30, NULL, NULL);
		other = EVP_EC_gen("P-256");
		EVP_PKEY_free(fx.fx_id.id_key);
		fx.fx_id.id_key = other;
		ck_assert_int_eq(fx_sign(&fx), SMIME_BADKEY);
		break;
	case 5:		/* digest we do not offer */
		make_identity(&fx.fx_id, -1, 30, NULL, NULL);
		fx.fx_opts.so_digest = "md5";
		ck_assert_int_eq(fx_sign(&fx), SMIME_UNSUPPORTED);
		break;
	case 6:		/* already S/MIME */
		make_identity(&fx.fx_id, -1, 30, NULL, NULL);
		smime_headers_add(&fx.fx_hdrs, "Content-Type",
		    "application/pkcs7-mime; smime-type=signed-data");
		ck_assert_int_eq(fx_sign(&fx), SMIME_UNSUPPORTED);
		break;
	case 7:		/* MIME deeper than allowed */
		make_identity(&fx.fx_id, -1, 30, NULL, NULL);
		smime_headers_add(&fx.fx_hdrs, "Content-Type",
		    "multipart/mixed; boundary=a");
		smime_spool_free(fx.fx_body);
		fx.fx_body = smime_spool_new(4096, NULL);
		smime_spool_write(fx.fx_body, "--a\r\nContent-Type: multipart/"
		    "mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--a--\r\n",
		    66, &fx.fx_err);
		fx.fx_opts.so_max_depth = 1;
		ck_assert_int_eq(fx_sign(&fx), SMIME_LIMIT);
		break;
	}
	ck_assert_str_ne(smime_err_get0(&fx.fx_err), "");
	assert_edits_empty(&fx.fx_ed);
	fx_free(&fx);
}
END_TEST

/* Digest choice follows the option; micalg names it. */
START_TEST(digest_and_micalg)
{
	static const char *dg[] = { "sha256", "SHA384", "sha512" };
	static const char *mic[] = { "micalg=sha-256;", "micalg=sha-384;",
	    "micalg=sha-512;" };
	struct fixture fx;

	fx_init(&fx, NULL, NULL, "x\n");
	fx.fx_opts.so_digest = dg[_i];
	ck_assert_int_eq(fx_sign(&fx), SMIME_OK);
	ck_assert_ptr_nonnull(strstr(smime_headers_get0(&fx.fx_ed.ed_append,
	    "Content-Type", 0), mic[_i]));
	fx_free(&fx);
}
END_TEST

/*
 * The SignerInfo carries the SMIMECapabilities OpenSSL's CMS_add1_signer()
 * would add (the signer adds a copy built once): same attribute, same DER.
 */
START_TEST(smimecap_as_openssl)
{
	STACK_OF(X509_ALGOR) *std = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_ContentInfo *cms;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *val;
	struct fixture fx;
	unsigned char *want = NULL;
	const char *b64;
	BIO *mem, *dec;
	int wantlen, loc;

	fx_init(&fx, NULL, NULL, "x\n");
	ck_assert_int_eq(fx_sign(&fx), SMIME_OK);
	b64 = strstr(fx.fx_out, "filename=\"smime.p7s\"");
	ck_assert_ptr_nonnull(b64);
	b64 = strstr(b64, "\r\n\r\n");
	ck_assert_ptr_nonnull(b64);
	mem = BIO_new_mem_buf(b64 + 4, (int)strcspn(b64 + 4, "-"));
	dec = BIO_push(BIO_new(BIO_f_base64()), mem);
	cms = d2i_CMS_bio(dec, NULL);
	ck_assert_ptr_nonnull(cms);
	sis = CMS_get0_SignerInfos(cms);
	ck_assert_int_eq(sk_CMS_SignerInfo_num(sis), 1);
	loc = CMS_signed_get_attr_by_NID(sk_CMS_SignerInfo_value(sis, 0),
	    NID_SMIMECapabilities, -1);
	ck_assert_int_ge(loc, 0);
	ck_assert_int_eq(CMS_signed_get_attr_by_NID(sk_CMS_SignerInfo_value(
	    sis, 0), NID_SMIMECapabilities, loc), -1);
	attr = CMS_signed_get_attr(sk_CMS_SignerInfo_value(sis, 0), loc);
	ck_assert_int_eq(X509_ATTRIBUTE_count(attr), 1);
	val = X509_ATTRIBUTE_get0_type(attr, 0);
	ck_assert_int_eq(ASN1_TYPE_get(val), V_ASN1_SEQUENCE);
	ck_assert_int_eq(CMS_add_standard_smimecap(&std), 1);
	wantlen = i2d_X509_ALGORS(std, &want);
	ck_assert_int_gt(wantlen, 0);
	ck_assert_int_eq(val->value.sequence->length, wantlen);
	ck_assert(memcmp(val->value.sequence->data, want, (size_t)wantlen) ==
	    0);
	OPENSSL_free(want);
	sk_X509_ALGOR_pop_free(std, X509_ALGOR_free);
	CMS_ContentInfo_free(cms);
	BIO_free_all(dec);
	fx_free(&fx);
}
END_TEST

/* Header lines of a part never pass 998 octets; 8-bit names are dropped. */
START_TEST(header_lines_refolded)
{
	struct fixture fx;
	char body[4096], *ent, *line, *save = NULL;
	size_t o, i;

	o = (size_t)snprintf(body, sizeof(body), "--b\r\nContent-Type: "
	    "text/plain; x-note=\"");
	for (i = 0; i < 150; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "word%03zu ",
		    i);
	snprintf(body + o, sizeof(body) - o, "\"\r\nX-B\xff" "d: v\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n\xe6\x97\xa5\r\n--b--\r\n");
	fx_init(&fx, "multipart/mixed; boundary=b", NULL, body);
	ck_assert_int_eq(fx_sign(&fx), SMIME_OK);
	ent = fx_entity(&fx);
	ck_assert_ptr_nonnull(strstr(ent, "word149"));
	for (line = strtok_r(ent, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_le(strlen(line), 999);
		for (i = 0; line[i] != '\0'; i++)
			ck_assert_uint_lt((unsigned char)line[i], 0x80);
	}
	free(ent);
	fx_free(&fx);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("sign");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, detects_smime, 0,
	    sizeof(is_smime_table) / sizeof(is_smime_table[0]));
	tcase_add_test(tc, header_edits);
	tcase_add_test(tc, quoted_printable_edges);
	tcase_add_test(tc, binary_leaf_base64);
	tcase_add_test(tc, multipart_kept_without_epilogue);
	tcase_add_test(tc, boundaries_differ);
	tcase_add_test(tc, header_lines_refolded);
	tcase_add_loop_test(tc, refusals_leave_edits_empty, 0, 8);
	tcase_add_loop_test(tc, digest_and_micalg, 0, 3);
	tcase_add_test(tc, smimecap_as_openssl);
	suite_add_tcase(s, tc);
	return s;
}
