/*
 * mime.h - a MIME tree over a message body held in a spool, plus the
 * header-value helpers (unfolding, Content-Type parameters, ASCII
 * case-insensitive comparison) that the signer and verifier share.
 *
 * The parser streams over the spool in chunks; it keeps only each part's
 * header fields and byte offsets, so memory grows with the part count, not
 * with the message size.  Offsets are into the body spool:
 *
 *   mp_hdr_start   first byte of the part's header (top level: 0)
 *   mp_body_start  first byte after the blank line ending the header
 *   mp_body_end    end of the body, excluding the line break that precedes
 *                  the next boundary delimiter (RFC 2046 §5.1.1); the spool
 *                  end for the top level
 *
 * A multipart's children are the body parts between its delimiters;
 * a message/rfc822 (or message/global) part in an identity encoding has one
 * child, the encapsulated message.  Line ends may be LF, CR or CRLF, mixed.
 */
#ifndef SMIME_MIME_H
#define SMIME_MIME_H

#include "smime/err.h"
#include "smime/headers.h"
#include "smime/mimehdr.h"
#include "smime/smime.h"
#include "smime/spool.h"

/*
 * The MIME limits, defined once: the defaults of max_mime_depth and
 * max_mime_parts (conf/conf.c, smime-milter.conf(5)) and of every library
 * caller, signing or verifying, that passes 0; and the largest values the
 * configuration accepts.  Plain integer literals: conf.c turns them into
 * its default text.
 */
#define SMIME_MIME_DEFAULT_DEPTH	20
#define SMIME_MIME_DEFAULT_PARTS	1000
#define SMIME_MIME_LIMIT_DEPTH		100
#define SMIME_MIME_LIMIT_PARTS		100000
#define SMIME_MIME_MAX_HEADER		(256 * 1024)	/* per part */
/* The parser reads the spool this many bytes at a time (tests use it). */
#define SMIME_MIME_CHUNK		(64 * 1024)

/* mp_flags: tolerated defects, for callers that care. */
#define SMIME_MIME_F_NOCLOSE	0x01	/* multipart ended without close delimiter */
#define SMIME_MIME_F_NOBOUNDARY	0x02	/* multipart without (usable) boundary */
#define SMIME_MIME_F_BADHEADER	0x04	/* header line without colon */
#define SMIME_MIME_F_BADCTYPE	0x08	/* Content-Type unparsable, default used */
#define SMIME_MIME_F_NOHEADEREND 0x10	/* header ran to a delimiter or EOF */
/*
 * Readers may disagree about this part (never a pass, see verify.c):
 * LOOKALIKE: a line in the body (preamble, any part at any depth,
 * epilogue) starts with "--" and this multipart's boundary but is not
 * exactly one of its delimiters, or repeats a delimiter after the close
 * delimiter (RFC 2046 5.1.1; prefix-matching parsers split there), or one
 * of its delimiter lines is longer than 998 octets (RFC 5322 2.1.1).
 * AMBIGUOUS: Content-Type or Content-Transfer-Encoding given more than
 * once, a parameter given twice or in both plain and RFC 2231 form, a
 * Content-Type that is not plain RFC 2045 syntax (comments, quoted-pairs,
 * junk after a value, a missing ";"...), a boundary outside RFC 2046
 * bchars, a multipart with a Content-Transfer-Encoding other than 7bit,
 * 8bit or binary, or a field name followed by blanks before its colon.
 */
#define SMIME_MIME_F_LOOKALIKE	0x20
#define SMIME_MIME_F_AMBIGUOUS	0x40

struct smime_mime_part {
	char			 *mp_number;	/* IMAP part number, see below */
	char			 *mp_type;	/* "text", lower-cased */
	char			 *mp_subtype;	/* "plain", lower-cased */
	struct smime_mime_param	 *mp_params;
	size_t			  mp_nparams;
	char			 *mp_cte;	/* lower-cased, "7bit" default */
	struct smime_headers	  mp_headers;	/* own fields, folding kept */
	uint64_t		  mp_hdr_start;
	uint64_t		  mp_body_start;
	uint64_t		  mp_body_end;
	/*
	 * Multiparts only: mp_preamble_end is where the line break before the
	 * first delimiter starts (the preamble is [body_start, preamble_end));
	 * mp_epilogue_start is just after the close delimiter line's break
	 * (epilogue is [epilogue_start, body_end)).  Both equal mp_body_end
	 * when the delimiter is missing.
	 */
	uint64_t		  mp_preamble_end;
	uint64_t		  mp_epilogue_start;
	unsigned int		  mp_flags;
	unsigned int		  mp_depth;	/* top level: 0 */
	struct smime_mime_part	 *mp_parent;
	struct smime_mime_part	**mp_children;
	size_t			  mp_nchildren;
};

/*
 * Parse the body in spool whose top-level header fields are hdrs (NULL:
 * the spool holds the whole message, header included, and the root's
 * fields are read from it like any part's).
 * Part numbers follow IMAP: a non-multipart top level is "1"; a multipart
 * top level is "" and its children "1", "2"; grandchildren "1.2".  The
 * message inside a message/rfc822 part "2" is "2" when multipart (children
 * "2.1"...) and "2.1" otherwise.  Limits: more than max_depth nesting or
 * max_parts parts -> SMIME_LIMIT (0: defaults above).  A
 * multipart/signed whose boundary is missing or never appears ->
 * SMIME_SYNTAX; other multiparts tolerate it (flags).  SMIME_TEMPFAIL on
 * spool I/O.  On success *tree receives the root; free it with
 * smime_mime_free().  On error *tree is NULL.
 */
smime_status smime_mime_parse(struct smime_spool *spool,
    const struct smime_headers *hdrs, unsigned int max_depth,
    unsigned int max_parts, struct smime_mime_part **tree,
    struct smime_err *err);

/*
 * Name of the first field of hs that readers split differently, or NULL
 * when there is none: a CR not followed by LF in a name or value, or a
 * name ending in a blank (as an MTA may hand "Content-Type " to a
 * milter).  RFC 5322 section 2.2 allows CR only as part of CRLF.  The
 * returned name is borrowed from hs ("" for a field without a name).
 */
const char *smime_mime_headers_ambiguous(const struct smime_headers *hs);

/* Free a tree returned by smime_mime_parse(); accepts NULL. */
void smime_mime_free(struct smime_mime_part *tree);

/* Borrow the value of parameter name (case-insensitive) or NULL. */
const char *smime_mime_get0_param(const struct smime_mime_part *part,
    const char *name);

/*
 * True when the part's type is type/subtype (ASCII case-insensitive);
 * subtype NULL matches any subtype.
 */
bool smime_mime_is(const struct smime_mime_part *part, const char *type,
    const char *subtype);

/* True for multipart/... parts that were split into children. */
bool smime_mime_is_multipart(const struct smime_mime_part *part);

/* Borrow the part with the given IMAP number, or NULL. */
const struct smime_mime_part *smime_mime_find(
    const struct smime_mime_part *tree, const char *number);

#endif /* SMIME_MIME_H */
