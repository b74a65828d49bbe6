/*
 * ops.c - one background thread for periodic operations work:
 *  - the systemd watchdog: every half interval it speaks the milter
 *    protocol to our own socket (health.c) and sends WATCHDOG=1 only when
 *    that answered, so that a daemon whose milter loop hangs is killed
 *    and restarted by systemd (WatchdogSec=, Restart=);
 *  - metrics_textfile: rewritten every metrics_interval seconds.
 * Settings are read from the current runtime at every tick, so a reload
 * changes the textfile path or interval.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "milter/health.h"
#include "milter/metrics.h"
#include "milter/ops.h"
#include "milter/smf.h"

static struct {
	pthread_mutex_t	 op_lock;
	pthread_cond_t	 op_cond;
	pthread_t	 op_thread;
	bool		 op_running;
	bool		 op_quit;
	uint64_t	 op_watchdog_us;
	bool		 op_watchdog_failing;	/* logged once per episode */
	bool		 op_textfile_failing;
} smf_ops = { .op_lock = PTHREAD_MUTEX_INITIALIZER,
    .op_cond = PTHREAD_COND_INITIALIZER };

static int64_t
smf_ops_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Probe our socket; WATCHDOG=1 when it answered. */
static void
smf_ops_watchdog(void)
{
	char why[512];
	int timeout_ms = (int)(smf_ops.op_watchdog_us / 4000);

	if (timeout_ms > 5000)
		timeout_ms = 5000;
	if (timeout_ms < 100)
		timeout_ms = 100;
	if (smf_health_daemon_probe(timeout_ms, why, sizeof(why))) {
		smf_notify("WATCHDOG=1");
		if (smf_ops.op_watchdog_failing)
			smf_log(LOG_NOTICE, NULL, "watchdog: milter socket "
			    "answers again");
		smf_ops.op_watchdog_failing = false;
	} else if (!smf_ops.op_watchdog_failing) {
		smf_log(LOG_ERR, NULL, "watchdog: %s; not telling systemd "
		    "we are alive", why);
		smf_ops.op_watchdog_failing = true;
	}
}

/* Write the textfile named by the current runtime, if any. */
static void
smf_ops_textfile(unsigned int *interval)
{
	struct smf_runtime *rt = smf_runtime_acquire();
	char errbuf[1024];
	int rc;

	*interval = 15;
	if (rt == NULL)
		return;
	*interval = rt->rt_conf->cf_metrics_interval;
	if (rt->rt_conf->cf_metrics_textfile != NULL) {
		rc = smf_metrics_write_textfile(rt->rt_conf->cf_metrics_textfile,
		    errbuf, sizeof(errbuf));
		if (rc != 0 && !smf_ops.op_textfile_failing)
			smf_log(LOG_ERR, NULL, "metrics_textfile: %s", errbuf);
		smf_ops.op_textfile_failing = rc != 0;
	}
	smf_runtime_release(rt);
}

static void *
smf_ops_thread(void *arg)
{
	int64_t now, next_wd = 0, next_tf = 0, wait_ms;
	unsigned int interval = 15;
	struct timespec until;

	(void)arg;
	pthread_mutex_lock(&smf_ops.op_lock);
	while (!smf_ops.op_quit) {
		pthread_mutex_unlock(&smf_ops.op_lock);
		now = smf_ops_now_ms();
		if (smf_ops.op_watchdog_us > 0 && now >= next_wd) {
			smf_ops_watchdog();
			next_wd = now + (int64_t)(smf_ops.op_watchdog_us / 2000);
		}
		if (now >= next_tf) {
			smf_ops_textfile(&interval);
			next_tf = now + (int64_t)interval * 1000;
		}
		now = smf_ops_now_ms();
		wait_ms = next_tf - now;
		if (smf_ops.op_watchdog_us > 0 && next_wd - now < wait_ms)
			wait_ms = next_wd - now;
		if (wait_ms < 10)
			wait_ms = 10;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (wait_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&smf_ops.op_lock);
		if (!smf_ops.op_quit)
			(void)pthread_cond_timedwait(&smf_ops.op_cond,
			    &smf_ops.op_lock, &until);
	}
	pthread_mutex_unlock(&smf_ops.op_lock);
	smf_ops_textfile(&interval);
	return NULL;
}

int
smf_ops_start(void)
{
	smf_ops.op_watchdog_us = smf_notify_watchdog_usec();
	smf_ops.op_quit = false;
	if (pthread_create(&smf_ops.op_thread, NULL, smf_ops_thread, NULL) != 0)
		return -1;
	smf_ops.op_running = true;
	if (smf_ops.op_watchdog_us > 0)
		smf_log(LOG_INFO, NULL, "systemd watchdog every %llu ms",
		    (unsigned long long)(smf_ops.op_watchdog_us / 1000));
	return 0;
}

void
smf_ops_stop(void)
{
	if (!smf_ops.op_running)
		return;
	pthread_mutex_lock(&smf_ops.op_lock);
	smf_ops.op_quit = true;
	pthread_cond_signal(&smf_ops.op_cond);
	pthread_mutex_unlock(&smf_ops.op_lock);
	pthread_join(smf_ops.op_thread, NULL);
	smf_ops.op_running = false;
}
