/*
 * cmd_replay.c: `luadm replay [--server-id ID] MSG.xml...`: feeds the files,
 * in order, to one session as if the server had sent them (no transport,
 * no authentication) and prints each reply. The same session state machine
 * as a real session, for trying CSPs against recorded traffic.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "syncml.h"
#include "tree.h"
#include "util.h"

static void
replay_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] replay [--server-id ID] "
	    "[--session-id ID] [--devid ID]\n"
	    "                                   [--server-uri URI] "
	    "[--ui accept|reject|unsupported] MSG.xml...\n"
	    "\n"
	    "Feeds the files, in order, to one DM session as if the server "
	    "had sent them\n(no transport, no authentication), runs their "
	    "commands against the CSPs and\nprints each reply on stdout, one "
	    "message per line. A message may be XML or\nWBXML (the session "
	    "then answers in WBXML; the reply is still shown as XML). A message that needs no\nreply (nothing but "
	    "Status and Final) ends the session. Exits 0 when every\nmessage "
	    "was processed, 1 when one was refused or the server aborted.\n");
}

int
cmd_replay(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server-id", required_argument, NULL, 's' },
		{ "session-id", required_argument, NULL, 'S' },
		{ "devid", required_argument, NULL, 'd' },
		{ "server-uri", required_argument, NULL, 'u' },
		{ "ui", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct session_opts so;
	struct session *s = NULL;
	struct tree *t = NULL;
	enum session_state st;
	char *err = NULL, *buf = NULL, *out = NULL, *spool = NULL;
	size_t len, outlen;
	int ch, i, r, rc = 1;

	memset(&so, 0, sizeof(so));
	so.server_id = cfg->server_id;
	so.honour_hdr_meta = cfg->session.honour_hdr_meta;
	so.large_objects = cfg->session.large_objects;
	so.max_object = cfg->session.max_object;
	so.spool_dir = spool = util_asprintf("%s/spool", cfg->state_dir);
	so.ui_policy = (enum engine_ui_policy)cfg->session.ui_alerts;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			so.server_id = optarg;
			break;
		case 'S':
			so.session_id = optarg;
			break;
		case 'd':
			so.devid = optarg;
			break;
		case 'u':
			so.server_uri = optarg;
			break;
		case 'U':
			if (strcmp(optarg, "accept") == 0)
				so.ui_policy = ENGINE_UI_ACCEPT;
			else if (strcmp(optarg, "reject") == 0)
				so.ui_policy = ENGINE_UI_REJECT;
			else if (strcmp(optarg, "unsupported") == 0)
				so.ui_policy = ENGINE_UI_UNSUPPORTED;
			else {
				replay_usage(stderr);
				return 2;
			}
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			replay_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		replay_usage(stderr);
		return 2;
	}
	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "luadm: %s\n", err);
		goto out;
	}
	s = session_new(t, &so);
	if (s == NULL) {
		fprintf(stderr, "luadm: out of memory\n");
		goto out;
	}
	for (i = 0; i < argc; i++) {
		r = store_read(argv[i], SYNCML_MAX_INPUT, &buf, &len, &err);
		if (r != 0) {
			fprintf(stderr, "luadm: %s\n", r == 1 ?
			    "no such file" : err);
			if (r == 1)
				fprintf(stderr, "luadm: %s: no such file\n",
				    argv[i]);
			goto out;
		}
		if (session_handle(s, buf, len, &out, &outlen, &st,
		    &err) != 0) {
			fprintf(stderr, "luadm: %s: %s\n", argv[i], err);
			goto out;
		}
		free(buf);
		buf = NULL;
		if (st == SESSION_CONTINUE || st == SESSION_ABORTING) {
			/* as XML, also when the session speaks WBXML */
			fputs(session_xml(s), stdout);
			putchar('\n');
			fflush(stdout);
		}
		free(out);
		out = NULL;
		if (st == SESSION_ABORTING) {
			fprintf(stderr, "luadm: %s: the client aborted the "
			    "session (Alert 1223: a result larger than the "
			    "server takes, large objects off)\n", argv[i]);
			goto out;
		}
		if (st == SESSION_ABORT) {
			fprintf(stderr, "luadm: %s: the server aborted the "
			    "session (Alert 1223)\n", argv[i]);
			goto out;
		}
		if (st == SESSION_END) {
			log_info("%s: nothing to answer: the session ends",
			    argv[i]);
			if (i + 1 < argc) {
				fprintf(stderr, "luadm: %s: the session ended "
				    "here; %d more file(s) not replayed\n",
				    argv[i], argc - i - 1);
				goto out;
			}
		}
	}
	rc = 0;
out:
	session_free(s);
	tree_free(t);
	free(buf);
	free(out);
	free(err);
	free(spool);
	return rc;
}
