/*
 * account.c: DM accounts as map files in <state_dir>/accounts (see
 * account.h). The AccountID is computed here (UTF-8 -> UTF-16LE ->
 * SHA-256); everything durable goes through store.c.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "account.h"
#include "store.h"
#include "util.h"

#define ACCOUNT_PREFIX	"0x0000800c"
#define ACCOUNT_DIR	"accounts"
#define SERVER_ID_KEY	"ServerID"

/* The files of an account; the map goes last, so that an account stays
 * listed until all of it is gone. */
static const char *const account_suffixes[] = {
	".ca.pem", ".cert.pem", ".key.pem", ".map", NULL
};

/*
 * Decodes one UTF-8 sequence at s (n bytes left). Returns its length and
 * the code point in *cp, or 0 when it is not valid (overlong, surrogate,
 * over U+10FFFF, truncated).
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Converts UTF-8 s into UTF-16LE. Returns a malloc'd buffer (*outlen
 * bytes), or NULL when s is not valid UTF-8 (errno EINVAL) or out of
 * memory.
 */
static unsigned char *
utf8_to_utf16le(const char *s, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, k;
	unsigned char *out;
	uint32_t cp, hi, lo;

	/* at most 4 output bytes per input byte (1 byte -> 2, 4 -> 4) */
	out = malloc(n * 2 + 4);
	if (out == NULL)
		return NULL;
	while (i < n) {
		k = utf8_decode(p + i, n - i, &cp);
		if (k == 0) {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		i += k;
		if (cp < 0x10000) {
			out[o++] = cp & 0xff;
			out[o++] = cp >> 8;
		} else {
			cp -= 0x10000;
			hi = 0xd800 | cp >> 10;
			lo = 0xdc00 | (cp & 0x3ff);
			out[o++] = hi & 0xff;
			out[o++] = hi >> 8;
			out[o++] = lo & 0xff;
			out[o++] = lo >> 8;
		}
	}
	*outlen = o;
	return out;
}

int
account_id(const char *server_id, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE], *u16;
	unsigned int mdlen = 0, i;
	size_t len;
	int rc;

	if (server_id == NULL || server_id[0] == '\0')
		return -1;
	u16 = utf8_to_utf16le(server_id, &len);
	if (u16 == NULL)
		return -1;
	rc = EVP_Digest(u16, len, md, &mdlen, EVP_sha256(), NULL);
	free(u16);
	if (rc != 1 || mdlen != 32)
		return -1;
	memcpy(out, ACCOUNT_PREFIX, sizeof(ACCOUNT_PREFIX) - 1);
	out += sizeof(ACCOUNT_PREFIX) - 1;
	for (i = 0; i < mdlen; i++) {
		*out++ = hex[md[i] >> 4];
		*out++ = hex[md[i] & 15];
	}
	*out = '\0';
	return 0;
}

/* 1 when id has the AccountID form (so it is safe in a file name). */
static int
id_valid(const char *id)
{
	size_t i, pl = sizeof(ACCOUNT_PREFIX) - 1;

	if (id == NULL || strlen(id) != ACCOUNT_ID_LEN ||
	    strncmp(id, ACCOUNT_PREFIX, pl) != 0)
		return 0;
	for (i = pl; i < ACCOUNT_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'A' && id[i] <= 'F')))
			return 0;
	return 1;
}

/* "<state_dir>/accounts", malloc'd or NULL. */
static char *
dir_path(const char *state_dir)
{
	return util_asprintf("%s/%s", state_dir, ACCOUNT_DIR);
}

/* "<state_dir>/accounts/<id><suffix>", malloc'd or NULL. */
static char *
file_path(const char *state_dir, const char *id, const char *suffix)
{
	return util_asprintf("%s/%s/%s%s", state_dir, ACCOUNT_DIR, id, suffix);
}

void
account_free(struct account *a)
{
	if (a == NULL)
		return;
	free(a->id);
	free(a->file);
	store_map_free(&a->map);
	free(a);
}

