/*
 * session.c: package 1, then one server message in, the next message out;
 * authentication both ways. See session.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "account.h"
#include "alertq.h"
#include "auth.h"
#include "b64.h"
#include "codec_wbxml.h"
#include "dm_status.h"
#include "engine.h"
#include "log.h"
#include "outq.h"
#include "session.h"
#include "syncml.h"
#include "tree.h"
#include "util.h"

#define AUTH_MAX_RETRIES	3	/* package 1 re-sent at most so often */
#define NONCE_LEN		16
#define CMDID_WIDEST		20	/* digits of the largest CmdID */

enum cred_kind {
	CRED_NONE,
	CRED_BASIC,
	CRED_MD5,
	CRED_HMAC
};

struct session {
	struct tree		*tree;
	struct engine		*engine;
	struct session_opts	 opts;
	struct account		*acc;
	struct outq		*q;	/* our commands not sent yet */
	unsigned long		 msg_id;	/* of our next message */
	char			*sid;		/* SessionID */
	char			*devid;
	char			*resp_uri;
	char			*hmac_out;
	int			 wbxml;		/* our messages go in WBXML: the
						   server spoke it, or the
						   account's DefaultEncoding */
	char			*xml_out;	/* the last message built, as
						   XML (for traces and replay) */
	int			 started;	/* package 1 was built */
	int			 declare_sizes;	/* put MaxMsgSize/MaxObjSize in
						   the SyncHdr being built */
	int			 pkg1_pending;	/* no answer to it yet */
	int			 auth_retries;
	/* how we authenticate to the server (CLCRED) */
	enum cred_kind		 cl;
	int			 cl_accepted;	/* 212: no more Cred */
	int			 send_cred;
	/* how the server authenticates to us (SRVCRED) */
	enum cred_kind		 srv;
	int			 srv_accepted;
	/* generic alerts (1226) sent in package 1, until settled */
	struct alertq_batch	 alerts;
};

static enum cred_kind
cred_kind_of(const char *t)
{
	if (t == NULL)
		return CRED_NONE;
	if (strcmp(t, "BASIC") == 0 || strcmp(t, "HTTP-BASIC") == 0 ||
	    strcmp(t, AUTH_TYPE_BASIC) == 0)
		return CRED_BASIC;
	if (strcmp(t, "DIGEST") == 0 || strcmp(t, "HTTP-DIGEST") == 0 ||
	    strcmp(t, AUTH_TYPE_MD5) == 0)
		return CRED_MD5;
	if (strcmp(t, "HMAC") == 0 || strcmp(t, AUTH_TYPE_HMAC) == 0)
		return CRED_HMAC;
	return CRED_NONE;
}

static const char *
cred_type_name(enum cred_kind k)
{
	switch (k) {
	case CRED_BASIC:
		return AUTH_TYPE_BASIC;
	case CRED_MD5:
		return AUTH_TYPE_MD5;
	case CRED_HMAC:
		return AUTH_TYPE_HMAC;
	default:
		return NULL;
	}
}

static const char *
acc_str(const struct session *s, const char *key)
{
	return s->acc != NULL ? account_get(s->acc, key, NULL) : NULL;
}

/*
 * Reads the account again: a server may have changed it through the DMAcc
 * CSP (Fleet rewrites AAuthName mid-session); its changes are used from
 * the next message on and must never be overwritten by a stale copy.
 */
static void
acc_refresh(struct session *s)
{
	char *err = NULL;

	if (s->acc != NULL && account_reload(s->acc, &err) < 0) {
		log_warnx("cannot read the account again: %s",
		    err != NULL ? err : "out of memory");
		free(err);
	}
}

static void
acc_save(struct session *s)
{
	char *err = NULL;

	if (s->acc != NULL && account_save(s->acc, &err) != 0) {
		log_warnx("cannot save the account: %s", err != NULL ? err :
		    "out of memory");
		free(err);
	}
}

/* The next SessionID of the account: 1..9999, never 0, kept at once. */
static char *
next_session_id(struct session *s)
{
	const char *c = acc_str(s, "Ext/luadm/SessionCounter");
	unsigned long n = c != NULL ? strtoul(c, NULL, 10) : 0;
	char buf[16];

	n = n % 9999 + 1;
	snprintf(buf, sizeof(buf), "%lu", n);
	if (account_set_str(s->acc, "Ext/luadm/SessionCounter", buf) == 0)
		acc_save(s);
	return strdup(buf);
}

