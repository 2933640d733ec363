/*
 * lua_dm.c: the dm.* API (see lua_dm.h and docs/csp-guide.md).
 *
 * Resources (fds, malloc'd buffers, a child process) are held by a guard
 * userdata pushed before they are acquired, so that a Lua error raised
 * while pushing results (out of memory) cannot leak them: the guard's __gc
 * releases whatever it still holds.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <openssl/evp.h>

#include "b64.h"
#include "config.h"
#include "log.h"
#include "lua_account.h"
#include "lua_dm.h"
#include "lua_host.h"
#include "store.h"
#include "uri.h"
#include "util.h"

#define GUARD_MT	"luadm.Guard"
#define BLOB_MT		"luadm.Blob"
#define RUN_DEFAULT_CAP	(4u * 1024 * 1024)

static const char cfg_key = 'c';	/* registry: const struct config * */
static const char name_key = 'n';	/* registry: the CSP's name */

/* Everything a dm.* call may need to release if it raises. */
struct guard {
	int		 fd[4];
	pid_t		 pid;
	char		*p;
	struct buf	 out;
	struct buf	 err;
	struct store_map map;
	DIR		*dir;
};

static int
guard_gc(lua_State *L)
{
	struct guard *g = luaL_checkudata(L, 1, GUARD_MT);
	int i, st;

	for (i = 0; i < 4; i++)
		if (g->fd[i] >= 0) {
			close(g->fd[i]);
			g->fd[i] = -1;
		}
	if (g->pid > 0) {
		kill(-g->pid, SIGKILL);
		while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR)
			;
		g->pid = 0;
	}
	if (g->dir != NULL) {
		closedir(g->dir);
		g->dir = NULL;
	}
	free(g->p);
	g->p = NULL;
	buf_free(&g->out);
	buf_free(&g->err);
	store_map_free(&g->map);
	return 0;
}

/* Pushes a new guard. May raise. */
static struct guard *
guard_push(lua_State *L)
{
	struct guard *g;
	int i;

	g = lua_newuserdatauv(L, sizeof(*g), 0);
	memset(g, 0, sizeof(*g));
	for (i = 0; i < 4; i++)
		g->fd[i] = -1;
	luaL_setmetatable(L, GUARD_MT);
	return g;
}

static const struct config *
cfg_of(lua_State *L)
{
	const struct config *cfg;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &cfg_key);
	cfg = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return cfg;
}

/* Pushes the real path of p under the system root and returns it. */
static const char *
push_real_path(lua_State *L, const char *p)
{
	const struct config *cfg = cfg_of(L);
	const char *root = cfg->sysroot;
	size_t rl = strlen(root);
	luaL_Buffer b;

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	luaL_buffinit(L, &b);
	luaL_addlstring(&b, root, rl);
	if (p[0] != '/')
		luaL_addchar(&b, '/');
	luaL_addstring(&b, p);
	luaL_pushresult(&b);
	return lua_tostring(L, -1);
}

/* return nil, "<what>: <strerror(errno)>" */
static int
push_errno(lua_State *L, const char *what, int e)
{
	lua_pushnil(L);
	lua_pushfstring(L, "%s: %s", what, strerror(e));
	return 2;
}

/* dm.log(level, message) */
static int
l_log(lua_State *L)
{
	const char *level = luaL_checkstring(L, 1);
	const char *msg = luaL_checkstring(L, 2);
	const char *name;
	int lvl = log_level_parse(level);

	luaL_argcheck(L, lvl >= 0, 1, "level must be error, warn, info or "
	    "debug");
	lua_rawgetp(L, LUA_REGISTRYINDEX, &name_key);
	name = lua_tostring(L, -1);
	log_msg((enum log_level)lvl, "%s: %s", name != NULL ? name : "csp",
	    msg);
	lua_pop(L, 1);
	return 0;
}

/* ctx:log(level, message): the same sink, with the ctx ignored. */
static int
l_ctx_log(lua_State *L)
{
	lua_remove(L, 1);
	return l_log(L);
}

void
lua_dm_push_logfn(lua_State *L)
{
	lua_pushcfunction(L, l_ctx_log);
}

