/*
 * net.c - milter socket specs and internal_hosts address ranges.
 *
 * The socket spec is the libmilter one (inet:PORT@HOST, inet6:PORT@HOST,
 * unix:/path, local:/path); we only check its syntax so that a typo is a
 * config error with a line number rather than a failed smfi_main().
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conf/conf-int.h"

/* Host part of inet:/inet6: a numeric address or a DNS-style name. */
static bool
conf_check_host(const char *host, int family, char *why, size_t whylen)
{
	unsigned char addr[16];
	const char *p;

	if (inet_pton(family, host, addr) == 1)
		return true;
	if (host[0] == '[' && family == AF_INET6) {
		snprintf(why, whylen, "write the IPv6 address without "
		    "brackets: inet6:PORT@ADDRESS");
		return false;
	}
	for (p = host; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			break;
	}
	if (host[0] == '\0' || *p != '\0' || host[0] == '-' ||
	    host[0] == '.') {
		snprintf(why, whylen, "\"%s\" is not a host name or %s "
		    "address", host, family == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	return true;
}

/* "PORT[@HOST]" after inet: or inet6:. */
static bool
conf_check_inet(const char *spec, const char *rest, int family, char *why,
    size_t whylen)
{
	const char *at = strchr(rest, '@');
	char *end;
	unsigned long port;

	if (rest[0] < '0' || rest[0] > '9') {
		snprintf(why, whylen, "bad socket \"%s\": expected a port "
		    "number after the colon (inet:8895@127.0.0.1)", spec);
		return false;
	}
	port = strtoul(rest, &end, 10);
	if (port == 0 || port > 65535 || (end != at && *end != '\0')) {
		snprintf(why, whylen, "bad socket \"%s\": port must be a "
		    "number from 1 to 65535", spec);
		return false;
	}
	if (at == NULL)
		return true;	/* libmilter listens on every address */
	if (!conf_check_host(at + 1, family, why, whylen)) {
		char host[256];

		snprintf(host, sizeof(host), "%s", why);
		snprintf(why, whylen, "bad socket \"%s\": %s", spec, host);
		return false;
	}
	return true;
}

/*
 * Check a libmilter socket spec; false with the reason in why.  A unix
 * socket path must be absolute and fit into sun_path.
 */
bool
conf_check_socket(const char *spec, char *why, size_t whylen)
{
	struct sockaddr_un sun;
	const char *path = NULL;

	if (strncasecmp(spec, "inet:", 5) == 0)
		return conf_check_inet(spec, spec + 5, AF_INET, why, whylen);
	if (strncasecmp(spec, "inet6:", 6) == 0)
		return conf_check_inet(spec, spec + 6, AF_INET6, why, whylen);
	if (strncasecmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncasecmp(spec, "local:", 6) == 0)
		path = spec + 6;
	if (path == NULL) {
		snprintf(why, whylen, "bad socket \"%s\": expected "
		    "inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH or "
		    "local:/PATH", spec);
		return false;
	}
	if (path[0] != '/') {
		snprintf(why, whylen, "bad socket \"%s\": the socket path "
		    "must be absolute", spec);
		return false;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "bad socket \"%s\": path longer than "
		    "%zu bytes", spec, sizeof(sun.sun_path) - 1);
		return false;
	}
	return true;
}

/*
 * Check metrics_listen: inet:PORT[@ADDRESS] or inet6:PORT[@ADDRESS] with
 * a numeric address (the listener binds exactly there; without one it
 * binds loopback, unlike the milter socket).  False with why.
 */
bool
conf_check_listen(const char *spec, char *why, size_t whylen)
{
	unsigned char addr[16];
	const char *at;
	int family;

	if (strncasecmp(spec, "inet:", 5) == 0)
		family = AF_INET;
	else if (strncasecmp(spec, "inet6:", 6) == 0)
		family = AF_INET6;
	else {
		snprintf(why, whylen, "bad listener \"%s\": expected "
		    "inet:PORT@ADDRESS or inet6:PORT@ADDRESS "
		    "(e.g. inet:8895@127.0.0.1)", spec);
		return false;
	}
	if (!conf_check_inet(spec, strchr(spec, ':') + 1, family, why, whylen))
		return false;
	if ((at = strchr(spec, '@')) != NULL &&
	    inet_pton(family, at + 1, addr) != 1) {
		snprintf(why, whylen, "bad listener \"%s\": give a numeric "
		    "%s address after '@'", spec, family == AF_INET ? "IPv4" :
		    "IPv6");
		return false;
	}
	return true;
}

/* Zero the bits of addr beyond prefix; true if any were set. */
static bool
conf_mask(unsigned char *addr, size_t len, unsigned int prefix)
{
	bool had = false;
	size_t i;
	unsigned char keep;

	for (i = 0; i < len; i++) {
		if (prefix >= 8 * (i + 1))
			continue;
		keep = prefix <= 8 * i ? 0 :
		    (unsigned char)(0xff << (8 - (prefix - 8 * i)));
		if (addr[i] & ~keep)
			had = true;
		addr[i] &= keep;
	}
	return had;
}

/*
 * Parse "ADDRESS[/PREFIX]" (IPv4 or IPv6) into out.  Host bits beyond
 * the prefix are cleared and reported through *hostbits.  False with a
 * reason in why when text is not such a range.
 */
bool
conf_parse_cidr(const char *text, struct conf_cidr *out, bool *hostbits,
    char *why, size_t whylen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long prefix;
	unsigned int max;

	memset(out, 0, sizeof(*out));
	*hostbits = false;
	if (strlen(text) >= sizeof(buf)) {
		snprintf(why, whylen, "\"%.60s...\" is too long for an "
		    "address", text);
		return false;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, out->cidr_addr) == 1) {
		out->cidr_family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->cidr_addr) == 1) {
		out->cidr_family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, whylen, "\"%s\" is not an IPv4 or IPv6 "
		    "address", buf);
		return false;
	}
	prefix = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9' ||
		    (prefix = strtoul(slash, &end, 10)) > max || *end != '\0') {
			snprintf(why, whylen, "\"%s\": prefix length must be "
			    "0..%u", text, max);
			return false;
		}
	}
	out->cidr_prefix = (unsigned int)prefix;
	*hostbits = conf_mask(out->cidr_addr, max / 8, out->cidr_prefix);
	return true;
}

