/*
 * xml_safe.c: the safe libxml2 parse of untrusted XML text; see
 * xml_safe.h for the policy.
 *
 * One parser set-up serves both ways in. The policy hooks (declarations,
 * entity references, errors) are the same; the element hooks count depth
 * and elements and then either call libxml2's own SAX2 tree builder
 * (xml_safe_read) or the caller's handlers (xml_safe_sax, whose SAX table
 * holds nothing else, so no tree is built and no DTD kept).
 *
 * Memory: libxml2 reads the caller's bytes through a read callback, a few
 * KiB at a time, instead of copying the whole input into a buffer of its
 * own first. In a DOM, text is ours too (dom_text): each run of character
 * data becomes one text node whose content is allocated once, at a size
 * bounded by the input up to the next '<', rather than grown by doubling
 * as libxml2's builder does. A 1 MiB <Data> thus costs 1 MiB, which
 * syncml_parse() then takes over without a copy.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "syncml.h"
#include "xml_safe.h"

#if LIBXML_VERSION >= 21200
#define XMLERR_CONST const
#else
#define XMLERR_CONST
#endif

#define PARSE_OPTIONS	(XML_PARSE_NONET | XML_PARSE_NOERROR | \
	    XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES)

/* A run of text shorter than this much below its allocation is kept. */
#define RUN_SLACK	1024

/* The caller's bytes that libxml2 has not read yet. */
struct xml_safe_input {
	const char	*p;
	size_t		 left;
};

/* State of one parse, reached from the parser's _private. */
struct xml_safe {
	xmlParserCtxtPtr ctxt;
	struct xml_safe_input in;
	struct syncml_limits lim;
	const struct xml_safe_handler *h;	/* NULL: build a DOM */
	void		*arg;		/* for h */
	unsigned	 depth;		/* open elements */
	unsigned long	 nelem;		/* elements seen */
	int		 stopped;	/* it failed or was stopped */
	char		 why[XML_SAFE_ERRLEN];	/* ... and why */
	int		 have_fatal;	/* first fatal libxml2 error kept */
	int		 have_error;	/* first other error kept */
	char		 fatal[XML_SAFE_ERRLEN];
	char		 error[XML_SAFE_ERRLEN];
	startElementNsSAX2Func start;	/* libxml2's own tree handlers */
	endElementNsSAX2Func end;
	xmlNodePtr	 run;		/* DOM: the text node being filled */
	size_t		 run_len;	/* its content's length */
	size_t		 run_cap;	/* its content's allocation */
};

