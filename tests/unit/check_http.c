/*
 * check_http.c: unit tests of core/http.c against the local server of
 * http_fixture.c (plain and TLS on 127.0.0.1, a PKI made at test time):
 * request bytes arrive exactly, one connection per session and a new one
 * after the server closed it, TLS verification (CA file and dir, wrong CA,
 * wrong host name), mutual TLS, the failure messages (refused, DNS,
 * timeouts, protocol), statuses returned as they are, the response cap,
 * short bodies, and the headers the session reads (x-syncml-hmac,
 * Retry-After). Failure messages are checked for the absence of the
 * request body and of credential header values.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "http_fixture.h"
#include "testutil.h"
#include "util.h"

#define CT_DM	"application/vnd.syncml.dm+xml"
#define SECRET	"Basic c2VjcmV0LXBhc3N3b3Jk"
#define MARKER	"<SyncML>BODY-MARKER</SyncML>"

/* Made once in main, before the tests fork. */
static struct fx_pki pki;

static const struct http_header secret_hdr[] = {
	{ "Authorization", SECRET },
	{ "x-syncml-hmac", "algorithm=MD5, username=\"dev\", mac=SECRETMAC" },
};

static struct fx_server *
start(int tls, const char *cert, const char *key, const char *client_ca)
{
	struct fx_server_opts o;
	struct fx_server *s;

	memset(&o, 0, sizeof(o));
	o.tls = tls;
	o.cert = cert;
	o.key = key;
	o.client_ca = client_ca;
	s = fx_server_start(&o);
	ck_assert_msg(s != NULL, "cannot start the test server");
	return s;
}

static struct fx_server *
start_tls(void)
{
	return start(1, pki.srv_cert, pki.srv_key, NULL);
}

/* Options trusting the test CA, with generous timeouts. */
static struct http_opts
tls_opts(void)
{
	struct http_opts o;

	memset(&o, 0, sizeof(o));
	o.ca_file = pki.ca;
	o.connect_timeout_ms = 20000;
	o.total_timeout_ms = 20000;
	return o;
}

static struct http *
mk(const struct http_opts *o)
{
	struct http *h;
	char *err = NULL;

	h = http_new(o, &err);
	ck_assert_msg(h != NULL, "http_new: %s", err != NULL ? err : "?");
	ck_assert_ptr_null(err);
	return h;
}

static void
url(char *dst, size_t n, int tls, const struct fx_server *s,
    const char *path)
{
	snprintf(dst, n, "%s://127.0.0.1:%d%s", tls ? "https" : "http",
	    fx_server_port(s), path);
}

/* POSTs a small body that must succeed; returns the response. */
static void
post_ok(struct http *h, const char *u, struct http_response *r)
{
	char *err = NULL;
	int rc;

	rc = http_post(h, u, CT_DM, NULL, 0, "<x/>", 4, r, &err);
	ck_assert_msg(rc == 0, "%s: %s", u, err != NULL ? err : "?");
	ck_assert_ptr_null(err);
	ck_assert_ptr_nonnull(r->body);
}

/*
 * POSTs the marker body with the secret headers, which must fail; returns
 * the message (malloc'd) after checking it names the URL and leaks
 * nothing of the request.
 */
static char *
post_fail(struct http *h, const char *u)
{
	struct http_response r;
	char *err = NULL;
	int rc;

	rc = http_post(h, u, CT_DM, secret_hdr, 2, MARKER, strlen(MARKER),
	    &r, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(r.body);
	ck_assert_ptr_null(r.hmac);
	ck_assert_msg(strchr(err, '\n') == NULL, "not one line: %s", err);
	ck_assert_msg(strstr(err, "BODY-MARKER") == NULL, "body in: %s", err);
	ck_assert_msg(strstr(err, "c2VjcmV0") == NULL, "secret in: %s", err);
	ck_assert_msg(strstr(err, "SECRETMAC") == NULL, "hmac in: %s", err);
	return err;
}

static void
assert_has(const char *s, const char *sub)
{
	ck_assert_msg(s != NULL && strstr(s, sub) != NULL,
	    "\"%s\" not in \"%s\"", sub, s != NULL ? s : "(null)");
}

/* Number of times sub occurs in s[0, n). */
static int
count(const char *s, size_t n, const char *sub)
{
	size_t i, k = strlen(sub);
	int c = 0;

	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, sub, k) == 0)
			c++;
	return c;
}

