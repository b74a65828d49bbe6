/*
 * mimehdr.c - header value helpers: ASCII case folding, unfolding and
 * RFC 2045/2231 "token; param=value" parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "smime/mimehdr.h"

#define MIME_MAX_PARAMS 64

static int
mime_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
smime_mime_strcasecmp(const char *a, const char *b)
{
	int ca, cb;

	do {
		ca = mime_lower((unsigned char)*a++);
		cb = mime_lower((unsigned char)*b++);
	} while (ca == cb && ca != '\0');
	return ca - cb;
}

int
smime_mime_strncasecmp(const char *a, const char *b, size_t n)
{
	int ca = 0, cb = 0;

	while (n-- > 0) {
		ca = mime_lower((unsigned char)*a++);
		cb = mime_lower((unsigned char)*b++);
		if (ca != cb || ca == '\0')
			break;
	}
	return ca - cb;
}

static bool
mime_is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *
smime_mime_unfold(const char *value)
{
	size_t len = strlen(value), i, o = 0;
	char *out;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (value[i] != '\r' && value[i] != '\n')
			out[o++] = value[i];
	while (o > 0 && mime_is_wsp((unsigned char)out[o - 1]))
		o--;
	out[o] = '\0';
	for (i = 0; out[i] == ' ' || out[i] == '\t'; i++)
		;
	memmove(out, out + i, o - i + 1);
	return out;
}

const char *
smime_mime_skip_cfws(const char *p)
{
	int depth;

	for (;;) {
		while (mime_is_wsp((unsigned char)*p))
			p++;
		if (*p != '(')
			return p;
		for (depth = 0; *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

static bool
mime_is_tspecial(int c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* A token: any printable non-tspecial ASCII; 8-bit bytes tolerated. */
static bool
mime_is_token(int c)
{
	return c > ' ' && c != 0x7f && !mime_is_tspecial(c);
}

/* Copy [p, p + n) into a new string, lower-cased when lower is set. */
static char *
mime_strndup(const char *p, size_t n, bool lower)
{
	char *s;
	size_t i;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = lower ? (char)mime_lower((unsigned char)p[i]) : p[i];
	s[n] = '\0';
	return s;
}

/* Read a token at *pp; NULL when there is none or on allocation failure. */
static char *
mime_read_token(const char **pp, bool lower)
{
	const char *p = smime_mime_skip_cfws(*pp), *start = p;

	while (mime_is_token((unsigned char)*p))
		p++;
	if (p == start)
		return NULL;
	*pp = p;
	return mime_strndup(start, (size_t)(p - start), lower);
}

/*
 * Read a parameter value: a quoted-string (quoted-pairs resolved) or, to
 * be lenient with real mailers, anything up to ';' or white space.
 */
static char *
mime_read_value(const char **pp)
{
	const char *p = smime_mime_skip_cfws(*pp), *start;
	char *s;
	size_t n = 0;

	if (*p == '"') {
		start = ++p;
		if ((s = malloc(strlen(start) + 1)) == NULL)
			return NULL;
		for (; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p != '\r' && *p != '\n')
				s[n++] = *p;
		}
		s[n] = '\0';
		*pp = *p == '"' ? p + 1 : p;
		return s;
	}
	start = p;
	while (*p != '\0' && *p != ';' && !mime_is_wsp((unsigned char)*p) &&
	    *p != '(')
		p++;
	*pp = p;
	return mime_strndup(start, (size_t)(p - start), false);
}

void
smime_mime_params_free(struct smime_mime_param *params, size_t nparams)
{
	size_t i;

	if (params == NULL)
		return;
	for (i = 0; i < nparams; i++) {
		free(params[i].mpa_name);
		free(params[i].mpa_value);
		free(params[i].mpa_charset);
	}
	free(params);
}

const char *
smime_mime_params_get0(const struct smime_mime_param *params, size_t nparams,
    const char *name)
{
	size_t i;

	for (i = 0; i < nparams; i++)
		if (smime_mime_strcasecmp(params[i].mpa_name, name) == 0)
			return params[i].mpa_value;
	return NULL;
}

/* One parameter as written, before RFC 2231 sections are joined. */
struct mime_rawparam {
	char	*rp_name;	/* base name, lower-cased */
	char	*rp_value;
	int	 rp_section;	/* -1: no "*n" section */
	bool	 rp_ext;	/* trailing '*': charset'lang'%XX encoding */
};

static int
mime_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = mime_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Append the value of rp to the buffer *buf (of length *len, allocated),
 * %XX-decoding extended values and dropping charset'lang' when first;
 * a non-empty charset goes to *charset (allocated) when that is NULL.
 */
