/*
 * session: the client's side of one DM session as a state machine, without
 * transport: a server message (bytes) in, the client's reply (bytes, or
 * nothing) out. Owns the session's counters (MsgID of our messages, the
 * SessionID), the engine that runs the commands, and the end-of-session
 * rules: no reply when the server sent nothing but Status and Final (the
 * session ends), none after the server's Alert 1223 (aborted), Alert 1222
 * and no Final while the server's package is not complete.
 * `luadm replay` drives it from files; the HTTP session drives it from the
 * network.
 */
#ifndef LUADM_SESSION_H
#define LUADM_SESSION_H

#include <stddef.h>

#include "engine.h"

struct tree;

enum session_state {
	SESSION_CONTINUE,	/* a reply was produced: send it */
	SESSION_END,		/* completed: nothing more to send */
	SESSION_ABORT		/* the server aborted (1223) */
};

struct session_opts {
	const char	*server_id;	/* ACLs, ctx; NULL = none */
	const char	*session_id;	/* NULL: take the server's */
	const char	*devid;		/* Source LocURI; NULL: ./DevInfo/DevId */
	const char	*server_uri;	/* Target LocURI; NULL: the server's
					   Source LocURI */
	unsigned long	 first_msg_id;	/* MsgID of our first reply (2 after
					   package 1) */
	int		 honour_hdr_meta;
	enum engine_ui_policy ui_policy;
};

struct session;

struct session *session_new(struct tree *t, const struct session_opts *o);
void	session_free(struct session *s);

/*
 * Handles one server message. On success returns 0 with *st set and, for
 * SESSION_CONTINUE, the reply in *out (malloc'd, *outlen bytes). Returns -1
 * with *err (malloc'd, one line) when the message is refused (not
 * well-formed, not SyncML, over a limit): nothing of it was executed.
 */
int	session_handle(struct session *s, const void *in, size_t len,
	    char **out, size_t *outlen, enum session_state *st, char **err);

#endif
