/*
 * cmd_unenroll.c: `luadm unenroll [SERVERID]`: leaves a server as Windows
 * does (recorded/03 and 15): the generic alert 1226 of type
 * com.microsoft:mdm.unenrollment.userrequest (Format int, Data 1, Mark
 * critical) goes out in package 1 of a session run at once, and the account
 * is removed once the server's reply to that message has taken it. If the
 * session fails, the alert stays queued and the account is removed after
 * the session that delivers it (client_session does that: see
 * client_finish_unenroll).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "alertq.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "log.h"
#include "tree.h"

#define UNENROLL_TYPE	"com.microsoft:mdm.unenrollment.userrequest"

static void
unenroll_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] unenroll [SERVERID]\n"
	    "\n"
	    "Tells the server (SERVERID, or the only one enrolled) that this "
	    "device leaves\nit, with the generic alert 1226 Windows sends, in "
	    "a session run now, and\nremoves the account once the server has "
	    "taken the alert. If the session\nfails, the alert stays queued "
	    "and the account goes after the next session\nthat delivers it.\n");
}

int
cmd_unenroll(const struct config *cfg, int argc, char **argv)
{
	struct alertq_alert a;
	struct client_opts co;
	struct account *acc = NULL, *after = NULL;
	struct tree *t = NULL;
	char *err = NULL, *id = NULL;
	int rc = 1, r;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		int help = argc == 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0);

		unenroll_usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	r = client_pick_account(cfg, argc == 2 ? argv[1] : NULL, &acc, &err);
	if (r != 0) {
		fprintf(stderr, "luadm: %s\n", err != NULL ? err : "no account");
		free(err);
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.type = (char *)UNENROLL_TYPE;
	a.format = (char *)"int";
	a.mark = (char *)"critical";
	a.data = (char *)"1";
	if (account_get(acc, "Ext/luadm/UnenrollAlert", NULL) == NULL) {
		if (alertq_add(cfg->state_dir, acc->id, &a, &id, &err) != 0 ||
		    account_set_str(acc, "Ext/luadm/UnenrollAlert", id) != 0 ||
		    account_save(acc, &err) != 0) {
			fprintf(stderr, "luadm: unenroll: %s\n", err != NULL ?
			    err : "out of memory");
			goto out;
		}
		log_info("unenrolling from %s: alert %s queued",
		    account_get(acc, "ServerID", NULL), id);
	}
	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "luadm: %s\n", err);
		goto out;
	}
	memset(&co, 0, sizeof(co));
	if (client_session(cfg, t, acc, &co, &err) != 0) {
		fprintf(stderr, "luadm: unenroll: the session failed: %s; the "
		    "unenrollment alert stays queued and the account is "
		    "removed after the session that delivers it\n", err);
		goto out;
	}
	r = account_load(cfg->state_dir, acc->id, &after, NULL);
	account_free(after);
	if (r == 1) {
		printf("unenrolled: account %s removed\n", acc->id);
		rc = 0;
	} else
		fprintf(stderr, "luadm: unenroll: the server did not take the "
		    "unenrollment alert; it stays queued\n");
out:
	tree_free(t);
	account_free(acc);
	free(err);
	free(id);
	return rc;
}
