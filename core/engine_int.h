/*
 * engine_int: what engine.c, engine_items.c and engine_atomic.c share.
 * Not for use outside the engine.
 */
#ifndef LUADM_ENGINE_INT_H
#define LUADM_ENGINE_INT_H

#include "csp.h"
#include "engine.h"
#include "engine_lo.h"
#include "syncml.h"
#include "tree.h"

struct outq;

/* A large object from the server being received in chunks. */
struct engine_lo {
	int			 active;
	enum syncml_cmd_kind	 kind;		/* Add or Replace */
	char			*cmd;		/* its element name */
	char			*target;	/* the Item's Target as sent */
	char			*source;
	char			*format;
	char			*type;
	long			 declared;	/* Meta Size, -1 unknown */
	size_t			 got;
	char			*path;		/* spool file */
	int			 fd;
	struct engine_lo_progress progress;	/* for the log */
};

struct engine {
	struct tree		*tree;
	struct engine_opts	 opts;
	struct tree_who		 who;
	long			 max_msg_size;	/* -1 = none */
	long			 max_obj_size;
	struct engine_lo	 lo;
};

/* engine_lo.c: large objects from the server. */
/* A chunk (or the last one) of a large object: returns the Item's status
 * (213 for a chunk, 424 on a size mismatch, else the command's). */
int	engine_lo_item(struct engine *e, const struct syncml_cmd *c,
	    const struct syncml_item *it, const struct dm_uri *u,
	    const char *format, const char *type);
/* 1 when c continues the object being received. */
int	engine_lo_continues(const struct engine *e, const struct syncml_cmd *c);
/* Drops an unfinished object and queues Alert 1225 for it. 0 or -1. */
int	engine_lo_cutoff(struct engine *e, struct outq *q);
/* Drops the object, spool file included. */
void	engine_lo_drop(struct engine *e);

/* The outcome of one command, kept until its Status is written. */
struct outcome {
	const struct syncml_cmd	*cmd;
	int			*codes;	/* one per Item (one if no Item) */
	size_t			 n;
	struct csp_value	*vals;	/* Get: the value of each Item */
	int			 executed;	/* ran (for rollback) */
	/* codes and vals of a one-Item command, the usual case, so that it
	 * costs no allocation: codes/vals then point here, and an outcome
	 * is never copied, only passed by address */
	int			 code1;
	struct csp_value	 val1;
};

/* Allocates codes (and vals for Get) for cmd; -1 on ENOMEM. */
int	outcome_init(struct outcome *o, const struct syncml_cmd *cmd);
/* Sets every code. */
void	outcome_set_all(struct outcome *o, int code);
void	outcome_free(struct outcome *o);
/* 1 when every code is a success (2xx). */
int	outcome_ok(const struct outcome *o);
/* 1 when some Item got code. */
int	outcome_has(const struct outcome *o, int code);
/* The first failing code, or 200. */
int	outcome_code(const struct outcome *o);

/* Writes the Status(es) of o, then Results for a Get. 0 or -1. */
int	engine_emit(struct engine *e, struct outq *q,
	    const char *msg_ref, const struct outcome *o);

/*
 * Runs a Get/Add/Replace/Delete/Exec, item by item, into o (initialised
 * here). Returns 0, or -1 on allocation failure.
 */
int	engine_run_items(struct engine *e, const struct syncml_cmd *c,
	    struct outcome *o);

/* Runs one Item of c; out receives a Get's value. Returns its status. */
int	engine_run_item(struct engine *e, const struct syncml_cmd *c,
	    const struct syncml_item *it, struct csp_value *out);

/* The answer to a server Alert; res (may be NULL) gets abort/next. */
int	engine_alert_code(struct engine *e, const struct syncml_cmd *c,
	    struct engine_result *res);

/*
 * Writes a Status with code for every command nested in container c (not
 * for c itself), depth first: the commands of a refused Atomic or Sequence.
 */
int	engine_emit_inner(struct outq *q, const char *msg_ref,
	    const struct syncml_cmd *c, int code);

/* Atomic: checks, runs, rolls back and writes every Status. 0 or -1. */
int	engine_atomic(struct engine *e, const struct syncml_cmd *c,
	    const char *msg_ref, struct outq *q);

/* 1 for the kinds that act on Items of the tree. */
int	engine_is_item_cmd(const struct syncml_cmd *c);

#endif
