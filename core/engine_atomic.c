/*
 * engine_atomic.c: Atomic — all or nothing.
 *
 * Before anything runs, the children are checked: a nested Atomic (or a
 * Sequence), a Get, or a Replace of a node an earlier Add of the same
 * Atomic created makes the Atomic fail at once (that child 500, others 215,
 * the Atomic 507) as the reference document says; a child without CmdID or
 * that is no DM command gets 400 the same way.
 *
 * Then the children run in order. A CSP that defines begin/commit/rollback
 * takes part through them; for the others the core keeps an undo log: the
 * value before a Replace, the whole subtree before a Delete, the topmost
 * node an Add created. On the first failure everything done is undone in
 * reverse: rolled-back children get 216 (516 when the undo failed, or for
 * an Exec, which cannot be undone), those not run 215, the Atomic 507.
 */
#include <stdlib.h>
#include <string.h>

#include "dm_status.h"
#include "engine_int.h"
#include "outq.h"
#include "log.h"
#include "tree.h"
#include "uri.h"
#include "util.h"

#define SNAP_MAX_NODES	10000	/* a Delete larger than this cannot be
				   undone, so it is refused in an Atomic */

enum undo_kind {
	UNDO_DELETE,	/* delete uri (undoes an Add) */
	UNDO_REPLACE,	/* put the old value back */
	UNDO_READD,	/* add the saved subtree back */
	UNDO_NONE	/* cannot be undone (Exec) */
};

struct snap {
	char		*uri;
	struct csp_value v;
};

struct undo {
	enum undo_kind	 kind;
	size_t		 child;
	char		*uri;
	struct csp_value val;
	struct snap	*nodes;
	size_t		 nnodes;
};

struct atomic {
	struct engine	*e;
	struct undo	*log;
	size_t		 nlog;
	struct csp	**tx;	/* CSPs begun */
	size_t		 ntx;
	int		*tx_child;	/* 1 when child i ran on a tx CSP */
};

/* Writes the URI of the first n segments of u, keeping its scope. */
static char *
prefix_uri(const struct dm_uri *u, size_t n)
{
	char *j, *s;

	j = uri_join(u->seg, n);
	if (j == NULL || !u->scoped)
		return j;
	s = util_asprintf("./%s%s%s", u->scope == DM_SCOPE_USER ? "User" :
	    "Device", n > 0 ? "/" : "", n > 0 ? j + 2 : "");
	free(j);
	return s;
}

static void
undo_free(struct undo *d)
{
	size_t i;

	free(d->uri);
	csp_value_free(&d->val);
	for (i = 0; i < d->nnodes; i++) {
		free(d->nodes[i].uri);
		csp_value_free(&d->nodes[i].v);
	}
	free(d->nodes);
}

/* The administrator acts for rollback: ACLs must not block an undo. */
static const struct tree_who admin = { NULL, NULL };

static struct undo *
undo_push(struct atomic *a, enum undo_kind kind, size_t child)
{
	struct undo *n;

	n = realloc(a->log, (a->nlog + 1) * sizeof(*n));
	if (n == NULL)
		return NULL;
	a->log = n;
	memset(&a->log[a->nlog], 0, sizeof(*n));
	a->log[a->nlog].kind = kind;
	a->log[a->nlog].child = child;
	return &a->log[a->nlog++];
}

/* Saves the subtree at uri, top down. 0, or -1 when it cannot. */
static int
snapshot(struct engine *e, const char *uri, struct undo *d, int depth)
{
	struct dm_uri u;
	struct csp_value v;
	struct snap *n;
	char *child, *esc;
	size_t i, me;
	int st;

	if (d->nnodes >= SNAP_MAX_NODES || depth > URI_MAX_DEPTH)
		return -1;
	if (uri_parse(uri, &u, NULL) != 0)
		return -1;
	st = tree_get(e->tree, &admin, &u, &v, NULL);
	uri_free(&u);
	if (st != DM_OK)
		return -1;
	n = realloc(d->nodes, (d->nnodes + 1) * sizeof(*n));
	if (n == NULL) {
		csp_value_free(&v);
		return -1;
	}
	d->nodes = n;
	me = d->nnodes++;
	d->nodes[me].uri = strdup(uri);
	d->nodes[me].v = v;
	if (d->nodes[me].uri == NULL)
		return -1;
	if (v.format == NULL || strcmp(v.format, "node") != 0)
		return 0;
	for (i = 0; i < d->nodes[me].v.nchildren; i++) {
		esc = uri_escape_segment(d->nodes[me].v.children[i]);
		child = esc != NULL ? util_asprintf("%s/%s", uri, esc) : NULL;
		free(esc);
		if (child == NULL || snapshot(e, child, d, depth + 1) != 0) {
			free(child);
			return -1;
		}
		free(child);
	}
	return 0;
}

