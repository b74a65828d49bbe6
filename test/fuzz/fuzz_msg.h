/*
 * fuzz_msg.h - helpers shared by the libFuzzer targets: turn fuzzer bytes
 * into what the daemon hands the library (header fields as the MTA passes
 * them, the body in a spool) and check invariants of library output.
 * A violated invariant calls fz_fail(), which aborts so that libFuzzer
 * records the input.
 */
#ifndef FUZZ_MSG_H
#define FUZZ_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smime/edits.h"
#include "smime/headers.h"
#include "smime/spool.h"

struct smime_verifier;
struct smime_verify_opts;

/*
 * Spool memory thresholds.  Most inputs stay in memory (FZ_SPOOL_MEM is
 * above every -max_len run.sh uses): a temporary file per input costs
 * more than parsing it.  One input in 16 (fz_on_disk()) gets
 * FZ_SPOOL_DISK, so that the spill to a temporary file and the reads
 * from it are fuzzed too.
 */
#define FZ_SPOOL_DISK	4096
#define FZ_SPOOL_MEM	(1024 * 1024)

/*
 * True for the inputs that use FZ_SPOOL_DISK: a function of the bytes
 * only, so that a saved crash input reproduces on the same path.
 */
bool fz_on_disk(const uint8_t *data, size_t size);

/* FZ_SPOOL_DISK or FZ_SPOOL_MEM for this input (see fz_on_disk()). */
size_t fz_spool_memory(const uint8_t *data, size_t size);

/*
 * The path of file in the test PKI directory $FUZZ_PKI, written into buf
 * (size bytes, which must outlive its use) and returned.  Exits with a
 * message naming who when FUZZ_PKI is unset.
 */
const char *fz_pki_file(const char *who, const char *file, char *buf,
    size_t size);

/*
 * Reset vo to the options every target's verifier shares: trust.pem of
 * $FUZZ_PKI (and chain.pem as intermediates when asked), authserv-id
 * mx.fuzz.example, a 1 s OCSP timeout.  The caller sets the rest.
 */
void fz_verify_opts(struct smime_verify_opts *vo, const char *who,
    bool intermediates);

/*
 * The two verifiers of a target, built once in LLVMFuzzerInitialize():
 * vo with vo_spool_memory set to FZ_SPOOL_MEM and to FZ_SPOOL_DISK.
 * Exits with a message naming who on failure (a fuzzer cannot run
 * without them).  They live until the process exits.
 */
void fz_verifiers_init(struct smime_verify_opts *vo, const char *who);

/* The verifier for this input, matching fz_message()'s spool. */
struct smime_verifier *fz_verifier_for(const uint8_t *data, size_t size);

/*
 * Split data into header fields (name; value without the blank after the
 * colon, folding kept as LF, CR dropped) and a body spool (CRLF line
 * ends, like an MTA's body chunks; its memory threshold from
 * fz_spool_memory()).  A line that is neither a field nor a continuation
 * ends the header and starts the body.  Returns 0, or -1 on allocation
 * failure (nothing to free then).
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

/*
 * Scan the Authentication-Results fields prepended in ed: return the
 * number of results (resinfo), count in *nbad those that are not pass,
 * policy or none and in *npass (may be NULL) those that are pass, and set
 * *outer when the outermost signature (body.smime-part=1) got pass or
 * policy.  Quoted strings (header.from) are skipped and a result counts
 * only right after a ';', so a From field cannot fake a part number or a
 * result.
 */
size_t fz_ar_scan(const struct smime_edits *ed, bool *outer, size_t *nbad,
    size_t *npass);

/* Report a broken invariant and abort. */
void fz_fail(const char *what, const char *detail)
    __attribute__((noreturn));

#endif /* FUZZ_MSG_H */
