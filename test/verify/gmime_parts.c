/*
 * gmime_parts - how GMime (an independent MIME parser, used by mail
 * readers) sees a message, for the differential test (mimediff.py).
 *
 * usage: gmime_parts MESSAGE OUTPREFIX
 *
 * Prints one line "TYPE/SUBTYPE NPARTS NCTFIELDS" for the top-level
 * entity (NPARTS: children of a multipart, else 0; NCTFIELDS: how many
 * Content-Type fields its header has), then "part2 TYPE/SUBTYPE" for a
 * multipart with a second part.  Writes OUTPREFIX.1, the first part as
 * GMime serializes it (the bytes GMime itself would hand to a signature
 * check, CRLF line ends), and OUTPREFIX.sig, the decoded content of the
 * second part (multipart) or of the top-level leaf (application/pkcs7-
 * mime).  Exit 0, or 1 when the message cannot be parsed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

/* Write obj (serialized, CRLF) or, when decode, its decoded content. */
static int
dump(GMimeObject *obj, const char *path, gboolean decode)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *out, *filt = NULL;
	GMimeDataWrapper *dw;
	int rc = 1;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	if ((out = g_mime_stream_fs_open(path, O_WRONLY | O_CREAT | O_TRUNC,
	    0644, NULL)) == NULL)
		goto done;
	if (decode) {
		if (!GMIME_IS_PART(obj) ||
		    (dw = g_mime_part_get_content(GMIME_PART(obj))) == NULL)
			goto done;
		if (g_mime_data_wrapper_write_to_stream(dw, out) >= 0)
			rc = 0;
	} else {
		/* As GMime's own signature check does: CRLF throughout. */
		filt = g_mime_stream_filter_new(out);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filt),
		    g_mime_filter_unix2dos_new(FALSE));
		if (g_mime_object_write_to_stream(obj, fo, filt) >= 0 &&
		    g_mime_stream_flush(filt) == 0)
			rc = 0;
	}
done:
	if (filt != NULL)
		g_object_unref(filt);
	if (out != NULL)
		g_object_unref(out);
	g_mime_format_options_free(fo);
	return rc;
}

/* How many Content-Type fields obj's own header has. */
static int
ct_fields(GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int i, n = 0;

	for (i = 0; i < g_mime_header_list_get_count(hl); i++)
		if (g_ascii_strcasecmp(g_mime_header_get_name(
		    g_mime_header_list_get_header_at(hl, i)),
		    "Content-Type") == 0)
			n++;
	return n;
}

int
main(int argc, char **argv)
{
	GMimeStream *in;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *top, *p;
	GMimeContentType *ct;
	char path[4096];
	int nparts = 0, rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: gmime_parts MESSAGE OUTPREFIX\n");
		return 1;
	}
	g_mime_init();
	if ((in = g_mime_stream_fs_open(argv[1], O_RDONLY, 0, NULL)) == NULL)
		return 1;
	parser = g_mime_parser_new_with_stream(in);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL || (top = g_mime_message_get_mime_part(msg)) == NULL)
		goto out;
	ct = g_mime_object_get_content_type(top);
	if (GMIME_IS_MULTIPART(top))
		nparts = g_mime_multipart_get_count(GMIME_MULTIPART(top));
	printf("%s/%s %d %d\n", g_mime_content_type_get_media_type(ct),
	    g_mime_content_type_get_media_subtype(ct), nparts,
	    ct_fields(top));
	if (nparts >= 1) {
		snprintf(path, sizeof(path), "%s.1", argv[2]);
		if (dump(g_mime_multipart_get_part(GMIME_MULTIPART(top), 0),
		    path, FALSE) != 0)
			goto out;
	}
	if (nparts >= 2) {
		p = g_mime_multipart_get_part(GMIME_MULTIPART(top), 1);
		ct = g_mime_object_get_content_type(p);
		printf("part2 %s/%s\n", g_mime_content_type_get_media_type(ct),
		    g_mime_content_type_get_media_subtype(ct));
		snprintf(path, sizeof(path), "%s.sig", argv[2]);
		(void)dump(p, path, TRUE);
	} else if (nparts == 0) {
		snprintf(path, sizeof(path), "%s.sig", argv[2]);
		(void)dump(top, path, TRUE);
	}
	rc = 0;
out:
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(in);
	g_mime_shutdown();
	return rc;
}
