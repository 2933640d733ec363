/*
 * lua_dm: the `dm` table every CSP state gets — the C helpers CSP scripts
 * use to reach the machine safely: files under the configured system root
 * (read with a cap, write atomically), programs by argv through the
 * configured runner with a timeout, logging, hashing and base64, URI
 * escaping, and the crash-safe per-CSP state files behind the SDK's node
 * store. docs/csp-guide.md is the reference for script authors.
 */
#ifndef LUADM_LUA_DM_H
#define LUADM_LUA_DM_H

#include <lua.h>

struct config;

/*
 * Installs the global `dm` in L for the CSP named csp_name. cfg must
 * outlive the state. May raise (memory); call under a protected call.
 */
void	lua_dm_open(lua_State *L, const struct config *cfg,
	    const char *csp_name);

/*
 * Pushes a luadm.Blob for the value held in the file at path (not under
 * the system root: it is the core's own file). May raise.
 */
void	lua_dm_push_blob(lua_State *L, const char *path);

/* 1 when the value at idx is a luadm.Blob. Does not raise. */
int	lua_dm_is_blob(lua_State *L, int idx);

/*
 * Takes the file of the luadm.Blob at idx for a get's value: *fd gets
 * the descriptor dm.blob_file opened (the Blob gives it up; it still has
 * its path) or a new read-only one of its path (-1 with errno when it
 * cannot be opened); the caller closes it. *path is the Blob's path,
 * valid while the Blob is alive. Does not raise.
 */
void	lua_dm_blob_take(lua_State *L, int idx, int *fd, const char **path);

/* The configuration the dm API of L uses. */
const struct config *lua_dm_config(lua_State *L);

/* Points the dm API of L at another configuration (after a reload). */
void	lua_dm_rebind(lua_State *L, const struct config *cfg);

/* Pushes a ctx.log-style function: log(ctx_or_nil, level, message). */
void	lua_dm_push_logfn(lua_State *L);

#endif
