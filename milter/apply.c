/*
 * apply.c - hand a struct smime_edits to an editor in the order libmilter
 * requires, so that callbacks and test mode apply changes identically.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter/smf.h"

#define SMF_BODY_CHUNK	65536

/*
 * Copy value with every CRLF or lone CR turned into LF: MTAs keep header
 * folding as bare LF internally and Postfix rejects values with CR.
 * Returns NULL on allocation failure; the caller frees.
 */
static char *
smf_value_to_lf(const char *value)
{
	char *out, *o;
	const char *p;

	if ((out = malloc(strlen(value) + 1)) == NULL)
		return NULL;
	for (p = value, o = out; *p != '\0'; p++) {
		if (*p == '\r') {
			*o++ = '\n';
			if (p[1] == '\n')
				p++;
		} else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* Order deletions by name, then from the highest index down. */
static int
smf_delete_cmp(const void *a, const void *b)
{
	const struct smime_header_ref *x = *(const struct smime_header_ref *
	    const *)a, *y = *(const struct smime_header_ref * const *)b;
	int c = strcasecmp(x->hr_name, y->hr_name);

	if (c != 0)
		return c;
	return x->hr_index < y->hr_index ? 1 : x->hr_index > y->hr_index ?
	    -1 : 0;
}

/*
 * Deletions from the highest index down keep lower indices of the same
 * name valid (indices count per name, so names are independent).  Sorted
 * in O(n log n) and each field deleted once, however often it was queued.
 */
static int
smf_apply_deletes(const struct smime_edits *ed, const struct smf_editor *e)
{
	const struct smime_header_ref **order;
	size_t i;
	int ret = -1;

	if (ed->ed_ndelete == 0)
		return 0;
	if ((order = calloc(ed->ed_ndelete, sizeof(*order))) == NULL)
		return -1;
	for (i = 0; i < ed->ed_ndelete; i++)
		order[i] = &ed->ed_delete[i];
	qsort(order, ed->ed_ndelete, sizeof(*order), smf_delete_cmp);
	for (i = 0; i < ed->ed_ndelete; i++) {
		if (i > 0 && smf_delete_cmp(&order[i - 1], &order[i]) == 0)
			continue;
		if (e->se_delete(e->se_arg, order[i]->hr_name,
		    order[i]->hr_index) != 0)
			goto out;
	}
	ret = 0;
out:
	free(order);
	return ret;
}

static int
smf_apply_headers(const struct smime_headers *hs, const struct smf_editor *e,
    bool prepend)
{
	size_t i;
	char *value;
	int rc;

	for (i = 0; i < hs->hs_count; i++) {
		if ((value = smf_value_to_lf(hs->hs_list[i].hdr_value)) == NULL)
			return -1;
		rc = prepend ?
		    e->se_insert(e->se_arg, i, hs->hs_list[i].hdr_name, value) :
		    e->se_append(e->se_arg, hs->hs_list[i].hdr_name, value);
		free(value);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int
smf_apply_body(struct smime_spool *body, const struct smf_editor *e)
{
	const unsigned char *p;
	unsigned char *chunk;
	uint64_t off = 0;
	size_t got;
	int ret = -1;

	if ((chunk = malloc(SMF_BODY_CHUNK)) == NULL)
		return -1;
	for (;;) {
		/* In memory: hand the spool's own bytes over, no copy. */
		if ((got = smime_spool_peek(body, off, &p)) > 0) {
			if (got > SMF_BODY_CHUNK)
				got = SMF_BODY_CHUNK;
		} else if (smime_spool_read_at(body, off, chunk,
		    SMF_BODY_CHUNK, &got, NULL) != SMIME_OK)
			goto out;
		else
			p = chunk;
		if (got == 0)
			break;
		if (e->se_body(e->se_arg, p, got) != 0)
			goto out;
		off += got;
	}
	ret = 0;
out:
	free(chunk);
	return ret;
}

int
smf_apply_edits(const struct smime_edits *edits,
    const struct smf_editor *editor)
{
	if (smf_apply_deletes(edits, editor) != 0 ||
	    smf_apply_headers(&edits->ed_prepend, editor, true) != 0 ||
	    smf_apply_headers(&edits->ed_append, editor, false) != 0)
		return -1;
	if (edits->ed_body != NULL && smf_apply_body(edits->ed_body, editor) != 0)
		return -1;
	return 0;
}
