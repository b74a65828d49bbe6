/*
 * enroll.h - private interfaces of the smime-enroll front end: the run
 * context, messages, and one function per command.  The work itself is
 * in smime/ (profile, keygen, csr, import, cmp, store).
 */
#ifndef MILTER_ENROLL_H
#define MILTER_ENROLL_H

#include <stdbool.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/conf.h"
#include "smime/cmp.h"
#include "smime/err.h"
#include "smime/profile.h"
#include "smime/store.h"
#include "smime/storelayout.h"

/* Exit codes, documented in smime-enroll(8). */
enum {
	ENR_EX_OK = 0,		/* done (or nothing was due) */
	ENR_EX_FAIL = 1,	/* I/O or internal failure */
	ENR_EX_USAGE = 2,	/* bad command line */
	ENR_EX_CONF = 3,	/* configuration file unusable */
	ENR_EX_INVALID = 4,	/* profile, key or certificate check failed */
	ENR_EX_CA = 5,		/* CMP server unreachable or said no */
	ENR_EX_EXISTS = 6,	/* would overwrite a key (no --force) */
	ENR_EX_RELOAD = 7,	/* installed, but the milter reload failed */
	ENR_EX_DUE = 8		/* check: a certificate expires within N days */
};

/* Everything from the command line; NULL/false/-1 when not given. */
struct enr_opts {
	const char	*eo_conf;
	bool		 eo_dry_run;
	bool		 eo_force;
	bool		 eo_json;
	bool		 eo_all;
	bool		 eo_reuse_key;
	bool		 eo_dn_email;
	const char	*eo_type;
	const char	*eo_out;
	const char	*eo_pass;
	const char	*eo_server;
	const char	*eo_ref;
	const char	*eo_secret;
	const char	*eo_cert;
	const char	*eo_key;
	const char	*eo_recipient;
	const char	*eo_trusted;
	const char	*eo_tls_trusted, *eo_tls_cert, *eo_tls_key;
	const char	*eo_reason;
	const char	*eo_newkey;
	long		 eo_within;
	long		 eo_days;	/* check --days */
	bool		 eo_previous;	/* revoke --previous */
	const char	*eo_cn, *eo_o, *eo_ou, *eo_l, *eo_st, *eo_c;
	const char	*eo_module;	/* trust-update --module */
	const char	*eo_nssdb;	/* trust-update --nssdb */
	const char	*eo_pkcs11;	/* keygen/enroll/renew --pkcs11 URI */
};

/* One run: options, configuration and whether the store changed. */
struct enr_ctx {
	struct enr_opts			 ec_opts;
	struct smime_conf		*ec_conf;
	const char			*ec_store;	/* cf_sign_store */
	struct smime_store_owner	 ec_owner;
	bool				 ec_changed;	/* reload needed */
	struct smime_err		 ec_err;
};

