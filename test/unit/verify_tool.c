/*
 * verify_tool.c - run smime_verify_message() on one message file, the way
 * the daemon would: header fields as a list, body as CRLF in a spool.
 *
 * usage: verify_tool [-A authserv-id] -t trust [-i intermediates]
 *            [-c crl]... [-o] [-T ocsp-timeout] [-s] [-d depth]
 *            [-m spool-memory] [-S leaf|chain]
 *            [-U temperror|neutral|pass] [-D unix-time]
 *            [-F (fetch CRLs from CDPs)] [-C crl-cache-dir]
 *            [-W fetch-timeout] [-Z crl-max-size] [-1 (allow SHA-1)]
 *            [-R min-rsa-bits] [-I (fetch AIA caIssuers)] message...
 *
 * Prints "delete: NAME INDEX" for each queued deletion, "NAME: VALUE"
 * (folding kept) for each field to prepend, then "worst: RESULT" and
 * "detail: TEXT" (the summary line, smime_verify_result's vres_summary).
 * With several messages (one verifier for all, so caches carry over) each
 * output ends with a line "--".  The message "-" reads message paths
 * from standard input, one a line, so a test can change files between
 * messages.  Exit 0 when every result was
 * determined, 1 on usage error, 2 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smime/verify.h"

#define MAX_CRLS 8

/*
 * Read the header of fp (up to and including the first empty line) into a
 * NUL-terminated buffer; the body stays unread, so that it can be streamed
 * and memory does not grow with the message (as in the daemon).
 */
static char *
read_header(FILE *fp, size_t *len)
{
	char *buf = NULL, *line = NULL, *n;
	size_t alloc = 0, cap = 0;
	ssize_t got;

	*len = 0;
	while ((got = getline(&line, &cap, fp)) > 0) {
		if (*len + (size_t)got + 1 > alloc) {
			alloc = (*len + (size_t)got + 1) * 2;
			if ((n = realloc(buf, alloc)) == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
		}
		memcpy(buf + *len, line, (size_t)got);
		*len += (size_t)got;
		buf[*len] = '\0';
		if (strcmp(line, "\n") == 0 || strcmp(line, "\r\n") == 0)
			break;
	}
	free(line);
	if (buf == NULL && (buf = calloc(1, 1)) == NULL)
		return NULL;
	return buf;
}

/*
 * Split the header at the first empty line into hs (folding kept as
 * "\r\n" + WSP); return the offset of the body.
 */
static size_t
split_header(const char *msg, size_t len, struct smime_headers *hs)
{
	size_t pos = 0, eol, next;
	char *field = NULL, *colon, *v;
	size_t flen = 0;

	while (pos < len) {
		eol = pos;
		while (eol < len && msg[eol] != '\n')
			eol++;
		next = eol < len ? eol + 1 : eol;
		if (eol > pos && msg[eol - 1] == '\r')
			eol--;
		if (eol == pos) {	/* empty line: end of header */
			pos = next;
			break;
		}
		if ((msg[pos] == ' ' || msg[pos] == '\t') && field != NULL) {
			field = realloc(field, flen + 2 + (eol - pos) + 1);
			memcpy(field + flen, "\r\n", 2);
			memcpy(field + flen + 2, msg + pos, eol - pos);
			flen += 2 + (eol - pos);
			field[flen] = '\0';
		} else {
			if (field != NULL && (colon = strchr(field, ':'))) {
				*colon = '\0';
				v = colon + 1;
				if (*v == ' ')
					v++;
				smime_headers_add(hs, field, v);
			}
			free(field);
			field = strndup(msg + pos, eol - pos);
			flen = eol - pos;
		}
		pos = next;
	}
	if (field != NULL && (colon = strchr(field, ':'))) {
		*colon = '\0';
		v = colon + 1;
		if (*v == ' ')
			v++;
		smime_headers_add(hs, field, v);
	}
	free(field);
	return pos;
}

/*
 * Append len bytes to spool with every bare LF turned into CRLF; *prev_cr
 * carries whether the previous chunk ended in CR.
 */
static int
spool_body(struct smime_spool *spool, const char *p, size_t len,
    bool *prev_cr)
{
	struct smime_err err;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		bool cr_before = i > 0 ? p[i - 1] == '\r' : *prev_cr;

		if (p[i] != '\n' || cr_before)
			continue;
		if (smime_spool_write(spool, p + start, i - start, &err) !=
		    SMIME_OK ||
		    smime_spool_write(spool, "\r\n", 2, &err) != SMIME_OK)
			return -1;
		start = i + 1;
	}
	if (len > 0)
		*prev_cr = p[len - 1] == '\r';
	return smime_spool_write(spool, p + start, len - start, &err) ==
	    SMIME_OK ? 0 : -1;
}

