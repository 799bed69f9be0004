/*
** This file contains the HQ dashboard's requests (web.h).
**
** Sign-in. POST /login {"token":T} accepts a token made by `fieldsyncd token
** create --role hq` that has not expired and was not used to enroll a
** device. It does not consume the token: HQ staff sign in with it again
** (another browser, the next day) until it expires, so give it a lifetime
** that suits (`--expires 90d`); a token that leaks is made useless by
** letting it expire, there is no revocation list for tokens. Each sign-in
** opens a browser session of SRV_WEB_SESSION_MS (12 h): 32 random bytes
** sent as the cookie fs_hq (HttpOnly, SameSite=Strict, Path=/, Secure over
** HTTPS), of which the server keeps only the BLAKE2b hash, in memory: a
** restart of fieldsyncd signs everyone out, like the device sessions.
**
** Without a session only the login page and the two assets (which hold no
** data) are served; every other GET gets the login page and every /api/ call
** a 401. Cross-site requests cannot use the session (SameSite=Strict), and
** /login takes only a JSON body, which an HTML form cannot send.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "protocol/changeset.h"
#include "protocol/records.h"
#include "server/web/assets.h"
#include "hq.h"
#include "hqcmd.h"
#include "web.h"

#define SESS_MAX 256

typedef struct sess {
	uint8_t hash[PROTO_HASH_BYTES]; /* BLAKE2b-256 of the cookie text */
	int64_t expires_ms;             /* 0: free slot */
} sess;

struct srv_web {
	char *db_path;
	int https;
	pthread_mutex_t lock;
	sess s[SESS_MAX];
};

int srv_web_new(const char *db_path, int https, srv_web **out)
{
	srv_web *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return SRV_E_NOMEM;
	w->db_path = strdup(db_path);
	if (!w->db_path) {
		free(w);
		return SRV_E_NOMEM;
	}
	w->https = https;
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return SRV_OK;
}

void srv_web_free(srv_web *w)
{
	if (!w)
		return;
	sodium_memzero(w->s, sizeof(w->s));
	pthread_mutex_destroy(&w->lock);
	free(w->db_path);
	free(w);
}

int srv_web_path(const char *path)
{
	return !(path[0] == '/' && path[1] == 'v' && path[2] >= '0' &&
		 path[2] <= '9');
}

size_t srv_web_body_limit(const char *method, const char *path)
{
	return strcmp(method, "POST") == 0 && strcmp(path, "/login") == 0
		       ? SRV_WEB_LOGIN_MAX : 0;
}

/* ---- sessions ------------------------------------------------------- */

static void hash_text(const char *s, uint8_t h[PROTO_HASH_BYTES])
{
	crypto_generichash(h, PROTO_HASH_BYTES, (const unsigned char *)s,
			   strlen(s), NULL, 0);
}

