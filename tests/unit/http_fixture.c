/*
 * http_fixture.c: the test PKI and the small HTTP/HTTPS server of
 * check_http (see http_fixture.h). Written for the tests only: a thread
 * per connection, blocking sockets with poll() before each read so that
 * fx_server_stop() never waits long on a client.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http_fixture.h"

#define FX_HEAD_MAX	(64 * 1024)
#define FX_BODY_MAX	(8 * 1024 * 1024)
#define FX_IO_TIMEOUT_S	10	/* a blocked read or write gives up */
#define FX_IDLE_MS	30000	/* an idle connection is dropped */

/* -------------------------------------------------------------------- */
/* PKI */

enum fx_kind {
	FX_CA,
	FX_SERVER,
	FX_CLIENT
};

static void
fx_ssl_err(const char *what)
{
	fprintf(stderr, "http_fixture: %s\n", what);
	ERR_print_errors_fp(stderr);
}

static int
fx_ext(X509 *c, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
	if (e == NULL)
		return -1;
	ok = X509_add_ext(c, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/*
 * A certificate for key, signed by (issuer, ikey), or self-signed when
 * issuer is NULL. NULL on failure.
 */
static X509 *
fx_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    enum fx_kind kind, const char *san, long serial)
{
	X509 *c;
	X509_NAME *name;

	c = X509_new();
	if (c == NULL)
		return NULL;
	if (!X509_set_version(c, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(c), serial) ||
	    X509_gmtime_adj(X509_getm_notBefore(c), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c), 2L * 24 * 3600) == NULL ||
	    !X509_set_pubkey(c, key))
		goto err;
	name = X509_get_subject_name(c);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"luadm tests", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0))
		goto err;
	if (issuer == NULL) {
		issuer = c;
		ikey = key;
	}
	if (!X509_set_issuer_name(c, X509_get_subject_name(issuer)))
		goto err;
	if (fx_ext(c, issuer, NID_subject_key_identifier, "hash") == -1 ||
	    fx_ext(c, issuer, NID_authority_key_identifier,
	    "keyid:always") == -1)
		goto err;
	switch (kind) {
	case FX_CA:
		if (fx_ext(c, issuer, NID_basic_constraints,
		    "critical,CA:TRUE") == -1 ||
		    fx_ext(c, issuer, NID_key_usage,
		    "critical,keyCertSign,cRLSign") == -1)
			goto err;
		break;
	case FX_SERVER:
	case FX_CLIENT:
		if (fx_ext(c, issuer, NID_basic_constraints,
		    "critical,CA:FALSE") == -1 ||
		    fx_ext(c, issuer, NID_key_usage,
		    "critical,digitalSignature,keyEncipherment") == -1 ||
		    fx_ext(c, issuer, NID_ext_key_usage,
		    kind == FX_SERVER ? "serverAuth" : "clientAuth") == -1)
			goto err;
		if (san != NULL && fx_ext(c, issuer, NID_subject_alt_name,
		    san) == -1)
			goto err;
		break;
	}
	if (X509_sign(c, ikey, EVP_sha256()) == 0)
		goto err;
	return c;
err:
	X509_free(c);
	return NULL;
}

