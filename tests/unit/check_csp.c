/*
 * check_csp.c: unit tests for the C<->Lua bridge (core/csp.c, lua_host.c,
 * lua_dm.c): every way a CSP call can fail (raise, DM status, endless
 * loop, loop hidden behind pcall, memory bomb, failed allocation) ends as
 * a status and leaves the state usable; broken scripts are refused with a
 * clear reason; the sandbox (no bytecode, strict globals, no debug); the
 * shapes of get's results and the mutators' conventions; ctx and exec's
 * arguments; the dm.* helpers. Scripts are in tests/data/csp/unit/;
 * the broken ones are written inline next to their assertions.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "config.h"
#include "csp.h"
#include "dm_status.h"
#include "lua_host.h"
#include "testutil.h"
#include "tree.h"
#include "uri.h"
#include "util.h"

#define UNIT_DIR	LUADM_TEST_DATA "/csp/unit"

/* Each test's own directory, holding root/ (the system root) and state/. */
static const char *const tmpdir = testutil_tmpdir;

static void
setup(void)
{
	char p[256];

	testutil_setup();
	snprintf(p, sizeof(p), "%s/root", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
}

/*
 * A configuration for tests: defaults, csp_path = the unit scripts,
 * state_dir and sysroot in tmpdir, the given limits. config_free() it.
 */
static struct config *
test_config(unsigned timeout_ms, size_t memory)
{
	struct config *cfg;
	char p[256];

	cfg = testutil_config(tmpdir, UNIT_DIR, NULL);
	snprintf(p, sizeof(p), "%s/root", tmpdir);
	testutil_set_str(&cfg->sysroot, p);
	cfg->limits.csp_timeout_ms = timeout_ms;
	cfg->limits.csp_memory = memory;
	cfg->limits.run_timeout_ms = 5000;
	return cfg;
}

/* Loads tests/data/csp/unit/<name>.lua, which must load fine. */
static struct csp *
load_unit(const struct config *cfg, const char *name)
{
	struct csp *c;
	char p[256];

	snprintf(p, sizeof(p), "%s/%s.lua", UNIT_DIR, name);
	c = csp_load(p, cfg);
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(csp_broken(c) == NULL, "%s broken: %s", name,
	    csp_broken(c));
	ck_assert_str_eq(csp_name(c), name);
	return c;
}

/* The 1-based line of the first line of file holding needle. */
static int
line_of(const char *file, const char *needle)
{
	char line[1024];
	FILE *f;
	int n = 0;

	f = fopen(file, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (strstr(line, needle) != NULL) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("%s: no line holds %s", file, needle);
	return -1;
}

/* Gets path from c (mount 0, no ctx); asserts status 200 and the value. */
static void
expect_get(struct csp *c, const char *path, const char *want)
{
	struct csp_value v;
	char *msg = NULL;
	int st;

	st = csp_get(c, NULL, 0, path, &v, &msg);
	ck_assert_msg(st == DM_OK, "get %s: %d %s", path, st,
	    msg != NULL ? msg : "");
	ck_assert_ptr_nonnull(v.data);
	ck_assert_str_eq(v.data, want);
	ck_assert_uint_eq(v.len, strlen(want));
	ck_assert_ptr_null(msg);
	csp_value_free(&v);
}

/* Gets path, expecting a failure: returns the status, *msg malloc'd. */
static int
get_fail(struct csp *c, const char *path, char **msg)
{
	struct csp_value v;
	int st;

	st = csp_get(c, NULL, 0, path, &v, msg);
	ck_assert_int_ne(st, DM_OK);
	/* on failure nothing is handed out */
	ck_assert_ptr_null(v.data);
	ck_assert_ptr_null(v.format);
	ck_assert_ptr_null(v.children);
	return st;
}

/* ---- failures of a call ---- */

/* How errors.lua fails for a path, and what the caller must see. */
static const struct {
	const char	*path;
	int		 status;
	const char	*msg;	/* substring of the message */
} failures[] = {
	{ "raise", DM_COMMAND_FAILED, "boom" },
	{ "status", DM_NOT_FOUND, "x" },
	{ "loop", DM_COMMAND_FAILED, "time limit" },
	{ "pcall_loop", DM_COMMAND_FAILED, "time limit" },
	{ "coroutine_loop", DM_COMMAND_FAILED, "time limit" },
	{ "bomb", DM_COMMAND_FAILED, "out of memory" },
};

START_TEST(test_failure_leaves_state_usable)
{
	struct config *cfg = test_config(200, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "errors");
	struct csp *other = load_unit(cfg, "other");
	struct csp_value in = { .data = "kept", .len = 4, .format = "chr" };
	char *msg = NULL, want[64];
	uint64_t t0, elapsed;
	int st, round;

	ck_assert_int_eq(csp_replace(c, NULL, 0, "stored", &in, NULL), DM_OK);
	for (round = 0; round < 2; round++) {
		t0 = util_now_ms();
		st = get_fail(c, failures[_i].path, &msg);
		elapsed = util_now_ms() - t0;
		ck_assert_int_eq(st, failures[_i].status);
		ck_assert_ptr_nonnull(msg);
		ck_assert_msg(strstr(msg, failures[_i].msg) != NULL,
		    "%s: message \"%s\" lacks \"%s\"", failures[_i].path, msg,
		    failures[_i].msg);
		if (strcmp(failures[_i].path, "status") == 0)
			ck_assert_str_eq(msg, "x");
		if (strcmp(failures[_i].path, "raise") == 0) {
			/* "<file>:<line>:" of the error() call */
			snprintf(want, sizeof(want), "errors.lua:%d:",
			    line_of(UNIT_DIR "/errors.lua", "error(\"boom\")"));
			ck_assert_msg(strstr(msg, want) != NULL,
			    "\"%s\" lacks \"%s\"", msg, want);
		}
		/* stopped by the limit, not by the test's own timeout */
		ck_assert_msg(elapsed < 5000, "%s took %llu ms",
		    failures[_i].path, (unsigned long long)elapsed);
		free(msg);
		msg = NULL;

		/* the same state still answers, with its data intact */
		expect_get(c, "ok", "fine");
		expect_get(c, "stored", "kept");
		/* and a second CSP never noticed */
		expect_get(other, "x", "other:x");
	}
	csp_free(c);
	csp_free(other);
	config_free(cfg);
}
END_TEST

/*
 * Lua runs some Lua code with hooks off, where the time limit cannot
 * reach: a message handler called for the hook's own error, and __gc
 * finalizers. A CSP must not be able to hang luadm through them: the call
 * (and csp_free, which runs the pending finalizers) must return.
 *
 * BUG (lua_host.c): both hang for ever (these tests hit their 5 s
 * timeout):
 * - xpcall(spin, spin): the hook raises inside spin; Lua calls the
 *   handler from within the hook (luaG_errormsg), with allowhook = 0, so
 *   the handler's loop is never interrupted.
 * - setmetatable({}, { __gc = spin }): finalizers run with allowhook = 0
 *   (GCTM), during a collection or at lua_close.
 * Fix: in lua_host_openlibs, replace xpcall by a C function that calls f
 * under lua_pcall without a handler and then, unless the deadline has
 * passed (then re-raise), calls the handler on the error as an ordinary
 * call (debug.traceback is gone anyway); and replace setmetatable by one
 * that refuses a metatable with a __gc field (finalizers in Lua are of no
 * use to a CSP; the C helpers' userdata keep theirs).
 */
static const char *const escapes[] = { "xpcall_loop", "gc_loop" };

START_TEST(test_escape_hooks)
{
	struct config *cfg = test_config(200, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "errors");
	char *msg = NULL;

	/* refused or stopped, either way a 500 */
	ck_assert_int_eq(get_fail(c, escapes[_i], &msg), DM_COMMAND_FAILED);
	free(msg);
	expect_get(c, "ok", "fine");
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_escape_gc_at_close)
{
	struct config *cfg = test_config(200, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "errors");
	struct csp_value v;

	/* whether refused or not, csp_free must come back */
	if (csp_get(c, NULL, 0, "gc_later", &v, NULL) == DM_OK)
		csp_value_free(&v);
	expect_get(c, "ok", "fine");
	csp_free(c);
	config_free(cfg);
}
END_TEST

/*
 * Tables from a script may carry metamethods; reading them outside the
 * protected call must not crash or hang luadm.
 *
 * BUG (lua_host.c host_status_of_table, csp.c csp_load_script,
 * csp_load_mounts, csp_stat): lua_getfield on the error table, the
 * contract table and its fields runs __index metamethods after
 * lua_pcall has returned, outside any protected call and without the
 * hook: an __index that raises makes Lua panic (abort, "Received signal
 * 6" here), one that loops hangs. Fix: read these fields with lua_rawget
 * (the contract is a plain table), or read them inside the protected call
 * (csp_trampoline / a loader function run by lua_host_pcall).
 */
START_TEST(test_meta_error_object)
{
	struct config *cfg = test_config(200, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "errors");
	char *msg = NULL;

	/* the status is a plain field: it counts */
	ck_assert_int_eq(get_fail(c, "meta_error", &msg), DM_NOT_FOUND);
	free(msg);
	ck_assert_int_eq(get_fail(c, "meta_error_loop", &msg),
	    DM_COMMAND_FAILED);
	free(msg);
	expect_get(c, "ok", "fine");
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_meta_contract)
{
	static const char text[] =
	    "return setmetatable({ mount = \"./Vendor/Meta\" },\n"
	    "    { __index = function(t, k) error(\"no field \" .. k) end })\n";
	struct config *cfg = test_config(200, 8u * 1024 * 1024);
	struct csp_value v;
	struct csp *c;

	c = csp_load(testutil_write("meta.lua", text, strlen(text)), cfg);
	ck_assert_ptr_nonnull(c);
	/* loaded or refused; either way calls answer */
	if (csp_get(c, NULL, 0, "", &v, NULL) == DM_OK)
		csp_value_free(&v);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/*
 * A script that came close to its cap, was rescued by Lua's emergency
 * collection, and then raised a DM status gets that status, not "out of
 * memory": a refused allocation counts only when the error surfaces.
 */
START_TEST(test_status_after_recovered_alloc)
{
	struct config *cfg = test_config(2000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "errors");
	char *msg = NULL;
	int st;

	/* the allocations themselves succeed */
	expect_get(c, "recovered", "3145728");
	st = get_fail(c, "recovered_status", &msg);
	ck_assert_msg(st == DM_NOT_FOUND && msg != NULL &&
	    strcmp(msg, "x") == 0, "got %d \"%s\", want 404 \"x\"", st,
	    msg != NULL ? msg : "");
	free(msg);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/*
 * A failed allocation anywhere in a call is a status, never a crash, and
 * the state works right after: fail allocation n, for each n up to past
 * the end of the chunk. (Lua answers some refusals with an emergency
 * collection and a second try, so some n succeed; the switch refuses one
 * allocation only.)
 */
START_TEST(test_fail_alloc_after)
{
	static const char chunk[] =
	    "local t = {}\n"
	    "for i = 1, 50 do t[i] = string.rep('x', i) .. i end\n"
	    "return #t\n";
	struct lua_host *h;
	lua_State *L;
	char *msg = NULL;
	unsigned long n;
	int rc, failed = 0;

	h = lua_host_new(0);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(lua_host_openlibs(h), 0);
	L = lua_host_state(h);
	for (n = 1; n <= 400; n++) {
		ck_assert_int_eq(luaL_loadstring(L, chunk), LUA_OK);
		lua_host_fail_alloc_after(h, n);
		rc = lua_host_pcall(h, 0, 1, 1000, &msg, NULL);
		lua_host_fail_alloc_after(h, 0);
		if (rc == 0) {
			ck_assert_int_eq(lua_tointeger(L, -1), 50);
			lua_pop(L, 1);
		} else {
			failed++;
			ck_assert_int_eq(rc, DM_COMMAND_FAILED);
			ck_assert_ptr_nonnull(msg);
			ck_assert_msg(strstr(msg, "out of memory") != NULL,
			    "allocation %lu: %s", n, msg);
			free(msg);
			msg = NULL;
		}
		ck_assert_int_eq(lua_gettop(L), 0);

		/* the state works again right after */
		ck_assert_int_eq(luaL_loadstring(L, chunk), LUA_OK);
		ck_assert_int_eq(lua_host_pcall(h, 0, 1, 1000, NULL, NULL), 0);
		ck_assert_int_eq(lua_tointeger(L, -1), 50);
		lua_pop(L, 1);
	}
	ck_assert_int_gt(failed, 0);
	lua_host_free(h);
}
END_TEST

/* ---- broken scripts ---- */

/* Each script must be refused at load, with every listed substring. */
static const struct {
	const char	*name;
	const char	*text;
	size_t		 len;	/* 0: strlen(text) */
	const char	*why[2];
} broken[] = {
	{ "syntax.lua",
	    "return {\n  mount = \"./Vendor/S\",\n  get = function( end,\n}\n",
	    0, { "syntax.lua:3:", NULL } },
	{ "raises.lua",
	    "\nerror(\"at load\")\n",
	    0, { "raises.lua:2:", "at load" } },
	{ "number.lua", "return 42\n", 0, { "must return a table", "number" } },
	{ "nothing.lua", "local x = 1\n", 0,
	    { "must return a table", "nil" } },
	{ "no_mount.lua", "return { get = function() end }\n",
	    0, { "'mount'", NULL } },
	{ "empty_mount.lua", "return { mount = {} }\n", 0,
	    { "'mount'", NULL } },
	{ "mount_type.lua", "return { mount = { \"./A\", 7 } }\n",
	    0, { "mount 2", NULL } },
	/* the message quotes the mount as written */
	{ "mount_abs.lua", "return { mount = \"/abs\" }\n",
	    0, { "bad mount", "/abs" } },
	{ "mount_user.lua", "return { mount = \"./user/X\" }\n",
	    0, { "bad mount", "./user/X" } },
	{ "mount_root.lua", "return { mount = \".\" }\n",
	    0, { "bad mount", "\".\"" } },
	{ "mount_query.lua", "return { mount = \"./A?prop=ACL\" }\n",
	    0, { "bad mount", NULL } },
	{ "verb_string.lua",
	    "return { mount = \"./A\", get = \"not a function\" }\n",
	    0, { "'get' must be a function", NULL } },
	{ "verb_table.lua", "return { mount = \"./A\", exec = {} }\n",
	    0, { "'exec' must be a function", NULL } },
	/* the signature is enough to be taken for bytecode */
	{ "binary.lua", "\x1bLua\x54\x00 not really bytecode",
	    sizeof("\x1bLua\x54\x00 not really bytecode") - 1,
	    { "binary", NULL } },
};

START_TEST(test_broken)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp_value v;
	struct csp *c;
	const char *why, *path;
	char *msg = NULL;
	size_t i, len;

	len = broken[_i].len != 0 ? broken[_i].len : strlen(broken[_i].text);
	path = testutil_write(broken[_i].name, broken[_i].text, len);
	c = csp_load(path, cfg);
	ck_assert_ptr_nonnull(c);
	why = csp_broken(c);
	ck_assert_msg(why != NULL, "%s loaded", broken[_i].name);
	for (i = 0; i < 2 && broken[_i].why[i] != NULL; i++)
		ck_assert_msg(strstr(why, broken[_i].why[i]) != NULL,
		    "%s: \"%s\" lacks \"%s\"", broken[_i].name, why,
		    broken[_i].why[i]);
	/* every call of a broken CSP answers 500 and says why */
	ck_assert_int_eq(csp_get(c, NULL, 0, "", &v, &msg),
	    DM_COMMAND_FAILED);
	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(strstr(msg, "broken"));
	free(msg);
	ck_assert_int_eq(csp_has_tx(c), 0);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* lua_Writer appending a dump to a struct buf. */
static int
dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct buf *b = ud;

	(void)L;
	return buf_add(b, p, sz);
}

/* Real bytecode of a script that would be a fine CSP as text. */
START_TEST(test_bytecode_refused)
{
	static const char good[] =
	    "return { mount = \"./Vendor/B\", get = function() return 1 end }";
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct buf b = { 0 };
	struct csp *c;
	lua_State *L;
	const char *path;

	/* as text it loads */
	path = testutil_write("text.lua", good, strlen(good));
	c = csp_load(path, cfg);
	ck_assert_ptr_null(csp_broken(c));
	csp_free(c);

	L = luaL_newstate();
	ck_assert_int_eq(luaL_loadstring(L, good), LUA_OK);
	ck_assert_int_eq(lua_dump(L, dump_writer, &b, 0), 0);
	lua_close(L);
	ck_assert_int_eq(b.p[0], '\x1b');
	path = testutil_write("bytecode.lua", b.p, b.len);
	buf_free(&b);
	c = csp_load(path, cfg);
	ck_assert_ptr_nonnull(csp_broken(c));
	ck_assert_ptr_nonnull(strstr(csp_broken(c), "binary"));
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* ---- the sandbox ---- */

START_TEST(test_sandbox)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "sandbox");
	struct csp_value v;
	char *msg = NULL;

	ck_assert_int_eq(get_fail(c, "undefined", &msg), DM_COMMAND_FAILED);
	ck_assert_msg(strstr(msg, "undefined global 'no_such_global'") != NULL,
	    "%s", msg);
	free(msg);
	expect_get(c, "absent", "nil nil nil");
	expect_get(c, "require_debug", "false");
	/* load() works for text and refuses bytecode */
	expect_get(c, "load_text", "42");
	ck_assert_int_eq(csp_get(c, NULL, 0, "load_bytecode", &v, NULL), DM_OK);
	ck_assert_msg(strncmp(v.data, "nil ", 4) == 0 &&
	    strstr(v.data, "binary") != NULL, "load: %s", v.data);
	csp_value_free(&v);
	/* asking for mode "b" explicitly does not help */
	ck_assert_int_eq(csp_get(c, NULL, 0, "load_bytecode_mode_b", &v, NULL),
	    DM_OK);
	ck_assert_msg(strncmp(v.data, "nil ", 4) == 0 &&
	    strstr(v.data, "binary") != NULL, "load: %s", v.data);
	csp_value_free(&v);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* ---- get results ---- */

START_TEST(test_get_shapes)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "values");
	struct csp_value v;
	char *msg = NULL;

	ck_assert_int_eq(csp_get(c, NULL, 0, "list", &v, NULL), DM_OK);
	ck_assert_str_eq(v.format, "node");
	ck_assert_ptr_null(v.data);
	ck_assert_uint_eq(v.nchildren, 2);
	ck_assert_str_eq(v.children[0], "a");
	ck_assert_str_eq(v.children[1], "b");
	csp_value_free(&v);

	ck_assert_int_eq(csp_get(c, NULL, 0, "empty_list", &v, NULL), DM_OK);
	ck_assert_str_eq(v.format, "node");
	ck_assert_uint_eq(v.nchildren, 0);
	csp_value_free(&v);

	ck_assert_int_eq(csp_get(c, NULL, 0, "int", &v, NULL), DM_OK);
	ck_assert_str_eq(v.data, "42");
	ck_assert_str_eq(v.format, "int");
	csp_value_free(&v);

	ck_assert_int_eq(csp_get(c, NULL, 0, "float", &v, NULL), DM_OK);
	ck_assert_str_eq(v.data, "1.5");
	ck_assert_str_eq(v.format, "float");
	csp_value_free(&v);

	ck_assert_int_eq(csp_get(c, NULL, 0, "bool", &v, NULL), DM_OK);
	ck_assert_str_eq(v.data, "true");
	ck_assert_str_eq(v.format, "bool");
	csp_value_free(&v);

	/* value, format, type as returned */
	ck_assert_int_eq(csp_get(c, NULL, 0, "str", &v, NULL), DM_OK);
	ck_assert_str_eq(v.data, "hello");
	ck_assert_uint_eq(v.len, 5);
	ck_assert_str_eq(v.format, "xml");
	ck_assert_str_eq(v.type, "text/xml");
	csp_value_free(&v);

	ck_assert_int_eq(get_fail(c, "missing", &msg), DM_NOT_FOUND);
	ck_assert_ptr_null(msg);
	ck_assert_int_eq(get_fail(c, "missing_msg", &msg), DM_NOT_FOUND);
	ck_assert_str_eq(msg, "gone");
	free(msg);

	ck_assert_int_eq(get_fail(c, "failed_msg", &msg), DM_COMMAND_FAILED);
	ck_assert_str_eq(msg, "went wrong");
	free(msg);
	ck_assert_int_eq(get_fail(c, "no_file", &msg), DM_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(msg, "/luadm/no/such/file"));
	free(msg);

	ck_assert_int_eq(get_fail(c, "func", &msg), DM_COMMAND_FAILED);
	ck_assert_ptr_nonnull(strstr(msg, "function"));
	free(msg);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* Child lists with names no node may have are a CSP bug: 500. */
static const char *const bad_lists[] = {
	"bad_slash", "bad_empty", "bad_star", "bad_type"
};

START_TEST(test_get_bad_children)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "values");
	char *msg = NULL;

	ck_assert_int_eq(get_fail(c, bad_lists[_i], &msg), DM_COMMAND_FAILED);
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, _i < 3 ? "invalid child name" :
	    "not a string") != NULL, "%s: %s", bad_lists[_i], msg);
	free(msg);
	/* and nothing half-built leaks (ASan) or breaks the next call */
	expect_get(c, "int", "42");
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* ---- mutators ---- */