/*
 * The server echoes the request: method and path, our Content-Type once,
 * each extra header, the exact Content-Length, no Expect, then the body
 * byte for byte (binary, with NULs, over 1 KiB).
 */
static void
check_echo(struct http *h, const char *u)
{
	static const struct http_header hd[] = {
		{ "Authorization", SECRET },
		{ "X-Test", "a b\tc" },
		{ "Accept", CT_DM },
	};
	struct http_response r;
	char body[3000], *err = NULL;
	const char *sep;
	size_t i, headlen;
	int rc;

	for (i = 0; i < sizeof(body); i++)
		body[i] = (char)(i * 7 % 256);
	rc = http_post(h, u, CT_DM, hd, 3, body, sizeof(body), &r, &err);
	ck_assert_msg(rc == 0, "%s", err != NULL ? err : "?");
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.short_body, 0);
	ck_assert_str_eq(r.content_type, "application/octet-stream");
	ck_assert_int_eq(r.content_length, (long long)r.len);
	ck_assert_ptr_null(r.hmac);
	ck_assert_int_eq(r.retry_after_s, -1);
	ck_assert_int_eq(r.body[r.len], '\0');

	sep = strstr(r.body, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	headlen = (size_t)(sep - r.body) + 4;
	ck_assert_uint_eq(r.len, headlen + sizeof(body));
	ck_assert_int_eq(memcmp(r.body + headlen, body, sizeof(body)), 0);
	ck_assert_int_eq(strncmp(r.body, "POST /echo HTTP/1.1\r\n", 21), 0);
	ck_assert_int_eq(count(r.body, headlen, "\r\nContent-Type: " CT_DM
	    "\r\n"), 1);
	ck_assert_int_eq(count(r.body, headlen, "Content-Type"), 1);
	ck_assert_int_eq(count(r.body, headlen, "\r\nAuthorization: " SECRET
	    "\r\n"), 1);
	ck_assert_int_eq(count(r.body, headlen, "\r\nX-Test: a b\tc\r\n"), 1);
	ck_assert_int_eq(count(r.body, headlen, "\r\nAccept: " CT_DM
	    "\r\n"), 1);
	ck_assert_int_eq(count(r.body, headlen, "\r\nContent-Length: 3000\r\n"),
	    1);
	ck_assert_int_eq(count(r.body, headlen, "\r\nUser-Agent: luadm/"), 1);
	ck_assert_int_eq(count(r.body, headlen, "Expect"), 0);
	http_response_free(&r);
	ck_assert_ptr_null(r.body);
}

START_TEST(test_echo_plain)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];

	memset(&o, 0, sizeof(o));
	s = start(0, NULL, NULL, NULL);
	h = mk(&o);
	url(u, sizeof(u), 0, s, "/echo");
	check_echo(h, u);
	ck_assert_int_eq(http_connections(h), 1);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

START_TEST(test_empty_body_user_agent)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], *err = NULL;

	memset(&o, 0, sizeof(o));
	o.user_agent = "agent/1.0";
	s = start(0, NULL, NULL, NULL);
	h = mk(&o);
	url(u, sizeof(u), 0, s, "/echo");
	ck_assert_int_eq(http_post(h, u, "text/plain", NULL, 0, NULL, 0, &r,
	    &err), 0);
	assert_has(r.body, "\r\nContent-Length: 0\r\n");
	assert_has(r.body, "\r\nContent-Type: text/plain\r\n");
	assert_has(r.body, "\r\nUser-Agent: agent/1.0\r\n");
	ck_assert_int_eq(strncmp(r.body, "POST ", 5), 0);
	http_response_free(&r);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* Three POSTs, one connection, one TLS handshake. */
START_TEST(test_tls_reuse)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];
	int i;

	s = start_tls();
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/echo");
	for (i = 0; i < 3; i++)
		check_echo(h, u);
	ck_assert_int_eq(http_connections(h), 1);
	ck_assert_int_eq(fx_server_accepts(s), 1);
	ck_assert_int_eq(fx_server_handshakes(s), 1);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* "Connection: close": the next POST makes a new connection. */