/* A new session; out holds 65 bytes. */
static void session_new(srv_web *w, int64_t now, char out[65])
{
	uint8_t raw[32], h[PROTO_HASH_BYTES];
	size_t i, slot = 0;

	randombytes_buf(raw, sizeof(raw));
	proto_hex_encode(out, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	hash_text(out, h);
	pthread_mutex_lock(&w->lock);
	/* A free or expired slot, else the session closest to its end. */
	for (i = 0; i < SESS_MAX; i++) {
		if (w->s[i].expires_ms <= now) {
			slot = i;
			break;
		}
		if (w->s[i].expires_ms < w->s[slot].expires_ms)
			slot = i;
	}
	memcpy(w->s[slot].hash, h, sizeof(h));
	w->s[slot].expires_ms = now + SRV_WEB_SESSION_MS;
	pthread_mutex_unlock(&w->lock);
}

/* Index of the live session of cookie, or -1. Call with the lock held. */
static int session_find(srv_web *w, const char *cookie, int64_t now)
{
	uint8_t h[PROTO_HASH_BYTES], raw[32];
	int i, found = -1;

	if (!cookie || strlen(cookie) != 64 ||
	    proto_hex_decode(raw, sizeof(raw), cookie) != 0)
		return -1;
	hash_text(cookie, h);
	for (i = 0; i < SESS_MAX; i++)
		if (w->s[i].expires_ms > now &&
		    sodium_memcmp(w->s[i].hash, h, sizeof(h)) == 0)
			found = i;
	return found;
}

static int session_ok(srv_web *w, const char *cookie, int64_t now)
{
	int i;

	pthread_mutex_lock(&w->lock);
	i = session_find(w, cookie, now);
	pthread_mutex_unlock(&w->lock);
	return i >= 0;
}

static void session_end(srv_web *w, const char *cookie, int64_t now)
{
	int i;

	pthread_mutex_lock(&w->lock);
	i = session_find(w, cookie, now);
	if (i >= 0)
		memset(&w->s[i], 0, sizeof(w->s[i]));
	pthread_mutex_unlock(&w->lock);
}

/* ---- responses ------------------------------------------------------ */

static void send_asset(srv_resp *resp, const char *path)
{
	const srv_web_asset *a = srv_web_asset_find(path);
	char *copy;

	if (!a) {
		srv_resp_error(resp, 404, "not_found", "no page %.200s", path);
		return;
	}
	copy = malloc(a->len ? a->len : 1);
	if (!copy) {
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
		return;
	}
	memcpy(copy, a->data, a->len);
	srv_resp_free(resp);
	resp->status = 200;
	resp->body = copy;
	resp->len = a->len;
	resp->ctype = a->type;
}

/* Send obj (consumed) as JSON. */
static void send_obj(srv_resp *resp, int status, cJSON *obj)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	if (!text) {
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
		return;
	}
	srv_resp_free(resp);
	resp->status = status;
	resp->body = text;
	resp->len = strlen(text);
}

static int set_cookie(srv_web *w, srv_resp *resp, const char *value,
		      long long max_age)
{
	int n = snprintf(resp->cookie, sizeof(resp->cookie),
			 SRV_WEB_COOKIE "=%s; Path=/; HttpOnly; "
			 "SameSite=Strict; Max-Age=%lld%s", value, max_age,
			 w->https ? "; Secure" : "");

	return n < 0 || (size_t)n >= sizeof(resp->cookie) ? -1 : 0;
}

/* ---- endpoints ------------------------------------------------------ */

static void do_login(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	srv_web *w = ctx->web;
	cJSON *root = NULL, *o;
	const cJSON *tok;
	srv_store *s = NULL;
	srv_token t;
	proto_err e;
	uint8_t h[PROTO_HASH_BYTES];
	char session[65] = "";
	int64_t now = srv_clock_ms();
	unsigned wait_s;
	int rc;

	/* Per address, every sign-in that fails counts (api.c's enroll does
	** the same): guessing HQ tokens is slowed to a few a minute. */
	wait_s = srv_auth_throttle(ctx->auth, SRV_LIMIT_LOGIN, req->peer, now);
	if (wait_s) {
		srv_resp_error(resp, 429, "too_many_requests", "Too many "
			       "sign-in attempts from this address; try again "
			       "in %u s.", wait_s);
		snprintf(resp->retry_after, sizeof(resp->retry_after), "%u",
			 wait_s);
		goto out;
	}
	if (!req->body || proto_json_parse(req->body, req->body_len, &root,
					   &e) != PROTO_OK ||
	    !cJSON_IsObject(root) ||
	    !cJSON_IsString(tok = cJSON_GetObjectItemCaseSensitive(root,
								    "token")) ||
	    cJSON_GetArraySize(root) != 1) {
		srv_resp_error(resp, 400, "malformed_json", "the body must be "
			       "{\"token\":\"...\"} (a JSON object with the "
			       "token and nothing else)");
		goto out;
	}
	hash_text(tok->valuestring, h);
	s = srv_pool_get(ctx->pool);
	rc = srv_store_token_get(s, h, &t);
	sodium_memzero(h, sizeof(h));
	if (rc && rc != SRV_E_NOTFOUND) {
		srv_resp_error(resp, 503, "busy", "the database is busy; try "
			       "again");
		goto out;
	}
	if (rc || strcmp(t.role, "hq") != 0 || t.expires_ms <= now ||
	    t.used_ms != 0) {
		srv_resp_error(resp, 401, "invalid_token", "This token is "
			       "unknown, expired, was used to enroll a device, "
			       "or is not an HQ token. Create one with "
			       "`fieldsyncd token create --role hq`.");
		goto out;
	}
	session_new(w, now, session);
	if (set_cookie(w, resp, session, SRV_WEB_SESSION_MS / 1000)) {
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
		goto out;
	}
	o = cJSON_CreateObject();
	if (o && (!cJSON_AddTrueToObject(o, "ok") ||
		  !cJSON_AddNumberToObject(o, "expires_in",
					   (double)(SRV_WEB_SESSION_MS / 1000)))) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(resp, 200, o);
	if (resp->status != 200)
		resp->cookie[0] = 0;
	else
		srv_auth_unthrottle(ctx->auth, SRV_LIMIT_LOGIN, req->peer, now);
out:
	sodium_memzero(session, sizeof(session));
	if (s)
		srv_pool_put(ctx->pool, s);
	cJSON_Delete(root);
}

