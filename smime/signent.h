/*
 * signent.h - build the entity that an RFC 8551 signature covers (internal
 * to the signer; not part of the library's public interface).
 */
#ifndef SMIME_SIGNENT_H
#define SMIME_SIGNENT_H

#include "smime/err.h"
#include "smime/headers.h"
#include "smime/mime.h"
#include "smime/signhdr.h"
#include "smime/spool.h"

/* What smime_signent_write() kept that the caller must know about. */
struct smime_signent_info {
	/* NULL: the entity is 7-bit; "8bit": it holds kept nested signed
	 * 8-bit bytes, the enclosing multipart/signed says so. */
	const char	*si_cte;
	size_t		 si_kept8;	/* such nested entities kept */
	char		 si_first[64];	/* IMAP number of the first one */
};

/*
 * Append to out the signed entity for the message whose top-level header
 * is hdrs, body is in body and MIME tree is tree: the Content-* fields of
 * hdrs (a default Content-Type when missing), a blank line, and the body,
 * all with CRLF line ends and 7-bit clean: 8bit/binary leaves and any leaf
 * with 8-bit bytes, NUL, bare CR or lines over 998 octets re-encoded
 * (text quoted-printable, others base64); multipart preambles and
 * epilogues dropped; everything else byte-identical up to CRLF.  With hp
 * (RFC 9788 header protection, NULL: none) the root's Content-Type gets
 * hp="clear" and the fields of hp (7-bit, from smime_hp_fields()) follow
 * its Content-* fields.  Nested signed or encrypted entities (S/MIME,
 * PGP/MIME; the children of such a root) are copied byte for byte up to
 * CRLF whatever they hold, and the containers around one with 8-bit bytes
 * are labelled 8bit, reported in info (may be NULL); one with NUL bytes or
 * lines over 998 octets is refused (SMIME_UNSUPPORTED: SMTP cannot carry
 * it unchanged).  A multipart entity ends with its close delimiter and
 * CRLF (what BouncyCastle hashes, see signent.c), a leaf without a line
 * break of its own.  Returns SMIME_OK,
 * SMIME_TEMPFAIL (spool I/O), SMIME_NORESOURCE or SMIME_UNSUPPORTED (a leaf
 * in an unknown transfer encoding that is not 7-bit clean), err set.
 */
smime_status smime_signent_write(const struct smime_headers *hdrs,
    const struct smime_headers *hp, struct smime_spool *body,
    const struct smime_mime_part *tree, struct smime_spool *out,
    struct smime_signent_info *info,
    struct smime_err *err);

/* True for a header field name that starts with "Content-" (any case). */
bool smime_signent_is_content_field(const char *name);

#endif /* SMIME_SIGNENT_H */
