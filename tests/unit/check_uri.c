/*
 * check_uri.c: unit tests of core/uri.c: LocURI parsing (root, relative
 * form, scope prefix, %-decoding, UTF-8, queries, limits), node-name
 * validation, escaping, joining and escape/parse round trips.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "uri.h"

/* A URI that must parse, with its expected decoded segments. */
struct parse_ok {
	const char	*in;
	enum dm_scope	 scope;
	int		 scoped;
	size_t		 nseg;
	const char	*seg[8];
	const char	*prop;
	const char	*list;
};

static const struct parse_ok ok_cases[] = {
	{ ".", DM_SCOPE_DEVICE, 0, 0, { NULL }, NULL, NULL },
	{ "./A", DM_SCOPE_DEVICE, 0, 1, { "A" }, NULL, NULL },
	{ "A", DM_SCOPE_DEVICE, 0, 1, { "A" }, NULL, NULL },
	{ "./A/B", DM_SCOPE_DEVICE, 0, 2, { "A", "B" }, NULL, NULL },
	{ "A/B", DM_SCOPE_DEVICE, 0, 2, { "A", "B" }, NULL, NULL },
	{ "./a.b/.hidden/x..y/...", DM_SCOPE_DEVICE, 0, 4,
	    { "a.b", ".hidden", "x..y", "..." }, NULL, NULL },
	{ ".hidden", DM_SCOPE_DEVICE, 0, 1, { ".hidden" }, NULL, NULL },
	{ "./a*/*b", DM_SCOPE_DEVICE, 0, 2, { "a*", "*b" }, NULL, NULL },
	{ "./Vendor/MSFT/Registry/HKLM/Security/Test", DM_SCOPE_DEVICE, 0, 6,
	    { "Vendor", "MSFT", "Registry", "HKLM", "Security", "Test" },
	    NULL, NULL },
	{ "./user/vendor/MSFT/EnterpriseModernAppManagement/AppInstallation/"
	    "Pkg_1.0/StoreInstall", DM_SCOPE_USER, 1, 6,
	    { "vendor", "MSFT", "EnterpriseModernAppManagement",
	    "AppInstallation", "Pkg_1.0", "StoreInstall" }, NULL, NULL },
	{ "./device/vendor/MSFT/RemoteWipe/DoWipe", DM_SCOPE_DEVICE, 1, 4,
	    { "vendor", "MSFT", "RemoteWipe", "DoWipe" }, NULL, NULL },
	{ "./Device/Vendor/MSFT/DMClient", DM_SCOPE_DEVICE, 1, 3,
	    { "Vendor", "MSFT", "DMClient" }, NULL, NULL },
	{ "./Device", DM_SCOPE_DEVICE, 1, 0, { NULL }, NULL, NULL },
	{ "./USER", DM_SCOPE_USER, 1, 0, { NULL }, NULL, NULL },
	{ "uSeR/A", DM_SCOPE_USER, 1, 1, { "A" }, NULL, NULL },
	{ "./%75ser/A", DM_SCOPE_USER, 1, 1, { "A" }, NULL, NULL },
	{ "./device/device/X", DM_SCOPE_DEVICE, 1, 2, { "device", "X" },
	    NULL, NULL },
	{ "./user/device", DM_SCOPE_USER, 1, 1, { "device" }, NULL, NULL },
	{ "./A/user", DM_SCOPE_DEVICE, 0, 2, { "A", "user" }, NULL, NULL },
	{ "./users/A", DM_SCOPE_DEVICE, 0, 2, { "users", "A" }, NULL, NULL },
	{ "./A%20B", DM_SCOPE_DEVICE, 0, 1, { "A B" }, NULL, NULL },
	{ "./%2541", DM_SCOPE_DEVICE, 0, 1, { "%41" }, NULL, NULL },
	{ "./%41%62c", DM_SCOPE_DEVICE, 0, 1, { "Abc" }, NULL, NULL },
	{ "./caf%C3%A9", DM_SCOPE_DEVICE, 0, 1, { "caf\xC3\xA9" },
	    NULL, NULL },
	{ "./caf%c3%a9", DM_SCOPE_DEVICE, 0, 1, { "caf\xC3\xA9" },
	    NULL, NULL },
	{ "./caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC", DM_SCOPE_DEVICE, 0, 2,
	    { "caf\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC" }, NULL, NULL },
	{ "./%F0%9F%98%80", DM_SCOPE_DEVICE, 0, 1, { "\xF0\x9F\x98\x80" },
	    NULL, NULL },
	{ "./%F4%8F%BF%BF", DM_SCOPE_DEVICE, 0, 1, { "\xF4\x8F\xBF\xBF" },
	    NULL, NULL },
	{ "./%EF%BF%BD", DM_SCOPE_DEVICE, 0, 1, { "\xEF\xBF\xBD" },
	    NULL, NULL },
	{ "./%2A%2A", DM_SCOPE_DEVICE, 0, 1, { "**" }, NULL, NULL },
	{ "./a+b&c=d", DM_SCOPE_DEVICE, 0, 1, { "a+b&c=d" }, NULL, NULL },
	{ "./A?prop=ACL", DM_SCOPE_DEVICE, 0, 1, { "A" }, "ACL", NULL },
	{ ".?prop=Format", DM_SCOPE_DEVICE, 0, 0, { NULL }, "Format", NULL },
	{ "A/B?list=Struct", DM_SCOPE_DEVICE, 0, 2, { "A", "B" }, NULL,
	    "Struct" },
	{ "./A?prop=AC%4C", DM_SCOPE_DEVICE, 0, 1, { "A" }, "ACL", NULL },
	{ "./user?prop=ACL", DM_SCOPE_USER, 1, 0, { NULL }, "ACL", NULL },
	{ "./A?list=TNDS+ACL", DM_SCOPE_DEVICE, 0, 1, { "A" }, NULL,
	    "TNDS+ACL" },
};

