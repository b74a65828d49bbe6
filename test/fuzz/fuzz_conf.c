/*
 * fuzz_conf.c - libFuzzer target for the configuration loader: the input
 * is written to a temporary file and handed to conf_load().  Invariants:
 * a failure always says why, naming the file; a loaded configuration can
 * be printed (smime-milter -T) and freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "test/fuzz/fuzz_msg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_path[4096];
static FILE *fz_null;

/* The input file goes when the fuzzer exits. */
static void
fz_cleanup(void)
{
	unlink(fz_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	/* conf_load() reads a path: rewrite one file per input, in memory
	 * (tmpfs) when there is one. */
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(fz_path, sizeof(fz_path), "%s/fuzz_conf.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if ((fd = mkstemp(fz_path)) < 0 || (fz_null = fopen("/dev/null", "w"))
	    == NULL) {
		perror("fuzz_conf");
		exit(1);
	}
	close(fd);
	atexit(fz_cleanup);
	return 0;
}

static void
ignore_warning(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smime_conf *conf;
	char errbuf[2048];
	FILE *fp;

	if ((fp = fopen(fz_path, "wb")) == NULL)
		return 0;
	if (size > 0 && fwrite(data, 1, size, fp) != size) {
		fclose(fp);
		return 0;
	}
	if (fclose(fp) != 0)
		return 0;
	errbuf[0] = '\0';
	conf = conf_load(fz_path, errbuf, sizeof(errbuf), ignore_warning, NULL);
	if (conf == NULL) {
		if (errbuf[0] == '\0')
			fz_fail("conf_load failed without a message", NULL);
		if (strstr(errbuf, "fuzz_conf.") == NULL)
			fz_fail("error does not name the file", errbuf);
	} else {
		conf_print(conf, fz_null);
		conf_free(conf);
	}
	return 0;
}
