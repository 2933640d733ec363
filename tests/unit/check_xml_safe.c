/*
 * check_xml_safe.c: unit tests of the message-in path's memory, core/
 * xml_safe.c (libxml2 reads the input as it goes; text nodes are ours) and
 * core/syncml_parse.c (the text of Data is taken, not copied).
 * - byte-exact text: a large Data mixing entity and character references,
 *   CR/CRLF line ends and multi-byte UTF-8 at random places (so across
 *   libxml2's reads), text around comments, CDATA and PIs, a document in
 *   ISO-8859-1 (converted: no bound is known, the text node grows), the
 *   same text through xml_safe_sax(), line numbers past 65535;
 * - memory: libxml2's own allocations while xml_safe_read() parses a 4 MiB
 *   Data stay at about the Data (no copy of the input, no text grown by
 *   doubling), and about nothing for xml_safe_sax(); the peak RSS of
 *   syncml_parse() of an 8 MiB Data is about the Data once (not under
 *   AddressSanitizer, whose allocator keeps freed memory);
 * - syncml_from_doc() leaves the caller's document whole.
 */
#include <check.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "syncml.h"
#include "testutil.h"
#include "xml_safe.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN	1
#endif
#endif

/* valgrind's allocator and shadow memory make RSS figures meaningless */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND	0
#endif

#define MIB	(1024UL * 1024)

/* ---- helpers ---- */

