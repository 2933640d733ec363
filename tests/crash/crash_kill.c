/*
 * crash_kill: runs a command and kills it with SIGKILL after a delay given
 * in microseconds, for the crash-safety test (tests/crash/test_kill.sh).
 *
 *   crash_kill [-k DELAY_US] [-t TIMEFILE] [-l LIMIT_S] -- COMMAND [ARG...]
 *
 * -k  send SIGKILL to the command DELAY_US microseconds after it started,
 *     unless it exited before (without -k it is never killed early);
 * -t  write the command's run time in microseconds to TIMEFILE;
 * -l  a hard limit in seconds (default 60): past it the command is killed
 *     and crash_kill exits 124, so that a hung run cannot hang the test.
 *
 * Exit status: the command's own exit status; 137 when crash_kill killed it
 * at the delay (so a shell reads it as "killed by signal 9"); 128 + N when
 * it died of another signal N (reported on stderr); 124 at the hard limit;
 * 125 on a usage or system error; 127 when the command cannot be run.
 *
 * The command gets CRASH_T0 in its environment: the CLOCK_MONOTONIC time
 * of its start in microseconds, so that crash_shim.so can log when each
 * of its events happened.
 *
 * The wait uses sigtimedwait() on SIGCHLD (blocked before the fork), so a
 * command that ends before the delay is reaped at once and the delay is
 * not slept through.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_KILLED	137
#define EXIT_LIMIT	124
#define EXIT_USAGE	125
#define EXIT_NOEXEC	127

static void
usage(void)
{
	fprintf(stderr, "usage: crash_kill [-k DELAY_US] [-t TIMEFILE] "
	    "[-l LIMIT_S] -- COMMAND [ARG...]\n");
	exit(EXIT_USAGE);
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long
parse_num(const char *s, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "crash_kill: bad %s '%s'\n", what, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/*
 * Waits until the child exits or deadline (monotonic, in microseconds)
 * passes. Returns 1 when it exited (*status set), 0 at the deadline.
 */
static int
wait_until(pid_t pid, const sigset_t *chld, long long deadline, int *status)
{
	struct timespec ts;
	long long left;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r == -1 && errno != EINTR) {
			perror("crash_kill: waitpid");
			exit(EXIT_USAGE);
		}
		left = deadline - now_us();
		if (left <= 0)
			return 0;
		ts.tv_sec = left / 1000000;
		ts.tv_nsec = (left % 1000000) * 1000;
		if (sigtimedwait(chld, NULL, &ts) == -1 && errno != EAGAIN &&
		    errno != EINTR) {
			perror("crash_kill: sigtimedwait");
			exit(EXIT_USAGE);
		}
	}
}

static void
reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) == -1) {
		if (errno != EINTR) {
			perror("crash_kill: waitpid");
			exit(EXIT_USAGE);
		}
	}
}

int
main(int argc, char *argv[])
{
	const char *timefile = NULL;
	long long delay = -1, limit = 60, start, end;
	char t0[32];
	sigset_t chld, old;
	FILE *f;
	pid_t pid;
	int ch, status = 0, killed = 0, limited = 0;

	while ((ch = getopt(argc, argv, "+k:t:l:")) != -1) {
		switch (ch) {
		case 'k':
			delay = parse_num(optarg, "delay");
			break;
		case 't':
			timefile = optarg;
			break;
		case 'l':
			limit = parse_num(optarg, "limit");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &old) == -1) {
		perror("crash_kill: sigprocmask");
		return EXIT_USAGE;
	}
	start = now_us();
	pid = fork();
	if (pid == -1) {
		perror("crash_kill: fork");
		return EXIT_USAGE;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(t0, sizeof(t0), "%lld", start);
		setenv("CRASH_T0", t0, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "crash_kill: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(EXIT_NOEXEC);
	}

	if (delay >= 0 && delay < limit * 1000000) {
		if (!wait_until(pid, &chld, start + delay, &status)) {
			kill(pid, SIGKILL);
			reap(pid, &status);
			killed = WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGKILL;
		}
	} else if (!wait_until(pid, &chld, start + limit * 1000000, &status)) {
		kill(pid, SIGKILL);
		reap(pid, &status);
		limited = 1;
	}
	end = now_us();

	if (timefile != NULL) {
		f = fopen(timefile, "w");
		if (f == NULL || fprintf(f, "%lld\n", end - start) < 0 ||
		    fclose(f) == EOF) {
			perror(timefile);
			return EXIT_USAGE;
		}
	}
	if (limited) {
		fprintf(stderr, "crash_kill: %s still ran after %llds: "
		    "killed\n", argv[0], limit);
		return EXIT_LIMIT;
	}
	if (killed)
		return EXIT_KILLED;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "crash_kill: %s died of signal %d\n", argv[0],
		    WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return EXIT_USAGE;
}
