/*
 * conf.c - load, check and apply the smime-milter configuration.
 *
 * Every setting is one row of conf_rows[] below (name, type, default,
 * required, bounds, allowed words), as OpenDKIM's configdef table and
 * Postfix's CONFIG_*_TABLE.  conf_load() reads the file with libconfig,
 * rejects unknown keys, converts each row into struct smime_conf (copying
 * every string, since libconfig owns the ones it returns), then runs the
 * checks that involve more than one setting or the file system.
 */
#include <errno.h>
#include <pwd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf-int.h"
#include "smime/mime.h"
#include "smime/pkcs11.h"
#include "smime/safefs.h"
#include "smime/verify.h"

/* The text of a numeric macro, for a default defined in the library. */
#define CONF_STR1(x)	#x
#define CONF_STR(x)	CONF_STR1(x)

#define OFF(m)	offsetof(struct smime_conf, m)
#define KIB	1024ULL
#define MIB	(1024ULL * 1024ULL)
#define GIB	(1024ULL * 1024ULL * 1024ULL)

static const struct conf_word words_on_error[] = {
	{ "tempfail", CONF_ACTION_TEMPFAIL },
	{ "accept", CONF_ACTION_ACCEPT },
	{ "reject", CONF_ACTION_REJECT },
	{ NULL, 0 }
};

static const struct conf_word words_unauthorized[] = {
	{ "accept", CONF_ACTION_ACCEPT },
	{ "reject", CONF_ACTION_REJECT },
	{ NULL, 0 }
};

