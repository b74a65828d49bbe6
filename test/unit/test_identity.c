/*
 * test_identity.c - signing identities against the throw-away PKI of
 * test/pki/make-test-pki.sh: good RSA and EC identities, unsafe key
 * modes, key/cert mismatch, wrong address, missing EKU, validity
 * warnings, the smime-enroll store layout, sign.crl, and
 * conf_load_identities() with its FILE:LINE prefixes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "conf/conf.h"
#include "smime/credential.h"
#include "smime/identity.h"
#include "smime/identity-int.h"
#include "test/unit/unit.h"

static char pki[4096];		/* generated once by main() */
static const char *openssl_bin = "openssl";

struct warnings {
	int	 w_count;
	char	 w_all[8192];
};

static void
collect_warning(void *arg, const char *msg)
{
	struct warnings *w = arg;
	size_t used = strlen(w->w_all);

	w->w_count++;
	snprintf(w->w_all + used, sizeof(w->w_all) - used, "%s\n", msg);
}

static char *
pki_file(const char *name)
{
	char *path;

	ck_assert_int_ne(asprintf(&path, "%s/%s", pki, name), -1);
	return path;
}

static void
run(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* Copy PKI file src to dir/dst with mode; return the new path. */
static char *
copy_pki(const char *src, const char *dir, const char *dst, mode_t mode)
{
	char *from = pki_file(src), *to, *cmd;

	ck_assert_int_ne(asprintf(&to, "%s/%s", dir, dst), -1);
	ck_assert_int_ne(asprintf(&cmd, "mkdir -p \"$(dirname '%s')\" && "
	    "cp '%s' '%s'", to, from, to), -1);
	run(cmd);
	ck_assert_int_eq(chmod(to, mode), 0);
	free(cmd);
	free(from);
	return to;
}

static void
write_text(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *fp;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	free(path);
}

/* Add NAME.crt/NAME.key from the PKI as address; return the status. */
static smime_status
add_pki(struct smime_idstore *store, const char *address, const char *crt,
    const char *key, const char *chain, struct warnings *w,
    struct smime_err *err)
{
	char *c = pki_file(crt), *k = pki_file(key);
	char *ch = chain != NULL ? pki_file(chain) : NULL;
	char *senders[] = { "taro", "taro-staff" };
	smime_status st;

	st = smime_idstore_add_files(store, "test.conf:7", address, c, k, ch,
	    senders, 2, collect_warning, w, err);
	free(c);
	free(k);
	free(ch);
	return st;
}

START_TEST(rsa_identity)
{
	struct smime_idstore *store = smime_idstore_new();
	const struct smime_identity *id;
	struct warnings w = { 0, "" };
	struct smime_err err;

	ck_assert_int_eq(add_pki(store, "taro@Example.JP", "taro.crt",
	    "taro.key", "chain.pem", &w, &err), SMIME_OK);
	ck_assert_int_eq(w.w_count, 0);
	ck_assert_uint_eq(smime_idstore_count(store), 1);
	id = smime_idstore_find(store, "taro@EXAMPLE.jp");
	ck_assert_ptr_nonnull(id);
	ck_assert_ptr_eq(id, smime_idstore_get0(store, 0));
	ck_assert_ptr_null(smime_idstore_get0(store, 1));
	ck_assert_str_eq(id->id_address, "taro@example.jp");
	ck_assert_str_eq(id->id_origin, "test.conf:7");
	/* one address rule (smime/address.h): ASCII case never matters */
	ck_assert_ptr_eq(smime_idstore_find(store, "Taro@example.jp"), id);
	ck_assert_ptr_null(smime_idstore_find(store, "hanako@example.jp"));
	ck_assert_int_eq(add_pki(store, "TARO@example.jp", "taro.crt",
	    "taro.key", NULL, &w, &err), SMIME_SYNTAX);
	ck_assert_msg(strstr(smime_err_get0(&err), "duplicate identity") !=
	    NULL, "%s", smime_err_get0(&err));
	ck_assert_int_eq(EVP_PKEY_get_base_id(id->id_key), EVP_PKEY_RSA);
	ck_assert_int_eq(EVP_PKEY_get_bits(id->id_key), 2048);
	ck_assert_int_eq(sk_X509_num(id->id_chain), 1);
	ck_assert(!id->id_revoked);
	ck_assert(smime_identity_allows_sender(id, "taro-staff"));
	ck_assert(!smime_identity_allows_sender(id, "Taro"));
	ck_assert(!smime_identity_allows_sender(id, "hanako"));
	/* the same address twice is refused */
	ck_assert_int_eq(add_pki(store, "taro@example.jp", "taro.crt",
	    "taro.key", NULL, &w, &err), SMIME_SYNTAX);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err),
	    "duplicate identity taro@example.jp"));
	smime_idstore_free(store);
}
END_TEST

