/*
 * test_conf.c - conf_load(): every key of a full config, defaults,
 * relative paths, internal_hosts matching, -T output that loads again,
 * and a table of broken configs, each with its exact FILE:LINE: KEY: text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "conf/conf-int.h"
#include "smime/identity.h"
#include "smime/mime.h"
#include "smime/verify.h"
#include "test/unit/unit.h"

/* Write text to dir/name (creating dir/sub-directories); return the path. */
static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path, *slash;
	FILE *fp;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0700);	/* one level of sub-directory is enough */
	*slash = '/';
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

static char *
join(const char *dir, const char *name)
{
	char *path;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	return path;
}

struct warnings {
	int	 w_count;
	char	 w_last[1024];
};

static void
collect_warning(void *arg, const char *msg)
{
	struct warnings *w = arg;

	w->w_count++;
	snprintf(w->w_last, sizeof(w->w_last), "%s", msg);
}

static const char full_config[] =
    "# every key\n"
    "socket = \"inet6:8895@::1\";\n"
    "user = \"smime\";\n"
    "pidfile = \"run/smime.pid\";\n"
    "authserv_id = \"mx.example.jp\";\n"
    "mode = \"sv\";\n"
    "on_error = \"reject\";\n"
    "internal_hosts = [ \"10.0.0.0/8\", \"192.168.1.0/24\", \"2001:db8::/32\", \"::1\" ];\n"
    "log_level = \"debug\";\n"
    "tmpdir = \"spool\";\n"
    "spool_memory = \"128K\";\n"
    "max_header_bytes = 2097152;\n"
    "max_mime_depth = 7;\n"
    "max_mime_parts = 33;\n"
    "sign = {\n"
    "  digest = \"sha384\";\n"
    "  include_chain = false;\n"
    "  rsa_pss = true;\n"
    "  store = \"store\";\n"
    "  unauthorized = \"reject\";\n"
    "  trace_header = true;\n"
    "  crl = \"/PKI/crl.pem\";\n"
    "  identities = (\n"
    "    { address = \"Taro@Example.JP\"; cert = \"certs/taro.pem\";\n"
    "      key = \"/PKI/taro.key\"; chain = \"certs/chain.pem\";\n"
    "      senders = [ \"taro\", \"taro-staff\" ]; },\n"
    "    { address = \"hanako@example.jp\"; cert = \"certs/hanako.pem\";\n"
    "      key = \"certs/hanako.key\"; senders = \"hanako\"; }\n"
    "  );\n"
    "  header_protection = false;\n"
    "  header_protection_fields = [ \"From\", \"subject\", \"X-Campaign\" ];\n"
    "};\n"
    "verify = {\n"
    "  trust_anchors = \"certs\";\n"
    "  intermediates = \"certs/chain.pem\";\n"
    "  crl = [ \"crl1.pem\", \"/PKI/crl.pem\" ];\n"
    "  ocsp = true;\n"
    "  ocsp_timeout = 9;\n"
    "  crl_fetch = false;\n"
    "  crl_cache_dir = \"crlcache\";\n"
    "  crl_fetch_timeout = 7;\n"
    "  crl_max_size = \"2M\";\n"
    "  aia_fetch = true;\n"
    "  allow_sha1 = true;\n"
    "  min_rsa_bits = 3072;\n"
    "  revocation_scope = \"chain\";\n"
    "  revocation_unavailable = \"pass\";\n"
    "  reject_fail = true;\n"
    "  signer_header = false;\n"
    "};\n"
    "enroll = {\n"
    "  o = \"山田太郎後援会\";\n"
    "  ou = \"事務局\";\n"
    "  l = \"千代田区\";\n"
    "  st = \"東京都\";\n"
    "  c = \"US\";\n"
    "  key_type = \"ec:P-384\";\n"
    "  renew_within = 30;\n"
    "  cmp_server = \"ca.example.jp:8080/pkix/\";\n"
    "  cmp_recipient = \"/C=JP/O=CA/CN=\\\"Issuing\\\" CA\";\n"
    "  cmp_trusted = \"cmp.pem\";\n"
    "  intermediates = \"certs/chain.pem\";\n"
    "  reload_command = \"systemctl reload smime-milter\";\n"
    "};\n";

/* Replace every "/PKI" in text with dir, so that absolute paths exist. */
static char *
subst_dir(const char *text, const char *dir)
{
	size_t cap = strlen(text) * 4 + 1024, len = 0;
	char *out = malloc(cap);
	const char *p = text, *hit;

	ck_assert_ptr_nonnull(out);
	while ((hit = strstr(p, "/PKI")) != NULL) {
		memcpy(out + len, p, (size_t)(hit - p));
		len += (size_t)(hit - p);
		len += (size_t)sprintf(out + len, "%s", dir);
		p = hit + 4;
	}
	strcpy(out + len, p);
	return out;
}

/* Make the files full_config refers to. */
static void
make_full_tree(const char *dir)
{
	const char *files[] = {
		"crl.pem", "taro.key", "certs/taro.pem", "certs/chain.pem",
		"certs/hanako.pem", "certs/hanako.key", "crl1.pem", NULL
	};
	char *p;
	size_t i;

	for (i = 0; files[i] != NULL; i++)
		free(write_file(dir, files[i], "x\n"));
	p = join(dir, "spool");
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = join(dir, "crlcache");
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
}

