/*
 * fuzz_verifier.c - the verifier pair of the fuzz targets (see
 * fz_verifiers_init() in fuzz_msg.h).  Its own object, so that targets
 * that never verify do not link (and trace) the verifier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smime/verify.h"
#include "test/fuzz/fuzz_msg.h"

static struct smime_verifier *fz_vmem, *fz_vdisk;

const char *
fz_pki_file(const char *who, const char *file, char *buf, size_t size)
{
	const char *pki = getenv("FUZZ_PKI");

	if (pki == NULL) {
		fprintf(stderr, "%s: set FUZZ_PKI to a test PKI dir\n", who);
		exit(1);
	}
	snprintf(buf, size, "%s/%s", pki, file);
	return buf;
}

void
fz_verify_opts(struct smime_verify_opts *vo, const char *who,
    bool intermediates)
{
	static char trust[4096], chain[4096];

	memset(vo, 0, sizeof(*vo));
	vo->vo_trust_anchors = fz_pki_file(who, "trust.pem", trust,
	    sizeof(trust));
	if (intermediates)
		vo->vo_intermediates = fz_pki_file(who, "chain.pem", chain,
		    sizeof(chain));
	vo->vo_authserv_id = "mx.fuzz.example";
	vo->vo_ocsp_timeout = 1;
}

void
fz_verifiers_init(struct smime_verify_opts *vo, const char *who)
{
	struct smime_err err;

	vo->vo_spool_memory = FZ_SPOOL_MEM;
	if ((fz_vmem = smime_verifier_new(vo, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", who, smime_err_get0(&err));
		exit(1);
	}
	vo->vo_spool_memory = FZ_SPOOL_DISK;
	if ((fz_vdisk = smime_verifier_new(vo, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", who, smime_err_get0(&err));
		exit(1);
	}
}

struct smime_verifier *
fz_verifier_for(const uint8_t *data, size_t size)
{
	return fz_on_disk(data, size) ? fz_vdisk : fz_vmem;
}
