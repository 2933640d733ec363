/*
 * bench_wbxml.c: the WBXML codec benchmark (core/codec_wbxml.c), and the
 * same work done by libwbxml2 when it is installed (HAVE_LIBWBXML2), the
 * figures behind docs/wbxml.md.
 *
 * Two messages of N commands: a client reply of N Status (with TargetRef)
 * and a server package of N Replace (one Item: Target, Meta Format, Data).
 * For each, best of R runs:
 *   ours enc   XML text -> WBXML (wbxml_encode)
 *   ours dec   WBXML -> libxml2 DOM (wbxml_decode), what the session needs
 *   xml parse  libxml2 parsing the XML text into a DOM: the XML floor
 *   lw enc     libwbxml2 XML -> WBXML (1.2, no string table, white space
 *              kept: the settings that give the same bytes' meaning)
 *   lw dec     libwbxml2 WBXML -> XML text, then libxml2 parses that text:
 *              libwbxml2 gives no DOM, and the session needs one
 * Answers are checked before timing: our decode of our encoding gives the
 * N commands back with their values (syncml_from_doc), libwbxml2's XML
 * of our WBXML parses and holds N commands, and our decode of libwbxml2's
 * WBXML does too. A wrong answer prints WRONG and exits 1.
 *
 * Usage: bench_wbxml [-n commands] [-r repetitions]
 * Output: one line per message, for bench/run.sh's table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#ifdef HAVE_LIBWBXML2
#include <wbxml/wbxml.h>
#endif

#include "codec_wbxml.h"
#include "syncml.h"
#include "util.h"

/* One message of the benchmark and what was measured for it. */
struct bench_msg {
	const char	*verb;		/* "Status" or "Replace" */
	char		*xml;
	size_t		 len;
	unsigned char	*wb;		/* our encoding */
	size_t		 wlen;
	double		 enc_s;		/* best times */
	double		 dec_s;
	double		 parse_s;
	double		 lw_enc_s;	/* < 0: not measured */
	double		 lw_dec_s;
	size_t		 lw_wlen;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The message: N Status or N Replace; malloc'd. */
static char *
build_msg(const char *verb, unsigned long n, size_t *lenp)
{
	struct buf b = { 0 };
	unsigned long i;
	int rc;

	rc = buf_addstr(&b, "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>"
	    "<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1"
	    "</SessionID><MsgID>2</MsgID><Target><LocURI>https://bench."
	    "example/dm</LocURI></Target><Source><LocURI>BENCH0000DEVICE"
	    "</LocURI></Source></SyncHdr><SyncBody>");
	for (i = 0; rc == 0 && i < n; i++) {
		if (strcmp(verb, "Status") == 0)
			rc = buf_printf(&b, "<Status><CmdID>%lu</CmdID><MsgRef>"
			    "1</MsgRef><CmdRef>%lu</CmdRef><Cmd>Replace</Cmd>"
			    "<TargetRef>./Vendor/Bench/n%lu</TargetRef><Data>"
			    "200</Data></Status>", i + 1, i + 2, i);
		else
			rc = buf_printf(&b, "<Replace><CmdID>%lu</CmdID><Item>"
			    "<Target><LocURI>./Vendor/Bench/n%lu</LocURI>"
			    "</Target><Meta><Format xmlns=\"syncml:metinf\">"
			    "chr</Format></Meta><Data>value-%lu</Data></Item>"
			    "</Replace>", i + 1, i, i);
	}
	if (rc == 0)
		rc = buf_addstr(&b, "<Final/></SyncBody></SyncML>");
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}

/* 0 when the DOM holds the n commands of m with their values. */
static int
check_doc(xmlDocPtr doc, const struct bench_msg *m, unsigned long n,
    const char *what)
{
	char err[SYNCML_ERRLEN] = "", want[64];
	struct syncml_msg *msg;
	unsigned long i;
	const char *got;
	int rc = -1;

	msg = syncml_from_doc(doc, NULL, err, sizeof(err));
	if (msg == NULL) {
		fprintf(stderr, "bench_wbxml: WRONG: %s: %s\n", what, err);
		return -1;
	}
	if (msg->ncmds != n) {
		fprintf(stderr, "bench_wbxml: WRONG: %s: %zu commands, not "
		    "%lu\n", what, msg->ncmds, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(m->verb, "Status") == 0) {
			snprintf(want, sizeof(want), "./Vendor/Bench/n%lu", i);
			got = msg->cmds[i].ntarget_refs == 1 ?
			    msg->cmds[i].target_refs[0] : "";
		} else {
			snprintf(want, sizeof(want), "value-%lu", i);
			got = msg->cmds[i].nitems == 1 &&
			    msg->cmds[i].items[0].data != NULL ?
			    msg->cmds[i].items[0].data : "";
		}
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "bench_wbxml: WRONG: %s: command %lu "
			    "holds \"%s\", not \"%s\"\n", what, i, got, want);
			goto out;
		}
	}
	rc = 0;
