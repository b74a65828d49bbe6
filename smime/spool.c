/*
 * spool.c - memory-then-file byte store with BIO access.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>

#include "smime/spool.h"

/*
 * In memory the bytes live in fixed segments of SPOOL_SEG bytes: appending
 * never moves what is there (a growing realloc() copied a 1 MB body
 * several times and, past the allocator's mmap threshold, faulted fresh
 * pages in for every message), and segments of this size come back from
 * the allocator's free lists message after message.
 */
#define SPOOL_SEG	SMIME_SPOOL_SEGMENT

struct smime_spool {
	size_t		  sp_mem_limit;
	unsigned char	**sp_segs;	/* NULL once on disk */
	size_t		  sp_nsegs;	/* allocated segments */
	size_t		  sp_asegs;	/* room in sp_segs */
	int		  sp_fd;	/* -1 while in memory */
	uint64_t	  sp_size;
	char		 *sp_tmpdir;
};

struct smime_spool *
smime_spool_new(size_t mem_limit, const char *tmpdir)
{
	struct smime_spool *spool;

	if ((spool = calloc(1, sizeof(*spool))) == NULL)
		return NULL;
	spool->sp_fd = -1;
	spool->sp_mem_limit = mem_limit;
	if (tmpdir == NULL)
		tmpdir = getenv("TMPDIR");
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if ((spool->sp_tmpdir = strdup(tmpdir)) == NULL) {
		free(spool);
		return NULL;
	}
	return spool;
}

/* Free the memory segments; wipe them first when asked. */
static void
smime_spool_free_segs(struct smime_spool *spool, bool wipe)
{
	size_t i;

	for (i = 0; i < spool->sp_nsegs; i++) {
		if (wipe)
			OPENSSL_cleanse(spool->sp_segs[i], SPOOL_SEG);
		free(spool->sp_segs[i]);
	}
	free(spool->sp_segs);
	spool->sp_segs = NULL;
	spool->sp_nsegs = spool->sp_asegs = 0;
}

void
smime_spool_free(struct smime_spool *spool)
{
	if (spool == NULL)
		return;
	if (spool->sp_fd != -1)
		close(spool->sp_fd);
	smime_spool_free_segs(spool, false);
	free(spool->sp_tmpdir);
	free(spool);
}

uint64_t
smime_spool_size(const struct smime_spool *spool)
{
	return spool->sp_size;
}

bool
smime_spool_on_disk(const struct smime_spool *spool)
{
	return spool->sp_fd != -1;
}

static smime_status
smime_spool_write_fd(int fd, uint64_t off, const unsigned char *data,
    size_t len, struct smime_err *err)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, data, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			smime_err_set(err, "spool write: %s",
			    n < 0 ? strerror(errno) : "short write");
			return SMIME_TEMPFAIL;
		}
		data += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return SMIME_OK;
}

/* Move the in-memory bytes to an unlinked temporary file. */
static smime_status
smime_spool_to_disk(struct smime_spool *spool, struct smime_err *err)
{
	size_t pathlen = strlen(spool->sp_tmpdir) + sizeof("/smime-spool.XXXXXX");
	char *path;
	uint64_t off;
	size_t i, n;
	int fd;
	smime_status ret = SMIME_TEMPFAIL;

	if ((path = malloc(pathlen)) == NULL)
		return SMIME_NORESOURCE;
	snprintf(path, pathlen, "%s/smime-spool.XXXXXX", spool->sp_tmpdir);
	if ((fd = mkstemp(path)) == -1) {
		smime_err_set(err, "cannot create spool file in %s: %s",
		    spool->sp_tmpdir, strerror(errno));
		goto out;
	}
	/* Unlinked at once: a crash never leaves message bodies behind. */
	unlink(path);
	for (i = 0, off = 0; off < spool->sp_size; i++, off += n) {
		n = spool->sp_size - off < SPOOL_SEG ?
		    (size_t)(spool->sp_size - off) : SPOOL_SEG;
		if ((ret = smime_spool_write_fd(fd, off, spool->sp_segs[i], n,
		    err)) != SMIME_OK) {
			close(fd);
			goto out;
		}
	}
	spool->sp_fd = fd;
	smime_spool_free_segs(spool, true);
	ret = SMIME_OK;
out:
	free(path);
	return ret;
}

