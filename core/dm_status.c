/* dm_status.c: reason phrases for status codes, for logs and the CLI. */
#include <errno.h>
#include <string.h>

#include "dm_status.h"

const char *
dm_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted for processing";
	case 212: return "Authentication accepted";
	case 213: return "Chunked item accepted";
	case 214: return "Operation cancelled";
	case 215: return "Not executed";
	case 216: return "Atomic roll back OK";
	case 400: return "Bad request";
	case 401: return "Invalid credentials";
	case 403: return "Forbidden";
	case 404: return "Not found";
	case 405: return "Command not allowed";
	case 406: return "Optional feature not supported";
	case 407: return "Missing credentials";
	case 412: return "Incomplete command";
	case 413: return "Request entity too large";
	case 414: return "URI too long";
	case 415: return "Unsupported media type or format";
	case 418: return "Already exists";
	case 420: return "Device full";
	case 424: return "Size mismatch";
	case 425: return "Permission denied";
	case 500: return "Command failed";
	case 501: return "Command not implemented";
	case 507: return "Atomic failed";
	case 516: return "Atomic roll back failed";
	case 517: return "Atomic response too large to fit";
	default:
		if (status >= 200 && status < 300)
			return "Success";
		if (status >= 400 && status < 500)
			return "Request error";
		return "Command failed";
	}
}

int
dm_status_of_error(const char *msg, int def)
{
	if (msg == NULL)
		return def;
	if (strstr(msg, strerror(EACCES)) != NULL ||
	    strstr(msg, strerror(EPERM)) != NULL)
		return DM_PERMISSION_DENIED;
	return def;
}