/* A growing byte string. */
struct str {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
str_add(struct str *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
str_adds(struct str *s, const char *p)
{
	str_add(s, p, strlen(p));
}

/* n bytes of a 16-byte pattern. */
static void
str_pattern(struct str *s, size_t n)
{
	static const char pat[] = "0123456789abcdef";
	size_t k;

	for (; n > 0; n -= k) {
		k = n < 16 ? n : 16;
		str_add(s, pat, k);
	}
}

/*
 * A server message whose one Replace Item has raw as the XML text of its
 * Data, followed by a Get on a line of its own; decl goes first (an XML
 * declaration or ""). Free it.
 */
static char *
message(const char *decl, const char *raw, size_t rawlen, size_t *lenp)
{
	struct str s = { NULL, 0, 0 };

	str_adds(&s, decl);
	str_adds(&s, "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>"
	    "<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
	    "<SessionID>1</SessionID><MsgID>1</MsgID>"
	    "<Target><LocURI>DEV</LocURI></Target>"
	    "<Source><LocURI>https://dm.example</LocURI></Source>"
	    "</SyncHdr><SyncBody><Replace><CmdID>2</CmdID><Item><Target>"
	    "<LocURI>./Vendor/X</LocURI></Target><Data>");
	str_add(&s, raw, rawlen);
	str_adds(&s, "</Data></Item></Replace>\n<Get><CmdID>3</CmdID><Item>"
	    "<Target><LocURI>./Vendor/Y</LocURI></Target><Data>y</Data>"
	    "</Item></Get><Final/></SyncBody></SyncML>");
	*lenp = s.len;
	return s.p;
}

static struct syncml_msg *
parse_ok(const char *buf, size_t len)
{
	char err[SYNCML_ERRLEN] = "";
	struct syncml_msg *m;

	m = syncml_parse(buf, len, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "refused: %s", err);
	ck_assert_uint_eq(m->ncmds, 2);
	ck_assert_uint_eq(m->cmds[0].nitems, 1);
	ck_assert_uint_eq(m->cmds[1].nitems, 1);
	/* the small Data after the big one is a text of its own */
	ck_assert_str_eq(m->cmds[1].items[0].data, "y");
	return m;
}

/* Checks the Replace's Data is want, byte for byte. */
static void
check_data(const struct syncml_msg *m, const struct str *want)
{
	const struct syncml_item *it = &m->cmds[0].items[0];
	size_t i;

	ck_assert_int_eq(it->has_data, 1);
	ck_assert_int_eq(it->data_xml, 0);
	ck_assert_ptr_nonnull(it->data);
	for (i = 0; i < it->data_len && i < want->len; i++)
		if (it->data[i] != want->p[i])
			break;
	ck_assert_msg(i == want->len && it->data_len == want->len,
	    "Data differs at byte %zu (%zu bytes, want %zu)", i,
	    it->data_len, want->len);
	ck_assert_uint_eq(strlen(it->data), it->data_len);
}

/*
 * Raw XML text of about n bytes and what it stands for: runs of letters
 * with, at random places, the five predefined entities, character
 * references, CRLF and lone CR (both read as LF), tabs and two- to
 * four-byte UTF-8.
 */
static void
mixed_text(struct str *raw, struct str *want, size_t n, unsigned seed)
{
	static const struct {
		const char *raw, *want;
	} tok[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&quot;", "\"" }, { "&apos;", "'" }, { "&#65;", "A" },
		{ "&#x10000;", "\xF0\x90\x80\x80" }, { "\r\n", "\n" },
		{ "\r", "\n" }, { "\t", "\t" }, { "\xC3\xA9", "\xC3\xA9" },
		{ "\xE4\xB8\xAD", "\xE4\xB8\xAD" },
		{ "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80" },
		{ "]]", "]]" }
	};
	char run[64];
	size_t i, k, ntok = sizeof(tok) / sizeof(tok[0]);

	while (raw->len < n) {
		k = (size_t)rand_r(&seed) % sizeof(run);
		for (i = 0; i < k; i++)
			run[i] = (char)('a' + rand_r(&seed) % 26);
		str_add(raw, run, k);
		str_add(want, run, k);
		i = (size_t)rand_r(&seed) % ntok;
		str_adds(raw, tok[i].raw);
		str_adds(want, tok[i].want);
	}
}

/* ---- byte-exact text ---- */

START_TEST(test_text_exact)
{
	struct str raw = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct syncml_msg *m;
	size_t len;
	char *msg;

	mixed_text(&raw, &want, 700 * 1024, 7);
	msg = message("", raw.p, raw.len, &len);
	m = parse_ok(msg, len);
	check_data(m, &want);
	syncml_msg_free(m);
	free(msg);
	free(raw.p);
	free(want.p);
}
END_TEST

/* Text around other nodes: each run is its own node; Data joins them. */
START_TEST(test_mixed_content)
{
	struct str raw = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct syncml_msg *m;
	size_t len;
	char *msg;

	str_pattern(&raw, 100000);
	str_adds(&raw, "<!-- a comment -->");
	str_pattern(&raw, 5000);
	str_adds(&raw, "<![CDATA[<x>&amp;]]>");
	str_pattern(&raw, 100000);
	str_adds(&raw, "<?pi data?>");
	str_adds(&raw, "&lt;end");
	str_pattern(&want, 100000);
	str_pattern(&want, 5000);
	str_adds(&want, "<x>&amp;");
	str_pattern(&want, 100000);
	str_adds(&want, "<end");
	msg = message("", raw.p, raw.len, &len);
	m = parse_ok(msg, len);
	check_data(m, &want);
	syncml_msg_free(m);
	free(msg);
	free(raw.p);
	free(want.p);
}
END_TEST

/* Converted input: its UTF-8 text is larger than the bytes it came from. */
START_TEST(test_latin1)
{
	struct str raw = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct syncml_msg *m;
	size_t i, len;
	char *msg;

	for (i = 0; i < 300000; i++) {
		str_add(&raw, "\xE9", 1);
		str_add(&want, "\xC3\xA9", 2);
	}
	str_adds(&raw, "x&amp;y");
	str_adds(&want, "x&y");
	msg = message("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n",
	    raw.p, raw.len, &len);
	m = parse_ok(msg, len);
	check_data(m, &want);
	syncml_msg_free(m);
	free(msg);
	free(raw.p);
	free(want.p);
}
END_TEST

/* Text handler of test_sax_text: appends to a struct str. */
static void
sax_collect(struct xml_safe *xs, void *arg, const char *s, size_t len)
{
	(void)xs;
	str_add(arg, s, len);
}

/* xml_safe_sax() hands over the same text, read as it goes. */
START_TEST(test_sax_text)
{
	static const char pre[] = "<a>", post[] = "</a>";
	struct syncml_limits lim = { SYNCML_MAX_INPUT, SYNCML_MAX_DEPTH,
	    SYNCML_MAX_ELEMENTS };
	struct xml_safe_handler h;
	struct str raw = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct str got = { NULL, 0, 0 };
	char err[XML_SAFE_ERRLEN] = "";

	str_adds(&raw, pre);
	mixed_text(&raw, &want, 300 * 1024, 11);
	str_adds(&raw, post);
	memset(&h, 0, sizeof(h));
	h.text = sax_collect;
	ck_assert_msg(xml_safe_sax(raw.p, raw.len, &lim, &h, &got, err,
	    sizeof(err)) == 0, "refused: %s", err);
	ck_assert_uint_eq(got.len, want.len);
	ck_assert(memcmp(got.p, want.p, want.len) == 0);
	free(raw.p);
	free(want.p);
	free(got.p);
}
END_TEST

/* Line numbers past 65535, which libxml2 keeps in the text nodes. */
START_TEST(test_big_lines)
{
	struct str raw = { NULL, 0, 0 };
	struct syncml_msg *m;
	size_t i, len;
	unsigned long line = 1;
	char *msg, *get;

	for (i = 0; i < 70000; i++)
		str_adds(&raw, "ab\n");
	msg = message("", raw.p, raw.len, &len);
	get = strstr(msg, "<Get>");
	ck_assert_ptr_nonnull(get);
	for (i = 0; msg + i < get; i++)
		line += msg[i] == '\n';
	m = parse_ok(msg, len);
	ck_assert_uint_eq(m->cmds[0].items[0].data_len, raw.len);
	ck_assert_uint_eq(m->cmds[0].line, 1);
	ck_assert_uint_eq(m->cmds[1].line, line);
	ck_assert_uint_gt(line, 70000);
	syncml_msg_free(m);
	free(msg);
	free(raw.p);
}
END_TEST

/* ---- memory ---- */

/*
 * Bytes libxml2 holds now and at most, counted by the allocator below
 * (file-scope: xmlMemSetup() passes its functions no context).
 */
static long	xml_live;
static long	xml_peak;

static void
count(void *p, int sign)
{
	if (p == NULL)
		return;
	xml_live += sign * (long)malloc_usable_size(p);
	if (xml_live > xml_peak)
		xml_peak = xml_live;
}

static void
count_free(void *p)
{
	count(p, -1);
	free(p);
}

static void *
count_malloc(size_t n)
{
	void *p = malloc(n);

	count(p, 1);
	return p;
}

static void *
count_realloc(void *p, size_t n)
{
	void *q;

	count(p, -1);
	q = realloc(p, n);
	count(q != NULL ? q : p, 1);
	return q;
}

static char *
count_strdup(const char *s)
{
	char *p = strdup(s);

	count(p, 1);
	return p;
}

/*
 * xml_safe_read() of a 4 MiB Data: libxml2 holds about the Data at most
 * (the input is not copied, the text not grown by doubling); xml_safe_sax()
 * holds about nothing.
 */
START_TEST(test_read_no_copy)
{
	struct syncml_limits lim = { 16 * MIB, SYNCML_MAX_DEPTH,
	    SYNCML_MAX_ELEMENTS };
	struct str raw = { NULL, 0, 0 };
	xmlFreeFunc ofree;
	xmlMallocFunc omalloc;
	xmlReallocFunc orealloc;
	xmlStrdupFunc ostrdup;
	struct xml_safe_handler h;
	char err[XML_SAFE_ERRLEN] = "";
	xmlDocPtr doc;
	long base, peak_dom, peak_sax;
	size_t len;
	char *msg;

	str_pattern(&raw, 4 * MIB);
	msg = message("", raw.p, raw.len, &len);
	xmlInitParser();
	ck_assert_int_eq(xmlMemGet(&ofree, &omalloc, &orealloc, &ostrdup), 0);
	ck_assert_int_eq(xmlMemSetup(count_free, count_malloc, count_realloc,
	    count_strdup), 0);
	base = xml_peak = xml_live;
	doc = xml_safe_read(msg, len, &lim, err, sizeof(err));
	peak_dom = xml_peak - base;
	xmlFreeDoc(doc);
	base = xml_peak = xml_live;
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(xml_safe_sax(msg, len, &lim, &h, NULL, err,
	    sizeof(err)), 0);
	peak_sax = xml_peak - base;
	xmlMemSetup(ofree, omalloc, orealloc, ostrdup);
	ck_assert_msg(doc != NULL, "refused: %s", err);
	ck_assert_msg(peak_dom >= (long)(4 * MIB) &&
	    peak_dom < (long)(4 * MIB + 256 * 1024),
	    "xml_safe_read of 4 MiB of text: libxml2 held %ld bytes", peak_dom);
	ck_assert_msg(peak_sax < 256 * 1024,
	    "xml_safe_sax of 4 MiB of text: libxml2 held %ld bytes", peak_sax);
	free(msg);
	free(raw.p);
}
END_TEST

#ifndef UNDER_ASAN
/* A figure of /proc/self/status in KiB ("VmRSS", "VmHWM"), or -1. */
static long
status_kib(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * syncml_parse() of an 8 MiB Data: the peak RSS grows by about the Data
 * once (taken from libxml2's text node, not copied; the input read as it
 * goes), where a copy of the input or of the text would double it.
 */
START_TEST(test_parse_rss)
{
	struct str raw = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct syncml_msg *m;
	long rss0, hwm, grew;
	size_t len;
	char *msg;
	int fd;

	/* a first, small parse: libxml2's code and globals are in */
	str_pattern(&raw, 100);
	msg = message("", raw.p, raw.len, &len);
	syncml_msg_free(parse_ok(msg, len));
	free(msg);
	raw.len = 0;
	str_pattern(&raw, 8 * MIB);
	msg = message("", raw.p, raw.len, &len);
	str_pattern(&want, 8 * MIB);
	free(raw.p);
	/* 5: reset the peak RSS to the current one (Linux) */
	fd = open("/proc/self/clear_refs", O_WRONLY);
	ck_assert_msg(fd >= 0, "cannot open /proc/self/clear_refs");
	ck_assert_int_eq(write(fd, "5", 1), 1);
	close(fd);
	rss0 = status_kib("VmRSS");
	m = parse_ok(msg, len);
	hwm = status_kib("VmHWM");
	ck_assert_int_gt(rss0, 0);
	ck_assert_int_ge(hwm, rss0);
	grew = hwm - rss0;
	check_data(m, &want);
	syncml_msg_free(m);
	ck_assert_msg(grew < (long)(8 * MIB / 1024) * 5 / 4,
	    "parsing 8 MiB of Data raised the peak RSS by %ld KiB", grew);
	free(msg);
	free(want.p);
}
END_TEST
#endif

/* syncml_from_doc() copies: the caller's document keeps its text. */
START_TEST(test_from_doc_keeps_doc)
{
	struct str raw = { NULL, 0, 0 };
	struct syncml_limits lim = { SYNCML_MAX_INPUT, SYNCML_MAX_DEPTH,
	    SYNCML_MAX_ELEMENTS };
	char err[XML_SAFE_ERRLEN] = "";
	struct syncml_msg *m;
	xmlNodePtr data;
	xmlChar *content;
	xmlDocPtr doc;
	size_t len;
	char *msg;

	str_pattern(&raw, 200000);
	msg = message("", raw.p, raw.len, &len);
	doc = xml_safe_read(msg, len, &lim, err, sizeof(err));
	ck_assert_msg(doc != NULL, "refused: %s", err);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "refused: %s", err);
	check_data(m, &raw);
	syncml_msg_free(m);
	/* SyncML/SyncBody/Replace/Item/Data */
	data = xmlDocGetRootElement(doc)->last->children->last->last;
	ck_assert_str_eq((const char *)data->name, "Data");
	content = xmlNodeGetContent(data);
	ck_assert_ptr_nonnull(content);
	ck_assert_uint_eq(strlen((const char *)content), raw.len);
	ck_assert(memcmp(content, raw.p, raw.len) == 0);
	xmlFree(content);
	xmlFreeDoc(doc);
	free(msg);
	free(raw.p);
}
END_TEST

static Suite *
xml_safe_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("xml_safe");

	tc = tcase_create("text");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_text_exact);
	tcase_add_test(tc, test_mixed_content);
	tcase_add_test(tc, test_latin1);
	tcase_add_test(tc, test_sax_text);
	tcase_add_test(tc, test_big_lines);
	tcase_add_test(tc, test_from_doc_keeps_doc);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_read_no_copy);
#ifndef UNDER_ASAN
	/* ASan's allocator quarantines what is freed: RSS says nothing */
	if (!RUNNING_ON_VALGRIND)
		tcase_add_test(tc, test_parse_rss);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	rc = testutil_run(xml_safe_suite());
	xmlCleanupParser();
	return rc;
}
