/*
 * dmtest.h: what the parts of the dmtest harness share. dmtest.c runs
 * programs (struct run, run_spawn, run_wait), parses XML and starts the
 * prelude; dmserver.c is the scripted DM server (sockets, TLS, HTTP/1.1
 * framing) whose requests the prelude's Lua handlers answer while luadm
 * runs, polled from run_wait through a struct run_hook; dmcrypto.c gives
 * the prelude digests, base64 and random bytes (OpenSSL EVP) to compute
 * and check OMA DM credentials on its own. None of them uses core/.
 */
#ifndef DMTEST_H
#define DMTEST_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#include <lua.h>

#define RUN_MT		"dmtest.Run"
#define SERVER_MT	"dmtest.Server"

/* One captured output stream of a child. */
struct stream {
	int		 fd;
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int		 truncated;
};

/* A running child and what it wrote: a userdata, so that a Lua error
 * (memory) while results are pushed cannot leak fds, memory or a child. */
struct run {
	pid_t		 pid;
	struct stream	 out;
	struct stream	 err;
	char		**argv;
	double		 start;
};

/*
 * What run_wait polls besides the child's pipes. fill() writes up to max
 * pollfds and returns how many, lowering *next (a monotonic time) when a
 * timer is due earlier; handle() gets the same pollfds back after poll()
 * (revents set, possibly all 0 when a timer expired). handle() may call
 * Lua and must leave the stack as it found it.
 */
struct run_hook {
	int	(*fill)(void *arg, struct pollfd *pfd, int max,
		    double *next);
	void	(*handle)(void *arg, lua_State *L, struct pollfd *pfd,
		    int n);
	void	*arg;
};

/* Monotonic time in seconds. */
double	dmtest_now(void);

/*
 * Starts argv (the table at index argv_idx, searched in PATH) with stdin
 * /dev/null in its own process group, in cwd (NULL: ours). Pushes the run
 * userdata and returns it, or pushes nil, message and returns NULL. May
 * raise (bad argv, memory).
 */
struct run *run_spawn(lua_State *L, int argv_idx, const char *cwd);

/*
 * Collects the child's output until it exits, polling hook (may be NULL)
 * too; kills the group after timeout seconds. Pushes { stdout, stderr,
 * code, signal, timed_out, truncated, elapsed }. May raise (memory).
 */
void	run_wait(lua_State *L, struct run *r, double timeout,
	    const struct run_hook *hook);

/* Adds the server's functions (listen) to the table on top of L. */
void	dmserver_register(lua_State *L);
/* Adds digest, b64encode, b64decode, random to the table on top of L. */
void	dmcrypto_register(lua_State *L);

#endif