START_TEST(ec_identities)
{
	struct smime_idstore *store = smime_idstore_new();
	const struct smime_identity *id;
	struct warnings w = { 0, "" };
	struct smime_err err;

	ck_assert_int_eq(add_pki(store, "hanako@example.jp", "hanako.crt",
	    "hanako.key", NULL, &w, &err), SMIME_OK);
	ck_assert_int_eq(add_pki(store, "jiro@example.jp", "jiro384.crt",
	    "jiro384.key", "chain.pem", &w, &err), SMIME_OK);
	ck_assert_int_eq(w.w_count, 0);
	id = smime_idstore_find(store, "hanako@example.jp");
	ck_assert_int_eq(EVP_PKEY_get_base_id(id->id_key), EVP_PKEY_EC);
	ck_assert_int_eq(EVP_PKEY_get_bits(id->id_key), 256);
	ck_assert_int_eq(sk_X509_num(id->id_chain), 0);
	id = smime_idstore_find(store, "jiro@example.jp");
	ck_assert_int_eq(EVP_PKEY_get_bits(id->id_key), 384);
	smime_idstore_free(store);
}
END_TEST

/*
 * One rule for every key file (the credential loader): 0600, or 0640 when
 * the group is its directory's (the milter's group in the store); others
 * never; the message names the file, its mode and the fix.
 */
START_TEST(key_mode_refused)
{
	struct smime_idstore *store = smime_idstore_new();
	struct smime_err err;
	char *dir = unit_tmpdir(), *key, *crt = pki_file("taro.crt");
	char want[8192];
	struct stat st;

	key = copy_pki("taro.key", dir, "taro.key", 0604);
	ck_assert_int_eq(smime_idstore_add_files(store, "f.conf:3",
	    "taro@example.jp", crt, key, NULL, NULL, 0, NULL, NULL, &err),
	    SMIME_BADKEY);
	snprintf(want, sizeof(want), "f.conf:3: %s has mode 0604 and may be "
	    "read by others; refusing it (fix: chmod 600 %s, or 640 with the "
	    "group of its directory, the milter's)", key, key);
	ck_assert_str_eq(smime_err_get0(&err), want);
	ck_assert_int_eq(chmod(key, 0660), 0);
	ck_assert_int_eq(smime_idstore_add_files(store, "f.conf:3",
	    "taro@example.jp", crt, key, NULL, NULL, 0, NULL, NULL, &err),
	    SMIME_BADKEY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "mode 0660"));
	/* group-readable: only by the group of the key's directory */
	ck_assert_int_eq(chmod(key, 0640), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(key, (uid_t)-1, st.st_gid + 4242), 0);
		ck_assert_int_eq(smime_idstore_add_files(store, "f.conf:3",
		    "taro@example.jp", crt, key, NULL, NULL, 0, NULL, NULL,
		    &err), SMIME_BADKEY);
		ck_assert_msg(strstr(smime_err_get0(&err), "mode 0640 and may "
		    "be read by a group that is not its directory's") != NULL,
		    "%s", smime_err_get0(&err));
		ck_assert_int_eq(chown(key, (uid_t)-1, st.st_gid), 0);
	}
	ck_assert_int_eq(smime_idstore_add_files(store, "f.conf:3",
	    "taro@example.jp", crt, key, NULL, NULL, 0, NULL, NULL, &err),
	    SMIME_OK);
	smime_idstore_free(store);
	store = smime_idstore_new();
	ck_assert_int_eq(chmod(key, 0400), 0);
	ck_assert_int_eq(smime_idstore_add_files(store, "f.conf:3",
	    "taro@example.jp", crt, key, NULL, NULL, 0, NULL, NULL, &err),
	    SMIME_OK);
	ck_assert_uint_eq(smime_idstore_count(store), 1);
	smime_idstore_free(store);
	free(key);
	free(crt);
	unit_rmtmpdir(dir);
}
END_TEST

