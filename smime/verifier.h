/*
 * verifier.h - the verifier handle (struct smime_verifier): its settings
 * and trust, built by smime_verifier_new() (verify.c) and read by the
 * parts of the verifier (verify.c, signerinfo.c).  A type only: it
 * declares no functions, so including it creates no dependency on
 * verify.c.  Not part of the library API.
 */
#ifndef SMIME_VERIFIER_H
#define SMIME_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "smime/verify.h"

struct smime_crlset;
struct smime_ocsp_cache;
struct smime_crlfetch;
struct smime_aiafetch;

struct smime_verifier {
	X509_STORE		*v_store;
	STACK_OF(X509)		*v_intermediates;	/* never NULL */
	struct smime_crlset	*v_crls;	/* NULL: no CRL checks */
	struct smime_ocsp_cache	*v_ocsp;	/* NULL: no OCSP */
	unsigned int		 v_ocsp_timeout;
	struct smime_crlfetch	*v_fetch;	/* NULL: no CDP fetching */
	struct smime_aiafetch	*v_aia;		/* NULL: no caIssuers fetching */
	enum smime_revocation_scope v_revscope;
	enum smime_revocation_unavail v_revunavail;
	time_t			 v_time;	/* 0: now */
	bool			 v_allow_sha1;
	unsigned int		 v_min_rsa_bits;
	char			*v_authserv_id;
	bool			 v_signer_header;
	unsigned int		 v_max_depth;
	unsigned int		 v_max_parts;
	char			*v_tmpdir;	/* spool of opaque content */
	size_t			 v_spool_memory;
};

#endif /* SMIME_VERIFIER_H */
