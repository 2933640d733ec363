/*
 * check_notify.c: unit tests of core/notify.c (package #0): the
 * self-computed vector of omadm-spec.md section 4 (every field, the digest
 * with password "srvsecret" and 4 zero bytes as nonce, SessionID "1A2B"),
 * every truncation, every future-use bit, the versions around 11 and 12,
 * server identifier lengths and bytes, every single-bit change of a valid
 * trigger, verification against an account (stored nonce, both re-sync
 * nonce forms only when UseNonceResync is "true", missing secret, wrong
 * server), and a seeded run of random and mutated buffers, each in a
 * buffer of its exact size so that ASan sees any read past the end.
 *
 * Triggers other than the vector are signed by make_trigger(), a second
 * implementation of the digest written here with one-shot EVP calls; it
 * is itself checked against the vector first.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "account.h"
#include "notify.h"
#include "testutil.h"

/* omadm-spec.md section 4: version 12, background, server-initiated,
 * session 0x1A2B, id "dmserver", password "srvsecret", nonce 4 x 0x00. */
#define VEC_HEX "ecf3ec6bc50efbf6e900f1a8f4d1e9c6" \
	"03180000001a2b08646d736572766572"
#define VEC_LEN	32
#define SRV	"dmserver"
#define PASS	"srvsecret"

static const unsigned char zero4[4] = { 0, 0, 0, 0 };

/* Deterministic xorshift64 generator. */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Decodes the hex text into out; returns the length. */
static size_t
unhex(const char *hex, unsigned char *out)
{
	size_t i, n = strlen(hex) / 2;
	unsigned v;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	return n;
}

/* A malloc'd copy of exactly len bytes (ASan sees overreads). */
static unsigned char *
exact_copy(const void *p, size_t len)
{
	unsigned char *b = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(b);
	if (len > 0)
		memcpy(b, p, len);
	return b;
}

/* MD5 of p, base64 (24 characters and a NUL) into b64. */
static void
md5_b64(const void *p, size_t len, char b64[25])
{
	unsigned char h[16];
	unsigned hl = 0;

	ck_assert_int_eq(EVP_Digest(p, len, h, &hl, EVP_md5(), NULL), 1);
	ck_assert_uint_eq(hl, 16);
	ck_assert_int_eq(EVP_EncodeBlock((unsigned char *)b64, h, 16), 24);
}

/* Writes the digest of the trigger buf[16..len) into buf[0..16). */
static void
sign(unsigned char *buf, size_t len, const char *id, const char *pass,
    const void *nonce, size_t nlen)
{
	char cred[25], trig[25], *s;
	unsigned char h[16];
	unsigned hl = 0;
	size_t n = 0;

	s = malloc(strlen(id) + strlen(pass) + 2);
	ck_assert_ptr_nonnull(s);
	sprintf(s, "%s:%s", id, pass);
	md5_b64(s, strlen(s), cred);
	free(s);
	md5_b64(buf + 16, len - 16, trig);
	s = malloc(24 + 1 + nlen + 1 + 24);
	ck_assert_ptr_nonnull(s);
	memcpy(s + n, cred, 24);
	n += 24;
	s[n++] = ':';
	if (nlen > 0)
		memcpy(s + n, nonce, nlen);
	n += nlen;
	s[n++] = ':';
	memcpy(s + n, trig, 24);
	n += 24;
	ck_assert_int_eq(EVP_Digest(s, n, h, &hl, EVP_md5(), NULL), 1);
	free(s);
	memcpy(buf, h, 16);
}

/*
 * Builds a signed trigger into a malloc'd buffer of exactly its size:
 * the header fields, the id (idlen bytes of id), the vendor body.
 */