static void	fail(struct xml_safe *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	refuse(void *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Copies a libxml2 message into dst as one line, without the newline. */
static void
copy_line(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
	while (i > 0 && dst[i - 1] == ' ')
		i--;
	dst[i] = '\0';
}

/* Marks the parse failed; the first reason is kept. */
static void
vfail(struct xml_safe *xs, const char *fmt, va_list ap)
{
	if (xs->stopped)
		return;
	vsnprintf(xs->why, sizeof(xs->why), fmt, ap);
	xs->stopped = 1;
}

/* The parse failed outside the parser (before or after it ran). */
static void
fail(struct xml_safe *xs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(xs, fmt, ap);
	va_end(ap);
}

void
xml_safe_stop(struct xml_safe *xs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(xs, fmt, ap);
	va_end(ap);
	xmlStopParser(xs->ctxt);
}

int
xml_safe_line(const struct xml_safe *xs)
{
	return xmlSAX2GetLineNumber(xs->ctxt);
}

/* ---- SAX hooks ---- */

/* Stops the parser of the SAX context ctx; the first reason is kept. */
static void
refuse(void *ctx, const char *fmt, ...)
{
	xmlParserCtxtPtr ctxt = ctx;
	va_list ap;

	va_start(ap, fmt);
	vfail(ctxt->_private, fmt, ap);
	va_end(ap);
	xmlStopParser(ctxt);
}

/* The text node being filled is complete: give back what it overshot. */
static void
run_end(struct xml_safe *xs)
{
	xmlChar *p;

	if (xs->run != NULL && xs->run_cap - xs->run_len - 1 > RUN_SLACK) {
		p = xmlRealloc(xs->run->content, xs->run_len + 1);
		if (p != NULL)
			xs->run->content = p;
	}
	xs->run = NULL;
	xs->run_len = xs->run_cap = 0;
}

/*
 * Bytes enough for the run of text that starts with the len bytes at ch,
 * NUL included: the text ends at the next '<' of the input (entity and
 * character references and line ends only shrink it), first looked for
 * in what libxml2 has buffered, then in what it has not read. 0 when no
 * bound is known (the input is being converted from another encoding).
 */
static size_t
run_bound(const struct xml_safe *xs, const xmlChar *ch, size_t len)
{
	xmlParserInputPtr in = xs->ctxt->input;
	const xmlChar *from, *lt;
	const char *rlt;
	uintptr_t c;

	if (xs->ctxt->inputNr != 1 || in == NULL || in->cur == NULL ||
	    in->end == NULL || (in->buf != NULL && in->buf->encoder != NULL))
		return 0;
	/* libxml2 hands over text straight from its buffer, before moving
	 * cur past it, or from a copy, after */
	c = (uintptr_t)ch;
	from = in->cur;
	if (c >= (uintptr_t)in->cur && c + len <= (uintptr_t)in->end)
		from = ch + len;
	lt = memchr(from, '<', (size_t)(in->end - from));
	if (lt != NULL)
		return len + (size_t)(lt - from) + 1;
	rlt = memchr(xs->in.p, '<', xs->in.left);
	return len + (size_t)(in->end - from) +
	    (rlt != NULL ? (size_t)(rlt - xs->in.p) : xs->in.left) + 1;
}

/*
 * Starts a text node as the last child of parent, with room for cap
 * bytes. Its content is xmlMalloc'd, NUL-terminated. 0, or -1 with the
 * parse stopped.
 */
static int
run_start(struct xml_safe *xs, xmlNodePtr parent, size_t cap)
{
	xmlNodePtr n;
	int line;

	run_end(xs);
	n = xmlNewDocText(parent->doc, NULL);
	if (n == NULL)
		goto nomem;
	n->content = xmlMalloc(cap);
	if (n->content == NULL) {
		xmlFreeNode(n);
		goto nomem;
	}
	n->content[0] = '\0';
	if (xs->ctxt->linenumbers) {
		/* as libxml2 numbers its own text nodes */
		line = xmlSAX2GetLineNumber(xs->ctxt);
		if (line >= 0 && line < 65535)
			n->line = (unsigned short)line;
		else if (line >= 65535) {
			n->line = 65535;
			n->psvi = (void *)(ptrdiff_t)line;
		}
	}
	n->parent = parent;
	if (parent->last == NULL)
		parent->children = n;
	else {
		parent->last->next = n;
		n->prev = parent->last;
	}
	parent->last = n;
	xs->run = n;
	xs->run_len = 0;
	xs->run_cap = cap;
	return 0;
nomem:
	refuse(xs->ctxt, "out of memory");
	return -1;
}

/*
 * Character data, CDATA excepted, of xml_safe_read(), in place of
 * libxml2's tree builder: appended to the text node being filled, or to a
 * new one when something else came since.
 */
static void
dom_text(void *ctx, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xml_safe *xs = ctxt->_private;
	xmlNodePtr parent = ctxt->node;
	size_t need, cap;
	xmlChar *p;

	if (xs->stopped || len <= 0 || parent == NULL)
		return;
	need = (size_t)len + 1;
	if (xs->run == NULL || parent->last != xs->run) {
		cap = run_bound(xs, ch, (size_t)len);
		if (run_start(xs, parent, cap > need ? cap : need) != 0)
			return;
	}
	need += xs->run_len;
	if (need > xs->run_cap) {
		/* no bound was known, or it was wrong: grow */
		cap = xs->run_cap > need / 2 ? 2 * xs->run_cap : need;
		p = xmlRealloc(xs->run->content, cap);
		if (p == NULL) {
			refuse(ctxt, "out of memory");
			return;
		}
		xs->run->content = p;
		xs->run_cap = cap;
	}
	memcpy(xs->run->content + xs->run_len, ch, (size_t)len);
	xs->run_len += (size_t)len;
	xs->run->content[xs->run_len] = '\0';
}

static void
sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attr,
    int nb_def, const xmlChar **attr)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xml_safe *xs = ctxt->_private;

	if (xs->stopped)
		return;
	if (xs->depth >= xs->lim.max_depth) {
		refuse(ctxt, "elements nested deeper than %u (line %d)",
		    xs->lim.max_depth, xmlSAX2GetLineNumber(ctxt));
		return;
	}
	if (xs->nelem >= xs->lim.max_elements) {
		refuse(ctxt, "more than %lu elements (line %d)",
		    xs->lim.max_elements, xmlSAX2GetLineNumber(ctxt));
		return;
	}
	xs->depth++;
	xs->nelem++;
	if (xs->h == NULL) {
		run_end(xs);
		xs->start(ctx, localname, prefix, uri, nb_ns, ns, nb_attr,
		    nb_def, attr);
	} else if (xs->h->start != NULL)
		xs->h->start(xs, xs->arg, (const char *)localname,
		    (const char *)uri);
}

