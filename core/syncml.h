/*
 * syncml: the SyncML DM message model, bytes <-> model and nothing more.
 *
 * It provides:
 * - syncml_parse(): XML bytes of a server message -> struct syncml_msg
 *   (libxml2 through xml_safe.h, the safe parse), and syncml_from_doc()
 *   for a DOM built by another codec (WBXML).
 * - a writer (struct syncml_writer) that emits the client's message in DTD
 *   order: SyncHdr, then Status / Results / Alert / Replace, then Final.
 * It uses libxml2 and xml_safe only. It does not execute commands, know
 * the DM tree, check credentials or decide status codes: the engine walks
 * the model and answers through the writer.
 *
 * The model. A struct syncml_msg is one message: the SyncHdr fields, the
 * commands of SyncBody in document order and the Final flag. Every command
 * is a struct syncml_cmd, whatever its kind; the fields a kind does not use
 * stay NULL/0. Atomic and Sequence hold their inner commands in cmds[].
 * Strings are malloc'd, NUL-terminated, UTF-8, owned by the message; a
 * string field is NULL when its element was absent. Arrays come with a
 * count. One call, syncml_msg_free(), frees the whole message.
 *
 * Liberal in what it accepts (parsing):
 * - root namespace SYNCML:SYNCML1.2, SYNCML:SYNCML1.1 (any case) or none;
 *   any other namespace is refused. Elements are matched by local name, so
 *   Meta children are found with or without xmlns="syncml:metinf", and a
 *   <MetInf> wrapper inside <Meta> is looked through.
 * - children of SyncHdr, commands, Status, Item, Meta in any order; when an
 *   element that should appear once appears twice, the first one wins.
 *   Unknown children are ignored; XML comments and stray text between
 *   elements are ignored anywhere.
 * - every value is trimmed of surrounding XML whitespace, except Item Data,
 *   which is kept byte for byte (CDATA content included). A Data element
 *   that holds child elements (an XML payload) is kept as its serialized
 *   inner XML (Item data_xml is set).
 * - CmdID and the Ref fields are opaque strings (servers send UUIDs).
 * - an unknown command element gets kind SYNCML_CMD_UNKNOWN and keeps its
 *   name, so that the engine can answer Status 400 to it.
 * Missing SyncHdr fields (MsgID, ...) are left NULL: judging them is the
 * engine's job. What is refused: input over the size limit, empty input,
 * any XML error, a DOCTYPE with an internal subset (entity declarations,
 * billion laughs, external entities), any entity reference other than the
 * five predefined ones, element depth or count over the limits, a root that
 * is not SyncML and a message without SyncHdr or SyncBody. Nothing is ever
 * loaded from the network or the file system.
 *
 * Strict in what it sends (writing): elements in DTD order, root
 * <SyncML xmlns="SYNCML:SYNCML1.2"> without XML declaration (as Windows
 * sends), each Meta child with xmlns="syncml:metinf", text escaped (&, <,
 * >, and CR as &#13; so that it survives XML end-of-line handling). Text
 * that XML cannot carry (invalid UTF-8, control characters) is refused.
 */
#ifndef LUADM_SYNCML_H
#define LUADM_SYNCML_H

#include <stddef.h>

/* Default limits of syncml_parse(); see struct syncml_limits. */
#define SYNCML_MAX_INPUT	(16UL * 1024 * 1024)	/* bytes */
#define SYNCML_MAX_DEPTH	64		/* nesting of elements */
#define SYNCML_MAX_ELEMENTS	500000UL	/* elements in a message */

/* Size of an error buffer that always holds a whole message. */
#define SYNCML_ERRLEN		256

/* A data length meaning "NUL-terminated string" (struct syncml_item_out). */
#define SYNCML_NTS		((size_t)-1)

struct _xmlDoc;

/* Limits of one parse; a field left 0 takes the default above. */
struct syncml_limits {
	size_t		 max_input;	/* bytes of input */
	unsigned	 max_depth;	/* element depth, root = 1 */
	unsigned long	 max_elements;	/* elements in the document */
};

/* The SyncML namespace of a root element. */
enum syncml_ns {
	SYNCML_NS_NONE,		/* no namespace (writer: means 1.2) */
	SYNCML_NS_11,		/* SYNCML:SYNCML1.1 */
	SYNCML_NS_12,		/* SYNCML:SYNCML1.2 */
	SYNCML_NS__MAX
};