static bool
mime_append_section(char **buf, size_t *len, const struct mime_rawparam *rp,
    bool first, char **charset)
{
	const char *v = rp->rp_value, *q;
	size_t vlen = strlen(v), o = *len;
	char *nb;
	int hi, lo;

	if (rp->rp_ext && first && (q = strchr(v, '\'')) != NULL &&
	    (q = strchr(q + 1, '\'')) != NULL) {
		if (q != v && *v != '\'' && *charset == NULL &&
		    (*charset = mime_strndup(v, strcspn(v, "'"), false)) ==
		    NULL)
			return false;
		v = q + 1;
	}
	if ((nb = realloc(*buf, o + vlen + 1)) == NULL)
		return false;
	for (; *v != '\0'; v++) {
		if (rp->rp_ext && *v == '%' &&
		    (hi = mime_hexval((unsigned char)v[1])) >= 0 &&
		    (lo = mime_hexval((unsigned char)v[2])) >= 0) {
			nb[o++] = (char)(hi << 4 | lo);
			v += 2;
		} else
			nb[o++] = *v;
	}
	nb[o] = '\0';
	*buf = nb;
	*len = o;
	return true;
}

/*
 * How many raw parameters named name mime_join_params() uses: sections
 * 0, 1, ... up to the first gap (one each), else one "name*", else one
 * plain "name".
 */
static size_t
mime_count_used(const struct mime_rawparam *raw, size_t nraw,
    const char *name)
{
	size_t j, used = 0;
	int sect;
	bool found;

	for (sect = 0; sect < MIME_MAX_PARAMS; sect++) {
		for (found = false, j = 0; j < nraw && !found; j++)
			found = raw[j].rp_section == sect &&
			    strcmp(raw[j].rp_name, name) == 0;
		if (!found)
			break;
		used++;
	}
	return used > 0 ? used : 1;
}

/*
 * Join the raw parameters into (name, value) pairs: sections of one name
 * are concatenated in order; a name given both ways keeps the RFC 2231
 * form.  Consumes nothing; returns SMIME_NORESOURCE on allocation failure.
 */
static smime_status
mime_join_params(struct mime_rawparam *raw, size_t nraw,
    struct smime_mime_param **params, size_t *nparams)
{
	struct smime_mime_param *out = NULL;
	size_t i, j, n = 0, len, used, total;
	int sect;
	char *val, *cs;
	bool found, any;
	smime_status ret = SMIME_NORESOURCE;

	if (nraw > 0 && (out = calloc(nraw, sizeof(*out))) == NULL)
		goto out;
	for (i = 0; i < nraw; i++) {
		for (found = false, j = 0; j < n; j++)
			if (strcmp(out[j].mpa_name, raw[i].rp_name) == 0)
				found = true;
		if (found)
			continue;
		val = NULL;
		cs = NULL;
		len = 0;
		any = false;
		/* Sections 0, 1, ... in order; stop at the first gap. */
		for (sect = 0; sect < MIME_MAX_PARAMS; sect++) {
			for (found = false, j = i; j < nraw && !found; j++) {
				if (raw[j].rp_section != sect ||
				    strcmp(raw[j].rp_name, raw[i].rp_name) != 0)
					continue;
				found = true;
				if (!mime_append_section(&val, &len, &raw[j],
				    sect == 0, &cs))
					goto fail;
			}
			if (!found)
				break;
			any = true;
		}
		/* No sections: a "name*" extended value or a plain one. */
		for (j = i; !any && j < nraw; j++)
			if (raw[j].rp_section == -1 && raw[j].rp_ext &&
			    strcmp(raw[j].rp_name, raw[i].rp_name) == 0) {
				if (!mime_append_section(&val, &len, &raw[j],
				    true, &cs))
					goto fail;
				any = true;
			}
		for (j = i; !any && j < nraw; j++)
			if (raw[j].rp_section == -1 &&
			    strcmp(raw[j].rp_name, raw[i].rp_name) == 0) {
				if (!mime_append_section(&val, &len, &raw[j],
				    true, &cs))
					goto fail;
				any = true;
			}
		if (val == NULL && (val = strdup("")) == NULL) {
			free(cs);
			goto out;
		}
		/*
		 * Readers differ on which copy wins (plain or RFC 2231,
		 * first or last, sections past a gap): flag any raw
		 * parameter of this name that the join did not use.
		 */
		for (j = i, total = 0; j < nraw; j++)
			if (strcmp(raw[j].rp_name, raw[i].rp_name) == 0)
				total++;
		used = mime_count_used(raw, nraw, raw[i].rp_name);
		out[n].mpa_dup = used != total;
		out[n].mpa_value = val;
		out[n].mpa_charset = cs;
		if ((out[n++].mpa_name = strdup(raw[i].rp_name)) == NULL)
			goto out;
		continue;
fail:
		free(val);
		free(cs);
		goto out;
	}
	*params = out;
	*nparams = n;
	out = NULL;
	ret = SMIME_OK;
out:
	/* calloc'ed: entries past the last one filled are NULL. */
	smime_mime_params_free(out, nraw);
	return ret;
}

