/*
 * check_acl.c: unit tests of core/acl.c: the ACL grammar (valid and
 * invalid strings), what each command grants to whom, the "*" wildcard,
 * the local administrator (NULL server id) and command-name mapping.
 */
#include <check.h>
#include <stdlib.h>

#include "acl.h"
#include "testutil.h"

#define OMA_EXAMPLE	"Add=www.sonera.fi-8765&Delete=www.sonera.fi-8765&" \
			"Replace=www.sonera.fi-8765+321_ibm.com&Get=*"

static const char *const valid_acls[] = {
	"",
	"Get=*",
	"Add=*&Get=*",
	"Get=*&Replace=srv1+srv2",
	OMA_EXAMPLE,
	"Add=a&Delete=b&Exec=c&Get=d&Replace=e",
	"Get=a&Get=b",
	"Get=*&Get=*",
	"Exec=x+x",
	"Get=a*",		/* a literal server id, not a wildcard */
	"Get=**",
	"Get=srv with space",
	"Get=caf\xC3\xA9",
	"Replace=*+srv",
};

START_TEST(test_valid)
{
	ck_assert_msg(acl_valid(valid_acls[_i]) == 1, "\"%s\" refused",
	    valid_acls[_i]);
}
END_TEST

static const char *const invalid_acls[] = {
	"Get",
	"Get=",
	"=*",
	"=",
	"&",
	"+",
	"*",
	"Get=*&",
	"&Get=*",
	"Get=*&&Add=*",
	"Get=a+",
	"Get=+a",
	"Get=a++b",
	"Get=a+&Add=*",
	"get=*",
	"GET=*",
	"add=*",
	"Copy=*",
	"Gets=*",
	"Ge=*",
	" Get=*",
	"Get =*",
	"Get=a=b",
	"Get==a",
	"Get=*=",
	"Get=*&Replace",
	"Get=*&Replace=",
	"Get=*&Bogus=x",
	"Get*",
};

START_TEST(test_invalid)
{
	ck_assert_msg(acl_valid(invalid_acls[_i]) == 0, "\"%s\" accepted",
	    invalid_acls[_i]);
	/* An invalid ACL grants nothing, even to "*" entries in it. */
	ck_assert_int_eq(acl_allows(invalid_acls[_i], ACL_GET, "a"), 0);
	ck_assert_int_eq(acl_allows(invalid_acls[_i], ACL_GET, NULL), 0);
	ck_assert_int_eq(acl_allows(invalid_acls[_i], ACL_ADD, "a"), 0);
}
END_TEST

START_TEST(test_null_acl)
{
	ck_assert_int_eq(acl_valid(NULL), 0);
	ck_assert_int_eq(acl_allows(NULL, ACL_GET, "srv"), 0);
	ck_assert_int_eq(acl_allows(NULL, ACL_GET, NULL), 0);
}
END_TEST

START_TEST(test_empty_grants_nothing)
{
	int	cmd;

	for (cmd = 0; cmd < ACL__MAX; cmd++) {
		ck_assert_int_eq(acl_allows("", cmd, "srv"), 0);
		ck_assert_int_eq(acl_allows("", cmd, NULL), 0);
	}
}
END_TEST

START_TEST(test_allows_basic)
{
	const char	*acl = "Get=*&Replace=srv1+srv2";

	ck_assert_int_eq(acl_allows(acl, ACL_GET, "srv1"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, "anyone"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, NULL), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "srv1"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "srv2"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "srv3"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "srv"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "srv12"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "SRV1"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, ""), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, NULL), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_ADD, "srv1"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_DELETE, "srv1"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_EXEC, "srv1"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_ADD, NULL), 0);
}
END_TEST

START_TEST(test_allows_oma_example)
{
	const char	*acl = OMA_EXAMPLE;
	const char	*son = "www.sonera.fi-8765";
	const char	*ibm = "321_ibm.com";

	ck_assert_int_eq(acl_valid(acl), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_ADD, son), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_ADD, ibm), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_DELETE, son), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_DELETE, ibm), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, son), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, ibm), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "www.sonera.fi"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "www.sonera.fi-87650"),
	    0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, "ibm.com"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_REPLACE, NULL), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, son), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, ibm), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, "other"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, NULL), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_EXEC, son), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_EXEC, NULL), 0);
}
END_TEST

