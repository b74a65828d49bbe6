/*
 * mime.c - streaming MIME structure parser over a body spool.
 *
 * One forward pass over the spool, line by line through a 64 KiB buffer
 * (line ends found with memchr(), a buffer at a time; a body with no open
 * boundary is not read at all).
 * Only header lines are copied whole; for every other line we keep a short
 * prefix, enough to hold "--" boundary "--", and remember whether every
 * byte after the prefix is a blank: a delimiter may carry any amount of
 * transport padding (RFC 2046 5.1.1), so memory stays flat however long
 * the line.  A line ends at LF, CR or CRLF, the same rule the CRLF
 * canonicalizer (canon.c) applies, so the offsets we report and the bytes
 * a verifier hashes agree.
 *
 * Lines that start like a delimiter of an open (or just closed) boundary
 * without being one, and delimiters longer than 998 octets, mark that
 * multipart SMIME_MIME_F_LOOKALIKE: other parsers (prefix matchers such as
 * OpenSSL's, line-buffered ones such as GMime) split elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smime/mime.h"

#define MIME_CHUNK	SMIME_MIME_CHUNK
#define MIME_PREFIX	256	/* "--" + boundary + "--" + padding */
#define MIME_MAX_BOUNDARY (MIME_PREFIX - 8)
/*
 * RFC 5322 2.1.1: no line passes 998 octets.  A delimiter with more
 * padding still delimits (RFC 2046 5.1.1 sets no limit, and we follow
 * it), but readers with line buffers (GMime past a few KiB) end the part
 * elsewhere: such a delimiter marks its multipart LOOKALIKE.
 */
#define MIME_MAX_DELIM_LINE 998

struct mime_line {
	uint64_t	ml_start;
	uint64_t	ml_end;		/* where the line break starts */
	uint64_t	ml_next;	/* after the line break */
	unsigned char	ml_prefix[MIME_PREFIX];
	size_t		ml_plen;
	bool		ml_tail_blank;	/* bytes past the prefix: all SP/HTAB */
	bool		ml_eof;		/* no line: end of spool */
};

/* How a region ended: at EOF (level -1) or a delimiter of bstack[level]. */
struct mime_term {
	struct mime_line	mt_line;
	int			mt_level;
	bool			mt_close;
};

struct mime_boundary {
	const char		*mb_text;
	size_t			 mb_len;
	struct smime_mime_part	*mb_part;	/* the multipart it belongs to */
	bool			 mb_closed;	/* in its epilogue: no delimiter */
};

struct mime_ctx {
	struct smime_spool	*mc_spool;
	struct smime_err	*mc_err;
	unsigned char		*mc_buf;	/* mc_buf_cap bytes */
	size_t			 mc_buf_cap;	/* <= MIME_CHUNK */
	uint64_t		 mc_buf_off;
	size_t			 mc_buf_len;
	uint64_t		 mc_pos;
	struct mime_boundary	*mc_bstack;
	int			 mc_blevels;
	unsigned int		 mc_max_depth;
	unsigned int		 mc_max_parts;
	unsigned int		 mc_nparts;
	char			*mc_hdr;	/* current header line, whole */
	size_t			 mc_hdr_len;
	size_t			 mc_hdr_alloc;
};

/*
 * Make the buffer hold the byte at off: 1, 0 at the end of the spool, -1
 * on I/O error (text in err).  The buffer is refilled from off onwards.
 */
static int
mime_fill(struct mime_ctx *mc, uint64_t off)
{
	size_t got;

	if (off >= mc->mc_buf_off && off < mc->mc_buf_off + mc->mc_buf_len)
		return 1;
	if (smime_spool_read_at(mc->mc_spool, off, mc->mc_buf,
	    mc->mc_buf_cap, &got, mc->mc_err) != SMIME_OK)
		return -1;
	mc->mc_buf_off = off;
	mc->mc_buf_len = got;
	return got > 0;
}

