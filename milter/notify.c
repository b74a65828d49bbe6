/*
 * notify.c - sd_notify(3) from libsystemd: the daemon tells systemd
 * when it is ready (Type=notify), reloading, stopping, and alive
 * (WatchdogSec=).  Without NOTIFY_SOCKET these calls do nothing.
 */
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "milter/ops.h"

void
smf_notify(const char *state)
{
	(void)sd_notify(0, state);
}

uint64_t
smf_notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}
