/* edits.c - queued header and body changes. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smime/edits.h"

void
smime_edits_init(struct smime_edits *ed)
{
	memset(ed, 0, sizeof(*ed));
	smime_headers_init(&ed->ed_prepend);
	smime_headers_init(&ed->ed_append);
}

void
smime_edits_clear(struct smime_edits *ed)
{
	size_t i;

	if (ed == NULL)
		return;
	for (i = 0; i < ed->ed_ndelete; i++)
		free(ed->ed_delete[i].hr_name);
	free(ed->ed_delete);
	smime_headers_clear(&ed->ed_prepend);
	smime_headers_clear(&ed->ed_append);
	smime_spool_free(ed->ed_body);
	smime_edits_init(ed);
}

smime_status
smime_edits_delete(struct smime_edits *ed, const char *name, size_t index)
{
	struct smime_header_ref *list;
	size_t alloc;
	char *copy;

	/* Constant time: duplicates are dropped when the edits are applied
	 * (sorted), so that removing N fields stays linear. */
	if (ed->ed_ndelete == ed->ed_adelete) {
		alloc = ed->ed_adelete == 0 ? 8 : ed->ed_adelete * 2;
		list = reallocarray(ed->ed_delete, alloc, sizeof(*list));
		if (list == NULL)
			return SMIME_NORESOURCE;
		ed->ed_delete = list;
		ed->ed_adelete = alloc;
	}
	list = ed->ed_delete;
	if ((copy = strdup(name)) == NULL)
		return SMIME_NORESOURCE;
	list[ed->ed_ndelete].hr_name = copy;
	list[ed->ed_ndelete].hr_index = index;
	ed->ed_ndelete++;
	return SMIME_OK;
}

smime_status
smime_edits_delete_all(struct smime_edits *ed, const struct smime_headers *hs,
    const char *name)
{
	size_t i, n = 0;
	smime_status ret;

	for (i = 0; i < hs->hs_count; i++)
		if (strcasecmp(hs->hs_list[i].hdr_name, name) == 0 &&
		    (ret = smime_edits_delete(ed, name, ++n)) != SMIME_OK)
			return ret;
	return SMIME_OK;
}

bool
smime_edits_deletes(const struct smime_edits *ed, const char *name,
    size_t index)
{
	size_t i;

	for (i = 0; i < ed->ed_ndelete; i++)
		if (ed->ed_delete[i].hr_index == index &&
		    strcasecmp(ed->ed_delete[i].hr_name, name) == 0)
			return true;
	return false;
}
