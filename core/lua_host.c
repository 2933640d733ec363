/*
 * lua_host.c: a Lua state with a memory budget and a deadline. See
 * lua_host.h. Modelled on lua.c's docall (message handler), haproxy's
 * capped allocator and Redis's count hook that re-arms itself so a script's
 * own pcall cannot swallow the timeout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "dm_status.h"
#include "lua_host.h"
#include "sdk_embedded.h"
#include "util.h"

#define HOOK_COUNT	10000	/* instructions between deadline checks */

/*
 * Small blocks (strings, tables, closures: most of what a CSP call
 * allocates and drops) are recycled through free lists of 16-byte size
 * classes instead of going back to malloc each time. A block of class k
 * is always at least (k + 1) * SMALL_STEP bytes long. A collection frees
 * its garbage in one burst, so the lists hold up to SMALL_CACHE bytes
 * (past that, blocks go back to malloc); they are the host's and freed
 * with it. The budget counts what Lua asked for, as before.
 */
#define SMALL_STEP	16
#define SMALL_CLASSES	16	/* blocks up to 256 bytes */
#define SMALL_CACHE	(1024 * 1024)

struct small_block {
	struct small_block *next;
};

struct lua_host {
	lua_State	*L;
	size_t		 used;		/* bytes allocated now */
	size_t		 max;		/* cap, 0 = none */
	unsigned long	 fail_after;	/* tests: fail this allocation */
	int		 failing;	/* tests: failing until the call ends
					   (Lua retries once after a GC) */
	uint64_t	 deadline;	/* ms, 0 = none */
	int		 timed_out;
	struct small_block *small[SMALL_CLASSES];	/* free blocks */
	size_t		 small_bytes;	/* in the lists */
};

/* The registry key under which the host pointer is kept. */
static const char host_key = 'h';

/* The size class of an n-byte block (n > 0), or -1 when it is large. */
static int
small_class(size_t n)
{
	return n <= SMALL_STEP * SMALL_CLASSES ? (int)((n - 1) / SMALL_STEP) :
	    -1;
}

/* A block of class k: recycled, or new. NULL when memory runs out. */
static void *
small_get(struct lua_host *h, int k)
{
	struct small_block *b = h->small[k];

	if (b == NULL)
		return malloc((size_t)(k + 1) * SMALL_STEP);
	h->small[k] = b->next;
	h->small_bytes -= (size_t)(k + 1) * SMALL_STEP;
	return b;
}

/* Takes back a block of class k. */
static void
small_put(struct lua_host *h, void *p, int k)
{
	struct small_block *b = p;

	if (h->small_bytes >= SMALL_CACHE) {
		free(p);
		return;
	}
	b->next = h->small[k];
	h->small[k] = b;
	h->small_bytes += (size_t)(k + 1) * SMALL_STEP;
}

/* Gives back a block of osize bytes (the size Lua gave it). */
static void
block_free(struct lua_host *h, void *p, size_t osize)
{
	int k = small_class(osize);

	if (k >= 0)
		small_put(h, p, k);
	else
		free(p);
}

static void *
host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lua_host *h = ud;
	void *np;
	int kn, ko;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		if (ptr != NULL)
			block_free(h, ptr, osize);
		h->used -= osize;
		return NULL;
	}
	if (h->failing || (h->fail_after > 0 && --h->fail_after == 0)) {
		h->failing = 1;
		return NULL;
	}
	if (h->max > 0 && nsize > osize && h->used + (nsize - osize) > h->max) {
		return NULL;
	}
	kn = small_class(nsize);
	ko = ptr != NULL ? small_class(osize) : -1;
	if (ptr != NULL && kn >= 0 && kn == ko)
		np = ptr;	/* the block is big enough already */
	else if (ptr != NULL && kn < 0 && ko < 0)
		np = realloc(ptr, nsize);
	else {
		np = kn >= 0 ? small_get(h, kn) : malloc(nsize);
		if (np == NULL && ptr != NULL && nsize < osize)
			np = ptr;	/* shrinking: the old block will do */
		else if (np != NULL && ptr != NULL) {
			memcpy(np, ptr, osize < nsize ? osize : nsize);
			block_free(h, ptr, osize);
		}
	}
	if (np == NULL) {
		return NULL;
	}
	h->used = h->used - osize + nsize;
	return np;
}

struct lua_host *
lua_host_new(size_t mem_max)
{
	struct lua_host *h;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->max = mem_max;
	h->L = lua_newstate(host_alloc, h);
	if (h->L == NULL) {
		free(h);
		return NULL;
	}
	/*
	 * Generational collection: a CSP keeps its state (the loaded SDK,
	 * the script's tables) for the life of the process and makes short-
	 * lived garbage on every call (ctx, the values it returns). The
	 * incremental collector would go over all of the old state once per
	 * cycle; minor collections look at the young objects only. Nothing
	 * a script sees changes (finalizers and weak tables work the same;
	 * a refused allocation still gets a full emergency collection).
	 */
	lua_gc(h->L, LUA_GCGEN, 0, 0);
	lua_pushlightuserdata(h->L, h);
	lua_rawsetp(h->L, LUA_REGISTRYINDEX, &host_key);
	return h;
}

