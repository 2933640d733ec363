/*
 * lua_host: one Lua state with limits. Owns the lua_State, its memory budget
 * (an allocator that refuses to grow past the cap, with a "fail the next
 * allocation" switch for tests), the per-call deadline enforced by a count
 * hook, and the one protected call every CSP call goes through
 * (lua_host_pcall: traceback handler, errors mapped to DM statuses).
 * Also installs the embedded SDK (package.preload) and strict globals.
 */
#ifndef LUADM_LUA_HOST_H
#define LUADM_LUA_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

struct lua_host;

/* A new state capped at mem_max bytes (0 = no cap). NULL on failure. */
struct lua_host *lua_host_new(size_t mem_max);
void	lua_host_free(struct lua_host *h);
lua_State *lua_host_state(struct lua_host *h);
/* Bytes the state holds now. */
size_t	lua_host_mem_used(const struct lua_host *h);
/* The deadline (CLOCK_MONOTONIC ms) of the call running in L, 0 = none:
 * C helpers that block (dm.run) must not wait past it. */
uint64_t lua_host_deadline(lua_State *L);
/* Tests: make allocation number n from now fail (0 = off). */
void	lua_host_fail_alloc_after(struct lua_host *h, unsigned long n);

/*
 * Opens the standard libraries less debug, dofile and loadfile; makes load
 * refuse bytecode; installs the embedded SDK modules as package.preload
 * loaders. 0 or -1.
 */
int	lua_host_openlibs(struct lua_host *h);
/* Makes reading an undefined global raise "undefined global 'x'". */
void	lua_host_strict_globals(struct lua_host *h);

/*
 * Calls the function below nargs arguments on the stack, like lua_pcall,
 * with a traceback handler and a deadline of timeout_ms (0 = none).
 * Returns 0 on success with nres results pushed. On failure pushes nothing
 * and returns a DM status: the `status` field of a raised table
 * ({status = 404, message = "..."}), else 500; *msg (when not NULL) gets a
 * malloc'd reason: the table's message, "out of memory (limit N MiB)",
 * "time limit of N ms exceeded", or the error text with its traceback.
 * *raised_status (when not NULL) is 1 when the status came from a table.
 */
int	lua_host_pcall(struct lua_host *h, int nargs, int nres,
	    unsigned timeout_ms, char **msg, int *raised_status);

#endif
