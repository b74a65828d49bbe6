/*
 * smime-milter.c - option parsing and start-up of the daemon, the config
 * check (-n, -T) and test mode (-t).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <openssl/crypto.h>

#include "config.h"
#include "milter/daemon.h"
#include "milter/health.h"
#include "milter/metrics.h"
#include "milter/ops.h"
#include "milter/smf.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define SMF_DEFAULT_CONF SYSCONFDIR "/smime-milter.conf"

struct smf_options {
	const char		*opt_conf;	/* as given, for messages */
	char			 opt_conf_abs[PATH_MAX];	/* to load */
	const char		*opt_socket;
	bool			 opt_check;
	bool			 opt_print;
	bool			 opt_foreground;
	bool			 opt_health;	/* --health */
	struct smf_testargs	 opt_test;
	time_t			 opt_at;	/* -D: verify as of; 0: now */
};

static void
smf_usage(FILE *out)
{
	fprintf(out,
	    "usage: %s [-fnTV] [-c file] [-p socket]\n"
	    "       %s [-c file] [-p socket] --health\n"
	    "       %s [-c file] -t msgfile [-A authuser] [-C clientaddr] "
	    "[-F envfrom] [-R rcpt]... [-D time]\n"
	    "  -c file    configuration file (default %s)\n"
	    "  -n         check the configuration, keys included, and exit\n"
	    "  -T         print the effective configuration and exit\n"
	    "  --health   check the running daemon (milter protocol, "
	    "identities,\n"
	    "             temp-failures); exit 0 when healthy, else 1\n"
	    "  -f         stay in the foreground and log to stderr too\n"
	    "  -p socket  listen here instead of the configured socket\n"
	    "  -t file    run one message (- for stdin) through the filter "
	    "and print it\n"
	    "  -A -C -F -R  SMTP AUTH login, client address, envelope "
	    "sender, recipient\n"
	    "             (-R again for each further recipient) for -t\n"
	    "  -D time    with -t, verify as of time (YYYY-MM-DD[THH:MM:SSZ] "
	    "or seconds since 1970)\n"
	    "  -V         print the version\n", SMF_PROGNAME, SMF_PROGNAME,
	    SMF_PROGNAME, SMF_DEFAULT_CONF);
}

/*
 * Make path absolute against the current directory into buf (not
 * resolving symlinks): the daemon changes to / when it detaches, and a
 * SIGHUP reload must find the same file.  False with errno on failure.
 */
static bool
smf_absolute(const char *path, char *buf, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(buf, len, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	else
		n = snprintf(buf, len, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return false;
	}
	return true;
}

/*
 * Parse a -D time (UTC): seconds since 1970, YYYY-MM-DD (midnight) or
 * YYYY-MM-DDTHH:MM:SS[Z].  False when it is none of them.
 */
static bool
smf_parse_time(const char *text, time_t *out)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d"
	};
	struct tm tm;
	const char *end;
	char *num_end;
	long long secs;
	size_t i;

	if (text[0] >= '0' && text[0] <= '9' && strchr(text, '-') == NULL) {
		secs = strtoll(text, &num_end, 10);
		if (*num_end != '\0' || secs <= 0)
			return false;
		*out = (time_t)secs;
		return true;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(text, formats[i], &tm)) != NULL &&
		    *end == '\0') {
			*out = timegm(&tm);
			return *out > 0;
		}
	}
	return false;
}

