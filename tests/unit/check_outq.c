/*
 * check_outq.c: unit tests of core/outq.c, the client's reply queue drained
 * into size-limited messages, and of core/syncml_emit.c, the writer it
 * drains into. Every message is built the way core/session.c builds one
 * (a writer, the SyncHdr Status the engine writes itself, outq_drain(),
 * Final when the queue is empty, syncml_writer_finish()), then parsed back
 * with libxml2 and read with XPath: the core's own parser is not used to
 * judge the core's writer.
 * - the writer: escaping of <, &, >, ]]> and CR, control characters and
 *   bad UTF-8 refused without a trace, numbers (CmdID, MsgID, codes, Meta
 *   Size) at their limits, syncml_writer_size() exact;
 * - the queue: order kept across messages, every command out exactly once
 *   with MsgRef/CmdRef/CmdID intact, deep copies, finished messages within
 *   the limit, the first command of a message always going, no Status or
 *   Alert held back while it would have fitted;
 * - large objects: MoreData on all chunks but the last, Meta Size (the
 *   total) on the first only, the Data put back together byte for byte
 *   for ASCII, multi-byte UTF-8 (no chunk ends inside a character) and
 *   b64; chunk 0 (large objects off) returning 1 with the item kept;
 * - Results held in files: binary as b64 in whole 4-character groups,
 *   text as text, a small file read when queued;
 * - queues crossing the 32 KiB pages of outq.c, pages freed while others
 *   are queued (meant for the ASan build);
 * - a seeded random run of a few thousand mixed commands per seed
 *   (LUADM_OUTQ_SEED=n runs seed n alone; failures name their seed).
 * The "regressions" TCase holds the inputs of defects of outq.c found
 * while these tests were written (fixed in outq.c since).
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "b64.h"
#include "log.h"
#include "outq.h"
#include "syncml.h"
#include "testutil.h"

#define NS_SYNCML	"SYNCML:SYNCML1.2"
#define NS_METINF	"syncml:metinf"
#define FINAL_LEN	(sizeof("<Final/>") - 1)

/* ---- a model of what was queued ---- */

enum m_kind {
	M_STATUS,
	M_RESULTS,
	M_ALERT
};

/* One Item as queued; data_len bytes of data count. */
struct m_item {
	const char	*target;
	const char	*source;
	const char	*format;
	const char	*type;
	const char	*mark;
	long		 size;
	const char	*data;		/* NULL: no Data */
	size_t		 data_len;
	int		 nts;		/* queued with SYNCML_NTS */
	/* a Results Item queued from a file: data is what must come out */
	int		 file;
	int		 fd;
	long long	 file_size;
	const char	*format_in;	/* the Format queued with it */
};

/* One command as queued. */
struct m_cmd {
	enum m_kind	 kind;
	const char	*msg_ref;
	const char	*cmd_ref;	/* Status: NULL is sent as "" */
	const char	*cmd;		/* Status */
	const char	*refs[3];	/* Status TargetRef */
	size_t		 nrefs;
	const char	*correlator;	/* Alert */
	const char	*format;	/* Results command Meta */
	const char	*type;
	int		 code;		/* Status, Alert */
	struct m_item	*items;
	size_t		 nitems;
	size_t		 elem_len;	/* alone, CmdID 1; not Results */
};

/* Commands in queue order, and every buffer they point to. */
struct model {
	struct m_cmd	*cmds;
	size_t		 n;
	size_t		 cap;
	void		**mem;
	size_t		 nmem;
	size_t		 capmem;
};

static void
model_free(struct model *m)
{
	size_t i;

	for (i = 0; i < m->nmem; i++)
		free(m->mem[i]);
	free(m->mem);
	free(m->cmds);
	memset(m, 0, sizeof(*m));
}

/* Zeroed memory that lives as long as m. */
static void *
model_alloc(struct model *m, size_t size)
{
	void *p;

	if (m->nmem == m->capmem) {
		m->capmem = m->capmem != 0 ? m->capmem * 2 : 256;
		m->mem = realloc(m->mem, m->capmem * sizeof(*m->mem));
		ck_assert_ptr_nonnull(m->mem);
	}
	p = calloc(1, size != 0 ? size : 1);
	ck_assert_ptr_nonnull(p);
	m->mem[m->nmem++] = p;
	return p;
}

static const char *
model_str(struct model *m, const char *s)
{
	char *p;

	p = model_alloc(m, strlen(s) + 1);
	memcpy(p, s, strlen(s));
	return p;
}

static const char *
kind_name(enum m_kind k)
{
	return k == M_STATUS ? "Status" : k == M_RESULTS ? "Results" :
	    "Alert";
}

/* out[i] for items[i]; out holds n. */
static void
items_out(const struct m_item *items, size_t n, struct syncml_item_out *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].target_uri = items[i].target;
		out[i].source_uri = items[i].source;
		out[i].format = items[i].file ? items[i].format_in :
		    items[i].format;
		out[i].type = items[i].type;
		out[i].mark = items[i].mark;
		out[i].size = items[i].size;
		out[i].data = items[i].data;
		out[i].data_len = items[i].nts ? SYNCML_NTS :
		    items[i].data_len;
		if (items[i].file) {
			out[i].data = NULL;
			out[i].data_len = 0;
			out[i].file = 1;
			out[i].fd = items[i].fd;
			out[i].file_size = items[i].file_size;
		}
	}
}

/*
 * Hands c to outq (q not NULL) or to the writer (w not NULL). Returns
 * outq's result, or the CmdID the writer gave.
 */
static unsigned long
m_put(const struct m_cmd *c, struct outq *q, struct syncml_writer *w)
{
	struct syncml_status_out st;
	struct syncml_results_out r;
	struct syncml_alert_out a;
	struct syncml_item_out *iv;
	unsigned long rc;

	iv = calloc(c->nitems + 1, sizeof(*iv));
	ck_assert_ptr_nonnull(iv);
	items_out(c->items, c->nitems, iv);
	switch (c->kind) {
	case M_STATUS:
		memset(&st, 0, sizeof(st));
		st.msg_ref = c->msg_ref;
		st.cmd_ref = c->cmd_ref;
		st.cmd = c->cmd;
		st.target_refs = c->refs;
		st.ntarget_refs = c->nrefs;
		st.code = c->code;
		st.items = iv;
		st.nitems = c->nitems;
		rc = q != NULL ? (unsigned long)outq_status(q, &st) :
		    syncml_emit_status(w, &st);
		break;
	case M_RESULTS:
		memset(&r, 0, sizeof(r));
		r.msg_ref = c->msg_ref;
		r.cmd_ref = c->cmd_ref;
		r.format = c->format;
		r.type = c->type;
		r.items = iv;
		r.nitems = c->nitems;
		rc = q != NULL ? (unsigned long)outq_results(q, &r) :
		    syncml_emit_results(w, &r);
		break;
	default:
		memset(&a, 0, sizeof(a));
		a.code = c->code;
		a.correlator = c->correlator;
		a.items = iv;
		a.nitems = c->nitems;
		rc = q != NULL ? (unsigned long)outq_alert(q, &a) :
		    syncml_emit_alert(w, &a);
		break;
	}
	free(iv);
	return rc;
}

/* ---- messages ---- */

/* A writer for message msg_id; cred (may be NULL) makes the header big. */
static struct syncml_writer *
writer_new(unsigned long msg_id, unsigned long first, const char *cred)
{
	struct syncml_hdr_out h;
	struct syncml_writer *w;
	char err[SYNCML_ERRLEN];

	memset(&h, 0, sizeof(h));
	h.session_id = "1A";
	h.msg_id = msg_id;
	h.target_uri = "https://dm.example.com/omadm?a=1&b=<2>";
	h.source_uri = "IMEI:493005100592800";
	h.cred_type = cred != NULL ? "syncml:auth-md5" : NULL;
	h.cred_format = cred != NULL ? "b64" : NULL;
	h.cred_data = cred;
	w = syncml_writer_new(&h, first, err, sizeof(err));
	ck_assert_msg(w != NULL, "writer: %s", err);
	return w;
}

/* The SyncHdr Status the engine writes before the queue is drained. */
static void
preface(struct syncml_writer *w, unsigned long msg_id, const char *nonce)
{
	struct syncml_status_out st;
	struct syncml_chal_out ch;
	char ref[24];

	snprintf(ref, sizeof(ref), "%lu", msg_id);
	memset(&st, 0, sizeof(st));
	memset(&ch, 0, sizeof(ch));
	st.msg_ref = ref;
	st.cmd_ref = "0";
	st.cmd = "SyncHdr";
	st.code = 200;
	if (nonce != NULL) {
		ch.type = "syncml:auth-md5";
		ch.format = "b64";
		ch.next_nonce = nonce;
		st.chal = &ch;
	}
	ck_assert_uint_eq(syncml_emit_status(w, &st), 1);
}

/* Finishes w; the message is malloc'd. Checks syncml_writer_size(). */
static char *
finish(struct syncml_writer *w, int final, size_t *len)
{
	size_t size = syncml_writer_size(w);
	char *out;

	ck_assert_msg(syncml_writer_finish(w, final, &out, len) == 0,
	    "finish: %s", syncml_writer_error(w));
	ck_assert_uint_eq(*len + (final ? 0 : FINAL_LEN), size);
	ck_assert_uint_eq(strlen(out), *len);
	return out;
}

/* Bytes of c alone in a message, with CmdID 1. */
static size_t
elem_len(const struct m_cmd *c)
{
	struct syncml_writer *w;
	size_t before, n;

	w = writer_new(1, 1, NULL);
	before = syncml_writer_size(w);
	ck_assert_msg(m_put(c, NULL, w) == 1, "emit: %s",
	    syncml_writer_error(w));
	n = syncml_writer_size(w) - before;
	syncml_writer_free(w);
	return n;
}

/* Appends *c to the model (and measures it); returns it. */
static struct m_cmd *
model_add(struct model *m, const struct m_cmd *c)
{
	if (m->n == m->cap) {
		m->cap = m->cap != 0 ? m->cap * 2 : 64;
		m->cmds = realloc(m->cmds, m->cap * sizeof(*m->cmds));
		ck_assert_ptr_nonnull(m->cmds);
	}
	m->cmds[m->n] = *c;
	if (c->kind != M_RESULTS)
		m->cmds[m->n].elem_len = elem_len(c);
	return &m->cmds[m->n++];
}

/* Adds c to the model and queues it. */
static void
enqueue(struct model *m, struct outq *q, const struct m_cmd *c)
{
	ck_assert_int_eq((int)m_put(model_add(m, c), q, NULL), 0);
}