static const struct conf_word words_level[] = {
	{ "err", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
	{ NULL, 0 }
};

static const struct conf_word words_digest[] = {
	{ "sha256", 0 }, { "sha384", 0 }, { "sha512", 0 }, { NULL, 0 }
};

static const struct conf_word words_key_type[] = {
	{ "rsa:2048", 0 }, { "rsa:3072", 0 }, { "rsa:4096", 0 },
	{ "ec:P-256", 0 }, { "ec:P-384", 0 }, { NULL, 0 }
};

/* Values are enum smime_revocation_scope / _unavail (smime/verify.h). */
static const struct conf_word words_revscope[] = {
	{ "leaf", SMIME_REVSCOPE_LEAF }, { "chain", SMIME_REVSCOPE_CHAIN },
	{ NULL, 0 }
};

static const struct conf_word words_revunavail[] = {
	{ "temperror", SMIME_REVUNAVAIL_TEMPERROR },
	{ "neutral", SMIME_REVUNAVAIL_NEUTRAL },
	{ "pass", SMIME_REVUNAVAIL_PASS }, { NULL, 0 }
};

static const struct conf_word words_log_format[] = {
	{ "text", CONF_LOG_TEXT }, { "json", CONF_LOG_JSON },
	{ "logfmt", CONF_LOG_LOGFMT }, { NULL, 0 }
};

static const struct conf_word words_log_target[] = {
	{ "syslog", CONF_LOG_SYSLOG }, { "stdout", CONF_LOG_STDOUT },
	{ "stderr", CONF_LOG_STDERR }, { NULL, 0 }
};

static conf_check_fn check_prom_file;
static conf_check_fn check_authserv_id;
static conf_check_fn check_country;
static conf_check_fn check_no_space;
static conf_check_fn check_mailbox;

/*
 * The schema.  A group row comes before its members; conf_print() and
 * conf_free() walk this table too, so a new setting is one new line here
 * plus its struct member.
 */
const struct conf_row conf_rows[] = {
	{ .cr_name = "socket", .cr_type = CT_STRING, .cr_off = OFF(cf_socket),
	  .cr_flags = CR_REQUIRED, .cr_check = conf_check_socket },
	{ .cr_name = "user", .cr_type = CT_STRING, .cr_off = OFF(cf_user),
	  .cr_check = check_no_space },
	{ .cr_name = "pidfile", .cr_type = CT_PATH, .cr_off = OFF(cf_pidfile) },
	{ .cr_name = "authserv_id", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_authserv_id), .cr_check = check_authserv_id },
	{ .cr_name = "remove_ar_all", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_remove_ar_all), .cr_default = "false" },
	{ .cr_name = "mode", .cr_type = CT_SPECIAL, .cr_default = "sv",
	  .cr_apply = conf_apply_mode, .cr_print = conf_print_mode },
	{ .cr_name = "on_error", .cr_type = CT_ACTION,
	  .cr_off = OFF(cf_on_error), .cr_default = "tempfail",
	  .cr_words = words_on_error },
	{ .cr_name = "on_permanent_error", .cr_type = CT_ACTION,
	  .cr_off = OFF(cf_on_permanent_error), .cr_default = "reject",
	  .cr_words = words_on_error },
	{ .cr_name = "internal_hosts", .cr_type = CT_SPECIAL,
	  .cr_default = "", .cr_apply = conf_apply_hosts,
	  .cr_print = conf_print_hosts, .cr_free = conf_free_hosts },
	{ .cr_name = "strict_modes", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_strict_modes), .cr_default = "true" },
	{ .cr_name = "log_level", .cr_type = CT_LEVEL,
	  .cr_off = OFF(cf_log_level), .cr_default = "info",
	  .cr_words = words_level },
	{ .cr_name = "log_format", .cr_type = CT_LEVEL,
	  .cr_off = OFF(cf_log_format), .cr_default = "text",
	  .cr_words = words_log_format },
	{ .cr_name = "log_target", .cr_type = CT_LEVEL,
	  .cr_off = OFF(cf_log_target), .cr_default = "syslog",
	  .cr_words = words_log_target },
	{ .cr_name = "metrics_listen", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_metrics_listen), .cr_check = conf_check_listen },
	{ .cr_name = "metrics_textfile", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_metrics_textfile), .cr_check = check_prom_file },
	{ .cr_name = "metrics_interval", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_metrics_interval), .cr_default = "15",
	  .cr_min = 1, .cr_max = 3600 },
	{ .cr_name = "health_tempfail_limit", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_health_tempfail_limit), .cr_default = "20",
	  .cr_min = 0, .cr_max = 1000000 },
	{ .cr_name = "tmpdir", .cr_type = CT_PATH, .cr_off = OFF(cf_tmpdir) },
	{ .cr_name = "spool_memory", .cr_type = CT_SIZE,
	  .cr_off = OFF(cf_spool_memory), .cr_default = "2097152",
	  .cr_min = 0, .cr_max = GIB },
	{ .cr_name = "max_header_bytes", .cr_type = CT_SIZE,
	  .cr_off = OFF(cf_max_header_bytes), .cr_default = "1048576",
	  .cr_min = 1 * KIB, .cr_max = 64 * MIB },
	{ .cr_name = "max_mime_depth", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_max_mime_depth),
	  .cr_default = CONF_STR(SMIME_MIME_DEFAULT_DEPTH),
	  .cr_min = 1, .cr_max = SMIME_MIME_LIMIT_DEPTH },
	{ .cr_name = "max_mime_parts", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_max_mime_parts),
	  .cr_default = CONF_STR(SMIME_MIME_DEFAULT_PARTS),
	  .cr_min = 1, .cr_max = SMIME_MIME_LIMIT_PARTS },

	{ .cr_name = "sign", .cr_type = CT_GROUP },
	{ .cr_name = "sign.digest", .cr_type = CT_WORD,
	  .cr_off = OFF(cf_sign_digest), .cr_default = "sha256",
	  .cr_words = words_digest },
	{ .cr_name = "sign.include_chain", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_sign_include_chain), .cr_default = "true" },
	{ .cr_name = "sign.rsa_pss", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_sign_rsa_pss), .cr_default = "false" },
	{ .cr_name = "sign.store", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_sign_store) },
	{ .cr_name = "sign.unauthorized", .cr_type = CT_ACTION,
	  .cr_off = OFF(cf_sign_unauthorized), .cr_default = "accept",
	  .cr_words = words_unauthorized },
	{ .cr_name = "sign.trace_header", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_sign_trace_header), .cr_default = "false" },
	{ .cr_name = "sign.crl", .cr_type = CT_PATH, .cr_off = OFF(cf_sign_crl) },
	{ .cr_name = "sign.header_protection", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_sign_header_protection), .cr_default = "true" },
	{ .cr_name = "sign.header_protection_fields", .cr_type = CT_SPECIAL,
	  .cr_apply = conf_apply_hp_fields, .cr_print = conf_print_hp_fields,
	  .cr_free = conf_free_hp_fields },
	{ .cr_name = "sign.destinations", .cr_type = CT_SPECIAL,
	  .cr_apply = conf_apply_destinations,
	  .cr_print = conf_print_destinations,
	  .cr_free = conf_free_destinations },
	{ .cr_name = "sign.destinations_file", .cr_type = CT_SPECIAL,
	  .cr_apply = conf_apply_destinations_file,
	  .cr_print = conf_print_destinations_file,
	  .cr_free = conf_free_destinations_file },
	{ .cr_name = "sign.identities", .cr_type = CT_SPECIAL,
	  .cr_apply = conf_apply_identities,
	  .cr_print = conf_print_identities,
	  .cr_free = conf_free_identities },

	{ .cr_name = "verify", .cr_type = CT_GROUP },
	{ .cr_name = "verify.trust_anchors", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_verify_trust_anchors) },
	{ .cr_name = "verify.intermediates", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_verify_intermediates) },
	{ .cr_name = "verify.crl", .cr_type = CT_PATHS,
	  .cr_off = OFF(cf_verify_crls), .cr_count_off = OFF(cf_verify_ncrls) },
	{ .cr_name = "verify.ocsp", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_verify_ocsp), .cr_default = "false" },
	{ .cr_name = "verify.ocsp_timeout", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_verify_ocsp_timeout), .cr_default = "5",
	  .cr_min = 1, .cr_max = 60 },
	{ .cr_name = "verify.crl_fetch", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_verify_crl_fetch), .cr_default = "true" },
	{ .cr_name = "verify.crl_cache_dir", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_verify_crl_cache_dir) },
	{ .cr_name = "verify.crl_fetch_timeout", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_verify_crl_fetch_timeout), .cr_default = "5",
	  .cr_min = 1, .cr_max = 60 },
	{ .cr_name = "verify.crl_max_size", .cr_type = CT_SIZE,
	  .cr_off = OFF(cf_verify_crl_max_size), .cr_default = "10M",
	  .cr_min = 1 * KIB, .cr_max = 256 * MIB },
	{ .cr_name = "verify.revocation_scope", .cr_type = CT_LEVEL,
	  .cr_off = OFF(cf_verify_revocation_scope), .cr_default = "leaf",
	  .cr_words = words_revscope },
	{ .cr_name = "verify.revocation_unavailable", .cr_type = CT_LEVEL,
	  .cr_off = OFF(cf_verify_revocation_unavailable),
	  .cr_default = "temperror", .cr_words = words_revunavail },
	{ .cr_name = "verify.aia_fetch", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_verify_aia_fetch), .cr_default = "false" },
	{ .cr_name = "verify.allow_sha1", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_verify_allow_sha1), .cr_default = "false" },
	{ .cr_name = "verify.min_rsa_bits", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_verify_min_rsa_bits), .cr_default = "2048",
	  .cr_min = 1024, .cr_max = 16384 },
	{ .cr_name = "verify.reject_fail", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_verify_reject_fail), .cr_default = "false" },
	{ .cr_name = "verify.signer_header", .cr_type = CT_BOOL,
	  .cr_off = OFF(cf_verify_signer_header), .cr_default = "true" },

	{ .cr_name = "enroll", .cr_type = CT_GROUP },
	{ .cr_name = "enroll.o", .cr_type = CT_STRING, .cr_off = OFF(cf_enroll_o) },
	{ .cr_name = "enroll.ou", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_enroll_ou) },
	{ .cr_name = "enroll.l", .cr_type = CT_STRING, .cr_off = OFF(cf_enroll_l) },
	{ .cr_name = "enroll.st", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_enroll_st) },
	{ .cr_name = "enroll.c", .cr_type = CT_STRING, .cr_off = OFF(cf_enroll_c),
	  .cr_default = "JP", .cr_check = check_country },
	{ .cr_name = "enroll.key_type", .cr_type = CT_WORD,
	  .cr_off = OFF(cf_enroll_key_type), .cr_default = "rsa:2048",
	  .cr_words = words_key_type },
	{ .cr_name = "enroll.renew_within", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_enroll_renew_within), .cr_default = "60",
	  .cr_min = 1, .cr_max = 3650 },
	{ .cr_name = "enroll.cmp_server", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_enroll_cmp_server), .cr_check = check_no_space },
	{ .cr_name = "enroll.cmp_recipient", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_enroll_cmp_recipient) },
	{ .cr_name = "enroll.cmp_trusted", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_enroll_cmp_trusted) },
	{ .cr_name = "enroll.cmp_tls_trusted", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_enroll_cmp_tls_trusted) },
	{ .cr_name = "enroll.cmp_tls_cert", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_enroll_cmp_tls_cert) },
	{ .cr_name = "enroll.cmp_tls_key", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_enroll_cmp_tls_key) },
	{ .cr_name = "enroll.intermediates", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_enroll_intermediates) },
	{ .cr_name = "enroll.reload_command", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_enroll_reload_command) },
	{ .cr_name = "enroll.check_days", .cr_type = CT_UINT,
	  .cr_off = OFF(cf_enroll_check_days), .cr_default = "30",
	  .cr_min = 0, .cr_max = 3650 },
	{ .cr_name = "enroll.notify", .cr_type = CT_STRING,
	  .cr_off = OFF(cf_enroll_notify), .cr_check = check_mailbox },
	{ .cr_name = "enroll.sendmail", .cr_type = CT_PATH,
	  .cr_off = OFF(cf_enroll_sendmail),
	  .cr_default = "/usr/sbin/sendmail" },
};

