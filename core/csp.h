/*
 * csp: the C<->Lua bridge for CSP scripts. Loads one script into its own
 * lua_State (own memory budget, own globals), validates the table it returns,
 * and calls its verbs under one protected call with a traceback handler, an
 * instruction/time limit and a memory cap. Everything a CSP can do wrong
 * (raise, loop, eat memory, return garbage) becomes a DM status here and the
 * state stays usable. Uses lua_host (states, limits) and lua_dm (the dm.*
 * API); used by tree.
 *
 * The contract a script fulfils (the SDK's `require "dm.csp"` builds it from
 * a declaration; a script may also write it by hand). The script returns:
 *
 *   {
 *     mount    = "./Vendor/X" | { "./DMAcc", "./SyncML/DMAcc" },
 *     stat     = function(ctx, path) -> nil | info        (optional)
 *     get      = function(ctx, path) -> value [, format [, type]]
 *                                     | { child, ... }    (interior node)
 *                                     (value may be a luadm.Blob: below)
 *     add      = function(ctx, path, value, format, type)
 *     replace  = function(ctx, path, value, format, type)
 *     delete   = function(ctx, path)
 *     exec     = function(ctx, path, data, correlator)
 *     begin, commit, rollback = function(ctx)            (optional, Atomic)
 *     flush    = function(ctx)       (optional: persist buffered state; the
 *                                     core calls it after every message and
 *                                     at the end of a `luadm tree` command)
 *     ddf      = function(ctx, path) -> the DDF <Node> XML (optional,
 *                                     `luadm ddf`; the SDK provides it)
 *   }
 *
 * path is relative to the mount, segments decoded (UTF-8) and joined by "/";
 * "" is the mount's own node. info = { format = "chr"|"int"|"bool"|"bin"|
 * "b64"|"float"|"date"|"time"|"xml"|"null"|"node", type = MIME type,
 * access = "Get Replace ..." (the OMA access types the node allows; absent =
 * all), acl = default OMA ACL string, size = number, title = string,
 * description = string }. Without stat, a node exists when get succeeds.
 * For add of an interior node value is nil and format is "node".
 * value is a Lua string, or a luadm.Blob when the value is held in a file
 * (a large object, `luadm tree replace --file`): blob:path(), blob:size(),
 * blob:read() (the whole value, capped by limits.read_cap_mb), #blob and
 * tostring(blob); dm.is_blob(v) tells them apart. The file is the core's:
 * copy it, do not keep its path.
 *
 * get may answer a luadm.Blob too: dm.blob_file(path) (a file under the
 * sysroot, opened at once) or a Blob it was given. The value is then the
 * file's content as it was when opened, and it need not fit in memory:
 * for the engine (csp_take_files) the core takes the Blob's descriptor and
 * sends the file in chunks (outq); for everyone else (luadm tree, Atomic
 * snapshots) csp_get reads it, capped by limits.read_cap_mb. A Blob whose
 * file cannot be opened answers 404 (ENOENT), 425 (EACCES) or 500.
 *
 * Results of add/replace/delete/exec: nothing, nil or true -> 200; a
 * number -> that status (e.g. 202 when finishing asynchronously);
 * nil|false, status [, message] -> that status; nil|false, "message" ->
 * 500 (the Lua idiom `return nil, err`); false -> 500;
 * error({status = 404, message = "..."}) -> that status; any other error
 * -> 500 with the traceback logged. get/stat answering nil -> 404, and
 * nil, "message" -> 500 (404 when the message is ENOENT's text). A
 * message carrying EACCES's or EPERM's text ("Permission denied") -> 425.
 *
 * A CSP cannot escape its limits: the deadline hook re-arms itself so
 * pcall cannot swallow it, xpcall's handler runs after unwinding (and not
 * once the deadline passed), and setmetatable refuses __gc (finalizers run
 * with hooks off).
 *
 * ctx = { scope = "device"|"user", server_id = string|nil, session_id =
 * string|nil, cmd = "Get"|"Add"|..., uri = the URI as the server sent it,
 * mount = the mount path, log = function(ctx, level, message) }.
 */
#ifndef LUADM_CSP_H
#define LUADM_CSP_H

#include <stddef.h>

#include "uri.h"

struct config;

/* Who asks, for ctx. Strings are borrowed for the call. */
struct csp_ctx {
	enum dm_scope	 scope;
	const char	*server_id;	/* NULL for the local administrator */
	const char	*session_id;	/* NULL outside a session */
	const char	*uri;		/* the URI as received */
	const char	*need;		/* when set ("Get", "Replace", ...),
					   the script's stat runs first in the
					   same protected call: 404 when the
					   node is absent, 405 when its access
					   lacks need (one call, not two) */
};

