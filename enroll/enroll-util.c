/*
 * enroll-util.c - messages, configuration and the steps that several
 * smime-enroll commands share (key, chain, install, reload).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "enroll/enroll.h"
#include "smime/credential.h"
#include "smime/import.h"
#include "smime/keygen.h"
#include "smime/pkcs11.h"


static const char *const enr_progname = "smime-enroll";

void
enr_error(const char *address, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", enr_progname);
	if (address != NULL)
		fprintf(stderr, "%s: ", address);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Warning callback for the library (profile, config). */
void
enr_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: warning: %s\n", enr_progname, msg);
}

bool
enr_address(const char *in, char *buf, size_t buflen)
{
	struct smime_err err;
	char *at;

	if (smime_profile_check_email(in, &err) != SMIME_OK) {
		enr_error(NULL, "%s", smime_err_get0(&err));
		return false;
	}
	snprintf(buf, buflen, "%s", in);
	for (at = strrchr(buf, '@'); *at != '\0'; at++)
		*at = (char)tolower((unsigned char)*at);
	return true;
}

/*
 * As root, bring a store written before the ownership model (owned by the
 * milter's user) to it, saying so once; refuse to go on when it holds
 * something planted.  Exit code.
 */
static int
enr_migrate(struct enr_ctx *ec)
{
	size_t changed = 0;

	if (ec->ec_store == NULL || !ec->ec_owner.so_set ||
	    ec->ec_opts.eo_dry_run)
		return ENR_EX_OK;
	if (smime_store_migrate(ec->ec_store, &ec->ec_owner, &changed,
	    &ec->ec_err) != SMIME_OK) {
		enr_error(NULL, "sign.store: %s", smime_err_get0(&ec->ec_err));
		return ENR_EX_FAIL;
	}
	if (changed > 0)
		enr_error(NULL, "migrated %s to the ownership model of "
		    "smime-enroll(8): owned by root, group of the milter, "
		    "directories 0750, keys 0640 (%zu entries changed)",
		    ec->ec_store, changed);
	return ENR_EX_OK;
}

/* Load the configuration and the store owner; exit code on failure. */
int
enr_load_conf(struct enr_ctx *ec, bool need_store)
{
	char errbuf[1024];

	ec->ec_conf = conf_load(ec->ec_opts.eo_conf, errbuf, sizeof(errbuf),
	    enr_warn, NULL);
	if (ec->ec_conf == NULL) {
		enr_error(NULL, "%s", errbuf);
		return ENR_EX_CONF;
	}
	ec->ec_store = ec->ec_conf->cf_sign_store;
	if (need_store && ec->ec_store == NULL) {
		enr_error(NULL, "%s: sign.store is not set", ec->ec_conf->cf_path);
		return ENR_EX_CONF;
	}
	if (enr_owner_lookup(ec->ec_conf->cf_user, &ec->ec_owner,
	    &ec->ec_err) != SMIME_OK) {
		enr_error(NULL, "%s: %s", ec->ec_conf->cf_path,
		    smime_err_get0(&ec->ec_err));
		return ENR_EX_CONF;
	}
	ec->ec_owner.so_strict = ec->ec_conf->cf_strict_modes;
	return need_store ? enr_migrate(ec) : ENR_EX_OK;
}

/* Fill a profile from options, defaults from the enroll group. */
void
enr_profile(const struct enr_ctx *ec, const char *address,
    struct smime_profile *p)
{
	const struct enr_opts *o = &ec->ec_opts;
	const struct smime_conf *cf = ec->ec_conf;

	memset(p, 0, sizeof(*p));
	p->pr_cn = o->eo_cn;
	p->pr_o = o->eo_o != NULL ? o->eo_o : cf->cf_enroll_o;
	p->pr_ou = o->eo_ou != NULL ? o->eo_ou : cf->cf_enroll_ou;
	p->pr_l = o->eo_l != NULL ? o->eo_l : cf->cf_enroll_l;
	p->pr_st = o->eo_st != NULL ? o->eo_st : cf->cf_enroll_st;
	p->pr_c = o->eo_c != NULL ? o->eo_c : cf->cf_enroll_c;
	p->pr_email = address;
	p->pr_dn_email = o->eo_dn_email;
}

void
enr_profile_from_name(const struct enr_ctx *ec, const char *address,
    const X509_NAME *n, struct enr_subject *su, struct smime_profile *p)
{
	const struct enr_opts *o = &ec->ec_opts;

	smime_name_get_text(n, NID_commonName, su->su_cn, sizeof(su->su_cn));
	smime_name_get_text(n, NID_organizationName, su->su_o,
	    sizeof(su->su_o));
	smime_name_get_text(n, NID_organizationalUnitName, su->su_ou,
	    sizeof(su->su_ou));
	smime_name_get_text(n, NID_localityName, su->su_l, sizeof(su->su_l));
	smime_name_get_text(n, NID_stateOrProvinceName, su->su_st,
	    sizeof(su->su_st));
	smime_name_get_text(n, NID_countryName, su->su_c, sizeof(su->su_c));
	smime_name_get_text(n, NID_pkcs9_emailAddress, su->su_dnmail,
	    sizeof(su->su_dnmail));
	memset(p, 0, sizeof(*p));
#define ENR_PICK(opt, have) ((opt) != NULL ? (opt) : (have)[0] != '\0' ? \
	(have) : NULL)
	p->pr_cn = ENR_PICK(o->eo_cn, su->su_cn);
	p->pr_o = ENR_PICK(o->eo_o, su->su_o);
	p->pr_ou = ENR_PICK(o->eo_ou, su->su_ou);
	p->pr_l = ENR_PICK(o->eo_l, su->su_l);
	p->pr_st = ENR_PICK(o->eo_st, su->su_st);
	p->pr_c = ENR_PICK(o->eo_c, su->su_c);
