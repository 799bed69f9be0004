/*
** This file contains the HTTP(S) front of fieldsyncd, on libmicrohttpd: it
** listens, reads request bodies under hard limits while they stream in
** (size, gzip inflation size and ratio, total time), hands complete requests
** to srv_api_handle, compresses responses for clients that accept gzip, logs
** one line per request, and stops gracefully on SIGTERM or SIGINT.
*/
#ifndef FIELDSYNC_SRV_HTTP_H
#define FIELDSYNC_SRV_HTTP_H

#include <stddef.h>
#include "api.h"

typedef struct srv_http_opts {
	const char *listen;         /* "HOST:PORT", "[V6]:PORT"; port 0 = any */
	const char *tls_cert;       /* PEM files; both or neither */
	const char *tls_key;
	unsigned threads;           /* thread pool size */
	unsigned conn_limit;        /* connections in all */
	unsigned per_ip_limit;      /* connections from one address */
	unsigned idle_timeout_s;    /* close a connection silent this long */
	unsigned request_timeout_s; /* a request body must arrive within */
	unsigned drain_timeout_s;   /* on SIGTERM, wait this long for requests */
} srv_http_opts;

/* Defaults for every field except listen/tls. Cannot fail. */
void srv_http_defaults(srv_http_opts *o);

/* Serve until SIGTERM or SIGINT; returns 0 after a clean stop, -1 with msg
** set if the server could not start. Blocks those signals in the calling
** thread (and so in the server's threads). */
int srv_http_serve(srv_ctx *ctx, const srv_http_opts *o, char *msg,
		   size_t msgsz);

#endif