/* Append n bytes of a line to the whole-header buffer, bounded per line. */
static smime_status
mime_hdr_put(struct mime_ctx *mc, const unsigned char *p, size_t n)
{
	char *nb, *dst, *s;
	size_t alloc;

	if (mc->mc_hdr_len + n + 1 > SMIME_MIME_MAX_HEADER) {
		smime_err_set(mc->mc_err, "MIME header larger than %d "
		    "bytes", SMIME_MIME_MAX_HEADER);
		return SMIME_NORESOURCE;
	}
	if (mc->mc_hdr_len + n + 1 > mc->mc_hdr_alloc) {
		alloc = mc->mc_hdr_alloc == 0 ? 256 : mc->mc_hdr_alloc;
		while (alloc < mc->mc_hdr_len + n + 1)
			alloc *= 2;
		if ((nb = realloc(mc->mc_hdr, alloc)) == NULL) {
			smime_err_set(mc->mc_err, "out of memory");
			return SMIME_NORESOURCE;
		}
		mc->mc_hdr = nb;
		mc->mc_hdr_alloc = alloc;
	}
	dst = mc->mc_hdr + mc->mc_hdr_len;
	memcpy(dst, p, n);
	/* A NUL would cut the C string short: keep the field readable. */
	for (s = dst; (s = memchr(s, '\0', n - (size_t)(s - dst))) != NULL;
	    s++)
		*s = ' ';
	mc->mc_hdr_len += n;
	mc->mc_hdr[mc->mc_hdr_len] = '\0';
	return SMIME_OK;
}

/*
 * The first CR or LF in [p, p + n), or NULL: two memchr() passes over
 * the run, never a test per byte in our own code.
 */
static const unsigned char *
mime_find_eol(const unsigned char *p, size_t n)
{
	const unsigned char *lf = memchr(p, '\n', n), *cr;

	cr = memchr(p, '\r', lf != NULL ? (size_t)(lf - p) : n);
	return cr != NULL ? cr : lf;
}

/* Take n content bytes of the line being read (see mime_next_line()). */
static smime_status
mime_line_take(struct mime_ctx *mc, struct mime_line *ln,
    const unsigned char *p, size_t n, bool whole)
{
	size_t k = 0;

	if (ln->ml_plen < MIME_PREFIX) {
		k = MIME_PREFIX - ln->ml_plen < n ? MIME_PREFIX - ln->ml_plen :
		    n;
		memcpy(ln->ml_prefix + ln->ml_plen, p, k);
		ln->ml_plen += k;
	}
	/* Past the prefix: only whether it is all blanks matters. */
	for (; ln->ml_tail_blank && k < n; k++)
		if (p[k] != ' ' && p[k] != '\t')
			ln->ml_tail_blank = false;
	return whole ? mime_hdr_put(mc, p, n) : SMIME_OK;
}

/*
 * Read the next line into ln; when whole is set, also append its text
 * (without the line break) to mc_hdr.  ln->ml_eof at the end of the spool.
 * The line is found a buffer at a time (mime_find_eol()); a line may span
 * any number of buffers and a CRLF may be split between two.
 */
static smime_status
mime_next_line(struct mime_ctx *mc, struct mime_line *ln, bool whole)
{
	uint64_t pos = mc->mc_pos;
	const unsigned char *s, *e;
	size_t n, k;
	smime_status ret;
	int rc;

	ln->ml_start = pos;
	ln->ml_plen = 0;
	ln->ml_tail_blank = true;
	ln->ml_eof = false;
	for (;;) {
		if ((rc = mime_fill(mc, pos)) < 0)
			return SMIME_TEMPFAIL;
		if (rc == 0) {
			ln->ml_eof = pos == ln->ml_start;
			ln->ml_end = ln->ml_next = pos;
			break;
		}
		s = mc->mc_buf + (pos - mc->mc_buf_off);
		n = mc->mc_buf_len - (size_t)(pos - mc->mc_buf_off);
		e = mime_find_eol(s, n);
		k = e == NULL ? n : (size_t)(e - s);
		if (k > 0 && (ret = mime_line_take(mc, ln, s, k, whole)) !=
		    SMIME_OK)
			return ret;
		pos += k;
		if (e == NULL)
			continue;
		ln->ml_end = pos;
		ln->ml_next = pos + 1;
		if (*e == '\r') {
			/* The LF of a CRLF may start the next buffer. */
			if ((rc = mime_fill(mc, pos + 1)) < 0)
				return SMIME_TEMPFAIL;
			if (rc == 1 && mc->mc_buf[pos + 1 - mc->mc_buf_off] ==
			    '\n')
				ln->ml_next = pos + 2;
		}
		break;
	}
	mc->mc_pos = ln->ml_next;
	return SMIME_OK;
}