struct session *
session_new(struct tree *t, const struct session_opts *o)
{
	struct engine_opts eo;
	struct session *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->tree = t;
	s->opts = *o;
	s->acc = o->account;
	s->msg_id = o->first_msg_id > 0 ? o->first_msg_id : 2;
	memset(&eo, 0, sizeof(eo));
	eo.server_id = o->server_id;
	eo.session_id = o->session_id;
	eo.honour_hdr_meta = o->honour_hdr_meta;
	eo.ui_policy = o->ui_policy;
	eo.spool_dir = o->large_objects ? o->spool_dir : NULL;
	eo.max_object = o->max_object;
	s->engine = engine_new(t, &eo);
	s->q = outq_new();
	if (s->engine == NULL || s->q == NULL) {
		engine_free(s->engine);
		outq_free(s->q);
		free(s);
		return NULL;
	}
	if (o->session_id != NULL)
		s->sid = strdup(o->session_id);
	if (s->acc != NULL) {
		s->cl = cred_kind_of(acc_str(s, "AAuthPref"));
		if (s->cl == CRED_NONE)
			s->cl = cred_kind_of(acc_str(s,
			    "AppAuth/CLCRED/AAuthType"));
		s->srv = cred_kind_of(acc_str(s,
		    "AppAuth/SRVCRED/AAuthType"));
		s->send_cred = s->cl == CRED_BASIC || s->cl == CRED_MD5;
	}
	return s;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	engine_free(s->engine);
	outq_free(s->q);
	free(s->sid);
	free(s->devid);
	free(s->resp_uri);
	free(s->hmac_out);
	free(s->xml_out);
	alertq_batch_free(&s->alerts);
	free(s);
}

const char *
session_hmac_header(const struct session *s)
{
	return s->hmac_out;
}

const char *
session_generic_alert(const struct session *s)
{
	return s->alerts.header;
}

const char *
session_content_type(const struct session *s)
{
	return s->wbxml ? "application/vnd.syncml.dm+wbxml" :
	    "application/vnd.syncml.dm+xml";
}

const char *
session_xml(const struct session *s)
{
	return s->xml_out;
}

const char *
session_resp_uri(const struct session *s)
{
	return s->resp_uri;
}

const char *
session_id(const struct session *s)
{
	return s->sid;
}

/* Reads a leaf as the administrator; malloc'd or NULL. */
static char *
tree_value(struct session *s, const char *uri)
{
	struct tree_who who = { NULL, NULL };
	struct csp_value v;
	struct dm_uri u;
	char *r = NULL;

	if (uri_parse(uri, &u, NULL) != 0)
		return NULL;
	if (tree_get(s->tree, &who, &u, &v, NULL) == DM_OK && v.data != NULL)
		r = strdup(v.data);
	csp_value_free(&v);
	uri_free(&u);
	return r;
}

/* Our DevId: the option, else ./DevInfo/DevId, else the fallback. */
static const char *
session_devid(struct session *s, const char *fallback)
{
	if (s->opts.devid != NULL)
		return s->opts.devid;
	if (s->devid == NULL)
		s->devid = tree_value(s, "./DevInfo/DevId");
	if (s->devid != NULL && s->devid[0] != '\0')
		return s->devid;
	return fallback != NULL ? fallback : "unknown";
}

/* The nonce (raw bytes) of a credential set; *len gets its length. */
static const char *
acc_nonce(const struct session *s, const char *level, size_t *len)
{
	char key[64];
	const char *n;

	snprintf(key, sizeof(key), "AppAuth/%s/AAuthData", level);
	n = s->acc != NULL ? account_get(s->acc, key, len) : NULL;
	if (n == NULL) {
		*len = 0;
		return "";
	}
	return n;
}

static const char *
acc_cred(const struct session *s, const char *level, const char *what)
{
	char key[64];
	const char *v;

	snprintf(key, sizeof(key), "AppAuth/%s/%s", level, what);
	v = acc_str(s, key);
	return v != NULL ? v : "";
}

