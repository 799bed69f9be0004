/*
** This file contains the endpoints of the HTTP API (api.h): request bodies
** are parsed strictly (proto_json_parse: UTF-8, no duplicate keys, nothing
** after the object) and then checked member by member, so an unknown or
** mistyped member is refused by name. Each handler takes one store
** connection from the pool for its whole run.
*/
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <sodium.h>
#include "protocol/changeset.h"
#include "api.h"
#include "hq.h"
#include "push.h"

/* Returned when even the error body cannot be allocated. */
static const char nomem_body[] =
	"{\"error\":\"busy\",\"message\":\"out of memory; try again\"}";

/* A growing output buffer with a hard cap. */
typedef struct sbuf {
	char *p;
	size_t len, cap, max;
	int failed;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
	size_t want;
	char *np;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		want = b->cap ? b->cap : 4096;
		while (want < b->len + n + 1)
			want *= 2;
		if (want > b->max) {
			b->failed = 1;
			return;
		}
		np = realloc(b->p, want);
		if (!np) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = want;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_fmt(sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_fmt(sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->failed = 1;
	else
		sb_add(b, tmp, (size_t)n);
}

/* A JSON string literal of bytes that are valid UTF-8 (checked on push):
** escape what JSON requires and copy the rest, so the receiver gets back
** exactly the bytes that were signed. */
static void sb_json_string(sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	char esc[7];

	sb_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_add(b, s + run, i - run);
		run = i + 1;
		if (c == '"')
			sb_add(b, "\\\"", 2);
		else if (c == '\\')
			sb_add(b, "\\\\", 2);
		else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			sb_add(b, esc, 6);
		}
	}
	sb_add(b, s + run, n - run);
	sb_add(b, "\"", 1);
}

void srv_resp_free(srv_resp *resp)
{
	if (resp->body != nomem_body)
		free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

static void set_nomem(srv_resp *resp)
{
	srv_resp_free(resp);
	resp->status = 503;
	resp->code = "busy";
	resp->body = (char *)nomem_body;
	resp->len = sizeof(nomem_body) - 1;
}

/* Print obj into resp (consumes obj). */
static void send_json(srv_resp *resp, int status, cJSON *obj)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	srv_resp_free(resp);
	if (!text) {
		set_nomem(resp);
		return;
	}
	resp->status = status;
	resp->body = text;
	resp->len = strlen(text);
}

static cJSON *error_obj(const char *code, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddStringToObject(o, "error", code) ||
		  !cJSON_AddStringToObject(o, "message", msg))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void srv_resp_error(srv_resp *resp, int status, const char *code,
		    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	send_json(resp, status, error_obj(code, msg));
	resp->code = code;
}

static int add_int(cJSON *o, const char *name, int64_t v)
{
	return cJSON_AddNumberToObject(o, name, (double)v) != NULL;
}

/* ---- request members ---------------------------------------------- */

typedef struct member {
	const char *name;
	int type;            /* cJSON_String, cJSON_Number, cJSON_Array */
	int required;
	const cJSON *item;   /* out */
} member;

static const char *type_name(int type)
{
	return type == cJSON_String ? "a string" :
	       type == cJSON_Number ? "a number" :
	       type == cJSON_Array ? "an array" : "an object";
}

/* Check obj holds only the listed members, of the listed types. */
static int take_members(srv_resp *resp, const cJSON *obj, member *m, size_t n,
			const char *what)
{
	const cJSON *it;
	size_t i;

	if (!cJSON_IsObject(obj)) {
		srv_resp_error(resp, 400, "wrong_type", "%s must be a JSON "
			       "object", what);
		return -1;
	}
	for (it = obj->child; it; it = it->next) {
		for (i = 0; i < n; i++)
			if (strcmp(it->string, m[i].name) == 0)
				break;
		if (i == n) {
			srv_resp_error(resp, 400, "unknown_field", "%s has an "
				       "unknown member \"%.64s\"", what,
				       it->string);
			return -1;
		}
		if ((it->type & 0xff) != m[i].type) {
			srv_resp_error(resp, 400, "wrong_type", "member \"%s\" "
				       "of %s must be %s", m[i].name, what,
				       type_name(m[i].type));
			return -1;
		}
		m[i].item = it;
	}
	for (i = 0; i < n; i++)
		if (m[i].required && !m[i].item) {
			srv_resp_error(resp, 400, "missing_field", "%s needs "
				       "the member \"%s\"", what, m[i].name);
			return -1;
		}
	return 0;
}

static int parse_body(srv_resp *resp, const srv_req *req, cJSON **root)
{
	proto_err e;
	proto_code pc;

	*root = NULL;
	if (!req->body || req->body_len == 0) {
		srv_resp_error(resp, 400, "malformed_json", "the request body "
			       "is empty; a JSON object is expected");
		return -1;
	}
	pc = proto_json_parse(req->body, req->body_len, root, &e);
	if (pc == PROTO_E_NOMEM) {
		srv_resp_error(resp, 503, "busy", "out of memory; try again");
		return -1;
	} else if (pc != PROTO_OK) {
		srv_resp_error(resp, srv_proto_status(pc), proto_code_name(pc),
			       "request body: %s", e.msg);
		return -1;
	}
	return 0;
}

static int check_id(srv_resp *resp, const char *member_name, const char *v)
{
	if (!proto_id_valid(v)) {
		srv_resp_error(resp, 400, "invalid_format", "\"%s\" must be a "
			       "device id: 32 lowercase hex digits",
			       member_name);
		return -1;
	}
	return 0;
}

