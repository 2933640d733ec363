/*
 * cmd_alert.c: `luadm alert`: queues a generic alert (1226) for an
 * account's server, to be sent in the package 1 of its next session
 * (alertq.h), lists the pending ones or drops some:
 *   luadm alert --type TYPE [--format F] [--mark M] [--source URI]
 *         [--data TEXT] [--correlator C] [--now] [SERVERID]
 *   luadm alert --list [SERVERID]
 *   luadm alert --remove ID [--remove ID ...] [SERVERID]
 * --now runs a session right away. The account is SERVERID's, or the
 * only one enrolled.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "alertq.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "tree.h"

#define DATA_SHOWN	200	/* bytes of Data --list shows */

/* Until the lead adds it to cli.h. */
int	cmd_alert(const struct config *cfg, int argc, char **argv);

static void
alert_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] alert --type TYPE [--format F] "
	    "[--mark M]\n"
	    "           [--source URI] [--data TEXT] [--correlator C] "
	    "[--now] [SERVERID]\n"
	    "       luadm [-c FILE] [-v] alert --list [SERVERID]\n"
	    "       luadm [-c FILE] [-v] alert --remove ID [--remove ID ...] "
	    "[SERVERID]\n"
	    "\n"
	    "Queues a generic alert (Alert 1226) for the server enrolled as "
	    "SERVERID (the\nonly account when there is one) and prints its "
	    "id. Pending alerts are sent\nin package 1 of every session until "
	    "the server takes them; they survive\nrestarts. --now also runs "
	    "a session at once.\n"
	    "\n"
	    "  --type TYPE        Meta Type, e.g. "
	    "com.microsoft:mdm.unenrollment.userrequest\n"
	    "  --format F         Meta Format: chr (default), int, bool, b64, "
	    "xml, node,\n"
	    "                     null, date, time, float\n"
	    "  --mark M           fatal, critical, minor, warning, "
	    "informational, harmless\n"
	    "                     or indeterminate (fatal and critical ones "
	    "are named in\n"
	    "                     the MDM-GenericAlert header)\n"
	    "  --source URI       the node that raised it (Item Source "
	    "LocURI)\n"
	    "  --data TEXT        the alert's data (at most %d bytes)\n"
	    "  --correlator C     the Correlator of the Exec it answers\n"
	    "  --list             print the pending alerts\n"
	    "  --remove ID        drop a pending alert without sending it\n",
	    ALERTQ_MAX_DATA);
}

/* Picks the account (client_pick_account); 0, or 1 with a message. */
static int
alert_pick_account(const struct config *cfg, const char *server_id,
    struct account **acc)
{
	char *err = NULL;

	if (client_pick_account(cfg, server_id, acc, &err) == 0)
		return 0;
	fprintf(stderr, "luadm: %s\n", err != NULL ? err : "out of memory");
	free(err);
	return 1;
}

/*
 * Prints data on one line: \n, \r, \t and \ escaped, cut after DATA_SHOWN
 * bytes (on a UTF-8 boundary) with the full length.
 */
static void
print_data(const char *s)
{
	size_t len = strlen(s), shown = len, i;

	if (shown > DATA_SHOWN) {
		shown = DATA_SHOWN;
		while (shown > 0 && ((unsigned char)s[shown] & 0xc0) == 0x80)
			shown--;
	}
	for (i = 0; i < shown; i++) {
		switch (s[i]) {
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		default:
			putchar(s[i]);
		}
	}
	if (shown < len)
		printf("... (%zu bytes)", len);
	putchar('\n');
}

static void
print_alerts(const struct alertq_alert *v, size_t n)
{
	struct tm tm;
	time_t t;
	char when[32];
	size_t i;

	for (i = 0; i < n; i++) {
		t = (time_t)v[i].created;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    &tm) == 0)
			snprintf(when, sizeof(when), "%lld", v[i].created);
		printf("alert %s\n", v[i].id);
		printf("  Type:       %s\n", v[i].type);
		printf("  Format:     %s\n", v[i].format);
		if (v[i].mark != NULL)
			printf("  Mark:       %s\n", v[i].mark);
		if (v[i].source != NULL)
			printf("  Source:     %s\n", v[i].source);
		if (v[i].correlator != NULL)
			printf("  Correlator: %s\n", v[i].correlator);
		if (v[i].data != NULL) {
			fputs("  Data:       ", stdout);
			print_data(v[i].data);
		}
		printf("  Queued:     %s\n", when);
	}
}