START_TEST(test_parse_ok)
{
	const struct parse_ok	*c = &ok_cases[_i];
	struct dm_uri		 u;
	const char		*why = "unset";
	size_t			 i;
	int			 rc;

	rc = uri_parse(c->in, &u, &why);
	ck_assert_msg(rc == 0, "%s: status %d (%s)", c->in, rc,
	    why != NULL ? why : "?");
	ck_assert_ptr_null(why);
	ck_assert_ptr_nonnull(u.orig);
	ck_assert_str_eq(u.orig, c->in);
	ck_assert_int_eq(u.scope, c->scope);
	ck_assert_int_eq(u.scoped, c->scoped);
	ck_assert_uint_eq(u.nseg, c->nseg);
	for (i = 0; i < c->nseg; i++)
		ck_assert_str_eq(u.seg[i], c->seg[i]);
	if (c->prop == NULL)
		ck_assert_ptr_null(u.prop);
	else
		ck_assert_str_eq(u.prop, c->prop);
	if (c->list == NULL)
		ck_assert_ptr_null(u.list);
	else
		ck_assert_str_eq(u.list, c->list);
	uri_free(&u);
	ck_assert_ptr_null(u.seg);
	ck_assert_ptr_null(u.orig);
	uri_free(&u);	/* a freed dm_uri can be freed again */
}
END_TEST

/* A URI that must be refused, with the expected status. */
struct parse_bad {
	const char	*in;
	int		 status;
};

