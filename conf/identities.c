/*
 * identities.c - build the signing identity store from the configuration:
 * the hand-written sign.identities entries first, then the smime-enroll
 * directory sign.store (an address configured by hand wins, with a
 * warning), then the revocation marks from sign.crl.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "smime/err.h"
#include "smime/identity.h"
#include "smime/safefs.h"

/* Copy "PREFIX" + the library's text into errbuf. */
static void
conf_identity_error(char *errbuf, size_t errlen, const char *prefix,
    const struct smime_err *err)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s%s", prefix, smime_err_get0(err));
}

smime_status
conf_load_identities(const struct smime_conf *conf,
    struct smime_idstore **out, conf_warn_fn *warn, void *warnarg,
    char *errbuf, size_t errlen)
{
	struct smime_idstore *store = NULL;
	struct smime_fs_policy pol;
	struct passwd *pw;
	const struct conf_identity *ci;
	struct smime_err err;
	char origin[1200], prefix[1200];
	smime_status ret = SMIME_NORESOURCE;
	size_t i;

	*out = NULL;
	smime_err_clear(&err);
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if ((store = smime_idstore_new()) == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", conf->cf_path);
		goto out;
	}
	/* A store from before the ownership model belongs to the user. */
	memset(&pol, 0, sizeof(pol));
	pol.fp_strict = conf->cf_strict_modes;
	if (conf->cf_user != NULL && (pw = getpwnam(conf->cf_user)) != NULL) {
		pol.fp_has_user = true;
		pol.fp_user = pw->pw_uid;
	}
	smime_idstore_set_policy(store, &pol);
	for (i = 0; i < conf->cf_nidentities; i++) {
		ci = &conf->cf_identities[i];
		if (ci->ci_pending)
			continue;	/* conf_load() warned */
		snprintf(origin, sizeof(origin), "%s:%d: sign.identities[%zu]",
		    conf->cf_path, ci->ci_line, i);
		ret = smime_idstore_add_files(store, origin, ci->ci_address,
		    ci->ci_cert, ci->ci_key, ci->ci_chain, ci->ci_senders,
		    ci->ci_nsenders, warn, warnarg, &err);
		if (ret != SMIME_OK) {
			conf_identity_error(errbuf, errlen, "", &err);
			goto out;
		}
	}
	if (conf->cf_sign_store != NULL) {
		snprintf(prefix, sizeof(prefix), "%s: sign.store: ",
		    conf->cf_path);
		ret = smime_idstore_add_dir(store, conf->cf_sign_store, warn,
		    warnarg, &err);
		if (ret != SMIME_OK) {
			conf_identity_error(errbuf, errlen, prefix, &err);
			goto out;
		}
	}
	if (conf->cf_sign_crl != NULL) {
		snprintf(prefix, sizeof(prefix), "%s: sign.crl: ",
		    conf->cf_path);
		ret = smime_idstore_apply_crl(store, conf->cf_sign_crl, warn,
		    warnarg, &err);
		if (ret != SMIME_OK) {
			conf_identity_error(errbuf, errlen, prefix, &err);
			goto out;
		}
	}
	*out = store;
	store = NULL;
	ret = SMIME_OK;
out:
	smime_idstore_free(store);
	return ret;
}