/* Stores a nonce received base64-encoded; 0, or -1 when not base64. */
static int
store_nonce(struct session *s, const char *level, const char *b64)
{
	unsigned char *raw;
	size_t len;
	char key[64];

	raw = b64_decode(b64, strlen(b64), &len);
	if (raw == NULL)
		return -1;
	acc_refresh(s);
	snprintf(key, sizeof(key), "AppAuth/%s/AAuthData", level);
	if (account_set(s->acc, key, raw, len) == 0)
		acc_save(s);
	free(raw);
	return 0;
}

/* Fills the Cred of hdr for our next message (strings kept in *owned). */
static void
fill_cred(struct session *s, struct syncml_hdr_out *hdr, char **owned)
{
	const char *name = acc_cred(s, "CLCRED", "AAuthName");
	const char *secret = acc_cred(s, "CLCRED", "AAuthSecret");
	const char *nonce;
	size_t nlen;

	*owned = NULL;
	if (s->acc == NULL || s->cl == CRED_NONE)
		return;
	if (s->cl == CRED_MD5 || s->cl == CRED_HMAC)
		hdr->source_name = name;
	if (!s->send_cred || s->cl_accepted || s->cl == CRED_HMAC)
		return;
	if (s->cl == CRED_BASIC)
		*owned = auth_basic(name, secret);
	else {
		nonce = acc_nonce(s, "CLCRED", &nlen);
		*owned = auth_md5(name, secret, nonce, nlen);
	}
	hdr->cred_type = cred_type_name(s->cl);
	hdr->cred_format = "b64";
	hdr->cred_data = *owned;
}

/* Computes the HMAC header of a finished message when HMAC is in use. */
static int
sign(struct session *s, const char *msg, size_t len)
{
	const char *name = acc_cred(s, "CLCRED", "AAuthName");
	const char *nonce;
	size_t nlen;
	char *mac;

	free(s->hmac_out);
	s->hmac_out = NULL;
	if (s->acc == NULL || s->cl != CRED_HMAC)
		return 0;
	nonce = acc_nonce(s, "CLCRED", &nlen);
	mac = auth_hmac_mac(name, acc_cred(s, "CLCRED", "AAuthSecret"), nonce,
	    nlen, msg, len);
	if (mac == NULL)
		return -1;
	s->hmac_out = auth_hmac_header(name, mac);
	free(mac);
	return s->hmac_out != NULL ? 0 : -1;
}

/*
 * Finishes a built message for sending: keeps its XML (traces, replay),
 * encodes it as WBXML when the session speaks WBXML, then signs the bytes
 * that will be sent (HMAC). *out is replaced. 0 or -1.
 */
static int
seal(struct session *s, char **out, size_t *outlen)
{
	unsigned char *wb = NULL;
	char ebuf[WBXML_ERRLEN];
	size_t wlen;

	free(s->xml_out);
	s->xml_out = strdup(*out);
	if (s->xml_out == NULL)
		return -1;
	if (s->wbxml) {
		if (wbxml_encode(*out, *outlen, &wb, &wlen, ebuf,
		    sizeof(ebuf)) != 0) {
			log_warnx("cannot encode our message as WBXML: %s",
			    ebuf);
			return -1;
		}
		free(*out);
		*out = (char *)wb;
		*outlen = wlen;
	}
	return sign(s, *out, *outlen);
}

/* Starts our next message: SyncHdr with Cred. NULL with *err. */
static struct syncml_writer *
begin_message(struct session *s, const char *target, const char *devid,
    unsigned long first_cmdid, char **owned, char **err)
{
	struct syncml_hdr_out hdr;
	struct syncml_writer *w;
	char ebuf[SYNCML_ERRLEN];

	memset(&hdr, 0, sizeof(hdr));
	hdr.session_id = s->sid != NULL ? s->sid : "1";
	hdr.msg_id = s->msg_id;
	hdr.target_uri = target;
	hdr.source_uri = devid;
	if (s->declare_sizes) {
		hdr.max_msg_size = (long)s->opts.max_message;
		hdr.max_obj_size = s->opts.large_objects ?
		    (long)s->opts.max_object : 0;
	}
	fill_cred(s, &hdr, owned);
	w = syncml_writer_new(&hdr, first_cmdid, ebuf, sizeof(ebuf));
	if (w == NULL)
		*err = util_asprintf("cannot start a message: %s", ebuf);
	return w;
}

/*
 * The pending generic alerts (1226), one Alert each, after the 1224 as
 * Windows sends them. A queue that cannot be read does not stop the
 * session: its alerts wait for the next one.
 */
