/*
 * util: small string and time helpers shared by the core: formatted
 * allocation, error messages for callers, a growable byte buffer and a
 * monotonic clock.
 */
#ifndef LUADM_UTIL_H
#define LUADM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* malloc'd formatted string, or NULL on allocation failure. */
char	*util_asprintf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
char	*util_vasprintf(const char *fmt, va_list ap)
	    __attribute__((format(printf, 1, 0)));

/*
 * Error reporting of functions that return an error to their caller:
 * util_seterr sets *err (when err is not NULL) to a malloc'd formatted
 * message, without freeing what *err held; util_errbuf formats into the
 * caller's buffer (when err is not NULL and errlen > 0). Both keep quiet
 * on allocation failure (*err is then NULL).
 */
void	util_seterr(char **err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	util_errbuf(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t util_now_ms(void);

/* A growable byte buffer; all zeroes is empty. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Appends; 0 or -1 on allocation failure. p stays NUL-terminated. */
int	buf_add(struct buf *b, const void *data, size_t len);
int	buf_addstr(struct buf *b, const char *s);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_free(struct buf *b);

#endif
