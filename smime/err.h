/*
 * err.h - error text carried next to a status.
 *
 * Every library entry point that can fail takes a struct smime_err * and
 * writes one line of detail into it; callers log it with their own context
 * (queue id, file and line).
 */
#ifndef SMIME_ERR_H
#define SMIME_ERR_H

#include <stdarg.h>
#include "smime/smime.h"

#define SMIME_ERR_MAX 1024

struct smime_err {
	char	err_text[SMIME_ERR_MAX];
};

/* Clear the text; accepts NULL. */
void smime_err_clear(struct smime_err *err);

/* Replace the text with a formatted message; accepts a NULL err. */
void smime_err_set(struct smime_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Like smime_err_set(), then append OpenSSL's error queue (": reason; ...")
 * and empty the queue so that the next operation starts clean.
 */
void smime_err_openssl(struct smime_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Borrow the current text ("" when none). */
const char *smime_err_get0(const struct smime_err *err);

#endif /* SMIME_ERR_H */