static void
sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xml_safe *xs = ctxt->_private;

	if (xs->stopped)
		return;
	if (xs->depth > 0)
		xs->depth--;
	if (xs->h == NULL) {
		run_end(xs);
		xs->end(ctx, localname, prefix, uri);
	} else if (xs->h->end != NULL)
		xs->h->end(xs, xs->arg);
}

/* Text, CDATA and white space of xml_safe_sax(). */
static void
sax_text(void *ctx, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xml_safe *xs = ctxt->_private;

	if (xs->stopped || len <= 0 || xs->h->text == NULL)
		return;
	xs->h->text(xs, xs->arg, (const char *)ch, (size_t)len);
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type,
    const xmlChar *pub, const xmlChar *sys, xmlChar *content)
{
	(void)type;
	(void)pub;
	(void)sys;
	(void)content;
	refuse(ctx, "entity declaration \"%.40s\" refused (line %d)",
	    (const char *)name, xmlSAX2GetLineNumber(ctx));
}

static void
sax_unparsed_decl(void *ctx, const xmlChar *name, const xmlChar *pub,
    const xmlChar *sys, const xmlChar *notation)
{
	(void)pub;
	(void)sys;
	(void)notation;
	refuse(ctx, "entity declaration \"%.40s\" refused (line %d)",
	    (const char *)name, xmlSAX2GetLineNumber(ctx));
}

/* Any other markup declaration of a DOCTYPE internal subset. */
static void
refuse_subset(void *ctx)
{
	refuse(ctx, "DOCTYPE internal subset refused (line %d)",
	    xmlSAX2GetLineNumber(ctx));
}

static void
sax_element_decl(void *ctx, const xmlChar *name, int type,
    xmlElementContentPtr content)
{
	(void)name;
	(void)type;
	(void)content;
	refuse_subset(ctx);
}

static void
sax_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *name,
    int type, int def, const xmlChar *defval, xmlEnumerationPtr tree)
{
	(void)elem;
	(void)name;
	(void)type;
	(void)def;
	(void)defval;
	xmlFreeEnumeration(tree);	/* ours, as in xmlSAX2AttributeDecl */
	refuse_subset(ctx);
}

static void
sax_notation_decl(void *ctx, const xmlChar *name, const xmlChar *pub,
    const xmlChar *sys)
{
	(void)name;
	(void)pub;
	(void)sys;
	refuse_subset(ctx);
}

/* Called for entity references that are not one of the predefined five. */
static void
sax_reference(void *ctx, const xmlChar *name)
{
	refuse(ctx, "entity reference &%.40s; refused (line %d)",
	    (const char *)name, xmlSAX2GetLineNumber(ctx));
}

/* Keeps the first fatal error and the first other error; prints nothing. */
static void
sax_serror(void *ctx, XMLERR_CONST xmlError *e)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xml_safe *xs;
	char line[200];

	if (ctxt == NULL || e == NULL)
		return;
	xs = ctxt->_private;
	if (xs == NULL || e->level < XML_ERR_ERROR)
		return;
	copy_line(line, sizeof(line), e->message);
	if (e->level == XML_ERR_FATAL && !xs->have_fatal) {
		snprintf(xs->fatal, sizeof(xs->fatal),
		    "XML error at line %d: %s", e->line, line);
		xs->have_fatal = 1;
	} else if (!xs->have_error) {
		snprintf(xs->error, sizeof(xs->error),
		    "XML error at line %d: %s", e->line, line);
		xs->have_error = 1;
	}
}

/* ---- the parse ---- */

/* libxml2's read callback: the next bytes of the caller's input. */
static int
input_read(void *ctx, char *buf, int len)
{
	struct xml_safe_input *in = ctx;
	size_t n;

	if (len <= 0)
		return 0;
	n = in->left < (size_t)len ? in->left : (size_t)len;
	memcpy(buf, in->p, n);
	in->p += n;
	in->left -= n;
	return (int)n;
}

