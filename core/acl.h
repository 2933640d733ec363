/*
 * acl: OMA DM access control lists (OMA-TND 8.3.7.1).
 *   acl       ::= "" | entry ("&" entry)*
 *   entry     ::= command "=" server-id ("+" server-id)*
 *   command   ::= "Add" | "Delete" | "Exec" | "Get" | "Replace"
 *   server-id ::= "*" | 1*(any char but "&", "+", "=")
 * Pure functions over strings. Which ACL applies to a node (inheritance from
 * the nearest ancestor with a non-empty ACL) is the tree's business.
 */
#ifndef LUADM_ACL_H
#define LUADM_ACL_H

enum acl_cmd {
	ACL_ADD,
	ACL_DELETE,
	ACL_EXEC,
	ACL_GET,
	ACL_REPLACE,
	ACL__MAX
};

/*
 * 1 when acl matches the grammar above (the empty string does), else 0.
 * NULL is not valid. A command may appear in several entries.
 */
int	acl_valid(const char *acl);

/*
 * 1 when acl grants cmd to server_id ("*" in the ACL matches any server;
 * a NULL server_id, i.e. the local administrator, is matched only by "*"),
 * else 0. Server ids compare byte for byte (case-sensitive); the entries of
 * a repeated command add up. An invalid or empty acl grants nothing.
 */
int	acl_allows(const char *acl, enum acl_cmd cmd, const char *server_id);

/*
 * "Add", "Delete", ... -> enum; -1 when unknown or NULL (case-sensitive).
 * acl_cmd_name() is the reverse; NULL for a value out of range.
 */
int	acl_cmd_parse(const char *name);
const char *acl_cmd_name(enum acl_cmd cmd);

#endif
