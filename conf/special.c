/*
 * special.c - settings that do not fit one plain struct member: mode
 * (two booleans), internal_hosts (address ranges) and sign.identities
 * (a list of groups).  Each has an apply, a print and a free function
 * referenced from its row in conf_rows[].
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/conf-int.h"
#include "smime/pkcs11.h"

/* mode = "s" | "v" | "sv" */
bool
conf_apply_mode(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf)
{
	const char *text = row->cr_default;

	if (setting != NULL) {
		if (config_setting_type(setting) != CONFIG_TYPE_STRING) {
			conf_error(ctx, setting, row->cr_name, "expected a "
			    "string, found %s", conf_type_name(
			    config_setting_type(setting)));
			return false;
		}
		text = config_setting_get_string(setting);
	}
	if (strcmp(text, "s") != 0 && strcmp(text, "v") != 0 &&
	    strcmp(text, "sv") != 0) {
		conf_error(ctx, setting, row->cr_name, "\"%s\" is not one of: "
		    "s, v, sv (sign, verify, both)", text);
		return false;
	}
	conf->cf_mode_sign = strchr(text, 's') != NULL;
	conf->cf_mode_verify = strchr(text, 'v') != NULL;
	return true;
}

void
conf_print_mode(const struct conf_row *row, const struct smime_conf *conf,
    FILE *out, int indent)
{
	fprintf(out, "%.*s%s = \"%s%s\";\n", indent, "\t\t\t\t", row->cr_name,
	    conf->cf_mode_sign ? "s" : "", conf->cf_mode_verify ? "v" : "");
}

/* Parse one range and append it; where is NULL for the default. */
static bool
conf_add_host(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, const char *text, struct smime_conf *conf)
{
	struct conf_cidr *grown;
	bool hostbits;
	char why[256], shown[INET6_ADDRSTRLEN + 8];

	grown = realloc(conf->cf_internal_hosts,
	    (conf->cf_ninternal_hosts + 1) * sizeof(*grown));
	if (grown == NULL)
		return conf_oom(ctx, where, key);
	conf->cf_internal_hosts = grown;
	if (!conf_parse_cidr(text, &grown[conf->cf_ninternal_hosts], &hostbits,
	    why, sizeof(why))) {
		conf_error(ctx, where, key, "%s", why);
		return false;
	}
	if (hostbits) {
		conf_format_cidr(&grown[conf->cf_ninternal_hosts], shown,
		    sizeof(shown));
		conf_warning(ctx, where, key, "\"%s\" has host bits set; "
		    "using %s", text, shown);
	}
	conf->cf_ninternal_hosts++;
	return true;
}

/* internal_hosts = [ "10.0.0.0/8", "::1" ] (or one string) */
bool
conf_apply_hosts(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf)
{
	const config_setting_t *elem;
	char buf[256], *tok, *save = NULL;
	int i, n;

	if (setting == NULL) {
		snprintf(buf, sizeof(buf), "%s", row->cr_default);
		for (tok = strtok_r(buf, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save))
			if (!conf_add_host(ctx, NULL, row->cr_name, tok, conf))
				return false;
		return true;
	}
	if (config_setting_type(setting) == CONFIG_TYPE_STRING)
		return conf_add_host(ctx, setting, row->cr_name,
		    config_setting_get_string(setting), conf);
	if (!config_setting_is_array(setting) &&
	    !config_setting_is_list(setting)) {
		conf_error(ctx, setting, row->cr_name, "expected a list of "
		    "addresses, found %s",
		    conf_type_name(config_setting_type(setting)));
		return false;
	}
	n = config_setting_length(setting);
	for (i = 0; i < n; i++) {
		elem = config_setting_get_elem(setting, (unsigned int)i);
		if (config_setting_type(elem) != CONFIG_TYPE_STRING) {
			conf_error(ctx, elem, row->cr_name, "expected an "
			    "address (string), found %s",
			    conf_type_name(config_setting_type(elem)));
			return false;
		}
		if (!conf_add_host(ctx, elem, row->cr_name,
		    config_setting_get_string(elem), conf))
			return false;
	}
	return true;
}

