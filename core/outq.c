/*
 * outq.c: the queue of reply commands and its draining by message size;
 * see outq.h.
 */
#include <stdlib.h>
#include <string.h>

#include "outq.h"

enum oq_kind {
	OQ_STATUS,
	OQ_RESULTS,
	OQ_ALERT
};

struct oq_item {
	char	*target_uri;
	char	*source_uri;
	char	*format;
	char	*type;
	char	*mark;
	char	*data;		/* NULL: no Data */
	size_t	 data_len;
	size_t	 sent;		/* bytes of data already sent (chunks) */
	long	 size;
};

struct oq_page;

struct oq_cmd {
	struct oq_cmd	*next;		/* queued after this one, or NULL */
	struct oq_page	*page;		/* where it lives */
	enum oq_kind	 kind;
	char		*msg_ref;
	char		*cmd_ref;
	char		*cmd;
	char		**target_refs;
	size_t		 ntarget_refs;
	char		*correlator;
	char		*format;	/* Results Meta */
	char		*type;
	int		 code;
	struct oq_item	*items;
	size_t		 nitems;
	size_t		 first;		/* items before this one are out */
};

/*
 * Queued commands live in pages: each command, its arrays and its strings
 * are carved one after the other from the newest page (a command larger
 * than a page gets a page of its own), so queueing a command costs no
 * malloc and popping one no free. Commands leave in the order they came,
 * so pages empty oldest first; an empty page is freed, except the newest,
 * which is reused.
 */
#define OQ_PAGE		(32 * 1024)
#define OQ_ALIGN	sizeof(void *)	/* what oq_cmd and oq_item need */

struct oq_page {
	struct oq_page	*next;		/* newer */
	size_t		 used;		/* bytes handed out */
	size_t		 size;		/* bytes after this header */
	size_t		 live;		/* commands in it not popped yet */
};

struct outq {
	int		 chunk;	/* large objects allowed (outq_drain) */
	struct oq_cmd	*head;	/* next to go out */
	struct oq_cmd	*tail;
	size_t		 n;	/* commands queued */
	struct oq_page	*pages;	/* oldest first */
	struct oq_page	*last;	/* newest */
};

struct outq *
outq_new(void)
{
	return calloc(1, sizeof(struct outq));
}

void
outq_free(struct outq *q)
{
	struct oq_page *pg, *next;

	if (q == NULL)
		return;
	for (pg = q->pages; pg != NULL; pg = next) {
		next = pg->next;
		free(pg);
	}
	free(q);
}

size_t
outq_len(const struct outq *q)
{
	return q->n;
}

/* Frees the pages whose commands are all gone, but the newest. */
static void
pages_trim(struct outq *q)
{
	struct oq_page *pg;

	while (q->pages != NULL && q->pages->live == 0 &&
	    q->pages != q->last) {
		pg = q->pages;
		q->pages = pg->next;
		free(pg);
	}
	if (q->last != NULL && q->last->live == 0)
		q->last->used = 0;	/* empty: start it over */
}

/*
 * Room for a command of need bytes (struct oq_cmd first, then its arrays
 * and strings), zeroed up to the arrays. Not queued yet: queue() does it.
 * NULL when memory runs out.
 */
static struct oq_cmd *
cmd_new(struct outq *q, size_t need)
{
	struct oq_page *pg = q->last;
	struct oq_cmd *c;
	size_t size;

	need = (need + OQ_ALIGN - 1) & ~(OQ_ALIGN - 1);
	if (pg == NULL || pg->size - pg->used < need) {
		size = need > OQ_PAGE ? need : OQ_PAGE;
		pg = malloc(sizeof(*pg) + size);
		if (pg == NULL)
			return NULL;
		pg->next = NULL;
		pg->used = 0;
		pg->size = size;
		pg->live = 0;
		if (q->last != NULL)
			q->last->next = pg;
		else
			q->pages = pg;
		q->last = pg;
		pages_trim(q);	/* the previous newest may be empty */
	}
	c = (struct oq_cmd *)(void *)((char *)(pg + 1) + pg->used);
	pg->used += need;
	pg->live++;
	memset(c, 0, sizeof(*c));
	c->page = pg;
	return c;
}

