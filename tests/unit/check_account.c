/*
 * check_account.c: unit tests for core/account.c (AccountIDs computed
 * independently here with OpenSSL from hand-made UTF-16LE, invalid UTF-8,
 * load/save/list/find, key shape rules, unset of a subtree, corrupt files,
 * remove), for the dm.account_* binding of core/lua_account.c (including
 * failed allocations at every step, which must neither crash nor leak),
 * and for csp-scripts/DMAcc.lua driven directly in a Lua state
 * (tests/data/bootstrap/dmacc_csp.lua holds its assertions).
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>
#include <openssl/evp.h>

#include "account.h"
#include "b64.h"
#include "lua_account.h"
#include "lua_host.h"
#include "store.h"
#include "testutil.h"

#define FLEET_ID "0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228" \
	"ACF2392EA1327077"

/* Each test's own state directory (testutil.h). */
static const char *const tmpdir = testutil_tmpdir;

/* "0x0000800c" + upper-case hex SHA-256 of the n bytes at u16. */
static void
expected_id(const unsigned char *u16, size_t n, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	ck_assert_int_eq(EVP_Digest(u16, n, md, &mdlen, EVP_sha256(), NULL),
	    1);
	ck_assert_uint_eq(mdlen, 32);
	strcpy(out, "0x0000800c");
	for (i = 0; i < mdlen; i++)
		sprintf(out + 10 + 2 * i, "%02X", md[i]);
}

START_TEST(test_id_ascii)
{
	static const char sid[] = "TestMDMServer";
	unsigned char u16[2 * sizeof(sid)];
	char want[ACCOUNT_ID_LEN + 1], got[ACCOUNT_ID_LEN + 1];
	size_t i;

	/* UTF-16LE of ASCII: each byte followed by a zero byte */
	for (i = 0; i < strlen(sid); i++) {
		u16[2 * i] = (unsigned char)sid[i];
		u16[2 * i + 1] = 0;
	}
	expected_id(u16, 2 * strlen(sid), want);
	memset(got, 'x', sizeof(got));
	ck_assert_int_eq(account_id(sid, got), 0);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(strlen(got), ACCOUNT_ID_LEN);
	/* the value Fleet hard-codes for its ServerID "Fleet" */
	ck_assert_int_eq(account_id("Fleet", got), 0);
	ck_assert_str_eq(got, FLEET_ID);
	/* case matters */
	ck_assert_int_eq(account_id("fleet", got), 0);
	ck_assert_str_ne(got, FLEET_ID);
}
END_TEST