void
lua_host_free(struct lua_host *h)
{
	struct small_block *b;
	int k;

	if (h == NULL)
		return;
	if (h->L != NULL)
		lua_close(h->L);
	for (k = 0; k < SMALL_CLASSES; k++) {
		while (h->small[k] != NULL) {
			b = h->small[k];
			h->small[k] = b->next;
			free(b);
		}
	}
	free(h);
}

lua_State *
lua_host_state(struct lua_host *h)
{
	return h->L;
}

size_t
lua_host_mem_used(const struct lua_host *h)
{
	return h->used;
}

void
lua_host_fail_alloc_after(struct lua_host *h, unsigned long n)
{
	h->fail_after = n;
	h->failing = 0;
}

/* load() that only accepts text chunks; upvalue 1 = the real load. */
static int
l_load_text(lua_State *L)
{
	int n = lua_gettop(L);

	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	if (n >= 2)
		lua_pushvalue(L, 2);
	else
		lua_pushnil(L);
	lua_pushliteral(L, "t");
	if (n >= 4) {
		lua_pushvalue(L, 4);
		lua_call(L, 4, LUA_MULTRET);
	} else
		lua_call(L, 3, LUA_MULTRET);
	return lua_gettop(L) - n;
}

static struct lua_host *host_of(lua_State *L);

/*
 * xpcall(f, msgh, ...) whose handler runs after the error has unwound (Lua's
 * own calls it inside the error machinery, where the deadline hook cannot
 * fire), and not at all once the deadline has passed: the time-limit error
 * then goes on up. The handler gets the error object and returns what
 * xpcall returns after false. No debug library, so no traceback is lost.
 */
static int
l_xpcall(lua_State *L)
{
	struct lua_host *h;
	int n = lua_gettop(L);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2);	/* stack: f, msgh, true, f, args... */
	if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK)
		return lua_gettop(L) - 2;
	h = host_of(L);
	if (h != NULL && h->timed_out)
		return lua_error(L);	/* the time limit is not catchable */
	lua_pushvalue(L, 2);
	lua_insert(L, -2);	/* stack: ..., msgh, err */
	lua_call(L, 1, 1);
	lua_pushboolean(L, 0);
	lua_insert(L, -2);
	return 2;
}

/*
 * setmetatable that refuses a metatable with __gc: Lua runs finalizers with
 * hooks off, so a finalizer could run past the time limit (or forever).
 * upvalue 1 = the real setmetatable.
 */
static int
l_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: __gc metamethods are "
			    "not allowed in CSPs (finalizers would run outside "
			    "the time limit)");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* package.preload loader of an embedded SDK module; upvalue = index. */
static int
l_sdk_loader(lua_State *L)
{
	const struct sdk_module *m;

	m = &luadm_sdk_modules[lua_tointeger(L, lua_upvalueindex(1))];
	if (luaL_loadbufferx(L, m->text, m->len, m->chunkname,
	    m->binary ? "b" : "t") != LUA_OK)
		return lua_error(L);
	lua_pushstring(L, m->name);
	lua_call(L, 1, 1);
	return 1;
}

/* Runs under lua_pcall so that memory errors while opening are caught. */
static int
host_openlibs_p(lua_State *L)
{
	lua_Integer i;

	luaL_openlibs(L);
	lua_pushnil(L);
	lua_setglobal(L, "dofile");
	lua_pushnil(L);
	lua_setglobal(L, "loadfile");
	lua_pushnil(L);
	lua_setglobal(L, "debug");
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "loaded");
	lua_pushnil(L);
	lua_setfield(L, -2, "debug");
	lua_pop(L, 1);
	lua_getglobal(L, "load");
	lua_pushcclosure(L, l_load_text, 1);
	lua_setglobal(L, "load");
	lua_pushcfunction(L, l_xpcall);
	lua_setglobal(L, "xpcall");
	lua_getglobal(L, "setmetatable");
	lua_pushcclosure(L, l_setmetatable, 1);
	lua_setglobal(L, "setmetatable");
	lua_getfield(L, -1, "preload");		/* stack: package, preload */
	for (i = 0; luadm_sdk_modules[i].name != NULL; i++) {
		lua_pushinteger(L, i);
		lua_pushcclosure(L, l_sdk_loader, 1);
		lua_setfield(L, -2, luadm_sdk_modules[i].name);
	}
	lua_pop(L, 2);
	return 0;
}

int
lua_host_openlibs(struct lua_host *h)
{
	lua_pushcfunction(h->L, host_openlibs_p);
	if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) {
		lua_pop(h->L, 1);
		return -1;
	}
	return 0;
}

static int
l_strict_index(lua_State *L)
{
	/* stack: table, key */
	if (lua_type(L, 2) == LUA_TSTRING)
		return luaL_error(L, "undefined global '%s'",
		    lua_tostring(L, 2));
	return luaL_error(L, "undefined global");
}

