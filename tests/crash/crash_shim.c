/*
 * crash_shim: an LD_PRELOAD library for the crash-safety test
 * (tests/crash/test_kill.sh). It watches the steps of luadm's atomic file
 * writes (core/store.c: mkstemp, write, fsync, close, rename, fsync of the
 * directory) and numbers them as events; it can kill the process with
 * SIGKILL at a chosen event, log every event, and slow each one down so
 * that a kill from outside at a random moment often lands inside a write.
 *
 * Events, in the order one atomic write makes them:
 *   mkstemp        the temporary file was created (empty)
 *   write-half     a write to it is about to happen: killed here, only the
 *                  first half of the buffer is written (a torn write)
 *   write          the write is done
 *   fsync          the temporary file was synced
 *   close          it was closed
 *   rename-before  it is about to be renamed over the real file
 *   rename         it was renamed
 *   dirsync        the next fsync after a rename (the directory's) is done
 *
 * Environment:
 *   CRASH_AT=N       die with SIGKILL at event N (1-based)
 *   CRASH_LOG=FILE   append "N name file T" per event, T the microseconds
 *                    since CRASH_T0 (set by crash_kill; 0 without it);
 *                    without CRASH_AT the run completes and the log says
 *                    how many events it made and when
 *   CRASH_SLOW_US=N  sleep N microseconds at every event
 *
 * Only file descriptors returned by mkstemp() are watched, so writes to
 * stdout, sockets or other files are untouched. The shim keeps its state
 * in static variables: an interposer has no other place for it, and luadm
 * runs these commands in one thread.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRACKED	32
#define PATH_LEN	4096

struct tracked {
	int	used;
	int	fd;		/* -1 once closed */
	char	path[PATH_LEN];
};

static struct tracked	 files[MAX_TRACKED];
static unsigned long	 nevents;
static int		 dirsync_pending;

static ssize_t	(*real_write)(int, const void *, size_t);
static int	(*real_fsync)(int);
static int	(*real_close)(int);
static int	(*real_rename)(const char *, const char *);
static int	(*real_mkstemp)(char *);
static int	(*real_mkstemp64)(char *);

/* The next definition of name (libc's, or a sanitizer's interceptor). */
static void *
next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	/* nothing sensible is possible without the real function */
	if (p == NULL)
		abort();
	return p;
}

static void
resolve(void)
{
	if (real_write != NULL)
		return;
	real_fsync = (int (*)(int))next_sym("fsync");
	real_close = (int (*)(int))next_sym("close");
	real_rename = (int (*)(const char *, const char *))next_sym("rename");
	real_mkstemp = (int (*)(char *))next_sym("mkstemp");
	real_mkstemp64 = (int (*)(char *))next_sym("mkstemp64");
	real_write = (ssize_t (*)(int, const void *, size_t))
	    next_sym("write");
}

static unsigned long
env_num(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? strtoul(v, NULL, 10) : 0;
}

static void
die(void)
{
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

/* Microseconds since CRASH_T0 (CLOCK_MONOTONIC), or 0 without it. */
static long long
since_t0(void)
{
	const char *v = getenv("CRASH_T0");
	struct timespec ts;

	if (v == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 -
	    strtoll(v, NULL, 10);
}

static void
log_event(const char *name, const char *path)
{
	const char *file = getenv("CRASH_LOG"), *base;
	char line[512];
	int fd, n;

	if (file == NULL || *file == '\0')
		return;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (*base == '\0')
		base = "(renamed)";
	n = snprintf(line, sizeof(line), "%lu %s %s %lld\n", nevents, name,
	    base, since_t0());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return;
	(void)real_write(fd, line, (size_t)n);
	(void)real_close(fd);
}

/*
 * Counts an event; returns 1 when the process must die here (the caller
 * may do a last partial step first, then calls die()).
 */
static int
event(const char *name, const char *path)
{
	unsigned long at = env_num("CRASH_AT"), slow = env_num("CRASH_SLOW_US");
	struct timespec ts;

	nevents++;
	log_event(name, path);
	if (at != 0 && nevents == at)
		return 1;
	if (slow > 0) {
		ts.tv_sec = (time_t)(slow / 1000000);
		ts.tv_nsec = (long)(slow % 1000000) * 1000;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static struct tracked *
by_fd(int fd)
{
	size_t i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < MAX_TRACKED; i++)
		if (files[i].used && files[i].fd == fd)
			return &files[i];
	return NULL;
}

static struct tracked *
by_path(const char *path)
{
	size_t i;

	if (*path == '\0')
		return NULL;
	for (i = 0; i < MAX_TRACKED; i++)
		if (files[i].used && strcmp(files[i].path, path) == 0)
			return &files[i];
	return NULL;
}

static void
track(int fd, const char *path)
{
	size_t i;

	if (fd < 0 || strlen(path) >= PATH_LEN)
		return;
	for (i = 0; i < MAX_TRACKED; i++) {
		if (!files[i].used) {
			files[i].used = 1;
			files[i].fd = fd;
			strcpy(files[i].path, path);
			if (event("mkstemp", path))
				die();
			return;
		}
	}
}

int
mkstemp(char *tmpl)
{
	int fd;

	resolve();
	fd = real_mkstemp(tmpl);
	track(fd, tmpl);
	return fd;
}

int
mkstemp64(char *tmpl)
{
	int fd;

	resolve();
	fd = real_mkstemp64(tmpl);
	track(fd, tmpl);
	return fd;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	struct tracked *t;
	ssize_t r;

	resolve();
	t = by_fd(fd);
	if (t == NULL)
		return real_write(fd, buf, len);
	if (event("write-half", t->path)) {
		if (len > 1)
			(void)real_write(fd, buf, len / 2);
		die();
	}
	r = real_write(fd, buf, len);
	if (event("write", t->path))
		die();
	return r;
}

int
fsync(int fd)
{
	struct tracked *t;
	int r;

	resolve();
	t = by_fd(fd);
	r = real_fsync(fd);
	if (t != NULL) {
		if (event("fsync", t->path))
			die();
	} else if (dirsync_pending) {
		dirsync_pending = 0;
		if (event("dirsync", "(directory)"))
			die();
	}
	return r;
}

int
close(int fd)
{
	struct tracked *t;
	int r;

	resolve();
	t = by_fd(fd);
	r = real_close(fd);
	if (t != NULL) {
		t->fd = -1;
		if (event("close", t->path))
			die();
		if (t->path[0] == '\0')
			t->used = 0;
	}
	return r;
}

int
rename(const char *from, const char *to)
{
	struct tracked *t;
	int r;

	resolve();
	t = by_path(from);
	if (t == NULL)
		return real_rename(from, to);
	if (event("rename-before", to))
		die();
	r = real_rename(from, to);
	/* the descriptor stays watched while it is open */
	t->path[0] = '\0';
	if (t->fd == -1)
		t->used = 0;
	if (r == 0)
		dirsync_pending = 1;
	if (event("rename", to))
		die();
	return r;
}