/* Split "name*3*" into base name, section and extended flag (in place). */
static void
mime_split_param_name(struct mime_rawparam *rp)
{
	char *star = strchr(rp->rp_name, '*'), *end;
	long sect;

	rp->rp_section = -1;
	rp->rp_ext = false;
	if (star == NULL)
		return;
	if (star[1] == '\0') {
		rp->rp_ext = true;
		*star = '\0';
		return;
	}
	sect = strtol(star + 1, &end, 10);
	if (end == star + 1 || sect < 0 || sect >= MIME_MAX_PARAMS ||
	    (*end != '\0' && strcmp(end, "*") != 0))
		return;		/* not RFC 2231: keep the name as written */
	rp->rp_section = (int)sect;
	rp->rp_ext = *end == '*';
	*star = '\0';
}

/* Parse "; name=value" pairs after p and join them into params. */
static smime_status
mime_parse_params(const char *p, struct smime_mime_param **params,
    size_t *nparams)
{
	struct mime_rawparam raw[MIME_MAX_PARAMS];
	size_t nraw = 0, i;
	smime_status ret = SMIME_NORESOURCE;

	for (;;) {
		p = smime_mime_skip_cfws(p);
		if (*p == '\0')
			break;
		if (*p != ';') {	/* junk: skip to the next ';' */
			while (*p != '\0' && *p != ';')
				p++;
			continue;
		}
		p = smime_mime_skip_cfws(p + 1);
		if (*p == '\0' || *p == ';')
			continue;
		if (nraw == MIME_MAX_PARAMS)
			break;		/* ignore the rest rather than fail */
		memset(&raw[nraw], 0, sizeof(raw[nraw]));
		if ((raw[nraw].rp_name = mime_read_token(&p, true)) == NULL) {
			while (*p != '\0' && *p != ';')
				p++;
			continue;
		}
		p = smime_mime_skip_cfws(p);
		if (*p != '=') {
			free(raw[nraw].rp_name);
			continue;
		}
		p++;
		if ((raw[nraw].rp_value = mime_read_value(&p)) == NULL) {
			free(raw[nraw].rp_name);
			goto out;
		}
		mime_split_param_name(&raw[nraw]);
		nraw++;
	}
	ret = mime_join_params(raw, nraw, params, nparams);
out:
	for (i = 0; i < nraw; i++) {
		free(raw[i].rp_name);
		free(raw[i].rp_value);
	}
	return ret;
}

smime_status
smime_mime_parse_token_params(const char *value, char **token,
    struct smime_mime_param **params, size_t *nparams)
{
	const char *p = value;
	char *tok = NULL;
	smime_status ret = SMIME_SYNTAX;

	*token = NULL;
	if (params != NULL) {
		*params = NULL;
		*nparams = 0;
	}
	if ((tok = mime_read_token(&p, true)) == NULL)
		goto out;
	if (params != NULL &&
	    (ret = mime_parse_params(p, params, nparams)) != SMIME_OK)
		goto out;
	*token = tok;
	tok = NULL;
	ret = SMIME_OK;
out:
	free(tok);
	return ret;
}

smime_status
smime_mime_parse_content_type(const char *value, char **type, char **subtype,
    struct smime_mime_param **params, size_t *nparams)
{
	const char *p = value;
	char *t = NULL, *s = NULL;
	smime_status ret = SMIME_SYNTAX;

	*type = *subtype = NULL;
	*params = NULL;
	*nparams = 0;
	if ((t = mime_read_token(&p, true)) == NULL)
		goto out;
	p = smime_mime_skip_cfws(p);
	if (*p++ != '/')
		goto out;
	if ((s = mime_read_token(&p, true)) == NULL)
		goto out;
	if ((ret = mime_parse_params(p, params, nparams)) != SMIME_OK)
		goto out;
	*type = t;
	*subtype = s;
	t = s = NULL;
	ret = SMIME_OK;
out:
	free(t);
	free(s);
	return ret;
}
