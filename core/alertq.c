/*
 * alertq.c: the durable queue of generic alerts (1226) per account, kept
 * in one checksummed map file per account under <state_dir>/alerts, and
 * the helpers that write pending alerts into package 1 and settle them
 * against the server's Status. See alertq.h for the format and the
 * reasons behind it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alertq.h"
#include "b64.h"
#include "store.h"
#include "syncml.h"
#include "uri.h"
#include "util.h"

#define ALERTQ_DIR	"alerts"
#define KEY_NEXT	"NextID"
#define KEY_PFX		"A/"
#define KEY_PFX_LEN	(sizeof(KEY_PFX) - 1)
#define ID_DIGITS	20	/* zero-padded id in keys: sorts as numbers */
#define ID_MAX_DIGITS	19	/* ids as given: always fit 64 bits */
#define KEY_ID_END	(KEY_PFX_LEN + ID_DIGITS)	/* offset of the "/" */
#define ACC_PREFIX	"0x0000800c"
#define ACC_PREFIX_LEN	(sizeof(ACC_PREFIX) - 1)
#define ALERT_CODE	1226

/* The fields of an alert in the file, in struct alertq_alert order. */
enum alertq_field {
	F_TYPE,
	F_FORMAT,
	F_MARK,
	F_SOURCE,
	F_DATA,
	F_CORRELATOR,
	F_CREATED,
	F__MAX
};

static const char *const field_names[F__MAX] = {
	"type", "format", "mark", "source", "data", "correlator", "created"
};

static const char *const formats[] = {
	"b64", "bool", "chr", "int", "node", "null", "xml", "date", "time",
	"float", NULL
};

static const char *const marks[] = {
	"fatal", "critical", "minor", "warning", "informational", "harmless",
	"indeterminate", NULL
};

/* Characters of a Meta Type besides ASCII letters and digits. */
#define TYPE_PUNCT	"-._:/+@~=#%"

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
is_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * Parses a plain decimal (no sign, no leading zero unless "0", at most
 * ID_MAX_DIGITS digits). 0, or -1 when s is not one.
 */
static int
parse_dec(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (!is_digits(s, n) || n > ID_MAX_DIGITS || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned long long)(s[i] - '0');
	*out = v;
	return 0;
}

