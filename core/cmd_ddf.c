/*
 * cmd_ddf.c: `luadm ddf [URI]` prints the OMA DM DDF 1.2 description (a
 * MgmtTree document) of the mounted CSPs, or of the part of the tree at
 * URI. A CSP made with csp.define describes itself from its declaration
 * (the contract's ddf field, built by the SDK's dm.ddf); a CSP written
 * against the raw contract is described by walking its nodes as they are
 * now (stat and get), so its instance names appear as they are. The
 * document is parsed back with libxml2 before it is printed, so what comes
 * out is always well-formed XML.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cli.h"
#include "config.h"
#include "csp.h"
#include "dm_status.h"
#include "tree.h"
#include "uri.h"
#include "util.h"


#define DDF_MAX_NODES	20000	/* a walk stops there (a runaway tree) */

/* One mount to describe: the CSP, its mount index and where to start. */
struct ddf_part {
	const char	*mount;		/* the mount's URI as declared */
	struct csp	*csp;
	size_t		 idx;
	char		*path;		/* relative to the mount, "" = mount */
};

/* A walk of the live tree (for raw-contract CSPs). */
struct ddf_walk {
	struct tree		*t;
	const struct tree_who	*who;
	struct buf		*out;
	size_t			 nodes;	/* visited so far */
	int			 failed;
};

static const char *const ddf_formats[] = {
	"b64", "bin", "bool", "chr", "int", "node", "null", "xml", "date",
	"time", "float", NULL
};

static const char *const ddf_access[] = {
	"Add", "Copy", "Delete", "Exec", "Get", "Replace", NULL
};

static void
ddf_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] ddf [URI]\n"
	    "\n"
	    "Prints the OMA DM DDF 1.2 description (MgmtTree XML) of the "
	    "mounted CSPs, or\nof the subtree at URI, from the CSPs' "
	    "declarations.\n");
}

/* Appends s with &, < and > escaped. 0 or -1. */
static int
xml_text(struct buf *b, const char *s)
{
	const char *p;
	int rc = 0;

	for (p = s; *p != '\0' && rc == 0; p++) {
		if (*p == '&')
			rc = buf_addstr(b, "&amp;");
		else if (*p == '<')
			rc = buf_addstr(b, "&lt;");
		else if (*p == '>')
			rc = buf_addstr(b, "&gt;");
		else
			rc = buf_add(b, p, 1);
	}
	return rc;
}

/* Appends <name>text</name> (escaped). 0 or -1. */
static int
xml_element(struct buf *b, const char *name, const char *text)
{
	if (buf_printf(b, "<%s>", name) != 0 || xml_text(b, text) != 0 ||
	    buf_printf(b, "</%s>", name) != 0)
		return -1;
	return 0;
}

/* Appends the DFProperties of a node whose stat gave i. 0 or -1. */
static int
walk_properties(struct buf *b, const struct csp_info *i)
{
	const char *format = "chr";
	size_t k;
	int rc;

	rc = buf_addstr(b, "<DFProperties><AccessType>");
	for (k = 0; ddf_access[k] != NULL && rc == 0; k++)
		if (csp_access_allows(i->access, ddf_access[k]))
			rc = buf_printf(b, "<%s/>", ddf_access[k]);
	if (rc == 0)
		rc = buf_addstr(b, "</AccessType>");
	if (rc == 0 && i->description != NULL)
		rc = xml_element(b, "Description", i->description);
	for (k = 0; ddf_formats[k] != NULL; k++)
		if (i->format != NULL && strcmp(i->format, ddf_formats[k]) == 0)
			format = ddf_formats[k];
	if (rc == 0)
		rc = buf_printf(b, "<DFFormat><%s/></DFFormat><Scope><%s/>"
		    "</Scope>", format, csp_access_allows(i->access, "Delete") ?
		    "Dynamic" : "Permanent");
	if (rc == 0 && i->title != NULL)
		rc = xml_element(b, "DFTitle", i->title);
	if (rc == 0 && strcmp(format, "node") == 0)
		rc = buf_addstr(b, "<DFType><DDFName/></DFType>");
	else if (rc == 0) {
		rc = buf_addstr(b, "<DFType>");
		if (rc == 0)
			rc = xml_element(b, "MIME", i->type != NULL ?
			    i->type : "text/plain");
		if (rc == 0)
			rc = buf_addstr(b, "</DFType>");
	}
	if (rc == 0)
		rc = buf_addstr(b, "</DFProperties>");
	return rc;
}

