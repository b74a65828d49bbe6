/*
 * hpconf.c - sign.header_protection_fields: the list of header fields
 * copied into the signed part under RFC 9788 header protection.  Not set:
 * the library default (SMIME_HP_DEFAULT_FIELDS), kept as a NULL vector so
 * that the library and -T agree on one list.  Nothing here needs linking
 * with libsmime (smime-enroll links the libraries the other way round).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf-int.h"
#include "smime/hp.h"

bool
conf_apply_hp_fields(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf)
{
	const config_setting_t *elem;
	const char *name;
	char **vec;
	int n, i, j;

	if (setting == NULL)
		return true;
	if (!config_setting_is_array(setting) &&
	    !config_setting_is_list(setting)) {
		conf_error(ctx, setting, row->cr_name, "expected a list of "
		    "field names, found %s",
		    conf_type_name(config_setting_type(setting)));
		return false;
	}
	n = config_setting_length(setting);
	if ((vec = calloc((size_t)n + 1, sizeof(*vec))) == NULL)
		return conf_oom(ctx, setting, row->cr_name);
	conf->cf_sign_hp_fields = vec;
	for (i = 0; i < n; i++) {
		elem = config_setting_get_elem(setting, (unsigned int)i);
		if (config_setting_type(elem) != CONFIG_TYPE_STRING) {
			conf_error(ctx, elem, row->cr_name, "expected a field "
			    "name (string), found %s",
			    conf_type_name(config_setting_type(elem)));
			return false;
		}
		name = config_setting_get_string(elem);
		if (!smime_hp_field_allowed(name)) {
			conf_error(ctx, elem, row->cr_name, "\"%s\" cannot be "
			    "protected (not a field name, or Content-*, "
			    "MIME-Version or Bcc)", name);
			return false;
		}
		if (strcasecmp(name, SMIME_SIGNREQ_NAME) == 0) {
			conf_error(ctx, elem, row->cr_name, "\"%s\" is a "
			    "request to the milter, removed from every "
			    "message; it cannot be protected", name);
			return false;
		}
		for (j = 0; j < i; j++)
			if (strcasecmp(vec[j], name) == 0) {
				conf_error(ctx, elem, row->cr_name, "\"%s\" "
				    "is listed twice", name);
				return false;
			}
		if ((vec[i] = strdup(name)) == NULL)
			return conf_oom(ctx, elem, row->cr_name);
		conf->cf_sign_hp_nfields = (size_t)i + 1;
	}
	return true;
}

void
conf_print_hp_fields(const struct conf_row *row, const struct smime_conf *conf,
    FILE *out, int indent)
{
	const char *name = strrchr(row->cr_name, '.') + 1;
	static const char *const defaults[] = { SMIME_HP_DEFAULT_FIELDS,
	    NULL };
	const char *const *list = defaults;
	size_t i, n = 0;

	if (conf->cf_sign_hp_fields != NULL) {
		list = (const char *const *)conf->cf_sign_hp_fields;
		n = conf->cf_sign_hp_nfields;
	} else
		while (list[n] != NULL)
			n++;
	fprintf(out, "%.*s%s = [", indent, "\t\t\t\t", name);
	for (i = 0; i < n; i++) {
		fputs(i > 0 ? ", " : " ", out);
		conf_print_string(out, list[i]);
	}
	fprintf(out, "%s];\n", n > 0 ? " " : "");
}

void
conf_free_hp_fields(const struct conf_row *row, struct smime_conf *conf)
{
	size_t i;

	(void)row;
	for (i = 0; conf->cf_sign_hp_fields != NULL &&
	    conf->cf_sign_hp_fields[i] != NULL; i++)
		free(conf->cf_sign_hp_fields[i]);
	free(conf->cf_sign_hp_fields);
	conf->cf_sign_hp_fields = NULL;
	conf->cf_sign_hp_nfields = 0;
}
