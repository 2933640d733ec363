/*
 * fuzz_uri: LocURI text -> uri_parse() (core/uri.h), and the escaping
 * round trips:
 * - a parse that succeeds gives segments that are valid node names, and
 *   uri_join() of them (with the scope prefix put back) parses to the
 *   same segments and scope;
 * - the input taken as one node name: when uri_name_valid() says it is
 *   one, uri_unescape_segment(uri_escape_segment(x)) == x, and the escaped
 *   form holds only unreserved characters and %XX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "uri.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
hexdig(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static void
name_round_trip(const char *x)
{
	const char *why = NULL;
	char *e, *d;
	size_t i;

	if (!uri_name_valid(x))
		return;
	e = uri_escape_segment(x);
	FUZZ_CHECK(e != NULL, "escape");
	for (i = 0; e[i] != '\0'; i++) {
		if (unreserved((unsigned char)e[i]))
			continue;
		FUZZ_CHECK(e[i] == '%' && hexdig((unsigned char)e[i + 1]) &&
		    hexdig((unsigned char)e[i + 2]), "escaped form '%s'", e);
		i += 2;
	}
	d = uri_unescape_segment(e, strlen(e), &why);
	FUZZ_CHECK(d != NULL, "a valid name does not decode back: %s",
	    why);
	FUZZ_CHECK(strcmp(d, x) == 0, "decode(escape(x)) != x");
	free(d);
	free(e);
}

static void
uri_round_trip(const struct dm_uri *u)
{
	struct dm_uri u2;
	const char *why = NULL;
	char *j, *s;
	size_t i;
	int r;

	for (i = 0; i < u->nseg; i++)
		FUZZ_CHECK(uri_name_valid(u->seg[i]), "segment %zu '%s' is "
		    "not a valid name", i, u->seg[i]);
	j = uri_join(u->seg, u->nseg);
	FUZZ_CHECK(j != NULL, "join");
	if (u->scoped)
		s = util_asprintf("./%s%s%s", u->scope == DM_SCOPE_USER ?
		    "User" : "Device", u->nseg > 0 ? "/" : "",
		    u->nseg > 0 ? j + 2 : "");
	else
		s = strdup(j);
	FUZZ_CHECK(s != NULL, "malloc");
	memset(&u2, 0, sizeof(u2));
	r = uri_parse(s, &u2, &why);
	/* escaping can only make it longer than the limit */
	if (r == 414) {
		FUZZ_CHECK(strlen(s) > URI_MAX_TOTLEN, "414 for '%s'", s);
		goto out;
	}
	FUZZ_CHECK(r == 0, "uri_join's '%s' does not parse: %d %s", s, r,
	    why);
	FUZZ_CHECK(u2.scope == u->scope && u2.scoped == u->scoped,
	    "scope of '%s'", s);
	FUZZ_CHECK(u2.nseg == u->nseg, "'%s': %zu segments, not %zu", s,
	    u2.nseg, u->nseg);
	for (i = 0; i < u->nseg; i++)
		FUZZ_CHECK(strcmp(u2.seg[i], u->seg[i]) == 0, "segment %zu",
		    i);
out:
	uri_free(&u2);
	free(s);
	free(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_uri u;
	const char *why = NULL;
	char *s, *p;
	int r;

	s = fuzz_strndup(data, size);
	memset(&u, 0, sizeof(u));
	r = uri_parse(s, &u, &why);
	if (r == 0) {
		FUZZ_CHECK(why == NULL, "why set on success");
		FUZZ_CHECK(strcmp(u.orig, s) == 0, "orig");
		FUZZ_CHECK(u.nseg <= URI_MAX_DEPTH, "depth");
		uri_round_trip(&u);
		p = uri_join_plain(u.seg, u.nseg);
		FUZZ_CHECK(p != NULL, "join_plain");
		free(p);
	} else {
		FUZZ_CHECK(r == 400 || r == 414, "status %d", r);
		FUZZ_CHECK(why != NULL, "no reason");
		FUZZ_CHECK(u.seg == NULL && u.nseg == 0, "not emptied");
	}
	uri_free(&u);
	uri_free(&u);	/* an emptied dm_uri may be freed again */
	name_round_trip(s);
	free(s);
	return 0;
}