/* Records how to undo item it of child before it runs. 0 or -1. */
static int
undo_prepare(struct atomic *a, const struct syncml_cmd *c, size_t child,
    const struct syncml_item *it)
{
	struct engine *e = a->e;
	struct csp_info info;
	struct dm_uri u;
	struct undo *d;
	size_t n;
	int st, rc = 0;

	if (it->target_uri == NULL || uri_parse(it->target_uri, &u, NULL) != 0)
		return 0;	/* the item will fail by itself */
	switch (c->kind) {
	case SYNCML_CMD_REPLACE:
		d = undo_push(a, UNDO_REPLACE, child);
		if (d == NULL)
			goto fail;
		d->uri = strdup(it->target_uri);
		st = tree_get(e->tree, &admin, &u, &d->val, NULL);
		if (st != DM_OK)	/* unreadable: cannot be put back */
			d->kind = UNDO_NONE;
		if (d->uri == NULL)
			goto fail;
		break;
	case SYNCML_CMD_DELETE:
		d = undo_push(a, UNDO_READD, child);
		if (d == NULL)
			goto fail;
		if (snapshot(e, it->target_uri, d, 0) != 0) {
			/* nothing to save means the Delete fails anyway;
			 * a subtree too large to save cannot be undone */
			st = tree_stat(e->tree, &admin, &u, &info, NULL);
			csp_info_free(&info);
			if (st == DM_OK)
				rc = 1;
			d->kind = UNDO_NONE;
		}
		break;
	case SYNCML_CMD_ADD:
		/* the topmost node the Add (with implicit Adds) creates */
		for (n = u.nseg; n > 1; n--) {
			struct dm_uri up = u;

			up.nseg = n - 1;
			st = tree_stat(e->tree, &admin, &up, &info, NULL);
			csp_info_free(&info);
			if (st == DM_OK)
				break;
		}
		d = undo_push(a, UNDO_DELETE, child);
		if (d == NULL)
			goto fail;
		d->uri = prefix_uri(&u, n);
		if (d->uri == NULL)
			goto fail;
		break;
	default:
		d = undo_push(a, UNDO_NONE, child);
		if (d == NULL)
			goto fail;
	}
	uri_free(&u);
	return rc;
fail:
	uri_free(&u);
	return -1;
}

/* Applies one undo entry. Returns 1 when it worked. */
static int
undo_apply(struct engine *e, struct undo *d)
{
	struct dm_uri u;
	size_t i;
	int st, ok = 1;

	switch (d->kind) {
	case UNDO_NONE:
		return 0;
	case UNDO_DELETE:
		if (uri_parse(d->uri, &u, NULL) != 0)
			return 0;
		st = tree_delete(e->tree, &admin, &u, NULL);
		uri_free(&u);
		return st == DM_OK || st == DM_NOT_FOUND;
	case UNDO_REPLACE:
		if (uri_parse(d->uri, &u, NULL) != 0)
			return 0;
		st = tree_replace(e->tree, &admin, &u, &d->val, NULL);
		uri_free(&u);
		return DM_STATUS_OK(st);
	case UNDO_READD:
		for (i = 0; i < d->nnodes; i++) {
			if (uri_parse(d->nodes[i].uri, &u, NULL) != 0)
				return 0;
			st = tree_add(e->tree, &admin, &u, &d->nodes[i].v,
			    NULL);
			uri_free(&u);
			if (!DM_STATUS_OK(st) && st != DM_ALREADY_EXISTS)
				ok = 0;
		}
		return ok;
	}
	return 0;
}

/* Begins a transaction on the CSP of it when it takes part that way. */
static int
tx_join(struct atomic *a, const struct syncml_item *it, int *is_tx)
{
	struct csp_ctx ctx;
	struct dm_uri u;
	struct csp *c, **n;
	size_t i;
	int st;

	*is_tx = 0;
	if (it->target_uri == NULL || uri_parse(it->target_uri, &u, NULL) != 0)
		return DM_OK;
	c = tree_csp_of(a->e->tree, &u, NULL);
	uri_free(&u);
	if (c == NULL || !csp_has_tx(c))
		return DM_OK;
	*is_tx = 1;
	for (i = 0; i < a->ntx; i++)
		if (a->tx[i] == c)
			return DM_OK;
	memset(&ctx, 0, sizeof(ctx));
	ctx.server_id = a->e->who.server_id;
	ctx.session_id = a->e->who.session_id;
	st = csp_begin(c, &ctx, NULL);
	if (!DM_STATUS_OK(st))
		return st;
	n = realloc(a->tx, (a->ntx + 1) * sizeof(*n));
	if (n == NULL)
		return DM_COMMAND_FAILED;
	a->tx = n;
	a->tx[a->ntx++] = c;
	return DM_OK;
}

