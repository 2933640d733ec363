/*
 * dmserver.c: the scripted DM server of dmtest: an HTTP/1.1 server on
 * 127.0.0.1 (a free port), plain or TLS (OpenSSL, optionally requiring a
 * client certificate), whose requests a Lua function answers while luadm
 * runs. It is polled from run_wait (dmtest.c) in the same loop as the
 * child's pipes, so the Lua handler runs in the harness's one thread.
 *
 *   srv = native.listen { tls = { cert = PEM, key = PEM, client_ca = PEM,
 *                         client_cert = "require"|"request" } }  -- or {}
 *   srv:port()
 *   res = srv:serve(argv, timeout, cwd, handler)
 *
 * handler(req) gets { method, target, path, query, version, headers =
 * { {name, value}, ... }, header = { lower-case name = value }, body,
 * conn (the connection's number), peer_cert (the client certificate's
 * subject, or nil), at (seconds since the run started) } and returns what
 * to do:
 *   { status = 200, reason, headers = { {name, value}, ... }, body,
 *     content_length = N (announce N; fewer body bytes then close),
 *     delay = seconds (stall before answering), close = true }
 *   { drop = true }          close the connection without an answer
 *   { raw = "bytes" }        send exactly these bytes, then close
 * A handler that raises gets a 500 and its error in res.errors.
 * serve() returns run_wait's table plus accepts (TCP connections taken
 * during this run), events (TLS and protocol failures, one line each) and
 * errors (handler errors).
 *
 * Written for tests: at most CONN_MAX connections, no chunked request
 * bodies (curl sends Content-Length), nothing outlives one serve() but the
 * listening socket.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <lauxlib.h>
#include <lua.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dmtest.h"

#define CONN_MAX	32
#define HEAD_MAX	(64 * 1024)
#define BODY_MAX	((size_t)64 * 1024 * 1024)

enum conn_state {
	C_FREE,
	C_HANDSHAKE,	/* TLS handshake in progress */
	C_READ,		/* reading a request */
	C_WAIT,		/* answer ready, held until wake */
	C_WRITE		/* writing the answer */
};

struct conn {
	enum conn_state	 state;
	int		 fd;
	SSL		*ssl;
	int		 id;		/* accept number, from 1 */
	short		 want;		/* POLLIN or POLLOUT next */
	char		*in;
	size_t		 inlen;
	size_t		 incap;
	char		*out;
	size_t		 outlen;
	size_t		 outoff;
	double		 wake;		/* C_WAIT: when to write */
	int		 close_after;	/* close once out is written */
	int		 hard_close;	/* no TLS close_notify */
	char		*peer;		/* client cert subject */
};

struct server {
	int		 lfd;
	int		 port;
	SSL_CTX		*ctx;
	int		 accepts;	/* since listen */
	struct conn	 conns[CONN_MAX];
	/* while serve() runs */
	int		 handler;	/* stack index of the handler */
	int		 events;	/* stack index of the events list */
	int		 errors;	/* stack index of the errors list */
	double		 start;
};

static void
conn_free_bufs(struct conn *c)
{
	free(c->in);
	free(c->out);
	free(c->peer);
	c->in = c->out = c->peer = NULL;
	c->inlen = c->incap = c->outlen = c->outoff = 0;
}

