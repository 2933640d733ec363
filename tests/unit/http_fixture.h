/*
 * http_fixture: what check_http needs around core/http.c. A throw-away PKI
 * made with the OpenSSL API at test time in a temporary directory (a CA, a
 * second unrelated CA, server certificates for 127.0.0.1/localhost and for
 * a wrong name, a client certificate), and a small HTTP/1.1 server, plain
 * or TLS, run in a thread on 127.0.0.1 at a free port. No private key is
 * ever written outside that directory, which fx_pki_destroy() removes.
 *
 * The server answers by request path:
 *   /echo          200, the body is the request exactly as received
 *                  (request line, headers, body)
 *   /close         200 with "Connection: close", then closes
 *   /drop          200 (keep-alive promised), then closes anyway
 *   /status/NNN    status NNN with a short body
 *   /redirect      302 to /echo
 *   /big/N         200 with Content-Length N and N bytes
 *   /stream/N      200 without Content-Length: N bytes, then closes
 *   /short         Content-Length 100, 10 bytes, then closes
 *   /headers       x-syncml-hmac, Retry-After (delta), Content-Type
 *   /retrydate     Retry-After as an HTTP-date 120 s ahead
 *   /stall         reads the request, never answers
 *   /slow          headers and 10 of 100000 bytes, then nothing
 * Anything else is a 404. Each connection has its own thread, which holds
 * a stalled connection until the client closes it or the server is
 * stopped.
 */
#ifndef LUADM_HTTP_FIXTURE_H
#define LUADM_HTTP_FIXTURE_H

#include <limits.h>

struct fx_pki {
	char	dir[256];		/* the temporary directory */
	char	ca[PATH_MAX];		/* the CA that signs all */
	char	ca_dir[PATH_MAX];	/* the CA, as a hashed dir */
	char	other_ca[PATH_MAX];	/* an unrelated CA */
	char	srv_cert[PATH_MAX];	/* 127.0.0.1, localhost */
	char	srv_key[PATH_MAX];
	char	wrong_cert[PATH_MAX];	/* wrong.example.invalid */
	char	wrong_key[PATH_MAX];
	char	cli_cert[PATH_MAX];	/* client auth, signed by ca */
	char	cli_key[PATH_MAX];
	char	stray_cert[PATH_MAX];	/* client auth, by other_ca */
	char	stray_key[PATH_MAX];
};

/* Makes the PKI under $TMPDIR (or /tmp). 0, or -1 with a message on stderr. */
int	fx_pki_create(struct fx_pki *p);
/* Removes every file and the directory. */
void	fx_pki_destroy(struct fx_pki *p);

struct fx_server_opts {
	int		 tls;
	const char	*cert;		/* PEM, for tls */
	const char	*key;
	const char	*client_ca;	/* require a client cert from it */
	int		 stall_handshake; /* accept, then never speak */
};

struct fx_server;

/* Starts the server thread. NULL with a message on stderr on failure. */
struct fx_server *fx_server_start(const struct fx_server_opts *o);
int	fx_server_port(const struct fx_server *s);
/* Connections accepted and TLS handshakes completed so far. */
int	fx_server_accepts(const struct fx_server *s);
int	fx_server_handshakes(const struct fx_server *s);
/* Stops and joins the thread, frees everything. Accepts NULL. */
void	fx_server_stop(struct fx_server *s);

/* A port on 127.0.0.1 that nothing listens on (bound, then closed). */
int	fx_free_port(void);

#endif
