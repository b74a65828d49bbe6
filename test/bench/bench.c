/*
 * bench - throughput, latency and memory of smime-milter, against the two
 * baselines that bound it: OpenSSL's raw CMS signing rate for the same key
 * (in-process, one core) and a naive content filter that runs
 * `openssl smime -sign` once per message.
 *
 *   bench -M smime-milter -P PKIDIR -O OPENSSL [-d WORKDIR] [-c CONC]
 *         [-s SECONDS] [-j JSONFILE] [-b BIG_MB] [-q]
 *
 * Messages are generated in WORKDIR (CRLF, as the MTA sends them), the
 * daemon is started in the foreground on a unix socket with a config
 * written there, and CONC threads each keep one milter connection and
 * send messages until SECONDS pass (large messages: a fixed count).
 * Every result is checked: a signed message must come back with a new
 * body, a verified one with smime=pass.  Peak RSS (VmHWM) is read from
 * /proc for a fresh daemon after one 10 KB and after one BIG_MB message.
 * A table goes to stdout, the same numbers as JSON to JSONFILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "test/client/mclient.h"

extern char **environ;

#define BENCH_MAXFIELDS	64

/* A message file loaded for sending: header fields parsed, body by offset. */
struct bmsg {
	const char	*bm_path;
	int		 bm_fd;
	off_t		 bm_body_off;
	off_t		 bm_size;
	char		*bm_hdrbuf;
	struct mc_field	 bm_fields[BENCH_MAXFIELDS];
	size_t		 bm_nfields;
};

enum bexpect { BX_SIGN, BX_VERIFY };

/* What one "message" of a scenario is. */
enum bkind {
	BK_MILTER,	/* through smime-milter over the milter protocol */
	BK_RAW,		/* CMS_sign() in this process, no I/O */
	BK_NAIVE	/* fork+exec openssl smime -sign per message */
};

/* Key material for the in-process baseline (read-only once loaded). */
struct rawkey {
	X509		*rk_cert;
	EVP_PKEY	*rk_key;
	STACK_OF(X509)	*rk_chain;
	unsigned char	*rk_data;	/* the MIME entity to sign */
	size_t		 rk_len;
};

struct scenario {
	const char	*sc_name;
	enum bkind	 sc_kind;
	struct bmsg	*sc_msg;
	const char	*sc_from;	/* envelope sender */
	const char	*sc_auth;	/* NULL: unauthenticated */
	struct rawkey	*sc_raw;	/* BK_RAW */
	char *const	*sc_argv;	/* BK_NAIVE */
	enum bexpect	 sc_expect;
	int		 sc_conc;
	double		 sc_seconds;	/* run time bound */
	long		 sc_max;	/* message count bound */
	/* results */
	long		 sc_done;
	long		 sc_errors;
	double		 sc_elapsed;
	double		 sc_rate;
	double		 sc_p50, sc_p90, sc_p99;	/* ms */
	double		 sc_mbps;
};

/* Shared by the threads of one scenario run. */
struct run {
	struct scenario	*r_sc;
	const char	*r_sock;
	atomic_long	 r_next;
	atomic_long	 r_errors;
	double		 r_deadline;
	double		*r_lat;		/* r_sc->sc_max slots */
	atomic_long	 r_nlat;
	char		 r_firsterr[MC_ERRLEN];
	pthread_mutex_t	 r_lock;
};

struct body_cursor {
	int	bc_fd;
	off_t	bc_off;
	off_t	bc_end;
};

struct check {
	bool	ck_replaced;
	bool	ck_pass;
	size_t	ck_bytes;
};

static const char *opt_openssl = "openssl";
static bool opt_quiet;

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Report a setup failure and exit: the benchmark cannot go on. */
static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
progress(const char *what)
{
	if (!opt_quiet)
		fprintf(stderr, "bench: %s\n", what);
}

/*
 * Write a plain text message of about size bytes (CRLF) to path; from NULL
 * writes only a MIME entity (Content-Type and body), the input for
 * openssl's signer.
 */
