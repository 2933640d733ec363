/*
 * engine_int: what engine.c, engine_items.c and engine_atomic.c share.
 * Not for use outside the engine.
 */
#ifndef LUADM_ENGINE_INT_H
#define LUADM_ENGINE_INT_H

#include "csp.h"
#include "engine.h"
#include "syncml.h"
#include "tree.h"

struct outq;

struct engine {
	struct tree		*tree;
	struct engine_opts	 opts;
	struct tree_who		 who;
	long			 max_msg_size;	/* -1 = none */
	long			 max_obj_size;
};

/* The outcome of one command, kept until its Status is written. */
struct outcome {
	const struct syncml_cmd	*cmd;
	int			*codes;	/* one per Item (one if no Item) */
	size_t			 n;
	struct csp_value	*vals;	/* Get: the value of each Item */
	int			 executed;	/* ran (for rollback) */
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
