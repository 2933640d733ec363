/*
 * fuzz_wbxml: WBXML bytes -> wbxml_decode() (core/codec_wbxml.h), the
 * document -> syncml_from_doc(), and a round trip of what decodes to a
 * SyncML message (one that syncml_from_doc() takes): serialized by
 * libxml2 -> wbxml_encode() -> wbxml_decode() must give the same
 * document. "The same" is compared on a canonical form: elements by
 * namespace and local name, text runs (adjacent text and CDATA joined)
 * byte for byte, runs of white space only between child elements left
 * out (the encoder drops them, as documented). The encoder must accept
 * such a document: it holds only known elements and XML text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "codec_wbxml.h"
#include "common.h"
#include "syncml.h"

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

static void
put_run(FILE *f, const char *run, size_t n, int has_elems)
{
	if (n == 0 || (has_elems && is_blank(run, n)))
		return;
	fprintf(f, "T%zu:", n);
	fwrite(run, 1, n, f);
	fputc('\n', f);
}

/* Writes the canonical form of element e (and below) to f. */
static void
canon(FILE *f, const xmlNode *e, int depth)
{
	const xmlNode *c;
	char *run = NULL;
	size_t n = 0, cap = 0, k;
	int has_elems = 0;

	fprintf(f, "%*sE {%s}%s\n", depth, "", e->ns != NULL &&
	    e->ns->href != NULL ? (const char *)e->ns->href : "",
	    (const char *)e->name);
	for (c = e->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			has_elems = 1;
	for (c = e->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			k = c->content != NULL ?
			    strlen((const char *)c->content) : 0;
			if (n + k + 1 > cap) {
				cap = (n + k + 1) * 2;
				run = realloc(run, cap);
				if (run == NULL)
					abort();
			}
			memcpy(run + n, c->content, k);
			n += k;
		} else if (c->type == XML_ELEMENT_NODE) {
			put_run(f, run, n, has_elems);
			n = 0;
			canon(f, c, depth + 1);
		}
	}
	put_run(f, run, n, has_elems);
	free(run);
}

/* The canonical form of doc, malloc'd. */
static char *
canon_doc(xmlDocPtr doc, size_t *len)
{
	char *s = NULL;
	FILE *f;

	f = open_memstream(&s, len);
	if (f == NULL)
		abort();
	if (xmlDocGetRootElement(doc) != NULL)
		canon(f, xmlDocGetRootElement(doc), 0);
	if (fclose(f) != 0)
		abort();
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syncml_msg *m;
	xmlDocPtr doc, doc2;
	xmlChar *xml = NULL;
	unsigned char *wb = NULL;
	char err[WBXML_ERRLEN], *c1, *c2;
	size_t wblen, l1, l2;
	int n = 0;

	(void)wbxml_sniff(data, size);
	err[0] = '\0';
	doc = wbxml_decode(data, size, NULL, err, sizeof(err));
	if (doc == NULL) {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		return 0;
	}
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	if (m == NULL) {
		/* not a SyncML message: nothing the encoder must carry */
		xmlFreeDoc(doc);
		return 0;
	}
	syncml_msg_free(m);

	xmlDocDumpMemoryEnc(doc, &xml, &n, "UTF-8");
	FUZZ_CHECK(xml != NULL && n > 0, "libxml2 cannot serialize");
	FUZZ_CHECK(wbxml_encode((const char *)xml, (size_t)n, &wb, &wblen,
	    err, sizeof(err)) == 0, "the encoder refuses the decoder's "
	    "document: %s\n%s", err, (const char *)xml);
	doc2 = wbxml_decode(wb, wblen, NULL, err, sizeof(err));
	FUZZ_CHECK(doc2 != NULL, "the encoder's WBXML does not decode: %s",
	    err);
	c1 = canon_doc(doc, &l1);
	c2 = canon_doc(doc2, &l2);
	FUZZ_CHECK(l1 == l2 && memcmp(c1, c2, l1) == 0,
	    "decode(encode(decode(x))) differs from decode(x):\n%s\n---\n%s",
	    c1, c2);
	free(c1);
	free(c2);
	xmlFreeDoc(doc2);
	free(wb);
	xmlFree(xml);
	xmlFreeDoc(doc);
	return 0;
}
