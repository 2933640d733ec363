/*
 * check_wbxml.c: unit tests of core/codec_wbxml.c.
 * - the real vectors (tests/data/wbxml, copies of the shared samples):
 *   the CyanogenMod DM 1.2 messages decode to the content of their
 *   wbxml2xml decodings, the libwbxml-made one to the XML it came from,
 *   and syncml_from_doc() reads them;
 * - round trips: every well-formed SyncML sample (shared samples and
 *   recorded/) gives back the same structure and text through
 *   decode(encode(x)), and the same message model as syncml_parse(x);
 * - exact bytes of the encoder (header, short empty tags, SWITCH_PAGE);
 * - each token the decoder knows: STR_T, ENTITY, LITERAL, attributes,
 *   DDF page, public ids, WBXML 1.1/1.3; binary OPAQUE -> base64 + b64;
 * - refusals with their reason, for hostile or broken input: header,
 *   tokens, truncation, mb_u_int32 overflow, depth and STR_T bombs;
 *   encoder refusals (unknown elements, entities, DOCTYPE subset);
 * - robustness: every truncation, seeded bit flips and random bytes
 *   (decode returns NULL or a document, never crashes; run under ASan);
 * - speed: a 10,000-Status message both ways.
 * Samples are found through $LUADM_SHARED, else LUADM_SOURCE_DIR/../shared.
 */
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "b64.h"
#include "codec_wbxml.h"
#include "syncml.h"
#include "testutil.h"
#include "util.h"

#ifndef LUADM_SOURCE_DIR
#define LUADM_SOURCE_DIR "."
#endif
#ifndef LUADM_TEST_DATA
#define LUADM_TEST_DATA "tests/data"
#endif

/* ---- helpers ---- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A file of tests/data/wbxml; free it. */
static char *
vector(const char *name, size_t *lenp)
{
	char *p, *buf;

	p = util_asprintf("%s/wbxml/%s", LUADM_TEST_DATA, name);
	ck_assert_ptr_nonnull(p);
	buf = testutil_slurp(p, lenp);
	free(p);
	return buf;
}

/* The directory of the shared samples; free it. */
static char *
samples_dir(void)
{
	const char *shared = getenv("LUADM_SHARED");
	char *p;

	if (shared != NULL && *shared != '\0')
		p = util_asprintf("%s/reference/samples", shared);
	else
		p = util_asprintf("%s/../shared/reference/samples",
		    LUADM_SOURCE_DIR);
	ck_assert_ptr_nonnull(p);
	return p;
}

