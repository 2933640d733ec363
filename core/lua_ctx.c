/*
 * lua_ctx.c: ctx:alert and ctx:background; see lua_ctx.h.
 *
 * A background job is a grandchild of luadm (double fork, its own session,
 * so it outlives the command and the process that started it): it runs
 * the program through the configured runner, waits for it, queues the
 * alert with the exit code (or the program's first 4 KiB of output) as
 * Data, and tells a running `luadm run` (its socket) to start a session so
 * the alert goes out soon. It runs no Lua.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>

#include "account.h"
#include "alertq.h"
#include "config.h"
#include "log.h"
#include "lua_ctx.h"
#include "lua_dm.h"
#include "util.h"

#define BG_OUTPUT_CAP	4096

/* Reads spec (the table at idx) into a; strings stay on the Lua stack. */
static void
read_spec(lua_State *L, int idx, struct alertq_alert *a)
{
	static const char *const keys[] = { "type", "format", "mark",
	    "source", "data", "correlator" };
	char **dst[6];
	size_t i;

	memset(a, 0, sizeof(*a));
	dst[0] = &a->type;
	dst[1] = &a->format;
	dst[2] = &a->mark;
	dst[3] = &a->source;
	dst[4] = &a->data;
	dst[5] = &a->correlator;
	luaL_checktype(L, idx, LUA_TTABLE);
	for (i = 0; i < 6; i++) {
		lua_getfield(L, idx, keys[i]);
		if (lua_type(L, -1) == LUA_TNUMBER)
			lua_tostring(L, -1);	/* in place: stays alive */
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "alert: '%s' must be a string",
			    keys[i]);
		*dst[i] = (char *)lua_tostring(L, -1);
		/* the value stays on the stack so the pointer stays valid */
	}
}

/* The ctx's server id (self.server_id, kept on the stack), or NULL. */
static const char *
server_of(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "server_id");
	return lua_tostring(L, -1);
}

/* The AccountID of the server of this ctx, or NULL. */
static const char *
account_of(lua_State *L, char *id)
{
	const char *server_id = server_of(L);

	if (server_id == NULL || account_id(server_id, id) != 0)
		return NULL;
	return id;
}

/* ctx:alert{ type=, format=, data=, mark=, source=, correlator= } */
static int
l_ctx_alert(lua_State *L)
{
	const struct config *cfg = lua_dm_config(L);
	struct alertq_alert a;
	char id[ACCOUNT_ID_LEN + 1], *err = NULL, *aid = NULL;

	read_spec(L, 2, &a);
	if (account_of(L, id) == NULL) {
		lua_pushnil(L);
		lua_pushliteral(L, "ctx:alert: no server to report to (the "
		    "local administrator's tree command has none)");
		return 2;
	}
	if (alertq_add(cfg->state_dir, id, &a, &aid, &err) != 0) {
		lua_pushnil(L);
		lua_pushstring(L, err != NULL ? err : "out of memory");
		free(err);
		return 2;
	}
	lua_pushstring(L, aid);
	free(aid);
	return 1;
}

/* Best effort: asks a running `luadm run` for a session now. */
static void
poke_run(const struct config *cfg, const char *server_id)
{
	struct sockaddr_un sa;
	char *path, msg[300];
	int fd;

	path = cfg->run.socket != NULL ? strdup(cfg->run.socket) :
	    util_asprintf("%s/luadm.sock", cfg->state_dir);
	if (path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
		free(path);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	snprintf(msg, sizeof(msg), "session %s", server_id);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
		    sizeof(sa)) < 0) {
			/* no `luadm run`: the next session delivers it */
		}
		close(fd);
	}
	free(path);
}

/*
 * The grandchild: runs argv, waits, queues the alert. Never returns.
 * a holds copies (this process owns nothing else of the parent's).
 */