START_TEST(test_server_closes)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];

	s = start_tls();
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/close");
	post_ok(h, u, &r);
	ck_assert_str_eq(r.body, "closing");
	http_response_free(&r);
	url(u, sizeof(u), 1, s, "/echo");
	check_echo(h, u);
	check_echo(h, u);
	ck_assert_int_eq(http_connections(h), 2);
	ck_assert_int_eq(fx_server_accepts(s), 2);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* The server drops a kept-alive connection: curl notices, reconnects. */
START_TEST(test_server_drops)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];

	s = start_tls();
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/drop");
	post_ok(h, u, &r);
	ck_assert_str_eq(r.body, "bye");
	http_response_free(&r);
	url(u, sizeof(u), 1, s, "/echo");
	check_echo(h, u);
	ck_assert_int_eq(http_connections(h), 2);
	ck_assert_int_eq(fx_server_accepts(s), 2);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* A hashed CA directory alone is enough; "localhost" matches its SAN. */
START_TEST(test_ca_dir_localhost)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];

	s = start_tls();
	o = tls_opts();
	o.ca_file = NULL;
	o.ca_dir = pki.ca_dir;
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/status/200");
	post_ok(h, u, &r);
	ck_assert_str_eq(r.body, "status 200 body");
	http_response_free(&r);
	snprintf(u, sizeof(u), "https://localhost:%d/status/201",
	    fx_server_port(s));
	post_ok(h, u, &r);
	ck_assert_int_eq(r.status, 201);
	http_response_free(&r);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

START_TEST(test_wrong_ca)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], want[256], *err;

	s = start_tls();
	o = tls_opts();
	o.ca_file = pki.other_ca;
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/echo");
	err = post_fail(h, u);
	snprintf(want, sizeof(want), "%s: TLS verification failed: unable "
	    "to get local issuer certificate", u);
	ck_assert_str_eq(err, want);
	free(err);
	ck_assert_int_eq(fx_server_handshakes(s), 0);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* A certificate from the right CA, for another name. */
START_TEST(test_host_mismatch)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], *err;

	s = start(1, pki.wrong_cert, pki.wrong_key, NULL);
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/echo");
	err = post_fail(h, u);
	ck_assert_int_eq(strncmp(err, u, strlen(u)), 0);
	assert_has(err, ": TLS verification failed: ");
	assert_has(err, "host name");
	assert_has(err, "127.0.0.1");
	free(err);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

START_TEST(test_client_cert_missing)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], *err;

	s = start(1, pki.srv_cert, pki.srv_key, pki.ca);
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/echo");
	err = post_fail(h, u);
	ck_assert_int_eq(strncmp(err, u, strlen(u)), 0);
	assert_has(err, "no client certificate was sent");
	ck_assert_int_eq(fx_server_handshakes(s), 0);
	free(err);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

START_TEST(test_client_cert_ok)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];

	s = start(1, pki.srv_cert, pki.srv_key, pki.ca);
	o = tls_opts();
	o.client_cert = pki.cli_cert;
	o.client_key = pki.cli_key;
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/echo");
	check_echo(h, u);
	check_echo(h, u);
	ck_assert_int_eq(http_connections(h), 1);
	ck_assert_int_eq(fx_server_handshakes(s), 1);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* A client certificate from a CA the server does not trust. */
START_TEST(test_client_cert_untrusted)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], *err;

	s = start(1, pki.srv_cert, pki.srv_key, pki.ca);
	o = tls_opts();
	o.client_cert = pki.stray_cert;
	o.client_key = pki.stray_key;
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/echo");
	err = post_fail(h, u);
	ck_assert_int_eq(strncmp(err, u, strlen(u)), 0);
	assert_has(err, "client certificate");
	assert_has(err, "not accept");
	ck_assert_int_eq(fx_server_handshakes(s), 0);
	free(err);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* Refused, with user:password@ kept out of the message. */
