/*
** This file contains the HQ dashboard's requests (web.h).
**
** Sign-in. POST /login {"token":T} accepts a token made by `fieldsyncd token
** create --role hq` that has not expired and was not used to enroll a
** device. It does not consume the token: HQ staff sign in with it again
** (another browser, the next day) until it expires, so give it a lifetime
** that suits (`--expires 90d`); a token that leaks is made useless by
** letting it expire, there is no revocation list for tokens. Each sign-in
** opens a browser session of SRV_WEB_SESSION_MS (12 h): 32 bytes
** sent as the cookie fs_hq (HttpOnly, SameSite=Strict, Path=/, Secure over
** HTTPS): a nonce, the session's end and a tag under the database's key
** (auth.c, srv_auth_web_new), so every fieldsyncd serving the database
** accepts it and a restart signs nobody out. Signing out keeps the nonce
** in the database (auth_floor) until the session's end, for every process.
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
#include <unistd.h>
#include <sodium.h>
#include "protocol/merge.h"
#include "report_lang.h"
#include "protocol/changeset.h"
#include "protocol/records.h"
#include "server/web/assets.h"
#include "hq.h"
#include "hqcmd.h"
#include "web.h"

struct srv_web {
	char *db_path;
	int https;
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
	*out = w;
	return SRV_OK;
}

void srv_web_free(srv_web *w)
{
	if (!w)
		return;
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
	if (strcmp(method, "POST") != 0)
		return 0;
	if (strcmp(path, "/login") == 0)
		return SRV_WEB_LOGIN_MAX;
	return strcmp(path, "/api/conflicts/resolve") == 0 ? SRV_WEB_POST_MAX
							    : 0;
}

/* ---- sessions ------------------------------------------------------- */

static void hash_text(const char *s, uint8_t h[PROTO_HASH_BYTES])
{
	crypto_generichash(h, PROTO_HASH_BYTES, (const unsigned char *)s,
			   strlen(s), NULL, 0);
}

/* Whether cookie is a live session: 1 yes, 0 no, -1 the database could not
** say. The cookie is checked by its tag first (auth.c): only a genuine,
** unexpired one costs the database lookup of whether it was signed out,
** so any fieldsyncd of the database serves any signed-in browser. */
static int session_ok(srv_ctx *ctx, const char *cookie, int64_t now)
{
	char id[SRV_WEB_SIGNOUT_ID];
	int64_t floor;
	srv_store *s;
	int rc;

	if (srv_auth_web_check(ctx->auth, cookie, now, NULL) != SRV_OK)
		return 0;
	srv_auth_web_signout_id(cookie, id);
	s = srv_pool_get(ctx->pool);
	rc = srv_store_auth_floor_get(s, id, &floor);
	srv_pool_put(ctx->pool, s);
	return rc == SRV_E_NOTFOUND ? 1 : rc == SRV_OK ? 0 : -1;
}

