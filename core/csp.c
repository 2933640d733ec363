/*
 * csp.c: loads CSP scripts and calls their verbs; see csp.h for the
 * contract. Every call runs inside lua_host_pcall through one trampoline
 * (csp_trampoline), so building ctx, calling the script and converting its
 * results all happen in protected mode: a memory error anywhere becomes a
 * status, never a panic. Results are copied into C structs owned by the
 * caller, who frees them on success and failure alike.
 */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <lauxlib.h>

#include "config.h"
#include "csp.h"
#include "dm_status.h"
#include "log.h"
#include "lua_ctx.h"
#include "lua_dm.h"
#include "lua_host.h"
#include "store.h"
#include "util.h"

#define CSP_MAX_SCRIPT	(4u * 1024 * 1024)

static const char *const csp_verbs[] = {
	"stat", "get", "add", "replace", "delete", "exec", "begin", "commit",
	"rollback", "flush", "ddf", NULL
};

struct csp {
	char		*path;
	char		*name;
	char		*broken;	/* why it failed to load, or NULL */
	struct lua_host	*host;
	int		 ref;		/* registry ref of the contract table */
	struct dm_uri	*mounts;
	size_t		 nmounts;
	int		 has_tx;
	int		 take_files;	/* csp_take_files */
	const struct config *cfg;
};

enum call_kind {
	CALL_STAT,
	CALL_GET,
	CALL_MUTATE,	/* add, replace, delete, exec, tx hooks, flush */
	CALL_TEXT,	/* a string result (ddf) */
};

/* One call, described for the trampoline. */
struct call {
	struct csp		*c;
	enum call_kind		 kind;
	const char		*verb;
	const char		*cmd;	/* ctx.cmd */
	const struct csp_ctx	*ctx;
	size_t			 mount;
	const char		*path;	/* NULL: no path argument (tx hooks) */
	int			 nvals;	/* extra arguments below */
	const char		*blob;	/* val[0] is this file (a Blob) */
	const char		*val[3];
	size_t			 vlen[3];
	struct csp_value	*vout;
	struct csp_info		*iout;
	int			 status;	/* result */
	char			*msg;		/* result message */
};

void
csp_value_free(struct csp_value *v)
{
	size_t i;

	if (v == NULL)
		return;
	if (v->has_fd && v->fd >= 0)
		close(v->fd);
	free(v->data);
	free(v->file);
	free(v->format);
	free(v->type);
	for (i = 0; i < v->nchildren; i++)
		free(v->children[i]);
	free(v->children);
	memset(v, 0, sizeof(*v));
}

void
csp_info_free(struct csp_info *i)
{
	if (i == NULL)
		return;
	free(i->format);
	free(i->type);
	free(i->access);
	free(i->acl);
	free(i->title);
	free(i->description);
	memset(i, 0, sizeof(*i));
	i->size = -1;
}

