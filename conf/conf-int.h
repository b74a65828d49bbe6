/*
 * conf-int.h - internals shared by the conf/ sources: the schema table,
 * the load context that carries the first error, and the helpers for
 * paths, sockets and address ranges.  Not installed, not for milter/.
 */
#ifndef SMIME_CONF_INT_H
#define SMIME_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libconfig.h>

#include "conf/conf.h"

/* State of one conf_load() run; only the first error is kept. */
struct conf_ctx {
	const char	*cx_path;	/* absolute path of the main file */
	char		*cx_dir;	/* its directory, for relative paths */
	char		*cx_errbuf;
	size_t		 cx_errlen;
	bool		 cx_failed;
	conf_warn_fn	*cx_warn;
	void		*cx_warnarg;
};

enum conf_type {
	CT_GROUP,	/* sign = { ... } */
	CT_STRING,	/* char *, copied */
	CT_PATH,	/* char *, made absolute */
	CT_PATHS,	/* char ** + size_t: one path or a list of them */
	CT_BOOL,	/* bool */
	CT_UINT,	/* unsigned int within cr_min..cr_max */
	CT_SIZE,	/* size_t within cr_min..cr_max, "64K" allowed */
	CT_WORD,	/* char *, one of cr_words */
	CT_ACTION,	/* enum conf_action, one of cr_words */
	CT_LEVEL,	/* int, one of cr_words */
	CT_SPECIAL	/* cr_apply / cr_print / cr_free do the work */
};

/* A keyword a setting accepts and the value it stands for. */
struct conf_word {
	const char	*cw_name;
	int		 cw_value;
};

struct conf_row;

/* Convert setting (NULL: not in the file) into conf; false after an error. */
typedef bool conf_apply_fn(struct conf_ctx *ctx, const struct conf_row *row,
    const config_setting_t *setting, struct smime_conf *conf);
/* Print the value in libconfig syntax, indented by indent tabs. */
typedef void conf_print_fn(const struct conf_row *row,
    const struct smime_conf *conf, FILE *out, int indent);
/* Free what cr_apply allocated. */
typedef void conf_free_fn(const struct conf_row *row, struct smime_conf *conf);
/* Check a string value; false with a reason in why. */
typedef bool conf_check_fn(const char *value, char *why, size_t whylen);

#define CR_REQUIRED	0x01	/* must be present in the file */

/* One setting of the schema. */
struct conf_row {
	const char		*cr_name;	/* "sign.digest" */
	enum conf_type		 cr_type;
	size_t			 cr_off;	/* offsetof(struct smime_conf, .) */
	size_t			 cr_count_off;	/* CT_PATHS: the count */
	const char		*cr_default;	/* text form, NULL: none */
	unsigned int		 cr_flags;
	unsigned long long	 cr_min;
	unsigned long long	 cr_max;
	const struct conf_word	*cr_words;	/* NULL-terminated */
	conf_check_fn		*cr_check;	/* extra check of strings */
	conf_apply_fn		*cr_apply;	/* CT_SPECIAL */
	conf_print_fn		*cr_print;
	conf_free_fn		*cr_free;
};

extern const struct conf_row conf_rows[];
extern const size_t conf_nrows;

/* conf.c */
void conf_error(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void conf_warning(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
char *conf_resolve_path(const struct conf_ctx *ctx, const char *path);
bool conf_oom(struct conf_ctx *ctx, const config_setting_t *where,
    const char *key);
const char *conf_type_name(int libconfig_type);

/* net.c */
conf_check_fn conf_check_socket;
conf_check_fn conf_check_listen;
bool conf_parse_cidr(const char *text, struct conf_cidr *out,
    bool *hostbits, char *why, size_t whylen);
void conf_format_cidr(const struct conf_cidr *cidr, char *buf, size_t len);

/* special.c: mode, internal_hosts, identities */
conf_apply_fn conf_apply_mode;
conf_print_fn conf_print_mode;
conf_apply_fn conf_apply_hosts;
conf_print_fn conf_print_hosts;
conf_free_fn conf_free_hosts;
conf_apply_fn conf_apply_identities;
conf_print_fn conf_print_identities;
conf_free_fn conf_free_identities;

/* hpconf.c: sign.header_protection_fields */
conf_apply_fn conf_apply_hp_fields;
conf_print_fn conf_print_hp_fields;
conf_free_fn conf_free_hp_fields;

/* destconf.c: sign.destinations, sign.destinations_file */
conf_apply_fn conf_apply_destinations;
conf_print_fn conf_print_destinations;
conf_free_fn conf_free_destinations;
conf_apply_fn conf_apply_destinations_file;
conf_print_fn conf_print_destinations_file;
conf_free_fn conf_free_destinations_file;

/* print.c */
void conf_print_string(FILE *out, const char *s);

#endif /* SMIME_CONF_INT_H */