/* Sign cookie out in every process: its nonce is kept, until the session's
** end, as a floor (srv_store_auth_floor). 0, or -1 if the database failed. */
static int session_end(srv_ctx *ctx, const char *cookie, int64_t now)
{
	char id[SRV_WEB_SIGNOUT_ID];
	int64_t end;
	srv_store *s;
	int rc;

	if (srv_auth_web_check(ctx->auth, cookie, now, &end) != SRV_OK)
		return 0;
	srv_auth_web_signout_id(cookie, id);
	s = srv_pool_get(ctx->pool);
	rc = srv_store_auth_floor(s, id, end);
	srv_pool_put(ctx->pool, s);
	return rc == SRV_OK || rc == SRV_E_USED ? 0 : -1;
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
	if (srv_auth_web_new(ctx->auth, now, SRV_WEB_SESSION_MS, session) ||
	    set_cookie(w, resp, session, SRV_WEB_SESSION_MS / 1000)) {
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
	cJSON *o;

	if (session_end(ctx, req->cookie, srv_clock_ms())) {
		srv_resp_error(resp, 503, "busy", "the database is busy; you "
			       "are still signed in: try again");
		return;
	}
	o = cJSON_CreateObject();
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

/* The report document for the dashboard's period and filters (period,
** from, to, province, sector), in *doc; 0, or -1 with resp set to the
** error. allowed: every parameter the endpoint takes, for the message. */
static int report_doc(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp,
		      const char *const *allowed, const char *allowed_text,
		      cJSON **doc)
{
	const char *period = arg(req, "period"), *from = arg(req, "from");
	const char *to = arg(req, "to"), *prov = arg(req, "province");
	const char *sect = arg(req, "sector");
	srv_report_params p;
	srv_targets *t = NULL;
	srv_store *s = NULL;
	char msg[600], tmsg[600], source[4200];
	int created = 0, rc = -1;

	*doc = NULL;
	if (args_only(req, resp, allowed, allowed_text))
		return -1;
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
		return -1;
	}
	if (period) {
		if (srv_period_parse(period, &p.period, msg, sizeof(msg))) {
			srv_resp_error(resp, 400, "invalid_argument", "%s", msg);
			return -1;
		}
	} else if (from || to) {
		if (srv_period_range(from, to, &p.period, msg, sizeof(msg))) {
			srv_resp_error(resp, 400, "invalid_argument", "%s", msg);
			return -1;
		}
	} else {
		srv_period_current(p.now_ms, &p.period);
	}
	if (prov && !(p.province = proto_ref_lookup(&proto_provinces, prov))) {
		srv_resp_error(resp, 400, "invalid_argument", "province: "
			       "unknown province \"%.60s\"; allowed: %s", prov,
			       proto_ref_names(&proto_provinces));
		return -1;
	}
	if (sect && !(p.sector = proto_ref_lookup(&proto_sectors, sect))) {
		srv_resp_error(resp, 400, "invalid_argument", "sector: unknown "
			       "sector \"%.60s\"; allowed: %s", sect,
			       proto_ref_names(&proto_sectors));
		return -1;
	}
	/* Read for every request, so HQ's edits show at the next reload. A
	** mistake in it is the targets section's "error"; the rest of the
	** report is whole (as for `fieldsyncd report`). */
	if (srv_hq_targets(ctx->web->db_path, NULL, &t, source, sizeof(source),
			   &created, tmsg, sizeof(tmsg)))
		p.targets_error = tmsg;
	p.targets = t;
	s = srv_pool_get(ctx->pool);
	if (srv_hq_report(s, &p, doc, msg, sizeof(msg)))
		srv_resp_error(resp, 500, "internal_error", "%s", msg);
	else
		rc = 0;
	srv_pool_put(ctx->pool, s);
	srv_targets_free(t);
	return rc;
}

/* "period_words": the period in words in each language the page speaks
** ({"vi":"6 tháng, 01/05/2026 – 31/10/2026, hạn nộp 10/11/2026",...}),
** from the report's own wording (report_lang.c), so a language switch
** needs no new request. 0, or -1 when out of memory. */
static int add_period_words(cJSON *doc)
{
	static const char *const langs[] = { "vi", "lo", "en" };
	cJSON *o = cJSON_AddObjectToObject(doc, "period_words");
	char text[256];

	for (size_t i = 0; o && i < sizeof(langs) / sizeof(langs[0]); i++)
		if (srv_report_period_text(doc, langs[i], text, sizeof(text)) ||
		    !cJSON_AddStringToObject(o, langs[i], text))
			return -1;
	return o ? 0 : -1;
}

static void do_report(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	static const char *const allowed[] = { "period", "from", "to",
					       "province", "sector", NULL };
	cJSON *doc = NULL;
	char *text = NULL;
	size_t len = 0;

	if (report_doc(ctx, req, resp, allowed, "period, from, to, province, "
		       "sector", &doc))
		return;
	if (add_period_words(doc) ||
	    srv_report_render(doc, SRV_REPORT_JSON, &text, &len)) {
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
	} else {
		srv_resp_free(resp);
		resp->status = 200;
		resp->body = text;
		resp->len = len;
	}
	cJSON_Delete(doc);
}

/* Read the file at path whole into resp's body. 0, or -1 (resp set). */
static int body_from_file(srv_resp *resp, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		if (f)
			fclose(f);
		free(buf);
		srv_resp_error(resp, 503, "busy", "cannot read the document "
			       "just written; try again");
		return -1;
	}
	fclose(f);
	srv_resp_free(resp);
	resp->status = 200;
	resp->body = buf;
	resp->len = (size_t)n;
	return 0;
}

