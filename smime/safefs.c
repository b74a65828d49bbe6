/*
 * safefs.c - symlink-safe, owner-checked file operations (see safefs.h
 * for the model).  Everything here works on directory descriptors; a
 * path is only ever walked component by component from "/".
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "smime/safefs.h"

#define FS_MAX_LINKS	40	/* symbolic links followed in one walk */

/* Root or us: who may own the path to a file we trust. */
static bool
fs_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* A directory on the way: trusted owner, no foreign write access. */
static bool
fs_dir_ok(const struct smime_fs_policy *p, const struct stat *st,
    const char *shown, bool user_ok, struct smime_err *err)
{
	if (!S_ISDIR(st->st_mode)) {
		smime_err_set(err, "%s: not a directory", shown);
		return false;
	}
	if (!p->fp_strict)
		return true;
	if (!fs_trusted(st->st_uid) && !(user_ok && p->fp_has_user &&
	    st->st_uid == p->fp_user)) {
		smime_err_set(err, "%s: directory owned by uid %lu, neither "
		    "root nor us; refusing it (strict_modes)", shown,
		    (unsigned long)st->st_uid);
		return false;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(st->st_uid == 0 && (st->st_mode & S_ISVTX))) {
		smime_err_set(err, "%s: directory is writable by group or "
		    "others (mode %04o); refusing it (strict_modes)", shown,
		    (unsigned int)(st->st_mode & 07777));
		return false;
	}
	return true;
}

/* Take the next component of *rest into comp; false when none is left. */
static bool
fs_next(char **rest, char *comp, size_t len)
{
	char *p = *rest, *slash;
	size_t n;

	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			*rest = p;
			return false;
		}
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n >= len)
			n = len - 1;
		memcpy(comp, p, n);
		comp[n] = '\0';
		*rest = p + n;
		return true;
	}
}

/* True when only slashes are left in rest. */
static bool
fs_last(const char *rest)
{
	char comp[NAME_MAX + 1];
	char *r = (char *)rest;

	return !fs_next(&r, comp, sizeof(comp));
}

static smime_status fs_walk_open(const struct smime_fs_policy *,
    const char *, int, struct stat *, int *, struct stat *, int *, char *,
    char *, struct smime_err *);

/*
 * Walk path from "/".  On success *fd is an O_PATH descriptor of the last
 * component and *st its status; when something is missing *fd is -1, and
 * when that is only the last component, *parent is the O_PATH descriptor
 * of its directory and name (NAME_MAX + 1 bytes) its name.  Directories on the way are checked;
 * the last component is the caller's to check.  shown (PATH_MAX bytes)
 * receives the path as walked, for messages.
 */
static smime_status
fs_walk(const struct smime_fs_policy *p, const char *path, int *fd,
    struct stat *st, int *parent, char *name, char *shown,
    struct smime_err *err)
{
	return fs_walk_open(p, path, 0, NULL, fd, st, parent, name, shown, err);
}

/*
 * fs_walk(), but the last component (after any links) is opened with
 * leaf_flags (0: O_PATH) and O_NOFOLLOW, and *dirst (may be NULL) gets
 * the status of the directory that holds it.
 */
