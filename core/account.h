/*
 * account: the DM accounts luadm is enrolled with, kept crash-safe in
 * <state_dir>/accounts/<AccountID>.map (store.h map files, mode 0600). An
 * account is a flat map whose keys are the DMAcc node paths below the
 * account node (OMA DM 1.2 DMAcc layout, named as Windows names them), so
 * the DMAcc CSP is a thin view of it and bootstrap, the session and the
 * CSP all speak the same names:
 *
 *   AppID, ServerID, Name, AAuthPref,
 *   AppAddr/1/Addr, AppAddr/1/AddrType, AppAddr/1/Port/1/PortNbr,
 *   AppAuth/CLCRED/{AAuthLevel,AAuthType,AAuthName,AAuthSecret,AAuthData}
 *       (how the client authenticates to the server; AAuthData = the nonce
 *        for the next MD5/HMAC credential, raw bytes; bootstrap keeps a
 *        document's AAUTHDATA that is not base64 as its text),
 *   AppAuth/SRVCRED/{...}  (how the server authenticates to the client),
 *   Ext/Microsoft/{Role, ProtoVer, DefaultEncoding, UseHwDevID,
 *       ConnRetryFreq, InitialBackOffTime, MaxBackOffTime,
 *       BackCompatRetryDisabled, UseNonceResync, CRLCheck,
 *       DisableOnRoaming, SSLClientCertSearchCriteria},
 *   Ext/Microsoft/Init (the valueless w7 INIT parm, "true"),
 *   Ext/luadm/{Query (extra query string of the POST URL), CAFile,
 *       ClientCert, ClientKey, RequireServerAuth ("true"/"false"),
 *       SessionCounter (last SessionID used, decimal)},
 *   DMClient/... (the DMClient/Provider/<ServerID> settings: Poll/...,
 *       EntDeviceName, EntDMID, UPN, ...)
 *
 * Keys are "/"-separated paths of non-empty segments. A key ending in "/"
 * ("Ext/Foo/", empty value) marks an interior node that may have no leaves
 * (the DMAcc CSP's Add of an interior node). A key is never both a leaf
 * and the prefix of another key: account_set refuses "Ext" while
 * "Ext/Microsoft/Role" exists, and the other way round.
 *
 * The AccountID is Windows': "0x0000800c" followed by the upper-case hex
 * SHA-256 of the ServerID encoded as UTF-16LE (Fleet addresses
 * ./SyncML/DMAcc/<AccountID>/... directly; its ServerID "Fleet" gives
 * 0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077).
 * Since the id derives from the ServerID, an account's ServerID never
 * changes, and account_load refuses a file whose ServerID does not hash to
 * its name. Other files of an account: <AccountID>.ca.pem,
 * <AccountID>.cert.pem and <AccountID>.key.pem (written by bootstrap).
 */
#ifndef LUADM_ACCOUNT_H
#define LUADM_ACCOUNT_H

#include <stddef.h>

#include "store.h"

#define ACCOUNT_ID_LEN	(10 + 64)	/* without the NUL */

struct account {
	char		*id;		/* AccountID */
	char		*file;		/* its map file */
	struct store_map map;
};

/*
 * Writes the AccountID of server_id (UTF-8) into out (ACCOUNT_ID_LEN + 1
 * bytes, NUL-terminated). 0, or -1 when server_id is empty or not valid
 * UTF-8 (overlong forms, surrogates and code points over U+10FFFF are
 * invalid); characters over U+FFFF become UTF-16 surrogate pairs.
 */
int	account_id(const char *server_id, char *out);

/*
 * Loads the account with this AccountID. Returns 0, 1 when there is none
 * (also when id is not of the AccountID form, so a hostile id never names
 * a file), -1 with a malloc'd *err (err may be NULL): unreadable or
 * corrupt file, or a ServerID missing or not matching the id. Free with
 * account_free().
 */
int	account_load(const char *state_dir, const char *id,
	    struct account **out, char **err);
/*
 * Finds the account whose ServerID is server_id (0, 1 none, -1 error with
 * *err). Because account_load checks that the ServerID hashes to the file
 * name, this is account_load of account_id(server_id): other accounts,
 * even corrupt ones, are not read. An invalid server_id finds none.
 */
int	account_find(const char *state_dir, const char *server_id,
	    struct account **out, char **err);
/*
 * A new, unsaved account for server_id holding only the ServerID key;
 * NULL when out of memory or server_id is invalid (see account_id).
 */
struct account *account_new(const char *state_dir, const char *server_id);
void	account_free(struct account *a);

/*
 * The AccountIDs in the state dir (names <AccountID>.map in
 * <state_dir>/accounts; no directory = none), sorted. *ids is malloc'd
 * (NULL when n is 0); free with account_list_free. 0 or -1 with *err.
 */
int	account_list(const char *state_dir, char ***ids, size_t *n,
	    char **err);
void	account_list_free(char **ids, size_t n);

/*
 * The value of key (borrowed, NUL-terminated, may hold NULs: AAuthData is
 * binary), or NULL; *len (may be NULL) gets its length.
 */
const char *account_get(const struct account *a, const char *key,
	    size_t *len);
/*
 * Sets key (a copy of len bytes; any bytes). 0, or -1 with errno: EINVAL
 * for a malformed key (empty, empty segment, leading "/"), EEXIST when it
 * conflicts with the shape of the others (see above), EPERM for ServerID
 * with another value than the account's, ENOMEM.
 */
int	account_set(struct account *a, const char *key, const void *val,
	    size_t len);
int	account_set_str(struct account *a, const char *key, const char *val);
/*
 * Removes key and every key below it ("AppAuth" removes AppAuth/... and the
 * marker "AppAuth/"). ServerID is never removed.
 */
void	account_unset(struct account *a, const char *key);
/*
 * Reads the account's file again, dropping unsaved changes: another part
 * of luadm (the DMAcc CSP, during a session) may have changed it. 0, 1
 * when the file is gone (the account is kept as it is), -1 with *err.
 */
int	account_reload(struct account *a, char **err);
/* Saves atomically. 0 or -1 with *err. */
int	account_save(struct account *a, char **err);
/*
 * Removes the account's files (.map, .ca.pem, .cert.pem, .key.pem); files
 * already missing are fine. 0 or -1 with *err (also for a malformed id).
 */
int	account_remove(const char *state_dir, const char *id, char **err);

#endif
