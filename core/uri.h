/*
 * uri: LocURIs of the DM tree. Parses what a server (or the CLI) sends into
 * decoded segments and a scope, enforcing the node-name rules of the
 * reference document; escapes names on the way out. Pure functions over
 * strings: no tree, no I/O.
 *
 * Rules (oma-dm-protocol-support.md "Nodes", omadm-spec.md section 7):
 * - "./A/B" and relative "A/B" are the same node; "." alone is the root;
 *   "./" alone, "" and anything ending in "/" are refused (400).
 * - A LocURI starting with "/" is refused (400).
 * - Every segment after the first must be non-empty, not "." or "..", not "*";
 *   "." may appear inside a name ("a.b"). A trailing "/" is an empty segment.
 * - Each segment is %-decoded exactly once; a bad escape, a decoded "/" or
 *   NUL, or decoded bytes that are not valid UTF-8 -> 400.
 * - A first segment "user"/"device" (any case) is a scope prefix, removed
 *   from the segments: ./Device/Vendor/MSFT/X is ./Vendor/MSFT/X in scope
 *   device; no prefix means device.
 * - "?prop=Name" and "?list=Spec" after the path are kept apart; any other
 *   query -> 400. The value (after the first "?") must be non-empty, hold
 *   no raw "&", "=" or "?", and is %-decoded like a segment.
 * - Over URI_MAX_TOTLEN bytes (the whole string, query included),
 *   URI_MAX_DEPTH segments (not counting a scope prefix) or URI_MAX_SEGLEN
 *   bytes in one decoded segment -> 414.
 */
#ifndef LUADM_URI_H
#define LUADM_URI_H

#include <stddef.h>

#define URI_MAX_TOTLEN	4096	/* reported as ./DevDetail/URI/MaxTotLen */
#define URI_MAX_DEPTH	64	/* reported as ./DevDetail/URI/MaxDepth */
#define URI_MAX_SEGLEN	255	/* reported as ./DevDetail/URI/MaxSegLen */

enum dm_scope {
	DM_SCOPE_DEVICE,
	DM_SCOPE_USER
};

struct dm_uri {
	char		*orig;	/* the string as given, byte for byte */
	enum dm_scope	 scope;
	int		 scoped;	/* 1 if a scope prefix was given */
	char		**seg;	/* decoded segments (scope prefix removed) */
	size_t		 nseg;	/* 0 = the root "." */
	char		*prop;	/* decoded value of ?prop=, or NULL */
	char		*list;	/* decoded value of ?list=, or NULL */
};

/*
 * Parses s into *out. Returns 0 (*why set to NULL), or a DM status (400 bad
 * URI, 414 too long, 500 out of memory) with *why set to a static English
 * reason; why may be NULL. On error *out is left empty (uri_free is still
 * safe). Free with uri_free(), which accepts NULL and an emptied dm_uri.
 * The strings and the seg array are one allocation: never free a field on
 * its own (copying the struct to change nseg or prop is fine).
 */
int	uri_parse(const char *s, struct dm_uri *out, const char **why);
void	uri_free(struct dm_uri *u);

/*
 * Escapes one node name for output: every byte except ALPHA, DIGIT and
 * "-._~" becomes %XX (upper-case hex). Returns a malloc'd string or NULL on
 * allocation failure.
 */
char	*uri_escape_segment(const char *name);

/*
 * Decodes %XX escapes of one segment. Returns a malloc'd string, or NULL
 * with *why set when the escape is bad or the result holds "/" or NUL or
 * invalid UTF-8.
 */
char	*uri_unescape_segment(const char *seg, size_t len, const char **why);

/*
 * Joins n segments into "./a/b" with each segment escaped; n == 0 gives ".".
 * Returns a malloc'd string or NULL.
 */
char	*uri_join(char *const *seg, size_t n);

/*
 * Joins n decoded segments with "/" and no escaping and no "./" ("a/b");
 * the form CSPs see relative to their mount. n == 0 gives "".
 */
char	*uri_join_plain(char *const *seg, size_t n);

/*
 * uri_join_plain into buf (size bytes) when it fits there, else into a
 * new string: returns buf, a malloc'd string (to free when it is not buf)
 * or NULL when memory runs out.
 */
char	*uri_join_plain_buf(char *const *seg, size_t n, char *buf,
	    size_t size);

/*
 * 1 when name (decoded) is an acceptable node name: 1 to URI_MAX_SEGLEN
 * bytes of valid UTF-8, no "/", and not ".", ".." or "*".
 */
int	uri_name_valid(const char *name);

#endif