static smime_status
fs_walk_open(const struct smime_fs_policy *p, const char *path,
    int leaf_flags, struct stat *dirst, int *fd, struct stat *st,
    int *parent, char *name, char *shown, struct smime_err *err)
{
	char *buf = NULL, *rest, *grown, comp[NAME_MAX + 1], target[PATH_MAX];
	int cur = -1, next, links = 0;
	size_t used;
	ssize_t n;
	smime_status ret = SMIME_POLICY;

	*fd = -1;
	*parent = -1;
	name[0] = '\0';
	snprintf(shown, PATH_MAX, "%s", "/");
	if (path[0] != '/') {
		smime_err_set(err, "%s: not an absolute path", path);
		goto out;
	}
	if ((buf = strdup(path)) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "out of memory");
		goto out;
	}
	rest = buf;
	if ((cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(cur, st) == -1) {
		ret = SMIME_TEMPFAIL;
		smime_err_set(err, "/: %s", strerror(errno));
		goto out;
	}
	if (!fs_dir_ok(p, st, "/", false, err))
		goto out;
	while (fs_next(&rest, comp, sizeof(comp))) {
		used = strlen(shown);
		snprintf(shown + used, PATH_MAX - used, "%s%s",
		    used > 1 ? "/" : "", comp);
		if (fstatat(cur, comp, st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT) {
				/* Missing: its directory, if it is the last. */
				if (fs_last(rest)) {
					*parent = cur;
					cur = -1;
					snprintf(name, NAME_MAX + 1, "%s", comp);
				}
				ret = SMIME_OK;
				goto out;
			}
			ret = SMIME_TEMPFAIL;
			smime_err_set(err, "%s: %s", shown, strerror(errno));
			goto out;
		}
		if (S_ISLNK(st->st_mode)) {
			if (p->fp_strict && !fs_trusted(st->st_uid)) {
				smime_err_set(err, "%s is a symbolic link owned "
				    "by uid %lu, neither root nor us; refusing "
				    "it (strict_modes)", shown,
				    (unsigned long)st->st_uid);
				goto out;
			}
			if (++links > FS_MAX_LINKS || (n = readlinkat(cur, comp,
			    target, sizeof(target) - 1)) <= 0) {
				smime_err_set(err, "%s: %s", shown, links >
				    FS_MAX_LINKS ? strerror(ELOOP) :
				    strerror(errno));
				goto out;
			}
			target[n] = '\0';
			/* Continue with the target, then what was left. */
			if ((grown = malloc((size_t)n + strlen(rest) + 2)) ==
			    NULL) {
				ret = SMIME_NORESOURCE;
				smime_err_set(err, "out of memory");
				goto out;
			}
			snprintf(grown, (size_t)n + strlen(rest) + 2, "%s/%s",
			    target, rest);
			free(buf);
			buf = rest = grown;
			if (target[0] == '/') {
				close(cur);
				if ((cur = open("/", O_PATH | O_DIRECTORY |
				    O_CLOEXEC)) == -1) {
					ret = SMIME_TEMPFAIL;
					smime_err_set(err, "/: %s",
					    strerror(errno));
					goto out;
				}
				snprintf(shown, PATH_MAX, "%s", "/");
			} else if ((grown = strrchr(shown, '/')) != NULL)
				grown[grown == shown ? 1 : 0] = '\0';
			continue;
		}
		if (fs_last(rest) && dirst != NULL && fstat(cur, dirst) == -1) {
			ret = SMIME_TEMPFAIL;
			smime_err_set(err, "%s: %s", shown, strerror(errno));
			goto out;
		}
		if ((next = openat(cur, comp, (fs_last(rest) && leaf_flags !=
		    0 ? leaf_flags : O_PATH) | O_NOFOLLOW | O_CLOEXEC)) == -1) {
			ret = SMIME_TEMPFAIL;
			smime_err_set(err, "%s: %s", shown, strerror(errno));
			goto out;
		}
		close(cur);
		cur = next;
		if (fstat(cur, st) == -1) {
			ret = SMIME_TEMPFAIL;
			smime_err_set(err, "%s: %s", shown, strerror(errno));
			goto out;
		}
		if (S_ISLNK(st->st_mode)) {	/* swapped under us */
			smime_err_set(err, "%s: changed while being checked",
			    shown);
			goto out;
		}
		if (!fs_last(rest) && !fs_dir_ok(p, st, shown, false, err))
			goto out;
	}
	*fd = cur;
	cur = -1;
	ret = SMIME_OK;
out:
	if (cur != -1)
		close(cur);
	free(buf);
	return ret;
}