static const struct {
	const char	*path;
	int		 status;
	const char	*msg;	/* exact message; "" any; NULL none */
} conventions[] = {
	{ "nothing", DM_OK, NULL },
	{ "true", DM_OK, NULL },
	{ "accepted", DM_ACCEPTED, NULL },
	{ "not_found", DM_NOT_FOUND, "msg" },
	{ "false", DM_COMMAND_FAILED, NULL },
	{ "nil_msg", DM_COMMAND_FAILED, "went wrong" },
	{ "false_msg", DM_COMMAND_FAILED, "went wrong" },
	/* a permission error of the system is 425 */
	{ "denied", DM_PERMISSION_DENIED, "/etc/shadow: Permission denied" },
	{ "raise_denied", DM_PERMISSION_DENIED, "" },
	{ "bad_number", DM_COMMAND_FAILED, "" },
	{ "table", DM_COMMAND_FAILED, "" },
};

START_TEST(test_mutator_results)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "values");
	struct csp_value in = { .data = "v", .len = 1, .format = "chr" };
	char *msg = NULL;
	int st;

	st = csp_replace(c, NULL, 0, conventions[_i].path, &in, &msg);
	ck_assert_msg(st == conventions[_i].status, "%s: %d",
	    conventions[_i].path, st);
	if (conventions[_i].msg == NULL)
		ck_assert_ptr_null(msg);
	else if (conventions[_i].msg[0] == '\0')
		ck_assert_ptr_nonnull(msg);	/* some explanation */
	else
		ck_assert_str_eq(msg, conventions[_i].msg);
	free(msg);
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_unimplemented_verbs)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "values");
	struct csp_value in = { .data = "v", .len = 1, .format = "chr" };
	struct csp_info info;
	char *msg = NULL;

	/* values.lua has get, replace and exec only */
	ck_assert_int_eq(csp_add(c, NULL, 0, "x", &in, &msg),
	    DM_NOT_ALLOWED);
	ck_assert_ptr_nonnull(strstr(msg, "add"));
	free(msg);
	ck_assert_int_eq(csp_delete(c, NULL, 0, "x", NULL), DM_NOT_ALLOWED);
	ck_assert_int_eq(csp_flush(c, NULL), DM_OK);
	/* without stat a node exists when get succeeds */
	ck_assert_int_eq(csp_stat(c, NULL, 0, "str", &info, NULL), DM_OK);
	ck_assert_str_eq(info.format, "xml");
	ck_assert_str_eq(info.type, "text/xml");
	csp_info_free(&info);
	ck_assert_int_eq(csp_stat(c, NULL, 0, "missing", &info, NULL),
	    DM_NOT_FOUND);
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_exec_args)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "values");
	struct csp_value v;

	ck_assert_int_eq(csp_exec(c, NULL, 0, "Reboot", "payload", 7,
	    "corr-1", NULL), DM_OK);
	expect_get(c, "last_exec", "Reboot|payload|corr-1");
	/* data is binary-safe; no correlator is nil */
	ck_assert_int_eq(csp_exec(c, NULL, 0, "x", "a\0b", 3, NULL, NULL),
	    DM_OK);
	ck_assert_int_eq(csp_get(c, NULL, 0, "last_exec", &v, NULL), DM_OK);
	ck_assert_uint_eq(v.len, 9);
	ck_assert_mem_eq(v.data, "x|a\0b|nil", 9);
	csp_value_free(&v);
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_ctx_direct)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *c = load_unit(cfg, "values");
	struct csp_ctx ctx = {
		.scope = DM_SCOPE_USER,
		.server_id = "srv",
		.session_id = "s1",
		.uri = "./User/Vendor/Values/ctx"
	};
	struct csp_value v;

	ck_assert_int_eq(csp_get(c, &ctx, 0, "ctx", &v, NULL), DM_OK);
	ck_assert_str_eq(v.data,
	    "user|srv|s1|./User/Vendor/Values/ctx|Get|./Vendor/Values");
	csp_value_free(&v);
	/* no ctx at all: device scope, nothing else known */
	expect_get(c, "ctx", "device|-|-|-|Get|./Vendor/Values");
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* Through the tree: scope from the URI, server from the caller. */
START_TEST(test_ctx_through_tree)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct tree_who who = { .server_id = "srv1", .session_id = "7" };
	struct csp_value v;
	struct dm_uri u;
	struct tree *t;
	char *err = NULL;

	t = tree_new(cfg, &err);
	ck_assert_msg(t != NULL, "%s", err);

	ck_assert_int_eq(uri_parse("./User/Vendor/Values/ctx", &u, NULL), 0);
	ck_assert_int_eq(tree_get(t, &who, &u, &v, NULL), DM_OK);
	ck_assert_str_eq(v.data,
	    "user|srv1|7|./User/Vendor/Values/ctx|Get|./Vendor/Values");
	csp_value_free(&v);
	uri_free(&u);

	ck_assert_int_eq(uri_parse("./Vendor/Values/ctx", &u, NULL), 0);
	ck_assert_int_eq(tree_get(t, NULL, &u, &v, NULL), DM_OK);
	ck_assert_str_eq(v.data,
	    "device|-|-|./Vendor/Values/ctx|Get|./Vendor/Values");
	csp_value_free(&v);
	uri_free(&u);
	tree_free(t);
	config_free(cfg);
}
END_TEST