START_TEST(test_id_non_ascii)
{
	/* "Sü€😀": U+0053 U+00FC U+20AC U+1F600 (a surrogate pair) */
	static const char sid[] = "S\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80";
	static const unsigned char u16[] = {
		0x53, 0x00, 0xfc, 0x00, 0xac, 0x20,
		0x3d, 0xd8, 0x00, 0xde
	};
	char want[ACCOUNT_ID_LEN + 1], got[ACCOUNT_ID_LEN + 1];

	expected_id(u16, sizeof(u16), want);
	ck_assert_int_eq(account_id(sid, got), 0);
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(test_id_invalid)
{
	static const char *const bad[] = {
		"",			/* empty */
		"a\xc3",		/* truncated */
		"\xc0\xaf",		/* overlong "/" */
		"\xe0\x80\xaf",		/* overlong, 3 bytes */
		"\xed\xa0\x80",		/* a UTF-16 surrogate */
		"\xf4\x90\x80\x80",	/* over U+10FFFF */
		"\xff",
		"a\x80z",		/* lone continuation byte */
		NULL
	};
	char got[ACCOUNT_ID_LEN + 1];
	size_t i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(account_id(bad[i], got) == -1, "case %zu", i);
	ck_assert_ptr_null(account_new(tmpdir, "\xff"));
}
END_TEST

START_TEST(test_save_load)
{
	static const char bin[] = { 'a', 0, 'b', 0, (char)0xff };
	struct account *a, *b = NULL;
	char path[512], *err = NULL;
	const char *v;
	struct stat st;
	size_t len;

	a = account_new(tmpdir, "TestMDMServer");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(account_get(a, "ServerID", NULL), "TestMDMServer");
	ck_assert_int_eq(account_set_str(a, "AppAuth/CLCRED/AAuthName",
	    "bob"), 0);
	ck_assert_int_eq(account_set(a, "AppAuth/CLCRED/AAuthData", bin,
	    sizeof(bin)), 0);
	ck_assert_int_eq(account_save(a, &err), 0);
	ck_assert_ptr_null(err);
	snprintf(path, sizeof(path), "%s/accounts/%s.map", tmpdir, a->id);
	ck_assert_str_eq(a->file, path);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/accounts", tmpdir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);

	ck_assert_int_eq(account_load(tmpdir, a->id, &b, &err), 0);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->id, a->id);
	ck_assert_str_eq(account_get(b, "ServerID", NULL), "TestMDMServer");
	ck_assert_str_eq(account_get(b, "AppAuth/CLCRED/AAuthName", &len),
	    "bob");
	ck_assert_uint_eq(len, 3);
	v = account_get(b, "AppAuth/CLCRED/AAuthData", &len);
	ck_assert_uint_eq(len, sizeof(bin));
	ck_assert_mem_eq(v, bin, sizeof(bin));
	ck_assert_ptr_null(account_get(b, "Nope", NULL));
	account_free(b);

	/* missing and malformed ids are "none", never a path */
	ck_assert_int_eq(account_load(tmpdir, FLEET_ID, &b, &err), 1);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(account_load(tmpdir, "../../etc/passwd", &b, &err),
	    1);
	ck_assert_int_eq(account_load(tmpdir, "0x0000800cabf8ca7d87c0fa21bb2"
	    "1b896ae2c8468ca07710326415228acf2392ea1327077", &b, &err), 1);
	account_free(a);
	account_free(NULL);
}
END_TEST

/* Makes and saves an account for server_id; returns its id in id. */
static void
make_account(const char *server_id, char *id)
{
	struct account *a;
	char *err = NULL;

	a = account_new(tmpdir, server_id);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(account_set_str(a, "AppID", "w7"), 0);
	ck_assert_int_eq(account_save(a, &err), 0);
	strcpy(id, a->id);
	account_free(a);
}

/* Creates an empty file tmpdir/accounts/name. */
static void
touch(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/accounts/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
}

