/*
 * smime.h - public status codes of the smime-milter core library.
 *
 * The library takes bytes and settings and returns an smime_status; the
 * human-readable detail (including OpenSSL's drained error queue) lives in
 * a struct smime_err owned by the caller.  Nothing here logs or exits.
 */
#ifndef SMIME_SMIME_H
#define SMIME_SMIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum smime_status {
	SMIME_OK = 0,
	SMIME_NOSIG,		/* message carries no S/MIME signature */
	SMIME_BADSIG,		/* signature does not match the content */
	SMIME_UNTRUSTED,	/* no path to a configured trust anchor */
	SMIME_EXPIRED,		/* certificate outside its validity period */
	SMIME_REVOKED,		/* certificate revoked (CRL or OCSP) */
	SMIME_POLICY,		/* checks passed but policy says no (EKU, From) */
	SMIME_SYNTAX,		/* malformed input: MIME, CMS, base64, config */
	SMIME_UNSUPPORTED,	/* algorithm or structure we do not handle */
	SMIME_TEMPFAIL,		/* transient: I/O, OCSP responder unreachable */
	SMIME_BADKEY,		/* key unreadable, unsafe permissions, mismatch */
	SMIME_NORESOURCE,	/* out of memory */
	SMIME_LIMIT,		/* input over a configured size/count limit */
	SMIME_INTERNAL		/* a bug or an unexpected library failure */
} smime_status;

#define SMIME_STATUS_COUNT (SMIME_INTERNAL + 1)

/* Return a static, short English name for a status ("bad signature"). */
const char *smime_strerror(smime_status status);

#endif /* SMIME_SMIME_H */