static const struct parse_bad bad_cases[] = {
	{ "", 400 },
	{ "/", 400 },
	{ "/A", 400 },
	{ "/./A", 400 },
	{ "./", 400 },
	{ "A/", 400 },
	{ "./A/", 400 },
	{ "./A/B/", 400 },
	{ "./Device/", 400 },
	{ "A//B", 400 },
	{ ".//A", 400 },
	{ "./A/./B", 400 },
	{ "./A/../B", 400 },
	{ "./Vendor/MSFT/Registry/HKLM/Security/./Test", 400 },
	{ "./.", 400 },
	{ "./..", 400 },
	{ "..", 400 },
	{ "../A", 400 },
	{ "./A/..", 400 },
	{ "./A/.", 400 },
	{ "./A/*", 400 },
	{ "*", 400 },
	{ "./*/A", 400 },
	{ "./user/*", 400 },
	{ "./A/%2E", 400 },
	{ "./A/%2E%2E", 400 },
	{ "./A/%2A", 400 },
	{ "./A%2FB", 400 },
	{ "./A%2fB", 400 },
	{ "./A%00B", 400 },
	{ "./A%00", 400 },
	{ "./%4", 400 },
	{ "./A%", 400 },
	{ "./A%4", 400 },
	{ "./%G1", 400 },
	{ "./%4G", 400 },
	{ "./%%41", 400 },
	{ "./% 1", 400 },
	{ "./%C0%AF", 400 },		/* overlong "/" */
	{ "./%C1%81", 400 },		/* overlong "A" */
	{ "./%E0%80%AF", 400 },		/* overlong, 3 bytes */
	{ "./%F0%80%80%AF", 400 },	/* overlong, 4 bytes */
	{ "./%ED%A0%80", 400 },		/* high surrogate */
	{ "./%ED%BF%BF", 400 },		/* low surrogate */
	{ "./%C3", 400 },		/* truncated */
	{ "./%E2%82", 400 },		/* truncated */
	{ "./%F0%9F%98", 400 },		/* truncated */
	{ "./%C3A", 400 },		/* lead byte then ASCII */
	{ "./%80", 400 },		/* stray continuation */
	{ "./%F4%90%80%80", 400 },	/* above U+10FFFF */
	{ "./%F8%88%80%80%80", 400 },	/* 5-byte form */
	{ "./%FF", 400 },
	{ "./%FE", 400 },
	{ "./\xFF", 400 },		/* raw invalid byte */
	{ "./caf\xC3", 400 },		/* raw truncated */
	{ "./\xC0\xAF", 400 },		/* raw overlong */
	{ "?prop=ACL", 400 },
	{ "./A?", 400 },
	{ "./A?foo=bar", 400 },
	{ "./A?prop", 400 },
	{ "./A?prop=", 400 },
	{ "./A?list=", 400 },
	{ "./A?Prop=ACL", 400 },
	{ "./A?PROP=ACL", 400 },
	{ "./A?prop=ACL&list=Struct", 400 },
	{ "./A?prop=ACL?x", 400 },
	{ "./A?prop=a=b", 400 },
	{ "./A?prop=%G0", 400 },
	{ "./A?prop=%00", 400 },
	{ "./A?prop=%2F", 400 },
	{ "./A?prop=%FF", 400 },
	{ "./A/?prop=ACL", 400 },
	{ "./A??prop=ACL", 400 },
	{ "./A/%2A?prop=ACL", 400 },
};

START_TEST(test_parse_bad)
{
	const struct parse_bad	*c = &bad_cases[_i];
	struct dm_uri		 u;
	const char		*why = NULL;
	int			 rc;

	memset(&u, 0xA5, sizeof(u));	/* must be reset on error */
	rc = uri_parse(c->in, &u, &why);
	ck_assert_msg(rc == c->status, "\"%s\": status %d, want %d", c->in,
	    rc, c->status);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_gt(strlen(why), 0);
	ck_assert_ptr_null(u.orig);
	ck_assert_ptr_null(u.seg);
	ck_assert_uint_eq(u.nseg, 0);
	ck_assert_ptr_null(u.prop);
	ck_assert_ptr_null(u.list);
	ck_assert_int_eq(u.scoped, 0);
	uri_free(&u);
}
END_TEST

START_TEST(test_parse_null_why)
{
	struct dm_uri	u;

	ck_assert_int_eq(uri_parse("./A//B", &u, NULL), 400);
	ck_assert_int_eq(uri_parse("./A/B", &u, NULL), 0);
	ck_assert_uint_eq(u.nseg, 2);
	uri_free(&u);
	uri_free(NULL);
}
END_TEST

