/*
 * check_alertq.c: unit tests for core/alertq.c, the durable queue of
 * generic alerts (1226): add/list/remove with every field, ids never
 * reused across "restarts" (every call reads the file afresh) nor after
 * the queue empties, validation of each field with its message, a queue
 * full, corrupt files (bad checksum, well-formed but inconsistent) reported
 * and left untouched, two processes adding at once (the lock), the
 * MDM-GenericAlert header value, alertq_emit's Alerts compared with the
 * Windows capture recorded/15 (parsed back with syncml_parse), its size
 * limit, and alertq_settle's delivery rules against server Status sets.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alertq.h"
#include "store.h"
#include "syncml.h"
#include "testutil.h"
#include "util.h"

#define ACC "0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228" \
	"ACF2392EA1327077"
#define ACC2 "0x0000800c7C442B5BAA5E3A62BD058BA4730A268774D9D915F7A7E4" \
	"7F09CC8BB9540A2486"
#define UNENROLL "com.microsoft:mdm.unenrollment.userrequest"
#define REC15 "recorded/15-win11-26200-unenroll-1226-mark-critical.xml"

/* Each test's own directory (testutil.h), and its queue of ACC. */
static const char *const tmpdir = testutil_tmpdir;
static char mapfile[512];

static void
setup(void)
{
	testutil_setup();
	snprintf(mapfile, sizeof(mapfile), "%s/alerts/%s.map", tmpdir, ACC);
}

/* Queues an alert; returns its id (malloc'd). */
static char *
add(const char *acc, const char *type, const char *format, const char *mark,
    const char *data)
{
	struct alertq_alert a;
	char *id = NULL, *err = NULL;

	memset(&a, 0, sizeof(a));
	a.type = (char *)type;
	a.format = (char *)format;
	a.mark = (char *)mark;
	a.data = (char *)data;
	ck_assert_msg(alertq_add(tmpdir, acc, &a, &id, &err) == 0, "add: %s",
	    err != NULL ? err : "?");
	ck_assert_ptr_nonnull(id);
	return id;
}

/* Adding a must fail with a message holding want; the queue is untouched. */
static void
refused(const struct alertq_alert *a, const char *want)
{
	char *err = NULL, *id = (char *)"x", *before, *after;
	size_t l1 = 0, l2 = 0;

	before = testutil_slurp_opt(mapfile, &l1);
	ck_assert_int_eq(alertq_check(a, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, want) != NULL, "check: '%s' lacks '%s'", err,
	    want);
	free(err);
	err = NULL;
	ck_assert_int_eq(alertq_add(tmpdir, ACC, a, &id, &err), -1);
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, want) != NULL, "add: '%s' lacks '%s'", err,
	    want);
	free(err);
	after = testutil_slurp_opt(mapfile, &l2);
	ck_assert_uint_eq(l1, l2);
	if (before != NULL)
		ck_assert_int_eq(memcmp(before, after, l1), 0);
	else
		ck_assert_ptr_null(after);
	free(before);
	free(after);
}

static size_t
count(const char *acc)
{
	struct alertq_alert *v;
	char *err = NULL;
	size_t n;

	ck_assert_msg(alertq_list(tmpdir, acc, &v, &n, &err) == 0, "list: %s",
	    err != NULL ? err : "?");
	alertq_free(v, n);
	return n;
}