/* Parse argv; returns -1 to exit with the code in *exitcode. */
static int
smf_parse_options(int argc, char **argv, struct smf_options *opt,
    int *exitcode)
{
	static const struct option longopts[] = {
		{ "health", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->opt_conf = SMF_DEFAULT_CONF;
	while ((c = getopt_long(argc, argv, "A:c:C:D:fF:hnp:R:t:TV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'H': opt->opt_health = true; break;
		case 'A': opt->opt_test.ta_authuser = optarg; break;
		case 'c': opt->opt_conf = optarg; break;
		case 'C': opt->opt_test.ta_client_addr = optarg; break;
		case 'D':
			if (!smf_parse_time(optarg, &opt->opt_at)) {
				fprintf(stderr, "%s: -D %s: not a time "
				    "(YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or "
				    "seconds)\n", SMF_PROGNAME, optarg);
				*exitcode = SMF_EX_USAGE;
				return -1;
			}
			break;
		case 'f': opt->opt_foreground = true; break;
		case 'F': opt->opt_test.ta_envfrom = optarg; break;
		case 'n': opt->opt_check = true; break;
		case 'p': opt->opt_socket = optarg; break;
		case 'R':
			if (opt->opt_test.ta_nrcpts == SMF_TM_MAX_RCPTS) {
				fprintf(stderr, "%s: at most %d -R\n",
				    SMF_PROGNAME, SMF_TM_MAX_RCPTS);
				*exitcode = SMF_EX_USAGE;
				return -1;
			}
			opt->opt_test.ta_rcpts[opt->opt_test.ta_nrcpts++] =
			    optarg;
			break;
		case 't': opt->opt_test.ta_msgfile = optarg; break;
		case 'T': opt->opt_print = true; break;
		case 'V':
			printf("%s %s (%s)\n", SMF_PROGNAME, PACKAGE_VERSION,
			    OpenSSL_version(OPENSSL_VERSION));
			*exitcode = SMF_EX_OK;
			return -1;
		case 'h':
			smf_usage(stdout);
			*exitcode = SMF_EX_OK;
			return -1;
		default:
			smf_usage(stderr);
			*exitcode = SMF_EX_USAGE;
			return -1;
		}
	}
	if (optind != argc ||
	    (opt->opt_at != 0 && opt->opt_test.ta_msgfile == NULL)) {
		smf_usage(stderr);
		*exitcode = SMF_EX_USAGE;
		return -1;
	}
	if (!smf_absolute(opt->opt_conf, opt->opt_conf_abs,
	    sizeof(opt->opt_conf_abs))) {
		fprintf(stderr, "%s: %s: %s\n", SMF_PROGNAME, opt->opt_conf,
		    strerror(errno));
		*exitcode = SMF_EX_CONFIG;
		return -1;
	}
	return 0;
}

/* The unix socket path of a spec, or NULL for inet sockets. */
static const char *
smf_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* Open the socket, detach, write the pid file, drop root, serve. */
static int
smf_daemon_main(const struct smf_options *opt, struct smf_runtime *rt)
{
	const struct smime_conf *conf = rt->rt_conf;
	const char *spec = opt->opt_socket != NULL ? opt->opt_socket :
	    conf->cf_socket;
	const char *unix_path = smf_unix_path(spec);
	char errbuf[512];
	bool wrote_pid = false;
	int ret = SMF_EX_OSERR;

	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smf_callbacks_register() != 0) {
		smf_log(LOG_ERR, NULL, "cannot set up milter socket %s", spec);
		return SMF_EX_SOFTWARE;
	}
	/* MTA and milter share a group; others get nothing. */
	umask(007);
	if (smfi_opensocket(true) != MI_SUCCESS) {
		smf_log(LOG_ERR, NULL, "cannot listen on %s", spec);
		return SMF_EX_OSERR;
	}
	smf_health_set_socket(spec);
	if (conf->cf_metrics_listen != NULL && smf_httpd_bind(
	    conf->cf_metrics_listen, errbuf, sizeof(errbuf)) != 0) {
		smf_log(LOG_ERR, NULL, "%s", errbuf);
		goto out;
	}
	if (!opt->opt_foreground && smf_daemonize() != 0) {
		smf_log(LOG_ERR, NULL, "cannot detach: %s", strerror(errno));
		goto out;
	}
	if (conf->cf_pidfile != NULL && smf_pidfile_write(conf->cf_pidfile,
	    conf->cf_user, errbuf, sizeof(errbuf)) != 0) {
		smf_log(LOG_ERR, NULL, "%s", errbuf);
		goto out;
	}
	wrote_pid = conf->cf_pidfile != NULL;
	if (smf_drop_privileges(conf->cf_user, unix_path, errbuf,
	    sizeof(errbuf)) != 0) {
		smf_log(LOG_ERR, NULL, "%s", errbuf);
		goto out;
	}
	if (conf->cf_metrics_listen != NULL)
		smf_log(LOG_INFO, NULL, "metrics and health on http %s "
		    "(/metrics, /healthz)", conf->cf_metrics_listen);
	smf_log(LOG_INFO, NULL, "%s %s listening on %s as uid %ld "
	    "(%zu signing identities, mode %s%s)", SMF_PROGNAME,
	    PACKAGE_VERSION, spec, (long)getuid(),
	    smime_idstore_count(rt->rt_ids), conf->cf_mode_sign ? "s" : "",
	    conf->cf_mode_verify ? "v" : "");
	ret = smf_run(opt->opt_conf_abs) == 0 ? SMF_EX_OK : SMF_EX_SOFTWARE;
out:
	smf_httpd_stop();
	if (unix_path != NULL)
		(void)unlink(unix_path);
	if (wrote_pid)
		smf_pidfile_remove(conf->cf_pidfile);
	smf_log(LOG_INFO, NULL, "stopped");
	return ret;
}

int
main(int argc, char **argv)
{
	struct smf_options opt;
	struct smf_runtime *rt = NULL;
	char errbuf[4096];
	int exitcode = SMF_EX_OK;

	if (smf_parse_options(argc, argv, &opt, &exitcode) != 0)
		return exitcode;
	if (opt.opt_health)
		return smf_health_main(opt.opt_conf_abs, opt.opt_socket);
	smf_metrics_init();
	smf_log_open(opt.opt_foreground || opt.opt_check || opt.opt_print ||
	    opt.opt_test.ta_msgfile != NULL);
	if ((rt = smf_runtime_load_at(opt.opt_conf_abs, opt.opt_at, errbuf,
	    sizeof(errbuf))) == NULL) {
		fprintf(stderr, "%s: %s\n", SMF_PROGNAME, errbuf);
		if (!opt.opt_foreground && !opt.opt_check)
			syslog(LOG_ERR, "%s", errbuf);
		return SMF_EX_CONFIG;
	}
	smf_log_set_level(rt->rt_conf->cf_log_level);
	if (opt.opt_check) {
		printf("%s: configuration OK (%zu signing identities)\n",
		    opt.opt_conf, smime_idstore_count(rt->rt_ids));
	} else if (opt.opt_print) {
		conf_print(rt->rt_conf, stdout);
	} else if (opt.opt_test.ta_msgfile != NULL) {
		exitcode = smf_testmode_run(rt, &opt.opt_test);
	} else {
		smf_runtime_publish(rt);
		rt = smf_runtime_acquire();
		exitcode = smf_daemon_main(&opt, rt);
		smf_runtime_retire();
	}
	smf_runtime_release(rt);
	return exitcode;
}
