/*
 * brun.c - running the scenarios of `make bench` (see bench.h): milter
 * connections in threads, in-process CMS signing and verifying workers,
 * openssl child processes; CPU time of each side and the daemon's memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "test/bench/bench.h"

extern char **environ;

/* A signed message kept as a sample: its body file and Content-Type. */
struct pending {
	char	*pd_body;
	char	*pd_ct;
};

/* Shared by the threads of one round of a scenario. */
struct run {
	struct scenario	*r_sc;
	const char	*r_sock;
	bool		 r_sampling;
	atomic_long	 r_next;
	atomic_long	 r_errors;
	atomic_long	 r_refused;	/* connects retried */
	double		 r_deadline;
	double		*r_lat;		/* r_sc->sc_max slots */
	atomic_long	 r_nlat;
	pthread_mutex_t	 r_lock;	/* the fields below */
	double		 r_wcpu;	/* worker (raw, child) CPU seconds */
	double		 r_ccpu;	/* client thread CPU seconds */
	struct pending	 r_pend[BENCH_MAXSAMPLES];
	int		 r_npend;
	char		 r_firsterr[MC_ERRLEN];
};

struct body_cursor {
	int	bc_fd;
	off_t	bc_off;
	off_t	bc_end;
};

/* What the milter sent back for one message. */
struct check {
	bool	 ck_replaced;
	bool	 ck_pass;
	FILE	*ck_fp;		/* sample: the new body goes here */
	char	*ck_ct;		/* sample: the last Content-Type set */
	bool	 ck_ioerr;
};

/* Message numbers of a round-0 run that are kept as samples. */
static const long sample_at[] = { 0, 7, 77, 777, 7777 };

int
run_cmd(char *const argv[], const char *out, const char *err, double *cpu)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
	    out != NULL ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (err != NULL)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err,
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	if (cpu != NULL)
		*cpu += (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The daemon running now (0: none), killed at exit if still there. */
static pid_t live_daemon;

static void
kill_live_daemon(void)
{
	if (live_daemon > 0)
		daemon_stop(live_daemon);
}

/* Record pid as the live daemon, in bench_dir/daemon.pid too (for a test
 * that must clean up after a bench that crashed). */
static void
set_live_daemon(pid_t pid)
{
	static bool registered;
	char path[600];
	FILE *fp;

	live_daemon = pid;
	if (!registered && atexit(kill_live_daemon) == 0)
		registered = true;
	snprintf(path, sizeof(path), "%s/daemon.pid", bench_dir);
	if (pid <= 0)
		unlink(path);
	else if ((fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%ld\n", (long)pid);
		fclose(fp);
	}
}

pid_t
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
	set_live_daemon(pid);
	for (i = 0; i < 400; i++) {
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			set_live_daemon(0);
			die("smime-milter exited at start; see %s", errlog);
		}
		usleep(50000);
	}
	die("smime-milter did not create its socket; see %s", errlog);
}

void
daemon_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (pid == live_daemon)
		set_live_daemon(0);
}

double
proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Fields 14 and 15 (utime, stime), counted after the ")" of comm. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
	    "%llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long
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

static double
thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	if (ck->ck_fp != NULL && strcasecmp(name, "Content-Type") == 0 &&
	    *value != '\0') {
		free(ck->ck_ct);
		if ((ck->ck_ct = strdup(value)) == NULL)
			ck->ck_ioerr = true;
	}
	return 0;
}

static int
check_body(void *arg, const unsigned char *chunk, size_t len)
{
	struct check *ck = arg;

	ck->ck_replaced = true;
	if (ck->ck_fp != NULL && fwrite(chunk, 1, len, ck->ck_fp) != len)
		ck->ck_ioerr = true;
	return 0;
}

/* True when message k of this round is kept as a sample. */
static bool
is_sample(const struct run *r, long k)
{
	size_t i;

	if (!r->r_sampling)
		return false;
	for (i = 0; i < sizeof(sample_at) / sizeof(sample_at[0]); i++)
		if (sample_at[i] == k)
			return true;
	return false;
}