static int store_failed(srv_resp *resp, srv_store *s, int rc)
{
	if (rc == SRV_E_BUSY)
		srv_resp_error(resp, 503, "busy", "the database is busy; try "
			       "again");
	else if (rc == SRV_E_FULL)
		srv_resp_error(resp, 503, "storage_full", "the server's disk "
			       "is full (%s); nothing was stored: try again "
			       "later", srv_store_errmsg(s));
	else
		srv_resp_error(resp, 500, "internal_error", "storage failed: %s",
			       srv_store_errmsg(s));
	return -1;
}

/* 429 too_many_requests for an address that used up its attempts of
** kind (what: "enrollment"), with Retry-After and "retry_after". */
static void too_many_requests(srv_resp *resp, const srv_req *req,
			      const char *what, unsigned wait_s)
{
	char msg[200];
	cJSON *o;

	snprintf(msg, sizeof(msg), "too many %s attempts from this address "
		 "(%.64s); at most %d in a row, then one every %d s; try again "
		 "in %u s", what, req->peer && req->peer[0] ? req->peer :
		 "unknown", SRV_LIMIT_BURST, SRV_LIMIT_REFILL_MS / 1000, wait_s);
	o = error_obj("too_many_requests", msg);
	if (o && !add_int(o, "retry_after", wait_s)) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_json(resp, 429, o);
	resp->code = "too_many_requests";
	snprintf(resp->retry_after, sizeof(resp->retry_after), "%u", wait_s);
}

/* ---- endpoints ------------------------------------------------------ */

static void do_health(srv_ctx *ctx, srv_resp *resp)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddStringToObject(o, "status", "ok") ||
		  !add_int(o, "version", PROTO_VERSION) ||
		  !add_int(o, "server_time", srv_clock_ms()) ||
		  !cJSON_AddStringToObject(o, "device", ctx->hq_device))) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_json(resp, 200, o);
}

static int name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SRV_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return proto_utf8_valid(s, n);
}

static void do_enroll(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	member m[] = { { "token", cJSON_String, 1, NULL },
		       { "public_key", cJSON_String, 1, NULL },
		       { "name", cJSON_String, 1, NULL } };
	cJSON *root = NULL, *o;
	srv_store *s = NULL;
	srv_token tok;
	srv_device d;
	uint8_t th[PROTO_HASH_BYTES], id[PROTO_ID_BYTES];
	const char *token, *name;
	int64_t now = srv_clock_ms();
	unsigned wait_s;
	int rc;

	/* Every attempt from an address counts until it proves to hold a
	** valid token (201, or 409 below): guessing is slowed, not honest
	** enrollments from one office behind one address. */
	wait_s = srv_auth_throttle(ctx->auth, SRV_LIMIT_ENROLL, req->peer, now);
	if (wait_s) {
		too_many_requests(resp, req, "enrollment", wait_s);
		goto out;
	}
	if (parse_body(resp, req, &root) ||
	    take_members(resp, root, m, 3, "the enroll request"))
		goto out;
	token = m[0].item->valuestring;
	name = m[2].item->valuestring;
	memset(&d, 0, sizeof(d));
	if (strlen(token) < 16 || strlen(token) > 256) {
		srv_resp_error(resp, 401, "invalid_token", "this enrollment "
			       "token is not valid; ask HQ for a new one");
		goto out;
	}
	if (strlen(m[1].item->valuestring) != PROTO_PK_BYTES * 2 ||
	    proto_hex_decode(d.pk, PROTO_PK_BYTES, m[1].item->valuestring) ||
	    !crypto_core_ed25519_is_valid_point(d.pk)) {
		srv_resp_error(resp, 400, "invalid_format", "\"public_key\" must "
			       "be an Ed25519 public key as 64 lowercase hex "
			       "digits");
		goto out;
	}
	if (strlen(name) > SRV_NAME_MAX) {
		srv_resp_error(resp, 400, "too_long", "\"name\" is %zu bytes; "
			       "the limit is %d", strlen(name), SRV_NAME_MAX);
		goto out;
	}
	if (!name_ok(name)) {
		srv_resp_error(resp, 400, "invalid_value", "\"name\" must be 1 "
			       "to %d bytes of text without control characters",
			       SRV_NAME_MAX);
		goto out;
	}
	proto_device_id(d.pk, id);
	proto_hex_encode(d.id, id, PROTO_ID_BYTES);
	memcpy(resp->device, d.id, sizeof(d.id));
	crypto_generichash(th, sizeof(th), (const unsigned char *)token,
			   strlen(token), NULL, 0);

	s = srv_pool_get(ctx->pool);
	rc = srv_store_begin(s, 1);
	if (!rc)
		rc = srv_store_token_get(s, th, &tok);
	if (rc == SRV_E_NOTFOUND) {
		srv_resp_error(resp, 401, "invalid_token", "this enrollment "
			       "token is not known; ask HQ for a new one");
		goto out;
	} else if (rc) {
		store_failed(resp, s, rc);
		goto out;
	}
	/* A retry by the device the token enrolled (its first answer was
	** lost) is told it is enrolled, not that the token is spent. */
	if (tok.used_ms && strcmp(tok.device, d.id) != 0) {
		srv_resp_error(resp, 401, "token_used", "this enrollment token "
			       "was already used; each token enrolls one "
			       "device; ask HQ for a new one");
		goto out;
	}
	if (!tok.used_ms && tok.expires_ms <= now) {
		srv_resp_error(resp, 401, "token_expired", "this enrollment "
			       "token expired; ask HQ for a new one");
		goto out;
	}
	rc = srv_store_device_get(s, d.id, &(srv_device){ 0 });
	if (rc == SRV_OK) {
		o = error_obj("already_enrolled", "this public key is already "
			      "enrolled (as the device named in \"device\"); "
			      "the token was not used");
		if (o && !cJSON_AddStringToObject(o, "device", d.id)) {
			cJSON_Delete(o);
			o = NULL;
		}
		send_json(resp, 409, o);
		resp->code = "already_enrolled";
		srv_auth_unthrottle(ctx->auth, SRV_LIMIT_ENROLL, req->peer, now);
		goto out;
	}
	snprintf(d.name, sizeof(d.name), "%s", tok.name);
	snprintf(d.client_name, sizeof(d.client_name), "%s", name);
	snprintf(d.role, sizeof(d.role), "%s", tok.role);
	d.enrolled_ms = now;
	rc = srv_store_device_add(s, &d);
	if (!rc)
		rc = srv_store_token_use(s, th, d.id, now);
	if (!rc)
		rc = srv_store_event_add(s, d.id, "enroll", NULL, now);
	if (!rc)
		rc = srv_store_commit(s);
	if (rc) {
		store_failed(resp, s, rc);
		goto out;
	}
	o = cJSON_CreateObject();
	if (o && (!cJSON_AddStringToObject(o, "device", d.id) ||
		  !cJSON_AddStringToObject(o, "role", d.role) ||
		  !cJSON_AddStringToObject(o, "name", d.name))) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_json(resp, 201, o);
	srv_auth_unthrottle(ctx->auth, SRV_LIMIT_ENROLL, req->peer, now);
out:
	if (s)
		srv_pool_put(ctx->pool, s);
	sodium_memzero(th, sizeof(th));
	cJSON_Delete(root);
}