START_TEST(test_add_list_remove)
{
	struct alertq_alert a, *v = NULL;
	char *id1, *id2, *id3, *err = NULL, *ids[3];
	size_t n, removed;
	time_t t0 = time(NULL);

	/* no file: an empty queue, and no file is made by a read */
	ck_assert_int_eq(alertq_list(tmpdir, ACC, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(access(mapfile, F_OK), -1);

	memset(&a, 0, sizeof(a));
	a.type = (char *)"com.example.csp/Done";
	a.format = (char *)"xml";
	a.mark = (char *)"warning";
	a.source = (char *)"./Vendor/MSFT/Example/Job1";
	a.data = (char *)"<r a=\"1\">x &amp; y\n</r>";
	a.correlator = (char *)"job-42";
	ck_assert_int_eq(alertq_add(tmpdir, ACC, &a, &id1, &err), 0);
	ck_assert_str_eq(id1, "1");
	id2 = add(ACC, UNENROLL, "int", "critical", "1");
	ck_assert_str_eq(id2, "2");
	id3 = add(ACC, "com.example/NoData", NULL, NULL, NULL);
	ck_assert_str_eq(id3, "3");
	/* another account has its own queue and ids */
	free(add(ACC2, "com.example/Other", NULL, NULL, ""));
	ck_assert_uint_eq(count(ACC2), 1);

	ck_assert_int_eq(alertq_list(tmpdir, ACC, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0].id, "1");
	ck_assert_str_eq(v[0].type, "com.example.csp/Done");
	ck_assert_str_eq(v[0].format, "xml");
	ck_assert_str_eq(v[0].mark, "warning");
	ck_assert_str_eq(v[0].source, "./Vendor/MSFT/Example/Job1");
	ck_assert_str_eq(v[0].data, "<r a=\"1\">x &amp; y\n</r>");
	ck_assert_str_eq(v[0].correlator, "job-42");
	ck_assert(v[0].created >= (long long)t0 &&
	    v[0].created <= (long long)time(NULL));
	ck_assert_str_eq(v[1].id, "2");
	ck_assert_str_eq(v[1].type, UNENROLL);
	ck_assert_str_eq(v[1].format, "int");
	ck_assert_str_eq(v[1].mark, "critical");
	ck_assert_str_eq(v[1].data, "1");
	ck_assert_ptr_null(v[1].source);
	ck_assert_ptr_null(v[1].correlator);
	ck_assert_str_eq(v[2].format, "chr");	/* the default */
	ck_assert_ptr_null(v[2].mark);
	ck_assert_ptr_null(v[2].data);
	alertq_free(v, n);

	/* the file is mode 0600 */
	{
		struct stat st;

		ck_assert_int_eq(stat(mapfile, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0600);
	}

	/* remove 2 and an id that is not there: 1 removed */
	ids[0] = id2;
	ids[1] = (char *)"77";
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids, 2, &removed, &err),
	    0);
	ck_assert_uint_eq(removed, 1);
	ck_assert_int_eq(alertq_list(tmpdir, ACC, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].id, "1");
	ck_assert_str_eq(v[1].id, "3");
	alertq_free(v, n);
	/* removing again is harmless */
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids, 1, &removed, &err),
	    0);
	ck_assert_uint_eq(removed, 0);
	/* malformed ids are refused, nothing removed */
	ids[0] = id1;
	ids[1] = (char *)"03";
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids, 2, &removed, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "'03' is not an alert id"));
	free(err);
	err = NULL;
	ids[1] = (char *)"0";
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids, 2, NULL, &err), -1);
	free(err);
	err = NULL;
	ids[1] = (char *)"1x";
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids, 2, NULL, &err), -1);
	free(err);
	err = NULL;
	ck_assert_uint_eq(count(ACC), 2);
	/* both at once */
	ids[0] = id3;
	ids[1] = id1;
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids, 2, &removed, &err),
	    0);
	ck_assert_uint_eq(removed, 2);
	ck_assert_uint_eq(count(ACC), 0);
	ck_assert_uint_eq(count(ACC2), 1);

	/* purge removes the queue; a missing one is fine */
	ck_assert_int_eq(alertq_purge(tmpdir, ACC2, &err), 0);
	ck_assert_uint_eq(count(ACC2), 0);
	ck_assert_int_eq(alertq_purge(tmpdir, ACC2, &err), 0);
	free(id1);
	free(id2);
	free(id3);
}
END_TEST

START_TEST(test_ids_unique)
{
	char *ids[4], *err = NULL, *id;
	size_t removed, i;

	for (i = 0; i < 4; i++)
		ids[i] = add(ACC, "com.example/A", NULL, NULL, "x");
	ck_assert_str_eq(ids[3], "4");
	/* delete the newest and all: the next id is still 5, never reused */
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids + 3, 1, &removed,
	    &err), 0);
	id = add(ACC, "com.example/A", NULL, NULL, NULL);
	ck_assert_str_eq(id, "5");
	free(id);
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, ids, 3, &removed, &err),
	    0);
	ck_assert_uint_eq(removed, 3);
	{
		char *five = (char *)"5";

		ck_assert_int_eq(alertq_remove(tmpdir, ACC, &five, 1, &removed,
		    &err), 0);
	}
	ck_assert_uint_eq(count(ACC), 0);
	/* the empty queue's file remembers NextID */
	ck_assert_int_eq(access(mapfile, F_OK), 0);
	id = add(ACC, "com.example/A", NULL, NULL, NULL);
	ck_assert_str_eq(id, "6");
	free(id);
	for (i = 0; i < 4; i++)
		free(ids[i]);
	/* ids sort as numbers, not strings: 9 before 10 */
	for (i = 0; i < 5; i++)
		free(add(ACC, "com.example/B", NULL, NULL, NULL));
	{
		struct alertq_alert *v;
		size_t n;

		ck_assert_int_eq(alertq_list(tmpdir, ACC, &v, &n, &err), 0);
		ck_assert_uint_eq(n, 6);
		ck_assert_str_eq(v[3].id, "9");
		ck_assert_str_eq(v[4].id, "10");
		ck_assert_str_eq(v[5].id, "11");
		alertq_free(v, n);
	}
}
END_TEST