const size_t conf_nrows = sizeof(conf_rows) / sizeof(conf_rows[0]);

/* Format "FILE:LINE: KEY: " for where into buf (FILE only without a line). */
static void
conf_locate(const struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, char *buf, size_t len)
{
	const char *file = NULL;
	unsigned int line = 0;

	if (where != NULL) {
		file = config_setting_source_file(where);
		line = config_setting_source_line(where);
	}
	if (file == NULL)
		file = ctx->cx_path;
	if (line > 0)
		snprintf(buf, len, "%s:%u: %s: ", file, line, key);
	else
		snprintf(buf, len, "%s: %s: ", file, key);
}

/*
 * Record an error "FILE:LINE: KEY: message" unless one is already there
 * (the first error is the useful one).  where may be NULL.
 */
void
conf_error(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (ctx->cx_failed)
		return;
	ctx->cx_failed = true;
	if (ctx->cx_errbuf == NULL || ctx->cx_errlen == 0)
		return;
	conf_locate(ctx, where, key, ctx->cx_errbuf, ctx->cx_errlen);
	used = strlen(ctx->cx_errbuf);
	va_start(ap, fmt);
	vsnprintf(ctx->cx_errbuf + used, ctx->cx_errlen - used, fmt, ap);
	va_end(ap);
}