/*
 * Which open boundary (innermost first) the line delimits: the level, or
 * -1.  A delimiter is "--" boundary, optionally "--", then only blanks
 * (transport padding, any amount).  Every boundary whose "--" boundary
 * starts the line without the line being its delimiter gets its part
 * flagged SMIME_MIME_F_LOOKALIKE; a closed boundary (its epilogue is being
 * read) never delimits, so a repeated delimiter there is flagged too.
 */
static int
mime_match_delim(struct mime_ctx *mc, const struct mime_line *ln,
    bool *close)
{
	const unsigned char *p = ln->ml_prefix;
	size_t len = (size_t)(ln->ml_end - ln->ml_start), plen = ln->ml_plen;
	size_t i, bl;
	int level, found = -1;
	bool cl;

	*close = false;
	if (len < 2 || p[0] != '-' || p[1] != '-')
		return -1;
	for (level = mc->mc_blevels - 1; level >= 0; level--) {
		bl = mc->mc_bstack[level].mb_len;
		if (plen < 2 + bl ||
		    memcmp(p + 2, mc->mc_bstack[level].mb_text, bl) != 0)
			continue;
		i = 2 + bl;
		cl = plen >= i + 2 && p[i] == '-' && p[i + 1] == '-';
		if (cl)
			i += 2;
		while (i < plen && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (found < 0 && !mc->mc_bstack[level].mb_closed &&
		    i == plen && (len == plen || ln->ml_tail_blank)) {
			found = level;
			*close = cl;
			if (len <= MIME_MAX_DELIM_LINE)
				continue;
		}
		mc->mc_bstack[level].mb_part->mp_flags |=
		    SMIME_MIME_F_LOOKALIKE;
	}
	return found;
}

/*
 * Skip lines from the current position to the next delimiter of any open
 * boundary or EOF; *end receives where the region's content ends (before
 * the line break preceding the delimiter).  first, when non-NULL, is a line
 * of the region already read.
 */
static smime_status
mime_skip(struct mime_ctx *mc, uint64_t region, const struct mime_line *first,
    struct mime_term *term, uint64_t *end)
{
	uint64_t prev_end = region;
	bool have_prev = false;
	smime_status ret;

	if (first != NULL) {
		prev_end = first->ml_end;
		have_prev = true;
	}
	/*
	 * No boundary is open: no line can end the region or be flagged, so
	 * it runs to the end of the spool (a single-part body is not read).
	 */
	if (mc->mc_blevels == 0 && smime_spool_size(mc->mc_spool) > mc->mc_pos)
		mc->mc_pos = smime_spool_size(mc->mc_spool);
	for (;;) {
		if ((ret = mime_next_line(mc, &term->mt_line, false)) != SMIME_OK)
			return ret;
		if (term->mt_line.ml_eof) {
			term->mt_level = -1;
			*end = term->mt_line.ml_start;
			return SMIME_OK;
		}
		term->mt_level = mime_match_delim(mc, &term->mt_line,
		    &term->mt_close);
		if (term->mt_level >= 0) {
			*end = have_prev ? prev_end : region;
			return SMIME_OK;
		}
		prev_end = term->mt_line.ml_end;
		have_prev = true;
	}
}

static struct smime_mime_part *
mime_part_new(struct mime_ctx *mc, struct smime_mime_part *parent,
    smime_status *ret)
{
	struct smime_mime_part *part, **kids;

	if (mc->mc_nparts >= mc->mc_max_parts) {
		smime_err_set(mc->mc_err, "more than %u MIME parts",
		    mc->mc_max_parts);
		*ret = SMIME_LIMIT;
		return NULL;
	}
	if (parent != NULL && parent->mp_depth + 1 > mc->mc_max_depth) {
		smime_err_set(mc->mc_err, "MIME nesting deeper than %u",
		    mc->mc_max_depth);
		*ret = SMIME_LIMIT;
		return NULL;
	}
	*ret = SMIME_NORESOURCE;
	if ((part = calloc(1, sizeof(*part))) == NULL) {
		smime_err_set(mc->mc_err, "out of memory");
		return NULL;
	}
	smime_headers_init(&part->mp_headers);
	if (parent != NULL) {
		kids = reallocarray(parent->mp_children,
		    parent->mp_nchildren + 1, sizeof(*kids));
		if (kids == NULL) {
			free(part);
			smime_err_set(mc->mc_err, "out of memory");
			return NULL;
		}
		parent->mp_children = kids;
		kids[parent->mp_nchildren++] = part;
		part->mp_parent = parent;
		part->mp_depth = parent->mp_depth + 1;
	}
	mc->mc_nparts++;
	*ret = SMIME_OK;
	return part;
}

/* Store the header line in mc_hdr as a new field (or as a continuation). */
static smime_status
mime_hdr_store(struct mime_ctx *mc, struct smime_mime_part *part)
{
	struct smime_headers *hs = &part->mp_headers;
	char *colon, *name, *value, *joined;
	size_t n, oldlen;

	if (mc->mc_hdr[0] == ' ' || mc->mc_hdr[0] == '\t') {
		value = hs->hs_list[hs->hs_count - 1].hdr_value;
		oldlen = strlen(value);
		n = oldlen + 2 + mc->mc_hdr_len + 1;
		if ((joined = realloc(value, n)) == NULL)
			return SMIME_NORESOURCE;
		snprintf(joined + oldlen, n - oldlen, "\r\n%s", mc->mc_hdr);
		hs->hs_list[hs->hs_count - 1].hdr_value = joined;
		hs->hs_bytes += mc->mc_hdr_len + 2;
		return SMIME_OK;
	}
	colon = strchr(mc->mc_hdr, ':');
	*colon = '\0';
	name = mc->mc_hdr;
	for (n = strlen(name); n > 0 && (name[n - 1] == ' ' ||
	    name[n - 1] == '\t'); n--) {
		/* Python's parser, for one, ends the header there. */
		name[n - 1] = '\0';
		part->mp_flags |= SMIME_MIME_F_AMBIGUOUS;
	}
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		;
	return smime_headers_add(hs, name, value);
}

/*
 * A field name is printable ASCII other than ':' (RFC 5322 §2.2), as
 * Python's parser also insists; blanks before the colon are tolerated.
 */
static bool
mime_field_name_ok(const char *line, const char *colon)
{
	const char *p, *end = colon;

	if (colon == NULL)
		return false;
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == line)
		return false;
	for (p = line; p < end; p++)
		if ((unsigned char)*p < 33 || (unsigned char)*p > 126)
			return false;
	return true;
}

