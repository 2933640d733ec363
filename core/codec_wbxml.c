/*
 * codec_wbxml.c: SyncML DM WBXML <-> libxml2 DOM / XML text; see
 * codec_wbxml.h for what is accepted and produced.
 *
 * The decoder is one loop over the token stream with an explicit stack of
 * open elements (no recursion, so hostile depth costs nothing but the
 * limit check). Every read is checked against the end of the input and
 * every multi-byte integer against 32 bits before it is used as a length
 * or an offset; text is counted per element and per document, so that
 * string-table references cannot amplify a small input into a big tree.
 *
 * The encoder never builds a DOM: the handlers of xml_safe_sax() (the
 * XML policy of xml_safe.h) write the tokens as the elements arrive. A
 * start tag is written with the content bit set; when its end comes right
 * after it, the bit is cleared again, which gives empty elements their
 * short form.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "b64.h"
#include "codec_wbxml.h"
#include "syncml.h"
#include "util.h"
#include "xml_safe.h"

/* Global tokens (WBXML 1.3, section 7.1). */
#define TOK_SWITCH_PAGE	0x00
#define TOK_END		0x01
#define TOK_ENTITY	0x02
#define TOK_STR_I	0x03
#define TOK_LITERAL	0x04
#define TOK_EXT_I_0	0x40
#define TOK_EXT_I_2	0x42
#define TOK_PI		0x43
#define TOK_LITERAL_C	0x44
#define TOK_EXT_T_0	0x80
#define TOK_EXT_T_2	0x82
#define TOK_STR_T	0x83
#define TOK_LITERAL_A	0x84
#define TOK_EXT_0	0xC0
#define TOK_EXT_2	0xC2
#define TOK_OPAQUE	0xC3
#define TOK_LITERAL_AC	0xC4

#define TAG_CONTENT	0x40	/* tag | 0x40: the element has content */
#define TAG_ATTRS	0x80	/* tag | 0x80: attributes follow */
#define TAG_MASK	0x3F

#define CHARSET_UTF8	106	/* IANA MIBenum */

#define PUBID_LITERAL	0x00
#define PUBID_UNKNOWN	0x01
#define PUBID_SYNCML10	0x0FD1
#define PUBID_SYNCML11	0x0FD3
#define PUBID_SYNCML12	0x1201

#define FPI_SYNCML11	"-//SYNCML//DTD SyncML 1.1//EN"
#define FPI_SYNCML12	"-//SYNCML//DTD SyncML 1.2//EN"

#define NS_SYNCML11	"SYNCML:SYNCML1.1"
#define NS_SYNCML12	"SYNCML:SYNCML1.2"
#define NS_METINF	"syncml:metinf"
#define NS_DMDDF	"syncml:dmddf1.2"

#define PAGE_SYNCML	0
#define PAGE_METINF	1
#define PAGE_DMDDF	2
#define NPAGES		3
#define NTOKENS		(TAG_MASK + 1)

/* Tokens the fix-ups of binary OPAQUE look for. */
#define T_CRED		0x0E
#define T_DATA		0x0F
#define T_ITEM		0x14
#define T_META		0x1A
#define M_FORMAT	0x07
#define M_METINF	0x0E
#define M_NEXTNONCE	0x10

/*
 * Tag tables: [page][token] -> element name; NULL where the token is not
 * defined. Page 0 and 1 from the SyncML 1.2 RepPro and MetInf WBXML
 * tables, page 2 from OMA DM TND 1.2 (DDF); 0x30 of page 0 is reserved.
 */