/* Write cidr as "ADDRESS/PREFIX" into buf. */
void
conf_format_cidr(const struct conf_cidr *cidr, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (inet_ntop(cidr->cidr_family, cidr->cidr_addr, addr,
	    sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, cidr->cidr_prefix);
}

/* True when the first prefix bits of a and b agree. */
static bool
conf_prefix_match(const unsigned char *a, const unsigned char *b,
    unsigned int prefix)
{
	unsigned int full = prefix / 8, rest = prefix % 8;
	unsigned char mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Match one address of family against every configured range. */
static bool
conf_match_any(const struct smime_conf *conf, int family,
    const unsigned char *addr)
{
	const struct conf_cidr *c;
	size_t i;

	for (i = 0; i < conf->cf_ninternal_hosts; i++) {
		c = &conf->cf_internal_hosts[i];
		if (c->cidr_family == family &&
		    conf_prefix_match(c->cidr_addr, addr, c->cidr_prefix))
			return true;
	}
	return false;
}

bool
conf_host_is_internal(const struct smime_conf *conf, const char *addr)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	unsigned char bin[16], v6[16];
	char buf[INET6_ADDRSTRLEN + 8], *p;
	bool ret = false;

	if (conf == NULL || addr == NULL)
		goto out;
	if (strncasecmp(addr, "IPv6:", 5) == 0)
		addr += 5;
	if (addr[0] == '[')
		addr++;
	if (strlen(addr) >= sizeof(buf))
		goto out;
	snprintf(buf, sizeof(buf), "%s", addr);
	if ((p = strpbrk(buf, "]%")) != NULL)
		*p = '\0';	/* closing bracket, zone id */
	if (inet_pton(AF_INET, buf, bin) == 1) {
		/* an IPv4 client also matches ::ffff:a.b.c.d/N ranges */
		memcpy(v6, mapped, sizeof(mapped));
		memcpy(v6 + 12, bin, 4);
		ret = conf_match_any(conf, AF_INET, bin) ||
		    conf_match_any(conf, AF_INET6, v6);
	} else if (inet_pton(AF_INET6, buf, bin) == 1) {
		ret = conf_match_any(conf, AF_INET6, bin) ||
		    (memcmp(bin, mapped, sizeof(mapped)) == 0 &&
		    conf_match_any(conf, AF_INET, bin + 12));
	}
out:
	return ret;
}
