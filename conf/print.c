/*
 * print.c - write the effective configuration in libconfig syntax, so
 * that `smime-milter -T` shows every default and resolved path, and its
 * output can be loaded again.  Driven by the schema table.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf-int.h"

#define TABS "\t\t\t\t"

/* Write s as a libconfig string literal with escapes. */
void
conf_print_string(FILE *out, const char *s)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\x%02x", *p);
			else
				fputc(*p, out);	/* UTF-8 passes through */
			break;
		}
	}
	fputc('"', out);
}

/* Name of the word whose value is value, for enum-like rows. */
static const char *
conf_word_name(const struct conf_row *row, int value)
{
	const struct conf_word *w;

	for (w = row->cr_words; w->cw_name != NULL; w++)
		if (w->cw_value == value)
			return w->cw_name;
	return "?";
}

/* Print one non-group row at indent. */
static void
conf_print_row(const struct conf_row *row, const struct smime_conf *conf,
    FILE *out, int indent)
{
	const unsigned char *base = (const unsigned char *)conf;
	const char *name = strrchr(row->cr_name, '.');
	const char *str;
	char **vec;
	size_t i, n, sz;

	if (row->cr_type == CT_SPECIAL) {
		row->cr_print(row, conf, out, indent);
		return;
	}
	name = name == NULL ? row->cr_name : name + 1;
	fprintf(out, "%.*s", indent, TABS);
	switch (row->cr_type) {
	case CT_STRING:
	case CT_PATH:
	case CT_WORD:
		str = *(char *const *)(base + row->cr_off);
		if (str == NULL) {
			fprintf(out, "# %s: not set\n", name);
			return;
		}
		fprintf(out, "%s = ", name);
		conf_print_string(out, str);
		break;
	case CT_PATHS:
		vec = *(char **const *)(base + row->cr_off);
		n = *(const size_t *)(base + row->cr_count_off);
		if (n == 0) {
			fprintf(out, "# %s: not set\n", name);
			return;
		}
		fprintf(out, "%s = [", name);
		for (i = 0; i < n; i++) {
			fputs(i > 0 ? ", " : " ", out);
			conf_print_string(out, vec[i]);
		}
		fputs(" ]", out);
		break;
	case CT_BOOL:
		fprintf(out, "%s = %s", name,
		    *(const bool *)(base + row->cr_off) ? "true" : "false");
		break;
	case CT_UINT:
		fprintf(out, "%s = %u", name,
		    *(const unsigned int *)(base + row->cr_off));
		break;
	case CT_SIZE:
		sz = *(const size_t *)(base + row->cr_off);
		/* libconfig ints are 32 bits; larger ones need the L */
		fprintf(out, "%s = %zu%s", name, sz,
		    sz > INT32_MAX ? "L" : "");
		break;
	case CT_ACTION:
		fprintf(out, "%s = \"%s\"", name, conf_word_name(row,
		    (int)*(const enum conf_action *)(base + row->cr_off)));
		break;
	case CT_LEVEL:
		fprintf(out, "%s = \"%s\"", name, conf_word_name(row,
		    *(const int *)(base + row->cr_off)));
		break;
	default:
		break;
	}
	fputs(";\n", out);
}

void
conf_print(const struct smime_conf *conf, FILE *out)
{
	const struct conf_row *row, *member;
	size_t i, j, len;

	fprintf(out, "# effective configuration, loaded from %s\n",
	    conf->cf_path);
	for (i = 0; i < conf_nrows; i++) {
		row = &conf_rows[i];
		if (strchr(row->cr_name, '.') != NULL)
			continue;	/* printed inside its group */
		if (row->cr_type != CT_GROUP) {
			conf_print_row(row, conf, out, 0);
			continue;
		}
		fprintf(out, "\n%s = {\n", row->cr_name);
		len = strlen(row->cr_name);
		for (j = 0; j < conf_nrows; j++) {
			member = &conf_rows[j];
			if (strncmp(member->cr_name, row->cr_name, len) == 0 &&
			    member->cr_name[len] == '.')
				conf_print_row(member, conf, out, 1);
		}
		fputs("};\n", out);
	}
}