/* ---- libxml2 and XPath ---- */

struct xdoc {
	xmlDocPtr		 doc;
	xmlXPathContextPtr	 ctx;
};

static void
xdoc_open(struct xdoc *x, const char *buf, size_t len, const char *tag)
{
	x->doc = xmlReadMemory(buf, (int)len, "msg.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ck_assert_msg(x->doc != NULL, "%s: not well-formed: %.*s", tag,
	    (int)(len < 600 ? len : 600), buf);
	x->ctx = xmlXPathNewContext(x->doc);
	ck_assert_ptr_nonnull(x->ctx);
	ck_assert_int_eq(xmlXPathRegisterNs(x->ctx, BAD_CAST "s",
	    BAD_CAST NS_SYNCML), 0);
	ck_assert_int_eq(xmlXPathRegisterNs(x->ctx, BAD_CAST "m",
	    BAD_CAST NS_METINF), 0);
}

static void
xdoc_close(struct xdoc *x)
{
	xmlXPathFreeContext(x->ctx);
	xmlFreeDoc(x->doc);
}

/* The node set expr selects from node (NULL: absolute expr). */
static xmlXPathObjectPtr
xnodes(struct xdoc *x, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr o;

	if (node != NULL)
		o = xmlXPathNodeEval(node, BAD_CAST expr, x->ctx);
	else
		o = xmlXPathEvalExpression(BAD_CAST expr, x->ctx);
	ck_assert_msg(o != NULL && o->type == XPATH_NODESET, "XPath %s",
	    expr);
	return o;
}

static int
nset_len(const xmlXPathObject *o)
{
	return o->nodesetval != NULL ? o->nodesetval->nodeNr : 0;
}

static int
xcount(struct xdoc *x, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr o = xnodes(x, node, expr);
	int n = nset_len(o);

	xmlXPathFreeObject(o);
	return n;
}

/*
 * The string value of the one node expr selects (free with xmlFree), or
 * NULL when it selects none; more than one fails the test.
 */
static char *
xstr(struct xdoc *x, xmlNodePtr node, const char *expr, const char *tag)
{
	xmlXPathObjectPtr o = xnodes(x, node, expr);
	xmlChar *s = NULL;

	ck_assert_msg(nset_len(o) <= 1, "%s: %d nodes for %s", tag,
	    nset_len(o), expr);
	if (nset_len(o) == 1) {
		s = xmlXPathCastNodeToString(o->nodesetval->nodeTab[0]);
		ck_assert_ptr_nonnull(s);
	}
	xmlXPathFreeObject(o);
	return (char *)s;
}

/* expr selects one node whose value is want, or none when want is NULL. */
static void
xeq(struct xdoc *x, xmlNodePtr node, const char *expr, const char *want,
    const char *tag)
{
	char *s = xstr(x, node, expr, tag);

	if (want == NULL)
		ck_assert_msg(s == NULL, "%s: %s is '%s', expected none", tag,
		    expr, s);
	else {
		ck_assert_msg(s != NULL, "%s: no %s, expected '%s'", tag,
		    expr, want);
		ck_assert_msg(strcmp(s, want) == 0,
		    "%s: %s is '%.200s', expected '%.200s'", tag, expr, s,
		    want);
	}
	xmlFree(s);
}

/* ---- checking messages against the model ---- */

/* Where a run of messages stands against its model. */
struct check {
	const struct model *m;
	size_t		 k;	/* next command expected */
	size_t		 item;	/* its next Item (Results) */
	size_t		 off;	/* bytes of that Item's Data seen */
	unsigned long	 msgno;	/* MsgID of the next message */
	unsigned long	 seed;	/* of a random run, else 0 */
	int		 preface;	/* a SyncHdr Status first */
	const char	*nonce;	/* its Chal NextNonce, or NULL */
	const char	*cred;	/* header Cred, or NULL */
	int		 strict;	/* every message within its limit */
	int		 b64_groups;	/* b64 chunks: 4-char groups */
	char		 tag[96];	/* names the message in failures */
	/* what was seen */
	size_t		 msgs;
	size_t		 chunks;	/* Items with MoreData */
	size_t		 last_ours;	/* ours in the last message */
	size_t		 last_len;	/* bytes of the last message */
	int		 last_more;	/* it ended with a chunk */
};

static void
check_init(struct check *ck, const struct model *m, unsigned long seed)
{
	memset(ck, 0, sizeof(*ck));
	ck->m = m;
	ck->msgno = 1;
	ck->seed = seed;
	ck->preface = 1;
	ck->strict = 1;
}

/* Target, Source and Meta (but Size) of an Item as queued. */
static void
check_item_fields(struct check *ck, struct xdoc *x, xmlNodePtr it,
    const struct m_item *mi)
{
	xeq(x, it, "s:Target/s:LocURI", mi->target, ck->tag);
	xeq(x, it, "s:Source/s:LocURI", mi->source, ck->tag);
	xeq(x, it, "s:Meta/m:Format", mi->format, ck->tag);
	xeq(x, it, "s:Meta/m:Type", mi->type, ck->tag);
	xeq(x, it, "s:Meta/m:Mark", mi->mark, ck->tag);
}

/* Meta Size: want > 0, or absent. */
static void
check_size(struct check *ck, struct xdoc *x, xmlNodePtr it, long want)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", want);
	xeq(x, it, "s:Meta/m:Size", want > 0 ? buf : NULL, ck->tag);
}

/* The Items of a Status or Alert: all of them, whole. */
static void
check_items_whole(struct check *ck, struct xdoc *x, xmlNodePtr node,
    const struct m_cmd *c)
{
	xmlXPathObjectPtr o = xnodes(x, node, "s:Item");
	xmlNodePtr it;
	size_t i;
	char *d;

	ck_assert_msg((size_t)nset_len(o) == c->nitems,
	    "%s: command %zu has %d Items, %zu queued", ck->tag, ck->k,
	    nset_len(o), c->nitems);
	for (i = 0; i < c->nitems; i++) {
		it = o->nodesetval->nodeTab[i];
		check_item_fields(ck, x, it, &c->items[i]);
		check_size(ck, x, it, c->items[i].size);
		ck_assert_msg(xcount(x, it, "s:MoreData") == 0,
		    "%s: MoreData in a %s", ck->tag, kind_name(c->kind));
		d = xstr(x, it, "s:Data", ck->tag);
		if (c->items[i].data == NULL)
			ck_assert_msg(d == NULL, "%s: Data where none was "
			    "queued", ck->tag);
		else {
			ck_assert_msg(d != NULL, "%s: Data lost", ck->tag);
			ck_assert_msg(strlen(d) == c->items[i].data_len &&
			    memcmp(d, c->items[i].data,
			    c->items[i].data_len) == 0,
			    "%s: command %zu item %zu Data '%.100s' differs",
			    ck->tag, ck->k, i, d);
		}
		xmlFree(d);
	}
	xmlXPathFreeObject(o);
}

static void
check_status(struct check *ck, struct xdoc *x, xmlNodePtr node,
    const struct m_cmd *c)
{
	char buf[48];
	size_t i;

	xeq(x, node, "s:MsgRef", c->msg_ref, ck->tag);
	xeq(x, node, "s:CmdRef", c->cmd_ref != NULL ? c->cmd_ref : "",
	    ck->tag);
	xeq(x, node, "s:Cmd", c->cmd, ck->tag);
	ck_assert_msg((size_t)xcount(x, node, "s:TargetRef") == c->nrefs,
	    "%s: TargetRefs lost", ck->tag);
	for (i = 0; i < c->nrefs; i++) {
		snprintf(buf, sizeof(buf), "s:TargetRef[%zu]", i + 1);
		xeq(x, node, buf, c->refs[i], ck->tag);
	}
	snprintf(buf, sizeof(buf), "%d", c->code);
	xeq(x, node, "s:Data", buf, ck->tag);
	check_items_whole(ck, x, node, c);
	ck->k++;
}

static void
check_alert(struct check *ck, struct xdoc *x, xmlNodePtr node,
    const struct m_cmd *c)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", c->code);
	xeq(x, node, "s:Data", buf, ck->tag);
	xeq(x, node, "s:Correlator", c->correlator, ck->tag);
	check_items_whole(ck, x, node, c);
	ck->k++;
}

/*
 * A Results: whole Items, or chunks of one. last: node is the last
 * command of the message (where a MoreData chunk must be).
 */
static void
check_results(struct check *ck, struct xdoc *x, xmlNodePtr node,
    const struct m_cmd *c, int last)
{
	xmlXPathObjectPtr o;
	const struct m_item *mi;
	xmlNodePtr it;
	size_t dlen;
	char *d;
	int i, more;

	xeq(x, node, "s:MsgRef", c->msg_ref, ck->tag);
	xeq(x, node, "s:CmdRef", c->cmd_ref, ck->tag);
	xeq(x, node, "s:Meta/m:Format", c->format, ck->tag);
	xeq(x, node, "s:Meta/m:Type", c->type, ck->tag);
	o = xnodes(x, node, "s:Item");
	ck_assert_msg(nset_len(o) >= 1, "%s: Results without Item", ck->tag);
	for (i = 0; i < nset_len(o); i++) {
		it = o->nodesetval->nodeTab[i];
		ck_assert_msg(ck->item < c->nitems, "%s: command %zu: more "
		    "Items out than the %zu queued", ck->tag, ck->k,
		    c->nitems);
		mi = &c->items[ck->item];
		check_item_fields(ck, x, it, mi);
		more = xcount(x, it, "s:MoreData");
		d = xstr(x, it, "s:Data", ck->tag);
		if (mi->data == NULL) {
			ck_assert_msg(d == NULL && more == 0, "%s: Data or "
			    "MoreData for an Item without Data", ck->tag);
			check_size(ck, x, it, mi->size);
			ck->item++;
			continue;
		}
		ck_assert_msg(d != NULL, "%s: command %zu item %zu: no Data",
		    ck->tag, ck->k, ck->item);
		dlen = strlen(d);
		ck_assert_msg(ck->off + dlen <= mi->data_len &&
		    memcmp(mi->data + ck->off, d, dlen) == 0,
		    "%s: command %zu item %zu: %zu bytes of Data at offset "
		    "%zu differ from the %zu queued (or go past them)",
		    ck->tag, ck->k, ck->item, dlen, ck->off, mi->data_len);
		xmlFree(d);
		if (more) {
			ck_assert_msg(dlen > 0, "%s: empty chunk", ck->tag);
			ck_assert_msg(
			    ((unsigned char)mi->data[ck->off + dlen] & 0xc0) !=
			    0x80, "%s: chunk ends inside a UTF-8 character "
			    "(offset %zu)", ck->tag, ck->off + dlen);
			ck_assert_msg(last && i == nset_len(o) - 1,
			    "%s: something follows a MoreData chunk",
			    ck->tag);
			if (ck->b64_groups && mi->format != NULL &&
			    strcmp(mi->format, "b64") == 0)
				ck_assert_msg(dlen % 4 == 0, "%s: a b64 chunk "
				    "of %zu characters", ck->tag, dlen);
			/* Meta Size, the total, in the first chunk only */
			check_size(ck, x, it, ck->off == 0 ?
			    (long)mi->data_len : 0);
			ck->off += dlen;
			ck->chunks++;
			ck->last_more = 1;
			continue;
		}
		ck_assert_msg(ck->off + dlen == mi->data_len,
		    "%s: command %zu item %zu: Data ends at %zu of %zu "
		    "without MoreData", ck->tag, ck->k, ck->item,
		    ck->off + dlen, mi->data_len);
		check_size(ck, x, it, ck->off == 0 ? mi->size : 0);
		ck->off = 0;
		ck->item++;
	}
	xmlXPathFreeObject(o);
	if (ck->item == c->nitems) {
		ck->item = 0;
		ck->k++;
	}
}