void
conf_print_hosts(const struct conf_row *row, const struct smime_conf *conf,
    FILE *out, int indent)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t i;

	fprintf(out, "%.*s%s = [", indent, "\t\t\t\t", row->cr_name);
	for (i = 0; i < conf->cf_ninternal_hosts; i++) {
		conf_format_cidr(&conf->cf_internal_hosts[i], buf, sizeof(buf));
		fprintf(out, "%s\"%s\"", i > 0 ? ", " : " ", buf);
	}
	fprintf(out, "%s];\n", conf->cf_ninternal_hosts > 0 ? " " : "");
}

void
conf_free_hosts(const struct conf_row *row, struct smime_conf *conf)
{
	(void)row;
	free(conf->cf_internal_hosts);
	conf->cf_internal_hosts = NULL;
	conf->cf_ninternal_hosts = 0;
}

static const char *const identity_keys[] = {
	"address", "cert", "key", "chain", "senders", NULL
};

/*
 * Copy address with its domain lower-cased; NULL with a reason in why
 * when it is not local@domain.  Caller frees.
 */
static char *
conf_copy_address(const char *text, char *why, size_t whylen)
{
	const char *at = strchr(text, '@');
	const unsigned char *p;
	char *copy, *q;

	if (at == NULL || at == text || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL) {
		snprintf(why, whylen, "\"%s\" is not an address of the form "
		    "local@domain", text);
		return NULL;
	}
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>') {
			snprintf(why, whylen, "\"%s\" is not a bare address "
			    "(no spaces or angle brackets)", text);
			return NULL;
		}
	}
	if ((copy = strdup(text)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (q = copy + (at - text); *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return copy;
}

/*
 * One path member of an identity: string, resolved, must exist.  With
 * missing not NULL a file that does not exist (ENOENT) is no error: it
 * sets *missing (an identity not enrolled yet).
 */
static bool
conf_identity_path(struct conf_ctx *ctx, const config_setting_t *group,
    const char *prefix, const char *name, bool required, char **out,
    bool *missing)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	char key[96];
	struct stat st;
	struct smime_err err;

	snprintf(key, sizeof(key), "%s.%s", prefix, name);
	if (s == NULL) {
		if (required)
			conf_error(ctx, group, key, "required setting is "
			    "missing");
		return !required;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_error(ctx, s, key, "expected a path (string), found %s",
		    conf_type_name(config_setting_type(s)));
		return false;
	}
	if (config_setting_get_string(s)[0] == '\0') {
		conf_error(ctx, s, key, "must not be empty");
		return false;
	}
	if (smime_p11_is_uri(config_setting_get_string(s)) &&
	    strcmp(name, "chain") != 0) {
		/* A token object: checked for syntax, used when signing. */
		smime_err_clear(&err);
		if (smime_p11_check_uri(config_setting_get_string(s),
		    strcmp(name, "cert") == 0 ? "cert" : "private", &err) !=
		    SMIME_OK) {
			conf_error(ctx, s, key, "%s", smime_err_get0(&err));
			return false;
		}
		if ((*out = strdup(config_setting_get_string(s))) == NULL)
			return conf_oom(ctx, s, key);
		return true;
	}
	if ((*out = conf_resolve_path(ctx, config_setting_get_string(s)))
	    == NULL)
		return conf_oom(ctx, s, key);
	if (stat(*out, &st) != 0) {
		if (errno == ENOENT && missing != NULL) {
			*missing = true;
			return true;
		}
		conf_error(ctx, s, key, "%s: %s", *out, strerror(errno));
		return false;
	}
	return true;
}

/* senders = [ "login", ... ] (or one string) */
static bool
conf_identity_senders(struct conf_ctx *ctx, const config_setting_t *group,
    const char *prefix, struct conf_identity *ci)
{
	const config_setting_t *s = config_setting_get_member(group,
	    "senders"), *elem;
	char key[96];
	int i, n;

	snprintf(key, sizeof(key), "%s.senders", prefix);
	if (s == NULL)
		return true;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_array(s) || config_setting_is_list(s))
		n = config_setting_length(s);
	else {
		conf_error(ctx, s, key, "expected a list of logins, found %s",
		    conf_type_name(config_setting_type(s)));
		return false;
	}
	if ((ci->ci_senders = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return conf_oom(ctx, s, key);
	for (i = 0; i < n; i++) {
		elem = config_setting_type(s) == CONFIG_TYPE_STRING ? s :
		    config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(elem) != CONFIG_TYPE_STRING ||
		    config_setting_get_string(elem)[0] == '\0') {
			conf_error(ctx, elem, key, "expected a login name "
			    "(non-empty string), found %s",
			    conf_type_name(config_setting_type(elem)));
			return false;
		}
		ci->ci_senders[i] = strdup(config_setting_get_string(elem));
		if (ci->ci_senders[i] == NULL)
			return conf_oom(ctx, elem, key);
		ci->ci_nsenders++;
	}
	return true;
}

/* Check and copy one { address = ...; cert = ...; ... } entry. */
static bool
conf_identity_one(struct conf_ctx *ctx, const config_setting_t *group,
    size_t index, struct smime_conf *conf)
{
	struct conf_identity *ci = &conf->cf_identities[index];
	const config_setting_t *child, *addr;
	char prefix[64], key[96], why[256];
	const char *const *k;
	int i, n;
	size_t j;

	ci->ci_line = config_setting_source_line(group);
	snprintf(prefix, sizeof(prefix), "sign.identities[%zu]", index);
	if (!config_setting_is_group(group)) {
		conf_error(ctx, group, prefix, "expected a group { address = "
		    "...; cert = ...; key = ...; }, found %s",
		    conf_type_name(config_setting_type(group)));
		return false;
	}
	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		child = config_setting_get_elem(group, (unsigned int)i);
		for (k = identity_keys; *k != NULL; k++)
			if (strcmp(*k, config_setting_name(child)) == 0)
				break;
		if (*k == NULL) {
			snprintf(key, sizeof(key), "%s.%s", prefix,
			    config_setting_name(child));
			conf_error(ctx, child, key, "unknown setting");
			return false;
		}
	}
	snprintf(key, sizeof(key), "%s.address", prefix);
	if ((addr = config_setting_get_member(group, "address")) == NULL) {
		conf_error(ctx, group, key, "required setting is missing");
		return false;
	}
	if (config_setting_type(addr) != CONFIG_TYPE_STRING) {
		conf_error(ctx, addr, key, "expected a string, found %s",
		    conf_type_name(config_setting_type(addr)));
		return false;
	}
	ci->ci_address = conf_copy_address(config_setting_get_string(addr),
	    why, sizeof(why));
	if (ci->ci_address == NULL) {
		conf_error(ctx, addr, key, "%s", why);
		return false;
	}
	for (j = 0; j < index; j++) {
		if (strcmp(conf->cf_identities[j].ci_address,
		    ci->ci_address) == 0) {
			conf_error(ctx, addr, key, "duplicate identity \"%s\" "
			    "(first defined at line %d)", ci->ci_address,
			    conf->cf_identities[j].ci_line);
			return false;
		}
	}
	/*
	 * No certificate file yet: an identity smime-enroll has still to
	 * enroll.  Both programs load such a file with a warning; the daemon
	 * skips the identity until a reload finds its files.
	 */
	if (!conf_identity_path(ctx, group, prefix, "cert", true,
	    &ci->ci_cert, &ci->ci_pending))
		return false;
	if (!conf_identity_path(ctx, group, prefix, "key", true, &ci->ci_key,
	    ci->ci_pending ? &ci->ci_pending : NULL) ||
	    !conf_identity_path(ctx, group, prefix, "chain", false,
	    &ci->ci_chain, ci->ci_pending ? &ci->ci_pending : NULL) ||
	    !conf_identity_senders(ctx, group, prefix, ci))
		return false;
	if (ci->ci_pending) {
		snprintf(key, sizeof(key), "%s.cert", prefix);
		conf_warning(ctx, config_setting_get_member(group, "cert"), key,
		    "%s does not exist: %s is not enrolled yet and is skipped "
		    "(enroll or import it, then reload)", ci->ci_cert,
		    ci->ci_address);
	}
	return true;
}