START_TEST(key_cert_mismatch)
{
	struct smime_idstore *store = smime_idstore_new();
	struct warnings w = { 0, "" };
	struct smime_err err;

	ck_assert_int_eq(add_pki(store, "taro@example.jp", "taro.crt",
	    "saburo.key", NULL, &w, &err), SMIME_BADKEY);
	ck_assert_msg(strstr(smime_err_get0(&err), "saburo.key does not match "
	    "certificate") != NULL, "%s", smime_err_get0(&err));
	/* an EC key against an RSA certificate as well */
	ck_assert_int_eq(add_pki(store, "taro@example.jp", "taro.crt",
	    "hanako.key", NULL, &w, &err), SMIME_BADKEY);
	ck_assert_uint_eq(smime_idstore_count(store), 0);
	smime_idstore_free(store);
}
END_TEST

/* The certificate must carry the address (smime_address_equal()). */
START_TEST(cert_without_address)
{
	struct smime_idstore *store = smime_idstore_new();
	struct warnings w = { 0, "" };
	struct smime_err err;

	ck_assert_int_eq(add_pki(store, "hanako@example.jp", "taro.crt",
	    "taro.key", NULL, &w, &err), SMIME_POLICY);
	ck_assert_msg(strstr(smime_err_get0(&err), "taro.crt is not issued to "
	    "hanako@example.jp (it carries: taro@example.jp)") != NULL, "%s",
	    smime_err_get0(&err));
	ck_assert_int_eq(add_pki(store, "taro.x@example.jp", "taro.crt",
	    "taro.key", NULL, &w, &err), SMIME_POLICY);
	ck_assert_int_eq(add_pki(store, "Taro@EXAMPLE.JP", "taro.crt",
	    "taro.key", NULL, &w, &err), SMIME_OK);
	smime_idstore_free(store);
}
END_TEST

START_TEST(noeku_refused)
{
	struct smime_idstore *store = smime_idstore_new();
	struct warnings w = { 0, "" };
	struct smime_err err;

	ck_assert_int_eq(add_pki(store, "noeku@example.jp", "noeku.crt",
	    "noeku.key", NULL, &w, &err), SMIME_POLICY);
	ck_assert_msg(strstr(smime_err_get0(&err), "test.conf:7: certificate "
	    "ExtendedKeyUsage lacks emailProtection") != NULL, "%s",
	    smime_err_get0(&err));
	smime_idstore_free(store);
}
END_TEST

/* Expired, not yet valid, expiring soon: warnings, not errors. */
START_TEST(validity_warnings)
{
	struct smime_idstore *store = smime_idstore_new();
	struct warnings w = { 0, "" };
	struct smime_err err;

	ck_assert_int_eq(add_pki(store, "expired@example.jp", "expired.crt",
	    "expired.key", NULL, &w, &err), SMIME_OK);
	ck_assert_int_eq(w.w_count, 1);
	ck_assert_msg(strstr(w.w_all, "test.conf:7: certificate expired on "
	    "2020-01-01 00:00:00 UTC") != NULL, "%s", w.w_all);
	ck_assert_int_eq(add_pki(store, "notyet@example.jp", "notyet.crt",
	    "notyet.key", NULL, &w, &err), SMIME_OK);
	ck_assert_int_eq(w.w_count, 2);
	ck_assert_msg(strstr(w.w_all, "test.conf:7: certificate is not valid "
	    "before 2099-01-01 00:00:00 UTC") != NULL, "%s", w.w_all);
	ck_assert_int_eq(add_pki(store, "soon@example.jp", "soon.crt",
	    "soon.key", NULL, &w, &err), SMIME_OK);
	ck_assert_int_eq(w.w_count, 3);
	ck_assert_msg(strstr(w.w_all, "(in 9 days); renew it") != NULL ||
	    strstr(w.w_all, "(in 10 days); renew it") != NULL, "%s", w.w_all);
	ck_assert_uint_eq(smime_idstore_count(store), 3);
	smime_idstore_free(store);
}
END_TEST

