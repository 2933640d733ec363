/*
 * main.c: the luadm command line. Parses the global options, reads the
 * configuration once, sets up logging and dispatches to a subcommand
 * (cli.h). The only place allowed to exit or hold process-wide state.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "cli.h"
#include "config.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] [-q] COMMAND [ARGS]\n"
	    "\n"
	    "luadm is an OMA DM 1.2 (SyncML DM) client whose management "
	    "subtrees are\nLua scripts (CSPs).\n"
	    "\n"
	    "Commands:\n"
	    "  tree get|list|stat|dump|add|replace|delete|exec URI [VALUE]\n"
	    "        run the CSPs locally, as the administrator "
	    "(luadm tree --help)\n"
	    "  replay [--server-id ID] MSG.xml...\n"
	    "        feed recorded server messages to one session and print "
	    "the replies\n"
	    "        (luadm replay --help)\n"
	    "  session [--trace DIR] [SERVERID]\n"
	    "        run one DM session with an enrolled server over HTTPS\n"
	    "  bootstrap FILE.xml [--client-key KEY.pem]\n"
	    "        enrol with a server from an OMA Client Provisioning "
	    "document\n"
	    "        (luadm bootstrap --help)\n"
	    "  alert --type TYPE [--data TEXT] [--mark M] ... [--now] "
	    "[SERVERID]\n"
	    "        queue a generic alert (1226) for the next session; "
	    "also --list,\n"
	    "        --remove ID (luadm alert --help)\n"
	    "  unenroll [SERVERID]\n"
	    "        leave a server: the unenrollment alert, then the account "
	    "goes\n"
	    "  notify [--check] [--trace DIR] FILE|-\n"
	    "        answer a server's package #0 trigger (luadm notify "
	    "--help)\n"
	    "  ddf [URI]\n"
	    "        print the OMA DM DDF 1.2 description of the CSPs' "
	    "nodes\n"
	    "  run [--interval SECS]\n"
	    "        the foreground client: scheduled and triggered sessions "
	    "(luadm run --help)\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE  configuration file (default "
	    LUADM_DEFAULT_CONFIG ",\n"
	    "                     built-in defaults when it does not exist)\n"
	    "  -v, --verbose      log debug messages\n"
	    "  -q, --quiet        log errors only\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfgpath = NULL;
	struct config *cfg;
	char *err = NULL;
	int ch, verbose = 0, quiet = 0, rc;

	signal(SIGPIPE, SIG_IGN);
	log_init(0, LOG_LVL_INFO);
	while ((ch = getopt_long(argc, argv, "+c:vqhV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("luadm %s\n", LUADM_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	cfg = config_load(cfgpath, &err);
	if (cfg == NULL) {
		fprintf(stderr, "luadm: %s\n", err);
		free(err);
		return 1;
	}
	log_setlevel(verbose ? LOG_LVL_DEBUG : quiet ? LOG_LVL_ERROR :
	    (enum log_level)cfg->log_level);
	xmlInitParser();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[0], "tree") == 0)
		rc = cmd_tree(cfg, argc, argv);
	else if (strcmp(argv[0], "replay") == 0)
		rc = cmd_replay(cfg, argc, argv);
	else if (strcmp(argv[0], "session") == 0)
		rc = cmd_session(cfg, argc, argv);
	else if (strcmp(argv[0], "bootstrap") == 0)
		rc = cmd_bootstrap(cfg, argc, argv);
	else if (strcmp(argv[0], "alert") == 0)
		rc = cmd_alert(cfg, argc, argv);
	else if (strcmp(argv[0], "run") == 0)
		rc = cmd_run(cfg, argc, argv);
	else if (strcmp(argv[0], "trigger") == 0)
		rc = cmd_trigger(cfg, argc, argv);
	else if (strcmp(argv[0], "notify") == 0)
		rc = cmd_notify(cfg, argc, argv);
	else if (strcmp(argv[0], "ddf") == 0)
		rc = cmd_ddf(cfg, argc, argv);
	else if (strcmp(argv[0], "unenroll") == 0)
		rc = cmd_unenroll(cfg, argc, argv);
	else {
		fprintf(stderr, "luadm: unknown command '%s'\n", argv[0]);
		usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	xmlCleanupParser();
	config_free(cfg);
	return rc;
}
