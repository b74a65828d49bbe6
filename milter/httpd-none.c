/* httpd-none.c - built --without-libmicrohttpd: metrics_listen refused. */
#include <stdio.h>

#include "milter/ops.h"

int
smf_httpd_bind(const char *spec, char *why, size_t whylen)
{
	snprintf(why, whylen, "metrics_listen %s: smime-milter was built "
	    "without libmicrohttpd; use metrics_textfile", spec);
	return -1;
}

int
smf_httpd_start(char *why, size_t whylen)
{
	snprintf(why, whylen, "built without libmicrohttpd");
	return -1;
}

void
smf_httpd_stop(void)
{
}
