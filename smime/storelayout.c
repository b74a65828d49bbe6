/*
 * storelayout.c - where the store keeps things and how a store file is
 * read or replaced (storelayout.h).  Every file operation goes through
 * safefs.c: the store is opened once and walked with directory
 * descriptors, no link is ever followed.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "smime/storelayout.h"

bool
smime_store_is_secret(const char *name)
{
	return strncmp(name, SMIME_STORE_KEY, strlen(SMIME_STORE_KEY)) == 0 ||
	    strncmp(name, SMIME_STORE_KEY_URI, strlen(SMIME_STORE_KEY_URI)) ==
	    0;
}

bool
smime_store_prev_name(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s" SMIME_STORE_PREV, name);

	return n >= 0 && (size_t)n < len;
}

void
smime_store_policy(const struct smime_store_owner *owner,
    struct smime_fs_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->fp_strict = owner == NULL || owner->so_strict;
	if (owner != NULL && owner->so_has_user) {
		p->fp_has_user = true;
		p->fp_user = owner->so_user_uid;
	}
}

bool
smime_store_path(const char *store, const char *address, const char *name,
    char *buf, size_t buflen)
{
	int n;

	if (name == NULL)
		n = snprintf(buf, buflen, "%s/%s", store, address);
	else
		n = snprintf(buf, buflen, "%s/%s/%s", store, address, name);
	return n >= 0 && (size_t)n < buflen;
}

void
smime_storedir_close(struct smime_storedir *sd)
{
	if (sd->sd_dir != -1)
		close(sd->sd_dir);
	if (sd->sd_root != -1)
		close(sd->sd_root);
	sd->sd_dir = sd->sd_root = -1;
}

smime_status
smime_storedir_open(const char *store, const char *address,
    const struct smime_store_owner *owner, bool create,
    struct smime_storedir *sd, bool *missing, struct smime_err *err)
{
	struct stat st;
	bool gone = false;
	smime_status ret;

	memset(sd, 0, sizeof(*sd));
	sd->sd_root = sd->sd_dir = -1;
	if (missing != NULL)
		*missing = false;
	smime_store_policy(owner, &sd->sd_pol);
	sd->sd_chown = owner != NULL && owner->so_set;
	sd->sd_uid = sd->sd_chown ? owner->so_uid : geteuid();
	sd->sd_gid = sd->sd_chown ? owner->so_gid : getegid();
	/* As root the milter reads through its group; else we are it. */
	sd->sd_dmode = SMIME_STORE_MODE_DIR(sd->sd_chown && sd->sd_gid != 0);
	sd->sd_kmode = SMIME_STORE_MODE_KEY(sd->sd_chown && sd->sd_gid != 0);
	sd->sd_fmode = SMIME_STORE_MODE_FILE;
	snprintf(sd->sd_where, sizeof(sd->sd_where), "%s", store);
	ret = smime_fs_open_dir(&sd->sd_pol, store, create, sd->sd_dmode,
	    sd->sd_chown, sd->sd_uid, sd->sd_gid, &sd->sd_root, &gone, err);
	if (ret != SMIME_OK || sd->sd_root == -1)
		goto out;
	/* No user configured: the store root's group is the milter's. */
	if (sd->sd_chown && !owner->so_has_group &&
	    fstat(sd->sd_root, &st) == 0)
		sd->sd_gid = st.st_gid;
	/* Group access only for a milter's group, never for root's. */
	sd->sd_dmode = SMIME_STORE_MODE_DIR(sd->sd_chown && sd->sd_gid != 0);
	sd->sd_kmode = SMIME_STORE_MODE_KEY(sd->sd_chown && sd->sd_gid != 0);
	if (address == NULL)
		goto out;
	if (!smime_store_path(store, address, NULL, sd->sd_where,
	    sizeof(sd->sd_where))) {
		ret = SMIME_SYNTAX;
		smime_err_set(err, "%s/%s: path too long", store, address);
		goto out;
	}
	ret = smime_fs_open_subdir(&sd->sd_pol, sd->sd_root, store, address,
	    create, sd->sd_dmode, sd->sd_chown, sd->sd_uid, sd->sd_gid,
	    &sd->sd_dir, &gone, err);
out:
	if (missing != NULL)
		*missing = gone;
	if (ret != SMIME_OK)
		smime_storedir_close(sd);
	return ret;
}

smime_status
smime_storedir_read(struct smime_storedir *sd, const char *name, bool secret,
    char **buf, size_t *len, struct smime_err *err)
{
	bool missing;

	return smime_fs_read(&sd->sd_pol, sd->sd_dir, sd->sd_where, name,
	    secret, buf, len, &missing, err);
}

smime_status
smime_storedir_write(struct smime_storedir *sd, const char *name,
    const void *data, size_t len, bool secret, struct smime_err *err)
{
	return smime_fs_write(sd->sd_dir, sd->sd_where, name, data, len,
	    secret ? sd->sd_kmode : sd->sd_fmode, sd->sd_chown, sd->sd_uid,
	    sd->sd_gid, err);
}

smime_status
smime_storedir_keep_prev(struct smime_storedir *sd, const char *name,
    bool secret, bool *had, struct smime_err *err)
{
	char prev[NAME_MAX + 1], *buf = NULL;
	size_t len = 0;
	smime_status ret;

	*had = false;
	if (!smime_store_prev_name(name, prev, sizeof(prev))) {
		smime_err_set(err, "%s/%s: name too long", sd->sd_where, name);
		return SMIME_SYNTAX;
	}
	if ((ret = smime_storedir_read(sd, name, secret, &buf, &len, err)) !=
	    SMIME_OK || buf == NULL)
		goto out;
	*had = true;
	ret = smime_storedir_write(sd, prev, buf, len, secret, err);
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, len + 1);
	return ret;
}

void
smime_storedir_restore(struct smime_storedir *sd, const char *name,
    bool secret, bool had)
{
	char prev[NAME_MAX + 1], *buf = NULL;
	size_t len = 0;

	if (!had) {
		(void)smime_fs_remove(sd->sd_dir, sd->sd_where, name, NULL);
		return;
	}
	if (!smime_store_prev_name(name, prev, sizeof(prev)))
		return;
	if (smime_storedir_read(sd, prev, secret, &buf, &len, NULL) ==
	    SMIME_OK && buf != NULL)
		(void)smime_storedir_write(sd, name, buf, len, secret, NULL);
	if (buf != NULL)
		OPENSSL_clear_free(buf, len + 1);
}