static void
assert_path(const char *got, const char *dir, const char *rel)
{
	char *want = join(dir, rel);

	ck_assert_str_eq(got, want);
	free(want);
}

/* Every key of a full config lands in the struct; relative paths resolve. */
START_TEST(full_config_every_key)
{
	char *dir = unit_tmpdir(), *text = subst_dir(full_config, dir), *path;
	const struct conf_identity *ci;
	struct smime_conf *conf;
	char err[1024];

	make_full_tree(dir);
	path = write_file(dir, "smime-milter.conf", text);
	conf = conf_load(path, err, sizeof(err), NULL, NULL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf->cf_path, path);
	ck_assert_str_eq(conf->cf_socket, "inet6:8895@::1");
	ck_assert_str_eq(conf->cf_user, "smime");
	assert_path(conf->cf_pidfile, dir, "run/smime.pid");
	ck_assert_str_eq(conf->cf_authserv_id, "mx.example.jp");
	ck_assert(conf->cf_mode_sign && conf->cf_mode_verify);
	ck_assert_int_eq(conf->cf_on_error, CONF_ACTION_REJECT);
	ck_assert_uint_eq(conf->cf_ninternal_hosts, 4);
	ck_assert_int_eq(conf->cf_log_level, LOG_DEBUG);
	assert_path(conf->cf_tmpdir, dir, "spool");
	ck_assert_uint_eq(conf->cf_spool_memory, 128 * 1024);
	ck_assert_uint_eq(conf->cf_max_header_bytes, 2097152);
	ck_assert_uint_eq(conf->cf_max_mime_depth, 7);
	ck_assert_uint_eq(conf->cf_max_mime_parts, 33);

	ck_assert_str_eq(conf->cf_sign_digest, "sha384");
	ck_assert(!conf->cf_sign_include_chain);
	ck_assert(conf->cf_sign_rsa_pss);
	assert_path(conf->cf_sign_store, dir, "store");
	ck_assert_int_eq(conf->cf_sign_unauthorized, CONF_ACTION_REJECT);
	ck_assert(conf->cf_sign_trace_header);
	assert_path(conf->cf_sign_crl, dir, "crl.pem");
	ck_assert(!conf->cf_sign_header_protection);
	ck_assert_uint_eq(conf->cf_sign_hp_nfields, 3);
	ck_assert_str_eq(conf->cf_sign_hp_fields[1], "subject");
	ck_assert_str_eq(conf->cf_sign_hp_fields[2], "X-Campaign");
	ck_assert_ptr_null(conf->cf_sign_hp_fields[3]);
	ck_assert_uint_eq(conf->cf_nidentities, 2);
	ci = &conf->cf_identities[0];
	ck_assert_str_eq(ci->ci_address, "Taro@example.jp");
	assert_path(ci->ci_cert, dir, "certs/taro.pem");
	assert_path(ci->ci_key, dir, "taro.key");
	assert_path(ci->ci_chain, dir, "certs/chain.pem");
	ck_assert_uint_eq(ci->ci_nsenders, 2);
	ck_assert_str_eq(ci->ci_senders[0], "taro");
	ck_assert_str_eq(ci->ci_senders[1], "taro-staff");
	ck_assert_int_eq(ci->ci_line, 24);
	ci = &conf->cf_identities[1];
	ck_assert_str_eq(ci->ci_address, "hanako@example.jp");
	ck_assert_ptr_null(ci->ci_chain);
	ck_assert_uint_eq(ci->ci_nsenders, 1);
	ck_assert_str_eq(ci->ci_senders[0], "hanako");
	ck_assert_int_eq(ci->ci_line, 27);

	assert_path(conf->cf_verify_trust_anchors, dir, "certs");
	assert_path(conf->cf_verify_intermediates, dir, "certs/chain.pem");
	ck_assert_uint_eq(conf->cf_verify_ncrls, 2);
	assert_path(conf->cf_verify_crls[0], dir, "crl1.pem");
	assert_path(conf->cf_verify_crls[1], dir, "crl.pem");
	ck_assert(conf->cf_verify_ocsp);
	ck_assert_uint_eq(conf->cf_verify_ocsp_timeout, 9);
	ck_assert(!conf->cf_verify_crl_fetch);
	ck_assert(conf->cf_verify_aia_fetch);
	ck_assert(conf->cf_verify_allow_sha1);
	ck_assert_uint_eq(conf->cf_verify_min_rsa_bits, 3072);
	assert_path(conf->cf_verify_crl_cache_dir, dir, "crlcache");
	ck_assert_uint_eq(conf->cf_verify_crl_fetch_timeout, 7);
	ck_assert_uint_eq(conf->cf_verify_crl_max_size, 2 * 1024 * 1024);
	ck_assert_int_eq(conf->cf_verify_revocation_scope,
	    SMIME_REVSCOPE_CHAIN);
	ck_assert_int_eq(conf->cf_verify_revocation_unavailable,
	    SMIME_REVUNAVAIL_PASS);
	ck_assert(conf->cf_verify_reject_fail);
	ck_assert(!conf->cf_verify_signer_header);

	ck_assert_str_eq(conf->cf_enroll_o, "山田太郎後援会");
	ck_assert_str_eq(conf->cf_enroll_ou, "事務局");
	ck_assert_str_eq(conf->cf_enroll_l, "千代田区");
	ck_assert_str_eq(conf->cf_enroll_st, "東京都");
	ck_assert_str_eq(conf->cf_enroll_c, "US");
	ck_assert_str_eq(conf->cf_enroll_key_type, "ec:P-384");
	ck_assert_uint_eq(conf->cf_enroll_renew_within, 30);
	ck_assert_str_eq(conf->cf_enroll_cmp_server, "ca.example.jp:8080/pkix/");
	ck_assert_str_eq(conf->cf_enroll_cmp_recipient,
	    "/C=JP/O=CA/CN=\"Issuing\" CA");
	assert_path(conf->cf_enroll_cmp_trusted, dir, "cmp.pem");
	assert_path(conf->cf_enroll_intermediates, dir, "certs/chain.pem");
	ck_assert_str_eq(conf->cf_enroll_reload_command,
	    "systemctl reload smime-milter");
	conf_free(conf);
	free(path);
	free(text);
	unit_rmtmpdir(dir);
}
END_TEST