/* Runs a session with the account now (--now). 0 or 1. */
static int
run_session(const struct config *cfg, struct account *acc)
{
	struct client_opts co;
	struct tree *t;
	char *err = NULL;
	int rc = 1;

	memset(&co, 0, sizeof(co));
	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "luadm: %s\n", err != NULL ? err :
		    "out of memory");
		goto out;
	}
	if (client_session(cfg, t, acc, &co, &err) != 0) {
		fprintf(stderr, "luadm: session failed: %s\n", err != NULL ?
		    err : "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "luadm: the alert stays queued for the next "
		    "session\n");
	tree_free(t);
	free(err);
	return rc;
}

int
cmd_alert(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "mark", required_argument, NULL, 'm' },
		{ "source", required_argument, NULL, 's' },
		{ "data", required_argument, NULL, 'd' },
		{ "correlator", required_argument, NULL, 'C' },
		{ "now", no_argument, NULL, 'n' },
		{ "list", no_argument, NULL, 'l' },
		{ "remove", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct alertq_alert a, *v = NULL;
	struct account *acc = NULL;
	char **rm = NULL, **tmp, *err = NULL, *id = NULL;
	size_t nrm = 0, n = 0, removed;
	int ch, now = 0, list = 0, adding, rc = 1;

	memset(&a, 0, sizeof(a));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			a.type = optarg;
			break;
		case 'f':
			a.format = optarg;
			break;
		case 'm':
			a.mark = optarg;
			break;
		case 's':
			a.source = optarg;
			break;
		case 'd':
			a.data = optarg;
			break;
		case 'C':
			a.correlator = optarg;
			break;
		case 'n':
			now = 1;
			break;
		case 'l':
			list = 1;
			break;
		case 'r':
			tmp = reallocarray(rm, nrm + 1, sizeof(*rm));
			if (tmp == NULL) {
				fprintf(stderr, "luadm: out of memory\n");
				goto out;
			}
			rm = tmp;
			rm[nrm++] = optarg;
			break;
		case 'h':
			alert_usage(stdout);
			rc = 0;
			goto out;
		default:
			alert_usage(stderr);
			rc = 2;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	adding = a.type != NULL || a.format != NULL || a.mark != NULL ||
	    a.source != NULL || a.data != NULL || a.correlator != NULL ||
	    now;
	if (argc > 1 || adding + list + (nrm > 0) != 1) {
		if (argc <= 1 && adding + list + (nrm > 0) > 1)
			fprintf(stderr, "luadm: alert: --list, --remove and "
			    "queueing an alert (--type ...) do not mix\n");
		else if (argc <= 1)
			fprintf(stderr, "luadm: alert: --type TYPE, --list or "
			    "--remove ID is required\n");
		alert_usage(stderr);
		rc = 2;
		goto out;
	}
	if (adding && a.type == NULL) {
		fprintf(stderr, "luadm: alert: --type TYPE is required\n");
		alert_usage(stderr);
		rc = 2;
		goto out;
	}
	/* refuse a bad alert before looking for the account */
	if (adding && alertq_check(&a, &err) != 0) {
		fprintf(stderr, "luadm: invalid alert: %s\n", err != NULL ?
		    err : "out of memory");
		goto out;
	}
	if (alert_pick_account(cfg, argc == 1 ? argv[0] : NULL, &acc) != 0)
		goto out;
	if (list) {
		if (alertq_list(cfg->state_dir, acc->id, &v, &n, &err) != 0) {
			fprintf(stderr, "luadm: %s\n", err != NULL ? err :
			    "out of memory");
			goto out;
		}
		print_alerts(v, n);
		rc = 0;
	} else if (nrm > 0) {
		if (alertq_remove(cfg->state_dir, acc->id, rm, nrm, &removed,
		    &err) != 0) {
			fprintf(stderr, "luadm: %s\n", err != NULL ? err :
			    "out of memory");
			goto out;
		}
		if (removed < nrm) {
			fprintf(stderr, "luadm: %zu of the %zu alerts were not "
			    "pending\n", nrm - removed, nrm);
			goto out;
		}
		rc = 0;
	} else {
		if (alertq_add(cfg->state_dir, acc->id, &a, &id, &err) != 0) {
			fprintf(stderr, "luadm: cannot queue the alert: %s\n",
			    err != NULL ? err : "out of memory");
			goto out;
		}
		printf("%s\n", id);
		fflush(stdout);
		rc = now ? run_session(cfg, acc) : 0;
	}
out:
	alertq_free(v, n);
	account_free(acc);
	free(rm);
	free(id);
	free(err);
	return rc;
}