/* Hand "FILE:LINE: KEY: message" to the warning callback, if any. */
void
conf_warning(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t used;

	if (ctx->cx_warn == NULL)
		return;
	conf_locate(ctx, where, key, msg, sizeof(msg));
	used = strlen(msg);
	va_start(ap, fmt);
	vsnprintf(msg + used, sizeof(msg) - used, fmt, ap);
	va_end(ap);
	ctx->cx_warn(ctx->cx_warnarg, msg);
}

/* Record an out-of-memory error; always returns false for tail calls. */
bool
conf_oom(struct conf_ctx *ctx, const config_setting_t *where, const char *key)
{
	conf_error(ctx, where, key, "out of memory");
	return false;
}

/* English name of a libconfig value type, for "wrong type" messages. */
const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a floating point number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "an unknown type";
	}
}

/*
 * Return a new absolute path: path itself when absolute, else path under
 * the config file's directory.  Caller frees; NULL on allocation failure.
 */
char *
conf_resolve_path(const struct conf_ctx *ctx, const char *path)
{
	char *abs = NULL;
	size_t len;

	if (path[0] == '/')
		return strdup(path);
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	len = strlen(ctx->cx_dir) + 1 + strlen(path) + 1;
	if ((abs = malloc(len)) != NULL)
		snprintf(abs, len, "%s%s%s", ctx->cx_dir,
		    strcmp(ctx->cx_dir, "/") == 0 ? "" : "/", path);
	return abs;
}

/* RFC 8601 authserv-id: we accept a token, no spaces or specials. */
static bool
check_authserv_id(const char *value, char *why, size_t whylen)
{
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("()<>@,;:\\\"/[]?=", *p)) {
			snprintf(why, whylen, "\"%s\" is not a valid "
			    "authserv-id (character '%c' not allowed; use a "
			    "host name)", value, *p >= 0x7f ? '?' : *p);
			return false;
		}
	}
	return true;
}

/* node_exporter's textfile collector reads only files named *.prom. */
static bool
check_prom_file(const char *value, char *why, size_t whylen)
{
	size_t len = strlen(value);

	if (len > 5 && strcmp(value + len - 5, ".prom") == 0 &&
	    value[len - 6] != '/')
		return true;
	snprintf(why, whylen, "\"%s\" does not end in \".prom\"; "
	    "node_exporter's textfile collector reads only *.prom files",
	    value);
	return false;
}

/* ISO 3166 country code: two ASCII capital letters. */
static bool
check_country(const char *value, char *why, size_t whylen)
{
	if (strlen(value) == 2 && value[0] >= 'A' && value[0] <= 'Z' &&
	    value[1] >= 'A' && value[1] <= 'Z')
		return true;
	snprintf(why, whylen, "\"%s\" is not a two-letter country code "
	    "such as \"JP\"", value);
	return false;
}

/* User names and URLs: no white space. */
static bool
check_no_space(const char *value, char *why, size_t whylen)
{
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			snprintf(why, whylen, "\"%s\" contains white space "
			    "or a control character", value);
			return false;
		}
	}
	return true;
}

/*
 * A bare local@domain address handed to sendmail(1) as an argument: no
 * white space, controls, angle brackets or leading '-' (not an option).
 */
static bool
check_mailbox(const char *value, char *why, size_t whylen)
{
	const char *at = strchr(value, '@');

	if (!check_no_space(value, why, whylen))
		return false;
	if (value[0] == '-' || at == NULL || at == value || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strpbrk(value, "<>,;\"\\") !=
	    NULL) {
		snprintf(why, whylen, "\"%s\" is not a bare address of the "
		    "form local@domain", value);
		return false;
	}
	return true;
}

/* Look a word up in a row's list; NULL when it is not there. */
static const struct conf_word *
conf_find_word(const struct conf_row *row, const char *text)
{
	const struct conf_word *w;

	for (w = row->cr_words; w != NULL && w->cw_name != NULL; w++)
		if (strcmp(w->cw_name, text) == 0)
			return w;
	return NULL;
}

/* Report text as not one of the row's words, listing the valid ones. */
static bool
conf_bad_word(struct conf_ctx *ctx, const config_setting_t *where,
    const struct conf_row *row, const char *text)
{
	char list[256] = "";
	const struct conf_word *w;
	size_t used;

	for (w = row->cr_words; w->cw_name != NULL; w++) {
		used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s",
		    used > 0 ? ", " : "", w->cw_name);
	}
	conf_error(ctx, where, row->cr_name, "\"%s\" is not one of: %s",
	    text, list);
	return false;
}

/*
 * Parse a byte count: decimal digits with an optional K, M or G suffix
 * (powers of 1024).  False when text is not such a number.
 */
static bool
conf_parse_size(const char *text, unsigned long long *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0)
		return false;
	switch (*end) {
	case 'k': case 'K':
		mult = KIB, end++;
		break;
	case 'm': case 'M':
		mult = MIB, end++;
		break;
	case 'g': case 'G':
		mult = GIB, end++;
		break;
	default:
		break;
	}
	if (*end != '\0' || (v != 0 && mult > ULLONG_MAX / v))
		return false;
	*out = v * mult;
	return true;
}

