/*
 * lua_account.c: dm.account_* (see lua_account.h).
 *
 * The state directory travels as upvalue 1 of every function. Whatever C
 * memory a call acquires (a loaded account, a list of ids, an error
 * message) is held by a guard userdata pushed before it is acquired, so
 * that a Lua error raised while pushing the results (out of memory) cannot
 * leak it: the guard's __gc releases whatever it still holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "account.h"
#include "lua_account.h"

#define ACCT_GUARD_MT	"luadm.AccountGuard"

struct acct_guard {
	struct account	*a;
	char		**ids;
	size_t		 nids;
	char		*err;
};

static void
acct_guard_release(struct acct_guard *g)
{
	account_free(g->a);
	g->a = NULL;
	account_list_free(g->ids, g->nids);
	g->ids = NULL;
	g->nids = 0;
	free(g->err);
	g->err = NULL;
}

static int
acct_guard_gc(lua_State *L)
{
	acct_guard_release(luaL_checkudata(L, 1, ACCT_GUARD_MT));
	return 0;
}

/* Pushes a new, empty guard. May raise. */
static struct acct_guard *
acct_guard_push(lua_State *L)
{
	struct acct_guard *g;

	g = lua_newuserdatauv(L, sizeof(*g), 0);
	memset(g, 0, sizeof(*g));
	luaL_setmetatable(L, ACCT_GUARD_MT);
	return g;
}

static const char *
state_dir(lua_State *L)
{
	return lua_tostring(L, lua_upvalueindex(1));
}

/* return nil, msg (msg may be NULL: "out of memory"). May raise. */
static int
push_fail(lua_State *L, const char *msg)
{
	lua_pushnil(L);
	lua_pushstring(L, msg != NULL ? msg : "out of memory");
	return 2;
}

/*
 * Loads account id into g->a. Returns 0, or the number of results pushed
 * (nil for no such account, nil + err for a failure). May raise.
 */
static int
load(lua_State *L, struct acct_guard *g, const char *id)
{
	int rc;

	rc = account_load(state_dir(L), id, &g->a, &g->err);
	if (rc == 0)
		return 0;
	if (rc == 1) {
		lua_pushnil(L);
		return 1;
	}
	return push_fail(L, g->err);
}

