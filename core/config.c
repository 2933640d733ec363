/*
 * config.c: reads the Lua configuration file into struct config. See
 * config.h for the policy and README.md for the keys.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define CONFIG_MAX_SIZE		(1024 * 1024)
#define CONFIG_MAX_INSNS	50000000

static const char *const config_keys[] = {
	"state_dir", "csp_path", "sysroot", "runner", "log_level", "limits",
	"acl", "device", "csp", "server_id", "session", "run", NULL
};

struct config *
config_defaults(void)
{
	struct config *cfg;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return NULL;
	cfg->state_dir = strdup("/var/lib/luadm");
	cfg->csp_path = calloc(1, sizeof(char *));
	if (cfg->csp_path != NULL) {
		cfg->csp_path[0] = strdup(LUADM_DEFAULT_CSP_DIR);
		cfg->ncsp_path = 1;
	}
	cfg->sysroot = strdup("/");
	cfg->log_level = LOG_LVL_INFO;
	cfg->limits.csp_memory = 64u * 1024 * 1024;
	cfg->limits.csp_timeout_ms = 10000;
	cfg->limits.run_timeout_ms = 60000;
	cfg->limits.read_cap = 16u * 1024 * 1024;
	cfg->acl_default = strdup("Add=*&Delete=*&Exec=*&Get=*&Replace=*");
	cfg->session.honour_hdr_meta = 1;
	cfg->session.large_objects = 1;
	cfg->session.ui_alerts = 0;	/* ENGINE_UI_UNSUPPORTED */
	cfg->session.connect_timeout_ms = 30000;
	cfg->session.timeout_ms = 300000;
	cfg->session.max_message = 16u * 1024 * 1024;
	cfg->session.max_object = 256u * 1024 * 1024;
	cfg->session.login_status = strdup("auto");
	cfg->run.interval_s = 8 * 3600;
	if (cfg->state_dir == NULL || cfg->csp_path == NULL ||
	    cfg->csp_path[0] == NULL || cfg->sysroot == NULL ||
	    cfg->acl_default == NULL || cfg->session.login_status == NULL) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->state_dir);
	strv_free(cfg->csp_path, cfg->ncsp_path);
	free(cfg->sysroot);
	strv_free(cfg->runner, cfg->nrunner);
	free(cfg->acl_default);
	free(cfg->server_id);
	free(cfg->session.user_agent);
	free(cfg->session.query);
	free(cfg->session.login_status);
	free(cfg->run.socket);
	free(cfg->run.udp);
	free(cfg);
}

/* Stops a configuration file that loops. */
static void
config_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	luaL_error(L, "the configuration runs too long (endless loop?)");
}

/*
 * Evaluates the file at path in a fresh sandbox. On success leaves the
 * environment table (its globals) on the stack and returns 0; else returns
 * -1 with *err set.
 */