/*
 * Read a part's header into part->mp_headers.  Sets mp_body_start.  When
 * the header runs into a delimiter or EOF, *ended is set and term says
 * how; when a line that is no header field starts the body, it is
 * returned in *bodyline (ml_eof clear) for mime_skip().
 */
static smime_status
mime_read_header(struct mime_ctx *mc, struct smime_mime_part *part,
    struct mime_term *term, bool *ended, struct mime_line *bodyline)
{
	struct mime_line *ln = &term->mt_line;
	smime_status ret;
	const char *colon;
	bool have_field = false, first = true, encap;

	*ended = false;
	bodyline->ml_eof = true;
	encap = part->mp_parent != NULL &&
	    (smime_mime_is(part->mp_parent, "message", "rfc822") ||
	    smime_mime_is(part->mp_parent, "message", "global"));
	for (;; first = false) {
		mc->mc_hdr_len = 0;
		if ((ret = mime_next_line(mc, ln, true)) != SMIME_OK)
			return ret;
		/*
		 * An mbox "From " envelope line before an encapsulated
		 * message's header (forwarded from an mbox file) is no field
		 * and no body: the header starts on the next line, as
		 * Python's email package and mail readers parse it.
		 */
		if (first && encap && !ln->ml_eof && mc->mc_hdr_len >= 5 &&
		    memcmp(mc->mc_hdr, "From ", 5) == 0)
			continue;
		if (ln->ml_eof || (term->mt_level = mime_match_delim(mc, ln,
		    &term->mt_close)) >= 0) {
			if (ln->ml_eof)
				term->mt_level = -1;
			part->mp_flags |= SMIME_MIME_F_NOHEADEREND;
			part->mp_body_start = part->mp_body_end = ln->ml_start;
			*ended = true;
			return SMIME_OK;
		}
		if (ln->ml_end == ln->ml_start) {
			part->mp_body_start = ln->ml_next;
			return SMIME_OK;
		}
		colon = memchr(mc->mc_hdr, ':', mc->mc_hdr_len);
		if ((mc->mc_hdr[0] == ' ' || mc->mc_hdr[0] == '\t') ?
		    !have_field : !mime_field_name_ok(mc->mc_hdr, colon)) {
			/* Not a header field: the body starts here. */
			part->mp_flags |= SMIME_MIME_F_BADHEADER;
			part->mp_body_start = ln->ml_start;
			*bodyline = *ln;
			return SMIME_OK;
		}
		if ((ret = mime_hdr_store(mc, part)) != SMIME_OK) {
			smime_err_set(mc->mc_err, "out of memory");
			return ret;
		}
		have_field = true;
	}
}

