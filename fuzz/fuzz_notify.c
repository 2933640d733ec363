/*
 * fuzz_notify: package #0 bytes -> notify_parse() and notify_digest_ok()
 * (core/notify.h). What parses must be consistent with the bytes (the
 * header fields, the server id, the vendor part inside the buffer), and
 * the digest check is compared with an oracle written here from the
 * formula of [OMA-NOTI] with OpenSSL alone: the input with its digest
 * replaced by the right one must pass, with one bit of it flipped must
 * not, whatever the rest of the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common.h"
#include "notify.h"

#define PASSWORD	"fuzz-secret"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* MD5 of the concatenation of up to 5 parts. */
static void
md5(unsigned char out[16], const void *const *p, const size_t *n,
    size_t np)
{
	EVP_MD_CTX *c;
	unsigned int olen = 0;
	size_t i;

	c = EVP_MD_CTX_new();
	FUZZ_CHECK(c != NULL && EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1,
	    "MD5");
	for (i = 0; i < np; i++)
		FUZZ_CHECK(EVP_DigestUpdate(c, p[i], n[i]) == 1, "MD5");
	FUZZ_CHECK(EVP_DigestFinal_ex(c, out, &olen) == 1 && olen == 16,
	    "MD5");
	EVP_MD_CTX_free(c);
}

/* The digest of package #0 bytes buf (len >= 16) from the formula. */
static void
oracle(unsigned char dig[16], const uint8_t *buf, size_t len,
    const char *sid, const void *nonce, size_t nlen)
{
	unsigned char h1[16], h2[16], b1[25], b2[25];
	const void *p[5];
	size_t n[5];

	p[0] = sid;
	n[0] = strlen(sid);
	p[1] = ":";
	n[1] = 1;
	p[2] = PASSWORD;
	n[2] = strlen(PASSWORD);
	md5(h1, p, n, 3);
	EVP_EncodeBlock(b1, h1, 16);
	p[0] = buf + 16;
	n[0] = len - 16;
	md5(h2, p, n, 1);
	EVP_EncodeBlock(b2, h2, 16);
	p[0] = b1;
	n[0] = 24;
	p[1] = ":";
	n[1] = 1;
	p[2] = nonce;
	n[2] = nlen;
	p[3] = ":";
	n[3] = 1;
	p[4] = b2;
	n[4] = 24;
	/* H(B64(H(sid:pw)) ":" nonce ":" B64(H(trigger))) */
	md5(dig, p, n, 5);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_msg m;
	uint8_t *copy;
	char err[256], sidbuf[NOTIFY_SID_LEN];
	const char *sid = "srv";
	unsigned char nonce[64];
	size_t nlen, sidlen;

	if (size > NOTIFY_MAX_LEN)
		return 0;
	err[0] = '\0';
	if (notify_parse(data, size, &m, err, sizeof(err)) == 0) {
		FUZZ_CHECK(size >= NOTIFY_MIN_LEN, "short input parsed");
		FUZZ_CHECK(memcmp(m.digest, data, 16) == 0, "digest");
		FUZZ_CHECK(m.version == 11 || m.version == 12, "version %u",
		    m.version);
		FUZZ_CHECK(m.ui_mode < NOTIFY_UI__MAX, "ui-mode");
		sidlen = strlen(m.server_id);
		FUZZ_CHECK(sidlen > 0 && sidlen == data[23], "server id "
		    "length %zu, header says %u", sidlen, data[23]);
		FUZZ_CHECK(memcmp(m.server_id, data + 24, sidlen) == 0,
		    "server id");
		FUZZ_CHECK(m.vendor_len == size - 24 - sidlen, "vendor_len");
		FUZZ_CHECK(m.vendor_len == 0 ? m.vendor == NULL :
		    m.vendor == data + 24 + sidlen, "vendor pointer");
		FUZZ_CHECK(m.session_id == ((unsigned)data[21] << 8 |
		    data[22]), "session id");
		notify_session_id(m.session_id, sidbuf);
		FUZZ_CHECK(memchr(sidbuf, '\0', sizeof(sidbuf)) != NULL,
		    "session id string");
		(void)notify_ui_name(m.ui_mode);
		sid = m.server_id;
	} else
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");

	if (size < NOTIFY_DIGEST_LEN)
		return 0;
	/* the nonce: the last byte says how many of the first ones */
	nlen = data[size - 1] % sizeof(nonce);
	if (nlen > size)
		nlen = size;
	memcpy(nonce, data, nlen);
	copy = malloc(size);
	FUZZ_CHECK(copy != NULL, "malloc");
	memcpy(copy, data, size);
	oracle(copy, data, size, sid, nonce, nlen);
	FUZZ_CHECK(notify_digest_ok(copy, size, sid, PASSWORD, nonce,
	    nlen) == 1, "the right digest is refused");
	copy[data[0] % 16] ^= (uint8_t)(1u << (data[1 % size] % 8));
	FUZZ_CHECK(notify_digest_ok(copy, size, sid, PASSWORD, nonce,
	    nlen) == 0, "a wrong digest passes");
	(void)notify_digest_ok(data, size, sid, PASSWORD, nonce, nlen);
	free(copy);
	return 0;
}