/* A new account object with id and file set and an empty map. */
static struct account *
account_alloc(const char *state_dir, const char *id)
{
	struct account *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->id = strdup(id);
	a->file = file_path(state_dir, id, ".map");
	if (a->id == NULL || a->file == NULL) {
		account_free(a);
		return NULL;
	}
	return a;
}

struct account *
account_new(const char *state_dir, const char *server_id)
{
	char id[ACCOUNT_ID_LEN + 1];
	struct account *a;

	if (account_id(server_id, id) != 0)
		return NULL;
	a = account_alloc(state_dir, id);
	if (a == NULL)
		return NULL;
	if (store_map_set(&a->map, SERVER_ID_KEY, strlen(SERVER_ID_KEY),
	    server_id, strlen(server_id)) != 0) {
		account_free(a);
		return NULL;
	}
	return a;
}

int
account_load(const char *state_dir, const char *id, struct account **out,
    char **err)
{
	const struct store_entry *e;
	char want[ACCOUNT_ID_LEN + 1];
	struct account *a;
	struct stat st;

	*out = NULL;
	if (err != NULL)
		*err = NULL;
	if (!id_valid(id))
		return 1;
	a = account_alloc(state_dir, id);
	if (a == NULL) {
		util_seterr(err, "account %s: out of memory", id);
		return -1;
	}
	if (stat(a->file, &st) == -1) {
		if (errno == ENOENT) {
			account_free(a);
			return 1;
		}
		util_seterr(err, "%s: %s", a->file, strerror(errno));
		goto err;
	}
	if (store_map_load(a->file, &a->map, err) != 0)
		goto err;
	e = store_map_get(&a->map, SERVER_ID_KEY, strlen(SERVER_ID_KEY));
	if (e == NULL || strlen(e->val) != e->vlen ||
	    account_id(e->val, want) != 0 || strcmp(want, id) != 0) {
		util_seterr(err, "%s: corrupt account: its ServerID is missing "
		    "or does not match the AccountID", a->file);
		goto err;
	}
	*out = a;
	return 0;
err:
	account_free(a);
	return -1;
}

int
account_find(const char *state_dir, const char *server_id,
    struct account **out, char **err)
{
	char id[ACCOUNT_ID_LEN + 1];

	*out = NULL;
	if (err != NULL)
		*err = NULL;
	if (account_id(server_id, id) != 0)
		return 1;
	return account_load(state_dir, id, out, err);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
account_list_free(char **ids, size_t n)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int
account_list(const char *state_dir, char ***ids, size_t *n, char **err)
{
	struct dirent *de;
	char **v = NULL, **nv, *dir, *id;
	size_t cnt = 0, cap = 0, len;
	DIR *d;

	*ids = NULL;
	*n = 0;
	if (err != NULL)
		*err = NULL;
	dir = dir_path(state_dir);
	if (dir == NULL) {
		util_seterr(err, "out of memory");
		return -1;
	}
	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT) {
			free(dir);
			return 0;
		}
		util_seterr(err, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len != ACCOUNT_ID_LEN + 4 ||
		    strcmp(de->d_name + ACCOUNT_ID_LEN, ".map") != 0)
			continue;
		id = strndup(de->d_name, ACCOUNT_ID_LEN);
		if (id == NULL)
			goto nomem;
		if (!id_valid(id)) {
			free(id);
			continue;
		}
		if (cnt == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(id);
				goto nomem;
			}
			v = nv;
		}
		v[cnt++] = id;
	}
	closedir(d);
	free(dir);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*ids = v;
	*n = cnt;
	return 0;
nomem:
	util_seterr(err, "%s: out of memory", dir);
	closedir(d);
	free(dir);
	account_list_free(v, cnt);
	return -1;
}

const char *
account_get(const struct account *a, const char *key, size_t *len)
{
	const struct store_entry *e;

	e = store_map_get(&a->map, key, strlen(key));
	if (e == NULL)
		return NULL;
	if (len != NULL)
		*len = e->vlen;
	return e->val;
}

