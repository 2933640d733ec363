/*
 * fuzz_auth: the credential parsers and checks of core/auth.h.
 *
 * Input: fields separated by NUL bytes: header, name, secret, nonce, body
 * (the body, last, may hold NULs). Properties:
 * - auth_hmac_parse(header): on success an MD5 algorithm, a username and
 *   a base64 mac; auth_hmac_header() of them parses back to the same
 *   values (or is refused for a control character in the name);
 * - the *_check functions on the header taken as received data do not
 *   crash; a credential built by auth_basic/auth_md5/auth_hmac_* from
 *   (name, secret, nonce, body) passes its check, and fails it for
 *   another name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
is_b64(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '+' || *s == '/' ||
		    *s == '='))
			return 0;
	return 1;
}

static void
parse_round_trip(const char *header)
{
	char *alg = NULL, *user = NULL, *mac = NULL, *h2;
	char *alg2 = NULL, *user2 = NULL, *mac2 = NULL;

	if (auth_hmac_parse(header, &alg, &user, &mac) != 0) {
		FUZZ_CHECK(alg == NULL && user == NULL && mac == NULL,
		    "outputs left set on failure");
		return;
	}
	FUZZ_CHECK(strlen(header) <= 1024, "over 1024 bytes accepted");
	FUZZ_CHECK(alg != NULL && strcasecmp(alg, "MD5") == 0, "algorithm");
	FUZZ_CHECK(user != NULL && mac != NULL, "outputs");
	FUZZ_CHECK(is_b64(mac), "mac '%s' is not base64", mac);
	h2 = auth_hmac_header(user, mac);
	if (h2 == NULL) {
		FUZZ_CHECK(has_ctl(user), "auth_hmac_header refuses user '%s' "
		    "mac '%s'", user, mac);
		goto out;
	}
	if (strlen(h2) <= 1024) {
		FUZZ_CHECK(auth_hmac_parse(h2, &alg2, &user2, &mac2) == 0,
		    "our own header '%s' does not parse", h2);
		FUZZ_CHECK(strcmp(user2, user) == 0, "username");
		FUZZ_CHECK(strcmp(mac2, mac) == 0, "mac");
	}
	free(alg2);
	free(user2);
	free(mac2);
	free(h2);
out:
	free(alg);
	free(user);
	free(mac);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *f[5];
	size_t fl[5], n;
	char *header, *name, *secret, *other, *c, *mac, *h;
	const uint8_t *nonce, *body;
	size_t nlen, blen;

	if (size > 4096)
		return 0;
	n = fuzz_split(data, size, 5, f, fl);
	header = fuzz_strndup(f[0], fl[0]);
	name = fuzz_strndup(n > 1 ? f[1] : f[0], n > 1 ? fl[1] : 0);
	secret = fuzz_strndup(n > 2 ? f[2] : f[0], n > 2 ? fl[2] : 0);
	nonce = n > 3 ? f[3] : NULL;
	nlen = n > 3 ? fl[3] : 0;
	body = n > 4 ? f[4] : NULL;
	blen = n > 4 ? fl[4] : 0;
	if (nlen == 0)
		nonce = NULL;
	if (blen == 0)
		body = NULL;

	parse_round_trip(header);
	(void)auth_basic_check(header, name, secret);
	(void)auth_md5_check(header, name, secret, nonce, nlen);
	(void)auth_hmac_check(header, name, secret, nonce, nlen, body, blen);
	(void)auth_streq(header, name);

	other = malloc(strlen(name) + 2);
	FUZZ_CHECK(other != NULL, "malloc");
	strcpy(other, name);
	strcat(other, "x");

	c = auth_basic(name, secret);
	FUZZ_CHECK(c != NULL, "auth_basic");
	FUZZ_CHECK(auth_basic_check(c, name, secret) == 1, "basic check");
	FUZZ_CHECK(auth_basic_check(c, other, secret) == 0, "basic, other");
	free(c);

	c = auth_md5(name, secret, nonce, nlen);
	FUZZ_CHECK(c != NULL, "auth_md5");
	FUZZ_CHECK(auth_md5_check(c, name, secret, nonce, nlen) == 1,
	    "md5 check");
	free(c);

	mac = auth_hmac_mac(name, secret, nonce, nlen, body, blen);
	FUZZ_CHECK(mac != NULL, "auth_hmac_mac");
	h = auth_hmac_header(name, mac);
	if (h == NULL)
		FUZZ_CHECK(has_ctl(name), "auth_hmac_header refuses '%s'",
		    name);
	else if (strlen(h) <= 1024) {
		FUZZ_CHECK(auth_hmac_check(h, name, secret, nonce, nlen, body,
		    blen) == 1, "hmac check of '%s'", h);
		FUZZ_CHECK(auth_hmac_check(h, other, secret, nonce, nlen,
		    body, blen) == 0, "hmac, other name");
	}
	free(h);
	free(mac);
	free(other);
	free(header);
	free(name);
	free(secret);
	return 0;
}
