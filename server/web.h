/*
** This file contains the read-only HQ dashboard as fieldsyncd serves it
** under "/" (server/web/API.md is the contract with the pages): the static
** files built into the binary, sign-in with an HQ token, browser sessions
** in an HttpOnly SameSite=Strict cookie, and the JSON endpoints the pages
** read (/api/report, /api/conflicts). Like api.h it sits below the socket:
** http.c hands it complete requests and sends what it answers.
*/
#ifndef FIELDSYNC_SRV_WEB_H
#define FIELDSYNC_SRV_WEB_H

#include <stddef.h>
#include <stdint.h>
#include "api.h"

#define SRV_WEB_COOKIE "fs_hq"
#define SRV_WEB_SESSION_MS (12LL * 3600 * 1000) /* a working day */
#define SRV_WEB_LOGIN_MAX 4096   /* bytes of a POST /login body */
#define SRV_WEB_POST_MAX 8192    /* bytes of another POST /api/ body */
#define SRV_WEB_MAX_ARGS 16      /* query parameters looked at */
#define SRV_WEB_PAGE_DEFAULT 100 /* list entries per page (limit=) */
#define SRV_WEB_PAGE_MAX 500

typedef struct srv_web srv_web;

typedef struct srv_web_req {
	const char *method;
	const char *path;        /* no query */
	const char *cookie;      /* value of the fs_hq cookie, or NULL */
	const char *args[SRV_WEB_MAX_ARGS][2]; /* query name, value (NULL) */
	size_t nargs;
	int too_many_args;       /* more than SRV_WEB_MAX_ARGS were sent */
	const char *csrf;        /* X-CSRF-Token header, or NULL */
	const char *origin;      /* Origin header, or NULL */
	const char *host;        /* Host header, or NULL */
	const char *ctype;       /* Content-Type header, or NULL */
	const char *body;        /* POST bodies (srv_web_body_limit) */
	size_t body_len;
	const char *peer;        /* client address as text; NULL or "" unknown */
} srv_web_req;

/* New dashboard state for the database at db_path (its targets file is
** db_path.targets, see hqcmd.h); https: cookies get "Secure". *out is NULL
** on failure (out of memory). Free with srv_web_free (accepts NULL). */
int srv_web_new(const char *db_path, int https, srv_web **out) SRV_WUR;
void srv_web_free(srv_web *w);

/* 1 if the dashboard answers path: everything but the sync API's /v<N>/. */
int srv_web_path(const char *path);

/* Largest body the dashboard reads for this request (POST /login), or 0:
** no body is read. */
size_t srv_web_body_limit(const char *method, const char *path);

/* Answer one request; never fails (out of memory gives a 503). Free the
** response with srv_resp_free. */
void srv_web_handle(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp);

#endif
