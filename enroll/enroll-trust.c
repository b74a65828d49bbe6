/*
 * enroll-trust.c - smime-enroll trust-update: write the root certificates
 * Mozilla trusts for e-mail (S/MIME) as one PEM bundle, the file that
 * verify.trust_anchors = "system" names.
 *
 * The source is NSS's built-in root module (libnssckbi.so from libnss3),
 * read with NSS's own tools (certutil and modutil from libnss3-tools)
 * through a throw-away NSS database, so that NSS decides what its trust
 * bits mean: a root is taken when the S/MIME column of its trust flags
 * ("SSL,S/MIME,JAR/XPI") says C, trusted CA.  Debian's ca-certificates
 * bundle is not used: it is Mozilla's TLS list, and a TLS-only root is no
 * evidence for an e-mail signer.  --nssdb reads an existing NSS database
 * instead (its own certificates and any modules it loads), which is also
 * how the tests place a test root in the same kind of source.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "enroll/enroll.h"
#include "smime/credential.h"
#include "smime/safefs.h"

extern char **environ;

#define TRUST_MAX_OUTPUT	(32 * 1024 * 1024)

/*
 * Run argv (found on PATH) with stdin and stderr on /dev/null; its
 * standard output into *out (NUL-terminated, caller frees).  Returns
 * the exit status, or -1 when it could not be run.
 */
