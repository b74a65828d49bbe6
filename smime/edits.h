/*
 * edits.h - the changes a sign or verify pass wants made to a message,
 * independent of how they are applied (libmilter calls in the daemon,
 * a rewritten message on stdout in test mode).
 *
 * Semantics, matching smfi_chgheader()/smfi_insheader()/smfi_replacebody():
 *  - ed_delete: remove the index-th (1-based, counted in the original
 *    message among fields of that name, case-insensitive) field.
 *    The list may name a field twice; appliers sort it, drop the
 *    duplicates and process each name from the highest index down.
 *  - ed_prepend: fields inserted at the very top, in list order.
 *  - ed_append: fields added at the end of the header.
 *  - ed_body: when non-NULL, the complete new body with CRLF line ends.
 */
#ifndef SMIME_EDITS_H
#define SMIME_EDITS_H

#include "smime/headers.h"
#include "smime/spool.h"

struct smime_header_ref {
	char	*hr_name;
	size_t	 hr_index;	/* 1-based occurrence */
};

struct smime_edits {
	struct smime_header_ref	*ed_delete;
	size_t			 ed_ndelete;
	size_t			 ed_adelete;	/* allocated entries */
	struct smime_headers	 ed_prepend;
	struct smime_headers	 ed_append;
	struct smime_spool	*ed_body;	/* owned */
};

/* Initialise empty edits. */
void smime_edits_init(struct smime_edits *ed);

/* Free everything the edits own and reset them; accepts NULL. */
void smime_edits_clear(struct smime_edits *ed);

/* Queue deletion of the index-th field called name (constant time). */
smime_status smime_edits_delete(struct smime_edits *ed, const char *name,
    size_t index);

/*
 * Queue deletion of every field of hs called name, with the right
 * occurrence indices.
 */
smime_status smime_edits_delete_all(struct smime_edits *ed,
    const struct smime_headers *hs, const char *name);

/*
 * Queue deletion of every field of hs whose name match() accepts, each
 * once, with the right occurrence indices; O(n log n) in the fields.
 */
smime_status smime_edits_delete_matching(struct smime_edits *ed,
    const struct smime_headers *hs, bool (*match)(const char *name));

/* True when the index-th field called name is queued for deletion. */
bool smime_edits_deletes(const struct smime_edits *ed, const char *name,
    size_t index);

#endif /* SMIME_EDITS_H */
