/*
 * engine_lo.c: large objects from the server (OMA DM 1.2 section on large
 * object handling). An Add or Replace whose Item carries MoreData is one
 * chunk of a value: each chunk is appended to a spool file in the state
 * directory and answered 213; the last chunk (no MoreData) is checked
 * against the Meta Size of the first (424 on a mismatch, nothing
 * committed) and the command runs with the value as that file, which the
 * CSP gets as a luadm.Blob. The object never sits whole in memory. A new
 * command or Item arriving before the last chunk cuts the object off: it
 * is dropped and Alert 1225 names it. The log shows the object's
 * progress (engine_lo.h), which outq uses for our own large Results too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm_status.h"
#include "engine_int.h"
#include "engine_lo.h"
#include "log.h"
#include "outq.h"
#include "store.h"
#include "tree.h"
#include "util.h"

/* The unit a size of total bytes is best shown in, and its size. */
static const char *
unit_of(long long total, double *div)
{
	if (total >= 1024LL * 1024 * 1024) {
		*div = 1024.0 * 1024 * 1024;
		return "GiB";
	}
	if (total >= 1024LL * 1024) {
		*div = 1024.0 * 1024;
		return "MiB";
	}
	*div = 1024.0;
	return "KiB";
}

void
engine_lo_progress_start(struct engine_lo_progress *p, long long total)
{
	p->total = total;
	p->logged = 0;
	p->start_ms = util_now_ms();
	p->last_ms = p->start_ms;
}

void
engine_lo_progress_step(struct engine_lo_progress *p, const char *what,
    const char *uri, const char *verb, long long done)
{
	uint64_t now = util_now_ms();
	const char *unit;
	double div;
	int tenth;

	if (p->total >= 0 && done >= p->total)
		return;		/* the final line says it */
	tenth = p->total > 0 && done / (p->total / 10 + (p->total < 10)) >
	    p->logged / (p->total / 10 + (p->total < 10));
	if (!tenth && now - p->last_ms < ENGINE_LO_PROGRESS_S * 1000)
		return;
	p->logged = done;
	p->last_ms = now;
	unit = unit_of(p->total > 0 ? p->total : done, &div);
	if (p->total > 0)
		log_info("%s %s: %.1f of %.1f %s %s (%d%%)", what, uri,
		    (double)done / div, (double)p->total / div, unit, verb,
		    (int)(done * 100 / p->total));
	else
		log_info("%s %s: %.1f %s %s so far", what, uri,
		    (double)done / div, unit, verb);
}

void
engine_lo_progress_done(const struct engine_lo_progress *p,
    const char *what, const char *uri, const char *verb, long long done,
    const char *tail)
{
	uint64_t ms = util_now_ms() - p->start_ms;
	const char *unit;
	double div;

	unit = unit_of(done, &div);
	log_info("%s %s: %.1f %s %s in %.1f s%s", what, uri,
	    (double)done / div, unit, verb, (double)ms / 1000.0,
	    tail != NULL ? tail : "");
}

void
engine_lo_drop(struct engine *e)
{
	struct engine_lo *lo = &e->lo;

	if (lo->fd >= 0)
		close(lo->fd);
	if (lo->path != NULL)
		unlink(lo->path);
	free(lo->path);
	free(lo->target);
	free(lo->source);
	free(lo->format);
	free(lo->type);
	free(lo->cmd);
	memset(lo, 0, sizeof(*lo));
	lo->fd = -1;
}

int
engine_lo_continues(const struct engine *e, const struct syncml_cmd *c)
{
	const struct engine_lo *lo = &e->lo;

	return lo->active && c->kind == lo->kind && c->nitems > 0 &&
	    c->items[0].target_uri != NULL &&
	    strcmp(c->items[0].target_uri, lo->target) == 0;
}