/* Command kinds. Keep in step with the name table in syncml_parse.c. */
enum syncml_cmd_kind {
	SYNCML_CMD_UNKNOWN,
	SYNCML_CMD_ADD,
	SYNCML_CMD_ALERT,
	SYNCML_CMD_ATOMIC,
	SYNCML_CMD_COPY,
	SYNCML_CMD_DELETE,
	SYNCML_CMD_EXEC,
	SYNCML_CMD_GET,
	SYNCML_CMD_MAP,
	SYNCML_CMD_MOVE,
	SYNCML_CMD_PUT,
	SYNCML_CMD_REPLACE,
	SYNCML_CMD_RESULTS,
	SYNCML_CMD_SEARCH,
	SYNCML_CMD_SEQUENCE,
	SYNCML_CMD_STATUS,
	SYNCML_CMD_SYNC,
	SYNCML_CMD__MAX
};

/*
 * Meta (MetInf) values. Strings as received (trimmed), NULL when absent;
 * the numeric fields are -1 when absent or not a non-negative decimal.
 * Other MetInf elements (Anchor, EMI, Mem, ...) are ignored.
 */
struct syncml_meta {
	char	*format;	/* Format: chr, int, bool, b64, node, xml... */
	char	*type;		/* Type: MIME type, or auth scheme in Cred */
	char	*mark;		/* Mark, e.g. "critical" */
	char	*size_str;	/* Size as received */
	char	*next_nonce;	/* NextNonce (base64) in Chal */
	char	*version;	/* Version */
	char	*max_msg_size_str;
	char	*max_obj_size_str;
	long	 size;		/* Size */
	long	 max_msg_size;	/* MaxMsgSize */
	long	 max_obj_size;	/* MaxObjSize */
};

/* Cred: Meta Type/Format and Data (trimmed). */
struct syncml_cred {
	struct syncml_meta meta;
	char	*data;		/* "" when <Data> was empty or absent */
};

/* One Item. */
struct syncml_item {
	char	*target_uri;	/* Target/LocURI */
	char	*target_name;	/* Target/LocName */
	char	*source_uri;	/* Source/LocURI */
	char	*source_name;	/* Source/LocName */
	char	*target_parent_uri;	/* TargetParent/LocURI */
	char	*source_parent_uri;	/* SourceParent/LocURI */
	struct syncml_meta meta;
	int	 has_data;	/* 1 when a <Data> element was present */
	char	*data;		/* its content, byte-exact; NULL if !has_data */
	size_t	 data_len;	/* strlen(data) (XML text never holds NUL) */
	int	 data_xml;	/* 1 when data is serialized child elements */
	int	 more_data;	/* <MoreData/> present */
};

/*
 * One command of SyncBody (or of an Atomic/Sequence). Fields by kind:
 * - all:      kind, name, cmd_id/has_cmd_id, no_resp, meta, items, line
 * - Add, Replace, Delete, Copy, Move, Get, Put, Exec: cred, items
 *   (Exec: correlator)
 * - Alert:    data = the alert code (also in code), correlator, items
 * - Atomic, Sequence: cmds[]
 * - Status:   msg_ref, cmd_ref, cmd, target_refs[], source_refs[], chal,
 *             data = the status code (also in code), items
 * - Results:  msg_ref, cmd_ref, cmd (MS-MDM sends it), target_refs[],
 *             source_refs[], meta, items
 */
struct syncml_cmd {
	enum syncml_cmd_kind kind;
	char	*name;		/* element local name, e.g. "Get", "Foo" */
	unsigned long line;	/* line of the element in the input */
	int	 has_cmd_id;	/* 0: no <CmdID> (answer 400, empty CmdRef) */
	char	*cmd_id;	/* CmdID, opaque; NULL when absent */
	int	 no_resp;	/* <NoResp/> present */
	struct syncml_meta meta;	/* command-level Meta */
	struct syncml_cred *cred;	/* NULL when absent */
	char	*correlator;	/* Alert, Exec */
	char	*data;		/* Alert/Status Data, trimmed */
	int	 code;		/* data as a number, -1 when not one */

	char	*msg_ref;	/* Status, Results */
	char	*cmd_ref;
	char	*cmd;
	char	**target_refs;
	size_t	 ntarget_refs;
	char	**source_refs;
	size_t	 nsource_refs;
	struct syncml_meta *chal;	/* Status Chal/Meta; NULL if absent */

