/*
 * config: luadm's one configuration, read once from a Lua file (-c FILE,
 * default /etc/luadm/luadm.conf; built-in defaults when that does not exist).
 * The file is evaluated in a sandbox (no io, no os but os.getenv) and its
 * globals are the keys; README.md documents each. Relative paths are taken
 * relative to the directory of the configuration file. CSP states re-read
 * the same file to get their own copy of `device` and `csp[<name>]`
 * (config_lua_tables).
 */
#ifndef LUADM_CONFIG_H
#define LUADM_CONFIG_H

#include <stddef.h>

struct lua_State;

struct config_limits {
	size_t		csp_memory;	/* bytes one CSP's Lua state may hold */
	unsigned	csp_timeout_ms;	/* wall time of one CSP call */
	unsigned	run_timeout_ms;	/* default timeout of dm.run */
	size_t		read_cap;	/* default cap of dm.read_file, bytes */
};

/* How sessions behave (the `session` table). */
struct config_session {
	int		 honour_hdr_meta;	/* keep the server's SyncHdr
						   MaxMsgSize/MaxObjSize */
	int		 ui_alerts;	/* enum engine_ui_policy */
	char		*user_agent;	/* NULL = "luadm/<version>" */
	char		*query;		/* query string added to the POST URL
					   when the account has none
					   (Ext/luadm/Query), e.g. Windows'
					   "mode=Maintenance&Platform=WoA" */
	unsigned	 connect_timeout_ms;
	unsigned	 timeout_ms;	/* one HTTP request */
	size_t		 max_message;	/* largest server message accepted
					   (declared as our MaxMsgSize) */
	size_t		 max_object;	/* largest large object accepted
					   (declared as our MaxObjSize) */
	char		*login_status;	/* 1224 data: user, others, none, or
					   auto: ./Vendor/luadm/LoginStatus */
	int		 large_objects;	/* 1: chunk large objects both ways
					   (OMA DM 1.2); 0: as older Windows,
					   refuse them and abort with 1223 */
};

/* The foreground client (`luadm run`, the `run` table). */
struct config_run {
	unsigned	 interval_s;	/* between sessions of an account whose
					   DMClient poll settings say nothing */
	char		*socket;	/* Unix datagram socket for triggers
					   ("session [SERVERID]", package #0) */
	char		*udp;		/* "addr:port" for package #0, or NULL */
};

struct config {
	char		*path;		/* file read, or NULL for defaults */
	char		*state_dir;	/* persistent state (0700) */
	char		**csp_path;	/* directories of CSP scripts, in order;
					   a later one overrides an earlier
					   one's mount */
	size_t		 ncsp_path;
	char		*sysroot;	/* root under which CSP file paths
					   resolve ("/" on a real machine) */
	char		**runner;	/* argv prefix for dm.run, may be empty */
	size_t		 nrunner;
	int		 log_level;	/* enum log_level */
	struct config_limits limits;
	int		 acl_enforce;	/* 1: evaluate ACLs (425); off by
					   default as on Windows */
	char		*acl_default;	/* ACL of nodes with none of their own */
	char		*server_id;	/* server id used by `luadm tree`
					   (NULL = the local administrator) */
	struct config_session session;
	struct config_run run;
};

/*
 * Reads the configuration. path NULL means the default file, or the
 * built-in defaults when it does not exist. Returns a config to free with
 * config_free(), or NULL with *err a malloc'd message naming the file, line
 * and key.
 */
struct config *config_load(const char *path, char **err);
/* The built-in defaults only. NULL on allocation failure. */
struct config *config_defaults(void);
void	config_free(struct config *cfg);

/*
 * Pushes onto L a table { device = {...}, csp = <csp[name] or {}> } read
 * afresh from the configuration file (empty tables for the defaults).
 * Returns 0, or -1 with an error message pushed instead. May raise on
 * memory errors.
 */
int	config_lua_tables(struct lua_State *L, const struct config *cfg,
	    const char *csp_name);

#endif
