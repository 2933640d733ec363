/*
 * check_lo_out.c: unit tests of Get values held in files, from the CSP to
 * the wire: dm.blob_file and the luadm.Blob a get answers (core/lua_dm.c),
 * csp_get handing the open file over with csp_take_files or reading it
 * (core/csp.c), outq streaming file items (core/outq.c: the text check
 * across its read pieces, a file that changes before or while it is sent,
 * descriptors closed), and the progress lines of long transfers
 * (core/engine_lo.c: at most one a tenth, a final one). The messages outq
 * writes are parsed back with libxml2 and read with XPath, not with the
 * core's own parser. CSPs are written inline into each test's directory.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "b64.h"
#include "config.h"
#include "csp.h"
#include "dm_status.h"
#include "engine_lo.h"
#include "log.h"
#include "outq.h"
#include "syncml.h"
#include "testutil.h"

static const char *const tmpdir = testutil_tmpdir;

/* A CSP at ./Vendor/T answering get of "<name>" with dm.blob_file of
 * /<name> (nil, err when it cannot), "again" with the last Blob again,
 * "dir" with the Blob of a directory. */
static const char blob_csp[] =
    "local last\n"
    "return {\n"
    "  mount = './Vendor/T',\n"
    "  get = function(ctx, path)\n"
    "    if path == 'again' then return last end\n"
    "    if path == 'mt' then\n"
    "      return tostring(getmetatable(dm.blob_file('/r.txt')))\n"
    "    end\n"
    "    local b, err = dm.blob_file('/' .. path)\n"
    "    if not b then return nil, err end\n"
    "    assert(dm.is_blob(b) and #b == b:size())\n"
    "    last = b\n"
    "    return b, 'chr', 'text/plain'\n"
    "  end,\n"
    "  exec = function(ctx, path)\n"
    "    -- reads the last Blob after a get took its descriptor\n"
    "    return last and last:read() == 'second' and 200 or 500\n"
    "  end,\n"
    "}\n";

static void
setup(void)
{
	char p[256];

	testutil_setup();
	snprintf(p, sizeof(p), "%s/root", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/csp", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
}

/* The configuration: sysroot tmpdir/root, state tmpdir/state. */
static struct config *
test_config(void)
{
	struct config *cfg;
	char p[256];

	snprintf(p, sizeof(p), "%s/csp", tmpdir);
	cfg = testutil_config(tmpdir, p, NULL);
	snprintf(p, sizeof(p), "%s/root", tmpdir);
	testutil_set_str(&cfg->sysroot, p);
	return cfg;
}

static struct csp *
load_blob_csp(const struct config *cfg)
{
	struct csp *c;

	c = csp_load(testutil_write_str("csp/T.lua", blob_csp), cfg);
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(csp_broken(c) == NULL, "broken: %s", csp_broken(c));
	return c;
}

/* Writes len bytes at root/name of the sysroot. */
static void
root_write(const char *name, const void *p, size_t len)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "root/%s", name);
	testutil_write(rel, p, len);
}