/* Verify one message file with v and print the edits; 0 or 2. */
static int
verify_file(const struct smime_verifier *v, const char *path,
    size_t spool_memory)
{
	struct smime_headers hs;
	struct smime_edits ed;
	struct smime_spool *spool = NULL;
	struct smime_err err;
	struct smime_verify_result res;
	char *msg = NULL, chunk[65536];
	size_t len, got, i;
	bool prev_cr = false;
	FILE *fp = NULL;
	smime_status st;
	int rc = 2;

	smime_headers_init(&hs);
	smime_edits_init(&ed);
	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		goto out;
	}
	if ((msg = read_header(fp, &len)) == NULL)
		goto out;
	split_header(msg, len, &hs);
	spool = smime_spool_new(spool_memory ? spool_memory : 1 << 20, NULL);
	if (spool == NULL)
		goto out;
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (spool_body(spool, chunk, got, &prev_cr) != 0) {
			fprintf(stderr, "spool failed\n");
			goto out;
		}
	st = smime_verify_message(v, &hs, spool, &ed, &res, &err);
	if (st != SMIME_OK) {
		fprintf(stderr, "verify: %s: %s\n", smime_strerror(st),
		    smime_err_get0(&err));
		goto out;
	}
	for (i = 0; i < ed.ed_ndelete; i++)
		printf("delete: %s %zu\n", ed.ed_delete[i].hr_name,
		    ed.ed_delete[i].hr_index);
	for (i = 0; i < ed.ed_prepend.hs_count; i++)
		printf("%s: %s\n", ed.ed_prepend.hs_list[i].hdr_name,
		    ed.ed_prepend.hs_list[i].hdr_value);
	printf("worst: %s\n", smime_result_name(res.vres_worst));
	printf("detail: %s\n", res.vres_summary);
	/* The verifier never touches the body or appends fields. */
	rc = ed.ed_body == NULL && ed.ed_append.hs_count == 0 ? 0 : 2;
out:
	smime_edits_clear(&ed);
	smime_headers_clear(&hs);
	smime_spool_free(spool);
	if (fp != NULL)
		fclose(fp);
	free(msg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct smime_verify_opts o;
	struct smime_verifier *v = NULL;
	struct smime_err err;
	char *crls[MAX_CRLS];
	int ch, i, rc = 0;

	memset(&o, 0, sizeof(o));
	o.vo_authserv_id = "mx.example.net";
	o.vo_ocsp_timeout = 5;
	o.vo_crls = crls;
	while ((ch = getopt(argc, argv, "A:t:i:c:oT:sd:m:S:U:D:FC:W:Z:1R:I")) != -1) {
		switch (ch) {
		case 'A': o.vo_authserv_id = optarg; break;
		case 't': o.vo_trust_anchors = optarg; break;
		case 'i': o.vo_intermediates = optarg; break;
		case 'c':
			if (o.vo_ncrls < MAX_CRLS)
				crls[o.vo_ncrls++] = optarg;
			break;
		case 'o': o.vo_ocsp = true; break;
		case 'T': o.vo_ocsp_timeout = (unsigned)atoi(optarg); break;
		case 's': o.vo_signer_header = true; break;
		case 'd': o.vo_max_depth = (unsigned)atoi(optarg); break;
		case 'm': o.vo_spool_memory = (size_t)atol(optarg); break;
		case 'S':
			o.vo_revocation_scope = strcmp(optarg, "chain") == 0 ?
			    SMIME_REVSCOPE_CHAIN : SMIME_REVSCOPE_LEAF;
			break;
		case 'U':
			o.vo_revocation_unavailable =
			    strcmp(optarg, "pass") == 0 ? SMIME_REVUNAVAIL_PASS :
			    strcmp(optarg, "neutral") == 0 ?
			    SMIME_REVUNAVAIL_NEUTRAL : SMIME_REVUNAVAIL_TEMPERROR;
			break;
		case 'D': o.vo_time = (time_t)atoll(optarg); break;
		case 'F': o.vo_crl_fetch = true; break;
		case 'I': o.vo_aia_fetch = true; break;
		case '1': o.vo_allow_sha1 = true; break;
		case 'R': o.vo_min_rsa_bits = (unsigned)atoi(optarg); break;
		case 'C': o.vo_crl_cache_dir = optarg; break;
		case 'W': o.vo_crl_fetch_timeout = (unsigned)atoi(optarg); break;
		case 'Z': o.vo_crl_max_size = (size_t)atol(optarg); break;
		default:
			fprintf(stderr, "bad usage\n");
			return 1;
		}
	}
	if (optind >= argc || o.vo_trust_anchors == NULL) {
		fprintf(stderr, "usage: verify_tool -t trust [options] "
		    "message...\n");
		return 1;
	}
	if ((v = smime_verifier_new(&o, &err)) == NULL) {
		fprintf(stderr, "verifier: %s\n", smime_err_get0(&err));
		return 2;
	}
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			char line[4096];

			while (fgets(line, sizeof(line), stdin) != NULL) {
				line[strcspn(line, "\r\n")] = '\0';
				if (verify_file(v, line, o.vo_spool_memory) != 0)
					rc = 2;
				printf("--\n");
				fflush(stdout);
			}
			continue;
		}
		if (verify_file(v, argv[i], o.vo_spool_memory) != 0)
			rc = 2;
		if (argc - optind > 1)
			printf("--\n");
		fflush(stdout);
	}
	smime_verifier_free(v);
	return rc;
}
