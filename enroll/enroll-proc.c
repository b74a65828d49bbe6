/*
 * enroll-proc.c - the process control of smime-enroll, kept out of the
 * library (smime/ takes bytes and settings; it never forks, signals or
 * looks up users): the milter's user from the password database, and
 * telling a running smime-milter to reload after the store changed: run
 * the configured reload command, or send SIGHUP to the process in the pid
 * file, but only after checking that the file and the process are really
 * our daemon's.
 *
 * smime-enroll runs as root while the pid file's directory belongs to the
 * milter's user, who can therefore write any number into it.  So the file
 * must not be a link, must belong to root, the milter's user or us and be
 * writable by nobody else, and the process must be smime-milter (its comm
 * and, where readable, its executable) running as root, the milter's user
 * or us.  The process is pinned with a pidfd before it is checked, so a
 * pid recycled between the check and the signal gets nothing.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enroll/enroll.h"
#include "smime/pkcs11.h"

#define SMIME_DAEMON_NAME	"smime-milter"

smime_status
enr_owner_lookup(const char *user, struct smime_store_owner *owner,
    struct smime_err *err)
{
	struct passwd *pw;
	smime_status ret = SMIME_SYNTAX;

	memset(owner, 0, sizeof(*owner));
	owner->so_strict = true;
	if (geteuid() == 0) {
		owner->so_set = true;
		owner->so_uid = 0;
		owner->so_gid = 0;
	}
	if (user == NULL || geteuid() != 0) {
		ret = SMIME_OK;
		goto out;
	}
	if ((pw = getpwnam(user)) == NULL) {
		smime_err_set(err, "user \"%s\" does not exist", user);
		goto out;
	}
	owner->so_has_user = true;
	owner->so_user_uid = pw->pw_uid;
	owner->so_gid = pw->pw_gid;
	owner->so_has_group = true;
	ret = SMIME_OK;
out:
	return ret;
}

char **
enr_child_environ(void)
{
	static const char pin[] = SMIME_PKCS11_PIN_ENV "=";
	char **env;
	size_t i, n = 0;

	for (i = 0; environ[i] != NULL; i++)
		;
	if ((env = calloc(i + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], pin, sizeof(pin) - 1) != 0)
			env[n++] = environ[i];
	return env;
}

/* Run command via /bin/sh -c (no PIN in its environment); true when it
 * exits 0. */
static bool
notify_run(const char *command, struct smime_err *err)
{
	char **env;
	pid_t pid;
	int status;

	if ((env = enr_child_environ()) == NULL) {
		smime_err_set(err, "out of memory");
		return false;
	}
	if ((pid = fork()) == -1) {
		smime_err_set(err, "fork: %s", strerror(errno));
		free(env);
		return false;
	}
	if (pid == 0) {
		execle("/bin/sh", "sh", "-c", command, (char *)NULL, env);
		_exit(127);
	}
	free(env);
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

/* Read up to len-1 bytes of a small /proc file into buf; false on error. */
static bool
notify_proc(long pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* True when uid may run our daemon: root, the milter's user or us. */
static bool
notify_uid_ok(uid_t uid, const struct smime_store_owner *owner)
{
	return uid == 0 || uid == geteuid() ||
	    (owner != NULL && owner->so_has_user && uid == owner->so_user_uid);
}

/*
 * Check that pid is smime-milter running as an allowed user; why (len
 * bytes) says what is wrong otherwise.
 */
static bool
notify_is_daemon(long pid, const struct smime_store_owner *owner,
    char *why, size_t len)
{
	char buf[4096], path[64], exe[PATH_MAX], *p, *base;
	unsigned long uid;
	ssize_t n;

	if (!notify_proc(pid, "comm", buf, sizeof(buf))) {
		snprintf(why, len, "cannot read /proc/%ld/comm: %s", pid,
		    strerror(errno));
		return false;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, SMIME_DAEMON_NAME) != 0) {
		snprintf(why, len, "pid %ld is \"%.64s\", not %s", pid, buf,
		    SMIME_DAEMON_NAME);
		return false;
	}
	if (!notify_proc(pid, "status", buf, sizeof(buf)) ||
	    (p = strstr(buf, "\nUid:")) == NULL ||
	    sscanf(p + 5, "%lu", &uid) != 1) {
		snprintf(why, len, "cannot read the owner of pid %ld", pid);
		return false;
	}
	if (!notify_uid_ok((uid_t)uid, owner)) {
		snprintf(why, len, "pid %ld runs as uid %lu, not as root or "
		    "the milter's user", pid, uid);
		return false;
	}
	/* The executable too, where we may see it (root may). */
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((p = strstr(exe, " (deleted)")) != NULL && p[10] == '\0')
			*p = '\0';	/* upgraded while running */
		base = strrchr(exe, '/');
		base = base != NULL ? base + 1 : exe;
		if (strcmp(base, SMIME_DAEMON_NAME) != 0) {
			snprintf(why, len, "pid %ld runs %.200s, not %s", pid,
			    exe, SMIME_DAEMON_NAME);
			return false;
		}
	}
	return true;
}

