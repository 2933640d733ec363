/*
 * auth.c: OMA DM application-level credentials (Basic, MD5 digest, HMAC
 * header) and their constant-time checks; see auth.h.
 *
 * Every intermediate that could stand in for the password (the text
 * B64(MD5(name ":" secret)) and a Basic credential) is wiped with
 * OPENSSL_cleanse() before it is freed.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"
#include "b64.h"

#define MD5_LEN		16
/* Longest x-syncml-hmac value auth_hmac_parse() reads (bounded work). */
#define AUTH_HMAC_MAX	1024

/* One piece of a message to hash. */
struct auth_piece {
	const void	*p;
	size_t		 len;
};

/* The attributes of an x-syncml-hmac header value. */
enum auth_hmac_attr {
	AUTH_ATTR_ALGORITHM,
	AUTH_ATTR_USERNAME,
	AUTH_ATTR_MAC,
	AUTH_ATTR__MAX
};

static const char *const auth_attr_names[AUTH_ATTR__MAX] = {
	"algorithm", "username", "mac"
};

/* Frees a string after wiping it; accepts NULL. */
static void
auth_free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/*
 * Hashes the concatenation of n pieces with MD5 into out (16 bytes).
 * Returns 0, or -1 when OpenSSL fails (no memory, MD5 not available).
 */
static int
auth_md5_pieces(unsigned char *out, const struct auth_piece *v, size_t n)
{
	EVP_MD_CTX	*ctx;
	unsigned int	 olen = 0;
	size_t		 i;
	int		 rc = -1;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -1;
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		if (v[i].len == 0)
			continue;
		if (EVP_DigestUpdate(ctx, v[i].p, v[i].len) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, out, &olen) != 1 || olen != MD5_LEN)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* B64(MD5(pieces)), malloc'd, or NULL. */
static char *
auth_md5_b64(const struct auth_piece *v, size_t n)
{
	unsigned char	 md[MD5_LEN];
	char		*s;

	if (auth_md5_pieces(md, v, n) == -1)
		return NULL;
	s = b64_encode(md, sizeof(md));
	OPENSSL_cleanse(md, sizeof(md));
	return s;
}

/*
 * The password equivalent B64(MD5(name ":" secret)), malloc'd, or NULL.
 * Free it with auth_free_secret().
 */
static char *
auth_cred_hash(const char *name, const char *secret)
{
	struct auth_piece v[3];

	v[0].p = name;
	v[0].len = strlen(name);
	v[1].p = ":";
	v[1].len = 1;
	v[2].p = secret;
	v[2].len = strlen(secret);
	return auth_md5_b64(v, 3);
}

char *
auth_basic(const char *name, const char *secret)
{
	size_t	 nlen, slen;
	char	*plain, *out;

	if (name == NULL || secret == NULL)
		return NULL;
	nlen = strlen(name);
	slen = strlen(secret);
	if (nlen > (size_t)-1 - 2 - slen)
		return NULL;
	plain = malloc(nlen + slen + 2);
	if (plain == NULL)
		return NULL;
	memcpy(plain, name, nlen);
	plain[nlen] = ':';
	memcpy(plain + nlen + 1, secret, slen);
	plain[nlen + 1 + slen] = '\0';
	out = b64_encode(plain, nlen + 1 + slen);
	auth_free_secret(plain);
	return out;
}

/*
 * B64(MD5(B64(MD5(name ":" secret)) ":" nonce [":" B64(MD5(body))])),
 * the body part only when with_body. malloc'd, or NULL.
 */
static char *
auth_digest(const char *name, const char *secret, const void *nonce,
    size_t nonce_len, int with_body, const void *body, size_t body_len)
{
	struct auth_piece	 v[5], bp;
	char			*cred = NULL, *body_hash = NULL, *out = NULL;
	size_t			 n = 3;

	if (name == NULL || secret == NULL)
		return NULL;
	if (nonce == NULL && nonce_len > 0)
		return NULL;
	if (with_body && body == NULL && body_len > 0)
		return NULL;
	cred = auth_cred_hash(name, secret);
	if (cred == NULL)
		goto out;
	v[0].p = cred;
	v[0].len = strlen(cred);
	v[1].p = ":";
	v[1].len = 1;
	v[2].p = nonce;
	v[2].len = nonce_len;
	if (with_body) {
		bp.p = body;
		bp.len = body_len;
		body_hash = auth_md5_b64(&bp, 1);
		if (body_hash == NULL)
			goto out;
		v[3].p = ":";
		v[3].len = 1;
		v[4].p = body_hash;
		v[4].len = strlen(body_hash);
		n = 5;
	}
	out = auth_md5_b64(v, n);
out:
	auth_free_secret(cred);
	free(body_hash);
	return out;
}