START_TEST(test_relative_equals_absolute)
{
	struct dm_uri	a, b;
	size_t		i;

	ck_assert_int_eq(uri_parse("./Vendor/MSFT/a%20b", &a, NULL), 0);
	ck_assert_int_eq(uri_parse("Vendor/MSFT/a%20b", &b, NULL), 0);
	ck_assert_uint_eq(a.nseg, b.nseg);
	for (i = 0; i < a.nseg; i++)
		ck_assert_str_eq(a.seg[i], b.seg[i]);
	ck_assert_str_ne(a.orig, b.orig);
	uri_free(&a);
	uri_free(&b);
}
END_TEST

/* Returns a malloc'd prefix, n copies of unit, then suffix. */
static char *
repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t	 ulen, plen, slen, i;
	char	*s, *p;

	plen = strlen(prefix);
	ulen = strlen(unit);
	slen = strlen(suffix);
	s = malloc(plen + ulen * n + slen + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, prefix, plen);
	p = s + plen;
	for (i = 0; i < n; i++) {
		memcpy(p, unit, ulen);
		p += ulen;
	}
	memcpy(p, suffix, slen + 1);
	return s;
}

START_TEST(test_limit_totlen)
{
	struct dm_uri	 u;
	const char	*why;
	char		*s;
	size_t		 len;

	/* "./" and segments of 200 bytes, exactly MaxTotLen bytes long. */
	s = repeat("./", "a", URI_MAX_TOTLEN - 2, "");
	for (len = 2 + 200; len < URI_MAX_TOTLEN; len += 201)
		s[len] = '/';
	ck_assert_uint_eq(strlen(s), URI_MAX_TOTLEN);
	ck_assert_int_eq(uri_parse(s, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.orig), URI_MAX_TOTLEN);
	uri_free(&u);
	free(s);

	s = repeat("./", "a", URI_MAX_TOTLEN - 1, "");
	for (len = 2 + 200; len < URI_MAX_TOTLEN; len += 201)
		s[len] = '/';
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	ck_assert_ptr_null(u.orig);
	free(s);

	/* The query counts towards the total length. */
	s = repeat("./A?prop=", "x", URI_MAX_TOTLEN, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);

	/* A huge input is refused, whatever else is wrong with it. */
	s = repeat("/", "%G", 1 << 20, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);
}
END_TEST

START_TEST(test_limit_depth)
{
	struct dm_uri	 u;
	const char	*why;
	char		*s;

	s = repeat(".", "/n", URI_MAX_DEPTH, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 0);
	ck_assert_uint_eq(u.nseg, URI_MAX_DEPTH);
	uri_free(&u);
	free(s);

	s = repeat(".", "/n", URI_MAX_DEPTH + 1, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	ck_assert_ptr_null(u.seg);
	free(s);

	/* The scope prefix is not a level of the tree. */
	s = repeat("./user", "/n", URI_MAX_DEPTH, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 0);
	ck_assert_uint_eq(u.nseg, URI_MAX_DEPTH);
	ck_assert_int_eq(u.scope, DM_SCOPE_USER);
	uri_free(&u);
	free(s);

	s = repeat("./Device", "/n", URI_MAX_DEPTH + 1, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);

	s = repeat("./X", "/n", URI_MAX_DEPTH + 1, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);

	/* Many empty segments: too deep before anything is decoded. */
	s = repeat("./", "/", 1000, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);
}
END_TEST

START_TEST(test_limit_seglen)
{
	struct dm_uri	 u;
	const char	*why;
	char		*s;

	s = repeat("./A/", "b", URI_MAX_SEGLEN, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.seg[1]), URI_MAX_SEGLEN);
	uri_free(&u);
	free(s);

	s = repeat("./A/", "b", URI_MAX_SEGLEN + 1, "/C");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);

	/* The limit applies to the decoded name. */
	s = repeat("./", "%41", URI_MAX_SEGLEN, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.seg[0]), URI_MAX_SEGLEN);
	ck_assert_int_eq(u.seg[0][0], 'A');
	uri_free(&u);
	free(s);

	s = repeat("./", "%41", URI_MAX_SEGLEN + 1, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);

	/* In bytes, not characters: 128 x "é" is 256 bytes. */
	s = repeat("./", "\xC3\xA9", 128, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 414);
	free(s);
	s = repeat("./", "\xC3\xA9", 127, "");
	ck_assert_int_eq(uri_parse(s, &u, &why), 0);
	uri_free(&u);
	free(s);
}
END_TEST

