/*
 * uri.c: LocURI parsing, node-name validation and escaping (see uri.h).
 * Everything here works on caller-supplied strings; results are malloc'd
 * and owned by the caller. Lengths are checked against the URI_MAX_*
 * limits before anything proportional to the input is allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uri.h"

#define URI_OOM		500	/* status for an allocation failure */

static const char why_oom[] = "out of memory";

/* 1 for the RFC 3986 unreserved characters, which are never escaped. */
static int
is_unreserved(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return 1;
	if (c >= 'a' && c <= 'z')
		return 1;
	if (c >= '0' && c <= '9')
		return 1;
	return c == '-' || c == '.' || c == '_' || c == '~';
}

/* Value of one hex digit (either case), or -1. */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * 1 when the n bytes at p are well-formed UTF-8 (RFC 3629): no overlong
 * forms, no surrogates, nothing above U+10FFFF, no truncated sequence.
 */
static int
utf8_valid(const unsigned char *p, size_t n)
{
	size_t		 i, k, need;
	uint32_t	 cp, min;

	i = 0;
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xE0) == 0xC0) {
			need = 1;
			cp = p[i] & 0x1F;
			min = 0x80;
		} else if ((p[i] & 0xF0) == 0xE0) {
			need = 2;
			cp = p[i] & 0x0F;
			min = 0x800;
		} else if ((p[i] & 0xF8) == 0xF0) {
			need = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;	/* stray continuation or 0xF8..0xFF */
		if (n - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF)
			return 0;
		if (cp >= 0xD800 && cp <= 0xDFFF)
			return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * Decodes len bytes at seg into buf (room for len + 1 bytes: decoding
 * only shrinks), NUL-terminated. Returns 0, or 400 with *why set for a bad
 * escape or a forbidden result.
 */
static int
unescape_into(const char *seg, size_t len, char *out, size_t *outlen,
    const char **why)
{
	unsigned char	*buf = (unsigned char *)out;
	size_t		 i, o;
	int		 hi, lo;
	unsigned char	 c, any = 0;

	o = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)seg[i];
		if (c == '%') {
			if (len - i < 3) {
				*why = "truncated %-escape";
				return 400;
			}
			hi = hex_value((unsigned char)seg[i + 1]);
			lo = hex_value((unsigned char)seg[i + 2]);
			if (hi < 0 || lo < 0) {
				*why = "bad %-escape";
				return 400;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			*why = "NUL in a node name";
			return 400;
		}
		if (c == '/') {
			*why = "\"/\" in a node name";
			return 400;
		}
		buf[o++] = c;
		any |= c;
	}
	buf[o] = '\0';
	if ((any & 0x80) != 0 && !utf8_valid(buf, o)) {	/* ASCII is */
		*why = "node name is not valid UTF-8";
		return 400;
	}
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/*
 * Decodes len bytes at seg into a new string in *out. Returns 0, 400 with
 * *why set for a bad escape or a forbidden result, or URI_OOM.
 */
static int
unescape(const char *seg, size_t len, char **out, const char **why)
{
	char	*buf;
	int	 rc;

	*out = NULL;
	buf = malloc(len + 1);
	if (buf == NULL) {
		*why = why_oom;
		return URI_OOM;
	}
	rc = unescape_into(seg, len, buf, NULL, why);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

char *
uri_unescape_segment(const char *seg, size_t len, const char **why)
{
	const char	*dummy;
	char		*out;

	if (why == NULL)
		why = &dummy;
	if (seg == NULL && len > 0) {
		*why = "no segment";
		return NULL;
	}
	if (unescape(seg, len, &out, why) != 0)
		return NULL;
	return out;
}

int
uri_name_valid(const char *name)
{
	size_t	len;

	if (name == NULL)
		return 0;
	len = strnlen(name, URI_MAX_SEGLEN + 1);
	if (len == 0 || len > URI_MAX_SEGLEN)
		return 0;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strcmp(name, "*") == 0)
		return 0;
	if (strchr(name, '/') != NULL)
		return 0;
	return utf8_valid((const unsigned char *)name, len);
}

void
uri_free(struct dm_uri *u)
{
	if (u == NULL)
		return;
	free(u->seg);	/* the block holding everything (uri_parse) */
	memset(u, 0, sizeof(*u));
	u->scope = DM_SCOPE_DEVICE;
}

/*
 * Parses the query q (after the "?"): exactly one "prop=Value" or
 * "list=Value" with a non-empty value, %-decoded like a segment into buf
 * (room for strlen(q) bytes). Returns 0 or 400.
 */
static int
parse_query(const char *q, struct dm_uri *u, char *buf, const char **why)
{
	const char	*v;
	char		**dst;
	size_t		 vlen;
	int		 rc;

	if (strncmp(q, "prop=", 5) == 0)
		dst = &u->prop;
	else if (strncmp(q, "list=", 5) == 0)
		dst = &u->list;
	else {
		*why = "query is neither ?prop= nor ?list=";
		return 400;
	}
	v = q + 5;
	vlen = strlen(v);
	if (vlen == 0) {
		*why = "empty query value";
		return 400;
	}
	if (strcspn(v, "&=?") != vlen) {
		*why = "more than one query parameter";
		return 400;
	}
	rc = unescape_into(v, vlen, buf, NULL, why);
	if (rc == 0)
		*dst = buf;
	return rc;
}

/*
 * Everything of a parsed URI lives in one block, freed by uri_free: the
 * segment pointers (seg points at the block), then orig, the decoded
 * segments and the decoded query value. Decoding only shrinks, so
 * totlen + 1 bytes hold each of the three. One malloc per URI instead of
 * one per segment: the engine parses one URI per Item.
 */
int
uri_parse(const char *s, struct dm_uri *out, const char **why)
{
	const char	*dummy, *path, *q, *p, *slash;
	size_t		 totlen, pathlen, nraw, seglen, declen, i, nptr;
	char		*block, *dec;
	int		 rc;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(out, 0, sizeof(*out));
	out->scope = DM_SCOPE_DEVICE;
	if (s == NULL || *s == '\0') {
		*why = "empty URI";
		return 400;
	}
	totlen = strnlen(s, URI_MAX_TOTLEN + 1);
	if (totlen > URI_MAX_TOTLEN) {
		*why = "URI longer than MaxTotLen";
		return 414;
	}
	q = memchr(s, '?', totlen);
	path = s;
	pathlen = q != NULL ? (size_t)(q - s) : totlen;
	if (pathlen == 0) {
		*why = "empty path";
		return 400;
	}
	if (path[0] == '/') {
		*why = "URI starts with \"/\"";
		return 400;
	}

	/* Strip the root: "." is the root itself, "./" only a prefix. */
	nraw = 0;
	if (pathlen == 1 && path[0] == '.')
		pathlen = 0;
	else {
		if (pathlen >= 2 && path[0] == '.' && path[1] == '/') {
			path += 2;
			pathlen -= 2;
			if (pathlen == 0) {
				*why = "URI ends with \"/\"";
				return 400;
			}
		}
		nraw = 1;
		for (i = 0; i < pathlen; i++) {
			if (path[i] == '/')
				nraw++;
		}
		/* One more than the limit is allowed for a scope prefix. */
		if (nraw > URI_MAX_DEPTH + 1) {
			*why = "URI deeper than MaxDepth";
			return 414;
		}
	}

	nptr = nraw > 0 ? nraw : 1;
	block = malloc(nptr * sizeof(char *) + 3 * (totlen + 1));
	if (block == NULL) {
		*why = why_oom;
		return URI_OOM;
	}
	out->seg = (char **)(void *)block;
	out->orig = block + nptr * sizeof(char *);
	memcpy(out->orig, s, totlen + 1);
	dec = out->orig + totlen + 1;

	p = path;
	for (i = 0; i < nraw; i++) {
		slash = memchr(p, '/', pathlen - (size_t)(p - path));
		seglen = slash != NULL ? (size_t)(slash - p) :
		    pathlen - (size_t)(p - path);
		if (seglen == 0) {
			rc = 400;
			*why = i + 1 == nraw ? "URI ends with \"/\"" :
			    "empty node name";
			goto err;
		}
		rc = unescape_into(p, seglen, dec, &declen, why);
		if (rc != 0)
			goto err;
		out->seg[out->nseg++] = dec;
		if (declen > URI_MAX_SEGLEN) {
			rc = 414;
			*why = "node name longer than MaxSegLen";
			goto err;
		}
		/* not empty (seglen > 0), no "/", valid UTF-8: unescape_into
		 * saw to that; what uri_name_valid adds is this */
		if (strcmp(dec, ".") == 0 || strcmp(dec, "..") == 0 ||
		    strcmp(dec, "*") == 0) {
			rc = 400;
			*why = "node name is \".\", \"..\" or \"*\"";
			goto err;
		}
		dec += declen + 1;
		p += seglen + 1;
	}

	/* A first segment "user" or "device" is the scope, not a node. */
	if (out->nseg > 0 && (strcasecmp(out->seg[0], "user") == 0 ||
	    strcasecmp(out->seg[0], "device") == 0)) {
		out->scoped = 1;
		out->scope = strcasecmp(out->seg[0], "user") == 0 ?
		    DM_SCOPE_USER : DM_SCOPE_DEVICE;
		memmove(out->seg, out->seg + 1,
		    (out->nseg - 1) * sizeof(*out->seg));
		out->nseg--;
	}
	if (out->nseg > URI_MAX_DEPTH) {
		rc = 414;
		*why = "URI deeper than MaxDepth";
		goto err;
	}

	if (q != NULL) {
		rc = parse_query(q + 1, out, dec, why);
		if (rc != 0)
			goto err;
	}
	*why = NULL;
	return 0;
err:
	uri_free(out);
	return rc;
}

/* Length of name once escaped, without the NUL. */
static size_t
escaped_len(const char *name)
{
	const unsigned char	*p;
	size_t			 n;

	n = 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		n += is_unreserved(*p) ? 1 : 3;
	return n;
}

/* Writes name escaped at dst (room from escaped_len()); returns the end. */
static char *
escape_into(char *dst, const char *name)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (is_unreserved(*p))
			*dst++ = (char)*p;
		else {
			*dst++ = '%';
			*dst++ = hex[*p >> 4];
			*dst++ = hex[*p & 0x0F];
		}
	}
	return dst;
}

