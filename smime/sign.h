/*
 * sign.h - turn a message into an RFC 8551 multipart/signed message.
 *
 * Input: the message's header fields and its body in a spool.  Output: a
 * struct smime_edits with the Content-* fields to delete from the outer
 * header, the new Content-Type (and MIME-Version when missing) to append,
 * and the complete new body (CRLF) in ed_body.  The original spool is not
 * modified.  Memory use is bounded by the spool thresholds, not the
 * message size.
 */
#ifndef SMIME_SIGN_H
#define SMIME_SIGN_H

#include "smime/edits.h"
#include "smime/err.h"
#include "smime/headers.h"
#include "smime/identity.h"
#include "smime/spool.h"

struct smime_sign_opts {
	/* "sha256" | "sha384" | "sha512" (NULL: sha256); an EC key gets at
	 * least its curve's size (P-384: sha384), micalg follows. */
	const char	*so_digest;
	bool		 so_include_chain;
	bool		 so_rsa_pss;
	const char	*so_tmpdir;	/* spool directory, NULL: default */
	size_t		 so_spool_memory;
	/* MIME limits; 0: SMIME_MIME_DEFAULT_DEPTH/_PARTS (mime.h) */
	unsigned int	 so_max_depth;
	unsigned int	 so_max_parts;
	/*
	 * RFC 9788 header protection (hp.h): copy the fields named in
	 * so_hp_fields[0..so_hp_nfields) (NULL: smime_hp_default_fields;
	 * an empty list turns protection off) into the signed root part.
	 */
	bool		 so_header_protection;
	char *const	*so_hp_fields;
	size_t		 so_hp_nfields;
	/*
	 * RFC 8551 3.5.2 opaque signing: application/pkcs7-mime;
	 * smime-type=signed-data with the entity encapsulated (DER, base64)
	 * instead of multipart/signed.  Readers without S/MIME see only an
	 * attachment "smime.p7m".
	 */
	bool		 so_opaque;
};

/*
 * True when the message already carries S/MIME (multipart/signed with an
 * S/MIME protocol, application/(x-)pkcs7-mime of any smime-type): such
 * mail is never signed again.  Only a message with exactly one
 * Content-Type field counts: with several, readers disagree on which one
 * applies, so the message is not taken for S/MIME (signing it then
 * refuses or signs it; it never passes unsigned as "already S/MIME").
 */
bool smime_sign_is_smime(const struct smime_headers *hdrs);

/*
 * Sign the message with id.  Returns SMIME_OK with edits filled, or an
 * error status with err set and edits left empty (never a half-built
 * message): SMIME_SYNTAX for unparsable MIME, SMIME_EXPIRED for a cert
 * outside its validity, SMIME_POLICY for a cert whose KeyUsage/EKU
 * exclude S/MIME signing, SMIME_BADKEY (key missing or not the cert's),
 * SMIME_UNSUPPORTED (unknown digest, already S/MIME, a leaf in an unknown
 * transfer encoding that is not 7-bit), SMIME_LIMIT (MIME depth/part
 * limits), SMIME_NORESOURCE (memory), SMIME_TEMPFAIL for spool I/O.  edits is initialised here.
 *
 * On success: every Content-* field and MIME-Version of hdrs queued for
 * deletion; "MIME-Version: 1.0" and the multipart/signed Content-Type
 * appended (folded with LF + TAB, as smfi_addheader() expects) -- with
 * so_opaque instead "application/pkcs7-mime; smime-type=signed-data;
 * name=smime.p7m", Content-Transfer-Encoding base64 and an attachment
 * Content-Disposition, ed_body then the base64 of the SignedData whose
 * eContent is the entity described next; ed_body
 * holds the new body with CRLF line ends, 7-bit, lines of at most 78
 * octets except lines copied unchanged from a 7bit part.  With
 * so_header_protection the signed root part carries the protected fields
 * and hp="clear"; when they cannot be written in 7 bits (an RFC 6532
 * addr-spec) the message is signed without them and err holds a note
 * saying so although SMIME_OK is returned.  Nested signed or encrypted
 * entities are never altered: when one holds 8-bit bytes it is kept,
 * every container up to the root is labelled 8bit, a
 * "Content-Transfer-Encoding" field is appended to the outer header and
 * err says so too (notes joined by "; "; err is empty on success without
 * notes); one with NUL bytes or lines over 998 octets gives
 * SMIME_UNSUPPORTED.
 */
smime_status smime_sign_message(const struct smime_identity *id,
    const struct smime_sign_opts *opts, const struct smime_headers *hdrs,
    struct smime_spool *body, struct smime_edits *edits,
    struct smime_err *err);

#endif /* SMIME_SIGN_H */