static void
gen_plain(const char *path, const char *from, size_t size)
{
	static const char line[] = "Campaign news: polling stations open "
	    "from 7:00 to 20:00, bring your voting card.  ";
	FILE *fp = fopen(path, "wb");
	size_t n = 0, i = 0;

	if (fp == NULL)
		die("cannot create %s", path);
	if (from != NULL)
		fprintf(fp, "From: <%s>\r\nTo: <voter@example.net>\r\n"
		    "Subject: bench\r\nMessage-ID: <bench@example.jp>\r\n"
		    "MIME-Version: 1.0\r\n", from);
	fprintf(fp, "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	while (n < size) {
		n += (size_t)fprintf(fp, "%08zu %.*s\r\n", i++,
		    (int)(sizeof(line) - 1), line);
	}
	if (fclose(fp) != 0)
		die("write error on %s", path);
}

/* Run argv to completion; returns its exit status (-1: not run). */
static int
run_cmd(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
	    out != NULL ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Make a message signed by openssl (an independent signer) for the verify
 * runs: From/To/Subject, then openssl's multipart/signed over entity, all
 * lines re-terminated with CRLF.
 */
static void
gen_signed(const char *dir, const char *pki, const char *entity,
    const char *path)
{
	char cert[512], key[512], chain[512], raw[512];
	char *argv[] = { (char *)opt_openssl, "cms", "-sign", "-signer", cert,
	    "-inkey", key, "-certfile", chain, "-in", (char *)entity,
	    "-stream", NULL };
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	snprintf(cert, sizeof(cert), "%s/taro.crt", pki);
	snprintf(key, sizeof(key), "%s/taro.key", pki);
	snprintf(chain, sizeof(chain), "%s/chain.pem", pki);
	snprintf(raw, sizeof(raw), "%s/signed.raw", dir);
	if (run_cmd(argv, raw) != 0)
		die("openssl cms -sign failed for %s", entity);
	if ((in = fopen(raw, "rb")) == NULL || (out = fopen(path, "wb")) == NULL)
		die("cannot write %s", path);
	fprintf(out, "From: <taro@example.jp>\r\nTo: <voter@example.net>\r\n"
	    "Subject: signed bench\r\n");
	while ((n = getline(&line, &cap, in)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		fprintf(out, "%s\r\n", line);
	}
	free(line);
	fclose(in);
	if (fclose(out) != 0)
		die("write error on %s", path);
	unlink(raw);
}

/* Load the header section of path (CRLF) and remember the body offset. */
static void
bmsg_load(struct bmsg *m, const char *path)
{
	char buf[16384], *p, *end, *eol, *colon;
	ssize_t n;
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->bm_path = path;
	if ((m->bm_fd = open(path, O_RDONLY)) < 0 || fstat(m->bm_fd, &st) != 0)
		die("cannot open %s", path);
	m->bm_size = st.st_size;
	if ((n = pread(m->bm_fd, buf, sizeof(buf) - 1, 0)) <= 0)
		die("cannot read %s", path);
	buf[n] = '\0';
	if ((end = strstr(buf, "\r\n\r\n")) == NULL)
		die("no header end in %s", path);
	m->bm_body_off = end - buf + 4;
	end[2] = '\0';
	if ((m->bm_hdrbuf = strdup(buf)) == NULL)
		die("out of memory");
	/* Split into fields; folding becomes LF as the MTA sends it. */
	for (p = m->bm_hdrbuf; *p != '\0'; p = eol + 2) {
		eol = strstr(p, "\r\n");
		if (*p == ' ' || *p == '\t') {
			p[-2] = '\n';	/* join to the previous field */
			memmove(p - 1, p, strlen(p) + 1);
			eol = strstr(p - 1, "\r\n");
			*eol = '\0';
			eol[1] = '\0';
			continue;
		}
		if ((colon = strchr(p, ':')) == NULL || colon > eol ||
		    m->bm_nfields == BENCH_MAXFIELDS)
			die("bad header in %s", path);
		*colon = '\0';
		*eol = '\0';
		for (colon++; *colon == ' ' || *colon == '\t'; colon++)
			;
		m->bm_fields[m->bm_nfields].mf_name = p;
		m->bm_fields[m->bm_nfields].mf_value = colon;
		m->bm_nfields++;
	}
}

/* mc_body_fn over a file range. */
static ssize_t
body_pread(void *arg, unsigned char *buf, size_t len)
{
	struct body_cursor *bc = arg;
	ssize_t n;

	if (bc->bc_off >= bc->bc_end)
		return 0;
	if ((off_t)len > bc->bc_end - bc->bc_off)
		len = (size_t)(bc->bc_end - bc->bc_off);
	if ((n = pread(bc->bc_fd, buf, len, bc->bc_off)) > 0)
		bc->bc_off += n;
	return n;
}

static int
check_header(void *arg, char op, uint32_t index, const char *name,
    const char *value)
{
	struct check *ck = arg;

	(void)op;
	(void)index;
	if (strcasecmp(name, "Authentication-Results") == 0 &&
	    strstr(value, "smime=pass") != NULL)
		ck->ck_pass = true;
	return 0;
}

static int
check_body(void *arg, const unsigned char *chunk, size_t len)
{
	struct check *ck = arg;

	(void)chunk;
	ck->ck_replaced = true;
	ck->ck_bytes += len;
	return 0;
}

/*
 * Send message number k through the milter on *conn (opened on demand,
 * closed after a protocol error) and check the result.  Returns NULL or
 * why it failed (in err or a static string).
 */
static const char *
one_milter(struct run *r, struct mc_conn **conn, long k, char *err,
    size_t errlen)
{
	struct scenario *sc = r->r_sc;
	struct mc_connect_info ci = { "192.0.2.10", NULL, "bench.example",
	    "mx.test" };
	const char *rcpt[] = { "<voter@example.net>" };
	struct mc_envelope env = { NULL, sc->sc_auth, sc->sc_from, rcpt, 1 };
	struct check ck;
	struct mc_result_ops ops = { check_header, check_body, &ck };
	struct body_cursor bc = { sc->sc_msg->bm_fd, sc->sc_msg->bm_body_off,
	    sc->sc_msg->bm_size };
	struct mc_outcome out;
	char qid[32];

	snprintf(qid, sizeof(qid), "B%08lX", (unsigned long)k);
	env.env_qid = qid;
	memset(&ck, 0, sizeof(ck));
	if (*conn == NULL && (*conn = mc_open(r->r_sock, &ci, 600000, false,
	    err, errlen)) == NULL)
		return err;
	if (mc_message(*conn, &env, sc->sc_msg->bm_fields,
	    sc->sc_msg->bm_nfields, body_pread, &bc, &ops, &out) != 0) {
		snprintf(err, errlen, "%s", mc_error(*conn));
		mc_close(*conn);
		*conn = NULL;
		return err;
	}
	if (out.mo_verdict != MC_ACCEPT) {
		snprintf(err, errlen, "%s: %.400s", mc_verdict_name(out.mo_verdict),
		    out.mo_reply);
		return err;
	}
	if (sc->sc_expect == BX_SIGN && !ck.ck_replaced)
		return "accepted but not signed";
	if (sc->sc_expect == BX_VERIFY && !ck.ck_pass)
		return "no smime=pass";
	return NULL;
}

/* Sign the entity in memory as the milter would (detached, chain, SHA-256). */
static const char *
one_raw(const struct rawkey *rk)
{
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL, *out = NULL;
	const char *why = "CMS signing failed";
	int i, fl = CMS_PARTIAL | CMS_DETACHED | CMS_BINARY;

	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, fl)) == NULL ||
	    CMS_add1_signer(cms, rk->rk_cert, rk->rk_key, EVP_sha256(),
	    CMS_BINARY) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(rk->rk_chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(rk->rk_chain, i)))
			goto out;
	if ((in = BIO_new_mem_buf(rk->rk_data, (int)rk->rk_len)) == NULL ||
	    (out = BIO_new(BIO_s_null())) == NULL ||
	    CMS_final(cms, in, NULL, fl) <= 0 || i2d_CMS_bio(out, cms) <= 0)
		goto out;
	why = NULL;