/* GET /api/report/file?format=docx|xlsx|csv[&table=T][&lang=L] and the
** period and filters of /api/report: the report as a file to save, the
** same bytes `fieldsyncd report --format ...` writes. */
static void do_download(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	static const char *const allowed[] = { "period", "from", "to",
					       "province", "sector", "format",
					       "table", "lang", NULL };
	const char *format = arg(req, "format"), *table = arg(req, "table");
	const char *lang = arg(req, "lang"), *label;
	char tmpl[] = "/tmp/fieldsync-report.XXXXXX", msg[600];
	cJSON *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	int docx, fd;

	if (!format || (strcmp(format, "docx") && strcmp(format, "xlsx") &&
			strcmp(format, "csv"))) {
		srv_resp_error(resp, 400, "invalid_argument", "format: \"%.20s\""
			       " is not a document format; allowed: docx, "
			       "xlsx, csv", format ? format : "");
		return;
	}
	docx = strcmp(format, "docx") == 0;
	if (strcmp(format, "csv") == 0 &&
	    (!table || !srv_report_table_known(table))) {
		srv_resp_error(resp, 400, "invalid_argument", "table: a CSV "
			       "file is one table; allowed: %s",
			       srv_report_tables());
		return;
	}
	if (table && strcmp(format, "csv") != 0) {
		srv_resp_error(resp, 400, "invalid_argument", "table goes with "
			       "format=csv only");
		return;
	}
	if (!lang || !*lang)
		lang = "vi";
	if (strcmp(lang, "vi") && strcmp(lang, "lo") && strcmp(lang, "en")) {
		srv_resp_error(resp, 400, "invalid_argument", "lang: \"%.20s\" "
			       "is not a language of the report; allowed: vi, "
			       "lo, en", lang);
		return;
	}
	if (report_doc(ctx, req, resp, allowed, "period, from, to, province, "
		       "sector, format, table, lang", &doc))
		return;
	if (srv_report_localize(doc, lang) != 0) {
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
		goto out;
	}
	label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(doc, "period"), "label"));
	if (!label || strspn(label, "0123456789HQ.-") != strlen(label))
		label = "report";
	if (strcmp(format, "csv") == 0) {
		if (srv_report_render_csv_table(doc, table, &text, &len)) {
			srv_resp_error(resp, 503, "busy", "out of memory; try "
				       "again");
			goto out;
		}
		srv_resp_free(resp);
		resp->status = 200;
		resp->body = text;
		resp->len = len;
		resp->ctype = "text/csv; charset=utf-8";
		snprintf(resp->disposition, sizeof(resp->disposition),
			 "attachment; filename=\"fieldsync-%s-%s.csv\"", label,
			 table);
		goto out;
	}
	/* The writers write files (libzip, libxlsxwriter): a private
	** temporary file, read back and removed at once. */
	if ((fd = mkstemp(tmpl)) < 0) {
		srv_resp_error(resp, 503, "busy", "cannot make a temporary "
			       "file; try again");
		goto out;
	}
	close(fd);
	if (docx ? srv_report_write_docx(doc, lang, tmpl, msg, sizeof(msg))
		 : srv_report_write_xlsx(doc, lang, tmpl, msg, sizeof(msg))) {
		srv_resp_error(resp, 500, "internal_error", "%s", msg);
	} else if (body_from_file(resp, tmpl) == 0) {
		resp->ctype = docx
			? "application/vnd.openxmlformats-officedocument."
			  "wordprocessingml.document"
			: "application/vnd.openxmlformats-officedocument."
			  "spreadsheetml.sheet";
		snprintf(resp->disposition, sizeof(resp->disposition),
			 "attachment; filename=\"fieldsync-%s-%s.%s\"", label,
			 lang, format);
	}
	unlink(tmpl);
out:
	cJSON_Delete(doc);
}

/* GET /api/session: the page's CSRF token for its writes. */
static void do_session(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	char tok[65];
	cJSON *o = cJSON_CreateObject();

	srv_auth_web_csrf(ctx->auth, req->cookie, tok);
	if (o && !cJSON_AddStringToObject(o, "csrf", tok)) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(resp, 200, o);
}

/* A write from the page: the session's CSRF token in X-CSRF-Token, the
** page's own origin (when the browser says one), a JSON body. 0, or -1
** with resp set. */
static int write_ok(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	char tok[65], origin[300];

	srv_auth_web_csrf(ctx->auth, req->cookie, tok);
	if (!req->csrf || strlen(req->csrf) != 64 ||
	    sodium_memcmp(req->csrf, tok, 64) != 0) {
		srv_resp_error(resp, 403, "csrf", "this request lacks the "
			       "page's X-CSRF-Token (from GET /api/session): "
			       "reload the page");
		return -1;
	}
	if (req->origin) {
		snprintf(origin, sizeof(origin), "%s://%s",
			 ctx->web->https ? "https" : "http",
			 req->host ? req->host : "");
		if (strcmp(req->origin, origin) != 0) {
			srv_resp_error(resp, 403, "cross_origin", "writes come "
				       "from the dashboard's own pages only");
			return -1;
		}
	}
	if (!req->ctype || strncmp(req->ctype, "application/json", 16) != 0) {
		srv_resp_error(resp, 415, "wrong_content_type", "the body must "
			       "be JSON (Content-Type: application/json)");
		return -1;
	}
	return 0;
}