static void do_logout(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	cJSON *o = cJSON_CreateObject();

	session_end(ctx->web, req->cookie, srv_clock_ms());
	if (o && !cJSON_AddTrueToObject(o, "ok")) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(resp, 200, o);
	if (resp->status == 200 && set_cookie(ctx->web, resp, "", 0))
		resp->cookie[0] = 0;
}

static const char *arg(const srv_web_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nargs; i++)
		if (strcmp(req->args[i][0], name) == 0)
			return req->args[i][1] ? req->args[i][1] : "";
	return NULL;
}

/* Refuse query parameters other than the allowed ones. */
static int args_only(const srv_web_req *req, srv_resp *resp,
		     const char *const *allowed, const char *list)
{
	size_t i, k;

	if (req->too_many_args) {
		srv_resp_error(resp, 400, "invalid_argument", "too many query "
			       "parameters; allowed: %s", list);
		return -1;
	}
	for (i = 0; i < req->nargs; i++) {
		for (k = 0; allowed[k]; k++)
			if (strcmp(req->args[i][0], allowed[k]) == 0)
				break;
		if (!allowed[k]) {
			srv_resp_error(resp, 400, "invalid_argument", "unknown "
				       "query parameter \"%.40s\"; allowed: %s",
				       req->args[i][0], list);
			return -1;
		}
	}
	return 0;
}

