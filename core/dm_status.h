/*
 * dm_status: the SyncML status codes luadm produces, named after the
 * protocol's own words (OMA DM RepPro section 10; Windows' table in
 * oma-dm-protocol-support.md).
 */
#ifndef LUADM_DM_STATUS_H
#define LUADM_DM_STATUS_H

enum dm_status {
	DM_OK			= 200,
	DM_ACCEPTED		= 202,	/* finishing asynchronously */
	DM_AUTH_ACCEPTED	= 212,
	DM_CHUNK_ACCEPTED	= 213,
	DM_CANCELLED		= 214,
	DM_NOT_EXECUTED		= 215,
	DM_ATOMIC_ROLLBACK_OK	= 216,
	DM_BAD_REQUEST		= 400,
	DM_INVALID_CRED		= 401,
	DM_FORBIDDEN		= 403,
	DM_NOT_FOUND		= 404,
	DM_NOT_ALLOWED		= 405,
	DM_OPTIONAL_FEATURE	= 406,	/* optional feature not supported */
	DM_MISSING_CRED		= 407,
	DM_INCOMPLETE		= 412,
	DM_TOO_LARGE		= 413,
	DM_URI_TOO_LONG		= 414,
	DM_UNSUPPORTED_FORMAT	= 415,
	DM_ALREADY_EXISTS	= 418,
	DM_DEVICE_FULL		= 420,
	DM_SIZE_MISMATCH	= 424,
	DM_PERMISSION_DENIED	= 425,
	DM_COMMAND_FAILED	= 500,
	DM_NOT_IMPLEMENTED	= 501,
	DM_ATOMIC_FAILED	= 507,
	DM_ATOMIC_ROLLBACK_FAILED = 516,
	DM_ATOMIC_TOO_LARGE	= 517
};

/* A short English reason for a status code ("Not found"); never NULL. */
const char *dm_status_text(int status);

/*
 * The status for an error message from a CSP: 425 when it reports a
 * permission error (the system's text for EACCES or EPERM, as dm.*, io.open
 * and os.remove give it), else def.
 */
int	dm_status_of_error(const char *msg, int def);

/* 1 when the code means the command succeeded (2xx). */
#define DM_STATUS_OK(s)	((s) >= 200 && (s) < 300)

#endif
