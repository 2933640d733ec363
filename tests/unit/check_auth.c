/*
 * check_auth.c: unit tests of core/auth.c: the Basic, MD5 and HMAC test
 * vectors of omadm-spec.md section 3 (and the NextNonce decoding trap),
 * the x-syncml-hmac header writer and parser, the *_check functions
 * against single-bit changes, wrong inputs, bad base64 and NULLs, edge
 * cases (empty name and secret, binary nonces, empty bodies), the random
 * source, and a counted run of mutated credentials none of which may be
 * accepted.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "b64.h"
#include "testutil.h"

/* The longest header value auth_hmac_parse() reads, as auth.h says. */
#define HMAC_MAX	1024

#define USER	"Bruce2"
#define PASS	"OhBehave"
#define BODY	"<SyncML xmlns=\"SYNCML:SYNCML1.2\"></SyncML>"
#define NONCE2	"dobehave\r\n"

#define MD5_VEC		"Zz6EivR3yeaaENcRN6lpAQ=="
#define MD5_NN_VEC	"kHLLLSPq49co1xndU6F2HQ=="
#define MD5_TRAP_VEC	"K74ekeIpQ8TKffCemI/Acw=="
#define HMAC_VEC	"usMVxL8v53e1/FZ+WIBN5A=="

/* Deterministic xorshift64 generator for the mutation runs. */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

START_TEST(test_basic_vector)
{
	char *s;

	s = auth_basic(USER, PASS);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "QnJ1Y2UyOk9oQmVoYXZl");
	free(s);
	ck_assert_ptr_null(auth_basic(NULL, PASS));
	ck_assert_ptr_null(auth_basic(USER, NULL));
}
END_TEST

START_TEST(test_md5_vector)
{
	char *s;

	s = auth_md5(USER, PASS, "Nonce", 5);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, MD5_VEC);
	free(s);
}
END_TEST

START_TEST(test_md5_nextnonce)
{
	static const char	 nn[] = "ZG9iZWhhdmUNCg==";
	unsigned char		*nonce;
	size_t			 len = 0;
	char			*s;

	nonce = b64_decode(nn, strlen(nn), &len);
	ck_assert_ptr_nonnull(nonce);
	ck_assert_uint_eq(len, 10);
	ck_assert_mem_eq(nonce, NONCE2, 10);
	s = auth_md5(USER, PASS, nonce, len);
	ck_assert_str_eq(s, MD5_NN_VEC);
	free(s);
	ck_assert_int_eq(auth_md5_check(MD5_NN_VEC, USER, PASS, nonce, len),
	    1);
	/* The trap: the base64 text itself used as the nonce. */
	s = auth_md5(USER, PASS, nn, strlen(nn));
	ck_assert_str_eq(s, MD5_TRAP_VEC);
	free(s);
	ck_assert_int_eq(auth_md5_check(MD5_NN_VEC, USER, PASS, nn,
	    strlen(nn)), 0);
	ck_assert_int_eq(auth_md5_check(MD5_TRAP_VEC, USER, PASS, nonce, len),
	    0);
	free(nonce);
}
END_TEST

START_TEST(test_hmac_vector)
{
	char *s;

	s = auth_hmac_mac(USER, PASS, NONCE2, 10, BODY, strlen(BODY));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, HMAC_VEC);
	free(s);
	ck_assert_ptr_null(auth_hmac_mac(USER, PASS, NULL, 3, BODY, 1));
	ck_assert_ptr_null(auth_hmac_mac(USER, PASS, NONCE2, 10, NULL, 1));
	ck_assert_ptr_null(auth_md5(NULL, PASS, "n", 1));
}
END_TEST