/* sign.identities = ( { ... }, ... ) */
bool
conf_apply_identities(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf)
{
	int n, i;

	if (setting == NULL)
		return true;
	if (!config_setting_is_list(setting) &&
	    !(config_setting_is_array(setting) &&
	    config_setting_length(setting) == 0)) {
		conf_error(ctx, setting, row->cr_name, "expected a list ( { "
		    "... }, ... ), found %s",
		    conf_type_name(config_setting_type(setting)));
		return false;
	}
	n = config_setting_length(setting);
	if (n == 0)
		return true;
	conf->cf_identities = calloc((size_t)n, sizeof(struct conf_identity));
	if (conf->cf_identities == NULL)
		return conf_oom(ctx, setting, row->cr_name);
	for (i = 0; i < n; i++) {
		conf->cf_nidentities = (size_t)i + 1;	/* for conf_free() */
		if (!conf_identity_one(ctx, config_setting_get_elem(setting,
		    (unsigned int)i), (size_t)i, conf))
			return false;
	}
	return true;
}

/* Print one "name = "value";" line when value is set. */
static void
conf_print_member(FILE *out, const char *tabs, const char *name,
    const char *value)
{
	if (value == NULL)
		return;
	fprintf(out, "%s%s = ", tabs, name);
	conf_print_string(out, value);
	fputs(";\n", out);
}

