/*
 * dmtest.c: the scenario harness. Plays the DM server against the luadm
 * binary: runs one scenario file (tests/scenarios/NAME.lua) in a Lua 5.4 state
 * whose API (tests/harness/prelude.lua) builds server messages from XML
 * text, runs `luadm replay` on them, or serves them over HTTP(S) to `luadm
 * session` (dmserver.c), and checks the client's messages with XPath.
 *
 * It is written independently of the core on purpose: it neither includes
 * nor links core/ (no SyncML model, no engine, no auth), so a bug in the
 * core cannot hide in both halves of a test. This file holds only what Lua
 * cannot do on its own: run a program with a timeout (fork/exec, pipes,
 * poll, with the server's sockets polled in the same loop), parse XML and
 * evaluate XPath (libxml2), make and remove directories. The rest is
 * prelude.lua.
 *
 * usage: dmtest --luadm PATH --src REPO_ROOT [--shared DIR] scenario.lua
 * Exit: 0 every check passed, 1 a check failed, 2 usage or harness error.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "dmtest.h"

#define DOC_MT		"dmtest.Doc"
#define RUN_OUT_CAP	((size_t)64 * 1024 * 1024)
#define NS_SYNCML	"SYNCML:SYNCML1.2"
#define NS_METINF	"syncml:metinf"
#define POLL_MAX	64

/* A parsed document; the userdata owns it. */
struct doc {
	xmlDocPtr	 doc;
};

/* Pushes "what: strerror(errno)" as nil, msg and returns 2. */
static int
push_errno(lua_State *L, const char *what)
{
	int e = errno;

	lua_pushnil(L);
	lua_pushfstring(L, "%s: %s", what, strerror(e));
	return 2;
}

double
dmtest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libxml2 would print parse and XPath errors on stderr; we report ours. */
static void
xml_quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

/* ---- processes ---- */

/* Closes the read end of a stream, once. */
static void
stream_close(struct stream *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}

/* __gc of a run: closes the pipes, kills and reaps a child still there. */
static int
run_gc(lua_State *L)
{
	struct run *r = luaL_checkudata(L, 1, RUN_MT);
	int st;

	stream_close(&r->out);
	stream_close(&r->err);
	if (r->pid > 0) {
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
		while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
			;
		r->pid = 0;
	}
	free(r->out.buf);
	free(r->err.buf);
	r->out.buf = r->err.buf = NULL;
	free(r->argv);
	r->argv = NULL;
	return 0;
}

/* Reads what is available on s. Returns 0 at EOF, 1 otherwise. */
static int
stream_read(struct stream *s)
{
	char tmp[65536];
	ssize_t n;
	size_t want;
	char *p;

	n = read(s->fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		stream_close(s);
		return 0;
	}
	if (s->len + (size_t)n > RUN_OUT_CAP) {
		s->truncated = 1;
		return 1;
	}
	if (s->len + (size_t)n > s->cap) {
		want = s->cap == 0 ? 65536 : s->cap;
		while (want < s->len + (size_t)n)
			want *= 2;
		p = realloc(s->buf, want);
		if (p == NULL) {
			s->truncated = 1;
			return 1;
		}
		s->buf = p;
		s->cap = want;
	}
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	return 1;
}

/* In the child: never returns. */
static void
run_child(struct run *r, int out[2], int err[2], const char *cwd)
{
	int nul;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out[1], 1) < 0 ||
	    dup2(err[1], 2) < 0)
		_exit(127);
	if (cwd != NULL && chdir(cwd) != 0) {
		dprintf(2, "dmtest: %s: %s\n", cwd, strerror(errno));
		_exit(127);
	}
	execvp(r->argv[0], r->argv);
	dprintf(2, "dmtest: cannot run %s: %s\n", r->argv[0],
	    strerror(errno));
	_exit(127);
}