/* 1 when key is a well-formed key: segments non-empty, optional final "/". */
static int
key_valid(const char *key)
{
	const char *p;

	if (key[0] == '\0' || key[0] == '/')
		return 0;
	for (p = key; *p != '\0'; p++)
		if (p[0] == '/' && p[1] == '/')
			return 0;
	return 1;
}

/*
 * 1 when setting key would break the tree shape: key names a leaf (no
 * final "/") that is also the parent of another key, or some proper
 * prefix of key is a leaf.
 */
static int
key_conflicts(const struct store_map *m, const char *key)
{
	const struct store_entry *e;
	size_t kl = strlen(key), i;
	int marker = kl > 0 && key[kl - 1] == '/';

	for (i = 0; i < m->n; i++) {
		e = &m->e[i];
		/* a leaf above key: e is "a/b" and key is "a/b/..." */
		if (e->klen < kl && e->klen > 0 && e->key[e->klen - 1] != '/' &&
		    memcmp(e->key, key, e->klen) == 0 && key[e->klen] == '/')
			return 1;
		/* key a leaf with something below it: key "a", e "a/..." */
		if (!marker && e->klen > kl && memcmp(e->key, key, kl) == 0 &&
		    e->key[kl] == '/')
			return 1;
	}
	return 0;
}

int
account_set(struct account *a, const char *key, const void *val, size_t len)
{
	const struct store_entry *e;

	if (!key_valid(key)) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(key, SERVER_ID_KEY) == 0) {
		e = store_map_get(&a->map, key, strlen(key));
		if (e == NULL || e->vlen != len || memcmp(e->val, val, len)) {
			errno = EPERM;
			return -1;
		}
		return 0;
	}
	if (key_conflicts(&a->map, key)) {
		errno = EEXIST;
		return -1;
	}
	if (store_map_set(&a->map, key, strlen(key), val, len) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
account_set_str(struct account *a, const char *key, const char *val)
{
	return account_set(a, key, val, strlen(val));
}

void
account_unset(struct account *a, const char *key)
{
	const struct store_entry *e;
	size_t kl = strlen(key), i;

	if (strcmp(key, SERVER_ID_KEY) == 0)
		return;
	for (i = a->map.n; i-- > 0;) {
		e = &a->map.e[i];
		if (e->klen < kl || memcmp(e->key, key, kl) != 0)
			continue;
		if (e->klen == kl || e->key[kl] == '/')
			store_map_del(&a->map, e->key, e->klen);
	}
}

int
account_save(struct account *a, char **err)
{
	char *dir, *slash;
	int rc;

	if (err != NULL)
		*err = NULL;
	dir = strdup(a->file);
	if (dir == NULL) {
		util_seterr(err, "%s: out of memory", a->file);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (store_mkdirs(dir, err) != 0) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	rc = store_map_save(a->file, &a->map, err);
	return rc;
}

int
account_remove(const char *state_dir, const char *id, char **err)
{
	char *path;
	size_t i;

	if (err != NULL)
		*err = NULL;
	if (!id_valid(id)) {
		util_seterr(err, "\"%s\" is not an AccountID", id != NULL ? id :
		    "(null)");
		return -1;
	}
	for (i = 0; account_suffixes[i] != NULL; i++) {
		path = file_path(state_dir, id, account_suffixes[i]);
		if (path == NULL) {
			util_seterr(err, "account %s: out of memory", id);
			return -1;
		}
		if (unlink(path) == -1 && errno != ENOENT) {
			util_seterr(err, "cannot remove %s: %s", path,
			    strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	return 0;
}

int
account_reload(struct account *a, char **err)
{
	struct store_map m;

	if (err != NULL)
		*err = NULL;
	memset(&m, 0, sizeof(m));
	if (store_map_load(a->file, &m, err) != 0)
		return -1;
	if (m.n == 0) {
		store_map_free(&m);
		return 1;	/* the file is gone (unenrolled): keep ours */
	}
	store_map_free(&a->map);
	a->map = m;
	return 0;
}
