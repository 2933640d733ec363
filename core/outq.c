/*
 * outq.c: the queue of reply commands and its draining by message size;
 * see outq.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "engine_lo.h"
#include "log.h"
#include "outq.h"

enum oq_kind {
	OQ_STATUS,
	OQ_RESULTS,
	OQ_ALERT
};

struct oq_item {
	char	*target_uri;
	char	*source_uri;
	const char *format;
	char	*type;
	char	*mark;
	char	*data;		/* NULL: no Data (unless file) */
	size_t	 data_len;	/* bytes of Data as sent */
	size_t	 sent;		/* bytes of data already sent (chunks) */
	long	 size;
	struct engine_lo_progress progress;	/* of a chunked item */
	/*
	 * A file item: the Data is read from fd as it goes out, a window
	 * at a time (buf), base64-encoded when b64. fd is ours (a dup);
	 * item_release() closes it and frees buf.
	 */
	int	 file;
	int	 fd;		/* -1 once released */
	int	 b64;		/* bytes sent base64-encoded (data_len is the
				   encoded length) */
	int	 err;		/* errno of a failure when queued, -1 when
				   the size changed then, or 0 */
	long long fsize;	/* bytes of the file */
	struct timespec mtime;	/* its mtime when queued */
	char	*buf;		/* malloc'd: Data bytes [buf_off, +buf_len) */
	size_t	 buf_off;
	size_t	 buf_len;
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

/* Closes and frees what a file item holds; again is harmless. */
static void
item_release(struct oq_item *it)
{
	if (!it->file)
		return;
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
	free(it->buf);
	it->buf = NULL;
	it->buf_off = 0;
	it->buf_len = 0;
}

static void
cmd_release(struct oq_cmd *c)
{
	size_t i;

	for (i = 0; i < c->nitems; i++)
		item_release(&c->items[i]);
}

struct outq *
outq_new(void)
{
	return calloc(1, sizeof(struct outq));
}

