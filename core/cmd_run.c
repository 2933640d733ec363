/*
 * cmd_run.c: `luadm run` — the foreground client, for systemd (Type=simple)
 * or a terminal. Keeps a schedule per enrolled account (the account's
 * DMClient poll interval, else run.interval_s), runs one session at a time,
 * retries a failed one with exponential backoff (the account's
 * InitialBackOffTime up to MaxBackOffTime), and runs a session at once on a
 * trigger: "session [SERVERID]" on the Unix datagram socket (run.socket,
 * see `luadm trigger`), or a server's package #0 on that socket or on UDP
 * (run.udp), verified before anything runs.
 * SIGTERM/SIGINT: the message in flight is abandoned (never resent), what
 * was stored stays stored, exit 0. SIGHUP: the configuration and the CSPs
 * are read again; a CSP whose new version does not load keeps its previous
 * one, and a broken configuration keeps the old one.
 *
 * The signal flags are the only process-wide state; they live here
 * because this command is the process's main loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "tree.h"
#include "util.h"

static volatile int run_stop;		/* SIGTERM, SIGINT */
static volatile sig_atomic_t run_hup;	/* SIGHUP */
static int run_pipe[2] = { -1, -1 };	/* wakes poll() from a handler */

static void
run_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		run_hup = 1;
	else
		run_stop = 1;
	if (run_pipe[1] >= 0 && write(run_pipe[1], "x", 1) < 0) {
		/* the pipe is full: poll() wakes anyway */
	}
	errno = saved;
}

struct sched {
	char		*id;		/* AccountID */
	uint64_t	 due;		/* ms, monotonic */
	unsigned long	 backoff_ms;	/* 0: not in backoff */
	int		 seen;
};

struct run {
	const struct config	*cfg;
	struct config		*owned;	/* a reloaded configuration */
	struct tree		*tree;
	struct sched		*s;
	size_t			 n;
	int			 sock;	/* Unix datagram socket, or -1 */
	int			 udp;	/* UDP socket for package #0, or -1 */
	unsigned		 sessions;	/* run so far (--max-sessions) */
	unsigned		 interval_s;	/* --interval, 0: configured */
};

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] run [--interval SECS] "
	    "[--max-sessions N]\n"
	    "\n"
	    "The foreground client (systemd Type=simple, or a terminal): "
	    "sessions with every\nenrolled server on their schedule (the "
	    "account's DMClient poll interval, else\nrun.interval_s), failed "
	    "ones retried with exponential backoff, and a session\nat once on "
	    "a trigger: the datagram \"session [SERVERID]\" on the socket\n"
	    "run.socket (default STATE_DIR/luadm.sock). SIGTERM or SIGINT "
	    "stops it cleanly\n(exit 0); SIGHUP reloads the configuration and "
	    "the CSPs.\n"
	    "\n"
	    "--interval overrides every account's schedule; --max-sessions "
	    "stops after N\nsessions (for tests and one-shot use).\n");
}

static unsigned long
acc_num(const struct account *a, const char *key, unsigned long def)
{
	const char *v = account_get(a, key, NULL);
	char *end;
	unsigned long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtoul(v, &end, 10);
	return *end == '\0' && n > 0 ? n : def;
}

/* The interval between sessions of an account, in ms. */
static uint64_t
interval_ms(const struct run *r, const struct account *a)
{
	unsigned long min = acc_num(a,
	    "DMClient/Poll/IntervalForRemainingScheduledRetries", 0);

	if (r->interval_s > 0)
		return (uint64_t)r->interval_s * 1000;
	if (min > 0)
		return (uint64_t)min * 60000;
	return (uint64_t)r->cfg->run.interval_s * 1000;
}