START_TEST(test_hmac_header)
{
	char *h, *alg, *user, *mac;

	h = auth_hmac_header("Robert Jordan", HMAC_VEC);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h, "algorithm=MD5, username=\"Robert Jordan\", mac="
	    HMAC_VEC);
	ck_assert_int_eq(auth_hmac_parse(h, &alg, &user, &mac), 0);
	ck_assert_str_eq(alg, "MD5");
	ck_assert_str_eq(user, "Robert Jordan");
	ck_assert_str_eq(mac, HMAC_VEC);
	free(alg);
	free(user);
	free(mac);
	free(h);
	ck_assert_str_eq(AUTH_HMAC_HEADER, "x-syncml-hmac");
}
END_TEST

/* Quotes and backslashes are escaped and come back; CR/LF are refused. */
START_TEST(test_hmac_header_escape)
{
	char *h, *user, *mac;

	h = auth_hmac_header("a\"b\\c", "YWJj");
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h,
	    "algorithm=MD5, username=\"a\\\"b\\\\c\", mac=YWJj");
	ck_assert_int_eq(auth_hmac_parse(h, NULL, &user, &mac), 0);
	ck_assert_str_eq(user, "a\"b\\c");
	ck_assert_str_eq(mac, "YWJj");
	free(user);
	free(mac);
	free(h);

	h = auth_hmac_header("", "YWJj");
	ck_assert_str_eq(h, "algorithm=MD5, username=\"\", mac=YWJj");
	free(h);
	ck_assert_ptr_null(auth_hmac_header("a\r\nX-Evil: 1", "YWJj"));
	ck_assert_ptr_null(auth_hmac_header("a\n", "YWJj"));
	ck_assert_ptr_null(auth_hmac_header("a\x7f", "YWJj"));
	ck_assert_ptr_null(auth_hmac_header("a", ""));
	ck_assert_ptr_null(auth_hmac_header("a", "YW Jj"));
	ck_assert_ptr_null(auth_hmac_header("a", "YWJj, x=1"));
	ck_assert_ptr_null(auth_hmac_header("a", "YWJj\r\n"));
	ck_assert_ptr_null(auth_hmac_header("a", "YW=Jj"));
	ck_assert_ptr_null(auth_hmac_header("a", "=="));
	ck_assert_ptr_null(auth_hmac_header(NULL, "YWJj"));
	ck_assert_ptr_null(auth_hmac_header("a", NULL));
}
END_TEST

/* A header value that must parse, with what it must give. */
struct parse_ok {
	const char	*in;
	const char	*user;
	const char	*mac;
};

static const struct parse_ok parse_ok_cases[] = {
	{ "algorithm=MD5, username=\"Robert Jordan\", "
	    "mac=NTI2OTJhMDAwNjYxODkwYmQ3NWUxN2RhN2ZmYmJlMzk",
	    "Robert Jordan", "NTI2OTJhMDAwNjYxODkwYmQ3NWUxN2RhN2ZmYmJlMzk" },
	{ "algorithm=MD5,username=\"x\",mac=abc", "x", "abc" },
	{ "mac=abc, username=\"x\", algorithm=MD5", "x", "abc" },
	{ "username=\"x\", mac=abc", "x", "abc" },
	{ "mac=abc,username=x", "x", "abc" },
	{ "  algorithm = md5 ,\tusername = \"x y\" , mac = \"ab+/c==\"  ",
	    "x y", "ab+/c==" },
	{ "ALGORITHM=Md5, UserName=\"x\", MAC=abc", "x", "abc" },
	{ "username=\"\", mac=abc", "", "abc" },
	{ "username=\"a\\\"b\\\\c\", mac=abc", "a\"b\\c", "abc" },
	{ "username=\"caf\xc3\xa9\", mac=abc", "caf\xc3\xa9", "abc" },
	{ "username=\"a,b=c\", mac=abc", "a,b=c", "abc" },
	{ ", username=\"x\",, mac=abc,", "x", "abc" },
	{ "username=\"x\", nonce=\"zz\", mac=abc, realm=r", "x", "abc" },
	{ "username=\"x\", mac=usMVxL8v53e1/FZ+WIBN5A==", "x",
	    "usMVxL8v53e1/FZ+WIBN5A==" },
};

