/*
 * health.c - the three health conditions of health.h, the milter
 * protocol probe that checks the first, and "smime-milter --health".
 *
 * The probe is the MTA's side of the first exchange of the milter
 * protocol (Sendmail's libmilter/docs, Postfix's milter8.c): a packet is
 * a 4-byte big-endian length, a command byte and its data.  We send
 * SMFIC_OPTNEG (version, actions, protocol steps), expect SMFIC_OPTNEG
 * back and send SMFIC_QUIT.  That exercises the listener and one worker
 * thread of libmilter, which is what a wedged daemon no longer does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "milter/health.h"
#include "milter/metrics.h"
#include "milter/smf.h"

/* A deadline in milliseconds of CLOCK_MONOTONIC. */
static int64_t
smf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
smf_signing_configured(const struct smime_conf *conf)
{
	return conf->cf_mode_sign && (conf->cf_nidentities > 0 ||
	    conf->cf_sign_store != NULL);
}

/* ---- connecting ---- */

/*
 * Connect to host:port (host NULL, empty, 0.0.0.0 or ::: loopback of
 * that family) or to a unix path, waiting until deadline.  The socket
 * is left non-blocking.  fd, or -1 with why.
 */
static int
smf_connect(const char *path, const char *host, const char *port,
    int family, int64_t deadline, char *why, size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	struct pollfd pfd;
	socklen_t elen;
	int fd = -1, err = 0, rc, wait_ms;

	if (path != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path)) {
			snprintf(why, whylen, "%s: path too long", path);
			return -1;
		}
		memcpy(sun.sun_path, path, strlen(path));
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) < 0 ||
		    (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 &&
		    errno != EINPROGRESS && errno != EAGAIN)) {
			snprintf(why, whylen, "connect %s: %s", path,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	if (host == NULL || *host == '\0' || strcmp(host, "0.0.0.0") == 0 ||
	    strcmp(host, "::") == 0)
		host = family == AF_INET6 ? "::1" : "127.0.0.1";
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol)) < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			wait_ms = (int)(deadline - smf_now_ms());
			pfd.fd = fd;
			pfd.events = POLLOUT;
			elen = sizeof(err);
			if (wait_ms > 0 && poll(&pfd, 1, wait_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen)
			    == 0 && err == 0)
				break;
			if (err == EINPROGRESS)
				err = ETIMEDOUT;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(why, whylen, "connect %s port %s: %s", host, port,
		    strerror(err != 0 ? err : ECONNREFUSED));
	return fd;
}

/* Move all of buf to fd before deadline; 0 or -1 with why. */
static int
smf_send_all(int fd, const void *buf, size_t len, int64_t deadline,
    char *why, size_t whylen)
{
	const unsigned char *p = buf;
	struct pollfd pfd = { fd, POLLOUT, 0 };
	ssize_t n;
	int wait_ms;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(why, whylen, "send: %s", strerror(errno));
			return -1;
		}
		if ((wait_ms = (int)(deadline - smf_now_ms())) <= 0 ||
		    poll(&pfd, 1, wait_ms) < 1) {
			snprintf(why, whylen, "send: timed out");
			return -1;
		}
	}
	return 0;
}

/*
 * Read exactly len bytes (or, when some is true, whatever arrives up to
 * len and the end of the stream) before deadline.  Bytes read, or -1.
 */
static ssize_t
smf_recv(int fd, void *buf, size_t len, bool some, int64_t deadline,
    char *why, size_t whylen)
{
	unsigned char *p = buf;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t n;
	int wait_ms;

	while (got < len) {
		n = recv(fd, p + got, len - got, 0);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			if (some)
				return (ssize_t)got;
			snprintf(why, whylen, "connection closed after %zu "
			    "bytes", got);
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(why, whylen, "recv: %s", strerror(errno));
			return -1;
		}
		if ((wait_ms = (int)(deadline - smf_now_ms())) <= 0 ||
		    poll(&pfd, 1, wait_ms) < 1) {
			snprintf(why, whylen, "no answer within the time limit");
			return -1;
		}
	}
	return (ssize_t)got;
}

/* Put a milter packet (cmd and len bytes of data) into out. */
static size_t
smf_packet(unsigned char *out, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(out, &n, 4);
	out[4] = (unsigned char)cmd;
	if (len > 0)
		memcpy(out + 5, data, len);
	return len + 5;
}