/* Brings the schedule in line with the accounts enrolled now. */
static void
refresh_accounts(struct run *r)
{
	char **ids = NULL, *err = NULL;
	struct sched *ns;
	size_t n = 0, i, j;

	if (account_list(r->cfg->state_dir, &ids, &n, &err) != 0) {
		log_warnx("%s", err != NULL ? err : "cannot list accounts");
		free(err);
		return;
	}
	for (j = 0; j < r->n; j++)
		r->s[j].seen = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < r->n; j++)
			if (strcmp(r->s[j].id, ids[i]) == 0)
				break;
		if (j < r->n) {
			r->s[j].seen = 1;
			continue;
		}
		ns = realloc(r->s, (r->n + 1) * sizeof(*ns));
		if (ns == NULL)
			break;
		r->s = ns;
		memset(&r->s[r->n], 0, sizeof(r->s[0]));
		r->s[r->n].id = strdup(ids[i]);
		r->s[r->n].due = util_now_ms();	/* a first session now */
		r->s[r->n].seen = 1;
		if (r->s[r->n].id != NULL) {
			log_info("account %s: first session now", ids[i]);
			r->n++;
		}
	}
	for (j = r->n; j-- > 0;)
		if (!r->s[j].seen) {	/* unenrolled */
			free(r->s[j].id);
			r->s[j] = r->s[--r->n];
		}
	account_list_free(ids, n);
}

/* Runs the session of entry i and plans the next one. */
static void
run_session(struct run *r, size_t i)
{
	struct client_opts co;
	struct account *acc = NULL;
	char *err = NULL;
	unsigned long init, max;
	int rc;

	rc = account_load(r->cfg->state_dir, r->s[i].id, &acc, &err);
	if (rc != 0) {
		log_warnx("account %s: %s", r->s[i].id, rc == 1 ? "gone" :
		    err);
		free(err);
		r->s[i].due = util_now_ms() + 60000;
		return;
	}
	memset(&co, 0, sizeof(co));
	co.stop = &run_stop;
	co.max_retries = 1;	/* the loop's backoff does the rest */
	r->sessions++;
	if (client_session(r->cfg, r->tree, acc, &co, &err) == 0) {
		r->s[i].backoff_ms = 0;
		r->s[i].due = util_now_ms() + interval_ms(r, acc);
		log_info("account %s: next session in %llu s", r->s[i].id,
		    (unsigned long long)(interval_ms(r, acc) / 1000));
	} else if (!run_stop) {
		init = acc_num(acc, "Ext/Microsoft/InitialBackOffTime", 16000);
		max = acc_num(acc, "Ext/Microsoft/MaxBackOffTime", 86400000);
		r->s[i].backoff_ms = r->s[i].backoff_ms == 0 ? init :
		    r->s[i].backoff_ms * 2;
		if (r->s[i].backoff_ms > max)
			r->s[i].backoff_ms = max;
		r->s[i].due = util_now_ms() + r->s[i].backoff_ms;
		log_warnx("account %s: session failed: %s; retrying in %lu "
		    "ms", r->s[i].id, err != NULL ? err : "?",
		    r->s[i].backoff_ms);
	}
	free(err);
	account_free(acc);
}

/* A package #0 from a socket: verified, then its session at once. */
static void
run_package0(struct run *r, const unsigned char *buf, size_t len)
{
	struct client_opts co;
	struct notify_msg m;
	struct account *acc = NULL;
	enum notify_nonce used;
	char sid[NOTIFY_SID_LEN], ebuf[512], *err = NULL;

	if (notify_accept(r->cfg->state_dir, buf, len, 1, &m, &acc, sid,
	    &used, ebuf, sizeof(ebuf)) != 0) {
		log_warnx("package #0: %s", ebuf);
		return;
	}
	log_info("package #0 from %s: session %s now (%s)", m.server_id, sid,
	    notify_ui_name(m.ui_mode));
	memset(&co, 0, sizeof(co));
	co.stop = &run_stop;
	co.server_initiated = 1;
	co.session_id = sid;
	co.max_retries = 1;
	r->sessions++;
	if (client_session(r->cfg, r->tree, acc, &co, &err) != 0)
		log_warnx("package #0 session with %s failed: %s", m.server_id,
		    err != NULL ? err : "?");
	free(err);
	account_free(acc);
}

/*
 * A datagram on the Unix socket: "session" or "session SERVERID" (from
 * `luadm trigger`), or a package #0 (what an SMS gateway or push hook
 * received).
 */
