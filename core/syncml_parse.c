/*
 * syncml_parse.c: SyncML XML bytes, or a libxml2 DOM, -> struct syncml_msg.
 *
 * Safety first: XML bytes are parsed by xml_safe_read() (xml_safe.h: size
 * checked first, no entity substitution, DTD loading or network, stopped
 * at any internal subset declaration, non-predefined entity reference or
 * element depth/count over the limits), so a hostile document never
 * becomes a big tree. The DOM is then walked once more (the same checks,
 * for DOMs made by other codecs) and converted, liberally, into the model
 * of syncml.h.
 *
 * Memory: the text of an Item <Data> is the big thing a message holds (a
 * chunk of a large object). syncml_parse() owns its document, so it takes
 * that text from the text node as it is (xml_safe_read() allocated it
 * once, at its size) instead of copying it: the message in memory, and
 * its Data once, is all a chunk costs. syncml_from_doc() leaves the
 * caller's document alone and copies.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "syncml.h"
#include "util.h"
#include "xml_safe.h"

static const char *const kind_names[SYNCML_CMD__MAX] = {
	[SYNCML_CMD_UNKNOWN] = "",
	[SYNCML_CMD_ADD] = "Add",
	[SYNCML_CMD_ALERT] = "Alert",
	[SYNCML_CMD_ATOMIC] = "Atomic",
	[SYNCML_CMD_COPY] = "Copy",
	[SYNCML_CMD_DELETE] = "Delete",
	[SYNCML_CMD_EXEC] = "Exec",
	[SYNCML_CMD_GET] = "Get",
	[SYNCML_CMD_MAP] = "Map",
	[SYNCML_CMD_MOVE] = "Move",
	[SYNCML_CMD_PUT] = "Put",
	[SYNCML_CMD_REPLACE] = "Replace",
	[SYNCML_CMD_RESULTS] = "Results",
	[SYNCML_CMD_SEARCH] = "Search",
	[SYNCML_CMD_SEQUENCE] = "Sequence",
	[SYNCML_CMD_STATUS] = "Status",
	[SYNCML_CMD_SYNC] = "Sync"
};

static int	conv_cmd(const xmlNode *, struct syncml_cmd *, int);
static struct syncml_msg *from_doc(xmlDoc *, const struct syncml_limits *,
		    int, char *, size_t);
static void	cmd_clear(struct syncml_cmd *);

const char *
syncml_cmd_kind_name(enum syncml_cmd_kind kind)
{
	if ((unsigned)kind >= SYNCML_CMD__MAX)
		return "";
	return kind_names[kind];
}

enum syncml_cmd_kind
syncml_cmd_kind_of(const char *name)
{
	int k;

	if (name == NULL)
		return SYNCML_CMD_UNKNOWN;
	for (k = SYNCML_CMD_UNKNOWN + 1; k < SYNCML_CMD__MAX; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (enum syncml_cmd_kind)k;
	return SYNCML_CMD_UNKNOWN;
}

static void
limits_fill(struct syncml_limits *dst, const struct syncml_limits *src)
{
	dst->max_input = SYNCML_MAX_INPUT;
	dst->max_depth = SYNCML_MAX_DEPTH;
	dst->max_elements = SYNCML_MAX_ELEMENTS;
	if (src == NULL)
		return;
	if (src->max_input != 0)
		dst->max_input = src->max_input;
	if (src->max_depth != 0)
		dst->max_depth = src->max_depth;
	if (src->max_elements != 0)
		dst->max_elements = src->max_elements;
}

struct syncml_msg *
syncml_parse(const void *buf, size_t len, const struct syncml_limits *lim,
    char *err, size_t errlen)
{
	struct syncml_limits l;
	xmlDocPtr doc;
	struct syncml_msg *msg;

	if (buf == NULL || len == 0) {
		util_errbuf(err, errlen, "empty input: no SyncML message");
		return NULL;
	}
	limits_fill(&l, lim);
	doc = xml_safe_read(buf, len, &l, err, errlen);
	if (doc == NULL)
		return NULL;
	msg = from_doc(doc, &l, 1, err, errlen);
	xmlFreeDoc(doc);
	return msg;
}

/* ---- DOM checks ---- */

/* 1 when an attribute value of n holds an entity reference node. */
static int
attr_has_entref(const xmlNode *n)
{
	const xmlAttr *a;
	const xmlNode *c;

	for (a = n->properties; a != NULL; a = a->next)
		for (c = a->children; c != NULL; c = c->next)
			if (c->type == XML_ENTITY_REF_NODE)
				return 1;
	return 0;
}