/* Appends c (from cmd_new) to the queue. */
static void
queue(struct outq *q, struct oq_cmd *c)
{
	if (q->tail != NULL)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->n++;
}

/* Removes the head command. */
static void
pop(struct outq *q)
{
	struct oq_cmd *c = q->head;

	q->head = c->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	c->page->live--;
	pages_trim(q);
}

/*
 * A command's strings are copied after its arrays: arena_size() adds up
 * what a command needs, arena_str() copies a string.
 */
struct arena {
	char	*p;
};

static size_t
str_need(const char *s, size_t len)
{
	if (s == NULL)
		return 0;
	return (len == SYNCML_NTS ? strlen(s) : len) + 1;
}

static size_t
items_need(const struct syncml_item_out *items, size_t n)
{
	size_t i, t = n * sizeof(struct oq_item);

	for (i = 0; i < n; i++) {
		t += str_need(items[i].target_uri, SYNCML_NTS);
		t += str_need(items[i].source_uri, SYNCML_NTS);
		t += str_need(items[i].format, SYNCML_NTS);
		t += str_need(items[i].type, SYNCML_NTS);
		t += str_need(items[i].mark, SYNCML_NTS);
		t += str_need(items[i].data, items[i].data_len);
	}
	return t;
}

static char *
arena_str(struct arena *a, const char *s, size_t len, size_t *outlen)
{
	char *d;

	if (s == NULL)
		return NULL;
	if (len == SYNCML_NTS)
		len = strlen(s);
	d = a->p;
	memcpy(d, s, len);
	d[len] = '\0';
	a->p += len + 1;
	if (outlen != NULL)
		*outlen = len;
	return d;
}

/*
 * A new command with arrays of nitems items and nrefs refs, and need more
 * bytes (items_need() and the strings) for them and its strings.
 */
static struct oq_cmd *
cmd_alloc(struct outq *q, struct arena *a, size_t need, size_t nitems,
    size_t nrefs)
{
	struct oq_cmd *c;
	char *p;

	c = cmd_new(q, sizeof(*c) + need + nrefs * sizeof(char *));
	if (c == NULL)
		return NULL;
	p = (char *)(c + 1);
	c->items = nitems > 0 ? (struct oq_item *)(void *)p : NULL;
	p += nitems * sizeof(struct oq_item);
	c->target_refs = nrefs > 0 ? (char **)(void *)p : NULL;
	p += nrefs * sizeof(char *);
	c->nitems = nitems;
	a->p = p;
	return c;
}

static void
copy_items(struct oq_cmd *c, struct arena *a,
    const struct syncml_item_out *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct syncml_item_out *in = &items[i];
		struct oq_item *it = &c->items[i];

		memset(it, 0, sizeof(*it));
		it->target_uri = arena_str(a, in->target_uri, SYNCML_NTS, NULL);
		it->source_uri = arena_str(a, in->source_uri, SYNCML_NTS, NULL);
		it->format = arena_str(a, in->format, SYNCML_NTS, NULL);
		it->type = arena_str(a, in->type, SYNCML_NTS, NULL);
		it->mark = arena_str(a, in->mark, SYNCML_NTS, NULL);
		it->size = in->size;
		it->data = arena_str(a, in->data, in->data_len, &it->data_len);
	}
}

