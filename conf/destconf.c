/*
 * destconf.c - sign.destinations and sign.destinations_file: the signing
 * policy by destination (smime/signpolicy.h), from a group of pattern
 * lists in the configuration and/or a table file of "PATTERN ACTION"
 * lines.  Both go into one table, cf_sign_dests, sorted by pattern (any
 * case) for smime_dest_lookup()'s binary search; a pattern written twice
 * (in either place, whatever the action) is an error, so that no rule
 * silently shadows another.  Patterns are checked and normalized here
 * (no quoted local parts, no address literals, no trailing dot; domains
 * lower-cased); the lookup (smime/signpolicy.c) relies on that.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf-int.h"

#define DEST_LINE_MAX	1024	/* octets of one table-file line */
#define DEST_MAX_RULES	100000

static const struct conf_word dest_actions[] = {
	{ "sign", SMIME_DEST_SIGN },
	{ "opaque", SMIME_DEST_OPAQUE },
	{ "skip", SMIME_DEST_SKIP },
	{ NULL, 0 }
};

/* atext of RFC 5322 3.2.3, and UTF-8 octets (RFC 6532). */
static bool
dest_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

/*
 * Check a domain (LDH labels of 1..63 octets or UTF-8 U-labels, at most
 * 253 octets) and lower-case it in place; false with why set.
 */
static bool
dest_domain(char *d, char *why, size_t whylen)
{
	size_t label = 0, total = strlen(d);
	char *p;

	if (total == 0 || total > 253) {
		snprintf(why, whylen, "domain must be 1 to 253 octets");
		return false;
	}
	if (d[total - 1] == '.') {
		snprintf(why, whylen, "no trailing dot in a domain");
		return false;
	}
	for (p = d; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63) {
				snprintf(why, whylen, "empty label or label "
				    "over 63 octets");
				return false;
			}
			if (p[-1] == '-' || p[-(ptrdiff_t)label] == '-') {
				snprintf(why, whylen, "label starts or ends "
				    "with '-'");
				return false;
			}
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' &&
		    *p <= '9') || *p == '-' || (unsigned char)*p >= 0x80)) {
			snprintf(why, whylen, "'%c' is not allowed in a domain "
			    "(letters, digits, '-', UTF-8; no address "
			    "literals)", *p);
			return false;
		}
		label++;
	}
}

/*
 * Normalize pattern: "local@domain", "domain" (also written "@domain")
 * or ".domain".  Returns a new string, or NULL with why set (why empty:
 * out of memory).
 */
static char *
dest_normalize(const char *pattern, char *why, size_t whylen)
{
	char *out, *at, *p;

	why[0] = '\0';
	if (pattern[0] == '@')
		pattern++;
	if ((out = strdup(pattern)) == NULL)
		return NULL;
	if ((at = strrchr(out, '@')) != NULL) {
		if (at == out || at - out > 64) {
			snprintf(why, whylen, "local part must be 1 to 64 "
			    "octets");
			goto bad;
		}
		for (p = out; p < at; p++)
			if (!(dest_atext((unsigned char)*p) || (*p == '.' &&
			    p > out && p + 1 < at && p[1] != '.'))) {
				snprintf(why, whylen, "local part must be a "
				    "dot-atom (no quoted strings, no '%c')", *p);
				goto bad;
			}
		if (dest_domain(at + 1, why, whylen))
			return out;
	} else if (dest_domain(out[0] == '.' ? out + 1 : out, why, whylen))
		return out;
bad:
	free(out);
	return NULL;
}

/* Add one rule (checked later by dest_finish()); false after an error. */
static bool
dest_add(struct conf_ctx *ctx, const config_setting_t *where, const char *key,
    const char *file, int line, const char *pattern, int action,
    struct smime_conf *conf)
{
	struct smime_dest_rule *rules, *r;
	char why[1200], *norm;
	size_t n = conf->cf_sign_ndests;

	if ((norm = dest_normalize(pattern, why, sizeof(why))) == NULL) {
		if (why[0] == '\0')
			return conf_oom(ctx, where, key);
		if (file != NULL)
			conf_error(ctx, where, key, "%s:%d: \"%s\": %s", file,
			    line, pattern, why);
		else
			conf_error(ctx, where, key, "\"%s\": %s", pattern, why);
		return false;
	}
	if (n >= DEST_MAX_RULES) {
		free(norm);
		conf_error(ctx, where, key, "more than %d rules",
		    DEST_MAX_RULES);
		return false;
	}
	/* Capacity: the next power of two, at least 16. */
	if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {
		if ((rules = reallocarray(conf->cf_sign_dests, n == 0 ? 16 :
		    n * 2, sizeof(*rules))) == NULL) {
			free(norm);
			return conf_oom(ctx, where, key);
		}
		conf->cf_sign_dests = rules;
	}
	r = &conf->cf_sign_dests[conf->cf_sign_ndests++];
	r->dr_pattern = norm;
	r->dr_action = (enum smime_dest_action)action;
	r->dr_line = line;
	r->dr_in_file = file != NULL;
	return true;
}

