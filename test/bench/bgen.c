/*
 * bgen.c - inputs of `make bench` (see bench.h): plain messages of a
 * given size, messages signed by openssl (detached and opaque), and the
 * check of signed samples with `openssl cms -verify`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test/bench/bench.h"

void
gen_plain(const char *path, const char *from, size_t size)
{
	static const char line[] = BENCH_MARKER " from 7:00 to 20:00, bring "
	    "your voting card.  ";
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

void
gen_signed(const char *pki, const char *entity, bool opaque,
    const char *path)
{
	char cert[512], key[512], chain[512], raw[600];
	char *argv[] = { (char *)bench_openssl, "cms", "-sign", "-signer", cert,
	    "-inkey", key, "-certfile", chain, "-in", (char *)entity,
	    "-binary", "-stream", opaque ? "-nodetach" : NULL, NULL };
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	snprintf(cert, sizeof(cert), "%s/taro.crt", pki);
	snprintf(key, sizeof(key), "%s/taro.key", pki);
	snprintf(chain, sizeof(chain), "%s/chain.pem", pki);
	snprintf(raw, sizeof(raw), "%s.raw", path);
	if (run_cmd(argv, raw, NULL, NULL) != 0)
		die("openssl cms -sign failed for %s", entity);
	if ((in = fopen(raw, "rb")) == NULL || (out = fopen(path, "wb")) == NULL)
		die("cannot write %s", path);
	fprintf(out, "From: <taro@example.jp>\r\nTo: <voter@example.net>\r\n"
	    "Subject: signed bench\r\n");
	while ((n = getline(&line, &cap, in)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		fwrite(line, 1, (size_t)n, out);
		fputs("\r\n", out);
	}
	free(line);
	fclose(in);
	if (fclose(out) != 0)
		die("write error on %s", path);
	unlink(raw);
}

void
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

void
bmsg_free(struct bmsg *m)
{
	if (m->bm_fd >= 0)
		close(m->bm_fd);
	free(m->bm_hdrbuf);
	m->bm_hdrbuf = NULL;
	m->bm_fd = -1;
}

void
bdata_load(struct bdata *d, const char *path)
{
	struct stat st;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) != 0 ||
	    (d->bd_data = malloc((size_t)st.st_size + 1)) == NULL ||
	    fread(d->bd_data, 1, (size_t)st.st_size, fp) != (size_t)st.st_size)
		die("cannot read %s", path);
	d->bd_len = (size_t)st.st_size;
	fclose(fp);
}

bool
file_contains(const char *path, const char *needle)
{
	char buf[65536 + 128];
	size_t nlen = strlen(needle), keep = 0, n;
	bool found = false;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return false;
	while (!found && (n = fread(buf + keep, 1, 65536, fp)) > 0) {
		size_t have = keep + n;

		found = memmem(buf, have, needle, nlen) != NULL;
		keep = have < nlen - 1 ? have : nlen - 1;
		memmove(buf, buf + have - keep, keep);
	}
	fclose(fp);
	return found;
}

const char *
sample_verify(const char *pki, const char *path)
{
	char trust[512], content[600], err[600];
	char *argv[] = { (char *)bench_openssl, "cms", "-verify", "-in",
	    (char *)path, "-CAfile", trust, "-out", content, NULL };
	const char *why = NULL;

	snprintf(trust, sizeof(trust), "%s/trust.pem", pki);
	snprintf(content, sizeof(content), "%s.content", path);
	snprintf(err, sizeof(err), "%s.err", path);
	if (run_cmd(argv, NULL, err, NULL) != 0)
		why = "openssl cms -verify rejects it (see .err)";
	else if (!file_contains(content, BENCH_MARKER))
		why = "the signed content lacks the message text";
	unlink(content);
	if (why == NULL)
		unlink(err);
	return why;
}

bool
sample_tamper_detected(const char *pki, const char *path)
{
	struct bdata d;
	char *copy = NULL, *hit;
	const char *why;
	FILE *fp;

	bdata_load(&d, path);
	d.bd_data[d.bd_len] = '\0';
	/* One letter of the signed text changes: "polling" -> "pulling". */
	if ((hit = memmem(d.bd_data, d.bd_len, "polling", 7)) == NULL ||
	    asprintf(&copy, "%s.tampered", path) < 0 ||
	    (fp = fopen(copy, "wb")) == NULL)
		die("cannot make a tampered copy of %s", path);
	hit[1] = 'u';
	if (fwrite(d.bd_data, 1, d.bd_len, fp) != d.bd_len || fclose(fp) != 0)
		die("write error on %s", copy);
	why = sample_verify(pki, copy);
	unlink(copy);
	if (why != NULL) {
		char err[600];

		snprintf(err, sizeof(err), "%s.err", copy);
		unlink(err);
	}
	free(copy);
	free(d.bd_data);
	return why != NULL;
}
