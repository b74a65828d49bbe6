/*
 * smime-enroll - keys, UTF-8 CSRs, CMP enrollment, renewal, revocation
 * and import of candidates' S/MIME certificates into smime-milter's
 * store.  This file parses the command line and dispatches; see
 * enroll-local.c and enroll-cmp.c for the commands, smime/ for the work.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/enroll.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define ENR_DEFAULT_CONF SYSCONFDIR "/smime-milter.conf"

enum {
	OPT_DRY_RUN = 256, OPT_FORCE, OPT_JSON, OPT_ALL, OPT_REUSE_KEY,
	OPT_DN_EMAIL, OPT_TYPE, OPT_OUT, OPT_PASS, OPT_SERVER, OPT_REF,
	OPT_SECRET, OPT_CERT, OPT_KEY, OPT_RECIPIENT, OPT_TRUSTED, OPT_REASON,
	OPT_NEWKEY, OPT_WITHIN, OPT_DAYS, OPT_PREVIOUS, OPT_TLS_TRUSTED,
	OPT_TLS_CERT, OPT_TLS_KEY, OPT_CN, OPT_O, OPT_OU, OPT_L, OPT_ST, OPT_C,
	OPT_MODULE, OPT_NSSDB, OPT_PKCS11
};

static const struct option enr_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "reuse-key", no_argument, NULL, OPT_REUSE_KEY },
	{ "dn-email", no_argument, NULL, OPT_DN_EMAIL },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "pass", required_argument, NULL, OPT_PASS },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "recipient", required_argument, NULL, OPT_RECIPIENT },
	{ "trusted", required_argument, NULL, OPT_TRUSTED },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "newkey", required_argument, NULL, OPT_NEWKEY },
	{ "within", required_argument, NULL, OPT_WITHIN },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "previous", no_argument, NULL, OPT_PREVIOUS },
	{ "tls-trusted", required_argument, NULL, OPT_TLS_TRUSTED },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "cn", required_argument, NULL, OPT_CN },
	{ "o", required_argument, NULL, OPT_O },
	{ "ou", required_argument, NULL, OPT_OU },
	{ "l", required_argument, NULL, OPT_L },
	{ "st", required_argument, NULL, OPT_ST },
	{ "c", required_argument, NULL, OPT_C },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "nssdb", required_argument, NULL, OPT_NSSDB },
	{ "pkcs11", required_argument, NULL, OPT_PKCS11 },
	{ NULL, 0, NULL, 0 }
};

/* The commands and how many positional arguments each takes. */
static const struct {
	const char	*cmd_name;
	int		 cmd_min, cmd_max;
} enr_commands[] = {
	{ "keygen", 1, 1 }, { "csr", 1, 1 }, { "import", 2, 2 },
	{ "enroll", 1, 1 }, { "renew", 0, 1 }, { "revoke", 1, 1 },
	{ "rollback", 1, 1 }, { "list", 0, 0 }, { "senders", 1, 1000 },
	{ "check", 0, 0 }, { "retitle", 1, 1 }, { "trust-update", 0, 0 },
};

static void
enr_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: smime-enroll [-c CONF] [--dry-run] COMMAND ...\n"
	    "  keygen ADDRESS [--type rsa:2048|rsa:3072|rsa:4096|ec:P-256|"
	    "ec:P-384] [--force]\n"
	    "         [--pkcs11 URI]\n"
	    "  csr ADDRESS --cn CN [--o O] [--ou OU] [--l L] [--st ST] "
	    "[--c C] [--dn-email] [--out FILE]\n"
	    "  import ADDRESS FILE [--pass env:VAR|file:PATH|stdin]\n"
	    "  enroll ADDRESS [--cn CN] [profile options] [--server URL]\n"
	    "         [--ref REF --secret SPEC | --cert FILE --key FILE] "
	    "[--recipient DN] [--trusted FILE]\n"
	    "         [--tls-trusted FILE] [--tls-cert FILE --tls-key FILE] "
	    "[--pkcs11 URI]\n"
	    "  renew [ADDRESS | --all] [--within DAYS] [--reuse-key | "
	    "--newkey FILE |\n"
	    "         --pkcs11 URI] [CMP options]\n"
	    "  revoke ADDRESS [--previous] --reason keyCompromise|"
	    "affiliationChanged|\n"
	    "         superseded|cessationOfOperation [CMP options]\n"
	    "  retitle ADDRESS --ou OU [profile options] [--reuse-key | "
	    "--newkey FILE |\n"
	    "         --pkcs11 URI]\n"
	    "         [CMP options]\n"
	    "  rollback ADDRESS\n"
	    "  senders ADDRESS [LOGIN...]\n"
	    "  list [--json]\n"
	    "  check [--days N]\n"
	    "  trust-update [--out FILE] [--module LIBNSSCKBI | --nssdb DIR]\n"
	    "See smime-enroll(8).\n");
}

