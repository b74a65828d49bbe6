/*
 * fuzz_msg.h - helpers shared by the libFuzzer targets: turn fuzzer bytes
 * into what the daemon hands the library (header fields as the MTA passes
 * them, the body in a spool) and check invariants of library output.
 * A violated invariant calls fz_fail(), which aborts so that libFuzzer
 * records the input.
 */
#ifndef FUZZ_MSG_H
#define FUZZ_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "smime/edits.h"
#include "smime/headers.h"
#include "smime/spool.h"

/* Spool memory threshold: small, so that the on-disk path is fuzzed too. */
#define FZ_SPOOL_MEMORY	4096

/*
 * Split data into header fields (name; value without the blank after the
 * colon, folding kept as LF, CR dropped) and a body spool (CRLF line
 * ends, like an MTA's body chunks).  A line that is neither a field nor a
 * continuation ends the header and starts the body.  Returns 0, or -1 on
 * allocation failure (nothing to free then).
 */
int fz_message(const uint8_t *data, size_t size, struct smime_headers *hs,
    struct smime_spool **body);

/* NUL-terminated copy of data (embedded NULs stay and truncate). */
char *fz_strndup(const uint8_t *data, size_t size);

/*
 * Every header field in edits must be safe to hand to the MTA: a non-empty
 * name of printable ASCII without ':', a value without CR or NUL whose
 * LFs are all followed by a blank (folding), else header injection.
 */
void fz_check_edits(const struct smime_edits *ed);

/* Report a broken invariant and abort. */
void fz_fail(const char *what, const char *detail)
    __attribute__((noreturn));

#endif /* FUZZ_MSG_H */
