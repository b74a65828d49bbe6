/*
 * textbuf.h - a growing text buffer for the metrics page and structured
 * log lines, with the escapes each output format needs.
 */
#ifndef SMF_TEXTBUF_H
#define SMF_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A growing text buffer: sb_failed is set (and the text dropped) when
 * memory runs out, so that callers check once at the end.
 */
struct smf_buf {
	char	*sb_data;	/* NUL-terminated when sb_len > 0 */
	size_t	 sb_len;
	size_t	 sb_cap;
	bool	 sb_failed;
};

/* Append printf-style text. */
void smf_buf_printf(struct smf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Free the text; the buffer may be used again. Accepts a zeroed one. */
void smf_buf_free(struct smf_buf *b);

/*
 * Append text as a Prometheus label value (between the quotes): '\\',
 * '"' and newline escaped as the exposition format requires.
 */
void smf_buf_label(struct smf_buf *b, const char *text);

/*
 * Append text as a JSON string, quotes included (RFC 8259): '"', '\\'
 * and every control character (C0, DEL, C1) escaped, invalid UTF-8
 * (overlong forms, surrogates, stray or truncated sequences) replaced by
 * U+FFFD, so that hostile header text cannot break or forge a line.
 */
void smf_buf_json(struct smf_buf *b, const char *text);

/*
 * Append text as a logfmt value: bare when it is non-empty printable
 * ASCII/UTF-8 without blanks, '=' or '"', else quoted with the same
 * escapes as smf_buf_json().
 */
void smf_buf_logfmt(struct smf_buf *b, const char *text);

/*
 * Append text with every control character (and invalid UTF-8 byte)
 * replaced by '?', for plain-text lines written to stdout or stderr.
 */
void smf_buf_plain(struct smf_buf *b, const char *text);

#endif /* SMF_TEXTBUF_H */