/* 1 when s is an AccountID: the prefix and 64 upper-case hex digits. */
static int
account_id_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != ACC_PREFIX_LEN + 64 ||
	    strncmp(s, ACC_PREFIX, ACC_PREFIX_LEN) != 0)
		return 0;
	for (i = ACC_PREFIX_LEN; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* Checks the data of an alert against its format. 0 or -1 + *err. */
static int
check_data(const char *data, const char *format, char **err)
{
	size_t len = strlen(data), i, olen;
	unsigned char *bin;
	char *end;

	if (len > ALERTQ_MAX_DATA) {
		util_seterr(err, "the data is %zu bytes; at most %d are "
		    "allowed", len, ALERTQ_MAX_DATA);
		return -1;
	}
	if (!syncml_text_valid(data, len)) {
		util_seterr(err, "the data is not text XML can carry (invalid "
		    "UTF-8 or control characters): send it as format b64");
		return -1;
	}
	if (strcmp(format, "int") == 0) {
		i = data[0] == '-' ? 1 : 0;
		if (!is_digits(data + i, len - i) || len > 20) {
			util_seterr(err, "the data '%.40s' is not an integer "
			    "(format int)", data);
			return -1;
		}
	} else if (strcmp(format, "bool") == 0) {
		if (strcmp(data, "true") != 0 && strcmp(data, "false") != 0) {
			util_seterr(err, "the data '%.40s' is not true or "
			    "false (format bool)", data);
			return -1;
		}
	} else if (strcmp(format, "float") == 0) {
		for (i = 0; i < len; i++)
			if (strchr("0123456789+-.eE", data[i]) == NULL)
				break;
		end = NULL;
		errno = 0;
		if (len > 0 && i == len)
			(void)strtod(data, &end);	/* only end matters */
		if (end == NULL || *end != '\0' || errno == ERANGE) {
			util_seterr(err, "the data '%.40s' is not a decimal "
			    "number (format float)", data);
			return -1;
		}
	} else if (strcmp(format, "b64") == 0) {
		bin = b64_decode(data, len, &olen);
		if (bin == NULL) {
			util_seterr(err, "the data is not base64 (format b64)");
			return -1;
		}
		free(bin);
	} else if (strcmp(format, "null") == 0 && len > 0) {
		util_seterr(err, "format null takes no data");
		return -1;
	}
	return 0;
}

int
alertq_check(const struct alertq_alert *a, char **err)
{
	const char *format, *why = NULL;
	struct dm_uri u;
	size_t len, i;
	int r;

	if (a->type == NULL || a->type[0] == '\0') {
		util_seterr(err, "the alert type (Meta Type) is required");
		return -1;
	}
	len = strlen(a->type);
	if (len > ALERTQ_MAX_TYPE) {
		util_seterr(err, "the alert type is %zu bytes; at most %d are "
		    "allowed", len, ALERTQ_MAX_TYPE);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a->type[i];

		if (!is_alnum(c) && strchr(TYPE_PUNCT, c) == NULL) {
			if (c == ' ')
				util_seterr(err, "the alert type holds a "
				    "space, which is not allowed (letters, "
				    "digits and %s only)", TYPE_PUNCT);
			else if (c > 0x20 && c < 0x7f)
				util_seterr(err, "the alert type holds '%c', "
				    "which is not allowed (letters, digits and "
				    "%s only)", c, TYPE_PUNCT);
			else
				util_seterr(err, "the alert type holds byte "
				    "0x%02x, which is not allowed (letters, "
				    "digits and %s only)", c, TYPE_PUNCT);
			return -1;
		}
	}
	format = a->format != NULL ? a->format : ALERTQ_DEFAULT_FORMAT;
	if (strcmp(format, "bin") == 0) {
		util_seterr(err, "format bin cannot be sent in XML: use b64");
		return -1;
	}
	if (!in_list(formats, format)) {
		util_seterr(err, "unknown format '%.40s' (b64, bool, chr, int, "
		    "node, null, xml, date, time or float)", format);
		return -1;
	}
	if (a->mark != NULL && !in_list(marks, a->mark)) {
		util_seterr(err, "unknown mark '%.40s' (fatal, critical, "
		    "minor, warning, informational, harmless or indeterminate)",
		    a->mark);
		return -1;
	}
	if (a->data != NULL && check_data(a->data, format, err) != 0)
		return -1;
	if (a->source != NULL) {
		len = strlen(a->source);
		if (!syncml_text_valid(a->source, len)) {
			util_seterr(err, "the source URI is not valid text");
			return -1;
		}
		memset(&u, 0, sizeof(u));
		r = uri_parse(a->source, &u, &why);
		uri_free(&u);
		if (r != 0) {
			util_seterr(err, "invalid source URI '%.80s': %s",
			    a->source, why != NULL ? why : "out of memory");
			return -1;
		}
	}
	if (a->correlator != NULL) {
		len = strlen(a->correlator);
		if (len == 0 || len > ALERTQ_MAX_CORRELATOR) {
			util_seterr(err, "the correlator must have 1 to %d "
			    "bytes", ALERTQ_MAX_CORRELATOR);
			return -1;
		}
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)a->correlator[i];

			if (c < 0x20 || c == 0x7f)
				break;
		}
		if (i < len || !syncml_text_valid(a->correlator, len) ||
		    a->correlator[0] == ' ' || a->correlator[len - 1] == ' ') {
			util_seterr(err, "the correlator must be text without "
			    "control characters or surrounding spaces");
			return -1;
		}
	}
	return 0;
}