static unsigned char *
make_trigger(unsigned version, unsigned ui, unsigned init, uint32_t future,
    unsigned sid, const char *id, size_t idlen, const char *vendor,
    size_t vlen, const char *pass, const void *nonce, size_t nlen,
    size_t *outlen)
{
	uint64_t h;
	unsigned char *b;
	size_t len = 24 + idlen + vlen;
	int i;

	b = malloc(len);
	ck_assert_ptr_nonnull(b);
	h = ((uint64_t)version << 54) | ((uint64_t)ui << 52) |
	    ((uint64_t)init << 51) | ((uint64_t)future << 24) |
	    ((uint64_t)sid << 8) | (uint64_t)(idlen & 0xff);
	for (i = 0; i < 8; i++)
		b[16 + i] = (unsigned char)(h >> (56 - 8 * i));
	if (idlen > 0)
		memcpy(b + 24, id, idlen);
	if (vlen > 0)
		memcpy(b + 24 + idlen, vendor, vlen);
	sign(b, len, id, pass, nonce, nlen);
	*outlen = len;
	return b;
}

/* A trigger for SRV with the usual fields and the given version/sid. */
static unsigned char *
simple_trigger(unsigned version, unsigned sid, const void *nonce,
    size_t nlen, size_t *len)
{
	return make_trigger(version, 1, 1, 0, sid, SRV, strlen(SRV), NULL, 0,
	    PASS, nonce, nlen, len);
}

START_TEST(test_vector)
{
	unsigned char raw[VEC_LEN], *b;
	struct notify_msg m;
	char err[256], sid[NOTIFY_SID_LEN];

	ck_assert_uint_eq(unhex(VEC_HEX, raw), VEC_LEN);
	b = exact_copy(raw, VEC_LEN);
	ck_assert_int_eq(notify_parse(b, VEC_LEN, &m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m.version, 12);
	ck_assert_uint_eq(m.ui_mode, NOTIFY_UI_BACKGROUND);
	ck_assert_int_eq(m.initiator, 1);
	ck_assert_uint_eq(m.session_id, 0x1A2B);
	ck_assert_str_eq(m.server_id, SRV);
	ck_assert_ptr_null(m.vendor);
	ck_assert_uint_eq(m.vendor_len, 0);
	ck_assert_mem_eq(m.digest, raw, 16);
	notify_session_id(m.session_id, sid);
	ck_assert_str_eq(sid, "1A2B");
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, m.server_id, PASS,
	    zero4, 4), 1);
	/* the wrong inputs */
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, SRV, "srvsecreT",
	    zero4, 4), 0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, SRV, PASS, zero4, 3), 0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, SRV, PASS, NULL, 0), 0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, SRV, PASS,
	    "0x00000000", 10), 0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, "dmserveR", PASS,
	    zero4, 4), 0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, SRV, "", zero4, 4), 0);
	/* bad arguments */
	ck_assert_int_eq(notify_digest_ok(NULL, VEC_LEN, SRV, PASS, zero4, 4),
	    0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, NULL, PASS, zero4, 4), 0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, SRV, NULL, zero4, 4), 0);
	ck_assert_int_eq(notify_digest_ok(b, VEC_LEN, SRV, PASS, NULL, 4), 0);
	ck_assert_int_eq(notify_digest_ok(b, 15, SRV, PASS, zero4, 4), 0);
	ck_assert_int_eq(notify_parse(NULL, 0, &m, err, sizeof(err)), -1);
	ck_assert_int_eq(notify_parse(b, VEC_LEN, NULL, err, sizeof(err)), -1);
	/* err may be NULL */
	ck_assert_int_eq(notify_parse(b, 3, &m, NULL, 0), -1);
	free(b);
}
END_TEST

/* The test's own signer reproduces the vector byte for byte. */
START_TEST(test_signer_matches_vector)
{
	unsigned char raw[VEC_LEN], *b;
	size_t len;

	unhex(VEC_HEX, raw);
	b = simple_trigger(12, 0x1A2B, zero4, 4, &len);
	ck_assert_uint_eq(len, VEC_LEN);
	ck_assert_mem_eq(b, raw, VEC_LEN);
	free(b);
}
END_TEST

