/*
 * bench - smime-milter measured against the peers that bound it, like
 * for like, in one run:
 *   - OpenSSL in this process (CMS_sign, SMIME_read_CMS + CMS_verify) on
 *     the same key, certificate and bytes, with as many worker threads as
 *     the milter gets connections (1 and 2: the same number of busy cores
 *     on both sides of a ratio);
 *   - `openssl dgst -sha256` over the same large file (the cost of just
 *     reading and hashing it);
 *   - a naive content filter that runs `openssl smime -sign` per message.
 *
 *   bench -M smime-milter -P PKIDIR [-O OPENSSL] [-d WORKDIR] [-s SECONDS]
 *         [-r ROUNDS] [-b BIG_MB] [-j JSONFILE] [-q]
 *
 * The scenarios run interleaved, ROUNDS times (rates and CPU per message
 * are medians over the rounds, ratios the medians of the per-round
 * ratios), so that a change in the machine's load hits both sides of a
 * ratio alike.  Every milter result is checked (a signed message comes
 * back with a new body, a verified one with smime=pass) and samples of
 * what the milter signed (messages 0, 7, 77, 777, 7777 of the first
 * round) are verified with `openssl cms -verify`; any failure makes the
 * exit status 1.  Speed itself never fails the run: the goals of issue 17
 * are printed beside the figures.  CPU per message is the daemon's
 * (/proc/PID/stat) or the workers' (thread CPU clocks, child rusage); the
 * milter client's own CPU is shown apart.  Peak RSS (VmHWM) is read for a
 * fresh daemon after one 10 KB and after one BIG_MB message, signing and
 * verifying (detached and opaque).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "test/bench/bench.h"

const char *bench_openssl = "openssl";
const char *bench_dir;
bool bench_quiet;

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

void
progress(const char *fmt, ...)
{
	va_list ap;

	if (bench_quiet)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n) (n <= BENCH_MAXROUNDS); 0 for n == 0. */
static double
median(const double *v, int n)
{
	double s[BENCH_MAXROUNDS];

	if (n == 0)
		return 0;
	memcpy(s, v, (size_t)n * sizeof(double));
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Percentile p of the sorted latencies of sc, in ms (nearest rank). */
static double
pct(const struct scenario *sc, double p)
{
	long i;

	if (sc->sc_nlat == 0)
		return 0;
	i = (long)(p / 100.0 * (double)sc->sc_nlat + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= sc->sc_nlat)
		i = sc->sc_nlat - 1;
	return sc->sc_lat[i] * 1000.0;
}

/* The scenarios, in the order each round runs them (see table()). */
enum {
	S_RSA1, S_RAWRSA1, S_RSA2, S_RAWRSA2,
	S_EC1, S_RAWEC1, S_EC2, S_RAWEC2,
	S_VD1, S_RAWVD1, S_VD2, S_RAWVD2, S_VO1, S_RAWVO1,
	S_NAIVE2,
	S_M1, S_RAWM1, S_M2, S_RAWM2, S_VDM1, S_VOM1,
	S_BIG, S_RAWBIG, S_DGSTBIG, S_VDBIG, S_DGSTVD, S_VOBIG, S_DGSTVO,
	S_COUNT
};

/* Inputs, by name, in bench_dir. */
struct inputs {
	struct bmsg	 m_rsa4k, m_ec4k, m_vd4k, m_vo4k, m_1m, m_vd1m,
			 m_vo1m, m_big, m_vdbig, m_vobig, m_10k, m_vd10k,
			 m_vo10k;
	struct bdata	 d_e4k, d_vd4k, d_vo4k, d_e1m, d_ebig;
	struct rawkey	 k_rsa, k_ec;
	char		*p_rsa4k, *p_vdbig, *p_vobig, *p_big;	/* borrowed */
	char		*paths[32];	/* every generated file */
	int		 npaths;
	char		 p_cert[600], p_key[600], p_chain[600];
};

static char *
path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", bench_dir, name) < 0)
		die("out of memory");
	return p;
}

/*
 * Make the message name in bench_dir: plain (from, size) when entity is
 * NULL, else entity signed by openssl (opaque or detached).  Load it into
 * m (for the milter) and, when d is not NULL, into d (in-process peers).
 * Returns the path (owned by in).
 */
static char *
make_msg(struct inputs *in, const char *name, const char *from, size_t size,
    const char *pki, const char *entity, bool opaque, struct bmsg *m,
    struct bdata *d)
{
	char *p = path_in(name);