void
alertq_free(struct alertq_alert *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].type);
		free(v[i].format);
		free(v[i].mark);
		free(v[i].source);
		free(v[i].data);
		free(v[i].correlator);
	}
	free(v);
}

/* The paths of an account's queue. 0, or -1 with *err. */
static int
queue_paths(const char *state_dir, const char *account_id, char **dir,
    char **map, char **lock, char **err)
{
	*dir = *map = NULL;
	if (lock != NULL)
		*lock = NULL;
	if (!account_id_valid(account_id)) {
		util_seterr(err, "'%.80s' is not an AccountID",
		    account_id != NULL ? account_id : "(null)");
		return -1;
	}
	*dir = util_asprintf("%s/%s", state_dir, ALERTQ_DIR);
	*map = util_asprintf("%s/%s/%s.map", state_dir, ALERTQ_DIR,
	    account_id);
	if (lock != NULL)
		*lock = util_asprintf("%s/%s/%s.lock", state_dir, ALERTQ_DIR,
		    account_id);
	if (*dir == NULL || *map == NULL || (lock != NULL && *lock == NULL)) {
		free(*dir);
		free(*map);
		*dir = *map = NULL;
		if (lock != NULL) {
			free(*lock);
			*lock = NULL;
		}
		util_seterr(err, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Takes the queue's lock (creating the directory and the lock file).
 * Returns the descriptor to close (which releases it), or -1 with *err.
 */
static int
lock_queue(const char *dir, const char *lock, char **err)
{
	struct flock fl;
	int fd;

	if (store_mkdirs(dir, err) != 0)
		return -1;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		util_seterr(err, "%s: %s", lock, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) == -1) {
		if (errno == EINTR)
			continue;
		util_seterr(err, "%s: cannot lock: %s", lock, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Releases the lock taken by lock_queue (closing fd). -1 is ignored. */
static void
unlock_queue(int fd)
{
	if (fd != -1)
		close(fd);
}

/* A NUL-terminated copy of an entry's value; NULL when it holds a NUL. */
static char *
entry_str(const struct store_entry *e)
{
	if (strlen(e->val) != e->vlen)
		return NULL;
	return strdup(e->val);
}

/*
 * Reads and checks the decoded map of a queue file: NextID, and alerts
 * whose keys, fields and values are well-formed and pass alertq_check,
 * with ids below NextID. *next gets NextID (1 for an empty map). When v is
 * not NULL the alerts are returned there (alertq_free). 0, or -1 with
 * *err ("<path>: corrupt alert queue: ...").
 */
static int
parse_queue(const struct store_map *m, const char *path,
    unsigned long long *next, struct alertq_alert **v, size_t *n,
    char **err)
{
	const struct store_entry *ne;
	struct alertq_alert *a = NULL, *cur = NULL, *tmp;
	unsigned long long id, created;
	char *one = NULL, **slot, *why = NULL;
	const char *fname;
	size_t na = 0, cap = 0, i, f, flen;
	int oom = 0;

	*next = 1;
	if (n != NULL)
		*n = 0;
	if (v != NULL)
		*v = NULL;
	ne = store_map_get(m, KEY_NEXT, sizeof(KEY_NEXT) - 1);
	if (ne == NULL && m->n > 0) {
		util_seterr(err, "%s: corrupt alert queue: no %s", path,
		    KEY_NEXT);
		return -1;
	}
	if (ne != NULL && (parse_dec(ne->val, ne->vlen, next) != 0 ||
	    *next == 0)) {
		util_seterr(err, "%s: corrupt alert queue: bad %s", path,
		    KEY_NEXT);
		return -1;
	}
	for (i = 0; i < m->n; i++) {
		const struct store_entry *e = &m->e[i];

		if (e->klen < KEY_PFX_LEN ||
		    memcmp(e->key, KEY_PFX, KEY_PFX_LEN) != 0)
			continue;	/* NextID, or a key of a newer luadm */
		if (e->klen <= KEY_ID_END + 1 || e->key[KEY_ID_END] != '/' ||
		    !is_digits(e->key + KEY_PFX_LEN, ID_DIGITS)) {
			util_seterr(err, "%s: corrupt alert queue: bad key "
			    "'%.60s'", path, e->key);
			goto err;
		}
		id = strtoull(e->key + KEY_PFX_LEN, NULL, 10);
		if (id == 0 || id >= *next) {
			util_seterr(err, "%s: corrupt alert queue: alert %llu "
			    "is not below %s %llu", path, id, KEY_NEXT, *next);
			goto err;
		}
		if (cur == NULL || strtoull(cur->id, NULL, 10) != id) {
			if (na == cap) {
				cap = cap == 0 ? 8 : cap * 2;
				tmp = reallocarray(a, cap, sizeof(*a));
				if (tmp == NULL) {
					oom = 1;
					goto err;
				}
				a = tmp;
			}
			cur = &a[na++];
			memset(cur, 0, sizeof(*cur));
			cur->created = -1;
			cur->id = util_asprintf("%llu", id);
			if (cur->id == NULL) {
				oom = 1;
				goto err;
			}
		}
		fname = e->key + KEY_ID_END + 1;
		flen = e->klen - KEY_ID_END - 1;
		for (f = 0; f < F__MAX; f++)
			if (strlen(field_names[f]) == flen &&
			    memcmp(field_names[f], fname, flen) == 0)
				break;
		if (f == F__MAX)
			continue;	/* a field of a newer luadm */
		if (f == F_CREATED) {
			if (parse_dec(e->val, e->vlen, &created) != 0) {
				util_seterr(err, "%s: corrupt alert queue: "
				    "alert %s: bad created time", path, cur->id);
				goto err;
			}
			cur->created = (long long)created;
			continue;
		}
		one = entry_str(e);
		if (one == NULL) {
			if (strlen(e->val) != e->vlen)
				util_seterr(err, "%s: corrupt alert queue: "
				    "alert %s: %s holds a NUL", path, cur->id,
				    field_names[f]);
			else
				oom = 1;
			goto err;
		}
		slot = f == F_TYPE ? &cur->type : f == F_FORMAT ? &cur->format :
		    f == F_MARK ? &cur->mark : f == F_SOURCE ? &cur->source :
		    f == F_DATA ? &cur->data : &cur->correlator;
		*slot = one;
		one = NULL;
	}
	for (i = 0; i < na; i++) {
		if (a[i].type == NULL || a[i].format == NULL ||
		    a[i].created < 0) {
			util_seterr(err, "%s: corrupt alert queue: alert %s "
			    "lacks its %s", path, a[i].id, a[i].type == NULL ?
			    "type" : a[i].format == NULL ? "format" :
			    "created time");
			goto err;
		}
		if (alertq_check(&a[i], &why) != 0) {
			util_seterr(err, "%s: corrupt alert queue: alert %s: "
			    "%s", path, a[i].id, why != NULL ? why :
			    "out of memory");
			free(why);
			goto err;
		}
	}
	if (v != NULL) {
		*v = a;
		*n = na;
	} else
		alertq_free(a, na);
	return 0;
err:
	if (oom)
		util_seterr(err, "%s: out of memory", path);
	free(one);
	alertq_free(a, na);
	return -1;
}

/* Sets one field of the alert whose keys start with pfx. 0 or -1. */
static int
set_field(struct store_map *m, const char *pfx, enum alertq_field f,
    const char *val)
{
	char key[64];
	int kl;

	kl = snprintf(key, sizeof(key), "%s%s", pfx, field_names[f]);
	if (kl < 0 || (size_t)kl >= sizeof(key))
		return -1;
	return store_map_set(m, key, (size_t)kl, val, strlen(val));
}

int
alertq_add(const char *state_dir, const char *account_id,
    const struct alertq_alert *a, char **id_out, char **err)
{
	struct store_map m;
	unsigned long long next;
	struct alertq_alert *v = NULL;
	char *dir = NULL, *path = NULL, *lock = NULL, pfx[48], num[24];
	size_t n = 0;
	int fd = -1, rc = -1;

	memset(&m, 0, sizeof(m));
	if (id_out != NULL)
		*id_out = NULL;
	if (alertq_check(a, err) != 0)
		return -1;
	if (queue_paths(state_dir, account_id, &dir, &path, &lock, err) != 0)
		return -1;
	fd = lock_queue(dir, lock, err);
	if (fd == -1)
		goto out;
	if (store_map_load(path, &m, err) != 0 ||
	    parse_queue(&m, path, &next, &v, &n, err) != 0)
		goto out;
	if (n >= ALERTQ_MAX_PENDING) {
		util_seterr(err, "the alert queue of %s is full (%d alerts "
		    "pending)", account_id, ALERTQ_MAX_PENDING);
		goto out;
	}
	if (next >= 9999999999999999999ULL) {
		util_seterr(err, "%s: alert ids exhausted", path);
		goto out;
	}
	snprintf(pfx, sizeof(pfx), "%s%0*llu/", KEY_PFX, ID_DIGITS, next);
	snprintf(num, sizeof(num), "%lld", (long long)time(NULL));
	if (set_field(&m, pfx, F_TYPE, a->type) != 0 ||
	    set_field(&m, pfx, F_FORMAT, a->format != NULL ? a->format :
	    ALERTQ_DEFAULT_FORMAT) != 0 ||
	    (a->mark != NULL && set_field(&m, pfx, F_MARK, a->mark) != 0) ||
	    (a->source != NULL && set_field(&m, pfx, F_SOURCE,
	    a->source) != 0) ||
	    (a->data != NULL && set_field(&m, pfx, F_DATA, a->data) != 0) ||
	    (a->correlator != NULL && set_field(&m, pfx, F_CORRELATOR,
	    a->correlator) != 0) ||
	    set_field(&m, pfx, F_CREATED, num[0] == '-' ? "0" : num) != 0) {
		util_seterr(err, "out of memory");
		goto out;
	}
	snprintf(num, sizeof(num), "%llu", next + 1);
	if (store_map_set(&m, KEY_NEXT, sizeof(KEY_NEXT) - 1, num,
	    strlen(num)) != 0) {
		util_seterr(err, "out of memory");
		goto out;
	}
	if (store_map_save(path, &m, err) != 0)
		goto out;
	if (id_out != NULL) {
		*id_out = util_asprintf("%llu", next);
		if (*id_out == NULL) {
			/* queued all the same: only the answer is lost */
			util_seterr(err, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	unlock_queue(fd);
	alertq_free(v, n);
	store_map_free(&m);
	free(dir);
	free(path);
	free(lock);
	return rc;
}

int
alertq_list(const char *state_dir, const char *account_id,
    struct alertq_alert **v, size_t *n, char **err)
{
	struct store_map m;
	unsigned long long next;
	char *dir = NULL, *path = NULL;
	int rc = -1;

	*v = NULL;
	*n = 0;
	memset(&m, 0, sizeof(m));
	if (queue_paths(state_dir, account_id, &dir, &path, NULL, err) != 0)
		return -1;
	if (store_map_load(path, &m, err) == 0 &&
	    parse_queue(&m, path, &next, v, n, err) == 0)
		rc = 0;
	store_map_free(&m);
	free(dir);
	free(path);
	return rc;
}

/* Removes every entry whose key starts with pfx; returns how many. */
static size_t
map_del_prefix(struct store_map *m, const char *pfx, size_t plen)
{
	size_t i, j, del = 0;

	for (i = j = 0; i < m->n; i++) {
		if (m->e[i].klen >= plen &&
		    memcmp(m->e[i].key, pfx, plen) == 0) {
			free(m->e[i].key);
			free(m->e[i].val);
			del++;
			continue;
		}
		if (i != j)
			m->e[j] = m->e[i];
		j++;
	}
	m->n = j;
	return del;
}

int
alertq_remove(const char *state_dir, const char *account_id,
    char *const *ids, size_t n, size_t *removed, char **err)
{
	struct store_map m;
	unsigned long long next, id;
	char *dir = NULL, *path = NULL, *lock = NULL, pfx[48];
	size_t i, count = 0;
	int fd = -1, rc = -1, pl;

	memset(&m, 0, sizeof(m));
	if (removed != NULL)
		*removed = 0;
	for (i = 0; i < n; i++) {
		if (ids[i] == NULL || parse_dec(ids[i], strlen(ids[i]),
		    &id) != 0 || id == 0) {
			util_seterr(err, "'%.40s' is not an alert id",
			    ids[i] != NULL ? ids[i] : "(null)");
			return -1;
		}
	}
	if (queue_paths(state_dir, account_id, &dir, &path, &lock, err) != 0)
		return -1;
	fd = lock_queue(dir, lock, err);
	if (fd == -1)
		goto out;
	if (store_map_load(path, &m, err) != 0 ||
	    parse_queue(&m, path, &next, NULL, NULL, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		parse_dec(ids[i], strlen(ids[i]), &id);
		pl = snprintf(pfx, sizeof(pfx), "%s%0*llu/", KEY_PFX,
		    ID_DIGITS, id);
		if (map_del_prefix(&m, pfx, (size_t)pl) > 0)
			count++;
	}
	if (count > 0 && store_map_save(path, &m, err) != 0)
		goto out;
	if (removed != NULL)
		*removed = count;
	rc = 0;
out:
	unlock_queue(fd);
	store_map_free(&m);
	free(dir);
	free(path);
	free(lock);
	return rc;
}

int
alertq_purge(const char *state_dir, const char *account_id, char **err)
{
	char *dir = NULL, *path = NULL, *lock = NULL;
	int rc = -1;

	if (queue_paths(state_dir, account_id, &dir, &path, &lock, err) != 0)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT) {
		util_seterr(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (unlink(lock) == -1 && errno != ENOENT) {
		util_seterr(err, "%s: %s", lock, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(dir);
	free(path);
	free(lock);
	return rc;
}

int
alertq_header(const struct alertq_alert *v, size_t n, char **out)
{
	struct buf b;
	size_t i, j;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		if (v[i].mark == NULL || (strcmp(v[i].mark, "fatal") != 0 &&
		    strcmp(v[i].mark, "critical") != 0))
			continue;
		for (j = 0; j < i; j++)
			if (v[j].mark != NULL &&
			    (strcmp(v[j].mark, "fatal") == 0 ||
			    strcmp(v[j].mark, "critical") == 0) &&
			    strcmp(v[j].type, v[i].type) == 0)
				break;
		if (j < i)
			continue;	/* this type is already there */
		if (buf_printf(&b, "<%s>", v[i].type) != 0) {
			buf_free(&b);
			return -1;
		}
	}
	*out = b.p;	/* NULL when nothing was added */
	return 0;
}

void
alertq_batch_free(struct alertq_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		free(b->v[i].id);
	free(b->v);
	free(b->header);
	memset(b, 0, sizeof(*b));
}

int
alertq_emit(const char *state_dir, const char *account_id,
    struct syncml_writer *w, unsigned long msg_id, size_t limit,
    struct alertq_batch *b, char **err)
{
	struct alertq_alert *v = NULL;
	struct syncml_alert_out al;
	struct syncml_item_out it;
	struct syncml_writer_mark mark;
	unsigned long cmdid;
	size_t n = 0, i;
	int rc = -1;

	alertq_batch_free(b);
	b->msg_id = msg_id;
	if (alertq_list(state_dir, account_id, &v, &n, err) != 0)
		return -1;
	if (n > 0) {
		b->v = calloc(n, sizeof(*b->v));
		if (b->v == NULL) {
			util_seterr(err, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		memset(&it, 0, sizeof(it));
		it.source_uri = v[i].source;
		it.format = v[i].format;
		it.type = v[i].type;
		it.mark = v[i].mark;
		it.data = v[i].data;
		it.data_len = SYNCML_NTS;
		memset(&al, 0, sizeof(al));
		al.code = ALERT_CODE;
		al.correlator = v[i].correlator;
		al.items = &it;
		al.nitems = 1;
		syncml_writer_save(w, &mark);
		cmdid = syncml_emit_alert(w, &al);
		if (cmdid == 0) {
			util_seterr(err, "cannot write alert %s: %s", v[i].id,
			    syncml_writer_error(w));
			goto out;
		}
		if (limit > 0 && b->n > 0 && syncml_writer_size(w) > limit) {
			/* the rest waits for a later session */
			syncml_writer_restore(w, &mark);
			break;
		}
		b->v[b->n].cmdid = cmdid;
		b->v[b->n].id = v[i].id;
		v[i].id = NULL;
		b->n++;
	}
	rc = 0;
out:
	/* the header covers exactly the alerts written: v[0..b->n) */
	if (alertq_header(v, b->n, &b->header) != 0 && rc == 0) {
		util_seterr(err, "out of memory");
		rc = -1;
	}
	alertq_free(v, n);
	return rc;
}

/* 1 when a Status's MsgRef (NULL: absent) allows it to answer msg_id. */
static int
msg_ref_ok(const char *msg_ref, unsigned long msg_id)
{
	char num[24];

	if (msg_ref == NULL)
		return 1;
	snprintf(num, sizeof(num), "%lu", msg_id);
	return strcmp(msg_ref, num) == 0;
}

int
alertq_settle(const char *state_dir, const char *account_id,
    struct alertq_batch *b, const struct syncml_cmd *const *statuses,
    size_t nstatuses, size_t *delivered, char **err)
{
	const struct syncml_cmd *st;
	char **ids = NULL, num[24];
	size_t i, j, nids = 0, removed;
	int hdr_code = -1, failed, rc = -1;

	if (delivered != NULL)
		*delivered = 0;
	for (i = 0; i < nstatuses && hdr_code == -1; i++) {
		st = statuses[i];
		if (!msg_ref_ok(st->msg_ref, b->msg_id))
			continue;
		if ((st->cmd_ref != NULL && strcmp(st->cmd_ref, "0") == 0) ||
		    (st->cmd != NULL && strcmp(st->cmd, "SyncHdr") == 0))
			hdr_code = st->code;
	}
	if (hdr_code != 200 && hdr_code != 212)
		return 0;	/* the message was not taken: send again */
	if (b->n == 0)
		return 0;
	ids = calloc(b->n, sizeof(*ids));
	if (ids == NULL) {
		util_seterr(err, "out of memory");
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		snprintf(num, sizeof(num), "%lu", b->v[i].cmdid);
		failed = 0;
		for (j = 0; j < nstatuses; j++) {
			st = statuses[j];
			if (st->cmd_ref == NULL ||
			    strcmp(st->cmd_ref, num) != 0 ||
			    !msg_ref_ok(st->msg_ref, b->msg_id))
				continue;
			if (st->code < 0 || st->code >= 400)
				failed = 1;
		}
		if (!failed)
			ids[nids++] = b->v[i].id;
	}
	if (nids > 0 && alertq_remove(state_dir, account_id, ids, nids,
	    &removed, err) != 0)
		goto out;
	for (i = 0, j = 0; i < b->n && j < nids; i++)
		if (b->v[i].id == ids[j]) {
			b->v[i].delivered = 1;
			j++;
		}
	if (delivered != NULL)
		*delivered = nids;
	rc = 0;
out:
	free(ids);
	return rc;
}
