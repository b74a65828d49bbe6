/*
 * safefs.h - file operations that an unprivileged account cannot redirect,
 * for the key store (written by root, read by the milter) and for the
 * files the configuration names.
 *
 * The ownership model (smime-enroll(8)): the store tree belongs to root
 * with the milter's group, directories 0750, keys 0640, everything else
 * 0644; only root writes it.  Inside the store nothing is ever followed:
 * every step is openat(..., O_NOFOLLOW) from the store's directory
 * descriptor, files are created under a temporary name with
 * O_EXCL|O_NOFOLLOW and renamed within the directory, and every file is
 * checked with fstat() on the open descriptor before it is trusted
 * (regular, one link, owner, mode).  Outside the store (the path to it,
 * the configuration file and what it names), symbolic links are followed
 * only when root or we own them, and every directory on the way must
 * belong to root or us and be writable by nobody else (sshd's
 * StrictModes; a root-owned sticky directory such as /tmp is fine).
 * fp_strict = false (strict_modes = false) turns the owner and mode
 * checks off for test set-ups; links are never followed in the store.
 */
#ifndef SMIME_SAFEFS_H
#define SMIME_SAFEFS_H

#include <sys/stat.h>
#include <sys/types.h>

#include "smime/err.h"
#include "smime/smime.h"

/* Who may own what we read; see above. */
struct smime_fs_policy {
	bool	fp_strict;	/* check owners and modes */
	bool	fp_has_user;	/* fp_user is set */
	uid_t	fp_user;	/* the milter's user: may own an old store */
};

/* Largest file smime_fs_read() accepts. */
#define SMIME_FS_MAX_FILE	(4 * 1024 * 1024)

/*
 * Check path (a file or a directory; want_dir: must be one) and every directory
 * leading to it as described above; a file may also belong to the
 * milter's user (fp_user) when set.  A missing path is SMIME_OK with
 * *missing true (missing may be NULL: then it is an error).  Returns
 * SMIME_OK or SMIME_POLICY with "PATH: what is wrong" in err.
 */
smime_status smime_fs_check_path(const struct smime_fs_policy *p,
    const char *path, bool want_dir, bool *missing, struct smime_err *err);

/*
 * Open the directory path safely (the walk of smime_fs_check_path()); the
 * directory itself may also belong to the milter's user (a store from
 * before the ownership model).  When it is missing and create is true it
 * is made with mode and, if chown, given to uid:gid.  *fd is an
 * O_RDONLY|O_DIRECTORY descriptor the caller closes; -1 with *missing
 * (may be NULL) when it does not exist and create is false.  Returns
 * SMIME_OK, SMIME_POLICY (unsafe) or SMIME_TEMPFAIL (I/O).
 */
smime_status smime_fs_open_dir(const struct smime_fs_policy *p,
    const char *path, bool create, mode_t mode, bool chown, uid_t uid,
    gid_t gid, int *fd, bool *missing, struct smime_err *err);

/*
 * Open the subdirectory name of dirfd without following a link; create
 * it (mode, uid:gid when chown) if missing and create.  It must belong to
 * root or to the owner of dirfd, and be writable by neither group nor
 * others.  *fd as for smime_fs_open_dir(); where names it in messages.
 */
smime_status smime_fs_open_subdir(const struct smime_fs_policy *p,
    int dirfd, const char *where, const char *name, bool create,
    mode_t mode, bool chown, uid_t uid, gid_t gid, int *fd, bool *missing,
    struct smime_err *err);

/*
 * Read the regular file name of dirfd (no link followed, one hard link,
 * owner root or dirfd's owner, not group/world-writable; when secret, no
 * access for others, no group write, group read only for dirfd's group)
 * into a new NUL-terminated buffer
 * *buf of *len bytes (OPENSSL_malloc), freed by the caller with
 * OPENSSL_clear_free(*buf, *len + 1).  Missing: SMIME_OK with *buf NULL and
 * *missing true.  Returns SMIME_OK, SMIME_POLICY, SMIME_TEMPFAIL or
 * SMIME_NORESOURCE.
 */
smime_status smime_fs_read(const struct smime_fs_policy *p, int dirfd,
    const char *where, const char *name, bool secret, char **buf,
    size_t *len, bool *missing, struct smime_err *err);

/*
 * Read the regular file path (relative: to the working directory) into
 * a new buffer as smime_fs_read() does, reaching it the way
 * smime_fs_check_path() walks: links followed only when root or we own
 * them, every directory on the way root's or ours and writable by
 * nobody else; the file belongs to root, us or the milter's user and is
 * not group/world-writable (those checks only when strict).  A secret
 * (private key) may be read by nobody but its owner and the group of its
 * directory (0600, or 0640 with the milter's group), whatever fp_strict
 * says.  Messages name path.  Returns SMIME_OK, SMIME_BADKEY (a secret
 * others may read), SMIME_POLICY, SMIME_TEMPFAIL (missing, I/O) or
 * SMIME_NORESOURCE.
 */
smime_status smime_fs_read_path(const struct smime_fs_policy *p,
    const char *path, bool secret, char **buf, size_t *len,
    struct smime_err *err);

/*
 * Replace name in dirfd atomically with len bytes of data: a new file
 * ".NAME.XXXXXX" (O_CREAT|O_EXCL|O_NOFOLLOW) gets mode and, when chown,
 * uid:gid, is fsynced and renamed over name within dirfd.  A link at name
 * is replaced, never followed.  Returns SMIME_OK or SMIME_TEMPFAIL.
 */
smime_status smime_fs_write(int dirfd, const char *where, const char *name,
    const void *data, size_t len, mode_t mode, bool chown, uid_t uid,
    gid_t gid, struct smime_err *err);

/*
 * What name in dirfd is, without following a link: 0 missing, 'f' file,
 * 'd' directory, 'l' link, '?' other; *st (may be NULL) is filled.
 */
int smime_fs_kind(int dirfd, const char *name, struct stat *st);

/* Remove name from dirfd (a link itself, never its target); ENOENT is
 * fine.  SMIME_OK or SMIME_TEMPFAIL. */
smime_status smime_fs_remove(int dirfd, const char *where, const char *name,
    struct smime_err *err);

/* fsync the directory dirfd.  SMIME_OK or SMIME_TEMPFAIL. */
smime_status smime_fs_sync(int dirfd, const char *where,
    struct smime_err *err);

/*
 * Replace the file path atomically with len bytes of data, as
 * smime_fs_write() does in path's directory (reached the ordinary way,
 * for files outside the store: the CRL cache, the e-mail roots), then
 * fsync that directory.  No chown.  The one way this library writes a
 * file that readers may open at any moment.  Returns SMIME_OK,
 * SMIME_SYNTAX (path too long or without a file name) or SMIME_TEMPFAIL,
 * err set.
 */
smime_status smime_fs_write_path(const char *path, const void *data,
    size_t len, mode_t mode, struct smime_err *err);

#endif /* SMIME_SAFEFS_H */
