/*
 * engine: command semantics. Takes one parsed server message (syncml.h),
 * executes its commands against the tree (tree.h) and queues the client's
 * Status and Results (outq.h), in the order the protocol wants:
 * the SyncHdr Status first (CmdRef 0), then one Status per command in
 * document order (containers before their children), each Results right
 * after the Status of its Get.
 *
 * It owns: the SyncHdr checks (500 on an invalid header), Get/Add/Replace/
 * Delete/Exec per Item (one Status when the Items' codes agree, else one
 * per Item with TargetRef), Atomic (checked before it runs; the CSP's
 * begin/commit/rollback or the core's undo log; 507/216/516/215), Sequence
 * (in order; 215 after an abort), server Alerts (1222, 1223, UI alerts by
 * policy), 400 for unknown elements and missing CmdIDs, 406 for commands DM
 * does not use, and MaxMsgSize/MaxObjSize from the server's SyncHdr Meta.
 * It does not do transport or authentication: the session decides the
 * SyncHdr Status code (and Chal) for credentials and tells the engine
 * whether the commands may run.
 */
#ifndef LUADM_ENGINE_H
#define LUADM_ENGINE_H

#include <stddef.h>

#include "syncml.h"

struct outq;
struct tree;

/* How UI alerts (1100-1104) are answered. */
enum engine_ui_policy {
	ENGINE_UI_UNSUPPORTED,	/* 406 (default: no user here) */
	ENGINE_UI_ACCEPT,	/* 200: display ok, confirm = yes */
	ENGINE_UI_REJECT	/* 1101 confirm = no (304), others 406 */
};

struct engine_opts {
	const char	*server_id;	/* for ACLs and ctx; NULL = admin */
	const char	*session_id;	/* for ctx */
	int		 honour_hdr_meta;	/* keep MaxMsgSize/MaxObjSize */
	const char	*spool_dir;	/* where large objects are assembled;
					   NULL: large objects refused (406) */
	size_t		 max_object;	/* the largest one accepted (413) */
	enum engine_ui_policy ui_policy;
};

/* What the caller decided about the SyncHdr (authentication). */
struct engine_hdr {
	int		 code;		/* 200, 212, 401, 407 ... */
	int		 execute;	/* 0: run no command (bad credentials) */
	const struct syncml_chal_out *chal;	/* Chal for the SyncHdr Status */
};

/* What the engine saw in a message, for the session. */
struct engine_result {
	int	 hdr_valid;	/* 0: the SyncHdr got 500 */
	int	 final;		/* the message had <Final/> */
	int	 commands;	/* management commands were received */
	int	 replied;	/* something beyond the SyncHdr Status was
				   written (or its code was not 200/212) */
	int	 abort;		/* the server sent Alert 1223 */
	int	 next_requested;	/* the server sent Alert 1222 */
	int	 cancelled;	/* a command answered 214: no more commands
				   run in this session */
	long	 max_msg_size;	/* in force for the session, -1 = none */
	long	 max_obj_size;
	/* The server's Status commands, borrowed from the message. */
	const struct syncml_cmd **statuses;
	size_t	 nstatuses;
};

struct engine;

/* A new engine over t (borrowed). NULL on allocation failure. */
struct engine *engine_new(struct tree *t, const struct engine_opts *opts);
void	engine_free(struct engine *e);

/*
 * Executes msg: writes the Status for its SyncHdr into w (whose SyncHdr
 * the caller has written) and queues the Status/Results of its commands
 * in q, for the session to write into as many messages as the server's
 * MaxMsgSize needs. hdr may be NULL: code 200, execute. Fills *res (free
 * its arrays with engine_result_free). Returns 0, or -1 on allocation or
 * writer failure.
 */
int	engine_process(struct engine *e, const struct syncml_msg *msg,
	    const struct engine_hdr *hdr, struct syncml_writer *w,
	    struct outq *q, struct engine_result *res);
void	engine_result_free(struct engine_result *res);

#endif
