/*
 * engine.c: one server message in, Status/Results out. See engine.h. The
 * per-Item commands live in engine_items.c, Atomic in engine_atomic.c.
 */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "dm_status.h"
#include "engine_int.h"
#include "outq.h"
#include "log.h"
#include "tree.h"
#include "util.h"

struct engine *
engine_new(struct tree *t, const struct engine_opts *opts)
{
	struct engine *e;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->tree = t;
	if (opts != NULL)
		e->opts = *opts;
	e->who.server_id = e->opts.server_id;
	e->who.session_id = e->opts.session_id;
	e->max_msg_size = -1;
	e->max_obj_size = -1;
	e->lo.fd = -1;
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	engine_lo_drop(e);	/* an unfinished object is not committed */
	free(e);
}

void
engine_result_free(struct engine_result *res)
{
	if (res == NULL)
		return;
	free(res->statuses);
	res->statuses = NULL;
	res->nstatuses = 0;
}

int
outcome_init(struct outcome *o, const struct syncml_cmd *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->n = cmd->nitems > 0 ? cmd->nitems : 1;
	if (o->n == 1) {
		o->codes = &o->code1;
		if (cmd->kind == SYNCML_CMD_GET)
			o->vals = &o->val1;
		outcome_set_all(o, DM_OK);
		return 0;
	}
	o->codes = calloc(o->n, sizeof(int));
	if (o->codes == NULL)
		return -1;
	if (cmd->kind == SYNCML_CMD_GET) {
		o->vals = calloc(o->n, sizeof(*o->vals));
		if (o->vals == NULL) {
			free(o->codes);
			o->codes = NULL;
			return -1;
		}
	}
	outcome_set_all(o, DM_OK);
	return 0;
}

void
outcome_set_all(struct outcome *o, int code)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		o->codes[i] = code;
}

void
outcome_free(struct outcome *o)
{
	size_t i;

	if (o->vals != NULL)
		for (i = 0; i < o->n; i++)
			csp_value_free(&o->vals[i]);
	if (o->vals != &o->val1)
		free(o->vals);
	if (o->codes != &o->code1)
		free(o->codes);
	memset(o, 0, sizeof(*o));
}

int
outcome_ok(const struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!DM_STATUS_OK(o->codes[i]))
			return 0;
	return 1;
}

int
outcome_has(const struct outcome *o, int code)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->codes[i] == code)
			return 1;
	return 0;
}

int
outcome_code(const struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!DM_STATUS_OK(o->codes[i]))
			return o->codes[i];
	return o->n > 0 ? o->codes[0] : DM_OK;
}

int
engine_is_item_cmd(const struct syncml_cmd *c)
{
	switch (c->kind) {
	case SYNCML_CMD_GET:
	case SYNCML_CMD_ADD:
	case SYNCML_CMD_REPLACE:
	case SYNCML_CMD_DELETE:
	case SYNCML_CMD_EXEC:
		return 1;
	default:
		return 0;
	}
}

/* Items of a Results built on the stack; more take an allocation. */
#define RESULTS_ITEMS_INLINE	8