START_TEST(test_refused)
{
	struct http_opts o;
	struct http *h;
	char u[128], want[256], *err;
	int port;

	port = fx_free_port();
	ck_assert_int_gt(port, 0);
	o = tls_opts();
	h = mk(&o);
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/dm", port);
	err = post_fail(h, u);
	snprintf(want, sizeof(want), "%s: connection refused", u);
	ck_assert_str_eq(err, want);
	free(err);
	snprintf(u, sizeof(u), "https://dev:pa55word@127.0.0.1:%d/dm?x=1",
	    port);
	err = post_fail(h, u);
	snprintf(want, sizeof(want), "https://127.0.0.1:%d/dm?x=1: "
	    "connection refused", port);
	ck_assert_str_eq(err, want);
	free(err);
	http_free(h);
}
END_TEST

/*
 * A host name that cannot resolve without asking any DNS server: the
 * resolver refuses a label over 63 bytes by itself.
 */
START_TEST(test_resolve)
{
	struct http_opts o;
	struct http *h;
	char u[256], want[320], label[71], *err;

	memset(label, 'a', 70);
	label[70] = '\0';
	o = tls_opts();
	h = mk(&o);
	snprintf(u, sizeof(u), "https://%s.invalid/dm", label);
	err = post_fail(h, u);
	snprintf(want, sizeof(want), "%s: cannot resolve host name", u);
	ck_assert_str_eq(err, want);
	free(err);
	http_free(h);
}
END_TEST

START_TEST(test_protocols)
{
	static const char *const bad[] = {
		"ftp://127.0.0.1:1/x", "file:///etc/passwd",
		"gopher://127.0.0.1:1/x", "dict://127.0.0.1:1/x"
	};
	struct http_opts o;
	struct http *h;
	char *err;
	size_t i;

	o = tls_opts();
	h = mk(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = post_fail(h, bad[i]);
		ck_assert_int_eq(strncmp(err, bad[i], strlen(bad[i])), 0);
		assert_has(err, "unsupported protocol");
		free(err);
	}
	ck_assert_int_eq(http_connections(h), 0);
	http_free(h);
}
END_TEST

/* The server reads the request and never answers. */
START_TEST(test_timeout_total)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], want[256], *err;
	uint64_t t0, dt;

	s = start_tls();
	o = tls_opts();
	o.total_timeout_ms = 1500;
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/stall");
	t0 = util_now_ms();
	err = post_fail(h, u);
	dt = util_now_ms() - t0;
	snprintf(want, sizeof(want), "%s: timed out after 1500 ms", u);
	ck_assert_str_eq(err, want);
	ck_assert_msg(dt >= 1400 && dt < 8000, "took %llu ms",
	    (unsigned long long)dt);
	free(err);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* TCP is accepted, the TLS handshake never answered. */
START_TEST(test_timeout_connect)
{
	struct fx_server_opts so;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], want[256], *err;
	uint64_t t0, dt;

	memset(&so, 0, sizeof(so));
	so.stall_handshake = 1;
	s = fx_server_start(&so);
	ck_assert_ptr_nonnull(s);
	o = tls_opts();
	o.connect_timeout_ms = 1000;
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/dm");
	t0 = util_now_ms();
	err = post_fail(h, u);
	dt = util_now_ms() - t0;
	snprintf(want, sizeof(want), "%s: timed out after 1000 ms while "
	    "connecting", u);
	ck_assert_str_eq(err, want);
	ck_assert_msg(dt >= 900 && dt < 8000, "took %llu ms",
	    (unsigned long long)dt);
	free(err);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* Headers and 10 bytes, then nothing: the low-speed limit ends it. */
START_TEST(test_low_speed)
{
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], want[256], *err;
	uint64_t t0, dt;

	s = start(0, NULL, NULL, NULL);
	o = tls_opts();
	o.low_speed_time_s = 1;
	o.low_speed_limit = 1000;
	h = mk(&o);
	url(u, sizeof(u), 0, s, "/slow");
	t0 = util_now_ms();
	err = post_fail(h, u);
	dt = util_now_ms() - t0;
	snprintf(want, sizeof(want), "%s: too slow: under 1000 bytes/s for "
	    "1 s", u);
	ck_assert_str_eq(err, want);
	ck_assert_msg(dt < 10000, "took %llu ms", (unsigned long long)dt);
	free(err);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* Statuses are the caller's to judge; a 3xx is not followed. */