/* Split a libmilter spec into a unix path or family/host/port. */
static bool
smf_split_spec(const char *spec, char *path, size_t pathlen, char *host,
    size_t hostlen, char *port, size_t portlen, int *family, char *why,
    size_t whylen)
{
	const char *rest = NULL, *at;

	path[0] = host[0] = port[0] = '\0';
	*family = AF_INET;
	if (strncasecmp(spec, "unix:", 5) == 0 ||
	    strncasecmp(spec, "local:", 6) == 0 || spec[0] == '/') {
		snprintf(path, pathlen, "%s", spec[0] == '/' ? spec :
		    strchr(spec, ':') + 1);
		return true;
	}
	if (strncasecmp(spec, "inet:", 5) == 0)
		rest = spec + 5;
	else if (strncasecmp(spec, "inet6:", 6) == 0) {
		rest = spec + 6;
		*family = AF_INET6;
	}
	if (rest == NULL || rest[0] < '0' || rest[0] > '9') {
		snprintf(why, whylen, "bad socket \"%s\"", spec);
		return false;
	}
	at = strchr(rest, '@');
	snprintf(port, portlen, "%.*s", at != NULL ? (int)(at - rest) :
	    (int)strlen(rest), rest);
	if (at != NULL)
		snprintf(host, hostlen, "%s", at + 1);
	return true;
}

int
smf_milter_probe(const char *spec, int timeout_ms, char *why,
    size_t whylen)
{
	int64_t deadline = smf_now_ms() + timeout_ms;
	unsigned char pkt[32], hdr[5], sink[512];
	uint32_t neg[3], len;
	char path[256], host[256], port[16];
	int family, fd = -1, ret = -1;
	size_t n, left;

	if (!smf_split_spec(spec, path, sizeof(path), host, sizeof(host),
	    port, sizeof(port), &family, why, whylen))
		return -1;
	if ((fd = smf_connect(path[0] != '\0' ? path : NULL, host, port,
	    family, deadline, why, whylen)) < 0)
		return -1;
	neg[0] = htonl(SMFI_PROT_VERSION);
	neg[1] = htonl(SMFI_CURR_ACTS);
	neg[2] = htonl(SMFI_CURR_PROT);
	n = smf_packet(pkt, SMFIC_OPTNEG, neg, sizeof(neg));
	if (smf_send_all(fd, pkt, n, deadline, why, whylen) != 0 ||
	    smf_recv(fd, hdr, sizeof(hdr), false, deadline, why, whylen) < 0)
		goto out;
	memcpy(&len, hdr, 4);
	len = ntohl(len);
	if (hdr[4] != SMFIC_OPTNEG || len < 13 || len > 65536) {
		snprintf(why, whylen, "unexpected negotiation reply (command "
		    "0x%02x, %u bytes)", hdr[4], (unsigned int)len);
		goto out;
	}
	/* Version, actions, steps and any macro lists: read and drop. */
	for (left = len - 1; left > 0; left -= n) {
		n = left < sizeof(sink) ? left : sizeof(sink);
		if (smf_recv(fd, sink, n, false, deadline, why, whylen) < 0)
			goto out;
	}
	n = smf_packet(pkt, SMFIC_QUIT, NULL, 0);
	if (smf_send_all(fd, pkt, n, deadline, why, whylen) != 0)
		goto out;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* ---- the daemon's own verdict ---- */

static struct {
	char		hs_socket[512];
} smf_health_state;

void
smf_health_set_socket(const char *spec)
{
	snprintf(smf_health_state.hs_socket,
	    sizeof(smf_health_state.hs_socket), "%s", spec);
}

/* Conditions 2 and 3 for rt; false with the reason in why. */
static bool
smf_health_runtime(const struct smf_runtime *rt, const struct smf_idsum *sum,
    uint64_t streak, char *why, size_t whylen)
{
	const struct smime_conf *conf = rt->rt_conf;

	if (smf_signing_configured(conf) && sum->is_usable == 0) {
		snprintf(why, whylen, "no usable signing identity (%zu "
		    "loaded; expired, not yet valid or marked revoked)",
		    sum->is_loaded);
		return false;
	}
	if (conf->cf_health_tempfail_limit > 0 &&
	    streak >= conf->cf_health_tempfail_limit) {
		snprintf(why, whylen, "the last %llu messages were all "
		    "temp-failed (health_tempfail_limit = %u)",
		    (unsigned long long)streak, conf->cf_health_tempfail_limit);
		return false;
	}
	return true;
}

bool
smf_health_daemon_probe(int timeout_ms, char *why, size_t whylen)
{
	char reason[400];

	if (smf_milter_probe(smf_health_state.hs_socket, timeout_ms, reason,
	    sizeof(reason)) == 0)
		return true;
	snprintf(why, whylen, "milter socket %s not answering: %s",
	    smf_health_state.hs_socket, reason);
	return false;
}

bool
smf_health_daemon(bool probe, char *why, size_t whylen)
{
	struct smf_runtime *rt;
	struct smf_idsum sum;
	uint64_t streak;
	bool ok;

	if (probe && !smf_health_daemon_probe(5000, why, whylen))
		return false;
	if ((rt = smf_runtime_acquire()) == NULL) {
		snprintf(why, whylen, "no configuration loaded");
		return false;
	}
	smf_identity_summary(rt->rt_ids, time(NULL), &sum);
	streak = smf_metrics_tempfail_streak();
	ok = smf_health_runtime(rt, &sum, streak, why, whylen);
	if (ok)
		snprintf(why, whylen, "ok: %zu of %zu signing identities "
		    "usable, %llu temp-failed in a row", sum.is_usable,
		    sum.is_loaded, (unsigned long long)streak);
	smf_runtime_release(rt);
	return ok;
}

/* ---- smime-milter --health ---- */

/*
 * GET /healthz from the daemon's metrics_listen; true on HTTP 200.  The
 * first line of the body goes to why either way.
 */
static bool
smf_health_http(const char *listen, char *why, size_t whylen)
{
	int64_t deadline = smf_now_ms() + 10000;
	static const char req[] = "GET /healthz HTTP/1.0\r\n"
	    "Host: localhost\r\nUser-Agent: smime-milter --health\r\n\r\n";
	char path[8], host[256], port[16], resp[2048], *body, *eol;
	int family, fd, status = 0;
	ssize_t n;

	if (!smf_split_spec(listen, path, sizeof(path), host, sizeof(host),
	    port, sizeof(port), &family, why, whylen) || path[0] != '\0')
		return false;
	if ((fd = smf_connect(NULL, host, port, family, deadline, why,
	    whylen)) < 0)
		return false;
	if (smf_send_all(fd, req, sizeof(req) - 1, deadline, why, whylen) != 0 ||
	    (n = smf_recv(fd, resp, sizeof(resp) - 1, true, deadline, why,
	    whylen)) < 0) {
		close(fd);
		return false;
	}
	close(fd);
	resp[n] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(why, whylen, "/healthz: not an HTTP answer");
		return false;
	}
	body = strstr(resp, "\r\n\r\n");
	body = body != NULL ? body + 4 : resp + n;
	if ((eol = strpbrk(body, "\r\n")) != NULL)
		*eol = '\0';
	snprintf(why, whylen, "%s", *body != '\0' ? body : "(no text)");
	return status == 200;
}