/* dm.accounts() -> { id, ... } | nil, err. May raise. */
static int
l_accounts(lua_State *L)
{
	struct acct_guard *g = acct_guard_push(L);
	size_t i;

	if (account_list(state_dir(L), &g->ids, &g->nids, &g->err) != 0)
		return push_fail(L, g->err);
	lua_createtable(L, (int)(g->nids < 100000 ? g->nids : 0), 0);
	for (i = 0; i < g->nids; i++) {
		lua_pushstring(L, g->ids[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	acct_guard_release(g);
	return 1;
}

/* dm.account_server_id(id) -> ServerID | nil [, err]. May raise. */
static int
l_account_server_id(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	struct acct_guard *g = acct_guard_push(L);
	const char *v;
	size_t len;
	int n;

	n = load(L, g, id);
	if (n != 0)
		return n;
	v = account_get(g->a, "ServerID", &len);
	if (v == NULL)
		lua_pushnil(L);
	else
		lua_pushlstring(L, v, len);
	return 1;
}

/* dm.account_get(id, key) -> value | nil [, err]. May raise. */
static int
l_account_get(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	const char *key = luaL_checkstring(L, 2);
	struct acct_guard *g = acct_guard_push(L);
	const char *v;
	size_t len;
	int n;

	n = load(L, g, id);
	if (n != 0)
		return n;
	v = account_get(g->a, key, &len);
	if (v == NULL)
		lua_pushnil(L);
	else
		lua_pushlstring(L, v, len);
	return 1;
}

/* dm.account_keys(id) -> { key, ... } | nil [, err]. May raise. */
static int
l_account_keys(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	struct acct_guard *g = acct_guard_push(L);
	size_t i;
	int n;

	n = load(L, g, id);
	if (n != 0)
		return n;
	/* the map is sorted by memcmp order already */
	lua_createtable(L, (int)(g->a->map.n < 100000 ? g->a->map.n : 0), 0);
	for (i = 0; i < g->a->map.n; i++) {
		lua_pushlstring(L, g->a->map.e[i].key, g->a->map.e[i].klen);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* Loads id for a change; on failure pushes nil, err and returns 2. */
static int
load_for_change(lua_State *L, struct acct_guard *g, const char *id)
{
	int n;

	n = load(L, g, id);
	if (n == 1) {
		lua_pushfstring(L, "%s: no such account", id);
		return 2;
	}
	return n;
}

/* dm.account_set(id, key, value) -> true | nil, err. May raise. */
static int
l_account_set(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	size_t klen, vlen;
	const char *key = luaL_checklstring(L, 2, &klen);
	const char *val = luaL_checklstring(L, 3, &vlen);
	struct acct_guard *g = acct_guard_push(L);
	int n;

	luaL_argcheck(L, strlen(key) == klen, 2, "key must not hold NUL");
	n = load_for_change(L, g, id);
	if (n != 0)
		return n;
	if (account_set(g->a, key, val, vlen) != 0) {
		switch (errno) {
		case EINVAL:
			return push_fail(L, lua_pushfstring(L, "%s: malformed "
			    "key \"%s\"", id, key));
		case EEXIST:
			return push_fail(L, lua_pushfstring(L, "%s: key \"%s\" "
			    "clashes with the account's other keys (a leaf "
			    "cannot have children)", id, key));
		case EPERM:
			return push_fail(L, lua_pushfstring(L, "%s: the "
			    "ServerID of an account cannot change", id));
		default:
			return push_fail(L, NULL);
		}
	}
	if (account_save(g->a, &g->err) != 0)
		return push_fail(L, g->err);
	acct_guard_release(g);
	lua_pushboolean(L, 1);
	return 1;
}

/* dm.account_unset(id, key) -> true | nil, err. May raise. */
static int
l_account_unset(lua_State *L)
{
	const char *id = luaL_checkstring(L, 1);
	size_t klen;
	const char *key = luaL_checklstring(L, 2, &klen);
	struct acct_guard *g = acct_guard_push(L);
	int n;

	luaL_argcheck(L, strlen(key) == klen, 2, "key must not hold NUL");
	n = load_for_change(L, g, id);
	if (n != 0)
		return n;
	if (strcmp(key, "ServerID") == 0)
		return push_fail(L, lua_pushfstring(L, "%s: the ServerID of "
		    "an account cannot be removed", id));
	account_unset(g->a, key);
	if (account_save(g->a, &g->err) != 0)
		return push_fail(L, g->err);
	acct_guard_release(g);
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg account_funcs[] = {
	{ "accounts", l_accounts },
	{ "account_server_id", l_account_server_id },
	{ "account_get", l_account_get },
	{ "account_keys", l_account_keys },
	{ "account_set", l_account_set },
	{ "account_unset", l_account_unset },
	{ NULL, NULL }
};

void
lua_account_open(lua_State *L, const char *dir)
{
	if (luaL_newmetatable(L, ACCT_GUARD_MT)) {
		lua_pushcfunction(L, acct_guard_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, acct_guard_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);	/* pop mt */
	/* raw access: strict globals must not raise for a missing dm */
	lua_pushglobaltable(L);
	lua_pushliteral(L, "dm");
	if (lua_rawget(L, -2) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushliteral(L, "dm");
		lua_pushvalue(L, -2);
		lua_rawset(L, -4);	/* _G.dm = the new table */
	}
	/* stack: _G, dm */
	lua_pushstring(L, dir);
	luaL_setfuncs(L, account_funcs, 1);
	lua_pop(L, 2);	/* pop dm, _G */
}