/* Opens path for writing, mode 0600, failing if it exists. */
static FILE *
fx_create(const char *path)
{
	FILE *f;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1) {
		fprintf(stderr, "http_fixture: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (f == NULL)
		close(fd);
	return f;
}

static int
fx_write_cert(const char *path, X509 *c)
{
	FILE *f;
	int ok;

	f = fx_create(path);
	if (f == NULL)
		return -1;
	ok = PEM_write_X509(f, c);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int
fx_write_key(const char *path, EVP_PKEY *k)
{
	FILE *f;
	int ok;

	f = fx_create(path);
	if (f == NULL)
		return -1;
	ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static void
fx_path(char *dst, const char *dir, const char *name)
{
	snprintf(dst, PATH_MAX, "%s/%s", dir, name);
}

int
fx_pki_create(struct fx_pki *p)
{
	EVP_PKEY *cakey = NULL, *okey = NULL, *skey = NULL, *ckey = NULL;
	X509 *ca = NULL, *oca = NULL, *srv = NULL, *wrong = NULL;
	X509 *cli = NULL, *stray = NULL;
	const char *tmp;
	char hashed[PATH_MAX + 16];
	int rc = -1;

	memset(p, 0, sizeof(*p));
	tmp = getenv("TMPDIR");
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(p->dir, sizeof(p->dir), "%s/luadm-http-XXXXXX",
	    tmp) >= sizeof(p->dir)) {
		fprintf(stderr, "http_fixture: TMPDIR too long\n");
		p->dir[0] = '\0';
		return -1;
	}
	if (mkdtemp(p->dir) == NULL) {
		fprintf(stderr, "http_fixture: mkdtemp %s: %s\n", p->dir,
		    strerror(errno));
		p->dir[0] = '\0';
		return -1;
	}
	fx_path(p->ca, p->dir, "ca.pem");
	fx_path(p->ca_dir, p->dir, "cadir");
	fx_path(p->other_ca, p->dir, "other-ca.pem");
	fx_path(p->srv_cert, p->dir, "server.pem");
	fx_path(p->srv_key, p->dir, "server.key");
	fx_path(p->wrong_cert, p->dir, "wrong.pem");
	fx_path(p->wrong_key, p->dir, "wrong.key");
	fx_path(p->cli_cert, p->dir, "client.pem");
	fx_path(p->cli_key, p->dir, "client.key");
	fx_path(p->stray_cert, p->dir, "stray.pem");
	fx_path(p->stray_key, p->dir, "stray.key");

	cakey = EVP_EC_gen("P-256");
	okey = EVP_EC_gen("P-256");
	skey = EVP_EC_gen("P-256");
	ckey = EVP_EC_gen("P-256");
	if (cakey == NULL || okey == NULL || skey == NULL || ckey == NULL) {
		fx_ssl_err("key generation");
		goto out;
	}
	ca = fx_cert("luadm test CA", cakey, NULL, NULL, FX_CA, NULL, 1);
	oca = fx_cert("luadm other CA", okey, NULL, NULL, FX_CA, NULL, 1);
	srv = fx_cert("127.0.0.1", skey, ca, cakey, FX_SERVER,
	    "IP:127.0.0.1,DNS:localhost", 2);
	wrong = fx_cert("wrong.example.invalid", skey, ca, cakey, FX_SERVER,
	    "DNS:wrong.example.invalid", 3);
	cli = fx_cert("device-1", ckey, ca, cakey, FX_CLIENT, NULL, 4);
	stray = fx_cert("device-1", ckey, oca, okey, FX_CLIENT, NULL, 2);
	if (ca == NULL || oca == NULL || srv == NULL || wrong == NULL ||
	    cli == NULL || stray == NULL) {
		fx_ssl_err("certificate creation");
		goto out;
	}
	if (mkdir(p->ca_dir, 0700) == -1) {
		fprintf(stderr, "http_fixture: mkdir %s: %s\n", p->ca_dir,
		    strerror(errno));
		goto out;
	}
	snprintf(hashed, sizeof(hashed), "%s/%08lx.0", p->ca_dir,
	    X509_subject_name_hash(ca));
	if (fx_write_cert(p->ca, ca) == -1 ||
	    fx_write_cert(hashed, ca) == -1 ||
	    fx_write_cert(p->other_ca, oca) == -1 ||
	    fx_write_cert(p->srv_cert, srv) == -1 ||
	    fx_write_key(p->srv_key, skey) == -1 ||
	    fx_write_cert(p->wrong_cert, wrong) == -1 ||
	    fx_write_key(p->wrong_key, skey) == -1 ||
	    fx_write_cert(p->cli_cert, cli) == -1 ||
	    fx_write_key(p->cli_key, ckey) == -1 ||
	    fx_write_cert(p->stray_cert, stray) == -1 ||
	    fx_write_key(p->stray_key, ckey) == -1) {
		fx_ssl_err("writing the PKI");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(okey);
	EVP_PKEY_free(skey);
	EVP_PKEY_free(ckey);
	X509_free(ca);
	X509_free(oca);
	X509_free(srv);
	X509_free(wrong);
	X509_free(cli);
	X509_free(stray);
	if (rc == -1)
		fx_pki_destroy(p);
	return rc;
}

/* Removes the files of dir (and of one level of subdirectories), then dir. */
static void
fx_rmtree(const char *dir, int depth)
{
	struct dirent *de;
	struct stat st;
	char path[PATH_MAX * 2];
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	for (;;) {
		de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth > 0)
				fx_rmtree(path, depth - 1);
		} else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void
fx_pki_destroy(struct fx_pki *p)
{
	if (p->dir[0] != '\0')
		fx_rmtree(p->dir, 1);
	memset(p, 0, sizeof(*p));
}

/* -------------------------------------------------------------------- */
/* Server */

struct fx_server {
	pthread_t	 thread;
	int		 started;
	int		 lfd;
	int		 stop[2];
	int		 port;
	SSL_CTX		*ctx;
	int		 stall_handshake;
	atomic_int	 accepts;
	atomic_int	 handshakes;
};

/* One accepted connection and its unread input. */
struct fx_conn {
	struct fx_server *s;
	int		 fd;
	SSL		*ssl;
	char		*in;
	size_t		 inlen;
	size_t		 incap;
};

/*
 * Waits until fd can be read. 1 = readable (or closed), 0 = the server is
 * stopping, -1 = error or idle too long.
 */
static int
fx_wait(struct fx_server *s, int fd)
{
	struct pollfd p[2];
	int r;

	for (;;) {
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = s->stop[0];
		p[1].events = POLLIN;
		p[1].revents = 0;
		r = poll(p, 2, FX_IDLE_MS);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (p[1].revents != 0)
			return 0;
		return 1;
	}
}

/* Reads some bytes: >0, 0 at EOF or stop, -1 on error. */
static ssize_t
fx_read(struct fx_conn *c, void *buf, size_t n)
{
	ssize_t r;
	int w;

	if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
		w = fx_wait(c->s, c->fd);
		if (w <= 0)
			return w;
	}
	if (c->ssl != NULL) {
		r = SSL_read(c->ssl, buf, (int)n);
		if (r <= 0) {
			ERR_clear_error();
			return SSL_get_error(c->ssl, (int)r) ==
			    SSL_ERROR_ZERO_RETURN ? 0 : -1;
		}
		return r;
	}
	do
		r = recv(c->fd, buf, n, 0);
	while (r == -1 && errno == EINTR);
	return r;
}

static int
fx_write(struct fx_conn *c, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t r;

	while (n > 0) {
		if (c->ssl != NULL) {
			r = SSL_write(c->ssl, p, (int)n);
			if (r <= 0) {
				ERR_clear_error();
				return -1;
			}
		} else {
			r = send(c->fd, p, n, MSG_NOSIGNAL);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Drains input until the peer closes or the server stops. */
static void
fx_hold(struct fx_conn *c)
{
	char buf[4096];

	while (fx_read(c, buf, sizeof(buf)) > 0)
		;
}

/* Ensures room for n more input bytes. */
static int
fx_reserve(struct fx_conn *c, size_t n)
{
	char *np;
	size_t ncap;

	if (c->inlen + n <= c->incap)
		return 0;
	ncap = c->incap ? c->incap : 16384;
	while (ncap < c->inlen + n)
		ncap *= 2;
	np = realloc(c->in, ncap);
	if (np == NULL)
		return -1;
	c->in = np;
	c->incap = ncap;
	return 0;
}

static const char *
fx_memmem(const char *h, size_t hl, const char *n)
{
	size_t nl = strlen(n), i;

	for (i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

/* Content-Length of a request head, 0 if none, -1 if bad. */
static long
fx_content_length(const char *head, size_t len)
{
	const char *p, *end = head + len;
	long v;

	for (p = head; p < end; p++) {
		if (*p != '\n')
			continue;
		if ((size_t)(end - p - 1) > 15 &&
		    strncasecmp(p + 1, "content-length:", 15) == 0) {
			v = strtol(p + 16, NULL, 10);
			return v >= 0 && v <= FX_BODY_MAX ? v : -1;
		}
	}
	return 0;
}

/*
 * Reads one whole request into c->in[0, *total): head (up to the blank
 * line, *headlen bytes) then the body. 1 = a request, 0 = closed, -1 =
 * error.
 */
static int
fx_read_request(struct fx_conn *c, size_t *headlen, size_t *total)
{
	const char *e;
	long cl;
	ssize_t r;

	for (;;) {
		e = fx_memmem(c->in, c->inlen, "\r\n\r\n");
		if (e != NULL)
			break;
		if (c->inlen > FX_HEAD_MAX || fx_reserve(c, 4096) == -1)
			return -1;
		r = fx_read(c, c->in + c->inlen, c->incap - c->inlen);
		if (r <= 0)
			return r == 0 ? 0 : -1;
		c->inlen += (size_t)r;
	}
	*headlen = (size_t)(e - c->in) + 4;
	cl = fx_content_length(c->in, *headlen);
	if (cl < 0)
		return -1;
	*total = *headlen + (size_t)cl;
	while (c->inlen < *total) {
		if (fx_reserve(c, *total - c->inlen) == -1)
			return -1;
		r = fx_read(c, c->in + c->inlen, c->incap - c->inlen);
		if (r <= 0)
			return -1;
		c->inlen += (size_t)r;
	}
	return 1;
}

static const char *
fx_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 302:
		return "Found";
	case 404:
		return "Not Found";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Whatever";
	}
}

/*
 * Sends a response head with the extra header lines (each ending in CRLF)
 * and, unless cl is -1, a Content-Length of cl.
 */
static int
fx_head(struct fx_conn *c, int status, const char *extra, long long cl)
{
	char head[1024];
	int n;

	if (cl >= 0)
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s"
		    "Content-Length: %lld\r\n\r\n", status, fx_reason(status),
		    extra, cl);
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s\r\n",
		    status, fx_reason(status), extra);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	return fx_write(c, head, (size_t)n);
}

static int
fx_simple(struct fx_conn *c, int status, const char *extra,
    const char *body)
{
	if (fx_head(c, status, extra, (long long)strlen(body)) == -1)
		return -1;
	return fx_write(c, body, strlen(body));
}

/* Sends n filler bytes. */
static int
fx_fill(struct fx_conn *c, size_t n)
{
	char buf[16384];
	size_t k;

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		k = n < sizeof(buf) ? n : sizeof(buf);
		if (fx_write(c, buf, k) == -1)
			return -1;
		n -= k;
	}
	return 0;
}

/*
 * Answers one request (c->in[0, total), head of headlen bytes). Returns 1
 * to keep the connection, 0 to close it (cleanly), -1 to drop it.
 */
static int
fx_answer(struct fx_conn *c, size_t headlen, size_t total)
{
	char path[256], extra[256], when[64];
	const char *sp, *end;
	struct tm tm;
	time_t t;
	size_t n;
	int status;

	sp = memchr(c->in, ' ', headlen);
	if (sp == NULL)
		return -1;
	sp++;
	end = memchr(sp, ' ', headlen - (size_t)(sp - c->in));
	if (end == NULL || (size_t)(end - sp) >= sizeof(path))
		return -1;
	memcpy(path, sp, (size_t)(end - sp));
	path[end - sp] = '\0';

	if (strcmp(path, "/echo") == 0) {
		if (fx_head(c, 200,
		    "Content-Type: application/octet-stream\r\n",
		    (long long)total) == -1 || fx_write(c, c->in, total) == -1)
			return -1;
		return 1;
	}
	if (strcmp(path, "/close") == 0) {
		if (fx_simple(c, 200, "Connection: close\r\n", "closing") == -1)
			return -1;
		return 0;
	}
	if (strcmp(path, "/drop") == 0) {
		fx_simple(c, 200, "", "bye");
		return -1;
	}
	if (strncmp(path, "/status/", 8) == 0) {
		status = atoi(path + 8);
		snprintf(extra, sizeof(extra), "status %d body", status);
		return fx_simple(c, status, "Content-Type: text/plain\r\n",
		    extra) == -1 ? -1 : 1;
	}
	if (strcmp(path, "/redirect") == 0)
		return fx_simple(c, 302, "Location: /echo\r\n", "moved") == -1 ?
		    -1 : 1;
	if (strncmp(path, "/big/", 5) == 0) {
		n = strtoul(path + 5, NULL, 10);
		if (fx_head(c, 200, "", (long long)n) == -1 ||
		    fx_fill(c, n) == -1)
			return -1;
		return 1;
	}
	if (strncmp(path, "/stream/", 8) == 0) {
		n = strtoul(path + 8, NULL, 10);
		if (fx_head(c, 200, "Connection: close\r\n", -1) == -1 ||
		    fx_fill(c, n) == -1)
			return -1;
		return 0;
	}
	if (strcmp(path, "/short") == 0) {
		if (fx_head(c, 200, "", 100) == -1 ||
		    fx_write(c, "0123456789", 10) == -1)
			return -1;
		return 0;
	}
	if (strcmp(path, "/headers") == 0)
		return fx_simple(c, 503,
		    "X-SyncML-HMAC: algorithm=MD5, username=\"dev\", "
		    "mac=Zm9vYmFyYmF6\r\n"
		    "retry-after:   120  \r\n"
		    "content-type: application/vnd.syncml.dm+xml\r\n",
		    "busy") == -1 ? -1 : 1;
	if (strcmp(path, "/retrydate") == 0) {
		t = time(NULL) + 120;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		snprintf(extra, sizeof(extra), "Retry-After: %s\r\n", when);
		return fx_simple(c, 429, extra, "slow down") == -1 ? -1 : 1;
	}
	if (strcmp(path, "/stall") == 0) {
		fx_hold(c);
		return -1;
	}
	if (strcmp(path, "/slow") == 0) {
		if (fx_head(c, 200, "", 100000) == -1 ||
		    fx_write(c, "0123456789", 10) == -1)
			return -1;
		fx_hold(c);
		return -1;
	}
	return fx_simple(c, 404, "", "no such path") == -1 ? -1 : 1;
}

/* Serves one accepted socket until it closes. */
static void
fx_serve(struct fx_server *s, int fd)
{
	struct fx_conn c;
	struct timeval tv;
	size_t headlen, total;
	int r;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.fd = fd;
	tv.tv_sec = FX_IO_TIMEOUT_S;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (s->stall_handshake) {
		fx_hold(&c);
		return;
	}
	if (s->ctx != NULL) {
		c.ssl = SSL_new(s->ctx);
		if (c.ssl == NULL || !SSL_set_fd(c.ssl, fd) ||
		    SSL_accept(c.ssl) != 1) {
			ERR_clear_error();
			goto out;
		}
		atomic_fetch_add(&s->handshakes, 1);
	}
	for (;;) {
		r = fx_read_request(&c, &headlen, &total);
		if (r <= 0)
			break;
		r = fx_answer(&c, headlen, total);
		if (r <= 0) {
			if (r == 0 && c.ssl != NULL)
				SSL_shutdown(c.ssl);
			break;
		}
		memmove(c.in, c.in + total, c.inlen - total);
		c.inlen -= total;
	}
out:
	ERR_clear_error();
	SSL_free(c.ssl);
	free(c.in);
}

/* One connection's thread. */
struct fx_worker {
	pthread_t		 thread;
	struct fx_server	*s;
	int			 fd;
	struct fx_worker	*next;
};

static void *
fx_worker_main(void *arg)
{
	struct fx_worker *w = arg;

	fx_serve(w->s, w->fd);
	close(w->fd);
	w->fd = -1;
	return NULL;
}

/*
 * Accepts connections, each served by its own thread (a client may hold
 * one connection open while it makes another); on stop, joins them all.
 */
static void *
fx_thread(void *arg)
{
	struct fx_server *s = arg;
	struct fx_worker *workers = NULL, *w;
	int fd;

	for (;;) {
		if (fx_wait(s, s->lfd) == 0)
			break;
		fd = accept(s->lfd, NULL, NULL);
		if (fd == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ECONNABORTED)
				continue;
			break;
		}
		atomic_fetch_add(&s->accepts, 1);
		w = calloc(1, sizeof(*w));
		if (w == NULL) {
			close(fd);
			continue;
		}
		w->s = s;
		w->fd = fd;
		if (pthread_create(&w->thread, NULL, fx_worker_main, w) != 0) {
			close(fd);
			free(w);
			continue;
		}
		w->next = workers;
		workers = w;
	}
	while (workers != NULL) {
		w = workers;
		workers = w->next;
		pthread_join(w->thread, NULL);
		free(w);
	}
	return NULL;
}

static SSL_CTX *
fx_ctx(const struct fx_server_opts *o)
{
	static const unsigned char sid[] = "luadm-fixture";
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1) != 1)
		goto err;
	if (o->client_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, o->client_ca,
		    NULL) != 1)
			goto err;
		names = SSL_load_client_CA_file(o->client_ca);
		if (names == NULL)
			goto err;
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
err:
	SSL_CTX_free(ctx);
	return NULL;
}

