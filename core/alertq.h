/*
 * alertq: the durable queue of generic alerts (Alert 1226) waiting to be
 * sent to an account's server, and the two helpers the session uses to
 * send them in package 1 and to drop them once the server took them.
 *
 * Storage. One store.h map file per account,
 * <state_dir>/alerts/<AccountID>.map, holding
 *   "NextID"                    the id the next alert gets (decimal)
 *   "A/<id, 20 digits>/<field>" type, format, mark, source, data,
 *                               correlator, created
 * Why one file rather than one file per alert: an add writes the new alert
 * and the advanced NextID in the same atomic rename, and a delivery removes
 * all the alerts of a message in one rename, so after a crash at any
 * moment the queue is the old one or the new one: an alert is never half
 * written, never lost, and an id is never handed out twice (NextID only
 * grows and survives the removal of every alert). With a file per alert
 * the counter would be a second file, and a crash between the two writes
 * could reuse an id. The cost, rewriting the whole file on each change, is
 * bounded: ALERTQ_MAX_PENDING alerts of at most ALERTQ_MAX_DATA bytes.
 * Unknown keys are kept as they are (a newer luadm may add fields). A file
 * that fails its checksum, or whose alerts are malformed, is reported as
 * corrupt and never silently replaced by an empty queue.
 *
 * Delivery is at least once, never at most once: an alert leaves the queue
 * only after the server's answer to the message that carried it said it
 * was taken (alertq_settle). A crash between that answer and the removal
 * sends it again in the next session; nothing can lose it.
 *
 * Concurrency. Changes (add, remove) hold an exclusive POSIX record lock
 * (fcntl F_SETLKW) on <state_dir>/alerts/<AccountID>.lock around
 * load-change-save, so `luadm alert` run while a session of another luadm
 * process settles its alerts never loses either change. Readers need no
 * lock: the rename makes every file they open whole. The lock is per
 * process (POSIX semantics): threads of one process must not change the
 * same queue at once; luadm has none.
 *
 * It uses store.h, syncml.h (writer; syncml_text_valid), uri.h and b64.h.
 */
#ifndef LUADM_ALERTQ_H
#define LUADM_ALERTQ_H

#include <stddef.h>

#include "syncml.h"

#define ALERTQ_MAX_TYPE		255	/* bytes of a Meta Type */
#define ALERTQ_MAX_DATA		(64 * 1024)	/* bytes of Data */
#define ALERTQ_MAX_CORRELATOR	255	/* bytes of a Correlator */
#define ALERTQ_MAX_PENDING	256	/* alerts queued per account */
#define ALERTQ_DEFAULT_FORMAT	"chr"

/*
 * One alert. As input of alertq_add the strings are only read (id and
 * created are ignored); NULL means absent (format NULL = "chr"). As
 * output of alertq_list every string is malloc'd (NULL when absent;
 * format is always set) and the array is freed with alertq_free().
 */
struct alertq_alert {
	char		*id;		/* decimal, unique in the account */
	char		*type;		/* Meta Type, required */
	char		*format;	/* Meta Format: chr, int, b64, ... */
	char		*mark;		/* Meta Mark: critical, ...; optional */
	char		*source;	/* Item Source LocURI; optional */
	char		*data;		/* Item Data; NULL: no <Data> */
	char		*correlator;	/* Alert Correlator; optional */
	long long	 created;	/* queued at, seconds since the epoch */
};

/*
 * Checks an alert against the rules: type 1..ALERTQ_MAX_TYPE bytes of
 * letters, digits and "-._:/+@~=#%" (it goes into an HTTP header between
 * "<" and ">", so no space, "<", ">" or control character); format one of
 * b64 bool chr int node null xml date time float ("bin" cannot travel in
 * XML: use b64); mark one of fatal critical minor warning informational
 * harmless indeterminate; data at most ALERTQ_MAX_DATA bytes of XML text
 * that fits the format (int: a decimal integer, bool: true|false, b64:
 * base64, float: a decimal number, null: none or empty); source a valid
 * LocURI; correlator 1..ALERTQ_MAX_CORRELATOR bytes of text without
 * control characters. Returns 0, or -1 with a malloc'd one-line reason in
 * *err (err may be NULL).
 */
int	alertq_check(const struct alertq_alert *a, char **err);

