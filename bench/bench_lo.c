/*
 * bench_lo.c: the large-object benchmark. Runs the luadm binary the way a
 * device would meet a large object, through `luadm replay` (no transport,
 * the same session state machine as `luadm session`), and reports its wall
 * time, throughput and peak RSS (wait4's ru_maxrss of the luadm process).
 *
 *   in   the server sends an N MiB object in chunks: N/C messages, each a
 *        Replace of ./Vendor/Bench/LO/in-<C> with C bytes of Data and
 *        MoreData but the last, Meta Size in the first (OMA DM 1.2 large
 *        objects). luadm spools the chunks and hands the value to the CSP
 *        bench/bench_lo.lua as a luadm.Blob; the CSP reads the file back
 *        in 64 KiB pieces and raises unless every byte is what was sent.
 *        Every reply is checked: Status 213 for each chunk but the last,
 *        200 for the last. The target is a peak RSS of at most 16 MiB; it
 *        is printed, never asserted.
 *   out  the client sends an N MiB value: the server Gets
 *        ./Vendor/Bench/LO/out-<N> with a MaxMsgSize of M in its SyncHdr
 *        Meta, then asks for the next message (Alert 1222) until the
 *        Results are through. The value is a file of N MiB (written here,
 *        out.dat) that the CSP answers as a luadm.Blob (dm.blob_file), so
 *        luadm sends it from the file chunk by chunk. The chunks of Data
 *        in the replies must make up the value, and no reply may exceed M.
 *
 * Before them, `luadm replay` of one small Get gives the idle figures
 * (process start, config, every CSP loaded) that the large object adds to.
 * The CSPs are the shipped ones (csp-scripts/) plus bench_lo.lua, so that
 * the RSS is that of a configured device. The messages are written to a
 * temporary directory (N MiB each way), removed at the end.
 *
 * Usage: bench_lo [-l luadm] [-s source_dir] [-t tmp_parent] [-m MiB]
 *	      [-c chunk_KiB] [-M maxmsg_KiB] [-r reps] [-R out_reps]
 * Output: one line per direction, for bench/run.sh's table. A wrong
 * answer prints WRONG on stderr and the program exits 1; timings are
 * never judged.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "bench_util.h"

#ifndef BENCH_LUADM
#define BENCH_LUADM	"build/luadm"
#endif
#ifndef BENCH_SOURCE_DIR
#define BENCH_SOURCE_DIR	"."
#endif

#define LO_MOUNT	"./Vendor/Bench/LO"
#define LO_RECORD	64		/* bytes of one pattern record */
/* after 8 digits, the rest of a record (bench_lo.lua has the same) */
#define LO_FILL \
	"-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012"
#define LO_TIMEOUT	300		/* seconds for one luadm run */
#define MIB		(1024.0 * 1024.0)

/* What the benchmark was told. */
struct lo_opts {
	const char	*luadm;
	const char	*src;
	size_t		 total;		/* bytes of the object */
	size_t		 chunk;		/* Data bytes per chunk (in) */
	size_t		 maxmsg;	/* server's MaxMsgSize (out) */
	int		 reps;
	int		 out_reps;
};

/* Paths of one benchmark run, under its temporary directory. */
struct lo_dir {
	char	*root;
	char	*conf;
	char	*reply;		/* luadm's stdout */
	char	*errlog;	/* luadm's stderr */
	char	*tiny;		/* the idle message */
	char	*outfile;	/* the value of out-<N> */
	char	**in;		/* the chunk messages */
	size_t	 nin;
	char	**out;		/* the Get, then "next message" */
	size_t	 nout;
};

/* One luadm run. */
struct lo_run {
	double	wall_s;
	long	rss_kib;
	int	status;		/* waitpid's */
};

/* The 64-byte pattern record of chunk k (no NUL). */
static void
record(char rec[LO_RECORD + 1], size_t k)
{
	snprintf(rec, LO_RECORD + 1, "%08zu%s", k % 100000000, LO_FILL);
}

/* Writes the value of out-<total> to path: the record of chunk 0 repeated
 * (what check_out expects), a MiB at a time. */
