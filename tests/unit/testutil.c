/*
 * testutil.c: fixtures and helpers shared by the Check unit tests; see
 * testutil.h.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

char	testutil_topdir[64];
char	testutil_tmpdir[128];

void
testutil_rm_rf(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char sub[4096];

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	d = opendir(path);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			testutil_rm_rf(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

void
testutil_setup_top(void)
{
	strcpy(testutil_topdir, "/tmp/luadm-check.XXXXXX");
	if (mkdtemp(testutil_topdir) == NULL) {
		perror("mkdtemp");
		exit(EXIT_FAILURE);
	}
}

void
testutil_teardown_top(void)
{
	testutil_rm_rf(testutil_topdir);
}

void
testutil_setup(void)
{
	snprintf(testutil_tmpdir, sizeof(testutil_tmpdir), "%s/t.XXXXXX",
	    testutil_topdir);
	ck_assert_ptr_nonnull(mkdtemp(testutil_tmpdir));
}

void
testutil_teardown(void)
{
	testutil_rm_rf(testutil_tmpdir);
}

void
testutil_fixtures(TCase *tc, void (*setup)(void))
{
	tcase_add_unchecked_fixture(tc, testutil_setup_top,
	    testutil_teardown_top);
	tcase_add_checked_fixture(tc, setup != NULL ? setup : testutil_setup,
	    testutil_teardown);
}

int
testutil_run(Suite *s)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

char *
testutil_slurp_opt(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long n;

	if (len != NULL)
		*len = 0;
	f = fopen(path, "rb");
	if (f == NULL && errno == ENOENT)
		return NULL;
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(fread(buf, 1, (size_t)n, f) == (size_t)n,
	    "cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

char *
testutil_slurp(const char *path, size_t *len)
{
	char *buf;

	buf = testutil_slurp_opt(path, len);
	ck_assert_msg(buf != NULL, "cannot read %s: no such file", path);
	return buf;
}

const char *
testutil_write(const char *name, const void *buf, size_t len)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	FILE *f;

	snprintf(p, sizeof(paths[0]), "%s/%s", testutil_tmpdir, name);
	f = fopen(p, "wb");
	ck_assert_msg(f != NULL, "cannot create %s", p);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

const char *
testutil_write_str(const char *name, const char *s)
{
	return testutil_write(name, s, strlen(s));
}

void
testutil_set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
	ck_assert_ptr_nonnull(*dst);
}

struct config *
testutil_config(const char *dir, ...)
{
	struct config *cfg;
	const char *csp;
	char p[256];
	va_list ap;
	size_t n = 0, i;

	cfg = config_defaults();
	ck_assert_ptr_nonnull(cfg);
	snprintf(p, sizeof(p), "%s/state", dir);
	testutil_set_str(&cfg->state_dir, p);
	va_start(ap, dir);
	while (va_arg(ap, const char *) != NULL)
		n++;
	va_end(ap);
	for (i = 0; i < cfg->ncsp_path; i++)
		free(cfg->csp_path[i]);
	free(cfg->csp_path);
	cfg->ncsp_path = 0;
	cfg->csp_path = calloc(n + 1, sizeof(char *));
	ck_assert_ptr_nonnull(cfg->csp_path);
	va_start(ap, dir);
	while ((csp = va_arg(ap, const char *)) != NULL) {
		cfg->csp_path[cfg->ncsp_path] = strdup(csp);
		ck_assert_ptr_nonnull(cfg->csp_path[cfg->ncsp_path]);
		cfg->ncsp_path++;
	}
	va_end(ap);
	return cfg;
}
