/*
 * address.h - extract the mailbox address from an RFC 5322 address header
 * value (From, Sender): display names, comments, quoted local parts, angle
 * brackets, folding and obsolete routes are handled; groups and lists of
 * more than one mailbox are refused because no single address can stand
 * for them.
 */
#ifndef SMIME_ADDRESS_H
#define SMIME_ADDRESS_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "smime/err.h"
#include "smime/smime.h"

/*
 * Parse value (the field body as received, folding allowed) and hand back
 * "local@domain" in *addr_out (caller frees): the domain lower-cased, the
 * local part unquoted when it is a plain dot-atom and otherwise kept as a
 * quoted string.  Returns SMIME_OK, SMIME_SYNTAX (no or malformed address),
 * SMIME_UNSUPPORTED (group or several mailboxes) or SMIME_NORESOURCE; err
 * says why.  *addr_out is NULL on failure.
 */
smime_status smime_address_from_header(const char *value, char **addr_out,
    struct smime_err *err);

/*
 * The one address comparison: identity lookup (From -> signing identity,
 * the store's directory names, the certificate of a configured identity),
 * the Sender check and signer-vs-From in verification all ask this.
 * True when a and b are both "local@domain" (split at the last '@', both
 * sides non-empty) and equal with ASCII letters compared without case,
 * in the local part as in the domain; every other byte (UTF-8 of an
 * RFC 6532 address) must be identical: no Unicode case folding or
 * normalisation, no removal of dots or "+tags", no IDNA.
 *
 * Why the local part ignores case although RFC 5321 2.4 lets a server
 * tell "Taro" from "taro": the same section tells servers not to, RFC
 * 5280 4.1.2.6 says emailAddress is not case-sensitive, CAs lower-case
 * what the subscriber typed, and the recipients' clients (NSS lower-cases
 * certificate addresses for Thunderbird, Outlook) match without case, so
 * an exact rule would fail genuine mail without protecting anyone: a
 * forger would need a CA to certify a case variant of the candidate's
 * mailbox, which means receiving mail there, which on any server that
 * folds case is the candidate's own mailbox.  Non-ASCII bytes are never
 * folded, so no look-alike (Kelvin sign, dotless i) ever matches.
 */
bool smime_address_equal(const char *a, const char *b);

/*
 * True when cert carries address, by smime_address_equal(), in a
 * subjectAltName rfc822Name or the subject's emailAddress.
 */
bool smime_cert_has_address(X509 *cert, const char *address);

#endif /* SMIME_ADDRESS_H */
