/*
 * http: the HTTPS transport of a DM session, over libcurl (OpenSSL). One
 * struct http is one session's connection: every POST reuses it (one TLS
 * handshake per session), and a new one is made only when the server closed
 * it. TLS peer and host verification are always on (TLS 1.2 at least);
 * the CA file/dir and a client certificate and key (mutual TLS) are
 * configurable. Only http and https URLs are accepted and redirects are
 * not followed. Failures come back as one line naming the URL (without any
 * user:password@) and the cause (DNS, refused, TLS verification with
 * OpenSSL's reason, timeout); an HTTP error status is not a failure here
 * but a response, which the caller reports with the start of the body.
 * Nothing is retried here: the session decides. Nothing is printed or
 * logged, and neither the request body nor a header value (Authorization,
 * the HMAC) ever appears in a message.
 * The process must have called curl_global_init() and must ignore SIGPIPE
 * (main does both).
 */
#ifndef LUADM_HTTP_H
#define LUADM_HTTP_H

#include <stddef.h>

struct http_opts {
	/*
	 * CAs to trust. When either is set, only the configured ones are
	 * trusted, not the system store as well; both NULL (or "") = the
	 * system store. Unreadable files fail http_new().
	 */
	const char	*ca_file;	/* PEM bundle */
	const char	*ca_dir;	/* hashed CA dir (c_rehash) */
	const char	*client_cert;	/* PEM certificate for mutual TLS */
	const char	*client_key;	/* its PEM key; NULL = in the
					   client_cert file */
	const char	*user_agent;	/* NULL = "luadm/<version>" */
	long		 connect_timeout_ms;	/* 0 = 30000 */
	long		 total_timeout_ms;	/* one request; 0 = 300000 */
	long		 low_speed_time_s;	/* abort below low_speed_limit
						   bytes/s for this long;
						   0 = 60 */
	long		 low_speed_limit;	/* 0 = 1 byte/s */
	size_t		 max_response;	/* refuse bodies larger (-1, "response
					   body larger than N bytes");
					   0 = 16 MiB */
	const volatile int *stop;	/* when it becomes non-zero (a signal
					   handler sets it), a request in
					   flight is abandoned: -1, "stopped" */
};

/*
 * One header line to send, "Name: value". The name is an HTTP token and
 * the value has no CR/LF (else http_post fails); an empty value is sent as
 * an empty header.
 */
struct http_header {
	const char	*name;
	const char	*value;
};

struct http_response {
	long		 status;	/* HTTP status code */
	char		*body;		/* malloc'd, NUL-terminated */
	size_t		 len;
	char		*content_type;	/* malloc'd or NULL */
	long long	 content_length;	/* from the header, or -1 */
	int		 short_body;	/* the connection closed before
					   Content-Length bytes came */
	char		*hmac;		/* x-syncml-hmac value or NULL */
	long		 retry_after_s;	/* Retry-After (429/503) in s,
					   from seconds or an HTTP-date,
					   at most a week; -1 if none */
};

struct http;

/* NULL with *err (malloc'd) on failure. Free with http_free(). */
struct http *http_new(const struct http_opts *o, char **err);
void	http_free(struct http *h);

/*
 * POSTs len bytes of body to url with Content-Type ctype and the extra
 * headers (no "Expect: 100-continue" is sent). Returns 0 with *resp filled
 * (any HTTP status, 1xx aside: the caller judges it; body is never NULL),
 * or -1 with *err (malloc'd; NULL only when out of memory) a one-line
 * message naming url and the cause, and *resp empty. *resp is overwritten:
 * free a previous response first. A body shorter than its Content-Length
 * sets short_body and returns 0 with the bytes that came.
 */
int	http_post(struct http *h, const char *url, const char *ctype,
	    const struct http_header *headers, size_t nheaders,
	    const void *body, size_t len, struct http_response *resp,
	    char **err);
/* Frees the fields and leaves *r empty; accepts NULL. */
void	http_response_free(struct http_response *r);

/*
 * How many connections (TLS handshakes) this http has made so far, failed
 * ones included (CURLINFO_NUM_CONNECTS summed over the requests).
 */
long	http_connections(const struct http *h);

#endif