/* A config with only the required key gets every documented default. */
START_TEST(defaults)
{
	char *dir = unit_tmpdir(), *path, *old, host[256];
	struct smime_conf *conf;
	struct warnings w = { 0, "" };
	char err[1024];

	path = write_file(dir, "c.conf", "socket = \"local:/run/s.sock\";\n"
	    "mode = \"s\";\n");
	old = getenv("TMPDIR");
	old = old != NULL ? strdup(old) : NULL;
	setenv("TMPDIR", dir, 1);
	conf = conf_load(path, err, sizeof(err), collect_warning, &w);
	if (old != NULL)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert(conf->cf_mode_sign && !conf->cf_mode_verify);
	ck_assert_ptr_null(conf->cf_user);
	ck_assert_ptr_null(conf->cf_pidfile);
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	ck_assert_str_eq(conf->cf_authserv_id, host);
	ck_assert_int_eq(conf->cf_on_error, CONF_ACTION_TEMPFAIL);
	/* No host is trusted by default: only SMTP AUTH logins sign. */
	ck_assert_uint_eq(conf->cf_ninternal_hosts, 0);
	ck_assert(!conf_host_is_internal(conf, "127.0.0.1"));
	ck_assert(!conf_host_is_internal(conf, "127.255.0.9"));
	ck_assert(!conf_host_is_internal(conf, "::1"));
	ck_assert(!conf_host_is_internal(conf, "10.0.0.1"));
	ck_assert_int_eq(conf->cf_log_level, LOG_INFO);
	/* Operations (issue 19): all off or plain unless asked for. */
	ck_assert_int_eq(conf->cf_log_format, CONF_LOG_TEXT);
	ck_assert_int_eq(conf->cf_log_target, CONF_LOG_SYSLOG);
	ck_assert_ptr_null(conf->cf_metrics_listen);
	ck_assert_ptr_null(conf->cf_metrics_textfile);
	ck_assert_uint_eq(conf->cf_metrics_interval, 15);
	ck_assert_uint_eq(conf->cf_health_tempfail_limit, 20);
	ck_assert_str_eq(conf->cf_tmpdir, dir);
	ck_assert_uint_eq(conf->cf_spool_memory, 2097152);
	ck_assert_uint_eq(conf->cf_max_header_bytes, 1048576);
	ck_assert_uint_eq(conf->cf_max_mime_depth, 20);
	ck_assert_uint_eq(conf->cf_max_mime_parts, 1000);
	/* the MIME limits are the library's, defined once (smime/mime.h) */
	ck_assert_uint_eq(conf->cf_max_mime_depth, SMIME_MIME_DEFAULT_DEPTH);
	ck_assert_uint_eq(conf->cf_max_mime_parts, SMIME_MIME_DEFAULT_PARTS);
	ck_assert_str_eq(conf->cf_sign_digest, "sha256");
	ck_assert(conf->cf_sign_include_chain);
	ck_assert(!conf->cf_sign_rsa_pss);
	ck_assert_ptr_null(conf->cf_sign_store);
	ck_assert_int_eq(conf->cf_sign_unauthorized, CONF_ACTION_ACCEPT);
	ck_assert(!conf->cf_sign_trace_header);
	ck_assert(conf->cf_sign_header_protection);
	ck_assert_ptr_null(conf->cf_sign_hp_fields);	/* library default */
	ck_assert_uint_eq(conf->cf_nidentities, 0);
	ck_assert_uint_eq(conf->cf_verify_ncrls, 0);
	ck_assert(!conf->cf_verify_ocsp);
	ck_assert_uint_eq(conf->cf_verify_ocsp_timeout, 5);
	ck_assert(conf->cf_verify_crl_fetch);
	ck_assert(!conf->cf_verify_aia_fetch);
	ck_assert(!conf->cf_verify_allow_sha1);
	ck_assert_uint_eq(conf->cf_verify_min_rsa_bits, 2048);
	ck_assert_ptr_null(conf->cf_verify_crl_cache_dir);
	ck_assert_uint_eq(conf->cf_verify_crl_fetch_timeout, 5);
	ck_assert_uint_eq(conf->cf_verify_crl_max_size, 10 * 1024 * 1024);
	ck_assert_int_eq(conf->cf_verify_revocation_scope,
	    SMIME_REVSCOPE_LEAF);
	ck_assert_int_eq(conf->cf_verify_revocation_unavailable,
	    SMIME_REVUNAVAIL_TEMPERROR);
	ck_assert(!conf->cf_verify_reject_fail);
	ck_assert(conf->cf_verify_signer_header);
	ck_assert_str_eq(conf->cf_enroll_c, "JP");
	ck_assert_str_eq(conf->cf_enroll_key_type, "rsa:2048");
	ck_assert_uint_eq(conf->cf_enroll_renew_within, 60);
	/* signing with nothing to sign with is legal but worth a warning */
	ck_assert_int_eq(w.w_count, 1);
	ck_assert_msg(strstr(w.w_last, "c.conf:2: sign: ") != NULL, "%s",
	    w.w_last);
	conf_free(conf);
	free(path);
	unit_rmtmpdir(dir);
}
END_TEST