/* strdup that raises on failure (we are inside a protected call). */
static char *
xstrdup_l(lua_State *L, const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		luaL_error(L, "out of memory");
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Copies the string at idx into *dst (freeing the old), when it is one. */
static void
opt_string(lua_State *L, int idx, char **dst)
{
	size_t len;
	const char *s;

	if (lua_type(L, idx) != LUA_TSTRING)
		return;
	s = lua_tolstring(L, idx, &len);
	free(*dst);
	*dst = NULL;
	*dst = xstrdup_l(L, s, len);
}

static void
field_string(lua_State *L, int t, const char *key, char **dst)
{
	lua_getfield(L, t, key);
	opt_string(L, -1, dst);
	lua_pop(L, 1);
}

/* Pushes the ctx table of a call. */
static void
push_ctx(lua_State *L, const struct call *k)
{
	const struct csp_ctx *ctx = k->ctx;

	lua_createtable(L, 0, 8);
	lua_pushstring(L, ctx != NULL && ctx->scope == DM_SCOPE_USER ?
	    "user" : "device");
	lua_setfield(L, -2, "scope");
	if (ctx != NULL && ctx->server_id != NULL) {
		lua_pushstring(L, ctx->server_id);
		lua_setfield(L, -2, "server_id");
	}
	if (ctx != NULL && ctx->session_id != NULL) {
		lua_pushstring(L, ctx->session_id);
		lua_setfield(L, -2, "session_id");
	}
	if (ctx != NULL && ctx->uri != NULL) {
		lua_pushstring(L, ctx->uri);
		lua_setfield(L, -2, "uri");
	}
	lua_pushstring(L, k->cmd);
	lua_setfield(L, -2, "cmd");
	if (k->c->nmounts > 0) {
		lua_pushstring(L, k->c->mounts[k->mount].orig);
		lua_setfield(L, -2, "mount");
	}
	lua_dm_push_logfn(L);
	lua_setfield(L, -2, "log");
	lua_ctx_methods(L);
}

/*
 * Interprets (nil|false, status [, message]) and (nil|false, message)
 * results starting at idx. def is the status when nothing else says:
 * 404 for get/stat answering nil, 200 for a mutator answering nil.
 */
static void
status_results(lua_State *L, struct call *k, int idx, int def)
{
	lua_Integer st;
	int isnum;

	if (lua_type(L, idx + 1) == LUA_TSTRING &&
	    !lua_isnumber(L, idx + 1)) {
		/* nil, "message": a failure described in words */
		k->msg = xstrdup_l(L, lua_tostring(L, idx + 1),
		    lua_rawlen(L, idx + 1));
		k->status = dm_status_of_error(k->msg, DM_COMMAND_FAILED);
		if (k->kind != CALL_MUTATE && k->status == DM_COMMAND_FAILED &&
		    strstr(k->msg, strerror(ENOENT)) != NULL)
			k->status = DM_NOT_FOUND;
		return;
	}
	st = lua_tointegerx(L, idx + 1, &isnum);
	if (isnum && st >= 100 && st <= 599)
		k->status = (int)st;
	else
		k->status = def;
	if (lua_type(L, idx + 2) == LUA_TSTRING)
		k->msg = xstrdup_l(L, lua_tostring(L, idx + 2),
		    lua_rawlen(L, idx + 2));
}

static void
convert_stat(lua_State *L, struct call *k, int idx)
{
	struct csp_info *i = k->iout;
	int isnum;
	lua_Integer sz;

	if (lua_isnoneornil(L, idx)) {
		status_results(L, k, idx, DM_NOT_FOUND);
		return;
	}
	if (!lua_istable(L, idx))
		luaL_error(L, "%s: stat must return a table or nil, not %s",
		    k->c->name, luaL_typename(L, idx));
	field_string(L, idx, "format", &i->format);
	field_string(L, idx, "type", &i->type);
	field_string(L, idx, "access", &i->access);
	field_string(L, idx, "acl", &i->acl);
	field_string(L, idx, "title", &i->title);
	field_string(L, idx, "description", &i->description);
	lua_getfield(L, idx, "size");
	sz = lua_tointegerx(L, -1, &isnum);
	i->size = isnum ? sz : -1;
	lua_pop(L, 1);
	k->status = DM_OK;
}

/*
 * A get that answered the luadm.Blob at idx: the value is its file. With
 * take_files the open file goes to the caller (v->has_fd), else its
 * content is read (capped by limits.read_cap). Returns 0, or -1 with
 * k->status and k->msg set when the file cannot be had. May raise
 * (memory); v owns the descriptor from the start, so csp_get's
 * csp_value_free closes it whatever happens.
 */
static int
blob_value(lua_State *L, struct call *k, int idx)
{
	struct csp_value *v = k->vout;
	const char *path = NULL;
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd, e;

	lua_dm_blob_take(L, idx, &fd, &path);
	if (fd < 0) {
		e = errno;
		k->msg = util_asprintf("%s: %s", path, strerror(e));
		k->status = e == ENOENT ? DM_NOT_FOUND :
		    dm_status_of_error(strerror(e), DM_COMMAND_FAILED);
		return -1;
	}
	v->has_fd = 1;
	v->fd = fd;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		k->msg = util_asprintf("%s: not a regular file", path);
		k->status = DM_COMMAND_FAILED;
		return -1;
	}
	v->len = (size_t)st.st_size;
	v->file = xstrdup_l(L, path, strlen(path));
	if (k->c->take_files)
		return 0;
	/* the caller wants the value in memory */
	if (v->len > k->c->cfg->limits.read_cap) {
		k->msg = util_asprintf("%s: %zu bytes, larger than "
		    "limits.read_cap_mb", path, v->len);
		k->status = DM_COMMAND_FAILED;
		return -1;
	}
	v->data = malloc(v->len + 1);
	if (v->data == NULL)
		luaL_error(L, "out of memory");
	while (n < v->len) {
		r = pread(fd, v->data + n, v->len - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			k->msg = util_asprintf("%s: %s", path, r < 0 ?
			    strerror(errno) : "shorter than it was");
			k->status = DM_COMMAND_FAILED;
			return -1;
		}
		n += (size_t)r;
	}
	v->data[n] = '\0';
	close(fd);
	v->has_fd = 0;
	v->fd = -1;
	free(v->file);
	v->file = NULL;
	return 0;
}

