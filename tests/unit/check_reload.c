/*
 * check_reload: tree_reload (SIGHUP) keeps the previous version of a CSP
 * whose new version does not load, and takes a fixed version.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dm_status.h"
#include "testutil.h"
#include "tree.h"
#include "uri.h"

static char dir[] = "/tmp/check_reload.XXXXXX";

static void
write_csp(const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/csp/V.lua", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	if (value != NULL)
		fprintf(f, "return { mount = \"./Vendor/V\", get = function() "
		    "return \"%s\" end }\n", value);
	else
		fprintf(f, "return { mount = \"./Vendor/V\", get = function( "
		    "end }\n");	/* a syntax error */
	fclose(f);
}

static char *
get(struct tree *t)
{
	struct tree_who who = { NULL, NULL };
	struct csp_value v;
	struct dm_uri u;
	char *r = NULL;

	ck_assert_int_eq(uri_parse("./Vendor/V/x", &u, NULL), 0);
	if (tree_get(t, &who, &u, &v, NULL) == DM_OK)
		r = strdup(v.data);
	csp_value_free(&v);
	uri_free(&u);
	return r;
}

static struct config *
make_config(void)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/csp", dir);
	return testutil_config(dir, p, NULL);
}

START_TEST(test_broken_keeps_previous)
{
	struct config *c1, *c2, *c3;
	struct tree *t1, *t2, *t3;
	char *err = NULL, *v, p[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/csp", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	write_csp("one");
	c1 = make_config();
	t1 = tree_new(c1, &err);
	ck_assert_ptr_nonnull(t1);
	v = get(t1);
	ck_assert_str_eq(v, "one");
	free(v);

	/* the new version is broken: the old one stays, under the new config */
	write_csp(NULL);
	c2 = make_config();
	t2 = tree_reload(c2, t1, &err);
	ck_assert_ptr_nonnull(t2);
	tree_free(t1);
	config_free(c1);
	v = get(t2);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, "one");
	free(v);

	/* a fixed version is taken */
	write_csp("two");
	c3 = make_config();
	t3 = tree_reload(c3, t2, &err);
	ck_assert_ptr_nonnull(t3);
	tree_free(t2);
	config_free(c2);
	v = get(t3);
	ck_assert_str_eq(v, "two");
	free(v);
	tree_free(t3);
	config_free(c3);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("reload");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_broken_keeps_previous);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