START_TEST(test_parse_ok)
{
	const struct parse_ok	*c = &parse_ok_cases[_i];
	char			*alg, *user, *mac;

	ck_assert_msg(auth_hmac_parse(c->in, &alg, &user, &mac) == 0,
	    "refused: %s", c->in);
	ck_assert_str_eq(alg, "MD5");
	ck_assert_str_eq(user, c->user);
	ck_assert_str_eq(mac, c->mac);
	free(alg);
	free(user);
	free(mac);
}
END_TEST

static const char *const parse_bad_cases[] = {
	"",
	"   ",
	",,,",
	"garbage",
	"hello world",
	"algorithm=SHA1, username=\"x\", mac=abc",
	"algorithm=MD5-sess, username=\"x\", mac=abc",
	"algorithm=, username=\"x\", mac=abc",
	"algorithm=MD5, username=\"x\"",
	"algorithm=MD5, username=\"x\", mac=",
	"algorithm=MD5, username=\"x\", mac=\"\"",
	"algorithm=MD5, mac=abc",
	"algorithm=MD5, username=\"x, mac=abc",
	"username=\"x\\\", mac=abc",
	"username=\"x\\",
	"username=\"x\", mac=abc, username=\"y\"",
	"username=\"x\", mac=abc, mac=abd",
	"algorithm=MD5, algorithm=MD5, username=x, mac=abc",
	"username=\"x\" mac=abc",
	"username=\"x\"; mac=abc",
	"username=\"x\", mac=abc def",
	"username=\"x\", mac=abc\"",
	"username=\"x\", mac",
	"username=\"x\", =abc, mac=abc",
	"username=\"x\", mac==abc",
	"username=\"x\", mac=ab=c",
	"username=\"x\", mac=\"ab c\"",
	"username=\"x\", mac=ab-c",
	"username=\"x\", mac=\"=\"",
	"username=\"x\ny\", mac=abc",
	"username=\"x\ry\", mac=abc",
	"username=x\r\n, mac=abc",
	"username=\"x\", mac=abc\r\nX-Evil: 1",
	"user name=\"x\", mac=abc",
	"x-syncml-hmac: algorithm=MD5, username=\"x\", mac=abc",
};

START_TEST(test_parse_bad)
{
	const char	*in = parse_bad_cases[_i];
	char		*alg = (char *)1, *user = (char *)1, *mac = (char *)1;

	ck_assert_msg(auth_hmac_parse(in, &alg, &user, &mac) == -1,
	    "accepted: %s", in);
	ck_assert_ptr_null(alg);
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(mac);
}
END_TEST

START_TEST(test_parse_null)
{
	char *alg, *user, *mac;

	ck_assert_int_eq(auth_hmac_parse(NULL, &alg, &user, &mac), -1);
	ck_assert_ptr_null(user);
	ck_assert_int_eq(auth_hmac_parse("username=x, mac=a", &alg, NULL,
	    &mac), -1);
	ck_assert_ptr_null(mac);
	ck_assert_int_eq(auth_hmac_parse("username=x, mac=a", &alg, &user,
	    NULL), -1);
	ck_assert_ptr_null(user);
}
END_TEST

/* A header of exactly HMAC_MAX bytes of the form username="x", mac=aaa... */
static char *
long_header(size_t total, char fill)
{
	static const char	 pre[] = "username=\"x\", mac=";
	char			*h;

	h = malloc(total + 1);
	ck_assert_ptr_nonnull(h);
	memcpy(h, pre, sizeof(pre) - 1);
	memset(h + sizeof(pre) - 1, fill, total - (sizeof(pre) - 1));
	h[total] = '\0';
	return h;
}