/*
 * Checks one finished message against the model, from where ck stands.
 * Returns the number of our (queued) commands in it.
 */
static size_t
check_msg(struct check *ck, const char *buf, size_t len, int final)
{
	struct xdoc x;
	xmlXPathObjectPtr o;
	xmlNodePtr node;
	const struct m_cmd *c;
	const char *name;
	char want[32];
	size_t ours = 0;
	int i, n;

	ck_assert_msg(memchr(buf, '\r', len) == NULL, "%s: raw CR", ck->tag);
	ck_assert_msg(strstr(buf, "]]>") == NULL, "%s: raw ]]>", ck->tag);
	xdoc_open(&x, buf, len, ck->tag);
	snprintf(want, sizeof(want), "%lu", ck->msgno);
	xeq(&x, NULL, "/s:SyncML/s:SyncHdr/s:MsgID", want, ck->tag);
	ck_assert_msg(xcount(&x, NULL, "/s:SyncML/s:SyncBody/s:Final") ==
	    final, "%s: Final should be %d", ck->tag, final);
	ck->last_more = 0;
	o = xnodes(&x, NULL, "/s:SyncML/s:SyncBody/*[not(self::s:Final)]");
	n = nset_len(o);
	for (i = 0; i < n; i++) {
		node = o->nodesetval->nodeTab[i];
		snprintf(want, sizeof(want), "%d", i + 1);
		xeq(&x, node, "s:CmdID", want, ck->tag);
		if (i == 0 && ck->preface) {
			xeq(&x, node, "s:Cmd", "SyncHdr", ck->tag);
			continue;
		}
		ck_assert_msg(ck->k < ck->m->n, "%s: more commands out than "
		    "the %zu queued", ck->tag, ck->m->n);
		c = &ck->m->cmds[ck->k];
		name = (const char *)node->name;
		ck_assert_msg(strcmp(name, kind_name(c->kind)) == 0,
		    "%s: command %zu is a %s, %s expected", ck->tag, ck->k,
		    name, kind_name(c->kind));
		if (c->kind == M_STATUS)
			check_status(ck, &x, node, c);
		else if (c->kind == M_ALERT)
			check_alert(ck, &x, node, c);
		else
			check_results(ck, &x, node, c, i == n - 1);
		ours++;
	}
	xmlXPathFreeObject(o);
	xdoc_close(&x);
	return ours;
}

