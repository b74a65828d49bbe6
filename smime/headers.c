/* headers.c - ordered header field list. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smime/headers.h"

void
smime_headers_init(struct smime_headers *hs)
{
	memset(hs, 0, sizeof(*hs));
}

void
smime_headers_clear(struct smime_headers *hs)
{
	size_t i;

	if (hs == NULL)
		return;
	for (i = 0; i < hs->hs_count; i++) {
		free(hs->hs_list[i].hdr_name);
		free(hs->hs_list[i].hdr_value);
	}
	free(hs->hs_list);
	smime_headers_init(hs);
}

smime_status
smime_headers_add(struct smime_headers *hs, const char *name,
    const char *value)
{
	struct smime_header *list;
	size_t alloc;
	char *n, *v;

	if (hs->hs_count == hs->hs_alloc) {
		alloc = hs->hs_alloc == 0 ? 16 : hs->hs_alloc * 2;
		list = reallocarray(hs->hs_list, alloc, sizeof(*list));
		if (list == NULL)
			return SMIME_NORESOURCE;
		hs->hs_list = list;
		hs->hs_alloc = alloc;
	}
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return SMIME_NORESOURCE;
	}
	hs->hs_list[hs->hs_count].hdr_name = n;
	hs->hs_list[hs->hs_count].hdr_value = v;
	hs->hs_count++;
	hs->hs_bytes += strlen(n) + strlen(v);
	return SMIME_OK;
}

const char *
smime_headers_get0(const struct smime_headers *hs, const char *name,
    size_t nth)
{
	size_t i;

	for (i = 0; i < hs->hs_count; i++) {
		if (strcasecmp(hs->hs_list[i].hdr_name, name) != 0)
			continue;
		if (nth-- == 0)
			return hs->hs_list[i].hdr_value;
	}
	return NULL;
}

size_t
smime_headers_count(const struct smime_headers *hs, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < hs->hs_count; i++)
		if (strcasecmp(hs->hs_list[i].hdr_name, name) == 0)
			n++;
	return n;
}

size_t
smime_header_split(const char *line, size_t len, size_t *value_off)
{
	size_t i = 0, end;

	*value_off = 0;
	while (i < len && (unsigned char)line[i] > ' ' &&
	    (unsigned char)line[i] < 0x7f && line[i] != ':')
		i++;
	end = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (end == 0 || i >= len || line[i] != ':')
		return 0;
	i++;
	if (i < len && line[i] == ' ')
		i++;
	*value_off = i;
	return end;
}
