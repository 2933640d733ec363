/*
 * bench_util.c: helpers shared by the benchmark programs (see
 * bench_util.h).
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

#define TAIL_BYTES	4000

double
bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *
bench_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

int
bench_write_file(const char *path, const void *p, size_t len)
{
	FILE *f;
	int rc = -1;

	f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	if (fwrite(p, 1, len, f) == len)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* nftw callback of bench_rm_tree. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
bench_rm_tree(const char *who, const char *root)
{
	if (root != NULL && nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "%s: %s left behind: %s\n", who, root,
		    strerror(errno));
}

void
bench_show_tail(const char *path, const char *title)
{
	char line[512];
	FILE *f;
	long size;

	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fseek(f, 0, SEEK_END) == 0) {
		size = ftell(f);
		if (size > TAIL_BYTES)
			fseek(f, size - TAIL_BYTES, SEEK_SET);
		else
			rewind(f);
	}
	fprintf(stderr, "%s\n", title);
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "  %s", line);
	fclose(f);
}
