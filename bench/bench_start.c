/*
 * bench_start.c: the start-up benchmark. How long a configured luadm takes
 * from exec to the first byte it sends to its server: process start, the
 * config, every shipped CSP (csp-scripts/) loaded, the account, package 1
 * composed, the TLS context, the TCP connection and the ClientHello.
 *
 * The benchmark listens on a plain TCP socket on 127.0.0.1 (a port the
 * kernel chooses) and enrols an account whose ADDR is
 * https://127.0.0.1:PORT/dm in a temporary state dir (`luadm bootstrap`,
 * CONNRETRYFREQ 0 so that a failed session is not retried, and a short
 * INITIALBACKOFFTIME: `luadm run` retries its first POST once, after that
 * backoff, even when SIGTERM abandoned it). Then, REPS times for each
 * command:
 *
 *   t0  just before fork/exec of the command;
 *   t1  when the first byte is readable on the connection it opened.
 *
 * That byte must be 22, a TLS handshake record (the ClientHello): anything
 * else is a WRONG. The connection is then closed without an answer, so the
 * session fails, and the process is reaped:
 *
 *   luadm -q -c CONF session              must exit non-zero, by no signal;
 *   luadm -q -c CONF run --interval 3600  its first session runs at once;
 *                                         it gets SIGTERM after the first
 *                                         byte and must exit 0;
 *   curl -sk https://127.0.0.1:PORT/dm    the floor of any HTTPS client
 *                                         (skipped when curl is not in
 *                                         PATH); must exit non-zero.
 *
 * Usage: bench_start [-l luadm] [-s source_dir] [-t tmp_parent] [-r reps]
 * Output: one line per command, for bench/run.sh's table: the best and the
 * median of the reps in ms. A wrong answer prints WRONG on stderr and the
 * program exits 1; timings are never judged.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#ifndef BENCH_LUADM
#define BENCH_LUADM	"build/luadm"
#endif
#ifndef BENCH_SOURCE_DIR
#define BENCH_SOURCE_DIR	"."
#endif

#define ST_TIMEOUT	30	/* seconds to the first byte, and to exit */
#define ST_TLS_HANDSHAKE 22	/* the content type of a TLS record */

/* What the benchmark was told. */
struct st_opts {
	const char	*luadm;
	const char	*src;
	int		 reps;
};

/* The temporary directory of one benchmark run. */
struct st_dir {
	char	*root;
	char	*conf;
	char	*prov;		/* the provisioning document */
	char	*errlog;	/* the stderr of the command measured */
};

/* One command to measure. */
struct st_cmd {
	const char	*name;	/* in the row and in messages */
	char		*const *argv;
	int		 term;	/* SIGTERM at the first byte, exit 0 */
};

static void
dir_free(struct st_dir *d)
{
	if (d == NULL)
		return;
	bench_rm_tree("bench_start", d->root);
	free(d->root);
	free(d->conf);
	free(d->prov);
	free(d->errlog);
	memset(d, 0, sizeof(*d));
}

/*
 * Listens on 127.0.0.1, a port the kernel chooses (*port), non-blocking.
 * Returns the socket, or -1 with a message printed.
 */
static int
listen_local(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1)
		goto err;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		goto err;
	*port = ntohs(sin.sin_port);
	return fd;
err:
	fprintf(stderr, "bench_start: cannot listen on 127.0.0.1: %s\n",
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/* Closes every connection waiting on the listening socket (a stray one). */
static void
drain(int lfd)
{
	int fd;

	while ((fd = accept(lfd, NULL, NULL)) != -1)
		close(fd);
}

/* Prints the tail of the measured command's stderr after a WRONG. */
static void
show_stderr(const struct st_dir *d)
{
	bench_show_tail(d->errlog, "bench_start: its stderr (end):");
}

/*
 * Forks and execs argv (looked up in PATH), stdout to /dev/null, stderr
 * to errlog, killed by SIGALRM after ST_TIMEOUT s. Returns the pid, or
 * -1.
 */
static pid_t
spawn(char *const *argv, const char *errlog)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid != 0)
		return pid;
	fd = open("/dev/null", O_WRONLY);
	if (fd == -1 || dup2(fd, 1) == -1)
		_exit(127);
	close(fd);
	fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || dup2(fd, 2) == -1)
		_exit(127);
	close(fd);
	alarm(ST_TIMEOUT);	/* survives exec: a hung run dies */
	execvp(argv[0], argv);
	_exit(127);
}

