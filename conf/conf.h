/*
 * conf.h - smime-milter configuration as a plain C struct.
 *
 * conf_load() parses a libconfig file, checks every setting against the
 * schema table in conf.c, resolves relative paths against the file's
 * directory and copies every string it keeps.  Errors read
 * "FILE:LINE: KEY: what is wrong".  Nothing here touches keys or
 * certificates: loading those is smime_idstore's job (smime/identity.h),
 * driven by conf_load_identities() with the file/line recorded here.
 */
#ifndef SMIME_CONF_H
#define SMIME_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "smime/signpolicy.h"
#include "smime/smime.h"

/*
 * verify.trust_anchors = "system": the PEM bundle of the roots Mozilla
 * trusts for e-mail, written by smime-enroll trust-update.
 */
#define CONF_SYSTEM_TRUST	LOCALSTATEDIR "/lib/smime-milter/email-roots.pem"

struct smime_idstore;

/* log_format: the shape of each log line (milter/logfmt.h). */
enum conf_log_format {
	CONF_LOG_TEXT,		/* "QUEUEID: free text", as always */
	CONF_LOG_JSON,		/* one JSON object per line */
	CONF_LOG_LOGFMT		/* key=value pairs */
};

/* log_target: where log lines go. */
enum conf_log_target {
	CONF_LOG_SYSLOG,	/* syslog(3), facility mail */
	CONF_LOG_STDOUT,	/* one line per write, for containers */
	CONF_LOG_STDERR
};

enum conf_action {
	CONF_ACTION_ACCEPT,
	CONF_ACTION_TEMPFAIL,
	CONF_ACTION_REJECT
};

/* One internal_hosts entry: an address with a prefix length. */
struct conf_cidr {
	int		cidr_family;	/* AF_INET or AF_INET6 */
	unsigned char	cidr_addr[16];
	unsigned int	cidr_prefix;
};

/* One sign.identities entry, paths already made absolute. */
struct conf_identity {
	char	 *ci_address;
	char	 *ci_cert;
	char	 *ci_key;
	char	 *ci_chain;		/* NULL when not set */
	char	**ci_senders;		/* SMTP AUTH logins */
	size_t	  ci_nsenders;
	int	  ci_line;		/* line in cf_path, for messages */
	bool	  ci_pending;		/* cert file missing: not enrolled
					   yet, skipped by the daemon */
};

struct smime_conf {
	char			*cf_path;	/* absolute path of the file */
	char			*cf_socket;
	char			*cf_user;	/* NULL: do not change user */
	char			*cf_pidfile;	/* NULL: no pid file */
	char			*cf_authserv_id;
	bool			 cf_remove_ar_all;	/* every A-R of ours */
	bool			 cf_mode_sign;
	bool			 cf_mode_verify;
	enum conf_action	 cf_on_error;
	enum conf_action	 cf_on_permanent_error;
	struct conf_cidr	*cf_internal_hosts;
	size_t			 cf_ninternal_hosts;
	bool			 cf_strict_modes;	/* owner/mode checks */
	int			 cf_log_level;	/* syslog priority, LOG_INFO */
	char			*cf_tmpdir;	/* spool directory */
	size_t			 cf_spool_memory; /* bytes kept in RAM */
	size_t			 cf_max_header_bytes;
	unsigned int		 cf_max_mime_depth;
	unsigned int		 cf_max_mime_parts;
	int			 cf_log_format;	/* enum conf_log_format */
	int			 cf_log_target;	/* enum conf_log_target */

	/* operations: metrics and health (smime-milter(8)) */
	char			*cf_metrics_listen;	/* NULL: no HTTP */
	char			*cf_metrics_textfile;	/* NULL: none */
	unsigned int		 cf_metrics_interval;	/* seconds */
	unsigned int		 cf_health_tempfail_limit; /* 0: off */

	/* sign = { ... } */
	char			*cf_sign_digest;	/* sha256|sha384|sha512 */
	bool			 cf_sign_include_chain;
	bool			 cf_sign_rsa_pss;
	char			*cf_sign_store;		/* NULL: none */
	struct conf_identity	*cf_identities;
	size_t			 cf_nidentities;
	enum conf_action	 cf_sign_unauthorized;	/* accept|reject */
	bool			 cf_sign_trace_header;
	char			*cf_sign_crl;		/* own CA's CRL, optional */
	bool			 cf_sign_header_protection;	/* RFC 9788 */
	char			**cf_sign_hp_fields;	/* NULL: library default */
	size_t			 cf_sign_hp_nfields;
	/* signing policy by destination: sign.destinations and the rules
	 * of sign.destinations_file, one table (smime/signpolicy.h) */
	struct smime_dest_rule	*cf_sign_dests;
	size_t			 cf_sign_ndests;
	char			*cf_sign_destinations_file;	/* NULL: none */