#undef ENR_PICK
	p->pr_email = address;
	p->pr_dn_email = o->eo_dn_email || su->su_dnmail[0] != '\0';
}

/* Key type from --type or enroll.key_type; NULL with a message if bad. */
const char *
enr_key_type(const struct enr_ctx *ec)
{
	const char *type = ec->ec_opts.eo_type != NULL ? ec->ec_opts.eo_type :
	    ec->ec_conf->cf_enroll_key_type;

	if (type == NULL)
		type = "rsa:2048";
	if (!smime_keygen_type_ok(type)) {
		enr_error(NULL, "unknown key type \"%s\" (rsa:2048, rsa:3072, "
		    "rsa:4096, ec:P-256, ec:P-384)", type);
		return NULL;
	}
	return type;
}

/* Print "installed" with serial and expiry of cert. */
void
enr_report_cert(const char *verb, const char *address, X509 *cert)
{
	char *serial = NULL;
	BIGNUM *bn;
	long days = 0;
	struct tm tm;
	char when[32] = "?";

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) !=
	    NULL)
		serial = BN_bn2hex(bn);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm))
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	(void)smime_cert_days_left(cert, time(NULL), &days, NULL);
	printf("%s %s: serial %s, valid until %s (%ld days)\n", verb, address,
	    serial != NULL ? serial : "?", when, days);
	OPENSSL_free(serial);
	BN_free(bn);
}

/* Tell the milter about changes; exit code. */
int
enr_notify(struct enr_ctx *ec)
{
	char done[512];

	if (!ec->ec_changed || ec->ec_opts.eo_dry_run)
		return ENR_EX_OK;
	if (enr_reload_milter(ec->ec_conf->cf_enroll_reload_command,
	    ec->ec_conf->cf_pidfile, &ec->ec_owner, done, sizeof(done),
	    &ec->ec_err) !=
	    SMIME_OK) {
		enr_error(NULL, "installed, but the milter was not reloaded: "
		    "%s", smime_err_get0(&ec->ec_err));
		return ENR_EX_RELOAD;
	}
	printf("%s\n", done);
	return ENR_EX_OK;
}

int
enr_new_key(struct enr_ctx *ec, const char *address, const char *type,
    EVP_PKEY **key)
{
	smime_status st;

	if (ec->ec_opts.eo_pkcs11 != NULL)
		st = smime_p11_keygen(ec->ec_opts.eo_pkcs11, type, key,
		    &ec->ec_err);
	else
		st = smime_keygen(type, key, &ec->ec_err);
	if (st != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		return st == SMIME_SYNTAX ? ENR_EX_USAGE : st == SMIME_BADKEY ?
		    ENR_EX_INVALID : ENR_EX_FAIL;
	}
	return ENR_EX_OK;
}

int
enr_get_key(struct enr_ctx *ec, const char *address, EVP_PKEY **key,
    bool *generated)
{
	const char *type;
	bool missing;
	int rc;

	*generated = false;
	if (smime_store_load_key(ec->ec_store, address, key, &missing,
	    &ec->ec_err) == SMIME_OK)
		return ENR_EX_OK;
	if (!missing) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		return ENR_EX_INVALID;
	}
	if ((type = enr_key_type(ec)) == NULL)
		return ENR_EX_USAGE;
	if ((rc = enr_new_key(ec, address, type, key)) != ENR_EX_OK)
		return rc;
	*generated = true;
	return ENR_EX_OK;
}

int
enr_add_intermediates(struct enr_ctx *ec, STACK_OF(X509) *into)
{
	const char *inter = ec->ec_conf->cf_enroll_intermediates;

	if (inter == NULL || smime_credential_add_certs(NULL, inter, into,
	    &ec->ec_err) == SMIME_OK)
		return ENR_EX_OK;
	enr_error(NULL, "enroll.intermediates: %s",
	    smime_err_get0(&ec->ec_err));
	return ENR_EX_CONF;
}

int
enr_install(struct enr_ctx *ec, const char *address, const char *verb,
    X509 *cert, EVP_PKEY *newkey, STACK_OF(X509) *pool)
{
	STACK_OF(X509) *all = NULL, *chain = NULL;
	int rc = ENR_EX_FAIL, i;

	if ((all = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 0; pool != NULL && i < sk_X509_num(pool); i++)
		if (!X509_add_cert(all, sk_X509_value(pool, i),
		    X509_ADD_FLAG_UP_REF))
			goto out;
	if ((rc = enr_add_intermediates(ec, all)) != ENR_EX_OK)
		goto out;
	rc = ENR_EX_FAIL;
	if (smime_chain_build(cert, all, &chain, &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	if (ec->ec_opts.eo_dry_run) {
		enr_report_cert("would install", address, cert);
		rc = ENR_EX_OK;
		goto out;
	}
	if (smime_store_install(ec->ec_store, address, newkey, cert, chain,
	    &ec->ec_owner, &ec->ec_err) != SMIME_OK) {
		enr_error(address, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	ec->ec_changed = true;
	enr_report_cert(verb, address, cert);
	if (sk_X509_num(chain) == 0)
		enr_error(address, "warning: no intermediate certificate found; "
		    "set enroll.intermediates if the CA has one");
	rc = ENR_EX_OK;
out:
	sk_X509_pop_free(all, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