/* dm.path(p) -> real path */
static int
l_path(lua_State *L)
{
	push_real_path(L, luaL_checkstring(L, 1));
	return 1;
}

/* dm.read_file(path [, cap]) -> string | nil, err. May raise. */
static int
l_read_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	lua_Integer cap = luaL_optinteger(L, 2,
	    (lua_Integer)cfg_of(L)->limits.read_cap);
	const char *real;
	struct guard *g;
	struct stat st;
	luaL_Buffer b;
	size_t total = 0;
	ssize_t n;
	char *p;

	luaL_argcheck(L, cap >= 0, 2, "cap must not be negative");
	real = push_real_path(L, path);
	g = guard_push(L);
	g->fd[0] = open(real, O_RDONLY | O_CLOEXEC);
	if (g->fd[0] < 0)
		return push_errno(L, path, errno);
	if (fstat(g->fd[0], &st) == 0 && S_ISDIR(st.st_mode))
		return push_errno(L, path, EISDIR);
	if (fstat(g->fd[0], &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > cap) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s: larger than the cap of %I bytes",
		    path, cap);
		return 2;
	}
	luaL_buffinit(L, &b);
	for (;;) {
		p = luaL_prepbuffsize(&b, 65536);
		n = read(g->fd[0], p, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return push_errno(L, path, errno);
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > (size_t)cap) {
			lua_pushnil(L);
			lua_pushfstring(L, "%s: larger than the cap of %I "
			    "bytes", path, cap);
			return 2;
		}
		luaL_addsize(&b, (size_t)n);
	}
	close(g->fd[0]);
	g->fd[0] = -1;
	luaL_pushresult(&b);
	return 1;
}

static mode_t
opt_mode(lua_State *L, int idx, mode_t def)
{
	const char *s;
	char *end;
	long v;

	if (lua_isnoneornil(L, idx))
		return def;
	if (lua_type(L, idx) == LUA_TNUMBER) {
		v = (long)luaL_checkinteger(L, idx);
	} else {
		s = luaL_checkstring(L, idx);
		errno = 0;
		v = strtol(s, &end, 8);
		luaL_argcheck(L, *s != '\0' && *end == '\0' && errno == 0, idx,
		    "mode must be octal, e.g. \"0644\"");
	}
	luaL_argcheck(L, v >= 0 && v <= 07777, idx, "mode out of range");
	return (mode_t)v;
}