static xmlDocPtr
xml_parse(const char *s, size_t len)
{
	return xmlReadMemory(s, (int)len, NULL, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int
is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static int
is_meta(const xmlNode *n)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    (strcmp((const char *)n->name, "Meta") == 0 ||
	    strcmp((const char *)n->name, "MetInf") == 0);
}

/*
 * The canonical form of element n, as tests/unit/wbxml_tool.c prints it:
 * "E {ns}name" per element, "T text" per run of text/CDATA; white-space
 * runs between child elements, comments, PIs and attributes dropped.
 * metfix: elements under Meta/MetInf count as syncml:metinf.
 */
static void
canon(const xmlNode *n, int depth, int metfix, struct buf *out)
{
	const xmlNode *c;
	const char *ns;
	struct buf run = { 0 };
	int has_elem = 0;

	ns = n->ns != NULL ? (const char *)n->ns->href : "";
	if (metfix && is_meta(n->parent) && strcasecmp(ns, "syncml:metinf"))
		ns = "syncml:metinf";
	ck_assert_int_eq(buf_printf(out, "%*sE {%s}%s\n", depth * 2, "", ns,
	    (const char *)n->name), 0);
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			has_elem = 1;
	for (c = n->children; ; c = c->next) {
		if (c != NULL && (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE)) {
			ck_assert_int_eq(buf_addstr(&run,
			    (const char *)c->content), 0);
			continue;
		}
		if (c != NULL && c->type != XML_ELEMENT_NODE)
			continue;
		if (run.len > 0 && !(has_elem && is_blank(run.p)))
			ck_assert_int_eq(buf_printf(out, "%*sT [%s]\n",
			    depth * 2 + 2, "", run.p), 0);
		run.len = 0;
		if (c == NULL)
			break;
		canon(c, depth + 1, metfix, out);
	}
	buf_free(&run);
}

/* canon() of a whole document; free the result. */
static char *
canon_doc(xmlDocPtr doc, int metfix)
{
	struct buf out = { 0 };

	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(xmlDocGetRootElement(doc));
	canon(xmlDocGetRootElement(doc), 0, metfix, &out);
	return out.p;
}

/* Decodes bytes that must be accepted. */
static xmlDocPtr
decode_ok(const void *p, size_t len)
{
	char err[WBXML_ERRLEN] = "";
	xmlDocPtr doc;

	doc = wbxml_decode(p, len, NULL, err, sizeof(err));
	ck_assert_msg(doc != NULL, "decode refused: %s", err);
	return doc;
}

/* Decodes bytes that must be refused with a reason containing want. */
static void
decode_refused(const void *p, size_t len, const char *want)
{
	char err[WBXML_ERRLEN] = "";
	xmlDocPtr doc;

	doc = wbxml_decode(p, len, NULL, err, sizeof(err));
	if (doc != NULL)
		xmlFreeDoc(doc);
	ck_assert_msg(doc == NULL, "accepted, expected \"%s\"", want);
	ck_assert_msg(strstr(err, want) != NULL, "reason \"%s\", expected "
	    "\"%s\"", err, want);
}

/* ---- a WBXML builder for hand-made messages ---- */

struct wb {
	struct buf b;
};

static void
wb_bytes(struct wb *w, const void *p, size_t n)
{
	ck_assert_int_eq(buf_add(&w->b, p, n), 0);
}

static void
wb_u8(struct wb *w, unsigned v)
{
	unsigned char c = (unsigned char)v;

	wb_bytes(w, &c, 1);
}

static void
wb_mb(struct wb *w, uint32_t v)
{
	unsigned char t[5];
	int i = 5;

	t[--i] = v & 0x7F;
	while ((v >>= 7) != 0)
		t[--i] = (unsigned char)(0x80 | (v & 0x7F));
	wb_bytes(w, t + i, (size_t)(5 - i));
}

/* STR_I */
static void
wb_str(struct wb *w, const char *s)
{
	wb_u8(w, 0x03);
	wb_bytes(w, s, strlen(s) + 1);
}

/* a tag with content */
static void
wb_open(struct wb *w, unsigned tok)
{
	wb_u8(w, tok | 0x40);
}

static void
wb_end(struct wb *w)
{
	wb_u8(w, 0x01);
}

/* <tok>text</tok> */
static void
wb_leaf(struct wb *w, unsigned tok, const char *text)
{
	wb_open(w, tok);
	wb_str(w, text);
	wb_end(w);
}

static void
wb_opaque(struct wb *w, const void *p, size_t n)
{
	wb_u8(w, 0xC3);
	wb_mb(w, (uint32_t)n);
	wb_bytes(w, p, n);
}

static void
wb_page(struct wb *w, unsigned page)
{
	wb_u8(w, 0x00);
	wb_u8(w, page);
}

/* Header for SyncML 1.2 without string table. */
static void
wb_header(struct wb *w)
{
	static const unsigned char h[] = { 0x02, 0xA4, 0x01, 0x6A, 0x00 };

	wb_bytes(w, h, sizeof(h));
}

/* SyncML, a SyncHdr, SyncBody opened: the body comes next. */
static void
wb_begin_body(struct wb *w)
{
	wb_open(w, 0x2D);		/* SyncML */
	wb_open(w, 0x2C);		/* SyncHdr */
	wb_leaf(w, 0x31, "1.2");	/* VerDTD */
	wb_leaf(w, 0x32, "DM/1.2");	/* VerProto */
	wb_leaf(w, 0x25, "7");		/* SessionID */
	wb_leaf(w, 0x1B, "1");		/* MsgID */
	wb_open(w, 0x2E);		/* Target */
	wb_leaf(w, 0x17, "IMEI:1");
	wb_end(w);
	wb_open(w, 0x27);		/* Source */
	wb_leaf(w, 0x17, "https://srv");
	wb_end(w);
	wb_end(w);			/* SyncHdr */
	wb_open(w, 0x2B);		/* SyncBody */
}

/* Closes SyncBody (with Final) and SyncML. */
static void
wb_finish(struct wb *w)
{
	wb_u8(w, 0x12);			/* Final, empty */
	wb_end(w);
	wb_end(w);
}

/* A standard message around one body-writing callback. */
static void
wb_message(struct wb *w, void (*body)(struct wb *))
{
	memset(w, 0, sizeof(*w));
	wb_header(w);
	wb_begin_body(w);
	body(w);
	wb_finish(w);
}

/* Replace / Item / Target LocURI ./x, then what comes before Data. */
static void
wb_replace_open(struct wb *w)
{
	wb_open(w, 0x20);		/* Replace */
	wb_leaf(w, 0x0B, "4");		/* CmdID */
	wb_open(w, 0x14);		/* Item */
	wb_open(w, 0x2E);		/* Target */
	wb_leaf(w, 0x17, "./x");
	wb_end(w);
}

static void
wb_replace_close(struct wb *w)
{
	wb_end(w);			/* Item */
	wb_end(w);			/* Replace */
}

/* ---- the real vectors ---- */

static const char *const cyanogen[] = {
	"cyanogenmod_omadm_dm12_testget",
	"cyanogenmod_omadm_dm12_testadd",
	"cyanogenmod_omadm_dm12_testreplace",
	"cyanogenmod_omadm_dm12_testdelete",
};

START_TEST(test_cyanogenmod_vectors)
{
	char *wb, *xml, *name, *a, *b;
	size_t wlen, xlen;
	xmlDocPtr doc, ref;

	name = util_asprintf("%s.wbxml", cyanogen[_i]);
	wb = vector(name, &wlen);
	free(name);
	ck_assert(wbxml_sniff(wb, wlen));
	doc = decode_ok(wb, wlen);
	name = util_asprintf("%s.decoded.xml", cyanogen[_i]);
	xml = vector(name, &xlen);
	free(name);
	ref = xml_parse(xml, xlen);
	a = canon_doc(doc, 0);
	b = canon_doc(ref, 0);
	ck_assert_msg(strcmp(a, b) == 0, "%s differs:\n%s\n---\n%s",
	    cyanogen[_i], a, b);
	free(a);
	free(b);
	xmlFreeDoc(ref);
	xmlFreeDoc(doc);
	free(xml);
	free(wb);
}
END_TEST

/* The public id of testget says 1.1; the model sees it, and the Get. */
START_TEST(test_cyanogenmod_model)
{
	char err[SYNCML_ERRLEN] = "", *wb;
	struct syncml_msg *m;
	xmlDocPtr doc;
	size_t len;

	wb = vector("cyanogenmod_omadm_dm12_testget.wbxml", &len);
	doc = decode_ok(wb, len);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_int_eq(m->ns, SYNCML_NS_11);
	ck_assert_str_eq(m->hdr.ver_dtd, "1.2");
	ck_assert_str_eq(m->hdr.session_id, "22100");
	ck_assert_str_eq(m->hdr.resp_uri, "http://10.72.34.217/Scts?0JTIAA==");
	ck_assert_ptr_nonnull(m->hdr.cred);
	ck_assert_str_eq(m->hdr.cred->meta.type, "syncml:auth-basic");
	ck_assert_str_eq(m->hdr.cred->meta.format, "b64");
	ck_assert_int_eq(m->hdr.meta.max_msg_size, 3500);
	ck_assert_uint_eq(m->ncmds, 4);
	ck_assert_int_eq(m->cmds[0].kind, SYNCML_CMD_STATUS);
	ck_assert_int_eq(m->cmds[0].code, 212);
	ck_assert_int_eq(m->cmds[3].kind, SYNCML_CMD_GET);
	ck_assert_uint_eq(m->cmds[3].nitems, 1);
	ck_assert_str_eq(m->cmds[3].items[0].target_uri,
	    "./DevDetail/URI/MaxDepth");
	ck_assert(m->final);
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	free(wb);

	/* testreplace has the literal public id of 1.2 */
	wb = vector("cyanogenmod_omadm_dm12_testreplace.wbxml", &len);
	doc = decode_ok(wb, len);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_int_eq(m->ns, SYNCML_NS_12);
	ck_assert_uint_eq(m->ncmds, 2);
	ck_assert_uint_eq(m->cmds[1].nitems, 9);
	ck_assert_str_eq(m->cmds[1].items[3].data, "Motorola, Copyright 2005");
	ck_assert(m->cmds[1].items[5].has_data);
	ck_assert_str_eq(m->cmds[1].items[5].data, "");
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	free(wb);
}
END_TEST

/* libwbxml's output (OPAQUE Data, public id 0x1201) = the source XML. */
START_TEST(test_libwbxml_vector)
{
	char *wb, *xml, *a, *b;
	size_t wlen, xlen;
	xmlDocPtr doc, ref;

	wb = vector("generated_libwbxml0.11.8_msmdm_s4_msg1.wbxml", &wlen);
	ck_assert(wbxml_sniff(wb, wlen));
	doc = decode_ok(wb, wlen);
	xml = vector("msmdm_v20240423_s4_msg1_client_pkg1.xml", &xlen);
	ref = xml_parse(xml, xlen);
	a = canon_doc(doc, 0);
	b = canon_doc(ref, 0);
	ck_assert_msg(strcmp(a, b) == 0, "differs:\n%s\n---\n%s", a, b);
	free(a);
	free(b);
	xmlFreeDoc(ref);
	xmlFreeDoc(doc);
	free(xml);
	free(wb);
}
END_TEST

/* ---- round trips of every sample ---- */

static void
same_str(const char *what, const char *field, const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		ck_assert_msg(a == b, "%s: %s: %s vs %s", what, field,
		    a != NULL ? a : "(null)", b != NULL ? b : "(null)");
	else
		ck_assert_msg(strcmp(a, b) == 0, "%s: %s: \"%s\" vs \"%s\"",
		    what, field, a, b);
}

static void
same_meta(const char *what, const struct syncml_meta *a,
    const struct syncml_meta *b)
{
	same_str(what, "Format", a->format, b->format);
	same_str(what, "Type", a->type, b->type);
	same_str(what, "Mark", a->mark, b->mark);
	same_str(what, "Size", a->size_str, b->size_str);
	same_str(what, "NextNonce", a->next_nonce, b->next_nonce);
	same_str(what, "MaxMsgSize", a->max_msg_size_str,
	    b->max_msg_size_str);
}

static void
same_cmds(const char *what, const struct syncml_cmd *a, size_t na,
    const struct syncml_cmd *b, size_t nb)
{
	size_t i, k;

	ck_assert_msg(na == nb, "%s: %zu vs %zu commands", what, na, nb);
	for (i = 0; i < na; i++) {
		ck_assert_int_eq(a[i].kind, b[i].kind);
		same_str(what, "name", a[i].name, b[i].name);
		same_str(what, "CmdID", a[i].cmd_id, b[i].cmd_id);
		same_str(what, "Data", a[i].data, b[i].data);
		same_str(what, "CmdRef", a[i].cmd_ref, b[i].cmd_ref);
		same_str(what, "Correlator", a[i].correlator,
		    b[i].correlator);
		same_meta(what, &a[i].meta, &b[i].meta);
		ck_assert_uint_eq(a[i].nitems, b[i].nitems);
		ck_assert_uint_eq(a[i].ntarget_refs, b[i].ntarget_refs);
		for (k = 0; k < a[i].nitems; k++) {
			const struct syncml_item *p = &a[i].items[k];
			const struct syncml_item *q = &b[i].items[k];

			same_str(what, "Target", p->target_uri,
			    q->target_uri);
			same_str(what, "Source", p->source_uri,
			    q->source_uri);
			same_meta(what, &p->meta, &q->meta);
			ck_assert_int_eq(p->has_data, q->has_data);
			ck_assert_int_eq(p->data_xml, q->data_xml);
			ck_assert_uint_eq(p->data_len, q->data_len);
			if (p->has_data)
				ck_assert_msg(memcmp(p->data, q->data,
				    p->data_len) == 0, "%s: item data",
				    what);
		}
		same_cmds(what, a[i].cmds, a[i].ncmds, b[i].cmds,
		    b[i].ncmds);
	}
}

static void
same_model(const char *what, const struct syncml_msg *x,
    const struct syncml_msg *y)
{
	ck_assert_int_eq(x->ns == SYNCML_NS_11, y->ns == SYNCML_NS_11);
	same_str(what, "VerDTD", x->hdr.ver_dtd, y->hdr.ver_dtd);
	same_str(what, "SessionID", x->hdr.session_id, y->hdr.session_id);
	same_str(what, "MsgID", x->hdr.msg_id, y->hdr.msg_id);
	same_str(what, "Target", x->hdr.target_uri, y->hdr.target_uri);
	same_str(what, "Source", x->hdr.source_uri, y->hdr.source_uri);
	same_str(what, "RespURI", x->hdr.resp_uri, y->hdr.resp_uri);
	ck_assert_int_eq(x->hdr.cred != NULL, y->hdr.cred != NULL);
	if (x->hdr.cred != NULL) {
		same_str(what, "Cred", x->hdr.cred->data, y->hdr.cred->data);
		same_meta(what, &x->hdr.cred->meta, &y->hdr.cred->meta);
	}
	same_meta(what, &x->hdr.meta, &y->hdr.meta);
	ck_assert_int_eq(x->final, y->final);
	same_cmds(what, x->cmds, x->ncmds, y->cmds, y->ncmds);
}

/*
 * One sample: when syncml_parse() accepts it, encode, decode, and compare
 * the canonical forms and the models. Returns 1 when it was checked.
 */
static int
roundtrip_file(const char *path)
{
	char err[WBXML_ERRLEN] = "", *xml, *a, *b;
	struct syncml_msg *m1, *m2;
	unsigned char *wb;
	size_t len, wlen;
	xmlDocPtr ref, doc;

	xml = testutil_slurp(path, &len);
	m1 = syncml_parse(xml, len, NULL, NULL, 0);
	if (m1 == NULL) {
		free(xml);
		return 0;	/* not well-formed or not SyncML */
	}
	ck_assert_msg(wbxml_encode(xml, len, &wb, &wlen, err,
	    sizeof(err)) == 0, "%s: encode: %s", path, err);
	ck_assert(wbxml_sniff(wb, wlen));
	ck_assert_msg(wlen < len, "%s: WBXML %zu >= XML %zu bytes", path,
	    wlen, len);
	doc = decode_ok(wb, wlen);
	ref = xml_parse(xml, len);
	a = canon_doc(ref, 1);
	b = canon_doc(doc, 0);
	ck_assert_msg(strcmp(a, b) == 0, "%s: differs:\n%s\n---\n%s", path,
	    a, b);
	m2 = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m2 != NULL, "%s: from_doc: %s", path, err);
	same_model(path, m1, m2);
	syncml_msg_free(m1);
	syncml_msg_free(m2);
	free(a);
	free(b);
	xmlFreeDoc(ref);
	xmlFreeDoc(doc);
	free(wb);
	free(xml);
	return 1;
}

