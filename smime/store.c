/*
 * store.c - atomic installation of keys and certificates into the
 * signing store, rollback, the revoked marker, listing and the reload
 * notification of a running milter.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "smime/store.h"

/* The files an install replaces, in the order they are renamed. */
enum smime_store_file { SF_KEY, SF_CHAIN, SF_CERT, SF_COUNT };

static const char *const smime_store_names[SF_COUNT] = {
	"key.pem", "chain.pem", "cert.pem"
};

smime_status
smime_store_owner_lookup(const char *user, struct smime_store_owner *owner,
    struct smime_err *err)
{
	struct passwd *pw;
	smime_status ret = SMIME_SYNTAX;

	owner->so_set = false;
	if (user == NULL || geteuid() != 0) {
		ret = SMIME_OK;
		goto out;
	}
	if ((pw = getpwnam(user)) == NULL) {
		smime_err_set(err, "user \"%s\" does not exist", user);
		goto out;
	}
	owner->so_set = true;
	owner->so_uid = pw->pw_uid;
	owner->so_gid = pw->pw_gid;
	ret = SMIME_OK;
out:
	return ret;
}

bool
smime_store_path(const char *store, const char *address, const char *name,
    char *buf, size_t buflen)
{
	int n;

	if (name == NULL)
		n = snprintf(buf, buflen, "%s/%s", store, address);
	else
		n = snprintf(buf, buflen, "%s/%s/%s", store, address, name);
	return n >= 0 && (size_t)n < buflen;
}