/* The device row for id, refusing unknown and revoked devices. */
static int live_device(srv_resp *resp, srv_store *s, const char *id,
		       srv_device *d)
{
	int rc = srv_store_device_get(s, id, d);

	if (rc == SRV_E_NOTFOUND) {
		srv_resp_error(resp, 404, "unknown_device", "device %s is not "
			       "enrolled; enroll it with a token from HQ", id);
		return -1;
	} else if (rc) {
		return store_failed(resp, s, rc);
	}
	if (d->revoked_at_cursor >= 0) {
		srv_resp_error(resp, 403, "device_revoked", "device %s was "
			       "revoked by HQ; it can no longer sync (its data "
			       "stays on the device)", id);
		return -1;
	}
	return 0;
}

static void do_challenge(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	member m[] = { { "device", cJSON_String, 1, NULL } };
	cJSON *root = NULL, *o;
	srv_store *s = NULL;
	srv_device d;
	char ch[SRV_SECRET_HEX + 1];

	if (parse_body(resp, req, &root) ||
	    take_members(resp, root, m, 1, "the challenge request") ||
	    check_id(resp, "device", m[0].item->valuestring))
		goto out;
	memcpy(resp->device, m[0].item->valuestring, PROTO_ID_HEX + 1);
	s = srv_pool_get(ctx->pool);
	if (live_device(resp, s, resp->device, &d))
		goto out;
	/* Stores nothing (auth.c), so no number of these can crowd out
	** another device's. */
	if (srv_auth_challenge_new(ctx->auth, d.id, srv_clock_ms(), ch)) {
		srv_resp_error(resp, 500, "internal_error", "cannot make a "
			       "challenge for device %s", d.id);
		goto out;
	}
	o = cJSON_CreateObject();
	if (o && (!cJSON_AddStringToObject(o, "challenge", ch) ||
		  !add_int(o, "expires_in", SRV_CHALLENGE_TTL_MS / 1000))) {
		cJSON_Delete(o);
		o = NULL;
	}
	send_json(resp, 200, o);
out:
	if (s)
		srv_pool_put(ctx->pool, s);
	cJSON_Delete(root);
}

