/*
 * check_config.c: unit tests for core/config.c: the built-in defaults, a
 * file setting every key (relative paths resolved against the file's
 * directory), errors that name the file, the line and the key (unknown
 * keys, wrong types, bad log level, syntax errors, errors raised by the
 * file, a file that never ends, a file reaching for io), and
 * config_lua_tables. Fixtures are in tests/data/config/.
 */
#include <sys/stat.h>

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "testutil.h"

#define CONFIG_DIR	LUADM_TEST_DATA "/config"

/* The real path of the fixture directory, as config.c resolves it. */
static char confdir[PATH_MAX];

static void
setup(void)
{
	ck_assert_ptr_nonnull(realpath(CONFIG_DIR, confdir));
}

/* "<confdir>/<rel>" in a static buffer. */
static const char *
in_confdir(const char *rel)
{
	static char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", confdir, rel);
	return p;
}

START_TEST(test_defaults)
{
	struct config *cfg = config_defaults();

	ck_assert_ptr_nonnull(cfg);
	ck_assert_ptr_null(cfg->path);
	ck_assert_str_eq(cfg->state_dir, "/var/lib/luadm");
	ck_assert_uint_eq(cfg->ncsp_path, 1);
	ck_assert_str_eq(cfg->csp_path[0], LUADM_DEFAULT_CSP_DIR);
	ck_assert_str_eq(cfg->sysroot, "/");
	ck_assert_uint_eq(cfg->nrunner, 0);
	ck_assert_int_eq(cfg->log_level, LOG_LVL_INFO);
	ck_assert_int_eq(cfg->acl_enforce, 0);
	ck_assert_str_eq(cfg->acl_default,
	    "Add=*&Delete=*&Exec=*&Get=*&Replace=*");
	ck_assert_ptr_null(cfg->server_id);
	ck_assert_uint_gt(cfg->limits.csp_memory, 0);
	ck_assert_uint_gt(cfg->limits.csp_timeout_ms, 0);
	ck_assert_uint_gt(cfg->limits.run_timeout_ms, 0);
	ck_assert_uint_gt(cfg->limits.read_cap, 0);
	config_free(cfg);
	config_free(NULL);
}
END_TEST

START_TEST(test_every_key)
{
	struct config *cfg;
	char *err = NULL;

	cfg = config_load(CONFIG_DIR "/full.conf", &err);
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_ptr_null(err);
	ck_assert_str_eq(cfg->path, in_confdir("full.conf"));
	/* relative paths are taken from the file's directory */
	ck_assert_str_eq(cfg->state_dir, in_confdir("state"));
	ck_assert_uint_eq(cfg->ncsp_path, 2);
	ck_assert_str_eq(cfg->csp_path[0], in_confdir("csp"));
	ck_assert_str_eq(cfg->csp_path[1], "/opt/luadm/csp");
	ck_assert_str_eq(cfg->sysroot, in_confdir("root"));
	/* the runner is argv, not paths: kept as written */
	ck_assert_uint_eq(cfg->nrunner, 3);
	ck_assert_str_eq(cfg->runner[0], "sudo");
	ck_assert_str_eq(cfg->runner[1], "-n");
	ck_assert_str_eq(cfg->runner[2], "--");
	ck_assert_int_eq(cfg->log_level, LOG_LVL_DEBUG);
	ck_assert_str_eq(cfg->server_id, "srv-test");
	ck_assert_uint_eq(cfg->limits.csp_memory, 8u * 1024 * 1024);
	ck_assert_uint_eq(cfg->limits.csp_timeout_ms, 1500);
	ck_assert_uint_eq(cfg->limits.run_timeout_ms, 2500);
	ck_assert_uint_eq(cfg->limits.read_cap, 2u * 1024 * 1024);
	ck_assert_int_eq(cfg->acl_enforce, 1);
	ck_assert_str_eq(cfg->acl_default, "Get=*&Replace=admin");
	ck_assert_int_eq(cfg->session.honour_hdr_meta, 0);
	ck_assert_int_eq(cfg->session.ui_alerts, ENGINE_UI_REJECT);
	ck_assert_str_eq(cfg->session.login_status, "others");
	ck_assert_str_eq(cfg->session.user_agent, "check_config/1");
	ck_assert_uint_eq(cfg->session.connect_timeout_ms, 1234);
	ck_assert_uint_eq(cfg->session.timeout_ms, 5678);
	ck_assert_uint_eq(cfg->session.max_message, 3u * 1024 * 1024);
	config_free(cfg);
}
END_TEST