/* Every prefix of the vector is refused, with the right reason. */
START_TEST(test_truncations)
{
	unsigned char raw[VEC_LEN], *b;
	struct notify_msg m;
	char err[256];
	size_t n;

	unhex(VEC_HEX, raw);
	for (n = 0; n < VEC_LEN; n++) {
		b = exact_copy(raw, n);
		err[0] = '\0';
		ck_assert_msg(notify_parse(b, n, &m, err, sizeof(err)) == -1,
		    "prefix of %zu bytes accepted", n);
		if (n < NOTIFY_MIN_LEN)
			ck_assert_msg(strstr(err, "too short") != NULL,
			    "%zu: %s", n, err);
		else
			ck_assert_msg(strstr(err, "past the end") != NULL,
			    "%zu: %s", n, err);
		ck_assert_ptr_null(strchr(err, '\n'));
		free(b);
	}
}
END_TEST

/* Each of the 27 future-use bits alone makes the trigger refused. */
START_TEST(test_future_bits)
{
	struct notify_msg m;
	unsigned char *b;
	char err[256];
	size_t len;
	int bit;

	for (bit = 0; bit < 27; bit++) {
		b = make_trigger(12, 1, 1, (uint32_t)1 << bit, 0x1A2B, SRV,
		    strlen(SRV), NULL, 0, PASS, zero4, 4, &len);
		ck_assert_msg(notify_parse(b, len, &m, err, sizeof(err)) == -1,
		    "future bit %d accepted", bit);
		ck_assert_msg(strstr(err, "future-use") != NULL, "%s", err);
		free(b);
	}
}
END_TEST

START_TEST(test_versions)
{
	static const unsigned bad[] = { 0, 1, 10, 13, 20, 0x3ff };
	struct notify_msg m;
	unsigned char *b;
	char err[256];
	size_t len, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = simple_trigger(bad[i], 1, zero4, 4, &len);
		ck_assert_msg(notify_parse(b, len, &m, err, sizeof(err)) == -1,
		    "version %u accepted", bad[i]);
		ck_assert_msg(strstr(err, "version") != NULL, "%s", err);
		free(b);
	}
	for (i = 11; i <= 12; i++) {
		b = simple_trigger((unsigned)i, 7, zero4, 4, &len);
		ck_assert_int_eq(notify_parse(b, len, &m, err, sizeof(err)),
		    0);
		ck_assert_uint_eq(m.version, i);
		ck_assert_uint_eq(m.session_id, 7);
		ck_assert_int_eq(notify_digest_ok(b, len, m.server_id, PASS,
		    zero4, 4), 1);
		free(b);
	}
}
END_TEST

/* ui-mode, initiator and session id each read from their own bits. */
START_TEST(test_fields)
{
	static const unsigned sids[] = { 0, 1, 0x00ff, 0xff00, 0x1A2B,
	    0xB21A, 0xffff };
	struct notify_msg m;
	unsigned char *b;
	char err[256];
	size_t len, i;
	unsigned ui, init;

	for (ui = 0; ui < 4; ui++)
		for (init = 0; init < 2; init++)
			for (i = 0; i < sizeof(sids) / sizeof(sids[0]); i++) {
				b = make_trigger(11, ui, init, 0, sids[i],
				    SRV, strlen(SRV), NULL, 0, PASS, zero4, 4,
				    &len);
				ck_assert_int_eq(notify_parse(b, len, &m, err,
				    sizeof(err)), 0);
				ck_assert_uint_eq(m.version, 11);
				ck_assert_uint_eq(m.ui_mode, ui);
				ck_assert_int_eq(m.initiator, (int)init);
				ck_assert_uint_eq(m.session_id, sids[i]);
				ck_assert_str_eq(m.server_id, SRV);
				free(b);
			}
	ck_assert_str_eq(notify_ui_name(0), "not specified");
	ck_assert_str_eq(notify_ui_name(1), "background");
	ck_assert_str_eq(notify_ui_name(2), "informative");
	ck_assert_str_eq(notify_ui_name(3), "user interaction");
	ck_assert_str_eq(notify_ui_name(4), "?");
}
END_TEST

