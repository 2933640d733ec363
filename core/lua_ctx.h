/*
 * lua_ctx: the methods of the ctx a CSP verb receives that reach beyond
 * the call: ctx:alert{...} queues a generic alert (1226) for the server of
 * the session, ctx:background(argv, alert) runs a program detached and
 * queues a 1226 when it ends (asynchronous Exec: answer 202, report later
 * with the Correlator). Both use alertq.h; both need a server (a session,
 * or `luadm tree` with server_id configured).
 */
#ifndef LUADM_LUA_CTX_H
#define LUADM_LUA_CTX_H

#include <lua.h>

/*
 * Gives the ctx table at the top of L the methods alert and background
 * (through a metatable made once per state). They report to ctx.server_id;
 * without one (the local administrator) they answer nil, "no server".
 * May raise.
 */
void	lua_ctx_methods(lua_State *L);

#endif
