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

struct oq_cmd {
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

struct outq {
	int		 chunk;	/* large objects allowed (outq_drain) */
	struct oq_cmd	*v;
	size_t		 head;
	size_t		 n;
	size_t		 cap;
};

struct outq *
outq_new(void)
{
	return calloc(1, sizeof(struct outq));
}

static void
cmd_free(struct oq_cmd *c)
{
	size_t i;

	free(c->msg_ref);
	free(c->cmd_ref);
	free(c->cmd);
	for (i = 0; i < c->ntarget_refs; i++)
		free(c->target_refs[i]);
	free(c->target_refs);
	free(c->correlator);
	free(c->format);
	free(c->type);
	for (i = 0; i < c->nitems; i++) {
		free(c->items[i].target_uri);
		free(c->items[i].source_uri);
		free(c->items[i].format);
		free(c->items[i].type);
		free(c->items[i].mark);
		free(c->items[i].data);
	}
	free(c->items);
	memset(c, 0, sizeof(*c));
}

void
outq_free(struct outq *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = q->head; i < q->n; i++)
		cmd_free(&q->v[i]);
	free(q->v);
	free(q);
}

size_t
outq_len(const struct outq *q)
{
	return q->n - q->head;
}

/* strdup that keeps NULL; *bad set on allocation failure. */
static char *
dup0(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*bad = 1;
	return d;
}

static struct oq_cmd *
push(struct outq *q)
{
	struct oq_cmd *nv;
	size_t ncap;

	if (q->head > 0 && q->head == q->n) {
		q->head = q->n = 0;	/* empty: start over */
	}
	if (q->n == q->cap) {
		ncap = q->cap ? q->cap * 2 : 64;
		nv = realloc(q->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		q->v = nv;
		q->cap = ncap;
	}
	memset(&q->v[q->n], 0, sizeof(q->v[0]));
	return &q->v[q->n];
}

static int
copy_items(struct oq_cmd *c, const struct syncml_item_out *items, size_t n)
{
	size_t i, len;
	int bad = 0;

	if (n == 0)
		return 0;
	c->items = calloc(n, sizeof(*c->items));
	if (c->items == NULL)
		return -1;
	c->nitems = n;
	for (i = 0; i < n; i++) {
		const struct syncml_item_out *in = &items[i];
		struct oq_item *it = &c->items[i];

		it->target_uri = dup0(in->target_uri, &bad);
		it->source_uri = dup0(in->source_uri, &bad);
		it->format = dup0(in->format, &bad);
		it->type = dup0(in->type, &bad);
		it->mark = dup0(in->mark, &bad);
		it->size = in->size;
		if (in->data != NULL) {
			len = in->data_len == SYNCML_NTS ? strlen(in->data) :
			    in->data_len;
			it->data = malloc(len + 1);
			if (it->data == NULL)
				return -1;
			memcpy(it->data, in->data, len);
			it->data[len] = '\0';
			it->data_len = len;
		}
	}
	return bad ? -1 : 0;
}

int
outq_status(struct outq *q, const struct syncml_status_out *st)
{
	struct oq_cmd *c = push(q);
	size_t i;
	int bad = 0;

	if (c == NULL)
		return -1;
	c->kind = OQ_STATUS;
	c->msg_ref = dup0(st->msg_ref, &bad);
	c->cmd_ref = dup0(st->cmd_ref != NULL ? st->cmd_ref : "", &bad);
	c->cmd = dup0(st->cmd, &bad);
	c->code = st->code;
	if (st->ntarget_refs > 0) {
		c->target_refs = calloc(st->ntarget_refs, sizeof(char *));
		if (c->target_refs == NULL)
			bad = 1;
		for (i = 0; !bad && i < st->ntarget_refs; i++) {
			c->target_refs[i] = dup0(st->target_refs[i], &bad);
			c->ntarget_refs++;
		}
	}
	if (bad || copy_items(c, st->items, st->nitems) != 0) {
		cmd_free(c);
		return -1;
	}
	q->n++;
	return 0;
}

int
outq_results(struct outq *q, const struct syncml_results_out *r)
{
	struct oq_cmd *c = push(q);
	int bad = 0;

	if (c == NULL)
		return -1;
	c->kind = OQ_RESULTS;
	c->msg_ref = dup0(r->msg_ref, &bad);
	c->cmd_ref = dup0(r->cmd_ref, &bad);
	c->format = dup0(r->format, &bad);
	c->type = dup0(r->type, &bad);
	if (bad || copy_items(c, r->items, r->nitems) != 0) {
		cmd_free(c);
		return -1;
	}
	q->n++;
	return 0;
}

int
outq_alert(struct outq *q, const struct syncml_alert_out *a)
{
	struct oq_cmd *c = push(q);
	int bad = 0;

	if (c == NULL)
		return -1;
	c->kind = OQ_ALERT;
	c->code = a->code;
	c->correlator = dup0(a->correlator, &bad);
	if (bad || copy_items(c, a->items, a->nitems) != 0) {
		cmd_free(c);
		return -1;
	}
	q->n++;
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

/* Removes the head command. */
static void
pop(struct outq *q)
{
	cmd_free(&q->v[q->head]);
	q->head++;
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
	struct oq_cmd *c = &q->v[q->head];
	struct syncml_writer_mark m;
	struct oq_item *it;
	size_t to, lo, hi, mid, best, before;

	/* as many whole items as fit */
	for (to = c->nitems; to > c->first; to--) {
		if (c->items[to - 1].sent > 0)
			continue;	/* a started chunk goes alone */
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
	lo = 1;
	hi = it->data_len - it->sent;
	best = 0;
	while (lo <= hi) {	/* the largest chunk that fits */
		mid = lo + (hi - lo) / 2;
		syncml_writer_save(w, &m);
		if (emit(w, c, c->first, c->first + 1, mid) == 0)
			return -1;
		if (syncml_writer_size(w) <= limit) {
			best = mid;
			lo = mid + 1;
		} else
			hi = mid - 1;
		syncml_writer_restore(w, &m);
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
	int empty = 1, r;

	q->chunk = chunk;
	while (q->head < q->n) {
		c = &q->v[q->head];
		if (limit == 0) {
			if (emit(w, c, c->first, c->nitems, (size_t)-1) == 0)
				return -1;
			pop(q);
			continue;
		}
		if (c->kind == OQ_RESULTS && (c->first > 0 ||
		    (c->nitems > 0 && c->items[0].sent > 0))) {
			r = drain_results(q, w, limit, empty, base);
			if (r < 0)
				return -1;
			if (r == 2)
				return 1;
			if (r == 0)
				break;
			empty = 0;
			if (q->head < q->n && &q->v[q->head] == c)
				break;	/* a chunk fills a message */
			continue;
		}
		syncml_writer_save(w, &m);
		if (emit(w, c, c->first, c->nitems, (size_t)-1) == 0)
			return -1;
		if (syncml_writer_size(w) <= limit) {
			pop(q);
			empty = 0;
			continue;
		}
		syncml_writer_restore(w, &m);
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
		r = drain_results(q, w, limit, empty, base);
		if (r < 0)
			return -1;
		if (r == 2)
			return 1;
		if (r == 0)
			break;
		empty = 0;
		if (q->head < q->n && &q->v[q->head] == c)
			break;
	}
	return 0;
}