/*
 * Report an unknown option or one without its value, showing only the
 * option name: the text after '=' may be a password.
 */
static void
enr_bad_option(const char *arg, bool missing)
{
	size_t n = strcspn(arg, "=");

	if (n > 64)
		n = 64;
	enr_error(NULL, "%s option \"%.*s\"%s", missing ? "missing value "
	    "for" : "unknown", (int)n, arg, arg[n] == '=' ? " (value not "
	    "shown)" : "");
}

/* Store one option; false on a bad value. */
static bool
enr_set_opt(struct enr_opts *o, int ch, char *arg)
{
	char *end;
	long days;

	switch (ch) {
	case 'c': o->eo_conf = arg; break;
	case OPT_DRY_RUN: o->eo_dry_run = true; break;
	case OPT_FORCE: o->eo_force = true; break;
	case OPT_JSON: o->eo_json = true; break;
	case OPT_ALL: o->eo_all = true; break;
	case OPT_REUSE_KEY: o->eo_reuse_key = true; break;
	case OPT_PREVIOUS: o->eo_previous = true; break;
	case OPT_DN_EMAIL: o->eo_dn_email = true; break;
	case OPT_TYPE: o->eo_type = arg; break;
	case OPT_OUT: o->eo_out = arg; break;
	case OPT_PASS: o->eo_pass = arg; break;
	case OPT_SERVER: o->eo_server = arg; break;
	case OPT_REF: o->eo_ref = arg; break;
	case OPT_SECRET: o->eo_secret = arg; break;
	case OPT_CERT: o->eo_cert = arg; break;
	case OPT_KEY: o->eo_key = arg; break;
	case OPT_RECIPIENT: o->eo_recipient = arg; break;
	case OPT_TRUSTED: o->eo_trusted = arg; break;
	case OPT_TLS_TRUSTED: o->eo_tls_trusted = arg; break;
	case OPT_TLS_CERT: o->eo_tls_cert = arg; break;
	case OPT_TLS_KEY: o->eo_tls_key = arg; break;
	case OPT_REASON: o->eo_reason = arg; break;
	case OPT_NEWKEY: o->eo_newkey = arg; break;
	case OPT_CN: o->eo_cn = arg; break;
	case OPT_O: o->eo_o = arg; break;
	case OPT_OU: o->eo_ou = arg; break;
	case OPT_L: o->eo_l = arg; break;
	case OPT_ST: o->eo_st = arg; break;
	case OPT_C: o->eo_c = arg; break;
	case OPT_MODULE: o->eo_module = arg; break;
	case OPT_NSSDB: o->eo_nssdb = arg; break;
	case OPT_PKCS11: o->eo_pkcs11 = arg; break;
	case OPT_WITHIN:
	case OPT_DAYS:
		errno = 0;
		days = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || end == arg || days < 0 ||
		    days > 36500) {
			enr_error(NULL, "--%s: \"%s\" is not a number of "
			    "days", ch == OPT_DAYS ? "days" : "within", arg);
			return false;
		}
		if (ch == OPT_DAYS)
			o->eo_days = days;
		else
			o->eo_within = days;
		break;
	default:
		return false;
	}
	return true;
}

