/*
 * trace: `--trace DIR` — every message of a session written as a file
 * (NNN-client.xml, NNN-server.xml) the way a SyncML viewer shows them, with
 * secrets and nonces redacted: the Data of Cred, NextNonce, the value of
 * any Item addressing an AAuthSecret or AAuthData node, and the mac of an
 * x-syncml-hmac header. A WBXML message is written decoded, as XML.
 */
#ifndef LUADM_TRACE_H
#define LUADM_TRACE_H

#include <stddef.h>

struct trace;

/* A trace into dir (created 0700). NULL with *err. dir NULL: no trace. */
struct trace *trace_open(const char *dir, char **err);
void	trace_close(struct trace *t);

/* Writes one message; who is "client" or "server". Errors are logged. */
void	trace_message(struct trace *t, const char *who, const void *msg,
	    size_t len, const char *hmac);

/* The message with secrets replaced by "***". malloc'd, NULL on ENOMEM. */
char	*trace_redact(const char *msg, size_t len, size_t *outlen);

#endif
