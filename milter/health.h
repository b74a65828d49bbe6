/*
 * health.h - is the daemon fit to take mail?
 *
 * Three things make it unfit (smime-milter(8), HEALTH):
 *  1. it does not answer the milter protocol on its socket (checked by
 *     speaking it: option negotiation, then quit);
 *  2. signing is configured but no identity is usable (all expired, not
 *     yet valid or marked revoked, or none loaded);
 *  3. the last health_tempfail_limit messages were all temp-failed.
 * The daemon answers for itself on /healthz (httpd.c) and its watchdog
 * thread pings systemd only while 1 holds (notify.c); "smime-milter
 * --health" asks it from outside.
 */
#ifndef SMF_HEALTH_H
#define SMF_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf/conf.h"

struct smf_runtime;
struct smime_idstore;

/* Identities of a runtime, as of a given time. */
struct smf_idsum {
	size_t	is_loaded;
	size_t	is_usable;	/* valid at now, not marked revoked */
	bool	is_have_expiry;	/* is_earliest is set */
	time_t	is_earliest;	/* earliest notAfter, revoked ones left out */
};

/* Summarise the identities of ids as of now (seconds since 1970;
 * identities.c). */
void smf_identity_summary(const struct smime_idstore *ids, time_t now,
    struct smf_idsum *out);

/*
 * True when conf asks for signing: mode has "s" and sign.identities or
 * sign.store is set.  Only then is "no usable identity" a failure.
 */
bool smf_signing_configured(const struct smime_conf *conf);

/*
 * Speak the milter protocol to spec (libmilter syntax; an inet socket
 * without a host, or with 0.0.0.0 / ::, is reached on loopback):
 * connect, negotiate (version 6, offering every action), quit.  The whole
 * exchange is bounded by timeout_ms.  0 when the filter answered, else
 * -1 with the reason in why.
 */
int smf_milter_probe(const char *spec, int timeout_ms, char *why,
    size_t whylen);

/* Remember the socket the daemon listens on, for smf_health_daemon(). */
void smf_health_set_socket(const char *spec);

/* Probe the remembered socket; false with "milter socket ..." in why. */
bool smf_health_daemon_probe(int timeout_ms, char *why, size_t whylen);

/*
 * The daemon's own verdict (for /healthz and the watchdog): probe our
 * socket when probe is true, then check identities and the temp-fail
 * streak of the current runtime.  True when healthy; why gets "ok ..." or
 * the reason, one line.
 */
bool smf_health_daemon(bool probe, char *why, size_t whylen);

/*
 * smime-milter --health: load conf_path (without keys), probe the milter
 * socket (socket_override when not NULL), then ask the daemon's /healthz
 * when metrics_listen is set, else check the identities from the files.
 * Prints one line to stdout; returns 0 (healthy) or 1.
 */
int smf_health_main(const char *conf_path, const char *socket_override);

#endif /* SMF_HEALTH_H */