static void
emit_alerts(struct session *s, struct syncml_writer *w)
{
	char *err = NULL;

	if (s->opts.state_dir == NULL || s->acc == NULL)
		return;
	if (alertq_emit(s->opts.state_dir, s->acc->id, w, s->msg_id, 0,
	    &s->alerts, &err) != 0) {
		log_warnx("generic alerts not sent: %s", err != NULL ? err :
		    "out of memory");
		free(err);
	}
	if (s->alerts.n > 0)
		log_info("sending %zu generic alert(s)", s->alerts.n);
}

/*
 * Drops from the queue the generic alerts the server took in its answer
 * to package 1 (alertq_settle), when that answer is to be trusted.
 */
static void
settle_alerts(struct session *s, const struct engine_result *res,
    const struct engine_hdr *hdr)
{
	char *err = NULL;
	size_t n = 0;

	if (s->alerts.n == 0 || !res->hdr_valid || !hdr->execute)
		return;
	if (alertq_settle(s->opts.state_dir, s->acc->id, &s->alerts,
	    res->statuses, res->nstatuses, &n, &err) != 0) {
		log_warnx("generic alerts stay queued: %s", err != NULL ? err :
		    "out of memory");
		free(err);
	} else if (n < s->alerts.n)
		log_warnx("the server did not take %zu of %zu generic "
		    "alert(s): they are sent again next session",
		    s->alerts.n - n, s->alerts.n);
	else
		log_info("the server took %zu generic alert(s)", n);
}

/* The commands of package 1 (after any Status). 0 or -1. */
static int
emit_pkg1(struct session *s, struct syncml_writer *w)
{
	static const char *const leaves[] = { "DevId", "Man", "Mod", "DmV",
	    "Lang" };
	struct syncml_item_out items[5], login;
	struct syncml_alert_out al;
	char *vals[5], uri[32], *auto_status = NULL;
	size_t i;
	int rc = -1;

	memset(&al, 0, sizeof(al));
	al.code = s->opts.server_initiated ? 1200 : 1201;
	if (syncml_emit_alert(w, &al) == 0)
		return -1;
	memset(&login, 0, sizeof(login));
	login.type = "com.microsoft/MDM/LoginStatus";
	login.data = s->opts.login_status;
	if (login.data == NULL || strcmp(login.data, "auto") == 0) {
		/* the LoginStatus CSP decides (a Lua hook admins replace) */
		auto_status = tree_value(s, "./Vendor/luadm/LoginStatus");
		if (auto_status == NULL || (strcmp(auto_status, "user") != 0 &&
		    strcmp(auto_status, "others") != 0 &&
		    strcmp(auto_status, "none") != 0)) {
			log_info("./Vendor/luadm/LoginStatus gave no user, others "
			    "or none: sending none");
			free(auto_status);
			auto_status = NULL;
		}
		login.data = auto_status != NULL ? auto_status : "none";
	}
	login.data_len = SYNCML_NTS;
	al.code = 1224;
	al.items = &login;
	al.nitems = 1;
	if (syncml_emit_alert(w, &al) == 0) {
		free(auto_status);
		return -1;
	}
	free(auto_status);
	emit_alerts(s, w);
	memset(items, 0, sizeof(items));
	for (i = 0; i < 5; i++) {
		snprintf(uri, sizeof(uri), "./DevInfo/%s", leaves[i]);
		vals[i] = tree_value(s, uri);
		items[i].source_uri = leaves[i];
		items[i].data = vals[i] != NULL ? vals[i] : "";
		items[i].data_len = SYNCML_NTS;
	}
	/* Source LocURIs as Windows sends them: ./DevInfo/<leaf> */
	{
		static const char *const srcs[] = { "./DevInfo/DevId",
		    "./DevInfo/Man", "./DevInfo/Mod", "./DevInfo/DmV",
		    "./DevInfo/Lang" };

		for (i = 0; i < 5; i++)
			items[i].source_uri = srcs[i];
	}
	if (syncml_emit_replace(w, items, 5) != 0)
		rc = 0;
	for (i = 0; i < 5; i++)
		free(vals[i]);
	return rc;
}