int
outq_status(struct outq *q, const struct syncml_status_out *st)
{
	struct oq_cmd *c;
	struct arena a;
	size_t i, need;
	const char *ref = st->cmd_ref != NULL ? st->cmd_ref : "";

	need = str_need(st->msg_ref, SYNCML_NTS) + str_need(ref, SYNCML_NTS) +
	    str_need(st->cmd, SYNCML_NTS) + items_need(st->items, st->nitems);
	for (i = 0; i < st->ntarget_refs; i++)
		need += str_need(st->target_refs[i], SYNCML_NTS);
	c = cmd_alloc(q, &a, need, st->nitems, st->ntarget_refs);
	if (c == NULL)
		return -1;
	c->kind = OQ_STATUS;
	c->msg_ref = arena_str(&a, st->msg_ref, SYNCML_NTS, NULL);
	c->cmd_ref = arena_str(&a, ref, SYNCML_NTS, NULL);
	c->cmd = arena_str(&a, st->cmd, SYNCML_NTS, NULL);
	c->code = st->code;
	for (i = 0; i < st->ntarget_refs; i++)
		c->target_refs[i] = arena_str(&a, st->target_refs[i],
		    SYNCML_NTS, NULL);
	c->ntarget_refs = st->ntarget_refs;
	copy_items(c, &a, st->items, st->nitems);
	queue(q, c);
	return 0;
}

int
outq_results(struct outq *q, const struct syncml_results_out *r)
{
	struct oq_cmd *c;
	struct arena a;
	size_t need;

	need = str_need(r->msg_ref, SYNCML_NTS) +
	    str_need(r->cmd_ref, SYNCML_NTS) + str_need(r->format, SYNCML_NTS) +
	    str_need(r->type, SYNCML_NTS) + items_need(r->items, r->nitems);
	c = cmd_alloc(q, &a, need, r->nitems, 0);
	if (c == NULL)
		return -1;
	c->kind = OQ_RESULTS;
	c->msg_ref = arena_str(&a, r->msg_ref, SYNCML_NTS, NULL);
	c->cmd_ref = arena_str(&a, r->cmd_ref, SYNCML_NTS, NULL);
	c->format = arena_str(&a, r->format, SYNCML_NTS, NULL);
	c->type = arena_str(&a, r->type, SYNCML_NTS, NULL);
	copy_items(c, &a, r->items, r->nitems);
	queue(q, c);
	return 0;
}

int
outq_alert(struct outq *q, const struct syncml_alert_out *al)
{
	struct oq_cmd *c;
	struct arena a;
	size_t need;

	need = str_need(al->correlator, SYNCML_NTS) +
	    items_need(al->items, al->nitems);
	c = cmd_alloc(q, &a, need, al->nitems, 0);
	if (c == NULL)
		return -1;
	c->kind = OQ_ALERT;
	c->code = al->code;
	c->correlator = arena_str(&a, al->correlator, SYNCML_NTS, NULL);
	copy_items(c, &a, al->items, al->nitems);
	queue(q, c);
	return 0;
}

static void
item_out(const struct oq_item *it, struct syncml_item_out *o)
{
	memset(o, 0, sizeof(*o));
	o->target_uri = it->target_uri;
	o->source_uri = it->source_uri;
	o->format = it->format;
	o->type = it->type;
	o->mark = it->mark;
	o->size = it->size;
	o->data = it->data;
	o->data_len = it->data_len;
}

/*
 * Emits items [from, to) of c as one command; the last of them may be cut
 * to chunk bytes (chunk == (size_t)-1: whole). Returns the CmdID or 0.
 */
