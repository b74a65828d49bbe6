/*
 * hp_int.h - a growable string shared by hp.c and hpnorm.c.  Not part of
 * the library API.
 */
#ifndef SMIME_HP_INT_H
#define SMIME_HP_INT_H

#include <stdbool.h>
#include <stddef.h>

struct hp_buf {
	char	*hb_text;	/* NUL-terminated once anything was put */
	size_t	 hb_len;
	size_t	 hb_alloc;
	bool	 hb_failed;	/* an allocation failed: text is incomplete */
};

/* Append n bytes of s; on allocation failure set hb_failed. */
void hp_buf_put(struct hp_buf *hb, const char *s, size_t n);

/* Append a NUL-terminated string. */
void hp_buf_puts(struct hp_buf *hb, const char *s);

/* Hand the text to the caller ("" when empty); NULL after a failure. */
char *hp_buf_take(struct hp_buf *hb);

/* How a field's value is structured (hpnorm.c). */
enum hp_kind { HP_TEXT, HP_ADDR, HP_DATE, HP_MSGID };

/* The kind of the field called name (case-insensitive); HP_TEXT if unknown. */
enum hp_kind hp_kind(const char *name);

#endif /* SMIME_HP_INT_H */