/* Remember a captured sample (body file, Content-Type) for later. */
static void
keep_sample(struct run *r, char *body, char *ct)
{
	pthread_mutex_lock(&r->r_lock);
	if (r->r_npend < BENCH_MAXSAMPLES) {
		r->r_pend[r->r_npend].pd_body = body;
		r->r_pend[r->r_npend].pd_ct = ct;
		r->r_npend++;
		body = ct = NULL;
	}
	pthread_mutex_unlock(&r->r_lock);
	if (body != NULL)
		unlink(body);
	free(body);
	free(ct);
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
	char qid[32], *body = NULL;
	const char *why = NULL;
	int i;

	snprintf(qid, sizeof(qid), "B%08lX", (unsigned long)k);
	env.env_qid = qid;
	memset(&ck, 0, sizeof(ck));
	if (sc->sc_expect == BX_SIGN && is_sample(r, k)) {
		if (asprintf(&body, "%s/sample-%p-%ld.body", bench_dir,
		    (void *)sc, k) < 0 || (ck.ck_fp = fopen(body, "wb")) == NULL)
			die("cannot create a sample file in %s", bench_dir);
	}
	/*
	 * A refused connect is retried (10 times, 0.1 s apart) and counted:
	 * under heavy load libmilter now and then refuses one (seen once in
	 * make check); a daemon that is gone still fails the run.
	 */
	for (i = 0; *conn == NULL && (*conn = mc_open(r->r_sock, &ci, 600000,
	    false, err, errlen)) == NULL; i++) {
		if (i == 10) {
			why = err;
			goto out;
		}
		atomic_fetch_add(&r->r_refused, 1);
		usleep(100000);
	}
	if (mc_message(*conn, &env, sc->sc_msg->bm_fields,
	    sc->sc_msg->bm_nfields, body_pread, &bc, &ops, &out) != 0) {
		snprintf(err, errlen, "%s", mc_error(*conn));
		mc_close(*conn);
		*conn = NULL;
		why = err;
	} else if (out.mo_verdict != MC_ACCEPT) {
		snprintf(err, errlen, "%s: %.400s",
		    mc_verdict_name(out.mo_verdict), out.mo_reply);
		why = err;
	} else if (sc->sc_expect == BX_SIGN && !ck.ck_replaced) {
		why = "accepted but not signed";
	} else if (sc->sc_expect == BX_VERIFY && !ck.ck_pass) {
		why = "no smime=pass";
	}
out:
	if (ck.ck_fp != NULL && (fclose(ck.ck_fp) != 0 || ck.ck_ioerr))
		die("write error on %s", body);
	if (body != NULL) {
		if (why == NULL) {
			keep_sample(r, body, ck.ck_ct);
		} else {
			unlink(body);
			free(body);
			free(ck.ck_ct);
		}
	}
	return why;
}