static unsigned long
emit(struct syncml_writer *w, const struct oq_cmd *c, size_t from, size_t to,
    size_t chunk)
{
	struct syncml_item_out items[64], *iv = items;
	struct syncml_status_out st;
	struct syncml_results_out r;
	struct syncml_alert_out a;
	unsigned long id;
	size_t i, n = to - from;

	if (n > 64) {
		iv = calloc(n, sizeof(*iv));
		if (iv == NULL)
			return 0;
	}
	for (i = 0; i < n; i++)
		item_out(&c->items[from + i], &iv[i]);
	if (n > 0) {
		const struct oq_item *last = &c->items[to - 1];
		struct syncml_item_out *o = &iv[n - 1];

		if (last->data != NULL && (last->sent > 0 ||
		    chunk != (size_t)-1)) {
			size_t left = last->data_len - last->sent;
			size_t take = chunk < left ? chunk : left;

			o->data = last->data + last->sent;
			o->data_len = take;
			o->more_data = take < left;
			/* Meta Size (the whole object) in the first chunk only */
			o->size = last->sent == 0 && o->more_data ?
			    (long)last->data_len : 0;
		}
	}
	switch (c->kind) {
	case OQ_STATUS:
		memset(&st, 0, sizeof(st));
		st.msg_ref = c->msg_ref;
		st.cmd_ref = c->cmd_ref;
		st.cmd = c->cmd;
		st.target_refs = (const char *const *)c->target_refs;
		st.ntarget_refs = c->ntarget_refs;
		st.code = c->code;
		st.items = iv;
		st.nitems = n;
		id = syncml_emit_status(w, &st);
		break;
	case OQ_RESULTS:
		memset(&r, 0, sizeof(r));
		r.msg_ref = c->msg_ref;
		r.cmd_ref = c->cmd_ref;
		r.format = c->format;
		r.type = c->type;
		r.items = iv;
		r.nitems = n;
		id = syncml_emit_results(w, &r);
		break;
	default:
		memset(&a, 0, sizeof(a));
		a.code = c->code;
		a.correlator = c->correlator;
		a.items = iv;
		a.nitems = n;
		id = syncml_emit_alert(w, &a);
		break;
	}
	if (iv != items)
		free(iv);
	return id;
}

/*
 * A lower bound of the bytes items [from, to) of c take in a message: their
 * data and URIs unescaped (escaping only adds). Lets the drain skip trying
 * a command that cannot fit, which for a large object would mean writing
 * it whole just to throw it away.
 */
static size_t
raw_size(const struct oq_cmd *c, size_t from, size_t to)
{
	size_t i, t = 0;

	for (i = from; i < to; i++) {
		const struct oq_item *it = &c->items[i];

		if (it->data != NULL)
			t += it->data_len - it->sent;
		if (it->source_uri != NULL)
			t += strlen(it->source_uri);
		if (it->target_uri != NULL)
			t += strlen(it->target_uri);
	}
	return t;
}

/*
 * Sends as much of the head Results as fits: whole items first, then a
 * chunk of the next one. Returns 1 when something was written, 0 when
 * nothing fits, 2 when only a chunk would and chunking is off, -1 on
 * writer failure.
 */