/* Waits for pid; returns 0 with its status in *status, or -1. */
static int
reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Describes a wait status for a WRONG. */
static void
say_status(const char *name, int status, const char *why)
{
	if (WIFSIGNALED(status))
		fprintf(stderr, "bench_start: WRONG: %s: %s; killed by signal "
		    "%d%s\n", name, why, WTERMSIG(status),
		    WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	else
		fprintf(stderr, "bench_start: WRONG: %s: %s; exit %d\n", name,
		    why, WEXITSTATUS(status));
}

/*
 * Waits until fd is readable while pid runs; fails (WRONG printed, the
 * process reaped) when it exits first or after ST_TIMEOUT s.
 */
static int
wait_readable(int fd, pid_t pid, const char *name, const char *what,
    const struct st_dir *d)
{
	struct pollfd pfd;
	double t0 = (bench_now_s() * 1e3);
	pid_t w;
	int status, n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, 100);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR) {
			fprintf(stderr, "bench_start: poll: %s\n",
			    strerror(errno));
			break;
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			say_status(name, status, what);
			show_stderr(d);
			return -1;
		}
		if ((bench_now_s() * 1e3) - t0 > ST_TIMEOUT * 1e3) {
			fprintf(stderr, "bench_start: WRONG: %s: %s after "
			    "%d s\n", name, what, ST_TIMEOUT);
			break;
		}
	}
	kill(pid, SIGKILL);
	reap(pid, &status);
	show_stderr(d);
	return -1;
}

/*
 * One run of c: the ms from exec to the first byte in *ms. Checks the
 * byte is a TLS handshake record and the exit (see the header). Returns
 * 0, or -1 with WRONG printed.
 */