int
session_start(struct session *s, char **out, size_t *outlen, char **err)
{
	struct syncml_writer *w;
	char *owned = NULL;
	const char *target, *enc;
	int rc = -1;

	*out = NULL;
	*err = NULL;
	if (s->sid == NULL)
		s->sid = s->acc != NULL ? next_session_id(s) : strdup("1");
	s->msg_id = 1;
	enc = acc_str(s, "Ext/Microsoft/DefaultEncoding");
	s->wbxml = enc != NULL && strstr(enc, "wbxml") != NULL;
	target = s->opts.server_uri != NULL ? s->opts.server_uri :
	    acc_str(s, "AppAddr/1/Addr");
	if (target == NULL) {
		*err = strdup("the account has no server address "
		    "(AppAddr/1/Addr)");
		return -1;
	}
	/* package 1 answers no SyncHdr: its commands start at CmdID 2;
	 * its SyncHdr Meta declares the sizes we take */
	s->declare_sizes = 1;
	w = begin_message(s, target, session_devid(s, NULL), 2, &owned, err);
	s->declare_sizes = 0;
	if (w == NULL)
		goto out;
	if (emit_pkg1(s, w) != 0 ||
	    syncml_writer_finish(w, 1, out, outlen) != 0 ||
	    seal(s, out, outlen) != 0) {
		*err = util_asprintf("cannot build package 1: %s",
		    syncml_writer_error(w));
		goto out;
	}
	s->started = 1;
	s->pkg1_pending = 1;
	s->msg_id++;
	rc = 0;
out:
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	free(owned);
	syncml_writer_free(w);
	return rc;
}

/*
 * The largest message the server takes: its MaxMsgSize (when honoured),
 * else the account's Ext/luadm/MaxMsgSize, else 0 (no limit: never split).
 */
static size_t
msg_limit(const struct session *s, const struct engine_result *res)
{
	const char *v;

	if (res->max_msg_size > 0)
		return (size_t)res->max_msg_size;
	v = acc_str(s, "Ext/luadm/MaxMsgSize");
	if (v != NULL && strtoul(v, NULL, 10) > 0)
		return (size_t)strtoul(v, NULL, 10);
	return 0;
}

/*
 * The limit for our queued commands in a message of at most limit bytes
 * (0: none): when the message will end with the Alert 1222 that asks for
 * the server's next message, room for it is kept, with the CmdID at its
 * widest, so that the whole message stays within the server's MaxMsgSize.
 */
static size_t
drain_limit(struct syncml_writer *w, size_t limit, int ask_next)
{
	struct syncml_writer_mark m;
	struct syncml_alert_out al;
	size_t before, room;

	if (limit == 0 || !ask_next)
		return limit;
	memset(&al, 0, sizeof(al));
	al.code = 1222;
	syncml_writer_save(w, &m);
	before = syncml_writer_size(w);
	if (syncml_emit_alert(w, &al) == 0)
		return limit;	/* the real emission reports it */
	room = syncml_writer_size(w) - before + CMDID_WIDEST;
	syncml_writer_restore(w, &m);
	return room < limit ? limit - room : 1;
}

/* The server's Status for our SyncHdr (CmdRef 0), or NULL. */
static const struct syncml_cmd *
msg_hdr_status(const struct syncml_msg *m)
{
	size_t i;

	for (i = 0; i < m->ncmds; i++) {
		const struct syncml_cmd *c = &m->cmds[i];

		if (c->kind != SYNCML_CMD_STATUS)
			continue;
		if ((c->cmd_ref != NULL && strcmp(c->cmd_ref, "0") == 0) ||
		    (c->cmd != NULL && strcmp(c->cmd, "SyncHdr") == 0))
			return c;
	}
	return NULL;
}

/*
 * Reads what the server said of our credentials. Returns 0, 1 when
 * package 1 must be sent again with credentials, -1 with *err.
 */
