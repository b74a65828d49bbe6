/*
 * fuzz_mime.c - libFuzzer target for the MIME parser (smime_mime_parse)
 * and the CRLF canonicalizing BIO, over a message as the MTA hands it.
 * Checks the tree's structural invariants: offsets ordered and inside the
 * spool, children inside their parent's body, parent links consistent;
 * and that the canonicalizer leaves no bare CR or LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>

#include "smime/canon.h"
#include "smime/mime.h"
#include "test/fuzz/fuzz_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check part and its subtree; size is the spool size. */
static void
check_part(const struct smime_mime_part *part, uint64_t size)
{
	const struct smime_mime_part *c;
	size_t i;

	if (part->mp_hdr_start > part->mp_body_start ||
	    part->mp_body_start > part->mp_body_end || part->mp_body_end > size)
		fz_fail("part offsets out of order", part->mp_number);
	if (part->mp_type == NULL || part->mp_subtype == NULL ||
	    part->mp_cte == NULL || part->mp_number == NULL)
		fz_fail("part without type, subtype, encoding or number", NULL);
	if (smime_mime_is_multipart(part) &&
	    (part->mp_preamble_end < part->mp_body_start ||
	    part->mp_preamble_end > part->mp_epilogue_start ||
	    part->mp_epilogue_start > part->mp_body_end))
		fz_fail("preamble/epilogue offsets", part->mp_number);
	for (i = 0; i < part->mp_nchildren; i++) {
		c = part->mp_children[i];
		if (c == NULL || c->mp_parent != part)
			fz_fail("child without the right parent", part->mp_number);
		if (c->mp_hdr_start < part->mp_body_start ||
		    c->mp_body_end > part->mp_body_end)
			fz_fail("child outside its parent's body", c->mp_number);
		if (i > 0 && c->mp_hdr_start < part->mp_children[i - 1]->mp_body_end)
			fz_fail("children overlap", c->mp_number);
		(void)smime_mime_get0_param(c, "boundary");
		check_part(c, size);
	}
}

/* Read the spool through the canonicalizer; every line end must be CRLF. */
static void
check_canon(struct smime_spool *spool)
{
	BIO *src = smime_spool_new_read_bio(spool, 0, UINT64_MAX);
	BIO *canon = smime_canon_new_bio();
	unsigned char buf[1000];
	int n, i;
	bool cr = false;

	if (src == NULL || canon == NULL) {
		BIO_free(src);
		BIO_free(canon);
		return;
	}
	canon = BIO_push(canon, src);
	while ((n = BIO_read(canon, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' && !cr)
				fz_fail("canon: bare LF", NULL);
			if (cr && buf[i] != '\n')
				fz_fail("canon: bare CR", NULL);
			cr = buf[i] == '\r';
		}
	}
	if (cr)
		fz_fail("canon: CR at end", NULL);
	BIO_free_all(canon);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smime_headers hs;
	struct smime_spool *body;
	struct smime_mime_part *tree = NULL;
	struct smime_err err;
	smime_status st;

	if (fz_message(data, size, &hs, &body) != 0)
		return 0;
	st = smime_mime_parse(body, &hs, 50, 5000, &tree, &err);
	if (st == SMIME_OK) {
		if (tree == NULL)
			fz_fail("SMIME_OK without a tree", NULL);
		check_part(tree, smime_spool_size(body));
		(void)smime_mime_find(tree, "1.1");
	} else if (tree != NULL) {
		fz_fail("tree returned on error", smime_strerror(st));
	}
	check_canon(body);
	smime_mime_free(tree);
	smime_spool_free(body);
	smime_headers_clear(&hs);
	return 0;
}
