/*
 * pkcs11.c - the token side of PKCS#11 keys: RFC 7512 URIs (parsed by
 * p11-kit), modules found through p11-kit, PINs, sessions, recovery.
 *
 * One lock (p11_lock) serialises every call into a module: libmilter runs
 * callbacks in many threads and a PKCS#11 session must not be used by two
 * at once; a signature on a token is fast next to the mail around it.
 * Each key keeps one session and its object handle.  When an operation
 * fails because the session, the object or the device went away, the
 * session is dropped (and the module re-initialised when the device is
 * gone or the token cannot be found), and the operation is tried once
 * more; if that fails too the caller temp-fails the message and the next
 * one tries again, so the daemon recovers when the token returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "smime/pkcs11.h"
#include "smime/pkcs11-int.h"
#include "smime/safefs.h"

/* A set of modules: one by path, one by p11-kit name, or all of them. */
struct p11_modset {
	char			 *ms_name;	/* "path:..", "name:..", "all" */
	CK_FUNCTION_LIST	**ms_mods;	/* NULL-terminated */
	bool			  ms_init;	/* C_Initialize done */
	pid_t			  ms_pid;	/* process that initialised */
	unsigned		  ms_gen;	/* bumped on re-initialisation */
	bool			  ms_stale;	/* re-initialise before next use */
	time_t			  ms_reinit;	/* last re-initialisation */
	struct p11_modset	 *ms_next;
};

struct p11_key {
	int			  k_refs;
	enum p11_class		  k_class;
	P11KitUri		 *k_uri;
	char			 *k_text;	/* the URI as given */
	char			 *k_display;	/* URI without query */
	char			 *k_pinfile;	/* NULL: environment */
	char			 *k_modpath;
	char			 *k_modname;
	struct p11_pub		  k_expect;	/* from the certificate */
	/* Below: under p11_lock. */
	struct p11_modset	 *k_set;
	CK_FUNCTION_LIST	 *k_mod;
	CK_SESSION_HANDLE	  k_sess;
	CK_OBJECT_HANDLE	  k_obj;
	bool			  k_open;
	unsigned		  k_gen;
};

/* A PIN the token refused: not offered again until it changes. */
struct p11_badpin {
	unsigned char	bp_token[32 + 16];	/* label + serial */
	unsigned char	bp_hash[32];
	bool		bp_used;
};

static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_modset *p11_sets;
static struct p11_badpin p11_badpins[16];
static unsigned char p11_salt[32];	/* for the refused PINs' hashes */
static bool p11_salted;

#define P11_MAXPIN	256