static void
convert_get(lua_State *L, struct call *k, int idx)
{
	struct csp_value *v = k->vout;
	lua_Integer n, j;
	size_t len;
	const char *s;

	switch (lua_type(L, idx)) {
	case LUA_TNONE:
	case LUA_TNIL:
		status_results(L, k, idx, DM_NOT_FOUND);
		return;
	case LUA_TTABLE:
		n = (lua_Integer)lua_rawlen(L, idx);
		v->children = calloc((size_t)n + 1, sizeof(char *));
		if (v->children == NULL)
			luaL_error(L, "out of memory");
		for (j = 1; j <= n; j++) {
			lua_rawgeti(L, idx, j);
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "%s: get returned a child list "
				    "whose item %d is a %s, not a string",
				    k->c->name, (int)j, luaL_typename(L, -1));
			s = lua_tolstring(L, -1, &len);
			if (!uri_name_valid(s) || strlen(s) != len)
				luaL_error(L, "%s: get returned an invalid "
				    "child name \"%s\"", k->c->name, s);
			v->children[v->nchildren++] = xstrdup_l(L, s, len);
			lua_pop(L, 1);
		}
		v->format = xstrdup_l(L, "node", 4);
		break;
	case LUA_TBOOLEAN:
		s = lua_toboolean(L, idx) ? "true" : "false";
		v->data = xstrdup_l(L, s, strlen(s));
		v->len = strlen(s);
		v->format = xstrdup_l(L, "bool", 4);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			v->format = xstrdup_l(L, "int", 3);
		else
			v->format = xstrdup_l(L, "float", 5);
		/* FALLTHROUGH */
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		v->data = xstrdup_l(L, s, len);
		v->len = len;
		break;
	case LUA_TUSERDATA:
		if (lua_dm_is_blob(L, idx)) {
			if (blob_value(L, k, idx) != 0)
				return;
			break;
		}
		/* FALLTHROUGH */
	default:
		luaL_error(L, "%s: get returned a %s", k->c->name,
		    luaL_typename(L, idx));
	}
	opt_string(L, idx + 1, &v->format);
	if (v->format == NULL)
		v->format = xstrdup_l(L, "chr", 3);
	opt_string(L, idx + 2, &v->type);
	k->status = DM_OK;
}

