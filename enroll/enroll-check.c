/*
 * enroll-check.c - smime-enroll check: which signing certificates expire
 * within N days.  Made for a daily timer: the exit status says whether
 * anything is due, stdout has one line per identity that is, and an
 * optional mail through sendmail(1) tells a person in time (a CA that
 * takes about 10 days to issue needs weeks of warning).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "enroll/enroll.h"
#include "smime/address.h"
#include "smime/credential.h"
#include "smime/import.h"

/* What one run found: the report text and how many lines it has. */
struct enr_check {
	FILE		*ck_fp;		/* open_memstream() on ck_text */
	char		*ck_text;
	size_t		 ck_len;
	size_t		 ck_due;	/* lines in ck_text */
	long		 ck_days;	/* report when days left <= this */
	time_t		 ck_now;	/* one instant for every identity */
};

/* Copy s into buf with control characters (CR, LF, ESC...) as '?'. */
static void
enr_check_clean(const char *s, char *buf, size_t buflen)
{
	size_t i;

	snprintf(buf, buflen, "%s", s);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
}

/* Add one line for cert of address (from origin) if it is due. */
static void
enr_check_cert(struct enr_check *ck, const char *address, X509 *cert,
    const char *origin)
{
	char when[32] = "?", cn[256], ou[256], text[256];
	char *serial = NULL;
	BIGNUM *bn;
	struct tm tm;
	long days;
	bool expired;

	if (!smime_cert_days_left(cert, ck->ck_now, &days, &expired)) {
		fprintf(ck->ck_fp, "%s: unreadable notAfter in %s\n", address,
		    origin);
		ck->ck_due++;
		return;
	}
	if (days > ck->ck_days && !expired)
		return;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) !=
	    NULL)
		serial = BN_bn2hex(bn);
	BN_free(bn);
	smime_name_get_text(X509_get_subject_name(cert), NID_commonName,
	    text, sizeof(text));
	enr_check_clean(text, cn, sizeof(cn));
	smime_name_get_text(X509_get_subject_name(cert),
	    NID_organizationalUnitName, text, sizeof(text));
	enr_check_clean(text, ou, sizeof(ou));
	if (expired)
		fprintf(ck->ck_fp, "%s: expired (%ld days), not after %s",
		    address, days, when);
	else
		fprintf(ck->ck_fp, "%s: expires in %ld days, not after %s",
		    address, days, when);
	fprintf(ck->ck_fp, ", serial %s, CN %s%s%s, %s\n",
	    serial != NULL ? serial : "?", cn[0] != '\0' ? cn : "-",
	    ou[0] != '\0' ? ", OU " : "", ou, origin);
	OPENSSL_free(serial);
	ck->ck_due++;
}

/* The hand-written sign.identities entries; pending ones are skipped. */
static void
enr_check_configured(struct enr_ctx *ec, struct enr_check *ck)
{
	const struct conf_identity *ci;
	STACK_OF(X509) *certs;
	char origin[1100];
	size_t i;

	for (i = 0; i < ec->ec_conf->cf_nidentities; i++) {
		ci = &ec->ec_conf->cf_identities[i];
		if (access(ci->ci_cert, F_OK) != 0 && errno == ENOENT)
			continue;	/* not enrolled yet */
		snprintf(origin, sizeof(origin), "%s:%d", ec->ec_conf->cf_path,
		    ci->ci_line);
		if ((certs = sk_X509_new_null()) == NULL ||
		    smime_credential_add_certs(NULL, ci->ci_cert, certs,
		    &ec->ec_err) != SMIME_OK || sk_X509_num(certs) == 0) {
			fprintf(ck->ck_fp, "%s: cannot read certificate %s, "
			    "%s\n", ci->ci_address, ci->ci_cert, origin);
			ck->ck_due++;
		} else
			enr_check_cert(ck, ci->ci_address,
			    sk_X509_value(certs, 0), origin);
		sk_X509_pop_free(certs, X509_free);
		ERR_clear_error();
	}
}

/* True when address has a sign.identities entry (which wins, as in the
 * daemon: smime_address_equal()). */
static bool
enr_check_is_configured(const struct smime_conf *cf, const char *address)
{
	size_t i;

	for (i = 0; i < cf->cf_nidentities; i++)
		if (smime_address_equal(cf->cf_identities[i].ci_address, address))
			return true;
	return false;
}

/*
 * Mail the report to cf_enroll_notify through cf_enroll_sendmail (no
 * shell; the address was checked by the configuration loader).  Exit
 * code: ENR_EX_OK or ENR_EX_FAIL.
 */
