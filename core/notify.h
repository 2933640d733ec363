/*
 * notify: OMA DM 1.2 package #0, the General Notification that asks the
 * client to open a session with a server (omadm-spec.md section 4,
 * [OMA-NOTI 6.2]). Parses the bytes (bounds-checked, big-endian):
 *
 *   offset 0   digest[16]  MD5, raw
 *   offset 16  64-bit header, MSB first: version (10 bits), ui-mode (2),
 *              initiator (1), future use (27, must be 0), session id
 *              (16), server id length (8)
 *   offset 24  server identifier, then the vendor-specific body to the end
 *
 * and checks the digest
 *
 *   H( B64(H(server-id ":" password)) ":" nonce ":" B64(H(trigger)) )
 *
 * (H = MD5 through OpenSSL EVP, B64 = b64.h, trigger = every byte after the
 * digest) against the account's server credentials: AppAuth/SRVCRED
 * AAuthSecret and AAuthData (the nonce, raw bytes).
 *
 * Nonce re-sync [OMA-NOTI 6.2, "Nonce Resynchronisation"]: when the stored
 * nonce fails and the account's Ext/Microsoft/UseNonceResync is "true",
 * the digest is tried again with the special nonce "0x00000000". Whether
 * that is 4 zero bytes or the 10-character ASCII text is not settled (the
 * spec writes it as a hex literal, libdmclient uses the text), so both are
 * accepted, the 4 bytes first; the caller learns which one matched and
 * must run the session with that nonce (the client's credentials in
 * package 1 are built with it, and the server refreshes the nonces with
 * its challenges).
 *
 * Uses: account.h (the credentials), b64.h, OpenSSL EVP.
 */
#ifndef LUADM_NOTIFY_H
#define LUADM_NOTIFY_H

#include <stddef.h>

struct account;

#define NOTIFY_DIGEST_LEN	16
#define NOTIFY_MIN_LEN		24	/* digest and header, no server id */
#define NOTIFY_MAX_LEN		65536	/* the largest package #0 read */
#define NOTIFY_SID_LEN		8	/* notify_session_id's buffer */

/* The ui-mode values. */
enum notify_ui {
	NOTIFY_UI_UNSPECIFIED,
	NOTIFY_UI_BACKGROUND,
	NOTIFY_UI_INFORMATIVE,
	NOTIFY_UI_INTERACTIVE,
	NOTIFY_UI__MAX
};

/* Which nonce made the digest match. */
enum notify_nonce {
	NOTIFY_NONCE_STORED,		/* SRVCRED AAuthData */
	NOTIFY_NONCE_RESYNC_BIN,	/* re-sync: 4 zero bytes */
	NOTIFY_NONCE_RESYNC_TEXT,	/* re-sync: the text "0x00000000" */
	NOTIFY_NONCE__MAX
};

struct notify_msg {
	unsigned	 version;	/* 11 or 12 (= 1.1, 1.2) */
	unsigned	 ui_mode;	/* enum notify_ui */
	int		 initiator;	/* 1 server, 0 client or user */
	unsigned	 session_id;	/* 0..0xffff */
	char		 server_id[256];	/* NUL-terminated, printable */
	const unsigned char *vendor;	/* borrowed from the buffer parsed;
					   NULL when vendor_len is 0 */
	size_t		 vendor_len;
	unsigned char	 digest[NOTIFY_DIGEST_LEN];
};

/*
 * Parses a package #0. 0, or -1 with a one-line reason in err (too short,
 * future-use bits not zero, version not 11 or 12, server id empty or
 * running past the end, server id not printable UTF-8...). Lengths are
 * checked before every read; m->vendor points into buf.
 */
int	notify_parse(const void *buf, size_t len, struct notify_msg *m,
	    char *err, size_t errlen);

/*
 * 1 when the digest of buf (its first 16 bytes) matches
 * H(B64(H(server_id:password)):nonce:B64(H(trigger))), trigger = buf+16
 * to the end, else 0 (also when buf is shorter than the digest, on a NULL
 * argument or when MD5 is unavailable). nonce may be NULL when nonce_len
 * is 0. The comparison takes constant time.
 */
int	notify_digest_ok(const void *buf, size_t len, const char *server_id,
	    const char *password, const void *nonce, size_t nonce_len);

/*
 * Verifies a parsed package #0 (buf, len and its parse m) against the
 * account: its ServerID must be m's, its SRVCRED secret non-empty (an empty
 * secret would let anyone forge a digest), and the digest must match the
 * stored nonce or, when UseNonceResync is "true", a re-sync nonce. 0 with
 * *used, or -1 with a one-line reason in err (never the secret or nonce).
 */
int	notify_verify(const struct account *acc, const void *buf, size_t len,
	    const struct notify_msg *m, enum notify_nonce *used, char *err,
	    size_t errlen);

/*
 * Everything a receiver does with a package #0 before the session: parses
 * it, finds the account of its server id, verifies the digest, and (with
 * keep_resync) stores a re-sync nonce that matched into the account, so
 * that the session's first credentials use it. On 0: *acc (free with
 * account_free), sid (the SessionID to answer with), *used. -1 with a
 * one-line reason in err (never a secret or nonce).
 */
int	notify_accept(const char *state_dir, const void *buf, size_t len,
	    int keep_resync, struct notify_msg *m, struct account **acc,
	    char sid[NOTIFY_SID_LEN], enum notify_nonce *used, char *err,
	    size_t errlen);

/* The bytes of a nonce kind other than STORED (static); NULL otherwise. */
const void *notify_resync_nonce(enum notify_nonce which, size_t *len);

/* "stored", "re-sync (4 zero bytes)", ...; never NULL. */
const char *notify_nonce_name(enum notify_nonce which);

/* "not specified", "background", ...; "?" when out of range. */
const char *notify_ui_name(unsigned ui_mode);

/*
 * The SessionID of the answering session: sid as upper-case hex, no
 * leading zeros ("1A2B", "0" for 0). Only the low 16 bits are used.
 */
void	notify_session_id(unsigned sid, char out[NOTIFY_SID_LEN]);

#endif