/* Skip blanks and line breaks (folding). */
static const char *
mime_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Skip an RFC 2045 token at *p; false when there is none. */
static bool
mime_skip_token(const char **p)
{
	const char *s = *p;

	while ((unsigned char)**p > 0x20 && (unsigned char)**p < 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", **p) == NULL)
		(*p)++;
	return *p != s;
}

/*
 * True when a Content-Type value is plain RFC 2045 syntax: type "/"
 * subtype, then "; attribute=value" pairs (token or quoted-string
 * without quoted-pairs or line breaks), blanks and folding only around
 * ";" and "=", a trailing ";" allowed.  Readers disagree on everything
 * else (comments, junk after a value, a missing ";", blanks around "/",
 * escapes: Python unescapes only \\ and \"), so they could read another
 * boundary than we do.
 */
static bool
mime_ct_strict(const char *v)
{
	const char *p = mime_skip_ws(v);

	if (!mime_skip_token(&p) || *p++ != '/' || !mime_skip_token(&p))
		return false;
	for (;;) {
		if (*(p = mime_skip_ws(p)) == '\0')
			return true;
		if (*p++ != ';')
			return false;
		if (*(p = mime_skip_ws(p)) == '\0')
			return true;
		if (!mime_skip_token(&p))
			return false;
		p = mime_skip_ws(p);
		if (*p++ != '=')
			return false;
		p = mime_skip_ws(p);
		if (*p == '"') {
			for (p++; *p != '"'; p++)
				if (*p == '\0' || *p == '\\' || *p == '\r' ||
				    *p == '\n')
					return false;
			p++;
		} else if (!mime_skip_token(&p))
			return false;
	}
}

/*
 * True when boundary is 1 to 70 RFC 2046 bchars not ending in a space;
 * readers trim, truncate or reject other values differently.
 */
static bool
mime_boundary_ok(const char *b)
{
	size_t n = strlen(b), i;

	if (n == 0 || n > 70 || b[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c) != NULL))
			return false;
	}
	return true;
}

/*
 * Readers disagree on such fields: Python's email package ends a field at
 * a bare CR and reads the rest as a field of its own (a hidden second
 * Content-Type or From); others keep it in the value.
 */
const char *
smime_mime_headers_ambiguous(const struct smime_headers *hs)
{
	const char *s, *f[2];
	size_t i, k, n;

	for (i = 0; i < hs->hs_count; i++) {
		f[0] = hs->hs_list[i].hdr_name;
		n = f[0] != NULL ? strlen(f[0]) : 0;
		if (n > 0 && (f[0][n - 1] == ' ' || f[0][n - 1] == '\t'))
			return f[0];
		f[1] = hs->hs_list[i].hdr_value;
		for (k = 0; k < 2; k++)
			for (s = f[k]; s != NULL && (s = strchr(s, '\r')) != NULL;
			    s++)
				if (s[1] != '\n')
					return f[0] != NULL ? f[0] : "";
	}
	return NULL;
}

