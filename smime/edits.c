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

/* A field position with its name, for grouping by name. */
struct ed_pos {
	const char	*ep_name;
	size_t		 ep_pos;
};

static int
ed_pos_cmp(const void *a, const void *b)
{
	const struct ed_pos *x = a, *y = b;
	int c = strcasecmp(x->ep_name, y->ep_name);

	if (c != 0)
		return c;
	return x->ep_pos < y->ep_pos ? -1 : x->ep_pos > y->ep_pos;
}

smime_status
smime_edits_delete_matching(struct smime_edits *ed,
    const struct smime_headers *hs, bool (*match)(const char *name))
{
	struct ed_pos *all = NULL;
	size_t i, n = 0, occ = 0;
	smime_status ret = SMIME_NORESOURCE;

	if (hs->hs_count == 0)
		return SMIME_OK;
	/* Every field takes part in the counting, matching or not. */
	if ((all = calloc(hs->hs_count, sizeof(*all))) == NULL)
		return SMIME_NORESOURCE;
	for (i = 0; i < hs->hs_count; i++) {
		all[n].ep_name = hs->hs_list[i].hdr_name;
		all[n++].ep_pos = i;
	}
	qsort(all, n, sizeof(*all), ed_pos_cmp);
	for (i = 0; i < n; i++) {
		occ = i > 0 && strcasecmp(all[i - 1].ep_name,
		    all[i].ep_name) == 0 ? occ + 1 : 1;
		if (match(all[i].ep_name) &&
		    (ret = smime_edits_delete(ed, all[i].ep_name, occ)) !=
		    SMIME_OK)
			goto out;
	}
	ret = SMIME_OK;
out:
	free(all);
	return ret;
}