/* Store a number into a CT_UINT or CT_SIZE row after the bounds check. */
static bool
conf_store_number(struct conf_ctx *ctx, const config_setting_t *where,
    const struct conf_row *row, long long value, struct smime_conf *conf)
{
	unsigned char *base = (unsigned char *)conf;

	if (value < 0 || (unsigned long long)value < row->cr_min ||
	    (unsigned long long)value > row->cr_max) {
		conf_error(ctx, where, row->cr_name, "%lld is out of range "
		    "(%llu..%llu)", value, row->cr_min, row->cr_max);
		return false;
	}
	if (row->cr_type == CT_UINT)
		*(unsigned int *)(base + row->cr_off) = (unsigned int)value;
	else
		*(size_t *)(base + row->cr_off) = (size_t)value;
	return true;
}

/*
 * Convert the text form of a value (from the file or the row's default)
 * into conf.  where is the setting for messages, NULL for defaults.
 */
static bool
conf_apply_text(struct conf_ctx *ctx, const config_setting_t *where,
    const struct conf_row *row, const char *text, struct smime_conf *conf)
{
	unsigned char *base = (unsigned char *)conf;
	const struct conf_word *w = NULL;
	unsigned long long num;
	char why[512], *copy = NULL;

	if (text[0] == '\0' && row->cr_type != CT_BOOL) {
		conf_error(ctx, where, row->cr_name, "must not be empty");
		return false;
	}
	if (row->cr_words != NULL && (w = conf_find_word(row, text)) == NULL)
		return conf_bad_word(ctx, where, row, text);
	if (row->cr_check != NULL && !row->cr_check(text, why, sizeof(why))) {
		conf_error(ctx, where, row->cr_name, "%s", why);
		return false;
	}
	switch (row->cr_type) {
	case CT_STRING:
	case CT_WORD:
	case CT_PATH:
		/* The one path with a symbolic value (smime-milter.conf(5)). */
		if (strcmp(row->cr_name, "verify.trust_anchors") == 0 &&
		    strcmp(text, "system") == 0)
			copy = strdup(CONF_SYSTEM_TRUST);
		else
			copy = row->cr_type == CT_PATH ?
			    conf_resolve_path(ctx, text) : strdup(text);
		if (copy == NULL)
			return conf_oom(ctx, where, row->cr_name);
		free(*(char **)(base + row->cr_off));
		*(char **)(base + row->cr_off) = copy;
		return true;
	case CT_BOOL:
		*(bool *)(base + row->cr_off) = strcmp(text, "true") == 0;
		return true;
	case CT_ACTION:
		*(enum conf_action *)(base + row->cr_off) = w->cw_value;
		return true;
	case CT_LEVEL:
		*(int *)(base + row->cr_off) = w->cw_value;
		return true;
	case CT_UINT:
	case CT_SIZE:
		if (!conf_parse_size(text, &num) || num > LLONG_MAX ||
		    (row->cr_type == CT_UINT && strspn(text, "0123456789") !=
		    strlen(text))) {
			conf_error(ctx, where, row->cr_name, "\"%s\" is not %s",
			    text, row->cr_type == CT_UINT ? "a number" :
			    "a byte count such as 65536 or \"64K\"");
			return false;
		}
		return conf_store_number(ctx, where, row, (long long)num, conf);
	default:
		conf_error(ctx, where, row->cr_name, "internal error: row type");
		return false;
	}
}

/* Complain that setting has the wrong type; returns false. */
static bool
conf_wrong_type(struct conf_ctx *ctx, const config_setting_t *setting,
    const char *key, const char *expected)
{
	conf_error(ctx, setting, key, "expected %s, found %s", expected,
	    conf_type_name(config_setting_type(setting)));
	return false;
}