char *
auth_md5(const char *name, const char *secret, const void *nonce,
    size_t nonce_len)
{
	return auth_digest(name, secret, nonce, nonce_len, 0, NULL, 0);
}

char *
auth_hmac_mac(const char *name, const char *secret, const void *nonce,
    size_t nonce_len, const void *body, size_t body_len)
{
	return auth_digest(name, secret, nonce, nonce_len, 1, body, body_len);
}

/* 1 for a character of standard base64 text (padding included). */
static int
auth_is_b64char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* 1 for non-empty base64 text: alphabet characters, then '=' padding. */
static int
auth_is_b64text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p == NULL || *p == '\0' || *p == '=')
		return 0;
	while (*p != '\0' && *p != '=' && auth_is_b64char(*p))
		p++;
	while (*p == '=')
		p++;
	return *p == '\0';
}

char *
auth_hmac_header(const char *name, const char *mac)
{
	static const char	 pre[] = "algorithm=MD5, username=\"";
	static const char	 mid[] = "\", mac=";
	const unsigned char	*p;
	size_t			 nlen, mlen, size;
	char			*out, *o;

	if (name == NULL || !auth_is_b64text(mac))
		return NULL;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return NULL;
	nlen = strlen(name);
	mlen = strlen(mac);
	if (nlen > ((size_t)-1 - sizeof(pre) - sizeof(mid)) / 2 ||
	    mlen > (size_t)-1 - sizeof(pre) - sizeof(mid) - 2 * nlen)
		return NULL;
	size = sizeof(pre) - 1 + 2 * nlen + sizeof(mid) - 1 + mlen + 1;
	out = malloc(size);
	if (out == NULL)
		return NULL;
	o = out;
	memcpy(o, pre, sizeof(pre) - 1);
	o += sizeof(pre) - 1;
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			*o++ = '\\';	/* quoted-pair */
		*o++ = (char)*p;
	}
	memcpy(o, mid, sizeof(mid) - 1);
	o += sizeof(mid) - 1;
	memcpy(o, mac, mlen + 1);
	return out;
}

