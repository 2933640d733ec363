/*
 * lua_account: the DM accounts (account.h) as seen from Lua, for the DMAcc
 * CSP and for administrators' scripts. Adds to the global `dm` table:
 *
 *   dm.accounts()                  -> { AccountID, ... } sorted | nil, err
 *   dm.account_server_id(id)       -> ServerID | nil [, err]
 *   dm.account_get(id, key)        -> value | nil [, err]
 *   dm.account_keys(id)            -> { key, ... } sorted | nil [, err]
 *   dm.account_set(id, key, value) -> true | nil, err
 *   dm.account_unset(id, key)      -> true | nil, err
 *
 * Every call reads the account afresh from its map file, and set/unset
 * save it at once (crash-safe, store.h), so the session and the CSP never
 * see stale copies. Keys and their rules are those of account.h (a key
 * ending in "/" marks an interior node); set refuses ServerID and keys
 * that clash with the others. An unknown or malformed id gives nil (with
 * no error message); a corrupt file gives nil, err.
 */
#ifndef LUADM_LUA_ACCOUNT_H
#define LUADM_LUA_ACCOUNT_H

#include <lua.h>

/*
 * Adds the functions above to the global `dm` (creating it when missing).
 * state_dir is copied into the state. May raise (memory); call under a
 * protected call, after lua_dm_open.
 */
void	lua_account_open(lua_State *L, const char *state_dir);

#endif
