/*
 * testutil: fixtures and helpers shared by the Check unit tests
 * (tests/unit/check_*.c); linked into each of them.
 *
 * It provides:
 * - scratch directories: testutil_setup_top()/testutil_teardown_top(), an
 *   unchecked fixture (run once per TCase in the parent, so the directory
 *   goes even when a test fails in its forked child), make and remove
 *   testutil_topdir; testutil_setup()/testutil_teardown(), a checked
 *   fixture, make and remove each test's own testutil_tmpdir inside it;
 *   testutil_fixtures() adds both to a TCase;
 * - files: testutil_rm_rf(), testutil_slurp() and testutil_write();
 * - a configuration for tests: testutil_config() and testutil_set_str();
 * - testutil_run(): what a check program's main() does with its Suite.
 * Every helper fails the running test (ck_assert) when something it needs
 * goes wrong, so callers do not check what they return. It uses Check and
 * config.h.
 */
#ifndef LUADM_TESTUTIL_H
#define LUADM_TESTUTIL_H

#include <stddef.h>

#include <check.h>

struct config;

/* /tmp/luadm-check.XXXXXX, made by testutil_setup_top(). */
extern char testutil_topdir[64];
/* testutil_topdir/t.XXXXXX, this test's directory (testutil_setup()). */
extern char testutil_tmpdir[128];

/* Unchecked fixture: makes testutil_topdir; exits if it cannot. */
void	testutil_setup_top(void);
/* Unchecked fixture: removes testutil_topdir and all below it. */
void	testutil_teardown_top(void);
/* Checked fixture: makes testutil_tmpdir (empty) in testutil_topdir. */
void	testutil_setup(void);
/* Checked fixture: removes testutil_tmpdir and all below it. */
void	testutil_teardown(void);

/*
 * Adds both fixtures to tc: testutil_setup_top/_teardown_top unchecked,
 * then setup (NULL: testutil_setup; else it calls testutil_setup()
 * itself) and testutil_teardown checked.
 */
void	testutil_fixtures(TCase *tc, void (*setup)(void));

/*
 * Runs every test of s (srunner_create() takes it) and returns
 * EXIT_SUCCESS when all passed, EXIT_FAILURE otherwise: a check program's
 * main() returns it.
 */
int	testutil_run(Suite *s);

/* Removes path and everything below it; symbolic links are not followed. */
void	testutil_rm_rf(const char *path);

/*
 * The whole file at path, malloc'd and NUL-terminated (free it); *len
 * (len may be NULL) gets its length without the NUL. The file must exist.
 */
char	*testutil_slurp(const char *path, size_t *len);

/* Like testutil_slurp(), but NULL with *len = 0 when path does not exist. */
char	*testutil_slurp_opt(const char *path, size_t *len);

/*
 * Writes len bytes of buf to testutil_tmpdir/name (name may hold
 * directories, which must exist). Returns the path, in one of four
 * static buffers used in turn.
 */
const char *testutil_write(const char *name, const void *buf, size_t len);

/* testutil_write() of the string s, without its NUL. */
const char *testutil_write_str(const char *name, const char *s);

/* Replaces *dst (malloc'd, may be NULL) with a malloc'd copy of s. */
void	testutil_set_str(char **dst, const char *s);

/*
 * config_defaults() with state_dir = dir/state and csp_path = the
 * directories given after dir, in order, up to a NULL. Free it with
 * config_free().
 */
struct config *testutil_config(const char *dir, ...)
	    __attribute__((sentinel));

#endif
