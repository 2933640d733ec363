/*
 * engine_items.c: Get, Add, Replace, Delete and Exec, Item by Item,
 * against the tree. Each Item gets its own code in the outcome; engine_emit
 * folds equal codes into one Status.
 */
#include <stdlib.h>
#include <string.h>

#include "dm_status.h"
#include "engine_int.h"
#include "log.h"
#include "tree.h"
#include "uri.h"
#include "util.h"

/* The Meta Format/Type of an Item, falling back on the command's Meta. */
static const char *
item_format(const struct syncml_cmd *c, const struct syncml_item *it)
{
	if (it->meta.format != NULL)
		return it->meta.format;
	return c->meta.format;
}

static const char *
item_type(const struct syncml_cmd *c, const struct syncml_item *it)
{
	if (it->meta.type != NULL)
		return it->meta.type;
	return c->meta.type;
}

int
engine_run_item(struct engine *e, const struct syncml_cmd *c,
    const struct syncml_item *it, struct csp_value *out)
{
	struct csp_value in;
	struct dm_uri u;
	struct csp *csp;
	const char *why = NULL, *fmt;
	char *msg = NULL;
	size_t mount;
	int st;

	if (it->target_uri == NULL) {
		log_info("%s %s: an Item without Target", c->name,
		    c->cmd_id);
		return DM_BAD_REQUEST;
	}
	st = uri_parse(it->target_uri, &u, &why);
	if (st != 0) {
		log_info("%s %s: %s: %s", c->name, c->cmd_id, it->target_uri,
		    why != NULL ? why : "bad URI");
		return st;
	}
	if ((c->kind == SYNCML_CMD_ADD || c->kind == SYNCML_CMD_REPLACE) &&
	    (it->more_data || (e->lo.active &&
	    strcmp(e->lo.target, it->target_uri) == 0))) {
		/* a chunk of a large object, or its last one */
		st = engine_lo_item(e, c, it, &u, item_format(c, it),
		    item_type(c, it));
		uri_free(&u);
		return st;
	}
	if (it->more_data) {
		log_warnx("%s %s: %s: MoreData in a command that takes no "
		    "large object", c->name, c->cmd_id, it->target_uri);
		uri_free(&u);
		return DM_BAD_REQUEST;
	}
	memset(&in, 0, sizeof(in));
	/* no Format: NULL, and the CSP takes the node's own format */
	fmt = item_format(c, it);
	in.format = (char *)fmt;
	in.type = (char *)item_type(c, it);
	if (fmt == NULL || strcmp(fmt, "node") != 0) {
		in.data = (char *)(it->data != NULL ? it->data : "");
		in.len = it->data != NULL ? it->data_len : 0;
	}
	switch (c->kind) {
	case SYNCML_CMD_GET:
		/* a value held in a file stays there: outq sends it from
		 * the file, chunk by chunk (engine_emit) */
		csp = tree_csp_of(e->tree, &u, &mount);
		if (csp != NULL)
			csp_take_files(csp, 1);
		st = tree_get(e->tree, &e->who, &u, out, &msg);
		if (csp != NULL)
			csp_take_files(csp, 0);
		if (st == DM_OK && e->max_obj_size > 0 &&
		    out->len > (size_t)e->max_obj_size) {
			/* larger than the server takes: an error for this
			 * Get, and the session goes on */
			msg = util_asprintf("%zu bytes, over the server's "
			    "MaxObjSize of %ld", out->len, e->max_obj_size);
			csp_value_free(out);
			st = DM_TOO_LARGE;
		}
		break;
	case SYNCML_CMD_ADD:
		st = tree_add(e->tree, &e->who, &u, &in, &msg);
		break;
	case SYNCML_CMD_REPLACE:
		st = tree_replace(e->tree, &e->who, &u, &in, &msg);
		break;
	case SYNCML_CMD_DELETE:
		st = tree_delete(e->tree, &e->who, &u, &msg);
		break;
	case SYNCML_CMD_EXEC:
		st = tree_exec(e->tree, &e->who, &u, it->data,
		    it->data != NULL ? it->data_len : 0, c->correlator, &msg);
		break;
	default:
		st = DM_BAD_REQUEST;
	}
	if (!DM_STATUS_OK(st))
		log_info("%s %s: %s: %d %s", c->name, c->cmd_id,
		    it->target_uri, st, msg != NULL ? msg :
		    dm_status_text(st));
	else
		log_debug("%s %s: %s: %d", c->name, c->cmd_id, it->target_uri,
		    st);
	free(msg);
	uri_free(&u);
	return st;
}

int
engine_run_items(struct engine *e, const struct syncml_cmd *c,
    struct outcome *o)
{
	size_t i;

	if (outcome_init(o, c) != 0)
		return -1;
	if (c->nitems == 0) {
		/* a command needs at least one Item */
		outcome_set_all(o, DM_BAD_REQUEST);
		return 0;
	}
	if (c->kind == SYNCML_CMD_EXEC && c->nitems > 1) {
		/* Exec takes exactly one Item (DTD) */
		outcome_set_all(o, DM_BAD_REQUEST);
		return 0;
	}
	for (i = 0; i < c->nitems; i++)
		o->codes[i] = engine_run_item(e, c, &c->items[i],
		    o->vals != NULL ? &o->vals[i] : NULL);
	o->executed = 1;
	return 0;
}