	struct syncml_item *items;
	size_t	 nitems;

	struct syncml_cmd *cmds;	/* Atomic, Sequence */
	size_t	 ncmds;
};

/* SyncHdr. meta holds MaxMsgSize/MaxObjSize. */
struct syncml_hdr {
	char	*ver_dtd;
	char	*ver_proto;
	char	*session_id;
	char	*msg_id;
	char	*target_uri;
	char	*target_name;
	char	*source_uri;
	char	*source_name;
	char	*resp_uri;
	int	 no_resp;
	struct syncml_cred *cred;	/* NULL when absent */
	struct syncml_meta meta;
};

/* One received message. Free with syncml_msg_free(). */
struct syncml_msg {
	enum syncml_ns	 ns;	/* namespace seen on the root */
	struct syncml_hdr hdr;
	struct syncml_cmd *cmds;	/* SyncBody commands, in order */
	size_t		 ncmds;
	int		 final;	/* <Final/> present in SyncBody */
};

/*
 * Parses len bytes of SyncML XML. lim may be NULL (defaults). Returns a new
 * message, or NULL with a one-line English reason in err (errlen bytes,
 * SYNCML_ERRLEN is enough; err may be NULL). Nothing is printed.
 */
struct syncml_msg *syncml_parse(const void *buf, size_t len,
	    const struct syncml_limits *lim, char *err, size_t errlen);

/*
 * Builds the model from a DOM made elsewhere (the WBXML codec), applying
 * the same checks (entities, depth, element count; max_input is ignored).
 * The document is not modified and stays the caller's.
 */
struct syncml_msg *syncml_from_doc(struct _xmlDoc *doc,
	    const struct syncml_limits *lim, char *err, size_t errlen);

/* Frees a message and everything in it; NULL is allowed. */
void	syncml_msg_free(struct syncml_msg *msg);

/* "Add", "Alert", ... for a kind; "" for SYNCML_CMD_UNKNOWN. */
const char *syncml_cmd_kind_name(enum syncml_cmd_kind kind);

/* The kind for an element name; SYNCML_CMD_UNKNOWN when none. */
enum syncml_cmd_kind syncml_cmd_kind_of(const char *name);

/*
 * 1 when the n bytes at s are text an XML document can carry: valid UTF-8
 * without NUL, C0 controls other than TAB/LF/CR, surrogates, U+FFFE or
 * U+FFFF. The writer refuses anything else (send such values as b64).
 */
int	syncml_text_valid(const char *s, size_t n);

/* ---- Writer ---- */

/* SyncHdr of an outgoing (client) message. */
struct syncml_hdr_out {
	enum syncml_ns	 ns;		/* NONE or 12: SYNCML1.2; 11: 1.1 */
	const char	*session_id;	/* required */
	unsigned long	 msg_id;	/* required, >= 1 */
	const char	*target_uri;	/* server URI, required */
	const char	*source_uri;	/* DevId, required */
	const char	*source_name;	/* LocName, optional */
	const char	*cred_type;	/* Cred Meta Type: syncml:auth-md5 */
	const char	*cred_format;	/* Cred Meta Format, e.g. b64 */
	const char	*cred_data;	/* Cred is sent when this is not NULL */
	long		 max_msg_size;	/* Meta MaxMsgSize, sent when > 0 */
	long		 max_obj_size;	/* Meta MaxObjSize, sent when > 0 */
};

/* An outgoing Item: (Target?, Source?, Meta?, Data?, MoreData?). */
struct syncml_item_out {
	const char	*target_uri;	/* Target/LocURI, optional */
	const char	*source_uri;	/* Source/LocURI, optional */
	const char	*format;	/* Meta, each optional */
	const char	*type;
	const char	*mark;
	long		 size;		/* Meta Size, sent when > 0 */
	const char	*data;		/* NULL: no <Data> */
	size_t		 data_len;	/* bytes, or SYNCML_NTS */
	int		 more_data;	/* 1: <MoreData/> */
	/*
	 * Results queued with outq_results() only (the writer ignores
	 * them): with file set, data is NULL and the Data is the content
	 * of the open file fd, file_size bytes (a Get value held in a
	 * file), which outq reads chunk by chunk when it writes messages.
	 * outq keeps a duplicate of fd; the caller keeps fd.
	 */
	int		 file;
	int		 fd;
	long long	 file_size;
};

