/*
 * fuzz_verify.c - libFuzzer target for the verify path: a message as the
 * MTA hands it in, smime_verify_message(), Authentication-Results out.
 * The verifier trusts the test PKI in $FUZZ_PKI (test/pki layout), so that
 * seeds signed by it reach the certificate and signature checks.
 * Invariants: a result whenever the status is OK, our own A-R prepended,
 * the body never replaced, no header injection in the edits, and
 * smime=pass only for a message with one Content-Type field naming
 * multipart/signed or application/(x-)pkcs7-mime (the message result
 * describes the top-level entity, smime-milter(8)).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smime/verify.h"
#include "test/fuzz/fuzz_msg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct smime_verify_opts vo;

	(void)argc;
	(void)argv;
	fz_verify_opts(&vo, "fuzz_verify", false);
	vo.vo_signer_header = true;
	vo.vo_max_depth = 20;
	vo.vo_max_parts = 1000;
	fz_verifiers_init(&vo, "fuzz_verify");
	return 0;
}

/* True when the top level is one signed entity, as the rule demands. */
static bool
fz_top_signed(const struct smime_headers *hs)
{
	const char *ct = smime_headers_get0(hs, "Content-Type", 0);

	if (ct == NULL || smime_headers_count(hs, "Content-Type") != 1)
		return false;
	while (*ct == ' ' || *ct == '\t' || *ct == '\r' || *ct == '\n')
		ct++;
	return strncasecmp(ct, "multipart/signed", 16) == 0 ||
	    strncasecmp(ct, "application/pkcs7-mime", 22) == 0 ||
	    strncasecmp(ct, "application/x-pkcs7-mime", 24) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smime_headers hs;
	struct smime_spool *body;
	struct smime_edits ed;
	struct smime_err err;
	struct smime_verify_result res;
	enum smime_result worst;
	smime_status st;
	size_t i, nbad, npass;
	bool ours = false, outer;

	if (fz_message(data, size, &hs, &body) != 0)
		return 0;
	smime_edits_init(&ed);
	st = smime_verify_message(fz_verifier_for(data, size), &hs, body, &ed,
	    &res, &err);
	worst = res.vres_worst;
	if ((unsigned int)st >= SMIME_STATUS_COUNT)
		fz_fail("status out of range", NULL);
	if (ed.ed_body != NULL)
		fz_fail("verify replaced the body", NULL);
	fz_check_edits(&ed);
	if (st == SMIME_OK) {
		for (i = 0; i < ed.ed_prepend.hs_count; i++)
			if (strcmp(ed.ed_prepend.hs_list[i].hdr_name,
			    "Authentication-Results") == 0 &&
			    strncmp(ed.ed_prepend.hs_list[i].hdr_value,
			    "mx.fuzz.example;", 16) == 0)
				ours = true;
		(void)fz_ar_scan(&ed, &outer, &nbad, &npass);
		if (npass > 0 && !fz_top_signed(&hs))
			fz_fail("pass without a signed top level", NULL);
		if (!ours)
			fz_fail("SMIME_OK without our Authentication-Results",
			    smime_result_name(worst));
		if (smime_result_name(worst) == NULL)
			fz_fail("unnamed result", NULL);
	}
	smime_edits_clear(&ed);
	smime_spool_free(body);
	smime_headers_clear(&hs);
	return 0;
}
