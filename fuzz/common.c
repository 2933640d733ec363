/*
 * common.c: helpers of the fuzz targets (see common.h).
 */
#define _XOPEN_SOURCE 700	/* nftw */

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt,
    ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: property failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
fuzz_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The scratch directory of this process (one per target binary). */
static char scratch[4096];

static void
scratch_remove(void)
{
	if (scratch[0] != '\0')
		fuzz_rmtree(scratch);
}

const char *
fuzz_scratch(const char *name)
{
	const char *base;

	if (scratch[0] != '\0')
		return scratch;
	base = getenv("LUADM_FUZZ_TMPDIR");
	if (base == NULL || *base == '\0') {
		if (access("/dev/shm", W_OK) == 0)
			base = "/dev/shm";
		else if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
			base = "/tmp";
	}
	snprintf(scratch, sizeof(scratch), "%s/luadm-fuzz-%s.XXXXXX", base,
	    name);
	if (mkdtemp(scratch) == NULL) {
		perror(scratch);
		abort();
	}
	atexit(scratch_remove);
	return scratch;
}

char *
fuzz_strndup(const uint8_t *data, size_t n)
{
	char *s;

	s = malloc(n + 1);
	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

size_t
fuzz_split(const uint8_t *data, size_t size, size_t max, const uint8_t **f,
    size_t *flen)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i < size && n + 1 < max; i++) {
		if (data[i] != '\0')
			continue;
		f[n] = data + start;
		flen[n] = i - start;
		n++;
		start = i + 1;
	}
	f[n] = data + start;
	flen[n] = size - start;
	return n + 1;
}