/* 1 when the space-separated access list allows cmd ("Get", ...); a NULL
 * list allows everything. */
int	csp_access_allows(const char *access, const char *cmd);

/* A value in or out of a CSP. All strings malloc'd; free with csp_value_free. */
struct csp_value {
	char	*data;		/* leaf value bytes (NUL-terminated), or NULL */
	size_t	 len;
	char	*file;		/* in: the value is this file's content (a
				   luadm.Blob for the CSP); data is NULL.
				   out, with has_fd: the file's path */
	int	 has_fd;	/* out (csp_take_files): the value is the
				   content of the open file fd, len bytes;
				   data is NULL; csp_value_free closes fd */
	int	 fd;
	char	*format;	/* "chr", "node", ...; NULL = unknown */
	char	*type;		/* MIME type or NULL */
	char	**children;	/* interior node: decoded child names */
	size_t	 nchildren;
};

/* Node metadata from stat. Strings malloc'd; free with csp_info_free. */
struct csp_info {
	char	*format;	/* "node" for interior nodes */
	char	*type;
	char	*access;	/* NULL = all access types */
	char	*acl;		/* default ACL or NULL */
	char	*title;
	char	*description;
	long long size;		/* -1 when unknown */
};

struct csp;

/*
 * Loads the script at path (text only, never bytecode) into a new state.
 * Returns a csp in any case unless out of memory: when the script is broken
 * (syntax error, raises at load, bad mount), csp_broken() tells why and
 * every call answers 500. Free with csp_free().
 */
struct csp *csp_load(const char *path, const struct config *cfg);
void	csp_free(struct csp *c);
/* Points a loaded CSP at a new configuration (limits, sysroot, runner),
 * e.g. after a reload; cfg must outlive it. */
void	csp_rebind(struct csp *c, const struct config *cfg);

/* NULL when loaded fine, else the reason ("file:line: message"). */
const char *csp_broken(const struct csp *c);
const char *csp_path(const struct csp *c);
/* The script's name: its file name without ".lua". */
const char *csp_name(const struct csp *c);
/* The mounts the script declared (decoded, validated); count in *n. */
struct dm_uri *csp_mounts(const struct csp *c, size_t *n);

/*
 * Verbs. Each returns a DM status (200 OK, 404 ...). When msg is not NULL it
 * receives a malloc'd human-readable reason for a failure (or NULL).
 * mount is the index into csp_mounts the node was reached through; path is
 * relative to it.
 */
int	csp_stat(struct csp *c, const struct csp_ctx *ctx, size_t mount,
	    const char *path, struct csp_info *out, char **msg);
int	csp_get(struct csp *c, const struct csp_ctx *ctx, size_t mount,
	    const char *path, struct csp_value *out, char **msg);
int	csp_add(struct csp *c, const struct csp_ctx *ctx, size_t mount,
	    const char *path, const struct csp_value *in, char **msg);
int	csp_replace(struct csp *c, const struct csp_ctx *ctx, size_t mount,
	    const char *path, const struct csp_value *in, char **msg);
int	csp_delete(struct csp *c, const struct csp_ctx *ctx, size_t mount,
	    const char *path, char **msg);
int	csp_exec(struct csp *c, const struct csp_ctx *ctx, size_t mount,
	    const char *path, const char *data, size_t len,
	    const char *correlator, char **msg);
/* Transaction hooks for Atomic. csp_has_tx is 1 when the script defines
 * begin, commit and rollback. Each returns a status. */
int	csp_has_tx(const struct csp *c);
int	csp_begin(struct csp *c, const struct csp_ctx *ctx, char **msg);
int	csp_commit(struct csp *c, const struct csp_ctx *ctx, char **msg);
int	csp_rollback(struct csp *c, const struct csp_ctx *ctx, char **msg);
/*
 * The contract's optional ddf(ctx, path) field: the OMA DM DDF <Node>
 * element (XML text) of the node at path and its subtree. 200 with *xml
 * malloc'd, 406 when the script has no ddf field, another status (and
 * *msg) when it fails.
 */
int	csp_ddf(struct csp *c, const struct csp_ctx *ctx, size_t mount,
	    const char *path, char **xml, char **msg);

/*
 * With on set, a get that answers a luadm.Blob hands its open file over
 * (csp_value has_fd) instead of reading it into memory: the engine turns
 * it on around its own Get, whose Results outq streams from the file.
 */
void	csp_take_files(struct csp *c, int on);

/* Calls flush when defined; returns a status. */
int	csp_flush(struct csp *c, char **msg);

void	csp_value_free(struct csp_value *v);
void	csp_info_free(struct csp_info *i);

#endif
