/*
 * bootstrap: enrolment from an OMA Client Provisioning document (a
 * wap-provisioningdoc, as MS-MDE2 enrolment returns it) into a DM account
 * (account.h). Reads the file with a size cap and parses it with libxml2
 * without network, DTD loading or entities; maps the w7 APPLICATION
 * characteristic to the DMAcc keys (omadm-spec.md section 11), the
 * DMClient/Provider/<PROVIDER-ID> settings to DMClient/..., installs the
 * CertificateStore Root/System certificates as the account's CA bundle and
 * the My/User (or My/System) certificate, with the key given apart, as its
 * TLS client certificate.
 *
 * Everything is checked before anything is written: a document that fails
 * leaves the state directory as it was. Bootstrapping the same PROVIDER-ID
 * again updates its account: the document's values win, other keys stay
 * (SessionCounter, the nonces already learned unless the document gives
 * AAUTHDATA, local settings such as Ext/luadm/Query).
 */
#ifndef LUADM_BOOTSTRAP_H
#define LUADM_BOOTSTRAP_H

#include <stddef.h>

#include "account.h"

/* Largest document and client key file read, in bytes. */
#define BOOTSTRAP_MAX_FILE	(1024 * 1024)

/* What a bootstrap did, for the summary. Strings malloc'd or NULL. */
struct bootstrap_result {
	char	 id[ACCOUNT_ID_LEN + 1]; /* AccountID, "" before known */
	char	*server_id;	/* PROVIDER-ID */
	char	*name;		/* NAME, or NULL */
	char	*addr;		/* the server URL */
	char	*clcred_type;	/* AAuthType of AppAuth/CLCRED */
	char	*clcred_name;	/* its AAuthName */
	char	*srvcred_type;	/* AAuthType of AppAuth/SRVCRED */
	int	 updated;	/* 1: an existing account was updated */
	size_t	 nca;		/* CA certificates installed now */
	char	*ca_file;	/* the CA bundle written now */
	char	*cert_file;	/* the client certificate written now */
	char	*key_file;	/* the client key written now */
	size_t	 ndmclient;	/* DMClient settings taken */
	char	**warnings;	/* things skipped or to fix, one line
				   each */
	size_t	 nwarnings;
};

/*
 * Bootstraps from the document at path into <state_dir>/accounts. When
 * client_key is not NULL it names a PEM private key (unencrypted) for the
 * document's client certificate: it must match it, and is copied (0600).
 * Returns 0, or -1 with *err a malloc'd message naming the file (and the
 * line for XML errors and misplaced values). *res is filled in both cases
 * (warnings found before a failure are kept) and must be freed with
 * bootstrap_result_free().
 */
int	bootstrap_run(const char *state_dir, const char *path,
	    const char *client_key, struct bootstrap_result *res, char **err);
void	bootstrap_result_free(struct bootstrap_result *res);

#endif
