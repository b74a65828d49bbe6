/*
 * address.h - extract the mailbox address from an RFC 5322 address header
 * value (From, Sender): display names, comments, quoted local parts, angle
 * brackets, folding and obsolete routes are handled; groups and lists of
 * more than one mailbox are refused because no single address can stand
 * for them.
 */
#ifndef SMIME_ADDRESS_H
#define SMIME_ADDRESS_H

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
 * Compare two addresses as produced above, local part and domain both
 * ASCII case-insensitively (certificate issuers routinely lower-case the
 * address the sender writes with capitals).  True when equal.
 */
bool smime_address_match(const char *a, const char *b);

#endif /* SMIME_ADDRESS_H */