struct fx_server *
fx_server_start(const struct fx_server_opts *o)
{
	struct sockaddr_in sin;
	struct fx_server *s;
	socklen_t sl;
	int one = 1;

	signal(SIGPIPE, SIG_IGN);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->lfd = s->stop[0] = s->stop[1] = -1;
	s->stall_handshake = o->stall_handshake;
	atomic_init(&s->accepts, 0);
	atomic_init(&s->handshakes, 0);
	if (o->tls) {
		s->ctx = fx_ctx(o);
		if (s->ctx == NULL) {
			fx_ssl_err("server TLS context");
			goto err;
		}
	}
	if (pipe(s->stop) == -1)
		goto syserr;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd == -1)
		goto syserr;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s->lfd, 16) == -1)
		goto syserr;
	sl = sizeof(sin);
	if (getsockname(s->lfd, (struct sockaddr *)&sin, &sl) == -1)
		goto syserr;
	s->port = ntohs(sin.sin_port);
	if (pthread_create(&s->thread, NULL, fx_thread, s) != 0)
		goto syserr;
	s->started = 1;
	return s;
syserr:
	fprintf(stderr, "http_fixture: server: %s\n", strerror(errno));
err:
	fx_server_stop(s);
	return NULL;
}

int
fx_server_port(const struct fx_server *s)
{
	return s->port;
}

int
fx_server_accepts(const struct fx_server *s)
{
	return atomic_load(&((struct fx_server *)s)->accepts);
}

int
fx_server_handshakes(const struct fx_server *s)
{
	return atomic_load(&((struct fx_server *)s)->handshakes);
}

void
fx_server_stop(struct fx_server *s)
{
	ssize_t r;

	if (s == NULL)
		return;
	if (s->started) {
		do
			r = write(s->stop[1], "x", 1);
		while (r == -1 && errno == EINTR);
		pthread_join(s->thread, NULL);
	}
	if (s->lfd != -1)
		close(s->lfd);
	if (s->stop[0] != -1)
		close(s->stop[0]);
	if (s->stop[1] != -1)
		close(s->stop[1]);
	SSL_CTX_free(s->ctx);
	free(s);
}

int
fx_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl;
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sl = sizeof(sin);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}