/* Pre-check: 0 when the Atomic may run, else the offending codes set. */
static int
precheck(const struct syncml_cmd *a, struct outcome *o)
{
	const struct syncml_cmd *k;
	struct dm_uri u;
	char **added = NULL, *key, **na;
	size_t nadded = 0, i, j, m;
	int bad = 0, code;

	for (i = 0; i < a->ncmds; i++) {
		k = &a->cmds[i];
		code = 0;
		if (!k->has_cmd_id)
			code = DM_BAD_REQUEST;
		else if (k->kind == SYNCML_CMD_ATOMIC ||
		    k->kind == SYNCML_CMD_SEQUENCE || k->kind == SYNCML_CMD_GET)
			code = DM_COMMAND_FAILED;
		else if (k->kind == SYNCML_CMD_UNKNOWN ||
		    k->kind == SYNCML_CMD_STATUS ||
		    k->kind == SYNCML_CMD_RESULTS)
			code = DM_BAD_REQUEST;
		else if (!engine_is_item_cmd(k) && k->kind !=
		    SYNCML_CMD_ALERT)
			code = DM_OPTIONAL_FEATURE;
		for (j = 0; code == 0 && j < k->nitems; j++)
			if (k->items[j].more_data)
				code = DM_BAD_REQUEST;	/* must fit one
							   message */
		for (j = 0; code == 0 && j < k->nitems; j++) {
			if (k->items[j].target_uri == NULL ||
			    uri_parse(k->items[j].target_uri, &u, NULL) != 0)
				continue;
			key = uri_join(u.seg, u.nseg);
			if (key != NULL && u.scope == DM_SCOPE_USER) {
				char *k2 = util_asprintf("user:%s", key);

				free(key);
				key = k2;
			}
			uri_free(&u);
			if (key == NULL)
				continue;
			if (k->kind == SYNCML_CMD_REPLACE) {
				for (m = 0; m < nadded; m++)
					if (strcmp(added[m], key) == 0)
						code = DM_COMMAND_FAILED;
				free(key);
			} else if (k->kind == SYNCML_CMD_ADD) {
				na = realloc(added, (nadded + 1) *
				    sizeof(*na));
				if (na == NULL) {
					free(key);
					continue;
				}
				added = na;
				added[nadded++] = key;
			} else
				free(key);
		}
		if (code != 0) {
			outcome_set_all(&o[i], code);
			bad = 1;
		}
	}
	for (m = 0; m < nadded; m++)
		free(added[m]);
	free(added);
	if (!bad)
		return 0;
	for (i = 0; i < a->ncmds; i++)
		if (outcome_ok(&o[i]))
			outcome_set_all(&o[i], DM_NOT_EXECUTED);
	log_info("Atomic %s refused before it ran (a nested Atomic, a Get, "
	    "an Add then Replace of one node, or a bad command inside)",
	    a->cmd_id);
	return 1;
}

/* Runs child i (all its items). Returns 0 ok, 1 failed, -1 ENOMEM. */
static int
run_child(struct atomic *a, const struct syncml_cmd *k, size_t i,
    struct outcome *o)
{
	size_t j;
	int is_tx, st, rc;

	if (k->kind == SYNCML_CMD_ALERT) {
		o->codes[0] = engine_alert_code(a->e, k, NULL);
		o->executed = 1;
		return DM_STATUS_OK(o->codes[0]) ? 0 : 1;
	}
	if (k->nitems == 0 || (k->kind == SYNCML_CMD_EXEC && k->nitems > 1)) {
		outcome_set_all(o, DM_BAD_REQUEST);
		return 1;
	}
	for (j = 0; j < k->nitems; j++) {
		st = tx_join(a, &k->items[j], &is_tx);
		if (!DM_STATUS_OK(st)) {
			o->codes[j] = st;
			while (++j < k->nitems)
				o->codes[j] = DM_NOT_EXECUTED;
			return 1;
		}
		if (is_tx)
			a->tx_child[i] = 1;
		else {
			rc = undo_prepare(a, k, i, &k->items[j]);
			if (rc < 0)
				return -1;
			if (rc > 0) {
				log_warnx("Atomic: %s is too large to be "
				    "restored on failure; refused",
				    k->items[j].target_uri);
				o->codes[j] = DM_COMMAND_FAILED;
				while (++j < k->nitems)
					o->codes[j] = DM_NOT_EXECUTED;
				return 1;
			}
		}
		o->executed = 1;
		o->codes[j] = engine_run_item(a->e, k, &k->items[j], NULL);
		if (!DM_STATUS_OK(o->codes[j])) {
			while (++j < k->nitems)
				o->codes[j] = DM_NOT_EXECUTED;
			return 1;
		}
	}
	return 0;
}