/* Reports a node the walk could not read; counts it. */
static void
walk_fail(struct ddf_walk *w, const char *uri, int st, const char *msg)
{
	fprintf(stderr, "luadm: ddf: %s: %s (%d)\n", uri,
	    msg != NULL ? msg : dm_status_text(st), st);
	w->failed++;
}

/*
 * Appends the <Node> of the live node at uri (named name; with <Path>
 * parent when parent is not NULL) and, for an interior node, of its
 * children. Returns -1 on allocation failure; a node that cannot be read
 * is reported and left out.
 */
static int
walk_node(struct ddf_walk *w, const char *uri, const char *name,
    const char *parent, int depth)
{
	struct csp_info info;
	struct csp_value v;
	struct dm_uri u;
	char *msg = NULL, *esc, *child;
	size_t k;
	int st, rc = 0;

	memset(&v, 0, sizeof(v));
	memset(&info, 0, sizeof(info));
	if (++w->nodes > DDF_MAX_NODES) {
		if (w->nodes == DDF_MAX_NODES + 1)
			walk_fail(w, uri, DM_TOO_LARGE, "too many nodes; the "
			    "rest is left out");
		return 0;
	}
	if (uri_parse(uri, &u, NULL) != 0) {
		walk_fail(w, uri, DM_BAD_REQUEST, "bad URI");
		return 0;
	}
	st = tree_stat(w->t, w->who, &u, &info, &msg);
	if (st != DM_OK) {
		walk_fail(w, uri, st, msg);
		goto out;
	}
	if (buf_addstr(w->out, "<Node>") != 0 ||
	    xml_element(w->out, "NodeName", name) != 0 ||
	    (parent != NULL && xml_element(w->out, "Path", parent) != 0) ||
	    walk_properties(w->out, &info) != 0) {
		rc = -1;
		goto out;
	}
	if (info.format != NULL && strcmp(info.format, "node") == 0 &&
	    depth < URI_MAX_DEPTH) {
		st = tree_get(w->t, w->who, &u, &v, &msg);
		if (st != DM_OK && st != DM_NOT_ALLOWED)
			walk_fail(w, uri, st, msg);
		for (k = 0; st == DM_OK && k < v.nchildren && rc == 0; k++) {
			esc = uri_escape_segment(v.children[k]);
			child = esc != NULL ? util_asprintf("%s/%s", uri, esc) :
			    NULL;
			if (child == NULL)
				rc = -1;
			else
				rc = walk_node(w, child, v.children[k], NULL,
				    depth + 1);
			free(esc);
			free(child);
		}
	}
	if (rc == 0)
		rc = buf_addstr(w->out, "</Node>");
out:
	csp_info_free(&info);
	csp_value_free(&v);
	uri_free(&u);
	free(msg);
	return rc;
}

/*
 * Where mount m stands to the requested URI u: 1 when it is at or below u
 * (describe the whole mount), 2 when u is inside it (*path gets u's path
 * relative to it, malloc'd), 0 when they are apart, -1 on allocation
 * failure.
 */
static int
mount_vs(const struct dm_uri *m, const struct dm_uri *u, char **path)
{
	size_t i, n = m->nseg < u->nseg ? m->nseg : u->nseg;

	for (i = 0; i < n; i++)
		if (strcasecmp(m->seg[i], u->seg[i]) != 0)
			return 0;
	if (u->nseg <= m->nseg)
		return 1;
	*path = uri_join_plain(u->seg + m->nseg, u->nseg - m->nseg);
	return *path != NULL ? 2 : -1;
}

