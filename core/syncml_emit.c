/*
 * syncml_emit.c: the writer of the client's SyncML message.
 *
 * The message is appended to one growing buffer (amortized O(1) per byte,
 * no DOM), in DTD order, escaping text on the way. Each command is written
 * whole or not at all: on any failure the buffer goes back to where the
 * command began. CmdIDs are numbered by the writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncml.h"

#define METINF	" xmlns=\"syncml:metinf\">"
#define TAIL_FINAL	"<Final/>"
#define TAIL	"</SyncBody></SyncML>"

struct syncml_writer {
	char		*buf;		/* the message so far */
	size_t		 len;
	size_t		 cap;
	unsigned long	 next_cmdid;
	int		 failed;	/* the current command failed */
	int		 nomem;		/* memory ran out: unusable */
	int		 finished;	/* buffer handed over */
	char		 err[SYNCML_ERRLEN];
};

/* Length of the valid XML character at p (n bytes left), or 0. */
static size_t
xml_char_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];

	if (c < 0x80) {
		if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
			return 1;
		return 0;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		if (n >= 2 && (p[1] & 0xC0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;	/* overlong */
		if (c == 0xED && p[1] >= 0xA0)
			return 0;	/* surrogate */
		if (c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
			return 0;	/* U+FFFE, U+FFFF */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 ||
		    (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;	/* over U+10FFFF */
		return 4;
	}
	return 0;
}

int
syncml_text_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	if (s == NULL)
		return n == 0;
	while (i < n) {
		k = xml_char_len(p + i, n - i);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Marks the current command failed, keeping the first reason. */
static void
fail(struct syncml_writer *w, const char *why)
{
	if (!w->failed)
		snprintf(w->err, sizeof(w->err), "%s", why);
	w->failed = 1;
}

/*
 * Makes room for need more bytes (and a NUL): the slow path of the
 * appenders below, which test the room themselves. 0 or -1.
 */
static int
reserve(struct syncml_writer *w, size_t need)
{
	size_t cap;
	char *p;

	if (w->failed)
		return -1;
	if (need < w->cap - w->len)
		return 0;
	cap = w->cap != 0 ? w->cap : 4096;
	while (cap - w->len <= need) {
		if (cap > ((size_t)-1) / 2) {
			fail(w, "message too large");
			return -1;
		}
		cap *= 2;
	}
	p = realloc(w->buf, cap);
	if (p == NULL) {
		fail(w, "out of memory");
		w->nomem = 1;
		return -1;
	}
	w->buf = p;
	w->cap = cap;
	return 0;
}

/* 1 when need more bytes (and a NUL) can be appended; grows the buffer. */
static inline int
room(struct syncml_writer *w, size_t need)
{
	if (w->failed)
		return 0;
	return need < w->cap - w->len || reserve(w, need) == 0;
}

static inline void
put(struct syncml_writer *w, const char *s, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

#define PUTLIT(w, s)	put((w), (s), sizeof(s) - 1)

/*
 * Appends '<' (or "</" when close), the name and '>' in one go: the tags
 * of every element go through here.
 */
static inline void
put_tag(struct syncml_writer *w, const char *name, size_t nlen, int close)
{
	char *p;

	if (!room(w, nlen + 3))
		return;
	p = w->buf + w->len;
	*p++ = '<';
	if (close)
		*p++ = '/';
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = '>';
	w->len = (size_t)(p - w->buf);
}

/* 1 for the ASCII bytes text carries as they are. */
static inline int
text_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '&' && c != '<' && c != '>';
}

/* Appends n bytes of text, escaped; refuses what XML cannot carry. */
static void
put_text(struct syncml_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, k;
	const char *rep;

	/* the usual text needs no escaping: one copy */
	while (i < n && text_plain(p[i]))
		i++;
	if (i == n) {
		put(w, s, n);
		return;
	}
	while (i < n) {
		if (text_plain(p[i])) {
			i++;
			continue;
		}
		if (p[i] >= 0x80) {
			k = xml_char_len(p + i, n - i);
			if (k == 0)
				goto bad;
			i += k;
			continue;
		}
		switch (p[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\r':
			rep = "&#13;";	/* a raw CR would become LF */
			break;
		default:
			if (p[i] != '\t' && p[i] != '\n')
				goto bad;
			i++;
			continue;
		}
		put(w, s + start, i - start);
		put(w, rep, strlen(rep));
		start = ++i;
	}
	put(w, s + start, i - start);
	return;
bad:
	fail(w, "text is not valid UTF-8 XML text (send it as b64)");
}

/*
 * Formats v in decimal, ending just before end (room for 21 bytes before
 * it); returns where the digits start. snprintf costs more than the rest
 * of a Status together.
 */
static char *
fmt_ulong(char *end, unsigned long v)
{
	char *p = end;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return p;
}

static void
put_ulong(struct syncml_writer *w, unsigned long v)
{
	char tmp[24], *p;

	p = fmt_ulong(tmp + sizeof(tmp), v);
	put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

/*
 * <name>text</name> (nlen bytes of name, tlen of text); text NULL is an
 * error (a required element). elem measures the text; ELEM also takes
 * the length of a literal name at compile time.
 */
static void
elem_n(struct syncml_writer *w, const char *name, size_t nlen,
    const char *text, size_t tlen)
{
	if (text == NULL) {
		char why[64];

		snprintf(why, sizeof(why), "missing value for <%s>", name);
		fail(w, why);
		return;
	}
	put_tag(w, name, nlen, 0);
	put_text(w, text, tlen);
	put_tag(w, name, nlen, 1);
}

#define ELEM(w, name, text)	elem((w), (name), sizeof(name) - 1, (text))

static void
elem(struct syncml_writer *w, const char *name, size_t nlen,
    const char *text)
{
	elem_n(w, name, nlen, text, text != NULL ? strlen(text) : 0);
}

static void
elem_long(struct syncml_writer *w, const char *name, size_t nlen, long v)
{
	char tmp[24], *p;

	if (v < 0) {
		p = fmt_ulong(tmp + sizeof(tmp), -(unsigned long)v);
		*--p = '-';
	} else
		p = fmt_ulong(tmp + sizeof(tmp), (unsigned long)v);
	elem_n(w, name, nlen, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* <name xmlns="syncml:metinf">text</name> when text is not NULL. */
static void
meta_elem_n(struct syncml_writer *w, const char *name, size_t nlen,
    const char *text, size_t tlen)
{
	char *p;

	if (text == NULL)
		return;
	if (room(w, nlen + sizeof(METINF))) {
		p = w->buf + w->len;
		*p++ = '<';
		memcpy(p, name, nlen);
		p += nlen;
		memcpy(p, METINF, sizeof(METINF) - 1);
		p += sizeof(METINF) - 1;
		w->len = (size_t)(p - w->buf);
	}
	put_text(w, text, tlen);
	put_tag(w, name, nlen, 1);
}

#define META_ELEM(w, name, text)	meta_elem_n((w), (name),	\
	    sizeof(name) - 1, (text), (text) != NULL ? strlen(text) : 0)

/* <Meta>Format?, Type?, Mark?, Size?</Meta> when any is given. */
static void
meta(struct syncml_writer *w, const char *format, const char *type,
    const char *mark, long size)
{
	char tmp[24], *p;

	if (format == NULL && type == NULL && mark == NULL && size <= 0)
		return;
	PUTLIT(w, "<Meta>");
	META_ELEM(w, "Format", format);
	META_ELEM(w, "Type", type);
	META_ELEM(w, "Mark", mark);
	if (size > 0) {
		p = fmt_ulong(tmp + sizeof(tmp), (unsigned long)size);
		meta_elem_n(w, "Size", 4, p, (size_t)(tmp + sizeof(tmp) - p));
	}
	PUTLIT(w, "</Meta>");
}

/* <tag><LocURI>uri</LocURI><LocName>name</LocName>?</tag>; tag literal. */
#define LOC(w, tag, uri, name)	loc((w), (tag), sizeof(tag) - 1, (uri),	\
	    (name))

static void
loc(struct syncml_writer *w, const char *tag, size_t tlen, const char *uri,
    const char *name)
{
	put_tag(w, tag, tlen, 0);
	ELEM(w, "LocURI", uri);
	if (name != NULL)
		ELEM(w, "LocName", name);
	put_tag(w, tag, tlen, 1);
}

/* Item: (Target?, Source?, Meta?, Data?, MoreData?). */
static void
item(struct syncml_writer *w, const struct syncml_item_out *it)
{
	size_t n;

	PUTLIT(w, "<Item>");
	if (it->target_uri != NULL)
		LOC(w, "Target", it->target_uri, NULL);
	if (it->source_uri != NULL)
		LOC(w, "Source", it->source_uri, NULL);
	meta(w, it->format, it->type, it->mark, it->size);
	if (it->data != NULL) {
		n = it->data_len == SYNCML_NTS ? strlen(it->data) :
		    it->data_len;
		PUTLIT(w, "<Data>");
		put_text(w, it->data, n);
		PUTLIT(w, "</Data>");
	}
	if (it->more_data)
		PUTLIT(w, "<MoreData/>");
	PUTLIT(w, "</Item>");
}

static void
items(struct syncml_writer *w, const struct syncml_item_out *its, size_t n)
{
	size_t i;

	if (n > 0 && its == NULL) {
		fail(w, "items missing");
		return;
	}
	for (i = 0; i < n; i++)
		item(w, &its[i]);
}

#define REFS(w, name, v, n)	refs((w), (name), sizeof(name) - 1, (v), (n))

static void
refs(struct syncml_writer *w, const char *name, size_t nlen,
    const char *const *v, size_t n)
{
	size_t i;

	if (n > 0 && v == NULL) {
		fail(w, "references missing");
		return;
	}
	for (i = 0; i < n; i++)
		elem(w, name, nlen, v[i]);
}

/*
 * Starts a command (open is its literal start tag, BEGIN passes its
 * length): returns its CmdID, or 0 when the writer is unusable.
 */
#define BEGIN(w, m, open)	begin((w), (m), (open), sizeof(open) - 1)

static unsigned long
begin(struct syncml_writer *w, struct syncml_writer_mark *m,
    const char *open, size_t olen)
{
	if (w == NULL)
		return 0;
	if (w->nomem || w->finished) {
		snprintf(w->err, sizeof(w->err), "%s",
		    w->nomem ? "out of memory" : "message already finished");
		return 0;
	}
	w->failed = 0;
	w->err[0] = '\0';
	syncml_writer_save(w, m);
	put(w, open, olen);
	PUTLIT(w, "<CmdID>");
	put_ulong(w, w->next_cmdid);
	PUTLIT(w, "</CmdID>");
	return w->next_cmdid;
}

/* Ends a command: its CmdID, or 0 after undoing it on failure. */
#define END(w, m, close)	end((w), (m), (close), sizeof(close) - 1)

static unsigned long
end(struct syncml_writer *w, const struct syncml_writer_mark *m,
    const char *close, size_t clen)
{
	unsigned long id = w->next_cmdid;

	put(w, close, clen);
	if (w->failed) {
		w->len = m->len;
		w->next_cmdid = m->next_cmdid;
		w->failed = 0;
		return 0;
	}
	w->next_cmdid++;
	return id;
}

/* Refuses a command before writing it. */
static unsigned long
refuse(struct syncml_writer *w, const struct syncml_writer_mark *m,
    const char *why)
{
	fail(w, why);
	return end(w, m, "", 0);
}

struct syncml_writer *
syncml_writer_new(const struct syncml_hdr_out *h, unsigned long first_cmdid,
    char *err, size_t errlen)
{
	struct syncml_writer *w;
	const char *why = NULL;

	if (h == NULL || h->session_id == NULL || h->target_uri == NULL ||
	    h->source_uri == NULL || h->msg_id == 0)
		why = "SyncHdr needs SessionID, MsgID, Target and Source";
	else if (first_cmdid == 0)
		why = "CmdID 0 is not allowed";
	if (why != NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", why);
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto nomem;
	w->next_cmdid = first_cmdid;
	if (h->ns == SYNCML_NS_11)
		PUTLIT(w, "<SyncML xmlns=\"SYNCML:SYNCML1.1\">");
	else
		PUTLIT(w, "<SyncML xmlns=\"SYNCML:SYNCML1.2\">");
	PUTLIT(w, "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>");
	ELEM(w, "SessionID", h->session_id);
	PUTLIT(w, "<MsgID>");
	put_ulong(w, h->msg_id);
	PUTLIT(w, "</MsgID>");
	LOC(w, "Target", h->target_uri, NULL);
	LOC(w, "Source", h->source_uri, h->source_name);
	if (h->cred_data != NULL) {
		PUTLIT(w, "<Cred>");
		meta(w, h->cred_format, h->cred_type, NULL, 0);
		ELEM(w, "Data", h->cred_data);
		PUTLIT(w, "</Cred>");
	}
	if (h->max_msg_size > 0 || h->max_obj_size > 0) {
		PUTLIT(w, "<Meta>");
		if (h->max_msg_size > 0) {
			PUTLIT(w, "<MaxMsgSize" METINF);
			put_ulong(w, (unsigned long)h->max_msg_size);
			PUTLIT(w, "</MaxMsgSize>");
		}
		if (h->max_obj_size > 0) {
			PUTLIT(w, "<MaxObjSize" METINF);
			put_ulong(w, (unsigned long)h->max_obj_size);
			PUTLIT(w, "</MaxObjSize>");
		}
		PUTLIT(w, "</Meta>");
	}
	PUTLIT(w, "</SyncHdr><SyncBody>");
	if (w->failed) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "SyncHdr: %s", w->err);
		syncml_writer_free(w);
		return NULL;
	}
	return w;
nomem:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory");
	return NULL;
}

void
syncml_writer_free(struct syncml_writer *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w);
}

unsigned long
syncml_emit_status(struct syncml_writer *w, const struct syncml_status_out *st)
{
	struct syncml_writer_mark m;

	if (BEGIN(w, &m, "<Status>") == 0)
		return 0;
	if (st == NULL || st->msg_ref == NULL || st->cmd == NULL)
		return refuse(w, &m, "Status needs MsgRef and Cmd");
	ELEM(w, "MsgRef", st->msg_ref);
	ELEM(w, "CmdRef", st->cmd_ref != NULL ? st->cmd_ref : "");
	ELEM(w, "Cmd", st->cmd);
	REFS(w, "TargetRef", st->target_refs, st->ntarget_refs);
	REFS(w, "SourceRef", st->source_refs, st->nsource_refs);
	if (st->chal != NULL) {
		PUTLIT(w, "<Chal><Meta>");
		META_ELEM(w, "Format", st->chal->format);
		META_ELEM(w, "Type", st->chal->type);
		META_ELEM(w, "NextNonce", st->chal->next_nonce);
		PUTLIT(w, "</Meta></Chal>");
	}
	elem_long(w, "Data", 4, st->code);
	items(w, st->items, st->nitems);
	return END(w, &m, "</Status>");
}

unsigned long
syncml_emit_results(struct syncml_writer *w,
    const struct syncml_results_out *res)
{
	struct syncml_writer_mark m;

	if (BEGIN(w, &m, "<Results>") == 0)
		return 0;
	if (res == NULL || res->msg_ref == NULL || res->cmd_ref == NULL)
		return refuse(w, &m, "Results needs MsgRef and CmdRef");
	if (res->nitems == 0)
		return refuse(w, &m, "Results needs at least one Item");
	ELEM(w, "MsgRef", res->msg_ref);
	ELEM(w, "CmdRef", res->cmd_ref);
	meta(w, res->format, res->type, NULL, 0);
	if (res->target_ref != NULL)
		ELEM(w, "TargetRef", res->target_ref);
	if (res->source_ref != NULL)
		ELEM(w, "SourceRef", res->source_ref);
	items(w, res->items, res->nitems);
	return END(w, &m, "</Results>");
}

unsigned long
syncml_emit_alert(struct syncml_writer *w, const struct syncml_alert_out *al)
{
	struct syncml_writer_mark m;

	if (BEGIN(w, &m, "<Alert>") == 0)
		return 0;
	if (al == NULL)
		return refuse(w, &m, "Alert needs a code");
	elem_long(w, "Data", 4, al->code);
	if (al->correlator != NULL)
		ELEM(w, "Correlator", al->correlator);
	items(w, al->items, al->nitems);
	return END(w, &m, "</Alert>");
}

unsigned long
syncml_emit_replace(struct syncml_writer *w,
    const struct syncml_item_out *its, size_t nitems)
{
	struct syncml_writer_mark m;

	if (BEGIN(w, &m, "<Replace>") == 0)
		return 0;
	if (nitems == 0)
		return refuse(w, &m, "Replace needs at least one Item");
	items(w, its, nitems);
	return END(w, &m, "</Replace>");
}

size_t
syncml_writer_size(const struct syncml_writer *w)
{
	return w->len + sizeof(TAIL_FINAL TAIL) - 1;
}

unsigned long
syncml_writer_next_cmdid(const struct syncml_writer *w)
{
	return w->next_cmdid;
}

void
syncml_writer_save(const struct syncml_writer *w,
    struct syncml_writer_mark *m)
{
	m->len = w->len;
	m->next_cmdid = w->next_cmdid;
}

void
syncml_writer_restore(struct syncml_writer *w,
    const struct syncml_writer_mark *m)
{
	if (w->finished || m->len > w->len)
		return;
	w->len = m->len;
	w->next_cmdid = m->next_cmdid;
}

const char *
syncml_writer_error(const struct syncml_writer *w)
{
	return w != NULL ? w->err : "no writer";
}

int
syncml_writer_finish(struct syncml_writer *w, int final, char **out,
    size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (w->nomem || w->finished) {
		snprintf(w->err, sizeof(w->err), "%s",
		    w->nomem ? "out of memory" : "message already finished");
		return -1;
	}
	w->failed = 0;
	if (final)
		PUTLIT(w, TAIL_FINAL);
	PUTLIT(w, TAIL);
	if (w->failed)
		return -1;
	w->buf[w->len] = '\0';
	*out = w->buf;
	*outlen = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	w->finished = 1;
	return 0;
}