/* Closes a connection: with close_notify unless hard. */
static void
conn_close(struct conn *c, int hard)
{
	if (c->state == C_FREE)
		return;
	if (c->ssl != NULL) {
		if (!hard && c->state != C_HANDSHAKE)
			SSL_shutdown(c->ssl);	/* one try; non-blocking */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	conn_free_bufs(c);
	c->state = C_FREE;
}

static void
server_close_all(struct server *s)
{
	int i;

	for (i = 0; i < CONN_MAX; i++)
		conn_close(&s->conns[i], 1);
}

/* __gc and srv:close(). */
static int
server_gc(lua_State *L)
{
	struct server *s = luaL_checkudata(L, 1, SERVER_MT);

	server_close_all(s);
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
	return 0;
}

/* Appends a formatted line to the list at stack index idx. */
static void
add_line(lua_State *L, int idx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_line(lua_State *L, int idx, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (idx == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lua_pushstring(L, buf);
	lua_seti(L, idx, luaL_len(L, idx) + 1);
}

/* OpenSSL's queued errors as one line (or what), emptying the queue. */
static void
ssl_errors(char *buf, size_t size, const char *what)
{
	unsigned long e;
	size_t n = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		if (n > 0 && n + 2 < size) {
			memcpy(buf + n, "; ", 3);
			n += 2;
		}
		if (n < size)
			ERR_error_string_n(e, buf + n, size - n);
		n = strlen(buf);
	}
	if (n == 0)
		snprintf(buf, size, "%s", what);
}

/* ---- I/O ---- */

/*
 * Reads what is there into c->in. Returns 1 when something was read or
 * nothing is there yet, 0 at EOF or on an error (the connection must go).
 */
static int
conn_read(lua_State *L, struct server *s, struct conn *c)
{
	char tmp[16384], why[512];
	ssize_t n;
	size_t want;
	char *p;
	int r, e;

	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, tmp, sizeof(tmp));
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ) {
					c->want = POLLIN;
					return 1;
				}
				if (e == SSL_ERROR_WANT_WRITE) {
					c->want = POLLOUT;
					return 1;
				}
				if (e != SSL_ERROR_ZERO_RETURN &&
				    c->inlen > 0) {
					ssl_errors(why, sizeof(why), "EOF");
					add_line(L, s->events, "connection %d: "
					    "TLS read failed: %s", c->id, why);
				}
				ERR_clear_error();
				return 0;
			}
			n = r;
		} else {
			n = read(c->fd, tmp, sizeof(tmp));
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				c->want = POLLIN;
				return 1;
			}
			if (n <= 0)
				return 0;
		}
		if (c->inlen + (size_t)n > HEAD_MAX + BODY_MAX) {
			add_line(L, s->events, "connection %d: request too "
			    "large", c->id);
			return 0;
		}
		if (c->inlen + (size_t)n > c->incap) {
			want = c->incap == 0 ? 65536 : c->incap * 2;
			while (want < c->inlen + (size_t)n)
				want *= 2;
			p = realloc(c->in, want);
			if (p == NULL)
				return 0;
			c->in = p;
			c->incap = want;
		}
		memcpy(c->in + c->inlen, tmp, (size_t)n);
		c->inlen += (size_t)n;
	}
}

/*
 * Writes what is left of c->out. Returns 1 when done or blocked (see
 * c->outoff), 0 on an error.
 */
static int
conn_write(struct conn *c)
{
	ssize_t n;
	int r, e;

	while (c->outoff < c->outlen) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, c->out + c->outoff,
			    (int)(c->outlen - c->outoff));
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE) {
					c->want = POLLOUT;
					return 1;
				}
				if (e == SSL_ERROR_WANT_READ) {
					c->want = POLLIN;
					return 1;
				}
				ERR_clear_error();
				return 0;
			}
			n = r;
		} else {
			n = write(c->fd, c->out + c->outoff,
			    c->outlen - c->outoff);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				c->want = POLLOUT;
				return 1;
			}
			if (n <= 0)
				return 0;
		}
		c->outoff += (size_t)n;
	}
	return 1;
}

/* ---- requests ---- */

