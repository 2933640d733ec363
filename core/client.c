/*
 * client.c: one DM session over HTTPS; see client.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "alertq.h"
#include "auth.h"
#include "b64.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "client.h"
#include "session.h"
#include "trace.h"
#include "util.h"

#define CT_XML		"application/vnd.syncml.dm+xml"
#define CT_WBXML	"application/vnd.syncml.dm+wbxml"
#define MAX_MESSAGES	1000	/* a server that never ends is cut off */

static const char *
acc_str(const struct account *a, const char *key)
{
	return account_get(a, key, NULL);
}

static unsigned long
acc_num(const struct account *a, const char *key, unsigned long def)
{
	const char *v = acc_str(a, key);
	char *end;
	unsigned long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtoul(v, &end, 10);
	return *end == '\0' ? n : def;
}

/* The POST URL: the address plus the account's query string. */
static char *
post_url(const char *addr, const char *query)
{
	if (query == NULL || *query == '\0')
		return strdup(addr);
	return util_asprintf("%s%c%s", addr, strchr(addr, '?') != NULL ?
	    '&' : '?', query[0] == '?' ? query + 1 : query);
}

static void
sleep_ms(unsigned long ms, const volatile int *stop)
{
	struct timespec ts;
	unsigned long step;

	while (ms > 0 && (stop == NULL || !*stop)) {
		step = ms < 100 ? ms : 100;	/* a stop is seen within 0.1 s */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000;
		if (nanosleep(&ts, NULL) != 0 && stop != NULL && *stop)
			break;
		ms -= step;
	}
}

/* A Windows-style correlation vector base for this session. */
static char *
make_cv(void)
{
	unsigned char r[12];
	char *b, *cv;

	if (auth_random(r, sizeof(r)) != 0)
		return strdup("AAAAAAAAAAAAAAAA.0");
	b = b64_encode(r, sizeof(r));
	cv = b != NULL ? util_asprintf("%s.0", b) : NULL;
	free(b);
	return cv;
}

/*
 * One session at a time per account, whoever starts it (`luadm run`,
 * `luadm session`, `luadm alert --now`): an exclusive lock on a file
 * beside the account. Returns the locked fd, or -1 with *err.
 */