/* mkdir path 0700 unless it exists; chown to owner.  false + err on error. */
static bool
smime_store_mkdir(const char *path, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	if (mkdir(path, 0700) == -1) {
		if (errno == EEXIST)
			return true;
		smime_err_set(err, "mkdir %s: %s", path, strerror(errno));
		return false;
	}
	if (owner != NULL && owner->so_set &&
	    chown(path, owner->so_uid, owner->so_gid) == -1) {
		smime_err_set(err, "chown %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* Create STORE and STORE/ADDRESS (0700) as needed. */
static bool
smime_store_mkdirs(const char *store, const char *address,
    const struct smime_store_owner *owner, struct smime_err *err)
{
	char path[PATH_MAX];

	if (!smime_store_path(store, address, NULL, path, sizeof(path))) {
		smime_err_set(err, "%s/%s: path too long", store, address);
		return false;
	}
	return smime_store_mkdir(store, owner, err) &&
	    smime_store_mkdir(path, owner, err);
}

/* fsync a directory so that renames in it are durable. */
static bool
smime_store_sync_dir(const char *path, struct smime_err *err)
{
	int fd;
	bool ok;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) == -1) {
		smime_err_set(err, "open %s: %s", path, strerror(errno));
		return false;
	}
	ok = fsync(fd) == 0;
	if (!ok)
		smime_err_set(err, "fsync %s: %s", path, strerror(errno));
	close(fd);
	return ok;
}

/*
 * Write a temporary file in dir holding key (when not NULL) or cert and
 * chain as PEM, fsync it and set mode/owner.  tmp (PATH_MAX) receives its
 * name.  Returns false with err set; nothing is left behind then.
 */
static bool
smime_store_write_tmp(const char *dir, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain, mode_t mode, const struct smime_store_owner *owner,
    char *tmp, struct smime_err *err)
{
	BIO *bio = NULL;
	int fd = -1, i;
	bool ok = false;

	snprintf(tmp, PATH_MAX, "%s/.new.XXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1) {
		smime_err_set(err, "mkstemp %s: %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL)
		goto openssl;
	if (key != NULL && !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	    NULL, NULL))
		goto openssl;
	if (cert != NULL && !PEM_write_bio_X509(bio, cert))
		goto openssl;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(chain, i)))
			goto openssl;
	if (BIO_flush(bio) != 1)
		goto openssl;
	if (fchmod(fd, mode) == -1 || (owner != NULL && owner->so_set &&
	    fchown(fd, owner->so_uid, owner->so_gid) == -1) || fsync(fd) == -1) {
		smime_err_set(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	ok = true;
	goto out;
openssl:
	smime_err_openssl(err, "cannot write %s", tmp);
out:
	BIO_free(bio);
	if (fd != -1 && close(fd) == -1 && ok) {
		smime_err_set(err, "close %s: %s", tmp, strerror(errno));
		ok = false;
	}
	if (!ok && tmp[0] != '\0') {
		unlink(tmp);
		tmp[0] = '\0';
	}
	return ok;
}

/*
 * Make NAME.prev a hard link to NAME (replacing an older .prev) so that
 * NAME itself never disappears.  *had tells whether NAME existed.
 */
static bool
smime_store_keep_prev(const char *path, bool *had, struct smime_err *err)
{
	char prev[PATH_MAX + 16];

	*had = false;
	snprintf(prev, sizeof(prev), "%s.prev", path);
	if (access(path, F_OK) == -1)
		return true;
	*had = true;
	if ((unlink(prev) == -1 && errno != ENOENT) || link(path, prev) == -1) {
		smime_err_set(err, "keep %s: %s", prev, strerror(errno));
		return false;
	}
	return true;
}

/* Put NAME.prev back as NAME (or remove NAME when there was none). */
static void
smime_store_restore(const char *path, bool had)
{
	char prev[PATH_MAX + 16], tmp[PATH_MAX + 16];

	snprintf(prev, sizeof(prev), "%s.prev", path);
	snprintf(tmp, sizeof(tmp), "%s.restore", path);
	if (!had) {
		unlink(path);
		return;
	}
	unlink(tmp);
	if (link(prev, tmp) == 0 && rename(tmp, path) == -1)
		unlink(tmp);
}

smime_status
smime_store_load_key(const char *store, const char *address, EVP_PKEY **out,
    bool *missing, struct smime_err *err)
{
	char path[PATH_MAX];
	BIO *bio = NULL;
	smime_status ret = SMIME_BADKEY;

	*out = NULL;
	if (missing != NULL)
		*missing = false;
	if (!smime_store_path(store, address, "key.pem", path, sizeof(path))) {
		smime_err_set(err, "%s/%s: path too long", store, address);
		goto out;
	}
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		if (missing != NULL)
			*missing = errno == ENOENT;
		smime_err_set(err, "%s: %s", path, strerror(errno));
		ERR_clear_error();
		goto out;
	}
	if ((*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		smime_err_openssl(err, "%s: cannot read private key", path);
		goto out;
	}
	ret = SMIME_OK;
out:
	BIO_free(bio);
	return ret;
}

smime_status
smime_store_load_cert(const char *store, const char *address, X509 **cert,
    STACK_OF(X509) **chain, struct smime_err *err)
{
	char path[PATH_MAX];
	BIO *bio = NULL;
	X509 *x;
	smime_status ret = SMIME_SYNTAX;

	*cert = NULL;
	if (chain != NULL)
		*chain = NULL;
	if (!smime_store_path(store, address, "cert.pem", path, sizeof(path)) ||
	    (bio = BIO_new_file(path, "r")) == NULL) {
		smime_err_set(err, "%s: %s", path, strerror(errno));
		ERR_clear_error();
		goto out;
	}
	if ((*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		smime_err_openssl(err, "%s: cannot read certificate", path);
		goto out;
	}
	BIO_free(bio);
	bio = NULL;
	if (chain == NULL) {
		ret = SMIME_OK;
		goto out;
	}
	if ((*chain = sk_X509_new_null()) == NULL) {
		ret = SMIME_NORESOURCE;
		goto out;
	}
	smime_store_path(store, address, "chain.pem", path, sizeof(path));
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();	/* no chain file: empty chain */
		ret = SMIME_OK;
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(*chain, x)) {
			X509_free(x);
			ret = SMIME_NORESOURCE;
			goto out;
		}
	ERR_clear_error();	/* end of file shows up as an error */
	ret = SMIME_OK;
out:
	BIO_free(bio);
	if (ret != SMIME_OK) {
		X509_free(*cert);
		*cert = NULL;
		if (chain != NULL) {
			sk_X509_pop_free(*chain, X509_free);
			*chain = NULL;
		}
	}
	return ret;
}

smime_status
smime_store_save_key(const char *store, const char *address, EVP_PKEY *key,
    bool force, const struct smime_store_owner *owner, struct smime_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	bool had;
	smime_status ret = SMIME_TEMPFAIL;

	tmp[0] = '\0';
	if (!smime_store_path(store, address, "key.pem", path, sizeof(path)) ||
	    !smime_store_path(store, address, NULL, dir, sizeof(dir))) {
		smime_err_set(err, "%s/%s: path too long", store, address);
		goto out;
	}
	if (!force && access(path, F_OK) == 0) {
		ret = SMIME_POLICY;
		smime_err_set(err, "%s exists; use --force to replace it", path);
		goto out;
	}
	if (!smime_store_mkdirs(store, address, owner, err) ||
	    !smime_store_write_tmp(dir, key, NULL, NULL, 0600, owner, tmp,
	    err) || !smime_store_keep_prev(path, &had, err))
		goto out;
	if (rename(tmp, path) == -1) {
		smime_err_set(err, "rename %s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (!smime_store_sync_dir(dir, err))
		goto out;
	ret = SMIME_OK;
out:
	if (tmp[0] != '\0')
		unlink(tmp);
	return ret;
}

smime_status
smime_store_install(const char *store, const char *address, EVP_PKEY *newkey,
    X509 *cert, STACK_OF(X509) *chain, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	char dir[PATH_MAX], path[SF_COUNT][PATH_MAX], tmp[SF_COUNT][PATH_MAX];
	char marker[PATH_MAX];
	bool had[SF_COUNT] = { false }, done[SF_COUNT] = { false };
	bool ok;
	int f;
	smime_status ret = SMIME_TEMPFAIL;

	for (f = 0; f < SF_COUNT; f++) {
		tmp[f][0] = '\0';
		if (!smime_store_path(store, address, smime_store_names[f],
		    path[f], sizeof(path[f]))) {
			smime_err_set(err, "%s/%s: path too long", store,
			    address);
			goto out;
		}
	}
	smime_store_path(store, address, NULL, dir, sizeof(dir));
	if (!smime_store_mkdirs(store, address, owner, err))
		goto out;
	/* Everything is written and synced before anything is replaced. */
	if ((newkey != NULL && !smime_store_write_tmp(dir, newkey, NULL, NULL,
	    0600, owner, tmp[SF_KEY], err)) ||
	    (chain != NULL && sk_X509_num(chain) > 0 &&
	    !smime_store_write_tmp(dir, NULL, NULL, chain, 0644, owner,
	    tmp[SF_CHAIN], err)) ||
	    !smime_store_write_tmp(dir, NULL, cert, NULL, 0644, owner,
	    tmp[SF_CERT], err))
		goto out;
	for (f = 0; f < SF_COUNT; f++) {
		if (f == SF_KEY && newkey == NULL)
			continue;
		if (!smime_store_keep_prev(path[f], &had[f], err))
			goto out;
		if (tmp[f][0] != '\0')
			ok = rename(tmp[f], path[f]) == 0;
		else	/* no chain this time: the old one must not stay */
			ok = unlink(path[f]) == 0 || errno == ENOENT;
		if (!ok) {
			smime_err_set(err, "install %s: %s", path[f],
			    strerror(errno));
			goto out;
		}
		tmp[f][0] = '\0';
		done[f] = true;
	}
	/* The marker was about the certificate just replaced. */
	if (smime_store_path(store, address, "revoked", marker,
	    sizeof(marker)) && unlink(marker) == -1 && errno != ENOENT) {
		smime_err_set(err, "%s: %s", marker, strerror(errno));
		goto out;
	}
	if (!smime_store_sync_dir(dir, err))
		goto out;
	ret = SMIME_OK;
out:
	for (f = 0; f < SF_COUNT; f++) {
		if (tmp[f][0] != '\0')
			unlink(tmp[f]);
		if (ret != SMIME_OK && done[f])
			smime_store_restore(path[f], had[f]);
	}
	return ret;
}

smime_status
smime_store_rollback(const char *store, const char *address,
    struct smime_err *err)
{
	char path[PATH_MAX], prev[PATH_MAX + 16];
	int f, n = 0;
	smime_status ret = SMIME_TEMPFAIL;

	for (f = 0; f < SF_COUNT; f++) {
		if (!smime_store_path(store, address, smime_store_names[f],
		    path, sizeof(path))) {
			smime_err_set(err, "%s/%s: path too long", store,
			    address);
			goto out;
		}
		snprintf(prev, sizeof(prev), "%s.prev", path);
		if (access(prev, F_OK) == -1)
			continue;
		if (rename(prev, path) == -1) {
			smime_err_set(err, "rename %s: %s", prev,
			    strerror(errno));
			goto out;
		}
		n++;
	}
	if (n == 0) {
		ret = SMIME_POLICY;
		smime_err_set(err, "%s/%s: no previous files to roll back to",
		    store, address);
		goto out;
	}
	smime_store_path(store, address, NULL, path, sizeof(path));
	if (!smime_store_sync_dir(path, err))
		goto out;
	ret = SMIME_OK;
out:
	return ret;
}

smime_status
smime_store_set_senders(const char *store, const char *address,
    char *const *logins, size_t nlogins,
    const struct smime_store_owner *owner, struct smime_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 32];
	const unsigned char *c;
	FILE *fp = NULL;
	int fd = -1;
	size_t i;
	smime_status ret = SMIME_SYNTAX;

	tmp[0] = '\0';
	for (i = 0; i < nlogins; i++) {
		for (c = (const unsigned char *)logins[i]; *c != '\0'; c++)
			if (*c <= 0x20 || *c >= 0x7f)
				break;
		if (logins[i][0] == '\0' || logins[i][0] == '#' || *c != '\0') {
			smime_err_set(err, "login \"%s\": must be printable "
			    "ASCII without spaces, not starting with '#'",
			    logins[i]);
			goto out;
		}
	}
	ret = SMIME_TEMPFAIL;
	if (!smime_store_path(store, address, "senders", path, sizeof(path)) ||
	    !smime_store_path(store, address, NULL, dir, sizeof(dir))) {
		smime_err_set(err, "%s/%s: path too long", store, address);
		goto out;
	}
	if (!smime_store_mkdirs(store, address, owner, err))
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/.senders.XXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		smime_err_set(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	fprintf(fp, "# SMTP AUTH logins allowed to send as %s\n", address);
	for (i = 0; i < nlogins; i++)
		fprintf(fp, "%s\n", logins[i]);
	if (fflush(fp) != 0 || fchmod(fileno(fp), 0644) == -1 ||
	    (owner != NULL && owner->so_set && fchown(fileno(fp),
	    owner->so_uid, owner->so_gid) == -1) || fsync(fileno(fp)) == -1 ||
	    rename(tmp, path) == -1) {
		smime_err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (!smime_store_sync_dir(dir, err))
		goto out;
	ret = SMIME_OK;
out:
	if (fp != NULL)
		fclose(fp);
	if (fd != -1)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return ret;
}

smime_status
smime_store_mark_revoked(const char *store, const char *address,
    const char *reason, const struct smime_store_owner *owner,
    struct smime_err *err)
{
	char path[PATH_MAX], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *fp = NULL;
	int fd;
	smime_status ret = SMIME_TEMPFAIL;

	if (!smime_store_path(store, address, "revoked", path, sizeof(path))) {
		smime_err_set(err, "%s/%s: path too long", store, address);
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		smime_err_set(err, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(fp, "reason=%s\ndate=%s\n", reason, stamp);
	if (owner != NULL && owner->so_set)
		(void)fchown(fd, owner->so_uid, owner->so_gid);
	if (fflush(fp) != 0 || fsync(fd) == -1) {
		smime_err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = SMIME_OK;
out:
	if (fp != NULL && fclose(fp) != 0 && ret == SMIME_OK) {
		smime_err_set(err, "%s: %s", path, strerror(errno));
		ret = SMIME_TEMPFAIL;
	}
	return ret;
}

bool
smime_store_is_revoked(const char *store, const char *address)
{
	char path[PATH_MAX];

	return smime_store_path(store, address, "revoked", path,
	    sizeof(path)) && access(path, F_OK) == 0;
}

static int
smime_store_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct smime_store_entry *)a)->se_address,
	    ((const struct smime_store_entry *)b)->se_address);
}

smime_status
smime_store_scan(const char *store, struct smime_store_entry **out,
    size_t *n, struct smime_err *err)
{
	struct smime_store_entry *list = NULL, *grown, *e;
	size_t count = 0, cap = 0;
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	smime_status ret = SMIME_TEMPFAIL;

	*out = NULL;
	*n = 0;
	if ((dir = opendir(store)) == NULL) {
		if (errno == ENOENT)
			ret = SMIME_OK;
		else
			smime_err_set(err, "%s: %s", store, strerror(errno));
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || !smime_store_path(store,
		    de->d_name, NULL, path, sizeof(path)) ||
		    stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (count == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = realloc(list, cap * sizeof(*list))) ==
			    NULL) {
				ret = SMIME_NORESOURCE;
				goto out;
			}
			list = grown;
		}
		e = &list[count];
		memset(e, 0, sizeof(*e));
		if ((e->se_address = strdup(de->d_name)) == NULL) {
			ret = SMIME_NORESOURCE;
			goto out;
		}
		count++;
		smime_store_path(store, de->d_name, "key.pem", path,
		    sizeof(path));
		e->se_has_key = access(path, F_OK) == 0;
		e->se_revoked = smime_store_is_revoked(store, de->d_name);
		if (smime_store_load_cert(store, de->d_name, &e->se_cert, NULL,
		    NULL) != SMIME_OK)
			e->se_cert = NULL;
	}
	if (count > 0)
		qsort(list, count, sizeof(*list), smime_store_entry_cmp);
	*out = list;
	*n = count;
	list = NULL;
	ret = SMIME_OK;
out:
	if (dir != NULL)
		closedir(dir);
	if (ret == SMIME_NORESOURCE)
		smime_err_set(err, "out of memory");
	smime_store_entries_free(list, count);
	return ret;
}

void
smime_store_entries_free(struct smime_store_entry *entries, size_t n)
{
	size_t i;

	if (entries == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(entries[i].se_address);
		X509_free(entries[i].se_cert);
	}
	free(entries);
}

/* Run command via /bin/sh -c; true when it exits 0. */
static bool
smime_store_run(const char *command, struct smime_err *err)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == -1) {
		smime_err_set(err, "fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			smime_err_set(err, "waitpid: %s", strerror(errno));
			return false;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		smime_err_set(err, "reload command \"%s\" failed (status %d)",
		    command, status);
		return false;
	}
	return true;
}

smime_status
smime_store_notify(const char *command, const char *pidfile, char *done,
    size_t donelen, struct smime_err *err)
{
	FILE *fp = NULL;
	long pid = 0;
	smime_status ret = SMIME_TEMPFAIL;

	snprintf(done, donelen, "no running milter to notify");
	if (command != NULL && command[0] != '\0') {
		if (!smime_store_run(command, err))
			goto out;
		snprintf(done, donelen, "ran reload command \"%s\"", command);
		ret = SMIME_OK;
		goto out;
	}
	ret = SMIME_OK;
	if (pidfile == NULL || (fp = fopen(pidfile, "r")) == NULL)
		goto out;	/* no pid file: the milter is not running */
	if (fscanf(fp, "%ld", &pid) != 1 || pid <= 1 || pid > INT_MAX) {
		ret = SMIME_TEMPFAIL;
		smime_err_set(err, "%s: no process id in pid file", pidfile);
		goto out;
	}
	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH) {
		snprintf(done, donelen, "milter (pid %ld in %s) not running",
		    pid, pidfile);
		goto out;
	}
	if (kill((pid_t)pid, SIGHUP) == -1) {
		ret = SMIME_TEMPFAIL;
		smime_err_set(err, "SIGHUP to pid %ld: %s", pid,
		    strerror(errno));
		goto out;
	}
	snprintf(done, donelen, "sent SIGHUP to milter pid %ld", pid);
out:
	if (fp != NULL)
		fclose(fp);
	return ret;
}