START_TEST(test_status)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];

	s = start_tls();
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/status/500");
	post_ok(h, u, &r);
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(r.body, "status 500 body");
	ck_assert_uint_eq(r.len, 15);
	ck_assert_str_eq(r.content_type, "text/plain");
	http_response_free(&r);
	url(u, sizeof(u), 1, s, "/redirect");
	post_ok(h, u, &r);
	ck_assert_int_eq(r.status, 302);
	ck_assert_str_eq(r.body, "moved");
	http_response_free(&r);
	url(u, sizeof(u), 1, s, "/nowhere");
	post_ok(h, u, &r);
	ck_assert_int_eq(r.status, 404);
	http_response_free(&r);
	ck_assert_int_eq(http_connections(h), 1);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/*
 * The cap, announced (Content-Length) and not (a close-delimited body);
 * exactly the cap is fine, and the session goes on after a refusal.
 */
START_TEST(test_max_response)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], want[256], *err;

	s = start_tls();
	o = tls_opts();
	o.max_response = 1000;
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/big/1000");
	post_ok(h, u, &r);
	ck_assert_uint_eq(r.len, 1000);
	ck_assert_int_eq(r.content_length, 1000);
	ck_assert_int_eq(r.body[999], 'x');
	http_response_free(&r);

	url(u, sizeof(u), 1, s, "/big/1001");
	err = post_fail(h, u);
	snprintf(want, sizeof(want), "%s: response body larger than 1000 "
	    "bytes", u);
	ck_assert_str_eq(err, want);
	free(err);

	url(u, sizeof(u), 1, s, "/big/50000000");
	err = post_fail(h, u);
	assert_has(err, "larger than 1000 bytes");
	free(err);

	url(u, sizeof(u), 1, s, "/stream/5000");
	err = post_fail(h, u);
	snprintf(want, sizeof(want), "%s: response body larger than 1000 "
	    "bytes", u);
	ck_assert_str_eq(err, want);
	free(err);

	url(u, sizeof(u), 1, s, "/stream/999");
	post_ok(h, u, &r);
	ck_assert_uint_eq(r.len, 999);
	ck_assert_int_eq(r.content_length, -1);
	http_response_free(&r);

	url(u, sizeof(u), 1, s, "/status/200");
	post_ok(h, u, &r);
	ck_assert_str_eq(r.body, "status 200 body");
	http_response_free(&r);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* Content-Length 100, 10 bytes, close: returned, marked short. */
START_TEST(test_short_body)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];
	int tls;

	tls = _i;
	s = tls ? start_tls() : start(0, NULL, NULL, NULL);
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), tls, s, "/short");
	post_ok(h, u, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.short_body, 1);
	ck_assert_int_eq(r.content_length, 100);
	ck_assert_uint_eq(r.len, 10);
	ck_assert_str_eq(r.body, "0123456789");
	http_response_free(&r);
	/* and the session can go on, on a new connection */
	url(u, sizeof(u), tls, s, "/status/200");
	post_ok(h, u, &r);
	ck_assert_int_eq(r.short_body, 0);
	http_response_free(&r);
	ck_assert_int_eq(http_connections(h), 2);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

START_TEST(test_headers)
{
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128];

	s = start_tls();
	o = tls_opts();
	h = mk(&o);
	url(u, sizeof(u), 1, s, "/headers");
	post_ok(h, u, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.hmac, "algorithm=MD5, username=\"dev\", "
	    "mac=Zm9vYmFyYmF6");
	ck_assert_int_eq(r.retry_after_s, 120);
	ck_assert_str_eq(r.content_type, CT_DM);
	ck_assert_str_eq(r.body, "busy");
	http_response_free(&r);

	url(u, sizeof(u), 1, s, "/retrydate");
	post_ok(h, u, &r);
	ck_assert_int_eq(r.status, 429);
	ck_assert_msg(r.retry_after_s >= 100 && r.retry_after_s <= 121,
	    "Retry-After date gave %ld s", r.retry_after_s);
	ck_assert_ptr_null(r.hmac);
	ck_assert_ptr_null(r.content_type);
	http_response_free(&r);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