static int
measure(const struct st_cmd *c, int lfd, const struct st_dir *d, double *ms)
{
	unsigned char b;
	double t0, t1;
	pid_t pid;
	ssize_t n;
	int cfd, status;

	drain(lfd);
	t0 = (bench_now_s() * 1e3);
	pid = spawn(c->argv, d->errlog);
	if (pid == -1) {
		fprintf(stderr, "bench_start: fork: %s\n", strerror(errno));
		return -1;
	}
	if (wait_readable(lfd, pid, c->name, "exited before connecting",
	    d) != 0)
		return -1;
	cfd = accept(lfd, NULL, NULL);
	if (cfd == -1) {
		fprintf(stderr, "bench_start: accept: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		reap(pid, &status);
		return -1;
	}
	if (wait_readable(cfd, pid, c->name, "exited before sending a byte",
	    d) != 0) {
		close(cfd);
		return -1;
	}
	t1 = (bench_now_s() * 1e3);
	n = recv(cfd, &b, 1, MSG_PEEK);
	if (c->term)
		kill(pid, SIGTERM);
	close(cfd);
	if (reap(pid, &status) != 0) {
		fprintf(stderr, "bench_start: waitpid: %s\n", strerror(errno));
		return -1;
	}
	if (n != 1 || b != ST_TLS_HANDSHAKE) {
		fprintf(stderr, "bench_start: WRONG: %s: the first byte is %d, "
		    "not a TLS handshake record (22)\n", c->name,
		    n == 1 ? b : -1);
		show_stderr(d);
		return -1;
	}
	if (c->term && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		say_status(c->name, status, "no clean stop on SIGTERM");
		show_stderr(d);
		return -1;
	}
	if (!c->term && (WIFSIGNALED(status) || WEXITSTATUS(status) == 0 ||
	    WEXITSTATUS(status) == 127)) {
		say_status(c->name, status, "expected to fail (no answer), "
		    "by an exit code other than 127");
		show_stderr(d);
		return -1;
	}
	*ms = t1 - t0;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Measures c reps times and prints its row. Returns 0, or -1 (WRONG). */
static int
bench(const struct st_cmd *c, const struct st_opts *o, int lfd,
    const struct st_dir *d)
{
	double *ms, median;
	int i, rc = -1;

	ms = calloc((size_t)o->reps, sizeof(*ms));
	if (ms == NULL)
		return -1;
	for (i = 0; i < o->reps; i++)
		if (measure(c, lfd, d, &ms[i]) != 0)
			goto out;
	qsort(ms, (size_t)o->reps, sizeof(*ms), cmp_double);
	median = o->reps % 2 == 1 ? ms[o->reps / 2] :
	    (ms[o->reps / 2 - 1] + ms[o->reps / 2]) / 2;
	printf("start   %s: first byte sent %.1f ms after exec (best of %d; "
	    "median %.1f)\n", c->name, ms[0], o->reps, median);
	fflush(stdout);
	rc = 0;
out:
	free(ms);
	return rc;
}

/*
 * Makes the temporary directory under parent (config, state, the
 * provisioning document) and enrols the account of port with
 * `luadm bootstrap`. Returns 0, or -1 with a message printed.
 */
static int
dir_make(struct st_dir *d, const char *parent, const struct st_opts *o,
    unsigned port)
{
	char *p = NULL, *conf = NULL, *prov = NULL;
	char *argv[7];
	pid_t pid;
	int status, rc = -1;

	memset(d, 0, sizeof(*d));
	p = bench_asprintf("%s/bench-start.XXXXXX", parent);
	if (p == NULL || mkdtemp(p) == NULL) {
		fprintf(stderr, "bench_start: mkdtemp in %s: %s\n", parent,
		    strerror(errno));
		free(p);
		return -1;
	}
	d->root = p;
	d->conf = bench_asprintf("%s/luadm.conf", d->root);
	d->prov = bench_asprintf("%s/prov.xml", d->root);
	d->errlog = bench_asprintf("%s/stderr", d->root);
	conf = bench_asprintf("-- written by bench_start\n"
	    "state_dir = \"%s/state\"\n"
	    "csp_path = { \"%s/csp-scripts\" }\n"
	    "session = { timeout_ms = 10000, connect_timeout_ms = 5000 }\n",
	    d->root, o->src);
	prov = bench_asprintf("<wap-provisioningdoc version=\"1.1\">\n"
	    "  <characteristic type=\"APPLICATION\">\n"
	    "    <parm name=\"APPID\" value=\"w7\"/>\n"
	    "    <parm name=\"PROVIDER-ID\" value=\"BenchStart\"/>\n"
	    "    <parm name=\"ADDR\" value=\"https://127.0.0.1:%u/dm\"/>\n"
	    "    <parm name=\"CONNRETRYFREQ\" value=\"0\"/>\n"
	    "    <parm name=\"INITIALBACKOFFTIME\" value=\"100\"/>\n"
	    "    <parm name=\"MAXBACKOFFTIME\" value=\"200\"/>\n"
	    "    <characteristic type=\"APPAUTH\">\n"
	    "      <parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>\n"
	    "      <parm name=\"AAUTHTYPE\" value=\"BASIC\"/>\n"
	    "      <parm name=\"AAUTHNAME\" value=\"dev\"/>\n"
	    "      <parm name=\"AAUTHSECRET\" value=\"pw\"/>\n"
	    "    </characteristic>\n"
	    "    <characteristic type=\"APPAUTH\">\n"
	    "      <parm name=\"AAUTHLEVEL\" value=\"CLIENT\"/>\n"
	    "      <parm name=\"AAUTHTYPE\" value=\"DIGEST\"/>\n"
	    "      <parm name=\"AAUTHNAME\" value=\"srv\"/>\n"
	    "      <parm name=\"AAUTHSECRET\" value=\"pw2\"/>\n"
	    "    </characteristic>\n"
	    "  </characteristic>\n"
	    "</wap-provisioningdoc>\n", port);
	if (d->conf == NULL || d->prov == NULL || d->errlog == NULL ||
	    conf == NULL || prov == NULL ||
	    bench_write_file(d->conf, conf, strlen(conf)) != 0 ||
	    bench_write_file(d->prov, prov, strlen(prov)) != 0) {
		fprintf(stderr, "bench_start: cannot write under %s: %s\n",
		    d->root, strerror(errno));
		goto out;
	}
	argv[0] = (char *)o->luadm;
	argv[1] = (char *)"-q";
	argv[2] = (char *)"-c";
	argv[3] = d->conf;
	argv[4] = (char *)"bootstrap";
	argv[5] = d->prov;
	argv[6] = NULL;
	pid = spawn(argv, d->errlog);
	if (pid == -1 || reap(pid, &status) != 0) {
		fprintf(stderr, "bench_start: cannot run %s: %s\n", o->luadm,
		    strerror(errno));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		say_status("luadm bootstrap", status, "the enrolment failed");
		show_stderr(d);
		goto out;
	}
	rc = 0;
out:
	free(conf);
	free(prov);
	return rc;
}

/* Whether an executable named name is in PATH. */
static int
in_path(const char *name)
{
	const char *path, *p, *e;
	char *f;
	int found = 0;

	path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	for (p = path;; p = e + 1) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p)	/* an empty entry is the current directory */
			f = bench_asprintf("./%s", name);
		else
			f = bench_asprintf("%.*s/%s", (int)(e - p), p, name);
		if (f != NULL && access(f, X_OK) == 0)
			found = 1;
		free(f);
		if (found || *e == '\0')
			break;
	}
	return found;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_start [-l luadm] [-s source_dir] "
	    "[-t tmp_parent] [-r reps]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct st_opts o;
	struct st_dir d;
	struct st_cmd c;
	const char *parent;
	char *url = NULL, *end;
	char *av[8];
	unsigned port = 0;
	long v;
	int ch, lfd = -1, rc = 1;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	o.luadm = BENCH_LUADM;
	o.src = BENCH_SOURCE_DIR;
	o.reps = 5;
	parent = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	while ((ch = getopt(argc, argv, "l:s:t:r:")) != -1) {
		switch (ch) {
		case 'l':
			o.luadm = optarg;
			break;
		case 's':
			o.src = optarg;
			break;
		case 't':
			parent = optarg;
			break;
		case 'r':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 100)
				usage();
			o.reps = (int)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_local(&port);
	if (lfd == -1)
		goto out;
	if (dir_make(&d, parent, &o, port) != 0)
		goto out;

	av[0] = (char *)o.luadm;
	av[1] = (char *)"-q";
	av[2] = (char *)"-c";
	av[3] = d.conf;
	av[4] = (char *)"session";
	av[5] = NULL;
	c.name = "luadm session";
	c.argv = av;
	c.term = 0;
	if (bench(&c, &o, lfd, &d) != 0)
		goto out;

	av[4] = (char *)"run";
	av[5] = (char *)"--interval";
	av[6] = (char *)"3600";
	av[7] = NULL;
	c.name = "luadm run";
	c.term = 1;
	if (bench(&c, &o, lfd, &d) != 0)
		goto out;

	if (in_path("curl")) {
		url = bench_asprintf("https://127.0.0.1:%u/dm", port);
		if (url == NULL)
			goto out;
		av[0] = (char *)"curl";
		av[1] = (char *)"-sk";
		av[2] = url;
		av[3] = NULL;
		c.name = "curl -sk (floor)";
		c.term = 0;
		if (bench(&c, &o, lfd, &d) != 0)
			goto out;
	} else
		fprintf(stderr, "bench_start: no curl in PATH: no floor\n");
	rc = 0;
out:
	if (lfd != -1)
		close(lfd);
	free(url);
	dir_free(&d);
	return rc;
}