/* CT_PATHS: one string or an array/list of strings, all made absolute. */
static bool
conf_apply_paths(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf)
{
	unsigned char *base = (unsigned char *)conf;
	char ***vec = (char ***)(base + row->cr_off);
	size_t *count = (size_t *)(base + row->cr_count_off);
	const config_setting_t *elem;
	const char *text;
	int n, i;

	if (config_setting_type(setting) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_aggregate(setting) &&
	    !config_setting_is_group(setting))
		n = config_setting_length(setting);
	else
		return conf_wrong_type(ctx, setting, row->cr_name,
		    "a path or a list of paths");
	if ((*vec = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return conf_oom(ctx, setting, row->cr_name);
	for (i = 0; i < n; i++) {
		elem = n == 1 && config_setting_type(setting) ==
		    CONFIG_TYPE_STRING ? setting :
		    config_setting_get_elem(setting, (unsigned int)i);
		if (config_setting_type(elem) != CONFIG_TYPE_STRING)
			return conf_wrong_type(ctx, elem, row->cr_name,
			    "a path (string)");
		text = config_setting_get_string(elem);
		if (text[0] == '\0') {
			conf_error(ctx, elem, row->cr_name,
			    "must not be empty");
			return false;
		}
		if (((*vec)[i] = conf_resolve_path(ctx, text)) == NULL)
			return conf_oom(ctx, elem, row->cr_name);
		*count = (size_t)i + 1;
	}
	return true;
}

/* Convert one row from setting (NULL: absent) into conf. */
static bool
conf_apply_row(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf)
{
	unsigned char *base = (unsigned char *)conf;
	int type;

	if (row->cr_type == CT_SPECIAL)
		return row->cr_apply(ctx, row, setting, conf);
	if (setting == NULL) {
		if (row->cr_flags & CR_REQUIRED) {
			conf_error(ctx, NULL, row->cr_name,
			    "required setting is missing");
			return false;
		}
		return row->cr_default == NULL ? true :
		    conf_apply_text(ctx, NULL, row, row->cr_default, conf);
	}
	type = config_setting_type(setting);
	switch (row->cr_type) {
	case CT_GROUP:
		return true;	/* checked by conf_check_keys() */
	case CT_PATHS:
		return conf_apply_paths(ctx, row, setting, conf);
	case CT_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return conf_wrong_type(ctx, setting, row->cr_name,
			    "a boolean (true or false)");
		*(bool *)(base + row->cr_off) =
		    config_setting_get_bool(setting) != 0;
		return true;
	case CT_UINT:
	case CT_SIZE:
		if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
			return conf_store_number(ctx, setting, row,
			    config_setting_get_int64(setting), conf);
		if (type != CONFIG_TYPE_STRING || row->cr_type == CT_UINT)
			return conf_wrong_type(ctx, setting, row->cr_name,
			    row->cr_type == CT_UINT ? "an integer" :
			    "an integer or a string such as \"64K\"");
		break;
	default:
		if (type != CONFIG_TYPE_STRING)
			return conf_wrong_type(ctx, setting, row->cr_name,
			    "a string");
		break;
	}
	return conf_apply_text(ctx, setting, row,
	    config_setting_get_string(setting), conf);
}

/* Find the row for a full setting name; NULL when unknown. */
static const struct conf_row *
conf_find_row(const char *name)
{
	size_t i;

	for (i = 0; i < conf_nrows; i++)
		if (strcmp(conf_rows[i].cr_name, name) == 0)
			return &conf_rows[i];
	return NULL;
}

/*
 * Reject unknown settings and non-group values where a group belongs,
 * recursing into groups.  prefix is "" at the top.
 */
static bool
conf_check_keys(struct conf_ctx *ctx, const config_setting_t *group,
    const char *prefix)
{
	const config_setting_t *child;
	const struct conf_row *row;
	char full[256];
	int i, n;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		child = config_setting_get_elem(group, (unsigned int)i);
		snprintf(full, sizeof(full), "%s%s%s", prefix,
		    prefix[0] != '\0' ? "." : "", config_setting_name(child));
		if ((row = conf_find_row(full)) == NULL) {
			conf_error(ctx, child, full, "unknown setting");
			return false;
		}
		if (row->cr_type != CT_GROUP)
			continue;
		if (!config_setting_is_group(child))
			return conf_wrong_type(ctx, child, full,
			    "a group { ... }");
		if (!conf_check_keys(ctx, child, full))
			return false;
	}
	return true;
}

/* Fail unless path exists; stat() only, the owner of the file opens it. */
static bool
conf_check_exists(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, const char *path, bool want_dir)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		conf_error(ctx, where, key, "%s: %s", path, strerror(errno));
		return false;
	}
	if (want_dir && !S_ISDIR(st.st_mode)) {
		conf_error(ctx, where, key, "%s: not a directory", path);
		return false;
	}
	return true;
}

/* Fill authserv_id from the host name; tmpdir from $TMPDIR or /tmp. */
static bool
conf_apply_host_defaults(struct conf_ctx *ctx, const config_t *cfg,
    struct smime_conf *conf)
{
	char host[256];
	const char *tmp;

	if (conf->cf_authserv_id == NULL) {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0') {
			if (conf->cf_mode_verify) {
				conf_error(ctx, config_lookup(cfg, "mode"),
				    "authserv_id", "not set and the host "
				    "name is unknown; set it");
				return false;
			}
			snprintf(host, sizeof(host), "localhost");
		}
		host[sizeof(host) - 1] = '\0';
		if ((conf->cf_authserv_id = strdup(host)) == NULL)
			return conf_oom(ctx, NULL, "authserv_id");
	}
	if (conf->cf_tmpdir == NULL) {
		tmp = getenv("TMPDIR");
		if (tmp == NULL || tmp[0] != '/')
			tmp = "/tmp";
		if ((conf->cf_tmpdir = strdup(tmp)) == NULL)
			return conf_oom(ctx, NULL, "tmpdir");
	}
	return true;
}

/*
 * Checks across settings and against the file system: trust anchors are
 * needed to verify, configured files must exist, the spool dir must be a
 * directory.
 */
static bool
conf_check_semantics(struct conf_ctx *ctx, const config_t *cfg,
    struct smime_conf *conf)
{
	const config_setting_t *where, *elem;
	size_t i;