static int
roundtrip_dir(const char *dir)
{
	struct dirent *de;
	DIR *d;
	char *p;
	size_t n;
	int count = 0;

	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".xml") != 0)
			continue;
		p = util_asprintf("%s/%s", dir, de->d_name);
		count += roundtrip_file(p);
		free(p);
	}
	closedir(d);
	return count;
}

START_TEST(test_roundtrip_samples)
{
	char *dir, *rec;
	int n;

	dir = samples_dir();
	rec = util_asprintf("%s/recorded", dir);
	n = roundtrip_dir(dir);
	ck_assert_int_ge(n, 25);
	n = roundtrip_dir(rec);
	ck_assert_int_ge(n, 13);
	n = roundtrip_dir(LUADM_TEST_DATA "/wbxml");
	ck_assert_int_eq(n, 7);
	free(rec);
	free(dir);
}
END_TEST

/* What syncml_writer produces goes through unchanged, CR and & too. */
START_TEST(test_roundtrip_writer)
{
	static const struct syncml_hdr_out hdr = {
		.session_id = "1A", .msg_id = 2,
		.target_uri = "https://srv/dm", .source_uri = "IMEI:1",
		.cred_type = "syncml:auth-md5", .cred_format = "b64",
		.cred_data = "AAAA", .max_msg_size = 20000
	};
	struct syncml_item_out it = {
		.source_uri = "./Vendor/X", .format = "chr",
		.type = "text/plain", .data = " a&b<c>\r\n\td ",
		.data_len = SYNCML_NTS
	};
	struct syncml_results_out res = {
		.msg_ref = "1", .cmd_ref = "5", .items = &it, .nitems = 1
	};
	char err[SYNCML_ERRLEN] = "", *xml;
	struct syncml_writer *w;
	struct syncml_msg *m;
	unsigned char *wb;
	size_t len, wlen;
	xmlDocPtr doc;

	w = syncml_writer_new(&hdr, 1, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_uint_ne(syncml_emit_results(w, &res), 0);
	ck_assert_int_eq(syncml_writer_finish(w, 1, &xml, &len), 0);
	syncml_writer_free(w);
	ck_assert_int_eq(wbxml_encode(xml, len, &wb, &wlen, err,
	    sizeof(err)), 0);
	doc = decode_ok(wb, wlen);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_uint_eq(m->ncmds, 1);
	ck_assert_str_eq(m->cmds[0].items[0].data, " a&b<c>\r\n\td ");
	ck_assert_str_eq(m->cmds[0].items[0].meta.type, "text/plain");
	ck_assert_str_eq(m->hdr.cred->meta.type, "syncml:auth-md5");
	ck_assert_int_eq(m->hdr.meta.max_msg_size, 20000);
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	free(wb);
	free(xml);
}
END_TEST

/* ---- the encoder, byte by byte ---- */

static unsigned char *
encode_ok(const char *xml, size_t *wlen)
{
	char err[WBXML_ERRLEN] = "";
	unsigned char *wb;

	ck_assert_msg(wbxml_encode(xml, strlen(xml), &wb, wlen, err,
	    sizeof(err)) == 0, "encode refused: %s", err);
	return wb;
}

START_TEST(test_encode_bytes)
{
	static const unsigned char want[] = {
		0x02, 0xA4, 0x01, 0x6A, 0x00,	/* 1.2, 0x1201, UTF-8 */
		0x6D,				/* SyncML */
		0x6B,				/* SyncBody */
		0x46,				/* Alert */
		0x4B, 0x03, '1', 0x00, 0x01,	/* CmdID */
		0x54,				/* Item */
		0x5A,				/* Meta */
		0x00, 0x01, 0x53,		/* page 1, Type */
		0x03, 'a', '&', 'b', 0x00, 0x01,
		0x01,				/* Meta */
		0x00, 0x00, 0x0F,		/* page 0, Data (empty) */
		0x01,				/* Item */
		0x01,				/* Alert */
		0x12,				/* Final (empty) */
		0x01, 0x01
	};
	unsigned char *wb;
	size_t wlen;

	/* attributes, comments, PI and white space between elements go */
	wb = encode_ok("<?xml version=\"1.0\"?>\n<!-- hello -->\n"
	    "<SyncML xmlns='SYNCML:SYNCML1.2'>\n <SyncBody a='1'>\n"
	    "  <Alert><CmdID>1</CmdID><?pi x?><Item>"
	    "<Meta><Type xmlns='syncml:metinf'>a&amp;b</Type></Meta>"
	    "<Data></Data></Item></Alert>\n  <Final/>\n </SyncBody>"
	    "</SyncML>", &wlen);
	ck_assert_uint_eq(wlen, sizeof(want));
	ck_assert_msg(memcmp(wb, want, wlen) == 0, "bytes differ");
	free(wb);
}
END_TEST

START_TEST(test_encode_versions_and_pages)
{
	char *a, *b;
	unsigned char *wb;
	size_t wlen;
	xmlDocPtr doc, ref;
	const char *ddf;

	/* a 1.1 root keeps its version: public id 0x0FD3 */
	wb = encode_ok("<SyncML xmlns='SYNCML:SYNCML1.1'><SyncHdr/>"
	    "</SyncML>", &wlen);
	ck_assert_uint_eq(wlen, 8);
	ck_assert_int_eq(wb[1], 0x9F);
	ck_assert_int_eq(wb[2], 0x53);
	doc = decode_ok(wb, wlen);
	ck_assert_str_eq((const char *)xmlDocGetRootElement(doc)->ns->href,
	    "SYNCML:SYNCML1.1");
	xmlFreeDoc(doc);
	free(wb);

	/* Meta children without xmlns, MetInf wrapper, DDF page 2 */
	ddf = "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody><Results>"
	    "<Meta><Format>xml</Format><MetInf><Size>3</Size></MetInf>"
	    "</Meta><Item><Data><MgmtTree xmlns='syncml:dmddf1.2'>"
	    "<VerDTD>1.2</VerDTD><Node><NodeName>x</NodeName></Node>"
	    "</MgmtTree></Data></Item></Results></SyncBody></SyncML>";
	wb = encode_ok(ddf, &wlen);
	doc = decode_ok(wb, wlen);
	ref = xml_parse(ddf, strlen(ddf));
	a = canon_doc(doc, 0);
	b = canon_doc(ref, 1);
	ck_assert_msg(strcmp(a, b) == 0, "differs:\n%s\n---\n%s", a, b);
	ck_assert_ptr_nonnull(strstr(a, "E {syncml:dmddf1.2}NodeName"));
	ck_assert_ptr_nonnull(strstr(a, "E {syncml:metinf}Size"));
	free(a);
	free(b);
	xmlFreeDoc(ref);
	xmlFreeDoc(doc);
	free(wb);
}
END_TEST

static void
encode_refused(const char *xml, const char *want)
{
	char err[WBXML_ERRLEN] = "";
	unsigned char *wb = (unsigned char *)"x";
	size_t wlen = 1;

	ck_assert_int_eq(wbxml_encode(xml, strlen(xml), &wb, &wlen, err,
	    sizeof(err)), -1);
	ck_assert_ptr_null(wb);
	ck_assert_uint_eq(wlen, 0);
	ck_assert_msg(strstr(err, want) != NULL, "reason \"%s\", expected "
	    "\"%s\"", err, want);
}

START_TEST(test_encode_refusals)
{
	char err[WBXML_ERRLEN];
	unsigned char *wb;
	size_t wlen;

	encode_refused("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody><Frob/>"
	    "</SyncBody></SyncML>", "<Frob>");
	encode_refused("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody><x:Get "
	    "xmlns:x='urn:other'/></SyncBody></SyncML>", "urn:other");
	encode_refused("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody><Meta>"
	    "<Type xmlns='syncml:metinf'><Data/></Type></Meta></SyncBody>"
	    "</SyncML>", "<Data>");
	encode_refused("<Foo/>", "<Foo>");
	encode_refused("<SyncBody xmlns='SYNCML:SYNCML1.2'/>",
	    "not SyncML");
	encode_refused("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody>",
	    "XML error");
	encode_refused("not xml", "XML error");
	encode_refused("<!DOCTYPE SyncML [<!ENTITY a 'aaaa'><!ENTITY b "
	    "'&a;&a;&a;&a;'>]><SyncML xmlns='SYNCML:SYNCML1.2'>&b;</SyncML>",
	    "entity declaration");
	encode_refused("<!DOCTYPE SyncML [<!ELEMENT SyncML ANY>]>"
	    "<SyncML/>", "internal subset");
	encode_refused("<!DOCTYPE SyncML SYSTEM 'file:///etc/passwd'>"
	    "<SyncML xmlns='SYNCML:SYNCML1.2'>&x;</SyncML>",
	    "entity reference &x; refused");
	encode_refused("<SyncML xmlns='SYNCML:SYNCML1.2'>&x;</SyncML>",
	    "Entity 'x' not defined");
	ck_assert_int_eq(wbxml_encode("", 0, &wb, &wlen, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
}
END_TEST

/* ---- the decoder, token by token ---- */

START_TEST(test_decode_tokens)
{
	/* STR_T, ENTITY, LITERAL, attributes, DDF page, mixed strings */
	static const char tbl[] = "one\0SyncHdr\0two";
	struct wb w = { { 0 } };
	xmlDocPtr doc;
	char *s;

	wb_u8(&w, 0x03);			/* WBXML 1.3 */
	wb_mb(&w, 0x1201);
	wb_mb(&w, 106);
	wb_mb(&w, sizeof(tbl));
	wb_bytes(&w, tbl, sizeof(tbl));
	wb_open(&w, 0x2D);			/* SyncML */
	wb_u8(&w, 0x44);			/* LITERAL_C "SyncHdr" */
	wb_mb(&w, 4);
	wb_open(&w, 0x31);			/* VerDTD */
	wb_u8(&w, 0x83);			/* STR_T "one" */
	wb_mb(&w, 0);
	wb_u8(&w, 0x02);			/* ENTITY U+00E9 */
	wb_mb(&w, 0xE9);
	wb_u8(&w, 0x02);			/* ENTITY U+1F600 */
	wb_mb(&w, 0x1F600);
	wb_str(&w, "-");
	wb_u8(&w, 0x83);			/* STR_T "two" */
	wb_mb(&w, 12);
	wb_end(&w);
	wb_u8(&w, 0x80 | 0x40 | 0x25);		/* SessionID + attrs */
	wb_u8(&w, 0x05);			/* attribute start */
	wb_str(&w, "v");			/* value */
	wb_u8(&w, 0x04);			/* LITERAL attribute name */
	wb_mb(&w, 0);
	wb_u8(&w, 0x83);			/* STR_T value */
	wb_mb(&w, 12);
	wb_u8(&w, 0x00);			/* attribute SWITCH_PAGE */
	wb_u8(&w, 0x07);
	wb_u8(&w, 0x85);			/* attribute value token */
	wb_end(&w);				/* end of attributes */
	wb_str(&w, "42");
	wb_end(&w);
	wb_end(&w);				/* SyncHdr */
	wb_open(&w, 0x2B);			/* SyncBody */
	wb_page(&w, 2);
	wb_open(&w, 0x20);			/* MgmtTree */
	wb_leaf(&w, 0x26, "n");			/* NodeName */
	wb_u8(&w, 0x08);			/* b64, empty */
	wb_end(&w);
	wb_page(&w, 0);
	wb_u8(&w, 0x12);
	wb_end(&w);
	wb_end(&w);
	ck_assert(wbxml_sniff(w.b.p, w.b.len));
	doc = decode_ok(w.b.p, w.b.len);
	s = canon_doc(doc, 0);
	ck_assert_str_eq(s,
	    "E {SYNCML:SYNCML1.2}SyncML\n"
	    "  E {SYNCML:SYNCML1.2}SyncHdr\n"
	    "    E {SYNCML:SYNCML1.2}VerDTD\n"
	    "      T [one\xC3\xA9\xF0\x9F\x98\x80-two]\n"
	    "    E {SYNCML:SYNCML1.2}SessionID\n"
	    "      T [42]\n"
	    "  E {SYNCML:SYNCML1.2}SyncBody\n"
	    "    E {syncml:dmddf1.2}MgmtTree\n"
	    "      E {syncml:dmddf1.2}NodeName\n"
	    "        T [n]\n"
	    "      E {syncml:dmddf1.2}b64\n"
	    "    E {SYNCML:SYNCML1.2}Final\n");
	ck_assert_ptr_null(xmlDocGetRootElement(doc)->children->children
	    ->next->properties);
	free(s);
	xmlFreeDoc(doc);
	buf_free(&w.b);
}
END_TEST

/* Header variants: 1.1, unknown public id, literal ids, version bytes. */
START_TEST(test_decode_headers)
{
	static const struct {
		unsigned char	 ver;
		uint32_t	 pubid;
		const char	*literal;	/* pubid 0: table string */
		const char	*ns;		/* NULL: refused */
		const char	*why;
	} cases[] = {
		{ 0x02, 0x1201, NULL, "SYNCML:SYNCML1.2", NULL },
		{ 0x01, 0x1201, NULL, "SYNCML:SYNCML1.2", NULL },
		{ 0x03, 0x0FD3, NULL, "SYNCML:SYNCML1.1", NULL },
		{ 0x02, 0x01, NULL, "SYNCML:SYNCML1.2", NULL },
		{ 0x02, 0, "-//SYNCML//DTD SyncML 1.2//EN",
		    "SYNCML:SYNCML1.2", NULL },
		{ 0x02, 0, "-//syncml//dtd syncml 1.1//en",
		    "SYNCML:SYNCML1.1", NULL },
		{ 0x02, 0, "-//SYNCML//DTD SyncML 1.0//EN", NULL,
		    "is not SyncML 1.1 or 1.2" },
		{ 0x02, 0x1202, NULL, NULL, "public id 0x1202" },
		{ 0x02, 0x0FD1, NULL, NULL, "public id 0x0FD1" },
		{ 0x00, 0x1201, NULL, NULL, "WBXML 1.0" },
		{ 0x04, 0x1201, NULL, NULL, "version byte 0x04" },
	};
	struct wb w;
	xmlDocPtr doc;
	size_t i, n;
	char err[WBXML_ERRLEN];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&w, 0, sizeof(w));
		wb_u8(&w, cases[i].ver);
		wb_mb(&w, cases[i].pubid);
		if (cases[i].literal != NULL)
			wb_mb(&w, 0);
		wb_mb(&w, 106);
		n = cases[i].literal != NULL ? strlen(cases[i].literal) : 0;
		wb_mb(&w, (uint32_t)n);
		if (n > 0)
			wb_bytes(&w, cases[i].literal, n);
		wb_u8(&w, 0x2D);	/* <SyncML/> */
		err[0] = '\0';
		doc = wbxml_decode(w.b.p, w.b.len, NULL, err, sizeof(err));
		if (cases[i].ns != NULL) {
			ck_assert_msg(doc != NULL, "case %zu: %s", i, err);
			ck_assert_str_eq((const char *)
			    xmlDocGetRootElement(doc)->ns->href, cases[i].ns);
			xmlFreeDoc(doc);
		} else {
			ck_assert_msg(doc == NULL, "case %zu accepted", i);
			ck_assert_msg(strstr(err, cases[i].why) != NULL,
			    "case %zu: \"%s\"", i, err);
		}
		buf_free(&w.b);
	}
}
END_TEST

/* ---- binary OPAQUE ---- */

static const unsigned char binbytes[] = { 0x00, 0xFF, 0x01, 'a', 0x80 };

static void
body_bin_format(struct wb *w)
{
	wb_replace_open(w);
	wb_open(w, 0x1A);		/* Meta */
	wb_page(w, 1);
	wb_leaf(w, 0x07, "bin");	/* Format */
	wb_leaf(w, 0x13, "application/octet-stream");
	wb_end(w);
	wb_page(w, 0);
	wb_open(w, 0x0F);		/* Data */
	wb_opaque(w, binbytes, sizeof(binbytes));
	wb_end(w);
	wb_replace_close(w);
}

static void
body_bin_nometa(struct wb *w)
{
	wb_replace_open(w);
	wb_open(w, 0x0F);
	wb_opaque(w, binbytes, sizeof(binbytes));
	wb_end(w);
	wb_replace_close(w);
}

static void
body_text_opaque(struct wb *w)
{
	wb_replace_open(w);
	wb_open(w, 0x0F);
	wb_str(w, "x");			/* STR_I then OPAQUE: one run */
	wb_opaque(w, " caf\xC3\xA9\r\n ", 9);
	wb_end(w);
	wb_replace_close(w);
}

/* Checks the binary item of a message made by body(). */
static void
check_binary_item(void (*body)(struct wb *), const char *type)
{
	char err[SYNCML_ERRLEN] = "";
	struct syncml_msg *m;
	struct syncml_item *it;
	unsigned char *raw;
	struct wb w;
	xmlDocPtr doc;
	size_t n;

	wb_message(&w, body);
	doc = decode_ok(w.b.p, w.b.len);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_uint_eq(m->cmds[0].nitems, 1);
	it = &m->cmds[0].items[0];
	ck_assert_str_eq(it->meta.format, "b64");
	if (type != NULL)
		ck_assert_str_eq(it->meta.type, type);
	else
		ck_assert_ptr_null(it->meta.type);
	raw = b64_decode(it->data, it->data_len, &n);
	ck_assert_ptr_nonnull(raw);
	ck_assert_uint_eq(n, sizeof(binbytes));
	ck_assert(memcmp(raw, binbytes, n) == 0);
	free(raw);
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	buf_free(&w.b);
}

START_TEST(test_opaque_binary)
{
	char err[SYNCML_ERRLEN] = "", *s;
	struct syncml_msg *m;
	unsigned char *raw;
	struct wb w;
	xmlDocPtr doc;
	size_t n;

	/* Format bin -> b64, Type kept; no Meta -> one is added */
	check_binary_item(body_bin_format, "application/octet-stream");
	check_binary_item(body_bin_nometa, NULL);

	/* the added Meta stands before Data, in page 0 */
	wb_message(&w, body_bin_nometa);
	doc = decode_ok(w.b.p, w.b.len);
	s = canon_doc(doc, 0);
	ck_assert_ptr_nonnull(strstr(s,
	    "        E {SYNCML:SYNCML1.2}Meta\n"
	    "          E {syncml:metinf}Format\n"
	    "            T [b64]\n"
	    "        E {SYNCML:SYNCML1.2}Data\n"
	    "          T [AP8BYYA=]\n"));
	free(s);
	xmlFreeDoc(doc);
	buf_free(&w.b);

	/* the vector of docs/wbxml.md: Format bin, OPAQUE 00 FF 01 61 */
	raw = (unsigned char *)vector("libwbxml_caveats_binary_opaque.wbxml",
	    &n);
	doc = decode_ok(raw, n);
	free(raw);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_str_eq(m->cmds[0].items[0].meta.format, "b64");
	ck_assert_str_eq(m->cmds[0].items[0].data, "AP8BYQ==");
	syncml_msg_free(m);
	xmlFreeDoc(doc);

	/* OPAQUE that is text stays text, byte for byte */
	wb_message(&w, body_text_opaque);
	doc = decode_ok(w.b.p, w.b.len);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_str_eq(m->cmds[0].items[0].data, "x caf\xC3\xA9\r\n ");
	ck_assert_ptr_null(m->cmds[0].items[0].meta.format);
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	buf_free(&w.b);
}
END_TEST

static void
body_bin_cred_nonce(struct wb *w)
{
	/* Status with Chal: Meta NextNonce binary, no Format */
	wb_open(w, 0x29);
	wb_leaf(w, 0x0B, "1");
	wb_leaf(w, 0x1C, "1");
	wb_leaf(w, 0x0C, "0");
	wb_leaf(w, 0x0A, "SyncHdr");
	wb_open(w, 0x09);		/* Chal */
	wb_open(w, 0x1A);		/* Meta */
	wb_page(w, 1);
	wb_leaf(w, 0x13, "syncml:auth-md5");
	wb_open(w, 0x10);		/* NextNonce */
	wb_opaque(w, binbytes, sizeof(binbytes));
	wb_end(w);
	wb_end(w);
	wb_page(w, 0);
	wb_end(w);			/* Chal */
	wb_leaf(w, 0x0F, "407");
	wb_end(w);
}

static void
body_bin_status(struct wb *w)
{
	wb_open(w, 0x29);
	wb_leaf(w, 0x0B, "1");
	wb_open(w, 0x0F);
	wb_opaque(w, binbytes, sizeof(binbytes));
	wb_end(w);
	wb_end(w);
}

static void
body_bin_mixed(struct wb *w)
{
	wb_replace_open(w);
	wb_open(w, 0x0F);
	wb_opaque(w, binbytes, sizeof(binbytes));
	wb_leaf(w, 0x17, "x");		/* an element after it */
	wb_end(w);
	wb_replace_close(w);
}

static void
body_bin_after_text(struct wb *w)
{
	wb_replace_open(w);
	wb_open(w, 0x0F);
	wb_leaf(w, 0x17, "x");
	wb_opaque(w, binbytes, sizeof(binbytes));
	wb_end(w);
	wb_replace_close(w);
}

START_TEST(test_opaque_binary_places)
{
	char err[SYNCML_ERRLEN] = "";
	struct syncml_msg *m;
	unsigned char *raw;
	struct wb w;
	xmlDocPtr doc;
	size_t n;

	wb_message(&w, body_bin_cred_nonce);
	doc = decode_ok(w.b.p, w.b.len);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_ptr_nonnull(m->cmds[0].chal);
	ck_assert_str_eq(m->cmds[0].chal->format, "b64");
	ck_assert_str_eq(m->cmds[0].chal->type, "syncml:auth-md5");
	raw = b64_decode(m->cmds[0].chal->next_nonce,
	    strlen(m->cmds[0].chal->next_nonce), &n);
	ck_assert_uint_eq(n, sizeof(binbytes));
	ck_assert(memcmp(raw, binbytes, n) == 0);
	free(raw);
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	buf_free(&w.b);

	wb_message(&w, body_bin_status);
	decode_refused(w.b.p, w.b.len, "only Item or Cred Data and NextNonce");
	buf_free(&w.b);
	wb_message(&w, body_bin_mixed);
	decode_refused(w.b.p, w.b.len, "after binary OPAQUE");
	buf_free(&w.b);
	wb_message(&w, body_bin_after_text);
	decode_refused(w.b.p, w.b.len, "mixed with other content");
	buf_free(&w.b);
}
END_TEST

/* ---- refusals ---- */

static void
body_empty(struct wb *w)
{
	(void)w;
}

/* A good message with bytes replaced at the end of the body. */
static void
refuse_body(const unsigned char *bad, size_t n, const char *want)
{
	struct wb w = { { 0 } };

	wb_header(&w);
	wb_begin_body(&w);
	wb_bytes(&w, bad, n);
	wb_finish(&w);
	decode_refused(w.b.p, w.b.len, want);
	buf_free(&w.b);
}

START_TEST(test_decode_refusals)
{
	static const unsigned char latin1[] = { 0x02, 0xA4, 0x01, 0x04,
		0x00, 0x2D };
	static const unsigned char bigtbl[] = { 0x02, 0xA4, 0x01, 0x6A,
		0x8F, 0xFF, 0xFF, 0xFF, 0x7F, 0x2D };
	static const unsigned char mb6[] = { 0x02, 0x81, 0x81, 0x81, 0x81,
		0x81, 0x01, 0x6A, 0x00, 0x2D };
	static const unsigned char mb33[] = { 0x02, 0x9F, 0xFF, 0xFF, 0xFF,
		0x7F, 0x6A, 0x00, 0x2D };
	static const unsigned char unknown_tag[] = { 0x7F };
	static const unsigned char unknown_tag_p1[] = { 0x00, 0x01, 0x57 };
	static const unsigned char reserved[] = { 0x30 };
	static const unsigned char page3[] = { 0x00, 0x03 };
	static const unsigned char strt_out[] = { 0x4F, 0x83, 0x05, 0x01 };
	static const unsigned char opq_huge[] = { 0x4F, 0xC3, 0x8F, 0xFF,
		0xFF, 0xFF, 0x7F, 0x01 };
	static const unsigned char opq_long[] = { 0x4F, 0xC3, 0x7F, 0x01 };
	static const unsigned char ent0[] = { 0x4F, 0x02, 0x00, 0x01 };
	static const unsigned char ent_sur[] = { 0x4F, 0x02, 0x83, 0xB0,
		0x00, 0x01 };
	static const unsigned char ent_big[] = { 0x4F, 0x02, 0xC4, 0x80,
		0x00, 0x01 };
	static const unsigned char bad_utf8[] = { 0x4F, 0x03, 0xC3, 0x28,
		0x00, 0x01 };
	static const unsigned char ctl[] = { 0x4F, 0x03, 0x07, 0x00, 0x01 };
	static const unsigned char pi[] = { 0x43 };
	static const unsigned char ext[] = { 0xC0 };
	static const unsigned char ext_i[] = { 0x40 };
	static const unsigned char lit_unknown[] = { 0x44, 0x00 };
	static const unsigned char attr_lit_c[] = { 0xCF, 0x44 };
	static const unsigned char text_top[] = { 0x01, 0x01, 0x03, 'x',
		0x00 };
	struct wb w = { { 0 } };

	decode_refused("", 0, "empty");
	decode_refused(latin1, sizeof(latin1), "charset MIBenum 4");
	decode_refused(bigtbl, sizeof(bigtbl), "string table of");
	decode_refused(mb6, sizeof(mb6), "32 bits");
	decode_refused(mb33, sizeof(mb33), "32 bits");
	decode_refused("<SyncML/>", 9, "version byte 0x3C");
	refuse_body(unknown_tag, sizeof(unknown_tag), "unknown tag 0x3F");
	refuse_body(unknown_tag_p1, sizeof(unknown_tag_p1),
	    "unknown tag 0x17 on code page 1");
	refuse_body(reserved, sizeof(reserved), "unknown tag 0x30");
	refuse_body(page3, sizeof(page3), "code page 3");
	refuse_body(strt_out, sizeof(strt_out), "outside the table");
	refuse_body(opq_huge, sizeof(opq_huge), "OPAQUE of 4294967295");
	refuse_body(opq_long, sizeof(opq_long), "OPAQUE of 127");
	refuse_body(ent0, sizeof(ent0), "ENTITY &#x0;");
	refuse_body(ent_sur, sizeof(ent_sur), "ENTITY &#xD800;");
	refuse_body(ent_big, sizeof(ent_big), "ENTITY &#x110000;");
	refuse_body(bad_utf8, sizeof(bad_utf8), "not valid UTF-8");
	refuse_body(ctl, sizeof(ctl), "not valid UTF-8");
	refuse_body(pi, sizeof(pi), "processing instruction");
	refuse_body(ext, sizeof(ext), "extension token 0xC0");
	refuse_body(ext_i, sizeof(ext_i), "extension token 0x40");
	refuse_body(lit_unknown, sizeof(lit_unknown), "outside the table");
	refuse_body(attr_lit_c, sizeof(attr_lit_c), "attribute list");
	refuse_body(text_top, sizeof(text_top), "after the root element");

	/* structure */
	wb_message(&w, body_empty);
	wb_end(&w);
	decode_refused(w.b.p, w.b.len, "after the root element");
	w.b.len--;
	wb_u8(&w, 0x2D);
	decode_refused(w.b.p, w.b.len, "after the root element");
	buf_free(&w.b);
	memset(&w, 0, sizeof(w));
	wb_header(&w);
	wb_end(&w);
	decode_refused(w.b.p, w.b.len, "END at byte 5 closes no element");
	buf_free(&w.b);
	memset(&w, 0, sizeof(w));
	wb_header(&w);
	decode_refused(w.b.p, w.b.len, "without a root element");
	wb_str(&w, "x");
	decode_refused(w.b.p, w.b.len, "text outside the root");
	buf_free(&w.b);
}
END_TEST

START_TEST(test_truncations)
{
	static const char *const names[] = {
		"cyanogenmod_omadm_dm12_testget.wbxml",
		"cyanogenmod_omadm_dm12_testadd.wbxml",
		"cyanogenmod_omadm_dm12_testreplace.wbxml",
		"cyanogenmod_omadm_dm12_testdelete.wbxml",
		"generated_libwbxml0.11.8_msmdm_s4_msg1.wbxml",
	};
	char err[WBXML_ERRLEN];
	unsigned char *cut;
	xmlDocPtr doc;
	size_t i, k, len;
	char *wb;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		wb = vector(names[i], &len);
		for (k = 0; k < len; k++) {
			/* a copy of exactly k bytes, so ASan sees overreads */
			cut = malloc(k > 0 ? k : 1);
			ck_assert_ptr_nonnull(cut);
			memcpy(cut, wb, k);
			err[0] = '\0';
			doc = wbxml_decode(cut, k, NULL, err, sizeof(err));
			ck_assert_msg(doc == NULL, "%s cut at %zu accepted",
			    names[i], k);
			ck_assert_msg(err[0] != '\0', "no reason");
			free(cut);
		}
		free(wb);
	}
}
END_TEST