static const struct {
	CK_RV		 rv;
	const char	*name;
} p11_rvnames[] = {
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
	{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
	{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
	{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
	{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE" },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
	{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED" },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
	{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
	{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
	{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
	{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
	{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
	{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
	{ CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE" },
	{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
	{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
};

/* Static name of rv ("CKR_PIN_INCORRECT"), or NULL. */
static const char *
p11_rvname(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(p11_rvnames) / sizeof(p11_rvnames[0]); i++)
		if (p11_rvnames[i].rv == rv)
			return p11_rvnames[i].name;
	return NULL;
}

/* err = "pkcs11 key URI: WHAT: CKR_NAME (text)". */
static void
p11_err_rv(struct smime_err *err, const struct p11_key *k, const char *what,
    CK_RV rv)
{
	const char *name = p11_rvname(rv);
	char num[32];

	if (name == NULL) {
		snprintf(num, sizeof(num), "CKR 0x%lx", (unsigned long)rv);
		name = num;
	}
	smime_err_set(err, "PKCS#11 %s %s: %s: %s (%s)", k->k_class ==
	    P11_CERTIFICATE ? "certificate" : "key", k->k_display, what, name,
	    p11_kit_strerror(rv));
}

/* True when rv means the session or object is gone: reopen, retry. */
static bool
p11_rv_lost(CK_RV rv)
{
	switch (rv) {
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_USER_NOT_LOGGED_IN:
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
	case CKR_SLOT_ID_INVALID:
		return true;
	default:
		return false;
	}
}

/* True when rv means the device itself went away: re-initialise. */
static bool
p11_rv_device(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_DEVICE_ERROR ||
	    rv == CKR_GENERAL_ERROR || rv == CKR_CRYPTOKI_NOT_INITIALIZED ||
	    rv == CKR_SLOT_ID_INVALID || rv == CKR_TOKEN_NOT_PRESENT ||
	    rv == CKR_TOKEN_NOT_RECOGNIZED;
}

bool
smime_p11_is_uri(const char *s)
{
	return s != NULL && strncasecmp(s, "pkcs11:", 7) == 0;
}

void
smime_p11_uri_display(const char *uri, char *buf, size_t buflen)
{
	size_t n = strcspn(uri, "?");

	if (buflen == 0)
		return;
	if (n >= buflen)
		n = buflen - 1;
	memcpy(buf, uri, n);
	buf[n] = '\0';
}

/* Value of path attribute CKA_CLASS in uri, or (CK_ULONG)-1. */
static CK_ULONG
p11_uri_class(P11KitUri *uri)
{
	CK_ATTRIBUTE *a = p11_kit_uri_get_attribute(uri, CKA_CLASS);
	CK_ULONG v;

	if (a == NULL || a->ulValueLen != sizeof(v))
		return (CK_ULONG)-1;
	memcpy(&v, a->pValue, sizeof(v));
	return v;
}

/*
 * Parse uri: syntax, no PIN in the text, pin-source a file, type
 * matching cls.  *out is a new P11KitUri; *pinfile a new string or NULL.
 */
static smime_status
p11_parse(const char *text, enum p11_class cls, P11KitUri **out,
    char **pinfile, struct smime_err *err)
{
	P11KitUri *uri = NULL;
	const unsigned char *c;
	const char *src;
	CK_ULONG want = cls == P11_CERTIFICATE ? CKO_CERTIFICATE :
	    CKO_PRIVATE_KEY, have;
	char disp[256];
	smime_status ret = SMIME_SYNTAX;
	int rc;

	*out = NULL;
	*pinfile = NULL;
	smime_p11_uri_display(text, disp, sizeof(disp));
	if (!smime_p11_is_uri(text)) {
		smime_err_set(err, "\"%s\" is not a pkcs11: URI", disp);
		goto out;
	}
	/* RFC 3986: printable ASCII only, the rest percent-encoded. */
	for (c = (const unsigned char *)text; *c != '\0'; c++)
		if (*c <= 0x20 || *c >= 0x7f) {
			smime_err_set(err, "PKCS#11 URI: byte 0x%02x at offset "
			    "%zu; percent-encode it (RFC 7512)", *c,
			    (size_t)(c - (const unsigned char *)text));
			goto out;
		}
	if ((uri = p11_kit_uri_new()) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "out of memory");
		goto out;
	}
	if ((rc = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri)) !=
	    P11_KIT_URI_OK) {
		smime_err_set(err, "PKCS#11 URI %s: %s (RFC 7512)", disp,
		    p11_kit_uri_message(rc));
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(uri)) {
		smime_err_set(err, "PKCS#11 URI %s: unknown attribute "
		    "(RFC 7512 knows token, manufacturer, serial, model, "
		    "library-*, slot-*, object, id, type)", disp);
		goto out;
	}
	if (p11_kit_uri_get_pin_value(uri) != NULL) {
		smime_err_set(err, "PKCS#11 URI %s: pin-value puts the PIN "
		    "in the configuration; use pin-source=file:PATH or the "
		    "environment variable %s", disp, SMIME_PKCS11_PIN_ENV);
		goto out;
	}
	if ((src = p11_kit_uri_get_pin_source(uri)) != NULL) {
		if (strncmp(src, "file:", 5) == 0) {
			src += 5;
			if (strncmp(src, "//", 2) == 0)
				src += 2;	/* file:///path */
		}
		if (*src != '/') {
			smime_err_set(err, "PKCS#11 URI %s: pin-source must be "
			    "file:/ABSOLUTE/PATH", disp);
			goto out;
		}
		if ((*pinfile = strdup(src)) == NULL) {
			ret = SMIME_NORESOURCE;
			smime_err_set(err, "out of memory");
			goto out;
		}
	}
	if ((have = p11_uri_class(uri)) != (CK_ULONG)-1 && have != want) {
		smime_err_set(err, "PKCS#11 URI %s: type must be %s here",
		    disp, cls == P11_CERTIFICATE ? "cert" : "private");
		goto out;
	}
	if (p11_kit_uri_get_attribute(uri, CKA_LABEL) == NULL &&
	    p11_kit_uri_get_attribute(uri, CKA_ID) == NULL) {
		smime_err_set(err, "PKCS#11 URI %s: name the object "
		    "(object=LABEL or id=%%HEX)", disp);
		goto out;
	}
	*out = uri;
	uri = NULL;
	ret = SMIME_OK;
out:
	if (ret != SMIME_OK) {
		free(*pinfile);
		*pinfile = NULL;
	}
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return ret;
}

smime_status
smime_p11_check_uri(const char *uri, const char *want, struct smime_err *err)
{
	P11KitUri *u = NULL;
	char *pinfile = NULL;
	smime_status ret;

	ret = p11_parse(uri, want != NULL && strcmp(want, "cert") == 0 ?
	    P11_CERTIFICATE : P11_PRIVATE_KEY, &u, &pinfile, err);
	if (u != NULL)
		p11_kit_uri_free(u);
	free(pinfile);
	return ret;
}

smime_status
p11_key_new(const char *uri, enum p11_class cls, struct p11_key **out,
    struct smime_err *err)
{
	struct p11_key *k = NULL;
	const char *s;
	smime_status ret = SMIME_NORESOURCE;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		smime_err_set(err, "out of memory");
		goto out;
	}
	k->k_refs = 1;
	k->k_class = cls;
	if ((ret = p11_parse(uri, cls, &k->k_uri, &k->k_pinfile, err)) !=
	    SMIME_OK)
		goto out;
	ret = SMIME_NORESOURCE;
	if ((k->k_display = strndup(uri, strcspn(uri, "?"))) == NULL ||
	    (k->k_text = strdup(uri)) == NULL)
		goto oom;
	if ((s = p11_kit_uri_get_module_path(k->k_uri)) != NULL &&
	    (k->k_modpath = strdup(s)) == NULL)
		goto oom;
	if ((s = p11_kit_uri_get_module_name(k->k_uri)) != NULL &&
	    (k->k_modname = strdup(s)) == NULL)
		goto oom;
	*out = k;
	k = NULL;
	ret = SMIME_OK;
	goto out;
oom:
	smime_err_set(err, "out of memory");
out:
	p11_key_unref(k);
	return ret;
}

void
p11_key_ref(struct p11_key *k)
{
	pthread_mutex_lock(&p11_lock);
	k->k_refs++;
	pthread_mutex_unlock(&p11_lock);
}

void
p11_pub_clear(struct p11_pub *pub)
{
	free(pub->pp_a);
	free(pub->pp_b);
	memset(pub, 0, sizeof(*pub));
}

/* Close k's session, if any (under p11_lock). */
static void
p11_close(struct p11_key *k)
{
	if (k->k_open && k->k_set != NULL && k->k_set->ms_init &&
	    k->k_set->ms_pid == getpid() && k->k_gen == k->k_set->ms_gen)
		(void)k->k_mod->C_CloseSession(k->k_sess);
	k->k_open = false;
	k->k_mod = NULL;
}

void
p11_key_unref(struct p11_key *k)
{
	bool last;

	if (k == NULL)
		return;
	pthread_mutex_lock(&p11_lock);
	last = --k->k_refs == 0;
	if (last)
		p11_close(k);
	pthread_mutex_unlock(&p11_lock);
	if (!last)
		return;
	if (k->k_uri != NULL)
		p11_kit_uri_free(k->k_uri);
	free(k->k_display);
	free(k->k_text);
	free(k->k_pinfile);
	free(k->k_modpath);
	free(k->k_modname);
	p11_pub_clear(&k->k_expect);
	free(k);
}

const char *
p11_key_display(const struct p11_key *k)
{
	return k->k_display;
}

const char *
p11_key_text(const struct p11_key *k)
{
	return k->k_text;
}

smime_status
p11_key_expect(struct p11_key *k, const struct p11_pub *pub)
{
	p11_pub_clear(&k->k_expect);
	k->k_expect.pp_type = pub->pp_type;
	if ((k->k_expect.pp_a = OPENSSL_memdup(pub->pp_a, pub->pp_alen)) ==
	    NULL && pub->pp_alen > 0)
		return SMIME_NORESOURCE;
	k->k_expect.pp_alen = pub->pp_alen;
	if ((k->k_expect.pp_b = OPENSSL_memdup(pub->pp_b, pub->pp_blen)) ==
	    NULL && pub->pp_blen > 0)
		return SMIME_NORESOURCE;
	k->k_expect.pp_blen = pub->pp_blen;
	return SMIME_OK;
}

/* Paths root follows for a token: every directory and link root's or ours. */
static const struct smime_fs_policy p11_strict = { .fp_strict = true };

/*
 * True when path may be loaded as module-path: an absolute path to a
 * regular file owned by root (or us) that nobody else may write, reached
 * through directories and links only root (or we) control.  The module
 * runs inside the daemon; a URI in a store file must not be able to name
 * a library someone else planted, or one whose directory someone else
 * may write (the file would be swapped between this check and dlopen()).
 */
static bool
p11_module_safe(const char *path, struct smime_err *err)
{
	struct smime_err why;
	struct stat st;

	if (path[0] == '/' && stat(path, &st) != 0) {
		smime_err_set(err, "PKCS#11 module-path %s: %s", path,
		    strerror(errno));
		return false;
	}
	if (path[0] != '/' || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0) {
		smime_err_set(err, "PKCS#11 module-path %s: not an absolute "
		    "path to a file owned by root that only root may write",
		    path);
		return false;
	}
	smime_err_clear(&why);
	if (smime_fs_check_path(&p11_strict, path, false, NULL, &why) !=
	    SMIME_OK) {
		smime_err_set(err, "PKCS#11 module-path: %s",
		    smime_err_get0(&why));
		return false;
	}
	return true;
}

/* True when sets a and b hold a module of the same file. */
static bool
p11_modset_shares(const struct p11_modset *a, const struct p11_modset *b)
{
	char *fa, *fb;
	bool same = false;
	size_t i, j;

	for (i = 0; !same && a->ms_mods[i] != NULL; i++) {
		if ((fa = p11_kit_module_get_filename(a->ms_mods[i])) == NULL)
			continue;
		for (j = 0; !same && b->ms_mods[j] != NULL; j++) {
			fb = p11_kit_module_get_filename(b->ms_mods[j]);
			same = fb != NULL && strcmp(fa, fb) == 0;
			free(fb);
		}
		free(fa);
	}
	return same;
}

/*
 * The module set k names (under p11_lock), loaded and initialised;
 * re-initialised when stale (at most once a second) or after fork.
 */
static smime_status
p11_modset_get(struct p11_key *k, struct p11_modset **out,
    struct smime_err *err)
{
	struct p11_modset *ms, *other;
	CK_FUNCTION_LIST **all = NULL, *one;
	char name[1100];
	time_t now = time(NULL);
	size_t i, n;

	*out = NULL;
	if (k->k_modpath != NULL)
		snprintf(name, sizeof(name), "path:%s", k->k_modpath);
	else if (k->k_modname != NULL)
		snprintf(name, sizeof(name), "name:%s", k->k_modname);
	else
		snprintf(name, sizeof(name), "all");
	for (ms = p11_sets; ms != NULL; ms = ms->ms_next)
		if (strcmp(ms->ms_name, name) == 0)
			break;
	if (ms == NULL) {
		if ((ms = calloc(1, sizeof(*ms))) == NULL ||
		    (ms->ms_name = strdup(name)) == NULL) {
			free(ms);
			smime_err_set(err, "out of memory");
			return SMIME_NORESOURCE;
		}
		if (k->k_modpath != NULL) {
			if (!p11_module_safe(k->k_modpath, err)) {
				free(ms->ms_name);
				free(ms);
				return SMIME_TEMPFAIL;
			}
			one = p11_kit_module_load(k->k_modpath, 0);
			if (one != NULL &&
			    (ms->ms_mods = calloc(2, sizeof(*ms->ms_mods))) !=
			    NULL)
				ms->ms_mods[0] = one;
			else if (one != NULL)
				p11_kit_module_release(one);
		} else if ((all = p11_kit_modules_load(NULL, 0)) != NULL) {
			for (n = 0; all[n] != NULL; n++)
				;
			ms->ms_mods = calloc(n + 1, sizeof(*ms->ms_mods));
			for (i = 0, n = 0; ms->ms_mods != NULL &&
			    all[i] != NULL; i++) {
				char *mn = p11_kit_module_get_name(all[i]);

				if (k->k_modname == NULL || (mn != NULL &&
				    strcmp(mn, k->k_modname) == 0))
					ms->ms_mods[n++] = all[i];
				else
					p11_kit_module_release(all[i]);
				free(mn);
			}
			free(all);
		}
		if (ms->ms_mods == NULL || ms->ms_mods[0] == NULL) {
			smime_err_set(err, "PKCS#11 key %s: module %s cannot "
			    "be loaded%s", k->k_display, k->k_modpath != NULL ?
			    k->k_modpath : k->k_modname != NULL ?
			    k->k_modname : "(none configured for p11-kit)",
			    k->k_modpath != NULL ? "" : " (p11-kit module "
			    "configuration, pkcs11.conf(5))");
			free(ms->ms_mods);
			free(ms->ms_name);
			free(ms);
			return SMIME_TEMPFAIL;
		}
		ms->ms_next = p11_sets;
		p11_sets = ms;
	}
	if (ms->ms_init && ms->ms_pid != getpid()) {
		ms->ms_init = false;	/* forked: the parent's state */
		ms->ms_gen++;
	}
	if (ms->ms_init && ms->ms_stale && now != ms->ms_reinit) {
		/*
		 * p11-kit shares one instance of a module among every set
		 * that loads it (by path and by configuration): only when
		 * all of them finalise does the module really restart.
		 * Sets of other modules are left alone.
		 */
		for (other = p11_sets; other != NULL; other = other->ms_next) {
			if (!other->ms_init || other->ms_pid != getpid() ||
			    (other != ms && !p11_modset_shares(ms, other)))
				continue;
			for (i = 0; other->ms_mods[i] != NULL; i++)
				(void)p11_kit_module_finalize(
				    other->ms_mods[i]);
			other->ms_init = false;
			other->ms_gen++;
		}
	}
	if (!ms->ms_init) {
		for (i = 0; ms->ms_mods[i] != NULL; i++)
			(void)p11_kit_module_initialize(ms->ms_mods[i]);
		ms->ms_init = true;
		ms->ms_stale = false;
		ms->ms_reinit = now;
		ms->ms_pid = getpid();
	}
	*out = ms;
	return SMIME_OK;
}

/* Find the first slot whose token matches k's URI. */
static CK_RV
p11_find_token(struct p11_key *k, struct p11_modset *ms,
    CK_FUNCTION_LIST **mod, CK_SLOT_ID *slot, CK_TOKEN_INFO *ti)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG nslots, i;
	CK_SLOT_INFO si;
	CK_INFO info;
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(k->k_uri);
	size_t m;

	for (m = 0; ms->ms_mods[m] != NULL; m++) {
		CK_FUNCTION_LIST *f = ms->ms_mods[m];

		if (f->C_GetInfo(&info) != CKR_OK ||
		    !p11_kit_uri_match_module_info(k->k_uri, &info))
			continue;
		free(slots);
		slots = NULL;
		if (f->C_GetSlotList(CK_TRUE, NULL, &nslots) != CKR_OK ||
		    nslots == 0 || nslots > 4096 ||
		    (slots = calloc(nslots, sizeof(*slots))) == NULL ||
		    f->C_GetSlotList(CK_TRUE, slots, &nslots) != CKR_OK)
			continue;
		for (i = 0; i < nslots; i++) {
			if (want != (CK_SLOT_ID)-1 && slots[i] != want)
				continue;
			if (f->C_GetSlotInfo(slots[i], &si) != CKR_OK ||
			    !p11_kit_uri_match_slot_info(k->k_uri, &si))
				continue;
			if (f->C_GetTokenInfo(slots[i], ti) != CKR_OK ||
			    !p11_kit_uri_match_token_info(k->k_uri, ti))
				continue;
			*mod = f;
			*slot = slots[i];
			free(slots);
			return CKR_OK;
		}
	}
	free(slots);
	return CKR_TOKEN_NOT_PRESENT;
}

/*
 * Read the PIN into pin (NUL-terminated, wiped by the caller): the
 * pin-source file (regular, owned by us or root, no group/other access,
 * reached through directories and links only root or we control)
 * or the environment.  *none when there is no PIN at all.
 */
static smime_status
p11_read_pin(const struct p11_key *k, char *pin, size_t pinsize, bool *none,
    struct smime_err *err)
{
	struct smime_err why;
	const char *env;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd = -1;
	smime_status ret = SMIME_BADKEY;

	*none = false;
	pin[0] = '\0';
	if (k->k_pinfile == NULL) {
		if ((env = getenv(SMIME_PKCS11_PIN_ENV)) == NULL) {
			*none = true;
			return SMIME_OK;
		}
		if (strlen(env) >= pinsize) {
			smime_err_set(err, "PKCS#11 key %s: PIN in %s too long",
			    k->k_display, SMIME_PKCS11_PIN_ENV);
			return SMIME_BADKEY;
		}
		strcpy(pin, env);
		return SMIME_OK;
	}
	/* Its directories and links too: root never reads a PIN from a
	 * path another user may change (a swapped file locks the token). */
	smime_err_clear(&why);
	if (smime_fs_check_path(&p11_strict, k->k_pinfile, false, NULL, &why) !=
	    SMIME_OK) {
		smime_err_set(err, "PKCS#11 key %s: PIN file: %s",
		    k->k_display, smime_err_get0(&why));
		goto out;
	}
	if ((fd = open(k->k_pinfile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1 || fstat(fd, &st) == -1) {
		smime_err_set(err, "PKCS#11 key %s: PIN file %s: %s",
		    k->k_display, k->k_pinfile, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    (st.st_uid != geteuid() && st.st_uid != 0)) {
		smime_err_set(err, "PKCS#11 key %s: PIN file %s must be a "
		    "regular file owned by us or root with mode 0600 or "
		    "stricter", k->k_display, k->k_pinfile);
		goto out;
	}
	while (len + 1 < pinsize && (n = read(fd, pin + len,
	    pinsize - 1 - len)) > 0)
		len += (size_t)n;
	pin[len] = '\0';
	if (len + 1 >= pinsize) {
		smime_err_set(err, "PKCS#11 key %s: PIN file %s too long",
		    k->k_display, k->k_pinfile);
		goto out;
	}
	while (len > 0 && (pin[len - 1] == '\n' || pin[len - 1] == '\r'))
		pin[--len] = '\0';
	ret = SMIME_OK;
out:
	if (fd != -1)
		close(fd);
	return ret;
}

/* Identity of a token for the bad-PIN list: label and serial. */
static void
p11_token_id(const CK_TOKEN_INFO *ti, unsigned char id[48])
{
	memcpy(id, ti->label, 32);
	memcpy(id + 32, ti->serialNumber, 16);
}

/* Slot of the bad-PIN entry for token, or NULL. */
static struct p11_badpin *
p11_badpin_find(const unsigned char id[48])
{
	size_t i;

	for (i = 0; i < sizeof(p11_badpins) / sizeof(p11_badpins[0]); i++)
		if (p11_badpins[i].bp_used &&
		    memcmp(p11_badpins[i].bp_token, id, 48) == 0)
			return &p11_badpins[i];
	return NULL;
}

/* Log in to k's token in session k->k_sess when it needs a login. */
static smime_status
p11_login(struct p11_key *k, const CK_TOKEN_INFO *ti, struct smime_err *err)
{
	char pin[P11_MAXPIN];
	unsigned char id[48], hash[32];
	EVP_MD_CTX *mdctx = NULL;
	struct p11_badpin *bp;
	bool none;
	size_t i;
	CK_RV rv;
	smime_status ret;

	if ((ti->flags & CKF_LOGIN_REQUIRED) == 0 &&
	    k->k_class == P11_CERTIFICATE)
		return SMIME_OK;
	if ((ret = p11_read_pin(k, pin, sizeof(pin), &none, err)) != SMIME_OK)
		goto out;
	ret = SMIME_TEMPFAIL;
	if (none && (ti->flags & CKF_PROTECTED_AUTHENTICATION_PATH) == 0) {
		if ((ti->flags & CKF_LOGIN_REQUIRED) == 0 ||
		    k->k_class == P11_CERTIFICATE) {
			ret = SMIME_OK;
			goto out;
		}
		smime_err_set(err, "PKCS#11 key %s: no PIN: add "
		    "?pin-source=file:PATH to the URI or set %s",
		    k->k_display, SMIME_PKCS11_PIN_ENV);
		goto out;
	}
	p11_token_id(ti, id);
	/* A salted hash: no short PIN can be read back from memory. */
	if ((!p11_salted && RAND_bytes(p11_salt, sizeof(p11_salt)) != 1) ||
	    (mdctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(mdctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(mdctx, p11_salt, sizeof(p11_salt)) ||
	    !EVP_DigestUpdate(mdctx, pin, strlen(pin)) ||
	    !EVP_DigestFinal_ex(mdctx, hash, NULL)) {
		ret = SMIME_INTERNAL;
		smime_err_set(err, "SHA-256 unavailable");
		goto out;
	}
	p11_salted = true;
	if ((bp = p11_badpin_find(id)) != NULL &&
	    CRYPTO_memcmp(bp->bp_hash, hash, sizeof(hash)) == 0) {
		smime_err_set(err, "PKCS#11 key %s: the token refused this "
		    "PIN before; not tried again until %s changes (a token "
		    "locks after a few wrong PINs)", k->k_display,
		    k->k_pinfile != NULL ? k->k_pinfile : SMIME_PKCS11_PIN_ENV);
		goto out;
	}
	rv = k->k_mod->C_Login(k->k_sess, CKU_USER, none ? NULL :
	    (CK_UTF8CHAR *)pin, none ? 0 : (CK_ULONG)strlen(pin));
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		if (bp != NULL)
			bp->bp_used = false;
		ret = SMIME_OK;
		goto out;
	}
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE ||
	    rv == CKR_PIN_LOCKED) {
		for (i = 0; bp == NULL &&
		    i < sizeof(p11_badpins) / sizeof(p11_badpins[0]); i++)
			if (!p11_badpins[i].bp_used)
				bp = &p11_badpins[i];
		if (bp == NULL)
			bp = &p11_badpins[0];
		memcpy(bp->bp_token, id, sizeof(id));
		memcpy(bp->bp_hash, hash, sizeof(hash));
		bp->bp_used = true;
	}
	p11_err_rv(err, k, k->k_pinfile != NULL ? "C_Login (PIN from "
	    "pin-source file)" : "C_Login (PIN from " SMIME_PKCS11_PIN_ENV ")",
	    rv);
out:
	EVP_MD_CTX_free(mdctx);
	OPENSSL_cleanse(pin, sizeof(pin));
	return ret;
}

/* Find k's object in session k->k_sess; CKR_OK with k->k_obj set. */
static smime_status
p11_find_object(struct p11_key *k, struct smime_err *err)
{
	CK_ATTRIBUTE tmpl[8], *a;
	CK_OBJECT_CLASS cls = k->k_class == P11_CERTIFICATE ?
	    CKO_CERTIFICATE : CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE objs[2];
	CK_ULONG n = 0, found = 0;
	CK_RV rv;

	tmpl[n].type = CKA_CLASS;
	tmpl[n].pValue = &cls;
	tmpl[n++].ulValueLen = sizeof(cls);
	if ((a = p11_kit_uri_get_attribute(k->k_uri, CKA_LABEL)) != NULL)
		tmpl[n++] = *a;
	if ((a = p11_kit_uri_get_attribute(k->k_uri, CKA_ID)) != NULL)
		tmpl[n++] = *a;
	if ((rv = k->k_mod->C_FindObjectsInit(k->k_sess, tmpl, n)) != CKR_OK) {
		p11_err_rv(err, k, "C_FindObjectsInit", rv);
		return p11_rv_lost(rv) ? SMIME_TEMPFAIL : SMIME_BADKEY;
	}
	rv = k->k_mod->C_FindObjects(k->k_sess, objs, 2, &found);
	(void)k->k_mod->C_FindObjectsFinal(k->k_sess);
	if (rv != CKR_OK) {
		p11_err_rv(err, k, "C_FindObjects", rv);
		return SMIME_TEMPFAIL;
	}
	if (found != 1) {
		smime_err_set(err, "PKCS#11 %s %s: %s on the token",
		    k->k_class == P11_CERTIFICATE ? "certificate" : "key",
		    k->k_display, found == 0 ? "no such object" :
		    "the URI matches several objects");
		return found == 0 ? SMIME_TEMPFAIL : SMIME_BADKEY;
	}
	k->k_obj = objs[0];
	return SMIME_OK;
}

/* Read attribute type of obj into a new buffer. */
static CK_RV
p11_get_attr(struct p11_key *k, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    unsigned char **out, size_t *outlen)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv;

	*out = NULL;
	*outlen = 0;
	if ((rv = k->k_mod->C_GetAttributeValue(k->k_sess, obj, &a, 1)) !=
	    CKR_OK)
		return rv;
	if (a.ulValueLen == (CK_ULONG)-1 || a.ulValueLen > 1024 * 1024)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = k->k_mod->C_GetAttributeValue(k->k_sess, obj, &a, 1)) !=
	    CKR_OK) {
		free(a.pValue);
		return rv;
	}
	*out = a.pValue;
	*outlen = a.ulValueLen;
	return CKR_OK;
}

/* Public key object with the same CKA_ID as k->k_obj, or 0. */
static CK_OBJECT_HANDLE
p11_find_pubkey(struct p11_key *k)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[2] = { { CKA_CLASS, &cls, sizeof(cls) },
	    { CKA_ID, NULL, 0 } };
	CK_OBJECT_HANDLE obj = 0;
	CK_ULONG found = 0;
	unsigned char *id = NULL;
	size_t idlen;

	if (p11_get_attr(k, k->k_obj, CKA_ID, &id, &idlen) != CKR_OK)
		return 0;
	tmpl[1].pValue = id;
	tmpl[1].ulValueLen = idlen;
	if (k->k_mod->C_FindObjectsInit(k->k_sess, tmpl, 2) == CKR_OK) {
		if (k->k_mod->C_FindObjects(k->k_sess, &obj, 1, &found) !=
		    CKR_OK || found != 1)
			obj = 0;
		(void)k->k_mod->C_FindObjectsFinal(k->k_sess);
	}
	free(id);
	return obj;
}

/*
 * CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40);
 * some tokens give the bare point.  Leave pub->pp_b the bare point: the
 * field size from the curve tells the two forms apart.
 */
static void
p11_ec_unwrap(struct p11_pub *pub)
{
	const unsigned char *p = pub->pp_a;
	ASN1_OBJECT *oid;
	EC_GROUP *grp = NULL;
	size_t f = 0, hdr, raw;

	if ((oid = d2i_ASN1_OBJECT(NULL, &p, (long)pub->pp_alen)) != NULL &&
	    (grp = EC_GROUP_new_by_curve_name(OBJ_obj2nid(oid))) != NULL)
		f = ((size_t)EC_GROUP_get_degree(grp) + 7) / 8;
	EC_GROUP_free(grp);
	ASN1_OBJECT_free(oid);
	raw = 2 * f + 1;
	hdr = raw < 128 ? 2 : 3;
	if (f == 0 || pub->pp_blen != raw + hdr || pub->pp_b[0] != 0x04 ||
	    (hdr == 2 && pub->pp_b[1] != raw) || (hdr == 3 &&
	    (pub->pp_b[1] != 0x81 || pub->pp_b[2] != raw)))
		return;
	memmove(pub->pp_b, pub->pp_b + hdr, raw);
	pub->pp_blen = raw;
}

/* Read the public half of k->k_obj (a private key) into pub. */
static smime_status
p11_read_pub(struct p11_key *k, struct p11_pub *pub, struct smime_err *err)
{
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_OBJECT_HANDLE po;
	CK_RV rv;

	memset(pub, 0, sizeof(*pub));
	if ((rv = k->k_mod->C_GetAttributeValue(k->k_sess, k->k_obj, &a, 1)) !=
	    CKR_OK) {
		p11_err_rv(err, k, "C_GetAttributeValue(CKA_KEY_TYPE)", rv);
		return SMIME_TEMPFAIL;
	}
	if (kt == CKK_RSA) {
		pub->pp_type = EVP_PKEY_RSA;
		po = k->k_obj;
		rv = p11_get_attr(k, po, CKA_MODULUS, &pub->pp_a,
		    &pub->pp_alen);
		if (rv == CKR_OK)
			rv = p11_get_attr(k, po, CKA_PUBLIC_EXPONENT,
			    &pub->pp_b, &pub->pp_blen);
		if (rv != CKR_OK && (po = p11_find_pubkey(k)) != 0) {
			p11_pub_clear(pub);
			pub->pp_type = EVP_PKEY_RSA;
			if ((rv = p11_get_attr(k, po, CKA_MODULUS, &pub->pp_a,
			    &pub->pp_alen)) == CKR_OK)
				rv = p11_get_attr(k, po, CKA_PUBLIC_EXPONENT,
				    &pub->pp_b, &pub->pp_blen);
		}
	} else if (kt == CKK_EC) {
		pub->pp_type = EVP_PKEY_EC;
		rv = p11_get_attr(k, k->k_obj, CKA_EC_PARAMS, &pub->pp_a,
		    &pub->pp_alen);
		if (rv == CKR_OK && (rv = p11_get_attr(k, k->k_obj,
		    CKA_EC_POINT, &pub->pp_b, &pub->pp_blen)) != CKR_OK) {
			if ((po = p11_find_pubkey(k)) != 0)
				rv = p11_get_attr(k, po, CKA_EC_POINT,
				    &pub->pp_b, &pub->pp_blen);
		}
	} else {
		smime_err_set(err, "PKCS#11 key %s: key type %lu is neither "
		    "RSA nor EC", k->k_display, (unsigned long)kt);
		return SMIME_BADKEY;
	}
	if (rv != CKR_OK) {
		p11_pub_clear(pub);
		p11_err_rv(err, k, "reading the public key", rv);
		return p11_rv_lost(rv) ? SMIME_TEMPFAIL : SMIME_BADKEY;
	}
	if (pub->pp_type == EVP_PKEY_EC)
		p11_ec_unwrap(pub);
	return SMIME_OK;
}

/* True when a and b hold the same bytes. */
static bool
p11_same(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	while (alen > 0 && *a == 0) {	/* big integers: no leading zeros */
		a++;
		alen--;
	}
	while (blen > 0 && *b == 0) {
		b++;
		blen--;
	}
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/*
 * Make k ready (under p11_lock): module, token, session, login, object,
 * and for a key with an expected public half, the comparison.
 */
static smime_status
p11_open(struct p11_key *k, bool rw, struct smime_err *err)
{
	struct p11_modset *ms;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	struct p11_pub pub = { 0 };
	CK_RV rv;
	smime_status ret;

	if ((ret = p11_modset_get(k, &ms, err)) != SMIME_OK)
		return ret;
	if (k->k_open && (k->k_set != ms || k->k_gen != ms->ms_gen))
		k->k_open = false;	/* module re-initialised */
	if (k->k_open && !rw)
		return SMIME_OK;
	p11_close(k);
	k->k_set = ms;
	k->k_gen = ms->ms_gen;
	if ((rv = p11_find_token(k, ms, &k->k_mod, &slot, &ti)) != CKR_OK) {
		ms->ms_stale = true;
		smime_err_set(err, "PKCS#11 %s %s: token not present",
		    k->k_class == P11_CERTIFICATE ? "certificate" : "key",
		    k->k_display);
		return SMIME_TEMPFAIL;
	}
	if ((rv = k->k_mod->C_OpenSession(slot, CKF_SERIAL_SESSION |
	    (rw ? CKF_RW_SESSION : 0), NULL, NULL, &k->k_sess)) != CKR_OK) {
		ms->ms_stale = p11_rv_device(rv) || ms->ms_stale;
		p11_err_rv(err, k, "C_OpenSession", rv);
		return SMIME_TEMPFAIL;
	}
	k->k_open = true;
	if ((ret = p11_login(k, &ti, err)) != SMIME_OK)
		goto fail;
	if (rw)
		return SMIME_OK;	/* key generation: no object yet */
	if ((ret = p11_find_object(k, err)) != SMIME_OK) {
		if (ret == SMIME_TEMPFAIL)
			ms->ms_stale = true;
		goto fail;
	}
	if (k->k_class == P11_PRIVATE_KEY && k->k_expect.pp_type != 0) {
		if ((ret = p11_read_pub(k, &pub, err)) != SMIME_OK)
			goto fail;
		if (pub.pp_type != k->k_expect.pp_type || (pub.pp_type ==
		    EVP_PKEY_RSA && !p11_same(pub.pp_a, pub.pp_alen,
		    k->k_expect.pp_a, k->k_expect.pp_alen)) ||
		    (pub.pp_type == EVP_PKEY_EC && pub.pp_blen > 0 &&
		    !p11_same(pub.pp_b, pub.pp_blen, k->k_expect.pp_b,
		    k->k_expect.pp_blen))) {
			ret = SMIME_BADKEY;
			smime_err_set(err, "PKCS#11 key %s does not match the "
			    "certificate", k->k_display);
			goto fail;
		}
	}
	p11_pub_clear(&pub);
	return SMIME_OK;
fail:
	p11_pub_clear(&pub);
	p11_close(k);
	return ret;
}

smime_status
p11_key_sign(struct p11_key *k, enum p11_mech m, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t *outlen, struct smime_err *err)
{
	CK_MECHANISM mech = { m == P11_RSA_PKCS ? CKM_RSA_PKCS :
	    m == P11_RSA_RAW ? CKM_RSA_X_509 : CKM_ECDSA, NULL, 0 };
	CK_ULONG len;
	CK_RV rv = CKR_OK;
	smime_status ret = SMIME_TEMPFAIL;
	int attempt;

	pthread_mutex_lock(&p11_lock);
	for (attempt = 0; attempt < 2; attempt++) {
		if ((ret = p11_open(k, false, err)) != SMIME_OK) {
			if (ret == SMIME_TEMPFAIL && attempt == 0 &&
			    k->k_set != NULL && k->k_set->ms_stale)
				continue;
			break;
		}
		len = (CK_ULONG)*outlen;
		if ((rv = k->k_mod->C_SignInit(k->k_sess, &mech, k->k_obj)) ==
		    CKR_OK)
			rv = k->k_mod->C_Sign(k->k_sess, (CK_BYTE *)in,
			    (CK_ULONG)inlen, out, &len);
		if (rv == CKR_OK) {
			*outlen = (size_t)len;
			ret = SMIME_OK;
			break;
		}
		p11_err_rv(err, k, "C_Sign", rv);
		ret = SMIME_TEMPFAIL;
		if (p11_rv_device(rv))
			k->k_set->ms_stale = true;
		p11_close(k);
		if (!p11_rv_lost(rv))
			break;
	}
	pthread_mutex_unlock(&p11_lock);
	return ret;
}

smime_status
p11_key_read_public(struct p11_key *k, struct p11_pub *pub,
    struct smime_err *err)
{
	smime_status ret;
	int attempt;

	memset(pub, 0, sizeof(*pub));
	pthread_mutex_lock(&p11_lock);
	for (attempt = 0; attempt < 2; attempt++) {
		if ((ret = p11_open(k, false, err)) == SMIME_OK) {
			if (k->k_class == P11_CERTIFICATE) {
				CK_RV rv = p11_get_attr(k, k->k_obj, CKA_VALUE,
				    &pub->pp_a, &pub->pp_alen);

				if (rv != CKR_OK) {
					p11_err_rv(err, k, "reading CKA_VALUE",
					    rv);
					ret = SMIME_TEMPFAIL;
				}
			} else
				ret = p11_read_pub(k, pub, err);
		}
		if (ret != SMIME_TEMPFAIL || k->k_set == NULL ||
		    !k->k_set->ms_stale)
			break;
	}
	pthread_mutex_unlock(&p11_lock);
	return ret;
}

/*
 * Open a read-write session to create k's object (under p11_lock),
 * refusing (SMIME_BADKEY) when an object already matches k's URI.
 */
static smime_status
p11_open_create(struct p11_key *k, struct smime_err *err)
{
	struct smime_err e2;

	if (p11_open(k, false, &e2) == SMIME_OK) {
		p11_close(k);
		smime_err_set(err, "PKCS#11 %s %s exists on the token already",
		    k->k_class == P11_CERTIFICATE ? "certificate" : "key",
		    k->k_display);
		return SMIME_BADKEY;
	}
	return p11_open(k, true, err);
}

smime_status
p11_key_generate(struct p11_key *k, unsigned long bits,
    const unsigned char *ec_oid, size_t ec_oidlen, struct smime_err *err)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG modbits = bits;
	CK_BYTE exp[] = { 0x01, 0x00, 0x01 };
	CK_BYTE idbuf[16];
	CK_ATTRIBUTE *label, *id, idattr = { CKA_ID, idbuf, sizeof(idbuf) };
	CK_ATTRIBUTE pubt[8], privt[10];
	CK_ULONG np = 0, nv = 0;
	CK_MECHANISM mech = { ec_oid != NULL ? CKM_EC_KEY_PAIR_GEN :
	    CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv;
	smime_status ret;

	if ((label = p11_kit_uri_get_attribute(k->k_uri, CKA_LABEL)) == NULL) {
		smime_err_set(err, "PKCS#11 URI %s: key generation needs "
		    "object=LABEL", k->k_display);
		return SMIME_SYNTAX;
	}
	if ((id = p11_kit_uri_get_attribute(k->k_uri, CKA_ID)) == NULL) {
		if (RAND_bytes(idbuf, sizeof(idbuf)) != 1) {
			smime_err_set(err, "RAND_bytes failed");
			return SMIME_INTERNAL;
		}
		id = &idattr;
	}
	pthread_mutex_lock(&p11_lock);
	if ((ret = p11_open_create(k, err)) != SMIME_OK)
		goto out;
	pubt[np++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	pubt[np++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
	pubt[np++] = *label;
	pubt[np++] = *id;
	if (ec_oid != NULL)
		pubt[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)ec_oid,
		    ec_oidlen };
	else {
		pubt[np++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &modbits,
		    sizeof(modbits) };
		pubt[np++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, exp,
		    sizeof(exp) };
	}
	privt[nv++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	privt[nv++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof(yes) };
	privt[nv++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof(yes) };
	privt[nv++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof(no) };
	privt[nv++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof(yes) };
	privt[nv++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &no, sizeof(no) };
	privt[nv++] = *label;
	privt[nv++] = *id;
	rv = k->k_mod->C_GenerateKeyPair(k->k_sess, &mech, pubt, np, privt, nv,
	    &hpub, &hpriv);
	p11_close(k);
	if (rv != CKR_OK) {
		p11_err_rv(err, k, "C_GenerateKeyPair", rv);
		ret = p11_rv_lost(rv) ? SMIME_TEMPFAIL : SMIME_BADKEY;
		goto out;
	}
	if (id == &idattr && p11_kit_uri_set_attribute(k->k_uri, id) !=
	    P11_KIT_URI_OK) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "out of memory");
		goto out;
	}
	ret = SMIME_OK;
out:
	pthread_mutex_unlock(&p11_lock);
	return ret;
}

smime_status
p11_key_put_cert(struct p11_key *k, const unsigned char *der, size_t derlen,
    const unsigned char *subj, size_t subjlen, const unsigned char *iss,
    size_t isslen, const unsigned char *serial, size_t seriallen,
    struct smime_err *err)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[9], *a;
	CK_OBJECT_HANDLE obj;
	CK_ULONG n = 0;
	CK_RV rv;
	smime_status ret;

	t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	t[n++] = (CK_ATTRIBUTE){ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) };
	t[n++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	t[n++] = (CK_ATTRIBUTE){ CKA_VALUE, (void *)der, derlen };
	t[n++] = (CK_ATTRIBUTE){ CKA_SUBJECT, (void *)subj, subjlen };
	t[n++] = (CK_ATTRIBUTE){ CKA_ISSUER, (void *)iss, isslen };
	t[n++] = (CK_ATTRIBUTE){ CKA_SERIAL_NUMBER, (void *)serial, seriallen };
	if ((a = p11_kit_uri_get_attribute(k->k_uri, CKA_LABEL)) != NULL)
		t[n++] = *a;
	if ((a = p11_kit_uri_get_attribute(k->k_uri, CKA_ID)) != NULL)
		t[n++] = *a;
	pthread_mutex_lock(&p11_lock);
	if ((ret = p11_open_create(k, err)) != SMIME_OK)
		goto out;
	rv = k->k_mod->C_CreateObject(k->k_sess, t, n, &obj);
	p11_close(k);
	if (rv != CKR_OK) {
		p11_err_rv(err, k, "C_CreateObject", rv);
		ret = p11_rv_lost(rv) ? SMIME_TEMPFAIL : SMIME_BADKEY;
		goto out;
	}
	ret = SMIME_OK;
out:
	pthread_mutex_unlock(&p11_lock);
	return ret;
}