out:
	syncml_msg_free(msg);
	return rc;
}

#ifdef HAVE_LIBWBXML2
/* libwbxml2: XML -> WBXML; 0 or -1. *out is libwbxml2's (free()). */
static int
lw_encode(const struct bench_msg *m, unsigned char **out, size_t *outlen)
{
	WBXMLConvXML2WBXML *conv = NULL;
	WB_UTINY *wb = NULL;
	WB_ULONG wlen = 0;
	WBXMLError e;

	if (wbxml_conv_xml2wbxml_create(&conv) != WBXML_OK)
		return -1;
	wbxml_conv_xml2wbxml_set_version(conv, WBXML_VERSION_12);
	wbxml_conv_xml2wbxml_enable_preserve_whitespaces(conv);
	wbxml_conv_xml2wbxml_disable_string_table(conv);
	e = wbxml_conv_xml2wbxml_run(conv, (WB_UTINY *)m->xml,
	    (WB_ULONG)m->len, &wb, &wlen);
	wbxml_conv_xml2wbxml_destroy(conv);
	if (e != WBXML_OK) {
		fprintf(stderr, "bench_wbxml: libwbxml2: %s\n",
		    (const char *)wbxml_errors_string(e));
		return -1;
	}
	*out = wb;
	*outlen = wlen;
	return 0;
}

/* libwbxml2: WBXML -> XML text, then libxml2 parses it; a DOM or NULL. */
static xmlDocPtr
lw_decode(const unsigned char *wb, size_t wlen)
{
	WBXMLConvWBXML2XML *conv = NULL;
	WB_UTINY *xml = NULL;
	WB_ULONG xlen = 0;
	xmlDocPtr doc;
	WBXMLError e;

	if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK)
		return NULL;
	wbxml_conv_wbxml2xml_set_gen_type(conv, WBXML_GEN_XML_COMPACT);
	wbxml_conv_wbxml2xml_enable_preserve_whitespaces(conv);
	e = wbxml_conv_wbxml2xml_run(conv, (WB_UTINY *)wb, (WB_ULONG)wlen,
	    &xml, &xlen);
	wbxml_conv_wbxml2xml_destroy(conv);
	if (e != WBXML_OK) {
		fprintf(stderr, "bench_wbxml: libwbxml2: %s\n",
		    (const char *)wbxml_errors_string(e));
		return NULL;
	}
	doc = xmlReadMemory((const char *)xml, (int)xlen, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	free(xml);
	return doc;
}
#endif