START_TEST(test_list_find)
{
	char ids[3][ACCOUNT_ID_LEN + 1], name[128], **v, *err = NULL;
	struct account *a;
	size_t n, i, j;

	/* no accounts directory: none, not an error */
	ck_assert_int_eq(account_list(tmpdir, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(account_find(tmpdir, "A", &a, &err), 1);

	make_account("server-b", ids[0]);
	make_account("server-a", ids[1]);
	make_account("Fleet", ids[2]);
	/* what is not <AccountID>.map is not an account */
	touch("notes.map");
	snprintf(name, sizeof(name), "%s.ca.pem", ids[0]);
	touch(name);
	snprintf(name, sizeof(name), "%s.map.tmp", ids[0]);
	touch(name);
	touch("0x0000800cabf8ca7d87c0fa21bb21b896ae2c8468ca07710326415228acf"
	    "2392ea1327077.map");

	ck_assert_int_eq(account_list(tmpdir, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i + 1 < n; i++)
		ck_assert_int_lt(strcmp(v[i], v[i + 1]), 0);
	for (j = 0; j < 3; j++) {
		for (i = 0; i < n; i++)
			if (strcmp(v[i], ids[j]) == 0)
				break;
		ck_assert_msg(i < n, "%s not listed", ids[j]);
	}
	account_list_free(v, n);
	account_list_free(NULL, 0);

	ck_assert_int_eq(account_find(tmpdir, "server-a", &a, &err), 0);
	ck_assert_str_eq(a->id, ids[1]);
	ck_assert_str_eq(account_get(a, "ServerID", NULL), "server-a");
	account_free(a);
	ck_assert_int_eq(account_find(tmpdir, "Fleet", &a, &err), 0);
	ck_assert_str_eq(a->id, FLEET_ID);
	account_free(a);
	ck_assert_int_eq(account_find(tmpdir, "server-c", &a, &err), 1);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(account_find(tmpdir, "\xff", &a, &err), 1);
}
END_TEST

START_TEST(test_key_rules)
{
	struct account *a;

	a = account_new(tmpdir, "S");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(account_set_str(a, "Ext/Microsoft/Role", "1"), 0);
	ck_assert_int_eq(account_set_str(a, "Name", "n"), 0);
	ck_assert_int_eq(account_set_str(a, "Ext/Foo/", ""), 0);

	errno = 0;
	ck_assert_int_eq(account_set_str(a, "", "x"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(account_set_str(a, "/Name", "x"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(account_set_str(a, "Ext//x", "x"), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* a leaf cannot have children, an interior node has no value */
	ck_assert_int_eq(account_set_str(a, "Ext", "x"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(account_set_str(a, "Ext/Microsoft", "x"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(account_set_str(a, "Ext/Foo", "x"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(account_set_str(a, "Name/x", "x"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(account_set_str(a, "Name/", ""), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(account_set_str(a, "Ext/Microsoft/Role/x", "x"),
	    -1);
	ck_assert_int_eq(errno, EEXIST);
	/* below a marker is fine; a sibling sharing a prefix is not below */
	ck_assert_int_eq(account_set_str(a, "Ext/Foo/Bar", "1"), 0);
	ck_assert_int_eq(account_set_str(a, "NameX", "1"), 0);
	ck_assert_int_eq(account_set_str(a, "Ext/Microsoft/Role", "2"), 0);
	ck_assert_str_eq(account_get(a, "Ext/Microsoft/Role", NULL), "2");
	/* the ServerID is the account's identity */
	ck_assert_int_eq(account_set_str(a, "ServerID", "T"), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(account_set_str(a, "ServerID", "S"), 0);
	account_unset(a, "ServerID");
	ck_assert_str_eq(account_get(a, "ServerID", NULL), "S");
	account_free(a);
}
END_TEST

START_TEST(test_unset_subtree)
{
	struct account *a, *b;
	char *err = NULL;

	a = account_new(tmpdir, "S");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(account_set_str(a, "AppAuth/CLCRED/AAuthName", "u"),
	    0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/SRVCRED/AAuthType", "D"),
	    0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/X/", ""), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuthX", "keep"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAddr/1/Addr", "keep"), 0);
	account_unset(a, "AppAuth/SRVCRED");
	ck_assert_ptr_null(account_get(a, "AppAuth/SRVCRED/AAuthType", NULL));
	ck_assert_ptr_nonnull(account_get(a, "AppAuth/CLCRED/AAuthName",
	    NULL));
	account_unset(a, "AppAuth");
	ck_assert_ptr_null(account_get(a, "AppAuth/CLCRED/AAuthName", NULL));
	ck_assert_ptr_null(account_get(a, "AppAuth/X/", NULL));
	ck_assert_str_eq(account_get(a, "AppAuthX", NULL), "keep");
	ck_assert_str_eq(account_get(a, "AppAddr/1/Addr", NULL), "keep");
	account_unset(a, "Nope");
	ck_assert_uint_eq(a->map.n, 3);	/* ServerID, AppAuthX, Addr */
	ck_assert_int_eq(account_save(a, &err), 0);
	ck_assert_int_eq(account_load(tmpdir, a->id, &b, &err), 0);
	ck_assert_uint_eq(b->map.n, 3);
	account_free(b);
	account_free(a);
}
END_TEST

START_TEST(test_corrupt)
{
	struct store_map m = { 0 };
	struct account *a = NULL;
	char id[ACCOUNT_ID_LEN + 1], other[ACCOUNT_ID_LEN + 1];
	char path[512], *err = NULL;

	/* a map whose ServerID does not give its file name */
	ck_assert_int_eq(account_id("A", id), 0);
	ck_assert_int_eq(account_id("B", other), 0);
	ck_assert_int_eq(store_map_set(&m, "ServerID", 8, "B", 1), 0);
	snprintf(path, sizeof(path), "%s/accounts", tmpdir);
	ck_assert_int_eq(store_mkdirs(path, NULL), 0);
	snprintf(path, sizeof(path), "%s/accounts/%s.map", tmpdir, id);
	ck_assert_int_eq(store_map_save(path, &m, NULL), 0);
	store_map_free(&m);
	ck_assert_int_eq(account_load(tmpdir, id, &a, &err), -1);
	ck_assert_ptr_null(a);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	ck_assert_ptr_nonnull(strstr(err, id));
	free(err);
	err = NULL;
	ck_assert_int_eq(account_find(tmpdir, "A", &a, &err), -1);
	free(err);
	err = NULL;

	/* a damaged file */
	ck_assert_int_eq(store_write_atomic(path, "LUADM-MAP 1\ngarbage", 20,
	    NULL), 0);
	ck_assert_int_eq(account_load(tmpdir, id, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "corrupt"));
	free(err);
}
END_TEST

START_TEST(test_remove)
{
	static const char *const sfx[] = {
		".map", ".ca.pem", ".cert.pem", ".key.pem"
	};
	char id[ACCOUNT_ID_LEN + 1], name[128], path[512], *err = NULL;
	struct account *a;
	struct stat st;
	size_t i;

	make_account("S", id);
	for (i = 1; i < 4; i++) {
		snprintf(name, sizeof(name), "%s%s", id, sfx[i]);
		touch(name);
	}
	ck_assert_int_eq(account_remove(tmpdir, id, &err), 0);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/accounts/%s%s", tmpdir, id,
		    sfx[i]);
		ck_assert_int_eq(stat(path, &st), -1);
	}
	ck_assert_int_eq(account_load(tmpdir, id, &a, &err), 1);
	/* again: nothing to do */
	ck_assert_int_eq(account_remove(tmpdir, id, &err), 0);
	ck_assert_int_eq(account_remove(tmpdir, "../x", &err), -1);
	ck_assert_ptr_nonnull(err);
	free(err);
}
END_TEST

/* ---- the Lua binding ---- */

/* Runs chunk (text) in L with args already pushed; fails the test on error. */
static void
run_lua(lua_State *L, const char *chunk, const char *name, int nargs)
{
	int rc;

	rc = luaL_loadbufferx(L, chunk, strlen(chunk), name, "t");
	ck_assert_msg(rc == LUA_OK, "%s", lua_tostring(L, -1));
	lua_insert(L, -1 - nargs);
	rc = lua_pcall(L, nargs, 0, 0);
	ck_assert_msg(rc == LUA_OK, "%s", lua_tostring(L, -1));
}

static const char binding_chunk[] =
    "local S, OTHER = ...\n"
    "local ids = assert(dm.accounts())\n"
    "assert(#ids == 2 and ids[1] < ids[2])\n"
    "local id\n"
    "for _, i in ipairs(ids) do\n"
    "  if dm.account_server_id(i) == S then id = i end\n"
    "end\n"
    "assert(id)\n"
    "assert(dm.account_get(id, 'AppID') == 'w7')\n"
    "assert(dm.account_get(id, 'Nope') == nil)\n"
    "assert(dm.account_get('bogus', 'AppID') == nil)\n"
    "assert(dm.account_server_id('../../x') == nil)\n"
    "assert(dm.account_set(id, 'Ext/Microsoft/Role', 'x\\0y'))\n"
    "assert(dm.account_get(id, 'Ext/Microsoft/Role') == 'x\\0y')\n"
    "assert(dm.account_set(id, 'AppAuth/CLCRED/AAuthName', 'u'))\n"
    "local k = dm.account_keys(id)\n"
    "assert(table.concat(k, ',') == 'AppAuth/CLCRED/AAuthName,AppID,'\n"
    "  .. 'Ext/Microsoft/Role,ServerID', table.concat(k, ','))\n"
    "local ok, err = dm.account_set(id, 'AppID/x', '1')\n"
    "assert(ok == nil and err:find('clashes'), err)\n"
    "ok, err = dm.account_set(id, 'a//b', '1')\n"
    "assert(ok == nil and err:find('malformed'), err)\n"
    "ok, err = dm.account_set(id, 'ServerID', 'other')\n"
    "assert(ok == nil and err:find('cannot change'), err)\n"
    "ok, err = dm.account_unset(id, 'ServerID')\n"
    "assert(ok == nil and err:find('cannot be removed'), err)\n"
    "ok, err = dm.account_set('0x0000800c' .. string.rep('A', 64), 'a', "
    "'b')\n"
    "assert(ok == nil and err:find('no such account'), err)\n"
    "assert(dm.account_unset(id, 'Ext'))\n"
    "assert(dm.account_get(id, 'Ext/Microsoft/Role') == nil)\n"
    "assert(dm.account_get(id, 'AppAuth/CLCRED/AAuthName') == 'u')\n"
    "assert(not pcall(dm.account_get, id))\n"
    "assert(not pcall(dm.account_set, id, 'a\\0b', 'v'))\n";

START_TEST(test_lua_binding)
{
	struct account *a;
	char id[ACCOUNT_ID_LEN + 1], other[ACCOUNT_ID_LEN + 1], *err = NULL;
	lua_State *L;

	make_account("TestMDMServer", id);
	make_account("Other", other);
	L = luaL_newstate();
	ck_assert_ptr_nonnull(L);
	luaL_openlibs(L);
	/* without a dm table, one is made */
	lua_account_open(L, tmpdir);
	lua_pushstring(L, "TestMDMServer");
	lua_pushstring(L, other);
	run_lua(L, binding_chunk, "=binding", 2);
	ck_assert_int_eq(lua_gettop(L), 0);
	lua_close(L);
	/* the changes are on disk */
	ck_assert_int_eq(account_load(tmpdir, id, &a, &err), 0);
	ck_assert_str_eq(account_get(a, "AppAuth/CLCRED/AAuthName", NULL),
	    "u");
	ck_assert_ptr_null(account_get(a, "Ext/Microsoft/Role", NULL));
	account_free(a);

	/* with a dm table, it is extended, not replaced */
	L = luaL_newstate();
	luaL_openlibs(L);
	ck_assert_int_eq(luaL_dostring(L, "dm = { version = 'v' }"), LUA_OK);
	lua_account_open(L, tmpdir);
	ck_assert_int_eq(luaL_dostring(L, "assert(dm.version == 'v' and "
	    "type(dm.account_get) == 'function')"), LUA_OK);
	lua_close(L);
}
END_TEST

/* Body run under lua_host_pcall with failing allocations. */
static const char oom_chunk[] =
    "local ids = dm.accounts()\n"
    "for _, id in ipairs(ids or {}) do\n"
    "  dm.account_keys(id)\n"
    "  dm.account_get(id, 'AppID')\n"
    "  dm.account_server_id(id)\n"
    "  dm.account_set(id, 'Name', string.rep('n', 100))\n"
    "  dm.account_unset(id, 'Name')\n"
    "end\n";

START_TEST(test_lua_binding_oom)
{
	char id[ACCOUNT_ID_LEN + 1];
	struct lua_host *h;
	unsigned long n;
	lua_State *L;
	int failed = 0, rc;

	make_account("A", id);
	make_account("B", id);
	make_account("C", id);
	/* every allocation of the run fails once, in turn */
	for (n = 1; n < 400; n++) {
		h = lua_host_new(0);
		ck_assert_ptr_nonnull(h);
		ck_assert_int_eq(lua_host_openlibs(h), 0);
		L = lua_host_state(h);
		lua_account_open(L, tmpdir);
		ck_assert_int_eq(luaL_loadstring(L, oom_chunk), LUA_OK);
		lua_host_fail_alloc_after(h, n);
		rc = lua_host_pcall(h, 0, 0, 0, NULL, NULL);
		if (rc != 0)
			failed++;
		lua_host_fail_alloc_after(h, 0);
		lua_host_free(h);
	}
	/* some runs did fail (the switch works) and none crashed or leaked */
	ck_assert_int_gt(failed, 0);
}
END_TEST

/* ---- the DMAcc CSP, in a bare Lua state ---- */

static int
l_test_b64decode(lua_State *L)
{
	size_t len, olen;
	const char *s = luaL_checklstring(L, 1, &len);
	unsigned char *p;

	p = b64_decode(s, len, &olen);
	if (p == NULL) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushlstring(L, (char *)p, olen);
	free(p);
	return 1;
}

START_TEST(test_dmacc_csp)
{
	struct account *a;
	char id[ACCOUNT_ID_LEN + 1], other[ACCOUNT_ID_LEN + 1];
	char *err = NULL, *chunk = NULL;
	size_t len;
	lua_State *L;

	a = account_new(tmpdir, "TestMDMServer");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(account_set_str(a, "AppID", "w7"), 0);
	ck_assert_int_eq(account_set_str(a, "Name", "Test"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAddr/1/Addr",
	    "https://mdm.example/omadm"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAddr/1/AddrType", "URI"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/CLCRED/AAuthLevel",
	    "CLCRED"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/CLCRED/AAuthType",
	    "BASIC"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/CLCRED/AAuthSecret",
	    "s3cret"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/SRVCRED/AAuthLevel",
	    "SRVCRED"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/SRVCRED/AAuthType",
	    "DIGEST"), 0);
	ck_assert_int_eq(account_set_str(a, "Ext/Microsoft/ConnRetryFreq",
	    "6"), 0);
	ck_assert_int_eq(account_set_str(a, "Ext/luadm/SessionCounter", "4"),
	    0);
	ck_assert_int_eq(account_save(a, &err), 0);
	strcpy(id, a->id);
	account_free(a);
	make_account("Other", other);

	L = luaL_newstate();
	ck_assert_ptr_nonnull(L);
	luaL_openlibs(L);
	lua_newtable(L);
	lua_pushcfunction(L, l_test_b64decode);
	lua_setfield(L, -2, "b64decode");
	lua_setglobal(L, "dm");
	lua_account_open(L, tmpdir);
	ck_assert_msg(luaL_loadfilex(L, LUADM_SOURCE_DIR
	    "/csp-scripts/DMAcc.lua", "t") == LUA_OK, "%s",
	    lua_tostring(L, -1));
	ck_assert_msg(lua_pcall(L, 0, 1, 0) == LUA_OK, "%s",
	    lua_tostring(L, -1));
	ck_assert_int_eq(store_read(LUADM_TEST_DATA "/bootstrap/dmacc_csp.lua",
	    1 << 20, &chunk, &len, NULL), 0);
	lua_pushstring(L, id);
	lua_pushstring(L, other);
	/* stack: csp, id, other */
	run_lua(L, chunk, "@dmacc_csp.lua", 3);
	free(chunk);
	lua_close(L);

	/* what the script left on disk */
	ck_assert_int_eq(account_load(tmpdir, id, &a, &err), 0);
	ck_assert_str_eq(account_get(a, "AppAuth/CLCRED/AAuthName", NULL),
	    "fleet-user");
	ck_assert_str_eq(account_get(a, "Name", NULL), "Test");
	account_free(a);
}
END_TEST

static Suite *
account_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("account");
	tc = tcase_create("id");
	tcase_add_test(tc, test_id_ascii);
	tcase_add_test(tc, test_id_non_ascii);
	testutil_fixtures(tc, NULL);
	tcase_add_test(tc, test_id_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	testutil_fixtures(tc, NULL);
	tcase_add_test(tc, test_save_load);
	tcase_add_test(tc, test_list_find);
	tcase_add_test(tc, test_key_rules);
	tcase_add_test(tc, test_unset_subtree);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_remove);
	suite_add_tcase(s, tc);

	tc = tcase_create("lua");
	tcase_set_timeout(tc, 120);
	testutil_fixtures(tc, NULL);
	tcase_add_test(tc, test_lua_binding);
	tcase_add_test(tc, test_lua_binding_oom);
	tcase_add_test(tc, test_dmacc_csp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(account_suite());
}
