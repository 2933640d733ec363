/*
 * codec_wbxml: SyncML DM in WBXML (application/vnd.syncml.dm+wbxml) <-> a
 * libxml2 DOM / SyncML XML text. A direct codec of our own; libwbxml2 is
 * not used (docs/wbxml.md says why: it drops attributes and rewrites Data
 * according to the sibling Meta Type).
 *
 * It provides:
 * - wbxml_decode(): WBXML bytes -> a new libxml2 document, which
 *   syncml_from_doc() (syncml.h) turns into the message model;
 * - wbxml_encode(): the XML text of syncml_writer -> WBXML bytes;
 * - wbxml_sniff(): "is this body WBXML?" from its first bytes.
 * It uses libxml2, xml_safe (xml_safe.h), syncml_text_valid() (syncml.h),
 * b64 (b64.h) and util (struct buf). It knows the tag tables of code
 * pages 0 (SyncML), 1 (MetInf) and 2 (DM DDF 1.2) and nothing of what the
 * elements mean, except for one rule on binary OPAQUE data (below).
 *
 * Decoding. Accepted: WBXML 1.1, 1.2 and 1.3 (version byte 0x01..0x03);
 * public id 0x1201 (SyncML 1.2), 0x0FD3 (SyncML 1.1), 0x01 (unknown,
 * taken as 1.2) or a literal public id (index into the string table)
 * naming "-//SYNCML//DTD SyncML 1.2//EN" or "... 1.1//EN"; charset 106
 * (UTF-8) only. Page 0 elements get namespace SYNCML:SYNCML1.2 (1.1 when
 * the public id says 1.1), page 1 syncml:metinf, page 2 syncml:dmddf1.2;
 * each element whose page differs from its parent's declares its default
 * namespace, as libwbxml's output does. Tokens: SWITCH_PAGE, END, STR_I,
 * STR_T (offset checked), ENTITY (a character, must be one XML allows),
 * OPAQUE (length checked), tags with and without content, LITERAL tags
 * when the string table names a known element. Attributes have no table
 * in SyncML: they are parsed and dropped. PI and EXT tokens are refused.
 * Text (STR_I/STR_T/ENTITY) must be valid UTF-8 XML text.
 *
 * OPAQUE stays byte-exact. When the bytes are XML text (syncml_text_valid)
 * they become the element's text as they are. When they are not (binary,
 * Meta Format "bin"), the element's text becomes their base64 and the
 * Format that governs it says "b64": for a Data under Item or Cred the
 * sibling Meta's Format is set to b64 (a Meta with Format b64 is added
 * before Data when there is none); for NextNonce, the Format of its own
 * Meta. Decoding that base64 gives back exactly the OPAQUE bytes: the
 * engine sees what an XML server sends for binary values. Binary OPAQUE
 * anywhere else is refused.
 *
 * Encoding. The XML is parsed by xml_safe_sax() (xml_safe.h): libxml2
 * without entity substitution, DTD, or network; a DOCTYPE internal subset
 * or an entity reference other than the predefined five is refused.
 * Elements map by namespace and local name: SyncML namespace (any version,
 * any case) or none -> page 0, syncml:metinf -> page 1, syncml:dmddf1.2 ->
 * page 2; a child of Meta or MetInf without the metinf namespace whose
 * local name is a MetInf tag -> page 1. An element in no table is an error
 * naming it. Attributes (xmlns included; WBXML SyncML has none) are
 * dropped, as are comments and processing instructions. Text and CDATA
 * become STR_I; a whitespace-only text between child elements is dropped,
 * the text of an element without child elements is kept as it is. Output:
 * WBXML 1.2, public id 0x1201 (0x0FD3 when the root namespace is
 * SYNCML:SYNCML1.1), charset UTF-8, empty string table, elements without
 * content as tags without the content bit. XML text can only hold valid
 * UTF-8, so the encoder never needs OPAQUE.
 */
#ifndef LUADM_CODEC_WBXML_H
#define LUADM_CODEC_WBXML_H

#include <stddef.h>

/* Default limits of wbxml_decode(); see struct wbxml_limits. */
#define WBXML_MAX_INPUT		(16UL * 1024 * 1024)	/* bytes */
#define WBXML_MAX_DEPTH		64		/* root = 1 */
#define WBXML_MAX_ELEMENTS	500000UL
#define WBXML_MAX_STRING	(16UL * 1024 * 1024)	/* one text */
#define WBXML_MAX_TEXT		(64UL * 1024 * 1024)	/* all text */

/* Size of an error buffer that always holds a whole message. */
#define WBXML_ERRLEN		256

struct _xmlDoc;

/* Limits of one decode; a field left 0 takes the default above. */
struct wbxml_limits {
	size_t		 max_input;	/* bytes of input */
	unsigned	 max_depth;	/* element depth, root = 1 */
	unsigned long	 max_elements;	/* elements in the document */
	size_t		 max_string;	/* bytes of one element's text (a
					 * string, OPAQUE or their run) */
	size_t		 max_text;	/* bytes of text in the whole
					 * document (STR_T references can
					 * repeat one table string) */
};

/*
 * Decodes a WBXML SyncML message into a new libxml2 document whose
 * elements are in namespace SYNCML:SYNCML1.2 (or 1.1 when the public id
 * says 1.1), MetInf elements (code page 1) in namespace syncml:metinf, DDF
 * (page 2) in syncml:dmddf1.2. lim may be NULL (defaults). Returns the
 * document (free it with xmlFreeDoc()), or NULL with a one-line reason in
 * err (errlen bytes; WBXML_ERRLEN is enough; err may be NULL). Bounded
 * time and memory: lim caps input size, depth, element count and text
 * lengths. Nothing is printed.
 */
struct _xmlDoc *wbxml_decode(const void *buf, size_t len,
	    const struct wbxml_limits *lim, char *err, size_t errlen);

/*
 * Encodes a SyncML XML message (text, as syncml_writer produces) into
 * WBXML 1.2, public id 0x1201 (SyncML 1.2; 0x0FD3 for a SYNCML1.1 root),
 * charset UTF-8, no string table, inline strings (STR_I). On success
 * returns 0 and sets *out to a malloc'd buffer of *outlen bytes, which the
 * caller frees. Returns -1 with a one-line reason in err otherwise.
 */
int	wbxml_encode(const char *xml, size_t len, unsigned char **out,
	    size_t *outlen, char *err, size_t errlen);

/*
 * 1 when the bytes look like WBXML SyncML: a version byte 0x01..0x03
 * followed by a well-formed public id that is literal (0), unknown (1),
 * SyncML 1.0/1.1/1.2 (0x0FD1, 0x0FD3, 0x1201); 0 otherwise. For choosing
 * the codec of a body; wbxml_decode() says what is wrong in detail.
 */
int	wbxml_sniff(const void *buf, size_t len);

#endif