START_TEST(test_validation)
{
	struct alertq_alert a;
	char big[ALERTQ_MAX_DATA + 2], type[ALERTQ_MAX_TYPE + 2], *err = NULL;

	/* something queued first, so that "untouched" compares a file */
	free(add(ACC, "com.example/Keep", NULL, NULL, NULL));

	memset(&a, 0, sizeof(a));
	refused(&a, "type (Meta Type) is required");
	a.type = (char *)"";
	refused(&a, "type (Meta Type) is required");
	a.type = (char *)"has space";
	refused(&a, "holds a space");
	a.type = (char *)"a<b>";
	refused(&a, "holds '<'");
	a.type = (char *)"tab\there";
	refused(&a, "byte 0x09");
	a.type = (char *)"caf\xc3\xa9";
	refused(&a, "byte 0xc3");
	memset(type, 'a', sizeof(type));
	type[ALERTQ_MAX_TYPE + 1] = '\0';
	a.type = type;
	refused(&a, "at most 255");
	type[ALERTQ_MAX_TYPE] = '\0';	/* 255 bytes: fine */
	ck_assert_int_eq(alertq_check(&a, NULL), 0);

	a.type = (char *)"Reversed-Domain-Name:com.microsoft.mdm.win32csp_"
	    "install";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);

	a.format = (char *)"bin";
	refused(&a, "use b64");
	a.format = (char *)"text";
	refused(&a, "unknown format 'text'");
	a.format = (char *)"CHR";
	refused(&a, "unknown format");
	a.format = NULL;
	a.mark = (char *)"urgent";
	refused(&a, "unknown mark 'urgent' (fatal, critical");
	a.mark = (char *)"Critical";
	refused(&a, "unknown mark");
	a.mark = (char *)"indeterminate";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);

	/* data and format */
	a.format = (char *)"int";
	a.data = (char *)"1.5";
	refused(&a, "not an integer");
	a.data = (char *)"";
	refused(&a, "not an integer");
	a.data = (char *)"-12";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);
	a.format = (char *)"bool";
	a.data = (char *)"yes";
	refused(&a, "not true or false");
	a.data = (char *)"false";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);
	a.format = (char *)"b64";
	a.data = (char *)"a=b=";
	refused(&a, "not base64");
	a.data = (char *)"aGVsbG8=";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);
	a.format = (char *)"float";
	a.data = (char *)"1.5x";
	refused(&a, "not a decimal number");
	a.data = (char *)"1e999999";
	refused(&a, "not a decimal number");
	a.data = (char *)"-1.5e3";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);
	a.format = (char *)"null";
	a.data = (char *)"x";
	refused(&a, "format null takes no data");
	a.data = NULL;
	ck_assert_int_eq(alertq_check(&a, NULL), 0);
	a.format = NULL;
	a.data = (char *)"bell\a";
	refused(&a, "send it as format b64");
	a.data = (char *)"bad \xff utf-8";
	refused(&a, "send it as format b64");
	memset(big, 'x', sizeof(big));
	big[ALERTQ_MAX_DATA + 1] = '\0';
	a.data = big;
	refused(&a, "at most 65536");
	big[ALERTQ_MAX_DATA] = '\0';	/* 64 KiB exactly: fine */
	ck_assert_int_eq(alertq_check(&a, NULL), 0);
	a.data = NULL;

	a.source = (char *)"/abs/path";
	refused(&a, "invalid source URI '/abs/path'");
	a.source = (char *)"./A//B";
	refused(&a, "invalid source URI");
	a.source = (char *)"./Vendor/MSFT/X";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);

	a.correlator = (char *)"";
	refused(&a, "correlator must have 1 to 255");
	a.correlator = (char *)"a\nb";
	refused(&a, "without control characters");
	a.correlator = (char *)" lead";
	refused(&a, "surrounding spaces");
	a.correlator = (char *)"abc-123";
	ck_assert_int_eq(alertq_check(&a, NULL), 0);

	/* a bad account id never names a file */
	ck_assert_int_eq(alertq_add(tmpdir, "../../etc/x", &a, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "is not an AccountID"));
	free(err);
	err = NULL;
	ck_assert_int_eq(alertq_add(tmpdir, "0x0000800cabf8ca7d87c0fa21bb21b"
	    "896ae2c8468ca07710326415228acf2392ea1327077", &a, NULL, &err), -1);
	free(err);
	ck_assert_uint_eq(count(ACC), 1);
}
END_TEST

START_TEST(test_full)
{
	char *err = NULL;
	struct alertq_alert a;
	size_t i;

	for (i = 0; i < ALERTQ_MAX_PENDING; i++)
		free(add(ACC, "com.example/Many", NULL, NULL, NULL));
	memset(&a, 0, sizeof(a));
	a.type = (char *)"com.example/OneMore";
	ck_assert_int_eq(alertq_add(tmpdir, ACC, &a, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "is full (256 alerts pending)"));
	free(err);
	ck_assert_uint_eq(count(ACC), ALERTQ_MAX_PENDING);
}
END_TEST