static int
drain_results(struct outq *q, struct syncml_writer *w, size_t limit,
    int empty, size_t base)
{
	struct oq_cmd *c = q->head;
	struct syncml_writer_mark m;
	struct oq_item *it;
	size_t to, mid, best, before, left, used, over;
	int tries;

	/* as many whole items as fit */
	for (to = c->nitems; to > c->first; to--) {
		if (c->items[to - 1].sent > 0)
			continue;	/* a started chunk goes alone */
		if (raw_size(c, c->first, to) + base > limit) {
			/* cannot fit: not worth writing to find out */
			if (!q->chunk && to == c->first + 1)
				return 2;
			if (!empty && to == c->first + 1)
				return 0;
			continue;
		}
		syncml_writer_save(w, &m);
		before = syncml_writer_size(w);
		if (emit(w, c, c->first, to, (size_t)-1) == 0)
			return -1;
		if (syncml_writer_size(w) <= limit) {
			c->first = to;
			if (c->first == c->nitems)
				pop(q);
			return 1;
		}
		/* the size of a message holding this command alone */
		best = syncml_writer_size(w) - before + base;
		syncml_writer_restore(w, &m);
		if (!q->chunk && to == c->first + 1 && best > limit)
			return 2;	/* no message can take it, no chunks */
		if (!empty)
			return 0;	/* try again in a fresh message */
	}
	/* the item at first does not fit alone: send a chunk of it */
	it = &c->items[c->first];
	if (!q->chunk)
		return 2;	/* large objects are off */
	if (it->data == NULL)
		return empty ? (emit(w, c, c->first, c->first + 1,
		    (size_t)-1) != 0 ? (c->first++, 1) : -1) : 0;
	/*
	 * The largest chunk that fits: start from the room left and shrink by
	 * what escaping added, so a message costs one or two trial writes of
	 * at most one message's worth of data (never the whole object).
	 */
	left = it->data_len - it->sent;
	used = syncml_writer_size(w);
	mid = used < limit ? limit - used : 1;
	if (mid > left)
		mid = left;
	best = 0;
	for (tries = 0; tries < 16 && mid > 0; tries++) {
		/* never cut a UTF-8 character in two */
		while (mid > 0 && mid < left &&
		    ((unsigned char)it->data[it->sent + mid] & 0xc0) == 0x80)
			mid--;
		if (mid == 0)
			break;
		syncml_writer_save(w, &m);
		if (emit(w, c, c->first, c->first + 1, mid) == 0)
			return -1;
		over = syncml_writer_size(w) > limit ?
		    syncml_writer_size(w) - limit : 0;
		syncml_writer_restore(w, &m);
		if (over == 0) {
			best = mid;
			break;
		}
		mid = mid > over ? mid - over : 0;
	}
	if (best == 0) {
		if (!empty)
			return 0;
		best = 1;	/* progress whatever the limit */
	}
	if (emit(w, c, c->first, c->first + 1, best) == 0)
		return -1;
	it->sent += best;
	if (it->sent == it->data_len) {
		c->first++;
		if (c->first == c->nitems)
			pop(q);
	}
	return 1;
}

int
outq_drain(struct outq *q, struct syncml_writer *w, size_t limit, int chunk)
{
	struct syncml_writer_mark m;
	struct oq_cmd *c;
	size_t base = syncml_writer_size(w);	/* a message with no command
						   of ours */
	size_t n;
	int empty = 1, r;

	q->chunk = chunk;
	while (q->head != NULL) {
		c = q->head;
		if (limit == 0) {
			if (emit(w, c, c->first, c->nitems, (size_t)-1) == 0)
				return -1;
			pop(q);
			continue;
		}
		if (c->kind == OQ_RESULTS && (c->first > 0 ||
		    (c->nitems > 0 && c->items[0].sent > 0))) {
			n = q->n;
			r = drain_results(q, w, limit, empty, base);
			if (r < 0)
				return -1;
			if (r == 2)
				return 1;
			if (r == 0)
				break;
			empty = 0;
			if (q->n == n)
				break;	/* a chunk fills a message */
			continue;
		}
		if (c->kind != OQ_RESULTS ||
		    raw_size(c, c->first, c->nitems) + base <= limit) {
			syncml_writer_save(w, &m);
			if (emit(w, c, c->first, c->nitems, (size_t)-1) == 0)
				return -1;
			if (syncml_writer_size(w) <= limit) {
				pop(q);
				empty = 0;
				continue;
			}
			syncml_writer_restore(w, &m);
		}
		if (c->kind != OQ_RESULTS) {
			if (!empty)
				break;
			/* a Status or Alert alone over the limit: send it */
			if (emit(w, c, c->first, c->nitems, (size_t)-1) == 0)
				return -1;
			pop(q);
			empty = 0;
			continue;
		}
		n = q->n;
		r = drain_results(q, w, limit, empty, base);
		if (r < 0)
			return -1;
		if (r == 2)
			return 1;
		if (r == 0)
			break;
		empty = 0;
		if (q->n == n)
			break;	/* c is still there: a chunk went */
	}
	return 0;
}
