/*
 * fuzz_sign.c - libFuzzer target for the signer, checked by the verifier:
 * whatever message smime_sign_message() accepts must come out as a
 * message that smime_verify_message() finds validly signed (pass, or
 * policy when From is not the signer's address), and signatures already
 * inside it must not get worse (a nested signed part must survive).  This catches the
 * classic S/MIME breakages - content re-encoded or canonicalized differently
 * from what was hashed, a broken boundary, a body the parser reads
 * differently - plus header injection in the edits.  Signs with the
 * P-256 identity "hanako" of the test PKI in $FUZZ_PKI (fast).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smime/identity.h"
#include "smime/sign.h"
#include "smime/verify.h"
#include "test/fuzz/fuzz_msg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct smime_idstore *fz_store;
static const struct smime_identity *fz_id;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char cert[4096], key[4096], chain[4096];
	char *senders[] = { "hanako" };
	struct smime_verify_opts vo;
	struct smime_err err;

	(void)argc;
	(void)argv;
	fz_pki_file("fuzz_sign", "hanako.crt", cert, sizeof(cert));
	fz_pki_file("fuzz_sign", "hanako.key", key, sizeof(key));
	fz_pki_file("fuzz_sign", "chain.pem", chain, sizeof(chain));
	if ((fz_store = smime_idstore_new()) == NULL ||
	    smime_idstore_add_files(fz_store, "fuzz", "hanako@example.jp", cert,
	    key, chain, senders, 1, NULL, NULL, &err) != SMIME_OK ||
	    (fz_id = smime_idstore_get0(fz_store, 0)) == NULL) {
		fprintf(stderr, "fuzz_sign: %s\n", smime_err_get0(&err));
		exit(1);
	}
	fz_verify_opts(&vo, "fuzz_sign", false);
	vo.vo_max_depth = 30;	/* signing adds a level */
	vo.vo_max_parts = 2000;
	fz_verifiers_init(&vo, "fuzz_sign");
	return 0;
}

/*
 * The signed message's header as the MTA would have it after applying
 * ed: deletions (index-th field of a name), prepends, appends.
 */
static int
apply_header_edits(const struct smime_headers *in,
    const struct smime_edits *ed, struct smime_headers *out)
{
	size_t i, j, nth;

	smime_headers_init(out);
	for (i = 0; i < ed->ed_prepend.hs_count; i++)
		if (smime_headers_add(out, ed->ed_prepend.hs_list[i].hdr_name,
		    ed->ed_prepend.hs_list[i].hdr_value) != SMIME_OK)
			return -1;
	for (i = 0; i < in->hs_count; i++) {
		for (nth = 0, j = 0; j <= i; j++)
			if (strcasecmp(in->hs_list[j].hdr_name,
			    in->hs_list[i].hdr_name) == 0)
				nth++;
		if (smime_edits_deletes(ed, in->hs_list[i].hdr_name, nth))
			continue;
		if (smime_headers_add(out, in->hs_list[i].hdr_name,
		    in->hs_list[i].hdr_value) != SMIME_OK)
			return -1;
	}
	for (i = 0; i < ed->ed_append.hs_count; i++)
		if (smime_headers_add(out, ed->ed_append.hs_list[i].hdr_name,
		    ed->ed_append.hs_list[i].hdr_value) != SMIME_OK)
			return -1;
	return 0;
}

/* Print our Authentication-Results of ed to stderr, for triage. */
static void
ar_print(const char *label, const struct smime_edits *ed)
{
	size_t i;

	for (i = 0; i < ed->ed_prepend.hs_count; i++)
		if (strcmp(ed->ed_prepend.hs_list[i].hdr_name,
		    "Authentication-Results") == 0)
			fprintf(stderr, "%s: %s\n", label,
			    ed->ed_prepend.hs_list[i].hdr_value);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smime_sign_opts so = { "sha256", true, false, NULL,
	    FZ_SPOOL_MEM, 20, 1000 };
	struct smime_headers hs, signed_hs;
	struct smime_spool *body;
	struct smime_edits ed, ved, before_ed;
	struct smime_err err;
	struct smime_verify_result res;
	enum smime_result worst;
	smime_status st;
	size_t nbefore, badbefore, badafter;
	bool outer;

	if (fz_message(data, size, &hs, &body) != 0)
		return 0;
	so.so_spool_memory = fz_spool_memory(data, size);
	smime_edits_init(&ed);
	smime_edits_init(&ved);
	smime_edits_init(&before_ed);
	smime_headers_init(&signed_hs);
	if (smime_sign_is_smime(&hs))
		goto out;
	/* What the signatures already inside are worth. */
	(void)smime_verify_message(fz_verifier_for(data, size), &hs, body, &ved,
	    &res, &err);
	nbefore = fz_ar_scan(&ved, &outer, &badbefore, NULL);
	smime_edits_clear(&before_ed);
	before_ed = ved;		/* keep for triage output */
	smime_edits_init(&ved);
	st = smime_sign_message(fz_id, &so, &hs, body, &ed, &err);
	if (st != SMIME_OK) {
		if (ed.ed_body != NULL || ed.ed_append.hs_count > 0)
			fz_fail("half-built edits on error", smime_err_get0(&err));
		goto out;
	}
	fz_check_edits(&ed);
	if (ed.ed_body == NULL)
		fz_fail("signed without a new body", NULL);
	if (apply_header_edits(&hs, &ed, &signed_hs) != 0)
		goto out;
	if (smime_verify_message(fz_verifier_for(data, size), &signed_hs,
	    ed.ed_body, &ved, &res, &err) != SMIME_OK)
		fz_fail("our signed message cannot be verified",
		    smime_err_get0(&err));
	worst = res.vres_worst;
	(void)fz_ar_scan(&ved, &outer, &badafter, NULL);
	if (!outer || (badbefore == 0 && nbefore < 16 && badafter > 0)) {
		ar_print("before signing", &before_ed);
		ar_print("after signing", &ved);
	}
	if (!outer)
		fz_fail("our own signature does not verify",
		    smime_result_name(worst));
	/*
	 * Signatures inside must not get worse.  Known, reported: a nested
	 * multipart/signed that is already broken (8-bit bytes in its
	 * base64) is re-encoded by the signer and can go from neutral to
	 * fail, so this is only required when the inner ones were sound.
	 * The verifier reports at most 16 results and then one permerror,
	 * so our signature may tip a message with 16 over.
	 */
	if (badbefore == 0 && nbefore < 16 && badafter > 0)
		fz_fail("signing spoiled a signature inside",
		    smime_result_name(worst));
out:
	smime_edits_clear(&before_ed);
	smime_edits_clear(&ved);
	smime_edits_clear(&ed);
	smime_headers_clear(&signed_hs);
	smime_headers_clear(&hs);
	smime_spool_free(body);
	return 0;
}