static void do_report(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	static const char *const allowed[] = { "period", "from", "to",
					       "province", "sector", NULL };
	const char *period = arg(req, "period"), *from = arg(req, "from");
	const char *to = arg(req, "to"), *prov = arg(req, "province");
	const char *sect = arg(req, "sector");
	srv_report_params p;
	srv_targets *t = NULL;
	srv_store *s = NULL;
	cJSON *doc = NULL;
	char msg[600], tmsg[600], source[4200], *text = NULL;
	size_t len = 0;
	int created = 0;

	if (args_only(req, resp, allowed, "period, from, to, province, "
		      "sector"))
		return;
	memset(&p, 0, sizeof(p));
	p.now_ms = srv_clock_ms();
	/* An empty value (a cleared form field) means "not given". */
	if (period && !*period)
		period = NULL;
	if (from && !*from && to && !*to)
		from = to = NULL;
	if (prov && !*prov)
		prov = NULL;
	if (sect && !*sect)
		sect = NULL;
	if (period && (from || to)) {
		srv_resp_error(resp, 400, "invalid_argument", "give either "
			       "period or from and to, not both");
		return;
	}
	if (period) {
		if (srv_period_parse(period, &p.period, msg, sizeof(msg))) {
			srv_resp_error(resp, 400, "invalid_argument", "%s", msg);
			return;
		}
	} else if (from || to) {
		if (srv_period_range(from, to, &p.period, msg, sizeof(msg))) {
			srv_resp_error(resp, 400, "invalid_argument", "%s", msg);
			return;
		}
	} else {
		srv_period_current(p.now_ms, &p.period);
	}
	if (prov && !(p.province = proto_ref_lookup(&proto_provinces, prov))) {
		srv_resp_error(resp, 400, "invalid_argument", "province: "
			       "unknown province \"%.60s\"; allowed: %s", prov,
			       proto_ref_names(&proto_provinces));
		return;
	}
	if (sect && !(p.sector = proto_ref_lookup(&proto_sectors, sect))) {
		srv_resp_error(resp, 400, "invalid_argument", "sector: unknown "
			       "sector \"%.60s\"; allowed: %s", sect,
			       proto_ref_names(&proto_sectors));
		return;
	}
	/* Read for every request, so HQ's edits show at the next reload. A
	** mistake in it is the targets section's "error"; the rest of the
	** report is whole (as for `fieldsyncd report`). */
	if (srv_hq_targets(ctx->web->db_path, NULL, &t, source, sizeof(source),
			   &created, tmsg, sizeof(tmsg)))
		p.targets_error = tmsg;
	p.targets = t;
	s = srv_pool_get(ctx->pool);
	if (srv_hq_report(s, &p, &doc, msg, sizeof(msg))) {
		srv_resp_error(resp, 500, "internal_error", "%s", msg);
		goto out;
	}
	if (srv_report_render(doc, SRV_REPORT_JSON, &text, &len)) {
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
		goto out;
	}
	srv_resp_free(resp);
	resp->status = 200;
	resp->body = text;
	resp->len = len;
out:
	srv_pool_put(ctx->pool, s);
	cJSON_Delete(doc);
	srv_targets_free(t);
}

static int conflict_item(void *ctx, const srv_conflict *c)
{
	cJSON *o = srv_conflict_json(c);

	if (!o || !cJSON_AddItemToArray(ctx, o)) {
		cJSON_Delete(o);
		return 1;
	}
	return 0;
}

/* A page of a list: ?after=ID (exclusive, default 0) and ?limit=N (1 to
** SRV_WEB_PAGE_MAX, default SRV_WEB_PAGE_DEFAULT). 0, or -1 after a 400. */
static int page_args(const srv_web_req *req, srv_resp *resp, int64_t *after,
		     int *limit)
{
	const char *a = arg(req, "after"), *l = arg(req, "limit");

	*after = 0;
	*limit = SRV_WEB_PAGE_DEFAULT;
	if (a && (!*a || strlen(a) > 18 ||
		  strspn(a, "0123456789") != strlen(a))) {
		srv_resp_error(resp, 400, "invalid_argument", "after must be "
			       "the \"next\" value of the previous page: a "
			       "whole number >= 0");
		return -1;
	}
	if (l && (!*l || strlen(l) > 3 ||
		  strspn(l, "0123456789") != strlen(l) || atoi(l) < 1 ||
		  atoi(l) > SRV_WEB_PAGE_MAX)) {
		srv_resp_error(resp, 400, "invalid_argument", "limit must be "
			       "a whole number from 1 to %d", SRV_WEB_PAGE_MAX);
		return -1;
	}
	if (a)
		*after = strtoll(a, NULL, 10);
	if (l)
		*limit = atoi(l);
	return 0;
}

/* The devices whose conflicts stopped being listed (store.h caps). */
static int capped_item(void *ctx, const srv_device *d)
{
	cJSON *o;

	if (!(d->flags & SRV_DEV_CONFLICTS_CAPPED))
		return 0;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "id", d->id) ||
	    !cJSON_AddStringToObject(o, "name", d->name) ||
	    !cJSON_AddItemToArray(ctx, o)) {
		cJSON_Delete(o);
		return 1;
	}
	return 0;
}