/* Fill type, subtype, parameters and CTE from the part's header fields. */
static smime_status
mime_classify(struct mime_ctx *mc, struct smime_mime_part *part,
    const struct smime_headers *hs)
{
	const char *ct = smime_headers_get0(hs, "Content-Type", 0);
	const char *cte = smime_headers_get0(hs, "Content-Transfer-Encoding", 0);
	const struct smime_mime_part *parent = part->mp_parent;
	bool digest;
	smime_status ret;
	size_t i;

	digest = parent != NULL && smime_mime_is(parent, "multipart", "digest");
	if (smime_headers_count(hs, "Content-Type") > 1 ||
	    smime_headers_count(hs, "Content-Transfer-Encoding") > 1 ||
	    smime_mime_headers_ambiguous(hs) != NULL)
		part->mp_flags |= SMIME_MIME_F_AMBIGUOUS;
	if (ct != NULL && !mime_ct_strict(ct))
		part->mp_flags |= SMIME_MIME_F_AMBIGUOUS;
	if (ct != NULL) {
		ret = smime_mime_parse_content_type(ct, &part->mp_type,
		    &part->mp_subtype, &part->mp_params, &part->mp_nparams);
		if (ret == SMIME_NORESOURCE)
			goto nomem;
		if (ret != SMIME_OK) {
			part->mp_flags |= SMIME_MIME_F_BADCTYPE;
			digest = false;	/* RFC 2045 §5.2: text/plain */
		}
	}
	for (i = 0; i < part->mp_nparams; i++)
		if (part->mp_params[i].mpa_dup)
			part->mp_flags |= SMIME_MIME_F_AMBIGUOUS;
	if (part->mp_type == NULL) {
		part->mp_type = strdup(digest ? "message" : "text");
		part->mp_subtype = strdup(digest ? "rfc822" : "plain");
		if (part->mp_type == NULL || part->mp_subtype == NULL)
			goto nomem;
	}
	if (cte == NULL || smime_mime_parse_token_params(cte, &part->mp_cte,
	    NULL, NULL) != SMIME_OK)
		part->mp_cte = strdup("7bit");
	if (part->mp_cte == NULL)
		goto nomem;
	return SMIME_OK;
nomem:
	smime_err_set(mc->mc_err, "out of memory");
	return SMIME_NORESOURCE;
}

static smime_status mime_parse_entity(struct mime_ctx *mc,
    struct smime_mime_part *part, const struct smime_headers *tophdrs,
    struct mime_term *term);

/*
 * Parse the body of a multipart whose boundary is bnd: preamble, the
 * children, epilogue.  term receives what ended the multipart.
 */
static smime_status
mime_parse_multipart(struct mime_ctx *mc, struct smime_mime_part *part,
    const char *bnd, const struct mime_line *first, struct mime_term *term)
{
	struct smime_mime_part *child;
	struct mime_line close;
	int mine = mc->mc_blevels;
	uint64_t end = part->mp_body_start;
	smime_status ret = SMIME_OK;

	mc->mc_bstack[mc->mc_blevels].mb_text = bnd;
	mc->mc_bstack[mc->mc_blevels].mb_len = strlen(bnd);
	mc->mc_bstack[mc->mc_blevels].mb_part = part;
	mc->mc_bstack[mc->mc_blevels++].mb_closed = false;
	/* A header without its blank line may run straight into "--bnd". */
	if (first != NULL && mime_match_delim(mc, first, &term->mt_close) ==
	    mine) {
		term->mt_line = *first;
		term->mt_level = mine;
	} else if ((ret = mime_skip(mc, part->mp_body_start, first, term,
	    &end)) != SMIME_OK)
		goto out;
	part->mp_preamble_end = end;
	if (term->mt_level != mine) {
		/* The boundary never appears in this body. */
		part->mp_flags |= SMIME_MIME_F_NOBOUNDARY | SMIME_MIME_F_NOCLOSE;
		part->mp_body_end = part->mp_epilogue_start = end;
		goto out;
	}
	while (term->mt_level == mine && !term->mt_close) {
		if ((child = mime_part_new(mc, part, &ret)) == NULL)
			goto out;
		child->mp_hdr_start = term->mt_line.ml_next;
		if ((ret = mime_parse_entity(mc, child, NULL, term)) != SMIME_OK)
			goto out;
	}
	if (term->mt_level != mine) {
		/* EOF or an outer delimiter before our close delimiter. */
		part->mp_flags |= SMIME_MIME_F_NOCLOSE;
		part->mp_body_end = part->mp_epilogue_start =
		    part->mp_nchildren > 0 ?
		    part->mp_children[part->mp_nchildren - 1]->mp_body_end :
		    term->mt_line.ml_start;
		goto out;
	}
	part->mp_epilogue_start = term->mt_line.ml_next;
	/*
	 * With an empty epilogue the close delimiter line's own line break
	 * is the one before the next (outer) delimiter, which belongs to
	 * that delimiter (RFC 2046 5.1.1): the body ends before it.
	 */
	close = term->mt_line;
	/* Still watched in the epilogue, for lookalikes only. */
	mc->mc_bstack[mine].mb_closed = true;
	ret = mime_skip(mc, part->mp_epilogue_start, &close, term,
	    &part->mp_body_end);
	if (part->mp_body_end < part->mp_epilogue_start)
		part->mp_epilogue_start = part->mp_body_end;
out:
	mc->mc_blevels = mine;
	return ret;
}