static int
write_value(const char *path, size_t total)
{
	char rec[LO_RECORD + 1], *blk;
	size_t i, n, left = total;
	FILE *f;
	int rc = -1;

	blk = malloc(1024 * 1024);
	if (blk == NULL)
		return -1;
	record(rec, 0);
	for (i = 0; i < 1024 * 1024; i += LO_RECORD)
		memcpy(blk + i, rec, LO_RECORD);
	f = fopen(path, "wb");
	if (f == NULL)
		goto out;
	rc = 0;
	while (left > 0) {
		n = left < 1024 * 1024 ? left : 1024 * 1024;
		if (fwrite(blk, 1, n, f) != n) {
			rc = -1;
			break;
		}
		left -= n;
	}
	if (fclose(f) != 0)
		rc = -1;
out:
	free(blk);
	return rc;
}

/* Copies the file at from to to. */
static int
copy_file(const char *from, const char *to)
{
	char buf[8192];
	FILE *in, *out = NULL;
	size_t n;
	int rc = -1;

	in = fopen(from, "rb");
	if (in == NULL)
		return -1;
	out = fopen(to, "wb");
	if (out == NULL)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			goto out;
	if (!ferror(in))
		rc = 0;
out:
	fclose(in);
	if (out != NULL && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* The SyncHdr of server message msgid, extra XML at its end. */
static int
put_hdr(FILE *f, size_t msgid, const char *extra)
{
	return fprintf(f, "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>"
	    "<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
	    "<SessionID>1</SessionID><MsgID>%zu</MsgID>"
	    "<Target><LocURI>BENCHDEV</LocURI></Target>"
	    "<Source><LocURI>https://bench.example/dm</LocURI></Source>"
	    "%s</SyncHdr><SyncBody>", msgid, extra) < 0 ? -1 : 0;
}

/*
 * Writes chunk k of n (CmdID k + 2, MsgID k + 1): a Replace of in-<chunk>
 * with the chunk's bytes, Meta Size in the first, MoreData but in the
 * last, Final only in the last.
 */
static int
write_chunk(const char *path, const struct lo_opts *o, size_t k, size_t n)
{
	char rec[LO_RECORD + 1];
	char *data = NULL;
	FILE *f;
	size_t i;
	int rc = -1;

	f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	data = malloc(o->chunk);
	if (data == NULL)
		goto out;
	record(rec, k);
	for (i = 0; i < o->chunk; i += LO_RECORD)
		memcpy(data + i, rec, LO_RECORD);
	if (put_hdr(f, k + 1, "") != 0 ||
	    fprintf(f, "<Replace><CmdID>%zu</CmdID><Item><Target><LocURI>"
	    LO_MOUNT "/in-%zu</LocURI></Target>", k + 2, o->chunk) < 0)
		goto out;
	if (k == 0 && fprintf(f, "<Meta><Size xmlns=\"syncml:metinf\">%zu"
	    "</Size></Meta>", o->total) < 0)
		goto out;
	if (fputs("<Data>", f) == EOF ||
	    fwrite(data, 1, o->chunk, f) != o->chunk ||
	    fprintf(f, "</Data>%s</Item></Replace>%s</SyncBody></SyncML>",
	    k + 1 < n ? "<MoreData/>" : "", k + 1 < n ? "" : "<Final/>") < 0)
		goto out;
	rc = 0;
out:
	free(data);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/*
 * Writes the out direction: message 1 Gets out-<total> with MaxMsgSize,
 * messages 2.. ask for the next message (Status for the client's SyncHdr,
 * Alert 1222). More of those than the chunks need: once the Results are
 * through, the client answers them with Statuses.
 */
static int
write_out(char *const *paths, size_t n, const struct lo_opts *o)
{
	char meta[128];
	FILE *f;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		f = fopen(paths[i], "wb");
		if (f == NULL)
			return -1;
		if (i == 0) {
			snprintf(meta, sizeof(meta), "<Meta><MaxMsgSize "
			    "xmlns=\"syncml:metinf\">%zu</MaxMsgSize></Meta>",
			    o->maxmsg);
			rc = put_hdr(f, 1, meta) != 0 || fprintf(f,
			    "<Get><CmdID>2</CmdID><Item><Target><LocURI>"
			    LO_MOUNT "/out-%zu</LocURI></Target></Item></Get>"
			    "<Final/></SyncBody></SyncML>", o->total) < 0;
		} else
			rc = put_hdr(f, i + 1, "") != 0 || fprintf(f,
			    "<Status><CmdID>1</CmdID><MsgRef>%zu</MsgRef>"
			    "<CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200"
			    "</Data></Status><Alert><CmdID>2</CmdID><Data>1222"
			    "</Data></Alert></SyncBody></SyncML>", i) < 0;
		if (fclose(f) != 0 || rc != 0)
			return -1;
	}
	return 0;
}

static void
dir_free(struct lo_dir *d)
{
	size_t i;

	if (d == NULL)
		return;
	bench_rm_tree("bench_lo", d->root);
	for (i = 0; i < d->nin; i++)
		free(d->in[i]);
	for (i = 0; i < d->nout; i++)
		free(d->out[i]);
	free(d->in);
	free(d->out);
	free(d->root);
	free(d->conf);
	free(d->reply);
	free(d->errlog);
	free(d->tiny);
	free(d->outfile);
	memset(d, 0, sizeof(*d));
}

/* Makes n paths "<root>/<sub>/msg-NNNN.xml". */
static char **
msg_paths(const char *root, const char *sub, size_t n)
{
	char **v;
	size_t i;

	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		v[i] = bench_asprintf("%s/%s/msg-%04zu.xml", root, sub, i);
		if (v[i] == NULL) {
			while (i > 0)
				free(v[--i]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/*
 * Makes the temporary directory under parent: the config, the CSP, the
 * messages of both directions. Returns 0, or -1 with a message printed.
 */
static int
dir_make(struct lo_dir *d, const char *parent, const struct lo_opts *o)
{
	static const char tiny[] = "<SyncML xmlns=\"SYNCML:SYNCML1.2\">"
	    "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
	    "<SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>"
	    "BENCHDEV</LocURI></Target><Source><LocURI>https://bench.example"
	    "/dm</LocURI></Source></SyncHdr><SyncBody><Get><CmdID>2</CmdID>"
	    "<Item><Target><LocURI>./DevInfo/DmV</LocURI></Target></Item>"
	    "</Get><Final/></SyncBody></SyncML>";
	char *p = NULL, *q = NULL, *conf = NULL;
	const char *sub[] = { "csp", "state", "in", "out" };
	size_t i, n;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	p = bench_asprintf("%s/bench-lo.XXXXXX", parent);
	if (p == NULL || mkdtemp(p) == NULL) {
		fprintf(stderr, "bench_lo: mkdtemp in %s: %s\n", parent,
		    strerror(errno));
		free(p);
		return -1;
	}
	d->root = p;
	p = NULL;
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		free(p);
		p = bench_asprintf("%s/%s", d->root, sub[i]);
		if (p == NULL || mkdir(p, 0700) != 0)
			goto fail;
	}
	d->conf = bench_asprintf("%s/luadm.conf", d->root);
	d->reply = bench_asprintf("%s/replies", d->root);
	d->errlog = bench_asprintf("%s/stderr", d->root);
	d->tiny = bench_asprintf("%s/tiny.xml", d->root);
	d->outfile = bench_asprintf("%s/out.dat", d->root);
	free(p);
	p = bench_asprintf("%s/bench/bench_lo.lua", o->src);
	q = bench_asprintf("%s/csp/BenchLO.lua", d->root);
	/* the CSP answers out-<N> with the file out.dat (a luadm.Blob) */
	conf = bench_asprintf("-- written by bench_lo\n"
	    "state_dir = \"%s/state\"\n"
	    "csp_path = { \"%s/csp-scripts\", \"%s/csp\" }\n"
	    "csp = { BenchLO = { out_file = \"%s/out.dat\" } }\n",
	    d->root, o->src, d->root, d->root);
	if (d->conf == NULL || d->reply == NULL || d->errlog == NULL ||
	    d->tiny == NULL || d->outfile == NULL || p == NULL || q == NULL ||
	    conf == NULL)
		goto fail;
	if (copy_file(p, q) != 0) {
		fprintf(stderr, "bench_lo: cannot copy %s: %s\n", p,
		    strerror(errno));
		goto out;
	}
	if (bench_write_file(d->conf, conf, strlen(conf)) != 0 ||
	    bench_write_file(d->tiny, tiny, sizeof(tiny) - 1) != 0 ||
	    write_value(d->outfile, o->total) != 0)
		goto fail;
	n = o->total / o->chunk;
	d->in = msg_paths(d->root, "in", n);
	if (d->in == NULL)
		goto fail;
	d->nin = n;
	for (i = 0; i < n; i++)
		if (write_chunk(d->in[i], o, i, n) != 0)
			goto fail;
	/* the Get, the chunks (a reply holds at least maxmsg - 2 KiB of
	   Data), the Statuses for the Alerts, one spare */
	n = 1 + (o->total + o->maxmsg - 2049) / (o->maxmsg - 2048) + 2;
	d->out = msg_paths(d->root, "out", n);
	if (d->out == NULL)
		goto fail;
	d->nout = n;
	if (write_out(d->out, n, o) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench_lo: cannot write the messages under %s: %s\n",
	    d->root, strerror(errno));
out:
	free(p);
	free(q);
	free(conf);
	return rc;
}

/*
 * Runs luadm -c conf replay --server-id bench --devid BENCHDEV msgs...,
 * stdout to d->reply, stderr to d->errlog; fills r. Returns 0 when it
 * ran (whatever its exit), -1 when it could not.
 */
static int
run_replay(const struct lo_opts *o, const struct lo_dir *d,
    char *const *msgs, size_t n, struct lo_run *r)
{
	struct rusage ru;
	char **argv;
	double t0;
	pid_t pid;
	size_t i, k = 0;
	int fd;

	argv = calloc(n + 9, sizeof(*argv));
	if (argv == NULL)
		return -1;
	argv[k++] = (char *)o->luadm;
	argv[k++] = (char *)"-c";
	argv[k++] = d->conf;
	argv[k++] = (char *)"replay";
	argv[k++] = (char *)"--server-id";
	argv[k++] = (char *)"bench";
	argv[k++] = (char *)"--devid";
	argv[k++] = (char *)"BENCHDEV";
	for (i = 0; i < n; i++)
		argv[k++] = msgs[i];
	argv[k] = NULL;
	t0 = bench_now_s();
	pid = fork();
	if (pid == -1) {
		free(argv);
		return -1;
	}
	if (pid == 0) {
		fd = open(d->reply, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, 1) == -1)
			_exit(127);
		close(fd);
		fd = open(d->errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, 2) == -1)
			_exit(127);
		close(fd);
		alarm(LO_TIMEOUT);	/* survives exec: a hung run dies */
		execv(argv[0], argv);
		_exit(127);
	}
	free(argv);
	while (wait4(pid, &r->status, 0, &ru) == -1)
		if (errno != EINTR)
			return -1;
	r->wall_s = bench_now_s() - t0;
	r->rss_kib = ru.ru_maxrss;	/* KiB on Linux */
	return 0;
}

/* Prints the tail of luadm's stderr after a WRONG. */
static void
show_stderr(const struct lo_dir *d)
{
	bench_show_tail(d->errlog, "bench_lo: luadm's stderr (end):");
}

/* Checks a run exited 0; prints WRONG otherwise. */
static int
exited_ok(const struct lo_run *r, const char *what, const struct lo_dir *d)
{
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
		return 0;
	if (WIFSIGNALED(r->status))
		fprintf(stderr, "bench_lo: WRONG: %s: luadm killed by signal "
		    "%d%s\n", what, WTERMSIG(r->status),
		    WTERMSIG(r->status) == SIGALRM ? " (timeout)" : "");
	else
		fprintf(stderr, "bench_lo: WRONG: %s: luadm exited %d\n", what,
		    WEXITSTATUS(r->status));
	show_stderr(d);
	return -1;
}

/* A parsed reply with its XPath context (prefixes s and m). */
struct reply {
	xmlDocPtr		 doc;
	xmlXPathContextPtr	 xp;
};

static int
reply_parse(struct reply *rp, const char *text, size_t len)
{
	memset(rp, 0, sizeof(*rp));
	if (len > INT_MAX)
		return -1;
	rp->doc = xmlReadMemory(text, (int)len, "reply.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	if (rp->doc == NULL)
		return -1;
	rp->xp = xmlXPathNewContext(rp->doc);
	if (rp->xp == NULL ||
	    xmlXPathRegisterNs(rp->xp, BAD_CAST "s",
	    BAD_CAST "SYNCML:SYNCML1.2") != 0 ||
	    xmlXPathRegisterNs(rp->xp, BAD_CAST "m",
	    BAD_CAST "syncml:metinf") != 0)
		return -1;
	return 0;
}

static void
reply_free(struct reply *rp)
{
	xmlXPathFreeContext(rp->xp);
	xmlFreeDoc(rp->doc);
	memset(rp, 0, sizeof(*rp));
}

/* The string value of expr in rp (malloc'd, "" when none), or NULL. */
static char *
reply_string(struct reply *rp, const char *expr)
{
	xmlXPathObjectPtr res;
	char *s;

	res = xmlXPathEvalExpression(BAD_CAST expr, rp->xp);
	if (res == NULL)
		return NULL;
	s = (char *)xmlXPathCastToString(res);
	xmlXPathFreeObject(res);
	return s;
}

/*
 * Checks the replies of the in direction: reply k holds Status 213 for
 * chunk k (CmdID k + 2), the last one 200. Returns 0 or -1 (WRONG).
 */
static int
check_in(const struct lo_dir *d)
{
	struct reply rp;
	char expr[160], *line = NULL, *code;
	const char *want;
	size_t cap = 0, k = 0;
	ssize_t len;
	FILE *f;
	int rc = -1;

	f = fopen(d->reply, "r");
	if (f == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (k >= d->nin) {
			fprintf(stderr, "bench_lo: WRONG: in: more replies "
			    "than the %zu chunks\n", d->nin);
			goto out;
		}
		if (reply_parse(&rp, line, (size_t)len) != 0) {
			reply_free(&rp);
			fprintf(stderr, "bench_lo: WRONG: in: reply %zu does "
			    "not parse\n", k + 1);
			goto out;
		}
		snprintf(expr, sizeof(expr), "string(/s:SyncML/s:SyncBody/"
		    "s:Status[s:CmdRef='%zu']/s:Data)", k + 2);
		code = reply_string(&rp, expr);
		reply_free(&rp);
		want = k + 1 < d->nin ? "213" : "200";
		if (code == NULL || strcmp(code, want) != 0) {
			fprintf(stderr, "bench_lo: WRONG: in: chunk %zu got "
			    "Status \"%s\", not %s\n", k + 1,
			    code != NULL ? code : "?", want);
			xmlFree(code);
			show_stderr(d);
			goto out;
		}
		xmlFree(code);
		k++;
	}
	if (k != d->nin) {
		fprintf(stderr, "bench_lo: WRONG: in: %zu replies for %zu "
		    "chunks\n", k, d->nin);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

/*
 * Checks the replies of the out direction: none over maxmsg, and the Data
 * of the Results for the Get, in order, is the value out-<total> holds.
 * Sets *chunks to the number of Results chunks. Returns 0 or -1 (WRONG).
 */
static int
check_out(const struct lo_dir *d, const struct lo_opts *o, size_t *chunks)
{
	xmlXPathObjectPtr res;
	struct reply rp;
	char rec[LO_RECORD + 1], *line = NULL;
	xmlChar *data;
	size_t cap = 0, k = 0, got = 0, dlen, i;
	ssize_t len;
	FILE *f;
	int rc = -1, n, j;

	*chunks = 0;
	record(rec, 0);
	f = fopen(d->reply, "r");
	if (f == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		k++;
		if ((size_t)len - 1 > o->maxmsg) {
			fprintf(stderr, "bench_lo: WRONG: out: reply %zu is "
			    "%zd bytes, over MaxMsgSize %zu\n", k, len - 1,
			    o->maxmsg);
			goto out;
		}
		if (reply_parse(&rp, line, (size_t)len) != 0) {
			reply_free(&rp);
			fprintf(stderr, "bench_lo: WRONG: out: reply %zu does "
			    "not parse\n", k);
			goto out;
		}
		res = xmlXPathEvalExpression(BAD_CAST "/s:SyncML/s:SyncBody/"
		    "s:Results[s:CmdRef='2']/s:Item/s:Data", rp.xp);
		n = res != NULL && res->nodesetval != NULL ?
		    res->nodesetval->nodeNr : 0;
		for (j = 0; j < n; j++) {
			data = xmlNodeGetContent(res->nodesetval->nodeTab[j]);
			dlen = data != NULL ? strlen((char *)data) : 0;
			for (i = 0; i < dlen; i++)
				if (data[i] != rec[(got + i) % LO_RECORD])
					break;
			xmlFree(data);
			if (i < dlen) {
				fprintf(stderr, "bench_lo: WRONG: out: byte "
				    "%zu of the value differs\n", got + i);
				xmlXPathFreeObject(res);
				reply_free(&rp);
				goto out;
			}
			got += dlen;
			(*chunks)++;
		}
		xmlXPathFreeObject(res);
		reply_free(&rp);
	}
	if (got != o->total) {
		fprintf(stderr, "bench_lo: WRONG: out: the Results hold %zu "
		    "bytes in %zu chunks, not %zu\n", got, *chunks, o->total);
		show_stderr(d);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_lo [-l luadm] [-s source_dir] "
	    "[-t tmp_parent] [-m MiB] [-c chunk_KiB]\n"
	    "                [-M maxmsg_KiB] [-r reps] [-R out_reps]\n");
	exit(2);
}

static size_t
arg_size(const char *s, size_t min, size_t max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

int
main(int argc, char *argv[])
{
	struct lo_opts o;
	struct lo_dir d;
	struct lo_run r, idle, best_in, best_out;
	const char *parent;
	long rss_in = 0, rss_out = 0;
	size_t chunks = 0;
	int ch, i, rc = 1;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	o.luadm = BENCH_LUADM;
	o.src = BENCH_SOURCE_DIR;
	o.total = 100;
	o.chunk = 1024;
	o.maxmsg = 1024;
	o.reps = 5;
	o.out_reps = 1;
	parent = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	while ((ch = getopt(argc, argv, "l:s:t:m:c:M:r:R:")) != -1) {
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
		case 'm':
			o.total = arg_size(optarg, 1, 4096);
			break;
		case 'c':
			o.chunk = arg_size(optarg, 64, 64 * 1024);
			break;
		case 'M':
			o.maxmsg = arg_size(optarg, 8, 64 * 1024);
			break;
		case 'r':
			o.reps = (int)arg_size(optarg, 1, 100);
			break;
		case 'R':
			o.out_reps = (int)arg_size(optarg, 0, 100);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	o.total *= 1024 * 1024;
	o.chunk *= 1024;
	o.maxmsg *= 1024;
	if (o.chunk % 65536 != 0 || o.total % o.chunk != 0) {
		fprintf(stderr, "bench_lo: the chunk (-c) must be a multiple "
		    "of 64 KiB that divides the object (-m)\n");
		return 2;
	}
	LIBXML_TEST_VERSION
	if (dir_make(&d, parent, &o) != 0)
		goto out;

	/* idle: one small Get, best of reps */
	memset(&idle, 0, sizeof(idle));
	for (i = 0; i < o.reps; i++) {
		if (run_replay(&o, &d, &d.tiny, 1, &r) != 0) {
			fprintf(stderr, "bench_lo: cannot run %s: %s\n",
			    o.luadm, strerror(errno));
			goto out;
		}
		if (exited_ok(&r, "idle", &d) != 0)
			goto out;
		if (i == 0 || r.wall_s < idle.wall_s)
			idle.wall_s = r.wall_s;
		if (r.rss_kib > idle.rss_kib)
			idle.rss_kib = r.rss_kib;
	}

	memset(&best_in, 0, sizeof(best_in));
	for (i = 0; i < o.reps; i++) {
		if (run_replay(&o, &d, d.in, d.nin, &r) != 0)
			goto out;
		if (exited_ok(&r, "in", &d) != 0 || check_in(&d) != 0)
			goto out;
		if (i == 0 || r.wall_s < best_in.wall_s)
			best_in = r;
		if (r.rss_kib > rss_in)
			rss_in = r.rss_kib;
	}
	printf("lo      in  %4zu MiB  %zu chunks of %zu KiB   %7.1f ms  "
	    "%7.1f MiB/s   peak RSS %5.1f MiB (target <= 16; idle replay "
	    "%.1f MiB, %.1f ms)\n", o.total >> 20, d.nin, o.chunk >> 10,
	    best_in.wall_s * 1e3, (double)o.total / MIB / best_in.wall_s,
	    (double)rss_in / 1024, (double)idle.rss_kib / 1024,
	    idle.wall_s * 1e3);
	fflush(stdout);

	memset(&best_out, 0, sizeof(best_out));
	for (i = 0; i < o.out_reps; i++) {
		if (run_replay(&o, &d, d.out, d.nout, &r) != 0)
			goto out;
		if (exited_ok(&r, "out", &d) != 0 ||
		    check_out(&d, &o, &chunks) != 0)
			goto out;
		if (i == 0 || r.wall_s < best_out.wall_s)
			best_out = r;
		if (r.rss_kib > rss_out)
			rss_out = r.rss_kib;
	}
	if (o.out_reps > 0)
		printf("lo      out %4zu MiB  Get, MaxMsgSize %zu KiB, %zu "
		    "chunks  %7.1f ms  %7.1f MiB/s   peak RSS %5.1f MiB "
		    "(best of %d)\n", o.total >> 20, o.maxmsg >> 10, chunks,
		    best_out.wall_s * 1e3,
		    (double)o.total / MIB / best_out.wall_s,
		    (double)rss_out / 1024, o.out_reps);
	rc = 0;
out:
	dir_free(&d);
	xmlCleanupParser();
	return rc;
}