START_TEST(test_parse_bounds)
{
	char	*h, *user, *mac;

	h = long_header(HMAC_MAX, 'a');
	ck_assert_int_eq(auth_hmac_parse(h, NULL, &user, &mac), 0);
	ck_assert_uint_eq(strlen(mac), HMAC_MAX - 18);
	free(user);
	free(mac);
	free(h);
	h = long_header(HMAC_MAX + 1, 'a');
	ck_assert_int_eq(auth_hmac_parse(h, NULL, &user, &mac), -1);
	free(h);
}
END_TEST

/*
 * A 64 MiB value is refused at once: 200 rounds would take minutes if the
 * parser read the whole text, and the case has a timeout.
 */
START_TEST(test_parse_huge)
{
	char	*h, *user, *mac;
	size_t	 total = (size_t)64 << 20;
	int	 i;

	h = long_header(total, 'a');	/* well formed but for its size */
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(auth_hmac_parse(h, NULL, &user, &mac), -1);
		ck_assert_ptr_null(user);
	}
	ck_assert_int_eq(auth_hmac_check(h, "x", PASS, "n", 1, "b", 1), 0);
	free(h);
	/* A long quoted string with no closing quote. */
	h = long_header(HMAC_MAX - 1, 'a');
	h[18] = '"';
	ck_assert_int_eq(auth_hmac_parse(h, NULL, &user, &mac), -1);
	free(h);
}
END_TEST

START_TEST(test_check_right)
{
	const char *hdr = "algorithm=MD5, username=\"" USER "\", mac="
	    HMAC_VEC;

	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl", USER, PASS),
	    1);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS, "Nonce", 5), 1);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 1);
	ck_assert_int_eq(auth_hmac_check("username=Bruce2,mac=" HMAC_VEC,
	    USER, PASS, NONCE2, 10, BODY, strlen(BODY)), 1);
	/* White space around the text and left-out padding are accepted. */
	ck_assert_int_eq(auth_md5_check("\n\t " MD5_VEC " \r\n", USER, PASS,
	    "Nonce", 5), 1);
	ck_assert_int_eq(auth_md5_check("Zz6EivR3yeaaENcRN6lpAQ", USER, PASS,
	    "Nonce", 5), 1);
	ck_assert_int_eq(auth_hmac_check("username=\"Bruce2\", "
	    "mac=\"usMVxL8v53e1/FZ+WIBN5A\"", USER, PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 1);
}
END_TEST

/* Every single-bit change of the credential text is refused. */
START_TEST(test_check_bitflips)
{
	char	buf[128];
	size_t	i, len, n = 0;
	int	bit;

	strcpy(buf, MD5_VEC);
	len = strlen(buf);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (char)(1 << bit);
			ck_assert_msg(auth_md5_check(buf, USER, PASS, "Nonce",
			    5) == 0, "md5 accepted flip %zu/%d", i, bit);
			buf[i] ^= (char)(1 << bit);
			n++;
		}
	}
	strcpy(buf, "QnJ1Y2UyOk9oQmVoYXZl");
	len = strlen(buf);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (char)(1 << bit);
			ck_assert_msg(auth_basic_check(buf, USER, PASS) == 0,
			    "basic accepted flip %zu/%d", i, bit);
			buf[i] ^= (char)(1 << bit);
			n++;
		}
	}
	/* In the HMAC header: every bit of the user name and of the mac. */
	strcpy(buf, "algorithm=MD5, username=\"" USER "\", mac=" HMAC_VEC);
	len = strlen(buf);
	for (i = 0; i < len; i++) {
		if (i < 25 || (i >= 25 + strlen(USER) && i < len - 24))
			continue;
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (char)(1 << bit);
			ck_assert_msg(auth_hmac_check(buf, USER, PASS, NONCE2,
			    10, BODY, strlen(BODY)) == 0,
			    "hmac accepted flip %zu/%d", i, bit);
			buf[i] ^= (char)(1 << bit);
			n++;
		}
	}
	ck_assert_uint_eq(n, (24 + 20 + 6 + 24) * 8);
	/* The unchanged texts still pass, so the loops tested something. */
	ck_assert_int_eq(auth_hmac_check(buf, USER, PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 1);
}
END_TEST