/* Checks, then times one message. 0, or -1 after a WRONG line. */
static int
bench_msg(struct bench_msg *m, unsigned long n, int reps)
{
	char err[WBXML_ERRLEN] = "";
	unsigned char *wb = NULL;
	size_t wlen;
	xmlDocPtr doc;
	double t;
	int r;

	m->lw_enc_s = m->lw_dec_s = -1;
	if (wbxml_encode(m->xml, m->len, &m->wb, &m->wlen, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "bench_wbxml: WRONG: encode: %s\n", err);
		return -1;
	}
	doc = wbxml_decode(m->wb, m->wlen, NULL, err, sizeof(err));
	if (doc == NULL) {
		fprintf(stderr, "bench_wbxml: WRONG: decode: %s\n", err);
		return -1;
	}
	r = check_doc(doc, m, n, "ours -> ours");
	xmlFreeDoc(doc);
	if (r != 0)
		return -1;
#ifdef HAVE_LIBWBXML2
	doc = lw_decode(m->wb, m->wlen);
	if (doc == NULL || check_doc(doc, m, n, "ours -> libwbxml2") != 0) {
		xmlFreeDoc(doc);
		fprintf(stderr, "bench_wbxml: WRONG: libwbxml2 cannot decode "
		    "our WBXML\n");
		return -1;
	}
	xmlFreeDoc(doc);
	if (lw_encode(m, &wb, &wlen) != 0)
		return -1;
	m->lw_wlen = wlen;
	doc = wbxml_decode(wb, wlen, NULL, err, sizeof(err));
	free(wb);
	if (doc == NULL || check_doc(doc, m, n, "libwbxml2 -> ours") != 0) {
		xmlFreeDoc(doc);
		fprintf(stderr, "bench_wbxml: WRONG: we cannot decode "
		    "libwbxml2's WBXML: %s\n", err);
		return -1;
	}
	xmlFreeDoc(doc);
#endif
	m->enc_s = m->dec_s = m->parse_s = 1e9;
	for (r = 0; r < reps; r++) {
		t = now();
		if (wbxml_encode(m->xml, m->len, &wb, &wlen, err,
		    sizeof(err)) != 0 || wlen != m->wlen ||
		    memcmp(wb, m->wb, wlen) != 0) {
			fprintf(stderr, "bench_wbxml: WRONG: run %d encodes "
			    "differently\n", r);
			free(wb);
			return -1;
		}
		t = now() - t;
		free(wb);
		if (t < m->enc_s)
			m->enc_s = t;

		t = now();
		doc = wbxml_decode(m->wb, m->wlen, NULL, err, sizeof(err));
		t = now() - t;
		if (doc == NULL)
			return -1;
		xmlFreeDoc(doc);
		if (t < m->dec_s)
			m->dec_s = t;

		t = now();
		doc = xmlReadMemory(m->xml, (int)m->len, NULL, NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		t = now() - t;
		if (doc == NULL)
			return -1;
		xmlFreeDoc(doc);
		if (t < m->parse_s)
			m->parse_s = t;
#ifdef HAVE_LIBWBXML2
		t = now();
		if (lw_encode(m, &wb, &wlen) != 0)
			return -1;
		t = now() - t;
		free(wb);
		if (m->lw_enc_s < 0 || t < m->lw_enc_s)
			m->lw_enc_s = t;

		t = now();
		doc = lw_decode(m->wb, m->wlen);
		t = now() - t;
		if (doc == NULL)
			return -1;
		xmlFreeDoc(doc);
		if (m->lw_dec_s < 0 || t < m->lw_dec_s)
			m->lw_dec_s = t;
#endif
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_wbxml [-n commands] [-r repetitions]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct bench_msg msgs[2] = {
		{ .verb = "Status" }, { .verb = "Replace" }
	};
	unsigned long n = 10000;
	int reps = 5, ch, i, rc = 1;
	char lw[128];

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (n == 0 || reps <= 0 || optind != argc)
		usage();
	for (i = 0; i < 2; i++) {
		msgs[i].xml = build_msg(msgs[i].verb, n, &msgs[i].len);
		if (msgs[i].xml == NULL) {
			fprintf(stderr, "bench_wbxml: out of memory\n");
			goto out;
		}
		if (bench_msg(&msgs[i], n, reps) != 0)
			goto out;
	}
	for (i = 0; i < 2; i++) {
		const struct bench_msg *m = &msgs[i];

		if (m->lw_enc_s >= 0)
			snprintf(lw, sizeof(lw), "libwbxml2 enc %6.1f ms dec+"
			    "parse %6.1f ms (%zu B)", m->lw_enc_s * 1e3,
			    m->lw_dec_s * 1e3, m->lw_wlen);
		else
			snprintf(lw, sizeof(lw), "libwbxml2 not built in");
		printf("wbxml   %-7s x%-6lu ours enc %6.1f ms dec %6.1f ms   "
		    "libxml2 parse %6.1f ms   %s   XML %zu B WBXML %zu B\n",
		    m->verb, n, m->enc_s * 1e3, m->dec_s * 1e3,
		    m->parse_s * 1e3, lw, m->len, m->wlen);
	}
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		free(msgs[i].xml);
		free(msgs[i].wb);
	}
	xmlCleanupParser();
	return rc;
}
