/*
 * notify.c: package #0 (server-initiated session trigger) parsing and
 * digest check; see notify.h.
 *
 * The header is read with shifts from a big-endian 64-bit value built byte
 * by byte, so the host's byte order never matters (libdmclient's
 * be64toh-then-ntohs reads the session id byte-swapped; this does not).
 * The intermediate B64(H(server-id ":" password)), which stands in for the
 * password, is wiped before it is freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "account.h"
#include "b64.h"
#include "notify.h"

/* The header's fields: shift and mask of each in the 64-bit value. */
#define HDR_VERSION(h)	((unsigned)(((h) >> 54) & 0x3ffU))
#define HDR_UI(h)	((unsigned)(((h) >> 52) & 0x3U))
#define HDR_INIT(h)	((int)(((h) >> 51) & 0x1U))
#define HDR_FUTURE(h)	((uint32_t)(((h) >> 24) & 0x7ffffffU))
#define HDR_SID(h)	((unsigned)(((h) >> 8) & 0xffffU))
#define HDR_IDLEN(h)	((size_t)((h) & 0xffU))

#define VERSION_MIN	11
#define VERSION_MAX	12

/* The re-sync nonce in its two possible forms (see notify.h). */
static const unsigned char resync_bin[4] = { 0, 0, 0, 0 };
static const char resync_text[] = "0x00000000";

/* One piece of a message to hash. */
struct notify_piece {
	const void	*p;
	size_t		 len;
};

/*
 * Hashes the concatenation of n pieces with MD5 into out (16 bytes).
 * 0, or -1 when OpenSSL fails (no memory, MD5 unavailable).
 */
static int
notify_md5(unsigned char *out, const struct notify_piece *v, size_t n)
{
	EVP_MD_CTX *ctx;
	unsigned int olen = 0;
	size_t i;
	int rc = -1;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -1;
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (v[i].len > 0 &&
		    EVP_DigestUpdate(ctx, v[i].p, v[i].len) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, &olen) != 1 ||
	    olen != NOTIFY_DIGEST_LEN)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Writes a one-line reason into err (may be NULL). Returns -1. */
static int
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * 1 when s (len bytes) is UTF-8 without control characters (C0, DEL, C1),
 * overlong forms, surrogates or code points over U+10FFFF; else 0.
 */
static int
printable_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
			return 0;
		i += n + 1;
	}
	return 1;
}

int
notify_parse(const void *buf, size_t len, struct notify_msg *m, char *err,
    size_t errlen)
{
	const unsigned char *p = buf;
	uint64_t h = 0;
	size_t idlen, i;

	if (m == NULL)
		return seterr(err, errlen, "no message");
	memset(m, 0, sizeof(*m));
	if (p == NULL && len > 0)
		return seterr(err, errlen, "no message");
	if (len < NOTIFY_MIN_LEN)
		return seterr(err, errlen, "too short: %zu bytes, a package #0 "
		    "has at least %d", len, NOTIFY_MIN_LEN);
	for (i = NOTIFY_DIGEST_LEN; i < NOTIFY_MIN_LEN; i++)
		h = (h << 8) | p[i];
	m->version = HDR_VERSION(h);
	m->ui_mode = HDR_UI(h);
	m->initiator = HDR_INIT(h);
	m->session_id = HDR_SID(h);
	idlen = HDR_IDLEN(h);
	if (m->version < VERSION_MIN || m->version > VERSION_MAX)
		return seterr(err, errlen, "version %u is not 11 or 12 "
		    "(1.1, 1.2)", m->version);
	if (HDR_FUTURE(h) != 0)
		return seterr(err, errlen, "the future-use bits are not zero "
		    "(0x%07x)", (unsigned)HDR_FUTURE(h));
	if (idlen == 0)
		return seterr(err, errlen, "the server identifier is empty");
	if (idlen > len - NOTIFY_MIN_LEN)
		return seterr(err, errlen, "the server identifier (%zu bytes) "
		    "runs past the end of the message (%zu bytes)", idlen, len);
	if (!printable_utf8(p + NOTIFY_MIN_LEN, idlen))
		return seterr(err, errlen, "the server identifier is not "
		    "printable UTF-8");
	memcpy(m->server_id, p + NOTIFY_MIN_LEN, idlen);
	m->server_id[idlen] = '\0';
	memcpy(m->digest, p, NOTIFY_DIGEST_LEN);
	m->vendor_len = len - NOTIFY_MIN_LEN - idlen;
	m->vendor = m->vendor_len > 0 ? p + NOTIFY_MIN_LEN + idlen : NULL;
	return 0;
}