/*
 * Parse one entity starting at the current position: its header (or
 * tophdrs for the top level, whose body starts at 0), then its body.
 */
static smime_status
mime_parse_entity(struct mime_ctx *mc, struct smime_mime_part *part,
    const struct smime_headers *tophdrs, struct mime_term *term)
{
	struct smime_mime_part *child;
	struct mime_line bodyline;
	const char *bnd;
	bool ended = false, signedmp;
	smime_status ret;

	bodyline.ml_eof = true;
	if (tophdrs != NULL) {
		part->mp_hdr_start = part->mp_body_start = mc->mc_pos;
		if ((ret = mime_classify(mc, part, tophdrs)) != SMIME_OK)
			return ret;
	} else {
		if ((ret = mime_read_header(mc, part, term, &ended, &bodyline))
		    != SMIME_OK)
			return ret;
		if ((ret = mime_classify(mc, part, &part->mp_headers))
		    != SMIME_OK)
			return ret;
		if (ended && smime_mime_is(part, "multipart", "signed")) {
			smime_err_set(mc->mc_err, "multipart/signed without "
			    "body");
			return SMIME_SYNTAX;
		}
		if (ended) {
			if (smime_mime_is(part, "multipart", NULL))
				part->mp_flags |= SMIME_MIME_F_NOBOUNDARY;
			return SMIME_OK;
		}
	}
	part->mp_preamble_end = part->mp_epilogue_start = 0;
	if (smime_mime_is(part, "multipart", NULL)) {
		signedmp = smime_mime_is(part, "multipart", "signed");
		bnd = smime_mime_get0_param(part, "boundary");
		if (bnd != NULL && !mime_boundary_ok(bnd))
			part->mp_flags |= SMIME_MIME_F_AMBIGUOUS;
		/* RFC 2045 6.4: identity only; some readers decode anyway. */
		if (strcmp(part->mp_cte, "7bit") != 0 &&
		    strcmp(part->mp_cte, "8bit") != 0 &&
		    strcmp(part->mp_cte, "binary") != 0)
			part->mp_flags |= SMIME_MIME_F_AMBIGUOUS;
		if (bnd != NULL && *bnd != '\0' &&
		    strlen(bnd) <= MIME_MAX_BOUNDARY) {
			if ((ret = mime_parse_multipart(mc, part, bnd,
			    bodyline.ml_eof ? NULL : &bodyline, term)) != SMIME_OK)
				return ret;
			if (!signedmp || part->mp_nchildren > 0)
				return SMIME_OK;
		}
		part->mp_flags |= SMIME_MIME_F_NOBOUNDARY;
		if (signedmp) {
			smime_err_set(mc->mc_err, "multipart/signed %s",
			    bnd == NULL || *bnd == '\0' ? "without boundary" :
			    "boundary never appears");
			return SMIME_SYNTAX;
		}
	} else if (smime_mime_is(part, "message", "rfc822") ||
	    smime_mime_is(part, "message", "global")) {
		if (bodyline.ml_eof && (strcmp(part->mp_cte, "7bit") == 0 ||
		    strcmp(part->mp_cte, "8bit") == 0 ||
		    strcmp(part->mp_cte, "binary") == 0)) {
			if ((child = mime_part_new(mc, part, &ret)) == NULL)
				return ret;
			child->mp_hdr_start = part->mp_body_start;
			if ((ret = mime_parse_entity(mc, child, NULL, term))
			    != SMIME_OK)
				return ret;
			part->mp_body_end = child->mp_body_end;
			return SMIME_OK;
		}
	}
	if (part->mp_nchildren > 0)
		return SMIME_OK;
	return mime_skip(mc, part->mp_body_start,
	    bodyline.ml_eof ? NULL : &bodyline, term, &part->mp_body_end);
}

