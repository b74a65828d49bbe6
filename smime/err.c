/* err.c - formatting of error detail, including OpenSSL's error queue. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "smime/err.h"

void
smime_err_clear(struct smime_err *err)
{
	if (err != NULL)
		err->err_text[0] = '\0';
}

static void
smime_err_vset(struct smime_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->err_text, sizeof(err->err_text), fmt, ap);
}

void
smime_err_set(struct smime_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	smime_err_vset(err, fmt, ap);
	va_end(ap);
}

/* Append the reason strings of the OpenSSL queue, emptying it. */
static void
smime_err_append_openssl(struct smime_err *err)
{
	unsigned long code;
	const char *sep = ": ";
	char reason[256];
	size_t used;

	while ((code = ERR_get_error()) != 0) {
		used = strlen(err->err_text);
		if (used + 4 >= sizeof(err->err_text))
			continue;	/* keep draining, text is full */
		ERR_error_string_n(code, reason, sizeof(reason));
		snprintf(err->err_text + used, sizeof(err->err_text) - used,
		    "%s%s", sep, reason);
		sep = "; ";
	}
}

void
smime_err_openssl(struct smime_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		ERR_clear_error();
		return;
	}
	va_start(ap, fmt);
	smime_err_vset(err, fmt, ap);
	va_end(ap);
	smime_err_append_openssl(err);
}

const char *
smime_err_get0(const struct smime_err *err)
{
	return err == NULL ? "" : err->err_text;
}
