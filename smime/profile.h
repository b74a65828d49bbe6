/*
 * profile.h - the certificate profile a Japanese campaign CA asks for:
 * CN, O, OU (title), L, ST (prefecture), C and the e-mail address, all
 * checked before a CSR or CMP request is built so that the admin gets a
 * clear message instead of a rejection from the CA ten days later.
 */
#ifndef SMIME_PROFILE_H
#define SMIME_PROFILE_H

#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

/* Strings are borrowed UTF-8; NULL or "" means "not given". */
struct smime_profile {
	const char	*pr_cn;		/* party or legal name, required */
	const char	*pr_o;		/* legal name or party, required */
	const char	*pr_ou;		/* title (衆議院議員候補), optional */
	const char	*pr_l;		/* city, optional */
	const char	*pr_st;		/* prefecture, required when C=JP */
	const char	*pr_c;		/* ISO 3166 alpha-2, required */
	const char	*pr_email;	/* SAN rfc822Name, required */
	bool		 pr_dn_email;	/* also put emailAddress in the DN */
};

/* Called once per non-fatal finding (unknown prefecture). */
typedef void smime_profile_warn_fn(void *arg, const char *msg);

/*
 * Check every field of p.  All problems are reported, joined by "; ",
 * in err ("C: must be two upper-case letters (ISO 3166), got \"jp\"").
 * warn (may be NULL) receives warnings.  Returns SMIME_OK or SMIME_SYNTAX.
 */
smime_status smime_profile_check(const struct smime_profile *p,
    smime_profile_warn_fn *warn, void *warnarg, struct smime_err *err);

/*
 * Check that addr is a plain dot-atom address usable as rfc822Name and as
 * a directory name in the store (ASCII, no '/', local part <= 64,
 * whole <= 254).  Returns SMIME_OK or SMIME_SYNTAX with the reason.
 */
smime_status smime_profile_check_email(const char *addr,
    struct smime_err *err);

/*
 * True when st names one of the 47 prefectures, in kanji (東京都) or
 * romaji (Tokyo, tokyo-to, Tōkyō), ignoring ASCII case.
 */
bool smime_profile_is_prefecture(const char *st);

/*
 * Build the subject DN of a checked profile (C, ST, L, O, OU, CN
 * [, emailAddress]); every DirectoryString is a UTF8String whatever the
 * process-wide string mask says.  *out is a new X509_NAME the caller frees.
 */
smime_status smime_profile_name(const struct smime_profile *p,
    X509_NAME **out, struct smime_err *err);

/*
 * Build the extensions an S/MIME signing certificate request carries:
 * subjectAltName email, keyUsage and extendedKeyUsage emailProtection.
 * key_encipherment adds keyEncipherment (RSA keys).  Caller frees *out
 * with sk_X509_EXTENSION_pop_free(..., X509_EXTENSION_free).
 */
smime_status smime_profile_extensions(const struct smime_profile *p,
    bool key_encipherment, STACK_OF(X509_EXTENSION) **out,
    struct smime_err *err);

#endif /* SMIME_PROFILE_H */
