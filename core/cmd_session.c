/*
 * cmd_session.c: `luadm session [SERVERID] [--trace DIR]`: one DM session
 * with an enrolled server now. Exits 0 only for a completed session.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "tree.h"

static void
session_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] session [--trace DIR] [SERVERID]\n"
	    "\n"
	    "Runs one DM session with the server enrolled as SERVERID (the "
	    "only account\nwhen there is one) over HTTPS: package 1, the "
	    "server's commands, their\nstatuses and results, until the server "
	    "ends the session. --trace writes\nevery message into DIR, "
	    "secrets redacted. Exits 0 only when the session\ncompleted.\n");
}

/* Picks the account: by ServerID, or the only one. 0 or 1 (message). */
static int
pick_account(const struct config *cfg, const char *server_id,
    struct account **acc)
{
	char **ids = NULL, *err = NULL;
	size_t n = 0;
	int r;

	if (server_id != NULL) {
		r = account_find(cfg->state_dir, server_id, acc, &err);
		if (r == 0)
			return 0;
		fprintf(stderr, "luadm: %s\n", r == 1 ? "no such account "
		    "(luadm bootstrap enrols one)" : err);
		free(err);
		return 1;
	}
	if (account_list(cfg->state_dir, &ids, &n, &err) != 0) {
		fprintf(stderr, "luadm: %s\n", err);
		free(err);
		return 1;
	}
	if (n != 1) {
		fprintf(stderr, "luadm: %s\n", n == 0 ? "no account is "
		    "enrolled (luadm bootstrap FILE.xml enrols one)" :
		    "several accounts are enrolled: name the SERVERID");
		account_list_free(ids, n);
		return 1;
	}
	r = account_load(cfg->state_dir, ids[0], acc, &err);
	account_list_free(ids, n);
	if (r != 0) {
		fprintf(stderr, "luadm: %s\n", r == 1 ? "the account vanished" :
		    err);
		free(err);
		return 1;
	}
	return 0;
}

int
cmd_session(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trace", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct client_opts co;
	struct account *acc = NULL;
	struct tree *t = NULL;
	char *err = NULL;
	int ch, rc = 1;

	memset(&co, 0, sizeof(co));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			co.trace_dir = optarg;
			break;
		case 'h':
			session_usage(stdout);
			return 0;
		default:
			session_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		session_usage(stderr);
		return 2;
	}
	if (pick_account(cfg, argc == 1 ? argv[0] : NULL, &acc) != 0)
		return 1;
	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "luadm: %s\n", err);
		goto out;
	}
	if (client_session(cfg, t, acc, &co, &err) != 0) {
		fprintf(stderr, "luadm: session failed: %s\n", err);
		goto out;
	}
	rc = 0;
out:
	tree_free(t);
	account_free(acc);
	free(err);
	return rc;
}
