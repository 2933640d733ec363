/*
 * bench_engine.c: the engine benchmark. Feeds one session, in-process, a
 * server message of N Replace commands (one Item each) into a Lua CSP
 * (bench/csp/Bench.lua at ./Vendor/Bench), then a message of N Get of the
 * same nodes, and times session_handle() for each: parse, engine, CSP
 * calls and the reply. In the same run it times libxml2 alone parsing and
 * re-serialising the same bytes (xmlReadMemory + xmlDocDumpMemory), the
 * floor any XML client pays, and prints the ratio of the two.
 *
 * Each message first gets a warm-up run whose reply is checked (a SyncHdr
 * Status 200, N Statuses 200, N Results holding the values stored), so
 * that the figures are of real work; then each measurement is repeated,
 * every reply must equal the checked one byte for byte, and the best run
 * is reported. A wrong reply prints WRONG and the program exits 1.
 * Timings are never judged here. The check runs in a child process, so
 * that it does not count in the peak RSS reported: that is the engine's
 * (libxml2 alone peaks lower), with the two messages the benchmark holds.
 *
 * Usage: bench_engine [-n commands] [-r repetitions] [-c csp_dir]
 *	      [-s state_dir]
 * Output: one line per message, for bench/run.sh's table.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "config.h"
#include "log.h"
#include "session.h"
#include "syncml.h"
#include "tree.h"
#include "util.h"
#include "bench_util.h"

#ifndef BENCH_CSP_DIR
#define BENCH_CSP_DIR	"bench/csp"
#endif

#define BENCH_MOUNT	"./Vendor/Bench"
#define BENCH_SERVER	"https://bench.example/dm"
#define BENCH_DEVID	"BENCH0000DEVICE"

/* One message of the benchmark and what was measured for it. */
struct bench_msg {
	const char	*verb;		/* "Replace" or "Get" */
	char		*xml;		/* the server's message */
	size_t		 len;
	double		 engine_s;	/* best session_handle() time */
	double		 xml_s;		/* best libxml2 round trip */
	size_t		 reply_len;
	long		 rss_kib;	/* peak RSS after the message */
};

static long
peak_rss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss;	/* KiB on Linux */
}

/*
 * Builds the server's message: msg_id, then n commands of verb on
 * ./Vendor/Bench/n<i>, Replace carrying "value-<i>". Returns a malloc'd
 * string (*len bytes) or NULL.
 */
static char *
build_msg(const char *verb, unsigned long msg_id, unsigned long n,
    size_t *len)
{
	struct buf b = { 0 };
	unsigned long i;
	int data = strcmp(verb, "Get") != 0;

	if (buf_printf(&b, "<SyncML xmlns=\"SYNCML:SYNCML1.2\">\n"
	    "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
	    "<SessionID>1</SessionID><MsgID>%lu</MsgID>"
	    "<Target><LocURI>%s</LocURI></Target>"
	    "<Source><LocURI>%s</LocURI></Source></SyncHdr>\n<SyncBody>\n"
	    "<Status><CmdID>1</CmdID><MsgRef>%lu</MsgRef><CmdRef>0</CmdRef>"
	    "<Cmd>SyncHdr</Cmd><Data>200</Data></Status>\n", msg_id,
	    BENCH_DEVID, BENCH_SERVER, msg_id - 1) != 0)
		goto err;
	for (i = 0; i < n; i++) {
		if (buf_printf(&b, "<%s><CmdID>%lu</CmdID><Item><Target>"
		    "<LocURI>" BENCH_MOUNT "/n%lu</LocURI></Target>", verb,
		    i + 2, i) != 0)
			goto err;
		if (data && buf_printf(&b, "<Meta><Format xmlns=\"syncml:"
		    "metinf\">chr</Format></Meta><Data>value-%lu</Data>",
		    i) != 0)
			goto err;
		if (buf_printf(&b, "</Item></%s>\n", verb) != 0)
			goto err;
	}
	if (buf_addstr(&b, "<Final/>\n</SyncBody>\n</SyncML>\n") != 0)
		goto err;
	*len = b.len;
	return b.p;
err:
	buf_free(&b);
	return NULL;
}

