/*
 * signerinfo.h - verify the signers (SignerInfos) of one CMS SignedData
 * and judge each one (signerinfo.c): signature over the content,
 * certificate path, revocation, purpose, signer address against From.
 * Internal to the verifier; not part of the library API.
 */
#ifndef SMIME_SIGNERINFO_H
#define SMIME_SIGNERINFO_H

#include <stdbool.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/result.h"

struct smime_verifier;

/*
 * Results per message: beyond this many, one permerror ("too many
 * signatures") is added and nothing more is verified, so a message full
 * of signers cannot buy unbounded path validations.
 */
#define SMIME_VERIFY_MAX_RESULTS	16

/* Per-message state handed to the CMS layer. */
struct smime_vctx {
	const struct smime_verifier	*vc_v;
	struct smime_sigres_list	 vc_results;
	STACK_OF(X509_CRL)		*vc_crls;	/* NULL until needed */
	bool				 vc_crls_loaded;
	bool				 vc_full;	/* limit reached */
};

/*
 * Add one result for an entity we could not verify: result and reason,
 * part and from copied (either may be NULL).  Once the limit is reached
 * the (one) permerror for it is added instead.
 */
smime_status smime_vctx_add_plain(struct smime_vctx *vc,
    enum smime_result result, const char *reason, const char *part,
    const char *from);

/*
 * Verify every signer of cms over content (NULL: the content inside
 * cms) and add one result per signer.  part names the signed entity,
 * from is the RFC 5322 From address to match (NULL: none usable).
 * Returns SMIME_OK, SMIME_TEMPFAIL when content could not be read, or
 * SMIME_NORESOURCE.
 */
smime_status smime_signerinfo_verify(struct smime_vctx *vc,
    CMS_ContentInfo *cms, BIO *content, const char *part, const char *from,
    struct smime_err *err);

/*
 * X509_STORE lookup_crls callback: the store's own CRLs plus, during
 * the revocation pass of signerinfo.c, CRLs fetched for the current
 * certificate.  Installed on the verifier's store when fetching is on.
 */
STACK_OF(X509_CRL) *smime_signerinfo_lookup_crls(const X509_STORE_CTX *ctx,
    const X509_NAME *nm);

#endif /* SMIME_SIGNERINFO_H */