static void
convert_mutate(lua_State *L, struct call *k, int idx)
{
	lua_Integer st;

	switch (lua_type(L, idx)) {
	case LUA_TNONE:
		k->status = DM_OK;
		return;
	case LUA_TNIL:
		status_results(L, k, idx, DM_OK);
		return;
	case LUA_TBOOLEAN:
		if (lua_toboolean(L, idx)) {
			k->status = DM_OK;
			return;
		}
		/* false [, status | message]: a failure */
		status_results(L, k, idx, DM_COMMAND_FAILED);
		return;
	case LUA_TNUMBER:
		st = lua_tointeger(L, idx);
		if (st < 100 || st > 599)
			luaL_error(L, "%s: %s returned %d, not a status code",
			    k->c->name, k->verb, (int)st);
		k->status = (int)st;
		if (lua_type(L, idx + 1) == LUA_TSTRING)
			k->msg = xstrdup_l(L, lua_tostring(L, idx + 1),
			    lua_rawlen(L, idx + 1));
		return;
	default:
		luaL_error(L, "%s: %s returned a %s", k->c->name, k->verb,
		    luaL_typename(L, idx));
	}
}

int
csp_access_allows(const char *access, const char *cmd)
{
	size_t n = strlen(cmd);
	const char *p = access;

	if (access == NULL)
		return 1;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '|')
			p++;
		if (strncasecmp(p, cmd, n) == 0 && (p[n] == '\0' ||
		    p[n] == ' ' || p[n] == ',' || p[n] == '|'))
			return 1;
		while (*p != '\0' && *p != ' ' && *p != ',' && *p != '|')
			p++;
	}
	return 0;
}

/*
 * ctx->need: runs the script's stat before the verb, in the same protected
 * call and with the same ctx table. Returns 1 when the verb may run, 0
 * when k->status is set (404, 405, or what stat said).
 * stack: ctx, contract, path on entry and on return.
 */
static int
precheck(lua_State *L, struct call *k)
{
	const char *access;

	lua_getfield(L, 2, "stat");
	if (!lua_isfunction(L, -1)) {
		lua_settop(L, 3);
		return 1;	/* no stat: the verb decides */
	}
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 3);
	lua_call(L, 2, 3);
	if (!lua_istable(L, -3)) {
		if (!lua_isnil(L, -3))
			luaL_error(L, "%s: stat must return a table or nil, "
			    "not %s", k->c->name, luaL_typename(L, -3));
		status_results(L, k, lua_gettop(L) - 2, DM_NOT_FOUND);
		lua_settop(L, 3);
		return 0;
	}
	lua_getfield(L, -3, "access");
	access = lua_tostring(L, -1);
	if (access != NULL && !csp_access_allows(access, k->ctx->need)) {
		k->status = DM_NOT_ALLOWED;
		k->msg = util_asprintf("%s: %s is not allowed (the node "
		    "allows %s)", k->ctx->uri != NULL ? k->ctx->uri : k->path,
		    k->ctx->need, access);
		lua_settop(L, 3);
		return 0;
	}
	lua_settop(L, 3);
	return 1;
}

/*
 * Runs one call in protected mode. stack: lightuserdata(call). The ctx
 * table, the contract and the path are pushed once and shared by the
 * precheck and the verb.
 */