struct run *
run_spawn(lua_State *L, int argv_idx, const char *cwd)
{
	struct run *r;
	lua_Integer i, n;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };

	argv_idx = lua_absindex(L, argv_idx);
	luaL_checktype(L, argv_idx, LUA_TTABLE);
	n = luaL_len(L, argv_idx);
	luaL_argcheck(L, n >= 1 && n < 100000, argv_idx,
	    "argv must not be empty");
	for (i = 1; i <= n; i++) {
		if (lua_geti(L, argv_idx, i) != LUA_TSTRING)
			luaL_argerror(L, argv_idx, "argv must hold strings");
		lua_pop(L, 1);
	}
	r = lua_newuserdatauv(L, sizeof(*r), 1);
	memset(r, 0, sizeof(*r));
	r->out.fd = r->err.fd = -1;
	luaL_setmetatable(L, RUN_MT);
	/* keep the argv strings alive as long as the run */
	lua_pushvalue(L, argv_idx);
	lua_setiuservalue(L, -2, 1);
	r->argv = calloc((size_t)n + 1, sizeof(char *));
	if (r->argv == NULL)
		luaL_error(L, "out of memory");
	for (i = 1; i <= n; i++) {
		lua_geti(L, argv_idx, i);
		r->argv[i - 1] = (char *)lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	if (pipe(out) != 0)
		goto fail;
	r->out.fd = out[0];
	if (pipe(err) != 0) {
		close(out[1]);
		goto fail;
	}
	r->err.fd = err[0];
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	fcntl(err[0], F_SETFD, FD_CLOEXEC);
	r->start = dmtest_now();
	r->pid = fork();
	if (r->pid < 0) {
		r->pid = 0;
		close(out[1]);
		close(err[1]);
		goto fail;
	}
	if (r->pid == 0)
		run_child(r, out, err, cwd);
	setpgid(r->pid, r->pid);
	close(out[1]);
	close(err[1]);
	return r;
fail:
	push_errno(L, "cannot start a process");
	lua_remove(L, -3);	/* the run: its __gc closes what is open */
	return NULL;
}

void
run_wait(lua_State *L, struct run *r, double timeout,
    const struct run_hook *hook)
{
	struct pollfd pfd[POLL_MAX];
	double deadline, left, next;
	int st = 0, timed_out = 0, nfd, nhook, rc, j, ms;

	deadline = r->start + timeout;
	while (r->out.fd >= 0 || r->err.fd >= 0) {
		nfd = 0;
		if (r->out.fd >= 0) {
			pfd[nfd].fd = r->out.fd;
			pfd[nfd].events = POLLIN;
			pfd[nfd++].revents = 0;
		}
		if (r->err.fd >= 0) {
			pfd[nfd].fd = r->err.fd;
			pfd[nfd].events = POLLIN;
			pfd[nfd++].revents = 0;
		}
		left = deadline - dmtest_now();
		if (left <= 0) {
			if (timed_out)
				break;	/* killed; the pipes stay open */
			timed_out = 1;
			kill(-r->pid, SIGKILL);
			kill(r->pid, SIGKILL);
			deadline = dmtest_now() + 5;
			continue;
		}
		next = deadline;
		nhook = 0;
		if (hook != NULL)
			nhook = hook->fill(hook->arg, pfd + nfd, POLL_MAX - nfd,
			    &next);
		left = next - dmtest_now();
		ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
		rc = poll(pfd, (nfds_t)(nfd + nhook), ms);
		if (rc < 0 && errno != EINTR)
			break;
		for (j = 0; rc > 0 && j < nfd; j++) {
			if (pfd[j].revents == 0)
				continue;
			if (pfd[j].fd == r->out.fd)
				stream_read(&r->out);
			else if (pfd[j].fd == r->err.fd)
				stream_read(&r->err);
		}
		if (hook != NULL && rc >= 0)
			hook->handle(hook->arg, L, pfd + nfd, nhook);
	}
	stream_close(&r->out);
	stream_close(&r->err);
	while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
		;
	r->pid = 0;
	lua_createtable(L, 0, 8);
	lua_pushlstring(L, r->out.buf != NULL ? r->out.buf : "", r->out.len);
	lua_setfield(L, -2, "stdout");
	lua_pushlstring(L, r->err.buf != NULL ? r->err.buf : "", r->err.len);
	lua_setfield(L, -2, "stderr");
	if (WIFEXITED(st)) {
		lua_pushinteger(L, WEXITSTATUS(st));
		lua_setfield(L, -2, "code");
	} else if (WIFSIGNALED(st)) {
		lua_pushinteger(L, WTERMSIG(st));
		lua_setfield(L, -2, "signal");
	}
	lua_pushboolean(L, timed_out);
	lua_setfield(L, -2, "timed_out");
	lua_pushboolean(L, r->out.truncated || r->err.truncated);
	lua_setfield(L, -2, "truncated");
	lua_pushnumber(L, dmtest_now() - r->start);
	lua_setfield(L, -2, "elapsed");
}

