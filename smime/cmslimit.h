/*
 * cmslimit.h - bound a CMS structure before OpenSSL parses and processes
 * it.
 *
 * OpenSSL trusts the structure it is given: CMS_dataInit() builds one
 * chained digest BIO per digestAlgorithms entry (CPU grows with the
 * square of their number, stack depth with it), and every certificate,
 * CRL, SignerInfo and attribute costs parsing and checking time.  So the
 * DER (or BER) of a signature is read into memory up to a size limit and
 * walked here, with bounded recursion, counting what the limits below
 * bound, before d2i_CMS and CMS_dataInit see it.
 */
#ifndef SMIME_CMSLIMIT_H
#define SMIME_CMSLIMIT_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/cms.h>

#include "smime/smime.h"

/* Decoded size of one signature (application/pkcs7-* part body). */
#define SMIME_CMS_MAX_BYTES		(1024 * 1024)
/* Entries of SignedData.digestAlgorithms (one digest BIO each). */
#define SMIME_CMS_MAX_DIGEST_ALGS	8
/* SignerInfos of one SignedData. */
#define SMIME_CMS_MAX_SIGNERS		8
/* Certificates carried in SignedData.certificates. */
#define SMIME_CMS_MAX_CERTS		32
/* CRLs (and other revocation info) in SignedData.crls. */
#define SMIME_CMS_MAX_CRLS		8
/* Signed, and separately unsigned, attributes of one SignerInfo. */
#define SMIME_CMS_MAX_ATTRS		32
/* Values of one attribute (a SET OF AttributeValue). */
#define SMIME_CMS_MAX_ATTR_VALUES	8
/* Nesting of BER elements walked (indefinite lengths are walked). */
#define SMIME_CMS_MAX_DEPTH		32

/* What smime_cms_check() found. */
enum smime_cms_verdict {
	SMIME_CMS_WITHIN,	/* within every limit (maybe not SignedData) */
	SMIME_CMS_MALFORMED,	/* not a ContentInfo we can walk */
	SMIME_CMS_OVER		/* a limit is exceeded: permerror */
};

/*
 * Walk the BER/DER ContentInfo in der[0..len) without OpenSSL's CMS code
 * and check it against the limits above.  For SignedData every count is
 * checked; other content types only have to be a well-formed TLV.
 * On SMIME_CMS_OVER or SMIME_CMS_MALFORMED *reason is a static text
 * naming the limit or the problem ("too many digestAlgorithms").
 * Linear in len; recursion bounded by SMIME_CMS_MAX_DEPTH.
 */
enum smime_cms_verdict smime_cms_check(const unsigned char *der, size_t len,
    const char **reason);

/*
 * Read a decoded signature from in (at most SMIME_CMS_MAX_BYTES), check
 * it with smime_cms_check() and only then parse it.  On SMIME_OK *cms is
 * the parsed structure (caller frees) or NULL when the input is over a
 * limit (*limit names it: report permerror) or not a parsable CMS
 * structure (*limit NULL).  SMIME_NORESOURCE on allocation failure.
 */
smime_status smime_cms_read_bounded(BIO *in, CMS_ContentInfo **cms,
    const char **limit);

#endif /* SMIME_CMSLIMIT_H */