START_TEST(test_session_id_text)
{
	char s[NOTIFY_SID_LEN];

	notify_session_id(0, s);
	ck_assert_str_eq(s, "0");
	notify_session_id(1, s);
	ck_assert_str_eq(s, "1");
	notify_session_id(0x0a0b, s);
	ck_assert_str_eq(s, "A0B");
	notify_session_id(0xabc, s);
	ck_assert_str_eq(s, "ABC");
	notify_session_id(0x1A2B, s);
	ck_assert_str_eq(s, "1A2B");
	notify_session_id(0xffff, s);
	ck_assert_str_eq(s, "FFFF");
	notify_session_id(0x12345, s);
	ck_assert_str_eq(s, "2345");
}
END_TEST

START_TEST(test_server_id_length)
{
	struct notify_msg m;
	unsigned char *b;
	char err[256], id[256];
	size_t len;

	/* length 0 */
	b = make_trigger(12, 1, 1, 0, 1, "", 0, "vendor", 6, PASS, zero4, 4,
	    &len);
	ck_assert_int_eq(notify_parse(b, len, &m, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "empty") != NULL, "%s", err);
	free(b);
	/* one byte past the end: the length says 9, 8 bytes follow */
	b = make_trigger(12, 1, 1, 0, 1, SRV, strlen(SRV), NULL, 0, PASS,
	    zero4, 4, &len);
	b[23] = 9;
	ck_assert_int_eq(notify_parse(b, len, &m, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "past the end") != NULL, "%s", err);
	b[23] = 255;
	ck_assert_int_eq(notify_parse(b, len, &m, err, sizeof(err)), -1);
	/* a shorter length leaves the rest as the vendor body */
	b[23] = 2;
	ck_assert_int_eq(notify_parse(b, len, &m, err, sizeof(err)), 0);
	ck_assert_str_eq(m.server_id, "dm");
	ck_assert_uint_eq(m.vendor_len, 6);
	ck_assert_ptr_eq(m.vendor, b + 26);
	ck_assert_mem_eq(m.vendor, "server", 6);
	free(b);
	/* the longest id: 255 bytes, exactly to the end */
	memset(id, 'a', 255);
	id[255] = '\0';
	b = make_trigger(12, 1, 1, 0, 1, id, 255, NULL, 0, PASS, zero4, 4,
	    &len);
	ck_assert_uint_eq(len, 24 + 255);
	ck_assert_int_eq(notify_parse(b, len, &m, err, sizeof(err)), 0);
	ck_assert_str_eq(m.server_id, id);
	ck_assert_ptr_null(m.vendor);
	ck_assert_int_eq(notify_digest_ok(b, len, m.server_id, PASS, zero4,
	    4), 1);
	free(b);
}
END_TEST

