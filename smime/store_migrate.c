/*
 * store_migrate.c - bring a store written by smime-enroll before the
 * ownership model (directories and files owned by the milter's user,
 * 0700/0600) to it: root:GROUP, directories 0750, keys 0640, others 0644.
 *
 * The milter's user owned the old tree, so it may have planted links,
 * hard links or files of other owners.  Each directory is opened with
 * O_NOFOLLOW and taken over (fchown/fchmod on the descriptor) before its
 * entries are looked at, so that from then on the user can add nothing;
 * each file is opened with O_NOFOLLOW and checked on the descriptor.
 * A link, a hard link to a file of someone else, a foreign owner or a
 * group/world-writable entry stops the migration with a message that
 * names it: an admin has to look.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "smime/store.h"
#include "smime/storelayout.h"

struct migrate {
	const struct smime_store_owner	*mg_owner;
	size_t				 mg_changed;
	struct smime_err		*mg_err;
};

/* True when st may be taken over: root's or the milter user's, safe mode. */
static bool
migrate_owner_ok(struct migrate *mg, const char *path, const struct stat *st)
{
	const struct smime_store_owner *o = mg->mg_owner;

	if (st->st_uid != 0 && !(o->so_has_user && st->st_uid ==
	    o->so_user_uid)) {
		smime_err_set(mg->mg_err, "%s: owned by uid %lu, neither root "
		    "nor the milter's user; not migrating the store (remove "
		    "it or fix its owner)", path, (unsigned long)st->st_uid);
		return false;
	}
	if (o->so_strict && (st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		smime_err_set(mg->mg_err, "%s: writable by group or others "
		    "(mode %04o); not migrating the store: check what was "
		    "written there", path, (unsigned int)(st->st_mode & 07777));
		return false;
	}
	return true;
}

/* Give fd root:GROUP and mode unless it has them; count a change. */
static bool
migrate_fix(struct migrate *mg, int fd, const char *path,
    const struct stat *st, mode_t mode)
{
	const struct smime_store_owner *o = mg->mg_owner;

	if (st->st_uid == o->so_uid && st->st_gid == o->so_gid &&
	    (st->st_mode & 07777) == mode)
		return true;
	if (fchown(fd, o->so_uid, o->so_gid) == -1 || fchmod(fd, mode) == -1) {
		smime_err_set(mg->mg_err, "%s: %s", path, strerror(errno));
		return false;
	}
	mg->mg_changed++;
	return true;
}

/*
 * A file that belongs to the milter's user (or has several links): its
 * bytes are the user's anyway, so a fresh single-link copy replaces it.
 * Changing owner and mode in place is not enough: a descriptor the user
 * opened for writing before the migration keeps writing to the inode.
 */
static bool
migrate_relink(struct migrate *mg, int dirfd, const char *dirpath,
    const char *name, int fd, const struct stat *st, mode_t mode)
{
	const struct smime_store_owner *o = mg->mg_owner;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	bool ok = false;

	if ((st->st_uid == 0 && st->st_nlink != 1) ||
	    st->st_size > SMIME_FS_MAX_FILE) {
		smime_err_set(mg->mg_err, "%s/%s has %lu hard links; a store "
		    "file has one; not migrating the store (remove it)",
		    dirpath, name, (unsigned long)st->st_nlink);
		return false;
	}
	if ((buf = OPENSSL_malloc((size_t)st->st_size + 1)) == NULL) {
		smime_err_set(mg->mg_err, "out of memory");
		return false;
	}
	while (got < (size_t)st->st_size && (n = pread(fd, buf + got,
	    (size_t)st->st_size - got, (off_t)got)) > 0)
		got += (size_t)n;
	ok = smime_fs_write(dirfd, dirpath, name, buf, got, mode, true,
	    o->so_uid, o->so_gid, mg->mg_err) == SMIME_OK;
	if (ok)
		mg->mg_changed++;
	OPENSSL_clear_free(buf, (size_t)st->st_size + 1);
	return ok;
}

/* Migrate the regular file name of dirfd. */
static bool
migrate_file(struct migrate *mg, int dirfd, const char *dirpath,
    const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	mode_t mode;
	int fd;
	bool ok = false;

	snprintf(path, sizeof(path), "%s/%s", dirpath, name);
	/* key.pem and key.uri (a token key's URI) stay private. */
	mode = !smime_store_is_secret(name) ? SMIME_STORE_MODE_FILE :
	    SMIME_STORE_MODE_KEY(mg->mg_owner->so_gid != 0);
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY)) == -1 || fstat(fd, &st) == -1) {
		smime_err_set(mg->mg_err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		smime_err_set(mg->mg_err, "%s: not a regular file; not "
		    "migrating the store", path);
		goto out;
	}
	if (!migrate_owner_ok(mg, path, &st))
		goto out;
	if (st.st_nlink != 1 || st.st_uid != mg->mg_owner->so_uid)
		ok = migrate_relink(mg, dirfd, dirpath, name, fd, &st, mode);
	else
		ok = migrate_fix(mg, fd, path, &st, mode);
out:
	if (fd != -1)
		close(fd);
	return ok;
}

