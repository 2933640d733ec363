/*
 * fuzz_engine: server messages -> session_handle() (core/session.h), the
 * whole path of a message: codec (XML or WBXML), SyncHdr checks,
 * authentication, the engine's commands (Atomic, Sequence, large objects)
 * against a small test tree: the CSPs of tests/data/csp (Store.lua at
 * ./Vendor/Test/Store, Sink.lua at ./Vendor/Test/Sink) and the built-in
 * nodes.
 *
 * Input: one session. Unless the bytes are WBXML (wbxml_sniff), they are
 * split at NUL bytes into up to MAX_MSGS messages handed to the session in
 * order (XML never holds a NUL), so that multi-message state (large
 * objects, Alert 1222) is reached. An input starting with "AUTH:" runs
 * with an account that requires the server's Basic credentials (srv /
 * srvpass) and sends its own; the text after "AUTH:" up to the first
 * newline is the x-syncml-hmac header ("" = none).
 *
 * Properties: a refused message has a reason and no reply, a reply has
 * bytes and XML; in the AUTH: case, when no message handled carried the
 * server's right Basic credentials (checked here on a parse of our own),
 * no CSP ran: the test CSPs wrote no state (<state>/nodes stays empty).
 *
 * State: the tree's state directory (CSP stores, acl.map, accounts) and
 * the spool live in a scratch directory (common.h). After an input that
 * left anything there, the directory is wiped and the tree loaded again,
 * so that every input starts from the same state and a finding replays
 * alone; loading the tree costs about 2 ms, so inputs that wrote nothing
 * (most) do not pay it. The tree is also reloaded after LUADM_FUZZ_RESET
 * inputs in a row (default 1000) to bound what CSPs keep in memory;
 * LUADM_FUZZ_RESET=1 reloads it for every input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>

#include "account.h"
#include "auth.h"
#include "codec_wbxml.h"
#include "common.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "syncml.h"
#include "tree.h"

#define MAX_MSGS	6

/* The test tree and its configuration, made once and reset now and then. */
static struct config *cfg;
static struct tree *tree;
static char state_dir[4200];
static char spool_dir[4300];
static unsigned long runs;		/* since the last reload */
static unsigned long reset_every = 1000;

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
set_str(char **field, const char *v)
{
	free(*field);
	*field = strdup(v);
	if (*field == NULL)
		abort();
}

static void
tree_load(void)
{
	char *err = NULL;

	tree_free(tree);
	tree = NULL;
	fuzz_rmtree(state_dir);
	if (mkdir(state_dir, 0700) != 0 || mkdir(spool_dir, 0700) != 0) {
		perror(state_dir);
		abort();
	}
	tree = tree_new(cfg, &err);
	if (tree == NULL) {
		fprintf(stderr, "fuzz_engine: %s\n", err);
		abort();
	}
	free(err);
}