static int
digits(unsigned long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * One message the way core/session.c makes it, checked. Returns what
 * outq_drain() returned (-1 fails the test).
 */
static int
message(struct check *ck, struct outq *q, size_t limit, int chunk)
{
	struct syncml_writer *w;
	const struct m_cmd *next;
	size_t before, wsize, len, ours;
	char *out;
	int rc, final;

	if (ck->seed != 0)
		snprintf(ck->tag, sizeof(ck->tag), "seed %lu msg %lu limit "
		    "%zu", ck->seed, ck->msgno, limit);
	else
		snprintf(ck->tag, sizeof(ck->tag), "msg %lu limit %zu",
		    ck->msgno, limit);
	w = writer_new(ck->msgno, 1, ck->cred);
	if (ck->preface)
		preface(w, ck->msgno, ck->nonce);
	before = outq_len(q);
	rc = outq_drain(q, w, limit, chunk);
	ck_assert_msg(rc != -1, "%s: outq_drain failed: %s", ck->tag,
	    syncml_writer_error(w));
	ck_assert_msg(outq_len(q) <= before, "%s: the queue grew", ck->tag);
	final = outq_len(q) == 0;
	wsize = syncml_writer_size(w);
	out = finish(w, final, &len);
	syncml_writer_free(w);
	if (ck->strict && limit > 0)
		ck_assert_msg(len <= limit, "%s: message of %zu bytes",
		    ck->tag, len);
	ours = check_msg(ck, out, len, final);
	free(out);
	if (rc == 0 && before > 0)
		ck_assert_msg(ours >= 1, "%s: no progress", ck->tag);
	/*
	 * A whole Status or Alert left over must not have fitted: the
	 * message as drained plus that command, with the CmdID it would
	 * have had, is over the limit.
	 */
	if (rc == 0 && limit > 0 && outq_len(q) > 0 && ck->off == 0 &&
	    ck->item == 0 && ck->k < ck->m->n) {
		next = &ck->m->cmds[ck->k];
		if (next->kind != M_RESULTS)
			ck_assert_msg(wsize + next->elem_len +
			    (size_t)digits((unsigned long)ours +
			    (ck->preface ? 2 : 1)) - 1 > limit,
			    "%s: a %s of %zu bytes was held back from a "
			    "message of %zu", ck->tag, kind_name(next->kind),
			    next->elem_len, wsize);
	}
	ck->msgs++;
	ck->msgno++;
	ck->last_ours = ours;
	ck->last_len = len;
	return rc;
}

/* Drains q in messages of limit bytes until it is empty; all checked. */
static void
drain_all(struct check *ck, struct outq *q, size_t limit)
{
	size_t guard = 0;

	while (outq_len(q) > 0) {
		ck_assert_int_eq(message(ck, q, limit, 1), 0);
		ck_assert_msg(++guard < 1000000, "%s: no end", ck->tag);
	}
}

/* Everything queued came out, once. */
static void
check_done(const struct check *ck)
{
	ck_assert_msg(ck->k == ck->m->n && ck->item == 0 && ck->off == 0,
	    "%s: %zu of %zu commands out (item %zu, offset %zu)", ck->tag,
	    ck->k, ck->m->n, ck->item, ck->off);
}

/* ---- building commands ---- */

static struct m_cmd
status_cmd(const char *msg_ref, const char *cmd_ref, const char *cmd,
    int code)
{
	struct m_cmd c;

	memset(&c, 0, sizeof(c));
	c.kind = M_STATUS;
	c.msg_ref = msg_ref;
	c.cmd_ref = cmd_ref;
	c.cmd = cmd;
	c.code = code;
	return c;
}

/* A Results of one Item: uri and len bytes of data (model memory). */
static struct m_cmd
results_cmd(struct model *m, const char *cmd_ref, const char *uri,
    const char *data, size_t len, const char *format)
{
	struct m_cmd c;

	memset(&c, 0, sizeof(c));
	c.kind = M_RESULTS;
	c.msg_ref = "2";
	c.cmd_ref = cmd_ref;
	c.items = model_alloc(m, sizeof(struct m_item));
	c.nitems = 1;
	c.items[0].source = uri;
	c.items[0].format = format;
	c.items[0].data = data;
	c.items[0].data_len = len;
	return c;
}

/* len bytes of text repeating pattern, in model memory. */
static char *
repeat(struct model *m, const char *pattern, size_t len)
{
	char *p = model_alloc(m, len + 1);
	size_t i, pl = strlen(pattern);

	for (i = 0; i < len; i++)
		p[i] = pattern[i % pl];
	return p;
}

/*
 * UTF-8 text of about len bytes (never cut inside a character) mixing
 * 1-, 2-, 3- and 4-byte characters; its length in *outlen.
 */
static char *
utf8_text(struct model *m, size_t len, size_t phase, size_t *outlen)
{
	static const char *const pieces[] = { "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "a", "\xd0\x96", "<", "\xe6\x97\xa5",
	    "&" };
	char *p = model_alloc(m, len + 8);
	size_t n = 0, i = phase, pl;

	while (n < len) {
		pl = strlen(pieces[i % 8]);
		memcpy(p + n, pieces[i % 8], pl);
		n += pl;
		i++;
	}
	*outlen = n;
	return p;
}

/* ---- the writer ---- */

/* Strings the writer must refuse wherever they go, and some it takes. */
static const char *const bad_text[] = {
	"\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x80", "\xc0\x80",
	"\xc1\xbf", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xef\xbf\xbe",
	"\xef\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
	"\xf0\x8f\xbf\xbf", "\xe0\x9f\xbf", "\xff", "\xfe"
};
static const char *const good_text[] = {
	"\x7f", "\xc2\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\t\n",
	"\xed\x9f\xbf", "\xee\x80\x80"
};

START_TEST(test_writer_escaping)
{
	static const char *const refs[] = { "./a&b<c>d", "./x]]>y" };
	static const char data0[] = "a<b&c]]>d\r\ne\tf\x7f'\"";
	static const char data1[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 "
	    "]]]]>>&&<<\r\r";
	struct syncml_item_out it[2];
	struct syncml_status_out st;
	struct syncml_writer *w;
	struct xdoc x;
	size_t len;
	char *out, *d;

	memset(it, 0, sizeof(it));
	it[0].target_uri = "./T&<>";
	it[0].source_uri = "./S]]>";
	it[0].format = "chr";
	it[0].type = "text/plain;q=\"1\"&x";
	it[0].mark = "<crit>";
	it[0].data = data0;
	it[0].data_len = SYNCML_NTS;
	it[1].data = data1;
	it[1].data_len = sizeof(data1) - 1;
	memset(&st, 0, sizeof(st));
	st.msg_ref = "<1&>";
	st.cmd_ref = "]]>";
	st.cmd = "Get&Replace";
	st.target_refs = refs;
	st.ntarget_refs = 2;
	st.code = 200;
	st.items = it;
	st.nitems = 2;
	w = writer_new(1, 1, NULL);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 1);
	out = finish(w, 1, &len);
	syncml_writer_free(w);

	/* the bytes: entities for <, &, >, CR; TAB, LF, DEL as they are */
	ck_assert_ptr_nonnull(strstr(out, "<MsgRef>&lt;1&amp;&gt;</MsgRef>"));
	ck_assert_ptr_nonnull(strstr(out, "<CmdRef>]]&gt;</CmdRef>"));
	ck_assert_ptr_nonnull(strstr(out,
	    "<TargetRef>./a&amp;b&lt;c&gt;d</TargetRef>"));
	ck_assert_ptr_nonnull(strstr(out,
	    "<Data>a&lt;b&amp;c]]&gt;d&#13;\ne\tf\x7f'\"</Data>"));
	ck_assert_ptr_nonnull(strstr(out, "<Data>\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80 ]]]]&gt;&gt;&amp;&amp;&lt;&lt;&#13;&#13;"
	    "</Data>"));
	ck_assert_ptr_null(memchr(out, '\r', len));
	ck_assert_ptr_null(strstr(out, "]]>"));
	ck_assert_ptr_null(strstr(out, "CDATA"));

	/* and libxml2 reads every value back unchanged */
	xdoc_open(&x, out, len, "escaping");
	xeq(&x, NULL, "//s:Status/s:MsgRef", "<1&>", "escaping");
	xeq(&x, NULL, "//s:Status/s:CmdRef", "]]>", "escaping");
	xeq(&x, NULL, "//s:Status/s:Cmd", "Get&Replace", "escaping");
	xeq(&x, NULL, "//s:Status/s:TargetRef[1]", refs[0], "escaping");
	xeq(&x, NULL, "//s:Status/s:TargetRef[2]", refs[1], "escaping");
	xeq(&x, NULL, "//s:Item[1]/s:Target/s:LocURI", "./T&<>", "escaping");
	xeq(&x, NULL, "//s:Item[1]/s:Source/s:LocURI", "./S]]>", "escaping");
	xeq(&x, NULL, "//s:Item[1]/s:Meta/m:Type", it[0].type, "escaping");
	xeq(&x, NULL, "//s:Item[1]/s:Meta/m:Mark", "<crit>", "escaping");
	xeq(&x, NULL, "//s:Target/s:LocURI[contains(., 'dm.example')]",
	    "https://dm.example.com/omadm?a=1&b=<2>", "escaping");
	d = xstr(&x, NULL, "//s:Item[1]/s:Data", "escaping");
	ck_assert_str_eq(d, data0);
	xmlFree(d);
	d = xstr(&x, NULL, "//s:Item[2]/s:Data", "escaping");
	ck_assert_str_eq(d, data1);
	xmlFree(d);
	xdoc_close(&x);
	free(out);
}
END_TEST

/* Each bad string in each place: refused, nothing of it left behind. */
START_TEST(test_writer_refusals)
{
	static const char *const nul_refs[] = { "./ok", NULL };
	struct syncml_item_out it;
	struct syncml_status_out st;
	struct syncml_results_out r;
	struct syncml_alert_out a;
	struct syncml_hdr_out h;
	struct syncml_writer *w;
	struct xdoc x;
	const char *refs[1];
	char s[64], err[SYNCML_ERRLEN];
	size_t i, place, size, len;
	unsigned long id;
	char *out;

	w = writer_new(1, 3, NULL);
	for (i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
		snprintf(s, sizeof(s), "ok<%s&ok", bad_text[i]);
		ck_assert_int_eq(syncml_text_valid(s, strlen(s)), 0);
		for (place = 0; place < 8; place++) {
			memset(&it, 0, sizeof(it));
			memset(&st, 0, sizeof(st));
			memset(&r, 0, sizeof(r));
			memset(&a, 0, sizeof(a));
			it.data = "fine";
			it.data_len = SYNCML_NTS;
			st.msg_ref = r.msg_ref = "1";
			st.cmd_ref = r.cmd_ref = "4";
			st.cmd = "Get";
			st.items = r.items = a.items = &it;
			st.nitems = r.nitems = a.nitems = 1;
			refs[0] = s;
			switch (place) {
			case 0:
				it.data = s;
				break;
			case 1:
				it.target_uri = s;
				break;
			case 2:
				st.msg_ref = s;
				break;
			case 3:
				st.cmd_ref = s;
				break;
			case 4:
				st.target_refs = refs;
				st.ntarget_refs = 1;
				break;
			case 5:
				r.format = s;
				break;
			case 6:
				a.correlator = s;
				break;
			default:
				it.mark = s;
				break;
			}
			size = syncml_writer_size(w);
			if (place == 5)
				id = syncml_emit_results(w, &r);
			else if (place == 6 || place == 7)
				id = syncml_emit_alert(w, &a);
			else
				id = syncml_emit_status(w, &st);
			ck_assert_msg(id == 0, "bad text %zu in place %zu "
			    "taken", i, place);
			ck_assert_str_ne(syncml_writer_error(w), "");
			ck_assert_uint_eq(syncml_writer_size(w), size);
			ck_assert_uint_eq(syncml_writer_next_cmdid(w), 3);
		}
	}
	/* a NUL inside data, given by its length */
	memset(&it, 0, sizeof(it));
	it.data = "a\0b";
	it.data_len = 3;
	memset(&a, 0, sizeof(a));
	a.items = &it;
	a.nitems = 1;
	ck_assert_uint_eq(syncml_emit_alert(w, &a), 0);
	/* a NULL among the TargetRefs is a missing value */
	memset(&st, 0, sizeof(st));
	st.msg_ref = "1";
	st.cmd = "Get";
	st.target_refs = nul_refs;
	st.ntarget_refs = 2;
	ck_assert_uint_eq(syncml_emit_status(w, &st), 0);
	/* what XML can carry goes, after all those refusals */
	for (i = 0; i < sizeof(good_text) / sizeof(good_text[0]); i++) {
		snprintf(s, sizeof(s), "ok<%s&ok", good_text[i]);
		ck_assert_int_eq(syncml_text_valid(s, strlen(s)), 1);
		memset(&it, 0, sizeof(it));
		it.data = s;
		it.data_len = SYNCML_NTS;
		memset(&a, 0, sizeof(a));
		a.code = 1226;
		a.items = &it;
		a.nitems = 1;
		ck_assert_uint_eq(syncml_emit_alert(w, &a), 3 + i);
	}
	out = finish(w, 1, &len);
	syncml_writer_free(w);
	xdoc_open(&x, out, len, "refusals");
	ck_assert_int_eq(xcount(&x, NULL, "/s:SyncML/s:SyncBody/*"),
	    (int)(sizeof(good_text) / sizeof(good_text[0])) + 1);
	ck_assert_int_eq(xcount(&x, NULL, "//s:Status | //s:Results"), 0);
	for (i = 0; i < sizeof(good_text) / sizeof(good_text[0]); i++) {
		char expr[64], *d;

		snprintf(s, sizeof(s), "ok<%s&ok", good_text[i]);
		snprintf(expr, sizeof(expr), "//s:Alert[%zu]/s:Item/s:Data",
		    i + 1);
		d = xstr(&x, NULL, expr, "refusals");
		ck_assert_msg(d != NULL && strcmp(d, s) == 0,
		    "good text %zu changed", i);
		xmlFree(d);
	}
	xdoc_close(&x);
	free(out);

	/* a header value XML cannot carry: no writer */
	memset(&h, 0, sizeof(h));
	h.session_id = "1\x01";
	h.msg_id = 1;
	h.target_uri = "t";
	h.source_uri = "s";
	ck_assert_ptr_null(syncml_writer_new(&h, 1, err, sizeof(err)));
	ck_assert_str_ne(err, "");
}
END_TEST

/* syncml_writer_size() exact, save/restore, a second finish refused. */
START_TEST(test_writer_size_restore)
{
	struct syncml_status_out st;
	struct syncml_alert_out a;
	struct syncml_writer_mark mk;
	struct syncml_writer *w;
	struct xdoc x;
	size_t s1, len;
	char *out, *again;

	memset(&st, 0, sizeof(st));
	st.msg_ref = "1";
	st.cmd_ref = "5";
	st.cmd = "Replace";
	st.code = 200;
	memset(&a, 0, sizeof(a));
	a.code = 1222;
	w = writer_new(3, 1, NULL);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 1);
	s1 = syncml_writer_size(w);
	syncml_writer_save(w, &mk);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 2);
	ck_assert_uint_eq(syncml_emit_alert(w, &a), 3);
	ck_assert_uint_gt(syncml_writer_size(w), s1);
	syncml_writer_restore(w, &mk);
	ck_assert_uint_eq(syncml_writer_size(w), s1);
	ck_assert_uint_eq(syncml_writer_next_cmdid(w), 2);
	ck_assert_uint_eq(syncml_emit_alert(w, &a), 2);
	out = finish(w, 1, &len);	/* checks the size was exact */
	ck_assert_int_eq(syncml_writer_finish(w, 1, &again, &len), -1);
	ck_assert_ptr_null(again);
	ck_assert_uint_eq(syncml_emit_alert(w, &a), 0);
	syncml_writer_free(w);
	xdoc_open(&x, out, strlen(out), "restore");
	ck_assert_int_eq(xcount(&x, NULL, "/s:SyncML/s:SyncBody/*"), 3);
	xeq(&x, NULL, "/s:SyncML/s:SyncBody/*[1]/s:CmdID", "1", "restore");
	xeq(&x, NULL, "/s:SyncML/s:SyncBody/s:Alert/s:CmdID", "2",
	    "restore");
	xeq(&x, NULL, "/s:SyncML/s:SyncBody/s:Alert/s:Data", "1222",
	    "restore");
	xeq(&x, NULL, "/s:SyncML/s:SyncBody/*[3]/self::s:Final", "",
	    "restore");
	xdoc_close(&x);
	free(out);
}
END_TEST