/* Sign the entity in memory as the milter does (detached, chain, SHA-256). */
static const char *
one_raw_sign(const struct scenario *sc)
{
	const struct rawkey *rk = sc->sc_key;
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
	if ((in = BIO_new_mem_buf(sc->sc_data->bd_data,
	    (int)sc->sc_data->bd_len)) == NULL ||
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

/*
 * Verify the S/MIME message in memory as `openssl cms -verify` does:
 * parse MIME and base64 (SMIME_read_CMS), then CMS_verify against the
 * trust anchors, content (detached or encapsulated) to a null sink.
 */
static const char *
one_raw_verify(const struct scenario *sc)
{
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL, *cont = NULL, *out = NULL;
	const char *why = "CMS verification failed";

	if ((in = BIO_new_mem_buf(sc->sc_data->bd_data,
	    (int)sc->sc_data->bd_len)) == NULL ||
	    (out = BIO_new(BIO_s_null())) == NULL ||
	    (cms = SMIME_read_CMS(in, &cont)) == NULL ||
	    CMS_verify(cms, NULL, sc->sc_key->rk_store, cont, out,
	    CMS_BINARY) <= 0)
		goto out;
	why = NULL;
out:
	ERR_clear_error();
	BIO_free(in);
	BIO_free(cont);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	return why;
}

/* One client or worker thread: messages until count or time is used up. */
static void *
worker(void *arg)
{
	struct run *r = arg;
	struct scenario *sc = r->r_sc;
	struct mc_conn *conn = NULL;
	char err[MC_ERRLEN];
	const char *why;
	double t0, cpu0 = thread_cpu(), cmdcpu = 0;
	long k;

	/* Each thread does at least one message, however late it starts. */
	while ((k = atomic_fetch_add(&r->r_next, 1)) < sc->sc_max &&
	    (k < sc->sc_conc || now() < r->r_deadline)) {
		t0 = now();
		switch (sc->sc_kind) {
		case BK_RAW_SIGN:
			why = one_raw_sign(sc);
			break;
		case BK_RAW_VERIFY:
			why = one_raw_verify(sc);
			break;
		case BK_CMD:
			why = run_cmd(sc->sc_argv, NULL, NULL, &cmdcpu) == 0 ? NULL :
			    "openssl command failed";
			break;
		default:
			why = one_milter(r, &conn, k, err, sizeof(err));
			break;
		}
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
	pthread_mutex_lock(&r->r_lock);
	if (sc->sc_kind == BK_MILTER)
		r->r_ccpu += thread_cpu() - cpu0;
	else
		r->r_wcpu += thread_cpu() - cpu0 + cmdcpu;
	pthread_mutex_unlock(&r->r_lock);
	return NULL;
}

/* Turn the captured samples of r into message files of sc. */
static void
finish_samples(struct run *r, struct scenario *sc)
{
	char buf[65536], *path;
	const char *c;
	FILE *in, *out;
	size_t n;
	int i;

	for (i = 0; i < r->r_npend; i++) {
		struct pending *pd = &r->r_pend[i];

		if (asprintf(&path, "%s.eml", pd->pd_body) < 0 ||
		    (out = fopen(path, "wb")) == NULL ||
		    (in = fopen(pd->pd_body, "rb")) == NULL)
			die("cannot write a sample in %s", bench_dir);
		/* The header the MTA would have: only what a verifier reads. */
		fprintf(out, "MIME-Version: 1.0\r\nContent-Type: ");
		for (c = pd->pd_ct != NULL ? pd->pd_ct : "text/plain"; *c; c++)
			if (*c == '\n')
				fputs("\r\n", out);
			else if (*c != '\r')
				putc(*c, out);
		fputs("\r\n\r\n", out);
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			if (fwrite(buf, 1, n, out) != n)
				break;
		fclose(in);
		if (fclose(out) != 0)
			die("write error on %s", path);
		unlink(pd->pd_body);
		free(pd->pd_body);
		free(pd->pd_ct);
		if (sc->sc_nsamples < BENCH_MAXSAMPLES)
			sc->sc_samples[sc->sc_nsamples++] = path;
		else
			free(path);
	}
}

void
run_round(struct scenario *sc, const char *sock, pid_t pid, int round)
{
	struct run r;
	pthread_t *tids;
	double t0, elapsed, dcpu0 = 0, dcpu;
	long n, i;

	memset(&r, 0, sizeof(r));
	r.r_sc = sc;
	r.r_sock = sock;
	r.r_sampling = round == 0 && sc->sc_sample;
	pthread_mutex_init(&r.r_lock, NULL);
	if ((r.r_lat = calloc((size_t)sc->sc_max, sizeof(double))) == NULL ||
	    (tids = calloc((size_t)sc->sc_conc, sizeof(*tids))) == NULL)
		die("out of memory");
	progress("%s (%d), round %d", sc->sc_name, sc->sc_conc, round + 1);
	if (sc->sc_kind == BK_MILTER)
		dcpu0 = proc_cpu(pid);
	t0 = now();
	r.r_deadline = t0 + sc->sc_seconds;
	for (i = 0; i < sc->sc_conc; i++)
		if (pthread_create(&tids[i], NULL, worker, &r) != 0)
			die("pthread_create");
	for (i = 0; i < sc->sc_conc; i++)
		pthread_join(tids[i], NULL);
	elapsed = now() - t0;
	dcpu = sc->sc_kind == BK_MILTER ? proc_cpu(pid) - dcpu0 : r.r_wcpu;
	n = atomic_load(&r.r_nlat);
	sc->sc_rate[sc->sc_rounds] = (double)n / elapsed;
	sc->sc_cpu[sc->sc_rounds] = n > 0 ? dcpu / (double)n : 0;
	sc->sc_ccpu[sc->sc_rounds] = n > 0 ? r.r_ccpu / (double)n : 0;
	sc->sc_rounds++;
	sc->sc_done += n;
	if (atomic_load(&r.r_refused) > 0)
		fprintf(stderr, "bench: %s: %ld refused connects retried\n",
		    sc->sc_name, atomic_load(&r.r_refused));
	if (atomic_load(&r.r_errors) > 0) {
		if (sc->sc_errors == 0)
			snprintf(sc->sc_firsterr, sizeof(sc->sc_firsterr), "%s",
			    r.r_firsterr);
		sc->sc_errors += atomic_load(&r.r_errors);
		fprintf(stderr, "bench: %s: %ld errors, first: %s\n",
		    sc->sc_name, atomic_load(&r.r_errors), r.r_firsterr);
	}
	if (sc->sc_nlat + n > sc->sc_latalloc) {
		sc->sc_latalloc = sc->sc_nlat + n;
		if ((sc->sc_lat = realloc(sc->sc_lat, (size_t)sc->sc_latalloc *
		    sizeof(double))) == NULL)
			die("out of memory");
	}
	if (n > 0)
		memcpy(sc->sc_lat + sc->sc_nlat, r.r_lat,
		    (size_t)n * sizeof(double));
	sc->sc_nlat += n;
	finish_samples(&r, sc);
	free(r.r_lat);
	free(tids);
	pthread_mutex_destroy(&r.r_lock);
}

void
rawkey_load(struct rawkey *rk, const char *pki, const char *name)
{
	char path[600];
	X509 *x;
	BIO *b;

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
		if (!sk_X509_push(rk->rk_chain, x))
			die("out of memory");
	ERR_clear_error();
	BIO_free(b);
	snprintf(path, sizeof(path), "%s/trust.pem", pki);
	if ((rk->rk_store = X509_STORE_new()) == NULL ||
	    X509_STORE_load_file(rk->rk_store, path) != 1)
		die("cannot load %s", path);
}

void
rawkey_free(struct rawkey *rk)
{
	X509_free(rk->rk_cert);
	EVP_PKEY_free(rk->rk_key);
	sk_X509_pop_free(rk->rk_chain, X509_free);
	X509_STORE_free(rk->rk_store);
}
