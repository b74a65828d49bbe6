/*
 * signhdr.h - 7-bit clean header fields for the signed entity (signhdr.c):
 * RFC 2231 parameters, RFC 2047 encoded-words.  Internal to the signer.
 */
#ifndef SMIME_SIGNHDR_H
#define SMIME_SIGNHDR_H

/*
 * Re-encode a header field value that contains 8-bit bytes (or a word
 * too long to fold) so that it is 7-bit: Content-Type/Content-
 * Disposition parameters as RFC 2231, other fields as RFC 2047
 * encoded-words.  Raw 8-bit bytes are decoded with declared (the part's
 * charset parameter, NULL: none) through iconv(3), else kept when valid
 * UTF-8, else decoded as CP932 when they are valid CP932, and written as
 * UTF-8; otherwise labelled unknown-8bit (RFC 1428).  A parameter that
 * carries its own RFC 2231 charset keeps it and its bytes.  Folded with
 * CRLF + white space.  Returns a new string the caller frees, NULL on
 * allocation failure.
 */
char *smime_signent_encode_field(const char *name, const char *value,
    const char *declared);

/*
 * Rebuild a Content-Type or Content-Disposition value from its parsed
 * form: one parameter per folded line (CRLF + TAB), long values as RFC
 * 2231 continuations, 8-bit values RFC 2231-encoded; parameter set_name
 * (NULL: none) gets set_value, added when absent.  Every line stays
 * within 78 octets except a boundary, never split.  Returns a new string
 * the caller frees; NULL when the value does not parse or on allocation
 * failure.
 */
char *smime_signent_rebuild_params(const char *name, const char *value,
    const char *set_name, const char *set_value);

#endif /* SMIME_SIGNHDR_H */