/* Make room for segment index i (allocating it). */
static smime_status
smime_spool_add_seg(struct smime_spool *spool)
{
	unsigned char **segs;
	size_t n;

	if (spool->sp_nsegs == spool->sp_asegs) {
		n = spool->sp_asegs == 0 ? 8 : spool->sp_asegs * 2;
		if ((segs = reallocarray(spool->sp_segs, n, sizeof(*segs))) ==
		    NULL)
			return SMIME_NORESOURCE;
		spool->sp_segs = segs;
		spool->sp_asegs = n;
	}
	if ((spool->sp_segs[spool->sp_nsegs] = malloc(SPOOL_SEG)) == NULL)
		return SMIME_NORESOURCE;
	spool->sp_nsegs++;
	return SMIME_OK;
}

smime_status
smime_spool_write(struct smime_spool *spool, const void *data, size_t len,
    struct smime_err *err)
{
	const unsigned char *p = data;
	size_t seg, at, n;
	smime_status ret;

	if (len == 0)
		return SMIME_OK;
	if (spool->sp_fd == -1 && spool->sp_size + len > spool->sp_mem_limit &&
	    (ret = smime_spool_to_disk(spool, err)) != SMIME_OK)
		return ret;
	if (spool->sp_fd != -1) {
		ret = smime_spool_write_fd(spool->sp_fd, spool->sp_size, data,
		    len, err);
		if (ret == SMIME_OK)
			spool->sp_size += len;
		return ret;
	}
	while (len > 0) {
		seg = (size_t)(spool->sp_size / SPOOL_SEG);
		at = (size_t)(spool->sp_size % SPOOL_SEG);
		if (seg == spool->sp_nsegs &&
		    (ret = smime_spool_add_seg(spool)) != SMIME_OK) {
			smime_err_set(err, "spool: out of memory");
			return ret;
		}
		n = SPOOL_SEG - at < len ? SPOOL_SEG - at : len;
		memcpy(spool->sp_segs[seg] + at, p, n);
		spool->sp_size += n;
		p += n;
		len -= n;
	}
	return SMIME_OK;
}

smime_status
smime_spool_read_at(struct smime_spool *spool, uint64_t off, void *buf,
    size_t len, size_t *got, struct smime_err *err)
{
	const unsigned char *p;
	ssize_t rn;
	size_t n;

	*got = 0;
	if (off >= spool->sp_size || len == 0)
		return SMIME_OK;
	if (len > spool->sp_size - off)
		len = (size_t)(spool->sp_size - off);
	if (spool->sp_fd == -1) {
		for (*got = 0; *got < len; *got += n, off += n) {
			n = smime_spool_peek(spool, off, &p);
			if (n > len - *got)
				n = len - *got;
			memcpy((unsigned char *)buf + *got, p, n);
		}
		return SMIME_OK;
	}
	do
		rn = pread(spool->sp_fd, buf, len, (off_t)off);
	while (rn < 0 && errno == EINTR);
	if (rn < 0) {
		smime_err_set(err, "spool read: %s", strerror(errno));
		return SMIME_TEMPFAIL;
	}
	*got = (size_t)rn;
	return SMIME_OK;
}

size_t
smime_spool_peek(const struct smime_spool *spool, uint64_t off,
    const unsigned char **p)
{
	size_t at, n;

	*p = NULL;
	if (spool->sp_fd != -1 || off >= spool->sp_size)
		return 0;
	at = (size_t)(off % SPOOL_SEG);
	n = SPOOL_SEG - at;
	if (n > spool->sp_size - off)
		n = (size_t)(spool->sp_size - off);
	*p = spool->sp_segs[off / SPOOL_SEG] + at;
	return n;
}