	if (in->npaths == (int)(sizeof(in->paths) / sizeof(in->paths[0])))
		die("too many inputs");
	in->paths[in->npaths++] = p;
	if (entity == NULL)
		gen_plain(p, from, size);
	else
		gen_signed(pki, entity, opaque, p);
	if (m != NULL)
		bmsg_load(m, p);
	if (d != NULL)
		bdata_load(d, p);
	return p;
}

/* Generate the messages and load them (and the keys) for sending. */
static void
make_inputs(struct inputs *in, const char *pki, int bigmb)
{
	const size_t big = (size_t)bigmb << 20;
	const char *from = "taro@example.jp";
	char *e4k, *e10k, *e1m, *ebig;

	progress("generating messages (%d MB for the large ones)", bigmb);
	in->p_rsa4k = make_msg(in, "rsa4k.eml", from, 4096, NULL, NULL, false,
	    &in->m_rsa4k, NULL);
	make_msg(in, "ec4k.eml", "hanako@example.jp", 4096, NULL, NULL, false,
	    &in->m_ec4k, NULL);
	make_msg(in, "10k.eml", from, 10240, NULL, NULL, false, &in->m_10k, NULL);
	make_msg(in, "1m.eml", from, 1 << 20, NULL, NULL, false, &in->m_1m, NULL);
	in->p_big = make_msg(in, "big.eml", from, big, NULL, NULL, false,
	    &in->m_big, NULL);
	/* MIME entities (what CMS_sign gets, what openssl signs). */
	e4k = make_msg(in, "e4k.txt", NULL, 4096, NULL, NULL, false, NULL,
	    &in->d_e4k);
	e10k = make_msg(in, "e10k.txt", NULL, 10240, NULL, NULL, false, NULL,
	    NULL);
	e1m = make_msg(in, "e1m.txt", NULL, 1 << 20, NULL, NULL, false, NULL,
	    &in->d_e1m);
	ebig = make_msg(in, "ebig.txt", NULL, big, NULL, NULL, false, NULL,
	    &in->d_ebig);
	/* Signed by openssl, for the verify runs. */
	make_msg(in, "vd4k.eml", NULL, 0, pki, e4k, false, &in->m_vd4k,
	    &in->d_vd4k);
	make_msg(in, "vo4k.eml", NULL, 0, pki, e4k, true, &in->m_vo4k,
	    &in->d_vo4k);
	make_msg(in, "vd10k.eml", NULL, 0, pki, e10k, false, &in->m_vd10k, NULL);
	make_msg(in, "vo10k.eml", NULL, 0, pki, e10k, true, &in->m_vo10k, NULL);
	make_msg(in, "vd1m.eml", NULL, 0, pki, e1m, false, &in->m_vd1m, NULL);
	make_msg(in, "vo1m.eml", NULL, 0, pki, e1m, true, &in->m_vo1m, NULL);
	in->p_vdbig = make_msg(in, "vdbig.eml", NULL, 0, pki, ebig, false,
	    &in->m_vdbig, NULL);
	in->p_vobig = make_msg(in, "vobig.eml", NULL, 0, pki, ebig, true,
	    &in->m_vobig, NULL);
	unlink(ebig);		/* in memory now; keep the disk use down */
	rawkey_load(&in->k_rsa, pki, "taro");
	rawkey_load(&in->k_ec, pki, "hanako");
	snprintf(in->p_cert, sizeof(in->p_cert), "%s/taro.crt", pki);
	snprintf(in->p_key, sizeof(in->p_key), "%s/taro.key", pki);
	snprintf(in->p_chain, sizeof(in->p_chain), "%s/chain.pem", pki);
}

/* Free what make_inputs() loaded and remove the files. */
static void
inputs_free(struct inputs *in)
{
	struct bmsg *m[] = { &in->m_rsa4k, &in->m_ec4k, &in->m_vd4k,
	    &in->m_vo4k, &in->m_1m, &in->m_vd1m, &in->m_vo1m, &in->m_big,
	    &in->m_vdbig, &in->m_vobig, &in->m_10k, &in->m_vd10k,
	    &in->m_vo10k };
	struct bdata *d[] = { &in->d_e4k, &in->d_vd4k, &in->d_vo4k,
	    &in->d_e1m, &in->d_ebig };
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		bmsg_free(m[i]);
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		free(d[i]->bd_data);
		d[i]->bd_data = NULL;
	}
	for (i = 0; i < (size_t)in->npaths; i++) {
		unlink(in->paths[i]);
		free(in->paths[i]);
	}
	in->npaths = 0;
	rawkey_free(&in->k_rsa);
	rawkey_free(&in->k_ec);
}