/* xorshift: a seeded generator, so that a failure can be replayed. */
static uint32_t
rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Decodes, and feeds what decodes to syncml_from_doc(); no crash. */
static int
try_decode(const unsigned char *p, size_t len)
{
	char err[WBXML_ERRLEN] = "";
	struct syncml_msg *m;
	xmlDocPtr doc;

	doc = wbxml_decode(p, len, NULL, err, sizeof(err));
	if (doc == NULL) {
		ck_assert_msg(err[0] != '\0', "NULL without a reason");
		return 0;
	}
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	return 1;
}

START_TEST(test_bit_flips)
{
	static const char *const names[] = {
		"cyanogenmod_omadm_dm12_testget.wbxml",
		"cyanogenmod_omadm_dm12_testreplace.wbxml",
		"generated_libwbxml0.11.8_msmdm_s4_msg1.wbxml",
	};
	uint32_t seed = 0x5eed1234;
	unsigned char *m;
	size_t i, len;
	int k, j, nok = 0;
	char *wb;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		wb = vector(names[i], &len);
		m = malloc(len);
		ck_assert_ptr_nonnull(m);
		for (k = 0; k < 3000; k++) {
			memcpy(m, wb, len);
			for (j = 0; j < 1 + k % 4; j++)
				m[rnd(&seed) % len] ^=
				    (unsigned char)(1u << (rnd(&seed) % 8));
			nok += try_decode(m, len);
		}
		free(m);
		free(wb);
	}
	/* some flips land in text and still decode: the loop went deep */
	ck_assert_int_gt(nok, 100);
}
END_TEST

