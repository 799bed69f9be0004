/*
** This file contains the HTTP(S) front of fieldsyncd, on libmicrohttpd: it
** listens, refuses ambiguous framing, reads request bodies under hard limits
** while they stream in (size and gzip inflation per endpoint, memory held
** per server, per client address and per device, time for the headers and
** for the whole request), keeps part of its connections for authenticated
** devices, hands complete requests to srv_api_handle, compresses responses
** for clients that accept gzip, logs one line per request, and stops
** gracefully on SIGTERM or SIGINT.
*/
#ifndef FIELDSYNC_SRV_HTTP_H
#define FIELDSYNC_SRV_HTTP_H

#include <stddef.h>
#include "api.h"

/* Memory that request bodies and their parsed JSON may hold at once. */
#define SRV_HTTP_BUDGET        (512u * 1024u * 1024u) /* the whole server */
#define SRV_HTTP_ADDR_BUDGET   (192u * 1024u * 1024u) /* one client address */
#define SRV_HTTP_DEVICE_BUDGET  (96u * 1024u * 1024u) /* one device */
/* Share of --max-connections (percent) that connections without a live
** session cannot keep: past the rest, each new connection closes one of
** theirs, from the address holding the most. */
#define SRV_HTTP_RESERVE_PCT   10
/* A refused body is read and dropped up to this many bytes, so that the
** client, still sending, gets the answer; past it the connection closes. */
#define SRV_HTTP_DRAIN_MAX     (2u * PROTO_MAX_BODY_BYTES)
#define SRV_HTTP_DRAIN_GRACE_S 10 /* and for at most this long past the
				     request deadline (or the deadline
				     itself, when shorter) */

typedef struct srv_http_opts {
	const char *listen;         /* "HOST:PORT", "[V6]:PORT"; port 0 = any */
	const char *tls_cert;       /* PEM files; both or neither */
	const char *tls_key;
	unsigned threads;           /* thread pool size */
	unsigned conn_limit;        /* connections in all */
	unsigned per_ip_limit;      /* connections from one address */
	unsigned idle_timeout_s;    /* close a connection silent this long */
	unsigned header_timeout_s;  /* a request's headers must arrive within
				       this long of the connection opening
				       or its previous request ending */
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