/* The value written, as "value": its JSON when it is whole; a long text
** value comes cut to srv_resolution's buffer, so then it is "value_text"
** (the cut JSON text): the resolution itself is committed either way. */
static int add_value_text(cJSON *o, const char *text)
{
	cJSON *v = cJSON_Parse(text);

	if (v)
		return cJSON_AddItemToObject(o, "value", v);
	return cJSON_AddStringToObject(o, "value_text", text) != NULL;
}

/* POST /api/conflicts/resolve {"id":N,"keep":"device:ID"|"value:TEXT"}:
** exactly `fieldsyncd conflicts resolve N --keep ...` — an HQ-signed
** change set through the push path, pulled by every device. */
static void do_resolve(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	cJSON *root = NULL, *o;
	const cJSON *id, *keep;
	srv_resolution res;
	srv_store *s = NULL;
	proto_err e;
	char msg[600];
	int rc;

	if (write_ok(ctx, req, resp))
		return;
	if (!req->body || proto_json_parse(req->body, req->body_len, &root,
					   &e) != PROTO_OK ||
	    !cJSON_IsObject(root) ||
	    !cJSON_IsNumber(id = cJSON_GetObjectItemCaseSensitive(root, "id")) ||
	    id->valuedouble < 1 || id->valuedouble > 9e15 ||
	    id->valuedouble != (double)(int64_t)id->valuedouble ||
	    !cJSON_IsString(keep = cJSON_GetObjectItemCaseSensitive(root,
								     "keep")) ||
	    !*keep->valuestring || cJSON_GetArraySize(root) != 2) {
		srv_resp_error(resp, 400, "malformed_json", "the body must be "
			       "{\"id\":N,\"keep\":\"device:ID\" or "
			       "\"value:TEXT\"} and nothing else");
		goto out;
	}
	s = srv_pool_get(ctx->pool);
	memset(&res, 0, sizeof(res));
	rc = srv_hq_resolve(s, ctx->web->db_path, (int64_t)id->valuedouble,
			    keep->valuestring, &res, msg, sizeof(msg));
	if (rc) {
		srv_resp_error(resp, rc == SRV_E_ARG ? 400 :
			       rc == SRV_E_NOTFOUND ? 404 :
			       rc == SRV_E_USED ? 409 : 500,
			       rc == SRV_E_ARG ? "invalid_argument" :
			       rc == SRV_E_NOTFOUND ? "not_found" :
			       rc == SRV_E_USED ? "resolved" : "internal_error",
			       "%s", msg);
		goto out;
	}
	o = cJSON_CreateObject();
	if (o && (!cJSON_AddTrueToObject(o, "ok") ||
		  !cJSON_AddNumberToObject(o, "cursor", (double)res.cursor) ||
		  !cJSON_AddNumberToObject(o, "resolved",
					   (double)res.resolved) ||
		  !cJSON_AddStringToObject(o, "keep", res.keep) ||
		  !cJSON_AddStringToObject(o, "device", res.device) ||
		  !add_value_text(o, res.value))) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_obj(resp, 200, o);
out:
	if (s)
		srv_pool_put(ctx->pool, s);
	cJSON_Delete(root);
}