out:
	ERR_clear_error();
	BIO_free(in);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	return why;
}

/* One client thread: messages until the run's count or time is used up. */
static void *
worker(void *arg)
{
	struct run *r = arg;
	struct scenario *sc = r->r_sc;
	struct mc_conn *conn = NULL;
	char err[MC_ERRLEN];
	const char *why;
	long k;
	double t0;

	while ((k = atomic_fetch_add(&r->r_next, 1)) < sc->sc_max &&
	    now() < r->r_deadline) {
		t0 = now();
		if (sc->sc_kind == BK_RAW)
			why = one_raw(sc->sc_raw);
		else if (sc->sc_kind == BK_NAIVE)
			why = run_cmd(sc->sc_argv, NULL) == 0 ? NULL :
			    "openssl smime -sign failed";
		else
			why = one_milter(r, &conn, k, err, sizeof(err));
		if (why != NULL) {
			if (atomic_fetch_add(&r->r_errors, 1) == 0) {
				pthread_mutex_lock(&r->r_lock);
				snprintf(r->r_firsterr, sizeof(r->r_firsterr),
				    "%s", why);
				pthread_mutex_unlock(&r->r_lock);
			}
			if (conn == NULL && sc->sc_kind == BK_MILTER)
				usleep(100000);
			continue;
		}
		r->r_lat[atomic_fetch_add(&r->r_nlat, 1)] = now() - t0;
	}
	mc_close(conn);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of sorted v[n] in milliseconds (nearest rank). */
static double
pct(const double *v, long n, double p)
{
	long i;

	if (n == 0)
		return 0;
	i = (long)(p / 100.0 * (double)n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i] * 1000.0;
}

/* Run scenario sc against the daemon on sock and fill its results. */
static void
run_scenario(struct scenario *sc, const char *sock)
{
	struct run r;
	pthread_t *tids;
	double t0;
	int i;

	memset(&r, 0, sizeof(r));
	r.r_sc = sc;
	r.r_sock = sock;
	pthread_mutex_init(&r.r_lock, NULL);
	if ((r.r_lat = calloc((size_t)sc->sc_max, sizeof(double))) == NULL ||
	    (tids = calloc((size_t)sc->sc_conc, sizeof(*tids))) == NULL)
		die("out of memory");
	if (!opt_quiet)
		fprintf(stderr, "bench: %s (%d connections)...\n", sc->sc_name,
		    sc->sc_conc);
	t0 = now();
	r.r_deadline = t0 + sc->sc_seconds;
	for (i = 0; i < sc->sc_conc; i++)
		if (pthread_create(&tids[i], NULL, worker, &r) != 0)
			die("pthread_create");
	for (i = 0; i < sc->sc_conc; i++)
		pthread_join(tids[i], NULL);
	sc->sc_elapsed = now() - t0;
	sc->sc_done = atomic_load(&r.r_nlat);
	sc->sc_errors = atomic_load(&r.r_errors);
	qsort(r.r_lat, (size_t)sc->sc_done, sizeof(double), cmp_double);
	sc->sc_rate = (double)sc->sc_done / sc->sc_elapsed;
	sc->sc_p50 = pct(r.r_lat, sc->sc_done, 50);
	sc->sc_p90 = pct(r.r_lat, sc->sc_done, 90);
	sc->sc_p99 = pct(r.r_lat, sc->sc_done, 99);
	sc->sc_mbps = sc->sc_msg == NULL ? 0 :
	    sc->sc_rate * (double)sc->sc_msg->bm_size / 1e6;
	if (sc->sc_errors > 0)
		fprintf(stderr, "bench: %s: %ld errors, first: %s\n",
		    sc->sc_name, sc->sc_errors, r.r_firsterr);
	free(r.r_lat);
	free(tids);
	pthread_mutex_destroy(&r.r_lock);
}

/* Start smime-milter -f on sock; returns its pid once the socket exists. */
static pid_t
daemon_start(const char *milter, const char *conf, const char *sock,
    const char *errlog)
{
	char spec[600];
	char *argv[] = { (char *)milter, "-f", "-c", (char *)conf, "-p", spec,
	    NULL };
	posix_spawn_file_actions_t fa;
	struct stat st;
	pid_t pid;
	int i;

	snprintf(spec, sizeof(spec), "unix:%s", sock);
	unlink(sock);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errlog,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (posix_spawn(&pid, milter, &fa, NULL, argv, environ) != 0)
		die("cannot start %s", milter);
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < 200; i++) {
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			die("smime-milter exited at start; see %s", errlog);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	die("smime-milter did not create its socket; see %s", errlog);
	return -1;
}

/* SIGTERM, wait up to 10 s, then SIGKILL. */
static void
daemon_stop(pid_t pid)
{
	int i;

	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A "Vm...:" value of /proc/PID/status in KiB, -1 if unavailable. */
static long
proc_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			v = strtol(line + flen + 1, NULL, 10);
	fclose(fp);
	return v;
}

/* Load cert, key, chain and the entity to sign for the raw baseline. */
static void
rawkey_load(struct rawkey *rk, const char *pki, const char *name,
    const char *entity)
{
	char path[600];
	X509 *x;
	BIO *b;
	FILE *fp;
	struct stat st;

	memset(rk, 0, sizeof(*rk));
	snprintf(path, sizeof(path), "%s/%s.crt", pki, name);
	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (rk->rk_cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		die("cannot load %s", path);
	BIO_free(b);
	snprintf(path, sizeof(path), "%s/%s.key", pki, name);
	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (rk->rk_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		die("cannot load %s", path);
	BIO_free(b);
	snprintf(path, sizeof(path), "%s/chain.pem", pki);
	if ((rk->rk_chain = sk_X509_new_null()) == NULL ||
	    (b = BIO_new_file(path, "r")) == NULL)
		die("cannot load %s", path);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		sk_X509_push(rk->rk_chain, x);
	ERR_clear_error();
	BIO_free(b);
	if ((fp = fopen(entity, "rb")) == NULL || fstat(fileno(fp), &st) != 0 ||
	    (rk->rk_data = malloc((size_t)st.st_size + 1)) == NULL ||
	    fread(rk->rk_data, 1, (size_t)st.st_size, fp) !=
	    (size_t)st.st_size)
		die("cannot read %s", entity);
	rk->rk_len = (size_t)st.st_size;
	fclose(fp);
}

static void
rawkey_free(struct rawkey *rk)
{
	X509_free(rk->rk_cert);
	EVP_PKEY_free(rk->rk_key);
	sk_X509_pop_free(rk->rk_chain, X509_free);
	free(rk->rk_data);
}

/* Write the daemon's configuration: taro (RSA-2048), hanako (P-256). */
static void
write_conf(const char *path, const char *dir, const char *pki)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		die("cannot write %s", path);
	fprintf(fp, "socket = \"unix:%s/bench.sock\";\n"
	    "authserv_id = \"mx.test\";\nmode = \"sv\";\n"
	    "internal_hosts = [ \"10.99.0.0/16\" ];\nlog_level = \"info\";\n"
	    "tmpdir = \"%s\";\n"
	    "sign = { identities = (\n"
	    " { address = \"taro@example.jp\"; cert = \"%s/taro.crt\";\n"
	    "   key = \"%s/taro.key\"; chain = \"%s/chain.pem\";\n"
	    "   senders = [ \"taro\" ]; },\n"
	    " { address = \"hanako@example.jp\"; cert = \"%s/hanako.crt\";\n"
	    "   key = \"%s/hanako.key\"; chain = \"%s/chain.pem\";\n"
	    "   senders = [ \"hanako\" ]; } ); };\n"
	    "verify = { trust_anchors = \"%s/trust.pem\"; };\n",
	    dir, dir, pki, pki, pki, pki, pki, pki, pki);
	if (fclose(fp) != 0)
		die("write error on %s", path);
}

/* True when path contains the ASan runtime hook (a sanitizer build). */
static bool
is_asan_build(const char *path)
{
	static const char needle[] = "__asan_init";
	char buf[65536 + sizeof(needle)];
	size_t n, keep = 0;
	bool found = false;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return false;
	while (!found && (n = fread(buf + keep, 1, 65536, fp)) > 0) {
		found = memmem(buf, keep + n, needle, sizeof(needle) - 1) != NULL;
		keep = sizeof(needle) - 1;
		memmove(buf, buf + n, keep);
	}
	fclose(fp);
	return found;
}

/* Peak RSS (KiB) of a fresh daemon that handled one message of sc. */
static long
peak_rss(struct scenario *sc, const char *milter, const char *conf,
    const char *sock, const char *errlog)
{
	struct scenario one = *sc;
	pid_t pid = daemon_start(milter, conf, sock, errlog);
	long hwm;

	one.sc_conc = 1;
	one.sc_max = 1;
	one.sc_seconds = 600;
	run_scenario(&one, sock);
	hwm = one.sc_errors == 0 ? proc_kib(pid, "VmHWM") : -1;
	daemon_stop(pid);
	return hwm;
}

/* A scenario with its inputs set and its results zeroed. */
static struct scenario
scen(const char *name, enum bkind kind, struct bmsg *msg, const char *from,
    const char *auth, struct rawkey *raw, char *const *argv,
    enum bexpect expect, int conc, double seconds, long max)
{
	struct scenario sc;

	memset(&sc, 0, sizeof(sc));
	sc.sc_name = name;
	sc.sc_kind = kind;
	sc.sc_msg = msg;
	sc.sc_from = from;
	sc.sc_auth = auth;
	sc.sc_raw = raw;
	sc.sc_argv = argv;
	sc.sc_expect = expect;
	sc.sc_conc = conc;
	sc.sc_seconds = seconds;
	sc.sc_max = max;
	return sc;
}

/* CPU model from /proc/cpuinfo into buf. */
static void
cpu_model(char *buf, size_t len)
{
	char line[512], *p;
	FILE *fp = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "model name", 10) != 0 ||
		    (p = strchr(line, ':')) == NULL)
			continue;
		for (p++; *p == ' '; p++)
			;
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, len, "%s", p);
		break;
	}
	fclose(fp);
}