static int
csp_trampoline(lua_State *L)
{
	struct call *k = lua_touserdata(L, 1);
	int base, nargs = 1, i;

	lua_settop(L, 0);
	push_ctx(L, k);
	lua_rawgeti(L, LUA_REGISTRYINDEX, k->c->ref);
	/* a hook has no path: its precheck (if any) stats the mount */
	lua_pushstring(L, k->path != NULL ? k->path : "");
						/* stack: ctx, contract, path */
	if (k->ctx != NULL && k->ctx->need != NULL && k->kind != CALL_STAT &&
	    !precheck(L, k))
		return 0;
	lua_getfield(L, 2, k->verb);		/* stack: ctx, contract, path,
						   fn */
	if (!lua_isfunction(L, -1)) {
		/* verb not implemented */
		k->status = k->kind == CALL_GET || k->kind == CALL_STAT ?
		    DM_NOT_FOUND : DM_NOT_ALLOWED;
		if (strcmp(k->verb, "flush") == 0 ||
		    strcmp(k->verb, "begin") == 0 ||
		    strcmp(k->verb, "commit") == 0)
			k->status = DM_OK;
		else if (k->kind == CALL_TEXT)
			k->status = DM_OPTIONAL_FEATURE;
		else
			k->msg = xstrdup_l(L, "the CSP does not implement ",
			    27);
		if (k->msg != NULL) {
			free(k->msg);
			k->msg = util_asprintf("%s does not implement %s",
			    k->c->name, k->verb);
		}
		return 0;
	}
	lua_pushvalue(L, 1);			/* stack: ..., fn, ctx */
	if (k->path != NULL) {
		lua_pushvalue(L, 3);
		nargs++;
	}
	for (i = 0; i < k->nvals; i++) {
		if (i == 0 && k->blob != NULL)
			lua_dm_push_blob(L, k->blob);
		else if (k->val[i] == NULL)
			lua_pushnil(L);
		else
			lua_pushlstring(L, k->val[i], k->vlen[i]);
		nargs++;
	}
	base = 4;	/* the function's index */
	lua_call(L, nargs, LUA_MULTRET);
	/* results now at base .. top */
	if (lua_gettop(L) < base)
		lua_settop(L, base - 1);
	switch (k->kind) {
	case CALL_STAT:
		convert_stat(L, k, base);
		break;
	case CALL_GET:
		convert_get(L, k, base);
		break;
	case CALL_MUTATE:
		convert_mutate(L, k, base);
		break;
	case CALL_TEXT:
		if (lua_type(L, base) == LUA_TSTRING) {
			k->vout->data = xstrdup_l(L, lua_tostring(L, base),
			    lua_rawlen(L, base));
			k->vout->len = lua_rawlen(L, base);
			k->status = DM_OK;
		} else
			status_results(L, k, base, DM_NOT_FOUND);
		break;
	}
	return 0;
}

/* First line of s, malloc'd. */
static char *
first_line(const char *s)
{
	size_t n = strcspn(s, "\n");

	return strndup(s, n);
}

/* Runs k; returns its status and hands k->msg to *msg (or frees it). */
static int
csp_run(struct call *k, char **msg)
{
	struct csp *c = k->c;
	lua_State *L;
	char *err = NULL;
	int rc, raised, top;

	if (msg != NULL)
		*msg = NULL;
	if (c->broken != NULL) {
		if (msg != NULL)
			*msg = util_asprintf("CSP %s is broken: %s", c->name,
			    c->broken);
		return DM_COMMAND_FAILED;
	}
	L = lua_host_state(c->host);
	top = lua_gettop(L);
	lua_pushcfunction(L, csp_trampoline);
	lua_pushlightuserdata(L, k);
	rc = lua_host_pcall(c->host, 1, 0, c->cfg->limits.csp_timeout_ms,
	    &err, &raised);
	assert(lua_gettop(L) == top);	/* the stack is clean */
	(void)top;
	if (rc != 0) {
		if (raised)
			log_debug("%s: %s %s: %d %s", c->name, k->verb,
			    k->path != NULL ? k->path : "", rc,
			    err != NULL ? err : "");
		else
			log_warnx("%s: %s of \"%s\" failed: %s", c->name,
			    k->verb, k->path != NULL ? k->path : "",
			    err != NULL ? err : "unknown error");
		free(k->msg);
		k->msg = NULL;
		if (msg != NULL && err != NULL)
			*msg = raised ? strdup(err) : first_line(err);
		free(err);
		return rc;
	}
	if (msg != NULL)
		*msg = k->msg;
	else
		free(k->msg);
	k->msg = NULL;
	return k->status;
}