/* The hand-formatted numbers at their limits, read back with XPath. */
START_TEST(test_writer_numbers)
{
	static const int codes[] = { 0, -1, INT_MIN, INT_MAX, 1226, 9, 10 };
	static const long sizes[] = { LONG_MAX, 1, 10, 0, -5, LONG_MIN };
	static const unsigned long firsts[] = { 1, 9, 99, 999, 1000000,
	    ULONG_MAX - 1 };
	struct syncml_item_out it[6];
	struct syncml_status_out st;
	struct syncml_alert_out a;
	struct syncml_hdr_out h;
	struct syncml_writer *w;
	struct xdoc x;
	char want[64], expr[96], *out, err[SYNCML_ERRLEN];
	size_t i, j, len;

	memset(&h, 0, sizeof(h));
	h.session_id = "9";
	h.msg_id = ULONG_MAX;
	h.target_uri = "t";
	h.source_uri = "s";
	h.max_msg_size = LONG_MAX;
	h.max_obj_size = 1;
	w = syncml_writer_new(&h, 9, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	memset(&a, 0, sizeof(a));
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		a.code = codes[i];
		ck_assert_uint_eq(syncml_emit_alert(w, &a), 9 + i);
	}
	memset(it, 0, sizeof(it));
	for (i = 0; i < 6; i++) {
		it[i].size = sizes[i];
		it[i].data = "x";
		it[i].data_len = 1;
	}
	memset(&st, 0, sizeof(st));
	st.msg_ref = "1";
	st.cmd = "Get";
	st.code = -404;
	st.items = it;
	st.nitems = 6;
	ck_assert_uint_eq(syncml_emit_status(w, &st), 16);
	out = finish(w, 1, &len);
	syncml_writer_free(w);
	xdoc_open(&x, out, len, "numbers");
	snprintf(want, sizeof(want), "%lu", ULONG_MAX);
	xeq(&x, NULL, "/s:SyncML/s:SyncHdr/s:MsgID", want, "numbers");
	snprintf(want, sizeof(want), "%ld", LONG_MAX);
	xeq(&x, NULL, "//s:SyncHdr/s:Meta/m:MaxMsgSize", want, "numbers");
	xeq(&x, NULL, "//s:SyncHdr/s:Meta/m:MaxObjSize", "1", "numbers");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(expr, sizeof(expr), "//s:Alert[%zu]/s:CmdID", i + 1);
		snprintf(want, sizeof(want), "%zu", 9 + i);
		xeq(&x, NULL, expr, want, "numbers");
		snprintf(expr, sizeof(expr), "//s:Alert[%zu]/s:Data", i + 1);
		snprintf(want, sizeof(want), "%d", codes[i]);
		xeq(&x, NULL, expr, want, "numbers");
	}
	xeq(&x, NULL, "//s:Status/s:CmdID", "16", "numbers");
	xeq(&x, NULL, "//s:Status/s:CmdRef", "", "numbers");
	xeq(&x, NULL, "//s:Status/s:Data", "-404", "numbers");
	for (i = 0; i < 6; i++) {
		snprintf(expr, sizeof(expr), "//s:Status/s:Item[%zu]/s:Meta/"
		    "m:Size", i + 1);
		snprintf(want, sizeof(want), "%ld", sizes[i]);
		xeq(&x, NULL, expr, sizes[i] > 0 ? want : NULL, "numbers");
	}
	xdoc_close(&x);
	free(out);

	/* CmdIDs across digit boundaries, up to ULONG_MAX */
	for (i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		w = writer_new(1, firsts[i], NULL);
		for (j = 0; j < 2; j++)
			ck_assert_uint_eq(syncml_emit_alert(w, &a),
			    firsts[i] + j);
		out = finish(w, 0, &len);
		syncml_writer_free(w);
		xdoc_open(&x, out, len, "cmdid");
		for (j = 0; j < 2; j++) {
			snprintf(expr, sizeof(expr), "//s:Alert[%zu]/s:CmdID",
			    j + 1);
			snprintf(want, sizeof(want), "%lu", firsts[i] + j);
			xeq(&x, NULL, expr, want, "cmdid");
		}
		xdoc_close(&x);
		free(out);
	}
}
END_TEST

/* ---- the queue ---- */

/* Many commands of every kind, refs that say where they belong. */
static void
queue_mixed(struct model *m, struct outq *q, size_t n, size_t salt)
{
	struct m_cmd c;
	char buf[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%zu", i + salt);
		switch (i % 5) {
		case 0:
		case 1:
			c = status_cmd(model_str(m, buf), model_str(m, buf),
			    i % 2 ? "Replace" : "Get", 200 + (int)(i % 300));
			if (i % 3 == 0) {
				c.refs[0] = model_str(m, "./Vendor/A&B");
				c.refs[1] = model_str(m, buf);
				c.nrefs = 2;
			}
			break;
		case 2:
			c = results_cmd(m, model_str(m, buf),
			    model_str(m, "./DevInfo/Ext<1>"),
			    repeat(m, "v<&>]]>\r\t", i % 700), i % 700,
			    i % 4 ? "chr" : NULL);
			c.type = i % 3 ? "text/plain" : NULL;
			break;
		case 3:
			memset(&c, 0, sizeof(c));
			c.kind = M_ALERT;
			c.code = 1226;
			snprintf(buf, sizeof(buf), "corr-%zu<&>", i + salt);
			c.correlator = model_str(m, buf);
			c.items = model_alloc(m, sizeof(struct m_item));
			c.nitems = 1;
			c.items[0].source = "./Vendor/X";
			c.items[0].type = "com.example/event";
			c.items[0].format = "int";
			c.items[0].mark = "critical";
			c.items[0].data = model_str(m, buf);
			c.items[0].data_len = strlen(buf);
			c.items[0].nts = 1;
			break;
		default:
			/* a UUID-like CmdRef, no MsgRef digits */
			snprintf(buf, sizeof(buf),
			    "5e0c%04zx-7a1b-4c2d-9e3f-%012zx", i % 65536,
			    i + salt);
			c = status_cmd("1", model_str(m, buf), "Exec", 202);
			c.cmd_ref = NULL;
			if (i % 2)
				c.cmd_ref = model_str(m, buf);
			break;
		}
		enqueue(m, q, &c);
	}
}

