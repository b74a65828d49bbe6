/*
 * sign_tool.c - test driver: sign one RFC 5322 message file the way the
 * daemon would and write the resulting message (CRLF) to stdout.
 *
 * usage: sign_tool [-d digest] [-P] [-N] [-O] [-m spool-memory] CERT KEY CHAIN [IN]
 *   -P  RSASSA-PSS    -N  leave the chain out    -O  opaque signed-data
 *   -s  only print whether
 *   smime_sign_is_smime() says the message is S/MIME already ("yes"/"no").
 * The identity is read with PEM_read_* here (not smime/identity.c) so that
 * the signer can be tested on its own.  Exit 0 on success, 2 on a library
 * error (status name and detail on stderr), 1 on usage or I/O errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "smime/sign.h"

static char *
slurp(FILE *fp, size_t *len)
{
	size_t alloc = 65536, n = 0, got;
	char *buf = malloc(alloc + 1), *nb;

	while (buf != NULL && (got = fread(buf + n, 1, alloc - n, fp)) > 0) {
		n += got;
		if (n == alloc) {
			alloc *= 2;
			if ((nb = realloc(buf, alloc + 1)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* Length of the line break at p (CRLF, LF or CR), 0 if none. */
static size_t
eol_len(const char *p, const char *end)
{
	if (p < end && *p == '\r')
		return p + 1 < end && p[1] == '\n' ? 2 : 1;
	return p < end && *p == '\n' ? 1 : 0;
}

/*
 * Split msg into header fields (folding kept, as "\n" + white space, the
 * way libmilter hands them over) and return where the body starts.
 */
static const char *
split_headers(const char *msg, size_t len, struct smime_headers *hs)
{
	const char *p = msg, *end = msg + len, *line, *colon;
	char *name = NULL, *value = NULL, *nv;
	size_t e, vlen = 0;

	while (p < end) {
		line = p;
		while (p < end && *p != '\r' && *p != '\n')
			p++;
		e = eol_len(p, end);
		if (p == line) {	/* blank line */
			p += e;
			break;
		}
		if ((*line == ' ' || *line == '\t') && value != NULL) {
			nv = realloc(value, vlen + (size_t)(p - line) + 2);
			value = nv;
			value[vlen++] = '\n';
			memcpy(value + vlen, line, (size_t)(p - line));
			vlen += (size_t)(p - line);
			value[vlen] = '\0';
		} else if ((colon = memchr(line, ':', (size_t)(p - line)))
		    != NULL) {
			if (name != NULL)
				smime_headers_add(hs, name, value);
			free(name);
			free(value);
			name = strndup(line, (size_t)(colon - line));
			colon++;
			while (colon < p && (*colon == ' ' || *colon == '\t'))
				colon++;
			value = strndup(colon, (size_t)(p - colon));
			vlen = strlen(value);
		} else {
			p = line;	/* not a header: body starts here */
			break;
		}
		p += e;
	}
	if (name != NULL)
		smime_headers_add(hs, name, value);
	free(name);
	free(value);
	return p;
}

/* Print a header value, turning "\n" folding into CRLF. */
static void
put_field(const char *name, const char *value)
{
	const char *p;

	printf("%s: ", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			fputs("\r\n", stdout);
		else
			putchar(*p);
	}
	fputs("\r\n", stdout);
}

/* Write the message with edits applied, like the daemon would. */
static void
apply(const struct smime_headers *hs, const struct smime_edits *ed)
{
	const struct smime_header *h;
	size_t i, j, nth;
	uint64_t off = 0;
	char buf[65536];
	size_t got;
	struct smime_err err;

	for (i = 0; i < ed->ed_prepend.hs_count; i++)
		put_field(ed->ed_prepend.hs_list[i].hdr_name,
		    ed->ed_prepend.hs_list[i].hdr_value);
	for (i = 0; i < hs->hs_count; i++) {
		h = &hs->hs_list[i];
		for (nth = 1, j = 0; j < i; j++)
			if (strcasecmp(hs->hs_list[j].hdr_name, h->hdr_name) == 0)
				nth++;
		if (!smime_edits_deletes(ed, h->hdr_name, nth))
			put_field(h->hdr_name, h->hdr_value);
	}
	for (i = 0; i < ed->ed_append.hs_count; i++)
		put_field(ed->ed_append.hs_list[i].hdr_name,
		    ed->ed_append.hs_list[i].hdr_value);
	fputs("\r\n", stdout);
	while (smime_spool_read_at(ed->ed_body, off, buf, sizeof(buf), &got,
	    &err) == SMIME_OK && got > 0) {
		fwrite(buf, 1, got, stdout);
		off += got;
	}
}