/*
 * Open and check the pid file; *pid gets its number, 0 when there is no
 * file (no milter).  False with err set when it cannot be trusted.
 */
static bool
notify_read_pidfile(const char *pidfile,
    const struct smime_store_owner *owner, long *pid, struct smime_err *err)
{
	struct stat st;
	char buf[32], *end;
	ssize_t n;
	int fd;
	bool ok = false;

	*pid = 0;
	fd = open(pidfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return true;
		smime_err_set(err, "pid file %s: %s%s", pidfile,
		    strerror(errno), errno == ELOOP ? " (a symbolic link is "
		    "not trusted)" : "");
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		smime_err_set(err, "pid file %s: not a regular file", pidfile);
		goto out;
	}
	if (!notify_uid_ok(st.st_uid, owner) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		smime_err_set(err, "pid file %s (owner uid %lu, mode %04o) "
		    "must belong to root or the milter's user and be writable "
		    "by nobody else; not trusted", pidfile,
		    (unsigned long)st.st_uid, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		smime_err_set(err, "pid file %s: %s", pidfile, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	errno = 0;
	*pid = strtol(buf, &end, 10);
	if (end == buf || buf[0] < '0' || buf[0] > '9' || errno != 0 ||
	    (*end != '\0' && strcmp(end, "\n") != 0) || *pid <= 1 ||
	    *pid > INT_MAX) {
		*pid = 0;
		smime_err_set(err, "%s: no process id in pid file", pidfile);
		goto out;
	}
	ok = true;
out:
	close(fd);
	return ok;
}

/* A pidfd for pid (-1 with errno when impossible, ENOSYS: not Linux). */
static int
notify_pidfd(long pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Send sig through pidfd, or by pid when there is no pidfd. */
static int
notify_signal(int pidfd, long pid, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (pidfd != -1)
		return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#else
	(void)pidfd;
#endif
	return kill((pid_t)pid, sig);
}

smime_status
enr_reload_milter(const char *command, const char *pidfile,
    const struct smime_store_owner *owner, char *done, size_t donelen,
    struct smime_err *err)
{
	char why[512];
	long pid = 0;
	int pidfd = -1;
	smime_status ret = SMIME_TEMPFAIL;

	snprintf(done, donelen, "no running milter to notify");
	if (command != NULL && command[0] != '\0') {
		if (!notify_run(command, err))
			goto out;
		snprintf(done, donelen, "ran reload command \"%s\"", command);
		ret = SMIME_OK;
		goto out;
	}
	if (pidfile == NULL) {
		ret = SMIME_OK;
		goto out;
	}
	if (!notify_read_pidfile(pidfile, owner, &pid, err))
		goto out;
	if (pid == 0) {		/* no pid file: the milter is not running */
		ret = SMIME_OK;
		goto out;
	}
	/* Pin the process first: a recycled pid then gets nothing. */
	if ((pidfd = notify_pidfd(pid)) == -1 && errno == ESRCH) {
		snprintf(done, donelen, "milter (pid %ld in %s) not running",
		    pid, pidfile);
		ret = SMIME_OK;
		goto out;
	}
	if (pidfd == -1 && errno != ENOSYS) {
		smime_err_set(err, "pid %ld from %s: %s", pid, pidfile,
		    strerror(errno));
		goto out;
	}
	if (!notify_is_daemon(pid, owner, why, sizeof(why))) {
		if (kill((pid_t)pid, 0) == -1 && errno == ESRCH) {
			snprintf(done, donelen, "milter (pid %ld in %s) not "
			    "running", pid, pidfile);
			ret = SMIME_OK;
			goto out;
		}
		smime_err_set(err, "%s: %s; not signalled (stale or forged "
		    "pid file)", pidfile, why);
		goto out;
	}
	if (notify_signal(pidfd, pid, SIGHUP) == -1) {
		smime_err_set(err, "SIGHUP to pid %ld: %s", pid,
		    strerror(errno));
		goto out;
	}
	snprintf(done, donelen, "sent SIGHUP to milter pid %ld", pid);
	ret = SMIME_OK;
out:
	if (pidfd != -1)
		close(pidfd);
	return ret;
}