static const char *const tag_names[NPAGES][NTOKENS] = {
	[PAGE_SYNCML] = {
		[0x05] = "Add", [0x06] = "Alert", [0x07] = "Archive",
		[0x08] = "Atomic", [0x09] = "Chal", [0x0A] = "Cmd",
		[0x0B] = "CmdID", [0x0C] = "CmdRef", [0x0D] = "Copy",
		[0x0E] = "Cred", [0x0F] = "Data", [0x10] = "Delete",
		[0x11] = "Exec", [0x12] = "Final", [0x13] = "Get",
		[0x14] = "Item", [0x15] = "Lang", [0x16] = "LocName",
		[0x17] = "LocURI", [0x18] = "Map", [0x19] = "MapItem",
		[0x1A] = "Meta", [0x1B] = "MsgID", [0x1C] = "MsgRef",
		[0x1D] = "NoResp", [0x1E] = "NoResults", [0x1F] = "Put",
		[0x20] = "Replace", [0x21] = "RespURI", [0x22] = "Results",
		[0x23] = "Search", [0x24] = "Sequence", [0x25] = "SessionID",
		[0x26] = "SftDel", [0x27] = "Source", [0x28] = "SourceRef",
		[0x29] = "Status", [0x2A] = "Sync", [0x2B] = "SyncBody",
		[0x2C] = "SyncHdr", [0x2D] = "SyncML", [0x2E] = "Target",
		[0x2F] = "TargetRef", [0x31] = "VerDTD", [0x32] = "VerProto",
		[0x33] = "NumberOfChanges", [0x34] = "MoreData",
		[0x35] = "Field", [0x36] = "Filter", [0x37] = "Record",
		[0x38] = "FilterType", [0x39] = "SourceParent",
		[0x3A] = "TargetParent", [0x3B] = "Move",
		[0x3C] = "Correlator"
	},
	[PAGE_METINF] = {
		[0x05] = "Anchor", [0x06] = "EMI", [0x07] = "Format",
		[0x08] = "FreeID", [0x09] = "FreeMem", [0x0A] = "Last",
		[0x0B] = "Mark", [0x0C] = "MaxMsgSize", [0x0D] = "Mem",
		[0x0E] = "MetInf", [0x0F] = "Next", [0x10] = "NextNonce",
		[0x11] = "SharedMem", [0x12] = "Size", [0x13] = "Type",
		[0x14] = "Version", [0x15] = "MaxObjSize",
		[0x16] = "FieldLevel"
	},
	[PAGE_DMDDF] = {
		[0x05] = "AccessType", [0x06] = "ACL", [0x07] = "Add",
		[0x08] = "b64", [0x09] = "bin", [0x0A] = "bool",
		[0x0B] = "chr", [0x0C] = "CaseSense", [0x0D] = "CIS",
		[0x0E] = "Copy", [0x0F] = "CS", [0x10] = "date",
		[0x11] = "DDFName", [0x12] = "DefaultValue",
		[0x13] = "Delete", [0x14] = "Description",
		[0x15] = "DFFormat", [0x16] = "DFProperties",
		[0x17] = "DFTitle", [0x18] = "DFType", [0x19] = "Dynamic",
		[0x1A] = "Exec", [0x1B] = "float", [0x1C] = "Format",
		[0x1D] = "Get", [0x1E] = "int", [0x1F] = "Man",
		[0x20] = "MgmtTree", [0x21] = "MIME", [0x22] = "Mod",
		[0x23] = "Name", [0x24] = "Node", [0x25] = "node",
		[0x26] = "NodeName", [0x27] = "null", [0x28] = "Occurrence",
		[0x29] = "One", [0x2A] = "OneOrMore", [0x2B] = "OneOrN",
		[0x2C] = "Path", [0x2D] = "Permanent", [0x2E] = "Replace",
		[0x2F] = "RTProperties", [0x30] = "Scope", [0x31] = "Size",
		[0x32] = "time", [0x33] = "Title", [0x34] = "TStamp",
		[0x35] = "Type", [0x36] = "Value", [0x37] = "VerDTD",
		[0x38] = "VerNo", [0x39] = "xml", [0x3A] = "ZeroOrMore",
		[0x3B] = "ZeroOrN", [0x3C] = "ZeroOrOne"
	}
};

static const char *const page_what[NPAGES] = {
	"SyncML", "MetInf", "DM DDF"
};

/* The token of name on page, or -1 when the page has no such element. */
static int
tag_token(unsigned page, const char *name)
{
	int t;

	for (t = 0; t < NTOKENS; t++)
		if (tag_names[page][t] != NULL &&
		    tag_names[page][t][0] == name[0] &&
		    strcmp(tag_names[page][t], name) == 0)
			return t;
	return -1;
}

/* ==== Decoding ==== */

/* One open element of the decoder. */
struct dec_open {
	xmlNodePtr	 node;
	unsigned char	 page;
	unsigned char	 tok;
	unsigned char	 binary;	/* its text is base64 of OPAQUE */
};

/* State of one wbxml_decode(). */
struct dec {
	const unsigned char *base;	/* the input */
	const unsigned char *p;		/* next byte */
	const unsigned char *end;
	const unsigned char *strtbl;	/* string table, may be NULL */
	size_t		 strtbl_len;
	struct wbxml_limits lim;
	const char	*href[NPAGES];	/* namespace of each page */
	unsigned	 page;		/* current tag code page */
	xmlDocPtr	 doc;
	struct dec_open	*open;		/* stack of open elements */
	unsigned	 depth;		/* entries in open[] */
	unsigned	 maxopen;	/* room in open[] (grows) */
	unsigned long	 nelem;
	size_t		 ntext;		/* text bytes so far */
	struct buf	 text;		/* pending text of open[depth-1] */
	int		 text_opaque;	/* ... OPAQUE is part of it */
	int		 root_done;	/* the root element was closed */
	xmlNodePtr	*marked;	/* elements whose text is base64 */
	size_t		 nmarked;
	size_t		 capmarked;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static int	dfail(struct dec *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Records the first error; returns -1. */
static int
dfail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->failed && d->err != NULL && d->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
	}
	d->failed = 1;
	return -1;
}

/* Offset of the byte before d->p (the token just read). */
static size_t
dpos(const struct dec *d)
{
	return (size_t)(d->p - d->base) - (d->p > d->base ? 1 : 0);
}

/* dst = src with the defaults where src (or a field of it) is 0. */
static void
limits_fill(struct wbxml_limits *dst, const struct wbxml_limits *src)
{
	dst->max_input = WBXML_MAX_INPUT;
	dst->max_depth = WBXML_MAX_DEPTH;
	dst->max_elements = WBXML_MAX_ELEMENTS;
	dst->max_string = WBXML_MAX_STRING;
	dst->max_text = WBXML_MAX_TEXT;
	if (src == NULL)
		return;
	if (src->max_input != 0)
		dst->max_input = src->max_input;
	if (src->max_depth != 0)
		dst->max_depth = src->max_depth;
	if (src->max_elements != 0)
		dst->max_elements = src->max_elements;
	if (src->max_string != 0)
		dst->max_string = src->max_string;
	if (src->max_text != 0)
		dst->max_text = src->max_text;
}

/* Reads one byte. */
static int
get_u8(struct dec *d, unsigned *v, const char *what)
{
	*v = 0;
	if (d->p >= d->end)
		return dfail(d, "truncated WBXML: %s missing at byte %zu", what,
		    (size_t)(d->p - d->base));
	*v = *d->p++;
	return 0;
}

