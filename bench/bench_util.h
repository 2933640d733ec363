/*
 * bench_util: what the benchmark programs of bench/ share: a monotonic
 * clock, formatted allocation, small files, removing a temporary tree and
 * showing the end of a child's stderr after a WRONG. No core code: the
 * benchmarks that run the luadm binary measure it from outside.
 */
#ifndef LUADM_BENCH_UTIL_H
#define LUADM_BENCH_UTIL_H

#include <stddef.h>

/* Seconds of CLOCK_MONOTONIC. */
double	bench_now_s(void);

/* A malloc'd formatted string, or NULL. */
char	*bench_asprintf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* Writes len bytes of p to path (created or truncated). 0 or -1. */
int	bench_write_file(const char *path, const void *p, size_t len);

/* Removes the tree at root (NULL: nothing); a failure is printed with who. */
void	bench_rm_tree(const char *who, const char *root);

/* Prints the last 4000 bytes of the file path, headed by title. */
void	bench_show_tail(const char *path, const char *title);

#endif