/* ---- BIO glue ---- */

struct smime_spool_bio {
	struct smime_spool	*sb_spool;
	uint64_t		 sb_pos;
	uint64_t		 sb_end;	/* UINT64_MAX: spool end */
};

static int
smime_spool_bio_read(BIO *bio, char *buf, size_t len, size_t *readbytes)
{
	struct smime_spool_bio *sb = BIO_get_data(bio);
	uint64_t end = sb->sb_end;
	size_t got;

	*readbytes = 0;
	BIO_clear_retry_flags(bio);
	if (end == UINT64_MAX || end > sb->sb_spool->sp_size)
		end = sb->sb_spool->sp_size;
	if (sb->sb_pos >= end)
		return 0;
	if (len > end - sb->sb_pos)
		len = (size_t)(end - sb->sb_pos);
	if (smime_spool_read_at(sb->sb_spool, sb->sb_pos, buf, len, &got,
	    NULL) != SMIME_OK || got == 0)
		return 0;
	sb->sb_pos += got;
	*readbytes = got;
	return 1;
}

static int
smime_spool_bio_write(BIO *bio, const char *buf, size_t len, size_t *written)
{
	struct smime_spool_bio *sb = BIO_get_data(bio);

	*written = 0;
	BIO_clear_retry_flags(bio);
	if (smime_spool_write(sb->sb_spool, buf, len, NULL) != SMIME_OK)
		return 0;
	*written = len;
	return 1;
}

static long
smime_spool_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	struct smime_spool_bio *sb = BIO_get_data(bio);
	uint64_t end;

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF:
		end = sb->sb_end == UINT64_MAX ? sb->sb_spool->sp_size :
		    sb->sb_end;
		return sb->sb_pos >= end;
	case BIO_CTRL_PENDING:
		end = sb->sb_end == UINT64_MAX ? sb->sb_spool->sp_size :
		    sb->sb_end;
		return sb->sb_pos >= end ? 0 : (long)(end - sb->sb_pos > 65536 ?
		    65536 : end - sb->sb_pos);
	default:
		return 0;
	}
}

static int
smime_spool_bio_destroy(BIO *bio)
{
	free(BIO_get_data(bio));
	BIO_set_data(bio, NULL);
	return 1;
}

static BIO_METHOD *smime_spool_bio_method;

static void
smime_spool_bio_method_init(void)
{
	BIO_METHOD *meth;

	meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "smime spool");
	if (meth == NULL)
		return;
	BIO_meth_set_read_ex(meth, smime_spool_bio_read);
	BIO_meth_set_write_ex(meth, smime_spool_bio_write);
	BIO_meth_set_ctrl(meth, smime_spool_bio_ctrl);
	BIO_meth_set_destroy(meth, smime_spool_bio_destroy);
	smime_spool_bio_method = meth;
}

static BIO *
smime_spool_new_bio(struct smime_spool *spool, uint64_t off, uint64_t end)
{
	static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
	struct smime_spool_bio *sb;
	BIO *bio;

	if (!CRYPTO_THREAD_run_once(&once, smime_spool_bio_method_init) ||
	    smime_spool_bio_method == NULL)
		return NULL;
	if ((sb = calloc(1, sizeof(*sb))) == NULL)
		return NULL;
	if ((bio = BIO_new(smime_spool_bio_method)) == NULL) {
		free(sb);
		return NULL;
	}
	sb->sb_spool = spool;
	sb->sb_pos = off;
	sb->sb_end = end;
	BIO_set_data(bio, sb);
	BIO_set_init(bio, 1);
	return bio;
}

BIO *
smime_spool_new_read_bio(struct smime_spool *spool, uint64_t off, uint64_t len)
{
	uint64_t end = len == UINT64_MAX || off + len < off ? UINT64_MAX :
	    off + len;

	return smime_spool_new_bio(spool, off, end);
}

BIO *
smime_spool_new_write_bio(struct smime_spool *spool)
{
	return smime_spool_new_bio(spool, 0, UINT64_MAX);
}