/*
 * An identity whose cert file does not exist yet (smime-enroll is about
 * to create it) loads with one warning naming file and line, prints as
 * pending in -T output and is left out of the identity store.
 */
START_TEST(pending_identity)
{
	char *dir = unit_tmpdir(), *path;
	struct smime_conf *conf;
	struct smime_idstore *ids = NULL;
	struct warnings w = { 0, "" };
	char err[1024], *text = NULL;
	size_t len = 0;
	FILE *fp;

	path = write_file(dir, "c.conf", "socket = \"local:/run/s.sock\";\n"
	    "mode = \"s\";\nsign = { identities = (\n"
	    " { address = \"taro@example.jp\";\n"
	    "   cert = \"store/taro@example.jp/cert.pem\";\n"
	    "   key = \"store/taro@example.jp/key.pem\";\n"
	    "   chain = \"store/taro@example.jp/chain.pem\";\n"
	    "   senders = [ \"taro\" ]; } ); };\n");
	conf = conf_load(path, err, sizeof(err), collect_warning, &w);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(conf->cf_nidentities, 1);
	ck_assert(conf->cf_identities[0].ci_pending);
	ck_assert_int_eq(w.w_count, 1);
	ck_assert_msg(strstr(w.w_last, "c.conf:5: sign.identities[0].cert: ")
	    != NULL && strstr(w.w_last, "taro@example.jp is not enrolled yet")
	    != NULL, "%s", w.w_last);
	ck_assert_int_eq(conf_load_identities(conf, &ids, NULL, NULL, err,
	    sizeof(err)), SMIME_OK);
	ck_assert_uint_eq(smime_idstore_count(ids), 0);
	smime_idstore_free(ids);
	ck_assert_ptr_nonnull(fp = open_memstream(&text, &len));
	conf_print(conf, fp);
	fclose(fp);
	ck_assert_msg(strstr(text, "# not enrolled yet") != NULL, "%s", text);
	free(text);
	conf_free(conf);
	free(path);
	unit_rmtmpdir(dir);
}
END_TEST

/* internal_hosts: IPv4, IPv6, IPv4-mapped, "IPv6:" and bracket forms. */
START_TEST(internal_hosts_matching)
{
	char *dir = unit_tmpdir(), *path;
	struct smime_conf *conf;
	struct warnings w = { 0, "" };
	char err[1024];

	path = write_file(dir, "c.conf", "socket = \"inet:8895\";\n"
	    "mode = \"s\";\nsign = { store = \"s\"; };\n"
	    "internal_hosts = [ \"10.0.0.0/8\", \"192.168.1.77/24\",\n"
	    "  \"2001:db8::/32\", \"::1\", \"::ffff:172.16.0.0/108\",\n"
	    "  \"203.0.113.5\" ];\n");
	conf = conf_load(path, err, sizeof(err), collect_warning, &w);
	ck_assert_msg(conf != NULL, "%s", err);
	/* 192.168.1.77/24 has host bits: a warning naming line 4 */
	ck_assert_int_eq(w.w_count, 1);
	ck_assert_msg(strstr(w.w_last, "c.conf:4: internal_hosts: "
	    "\"192.168.1.77/24\" has host bits set; using 192.168.1.0/24")
	    != NULL, "%s", w.w_last);
	ck_assert(conf_host_is_internal(conf, "10.1.2.3"));
	ck_assert(!conf_host_is_internal(conf, "11.0.0.1"));
	ck_assert(conf_host_is_internal(conf, "192.168.1.200"));
	ck_assert(!conf_host_is_internal(conf, "192.168.2.1"));
	ck_assert(conf_host_is_internal(conf, "203.0.113.5"));
	ck_assert(!conf_host_is_internal(conf, "203.0.113.6"));
	ck_assert(conf_host_is_internal(conf, "2001:db8::5"));
	ck_assert(conf_host_is_internal(conf, "IPv6:2001:db8:ffff::1"));
	ck_assert(conf_host_is_internal(conf, "ipv6:::1"));
	ck_assert(conf_host_is_internal(conf, "[::1]"));
	ck_assert(!conf_host_is_internal(conf, "2001:db9::1"));
	ck_assert(!conf_host_is_internal(conf, "::2"));
	/* IPv4-mapped IPv6 client matches an IPv4 range and vice versa */
	ck_assert(conf_host_is_internal(conf, "::ffff:10.9.8.7"));
	ck_assert(conf_host_is_internal(conf, "IPv6:::ffff:192.168.1.1"));
	ck_assert(!conf_host_is_internal(conf, "::ffff:11.0.0.1"));
	ck_assert(conf_host_is_internal(conf, "172.16.5.5"));
	ck_assert(!conf_host_is_internal(conf, "172.32.0.1"));
	ck_assert(!conf_host_is_internal(conf, "garbage"));
	ck_assert(!conf_host_is_internal(conf, ""));
	ck_assert(!conf_host_is_internal(conf, NULL));
	conf_free(conf);
	free(path);
	unit_rmtmpdir(dir);
}
END_TEST