/* Writes the Results of a Get: one command with every found Item. */
static int
emit_results(struct engine *e, struct outq *q, const char *msg_ref,
    const struct outcome *o)
{
	struct syncml_item_out items_inline[RESULTS_ITEMS_INLINE], *items;
	struct syncml_results_out res;
	char *owned_inline[RESULTS_ITEMS_INLINE], **owned;
	size_t i, n = 0;
	int rc = -1;

	(void)e;
	if (o->n <= RESULTS_ITEMS_INLINE) {
		items = items_inline;
		owned = owned_inline;
		memset(items, 0, o->n * sizeof(*items));
		memset(owned, 0, o->n * sizeof(*owned));
	} else {
		items = calloc(o->n, sizeof(*items));
		owned = calloc(o->n, sizeof(*owned));
		if (items == NULL || owned == NULL)
			goto out;
	}
	for (i = 0; i < o->n && i < o->cmd->nitems; i++) {
		const struct csp_value *v = &o->vals[i];
		struct syncml_item_out *it = &items[n];

		if (o->codes[i] != DM_OK)
			continue;
		it->source_uri = o->cmd->items[i].target_uri;
		it->format = v->format;
		it->type = v->type;
		if (v->format != NULL && strcmp(v->format, "node") == 0) {
			owned[i] = tree_join_children(v->children,
			    v->nchildren);
			if (owned[i] == NULL)
				goto out;
			it->data = owned[i];
			it->data_len = strlen(owned[i]);
		} else if (v->has_fd) {
			/* a value held in a file: outq reads it as it goes
			 * (and chooses text or b64 by the same rule) */
			it->file = 1;
			it->fd = v->fd;
			it->file_size = (long long)v->len;
		} else if ((v->format != NULL && strcmp(v->format, "bin") ==
		    0) || !syncml_text_valid(v->data != NULL ? v->data : "",
		    v->len)) {
			/* bytes XML cannot carry travel as b64 */
			owned[i] = b64_encode(v->data != NULL ? v->data : "",
			    v->len);
			if (owned[i] == NULL)
				goto out;
			it->data = owned[i];
			it->data_len = strlen(owned[i]);
			it->format = "b64";
		} else {
			it->data = v->data != NULL ? v->data : "";
			it->data_len = v->len;
		}
		if (it->format != NULL && strcmp(it->format, "chr") == 0)
			it->format = NULL;	/* the default is not sent */
		if (it->type != NULL && strcmp(it->type, "text/plain") == 0)
			it->type = NULL;
		n++;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	memset(&res, 0, sizeof(res));
	res.msg_ref = msg_ref;
	res.cmd_ref = o->cmd->cmd_id;
	res.items = items;
	res.nitems = n;
	rc = outq_results(q, &res);
out:
	if (owned != NULL)
		for (i = 0; i < o->n; i++)
			free(owned[i]);
	if (owned != owned_inline)
		free(owned);
	if (items != items_inline)
		free(items);
	return rc;
}

int
engine_emit(struct engine *e, struct outq *q, const char *msg_ref,
    const struct outcome *o)
{
	const struct syncml_cmd *c = o->cmd;
	struct syncml_status_out st;
	const char *ref;
	size_t i;
	int same = 1;

	if (c->no_resp && c->has_cmd_id)
		return 0;
	memset(&st, 0, sizeof(st));
	st.msg_ref = msg_ref;
	st.cmd_ref = c->has_cmd_id ? c->cmd_id : "";
	st.cmd = c->name;
	for (i = 1; i < o->n; i++)
		if (o->codes[i] != o->codes[0])
			same = 0;
	if (same || c->nitems <= 1) {
		st.code = o->codes[0];
		if (outq_status(q, &st) != 0)
			return -1;
	} else {
		for (i = 0; i < o->n; i++) {
			st.code = o->codes[i];
			ref = c->items[i].target_uri;
			st.target_refs = ref != NULL ? &ref : NULL;
			st.ntarget_refs = ref != NULL ? 1 : 0;
			if (outq_status(q, &st) != 0)
				return -1;
		}
	}
	if (c->kind == SYNCML_CMD_GET && o->vals != NULL)
		return emit_results(e, q, msg_ref, o);
	return 0;
}

static int emit_simple(struct outq *, const char *,
    const struct syncml_cmd *, int);

int
engine_emit_inner(struct outq *q, const char *msg_ref,
    const struct syncml_cmd *c, int code)
{
	size_t i;

	for (i = 0; i < c->ncmds; i++) {
		if (emit_simple(q, msg_ref, &c->cmds[i], code) != 0 ||
		    engine_emit_inner(q, msg_ref, &c->cmds[i], code) != 0)
			return -1;
	}
	return 0;
}

/* A Status with one code for a command (no Items considered). */
static int
emit_simple(struct outq *q, const char *msg_ref,
    const struct syncml_cmd *c, int code)
{
	struct syncml_status_out st;

	if (c->no_resp && c->has_cmd_id)
		return 0;
	memset(&st, 0, sizeof(st));
	st.msg_ref = msg_ref;
	st.cmd_ref = c->has_cmd_id ? c->cmd_id : "";
	st.cmd = c->name;
	st.code = code;
	return outq_status(q, &st);
}

int
engine_alert_code(struct engine *e, const struct syncml_cmd *c,
    struct engine_result *res)
{
	switch (c->code) {
	case 1222:
		if (res == NULL)
			return DM_OPTIONAL_FEATURE;
		res->next_requested = 1;
		return DM_OK;
	case 1223:
		if (res == NULL)
			return DM_OPTIONAL_FEATURE;
		res->abort = 1;
		return DM_OK;
	case 1100:
	case 1102:
	case 1103:
	case 1104:
		return e->opts.ui_policy == ENGINE_UI_ACCEPT ? DM_OK :
		    DM_OPTIONAL_FEATURE;
	case 1101:
		if (e->opts.ui_policy == ENGINE_UI_ACCEPT)
			return DM_OK;
		if (e->opts.ui_policy == ENGINE_UI_REJECT)
			return 304;	/* the user said no */
		return DM_OPTIONAL_FEATURE;
	default:
		log_info("server sent Alert %s, which a client does not "
		    "handle", c->data != NULL ? c->data : "(no code)");
		return DM_OPTIONAL_FEATURE;
	}
}

static int run_cmd(struct engine *, const struct syncml_cmd *, const char *,
    struct outq *, struct engine_result *, int);

/*
 * Sequence: its own Status (200 once it starts), then the children in
 * order. A failed child does not stop the Sequence (OMA DM RepPro); an
 * abort (1223) or a UI confirmation not answered 200 does, and what is
 * left gets 215.
 */
static int
run_sequence(struct engine *e, const struct syncml_cmd *c,
    const char *msg_ref, struct outq *q, struct engine_result *res)
{
	size_t i;
	int stop = 0, code;

	if (emit_simple(q, msg_ref, c, DM_OK) != 0)
		return -1;
	for (i = 0; i < c->ncmds; i++) {
		const struct syncml_cmd *k = &c->cmds[i];

		if (stop) {
			if (emit_simple(q, msg_ref, k, DM_NOT_EXECUTED) != 0 ||
			    engine_emit_inner(q, msg_ref, k,
			    DM_NOT_EXECUTED) != 0)
				return -1;
			continue;
		}
		if (k->kind == SYNCML_CMD_SEQUENCE) {
			/* the DTD does not allow Sequence in Sequence */
			if (emit_simple(q, msg_ref, k, DM_BAD_REQUEST) != 0 ||
			    engine_emit_inner(q, msg_ref, k,
			    DM_NOT_EXECUTED) != 0)
				return -1;
			continue;
		}
		if (k->kind == SYNCML_CMD_ALERT && k->has_cmd_id) {
			code = engine_alert_code(e, k, res);
			if (emit_simple(q, msg_ref, k, code) != 0)
				return -1;
			if (res->abort || (k->code == 1101 && code != DM_OK))
				stop = 1;
			continue;
		}
		if (run_cmd(e, k, msg_ref, q, res, 1) != 0)
			return -1;
		if (res->abort || res->cancelled)
			stop = 1;
	}
	return 0;
}

/* Runs one command of SyncBody (or of a Sequence) and writes its reply. */
static int
run_cmd(struct engine *e, const struct syncml_cmd *c, const char *msg_ref,
    struct outq *q, struct engine_result *res, int in_sequence)
{
	struct outcome o;
	int rc;

	(void)in_sequence;
	if (!c->has_cmd_id) {
		/* "the client returns blank in the status element and 400" */
		return emit_simple(q, msg_ref, c, DM_BAD_REQUEST);
	}
	switch (c->kind) {
	case SYNCML_CMD_GET:
	case SYNCML_CMD_ADD:
	case SYNCML_CMD_REPLACE:
	case SYNCML_CMD_DELETE:
	case SYNCML_CMD_EXEC:
		res->commands = 1;
		if (engine_run_items(e, c, &o) != 0)
			return -1;
		if (outcome_has(&o, DM_CANCELLED))
			res->cancelled = 1;
		rc = engine_emit(e, q, msg_ref, &o);
		outcome_free(&o);
		return rc;
	case SYNCML_CMD_ALERT:
		res->commands = 1;
		return emit_simple(q, msg_ref, c, engine_alert_code(e, c, res));
	case SYNCML_CMD_ATOMIC:
		res->commands = 1;
		return engine_atomic(e, c, msg_ref, q);
	case SYNCML_CMD_SEQUENCE:
		res->commands = 1;
		return run_sequence(e, c, msg_ref, q, res);
	case SYNCML_CMD_COPY:
	case SYNCML_CMD_MAP:
	case SYNCML_CMD_MOVE:
	case SYNCML_CMD_PUT:
	case SYNCML_CMD_SEARCH:
	case SYNCML_CMD_SYNC:
		/* SyncML commands OMA DM does not use */
		res->commands = 1;
		return emit_simple(q, msg_ref, c, DM_OPTIONAL_FEATURE);
	case SYNCML_CMD_STATUS:
	case SYNCML_CMD_RESULTS:
		/* not valid inside a Sequence */
		return emit_simple(q, msg_ref, c, DM_BAD_REQUEST);
	default:
		res->commands = 1;
		return emit_simple(q, msg_ref, c, DM_BAD_REQUEST);
	}
}

/* Checks the server's SyncHdr; returns a reason when it is invalid. */
static const char *
hdr_invalid(const struct syncml_hdr *h)
{
	if (h->ver_dtd == NULL || (strcmp(h->ver_dtd, "1.2") != 0 &&
	    strcmp(h->ver_dtd, "1.1") != 0))
		return "VerDTD is not 1.2";
	if (h->ver_proto == NULL || (strcmp(h->ver_proto, "DM/1.2") != 0 &&
	    strcmp(h->ver_proto, "DM/1.1") != 0))
		return "VerProto is not DM/1.2";
	if (h->session_id == NULL || h->session_id[0] == '\0')
		return "no SessionID";
	if (h->msg_id == NULL || h->msg_id[0] == '\0')
		return "no MsgID";
	if (h->source_uri == NULL || h->source_uri[0] == '\0')
		return "no Source LocURI";
	if (h->target_uri == NULL || h->target_uri[0] == '\0')
		return "no Target LocURI";
	return NULL;
}

static int
collect_status(struct engine_result *res, const struct syncml_cmd *c)
{
	const struct syncml_cmd **n;

	n = realloc(res->statuses, (res->nstatuses + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	res->statuses = n;
	res->statuses[res->nstatuses++] = c;
	return 0;
}

int
engine_process(struct engine *e, const struct syncml_msg *msg,
    const struct engine_hdr *hdr, struct syncml_writer *w, struct outq *q,
    struct engine_result *res)
{
	struct syncml_status_out st;
	const char *why, *msg_ref;
	size_t i, start;
	int code, execute;

	memset(res, 0, sizeof(*res));
	res->final = msg->final;
	why = hdr_invalid(&msg->hdr);
	res->hdr_valid = why == NULL;
	msg_ref = msg->hdr.msg_id != NULL ? msg->hdr.msg_id : "0";
	code = hdr != NULL ? hdr->code : DM_OK;
	execute = hdr != NULL ? hdr->execute : 1;
	if (why != NULL) {
		log_warnx("the server's SyncHdr is invalid (%s): answering 500 "
		    "and running none of its commands", why);
		code = DM_COMMAND_FAILED;
		execute = 0;
	}
	if (res->hdr_valid && e->opts.honour_hdr_meta) {
		if (msg->hdr.meta.max_msg_size > 0)
			e->max_msg_size = msg->hdr.meta.max_msg_size;
		if (msg->hdr.meta.max_obj_size > 0)
			e->max_obj_size = msg->hdr.meta.max_obj_size;
	}
	res->max_msg_size = e->max_msg_size;
	res->max_obj_size = e->max_obj_size;

	memset(&st, 0, sizeof(st));
	st.msg_ref = msg_ref;
	st.cmd_ref = "0";
	st.cmd = "SyncHdr";
	st.code = code;
	st.chal = hdr != NULL && why == NULL ? hdr->chal : NULL;
	/* the SyncHdr Status goes first into this very message */
	if (syncml_emit_status(w, &st) == 0)
		return -1;
	if (code != DM_OK && code != DM_AUTH_ACCEPTED)
		res->replied = 1;
	start = outq_len(q);

	for (i = 0; i < msg->ncmds; i++) {
		const struct syncml_cmd *c = &msg->cmds[i];

		if (c->kind == SYNCML_CMD_STATUS) {
			if (collect_status(res, c) != 0)
				return -1;
			continue;
		}
		if (c->kind == SYNCML_CMD_RESULTS)
			continue;	/* no Status for a Results (RepPro) */
		if (!execute) {
			/* a refused header: nothing runs */
			if (c->kind != SYNCML_CMD_UNKNOWN)
				res->commands = 1;
			if (emit_simple(q, msg_ref, c, why != NULL ?
			    DM_NOT_EXECUTED : code) != 0 ||
			    engine_emit_inner(q, msg_ref, c, why != NULL ?
			    DM_NOT_EXECUTED : code) != 0)
				return -1;
			continue;
		}
		if (res->cancelled) {
			/* a command answered 214: nothing more runs */
			if (emit_simple(q, msg_ref, c, DM_NOT_EXECUTED) != 0 ||
			    engine_emit_inner(q, msg_ref, c,
			    DM_NOT_EXECUTED) != 0)
				return -1;
			continue;
		}
		if (e->lo.active && !engine_lo_continues(e, c) &&
		    engine_lo_cutoff(e, q) != 0)
			return -1;
		if (run_cmd(e, c, msg_ref, q, res, 0) != 0)
			return -1;
		if (res->abort)
			break;	/* 1223: nothing more runs */
	}
	if (outq_len(q) != start)
		res->replied = 1;
	if (tree_flush(e->tree) != 200)
		log_warnx("some CSP could not save its state after message %s",
		    msg_ref);
	return 0;
}