/* A chain file with several certificates; an encrypted key; no file. */
START_TEST(chain_and_bad_files)
{
	struct smime_idstore *store = smime_idstore_new();
	struct warnings w = { 0, "" };
	struct smime_err err;
	char *dir = unit_tmpdir(), *cmd, *chain, *key, *crt, *nokey;
	char want[8192];

	crt = pki_file("taro.crt");
	ck_assert_int_ne(asprintf(&chain, "%s/two.pem", dir), -1);
	ck_assert_int_ne(asprintf(&key, "%s/enc.key", dir), -1);
	ck_assert_int_ne(asprintf(&nokey, "%s/none.key", dir), -1);
	ck_assert_int_ne(asprintf(&cmd, "cat '%s/chain.pem' '%s/trust.pem' > "
	    "'%s' && '%s' pkey -in '%s/taro.key' -aes256 -passout pass:x "
	    "-out '%s' && chmod 600 '%s'", pki, pki, chain, openssl_bin, pki,
	    key, key), -1);
	run(cmd);
	ck_assert_int_eq(smime_idstore_add_files(store, "o", "taro@example.jp",
	    crt, key, NULL, NULL, 0, NULL, NULL, &err), SMIME_BADKEY);
	ck_assert_msg(strstr(smime_err_get0(&err), "encrypted keys are not "
	    "supported") != NULL, "%s", smime_err_get0(&err));
	ck_assert_int_eq(smime_idstore_add_files(store, "o", "taro@example.jp",
	    crt, nokey, NULL, NULL, 0, NULL, NULL, &err), SMIME_BADKEY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err),
	    "No such file or directory"));
	ck_assert_int_eq(smime_idstore_add_files(store, "o", "taro@example.jp",
	    nokey, nokey, NULL, NULL, 0, NULL, NULL, &err), SMIME_SYNTAX);
	snprintf(want, sizeof(want), "o: %s: ", nokey);
	ck_assert_msg(strncmp(smime_err_get0(&err), want, strlen(want)) == 0,
	    "%s", smime_err_get0(&err));
	ck_assert_int_eq(add_pki(store, "taro@example.jp", "taro.crt",
	    "taro.key", NULL, &w, &err), SMIME_OK);
	smime_idstore_free(store);
	store = smime_idstore_new();
	free(key);
	key = pki_file("taro.key");
	ck_assert_int_eq(smime_idstore_add_files(store, "o", "taro@example.jp",
	    crt, key, chain, NULL, 0, NULL, NULL, &err), SMIME_OK);
	ck_assert_int_eq(sk_X509_num(smime_idstore_get0(store, 0)->id_chain),
	    2);
	/* a certificate is not a chain of zero: the key file has none */
	ck_assert_int_eq(smime_idstore_add_files(store, "o", "hanako@example.jp",
	    crt, key, key, NULL, 0, NULL, NULL, &err), SMIME_SYNTAX);
	smime_idstore_free(store);
	free(cmd);
	free(chain);
	free(key);
	free(nokey);
	free(crt);
	unit_rmtmpdir(dir);
}
END_TEST

/* Lay out one store entry STORE/NAME from PKI leaf LEAF. */
static void
store_entry(const char *store, const char *name, const char *leaf)
{
	char *sub, src[64];

	ck_assert_int_ne(asprintf(&sub, "%s/%s", store, name), -1);
	snprintf(src, sizeof(src), "%s.crt", leaf);
	free(copy_pki(src, sub, "cert.pem", 0644));
	snprintf(src, sizeof(src), "%s.key", leaf);
	free(copy_pki(src, sub, "key.pem", 0600));
	free(sub);
}

