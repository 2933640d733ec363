/*
 * session: the client's side of one DM session as a state machine, without
 * transport: package 1 out, then a server message (bytes) in and the
 * client's reply (bytes, or nothing) out, until the session ends. Owns the
 * session's counters (SessionID, the MsgID of our messages), the engine
 * that runs the commands, authentication in both directions (the Cred we
 * send, the server's Cred and HMAC we check, challenges, nonces kept in the
 * account at once), and the end-of-session rules: no reply when the server
 * sent nothing but Status and Final (the session ends), none after the
 * server's Alert 1223 (aborted), Alert 1222 and no Final while the server's
 * package is not complete, package 1 again (with credentials) after a 401
 * or 407 from the server. It speaks XML or WBXML: the server's message
 * decides (its first bytes, not its Content-Type), and before any the
 * account's DefaultEncoding.
 *
 * `luadm replay` drives it from files, with no account (no authentication);
 * the HTTPS client (client.c) drives it from the network.
 */
#ifndef LUADM_SESSION_H
#define LUADM_SESSION_H

#include <stddef.h>

#include "engine.h"

struct account;
struct tree;

enum session_state {
	SESSION_CONTINUE,	/* a message was produced: send it */
	SESSION_END,		/* completed: nothing more to send */
	SESSION_ABORT,		/* the server aborted (1223) */
	SESSION_ABORTING	/* send this message (our Alert 1223), then
				   the session is over, failed */
};

struct session_opts {
	const char	*server_id;	/* ACLs, ctx; NULL = none */
	const char	*session_id;	/* NULL: the account's counter, or
					   (replay) the server's */
	const char	*devid;		/* Source LocURI; NULL: ./DevInfo/DevId */
	const char	*server_uri;	/* Target LocURI; NULL: the server's
					   Source LocURI */
	unsigned long	 first_msg_id;	/* MsgID of our first reply (replay:
					   2, after a package 1 not sent) */
	int		 honour_hdr_meta;
	enum engine_ui_policy ui_policy;
	struct account	*account;	/* NULL: no authentication (replay) */
	int		 server_initiated;	/* Alert 1200, not 1201 */
	const char	*login_status;	/* 1224 data: user|others|none */
	int		 large_objects;	/* chunk large objects both ways; 0:
					   abort with 1223 as older Windows */
	const char	*spool_dir;	/* where incoming large objects are
					   assembled */
	size_t		 max_message;	/* our MaxMsgSize, declared in
					   package 1 (0: not declared) */
	size_t		 max_object;	/* our MaxObjSize, likewise */
	const char	*state_dir;	/* generic alerts queued there
					   (alertq.h) go in package 1;
					   NULL: none (replay) */
};

struct session;

struct session *session_new(struct tree *t, const struct session_opts *o);
void	session_free(struct session *s);

/*
 * Builds package 1: Alert 1201 (1200) as CmdID 2, Alert 1224 LoginStatus
 * as CmdID 3, Replace of ./DevInfo as CmdID 4, Final; Cred when the
 * account's client credentials are Basic or MD5. 0, or -1 with *err.
 */
int	session_start(struct session *s, char **out, size_t *outlen,
	    char **err);

/*
 * Handles one server message. hmac is the server's x-syncml-hmac header
 * (NULL when none). On success returns 0 with *st set and, for
 * SESSION_CONTINUE, the next message in *out (malloc'd, *outlen bytes).
 * Returns -1 with *err (malloc'd, one line) when the message is refused
 * (not well-formed, not SyncML, over a limit: nothing of it was executed)
 * or the session cannot go on (our credentials refused again and again).
 */
int	session_handle(struct session *s, const void *in, size_t len,
	    char **out, size_t *outlen, enum session_state *st, char **err);
int	session_handle_http(struct session *s, const void *in, size_t len,
	    const char *hmac, char **out, size_t *outlen,
	    enum session_state *st, char **err);

/* The x-syncml-hmac header value for the message just built, or NULL. */
const char *session_hmac_header(const struct session *s);
/* Where the next message goes when the server said (RespURI), or NULL. */
const char *session_resp_uri(const struct session *s);
/*
 * The MDM-GenericAlert header value for every message of the session
 * ("<Type>..." of the fatal/critical alerts in package 1), or NULL.
 */
const char *session_generic_alert(const struct session *s);
/* The Content-Type of the message just built (XML or WBXML). */
const char *session_content_type(const struct session *s);
/* The message just built, as XML (what a WBXML message encodes). */
const char *session_xml(const struct session *s);
/* The SessionID in use. */
const char *session_id(const struct session *s);

#endif
