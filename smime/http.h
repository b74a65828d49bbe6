/*
 * http.h - plain-HTTP GET/POST for revocation data, bounded as a whole.
 */
#ifndef SMIME_HTTP_H
#define SMIME_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/bio.h>

/*
 * Send one request to url (http:// only; https and redirects refused):
 * a POST of body (bodylen bytes, content_type) when body is not NULL,
 * else a GET.  The whole exchange, name lookup (in a helper thread we
 * stop waiting for) and connect included, ends within timeout seconds
 * (0: 10).  The response must be 200 with expected_ct (NULL: any) and at
 * most max_resp bytes, and be DER (an ASN.1 SEQUENCE; read in full) (0: OpenSSL's default of 100 KiB).  Returns a
 * memory BIO with the body (caller frees) or NULL: bad URL, name not
 * found, refused, timed out, HTTP error, too big.
 */
BIO *smime_http_transfer(const char *url, const char *content_type,
    const unsigned char *body, size_t bodylen, const char *expected_ct,
    size_t max_resp, unsigned int timeout);

#endif /* SMIME_HTTP_H */