void
conf_print_identities(const struct conf_row *row,
    const struct smime_conf *conf, FILE *out, int indent)
{
	const struct conf_identity *ci;
	const char *name = strrchr(row->cr_name, '.') + 1;
	char tabs[8];
	size_t i, j;

	snprintf(tabs, sizeof(tabs), "%.*s", indent + 2, "\t\t\t\t\t\t\t");
	if (conf->cf_nidentities == 0) {
		fprintf(out, "%.*s# %s: none\n", indent, tabs, name);
		return;
	}
	fprintf(out, "%.*s%s = (\n", indent, tabs, name);
	for (i = 0; i < conf->cf_nidentities; i++) {
		ci = &conf->cf_identities[i];
		fprintf(out, "%.*s{\n", indent + 1, tabs);
		if (ci->ci_pending)
			fprintf(out, "%s# not enrolled yet (no cert file): "
			    "skipped\n", tabs);
		conf_print_member(out, tabs, "address", ci->ci_address);
		conf_print_member(out, tabs, "cert", ci->ci_cert);
		conf_print_member(out, tabs, "key", ci->ci_key);
		conf_print_member(out, tabs, "chain", ci->ci_chain);
		fprintf(out, "%ssenders = [", tabs);
		for (j = 0; j < ci->ci_nsenders; j++) {
			fputs(j > 0 ? ", " : " ", out);
			conf_print_string(out, ci->ci_senders[j]);
		}
		fprintf(out, "%s];\n", ci->ci_nsenders > 0 ? " " : "");
		fprintf(out, "%.*s}%s\n", indent + 1, tabs,
		    i + 1 < conf->cf_nidentities ? "," : "");
	}
	fprintf(out, "%.*s);\n", indent, tabs);
}

void
conf_free_identities(const struct conf_row *row, struct smime_conf *conf)
{
	struct conf_identity *ci;
	size_t i, j;

	(void)row;
	for (i = 0; i < conf->cf_nidentities; i++) {
		ci = &conf->cf_identities[i];
		free(ci->ci_address);
		free(ci->ci_cert);
		free(ci->ci_key);
		free(ci->ci_chain);
		for (j = 0; j < ci->ci_nsenders; j++)
			free(ci->ci_senders[j]);
		free(ci->ci_senders);
	}
	free(conf->cf_identities);
	conf->cf_identities = NULL;
	conf->cf_nidentities = 0;
}
