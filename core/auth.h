/*
 * auth: OMA DM application-level credentials (OMA-SEC, omadm-spec.md
 * section 3), computed with OpenSSL EVP. Pure functions over bytes: which
 * scheme a session uses and when is the session's business.
 *
 *   Basic:  B64(name ":" secret)
 *   MD5:    B64( MD5( B64(MD5(name ":" secret)) ":" nonce ) )
 *   HMAC:   mac = B64( MD5( B64(MD5(name ":" secret)) ":" nonce ":"
 *                           B64(MD5(body)) ) )
 *           sent as the HTTP header
 *           x-syncml-hmac: algorithm=MD5, username="<name>", mac=<mac>
 * Nonces are raw bytes (a NextNonce arrives base64-encoded and is decoded
 * first); nonce and body may be NULL when their length is 0. Returned
 * strings are malloc'd; NULL means out of memory, MD5 unavailable (FIPS
 * mode) or a bad argument (NULL name or secret, NULL nonce or body with a
 * length). Empty names and secrets are computed like any other: refusing
 * them is the caller's policy.
 */
#ifndef LUADM_AUTH_H
#define LUADM_AUTH_H

#include <stddef.h>

/* The Cred Meta Type of each scheme. */
#define AUTH_TYPE_BASIC	"syncml:auth-basic"
#define AUTH_TYPE_MD5	"syncml:auth-md5"
#define AUTH_TYPE_HMAC	"syncml:auth-MAC"

#define AUTH_HMAC_HEADER "x-syncml-hmac"

char	*auth_basic(const char *name, const char *secret);
char	*auth_md5(const char *name, const char *secret, const void *nonce,
	    size_t nonce_len);
char	*auth_hmac_mac(const char *name, const char *secret,
	    const void *nonce, size_t nonce_len, const void *body,
	    size_t body_len);
/*
 * The header value: algorithm=MD5, username="name", mac=mac, with " and \
 * in name escaped as quoted-pairs. NULL also when name holds a control
 * character (CR/LF would split the header) or mac is empty or not base64.
 */
char	*auth_hmac_header(const char *name, const char *mac);

/*
 * Parses an x-syncml-hmac header value (attributes in any order, spaces
 * optional, algorithm may be absent = MD5, username quoted or not).
 * Returns 0 with malloc'd *username and *mac (quoted-pairs undone) and
 * *algorithm ("MD5", whatever its case was; algorithm may be NULL when the
 * caller does not want it), or -1 with all three set to NULL when
 * malformed, when username is missing, when mac is missing or not base64
 * text, when an attribute is given twice, when the algorithm is not MD5
 * or when the value is longer than 1024 bytes (bounded work). Attribute
 * names are case-insensitive; unknown attributes are ignored.
 */
int	auth_hmac_parse(const char *value, char **algorithm, char **username,
	    char **mac);

/*
 * Checks a received Basic credential (the Cred Data) against name and
 * secret, in constant time. 1 when it matches, else 0 (also for NULL
 * arguments). The data must be the canonical base64 text: white space
 * around it is ignored and its '=' padding may be left out, nothing else.
 */
int	auth_basic_check(const char *data, const char *name,
	    const char *secret);
/* Same for MD5 with the nonce the checker issued. */
int	auth_md5_check(const char *data, const char *name, const char *secret,
	    const void *nonce, size_t nonce_len);
/*
 * Same for a received HMAC header value against the body that came: the
 * username must equal name exactly and the mac must match as above.
 */
int	auth_hmac_check(const char *header, const char *name,
	    const char *secret, const void *nonce, size_t nonce_len,
	    const void *body, size_t body_len);

/* Fills buf with n random bytes (RAND_bytes). 0 or -1; n == 0 is 0. */
int	auth_random(unsigned char *buf, size_t n);

/*
 * Comparison of two NUL-terminated strings whose time depends on their
 * lengths only: 1 equal, 0 different or either NULL.
 */
int	auth_streq(const char *a, const char *b);

#endif