/* The parent URI and the name of uri ("./A/B" -> "./A", "B"); malloc'd. */
static int
split_uri(const char *uri, char **parent, char **name)
{
	const char *slash = strrchr(uri, '/');

	*parent = slash != NULL ? strndup(uri, (size_t)(slash - uri)) :
	    strdup(".");
	*name = NULL;
	if (*parent != NULL) {
		*name = uri_unescape_segment(slash != NULL ? slash + 1 : uri,
		    strlen(slash != NULL ? slash + 1 : uri), NULL);
	}
	if (*name == NULL) {
		free(*parent);
		*parent = NULL;
		return -1;
	}
	return 0;
}

/* 1 when xml (one CSP's <Node> element) is well-formed XML. */
static int
well_formed(const char *xml)
{
	xmlDocPtr doc;

	int ok;

	doc = xmlReadMemory(xml, (int)strlen(xml), "node.xml", "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ok = doc != NULL;
	xmlFreeDoc(doc);
	return ok;
}

/*
 * The URI of path (decoded segments joined by "/") below mount, each
 * segment escaped again. malloc'd, NULL on allocation failure.
 */
static char *
join_uri(const char *mount, const char *path)
{
	struct buf b = { 0 };
	const char *p = path, *slash;
	char *seg, *esc;
	int rc;

	rc = buf_addstr(&b, mount);
	while (rc == 0 && *p != '\0') {
		slash = strchr(p, '/');
		seg = slash != NULL ? strndup(p, (size_t)(slash - p)) :
		    strdup(p);
		esc = seg != NULL ? uri_escape_segment(seg) : NULL;
		rc = esc == NULL ? -1 : buf_printf(&b, "/%s", esc);
		free(seg);
		free(esc);
		p = slash != NULL ? slash + 1 : p + strlen(p);
	}
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

/*
 * Appends the description of part p: from the CSP's ddf field, else by
 * walking its live nodes. Returns -1 on allocation failure; a failure to
 * describe is reported and counted in w->failed.
 */
static int
describe(struct ddf_walk *w, const struct ddf_part *p)
{
	struct csp_ctx ctx;
	char *xml = NULL, *msg = NULL, *uri, *parent = NULL, *name = NULL;
	int st, rc = 0;

	uri = join_uri(p->mount, p->path);
	if (uri == NULL)
		return -1;
	if (csp_broken(p->csp) != NULL) {
		walk_fail(w, uri, DM_COMMAND_FAILED, csp_broken(p->csp));
		goto out;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.scope = DM_SCOPE_DEVICE;	/* the local administrator */
	ctx.uri = uri;
	st = csp_ddf(p->csp, &ctx, p->idx, p->path, &xml, &msg);
	if (st == DM_OK && well_formed(xml)) {
		rc = buf_addstr(w->out, xml);
	} else if (st == DM_OK) {
		walk_fail(w, uri, DM_COMMAND_FAILED, "its ddf returned text "
		    "that is not well-formed XML");
	} else if (st == DM_OPTIONAL_FEATURE) {
		/* a raw contract: walk the nodes as they are */
		if (split_uri(uri, &parent, &name) != 0)
			rc = -1;
		else
			rc = walk_node(w, uri, name, parent, 0);
	} else
		walk_fail(w, uri, st, msg);
out:
	free(uri);
	free(xml);
	free(msg);
	free(parent);
	free(name);
	return rc;
}

static int
part_cmp(const void *a, const void *b)
{
	const struct ddf_part *x = a, *y = b;

	return strcmp(x->mount, y->mount);
}

/*
 * Collects the parts to describe below or around u: every mount a CSP
 * really serves (not one overridden by a later csp_path directory).
 * Returns the number, or -1 on allocation failure; *out is malloc'd.
 */
static int
collect(struct tree *t, const struct dm_uri *u, struct ddf_part **out)
{
	struct ddf_part *parts = NULL, *np;
	struct dm_uri *mounts;
	struct csp *c;
	size_t i, j, nm, idx, n = 0;
	char *path;
	int where;

	for (i = 0; i < tree_ncsp(t); i++) {
		c = tree_csp(t, i);
		if (c == NULL)
			continue;
		mounts = csp_mounts(c, &nm);
		for (j = 0; j < nm; j++) {
			if (tree_csp_of(t, &mounts[j], &idx) != c || idx != j)
				continue;	/* overridden */
			path = NULL;
			where = mount_vs(&mounts[j], u, &path);
			if (where == 0)
				continue;
			if (where == 1)
				path = strdup("");
			np = path == NULL ? NULL :
			    realloc(parts, (n + 1) * sizeof(*parts));
			if (np == NULL) {
				free(path);
				goto nomem;
			}
			parts = np;
			parts[n].mount = mounts[j].orig;
			parts[n].csp = c;
			parts[n].idx = j;
			parts[n].path = path;
			n++;
		}
	}
	if (n > 0)
		qsort(parts, n, sizeof(*parts), part_cmp);
	*out = parts;
	return (int)n;
nomem:
	for (i = 0; i < n; i++)
		free(parts[i].path);
	free(parts);
	return -1;
}

/* Appends <tag>value</tag> for the DevInfo leaf at uri, when it has one. */
static int
device_fact(struct ddf_walk *w, const char *uri, const char *tag)
{
	struct csp_value v;
	struct dm_uri u;
	int rc = 0;

	memset(&v, 0, sizeof(v));
	if (uri_parse(uri, &u, NULL) != 0)
		return 0;
	if (tree_get(w->t, w->who, &u, &v, NULL) == DM_OK && v.data != NULL &&
	    strlen(v.data) == v.len)
		rc = xml_element(w->out, tag, v.data);
	csp_value_free(&v);
	uri_free(&u);
	return rc;
}

/* Parses the document in b and prints it indented. 0, or -1 (reported). */
static int
print_document(const struct buf *b)
{
	xmlDocPtr doc;

	doc = xmlReadMemory(b->p, (int)b->len, "ddf.xml", "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	if (doc == NULL) {
		fprintf(stderr, "luadm: ddf: a CSP's description is not "
		    "well-formed XML\n");
		return -1;
	}
	xmlDocFormatDump(stdout, doc, 1);
	xmlFreeDoc(doc);
	return 0;
}

int
cmd_ddf(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct tree_who who = { NULL, NULL };
	struct ddf_part *parts = NULL;
	struct ddf_walk w;
	struct dm_uri u = { 0 };
	struct buf b = { 0 };
	struct tree *t = NULL;
	const char *why = NULL, *target;
	char *err = NULL;
	int ch, n = 0, i, rc = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			ddf_usage(stdout);
			return 0;
		default:
			ddf_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		ddf_usage(stderr);
		return 2;
	}
	target = argc == 1 ? argv[0] : ".";
	if (uri_parse(target, &u, &why) != 0 || u.prop != NULL ||
	    u.list != NULL) {
		fprintf(stderr, "luadm: %s: %s\n", target, why != NULL ? why :
		    "a node URI without a query");
		goto out;
	}
	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "luadm: %s\n", err);
		goto out;
	}
	n = collect(t, &u, &parts);
	if (n < 0)
		goto nomem;
	if (n == 0) {
		fprintf(stderr, "luadm: %s: no CSP is mounted there\n", target);
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.t = t;
	w.who = &who;
	w.out = &b;
	if (buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE MgmtTree PUBLIC \"-//OMA//DTD-DM-DDF 1.2//EN\"\n"
	    "  \"http://www.openmobilealliance.org/tech/DTD/DM_DDF-V1_2.dtd\">"
	    "\n<MgmtTree><VerDTD>1.2</VerDTD>") != 0 ||
	    device_fact(&w, "./DevInfo/Man", "Man") != 0 ||
	    device_fact(&w, "./DevInfo/Mod", "Mod") != 0)
		goto nomem;
	for (i = 0; i < n; i++)
		if (describe(&w, &parts[i]) != 0)
			goto nomem;
	if (buf_addstr(&b, "</MgmtTree>\n") != 0)
		goto nomem;
	if (print_document(&b) == 0 && w.failed == 0)
		rc = 0;
	goto out;
nomem:
	fprintf(stderr, "luadm: ddf: out of memory\n");
out:
	for (i = 0; i < n; i++)
		free(parts[i].path);
	free(parts);
	tree_free(t);
	uri_free(&u);
	buf_free(&b);
	free(err);
	return rc;
}