smime_status
smime_fs_check_path(const struct smime_fs_policy *p, const char *path,
    bool want_dir, bool *missing, struct smime_err *err)
{
	char name[NAME_MAX + 1], shown[PATH_MAX];
	struct stat st;
	int fd = -1, parent = -1;
	smime_status ret;

	if (missing != NULL)
		*missing = false;
	ret = fs_walk(p, path, &fd, &st, &parent, name, shown, err);
	if (ret != SMIME_OK)
		goto out;
	if (fd == -1) {
		if (missing != NULL)
			*missing = true;
		else {
			ret = SMIME_POLICY;
			smime_err_set(err, "%s: %s", shown, strerror(ENOENT));
		}
		goto out;
	}
	ret = SMIME_POLICY;
	if (want_dir || S_ISDIR(st.st_mode)) {	/* a CA directory is fine */
		if (!fs_dir_ok(p, &st, shown, false, err))
			goto out;
	} else if (p->fp_strict && !fs_trusted(st.st_uid) &&
	    !(p->fp_has_user && st.st_uid == p->fp_user)) {
		smime_err_set(err, "%s: owned by uid %lu, neither root nor "
		    "us%s; refusing it (strict_modes)", shown,
		    (unsigned long)st.st_uid, p->fp_has_user ? " nor the "
		    "milter's user" : "");
		goto out;
	} else if (p->fp_strict && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		smime_err_set(err, "%s: writable by group or others (mode "
		    "%04o); refusing it (strict_modes; fix: chmod go-w %s)",
		    shown, (unsigned int)(st.st_mode & 07777), shown);
		goto out;
	}
	ret = SMIME_OK;
out:
	if (fd != -1)
		close(fd);
	if (parent != -1)
		close(parent);
	return ret;
}

/* Give a directory we created its owner and mode (umask ignored). */
static bool
fs_set_owner(int fd, const char *shown, mode_t mode, bool chown, uid_t uid,
    gid_t gid, struct smime_err *err)
{
	if ((chown && fchown(fd, uid, gid) == -1) || fchmod(fd, mode) == -1) {
		smime_err_set(err, "%s: %s", shown, strerror(errno));
		return false;
	}
	return true;
}