static void
cleanup(void)
{
	tree_free(tree);
	config_free(cfg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir, *e;

	(void)argc;
	(void)argv;
	xmlInitParser();
	log_init(0, LOG_LVL_ERROR);
	e = getenv("LUADM_FUZZ_RESET");
	if (e != NULL && atol(e) > 0)
		reset_every = (unsigned long)atol(e);
	dir = fuzz_scratch("engine");
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	snprintf(spool_dir, sizeof(spool_dir), "%s/spool", state_dir);
	cfg = config_defaults();
	if (cfg == NULL)
		abort();
	set_str(&cfg->state_dir, state_dir);
	set_str(&cfg->csp_path[0], LUADM_FUZZ_CSP_DIR);
	set_str(&cfg->sysroot, dir);
	cfg->log_level = LOG_LVL_ERROR;
	cfg->limits.csp_timeout_ms = 2000;
	cfg->limits.csp_memory = 16u * 1024 * 1024;
	cfg->limits.run_timeout_ms = 2000;
	tree_load();
	atexit(cleanup);
	return 0;
}

/* The account of the "AUTH:" inputs; NULL when out of memory. */
static struct account *
make_account(void)
{
	static const struct {
		const char *k, *v;
	} keys[] = {
		{ "AppAddr/1/Addr", "https://dm.example/omadm" },
		{ "AAuthPref", "BASIC" },
		{ "AppAuth/CLCRED/AAuthType", "BASIC" },
		{ "AppAuth/CLCRED/AAuthName", "dev" },
		{ "AppAuth/CLCRED/AAuthSecret", "devpass" },
		{ "AppAuth/SRVCRED/AAuthType", "BASIC" },
		{ "AppAuth/SRVCRED/AAuthName", "srv" },
		{ "AppAuth/SRVCRED/AAuthSecret", "srvpass" },
		{ "Ext/luadm/RequireServerAuth", "true" },
	};
	struct account *a;
	size_t i;

	a = account_new(state_dir, "srv");
	if (a == NULL)
		return NULL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (account_set_str(a, keys[i].k, keys[i].v) != 0) {
			account_free(a);
			return NULL;
		}
	return a;
}

/* 1 when the message's SyncHdr carries srv/srvpass as Basic credentials. */
static int
good_cred(const uint8_t *buf, size_t len)
{
	struct syncml_msg *m;
	const struct syncml_cred *c;
	xmlDocPtr doc;
	int ok = 0;

	if (wbxml_sniff(buf, len)) {
		doc = wbxml_decode(buf, len, NULL, NULL, 0);
		m = doc != NULL ? syncml_from_doc(doc, NULL, NULL, 0) : NULL;
		xmlFreeDoc(doc);
	} else
		m = syncml_parse(buf, len, NULL, NULL, 0);
	if (m == NULL)
		return 0;
	c = m->hdr.cred;
	if (c != NULL && c->meta.type != NULL && c->data != NULL &&
	    (strcmp(c->meta.type, "BASIC") == 0 ||
	    strcmp(c->meta.type, "HTTP-BASIC") == 0 ||
	    strcmp(c->meta.type, AUTH_TYPE_BASIC) == 0))
		ok = auth_basic_check(c->data, "srv", "srvpass");
	syncml_msg_free(m);
	return ok;
}

/* The number of files in <state>/nodes (the CSPs' stores). */
static int
csp_files(void)
{
	char p[4300];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/nodes", state_dir);
	d = opendir(p);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* 1 when the state directory holds more than the empty spool. */
static int
state_used(void)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	d = opendir(spool_dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				n++;
		closedir(d);
	}
	d = opendir(state_dir);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "spool") != 0)
			n++;
	closedir(d);
	return n > 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session_opts so;
	struct session *s = NULL;
	struct account *acc = NULL;
	enum session_state st;
	const uint8_t *msg[MAX_MSGS], *nl;
	size_t mlen[MAX_MSGS], n, i, outlen;
	char *out = NULL, *err = NULL, *hmac = NULL;
	int r, authed = 0, clean;

	if (state_used() || ++runs >= reset_every) {
		tree_load();
		runs = 0;
	}
	clean = csp_files() == 0;
	memset(&so, 0, sizeof(so));
	so.server_id = "srv";
	so.devid = "DEV";
	so.honour_hdr_meta = 1;
	so.ui_policy = ENGINE_UI_ACCEPT;
	so.login_status = "user";
	so.large_objects = 1;
	so.spool_dir = spool_dir;
	so.max_message = 64 * 1024;
	so.max_object = 256 * 1024;
	if (size >= 5 && memcmp(data, "AUTH:", 5) == 0) {
		nl = memchr(data + 5, '\n', size - 5);
		if (nl == NULL)
			return 0;
		if (nl > data + 5)
			hmac = fuzz_strndup(data + 5, (size_t)(nl - data - 5));
		size -= (size_t)(nl + 1 - data);
		data = nl + 1;
		acc = make_account();
		if (acc == NULL)
			goto out;
		so.account = acc;
	}
	s = session_new(tree, &so);
	if (s == NULL)
		goto out;
	if (acc != NULL) {
		/* package 1 first: the session is the client's */
		if (session_start(s, &out, &outlen, &err) != 0)
			goto out;
		free(out);
		out = NULL;
	}
	if (wbxml_sniff(data, size)) {
		msg[0] = data;
		mlen[0] = size;
		n = 1;
	} else
		n = fuzz_split(data, size, MAX_MSGS, msg, mlen);
	for (i = 0; i < n; i++) {
		if (acc != NULL && !authed)
			authed = good_cred(msg[i], mlen[i]);
		r = session_handle_http(s, msg[i], mlen[i], hmac, &out,
		    &outlen, &st, &err);
		if (r != 0) {
			FUZZ_CHECK(err != NULL && out == NULL,
			    "a failure without a reason");
			break;
		}
		FUZZ_CHECK(err == NULL, "a reason without a failure");
		if (st == SESSION_CONTINUE || st == SESSION_ABORTING) {
			FUZZ_CHECK(out != NULL && outlen > 0, "no reply");
			FUZZ_CHECK(session_xml(s) != NULL, "no XML");
		}
		free(out);
		out = NULL;
		if (st != SESSION_CONTINUE)
			break;
	}
out:
	session_free(s);
	if (acc != NULL && !authed && clean)
		FUZZ_CHECK(csp_files() == 0, "a CSP ran for a server that "
		    "never gave its credentials");
	account_free(acc);
	free(out);
	free(err);
	free(hmac);
	return 0;
}
