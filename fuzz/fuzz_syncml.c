/*
 * fuzz_syncml: SyncML XML bytes -> syncml_parse() (core/syncml_parse.c),
 * and a writer round trip of what parses: the header values, each
 * command's CmdID, name and item URIs go back out as Status, its items
 * with Data as Results, the writer's message is parsed again and must give
 * the same strings back, Item Data byte for byte. Whatever the parser
 * accepts, the writer must be able to send (it only holds XML text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "common.h"
#include "syncml.h"

#define MAX_OUT	256	/* commands sent back, at most */

/* What was sent for one command, to compare with the re-parse. */
struct sent {
	const struct syncml_cmd	*cmd;
	int			 results;	/* 1: Results, 0: Status */
	const struct syncml_item *items[8];
	size_t			 nitems;
};

struct rt {
	struct syncml_writer	*w;
	struct sent		 sent[MAX_OUT];
	size_t			 n;
	const char		*msg_ref;
};

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

/* Status for cmd (CmdRef, Cmd, TargetRef/SourceRef from its items). */
static void
send_status(struct rt *rt, const struct syncml_cmd *c)
{
	struct syncml_status_out st;
	const char *tr[8], *sr[8];
	struct sent *s;
	size_t i, nt = 0, ns = 0;

	if (rt->n == MAX_OUT)
		return;
	s = &rt->sent[rt->n];
	memset(s, 0, sizeof(*s));
	s->cmd = c;
	for (i = 0; i < c->nitems && s->nitems < 8; i++) {
		s->items[s->nitems++] = &c->items[i];
		if (c->items[i].target_uri != NULL)
			tr[nt++] = c->items[i].target_uri;
		if (c->items[i].source_uri != NULL)
			sr[ns++] = c->items[i].source_uri;
	}
	memset(&st, 0, sizeof(st));
	st.msg_ref = rt->msg_ref;
	st.cmd_ref = c->cmd_id;
	st.cmd = c->name;
	st.target_refs = tr;
	st.ntarget_refs = nt;
	st.source_refs = sr;
	st.nsource_refs = ns;
	st.code = 200;
	FUZZ_CHECK(syncml_emit_status(rt->w, &st) != 0, "%s",
	    syncml_writer_error(rt->w));
	rt->n++;
}

/* Results with the items of c that have Data. */
static void
send_results(struct rt *rt, const struct syncml_cmd *c)
{
	struct syncml_results_out res;
	struct syncml_item_out out[8];
	const struct syncml_item *it;
	struct sent *s;
	size_t i;

	if (rt->n == MAX_OUT)
		return;
	s = &rt->sent[rt->n];
	memset(s, 0, sizeof(*s));
	s->cmd = c;
	s->results = 1;
	memset(out, 0, sizeof(out));
	for (i = 0; i < c->nitems && s->nitems < 8; i++) {
		it = &c->items[i];
		if (!it->has_data)
			continue;
		out[s->nitems].target_uri = it->target_uri;
		out[s->nitems].source_uri = it->source_uri;
		out[s->nitems].format = it->meta.format;
		out[s->nitems].type = it->meta.type;
		out[s->nitems].mark = it->meta.mark;
		out[s->nitems].data = it->data;
		out[s->nitems].data_len = it->data_len;
		out[s->nitems].more_data = it->more_data;
		s->items[s->nitems++] = it;
	}
	if (s->nitems == 0)
		return;
	memset(&res, 0, sizeof(res));
	res.msg_ref = rt->msg_ref;
	res.cmd_ref = c->cmd_id != NULL ? c->cmd_id : "";
	res.format = c->meta.format;
	res.type = c->meta.type;
	res.items = out;
	res.nitems = s->nitems;
	FUZZ_CHECK(syncml_emit_results(rt->w, &res) != 0, "%s",
	    syncml_writer_error(rt->w));
	rt->n++;
}

static void
send_cmds(struct rt *rt, const struct syncml_cmd *cmds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		send_status(rt, &cmds[i]);
		send_results(rt, &cmds[i]);
		send_cmds(rt, cmds[i].cmds, cmds[i].ncmds);
	}
}

