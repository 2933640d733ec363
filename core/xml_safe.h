/*
 * xml_safe: the one place where untrusted XML text meets libxml2.
 *
 * It provides the parsing policy shared by syncml_parse() (syncml.h) and
 * the XML -> WBXML encoder (codec_wbxml.h):
 * - the input size is checked before libxml2 sees a byte;
 * - libxml2 runs without entity substitution, DTD loading, default
 *   attributes, network or XML_PARSE_HUGE, and prints nothing;
 * - SAX hooks stop the parser at the first markup declaration of a
 *   DOCTYPE internal subset, at any entity reference other than the five
 *   predefined ones, and as soon as the element depth or count goes over
 *   the limits, so a hostile document never becomes a big tree;
 * - libxml2's errors become one line, "XML error at line N: ...", the
 *   first fatal one preferred.
 * Two ways in: xml_safe_read() builds a DOM (libxml2's own SAX2 tree
 * handlers behind the checks); xml_safe_sax() builds nothing and hands
 * the elements and text to the caller's handlers as they come.
 * Either way libxml2 reads the input a few KiB at a time, never copying
 * it whole; in a DOM, each run of text is one text node whose content is
 * xmlMalloc'd once at its size (grown only for input in an encoding other
 * than UTF-8), NUL-terminated.
 * It uses libxml2, and struct syncml_limits (syncml.h) for the limits.
 */
#ifndef LUADM_XML_SAFE_H
#define LUADM_XML_SAFE_H

#include <stddef.h>

/* Size of an error buffer that always holds a whole message. */
#define XML_SAFE_ERRLEN		256

struct _xmlDoc;
struct syncml_limits;
struct xml_safe;

/*
 * Handlers of xml_safe_sax(), each optional. start gets an element's local
 * name and namespace URI (NULL when it has none); attributes are not
 * passed. text gets character data, CDATA and white space, not
 * NUL-terminated. A handler that cannot go on calls xml_safe_stop(). None
 * is called once the parse has been stopped.
 */
struct xml_safe_handler {
	void	(*start)(struct xml_safe *, void *arg, const char *name,
		    const char *uri);
	void	(*end)(struct xml_safe *, void *arg);
	void	(*text)(struct xml_safe *, void *arg, const char *s,
		    size_t len);
};

/*
 * Parses len bytes of XML into a new libxml2 document under the policy
 * above, within the limits of lim (syncml.h), every field used as it is
 * (syncml_parse() fills in its defaults first). Returns the document
 * (free it with xmlFreeDoc()), or NULL with a one-line reason in err
 * (errlen bytes; XML_SAFE_ERRLEN is enough; err may be NULL). Nothing is
 * printed.
 */
struct _xmlDoc *xml_safe_read(const void *buf, size_t len,
	    const struct syncml_limits *lim, char *err, size_t errlen);

/*
 * Parses len bytes of XML under the policy above without building a
 * document, calling h's handlers with arg. Returns 0 when the whole input
 * was read and is well-formed, -1 with a one-line reason in err otherwise
 * (a handler's reason when it stopped the parse).
 */
int	xml_safe_sax(const void *buf, size_t len,
	    const struct syncml_limits *lim,
	    const struct xml_safe_handler *h, void *arg, char *err,
	    size_t errlen);

/* Stops the parse from a handler; the first reason given is kept. */
void	xml_safe_stop(struct xml_safe *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The input line the parser is at, for messages from handlers. */
int	xml_safe_line(const struct xml_safe *);

#endif