static int
client_auth(struct session *s, const struct syncml_cmd *st, char **err)
{
	enum cred_kind want;

	if (st == NULL || s->acc == NULL)
		return 0;
	if (st->chal != NULL && st->chal->next_nonce != NULL &&
	    store_nonce(s, "CLCRED", st->chal->next_nonce) != 0)
		log_warnx("the server's NextNonce is not base64; ignored");
	switch (st->code) {
	case DM_AUTH_ACCEPTED:
		s->cl_accepted = 1;
		s->send_cred = 0;
		return 0;
	case DM_OK:
		/* accepted for this message only: send it every time */
		s->send_cred = s->cl == CRED_BASIC || s->cl == CRED_MD5;
		return 0;
	case DM_INVALID_CRED:
	case DM_MISSING_CRED:
		break;
	default:
		if (st->code >= 400)
			log_warnx("the server answered our SyncHdr with %d",
			    st->code);
		return 0;
	}
	if (st->chal == NULL) {
		*err = util_asprintf("the server refused our credentials "
		    "(%d) and sent no challenge", st->code);
		return -1;
	}
	want = cred_kind_of(st->chal->type);
	if (want == CRED_NONE)
		want = s->cl;
	if (want == CRED_NONE || acc_str(s, "AppAuth/CLCRED/AAuthName") ==
	    NULL) {
		*err = util_asprintf("the server asks for credentials (%d, "
		    "%s) and the account has none", st->code,
		    st->chal->type != NULL ? st->chal->type : "no type");
		return -1;
	}
	if (++s->auth_retries > AUTH_MAX_RETRIES) {
		*err = util_asprintf("the server refused our credentials %d "
		    "times (%d); giving up", s->auth_retries - 1, st->code);
		return -1;
	}
	log_info("the server challenged us (%d, %s): sending package 1 again "
	    "with credentials", st->code, cred_type_name(want));
	s->cl = want;
	s->send_cred = want != CRED_HMAC;
	return 1;
}

/*
 * Checks the server's credentials (SRVCRED) and its HMAC; fills hdr with
 * the code for its SyncHdr and whether its commands may run. chal and
 * nonce64 receive the challenge to send (nonce64 malloc'd).
 */
static void
server_auth(struct session *s, const struct syncml_msg *m, const char *hmac,
    const void *body, size_t len, struct engine_hdr *hdr,
    struct syncml_chal_out *chal, char **nonce64)
{
	const char *name = acc_cred(s, "SRVCRED", "AAuthName");
	const char *secret = acc_cred(s, "SRVCRED", "AAuthSecret");
	const struct syncml_cred *cr = m->hdr.cred;
	unsigned char fresh[NONCE_LEN];
	const char *nonce;
	size_t nlen;
	int ok = -1, require;

	hdr->code = DM_OK;
	hdr->execute = 1;
	hdr->chal = NULL;
	*nonce64 = NULL;
	if (s->acc == NULL)
		return;
	nonce = acc_nonce(s, "SRVCRED", &nlen);
	require = acc_str(s, "Ext/luadm/RequireServerAuth") != NULL &&
	    strcmp(acc_str(s, "Ext/luadm/RequireServerAuth"), "true") == 0;
	if (s->cl == CRED_HMAC) {
		/* the session runs on HMAC: every server message is signed */
		ok = hmac != NULL && secret[0] != '\0' &&
		    auth_hmac_check(hmac, name, secret, nonce, nlen, body,
		    len);
		if (!ok)
			log_warnx("the server's message has %s HMAC: none of "
			    "its commands run", hmac == NULL ? "no" :
			    "a wrong");
	} else if (secret[0] == '\0' && !require) {
		/* no server credentials configured: nothing to check (an
		 * empty secret would let any digest pass) */
		return;
	} else if (cr != NULL && cr->data != NULL && cr->data[0] != '\0' &&
	    secret[0] != '\0') {
		switch (cred_kind_of(cr->meta.type)) {
		case CRED_BASIC:
			ok = auth_basic_check(cr->data, name, secret);
			break;
		case CRED_MD5:
			ok = auth_md5_check(cr->data, name, secret, nonce,
			    nlen);
			break;
		default:
			ok = 0;
		}
		if (s->srv != CRED_NONE && cred_kind_of(cr->meta.type) !=
		    s->srv)
			ok = 0;
		if (!ok)
			log_warnx("the server's credentials are wrong: none of "
			    "its commands run");
	} else if (s->srv_accepted || !require) {
		return;		/* no Cred, none needed */
	} else {
		log_warnx("the server sent no credentials and the account "
		    "requires them: none of its commands run");
	}
	if (ok == 1) {
		s->srv_accepted = 1;
		hdr->code = s->cl == CRED_HMAC ? DM_OK : DM_AUTH_ACCEPTED;
	} else {
		hdr->code = ok == 0 ? DM_INVALID_CRED : DM_MISSING_CRED;
		hdr->execute = 0;
	}
	/* a fresh nonce for the server's next credential, kept at once */
	if (auth_random(fresh, sizeof(fresh)) != 0)
		return;
	*nonce64 = b64_encode(fresh, sizeof(fresh));
	if (*nonce64 == NULL)
		return;
	acc_refresh(s);
	if (account_set(s->acc, "AppAuth/SRVCRED/AAuthData", fresh,
	    sizeof(fresh)) == 0)
		acc_save(s);
	chal->type = s->cl == CRED_HMAC ? AUTH_TYPE_HMAC :
	    cred_type_name(s->srv != CRED_NONE ? s->srv : CRED_MD5);
	chal->format = "b64";
	chal->next_nonce = chal->type != NULL &&
	    strcmp(chal->type, AUTH_TYPE_BASIC) == 0 ? NULL : *nonce64;
	hdr->chal = chal;
}

