/*
 * fuzz_verifier.c - the verifier pair of the fuzz targets (see
 * fz_verifiers_init() in fuzz_msg.h).  Its own object, so that targets
 * that never verify do not link (and trace) the verifier.
 */
#include <stdio.h>
#include <stdlib.h>

#include "smime/verify.h"
#include "test/fuzz/fuzz_msg.h"

static struct smime_verifier *fz_vmem, *fz_vdisk;

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