START_TEST(test_tx)
{
	struct config *cfg = test_config(1000, 8u * 1024 * 1024);
	struct csp *tx = load_unit(cfg, "tx");
	struct csp *half = load_unit(cfg, "half_tx");
	struct csp *none = load_unit(cfg, "values");

	ck_assert_int_eq(csp_has_tx(tx), 1);
	ck_assert_int_eq(csp_has_tx(half), 0);
	ck_assert_int_eq(csp_has_tx(none), 0);
	ck_assert_int_eq(csp_begin(tx, NULL, NULL), DM_OK);
	ck_assert_int_eq(csp_commit(tx, NULL, NULL), DM_OK);
	ck_assert_int_eq(csp_rollback(tx, NULL, NULL), DM_OK);
	expect_get(tx, "", "begin:Atomic,commit,rollback");
	csp_free(tx);
	csp_free(half);
	csp_free(none);
	config_free(cfg);
}
END_TEST

/* ---- dm.* ---- */

/* Loads dmapi.lua with a system root holding etc/data.txt. */
static struct csp *
load_dmapi(struct config *cfg)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/root/etc", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	testutil_write("root/etc/data.txt", "0123456789", 10);
	return load_unit(cfg, "dmapi");
}

START_TEST(test_dm_files)
{
	struct config *cfg = test_config(5000, 8u * 1024 * 1024);
	struct csp *c = load_dmapi(cfg);
	struct csp_value v;
	struct stat st;
	char p[256], *buf;
	FILE *f;

	expect_get(c, "read", "0123456789");
	expect_get(c, "read_relative", "0123456789");
	ck_assert_int_eq(csp_get(c, NULL, 0, "read_cap", &v, NULL), DM_OK);
	ck_assert_msg(strncmp(v.data, "nil|", 4) == 0 &&
	    strstr(v.data, "cap") != NULL, "%s", v.data);
	csp_value_free(&v);
	ck_assert_int_eq(csp_get(c, NULL, 0, "read_missing", &v, NULL), DM_OK);
	ck_assert_msg(strncmp(v.data, "nil|/etc/nothing", 16) == 0, "%s",
	    v.data);
	csp_value_free(&v);

	expect_get(c, "write_mode", "true");
	snprintf(p, sizeof(p), "%s/root/out.txt", tmpdir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	buf = calloc(1, 64);
	ck_assert_uint_eq(fread(buf, 1, 63, f), 7);
	ck_assert_str_eq(buf, "written");
	free(buf);
	fclose(f);
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_dm_run)
{
	struct config *cfg = test_config(5000, 8u * 1024 * 1024);
	struct csp *c = load_dmapi(cfg);
	struct csp_value v;
	uint64_t t0;

	expect_get(c, "run_echo", "0|hi\n||false");
	expect_get(c, "run_exit", "3||err\n");
	ck_assert_int_eq(csp_get(c, NULL, 0, "run_missing", &v, NULL), DM_OK);
	ck_assert_msg(strncmp(v.data, "nil|cannot run", 14) == 0, "%s",
	    v.data);
	csp_value_free(&v);

	ck_assert_int_eq(csp_get(c, NULL, 0, "run_cat", &v, NULL), DM_OK);
	ck_assert_uint_eq(v.len, 19);
	ck_assert_mem_eq(v.data, "0|fed\0through stdin", 19);
	csp_value_free(&v);

	/* sleep 5 is killed after 200 ms */
	t0 = util_now_ms();
	expect_get(c, "run_sleep", "true|nil");
	ck_assert_uint_lt(util_now_ms() - t0, 4000);

	/* without a runner "FOO=bar" is the program, which does not exist */
	ck_assert_int_eq(csp_get(c, NULL, 0, "run_runner", &v, NULL), DM_OK);
	ck_assert_msg(strncmp(v.data, "nil|cannot run", 14) == 0, "%s",
	    v.data);
	csp_value_free(&v);
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_dm_run_runner)
{
	struct config *cfg = test_config(5000, 8u * 1024 * 1024);
	struct csp *c;

	cfg->runner = calloc(2, sizeof(char *));
	ck_assert_ptr_nonnull(cfg->runner);
	cfg->runner[0] = strdup("env");
	cfg->nrunner = 1;
	c = load_dmapi(cfg);
	/* env FOO=bar printenv FOO */
	expect_get(c, "run_runner", "0|bar\n");
	csp_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(test_dm_codecs)
{
	struct config *cfg = test_config(5000, 8u * 1024 * 1024);
	struct csp *c = load_dmapi(cfg);
	struct stat st;
	char p[256];

	expect_get(c, "sha256", "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	expect_get(c, "b64", "AAEC/yBiaW5hcnk=|true|nil|not valid base64");
	expect_get(c, "escape", "%C3%A9");
	expect_get(c, "state", "3|true");
	snprintf(p, sizeof(p), "%s/state/nodes/roundtrip.map", tmpdir);
	ck_assert_int_eq(stat(p, &st), 0);
	expect_get(c, "state_missing", "nil");
	csp_free(c);
	config_free(cfg);
}
END_TEST

static Suite *
csp_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("csp");

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 60);
	testutil_fixtures(tc, setup);
	tcase_add_loop_test(tc, test_failure_leaves_state_usable, 0,
	    sizeof(failures) / sizeof(failures[0]));
	tcase_add_test(tc, test_status_after_recovered_alloc);
	tcase_add_test(tc, test_fail_alloc_after);
	suite_add_tcase(s, tc);

	tc = tcase_create("escapes");
	tcase_set_timeout(tc, 5);
	testutil_fixtures(tc, setup);
	tcase_add_loop_test(tc, test_escape_hooks, 0,
	    sizeof(escapes) / sizeof(escapes[0]));
	tcase_add_test(tc, test_escape_gc_at_close);
	tcase_add_test(tc, test_meta_error_object);
	tcase_add_test(tc, test_meta_contract);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_set_timeout(tc, 30);
	testutil_fixtures(tc, setup);
	tcase_add_loop_test(tc, test_broken, 0,
	    sizeof(broken) / sizeof(broken[0]));
	tcase_add_test(tc, test_bytecode_refused);
	tcase_add_test(tc, test_sandbox);
	suite_add_tcase(s, tc);

	tc = tcase_create("calls");
	tcase_set_timeout(tc, 30);
	testutil_fixtures(tc, setup);
	tcase_add_test(tc, test_get_shapes);
	tcase_add_loop_test(tc, test_get_bad_children, 0,
	    sizeof(bad_lists) / sizeof(bad_lists[0]));
	tcase_add_loop_test(tc, test_mutator_results, 0,
	    sizeof(conventions) / sizeof(conventions[0]));
	tcase_add_test(tc, test_unimplemented_verbs);
	tcase_add_test(tc, test_exec_args);
	tcase_add_test(tc, test_ctx_direct);
	tcase_add_test(tc, test_ctx_through_tree);
	tcase_add_test(tc, test_tx);
	suite_add_tcase(s, tc);

	tc = tcase_create("dm");
	tcase_set_timeout(tc, 30);
	testutil_fixtures(tc, setup);
	tcase_add_test(tc, test_dm_files);
	tcase_add_test(tc, test_dm_run);
	tcase_add_test(tc, test_dm_run_runner);
	tcase_add_test(tc, test_dm_codecs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* as luadm's main does: a child closing its stdin must not kill us */
	signal(SIGPIPE, SIG_IGN);
	return testutil_run(csp_suite());
}