int
notify_digest_ok(const void *buf, size_t len, const char *server_id,
    const char *password, const void *nonce, size_t nonce_len)
{
	const unsigned char *p = buf;
	unsigned char h[NOTIFY_DIGEST_LEN], d[NOTIFY_DIGEST_LEN];
	struct notify_piece v[5];
	char *cred64 = NULL, *trig64 = NULL;
	int ok = 0;

	if (p == NULL || len < NOTIFY_DIGEST_LEN || server_id == NULL ||
	    password == NULL || (nonce == NULL && nonce_len > 0))
		return 0;
	/* B64(H(server-id ":" password)) */
	v[0].p = server_id;
	v[0].len = strlen(server_id);
	v[1].p = ":";
	v[1].len = 1;
	v[2].p = password;
	v[2].len = strlen(password);
	if (notify_md5(h, v, 3) != 0)
		goto out;
	cred64 = b64_encode(h, sizeof(h));
	OPENSSL_cleanse(h, sizeof(h));
	if (cred64 == NULL)
		goto out;
	/* B64(H(trigger)) */
	v[0].p = p + NOTIFY_DIGEST_LEN;
	v[0].len = len - NOTIFY_DIGEST_LEN;
	if (notify_md5(h, v, 1) != 0)
		goto out;
	trig64 = b64_encode(h, sizeof(h));
	if (trig64 == NULL)
		goto out;
	v[0].p = cred64;
	v[0].len = strlen(cred64);
	v[1].p = ":";
	v[1].len = 1;
	v[2].p = nonce;
	v[2].len = nonce_len;
	v[3].p = ":";
	v[3].len = 1;
	v[4].p = trig64;
	v[4].len = strlen(trig64);
	if (notify_md5(d, v, 5) != 0)
		goto out;
	ok = CRYPTO_memcmp(d, p, NOTIFY_DIGEST_LEN) == 0;
out:
	if (cred64 != NULL) {
		OPENSSL_cleanse(cred64, strlen(cred64));
		free(cred64);
	}
	free(trig64);
	return ok;
}

const void *
notify_resync_nonce(enum notify_nonce which, size_t *len)
{
	switch (which) {
	case NOTIFY_NONCE_RESYNC_BIN:
		*len = sizeof(resync_bin);
		return resync_bin;
	case NOTIFY_NONCE_RESYNC_TEXT:
		*len = sizeof(resync_text) - 1;
		return resync_text;
	default:
		*len = 0;
		return NULL;
	}
}

const char *
notify_nonce_name(enum notify_nonce which)
{
	switch (which) {
	case NOTIFY_NONCE_STORED:
		return "stored";
	case NOTIFY_NONCE_RESYNC_BIN:
		return "re-sync (4 zero bytes)";
	case NOTIFY_NONCE_RESYNC_TEXT:
		return "re-sync (the text \"0x00000000\")";
	default:
		return "?";
	}
}

