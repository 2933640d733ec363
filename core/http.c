/*
 * http.c: the HTTPS transport of a DM session, over one libcurl easy handle
 * (see http.h). The handle lives as long as the struct http, so libcurl's
 * connection cache keeps the session's connection (and its TLS session)
 * between POSTs; http_connections() sums CURLINFO_NUM_CONNECTS to show how
 * many were made.
 *
 * Security: peer and host verification are set on and never turned off,
 * TLS 1.2 is the minimum, only http and https URLs are accepted, redirects
 * are not followed (a 3xx comes back as a status), and the response body is
 * capped. Request bodies and header values (Authorization, the HMAC) are
 * never copied into an error message, and the header list is wiped before
 * it is freed. libcurl is used with CURLOPT_NOSIGNAL, so the process must
 * ignore SIGPIPE (main does); curl_global_init() is main's job too.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "http.h"
#include "util.h"

#ifndef LUADM_VERSION
#define LUADM_VERSION "0"
#endif

#define HTTP_CONNECT_TIMEOUT_MS	30000L
#define HTTP_TOTAL_TIMEOUT_MS	300000L
#define HTTP_LOW_SPEED_TIME_S	60L
#define HTTP_LOW_SPEED_LIMIT	1L
#define HTTP_MAX_RESPONSE	((size_t)16 * 1024 * 1024)
#define HTTP_RETRY_AFTER_MAX	(7L * 24 * 3600)	/* a week */

struct http {
	CURL		*curl;
	char		 errbuf[CURL_ERROR_SIZE];
	long		 connect_timeout_ms;
	long		 total_timeout_ms;
	long		 low_speed_time_s;
	long		 low_speed_limit;
	size_t		 max_response;
	int		 client_cert;	/* one is configured */
	long		 responses;	/* HTTP responses received so far */
	const volatile int *stop;	/* abandon a request when set */
	long		 connections;	/* NUM_CONNECTS, summed */
};

/* One request in flight: what the body and header callbacks fill. */
struct http_xfer {
	struct buf		 body;
	size_t			 max;
	int			 too_big;	/* over max: aborted */
	int			 nomem;		/* allocation failed */
	int			 got_status;	/* a status line */
	long			 connects;	/* new connections */
	struct http_response	*resp;		/* headers go here */
};

/* "" counts as not set, as a config file may leave a key empty. */
static const char *
opt_str(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static long
opt_long(long v, long def)
{
	return v > 0 ? v : def;
}

/*
 * Checks that a configured file or directory can be read now, so that a
 * typo in the config fails at start with its name rather than at the first
 * POST. Returns 0, or -1 with *err.
 */
static int
check_readable(const char *what, const char *path, char **err)
{
	if (path == NULL || access(path, R_OK) == 0)
		return 0;
	*err = util_asprintf("%s %s: %s", what, path, strerror(errno));
	return -1;
}

/*
 * Sets one option; on failure fills *err with the option's name and
 * libcurl's reason. Returns 0 or -1.
 */
static int
set_opt_fail(CURLcode rc, const char *name, char **err)
{
	if (rc == CURLE_OK)
		return 0;
	*err = util_asprintf("libcurl: cannot set %s: %s", name,
	    curl_easy_strerror(rc));
	return -1;
}

#define SETOPT(h, opt, val, err)					\
	set_opt_fail(curl_easy_setopt((h)->curl, opt, val), #opt, err)

/* The options that stay the same for every request of the session. */
/* Abandons a transfer once the stop flag is set (a signal arrived). */
static int
http_progress(void *p, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	const struct http *h = p;

	(void)dlt;
	(void)dln;
	(void)ult;
	(void)uln;
	return h->stop != NULL && *h->stop != 0;
}

static int
http_setup(struct http *h, const struct http_opts *o, char **err)
{
	const char *ca_file, *ca_dir, *cert, *key, *ua;

	ca_file = opt_str(o->ca_file);
	ca_dir = opt_str(o->ca_dir);
	cert = opt_str(o->client_cert);
	key = opt_str(o->client_key);
	ua = opt_str(o->user_agent);

	if (key != NULL && cert == NULL) {
		*err = util_asprintf("client key %s given without a client "
		    "certificate", key);
		return -1;
	}
	if (check_readable("CA file", ca_file, err) == -1 ||
	    check_readable("CA directory", ca_dir, err) == -1 ||
	    check_readable("client certificate", cert, err) == -1 ||
	    check_readable("client key", key, err) == -1)
		return -1;

	if (SETOPT(h, CURLOPT_ERRORBUFFER, h->errbuf, err) == -1 ||
	    SETOPT(h, CURLOPT_NOSIGNAL, 1L, err) == -1 ||
	    SETOPT(h, CURLOPT_NOPROGRESS, h->stop != NULL ? 0L : 1L,
	    err) == -1 ||
	    (h->stop != NULL && (SETOPT(h, CURLOPT_XFERINFOFUNCTION,
	    http_progress, err) == -1 ||
	    SETOPT(h, CURLOPT_XFERINFODATA, h, err) == -1)) ||
	    SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L, err) == -1 ||
	    SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L, err) == -1 ||
	    SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L, err) == -1 ||
	    SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2,
	    err) == -1 ||
	    SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L, err) == -1 ||
	    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms,
	    err) == -1 ||
	    SETOPT(h, CURLOPT_TIMEOUT_MS, h->total_timeout_ms, err) == -1 ||
	    SETOPT(h, CURLOPT_LOW_SPEED_TIME, h->low_speed_time_s, err) == -1 ||
	    SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, h->low_speed_limit, err) == -1 ||
	    SETOPT(h, CURLOPT_USERAGENT,
	    ua != NULL ? ua : "luadm/" LUADM_VERSION, err) == -1)
		return -1;
