/*
 * httpd.c - the metrics_listen HTTP listener, served by libmicrohttpd:
 * GET /metrics (Prometheus text format 0.0.4) and GET /healthz.
 *
 * We create and bind the socket ourselves before the daemon detaches
 * and drops root (so a privileged port or a bad address fails at
 * start-up), and hand it to libmicrohttpd with MHD_OPTION_LISTEN_SOCKET
 * after detaching (its threads would not survive the fork).  A thread per
 * connection, at most SMF_HTTPD_MAXCONN of them, each bounded by a
 * timeout: /healthz may wait for the milter probe, /metrics must not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "milter/health.h"
#include "milter/metrics.h"
#include "milter/ops.h"

#define SMF_HTTPD_MAXCONN	8
#define SMF_HTTPD_TIMEOUT	10	/* seconds per connection */

static struct {
	int			 hd_fd;
	struct MHD_Daemon	*hd_daemon;
} smf_httpd = { -1, NULL };

int
smf_httpd_bind(const char *spec, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const char *rest, *at;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned long port;
	socklen_t slen;
	int family, fd = -1, one = 1;
	void *addr;

	memset(&ss, 0, sizeof(ss));
	if (strncasecmp(spec, "inet6:", 6) == 0)
		family = AF_INET6, rest = spec + 6;
	else if (strncasecmp(spec, "inet:", 5) == 0)
		family = AF_INET, rest = spec + 5;
	else
		goto bad;
	port = strtoul(rest, NULL, 10);
	at = strchr(rest, '@');
	snprintf(host, sizeof(host), "%s", at != NULL ? at + 1 :
	    family == AF_INET6 ? "::1" : "127.0.0.1");
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		addr = &sin6->sin6_addr;
		slen = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		addr = &sin->sin_addr;
		slen = sizeof(*sin);
	}
	if (port == 0 || port > 65535 || inet_pton(family, host, addr) != 1)
		goto bad;
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto syserr;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) != 0 ||
	    listen(fd, 16) != 0)
		goto syserr;
	smf_httpd.hd_fd = fd;
	return 0;
bad:
	snprintf(why, whylen, "metrics_listen \"%s\": expected "
	    "inet:PORT[@ADDRESS] or inet6:PORT[@ADDRESS]", spec);
	return -1;
syserr:
	snprintf(why, whylen, "metrics_listen %s: %s", spec, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Queue a response of len bytes of data (taken over, freed by MHD). */
static enum MHD_Result
smf_httpd_reply(struct MHD_Connection *conn, unsigned int status,
    const char *type, char *data, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(data);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A short text answer (errors, /healthz). */
static enum MHD_Result
smf_httpd_text(struct MHD_Connection *conn, unsigned int status,
    const char *text)
{
	size_t len = strlen(text);
	char *copy;

	if ((copy = malloc(len + 2)) == NULL)
		return MHD_NO;
	snprintf(copy, len + 2, "%s\n", text);
	return smf_httpd_reply(conn, status, "text/plain; charset=utf-8", copy,
	    len + 1);
}

static enum MHD_Result
smf_httpd_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct smf_buf b = { NULL, 0, 0, false };
	char why[1024];
	bool ok;

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return smf_httpd_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET and HEAD");
	if (*upload_data_size != 0)
		return smf_httpd_text(conn, MHD_HTTP_BAD_REQUEST,
		    "no request body expected");
	if (strcmp(url, "/metrics") == 0) {
		smf_metrics_render(&b, time(NULL));
		if (b.sb_failed) {
			smf_buf_free(&b);
			return smf_httpd_text(conn,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		}
		return smf_httpd_reply(conn, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", b.sb_data,
		    b.sb_len);
	}
	if (strcmp(url, "/healthz") == 0) {
		ok = smf_health_daemon(true, why, sizeof(why));
		return smf_httpd_text(conn, ok ? MHD_HTTP_OK :
		    MHD_HTTP_SERVICE_UNAVAILABLE, why);
	}
	return smf_httpd_text(conn, MHD_HTTP_NOT_FOUND,
	    "not found (try /metrics or /healthz)");
}

int
smf_httpd_start(char *why, size_t whylen)
{
	if (smf_httpd.hd_fd < 0)
		return 0;
	smf_httpd.hd_daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, smf_httpd_handler,
	    NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)smf_httpd.hd_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SMF_HTTPD_MAXCONN,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SMF_HTTPD_TIMEOUT,
	    MHD_OPTION_END);
	if (smf_httpd.hd_daemon == NULL) {
		snprintf(why, whylen, "metrics listener: libmicrohttpd did not "
		    "start");
		return -1;
	}
	return 0;
}

void
smf_httpd_stop(void)
{
	if (smf_httpd.hd_daemon != NULL) {
		/* MHD closes the listen socket it was given. */
		MHD_stop_daemon(smf_httpd.hd_daemon);
		smf_httpd.hd_daemon = NULL;
		smf_httpd.hd_fd = -1;
	}
	if (smf_httpd.hd_fd >= 0) {
		close(smf_httpd.hd_fd);
		smf_httpd.hd_fd = -1;
	}
}