/* Writes m as the queue file (a valid checksum, whatever it holds). */
static void
save_map(struct store_map *m)
{
	char *err = NULL, dir[256];

	snprintf(dir, sizeof(dir), "%s/alerts", tmpdir);
	ck_assert_int_eq(store_mkdirs(dir, &err), 0);
	ck_assert_int_eq(store_map_save(mapfile, m, &err), 0);
	store_map_free(m);
}

static void
set(struct store_map *m, const char *k, const char *v)
{
	ck_assert_int_eq(store_map_set(m, k, strlen(k), v, strlen(v)), 0);
}

/* Every operation reports the file as corrupt and leaves it as it is. */
static void
all_refuse(const char *want)
{
	struct alertq_alert a, *v = (struct alertq_alert *)1;
	char *err = NULL, *before, *after, *one = (char *)"1";
	size_t l1, l2, n = 9;

	before = testutil_slurp_opt(mapfile, &l1);
	ck_assert_ptr_nonnull(before);
	ck_assert_int_eq(alertq_list(tmpdir, ACC, &v, &n, &err), -1);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err, want) != NULL && strstr(err, mapfile) !=
	    NULL, "list: '%s' lacks '%s' or the path", err, want);
	free(err);
	err = NULL;
	memset(&a, 0, sizeof(a));
	a.type = (char *)"com.example/New";
	ck_assert_int_eq(alertq_add(tmpdir, ACC, &a, NULL, &err), -1);
	ck_assert_msg(strstr(err, want) != NULL, "add: '%s'", err);
	free(err);
	err = NULL;
	ck_assert_int_eq(alertq_remove(tmpdir, ACC, &one, 1, NULL, &err), -1);
	ck_assert_msg(strstr(err, want) != NULL, "remove: '%s'", err);
	free(err);
	after = testutil_slurp_opt(mapfile, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(before, after, l1), 0);
	free(before);
	free(after);
}

START_TEST(test_corrupt)
{
	struct store_map m;
	char *buf, *err = NULL;
	size_t len;
	FILE *f;

	free(add(ACC, UNENROLL, "int", "critical", "1"));
	free(add(ACC, "com.example/B", NULL, NULL, "two"));

	/* one flipped byte: the checksum fails */
	buf = testutil_slurp_opt(mapfile, &len);
	buf[len / 2] ^= 0x20;
	ck_assert_int_eq(store_write_atomic(mapfile, buf, len, &err), 0);
	free(buf);
	all_refuse("corrupt map file");

	/* truncated */
	f = fopen(mapfile, "w");
	ck_assert_ptr_nonnull(f);
	fputs("LUADM-MAP 1\n8:", f);
	fclose(f);
	all_refuse("corrupt map file");

	/* well-formed maps that are not a queue */
	memset(&m, 0, sizeof(m));
	set(&m, "A/00000000000000000001/type", "com.example/X");
	set(&m, "A/00000000000000000001/format", "chr");
	set(&m, "A/00000000000000000001/created", "1700000000");
	save_map(&m);
	all_refuse("corrupt alert queue: no NextID");

	set(&m, "NextID", "2");
	set(&m, "A/00000000000000000001/format", "chr");
	set(&m, "A/00000000000000000001/created", "1700000000");
	save_map(&m);
	all_refuse("alert 1 lacks its type");

	set(&m, "NextID", "1");
	set(&m, "A/00000000000000000001/type", "com.example/X");
	set(&m, "A/00000000000000000001/format", "chr");
	set(&m, "A/00000000000000000001/created", "1700000000");
	save_map(&m);
	all_refuse("alert 1 is not below NextID 1");

	set(&m, "NextID", "2");
	set(&m, "A/1/type", "com.example/X");
	save_map(&m);
	all_refuse("bad key 'A/1/type'");

	set(&m, "NextID", "2");
	set(&m, "A/00000000000000000001/type", "com.example/X");
	set(&m, "A/00000000000000000001/format", "chr");
	set(&m, "A/00000000000000000001/mark", "urgent");
	set(&m, "A/00000000000000000001/created", "1700000000");
	save_map(&m);
	all_refuse("alert 1: unknown mark");

	set(&m, "NextID", "02");
	save_map(&m);
	all_refuse("bad NextID");

	/* a field or key of a newer luadm is kept, not an error */
	set(&m, "NextID", "3");
	set(&m, "Version", "9");
	set(&m, "A/00000000000000000002/type", "com.example/X");
	set(&m, "A/00000000000000000002/format", "chr");
	set(&m, "A/00000000000000000002/created", "1700000000");
	set(&m, "A/00000000000000000002/priority", "high");
	save_map(&m);
	free(add(ACC, "com.example/Y", NULL, NULL, NULL));
	ck_assert_uint_eq(count(ACC), 2);
	ck_assert_int_eq(store_map_load(mapfile, &m, &err), 0);
	ck_assert_ptr_nonnull(store_map_get(&m, "Version", 7));
	ck_assert_ptr_nonnull(store_map_get(&m,
	    "A/00000000000000000002/priority", 31));
	store_map_free(&m);
}
END_TEST