/*
 * Refuses DTD declarations, entity references and documents over the
 * depth/element limits. Iterative: no recursion on hostile depth.
 */
static int
check_doc(const xmlDoc *doc, const struct syncml_limits *lim, char *err,
    size_t errlen)
{
	const xmlNode *root, *n;
	unsigned long nelem = 0;
	unsigned depth = 1;

	if (doc->intSubset != NULL && (doc->intSubset->children != NULL ||
	    doc->intSubset->entities != NULL ||
	    doc->intSubset->pentities != NULL)) {
		util_errbuf(err, errlen, "DOCTYPE internal subset refused");
		return -1;
	}
	if (doc->extSubset != NULL) {
		util_errbuf(err, errlen, "external DTD refused");
		return -1;
	}
	root = xmlDocGetRootElement((xmlDoc *)doc);
	if (root == NULL) {
		util_errbuf(err, errlen, "no root element: no SyncML message");
		return -1;
	}
	n = root;
	for (;;) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (++nelem > lim->max_elements) {
				util_errbuf(err, errlen, "more than %lu "
				    "elements", lim->max_elements);
				return -1;
			}
			if (depth > lim->max_depth) {
				util_errbuf(err, errlen,
				    "elements nested deeper than %u",
				    lim->max_depth);
				return -1;
			}
			if (attr_has_entref(n)) {
				util_errbuf(err, errlen,
				    "entity reference refused (line %ld)",
				    xmlGetLineNo(n));
				return -1;
			}
			break;
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_NODE:
		case XML_ENTITY_DECL:
		case XML_DTD_NODE:
		case XML_XINCLUDE_START:
		case XML_XINCLUDE_END:
			util_errbuf(err, errlen, "entity reference &%.40s; "
			    "refused", n->name != NULL ?
			    (const char *)n->name : "");
			return -1;
		default:
			break;
		}
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			depth++;
			continue;
		}
		while (n != root && n->next == NULL) {
			n = n->parent;
			depth--;
		}
		if (n == root)
			break;
		n = n->next;
	}
	return 0;
}

/* ---- DOM -> model ---- */

static int
is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

/* The first element child of n from c on (c itself included). */
static const xmlNode *
elem_from(const xmlNode *c)
{
	while (c != NULL && c->type != XML_ELEMENT_NODE)
		c = c->next;
	return c;
}

#define FOREACH_ELEM(c, parent) \
	for ((c) = elem_from((parent)->children); (c) != NULL; \
	    (c) = elem_from((c)->next))