void
lua_host_strict_globals(struct lua_host *h)
{
	lua_State *L = h->L;

	lua_pushglobaltable(L);
	lua_newtable(L);
	lua_pushcfunction(L, l_strict_index);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_pop(L, 1);
}

static struct lua_host *
host_of(lua_State *L)
{
	struct lua_host *h;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &host_key);
	h = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return h;
}

/*
 * Count hook: raises once the deadline has passed, then re-arms itself to
 * fire on every line so that a pcall inside the script cannot swallow it.
 */
static void
host_hook(lua_State *L, lua_Debug *ar)
{
	struct lua_host *h = host_of(L);

	(void)ar;
	if (h == NULL || h->deadline == 0)
		return;
	if (!h->timed_out && util_now_ms() < h->deadline)
		return;
	h->timed_out = 1;
	lua_sethook(L, host_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
	luaL_error(L, "time limit exceeded");
}

uint64_t
lua_host_deadline(lua_State *L)
{
	struct lua_host *h = host_of(L);

	return h != NULL ? h->deadline : 0;
}

/* Message handler: keeps status tables, adds a traceback to the rest. */
static int
host_msgh(lua_State *L)
{
	const char *msg;

	if (lua_type(L, 1) == LUA_TTABLE)
		return 1;
	msg = lua_tostring(L, 1);
	if (msg == NULL) {
		if (luaL_callmeta(L, 1, "__tostring") &&
		    lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)",
		    luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* Reads {status=, message=} from the error table on top (not popped). */
static int
host_status_of_table(lua_State *L, char **msg)
{
	lua_Integer st = DM_COMMAND_FAILED;
	int isnum;

	/* raw reads: this runs outside the protected call, where a
	 * metamethod that raises would abort the process */
	lua_pushliteral(L, "status");
	lua_rawget(L, -2);
	st = lua_tointegerx(L, -1, &isnum);
	lua_pop(L, 1);
	if (!isnum || st < 100 || st > 599)
		st = DM_COMMAND_FAILED;
	if (msg != NULL) {
		lua_pushliteral(L, "message");
		lua_rawget(L, -2);
		if (lua_type(L, -1) != LUA_TSTRING) {
			lua_pop(L, 1);
			lua_pushliteral(L, "msg");
			lua_rawget(L, -2);
		}
		*msg = lua_type(L, -1) == LUA_TSTRING ?
		    strdup(lua_tostring(L, -1)) :
		    strdup(dm_status_text((int)st));
		lua_pop(L, 1);
	}
	return (int)st;
}

int
lua_host_pcall(struct lua_host *h, int nargs, int nres, unsigned timeout_ms,
    char **msg, int *raised_status)
{
	lua_State *L = h->L;
	int base, rc, status = 0;

	if (msg != NULL)
		*msg = NULL;
	if (raised_status != NULL)
		*raised_status = 0;
	base = lua_gettop(L) - nargs;		/* function index */
	lua_pushcfunction(L, host_msgh);
	lua_insert(L, base);			/* stack: msgh, fn, args */
	h->timed_out = 0;
	h->deadline = timeout_ms > 0 ? util_now_ms() + timeout_ms : 0;
	if (h->deadline != 0)
		lua_sethook(L, host_hook, LUA_MASKCOUNT, HOOK_COUNT);
	rc = lua_pcall(L, nargs, nres, base);
	h->failing = 0;
	lua_sethook(L, NULL, 0, 0);
	h->deadline = 0;
	lua_remove(L, base);			/* remove msgh */
	if (rc == LUA_OK)
		return 0;
	/* stack: error object */
	if (h->timed_out) {
		status = DM_COMMAND_FAILED;
		if (msg != NULL)
			*msg = util_asprintf("time limit of %u ms exceeded",
			    timeout_ms);
	} else if (rc == LUA_ERRMEM || (lua_type(L, -1) == LUA_TSTRING &&
	    strcmp(lua_tostring(L, -1), "not enough memory") == 0)) {
		/* (an allocation refused and rescued by the emergency
		 * collection is no error: only one that surfaced counts) */
		status = DM_COMMAND_FAILED;
		if (msg != NULL)
			*msg = util_asprintf("out of memory (limit %zu MiB)",
			    h->max / (1024 * 1024));
	} else if (lua_type(L, -1) == LUA_TTABLE) {
		status = host_status_of_table(L, msg);
		if (raised_status != NULL)
			*raised_status = 1;
	} else {
		status = dm_status_of_error(lua_tostring(L, -1),
		    DM_COMMAND_FAILED);
		if (msg != NULL)
			*msg = strdup(lua_type(L, -1) == LUA_TSTRING ?
			    lua_tostring(L, -1) : "unknown error");
	}
	lua_pop(L, 1);
	if (h->max > 0 && h->used > h->max / 2)
		lua_gc(L, LUA_GCCOLLECT);
	return status;
}
