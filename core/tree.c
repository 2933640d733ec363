/*
 * tree.c: mounts, core interior nodes, properties, ACLs and the tree-level
 * rules of Add/Replace/Delete/Exec/Get. See tree.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "config.h"
#include "dm_status.h"
#include "log.h"
#include "store.h"
#include "tree.h"
#include "util.h"

struct mount {
	struct csp		*csp;
	size_t			 idx;	/* index into the csp's mounts */
	const struct dm_uri	*uri;
};

struct tree {
	const struct config	*cfg;
	struct csp		**csps;
	size_t			 ncsps;
	struct mount		*mounts;
	size_t			 nmounts;
	struct store_map	 acls;	/* "A/B" (decoded, plain) -> ACL */
	char			*acl_file;
};

/* Where a URI lands. Passed by address only: path may point into buf. */
struct where {
	struct mount	*m;	/* NULL: a core node or nothing */
	char		*path;	/* relative to the mount: buf, or malloc'd
				   when longer */
	int		 core;	/* 1: a core interior node (root, ./Vendor) */
	char		 buf[128];	/* the usual path: no malloc per command */
};

static int
seg_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* 1 when the first n segments of u equal mount m's segments. */
static int
prefix_match(const struct dm_uri *m, char *const *seg, size_t n)
{
	size_t i;

	if (m->nseg > n)
		return 0;
	for (i = 0; i < m->nseg; i++)
		if (!seg_eq(m->seg[i], seg[i]))
			return 0;
	return 1;
}

/* 1 when the first n segments of mount m equal seg[0..n). */
static int
prefix_match_n(const struct dm_uri *m, char *const *seg, size_t n)
{
	size_t i;

	if (m->nseg < n)
		return 0;
	for (i = 0; i < n; i++)
		if (!seg_eq(m->seg[i], seg[i]))
			return 0;
	return 1;
}

static void
where_free(struct where *w)
{
	if (w->path != w->buf)
		free(w->path);
	w->path = NULL;
}

/* Resolves u: 0, or 404 with *msg; on 0 the caller frees w. */
static int
resolve(struct tree *t, const struct dm_uri *u, struct where *w, char **msg)
{
	struct mount *best = NULL;
	size_t i;

	w->m = NULL;
	w->path = NULL;
	w->core = 0;
	for (i = 0; i < t->nmounts; i++)
		if (prefix_match(t->mounts[i].uri, u->seg, u->nseg) &&
		    (best == NULL || t->mounts[i].uri->nseg > best->uri->nseg))
			best = &t->mounts[i];
	if (best != NULL) {
		w->m = best;
		w->path = uri_join_plain_buf(u->seg + best->uri->nseg,
		    u->nseg - best->uri->nseg, w->buf, sizeof(w->buf));
		if (w->path == NULL) {
			if (msg != NULL)
				*msg = strdup("out of memory");
			return DM_COMMAND_FAILED;
		}
		return 0;
	}
	/* a core interior node: the root or a proper prefix of a mount */
	if (u->nseg == 0) {
		w->core = 1;
		return 0;
	}
	for (i = 0; i < t->nmounts; i++)
		if (t->mounts[i].uri->nseg > u->nseg &&
		    prefix_match(u, t->mounts[i].uri->seg, u->nseg)) {
			w->core = 1;
			return 0;
		}
	if (msg != NULL)
		*msg = util_asprintf("%s: no such node (no CSP is mounted "
		    "there)", u->orig);
	return DM_NOT_FOUND;
}

/* Children of a core node: the next segment of each mount below it. */
static int
core_children(struct tree *t, const struct dm_uri *u, struct csp_value *out)
{
	size_t i, j;
	const char *name;

	memset(out, 0, sizeof(*out));
	out->children = calloc(t->nmounts + 1, sizeof(char *));
	out->format = strdup("node");
	if (out->children == NULL || out->format == NULL)
		goto nomem;
	for (i = 0; i < t->nmounts; i++) {
		if (t->mounts[i].uri->nseg <= u->nseg ||
		    !prefix_match(u, t->mounts[i].uri->seg, u->nseg))
			continue;
		name = t->mounts[i].uri->seg[u->nseg];
		for (j = 0; j < out->nchildren; j++)
			if (seg_eq(out->children[j], name))
				break;
		if (j < out->nchildren)
			continue;
		out->children[out->nchildren] = strdup(name);
		if (out->children[out->nchildren] == NULL)
			goto nomem;
		out->nchildren++;
	}
	return DM_OK;
nomem:
	csp_value_free(out);
	return DM_COMMAND_FAILED;
}

