/*
 * fuzz_msg.c - see fuzz_msg.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/fuzz/fuzz_msg.h"

void
fz_fail(const char *what, const char *detail)
{
	fprintf(stderr, "INVARIANT VIOLATED: %s: %s\n", what,
	    detail != NULL ? detail : "");
	abort();
}

bool
fz_on_disk(const uint8_t *data, size_t size)
{
	/* Size and last byte: both change under most mutations. */
	return ((size + (size > 0 ? data[size - 1] : 0u)) & 15u) == 0;
}

size_t
fz_spool_memory(const uint8_t *data, size_t size)
{
	return fz_on_disk(data, size) ? FZ_SPOOL_DISK : FZ_SPOOL_MEM;
}

char *
fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Length of the field name when line[0..len) starts a field, else 0. */
static size_t
fz_name_len(const uint8_t *line, size_t len, size_t *colon)
{
	size_t i = 0, end;

	while (i < len && line[i] > ' ' && line[i] < 127 && line[i] != ':')
		i++;
	end = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (end == 0 || i >= len || line[i] != ':')
		return 0;
	*colon = i;
	return end;
}

/* Add the field held in name/value buffers; -1 on allocation failure. */
static int
fz_add(struct smime_headers *hs, char *name, char *value)
{
	int rc = smime_headers_add(hs, name, value) == SMIME_OK ? 0 : -1;

	free(name);
	free(value);
	return rc;
}

int
fz_message(const uint8_t *data, size_t size, struct smime_headers *hs,
    struct smime_spool **body)
{
	const uint8_t *p = data, *end = data + size, *nl, *v;
	char *name = NULL, *value = NULL, *tmp;
	unsigned char *crlf = NULL;
	size_t len, nlen, colon, vlen, o;
	struct smime_err err;

	smime_headers_init(hs);
	*body = NULL;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (nl != NULL ? (size_t)(nl - p) : (size_t)(end - p));
		vlen = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
		if (vlen == 0) {		/* blank line: body follows */
			p += len + (nl != NULL);
			break;
		}
		if ((p[0] == ' ' || p[0] == '\t') && name != NULL) {
			size_t old = strlen(value);

			if ((tmp = realloc(value, old + vlen + 2)) == NULL)
				goto fail;
			value = tmp;
			value[old] = '\n';
			memcpy(value + old + 1, p, vlen);
			value[old + 1 + vlen] = '\0';
			p += len + (nl != NULL);
			continue;
		}
		if ((nlen = fz_name_len(p, vlen, &colon)) == 0)
			break;			/* first body line */
		if (name != NULL && fz_add(hs, name, value) != 0) {
			name = value = NULL;
			goto fail;
		}
		for (v = p + colon + 1; v < p + vlen && (*v == ' ' || *v == '\t');
		    v++)
			;
		name = fz_strndup(p, nlen);
		value = fz_strndup(v, (size_t)(p + vlen - v));
		if (name == NULL || value == NULL)
			goto fail;
		p += len + (nl != NULL);
	}
	if (name != NULL && fz_add(hs, name, value) != 0) {
		name = value = NULL;
		goto fail;
	}
	name = value = NULL;
	if ((*body = smime_spool_new(fz_spool_memory(data, size), NULL)) == NULL)
		goto fail;
	/* The body as the MTA sends it (bare LF becomes CRLF), handed over
	 * in one write rather than two per line. */
	if ((crlf = malloc(2 * (size_t)(end - p) + 1)) == NULL)
		goto fail;
	for (o = 0; p < end; p = nl != NULL ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl != NULL && len > 0 && p[len - 1] == '\r')
			len--;
		memcpy(crlf + o, p, len);
		o += len;
		if (nl != NULL) {
			crlf[o++] = '\r';
			crlf[o++] = '\n';
		}
	}
	if (o > 0 && smime_spool_write(*body, crlf, o, &err) != SMIME_OK)
		goto fail;
	free(crlf);
	return 0;
fail:
	free(crlf);
	free(name);
	free(value);
	smime_headers_clear(hs);
	smime_spool_free(*body);
	*body = NULL;
	return -1;
}

/* Check one field for header injection; see fuzz_msg.h. */
static void
fz_check_field(const char *name, const char *value)
{
	const char *p;

	if (name == NULL || *name == '\0' || value == NULL)
		fz_fail("edit with empty name or NULL value", name);
	for (p = name; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 127 || *p == ':')
			fz_fail("bad character in edited field name", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\r')
			fz_fail("CR in edited field value", name);
		if (*p == '\n' && p[1] != ' ' && p[1] != '\t')
			fz_fail("LF not followed by a blank (header injection)",
			    value);
	}
}

void
fz_check_edits(const struct smime_edits *ed)
{
	size_t i;

	for (i = 0; i < ed->ed_prepend.hs_count; i++)
		fz_check_field(ed->ed_prepend.hs_list[i].hdr_name,
		    ed->ed_prepend.hs_list[i].hdr_value);
	for (i = 0; i < ed->ed_append.hs_count; i++)
		fz_check_field(ed->ed_append.hs_list[i].hdr_name,
		    ed->ed_append.hs_list[i].hdr_value);
	for (i = 0; i < ed->ed_ndelete; i++)
		if (ed->ed_delete[i].hr_name == NULL ||
		    ed->ed_delete[i].hr_index == 0)
			fz_fail("bad delete edit", ed->ed_delete[i].hr_name);
}

size_t
fz_ar_scan(const struct smime_edits *ed, bool *outer, size_t *nbad,
    size_t *npass)
{
	const char *p, *start = NULL;
	bool quoted = false, escaped = false;
	size_t i, n = 0;

	*outer = false;
	*nbad = 0;
	if (npass != NULL)
		*npass = 0;
	for (i = 0; i < ed->ed_prepend.hs_count; i++) {
		if (strcmp(ed->ed_prepend.hs_list[i].hdr_name,
		    "Authentication-Results") != 0)
			continue;
		for (p = ed->ed_prepend.hs_list[i].hdr_value; *p != '\0'; p++) {
			if (escaped) {
				escaped = false;
			} else if (quoted) {
				escaped = *p == '\\';
				quoted = *p != '"';
			} else if (*p == '"') {
				quoted = true;
			} else if (*p == ';') {
				start = p + 1;
				while (*start == ' ' || *start == '\t' ||
				    *start == '\n')
					start++;
				n++;
				if (npass != NULL &&
				    strncmp(start, "smime=pass", 10) == 0)
					(*npass)++;
				if (strncmp(start, "smime=pass", 10) != 0 &&
				    strncmp(start, "smime=policy", 12) != 0 &&
				    strncmp(start, "smime=none", 10) != 0)
					(*nbad)++;
			} else if (start != NULL && (p[-1] == ' ' ||
			    p[-1] == '\t' || p[-1] == '\n') &&
			    strncmp(p, "body.smime-part=1", 17) == 0 &&
			    strchr(" \t\n;", p[17]) != NULL) {
				if (strncmp(start, "smime=pass", 10) == 0 ||
				    strncmp(start, "smime=policy", 12) == 0)
					*outer = true;
			}
		}
	}
	return n;
}