static int
enr_check_mail(struct enr_ctx *ec, const struct enr_check *ck)
{
	const struct smime_conf *cf = ec->ec_conf;
	struct sigaction ign, old;
	char date[64], host[256] = "localhost";
	const char *argv[4];
	FILE *fp = NULL;
	pid_t pid;
	int fds[2], status = -1, rc = ENR_EX_FAIL;
	struct tm tm;
	time_t now = time(NULL);

	argv[0] = cf->cf_enroll_sendmail;
	argv[1] = "-oi";
	argv[2] = cf->cf_enroll_notify;
	argv[3] = NULL;
	(void)gethostname(host, sizeof(host) - 1);
	if (localtime_r(&now, &tm) == NULL || strftime(date, sizeof(date),
	    "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		snprintf(date, sizeof(date), "Thu, 01 Jan 1970 00:00:00 +0000");
	if (pipe(fds) != 0) {
		enr_error(NULL, "pipe: %s", strerror(errno));
		return ENR_EX_FAIL;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		enr_error(NULL, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return ENR_EX_FAIL;
	}
	if (pid == 0) {
		/* sendmail's chatter must not mix with our report lines. */
		if (dup2(fds[0], STDIN_FILENO) == -1 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			_exit(127);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "smime-enroll: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	/* A sendmail that exits early must not kill us with SIGPIPE. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	if ((fp = fdopen(fds[1], "w")) == NULL)
		close(fds[1]);
	else {
		fprintf(fp, "To: %s\n"
		    "Subject: S/MIME signing certificates expire within "
		    "%ld days on %s\n"
		    "Date: %s\n"
		    "Auto-Submitted: auto-generated\n"
		    "MIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=UTF-8\n"
		    "Content-Transfer-Encoding: 8bit\n"
		    "\n"
		    "smime-enroll check on %s (%s) found %zu signing "
		    "identit%s whose\ncertificate expires within %ld days "
		    "or has expired:\n\n%s\n"
		    "A CA can take about ten days to issue a certificate: "
		    "renew now with\n\"smime-enroll renew ADDRESS\" (CMP) or "
		    "request a new certificate and install\nit with "
		    "\"smime-enroll import ADDRESS FILE\"; see "
		    "smime-enroll(8).\n", cf->cf_enroll_notify, ck->ck_days,
		    host, date, host, cf->cf_path, ck->ck_due,
		    ck->ck_due == 1 ? "y" : "ies", ck->ck_days, ck->ck_text);
		if (fclose(fp) != 0)
			enr_error(NULL, "%s: cannot write the message: %s",
			    argv[0], strerror(errno));
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			enr_error(NULL, "waitpid: %s", strerror(errno));
			status = -1;
			break;
		}
	sigaction(SIGPIPE, &old, NULL);
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = ENR_EX_OK;
	else if (status == -1)
		;
	else
		enr_error(NULL, "%s exited with %s %d; %s was not notified",
		    argv[0], WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    cf->cf_enroll_notify);
	return rc;
}

int
enr_cmd_check(struct enr_ctx *ec)
{
	struct enr_check ck;
	struct smime_store_entry *list = NULL;
	char origin[1024];
	size_t n = 0, i;
	int rc = ENR_EX_FAIL;

	memset(&ck, 0, sizeof(ck));
	ck.ck_now = time(NULL);
	ck.ck_days = ec->ec_opts.eo_days >= 0 ? ec->ec_opts.eo_days :
	    (long)ec->ec_conf->cf_enroll_check_days;
	if ((ck.ck_fp = open_memstream(&ck.ck_text, &ck.ck_len)) == NULL) {
		enr_error(NULL, "out of memory");
		goto out;
	}
	enr_check_configured(ec, &ck);
	if (ec->ec_store != NULL && smime_store_scan(ec->ec_store, &list, &n,
	    &ec->ec_err) != SMIME_OK) {
		enr_error(NULL, "%s", smime_err_get0(&ec->ec_err));
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* Pending (no cert.pem) and revoked ones sign nothing. */
		if (list[i].se_cert == NULL || list[i].se_revoked ||
		    enr_check_is_configured(ec->ec_conf, list[i].se_address))
			continue;
		smime_store_path(ec->ec_store, list[i].se_address, NULL,
		    origin, sizeof(origin));
		enr_check_cert(&ck, list[i].se_address, list[i].se_cert,
		    origin);
	}
	if (fclose(ck.ck_fp) != 0) {
		ck.ck_fp = NULL;
		enr_error(NULL, "out of memory");
		goto out;
	}
	ck.ck_fp = NULL;
	fputs(ck.ck_text, stdout);
	if (fflush(stdout) != 0)
		goto out;
	if (ck.ck_due == 0) {
		rc = ENR_EX_OK;
		goto out;
	}
	rc = ENR_EX_DUE;
	if (ec->ec_conf->cf_enroll_notify == NULL)
		goto out;
	if (ec->ec_opts.eo_dry_run)
		enr_error(NULL, "would mail %zu line%s to %s through %s",
		    ck.ck_due, ck.ck_due == 1 ? "" : "s",
		    ec->ec_conf->cf_enroll_notify,
		    ec->ec_conf->cf_enroll_sendmail);
	else if (enr_check_mail(ec, &ck) != ENR_EX_OK)
		rc = ENR_EX_FAIL;
out:
	if (ck.ck_fp != NULL)
		fclose(ck.ck_fp);
	free(ck.ck_text);
	smime_store_entries_free(list, n);
	return rc;
}
