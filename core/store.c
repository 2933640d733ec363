/*
 * store.c: crash-safe files in the state directory (write to a temporary
 * file, fsync, rename, fsync the directory) and the checksummed map file
 * format described in store.h. Uses OpenSSL's EVP for SHA-256.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store.h"
#include "util.h"

#define MAP_MAGIC	"LUADM-MAP 1\n"
#define MAP_MAGIC_LEN	(sizeof(MAP_MAGIC) - 1)
#define MAP_END		"END "
#define MAP_END_LEN	(sizeof(MAP_END) - 1)
#define SHA256_LEN	32
#define SHA256_HEX_LEN	(2 * SHA256_LEN)
/* Largest map file store_map_load() accepts. */
#define MAP_FILE_MAX	((size_t)64 * 1024 * 1024)

/* Writes all of buf to fd, retrying short writes and EINTR. 0 or -1. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Opens the directory holding path and fsyncs it, so that a rename in it is
 * durable. File systems that cannot sync a directory (EINVAL) are accepted.
 * 0 or -1 with errno set.
 */
static int
sync_parent(const char *path)
{
	const char *slash;
	char *dir = NULL;
	int fd = -1, rc = -1, saved;

	slash = strrchr(path, '/');
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		goto out;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		goto out;
	if (fsync(fd) == -1 && errno != EINVAL)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(dir);
	errno = saved;
	return rc;
}

static int
asprintf_path(char **out, const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;

	*out = malloc(n);
	if (*out == NULL)
		return -1;
	snprintf(*out, n, "%s/%s", dir, name);
	return 0;
}

/*
 * Removes <path>.tmpXXXXXX files a crash left behind (a kill between
 * mkstemp and rename). Only those older than a few minutes: a fresh one
 * may be another luadm process's write in progress.
 */
static void
clean_stale_tmp(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *full;
	const char *base;
	size_t blen;
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *d;

	dir = slash != NULL ? strndup(path, (size_t)(slash - path)) :
	    strdup(".");
	base = slash != NULL ? slash + 1 : path;
	blen = strlen(base);
	if (dir == NULL)
		return;
	d = opendir(dir[0] != '\0' ? dir : "/");
	if (d == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    strlen(de->d_name) != blen + 10 ||
		    strncmp(de->d_name + blen, ".tmp", 4) != 0)
			continue;
		if (asprintf_path(&full, dir, de->d_name) != 0)
			break;
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > 300)
			unlink(full);
		free(full);
	}
	closedir(d);
	free(dir);
}

int
store_write_atomic(const char *path, const void *buf, size_t len, char **err)
{
	return store_write_atomic_mode(path, buf, len, 0600, err);
}

