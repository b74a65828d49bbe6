/* status.c - names of library status codes. */
#include "smime/smime.h"

static const char *const smime_status_names[SMIME_STATUS_COUNT] = {
	[SMIME_OK] = "success",
	[SMIME_NOSIG] = "no signature",
	[SMIME_BADSIG] = "bad signature",
	[SMIME_UNTRUSTED] = "untrusted certificate",
	[SMIME_EXPIRED] = "certificate expired or not yet valid",
	[SMIME_REVOKED] = "certificate revoked",
	[SMIME_POLICY] = "policy violation",
	[SMIME_SYNTAX] = "syntax error",
	[SMIME_UNSUPPORTED] = "unsupported",
	[SMIME_TEMPFAIL] = "temporary failure",
	[SMIME_BADKEY] = "unusable key",
	[SMIME_NORESOURCE] = "resource limit",
	[SMIME_LIMIT] = "input exceeds a limit",
	[SMIME_INTERNAL] = "internal error",
};

const char *
smime_strerror(smime_status status)
{
	if ((int)status < 0 || status >= SMIME_STATUS_COUNT)
		return "unknown status";
	return smime_status_names[status];
}