/* Pattern (any case), then the configuration before the file, by line. */
static int
dest_cmp(const void *a, const void *b)
{
	const struct smime_dest_rule *x = a, *y = b;
	int c = strcasecmp(x->dr_pattern, y->dr_pattern);

	if (c != 0)
		return c;
	if (x->dr_in_file != y->dr_in_file)
		return x->dr_in_file ? 1 : -1;
	return x->dr_line < y->dr_line ? -1 : x->dr_line > y->dr_line;
}

/*
 * Sort the table the way smime_dest_lookup() searches it and refuse a
 * pattern written twice; O(n log n).  False after an error.
 */
static bool
dest_finish(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, struct smime_conf *conf)
{
	const struct smime_dest_rule *first, *dup;
	char at[1100];
	size_t i;

	if (conf->cf_sign_ndests == 0)
		return true;
	qsort(conf->cf_sign_dests, conf->cf_sign_ndests,
	    sizeof(*conf->cf_sign_dests), dest_cmp);
	for (i = 1; i < conf->cf_sign_ndests; i++) {
		first = &conf->cf_sign_dests[i - 1];
		dup = &conf->cf_sign_dests[i];
		if (strcasecmp(first->dr_pattern, dup->dr_pattern) != 0)
			continue;
		if (dup->dr_in_file)
			snprintf(at, sizeof(at), "%s:%d: ",
			    conf->cf_sign_destinations_file, dup->dr_line);
		else
			snprintf(at, sizeof(at), "line %d: ", dup->dr_line);
		conf_error(ctx, where, key, "%s\"%s\" is listed twice "
		    "(first %s, line %d, as %s)", at, dup->dr_pattern,
		    first->dr_in_file ? "in the table file" : "in the "
		    "configuration", first->dr_line,
		    smime_dest_action_name(first->dr_action));
		return false;
	}
	return true;
}

static bool
dest_action(const char *word, int *action)
{
	const struct conf_word *w;

	for (w = dest_actions; w->cw_name != NULL; w++)
		if (strcmp(w->cw_name, word) == 0) {
			*action = w->cw_value;
			return true;
		}
	return false;
}

bool
conf_apply_destinations(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf)
{
	const config_setting_t *list, *elem;
	int n, i, k, action;

	if (setting == NULL)
		return true;
	if (!config_setting_is_group(setting)) {
		conf_error(ctx, setting, row->cr_name, "expected a group "
		    "{ opaque = [ ... ]; skip = [ ... ]; sign = [ ... ]; }, "
		    "found %s", conf_type_name(config_setting_type(setting)));
		return false;
	}
	n = config_setting_length(setting);
	for (i = 0; i < n; i++) {
		list = config_setting_get_elem(setting, (unsigned int)i);
		if (!dest_action(config_setting_name(list), &action)) {
			conf_error(ctx, list, row->cr_name, "unknown action "
			    "\"%s\" (sign, opaque or skip)",
			    config_setting_name(list));
			return false;
		}
		if (!config_setting_is_array(list) &&
		    !config_setting_is_list(list)) {
			conf_error(ctx, list, row->cr_name, "%s: expected a "
			    "list of patterns, found %s",
			    config_setting_name(list),
			    conf_type_name(config_setting_type(list)));
			return false;
		}
		for (k = 0; k < config_setting_length(list); k++) {
			elem = config_setting_get_elem(list, (unsigned int)k);
			if (config_setting_type(elem) != CONFIG_TYPE_STRING) {
				conf_error(ctx, elem, row->cr_name, "expected "
				    "a pattern (string), found %s",
				    conf_type_name(config_setting_type(elem)));
				return false;
			}
			if (!dest_add(ctx, elem, row->cr_name, NULL,
			    config_setting_source_line(elem),
			    config_setting_get_string(elem), action, conf))
				return false;
		}
	}
	return dest_finish(ctx, setting, row->cr_name, conf);
}