START_TEST(store_layout)
{
	struct smime_idstore *store = smime_idstore_new();
	const struct smime_identity *id;
	struct warnings w = { 0, "" };
	struct smime_err err;
	char *dir = unit_tmpdir(), *pending, *missing;

	store_entry(dir, "taro@example.jp", "taro");
	free(copy_pki("chain.pem", dir, "taro@example.jp/chain.pem", 0644));
	free(copy_pki("saburo.crt", dir, "taro@example.jp/cert.pem.prev",
	    0644));
	write_text(dir, "taro@example.jp/senders",
	    "# campaign staff\n  taro \n\ntaro-staff\r\n");
	store_entry(dir, "revoked@example.jp", "revoked");
	write_text(dir, "revoked@example.jp/revoked", "");
	store_entry(dir, "hanako", "hanako");	/* address from the cert */
	pending = copy_pki("jiro384.key", dir, "jiro@example.jp/key.pem", 0600);
	store_entry(dir, ".new-saburo", "saburo");	/* being written */
	write_text(dir, "README", "identities\n");

	ck_assert_int_eq(smime_idstore_add_dir(store, dir, collect_warning, &w,
	    &err), SMIME_OK);
	ck_assert_uint_eq(smime_idstore_count(store), 3);
	id = smime_idstore_find(store, "taro@example.jp");
	ck_assert_ptr_nonnull(id);
	ck_assert_uint_eq(id->id_nsenders, 2);
	ck_assert_str_eq(id->id_senders[0], "taro");
	ck_assert_str_eq(id->id_senders[1], "taro-staff");
	ck_assert_int_eq(sk_X509_num(id->id_chain), 1);
	ck_assert(!id->id_revoked);
	ck_assert_ptr_nonnull(strstr(id->id_origin, "/taro@example.jp"));
	id = smime_idstore_find(store, "revoked@example.jp");
	ck_assert(id != NULL && id->id_revoked);
	ck_assert_uint_eq(id->id_nsenders, 0);
	id = smime_idstore_find(store, "hanako@example.jp");
	ck_assert_ptr_nonnull(id);
	ck_assert_ptr_null(smime_idstore_find(store, "saburo@example.jp"));
	ck_assert_int_eq(w.w_count, 1);
	ck_assert_msg(strstr(w.w_all, "/jiro@example.jp: no cert.pem "
	    "(enrollment pending?); skipped") != NULL, "%s", w.w_all);
	smime_idstore_free(store);

	/* a directory named for another address than its certificate */
	store = smime_idstore_new();
	store_entry(dir, "saburo@example.jp", "taro");
	ck_assert_int_eq(smime_idstore_add_dir(store, dir, NULL, NULL, &err),
	    SMIME_POLICY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "carries a "
	    "different address than the directory name"));
	smime_idstore_free(store);

	/* no store directory at all is fine */
	store = smime_idstore_new();
	ck_assert_int_eq(asprintf(&missing, "%s/none", dir) > 0, 1);
	ck_assert_int_eq(smime_idstore_add_dir(store, missing, NULL, NULL,
	    &err), SMIME_OK);
	ck_assert_uint_eq(smime_idstore_count(store), 0);
	smime_idstore_free(store);
	free(missing);
	free(pending);
	unit_rmtmpdir(dir);
}
END_TEST

/* A world-readable key inside the store stops the load. */
START_TEST(store_key_mode)
{
	struct smime_idstore *store = smime_idstore_new();
	struct smime_err err;
	char *dir = unit_tmpdir(), *key;

	store_entry(dir, "taro@example.jp", "taro");
	ck_assert_int_ne(asprintf(&key, "%s/taro@example.jp/key.pem", dir), -1);
	ck_assert_int_eq(chmod(key, 0644), 0);
	ck_assert_int_eq(smime_idstore_add_dir(store, dir, NULL, NULL, &err),
	    SMIME_BADKEY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "chmod 600"));
	smime_idstore_free(store);
	free(key);
	unit_rmtmpdir(dir);
}
END_TEST

/*
 * Nothing in the store is followed: a symlinked entry or senders file and
 * a hard-linked file stop the load with a message naming them (issue 12).
 */