/* libxml2's close callback: the input stays the caller's. */
static int
input_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * Makes the parser of len bytes at buf, which it reads as it goes (no
 * copy of the whole), and sets up its SAX table: libxml2's tree builder
 * behind the element hooks, with our text nodes, when xs->h is NULL, else
 * only our hooks. 0, or -1 with the reason in xs.
 */
static int
start(struct xml_safe *xs, const void *buf, size_t len)
{
	xmlSAXHandler *sax;

	if (buf == NULL || len == 0) {
		fail(xs, "empty input");
		return -1;
	}
	if (len > xs->lim.max_input || len > INT_MAX) {
		fail(xs, "input too large: %zu bytes, limit %zu", len,
		    xs->lim.max_input);
		return -1;
	}
	xs->in.p = buf;
	xs->in.left = len;
	xs->ctxt = xmlCreateIOParserCtxt(NULL, NULL, input_read, input_close,
	    &xs->in, XML_CHAR_ENCODING_NONE);
	if (xs->ctxt == NULL) {
		fail(xs, "cannot create an XML parser");
		return -1;
	}
	if (xmlCtxtUseOptions(xs->ctxt, PARSE_OPTIONS) != 0) {
		fail(xs, "libxml2 refused the parser options");
		return -1;
	}
	sax = xs->ctxt->sax;
	if (xs->h == NULL) {
		xs->start = sax->startElementNs;
		xs->end = sax->endElementNs;
		if (xs->start == NULL || xs->end == NULL) {
			fail(xs, "libxml2 has no SAX2 element handlers");
			return -1;
		}
		if (sax->ignorableWhitespace == sax->characters)
			sax->ignorableWhitespace = dom_text;
		sax->characters = dom_text;
	} else {
		memset(sax, 0, sizeof(*sax));
		sax->initialized = XML_SAX2_MAGIC;
		sax->characters = sax_text;
		sax->ignorableWhitespace = sax_text;
		sax->cdataBlock = sax_text;
	}
	sax->startElementNs = sax_start;
	sax->endElementNs = sax_end;
	sax->entityDecl = sax_entity_decl;
	sax->unparsedEntityDecl = sax_unparsed_decl;
	sax->elementDecl = sax_element_decl;
	sax->attributeDecl = sax_attribute_decl;
	sax->notationDecl = sax_notation_decl;
	sax->reference = sax_reference;
	sax->externalSubset = NULL;
	sax->serror = sax_serror;
	xs->ctxt->_private = xs;
	return 0;
}

/*
 * Parses len bytes at buf with h (NULL: into a DOM). Returns what libxml2
 * built (the caller frees it; NULL is possible in SAX mode) and sets *ok
 * to 1, or returns NULL with *ok 0 and the reason in err.
 */
static xmlDocPtr
parse(const void *buf, size_t len, const struct syncml_limits *lim,
    const struct xml_safe_handler *h, void *arg, int *ok, char *err,
    size_t errlen)
{
	struct xml_safe xs;
	xmlDocPtr doc = NULL;
	int prc;

	memset(&xs, 0, sizeof(xs));
	xs.lim = *lim;
	xs.h = h;
	xs.arg = arg;
	if (start(&xs, buf, len) == 0) {
		prc = xmlParseDocument(xs.ctxt);
		run_end(&xs);
		/* SAX mode too: entity declarations make libxml2 start one */
		doc = xs.ctxt->myDoc;
		xs.ctxt->myDoc = NULL;
		if (prc != 0 || !xs.ctxt->wellFormed ||
		    (h == NULL && doc == NULL))
			fail(&xs, "%s", xs.have_fatal ? xs.fatal :
			    xs.have_error ? xs.error : "not well-formed XML");
	}
	xmlFreeParserCtxt(xs.ctxt);
	*ok = !xs.stopped;
	if (xs.stopped) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", xs.why);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	return doc;
}

struct _xmlDoc *
xml_safe_read(const void *buf, size_t len, const struct syncml_limits *lim,
    char *err, size_t errlen)
{
	int ok;

	return parse(buf, len, lim, NULL, NULL, &ok, err, errlen);
}

int
xml_safe_sax(const void *buf, size_t len, const struct syncml_limits *lim,
    const struct xml_safe_handler *h, void *arg, char *err, size_t errlen)
{
	static const struct xml_safe_handler none;
	int ok;

	xmlFreeDoc(parse(buf, len, lim, h != NULL ? h : &none, arg, &ok, err,
	    errlen));
	return ok ? 0 : -1;
}