/* dm.write_file_atomic(path, data [, mode]) -> true | nil, err */
static int
l_write_file_atomic(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	size_t len;
	const char *data = luaL_checklstring(L, 2, &len);
	mode_t mode = opt_mode(L, 3, 0644);
	const char *real;
	char *err = NULL;

	real = push_real_path(L, path);
	if (store_write_atomic_mode(real, data, len, mode, &err) != 0) {
		lua_pushnil(L);
		lua_pushstring(L, err != NULL ? err : "out of memory");
		free(err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* dm.exists(path) -> boolean */
static int
l_exists(lua_State *L)
{
	struct stat st;

	lua_pushboolean(L, lstat(push_real_path(L, luaL_checkstring(L, 1)),
	    &st) == 0);
	return 1;
}

/* dm.list_dir(path) -> { names } | nil, err (sorted, no . and ..) */
static int
l_list_dir(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	const char *real = push_real_path(L, path);
	struct guard *g = guard_push(L);
	struct dirent *de;
	lua_Integer i = 0;

	g->dir = opendir(real);
	if (g->dir == NULL)
		return push_errno(L, path, errno);
	lua_newtable(L);
	while ((de = readdir(g->dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		lua_pushstring(L, de->d_name);
		lua_rawseti(L, -2, ++i);
	}
	closedir(g->dir);
	g->dir = NULL;
	/* sort with table.sort */
	lua_getglobal(L, "table");
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "sort");
		lua_pushvalue(L, -3);
		lua_call(L, 1, 0);
	}
	lua_pop(L, 1);
	return 1;
}

/* dm.uname() -> table */
static int
l_uname(lua_State *L)
{
	struct utsname u;

	if (uname(&u) != 0)
		return push_errno(L, "uname", errno);
	lua_createtable(L, 0, 5);
	lua_pushstring(L, u.sysname);
	lua_setfield(L, -2, "sysname");
	lua_pushstring(L, u.nodename);
	lua_setfield(L, -2, "nodename");
	lua_pushstring(L, u.release);
	lua_setfield(L, -2, "release");
	lua_pushstring(L, u.version);
	lua_setfield(L, -2, "version");
	lua_pushstring(L, u.machine);
	lua_setfield(L, -2, "machine");
	return 1;
}

/* dm.sha256(s) -> lower-case hex */
static int
l_sha256(lua_State *L)
{
	size_t len, i;
	const char *s = luaL_checklstring(L, 1, &len);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return luaL_error(L, "sha256 failed");
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	lua_pushlstring(L, hex, 2 * mdlen);
	return 1;
}

static int
l_b64encode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	struct guard *g = guard_push(L);

	g->p = b64_encode(s, len);
	if (g->p == NULL)
		return luaL_error(L, "out of memory");
	lua_pushstring(L, g->p);
	return 1;
}

static int
l_b64decode(lua_State *L)
{
	size_t len, olen;
	const char *s = luaL_checklstring(L, 1, &len);
	struct guard *g = guard_push(L);

	g->p = (char *)b64_decode(s, len, &olen);
	if (g->p == NULL) {
		lua_pushnil(L);
		lua_pushliteral(L, "not valid base64");
		return 2;
	}
	lua_pushlstring(L, g->p, olen);
	return 1;
}

static int
l_escape(lua_State *L)
{
	const char *s = luaL_checkstring(L, 1);
	struct guard *g = guard_push(L);

	g->p = uri_escape_segment(s);
	if (g->p == NULL)
		return luaL_error(L, "out of memory");
	lua_pushstring(L, g->p);
	return 1;
}

static int
l_unescape(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *why = NULL;
	struct guard *g = guard_push(L);

	g->p = uri_unescape_segment(s, len, &why);
	if (g->p == NULL) {
		lua_pushnil(L);
		lua_pushstring(L, why != NULL ? why : "bad escape");
		return 2;
	}
	lua_pushstring(L, g->p);
	return 1;
}

static int
state_name_ok(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		    *s == '.'))
			return 0;
	return 1;
}

static const char *
push_state_file(lua_State *L, const char *name)
{
	return lua_pushfstring(L, "%s/nodes/%s.map", cfg_of(L)->state_dir,
	    name);
}

/* dm.state_load(name) -> table | nil, err. May raise. */
static int
l_state_load(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const char *file;
	struct guard *g;
	char *err = NULL;
	size_t i;

	luaL_argcheck(L, state_name_ok(name), 1, "name must match "
	    "[A-Za-z0-9_.-]+");
	file = push_state_file(L, name);
	g = guard_push(L);
	if (store_map_load(file, &g->map, &err) != 0) {
		g->p = err;
		lua_pushnil(L);
		lua_pushstring(L, err != NULL ? err : "out of memory");
		return 2;
	}
	lua_createtable(L, 0, (int)(g->map.n < 1000000 ? g->map.n : 0));
	for (i = 0; i < g->map.n; i++) {
		lua_pushlstring(L, g->map.e[i].key, g->map.e[i].klen);
		lua_pushlstring(L, g->map.e[i].val, g->map.e[i].vlen);
		lua_rawset(L, -3);
	}
	return 1;
}

/* dm.state_save(name, tbl) -> true | nil, err */
static int
l_state_save(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const char *file, *dir;
	struct guard *g;
	char *err = NULL;
	size_t kl, vl;
	const char *k, *v;

	luaL_argcheck(L, state_name_ok(name), 1, "name must match "
	    "[A-Za-z0-9_.-]+");
	luaL_checktype(L, 2, LUA_TTABLE);
	dir = lua_pushfstring(L, "%s/nodes", cfg_of(L)->state_dir);
	file = push_state_file(L, name);
	g = guard_push(L);
	lua_pushnil(L);
	while (lua_next(L, 2) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING ||
		    lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "dm.state_save: keys and values "
			    "must be strings");
		k = lua_tolstring(L, -2, &kl);
		v = lua_tolstring(L, -1, &vl);
		if (store_map_set(&g->map, k, kl, v, vl) != 0)
			return luaL_error(L, "out of memory");
		lua_pop(L, 1);
	}
	if (store_mkdirs(dir, &err) != 0 ||
	    store_map_save(file, &g->map, &err) != 0) {
		g->p = err;
		lua_pushnil(L);
		lua_pushstring(L, err != NULL ? err : "out of memory");
		return 2;
	}
	store_map_free(&g->map);
	lua_pushboolean(L, 1);
	return 1;
}

