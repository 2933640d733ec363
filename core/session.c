/*
 * session.c: one server message in, the reply out; see session.h.
 */
#include <stdlib.h>
#include <string.h>

#include "dm_status.h"
#include "engine.h"
#include "log.h"
#include "session.h"
#include "syncml.h"
#include "tree.h"
#include "util.h"

struct session {
	struct tree		*tree;
	struct engine		*engine;
	struct session_opts	 opts;
	unsigned long		 msg_id;	/* of our next message */
	char			*devid;
};

struct session *
session_new(struct tree *t, const struct session_opts *o)
{
	struct engine_opts eo;
	struct session *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->tree = t;
	s->opts = *o;
	s->msg_id = o->first_msg_id > 0 ? o->first_msg_id : 2;
	memset(&eo, 0, sizeof(eo));
	eo.server_id = o->server_id;
	eo.session_id = o->session_id;
	eo.honour_hdr_meta = o->honour_hdr_meta;
	eo.ui_policy = o->ui_policy;
	s->engine = engine_new(t, &eo);
	if (s->engine == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	engine_free(s->engine);
	free(s->devid);
	free(s);
}

/* Our DevId: the option, else ./DevInfo/DevId, else the server's Target. */
static const char *
session_devid(struct session *s, const struct syncml_msg *m)
{
	struct csp_value v;
	struct dm_uri u;
	struct tree_who who = { NULL, NULL };

	if (s->opts.devid != NULL)
		return s->opts.devid;
	if (s->devid != NULL)
		return s->devid;
	if (uri_parse("./DevInfo/DevId", &u, NULL) == 0) {
		if (tree_get(s->tree, &who, &u, &v, NULL) == DM_OK &&
		    v.data != NULL && v.len > 0)
			s->devid = strdup(v.data);
		csp_value_free(&v);
		uri_free(&u);
	}
	if (s->devid != NULL)
		return s->devid;
	return m->hdr.target_uri != NULL ? m->hdr.target_uri : "unknown";
}

int
session_handle(struct session *s, const void *in, size_t len, char **out,
    size_t *outlen, enum session_state *st, char **err)
{
	struct syncml_hdr_out hdr;
	struct syncml_alert_out al;
	struct engine_result res;
	struct syncml_writer *w = NULL;
	struct syncml_msg *m;
	char ebuf[SYNCML_ERRLEN];
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	*err = NULL;
	*st = SESSION_END;
	memset(&res, 0, sizeof(res));
	m = syncml_parse(in, len, NULL, ebuf, sizeof(ebuf));
	if (m == NULL) {
		*err = util_asprintf("the server's message is refused: %s",
		    ebuf);
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.session_id = s->opts.session_id != NULL ? s->opts.session_id :
	    m->hdr.session_id != NULL ? m->hdr.session_id : "1";
	hdr.msg_id = s->msg_id;
	hdr.target_uri = s->opts.server_uri != NULL ? s->opts.server_uri :
	    m->hdr.source_uri != NULL ? m->hdr.source_uri : "unknown";
	hdr.source_uri = session_devid(s, m);
	w = syncml_writer_new(&hdr, 1, ebuf, sizeof(ebuf));
	if (w == NULL) {
		*err = util_asprintf("cannot start the reply: %s", ebuf);
		goto out;
	}
	if (engine_process(s->engine, m, NULL, w, &res) != 0) {
		*err = util_asprintf("cannot build the reply: %s",
		    syncml_writer_error(w));
		goto out;
	}
	rc = 0;
	if (res.abort) {
		log_warnx("the server aborted the session (Alert 1223)");
		*st = SESSION_ABORT;
		goto out;
	}
	if (!res.final) {
		/* the server's package goes on: ask for the next message */
		memset(&al, 0, sizeof(al));
		al.code = 1222;
		if (syncml_emit_alert(w, &al) == 0) {
			*err = util_asprintf("cannot build the reply: %s",
			    syncml_writer_error(w));
			rc = -1;
			goto out;
		}
	} else if (!res.replied) {
		/* nothing but Status and Final: the session is over */
		*st = SESSION_END;
		goto out;
	}
	if (syncml_writer_finish(w, res.final, out, outlen) != 0) {
		*err = strdup("cannot build the reply: out of memory");
		rc = -1;
		goto out;
	}
	s->msg_id++;
	*st = SESSION_CONTINUE;
out:
	engine_result_free(&res);
	syncml_writer_free(w);
	syncml_msg_free(m);
	return rc;
}