static void
run_trigger(struct run *r, int fd)
{
	unsigned char buf[NOTIFY_MAX_LEN];
	char id[ACCOUNT_ID_LEN + 1];
	const char *arg;
	ssize_t n;
	size_t i;

	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	if (n < 7 || memcmp(buf, "session", 7) != 0 || (n > 7 &&
	    buf[7] != ' ' && buf[7] != '\n')) {
		run_package0(r, buf, (size_t)n);
		return;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	arg = n > 8 ? (const char *)buf + 8 : NULL;
	if (arg != NULL && account_id(arg, id) != 0) {
		log_warnx("trigger socket: invalid server id");
		return;
	}
	refresh_accounts(r);
	for (i = 0; i < r->n; i++)
		if (arg == NULL || strcmp(r->s[i].id, id) == 0) {
			r->s[i].due = util_now_ms();
			r->s[i].backoff_ms = 0;
			log_info("trigger: session with account %s now",
			    r->s[i].id);
		}
}

/* The UDP socket of run.udp ("addr:port"), for package #0. */
static void
open_udp(struct run *r)
{
	struct addrinfo hints, *res = NULL;
	char host[256], *colon;
	int e;

	r->udp = -1;
	if (r->cfg->run.udp == NULL)
		return;
	snprintf(host, sizeof(host), "%s", r->cfg->run.udp);
	colon = strrchr(host, ':');
	if (colon == NULL) {
		log_warnx("run.udp %s: expected addr:port", r->cfg->run.udp);
		return;
	}
	*colon = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	e = getaddrinfo(host[0] != '\0' ? host : NULL, colon + 1, &hints,
	    &res);
	if (e != 0) {
		log_warnx("run.udp %s: %s", r->cfg->run.udp, gai_strerror(e));
		return;
	}
	r->udp = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (r->udp < 0 || bind(r->udp, res->ai_addr, res->ai_addrlen) != 0) {
		log_warn("run.udp %s", r->cfg->run.udp);
		if (r->udp >= 0)
			close(r->udp);
		r->udp = -1;
	} else
		log_info("package #0 over UDP: %s", r->cfg->run.udp);
	freeaddrinfo(res);
}

/* SIGHUP: configuration and CSPs again. */
static void
run_reload(struct run *r)
{
	struct config *cfg;
	struct tree *t;
	char *err = NULL;

	log_info("SIGHUP: reloading the configuration and the CSPs");
	cfg = config_load(r->cfg->path, &err);
	if (cfg == NULL) {
		log_warnx("reload: %s; keeping the old configuration", err);
		free(err);
		cfg = NULL;
	}
	t = tree_reload(cfg != NULL ? cfg : r->cfg, r->tree, &err);
	if (t == NULL) {
		log_warnx("reload: %s", err != NULL ? err : "out of memory");
		free(err);
		config_free(cfg);
		return;
	}
	tree_free(r->tree);
	r->tree = t;
	if (cfg != NULL) {
		config_free(r->owned);
		r->owned = cfg;
		r->cfg = cfg;
		log_setlevel((enum log_level)cfg->log_level);
	}
}

static int
open_socket(struct run *r)
{
	struct sockaddr_un sa;
	char *path;

	path = r->cfg->run.socket != NULL ? strdup(r->cfg->run.socket) :
	    util_asprintf("%s/luadm.sock", r->cfg->state_dir);
	if (path == NULL)
		return -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("run.socket %s: path too long", path);
		free(path);
		return -1;
	}
	r->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->sock < 0) {
		log_warn("socket");
		free(path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(r->sock, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		log_warn("bind %s", path);
		close(r->sock);
		r->sock = -1;
		free(path);
		return -1;
	}
	chmod(path, 0600);
	log_info("triggers: %s", path);
	free(path);
	return 0;
}

int
cmd_run(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "max-sessions", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	struct pollfd pfd[3];
	struct run r;
	uint64_t now, next;
	unsigned long max_sessions = 0;
	char *err = NULL, buf[64];
	size_t i;
	int ch, timeout, rc = 1;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.sock = -1;
	r.udp = -1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			r.interval_s = (unsigned)strtoul(optarg, NULL, 10);
			if (r.interval_s < 1) {
				run_usage(stderr);
				return 2;
			}
			break;
		case 'm':
			max_sessions = strtoul(optarg, NULL, 10);
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (pipe(run_pipe) != 0) {
		log_warn("pipe");
		return 1;
	}
	fcntl(run_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(run_pipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	r.tree = tree_new(cfg, &err);
	if (r.tree == NULL) {
		fprintf(stderr, "luadm: %s\n", err);
		free(err);
		goto out;
	}
	if (open_socket(&r) != 0)
		log_warnx("no trigger socket: scheduled sessions only");
	open_udp(&r);
	log_info("luadm %s running", LUADM_VERSION);
	refresh_accounts(&r);
	if (r.n == 0)
		log_info("no account is enrolled yet (luadm bootstrap); "
		    "waiting");
	while (!run_stop) {
		if (run_hup) {
			run_hup = 0;
			run_reload(&r);
		}
		now = util_now_ms();
		for (i = 0; i < r.n && !run_stop; i++)
			if (r.s[i].due <= now) {
				run_session(&r, i);
				now = util_now_ms();
			}
		if (max_sessions > 0 && r.sessions >= max_sessions)
			break;
		next = now + 60000;	/* look for new accounts now and then */
		for (i = 0; i < r.n; i++)
			if (r.s[i].due < next)
				next = r.s[i].due;
		timeout = next > now ? (int)(next - now) : 0;
		pfd[0].fd = run_pipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = r.sock;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		pfd[2].fd = r.udp;
		pfd[2].events = POLLIN;
		pfd[2].revents = 0;
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			while (read(run_pipe[0], buf, sizeof(buf)) > 0)
				;
		if (r.sock >= 0 && (pfd[1].revents & POLLIN))
			run_trigger(&r, r.sock);
		if (r.udp >= 0 && (pfd[2].revents & POLLIN))
			run_trigger(&r, r.udp);
		if (!run_stop && next - now >= 60000)
			refresh_accounts(&r);
	}
	if (run_stop)
		log_info("stopping (signal): state saved");
	rc = 0;
out:
	if (r.sock >= 0) {
		char *path = r.cfg->run.socket != NULL ?
		    strdup(r.cfg->run.socket) :
		    util_asprintf("%s/luadm.sock", r.cfg->state_dir);

		close(r.sock);
		if (path != NULL)
			unlink(path);
		free(path);
	}
	if (r.udp >= 0)
		close(r.udp);
	for (i = 0; i < r.n; i++)
		free(r.s[i].id);
	free(r.s);
	tree_free(r.tree);
	config_free(r.owned);
	close(run_pipe[0]);
	close(run_pipe[1]);
	run_pipe[0] = run_pipe[1] = -1;
	return rc;
}

/*
 * `luadm trigger [SERVERID]`: asks a running `luadm run` for a session now
 * (with every account, or with SERVERID's), through its socket;
 * `luadm trigger --package FILE` hands it a server's package #0 instead.
 */
int
cmd_trigger(const struct config *cfg, int argc, char **argv)
{
	struct sockaddr_un sa;
	char *path, msg[300], *pkg = NULL, *err = NULL;
	const char *data = msg;
	size_t len;
	int fd, rc = 1, r;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: luadm [-c FILE] trigger [SERVERID]\n"
		    "       luadm [-c FILE] trigger --package FILE\n\n"
		    "Asks a running `luadm run` for a session now, or hands it "
		    "a server's\npackage #0 (verified by luadm run before "
		    "anything happens).\n");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--package") == 0) {
		r = store_read(argv[2], NOTIFY_MAX_LEN, &pkg, &len, &err);
		if (r != 0) {
			fprintf(stderr, "luadm: trigger: %s\n", r == 1 ?
			    "no such file" : err);
			free(err);
			return 1;
		}
		data = pkg;
	} else if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: luadm [-c FILE] trigger [SERVERID | "
		    "--package FILE]\n");
		return 2;
	} else {
		if (argc == 2 && strlen(argv[1]) > 255) {
			fprintf(stderr, "luadm: trigger: server id too "
			    "long\n");
			return 2;
		}
		snprintf(msg, sizeof(msg), "session%s%s", argc == 2 ? " " : "",
		    argc == 2 ? argv[1] : "");
		len = strlen(msg);
	}
	path = cfg->run.socket != NULL ? strdup(cfg->run.socket) :
	    util_asprintf("%s/luadm.sock", cfg->state_dir);
	if (path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "luadm: trigger: bad socket path\n");
		free(path);
		free(pkg);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && sendto(fd, data, len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == (ssize_t)len)
		rc = 0;
	else
		fprintf(stderr, "luadm: trigger: %s: %s (is `luadm run` "
		    "running?)\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	free(pkg);
	return rc;
}