static void
ctx_init(struct csp_ctx *ctx, const struct tree_who *who,
    const struct dm_uri *u)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->scope = u->scope;
	ctx->server_id = who != NULL ? who->server_id : NULL;
	ctx->session_id = who != NULL ? who->session_id : NULL;
	ctx->uri = u->orig;
}

/*
 * The key under which the ACL of the node seg[0..n) is kept: the segments
 * spelled as the mount that covers them spells them (mount prefixes match
 * case-insensitively, so ./vendor/x and ./Vendor/X are one node and must
 * have one ACL), then the rest as sent. malloc'd, NULL on ENOMEM.
 */
static char *
acl_key(struct tree *t, char *const *seg, size_t n)
{
	const struct dm_uri *m = NULL;
	char **canon, *key;
	size_t i, k;

	for (i = 0; i < t->nmounts; i++) {
		const struct dm_uri *mu = t->mounts[i].uri;

		/* a mount covering the node, or one the node is above */
		k = mu->nseg < n ? mu->nseg : n;
		if (!prefix_match(mu, seg, n) && !(mu->nseg > n &&
		    prefix_match_n(mu, seg, n)))
			continue;
		if (m == NULL || (k == n ? mu->nseg : k) > m->nseg)
			m = mu;
	}
	canon = calloc(n + 1, sizeof(*canon));
	if (canon == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		canon[i] = m != NULL && i < m->nseg ? m->seg[i] : seg[i];
	key = uri_join_plain(canon, n);
	free(canon);
	return key;
}

/* The ACL explicitly set on the node with these segments, or NULL. */
static const char *
acl_explicit(struct tree *t, char *const *seg, size_t n)
{
	const struct store_entry *e;
	char *key;

	key = acl_key(t, seg, n);
	if (key == NULL)
		return NULL;
	e = store_map_get(&t->acls, key, strlen(key));
	free(key);
	return e != NULL && e->vlen > 0 ? e->val : NULL;
}

/* Saves the ACL map; 0, or a status with *msg. */
static int
acl_save(struct tree *t, char **msg)
{
	char *err = NULL;

	if (store_mkdirs(t->cfg->state_dir, &err) == 0 &&
	    store_map_save(t->acl_file, &t->acls, &err) == 0)
		return 0;
	log_warnx("%s", err != NULL ? err : "out of memory");
	if (msg != NULL)
		*msg = err;
	else
		free(err);
	return DM_COMMAND_FAILED;
}

/*
 * Checks the ACL in force on u for cmd: the nearest ACL up the tree, set
 * by a server or declared by the CSP, else the configured default.
 * Returns 0 or 425 with *msg.
 */
static int
acl_check(struct tree *t, const struct tree_who *who, const struct dm_uri *u,
    enum acl_cmd cmd, char **msg)
{
	struct dm_uri up;
	struct csp_info info;
	struct csp_ctx ctx;
	struct where w;
	const char *acl = NULL;
	char *owned = NULL;
	size_t n;
	int ok;

	if (!t->cfg->acl_enforce || who == NULL || who->server_id == NULL)
		return 0;
	for (n = u->nseg + 1; n-- > 0 && acl == NULL;) {
		acl = acl_explicit(t, u->seg, n);
		if (acl != NULL)
			break;
		up = *u;
		up.nseg = n;
		if (resolve(t, &up, &w, NULL) != 0)
			continue;
		if (w.m != NULL) {
			ctx_init(&ctx, who, &up);
			if (csp_stat(w.m->csp, &ctx, w.m->idx, w.path, &info,
			    NULL) == DM_OK && info.acl != NULL &&
			    info.acl[0] != '\0') {
				owned = info.acl;
				info.acl = NULL;
				acl = owned;
			}
			csp_info_free(&info);
		}
		where_free(&w);
	}
	if (acl == NULL)
		acl = t->cfg->acl_default;
	ok = acl_allows(acl, cmd, who->server_id);
	free(owned);
	if (ok)
		return 0;
	if (msg != NULL)
		*msg = util_asprintf("%s: the ACL does not allow %s for server "
		    "%s", u->orig, acl_cmd_name(cmd), who->server_id);
	return DM_PERMISSION_DENIED;
}

/* Property Get (?prop=...). */
static int
prop_get(struct tree *t, const struct tree_who *who, const struct dm_uri *u,
    struct csp_value *out, char **msg)
{
	struct csp_info info;
	struct csp_value v;
	const char *p = u->prop, *s = NULL, *acl;
	char *owned = NULL;
	int st;

	memset(out, 0, sizeof(*out));
	st = acl_check(t, who, u, ACL_GET, msg);
	if (st != 0)
		return st;
	st = tree_stat(t, who, u, &info, msg);
	if (st != DM_OK)
		return st;
	if (strcmp(p, "Name") == 0) {
		s = u->nseg > 0 ? u->seg[u->nseg - 1] : ".";
	} else if (strcmp(p, "Format") == 0) {
		s = info.format != NULL ? info.format : "chr";
	} else if (strcmp(p, "Type") == 0) {
		s = info.type != NULL ? info.type :
		    (info.format != NULL && strcmp(info.format, "node") == 0 ?
		    "" : "text/plain");
	} else if (strcmp(p, "ACL") == 0) {
		acl = acl_explicit(t, u->seg, u->nseg);
		s = acl != NULL ? acl : (info.acl != NULL ? info.acl : "");
	} else if (strcmp(p, "Title") == 0 && info.title != NULL) {
		s = info.title;
	} else if (strcmp(p, "Size") == 0 && info.format != NULL &&
	    strcmp(info.format, "node") != 0) {
		if (info.size < 0) {
			struct dm_uri plain = *u;

			plain.prop = NULL;
			st = tree_get(t, who, &plain, &v, msg);
			if (st != DM_OK) {
				csp_info_free(&info);
				return st;
			}
			info.size = (long long)v.len;
			csp_value_free(&v);
		}
		owned = util_asprintf("%lld", info.size);
		s = owned;
	} else {
		if (msg != NULL)
			*msg = util_asprintf("%s: property %s is not "
			    "supported", u->orig, p);
		csp_info_free(&info);
		return DM_OPTIONAL_FEATURE;
	}
	out->data = s != NULL ? strdup(s) : NULL;
	out->len = s != NULL ? strlen(s) : 0;
	out->format = strdup(strcmp(p, "Size") == 0 ? "int" : "chr");
	csp_info_free(&info);
	free(owned);
	if (out->data == NULL || out->format == NULL) {
		csp_value_free(out);
		return DM_COMMAND_FAILED;
	}
	return DM_OK;
}

/* Property Replace: only ACL can be changed. */
static int
prop_replace(struct tree *t, const struct tree_who *who,
    const struct dm_uri *u, const struct csp_value *in, char **msg)
{
	struct csp_info info;
	struct dm_uri parent;
	char *key = NULL;
	const char *val = in != NULL && in->data != NULL ? in->data : "";
	int st;

	if (strcmp(u->prop, "ACL") != 0) {
		if (msg != NULL)
			*msg = util_asprintf("%s: property %s cannot be "
			    "replaced", u->orig, u->prop);
		return strcmp(u->prop, "Name") == 0 ||
		    strcmp(u->prop, "Format") == 0 ||
		    strcmp(u->prop, "Type") == 0 ||
		    strcmp(u->prop, "Size") == 0 ||
		    strcmp(u->prop, "Title") == 0 ? DM_NOT_ALLOWED :
		    DM_OPTIONAL_FEATURE;
	}
	st = tree_stat(t, who, u, &info, msg);
	if (st != DM_OK)
		return st;
	csp_info_free(&info);
	if (!acl_valid(val)) {
		if (msg != NULL)
			*msg = util_asprintf("%s: not a valid ACL: \"%s\"",
			    u->orig, val);
		return DM_BAD_REQUEST;
	}
	/* changing a node's ACL takes Replace rights on its parent */
	parent = *u;
	parent.prop = NULL;
	if (parent.nseg > 0)
		parent.nseg--;
	st = acl_check(t, who, &parent, ACL_REPLACE, msg);
	if (st != 0)
		return st;
	key = acl_key(t, u->seg, u->nseg);
	if (key == NULL)
		return DM_COMMAND_FAILED;
	if (val[0] == '\0')
		store_map_del(&t->acls, key, strlen(key));
	else if (store_map_set(&t->acls, key, strlen(key), val,
	    strlen(val)) != 0) {
		free(key);
		return DM_COMMAND_FAILED;
	}
	free(key);
	st = acl_save(t, msg);
	return st != 0 ? st : DM_OK;
}

int
tree_stat(struct tree *t, const struct tree_who *who, const struct dm_uri *u,
    struct csp_info *out, char **msg)
{
	struct csp_ctx ctx;
	struct where w;
	int st;

	memset(out, 0, sizeof(*out));
	out->size = -1;
	st = resolve(t, u, &w, msg);
	if (st != 0)
		return st;
	if (w.core) {
		out->format = strdup("node");
		out->access = strdup("Get");
		where_free(&w);
		return out->format != NULL && out->access != NULL ? DM_OK :
		    DM_COMMAND_FAILED;
	}
	ctx_init(&ctx, who, u);
	st = csp_stat(w.m->csp, &ctx, w.m->idx, w.path, out, msg);
	if (st == DM_NOT_FOUND && msg != NULL && *msg == NULL)
		*msg = util_asprintf("%s: no such node", u->orig);
	where_free(&w);
	return st;
}

/*
 * Common prologue of the verbs on an existing node: resolves and checks
 * the ACL; core nodes allow only Get. Whether a CSP's node exists and
 * allows cmd is checked in the verb's own call (csp_ctx.need). On 0 the
 * caller frees *w.
 */
static int
existing(struct tree *t, const struct tree_who *who, const struct dm_uri *u,
    const char *cmd, enum acl_cmd acmd, struct where *w, char **msg)
{
	int st;

	st = resolve(t, u, w, msg);
	if (st != 0)
		return st;
	st = acl_check(t, who, u, acmd, msg);
	if (st != 0)
		goto fail;
	if (w->core) {
		if (acmd == ACL_GET)
			return 0;
		if (msg != NULL)
			*msg = util_asprintf("%s: %s is not allowed on an "
			    "interior node of the core", u->orig, cmd);
		st = DM_NOT_ALLOWED;
		goto fail;
	}
	/* the node's existence and access types are checked by the CSP
	 * call itself (csp_ctx.need): one Lua call per command, not two */
	(void)cmd;
	return 0;
fail:
	where_free(w);
	return st;
}

int
tree_get(struct tree *t, const struct tree_who *who, const struct dm_uri *u,
    struct csp_value *out, char **msg)
{
	struct csp_ctx ctx;
	struct where w;
	int st;

	memset(out, 0, sizeof(*out));
	if (u->list != NULL) {
		if (msg != NULL)
			*msg = util_asprintf("%s: ?list= is not supported",
			    u->orig);
		return DM_OPTIONAL_FEATURE;
	}
	if (u->prop != NULL)
		return prop_get(t, who, u, out, msg);
	st = existing(t, who, u, "Get", ACL_GET, &w, msg);
	if (st != 0)
		return st;
	if (w.core) {
		where_free(&w);
		return core_children(t, u, out);
	}
	ctx_init(&ctx, who, u);
	ctx.need = "Get";
	st = csp_get(w.m->csp, &ctx, w.m->idx, w.path, out, msg);
	if (st == DM_NOT_FOUND && msg != NULL && *msg == NULL)
		*msg = util_asprintf("%s: no such node", u->orig);
	where_free(&w);
	return st;
}

int
tree_add(struct tree *t, const struct tree_who *who, const struct dm_uri *u,
    const struct csp_value *in, char **msg)
{
	struct csp_value node = { .format = "node" };
	struct csp_info info;
	struct csp_ctx ctx;
	struct dm_uri part;
	struct where w;
	size_t n;
	char *path;
	int st;

	if (u->prop != NULL || u->list != NULL) {
		if (msg != NULL)
			*msg = util_asprintf("%s: Add cannot target a "
			    "property", u->orig);
		return DM_NOT_ALLOWED;
	}
	st = resolve(t, u, &w, msg);
	if (st != 0)
		return st;
	if (w.core) {
		where_free(&w);
		if (msg != NULL)
			*msg = util_asprintf("%s: already exists", u->orig);
		return DM_ALREADY_EXISTS;
	}
	st = acl_check(t, who, u, ACL_ADD, msg);
	if (st != 0)
		goto out;
	ctx_init(&ctx, who, u);
	st = csp_stat(w.m->csp, &ctx, w.m->idx, w.path, &info, NULL);
	csp_info_free(&info);
	if (st == DM_OK) {
		if (msg != NULL)
			*msg = util_asprintf("%s: already exists", u->orig);
		st = DM_ALREADY_EXISTS;
		goto out;
	}
	/* implicit Add of the missing interior nodes, top down */
	for (n = w.m->uri->nseg; n < u->nseg; n++) {
		path = uri_join_plain(u->seg + w.m->uri->nseg,
		    n - w.m->uri->nseg);
		if (path == NULL) {
			st = DM_COMMAND_FAILED;
			goto out;
		}
		part = *u;
		part.nseg = n;
		st = csp_stat(w.m->csp, &ctx, w.m->idx, path, &info, NULL);
		csp_info_free(&info);
		if (st == DM_NOT_FOUND)
			st = csp_add(w.m->csp, &ctx, w.m->idx, path, &node,
			    msg);
		free(path);
		if (!DM_STATUS_OK(st)) {
			if (msg != NULL && *msg == NULL) {
				char *p = uri_join(u->seg, n);

				*msg = util_asprintf("%s: cannot add the "
				    "parent %s", u->orig, p != NULL ? p : "");
				free(p);
			}
			goto out;
		}
		(void)part;
	}
	st = csp_add(w.m->csp, &ctx, w.m->idx, w.path, in, msg);
out:
	where_free(&w);
	return st;
}

int
tree_replace(struct tree *t, const struct tree_who *who,
    const struct dm_uri *u, const struct csp_value *in, char **msg)
{
	struct csp_ctx ctx;
	struct where w;
	int st;

	if (u->list != NULL)
		return DM_OPTIONAL_FEATURE;
	if (u->prop != NULL)
		return prop_replace(t, who, u, in, msg);
	st = existing(t, who, u, "Replace", ACL_REPLACE, &w, msg);
	if (st != 0)
		return st;
	ctx_init(&ctx, who, u);
	ctx.need = "Replace";
	st = csp_replace(w.m->csp, &ctx, w.m->idx, w.path, in, msg);
	if (st == DM_NOT_FOUND && msg != NULL && *msg == NULL)
		*msg = util_asprintf("%s: no such node", u->orig);
	where_free(&w);
	return st;
}

int
tree_delete(struct tree *t, const struct tree_who *who,
    const struct dm_uri *u, char **msg)
{
	struct csp_ctx ctx;
	struct where w;
	char *key;
	size_t i, kl;
	int st, removed = 0;

	if (u->prop != NULL || u->list != NULL) {
		if (msg != NULL)
			*msg = util_asprintf("%s: a property cannot be "
			    "deleted", u->orig);
		return DM_NOT_ALLOWED;
	}
	st = existing(t, who, u, "Delete", ACL_DELETE, &w, msg);
	if (st != 0)
		return st;
	ctx_init(&ctx, who, u);
	ctx.need = "Delete";
	st = csp_delete(w.m->csp, &ctx, w.m->idx, w.path, msg);
	if (st == DM_NOT_FOUND && msg != NULL && *msg == NULL)
		*msg = util_asprintf("%s: no such node", u->orig);
	where_free(&w);
	if (!DM_STATUS_OK(st))
		return st;
	/* the subtree's ACLs go with it, on disk too */
	key = acl_key(t, u->seg, u->nseg);
	if (key == NULL)
		return st;
	kl = strlen(key);
	for (i = t->acls.n; i-- > 0;) {
		const struct store_entry *e = &t->acls.e[i];

		if (e->klen >= kl && memcmp(e->key, key, kl) == 0 &&
		    (e->klen == kl || e->key[kl] == '/' || kl == 0)) {
			store_map_del(&t->acls, e->key, e->klen);
			removed = 1;
		}
	}
	free(key);
	if (removed)
		acl_save(t, NULL);
	return st;
}

int
tree_exec(struct tree *t, const struct tree_who *who, const struct dm_uri *u,
    const char *data, size_t len, const char *correlator, char **msg)
{
	struct csp_ctx ctx;
	struct where w;
	int st;

	if (u->prop != NULL || u->list != NULL)
		return DM_NOT_ALLOWED;
	st = existing(t, who, u, "Exec", ACL_EXEC, &w, msg);
	if (st != 0)
		return st;
	ctx_init(&ctx, who, u);
	ctx.need = "Exec";
	st = csp_exec(w.m->csp, &ctx, w.m->idx, w.path, data, len, correlator,
	    msg);
	if (st == DM_NOT_FOUND && msg != NULL && *msg == NULL)
		*msg = util_asprintf("%s: no such node", u->orig);
	where_free(&w);
	return st;
}

struct csp *
tree_csp_of(struct tree *t, const struct dm_uri *u, size_t *mount)
{
	struct where w;
	struct csp *c = NULL;

	if (resolve(t, u, &w, NULL) != 0)
		return NULL;
	if (w.m != NULL) {
		c = w.m->csp;
		if (mount != NULL)
			*mount = w.m->idx;
	}
	where_free(&w);
	return c;
}

int
tree_flush(struct tree *t)
{
	char *msg = NULL;
	size_t i;
	int st, first = DM_OK;

	for (i = 0; i < t->ncsps; i++) {
		if (t->csps[i] == NULL)
			continue;	/* taken over by a reload */
		st = csp_flush(t->csps[i], &msg);
		if (!DM_STATUS_OK(st)) {
			log_warnx("%s: cannot save its state: %s",
			    csp_name(t->csps[i]), msg != NULL ? msg : "");
			if (first == DM_OK)
				first = st;
		}
		free(msg);
		msg = NULL;
	}
	return first;
}

size_t
tree_ncsp(const struct tree *t)
{
	return t->ncsps;
}

struct csp *
tree_csp(const struct tree *t, size_t i)
{
	return i < t->ncsps ? t->csps[i] : NULL;
}

char *
tree_join_children(char *const *names, size_t n)
{
	struct buf b = { 0 };
	char *e;
	size_t i;

	if (buf_add(&b, "", 0) != 0)
		return NULL;
	for (i = 0; i < n; i++) {
		e = uri_escape_segment(names[i]);
		if (e == NULL || (i > 0 && buf_add(&b, "/", 1) != 0) ||
		    buf_addstr(&b, e) != 0) {
			free(e);
			buf_free(&b);
			return NULL;
		}
		free(e);
	}
	return b.p;
}

static int
mount_same(const struct dm_uri *a, const struct dm_uri *b)
{
	size_t i;

	if (a->nseg != b->nseg)
		return 0;
	for (i = 0; i < a->nseg; i++)
		if (!seg_eq(a->seg[i], b->seg[i]))
			return 0;
	return 1;
}

/* Adds the mounts of c; dir_index orders overrides. 0 or -1 (ENOMEM). */
static int
add_mounts(struct tree *t, struct csp *c, size_t *owner_dir, size_t dir)
{
	struct dm_uri *mu;
	struct mount *nm;
	size_t n, i, j;

	mu = csp_mounts(c, &n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < t->nmounts; j++)
			if (mount_same(t->mounts[j].uri, &mu[i]))
				break;
		if (j < t->nmounts) {
			if (owner_dir[j] == dir) {
				log_warnx("CSP %s: %s is already mounted by %s;"
				    " ignored", csp_path(c), mu[i].orig,
				    csp_path(t->mounts[j].csp));
				continue;
			}
			log_info("CSP %s overrides %s at %s", csp_path(c),
			    csp_path(t->mounts[j].csp), mu[i].orig);
			t->mounts[j].csp = c;
			t->mounts[j].idx = i;
			t->mounts[j].uri = &mu[i];
			owner_dir[j] = dir;
			continue;
		}
		nm = realloc(t->mounts, (t->nmounts + 1) * sizeof(*nm));
		if (nm == NULL)
			return -1;
		t->mounts = nm;
		t->mounts[t->nmounts].csp = c;
		t->mounts[t->nmounts].idx = i;
		t->mounts[t->nmounts].uri = &mu[i];
		owner_dir[t->nmounts] = dir;
		t->nmounts++;
	}
	return 0;
}