static int
lock_account(const struct config *cfg, const struct account *acc,
    char **err)
{
	char *path;
	int fd;

	path = util_asprintf("%s/accounts/%s.lock", cfg->state_dir, acc->id);
	if (path == NULL) {
		*err = strdup("out of memory");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = util_asprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*err = util_asprintf("a session with %s is already running",
		    acc->id);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * After a session: when the account is being unenrolled and the server
 * has taken the unenrollment alert (it is no longer queued), the account
 * goes, with its alert queue.
 */
static void
finish_unenroll(const struct config *cfg, struct account *acc)
{
	struct alertq_alert *v = NULL;
	const char *want;
	char *err = NULL;
	size_t n = 0, i;

	if (account_reload(acc, NULL) < 0)
		return;
	want = account_get(acc, "Ext/luadm/UnenrollAlert", NULL);
	if (want == NULL)
		return;
	if (alertq_list(cfg->state_dir, acc->id, &v, &n, &err) != 0) {
		log_warnx("unenroll: %s", err != NULL ? err : "?");
		free(err);
		return;
	}
	for (i = 0; i < n; i++)
		if (strcmp(v[i].id, want) == 0)
			break;
	alertq_free(v, n);
	if (i < n)
		return;		/* not taken yet */
	if (account_remove(cfg->state_dir, acc->id, &err) != 0 ||
	    alertq_purge(cfg->state_dir, acc->id, &err) != 0) {
		log_warnx("unenroll: %s", err != NULL ? err : "?");
		free(err);
		return;
	}
	log_info("unenrolled: the server took the alert; account %s removed",
	    acc->id);
}

/* First 160 printable bytes of a body, for error messages. */
static char *
body_excerpt(const char *body, size_t len)
{
	size_t i, n = len < 160 ? len : 160;
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : ' ';
	s[n] = '\0';
	return s;
}

/*
 * Posts msg; before the session started (first), retries transport
 * failures with exponential backoff, unless stop is set (a signal: no
 * retry, and the wait ends at once). 0, or -1 with *err.
 */
static int
post(struct http *h, const struct account *acc, const char *url,
    const char *ctype, const struct http_header *hd, size_t nhd,
    const char *msg, size_t len, int first, unsigned max_retries,
    const volatile int *stop, struct http_response *resp, char **err)
{
	unsigned long backoff, maxb;
	unsigned tries = 0;

	backoff = acc_num(acc, "Ext/Microsoft/InitialBackOffTime", 16000);
	maxb = acc_num(acc, "Ext/Microsoft/MaxBackOffTime", 86400000);
	for (;;) {
		if (http_post(h, url, ctype, hd, nhd, msg, len, resp,
		    err) == 0)
			return 0;
		if (!first || tries >= max_retries ||
		    (stop != NULL && *stop))
			return -1;
		tries++;
		log_warnx("%s; retrying in %lu ms (%u of %u)", *err, backoff,
		    tries, max_retries);
		free(*err);
		*err = NULL;
		sleep_ms(backoff, stop);
		if (stop != NULL && *stop) {
			*err = strdup("stopped (the client is shutting down)");
			return -1;
		}
		backoff = backoff * 2 > maxb ? maxb : backoff * 2;
	}
}

int
client_session(const struct config *cfg, struct tree *t,
    struct account *acc, const struct client_opts *o, char **err)
{
	struct http_opts ho;
	struct http_header hd[8];
	struct http_response resp;
	struct session_opts so;
	struct session *s = NULL;
	struct trace *tr = NULL;
	struct http *h = NULL;
	enum session_state st;
	const char *hmac;
	char *addr = NULL, *server_id = NULL, *entdmid = NULL;
	char *url = NULL, *msg = NULL, *next = NULL, *cv = NULL, *ua = NULL;
	char *ex = NULL, *spool = NULL;
	size_t len, nlen, nhd;
	unsigned n, retries;
	int rc = -1, aborting = 0, lockfd;

	*err = NULL;
	memset(&resp, 0, sizeof(resp));
	lockfd = lock_account(cfg, acc, err);
	if (lockfd < 0)
		return -1;
	/* copies: the session re-reads the account (DMAcc changes), which
	 * frees the strings of the old map */
	if (acc_str(acc, "AppAddr/1/Addr") != NULL)
		addr = strdup(acc_str(acc, "AppAddr/1/Addr"));
	if (acc_str(acc, "ServerID") != NULL)
		server_id = strdup(acc_str(acc, "ServerID"));
	if (acc_str(acc, "DMClient/EntDMID") != NULL)
		entdmid = strdup(acc_str(acc, "DMClient/EntDMID"));
	if (addr == NULL || *addr == '\0') {
		*err = util_asprintf("account %s has no server address", acc->id);
		free(addr);
		free(server_id);
		free(entdmid);
		close(lockfd);
		return -1;
	}
	url = post_url(addr, acc_str(acc, "Ext/luadm/Query") != NULL ?
	    acc_str(acc, "Ext/luadm/Query") : cfg->session.query);
	cv = make_cv();
	ua = cfg->session.user_agent != NULL ? strdup(cfg->session.user_agent) :
	    util_asprintf("luadm/%s", LUADM_VERSION);
	if (url == NULL || cv == NULL || ua == NULL)
		goto nomem;
	tr = trace_open(o->trace_dir, err);
	if (o->trace_dir != NULL && tr == NULL)
		goto out;

	memset(&ho, 0, sizeof(ho));
	ho.ca_file = acc_str(acc, "Ext/luadm/CAFile");
	ho.ca_dir = acc_str(acc, "Ext/luadm/CADir");
	ho.client_cert = acc_str(acc, "Ext/luadm/ClientCert");
	ho.client_key = acc_str(acc, "Ext/luadm/ClientKey");
	ho.user_agent = ua;
	ho.connect_timeout_ms = cfg->session.connect_timeout_ms;
	ho.total_timeout_ms = cfg->session.timeout_ms;
	ho.max_response = cfg->session.max_message;
	ho.stop = o->stop;
	h = http_new(&ho, err);
	if (h == NULL)
		goto out;

	memset(&so, 0, sizeof(so));
	so.server_id = server_id;
	so.session_id = o->session_id;
	so.server_uri = addr;
	so.honour_hdr_meta = cfg->session.honour_hdr_meta;
	so.ui_policy = (enum engine_ui_policy)cfg->session.ui_alerts;
	so.account = acc;
	so.server_initiated = o->server_initiated;
	so.login_status = cfg->session.login_status;
	so.large_objects = cfg->session.large_objects;
	so.max_message = cfg->session.max_message;
	so.max_object = cfg->session.max_object;
	so.state_dir = cfg->state_dir;
	spool = util_asprintf("%s/spool", cfg->state_dir);
	so.spool_dir = spool;
	s = session_new(t, &so);
	if (s == NULL)
		goto nomem;
	if (session_start(s, &msg, &len, err) != 0)
		goto out;
	log_info("session %s with %s (%s)", session_id(s), so.server_id != NULL ?
	    so.server_id : "?", addr);

	retries = o->max_retries > 0 ? o->max_retries :
	    (unsigned)acc_num(acc, "Ext/Microsoft/ConnRetryFreq", 3);
	for (n = 0; n < MAX_MESSAGES; n++) {
		if (o->stop != NULL && *o->stop) {
			/* never resend; the state saved so far stands */
			*err = strdup("stopped (the client is shutting down)");
			goto out;
		}
		nhd = 0;
		hd[nhd].name = "Accept";
		hd[nhd++].value = CT_XML ", " CT_WBXML ", application/octet-stream";
		hd[nhd].name = "Accept-Charset";
		hd[nhd++].value = "UTF-8";
		hd[nhd].name = "Client-Request-Id";
		hd[nhd++].value = entdmid != NULL ? entdmid : "0";
		hd[nhd].name = "MS-CV";
		hd[nhd++].value = cv;
		if (session_generic_alert(s) != NULL) {
			hd[nhd].name = "MDM-GenericAlert";
			hd[nhd++].value = session_generic_alert(s);
		}
		hmac = session_hmac_header(s);
		if (hmac != NULL) {
			hd[nhd].name = AUTH_HMAC_HEADER;
			hd[nhd++].value = hmac;
		}
		trace_message(tr, "client", msg, len, hmac);
		if (post(h, acc, session_resp_uri(s) != NULL ?
		    session_resp_uri(s) : url, session_content_type(s), hd,
		    nhd, msg, len, n == 0, retries, o->stop, &resp, err) != 0)
			goto out;
		free(msg);
		msg = NULL;
		if (aborting) {
			*err = strdup("the client aborted the session (Alert "
			    "1223): a result is larger than the server's "
			    "MaxMsgSize and large objects are off");
			goto out;
		}
		if (resp.status != 200) {
			ex = body_excerpt(resp.body != NULL ? resp.body : "",
			    resp.len);
			*err = util_asprintf("%s: the server answered HTTP %ld%s%s",
			    session_resp_uri(s) != NULL ? session_resp_uri(s) :
			    url, resp.status, resp.len > 0 ? ": " : "",
			    ex != NULL && resp.len > 0 ? ex : "");
			goto out;
		}
		if (resp.len == 0) {
			/* an empty 200 ends the session (a real server does) */
			log_info("the server answered with an empty body: the "
			    "session ends");
			rc = 0;
			goto out;
		}
		trace_message(tr, "server", resp.body, resp.len, resp.hmac);
		if (resp.short_body)
			log_warnx("the server's body is shorter than its "
			    "Content-Length; using it only if it parses");
		if (session_handle_http(s, resp.body, resp.len, resp.hmac,
		    &next, &nlen, &st, err) != 0)
			goto out;
		http_response_free(&resp);
		if (st == SESSION_ABORT) {
			*err = strdup("the server aborted the session "
			    "(Alert 1223)");
			goto out;
		}
		if (st == SESSION_ABORTING)
			aborting = 1;	/* send our Alert 1223, then stop */
		if (st == SESSION_END) {
			log_info("session %s completed", session_id(s));
			rc = 0;
			goto out;
		}
		msg = next;
		len = nlen;
		next = NULL;
	}
	*err = util_asprintf("%s: the server sent more than %d messages in "
	    "one session; giving up", url, MAX_MESSAGES);
	goto out;
nomem:
	free(*err);
	*err = strdup("out of memory");
out:
	if (rc == 0)
		finish_unenroll(cfg, acc);
	if (h != NULL)
		log_debug("TLS connections this session: %ld",
		    http_connections(h));
	http_response_free(&resp);
	session_free(s);
	http_free(h);
	trace_close(tr);
	free(url);
	free(msg);
	free(next);
	free(cv);
	free(ua);
	free(ex);
	free(spool);
	free(addr);
	free(server_id);
	free(entdmid);
	close(lockfd);
	return rc;
}

int
client_pick_account(const struct config *cfg, const char *server_id,
    struct account **acc, char **err)
{
	char **ids = NULL;
	size_t n = 0;
	int r;

	*acc = NULL;
	*err = NULL;
	if (server_id != NULL) {
		r = account_find(cfg->state_dir, server_id, acc, err);
		if (r == 1)
			*err = util_asprintf("no such account: server %s (luadm "
			    "bootstrap enrols one)", server_id);
		return r == 0 ? 0 : -1;
	}
	if (account_list(cfg->state_dir, &ids, &n, err) != 0)
		return -1;
	if (n != 1) {
		*err = strdup(n == 0 ? "no account is enrolled (luadm "
		    "bootstrap FILE.xml enrols one)" : "several accounts are "
		    "enrolled: name the SERVERID");
		account_list_free(ids, n);
		return -1;
	}
	r = account_load(cfg->state_dir, ids[0], acc, err);
	account_list_free(ids, n);
	if (r == 1)
		*err = strdup("the account vanished");
	return r == 0 ? 0 : -1;
}