/*
 * Queues a copy of a (checked with alertq_check) for the account, with the
 * current time. Creates <state_dir>/alerts when missing. On success *id_out
 * (may be NULL) is the new alert's id, malloc'd. Returns 0, or -1 with
 * *err: invalid alert, invalid account id, queue full
 * (ALERTQ_MAX_PENDING), corrupt or unreadable file, I/O error; the queue
 * is then unchanged.
 */
int	alertq_add(const char *state_dir, const char *account_id,
	    const struct alertq_alert *a, char **id_out, char **err);

/*
 * The pending alerts of the account, oldest first (id order): *v is
 * malloc'd (NULL when *n is 0), free with alertq_free(). No file means
 * none. Returns 0, or -1 with *err (corrupt file: "<path>: corrupt ...").
 */
int	alertq_list(const char *state_dir, const char *account_id,
	    struct alertq_alert **v, size_t *n, char **err);

void	alertq_free(struct alertq_alert *v, size_t n);

/*
 * Removes the alerts with these ids (delivered, or dropped by the
 * administrator). Ids not in the queue are skipped, so removing twice is
 * harmless. *removed (may be NULL) gets how many were there. Returns 0, or
 * -1 with *err and the queue unchanged.
 */
int	alertq_remove(const char *state_dir, const char *account_id,
	    char *const *ids, size_t n, size_t *removed, char **err);

/*
 * Removes the account's queue file and lock (the account is gone). Missing
 * files are fine. 0 or -1 with *err.
 */
int	alertq_purge(const char *state_dir, const char *account_id,
	    char **err);

/*
 * The MDM-GenericAlert HTTP header value [MS-MDM 2.1] for these alerts:
 * "<Type1><Type2>..." of those marked fatal or critical, in order, each
 * type once. *out is malloc'd, or NULL when none is fatal or critical.
 * Returns 0, or -1 when out of memory.
 */
int	alertq_header(const struct alertq_alert *v, size_t n, char **out);

/* ---- For the session ---- */

/* One alert written into a message. */
struct alertq_sent {
	unsigned long	 cmdid;		/* the CmdID of its Alert */
	char		*id;		/* the alert's id, malloc'd */
	int		 delivered;	/* set by alertq_settle */
};

/*
 * The alerts written into one message (package 1), to be settled against
 * the server's answer to it. All zeroes is an empty batch; free with
 * alertq_batch_free (which accepts an empty one).
 */
struct alertq_batch {
	unsigned long	 msg_id;	/* MsgID of that message */
	struct alertq_sent *v;
	size_t		 n;
	char		*header;	/* MDM-GenericAlert value for the
					   session, or NULL (alertq_header) */
};

void	alertq_batch_free(struct alertq_batch *b);

/*
 * Writes one Alert 1226 per pending alert of the account into w, oldest
 * first, shaped as Windows sends them (recorded/03 and 15):
 *   <Alert><CmdID/><Data>1226</Data><Correlator/>?<Item><Source/>?
 *   <Meta><Format/><Type/><Mark/>?</Meta><Data/>?</Item></Alert>
 * msg_id is the MsgID of the message being built. When limit is not 0,
 * an alert that would make the finished message larger than limit bytes
 * is left for a later session, as are all after it (the first alert
 * always goes, so that a queue never stalls). *b is emptied first, then
 * gets the (CmdID, id) pairs written and the header value. Returns 0;
 * or -1 with *err when the queue cannot be read or the writer failed:
 * then *b holds exactly the alerts that were written before the failure
 * (w stays consistent), so the session may log *err and go on.
 */
int	alertq_emit(const char *state_dir, const char *account_id,
	    struct syncml_writer *w, unsigned long msg_id, size_t limit,
	    struct alertq_batch *b, char **err);

/*
 * Decides from the server's Status commands in its answer to the batch's
 * message which alerts were delivered, marks them (delivered = 1) and
 * removes them from the queue. An alert is delivered when the Status for
 * our SyncHdr (CmdRef 0 or Cmd SyncHdr) is 200 or 212 and no Status for
 * its CmdID has a code that is not a number or is 400 or more; no Status
 * at all for its CmdID counts as delivered. A Status whose MsgRef is
 * present and is not the batch's MsgID is ignored. statuses may be
 * engine_result's array. *delivered (may be NULL) gets the count.
 * Returns 0, or -1 with *err when the removal failed (the alerts stay
 * queued and will be sent again).
 */
int	alertq_settle(const char *state_dir, const char *account_id,
	    struct alertq_batch *b, const struct syncml_cmd *const *statuses,
	    size_t nstatuses, size_t *delivered, char **err);

#endif
