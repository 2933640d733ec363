/*
 * http: the HTTPS transport of a DM session, over libcurl (OpenSSL). One
 * struct http is one session's connection: every POST reuses it (one TLS
 * handshake per session), and a new one is made only when the server closed
 * it. TLS peer and host verification are always on; the CA file/dir and a
 * client certificate and key (mutual TLS) are configurable. Failures come
 * back as one line naming the URL and the cause (DNS, refused, TLS
 * verification with OpenSSL's reason, timeout, HTTP status with the start
 * of the body). Nothing is retried here: the session decides.
 */
#ifndef LUADM_HTTP_H
#define LUADM_HTTP_H

#include <stddef.h>

struct http_opts {
	const char	*ca_file;	/* PEM bundle, NULL = system default */
	const char	*ca_dir;	/* hashed CA dir, NULL = default */
	const char	*client_cert;	/* PEM certificate for mutual TLS */
	const char	*client_key;	/* its PEM key */
	const char	*user_agent;	/* NULL = "luadm/<version>" */
	long		 connect_timeout_ms;	/* 0 = 30000 */
	long		 total_timeout_ms;	/* one request; 0 = 300000 */
	long		 low_speed_time_s;	/* abort below low_speed_limit
						   bytes/s for this long;
						   0 = 60 */
	long		 low_speed_limit;	/* 0 = 1 byte/s */
	size_t		 max_response;	/* refuse bodies larger; 0 = 16 MiB */
};

/* One header line to send, "Name: value". */
struct http_header {
	const char	*name;
	const char	*value;
};

struct http_response {
	long		 status;	/* HTTP status code */
	char		*body;		/* malloc'd, NUL-terminated */
	size_t		 len;
	char		*content_type;	/* malloc'd or NULL */
	long long	 content_length;	/* from the header, -1 if none */
	int		 short_body;	/* the connection closed before
					   Content-Length bytes came */
	char		*hmac;		/* x-syncml-hmac header or NULL */
	long		 retry_after_s;	/* Retry-After (429/503), -1 */
};

struct http;

/* NULL with *err (malloc'd) on failure. Free with http_free(). */
struct http *http_new(const struct http_opts *o, char **err);
void	http_free(struct http *h);

/*
 * POSTs len bytes of body to url with Content-Type ctype and the extra
 * headers. Returns 0 with *resp filled (any HTTP status: the caller judges
 * it), or -1 with *err a one-line message naming url and the cause.
 * A body shorter than its Content-Length sets short_body and returns 0.
 */
int	http_post(struct http *h, const char *url, const char *ctype,
	    const struct http_header *headers, size_t nheaders,
	    const void *body, size_t len, struct http_response *resp,
	    char **err);
void	http_response_free(struct http_response *r);

/* How many connections (TLS handshakes) this http has made so far. */
long	http_connections(const struct http *h);

#endif
