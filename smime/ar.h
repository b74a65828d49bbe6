/*
 * ar.h - the header fields the verifier writes (ar.c): Authentication-
 * Results (RFC 8601, RFC 7281), X-SMIME-Signer, and the removal of forged
 * ones.  Takes a result list (result.h); knows nothing of how the results
 * were reached.  Not part of the library API.
 */
#ifndef SMIME_AR_H
#define SMIME_AR_H

#include <stdbool.h>
#include <stddef.h>

#include "smime/edits.h"
#include "smime/headers.h"
#include "smime/result.h"

/*
 * The Authentication-Results value for the results (smime=none when the
 * list is empty), folded with "\n\t" before 78 columns.  Caller frees;
 * NULL on allocation failure.
 */
char *smime_ar_format(const char *authserv_id,
    const struct smime_sigres_list *l);

/*
 * True when an Authentication-Results value names authserv_id (ASCII
 * case-insensitive, after skipping CFWS; a quoted authserv-id is
 * unquoted first).
 */
bool smime_ar_is_ours(const char *value, const char *authserv_id);

/* Bytes of signer text (UTF-8) kept in X-SMIME-Signer; " ..." marks a cut. */
#define SMIME_SIGNER_MAX	512

/*
 * Encode UTF-8 text as an unstructured header value (RFC 5322 2.2.1,
 * RFC 2047) after capping it at SMIME_SIGNER_MAX bytes and replacing
 * each invalid UTF-8 byte and each invisible or bidirectional-formatting
 * character (C1, U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, ...) with
 * one '?', so the text displays as what it is: printable ASCII
 * without "=?" stays plain, folded at its spaces ("\n ") so that no line
 * passes 78 columns after a field name of name_len characters; anything
 * else (non-ASCII, control characters, an "=?" that a reader would
 * decode as an encoded-word, a word too long to fold) becomes RFC 2047
 * B encoded-words of at most 75 characters that never split a
 * character, folded with "\n\t" within 76 columns.
 * Caller frees; NULL on allocation failure.
 */
char *smime_rfc2047_encode(const char *text, size_t name_len);

/*
 * Fill edits: delete the fields forged.h says could pass for ours (A-R
 * with our authserv-id and an smime result or unparsable, every
 * X-SMIME-Signer), prepend one A-R and (signer_header) one X-SMIME-Signer per passing
 * signer.
 */
smime_status smime_ar_edits(const char *authserv_id, bool signer_header,
    const struct smime_headers *hdrs, const struct smime_sigres_list *l,
    struct smime_edits *edits);

#endif /* SMIME_AR_H */