static void
print_row(FILE *fp, const struct scenario *sc)
{
	fprintf(fp, "%-28s %5d %7ld %6ld %9.1f %8.1f %8.1f %8.1f %8.1f\n",
	    sc->sc_name, sc->sc_conc, sc->sc_done, sc->sc_errors, sc->sc_rate,
	    sc->sc_p50, sc->sc_p90, sc->sc_p99, sc->sc_mbps);
}

static void
json_row(FILE *fp, const struct scenario *sc, bool last)
{
	fprintf(fp, "    {\"name\": \"%s\", \"kind\": \"%s\", \"connections\": %d, "
	    "\"messages\": %ld, \"errors\": %ld, \"seconds\": %.3f, "
	    "\"msgs_per_s\": %.2f, \"p50_ms\": %.2f, \"p90_ms\": %.2f, "
	    "\"p99_ms\": %.2f, \"mb_per_s\": %.2f, \"message_bytes\": %lld}%s\n",
	    sc->sc_name, sc->sc_kind == BK_RAW ? "raw-cms" :
	    sc->sc_kind == BK_NAIVE ? "naive-openssl" : "milter",
	    sc->sc_conc, sc->sc_done, sc->sc_errors, sc->sc_elapsed,
	    sc->sc_rate, sc->sc_p50, sc->sc_p90, sc->sc_p99, sc->sc_mbps,
	    sc->sc_msg != NULL ? (long long)sc->sc_msg->bm_size :
	    (long long)sc->sc_raw->rk_len, last ? "" : ",");
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/*
 * Print the table, the ratios and the RSS comparison, and write the same
 * as JSON to json.  sc[0], sc[1] are the 4 KB RSA and P-256 milter runs,
 * sc[5] the big sign run, sc[7], sc[8] the raw and sc[9] the naive ones.
 */
static void
report(const struct scenario *sc, size_t nsc, const long rss[4], int conc,
    int bigmb, bool asan, const char *json)
{
	char cpu[256];
	double r_rsa = ratio(sc[0].sc_rate, sc[7].sc_rate);
	double r_ec = ratio(sc[1].sc_rate, sc[8].sc_rate);
	double r_naive = ratio(sc[0].sc_rate, sc[9].sc_rate);
	size_t i;
	FILE *fp;

	cpu_model(cpu, sizeof(cpu));
	printf("smime-milter benchmark: %ld CPUs (%s), %s%s\n",
	    sysconf(_SC_NPROCESSORS_ONLN), cpu, OpenSSL_version(OPENSSL_VERSION),
	    asan ? ", SANITIZER BUILD" : "");
	printf("%-28s %5s %7s %6s %9s %8s %8s %8s %8s\n", "scenario", "conns",
	    "msgs", "errors", "msgs/s", "p50 ms", "p90 ms", "p99 ms", "MB/s");
	for (i = 0; i < nsc; i++)
		print_row(stdout, &sc[i]);
	printf("\nmilter sign 4KB RSA-2048 / raw CMS_sign RSA-2048 (1 core): %.2f\n"
	    "milter sign 4KB P-256 / raw CMS_sign P-256 (1 core):       %.2f\n"
	    "milter sign 4KB RSA-2048 / naive openssl smime filter:    %.2f\n",
	    r_rsa, r_ec, r_naive);
	printf("\npeak RSS of smime-milter (VmHWM, KiB), fresh daemon, one "
	    "message:\n%-8s %10s %10s\n%-8s %10ld %10ld\n%-8s %10ld %10ld\n",
	    "", "10 KB", "big", "sign", rss[0], rss[1],
	    "verify", rss[2], rss[3]);
	printf("(big = %d MB)\n", bigmb);

	if ((fp = fopen(json, "w")) == NULL)
		die("cannot write %s", json);
	fprintf(fp, "{\n  \"machine\": {\"nproc\": %ld, \"cpu\": \"%s\", "
	    "\"openssl\": \"%s\", \"sanitizer_build\": %s},\n"
	    "  \"connections\": %d,\n  \"results\": [\n",
	    sysconf(_SC_NPROCESSORS_ONLN), cpu,
	    OpenSSL_version(OPENSSL_VERSION), asan ? "true" : "false", conc);
	for (i = 0; i < nsc; i++)
		json_row(fp, &sc[i], i == nsc - 1);
	fprintf(fp, "  ],\n  \"ratios\": {\"milter_rsa_over_raw_rsa\": %.3f, "
	    "\"milter_p256_over_raw_p256\": %.3f, "
	    "\"milter_rsa_over_naive\": %.3f},\n", r_rsa, r_ec, r_naive);
	fprintf(fp, "  \"peak_rss_kib\": {\"sign_10KB\": %ld, \"sign_%dMB\": %ld,"
	    " \"verify_10KB\": %ld, \"verify_%dMB\": %ld}\n}\n",
	    rss[0], bigmb, rss[1], rss[2], bigmb, rss[3]);
	if (fclose(fp) != 0)
		die("write error on %s", json);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench -M smime-milter -P pkidir [-O openssl] "
	    "[-d workdir] [-c connections]\n"
	    "    [-s seconds] [-b big-MB] [-j results.json] [-q]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char *milter = NULL, *pki = NULL, *json = "bench-results.json";
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[512], conf[600], sock[600], errlog[600];
	char p4r[600], p4e[600], e4[600], s4[600], p10k[600], p1m[600],
	    e1m[600], s1m[600], pbig[600], ebig[600], sbig[600];
	char cert[600], key[600], chain[600];
	struct bmsg m4r, m4e, ms4, m10k, m1m, ms1m, mbig, msbig;
	struct rawkey rk_rsa, rk_ec;
	int ch, conc = 8, bigmb = 100, i;
	double secs = 10;
	pid_t pid;
	long rss[4];
	bool asan;

	while ((ch = getopt(argc, argv, "b:c:d:j:M:O:P:qs:")) != -1) {
		switch (ch) {
		case 'b': bigmb = atoi(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 'd': base = optarg; break;
		case 'j': json = optarg; break;
		case 'M': milter = optarg; break;
		case 'O': opt_openssl = optarg; break;
		case 'P': pki = optarg; break;
		case 'q': opt_quiet = true; break;
		case 's': secs = atof(optarg); break;
		default: usage();
		}
	}
	if (milter == NULL || pki == NULL || conc < 1 || bigmb < 1 || secs <= 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s/smime-bench.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("cannot create a directory in %s", base);
#define P(buf, name) snprintf(buf, sizeof(buf), "%s/%s", dir, name)
	P(conf, "bench.conf"); P(sock, "bench.sock"); P(errlog, "milter.log");
	P(p4r, "plain4k-taro.eml"); P(p4e, "plain4k-hanako.eml");
	P(e4, "entity4k.txt"); P(s4, "signed4k.eml"); P(p10k, "plain10k.eml");
	P(p1m, "plain1m.eml"); P(e1m, "entity1m.txt"); P(s1m, "signed1m.eml");
	P(pbig, "plainbig.eml"); P(ebig, "entitybig.txt");
	P(sbig, "signedbig.eml");
#undef P
	progress("generating messages");
	gen_plain(p4r, "taro@example.jp", 4096);
	gen_plain(p4e, "hanako@example.jp", 4096);
	gen_plain(e4, NULL, 4096);
	gen_signed(dir, pki, e4, s4);
	gen_plain(p10k, "taro@example.jp", 10240);
	gen_plain(p1m, "taro@example.jp", 1 << 20);
	gen_plain(e1m, NULL, 1 << 20);
	gen_signed(dir, pki, e1m, s1m);
	gen_plain(pbig, "taro@example.jp", (size_t)bigmb << 20);
	gen_plain(ebig, NULL, (size_t)bigmb << 20);
	gen_signed(dir, pki, ebig, sbig);
	unlink(ebig);
	bmsg_load(&m4r, p4r); bmsg_load(&m4e, p4e); bmsg_load(&ms4, s4);
	bmsg_load(&m10k, p10k); bmsg_load(&m1m, p1m); bmsg_load(&ms1m, s1m);
	bmsg_load(&mbig, pbig); bmsg_load(&msbig, sbig);
	rawkey_load(&rk_rsa, pki, "taro", e4);
	rawkey_load(&rk_ec, pki, "hanako", e4);
	write_conf(conf, dir, pki);
	snprintf(cert, sizeof(cert), "%s/taro.crt", pki);
	snprintf(key, sizeof(key), "%s/taro.key", pki);
	snprintf(chain, sizeof(chain), "%s/chain.pem", pki);
	char *naive_argv[] = { (char *)opt_openssl, "smime", "-sign",
	    "-signer", cert, "-inkey", key, "-certfile", chain, "-in", p4r,
	    "-out", "/dev/null", NULL };
	char big_sign[64], big_verify[64];
	snprintf(big_sign, sizeof(big_sign), "sign %dMB RSA-2048", bigmb);
	snprintf(big_verify, sizeof(big_verify), "verify %dMB", bigmb);

	struct scenario sc[] = {
	scen("sign 4KB RSA-2048", BK_MILTER, &m4r, "<taro@example.jp>", "taro",
	  NULL, NULL, BX_SIGN, conc, secs, 10000000),
	scen("sign 4KB ECDSA P-256", BK_MILTER, &m4e, "<hanako@example.jp>",
	  "hanako", NULL, NULL, BX_SIGN, conc, secs, 10000000),
	scen("verify 4KB", BK_MILTER, &ms4, "<taro@example.jp>", NULL, NULL,
	  NULL, BX_VERIFY, conc, secs, 10000000),
	scen("sign 1MB RSA-2048", BK_MILTER, &m1m, "<taro@example.jp>", "taro",
	  NULL, NULL, BX_SIGN, conc, secs, 10000000),
	scen("verify 1MB", BK_MILTER, &ms1m, "<taro@example.jp>", NULL, NULL,
	  NULL, BX_VERIFY, conc, secs, 10000000),
	scen(big_sign, BK_MILTER, &mbig, "<taro@example.jp>", "taro", NULL, NULL,
	  BX_SIGN, 1, 600, 3),
	scen(big_verify, BK_MILTER, &msbig, "<taro@example.jp>", NULL, NULL, NULL,
	  BX_VERIFY, 1, 600, 3),
	scen("raw CMS_sign 4KB RSA-2048", BK_RAW, NULL, NULL, NULL, &rk_rsa, NULL,
	  BX_SIGN, 1, secs, 10000000),
	scen("raw CMS_sign 4KB P-256", BK_RAW, NULL, NULL, NULL, &rk_ec, NULL,
	  BX_SIGN, 1, secs, 10000000),
	scen("naive openssl smime 4KB", BK_NAIVE, NULL, NULL, NULL, &rk_rsa,
	  naive_argv, BX_SIGN, conc, secs, 10000000),
	};
	const size_t nsc = sizeof(sc) / sizeof(sc[0]);

	asan = is_asan_build(milter);
	if (asan)
		fprintf(stderr, "bench: WARNING: %s is a sanitizer build; "
		    "numbers are not representative\n", milter);
	pid = daemon_start(milter, conf, sock, errlog);
	for (i = 0; i < 7; i++)
		run_scenario(&sc[i], sock);
	daemon_stop(pid);
	for (i = 7; i < (int)nsc; i++)
		run_scenario(&sc[i], sock);
	progress("peak RSS: 10KB and big messages, fresh daemon each");
	{
		struct scenario r10k = sc[0], rbig = sc[5], v10k = sc[2],
		    vbig = sc[6];

		r10k.sc_msg = &m10k;
		rss[0] = peak_rss(&r10k, milter, conf, sock, errlog);
		rss[1] = peak_rss(&rbig, milter, conf, sock, errlog);
		rss[2] = peak_rss(&v10k, milter, conf, sock, errlog);
		rss[3] = peak_rss(&vbig, milter, conf, sock, errlog);
	}

	report(sc, nsc, rss, conc, bigmb, asan, json);
	rawkey_free(&rk_rsa);
	rawkey_free(&rk_ec);
	{
		char *rm[] = { "rm", "-rf", dir, NULL };

		(void)run_cmd(rm, NULL);
	}
	for (i = 0; i < (int)nsc; i++)
		if (sc[i].sc_errors > 0)
			return 1;
	return 0;
}