char *
uri_escape_segment(const char *name)
{
	char	*out, *end;

	if (name == NULL)
		return NULL;
	out = malloc(escaped_len(name) + 1);
	if (out == NULL)
		return NULL;
	end = escape_into(out, name);
	*end = '\0';
	return out;
}

char *
uri_join(char *const *seg, size_t n)
{
	char	*out, *p;
	size_t	 len, i;

	if (n == 0)
		return strdup(".");
	len = 1;	/* "." */
	for (i = 0; i < n; i++)
		len += 1 + escaped_len(seg[i]);	/* "/" name */
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	p = out;
	*p++ = '.';
	for (i = 0; i < n; i++) {
		*p++ = '/';
		p = escape_into(p, seg[i]);
	}
	*p = '\0';
	return out;
}

/* Length of the n segments joined with "/", without the NUL. */
static size_t
join_plain_len(char *const *seg, size_t n)
{
	size_t	len, i;

	len = 0;
	for (i = 0; i < n; i++)
		len += strlen(seg[i]) + (i > 0 ? 1 : 0);
	return len;
}

/* Joins the n segments with "/" into out (join_plain_len + 1 bytes). */
static void
join_plain_into(char *out, char *const *seg, size_t n)
{
	char	*p;
	size_t	 slen, i;

	p = out;
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = '/';
		slen = strlen(seg[i]);
		memcpy(p, seg[i], slen);
		p += slen;
	}
	*p = '\0';
}

char *
uri_join_plain(char *const *seg, size_t n)
{
	char	*out;

	out = malloc(join_plain_len(seg, n) + 1);
	if (out == NULL)
		return NULL;
	join_plain_into(out, seg, n);
	return out;
}

char *
uri_join_plain_buf(char *const *seg, size_t n, char *buf, size_t size)
{
	if (join_plain_len(seg, n) >= size)
		return uri_join_plain(seg, n);
	join_plain_into(buf, seg, n);
	return buf;
}