/* Read a whole file; caller frees. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* conf_print() output is libconfig that loads into the same settings. */
START_TEST(print_round_trip)
{
	char *dir = unit_tmpdir(), *text = subst_dir(full_config, dir);
	char *path, *p1, *p2, *t1, *t2, err[1024];
	struct smime_conf *conf, *again;
	FILE *fp;

	make_full_tree(dir);
	path = write_file(dir, "smime-milter.conf", text);
	conf = conf_load(path, err, sizeof(err), NULL, NULL);
	ck_assert_msg(conf != NULL, "%s", err);
	p1 = join(dir, "printed1.conf");
	p2 = join(dir, "printed2.conf");
	ck_assert_ptr_nonnull(fp = fopen(p1, "w"));
	conf_print(conf, fp);
	fclose(fp);
	again = conf_load(p1, err, sizeof(err), NULL, NULL);
	ck_assert_msg(again != NULL, "%s", err);
	ck_assert_ptr_nonnull(fp = fopen(p2, "w"));
	conf_print(again, fp);
	fclose(fp);
	t1 = slurp(p1);
	t2 = slurp(p2);
	/* identical after the first line, which names the source file */
	ck_assert_str_eq(strchr(t1, '\n'), strchr(t2, '\n'));
	ck_assert_ptr_nonnull(strstr(t1, "\n\tdigest = \"sha384\";\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\non_error = \"reject\";\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\nlog_level = \"debug\";\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\nspool_memory = 131072;\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\nmode = \"sv\";\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\ninternal_hosts = [ \"10.0.0.0/8\", "
	    "\"192.168.1.0/24\", \"2001:db8::/32\", \"::1/128\" ];\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\t\t\tsenders = [ \"taro\", "
	    "\"taro-staff\" ];\n"));
	ck_assert_ptr_nonnull(strstr(t1, "cmp_recipient = "
	    "\"/C=JP/O=CA/CN=\\\"Issuing\\\" CA\";\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\to = \"山田太郎後援会\";\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\theader_protection = false;\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\theader_protection_fields = [ "
	    "\"From\", \"subject\", \"X-Campaign\" ];\n"));
	ck_assert_uint_eq(again->cf_sign_hp_nfields, 3);
	ck_assert_str_eq(again->cf_enroll_cmp_recipient,
	    conf->cf_enroll_cmp_recipient);
	ck_assert_uint_eq(again->cf_nidentities, 2);
	ck_assert_uint_eq(again->cf_ninternal_hosts, 4);
	conf_free(again);
	conf_free(conf);
	free(t1);
	free(t2);
	free(p1);
	free(p2);
	free(path);
	free(text);
	unit_rmtmpdir(dir);
}
END_TEST

/* The shipped sample config loads (it names /etc/ssl/certs). */
START_TEST(sample_config_loads)
{
	const char *srcdir = getenv("top_srcdir");
	struct smime_conf *conf;
	struct stat st;
	char *path, err[1024];

	ck_assert_int_ne(asprintf(&path, "%s/conf/smime-milter.conf",
	    srcdir != NULL ? srcdir : "."), -1);
	conf = conf_load(path, err, sizeof(err), NULL, NULL);
	/* The sample trusts "system", the list trust-update writes. */
	if (stat(CONF_SYSTEM_TRUST, &st) == 0) {
		ck_assert_msg(conf != NULL, "%s", err);
		ck_assert_str_eq(conf->cf_socket, "inet:8894@127.0.0.1");
		ck_assert_uint_eq(conf->cf_spool_memory, 2097152);
		ck_assert_uint_eq(conf->cf_max_header_bytes, 1048576);
	} else {
		ck_assert_ptr_null(conf);
		ck_assert_ptr_nonnull(strstr(err, "verify.trust_anchors"));
		ck_assert_ptr_nonnull(strstr(err, "smime-enroll trust-update"));
	}
	conf_free(conf);
	free(path);
}
END_TEST

/*
 * Broken configs.  "F" in want stands for the config's path; every case
 * names the line, the key and the reason.  Files named "have*" exist.
 */
struct bad_case {
	const char	*bc_text;
	const char	*bc_want;
};