#if LIBCURL_VERSION_NUM >= 0x075500
	if (SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https", err) == -1 ||
	    SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https", err) == -1)
		return -1;
#else
	if (SETOPT(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS), err) == -1 ||
	    SETOPT(h, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS), err) == -1)
		return -1;
#endif
	/*
	 * A configured CA file or directory replaces the system store: both
	 * are set, a NULL one turning libcurl's built-in default off, so that
	 * a server pinned to a private CA is not also trusted through public
	 * ones.
	 */
	if (ca_file != NULL || ca_dir != NULL) {
		if (SETOPT(h, CURLOPT_CAINFO, ca_file, err) == -1 ||
		    SETOPT(h, CURLOPT_CAPATH, ca_dir, err) == -1)
			return -1;
	}
	if (cert != NULL) {
		h->client_cert = 1;
		if (SETOPT(h, CURLOPT_SSLCERT, cert, err) == -1 ||
		    SETOPT(h, CURLOPT_SSLCERTTYPE, "PEM", err) == -1 ||
		    SETOPT(h, CURLOPT_SSLKEYTYPE, "PEM", err) == -1 ||
		    SETOPT(h, CURLOPT_SSLKEY, key != NULL ? key : cert,
		    err) == -1)
			return -1;
	}
	/*
	 * In-memory cookies for the session's lifetime: load balancers in
	 * front of DM servers pin a session with one. Nothing is written.
	 */
	if (SETOPT(h, CURLOPT_COOKIEFILE, "", err) == -1)
		return -1;
	return 0;
}

struct http *
http_new(const struct http_opts *o, char **err)
{
	static const struct http_opts defaults;
	struct http *h;

	*err = NULL;
	if (o == NULL)
		o = &defaults;
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		*err = util_asprintf("out of memory");
		return NULL;
	}
	h->stop = o->stop;
	h->connect_timeout_ms = opt_long(o->connect_timeout_ms,
	    HTTP_CONNECT_TIMEOUT_MS);
	h->total_timeout_ms = opt_long(o->total_timeout_ms,
	    HTTP_TOTAL_TIMEOUT_MS);
	h->low_speed_time_s = opt_long(o->low_speed_time_s,
	    HTTP_LOW_SPEED_TIME_S);
	h->low_speed_limit = opt_long(o->low_speed_limit,
	    HTTP_LOW_SPEED_LIMIT);
	h->max_response = o->max_response > 0 ? o->max_response :
	    HTTP_MAX_RESPONSE;
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		*err = util_asprintf("libcurl: cannot create a handle");
		goto err;
	}
	if (http_setup(h, o, err) == -1)
		goto err;
	return h;
err:
	http_free(h);
	return NULL;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h);
}

long
http_connections(const struct http *h)
{
	return h != NULL ? h->connections : 0;
}

void
http_response_free(struct http_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->content_type);
	free(r->hmac);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->retry_after_s = -1;
}

