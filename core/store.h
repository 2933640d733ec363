/*
 * store: crash-safe persistent files in the state directory. Every write goes
 * to a temporary file in the same directory, is fsync'd, renamed over the old
 * file, and the directory is fsync'd, so a crash at any moment leaves the old
 * or the new content, never a mix. Files are created mode 0600.
 *
 * On top of that, a "map" file holds a flat string -> string map (keys and
 * values are arbitrary bytes) in a simple checksummed record format:
 *   "LUADM-MAP 1\n" then per entry "<klen>:<key>,<vlen>:<value>\n",
 *   then "END <count> <sha256 hex of everything before this line>\n".
 * A map file that fails its checksum is reported as corrupt, never used
 * half-read. Used for CSP node stores, accounts, nonces and pending alerts.
 */
#ifndef LUADM_STORE_H
#define LUADM_STORE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes len bytes to path atomically (see above), mode 0600. Returns 0, or
 * -1 with a malloc'd message naming the file and cause in *err (caller
 * frees; err may be NULL). On failure no temporary file is left and the old
 * file is untouched, except when only the final directory fsync fails: then
 * the new content is already in place but may not survive a crash.
 */
int	store_write_atomic(const char *path, const void *buf, size_t len,
	    char **err);

/* Like store_write_atomic with the given file mode (e.g. 0644). */
int	store_write_atomic_mode(const char *path, const void *buf, size_t len,
	    mode_t mode, char **err);

/*
 * Reads the whole file into a malloc'd, NUL-terminated buffer (*buf, *len
 * without the NUL). Returns 0, 1 when the file does not exist (*buf = NULL),
 * or -1 with *err set (too big: more than cap bytes, or an I/O error).
 */
int	store_read(const char *path, size_t cap, char **buf, size_t *len,
	    char **err);

/* Creates dir and its parents (mode 0700) when missing. 0 or -1 + *err. */
int	store_mkdirs(const char *dir, char **err);

/* key and val are malloc'd copies, each followed by a NUL not in the length. */
struct store_entry {
	char	*key;
	size_t	 klen;
	char	*val;
	size_t	 vlen;
};

struct store_map {
	struct store_entry	*e;	/* sorted by key (memcmp order) */
	size_t			 n;
	size_t			 cap;
};

/* An empty map is all zeroes; store_map_free accepts one. */
void	store_map_free(struct store_map *m);
/* Sets (copies) key -> val, replacing an old value. 0 or -1 (ENOMEM). */
int	store_map_set(struct store_map *m, const char *key, size_t klen,
	    const char *val, size_t vlen);
/* Returns the entry for key or NULL. */
const struct store_entry *store_map_get(const struct store_map *m,
	    const char *key, size_t klen);
/* Removes key; returns 1 when it was there, else 0. */
int	store_map_del(struct store_map *m, const char *key, size_t klen);

/* Serialises m in the format above. malloc'd buffer; 0 or -1. */
int	store_map_encode(const struct store_map *m, char **buf, size_t *len);
/*
 * Parses a buffer in the format above into *m (emptied first). 0 or -1 with
 * *err set (bad format, bad checksum) and *m left empty. Only the canonical
 * form store_map_encode() writes is accepted: lengths and the count are
 * plain decimal without sign or leading zero, keys are strictly increasing,
 * the checksum is lower-case hex, nothing follows the END line.
 */
int	store_map_decode(const char *buf, size_t len, struct store_map *m,
	    char **err);

/*
 * Loads a map file into *m (emptied first): 0 (missing file = empty map) or
 * -1 with *err ("<path>: corrupt map file: ..." for a bad file; files over
 * 64 MiB are refused).
 */
int	store_map_load(const char *path, struct store_map *m, char **err);
/* Saves a map file atomically: 0 or -1 with *err. */
int	store_map_save(const char *path, const struct store_map *m, char **err);

#endif
