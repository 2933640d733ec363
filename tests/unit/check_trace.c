/*
 * check_trace: --trace redacts credentials, nonces and secret node values,
 * and leaves everything else byte for byte.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "testutil.h"

static char *
redact(const char *in)
{
	size_t n;
	char *r = trace_redact(in, strlen(in), &n);

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(strlen(r), n);
	return r;
}

START_TEST(test_cred_data)
{
	char *r = redact("<SyncHdr><Cred><Meta><Type xmlns=\"syncml:metinf\">"
	    "syncml:auth-md5</Type></Meta><Data>Zz6EivR3yeaaENcRN6lpAQ==</Data>"
	    "</Cred></SyncHdr><SyncBody><Item><Data>visible</Data></Item>"
	    "</SyncBody>");

	ck_assert_ptr_null(strstr(r, "Zz6EivR3"));
	ck_assert_ptr_nonnull(strstr(r, "<Cred><Meta><Type xmlns=\"syncml:"
	    "metinf\">syncml:auth-md5</Type></Meta><Data>***</Data></Cred>"));
	ck_assert_ptr_nonnull(strstr(r, "<Data>visible</Data>"));
	free(r);
}
END_TEST

START_TEST(test_next_nonce)
{
	char *r = redact("<Chal><Meta><NextNonce xmlns=\"syncml:metinf\">"
	    "ZG9iZWhhdmUNCg==</NextNonce></Meta></Chal>");

	ck_assert_str_eq(r, "<Chal><Meta><NextNonce xmlns=\"syncml:metinf\">"
	    "***</NextNonce></Meta></Chal>");
	free(r);
}
END_TEST

START_TEST(test_secret_items)
{
	char *r = redact("<Replace><CmdID>2</CmdID><Item><Target><LocURI>"
	    "./SyncML/DMAcc/x/AppAuth/CLCRED/AAuthSecret</LocURI></Target>"
	    "<Data>hunter2</Data></Item><Item><Target><LocURI>./SyncML/DMAcc/"
	    "x/AppAuth/CLCRED/AAuthName</LocURI></Target><Data>alice</Data>"
	    "</Item></Replace>");

	ck_assert_ptr_null(strstr(r, "hunter2"));
	ck_assert_ptr_nonnull(strstr(r, "<Data>alice</Data>"));
	free(r);
}
END_TEST

START_TEST(test_untouched)
{
	static const char msg[] = "<SyncML><SyncBody><Status><CmdID>1</CmdID>"
	    "<Data>200</Data></Status><Final/></SyncBody></SyncML>";
	char *r = redact(msg);

	ck_assert_str_eq(r, msg);
	free(r);
}
END_TEST

START_TEST(test_truncated)
{
	/* an unterminated Cred must not leak nor crash */
	char *r = redact("<Cred><Data>secret-without-end");

	ck_assert_ptr_null(strstr(r, "secret-without-end"));
	free(r);
}
END_TEST

static Suite *
trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("redact");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_cred_data);
	tcase_add_test(tc, test_next_nonce);
	tcase_add_test(tc, test_secret_items);
	tcase_add_test(tc, test_untouched);
	tcase_add_test(tc, test_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(trace_suite());
}
