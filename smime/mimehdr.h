/*
 * mimehdr.h - header value helpers (mimehdr.c): ASCII case folding,
 * unfolding, comments, and RFC 2045/2231 "token; param=value" parsing.
 */
#ifndef SMIME_MIMEHDR_H
#define SMIME_MIMEHDR_H

#include <stdbool.h>
#include <stddef.h>

#include "smime/smime.h"

/* One parameter of a Content-Type or Content-Disposition value. */
struct smime_mime_param {
	char	*mpa_name;	/* lower-cased; RFC 2231 "*n" suffixes joined */
	char	*mpa_value;	/* unquoted; RFC 2231 %XX decoded (raw bytes) */
	char	*mpa_charset;	/* RFC 2231 charset of mpa_value, else NULL */
	bool	 mpa_dup;	/* written more than once or in two forms */
};

/* ASCII-only, locale-independent case-insensitive comparison. */
int smime_mime_strcasecmp(const char *a, const char *b);
int smime_mime_strncasecmp(const char *a, const char *b, size_t n);

/*
 * Unfold a header value: drop CR and LF (folding keeps the following
 * white space), trim leading and trailing white space.  Returns a new
 * string the caller frees, NULL on allocation failure.
 */
char *smime_mime_unfold(const char *value);

/*
 * Skip white space, line breaks and (nested, backslash-quoted) comments
 * at p; returns the first other character (possibly the terminating NUL).
 */
const char *smime_mime_skip_cfws(const char *p);

/*
 * Parse a Content-Type value (folded or not, comments allowed) into
 * lower-cased *type and *subtype and a parameter array (RFC 2231
 * continuations and charset'lang'%XX joined and decoded).  Returns
 * SMIME_SYNTAX when no type/subtype can be read, SMIME_NORESOURCE on
 * allocation failure.  Out-parameters are cleared at entry and left empty
 * on error; free with free() and smime_mime_params_free().
 */
smime_status smime_mime_parse_content_type(const char *value, char **type,
    char **subtype, struct smime_mime_param **params, size_t *nparams);

/*
 * Parse a value of the form "token *(; param)" (Content-Disposition,
 * Content-Transfer-Encoding): *token receives the lower-cased token.
 * params may be NULL when the caller does not want them.  Same status
 * and ownership rules as smime_mime_parse_content_type().
 */
smime_status smime_mime_parse_token_params(const char *value, char **token,
    struct smime_mime_param **params, size_t *nparams);

/* Free a parameter array; accepts NULL. */
void smime_mime_params_free(struct smime_mime_param *params, size_t nparams);

/* Borrow a parameter's value by name (case-insensitive), or NULL. */
const char *smime_mime_params_get0(const struct smime_mime_param *params,
    size_t nparams, const char *name);

#endif /* SMIME_MIMEHDR_H */