/* Undoes everything, sets 216/516 on what ran. */
static void
rollback(struct atomic *a, const struct syncml_cmd *at, struct outcome *o,
    size_t failed)
{
	struct csp_ctx ctx;
	int *undo_ok;
	size_t i, j;
	int st;

	undo_ok = calloc(at->ncmds + 1, sizeof(int));
	for (i = 0; undo_ok != NULL && i < at->ncmds; i++)
		undo_ok[i] = 1;
	for (i = a->nlog; i-- > 0;)
		if (!undo_apply(a->e, &a->log[i]) && undo_ok != NULL) {
			log_warnx("Atomic %s: could not undo child %zu",
			    at->cmd_id, a->log[i].child + 1);
			undo_ok[a->log[i].child] = 0;
		}
	memset(&ctx, 0, sizeof(ctx));
	ctx.server_id = a->e->who.server_id;
	for (j = 0; j < a->ntx; j++) {
		st = csp_rollback(a->tx[j], &ctx, NULL);
		if (!DM_STATUS_OK(st)) {
			log_warnx("Atomic %s: CSP %s could not roll back",
			    at->cmd_id, csp_name(a->tx[j]));
			for (i = 0; undo_ok != NULL && i < at->ncmds; i++)
				if (a->tx_child[i])
					undo_ok[i] = 0;
		}
	}
	for (i = 0; i < at->ncmds; i++) {
		if (i > failed) {
			outcome_set_all(&o[i], DM_NOT_EXECUTED);
			continue;
		}
		for (j = 0; j < o[i].n; j++) {
			if (o[i].codes[j] == DM_NOT_EXECUTED ||
			    !DM_STATUS_OK(o[i].codes[j]))
				continue;	/* a failure keeps its code */
			o[i].codes[j] = undo_ok != NULL && undo_ok[i] ?
			    DM_ATOMIC_ROLLBACK_OK : DM_ATOMIC_ROLLBACK_FAILED;
		}
	}
	free(undo_ok);
}

int
engine_atomic(struct engine *e, const struct syncml_cmd *at,
    const char *msg_ref, struct outq *q)
{
	struct syncml_status_out st;
	struct atomic a;
	struct outcome *o;
	struct csp_ctx ctx;
	size_t i, failed = (size_t)-1;
	int rc = -1, code = DM_OK, r;

	memset(&a, 0, sizeof(a));
	a.e = e;
	o = calloc(at->ncmds + 1, sizeof(*o));
	a.tx_child = calloc(at->ncmds + 1, sizeof(int));
	if (o == NULL || a.tx_child == NULL)
		goto out;
	for (i = 0; i < at->ncmds; i++)
		if (outcome_init(&o[i], &at->cmds[i]) != 0)
			goto out;
	if (at->ncmds == 0) {
		code = DM_BAD_REQUEST;
	} else if (precheck(at, o)) {
		code = DM_ATOMIC_FAILED;
	} else {
		for (i = 0; i < at->ncmds; i++) {
			r = run_child(&a, &at->cmds[i], i, &o[i]);
			if (r < 0)
				goto out;
			if (r > 0) {
				failed = i;
				break;
			}
		}
		if (failed != (size_t)-1) {
			rollback(&a, at, o, failed);
			code = DM_ATOMIC_FAILED;
		} else {
			memset(&ctx, 0, sizeof(ctx));
			ctx.server_id = e->who.server_id;
			for (i = 0; i < a.ntx; i++)
				if (!DM_STATUS_OK(csp_commit(a.tx[i], &ctx,
				    NULL))) {
					log_warnx("Atomic %s: CSP %s could not "
					    "commit", at->cmd_id,
					    csp_name(a.tx[i]));
					code = DM_ATOMIC_FAILED;
				}
		}
	}
	if (!(at->no_resp && at->has_cmd_id)) {
		memset(&st, 0, sizeof(st));
		st.msg_ref = msg_ref;
		st.cmd_ref = at->cmd_id;
		st.cmd = at->name;
		st.code = code;
		if (outq_status(q, &st) != 0)
			goto out;
	}
	for (i = 0; i < at->ncmds; i++)
		if (engine_emit(e, q, msg_ref, &o[i]) != 0 ||
		    engine_emit_inner(q, msg_ref, &at->cmds[i],
		    DM_NOT_EXECUTED) != 0)
			goto out;
	rc = 0;
out:
	if (o != NULL)
		for (i = 0; i < at->ncmds; i++)
			outcome_free(&o[i]);
	free(o);
	for (i = 0; i < a.nlog; i++)
		undo_free(&a.log[i]);
	free(a.log);
	free(a.tx);
	free(a.tx_child);
	return rc;
}