#define HDR "socket = \"inet:8895@127.0.0.1\";\nmode = \"s\";\n"

static const struct bad_case bad_cases[] = {
	{ HDR "bogus = 1;\n", "F:3: bogus: unknown setting" },
	{ HDR "sign = {\n digest = \"sha256\";\n colour = \"red\";\n};\n",
	  "F:5: sign.colour: unknown setting" },
	{ HDR "verify = { trust_anchors = \"have.pem\"; };\nverify2 = 1;\n",
	  "F:4: verify2: unknown setting" },
	{ HDR "sign = { identities = ( { address = \"a@b.jp\";\n"
	  " cert = \"have.pem\"; key = \"have.key\";\n passphrase = \"x\"; } ); };\n",
	  "F:5: sign.identities[0].passphrase: unknown setting" },
	{ HDR "sign = { include_chain = \"yes\"; };\n",
	  "F:3: sign.include_chain: expected a boolean (true or false), "
	  "found a string" },
	{ HDR "max_mime_depth = \"deep\";\n",
	  "F:3: max_mime_depth: expected an integer, found a string" },
	{ HDR "verify = { revocation_scope = \"all\"; };\n",
	  "F:3: verify.revocation_scope: \"all\" is not one of: leaf, chain" },
	{ HDR "verify = { revocation_unavailable = \"fail\"; };\n",
	  "F:3: verify.revocation_unavailable: \"fail\" is not one of: "
	  "temperror, neutral, pass" },
	{ HDR "verify = {\n ocsp_timeout = 61;\n};\n",
	  "F:4: verify.ocsp_timeout: 61 is out of range (1..60)" },
	{ HDR "max_mime_parts = -1;\n",
	  "F:3: max_mime_parts: -1 is out of range (1..100000)" },
	{ HDR "max_header_bytes = \"100\";\n",
	  "F:3: max_header_bytes: 100 is out of range (1024..67108864)" },
	{ HDR "spool_memory = \"64Q\";\n",
	  "F:3: spool_memory: \"64Q\" is not a byte count" },
	{ "mode = \"s\";\nsocket = \"inet:99999@localhost\";\n",
	  "F:2: socket: bad socket \"inet:99999@localhost\": port must be a "
	  "number from 1 to 65535" },
	{ "mode = \"s\";\n\nsocket = \"tcp:25@localhost\";\n",
	  "F:3: socket: bad socket \"tcp:25@localhost\": expected inet:" },
	{ "mode = \"s\";\nsocket = \"unix:run/s.sock\";\n",
	  "F:2: socket: bad socket \"unix:run/s.sock\": the socket path must "
	  "be absolute" },
	{ "mode = \"s\";\nsocket = \"inet6:25@[::1]\";\n",
	  "F:2: socket: bad socket \"inet6:25@[::1]\": write the IPv6 address "
	  "without brackets" },
	{ "mode = \"s\";\nsocket = \"inet:25@bad_host!\";\n",
	  "F:2: socket: bad socket \"inet:25@bad_host!\": \"bad_host!\" is not "
	  "a host name or IPv4 address" },
	{ "mode = \"s\";\n", "F: socket: required setting is missing" },
	{ HDR "internal_hosts = [\n \"10.0.0.0/8\",\n \"10.0.0.0/33\" ];\n",
	  "F:5: internal_hosts: \"10.0.0.0/33\": prefix length must be 0..32" },
	{ HDR "internal_hosts = [ \"300.1.1.1\" ];\n",
	  "F:3: internal_hosts: \"300.1.1.1\" is not an IPv4 or IPv6 address" },
	{ HDR "internal_hosts = [ \"fe80::/129\" ];\n",
	  "F:3: internal_hosts: \"fe80::/129\": prefix length must be 0..128" },
	{ HDR "internal_hosts = 10;\n",
	  "F:3: internal_hosts: expected a list of addresses, found an "
	  "integer" },
	{ HDR "on_error = \"bounce\";\n",
	  "F:3: on_error: \"bounce\" is not one of: tempfail, accept, reject" },
	{ HDR "sign = { unauthorized = \"tempfail\"; };\n",
	  "F:3: sign.unauthorized: \"tempfail\" is not one of: accept, reject" },
	{ HDR "sign = { digest = \"md5\"; };\n",
	  "F:3: sign.digest: \"md5\" is not one of: sha256, sha384, sha512" },
	{ "socket = \"inet:1\";\nmode = \"x\";\n",
	  "F:2: mode: \"x\" is not one of: s, v, sv" },
	{ HDR "metrics_listen = \"unix:/run/m.sock\";\n",
	  "F:3: metrics_listen: bad listener \"unix:/run/m.sock\": expected "
	  "inet:PORT@ADDRESS" },
	{ HDR "metrics_listen = \"inet:8896@localhost\";\n",
	  "F:3: metrics_listen: bad listener \"inet:8896@localhost\": give a "
	  "numeric IPv4 address" },
	{ HDR "metrics_listen = \"inet:0\";\n",
	  "F:3: metrics_listen: bad socket \"inet:0\": port must be" },
	{ HDR "metrics_textfile = \"/var/lib/node/smime.txt\";\n",
	  "F:3: metrics_textfile: \"/var/lib/node/smime.txt\" does not end in "
	  "\".prom\"" },
	{ HDR "log_format = \"xml\";\n",
	  "F:3: log_format: \"xml\" is not one of: text, json, logfmt" },
	{ HDR "log_target = \"file\";\n",
	  "F:3: log_target: \"file\" is not one of: syslog, stdout, stderr" },
	{ HDR "metrics_interval = 0;\n",
	  "F:3: metrics_interval: 0 is out of range (1..3600)" },
	{ HDR "log_level = \"loud\";\n",
	  "F:3: log_level: \"loud\" is not one of: err, warning, notice, info, "
	  "debug" },
	{ HDR "enroll = { key_type = \"rsa:1024\"; };\n",
	  "F:3: enroll.key_type: \"rsa:1024\" is not one of: rsa:2048" },
	{ HDR "enroll = { c = \"Japan\"; };\n",
	  "F:3: enroll.c: \"Japan\" is not a two-letter country code" },
	{ HDR "authserv_id = \"mx example\";\n",
	  "F:3: authserv_id: \"mx example\" is not a valid authserv-id" },
	{ HDR "user = \"\";\n", "F:3: user: must not be empty" },
	{ "socket = \"inet:1\";\nmode = \"sv\";\nverify = {\n ocsp = true;\n};\n",
	  "F:3: verify.trust_anchors: required setting is missing (mode "
	  "includes \"v\"" },
	{ "socket = \"inet:1\";\nmode = \"v\";\n",
	  "F:2: verify.trust_anchors: required setting is missing" },
	{ HDR "verify = { trust_anchors = \"nothere.pem\"; };\n",
	  "F:3: verify.trust_anchors: D/nothere.pem: No such file or "
	  "directory" },
	{ HDR "verify = { crl = ( \"have.pem\",\n 5 ); };\n",
	  "F:4: verify.crl: expected a path (string), found an integer" },
	{ HDR "tmpdir = \"have.pem\";\n",
	  "F:3: tmpdir: D/have.pem: not a directory" },
	{ HDR "sign = 1;\n", "F:3: sign: expected a group { ... }, found an "
	  "integer" },
	{ HDR "sign = { identities = (\n { address = \"a@b.jp\"; cert = "
	  "\"have.pem\"; key = \"have.key\"; },\n { address = \"a@B.JP\"; "
	  "cert = \"have.pem\"; key = \"have.key\"; } ); };\n",
	  "F:5: sign.identities[1].address: duplicate identity \"a@b.jp\" "
	  "(first defined at line 4)" },
	/* a missing cert is a pending identity (warning); a missing key or
	 * chain beside an existing cert is an error */
	{ HDR "sign = { identities = (\n { address = \"a@b.jp\";\n cert = "
	  "\"have.pem\"; key = \"certs/nothere.key\"; } ); };\n",
	  "F:5: sign.identities[0].key: D/certs/nothere.key: No such file or "
	  "directory" },
	{ HDR "sign = { identities = (\n { address = \"a@b.jp\";\n cert = "
	  "\"have.pem\"; key = \"have.key\";\n chain = \"no.pem\"; } ); };\n",
	  "F:6: sign.identities[0].chain: D/no.pem: No such file or "
	  "directory" },
	{ HDR "sign = { identities = (\n { address = \"a@b.jp\";\n cert = "
	  "\"have.pem\"; } ); };\n",
	  "F:4: sign.identities[0].key: required setting is missing" },
	{ HDR "sign = { identities = ( { address = \"Taro <a@b.jp>\"; } ); };\n",
	  "F:3: sign.identities[0].address: \"Taro <a@b.jp>\" is not a bare "
	  "address" },
	{ HDR "sign = { identities = ( { address = \"nobody\"; } ); };\n",
	  "F:3: sign.identities[0].address: \"nobody\" is not an address of the "
	  "form local@domain" },
	{ HDR "sign = { identities = ( { address = \"a@b.jp\"; cert = "
	  "\"have.pem\";\n key = \"have.key\"; senders = [ \"\" ]; } ); };\n",
	  "F:4: sign.identities[0].senders: expected a login name" },
	{ HDR "sign = { identities = { address = \"a@b.jp\"; }; };\n",
	  "F:3: sign.identities: expected a list ( { ... }, ... ), found a group" },
	{ HDR "log_level = \"info\";\nmax_mime_depth = = 5;\n",
	  "F:4: syntax error" },
	{ HDR "max_mime_depth = 5;\nmax_mime_depth = 6;\n",
	  "F:4: duplicate setting name" },
	{ HDR "verify = { ocsp_timeout = 5.0; };\n",
	  "F:3: verify.ocsp_timeout: expected an integer, found a floating "
	  "point number" },
	{ "mode = \"s\";\nsocket = \"inet:25@\";\n",
	  "F:2: socket: bad socket \"inet:25@\": \"\" is not a host name" },
	{ HDR "@include \"nothere.conf\"\n", "F:3: cannot open include file" },
	{ HDR "sign = {\n header_protection_fields = [ \"From\", "
	  "\"Content-Type\" ]; };\n",
	  "F:4: sign.header_protection_fields: \"Content-Type\" cannot be "
	  "protected" },
	{ HDR "sign = {\n header_protection_fields = [ \"Bcc\" ]; };\n",
	  "F:4: sign.header_protection_fields: \"Bcc\" cannot be protected" },
	{ HDR "sign = {\n header_protection_fields = [ \"Subject:\" ]; };\n",
	  "F:4: sign.header_protection_fields: \"Subject:\" cannot be "
	  "protected" },
	{ HDR "sign = {\n header_protection_fields = [ \"To\", \"to\" ]; };\n",
	  "F:4: sign.header_protection_fields: \"to\" is listed twice" },
	{ HDR "sign = {\n header_protection_fields = \"From\"; };\n",
	  "F:4: sign.header_protection_fields: expected a list of field names" },
	{ HDR "sign = {\n header_protection = \"yes\"; };\n",
	  "F:4: sign.header_protection: expected a boolean" },
};