static void do_conflicts(srv_ctx *ctx, const srv_web_req *req,
			 srv_resp *resp)
{
	static const char *const allowed[] = { "all", "after", "limit", NULL };
	const char *all = arg(req, "all");
	cJSON *o = NULL, *arr, *capped;
	srv_store *s;
	int64_t open = 0, after, next = 0;
	int rc, limit;

	if (args_only(req, resp, allowed, "all, after, limit") ||
	    page_args(req, resp, &after, &limit))
		return;
	if (all && strcmp(all, "1") != 0 && strcmp(all, "0") != 0) {
		srv_resp_error(resp, 400, "invalid_argument", "all must be 1 "
			       "(every conflict) or 0 (open ones)");
		return;
	}
	o = cJSON_CreateObject();
	arr = o ? cJSON_AddArrayToObject(o, "conflicts") : NULL;
	capped = arr ? cJSON_AddArrayToObject(o, "capped_devices") : NULL;
	if (!capped) {
		cJSON_Delete(o);
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
		return;
	}
	s = srv_pool_get(ctx->pool);
	rc = srv_store_begin(s, 0);
	if (!rc)
		rc = srv_store_conflicts_open(s, &open);
	if (!rc)
		rc = srv_store_conflicts_page(s, !(all && *all == '1'), after,
					      limit, conflict_item, arr, &next);
	if (!rc)
		rc = srv_store_devices_each(s, capped_item, capped);
	srv_store_rollback(s);
	srv_pool_put(ctx->pool, s);
	if (rc) {
		cJSON_Delete(o);
		srv_resp_error(resp, 500, "internal_error", "reading the "
			       "conflicts failed; try again");
		return;
	}
	if (!cJSON_AddNumberToObject(o, "open", (double)open) ||
	    !cJSON_AddNumberToObject(o, "limit", limit) ||
	    !(next ? cJSON_AddNumberToObject(o, "next", (double)next)
		   : cJSON_AddNullToObject(o, "next")) ||
	    !cJSON_AddNumberToObject(o, "capped_at", SRV_CONFLICTS_OPEN_MAX)) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(resp, 200, o);
}

/* ---- routing -------------------------------------------------------- */

static int is_get(const srv_web_req *req)
{
	return strcmp(req->method, "GET") == 0 ||
	       strcmp(req->method, "HEAD") == 0;
}

static int wrong_method(srv_resp *resp, const srv_web_req *req,
			const char *allow)
{
	srv_resp_error(resp, 405, "method_not_allowed", "%.100s takes %s, "
		       "not %.16s", req->path, allow, req->method);
	resp->allow = allow;
	return 1;
}

void srv_web_handle(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	const char *p = req->path;
	int live;

	memset(resp, 0, sizeof(*resp));
	resp->web = 1;
	live = session_ok(ctx->web, req->cookie, srv_clock_ms());
	if (live)
		snprintf(resp->device, sizeof(resp->device), "hq-browser");
	if (strcmp(p, "/login") == 0) {
		if (strcmp(req->method, "POST") != 0)
			wrong_method(resp, req, "POST");
		else
			do_login(ctx, req, resp);
		return;
	}
	if (strcmp(p, "/logout") == 0) {
		if (strcmp(req->method, "POST") != 0)
			wrong_method(resp, req, "POST");
		else
			do_logout(ctx, req, resp);
		return;
	}
	if (strncmp(p, "/api/", 5) == 0) {
		if (!live)
			srv_resp_error(resp, 401, "unauthenticated",
				       "Sign in at /");
		else if (!is_get(req))
			wrong_method(resp, req, "GET");
		else if (strcmp(p, "/api/report") == 0)
			do_report(ctx, req, resp);
		else if (strcmp(p, "/api/conflicts") == 0)
			do_conflicts(ctx, req, resp);
		else
			srv_resp_error(resp, 404, "not_found", "no endpoint "
				       "%.200s", p);
		return;
	}
	if (!is_get(req)) {
		wrong_method(resp, req, "GET");
		return;
	}
	if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0)
		send_asset(resp, live ? "/index.html" : "/login.html");
	else if (strcmp(p, "/login.html") == 0 || strcmp(p, "/app.css") == 0 ||
		 strcmp(p, "/app.js") == 0)
		send_asset(resp, p);
	else if (!live)
		send_asset(resp, "/login.html");
	else
		srv_resp_error(resp, 404, "not_found", "no page %.200s", p);
	resp->web = 1;
}