/* Child side of dm.run: never returns. */
static void
run_child(struct guard *g, char **argv, int errfd)
{
	int e;

	setpgid(0, 0);
	if (dup2(g->fd[0], 0) < 0 || dup2(g->fd[1], 1) < 0 ||
	    dup2(g->fd[2], 2) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Feeds stdin and drains stdout/stderr of the child until both close or
 * the deadline passes. Returns 1 when it timed out.
 */
static int
run_io(struct guard *g, const char *in, size_t inlen, size_t cap,
    uint64_t deadline)
{
	struct pollfd pfd[3];
	char tmp[65536];
	size_t off = 0;
	uint64_t now;
	ssize_t n;
	int i, np, t;

	/* fd[0] stdin writer, fd[1] stdout reader, fd[2] stderr reader */
	if (inlen == 0 && g->fd[0] >= 0) {
		close(g->fd[0]);
		g->fd[0] = -1;
	}
	while (g->fd[0] >= 0 || g->fd[1] >= 0 || g->fd[2] >= 0) {
		now = util_now_ms();
		if (now >= deadline)
			return 1;
		t = deadline - now > 1000 ? 1000 : (int)(deadline - now);
		np = 0;
		for (i = 0; i < 3; i++) {
			pfd[i].fd = g->fd[i];
			pfd[i].events = i == 0 ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
			if (g->fd[i] >= 0)
				np++;
		}
		if (poll(pfd, 3, t) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (g->fd[0] >= 0 && pfd[0].revents) {
			n = write(g->fd[0], in + off, inlen - off);
			if (n > 0)
				off += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    off == inlen || (pfd[0].revents & (POLLERR |
			    POLLHUP))) {
				close(g->fd[0]);
				g->fd[0] = -1;
			}
		}
		for (i = 1; i < 3; i++) {
			struct buf *b = i == 1 ? &g->out : &g->err;

			if (g->fd[i] < 0 || pfd[i].revents == 0)
				continue;
			n = read(g->fd[i], tmp, sizeof(tmp));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				close(g->fd[i]);
				g->fd[i] = -1;
				continue;
			}
			if (b->len < cap)
				buf_add(b, tmp, (size_t)n > cap - b->len ?
				    cap - b->len : (size_t)n);
		}
		(void)np;
	}
	return 0;
}

/* dm.run(argv [, opts]) -> result | nil, err. May raise. */
static int
l_run(lua_State *L)
{
	const struct config *cfg = cfg_of(L);
	const char *in = NULL;
	size_t inlen = 0, cap = RUN_DEFAULT_CAP, nargv, i, n;
	lua_Integer timeout = cfg->limits.run_timeout_ms;
	struct guard *g;
	char **argv;
	int errpipe[2], p[3][2], e = 0, st = 0, timed_out;
	uint64_t deadline;
	ssize_t r;

	luaL_checktype(L, 1, LUA_TTABLE);
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		lua_getfield(L, 2, "stdin");
		if (!lua_isnil(L, -1))
			in = luaL_checklstring(L, -1, &inlen);
		lua_pop(L, 1);	/* the string stays alive in opts */
		lua_getfield(L, 2, "timeout_ms");
		if (!lua_isnil(L, -1))
			timeout = luaL_checkinteger(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, 2, "cap");
		if (!lua_isnil(L, -1))
			cap = (size_t)luaL_checkinteger(L, -1);
		lua_pop(L, 1);
	}
	n = lua_rawlen(L, 1);
	luaL_argcheck(L, n > 0, 1, "argv must not be empty");
	nargv = cfg->nrunner + n;
	argv = lua_newuserdatauv(L, (nargv + 1) * sizeof(char *), 0);
	for (i = 0; i < cfg->nrunner; i++)
		argv[i] = cfg->runner[i];
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 1, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) !=
		    LUA_TNUMBER)
			return luaL_error(L, "dm.run: argv[%d] must be a "
			    "string", (int)i + 1);
		argv[cfg->nrunner + i] = (char *)lua_tostring(L, -1);
		lua_rawseti(L, 1, (lua_Integer)i + 1);	/* keep it alive */
	}
	argv[nargv] = NULL;
	g = guard_push(L);
	for (i = 0; i < 3; i++)
		p[i][0] = p[i][1] = -1;
	if (pipe2(errpipe, O_CLOEXEC) != 0)
		return push_errno(L, "dm.run: pipe", errno);
	for (i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) != 0) {
			e = errno;
			break;
		}
	if (e == 0)
		g->pid = fork();
	if (e != 0 || g->pid < 0) {
		e = e ? e : errno;
		g->pid = 0;
		for (i = 0; i < 3; i++) {
			if (p[i][0] >= 0)
				close(p[i][0]);
			if (p[i][1] >= 0)
				close(p[i][1]);
		}
		close(errpipe[0]);
		close(errpipe[1]);
		return push_errno(L, "dm.run", e);
	}
	if (g->pid == 0) {
		g->fd[0] = p[0][0];
		g->fd[1] = p[1][1];
		g->fd[2] = p[2][1];
		close(errpipe[0]);
		run_child(g, argv, errpipe[1]);
	}
	setpgid(g->pid, g->pid);
	close(p[0][0]);
	close(p[1][1]);
	close(p[2][1]);
	close(errpipe[1]);
	g->fd[0] = p[0][1];
	g->fd[1] = p[1][0];
	g->fd[2] = p[2][0];
	g->fd[3] = errpipe[0];
	for (i = 0; i < 3; i++)
		fcntl(g->fd[i], F_SETFL, O_NONBLOCK);
	do
		r = read(g->fd[3], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR)
			;
		g->pid = 0;
		lua_pushnil(L);
		lua_pushfstring(L, "cannot run '%s': %s", argv[0],
		    strerror(e));
		return 2;
	}
	/* never past the CSP call's own deadline */
	deadline = util_now_ms() + (uint64_t)(timeout > 0 ? timeout : 1);
	if (lua_host_deadline(L) != 0 && lua_host_deadline(L) < deadline)
		deadline = lua_host_deadline(L);
	timed_out = run_io(g, in, inlen, cap, deadline);
	if (timed_out)
		kill(-g->pid, SIGKILL);
	while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR)
		;
	g->pid = 0;
	lua_createtable(L, 0, 5);
	if (WIFEXITED(st) && !timed_out) {
		lua_pushinteger(L, WEXITSTATUS(st));
		lua_setfield(L, -2, "code");
	} else if (WIFSIGNALED(st)) {
		lua_pushinteger(L, WTERMSIG(st));
		lua_setfield(L, -2, "signal");
	}
	lua_pushlstring(L, g->out.p != NULL ? g->out.p : "", g->out.len);
	lua_setfield(L, -2, "stdout");
	lua_pushlstring(L, g->err.p != NULL ? g->err.p : "", g->err.len);
	lua_setfield(L, -2, "stderr");
	lua_pushboolean(L, timed_out);
	lua_setfield(L, -2, "timed_out");
	return 1;
}

