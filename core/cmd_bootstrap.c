/*
 * cmd_bootstrap.c: `luadm bootstrap FILE.xml [--client-key KEY.pem]`:
 * enrols the client with a server from an OMA Client Provisioning
 * document (a wap-provisioningdoc with a w7 APPLICATION; see bootstrap.h),
 * then prints the account it made or updated. Warnings (certificates
 * skipped, settings ignored, a client key needed) go to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "bootstrap.h"
#include "cli.h"
#include "config.h"

static void
bootstrap_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] bootstrap FILE.xml "
	    "[--client-key KEY.pem]\n"
	    "\n"
	    "Creates (or updates) the DM account described by the w7 "
	    "APPLICATION of an\nOMA Client Provisioning document "
	    "(wap-provisioningdoc), with its CA\ncertificates and DMClient "
	    "settings, in the state directory. --client-key\ngives the "
	    "private key (PEM, unencrypted) of the document's client\n"
	    "certificate (CertificateStore/My/User).\n");
}

static void
print_summary(const struct bootstrap_result *r)
{
	printf("Account %s (%s)\n", r->id, r->updated ? "updated" : "new");
	printf("  ServerID:        %s\n", r->server_id);
	if (r->name != NULL)
		printf("  Name:            %s\n", r->name);
	printf("  Server address:  %s\n", r->addr);
	if (r->clcred_type != NULL)
		printf("  Client auth:     %s (CLCRED%s%s)\n", r->clcred_type,
		    r->clcred_name != NULL ? ", as " : "",
		    r->clcred_name != NULL ? r->clcred_name : "");
	else
		printf("  Client auth:     none\n");
	printf("  Server auth:     %s%s\n", r->srvcred_type != NULL ?
	    r->srvcred_type : "none", r->srvcred_type != NULL ?
	    " (SRVCRED)" : "");
	if (r->ca_file != NULL)
		printf("  CA certificates: %zu installed in %s\n", r->nca,
		    r->ca_file);
	else
		printf("  CA certificates: none installed\n");
	if (r->cert_file != NULL)
		printf("  Client cert:     %s\n", r->cert_file);
	if (r->key_file != NULL)
		printf("  Client key:      %s\n", r->key_file);
	if (r->cert_file == NULL && r->key_file == NULL)
		printf("  Client cert:     none installed\n");
	printf("  DMClient:        %zu setting%s\n", r->ndmclient,
	    r->ndmclient == 1 ? "" : "s");
}

int
cmd_bootstrap(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "client-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct bootstrap_result res;
	const char *key = NULL;
	char *err = NULL;
	size_t i;
	int ch, rc;

	/* options may come before or after FILE */
	optind = 0;
	for (;;) {
		ch = getopt_long(argc, argv, "h", longopts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'k':
			key = optarg;
			break;
		case 'h':
			bootstrap_usage(stdout);
			return 0;
		default:
			bootstrap_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		bootstrap_usage(stderr);
		return 2;
	}
	rc = bootstrap_run(cfg->state_dir, argv[0], key, &res, &err);
	for (i = 0; i < res.nwarnings; i++)
		fprintf(stderr, "luadm: warning: %s\n", res.warnings[i]);
	if (rc != 0) {
		fprintf(stderr, "luadm: %s\n", err != NULL ? err :
		    "bootstrap failed: out of memory");
	} else
		print_summary(&res);
	bootstrap_result_free(&res);
	free(err);
	return rc == 0 ? 0 : 1;
}