START_TEST(store_links_refused)
{
	struct smime_idstore *store;
	struct smime_err err;
	char *dir = unit_tmpdir(), *a, *b;

	store_entry(dir, "taro@example.jp", "taro");
	ck_assert_int_ne(asprintf(&a, "%s/taro@example.jp", dir), -1);
	ck_assert_int_ne(asprintf(&b, "%s/hanako@example.jp", dir), -1);
	ck_assert_int_eq(symlink(a, b), 0);
	store = smime_idstore_new();
	ck_assert_int_eq(smime_idstore_add_dir(store, dir, NULL, NULL, &err),
	    SMIME_POLICY);
	ck_assert_msg(strstr(smime_err_get0(&err), "hanako@example.jp is a "
	    "symbolic link") != NULL, "%s", smime_err_get0(&err));
	smime_idstore_free(store);
	ck_assert_int_eq(unlink(b), 0);
	free(a);
	free(b);

	ck_assert_int_ne(asprintf(&a, "%s/taro@example.jp/senders", dir), -1);
	ck_assert_int_eq(symlink("/etc/passwd", a), 0);
	store = smime_idstore_new();
	ck_assert_int_eq(smime_idstore_add_dir(store, dir, NULL, NULL, &err),
	    SMIME_POLICY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "senders is a "
	    "symbolic link"));
	smime_idstore_free(store);
	ck_assert_int_eq(unlink(a), 0);

	write_text(dir, "outside", "taro\n");
	ck_assert_int_ne(asprintf(&b, "%s/outside", dir), -1);
	ck_assert_int_eq(link(b, a), 0);
	store = smime_idstore_new();
	ck_assert_int_eq(smime_idstore_add_dir(store, dir, NULL, NULL, &err),
	    SMIME_POLICY);
	ck_assert_ptr_nonnull(strstr(smime_err_get0(&err), "hard links"));
	smime_idstore_free(store);
	free(a);
	free(b);
	unit_rmtmpdir(dir);
}
END_TEST

/* Write dir/c.conf from text after replacing "/PKI" with the PKI dir. */
static char *
write_conf(const char *dir, const char *text)
{
	char *path, *out = malloc(strlen(text) * 8 + 8192);
	const char *p = text, *hit;
	size_t len = 0;
	FILE *fp;

	ck_assert_ptr_nonnull(out);
	while ((hit = strstr(p, "/PKI")) != NULL) {
		memcpy(out + len, p, (size_t)(hit - p));
		len += (size_t)(hit - p);
		len += (size_t)sprintf(out + len, "%s", pki);
		p = hit + 4;
	}
	strcpy(out + len, p);
	ck_assert_int_ne(asprintf(&path, "%s/c.conf", dir), -1);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(out, fp);
	ck_assert_int_eq(fclose(fp), 0);
	free(out);
	return path;
}

/* Configured identities win over the store; sign.crl marks revocations. */
START_TEST(conf_identities)
{
	struct smime_idstore *store = NULL;
	const struct smime_identity *id;
	struct smime_conf *conf;
	struct warnings w = { 0, "" };
	char *dir = unit_tmpdir(), *path, err[2048], want[4096];

	free(copy_pki("taro.key", dir, "keys/taro.key", 0600));
	store_entry(dir, "store/taro@example.jp", "taro");
	store_entry(dir, "store/hanako@example.jp", "hanako");
	store_entry(dir, "store/revoked@example.jp", "revoked");
	path = write_conf(dir, "socket = \"inet:8895@127.0.0.1\";\n"
	    "mode = \"s\";\nsign = {\n store = \"store\";\n"
	    " crl = \"/PKI/crl.pem\";\n identities = (\n"
	    "  { address = \"taro@example.jp\"; cert = \"/PKI/taro.crt\";\n"
	    "    key = \"keys/taro.key\"; chain = \"/PKI/chain.pem\";\n"
	    "    senders = [ \"taro\" ]; }\n );\n};\n");
	conf = conf_load(path, err, sizeof(err), NULL, NULL);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_int_eq(conf_load_identities(conf, &store, collect_warning, &w,
	    err, sizeof(err)), SMIME_OK);
	ck_assert_uint_eq(smime_idstore_count(store), 3);
	id = smime_idstore_find(store, "taro@example.jp");
	snprintf(want, sizeof(want), "%s:7: sign.identities[0]", path);
	ck_assert_str_eq(id->id_origin, want);
	ck_assert_uint_eq(id->id_nsenders, 1);
	ck_assert(!id->id_revoked);
	ck_assert(!smime_idstore_find(store, "hanako@example.jp")->id_revoked);
	ck_assert(smime_idstore_find(store, "revoked@example.jp")->id_revoked);
	ck_assert_int_eq(w.w_count, 2);
	ck_assert_msg(strstr(w.w_all, "/store/taro@example.jp: taro@example.jp "
	    "is already configured at ") != NULL, "%s", w.w_all);
	ck_assert_msg(strstr(w.w_all, "certificate of revoked@example.jp is "
	    "revoked by ") != NULL, "%s", w.w_all);
	smime_idstore_free(store);

	/* an unsafe key is reported with the entry's file and line */
	free(copy_pki("taro.key", dir, "keys/taro.key", 0644));
	ck_assert_int_eq(conf_load_identities(conf, &store, NULL, NULL, err,
	    sizeof(err)), SMIME_BADKEY);
	ck_assert_ptr_null(store);
	snprintf(want, sizeof(want), "%s:7: sign.identities[0]: "
	    "%s/keys/taro.key has mode 0644", path, dir);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	conf_free(conf);
	free(path);
	unit_rmtmpdir(dir);
}
END_TEST