static int
lua_file_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 4 &&
	    strcmp(de->d_name + n - 4, ".lua") == 0;
}

/*
 * A script that fails to load on a reload: when the previous tree had it
 * working, take that one over (out of old) and rebind it to cfg.
 */
static struct csp *
keep_previous(struct tree *old, struct csp *broken,
    const struct config *cfg)
{
	struct csp *prev;
	size_t i;

	if (old == NULL)
		return broken;
	for (i = 0; i < old->ncsps; i++) {
		prev = old->csps[i];
		if (prev == NULL || csp_broken(prev) != NULL ||
		    strcmp(csp_path(prev), csp_path(broken)) != 0)
			continue;
		log_warnx("CSP %s: the new version does not load (%s); "
		    "keeping the previous one", csp_path(broken),
		    csp_broken(broken));
		old->csps[i] = NULL;	/* now ours */
		csp_rebind(prev, cfg);
		csp_free(broken);
		return prev;
	}
	return broken;
}

struct tree *
tree_new(const struct config *cfg, char **err)
{
	return tree_reload(cfg, NULL, err);
}

struct tree *
tree_reload(const struct config *cfg, struct tree *old, char **err)
{
	struct tree *t;
	struct dirent **ents = NULL;
	struct csp *c, **nc;
	size_t *owner_dir = NULL, d, cap = 0, nm;
	char *path, *lerr = NULL;
	size_t *no;
	int n, i;

	*err = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto nomem;
	t->cfg = cfg;
	t->acl_file = util_asprintf("%s/acl.map", cfg->state_dir);
	if (t->acl_file == NULL)
		goto nomem;
	if (store_map_load(t->acl_file, &t->acls, &lerr) != 0) {
		log_warnx("%s; starting with no server-set ACLs", lerr);
		free(lerr);
	}
	for (d = 0; d < cfg->ncsp_path; d++) {
		n = scandir(cfg->csp_path[d], &ents, lua_file_filter,
		    alphasort);
		if (n < 0) {
			log_warn("CSP directory %s", cfg->csp_path[d]);
			continue;
		}
		for (i = 0; i < n; i++) {
			path = util_asprintf("%s/%s", cfg->csp_path[d],
			    ents[i]->d_name);
			c = path != NULL ? csp_load(path, cfg) : NULL;
			free(path);
			if (c != NULL && csp_broken(c) != NULL)
				c = keep_previous(old, c, cfg);
			nc = c != NULL ? realloc(t->csps, (t->ncsps + 1) *
			    sizeof(*nc)) : NULL;
			if (nc == NULL) {
				csp_free(c);
				goto nomem_ents;
			}
			t->csps = nc;
			t->csps[t->ncsps++] = c;
			if (csp_broken(c) != NULL)
				continue;
			csp_mounts(c, &nm);
			if (cap < t->nmounts + nm) {
				cap = t->nmounts + nm + 64;
				no = realloc(owner_dir, cap * sizeof(*no));
				if (no == NULL)
					goto nomem_ents;
				owner_dir = no;
			}
			if (add_mounts(t, c, owner_dir, d) != 0)
				goto nomem_ents;
		}
		for (i = 0; i < n; i++)
			free(ents[i]);
		free(ents);
		ents = NULL;
	}
	free(owner_dir);
	return t;
nomem_ents:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
nomem:
	free(owner_dir);
	tree_free(t);
	*err = strdup("out of memory");
	return NULL;
}

void
tree_free(struct tree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncsps; i++)
		csp_free(t->csps[i]);
	free(t->csps);
	free(t->mounts);
	store_map_free(&t->acls);
	free(t->acl_file);
	free(t);
}