/* GET /api/record?id=ID (the full id): the record as the server holds it
** (kind, fields, owner and its name, deleted) and its history. */
static void do_record(srv_ctx *ctx, const srv_web_req *req, srv_resp *resp)
{
	static const char *const allowed[] = { "id", NULL };
	const char *id = arg(req, "id");
	char hq[PROTO_ID_HEX + 1] = "";
	srv_store *s = NULL;
	cJSON *entries = NULL, *state = NULL, *o = NULL, *vals;
	const proto_kind_def *k;
	const char *owner;
	srv_device d;
	int rc;

	if (args_only(req, resp, allowed, "id"))
		return;
	if (!id || !proto_id_valid(id)) {
		srv_resp_error(resp, 400, "invalid_argument", "id: a record "
			       "id, 32 hex digits");
		return;
	}
	s = srv_pool_get(ctx->pool);
	/* An unknown id costs one lookup, not a replay of every set. */
	{
		char *text = NULL;
		size_t tl = 0;
		rc = srv_store_record_get(s, id, &text, &tl);
		free(text);
		if (rc == SRV_E_NOTFOUND) {
			srv_resp_error(resp, 404, "not_found", "no record %.40s",
				       id);
			goto out;
		}
	}
	if (srv_store_meta_get(s, "hq_device", hq, sizeof(hq)) != SRV_OK)
		hq[0] = 0;
	rc = srv_record_history(s, hq, id, &entries, &state);
	if (rc) {
		srv_resp_error(resp, 503, "busy", "cannot read the record; "
			       "try again");
		goto out;
	}
	if (!state || !(k = proto_state_kind(state))) {
		srv_resp_error(resp, 404, "not_found", "no record %.40s", id);
		goto out;
	}
	owner = proto_state_owner(state);
	vals = proto_state_values(state);
	o = cJSON_CreateObject();
	if (!o || !vals || !cJSON_AddStringToObject(o, "id", id) ||
	    !cJSON_AddStringToObject(o, "kind", k->name) ||
	    !cJSON_AddItemToObject(o, "fields", vals) ||
	    !cJSON_AddBoolToObject(o, "deleted", proto_state_deleted(state)) ||
	    !cJSON_AddBoolToObject(o, "retracted",
				   proto_state_retracted(state)) ||
	    (owner && !cJSON_AddStringToObject(o, "owner", owner)) ||
	    (owner && srv_store_device_get(s, owner, &d) == SRV_OK &&
	     !cJSON_AddStringToObject(o, "owner_name",
				      d.name[0] ? d.name : d.client_name)) ||
	    !cJSON_AddItemToObject(o, "history", entries)) {
		if (!o || !cJSON_GetObjectItemCaseSensitive(o, "fields"))
			cJSON_Delete(vals);
		if (!o || !cJSON_GetObjectItemCaseSensitive(o, "history"))
			cJSON_Delete(entries);
		cJSON_Delete(o);
		entries = NULL;
		o = NULL;
	} else {
		entries = NULL;
	}
	send_obj(resp, 200, o);
out:
	srv_pool_put(ctx->pool, s);
	cJSON_Delete(entries);
	cJSON_Delete(state);
}

typedef struct conf_page {
	srv_store *s;
	cJSON *arr;
} conf_page;

/* Add the roster name of device id (a stamp's device) as key. */
static int add_device_name(srv_store *s, cJSON *o, const char *key,
			   const char *id)
{
	srv_device d;

	if (!id || srv_store_device_get(s, id, &d) != SRV_OK)
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddStringToObject(o, key, d.name[0] ? d.name
						      : d.client_name) != NULL;
}

/* A conflict as `conflicts list --json` gives it, with the record named
** ("record_name") and the two devices' names, so the page can say what
** HQ is choosing between. */
static int conflict_item(void *ctx, const srv_conflict *c)
{
	conf_page *cp = ctx;
	cJSON *o = srv_conflict_json(c);
	char title[400];

	srv_record_title(cp->s, c->record, title, sizeof(title));
	if (!o || !cJSON_AddStringToObject(o, "record_name", title) ||
	    !add_device_name(cp->s, o, "winner_name", cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(o, "winner_device"))) ||
	    !add_device_name(cp->s, o, "loser_name", cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(o, "loser_device"))) ||
	    !cJSON_AddItemToArray(cp->arr, o)) {
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
	conf_page cp;
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
	cp.s = s;
	cp.arr = arr;
	rc = srv_store_begin(s, 0);
	if (!rc)
		rc = srv_store_conflicts_open(s, &open);
	if (!rc)
		rc = srv_store_conflicts_page(s, !(all && *all == '1'), after,
					      limit, conflict_item, &cp, &next);
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
	live = session_ok(ctx, req->cookie, srv_clock_ms());
	if (live < 0) {
		srv_resp_error(resp, 503, "busy", "the database is busy; try "
			       "again");
		return;
	}
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
		else if (strcmp(p, "/api/conflicts/resolve") == 0) {
			if (strcmp(req->method, "POST") != 0)
				wrong_method(resp, req, "POST");
			else
				do_resolve(ctx, req, resp);
		} else if (!is_get(req))
			wrong_method(resp, req, "GET");
		else if (strcmp(p, "/api/report") == 0)
			do_report(ctx, req, resp);
		else if (strcmp(p, "/api/report/file") == 0)
			do_download(ctx, req, resp);
		else if (strcmp(p, "/api/session") == 0)
			do_session(ctx, req, resp);
		else if (strcmp(p, "/api/record") == 0)
			do_record(ctx, req, resp);
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