/* Bit flips of the nonce and of the body. */
START_TEST(test_check_wrong_inputs)
{
	const char	*hdr = "username=\"" USER "\", mac=" HMAC_VEC;
	char		 nonce[] = "Nonce", body[] = BODY, nonce2[] = NONCE2;
	size_t		 i;
	int		 bit;

	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl", "Bruce3",
	    PASS), 0);
	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl", USER,
	    "OhBehavf"), 0);
	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl", "Bruce",
	    "2:OhBehave"), 0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, "bruce2", PASS, "Nonce", 5),
	    0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, "ohBehave", "Nonce",
	    5), 0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS, "Nonce", 4), 0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS, "Nonce\0", 6),
	    0);
	ck_assert_int_eq(auth_hmac_check(hdr, "Bruce", PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check("username=\"Bruce3\", mac=" HMAC_VEC,
	    USER, PASS, NONCE2, 10, BODY, strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, "OhBehav", NONCE2, 10,
	    BODY, strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS, NONCE2, 9, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS, NONCE2, 10, BODY,
	    strlen(BODY) - 1), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS, NONCE2, 10, NULL,
	    0), 0);
	/* MD5's mac as the HMAC's, and the HMAC's as an MD5 digest. */
	ck_assert_int_eq(auth_hmac_check("username=\"" USER "\", mac="
	    MD5_NN_VEC, USER, PASS, NONCE2, 10, BODY, strlen(BODY)), 0);
	ck_assert_int_eq(auth_md5_check(HMAC_VEC, USER, PASS, NONCE2, 10), 0);

	for (i = 0; i < 5; i++)
		for (bit = 0; bit < 8; bit++) {
			nonce[i] ^= (char)(1 << bit);
			ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS,
			    nonce, 5), 0);
			nonce[i] ^= (char)(1 << bit);
		}
	for (i = 0; i < 10; i++)
		for (bit = 0; bit < 8; bit++) {
			nonce2[i] ^= (char)(1 << bit);
			ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS,
			    nonce2, 10, BODY, strlen(BODY)), 0);
			nonce2[i] ^= (char)(1 << bit);
		}
	for (i = 0; i < strlen(BODY); i++)
		for (bit = 0; bit < 8; bit++) {
			body[i] ^= (char)(1 << bit);
			ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS,
			    NONCE2, 10, body, strlen(BODY)), 0);
			body[i] ^= (char)(1 << bit);
		}
	ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS, nonce2, 10, body,
	    strlen(body)), 1);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS, nonce, 5), 1);
}
END_TEST

START_TEST(test_check_bad_b64)
{
	static const char *const bad[] = {
		"!!!!!!!!!!!!!!!!!!!!!!!!",
		"Zz6EivR3yeaaENcRN6lpAQ=",
		"Zz6EivR3yeaaENcRN6lpAQ===",
		"Zz6EivR3yeaaENcRN6lpAQ==Zz6E",
		"Zz6E ivR3yeaaENcRN6lpAQ==",
		"Zz6EivR3yeaaENcRN6lpA",
		"Zz6EivR3yeaaENcRN6lpAR==",	/* same bytes, not canonical */
		"Zz6EivR3yeaaENcRN6lpAQ==\x01",
		"Zz6EivR3-yeaENcRN6lpAQ==",
		"=Zz6EivR3yeaaENcRN6lpAQ=",
		"==",
		"=",
		" ",
		"\r\n",
	};
	size_t		 i, len = 0;
	unsigned char	*raw, *good;

	/* The non-canonical text does decode to the right digest. */
	raw = b64_decode(bad[6], strlen(bad[6]), &len);
	ck_assert_ptr_nonnull(raw);
	ck_assert_uint_eq(len, 16);
	good = b64_decode(MD5_VEC, strlen(MD5_VEC), &len);
	ck_assert_ptr_nonnull(good);
	ck_assert_mem_eq(raw, good, 16);
	free(good);
	free(raw);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(auth_md5_check(bad[i], USER, PASS, "Nonce", 5) ==
		    0, "md5 accepted %s", bad[i]);
		ck_assert_msg(auth_basic_check(bad[i], USER, PASS) == 0,
		    "basic accepted %s", bad[i]);
	}
	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl=", USER, PASS),
	    0);
	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZ", USER, PASS),
	    0);
	ck_assert_int_eq(auth_hmac_check("username=\"" USER "\", mac="
	    "usMVxL8v53e1/FZ+WIBN5B==", USER, PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check("username=\"" USER "\", mac="
	    "!!", USER, PASS, NONCE2, 10, BODY, strlen(BODY)), 0);
}
END_TEST