static int get_seq_number(srv_resp *resp, const cJSON *it, const char *name,
			  int64_t *out)
{
	double v = it->valuedouble;

	*out = 0;
	/* One code per condition (SPEC 3.1): a fraction is the wrong type, a
	** whole number outside 0 .. 2^53-1 is out of range. */
	if (v == v && v > -1e300 && v < 1e300 && v != floor(v)) {
		srv_resp_error(resp, 400, "wrong_type", "\"%s\" must be a "
			       "whole number, not %g", name, v);
		return -1;
	}
	if (!(v >= 0 && v <= (double)PROTO_MAX_SEQ)) {
		srv_resp_error(resp, 400, "out_of_range", "\"%s\" must be an "
			       "integer from 0 to %lld", name,
			       (long long)PROTO_MAX_SEQ);
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

/* The refusal of a challenge that srv_auth_challenge_check did not pass;
** 0 (nothing answered) for SRV_OK. */
static int challenge_refused(srv_resp *resp, int rc)
{
	if (rc == SRV_OK)
		return 0;
	if (rc == SRV_E_EXPIRED)
		srv_resp_error(resp, 401, "challenge_expired", "the challenge "
			       "expired (they last %d s); ask for a new one",
			       SRV_CHALLENGE_TTL_MS / 1000);
	else if (rc == SRV_E_USED)
		srv_resp_error(resp, 401, "challenge_used", "the challenge was "
			       "already used; ask for a new one");
	else
		srv_resp_error(resp, 401, "invalid_challenge", "the challenge "
			       "was not issued to this device by this server "
			       "process (or was altered); ask for one at "
			       "/v2/auth/challenge");
	return -1;
}

/* The device has proved itself (a challenge or a ticket, signed): record
** that it was seen and, when it holds fewer sets than the server
** (local_seq), the restore (SPEC 10.5); then its session, the receipt and
** the ticket for its next sync. NULL with resp set on failure. */
static cJSON *signed_in(srv_ctx *ctx, srv_store *s, srv_device *d,
			int64_t local_seq, int64_t now, srv_resp *resp)
{
	char sess[SRV_SECRET_HEX + 1] = "", ticket[SRV_SECRET_HEX + 1] = "";
	char head[PROTO_HASH_HEX + 1], det[96];
	cJSON *o;
	int rc;

	rc = srv_store_begin(s, 1);
	if (!rc)
		rc = srv_store_device_get(s, d->id, d);
	if (!rc)
		rc = srv_store_device_seen(s, d->id, now);
	if (!rc && local_seq < d->head_seq) {
		/* The device lost sets it had sent: a restore from backup. */
		snprintf(det, sizeof(det), "{\"local_seq\":%lld,\"holds\":%lld}",
			 (long long)local_seq, (long long)d->head_seq);
		rc = srv_store_event_add(s, d->id, "restore", det, now);
		if (!rc)
			rc = srv_store_device_flag(s, d->id, SRV_DEV_RESTORED);
	}
	if (!rc)
		rc = srv_store_commit(s);
	/* One live ticket per device: every sign-in ends the tickets issued
	** before it, so only the store that signed in last holds one (a copy
	** or an older backup of it then signs in the usual way, SPEC 10.12). */
	if (!rc) {
		char fid[SRV_TICKET_FLOOR_ID];
		srv_auth_ticket_floor_id(d->id, fid);
		rc = srv_store_auth_floor(s, fid, now + SRV_TICKET_TTL_MS - 1);
		if (rc == SRV_E_USED)
			rc = SRV_OK;
	}
	if (rc) {
		store_failed(resp, s, rc);
		return NULL;
	}
	if (srv_auth_session_new(ctx->auth, d->id, now, sess) ||
	    srv_auth_ticket_new(ctx->auth, d->id, now, ticket)) {
		srv_resp_error(resp, 503, "busy", "too many devices are signed "
			       "in; try again later");
		return NULL;
	}
	proto_hex_encode(head, d->head_hash, PROTO_HASH_BYTES);
	o = cJSON_CreateObject();
	if (o && (!cJSON_AddStringToObject(o, "session", sess) ||
		  !add_int(o, "expires_in", SRV_SESSION_TTL_MS / 1000) ||
		  !add_int(o, "server_time", now) ||
		  !add_int(o, "holds", d->head_seq) ||
		  !cJSON_AddStringToObject(o, "head", head) ||
		  !cJSON_AddStringToObject(o, "ticket", ticket) ||
		  !add_int(o, "ticket_expires_in",
			   SRV_TICKET_TTL_MS / 1000))) {
		cJSON_Delete(o);
		o = NULL;
	}
	sodium_memzero(sess, sizeof(sess));
	sodium_memzero(ticket, sizeof(ticket));
	if (!o)
		set_nomem(resp);
	return o;
}

static void do_session(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	member m[] = { { "device", cJSON_String, 1, NULL },
		       { "challenge", cJSON_String, 1, NULL },
		       { "signature", cJSON_String, 1, NULL },
		       { "local_seq", cJSON_Number, 1, NULL } };
	cJSON *root = NULL, *o;
	srv_store *s = NULL;
	srv_device d;
	proto_err e;
	proto_code pc;
	int64_t now = srv_clock_ms(), local_seq = -1;
	int rc;

	if (parse_body(resp, req, &root) ||
	    take_members(resp, root, m, 4, "the session request") ||
	    check_id(resp, "device", m[0].item->valuestring))
		goto out;
	if (get_seq_number(resp, m[3].item, "local_seq", &local_seq))
		goto out;
	memcpy(resp->device, m[0].item->valuestring, PROTO_ID_HEX + 1);
	rc = srv_auth_challenge_check(ctx->auth, m[1].item->valuestring,
				      resp->device, now);
	if (challenge_refused(resp, rc))
		goto out;
	s = srv_pool_get(ctx->pool);
	if (live_device(resp, s, resp->device, &d))
		goto out;
	pc = proto_auth_verify(m[1].item->valuestring, m[2].item->valuestring,
			       d.pk, &e);
	if (pc != PROTO_OK) {
		srv_resp_error(resp, 401,
			       proto_code_name(pc), "the challenge signature "
			       "does not verify with the enrolled key of "
			       "device %s", d.id);
		goto out;
	}
	/* Only now, with a valid signature, is anything stored: the use of
	** the challenge, so that it works once (a concurrent replay of the
	** same request gets challenge_used). */
	rc = srv_auth_challenge_take(ctx->auth, m[1].item->valuestring, d.id,
				     now);
	if (rc == SRV_E_BUSY) {
		srv_resp_error(resp, 503, "busy", "too many devices are signing "
			       "in; try again in a minute");
		goto out;
	} else if (challenge_refused(resp, rc)) {
		goto out;
	}
	/* And once in every process serving this database: the newest
	** challenge used is kept with the device, and one that does not
	** expire after it was issued before it (auth.h). */
	{
		int64_t exp = 0;
		rc = srv_auth_challenge_expiry(ctx->auth, m[1].item->valuestring,
					       d.id, &exp);
		if (!rc)
			rc = srv_store_auth_floor(s, d.id, exp);
		if (rc == SRV_E_USED || rc == SRV_E_NOTFOUND) {
			challenge_refused(resp, SRV_E_USED);
			goto out;
		} else if (rc) {
			store_failed(resp, s, rc);
			goto out;
		}
	}
	o = signed_in(ctx, s, &d, local_seq, now, resp);
	if (o)
		send_json(resp, 200, o);
out:
	if (s)
		srv_pool_put(ctx->pool, s);
	cJSON_Delete(root);
}

int srv_api_session(srv_ctx *ctx, const char *a, srv_resp *resp)
{
	int rc;

	if (!a || strncmp(a, "Bearer ", 7) != 0) {
		srv_resp_error(resp, 401, "invalid_session", "this endpoint "
			       "needs \"Authorization: Bearer SESSION\" from "
			       "/v2/auth/session");
		return -1;
	}
	rc = srv_auth_session_check(ctx->auth, a + 7, srv_clock_ms(),
				    resp->device);
	if (rc == SRV_E_EXPIRED) {
		srv_resp_error(resp, 401, "session_expired", "the session "
			       "expired (they last %d min); authenticate again",
			       SRV_SESSION_TTL_MS / 60000);
		return -1;
	} else if (rc) {
		srv_resp_error(resp, 401, "invalid_session", "the session is "
			       "not known (the server may have restarted); "
			       "authenticate again");
		return -1;
	}
	return 0;
}

/* The device of the request's session (Authorization: Bearer TOKEN), live
** and not revoked. */
static int session_device(srv_ctx *ctx, const srv_req *req, srv_resp *resp,
			  srv_store *s, srv_device *d)
{
	if (srv_api_session(ctx, req->authorization, resp))
		return -1;
	return live_device(resp, s, resp->device, d);
}

static cJSON *int_array(const int64_t *v, size_t n)
{
	cJSON *a = cJSON_CreateArray(), *it;
	size_t i;

	for (i = 0; a && i < n; i++) {
		it = cJSON_CreateNumber((double)v[i]);
		if (!it || !cJSON_AddItemToArray(a, it)) {
			cJSON_Delete(it);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* The envelope of a push (SPEC 10.6): 0..64 entries of exactly "set" and
** "sig", all checked before any set is looked at. */
static int push_envelope(srv_resp *resp, const cJSON *sets)
{
	member sm[2];
	const cJSON *it;
	char what[48];
	size_t n = (size_t)cJSON_GetArraySize(sets), i = 0;

	if (n > PROTO_MAX_SETS_PER_PUSH) {
		srv_resp_error(resp, 413, "too_many", "%zu change sets in one "
			       "push; the limit is %d", n,
			       PROTO_MAX_SETS_PER_PUSH);
		return -1;
	}
	cJSON_ArrayForEach(it, sets) {
		memset(sm, 0, sizeof(sm));
		sm[0] = (member){ "set", cJSON_String, 1, NULL };
		sm[1] = (member){ "sig", cJSON_String, 1, NULL };
		snprintf(what, sizeof(what), "sets[%zu]", i++);
		if (take_members(resp, it, sm, 2, what))
			return -1;
	}
	return 0;
}

/* Apply the sets of a checked envelope for device d, in order, stopping at
** the first refused (SPEC 10.6): the answer /v2/push gives, in *status and
** the returned object (NULL with resp set when the store failed or memory
** ran out); *code the refusal's code or NULL. */
static cJSON *push_sets(srv_store *s, srv_device *d, const cJSON *sets,
			int64_t now, int *status, const char **code,
			srv_resp *resp)
{
	cJSON *o = NULL;
	const cJSON *it;
	srv_push_result r;
	int64_t acc[PROTO_MAX_SETS_PER_PUSH], dup[PROTO_MAX_SETS_PER_PUSH];
	size_t nacc = 0, ndup = 0, i = 0;
	char head[PROTO_HASH_HEX + 1], hlc_hex[PROTO_HLC_HEX + 1];
	int rc;

	*status = 200;
	*code = NULL;
	memset(&r, 0, sizeof(r));
	/* The request's sets in one transaction, each all or nothing in it;
	** the answer (below) is built after the commit, from what is held. */
	if ((rc = srv_push_begin(s))) {
		store_failed(resp, s, rc);
		return NULL;
	}
	cJSON_ArrayForEach(it, sets) {
		const char *bytes = cJSON_GetObjectItemCaseSensitive(it, "set")
					    ->valuestring;
		const char *sig = cJSON_GetObjectItemCaseSensitive(it, "sig")
					  ->valuestring;
		if (srv_push_set_in(s, bytes, strlen(bytes), sig, d->id, now,
				    &r))
			break;
		i++;
		if (r.duplicate)
			dup[ndup++] = r.seq;
		else
			acc[nacc++] = r.seq;
	}
	if ((rc = srv_push_end(s))) {
		/* Nothing of this request is held: say so, as for a store
		** failure before any set. */
		store_failed(resp, s, rc);
		return NULL;
	}
	rc = srv_store_device_get(s, d->id, d);
	if (rc) {
		store_failed(resp, s, rc);
		return NULL;
	}
	proto_hex_encode(head, d->head_hash, PROTO_HASH_BYTES);
	proto_hlc_format(hlc_hex, r.last_hlc);
	if (r.code) {
		*status = r.status;
		*code = r.code;
		o = error_obj(r.code, r.msg);
		if (o && (!add_int(o, "position", (int64_t)i) ||
			  !(r.seq >= 0 ? add_int(o, "seq", r.seq)
				       : cJSON_AddNullToObject(o, "seq") != NULL) ||
			  !add_int(o, "index", r.index) ||
			  (r.has_last_hlc &&
			   !cJSON_AddStringToObject(o, "last_hlc", hlc_hex)) ||
			  (r.expected_seq &&
			   !add_int(o, "expected_seq", r.expected_seq)) ||
			  (r.ahead_ms && (!add_int(o, "ahead_ms", r.ahead_ms) ||
					  !add_int(o, "server_time", now))))) {
			cJSON_Delete(o);
			o = NULL;
		}
	} else {
		o = cJSON_CreateObject();
	}
	if (o && (!cJSON_AddItemToObject(o, "accepted", int_array(acc, nacc)) ||
		  !cJSON_AddItemToObject(o, "duplicates", int_array(dup, ndup)) ||
		  !add_int(o, "holds", d->head_seq) ||
		  !cJSON_AddStringToObject(o, "head", head))) {
		cJSON_Delete(o);
		o = NULL;
	}
	if (!o)
		set_nomem(resp);
	return o;
}

static void do_push(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	member m[] = { { "sets", cJSON_Array, 1, NULL } };
	cJSON *root = NULL, *o;
	srv_store *s = NULL;
	srv_device d;
	const char *code;
	int status;

	s = srv_pool_get(ctx->pool);
	if (session_device(ctx, req, resp, s, &d) ||
	    parse_body(resp, req, &root) ||
	    take_members(resp, root, m, 1, "the push request") ||
	    push_envelope(resp, m[0].item))
		goto out;
	o = push_sets(s, &d, m[0].item, srv_clock_ms(), &status, &code, resp);
	if (o) {
		send_json(resp, status, o);
		if (code)
			resp->code = code;
	}
out:
	srv_pool_put(ctx->pool, s);
	cJSON_Delete(root);
}

/* A decimal query parameter in [lo, hi]; def when absent. */
static int query_int(srv_resp *resp, const char *name, const char *v,
		     int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t x = 0;
	size_t i, n;

	*out = def;
	if (!v)
		return 0;
	n = strlen(v);
	if (n == 0 || strspn(v, "0123456789") != n) {
		srv_resp_error(resp, 400, "invalid_format", "query parameter "
			       "\"%s\" must be a decimal integer", name);
		return -1;
	}
	for (i = 0; i < n && x <= PROTO_MAX_SEQ; i++)
		x = x * 10 + (v[i] - '0');
	if (x < lo || x > hi)
		goto bad;
	*out = x;
	return 0;
bad:
	srv_resp_error(resp, 400, "out_of_range", "query parameter \"%s\" must "
		       "be an integer from %lld to %lld", name, (long long)lo,
		       (long long)hi);
	return -1;
}

typedef struct pull_ctx {
	sbuf *b;
	int64_t last;
	int first;
} pull_ctx;

static int pull_one(void *vctx, int64_t cursor, const char *bytes, size_t len,
		    const char *sighex)
{
	pull_ctx *p = vctx;

	sb_fmt(p->b, "%s{\"cursor\":%lld,\"set\":", p->first ? "" : ",",
	       (long long)cursor);
	sb_json_string(p->b, bytes, len);
	sb_fmt(p->b, ",\"sig\":\"%s\"}", sighex);
	p->first = 0;
	p->last = cursor;
	return p->b->failed;
}

/* One page of the feed after cursor after for device d (SPEC 10.7),
** appended to b as the /v2/pull answer's text. 0, or the store's error. */
static int pull_page(srv_store *s, const srv_device *d, int64_t after,
		     int64_t limit, int own, sbuf *b)
{
	pull_ctx p = { b, after, 1 };
	int rc, more = 0;

	sb_str(b, "{\"sets\":[");
	/* A read transaction: one consistent snapshot for the page. */
	rc = srv_store_begin(s, 0);
	if (!rc && !own) {
		int64_t scanned = after;
		rc = srv_store_sets_after_skip(s, after, (int)limit,
					       SRV_PULL_MAX_BYTES, d->id,
					       pull_one, &p, &more, &scanned);
		/* "next" moves past the caller's own sets at the page end. */
		if (!rc && scanned > p.last)
			p.last = scanned;
	} else if (!rc) {
		rc = srv_store_sets_after(s, after, (int)limit,
					  SRV_PULL_MAX_BYTES, pull_one, &p,
					  &more);
	}
	srv_store_rollback(s);
	if (rc)
		return rc;
	sb_fmt(b, "],\"next\":%lld,\"more\":%s}", (long long)p.last,
	       more ? "true" : "false");
	return 0;
}

static void do_pull(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	srv_store *s = srv_pool_get(ctx->pool);
	srv_device d;
	sbuf b = { NULL, 0, 0, SRV_PULL_MAX_BYTES * 2 + 65536, 0 };
	int64_t after, limit;
	int rc;

	if (session_device(ctx, req, resp, s, &d))
		goto out;
	if (req->q_unknown) {
		srv_resp_error(resp, 400, "unknown_field", "unknown query "
			       "parameter \"%.32s\"; pull takes after, limit "
			       "and own",
			       req->q_unknown);
		goto out;
	}
	if (query_int(resp, "after", req->q_after, 0, 0, PROTO_MAX_SEQ,
		      &after) ||
	    query_int(resp, "limit", req->q_limit, PROTO_MAX_PULL_PAGE, 1,
		      PROTO_MAX_SEQ, &limit))
		goto out;
	if (limit > PROTO_MAX_PULL_PAGE)
		limit = PROTO_MAX_PULL_PAGE; /* SPEC.md: treated as 500 */
	if (req->q_own && strcmp(req->q_own, "0") != 0 &&
	    strcmp(req->q_own, "1") != 0) {
		srv_resp_error(resp, 400, "invalid_value", "query parameter "
			       "\"own\" must be 0 (leave out the caller's own "
			       "sets) or 1 (the default: include them)");
		goto out;
	}
	rc = pull_page(s, &d, after, limit,
		       !(req->q_own && strcmp(req->q_own, "0") == 0), &b);
	if (rc) {
		store_failed(resp, s, rc);
		goto out;
	}
	if (b.failed) {
		set_nomem(resp);
		goto out;
	}
	srv_resp_free(resp);
	resp->status = 200;
	resp->body = b.p;
	resp->len = b.len;
	b.p = NULL;
out:
	free(b.p);
	srv_pool_put(ctx->pool, s);
}

/* ---- one-request sync (SPEC 10.12) ----------------------------------- */

int srv_api_ticket(srv_ctx *ctx, const char *a, srv_resp *resp,
		   char ticket[SRV_SECRET_HEX + 1], char sig[PROTO_SIG_HEX + 1],
		   int64_t *expires_ms)
{
	const char *p = a ? a + 7 : NULL;
	int rc;

	ticket[0] = sig[0] = 0;
	*expires_ms = 0;
	/* "Ticket " DEVICE(32) "." TICKET(64) "." SIGNATURE(128) */
	if (!a || strncmp(a, "Ticket ", 7) != 0 ||
	    strlen(p) != PROTO_ID_HEX + 1 + SRV_SECRET_HEX + 1 + PROTO_SIG_HEX ||
	    p[PROTO_ID_HEX] != '.' ||
	    p[PROTO_ID_HEX + 1 + SRV_SECRET_HEX] != '.') {
		srv_resp_error(resp, 401, "invalid_ticket", "/v3/sync needs "
			       "\"Authorization: Ticket DEVICE.TICKET.SIGNATURE"
			       "\" (32, 64 and 128 hex digits); without a "
			       "ticket, sign in at /v2/auth/session");
		return -1;
	}
	memcpy(resp->device, p, PROTO_ID_HEX);
	resp->device[PROTO_ID_HEX] = 0;
	memcpy(ticket, p + PROTO_ID_HEX + 1, SRV_SECRET_HEX);
	ticket[SRV_SECRET_HEX] = 0;
	memcpy(sig, p + PROTO_ID_HEX + 2 + SRV_SECRET_HEX, PROTO_SIG_HEX);
	sig[PROTO_SIG_HEX] = 0;
	rc = srv_auth_ticket_check(ctx->auth, ticket, resp->device,
				   srv_clock_ms(), expires_ms);
	if (rc == SRV_E_EXPIRED) {
		srv_resp_error(resp, 401, "ticket_expired", "the ticket expired "
			       "(they last %lld days); sign in at "
			       "/v2/auth/session",
			       (long long)(SRV_TICKET_TTL_MS / 86400000));
		return -1;
	} else if (rc) {
		srv_resp_error(resp, 401, "invalid_ticket", "the ticket was not "
			       "issued to this device by this server (or was "
			       "altered); sign in at /v2/auth/session");
		return -1;
	}
	return 0;
}

static void do_sync(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	member m[] = { { "local_seq", cJSON_Number, 1, NULL },
		       { "sets", cJSON_Array, 1, NULL },
		       { "after", cJSON_Number, 1, NULL },
		       { "limit", cJSON_Number, 0, NULL },
		       { "own", cJSON_Number, 0, NULL } };
	cJSON *root = NULL, *o = NULL, *po;
	srv_store *s = NULL;
	srv_device d;
	proto_err e;
	proto_code pc;
	sbuf b = { NULL, 0, 0, SRV_PULL_MAX_BYTES * 2 + 131072, 0 };
	char ticket[SRV_SECRET_HEX + 1], sig[PROTO_SIG_HEX + 1];
	char fid[SRV_TICKET_FLOOR_ID], *head = NULL;
	const char *code;
	int64_t now = srv_clock_ms(), exp, local_seq, after, limit = PROTO_MAX_PULL_PAGE;
	int64_t own = 0;
	int rc, status;

	if (srv_api_ticket(ctx, req->authorization, resp, ticket, sig, &exp))
		return;
	s = srv_pool_get(ctx->pool);
	if (live_device(resp, s, resp->device, &d))
		goto out;
	pc = proto_sync_verify(ticket, sig, d.pk, &e);
	if (pc != PROTO_OK) {
		srv_resp_error(resp, 401, proto_code_name(pc), "the ticket "
			       "signature does not verify with the enrolled "
			       "key of device %s", d.id);
		goto out;
	}
	if (parse_body(resp, req, &root) ||
	    take_members(resp, root, m, 5, "the sync request") ||
	    get_seq_number(resp, m[0].item, "local_seq", &local_seq) ||
	    get_seq_number(resp, m[2].item, "after", &after) ||
	    (m[3].item && get_seq_number(resp, m[3].item, "limit", &limit)) ||
	    (m[4].item && get_seq_number(resp, m[4].item, "own", &own)))
		goto out;
	if (limit < 1) {
		srv_resp_error(resp, 400, "out_of_range", "\"limit\" must be an "
			       "integer from 1 to %lld", (long long)PROTO_MAX_SEQ);
		goto out;
	}
	if (limit > PROTO_MAX_PULL_PAGE)
		limit = PROTO_MAX_PULL_PAGE;
	if (own > 1) {
		srv_resp_error(resp, 400, "invalid_value", "\"own\" must be 0 "
			       "(leave out the caller's own sets, the default) "
			       "or 1 (include them)");
		goto out;
	}
	if (push_envelope(resp, m[1].item))
		goto out;
	/* Only a well-formed request uses the ticket, and it is used once in
	** every process: the device's ticket floor rises to its end. */
	srv_auth_ticket_floor_id(d.id, fid);
	rc = srv_store_auth_floor(s, fid, exp);
	if (rc == SRV_E_USED) {
		srv_resp_error(resp, 401, "ticket_used", "the ticket was used "
			       "already (each works once); sign in at "
			       "/v2/auth/session");
		goto out;
	} else if (rc) {
		store_failed(resp, s, rc);
		goto out;
	}
	o = signed_in(ctx, s, &d, local_seq, now, resp);
	if (!o)
		goto out;
	/* A device that holds fewer sets than the server (a restore) first
	** recovers its own (SPEC 11.7): nothing of it is pushed here. */
	if (local_seq >= d.head_seq) {
		po = push_sets(s, &d, m[1].item, now, &status, &code, resp);
		if (!po || !add_int(po, "status", status) ||
		    !cJSON_AddItemToObject(o, "push", po)) {
			if (po && !cJSON_GetObjectItemCaseSensitive(o, "push"))
				cJSON_Delete(po);
			if (!resp->body)
				set_nomem(resp);
			goto out;
		}
	} else if (!cJSON_AddNullToObject(o, "push")) {
		set_nomem(resp);
		goto out;
	}
	head = cJSON_PrintUnformatted(o);
	if (!head) {
		set_nomem(resp);
		goto out;
	}
	/* The answer is the object above with "pull", the page as /v2/pull
	** gives it, as its last member. */
	sb_add(&b, head, strlen(head) - 1);
	sb_str(&b, ",\"pull\":");
	rc = pull_page(s, &d, after, limit, (int)own, &b);
	if (rc) {
		store_failed(resp, s, rc);
		goto out;
	}
	sb_str(&b, "}");
	if (b.failed) {
		set_nomem(resp);
		goto out;
	}
	srv_resp_free(resp);
	resp->status = 200;
	resp->body = b.p;
	resp->len = b.len;
	b.p = NULL;
out:
	if (head) {
		sodium_memzero(head, strlen(head));
		free(head);
	}
	free(b.p);
	cJSON_Delete(o);
	cJSON_Delete(root);
	if (s)
		srv_pool_put(ctx->pool, s);
}

typedef struct roster_ctx {
	cJSON *arr;
	int failed;
} roster_ctx;

static int roster_one(void *vctx, const srv_device *d)
{
	roster_ctx *r = vctx;
	cJSON *o = cJSON_CreateObject();
	char pk[PROTO_PK_BYTES * 2 + 1];

	proto_hex_encode(pk, d->pk, PROTO_PK_BYTES);
	if (!o || !cJSON_AddStringToObject(o, "device", d->id) ||
	    !cJSON_AddStringToObject(o, "public_key", pk) ||
	    !cJSON_AddStringToObject(o, "name", d->name) ||
	    !cJSON_AddStringToObject(o, "role", d->role) ||
	    !cJSON_AddBoolToObject(o, "revoked", d->revoked_at_cursor >= 0) ||
	    !(d->revoked_at_cursor >= 0
		      ? add_int(o, "revoked_at_cursor", d->revoked_at_cursor)
		      : cJSON_AddNullToObject(o, "revoked_at_cursor") != NULL) ||
	    !cJSON_AddItemToArray(r->arr, o)) {
		cJSON_Delete(o);
		r->failed = 1;
		return 1;
	}
	return 0;
}

static void do_devices(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	srv_store *s = srv_pool_get(ctx->pool);
	srv_device d;
	roster_ctx r = { NULL, 0 };
	cJSON *o = NULL;
	int rc;

	if (session_device(ctx, req, resp, s, &d))
		goto out;
	o = cJSON_CreateObject();
	r.arr = cJSON_AddArrayToObject(o, "devices");
	if (!r.arr) {
		set_nomem(resp);
		goto out;
	}
	rc = srv_store_devices_each(s, roster_one, &r);
	if (rc) {
		store_failed(resp, s, rc);
		goto out;
	}
	if (r.failed) {
		set_nomem(resp);
		goto out;
	}
	send_json(resp, 200, o);
	o = NULL;
out:
	cJSON_Delete(o);
	srv_pool_put(ctx->pool, s);
}

/* ---- routing -------------------------------------------------------- */

typedef struct route {
	const char *path;
	const char *method;
	void (*fn)(srv_ctx *, const srv_req *, srv_resp *);
} route;

static void r_health(srv_ctx *c, const srv_req *q, srv_resp *r)
{
	(void)q;
	do_health(c, r);
}

static const route routes[] = {
	{ "/v2/health", "GET", r_health },
	{ "/v2/enroll", "POST", do_enroll },
	{ "/v2/auth/challenge", "POST", do_challenge },
	{ "/v2/auth/session", "POST", do_session },
	{ "/v2/push", "POST", do_push },
	{ "/v2/pull", "GET", do_pull },
	{ "/v2/devices", "GET", do_devices },
	{ "/v3/sync", "POST", do_sync },
};

int srv_api_takes_body(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(path, routes[i].path) == 0)
			return strcmp(routes[i].method, "POST") == 0;
	return 0;
}

srv_body_limits srv_api_body_limits(const char *path)
{
	srv_body_limits l = { SRV_SMALL_BODY_MAX, SRV_SMALL_BODY_MAX,
			      SRV_SMALL_BODY_VALUES };

	if (strcmp(path, "/v2/push") == 0 || strcmp(path, "/v3/sync") == 0) {
		l.sent = PROTO_MAX_BODY_BYTES;
		l.inflated = PROTO_MAX_INFLATED;
		l.values = SRV_PUSH_BODY_VALUES;
	}
	return l;
}

void srv_api_handle(srv_ctx *ctx, const srv_req *req, srv_resp *resp)
{
	size_t i;

	memset(resp, 0, sizeof(*resp));
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(req->path, routes[i].path) != 0)
			continue;
		if (strcmp(req->method, routes[i].method) != 0 &&
		    !(strcmp(req->method, "HEAD") == 0 &&
		      strcmp(routes[i].method, "GET") == 0)) {
			srv_resp_error(resp, 405, "method_not_allowed", "%s "
				       "takes %s, not %.16s", req->path,
				       routes[i].method, req->method);
			return;
		}
		routes[i].fn(ctx, req, resp);
		return;
	}
	if (req->path[0] == '/' && req->path[1] == 'v' &&
	    req->path[2] >= '0' && req->path[2] <= '9' &&
	    strncmp(req->path, "/v2/", 4) != 0 &&
	    strncmp(req->path, "/v3/", 4) != 0) {
		srv_resp_error(resp, 404, "unsupported_version", "this server "
			       "speaks protocol version %d (/v2/), not %.16s",
			       PROTO_VERSION, req->path);
		return;
	}
	srv_resp_error(resp, 404, "not_found", "no endpoint %.200s; see "
		       "/v2/health", req->path);
}