/* A relative file name: paths still resolve against its directory. */
START_TEST(test_relative_file)
{
	struct config *cfg;
	char *err = NULL;

	ck_assert_int_eq(chdir(confdir), 0);
	cfg = config_load("full.conf", &err);
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->path, in_confdir("full.conf"));
	ck_assert_str_eq(cfg->state_dir, in_confdir("state"));
	config_free(cfg);
}
END_TEST

START_TEST(test_minimal)
{
	struct config *cfg, *def;
	char *err = NULL;

	def = config_defaults();
	cfg = config_load(CONFIG_DIR "/minimal.conf", &err);
	ck_assert_msg(cfg != NULL, "%s", err);
	/* a single string is a list of one */
	ck_assert_uint_eq(cfg->ncsp_path, 1);
	ck_assert_str_eq(cfg->csp_path[0], "/srv/csp");
	/* everything else keeps its default */
	ck_assert_str_eq(cfg->state_dir, def->state_dir);
	ck_assert_str_eq(cfg->sysroot, def->sysroot);
	ck_assert_int_eq(cfg->log_level, def->log_level);
	ck_assert_uint_eq(cfg->limits.csp_memory, def->limits.csp_memory);
	ck_assert_uint_eq(cfg->limits.csp_timeout_ms,
	    def->limits.csp_timeout_ms);
	ck_assert_int_eq(cfg->acl_enforce, 0);
	ck_assert_str_eq(cfg->acl_default, def->acl_default);
	ck_assert_int_eq(cfg->session.honour_hdr_meta,
	    def->session.honour_hdr_meta);
	ck_assert_str_eq(cfg->session.login_status,
	    def->session.login_status);
	config_free(cfg);
	config_free(def);
}
END_TEST

/* Files config_load must refuse, and what the error must name. */
static const struct {
	const char	*file;
	const char	*why[3];
} refused[] = {
	{ "unknown_key.conf", { "unknown_key.conf", "'stat_dir'", NULL } },
	{ "wrong_type.conf", { "wrong_type.conf", "'state_dir'", "string" } },
	{ "wrong_list.conf", { "wrong_list.conf", "'csp_path'", NULL } },
	{ "wrong_limit.conf",
	    { "wrong_limit.conf", "csp_timeout_ms", "number" } },
	{ "bad_level.conf", { "bad_level.conf", "log_level", "verbose" } },
	{ "bad_session.conf",
	    { "bad_session.conf", "session.ui_alerts", "maybe" } },
	{ "loop.conf", { "too long", NULL, NULL } },
	{ "sandbox.conf", { "sandbox.conf", "'io'", NULL } },
	{ "no_such.conf", { "no_such.conf", NULL, NULL } },
	/*
	 * BUG (config.c config_eval): the chunk is loaded with the bare path
	 * as its name, which Lua takes for source text: messages read
	 * [string "/.../syntax.conf"]:3: (or a truncated "[string "/w..."]"
	 * for a long path) instead of /.../syntax.conf:3:. Fix: load with
	 * chunkname "@" path (as csp.c does).
	 */
	{ "syntax.conf", { "syntax.conf:3:", NULL, NULL } },
	{ "raises.conf", { "raises.conf:2:", "no configuration today", NULL } },
};

START_TEST(test_refused)
{
	struct config *cfg;
	char *err = NULL;
	size_t i;

	cfg = config_load(in_confdir(refused[_i].file), &err);
	ck_assert_msg(cfg == NULL, "%s was accepted", refused[_i].file);
	ck_assert_ptr_nonnull(err);
	for (i = 0; i < 3 && refused[_i].why[i] != NULL; i++)
		ck_assert_msg(strstr(err, refused[_i].why[i]) != NULL,
		    "\"%s\" lacks \"%s\"", err, refused[_i].why[i]);
	free(err);
}
END_TEST

/*
 * A file that hides its endless loop behind pcall is refused promptly
 * too: pcall is not in the sandbox today (the error names it); were it
 * ever added, the instruction hook would have to keep raising, and this
 * test would catch the hang with its timeout.
 */
START_TEST(test_refused_pcall_loop)
{
	struct config *cfg;
	char *err = NULL;

	cfg = config_load(CONFIG_DIR "/loop_pcall.conf", &err);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "too long") != NULL ||
	    strstr(err, "'pcall'") != NULL, "%s", err);
	free(err);
}
END_TEST

