/*
 * tree: the DM tree as the engine and the CLI see it. Owns the CSPs loaded
 * from the configuration's csp_path, the mount table (the longest mount
 * prefix wins; mount prefixes match ASCII case-insensitively, as Windows
 * servers send ./user/vendor/MSFT/...), the interior nodes above the mounts
 * (read-only, kept by the core), node properties (?prop=Name|Format|Type|
 * ACL|Size|Title) and the ACLs servers set, stored crash-safe in
 * <state_dir>/acl.map.
 *
 * Each operation resolves the URI, checks it (ACL when enforced, the node's
 * access types), implements the tree-level rules (implicit Add of missing
 * interior nodes, 418, 404, 405) and hands the node to its CSP with the
 * path relative to the mount. Operations return a DM status and, through
 * msg (may be NULL), a malloc'd human-readable reason.
 */
#ifndef LUADM_TREE_H
#define LUADM_TREE_H

#include <stddef.h>

#include "acl.h"
#include "csp.h"
#include "uri.h"

struct config;
struct tree;

/* Who asks: NULL server_id = the local administrator (no ACL checks). */
struct tree_who {
	const char	*server_id;
	const char	*session_id;
};

/*
 * Loads every *.lua of every csp_path directory (in order; a later
 * directory's script overrides an earlier one mounted at the same URI).
 * A broken script is logged and skipped; only an unusable configuration or
 * memory exhaustion fails (NULL with *err).
 */
struct tree *tree_new(const struct config *cfg, char **err);
/*
 * Like tree_new, for a reload (SIGHUP): a script that no longer loads keeps
 * its previous, working version from old (taken out of old, which the
 * caller then frees with tree_free as usual).
 */
struct tree *tree_reload(const struct config *cfg, struct tree *old,
	    char **err);
void	tree_free(struct tree *t);

int	tree_get(struct tree *t, const struct tree_who *who,
	    const struct dm_uri *u, struct csp_value *out, char **msg);
int	tree_stat(struct tree *t, const struct tree_who *who,
	    const struct dm_uri *u, struct csp_info *out, char **msg);
int	tree_add(struct tree *t, const struct tree_who *who,
	    const struct dm_uri *u, const struct csp_value *in, char **msg);
int	tree_replace(struct tree *t, const struct tree_who *who,
	    const struct dm_uri *u, const struct csp_value *in, char **msg);
int	tree_delete(struct tree *t, const struct tree_who *who,
	    const struct dm_uri *u, char **msg);
int	tree_exec(struct tree *t, const struct tree_who *who,
	    const struct dm_uri *u, const char *data, size_t len,
	    const char *correlator, char **msg);

/*
 * Which CSP holds u: returns it (or NULL for core nodes and unmounted
 * URIs); *mount gets the mount index. For the engine's Atomic handling.
 */
struct csp *tree_csp_of(struct tree *t, const struct dm_uri *u,
	    size_t *mount);

/* Calls every CSP's flush; returns the first failing status or 200. */
int	tree_flush(struct tree *t);

/* The loaded CSPs, for listings and DDF. */
size_t	tree_ncsp(const struct tree *t);
struct csp *tree_csp(const struct tree *t, size_t i);

/*
 * Joins a child list as a Get on an interior node returns it: each name
 * URI-escaped, joined by "/". malloc'd, NULL on allocation failure.
 */
char	*tree_join_children(char *const *names, size_t n);

#endif