/* Split a table line into pattern and action; false with why set. */
static bool
dest_parse_line(char *line, char **pattern, char **word, char *why,
    size_t whylen)
{
	char *p, *fields[3];
	int n = 0;

	*pattern = *word = NULL;
	for (p = line; *p != '\0' && n < 3; ) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		fields[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	if (n == 0)
		return true;	/* blank or comment */
	if (n != 2) {
		snprintf(why, whylen, "expected \"PATTERN ACTION\"");
		return false;
	}
	*pattern = fields[0];
	*word = fields[1];
	return true;
}

/* Read the table file at path into conf; false after an error. */
static bool
dest_read_file(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, const char *path, struct smime_conf *conf)
{
	char *line = NULL, why[128], *pattern, *word;
	size_t cap = 0, len;
	ssize_t n;
	int lineno = 0, action;
	bool ok = false;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		conf_error(ctx, where, key, "%s: %s", path, strerror(errno));
		return false;
	}
	/* getline(), not fgets(): the length counts a NUL byte too. */
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > DEST_LINE_MAX) {
			conf_error(ctx, where, key, "%s:%d: line longer than "
			    "%d octets", path, lineno, DEST_LINE_MAX);
			goto out;
		}
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0) {
			conf_error(ctx, where, key, "%s:1: starts with a "
			    "byte order mark; save it as plain UTF-8", path);
			goto out;
		}
		if (memchr(line, '\0', len) != NULL) {
			conf_error(ctx, where, key, "%s:%d: NUL byte", path,
			    lineno);
			goto out;
		}
		if (!dest_parse_line(line, &pattern, &word, why,
		    sizeof(why))) {
			conf_error(ctx, where, key, "%s:%d: %s", path, lineno,
			    why);
			goto out;
		}
		if (pattern == NULL)
			continue;
		if (!dest_action(word, &action)) {
			conf_error(ctx, where, key, "%s:%d: unknown action "
			    "\"%s\" (sign, opaque or skip)", path, lineno,
			    word);
			goto out;
		}
		if (!dest_add(ctx, where, key, path, lineno, pattern, action,
		    conf))
			goto out;
	}
	if (ferror(fp)) {
		conf_error(ctx, where, key, "%s: read error", path);
		goto out;
	}
	ok = true;
out:
	free(line);
	fclose(fp);
	return ok;
}

bool
conf_apply_destinations_file(struct conf_ctx *ctx,
    const struct conf_row *row, const config_setting_t *setting,
    struct smime_conf *conf)
{
	const char *text;

	if (setting == NULL)
		return true;
	if (config_setting_type(setting) != CONFIG_TYPE_STRING) {
		conf_error(ctx, setting, row->cr_name, "expected a path "
		    "(string), found %s",
		    conf_type_name(config_setting_type(setting)));
		return false;
	}
	text = config_setting_get_string(setting);
	if (text[0] == '\0') {
		conf_error(ctx, setting, row->cr_name, "must not be empty");
		return false;
	}
	if ((conf->cf_sign_destinations_file = conf_resolve_path(ctx, text)) ==
	    NULL)
		return conf_oom(ctx, setting, row->cr_name);
	return dest_read_file(ctx, setting, row->cr_name,
	    conf->cf_sign_destinations_file, conf) &&
	    dest_finish(ctx, setting, row->cr_name, conf);
}

void
conf_print_destinations(const struct conf_row *row,
    const struct smime_conf *conf, FILE *out, int indent)
{
	const struct conf_word *w;
	size_t i, n;

	(void)row;
	fprintf(out, "%.*sdestinations = {\n", indent, "\t\t\t\t");
	for (w = dest_actions; w->cw_name != NULL; w++) {
		fprintf(out, "%.*s%s = [", indent + 1, "\t\t\t\t", w->cw_name);
		for (i = n = 0; i < conf->cf_sign_ndests; i++)
			if (!conf->cf_sign_dests[i].dr_in_file &&
			    (int)conf->cf_sign_dests[i].dr_action ==
			    w->cw_value) {
				fputs(n++ > 0 ? ", " : " ", out);
				conf_print_string(out,
				    conf->cf_sign_dests[i].dr_pattern);
			}
		fprintf(out, "%s];\n", n > 0 ? " " : "");
	}
	fprintf(out, "%.*s};\n", indent, "\t\t\t\t");
}

void
conf_print_destinations_file(const struct conf_row *row,
    const struct smime_conf *conf, FILE *out, int indent)
{
	const struct smime_dest_rule *r;
	size_t i;

	(void)row;
	if (conf->cf_sign_destinations_file == NULL) {
		fprintf(out, "%.*s# destinations_file: not set\n", indent,
		    "\t\t\t\t");
		return;
	}
	fprintf(out, "%.*sdestinations_file = ", indent, "\t\t\t\t");
	conf_print_string(out, conf->cf_sign_destinations_file);
	fputs(";\n", out);
	for (i = 0; i < conf->cf_sign_ndests; i++) {
		r = &conf->cf_sign_dests[i];
		if (!r->dr_in_file)
			continue;
		fprintf(out, "%.*s#   line %d: ", indent, "\t\t\t\t",
		    r->dr_line);
		conf_print_string(out, r->dr_pattern);
		fprintf(out, " %s\n", smime_dest_action_name(r->dr_action));
	}
}

void
conf_free_destinations(const struct conf_row *row, struct smime_conf *conf)
{
	size_t i;

	(void)row;
	for (i = 0; i < conf->cf_sign_ndests; i++)
		free(conf->cf_sign_dests[i].dr_pattern);
	free(conf->cf_sign_dests);
	conf->cf_sign_dests = NULL;
	conf->cf_sign_ndests = 0;
}

void
conf_free_destinations_file(const struct conf_row *row,
    struct smime_conf *conf)
{
	(void)row;
	free(conf->cf_sign_destinations_file);
	conf->cf_sign_destinations_file = NULL;
}
