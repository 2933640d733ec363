/*
 * fuzz_bootstrap: an OMA Client Provisioning document (wap-provisioningdoc)
 * -> bootstrap_run() (core/bootstrap.h): the libxml2 parse with its SAX
 * guards, the w7 APPLICATION / CertificateStore / DMClient mapping, the
 * certificate decoding. bootstrap.h has no entry point that does not
 * write (bootstrap_run reads a file and writes the account), so each
 * input is written to a file in the scratch directory (common.h) and
 * bootstrapped into a state directory that is wiped after every input.
 *
 * Properties: a failure has a message and writes nothing (the state
 * directory stays empty); a success names the account, its server and
 * its address, and leaves a loadable account with that ServerID.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>

#include "account.h"
#include "bootstrap.h"
#include "common.h"
#include "log.h"

static char doc_path[4200];
static char state_dir[4200];

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir;

	(void)argc;
	(void)argv;
	xmlInitParser();
	log_init(0, LOG_LVL_ERROR);
	dir = fuzz_scratch("bootstrap");
	snprintf(doc_path, sizeof(doc_path), "%s/doc.xml", dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	return 0;
}

/* 1 when dir is missing or holds nothing but an empty accounts/. */
static int
state_empty(void)
{
	char p[4300];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof(p), "%s/accounts", state_dir);
	d = opendir(p);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bootstrap_result res;
	struct account *acc = NULL;
	char *err = NULL, *lerr = NULL;
	FILE *f;
	int rc, r;

	if (size > BOOTSTRAP_MAX_FILE)
		return 0;
	f = fopen(doc_path, "wb");
	FUZZ_CHECK(f != NULL, "cannot write %s", doc_path);
	FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0,
	    "cannot write %s", doc_path);
	FUZZ_CHECK(mkdir(state_dir, 0700) == 0, "mkdir %s", state_dir);
	rc = bootstrap_run(state_dir, doc_path, NULL, &res, &err);
	if (rc != 0) {
		FUZZ_CHECK(err != NULL, "failed without a message");
		FUZZ_CHECK(state_empty(), "a failed bootstrap wrote: %s", err);
	} else {
		FUZZ_CHECK(err == NULL, "a message on success");
		FUZZ_CHECK(res.id[0] != '\0' && res.server_id != NULL &&
		    res.addr != NULL, "result incomplete");
		r = account_load(state_dir, res.id, &acc, &lerr);
		FUZZ_CHECK(r == 0, "the account written does not load: %s",
		    lerr != NULL ? lerr : "missing");
		FUZZ_CHECK(strcmp(account_get(acc, "ServerID", NULL),
		    res.server_id) == 0, "ServerID");
		account_free(acc);
	}
	free(err);
	free(lerr);
	bootstrap_result_free(&res);
	fuzz_rmtree(state_dir);
	return 0;
}
