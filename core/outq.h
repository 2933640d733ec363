/*
 * outq: the client's reply commands (Status, Results, Alert) waiting to be
 * written into messages. The engine queues what it answers; the session
 * drains the queue into each message it sends, never past the server's
 * MaxMsgSize: what does not fit spills over into the next message of the
 * package (OMA DM 1.2 multiple messages), and a Results item larger than a
 * whole message is sent in chunks (MoreData, Meta Size in the first one —
 * OMA DM large objects). Everything queued is a deep copy.
 *
 * A Results item may hold its Data in an open file instead of memory
 * (syncml_item_out.file: a Get value held in a file): outq keeps its own
 * descriptor and reads each chunk with pread as it writes it, so the value
 * never sits whole in memory, only the chunk of the message being built.
 * When queued, the file is read once to choose how it goes: as text when
 * it is text XML can carry (syncml_text_valid) and the Format is not bin,
 * else base64 with Format b64, in chunks of whole 4-character groups;
 * text chunks never cut a UTF-8 character. Meta Size is the size of the
 * Data as sent (base64 included). Before each chunk the file's size and
 * mtime are checked against those it had when queued: a file that changed
 * (or cannot be read) fails its item only, logged: not sent at all, it
 * leaves the Results (a Results left without items is not sent); sent in
 * part, the rest is not sent and the server sees an unfinished object.
 * A chunked item's progress is logged at info level (engine_lo.h).
 */
#ifndef LUADM_OUTQ_H
#define LUADM_OUTQ_H

#include <stddef.h>

#include "syncml.h"

struct outq;

struct outq *outq_new(void);
void	outq_free(struct outq *q);

/* Queue a copy (a file item: a duplicate of its descriptor). 0, or -1
 * on allocation failure. */
int	outq_status(struct outq *q, const struct syncml_status_out *st);
int	outq_results(struct outq *q, const struct syncml_results_out *r);
int	outq_alert(struct outq *q, const struct syncml_alert_out *a);

/* Commands waiting (a chunked item counts until its last chunk is out). */
size_t	outq_len(const struct outq *q);

/*
 * Writes queued commands into w, in order, while the finished message stays
 * within limit bytes (0: no limit, everything goes). The first command of a
 * message always goes (chunked if it is a large Results item) so that a
 * package always progresses. With chunk 0 (large objects off) a Results
 * item that does not fit a message alone is not chunked: returns 1 and
 * leaves it queued. Returns 0, 1, or -1 when the writer failed.
 */
int	outq_drain(struct outq *q, struct syncml_writer *w, size_t limit,
	    int chunk);

#endif
