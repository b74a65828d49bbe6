/* daemon.h - process management for smime-milter. */
#ifndef SMF_DAEMON_H
#define SMF_DAEMON_H

#include "milter/smf.h"

/* Detach from the terminal (double fork, setsid). 0 or -1 with errno. */
int smf_daemonize(void);

/*
 * Write our pid to path (replacing a stale file, never following a
 * link).  When we run as root and will become user, the file's
 * directory must belong to user (it is created so when missing) so that
 * the file can still be removed at exit.  0, or -1 with the reason in
 * errbuf.
 */
int smf_pidfile_write(const char *path, const char *user, char *errbuf,
    size_t errlen);

/* Remove path if it still holds our pid (works after dropping root). */
void smf_pidfile_remove(const char *path);

/*
 * Become user (no-op when NULL/empty or already that user); a unix
 * socket is chowned first so the MTA's group can still reach it.
 * Returns 0, or -1 with the reason in errbuf.
 */
int smf_drop_privileges(const char *user, const char *unix_socket,
    char *errbuf, size_t errlen);

/*
 * Run the milter until SIGTERM/SIGINT, reloading conf_path on SIGHUP,
 * with the metrics listener (bound by smf_httpd_bind()) and the
 * watchdog/textfile thread beside it.  The socket must already be open.
 * Returns 0 or -1.
 */
int smf_run(const char *conf_path);

#endif /* SMF_DAEMON_H */