/* The re-parsed command r must hold what s sent. */
static void
compare(const struct rt *rt, const struct sent *s,
    const struct syncml_cmd *r)
{
	const struct syncml_cmd *c = s->cmd;
	const struct syncml_item *a, *b;
	size_t i, nt = 0, ns = 0;

	FUZZ_CHECK(str_eq(r->msg_ref, rt->msg_ref), "MsgRef");
	if (!s->results) {
		FUZZ_CHECK(r->kind == SYNCML_CMD_STATUS, "kind %d", r->kind);
		FUZZ_CHECK(str_eq(r->cmd_ref, c->cmd_id != NULL ? c->cmd_id :
		    ""), "CmdRef '%s' != '%s'", r->cmd_ref, c->cmd_id);
		FUZZ_CHECK(str_eq(r->cmd, c->name), "Cmd '%s' != '%s'",
		    r->cmd, c->name);
		FUZZ_CHECK(r->code == 200, "code %d", r->code);
		for (i = 0; i < s->nitems; i++) {
			a = s->items[i];
			if (a->target_uri != NULL) {
				FUZZ_CHECK(nt < r->ntarget_refs, "TargetRef");
				FUZZ_CHECK(str_eq(r->target_refs[nt],
				    a->target_uri), "TargetRef '%s' != '%s'",
				    r->target_refs[nt], a->target_uri);
				nt++;
			}
			if (a->source_uri != NULL) {
				FUZZ_CHECK(ns < r->nsource_refs, "SourceRef");
				FUZZ_CHECK(str_eq(r->source_refs[ns],
				    a->source_uri), "SourceRef");
				ns++;
			}
		}
		FUZZ_CHECK(nt == r->ntarget_refs && ns == r->nsource_refs,
		    "extra refs");
		return;
	}
	FUZZ_CHECK(r->kind == SYNCML_CMD_RESULTS, "kind %d", r->kind);
	FUZZ_CHECK(str_eq(r->cmd_ref, c->cmd_id != NULL ? c->cmd_id : ""),
	    "Results CmdRef");
	FUZZ_CHECK(str_eq(r->meta.format, c->meta.format), "Meta Format");
	FUZZ_CHECK(str_eq(r->meta.type, c->meta.type), "Meta Type");
	FUZZ_CHECK(r->nitems == s->nitems, "%zu items != %zu", r->nitems,
	    s->nitems);
	for (i = 0; i < s->nitems; i++) {
		a = s->items[i];
		b = &r->items[i];
		FUZZ_CHECK(str_eq(b->target_uri, a->target_uri), "Target");
		FUZZ_CHECK(str_eq(b->source_uri, a->source_uri), "Source");
		FUZZ_CHECK(str_eq(b->meta.format, a->meta.format), "Format");
		FUZZ_CHECK(str_eq(b->meta.type, a->meta.type), "Type");
		FUZZ_CHECK(str_eq(b->meta.mark, a->meta.mark), "Mark");
		FUZZ_CHECK(b->has_data && b->data_len == a->data_len &&
		    memcmp(b->data, a->data, a->data_len) == 0,
		    "Item Data differs after the round trip (%zu vs %zu "
		    "bytes)", b->data_len, a->data_len);
		FUZZ_CHECK(b->more_data == a->more_data, "MoreData");
	}
}

static void
round_trip(const struct syncml_msg *m)
{
	struct syncml_hdr_out h;
	struct syncml_msg *m2;
	struct rt rt;
	char err[SYNCML_ERRLEN], *out = NULL;
	size_t outlen, size, i;

	memset(&h, 0, sizeof(h));
	memset(&rt, 0, sizeof(rt));
	h.ns = m->ns;
	h.session_id = m->hdr.session_id != NULL ? m->hdr.session_id : "1";
	h.msg_id = 1;
	h.target_uri = m->hdr.source_uri != NULL ? m->hdr.source_uri : "srv";
	h.source_uri = m->hdr.target_uri != NULL ? m->hdr.target_uri : "dev";
	h.source_name = m->hdr.target_name;
	if (m->hdr.cred != NULL) {
		h.cred_type = m->hdr.cred->meta.type;
		h.cred_format = m->hdr.cred->meta.format;
		h.cred_data = m->hdr.cred->data;
	}
	rt.msg_ref = m->hdr.msg_id != NULL ? m->hdr.msg_id : "1";
	rt.w = syncml_writer_new(&h, 1, err, sizeof(err));
	FUZZ_CHECK(rt.w != NULL, "the writer refuses parsed values: %s", err);
	send_cmds(&rt, m->cmds, m->ncmds);
	size = syncml_writer_size(rt.w);
	FUZZ_CHECK(syncml_writer_finish(rt.w, m->final, &out, &outlen) == 0,
	    "finish");
	FUZZ_CHECK(outlen <= size, "syncml_writer_size %zu < %zu", size,
	    outlen);
	m2 = syncml_parse(out, outlen, NULL, err, sizeof(err));
	FUZZ_CHECK(m2 != NULL, "the writer's message does not parse: %s",
	    err);
	FUZZ_CHECK(m2->ns == (m->ns == SYNCML_NS_11 ? SYNCML_NS_11 :
	    SYNCML_NS_12), "namespace");
	FUZZ_CHECK(str_eq(m2->hdr.session_id, h.session_id), "SessionID");
	FUZZ_CHECK(str_eq(m2->hdr.msg_id, "1"), "MsgID");
	FUZZ_CHECK(str_eq(m2->hdr.target_uri, h.target_uri), "Target");
	FUZZ_CHECK(str_eq(m2->hdr.source_uri, h.source_uri), "Source");
	FUZZ_CHECK(str_eq(m2->hdr.source_name, h.source_name), "LocName");
	if (h.cred_data != NULL) {
		FUZZ_CHECK(m2->hdr.cred != NULL, "Cred lost");
		FUZZ_CHECK(str_eq(m2->hdr.cred->data, h.cred_data),
		    "Cred Data");
		FUZZ_CHECK(str_eq(m2->hdr.cred->meta.type, h.cred_type),
		    "Cred Type");
		FUZZ_CHECK(str_eq(m2->hdr.cred->meta.format, h.cred_format),
		    "Cred Format");
	}
	FUZZ_CHECK(m2->final == m->final, "Final");
	FUZZ_CHECK(m2->ncmds == rt.n, "%zu commands back, %zu sent",
	    m2->ncmds, rt.n);
	for (i = 0; i < rt.n; i++)
		compare(&rt, &rt.sent[i], &m2->cmds[i]);
	syncml_msg_free(m2);
	syncml_writer_free(rt.w);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syncml_msg *m;
	char err[SYNCML_ERRLEN];

	err[0] = '\0';
	m = syncml_parse(data, size, NULL, err, sizeof(err));
	if (m == NULL) {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "err");
		return 0;
	}
	round_trip(m);
	syncml_msg_free(m);
	return 0;
}