/* "smime-enroll: [ADDRESS: ]message" on stderr. */
void enr_error(const char *address, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Warning callback for the library: "smime-enroll: warning: msg". */
void enr_warn(void *arg, const char *msg);

/* Check in and write the normalised address (domain lower-cased) to buf. */
bool enr_address(const char *in, char *buf, size_t buflen);

/* Load -c CONF and the store owner into ec; exit code. */
int enr_load_conf(struct enr_ctx *ec, bool need_store);

/* Profile from options, defaults from the enroll group (borrowed). */
void enr_profile(const struct enr_ctx *ec, const char *address,
    struct smime_profile *p);

/* The fields of an existing subject, as enr_profile_from_name() reads them. */
struct enr_subject {
	char	 su_cn[256], su_o[256], su_ou[256], su_l[256], su_st[256];
	char	 su_c[8], su_dnmail[320];
};

/*
 * Profile from the subject n of a certificate or request (its fields
 * copied into su, which p borrows), each field replaced by its option
 * when given; fields n lacks stay unset (no enroll group default).
 */
void enr_profile_from_name(const struct enr_ctx *ec, const char *address,
    const X509_NAME *n, struct enr_subject *su, struct smime_profile *p);

/* Key type from --type or enroll.key_type; NULL (message printed) if bad. */
const char *enr_key_type(const struct enr_ctx *ec);

/* Print "VERB ADDRESS: serial S, valid until DATE (N days)". */
void enr_report_cert(const char *verb, const char *address, X509 *cert);

/*
 * A new key of the configured type: on the token of --pkcs11 URI when
 * given (no key material on disk), else in memory.  Exit code.
 */
int enr_new_key(struct enr_ctx *ec, const char *address, const char *type,
    EVP_PKEY **key);

/* Store key of address into *key, or a new one (*generated); exit code. */
int enr_get_key(struct enr_ctx *ec, const char *address, EVP_PKEY **key,
    bool *generated);

/*
 * Append the certificates of enroll.intermediates (when set) to into,
 * through the credential loader.  ENR_EX_OK, or ENR_EX_CONF with the
 * error printed.
 */
int enr_add_intermediates(struct enr_ctx *ec, STACK_OF(X509) *into);

/*
 * Complete cert's chain from pool (may be NULL), enroll.intermediates and
 * install it with newkey (may be NULL: keep the key).  Exit code.
 */
int enr_install(struct enr_ctx *ec, const char *address, const char *verb,
    X509 *cert, EVP_PKEY *newkey, STACK_OF(X509) *pool);

/* Reload the milter after a change; exit code. */
int enr_notify(struct enr_ctx *ec);

/* ---- enroll-proc.c: users and processes (never in smime/) ---- */

/*
 * Fill owner for the milter's user (may be NULL): root-owned with that
 * user's group when we run as root, strict_modes on.  Returns SMIME_OK
 * or SMIME_SYNTAX (unknown user).
 */
smime_status enr_owner_lookup(const char *user,
    struct smime_store_owner *owner, struct smime_err *err);

/*
 * The environment for a program smime-enroll starts (reload command,
 * trust tools): environ without SMIME_PKCS11_PIN, which only the token
 * code here reads.  A new array of environ's own strings (free() the
 * array only); NULL when out of memory.
 */
char **enr_child_environ(void);

/*
 * Tell a running milter to reload: run command through /bin/sh when not
 * NULL, else send SIGHUP to the pid in pidfile, but only when the file is
 * no link, belongs to root, owner's user (may be NULL) or us and nobody
 * else may write it, and the process is smime-milter running as one of
 * those.  done (donelen bytes) says what happened.  Returns
 * SMIME_OK (also when no milter runs) or SMIME_TEMPFAIL (command failed,
 * pid file or process not trusted, kill failed).
 */
smime_status enr_reload_milter(const char *command, const char *pidfile,
    const struct smime_store_owner *owner, char *done, size_t donelen,
    struct smime_err *err);

/* A smime_cmp_opts and the objects behind it (enroll-cmp.c). */
struct enr_cmp {
	struct smime_cmp_opts	 cm_opts;
	char			 cm_url[1024];
	char			*cm_secret;
	X509			*cm_cert;	/* from --cert */
	EVP_PKEY		*cm_key;	/* from --key */
	STACK_OF(X509)		*cm_chain;	/* its intermediates */
};

/*
 * Fill cm from options and the enroll group: server, recipient, trust;
 * protection PBM (--ref/--secret), --cert/--key, else own_cert/own_key
 * (borrowed, may be NULL) with own_chain.  Exit code; always
 * enr_cmp_clear() afterwards.
 */
int enr_cmp_setup(struct enr_ctx *ec, struct enr_cmp *cm, X509 *own_cert,
    EVP_PKEY *own_key, STACK_OF(X509) *own_chain);

/* Free what enr_cmp_setup() loaded and zero cm. */
void enr_cmp_clear(struct enr_cmp *cm);

/*
 * The subject name and extensions a new certificate for key should carry
 * under prof (smime_profile_name/_extensions; an RSA key also gets
 * keyEncipherment).  ENR_EX_OK, or ENR_EX_FAIL with the error reported
 * for address.  The caller frees *subject and *exts.
 */
int enr_profile_request(struct enr_ctx *ec, const char *address,
    const struct smime_profile *prof, EVP_PKEY *key, X509_NAME **subject,
    STACK_OF(X509_EXTENSION) **exts);

/*
 * Ask the CA of cm for a new certificate of key with subject and exts:
 * ir when cm has a shared secret (RFC 9483 4.1.1), else cr (4.1.2).
 * ENR_EX_OK with *cert and *extra (caller frees), or ENR_EX_CA with the
 * error reported for address.
 */
int enr_cmp_newcert(struct enr_ctx *ec, struct enr_cmp *cm,
    const char *address, EVP_PKEY *key, X509_NAME *subject,
    STACK_OF(X509_EXTENSION) *exts, X509 **cert, STACK_OF(X509) **extra);

/*
 * Load the first certificate (cert != NULL) or the private key of path
 * with the credential loader (smime/credential.h); prints the error.
 */
bool enr_load_pem(struct enr_ctx *ec, const char *path, X509 **cert,
    EVP_PKEY **key);

/*
 * The key a new certificate is for: cur (--reuse-key, new reference),
 * --newkey FILE or a fresh enroll.key_type key in *newkey.  Exit code.
 */
int enr_renew_key(struct enr_ctx *ec, const char *address, EVP_PKEY *cur,
    EVP_PKEY **newkey);

/* The commands; each returns an exit code. */
int enr_cmd_keygen(struct enr_ctx *ec, const char *address);
int enr_cmd_csr(struct enr_ctx *ec, const char *address);
int enr_cmd_import(struct enr_ctx *ec, const char *address,
    const char *file);
int enr_cmd_list(struct enr_ctx *ec);
int enr_cmd_rollback(struct enr_ctx *ec, const char *address);
int enr_cmd_senders(struct enr_ctx *ec, const char *address,
    char **logins, int nlogins);
int enr_cmd_enroll(struct enr_ctx *ec, const char *address);
int enr_cmd_renew(struct enr_ctx *ec, const char *address);
int enr_cmd_revoke(struct enr_ctx *ec, const char *address);

/*
 * check: print one line per identity (sign.identities, then sign.store;
 * pending and revoked ones skipped) whose certificate expires within
 * --days or enroll.check_days days (smime_cert_days_left(), floor) or
 * has expired, and mail them to enroll.notify through enroll.sendmail.
 * ENR_EX_OK (nothing due), ENR_EX_DUE, ENR_EX_FAIL (mail not sent).
 */
int enr_cmd_check(struct enr_ctx *ec);

/*
 * retitle: a certificate with a new subject (--ou, other profile options)
 * for the identity over CMP (cr signed with the current certificate, or
 * ir with PBM), same key with --reuse-key; installed, the milter
 * reloaded, and only then the old certificate revoked as superseded.
 */
int enr_cmd_retitle(struct enr_ctx *ec, const char *address);

/*
 * trust-update: write the roots NSS's built-in module (--module, else the
 * system's libnssckbi.so) or an NSS database (--nssdb) trusts for e-mail
 * to --out (default CONF_SYSTEM_TRUST) as a PEM bundle, atomically.
 * Needs certutil and modutil (libnss3-tools); no configuration file.
 */
int enr_cmd_trust_update(struct enr_ctx *ec);

#endif /* MILTER_ENROLL_H */