START_TEST(test_random_bytes)
{
	uint32_t seed = 0xC0FFEE;
	unsigned char m[600];
	size_t len, j, hl;
	int k;

	for (k = 0; k < 20000; k++) {
		len = rnd(&seed) % sizeof(m);
		for (j = 0; j < len; j++)
			m[j] = (unsigned char)rnd(&seed);
		/* half of them with a valid header, to reach the body */
		hl = 0;
		if (k % 2 == 0 && len >= 6) {
			m[0] = 0x02;
			m[1] = 0xA4;
			m[2] = 0x01;
			m[3] = 0x6A;
			m[4] = (unsigned char)(rnd(&seed) % 4);
			hl = 5;
			/* favour defined tokens */
			for (j = hl; j < len; j++)
				if (m[j] & 0x80 && rnd(&seed) % 2)
					m[j] = (unsigned char)(0x40 |
					    (0x05 + m[j] % 0x38));
		}
		try_decode(m, len);
	}
}
END_TEST

/* Depth, element and text bombs fail fast and say which limit. */
START_TEST(test_bombs)
{
	struct wbxml_limits lim = { 0 };
	char err[WBXML_ERRLEN];
	struct wb w = { { 0 } };
	xmlDocPtr doc;
	double t0;
	size_t i;

	/* 1,000,000 nested Items */
	wb_header(&w);
	wb_open(&w, 0x2D);
	for (i = 0; i < 1000000; i++)
		wb_open(&w, 0x14);
	t0 = now();
	decode_refused(w.b.p, w.b.len, "nested deeper than 64");
	ck_assert(now() - t0 < 1.0);
	buf_free(&w.b);

	/* 2,000,000 empty elements against the element limit */
	memset(&w, 0, sizeof(w));
	wb_header(&w);
	wb_open(&w, 0x2D);
	for (i = 0; i < 2000000; i++)
		wb_u8(&w, 0x12);
	wb_end(&w);
	t0 = now();
	decode_refused(w.b.p, w.b.len, "more than 500000 elements");
	ck_assert(now() - t0 < 10.0);
	lim.max_elements = 1000;
	doc = wbxml_decode(w.b.p, w.b.len, &lim, err, sizeof(err));
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(err, "more than 1000 elements"));
	buf_free(&w.b);

	/* STR_T amplification: a 64 KB string referenced 100,000 times */
	memset(&w, 0, sizeof(w));
	wb_u8(&w, 0x02);
	wb_mb(&w, 0x1201);
	wb_mb(&w, 106);
	wb_mb(&w, 65536);
	for (i = 0; i < 65535; i++)
		wb_u8(&w, 'a');
	wb_u8(&w, 0);
	wb_open(&w, 0x2D);
	wb_open(&w, 0x0F);
	for (i = 0; i < 100000; i++) {
		wb_u8(&w, 0x83);
		wb_mb(&w, 0);
	}
	wb_end(&w);
	wb_end(&w);
	t0 = now();
	decode_refused(w.b.p, w.b.len, "longer than 16777216 bytes");
	ck_assert(now() - t0 < 5.0);
	memset(&lim, 0, sizeof(lim));
	lim.max_text = 1000000;
	doc = wbxml_decode(w.b.p, w.b.len, &lim, err, sizeof(err));
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(err, "more than 1000000 bytes of text"));
	memset(&lim, 0, sizeof(lim));
	lim.max_input = 1000;
	doc = wbxml_decode(w.b.p, w.b.len, &lim, err, sizeof(err));
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(err, "input too large"));
	buf_free(&w.b);
}
END_TEST