/* Copies n bytes into a new NUL-terminated string, or NULL. */
static char *
memdupz(const char *p, size_t n)
{
	char *s;

	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* A non-negative decimal number filling all of [p, p+n), or -1. */
static long long
parse_count(const char *p, size_t n)
{
	long long v;
	size_t i;

	if (n == 0)
		return -1;
	v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		if (v > (LLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * Retry-After is delta-seconds or an HTTP-date (RFC 9110 10.2.3). Returns
 * the seconds to wait, capped at a week, or -1 if it cannot be read.
 */
static long
parse_retry_after(const char *p, size_t n)
{
	long long v;
	time_t when, now;
	size_t i;
	char *s;

	if (n > 0 && isdigit((unsigned char)p[0])) {
		for (i = 0; i < n; i++)
			if (!isdigit((unsigned char)p[i]))
				return -1;
		if (n > 9)
			return HTTP_RETRY_AFTER_MAX;
		v = parse_count(p, n);
		return v > HTTP_RETRY_AFTER_MAX ? HTTP_RETRY_AFTER_MAX :
		    (long)v;
	}
	s = memdupz(p, n);
	if (s == NULL)
		return -1;
	when = curl_getdate(s, NULL);
	free(s);
	if (when == -1)
		return -1;
	now = time(NULL);
	if (when <= now)
		return 0;
	if (when - now > HTTP_RETRY_AFTER_MAX)
		return HTTP_RETRY_AFTER_MAX;
	return (long)(when - now);
}

/* Replaces *dst with a copy of [p, p+n); 0 or -1 (out of memory). */
static int
set_str(char **dst, const char *p, size_t n)
{
	char *s;

	s = memdupz(p, n);
	if (s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * CURLOPT_HEADERFUNCTION: one header line at a time, not NUL-terminated.
 * A status line starts a new response (a 1xx may come first), so what was
 * read for the previous one is dropped. Returning less than the line's
 * size aborts the transfer.
 */
static size_t
header_cb(char *line, size_t size, size_t nitems, void *arg)
{
	struct http_xfer *x = arg;
	struct http_response *r = x->resp;
	const char *name, *val, *colon;
	size_t n, nlen, vlen;
	long long cl;

	n = size * nitems;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		x->got_status = 1;
		free(r->content_type);
		r->content_type = NULL;
		free(r->hmac);
		r->hmac = NULL;
		r->content_length = -1;
		r->retry_after_s = -1;
		return n;
	}
	colon = memchr(line, ':', n);
	if (colon == NULL)
		return n;	/* the blank line ending the headers */
	name = line;
	nlen = (size_t)(colon - line);
	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	val = colon + 1;
	vlen = n - (size_t)(val - line);
	while (vlen > 0 && (*val == ' ' || *val == '\t')) {
		val++;
		vlen--;
	}
	while (vlen > 0 && (val[vlen - 1] == '\r' || val[vlen - 1] == '\n' ||
	    val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
		vlen--;

#define HDR_IS(s) (nlen == sizeof(s) - 1 && strncasecmp(name, s, nlen) == 0)
	if (HDR_IS("Content-Type")) {
		if (set_str(&r->content_type, val, vlen) == -1)
			goto nomem;
	} else if (HDR_IS("Content-Length")) {
		cl = parse_count(val, vlen);
		r->content_length = cl;
		if (cl >= 0 && (unsigned long long)cl > x->max) {
			x->too_big = 1;
			return 0;	/* refuse before reading it */
		}
	} else if (HDR_IS("x-syncml-hmac")) {
		if (set_str(&r->hmac, val, vlen) == -1)
			goto nomem;
	} else if (HDR_IS("Retry-After")) {
		r->retry_after_s = parse_retry_after(val, vlen);
	}
#undef HDR_IS
	return n;
nomem:
	x->nomem = 1;
	return 0;
}

/* CURLOPT_WRITEFUNCTION: appends to the body up to the cap. */
static size_t
body_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n;

	n = size * nmemb;
	if (n > x->max - x->body.len) {
		x->too_big = 1;
		return 0;
	}
	if (buf_add(&x->body, p, n) == -1) {
		x->nomem = 1;
		return 0;
	}
	return n;
}

/*
 * A header name is an HTTP token; a value has no control characters other
 * than tab (no CR/LF: no header injection). Returns 1 if both are fine.
 */
static int
header_ok(const char *name, const char *value)
{
	const unsigned char *p;

	if (name == NULL || *name == '\0' || value == NULL)
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}",
		    *p) != NULL)
			return 0;
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* Frees a header list after wiping it: it may hold credentials. */
static void
headers_free(struct curl_slist *l)
{
	struct curl_slist *e;

	for (e = l; e != NULL; e = e->next)
		explicit_bzero(e->data, strlen(e->data));
	curl_slist_free_all(l);
}

/*
 * Builds the request's header list: Content-Type, the caller's headers,
 * and an empty Expect (no "100-continue" round trip before a large body).
 * Returns 0, or -1 with *err (naming no header value).
 */
static int
headers_build(const char *ctype, const struct http_header *hd, size_t n,
    struct curl_slist **out, char **err)
{
	struct curl_slist *l = NULL, *nl;
	char *line;
	size_t i;

	*out = NULL;
	for (i = 0; i <= n + 1; i++) {
		if (i == 0) {
			if (!header_ok("Content-Type", ctype)) {
				*err = util_asprintf("invalid Content-Type");
				goto err;
			}
			line = util_asprintf("Content-Type: %s", ctype);
		} else if (i <= n) {
			if (!header_ok(hd[i - 1].name, hd[i - 1].value)) {
				*err = util_asprintf("invalid request header "
				    "#%zu", i);
				goto err;
			}
			/* curl sends "Name;" as an empty header */
			if (hd[i - 1].value[0] == '\0')
				line = util_asprintf("%s;", hd[i - 1].name);
			else
				line = util_asprintf("%s: %s", hd[i - 1].name,
				    hd[i - 1].value);
		} else
			line = util_asprintf("Expect:");
		if (line == NULL)
			goto nomem;
		nl = curl_slist_append(l, line);
		explicit_bzero(line, strlen(line));
		free(line);
		if (nl == NULL)
			goto nomem;
		l = nl;
	}
	*out = l;
	return 0;
nomem:
	*err = util_asprintf("out of memory");
err:
	headers_free(l);
	return -1;
}

/*
 * The URL as it may appear in a message: without user:password@ and with
 * control characters replaced, so the message stays one line. Malloc'd, or
 * NULL.
 */
static char *
url_for_msg(const char *url)
{
	const char *p, *at, *end;
	char *s, *q;

	p = strstr(url, "://");
	if (p != NULL) {
		p += 3;
		end = p + strcspn(p, "/?#");
		at = memchr(p, '@', (size_t)(end - p));
		if (at != NULL)
			s = util_asprintf("%.*s%s", (int)(p - url), url,
			    at + 1);
		else
			s = strdup(url);
	} else
		s = strdup(url);
	if (s == NULL)
		return NULL;
	for (q = s; *q != '\0'; q++)
		if ((unsigned char)*q < ' ' || *q == 0x7f)
			*q = '?';
	return s;
}

/* libcurl's error text, one line without a trailing newline. */
static const char *
curl_reason(struct http *h, CURLcode rc)
{
	size_t n;
	char *p;

	h->errbuf[CURL_ERROR_SIZE - 1] = '\0';
	n = strlen(h->errbuf);
	while (n > 0 && isspace((unsigned char)h->errbuf[n - 1]))
		h->errbuf[--n] = '\0';
	for (p = h->errbuf; *p != '\0'; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	return n > 0 ? h->errbuf : curl_easy_strerror(rc);
}

/*
 * Which limit a CURLE_OPERATION_TIMEDOUT hit. Until the connection (and
 * its TLS handshake) was made, the connect timeout; after that the total
 * timeout if that much time went by, or else the low-speed limit.
 */
static char *
timeout_reason(struct http *h)
{
	curl_off_t pre = 0, total = 0;
	long limit;

	curl_easy_getinfo(h->curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME_T, &total);
	if (pre == 0) {
		limit = h->connect_timeout_ms < h->total_timeout_ms ?
		    h->connect_timeout_ms : h->total_timeout_ms;
		return util_asprintf("timed out after %ld ms while connecting",
		    limit);
	}
	if (total / 1000 + 50 >= h->total_timeout_ms)
		return util_asprintf("timed out after %ld ms",
		    h->total_timeout_ms);
	return util_asprintf("too slow: under %ld bytes/s for %ld s",
	    h->low_speed_limit, h->low_speed_time_s);
}

/* Why the connection could not be made, from the socket's errno. */
static char *
connect_reason(struct http *h, CURLcode rc)
{
	long oserr = 0;

	curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &oserr);
	switch (oserr) {
	case ECONNREFUSED:
		return util_asprintf("connection refused");
	case ENETUNREACH:
		return util_asprintf("network unreachable");
	case EHOSTUNREACH:
		return util_asprintf("host unreachable");
	case 0:
		return util_asprintf("cannot connect: %s", curl_reason(h, rc));
	default:
		return util_asprintf("cannot connect: %s",
		    strerror((int)oserr));
	}
}

/*
 * TLS verification: OpenSSL's reason for a refused chain, or libcurl's
 * (the host name check is libcurl's own).
 */
static char *
verify_reason(struct http *h, CURLcode rc)
{
	const char *why;
	long vr = 0;

	/*
	 * libcurl presets the result to X509_V_ERR_UNSPECIFIED and only
	 * stores OpenSSL's once the chain was checked, which comes after its
	 * host name check.
	 */
	curl_easy_getinfo(h->curl, CURLINFO_SSL_VERIFYRESULT, &vr);
	if (vr != X509_V_OK && vr != X509_V_ERR_UNSPECIFIED)
		return util_asprintf("TLS verification failed: %s",
		    X509_verify_cert_error_string(vr));
	why = curl_reason(h, rc);
	if (strncmp(why, "SSL: ", 5) == 0)
		why += 5;
	if (strstr(why, "host name") != NULL ||
	    strstr(why, "subject name") != NULL)
		return util_asprintf("TLS verification failed: certificate "
		    "does not match the host name (%s)", why);
	return util_asprintf("TLS verification failed: %s", why);
}

/*
 * An alert the server sent about our certificate (OpenSSL's wording):
 * none sent but one is required, or the one sent refused.
 */
static int
client_cert_alert(const char *why)
{
	static const char *const alerts[] = {
		"certificate required", "alert bad certificate",
		"alert unknown ca", "alert certificate unknown",
		"alert certificate expired", "alert certificate revoked",
		"alert unsupported certificate", "alert access denied"
	};
	size_t i;

	for (i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (strstr(why, alerts[i]) != NULL)
			return 1;
	return 0;
}

/*
 * A TLS connection that failed during or just after the handshake. With
 * TLS 1.3 the server checks our certificate after the client considers
 * the handshake done, and its alert is often lost to the reset of the
 * connection (it closes with our request unread), so a fresh connection
 * that dies before any response is reported with that likely cause.
 */
static char *
tls_io_reason(struct http *h, CURLcode rc, const struct http_xfer *x,
    const char *why)
{
	curl_off_t app = 0;

	if (client_cert_alert(why))
		return util_asprintf("the server refused the TLS connection "
		    "(%s): %s", h->client_cert ? "the client certificate was "
		    "not accepted" : "no client certificate was sent", why);
	if (rc == CURLE_SSL_CONNECT_ERROR)
		return util_asprintf("TLS handshake failed: %s", why);
	curl_easy_getinfo(h->curl, CURLINFO_APPCONNECT_TIME_T, &app);
	if (app > 0 && x->connects > 0 && !x->got_status && h->responses == 0)
		return util_asprintf("the server closed the connection right "
		    "after the TLS handshake (%s): %s", h->client_cert ?
		    "it may not accept the client certificate" :
		    "no client certificate was sent; it may require one",
		    why);
	if (rc == CURLE_GOT_NOTHING)
		return util_asprintf("the server closed the connection "
		    "without a reply");
	return util_asprintf("%s failed: %s",
	    rc == CURLE_RECV_ERROR ? "receive" : "send", why);
}

/*
 * The cause of a failed transfer, without the URL. Malloc'd or NULL.
 */
static char *
failure_reason(struct http *h, CURLcode rc, const struct http_xfer *x)
{
	const char *why;

	if (x->nomem)
		return util_asprintf("out of memory");
	if (x->too_big)
		return util_asprintf("response body larger than %zu bytes",
		    x->max);
	why = curl_reason(h, rc);
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		return util_asprintf("stopped (the client is shutting down)");
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (strstr(why, "HTTP/0.9") != NULL)
			return util_asprintf("invalid HTTP reply (not HTTP "
			    "at all): %s", why);
		return util_asprintf("unsupported protocol (only http and "
		    "https): %s", why);
	case CURLE_URL_MALFORMAT:
		return util_asprintf("malformed URL: %s", why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return util_asprintf("cannot resolve host name");
	case CURLE_COULDNT_RESOLVE_PROXY:
		return util_asprintf("cannot resolve proxy name: %s", why);
	case CURLE_COULDNT_CONNECT:
		return connect_reason(h, rc);
	case CURLE_OPERATION_TIMEDOUT:
		return timeout_reason(h);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return verify_reason(h, rc);
	case CURLE_SSL_CACERT_BADFILE:
		return util_asprintf("cannot load the CA certificates: %s",
		    why);
	case CURLE_SSL_CERTPROBLEM:
		return util_asprintf("cannot use the client certificate: %s",
		    why);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return tls_io_reason(h, rc, x, why);
	case CURLE_WEIRD_SERVER_REPLY:
		return util_asprintf("invalid HTTP reply: %s", why);
	case CURLE_OUT_OF_MEMORY:
		return util_asprintf("out of memory");
	default:
		return util_asprintf("%s (%s)", curl_easy_strerror(rc), why);
	}
}

/* Sets *err to "url: reason"; takes ownership of reason. */
static void
set_err(char **err, const char *url, char *reason)
{
	char *u;

	u = url_for_msg(url);
	*err = util_asprintf("%s: %s", u != NULL ? u : "(url)",
	    reason != NULL ? reason : "out of memory");
	free(u);
	free(reason);
}

int
http_post(struct http *h, const char *url, const char *ctype,
    const struct http_header *headers, size_t nheaders,
    const void *body, size_t len, struct http_response *resp, char **err)
{
	struct http_xfer x;
	struct curl_slist *hl = NULL;
	CURLcode rc;
	long n, status;
	char *msg = NULL;
	int ret = -1;

	*err = NULL;
	memset(resp, 0, sizeof(*resp));
	resp->content_length = -1;
	resp->retry_after_s = -1;
	memset(&x, 0, sizeof(x));
	x.max = h->max_response;
	x.resp = resp;

	if (url == NULL || ctype == NULL || (body == NULL && len > 0) ||
	    (headers == NULL && nheaders > 0)) {
		set_err(err, url != NULL ? url : "(no url)",
		    util_asprintf("invalid request"));
		return -1;
	}
	if (headers_build(ctype, headers, nheaders, &hl, &msg) == -1) {
		set_err(err, url, msg);
		return -1;
	}
	if (SETOPT(h, CURLOPT_URL, url, &msg) == -1 ||
	    SETOPT(h, CURLOPT_HTTPHEADER, hl, &msg) == -1 ||
	    SETOPT(h, CURLOPT_POST, 1L, &msg) == -1 ||
	    SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len,
	    &msg) == -1 ||
	    SETOPT(h, CURLOPT_POSTFIELDS, body != NULL ? body : "",
	    &msg) == -1 ||
	    SETOPT(h, CURLOPT_WRITEFUNCTION, body_cb, &msg) == -1 ||
	    SETOPT(h, CURLOPT_WRITEDATA, &x, &msg) == -1 ||
	    SETOPT(h, CURLOPT_HEADERFUNCTION, header_cb, &msg) == -1 ||
	    SETOPT(h, CURLOPT_HEADERDATA, &x, &msg) == -1) {
		set_err(err, url, msg);
		goto out;
	}

	h->errbuf[0] = '\0';
	rc = curl_easy_perform(h->curl);
	n = 0;
	if (curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK) {
		h->connections += n;
		x.connects = n;
	}
	status = 0;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);

	if (rc == CURLE_PARTIAL_FILE && status > 0 && !x.too_big &&
	    !x.nomem)
		resp->short_body = 1;
	else if (rc != CURLE_OK) {
		set_err(err, url, failure_reason(h, rc, &x));
		goto out;
	}
	if (buf_add(&x.body, "", 0) == -1) {	/* body is never NULL */
		set_err(err, url, util_asprintf("out of memory"));
		goto out;
	}
	h->responses++;
	resp->status = status;
	resp->body = x.body.p;
	resp->len = x.body.len;
	x.body.p = NULL;
	ret = 0;
out:
	/* the handle must not point at the caller's body or freed headers */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, NULL);
	headers_free(hl);
	buf_free(&x.body);
	if (ret == -1)
		http_response_free(resp);
	return ret;
}