START_TEST(test_unescape_segment)
{
	const char	*why;
	char		*s;

	why = NULL;
	s = uri_unescape_segment("A%20Bjunk", 5, &why);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "A B");
	free(s);

	s = uri_unescape_segment("%2541", 5, &why);
	ck_assert_str_eq(s, "%41");
	free(s);

	s = uri_unescape_segment("", 0, &why);
	ck_assert_str_eq(s, "");
	free(s);

	/* The escape must fit inside len. */
	why = NULL;
	ck_assert_ptr_null(uri_unescape_segment("A%41", 3, &why));
	ck_assert_ptr_nonnull(why);

	why = NULL;
	ck_assert_ptr_null(uri_unescape_segment("a%2Fb", 5, &why));
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert_ptr_null(uri_unescape_segment("a/b", 3, &why));
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert_ptr_null(uri_unescape_segment("%00", 3, &why));
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert_ptr_null(uri_unescape_segment("%ED%A0%80", 9, &why));
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert_ptr_null(uri_unescape_segment("%g0", 3, &why));
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(test_name_valid)
{
	char	*s;

	ck_assert_int_eq(uri_name_valid("a.b"), 1);
	ck_assert_int_eq(uri_name_valid(".hidden"), 1);
	ck_assert_int_eq(uri_name_valid("..."), 1);
	ck_assert_int_eq(uri_name_valid("a*"), 1);
	ck_assert_int_eq(uri_name_valid("a b"), 1);
	ck_assert_int_eq(uri_name_valid("caf\xC3\xA9"), 1);
	ck_assert_int_eq(uri_name_valid("%2F"), 1);	/* names are decoded */
	ck_assert_int_eq(uri_name_valid(NULL), 0);
	ck_assert_int_eq(uri_name_valid(""), 0);
	ck_assert_int_eq(uri_name_valid("."), 0);
	ck_assert_int_eq(uri_name_valid(".."), 0);
	ck_assert_int_eq(uri_name_valid("*"), 0);
	ck_assert_int_eq(uri_name_valid("a/b"), 0);
	ck_assert_int_eq(uri_name_valid("/"), 0);
	ck_assert_int_eq(uri_name_valid("\xFF"), 0);
	ck_assert_int_eq(uri_name_valid("\xED\xA0\x80"), 0);
	ck_assert_int_eq(uri_name_valid("caf\xC3"), 0);

	s = repeat("", "x", URI_MAX_SEGLEN, "");
	ck_assert_int_eq(uri_name_valid(s), 1);
	free(s);
	s = repeat("", "x", URI_MAX_SEGLEN + 1, "");
	ck_assert_int_eq(uri_name_valid(s), 0);
	free(s);
}
END_TEST

/* An input name and its escaped form. */
struct esc_case {
	const char	*name;
	const char	*escaped;
};

static const struct esc_case esc_cases[] = {
	{ "", "" },
	{ "abcXYZ019-._~", "abcXYZ019-._~" },
	{ "a b", "a%20b" },
	{ "\xC3\xA9", "%C3%A9" },
	{ "caf\xC3\xA9", "caf%C3%A9" },
	{ "/", "%2F" },
	{ "%", "%25" },
	{ "%41", "%2541" },
	{ "*", "%2A" },
	{ "a+b&c=d?e#f", "a%2Bb%26c%3Dd%3Fe%23f" },
	{ "\x01\x7F", "%01%7F" },
	{ "\xF0\x9F\x98\x80", "%F0%9F%98%80" },
	{ "{ProviderID}", "%7BProviderID%7D" },
};

START_TEST(test_escape)
{
	const struct esc_case	*c = &esc_cases[_i];
	char			*s;

	s = uri_escape_segment(c->name);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, c->escaped);
	free(s);
}
END_TEST