/* Write the daemon's configuration: taro (RSA-2048), hanako (P-256). */
static void
write_conf(const char *path, const char *pki)
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
	    bench_dir, bench_dir, pki, pki, pki, pki, pki, pki, pki);
	if (fclose(fp) != 0)
		die("write error on %s", path);
}

/* Fill sc[] from the inputs; secs bounds each small-message run. */
static void
table(struct scenario *sc, struct inputs *in, double secs, int bigmb,
    char **argv_naive, char **argv_dgst[3])
{
	static char nbig[4][64];
	const long many = 10000000;
	struct scenario *s;
	int i;

	memset(sc, 0, S_COUNT * sizeof(*sc));
#define MIL(ix, nm, msg, from, auth, ex, conc) do { s = &sc[ix]; \
	s->sc_name = nm; s->sc_kind = BK_MILTER; s->sc_msg = msg; \
	s->sc_from = from; s->sc_auth = auth; s->sc_expect = ex; \
	s->sc_conc = conc; s->sc_bytes = (double)(msg)->bm_size; \
	s->sc_sample = ex == BX_SIGN; } while (0)
#define RAW(ix, nm, kind, key, data, conc) do { s = &sc[ix]; \
	s->sc_name = nm; s->sc_kind = kind; s->sc_key = key; \
	s->sc_data = data; s->sc_conc = conc; \
	s->sc_bytes = (double)(data)->bd_len; } while (0)
#define CMD(ix, nm, argv, conc, bytes) do { s = &sc[ix]; \
	s->sc_name = nm; s->sc_kind = BK_CMD; s->sc_argv = argv; \
	s->sc_conc = conc; s->sc_bytes = (double)(bytes); } while (0)
	MIL(S_RSA1, "sign 4KB RSA-2048", &in->m_rsa4k, "<taro@example.jp>",
	    "taro", BX_SIGN, 1);
	RAW(S_RAWRSA1, "  CMS_sign 4KB RSA-2048", BK_RAW_SIGN, &in->k_rsa,
	    &in->d_e4k, 1);
	MIL(S_RSA2, "sign 4KB RSA-2048", &in->m_rsa4k, "<taro@example.jp>",
	    "taro", BX_SIGN, 2);
	RAW(S_RAWRSA2, "  CMS_sign 4KB RSA-2048", BK_RAW_SIGN, &in->k_rsa,
	    &in->d_e4k, 2);
	MIL(S_EC1, "sign 4KB P-256", &in->m_ec4k, "<hanako@example.jp>",
	    "hanako", BX_SIGN, 1);
	RAW(S_RAWEC1, "  CMS_sign 4KB P-256", BK_RAW_SIGN, &in->k_ec,
	    &in->d_e4k, 1);
	MIL(S_EC2, "sign 4KB P-256", &in->m_ec4k, "<hanako@example.jp>",
	    "hanako", BX_SIGN, 2);
	RAW(S_RAWEC2, "  CMS_sign 4KB P-256", BK_RAW_SIGN, &in->k_ec,
	    &in->d_e4k, 2);
	MIL(S_VD1, "verify 4KB detached", &in->m_vd4k, "<taro@example.jp>",
	    NULL, BX_VERIFY, 1);
	RAW(S_RAWVD1, "  CMS_verify 4KB detached", BK_RAW_VERIFY, &in->k_rsa,
	    &in->d_vd4k, 1);
	MIL(S_VD2, "verify 4KB detached", &in->m_vd4k, "<taro@example.jp>",
	    NULL, BX_VERIFY, 2);
	RAW(S_RAWVD2, "  CMS_verify 4KB detached", BK_RAW_VERIFY, &in->k_rsa,
	    &in->d_vd4k, 2);
	MIL(S_VO1, "verify 4KB opaque", &in->m_vo4k, "<taro@example.jp>",
	    NULL, BX_VERIFY, 1);
	RAW(S_RAWVO1, "  CMS_verify 4KB opaque", BK_RAW_VERIFY, &in->k_rsa,
	    &in->d_vo4k, 1);
	CMD(S_NAIVE2, "  naive openssl smime 4KB", argv_naive, 2,
	    in->m_rsa4k.bm_size);
	MIL(S_M1, "sign 1MB RSA-2048", &in->m_1m, "<taro@example.jp>", "taro",
	    BX_SIGN, 1);
	RAW(S_RAWM1, "  CMS_sign 1MB RSA-2048", BK_RAW_SIGN, &in->k_rsa,
	    &in->d_e1m, 1);
	MIL(S_M2, "sign 1MB RSA-2048", &in->m_1m, "<taro@example.jp>", "taro",
	    BX_SIGN, 2);
	RAW(S_RAWM2, "  CMS_sign 1MB RSA-2048", BK_RAW_SIGN, &in->k_rsa,
	    &in->d_e1m, 2);
	MIL(S_VDM1, "verify 1MB detached", &in->m_vd1m, "<taro@example.jp>",
	    NULL, BX_VERIFY, 1);
	MIL(S_VOM1, "verify 1MB opaque", &in->m_vo1m, "<taro@example.jp>",
	    NULL, BX_VERIFY, 1);
	snprintf(nbig[0], sizeof(nbig[0]), "sign %dMB RSA-2048", bigmb);
	snprintf(nbig[1], sizeof(nbig[1]), "  CMS_sign %dMB RSA-2048", bigmb);
	snprintf(nbig[2], sizeof(nbig[2]), "verify %dMB detached", bigmb);
	snprintf(nbig[3], sizeof(nbig[3]), "verify %dMB opaque", bigmb);
	MIL(S_BIG, nbig[0], &in->m_big, "<taro@example.jp>", "taro",
	    BX_SIGN, 1);
	RAW(S_RAWBIG, nbig[1], BK_RAW_SIGN, &in->k_rsa, &in->d_ebig, 1);
	CMD(S_DGSTBIG, "  openssl dgst -sha256 (plain)", argv_dgst[0], 1,
	    in->m_big.bm_size);
	MIL(S_VDBIG, nbig[2], &in->m_vdbig, "<taro@example.jp>", NULL,
	    BX_VERIFY, 1);
	CMD(S_DGSTVD, "  openssl dgst -sha256 (det.)", argv_dgst[1], 1,
	    in->m_vdbig.bm_size);
	MIL(S_VOBIG, nbig[3], &in->m_vobig, "<taro@example.jp>", NULL,
	    BX_VERIFY, 1);
	CMD(S_DGSTVO, "  openssl dgst -sha256 (opaque)", argv_dgst[2], 1,
	    in->m_vobig.bm_size);