int
notify_verify(const struct account *acc, const void *buf, size_t len,
    const struct notify_msg *m, enum notify_nonce *used, char *err,
    size_t errlen)
{
	const char *sid, *secret, *nonce, *resync;
	const void *rn;
	size_t nlen, rlen;
	int which;

	if (acc == NULL || m == NULL || used == NULL)
		return seterr(err, errlen, "no account");
	sid = account_get(acc, "ServerID", NULL);
	if (sid == NULL || strcmp(sid, m->server_id) != 0)
		return seterr(err, errlen, "the account is not the "
		    "notification's server");
	secret = account_get(acc, "AppAuth/SRVCRED/AAuthSecret", NULL);
	if (secret == NULL || secret[0] == '\0')
		return seterr(err, errlen, "the account has no server secret "
		    "(AppAuth/SRVCRED/AAuthSecret) to check the digest with");
	nonce = account_get(acc, "AppAuth/SRVCRED/AAuthData", &nlen);
	if (nonce == NULL)
		nlen = 0;
	if (notify_digest_ok(buf, len, m->server_id, secret, nonce, nlen)) {
		*used = NOTIFY_NONCE_STORED;
		return 0;
	}
	resync = account_get(acc, "Ext/Microsoft/UseNonceResync", NULL);
	if (resync == NULL || strcasecmp(resync, "true") != 0)
		return seterr(err, errlen, "the digest does not match (wrong "
		    "server secret, or the nonce is out of step and "
		    "Ext/Microsoft/UseNonceResync is off)");
	for (which = NOTIFY_NONCE_RESYNC_BIN; which < NOTIFY_NONCE__MAX;
	    which++) {
		rn = notify_resync_nonce((enum notify_nonce)which, &rlen);
		if (notify_digest_ok(buf, len, m->server_id, secret, rn,
		    rlen)) {
			*used = (enum notify_nonce)which;
			return 0;
		}
	}
	return seterr(err, errlen, "the digest does not match, with the "
	    "stored nonce nor with the re-sync nonce");
}

const char *
notify_ui_name(unsigned ui_mode)
{
	static const char *const names[NOTIFY_UI__MAX] = {
		"not specified", "background", "informative",
		"user interaction"
	};

	return ui_mode < NOTIFY_UI__MAX ? names[ui_mode] : "?";
}

void
notify_session_id(unsigned sid, char out[NOTIFY_SID_LEN])
{
	snprintf(out, NOTIFY_SID_LEN, "%X", sid & 0xffffU);
}

/*
 * After a re-sync: the session runs with the re-sync nonce. Session code
 * reads the nonces from the account file (and reloads it), so they are
 * stored there: the client's credential in package 1 uses it (CLCRED
 * AAuthData, [OMA-NOTI] re-sync step 3), and so does the check of the
 * server's first credential (SRVCRED AAuthData). The session replaces
 * both with the nonces the server's and our challenges carry.
 * 0, or -1 with err.
 */
static int
store_resync_nonce(struct account *acc, enum notify_nonce used, char *err,
    size_t errlen)
{
	const void *n;
	size_t nlen;
	char *e = NULL;

	n = notify_resync_nonce(used, &nlen);
	if (n == NULL)
		return 0;
	if (account_set(acc, "AppAuth/CLCRED/AAuthData", n, nlen) != 0 ||
	    account_set(acc, "AppAuth/SRVCRED/AAuthData", n, nlen) != 0) {
		snprintf(err, errlen, "cannot set the re-sync nonce: %s",
		    strerror(errno));
		return -1;
	}
	if (account_save(acc, &e) != 0) {
		snprintf(err, errlen, "%s", e != NULL ? e : "out of memory");
		free(e);
		return -1;
	}
	return 0;
}


int
notify_accept(const char *state_dir, const void *buf, size_t len,
    int keep_resync, struct notify_msg *m, struct account **acc,
    char sid[NOTIFY_SID_LEN], enum notify_nonce *used, char *err,
    size_t errlen)
{
	char *e = NULL, why[384];
	int r;

	*acc = NULL;
	*used = NOTIFY_NONCE_STORED;
	if (notify_parse(buf, len, m, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "trigger refused: %s", why);
		return -1;
	}
	notify_session_id(m->session_id, sid);
	r = account_find(state_dir, m->server_id, acc, &e);
	if (r != 0) {
		snprintf(err, errlen, "trigger refused: %s%s%s",
		    r == 1 ? "no account is enrolled with server " : "",
		    r == 1 ? m->server_id : "the account cannot be read: ",
		    r == 1 ? "" : e != NULL ? e : "out of memory");
		free(e);
		return -1;
	}
	if (notify_verify(*acc, buf, len, m, used, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "trigger from %s (session %s) refused: "
		    "%s", m->server_id, sid, why);
		goto fail;
	}
	if (keep_resync && store_resync_nonce(*acc, *used, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	account_free(*acc);
	*acc = NULL;
	return -1;
}
