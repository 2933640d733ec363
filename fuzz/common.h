/*
 * common: what the fuzz targets share: a failed property aborts with a
 * message (libFuzzer then keeps the input as a crash), a private scratch
 * directory per process, removed at exit, and a recursive remove for the
 * targets whose code under test writes files.
 *
 * The scratch directory is made under $LUADM_FUZZ_TMPDIR (fuzz/run.sh sets
 * it), else /dev/shm (tmpfs: the store's fsyncs cost nothing), else $TMPDIR,
 * else /tmp.
 */
#ifndef LUADM_FUZZ_COMMON_H
#define LUADM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Aborts with the message when cond is false: a finding. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);	\
} while (0)

void	fuzz_fail(const char *file, int line, const char *cond,
	    const char *fmt, ...)
	    __attribute__((format(printf, 4, 5), noreturn));

/*
 * Creates (once per process) and returns the scratch directory
 * "<base>/luadm-fuzz-<name>.XXXXXX"; it is removed at exit. Aborts when it
 * cannot be made.
 */
const char *fuzz_scratch(const char *name);

/* Removes path and everything under it; a missing path is fine. */
void	fuzz_rmtree(const char *path);

/* A malloc'd NUL-terminated copy of n bytes; aborts when out of memory. */
char	*fuzz_strndup(const uint8_t *data, size_t n);

/*
 * Splits data at its NUL bytes into at most max fields (the last one takes
 * the rest, NULs included); returns the number of fields (at least 1).
 * The fields point into data and are not NUL-terminated.
 */
size_t	fuzz_split(const uint8_t *data, size_t size, size_t max,
	    const uint8_t **f, size_t *flen);

#endif