/* Loads the script into c's state; sets c->broken on failure. */
static void
csp_load_script(struct csp *c)
{
	lua_State *L = lua_host_state(c->host);
	char *buf = NULL, *err = NULL, *chunk = NULL;
	size_t len, i;
	int rc, raised, t;

	rc = store_read(c->path, CSP_MAX_SCRIPT, &buf, &len, &err);
	if (rc != 0) {
		c->broken = rc == 1 ? util_asprintf("%s: no such file",
		    c->path) : err;
		return;
	}
	chunk = util_asprintf("@%s", c->path);
	if (chunk == NULL ||
	    luaL_loadbufferx(L, buf, len, chunk, "t") != LUA_OK) {
		c->broken = chunk == NULL ? strdup("out of memory") :
		    strdup(lua_tostring(L, -1));
		if (chunk != NULL)
			lua_pop(L, 1);
		goto out;
	}
	rc = lua_host_pcall(c->host, 0, 1, c->cfg->limits.csp_timeout_ms,
	    &err, &raised);
	if (rc != 0) {
		/* a mistake the SDK found (csp.define raises from a tail
		 * call) does not name the script: say which one it is */
		if (err != NULL && strstr(err, c->path) == NULL) {
			c->broken = util_asprintf("%s: %s", c->path, err);
			free(err);
		} else
			c->broken = err;
		goto out;
	}
	t = lua_gettop(L);
	if (!lua_istable(L, t)) {
		c->broken = util_asprintf("%s: the script must return a table "
		    "(the CSP contract), not %s", c->path, luaL_typename(L, t));
		lua_pop(L, 1);
		goto out;
	}
	for (i = 0; csp_verbs[i] != NULL; i++) {
		lua_pushstring(L, csp_verbs[i]);	/* raw: unprotected */
		lua_rawget(L, t);
		if (!lua_isnil(L, -1) && !lua_isfunction(L, -1)) {
			c->broken = util_asprintf("%s: field '%s' must be a "
			    "function", c->path, csp_verbs[i]);
			lua_pop(L, 2);
			goto out;
		}
		lua_pop(L, 1);
	}
	c->has_tx = 1;
	for (i = 6; i <= 8; i++) {
		lua_pushstring(L, csp_verbs[i]);
		lua_rawget(L, t);
		if (!lua_isfunction(L, -1))
			c->has_tx = 0;
		lua_pop(L, 1);
	}
	c->ref = luaL_ref(L, LUA_REGISTRYINDEX);
out:
	free(chunk);
	free(buf);
}

/* Reads and validates the mount field of the contract table. */
static void
csp_load_mounts(struct csp *c)
{
	lua_State *L = lua_host_state(c->host);
	const char *why = NULL;
	lua_Integer n, i;
	int rc;

	lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
	lua_pushliteral(L, "mount");		/* raw: unprotected */
	lua_rawget(L, -2);
	if (lua_type(L, -1) == LUA_TSTRING) {
		lua_createtable(L, 1, 0);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
	}
	if (!lua_istable(L, -1) || lua_rawlen(L, -1) == 0) {
		c->broken = util_asprintf("%s: 'mount' must be a URI such as "
		    "\"./Vendor/Example\" or a list of them", c->path);
		goto out;
	}
	n = (lua_Integer)lua_rawlen(L, -1);
	c->mounts = calloc((size_t)n, sizeof(*c->mounts));
	if (c->mounts == NULL) {
		c->broken = strdup("out of memory");
		goto out;
	}
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) != LUA_TSTRING) {
			c->broken = util_asprintf("%s: mount %d is not a "
			    "string", c->path, (int)i);
			lua_pop(L, 1);
			goto out;
		}
		rc = uri_parse(lua_tostring(L, -1), &c->mounts[i - 1], &why);
		if (rc != 0) {
			c->broken = util_asprintf("%s: bad mount \"%s\": %s",
			    c->path, lua_tostring(L, -1),
			    why != NULL ? why : "invalid");
			lua_pop(L, 1);
			goto out;
		}
		lua_pop(L, 1);
		c->nmounts++;
		if (c->mounts[i - 1].nseg == 0 || c->mounts[i - 1].scoped ||
		    c->mounts[i - 1].prop != NULL ||
		    c->mounts[i - 1].list != NULL) {
			c->broken = util_asprintf("%s: bad mount \"%s\": it "
			    "must name a node below the root, with no "
			    "./user or ./device prefix and no query", c->path,
			    c->mounts[i - 1].orig);
			goto out;
		}
	}
out:
	lua_pop(L, 2);
}

/* Runs the state set-up (libraries, dm API, strict globals). */
static int
csp_setup_p(lua_State *L)
{
	struct csp *c = lua_touserdata(L, 1);

	lua_dm_open(L, c->cfg, c->name);
	return 0;
}