/* Give part and its descendants their IMAP part numbers. */
static smime_status
mime_number(struct smime_mime_part *part, const char *number)
{
	struct smime_mime_part *kid;
	char *buf;
	size_t i, len = strlen(number) + 24;
	smime_status ret = SMIME_NORESOURCE;

	if ((part->mp_number = strdup(number)) == NULL ||
	    (buf = malloc(len)) == NULL)
		return ret;
	for (i = 0; i < part->mp_nchildren; i++) {
		kid = part->mp_children[i];
		if (smime_mime_is(part, "multipart", NULL))
			snprintf(buf, len, "%s%s%zu", number,
			    *number == '\0' ? "" : ".", i + 1);
		else if (smime_mime_is(kid, "multipart", NULL))
			snprintf(buf, len, "%s", number);
		else
			snprintf(buf, len, "%s.1", number);
		if ((ret = mime_number(kid, buf)) != SMIME_OK)
			goto out;
	}
	ret = SMIME_OK;
out:
	free(buf);
	return ret;
}

smime_status
smime_mime_parse(struct smime_spool *spool, const struct smime_headers *hdrs,
    unsigned int max_depth, unsigned int max_parts,
    struct smime_mime_part **tree, struct smime_err *err)
{
	struct mime_ctx *mc = NULL;
	struct smime_mime_part *root = NULL;
	struct mime_term term;
	smime_status ret = SMIME_NORESOURCE;

	*tree = NULL;
	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		goto nomem;
	mc->mc_spool = spool;
	mc->mc_err = err;
	mc->mc_max_depth = max_depth == 0 ? SMIME_MIME_DEFAULT_DEPTH : max_depth;
	mc->mc_max_parts = max_parts == 0 ? SMIME_MIME_DEFAULT_PARTS : max_parts;
	mc->mc_bstack = calloc((size_t)mc->mc_max_depth + 2,
	    sizeof(*mc->mc_bstack));
	/* No larger than the message: small mail, small buffer. */
	mc->mc_buf_cap = smime_spool_size(spool) < MIME_CHUNK ?
	    (size_t)smime_spool_size(spool) + 1 : MIME_CHUNK;
	if (mc->mc_bstack == NULL ||
	    (mc->mc_buf = malloc(mc->mc_buf_cap)) == NULL)
		goto nomem;
	if ((root = mime_part_new(mc, NULL, &ret)) == NULL)
		goto out;
	if ((ret = mime_parse_entity(mc, root, hdrs, &term)) != SMIME_OK)
		goto out;
	if ((ret = mime_number(root, smime_mime_is(root, "multipart", NULL) ?
	    "" : "1")) != SMIME_OK)
		goto nomem;
	*tree = root;
	root = NULL;
	ret = SMIME_OK;
	goto out;
nomem:
	ret = SMIME_NORESOURCE;
	smime_err_set(err, "out of memory");
out:
	smime_mime_free(root);
	if (mc != NULL) {
		free(mc->mc_bstack);
		free(mc->mc_buf);
		free(mc->mc_hdr);
		free(mc);
	}
	return ret;
}

void
smime_mime_free(struct smime_mime_part *tree)
{
	size_t i;

	if (tree == NULL)
		return;
	for (i = 0; i < tree->mp_nchildren; i++)
		smime_mime_free(tree->mp_children[i]);
	free(tree->mp_children);
	free(tree->mp_number);
	free(tree->mp_type);
	free(tree->mp_subtype);
	smime_mime_params_free(tree->mp_params, tree->mp_nparams);
	free(tree->mp_cte);
	smime_headers_clear(&tree->mp_headers);
	free(tree);
}

const char *
smime_mime_get0_param(const struct smime_mime_part *part, const char *name)
{
	return smime_mime_params_get0(part->mp_params, part->mp_nparams, name);
}

bool
smime_mime_is(const struct smime_mime_part *part, const char *type,
    const char *subtype)
{
	return part->mp_type != NULL &&
	    smime_mime_strcasecmp(part->mp_type, type) == 0 &&
	    (subtype == NULL ||
	    smime_mime_strcasecmp(part->mp_subtype, subtype) == 0);
}

bool
smime_mime_is_multipart(const struct smime_mime_part *part)
{
	return smime_mime_is(part, "multipart", NULL) &&
	    (part->mp_flags & SMIME_MIME_F_NOBOUNDARY) == 0;
}

const struct smime_mime_part *
smime_mime_find(const struct smime_mime_part *tree, const char *number)
{
	const struct smime_mime_part *hit;
	size_t i;

	if (tree->mp_number != NULL && strcmp(tree->mp_number, number) == 0)
		return tree;
	for (i = 0; i < tree->mp_nchildren; i++)
		if ((hit = smime_mime_find(tree->mp_children[i], number))
		    != NULL)
			return hit;
	return NULL;
}