	if (!conf_apply_host_defaults(ctx, cfg, conf))
		return false;
	if (conf->cf_mode_verify && conf->cf_verify_trust_anchors == NULL) {
		where = config_lookup(cfg, "verify");
		if (where == NULL)
			where = config_lookup(cfg, "mode");
		conf_error(ctx, where, "verify.trust_anchors", "required "
		    "setting is missing (mode includes \"v\", verification)");
		return false;
	}
	if (!conf_check_exists(ctx, config_lookup(cfg, "tmpdir"), "tmpdir",
	    conf->cf_tmpdir, true))
		return false;
	if (conf->cf_verify_trust_anchors != NULL &&
	    strcmp(conf->cf_verify_trust_anchors, CONF_SYSTEM_TRUST) == 0 &&
	    access(CONF_SYSTEM_TRUST, R_OK) != 0) {
		conf_error(ctx, config_lookup(cfg, "verify.trust_anchors"),
		    "verify.trust_anchors", "\"system\": %s: %s (run "
		    "smime-enroll trust-update)", CONF_SYSTEM_TRUST,
		    strerror(errno));
		return false;
	}
	if (conf->cf_verify_trust_anchors != NULL && !conf_check_exists(ctx,
	    config_lookup(cfg, "verify.trust_anchors"), "verify.trust_anchors",
	    conf->cf_verify_trust_anchors, false))
		return false;
	if (conf->cf_verify_crl_cache_dir != NULL && !conf_check_exists(ctx,
	    config_lookup(cfg, "verify.crl_cache_dir"), "verify.crl_cache_dir",
	    conf->cf_verify_crl_cache_dir, true))
		return false;
	if (conf->cf_verify_intermediates != NULL && !conf_check_exists(ctx,
	    config_lookup(cfg, "verify.intermediates"),
	    "verify.intermediates", conf->cf_verify_intermediates, false))
		return false;
	if (conf->cf_sign_crl != NULL && !conf_check_exists(ctx,
	    config_lookup(cfg, "sign.crl"), "sign.crl", conf->cf_sign_crl,
	    false))
		return false;
	where = config_lookup(cfg, "verify.crl");
	for (i = 0; i < conf->cf_verify_ncrls; i++) {
		elem = config_setting_type(where) == CONFIG_TYPE_STRING ?
		    where : config_setting_get_elem(where, (unsigned int)i);
		if (!conf_check_exists(ctx, elem, "verify.crl",
		    conf->cf_verify_crls[i], false))
			return false;
	}
	if (conf->cf_mode_sign && conf->cf_nidentities == 0 &&
	    conf->cf_sign_store == NULL)
		conf_warning(ctx, config_lookup(cfg, "mode"), "sign",
		    "signing is enabled but neither sign.identities nor "
		    "sign.store is set; no mail will be signed");
	return true;
}

/*
 * StrictModes check of one configured file (NULL or missing: fine).  The
 * files the daemon reads may belong to its user; the configuration file
 * itself may not (root runs its reload_command).
 */
static bool
conf_check_file_mode(struct conf_ctx *ctx, const config_t *cfg,
    const char *key, const char *path, bool want_dir,
    const struct smime_conf *conf)
{
	struct smime_fs_policy pol = { .fp_strict = true };
	struct smime_err err;
	struct passwd *pw;
	bool missing;

	if (conf != NULL && conf->cf_user != NULL &&
	    (pw = getpwnam(conf->cf_user)) != NULL) {
		pol.fp_has_user = true;
		pol.fp_user = pw->pw_uid;
	}

	if (path == NULL || smime_p11_is_uri(path) ||
	    smime_fs_check_path(&pol, path, want_dir,
	    &missing, &err) == SMIME_OK)
		return true;
	conf_error(ctx, cfg != NULL ? config_lookup(cfg, key) : NULL, key,
	    "%s", smime_err_get0(&err));
	return false;
}

/*
 * strict_modes: the configuration file and the files it names must not
 * be reachable through a link of somebody else's, nor writable by anyone
 * but root or us, nor lie in a directory that is (smime/safefs.h).
 */
static bool
conf_check_modes(struct conf_ctx *ctx, const config_t *cfg,
    const struct smime_conf *conf)
{
	const struct conf_identity *ci;
	size_t i;

	if (!conf->cf_strict_modes)
		return true;
	if (!conf_check_file_mode(ctx, NULL, "configuration file",
	    conf->cf_path, false, NULL) ||
	    !conf_check_file_mode(ctx, cfg, "verify.trust_anchors",
	    conf->cf_verify_trust_anchors, false, conf) ||
	    !conf_check_file_mode(ctx, cfg, "verify.intermediates",
	    conf->cf_verify_intermediates, false, conf) ||
	    !conf_check_file_mode(ctx, cfg, "sign.crl", conf->cf_sign_crl,
	    false, conf) ||
	    !conf_check_file_mode(ctx, cfg, "sign.destinations_file",
	    conf->cf_sign_destinations_file, false, conf) ||
	    !conf_check_file_mode(ctx, cfg, "enroll.cmp_trusted",
	    conf->cf_enroll_cmp_trusted, false, conf) ||
	    !conf_check_file_mode(ctx, cfg, "enroll.intermediates",
	    conf->cf_enroll_intermediates, false, conf))
		return false;
	for (i = 0; i < conf->cf_verify_ncrls; i++)
		if (!conf_check_file_mode(ctx, cfg, "verify.crl",
		    conf->cf_verify_crls[i], false, conf))
			return false;
	for (i = 0; i < conf->cf_nidentities; i++) {
		ci = &conf->cf_identities[i];
		if (!conf_check_file_mode(ctx, cfg, "sign.identities",
		    ci->ci_cert, false, conf) || !conf_check_file_mode(ctx, cfg,
		    "sign.identities", ci->ci_key, false, conf) ||
		    !conf_check_file_mode(ctx, cfg, "sign.identities",
		    ci->ci_chain, false, conf))
			return false;
	}
	return true;
}