/* libxml2 alone: parse the bytes, serialise the document. 0 or -1. */
static int
xml_roundtrip(const struct bench_msg *m, double *secs)
{
	xmlDoc *doc;
	xmlChar *out = NULL;
	double t0;
	int outlen = 0;

	t0 = bench_now_s();
	doc = xmlReadMemory(m->xml, (int)m->len, "bench.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return -1;
	xmlDocDumpMemory(doc, &out, &outlen);
	xmlFreeDoc(doc);
	xmlFree(out);
	*secs = bench_now_s() - t0;
	return out != NULL && outlen > 0 ? 0 : -1;
}

/* The index i of ./Vendor/Bench/n<i>, or -1. */
static long
node_index(const char *uri)
{
	const char *p = BENCH_MOUNT "/n";
	char *end;
	long i;

	if (uri == NULL || strncmp(uri, p, strlen(p)) != 0)
		return -1;
	errno = 0;
	i = strtol(uri + strlen(p), &end, 10);
	if (errno != 0 || *end != '\0' || i < 0)
		return -1;
	return i;
}

/*
 * Checks a reply: a SyncHdr Status 200, n Statuses 200 for verb and, for
 * Get, n Results each holding "value-<i>" for node n<i>. Returns 0, or -1
 * with the reason in why.
 */
static int
check_reply(const char *verb, unsigned long n, const char *out,
    size_t outlen, char *why, size_t whylen)
{
	struct syncml_limits lim = { 0 };
	struct syncml_msg *m;
	const struct syncml_cmd *c;
	const struct syncml_item *it;
	char err[SYNCML_ERRLEN], want[64];
	unsigned long ok = 0, results = 0, hdr = 0;
	size_t i;
	long idx;
	int rc = -1;

	lim.max_input = outlen + 1;
	m = syncml_parse(out, outlen, &lim, err, sizeof(err));
	if (m == NULL) {
		snprintf(why, whylen, "the reply does not parse: %s", err);
		return -1;
	}
	for (i = 0; i < m->ncmds; i++) {
		c = &m->cmds[i];
		if (c->kind == SYNCML_CMD_STATUS && c->cmd != NULL &&
		    strcmp(c->cmd, "SyncHdr") == 0) {
			hdr += c->code == 200;
			continue;
		}
		if (c->kind == SYNCML_CMD_STATUS) {
			if (c->cmd == NULL || strcmp(c->cmd, verb) != 0 ||
			    c->code != 200) {
				snprintf(why, whylen, "Status %s for %s "
				    "(CmdRef %s)", c->data != NULL ? c->data :
				    "?", c->cmd != NULL ? c->cmd : "?",
				    c->cmd_ref != NULL ? c->cmd_ref : "?");
				goto out;
			}
			ok++;
			continue;
		}
		if (c->kind != SYNCML_CMD_RESULTS || c->nitems != 1) {
			snprintf(why, whylen, "unexpected %s in the reply",
			    c->name != NULL ? c->name : "?");
			goto out;
		}
		it = &c->items[0];
		idx = node_index(it->source_uri);
		snprintf(want, sizeof(want), "value-%ld", idx);
		if (idx < 0 || it->data == NULL || strcmp(it->data,
		    want) != 0) {
			snprintf(why, whylen, "Results for %s hold \"%s\"",
			    it->source_uri != NULL ? it->source_uri : "?",
			    it->data != NULL ? it->data : "(no Data)");
			goto out;
		}
		results++;
	}
	if (hdr != 1 || ok != n || results != (strcmp(verb, "Get") == 0 ?
	    n : 0)) {
		snprintf(why, whylen, "%lu SyncHdr Status 200, %lu %s Status "
		    "200, %lu Results; expected 1, %lu, %lu", hdr, ok, verb,
		    results, n, strcmp(verb, "Get") == 0 ? n : 0);
		goto out;
	}
	rc = 0;
out:
	syncml_msg_free(m);
	return rc;
}

/*
 * Checks reply in a child process, so that parsing it does not count in
 * our peak RSS (RUSAGE_SELF leaves children out). 0 or -1 (printed).
 */
static int
check_in_child(const struct bench_msg *m, unsigned long n, const char *out,
    size_t outlen)
{
	char why[512];
	pid_t pid;
	int wst, rc;

	fflush(NULL);
	pid = fork();
	if (pid <= 0) {
		/* the child, or no child could be made: check here */
		rc = check_reply(m->verb, n, out, outlen, why, sizeof(why));
		if (rc != 0)
			fprintf(stderr, "bench_engine: WRONG: %s x%lu: %s\n",
			    m->verb, n, why);
		if (pid == 0)
			_exit(rc != 0);
		return rc;
	}
	if (waitpid(pid, &wst, 0) != pid || !WIFEXITED(wst) ||
	    WEXITSTATUS(wst) != 0) {
		fprintf(stderr, "bench_engine: WRONG: %s x%lu: the check of "
		    "the reply failed\n", m->verb, n);
		return -1;
	}
	return 0;
}

/*
 * Runs m once through a fresh session over t. Returns 0 with the time of
 * session_handle() in *secs and the reply in *out (malloc'd, *outlen
 * bytes), or -1 (printed).
 */
static int
engine_run(struct tree *t, const struct bench_msg *m, unsigned long n,
    double *secs, char **out, size_t *outlen)
{
	struct session_opts so;
	struct session *s;
	enum session_state st;
	char *err = NULL;
	double t0;
	int rc = -1;

	memset(&so, 0, sizeof(so));
	so.server_id = "bench";
	so.devid = BENCH_DEVID;
	so.first_msg_id = 2;
	s = session_new(t, &so);
	if (s == NULL) {
		fprintf(stderr, "bench_engine: session_new failed\n");
		return -1;
	}
	t0 = bench_now_s();
	if (session_handle(s, m->xml, m->len, out, outlen, &st, &err) != 0) {
		fprintf(stderr, "bench_engine: WRONG: %s x%lu: %s\n",
		    m->verb, n, err != NULL ? err : "session_handle failed");
		goto out;
	}
	*secs = bench_now_s() - t0;
	if (st != SESSION_CONTINUE || *out == NULL) {
		fprintf(stderr, "bench_engine: WRONG: %s x%lu: no reply\n",
		    m->verb, n);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	free(err);
	session_free(s);
	return rc;
}

/*
 * Measures m: one warm-up run whose reply is checked (in a child), then
 * reps runs, engine and libxml2 alternating, each reply compared byte for
 * byte with the checked one. 0 or -1 (printed).
 */
static int
bench_msg(struct tree *t, struct bench_msg *m, unsigned long n, int reps)
{
	char *ref = NULL, *out = NULL;
	size_t reflen = 0, outlen = 0;
	double e, x;
	int i, rc = -1;

	m->engine_s = m->xml_s = -1;
	if (engine_run(t, m, n, &e, &ref, &reflen) != 0 ||
	    check_in_child(m, n, ref, reflen) != 0)
		goto out;
	m->reply_len = reflen;
	for (i = 0; i < reps; i++) {
		if (engine_run(t, m, n, &e, &out, &outlen) != 0)
			goto out;
		if (outlen != reflen || memcmp(out, ref, reflen) != 0) {
			fprintf(stderr, "bench_engine: WRONG: %s x%lu: run %d "
			    "replied differently from the checked run\n",
			    m->verb, n, i + 1);
			goto out;
		}
		free(out);
		out = NULL;
		if (xml_roundtrip(m, &x) != 0) {
			fprintf(stderr, "bench_engine: WRONG: libxml2 cannot "
			    "round-trip the %s message\n", m->verb);
			goto out;
		}
		if (m->engine_s < 0 || e < m->engine_s)
			m->engine_s = e;
		if (m->xml_s < 0 || x < m->xml_s)
			m->xml_s = x;
	}
	m->rss_kib = peak_rss_kib();
	rc = 0;
out:
	free(out);
	free(ref);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_engine [-n commands] [-r repetitions] "
	    "[-c csp_dir] [-s state_dir]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct bench_msg msgs[2];
	struct config *cfg = NULL;
	struct tree *t = NULL;
	const char *csp_dir = BENCH_CSP_DIR, *state_dir = NULL;
	char tmpl[] = "/tmp/luadm-bench.XXXXXX";
	char *err = NULL, *end;
	unsigned long n = 10000;
	size_t i;
	int ch, reps = 5, rc = 1, own_state = 0;

	while ((ch = getopt(argc, argv, "n:r:c:s:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, &end, 10);
			if (*end != '\0' || n == 0 || n > 100000)
				usage();
			break;
		case 'r':
			reps = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || reps < 1 || reps > 100)
				usage();
			break;
		case 'c':
			csp_dir = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	memset(msgs, 0, sizeof(msgs));
	msgs[0].verb = "Replace";
	msgs[1].verb = "Get";
	log_init(0, LOG_LVL_WARN);
	LIBXML_TEST_VERSION
	if (state_dir == NULL) {
		state_dir = mkdtemp(tmpl);
		if (state_dir == NULL) {
			fprintf(stderr, "bench_engine: mkdtemp: %s\n",
			    strerror(errno));
			goto out;
		}
		own_state = 1;
	}
	cfg = config_defaults();
	if (cfg == NULL)
		goto nomem;
	free(cfg->state_dir);
	cfg->state_dir = strdup(state_dir);
	free(cfg->csp_path[0]);
	cfg->csp_path[0] = strdup(csp_dir);
	if (cfg->state_dir == NULL || cfg->csp_path[0] == NULL)
		goto nomem;
	cfg->log_level = LOG_LVL_WARN;

	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "bench_engine: %s\n", err != NULL ? err :
		    "tree_new failed");
		goto out;
	}
	if (tree_ncsp(t) != 1) {
		fprintf(stderr, "bench_engine: WRONG: %s holds %zu CSPs, not "
		    "just Bench.lua\n", csp_dir, tree_ncsp(t));
		goto out;
	}
	if (csp_broken(tree_csp(t, 0)) != NULL) {
		fprintf(stderr, "bench_engine: WRONG: %s\n",
		    csp_broken(tree_csp(t, 0)));
		goto out;
	}
	for (i = 0; i < 2; i++) {
		msgs[i].xml = build_msg(msgs[i].verb, i + 1, n, &msgs[i].len);
		if (msgs[i].xml == NULL)
			goto nomem;
	}
	for (i = 0; i < 2; i++)
		if (bench_msg(t, &msgs[i], n, reps) != 0)
			goto out;
	for (i = 0; i < 2; i++) {
		const struct bench_msg *m = &msgs[i];

		printf("engine  %-7s x%-6lu %8.0f cmd/s   %7.1f ms   "
		    "libxml2 %6.1f ms   ratio to libxml2 %5.1f   "
		    "in %5.2f MiB out %5.2f MiB   peak RSS %ld MiB\n",
		    m->verb, n, (double)n / m->engine_s, m->engine_s * 1e3,
		    m->xml_s * 1e3, m->engine_s / m->xml_s,
		    (double)m->len / (1024 * 1024),
		    (double)m->reply_len / (1024 * 1024),
		    (m->rss_kib + 1023) / 1024);
	}
	rc = 0;
	goto out;
nomem:
	fprintf(stderr, "bench_engine: out of memory\n");
out:
	for (i = 0; i < 2; i++)
		free(msgs[i].xml);
	tree_free(t);
	config_free(cfg);
	free(err);
	/* the benchmark sets no ACL, so the state directory stays empty */
	if (own_state && rmdir(state_dir) != 0)
		fprintf(stderr, "bench_engine: %s left behind: %s\n",
		    state_dir, strerror(errno));
	xmlCleanupParser();
	return rc;
}