START_TEST(test_sniff)
{
	static const unsigned char lit[] = { 0x02, 0x00, 0x00, 0x6A, 0x00 };
	static const unsigned char v13[] = { 0x03, 0x9F, 0x53, 0x6A, 0x00 };
	static const unsigned char prov[] = { 0x03, 0x0B, 0x6A, 0x00 };
	static const unsigned char mbx[] = { 0x02, 0xFF, 0xFF, 0xFF, 0xFF,
		0xFF, 0x01 };
	static const unsigned char cut[] = { 0x02, 0xA4 };
	static const unsigned char v0[] = { 0x00, 0xA4, 0x01, 0x6A, 0x00 };

	ck_assert(wbxml_sniff(lit, sizeof(lit)));
	ck_assert(wbxml_sniff(v13, sizeof(v13)));
	ck_assert(!wbxml_sniff(prov, sizeof(prov)));
	ck_assert(!wbxml_sniff(mbx, sizeof(mbx)));
	ck_assert(!wbxml_sniff(cut, sizeof(cut)));
	ck_assert(!wbxml_sniff(v0, sizeof(v0)));
	ck_assert(!wbxml_sniff("<SyncML xmlns='SYNCML:SYNCML1.2'>", 33));
	ck_assert(!wbxml_sniff("\xEF\xBB\xBF<SyncML>", 11));
	ck_assert(!wbxml_sniff(NULL, 0));
}
END_TEST