int
store_write_atomic_mode(const char *path, const void *buf, size_t len,
    mode_t mode, char **err)
{
	static const char suffix[] = ".tmpXXXXXX";
	const char *what;
	char *tmp;
	size_t plen;
	int fd, rc, saved;

	plen = strlen(path);
	tmp = malloc(plen + sizeof(suffix));
	if (tmp == NULL) {
		util_seterr(err, "cannot write %s: out of memory", path);
		return -1;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, suffix, sizeof(suffix));

	fd = mkstemp(tmp);
	if (fd == -1) {
		util_seterr(err, "cannot write %s: cannot create temporary "
		    "file: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	what = "set close-on-exec";
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		goto err;
	what = "set mode";
	if (fchmod(fd, mode) == -1)
		goto err;
	what = "write";
	if (write_all(fd, buf, len) == -1)
		goto err;
	what = "fsync";
	if (fsync(fd) == -1)
		goto err;
	what = "close";
	rc = close(fd);
	fd = -1;
	if (rc == -1)
		goto err;
	what = "rename";
	if (rename(tmp, path) == -1)
		goto err;
	free(tmp);
	clean_stale_tmp(path);
	/* The new content is in place; only its durability is in question. */
	if (sync_parent(path) == -1) {
		util_seterr(err, "cannot write %s: fsync of its directory: %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
err:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	util_seterr(err, "cannot write %s: %s: %s", path, what,
	    strerror(saved));
	return -1;
}

int
store_read(const char *path, size_t cap, char **buf, size_t *len,
    char **err)
{
	struct stat st;
	char *p = NULL, *np;
	size_t size, got = 0;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		util_seterr(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		util_seterr(err, "cannot stat %s: %s", path, strerror(errno));
		goto err;
	}
	if (S_ISDIR(st.st_mode)) {
		util_seterr(err, "cannot read %s: %s", path, strerror(EISDIR));
		goto err;
	}
	if (st.st_size > 0 && (uintmax_t)st.st_size > cap) {
		util_seterr(err, "cannot read %s: file too big (%jd bytes, "
		    "limit %zu)", path, (intmax_t)st.st_size, cap);
		goto err;
	}
	/* st_size is a hint: the file may change, or be a pipe or /proc. */
	size = st.st_size > 0 ? (size_t)st.st_size : 4095;
	if (size > cap)
		size = cap;
	/* One more byte: room for the NUL, or to notice a file over cap. */
	size += size < SIZE_MAX;
	p = malloc(size);
	if (p == NULL) {
		util_seterr(err, "cannot read %s: out of memory", path);
		goto err;
	}
	for (;;) {
		if (got == size) {
			/* Full: grow, but never read more than cap + 1. */
			if (got > cap)
				break;
			size = size > SIZE_MAX / 2 ? SIZE_MAX : size * 2;
			if (cap < SIZE_MAX && size > cap)
				size = cap + 1;
			np = realloc(p, size);
			if (np == NULL) {
				util_seterr(err, "cannot read %s: out of "
				    "memory", path);
				goto err;
			}
			p = np;
		}
		r = read(fd, p + got, size - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			util_seterr(err, "cannot read %s: %s", path,
			    strerror(errno));
			goto err;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > cap) {
		util_seterr(err, "cannot read %s: file too big (limit %zu "
		    "bytes)", path, cap);
		goto err;
	}
	close(fd);
	if (got == size) {
		np = realloc(p, got + 1);
		if (np == NULL) {
			free(p);
			util_seterr(err, "cannot read %s: out of memory", path);
			return -1;
		}
		p = np;
	}
	p[got] = '\0';
	*buf = p;
	*len = got;
	return 0;
err:
	close(fd);
	free(p);
	return -1;
}

int
store_mkdirs(const char *dir, char **err)
{
	struct stat st;
	char *p = NULL, *s;
	int rc = -1;

	if (dir[0] == '\0') {
		util_seterr(err, "cannot create directory: empty path");
		return -1;
	}
	p = strdup(dir);
	if (p == NULL) {
		util_seterr(err, "cannot create %s: out of memory", dir);
		return -1;
	}
	/* Create every proper prefix ending before a '/', then dir itself. */
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) == -1 && errno != EEXIST) {
				util_seterr(err, "cannot create %s: %s", p,
				    strerror(errno));
				goto out;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	if (stat(dir, &st) == -1) {
		util_seterr(err, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		util_seterr(err, "cannot create %s: %s", dir,
		    strerror(ENOTDIR));
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

void
store_map_free(struct store_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->e[i].key);
		free(m->e[i].val);
	}
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* memcmp order; a proper prefix sorts first. */
static int
key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c;

	/* n == 0 may come with NULL pointers, which memcmp must not see. */
	if (n > 0) {
		c = memcmp(a, b, n);
		if (c != 0)
			return c;
	}
	if (alen < blen)
		return -1;
	return alen > blen;
}

/*
 * Binary search. Returns 1 and the index of key in *at, or 0 and the index
 * where it would be inserted.
 */
static int
map_find(const struct store_map *m, const char *key, size_t klen, size_t *at)
{
	size_t lo = 0, hi = m->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = key_cmp(m->e[mid].key, m->e[mid].klen, key, klen);
		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

/* A malloc'd NUL-terminated copy of len bytes at s (s may be NULL if 0). */
static char *
bytes_dup(const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = malloc(len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Makes room for one more entry. 0 or -1. */
static int
map_grow(struct store_map *m)
{
	struct store_entry *ne;
	size_t ncap;

	if (m->n < m->cap)
		return 0;
	ncap = m->cap == 0 ? 16 : m->cap * 2;
	if (ncap < m->cap || ncap > SIZE_MAX / sizeof(*ne))
		return -1;
	ne = realloc(m->e, ncap * sizeof(*ne));
	if (ne == NULL)
		return -1;
	m->e = ne;
	m->cap = ncap;
	return 0;
}

int
store_map_set(struct store_map *m, const char *key, size_t klen,
    const char *val, size_t vlen)
{
	struct store_entry *e;
	char *k, *v;
	size_t at;

	v = bytes_dup(val, vlen);
	if (v == NULL)
		return -1;
	if (map_find(m, key, klen, &at)) {
		e = &m->e[at];
		free(e->val);
		e->val = v;
		e->vlen = vlen;
		return 0;
	}
	k = bytes_dup(key, klen);
	if (k == NULL || map_grow(m) == -1) {
		free(k);
		free(v);
		return -1;
	}
	memmove(&m->e[at + 1], &m->e[at], (m->n - at) * sizeof(m->e[0]));
	e = &m->e[at];
	e->key = k;
	e->klen = klen;
	e->val = v;
	e->vlen = vlen;
	m->n++;
	return 0;
}

const struct store_entry *
store_map_get(const struct store_map *m, const char *key, size_t klen)
{
	size_t at;

	if (!map_find(m, key, klen, &at))
		return NULL;
	return &m->e[at];
}

int
store_map_del(struct store_map *m, const char *key, size_t klen)
{
	size_t at;

	if (!map_find(m, key, klen, &at))
		return 0;
	free(m->e[at].key);
	free(m->e[at].val);
	memmove(&m->e[at], &m->e[at + 1], (m->n - at - 1) * sizeof(m->e[0]));
	m->n--;
	return 1;
}

/* Lower-case hex SHA-256 of buf into hex (SHA256_HEX_LEN + 1 bytes). */
static int
sha256_hex(const char *buf, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != SHA256_LEN)
		return -1;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

/* Number of decimal digits of v. */
static size_t
dec_len(size_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Adds b to *a; -1 on overflow. */
static int
add_size(size_t *a, size_t b)
{
	if (*a > SIZE_MAX - b)
		return -1;
	*a += b;
	return 0;
}

int
store_map_encode(const struct store_map *m, char **buf, size_t *len)
{
	const struct store_entry *e;
	char hex[SHA256_HEX_LEN + 1];
	char *out, *p;
	size_t total, i;
	int n;

	*buf = NULL;
	*len = 0;
	total = MAP_MAGIC_LEN;
	for (i = 0; i < m->n; i++) {
		e = &m->e[i];
		/* "<klen>:<key>,<vlen>:<value>\n" */
		if (add_size(&total, dec_len(e->klen) + 1) == -1 ||
		    add_size(&total, e->klen) == -1 ||
		    add_size(&total, dec_len(e->vlen) + 3) == -1 ||
		    add_size(&total, e->vlen) == -1)
			return -1;
	}
	/* "END <count> <hex>\n" plus the NUL snprintf writes */
	if (add_size(&total, MAP_END_LEN + dec_len(m->n) + 1 +
	    SHA256_HEX_LEN + 2) == -1)
		return -1;
	out = malloc(total);
	if (out == NULL)
		return -1;
	p = out;
	memcpy(p, MAP_MAGIC, MAP_MAGIC_LEN);
	p += MAP_MAGIC_LEN;
	for (i = 0; i < m->n; i++) {
		e = &m->e[i];
		n = snprintf(p, total - (size_t)(p - out), "%zu:", e->klen);
		p += n;
		if (e->klen > 0)
			memcpy(p, e->key, e->klen);
		p += e->klen;
		n = snprintf(p, total - (size_t)(p - out), ",%zu:", e->vlen);
		p += n;
		if (e->vlen > 0)
			memcpy(p, e->val, e->vlen);
		p += e->vlen;
		*p++ = '\n';
	}
	if (sha256_hex(out, (size_t)(p - out), hex) == -1) {
		free(out);
		return -1;
	}
	n = snprintf(p, total - (size_t)(p - out), "END %zu %s\n", m->n, hex);
	p += n;
	*buf = out;
	*len = (size_t)(p - out);
	return 0;
}

/*
 * Parses a canonical decimal number (digits only, no sign, no leading zero
 * unless it is "0") at buf[*pos..len) that is at most max. Advances *pos.
 * 0 or -1.
 */
static int
parse_dec(const char *buf, size_t len, size_t *pos, size_t max, size_t *out)
{
	size_t p = *pos, v = 0, d;

	if (p >= len || buf[p] < '0' || buf[p] > '9')
		return -1;
	if (buf[p] == '0' && p + 1 < len && buf[p + 1] >= '0' &&
	    buf[p + 1] <= '9')
		return -1;
	while (p < len && buf[p] >= '0' && buf[p] <= '9') {
		d = (size_t)(buf[p] - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
	}
	*pos = p;
	*out = v;
	return 0;
}

/*
 * Parses "<n>:<n bytes>" at buf[*pos..len) into a malloc'd NUL-terminated
 * copy. Lengths beyond the end of the buffer are refused before any
 * allocation. 0 or -1 (*oom set when the failure was an allocation).
 */
static int
parse_field(const char *buf, size_t len, size_t *pos, char **out,
    size_t *outlen, int *oom)
{
	size_t p = *pos, n;

	if (parse_dec(buf, len, &p, len - p, &n) == -1)
		return -1;
	if (p >= len || buf[p] != ':')
		return -1;
	p++;
	if (n > len - p)
		return -1;
	*out = bytes_dup(buf + p, n);
	if (*out == NULL) {
		*oom = 1;
		return -1;
	}
	*outlen = n;
	*pos = p + n;
	return 0;
}

int
store_map_decode(const char *buf, size_t len, struct store_map *m,
    char **err)
{
	struct store_map tmp = { 0 };
	struct store_entry *e, *prev;
	char hex[SHA256_HEX_LEN + 1];
	char *k = NULL, *v = NULL;
	size_t pos, endpos, count, kl, vl;
	int oom = 0;

	store_map_free(m);
	if (len < MAP_MAGIC_LEN || memcmp(buf, MAP_MAGIC, MAP_MAGIC_LEN) != 0) {
		util_seterr(err, "not a map file (bad magic line)");
		return -1;
	}
	pos = MAP_MAGIC_LEN;
	for (;;) {
		if (pos >= len) {
			util_seterr(err, "truncated: no END line");
			goto err;
		}
		if (buf[pos] < '0' || buf[pos] > '9')
			break;
		if (parse_field(buf, len, &pos, &k, &kl, &oom) == -1) {
			util_seterr(err, oom ? "out of memory" :
			    "entry %zu: bad key", tmp.n + 1);
			goto err;
		}
		if (pos >= len || buf[pos] != ',') {
			util_seterr(err, "entry %zu: missing ',' after key",
			    tmp.n + 1);
			goto err;
		}
		pos++;
		if (parse_field(buf, len, &pos, &v, &vl, &oom) == -1) {
			util_seterr(err, oom ? "out of memory" :
			    "entry %zu: bad value", tmp.n + 1);
			goto err;
		}
		if (pos >= len || buf[pos] != '\n') {
			util_seterr(err, "entry %zu: missing newline after "
			    "value", tmp.n + 1);
			goto err;
		}
		pos++;
		prev = tmp.n > 0 ? &tmp.e[tmp.n - 1] : NULL;
		if (prev != NULL &&
		    key_cmp(prev->key, prev->klen, k, kl) >= 0) {
			util_seterr(err, "entry %zu: keys not sorted or "
			    "duplicated", tmp.n + 1);
			goto err;
		}
		if (map_grow(&tmp) == -1) {
			util_seterr(err, "out of memory");
			goto err;
		}
		e = &tmp.e[tmp.n++];
		e->key = k;
		e->klen = kl;
		e->val = v;
		e->vlen = vl;
		k = v = NULL;
	}

	/* "END <count> <64 lower-case hex>\n" and nothing after it. */
	endpos = pos;
	if (len - pos < MAP_END_LEN ||
	    memcmp(buf + pos, MAP_END, MAP_END_LEN) != 0) {
		util_seterr(err, "bad record after entry %zu", tmp.n);
		goto err;
	}
	pos += MAP_END_LEN;
	if (parse_dec(buf, len, &pos, SIZE_MAX, &count) == -1 ||
	    pos >= len || buf[pos] != ' ') {
		util_seterr(err, "bad END line");
		goto err;
	}
	pos++;
	if (len - pos < SHA256_HEX_LEN + 1 ||
	    buf[pos + SHA256_HEX_LEN] != '\n') {
		util_seterr(err, "bad END line");
		goto err;
	}
	if (len - pos > SHA256_HEX_LEN + 1) {
		util_seterr(err, "trailing data after END line");
		goto err;
	}
	if (count != tmp.n) {
		util_seterr(err, "entry count mismatch: END says %zu, found "
		    "%zu", count, tmp.n);
		goto err;
	}
	if (sha256_hex(buf, endpos, hex) == -1) {
		util_seterr(err, "cannot compute SHA-256");
		goto err;
	}
	if (memcmp(hex, buf + pos, SHA256_HEX_LEN) != 0) {
		util_seterr(err, "checksum mismatch");
		goto err;
	}
	*m = tmp;
	return 0;
err:
	free(k);
	free(v);
	store_map_free(&tmp);
	return -1;
}

int
store_map_load(const char *path, struct store_map *m, char **err)
{
	char *buf = NULL, *why = NULL;
	size_t len;
	int rc;

	store_map_free(m);
	rc = store_read(path, MAP_FILE_MAX, &buf, &len, err);
	if (rc == 1)
		return 0;
	if (rc == -1)
		return -1;
	rc = store_map_decode(buf, len, m, &why);
	free(buf);
	if (rc == -1) {
		util_seterr(err, "%s: corrupt map file: %s", path,
		    why != NULL ? why : "out of memory");
		free(why);
		return -1;
	}
	return 0;
}

int
store_map_save(const char *path, const struct store_map *m, char **err)
{
	char *buf;
	size_t len;
	int rc;

	if (store_map_encode(m, &buf, &len) == -1) {
		util_seterr(err, "cannot write %s: out of memory", path);
		return -1;
	}
	rc = store_write_atomic(path, buf, len, err);
	free(buf);
	return rc;
}
