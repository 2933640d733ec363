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
 *        for the next MD5/HMAC credential, raw bytes),
 *   AppAuth/SRVCRED/{...}  (how the server authenticates to the client),
 *   Ext/Microsoft/{Role, ProtoVer, DefaultEncoding, UseHwDevID,
 *       ConnRetryFreq, InitialBackOffTime, MaxBackOffTime,
 *       BackCompatRetryDisabled, UseNonceResync, CRLCheck,
 *       DisableOnRoaming, SSLClientCertSearchCriteria},
 *   Ext/luadm/{Query (extra query string of the POST URL), CAFile,
 *       ClientCert, ClientKey, RequireServerAuth ("true"/"false"),
 *       SessionCounter (last SessionID used, decimal)},
 *   DMClient/... (the DMClient/Provider/<ServerID> settings: Poll/...,
 *       EntDeviceName, EntDMID, UPN, ...)
 *
 * The AccountID is Windows': "0x0000800c" followed by the upper-case hex
 * SHA-256 of the ServerID encoded as UTF-16LE (Fleet addresses
 * ./SyncML/DMAcc/<AccountID>/... directly).
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
 * bytes). 0, or -1 when server_id is not valid UTF-8.
 */
int	account_id(const char *server_id, char *out);

/*
 * Loads the account with this AccountID. Returns 0, 1 when there is none,
 * -1 with *err. Free with account_free().
 */
int	account_load(const char *state_dir, const char *id,
	    struct account **out, char **err);
/* Finds the account whose ServerID is server_id (0, 1 none, -1 error). */
int	account_find(const char *state_dir, const char *server_id,
	    struct account **out, char **err);
/* A new, empty, unsaved account for server_id; NULL on failure. */
struct account *account_new(const char *state_dir, const char *server_id);
void	account_free(struct account *a);

/* The AccountIDs in the state dir, sorted. 0 or -1 with *err. */
int	account_list(const char *state_dir, char ***ids, size_t *n,
	    char **err);
void	account_list_free(char **ids, size_t n);

/* The value of key, or NULL; *len (may be NULL) gets its length. */
const char *account_get(const struct account *a, const char *key,
	    size_t *len);
/* Sets key (a copy of len bytes). 0 or -1. */
int	account_set(struct account *a, const char *key, const void *val,
	    size_t len);
int	account_set_str(struct account *a, const char *key, const char *val);
/* Removes key and every key below it ("AppAuth" removes AppAuth/...). */
void	account_unset(struct account *a, const char *key);
/* Saves atomically. 0 or -1 with *err. */
int	account_save(struct account *a, char **err);
/* Removes the account's files. 0 or -1 with *err. */
int	account_remove(const char *state_dir, const char *id, char **err);

#endif
