/*
 * acl.c: validation and evaluation of OMA DM ACL strings (see acl.h).
 * One walker does both jobs over the string in place; nothing is
 * allocated.
 */
#include <stddef.h>
#include <string.h>

#include "acl.h"

static const char *const acl_cmd_names[ACL__MAX] = {
	"Add", "Delete", "Exec", "Get", "Replace"
};

/* Like acl_cmd_parse() for the len bytes at name. */
static int
cmd_lookup(const char *name, size_t len)
{
	int	i;

	for (i = 0; i < ACL__MAX; i++) {
		if (strlen(acl_cmd_names[i]) == len &&
		    memcmp(acl_cmd_names[i], name, len) == 0)
			return i;
	}
	return -1;
}

int
acl_cmd_parse(const char *name)
{
	if (name == NULL)
		return -1;
	return cmd_lookup(name, strlen(name));
}

/* Returns "Add", "Delete", ... or NULL for a value out of range. */
const char *
acl_cmd_name(enum acl_cmd cmd)
{
	if ((int)cmd < 0 || cmd >= ACL__MAX)
		return NULL;
	return acl_cmd_names[cmd];
}

/*
 * Walks acl against the grammar of acl.h. Returns 1 when it is valid, 0
 * otherwise. When valid and cmd is in range, *granted tells whether an
 * entry for cmd lists "*" or (for a non-NULL server_id) server_id itself.
 */
static int
acl_walk(const char *acl, int cmd, const char *server_id, int *granted)
{
	const char	*p, *eq, *end, *id, *idend;
	size_t		 sidlen;
	int		 c;

	*granted = 0;
	if (acl == NULL)
		return 0;
	if (*acl == '\0')
		return 1;
	sidlen = server_id != NULL ? strlen(server_id) : 0;
	p = acl;
	for (;;) {
		/* One entry: p .. end (exclusive), end at "&" or NUL. */
		end = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			return 0;
		c = cmd_lookup(p, (size_t)(eq - p));
		if (c < 0)
			return 0;
		id = eq + 1;
		for (;;) {
			idend = id + strcspn(id, "&+=");
			if (idend == id)
				return 0;	/* empty server id */
			if (*idend == '=')
				return 0;	/* "=" in a server id */
			if (c == cmd) {
				if (idend - id == 1 && *id == '*')
					*granted = 1;
				else if (server_id != NULL &&
				    (size_t)(idend - id) == sidlen &&
				    memcmp(id, server_id, sidlen) == 0)
					*granted = 1;
			}
			if (*idend != '+')
				break;
			id = idend + 1;
		}
		if (*end == '\0')
			return 1;
		p = end + 1;
	}
}

int
acl_valid(const char *acl)
{
	int	granted;

	return acl_walk(acl, -1, NULL, &granted);
}

int
acl_allows(const char *acl, enum acl_cmd cmd, const char *server_id)
{
	int	granted;

	if ((int)cmd < 0 || cmd >= ACL__MAX)
		return 0;
	if (!acl_walk(acl, (int)cmd, server_id, &granted))
		return 0;
	return granted;
}