/*
 * Reads an mb_u_int32: at most 5 bytes of 7 bits, most significant first,
 * the high bit set on all but the last; a value over 32 bits is refused.
 */
static int
get_mb(struct dec *d, uint32_t *v, const char *what)
{
	size_t at = (size_t)(d->p - d->base);
	uint32_t r = 0;
	unsigned c;
	int i;

	*v = 0;
	for (i = 0; i < 5; i++) {
		if (d->p >= d->end)
			return dfail(d, "truncated WBXML: %s cut at byte %zu",
			    what, at);
		c = *d->p++;
		if ((r >> 25) != 0)
			break;
		r = r << 7 | (c & 0x7F);
		if ((c & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return dfail(d, "%s at byte %zu does not fit in 32 bits", what, at);
}

/*
 * The string at off in the string table: up to its NUL, or to the end of
 * the table (a literal public id is often stored without NUL).
 */
static int
table_string(struct dec *d, uint32_t off, const char **s, size_t *n,
    const char *what)
{
	const unsigned char *nul;

	*s = "";
	*n = 0;
	if (d->strtbl == NULL || off >= d->strtbl_len)
		return dfail(d, "%s: string table offset %lu outside the "
		    "table (%zu bytes) at byte %zu", what, (unsigned long)off,
		    d->strtbl_len, dpos(d));
	*s = (const char *)d->strtbl + off;
	nul = memchr(d->strtbl + off, '\0', d->strtbl_len - off);
	*n = nul != NULL ? (size_t)(nul - (d->strtbl + off)) :
	    d->strtbl_len - off;
	return 0;
}

/* Adds n bytes to the pending text, within the limits. */
static int
text_add(struct dec *d, const void *s, size_t n)
{
	if (d->depth == 0)
		return dfail(d, "text outside the root element at byte %zu",
		    dpos(d));
	if (d->open[d->depth - 1].binary)
		return dfail(d, "content after binary OPAQUE data in <%s> at "
		    "byte %zu", d->open[d->depth - 1].node->name, dpos(d));
	if (n > d->lim.max_string || d->text.len > d->lim.max_string - n)
		return dfail(d, "text of <%s> longer than %zu bytes (byte %zu)",
		    d->open[d->depth - 1].node->name, d->lim.max_string,
		    dpos(d));
	if (n > d->lim.max_text || d->ntext > d->lim.max_text - n)
		return dfail(d, "more than %zu bytes of text in the document "
		    "(byte %zu)", d->lim.max_text, dpos(d));
	d->ntext += n;
	if (buf_add(&d->text, s, n) != 0)
		return dfail(d, "out of memory");
	return 0;
}

/* Adds a string token's text, which must be valid XML text. */
static int
text_add_str(struct dec *d, const char *s, size_t n, const char *what)
{
	if (!syncml_text_valid(s, n))
		return dfail(d, "%s at byte %zu is not valid UTF-8 XML text",
		    what, dpos(d));
	return text_add(d, s, n);
}

/* Adds the UTF-8 form of the character of an ENTITY token. */
static int
text_add_entity(struct dec *d, uint32_t c)
{
	unsigned char u[4];
	size_t n;

	if (!(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 &&
	    c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	    (c >= 0x10000 && c <= 0x10FFFF)))
		return dfail(d, "ENTITY &#x%lX; at byte %zu is not a character "
		    "XML allows", (unsigned long)c, dpos(d));
	if (c < 0x80) {
		u[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (unsigned char)(0xC0 | c >> 6);
		u[1] = (unsigned char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (unsigned char)(0xE0 | c >> 12);
		u[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		u[2] = (unsigned char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | c >> 18);
		u[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
		u[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		u[3] = (unsigned char)(0x80 | (c & 0x3F));
		n = 4;
	}
	return text_add(d, u, n);
}

/* 1 when the open element o is tok of page. */
static int
open_is(const struct dec_open *o, unsigned page, unsigned tok)
{
	return o->page == page && o->tok == tok;
}

/*
 * Whether binary OPAQUE may stand in the element on top of the stack:
 * Item or Cred Data, or NextNonce (see codec_wbxml.h).
 */
static int
binary_allowed(const struct dec *d)
{
	const struct dec_open *o = &d->open[d->depth - 1];
	const struct dec_open *parent;

	if (open_is(o, PAGE_METINF, M_NEXTNONCE))
		return 1;
	if (!open_is(o, PAGE_SYNCML, T_DATA) || d->depth < 2)
		return 0;
	parent = &d->open[d->depth - 2];
	return open_is(parent, PAGE_SYNCML, T_ITEM) ||
	    open_is(parent, PAGE_SYNCML, T_CRED);
}

/*
 * Turns the pending text into a text node of the top element. Text that
 * holds OPAQUE bytes XML cannot carry becomes their base64, and the
 * element is marked for the Format fix-up.
 */
static int
text_flush(struct dec *d)
{
	struct dec_open *o;
	xmlNodePtr t;
	char *b64 = NULL;
	const char *s;
	size_t n;
	void *np;

	if (d->text.len == 0) {
		d->text_opaque = 0;
		return 0;
	}
	o = &d->open[d->depth - 1];
	s = d->text.p;
	n = d->text.len;
	if (d->text_opaque && !syncml_text_valid(s, n)) {
		if (!binary_allowed(d))
			return dfail(d, "binary OPAQUE data in <%s> (byte "
			    "%zu): only Item or Cred Data and NextNonce may "
			    "be binary", o->node->name, dpos(d));
		if (o->node->children != NULL)
			return dfail(d, "binary OPAQUE data mixed with other "
			    "content in <%s> (byte %zu)", o->node->name,
			    dpos(d));
		b64 = b64_encode(s, n);
		if (b64 == NULL)
			return dfail(d, "out of memory");
		n = strlen(b64);
		if (n > d->lim.max_string || n - d->text.len >
		    d->lim.max_text - d->ntext) {
			free(b64);
			return dfail(d, "base64 of the OPAQUE data of <%s> "
			    "over the text limit", o->node->name);
		}
		d->ntext += n - d->text.len;
		s = b64;
		if (d->nmarked == d->capmarked) {
			d->capmarked = d->capmarked ? d->capmarked * 2 : 8;
			np = d->capmarked > SIZE_MAX / sizeof(*d->marked) ?
			    NULL : realloc(d->marked, d->capmarked *
			    sizeof(*d->marked));
			if (np == NULL) {
				free(b64);
				return dfail(d, "out of memory");
			}
			d->marked = np;
		}
		d->marked[d->nmarked++] = o->node;
		o->binary = 1;
	}
	if (n > INT_MAX) {
		free(b64);
		return dfail(d, "text of <%s> too long for libxml2",
		    o->node->name);
	}
	t = xmlNewDocTextLen(d->doc, (const xmlChar *)s, (int)n);
	free(b64);
	if (t == NULL)
		return dfail(d, "out of memory");
	if (xmlAddChild(o->node, t) == NULL) {
		xmlFreeNode(t);
		return dfail(d, "out of memory");
	}
	d->text.len = 0;
	d->text_opaque = 0;
	return 0;
}

/* Skips an attribute list (after a tag with the 0x80 bit) up to its END. */
static int
skip_attrs(struct dec *d)
{
	const unsigned char *nul;
	const char *s;
	unsigned c, pg;
	uint32_t v;
	size_t n;

	for (;;) {
		if (get_u8(d, &c, "attribute list END") != 0)
			return -1;
		switch (c) {
		case TOK_END:
			return 0;
		case TOK_SWITCH_PAGE:
			/* attribute pages are separate from tag pages */
			if (get_u8(d, &pg, "SWITCH_PAGE index") != 0)
				return -1;
			break;
		case TOK_LITERAL:
		case TOK_STR_T:
			if (get_mb(d, &v, "string table offset") != 0 ||
			    table_string(d, v, &s, &n, "attribute") != 0)
				return -1;
			break;
		case TOK_ENTITY:
		case TOK_EXT_T_0:
		case TOK_EXT_T_0 + 1:
		case TOK_EXT_T_2:
			if (get_mb(d, &v, "attribute value") != 0)
				return -1;
			break;
		case TOK_STR_I:
		case TOK_EXT_I_0:
		case TOK_EXT_I_0 + 1:
		case TOK_EXT_I_2:
			nul = memchr(d->p, '\0', (size_t)(d->end - d->p));
			if (nul == NULL)
				return dfail(d, "truncated WBXML: inline "
				    "string without NUL at byte %zu", dpos(d));
			d->p = nul + 1;
			break;
		case TOK_OPAQUE:
			if (get_mb(d, &v, "OPAQUE length") != 0)
				return -1;
			if (v > (size_t)(d->end - d->p))
				return dfail(d, "truncated WBXML: OPAQUE of "
				    "%lu bytes at byte %zu", (unsigned long)v,
				    dpos(d));
			d->p += v;
			break;
		case TOK_PI:
		case TOK_LITERAL_C:
		case TOK_LITERAL_A:
		case TOK_LITERAL_AC:
			return dfail(d, "token 0x%02X at byte %zu is not "
			    "allowed in an attribute list", c, dpos(d));
		default:
			/* an attribute start or value of some table */
			break;
		}
	}
}

/* Opens an element (page, tok) under the current one, or as the root. */
static int
start_element(struct dec *d, unsigned page, unsigned tok, int content,
    int attrs)
{
	struct dec_open *parent = NULL, *o;
	xmlNodePtr node;
	xmlNsPtr ns;
	size_t n;
	void *np;

	if (d->root_done)
		return dfail(d, "a second root element at byte %zu", dpos(d));
	if (d->depth > 0) {
		parent = &d->open[d->depth - 1];
		if (text_flush(d) != 0)
			return -1;
		if (parent->binary)
			return dfail(d, "content after binary OPAQUE data in "
			    "<%s> at byte %zu", parent->node->name, dpos(d));
	}
	if (d->depth >= d->lim.max_depth)
		return dfail(d, "elements nested deeper than %u (byte %zu)",
		    d->lim.max_depth, dpos(d));
	if (d->nelem >= d->lim.max_elements)
		return dfail(d, "more than %lu elements (byte %zu)",
		    d->lim.max_elements, dpos(d));
	d->nelem++;
	node = xmlNewDocNode(d->doc, NULL,
	    (const xmlChar *)tag_names[page][tok], NULL);
	if (node == NULL)
		return dfail(d, "out of memory");
	if (parent != NULL && parent->page == page) {
		xmlSetNs(node, parent->node->ns);
	} else {
		ns = xmlNewNs(node, (const xmlChar *)d->href[page], NULL);
		if (ns == NULL) {
			xmlFreeNode(node);
			return dfail(d, "out of memory");
		}
		xmlSetNs(node, ns);
	}
	if (parent != NULL) {
		if (xmlAddChild(parent->node, node) == NULL) {
			xmlFreeNode(node);
			return dfail(d, "out of memory");
		}
	} else
		xmlDocSetRootElement(d->doc, node);
	if (attrs && skip_attrs(d) != 0)
		return -1;
	if (!content) {
		if (parent == NULL)
			d->root_done = 1;
		return 0;
	}
	if (d->depth >= d->maxopen) {
		/* grows with the real depth, which max_depth bounds */
		n = d->maxopen != 0 ? (size_t)d->maxopen * 2 : 16;
		np = realloc(d->open, n * sizeof(*d->open));
		if (np == NULL)
			return dfail(d, "out of memory");
		d->open = np;
		d->maxopen = (unsigned)n;
	}
	o = &d->open[d->depth++];
	o->node = node;
	o->page = (unsigned char)page;
	o->tok = (unsigned char)tok;
	o->binary = 0;
	return 0;
}

/* A LITERAL tag: the string table names the element. */
static int
literal_tag(struct dec *d, unsigned c)
{
	char name[64];
	const char *s;
	uint32_t off;
	size_t n;
	unsigned pg, i;
	int t;

	if (get_mb(d, &off, "LITERAL name offset") != 0 ||
	    table_string(d, off, &s, &n, "LITERAL tag") != 0)
		return -1;
	if (n >= sizeof(name) || memchr(s, '\0', n) != NULL)
		return dfail(d, "LITERAL tag at byte %zu names an unknown "
		    "element", dpos(d));
	memcpy(name, s, n);
	name[n] = '\0';
	/* the current page first: "Add" is on pages 0 and 2 */
	pg = d->page;
	t = tag_token(pg, name);
	for (i = 0; t < 0 && i < NPAGES; i++) {
		pg = i;
		t = tag_token(pg, name);
	}
	if (t < 0)
		return dfail(d, "LITERAL tag <%.60s> at byte %zu is not a "
		    "SyncML, MetInf or DDF element", name, dpos(d));
	return start_element(d, pg, (unsigned)t, (c & TAG_CONTENT) != 0,
	    (c & TAG_ATTRS) != 0);
}

/* The END token: closes the top element. */
static int
end_element(struct dec *d)
{
	if (d->depth == 0)
		return dfail(d, "END at byte %zu closes no element", dpos(d));
	if (text_flush(d) != 0)
		return -1;
	d->depth--;
	if (d->depth == 0)
		d->root_done = 1;
	return 0;
}

/* The body: tokens up to the end of the input. */
static int
dec_body(struct dec *d)
{
	const unsigned char *nul;
	const char *s;
	unsigned c, pg;
	uint32_t v;
	size_t n;

	while (d->p < d->end) {
		c = *d->p++;
		if (d->root_done)
			return dfail(d, "%zu bytes after the root element "
			    "(byte %zu)", (size_t)(d->end - d->p) + 1,
			    dpos(d));
		switch (c) {
		case TOK_SWITCH_PAGE:
			if (get_u8(d, &pg, "SWITCH_PAGE index") != 0)
				return -1;
			if (pg >= NPAGES)
				return dfail(d, "SWITCH_PAGE to code page %u "
				    "at byte %zu: SyncML has pages 0 "
				    "(SyncML), 1 (MetInf), 2 (DDF)", pg,
				    dpos(d) - 1);
			d->page = pg;
			break;
		case TOK_END:
			if (end_element(d) != 0)
				return -1;
			break;
		case TOK_ENTITY:
			if (get_mb(d, &v, "ENTITY") != 0 ||
			    text_add_entity(d, v) != 0)
				return -1;
			break;
		case TOK_STR_I:
			nul = memchr(d->p, '\0', (size_t)(d->end - d->p));
			if (nul == NULL)
				return dfail(d, "truncated WBXML: inline "
				    "string without NUL at byte %zu", dpos(d));
			s = (const char *)d->p;
			n = (size_t)(nul - d->p);
			d->p = nul + 1;
			if (text_add_str(d, s, n, "STR_I") != 0)
				return -1;
			break;
		case TOK_STR_T:
			if (get_mb(d, &v, "STR_T offset") != 0 ||
			    table_string(d, v, &s, &n, "STR_T") != 0 ||
			    text_add_str(d, s, n, "STR_T") != 0)
				return -1;
			break;
		case TOK_OPAQUE:
			if (get_mb(d, &v, "OPAQUE length") != 0)
				return -1;
			if (v > (size_t)(d->end - d->p))
				return dfail(d, "truncated WBXML: OPAQUE of "
				    "%lu bytes at byte %zu, %zu left",
				    (unsigned long)v, dpos(d),
				    (size_t)(d->end - d->p));
			s = (const char *)d->p;
			d->p += v;
			if (text_add(d, s, v) != 0)
				return -1;
			d->text_opaque = 1;
			break;
		case TOK_LITERAL:
		case TOK_LITERAL_C:
		case TOK_LITERAL_A:
		case TOK_LITERAL_AC:
			if (literal_tag(d, c) != 0)
				return -1;
			break;
		case TOK_PI:
			return dfail(d, "processing instruction (PI) at byte "
			    "%zu: not used by SyncML", dpos(d));
		case TOK_EXT_I_0:
		case TOK_EXT_I_0 + 1:
		case TOK_EXT_I_2:
		case TOK_EXT_T_0:
		case TOK_EXT_T_0 + 1:
		case TOK_EXT_T_2:
		case TOK_EXT_0:
		case TOK_EXT_0 + 1:
		case TOK_EXT_2:
			return dfail(d, "extension token 0x%02X at byte %zu: "
			    "not defined for SyncML", c, dpos(d));
		default:
			if (tag_names[d->page][c & TAG_MASK] == NULL)
				return dfail(d, "unknown tag 0x%02X on code "
				    "page %u (%s) at byte %zu", c & TAG_MASK,
				    d->page, page_what[d->page], dpos(d));
			if (start_element(d, d->page, c & TAG_MASK,
			    (c & TAG_CONTENT) != 0, (c & TAG_ATTRS) != 0) != 0)
				return -1;
			break;
		}
	}
	if (d->depth > 0)
		return dfail(d, "truncated WBXML: %u element%s not closed "
		    "(innermost <%s>)", d->depth, d->depth > 1 ? "s" : "",
		    d->open[d->depth - 1].node->name);
	if (!d->root_done)
		return dfail(d, "WBXML without a root element");
	return 0;
}

/* 1 when n is element tok of page (by namespace and name). */
static int
node_is(const struct dec *d, const xmlNode *n, unsigned page, unsigned tok)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, d->href[page]) == 0 &&
	    strcmp((const char *)n->name, tag_names[page][tok]) == 0;
}

/* The first child of n that is element tok of page, or NULL. */
static xmlNodePtr
child_elem(const struct dec *d, const xmlNode *n, unsigned page,
    unsigned tok)
{
	xmlNodePtr c;

	for (c = n->children; c != NULL; c = c->next)
		if (node_is(d, c, page, tok))
			return c;
	return NULL;
}

/* New element tok of page with text, its own default namespace. */
static xmlNodePtr
new_elem(struct dec *d, unsigned page, unsigned tok, const char *text)
{
	xmlNodePtr n;
	xmlNsPtr ns;

	n = xmlNewDocNode(d->doc, NULL, (const xmlChar *)tag_names[page][tok],
	    (const xmlChar *)text);
	if (n == NULL)
		return NULL;
	ns = xmlNewNs(n, (const xmlChar *)d->href[page], NULL);
	if (ns == NULL) {
		xmlFreeNode(n);
		return NULL;
	}
	xmlSetNs(n, ns);
	return n;
}

/*
 * In the Meta (or MetInf) m: sets Format to b64, adding it as the first
 * MetInf element when there is none.
 */
static int
set_format_b64(struct dec *d, xmlNodePtr m)
{
	xmlNodePtr f, mi, at;

	f = child_elem(d, m, PAGE_METINF, M_FORMAT);
	mi = child_elem(d, m, PAGE_METINF, M_METINF);
	if (f == NULL && mi != NULL)
		f = child_elem(d, mi, PAGE_METINF, M_FORMAT);
	if (f != NULL) {
		xmlNodeSetContent(f, (const xmlChar *)"b64");
		return f->children != NULL ? 0 : -1;
	}
	at = mi != NULL ? mi : m;
	f = new_elem(d, PAGE_METINF, M_FORMAT, "b64");
	if (f == NULL)
		return -1;
	if (at->children != NULL) {
		if (xmlAddPrevSibling(at->children, f) == NULL)
			goto err;
	} else if (xmlAddChild(at, f) == NULL)
		goto err;
	return 0;
err:
	xmlFreeNode(f);
	return -1;
}

/* Marks the Format of every element whose text became base64 as b64. */
static int
fix_binary(struct dec *d)
{
	xmlNodePtr e, p, m;
	size_t i;

	for (i = 0; i < d->nmarked; i++) {
		e = d->marked[i];
		p = e->parent;
		if (node_is(d, e, PAGE_METINF, M_NEXTNONCE)) {
			if (set_format_b64(d, p) != 0)
				return dfail(d, "out of memory");
			continue;
		}
		/* Data of Item or Cred: the sibling Meta */
		m = child_elem(d, p, PAGE_SYNCML, T_META);
		if (m == NULL) {
			m = xmlNewDocNode(d->doc, e->ns,
			    (const xmlChar *)tag_names[PAGE_SYNCML][T_META],
			    NULL);
			if (m == NULL)
				return dfail(d, "out of memory");
			if (xmlAddPrevSibling(e, m) == NULL) {
				xmlFreeNode(m);
				return dfail(d, "out of memory");
			}
		}
		if (set_format_b64(d, m) != 0)
			return dfail(d, "out of memory");
	}
	return 0;
}

/* The header: version, public id, charset, string table. */
static int
dec_header(struct dec *d)
{
	unsigned ver;
	uint32_t pubid, pubidx = 0, charset, tlen;
	const char *s;
	size_t n;

	if (get_u8(d, &ver, "version") != 0)
		return -1;
	if (ver == 0x00)
		return dfail(d, "WBXML 1.0 (version byte 0x00) is not "
		    "supported: it has no charset");
	if (ver > 0x03)
		return dfail(d, "not WBXML: version byte 0x%02X (expected "
		    "0x01..0x03)", ver);
	if (get_mb(d, &pubid, "public id") != 0)
		return -1;
	if (pubid == PUBID_LITERAL && get_mb(d, &pubidx,
	    "public id string index") != 0)
		return -1;
	if (get_mb(d, &charset, "charset") != 0)
		return -1;
	if (charset != CHARSET_UTF8)
		return dfail(d, "charset MIBenum %lu is not supported: only "
		    "UTF-8 (106)", (unsigned long)charset);
	if (get_mb(d, &tlen, "string table length") != 0)
		return -1;
	if (tlen > (size_t)(d->end - d->p))
		return dfail(d, "truncated WBXML: string table of %lu bytes, "
		    "%zu left", (unsigned long)tlen, (size_t)(d->end - d->p));
	if (tlen > 0) {
		d->strtbl = d->p;
		d->strtbl_len = tlen;
		d->p += tlen;
	}
	switch (pubid) {
	case PUBID_SYNCML12:
	case PUBID_UNKNOWN:
		d->href[PAGE_SYNCML] = NS_SYNCML12;
		return 0;
	case PUBID_SYNCML11:
		d->href[PAGE_SYNCML] = NS_SYNCML11;
		return 0;
	case PUBID_LITERAL:
		break;
	default:
		return dfail(d, "public id 0x%04lX is not SyncML 1.1 (0x0FD3) "
		    "or 1.2 (0x1201)", (unsigned long)pubid);
	}
	if (table_string(d, pubidx, &s, &n, "literal public id") != 0)
		return -1;
	if (n == strlen(FPI_SYNCML12) && strncasecmp(s, FPI_SYNCML12, n) == 0)
		d->href[PAGE_SYNCML] = NS_SYNCML12;
	else if (n == strlen(FPI_SYNCML11) &&
	    strncasecmp(s, FPI_SYNCML11, n) == 0)
		d->href[PAGE_SYNCML] = NS_SYNCML11;
	else
		return dfail(d, "public id \"%.*s\" is not SyncML 1.1 or 1.2",
		    (int)(n > 60 ? 60 : n), s);
	return 0;
}

struct _xmlDoc *
wbxml_decode(const void *buf, size_t len, const struct wbxml_limits *lim,
    char *err, size_t errlen)
{
	struct dec d;
	xmlDocPtr doc = NULL;

	memset(&d, 0, sizeof(d));
	d.err = err;
	d.errlen = errlen;
	limits_fill(&d.lim, lim);
	if (buf == NULL || len == 0) {
		dfail(&d, "empty input: no WBXML message");
		return NULL;
	}
	if (len > d.lim.max_input) {
		dfail(&d, "input too large: %zu bytes, limit %zu", len,
		    d.lim.max_input);
		return NULL;
	}
	d.base = buf;
	d.p = d.base;
	d.end = d.base + len;
	d.href[PAGE_METINF] = NS_METINF;
	d.href[PAGE_DMDDF] = NS_DMDDF;
	d.doc = xmlNewDoc((const xmlChar *)"1.0");
	if (d.doc == NULL) {
		dfail(&d, "out of memory");
		goto out;
	}
	if (dec_header(&d) != 0 || dec_body(&d) != 0 || fix_binary(&d) != 0)
		goto out;
	doc = d.doc;
	d.doc = NULL;
out:
	xmlFreeDoc(d.doc);
	free(d.open);
	free(d.marked);
	buf_free(&d.text);
	return doc;
}

int
wbxml_sniff(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t v = 0;
	size_t i;

	if (p == NULL || len < 4 || p[0] < 0x01 || p[0] > 0x03)
		return 0;
	for (i = 1; i < 6 && i < len; i++) {
		if ((v >> 25) != 0)
			return 0;
		v = v << 7 | (p[i] & 0x7F);
		if ((p[i] & 0x80) == 0)
			break;
	}
	if (i == 6 || i >= len)
		return 0;
	return v == PUBID_LITERAL || v == PUBID_UNKNOWN ||
	    v == PUBID_SYNCML10 || v == PUBID_SYNCML11 ||
	    v == PUBID_SYNCML12;
}

/* ==== Encoding ==== */

/* One open element of the encoder. */
struct enc_open {
	unsigned char	 page;
	unsigned char	 tok;
	unsigned char	 has_child;	/* an element child was written */
	size_t		 tagpos;	/* offset of its tag byte */
};

/* State of one wbxml_encode(), reached from the parser's _private. */
struct enc {
	struct buf	 out;
	struct buf	 text;		/* pending characters */
	unsigned	 page;		/* current tag page of the output */
	struct enc_open	 open[WBXML_MAX_DEPTH];
	unsigned	 depth;
	int		 root_seen;
};

/* Appends an mb_u_int32. */
static int
put_mb(struct buf *b, uint32_t v)
{
	unsigned char t[5];
	int i = 5;

	t[--i] = v & 0x7F;
	while ((v >>= 7) != 0)
		t[--i] = (unsigned char)(0x80 | (v & 0x7F));
	return buf_add(b, t + i, (size_t)(5 - i));
}

/* 1 when the n bytes at s are XML white space only. */
static int
is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return 0;
	return 1;
}

/*
 * Writes the pending text as STR_I, unless it is white space between
 * child elements (has_child: the element has or gets one).
 */
static int
enc_flush(struct enc *e, int has_child)
{
	static const unsigned char str_i = TOK_STR_I;
	int rc = 0;

	if (e->text.len == 0)
		return 0;
	if (!(has_child && is_blank(e->text.p, e->text.len)))
		if (buf_add(&e->out, &str_i, 1) != 0 ||
		    buf_add(&e->out, e->text.p, e->text.len + 1) != 0)
			rc = -1;
	e->text.len = 0;
	return rc;
}

/* 1 when uri is the SyncML namespace of any version, in any case. */
static int
is_syncml_ns(const char *uri)
{
	return strncasecmp(uri, "SYNCML:SYNCML", 13) == 0;
}

/* Finds (page, token) of an element; -1 with the reason set. */
static int
enc_map(struct xml_safe *xs, struct enc *e, const char *name,
    const char *uri, unsigned *page)
{
	const struct enc_open *parent;
	int t;

	parent = e->depth > 0 ? &e->open[e->depth - 1] : NULL;
	if (uri == NULL || is_syncml_ns(uri)) {
		/* a MetInf element inside Meta without xmlns="syncml:metinf" */
		if (parent != NULL && ((parent->page == PAGE_SYNCML &&
		    parent->tok == T_META) || (parent->page == PAGE_METINF &&
		    parent->tok == M_METINF))) {
			t = tag_token(PAGE_METINF, name);
			if (t >= 0) {
				*page = PAGE_METINF;
				return t;
			}
		}
		*page = PAGE_SYNCML;
	} else if (strcasecmp(uri, NS_METINF) == 0)
		*page = PAGE_METINF;
	else if (strcasecmp(uri, NS_DMDDF) == 0)
		*page = PAGE_DMDDF;
	else {
		xml_safe_stop(xs, "element <%.40s> (line %d) is in namespace "
		    "\"%.60s\", which has no WBXML code page", name,
		    xml_safe_line(xs), uri);
		return -1;
	}
	t = tag_token(*page, name);
	if (t < 0)
		xml_safe_stop(xs, "element <%.40s> (line %d) has no WBXML "
		    "token on code page %u (%s)", name, xml_safe_line(xs),
		    *page, page_what[*page]);
	return t;
}

/*
 * Start of an element: the header before the root, then SWITCH_PAGE when
 * the page changes and the tag with the content bit set. xml_safe_sax()
 * keeps the depth within WBXML_MAX_DEPTH, the size of e->open.
 */
static void
enc_start(struct xml_safe *xs, void *arg, const char *name,
    const char *uri)
{
	static const unsigned char hdr[] = { 0x02 };	/* WBXML 1.2 */
	struct enc *e = arg;
	struct enc_open *o;
	unsigned char b[2];
	unsigned page;
	int t;

	if (e->depth >= WBXML_MAX_DEPTH) {
		xml_safe_stop(xs, "elements nested deeper than %d (line %d)",
		    WBXML_MAX_DEPTH, xml_safe_line(xs));
		return;
	}
	t = enc_map(xs, e, name, uri, &page);
	if (t < 0)
		return;
	if (!e->root_seen) {
		if (page != PAGE_SYNCML || strcmp(name, "SyncML") != 0) {
			xml_safe_stop(xs, "root element <%.40s> is not SyncML",
			    name);
			return;
		}
		e->root_seen = 1;
		/* version, public id, charset, empty string table */
		if (buf_add(&e->out, hdr, 1) != 0 || put_mb(&e->out,
		    uri != NULL && strcasecmp(uri, NS_SYNCML11) == 0 ?
		    PUBID_SYNCML11 : PUBID_SYNCML12) != 0 ||
		    put_mb(&e->out, CHARSET_UTF8) != 0 ||
		    put_mb(&e->out, 0) != 0)
			goto nomem;
	}
	if (e->depth > 0) {
		e->open[e->depth - 1].has_child = 1;
		if (enc_flush(e, 1) != 0)
			goto nomem;
	}
	if (page != e->page) {
		b[0] = TOK_SWITCH_PAGE;
		b[1] = (unsigned char)page;
		if (buf_add(&e->out, b, 2) != 0)
			goto nomem;
		e->page = page;
	}
	b[0] = (unsigned char)(t | TAG_CONTENT);
	if (buf_add(&e->out, b, 1) != 0)
		goto nomem;
	o = &e->open[e->depth++];
	o->page = (unsigned char)page;
	o->tok = (unsigned char)t;
	o->has_child = 0;
	o->tagpos = e->out.len - 1;
	return;
nomem:
	xml_safe_stop(xs, "out of memory");
}

/* End of an element: its text, then END or the short empty form. */
static void
enc_end(struct xml_safe *xs, void *arg)
{
	static const unsigned char end = TOK_END;
	struct enc *e = arg;
	struct enc_open *o;

	if (e->depth == 0)
		return;
	o = &e->open[e->depth - 1];
	if (enc_flush(e, o->has_child) != 0)
		goto nomem;
	if (o->tagpos == e->out.len - 1)
		/* nothing inside: the short form, without END */
		e->out.p[o->tagpos] &= (char)~TAG_CONTENT;
	else if (buf_add(&e->out, &end, 1) != 0)
		goto nomem;
	e->depth--;
	return;
nomem:
	xml_safe_stop(xs, "out of memory");
}

/* Text, CDATA and white space: kept until the next tag decides. */
static void
enc_chars(struct xml_safe *xs, void *arg, const char *s, size_t len)
{
	struct enc *e = arg;

	if (e->depth == 0)
		return;
	if (buf_add(&e->text, s, len) != 0)
		xml_safe_stop(xs, "out of memory");
}

int
wbxml_encode(const char *xml, size_t len, unsigned char **out,
    size_t *outlen, char *err, size_t errlen)
{
	static const struct syncml_limits lim = {
		.max_input = WBXML_MAX_INPUT,
		.max_depth = WBXML_MAX_DEPTH,
		.max_elements = ULONG_MAX	/* the size limit is enough */
	};
	static const struct xml_safe_handler h = {
		.start = enc_start,
		.end = enc_end,
		.text = enc_chars
	};
	struct enc *e;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		util_errbuf(err, errlen, "out of memory");
		return -1;
	}
	if (xml == NULL || len == 0) {
		util_errbuf(err, errlen, "empty input: no SyncML message");
		goto out;
	}
	if (xml_safe_sax(xml, len, &lim, &h, e, err, errlen) != 0)
		goto out;
	if (!e->root_seen || e->depth != 0) {
		util_errbuf(err, errlen, "no SyncML element in the XML");
		goto out;
	}
	*out = (unsigned char *)e->out.p;
	*outlen = e->out.len;
	e->out.p = NULL;
	rc = 0;
out:
	buf_free(&e->out);
	buf_free(&e->text);
	free(e);
	return rc;
}
