/*
 * identities.c - what the loaded identities are worth now (health.h
 * smf_identity_summary): how many are loaded and usable, and the
 * earliest expiry.  Used by the health checks (health.c) and the metrics
 * (metrics.c); kept apart from both so that neither depends on the other
 * for it.
 */
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "milter/health.h"
#include "smime/identity.h"

/* ASN1_TIME to seconds since 1970; false when it cannot be read. */
static bool
smf_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = timegm(&tm);
	return true;
}

void
smf_identity_summary(const struct smime_idstore *ids, time_t now,
    struct smf_idsum *out)
{
	const struct smime_identity *id;
	time_t nb, na;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	n = ids != NULL ? smime_idstore_count(ids) : 0;
	for (i = 0; i < n; i++) {
		if ((id = smime_idstore_get0(ids, i)) == NULL)
			continue;
		out->is_loaded++;
		if (id->id_revoked || id->id_cert == NULL ||
		    !smf_asn1_time(X509_get0_notAfter(id->id_cert), &na) ||
		    !smf_asn1_time(X509_get0_notBefore(id->id_cert), &nb))
			continue;
		if (!out->is_have_expiry || na < out->is_earliest) {
			out->is_earliest = na;
			out->is_have_expiry = true;
		}
		if (nb <= now && now <= na && id->id_key != NULL)
			out->is_usable++;
	}
}