START_TEST(test_check_null_empty)
{
	const char *hdr = "username=\"" USER "\", mac=" HMAC_VEC;

	ck_assert_int_eq(auth_basic_check(NULL, USER, PASS), 0);
	ck_assert_int_eq(auth_basic_check("", USER, PASS), 0);
	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl", NULL, PASS),
	    0);
	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl", USER, NULL),
	    0);
	ck_assert_int_eq(auth_md5_check(NULL, USER, PASS, "Nonce", 5), 0);
	ck_assert_int_eq(auth_md5_check("", USER, PASS, "Nonce", 5), 0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, NULL, PASS, "Nonce", 5), 0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, NULL, "Nonce", 5), 0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS, NULL, 5), 0);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS, NULL, 0), 0);
	ck_assert_int_eq(auth_hmac_check(NULL, USER, PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check("", USER, PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, NULL, PASS, NONCE2, 10, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, NULL, NONCE2, 10, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS, NULL, 10, BODY,
	    strlen(BODY)), 0);
	ck_assert_int_eq(auth_hmac_check(hdr, USER, PASS, NONCE2, 10, NULL,
	    strlen(BODY)), 0);
}
END_TEST

START_TEST(test_edge_empty)
{
	char *s;

	s = auth_basic("", "");
	ck_assert_str_eq(s, "Og==");
	free(s);
	ck_assert_int_eq(auth_basic_check("Og==", "", ""), 1);
	ck_assert_int_eq(auth_basic_check("Og==", "", "x"), 0);
	s = auth_md5("", "", NULL, 0);
	ck_assert_str_eq(s, "FQ/u7vcV00cOrlePowf4kA==");
	free(s);
	s = auth_md5("", "", "", 0);
	ck_assert_str_eq(s, "FQ/u7vcV00cOrlePowf4kA==");
	free(s);
	s = auth_md5("", "", "Nonce", 5);
	ck_assert_str_eq(s, "SiMoPToVcoJYtKGxgspxRA==");
	free(s);
	s = auth_md5(USER, PASS, NULL, 0);
	ck_assert_str_eq(s, "lEf25jyjHbCcTbj4p/1pUw==");
	free(s);
	s = auth_hmac_mac("", "", NULL, 0, NULL, 0);
	ck_assert_str_eq(s, "ifRpcp4lp6JYla16KLmowA==");
	free(s);
	ck_assert_int_eq(auth_hmac_check("username=\"\", mac="
	    "ifRpcp4lp6JYla16KLmowA==", "", "", NULL, 0, NULL, 0), 1);
	ck_assert_int_eq(auth_hmac_check("username=\"\", mac="
	    "ifRpcp4lp6JYla16KLmowA==", "x", "", NULL, 0, NULL, 0), 0);
}
END_TEST