/* Reads t[key] (t at the top) as a string, or NULL; pops it. */
static const char *
field(lua_State *L, const char *key)
{
	const char *s;

	lua_getfield(L, -1, key);
	s = lua_tostring(L, -1);
	lua_pop(L, 1);	/* the string stays alive in t */
	return s;
}

START_TEST(test_lua_tables)
{
	struct config *cfg;
	lua_State *L;
	char *err = NULL;

	cfg = config_load(CONFIG_DIR "/full.conf", &err);
	ck_assert_msg(cfg != NULL, "%s", err);
	L = luaL_newstate();
	ck_assert_ptr_nonnull(L);
	luaL_openlibs(L);

	ck_assert_int_eq(config_lua_tables(L, cfg, "DevInfo"), 0);
	ck_assert_int_eq(lua_gettop(L), 1);
	ck_assert_int_eq(lua_getfield(L, 1, "device"), LUA_TTABLE);
	ck_assert_str_eq(field(L, "Man"), "Acme");
	ck_assert_str_eq(field(L, "Mod"), "M-ONE");
	lua_pop(L, 1);
	ck_assert_int_eq(lua_getfield(L, 1, "csp"), LUA_TTABLE);
	ck_assert_str_eq(field(L, "Lang"), "fr-FR");
	ck_assert_ptr_null(field(L, "n"));
	lua_settop(L, 0);

	/* each CSP gets its own entry */
	ck_assert_int_eq(config_lua_tables(L, cfg, "Other"), 0);
	ck_assert_int_eq(lua_getfield(L, 1, "csp"), LUA_TTABLE);
	ck_assert_str_eq(field(L, "n"), "1");
	ck_assert_ptr_null(field(L, "Lang"));
	lua_settop(L, 0);

	/* and an empty table when the file has none for it */
	ck_assert_int_eq(config_lua_tables(L, cfg, "Absent"), 0);
	ck_assert_int_eq(lua_getfield(L, 1, "csp"), LUA_TTABLE);
	lua_pushnil(L);
	ck_assert_int_eq(lua_next(L, -2), 0);
	lua_settop(L, 0);
	config_free(cfg);

	/* the built-in defaults: both empty */
	cfg = config_defaults();
	ck_assert_int_eq(config_lua_tables(L, cfg, "DevInfo"), 0);
	ck_assert_int_eq(lua_getfield(L, 1, "device"), LUA_TTABLE);
	lua_pushnil(L);
	ck_assert_int_eq(lua_next(L, -2), 0);
	lua_pop(L, 1);
	ck_assert_int_eq(lua_getfield(L, 1, "csp"), LUA_TTABLE);
	lua_pushnil(L);
	ck_assert_int_eq(lua_next(L, -2), 0);
	lua_settop(L, 0);
	config_free(cfg);
	lua_close(L);
}
END_TEST

/* The file is read afresh: when it went bad since, an error is pushed. */
START_TEST(test_lua_tables_reread)
{
	char dir[] = "/tmp/check_config.XXXXXX", path[64];
	struct config *cfg;
	lua_State *L;
	char *err = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/luadm.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("device = { Man = \"Before\" }\n", f);
	fclose(f);
	cfg = config_load(path, &err);
	ck_assert_msg(cfg != NULL, "%s", err);

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("device = { Man = \"After\" }\n", f);
	fclose(f);
	L = luaL_newstate();
	luaL_openlibs(L);
	ck_assert_int_eq(config_lua_tables(L, cfg, "x"), 0);
	ck_assert_int_eq(lua_getfield(L, 1, "device"), LUA_TTABLE);
	ck_assert_str_eq(field(L, "Man"), "After");
	lua_settop(L, 0);

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("device = {\n", f);
	fclose(f);
	ck_assert_int_eq(config_lua_tables(L, cfg, "x"), -1);
	ck_assert_int_eq(lua_gettop(L), 1);
	ck_assert_ptr_nonnull(lua_tostring(L, -1));
	lua_close(L);
	config_free(cfg);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("config");
	tc = tcase_create("load");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_relative_file);
	tcase_add_test(tc, test_minimal);
	tcase_add_loop_test(tc, test_refused, 0,
	    sizeof(refused) / sizeof(refused[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("endless");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_refused_pcall_loop);
	suite_add_tcase(s, tc);

	tc = tcase_create("lua_tables");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_lua_tables);
	tcase_add_test(tc, test_lua_tables_reread);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(config_suite());
}
