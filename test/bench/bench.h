/*
 * bench.h - shared by the parts of `make bench` (test/bench/): the
 * scenarios it runs, the inputs it generates and the peers it measures
 * smime-milter against.
 *
 * bench.c   options, the scenario table, rounds, ratios and the report;
 * brun.c    running a scenario: milter connections, in-process CMS
 *           sign/verify workers, openssl child processes, CPU and RSS of
 *           the daemon;
 * bgen.c    generating messages and verifying samples of the output with
 *           the openssl command (an independent verifier).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/x509.h>

#include "test/client/mclient.h"

#define BENCH_MAXFIELDS		64
#define BENCH_MAXROUNDS		9
#define BENCH_MAXSAMPLES	8
/* Every generated plain message carries this text; a verified sample's
 * content must contain it. */
#define BENCH_MARKER		"Campaign news: polling stations open"

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

/* A file read into memory (the in-process peers' input). */
struct bdata {
	unsigned char	*bd_data;
	size_t		 bd_len;
};

/* Key material of the in-process peers (read-only once loaded). */
struct rawkey {
	X509		*rk_cert;
	EVP_PKEY	*rk_key;
	STACK_OF(X509)	*rk_chain;
	X509_STORE	*rk_store;	/* trust anchors, for verifying */
};

enum bexpect { BX_SIGN, BX_VERIFY };

/* What one "message" of a scenario is. */
enum bkind {
	BK_MILTER,	/* through smime-milter over the milter protocol */
	BK_RAW_SIGN,	/* CMS_sign() of the entity in this process */
	BK_RAW_VERIFY,	/* SMIME_read_CMS() + CMS_verify() in this process */
	BK_CMD		/* one run of an openssl command (naive filter, dgst) */
};

struct scenario {
	const char	*sc_name;
	enum bkind	 sc_kind;
	struct bmsg	*sc_msg;	/* BK_MILTER */
	const char	*sc_from;	/* envelope sender */
	const char	*sc_auth;	/* NULL: unauthenticated */
	const struct rawkey *sc_key;	/* BK_RAW_* */
	const struct bdata *sc_data;	/* BK_RAW_*: entity or message */
	char *const	*sc_argv;	/* BK_CMD */
	enum bexpect	 sc_expect;
	int		 sc_conc;	/* connections, workers or children */
	double		 sc_seconds;	/* run time bound per round */
	long		 sc_max;	/* message count bound per round */
	double		 sc_bytes;	/* message size, for MB/s */
	bool		 sc_sample;	/* keep samples of signed output */
	/* results, per round and overall */
	int		 sc_rounds;
	double		 sc_rate[BENCH_MAXROUNDS];	/* messages/s */
	double		 sc_cpu[BENCH_MAXROUNDS];	/* worker s/msg */
	double		 sc_ccpu[BENCH_MAXROUNDS];	/* client s/msg */
	long		 sc_done;
	long		 sc_errors;
	char		 sc_firsterr[MC_ERRLEN];
	double		*sc_lat;	/* seconds, every round */
	long		 sc_nlat;
	long		 sc_latalloc;
	int		 sc_nsamples;
	char		*sc_samples[BENCH_MAXSAMPLES];	/* sample files */
};

/* Global settings (bench.c). */
extern const char *bench_openssl;	/* the openssl command */
extern const char *bench_dir;		/* work directory */
extern bool bench_quiet;

/* bench.c */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double now(void);

/* brun.c */
/*
 * Run argv to completion with stdout to out (NULL: /dev/null) and stderr
 * to err (NULL: ours); returns its exit status (-1: not run) and adds its
 * CPU seconds (user + system) to *cpu when cpu is not NULL.
 */
int run_cmd(char *const argv[], const char *out, const char *err,
    double *cpu);
/* Start smime-milter -f on sock (config conf, stderr appended to
 * errlog); returns its pid once the socket exists, dies otherwise.  The
 * daemon is killed at exit if still running; its pid is also in
 * bench_dir/daemon.pid while it runs. */
pid_t daemon_start(const char *milter, const char *conf, const char *sock,
    const char *errlog);
/* Kill the daemon (SIGKILL: libmilter takes seconds to stop cleanly and
 * nothing of a graceful stop is measured) and reap it. */
void daemon_stop(pid_t pid);
/* CPU seconds (user + system) pid has used so far, -1 if unknown. */
double proc_cpu(pid_t pid);
/* A "Vm...:" value of /proc/PID/status in KiB, -1 if unavailable. */
long proc_kib(pid_t pid, const char *field);
/*
 * Run one round of sc (against the daemon pid listening on sock for
 * BK_MILTER) and add its results; samples are kept in round 0 only.
 */
void run_round(struct scenario *sc, const char *sock, pid_t pid, int round);
/* Load cert, key and chain of test PKI identity name, and the trust
 * anchors, for the in-process peers. */
void rawkey_load(struct rawkey *rk, const char *pki, const char *name);
void rawkey_free(struct rawkey *rk);

/* bgen.c */
/* Write a plain text message of about size bytes (CRLF) to path; from
 * NULL writes only a MIME entity (Content-Type and body). */
void gen_plain(const char *path, const char *from, size_t size);
/* Sign entity with openssl as taro (detached multipart/signed, or opaque
 * application/pkcs7-mime) and write it as a CRLF message to path. */
void gen_signed(const char *pki, const char *entity, bool opaque,
    const char *path);
/* Load the header section of path (CRLF), remember the body offset. */
void bmsg_load(struct bmsg *m, const char *path);
void bmsg_free(struct bmsg *m);
/* True when the file at path contains needle (under 128 bytes). */
bool file_contains(const char *path, const char *needle);
/* Read a whole file into d. */
void bdata_load(struct bdata *d, const char *path);
/*
 * Verify the sample message in path with `openssl cms -verify` against
 * the test PKI's trust anchors and check that the content holds
 * BENCH_MARKER.  Returns NULL, or why it failed (static text).
 */
const char *sample_verify(const char *pki, const char *path);
/*
 * The check above can fail: a copy of the sample in path with one letter
 * of the signed text changed must be rejected.  True when it is.
 */
bool sample_tamper_detected(const char *pki, const char *path);

#endif /* BENCH_H */