struct csp *
csp_load(const char *path, const struct config *cfg)
{
	struct csp *c;
	const char *base;
	char *err = NULL;
	size_t n;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cfg = cfg;
	c->ref = LUA_NOREF;
	c->path = strdup(path);
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".lua") == 0)
		n -= 4;
	c->name = strndup(base, n);
	c->host = lua_host_new(cfg->limits.csp_memory);
	if (c->path == NULL || c->name == NULL || c->host == NULL ||
	    lua_host_openlibs(c->host) != 0) {
		csp_free(c);
		return NULL;
	}
	lua_pushcfunction(lua_host_state(c->host), csp_setup_p);
	lua_pushlightuserdata(lua_host_state(c->host), c);
	if (lua_host_pcall(c->host, 1, 0, 0, &err, NULL) != 0) {
		c->broken = err != NULL ? err : strdup("out of memory");
		return c;
	}
	lua_host_strict_globals(c->host);
	csp_load_script(c);
	if (c->broken == NULL)
		csp_load_mounts(c);
	if (c->broken != NULL)
		log_warnx("CSP %s not loaded: %s", c->name, c->broken);
	return c;
}

void
csp_free(struct csp *c)
{
	size_t i;

	if (c == NULL)
		return;
	lua_host_free(c->host);
	for (i = 0; i < c->nmounts; i++)
		uri_free(&c->mounts[i]);
	free(c->mounts);
	free(c->path);
	free(c->name);
	free(c->broken);
	free(c);
}

void
csp_rebind(struct csp *c, const struct config *cfg)
{
	c->cfg = cfg;
	if (c->host != NULL)
		lua_dm_rebind(lua_host_state(c->host), cfg);
}

const char *
csp_broken(const struct csp *c)
{
	return c->broken;
}

const char *
csp_path(const struct csp *c)
{
	return c->path;
}

const char *
csp_name(const struct csp *c)
{
	return c->name;
}

struct dm_uri *
csp_mounts(const struct csp *c, size_t *n)
{
	*n = c->nmounts;
	return c->mounts;
}

void
csp_take_files(struct csp *c, int on)
{
	c->take_files = on;
}

int
csp_has_tx(const struct csp *c)
{
	return c->broken == NULL && c->has_tx;
}

static void
call_init(struct call *k, struct csp *c, enum call_kind kind,
    const char *verb, const char *cmd, const struct csp_ctx *ctx,
    size_t mount, const char *path)
{
	memset(k, 0, sizeof(*k));
	k->c = c;
	k->kind = kind;
	k->verb = verb;
	k->cmd = cmd;
	k->ctx = ctx;
	k->mount = mount < c->nmounts ? mount : 0;
	k->path = path;
}

int
csp_stat(struct csp *c, const struct csp_ctx *ctx, size_t mount,
    const char *path, struct csp_info *out, char **msg)
{
	struct call k;
	struct csp_value v;
	int st;

	memset(out, 0, sizeof(*out));
	out->size = -1;
	call_init(&k, c, CALL_STAT, "stat", "Get", ctx, mount, path);
	k.iout = out;
	if (c->broken == NULL) {
		lua_State *L = lua_host_state(c->host);
		int has;

		lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
		lua_pushliteral(L, "stat");
		lua_rawget(L, -2);
		has = lua_isfunction(L, -1);
		lua_pop(L, 2);
		if (!has) {
			/* no stat: the node exists when get succeeds (a
			 * file need not be read to know that) */
			int take = c->take_files;

			memset(&v, 0, sizeof(v));
			c->take_files = 1;
			st = csp_get(c, ctx, mount, path, &v, msg);
			c->take_files = take;
			if (st == DM_OK) {
				out->format = v.format;
				out->type = v.type;
				v.format = v.type = NULL;
			}
			csp_value_free(&v);
			return st;
		}
	}
	st = csp_run(&k, msg);
	if (st != DM_OK)
		csp_info_free(out);
	return st;
}