START_TEST(test_allows_repeated)
{
	const char	*acl = "Get=a&Add=c&Get=b+d";

	ck_assert_int_eq(acl_allows(acl, ACL_GET, "a"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, "b"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, "d"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, "c"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_ADD, "c"), 1);
	ck_assert_int_eq(acl_allows(acl, ACL_ADD, "a"), 0);
	ck_assert_int_eq(acl_allows(acl, ACL_GET, NULL), 0);

	/* A "*" in a later entry of the same command still counts. */
	ck_assert_int_eq(acl_allows("Exec=a&Exec=*", ACL_EXEC, "z"), 1);
	ck_assert_int_eq(acl_allows("Exec=a&Exec=*", ACL_EXEC, NULL), 1);
	ck_assert_int_eq(acl_allows("Exec=a&Exec=*", ACL_GET, "a"), 0);
}
END_TEST

START_TEST(test_allows_wildcard_only_alone)
{
	/* "a*" is a literal name: it neither matches "abc" nor NULL. */
	ck_assert_int_eq(acl_allows("Get=a*", ACL_GET, "abc"), 0);
	ck_assert_int_eq(acl_allows("Get=a*", ACL_GET, "a*"), 1);
	ck_assert_int_eq(acl_allows("Get=a*", ACL_GET, NULL), 0);
	ck_assert_int_eq(acl_allows("Get=**", ACL_GET, "x"), 0);
	/* "*" among other ids still grants everyone. */
	ck_assert_int_eq(acl_allows("Replace=srv+*", ACL_REPLACE, "x"), 1);
	ck_assert_int_eq(acl_allows("Replace=*+srv", ACL_REPLACE, NULL), 1);
}
END_TEST

START_TEST(test_allows_each_command)
{
	static const char *const acls[ACL__MAX] = {
		"Add=s", "Delete=s", "Exec=s", "Get=s", "Replace=s"
	};
	int	a, c;

	for (a = 0; a < ACL__MAX; a++) {
		for (c = 0; c < ACL__MAX; c++) {
			ck_assert_int_eq(acl_allows(acls[a], c, "s"), a == c);
			ck_assert_int_eq(acl_allows(acls[a], c, "t"), 0);
		}
	}
}
END_TEST

START_TEST(test_allows_bad_cmd)
{
	ck_assert_int_eq(acl_allows("Get=*", ACL__MAX, "x"), 0);
	ck_assert_int_eq(acl_allows("Get=*", (enum acl_cmd)-1, "x"), 0);
	ck_assert_int_eq(acl_allows("Get=*", (enum acl_cmd)99, NULL), 0);
}
END_TEST

START_TEST(test_cmd_names)
{
	static const char *const names[ACL__MAX] = {
		"Add", "Delete", "Exec", "Get", "Replace"
	};
	int	c;

	for (c = 0; c < ACL__MAX; c++) {
		ck_assert_int_eq(acl_cmd_parse(names[c]), c);
		ck_assert_str_eq(acl_cmd_name(c), names[c]);
	}
	ck_assert_int_eq(acl_cmd_parse(NULL), -1);
	ck_assert_int_eq(acl_cmd_parse(""), -1);
	ck_assert_int_eq(acl_cmd_parse("get"), -1);
	ck_assert_int_eq(acl_cmd_parse("REPLACE"), -1);
	ck_assert_int_eq(acl_cmd_parse("Gets"), -1);
	ck_assert_int_eq(acl_cmd_parse("Ge"), -1);
	ck_assert_int_eq(acl_cmd_parse("Copy"), -1);
	ck_assert_ptr_null(acl_cmd_name(ACL__MAX));
	ck_assert_ptr_null(acl_cmd_name((enum acl_cmd)-1));
}
END_TEST

static Suite *
acl_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("acl");

	tc = tcase_create("grammar");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_valid, 0,
	    sizeof(valid_acls) / sizeof(valid_acls[0]));
	tcase_add_loop_test(tc, test_invalid, 0,
	    sizeof(invalid_acls) / sizeof(invalid_acls[0]));
	tcase_add_test(tc, test_null_acl);
	suite_add_tcase(s, tc);

	tc = tcase_create("allows");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_empty_grants_nothing);
	tcase_add_test(tc, test_allows_basic);
	tcase_add_test(tc, test_allows_oma_example);
	tcase_add_test(tc, test_allows_repeated);
	tcase_add_test(tc, test_allows_wildcard_only_alone);
	tcase_add_test(tc, test_allows_each_command);
	tcase_add_test(tc, test_allows_bad_cmd);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_cmd_names);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return testutil_run(acl_suite());
}