START_TEST(test_edge_binary)
{
	static const char nonce[] = { 0x00, 0x01, 0x00, (char)0xff };
	static const char body[] = { '<', 'a', '>', 0x00, '<', '/', 'a', '>' };
	char *s, *h;

	s = auth_md5(USER, PASS, nonce, sizeof(nonce));
	ck_assert_str_eq(s, "PnIy75aqaS3JOh9agdUr+w==");
	free(s);
	ck_assert_int_eq(auth_md5_check("PnIy75aqaS3JOh9agdUr+w==", USER,
	    PASS, nonce, sizeof(nonce)), 1);
	ck_assert_int_eq(auth_md5_check("PnIy75aqaS3JOh9agdUr+w==", USER,
	    PASS, nonce, 3), 0);
	ck_assert_int_eq(auth_md5_check("PnIy75aqaS3JOh9agdUr+w==", USER,
	    PASS, nonce, 0), 0);
	s = auth_hmac_mac(USER, PASS, NONCE2, 10, "", 0);
	ck_assert_str_eq(s, "I4q+itkHH8dNUiRe0XgceA==");
	free(s);
	s = auth_hmac_mac(USER, PASS, nonce, sizeof(nonce), body,
	    sizeof(body));
	ck_assert_str_eq(s, "iYNE4i9vyA7rS1EXa476fw==");
	h = auth_hmac_header(USER, s);
	ck_assert_int_eq(auth_hmac_check(h, USER, PASS, nonce, sizeof(nonce),
	    body, sizeof(body)), 1);
	ck_assert_int_eq(auth_hmac_check(h, USER, PASS, nonce, sizeof(nonce),
	    body, 3), 0);
	free(h);
	free(s);
}
END_TEST

START_TEST(test_random)
{
	unsigned char	a[16], b[16], zero[16];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	ck_assert_int_eq(auth_random(a, sizeof(a)), 0);
	ck_assert_int_eq(auth_random(b, sizeof(b)), 0);
	ck_assert_mem_ne(a, b, sizeof(a));
	ck_assert_mem_ne(a, zero, sizeof(a));
	ck_assert_int_eq(auth_random(a, 0), 0);
	ck_assert_int_eq(auth_random(NULL, 0), 0);
	ck_assert_int_eq(auth_random(NULL, 16), -1);
}
END_TEST

START_TEST(test_streq)
{
	ck_assert_int_eq(auth_streq("abc", "abc"), 1);
	ck_assert_int_eq(auth_streq("", ""), 1);
	ck_assert_int_eq(auth_streq("abc", "abd"), 0);
	ck_assert_int_eq(auth_streq("abc", "ab"), 0);
	ck_assert_int_eq(auth_streq("ab", "abc"), 0);
	ck_assert_int_eq(auth_streq("abc", "ABC"), 0);
	ck_assert_int_eq(auth_streq("", "a"), 0);
	ck_assert_int_eq(auth_streq(NULL, "a"), 0);
	ck_assert_int_eq(auth_streq("a", NULL), 0);
	ck_assert_int_eq(auth_streq(NULL, NULL), 0);
}
END_TEST

/*
 * Writes into out a mutation of in (flip 1-3 bits, replace, delete or
 * insert a byte, or swap two bytes) that differs from it. Mutations that
 * stay equal to in or put a NUL inside are drawn again.
 */
static void
mutate(uint64_t *rng, const char *in, char *out, size_t outsize)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	size_t	len = strlen(in), pos, j, n, k;

	ck_assert_uint_lt(len + 2, outsize);
	for (;;) {
		memcpy(out, in, len + 1);
		pos = rng_next(rng) % len;
		switch (rng_next(rng) % 5) {
		case 0:
			n = 1 + rng_next(rng) % 3;
			for (k = 0; k < n; k++) {
				j = rng_next(rng) % len;
				out[j] ^= (char)(1 << rng_next(rng) % 8);
			}
			break;
		case 1:
			out[pos] = alphabet[rng_next(rng) % 65];
			break;
		case 2:
			memmove(out + pos, out + pos + 1, len - pos);
			break;
		case 3:
			memmove(out + pos + 1, out + pos, len - pos + 1);
			out[pos] = alphabet[rng_next(rng) % 65];
			break;
		default:
			j = rng_next(rng) % len;
			out[pos] = in[j];
			out[j] = in[pos];
			break;
		}
		if (memchr(out, '\0', len) != NULL && strlen(out) != len - 1)
			continue;	/* a NUL was put inside */
		if (strcmp(out, in) != 0)
			break;
	}
}