/* Optional white space of an HTTP header. */
static int
auth_is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* A tchar of an RFC 7230 token (attribute names). */
static int
auth_is_tchar(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A character of an unquoted value: visible ASCII but , " \ and ;. */
static int
auth_is_bare(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ',' && c != '"' && c != '\\' &&
	    c != ';';
}

/* qdtext and the second byte of a quoted-pair: HTAB, SP, VCHAR, obs-text. */
static int
auth_is_qtext(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* ASCII case-insensitive comparison of s (len bytes) with the word w. */
static int
auth_word_eq(const char *s, size_t len, const char *w)
{
	size_t		i;
	unsigned char	a, b;

	if (strlen(w) != len)
		return 0;
	for (i = 0; i < len; i++) {
		a = (unsigned char)s[i];
		b = (unsigned char)w[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/*
 * Reads one attribute value at *pp (a quoted-string or a run of bare
 * characters), moves *pp past it and returns it malloc'd, or NULL when
 * malformed or out of memory.
 */
static char *
auth_parse_value(const char **pp)
{
	const unsigned char	*p = (const unsigned char *)*pp;
	char			*v, *o;

	if (*p != '"') {
		while (auth_is_bare(*p))
			p++;
		if (p == (const unsigned char *)*pp)
			return NULL;
		v = strndup(*pp, (size_t)(p - (const unsigned char *)*pp));
		*pp = (const char *)p;
		return v;
	}
	/* Unescaped, the value is never longer than the rest of the text. */
	v = malloc(strlen(*pp));
	if (v == NULL)
		return NULL;
	o = v;
	for (p++; *p != '"'; p++) {
		if (*p == '\\')
			p++;
		if (!auth_is_qtext(*p))	/* control, or NUL: unterminated */
			goto bad;
		*o++ = (char)*p;
	}
	*o = '\0';
	*pp = (const char *)(p + 1);
	return v;
bad:
	free(v);
	return NULL;
}

int
auth_hmac_parse(const char *value, char **algorithm, char **username,
    char **mac)
{
	char		*attr[AUTH_ATTR__MAX] = { NULL, NULL, NULL };
	const char	*p, *key;
	char		*v;
	size_t		 klen;
	int		 i;

	if (algorithm != NULL)
		*algorithm = NULL;
	if (username != NULL)
		*username = NULL;
	if (mac != NULL)
		*mac = NULL;
	if (value == NULL || username == NULL || mac == NULL)
		return -1;
	if (strnlen(value, AUTH_HMAC_MAX + 1) > AUTH_HMAC_MAX)
		return -1;
	p = value;
	for (;;) {
		while (auth_is_ows((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p == ',') {	/* empty list element */
			p++;
			continue;
		}
		key = p;
		while (auth_is_tchar((unsigned char)*p))
			p++;
		klen = (size_t)(p - key);
		if (klen == 0)
			goto err;
		while (auth_is_ows((unsigned char)*p))
			p++;
		if (*p != '=')
			goto err;
		p++;
		while (auth_is_ows((unsigned char)*p))
			p++;
		v = auth_parse_value(&p);
		if (v == NULL)
			goto err;
		while (auth_is_ows((unsigned char)*p))
			p++;
		if (*p != ',' && *p != '\0') {
			free(v);
			goto err;
		}
		for (i = 0; i < AUTH_ATTR__MAX; i++)
			if (auth_word_eq(key, klen, auth_attr_names[i]))
				break;
		if (i == AUTH_ATTR__MAX) {	/* unknown attribute: ignored */
			free(v);
			continue;
		}
		if (attr[i] != NULL) {		/* given twice: ambiguous */
			free(v);
			goto err;
		}
		attr[i] = v;
	}
	if (attr[AUTH_ATTR_USERNAME] == NULL ||
	    !auth_is_b64text(attr[AUTH_ATTR_MAC]))
		goto err;
	if (attr[AUTH_ATTR_ALGORITHM] != NULL &&
	    !auth_word_eq(attr[AUTH_ATTR_ALGORITHM],
	    strlen(attr[AUTH_ATTR_ALGORITHM]), "MD5"))
		goto err;
	if (algorithm != NULL) {
		*algorithm = strdup("MD5");
		if (*algorithm == NULL)
			goto err;
	}
	free(attr[AUTH_ATTR_ALGORITHM]);
	*username = attr[AUTH_ATTR_USERNAME];
	*mac = attr[AUTH_ATTR_MAC];
	return 0;
err:
	for (i = 0; i < AUTH_ATTR__MAX; i++)
		free(attr[i]);
	return -1;
}

/*
 * Compares received base64 text with the expected one in constant time
 * (time depends on the lengths only). White space around data is
 * ignored and the '=' padding may be left out; anything else must match
 * byte for byte, so a non-canonical encoding of the right bytes is
 * refused. 1 when it matches, else 0.
 */
static int
auth_cred_match(const char *data, const char *expected)
{
	size_t	len, elen, ulen;

	if (data == NULL || expected == NULL)
		return 0;
	while (*data == ' ' || *data == '\t' || *data == '\r' ||
	    *data == '\n')
		data++;
	len = strlen(data);
	while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\t' ||
	    data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	elen = strlen(expected);
	ulen = elen;
	while (ulen > 0 && expected[ulen - 1] == '=')
		ulen--;
	if (len == 0 || (len != elen && len != ulen))
		return 0;
	return CRYPTO_memcmp(data, expected, len) == 0;
}

int
auth_basic_check(const char *data, const char *name, const char *secret)
{
	char	*expected;
	int	 ok;

	if (data == NULL)
		return 0;
	expected = auth_basic(name, secret);
	ok = auth_cred_match(data, expected);
	auth_free_secret(expected);
	return ok;
}

int
auth_md5_check(const char *data, const char *name, const char *secret,
    const void *nonce, size_t nonce_len)
{
	char	*expected;
	int	 ok;

	if (data == NULL)
		return 0;
	expected = auth_md5(name, secret, nonce, nonce_len);
	ok = auth_cred_match(data, expected);
	free(expected);
	return ok;
}

int
auth_hmac_check(const char *header, const char *name, const char *secret,
    const void *nonce, size_t nonce_len, const void *body, size_t body_len)
{
	char	*username = NULL, *mac = NULL, *expected = NULL;
	int	 ok = 0;

	if (name == NULL)
		return 0;
	if (auth_hmac_parse(header, NULL, &username, &mac) == -1)
		return 0;
	if (!auth_streq(username, name))
		goto out;
	expected = auth_hmac_mac(name, secret, nonce, nonce_len, body,
	    body_len);
	ok = auth_cred_match(mac, expected);
out:
	free(username);
	free(mac);
	free(expected);
	return ok;
}

int
auth_random(unsigned char *buf, size_t n)
{
	size_t	chunk;

	if (n == 0)
		return 0;
	if (buf == NULL)
		return -1;
	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : n;
		if (RAND_bytes(buf, (int)chunk) != 1)
			return -1;
		buf += chunk;
		n -= chunk;
	}
	return 0;
}

int
auth_streq(const char *a, const char *b)
{
	size_t	la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}
