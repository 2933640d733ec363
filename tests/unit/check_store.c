/*
 * check_store.c: unit tests for core/store.c: atomic writes (content, mode,
 * no temporary files left), capped reads, mkdirs, the sorted byte-string map
 * and its checksummed file format, including hostile and truncated input.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store.h"
#include "testutil.h"

/* Each test's own scratch directory (testutil.h). */
static const char *const tmpdir = testutil_tmpdir;

/* tmpdir + "/" + name in a static buffer (one at a time). */
static const char *
tpath(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* Number of entries in dir other than "." and ".."; fails on "*.tmp*". */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_msg(strstr(de->d_name, ".tmp") == NULL,
		    "temporary file left behind: %s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void
write_plain(const char *path, const char *s, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void
sha256_hex(const char *buf, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	ck_assert_int_eq(EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL),
	    1);
	ck_assert_uint_eq(mdlen, 32);
	for (i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/*
 * Builds body + "END <count> <sha256(body)>\n" + trailer: a file with a
 * correct checksum, so that decode must catch the other defect in it.
 * Returns a malloc'd buffer of exactly *len bytes.
 */
static char *
make_file(const char *body, size_t blen, const char *count,
    const char *trailer, size_t *len)
{
	char hex[65], *out;
	size_t n;

	sha256_hex(body, blen, hex);
	n = blen + 4 + strlen(count) + 1 + 64 + 1 + strlen(trailer);
	out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, body, blen);
	snprintf(out + blen, n + 1 - blen, "END %s %s\n%s", count, hex,
	    trailer);
	*len = n;
	return out;
}

/* decode of exactly len bytes (in their own allocation, for ASan). */
static int
decode_copy(const char *buf, size_t len, struct store_map *m, char **err)
{
	char *copy;
	int rc;

	copy = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(copy);
	if (len > 0)
		memcpy(copy, buf, len);
	*err = NULL;
	rc = store_map_decode(copy, len, m, err);
	free(copy);
	return rc;
}

/* Asserts decode fails with a message containing want (if not NULL). */
static void
expect_bad(const char *buf, size_t len, const char *want)
{
	struct store_map m = { 0 };
	char *err = NULL;

	ck_assert_int_eq(store_map_set(&m, "old", 3, "x", 1), 0);
	ck_assert_int_eq(decode_copy(buf, len, &m, &err), -1);
	ck_assert_ptr_nonnull(err);
	if (want != NULL)
		ck_assert_msg(strstr(err, want) != NULL,
		    "error \"%s\" lacks \"%s\"", err, want);
	ck_assert_uint_eq(m.n, 0);	/* emptied, not half-read */
	free(err);
	store_map_free(&m);
}

static void
expect_bad_body(const char *body, size_t blen, const char *count,
    const char *want)
{
	char *buf;
	size_t len;

	buf = make_file(body, blen, count, "", &len);
	expect_bad(buf, len, want);
	free(buf);
}

static void
assert_maps_equal(const struct store_map *a, const struct store_map *b)
{
	size_t i;

	ck_assert_uint_eq(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		ck_assert_uint_eq(a->e[i].klen, b->e[i].klen);
		ck_assert_uint_eq(a->e[i].vlen, b->e[i].vlen);
		ck_assert(memcmp(a->e[i].key, b->e[i].key, a->e[i].klen) == 0);
		ck_assert(memcmp(a->e[i].val, b->e[i].val, a->e[i].vlen) == 0);
		ck_assert(a->e[i].key[a->e[i].klen] == '\0');
		ck_assert(a->e[i].val[a->e[i].vlen] == '\0');
	}
}

/* A small map whose keys and values use every awkward byte. */
static void
fill_awkward(struct store_map *m)
{
	static const char bin[] = { 0, 1, '\n', ':', ',', (char)0xff, 0 };

	ck_assert_int_eq(store_map_set(m, "plain", 5, "value", 5), 0);
	ck_assert_int_eq(store_map_set(m, bin, sizeof(bin), bin, sizeof(bin)),
	    0);
	ck_assert_int_eq(store_map_set(m, "", 0, "empty key", 9), 0);
	ck_assert_int_eq(store_map_set(m, "empty value", 11, "", 0), 0);
	ck_assert_int_eq(store_map_set(m, "END 0 x\n", 8, "3:a,1:b\n", 8), 0);
	ck_assert_int_eq(store_map_set(m, "a\0b", 3, "\n\n", 2), 0);
}

START_TEST(test_map_set_get_del)
{
	struct store_map m = { 0 };
	const struct store_entry *e;

	ck_assert_ptr_null(store_map_get(&m, "a", 1));
	ck_assert_int_eq(store_map_del(&m, "a", 1), 0);

	ck_assert_int_eq(store_map_set(&m, "b", 1, "2", 1), 0);
	ck_assert_int_eq(store_map_set(&m, "ab", 2, "3", 1), 0);
	ck_assert_int_eq(store_map_set(&m, "a\0", 2, "4", 1), 0);
	ck_assert_int_eq(store_map_set(&m, "a", 1, "1", 1), 0);
	ck_assert_uint_eq(m.n, 4);
	/* memcmp order, a prefix first: "a" < "a\0" < "ab" < "b" */
	ck_assert(m.e[0].klen == 1 && m.e[0].key[0] == 'a');
	ck_assert(m.e[1].klen == 2 && memcmp(m.e[1].key, "a\0", 2) == 0);
	ck_assert(m.e[2].klen == 2 && memcmp(m.e[2].key, "ab", 2) == 0);
	ck_assert(m.e[3].klen == 1 && m.e[3].key[0] == 'b');

	e = store_map_get(&m, "a\0", 2);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->val, "4");
	ck_assert_ptr_null(store_map_get(&m, "a\0\0", 3));
	ck_assert_ptr_null(store_map_get(&m, "", 0));

	/* set replaces, without adding an entry */
	ck_assert_int_eq(store_map_set(&m, "ab", 2, "longer value", 12), 0);
	ck_assert_uint_eq(m.n, 4);
	e = store_map_get(&m, "ab", 2);
	ck_assert_uint_eq(e->vlen, 12);
	ck_assert_str_eq(e->val, "longer value");
	ck_assert_int_eq(store_map_set(&m, "ab", 2, NULL, 0), 0);
	e = store_map_get(&m, "ab", 2);
	ck_assert_uint_eq(e->vlen, 0);
	ck_assert_str_eq(e->val, "");

	ck_assert_int_eq(store_map_del(&m, "a\0", 2), 1);
	ck_assert_int_eq(store_map_del(&m, "a\0", 2), 0);
	ck_assert_uint_eq(m.n, 3);
	ck_assert_ptr_null(store_map_get(&m, "a\0", 2));
	ck_assert_ptr_nonnull(store_map_get(&m, "a", 1));
	ck_assert_ptr_nonnull(store_map_get(&m, "b", 1));
	ck_assert_int_eq(store_map_del(&m, "b", 1), 1);
	ck_assert_int_eq(store_map_del(&m, "a", 1), 1);
	ck_assert_int_eq(store_map_del(&m, "ab", 2), 1);
	ck_assert_uint_eq(m.n, 0);

	store_map_free(&m);
	ck_assert_ptr_null(m.e);
	ck_assert_uint_eq(m.n, 0);
	store_map_free(&m);
	store_map_free(NULL);
}
END_TEST

START_TEST(test_map_roundtrip_binary)
{
	struct store_map m = { 0 }, d = { 0 };
	char *buf = NULL, *buf2 = NULL, *err = NULL;
	size_t len, len2;

	fill_awkward(&m);
	ck_assert_int_eq(store_map_encode(&m, &buf, &len), 0);
	ck_assert(len > 12 && memcmp(buf, "LUADM-MAP 1\n", 12) == 0);
	ck_assert_int_eq(decode_copy(buf, len, &d, &err), 0);
	ck_assert_ptr_null(err);
	assert_maps_equal(&m, &d);
	/* the encoding is canonical: re-encoding gives the same bytes */
	ck_assert_int_eq(store_map_encode(&d, &buf2, &len2), 0);
	ck_assert_uint_eq(len, len2);
	ck_assert(memcmp(buf, buf2, len) == 0);
	free(buf);
	free(buf2);
	store_map_free(&m);
	store_map_free(&d);
}
END_TEST

START_TEST(test_map_empty)
{
	struct store_map m = { 0 }, d = { 0 };
	char *buf, *err = NULL, want[128], hex[65];
	size_t len;

	ck_assert_int_eq(store_map_encode(&m, &buf, &len), 0);
	sha256_hex("LUADM-MAP 1\n", 12, hex);
	snprintf(want, sizeof(want), "LUADM-MAP 1\nEND 0 %s\n", hex);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(buf, want, len) == 0);
	ck_assert_int_eq(store_map_set(&d, "x", 1, "y", 1), 0);
	ck_assert_int_eq(decode_copy(buf, len, &d, &err), 0);
	ck_assert_uint_eq(d.n, 0);
	free(buf);
	store_map_free(&d);
}
END_TEST

START_TEST(test_map_format_exact)
{
	struct store_map m = { 0 };
	char *buf, *want;
	size_t len, wlen;
	const char body[] = "LUADM-MAP 1\n1:a,3:x,y\n2:b\n,0:\n";

	ck_assert_int_eq(store_map_set(&m, "b\n", 2, "", 0), 0);
	ck_assert_int_eq(store_map_set(&m, "a", 1, "x,y", 3), 0);
	ck_assert_int_eq(store_map_encode(&m, &buf, &len), 0);
	want = make_file(body, sizeof(body) - 1, "2", "", &wlen);
	ck_assert_uint_eq(len, wlen);
	ck_assert(memcmp(buf, want, len) == 0);
	free(buf);
	free(want);
	store_map_free(&m);
}
END_TEST

START_TEST(test_map_10000)
{
	struct store_map m = { 0 }, d = { 0 };
	const struct store_entry *e;
	char key[32], val[32], *buf, *err = NULL;
	size_t len, i, j;
	int n;

	for (i = 0; i < 10000; i++) {
		j = (i * 7919) % 10000;	/* a permutation: 7919 is prime */
		n = snprintf(key, sizeof(key), "key%zu", j);
		snprintf(val, sizeof(val), "val%zu", j * 3);
		ck_assert_int_eq(store_map_set(&m, key, (size_t)n, val,
		    strlen(val)), 0);
	}
	ck_assert_uint_eq(m.n, 10000);
	for (i = 1; i < m.n; i++) {
		size_t a = m.e[i - 1].klen, b = m.e[i].klen;
		int c = memcmp(m.e[i - 1].key, m.e[i].key, a < b ? a : b);

		ck_assert(c < 0 || (c == 0 && a < b));
	}
	for (j = 0; j < 10000; j++) {
		n = snprintf(key, sizeof(key), "key%zu", j);
		snprintf(val, sizeof(val), "val%zu", j * 3);
		e = store_map_get(&m, key, (size_t)n);
		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(e->val, val);
	}
	ck_assert_ptr_null(store_map_get(&m, "key10000", 8));
	ck_assert_ptr_null(store_map_get(&m, "key", 3));

	ck_assert_int_eq(store_map_encode(&m, &buf, &len), 0);
	ck_assert_int_eq(decode_copy(buf, len, &d, &err), 0);
	assert_maps_equal(&m, &d);
	free(buf);

	for (j = 0; j < 10000; j += 2) {
		n = snprintf(key, sizeof(key), "key%zu", j);
		ck_assert_int_eq(store_map_del(&d, key, (size_t)n), 1);
	}
	ck_assert_uint_eq(d.n, 5000);
	for (j = 0; j < 10000; j++) {
		n = snprintf(key, sizeof(key), "key%zu", j);
		e = store_map_get(&d, key, (size_t)n);
		ck_assert(j % 2 == 0 ? e == NULL : e != NULL);
	}
	store_map_free(&m);
	store_map_free(&d);
}
END_TEST

START_TEST(test_decode_truncated)
{
	struct store_map m = { 0 };
	char *buf;
	size_t len, i;

	fill_awkward(&m);
	ck_assert_int_eq(store_map_encode(&m, &buf, &len), 0);
	for (i = 0; i < len; i++)
		expect_bad(buf, i, NULL);
	free(buf);
	store_map_free(&m);
}
END_TEST

START_TEST(test_decode_flipped)
{
	static const unsigned char flips[] = { 0x01, 0x20, 0x80 };
	struct store_map m = { 0 };
	char *buf;
	size_t len, i, f;

	fill_awkward(&m);
	ck_assert_int_eq(store_map_encode(&m, &buf, &len), 0);
	for (i = 0; i < len; i++) {
		for (f = 0; f < sizeof(flips); f++) {
			buf[i] ^= (char)flips[f];
			expect_bad(buf, len, NULL);
			buf[i] ^= (char)flips[f];
		}
	}
	free(buf);
	store_map_free(&m);
}
END_TEST

#define BODY(s)	("LUADM-MAP 1\n" s), sizeof("LUADM-MAP 1\n" s) - 1

START_TEST(test_decode_hostile)
{
	struct store_map m = { 0 };
	char *buf, *err = NULL;
	size_t len, i;

	/* the helper makes valid files: the baseline decodes */
	buf = make_file(BODY("1:a,1:b\n"), "1", "", &len);
	ck_assert_int_eq(decode_copy(buf, len, &m, &err), 0);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_str_eq(store_map_get(&m, "a", 1)->val, "b");
	store_map_free(&m);

	/* trailing garbage after a valid END line */
	free(buf);
	buf = make_file(BODY("1:a,1:b\n"), "1", "x", &len);
	expect_bad(buf, len, "trailing");
	free(buf);
	buf = make_file(BODY("1:a,1:b\n"), "1", "\n", &len);
	expect_bad(buf, len, "trailing");
	free(buf);

	/* wrong checksum, upper-case checksum */
	buf = make_file(BODY("1:a,1:b\n"), "1", "", &len);
	buf[len - 2] = buf[len - 2] == '0' ? '1' : '0';
	expect_bad(buf, len, "checksum");
	free(buf);
	buf = make_file(BODY("1:a,1:c\n"), "1", "", &len);
	memcpy(buf + 12, "1:a,1:b\n", 8);	/* content changed after */
	expect_bad(buf, len, "checksum");
	free(buf);
	buf = make_file(BODY("1:a,1:b\n"), "1", "", &len);
	for (i = len - 65; i < len - 1; i++)
		if (buf[i] >= 'a' && buf[i] <= 'f')
			buf[i] = (char)(buf[i] - 'a' + 'A');
	expect_bad(buf, len, NULL);
	free(buf);

	/* wrong count, count not canonical */
	expect_bad_body(BODY("1:a,1:b\n"), "2", "count");
	expect_bad_body(BODY("1:a,1:b\n"), "0", "count");
	expect_bad_body(BODY(""), "1", "count");
	expect_bad_body(BODY("1:a,1:b\n"), "+1", NULL);
	expect_bad_body(BODY("1:a,1:b\n"), "01", NULL);
	expect_bad_body(BODY("1:a,1:b\n"), "-1", NULL);
	expect_bad_body(BODY("1:a,1:b\n"), "", NULL);
	expect_bad_body(BODY("1:a,1:b\n"), "99999999999999999999999999", NULL);

	/* bad lengths: signs, leading zeros, overflow, beyond the end */
	expect_bad_body(BODY("+1:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("-1:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("1:a,+1:b\n"), "1", NULL);
	expect_bad_body(BODY("1:a,-1:b\n"), "1", NULL);
	expect_bad_body(BODY("01:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("1:a,01:b\n"), "1", NULL);
	expect_bad_body(BODY(" 1:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("1 :a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("18446744073709551615:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("18446744073709551616:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("99999999999999999999999999999:a,1:b\n"), "1",
	    NULL);
	expect_bad_body(BODY("1:a,18446744073709551615:b\n"), "1", NULL);
	expect_bad_body(BODY("100:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("1:a,100:b\n"), "1", NULL);
	expect_bad_body(BODY("2:a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("1:a,2:b\n"), "1", NULL);
	expect_bad_body(BODY(":a,1:b\n"), "1", NULL);

	/* missing separators */
	expect_bad_body(BODY("1:a1:b\n"), "1", NULL);
	expect_bad_body(BODY("1a,1:b\n"), "1", NULL);
	expect_bad_body(BODY("1:a,1:b"), "1", NULL);
	expect_bad_body(BODY("1:a,1:b\r\n"), "1", NULL);
	expect_bad_body(BODY("1:a\n"), "1", NULL);

	/* unsorted and duplicate keys, even with a valid checksum */
	expect_bad_body(BODY("1:b,0:\n1:a,0:\n"), "2", "sorted");
	expect_bad_body(BODY("1:a,0:\n1:a,0:\n"), "2", "sorted");
	expect_bad_body(BODY("2:ab,0:\n1:a,0:\n"), "2", "sorted");

	/* wrong magic, missing END line, junk instead of END */
	buf = make_file("LUADM-MAP 2\n", 12, "0", "", &len);
	expect_bad(buf, len, "magic");
	free(buf);
	buf = make_file("LUADM-MAP 1", 11, "0", "", &len);
	expect_bad(buf, len, "magic");
	free(buf);
	expect_bad("", 0, "magic");
	expect_bad(BODY("1:a,1:b\n"), "END");
	expect_bad(BODY(""), "END");
	expect_bad_body(BODY("1:a,1:b\nXYZ\n"), "1", NULL);
	expect_bad_body(BODY("1:a,1:b\nend "), "1", NULL);
	/* short, long and non-hex checksum fields */
	expect_bad(BODY("END 0 abc\n"), "END");
	expect_bad(BODY("END 0 "
	    "00000000000000000000000000000000000000000000000000000000000000000"
	    "\n"), NULL);
	expect_bad(BODY("END 0 "
	    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
	    "\n"), "checksum");
}
END_TEST

START_TEST(test_write_atomic)
{
	const char *p = tpath("file");
	struct stat st;
	char *buf = NULL, *err = NULL, *big;
	size_t len, i;

	umask(0);
	ck_assert_int_eq(store_write_atomic(p, "hello", 5, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(store_read(p, 1024, &buf, &len, &err), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(buf, "hello");
	free(buf);

	/* replaces a longer world-readable file: new content, new mode */
	write_plain(p, "a much longer old content", 0644);
	ck_assert_int_eq(store_write_atomic(p, "new", 3, &err), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(store_read(p, 1024, &buf, &len, &err), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq(buf, "new");
	free(buf);

	/* empty content */
	ck_assert_int_eq(store_write_atomic(p, "", 0, &err), 0);
	ck_assert_int_eq(store_read(p, 1024, &buf, &len, &err), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(buf, "");
	free(buf);

	/* 3 MiB of binary data */
	big = malloc(3 << 20);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < (3 << 20); i++)
		big[i] = (char)(i * 131 + (i >> 9));
	ck_assert_int_eq(store_write_atomic(p, big, 3 << 20, &err), 0);
	ck_assert_int_eq(store_read(p, 3 << 20, &buf, &len, &err), 0);
	ck_assert_uint_eq(len, 3 << 20);
	ck_assert(memcmp(buf, big, len) == 0);
	free(buf);
	free(big);

	ck_assert_int_eq(count_entries(tmpdir), 1);
}
END_TEST

START_TEST(test_write_atomic_fails)
{
	const char *p = tpath("missing/dir/file");
	const char *sub = tpath("sub");
	struct stat st;
	char *err = NULL;

	/* a missing directory */
	ck_assert_int_eq(store_write_atomic(p, "x", 1, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, p) != NULL, "no path in \"%s\"", err);
	free(err);
	err = NULL;
	ck_assert_int_eq(count_entries(tmpdir), 0);

	/* rename fails (target is a non-empty directory): temp removed */
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	write_plain(tpath("sub/keep"), "keep", 0600);
	ck_assert_int_eq(store_write_atomic(sub, "x", 1, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, sub) != NULL, "no path in \"%s\"", err);
	free(err);
	ck_assert_int_eq(count_entries(tmpdir), 1);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(count_entries(sub), 1);

	/* err may be NULL */
	ck_assert_int_eq(store_write_atomic(p, "x", 1, NULL), -1);
}
END_TEST

START_TEST(test_read)
{
	const char *p = tpath("data");
	char *buf = (char *)"junk", *err = NULL;
	size_t len = 7;
	char hundred[101];

	/* missing file */
	ck_assert_int_eq(store_read(tpath("nope"), 10, &buf, &len, &err), 1);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(err);

	memset(hundred, 'z', 100);
	hundred[100] = '\0';
	write_plain(p, hundred, 0600);
	ck_assert_int_eq(store_read(p, 99, &buf, &len, &err), -1);
	ck_assert_ptr_null(buf);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, p) != NULL && strstr(err, "too big"),
	    "bad message \"%s\"", err);
	free(err);
	err = NULL;

	ck_assert_int_eq(store_read(p, 100, &buf, &len, &err), 0);
	ck_assert_uint_eq(len, 100);
	ck_assert_str_eq(buf, hundred);
	free(buf);

	/* empty file, cap 0 */
	write_plain(p, "", 0600);
	ck_assert_int_eq(store_read(p, 0, &buf, &len, &err), 0);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(buf, "");
	free(buf);

	/* a directory is an error, not a missing file */
	ck_assert_int_eq(store_read(tmpdir, 100, &buf, &len, &err), -1);
	ck_assert_ptr_nonnull(err);
	free(err);
}
END_TEST

START_TEST(test_read_proc_cap)
{
	char *buf = NULL, *err = NULL;
	size_t len;

	/* st_size 0 but content: the cap still holds while reading */
	if (access("/proc/self/status", R_OK) != 0)
		return;
	ck_assert_int_eq(store_read("/proc/self/status", 10, &buf, &len,
	    &err), -1);
	ck_assert_ptr_null(buf);
	ck_assert_ptr_nonnull(err);
	free(err);
	ck_assert_int_eq(store_read("/proc/self/status", 1 << 20, &buf, &len,
	    &err), 0);
	ck_assert(len > 10);
	ck_assert_uint_eq(strlen(buf), len);
	free(buf);
}
END_TEST

START_TEST(test_mkdirs)
{
	const char *d = tpath("a/b//c/");
	struct stat st;
	char *err = NULL;

	umask(022);
	ck_assert_int_eq(store_mkdirs(d, &err), 0);
	ck_assert_int_eq(stat(tpath("a/b/c"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(tpath("a"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(store_mkdirs(d, &err), 0);
	ck_assert_int_eq(store_mkdirs(tmpdir, &err), 0);
	ck_assert_int_eq(store_mkdirs("/", &err), 0);

	/* a file in the way */
	write_plain(tpath("f"), "x", 0600);
	ck_assert_int_eq(store_mkdirs(tpath("f"), &err), -1);
	ck_assert_ptr_nonnull(err);
	free(err);
	err = NULL;
	ck_assert_int_eq(store_mkdirs(tpath("f/g"), &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, tpath("f")) != NULL, "bad message \"%s\"",
	    err);
	free(err);
	err = NULL;
	ck_assert_int_eq(store_mkdirs("", &err), -1);
	free(err);
}
END_TEST

START_TEST(test_map_load_save)
{
	const char *p = tpath("nodes.map");
	struct store_map m = { 0 }, l = { 0 };
	struct stat st;
	char *err = NULL, *buf;
	size_t len;

	/* missing file: empty map (and the old content is dropped) */
	ck_assert_int_eq(store_map_set(&l, "stale", 5, "x", 1), 0);
	ck_assert_int_eq(store_map_load(p, &l, &err), 0);
	ck_assert_uint_eq(l.n, 0);

	fill_awkward(&m);
	ck_assert_int_eq(store_map_save(p, &m, &err), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(store_map_load(p, &l, &err), 0);
	assert_maps_equal(&m, &l);
	store_map_free(&l);

	/* save replaces */
	ck_assert_int_eq(store_map_del(&m, "plain", 5), 1);
	ck_assert_int_eq(store_map_save(p, &m, &err), 0);
	ck_assert_int_eq(store_map_load(p, &l, &err), 0);
	assert_maps_equal(&m, &l);
	ck_assert_ptr_null(store_map_get(&l, "plain", 5));
	store_map_free(&l);
	ck_assert_int_eq(count_entries(tmpdir), 1);

	/* corrupt file: -1 naming the file, map left empty */
	ck_assert_int_eq(store_read(p, 1 << 20, &buf, &len, &err), 0);
	buf[len / 2] ^= 0x04;
	ck_assert_int_eq(store_write_atomic(p, buf, len, &err), 0);
	free(buf);
	ck_assert_int_eq(store_map_set(&l, "stale", 5, "x", 1), 0);
	ck_assert_int_eq(store_map_load(p, &l, &err), -1);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, p) != NULL && strstr(err, "corrupt"),
	    "bad message \"%s\"", err);
	free(err);
	err = NULL;

	/* save into a missing directory */
	ck_assert_int_eq(store_map_save(tpath("no/such.map"), &m, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, tpath("no/such.map")) != NULL,
	    "bad message \"%s\"", err);
	free(err);
	store_map_free(&m);
	store_map_free(&l);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("store");
	tc = tcase_create("map");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_map_set_get_del);
	tcase_add_test(tc, test_map_roundtrip_binary);
	tcase_add_test(tc, test_map_empty);
	tcase_add_test(tc, test_map_format_exact);
	tcase_add_test(tc, test_map_10000);
	tcase_add_test(tc, test_decode_truncated);
	tcase_add_test(tc, test_decode_flipped);
	tcase_add_test(tc, test_decode_hostile);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_set_timeout(tc, 60);
	testutil_fixtures(tc, NULL);
	tcase_add_test(tc, test_write_atomic);
	tcase_add_test(tc, test_write_atomic_fails);
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_read_proc_cap);
	tcase_add_test(tc, test_mkdirs);
	tcase_add_test(tc, test_map_load_save);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(store_suite());
}
