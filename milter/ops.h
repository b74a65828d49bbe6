/*
 * ops.h - the daemon's operations side: the metrics/health HTTP listener
 * (httpd.c, libmicrohttpd), service manager notifications (notify.c,
 * libsystemd's sd_notify) and the thread that pings the systemd watchdog
 * and writes the metrics textfile (ops.c).  Optional parts have a stub
 * file chosen by configure (httpd-none.c, notify-none.c).
 */
#ifndef SMF_OPS_H
#define SMF_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- httpd.c ---- */

/*
 * Bind and listen on spec (metrics_listen: inet:PORT[@ADDR] or
 * inet6:PORT[@ADDR]; no address means loopback).  Done before detaching
 * and dropping root, so that a bad address is a start-up error.  0, or
 * -1 with the reason in why.
 */
int smf_httpd_bind(const char *spec, char *why, size_t whylen);

/*
 * Serve GET /metrics (the exposition format) and GET /healthz (200 "ok
 * ..." or 503 with the reason) on the bound socket, in libmicrohttpd's
 * threads.  Call after detaching.  0 or -1 with why.
 */
int smf_httpd_start(char *why, size_t whylen);

/* Stop serving and close the socket; a no-op when not started. */
void smf_httpd_stop(void);

/* ---- notify.c ---- */

/*
 * Send state ("READY=1", "WATCHDOG=1", "STOPPING=1", "RELOADING=1") to
 * the service manager when NOTIFY_SOCKET is set; otherwise nothing.
 */
void smf_notify(const char *state);

/*
 * The watchdog interval systemd asked for (WatchdogSec=, through
 * WATCHDOG_USEC for this process), in microseconds; 0 when none.
 */
uint64_t smf_notify_watchdog_usec(void);

/* ---- ops.c ---- */

/*
 * Start the thread that, while the daemon runs, probes our own milter
 * socket and sends WATCHDOG=1 only when it answers (twice per watchdog
 * interval), and rewrites metrics_textfile every metrics_interval
 * seconds (settings of the current runtime).  0 or -1.
 */
int smf_ops_start(void);

/* Stop that thread (writing the textfile a last time); no-op if none. */
void smf_ops_stop(void);

#endif /* SMF_OPS_H */