START_TEST(test_server_id_bytes)
{
	static const struct {
		const char	*id;
		size_t		 len;
		int		 ok;
	} cases[] = {
		{ "dm server", 9, 1 },
		{ "dms\xc3\xa9rver", 9, 1 },		/* é */
		{ "\xe2\x82\xac", 3, 1 },		/* euro sign */
		{ "\xf0\x9f\x98\x80", 4, 1 },		/* U+1F600 */
		{ "dm\0server", 9, 0 },
		{ "dm\x01", 3, 0 },
		{ "dm\n", 3, 0 },
		{ "dm\x7f", 3, 0 },
		{ "dm\xff", 3, 0 },
		{ "dm\xc3", 3, 0 },			/* cut sequence */
		{ "\xc2\x85", 2, 0 },			/* C1 NEL */
		{ "\xc0\xaf", 2, 0 },			/* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0 },		/* overlong */
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* over U+10FFFF */
		{ "\x80", 1, 0 },			/* lone continuation */
	};
	struct notify_msg m;
	unsigned char *b;
	char err[256];
	size_t len, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = make_trigger(12, 1, 1, 0, 1, cases[i].id, cases[i].len,
		    "x", 1, PASS, zero4, 4, &len);
		if (cases[i].ok) {
			ck_assert_msg(notify_parse(b, len, &m, err,
			    sizeof(err)) == 0, "case %zu: %s", i, err);
			ck_assert_uint_eq(strlen(m.server_id), cases[i].len);
			ck_assert_mem_eq(m.server_id, cases[i].id,
			    cases[i].len);
			ck_assert_uint_eq(m.vendor_len, 1);
		} else {
			ck_assert_msg(notify_parse(b, len, &m, err,
			    sizeof(err)) == -1, "case %zu accepted", i);
			ck_assert_msg(strstr(err, "printable") != NULL,
			    "case %zu: %s", i, err);
		}
		free(b);
	}
}
END_TEST

/* Any single bit changed, in the digest or the trigger, fails the digest. */
START_TEST(test_bit_flips)
{
	unsigned char *b;
	size_t len, bit;

	b = make_trigger(12, 2, 1, 0, 0x1A2B, SRV, strlen(SRV), "vendor!", 7,
	    PASS, zero4, 4, &len);
	ck_assert_int_eq(notify_digest_ok(b, len, SRV, PASS, zero4, 4), 1);
	for (bit = 0; bit < len * 8; bit++) {
		b[bit / 8] ^= (unsigned char)(1U << (bit % 8));
		ck_assert_msg(notify_digest_ok(b, len, SRV, PASS, zero4, 4) ==
		    0, "bit %zu flipped still verifies", bit);
		b[bit / 8] ^= (unsigned char)(1U << (bit % 8));
	}
	ck_assert_int_eq(notify_digest_ok(b, len, SRV, PASS, zero4, 4), 1);
	/* one byte less or more of vendor body */
	ck_assert_int_eq(notify_digest_ok(b, len - 1, SRV, PASS, zero4, 4), 0);
	free(b);
}
END_TEST

/* An account for SRV with the given secret and nonce (not saved). */
static struct account *
test_account(const char *server, const char *secret, const void *nonce,
    size_t nlen, const char *resync)
{
	struct account *a;

	a = account_new("/nonexistent-luadm-state", server);
	ck_assert_ptr_nonnull(a);
	if (secret != NULL)
		ck_assert_int_eq(account_set_str(a,
		    "AppAuth/SRVCRED/AAuthSecret", secret), 0);
	if (nonce != NULL)
		ck_assert_int_eq(account_set(a, "AppAuth/SRVCRED/AAuthData",
		    nonce, nlen), 0);
	if (resync != NULL)
		ck_assert_int_eq(account_set_str(a,
		    "Ext/Microsoft/UseNonceResync", resync), 0);
	return a;
}

/* Parses and verifies b; returns notify_verify's result. */
static int
verify(struct account *a, const unsigned char *b, size_t len,
    enum notify_nonce *used, char *err, size_t errlen)
{
	struct notify_msg m;

	ck_assert_int_eq(notify_parse(b, len, &m, err, errlen), 0);
	*used = NOTIFY_NONCE__MAX;
	err[0] = '\0';
	return notify_verify(a, b, len, &m, used, err, errlen);
}