static int
load_identity(struct smime_identity *id, const char *certf,
    const char *keyf, const char *chainf)
{
	FILE *fp;
	X509 *x;

	memset(id, 0, sizeof(*id));
	id->id_chain = sk_X509_new_null();
	if ((fp = fopen(certf, "r")) == NULL)
		return -1;
	id->id_cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if ((fp = fopen(keyf, "r")) == NULL)
		return -1;
	id->id_key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if ((fp = fopen(chainf, "r")) == NULL)
		return -1;
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL)
		sk_X509_push(id->id_chain, x);
	fclose(fp);
	return id->id_cert != NULL && id->id_key != NULL ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct smime_sign_opts opts;
	struct smime_identity id;
	struct smime_headers hs;
	struct smime_edits ed;
	struct smime_spool *body;
	struct smime_err err;
	const char *bstart;
	FILE *in = stdin;
	char *msg;
	size_t len;
	smime_status st;
	int c, rc = 1;
	bool check_only = false;

	memset(&opts, 0, sizeof(opts));
	opts.so_digest = "sha256";
	opts.so_include_chain = true;
	while ((c = getopt(argc, argv, "d:Pm:NOs")) != -1) {
		switch (c) {
		case 'd': opts.so_digest = optarg; break;
		case 'P': opts.so_rsa_pss = true; break;
		case 'm': opts.so_spool_memory = strtoul(optarg, NULL, 10); break;
		case 'N': opts.so_include_chain = false; break;
		case 'O': opts.so_opaque = true; break;
		case 's': check_only = true; break;
		default: return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: sign_tool [-d digest] [-P] [-N] [-O] [-s] "
		    "[-m mem] CERT KEY CHAIN [IN]\n");
		return 1;
	}
	if (argc == 4 && (in = fopen(argv[3], "rb")) == NULL) {
		perror(argv[3]);
		return 1;
	}
	if ((msg = slurp(in, &len)) == NULL)
		return 1;
	smime_headers_init(&hs);
	bstart = split_headers(msg, len, &hs);
	if (check_only) {
		puts(smime_sign_is_smime(&hs) ? "yes" : "no");
		smime_headers_clear(&hs);
		free(msg);
		return 0;
	}
	if (load_identity(&id, argv[0], argv[1], argv[2]) != 0) {
		fprintf(stderr, "sign_tool: cannot load identity\n");
		return 1;
	}
	body = smime_spool_new(opts.so_spool_memory == 0 ? 1 << 20 :
	    opts.so_spool_memory, NULL);
	smime_spool_write(body, bstart, len - (size_t)(bstart - msg), &err);
	smime_err_clear(&err);
	st = smime_sign_message(&id, &opts, &hs, body, &ed, &err);
	if (st == SMIME_OK) {
		apply(&hs, &ed);
		rc = 0;
	} else {
		fprintf(stderr, "sign_tool: %s: %s\n", smime_strerror(st),
		    smime_err_get0(&err));
		if (ed.ed_body != NULL || ed.ed_append.hs_count != 0 ||
		    ed.ed_ndelete != 0)
			fprintf(stderr, "sign_tool: edits not empty on error\n");
		rc = 2;
	}
	smime_edits_clear(&ed);
	smime_spool_free(body);
	smime_headers_clear(&hs);
	X509_free(id.id_cert);
	EVP_PKEY_free(id.id_key);
	sk_X509_pop_free(id.id_chain, X509_free);
	free(msg);
	if (in != stdin)
		fclose(in);
	return rc;
}