/*
 * dmtest.run(argv, timeout_s [, cwd]) -> { stdout, stderr, code, signal,
 * timed_out, elapsed } | nil, err. Runs argv[1] (searched in PATH) with
 * stdin /dev/null in its own process group; kills the group after
 * timeout_s seconds. May raise.
 */
static int
l_run(lua_State *L)
{
	struct run *r;
	double timeout;
	const char *cwd;

	luaL_checktype(L, 1, LUA_TTABLE);
	timeout = luaL_checknumber(L, 2);
	cwd = luaL_optstring(L, 3, NULL);
	r = run_spawn(L, 1, cwd);
	if (r == NULL)
		return 2;
	run_wait(L, r, timeout, NULL);
	return 1;
}

/* ---- files ---- */

/* dmtest.mkdirs(path) -> true | nil, err: mkdir -p. */
static int
l_mkdirs(lua_State *L)
{
	size_t len;
	const char *path = luaL_checklstring(L, 1, &len);
	char *p, *s;
	int end;

	luaL_argcheck(L, len > 0, 1, "empty path");
	p = lua_newuserdatauv(L, len + 1, 0);	/* freed by the GC */
	memcpy(p, path, len + 1);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		end = *s == '\0' || s[1] == '\0';
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return push_errno(L, p);
		if (end)
			break;
		*s = '/';
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* nftw callback of rm_rf: removes one entry (depth first). */
static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Removes path and everything below it; 0 or -1. */
static int
rm_rf(const char *path)
{
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

/* ---- XML ---- */

/* The document at index i, not yet freed. May raise. */
static struct doc *
check_doc(lua_State *L, int i)
{
	struct doc *d = luaL_checkudata(L, i, DOC_MT);

	if (d->doc == NULL)
		luaL_argerror(L, i, "document is freed");
	return d;
}

/* __gc of a document. */
static int
doc_gc(lua_State *L)
{
	struct doc *d = luaL_checkudata(L, 1, DOC_MT);

	if (d->doc != NULL)
		xmlFreeDoc(d->doc);
	d->doc = NULL;
	return 0;
}

/*
 * dmtest.parse(text) -> doc | nil, err. Never loads anything from the
 * network or substitutes entities. May raise (memory).
 */
static int
l_parse(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	xmlParserCtxtPtr ctxt;
	const xmlError *e;
	struct doc *d;
	char msg[512];

	if (len > (size_t)0x7fffffff)
		return luaL_argerror(L, 1, "too large");
	d = lua_newuserdatauv(L, sizeof(*d), 0);
	d->doc = NULL;
	luaL_setmetatable(L, DOC_MT);
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return luaL_error(L, "out of memory");
	d->doc = xmlCtxtReadMemory(ctxt, text, (int)len, "message.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d->doc == NULL) {
		e = xmlCtxtGetLastError(ctxt);
		snprintf(msg, sizeof(msg), "line %d: %s",
		    e != NULL ? e->line : 0,
		    e != NULL && e->message != NULL ? e->message :
		    "not well-formed\n");
		msg[strcspn(msg, "\n")] = '\0';
		xmlFreeParserCtxt(ctxt);
		lua_pushnil(L);
		lua_pushstring(L, msg);
		return 2;
	}
	xmlFreeParserCtxt(ctxt);
	return 1;
}

/* What an XPath evaluation holds while its result is pushed. */
struct xp {
	xmlXPathContextPtr	 ctx;
	xmlXPathObjectPtr	 obj;
	xmlChar			*s;
};

/* __gc of what an XPath evaluation or a dump holds. */
static int
xp_gc(lua_State *L)
{
	struct xp *x = lua_touserdata(L, 1);

	xmlFree(x->s);
	x->s = NULL;
	if (x->obj != NULL)
		xmlXPathFreeObject(x->obj);
	x->obj = NULL;
	if (x->ctx != NULL)
		xmlXPathFreeContext(x->ctx);
	x->ctx = NULL;
	return 0;
}

/* Pushes an XPath number, as an integer when it is one. */
static void
push_number(lua_State *L, double v)
{
	if (v == (double)(lua_Integer)v && v > -1e15 && v < 1e15)
		lua_pushinteger(L, (lua_Integer)v);
	else
		lua_pushnumber(L, v);
}

/*
 * doc:xpath(expr) -> { string, ... } for a node set (each node's string
 * value), or a number, boolean or string. Prefixes: s = SyncML 1.2,
 * m = metinf. Raises on an invalid expression.
 */
static int
doc_xpath(lua_State *L)
{
	struct doc *d = check_doc(L, 1);
	const char *expr = luaL_checkstring(L, 2);
	xmlNodeSetPtr ns;
	struct xp *x;
	int i;

	x = lua_newuserdatauv(L, sizeof(*x), 0);
	memset(x, 0, sizeof(*x));
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, xp_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	/* stack: doc, expr, xp */
	x->ctx = xmlXPathNewContext(d->doc);
	if (x->ctx == NULL)
		return luaL_error(L, "out of memory");
	if (xmlXPathRegisterNs(x->ctx, BAD_CAST "s", BAD_CAST NS_SYNCML) != 0 ||
	    xmlXPathRegisterNs(x->ctx, BAD_CAST "m", BAD_CAST NS_METINF) != 0)
		return luaL_error(L, "out of memory");
	x->obj = xmlXPathEvalExpression(BAD_CAST expr, x->ctx);
	if (x->obj == NULL)
		return luaL_error(L, "invalid XPath expression: %s", expr);
	switch (x->obj->type) {
	case XPATH_NODESET:
		ns = x->obj->nodesetval;
		lua_createtable(L, ns != NULL ? ns->nodeNr : 0, 0);
		for (i = 0; ns != NULL && i < ns->nodeNr; i++) {
			x->s = xmlXPathCastNodeToString(ns->nodeTab[i]);
			if (x->s == NULL)
				return luaL_error(L, "out of memory");
			lua_pushstring(L, (const char *)x->s);
			xmlFree(x->s);
			x->s = NULL;
			lua_rawseti(L, -2, i + 1);
		}
		break;
	case XPATH_BOOLEAN:
		lua_pushboolean(L, x->obj->boolval);
		break;
	case XPATH_NUMBER:
		push_number(L, x->obj->floatval);
		break;
	case XPATH_STRING:
		lua_pushstring(L, (const char *)x->obj->stringval);
		break;
	default:
		return luaL_error(L, "XPath %s: unsupported result type",
		    expr);
	}
	return 1;
}

/* doc:pretty() -> the document, indented. May raise. */
static int
doc_pretty(lua_State *L)
{
	struct doc *d = check_doc(L, 1);
	struct xp *x;
	int len = 0;

	x = lua_newuserdatauv(L, sizeof(*x), 0);
	memset(x, 0, sizeof(*x));
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, xp_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	xmlDocDumpFormatMemory(d->doc, &x->s, &len, 1);
	if (x->s == NULL)
		return luaL_error(L, "out of memory");
	lua_pushlstring(L, (const char *)x->s, (size_t)len);
	return 1;
}

static const luaL_Reg doc_methods[] = {
	{ "xpath", doc_xpath },
	{ "pretty", doc_pretty },
	{ NULL, NULL }
};

static const luaL_Reg native_funcs[] = {
	{ "run", l_run },
	{ "parse", l_parse },
	{ "mkdirs", l_mkdirs },
	{ NULL, NULL }
};

/* Message handler: adds a traceback (lua.c msghandler). */
static int
msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (msg == NULL)
		msg = lua_pushfstring(L, "(error object is a %s value)",
		    luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* The harness options. Strings are borrowed from argv. */
struct opts {
	const char	*luadm;
	const char	*src;
	const char	*shared;
	const char	*scenario;
	const char	*tmp;
	int		 keep;
};

/*
 * Protected body: builds the native table, runs prelude.lua with it.
 * The prelude returns the exit code (pushed as result).
 */
static int
pmain(lua_State *L)
{
	const struct opts *o = lua_touserdata(L, 1);
	const char *prelude;

	luaL_openlibs(L);
	luaL_newmetatable(L, DOC_MT);
	luaL_newlib(L, doc_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, doc_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);			/* pop mt */
	luaL_newmetatable(L, RUN_MT);
	lua_pushcfunction(L, run_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);			/* pop mt */

	prelude = lua_pushfstring(L, "%s/tests/harness/prelude.lua", o->src);
	if (luaL_loadfilex(L, prelude, "t") != LUA_OK)
		return lua_error(L);
	luaL_newlib(L, native_funcs);
	dmserver_register(L);
	dmcrypto_register(L);
	lua_createtable(L, 0, 8);
	lua_pushstring(L, o->luadm);
	lua_setfield(L, -2, "luadm");
	lua_pushstring(L, o->src);
	lua_setfield(L, -2, "src");
	lua_pushstring(L, o->shared);
	lua_setfield(L, -2, "shared");
	lua_pushstring(L, o->scenario);
	lua_setfield(L, -2, "scenario");
	lua_pushstring(L, o->tmp);
	lua_setfield(L, -2, "tmp");
	lua_pushboolean(L, o->keep);
	lua_setfield(L, -2, "keep");
	/* stack: opts, path, prelude, native, options */
	lua_call(L, 2, 1);
	return 1;
}

/* path made absolute in buf (PATH_MAX bytes), or path when it cannot be. */
static const char *
absolute(const char *path, char *buf)
{
	return realpath(path, buf) != NULL ? buf : path;
}

/* Prints the usage and exits 2. */
static void
usage(void)
{
	fprintf(stderr, "usage: dmtest --luadm PATH [--src REPO_ROOT] "
	    "[--shared DIR] scenario.lua\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "luadm", required_argument, NULL, 'l' },
		{ "src", required_argument, NULL, 's' },
		{ "shared", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char luadm_buf[PATH_MAX], src_buf[PATH_MAX], shared_buf[PATH_MAX];
	char scenario_buf[PATH_MAX];
	struct opts o;
	lua_State *L;
	const char *keep, *tmpdir;
	char tmpl[4096];
	int ch, rc = 2;

	memset(&o, 0, sizeof(o));
	o.src = DMTEST_SOURCE_DIR;
	o.shared = DMTEST_SOURCE_DIR "/../shared";
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o.luadm = optarg;
			break;
		case 's':
			o.src = optarg;
			break;
		case 'S':
			o.shared = optarg;
			break;
		default:
			usage();
		}
	}
	if (o.luadm == NULL || argc - optind != 1)
		usage();
	o.scenario = argv[optind];
	/* the scenario runs luadm from its temp dir: make paths absolute */
	if (strchr(o.luadm, '/') != NULL)
		o.luadm = absolute(o.luadm, luadm_buf);
	o.src = absolute(o.src, src_buf);
	o.shared = absolute(o.shared, shared_buf);
	o.scenario = absolute(o.scenario, scenario_buf);
	keep = getenv("DMTEST_KEEP");
	o.keep = keep != NULL && strcmp(keep, "") != 0 &&
	    strcmp(keep, "0") != 0;

	signal(SIGPIPE, SIG_IGN);
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, xml_quiet);

	tmpdir = getenv("TMPDIR");
	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/dmtest.XXXXXX",
	    tmpdir) >= sizeof(tmpl)) {
		fprintf(stderr, "dmtest: TMPDIR is too long\n");
		return 2;
	}
	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "dmtest: mkdtemp %s: %s\n", tmpl,
		    strerror(errno));
		return 2;
	}
	o.tmp = tmpl;

	L = luaL_newstate();
	if (L == NULL) {
		fprintf(stderr, "dmtest: out of memory\n");
		goto out;
	}
	lua_pushcfunction(L, msghandler);
	lua_pushcfunction(L, pmain);
	lua_pushlightuserdata(L, &o);
	if (lua_pcall(L, 1, 1, 1) != LUA_OK) {
		fprintf(stderr, "dmtest: %s\n", lua_tostring(L, -1));
		rc = 2;
	} else if (lua_isinteger(L, -1))
		rc = (int)lua_tointeger(L, -1);
	else {
		fprintf(stderr, "dmtest: the prelude returned no exit code\n");
		rc = 2;
	}
	lua_close(L);
out:
	if (o.keep)
		fprintf(stderr, "dmtest: kept %s\n", tmpl);
	else if (rm_rf(tmpl) != 0)
		fprintf(stderr, "dmtest: cannot remove %s: %s\n", tmpl,
		    strerror(errno));
	xmlCleanupParser();
	return rc;
}