/*
 * The credential loader on its own: a key reached through a relative
 * path or a link we own loads; the mode checked is the target's; a key
 * in a directory others may write, or of a foreign owner, is refused
 * (strict_modes); a "pkcs11:" reference has its own dispatch and its
 * PIN never shows in a message.
 */
START_TEST(credential_key_paths)
{
	static const struct smime_fs_policy strict = { .fp_strict = true };
	static const struct smime_fs_policy lax = { .fp_strict = false };
	struct smime_err err;
	char *dir = unit_tmpdir(), *key, *link, *sub, cwd[4096];
	EVP_PKEY *pkey = NULL;

	key = copy_pki("taro.key", dir, "taro.key", 0600);
	ck_assert_int_eq(smime_credential_load_key(key, NULL, &strict, &pkey,
	    &err), SMIME_OK);
	EVP_PKEY_free(pkey);
	/* relative to the working directory */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(smime_credential_load_key("taro.key", NULL, &strict,
	    &pkey, &err), SMIME_OK);
	EVP_PKEY_free(pkey);
	ck_assert_int_eq(chdir(cwd), 0);
	/* through a link of ours: followed, the target's mode counts */
	ck_assert_int_ne(asprintf(&link, "%s/link.key", dir), -1);
	ck_assert_int_eq(symlink(key, link), 0);
	ck_assert_int_eq(smime_credential_load_key(link, NULL, &strict, &pkey,
	    &err), SMIME_OK);
	EVP_PKEY_free(pkey);
	ck_assert_int_eq(chmod(key, 0644), 0);
	ck_assert_int_eq(smime_credential_load_key(link, NULL, &lax, &pkey,
	    &err), SMIME_BADKEY);
	ck_assert_ptr_null(pkey);
	ck_assert_msg(strstr(smime_err_get0(&err), "has mode 0644 and may be "
	    "read by others") != NULL, "%s", smime_err_get0(&err));
	ck_assert_int_eq(chmod(key, 0600), 0);
	/* a directory others may write: anybody could swap the key */
	ck_assert_int_ne(asprintf(&sub, "%s/open", dir), -1);
	free(copy_pki("taro.key", dir, "open/taro.key", 0600));
	ck_assert_int_eq(chmod(sub, 0777), 0);
	free(sub);
	ck_assert_int_ne(asprintf(&sub, "%s/open/taro.key", dir), -1);
	ck_assert_int_eq(smime_credential_load_key(sub, NULL, &strict, &pkey,
	    &err), SMIME_POLICY);
	ck_assert_msg(strstr(smime_err_get0(&err), "writable by group or "
	    "others") != NULL, "%s", smime_err_get0(&err));
	ck_assert_int_eq(smime_credential_load_key(sub, NULL, &lax, &pkey,
	    &err), SMIME_OK);
	EVP_PKEY_free(pkey);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(key, 4242, (gid_t)-1), 0);
		ck_assert_int_eq(smime_credential_load_key(key, NULL, &strict,
		    &pkey, &err), SMIME_POLICY);
		ck_assert_msg(strstr(smime_err_get0(&err), "owned by uid "
		    "4242") != NULL, "%s", smime_err_get0(&err));
	}
	/* a token key goes to smime/pkcs11.c; no PIN in the message */
	ck_assert_int_ne(smime_credential_load_key("pkcs11:token=t;object=k?"
	    "pin-value=1234", NULL, &strict, &pkey, &err), SMIME_OK);
	ck_assert_ptr_null(pkey);
	ck_assert_ptr_null(strstr(smime_err_get0(&err), "1234"));
	free(sub);
	free(link);
	free(key);
	unit_rmtmpdir(dir);
}
END_TEST