/* Replace F by the config path and D by its directory in want. */
static char *
expand_want(const char *want, const char *file, const char *dir)
{
	char *out = malloc(strlen(want) + 4 * 1024);
	size_t len = 0;

	ck_assert_ptr_nonnull(out);
	for (; *want != '\0'; want++) {
		if (*want == 'F' && (want[1] == ':' && (want[2] == ' ' ||
		    (want[2] >= '0' && want[2] <= '9'))))
			len += (size_t)sprintf(out + len, "%s", file);
		else if (*want == 'D' && want[1] == '/')
			len += (size_t)sprintf(out + len, "%s", dir);
		else
			out[len++] = *want;
	}
	out[len] = '\0';
	return out;
}

START_TEST(bad_config)
{
	const struct bad_case *bc = &bad_cases[_i];
	char *dir = unit_tmpdir(), *path, *want;
	struct smime_conf *conf;
	char err[1024];

	free(write_file(dir, "have.pem", "x\n"));
	free(write_file(dir, "have.key", "x\n"));
	path = write_file(dir, "bad.conf", bc->bc_text);
	want = expand_want(bc->bc_want, path, dir);
	conf = conf_load(path, err, sizeof(err), NULL, NULL);
	ck_assert_msg(conf == NULL, "case %d loaded", _i);
	ck_assert_msg(strstr(err, want) != NULL && strncmp(err, path,
	    strlen(path)) == 0, "case %d:\n got: %s\nwant: %s", _i, err, want);
	free(want);
	free(path);
	unit_rmtmpdir(dir);
}
END_TEST