static int
config_eval(lua_State *L, const char *path, char **err)
{
	static const char *const safe[] = {
		"tostring", "tonumber", "pairs", "ipairs", "type", "select",
		"error", "assert", "next", "rawget", "rawset", "rawequal",
		"string", "table", "math", "utf8", NULL
	};
	char *buf = NULL, *rerr = NULL;
	size_t len, i;
	int rc;

	rc = store_read(path, CONFIG_MAX_SIZE, &buf, &len, &rerr);
	if (rc == 1) {
		*err = util_asprintf("%s: no such configuration file", path);
		return -1;
	}
	if (rc != 0) {
		*err = rerr;
		return -1;
	}
	lua_pushfstring(L, "@%s", path);
	rc = luaL_loadbufferx(L, buf, len, lua_tostring(L, -1), "t");
	lua_remove(L, -2);
	if (rc != LUA_OK) {
		free(buf);
		*err = util_asprintf("%s", lua_tostring(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	free(buf);
	/* stack: chunk */
	lua_newtable(L);		/* the sandbox */
	for (i = 0; safe[i] != NULL; i++) {
		lua_getglobal(L, safe[i]);
		lua_setfield(L, -2, safe[i]);
	}
	lua_newtable(L);		/* os = { getenv = os.getenv } */
	lua_getglobal(L, "os");
	lua_getfield(L, -1, "getenv");
	lua_setfield(L, -3, "getenv");
	lua_pop(L, 1);
	lua_setfield(L, -2, "os");
	lua_pushvalue(L, -1);
	lua_insert(L, -3);		/* stack: env, chunk, env */
	lua_setupvalue(L, -2, 1);	/* chunk's _ENV = env */
	lua_sethook(L, config_hook, LUA_MASKCOUNT, CONFIG_MAX_INSNS);
	rc = lua_pcall(L, 0, 0, 0);
	lua_sethook(L, NULL, 0, 0);
	if (rc != LUA_OK) {
		*err = util_asprintf("%s", lua_tostring(L, -1));
		lua_pop(L, 2);
		return -1;
	}
	/* remove the sandbox functions so only the file's keys are left */
	for (i = 0; safe[i] != NULL; i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, safe[i]);
	}
	lua_pushnil(L);
	lua_setfield(L, -2, "os");
	return 0;
}

/* Resolves p relative to the configuration's directory; malloc'd. */
static char *
config_resolve(const struct config *cfg, const char *p)
{
	const char *slash;

	if (p[0] == '/' || cfg->path == NULL)
		return strdup(p);
	slash = strrchr(cfg->path, '/');
	if (slash == NULL)
		return strdup(p);
	return util_asprintf("%.*s/%s", (int)(slash - cfg->path), cfg->path,
	    p);
}

static int
get_string(lua_State *L, const struct config *cfg, const char *key,
    char **out, int is_path, char **err)
{
	char *v;

	lua_getfield(L, -1, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) != LUA_TSTRING) {
		*err = util_asprintf("%s: '%s' must be a string, not %s",
		    cfg->path, key, luaL_typename(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	v = is_path ? config_resolve(cfg, lua_tostring(L, -1)) :
	    strdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	if (v == NULL) {
		*err = strdup("out of memory");
		return -1;
	}
	free(*out);
	*out = v;
	return 0;
}

static int
get_strv(lua_State *L, const struct config *cfg, const char *key,
    char ***out, size_t *n, int is_path, char **err)
{
	char **v;
	lua_Integer i, len;

	lua_getfield(L, -1, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {	/* one string = a list of one */
		lua_newtable(L);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
	}
	if (lua_type(L, -1) != LUA_TTABLE) {
		*err = util_asprintf("%s: '%s' must be a list of strings",
		    cfg->path, key);
		lua_pop(L, 1);
		return -1;
	}
	len = (lua_Integer)lua_rawlen(L, -1);
	v = calloc((size_t)len + 1, sizeof(*v));
	if (v == NULL) {
		lua_pop(L, 1);
		*err = strdup("out of memory");
		return -1;
	}
	for (i = 1; i <= len; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) != LUA_TSTRING) {
			*err = util_asprintf("%s: '%s'[%lld] must be a string",
			    cfg->path, key, (long long)i);
			lua_pop(L, 2);
			strv_free(v, (size_t)len);
			return -1;
		}
		v[i - 1] = is_path ? config_resolve(cfg, lua_tostring(L, -1)) :
		    strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
		if (v[i - 1] == NULL) {
			lua_pop(L, 1);
			strv_free(v, (size_t)len);
			*err = strdup("out of memory");
			return -1;
		}
	}
	lua_pop(L, 1);
	strv_free(*out, *n);
	*out = v;
	*n = (size_t)len;
	return 0;
}

/* Reads a non-negative number field of the table on top; 0 or -1. */
static int
get_number(lua_State *L, const struct config *cfg, const char *table,
    const char *key, double max, double *out, char **err)
{
	int isnum;
	lua_Number v;

	lua_getfield(L, -1, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	v = lua_tonumberx(L, -1, &isnum);
	lua_pop(L, 1);
	if (!isnum || v < 0 || v > max) {
		*err = util_asprintf("%s: '%s.%s' must be a number from 0 to "
		    "%.0f", cfg->path, table, key, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
config_read_limits(lua_State *L, struct config *cfg, char **err)
{
	double v;

	lua_getfield(L, -1, "limits");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		*err = util_asprintf("%s: 'limits' must be a table", cfg->path);
		return -1;
	}
	v = (double)cfg->limits.csp_memory / (1024 * 1024);
	if (get_number(L, cfg, "limits", "csp_memory_mb", 65536, &v, err))
		goto err;
	cfg->limits.csp_memory = (size_t)(v * 1024 * 1024);
	v = cfg->limits.csp_timeout_ms;
	if (get_number(L, cfg, "limits", "csp_timeout_ms", 86400000, &v, err))
		goto err;
	cfg->limits.csp_timeout_ms = (unsigned)v;
	v = cfg->limits.run_timeout_ms;
	if (get_number(L, cfg, "limits", "run_timeout_ms", 86400000, &v, err))
		goto err;
	cfg->limits.run_timeout_ms = (unsigned)v;
	v = (double)cfg->limits.read_cap / (1024 * 1024);
	if (get_number(L, cfg, "limits", "read_cap_mb", 4096, &v, err))
		goto err;
	cfg->limits.read_cap = (size_t)(v * 1024 * 1024);
	if (cfg->limits.csp_memory < 1024 * 1024) {
		*err = util_asprintf("%s: 'limits.csp_memory_mb' must be at "
		    "least 1", cfg->path);
		goto err;
	}
	lua_pop(L, 1);
	return 0;
err:
	lua_pop(L, 1);
	return -1;
}

static int
config_read_acl(lua_State *L, struct config *cfg, char **err)
{
	lua_getfield(L, -1, "acl");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		*err = util_asprintf("%s: 'acl' must be a table", cfg->path);
		return -1;
	}
	lua_getfield(L, -1, "enforce");
	cfg->acl_enforce = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (get_string(L, cfg, "default", &cfg->acl_default, 0, err)) {
		lua_pop(L, 1);
		return -1;
	}
	lua_pop(L, 1);
	return 0;
}

static int
config_read_session(lua_State *L, struct config *cfg, char **err)
{
	static const char *const ui[] = { "unsupported", "accept", "reject",
	    NULL };
	struct config_session *ss = &cfg->session;
	char *s = NULL;
	double v;
	int i;

	lua_getfield(L, -1, "session");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1)) {
		*err = util_asprintf("%s: 'session' must be a table",
		    cfg->path);
		goto err;
	}
	lua_getfield(L, -1, "honour_server_meta");
	if (!lua_isnil(L, -1))
		ss->honour_hdr_meta = lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, -1, "large_objects");
	if (!lua_isnil(L, -1))
		ss->large_objects = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (get_string(L, cfg, "ui_alerts", &s, 0, err))
		goto err;
	if (s != NULL) {
		for (i = 0; ui[i] != NULL && strcmp(ui[i], s) != 0; i++)
			;
		if (ui[i] == NULL) {
			*err = util_asprintf("%s: 'session.ui_alerts' must be "
			    "unsupported, accept or reject, not '%s'",
			    cfg->path, s);
			goto err;
		}
		ss->ui_alerts = i;
	}
	free(s);
	s = NULL;
	if (get_string(L, cfg, "login_status", &s, 0, err))
		goto err;
	if (s != NULL) {
		if (strcmp(s, "user") != 0 && strcmp(s, "others") != 0 &&
		    strcmp(s, "none") != 0 && strcmp(s, "auto") != 0) {
			*err = util_asprintf("%s: 'session.login_status' must "
			    "be auto, user, others or none, not '%s'",
			    cfg->path, s);
			goto err;
		}
		free(ss->login_status);
		ss->login_status = s;
		s = NULL;
	}
	if (get_string(L, cfg, "user_agent", &ss->user_agent, 0, err) ||
	    get_string(L, cfg, "query", &ss->query, 0, err))
		goto err;
	v = ss->connect_timeout_ms;
	if (get_number(L, cfg, "session", "connect_timeout_ms", 3600000, &v,
	    err))
		goto err;
	ss->connect_timeout_ms = (unsigned)v;
	v = ss->timeout_ms;
	if (get_number(L, cfg, "session", "timeout_ms", 86400000, &v, err))
		goto err;
	ss->timeout_ms = (unsigned)v;
	v = (double)ss->max_message / (1024 * 1024);
	if (get_number(L, cfg, "session", "max_message_mb", 1024, &v, err))
		goto err;
	ss->max_message = (size_t)(v * 1024 * 1024);
	v = (double)ss->max_object / (1024 * 1024);
	if (get_number(L, cfg, "session", "max_object_mb", 1024 * 1024, &v,
	    err))
		goto err;
	ss->max_object = (size_t)(v * 1024 * 1024);
	lua_pop(L, 1);
	return 0;
err:
	free(s);
	lua_pop(L, 1);
	return -1;
}

static int
config_read_run(lua_State *L, struct config *cfg, char **err)
{
	double v;

	lua_getfield(L, -1, "run");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1)) {
		*err = util_asprintf("%s: 'run' must be a table", cfg->path);
		goto err;
	}
	v = cfg->run.interval_s;
	if (get_number(L, cfg, "run", "interval_s", 30 * 86400, &v, err))
		goto err;
	if (v < 10) {
		*err = util_asprintf("%s: 'run.interval_s' must be at least 10",
		    cfg->path);
		goto err;
	}
	cfg->run.interval_s = (unsigned)v;
	if (get_string(L, cfg, "socket", &cfg->run.socket, 1, err) ||
	    get_string(L, cfg, "udp", &cfg->run.udp, 0, err))
		goto err;
	lua_pop(L, 1);
	return 0;
err:
	lua_pop(L, 1);
	return -1;
}

