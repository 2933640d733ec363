/*
 * client: one DM session with an account's server over HTTPS. Builds the
 * transport from the account and the configuration (TLS CA, client
 * certificate, timeouts, the Windows request shape: the account address plus
 * its query string, Accept, Accept-Charset, Client-Request-Id, MS-CV,
 * User-Agent), posts package 1 (retrying with backoff only before the
 * session starts), then posts each message the session state machine
 * (session.h) produces to the server's RespURI or the address, until the
 * session ends. Decides XML or WBXML from the body's first byte. One
 * session at a time per account: a second one is refused (a lock file
 * beside the account).
 */
#ifndef LUADM_CLIENT_H
#define LUADM_CLIENT_H

struct account;
struct config;
struct tree;

struct client_opts {
	const char	*trace_dir;	/* --trace DIR, or NULL */
	int		 server_initiated;	/* a trigger: Alert 1200 */
	const char	*session_id;	/* the trigger's session id, or NULL */
	unsigned	 max_retries;	/* 0: the account's ConnRetryFreq */
	const volatile int *stop;	/* set by a signal: abandon the
					   session between or inside messages */
};

/*
 * Runs one session. Returns 0 when it completed (the server ended it),
 * -1 with *err (malloc'd, one line naming the URL and the cause) when it
 * failed or the server aborted it.
 */
int	client_session(const struct config *cfg, struct tree *t,
	    struct account *acc, const struct client_opts *o, char **err);

/*
 * The account a command means: the one of server_id, or (NULL) the only
 * one enrolled. 0, or -1 with *err (malloc'd, one line).
 */
int	client_pick_account(const struct config *cfg, const char *server_id,
	    struct account **acc, char **err);

#endif