START_TEST(test_order_no_limit)
{
	struct model m;
	struct check ck;
	struct outq *q;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(outq_len(q), 0);
	/* an empty queue: drained to nothing */
	check_init(&ck, &m, 0);
	ck_assert_int_eq(message(&ck, q, 0, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 0);
	ck_assert_int_eq(message(&ck, q, 3000, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 0);

	queue_mixed(&m, q, 600, 0);
	ck_assert_uint_eq(outq_len(q), 600);
	/* no limit: everything in one message, whatever its size */
	ck_assert_int_eq(message(&ck, q, 0, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 600);
	ck_assert_uint_eq(outq_len(q), 0);
	ck_assert_uint_gt(ck.last_len, 100000);
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

START_TEST(test_order_many_messages)
{
	static const size_t limits[] = { 1200, 2000, 3001, 8192, 65536 };
	struct model m;
	struct check ck;
	struct outq *q;
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		memset(&m, 0, sizeof(m));
		q = outq_new();
		check_init(&ck, &m, 0);
		queue_mixed(&m, q, 1000, i * 1000);
		drain_all(&ck, q, limits[i]);
		check_done(&ck);
		ck_assert_msg(ck.msgs > 1, "limit %zu: one message",
		    limits[i]);
		outq_free(q);
		model_free(&m);
	}
}
END_TEST

/* What was queued is a copy: the caller's buffers may change or go. */
START_TEST(test_deep_copy)
{
	struct syncml_item_out it[2];
	struct syncml_status_out st;
	struct syncml_results_out r;
	struct syncml_alert_out a;
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	char *s[12], *refs[2];
	size_t i;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	for (i = 0; i < 12; i++) {
		s[i] = malloc(32);
		ck_assert_ptr_nonnull(s[i]);
		snprintf(s[i], 32, "value-%zu<&>", i);
	}
	/* the model keeps its own copies of the same values */
	c = status_cmd(model_str(&m, s[0]), model_str(&m, s[1]),
	    model_str(&m, s[2]), 404);
	c.refs[0] = model_str(&m, s[3]);
	c.refs[1] = model_str(&m, s[4]);
	c.nrefs = 2;
	c.items = model_alloc(&m, sizeof(struct m_item));
	c.nitems = 1;
	c.items[0].target = model_str(&m, s[5]);
	c.items[0].data = model_str(&m, s[6]);
	c.items[0].data_len = 5;	/* a prefix of it */
	model_add(&m, &c);
	c = results_cmd(&m, model_str(&m, s[7]), model_str(&m, s[8]),
	    model_str(&m, s[9]), strlen(s[9]), "chr");
	c.msg_ref = model_str(&m, s[10]);
	model_add(&m, &c);
	memset(&c, 0, sizeof(c));
	c.kind = M_ALERT;
	c.code = 1224;
	c.correlator = model_str(&m, s[11]);
	model_add(&m, &c);

	memset(it, 0, sizeof(it));
	memset(&st, 0, sizeof(st));
	refs[0] = s[3];
	refs[1] = s[4];
	st.msg_ref = s[0];
	st.cmd_ref = s[1];
	st.cmd = s[2];
	st.target_refs = (const char *const *)refs;
	st.ntarget_refs = 2;
	st.code = 404;
	it[0].target_uri = s[5];
	it[0].data = s[6];
	it[0].data_len = 5;
	st.items = &it[0];
	st.nitems = 1;
	ck_assert_int_eq(outq_status(q, &st), 0);
	memset(&r, 0, sizeof(r));
	r.msg_ref = s[10];
	r.cmd_ref = s[7];
	r.format = NULL;
	it[1].source_uri = s[8];
	it[1].format = "chr";
	it[1].data = s[9];
	it[1].data_len = SYNCML_NTS;
	r.items = &it[1];
	r.nitems = 1;
	ck_assert_int_eq(outq_results(q, &r), 0);
	memset(&a, 0, sizeof(a));
	a.code = 1224;
	a.correlator = s[11];
	ck_assert_int_eq(outq_alert(q, &a), 0);
	ck_assert_uint_eq(outq_len(q), 3);
	for (i = 0; i < 12; i++) {
		memset(s[i], 'Z', 31);
		free(s[i]);
	}
	memset(it, 0xa5, sizeof(it));
	check_init(&ck, &m, 0);
	drain_all(&ck, q, 0);
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

/* A Status or Alert alone over the limit still goes, alone. */
START_TEST(test_first_always_goes)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c, big;
	size_t i, limit;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	ck.strict = 0;
	big = status_cmd("1", "7", "Get", 200);
	big.items = model_alloc(&m, sizeof(struct m_item));
	big.nitems = 1;
	big.items[0].data = repeat(&m, "big&", 5000);
	big.items[0].data_len = 5000;
	c = status_cmd("1", "8", "Get", 200);
	enqueue(&m, q, &c);
	enqueue(&m, q, &big);
	enqueue(&m, q, &c);
	memset(&big, 0, sizeof(big));
	big.kind = M_ALERT;
	big.code = 1226;
	big.correlator = repeat(&m, "<corr>", 6000);
	enqueue(&m, q, &big);
	enqueue(&m, q, &c);
	limit = 2000;
	/* the small Status fits; the big one waits for a message of its own */
	ck_assert_int_eq(message(&ck, q, limit, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 1);
	ck_assert_uint_le(ck.last_len, limit);
	ck_assert_int_eq(message(&ck, q, limit, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 1);
	ck_assert_uint_gt(ck.last_len, limit);
	ck_assert_int_eq(message(&ck, q, limit, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 1);
	ck_assert_uint_le(ck.last_len, limit);
	ck_assert_int_eq(message(&ck, q, limit, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 1);
	ck_assert_uint_gt(ck.last_len, limit);
	ck_assert_int_eq(message(&ck, q, limit, 1), 0);
	ck_assert_uint_eq(ck.last_ours, 1);
	check_done(&ck);

	/* a limit below the header alone: one command per message */
	for (i = 0; i < 20; i++) {
		c = status_cmd("3", model_str(&m, i % 2 ? "a" : "bb"), "Add",
		    200);
		enqueue(&m, q, &c);
	}
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(message(&ck, q, 10, 1), 0);
		ck_assert_uint_eq(ck.last_ours, 1);
	}
	ck_assert_uint_eq(outq_len(q), 0);
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

/*
 * Drains q (a large Results first) at limit: every check of message(),
 * plus at least min_chunks chunks and chunk messages filled to within
 * slack bytes of the limit (slack (size_t)-1: no such check).
 */
static void
chunked(struct check *ck, struct outq *q, size_t limit, size_t min_chunks,
    size_t slack)
{
	size_t chunks = ck->chunks;
	size_t guard = 0;

	while (outq_len(q) > 0) {
		ck_assert_int_eq(message(ck, q, limit, 1), 0);
		ck_assert_uint_le(ck->last_len, limit);
		if (ck->last_more && slack != (size_t)-1)
			ck_assert_msg(ck->last_len + FINAL_LEN + slack >=
			    limit, "%s: a chunk message of %zu bytes only",
			    ck->tag, ck->last_len);
		ck_assert_uint_lt(++guard, 100000);
	}
	ck_assert_msg(ck->chunks - chunks >= min_chunks, "limit %zu: %zu "
	    "chunks", limit, ck->chunks - chunks);
	check_done(ck);
}

START_TEST(test_chunk_ascii)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	size_t limit;

	for (limit = 1000; limit < 1100; limit += 7) {
		memset(&m, 0, sizeof(m));
		q = outq_new();
		check_init(&ck, &m, 0);
		/* plain ASCII: one byte of Data per byte of message */
		c = results_cmd(&m, "12", "./Vendor/MSFT/Big",
		    repeat(&m, "0123456789abcdefghij", 20000), 20000, "chr");
		c.type = "text/plain";
		c.format = "node";
		enqueue(&m, q, &c);
		c = status_cmd("2", "13", "Get", 200);
		enqueue(&m, q, &c);
		chunked(&ck, q, limit, 20000 / limit, 0);
		outq_free(q);
		model_free(&m);
	}
	/* a few escapes: < and & cost four and five bytes */
	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	c = results_cmd(&m, "12", "./Vendor/MSFT/Big",
	    repeat(&m, "abcdefghij<klmnopqrs&tuvwxyz\r\n\t]]>", 30011),
	    30011, "xml");
	enqueue(&m, q, &c);
	/* one trial write shrinks by what escaping added: not full */
	chunked(&ck, q, 4096, 30011 / 4096, 16);
	outq_free(q);
	model_free(&m);
}
END_TEST

START_TEST(test_chunk_utf8)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	size_t limit, len, phase;
	char *d;

	for (limit = 1500; limit < 1540; limit++) {
		for (phase = 0; phase < 8; phase += 3) {
			memset(&m, 0, sizeof(m));
			q = outq_new();
			check_init(&ck, &m, 0);
			d = utf8_text(&m, 9000, phase, &len);
			c = results_cmd(&m, "5", "./Vendor/Utf8", d, len,
			    NULL);
			enqueue(&m, q, &c);
			/* a cut moves back at most 3 bytes to a boundary */
			chunked(&ck, q, limit, 5, 16);
			outq_free(q);
			model_free(&m);
		}
	}
}
END_TEST

START_TEST(test_chunk_b64)
{
	unsigned char raw[30000], *back;
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	size_t i, blen;
	char *enc;
	uint32_t x = 12345;

	for (i = 0; i < sizeof(raw); i++) {
		x = x * 1103515245u + 12345u;
		raw[i] = (unsigned char)(x >> 16);
	}
	enc = b64_encode(raw, sizeof(raw));
	ck_assert_ptr_nonnull(enc);
	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	c = results_cmd(&m, "31", "./Vendor/Blob", model_str(&m, enc),
	    strlen(enc), "b64");
	c.items[0].type = "application/octet-stream";
	free(enc);
	enqueue(&m, q, &c);
	/* Format b64 and Type go with every chunk (check_item_fields) */
	chunked(&ck, q, 3000, 15, 0);
	/* what a server puts back together decodes to the bytes */
	back = b64_decode(m.cmds[0].items[0].data,
	    m.cmds[0].items[0].data_len, &blen);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(blen, sizeof(raw));
	ck_assert_int_eq(memcmp(back, raw, blen), 0);
	free(back);
	outq_free(q);
	model_free(&m);
}
END_TEST

/* Large objects off: what cannot fit any message stays, drain says 1. */
START_TEST(test_chunk_off)
{
	struct syncml_writer *w;
	struct model m;
	struct check ck;
	struct outq *q, *q2;
	struct m_cmd s1, s2, r;
	size_t limit = 3000;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	s1 = status_cmd("2", "1", "Get", 200);
	s2 = status_cmd("2", "3", "Get", 200);
	/* (a) raw data alone over the limit */
	r = results_cmd(&m, "2", "./Big", repeat(&m, "abc", 5000), 5000,
	    NULL);
	enqueue(&m, q, &s1);
	enqueue(&m, q, &r);
	enqueue(&m, q, &s2);
	ck_assert_int_eq(message(&ck, q, limit, 0), 1);
	ck_assert_uint_eq(ck.last_ours, 1);	/* s1 went before it */
	ck_assert_uint_eq(outq_len(q), 2);
	ck_assert_int_eq(message(&ck, q, limit, 0), 1);
	ck_assert_uint_eq(ck.last_ours, 0);
	ck_assert_uint_eq(outq_len(q), 2);
	/* turned on, it goes in chunks, then s2 */
	chunked(&ck, q, limit, 2, 0);

	/* (b) raw data fits, escaped it does not: freed still queued */
	q2 = outq_new();
	r = results_cmd(&m, "4", "./Amp", repeat(&m, "&", 1000), 1000, NULL);
	ck_assert_int_eq((int)m_put(&r, q2, NULL), 0);
	w = writer_new(1, 1, NULL);
	ck_assert_int_eq(outq_drain(q2, w, limit, 0), 1);
	ck_assert_uint_eq(outq_len(q2), 1);
	syncml_writer_free(w);
	outq_free(q2);

	/* (c) fits a message of its own, not this one: spills over, 0 */
	s1.items = model_alloc(&m, sizeof(struct m_item));
	s1.nitems = 1;
	s1.items[0].data = repeat(&m, "s", 1500);
	s1.items[0].data_len = 1500;
	r = results_cmd(&m, "6", "./Mid", repeat(&m, "m", 1500), 1500, NULL);
	enqueue(&m, q, &s1);
	enqueue(&m, q, &r);
	ck_assert_int_eq(message(&ck, q, limit, 0), 0);
	ck_assert_uint_eq(ck.last_ours, 1);
	ck_assert_uint_eq(outq_len(q), 1);
	ck_assert_int_eq(message(&ck, q, limit, 0), 0);
	ck_assert_uint_eq(ck.last_ours, 1);
	ck_assert_uint_eq(outq_len(q), 0);
	ck_assert_uint_eq(ck.last_more, 0);
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

/* A Results of many Items (more than emit()'s 64 on the stack). */
START_TEST(test_many_items)
{
	static const size_t limits[] = { 0, 2500, 9000, 100000 };
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	char buf[32];
	size_t i, j;

	for (j = 0; j < sizeof(limits) / sizeof(limits[0]); j++) {
		memset(&m, 0, sizeof(m));
		q = outq_new();
		check_init(&ck, &m, 0);
		memset(&c, 0, sizeof(c));
		c.kind = M_RESULTS;
		c.msg_ref = "3";
		c.cmd_ref = "9";
		c.nitems = 150;
		c.items = model_alloc(&m, c.nitems * sizeof(struct m_item));
		for (i = 0; i < c.nitems; i++) {
			snprintf(buf, sizeof(buf), "./Node/%zu", i);
			c.items[i].source = model_str(&m, buf);
			c.items[i].data = repeat(&m, buf, 100 + i);
			c.items[i].data_len = 100 + i;
			c.items[i].size = i % 7 == 0 ? 100 + (long)i : 0;
			c.items[i].format = i % 2 ? "chr" : NULL;
		}
		/* one without Data, and a large one in the middle */
		c.items[40].data = NULL;
		c.items[77].data = repeat(&m, "L", 5000);
		c.items[77].data_len = 5000;
		enqueue(&m, q, &c);
		c = status_cmd("3", "10", "Get", 200);
		enqueue(&m, q, &c);
		drain_all(&ck, q, limits[j]);
		check_done(&ck);
		if (limits[j] == 0 || limits[j] == 100000)
			ck_assert_uint_eq(ck.msgs, 1);
		else
			ck_assert_uint_gt(ck.msgs, 2);
		outq_free(q);
		model_free(&m);
	}
}
END_TEST

/*
 * Queues crossing the 32 KiB pages: a first command of a size that moves
 * the page end by a byte each round, small ones past the boundary, one
 * larger than a page, draining (freeing pages) while more are queued, and
 * a queue freed with commands in it. Meant for the ASan build.
 */
START_TEST(test_pages)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	char buf[32];
	size_t pad, i, round;

	for (pad = 0; pad < 200; pad++) {
		memset(&m, 0, sizeof(m));
		q = outq_new();
		check_init(&ck, &m, 0);
		c = status_cmd("1", "1", "Get", 200);
		c.items = model_alloc(&m, sizeof(struct m_item));
		c.nitems = 1;
		c.items[0].data = repeat(&m, "p", 100 + pad);
		c.items[0].data_len = 100 + pad;
		enqueue(&m, q, &c);
		for (round = 0; round < 3; round++) {
			for (i = 0; i < 120; i++) {
				snprintf(buf, sizeof(buf), "%zu.%zu", round,
				    i);
				c = status_cmd("1", model_str(&m, buf), "Add",
				    200);
				enqueue(&m, q, &c);
			}
			/* a page of its own */
			c = results_cmd(&m, "big", "./Big",
			    repeat(&m, "0123456789", 40000 + pad), 40000 + pad,
			    NULL);
			enqueue(&m, q, &c);
			/* drain some: older pages go, newer ones stay */
			for (i = 0; i < 3 + round; i++)
				ck_assert_int_eq(message(&ck, q, 2500, 1), 0);
		}
		drain_all(&ck, q, 2500 + 1000 * (pad % 5));
		check_done(&ck);
		/* the emptied queue is reused, then freed while full */
		for (i = 0; i < 400; i++) {
			c = status_cmd("9", "9", "Get", 500);
			enqueue(&m, q, &c);
		}
		c = results_cmd(&m, "big", "./Big", repeat(&m, "z", 70000),
		    70000, NULL);
		enqueue(&m, q, &c);
		ck_assert_int_eq(message(&ck, q, 3000, 1), 0);
		ck_assert_uint_gt(outq_len(q), 300);
		outq_free(q);
		model_free(&m);
	}
	outq_free(NULL);
}
END_TEST

/*
 * Results held in files (syncml_item_out.file, see outq.h): binary goes
 * as b64 in chunks of whole 4-character groups (each decodes alone),
 * UTF-8 text as text never cut inside a character, a small file like a
 * value in memory; Meta Size is the size of the Data as sent. outq keeps
 * its own descriptor: the caller's is closed right after queueing.
 */
START_TEST(test_file_items)
{
	unsigned char raw[40000];
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	const char *path;
	size_t i, tlen;
	char *enc, *text;
	int fd[3];
	uint32_t x = 99;

	for (i = 0; i < sizeof(raw); i++) {
		x = x * 1103515245u + 12345u;
		raw[i] = (unsigned char)(x >> 16);
	}
	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	ck.b64_groups = 1;
	/* binary, large */
	path = testutil_write("bin", raw, sizeof(raw));
	fd[0] = open(path, O_RDONLY);
	ck_assert_int_ge(fd[0], 0);
	enc = b64_encode(raw, sizeof(raw));
	ck_assert_ptr_nonnull(enc);
	c = results_cmd(&m, "20", "./Files/bin", model_str(&m, enc),
	    strlen(enc), "b64");
	free(enc);
	c.items[0].file = 1;
	c.items[0].fd = fd[0];
	c.items[0].file_size = (long long)sizeof(raw);
	enqueue(&m, q, &c);
	/* UTF-8 text, large */
	text = utf8_text(&m, 30000, 1, &tlen);
	path = testutil_write("txt", text, tlen);
	fd[1] = open(path, O_RDONLY);
	ck_assert_int_ge(fd[1], 0);
	c = results_cmd(&m, "21", "./Files/txt", text, tlen, NULL);
	c.items[0].file = 1;
	c.items[0].fd = fd[1];
	c.items[0].file_size = (long long)tlen;
	enqueue(&m, q, &c);
	/* binary, small (read when queued), Format bin asked for */
	path = testutil_write("small", raw, 100);
	fd[2] = open(path, O_RDONLY);
	ck_assert_int_ge(fd[2], 0);
	enc = b64_encode(raw, 100);
	ck_assert_ptr_nonnull(enc);
	c = results_cmd(&m, "22", "./Files/small", model_str(&m, enc),
	    strlen(enc), "b64");
	free(enc);
	c.items[0].file = 1;
	c.items[0].fd = fd[2];
	c.items[0].file_size = 100;
	c.items[0].format_in = "bin";
	enqueue(&m, q, &c);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(close(fd[i]), 0);
	drain_all(&ck, q, 3000);
	check_done(&ck);
	ck_assert_uint_ge(ck.chunks, 20);
	outq_free(q);
	model_free(&m);
}
END_TEST

/* ---- randomized ---- */

/* xorshift64*: a PRNG whose sequence depends on its seed only. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* lo..hi, both included. */
static size_t
rnd_in(uint64_t *s, size_t lo, size_t hi)
{
	return lo + (size_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

/*
 * Random text of about len bytes: 0 plain, 1 escapes only, 2 UTF-8,
 * 3 plain with an escape now and then.
 */
static char *
rnd_text(struct model *m, uint64_t *s, size_t len, int kind, size_t *out)
{
	static const char *const esc[] = { "<", "&", ">", "]]>", "\r", "\n",
	    "\t", "'", "\"", "a", "Z", " " };
	static const char *const utf[] = { "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "b", "\xd7\x90", "&", "\xef\xbf\xbd" };
	char *p = model_alloc(m, len + 8);
	const char *piece;
	size_t n = 0, pl;

	while (n < len) {
		if (kind == 0 || (kind == 3 && rnd_in(s, 0, 9) > 0)) {
			piece = (const char *)"abcdefghijklmnopqrstuvwxyz"
			    "0123456789+/=-._~" + rnd_in(s, 0, 42);
			memcpy(p + n, piece, 1);
			n++;
			continue;
		}
		if (kind == 1 || kind == 3)
			piece = esc[rnd_in(s, 0, 11)];
		else
			piece = utf[rnd_in(s, 0, 6)];
		pl = strlen(piece);
		memcpy(p + n, piece, pl);
		n += pl;
	}
	*out = n;
	return p;
}

static const char *
rnd_uri(struct model *m, uint64_t *s)
{
	size_t len;

	return rnd_text(m, s, rnd_in(s, 1, 40), (int)rnd_in(s, 0, 3), &len);
}

/* A random Item; big allows Data of up to 30000 bytes. */
static void
rnd_item(struct model *m, uint64_t *s, struct m_item *it, int big)
{
	static const char *const formats[] = { NULL, "chr", "int", "b64",
	    "node", "xml" };
	size_t len, r;
	int kind;

	memset(it, 0, sizeof(*it));
	it->target = rnd_in(s, 0, 2) ? rnd_uri(m, s) : NULL;
	it->source = rnd_in(s, 0, 2) ? NULL : rnd_uri(m, s);
	it->format = formats[rnd_in(s, 0, 5)];
	it->type = rnd_in(s, 0, 3) == 0 ? "text/plain" : NULL;
	it->mark = rnd_in(s, 0, 9) == 0 ? "critical" : NULL;
	/*
	 * A Meta Size of its own on Status and Alert Items only: a Results
	 * Item that fits a message only without its Size goes whole through
	 * the chunk path of outq.c, which drops it (the engine never sets
	 * one on Results).
	 */
	if (!big && rnd_in(s, 0, 9) == 0)
		it->size = (long)rnd_in(s, 1, 99999);
	if (rnd_in(s, 0, 15) == 0)
		return;		/* no Data */
	r = rnd_in(s, 0, 99);
	if (!big || r < 70)
		len = rnd_in(s, 0, big ? 300 : 60);
	else if (r < 90)
		len = rnd_in(s, 300, 4000);
	else
		len = rnd_in(s, 4000, 30000);
	kind = (int)rnd_in(s, 0, 3);
	it->data = rnd_text(m, s, len, kind, &it->data_len);
	if (kind != 2 && it->data_len > 0 && rnd_in(s, 0, 3) == 0)
		it->data_len -= rnd_in(s, 0, it->data_len);	/* prefix */
	else
		it->nts = (int)rnd_in(s, 0, 1);
}

/* A random command (Status, Alert: at most max_elem bytes alone). */
static void
rnd_cmd(struct model *m, uint64_t *s, struct m_cmd *c, size_t max_elem)
{
	static const char *const cmds[] = { "Get", "Replace", "Add", "Exec",
	    "Delete", "Atomic" };
	static const int codes[] = { 200, 404, 500, 213, 401, 202, 215,
	    1226, 1222, 1201, -1, 0 };
	size_t len, i, r = rnd_in(s, 0, 9);
	char buf[32];

	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "%zu", rnd_in(s, 1, 9999));
	c->msg_ref = model_str(m, buf);
	if (r < 3) {
		c->kind = M_RESULTS;
		c->cmd_ref = rnd_text(m, s, rnd_in(s, 1, 36),
		    (int)rnd_in(s, 0, 1), &len);
		c->format = rnd_in(s, 0, 3) == 0 ? "chr" : NULL;
		c->type = rnd_in(s, 0, 3) == 0 ? "text/plain" : NULL;
		c->nitems = rnd_in(s, 0, 19) == 0 ? rnd_in(s, 5, 80) :
		    rnd_in(s, 1, 3);
		c->items = model_alloc(m, c->nitems * sizeof(struct m_item));
		for (i = 0; i < c->nitems; i++)
			rnd_item(m, s, &c->items[i], 1);
		return;
	}
	do {
		c->kind = r < 8 ? M_STATUS : M_ALERT;
		c->code = codes[rnd_in(s, 0, 11)];
		if (rnd_in(s, 0, 4) == 0)
			c->code = (int)rnd_in(s, 0, 2000000000) - 1000000000;
		if (c->kind == M_STATUS) {
			c->cmd_ref = rnd_in(s, 0, 9) == 0 ? NULL :
			    rnd_text(m, s, rnd_in(s, 1, 36),
			    (int)rnd_in(s, 0, 1), &len);
			c->cmd = cmds[rnd_in(s, 0, 5)];
			c->nrefs = rnd_in(s, 0, 5) == 0 ? rnd_in(s, 1, 3) : 0;
			for (i = 0; i < c->nrefs; i++)
				c->refs[i] = rnd_uri(m, s);
		} else if (rnd_in(s, 0, 1))
			c->correlator = rnd_uri(m, s);
		c->nitems = rnd_in(s, 0, 4) == 0 ? rnd_in(s, 1, 3) : 0;
		c->items = c->nitems > 0 ? model_alloc(m, c->nitems *
		    sizeof(struct m_item)) : NULL;
		for (i = 0; i < c->nitems; i++)
			rnd_item(m, s, &c->items[i], 0);
	} while (elem_len(c) > max_elem);
}

#define RND_MIN_LIMIT	2500
#define RND_MAX_LIMIT	12000

/*
 * Rounds of random commands, each drained with one random limit (as a
 * session keeps its server's MaxMsgSize), more queued between messages,
 * until about total commands went through.
 */
static void
random_run(unsigned long seed, size_t total)
{
	struct syncml_writer *w;
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	uint64_t s = seed * 2654435761u + 1;
	size_t i, n, limit, base, guard;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	ck_assert_ptr_nonnull(q);
	check_init(&ck, &m, seed);
	/* every Status and Alert fits a message alone at the lowest limit */
	w = writer_new(99999, 1, NULL);
	preface(w, 99999, NULL);
	base = syncml_writer_size(w);
	syncml_writer_free(w);
	while (m.n < total) {
		limit = rnd_in(&s, 0, 9) == 0 ? 0 :
		    rnd_in(&s, RND_MIN_LIMIT, RND_MAX_LIMIT);
		n = rnd_in(&s, 1, 400);
		for (i = 0; i < n; i++) {
			rnd_cmd(&m, &s, &c, RND_MIN_LIMIT - base - 8);
			enqueue(&m, q, &c);
		}
		guard = 0;
		while (outq_len(q) > 0) {
			ck_assert_int_eq(message(&ck, q, limit, 1), 0);
			if (rnd_in(&s, 0, 3) == 0 && m.n < total) {
				n = rnd_in(&s, 1, 20);
				for (i = 0; i < n; i++) {
					rnd_cmd(&m, &s, &c,
					    RND_MIN_LIMIT - base - 8);
					enqueue(&m, q, &c);
				}
			}
			ck_assert_msg(++guard < 50000, "seed %lu: no end",
			    seed);
		}
		check_done(&ck);
	}
	outq_free(q);
	model_free(&m);
}

START_TEST(test_random)
{
	static const unsigned long seeds[] = { 1, 20240601, 777, 31337 };
	const char *env = getenv("LUADM_OUTQ_SEED");

	if (env != NULL && *env != '\0') {
		random_run(strtoul(env, NULL, 10), 3000);
		return;
	}
	random_run(seeds[_i], 3000);
}
END_TEST

/* ---- regressions: defects found while writing these tests ---- */

/*
 * Regression (outq.c emit() and drain_results()): a Results of two Items
 * whose first Item went out in part (a chunk) was later sent with
 * emit(first, nitems, (size_t)-1); emit() started only the *last* Item
 * of the range at its `sent` offset, so the started Item went again
 * whole: the server got chunk 1 + the whole value, without MoreData.
 * drain_results()'s "a started chunk goes alone" looked at items[to - 1]
 * only, not at items[c->first]. It takes a message with less room than
 * the next: here the first one carries a Chal in the SyncHdr Status and
 * a Cred in the header (package 2 after an MD5 challenge), the second
 * does not; a server MaxMsgSize that grows does the same.
 */
START_TEST(test_started_item_not_resent)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	c = results_cmd(&m, "4", "./Vendor/A", repeat(&m, "a", 1700), 1700,
	    NULL);
	c.items = model_alloc(&m, 2 * sizeof(struct m_item));
	c.nitems = 2;
	c.items[0].source = "./Vendor/A";
	c.items[0].data = repeat(&m, "a", 1700);
	c.items[0].data_len = 1700;
	c.items[1].source = "./Vendor/B";
	c.items[1].data = "b";
	c.items[1].data_len = 1;
	enqueue(&m, q, &c);
	ck.nonce = "bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2UtMTIzNDU2Nzg5MA==";
	ck.cred = "ZGV2aWNlOnNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0"
	    "NTY3ODkwYWJjZGVmZ2hpams=";
	ck_assert_int_eq(message(&ck, q, 2400, 1), 0);
	ck_assert_uint_eq(ck.last_more, 1);	/* a chunk of Item A */
	ck.nonce = NULL;
	ck.cred = NULL;
	drain_all(&ck, q, 2400);	/* not Item A again whole */
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

/* Regression (same cause): the started Item went whole at limit 0. */
START_TEST(test_started_item_no_limit)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	c = results_cmd(&m, "4", "./Vendor/A", NULL, 0, NULL);
	c.items = model_alloc(&m, 2 * sizeof(struct m_item));
	c.nitems = 2;
	c.items[0].data = repeat(&m, "a", 5000);
	c.items[0].data_len = 5000;
	c.items[1].data = "b";
	c.items[1].data_len = 1;
	enqueue(&m, q, &c);
	ck_assert_int_eq(message(&ck, q, 2000, 1), 0);
	ck_assert_uint_eq(ck.last_more, 1);
	drain_all(&ck, q, 0);
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

/*
 * Regression (outq.c drain_results(), "progress whatever the limit"):
 * when no chunk fitted a fresh message, one byte was sent, even in the
 * middle of a UTF-8 character; the writer refused the half character
 * and outq_drain() returned -1 (the session failed with "cannot build
 * the reply"). Input: limit 10 (below the header), Results Data "é...".
 * The same happened whenever the room left for Data in an empty message
 * was smaller than the next character.
 */
START_TEST(test_tiny_room_utf8)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	size_t guard = 0;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	ck.strict = 0;
	c = results_cmd(&m, "4", "./U", repeat(&m, "\xc3\xa9", 40), 40,
	    NULL);
	enqueue(&m, q, &c);
	/* with ASCII, one byte a message; with UTF-8 it must not fail */
	while (outq_len(q) > 0) {
		ck_assert_int_eq(message(&ck, q, 10, 1), 0);
		ck_assert_uint_lt(++guard, 100);
	}
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

/*
 * Regression (outq.c drain_results(), the chunk stage): a Results Item
 * too big for a message by its URIs alone, with empty Data "", was
 * "chunked" with best = 1 although it had 0 bytes left: it->sent became
 * 1 > data_len 0, the Item never completed, and the next outq_drain()
 * computed left = data_len - sent = SIZE_MAX and read past the Data
 * (outq_drain() returned -1 when the writer refused the garbage).
 * Input: limit 1000, one Item whose Source LocURI is 1500 bytes, Data
 * "" (variant 0) or none (variant 1).
 */
START_TEST(test_long_uri_empty_data)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	const char *uri;
	size_t guard, variant;

	for (variant = 0; variant < 2; variant++) {
		memset(&m, 0, sizeof(m));
		q = outq_new();
		check_init(&ck, &m, 0);
		ck.strict = 0;
		uri = repeat(&m, "./Vendor/Long", 1500);
		c = results_cmd(&m, "8", uri, variant == 0 ? "" : NULL, 0,
		    NULL);
		enqueue(&m, q, &c);
		c = status_cmd("2", "9", "Get", 200);
		enqueue(&m, q, &c);
		guard = 0;
		while (outq_len(q) > 0) {
			ck_assert_int_eq(message(&ck, q, 1000, 1), 0);
			ck_assert_msg(++guard < 5, "variant %zu: the Item "
			    "never completes", variant);
		}
		check_done(&ck);
		outq_free(q);
		model_free(&m);
	}
}
END_TEST

/* Bytes of n bytes of text once escaped by the writer. */
static size_t
escaped_len(const char *s, size_t n)
{
	size_t i, t = 0;

	for (i = 0; i < n; i++)
		t += s[i] == '<' || s[i] == '>' ? 4 : s[i] == '&' ||
		    s[i] == '\r' ? 5 : 1;
	return t;
}

/*
 * Regression (outq.c drain_results(), the loop "The largest chunk that
 * fits"): a trial chunk over the limit by `over` bytes was shrunk by
 * `over` bytes of *input*; when escaping at least doubles the text (XML
 * values: every < and > costs 4 bytes) over exceeded the chunk itself,
 * mid dropped to 0 and "progress whatever the limit" sent ONE byte, in
 * every message: an 8 KB XML value at MaxMsgSize 4000 took about 8000
 * messages instead of 8. Input: Results Data "<a><b/></a>\n" (2.5 bytes
 * a byte once escaped) repeated to 8000 bytes, limit 4000.
 */
START_TEST(test_escaped_chunks)
{
	struct model m;
	struct check ck;
	struct outq *q;
	struct m_cmd c;
	size_t len = 8000, limit = 4000, bound;
	char *d;

	memset(&m, 0, sizeof(m));
	q = outq_new();
	check_init(&ck, &m, 0);
	d = repeat(&m, "<a><b/></a>\n", len);
	c = results_cmd(&m, "4", "./Vendor/Xml", d, len, "xml");
	enqueue(&m, q, &c);
	/* twice what messages with 1000 bytes of overhead would need */
	bound = 2 * (escaped_len(d, len) / (limit - 1000) + 1);
	while (outq_len(q) > 0) {
		ck_assert_int_eq(message(&ck, q, limit, 1), 0);
		ck_assert_msg(ck.msgs <= bound, "%zu messages for %zu bytes "
		    "(%zu escaped) at limit %zu; the last one %zu bytes",
		    ck.msgs, len, escaped_len(d, len), limit, ck.last_len);
		if (ck.last_more)
			ck_assert_msg(ck.last_len + FINAL_LEN + 16 >= limit,
			    "%s: a chunk message of %zu bytes only", ck.tag,
			    ck.last_len);
	}
	check_done(&ck);
	outq_free(q);
	model_free(&m);
}
END_TEST

static Suite *
outq_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("outq");
	tc = tcase_create("writer");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_writer_escaping);
	tcase_add_test(tc, test_writer_refusals);
	tcase_add_test(tc, test_writer_size_restore);
	tcase_add_test(tc, test_writer_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_order_no_limit);
	tcase_add_test(tc, test_order_many_messages);
	tcase_add_test(tc, test_deep_copy);
	tcase_add_test(tc, test_first_always_goes);
	tcase_add_test(tc, test_chunk_ascii);
	tcase_add_test(tc, test_chunk_utf8);
	tcase_add_test(tc, test_chunk_b64);
	tcase_add_test(tc, test_chunk_off);
	tcase_add_test(tc, test_many_items);
	tcase_add_test(tc, test_pages);
	tcase_add_loop_test(tc, test_random, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_set_timeout(tc, 60);
	testutil_fixtures(tc, NULL);
	tcase_add_test(tc, test_file_items);
	suite_add_tcase(s, tc);

	tc = tcase_create("regressions");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_started_item_not_resent);
	tcase_add_test(tc, test_started_item_no_limit);
	tcase_add_test(tc, test_tiny_room_utf8);
	tcase_add_test(tc, test_long_uri_empty_data);
	tcase_add_test(tc, test_escaped_chunks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	log_init(0, LOG_LVL_WARN);	/* no progress lines of chunks */
	return testutil_run(outq_suite());
}