smime_status
smime_fs_open_dir(const struct smime_fs_policy *p, const char *path,
    bool create, mode_t mode, bool chown, uid_t uid, gid_t gid, int *fd,
    bool *missing, struct smime_err *err)
{
	char name[NAME_MAX + 1], shown[PATH_MAX];
	struct stat st;
	int pfd = -1, parent = -1;
	smime_status ret;

	*fd = -1;
	if (missing != NULL)
		*missing = false;
	if ((ret = fs_walk(p, path, &pfd, &st, &parent, name, shown, err)) !=
	    SMIME_OK)
		goto out;
	ret = SMIME_TEMPFAIL;
	if (pfd == -1) {
		if (!create) {
			if (missing != NULL)
				*missing = true;
			ret = SMIME_OK;
			goto out;
		}
		if (parent == -1) {
			smime_err_set(err, "%s: %s (create its parent "
			    "directory first)", shown, strerror(ENOENT));
			goto out;
		}
		if (mkdirat(parent, name, mode) == -1 && errno != EEXIST) {
			smime_err_set(err, "mkdir %s: %s", shown,
			    strerror(errno));
			goto out;
		}
		if ((*fd = openat(parent, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1 || fstat(*fd, &st) == -1) {
			smime_err_set(err, "%s: %s", shown, strerror(errno));
			goto out;
		}
		if (st.st_uid == geteuid() && !fs_set_owner(*fd, shown, mode,
		    chown, uid, gid, err))
			goto out;
		if (fstat(*fd, &st) == -1) {
			smime_err_set(err, "%s: %s", shown, strerror(errno));
			goto out;
		}
	} else if ((*fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		smime_err_set(err, "%s: %s", shown, strerror(errno));
		goto out;
	}
	ret = SMIME_POLICY;
	if (!fs_dir_ok(p, &st, shown, true, err))
		goto out;
	ret = SMIME_OK;
out:
	if (ret != SMIME_OK && *fd != -1) {
		close(*fd);
		*fd = -1;
	}
	if (pfd != -1)
		close(pfd);
	if (parent != -1)
		close(parent);
	return ret;
}

int
smime_fs_kind(int dirfd, const char *name, struct stat *st)
{
	struct stat tmp;

	if (st == NULL)
		st = &tmp;
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (S_ISLNK(st->st_mode))
		return 'l';
	if (S_ISDIR(st->st_mode))
		return 'd';
	if (S_ISREG(st->st_mode))
		return 'f';
	return '?';
}

/* "where/name is a symbolic link ..." */
static void
fs_link_error(const char *where, const char *name, const struct stat *st,
    struct smime_err *err)
{
	smime_err_set(err, "%s/%s is a symbolic link (owned by uid %lu); "
	    "links are never followed in the store: remove it", where, name,
	    (unsigned long)st->st_uid);
}

/* Owner of a store entry: root, or the owner of its directory. */
static bool
fs_entry_owner_ok(const struct smime_fs_policy *p, int dirfd,
    const struct stat *st)
{
	struct stat dst;

	if (!p->fp_strict || st->st_uid == 0)
		return true;
	return fstat(dirfd, &dst) == 0 && dst.st_uid == st->st_uid;
}

smime_status
smime_fs_open_subdir(const struct smime_fs_policy *p, int dirfd,
    const char *where, const char *name, bool create, mode_t mode,
    bool chown, uid_t uid, gid_t gid, int *fd, bool *missing,
    struct smime_err *err)
{
	char shown[PATH_MAX];
	struct stat st;
	int kind;
	smime_status ret = SMIME_POLICY;

	*fd = -1;
	if (missing != NULL)
		*missing = false;
	snprintf(shown, sizeof(shown), "%s/%s", where, name);
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL) {
		smime_err_set(err, "%s: not a valid store entry name", shown);
		goto out;
	}
	kind = smime_fs_kind(dirfd, name, &st);
	if (kind == 'l') {
		fs_link_error(where, name, &st, err);
		goto out;
	}
	if (kind == 0) {
		if (!create) {
			if (missing != NULL)
				*missing = true;
			ret = SMIME_OK;
			goto out;
		}
		if (mkdirat(dirfd, name, mode) == -1) {
			ret = SMIME_TEMPFAIL;
			smime_err_set(err, "mkdir %s: %s", shown,
			    strerror(errno));
			goto out;
		}
	} else if (kind != 'd') {
		smime_err_set(err, "%s: not a directory", shown);
		goto out;
	}
	if ((*fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(*fd, &st) == -1) {
		ret = errno == ELOOP || errno == ENOTDIR ? SMIME_POLICY :
		    SMIME_TEMPFAIL;
		smime_err_set(err, "%s: %s", shown, strerror(errno));
		goto out;
	}
	if (kind == 0 && !fs_set_owner(*fd, shown, mode, chown, uid, gid,
	    err)) {
		ret = SMIME_TEMPFAIL;
		goto out;
	}
	if (kind == 0 && fstat(*fd, &st) == -1) {
		ret = SMIME_TEMPFAIL;
		smime_err_set(err, "%s: %s", shown, strerror(errno));
		goto out;
	}
	if (!fs_entry_owner_ok(p, dirfd, &st)) {
		smime_err_set(err, "%s: owned by uid %lu, neither root nor the "
		    "owner of the store; refusing it (strict_modes)", shown,
		    (unsigned long)st.st_uid);
		goto out;
	}
	if (!fs_dir_ok(p, &st, shown, true, err))
		goto out;
	ret = SMIME_OK;
out:
	if (ret != SMIME_OK && *fd != -1) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

/*
 * Check the open file fd (status st, in a directory of status dirst;
 * shown names it) and read it into a new buffer, as smime_fs_read()
 * describes; owner_ok says whether its owner is acceptable.  A secret
 * (a private key) may be read by nobody but its owner and the group of
 * the directory holding it (the milter's group in the store: 0640); it
 * is checked whatever strict_modes says.
 */
static smime_status
fs_read_fd(const struct smime_fs_policy *p, int fd, const struct stat *st,
    const struct stat *dirst, const char *shown, bool owner_ok, bool secret,
    char **buf, size_t *len, struct smime_err *err)
{
	size_t got = 0;
	ssize_t n;
	smime_status ret = SMIME_POLICY;

	if (!S_ISREG(st->st_mode)) {
		smime_err_set(err, "%s: not a regular file", shown);
		goto out;
	}
	if (!owner_ok) {
		smime_err_set(err, "%s: owned by uid %lu, neither root nor "
		    "the owner of its directory; refusing it (strict_modes)",
		    shown, (unsigned long)st->st_uid);
		goto out;
	}
	if (secret && ((st->st_mode & (S_IRWXO | S_IWGRP | S_IXGRP)) != 0 ||
	    ((st->st_mode & S_IRGRP) != 0 && st->st_gid != dirst->st_gid))) {
		ret = SMIME_BADKEY;
		smime_err_set(err, "%s has mode %04o and may be read by %s; "
		    "refusing it (fix: chmod 600 %s, or 640 with the group of "
		    "its directory, the milter's)", shown,
		    (unsigned int)(st->st_mode & 07777),
		    (st->st_mode & S_IRWXO) != 0 ? "others" : "a group that "
		    "is not its directory's", shown);
		goto out;
	}
	if (p->fp_strict && (st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		smime_err_set(err, "%s: writable by group or others (mode "
		    "%04o); refusing it (strict_modes)", shown,
		    (unsigned int)(st->st_mode & 07777));
		goto out;
	}
	if (st->st_size > SMIME_FS_MAX_FILE) {
		smime_err_set(err, "%s: larger than %d bytes", shown,
		    SMIME_FS_MAX_FILE);
		goto out;
	}
	if ((*buf = OPENSSL_malloc((size_t)st->st_size + 1)) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_set(err, "out of memory");
		goto out;
	}
	while (got < (size_t)st->st_size) {
		n = read(fd, *buf + got, (size_t)st->st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ret = SMIME_TEMPFAIL;
			smime_err_set(err, "%s: %s", shown, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	(*buf)[got] = '\0';
	*len = got;
	ret = SMIME_OK;
out:
	if (ret != SMIME_OK && *buf != NULL) {
		OPENSSL_clear_free(*buf, (size_t)st->st_size + 1);
		*buf = NULL;
	}
	return ret;
}

smime_status
smime_fs_read(const struct smime_fs_policy *p, int dirfd, const char *where,
    const char *name, bool secret, char **buf, size_t *len, bool *missing,
    struct smime_err *err)
{
	char shown[PATH_MAX];
	struct stat st, dst;
	int fd = -1;
	smime_status ret = SMIME_POLICY;

	*buf = NULL;
	*len = 0;
	if (missing != NULL)
		*missing = false;
	snprintf(shown, sizeof(shown), "%s/%s", where, name);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT && missing != NULL) {
			*missing = true;
			ret = SMIME_OK;
		} else if (errno == ELOOP &&
		    smime_fs_kind(dirfd, name, &st) == 'l')
			fs_link_error(where, name, &st, err);
		else {
			ret = SMIME_TEMPFAIL;
			smime_err_set(err, "%s: %s", shown, strerror(errno));
		}
		goto out;
	}
	if (fstat(fd, &st) == -1 || fstat(dirfd, &dst) == -1) {
		ret = SMIME_TEMPFAIL;
		smime_err_set(err, "%s: %s", shown, strerror(errno));
		goto out;
	}
	/* Always: a second link may be a file from outside the store. */
	if (S_ISREG(st.st_mode) && st.st_nlink != 1) {
		smime_err_set(err, "%s has %lu hard links; a store file "
		    "has exactly one; refusing it", shown,
		    (unsigned long)st.st_nlink);
		goto out;
	}
	ret = fs_read_fd(p, fd, &st, &dst, shown, fs_entry_owner_ok(p, dirfd,
	    &st), secret, buf, len, err);
out:
	if (fd != -1)
		close(fd);
	return ret;
}

smime_status
smime_fs_read_path(const struct smime_fs_policy *p, const char *path,
    bool secret, char **buf, size_t *len, struct smime_err *err)
{
	char name[NAME_MAX + 1], shown[PATH_MAX], *abs = NULL, cwd[PATH_MAX];
	struct stat st, dst;
	int fd = -1, parent = -1;
	bool owner_ok;
	smime_status ret = SMIME_TEMPFAIL;

	*buf = NULL;
	*len = 0;
	/* The walk starts at "/"; a relative path is the caller's cwd's. */
	if (path[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			smime_err_set(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (asprintf(&abs, "%s/%s", cwd, path) == -1) {
			abs = NULL;
			ret = SMIME_NORESOURCE;
			smime_err_set(err, "out of memory");
			goto out;
		}
	}
	memset(&dst, 0, sizeof(dst));
	if ((ret = fs_walk_open(p, abs != NULL ? abs : path, O_RDONLY |
	    O_NONBLOCK | O_NOCTTY, &dst, &fd, &st, &parent, name, shown, err)) !=
	    SMIME_OK)
		goto out;
	if (fd == -1) {
		ret = SMIME_TEMPFAIL;
		smime_err_set(err, "%s: %s", path, strerror(ENOENT));
		goto out;
	}
	owner_ok = !p->fp_strict || fs_trusted(st.st_uid) ||
	    (p->fp_has_user && st.st_uid == p->fp_user);
	ret = fs_read_fd(p, fd, &st, &dst, path, owner_ok, secret, buf, len,
	    err);
out:
	if (fd != -1)
		close(fd);
	if (parent != -1)
		close(parent);
	free(abs);
	return ret;
}

/* Write all of data to fd; false with errno on failure. */
static bool
fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

smime_status
smime_fs_write(int dirfd, const char *where, const char *name,
    const void *data, size_t len, mode_t mode, bool chown, uid_t uid,
    gid_t gid, struct smime_err *err)
{
	static unsigned int counter;
	char tmp[NAME_MAX + 1];
	int fd = -1, tries;
	bool made = false;
	smime_status ret = SMIME_TEMPFAIL;

	for (tries = 0; tries < 100 && fd == -1; tries++) {
		snprintf(tmp, sizeof(tmp), ".%.200s.%lx%x%x", name,
		    (unsigned long)getpid(), (unsigned int)time(NULL) & 0xfff,
		    counter++);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST) {
			smime_err_set(err, "%s/%s: %s", where, tmp,
			    strerror(errno));
			goto out;
		}
	}
	if (fd == -1) {
		smime_err_set(err, "%s: cannot create a temporary file", where);
		goto out;
	}
	made = true;
	if (!fs_write_all(fd, data, len) || (chown && fchown(fd, uid, gid) ==
	    -1) || fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		smime_err_set(err, "%s/%s: %s", where, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		smime_err_set(err, "%s/%s: %s", where, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	/* rename() replaces a link at name; it never follows it. */
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		smime_err_set(err, "%s/%s: %s", where, name, strerror(errno));
		goto out;
	}
	made = false;
	ret = SMIME_OK;
out:
	if (fd != -1)
		close(fd);
	if (made)
		(void)unlinkat(dirfd, tmp, 0);
	return ret;
}

smime_status
smime_fs_remove(int dirfd, const char *where, const char *name,
    struct smime_err *err)
{
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT) {
		smime_err_set(err, "%s/%s: %s", where, name, strerror(errno));
		return SMIME_TEMPFAIL;
	}
	return SMIME_OK;
}

smime_status
smime_fs_sync(int dirfd, const char *where, struct smime_err *err)
{
	if (fsync(dirfd) == -1) {
		smime_err_set(err, "fsync %s: %s", where, strerror(errno));
		return SMIME_TEMPFAIL;
	}
	return SMIME_OK;
}

smime_status
smime_fs_write_path(const char *path, const void *data, size_t len,
    mode_t mode, struct smime_err *err)
{
	char dir[PATH_MAX];
	const char *base, *slash = strrchr(path, '/');
	int dirfd = -1;
	smime_status ret = SMIME_SYNTAX;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		base = path;
	} else if ((size_t)(slash - path) >= sizeof(dir)) {
		smime_err_set(err, "%.200s...: path too long", path);
		goto out;
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (dir[0] == '\0')
			snprintf(dir, sizeof(dir), "/");
		base = slash + 1;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		smime_err_set(err, "%s: not a file name", path);
		goto out;
	}
	ret = SMIME_TEMPFAIL;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		smime_err_set(err, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((ret = smime_fs_write(dirfd, dir, base, data, len, mode, false, 0,
	    0, err)) != SMIME_OK)
		goto out;
	ret = smime_fs_sync(dirfd, dir, err);
out:
	if (dirfd != -1)
		close(dirfd);
	return ret;
}
