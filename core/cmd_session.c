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
	if (client_pick_account(cfg, argc == 1 ? argv[0] : NULL, &acc,
	    &err) != 0) {
		fprintf(stderr, "luadm: %s\n", err != NULL ? err :
		    "out of memory");
		free(err);
		return 1;
	}
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