/* The identities from the files, for --health without metrics_listen. */
static bool
smf_health_files(const struct smime_conf *conf, char *why, size_t whylen)
{
	struct smime_idstore *ids = NULL;
	struct smf_idsum sum;
	char errbuf[1024];

	if (!smf_signing_configured(conf)) {
		snprintf(why, whylen, "ok: signing not configured");
		return true;
	}
	if (conf_load_identities(conf, &ids, NULL, NULL, errbuf,
	    sizeof(errbuf)) != SMIME_OK) {
		snprintf(why, whylen, "signing identities: %.900s", errbuf);
		return false;
	}
	smf_identity_summary(ids, time(NULL), &sum);
	smime_idstore_free(ids);
	if (sum.is_usable == 0) {
		snprintf(why, whylen, "no usable signing identity (%zu "
		    "loaded; expired, not yet valid or marked revoked)",
		    sum.is_loaded);
		return false;
	}
	snprintf(why, whylen, "ok: %zu of %zu signing identities usable "
	    "(temp-fail streak not checked: metrics_listen is not set)",
	    sum.is_usable, sum.is_loaded);
	return true;
}

int
smf_health_main(const char *conf_path, const char *socket_override)
{
	struct smime_conf *conf;
	const char *spec;
	char errbuf[1024], why[2048];
	bool ok = false;

	if ((conf = conf_load(conf_path, errbuf, sizeof(errbuf), NULL,
	    NULL)) == NULL) {
		printf("%s: unhealthy: configuration: %s\n", SMF_PROGNAME,
		    errbuf);
		return 1;
	}
	spec = socket_override != NULL ? socket_override : conf->cf_socket;
	if (smf_milter_probe(spec, 5000, errbuf, sizeof(errbuf)) != 0)
		snprintf(why, sizeof(why), "milter socket %s not answering: "
		    "%s", spec, errbuf);
	else if (conf->cf_metrics_listen != NULL)
		ok = smf_health_http(conf->cf_metrics_listen, why, sizeof(why));
	else
		ok = smf_health_files(conf, why, sizeof(why));
	printf("%s: %s: %s\n", SMF_PROGNAME, ok ? "healthy" : "unhealthy",
	    why);
	conf_free(conf);
	return ok ? 0 : 1;
}