/*
 * Counted mutation run: 1000 mutated credentials for each scheme (and for
 * the user name and mac of the HMAC header), none may be accepted, while
 * the original is.
 */
START_TEST(test_mutations)
{
	char		 buf[256], mac[64], name[64], hdr[256];
	char		*expected;
	uint64_t	 rng = 0x9e3779b97f4a7c15ULL;
	unsigned	 i, tried = 0, accepted = 0;

	for (i = 0; i < 1000; i++) {
		mutate(&rng, "QnJ1Y2UyOk9oQmVoYXZl", buf, sizeof(buf));
		accepted += (unsigned)auth_basic_check(buf, USER, PASS);
		tried++;
		mutate(&rng, MD5_VEC, buf, sizeof(buf));
		accepted += (unsigned)auth_md5_check(buf, USER, PASS, "Nonce",
		    5);
		tried++;
		mutate(&rng, HMAC_VEC, mac, sizeof(mac));
		snprintf(hdr, sizeof(hdr), "username=\"%s\", mac=%s", USER,
		    mac);
		accepted += (unsigned)auth_hmac_check(hdr, USER, PASS, NONCE2,
		    10, BODY, strlen(BODY));
		tried++;
		mutate(&rng, USER, name, sizeof(name));
		snprintf(hdr, sizeof(hdr), "username=\"%s\", mac=%s", name,
		    HMAC_VEC);
		accepted += (unsigned)auth_hmac_check(hdr, USER, PASS, NONCE2,
		    10, BODY, strlen(BODY));
		tried++;
		/* A mutated secret must give another digest. */
		mutate(&rng, PASS, name, sizeof(name));
		accepted += (unsigned)auth_md5_check(MD5_VEC, USER, name,
		    "Nonce", 5);
		tried++;
		/* And the digest a mutated nonce gives is not the real one. */
		mutate(&rng, "Nonce", name, sizeof(name));
		expected = auth_md5(USER, PASS, name, strlen(name));
		ck_assert_ptr_nonnull(expected);
		accepted += (unsigned)auth_md5_check(expected, USER, PASS,
		    "Nonce", 5);
		free(expected);
		tried++;
	}
	ck_assert_uint_eq(tried, 6000);
	ck_assert_uint_eq(accepted, 0);
	/* The originals pass, so the mutation run compared against truth. */
	ck_assert_int_eq(auth_basic_check("QnJ1Y2UyOk9oQmVoYXZl", USER, PASS),
	    1);
	ck_assert_int_eq(auth_md5_check(MD5_VEC, USER, PASS, "Nonce", 5), 1);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("auth");

	tc = tcase_create("vectors");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_basic_vector);
	tcase_add_test(tc, test_md5_vector);
	tcase_add_test(tc, test_md5_nextnonce);
	tcase_add_test(tc, test_hmac_vector);
	tcase_add_test(tc, test_hmac_header);
	tcase_add_test(tc, test_hmac_header_escape);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_parse_ok, 0,
	    sizeof(parse_ok_cases) / sizeof(parse_ok_cases[0]));
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof(parse_bad_cases) / sizeof(parse_bad_cases[0]));
	tcase_add_test(tc, test_parse_null);
	tcase_add_test(tc, test_parse_bounds);
	tcase_add_test(tc, test_parse_huge);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_check_right);
	tcase_add_test(tc, test_check_bitflips);
	tcase_add_test(tc, test_check_wrong_inputs);
	tcase_add_test(tc, test_check_bad_b64);
	tcase_add_test(tc, test_check_null_empty);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);

	tc = tcase_create("edge");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_edge_empty);
	tcase_add_test(tc, test_edge_binary);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_streq);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return testutil_run(auth_suite());
}