/* A 10,000-Status message: encode and decode in bounded time. */
START_TEST(test_speed)
{
	char err[WBXML_ERRLEN] = "";
	struct syncml_msg *m;
	struct buf x = { 0 };
	unsigned char *wb;
	size_t wlen;
	xmlDocPtr doc;
	double t0, te, td;
	int i;

	ck_assert_int_eq(buf_addstr(&x, "<SyncML xmlns=\"SYNCML:SYNCML1.2\">"
	    "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
	    "<SessionID>1</SessionID><MsgID>2</MsgID><Target><LocURI>"
	    "https://srv</LocURI></Target><Source><LocURI>IMEI:1</LocURI>"
	    "</Source></SyncHdr><SyncBody>"), 0);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(buf_printf(&x, "<Status><CmdID>%d</CmdID>"
		    "<MsgRef>1</MsgRef><CmdRef>%d</CmdRef><Cmd>Replace</Cmd>"
		    "<TargetRef>./Vendor/MSFT/Node%d</TargetRef>"
		    "<Data>200</Data></Status>", i + 1, i + 2, i), 0);
	ck_assert_int_eq(buf_addstr(&x, "<Final/></SyncBody></SyncML>"), 0);
	t0 = now();
	ck_assert_int_eq(wbxml_encode(x.p, x.len, &wb, &wlen, err,
	    sizeof(err)), 0);
	te = now() - t0;
	t0 = now();
	doc = decode_ok(wb, wlen);
	td = now() - t0;
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_uint_eq(m->ncmds, 10000);
	ck_assert_str_eq(m->cmds[9999].target_refs[0],
	    "./Vendor/MSFT/Node9999");
	/* generous bounds: ASan builds are slower; the figures are in
	 * docs/wbxml.md */
	ck_assert_msg(te < 2.0 && td < 2.0, "encode %.3f s, decode %.3f s",
	    te, td);
	ck_assert_uint_lt(wlen, x.len / 2);
	syncml_msg_free(m);
	xmlFreeDoc(doc);
	free(wb);
	buf_free(&x);
}
END_TEST

static Suite *
wbxml_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("wbxml");
	tc = tcase_create("vectors");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cyanogenmod_vectors, 0,
	    (int)(sizeof(cyanogen) / sizeof(cyanogen[0])));
	tcase_add_test(tc, test_cyanogenmod_model);
	tcase_add_test(tc, test_libwbxml_vector);
	tcase_add_test(tc, test_roundtrip_samples);
	tcase_add_test(tc, test_roundtrip_writer);
	suite_add_tcase(s, tc);

	tc = tcase_create("codec");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_encode_bytes);
	tcase_add_test(tc, test_encode_versions_and_pages);
	tcase_add_test(tc, test_encode_refusals);
	tcase_add_test(tc, test_decode_tokens);
	tcase_add_test(tc, test_decode_headers);
	tcase_add_test(tc, test_opaque_binary);
	tcase_add_test(tc, test_opaque_binary_places);
	tcase_add_test(tc, test_sniff);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_decode_refusals);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_bit_flips);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_bombs);
	tcase_add_test(tc, test_speed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	rc = testutil_run(wbxml_suite());
	xmlCleanupParser();
	return rc;
}