int
csp_get(struct csp *c, const struct csp_ctx *ctx, size_t mount,
    const char *path, struct csp_value *out, char **msg)
{
	struct call k;
	int st;

	memset(out, 0, sizeof(*out));
	call_init(&k, c, CALL_GET, "get", "Get", ctx, mount, path);
	k.vout = out;
	st = csp_run(&k, msg);
	if (st != DM_OK)
		csp_value_free(out);
	return st;
}

static int
csp_mutate(struct csp *c, const char *verb, const char *cmd,
    const struct csp_ctx *ctx, size_t mount, const char *path,
    const struct csp_value *in, char **msg)
{
	struct call k;

	call_init(&k, c, CALL_MUTATE, verb, cmd, ctx, mount, path);
	if (in != NULL) {
		k.nvals = 3;
		k.blob = in->file;
		k.val[0] = in->data;
		k.vlen[0] = in->len;
		k.val[1] = in->format;
		k.vlen[1] = in->format != NULL ? strlen(in->format) : 0;
		k.val[2] = in->type;
		k.vlen[2] = in->type != NULL ? strlen(in->type) : 0;
	}
	return csp_run(&k, msg);
}

int
csp_add(struct csp *c, const struct csp_ctx *ctx, size_t mount,
    const char *path, const struct csp_value *in, char **msg)
{
	return csp_mutate(c, "add", "Add", ctx, mount, path, in, msg);
}

int
csp_replace(struct csp *c, const struct csp_ctx *ctx, size_t mount,
    const char *path, const struct csp_value *in, char **msg)
{
	return csp_mutate(c, "replace", "Replace", ctx, mount, path, in, msg);
}

int
csp_delete(struct csp *c, const struct csp_ctx *ctx, size_t mount,
    const char *path, char **msg)
{
	return csp_mutate(c, "delete", "Delete", ctx, mount, path, NULL, msg);
}

int
csp_exec(struct csp *c, const struct csp_ctx *ctx, size_t mount,
    const char *path, const char *data, size_t len, const char *correlator,
    char **msg)
{
	struct call k;

	call_init(&k, c, CALL_MUTATE, "exec", "Exec", ctx, mount, path);
	k.nvals = 2;
	k.val[0] = data;
	k.vlen[0] = len;
	k.val[1] = correlator;
	k.vlen[1] = correlator != NULL ? strlen(correlator) : 0;
	return csp_run(&k, msg);
}

static int
csp_hook(struct csp *c, const char *verb, const struct csp_ctx *ctx,
    char **msg)
{
	struct call k;

	call_init(&k, c, CALL_MUTATE, verb, "Atomic", ctx, 0, NULL);
	return csp_run(&k, msg);
}

int
csp_begin(struct csp *c, const struct csp_ctx *ctx, char **msg)
{
	return csp_hook(c, "begin", ctx, msg);
}

int
csp_commit(struct csp *c, const struct csp_ctx *ctx, char **msg)
{
	return csp_hook(c, "commit", ctx, msg);
}

int
csp_rollback(struct csp *c, const struct csp_ctx *ctx, char **msg)
{
	return csp_hook(c, "rollback", ctx, msg);
}

int
csp_ddf(struct csp *c, const struct csp_ctx *ctx, size_t mount,
    const char *path, char **xml, char **msg)
{
	struct csp_value v;
	struct call k;
	int st;

	*xml = NULL;
	memset(&v, 0, sizeof(v));
	call_init(&k, c, CALL_TEXT, "ddf", "Get", ctx, mount, path);
	k.vout = &v;
	st = csp_run(&k, msg);
	if (st == DM_OK) {
		*xml = v.data;
		v.data = NULL;
	}
	csp_value_free(&v);
	return st;
}

int
csp_flush(struct csp *c, char **msg)
{
	struct csp_ctx ctx;

	if (msg != NULL)
		*msg = NULL;
	if (c->broken != NULL)
		return DM_OK;
	memset(&ctx, 0, sizeof(ctx));
	return csp_hook(c, "flush", &ctx, msg);
}