/* Refuses keys the file sets that luadm does not know (typos). */
static int
config_check_keys(lua_State *L, const struct config *cfg, char **err)
{
	size_t i;

	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			continue;
		for (i = 0; config_keys[i] != NULL; i++)
			if (strcmp(lua_tostring(L, -1), config_keys[i]) == 0)
				break;
		if (config_keys[i] == NULL) {
			*err = util_asprintf("%s: unknown key '%s' (see the "
			    "README for the keys)", cfg->path,
			    lua_tostring(L, -1));
			lua_pop(L, 1);
			return -1;
		}
	}
	return 0;
}

struct config *
config_load(const char *path, char **err)
{
	struct config *cfg;
	lua_State *L = NULL;
	char *level = NULL;
	int lvl;

	*err = NULL;
	cfg = config_defaults();
	if (cfg == NULL)
		goto nomem;
	if (path == NULL) {
		if (access(LUADM_DEFAULT_CONFIG, F_OK) != 0)
			return cfg;
		path = LUADM_DEFAULT_CONFIG;
	}
	cfg->path = realpath(path, NULL);
	if (cfg->path == NULL) {
		*err = util_asprintf("%s: %s", path, strerror(errno));
		goto err;
	}
	L = luaL_newstate();
	if (cfg->path == NULL || L == NULL)
		goto nomem;
	luaL_openlibs(L);
	if (config_eval(L, path, err) != 0)
		goto err;
	if (config_check_keys(L, cfg, err) ||
	    get_string(L, cfg, "state_dir", &cfg->state_dir, 1, err) ||
	    get_strv(L, cfg, "csp_path", &cfg->csp_path, &cfg->ncsp_path, 1,
	    err) ||
	    get_string(L, cfg, "sysroot", &cfg->sysroot, 1, err) ||
	    get_strv(L, cfg, "runner", &cfg->runner, &cfg->nrunner, 0, err) ||
	    get_string(L, cfg, "log_level", &level, 0, err) ||
	    get_string(L, cfg, "server_id", &cfg->server_id, 0, err) ||
	    config_read_limits(L, cfg, err) ||
	    config_read_acl(L, cfg, err) ||
	    config_read_session(L, cfg, err) ||
	    config_read_run(L, cfg, err))
		goto err;
	if (level != NULL) {
		lvl = log_level_parse(level);
		if (lvl < 0) {
			*err = util_asprintf("%s: 'log_level' must be error, "
			    "warn, info or debug, not '%s'", path, level);
			goto err;
		}
		cfg->log_level = lvl;
	}
	free(level);
	lua_close(L);
	return cfg;
nomem:
	*err = strdup("out of memory");
err:
	free(level);
	if (L != NULL)
		lua_close(L);
	config_free(cfg);
	return NULL;
}

/* Copies a table field of the env on top into t[key], or an empty table. */
static void
copy_table_field(lua_State *L, const char *key, const char *sub)
{
	/* stack: result, env */
	lua_getfield(L, -1, key);
	if (sub != NULL && lua_istable(L, -1)) {
		lua_getfield(L, -1, sub);
		lua_remove(L, -2);
	}
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
	lua_setfield(L, -3, key);
}

int
config_lua_tables(lua_State *L, const struct config *cfg,
    const char *csp_name)
{
	char *err = NULL;

	lua_newtable(L);		/* result */
	if (cfg->path == NULL) {
		lua_newtable(L);
		lua_setfield(L, -2, "device");
		lua_newtable(L);
		lua_setfield(L, -2, "csp");
		return 0;
	}
	if (config_eval(L, cfg->path, &err) != 0) {
		lua_pop(L, 1);
		lua_pushstring(L, err != NULL ? err : "out of memory");
		free(err);
		return -1;
	}
	/* stack: result, env */
	copy_table_field(L, "device", NULL);
	copy_table_field(L, "csp", csp_name);
	lua_pop(L, 1);
	return 0;
}
