/*
 * daemon.c - process life: detaching, pid file, dropping privileges and
 * the signal loop that turns SIGHUP into a reload.
 *
 * libmilter runs its own signal thread that treats SIGHUP like SIGTERM.
 * We run smfi_main() in a second thread and keep the main thread in
 * sigwait(): Linux delivers a process signal to the main thread whenever
 * it is waiting for it, so SIGHUP reaches us, not libmilter.  The main
 * thread only hands the reload to a worker, so it is back in sigwait()
 * within microseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter/daemon.h"
#include "milter/metrics.h"
#include "milter/ops.h"

int
smf_daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int
smf_pidfile_write(const char *path, const char *user, char *errbuf,
    size_t errlen)
{
	struct passwd *pw = NULL;
	struct stat st;
	char dir[PATH_MAX], *slash;
	FILE *fp;
	int fd;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL) {
		snprintf(errbuf, errlen, "pidfile %s: not an absolute path",
		    path);
		return -1;
	}
	slash[slash == dir ? 1 : 0] = '\0';
	if (user != NULL && *user != '\0' && geteuid() == 0 &&
	    (pw = getpwnam(user)) == NULL) {
		snprintf(errbuf, errlen, "user %s: no such user", user);
		return -1;
	}
	/*
	 * After dropping privileges we must still be able to remove the
	 * file, so its directory belongs to the user (systemd's
	 * RuntimeDirectory=); it is created so when missing.
	 */
	if (lstat(dir, &st) != 0 && errno == ENOENT && pw != NULL) {
		if (mkdir(dir, 0755) != 0 ||
		    chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
			snprintf(errbuf, errlen, "pidfile directory %s: %s",
			    dir, strerror(errno));
			return -1;
		}
	}
	if (lstat(dir, &st) != 0) {
		snprintf(errbuf, errlen, "pidfile directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errlen, "pidfile directory %s: not a "
		    "directory (symbolic links are not followed)", dir);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		snprintf(errbuf, errlen, "pidfile directory %s is writable by "
		    "everybody; refusing it", dir);
		return -1;
	}
	if (pw != NULL && pw->pw_uid != 0 && st.st_uid != pw->pw_uid) {
		snprintf(errbuf, errlen, "pidfile directory %s does not belong "
		    "to user %s, who could not remove the pid file at exit; "
		    "use a directory of its own (e.g. /run/smime-milter, "
		    "systemd RuntimeDirectory=)", dir, user);
		return -1;
	}
	(void)unlink(path);
	/* O_EXCL|O_NOFOLLOW: never write through a planted link. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) < 0) {
		snprintf(errbuf, errlen, "pid file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Readable by all whatever the socket umask: scripts signal us. */
	(void)fchmod(fd, 0644);
	if ((fp = fdopen(fd, "w")) == NULL) {
		snprintf(errbuf, errlen, "pid file %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0) {
		snprintf(errbuf, errlen, "pid file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
smf_pidfile_remove(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	/* Only our own: a newer instance may have replaced the file. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (strtol(buf, NULL, 10) == (long)getpid())
		(void)unlink(path);
}

int
smf_drop_privileges(const char *user, const char *unix_socket, char *errbuf,
    size_t errlen)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(errbuf, errlen, "user %s: no such user", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		snprintf(errbuf, errlen, "not started as root: cannot change "
		    "to user %s", user);
		return -1;
	}
	/* The MTA reaches the socket through the group; we own it. */
	if (unix_socket != NULL && chown(unix_socket, pw->pw_uid, pw->pw_gid)
	    != 0) {
		snprintf(errbuf, errlen, "chown %s: %s", unix_socket,
		    strerror(errno));
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(errbuf, errlen, "cannot change to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {	/* must be impossible now */
		snprintf(errbuf, errlen, "privileges could not be dropped");
		return -1;
	}
	return 0;
}

/* ---- reload worker ---- */

static struct {
	pthread_mutex_t	rl_lock;
	pthread_cond_t	rl_cond;
	unsigned int	rl_pending;
	bool		rl_quit;
	const char	*rl_path;
} smf_reloader = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    0, false, NULL };

static void *
smf_reload_thread(void *arg)
{
	char errbuf[2048];
	bool ok;

	(void)arg;
	pthread_mutex_lock(&smf_reloader.rl_lock);
	for (;;) {
		while (smf_reloader.rl_pending == 0 && !smf_reloader.rl_quit)
			pthread_cond_wait(&smf_reloader.rl_cond,
			    &smf_reloader.rl_lock);
		if (smf_reloader.rl_quit)
			break;
		smf_reloader.rl_pending = 0;
		pthread_mutex_unlock(&smf_reloader.rl_lock);
		ok = smf_runtime_reload(smf_reloader.rl_path, errbuf,
		    sizeof(errbuf));
		if (!ok)
			smf_log(LOG_ERR, NULL, "reload failed, keeping the "
			    "running configuration: %s", errbuf);
		smf_metrics_reload(ok);
		smf_notify("READY=1");
		pthread_mutex_lock(&smf_reloader.rl_lock);
	}
	pthread_mutex_unlock(&smf_reloader.rl_lock);
	return NULL;
}

static void *
smf_milter_thread(void *arg)
{
	int *status = arg;

	*status = smfi_main();
	/* Wake the main thread if libmilter stopped on its own. */
	kill(getpid(), SIGTERM);
	return NULL;
}

int
smf_run(const char *conf_path)
{
	pthread_t milter, reloader;
	char errbuf[1024];
	sigset_t set;
	int sig = 0, status = MI_FAILURE;
	bool stopping = false;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Threads inherit the mask: only sigwait() sees these signals. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	smf_reloader.rl_path = conf_path;
	/* Every thread is created here, after the mask (see above). */
	if (smf_httpd_start(errbuf, sizeof(errbuf)) != 0) {
		smf_log(LOG_ERR, NULL, "%s", errbuf);
		return -1;
	}
	if (smf_ops_start() != 0) {
		smf_log(LOG_ERR, NULL, "cannot start the operations thread");
		return -1;
	}
	if (pthread_create(&reloader, NULL, smf_reload_thread, NULL) != 0)
		return -1;
	if (pthread_create(&milter, NULL, smf_milter_thread, &status) != 0)
		return -1;
	/* The socket listens already: connections queue until served. */
	smf_notify("READY=1");
	while (!stopping) {
		if (sigwait(&set, &sig) != 0)
			continue;
		switch (sig) {
		case SIGHUP:
			smf_log(LOG_INFO, NULL, "SIGHUP: reloading %s",
			    conf_path);
			smf_notify("RELOADING=1");
			pthread_mutex_lock(&smf_reloader.rl_lock);
			smf_reloader.rl_pending++;
			pthread_cond_signal(&smf_reloader.rl_cond);
			pthread_mutex_unlock(&smf_reloader.rl_lock);
			break;
		default:
			stopping = true;
			break;
		}
	}
	smf_notify("STOPPING=1");
	smf_log(LOG_INFO, NULL, "%s: shutting down",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	(void)smfi_stop();
	pthread_join(milter, NULL);
	pthread_mutex_lock(&smf_reloader.rl_lock);
	smf_reloader.rl_quit = true;
	pthread_cond_signal(&smf_reloader.rl_cond);
	pthread_mutex_unlock(&smf_reloader.rl_lock);
	pthread_join(reloader, NULL);
	smf_ops_stop();
	smf_httpd_stop();
	return status == MI_SUCCESS ? 0 : -1;
}
