/*
 * b64: standard base64 (RFC 4648, with padding) for Cred data, nonces and
 * b64-format node values.
 */
#ifndef LUADM_B64_H
#define LUADM_B64_H

#include <stddef.h>

/* Encodes len bytes; malloc'd NUL-terminated string or NULL. */
char	*b64_encode(const void *data, size_t len);
/*
 * Decodes text of length len (white space ignored, padding optional).
 * Returns a malloc'd buffer (NUL-terminated, *outlen bytes) or NULL when the
 * text is not valid base64 or on allocation failure.
 */
unsigned char *b64_decode(const char *text, size_t len, size_t *outlen);

#endif
