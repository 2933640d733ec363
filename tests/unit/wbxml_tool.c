/*
 * wbxml_tool.c: a test helper around core/codec_wbxml.c, for the oracle
 * test (tests/cli/test_wbxml_oracle.sh) and for looking at messages by
 * hand. Not part of luadm.
 *
 *   wbxml_tool encode IN OUT    XML -> WBXML (wbxml_encode)
 *   wbxml_tool decode IN OUT    WBXML -> XML (wbxml_decode, then libxml2's
 *                               serializer)
 *   wbxml_tool canon [-m] [-t] IN  the canonical form of an XML file (below)
 *   wbxml_tool sniff IN         exit 0 when wbxml_sniff() says WBXML
 * IN and OUT may be "-" (stdin, stdout). Errors go to stderr, exit 1.
 *
 * The canonical form is what the oracle compares: one line per element,
 * "E {namespace}localname" indented by depth, and one line per text run,
 * "T <text>" with \\, \n, \r, \t and bytes under 0x20 escaped; a run is
 * the concatenation of adjacent text and CDATA nodes (comments and PIs
 * between them are skipped). Dropped, because WBXML SyncML cannot carry
 * them: the XML declaration, DOCTYPE, comments, processing instructions,
 * attributes (xmlns ones included: the namespace of each element is
 * printed instead), and runs of white space only in an element that has
 * element children. An element without text has no T line, so <Data/>,
 * <Data></Data> and an empty STR_I are the same. With -m, an element
 * inside Meta or MetInf that is not in syncml:metinf is printed as if it
 * were (the encoder maps such elements to the MetInf page, as servers
 * omit the xmlns; see winmdmdemo_readme_server_pkg2_replace.xml). With
 * -t, white space (space, tab, CR, LF) is trimmed from both ends of each
 * run and a run left empty has no T line: libwbxml trims text unless
 * given -k, so comparisons with its default mode need this.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "codec_wbxml.h"

#define MAX_FILE	(64UL * 1024 * 1024)

/* Reads a whole file ("-": stdin); malloc'd, NUL-terminated. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f;
	char *p = NULL, *np;
	size_t len = 0, cap = 0, n;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "wbxml_tool: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			if (cap > MAX_FILE + 65536) {
				fprintf(stderr, "wbxml_tool: %s: too large\n",
				    path);
				goto err;
			}
			np = realloc(p, cap + 1);
			if (np == NULL)
				goto err;
			p = np;
		}
		n = fread(p + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "wbxml_tool: %s: read error\n", path);
		goto err;
	}
	if (f != stdin)
		fclose(f);
	p[len] = '\0';
	*lenp = len;
	return p;
err:
	if (f != stdin)
		fclose(f);
	free(p);
	return NULL;
}

static int
spill(const char *path, const void *p, size_t len)
{
	FILE *f;
	int rc = 0;

	f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (f == NULL) {
		fprintf(stderr, "wbxml_tool: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fwrite(p, 1, len, f) != len)
		rc = -1;
	if (f != stdout) {
		if (fclose(f) != 0)
			rc = -1;
	} else if (fflush(f) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "wbxml_tool: %s: write error\n", path);
	return rc;
}

static int
do_encode(const char *in, const char *outp)
{
	char err[WBXML_ERRLEN], *xml;
	unsigned char *out;
	size_t len, olen;
	int rc;

	xml = slurp(in, &len);
	if (xml == NULL)
		return 1;
	rc = wbxml_encode(xml, len, &out, &olen, err, sizeof(err));
	free(xml);
	if (rc != 0) {
		fprintf(stderr, "wbxml_tool: %s: %s\n", in, err);
		return 1;
	}
	rc = spill(outp, out, olen) == 0 ? 0 : 1;
	free(out);
	return rc;
}

static int
do_decode(const char *in, const char *outp)
{
	char err[WBXML_ERRLEN], *wb;
	xmlDocPtr doc;
	xmlChar *xml = NULL;
	size_t len;
	int n = 0, rc;

	wb = slurp(in, &len);
	if (wb == NULL)
		return 1;
	doc = wbxml_decode(wb, len, NULL, err, sizeof(err));
	free(wb);
	if (doc == NULL) {
		fprintf(stderr, "wbxml_tool: %s: %s\n", in, err);
		return 1;
	}
	xmlDocDumpFormatMemoryEnc(doc, &xml, &n, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (xml == NULL || n < 0) {
		fprintf(stderr, "wbxml_tool: cannot serialize\n");
		return 1;
	}
	rc = spill(outp, xml, (size_t)n) == 0 ? 0 : 1;
	xmlFree(xml);
	return rc;
}

static int
is_blank_c(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!is_blank_c(*s))
			return 0;
	return 1;
}

static void
put_text(const char *s, int depth)
{
	const unsigned char *p = (const unsigned char *)s;

	printf("%*sT ", depth * 2, "");
	for (; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\r')
			fputs("\\r", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20)
			printf("\\x%02X", *p);
		else
			putchar(*p);
	}
	putchar('\n');
}

static int
is_meta(const xmlNode *n)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    (strcmp((const char *)n->name, "Meta") == 0 ||
	    strcmp((const char *)n->name, "MetInf") == 0);
}

/* Prints the canonical form of element n (see the file comment). */
static void
canon(const xmlNode *n, int depth, int metfix, int trim)
{
	const xmlNode *c;
	const char *ns;
	char *run = NULL, *np;
	size_t rlen = 0, k;
	int has_elem = 0;

	ns = n->ns != NULL && n->ns->href != NULL ?
	    (const char *)n->ns->href : "";
	if (metfix && is_meta(n->parent) && strcasecmp(ns, "syncml:metinf"))
		ns = "syncml:metinf";
	printf("%*sE {%s}%s\n", depth * 2, "", ns, (const char *)n->name);
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			has_elem = 1;
	for (c = n->children; ; c = c->next) {
		if (c != NULL && (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE)) {
			k = strlen((const char *)c->content);
			np = realloc(run, rlen + k + 1);
			if (np == NULL)
				abort();
			run = np;
			memcpy(run + rlen, c->content, k + 1);
			rlen += k;
			continue;
		}
		if (c != NULL && c->type != XML_ELEMENT_NODE)
			continue;	/* comment, PI: not a run boundary */
		if (run != NULL && trim) {
			for (k = 0; k < rlen && is_blank_c(run[k]); k++)
				;
			memmove(run, run + k, rlen - k + 1);
			rlen -= k;
			while (rlen > 0 && is_blank_c(run[rlen - 1]))
				run[--rlen] = '\0';
		}
		if (run != NULL && rlen > 0 && !(has_elem && is_blank(run)))
			put_text(run, depth + 1);
		free(run);
		run = NULL;
		rlen = 0;
		if (c == NULL)
			break;
		canon(c, depth + 1, metfix, trim);
	}
}