static void
bg_job(const struct config *cfg, char **argv, struct alertq_alert *a,
    const char *account, const char *server_id, int want_output)
{
	char out[BG_OUTPUT_CAP + 1], code[16], *err = NULL;
	int p[2] = { -1, -1 }, st = 0, devnull;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		if (!want_output)
			dup2(devnull, 1);
		dup2(devnull, 2);
	}
	if (want_output && pipe(p) != 0)
		_exit(1);
	pid = fork();
	if (pid == 0) {
		if (want_output) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (want_output) {
		close(p[1]);
		while (n < BG_OUTPUT_CAP && (r = read(p[0], out + n,
		    BG_OUTPUT_CAP - n)) > 0)
			n += (size_t)r;
		close(p[0]);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (want_output) {
		while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
			n--;
		out[n] = '\0';
		a->data = out;
		if (a->format == NULL)
			a->format = "chr";
	} else {
		snprintf(code, sizeof(code), "%d", pid < 0 ? -1 :
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		a->data = code;
		a->format = "int";
	}
	if (alertq_add(cfg->state_dir, account, a, NULL, &err) != 0) {
		log_warnx("background job: cannot queue its alert: %s",
		    err != NULL ? err : "out of memory");
		_exit(1);
	}
	poke_run(cfg, server_id);
	_exit(0);
}

/* ctx:background(argv, { type=, correlator=, source=, mark=, data=
 * "stdout" }) -> true | nil, err */
static int
l_ctx_background(lua_State *L)
{
	const struct config *cfg = lua_dm_config(L);
	const char *server_id;
	struct alertq_alert a;
	char id[ACCOUNT_ID_LEN + 1], *err = NULL, **argv;
	size_t n, i, nargv;
	int want_output = 0, st;
	pid_t pid;

	luaL_checktype(L, 2, LUA_TTABLE);
	read_spec(L, 3, &a);
	if (a.data != NULL) {
		want_output = strcmp(a.data, "stdout") == 0;
		a.data = NULL;
	}
	if (account_of(L, id) == NULL) {
		lua_pushnil(L);
		lua_pushliteral(L, "ctx:background: no server to report to");
		return 2;
	}
	server_id = lua_tostring(L, -1);	/* kept by account_of */
	a.data = (char *)"0";	/* checked as it will be sent */
	if (!want_output)
		a.format = (char *)"int";
	if (alertq_check(&a, &err) != 0) {
		lua_pushnil(L);
		lua_pushstring(L, err != NULL ? err : "bad alert");
		free(err);
		return 2;
	}
	n = lua_rawlen(L, 2);
	luaL_argcheck(L, n > 0, 2, "argv must not be empty");
	luaL_checkstack(L, (int)n + 4, "ctx:background: too many arguments");
	nargv = cfg->nrunner + n;
	argv = lua_newuserdatauv(L, (nargv + 1) * sizeof(char *), 0);
	for (i = 0; i < cfg->nrunner; i++)
		argv[i] = cfg->runner[i];
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 2, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "ctx:background: argv[%d] must be "
			    "a string", (int)i + 1);
		argv[cfg->nrunner + i] = (char *)lua_tostring(L, -1);
		/* stays on the stack */
	}
	argv[nargv] = NULL;
	a.data = NULL;
	pid = fork();
	if (pid < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "ctx:background: fork: %s", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		/* the child: a new session, then the job in a grandchild
		 * that nobody waits for (init adopts it) */
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (fork() == 0)
			bg_job(cfg, argv, &a, id, server_id, want_output);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	log_info("background job %s started; its result goes to %s as a "
	    "generic alert (%s)", argv[cfg->nrunner], server_id, a.type);
	lua_pushboolean(L, 1);
	return 1;
}

static const char methods_key = 'm';

void
lua_ctx_methods(lua_State *L)
{
	/* stack: ctx */
	lua_rawgetp(L, LUA_REGISTRYINDEX, &methods_key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_createtable(L, 0, 1);		/* the metatable */
		lua_createtable(L, 0, 2);		/* its __index */
		lua_pushcfunction(L, l_ctx_alert);
		lua_setfield(L, -2, "alert");
		lua_pushcfunction(L, l_ctx_background);
		lua_setfield(L, -2, "background");
		lua_setfield(L, -2, "__index");
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &methods_key);
	}
	lua_setmetatable(L, -2);
}
