/*
 * enroll-local.c - smime-enroll commands that need no CA connection:
 * keygen, csr, import, list and rollback.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "enroll/enroll.h"
#include "smime/credential.h"
#include "smime/csr.h"
#include "smime/import.h"
#include "smime/keygen.h"
#include "smime/pkcs11.h"

/* keygen ADDRESS */
int
enr_cmd_keygen(struct enr_ctx *ec, const char *address)
{
	EVP_PKEY *key = NULL;
	const char *type, *tok = ec->ec_opts.eo_pkcs11;
	char desc[64], path[PATH_MAX], where[512];
	smime_status st;
	int rc = ENR_EX_FAIL, i;

	if ((type = enr_key_type(ec)) == NULL) {
		rc = ENR_EX_USAGE;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		smime_store_path(ec->ec_store, address, i == 0 ?
		    SMIME_STORE_KEY : SMIME_STORE_KEY_URI, path, sizeof(path));
		if (!ec->ec_opts.eo_force && smime_store_has(ec->ec_store,
		    address, i == 0 ? SMIME_STORE_KEY : SMIME_STORE_KEY_URI)) {
			rc = ENR_EX_EXISTS;
			enr_error(address, "%s exists; use --force to replace "
			    "it", path);
			goto out;
		}
	}
	if (tok != NULL) {
		smime_err_clear(&ec->ec_err);
		if (smime_p11_check_uri(tok, "private", &ec->ec_err) !=
		    SMIME_OK) {
			rc = ENR_EX_USAGE;
			enr_error(address, "%s", smime_err_get0(&ec->ec_err));
			goto out;
		}
		smime_p11_uri_display(tok, where, sizeof(where));
	}
	smime_store_path(ec->ec_store, address, tok != NULL ?
	    SMIME_STORE_KEY_URI : SMIME_STORE_KEY, path, sizeof(path));
	if (ec->ec_opts.eo_dry_run) {
		if (tok != NULL)
			printf("would generate a %s key on the token %s and "
			    "record it in %s\n", type, where, path);
		else
			printf("would generate a %s key in %s\n", type, path);
		rc = ENR_EX_OK;
		goto out;
	}
	if ((rc = enr_new_key(ec, address, type, &key)) != ENR_EX_OK)
		goto out;
	rc = ENR_EX_FAIL;
	st = smime_store_save_key(ec->ec_store, address, key,
	    ec->ec_opts.eo_force, &ec->ec_owner, &ec->ec_err);
	if (st != SMIME_OK) {
		rc = st == SMIME_POLICY ? ENR_EX_EXISTS : ENR_EX_FAIL;
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	smime_key_describe(key, desc, sizeof(desc));
	if (tok != NULL)
		printf("generated %s key on the token: %s (recorded in %s)\n",
		    desc, where, path);
	else
		printf("generated %s key %s\n", desc, path);
	if (smime_store_has(ec->ec_store, address, SMIME_STORE_CERT))
		enr_error(address, "warning: the installed certificate does "
		    "not match the new key; import or enroll a new one "
		    "(rollback restores the previous key)");
	rc = ENR_EX_OK;
out:
	EVP_PKEY_free(key);
	return rc;
}

/* csr ADDRESS */
int
enr_cmd_csr(struct enr_ctx *ec, const char *address)
{
	struct smime_profile prof;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	BIO *out = NULL, *mem = NULL;
	char *pem = NULL;
	long len;
	bool generated;
	int fd, rc;

	enr_profile(ec, address, &prof);
	if ((rc = enr_get_key(ec, address, &key, &generated)) != ENR_EX_OK)
		goto out;
	rc = ENR_EX_INVALID;
	if (smime_csr_build(&prof, key, enr_warn, NULL, &req, &ec->ec_err) !=
	    SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	rc = ENR_EX_FAIL;
	if (ec->ec_opts.eo_dry_run) {
		printf("profile is valid; would write a CSR%s\n", generated ?
		    " and generate a new key" : "");
		rc = ENR_EX_OK;
		goto out;
	}
	if (generated) {
		if (smime_store_save_key(ec->ec_store, address, key, false,
		    &ec->ec_owner, &ec->ec_err) != SMIME_OK) {
			enr_error(address, "%s", smime_err_get0(&ec->ec_err));
			goto out;
		}
		enr_error(address, "generated a new key");
	}
	if (ec->ec_opts.eo_out == NULL)
		out = BIO_new_fp(stdout, BIO_NOCLOSE);
	else if ((fd = open(ec->ec_opts.eo_out, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0644)) != -1)	/* root: no planted link */
		out = BIO_new_fd(fd, BIO_CLOSE);
	if (out == NULL || !PEM_write_bio_X509_REQ(out, req) ||
	    BIO_flush(out) != 1) {
		enr_error(address, "cannot write the CSR to %s: %s",
		    ec->ec_opts.eo_out ? ec->ec_opts.eo_out : "stdout",
		    strerror(errno));
		goto out;
	}
	/* Remember it: enroll without --cn reuses its subject. */
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_REQ(mem, req) ||
	    (len = BIO_get_mem_data(mem, &pem)) <= 0 ||
	    smime_store_save_request(ec->ec_store, address, pem, (size_t)len,
	    &ec->ec_owner, &ec->ec_err) != SMIME_OK)
		enr_error(address, "warning: the request was not kept as "
		    "%s: %s", SMIME_STORE_REQUEST, smime_err_get0(&ec->ec_err));
	rc = ENR_EX_OK;
out:
	BIO_free(mem);
	BIO_free(out);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}

/* import ADDRESS FILE */
int
enr_cmd_import(struct enr_ctx *ec, const char *address, const char *file)
{
	char *buf = NULL, *pass = NULL;
	size_t len = 0;
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *stored = NULL, *filekey = NULL, *key, *newkey = NULL;
	X509 *leaf = NULL;
	smime_status st;
	int rc = ENR_EX_FAIL;

	if (smime_credential_read(NULL, file, false, &buf, &len, &ec->ec_err)
	    != SMIME_OK) {
		enr_error(NULL, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	if (ec->ec_opts.eo_pass != NULL && smime_secret_read(
	    ec->ec_opts.eo_pass, &pass, &ec->ec_err) != SMIME_OK) {
		rc = ENR_EX_USAGE;
		enr_error(NULL, "--pass: %s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	rc = ENR_EX_INVALID;
	if (smime_credential_parse(file, buf, len, pass, "--pass", &filekey,
	    &certs, &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	if (sk_X509_num(certs) == 0) {
		enr_error(address, "%s: no certificate in the file", file);
		goto out;
	}
	(void)smime_store_load_key(ec->ec_store, address, &stored, NULL, NULL);
	/* A key in the file (PKCS#12) wins; it replaces a different one. */
	key = filekey != NULL ? filekey : stored;
	if (filekey != NULL && (stored == NULL ||
	    EVP_PKEY_eq(filekey, stored) != 1))
		newkey = filekey;
	if ((st = smime_import_select(certs, key, &leaf, &ec->ec_err)) !=
	    SMIME_OK || (st = smime_cert_check(leaf, key, address,
	    &ec->ec_err)) != SMIME_OK) {
		enr_error(address, "%s: %s", file, smime_err_get0(&ec->ec_err));
		goto out;
	}
	rc = enr_install(ec, address, "imported", leaf, newkey, certs);
out:
	ERR_clear_error();
	if (pass != NULL)
		OPENSSL_clear_free(pass, strlen(pass));
	smime_credential_buf_free(buf, len);
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(stored);
	EVP_PKEY_free(filekey);
	return rc;
}

/* Display width of UTF-8 s: East Asian wide characters count two. */
static size_t
enr_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t w = 0;

	while (*p != '\0') {
		if (*p < 0x80) {
			cp = *p++;
		} else if ((*p & 0xe0) == 0xc0 && p[1] != '\0') {
			cp = ((p[0] & 0x1fUL) << 6) | (p[1] & 0x3f);
			p += 2;
		} else if ((*p & 0xf0) == 0xe0 && p[1] != '\0' && p[2] != '\0') {
			cp = ((p[0] & 0x0fUL) << 12) | ((p[1] & 0x3fUL) << 6) |
			    (p[2] & 0x3f);
			p += 3;
		} else {
			cp = 0x20000;	/* 4-byte: supplementary CJK */
			p++;
			while ((*p & 0xc0) == 0x80)
				p++;
		}
		w += (cp >= 0x1100 && cp <= 0x115f) ||
		    (cp >= 0x2e80 && cp <= 0xa4cf) ||
		    (cp >= 0xac00 && cp <= 0xd7a3) ||
		    (cp >= 0xf900 && cp <= 0xfaff) ||
		    (cp >= 0xfe30 && cp <= 0xfe4f) ||
		    (cp >= 0xff00 && cp <= 0xff60) ||
		    (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000 ? 2 : 1;
	}
	return w;
}

/* Print s padded with spaces to width columns, then two spaces. */
static void
enr_cell(const char *s, size_t width)
{
	size_t w = enr_width(s);

	fputs(s, stdout);
	while (w++ < width + 2)
		putchar(' ');
}

/* Print s as a JSON string (UTF-8 kept, controls escaped). */
static void
enr_json_str(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* The columns of one list row. */
struct enr_row {
	char	 r_cn[256], r_ou[256], r_issuer[256], r_serial[80];
	char	 r_after[32], r_days[16];
	const char *r_status;
	long	 r_ndays;		/* smime_cert_days_left() */
	bool	 r_hascert;
};

/* Fill a row for entry e; renew_within decides "expiring". */
static void
enr_row_fill(const struct smime_store_entry *e, unsigned int renew_within,
    time_t now, struct enr_row *r)
{
	X509 *c = e->se_cert;
	BIGNUM *bn;
	char *hex;
	struct tm tm;
	bool expired;

	memset(r, 0, sizeof(*r));
	r->r_status = "pending";
	if ((r->r_hascert = c != NULL)) {
		smime_name_get_text(X509_get_subject_name(c), NID_commonName,
		    r->r_cn, sizeof(r->r_cn));
		smime_name_get_text(X509_get_subject_name(c),
		    NID_organizationalUnitName, r->r_ou, sizeof(r->r_ou));
		smime_name_get_text(X509_get_issuer_name(c), NID_commonName,
		    r->r_issuer, sizeof(r->r_issuer));
		if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL))
		    != NULL && (hex = BN_bn2hex(bn)) != NULL) {
			snprintf(r->r_serial, sizeof(r->r_serial), "%s", hex);
			OPENSSL_free(hex);
		}
		BN_free(bn);
		if (ASN1_TIME_to_tm(X509_get0_notAfter(c), &tm))
			strftime(r->r_after, sizeof(r->r_after),
			    "%Y-%m-%dT%H:%M:%SZ", &tm);
		(void)smime_cert_days_left(c, now, &r->r_ndays, &expired);
		snprintf(r->r_days, sizeof(r->r_days), "%ld", r->r_ndays);
		if (!e->se_has_key)
			r->r_status = "key missing";
		else if (expired)
			r->r_status = "expired";
		else if (r->r_ndays <= (long)renew_within)
			r->r_status = "expiring";
		else
			r->r_status = "ok";
	}
	if (e->se_revoked)
		r->r_status = "revoked";
}

/* Where e's key lives: "key.pem", its token URI (no query) or "none". */
static const char *
enr_key_where(const struct smime_store_entry *e)
{
	if (e->se_key_uri != NULL)
		return e->se_key_uri;
	return e->se_has_key ? SMIME_STORE_KEY : "none";
}

/* The nine table cells of entry e and its row r, in column order. */
static void
enr_row_cells(const struct smime_store_entry *e, const struct enr_row *r,
    const char *cell[9])
{
	cell[0] = e->se_address; cell[1] = r->r_cn;
	cell[2] = r->r_ou; cell[3] = r->r_issuer;
	cell[4] = r->r_serial; cell[5] = r->r_after;
	cell[6] = enr_key_where(e);
	cell[7] = r->r_days; cell[8] = r->r_status;
}

int
enr_cmd_list(struct enr_ctx *ec)
{
	static const char *const head[] = { "ADDRESS", "CN", "OU", "ISSUER",
	    "SERIAL", "NOT-AFTER", "KEY", "DAYS", "STATUS" };
	struct smime_store_entry *list = NULL;
	struct enr_row *rows = NULL;
	size_t n = 0, i, w[9], k;
	const char *cell[9];
	time_t now = time(NULL);	/* one instant for every row */
	int rc = ENR_EX_FAIL;

	if (smime_store_scan(ec->ec_store, &list, &n, &ec->ec_err) !=
	    SMIME_OK) {
		enr_error(NULL, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	if (n > 0 && (rows = calloc(n, sizeof(*rows))) == NULL)
		goto out;
	for (k = 0; k < 9; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < n; i++) {
		enr_row_fill(&list[i], ec->ec_conf->cf_enroll_renew_within,
		    now, &rows[i]);
		enr_row_cells(&list[i], &rows[i], cell);
		for (k = 0; k < 9; k++)
			if (enr_width(cell[k]) > w[k])
				w[k] = enr_width(cell[k]);
	}
	if (ec->ec_opts.eo_json) {
		printf("[");
		for (i = 0; i < n; i++) {
			printf("%s\n  {\"address\": ", i == 0 ? "" : ",");
			enr_json_str(list[i].se_address);
			if (rows[i].r_hascert) {
				printf(", \"cn\": ");
				enr_json_str(rows[i].r_cn);
				printf(", \"ou\": ");
				enr_json_str(rows[i].r_ou);
				printf(", \"issuer\": ");
				enr_json_str(rows[i].r_issuer);
				printf(", \"serial\": \"%s\", \"not_after\": "
				    "\"%s\", \"days_left\": %ld",
				    rows[i].r_serial, rows[i].r_after,
				    rows[i].r_ndays);
			}
			printf(", \"status\": \"%s\", \"key\": ",
			    rows[i].r_status);
			enr_json_str(enr_key_where(&list[i]));
			printf("}");
		}
		printf("%s]\n", n > 0 ? "\n" : "");
	} else {
		for (k = 0; k < 9; k++)
			enr_cell(head[k], k == 8 ? 0 : w[k]);
		putchar('\n');
		for (i = 0; i < n; i++) {
			enr_row_cells(&list[i], &rows[i], cell);
			for (k = 0; k < 9; k++)
				enr_cell(cell[k][0] != '\0' ? cell[k] : "-",
				    k == 8 ? 0 : w[k]);
			putchar('\n');
		}
	}
	rc = fflush(stdout) == 0 ? ENR_EX_OK : ENR_EX_FAIL;
out:
	free(rows);
	smime_store_entries_free(list, n);
	return rc;
}

int
enr_cmd_rollback(struct enr_ctx *ec, const char *address)
{
	smime_status st;

	if (ec->ec_opts.eo_dry_run) {
		printf("would restore the *.prev files of %s\n", address);
		return ENR_EX_OK;
	}
	if ((st = smime_store_rollback(ec->ec_store, address, &ec->ec_err)) !=
	    SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		return st == SMIME_POLICY ? ENR_EX_INVALID : ENR_EX_FAIL;
	}
	printf("restored the previous certificate of %s\n", address);
	ec->ec_changed = true;
	return ENR_EX_OK;
}

int
enr_cmd_senders(struct enr_ctx *ec, const char *address, char **logins,
    int nlogins)
{
	char *text = NULL, *line, *save = NULL;
	int i;

	if (nlogins == 0) {	/* show, never through a planted link */
		if (smime_store_get_senders(ec->ec_store, address,
		    &ec->ec_owner, &text, &ec->ec_err) != SMIME_OK) {
			enr_error(address, "%s", smime_err_get0(&ec->ec_err));
			return ENR_EX_FAIL;
		}
		if (text == NULL) {
			printf("%s: no senders file: no login may send as it\n",
			    address);
			return ENR_EX_OK;
		}
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (line[0] != '#')
				printf("%s\n", line);
		free(text);
		return ENR_EX_OK;
	}
	if (ec->ec_opts.eo_dry_run) {
		printf("would allow %d login%s to send as %s\n", nlogins,
		    nlogins == 1 ? "" : "s", address);
		return ENR_EX_OK;
	}
	if (smime_store_set_senders(ec->ec_store, address, logins,
	    (size_t)nlogins, &ec->ec_owner, &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		return ENR_EX_INVALID;
	}
	for (i = 0; i < nlogins; i++)
		printf("%s%s", i == 0 ? "senders: " : ", ", logins[i]);
	putchar('\n');
	ec->ec_changed = true;
	return ENR_EX_OK;
}