/* Run command cmd with its positional args; exit code. */
static int
enr_dispatch(struct enr_ctx *ec, const char *cmd, char **args, int nargs)
{
	char address[320];
	int rc;

	if (nargs > 0 && strcmp(cmd, "list") != 0 &&
	    !enr_address(args[0], address, sizeof(address)))
		return ENR_EX_USAGE;
	if (strcmp(cmd, "renew") == 0 && (nargs == 0) != ec->ec_opts.eo_all) {
		enr_error(NULL, "renew takes an ADDRESS or --all");
		return ENR_EX_USAGE;
	}
	if (ec->ec_opts.eo_reuse_key && ec->ec_opts.eo_newkey != NULL) {
		enr_error(NULL, "--reuse-key and --newkey exclude each other");
		return ENR_EX_USAGE;
	}
	/* trust-update writes a system file and needs no configuration. */
	if (strcmp(cmd, "trust-update") == 0)
		return enr_cmd_trust_update(ec);
	/* check also serves configurations with only sign.identities */
	if ((rc = enr_load_conf(ec, strcmp(cmd, "check") != 0)) != ENR_EX_OK)
		return rc;
	if (strcmp(cmd, "keygen") == 0)
		rc = enr_cmd_keygen(ec, address);
	else if (strcmp(cmd, "csr") == 0)
		rc = enr_cmd_csr(ec, address);
	else if (strcmp(cmd, "import") == 0)
		rc = enr_cmd_import(ec, address, args[1]);
	else if (strcmp(cmd, "enroll") == 0)
		rc = enr_cmd_enroll(ec, address);
	else if (strcmp(cmd, "renew") == 0)
		rc = enr_cmd_renew(ec, nargs > 0 ? address : NULL);
	else if (strcmp(cmd, "revoke") == 0)
		rc = enr_cmd_revoke(ec, address);
	else if (strcmp(cmd, "rollback") == 0)
		rc = enr_cmd_rollback(ec, address);
	else if (strcmp(cmd, "senders") == 0)
		rc = enr_cmd_senders(ec, address, args + 1, nargs - 1);
	else if (strcmp(cmd, "check") == 0)
		rc = enr_cmd_check(ec);
	else if (strcmp(cmd, "retitle") == 0)
		rc = enr_cmd_retitle(ec, address);
	else
		rc = enr_cmd_list(ec);
	/* Reload even after a partial failure (renew --all) if we changed. */
	if (ec->ec_changed) {
		int nrc = enr_notify(ec);

		if (rc == ENR_EX_OK)
			rc = nrc;
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	struct enr_ctx ec;
	size_t i;
	int ch, rc = ENR_EX_USAGE, nargs;

	memset(&ec, 0, sizeof(ec));
	ec.ec_opts.eo_conf = ENR_DEFAULT_CONF;
	ec.ec_opts.eo_within = -1;
	ec.ec_opts.eo_days = -1;
	opterr = 0;	/* getopt would echo "--pass=SECRET" misspelt */
	while ((ch = getopt_long(argc, argv, "c:h", enr_longopts, NULL)) !=
	    -1) {
		if (ch == '?' || ch == ':') {
			enr_bad_option(argv[optind - 1], ch == ':');
			enr_usage(stderr);
			goto out;
		}
		if (ch == 'h') {
			enr_usage(stdout);
			rc = ENR_EX_OK;
			goto out;
		}
		if (!enr_set_opt(&ec.ec_opts, ch, optarg)) {
			enr_usage(stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		enr_usage(stderr);
		goto out;
	}
	nargs = argc - optind - 1;
	for (i = 0; i < sizeof(enr_commands) / sizeof(enr_commands[0]); i++)
		if (strcmp(argv[optind], enr_commands[i].cmd_name) == 0)
			break;
	if (i == sizeof(enr_commands) / sizeof(enr_commands[0])) {
		enr_error(NULL, "unknown command \"%s\"", argv[optind]);
		enr_usage(stderr);
		goto out;
	}
	if (nargs < enr_commands[i].cmd_min || nargs > enr_commands[i].cmd_max) {
		enr_error(NULL, "%s: wrong number of arguments", argv[optind]);
		enr_usage(stderr);
		goto out;
	}
	rc = enr_dispatch(&ec, argv[optind], argv + optind + 1, nargs);
out:
	conf_free(ec.ec_conf);
	return rc;
}