/*
 * Take the directory fd (path) over, then walk its entries; depth 0 is
 * the store, 1 an identity directory.
 */
static bool
migrate_dir(struct migrate *mg, int fd, const char *path, int depth)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	int dfd = -1, kind;
	bool ok = false;

	if (fstat(fd, &st) == -1) {
		smime_err_set(mg->mg_err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!migrate_owner_ok(mg, path, &st) ||
	    !migrate_fix(mg, fd, path, &st,
	    SMIME_STORE_MODE_DIR(mg->mg_owner->so_gid != 0)))
		goto out;
	if ((dfd = dup(fd)) == -1 || (dir = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		smime_err_set(mg->mg_err, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* never opened by anyone */
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		kind = smime_fs_kind(fd, de->d_name, &st);
		if (kind == 'l') {
			smime_err_set(mg->mg_err, "%s is a symbolic link "
			    "(owned by uid %lu), planted by whoever owned the "
			    "store; not following it, not migrating the store: "
			    "remove it and run smime-enroll again", sub,
			    (unsigned long)st.st_uid);
			goto out;
		}
		if (kind == 'd' && depth == 0) {
			if ((dfd = openat(fd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
				smime_err_set(mg->mg_err, "%s: %s", sub,
				    strerror(errno));
				goto out;
			}
			ok = migrate_dir(mg, dfd, sub, 1);
			close(dfd);
			if (!ok)
				goto out;
			ok = false;
		} else if (kind == 'f' && depth == 1) {
			if (!migrate_file(mg, fd, path, de->d_name))
				goto out;
		}
	}
	ok = true;
out:
	if (dir != NULL)
		closedir(dir);
	return ok;
}

smime_status
smime_store_migrate(const char *store, const struct smime_store_owner *owner,
    size_t *changed, struct smime_err *err)
{
	struct smime_fs_policy pol;
	struct migrate mg = { owner, 0, err };
	struct stat st;
	int fd = -1;
	bool missing = false;
	smime_status ret = SMIME_OK;

	*changed = 0;
	if (owner == NULL || !owner->so_set)
		goto out;
	smime_store_policy(owner, &pol);
	if ((ret = smime_fs_open_dir(&pol, store, false, 0, false, 0, 0, &fd,
	    &missing, err)) != SMIME_OK || fd == -1)
		goto out;
	/* Without a configured user the store root's group is the milter's. */
	if (!owner->so_has_group && fstat(fd, &st) == 0) {
		struct smime_store_owner o = *owner;

		o.so_gid = st.st_gid;
		mg.mg_owner = &o;
		ret = migrate_dir(&mg, fd, store, 0) ? SMIME_OK : SMIME_POLICY;
	} else
		ret = migrate_dir(&mg, fd, store, 0) ? SMIME_OK : SMIME_POLICY;
	*changed = mg.mg_changed;
out:
	if (fd != -1)
		close(fd);
	return ret;
}