/* Read the file with libconfig; syntax errors carry libconfig's line. */
static bool
conf_read(struct conf_ctx *ctx, config_t *cfg)
{
	FILE *fp;

	/* libconfig only says "file I/O error"; fopen() tells why. */
	if ((fp = fopen(ctx->cx_path, "r")) == NULL) {
		snprintf(ctx->cx_errbuf, ctx->cx_errlen, "%s: %s",
		    ctx->cx_path, strerror(errno));
		ctx->cx_failed = true;
		return false;
	}
	fclose(fp);
	config_set_include_dir(cfg, ctx->cx_dir);
	if (config_read_file(cfg, ctx->cx_path) != CONFIG_TRUE) {
		snprintf(ctx->cx_errbuf, ctx->cx_errlen, "%s:%d: %s",
		    config_error_file(cfg) != NULL ? config_error_file(cfg) :
		    ctx->cx_path, config_error_line(cfg),
		    config_error_text(cfg));
		ctx->cx_failed = true;
		return false;
	}
	return true;
}

/* Absolute form of path (not resolving symlinks); caller frees. */
static char *
conf_absolute(const char *path)
{
	char cwd[PATH_MAX], *abs;
	size_t len;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	len = strlen(cwd) + strlen(path) + 2;
	if ((abs = malloc(len)) != NULL)
		snprintf(abs, len, "%s/%s", cwd, path);
	return abs;
}

struct smime_conf *
conf_load(const char *path, char *errbuf, size_t errlen,
    conf_warn_fn *warn, void *warnarg)
{
	struct smime_conf *conf = NULL, *ret = NULL;
	struct conf_ctx ctx;
	config_t cfg;
	bool cfg_used = false;
	char *slash;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cx_errbuf = errbuf;
	ctx.cx_errlen = errlen;
	ctx.cx_warn = warn;
	ctx.cx_warnarg = warnarg;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if ((conf = calloc(1, sizeof(*conf))) == NULL ||
	    (conf->cf_path = conf_absolute(path)) == NULL ||
	    (ctx.cx_dir = strdup(conf->cf_path)) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	ctx.cx_path = conf->cf_path;
	slash = strrchr(ctx.cx_dir, '/');
	slash[slash == ctx.cx_dir ? 1 : 0] = '\0';

	config_init(&cfg);
	cfg_used = true;
	if (!conf_read(&ctx, &cfg))
		goto out;
	if (!conf_check_keys(&ctx, config_root_setting(&cfg), ""))
		goto out;
	for (i = 0; i < conf_nrows; i++) {
		if (!conf_apply_row(&ctx, &conf_rows[i],
		    config_lookup(&cfg, conf_rows[i].cr_name), conf))
			goto out;
	}
	if (!conf_check_semantics(&ctx, &cfg, conf) ||
	    !conf_check_modes(&ctx, &cfg, conf))
		goto out;
	ret = conf;
	conf = NULL;
out:
	if (cfg_used)
		config_destroy(&cfg);
	conf_free(conf);
	free(ctx.cx_dir);
	return ret;
}

void
conf_free(struct smime_conf *conf)
{
	const struct conf_row *row;
	unsigned char *base = (unsigned char *)conf;
	char **vec;
	size_t i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf_nrows; i++) {
		row = &conf_rows[i];
		switch (row->cr_type) {
		case CT_STRING:
		case CT_PATH:
		case CT_WORD:
			free(*(char **)(base + row->cr_off));
			break;
		case CT_PATHS:
			vec = *(char ***)(base + row->cr_off);
			for (; vec != NULL && *vec != NULL; vec++)
				free(*vec);
			free(*(char ***)(base + row->cr_off));
			break;
		case CT_SPECIAL:
			if (row->cr_free != NULL)
				row->cr_free(row, conf);
			break;
		default:
			break;
		}
	}
	free(conf->cf_path);
	free(conf);
}

bool
conf_parse_action(const char *text, enum conf_action *action)
{
	const struct conf_word *w;

	for (w = words_on_error; w->cw_name != NULL; w++) {
		if (strcasecmp(w->cw_name, text) == 0) {
			*action = (enum conf_action)w->cw_value;
			return true;
		}
	}
	return false;
}

const char *
conf_action_name(enum conf_action action)
{
	const struct conf_word *w;

	for (w = words_on_error; w->cw_name != NULL; w++)
		if (w->cw_value == (int)action)
			return w->cw_name;
	return "unknown";
}