START_TEST(missing_file)
{
	char *dir = unit_tmpdir(), *path = join(dir, "none.conf"), *want;
	char err[1024];

	ck_assert_ptr_null(conf_load(path, err, sizeof(err), NULL, NULL));
	ck_assert_int_ne(asprintf(&want, "%s: No such file or directory",
	    path), -1);
	ck_assert_str_eq(err, want);
	free(want);
	free(path);
	unit_rmtmpdir(dir);
}
END_TEST

/* Every schema row is in the man page and in the sample config. */
START_TEST(every_key_documented)
{
	const char *srcdir = getenv("top_srcdir");
	char *man_path, *sample_path, *man, *sample, want[128];
	const char *last;
	size_t i;

	if (srcdir == NULL)
		srcdir = ".";
	ck_assert_int_ne(asprintf(&man_path, "%s/milter/smime-milter.conf.5.in",
	    srcdir), -1);
	ck_assert_int_ne(asprintf(&sample_path, "%s/conf/smime-milter.conf",
	    srcdir), -1);
	man = slurp(man_path);
	sample = slurp(sample_path);
	for (i = 0; i < conf_nrows; i++) {
		ck_assert_msg(strstr(man, conf_rows[i].cr_name) != NULL,
		    "%s is not in the man page", conf_rows[i].cr_name);
		last = strrchr(conf_rows[i].cr_name, '.');
		last = last == NULL ? conf_rows[i].cr_name : last + 1;
		snprintf(want, sizeof(want), "%s = ", last);
		ck_assert_msg(strstr(sample, want) != NULL,
		    "%s is not in the sample config", conf_rows[i].cr_name);
	}
	free(man);
	free(sample);
	free(man_path);
	free(sample_path);
}
END_TEST

START_TEST(actions)
{
	enum conf_action a;

	ck_assert(conf_parse_action("Reject", &a) && a == CONF_ACTION_REJECT);
	ck_assert(conf_parse_action("accept", &a) && a == CONF_ACTION_ACCEPT);
	ck_assert(conf_parse_action("tempfail", &a) &&
	    a == CONF_ACTION_TEMPFAIL);
	ck_assert(!conf_parse_action("discard", &a));
	ck_assert_str_eq(conf_action_name(CONF_ACTION_TEMPFAIL), "tempfail");
	ck_assert_str_eq(conf_action_name(CONF_ACTION_REJECT), "reject");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, full_config_every_key);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, internal_hosts_matching);
	tcase_add_test(tc, print_round_trip);
	tcase_add_test(tc, sample_config_loads);
	tcase_add_loop_test(tc, bad_config, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, pending_identity);
	tcase_add_test(tc, every_key_documented);
	tcase_add_test(tc, actions);
	suite_add_tcase(s, tc);
	return s;
}
