/*
 * cmd_notify.c: `luadm notify [--check] [--trace DIR] FILE|-`: reads one
 * package #0 (a server's session trigger, notify.h) from FILE or stdin,
 * parses it, finds the enrolled account of its server identifier and
 * checks its digest with the account's server credentials. A refused
 * trigger is logged (why, never a secret or nonce) and exits 1. An
 * accepted one runs a server-initiated session (Alert 1200, the trigger's
 * SessionID) and exits like `luadm session`; with --check it only prints
 * what it read and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "tree.h"

static void
notify_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] notify [--check] [--trace DIR] "
	    "FILE|-\n"
	    "\n"
	    "Reads one OMA DM package #0 (a server's session trigger, "
	    "application/\nvnd.syncml.notification, at most %d bytes) from "
	    "FILE or stdin (-), checks\nits digest with the enrolled "
	    "account of its server identifier (AppAuth/\nSRVCRED secret and "
	    "nonce) and runs the session the server asks for\n(Alert 1200, "
	    "the trigger's SessionID). A refused trigger is logged and\n"
	    "exits 1. --check only parses and verifies, prints the trigger's "
	    "fields and\nexits 0 (accepted) or 1 (refused). --trace as for "
	    "luadm session.\n", NOTIFY_MAX_LEN);
}

/*
 * Reads all of f into a malloc'd *buf (*len bytes), at most cap bytes.
 * 0, or -1 with a message in err.
 */
static int
read_stream(FILE *f, size_t cap, unsigned char **buf, size_t *len,
    char *err, size_t errlen)
{
	unsigned char *b;
	size_t n = 0, r;

	*buf = NULL;
	*len = 0;
	b = malloc(cap + 1);
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (n <= cap) {
		r = fread(b + n, 1, cap + 1 - n, f);
		if (r == 0)
			break;
		n += r;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read stdin: %s", strerror(errno));
		free(b);
		return -1;
	}
	if (n > cap) {
		snprintf(err, errlen, "stdin holds more than %zu bytes", cap);
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Reads the trigger from path ("-": stdin). 0, or -1 with err. */
static int
read_trigger(const char *path, unsigned char **buf, size_t *len, char *err,
    size_t errlen)
{
	char *b = NULL, *e = NULL;
	int r;

	if (strcmp(path, "-") == 0)
		return read_stream(stdin, NOTIFY_MAX_LEN, buf, len, err,
		    errlen);
	r = store_read(path, NOTIFY_MAX_LEN, &b, len, &e);
	if (r == 0) {
		*buf = (unsigned char *)b;
		return 0;
	}
	if (r == 1)
		snprintf(err, errlen, "%s: no such file", path);
	else
		snprintf(err, errlen, "%s", e != NULL ? e : "out of memory");
	free(e);
	return -1;
}

/* Prints what --check found, on stdout. */
static void
print_check(const struct notify_msg *m, const char *sid,
    enum notify_nonce used)
{
	printf("version:    %u (%u.%u)\n", m->version, m->version / 10,
	    m->version % 10);
	printf("ui-mode:    %u (%s)\n", m->ui_mode, notify_ui_name(m->ui_mode));
	printf("initiator:  %s\n", m->initiator ? "server" : "client or user");
	printf("session id: %s\n", sid);
	printf("server id:  %s\n", m->server_id);
	printf("vendor:     %zu bytes\n", m->vendor_len);
	printf("nonce:      %s\n", notify_nonce_name(used));
}

int
cmd_notify(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'k' },
		{ "trace", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct client_opts co;
	struct notify_msg m;
	struct account *acc = NULL;
	struct tree *t = NULL;
	enum notify_nonce used = NOTIFY_NONCE_STORED;
	unsigned char *buf = NULL;
	size_t len = 0;
	char ebuf[512], sid[NOTIFY_SID_LEN], *err = NULL;
	int ch, check = 0, rc = 1;

	memset(&co, 0, sizeof(co));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			check = 1;
			break;
		case 't':
			co.trace_dir = optarg;
			break;
		case 'h':
			notify_usage(stdout);
			return 0;
		default:
			notify_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		notify_usage(stderr);
		return 2;
	}
	if (read_trigger(argv[0], &buf, &len, ebuf, sizeof(ebuf)) != 0) {
		log_msg(LOG_LVL_ERROR, "notify: %s", ebuf);
		goto out;
	}
	if (check) {
		if (notify_accept(cfg->state_dir, buf, len, 0, &m, &acc, sid,
		    &used, ebuf, sizeof(ebuf)) != 0) {
			log_msg(LOG_LVL_ERROR, "notify: %s", ebuf);
			goto out;
		}
		print_check(&m, sid, used);
		rc = 0;
		goto out;
	}
	if (notify_accept(cfg->state_dir, buf, len, 1, &m, &acc, sid, &used,
	    ebuf, sizeof(ebuf)) != 0) {
		log_msg(LOG_LVL_ERROR, "notify: %s", ebuf);
		goto out;
	}
	log_info("notify: trigger from %s accepted: session %s (%s, nonce "
	    "%s)", m.server_id, sid, notify_ui_name(m.ui_mode),
	    notify_nonce_name(used));
	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "luadm: %s\n", err != NULL ? err :
		    "out of memory");
		goto out;
	}
	co.server_initiated = 1;
	co.session_id = sid;
	if (client_session(cfg, t, acc, &co, &err) != 0) {
		fprintf(stderr, "luadm: session failed: %s\n", err != NULL ?
		    err : "out of memory");
		goto out;
	}
	rc = 0;
out:
	tree_free(t);
	account_free(acc);
	free(err);
	free(buf);
	return rc;
}