/* Length of the head (through CRLFCRLF) in c->in, or 0 when incomplete. */
static size_t
head_len(const struct conn *c)
{
	size_t i;

	for (i = 3; i < c->inlen; i++)
		if (c->in[i] == '\n' && c->in[i - 1] == '\r' &&
		    c->in[i - 2] == '\n' && c->in[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* A header's value in the head [p, end) (case-insensitive), or NULL. */
static const char *
find_header(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *eol, *v;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			while (*vlen > 0 && (v[*vlen - 1] == '\r' ||
			    v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

/*
 * Pushes the request table of the head [0, hlen) and body [hlen, hlen +
 * blen) of c->in. May raise (memory).
 */
static void
push_request(lua_State *L, struct server *s, struct conn *c, size_t hlen,
    size_t blen)
{
	const char *p = c->in, *end = c->in + hlen - 2, *eol, *sp1, *sp2;
	const char *q, *colon, *v;
	luaL_Buffer b;
	size_t vlen;
	int n = 0;

	lua_createtable(L, 0, 12);
	eol = memchr(p, '\r', (size_t)(end - p));
	if (eol == NULL)
		eol = end;
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) :
	    NULL;
	if (sp1 != NULL && sp2 != NULL) {
		lua_pushlstring(L, p, (size_t)(sp1 - p));
		lua_setfield(L, -2, "method");
		lua_pushlstring(L, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		lua_setfield(L, -2, "target");
		q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
		lua_pushlstring(L, sp1 + 1, (size_t)((q != NULL ? q : sp2) -
		    sp1 - 1));
		lua_setfield(L, -2, "path");
		if (q != NULL) {
			lua_pushlstring(L, q + 1, (size_t)(sp2 - q - 1));
			lua_setfield(L, -2, "query");
		}
		lua_pushlstring(L, sp2 + 1, (size_t)(eol - sp2 - 1));
		lua_setfield(L, -2, "version");
	}
	lua_newtable(L);	/* headers */
	lua_newtable(L);	/* header */
	/* stack: req, headers, header */
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			continue;
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(eol - v);
		while (vlen > 0 && v[vlen - 1] == ' ')
			vlen--;
		lua_createtable(L, 2, 0);
		lua_pushlstring(L, p, (size_t)(colon - p));
		lua_rawseti(L, -2, 1);
		lua_pushlstring(L, v, vlen);
		lua_rawseti(L, -2, 2);
		lua_rawseti(L, -3, ++n);
		/* header[lower(name)] = value, repeated ones joined by ", " */
		luaL_buffinit(L, &b);
		for (q = p; q < colon; q++)
			luaL_addchar(&b, (char)tolower((unsigned char)*q));
		luaL_pushresult(&b);
		/* stack: req, headers, header, lname */
		if (lua_getfield(L, -2, lua_tostring(L, -1)) == LUA_TSTRING) {
			lua_pushliteral(L, ", ");
			lua_pushlstring(L, v, vlen);
			lua_concat(L, 3);
		} else {
			lua_pop(L, 1);
			lua_pushlstring(L, v, vlen);
		}
		lua_setfield(L, -3, lua_tostring(L, -2));
		lua_pop(L, 1);	/* lname */
	}
	lua_setfield(L, -3, "header");
	lua_setfield(L, -2, "headers");
	lua_pushlstring(L, c->in + hlen, blen);
	lua_setfield(L, -2, "body");
	lua_pushinteger(L, c->id);
	lua_setfield(L, -2, "conn");
	lua_pushboolean(L, c->ssl != NULL);
	lua_setfield(L, -2, "tls");
	if (c->peer != NULL) {
		lua_pushstring(L, c->peer);
		lua_setfield(L, -2, "peer_cert");
	}
	lua_pushnumber(L, dmtest_now() - s->start);
	lua_setfield(L, -2, "at");
}

/* A field of the table on top as a string (NULL when absent). */
static const char *
opt_field_str(lua_State *L, const char *k, size_t *len)
{
	const char *v = NULL;

	if (lua_getfield(L, -1, k) == LUA_TSTRING)
		v = lua_tolstring(L, -1, len);
	lua_pop(L, 1);	/* strings stay alive: the table holds them */
	return v;
}

static const char *
reason_of(long status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* Appends to c->out; 0 or -1 (memory). */
static int
out_add(struct conn *c, const char *p, size_t n)
{
	char *q;

	q = realloc(c->out, c->outlen + n + 1);
	if (q == NULL)
		return -1;
	c->out = q;
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return 0;
}

static int
out_printf(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
out_printf(struct conn *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return out_add(c, buf, (size_t)n);
}

/*
 * Turns the handler's answer (table on top, popped) into c->out and the
 * connection's next state. May raise (memory).
 */
static void
take_response(lua_State *L, struct server *s, struct conn *c)
{
	const char *body, *raw, *reason, *name, *value;
	size_t blen = 0, rlen = 0;
	lua_Integer status, clen, i, n;
	double delay;
	int isnum, bad = 0;

	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->close_after = 0;
	c->hard_close = 0;
	if (!lua_istable(L, -1)) {
		add_line(L, s->errors, "connection %d: the handler returned "
		    "%s, not a response table", c->id, luaL_typename(L, -1));
		lua_pop(L, 1);
		lua_createtable(L, 0, 2);
		lua_pushinteger(L, 500);
		lua_setfield(L, -2, "status");
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "close");
	}
	lua_getfield(L, -1, "delay");
	delay = lua_tonumber(L, -1);
	lua_pop(L, 1);
	c->wake = dmtest_now() + (delay > 0 ? delay : 0);
	c->state = delay > 0 ? C_WAIT : C_WRITE;
	c->want = POLLOUT;
	if (lua_getfield(L, -1, "drop") != LUA_TNIL &&
	    lua_toboolean(L, -1)) {
		lua_pop(L, 2);
		c->close_after = 1;
		c->hard_close = 1;
		return;		/* nothing to write: closed when due */
	}
	lua_pop(L, 1);
	raw = opt_field_str(L, "raw", &rlen);
	if (raw != NULL) {
		if (out_add(c, raw, rlen) != 0)
			bad = 1;
		c->close_after = 1;
		c->hard_close = 1;
		goto done;
	}
	lua_getfield(L, -1, "status");
	status = lua_tointegerx(L, -1, &isnum);
	lua_pop(L, 1);
	if (!isnum)
		status = 200;
	reason = opt_field_str(L, "reason", NULL);
	body = opt_field_str(L, "body", &blen);
	if (body == NULL) {
		body = "";
		blen = 0;
	}
	lua_getfield(L, -1, "content_length");
	clen = lua_tointegerx(L, -1, &isnum);
	lua_pop(L, 1);
	if (!isnum)
		clen = (lua_Integer)blen;
	if (clen > (lua_Integer)blen) {
		c->close_after = 1;	/* the rest never comes */
		c->hard_close = 1;
	}
	if (lua_getfield(L, -1, "close") != LUA_TNIL && lua_toboolean(L, -1))
		c->close_after = 1;
	lua_pop(L, 1);
	if (out_printf(c, "HTTP/1.1 %d %s\r\n", (int)status,
	    reason != NULL ? reason : reason_of((long)status)) != 0 ||
	    out_printf(c, "Content-Length: %lld\r\n", (long long)clen) != 0)
		bad = 1;
	if (c->close_after && out_printf(c, "Connection: close\r\n") != 0)
		bad = 1;
	if (lua_getfield(L, -1, "headers") == LUA_TTABLE) {
		n = luaL_len(L, -1);
		for (i = 1; i <= n; i++) {
			lua_geti(L, -1, i);
			lua_geti(L, -1, 1);
			lua_geti(L, -2, 2);
			name = lua_tostring(L, -2);
			value = lua_tostring(L, -1);
			if (name != NULL && value != NULL &&
			    (out_add(c, name, strlen(name)) != 0 ||
			    out_add(c, ": ", 2) != 0 ||
			    out_add(c, value, strlen(value)) != 0 ||
			    out_add(c, "\r\n", 2) != 0))
				bad = 1;
			lua_pop(L, 3);
		}
	}
	lua_pop(L, 1);
	if (out_add(c, "\r\n", 2) != 0 || out_add(c, body, blen) != 0)
		bad = 1;
done:
	lua_pop(L, 1);	/* the response */
	if (bad) {
		add_line(L, s->errors, "connection %d: out of memory", c->id);
		c->close_after = 1;
		c->hard_close = 1;
	}
}

/*
 * Serves every complete request in c->in (normally one): calls the
 * handler and prepares the answer. May raise (memory).
 */
static void
conn_process(lua_State *L, struct server *s, struct conn *c)
{
	size_t hlen, blen = 0, vlen;
	const char *v;
	long long cl;
	char *end;

	if (c->state != C_READ)
		return;
	hlen = head_len(c);
	if (hlen == 0) {
		if (c->inlen > HEAD_MAX) {
			add_line(L, s->events, "connection %d: request head "
			    "over %d bytes", c->id, HEAD_MAX);
			conn_close(c, 1);
		}
		return;
	}
	v = find_header(c->in, c->in + hlen, "Transfer-Encoding", &vlen);
	if (v != NULL) {
		add_line(L, s->events, "connection %d: Transfer-Encoding "
		    "%.*s is not supported", c->id, (int)vlen, v);
		conn_close(c, 1);
		return;
	}
	v = find_header(c->in, c->in + hlen, "Content-Length", &vlen);
	if (v != NULL) {
		cl = strtoll(v, &end, 10);
		if (end == v || cl < 0 || (size_t)cl > BODY_MAX) {
			add_line(L, s->events, "connection %d: bad "
			    "Content-Length", c->id);
			conn_close(c, 1);
			return;
		}
		blen = (size_t)cl;
	}
	if (c->inlen < hlen + blen)
		return;
	/* stack: ... ; call handler(req) */
	lua_pushvalue(L, s->handler);
	push_request(L, s, c, hlen, blen);
	memmove(c->in, c->in + hlen + blen, c->inlen - hlen - blen);
	c->inlen -= hlen + blen;
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		add_line(L, s->errors, "%s", lua_tostring(L, -1) != NULL ?
		    lua_tostring(L, -1) : "(error object)");
		lua_pop(L, 1);
		lua_createtable(L, 0, 2);
		lua_pushinteger(L, 500);
		lua_setfield(L, -2, "status");
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "close");
	}
	take_response(L, s, c);
}

/* ---- the hook ---- */

static void
accept_all(lua_State *L, struct server *s)
{
	struct conn *c;
	int fd, i, one = 1;

	for (;;) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			return;
		s->accepts++;
		for (i = 0; i < CONN_MAX; i++)
			if (s->conns[i].state == C_FREE)
				break;
		if (i == CONN_MAX) {
			add_line(L, s->events, "connection %d refused: more "
			    "than %d open", s->accepts, CONN_MAX);
			close(fd);
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = &s->conns[i];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->id = s->accepts;
		c->want = POLLIN;
		c->state = C_READ;
		if (s->ctx != NULL) {
			c->ssl = SSL_new(s->ctx);
			if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
				add_line(L, s->events, "connection %d: "
				    "SSL_new failed", c->id);
				conn_close(c, 1);
				continue;
			}
			c->state = C_HANDSHAKE;
		}
	}
}

/* Steps the TLS handshake of c. */
static void
conn_handshake(lua_State *L, struct server *s, struct conn *c)
{
	char why[512];
	X509 *peer;
	int r, e;

	ERR_clear_error();
	r = SSL_accept(c->ssl);
	if (r == 1) {
		c->state = C_READ;
		c->want = POLLIN;
		peer = SSL_get1_peer_certificate(c->ssl);
		if (peer != NULL) {
			c->peer = X509_NAME_oneline(
			    X509_get_subject_name(peer), NULL, 0);
			X509_free(peer);
		}
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		c->want = POLLIN;
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		c->want = POLLOUT;
		return;
	}
	ssl_errors(why, sizeof(why), e == SSL_ERROR_SYSCALL ?
	    "the client closed the connection" : "handshake failed");
	add_line(L, s->events, "connection %d: TLS handshake failed: %s",
	    c->id, why);
	conn_close(c, 1);
}

static int
hook_fill(void *arg, struct pollfd *pfd, int max, double *next)
{
	struct server *s = arg;
	struct conn *c;
	int n = 0, i;

	if (max < 1)
		return 0;
	pfd[n].fd = s->lfd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	for (i = 0; i < CONN_MAX && n < max; i++) {
		c = &s->conns[i];
		if (c->state == C_FREE)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].revents = 0;
		if (c->state == C_WAIT) {
			pfd[n].events = 0;	/* hangups only */
			if (c->wake < *next)
				*next = c->wake;
		} else
			pfd[n].events = c->want;
		n++;
	}
	return n;
}

/* The connection on fd, or NULL. */
static struct conn *
conn_of(struct server *s, int fd)
{
	int i;

	for (i = 0; i < CONN_MAX; i++)
		if (s->conns[i].state != C_FREE && s->conns[i].fd == fd)
			return &s->conns[i];
	return NULL;
}

/* Writes c's answer, then closes or goes back to reading. */
static void
conn_flush(lua_State *L, struct server *s, struct conn *c)
{
	if (!conn_write(c)) {
		add_line(L, s->events, "connection %d: the client went away "
		    "before the answer was written", c->id);
		conn_close(c, 1);
		return;
	}
	if (c->outoff < c->outlen)
		return;
	if (c->close_after) {
		conn_close(c, c->hard_close);
		return;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->state = C_READ;
	c->want = POLLIN;
	conn_process(L, s, c);	/* a request already buffered */
}

static void
hook_handle(void *arg, lua_State *L, struct pollfd *pfd, int n)
{
	struct server *s = arg;
	struct conn *c;
	double now = dmtest_now();
	int i;

	for (i = 0; i < n; i++) {
		if (pfd[i].fd == s->lfd) {
			if (pfd[i].revents & POLLIN)
				accept_all(L, s);
			continue;
		}
		c = conn_of(s, pfd[i].fd);
		if (c == NULL)
			continue;
		switch (c->state) {
		case C_HANDSHAKE:
			if (pfd[i].revents == 0)
				break;
			conn_handshake(L, s, c);
			if (c->state != C_READ)
				break;
			/* the request may be there already */
			/* FALLTHROUGH */
		case C_READ:
			if (pfd[i].revents == 0)
				break;
			if (!conn_read(L, s, c)) {
				conn_close(c, 1);
				break;
			}
			conn_process(L, s, c);
			if (c->state == C_WRITE)
				conn_flush(L, s, c);
			break;
		case C_WAIT:
			if (pfd[i].revents & (POLLHUP | POLLERR)) {
				add_line(L, s->events, "connection %d: the "
				    "client went away while the answer was "
				    "held", c->id);
				conn_close(c, 1);
				break;
			}
			if (now < c->wake)
				break;
			c->state = C_WRITE;
			conn_flush(L, s, c);
			break;
		case C_WRITE:
			if (pfd[i].revents != 0)
				conn_flush(L, s, c);
			break;
		default:
			break;
		}
	}
	/* timers of connections not polled with an event */
	for (i = 0; i < CONN_MAX; i++) {
		c = &s->conns[i];
		if (c->state == C_WAIT && now >= c->wake) {
			c->state = C_WRITE;
			conn_flush(L, s, c);
		}
	}
}

/* ---- Lua API ---- */

/*
 * srv:serve(argv, timeout, cwd|nil, handler) -> result (see the top).
 * May raise (memory, bad arguments).
 */
static int
l_serve(lua_State *L)
{
	struct server *s = luaL_checkudata(L, 1, SERVER_MT);
	struct run_hook hook;
	struct run *r;
	const char *cwd;
	double timeout;
	int accepts0;

	luaL_checktype(L, 2, LUA_TTABLE);
	timeout = luaL_checknumber(L, 3);
	cwd = luaL_optstring(L, 4, NULL);
	luaL_checktype(L, 5, LUA_TFUNCTION);
	luaL_argcheck(L, s->lfd >= 0, 1, "the server is closed");
	lua_settop(L, 5);
	lua_newtable(L);	/* 6: events */
	lua_newtable(L);	/* 7: errors */
	s->handler = 5;
	s->events = 6;
	s->errors = 7;
	accepts0 = s->accepts;
	r = run_spawn(L, 2, cwd);	/* 8: run */
	if (r == NULL)
		return 2;
	s->start = r->start;
	hook.fill = hook_fill;
	hook.handle = hook_handle;
	hook.arg = s;
	run_wait(L, r, timeout, &hook);	/* 9: result */
	server_close_all(s);
	s->handler = s->events = s->errors = 0;
	lua_pushinteger(L, s->accepts - accepts0);
	lua_setfield(L, -2, "accepts");
	lua_pushvalue(L, 6);
	lua_setfield(L, -2, "events");
	lua_pushvalue(L, 7);
	lua_setfield(L, -2, "errors");
	return 1;
}

static int
l_port(lua_State *L)
{
	struct server *s = luaL_checkudata(L, 1, SERVER_MT);

	lua_pushinteger(L, s->port);
	return 1;
}

/* Builds the TLS context from opts.tls (table on top). May raise. */
static void
tls_setup(lua_State *L, struct server *s)
{
	const char *cert, *key, *ca, *mode;
	char why[512];
	STACK_OF(X509_NAME) *names;

	lua_getfield(L, -1, "cert");
	lua_getfield(L, -2, "key");
	lua_getfield(L, -3, "client_ca");
	lua_getfield(L, -4, "client_cert");
	cert = luaL_checkstring(L, -4);
	key = luaL_checkstring(L, -3);
	ca = luaL_optstring(L, -2, NULL);
	mode = luaL_optstring(L, -1, ca != NULL ? "require" : "none");
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (s->ctx == NULL)
		luaL_error(L, "SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(s->ctx) != 1) {
		ssl_errors(why, sizeof(why), "bad certificate or key");
		luaL_error(L, "server certificate %s / %s: %s", cert, key, why);
	}
	if (strcmp(mode, "none") != 0) {
		if (ca == NULL)
			luaL_error(L, "client_cert needs client_ca");
		if (SSL_CTX_load_verify_locations(s->ctx, ca, NULL) != 1) {
			ssl_errors(why, sizeof(why), "cannot load");
			luaL_error(L, "client CA %s: %s", ca, why);
		}
		names = SSL_load_client_CA_file(ca);
		if (names != NULL)
			SSL_CTX_set_client_CA_list(s->ctx, names);
		SSL_CTX_set_verify(s->ctx, strcmp(mode, "require") == 0 ?
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT :
		    SSL_VERIFY_PEER, NULL);
	}
	lua_pop(L, 4);
}

/*
 * listen { tls = { cert, key, client_ca, client_cert } } -> server. Binds
 * 127.0.0.1 on a port the kernel picks. May raise.
 */
static int
l_listen(lua_State *L)
{
	struct server *s;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int i;

	if (lua_isnoneornil(L, 1)) {
		lua_settop(L, 0);
		lua_newtable(L);
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	s = lua_newuserdatauv(L, sizeof(*s), 0);
	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	for (i = 0; i < CONN_MAX; i++) {
		s->conns[i].state = C_FREE;
		s->conns[i].fd = -1;
	}
	luaL_setmetatable(L, SERVER_MT);
	/* stack: opts, server */
	if (lua_getfield(L, 1, "tls") == LUA_TTABLE)
		tls_setup(L, s);
	lua_pop(L, 1);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->lfd < 0)
		return luaL_error(L, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s->lfd, 64) != 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &salen) != 0)
		return luaL_error(L, "cannot listen on 127.0.0.1: %s",
		    strerror(errno));
	s->port = ntohs(sa.sin_port);
	return 1;
}

void
dmserver_register(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "serve", l_serve },
		{ "port", l_port },
		{ "close", server_gc },
		{ NULL, NULL }
	};

	/* stack: native */
	luaL_newmetatable(L, SERVER_MT);
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, server_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);	/* pop mt */
	lua_pushcfunction(L, l_listen);
	lua_setfield(L, -2, "listen");
}
