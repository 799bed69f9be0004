/*
** This file contains the HTTP API of fieldsyncd below the socket: a request
** already read, inflated and size-checked by http.c goes in, a status and a
** JSON body come out. Tests and fuzz targets call srv_api_handle directly.
**
**   GET  /v2/health            POST /v2/enroll
**   POST /v2/auth/challenge    POST /v2/auth/session
**   POST /v2/push              GET  /v2/pull?after=K&limit=N
**   GET  /v2/devices
**
** Every refusal is {"error": CODE, "message": TEXT, ...} with a 4xx/5xx
** status (server/README.md lists them all).
*/
#ifndef FIELDSYNC_SRV_API_H
#define FIELDSYNC_SRV_API_H

#include <stddef.h>
#include <stdint.h>
#include "auth.h"
#include "pool.h"

#define SRV_PULL_MAX_BYTES (8u * 1024u * 1024u) /* set bytes in one page */
/* Bodies of enroll and auth are a few hundred bytes; anything past these
** bounds is refused before it is inflated or parsed further (413). */
#define SRV_SMALL_BODY_MAX    16384u /* bytes, as sent and after gunzip */
#define SRV_SMALL_BODY_VALUES 64u    /* JSON values (see srv_body_limits) */
#define SRV_PUSH_BODY_VALUES  4096u  /* 64 sets need about 330 */

typedef struct srv_ctx {
	srv_pool *pool;
	srv_auth *auth;
	char hq_device[PROTO_ID_HEX + 1];
	struct srv_web *web;       /* the HQ dashboard (web.h); NULL: none */
} srv_ctx;

typedef struct srv_req {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* "/v2/push" (no query) */
	const char *q_after;       /* query parameters, NULL if absent */
	const char *q_limit;
	const char *q_own;         /* pull: "0" leaves out the caller's sets */
	const char *q_unknown;     /* name of any other query parameter */
	const char *authorization; /* Authorization header or NULL */
	const char *body;          /* NULL if none */
	size_t body_len;
	const char *peer;          /* client address as text; NULL or "" unknown */
} srv_req;

typedef struct srv_resp {
	int status;
	char *body;                /* malloc'd JSON (srv_resp_free) */
	size_t len;
	char device[PROTO_ID_HEX + 1]; /* who asked, for the log; "" unknown */
	const char *code;          /* error code (static) or NULL */
	char retry_after[12];      /* Retry-After seconds of a 429, "" none */
	/* Dashboard responses only (web.h); zero for the sync API: */
	int web;                   /* add the dashboard's security headers */
	const char *ctype;         /* Content-Type (static); NULL: JSON */
	const char *allow;         /* Allow header of a 405 (static) */
	char cookie[200];          /* Set-Cookie value, "" for none */
	char disposition[200];     /* Content-Disposition, "" for none */
} srv_resp;

/* Answer one request; never fails (out of memory gives a 503 with a static
** body). Free the response with srv_resp_free. */
void srv_api_handle(srv_ctx *ctx, const srv_req *req, srv_resp *resp);
void srv_resp_free(srv_resp *resp);

/* 1 if path is an endpoint that takes a POST body, else 0; http.c checks
** the body's headers only for those, so others get their 404/405. */
int srv_api_takes_body(const char *path);

/* Limits on the body of a POST to an endpoint that takes one: bytes as
** sent, bytes after gunzip, and JSON values — every bracket, string (keys
** included) and scalar counts one — which bounds the tree the parser builds
** (at most values * sizeof(cJSON) + body bytes). Cannot fail. */
typedef struct srv_body_limits {
	size_t sent, inflated, values;
} srv_body_limits;
srv_body_limits srv_api_body_limits(const char *path);

/* Check "Authorization: Bearer SESSION" (a may be NULL): 0 with
** resp->device set when the session is live; else -1 with resp holding the
** 401 (invalid_session, session_expired). It does not check revocation
** (that needs the store; the endpoint does it). http.c calls it on the
** headers of a push, before reading its body. */
int srv_api_session(srv_ctx *ctx, const char *a, srv_resp *resp);
/* The ticket of a /v3/sync request's Authorization header ("Ticket
** DEVICE.TICKET.SIGNATURE", SPEC 10.12), checked with the key alone (no
** database: http.c calls it before reading the body): 0 with the device
** in resp->device, the ticket, the signature (not yet verified) and the
** ticket's end; else -1 with the 401 in resp. */
int srv_api_ticket(srv_ctx *ctx, const char *a, srv_resp *resp,
		   char ticket[SRV_SECRET_HEX + 1], char sig[PROTO_SIG_HEX + 1],
		   int64_t *expires_ms);

/* Fill resp with an error body; used by http.c for transport refusals. */
void srv_resp_error(srv_resp *resp, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
