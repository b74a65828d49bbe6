/* notify-none.c - built --without-libsystemd: no service manager calls. */
#include "milter/ops.h"

void
smf_notify(const char *state)
{
	(void)state;
}

uint64_t
smf_notify_watchdog_usec(void)
{
	return 0;
}