	/* verify = { ... } */
	char			*cf_verify_trust_anchors;
	char			*cf_verify_intermediates;
	char			**cf_verify_crls;
	size_t			 cf_verify_ncrls;
	bool			 cf_verify_ocsp;
	unsigned int		 cf_verify_ocsp_timeout;	/* seconds */
	bool			 cf_verify_crl_fetch;	/* CDP URLs */
	char			*cf_verify_crl_cache_dir;
	unsigned int		 cf_verify_crl_fetch_timeout;	/* seconds */
	size_t			 cf_verify_crl_max_size;	/* bytes */
	bool			 cf_verify_aia_fetch;	/* caIssuers */
	bool			 cf_verify_allow_sha1;
	unsigned int		 cf_verify_min_rsa_bits;
	int			 cf_verify_revocation_scope;	/* SMIME_REVSCOPE_ */
	int			 cf_verify_revocation_unavailable; /* _REVUNAVAIL_ */
	bool			 cf_verify_reject_fail;
	bool			 cf_verify_signer_header;	/* X-SMIME-Signer */

	/* enroll = { ... } (smime-enroll only) */
	char			*cf_enroll_o;
	char			*cf_enroll_ou;
	char			*cf_enroll_l;
	char			*cf_enroll_st;
	char			*cf_enroll_c;
	char			*cf_enroll_key_type;	/* "rsa:2048" ... */
	unsigned int		 cf_enroll_renew_within;	/* days */
	char			*cf_enroll_cmp_server;
	char			*cf_enroll_cmp_recipient;
	char			*cf_enroll_cmp_trusted;
	char			*cf_enroll_cmp_tls_trusted;	/* https */
	char			*cf_enroll_cmp_tls_cert;
	char			*cf_enroll_cmp_tls_key;
	char			*cf_enroll_intermediates;
	char			*cf_enroll_reload_command;
	unsigned int		 cf_enroll_check_days;	/* check --days */
	char			*cf_enroll_notify;	/* check mails here */
	char			*cf_enroll_sendmail;	/* sendmail(1) path */
};

/* Called for each non-fatal finding (e.g. deprecated key); msg has FILE:LINE. */
typedef void conf_warn_fn(void *arg, const char *msg);

/*
 * Load and check path.  On success return a new struct (free with
 * conf_free()); on failure return NULL with "FILE:LINE: KEY: reason" in
 * errbuf.  warn may be NULL.
 */
struct smime_conf *conf_load(const char *path, char *errbuf, size_t errlen,
    conf_warn_fn *warn, void *warnarg);

/* Free a configuration; accepts NULL. */
void conf_free(struct smime_conf *conf);

/*
 * True when addr (numeric IPv4 or IPv6, as in Postfix's {client_addr};
 * "IPv6:" prefixes tolerated) falls in internal_hosts.
 */
bool conf_host_is_internal(const struct smime_conf *conf, const char *addr);

/* Parse "tempfail"|"accept"|"reject"; false when unknown. */
bool conf_parse_action(const char *text, enum conf_action *action);

/* Name of an action, for logs and -T output. */
const char *conf_action_name(enum conf_action action);

/* Write the effective configuration in libconfig syntax (smime-milter -T). */
void conf_print(const struct smime_conf *conf, FILE *out);

/*
 * Build the signing identity store (smime/identity.h) from
 * sign.identities (entries conf_load() found pending, ci_pending, are
 * skipped: it warned about them), then sign.store (a configured address wins over a
 * store entry, with a warning), then mark what sign.crl revokes.  On
 * success *out is a new store the caller frees with smime_idstore_free();
 * on failure *out is NULL and errbuf reads
 * "FILE:LINE: sign.identities[N]: reason" or "FILE: sign.store: reason".
 * Certificate warnings (expired, expiring) go to warn.
 */
smime_status conf_load_identities(const struct smime_conf *conf,
    struct smime_idstore **out, conf_warn_fn *warn, void *warnarg,
    char *errbuf, size_t errlen);

#endif /* SMIME_CONF_H */