/*
 * Parsing: an encrypted key is read with the right password only, never
 * by asking; a PEM file yields its certificates in order.
 */
START_TEST(credential_parse)
{
	struct smime_err err;
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *pkey = NULL;
	char *dir = unit_tmpdir(), *cmd, *path, *buf = NULL;
	size_t len = 0;

	ck_assert_int_ne(asprintf(&path, "%s/enc.pem", dir), -1);
	ck_assert_int_ne(asprintf(&cmd, "'%s' pkey -in '%s/taro.key' -aes256 "
	    "-passout pass:secret -out '%s' && cat '%s/taro.crt' "
	    "'%s/chain.pem' >> '%s'", openssl_bin, pki, path, pki, pki, path),
	    -1);
	run(cmd);
	ck_assert_int_eq(smime_credential_read(NULL, path, false, &buf, &len,
	    &err), SMIME_OK);
	ck_assert_int_eq(smime_credential_parse(path, buf, len, NULL, "--pass",
	    &pkey, &certs, &err), SMIME_BADKEY);
	ck_assert_ptr_null(pkey);
	ck_assert_ptr_null(certs);
	ck_assert_msg(strstr(smime_err_get0(&err), "encrypted keys need the "
	    "right --pass") != NULL, "%s", smime_err_get0(&err));
	ck_assert_int_eq(smime_credential_parse(path, buf, len, "wrong",
	    "--pass", &pkey, &certs, &err), SMIME_BADKEY);
	ck_assert_int_eq(smime_credential_parse(path, buf, len, "secret",
	    "--pass", &pkey, &certs, &err), SMIME_OK);
	ck_assert_ptr_nonnull(pkey);
	ck_assert_int_ge(sk_X509_num(certs), 2);
	ck_assert(smime_cert_has_address(sk_X509_value(certs, 0),
	    "taro@example.jp"));
	/* certificates only: the key is not even looked at */
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(pkey);
	ck_assert_int_eq(smime_credential_parse(path, buf, len, NULL, NULL,
	    NULL, &certs, &err), SMIME_OK);
	ck_assert_int_ge(sk_X509_num(certs), 2);
	sk_X509_pop_free(certs, X509_free);
	smime_credential_buf_free(buf, len);
	free(cmd);
	free(path);
	unit_rmtmpdir(dir);
}
END_TEST

/* A copy of the shared test PKI (test/pki/shared.sh), plus soon.crt. */
static void
make_pki(void)
{
	const char *src = getenv("top_srcdir"), *build = getenv("top_builddir");
	char cmd[16384];

	if (getenv("OPENSSL") != NULL && getenv("OPENSSL")[0] != '\0')
		openssl_bin = getenv("OPENSSL");
	snprintf(pki, sizeof(pki), "%s/test/unit/test_identity-pki",
	    build != NULL ? build : ".");
	snprintf(cmd, sizeof(cmd), "sh '%s/test/pki/shared.sh' pki '%s' && "
	    "cd '%s' && { test -f soon.crt || { '%s' req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout soon.key "
	    "-out soon.crt -days 10 -subj /CN=soon "
	    "-addext subjectAltName=email:soon@example.jp "
	    "-addext keyUsage=digitalSignature "
	    "-addext extendedKeyUsage=emailProtection 2>/dev/null && "
	    "chmod 600 soon.key; }; }", src != NULL ? src : ".", pki, pki,
	    openssl_bin);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot build the test PKI: %s\n", cmd);
		exit(EXIT_FAILURE);
	}
}

Suite *
unit_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("identity");

	make_pki();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rsa_identity);
	tcase_add_test(tc, ec_identities);
	tcase_add_test(tc, key_mode_refused);
	tcase_add_test(tc, key_cert_mismatch);
	tcase_add_test(tc, cert_without_address);
	tcase_add_test(tc, noeku_refused);
	tcase_add_test(tc, validity_warnings);
	tcase_add_test(tc, chain_and_bad_files);
	tcase_add_test(tc, store_layout);
	tcase_add_test(tc, store_key_mode);
	tcase_add_test(tc, store_links_refused);
	tcase_add_test(tc, conf_identities);
	tcase_add_test(tc, credential_key_paths);
	tcase_add_test(tc, credential_parse);
	suite_add_tcase(s, tc);
	return s;
}