START_TEST(test_verify_account)
{
	static const unsigned char stored[16] = "0123456789abcdef";
	struct account *a;
	enum notify_nonce used;
	unsigned char *st, *rb, *rt, *noempty;
	char err[256];
	size_t lst, lrb, lrt, lne;

	st = simple_trigger(12, 0x10, stored, sizeof(stored), &lst);
	rb = simple_trigger(12, 0x11, zero4, 4, &lrb);
	rt = simple_trigger(12, 0x12, "0x00000000", 10, &lrt);
	noempty = simple_trigger(12, 0x13, NULL, 0, &lne);

	/* the stored nonce; re-sync not needed */
	a = test_account(SRV, PASS, stored, sizeof(stored), NULL);
	ck_assert_int_eq(verify(a, st, lst, &used, err, sizeof(err)), 0);
	ck_assert_int_eq(used, NOTIFY_NONCE_STORED);
	/* re-sync nonces refused while UseNonceResync is not "true" */
	ck_assert_int_eq(verify(a, rb, lrb, &used, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "UseNonceResync") != NULL, "%s", err);
	ck_assert_int_eq(verify(a, rt, lrt, &used, err, sizeof(err)), -1);
	account_set_str(a, "Ext/Microsoft/UseNonceResync", "false");
	ck_assert_int_eq(verify(a, rb, lrb, &used, err, sizeof(err)), -1);
	/* re-sync on: both forms, and the stored nonce still first */
	account_set_str(a, "Ext/Microsoft/UseNonceResync", "true");
	ck_assert_int_eq(verify(a, st, lst, &used, err, sizeof(err)), 0);
	ck_assert_int_eq(used, NOTIFY_NONCE_STORED);
	ck_assert_int_eq(verify(a, rb, lrb, &used, err, sizeof(err)), 0);
	ck_assert_int_eq(used, NOTIFY_NONCE_RESYNC_BIN);
	ck_assert_int_eq(verify(a, rt, lrt, &used, err, sizeof(err)), 0);
	ck_assert_int_eq(used, NOTIFY_NONCE_RESYNC_TEXT);
	/* a nonce that is neither */
	ck_assert_int_eq(verify(a, noempty, lne, &used, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "re-sync") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, PASS));
	/* a wrong secret fails even with re-sync */
	account_set_str(a, "AppAuth/SRVCRED/AAuthSecret", "other");
	ck_assert_int_eq(verify(a, st, lst, &used, err, sizeof(err)), -1);
	ck_assert_int_eq(verify(a, rb, lrb, &used, err, sizeof(err)), -1);
	account_free(a);

	/* no stored nonce: the empty nonce */
	a = test_account(SRV, PASS, NULL, 0, NULL);
	ck_assert_int_eq(verify(a, noempty, lne, &used, err, sizeof(err)), 0);
	ck_assert_int_eq(used, NOTIFY_NONCE_STORED);
	ck_assert_int_eq(verify(a, st, lst, &used, err, sizeof(err)), -1);
	account_free(a);

	/* no secret, or an empty one: refused whatever the digest */
	a = test_account(SRV, NULL, NULL, 0, "true");
	ck_assert_int_eq(verify(a, noempty, lne, &used, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no server secret") != NULL, "%s", err);
	account_free(a);
	a = test_account(SRV, "", NULL, 0, "true");
	ck_assert_int_eq(verify(a, noempty, lne, &used, err, sizeof(err)), -1);
	account_free(a);

	/* another server's account */
	a = test_account("otherserver", PASS, stored, sizeof(stored), NULL);
	ck_assert_int_eq(verify(a, st, lst, &used, err, sizeof(err)), -1);
	account_free(a);

	free(st);
	free(rb);
	free(rt);
	free(noempty);
}
END_TEST

START_TEST(test_resync_nonce)
{
	const unsigned char *p;
	size_t n = 99;

	p = notify_resync_nonce(NOTIFY_NONCE_RESYNC_BIN, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(p, zero4, 4);
	p = notify_resync_nonce(NOTIFY_NONCE_RESYNC_TEXT, &n);
	ck_assert_uint_eq(n, 10);
	ck_assert_mem_eq(p, "0x00000000", 10);
	ck_assert_ptr_null(notify_resync_nonce(NOTIFY_NONCE_STORED, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(notify_nonce_name(NOTIFY_NONCE_STORED), "stored");
}
END_TEST

/* Checks what a successful parse promises about b. */
static void
check_invariants(const unsigned char *b, size_t len,
    const struct notify_msg *m)
{
	size_t idlen = strlen(m->server_id);

	ck_assert(m->version == 11 || m->version == 12);
	ck_assert_uint_lt(m->ui_mode, 4);
	ck_assert_uint_le(m->session_id, 0xffff);
	ck_assert_uint_gt(idlen, 0);
	ck_assert_uint_eq(idlen, b[23]);
	ck_assert_uint_eq(24 + idlen + m->vendor_len, len);
	ck_assert_mem_eq(m->server_id, b + 24, idlen);
	if (m->vendor_len > 0)
		ck_assert_ptr_eq(m->vendor, b + 24 + idlen);
	else
		ck_assert_ptr_null(m->vendor);
}

/* Random buffers, and random mutations of a valid trigger. */
START_TEST(test_garbage)
{
	uint64_t seed = 0x6e6f74696679ULL;
	struct notify_msg m;
	unsigned char *valid, *b;
	char err[256];
	size_t vlen, len, i, k, nmut, pos, accepted = 0;

	valid = make_trigger(12, 1, 1, 0, 0x1A2B, SRV, strlen(SRV), "body",
	    4, PASS, zero4, 4, &vlen);
	for (i = 0; i < 50000; i++) {
		if (i % 2 == 0) {
			/* pure noise, lengths around the interesting ones */
			len = rng_next(&seed) % 320;
			b = malloc(len > 0 ? len : 1);
			ck_assert_ptr_nonnull(b);
			for (k = 0; k < len; k++)
				b[k] = (unsigned char)rng_next(&seed);
			/* often a plausible header (version 12 or 11,
			 * background, server), to get past it */
			if (len >= 24 && rng_next(&seed) % 2 == 0) {
				k = rng_next(&seed) % 2;
				b[16] = k ? 0x03 : 0x02;
				b[17] = k ? 0x18 : 0xd8;
				b[18] = b[19] = b[20] = 0;
				b[23] = (unsigned char)(rng_next(&seed) % 16);
			}
		} else {
			/* the valid trigger, cut or grown, bytes changed */
			len = vlen + rng_next(&seed) % 8;
			len = rng_next(&seed) % 4 == 0 ? len % (vlen + 1) :
			    len;
			b = malloc(len > 0 ? len : 1);
			ck_assert_ptr_nonnull(b);
			for (k = 0; k < len; k++)
				b[k] = k < vlen ? valid[k] :
				    (unsigned char)rng_next(&seed);
			nmut = rng_next(&seed) % 4;
			for (k = 0; k < nmut && len > 0; k++) {
				pos = rng_next(&seed) % len;
				b[pos] ^= (unsigned char)(1U <<
				    (rng_next(&seed) % 8));
			}
		}
		err[0] = '\0';
		if (notify_parse(b, len, &m, err, sizeof(err)) == 0) {
			check_invariants(b, len, &m);
			if (len != vlen || memcmp(b, valid, vlen) != 0)
				ck_assert_int_eq(notify_digest_ok(b, len,
				    m.server_id, PASS, zero4, 4), 0);
			accepted++;
		} else {
			ck_assert(err[0] != '\0');
			ck_assert_ptr_null(strchr(err, '\n'));
		}
		free(b);
	}
	/* the run reached the digest, not only the length checks */
	ck_assert_uint_gt(accepted, 1000);
	free(valid);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_vector);
	tcase_add_test(tc, test_signer_matches_vector);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_future_bits);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_session_id_text);
	tcase_add_test(tc, test_server_id_length);
	tcase_add_test(tc, test_server_id_bytes);
	tcase_add_test(tc, test_bit_flips);
	tcase_add_test(tc, test_verify_account);
	tcase_add_test(tc, test_resync_nonce);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(notify_suite());
}