#undef MIL
#undef RAW
#undef CMD
	for (i = 0; i < S_COUNT; i++) {
		sc[i].sc_seconds = i >= S_BIG ? 3600 : secs;
		sc[i].sc_max = i >= S_BIG ? 1 : many;
	}
}

/* Peak RSS (KiB) of a fresh daemon that handled one message of sc. */
static long
peak_rss(const struct scenario *tmpl, struct bmsg *msg, const char *milter,
    const char *conf, const char *sock, const char *errlog)
{
	struct scenario one = *tmpl;
	pid_t pid = daemon_start(milter, conf, sock, errlog);
	long hwm;

	one.sc_msg = msg;
	one.sc_conc = 1;
	one.sc_max = 1;
	one.sc_seconds = 3600;
	one.sc_sample = false;
	one.sc_rounds = 0;
	one.sc_lat = NULL;
	one.sc_nlat = one.sc_latalloc = 0;
	one.sc_errors = 0;
	run_round(&one, sock, pid, 1);
	hwm = one.sc_errors == 0 ? proc_kib(pid, "VmHWM") : -1;
	free(one.sc_lat);
	daemon_stop(pid);
	return hwm;
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

/* The 1-minute load average ("?" when unknown) into buf. */
static void
loadavg(char *buf, size_t len)
{
	double l[3];

	if (getloadavg(l, 3) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", l[0], l[1], l[2]);
	else
		snprintf(buf, len, "?");
}

/* Median over rounds of a[r] / b[r] (rates, or CPU per message). */
static double
ratio(const double *a, const double *b, int rounds)
{
	double v[BENCH_MAXROUNDS];
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = b[r] > 0 ? a[r] / b[r] : 0;
	return median(v, rounds);
}

/* MB/s of message per core: size over (median) CPU seconds per message. */
static double
mbps_core(const struct scenario *sc)
{
	double cpu = median(sc->sc_cpu, sc->sc_rounds);

	return cpu > 0 ? sc->sc_bytes / cpu / 1e6 : 0;
}

/* One ratio line: what, value, goal text, and whether the goal is met. */
static void
rline(FILE *fp, const char *what, double v, const char *goal, int met)
{
	fprintf(fp, "  %-58s %7.2f%s%s%s\n", what, v, *goal ? "  " : "", goal,
	    met < 0 ? "" : met ? "  met" : "  NOT MET");
}

/* Print the table, ratios and memory; write the same as JSON. */
static void
report(struct scenario *sc, int rounds, const long rss[6], int bigmb,
    bool asan, const char *load0, const char *json)
{
	char cpu[256], load1[64];
	double r[18], l[1];
	int i;
	FILE *fp;
	const int R = rounds;

	cpu_model(cpu, sizeof(cpu));
	loadavg(load1, sizeof(load1));
	printf("smime-milter benchmark: %ld CPUs (%s), %s%s\n"
	    "load average before: %s, after: %s; %d round(s), medians\n\n",
	    sysconf(_SC_NPROCESSORS_ONLN), cpu, OpenSSL_version(OPENSSL_VERSION),
	    asan ? ", SANITIZER BUILD (not representative)" : "", load0, load1,
	    rounds);
	if (getloadavg(l, 1) == 1 && l[0] > (double)sysconf(_SC_NPROCESSORS_ONLN))
		printf("WARNING: load above the number of CPUs.  Rates then "
		    "favour the side with more\nrunnable threads (a milter "
		    "message keeps the client and a daemon thread busy,\na "
		    "worker one thread): compare the CPU per message "
		    "ratios.\n\n");
	printf("%-31s %4s %7s %3s %9s %7s %7s %8s %9s %8s\n", "scenario", "conc",
	    "msgs", "err", "msgs/s", "p50 ms", "p99 ms", "MB/s", "CPU ms/msg",
	    "client");
	for (i = 0; i < S_COUNT; i++) {
		struct scenario *s = &sc[i];
		double rate = median(s->sc_rate, s->sc_rounds);

		qsort(s->sc_lat, (size_t)s->sc_nlat, sizeof(double),
		    cmp_double);
		printf("%-31s %4d %7ld %3ld %9.1f %7.2f %7.2f %8.1f %9.3f %8.3f\n",
		    s->sc_name, s->sc_conc, s->sc_done, s->sc_errors, rate,
		    pct(s, 50), pct(s, 99), rate * s->sc_bytes / 1e6,
		    median(s->sc_cpu, s->sc_rounds) * 1e3,
		    median(s->sc_ccpu, s->sc_rounds) * 1e3);
	}
	printf("(rows starting with blanks are the peers; CPU ms/msg: the "
	    "daemon's, the workers' or the command's;\n client: the milter "
	    "client's own CPU per message, on top)\n");

#define RATE(a, b)	ratio(sc[a].sc_rate, sc[b].sc_rate, R)
#define CPU(a, b)	ratio(sc[a].sc_cpu, sc[b].sc_cpu, R)
	r[0] = RATE(S_RSA1, S_RAWRSA1);
	r[1] = RATE(S_RSA2, S_RAWRSA2);
	r[2] = RATE(S_EC1, S_RAWEC1);
	r[3] = RATE(S_EC2, S_RAWEC2);
	r[4] = RATE(S_M1, S_RAWM1);
	r[5] = RATE(S_M2, S_RAWM2);
	r[6] = RATE(S_BIG, S_RAWBIG);
	r[7] = CPU(S_BIG, S_DGSTBIG);
	r[8] = CPU(S_VDBIG, S_DGSTVD);
	r[9] = CPU(S_VOBIG, S_DGSTVO);
	r[10] = RATE(S_VD1, S_RAWVD1);
	r[11] = RATE(S_VD2, S_RAWVD2);
	r[12] = RATE(S_VO1, S_RAWVO1);
	r[13] = RATE(S_RSA2, S_NAIVE2);
	r[14] = CPU(S_RSA1, S_RAWRSA1);
	r[15] = CPU(S_EC1, S_RAWEC1);
	r[16] = CPU(S_M1, S_RAWM1);
	r[17] = CPU(S_BIG, S_RAWBIG);
	printf("\nratios (median of per-round ratios; same number of "
	    "connections as workers):\n");
	rline(stdout, "sign 4KB RSA-2048, 1 conn / CMS_sign, 1 worker", r[0],
	    "goal >= 0.80", r[0] >= 0.8);
	rline(stdout, "sign 4KB RSA-2048, 2 conn / CMS_sign, 2 workers", r[1],
	    "goal >= 0.80", r[1] >= 0.8);
	rline(stdout, "sign 4KB P-256, 1 conn / CMS_sign, 1 worker", r[2],
	    "goal >= 0.50", r[2] >= 0.5);
	rline(stdout, "sign 4KB P-256, 2 conn / CMS_sign, 2 workers", r[3],
	    "goal >= 0.50", r[3] >= 0.5);
	rline(stdout, "sign 1MB, 1 conn / CMS_sign, 1 worker", r[4], "", -1);
	rline(stdout, "sign 1MB, 2 conn / CMS_sign, 2 workers", r[5], "", -1);
	fprintf(stdout, "  %-58s %7.2f\n", "sign big / CMS_sign big, 1 each",
	    r[6]);
	rline(stdout, "CPU: sign big / openssl dgst -sha256 of the message",
	    r[7], "goal <= 2", r[7] <= 2);
	rline(stdout, "CPU: verify big detached / dgst of the message", r[8],
	    "goal <= 2", r[8] <= 2);
	rline(stdout, "CPU: verify big opaque / dgst of the message", r[9],
	    "goal <= 2", r[9] <= 2);
	rline(stdout, "verify 4KB detached, 1 conn / CMS_verify, 1 worker",
	    r[10], "", -1);
	rline(stdout, "verify 4KB detached, 2 conn / CMS_verify, 2 workers",
	    r[11], "", -1);
	rline(stdout, "verify 4KB opaque, 1 conn / CMS_verify, 1 worker", r[12],
	    "", -1);
	rline(stdout, "CPU per message: sign 4KB RSA-2048 / CMS_sign", r[14],
	    "", -1);
	rline(stdout, "CPU per message: sign 4KB P-256 / CMS_sign", r[15],
	    "", -1);
	rline(stdout, "CPU per message: sign 1MB / CMS_sign", r[16], "", -1);
	rline(stdout, "CPU per message: sign big / CMS_sign", r[17], "", -1);
	rline(stdout, "sign 4KB RSA-2048, 2 conn / naive openssl filter, 2",
	    r[13], "", -1);
	printf("\nMB/s of message per core of the daemon (goal >= 400):\n");
	{
		static const int ix[] = { S_M1, S_VDM1, S_VOM1, S_BIG, S_VDBIG,
		    S_VOBIG };
		size_t k;

		for (k = 0; k < sizeof(ix) / sizeof(ix[0]); k++)
			printf("  %-58s %7.0f  %s\n", sc[ix[k]].sc_name,
			    mbps_core(&sc[ix[k]]), mbps_core(&sc[ix[k]]) >= 400 ?
			    "met" : "NOT MET");
	}
	printf("\npeak RSS of smime-milter (VmHWM, MiB), fresh daemon, one "
	    "message (goal: big - 10 KB <= 20):\n"
	    "  %-16s %8s %8s %8s\n", "", "10 KB", "big", "big-10KB");
	{
		static const char *what[] = { "sign", "verify detached",
		    "verify opaque" };

		for (i = 0; i < 3; i++)
			printf("  %-16s %8.1f %8.1f %8.1f  %s\n", what[i],
			    rss[2 * i] / 1024.0, rss[2 * i + 1] / 1024.0,
			    (rss[2 * i + 1] - rss[2 * i]) / 1024.0,
			    rss[2 * i] < 0 || rss[2 * i + 1] < 0 ? "?" :
			    rss[2 * i + 1] - rss[2 * i] <= 20 * 1024 ? "met" :
			    "NOT MET");
	}
	printf("(big = %d MB)\n", bigmb);

	if ((fp = fopen(json, "w")) == NULL)
		die("cannot write %s", json);
	fprintf(fp, "{\n  \"machine\": {\"nproc\": %ld, \"cpu\": \"%s\", "
	    "\"openssl\": \"%s\", \"sanitizer_build\": %s, "
	    "\"load_before\": \"%s\", \"load_after\": \"%s\"},\n"
	    "  \"rounds\": %d,\n  \"big_mb\": %d,\n  \"results\": [\n",
	    sysconf(_SC_NPROCESSORS_ONLN), cpu, OpenSSL_version(OPENSSL_VERSION),
	    asan ? "true" : "false", load0, load1, rounds, bigmb);
	for (i = 0; i < S_COUNT; i++) {
		const struct scenario *s = &sc[i];
		const char *nm = s->sc_name;

		while (*nm == ' ')
			nm++;
		fprintf(fp, "    {\"name\": \"%s\", \"kind\": \"%s\", "
		    "\"concurrency\": %d, \"messages\": %ld, \"errors\": %ld, "
		    "\"msgs_per_s\": %.2f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
		    "\"mb_per_s\": %.2f, \"cpu_ms_per_msg\": %.4f, "
		    "\"client_cpu_ms_per_msg\": %.4f, \"message_bytes\": %.0f}"
		    "%s\n", nm, s->sc_kind == BK_MILTER ? "milter" :
		    s->sc_kind == BK_CMD ? "openssl-command" : "in-process",
		    s->sc_conc, s->sc_done, s->sc_errors,
		    median(s->sc_rate, s->sc_rounds), pct(s, 50), pct(s, 99),
		    median(s->sc_rate, s->sc_rounds) * s->sc_bytes / 1e6,
		    median(s->sc_cpu, s->sc_rounds) * 1e3,
		    median(s->sc_ccpu, s->sc_rounds) * 1e3, s->sc_bytes,
		    i == S_COUNT - 1 ? "" : ",");
	}
	fprintf(fp, "  ],\n  \"ratios\": {\"sign_rsa_1\": %.3f, "
	    "\"sign_rsa_2\": %.3f, \"sign_p256_1\": %.3f, \"sign_p256_2\": "
	    "%.3f, \"sign_1mb_1\": %.3f, \"sign_1mb_2\": %.3f, \"sign_big\": "
	    "%.3f, \"cpu_sign_big_over_dgst\": %.3f, "
	    "\"cpu_verify_big_detached_over_dgst\": %.3f, "
	    "\"cpu_verify_big_opaque_over_dgst\": %.3f, \"verify_detached_1\": "
	    "%.3f, \"verify_detached_2\": %.3f, \"verify_opaque_1\": %.3f, "
	    "\"sign_rsa_2_over_naive_2\": %.3f, \"cpu_sign_rsa\": %.3f, "
	    "\"cpu_sign_p256\": %.3f, \"cpu_sign_1mb\": %.3f, "
	    "\"cpu_sign_big\": %.3f},\n", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15],
	    r[16], r[17]);
	fprintf(fp, "  \"peak_rss_kib\": {\"sign_10KB\": %ld, \"sign_big\": %ld,"
	    " \"verify_detached_10KB\": %ld, \"verify_detached_big\": %ld, "
	    "\"verify_opaque_10KB\": %ld, \"verify_opaque_big\": %ld}\n}\n",
	    rss[0], rss[1], rss[2], rss[3], rss[4], rss[5]);
	if (fclose(fp) != 0)
		die("write error on %s", json);
#undef RATE
#undef CPU
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench -M smime-milter -P pkidir [-O openssl] "
	    "[-d workdir] [-s seconds]\n"
	    "    [-r rounds] [-b big-MB] [-j results.json] [-q]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char *milter = NULL, *pki = NULL, *json = "bench-results.json";
	char *pkiabs;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[512], conf[600], sock[600], errlog[600], load0[64];
	static struct scenario sc[S_COUNT];
	static struct inputs in;
	int ch, bigmb = 100, rounds = 3, round, i, j, bad = 0, nsamples = 0;
	double secs = 2;
	pid_t pid;
	long rss[6];
	bool asan;

	while ((ch = getopt(argc, argv, "b:d:j:M:O:P:qr:s:")) != -1) {
		switch (ch) {
		case 'b': bigmb = atoi(optarg); break;
		case 'd': base = optarg; break;
		case 'j': json = optarg; break;
		case 'M': milter = optarg; break;
		case 'O': bench_openssl = optarg; break;
		case 'P': pki = optarg; break;
		case 'q': bench_quiet = true; break;
		case 'r': rounds = atoi(optarg); break;
		case 's': secs = atof(optarg); break;
		default: usage();
		}
	}
	if (milter == NULL || pki == NULL || bigmb < 1 || secs <= 0 ||
	    rounds < 1 || rounds > BENCH_MAXROUNDS)
		usage();
	/* The daemon's configuration needs absolute paths. */
	if ((pkiabs = realpath(pki, NULL)) == NULL)
		die("%s: cannot resolve", pki);
	pki = pkiabs;
	signal(SIGPIPE, SIG_IGN);
	loadavg(load0, sizeof(load0));
	snprintf(dir, sizeof(dir), "%s/smime-bench.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("cannot create a directory in %s", base);
	bench_dir = dir;
	snprintf(conf, sizeof(conf), "%s/bench.conf", dir);
	snprintf(sock, sizeof(sock), "%s/bench.sock", dir);
	snprintf(errlog, sizeof(errlog), "%s/milter.log", dir);
	make_inputs(&in, pki, bigmb);
	write_conf(conf, pki);

	char *argv_naive[] = { (char *)bench_openssl, "smime", "-sign",
	    "-signer", in.p_cert, "-inkey", in.p_key, "-certfile", in.p_chain,
	    "-in", in.p_rsa4k, "-out", "/dev/null", NULL };
	char *argv_d0[] = { (char *)bench_openssl, "dgst", "-sha256", in.p_big,
	    NULL };
	char *argv_d1[] = { (char *)bench_openssl, "dgst", "-sha256",
	    in.p_vdbig, NULL };
	char *argv_d2[] = { (char *)bench_openssl, "dgst", "-sha256",
	    in.p_vobig, NULL };
	char **argv_dgst[3] = { argv_d0, argv_d1, argv_d2 };

	table(sc, &in, secs, bigmb, argv_naive, argv_dgst);
	asan = file_contains(milter, "__asan_init");	/* ASan runtime */
	if (asan)
		fprintf(stderr, "bench: WARNING: %s is a sanitizer build; "
		    "numbers are not representative\n", milter);
	pid = daemon_start(milter, conf, sock, errlog);
	for (round = 0; round < rounds; round++)
		for (i = 0; i < S_COUNT; i++)
			run_round(&sc[i], sock, pid, round);
	daemon_stop(pid);

	progress("peak RSS: 10 KB and big messages, a fresh daemon each");
	rss[0] = peak_rss(&sc[S_RSA1], &in.m_10k, milter, conf, sock, errlog);
	rss[1] = peak_rss(&sc[S_RSA1], &in.m_big, milter, conf, sock, errlog);
	rss[2] = peak_rss(&sc[S_VD1], &in.m_vd10k, milter, conf, sock, errlog);
	rss[3] = peak_rss(&sc[S_VD1], &in.m_vdbig, milter, conf, sock, errlog);
	rss[4] = peak_rss(&sc[S_VO1], &in.m_vo10k, milter, conf, sock, errlog);
	rss[5] = peak_rss(&sc[S_VO1], &in.m_vobig, milter, conf, sock, errlog);

	progress("verifying the samples with openssl cms -verify");
	for (i = 0; i < S_COUNT; i++)
		for (j = 0; j < sc[i].sc_nsamples; j++) {
			const char *why = sample_verify(pki,
			    sc[i].sc_samples[j]);

			nsamples++;
			if (why != NULL) {
				fprintf(stderr, "bench: %s: sample %s: %s\n",
				    sc[i].sc_name, sc[i].sc_samples[j], why);
				bad = 1;
			}
		}
	if (sc[S_RSA1].sc_nsamples > 0 && !sample_tamper_detected(pki,
	    sc[S_RSA1].sc_samples[0])) {
		fprintf(stderr, "bench: a tampered sample passes openssl cms "
		    "-verify: the sample check proves nothing\n");
		bad = 1;
	}
	report(sc, rounds, rss, bigmb, asan, load0, json);
	for (i = 0; i < S_COUNT; i++) {
		if (sc[i].sc_errors > 0 || (sc[i].sc_sample &&
		    sc[i].sc_nsamples == 0)) {
			fprintf(stderr, "bench: %s: %ld errors, %d samples "
			    "checked%s%s\n", sc[i].sc_name, sc[i].sc_errors,
			    sc[i].sc_nsamples, sc[i].sc_errors ? "; first: " :
			    "", sc[i].sc_firsterr);
			bad = 1;
		}
	}
	for (i = 0; i < 6; i++)
		if (rss[i] < 0)
			bad = 1;
	if (!bad)
		printf("%d samples of the signed output verified by openssl cms "
		    "-verify\n(and a copy with one letter changed rejected)\n",
		    nsamples);
	for (i = 0; i < S_COUNT; i++) {
		for (j = 0; j < sc[i].sc_nsamples; j++) {
			if (!bad)
				unlink(sc[i].sc_samples[j]);
			free(sc[i].sc_samples[j]);
		}
		free(sc[i].sc_lat);
	}
	if (bad) {
		fprintf(stderr, "bench: FAILED (files kept in %s)\n", dir);
		return 1;
	}
	inputs_free(&in);
	free(pkiabs);
	unlink(conf);
	unlink(errlog);
	unlink(sock);
	(void)rmdir(dir);
	return 0;
}