static int
trust_run(char *const argv[], char **out)
{
	posix_spawn_file_actions_t fa;
	char *buf = NULL, *n;
	size_t len = 0, cap = 0;
	ssize_t got;
	int fds[2] = { -1, -1 }, status = -1;
	char **env = NULL;
	pid_t pid;

	if (out != NULL)
		*out = NULL;
	if (pipe(fds) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	if ((env = enr_child_environ()) == NULL ||
	    posix_spawnp(&pid, argv[0], &fa, NULL, argv, env) != 0) {
		free(env);
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	for (;;) {
		if (len + 4097 > cap) {
			if (cap >= TRUST_MAX_OUTPUT ||
			    (n = realloc(buf, cap + 65536)) == NULL)
				break;
			buf = n;
			cap += 65536;
		}
		if ((got = read(fds[0], buf + len, 4096)) < 0 &&
		    errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (buf != NULL)
		buf[len] = '\0';
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first libnssckbi.so of the usual places, or NULL. */
static char *
trust_find_module(void)
{
	static const char *const patterns[] = {
		"/usr/lib/*/libnssckbi.so", "/usr/lib/*/nss/libnssckbi.so",
		"/usr/lib64/libnssckbi.so", "/usr/lib/libnssckbi.so",
		"/usr/lib/nss/libnssckbi.so"
	};
	glob_t g;
	char *found = NULL;
	size_t i;

	for (i = 0; found == NULL && i < sizeof(patterns) / sizeof(*patterns);
	    i++) {
		if (glob(patterns[i], 0, NULL, &g) == 0 && g.gl_pathc > 0)
			found = strdup(g.gl_pathv[0]);
		globfree(&g);
	}
	return found;
}

/*
 * The nicknames from `certutil -L -h all` output whose S/MIME trust
 * flags hold C, one a line in a new string (caller frees).
 */
static char *
trust_email_nicknames(char *listing)
{
	char *line, *save = NULL, *end, *flags, *c1, *c2, *names, *p;
	size_t len;

	if ((names = calloc(1, strlen(listing) + 1)) == NULL)
		return NULL;
	p = names;
	for (line = strtok_r(listing, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		len = strlen(line);
		while (len > 0 && (line[len - 1] == ' ' ||
		    line[len - 1] == '\t' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((flags = strrchr(line, ' ')) == NULL)
			continue;
		end = flags;
		while (end > line && end[-1] == ' ')
			end--;
		flags++;
		/* Trust flags are "x,y,z", each a run of letters. */
		if ((c1 = strchr(flags, ',')) == NULL ||
		    (c2 = strchr(c1 + 1, ',')) == NULL ||
		    strchr(c2 + 1, ',') != NULL || end == line ||
		    strspn(flags, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ,") != strlen(flags))
			continue;
		if (memchr(c1 + 1, 'C', (size_t)(c2 - c1 - 1)) == NULL)
			continue;
		memcpy(p, line, (size_t)(end - line));
		p += end - line;
		*p++ = '\n';
	}
	return names;
}

/* Append the CA certificates of PEM text to certs (no duplicates). */
static void
trust_add_pem(const char *pem, STACK_OF(X509) *certs)
{
	STACK_OF(X509) *got = NULL;
	X509 *x;
	int i;
	bool dup;

	if (smime_credential_parse("certutil output", pem, strlen(pem), NULL,
	    NULL, NULL, &got, NULL) != SMIME_OK)
		return;
	while ((x = sk_X509_shift(got)) != NULL) {
		for (i = 0, dup = false; !dup && i < sk_X509_num(certs); i++)
			dup = X509_cmp(sk_X509_value(certs, i), x) == 0;
		if (dup || X509_check_ca(x) < 1 || !sk_X509_push(certs, x))
			X509_free(x);
	}
	sk_X509_free(got);
}

/* Replace path with certs atomically (safefs.c), mode 0644. */
static int
trust_write(const char *path, STACK_OF(X509) *certs)
{
	char name[512], *data = NULL;
	struct smime_err err;
	BIO *out = NULL;
	long len;
	int i, rc = ENR_EX_FAIL;

	if ((out = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	BIO_printf(out, "# Root certificates trusted by Mozilla for e-mail "
	    "(S/MIME), from NSS;\n# written by smime-enroll trust-update.\n");
	for (i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
		if (BIO_printf(out, "\n# %s\n", name) <= 0 ||
		    !PEM_write_bio_X509(out, x))
			goto out;
	}
	if ((len = BIO_get_mem_data(out, &data)) <= 0)
		goto out;
	smime_err_clear(&err);
	if (smime_fs_write_path(path, data, (size_t)len, 0644, &err) !=
	    SMIME_OK) {
		enr_error(NULL, "%s", smime_err_get0(&err));
		goto out;
	}
	rc = ENR_EX_OK;
out:
	BIO_free(out);
	return rc;
}

/* Remove the throw-away database directory (NSS's few files). */
static void
trust_rmdb(const char *dir)
{
	static const char *const files[] = {
		"cert9.db", "key4.db", "pkcs11.txt", "cert8.db", "key3.db",
		"secmod.db"
	};
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(*files); i++)
		if (snprintf(path, sizeof(path), "%s/%s", dir, files[i]) <
		    (int)sizeof(path))
			(void)unlink(path);
	(void)rmdir(dir);
}

int
enr_cmd_trust_update(struct enr_ctx *ec)
{
	const struct enr_opts *o = &ec->ec_opts;
	const char *out = o->eo_out != NULL ? o->eo_out : CONF_SYSTEM_TRUST;
	char tmpdir[4096] = "", db[4200], *module = NULL, *listing = NULL;
	char *names = NULL, *nick, *save = NULL, *pem;
	STACK_OF(X509) *certs = NULL;
	const char *tdir = getenv("TMPDIR");
	int rc = ENR_EX_FAIL;

	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	if (o->eo_nssdb != NULL) {
		snprintf(db, sizeof(db), "%s%s", strchr(o->eo_nssdb, ':') ?
		    "" : "sql:", o->eo_nssdb);
	} else {
		module = o->eo_module != NULL ? strdup(o->eo_module) :
		    trust_find_module();
		if (module == NULL || access(module, R_OK) != 0) {
			enr_error(NULL, "%s: NSS built-in root module not found "
			    "(install libnss3, or give --module)",
			    module != NULL ? module : "libnssckbi.so");
			goto out;
		}
		snprintf(tmpdir, sizeof(tmpdir), "%s/smime-trust.XXXXXX",
		    tdir != NULL && *tdir != '\0' ? tdir : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			enr_error(NULL, "%s: %s", tmpdir, strerror(errno));
			tmpdir[0] = '\0';
			goto out;
		}
		snprintf(db, sizeof(db), "sql:%s", tmpdir);
		{
			char *const mk[] = { "certutil", "-N", "-d", db,
			    "--empty-password", NULL };
			char *const add[] = { "modutil", "-dbdir", db, "-add",
			    "builtins", "-libfile", module, "-force", NULL };

			if (trust_run(mk, NULL) != 0 ||
			    trust_run(add, NULL) != 0) {
				enr_error(NULL, "certutil/modutil failed "
				    "(install libnss3-tools)");
				goto out;
			}
		}
	}
	{
		char *const list[] = { "certutil", "-L", "-d", db, "-h", "all",
		    NULL };

		if (trust_run(list, &listing) != 0 || listing == NULL) {
			enr_error(NULL, "certutil -L -d %s failed", db);
			goto out;
		}
	}
	if ((names = trust_email_nicknames(listing)) == NULL)
		goto out;
	for (nick = strtok_r(names, "\n", &save); nick != NULL;
	    nick = strtok_r(NULL, "\n", &save)) {
		char *const get[] = { "certutil", "-L", "-d", db, "-n", nick,
		    "-a", NULL };

		if (trust_run(get, &pem) == 0 && pem != NULL)
			trust_add_pem(pem, certs);
		free(pem);
	}
	if (sk_X509_num(certs) == 0) {
		enr_error(NULL, "%s: no root certificate trusted for e-mail",
		    db);
		goto out;
	}
	if (o->eo_dry_run) {
		printf("%d roots trusted for e-mail (not written)\n",
		    sk_X509_num(certs));
		rc = ENR_EX_OK;
		goto out;
	}
	if ((rc = trust_write(out, certs)) == ENR_EX_OK)
		printf("%s: %d roots trusted for e-mail\n", out,
		    sk_X509_num(certs));
out:
	if (tmpdir[0] != '\0')
		trust_rmdb(tmpdir);
	sk_X509_pop_free(certs, X509_free);
	free(names);
	free(listing);
	free(module);
	return rc;
}