int
session_handle(struct session *s, const void *in, size_t len, char **out,
    size_t *outlen, enum session_state *st, char **err)
{
	return session_handle_http(s, in, len, NULL, out, outlen, st, err);
}

int
session_handle_http(struct session *s, const void *in, size_t len,
    const char *hmac, char **out, size_t *outlen, enum session_state *st,
    char **err)
{
	struct syncml_alert_out al;
	struct syncml_chal_out chal;
	struct engine_result res;
	struct engine_hdr hdr;
	struct syncml_writer *w = NULL;
	struct syncml_msg *m;
	char ebuf[SYNCML_ERRLEN], *owned = NULL, *nonce64 = NULL;
	const char *target;
	struct syncml_writer_mark mark;
	size_t queued;
	int rc = -1, again = 0, final = 0, drained, was_pkg1;

	*out = NULL;
	*outlen = 0;
	*err = NULL;
	*st = SESSION_END;
	memset(&res, 0, sizeof(res));
	memset(&chal, 0, sizeof(chal));
	if (wbxml_sniff(in, len)) {
		/* the server speaks WBXML: so do we from now on */
		struct _xmlDoc *doc;

		s->wbxml = 1;
		doc = wbxml_decode(in, len, NULL, ebuf, sizeof(ebuf));
		m = doc != NULL ? syncml_from_doc(doc, NULL, ebuf,
		    sizeof(ebuf)) : NULL;
		xmlFreeDoc(doc);
	} else {
		s->wbxml = 0;
		m = syncml_parse(in, len, NULL, ebuf, sizeof(ebuf));
	}
	if (m == NULL) {
		*err = util_asprintf("the server's message is refused: %s",
		    ebuf);
		return -1;
	}
	if (s->sid == NULL)
		s->sid = strdup(m->hdr.session_id != NULL ?
		    m->hdr.session_id : "1");
	else if (s->started && m->hdr.session_id != NULL &&
	    strcmp(m->hdr.session_id, s->sid) != 0)
		log_warnx("the server answers with SessionID %s in our session "
		    "%s", m->hdr.session_id, s->sid);
	if (m->hdr.resp_uri != NULL && m->hdr.resp_uri[0] != '\0') {
		free(s->resp_uri);
		s->resp_uri = strdup(m->hdr.resp_uri);
	}
	server_auth(s, m, hmac, in, len, &hdr, &chal, &nonce64);
	target = s->opts.server_uri != NULL ? s->opts.server_uri :
	    acc_str(s, "AppAddr/1/Addr");
	if (target == NULL)
		target = m->hdr.source_uri != NULL ? m->hdr.source_uri :
		    "unknown";
	/* what the server said of our credentials decides the Cred of the
	 * reply being built now (212: none; 200 + Chal: the new nonce) */
	was_pkg1 = s->pkg1_pending;
	s->pkg1_pending = 0;
	again = client_auth(s, msg_hdr_status(m), err);
	if (again < 0)
		goto out;
	if (!was_pkg1)
		again = 0;	/* later on, the Cred just goes in the reply */
	w = begin_message(s, target, session_devid(s, m->hdr.target_uri), 1,
	    &owned, err);
	if (w == NULL)
		goto out;
	queued = outq_len(s->q);
	if (engine_process(s->engine, m, &hdr, w, s->q, &res) != 0) {
		*err = util_asprintf("cannot build the reply: %s",
		    syncml_writer_error(w));
		goto out;
	}
	/* the commands may have changed the account (DMAcc): use it now */
	acc_refresh(s);
	if (s->acc != NULL) {
		enum cred_kind k = cred_kind_of(acc_str(s, "AAuthPref"));

		if (k == CRED_NONE)
			k = cred_kind_of(acc_str(s, "AppAuth/CLCRED/AAuthType"));
		if (k != CRED_NONE && k != s->cl) {
			log_info("the server changed our credential type");
			s->cl = k;
			s->send_cred = k == CRED_BASIC || k == CRED_MD5;
		}
	}
	if (was_pkg1)
		settle_alerts(s, &res, &hdr);
	rc = 0;
	if (res.abort) {
		log_warnx("the server aborted the session (Alert 1223)");
		*st = SESSION_ABORT;
		goto out;
	}
	if (again) {
		/* package 1 again, with credentials, after the Status for
		 * the server's SyncHdr (recorded/10's shape) */
		struct syncml_status_out hs;

		syncml_writer_free(w);
		free(owned);
		owned = NULL;
		s->declare_sizes = 1;
		w = begin_message(s, target, session_devid(s,
		    m->hdr.target_uri), 1, &owned, err);
		s->declare_sizes = 0;
		if (w == NULL) {
			rc = -1;
			goto out;
		}
		memset(&hs, 0, sizeof(hs));
		hs.msg_ref = m->hdr.msg_id != NULL ? m->hdr.msg_id : "0";
		hs.cmd_ref = "0";
		hs.cmd = "SyncHdr";
		hs.code = hdr.code;
		hs.chal = hdr.chal;
		if (syncml_emit_status(w, &hs) == 0 || emit_pkg1(s, w) != 0) {
			*err = util_asprintf("cannot build package 1: %s",
			    syncml_writer_error(w));
			rc = -1;
			goto out;
		}
		s->pkg1_pending = 1;
		final = 1;
	} else {
		if (res.final && !res.replied && queued == 0) {
			/* nothing but Status and Final: the session is over */
			*st = SESSION_END;
			goto out;
		}
		/* our Statuses/Results, within the server's MaxMsgSize;
		 * what does not fit goes in the next message */
		syncml_writer_save(w, &mark);
		drained = outq_drain(s->q, w, drain_limit(w, msg_limit(s, &res),
		    !res.final && !res.next_requested),
		    s->opts.large_objects);
		if (drained < 0) {
			*err = util_asprintf("cannot build the reply: %s",
			    syncml_writer_error(w));
			rc = -1;
			goto out;
		}
		if (drained > 0) {
			/* a result larger than a message, large objects off:
			 * abort as Windows does (recorded/14) */
			log_warnx("a result is larger than the server's "
			    "MaxMsgSize (%zu) and large objects are off: "
			    "aborting the session (Alert 1223)",
			    msg_limit(s, &res));
			syncml_writer_restore(w, &mark);
			memset(&al, 0, sizeof(al));
			al.code = 1223;
			if (syncml_emit_alert(w, &al) == 0 ||
			    syncml_writer_finish(w, 1, out, outlen) != 0 ||
			    seal(s, out, outlen) != 0) {
				*err = strdup("cannot build the reply: out of "
				    "memory");
				rc = -1;
				goto out;
			}
			s->msg_id++;
			*st = SESSION_ABORTING;
			goto out;
		}
		if (!res.final && !res.next_requested) {
			/* the server's package goes on: ask for the next
			 * message */
			memset(&al, 0, sizeof(al));
			al.code = 1222;
			if (syncml_emit_alert(w, &al) == 0) {
				*err = util_asprintf("cannot build the reply: "
				    "%s", syncml_writer_error(w));
				rc = -1;
				goto out;
			}
		}
		/* Final only when our package is complete */
		final = outq_len(s->q) == 0 &&
		    (res.final || res.next_requested);
		if (outq_len(s->q) > 0)
			log_info("the reply exceeds the server's MaxMsgSize: "
			    "%zu more command(s) follow in the next message",
			    outq_len(s->q));
	}
	if (syncml_writer_finish(w, final, out, outlen) != 0 ||
	    seal(s, out, outlen) != 0) {
		*err = strdup("cannot build the reply: out of memory");
		rc = -1;
		goto out;
	}
	s->msg_id++;
	*st = SESSION_CONTINUE;
out:
	if (rc != 0 || (*st != SESSION_CONTINUE && *st != SESSION_ABORTING)) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	engine_result_free(&res);
	syncml_writer_free(w);
	syncml_msg_free(m);
	free(owned);
	free(nonce64);
	return rc;
}
