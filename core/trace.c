/*
 * trace.c: session traces with secrets redacted; see trace.h. Redaction
 * works on the text, so it also covers messages luadm could not parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "codec_wbxml.h"
#include "log.h"
#include "store.h"
#include "trace.h"
#include "util.h"

#define REDACTED	"***"

struct trace {
	char		*dir;
	unsigned	 n;
};

struct trace *
trace_open(const char *dir, char **err)
{
	struct trace *t;

	*err = NULL;
	if (dir == NULL)
		return NULL;
	if (store_mkdirs(dir, err) != 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->dir = strdup(dir)) == NULL) {
		free(t);
		*err = strdup("out of memory");
		return NULL;
	}
	return t;
}

void
trace_close(struct trace *t)
{
	if (t == NULL)
		return;
	free(t->dir);
	free(t);
}

/* Finds needle in [p, end), case-sensitive; NULL when absent. */
static const char *
find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/*
 * Appends [p, end) to b with the content of every <tag ...>...</tag>
 * replaced, where the element lies inside a region that when() accepts.
 */
static int
redact_elements(struct buf *b, const char *p, const char *end,
    const char *tag)
{
	char open[32], close[32];
	const char *s, *gt, *c;

	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	while ((s = find(p, end, open)) != NULL) {
		gt = memchr(s, '>', (size_t)(end - s));
		if (gt == NULL)
			break;
		if (s[strlen(open)] != '>' && s[strlen(open)] != ' ') {
			if (buf_add(b, p, (size_t)(gt + 1 - p)) != 0)
				return -1;
			p = gt + 1;
			continue;
		}
		if (gt[-1] == '/') {		/* <Data/> */
			if (buf_add(b, p, (size_t)(gt + 1 - p)) != 0)
				return -1;
			p = gt + 1;
			continue;
		}
		c = find(gt + 1, end, close);
		if (c == NULL)
			c = end;
		if (buf_add(b, p, (size_t)(gt + 1 - p)) != 0 ||
		    buf_addstr(b, REDACTED) != 0)
			return -1;
		p = c;
	}
	return buf_add(b, p, (size_t)(end - p));
}

/* Runs redact_elements(tag) inside every <outer>...</outer> block. */
static int
redact_in(struct buf *b, const char *p, const char *end, const char *outer,
    const char *tag, int (*want)(const char *, const char *))
{
	char open[32], close[32];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", outer);
	snprintf(close, sizeof(close), "</%s>", outer);
	while ((s = find(p, end, open)) != NULL) {
		e = find(s, end, close);
		e = e != NULL ? e + strlen(close) : end;
		if (buf_add(b, p, (size_t)(s - p)) != 0)
			return -1;
		if (want == NULL || want(s, e)) {
			if (redact_elements(b, s, e, tag) != 0)
				return -1;
		} else if (buf_add(b, s, (size_t)(e - s)) != 0)
			return -1;
		p = e;
	}
	return buf_add(b, p, (size_t)(end - p));
}

/* An Item that addresses a secret node. */
static int
secret_item(const char *s, const char *e)
{
	return find(s, e, "AAuthSecret<") != NULL ||
	    find(s, e, "AAuthData<") != NULL ||
	    find(s, e, "AAUTHSECRET") != NULL;
}

char *
trace_redact(const char *msg, size_t len, size_t *outlen)
{
	struct buf a = { 0 }, b = { 0 }, c = { 0 };

	if (redact_in(&a, msg, msg + len, "Cred", "Data", NULL) != 0 ||
	    redact_elements(&b, a.p, a.p + a.len, "NextNonce") != 0 ||
	    redact_in(&c, b.p, b.p + b.len, "Item", "Data",
	    secret_item) != 0) {
		buf_free(&a);
		buf_free(&b);
		buf_free(&c);
		return NULL;
	}
	buf_free(&a);
	buf_free(&b);
	*outlen = c.len;
	return c.p != NULL ? c.p : strdup("");
}

/* A WBXML message as XML text, malloc'd (*len); NULL when it does not
 * decode. */
static char *
wbxml_as_xml(const void *msg, size_t len, size_t *outlen)
{
	struct _xmlDoc *doc;
	xmlChar *x = NULL;
	char ebuf[WBXML_ERRLEN], *r;
	int n = 0;

	doc = wbxml_decode(msg, len, NULL, ebuf, sizeof(ebuf));
	if (doc == NULL)
		return util_asprintf("<!-- WBXML that does not decode: %s "
		    "-->", ebuf);
	xmlDocDumpFormatMemory(doc, &x, &n, 1);
	xmlFreeDoc(doc);
	if (x == NULL)
		return NULL;
	r = util_asprintf("<!-- decoded from WBXML (%zu bytes) -->\n%s", len,
	    (char *)x);
	xmlFree(x);
	if (r != NULL)
		*outlen = strlen(r);
	return r;
}

void
trace_message(struct trace *t, const char *who, const void *msg, size_t len,
    const char *hmac)
{
	char *path, *red = NULL, *err = NULL, *xml = NULL;
	size_t rlen, xlen = 0;
	struct buf b = { 0 };

	if (t == NULL)
		return;
	t->n++;
	if (wbxml_sniff(msg, len)) {
		xml = wbxml_as_xml(msg, len, &xlen);
		if (xml == NULL)
			return;
		xlen = strlen(xml);
		msg = xml;
		len = xlen;
	}
	red = trace_redact(msg, len, &rlen);
	path = util_asprintf("%s/%03u-%s.xml", t->dir, t->n, who);
	if (red == NULL || path == NULL)
		goto out;
	if (hmac != NULL && buf_addstr(&b, "<!-- x-syncml-hmac: "
	    "(present, redacted) -->\n") != 0)
		goto out;
	if (buf_add(&b, red, rlen) != 0 || buf_add(&b, "\n", 1) != 0)
		goto out;
	if (store_write_atomic(path, b.p, b.len, &err) != 0) {
		log_warnx("trace: %s", err != NULL ? err : "out of memory");
		free(err);
	}
out:
	buf_free(&b);
	free(red);
	free(xml);
	free(path);
}