int
engine_lo_cutoff(struct engine *e, struct outq *q)
{
	struct syncml_item_out it;
	struct syncml_alert_out al;
	int rc;

	if (!e->lo.active)
		return 0;
	log_warnx("large object %s cut off after %zu bytes: a new command "
	    "came before its last chunk (Alert 1225)", e->lo.target,
	    e->lo.got);
	memset(&it, 0, sizeof(it));
	it.target_uri = e->lo.target;
	it.source_uri = e->lo.source;
	memset(&al, 0, sizeof(al));
	al.code = 1225;
	al.items = &it;
	al.nitems = 1;
	rc = outq_alert(q, &al);
	engine_lo_drop(e);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Starts a new object with the first chunk's command and Item. */
static int
lo_start(struct engine *e, const struct syncml_cmd *c,
    const struct syncml_item *it, const char *format, const char *type)
{
	struct engine_lo *lo = &e->lo;
	char *err = NULL;

	engine_lo_drop(e);
	if (e->opts.spool_dir == NULL)
		return DM_OPTIONAL_FEATURE;
	if (store_mkdirs(e->opts.spool_dir, &err) != 0) {
		log_warnx("large object: %s", err != NULL ? err : "no memory");
		free(err);
		return DM_COMMAND_FAILED;
	}
	lo->path = util_asprintf("%s/lo-XXXXXX", e->opts.spool_dir);
	lo->target = strdup(it->target_uri);
	lo->source = it->source_uri != NULL ? strdup(it->source_uri) : NULL;
	lo->format = format != NULL ? strdup(format) : NULL;
	lo->type = type != NULL ? strdup(type) : NULL;
	lo->cmd = strdup(c->name);
	if (lo->path == NULL || lo->target == NULL || lo->cmd == NULL) {
		engine_lo_drop(e);
		return DM_COMMAND_FAILED;
	}
	lo->fd = mkstemp(lo->path);
	if (lo->fd < 0) {
		log_warn("large object: %s", lo->path);
		free(lo->path);
		lo->path = NULL;
		engine_lo_drop(e);
		return DM_DEVICE_FULL;
	}
	lo->kind = c->kind;
	lo->declared = it->meta.size >= 0 ? it->meta.size : c->meta.size;
	lo->active = 1;
	if (e->opts.max_object > 0 && lo->declared > 0 &&
	    (size_t)lo->declared > e->opts.max_object) {
		log_warnx("large object for %s: %ld bytes, over our MaxObjSize "
		    "of %zu", lo->target, lo->declared, e->opts.max_object);
		engine_lo_drop(e);
		return DM_TOO_LARGE;
	}
	if (lo->declared >= 0)
		log_info("large object %s: receiving %ld bytes in chunks",
		    lo->target, lo->declared);
	else
		log_info("large object %s: receiving chunks (no Meta Size)",
		    lo->target);
	engine_lo_progress_start(&lo->progress, lo->declared);
	return DM_OK;
}

int
engine_lo_item(struct engine *e, const struct syncml_cmd *c,
    const struct syncml_item *it, const struct dm_uri *u,
    const char *format, const char *type)
{
	struct engine_lo *lo = &e->lo;
	struct csp_value in;
	char *msg = NULL, *tail;
	int st;

	if (!lo->active || strcmp(lo->target, it->target_uri) != 0 ||
	    lo->kind != c->kind) {
		st = lo_start(e, c, it, format, type);
		if (st != DM_OK)
			return st;
	}
	if (it->data != NULL && it->data_len > 0 &&
	    write_all(lo->fd, it->data, it->data_len) != 0) {
		log_warn("large object %s: %s", lo->target, lo->path);
		engine_lo_drop(e);
		return DM_DEVICE_FULL;
	}
	lo->got += it->data != NULL ? it->data_len : 0;
	if (e->opts.max_object > 0 && lo->got > e->opts.max_object) {
		log_warnx("large object %s: over our MaxObjSize of %zu bytes",
		    lo->target, e->opts.max_object);
		engine_lo_drop(e);
		return DM_TOO_LARGE;
	}
	if (lo->declared >= 0 && lo->got > (size_t)lo->declared) {
		log_warnx("large object %s: more than the %ld bytes announced",
		    lo->target, lo->declared);
		engine_lo_drop(e);
		return DM_SIZE_MISMATCH;
	}
	if (it->more_data) {
		log_debug("large object %s: %zu of %ld bytes", lo->target,
		    lo->got, lo->declared);
		engine_lo_progress_step(&lo->progress, "large object",
		    lo->target, "received", (long long)lo->got);
		return DM_CHUNK_ACCEPTED;
	}
	/* the last chunk */
	if (fsync(lo->fd) != 0 || close(lo->fd) != 0) {
		lo->fd = -1;
		engine_lo_drop(e);
		return DM_COMMAND_FAILED;
	}
	lo->fd = -1;
	if (lo->declared >= 0 && lo->got != (size_t)lo->declared) {
		log_warnx("large object %s: %zu bytes came, %ld were "
		    "announced: nothing is committed (424)", lo->target,
		    lo->got, lo->declared);
		engine_lo_drop(e);
		return DM_SIZE_MISMATCH;
	}
	memset(&in, 0, sizeof(in));
	in.file = lo->path;
	in.format = lo->format;
	in.type = lo->type;
	st = c->kind == SYNCML_CMD_ADD ?
	    tree_add(e->tree, &e->who, u, &in, &msg) :
	    tree_replace(e->tree, &e->who, u, &in, &msg);
	tail = util_asprintf(" (%zu bytes), %s %d%s%s", lo->got, lo->cmd, st,
	    msg != NULL ? ": " : "", msg != NULL ? msg : "");
	engine_lo_progress_done(&lo->progress, "large object", lo->target,
	    "received", (long long)lo->got, tail);
	free(tail);
	free(msg);
	engine_lo_drop(e);
	return st;
}
