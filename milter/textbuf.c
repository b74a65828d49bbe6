/*
 * textbuf.c - growing text buffer and the escapes of the Prometheus
 * exposition format, JSON (RFC 8259) and logfmt.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter/textbuf.h"
#include "smime/utf8.h"

/* Make room for n more bytes plus a NUL; false (and sb_failed) if not. */
static bool
smf_buf_reserve(struct smf_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->sb_failed)
		return false;
	if (b->sb_len + n + 1 <= b->sb_cap)
		return true;
	cap = b->sb_cap > 0 ? b->sb_cap : 4096;
	while (cap < b->sb_len + n + 1) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	if ((p = realloc(b->sb_data, cap)) == NULL)
		goto fail;
	b->sb_data = p;
	b->sb_cap = cap;
	return true;
fail:
	b->sb_failed = true;
	return false;
}

void
smf_buf_printf(struct smf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->sb_failed = true;
		return;
	}
	if (!smf_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->sb_data + b->sb_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->sb_len += (size_t)n;
}

void
smf_buf_free(struct smf_buf *b)
{
	free(b->sb_data);
	memset(b, 0, sizeof(*b));
}

void
smf_buf_label(struct smf_buf *b, const char *text)
{
	for (; *text != '\0'; text++) {
		switch (*text) {
		case '\\':
			smf_buf_printf(b, "\\\\");
			break;
		case '"':
			smf_buf_printf(b, "\\\"");
			break;
		case '\n':
			smf_buf_printf(b, "\\n");
			break;
		default:
			smf_buf_printf(b, "%c", *text);
			break;
		}
	}
}

/* The valid UTF-8 sequence at p (NUL-terminated) or 0, as utf8.h. */
static size_t
smf_utf8_seq(const unsigned char *p, unsigned long *cp)
{
	size_t len = 0;

	/* A NUL is never a continuation byte: at most 4 are looked at. */
	while (len < 4 && p[len] != '\0')
		len++;
	return smime_utf8_decode(p, len, cp);
}

/* Append n raw bytes. */
static void
smf_buf_raw(struct smf_buf *b, const char *p, size_t n)
{
	smf_buf_printf(b, "%.*s", (int)n, p);
}

/* The body of a JSON / quoted logfmt string (no quotes). */
static void
smf_buf_escaped(struct smf_buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned long cp;
	size_t n;

	while (*p != '\0') {
		if ((n = smf_utf8_seq(p, &cp)) == 0) {
			smf_buf_printf(b, "\\ufffd");
			p++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			smf_buf_printf(b, "\\%c", (char)cp);
		else if (cp == '\n')
			smf_buf_printf(b, "\\n");
		else if (cp == '\r')
			smf_buf_printf(b, "\\r");
		else if (cp == '\t')
			smf_buf_printf(b, "\\t");
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029)
			smf_buf_printf(b, "\\u%04x", (unsigned int)cp);
		else
			smf_buf_raw(b, (const char *)p, n);
		p += n;
	}
}

void
smf_buf_json(struct smf_buf *b, const char *text)
{
	smf_buf_printf(b, "\"");
	smf_buf_escaped(b, text);
	smf_buf_printf(b, "\"");
}

void
smf_buf_logfmt(struct smf_buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	bool bare = *p != '\0';
	unsigned long cp;
	size_t n;

	while (bare && *p != '\0') {
		n = smf_utf8_seq(p, &cp);
		if (n == 0 || cp <= 0x20 || cp == '=' || cp == '"' ||
		    cp == '\\' || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029)
			bare = false;
		p += n > 0 ? n : 1;
	}
	if (bare)
		smf_buf_printf(b, "%s", text);
	else
		smf_buf_json(b, text);
}

void
smf_buf_plain(struct smf_buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned long cp;
	size_t n;

	while (*p != '\0') {
		n = smf_utf8_seq(p, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029)
			smf_buf_printf(b, "?");
		else
			smf_buf_raw(b, (const char *)p, n);
		p += n > 0 ? n : 1;
	}
}