START_TEST(test_two_processes)
{
	struct alertq_alert *v;
	pid_t pid[2];
	char *err = NULL, seen[81];
	size_t n, i;
	int k, st;
	unsigned long id;

	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		ck_assert_int_ne(pid[k], -1);
		if (pid[k] == 0) {
			struct alertq_alert a;

			memset(&a, 0, sizeof(a));
			a.type = (char *)(k == 0 ? "com.example/P0" :
			    "com.example/P1");
			for (i = 0; i < 40; i++)
				if (alertq_add(tmpdir, ACC, &a, NULL, NULL) !=
				    0)
					_exit(1);
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(pid[k], &st, 0), pid[k]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* none lost, none duplicated: ids 1..80, 40 of each */
	ck_assert_int_eq(alertq_list(tmpdir, ACC, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 80);
	memset(seen, 0, sizeof(seen));
	for (i = 0, k = 0; i < n; i++) {
		id = strtoul(v[i].id, NULL, 10);
		ck_assert(id >= 1 && id <= 80 && !seen[id]);
		seen[id] = 1;
		k += strcmp(v[i].type, "com.example/P0") == 0;
	}
	ck_assert_int_eq(k, 40);
	alertq_free(v, n);
}
END_TEST

START_TEST(test_header)
{
	struct alertq_alert v[5];
	char *h = (char *)"x";

	memset(v, 0, sizeof(v));
	v[0].type = (char *)"com.example/Minor";
	v[0].mark = (char *)"minor";
	v[1].type = (char *)UNENROLL;
	v[1].mark = (char *)"critical";
	v[2].type = (char *)"com.example/NoMark";
	v[3].type = (char *)"com.example/Fatal";
	v[3].mark = (char *)"fatal";
	v[4].type = (char *)UNENROLL;		/* the same type again */
	v[4].mark = (char *)"fatal";
	ck_assert_int_eq(alertq_header(v, 5, &h), 0);
	ck_assert_str_eq(h, "<" UNENROLL "><com.example/Fatal>");
	free(h);
	ck_assert_int_eq(alertq_header(v, 1, &h), 0);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(alertq_header(v + 2, 1, &h), 0);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(alertq_header(NULL, 0, &h), 0);
	ck_assert_ptr_null(h);
}
END_TEST

/* The path of a file under the shared reference samples; free it. */
static char *
sample_path(const char *rel)
{
	const char *shared = getenv("LUADM_SHARED");
	char *p;

	if (shared != NULL && *shared != '\0')
		p = util_asprintf("%s/reference/samples/%s", shared, rel);
	else
		p = util_asprintf("%s/../shared/reference/samples/%s",
		    LUADM_SOURCE_DIR, rel);
	ck_assert_ptr_nonnull(p);
	return p;
}

/*
 * Builds a package 1 as the session does: Alert 1201 (CmdID 2), Alert 1224
 * (3), the queue's alerts, Replace; returns the parsed message.
 */
static struct syncml_msg *
pkg1(size_t limit, struct alertq_batch *b, int *rc, char **xml)
{
	struct syncml_hdr_out hdr;
	struct syncml_alert_out al;
	struct syncml_item_out it;
	struct syncml_writer *w;
	struct syncml_msg *m;
	char ebuf[SYNCML_ERRLEN], *out, *err = NULL;
	size_t len;

	memset(&hdr, 0, sizeof(hdr));
	hdr.session_id = "9";
	hdr.msg_id = 1;
	hdr.target_uri = "https://mdm.example.test/ManagementServer/MDM.svc";
	hdr.source_uri = "0123456789ABCDEF0123456789ABCDEF";
	w = syncml_writer_new(&hdr, 2, ebuf, sizeof(ebuf));
	ck_assert_ptr_nonnull(w);
	memset(&al, 0, sizeof(al));
	al.code = 1201;
	ck_assert_uint_eq(syncml_emit_alert(w, &al), 2);
	memset(&it, 0, sizeof(it));
	it.type = "com.microsoft/MDM/LoginStatus";
	it.data = "user";
	it.data_len = SYNCML_NTS;
	al.code = 1224;
	al.items = &it;
	al.nitems = 1;
	ck_assert_uint_eq(syncml_emit_alert(w, &al), 3);
	*rc = alertq_emit(tmpdir, ACC, w, 1, limit, b, &err);
	free(err);
	memset(&it, 0, sizeof(it));
	it.source_uri = "./DevInfo/DevId";
	it.data = "0123456789ABCDEF0123456789ABCDEF";
	it.data_len = SYNCML_NTS;
	ck_assert_uint_ne(syncml_emit_replace(w, &it, 1), 0);
	ck_assert_int_eq(syncml_writer_finish(w, 1, &out, &len), 0);
	syncml_writer_free(w);
	m = syncml_parse(out, len, NULL, ebuf, sizeof(ebuf));
	ck_assert_msg(m != NULL, "our package 1 does not parse: %s", ebuf);
	if (xml != NULL)
		*xml = out;
	else
		free(out);
	return m;
}

START_TEST(test_emit_like_windows)
{
	struct alertq_batch b;
	struct syncml_msg *ours, *win;
	const struct syncml_cmd *o, *r;
	char *path, *buf, *err = NULL, *xml, ebuf[SYNCML_ERRLEN];
	size_t len, i;
	int rc;

	/* the unenrollment alert of recorded/15 */
	free(add(ACC, UNENROLL, "int", "critical", "1"));
	memset(&b, 0, sizeof(b));
	ours = pkg1(0, &b, &rc, &xml);
	ck_assert_int_eq(rc, 0);
	path = sample_path(REC15);
	ck_assert_int_eq(store_read(path, 1 << 20, &buf, &len, &err), 0);
	win = syncml_parse(buf, len, NULL, ebuf, sizeof(ebuf));
	ck_assert_msg(win != NULL, "%s: %s", path, ebuf);
	free(buf);
	free(path);

	/* the same commands with the same CmdIDs: 1201, 1224, 1226, Replace */
	ck_assert_uint_eq(ours->ncmds, win->ncmds);
	for (i = 0; i < win->ncmds; i++) {
		ck_assert_int_eq(ours->cmds[i].kind, win->cmds[i].kind);
		ck_assert_str_eq(ours->cmds[i].cmd_id, win->cmds[i].cmd_id);
		ck_assert_int_eq(ours->cmds[i].code, win->cmds[i].code);
	}
	o = &ours->cmds[2];
	r = &win->cmds[2];
	ck_assert_int_eq(r->code, 1226);
	ck_assert_uint_eq(o->nitems, 1);
	ck_assert_uint_eq(r->nitems, 1);
	ck_assert_str_eq(o->items[0].meta.type, r->items[0].meta.type);
	ck_assert_str_eq(o->items[0].meta.format, r->items[0].meta.format);
	ck_assert_str_eq(o->items[0].meta.mark, r->items[0].meta.mark);
	ck_assert_str_eq(o->items[0].data, r->items[0].data);
	ck_assert_ptr_null(o->items[0].source_uri);
	ck_assert_ptr_null(o->items[0].target_uri);
	ck_assert_ptr_null(o->correlator);
	ck_assert_ptr_null(o->meta.type);	/* Meta inside the Item only */
	/* each Meta child in the metinf namespace, as Windows writes them */
	ck_assert_ptr_nonnull(strstr(xml, "<Alert><CmdID>4</CmdID><Data>1226"
	    "</Data><Item><Meta>"));
	ck_assert_ptr_nonnull(strstr(xml, "<Type xmlns=\"syncml:metinf\">"
	    UNENROLL "</Type>"));
	ck_assert_ptr_nonnull(strstr(xml, "<Format xmlns=\"syncml:metinf\">"
	    "int</Format>"));
	ck_assert_ptr_nonnull(strstr(xml, "<Mark xmlns=\"syncml:metinf\">"
	    "critical</Mark></Meta><Data>1</Data></Item></Alert>"));

	/* the batch: CmdID 4 carried alert 1; the header names it */
	ck_assert_uint_eq(b.msg_id, 1);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_uint_eq(b.v[0].cmdid, 4);
	ck_assert_str_eq(b.v[0].id, "1");
	ck_assert_str_eq(b.header, "<" UNENROLL ">");
	alertq_batch_free(&b);
	alertq_batch_free(&b);	/* an emptied batch frees again */
	free(xml);
	syncml_msg_free(ours);
	syncml_msg_free(win);
}
END_TEST

START_TEST(test_emit_fields_and_limit)
{
	struct alertq_batch b;
	struct alertq_alert a;
	struct syncml_msg *m;
	const struct syncml_cmd *c;
	char *err = NULL, big[4001];
	size_t full;
	int rc;

	/* an empty queue writes nothing */
	memset(&b, 0, sizeof(b));
	m = pkg1(0, &b, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_ptr_null(b.header);
	ck_assert_uint_eq(m->ncmds, 3);
	syncml_msg_free(m);

	memset(&a, 0, sizeof(a));
	a.type = (char *)"com.example.csp/Done";
	a.source = (char *)"./Vendor/MSFT/Example/Job1";
	a.data = (char *)"a < b & c\r\n";
	a.correlator = (char *)"job-42";
	ck_assert_int_eq(alertq_add(tmpdir, ACC, &a, NULL, &err), 0);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	free(add(ACC, "com.example/Big", NULL, "minor", big));
	free(add(ACC, "com.example/Third", "bool", "fatal", "true"));

	m = pkg1(0, &b, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(m->ncmds, 6);
	c = &m->cmds[2];
	ck_assert_int_eq(c->code, 1226);
	ck_assert_str_eq(c->cmd_id, "4");
	ck_assert_str_eq(c->correlator, "job-42");
	ck_assert_str_eq(c->items[0].source_uri, "./Vendor/MSFT/Example/Job1");
	ck_assert_str_eq(c->items[0].meta.format, "chr");
	ck_assert_str_eq(c->items[0].meta.type, "com.example.csp/Done");
	ck_assert_ptr_null(c->items[0].meta.mark);
	ck_assert_str_eq(c->items[0].data, "a < b & c\r\n");
	ck_assert_str_eq(m->cmds[3].cmd_id, "5");
	ck_assert_str_eq(m->cmds[3].items[0].meta.mark, "minor");
	ck_assert_str_eq(m->cmds[4].cmd_id, "6");
	ck_assert_str_eq(m->cmds[4].items[0].meta.format, "bool");
	ck_assert_str_eq(m->cmds[5].name, "Replace");
	ck_assert_str_eq(m->cmds[5].cmd_id, "7");
	ck_assert_uint_eq(b.n, 3);
	ck_assert_uint_eq(b.v[0].cmdid, 4);
	ck_assert_uint_eq(b.v[1].cmdid, 5);
	ck_assert_uint_eq(b.v[2].cmdid, 6);
	ck_assert_str_eq(b.v[2].id, "3");
	ck_assert_str_eq(b.header, "<com.example/Third>");
	syncml_msg_free(m);

	/* a limit the big one does not fit: only the first goes, the
	 * header does not name the fatal one left behind */
	m = pkg1(2000, &b, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_str_eq(b.v[0].id, "1");
	ck_assert_ptr_null(b.header);
	ck_assert_uint_eq(m->ncmds, 4);
	ck_assert_str_eq(m->cmds[3].name, "Replace");
	ck_assert_str_eq(m->cmds[3].cmd_id, "5");	/* no gap */
	syncml_msg_free(m);
	/* a limit smaller than any: the first alert still goes */
	m = pkg1(10, &b, &rc, NULL);
	ck_assert_uint_eq(b.n, 1);
	syncml_msg_free(m);
	/* a limit that fits everything */
	m = pkg1(1 << 20, &b, &rc, NULL);
	full = b.n;
	ck_assert_uint_eq(full, 3);
	syncml_msg_free(m);
	/* a queue that cannot be read: -1, nothing written, the rest goes */
	ck_assert_int_eq(store_write_atomic(mapfile, "junk", 4, &err), 0);
	m = pkg1(0, &b, &rc, NULL);
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_uint_eq(m->ncmds, 3);
	syncml_msg_free(m);
	alertq_batch_free(&b);
}
END_TEST

/*
 * Parses a server message whose SyncBody holds the given Status elements
 * (each "<MsgRef>..</MsgRef><CmdRef>..</CmdRef><Cmd>..</Cmd><Data>..
 * </Data>"), and collects its Status commands into st.
 */
static struct syncml_msg *
server_reply(const char *const *statuses, size_t n,
    const struct syncml_cmd **st)
{
	char buf[8192], ebuf[SYNCML_ERRLEN];
	struct syncml_msg *m;
	size_t i, len;

	len = (size_t)snprintf(buf, sizeof(buf), "<SyncML xmlns=\"SYNCML:"
	    "SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2"
	    "</VerProto><SessionID>9</SessionID><MsgID>1</MsgID><Target>"
	    "<LocURI>dev</LocURI></Target><Source><LocURI>srv</LocURI>"
	    "</Source></SyncHdr><SyncBody>");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "<Status><CmdID>%zu</CmdID>%s</Status>", i + 1,
		    statuses[i]);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
	    "<Final/></SyncBody></SyncML>");
	ck_assert_uint_lt(len, sizeof(buf));
	m = syncml_parse(buf, len, NULL, ebuf, sizeof(ebuf));
	ck_assert_msg(m != NULL, "%s", ebuf);
	ck_assert_uint_eq(m->ncmds, n);
	for (i = 0; i < n; i++)
		st[i] = &m->cmds[i];
	return m;
}

#define HDR(code) "<MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>" \
	"<Data>" code "</Data>"
#define ST(ref, code) "<MsgRef>1</MsgRef><CmdRef>" ref "</CmdRef>" \
	"<Cmd>Alert</Cmd><Data>" code "</Data>"

/*
 * Queues three alerts (ids 1, 2, 3, sent as CmdIDs 4, 5, 6), settles them
 * against statuses and returns the ids left, as "1,3".
 */
static void
settle_case(const char *const *statuses, size_t n, const char *left,
    size_t want_delivered)
{
	const struct syncml_cmd *st[8];
	struct alertq_batch b;
	struct alertq_alert *v;
	struct syncml_msg *m, *srv;
	char *err = NULL, got[64];
	size_t i, nv, delivered = 99;
	int rc;

	testutil_rm_rf(tmpdir);
	ck_assert_int_eq(mkdir(tmpdir, 0700), 0);
	free(add(ACC, "com.example/A", NULL, NULL, NULL));
	free(add(ACC, "com.example/B", NULL, "critical", NULL));
	free(add(ACC, "com.example/C", NULL, NULL, NULL));
	memset(&b, 0, sizeof(b));
	m = pkg1(0, &b, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	syncml_msg_free(m);
	ck_assert_uint_eq(b.n, 3);
	srv = server_reply(statuses, n, st);
	ck_assert_int_eq(alertq_settle(tmpdir, ACC, &b, st, n, &delivered,
	    &err), 0);
	ck_assert_uint_eq(delivered, want_delivered);
	ck_assert_int_eq(alertq_list(tmpdir, ACC, &v, &nv, &err), 0);
	got[0] = '\0';
	for (i = 0; i < nv; i++) {
		if (i > 0)
			strcat(got, ",");
		strcat(got, v[i].id);
	}
	ck_assert_str_eq(got, left);
	/* the flags agree with the queue */
	for (i = 0; i < b.n; i++)
		ck_assert_int_eq(b.v[i].delivered,
		    strstr(left, b.v[i].id) == NULL);
	alertq_free(v, nv);
	alertq_batch_free(&b);
	syncml_msg_free(srv);
}

START_TEST(test_settle)
{
	/* the SyncHdr taken, no Status for the alerts: all delivered */
	{
		const char *s[] = { HDR("200") };

		settle_case(s, 1, "", 3);
	}
	/* 212 and Status 200/202 for two of them */
	{
		const char *s[] = { HDR("212"), ST("4", "200"),
		    ST("6", "202") };

		settle_case(s, 3, "", 3);
	}
	/* 4xx / 5xx keep the alert; others go */
	{
		const char *s[] = { HDR("200"), ST("4", "500"),
		    ST("5", "200"), ST("6", "406") };

		settle_case(s, 4, "1,3", 1);
	}
	/* a code that is not a number keeps it too */
	{
		const char *s[] = { HDR("200"), ST("5", "oops") };

		settle_case(s, 2, "2", 2);
	}
	/* the SyncHdr refused (401, 407, 500): nothing was taken */
	{
		const char *s[] = { HDR("401"), ST("4", "200") };

		settle_case(s, 2, "1,2,3", 0);
	}
	{
		const char *s[] = { HDR("500") };

		settle_case(s, 1, "1,2,3", 0);
	}
	/* no Status for the SyncHdr at all: not taken */
	{
		const char *s[] = { ST("4", "200") };

		settle_case(s, 1, "1,2,3", 0);
	}
	/* a Status of another message (MsgRef 2) is not about our alerts;
	 * one without MsgRef is */
	{
		const char *s[] = { HDR("200"),
		    "<MsgRef>2</MsgRef><CmdRef>4</CmdRef><Cmd>Alert</Cmd>"
		    "<Data>500</Data>",
		    "<CmdRef>5</CmdRef><Cmd>Alert</Cmd><Data>500</Data>" };

		settle_case(s, 3, "2", 2);
	}
	/* the SyncHdr Status of another message does not count */
	{
		const char *s[] = {
		    "<MsgRef>7</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>"
		    "<Data>200</Data>" };

		settle_case(s, 1, "1,2,3", 0);
	}
}
END_TEST

START_TEST(test_settle_removal_fails)
{
	const struct syncml_cmd *st[1];
	const char *s[] = { HDR("200") };
	struct alertq_batch b;
	struct syncml_msg *m, *srv;
	char *err = NULL;
	size_t delivered = 9;
	int rc;

	free(add(ACC, "com.example/A", NULL, NULL, NULL));
	memset(&b, 0, sizeof(b));
	m = pkg1(0, &b, &rc, NULL);
	syncml_msg_free(m);
	ck_assert_uint_eq(b.n, 1);
	/* the queue went corrupt meanwhile: the removal fails, the alert
	 * is not marked delivered */
	ck_assert_int_eq(store_write_atomic(mapfile, "junk", 4, &err), 0);
	srv = server_reply(s, 1, st);
	ck_assert_int_eq(alertq_settle(tmpdir, ACC, &b, st, 1, &delivered,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "corrupt"));
	free(err);
	ck_assert_uint_eq(delivered, 0);
	ck_assert_int_eq(b.v[0].delivered, 0);
	alertq_batch_free(&b);
	syncml_msg_free(srv);
}
END_TEST

static Suite *
alertq_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("alertq");
	tc = tcase_create("queue");
	tcase_set_timeout(tc, 120);
	testutil_fixtures(tc, setup);
	tcase_add_test(tc, test_add_list_remove);
	tcase_add_test(tc, test_ids_unique);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_two_processes);
	tcase_add_test(tc, test_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_set_timeout(tc, 60);
	testutil_fixtures(tc, setup);
	tcase_add_test(tc, test_emit_like_windows);
	tcase_add_test(tc, test_emit_fields_and_limit);
	tcase_add_test(tc, test_settle);
	tcase_add_test(tc, test_settle_removal_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(alertq_suite());
}