/* How many descriptors this process has open. */
static int
fd_count(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* ---- dm.blob_file and csp_get ---- */

/* Without csp_take_files (luadm tree, Atomic snapshots) the file is read;
 * with it the open file is handed over, len bytes, and its path. */
START_TEST(test_get_blob_read_or_taken)
{
	struct config *cfg = test_config();
	struct csp *c = load_blob_csp(cfg);
	struct csp_value v;
	char *msg = NULL, buf[64], p[256];
	int st;

	root_write("v.txt", "a value\n", 8);
	st = csp_get(c, NULL, 0, "v.txt", &v, &msg);
	ck_assert_msg(st == DM_OK, "%d %s", st, msg != NULL ? msg : "");
	ck_assert_int_eq(v.has_fd, 0);
	ck_assert_ptr_nonnull(v.data);
	ck_assert_str_eq(v.data, "a value\n");
	ck_assert_uint_eq(v.len, 8);
	ck_assert_str_eq(v.format, "chr");
	ck_assert_str_eq(v.type, "text/plain");
	ck_assert_ptr_null(v.file);
	csp_value_free(&v);

	csp_take_files(c, 1);
	st = csp_get(c, NULL, 0, "v.txt", &v, &msg);
	ck_assert_int_eq(st, DM_OK);
	ck_assert_int_eq(v.has_fd, 1);
	ck_assert_ptr_null(v.data);
	ck_assert_uint_eq(v.len, 8);
	ck_assert_ptr_nonnull(v.file);
	ck_assert_ptr_nonnull(strstr(v.file, "/root/v.txt"));
	ck_assert_int_eq(pread(v.fd, buf, sizeof(buf), 0), 8);
	ck_assert_int_eq(memcmp(buf, "a value\n", 8), 0);
	/* the value is the file as opened: renaming another over it later
	 * (an atomic write) does not change it */
	root_write("v.new", "replaced!\n", 10);
	snprintf(p, sizeof(p), "%s/root/v.new", tmpdir);
	ck_assert_int_eq(rename(p, v.file), 0);
	ck_assert_int_eq(pread(v.fd, buf, sizeof(buf), 0), 8);
	ck_assert_int_eq(memcmp(buf, "a value\n", 8), 0);
	csp_value_free(&v);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* A missing file is 404, a directory 500, a file over limits.read_cap
 * 500 when it must be read (but fine when taken). */
START_TEST(test_get_blob_failures)
{
	struct config *cfg = test_config();
	struct csp *c;
	struct csp_value v;
	char *msg = NULL, p[256];
	static char big[4096];

	cfg->limits.read_cap = 1000;
	c = load_blob_csp(cfg);
	ck_assert_int_eq(csp_get(c, NULL, 0, "missing", &v, &msg),
	    DM_NOT_FOUND);
	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(strstr(msg, "No such file"));
	free(msg);
	msg = NULL;

	snprintf(p, sizeof(p), "%s/root/adir", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(csp_get(c, NULL, 0, "adir", &v, &msg),
	    DM_COMMAND_FAILED);
	ck_assert_ptr_nonnull(strstr(msg, "Is a directory"));
	free(msg);
	msg = NULL;

	memset(big, 'x', sizeof(big));
	root_write("big", big, sizeof(big));
	ck_assert_int_eq(csp_get(c, NULL, 0, "big", &v, &msg),
	    DM_COMMAND_FAILED);
	ck_assert_ptr_nonnull(strstr(msg, "read_cap"));
	ck_assert_ptr_null(v.data);
	ck_assert_int_eq(v.has_fd, 0);
	free(msg);
	msg = NULL;
	csp_take_files(c, 1);
	ck_assert_int_eq(csp_get(c, NULL, 0, "big", &v, &msg), DM_OK);
	ck_assert_uint_eq(v.len, sizeof(big));
	csp_value_free(&v);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* A get takes the descriptor dm.blob_file opened: the Blob goes on with
 * its path (blob:read() and a later get read the file as it is then). */
START_TEST(test_blob_taken_then_reused)
{
	struct config *cfg = test_config();
	struct csp *c = load_blob_csp(cfg);
	struct csp_value v;
	char *msg = NULL;

	root_write("r.txt", "first", 5);
	csp_take_files(c, 1);
	ck_assert_int_eq(csp_get(c, NULL, 0, "r.txt", &v, &msg), DM_OK);
	ck_assert_int_eq(v.has_fd, 1);
	csp_value_free(&v);
	root_write("r.txt", "second", 6);
	ck_assert_int_eq(csp_exec(c, NULL, 0, "x", NULL, 0, NULL, &msg),
	    DM_OK);
	csp_take_files(c, 0);
	ck_assert_int_eq(csp_get(c, NULL, 0, "again", &v, &msg), DM_OK);
	ck_assert_str_eq(v.data, "second");
	csp_value_free(&v);
	/* its metatable (with __gc) is out of a script's reach */
	ck_assert_int_eq(csp_get(c, NULL, 0, "mt", &v, &msg), DM_OK);
	ck_assert_str_eq(v.data, "luadm.Blob");
	csp_value_free(&v);
	csp_free(c);
	config_free(cfg);
}
END_TEST

/* No descriptor outlives its owner: taken values, Blobs the CSP let go
 * (garbage collected), failed gets. */
START_TEST(test_blob_no_fd_leak)
{
	struct config *cfg = test_config();
	struct csp *c;
	struct csp_value v;
	int before, i;

	root_write("f.txt", "x", 1);
	before = fd_count();
	c = load_blob_csp(cfg);
	for (i = 0; i < 300; i++) {
		csp_take_files(c, i % 2);
		ck_assert_int_eq(csp_get(c, NULL, 0, "f.txt", &v, NULL),
		    DM_OK);
		csp_value_free(&v);
		ck_assert_int_eq(csp_get(c, NULL, 0, "missing", &v, NULL),
		    DM_NOT_FOUND);
	}
	/* a Blob made and dropped in Lua is closed by its __gc */
	csp_free(c);
	ck_assert_int_eq(fd_count(), before);
	config_free(cfg);
}
END_TEST

/* ---- outq file items ---- */

/* A message of the queue: writer, drain (limit; 0 = none), finish. Returns
 * the message (free it); *drained gets outq_drain's result. */
static char *
drain_one(struct outq *q, unsigned long msg_id, size_t limit, int *drained)
{
	struct syncml_hdr_out h;
	struct syncml_writer *w;
	char err[SYNCML_ERRLEN], *out = NULL;
	size_t len;

	memset(&h, 0, sizeof(h));
	h.session_id = "1";
	h.msg_id = msg_id;
	h.target_uri = "https://srv.example/dm";
	h.source_uri = "DEV";
	w = syncml_writer_new(&h, 1, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	*drained = outq_drain(q, w, limit, 1);
	ck_assert_int_ge(*drained, 0);
	ck_assert_int_eq(syncml_writer_finish(w, outq_len(q) == 0, &out,
	    &len), 0);
	syncml_writer_free(w);
	if (limit > 0)
		ck_assert_uint_le(len, limit);
	return out;
}

/* What the Results Items of a message hold, appended to acc. */
struct got {
	char	*data;		/* the Data put together (malloc'd) */
	size_t	 len;
	char	 format[16];	/* the first Meta Format seen */
	int	 items;		/* Items seen */
	int	 more;		/* MoreData seen */
};

/* The string value of XPath expr in ctx, malloc'd ("" when none). */
static char *
xstr(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o;
	char *s;

	o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	ck_assert_ptr_nonnull(o);
	s = strdup(o->stringval != NULL ? (char *)o->stringval : "");
	xmlXPathFreeObject(o);
	return s;
}

static void
read_results(const char *msg, struct got *g)
{
	xmlXPathContextPtr ctx;
	xmlDocPtr doc;
	char expr[128], *s;
	int i, n;

	doc = xmlReadMemory(msg, (int)strlen(msg), "m.xml", NULL,
	    XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "s", BAD_CAST "SYNCML:SYNCML1.2");
	xmlXPathRegisterNs(ctx, BAD_CAST "m", BAD_CAST "syncml:metinf");
	s = xstr(ctx, "string(count(//s:Results/s:Item))");
	n = atoi(s);
	free(s);
	for (i = 1; i <= n; i++) {
		snprintf(expr, sizeof(expr),
		    "string((//s:Results/s:Item)[%d]/s:Data)", i);
		s = xstr(ctx, expr);
		g->data = realloc(g->data, g->len + strlen(s) + 1);
		ck_assert_ptr_nonnull(g->data);
		memcpy(g->data + g->len, s, strlen(s) + 1);
		g->len += strlen(s);
		free(s);
		snprintf(expr, sizeof(expr),
		    "string((//s:Results/s:Item)[%d]/s:Meta/m:Format)", i);
		s = xstr(ctx, expr);
		if (g->format[0] == '\0')
			snprintf(g->format, sizeof(g->format), "%s", s);
		free(s);
	}
	g->items += n;
	s = xstr(ctx, "string(count(//s:Results/s:Item/s:MoreData))");
	g->more += atoi(s);
	free(s);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
}

/* Queues one Results Item read from the file at path (format may be
 * NULL). The descriptor stays ours: it is closed here once queued. */
static void
queue_file(struct outq *q, const char *cmd_ref, const char *path,
    const char *format)
{
	struct syncml_results_out r;
	struct syncml_item_out it;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	memset(&it, 0, sizeof(it));
	it.source_uri = "./Vendor/T/f";
	it.format = format;
	it.file = 1;
	it.fd = fd;
	it.file_size = (long long)st.st_size;
	memset(&r, 0, sizeof(r));
	r.msg_ref = "1";
	r.cmd_ref = cmd_ref;
	r.items = &it;
	r.nitems = 1;
	ck_assert_int_eq(outq_results(q, &r), 0);
	close(fd);	/* outq has its own */
}

/* Drains q into messages of limit bytes until it is empty. */
static void
drain_all(struct outq *q, size_t limit, struct got *g)
{
	unsigned long id = 1;
	int drained;
	char *m;

	while (outq_len(q) > 0) {
		m = drain_one(q, id++, limit, &drained);
		read_results(m, g);
		free(m);
		ck_assert_uint_lt(id, 10000);
	}
}

/* Text whose multi-byte characters straddle outq's 64 KiB read pieces is
 * still text (not base64), and chunks never cut a character. */
START_TEST(test_file_text_across_pieces)
{
	struct outq *q = outq_new();
	struct got g;
	size_t n = 200 * 1024, i;
	char *t = malloc(n + 1);
	const char *path;

	/* "a" then 2-byte characters: every piece boundary cuts one */
	t[0] = 'a';
	for (i = 1; i + 1 < n; i += 2) {
		t[i] = (char)0xc3;
		t[i + 1] = (char)0xa9;
	}
	n = i;
	t[n] = '\0';
	path = testutil_write("t.txt", t, n);
	memset(&g, 0, sizeof(g));
	queue_file(q, "2", path, "chr");
	drain_all(q, 9000, &g);
	ck_assert_str_eq(g.format, "chr");
	ck_assert_uint_eq(g.len, n);
	ck_assert_int_eq(memcmp(g.data, t, n), 0);
	ck_assert_int_gt(g.items, 10);
	ck_assert_int_eq(g.more, g.items - 1);
	free(g.data);
	free(t);
	outq_free(q);
}
END_TEST

/* A bad byte past the first piece makes the whole file base64, in whole
 * groups of 4; so does Format bin. */
START_TEST(test_file_binary_b64)
{
	static const char *const formats[] = { "chr", "bin" };
	struct outq *q;
	struct got g;
	size_t n = 150 * 1024, olen;
	unsigned char *dec;
	char *t = malloc(n);
	const char *path;
	int k;

	for (k = 0; k < 2; k++) {
		memset(t, 'z', n);
		if (k == 0)
			t[100 * 1024] = (char)0xff;	/* 2nd piece */
		path = testutil_write("b.bin", t, n);
		q = outq_new();
		memset(&g, 0, sizeof(g));
		queue_file(q, "2", path, formats[k]);
		drain_all(q, 7000, &g);
		ck_assert_str_eq(g.format, "b64");
		ck_assert_uint_eq(g.len, (n + 2) / 3 * 4);
		dec = b64_decode(g.data, g.len, &olen);
		ck_assert_ptr_nonnull(dec);
		ck_assert_uint_eq(olen, n);
		ck_assert_int_eq(memcmp(dec, t, n), 0);
		free(dec);
		free(g.data);
		outq_free(q);
	}
	free(t);
}
END_TEST

/* A file that changes size after it was queued: a small one (read when
 * queued) goes as it was, a larger one not at all, one changed between
 * chunks stops there; the queue goes on with what follows. */
START_TEST(test_file_changed)
{
	struct syncml_status_out st;
	struct outq *q;
	struct got g;
	char *t = malloc(100 * 1024), *m;
	const char *path;
	int drained, fd;

	memset(t, 'q', 100 * 1024);
	/* small: a snapshot */
	path = testutil_write("s.txt", t, 1000);
	q = outq_new();
	queue_file(q, "2", path, NULL);
	testutil_write("s.txt", t, 10);
	memset(&g, 0, sizeof(g));
	drain_all(q, 0, &g);
	ck_assert_uint_eq(g.len, 1000);
	free(g.data);
	outq_free(q);

	/* larger, not sent yet: no Results, the Status after it goes */
	path = testutil_write("m.txt", t, 40 * 1024);
	q = outq_new();
	queue_file(q, "2", path, NULL);
	memset(&st, 0, sizeof(st));
	st.msg_ref = "1";
	st.cmd_ref = "3";
	st.cmd = "Get";
	st.code = 200;
	ck_assert_int_eq(outq_status(q, &st), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "more", 4), 4);
	close(fd);
	m = drain_one(q, 1, 0, &drained);
	ck_assert_ptr_null(strstr(m, "<Results>"));
	ck_assert_ptr_nonnull(strstr(m, "<CmdRef>3</CmdRef>"));
	ck_assert_uint_eq(outq_len(q), 0);
	free(m);
	outq_free(q);

	/* changed between two chunks: the rest is not sent */
	path = testutil_write("c.txt", t, 100 * 1024);
	q = outq_new();
	queue_file(q, "2", path, NULL);
	ck_assert_int_eq(outq_status(q, &st), 0);
	memset(&g, 0, sizeof(g));
	m = drain_one(q, 1, 8000, &drained);
	read_results(m, &g);
	free(m);
	ck_assert_int_eq(g.more, 1);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	m = drain_one(q, 2, 8000, &drained);
	ck_assert_ptr_null(strstr(m, "<Results>"));
	ck_assert_ptr_nonnull(strstr(m, "<CmdRef>3</CmdRef>"));
	ck_assert_uint_eq(outq_len(q), 0);
	free(m);
	free(g.data);
	outq_free(q);
	free(t);
}
END_TEST

/* outq_free closes the descriptors of file items still queued. */
START_TEST(test_file_fds_closed)
{
	struct outq *q = outq_new();
	char *t = calloc(1, 64 * 1024);
	const char *path;
	int before, i, drained;
	char *m;

	memset(t, 'y', 64 * 1024);
	path = testutil_write("big.txt", t, 64 * 1024);
	before = fd_count();
	for (i = 0; i < 20; i++)
		queue_file(q, "2", path, NULL);
	ck_assert_int_eq(fd_count(), before + 20);
	m = drain_one(q, 1, 5000, &drained);	/* one started */
	free(m);
	outq_free(q);
	ck_assert_int_eq(fd_count(), before);
	free(t);
}
END_TEST

/* ---- progress lines ---- */

/* Runs fn with stderr going to a file; returns what was written. */
static char *
capture(void (*fn)(void))
{
	char path[256];
	int fd, saved;

	snprintf(path, sizeof(path), "%s/stderr", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return testutil_slurp(path, NULL);
}

static int
count(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text += strlen(needle);
	}
	return n;
}

static void
progress_100_steps(void)
{
	struct engine_lo_progress p;
	long long total = 100LL * 1024 * 1024, i;

	engine_lo_progress_start(&p, total);
	for (i = 1; i <= 100; i++)
		engine_lo_progress_step(&p, "large object", "./X",
		    "received", i * total / 100);
	engine_lo_progress_done(&p, "large object", "./X", "received", total,
	    ", Replace 200");
}

static void
progress_unknown(void)
{
	struct engine_lo_progress p;
	int i;

	engine_lo_progress_start(&p, -1);
	for (i = 1; i <= 50; i++)
		engine_lo_progress_step(&p, "Results for", "./Y", "sent",
		    i * 1024LL);
	engine_lo_progress_done(&p, "Results for", "./Y", "sent", 50 * 1024,
	    NULL);
}

/* One line a tenth (not a line a chunk), none at 100%, then the total. */
START_TEST(test_progress_lines)
{
	char *out;

	log_init(0, LOG_LVL_INFO);
	out = capture(progress_100_steps);
	ck_assert_int_eq(count(out, " MiB received ("), 9);
	ck_assert_ptr_nonnull(strstr(out, "large object ./X: 10.0 of 100.0 "
	    "MiB received (10%)\n"));
	ck_assert_ptr_nonnull(strstr(out, "large object ./X: 90.0 of 100.0 "
	    "MiB received (90%)\n"));
	ck_assert_int_eq(count(out, "(100%)"), 0);
	ck_assert_ptr_nonnull(strstr(out, "large object ./X: 100.0 MiB "
	    "received in "));
	ck_assert_ptr_nonnull(strstr(out, " s, Replace 200\n"));
	free(out);
	/* size unknown: no tenths; nothing within 5 s, then the total */
	out = capture(progress_unknown);
	ck_assert_int_eq(count(out, "so far"), 0);
	ck_assert_ptr_nonnull(strstr(out, "Results for ./Y: 50.0 KiB sent "
	    "in "));
	free(out);
}
END_TEST

static Suite *
lo_out_suite(void)
{
	Suite *s = suite_create("lo_out");
	TCase *tc;

	tc = tcase_create("blob");
	testutil_fixtures(tc, setup);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_get_blob_read_or_taken);
	tcase_add_test(tc, test_get_blob_failures);
	tcase_add_test(tc, test_blob_taken_then_reused);
	tcase_add_test(tc, test_blob_no_fd_leak);
	suite_add_tcase(s, tc);

	tc = tcase_create("outq");
	testutil_fixtures(tc, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_file_text_across_pieces);
	tcase_add_test(tc, test_file_binary_b64);
	tcase_add_test(tc, test_file_changed);
	tcase_add_test(tc, test_file_fds_closed);
	suite_add_tcase(s, tc);

	tc = tcase_create("progress");
	testutil_fixtures(tc, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_progress_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_init(0, LOG_LVL_WARN);
	return testutil_run(lo_out_suite());
}