/* No header injection, and the message does not echo the value. */
START_TEST(test_bad_headers)
{
	static const struct http_header inj[] = {
		{ "X-Ok", "fine" },
		{ "Authorization", "Basic abc\r\nX-Evil: SECRETVAL" },
	};
	static const struct http_header badname[] = {
		{ "Bad Name", "v" },
	};
	struct http_response r;
	struct fx_server *s;
	struct http_opts o;
	struct http *h;
	char u[128], *err = NULL;

	s = start(0, NULL, NULL, NULL);
	memset(&o, 0, sizeof(o));
	h = mk(&o);
	url(u, sizeof(u), 0, s, "/echo");
	ck_assert_int_eq(http_post(h, u, CT_DM, inj, 2, "x", 1, &r, &err),
	    -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(r.body);
	assert_has(err, u);
	assert_has(err, "invalid request header #2");
	ck_assert_msg(strstr(err, "SECRETVAL") == NULL, "%s", err);
	ck_assert_msg(strstr(err, "abc") == NULL, "%s", err);
	free(err);
	err = NULL;
	ck_assert_int_eq(http_post(h, u, CT_DM, badname, 1, "x", 1, &r,
	    &err), -1);
	assert_has(err, "invalid request header #1");
	free(err);
	err = NULL;
	ck_assert_int_eq(http_post(h, u, "a\nb", NULL, 0, "x", 1, &r, &err),
	    -1);
	assert_has(err, "invalid Content-Type");
	free(err);
	ck_assert_int_eq(fx_server_accepts(s), 0);
	http_free(h);
	fx_server_stop(s);
}
END_TEST

START_TEST(test_new_errors)
{
	struct http_opts o;
	struct http *h;
	char *err = NULL, missing[PATH_MAX + 16];

	snprintf(missing, sizeof(missing), "%s/nope.pem", pki.dir);
	o = tls_opts();
	o.ca_file = missing;
	h = http_new(&o, &err);
	ck_assert_ptr_null(h);
	assert_has(err, "CA file");
	assert_has(err, missing);
	free(err);

	o = tls_opts();
	o.client_key = pki.cli_key;
	err = NULL;
	h = http_new(&o, &err);
	ck_assert_ptr_null(h);
	assert_has(err, "without a client certificate");
	free(err);

	o = tls_opts();
	o.client_cert = missing;
	err = NULL;
	h = http_new(&o, &err);
	ck_assert_ptr_null(h);
	assert_has(err, "client certificate");
	assert_has(err, missing);
	free(err);

	/* NULL options are the defaults; destructors accept NULL */
	err = NULL;
	h = http_new(NULL, &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(http_connections(h), 0);
	http_free(h);
	http_free(NULL);
	http_response_free(NULL);
	ck_assert_int_eq(http_connections(NULL), 0);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("http");

	tc = tcase_create("requests");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_echo_plain);
	tcase_add_test(tc, test_empty_body_user_agent);
	tcase_add_test(tc, test_tls_reuse);
	tcase_add_test(tc, test_server_closes);
	tcase_add_test(tc, test_server_drops);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_max_response);
	tcase_add_loop_test(tc, test_short_body, 0, 2);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_bad_headers);
	tcase_add_test(tc, test_new_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ca_dir_localhost);
	tcase_add_test(tc, test_wrong_ca);
	tcase_add_test(tc, test_host_mismatch);
	tcase_add_test(tc, test_client_cert_missing);
	tcase_add_test(tc, test_client_cert_ok);
	tcase_add_test(tc, test_client_cert_untrusted);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_protocols);
	tcase_add_test(tc, test_timeout_total);
	tcase_add_test(tc, test_timeout_connect);
	tcase_add_test(tc, test_low_speed);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	int rc;

	/* the test server is local: no proxy from the environment */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return EXIT_FAILURE;
	if (fx_pki_create(&pki) == -1) {
		curl_global_cleanup();
		return EXIT_FAILURE;
	}
	rc = testutil_run(http_suite());
	fx_pki_destroy(&pki);
	curl_global_cleanup();
	return rc;
}
