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
	char *copy;

	if (smime_edits_deletes(ed, name, index))
		return SMIME_OK;
	list = reallocarray(ed->ed_delete, ed->ed_ndelete + 1, sizeof(*list));
	if (list == NULL)
		return SMIME_NORESOURCE;
	ed->ed_delete = list;
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
	size_t i, n = smime_headers_count(hs, name);
	smime_status ret;

	for (i = 1; i <= n; i++)
		if ((ret = smime_edits_delete(ed, name, i)) != SMIME_OK)
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