/*
 * A value held in a file. uservalue 1 = its path. fd is the file opened
 * by dm.blob_file (kept open, so that the value is the file as it was
 * then), -1 for the core's own files (opened when needed) and once a get
 * handed it over (lua_dm_blob_take).
 */
struct blob {
	long long	size;
	int		fd;
};

/* Pushes a new Blob of path (the real path). May raise. */
static struct blob *
blob_push(lua_State *L, const char *path, long long size)
{
	struct blob *b;

	b = lua_newuserdatauv(L, sizeof(*b), 1);
	b->size = size;
	b->fd = -1;
	lua_pushstring(L, path);
	lua_setiuservalue(L, -2, 1);
	luaL_setmetatable(L, BLOB_MT);
	return b;
}

void
lua_dm_push_blob(lua_State *L, const char *path)
{
	struct stat st;

	blob_push(L, path, stat(path, &st) == 0 ? (long long)st.st_size : -1);
}

int
lua_dm_is_blob(lua_State *L, int idx)
{
	return luaL_testudata(L, idx, BLOB_MT) != NULL;
}

void
lua_dm_blob_take(lua_State *L, int idx, int *fd, const char **path)
{
	struct blob *b = luaL_testudata(L, idx, BLOB_MT);

	*fd = -1;
	*path = NULL;
	if (b == NULL) {
		errno = EINVAL;
		return;
	}
	lua_getiuservalue(L, idx, 1);
	*path = lua_tostring(L, -1);	/* the Blob keeps it alive */
	lua_pop(L, 1);
	if (b->fd >= 0) {
		*fd = b->fd;
		b->fd = -1;
		return;
	}
	*fd = open(*path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

/* __gc, __close: closes a file dm.blob_file opened. */
static int
l_blob_gc(lua_State *L)
{
	struct blob *b = luaL_checkudata(L, 1, BLOB_MT);

	if (b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
	return 0;
}

/*
 * dm.blob_file(path) -> Blob | nil, err: the file at path (under the
 * sysroot) as a value a get may answer, opened now (read-only) and kept
 * open, so that the value is the file as it is now. May raise.
 */
static int
l_blob_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	const char *real = push_real_path(L, path);
	struct guard *g = guard_push(L);
	struct blob *b;
	struct stat st;

	g->fd[0] = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (g->fd[0] < 0)
		return push_errno(L, path, errno);
	if (fstat(g->fd[0], &st) != 0)
		return push_errno(L, path, errno);
	if (S_ISDIR(st.st_mode))
		return push_errno(L, path, EISDIR);
	if (!S_ISREG(st.st_mode)) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s: not a regular file", path);
		return 2;
	}
	b = blob_push(L, real, (long long)st.st_size);
	b->fd = g->fd[0];	/* the Blob's now */
	g->fd[0] = -1;
	return 1;
}

/* blob:path() */
static int
l_blob_path(lua_State *L)
{
	luaL_checkudata(L, 1, BLOB_MT);
	lua_getiuservalue(L, 1, 1);
	return 1;
}

/* blob:size(), #blob */
static int
l_blob_size(lua_State *L)
{
	struct blob *b = luaL_checkudata(L, 1, BLOB_MT);

	lua_pushinteger(L, b->size);
	return 1;
}

/* blob:read(), tostring(blob): the whole value, capped. May raise. */
static int
l_blob_read(lua_State *L)
{
	struct blob *b = luaL_checkudata(L, 1, BLOB_MT);
	const struct config *cfg = cfg_of(L);
	const char *path;
	struct guard *g;
	struct stat st;
	size_t len = 0;
	char *err = NULL;
	ssize_t r;
	int rc;

	lua_getiuservalue(L, 1, 1);
	path = lua_tostring(L, -1);
	if (b->size >= 0 && (size_t)b->size > cfg->limits.read_cap)
		return luaL_error(L, "the value (%I bytes) is larger than "
		    "limits.read_cap_mb: read it from blob:path()",
		    (lua_Integer)b->size);
	g = guard_push(L);
	if (b->fd < 0) {
		rc = store_read(path, cfg->limits.read_cap, &g->p, &len,
		    &err);
		if (rc != 0) {
			lua_pushstring(L, rc == 1 ? "the value's file is gone" :
			    err != NULL ? err : "out of memory");
			free(err);
			return lua_error(L);
		}
		lua_pushlstring(L, g->p, len);
		return 1;
	}
	/* the file dm.blob_file opened, from its start */
	if (fstat(b->fd, &st) != 0)
		return luaL_error(L, "%s: %s", path, strerror(errno));
	if ((size_t)st.st_size > cfg->limits.read_cap)
		return luaL_error(L, "the value (%I bytes) is larger than "
		    "limits.read_cap_mb: read it from blob:path()",
		    (lua_Integer)st.st_size);
	g->p = malloc((size_t)st.st_size + 1);
	if (g->p == NULL)
		return luaL_error(L, "out of memory");
	while (len < (size_t)st.st_size) {
		r = pread(b->fd, g->p + len, (size_t)st.st_size - len,
		    (off_t)len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return luaL_error(L, "%s: %s", path, strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
	}
	lua_pushlstring(L, g->p, len);
	return 1;
}

/* dm.is_blob(v) */
static int
l_is_blob(lua_State *L)
{
	lua_pushboolean(L, luaL_testudata(L, 1, BLOB_MT) != NULL);
	return 1;
}

static const luaL_Reg blob_methods[] = {
	{ "path", l_blob_path },
	{ "size", l_blob_size },
	{ "read", l_blob_read },
	{ NULL, NULL }
};

static const luaL_Reg dm_funcs[] = {
	{ "blob_file", l_blob_file },
	{ "is_blob", l_is_blob },
	{ "log", l_log },
	{ "path", l_path },
	{ "read_file", l_read_file },
	{ "write_file_atomic", l_write_file_atomic },
	{ "exists", l_exists },
	{ "list_dir", l_list_dir },
	{ "run", l_run },
	{ "uname", l_uname },
	{ "sha256", l_sha256 },
	{ "b64encode", l_b64encode },
	{ "b64decode", l_b64decode },
	{ "escape", l_escape },
	{ "unescape", l_unescape },
	{ "state_load", l_state_load },
	{ "state_save", l_state_save },
	{ NULL, NULL }
};

const struct config *
lua_dm_config(lua_State *L)
{
	return cfg_of(L);
}

void
lua_dm_rebind(lua_State *L, const struct config *cfg)
{
	lua_pushlightuserdata(L, (void *)(uintptr_t)cfg);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &cfg_key);
}

void
lua_dm_open(lua_State *L, const struct config *cfg, const char *csp_name)
{
	if (luaL_newmetatable(L, GUARD_MT)) {
		lua_pushcfunction(L, guard_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, guard_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, BLOB_MT)) {
		luaL_newlib(L, blob_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_blob_size);
		lua_setfield(L, -2, "__len");
		lua_pushcfunction(L, l_blob_read);
		lua_setfield(L, -2, "__tostring");
		lua_pushcfunction(L, l_blob_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_blob_gc);
		lua_setfield(L, -2, "__close");
		/* hidden from getmetatable: a script could otherwise put its
		 * own __gc there, which Lua runs out of the time limit */
		lua_pushliteral(L, "luadm.Blob");
		lua_setfield(L, -2, "__metatable");
		lua_pushliteral(L, "luadm.Blob");
		lua_setfield(L, -2, "__name");
	}
	lua_pop(L, 1);
	lua_pushlightuserdata(L, (void *)(uintptr_t)cfg);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &cfg_key);
	lua_pushstring(L, csp_name);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &name_key);

	luaL_newlib(L, dm_funcs);
	lua_pushliteral(L, LUADM_VERSION);
	lua_setfield(L, -2, "version");
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, URI_MAX_DEPTH);
	lua_setfield(L, -2, "max_depth");
	lua_pushinteger(L, URI_MAX_TOTLEN);
	lua_setfield(L, -2, "max_tot_len");
	lua_pushinteger(L, URI_MAX_SEGLEN);
	lua_setfield(L, -2, "max_seg_len");
	lua_setfield(L, -2, "limits");
	if (config_lua_tables(L, cfg, csp_name) != 0) {
		log_warnx("%s: cannot read the configuration for it: %s",
		    csp_name, lua_tostring(L, -1));
		lua_pop(L, 1);
		lua_newtable(L);
		lua_newtable(L);
		lua_setfield(L, -2, "device");
		lua_newtable(L);
		lua_setfield(L, -2, "csp");
	}
	lua_pushboolean(L, cfg->session.large_objects);
	lua_setfield(L, -2, "large_objects");
	lua_setfield(L, -2, "config");
	lua_setglobal(L, "dm");
	lua_account_open(L, cfg->state_dir);
}
