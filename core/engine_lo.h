/*
 * engine_lo: large objects (OMA DM 1.2), both ways. engine_lo.c receives
 * the server's in chunks (its engine functions are in engine_int.h, for
 * the engine only); outq sends ours. What both share is here: the
 * progress lines of a long transfer, logged at info level so that an
 * administrator watching `luadm -v session` or the journal sees a large
 * object move:
 *
 *   large object ./X: 40.0 of 100.0 MiB received (40%)
 *   Results for ./X: 40.0 of 100.0 MiB sent (40%)
 *   Results for ./X: 100.0 MiB sent in 2.3 s
 *
 * A line comes each time another tenth of the object is through, or 5 s
 * after the last one when the transfer is slower than that, and one final
 * line gives the total and the time taken. Uses log and util only.
 */
#ifndef LUADM_ENGINE_LO_H
#define LUADM_ENGINE_LO_H

#include <stdint.h>

/* Seconds between two progress lines when tenths come slower. */
#define ENGINE_LO_PROGRESS_S	5

/* The progress of one transfer; all zeroes is "not started". */
struct engine_lo_progress {
	long long	 total;		/* bytes expected, -1 unknown */
	long long	 logged;	/* bytes at the last line */
	uint64_t	 start_ms;	/* util_now_ms() at the start */
	uint64_t	 last_ms;	/* ... at the last line */
};

/* Starts p for a transfer of total bytes (-1: unknown). */
void	engine_lo_progress_start(struct engine_lo_progress *p,
	    long long total);

/*
 * done bytes of the transfer of what ("large object", "Results for") of
 * uri are through (verb: "received", "sent"): logs a line when another
 * tenth is done or ENGINE_LO_PROGRESS_S passed since the last line.
 * Nothing once done reaches the total: engine_lo_progress_done() says it.
 */
void	engine_lo_progress_step(struct engine_lo_progress *p,
	    const char *what, const char *uri, const char *verb,
	    long long done);

/* The final line: done bytes in the time since the start, then tail
 * (may be NULL, e.g. ", Replace 200"). */
void	engine_lo_progress_done(const struct engine_lo_progress *p,
	    const char *what, const char *uri, const char *verb,
	    long long done, const char *tail);

#endif