static int
do_canon(const char *in, int metfix, int trim)
{
	xmlDocPtr doc;
	char *xml;
	size_t len;

	xml = slurp(in, &len);
	if (xml == NULL)
		return 1;
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	free(xml);
	if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
		fprintf(stderr, "wbxml_tool: %s: not well-formed XML\n", in);
		xmlFreeDoc(doc);
		return 1;
	}
	canon(xmlDocGetRootElement(doc), 0, metfix, trim);
	xmlFreeDoc(doc);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
do_sniff(const char *in)
{
	char *p;
	size_t len;
	int r;

	p = slurp(in, &len);
	if (p == NULL)
		return 2;
	r = wbxml_sniff(p, len);
	free(p);
	return r ? 0 : 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: wbxml_tool encode IN OUT | decode IN OUT | "
	    "canon [-m] [-t] IN | sniff IN\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	int i, metfix = 0, trim = 0;

	if (argc == 4 && strcmp(argv[1], "encode") == 0)
		return do_encode(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "decode") == 0)
		return do_decode(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "sniff") == 0)
		return do_sniff(argv[2]);
	if (argc < 3 || strcmp(argv[1], "canon") != 0)
		usage();
	for (i = 2; i < argc - 1; i++) {
		if (strcmp(argv[i], "-m") == 0)
			metfix = 1;
		else if (strcmp(argv[i], "-t") == 0)
			trim = 1;
		else
			usage();
	}
	return do_canon(argv[argc - 1], metfix, trim);
}