void
outq_free(struct outq *q)
{
	struct oq_page *pg, *next;
	struct oq_cmd *c;

	if (q == NULL)
		return;
	for (c = q->head; c != NULL; c = c->next)
		cmd_release(c);
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

	cmd_release(c);
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

/* A file of at most this many bytes is read when queued (file_inline). */
#define OQ_FILE_INLINE	(16 * 1024)

/* Room for a small file's Data, base64 included (file_inline). */
static size_t
inline_need(const struct syncml_item_out *it)
{
	if (!it->file || it->file_size < 0 || it->file_size > OQ_FILE_INLINE)
		return 0;
	return ((size_t)it->file_size + 2) / 3 * 4 + 1;
}

static size_t
items_need(const struct syncml_item_out *items, size_t n)
{
	size_t i, t = n * sizeof(struct oq_item);

	for (i = 0; i < n; i++) {
		t += inline_need(&items[i]);
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

/* Bytes read from a file at a time when checking it. */
#define OQ_SCAN		(64 * 1024)

/*
 * 1 when the file of it holds text XML can carry (syncml_text_valid),
 * read in pieces that never cut a character in two; 0 when it does not,
 * -1 when it cannot be read (it->err set).
 */
static int
file_is_text(struct oq_item *it)
{
	unsigned char *blk;
	size_t carry = 0, end, cut;
	long long off = 0;
	ssize_t n;
	int rc = 1;

	blk = malloc(OQ_SCAN + 4);
	if (blk == NULL) {
		it->err = ENOMEM;
		return -1;
	}
	while (off < it->fsize) {
		n = pread(it->fd, blk + carry, OQ_SCAN, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			it->err = errno;
			rc = -1;
			goto out;
		}
		if (n == 0)
			break;	/* shorter now: item_fill says so */
		off += n;
		end = carry + (size_t)n;
		cut = end;
		if (off < it->fsize) {
			/* the last character, maybe incomplete, goes with
			 * the next piece */
			while (cut > 0 && end - cut < 3 &&
			    (blk[cut - 1] & 0xc0) == 0x80)
				cut--;
			if (cut > 0 && (blk[cut - 1] & 0xc0) == 0xc0)
				cut--;
			else
				cut = end;	/* ASCII, or stray bytes */
		}
		if (!syncml_text_valid((const char *)blk, cut)) {
			rc = 0;
			goto out;
		}
		carry = end - cut;
		memmove(blk, blk + cut, carry);
	}
	if (carry > 0 && !syncml_text_valid((const char *)blk, carry))
		rc = 0;
out:
	free(blk);
	return rc;
}

/*
 * Makes it a file item for in: our own descriptor of in->fd, its size and
 * mtime, and how it goes out: as text when it is text XML can carry and
 * the Format is not bin, else base64 with Format b64 (the engine's rule
 * for values in memory). A failure is kept in it->err: the item is
 * dropped when it is due (item_fill), the queue goes on.
 */
static void
file_adopt(struct oq_item *it, const struct syncml_item_out *in)
{
	struct stat st;
	int text;

	it->file = 1;
	it->fsize = in->file_size >= 0 ? in->file_size : 0;
	it->data_len = (size_t)it->fsize;
	it->fd = fcntl(in->fd, F_DUPFD_CLOEXEC, 0);
	if (it->fd < 0) {
		it->err = errno;
		return;
	}
	if (fstat(it->fd, &st) != 0) {
		it->err = errno;
		return;
	}
	it->mtime = st.st_mtim;
	if (it->format != NULL && strcmp(it->format, "bin") == 0)
		text = 0;
	else
		text = file_is_text(it);
	if (text == 0) {
		it->b64 = 1;
		it->format = "b64";
		it->data_len = ((size_t)it->fsize + 2) / 3 * 4;
	}
}

/*
 * A small file item is read when queued, into the room items_need left
 * for it, and goes out like a value in memory: no descriptor is held
 * while it waits, and it is the file as it was when the Get answered.
 * Text or base64 by file_adopt's rule. A read that fails or finds another
 * size leaves a failed file item, dropped when due (item_fill).
 */
static void
file_inline(struct oq_item *it, const struct syncml_item_out *in,
    struct arena *a)
{
	size_t size = (size_t)in->file_size, n = 0;
	char *p = a->p, *enc;
	struct stat st;
	ssize_t r;

	a->p += inline_need(in);
	while (n < size) {
		r = pread(in->fd, p + n, size - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			it->err = errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n != size || fstat(in->fd, &st) != 0 ||
	    st.st_size != in->file_size) {
		it->err = -1;	/* another size */
		goto fail;
	}
	p[n] = '\0';
	if ((it->format != NULL && strcmp(it->format, "bin") == 0) ||
	    !syncml_text_valid(p, n)) {
		enc = b64_encode(p, n);
		if (enc == NULL) {
			it->err = ENOMEM;
			goto fail;
		}
		n = strlen(enc);
		memcpy(p, enc, n + 1);
		free(enc);
		it->format = "b64";
	}
	it->data = p;
	it->data_len = n;
	return;
fail:
	it->file = 1;
	it->fsize = in->file_size;
	it->data_len = size;
}

/* The Data of it from the first byte not sent yet. */
static const char *
item_bytes(const struct oq_item *it)
{
	if (!it->file)
		return it->data + it->sent;
	if (it->buf == NULL)
		return "";	/* nothing read: an empty file */
	return it->buf + (it->sent - it->buf_off);
}

/* The reason a file item cannot go on, logged by item_fill. */
static const char *
item_trouble(const struct oq_item *it, const struct stat *st,
    char *why, size_t len)
{
	if (it->err == -1)
		snprintf(why, len, "the file changed size while it was read");
	else if (it->err != 0)
		snprintf(why, len, "%s", strerror(it->err));
	else if (st->st_size != it->fsize)
		snprintf(why, len, "the file changed size (%lld bytes when "
		    "queued, %lld now)", it->fsize, (long long)st->st_size);
	else
		snprintf(why, len, "the file was modified");
	return why;
}

/*
 * Makes buf hold the Data of file item it from it->sent, want bytes (cut
 * at the end of the Data). Returns 0, or -1 when the file cannot be read
 * or changed since it was queued (size or mtime): that is logged, and the
 * caller drops the item (item_failed).
 */
static int
item_fill(struct oq_item *it, size_t want)
{
	struct stat st;
	size_t from = it->sent, to, rfrom, rto, n = 0;
	char *raw = NULL, *enc, why[128];
	ssize_t r;

	if (want > it->data_len - from)
		want = it->data_len - from;
	to = from + want;
	if (it->buf != NULL && it->buf_off <= from &&
	    to <= it->buf_off + it->buf_len)
		return 0;
	memset(&st, 0, sizeof(st));
	if (it->err == 0 && fstat(it->fd, &st) != 0)
		it->err = errno;
	if (it->err != 0 || st.st_size != it->fsize ||
	    st.st_mtim.tv_sec != it->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != it->mtime.tv_nsec)
		goto fail;
	if (it->b64) {
		/* whole groups of 4 characters: 3 bytes each */
		to = (to + 3) / 4 * 4;
		rfrom = from / 4 * 3;
		rto = to / 4 * 3;
		if (rto > (size_t)it->fsize)
			rto = (size_t)it->fsize;
	} else {
		rfrom = from;
		rto = to;
	}
	raw = malloc(rto - rfrom + 1);
	if (raw == NULL) {
		it->err = ENOMEM;
		goto fail;
	}
	while (n < rto - rfrom) {
		r = pread(it->fd, raw + n, rto - rfrom - n, (off_t)(rfrom + n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			it->err = errno;
		if (r <= 0) {
			if (r == 0)
				st.st_size = (off_t)(rfrom + n);
			goto fail;
		}
		n += (size_t)r;
	}
	if (it->b64) {
		enc = b64_encode(raw, n);
		free(raw);
		raw = NULL;
		if (enc == NULL) {
			it->err = ENOMEM;
			goto fail;
		}
		free(it->buf);
		it->buf = enc;
		it->buf_len = strlen(enc);
	} else {
		free(it->buf);
		it->buf = raw;
		it->buf_len = n;
	}
	it->buf_off = from;
	return 0;
fail:
	free(raw);
	log_warnx("Results for %s: %s after %zu of %zu bytes were sent: %s",
	    it->source_uri != NULL ? it->source_uri : "?",
	    item_trouble(it, &st, why, sizeof(why)), it->sent, it->data_len,
	    it->sent > 0 ? "the rest is not sent (the server sees an "
	    "unfinished object)" : "no Results for it");
	return -1;
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
		it->fd = -1;
		if (in->file && inline_need(in) > 0)
			file_inline(it, in, a);
		else if (in->file)
			file_adopt(it, in);
		else
			it->data = arena_str(a, in->data, in->data_len,
			    &it->data_len);
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
	o->data = it->file ? item_bytes(it) : it->data;
	o->data_len = it->data_len;
}

/* 1 when it has Data (in memory or in a file). */
static int
has_data(const struct oq_item *it)
{
	return it->data != NULL || it->file;
}

/*
 * Emits items [from, to) of c as one command; the last of them may be cut
 * to chunk bytes (chunk == (size_t)-1: whole). A file item's bytes must be
 * in its window already (item_fill). Returns the CmdID or 0.
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
	for (i = 0; i < n; i++) {
		const struct oq_item *it = &c->items[from + i];

		item_out(it, &iv[i]);
		if (it->sent > 0) {
			/* the rest of a started item (the last chunk) */
			iv[i].data = item_bytes(it);
			iv[i].data_len = it->data_len - it->sent;
			iv[i].size = 0;
		}
	}
	if (n > 0) {
		const struct oq_item *last = &c->items[to - 1];
		struct syncml_item_out *o = &iv[n - 1];

		if (has_data(last) && (last->sent > 0 ||
		    chunk != (size_t)-1)) {
			size_t left = last->data_len - last->sent;
			size_t take = chunk < left ? chunk : left;

			o->data = item_bytes(last);
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

		if (has_data(it))
			t += it->data_len - it->sent;
		if (it->source_uri != NULL)
			t += strlen(it->source_uri);
		if (it->target_uri != NULL)
			t += strlen(it->target_uri);
	}
	return t;
}

/* The head command c is done with its item at first: next one. */
static void
item_done(struct outq *q, struct oq_cmd *c)
{
	item_release(&c->items[c->first]);
	c->first++;
	if (c->first == c->nitems)
		pop(q);
}

/*
 * File item i of the head command c failed (item_fill logged why). One
 * that went out in part is over: the rest is not sent, and the server,
 * which got MoreData, sees an unfinished object (OMA DM: it answers Alert
 * 1225). One not sent at all is taken out of the Results; a Results left
 * without items is not sent.
 */
static void
item_failed(struct outq *q, struct oq_cmd *c, size_t i)
{
	if (c->items[i].sent > 0) {
		item_done(q, c);	/* only the item at first is started */
		return;
	}
	item_release(&c->items[i]);
	memmove(&c->items[i], &c->items[i + 1],
	    (c->nitems - i - 1) * sizeof(c->items[0]));
	c->nitems--;
	if (c->first == c->nitems)
		pop(q);
}

/*
 * Reads the whole Data of the file items among items [from, *to) of the
 * head command c, which go out whole. Returns 0, or 1 when one failed and
 * was dropped (the queue changed: the caller starts over).
 */
static int
fill_whole(struct outq *q, struct oq_cmd *c, size_t from, size_t to)
{
	struct oq_item *it;
	size_t i;

	for (i = from; i < to; i++) {
		it = &c->items[i];
		if (!it->file)
			continue;
		if (item_fill(it, it->data_len - it->sent) != 0) {
			item_failed(q, c, i);
			return 1;
		}
		if (!it->b64 && !syncml_text_valid(item_bytes(it),
		    it->data_len - it->sent)) {
			log_warnx("Results for %s: the file is no longer "
			    "text XML can carry: no Results for it",
			    it->source_uri != NULL ? it->source_uri : "?");
			item_failed(q, c, i);
			return 1;
		}
	}
	return 0;
}

/* A chunk of n bytes of it went out: the progress lines (engine_lo.h). */
static void
chunk_sent(struct oq_item *it, size_t n)
{
	if (it->sent == 0) {
		engine_lo_progress_start(&it->progress,
		    (long long)it->data_len);
		log_info("Results for %s: sending %zu bytes%s in chunks",
		    it->source_uri != NULL ? it->source_uri : "?",
		    it->data_len, it->b64 ? " (base64)" : "");
	}
	it->sent += n;
	if (it->sent < it->data_len)
		engine_lo_progress_step(&it->progress, "Results for",
		    it->source_uri != NULL ? it->source_uri : "?", "sent",
		    (long long)it->sent);
	else
		engine_lo_progress_done(&it->progress, "Results for",
		    it->source_uri != NULL ? it->source_uri : "?", "sent",
		    (long long)it->sent, NULL);
}

/* Bytes the writer makes of byte ch in text (its escapes). */
static size_t
esc_cost(unsigned char ch)
{
	switch (ch) {
	case '<':
	case '>':
		return 4;	/* &lt; &gt; */
	case '&':
	case '\r':
		return 5;	/* &amp; &#13; */
	default:
		return 1;
	}
}

/* Bytes of the UTF-8 character that starts at p (1 when it is not a
 * lead byte), at most left. */
static size_t
char_len(const char *p, size_t left)
{
	unsigned char ch = (unsigned char)p[0];
	size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;

	return n < left ? n : left;
}

/*
 * Sends as much of the head Results as fits: whole items first, then a
 * chunk of the next one. Returns 1 when something was written, 0 when
 * nothing fits, 2 when only a chunk would and chunking is off, 3 when a
 * file item failed and was dropped (nothing written: start over), -1 on
 * writer failure.
 */
static int
drain_results(struct outq *q, struct syncml_writer *w, size_t limit,
    int empty, size_t base)
{
	struct oq_cmd *c = q->head;
	struct syncml_writer_mark m;
	struct oq_item *it;
	const char *d;
	size_t to, mid, best, before, left, used, over, cut;
	int tries;

	/* as many whole items as fit (a started item goes alone) */
	to = c->items[c->first].sent > 0 ? c->first : c->nitems;
	for (; to > c->first; to--) {
		if (raw_size(c, c->first, to) + base > limit) {
			/* cannot fit: not worth writing to find out */
			if (!q->chunk && to == c->first + 1)
				return 2;
			if (!empty && to == c->first + 1)
				return 0;
			continue;
		}
		if (fill_whole(q, c, c->first, to) != 0)
			return 3;
		syncml_writer_save(w, &m);
		before = syncml_writer_size(w);
		if (emit(w, c, c->first, to, (size_t)-1) == 0)
			return -1;
		if (syncml_writer_size(w) <= limit) {
			while (c->first < to - 1)
				item_release(&c->items[c->first++]);
			item_done(q, c);
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
	if (!has_data(it) || it->sent == it->data_len) {
		/* nothing to cut (its URIs fill a message): whole, alone */
		if (!empty)
			return 0;
		if (fill_whole(q, c, c->first, c->first + 1) != 0)
			return 3;
		if (emit(w, c, c->first, c->first + 1, (size_t)-1) == 0)
			return -1;
		item_done(q, c);
		return 1;
	}
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
	if (it->file) {
		/* the chunk's bytes and the one after (a character's end) */
		if (item_fill(it, mid < left ? mid + 1 : mid) != 0) {
			item_failed(q, c, c->first);
			return 3;
		}
	}
	d = item_bytes(it);
	best = 0;
	for (tries = 0; tries < 16 && mid > 0; tries++) {
		if (it->b64) {
			/* whole groups of 4: each chunk decodes alone */
			if (mid < left)
				mid -= mid % 4;
		} else {
			/* never cut a UTF-8 character in two */
			while (mid > 0 && mid < left &&
			    ((unsigned char)d[mid] & 0xc0) == 0x80)
				mid--;
		}
		if (mid == 0)
			break;
		if (tries == 0 && it->file && !it->b64 &&
		    !syncml_text_valid(d, mid)) {
			/* shorter chunks are prefixes of this one */
			log_warnx("Results for %s: the file is no longer text "
			    "XML can carry after %zu bytes: the rest is not "
			    "sent", it->source_uri != NULL ? it->source_uri :
			    "?", it->sent);
			item_failed(q, c, c->first);
			return 3;
		}
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
		/* drop bytes from the end until their escaped size covers
		 * what was over (escaping makes some bytes 4 or 5) */
		cut = 0;
		while (mid > 0 && cut < over)
			cut += esc_cost((unsigned char)d[--mid]);
	}
	if (best == 0) {
		if (!empty)
			return 0;
		/* progress whatever the limit: one character (one group of
		 * 4 in base64), which a writer can carry */
		if (it->b64)
			best = left < 4 ? left : 4;
		else {
			if (it->file && item_fill(it, 4) != 0) {
				item_failed(q, c, c->first);
				return 3;
			}
			d = item_bytes(it);
			best = char_len(d, left);
		}
	}
	if (emit(w, c, c->first, c->first + 1, best) == 0)
		return -1;
	chunk_sent(it, best);
	if (it->sent == it->data_len)
		item_done(q, c);
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
			if (c->kind == OQ_RESULTS &&
			    fill_whole(q, c, c->first, c->nitems) != 0)
				continue;
			if (emit(w, c, c->first, c->nitems, (size_t)-1) == 0)
				return -1;
			if (c->first < c->nitems && c->items[c->first].sent > 0)
				chunk_sent(&c->items[c->first],
				    c->items[c->first].data_len -
				    c->items[c->first].sent);
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
			if (r == 3)
				continue;
			if (r == 0)
				break;
			empty = 0;
			if (q->n == n)
				break;	/* a chunk fills a message */
			continue;
		}
		if (c->kind != OQ_RESULTS ||
		    raw_size(c, c->first, c->nitems) + base <= limit) {
			if (c->kind == OQ_RESULTS &&
			    fill_whole(q, c, c->first, c->nitems) != 0)
				continue;
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
		if (r == 3)
			continue;
		if (r == 0)
			break;
		empty = 0;
		if (q->n == n)
			break;	/* c is still there: a chunk went */
	}
	return 0;
}