/* Chal of a Status: Meta (Format?, Type?, NextNonce?). */
struct syncml_chal_out {
	const char	*type;
	const char	*format;
	const char	*next_nonce;
};

/*
 * Status: (CmdID, MsgRef, CmdRef, Cmd, TargetRef*, SourceRef*, Chal?, Data,
 * Item*).
 */
struct syncml_status_out {
	const char	*msg_ref;	/* required */
	const char	*cmd_ref;	/* NULL or "": <CmdRef></CmdRef> */
	const char	*cmd;		/* required: "SyncHdr", "Get"... */
	const char *const *target_refs;
	size_t		 ntarget_refs;
	const char *const *source_refs;
	size_t		 nsource_refs;
	const struct syncml_chal_out *chal;	/* optional */
	int		 code;		/* Data */
	const struct syncml_item_out *items;
	size_t		 nitems;
};

/*
 * Results: (CmdID, MsgRef, CmdRef, Meta?, TargetRef?, SourceRef?, Item+).
 */
struct syncml_results_out {
	const char	*msg_ref;	/* required */
	const char	*cmd_ref;	/* required */
	const char	*format;	/* command Meta, optional */
	const char	*type;
	const char	*target_ref;	/* optional */
	const char	*source_ref;	/* optional */
	const struct syncml_item_out *items;	/* at least one */
	size_t		 nitems;
};

/* Alert: (CmdID, Data, Correlator?, Item*). */
struct syncml_alert_out {
	int		 code;		/* Data: 1201, 1222, 1226... */
	const char	*correlator;	/* optional */
	const struct syncml_item_out *items;
	size_t		 nitems;
};

/* A position in the writer, to undo what was emitted after it. */
struct syncml_writer_mark {
	size_t		 len;
	unsigned long	 next_cmdid;
};

struct syncml_writer;

/*
 * Starts a message: writes the root and the SyncHdr. Commands get CmdIDs
 * first_cmdid, first_cmdid + 1, ... (1 normally; 2 in package 1, where id
 * 1 is left for the Status of a SyncHdr that does not exist). Returns NULL
 * when a required field is missing, a value is not valid XML text or
 * memory runs out, with a reason in err. Free with syncml_writer_free().
 */
struct syncml_writer *syncml_writer_new(const struct syncml_hdr_out *hdr,
	    unsigned long first_cmdid, char *err, size_t errlen);
void	syncml_writer_free(struct syncml_writer *w);

/*
 * Append one command. Each returns the CmdID it used, or 0 on error: then
 * nothing of the command was written (the writer is still usable unless
 * memory ran out) and syncml_writer_error() says why.
 */
unsigned long syncml_emit_status(struct syncml_writer *w,
	    const struct syncml_status_out *st);
unsigned long syncml_emit_results(struct syncml_writer *w,
	    const struct syncml_results_out *res);
unsigned long syncml_emit_alert(struct syncml_writer *w,
	    const struct syncml_alert_out *al);
/* Replace (CmdID, Item+): package 1's DevInfo. */
unsigned long syncml_emit_replace(struct syncml_writer *w,
	    const struct syncml_item_out *items, size_t nitems);

/*
 * Bytes the message would have if finished now, <Final/> included: an
 * exact upper bound of syncml_writer_finish()'s length. O(1).
 */
size_t	syncml_writer_size(const struct syncml_writer *w);

/* The CmdID the next command will get. */
unsigned long syncml_writer_next_cmdid(const struct syncml_writer *w);

/* Records the current position / goes back to it (drops later commands). */
void	syncml_writer_save(const struct syncml_writer *w,
	    struct syncml_writer_mark *m);
void	syncml_writer_restore(struct syncml_writer *w,
	    const struct syncml_writer_mark *m);

/* The reason of the last failure, or "" when none. */
const char *syncml_writer_error(const struct syncml_writer *w);

/*
 * Closes SyncBody (with <Final/> when final is 1) and SyncML and hands the
 * message over: *out is malloc'd (NUL-terminated, *outlen bytes without
 * the NUL), the caller frees it. Returns 0, or -1 after an earlier memory
 * failure or a second finish. The writer must still be freed.
 */
int	syncml_writer_finish(struct syncml_writer *w, int final, char **out,
	    size_t *outlen);

#endif