/* Escapes name, parses "./<escaped>" and checks the name comes back. */
static void
check_round_trip(const char *name)
{
	struct dm_uri	 u;
	const char	*why = NULL;
	char		*esc, *s;
	int		 rc;

	esc = uri_escape_segment(name);
	ck_assert_ptr_nonnull(esc);
	s = repeat("./Outer/", esc, 1, "");
	rc = uri_parse(s, &u, &why);
	ck_assert_msg(rc == 0, "%s: status %d (%s)", s, rc,
	    why != NULL ? why : "?");
	ck_assert_uint_eq(u.nseg, 2);
	ck_assert_str_eq(u.seg[1], name);
	uri_free(&u);
	free(s);
	free(esc);
}

START_TEST(test_round_trip)
{
	static const char *const names[] = {
		"a.b", ".hidden", "a b", "caf\xC3\xA9", "%41", "%2F", "a*",
		"**", "x?prop=ACL", "a+b", "\xE6\x97\xA5\xE6\x9C\xAC",
		"\xF0\x9F\x98\x80", "user name", "device ", "~tilde"
	};
	char	name[4];
	size_t	i;
	int	c;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_round_trip(names[i]);
	/* Every ASCII byte but NUL and "/" survives a round trip. */
	for (c = 1; c < 0x80; c++) {
		if (c == '/')
			continue;
		name[0] = 'x';
		name[1] = (char)c;
		name[2] = 'y';
		name[3] = '\0';
		check_round_trip(name);
	}
}
END_TEST

START_TEST(test_escaped_slash_refused)
{
	struct dm_uri	 u;
	char		*esc, *s;

	esc = uri_escape_segment("a/b");
	ck_assert_str_eq(esc, "a%2Fb");
	s = repeat("./", esc, 1, "");
	ck_assert_int_eq(uri_parse(s, &u, NULL), 400);
	free(s);
	free(esc);
}
END_TEST

START_TEST(test_join)
{
	char *const	 segs[] = { "Vendor", "MSFT", "a b", "\xC3\xA9", "%" };
	struct dm_uri	 u;
	char		*s;
	size_t		 i;

	s = uri_join(segs, 0);
	ck_assert_str_eq(s, ".");
	free(s);
	s = uri_join(NULL, 0);
	ck_assert_str_eq(s, ".");
	free(s);

	s = uri_join(segs, 1);
	ck_assert_str_eq(s, "./Vendor");
	free(s);

	s = uri_join(segs, 5);
	ck_assert_str_eq(s, "./Vendor/MSFT/a%20b/%C3%A9/%25");
	ck_assert_int_eq(uri_parse(s, &u, NULL), 0);
	ck_assert_uint_eq(u.nseg, 5);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(u.seg[i], segs[i]);
	uri_free(&u);
	free(s);
}
END_TEST

START_TEST(test_join_plain)
{
	char *const	 segs[] = { "a b", "c", "\xC3\xA9%" };
	char		*s;

	s = uri_join_plain(segs, 0);
	ck_assert_str_eq(s, "");
	free(s);
	s = uri_join_plain(NULL, 0);
	ck_assert_str_eq(s, "");
	free(s);
	s = uri_join_plain(segs, 1);
	ck_assert_str_eq(s, "a b");
	free(s);
	s = uri_join_plain(segs, 3);
	ck_assert_str_eq(s, "a b/c/\xC3\xA9%");
	free(s);
}
END_TEST

static Suite *
uri_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("uri");

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_parse_ok, 0,
	    sizeof(ok_cases) / sizeof(ok_cases[0]));
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_parse_null_why);
	tcase_add_test(tc, test_relative_equals_absolute);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_limit_totlen);
	tcase_add_test(tc, test_limit_depth);
	tcase_add_test(tc, test_limit_seglen);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_unescape_segment);
	tcase_add_test(tc, test_name_valid);
	tcase_add_loop_test(tc, test_escape, 0,
	    sizeof(esc_cases) / sizeof(esc_cases[0]));
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_escaped_slash_refused);
	tcase_add_test(tc, test_join);
	tcase_add_test(tc, test_join_plain);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return testutil_run(uri_suite());
}