static int
is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A malloc'd copy of s[0..n) without surrounding whitespace. */
static char *
dup_trim(const char *s, size_t n)
{
	char *r;

	while (n > 0 && is_xml_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_xml_space(s[n - 1]))
		n--;
	r = malloc(n + 1);
	if (r == NULL)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

static int
is_text(const xmlNode *c)
{
	return (c->type == XML_TEXT_NODE ||
	    c->type == XML_CDATA_SECTION_NODE) && c->content != NULL;
}

/*
 * The text and CDATA children of n, concatenated (comments and elements
 * skipped), trimmed when trim is 1. Returns a malloc'd string, "" when
 * there is none, NULL when memory runs out; *lenp gets its length.
 */
static char *
text_of(const xmlNode *n, int trim, size_t *lenp)
{
	const xmlNode *c, *only = NULL;
	size_t total = 0, len, k;
	int count = 0;
	char *r;

	for (c = n->children; c != NULL; c = c->next) {
		if (!is_text(c))
			continue;
		total += strlen((const char *)c->content);
		only = c;
		count++;
	}
	if (count <= 1 && trim) {
		r = dup_trim(only != NULL ? (const char *)only->content : "",
		    only != NULL ? total : 0);
		if (r != NULL && lenp != NULL)
			*lenp = strlen(r);
		return r;
	}
	r = malloc(total + 1);
	if (r == NULL)
		return NULL;
	len = 0;
	for (c = n->children; c != NULL; c = c->next) {
		if (!is_text(c))
			continue;
		k = strlen((const char *)c->content);
		memcpy(r + len, c->content, k);
		len += k;
	}
	r[len] = '\0';
	if (trim) {
		char *t = dup_trim(r, len);

		free(r);
		r = t;
		if (r != NULL)
			len = strlen(r);
	}
	if (r != NULL && lenp != NULL)
		*lenp = len;
	return r;
}

/* Sets *dst to the trimmed text of n unless already set (first wins). */
static int
take(const xmlNode *n, char **dst)
{
	if (*dst != NULL)
		return 0;
	*dst = text_of(n, 1, NULL);
	return *dst == NULL ? -1 : 0;
}

/* A non-negative decimal of at most LONG_MAX, or -1. */
static long
number(const char *s)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (LONG_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void
meta_init(struct syncml_meta *m)
{
	m->size = m->max_msg_size = m->max_obj_size = -1;
}

static void
meta_clear(struct syncml_meta *m)
{
	free(m->format);
	free(m->type);
	free(m->mark);
	free(m->size_str);
	free(m->next_nonce);
	free(m->version);
	free(m->max_msg_size_str);
	free(m->max_obj_size_str);
}

/* Reads the MetInf children of a <Meta> (looking through <MetInf>). */
static int
conv_meta(const xmlNode *n, struct syncml_meta *m, int nested)
{
	const xmlNode *c;
	int rc = 0;

	FOREACH_ELEM(c, n) {
		if (is(c, "MetInf") && !nested)
			rc = conv_meta(c, m, 1);
		else if (is(c, "Format"))
			rc = take(c, &m->format);
		else if (is(c, "Type"))
			rc = take(c, &m->type);
		else if (is(c, "Mark"))
			rc = take(c, &m->mark);
		else if (is(c, "Size"))
			rc = take(c, &m->size_str);
		else if (is(c, "NextNonce"))
			rc = take(c, &m->next_nonce);
		else if (is(c, "Version"))
			rc = take(c, &m->version);
		else if (is(c, "MaxMsgSize"))
			rc = take(c, &m->max_msg_size_str);
		else if (is(c, "MaxObjSize"))
			rc = take(c, &m->max_obj_size_str);
		if (rc == -1)
			return -1;
	}
	m->size = number(m->size_str);
	m->max_msg_size = number(m->max_msg_size_str);
	m->max_obj_size = number(m->max_obj_size_str);
	return 0;
}

/* Target/Source/...Parent: LocURI and LocName. name may be NULL. */
static int
conv_loc(const xmlNode *n, char **uri, char **name)
{
	const xmlNode *c;

	FOREACH_ELEM(c, n) {
		if (is(c, "LocURI") && take(c, uri) == -1)
			return -1;
		if (name != NULL && is(c, "LocName") && take(c, name) == -1)
			return -1;
	}
	return 0;
}

/*
 * The content of the text node c, taken from the document when it can be
 * freed with free(): allocated by libxml2's allocator (when that is
 * malloc's), not one of the strings libxml2 shares in its dictionary or
 * keeps inside the node. Returns it (the caller frees it, c then has no
 * content) or NULL when it cannot be taken.
 */
static char *
steal_text(const xmlDoc *doc, const xmlNode *c)
{
	xmlNode *t = (xmlNode *)c;	/* our document (syncml_parse) */
	char *s;

	if (c->type != XML_TEXT_NODE || c->content == NULL ||
	    xmlFree != free || xmlMalloc != malloc || xmlRealloc != realloc ||
	    c->content == (const xmlChar *)&c->properties ||
	    (doc->dict != NULL && xmlDictOwns(doc->dict, c->content)))
		return NULL;
	s = (char *)t->content;
	t->content = NULL;
	return s;
}

/*
 * Item Data, byte-exact: its text, or when it holds elements, all its
 * children serialized. steal: the document is ours to take the text from.
 */
static int
conv_data(const xmlNode *n, struct syncml_item *it, int steal)
{
	const xmlNode *c;
	xmlBufferPtr b;
	int rc = 0;

	c = n->children;
	if (steal && c != NULL && c->next == NULL) {
		it->data = steal_text(n->doc, c);
		if (it->data != NULL) {
			it->data_len = strlen(it->data);
			return 0;
		}
	}
	if (elem_from(n->children) == NULL) {
		it->data = text_of(n, 0, &it->data_len);
		return it->data == NULL ? -1 : 0;
	}
	b = xmlBufferCreate();
	if (b == NULL)
		return -1;
	for (c = n->children; c != NULL && rc == 0; c = c->next)
		if (xmlNodeDump(b, n->doc, (xmlNode *)c, 0, 0) < 0)
			rc = -1;
	if (rc == 0) {
		it->data_len = (size_t)xmlBufferLength(b);
		it->data = malloc(it->data_len + 1);
		if (it->data == NULL)
			rc = -1;
		else {
			memcpy(it->data, xmlBufferContent(b), it->data_len);
			it->data[it->data_len] = '\0';
			it->data_xml = 1;
		}
	}
	xmlBufferFree(b);
	return rc;
}

static int
conv_item(const xmlNode *n, struct syncml_item *it, int steal)
{
	const xmlNode *c;
	int rc = 0;

	meta_init(&it->meta);
	FOREACH_ELEM(c, n) {
		if (is(c, "Target"))
			rc = conv_loc(c, &it->target_uri, &it->target_name);
		else if (is(c, "Source"))
			rc = conv_loc(c, &it->source_uri, &it->source_name);
		else if (is(c, "TargetParent"))
			rc = conv_loc(c, &it->target_parent_uri, NULL);
		else if (is(c, "SourceParent"))
			rc = conv_loc(c, &it->source_parent_uri, NULL);
		else if (is(c, "Meta"))
			rc = conv_meta(c, &it->meta, 0);
		else if (is(c, "Data") && !it->has_data) {
			it->has_data = 1;
			rc = conv_data(c, it, steal);
		} else if (is(c, "MoreData"))
			it->more_data = 1;
		if (rc == -1)
			return -1;
	}
	return 0;
}

static void
item_clear(struct syncml_item *it)
{
	free(it->target_uri);
	free(it->target_name);
	free(it->source_uri);
	free(it->source_name);
	free(it->target_parent_uri);
	free(it->source_parent_uri);
	meta_clear(&it->meta);
	free(it->data);
}

static void
cred_free(struct syncml_cred *cr)
{
	if (cr == NULL)
		return;
	meta_clear(&cr->meta);
	free(cr->data);
	free(cr);
}

/* Cred (Meta?, Data): the first one wins. */
static int
conv_cred(const xmlNode *n, struct syncml_cred **out)
{
	struct syncml_cred *cr;
	const xmlNode *c;

	if (*out != NULL)
		return 0;
	cr = calloc(1, sizeof(*cr));
	if (cr == NULL)
		return -1;
	*out = cr;
	meta_init(&cr->meta);
	FOREACH_ELEM(c, n) {
		if (is(c, "Meta") && conv_meta(c, &cr->meta, 0) == -1)
			return -1;
		if (is(c, "Data") && take(c, &cr->data) == -1)
			return -1;
	}
	if (cr->data == NULL)
		cr->data = strdup("");
	return cr->data == NULL ? -1 : 0;
}

/* Chal (Meta): the first one wins. */
static int
conv_chal(const xmlNode *n, struct syncml_meta **out)
{
	const xmlNode *c;

	if (*out != NULL)
		return 0;
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return -1;
	meta_init(*out);
	FOREACH_ELEM(c, n)
		if (is(c, "Meta") && conv_meta(c, *out, 0) == -1)
			return -1;
	return 0;
}

/* 1 for the children of Atomic/Sequence that are not commands. */
static int
container_field(const xmlNode *c)
{
	return is(c, "CmdID") || is(c, "NoResp") || is(c, "Meta");
}

/* n zeroed elements of size sz; NULL for n == 0 (not an error then). */
static void *
calloc_n(size_t n, size_t sz)
{
	return n == 0 ? NULL : calloc(n, sz);
}

/*
 * One command. Every child a command may have is read whatever the kind;
 * Atomic and Sequence also get their inner commands. steal: as for
 * conv_data().
 */
static int
conv_cmd(const xmlNode *n, struct syncml_cmd *cmd, int steal)
{
	const xmlNode *c;
	size_t nitems = 0, ntref = 0, nsref = 0, ncmds = 0;
	int container, rc = 0;
	long line;

	cmd->kind = syncml_cmd_kind_of((const char *)n->name);
	cmd->code = -1;
	meta_init(&cmd->meta);
	line = xmlGetLineNo(n);
	cmd->line = line > 0 ? (unsigned long)line : 0;
	cmd->name = strdup((const char *)n->name);
	if (cmd->name == NULL)
		return -1;
	container = cmd->kind == SYNCML_CMD_ATOMIC ||
	    cmd->kind == SYNCML_CMD_SEQUENCE;

	FOREACH_ELEM(c, n) {
		if (container) {
			if (!container_field(c))
				ncmds++;
		} else if (is(c, "Item"))
			nitems++;
		else if (is(c, "TargetRef"))
			ntref++;
		else if (is(c, "SourceRef"))
			nsref++;
	}
	cmd->items = calloc_n(nitems, sizeof(*cmd->items));
	cmd->target_refs = calloc_n(ntref, sizeof(*cmd->target_refs));
	cmd->source_refs = calloc_n(nsref, sizeof(*cmd->source_refs));
	cmd->cmds = calloc_n(ncmds, sizeof(*cmd->cmds));
	if ((nitems > 0 && cmd->items == NULL) ||
	    (ntref > 0 && cmd->target_refs == NULL) ||
	    (nsref > 0 && cmd->source_refs == NULL) ||
	    (ncmds > 0 && cmd->cmds == NULL))
		return -1;

	FOREACH_ELEM(c, n) {
		if (is(c, "CmdID")) {
			cmd->has_cmd_id = 1;
			rc = take(c, &cmd->cmd_id);
		} else if (is(c, "NoResp"))
			cmd->no_resp = 1;
		else if (is(c, "Meta"))
			rc = conv_meta(c, &cmd->meta, 0);
		else if (container)
			rc = conv_cmd(c, &cmd->cmds[cmd->ncmds++], steal);
		else if (is(c, "Item"))
			rc = conv_item(c, &cmd->items[cmd->nitems++], steal);
		else if (is(c, "Cred"))
			rc = conv_cred(c, &cmd->cred);
		else if (is(c, "Correlator"))
			rc = take(c, &cmd->correlator);
		else if (is(c, "Data"))
			rc = take(c, &cmd->data);
		else if (is(c, "MsgRef"))
			rc = take(c, &cmd->msg_ref);
		else if (is(c, "CmdRef"))
			rc = take(c, &cmd->cmd_ref);
		else if (is(c, "Cmd"))
			rc = take(c, &cmd->cmd);
		else if (is(c, "TargetRef")) {
			cmd->target_refs[cmd->ntarget_refs] = text_of(c, 1,
			    NULL);
			if (cmd->target_refs[cmd->ntarget_refs++] == NULL)
				rc = -1;
		} else if (is(c, "SourceRef")) {
			cmd->source_refs[cmd->nsource_refs] = text_of(c, 1,
			    NULL);
			if (cmd->source_refs[cmd->nsource_refs++] == NULL)
				rc = -1;
		} else if (is(c, "Chal"))
			rc = conv_chal(c, &cmd->chal);
		if (rc == -1)
			return -1;
	}
	if (cmd->data != NULL) {
		long v = number(cmd->data);

		cmd->code = (v >= 0 && v <= INT_MAX) ? (int)v : -1;
	}
	return 0;
}

static void
cmd_clear(struct syncml_cmd *cmd)
{
	size_t i;

	free(cmd->name);
	free(cmd->cmd_id);
	meta_clear(&cmd->meta);
	cred_free(cmd->cred);
	free(cmd->correlator);
	free(cmd->data);
	free(cmd->msg_ref);
	free(cmd->cmd_ref);
	free(cmd->cmd);
	for (i = 0; i < cmd->ntarget_refs; i++)
		free(cmd->target_refs[i]);
	free(cmd->target_refs);
	for (i = 0; i < cmd->nsource_refs; i++)
		free(cmd->source_refs[i]);
	free(cmd->source_refs);
	if (cmd->chal != NULL) {
		meta_clear(cmd->chal);
		free(cmd->chal);
	}
	for (i = 0; i < cmd->nitems; i++)
		item_clear(&cmd->items[i]);
	free(cmd->items);
	for (i = 0; i < cmd->ncmds; i++)
		cmd_clear(&cmd->cmds[i]);
	free(cmd->cmds);
}

static int
conv_hdr(const xmlNode *n, struct syncml_hdr *h)
{
	const xmlNode *c;
	int rc = 0;

	FOREACH_ELEM(c, n) {
		if (is(c, "VerDTD"))
			rc = take(c, &h->ver_dtd);
		else if (is(c, "VerProto"))
			rc = take(c, &h->ver_proto);
		else if (is(c, "SessionID"))
			rc = take(c, &h->session_id);
		else if (is(c, "MsgID"))
			rc = take(c, &h->msg_id);
		else if (is(c, "Target"))
			rc = conv_loc(c, &h->target_uri, &h->target_name);
		else if (is(c, "Source"))
			rc = conv_loc(c, &h->source_uri, &h->source_name);
		else if (is(c, "RespURI"))
			rc = take(c, &h->resp_uri);
		else if (is(c, "NoResp"))
			h->no_resp = 1;
		else if (is(c, "Cred"))
			rc = conv_cred(c, &h->cred);
		else if (is(c, "Meta"))
			rc = conv_meta(c, &h->meta, 0);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
conv_body(const xmlNode *n, struct syncml_msg *msg, int steal)
{
	const xmlNode *c;
	size_t count = 0;

	FOREACH_ELEM(c, n)
		if (!is(c, "Final"))
			count++;
	msg->cmds = calloc_n(count, sizeof(*msg->cmds));
	if (count > 0 && msg->cmds == NULL)
		return -1;
	FOREACH_ELEM(c, n) {
		if (is(c, "Final"))
			msg->final = 1;
		else if (conv_cmd(c, &msg->cmds[msg->ncmds++], steal) == -1)
			return -1;
	}
	return 0;
}

/* The namespace of the root, or -1 for one that is not SyncML's. */
static int
root_ns(const xmlNode *root)
{
	const char *href;

	if (root->ns == NULL || root->ns->href == NULL ||
	    root->ns->href[0] == '\0')
		return SYNCML_NS_NONE;
	href = (const char *)root->ns->href;
	if (strcasecmp(href, "SYNCML:SYNCML1.2") == 0)
		return SYNCML_NS_12;
	if (strcasecmp(href, "SYNCML:SYNCML1.1") == 0)
		return SYNCML_NS_11;
	return -1;
}

struct syncml_msg *
syncml_from_doc(struct _xmlDoc *doc, const struct syncml_limits *lim,
    char *err, size_t errlen)
{
	return from_doc(doc, lim, 0, err, errlen);
}

/* syncml_from_doc(); steal: the text of Data may be taken from doc. */
static struct syncml_msg *
from_doc(xmlDoc *doc, const struct syncml_limits *lim, int steal, char *err,
    size_t errlen)
{
	struct syncml_limits l;
	struct syncml_msg *msg;
	const xmlNode *root, *c, *hdr = NULL, *body = NULL;
	int ns;

	limits_fill(&l, lim);
	if (doc == NULL) {
		util_errbuf(err, errlen, "no document");
		return NULL;
	}
	if (check_doc(doc, &l, err, errlen) == -1)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (!is(root, "SyncML")) {
		util_errbuf(err, errlen,
		    "not a SyncML message: root element <%.40s>",
		    (const char *)root->name);
		return NULL;
	}
	ns = root_ns(root);
	if (ns == -1) {
		util_errbuf(err, errlen, "not a SyncML message: namespace "
		    "\"%.60s\"", (const char *)root->ns->href);
		return NULL;
	}
	FOREACH_ELEM(c, root) {
		if (is(c, "SyncHdr") && hdr == NULL)
			hdr = c;
		else if (is(c, "SyncBody") && body == NULL)
			body = c;
	}
	if (hdr == NULL || body == NULL) {
		util_errbuf(err, errlen, "SyncML message without %s",
		    hdr == NULL ? "SyncHdr" : "SyncBody");
		return NULL;
	}
	msg = calloc(1, sizeof(*msg));
	if (msg == NULL)
		goto nomem;
	msg->ns = ns;
	meta_init(&msg->hdr.meta);
	if (conv_hdr(hdr, &msg->hdr) == -1 ||
	    conv_body(body, msg, steal) == -1)
		goto nomem;
	return msg;
nomem:
	syncml_msg_free(msg);
	util_errbuf(err, errlen, "out of memory");
	return NULL;
}

void
syncml_msg_free(struct syncml_msg *msg)
{
	struct syncml_hdr *h;
	size_t i;

	if (msg == NULL)
		return;
	h = &msg->hdr;
	free(h->ver_dtd);
	free(h->ver_proto);
	free(h->session_id);
	free(h->msg_id);
	free(h->target_uri);
	free(h->target_name);
	free(h->source_uri);
	free(h->source_name);
	free(h->resp_uri);
	cred_free(h->cred);
	meta_clear(&h->meta);
	for (i = 0; i < msg->ncmds; i++)
		cmd_clear(&msg->cmds[i]);
	free(msg->cmds);
	free(msg);
}
