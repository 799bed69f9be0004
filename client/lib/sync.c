/*
** This file contains the sync engine of libfieldsync: enrollment and one
** sync pass against fieldsyncd (protocol/SPEC.md, "Sync rules").
**
** A pass holds the store's sync lock (DIR/sync.lock, flock) from start to
** end, so two syncs of one store never interleave: authenticate (challenge
** signed with the device key; the answer carries the server's clock and its
** receipt "holds"/"head" = the highest of our sets it keeps durably and that
** set's hash), confirm what the server holds is ours, pull every page after
** the stored cursor (each set verified against the roster and its author's
** hash chain, applied with the shared merge, and the cursor stored in the
** same transaction), then push:
**
**   outbox rows (set_seq NULL)  --build-->  sets (bytes + sig persisted)
**   sets seq > acked            --POST /v2/push-->  receipt holds, head
**   the server holds that very set (hash)  --> outbox rows deleted
**
** A set's bytes are persisted before they are first sent, so every resend
** is byte-identical (never a fork). Only sets the server refused (it holds
** none of them) are ever rebuilt. A refused change is moved to the table
** `refused` with the server's reason so it never blocks the queue.
**
** Acknowledged means this very set: outbox rows are dropped only up to
** "acked", the highest seq whose set the server is known to hold by hash
** (the receipt's head equals our set's hash at holds, or the server listed
** it as accepted or duplicate); by the hash chain every lower set is ours
** too. A copy of the store (a copied data directory) reuses our seqs: when
** the server holds another set at one of them, the server is shown ours
** (it keeps both as fork evidence for HQ), the store is marked cloned, keeps
** every entry, stops using this identity, and `fieldsync reenroll` makes it
** a new device that sends them (fieldsync_reenroll below).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>
#include <sodium.h>

#include "internal.h"
#include "protocol/owner.h"
#include "http.h"
#include "page.h"
#include "protocol/i18n.h"
#include "protocol/link.h"

#define META_URL      "server_url"
#define META_CACERT   "server_cacert"
#define META_PIN      "server_pin"    /* from the enrollment link, or "" */
#define META_CURSOR   "cursor"
#define META_LAST_SEQ "last_seq"
#define META_LAST_HASH "last_hash"
#define META_SENT_HLC "sent_hlc"
#define META_HOLDS    "holds"      /* what the server last said it holds */
#define META_ACKED    "acked_seq"  /* our sets 1..N held, checked by hash */
#define META_CLONE    "clone"      /* seq at which the server holds another
				   ** set of this identity; absent: none */
#define META_OLD_DEVICE "replaced_device" /* identity before reenroll */
#define META_LAST_SYNC "last_sync_ms"
#define META_LAST_ERROR "last_error"
#define META_TICKET   "ticket"     /* the server's ticket for the next sync
				   ** (SPEC 10.12); absent: none */
#define META_TENTATIVE "fast_built" /* first seq built for a /v3/sync whose
				   ** answer never came; absent: none */

/* Batching: a set is at most this many changes or bytes; a push request at
** most this many raw bytes (gzip shrinks it ~5x), so a cut link loses little
** and a slow link is not idle between requests for long. */
#define SET_MAX_CHANGES 1000
#define SET_MAX_BYTES   (512u * 1024u)
#define PUSH_MAX_BYTES  (1024u * 1024u)
#define PUSH_MAX_SETS   16
#define PULL_PAGE       200
#define MAX_REBUILDS    64     /* refusals handled in one pass */
#define DROP_SETS       32     /* acked sets whose outbox rows go at once */

struct sync {
	fieldsync *fs;
	fs_http *http;
	const fieldsync_sync_opts *opts;
	fieldsync_sync_report *rep;
	fieldsync_progress prog;
	char session[256];       /* a bearer session, or "Ticket ..." */
	long long server_time;
	long long holds;         /* the server's receipt: it holds 1..holds */
	long long acked;         /* of which ours, checked by hash (<= holds) */
	long long dropped;       /* outbox rows of sets <= this are gone;
				 ** -1: not known yet this pass */
	long long clone_seq;     /* > 0: the server holds another set there */
	char head[PROTO_HASH_HEX + 1]; /* the receipt's head: hash at holds */
	int roster_fresh;        /* roster fetched during this pass */
	char *ahead_note;        /* set by restamp */
	long long split_upto;    /* outbox rows n <= this go one per set */
	int max_sets;            /* sets per request; 0: PUSH_MAX_SETS */
};

/* ---- small store helpers ---------------------------------------------- */

static int meta_ll(fieldsync *fs, const char *key, long long *out)
{
	char *text = NULL;
	int rc = fs_meta_get(fs, key, &text);

	*out = 0;
	if (rc == FIELDSYNC_OK && text)
		*out = strtoll(text, NULL, 10);
	free(text);
	return rc;
}

static int meta_set_ll(fieldsync *fs, const char *key, long long v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", v);
	return fs_meta_set(fs, key, buf);
}

static int meta_hash(fieldsync *fs, const char *key,
		     uint8_t out[PROTO_HASH_BYTES])
{
	char *text = NULL;
	int rc = fs_meta_get(fs, key, &text);

	memset(out, 0, PROTO_HASH_BYTES);
	if (rc == FIELDSYNC_OK && text &&
	    proto_hex_decode(out, PROTO_HASH_BYTES, text) != 0)
		rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "stored chain head is "
			     "damaged");
	free(text);
	return rc;
}

static int meta_set_hash(fieldsync *fs, const char *key,
			 const uint8_t h[PROTO_HASH_BYTES])
{
	char hex[PROTO_HASH_HEX + 1];

	proto_hex_encode(hex, h, PROTO_HASH_BYTES);
	return fs_meta_set(fs, key, hex);
}

static int meta_hlc(fieldsync *fs, const char *key, proto_hlc *out)
{
	char *text = NULL;
	int rc = fs_meta_get(fs, key, &text);

	*out = 0;
	if (rc == FIELDSYNC_OK && text && proto_hlc_parse(text, out) != 0)
		rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "stored clock damaged");
	free(text);
	return rc;
}

static int meta_set_hlc(fieldsync *fs, const char *key, proto_hlc h)
{
	char hex[PROTO_HLC_HEX + 1];

	proto_hlc_format(hex, h);
	return fs_meta_set(fs, key, hex);
}

/* Run one statement with up to two integer parameters. */
static int exec2(fieldsync *fs, const char *sql, long long a, long long b,
		 const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(fs->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, what);
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? FIELDSYNC_OK
						     : fs_sqlfail(fs, rc, what);
}

static long long count_ll(fieldsync *fs, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;

	if (sqlite3_prepare_v2(fs->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- HTTP with JSON --------------------------------------------------- */

static void progress(struct sync *S)
{
	if (S->opts && S->opts->progress)
		S->opts->progress(S->opts->progress_ctx, &S->prog);
}

/* The bookkeeping of one finished request (see call): hrc is what
** fs_http_request returned with r and errbuf. */
static int call_result(struct sync *S, int hrc, fs_http_response *r,
		       const char *errbuf, long *status, cJSON **out)
{
	proto_err perr;

	*out = NULL;
	*status = 0;
	if (hrc != 0)
		return fs_fail(S->fs, FIELDSYNC_E_UNREACHABLE, "server "
			       "unreachable: %s; nothing is lost, sync again "
			       "later", errbuf);
	S->rep->requests++;
	S->rep->bytes_up += (long long)r->sent;
	S->rep->bytes_down += (long long)r->received;
	S->prog.bytes_up = S->rep->bytes_up;
	S->prog.bytes_down = S->rep->bytes_down;
	*status = r->status;
	if (r->len && proto_json_parse(r->body, r->len, out, &perr) != PROTO_OK)
		*out = NULL;
	free(r->body);
	r->body = NULL;
	return FIELDSYNC_OK;
}

/* A server that takes no zstd body (one older than SPEC 10.1's zstd)
** answers 415 unsupported_encoding: from then on this sync sends gzip,
** and the caller sends the same body again. 1 when that is the case. */
static int coding_refused(struct sync *S, long status, const cJSON *res)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(res, "error");

	if (status != 415 || !cJSON_IsString(code) ||
	    strcmp(code->valuestring, "unsupported_encoding") != 0 ||
	    fs_http_coding(S->http) != FS_HTTP_ZSTD)
		return 0;
	fs_http_set_coding(S->http, FS_HTTP_GZIP);
	return 1;
}

/* One request. On an HTTP answer, *out is its parsed JSON body (NULL if
** the body was not JSON) and *status its status; returns FIELDSYNC_OK.
** Transport failures return FIELDSYNC_E_UNREACHABLE. */
static int call(struct sync *S, const char *method, const char *path,
		const char *body, int gzip, long *status, cJSON **out)
{
	fs_http_response r;
	char errbuf[256];
	int hrc;

	memset(&r, 0, sizeof r);
	hrc = fs_http_request(S->http, method, path,
			      S->session[0] ? S->session : NULL, body,
			      body ? strlen(body) : 0, gzip, &r, errbuf);
	hrc = call_result(S, hrc, &r, errbuf, status, out);
	if (hrc == FIELDSYNC_OK && gzip && coding_refused(S, *status, *out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return call(S, method, path, body, 1, status, out);
	}
	return hrc;
}

/* ---- a request in flight ------------------------------------------------
** While the server applies one push request, the store can already record
** the previous receipt and build the next request: the transfer runs on a
** thread of its own that touches nothing but the transport (never the
** store, whose connection is single-threaded, nor S). One request at a
** time is in flight, so the server sees exactly the sequence of requests a
** plain loop would send, and every answer is handled in order, on this
** thread, by flight_finish. */
struct flight {
	struct sync *S;
	const char *path;
	const char *body;     /* the caller's; kept until flight_finish */
	const unsigned char *zbody; /* body compressed, the caller's too */
	size_t zlen;
	int zpre;             /* its fs_http_request argument */
	pthread_t th;
	int threaded;         /* 0: ran inline (no thread could start) */
	int hrc;
	fs_http_response r;
	char errbuf[256];
};

static void *flight_run(void *arg)
{
	struct flight *f = arg;

	f->hrc = fs_http_request(f->S->http, "POST", f->path,
				 f->S->session[0] ? f->S->session : NULL,
				 f->zbody ? (const char *)f->zbody : f->body,
				 f->zbody ? f->zlen : strlen(f->body),
				 f->zbody ? f->zpre : 1, &f->r, f->errbuf);
	return NULL;
}

/* Start POST path with body, compressed by the caller (zbody, zlen, and
** zpre as fs_http_compress said): the transport's compression context is
** the caller's thread's, which goes on compressing the next body while
** this one is in flight (NULL zbody: compressed here, which only a caller
** that compresses nothing meanwhile may ask). Without a thread, it runs
** now. */
static void flight_start(struct sync *S, struct flight *f, const char *path,
			 const char *body, const unsigned char *zbody,
			 size_t zlen, int zpre)
{
	memset(f, 0, sizeof *f);
	f->S = S;
	f->path = path;
	f->body = body;
	f->zbody = zbody;
	f->zlen = zlen;
	f->zpre = zpre;
	f->hrc = -1;
	snprintf(f->errbuf, sizeof f->errbuf, "request not sent");
	if (pthread_create(&f->th, NULL, flight_run, f) == 0)
		f->threaded = 1;
	else
		flight_run(f);
}

/* Wait for the answer and handle it as call_authed would (re-authenticate
** once and resend on 401, here, synchronously). */
static int flight_finish(struct sync *S, struct flight *f, long *status,
			 cJSON **out);

/* Wait for a request whose answer is no longer wanted (an error elsewhere
** ends the pass); its bytes still count. */
static void flight_drop(struct sync *S, struct flight *f)
{
	long status;
	cJSON *res = NULL;

	if (f->threaded)
		pthread_join(f->th, NULL);
	f->threaded = 0;
	if (call_result(S, f->hrc, &f->r, f->errbuf, &status, &res) ==
	    FIELDSYNC_OK)
		cJSON_Delete(res);
}



static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long long jnum(const cJSON *o, const char *name, long long def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : def;
}

/* Turn an HTTP error answer into a status and message. 5xx and answers
** that are not ours count as unreachable: the server is in trouble, the
** data stays here. */
static int http_error(struct sync *S, long status, const cJSON *body,
		      const char *what)
{
	const char *code = jstr(body, "error"), *msg = jstr(body, "message");

	if (status >= 500 || !code)
		return fs_fail(S->fs, FIELDSYNC_E_UNREACHABLE, "%s: server "
			       "answered HTTP %ld%s%s; nothing is lost, sync "
			       "again later", what, status, msg ? ": " : "",
			       msg ? msg : "");
	return fs_fail(S->fs, FIELDSYNC_E_REFUSED, "%s refused by the server "
		       "(%s): %s", what, code, msg ? msg : "");
}

/* ---- authentication -------------------------------------------------- */

/* The ticket an answer carries, kept for the next sync (SPEC 10.12): one
** of 64 hex digits replaces the one held; an answer without one (an older
** server) leaves none. */
static int keep_ticket(struct sync *S, const cJSON *res)
{
	const char *t = jstr(res, "ticket");
	int rc;

	if (t && (strlen(t) != 64 || strspn(t, "0123456789abcdef") != 64))
		t = NULL;
	if ((rc = fs_begin(S->fs)))
		return rc;
	if ((rc = fs_meta_set(S->fs, META_TICKET, t ? t : "")) ||
	    (rc = fs_commit(S->fs)))
		fs_rollback(S->fs);
	return rc;
}


/* What a sign-in answer (§10.5 session, §10.12 sync) gives: the session,
** the next ticket, the server's clock and the receipt. The caller checked
** that "session" fits. */
static int signed_in(struct sync *S, const cJSON *res)
{
	const char *sess = jstr(res, "session");
	int rc;

	memcpy(S->session, sess, strlen(sess) + 1);
	if ((rc = keep_ticket(S, res)))
		return rc;
	S->server_time = jnum(res, "server_time", 0);
	S->holds = jnum(res, "holds", 0);
	snprintf(S->head, sizeof S->head, "%s",
		 jstr(res, "head") ? jstr(res, "head") : "");
	S->rep->holds = S->holds;
	return FIELDSYNC_OK;
}

static int authenticate(struct sync *S)
{
	char sighex[PROTO_SIG_HEX + 1], *body = NULL;
	cJSON *req = NULL, *res = NULL;
	long long local_seq;
	const char *ch, *sess;
	long status;
	int rc;

	S->session[0] = '\0';
	S->prog.phase = "auth";
	progress(S);
	if ((rc = meta_ll(S->fs, META_LAST_SEQ, &local_seq)))
		return rc;
	req = cJSON_CreateObject();
	if (!req || !cJSON_AddStringToObject(req, "device",
					     S->fs->device_hex) ||
	    !(body = cJSON_PrintUnformatted(req))) {
		rc = fs_fail(S->fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = call(S, "POST", "/v2/auth/challenge", body, 0, &status,
		       &res)))
		goto out;
	if (status != 200 || !(ch = jstr(res, "challenge"))) {
		rc = http_error(S, status, res, "authentication");
		goto out;
	}
	proto_auth_sign(ch, S->fs->sk, sighex);
	cJSON_Delete(req);
	free(body);
	body = NULL;
	req = cJSON_CreateObject();
	if (!req || !cJSON_AddStringToObject(req, "device",
					     S->fs->device_hex) ||
	    !cJSON_AddStringToObject(req, "challenge", ch) ||
	    !cJSON_AddStringToObject(req, "signature", sighex) ||
	    !cJSON_AddNumberToObject(req, "local_seq", (double)local_seq) ||
	    !(body = cJSON_PrintUnformatted(req))) {
		rc = fs_fail(S->fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto out;
	}
	cJSON_Delete(res);
	res = NULL;
	if ((rc = call(S, "POST", "/v2/auth/session", body, 0, &status,
		       &res)))
		goto out;
	sess = jstr(res, "session");
	if (status != 200 || !sess || strlen(sess) >= sizeof S->session) {
		rc = http_error(S, status, res, "authentication");
		goto out;
	}
	rc = signed_in(S, res);
out:
	cJSON_Delete(req);
	cJSON_Delete(res);
	free(body);
	return rc;
}

/* A request that re-authenticates once when the session has expired. */
static int call_authed(struct sync *S, const char *method, const char *path,
		       const char *body, int gzip, long *status, cJSON **out)
{
	int rc = call(S, method, path, body, gzip, status, out);

	if (rc == FIELDSYNC_OK && *status == 401) {
		cJSON_Delete(*out);
		*out = NULL;
		if ((rc = authenticate(S)))
			return rc;
		rc = call(S, method, path, body, gzip, status, out);
	}
	return rc;
}

static int flight_finish(struct sync *S, struct flight *f, long *status,
			 cJSON **out)
{
	int rc;

	if (f->threaded)
		pthread_join(f->th, NULL);
	f->threaded = 0;
	rc = call_result(S, f->hrc, &f->r, f->errbuf, status, out);
	if (rc == FIELDSYNC_OK && coding_refused(S, *status, *out)) {
		cJSON_Delete(*out);
		*out = NULL;
		rc = call(S, "POST", f->path, f->body, 1, status, out);
	}
	if (rc == FIELDSYNC_OK && *status == 401) {
		cJSON_Delete(*out);
		*out = NULL;
		if ((rc = authenticate(S)))
			return rc;
		rc = call(S, "POST", f->path, f->body, 1, status, out);
	}
	return rc;
}

/* ---- roster ------------------------------------------------------------ */

static int roster_refresh(struct sync *S)
{
	cJSON *res = NULL;
	const cJSON *devs, *d;
	sqlite3_stmt *st = NULL;
	long status;
	int rc;

	if ((rc = call_authed(S, "GET", "/v2/devices", NULL, 0, &status,
			      &res)))
		return rc;
	devs = cJSON_GetObjectItemCaseSensitive(res, "devices");
	if (status != 200 || !cJSON_IsArray(devs)) {
		rc = http_error(S, status, res, "device roster");
		goto out;
	}
	if ((rc = fs_begin(S->fs)))
		goto out;
	rc = sqlite3_prepare_v2(S->fs->db, "INSERT OR REPLACE INTO roster("
				"device, pk, name, role, revoked_at_cursor) "
				"VALUES(?,?,?,?,?)", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(S->fs, rc, "cannot save the roster");
		fs_rollback(S->fs);
		goto out;
	}
	cJSON_ArrayForEach(d, devs) {
		const char *id = jstr(d, "device"), *pk = jstr(d, "public_key");
		uint8_t raw[PROTO_PK_BYTES];
		const cJSON *rv = cJSON_GetObjectItemCaseSensitive(
			d, "revoked_at_cursor");
		if (!id || !proto_id_valid(id) || !pk ||
		    proto_hex_decode(raw, sizeof raw, pk) != 0)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 2, raw, sizeof raw, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, jstr(d, "name"), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, jstr(d, "role"), -1,
				  SQLITE_TRANSIENT);
		if (cJSON_IsNumber(rv))
			sqlite3_bind_int64(st, 5, (long long)rv->valuedouble);
		else
			sqlite3_bind_null(st, 5);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = fs_sqlfail(S->fs, sqlite3_errcode(S->fs->db),
					"cannot save the roster");
			fs_rollback(S->fs);
			goto out;
		}
	}
	rc = fs_commit(S->fs);
	S->roster_fresh = 1;
out:
	sqlite3_finalize(st);
	cJSON_Delete(res);
	return rc;
}

/* Public key and revocation cursor of an author; *found = 0 if unknown. */
static int roster_get(fieldsync *fs, const char *id, uint8_t pk[PROTO_PK_BYTES],
		      long long *revoked_at, int *found)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*found = 0;
	*revoked_at = -1;
	rc = fs_stmt(fs, "SELECT pk, revoked_at_cursor FROM "
				"roster WHERE device = ?", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the roster");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == PROTO_PK_BYTES) {
		memcpy(pk, sqlite3_column_blob(st, 0), PROTO_PK_BYTES);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*revoked_at = sqlite3_column_int64(st, 1);
		*found = 1;
	}
	fs_stmt_done(fs, st);
	return FIELDSYNC_OK;
}

/* ---- receipts (SPEC 11.3) ------------------------------------------- */

/* Hash of our persisted set seq; *found = 0 when this store has none. */
static int own_set_hash(fieldsync *fs, long long seq,
			uint8_t h[PROTO_HASH_BYTES], int *found)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*found = 0;
	rc = fs_stmt(fs, "SELECT hash FROM sets WHERE seq = ?", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read change sets");
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == PROTO_HASH_BYTES) {
		memcpy(h, sqlite3_column_blob(st, 0), PROTO_HASH_BYTES);
		*found = 1;
	}
	fs_stmt_done(fs, st);
	return FIELDSYNC_OK;
}

/* Highest seq a push answer lists in "accepted" or "duplicates": sets of
** that request, so our very bytes, that the server holds. 0 if none. */
static long long held_listed(const cJSON *res)
{
	static const char *const names[] = {"accepted", "duplicates"};
	long long max = 0;

	for (size_t i = 0; i < 2; i++) {
		const cJSON *v, *a = cJSON_GetObjectItemCaseSensitive(
			res, names[i]);
		cJSON_ArrayForEach(v, a)
			if (cJSON_IsNumber(v) && v->valuedouble > (double)max)
				max = (long long)v->valuedouble;
	}
	return max;
}

/* Our sets known to be held (META_ACKED; stores from before it kept the
** receipt alone, under META_HOLDS). */
static int load_acked(fieldsync *fs, long long *acked)
{
	char *text = NULL;
	int rc = fs_meta_get(fs, META_ACKED, &text);

	if (rc == FIELDSYNC_OK && !text)
		return meta_ll(fs, META_HOLDS, acked);
	*acked = text ? strtoll(text, NULL, 10) : 0;
	free(text);
	return rc;
}

/* Changes in our sets from < seq <= to (their outbox rows). */
static int sum_changes(fieldsync *fs, long long from, long long to,
		       long long *n)
{
	sqlite3_stmt *st = NULL;
	int rc = fs_stmt(fs, "SELECT coalesce(sum(nchanges), 0) FROM sets "
			 "WHERE seq > ? AND seq <= ?", &st);

	*n = 0;
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read change sets");
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	fs_stmt_done(fs, st);
	return rc == SQLITE_ROW ? FIELDSYNC_OK
				: fs_sqlfail(fs, rc, "cannot read change sets");
}

/* A receipt: the server holds this device's sets 1..holds, head (NULL if
** not given) being the hash of set holds, and own_held is the highest seq
** a push answer listed as held (0 if none). SPEC 11.3: outbox rows go only
** with a set the server holds by hash: up to holds when head is the hash of
** our own set holds (the chain makes every lower one ours too), else up to
** own_held. Sets the server holds that are not ours are never acked. */
static int acknowledge(struct sync *S, long long holds, const char *head,
		       long long own_held)
{
	fieldsync *fs = S->fs;
	uint8_t want[PROTO_HASH_BYTES], mine[PROTO_HASH_BYTES];
	long long to = own_held < holds ? own_held : holds, upto;
	int found = 0, rc;

	if (holds > to && head &&
	    proto_hex_decode(want, sizeof want, head) == 0) {
		if ((rc = own_set_hash(fs, holds, mine, &found)))
			return rc;
		if (found && memcmp(want, mine, sizeof want) == 0)
			to = holds;
	}
	if ((rc = fs_begin(fs)))
		return rc;
	if (to > S->acked) {
		/* Only the sets this receipt newly covers: updating a row
		** rewrites its whole blob, so touching every set acked
		** before made each receipt cost more than the last. Their
		** bytes go now (SPEC 11.3 lets a client drop what the server
		** holds; drop_acked_bytes did it at the next pass): rewriting
		** each 400 KB blob only to drop it later wrote every pushed
		** byte twice more. Nothing sends an acked set again. */
		long long n = 0;
		if ((rc = exec2(fs, "UPDATE sets SET acked = 1, bytes = x'' "
				"WHERE seq > ? AND seq <= ? AND acked = 0",
				S->acked < 0 ? 0 : S->acked, to,
				"cannot record the receipt")) ||
		    (rc = sum_changes(fs, S->acked < 0 ? 0 : S->acked, to,
				      &n)))
			goto fail;
		S->prog.pushed += n;
		S->rep->pushed_sets += to - (S->acked < 0 ? 0 : S->acked);
		if ((rc = meta_set_ll(fs, META_ACKED, to)))
			goto fail;
	}
	/* The outbox rows of the sets held go too, now or with a later
	** receipt: each delete touches the random-keyed index of record ids
	** all over, so dropping the rows of 32 sets at once writes its pages
	** once instead of 16 times (and the pass ends with drop_acked). The
	** first receipt of a pass drops at once whatever a killed pass left;
	** a nearly full disk drops at once, in small transactions. */
	upto = to > S->acked ? to : S->acked;
	if (upto > S->dropped &&
	    (S->dropped < 0 || S->max_sets || upto - S->dropped >= DROP_SETS)) {
		if ((rc = exec2(fs, "DELETE FROM outbox WHERE set_seq <= ?",
				upto, 0, "cannot record the receipt")))
			goto fail;
		S->dropped = upto;
	}
	if ((rc = meta_set_ll(fs, META_HOLDS, holds)) ||
	    (rc = fs_commit(fs)))
		goto fail;
	if (to > S->acked)
		S->acked = to;
	S->holds = holds;
	S->rep->holds = holds;
	progress(S);
	return FIELDSYNC_OK;
fail:
	fs_rollback(fs);
	return rc;
}

/* The outbox rows of acked sets that acknowledge left for later: at the
** end of a push, whatever happened (a failure keeps its own message). */
static void drop_acked(struct sync *S)
{
	fieldsync *fs = S->fs;
	char msg[sizeof fs->msg];
	int keep = fs->status;

	if (S->dropped < 0 || S->acked <= S->dropped)
		return;
	memcpy(msg, fs->msg, sizeof msg);
	if (fs_begin(fs) == FIELDSYNC_OK) {
		if (exec2(fs, "DELETE FROM outbox WHERE set_seq <= ?",
			  S->acked, 0, "cannot record the receipt") ||
		    fs_commit(fs))
			fs_rollback(fs);
		else
			S->dropped = S->acked;
	}
	fs->status = keep;
	memcpy(fs->msg, msg, sizeof msg);
}

/* The failure of a pass on a store whose identity another copy uses. */
static int clone_fail(fieldsync *fs, long long seq)
{
	/* Rows of sets the server holds may wait for drop_acked. */
	long long pending = count_ll(fs, "SELECT count(*) FROM outbox WHERE "
				     "set_seq IS NULL OR set_seq NOT IN "
				     "(SELECT seq FROM sets WHERE acked = 1)");

	return fs_fail(fs, FIELDSYNC_E_REFUSED, "another copy of this store "
		       "(a copied or restored data directory) uses this "
		       "device's identity %s: the server holds a different "
		       "change set %lld of it. Nothing is lost: the %lld "
		       "changes not at HQ are kept here and are not sent "
		       "under this identity; HQ sees the device flagged. Ask "
		       "HQ for a new enrollment token and run `fieldsync "
		       "reenroll TOKEN`: this store then becomes a new device "
		       "and sends them", fs->device_hex, seq, pending);
}

/* Remember that the server holds another set of ours at seq. */
static int mark_clone(struct sync *S, long long seq)
{
	fieldsync *fs = S->fs;
	int rc;

	S->clone_seq = seq;
	if ((rc = fs_begin(fs)) ||
	    (rc = meta_set_ll(fs, META_CLONE, seq)) ||
	    (rc = fs_commit(fs))) {
		fs_rollback(fs);
		return rc;
	}
	return clone_fail(fs, seq);
}

/* ---- applying pulled sets --------------------------------------------- */

/* Is device id HQ (role "hq" in the roster)? */
static int author_is_hq(fieldsync *fs, const char *id)
{
	char name[8];
	int hq;

	fs_roster_who(fs, id, name, sizeof name, &hq);
	return hq;
}

/* A pulled change the ownership rule refuses (SPEC 9.6): not applied,
** kept in table refused with the author and the reason, for status. */
static int keep_pulled_refusal(fieldsync *fs, const proto_set *set,
			       const proto_change *c, const proto_err *err)
{
	sqlite3_stmt *st = NULL;
	char msg[1024];
	int rc;

	snprintf(msg, sizeof msg, "pulled set %lld of device %s: %s",
		 (long long)set->seq, set->device_hex, err->msg);
	rc = fs_stmt(fs, "INSERT INTO refused(record_id, "
				"change, code, message, at_ms) VALUES(?, '', "
				"'not_owner', ?, ?)", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot save a refusal");
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, msg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)proto_hlc_ms(c->hlc));
	rc = sqlite3_step(st);
	fs_stmt_done(fs, st);
	return rc == SQLITE_DONE ? FIELDSYNC_OK
				 : fs_sqlfail(fs, rc, "cannot save a refusal");
}

static int apply_changes(fieldsync *fs, const proto_set *set,
			 proto_hlc *max_hlc)
{
	int hq = author_is_hq(fs, set->device_hex);

	for (size_t i = 0; i < set->nchanges; i++) {
		const proto_change *c = &set->changes[i];
		cJSON *state = NULL, *before = NULL;
		proto_err err;
		int changed = 0, rc;

		if ((rc = fs_state_load(fs, c->id, &state)))
			return rc;
		if (c->hlc > *max_hlc)
			*max_hlc = c->hlc;
		/* Every receiver refuses what the rule refuses, in pull
		** order; the set's other changes still apply. */
		if (proto_owner_check(state, c, set->device_hex, hq, &err) !=
		    PROTO_OK) {
			cJSON_Delete(state);
			if ((rc = keep_pulled_refusal(fs, set, c, &err)))
				return rc;
			continue;
		}
		if (state && !(before = cJSON_Duplicate(state, 1))) {
			cJSON_Delete(state);
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		}
		if (proto_merge_apply(&state, c, set->device, NULL, NULL,
				      &changed, &err) != PROTO_OK) {
			cJSON_Delete(state);
			cJSON_Delete(before);
			return fs_fail(fs, FIELDSYNC_E_REFUSED, "pulled change "
				       "set %lld from %s does not apply: %s",
				       (long long)set->seq, set->device_hex,
				       err.msg);
		}
		if (changed)
			rc = fs_state_store(fs, c->id, state);
		/* Even a change that lost everywhere is part of the story. */
		if (!rc)
			rc = fs_history_add(fs, c->id, before, state, c,
					    set->device_hex);
		cJSON_Delete(state);
		cJSON_Delete(before);
		if (rc)
			return rc;
	}
	return FIELDSYNC_OK;
}

/* Chain state of an author as held here. */
static int author_head(fieldsync *fs, const char *id, long long *seq,
		       uint8_t hash[PROTO_HASH_BYTES])
{
	sqlite3_stmt *st = NULL;
	int rc;

	*seq = 0;
	memset(hash, 0, PROTO_HASH_BYTES);
	rc = fs_stmt(fs, "SELECT seq, hash FROM authors WHERE "
				"device = ?", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read chain heads");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == PROTO_HASH_BYTES) {
		*seq = sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), PROTO_HASH_BYTES);
	}
	fs_stmt_done(fs, st);
	return FIELDSYNC_OK;
}

static int author_set_head(fieldsync *fs, const char *id, long long seq,
			   const uint8_t hash[PROTO_HASH_BYTES])
{
	sqlite3_stmt *st = NULL;
	int rc = fs_stmt(fs, "INSERT OR REPLACE INTO authors("
				    "device, seq, hash) VALUES(?,?,?)", &st);

	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot save chain heads");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_blob(st, 3, hash, PROTO_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	fs_stmt_done(fs, st);
	if (rc != SQLITE_DONE)
		return fs_sqlfail(fs, rc, "cannot save chain heads");
	/* Every applied set's hash, so that a set pulled again later is
	** told from another with its number (SPEC 11.4). */
	rc = fs_stmt(fs, "INSERT OR REPLACE INTO author_sets("
				"device, seq, hash) VALUES(?,?,?)", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot save chain heads");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_blob(st, 3, hash, PROTO_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	fs_stmt_done(fs, st);
	return rc == SQLITE_DONE ? FIELDSYNC_OK
				 : fs_sqlfail(fs, rc, "cannot save chain heads");
}

/* A pulled set of another author with seq <= held (its head, hash head):
** a duplicate when its hash is the one kept for that seq (skipped), else a
** fork, which a server must never hand out (SPEC 11.4). Sets applied before
** this store kept every hash (schema 3) have none but the head's: those
** are taken as duplicates, as before. */
static int author_set_known(fieldsync *fs, const proto_set *set,
			    const char *bytes, size_t len, long long held,
			    const uint8_t head[PROTO_HASH_BYTES])
{
	uint8_t h[PROTO_HASH_BYTES], kept[PROTO_HASH_BYTES];
	sqlite3_stmt *st = NULL;
	int found = 0, rc;

	proto_set_hash(bytes, len, h);
	if ((long long)set->seq == held) {
		memcpy(kept, head, sizeof kept);
		found = 1;
	} else {
		rc = fs_stmt(fs, "SELECT hash FROM author_sets "
					"WHERE device = ? AND seq = ?", &st);
		if (rc != SQLITE_OK)
			return fs_sqlfail(fs, rc, "cannot read chain heads");
		sqlite3_bind_text(st, 1, set->device_hex, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (long long)set->seq);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_bytes(st, 0) == PROTO_HASH_BYTES) {
			memcpy(kept, sqlite3_column_blob(st, 0), sizeof kept);
			found = 1;
		}
		fs_stmt_done(fs, st);
	}
	if (found && memcmp(kept, h, sizeof h) != 0)
		return fs_fail(fs, FIELDSYNC_E_REFUSED, "pulled change set "
			       "%lld of device %s differs from the one this "
			       "store applied with that number (a fork): the "
			       "server is not behaving; nothing was applied",
			       (long long)set->seq, set->device_hex);
	return FIELDSYNC_OK;
}

/* One of our own sets came back that this store never built: the store was
** restored from an older backup. Adopt it as built and acknowledged, apply
** its changes, and drop outbox rows it already contains. */
static int adopt_own_set(struct sync *S, const proto_set *set,
			 const char *bytes, size_t len, const char *sighex,
			 proto_hlc *max_hlc)
{
	fieldsync *fs = S->fs;
	uint8_t last_hash[PROTO_HASH_BYTES], h[PROTO_HASH_BYTES];
	char hlc[PROTO_HLC_HEX + 1];
	sqlite3_stmt *st = NULL;
	long long last_seq;
	proto_err err;
	int is_next, rc;

	if ((rc = meta_ll(fs, META_LAST_SEQ, &last_seq)) ||
	    (rc = meta_hash(fs, META_LAST_HASH, last_hash)))
		return rc;
	if (proto_set_verify_hex(bytes, len, sighex, fs->pk, &err) !=
		    PROTO_OK ||
	    proto_chain_check(last_seq, last_hash, set, &is_next, &err) !=
		    PROTO_OK ||
	    !is_next)
		return fs_fail(fs, FIELDSYNC_E_REFUSED, "the server holds a "
			       "change set %lld of this device that does not "
			       "continue this store's chain (at %lld): %s",
			       (long long)set->seq, last_seq,
			       err.msg[0] ? err.msg : "out of order");
	if ((rc = apply_changes(fs, set, max_hlc)))
		return rc;
	proto_set_hash(bytes, len, h);
	proto_hlc_format(hlc, set->changes[set->nchanges - 1].hlc);
	rc = sqlite3_prepare_v2(fs->db, "INSERT INTO sets(seq, bytes, sig, "
				"hash, last_hlc, nchanges, acked) VALUES(?,?,?,"
				"?,?,?,1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot save a recovered set");
	sqlite3_bind_int64(st, 1, set->seq);
	sqlite3_bind_blob(st, 2, bytes, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sighex, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, hlc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (long long)set->nchanges);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fs_sqlfail(fs, rc, "cannot save a recovered set");
	/* Changes the backup still had pending are in this set already:
	** the very change (its canonical bytes), not merely one with its
	** record and HLC, which a copy of this store could share. */
	rc = sqlite3_prepare_v2(fs->db, "DELETE FROM outbox WHERE record_id = "
				"? AND hlc = ? AND change = ? AND set_seq IS "
				"NULL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot update the outbox");
	for (size_t i = 0; i < set->nchanges; i++) {
		char ch[PROTO_HLC_HEX + 1], *enc = NULL;
		size_t elen = 0;
		if (proto_change_encode(&set->changes[i], &enc, &elen, &err) !=
		    PROTO_OK) {
			sqlite3_finalize(st);
			return fs_protofail(fs, &err, NULL);
		}
		proto_hlc_format(ch, set->changes[i].hlc);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, set->changes[i].id, -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, ch, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, enc, (int)elen, SQLITE_TRANSIENT);
		free(enc);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return fs_sqlfail(fs, sqlite3_errcode(fs->db),
					  "cannot update the outbox");
		}
	}
	sqlite3_finalize(st);
	/* It continues our chain, so the server holds ours up to it. */
	if ((rc = exec2(fs, "UPDATE sets SET acked = 1 WHERE seq <= ? AND "
			"acked = 0", set->seq, 0, "cannot record the receipt")) ||
	    (rc = exec2(fs, "DELETE FROM outbox WHERE set_seq <= ?", set->seq,
			0, "cannot record the receipt")) ||
	    (rc = meta_set_ll(fs, META_ACKED, set->seq)))
		return rc;
	if ((rc = meta_set_ll(fs, META_LAST_SEQ, set->seq)) ||
	    (rc = meta_set_hash(fs, META_LAST_HASH, h)) ||
	    (rc = meta_set_hlc(fs, META_SENT_HLC,
			       set->changes[set->nchanges - 1].hlc)))
		return rc;
	S->rep->recovered_sets++;
	return FIELDSYNC_OK;
}

/* Verify and apply one pulled set. Runs inside the page's transaction. */
static int apply_pulled(struct sync *S, long long cursor, const char *bytes,
			size_t len, const char *sighex, proto_hlc *max_hlc)
{
	fieldsync *fs = S->fs;
	uint8_t pk[PROTO_PK_BYTES], head[PROTO_HASH_BYTES];
	long long revoked_at, held, last_seq;
	proto_set set;
	proto_err err;
	int found, is_next, rc;

	if (proto_set_decode(bytes, len, &set, &err) != PROTO_OK)
		return fs_fail(fs, FIELDSYNC_E_REFUSED, "pulled change set at "
			       "cursor %lld is malformed: %s", cursor, err.msg);
	if (strcmp(set.device_hex, fs->device_hex) == 0) {
		uint8_t mine[PROTO_HASH_BYTES];
		rc = meta_ll(fs, META_LAST_SEQ, &last_seq);
		if (rc == FIELDSYNC_OK && set.seq > last_seq) {
			rc = adopt_own_set(S, &set, bytes, len, sighex,
					   max_hlc);
			goto out;
		}
		/* One we built: the very same, or a copy of this store made
		** it (SPEC 11.3). */
		if (rc == FIELDSYNC_OK &&
		    (rc = own_set_hash(fs, set.seq, mine, &found)) ==
			    FIELDSYNC_OK && found) {
			proto_set_hash(bytes, len, head);
			if (memcmp(head, mine, sizeof mine) != 0) {
				S->clone_seq = set.seq;
				rc = clone_fail(fs, set.seq);
			}
		}
		goto out;
	}
	if ((rc = roster_get(fs, set.device_hex, pk, &revoked_at, &found)))
		goto out;
	if (!found) {
		rc = fs_fail(fs, FIELDSYNC_E_REFUSED, "pulled change set from "
			     "device %s, which the server's roster does not "
			     "list", set.device_hex);
		goto out;
	}
	if (revoked_at >= 0 && cursor > revoked_at) {
		rc = fs_fail(fs, FIELDSYNC_E_REFUSED, "pulled change set at "
			     "cursor %lld from device %s, revoked at cursor "
			     "%lld", cursor, set.device_hex, revoked_at);
		goto out;
	}
	if (proto_set_verify_hex(bytes, len, sighex, pk, &err) != PROTO_OK) {
		rc = fs_fail(fs, FIELDSYNC_E_REFUSED, "pulled change set %lld "
			     "of device %s: %s", (long long)set.seq,
			     set.device_hex, err.msg);
		goto out;
	}
	if ((rc = author_head(fs, set.device_hex, &held, head)))
		goto out;
	if (proto_chain_check(held, head, &set, &is_next, &err) != PROTO_OK) {
		rc = fs_fail(fs, FIELDSYNC_E_REFUSED, "pulled change set of "
			     "device %s breaks its chain: %s", set.device_hex,
			     err.msg);
		goto out;
	}
	if (!is_next) { /* seq <= held: the set applied, or a fork */
		rc = author_set_known(fs, &set, bytes, len, held, head);
		goto out;
	}
	if ((rc = apply_changes(fs, &set, max_hlc)))
		goto out;
	proto_set_hash(bytes, len, head);
	rc = author_set_head(fs, set.device_hex, set.seq, head);
	S->rep->pulled_sets++;
	S->rep->pulled_changes += (long long)set.nchanges;
	S->prog.pulled += (long long)set.nchanges;
out:
	proto_set_free(&set);
	return rc;
}

/* The roster does not list the author of a pulled set: refresh it, once
** per pass, and read the page again (apply_pulled refuses the set if the
** fresh roster does not list it either). */
#define NEED_ROSTER (-100)

/* The bookkeeping of one finished raw GET (as call_result's). */
static int raw_result(struct sync *S, int hrc, const fs_http_response *r,
		      const char *errbuf)
{
	if (hrc != 0)
		return fs_fail(S->fs, FIELDSYNC_E_UNREACHABLE, "server "
			       "unreachable: %s; nothing is lost, sync again "
			       "later", errbuf);
	S->rep->requests++;
	S->rep->bytes_up += (long long)r->sent;
	S->rep->bytes_down += (long long)r->received;
	S->prog.bytes_up = S->rep->bytes_up;
	S->prog.bytes_down = S->rep->bytes_down;
	return FIELDSYNC_OK;
}

/* A raw GET (pull pages: the body stays as it came off the wire, see
** page.h), with call's bookkeeping and call_authed's one re-authentication
** on 401. On an HTTP answer *r holds it (the caller frees r->body). */
static int call_raw(struct sync *S, const char *path, fs_http_response *r)
{
	char errbuf[256];
	int rc, again = 1;

	for (;;) {
		memset(r, 0, sizeof *r);
		rc = raw_result(S, fs_http_get_raw(S->http, path,
						   S->session[0] ? S->session
								 : NULL,
						   r, errbuf),
				r, errbuf);
		if (rc || r->status != 401 || !again)
			return rc;
		free(r->body);
		r->body = NULL;
		again = 0;
		if ((rc = authenticate(S)))
			return rc;
	}
}

/* ---- the next page in flight ---------------------------------------------
** While a page is applied, a thread reads the page's outline (fs_page_skim:
** where the next page starts, whether there is one) and fetches the next
** page, so the server builds it and it travels while the store works. The
** thread touches only the transport and its own struct (never the store,
** nor S but its session, which changes only while no thread runs); pages
** are asked for in the order a plain loop would ask, one at a time. The
** fetched page is used only if this page applied whole and the cursor it
** left is the one the outline foretold; otherwise it is dropped. */
struct page_flight {
	struct sync *S;
	const fs_http_response *page;  /* being applied; read-only here */
	long long after;               /* the cursor before that page */
	int own;
	pthread_t th;
	int threaded;
	/* Results, read after the join. */
	int skim_rc;                   /* fs_page_skim's */
	int fetched;                   /* a next page was asked for */
	long long next_after;          /* its "after" */
	int hrc;
	fs_http_response r;
	char errbuf[256];
};

/* Where the page leaves the cursor when it applies whole, and whether a
** next page is to be asked for (pull's rules below, from the outline). */
static int page_next(const fs_page_info *info, long long after, int own,
		     long long *next_after)
{
	long long c = info->nsets && info->has_last ? info->last_cursor : after;
	int advanced = 0;

	if (!own && info->has_next && info->next > c) {
		c = info->next;
		advanced = 1;
	}
	*next_after = c;
	return info->more && (info->nsets > 0 || advanced);
}

static void *page_flight_run(void *arg)
{
	struct page_flight *f = arg;
	fs_page_info info;
	char why[64], path[96];

	f->skim_rc = fs_page_skim(f->page->body, f->page->len, f->page->gzip,
				  FS_HTTP_MAX_RESPONSE, &info, why, sizeof why);
	if (f->skim_rc ||
	    !page_next(&info, f->after, f->own, &f->next_after))
		return NULL;
	snprintf(path, sizeof path, "/v2/pull?after=%lld&limit=%d&own=%d",
		 f->next_after, PULL_PAGE, f->own);
	f->fetched = 1;
	f->hrc = fs_http_get_raw(f->S->http, path,
				 f->S->session[0] ? f->S->session : NULL,
				 &f->r, f->errbuf);
	return NULL;
}

static void page_flight_start(struct sync *S, struct page_flight *f,
			      const fs_http_response *page, long long after,
			      int own)
{
	memset(f, 0, sizeof *f);
	f->S = S;
	f->page = page;
	f->after = after;
	f->own = own;
	f->hrc = -1;
	if (pthread_create(&f->th, NULL, page_flight_run, f) == 0)
		f->threaded = 1;
	/* Without a thread, pages are simply fetched one after the other. */
}

/* Wait for the thread; its results are then f's to read. */
static void page_flight_join(struct page_flight *f)
{
	if (f->threaded)
		pthread_join(f->th, NULL);
	f->threaded = 0;
}

/* The next page as fetched ahead (*r, 0 returned) when it is the one
** after cursor: 1 when it is not (or none was), and *r is empty. A
** fetched page counts as a request whether used or not. */
static int page_flight_take(struct sync *S, struct page_flight *f,
			    long long cursor, fs_http_response *r, int *rc)
{
	page_flight_join(f);
	memset(r, 0, sizeof *r);
	*rc = FIELDSYNC_OK;
	if (!f->fetched)
		return 1;
	f->fetched = 0;
	if (f->next_after != cursor) {
		if (f->hrc == 0)
			(void)raw_result(S, 0, &f->r, f->errbuf);
		free(f->r.body);
		return 1;
	}
	if ((*rc = raw_result(S, f->hrc, &f->r, f->errbuf)))
		return 0;
	*r = f->r;
	if (r->status == 401) {
		/* The session ended meanwhile: as call_authed does. */
		char path[96];
		free(r->body);
		memset(r, 0, sizeof *r);
		if ((*rc = authenticate(S)))
			return 0;
		snprintf(path, sizeof path,
			 "/v2/pull?after=%lld&limit=%d&own=%d", cursor,
			 PULL_PAGE, f->own);
		*rc = call_raw(S, path, r);
	}
	return 0;
}

/* A page no longer wanted (the pass ends): waited for, counted, freed. */
static void page_flight_drop(struct sync *S, struct page_flight *f)
{
	page_flight_join(f);
	if (f->fetched && f->hrc == 0)
		(void)raw_result(S, 0, &f->r, f->errbuf);
	if (f->fetched)
		free(f->r.body);
	f->fetched = 0;
}

/* The error of an answer that is not a page (status, or a body that is
** not one), as http_error tells it from the body's JSON. */
static int page_error(struct sync *S, const fs_http_response *r)
{
	cJSON *res = NULL;
	proto_err perr;
	size_t n = 0;
	char *text = fs_page_decode(r->body, r->len, r->gzip,
				    FS_HTTP_MAX_RESPONSE, &n);
	int rc;

	if (text && n && proto_json_parse(text, n, &res, &perr) != PROTO_OK)
		res = NULL;
	free(text);
	rc = http_error(S, r->status, res, "pull");
	cJSON_Delete(res);
	return rc;
}

struct pull_page {
	struct sync *S;
	long long cursor;        /* of the last set applied */
	proto_hlc max_hlc;
	int roster_retry;        /* NEED_ROSTER may be returned */
};

/* One entry of a page (page.h callback): checked and applied. */
static int pull_entry(void *ctx, const cJSON *s)
{
	struct pull_page *pp = ctx;
	fieldsync *fs = pp->S->fs;
	const char *b = jstr(s, "set"), *sig = jstr(s, "sig");
	long long k = jnum(s, "cursor", -1);
	int rc;

	if (!b || !sig || k <= pp->cursor)
		return fs_fail(fs, FIELDSYNC_E_REFUSED, "pull: malformed page "
			       "entry after cursor %lld", pp->cursor);
	if (pp->roster_retry) {
		/* An author the roster does not know: refresh it before
		** applying (need_roster's check, one set at a time). */
		const char *p = strstr(b, "\"device\":\"");
		if (p && strlen(p + 10) >= PROTO_ID_HEX) {
			char id[PROTO_ID_HEX + 1];
			uint8_t pk[PROTO_PK_BYTES];
			long long rv;
			int found = 0;
			memcpy(id, p + 10, PROTO_ID_HEX);
			id[PROTO_ID_HEX] = '\0';
			if (strcmp(id, fs->device_hex) != 0 &&
			    (rc = roster_get(fs, id, pk, &rv, &found)) ==
				    FIELDSYNC_OK && !found)
				return NEED_ROSTER;
		}
	}
	if ((rc = apply_pulled(pp->S, k, b, strlen(b), sig, &pp->max_hlc)))
		return rc;
	pp->cursor = k;
	return FIELDSYNC_OK;
}

/* A page's source: the "pull" of a /v3/sync answer, already a cJSON tree
** (json), or a GET /v2/pull body as it came off the wire (raw, page.h). */
struct page_src {
	const cJSON *json;
	const fs_http_response *raw;
};

/* Walk the page's entries through pull_entry, as fs_page_read does. */
static int page_walk(const struct page_src *src, struct pull_page *pp,
		     fs_page_info *info, char *why, size_t n)
{
	const cJSON *sets, *s, *next;
	int rc;

	memset(info, 0, sizeof *info);
	if (src->raw)
		return fs_page_read(src->raw->body, src->raw->len,
				    src->raw->gzip, FS_HTTP_MAX_RESPONSE,
				    pull_entry, pp, info, why, n);
	sets = cJSON_GetObjectItemCaseSensitive(src->json, "sets");
	if (!cJSON_IsArray(sets)) {
		snprintf(why, n, "the page has no \"sets\" array");
		return FS_PAGE_BAD;
	}
	cJSON_ArrayForEach(s, sets) {
		if ((rc = pull_entry(pp, s)))
			return rc;
		info->nsets++;
	}
	next = cJSON_GetObjectItemCaseSensitive(src->json, "next");
	info->has_next = cJSON_IsNumber(next);
	info->next = jnum(src->json, "next", 0);
	info->more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src->json,
								   "more"));
	return FIELDSYNC_OK;
}

/* Apply one page of the feed (the answer of /v2/pull, or the "pull" of a
** /v3/sync answer), read one entry at a time, in one transaction: all of
** it or, on any fault, none. Moves *cursor; *more says whether another
** page follows. own: the page includes our own sets. FS_PAGE_BAD: the
** page is not one (the caller tells the error). */
static int pull_apply(struct sync *S, const struct page_src *src,
		      struct page_flight *flight, int own, long long *cursor,
		      int *more)
{
	fieldsync *fs = S->fs;
	struct pull_page pp;
	fs_page_info info;
	proto_hlc local;
	char why[256];
	int rc, advanced = 0;

	memset(&pp, 0, sizeof pp);
	pp.S = S;
	pp.roster_retry = !S->roster_fresh;
	*more = 0;
	for (;;) {
		pp.cursor = *cursor;
		pp.max_hlc = 0;
		if ((rc = fs_begin(fs)))
			return rc;
		rc = page_walk(src, &pp, &info, why, sizeof why);
		if (rc != NEED_ROSTER)
			break;
		fs_rollback(fs);
		pp.roster_retry = 0;
		/* The transport is the flight's until it is done. */
		if (flight)
			page_flight_join(flight);
		if ((rc = roster_refresh(S)))
			return rc;
	}
	if (rc == FS_PAGE_BAD) {
		fs_rollback(fs);
		return FS_PAGE_BAD;
	}
	if (rc == FS_PAGE_NOMEM)
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	if (rc == FIELDSYNC_OK)
		*cursor = pp.cursor;
	if (rc == FIELDSYNC_OK && pp.max_hlc &&
	    (rc = meta_hlc(fs, FS_META_HLC, &local)) == FIELDSYNC_OK)
		rc = meta_set_hlc(fs, FS_META_HLC,
				  proto_hlc_recv(local, pp.max_hlc,
						 fs->now_ms(fs->now_ctx)));
	/* "next" may lie past the last set given when the page ended
	** in a run of our own sets, which the server left out. */
	if (rc == FIELDSYNC_OK && !own && info.has_next &&
	    info.next > *cursor) {
		*cursor = info.next;
		advanced = 1;
	}
	if (rc == FIELDSYNC_OK)
		rc = meta_set_ll(fs, META_CURSOR, *cursor);
	if (rc == FIELDSYNC_OK)
		rc = fs_commit(fs);
	else
		fs_rollback(fs);
	if (rc && S->clone_seq)
		return mark_clone(S, S->clone_seq);
	if (rc)
		return rc;
	/* A page that moved nothing ends the pull even if "more" said
	** otherwise. */
	*more = info.more && (info.nsets > 0 || advanced);
	progress(S);
	return FIELDSYNC_OK;
}

static int pull(struct sync *S)
{
	fieldsync *fs = S->fs;
	char path[96];
	long long cursor, last_seq;
	fs_http_response r;
	struct page_flight flight;
	int rc, more = 1, own;

	S->prog.phase = "pull";
	progress(S);
	if ((rc = meta_ll(fs, META_CURSOR, &cursor)) ||
	    (rc = meta_ll(fs, META_LAST_SEQ, &last_seq)))
		return rc;
	/* Our own sets come back only when the server holds some this store
	** never built (restored from an old backup): otherwise they would
	** cost a second download of everything we pushed. */
	own = S->holds > last_seq;
	memset(&flight, 0, sizeof flight);
	memset(&r, 0, sizeof r);
	while (more) {
		struct page_src src = { NULL, &r };

		if (!r.body) {
			snprintf(path, sizeof path,
				 "/v2/pull?after=%lld&limit=%d&own=%d", cursor,
				 PULL_PAGE, own);
			if ((rc = call_raw(S, path, &r)))
				return rc;
		}
		if (r.status != 200) {
			rc = page_error(S, &r);
			free(r.body);
			return rc;
		}
		/* The next page is fetched while this one is applied. */
		page_flight_start(S, &flight, &r, cursor, own);
		rc = pull_apply(S, &src, &flight, own, &cursor, &more);
		if (rc == FS_PAGE_BAD) {
			page_flight_drop(S, &flight);
			rc = page_error(S, &r);
			free(r.body);
			return rc;
		}
		if (rc == FIELDSYNC_OK && more) {
			fs_http_response next;
			/* The page fetched ahead when it is the one wanted;
			** else (r empty) it is asked for at the top. */
			page_flight_take(S, &flight, cursor, &next, &rc);
			free(r.body);
			r = next;
		} else {
			page_flight_drop(S, &flight);
			free(r.body);
			memset(&r, 0, sizeof r);
		}
		if (rc) {
			free(r.body);
			return rc;
		}
	}
	free(r.body);
	return FIELDSYNC_OK;
}

/* ---- building and pushing -------------------------------------------- */

/* The history entry of this device's change stamped old_s (its HLC text
** and this device) gets the HLC of new_st, the change's new stamp. */
static int history_redate(fieldsync *fs, const char *rid, const char *old_s,
			  const proto_stamp *new_st)
{
	char oh[PROTO_HLC_HEX + 1], nh[PROTO_HLC_HEX + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(oh, sizeof oh, "%.*s", PROTO_HLC_HEX, old_s);
	proto_hlc_format(nh, new_st->hlc);
	rc = sqlite3_prepare_v2(fs->db, "UPDATE history SET hlc = ?1, entry = "
				"json_set(entry, '$.hlc', ?1, '$.ms', ?2) WHERE "
				"record_id = ?3 AND device = ?4 AND hlc = ?5",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot re-date pending changes");
	sqlite3_bind_text(st, 1, nh, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)proto_hlc_ms(new_st->hlc));
	sqlite3_bind_text(st, 3, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, fs->device_hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, oh, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? FIELDSYNC_OK
				 : fs_sqlfail(fs, rc, "cannot re-date pending "
					      "changes");
}

/* Re-date every unbuilt outbox change when this device's clock runs ahead
** of the server's (or when forced after a clock_ahead refusal): the data is
** kept, but it must not win every later conflict. New HLCs continue from
** the last one sent and the server's clock, in outbox order. */
static int restamp(struct sync *S, int force)
{
	fieldsync *fs = S->fs;
	sqlite3_stmt *sel = NULL, *upd = NULL;
	proto_hlc max = 0, base, sent;
	proto_hlc (*map)[2] = NULL;  /* old -> new HLC of re-dated writes */
	size_t nmap = 0, mapcap = 0;
	long long n = 0, bound = S->server_time + PROTO_MAX_CLOCK_AHEAD_MS / 2;
	char hex[PROTO_HLC_HEX + 1];
	int rc;

	if (S->server_time <= 0)
		return FIELDSYNC_OK;
	{
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(fs->db, "SELECT max(hlc) FROM outbox "
				       "WHERE set_seq IS NULL", -1, &st,
				       NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0))
			(void)!proto_hlc_parse(
				(const char *)sqlite3_column_text(st, 0), &max);
		sqlite3_finalize(st);
	}
	if (!max || (!force && proto_hlc_ms(max) <= bound))
		return FIELDSYNC_OK;
	if ((rc = fs_begin(fs)))
		return rc;
	if ((rc = meta_hlc(fs, META_SENT_HLC, &sent)))
		goto fail;
	base = (proto_hlc)S->server_time << 16;
	if (sent > base)
		base = sent;
	rc = sqlite3_prepare_v2(fs->db, "SELECT n, record_id, change FROM "
				"outbox WHERE set_seq IS NULL ORDER BY n", -1,
				&sel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(fs->db, "UPDATE outbox SET hlc = ?, "
					"change = ? WHERE n = ?", -1, &upd,
					NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot re-date pending changes");
		goto fail;
	}
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(sel, 2);
		const char *rid = (const char *)sqlite3_column_text(sel, 1);
		char old_s[PROTO_STAMP_TEXT + 1], new_s[PROTO_STAMP_TEXT + 1];
		proto_stamp st;
		cJSON *root = NULL, *state = NULL, *f;
		proto_change ch;
		proto_err err;
		char *enc = NULL;
		size_t len;

		if (proto_change_decode(text, strlen(text), &root, &ch,
					&err) != PROTO_OK) {
			rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "outbox change "
				     "damaged: %s", err.msg);
			goto fail;
		}
		memcpy(st.device, fs->device, PROTO_ID_BYTES);
		st.hlc = ch.hlc;
		proto_stamp_format(old_s, &st);
		/* A base naming one of our own re-dated writes names its new
		** stamp, or the server would see our correction of our own
		** entry as a concurrent edit. Old HLCs grow with n, so the
		** map is sorted: binary search. */
		for (cJSON *b = ch.base ? ch.base->child : NULL; b;
		     b = b->next) {
			proto_stamp bs;
			size_t lo = 0, hi = nmap;
			if (!cJSON_IsString(b) ||
			    proto_stamp_parse(b->valuestring, &bs) != 0 ||
			    memcmp(bs.device, fs->device, PROTO_ID_BYTES) != 0)
				continue;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (map[mid][0] < bs.hlc)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < nmap && map[lo][0] == bs.hlc) {
				char ns[PROTO_STAMP_TEXT + 1];
				bs.hlc = map[lo][1];
				proto_stamp_format(ns, &bs);
				cJSON_SetValuestring(b, ns);
			}
		}
		if (nmap == mapcap) {
			size_t nc = mapcap ? mapcap * 2 : 256;
			void *p = realloc(map, nc * sizeof *map);
			if (!p) {
				cJSON_Delete(root);
				rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of "
					     "memory");
				goto fail;
			}
			map = p;
			mapcap = nc;
		}
		map[nmap][0] = ch.hlc;
		st.hlc = ch.hlc = ++base;
		map[nmap++][1] = ch.hlc;
		proto_stamp_format(new_s, &st);
		if (proto_change_encode(&ch, &enc, &len, &err) != PROTO_OK) {
			cJSON_Delete(root);
			rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "outbox change "
				     "damaged: %s", err.msg);
			goto fail;
		}
		cJSON_Delete(root);
		proto_hlc_format(hex, base);
		sqlite3_reset(upd);
		sqlite3_bind_text(upd, 1, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(upd, 2, enc, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(upd, 3, sqlite3_column_int64(sel, 0));
		free(enc);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			rc = fs_sqlfail(fs, sqlite3_errcode(fs->db),
					"cannot re-date pending changes");
			goto fail;
		}
		/* The record's history says when the change was written as
		** the server will see it. */
		if ((rc = history_redate(fs, rid, old_s, &st)))
			goto fail;
		/* The local state carries the old stamps: move them too. */
		if ((rc = fs_state_load(fs, rid, &state)))
			goto fail;
		f = cJSON_GetObjectItemCaseSensitive(state, "f");
		for (cJSON *e = f ? f->child : NULL; e; e = e->next) {
			cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "s");
			if (cJSON_IsString(s) &&
			    strcmp(s->valuestring, old_s) == 0)
				cJSON_SetValuestring(s, new_s);
		}
		rc = state ? fs_state_store(fs, rid, state) : FIELDSYNC_OK;
		cJSON_Delete(state);
		if (rc)
			goto fail;
		n++;
	}
	if (rc != SQLITE_DONE) {
		rc = fs_sqlfail(fs, rc, "cannot re-date pending changes");
		goto fail;
	}
	if ((rc = meta_set_hlc(fs, FS_META_HLC, base)) ||
	    (rc = fs_commit(fs)))
		goto fail;
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	free(map);
	S->rep->restamped += n;
	if (proto_hlc_ms(max) > S->server_time + PROTO_MAX_CLOCK_AHEAD_MS / 2)
		snprintf(S->rep->warning, sizeof S->rep->warning,
			 "this device's clock is %lld minutes ahead of the "
			 "server's; %lld pending changes were re-dated to the "
			 "server's time. Set the clock right.",
			 (long long)(proto_hlc_ms(max) - S->server_time) /
				 60000, n);
	else
		snprintf(S->rep->warning, sizeof S->rep->warning,
			 "%lld pending changes were re-dated after the last "
			 "time the server holds from this device (this store's "
			 "clock went back, e.g. after a restore)", n);
	return FIELDSYNC_OK;
fail:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	free(map);
	fs_rollback(fs);
	return rc;
}

/* Build one set from the oldest unbuilt outbox rows. *built = 0 when there
** was nothing to build. */
static int build_one(struct sync *S, int *built)
{
	fieldsync *fs = S->fs;
	sqlite3_stmt *st = NULL;
	const char **texts = NULL;
	size_t *lens = NULL, n = 0, total = 0;
	long long last_seq, first_n = 0, last_n = 0;
	uint8_t prev[PROTO_HASH_BYTES], h[PROTO_HASH_BYTES];
	uint8_t sig[PROTO_SIG_BYTES];
	char sighex[PROTO_SIG_HEX + 1], lasthlc[PROTO_HLC_HEX + 1] = "";
	char *bytes = NULL;
	size_t blen;
	proto_err err;
	int rc;

	*built = 0;
	if ((rc = fs_begin(fs)))
		return rc;
	if ((rc = meta_ll(fs, META_LAST_SEQ, &last_seq)) ||
	    (rc = meta_hash(fs, META_LAST_HASH, prev)))
		goto fail;
	texts = calloc(SET_MAX_CHANGES, sizeof *texts);
	lens = calloc(SET_MAX_CHANGES, sizeof *lens);
	if (!texts || !lens) {
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto fail;
	}
	rc = fs_stmt(fs, "SELECT n, change, hlc FROM outbox "
				"WHERE set_seq IS NULL ORDER BY n LIMIT ?", &st);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot read the outbox");
		goto fail;
	}
	sqlite3_bind_int(st, 1, S->opts && S->opts->max_set_changes > 0 &&
					S->opts->max_set_changes <
						SET_MAX_CHANGES
				? (int)S->opts->max_set_changes
				: SET_MAX_CHANGES);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		if (n > 0 && (total + len + 1 > SET_MAX_BYTES ||
			      first_n <= S->split_upto))
			break;
		texts[n] = strdup((const char *)sqlite3_column_text(st, 1));
		if (!texts[n]) {
			rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
			goto fail;
		}
		lens[n] = len;
		total += len + 1;
		if (n == 0)
			first_n = sqlite3_column_int64(st, 0);
		last_n = sqlite3_column_int64(st, 0);
		snprintf(lasthlc, sizeof lasthlc, "%s",
			 (const char *)sqlite3_column_text(st, 2));
		n++;
	}
	fs_stmt_done(fs, st);
	st = NULL;
	if (n == 0) {
		fs_rollback(fs);
		rc = FIELDSYNC_OK;
		goto out;
	}
	if (proto_set_encode(fs->device, last_seq + 1, prev, texts, lens, n,
			     &bytes, &blen, &err) != PROTO_OK) {
		rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "cannot build change "
			     "set %lld: %s", last_seq + 1, err.msg);
		goto fail;
	}
	proto_set_sign(bytes, blen, fs->sk, sig);
	proto_hex_encode(sighex, sig, sizeof sig);
	proto_set_hash(bytes, blen, h);
	rc = fs_stmt(fs, "INSERT INTO sets(seq, bytes, sig, "
				"hash, last_hlc, nchanges, acked) VALUES(?,?,?,"
				"?,?,?,0)", &st);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot save a change set");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, last_seq + 1);
	sqlite3_bind_blob(st, 2, bytes, (int)blen, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sighex, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, lasthlc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (long long)n);
	rc = sqlite3_step(st);
	fs_stmt_done(fs, st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = fs_sqlfail(fs, rc, "cannot save a change set");
		goto fail;
	}
	{
		sqlite3_stmt *u = NULL;
		rc = fs_stmt(fs, "UPDATE outbox SET set_seq = ? "
					"WHERE n BETWEEN ? AND ? AND set_seq "
					"IS NULL", &u);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(u, 1, last_seq + 1);
			sqlite3_bind_int64(u, 2, first_n);
			sqlite3_bind_int64(u, 3, last_n);
			rc = sqlite3_step(u);
		}
		fs_stmt_done(fs, u);
		if (rc != SQLITE_DONE) {
			rc = fs_sqlfail(fs, rc, "cannot update the outbox");
			goto fail;
		}
	}
	if ((rc = meta_set_ll(fs, META_LAST_SEQ, last_seq + 1)) ||
	    (rc = meta_set_hash(fs, META_LAST_HASH, h)) ||
	    (rc = fs_meta_set(fs, META_SENT_HLC, lasthlc)) ||
	    (rc = fs_commit(fs)))
		goto fail;
	*built = 1;
	rc = FIELDSYNC_OK;
	goto out;
fail:
	fs_rollback(fs);
out:
	fs_stmt_done(fs, st);
	for (size_t i = 0; texts && i < n; i++)
		free((void *)texts[i]);
	free(texts);
	free(lens);
	free(bytes);
	return rc;
}

static int build_all(struct sync *S)
{
	int built = 1, rc = FIELDSYNC_OK;

	while (built && rc == FIELDSYNC_OK)
		rc = build_one(S, &built);
	return rc;
}

/* Drop built sets seq >= from (none of which the server holds) so their
** changes are built again. */
static int unbuild(struct sync *S, long long from)
{
	fieldsync *fs = S->fs;
	sqlite3_stmt *st = NULL;
	uint8_t zeros[PROTO_HASH_BYTES] = {0};
	int rc;

	if (from <= S->holds)
		return fs_fail(fs, FIELDSYNC_E_REFUSED, "the server refused "
			       "change set %lld, which it already holds",
			       from);
	if ((rc = fs_begin(fs)))
		return rc;
	if ((rc = exec2(fs, "DELETE FROM sets WHERE seq >= ?", from, 0,
			"cannot rebuild change sets")) ||
	    (rc = exec2(fs, "UPDATE outbox SET set_seq = NULL WHERE set_seq "
			">= ?", from, 0, "cannot rebuild change sets")) ||
	    (rc = meta_set_ll(fs, META_LAST_SEQ, from - 1)))
		goto fail;
	rc = sqlite3_prepare_v2(fs->db, "SELECT hash, last_hlc FROM sets "
				"WHERE seq = ?", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot rebuild change sets");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, from - 1);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if ((rc = meta_set_hash(fs, META_LAST_HASH,
					sqlite3_column_blob(st, 0))) ||
		    (rc = fs_meta_set(fs, META_SENT_HLC,
				      (const char *)sqlite3_column_text(st,
									1))))
			goto fail;
	} else if (from == 1) {
		if ((rc = meta_set_hash(fs, META_LAST_HASH, zeros)) ||
		    (rc = meta_set_hlc(fs, META_SENT_HLC, 0)))
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = fs_commit(fs)))
		goto fail;
	return FIELDSYNC_OK;
fail:
	sqlite3_finalize(st);
	fs_rollback(fs);
	return rc;
}

/* Move the index-th change of built set seq (or all of them if index < 0)
** to the refused table with the server's reason. */
static int refuse_changes(struct sync *S, long long seq, int index,
			  const char *code, const char *msg)
{
	fieldsync *fs = S->fs;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	int rc;

	if ((rc = fs_begin(fs)))
		return rc;
	rc = sqlite3_prepare_v2(fs->db, "SELECT n FROM outbox WHERE set_seq "
				"= ? ORDER BY n LIMIT 1 OFFSET ?", -1, &st,
				NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot set a refused change aside");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, index < 0 ? 0 : index);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	rc = sqlite3_prepare_v2(fs->db, "INSERT INTO refused(record_id, "
				"change, code, message, at_ms) SELECT "
				"record_id, change, ?, ?, ? FROM outbox WHERE "
				"set_seq = ? AND (? < 0 OR n = ?)", -1, &st,
				NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot set a refused change aside");
		goto fail;
	}
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, msg, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, fs->now_ms(fs->now_ctx));
	sqlite3_bind_int64(st, 4, seq);
	sqlite3_bind_int(st, 5, index);
	sqlite3_bind_int64(st, 6, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = fs_sqlfail(fs, rc, "cannot set a refused change aside");
		goto fail;
	}
	S->rep->refused_changes += sqlite3_changes(fs->db);
	if (index < 0)
		rc = exec2(fs, "DELETE FROM outbox WHERE set_seq = ?", seq, 0,
			   "cannot set a refused change aside");
	else
		rc = exec2(fs, "DELETE FROM outbox WHERE n = ?", n, 0,
			   "cannot set a refused change aside");
	if (rc || (rc = fs_commit(fs)))
		goto fail;
	return FIELDSYNC_OK;
fail:
	sqlite3_finalize(st);
	fs_rollback(fs);
	return rc;
}

/* Changes in built set seq, and the highest outbox row among them. */
static long long count_set(fieldsync *fs, long long seq)
{
	char sql[96];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE set_seq "
		 "= %lld", seq);
	return count_ll(fs, sql);
}

static long long max_n_of_set(fieldsync *fs, long long seq)
{
	char sql[96];

	snprintf(sql, sizeof sql, "SELECT max(n) FROM outbox WHERE set_seq "
		 "= %lld", seq);
	return count_ll(fs, sql);
}

/* Errors that say a change itself is unacceptable (SPEC: refused changes
** are set aside; the rest of the queue goes on). */
static int change_level_error(const char *code)
{
	static const char *const codes[] = {
		"wrong_type", "missing_field", "out_of_range", "invalid_utf8",
		"too_long", "unknown_kind", "unknown_field", "invalid_value",
		"invalid_date", "invalid_format", "invalid_op", "duplicate_key",
		"malformed_json",
		NULL};

	for (size_t i = 0; code && codes[i]; i++)
		if (strcmp(codes[i], code) == 0)
			return 1;
	return 0;
}

/* Push request body for sets after < seq <= upto, at most PUSH_MAX_*.
** *first and *last are the lowest and highest seq included, 0 if none. */
static int push_body(struct sync *S, long long after, long long upto,
		     char **out, long long *first, long long *last,
		     long long *nchanges)
{
	fieldsync *fs = S->fs;
	sqlite3_stmt *st = NULL;
	cJSON *root = cJSON_CreateObject(), *arr;
	size_t total = 0;
	int rc, k = 0;

	*out = NULL;
	*first = 0;
	*last = 0;
	*nchanges = 0;
	if (!root || !(arr = cJSON_AddArrayToObject(root, "sets"))) {
		cJSON_Delete(root);
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	}
	rc = sqlite3_prepare_v2(fs->db, "SELECT seq, bytes, sig, nchanges "
				"FROM sets WHERE seq > ? AND seq <= ? ORDER BY "
				"seq", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		cJSON_Delete(root);
		return fs_sqlfail(fs, rc, "cannot read change sets");
	}
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, upto);
	while (k < (S->max_sets ? S->max_sets : PUSH_MAX_SETS) &&
	       sqlite3_step(st) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		char *bytes;
		cJSON *o;
		if (k > 0 && total + len > PUSH_MAX_BYTES)
			break;
		bytes = malloc(len + 1);
		o = cJSON_CreateObject();
		if (!bytes || !o) {
			free(bytes);
			cJSON_Delete(o);
			rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(bytes, sqlite3_column_blob(st, 1), len);
		bytes[len] = '\0';
		if (!cJSON_AddStringToObject(o, "set", bytes) ||
		    !cJSON_AddStringToObject(
			    o, "sig", (const char *)sqlite3_column_text(st, 2))) {
			free(bytes);
			cJSON_Delete(o);
			rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
			goto out;
		}
		free(bytes);
		cJSON_AddItemToArray(arr, o);
		*last = sqlite3_column_int64(st, 0);
		if (k == 0)
			*first = *last;
		*nchanges += sqlite3_column_int64(st, 3);
		total += len;
		k++;
	}
	rc = FIELDSYNC_OK;
	if (k > 0 && !(*out = cJSON_PrintUnformatted(root)))
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	cJSON_Delete(root);
	return rc;
}

/* Build sets until those after seq `after` fill a push request (or the
** outbox has nothing left to build): building goes no further ahead of
** sending than one request, and a refusal rebuilds as little as before. */
static int build_ahead(struct sync *S, long long after)
{
	fieldsync *fs = S->fs;
	sqlite3_stmt *st = NULL;
	int rc, built = 1;

	rc = sqlite3_prepare_v2(fs->db, "SELECT count(*), "
				"coalesce(sum(length(bytes)), 0) FROM sets "
				"WHERE seq > ?", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read change sets");
	while (built) {
		long long n = 0, bytes = 0;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, after);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			rc = fs_sqlfail(fs, rc, "cannot read change sets");
			break;
		}
		n = sqlite3_column_int64(st, 0);
		bytes = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		rc = FIELDSYNC_OK;
		if (n >= (S->max_sets ? S->max_sets : PUSH_MAX_SETS) ||
		    bytes >= (long long)PUSH_MAX_BYTES)
			break;
		if ((rc = build_one(S, &built)))
			break;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Before pulling: our persisted sets acked < seq <= min(holds, last_seq)
** that the receipt did not confirm (its head is not our hash at holds, or
** this store has fewer sets than the server holds) are sent again. The
** server answers "duplicate" for each it holds with our very bytes, and
** refuses the first it holds in another version with 409 fork, keeping
** both versions as evidence for HQ (SPEC 11.3). Nothing is built here. */
static int verify_held(struct sync *S)
{
	fieldsync *fs = S->fs;
	long long last_seq, upto;
	int rc;

	if ((rc = meta_ll(fs, META_LAST_SEQ, &last_seq)))
		return rc;
	for (;;) {
		char *body = NULL;
		cJSON *res = NULL;
		long long first, last, nch, before = S->acked;
		const char *code;
		long status;

		upto = last_seq < S->holds ? last_seq : S->holds;
		if (S->acked >= upto)
			return FIELDSYNC_OK;
		S->prog.phase = "push";
		if ((rc = push_body(S, S->acked, upto, &body, &first, &last,
				    &nch)))
			return rc;
		if (!body) /* none kept here: no outbox row waits on them */
			return FIELDSYNC_OK;
		rc = call_authed(S, "POST", "/v2/push", body, 1, &status,
				 &res);
		free(body);
		if (rc)
			return rc;
		code = jstr(res, "error");
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(res,
								    "holds")))
			rc = acknowledge(S, jnum(res, "holds", 0),
					 jstr(res, "head"), held_listed(res));
		if (rc) {
			/* the store failed; rc says how */
		} else if (status != 200 && code && strcmp(code, "fork") == 0) {
			rc = mark_clone(S, jnum(res, "seq", S->acked + 1));
		} else if (status != 200 && code &&
			   strcmp(code, "sequence_gap") == 0) {
			rc = FIELDSYNC_OK; /* it holds fewer now: go again */
		} else if (status != 200) {
			rc = http_error(S, status, res, "push");
		} else if (S->acked == before) {
			rc = fs_fail(fs, FIELDSYNC_E_UNREACHABLE, "push: the "
				     "server's answer does not say it holds "
				     "change set %lld; sync again later",
				     before + 1);
		}
		cJSON_Delete(res);
		if (rc)
			return rc;
	}
}

static int push(struct sync *S)
{
	fieldsync *fs = S->fs;
	struct flight f;
	char *body = NULL, *next = NULL;
	unsigned char *zbody = NULL, *znext = NULL;
	size_t zlen = 0, znlen = 0;
	int zpre = 0, znpre = 0;
	long long first = 0, last = 0, nch = 0;
	int rc, rebuilds = 0, flying = 0;

	S->prog.phase = "push";
	{
		long long last_seq;
		/* A pull may have recovered sets of ours (restore). */
		if ((rc = meta_ll(fs, META_LAST_SEQ, &last_seq)) ||
		    (rc = load_acked(fs, &S->acked)))
			return rc;
		/* A new set would take a number the server holds already. */
		if (last_seq < S->holds)
			return fs_fail(fs, FIELDSYNC_E_REFUSED, "the server "
				       "holds change sets %lld-%lld of this "
				       "device that this store could not "
				       "recover from it; nothing was sent, "
				       "nothing is lost", last_seq + 1,
				       S->holds);
	}
	if ((rc = restamp(S, 0)))
		return rc;
	S->prog.to_push = count_ll(fs, "SELECT count(*) FROM outbox");
	progress(S);
	for (;;) {
		cJSON *res = NULL;
		long long nfirst = 0, nlast = 0, nnch = 0, seq, pos;
		/* Resend from what is both ours and held: below S->holds
		** when the server lost sets (restored from a backup). */
		long long after = S->acked < S->holds ? S->acked : S->holds;
		const char *code;
		long status;
		int ahead;

		if (!flying) {
			if ((rc = build_ahead(S, after)) ||
			    (rc = push_body(S, after, LLONG_MAX, &body, &first,
					    &last, &nch)))
				return rc;
			if (!body)
				return FIELDSYNC_OK;
			/* Compressed here, not on the flight's thread: the
			** transport's one compression context is this
			** thread's, busy with the next body meanwhile. */
			if (!(zbody = fs_http_compress(S->http, body, strlen(body),
						       &zlen, &zpre))) {
				free(body);
				return fs_fail(fs, FIELDSYNC_E_NOMEM,
					       "out of memory");
			}
			flight_start(S, &f, "/v2/push", body, zbody, zlen, zpre);
			flying = 1;
		}
		/* While the server works: the sets after this request, built,
		** encoded and compressed (used only if the server takes all of
		** this), so the server waits for none of that. */
		ahead = build_ahead(S, last);
		if (!ahead)
			ahead = push_body(S, last, LLONG_MAX, &next, &nfirst,
					  &nlast, &nnch);
		if (!ahead && next &&
		    !(znext = fs_http_compress(S->http, next, strlen(next),
					       &znlen, &znpre)))
			ahead = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		rc = flight_finish(S, &f, &status, &res);
		flying = 0;
		free(body);
		free(zbody);
		body = NULL;
		zbody = NULL;
		if (!rc && ahead)
			rc = ahead;
		if (rc) {
			free(next);
			free(znext);
			cJSON_Delete(res);
			return rc;
		}
		if (status == 200) {
			long long h = jnum(res, "holds", -1);
			long long mine = held_listed(res);
			char head[PROTO_HASH_HEX + 1];
			snprintf(head, sizeof head, "%s",
				 jstr(res, "head") ? jstr(res, "head") : "");
			cJSON_Delete(res);
			if (h < 0) {
				free(next);
				free(znext);
				return fs_fail(fs, FIELDSYNC_E_UNREACHABLE,
					       "push: the server's answer has "
					       "no receipt");
			}
			/* The next request goes out before this receipt is
			** recorded: recording it is local work the server
			** need not wait for. Only when the server holds
			** exactly up to this request (all of it accepted or
			** duplicate: our bytes) does the next one follow on;
			** otherwise it is built again from the receipt. */
			if (h == last && mine == last && next) {
				body = next;
				zbody = znext;
				zlen = znlen;
				zpre = znpre;
				first = nfirst;
				last = nlast;
				nch = nnch;
				flight_start(S, &f, "/v2/push", body, zbody,
					     zlen, zpre);
				flying = 1;
			} else {
				free(next);
				free(znext);
			}
			next = NULL;
			znext = NULL;
			if ((rc = acknowledge(S, h, head, mine))) {
				if (flying)
					flight_drop(S, &f);
				free(body);
				free(zbody);
				return rc;
			}
			continue;
		}
		free(next);
		free(znext);
		next = NULL;
		znext = NULL;
		code = jstr(res, "error");
		seq = jnum(res, "seq", -1);
		/* "seq" is null when the server could not decode the set far
		** enough to read it; "position" still names the refused entry
		** of our request, whose seqs are consecutive from first. */
		pos = jnum(res, "position", -1);
		if (seq < 0 && pos >= 0 && first > 0 && first + pos <= last)
			seq = first + pos;
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(res,
								    "holds")) &&
		    (rc = acknowledge(S, jnum(res, "holds", 0),
				      jstr(res, "head"), held_listed(res)))) {
			cJSON_Delete(res);
			return rc;
		}
		if (code && strcmp(code, "fork") == 0 && seq > 0) {
			/* The server holds another set with this number: a
			** copy of this store pushed it (SPEC 11.3). */
			cJSON_Delete(res);
			return mark_clone(S, seq);
		}
		if (++rebuilds > MAX_REBUILDS) {
			rc = http_error(S, status, res, "push");
			cJSON_Delete(res);
			return rc;
		}
		if (code && strcmp(code, "sequence_gap") == 0) {
			/* Our receipt was stale; resend from what it holds. */
			cJSON_Delete(res);
			continue;
		}
		if (code && strcmp(code, "chain_broken") == 0 &&
		    seq > S->holds) {
			/* Our set holds+1 does not follow the server's set
			** holds: rebuilt from it if that one is ours, else
			** it is another copy's (SPEC 11.5). */
			cJSON_Delete(res);
			if (S->acked < S->holds)
				return mark_clone(S, S->holds);
			if ((rc = unbuild(S, seq)) || (rc = build_all(S)))
				return rc;
			continue;
		}
		if (code && seq > S->holds &&
		    (strcmp(code, "clock_ahead") == 0 ||
		     strcmp(code, "hlc_order") == 0)) {
			/* Re-date the refused changes: from the server's clock
			** (clock_ahead) or past the last HLC it holds of ours
			** (hlc_order: this store's clock went back, e.g. after
			** a restore), so the queue moves on. */
			const char *lh = jstr(res, "last_hlc");
			proto_hlc theirs = 0, ours = 0;
			int bad = lh && proto_hlc_parse(lh, &theirs) != 0;
			cJSON_Delete(res);
			if (bad)
				theirs = 0;
			if ((rc = unbuild(S, seq)))
				return rc;
			if (theirs && (rc = meta_hlc(fs, META_SENT_HLC, &ours)) ==
				    FIELDSYNC_OK && theirs > ours) {
				if ((rc = fs_begin(fs)) == FIELDSYNC_OK &&
				    (rc = meta_set_hlc(fs, META_SENT_HLC,
						       theirs)) == FIELDSYNC_OK)
					rc = fs_commit(fs);
				if (rc)
					fs_rollback(fs);
			}
			if (rc || (rc = restamp(S, 1)) || (rc = build_all(S)))
				return rc;
			continue;
		}
		if (code && seq > S->holds && change_level_error(code) &&
		    jnum(res, "index", -1) < 0 &&
		    count_set(fs, seq) > 1) {
			/* A set-level fault: rebuild its changes one per set
			** so the next refusal names a single change. */
			cJSON_Delete(res);
			S->split_upto = max_n_of_set(fs, seq);
			if ((rc = unbuild(S, seq)) || (rc = build_all(S)))
				return rc;
			continue;
		}
		if (code && seq > S->holds && change_level_error(code)) {
			const char *msg = jstr(res, "message");
			int index = (int)jnum(res, "index", -1);
			rc = unbuild(S, seq + 1);
			if (!rc)
				rc = refuse_changes(S, seq, index, code,
						    msg ? msg : "");
			cJSON_Delete(res);
			if (rc || (rc = unbuild(S, seq)) ||
			    (rc = build_all(S)))
				return rc;
			continue;
		}
		rc = http_error(S, status, res, "push");
		cJSON_Delete(res);
		return rc;
	}
}

static int tentative_clear(struct sync *S)
{
	int rc;

	if ((rc = fs_begin(S->fs)) == FIELDSYNC_OK &&
	    (rc = exec2(S->fs, "DELETE FROM meta WHERE key = '"
			META_TENTATIVE "'", 0, 0, "cannot write the store")) ==
		    FIELDSYNC_OK)
		rc = fs_commit(S->fs);
	if (rc)
		fs_rollback(S->fs);
	return rc;
}

/* The sets from seq `from` were built for a /v3/sync the server did not
** apply: back to the outbox, unsent (the server may hold other sets under
** those numbers, of another copy of this store). */
static int drop_tentative(struct sync *S, long long from)
{
	long long holds = S->holds, last_seq;
	int rc;

	if ((rc = meta_ll(S->fs, META_LAST_SEQ, &last_seq)))
		return rc;
	if (from > 0 && last_seq >= from) {
		S->holds = from - 1;  /* unbuild's guard: none of these held */
		rc = unbuild(S, from);
		S->holds = holds;
		if (rc)
			return rc;
	}
	return tentative_clear(S);
}

/* After the usual sign-in, when a /v3/sync's answer never came: its sets
** may be at the server (the request may have been applied), so they are
** ordinary sets now, sent again or found held as on any cut push; a copy
** of this store that used the ticket first shows as a fork (SPEC 11.9). */
static int tentative_settle(struct sync *S)
{
	long long from = 0;
	int rc;

	if ((rc = meta_ll(S->fs, META_TENTATIVE, &from)) || from <= 0)
		return rc;
	return tentative_clear(S);
}

/* ---- one request: /v3/sync -------------------------------------------
** With the ticket its last sync gave it, a device signs in, pushes its
** first request's worth of sets and gets the first page of the feed in one
** round trip (SPEC 10.12). Whatever that answer leaves to do (more to push
** or pull, a refusal to handle, a restore to recover from) the usual steps
** below do with the session it brought: *fast is 1. Without a ticket, or
** when the server refuses it (used, expired, an older server), *fast is 0
** and the sync signs in the usual way. */
static int sync_fast(struct sync *S, int *fast, int *pulled)
{
	fieldsync *fs = S->fs;
	char *ticket = NULL, *sets = NULL, *body = NULL;
	char sighex[PROTO_SIG_HEX + 1], head[PROTO_HASH_HEX + 1];
	cJSON *res = NULL;
	const cJSON *po, *pl;
	long long last_seq, cursor, first, last, nch, tentative = 0;
	long long built_from = 0;
	long status;
	int rc, more = 0;

	*fast = 0;
	*pulled = 0;
	if ((rc = fs_meta_get(fs, META_TICKET, &ticket)))
		return rc;
	if (!ticket || strlen(ticket) != 64) {
		free(ticket);
		return FIELDSYNC_OK;
	}
	S->prog.phase = "auth";
	progress(S);
	if ((rc = meta_ll(fs, META_LAST_SEQ, &last_seq)) ||
	    (rc = meta_ll(fs, META_CURSOR, &cursor)) ||
	    (rc = meta_ll(fs, META_TENTATIVE, &tentative)))
		goto out;
	if (tentative > 0) {
		/* A request like this one went out and its answer never came:
		** the usual sign-in first tells what the server holds. */
		rc = FIELDSYNC_OK;
		goto out;
	}
	/* The sets built now are sent before the server has said what it
	** holds. Only a store that holds the device's one live ticket can be
	** the newest copy of it: if the ticket is refused, this store is a
	** restored or copied one (or the server lost track), and the sets are
	** unbuilt again below, unsent, so that the numbers the server holds
	** of another copy are never reused. Until the answer comes the first
	** of them is kept in the store. */
	built_from = last_seq + 1;
	if ((rc = fs_begin(fs)) == FIELDSYNC_OK &&
	    (rc = meta_set_ll(fs, META_TENTATIVE, built_from)) == FIELDSYNC_OK)
		rc = fs_commit(fs);
	if (rc) {
		fs_rollback(fs);
		goto out;
	}
	if ((rc = build_ahead(S, S->acked)) ||
	    (rc = push_body(S, S->acked, LLONG_MAX, &sets, &first, &last,
			    &nch)))
		goto out;
	/* push_body's {"sets":[...]} with the sync's other members first. */
	{
		const char *arr = sets ? sets + 1 : "\"sets\":[]}";
		size_t n = strlen(arr) + 128;
		body = malloc(n);
		if (!body) {
			rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(body, n, "{\"local_seq\":%lld,\"after\":%lld,"
			 "\"limit\":%d,\"own\":0,%s", last_seq, cursor,
			 PULL_PAGE, arr);
	}
	proto_sync_sign(ticket, fs->sk, sighex);
	snprintf(S->session, sizeof S->session, "Ticket %s.%s.%s",
		 fs->device_hex, ticket, sighex);
	rc = call(S, "POST", "/v3/sync", body, 1, &status, &res);
	S->session[0] = '\0';
	if (rc)
		goto out;
	if (status == 401 || status == 404 || status == 405) {
		/* Used, expired, unknown here, or a server without /v3:
		** nothing of the request was applied. The sets built for it
		** go back to the outbox and the usual sign-in (which brings
		** a new ticket) follows. */
		rc = drop_tentative(S, built_from);
		goto out;
	}
	if (status != 200) {
		/* Refused before anything was applied (busy, bad request):
		** the sets are ordinary sets again, to be sent later. */
		if ((rc = tentative_clear(S)))
			goto out;
	}
	if (status != 200 || !jstr(res, "session") ||
	    strlen(jstr(res, "session")) >= sizeof S->session) {
		rc = http_error(S, status, res, "sync");
		goto out;
	}
	*fast = 1;
	if ((rc = tentative_clear(S)))
		goto out;
	if ((rc = signed_in(S, res)))
		goto out;
	/* The receipt before the push, as a session would have given it. */
	if ((rc = acknowledge(S, S->holds, S->head, 0)))
		goto out;
	po = cJSON_GetObjectItemCaseSensitive(res, "push");
	pl = cJSON_GetObjectItemCaseSensitive(res, "pull");
	/* The server pushed nothing when it holds sets of ours this store
	** lacks (a restore): the usual steps recover them first. */
	if (!cJSON_IsObject(po) || S->holds > last_seq)
		goto out;
	if (jnum(po, "status", 0) == 200 &&
	    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(po, "holds"))) {
		snprintf(head, sizeof head, "%s",
			 jstr(po, "head") ? jstr(po, "head") : "");
		if ((rc = acknowledge(S, jnum(po, "holds", 0), head,
				      held_listed(po))))
			goto out;
	}
	/* A refused set: push() below sends it again through /v2/push and
	** handles the refusal there, as on any push. */
	if (cJSON_IsObject(pl)) {
		S->prog.phase = "pull";
		struct page_src src = { pl, NULL };
		rc = pull_apply(S, &src, NULL, 0, &cursor, &more);
		if (rc == FS_PAGE_BAD)
			rc = fs_fail(fs, FIELDSYNC_E_UNREACHABLE, "pull: the "
				     "server's page has no sets; sync again "
				     "later");
		if (rc)
			goto out;
		*pulled = !more;
	}
out:
	if (ticket)
		sodium_memzero(ticket, strlen(ticket));
	free(ticket);
	free(sets);
	free(body);
	cJSON_Delete(res);
	return rc;
}

/* ---- public ------------------------------------------------------------ */

static int open_transport(fieldsync *fs, const fieldsync_sync_opts *o,
			  fs_http **out)
{
	char *url = NULL, *ca = NULL, *pin = NULL;
	int rc;

	*out = NULL;
	if ((rc = fs_meta_get(fs, META_URL, &url)) ||
	    (rc = fs_meta_get(fs, META_CACERT, &ca)) ||
	    (rc = fs_meta_get(fs, META_PIN, &pin)))
		goto out;
	if (!url) {
		rc = fs_fail(fs, FIELDSYNC_E_NOT_ENROLLED, "this device is not "
			     "enrolled with a server: run `fieldsync enroll "
			     "URL TOKEN` with a token from HQ");
		goto out;
	}
	*out = fs_http_new(url, ca && *ca ? ca : NULL,
			   o && o->connect_timeout_s ? o->connect_timeout_s
						     : 10,
			   o && o->stall_timeout_s ? o->stall_timeout_s : 15);
	rc = *out ? FIELDSYNC_OK
		  : fs_fail(fs, FIELDSYNC_E_NOMEM, "cannot start libcurl");
	if (*out && o && o->encoding == FIELDSYNC_GZIP)
		fs_http_set_coding(*out, FS_HTTP_GZIP);
	if (*out && pin && *pin && fs_http_set_pin(*out, pin) != 0) {
		fs_http_free(*out);
		*out = NULL;
		rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, _("the stored certificate "
			     "pin is damaged: enroll again with HQ's link"));
	}
out:
	free(url);
	free(ca);
	free(pin);
	return rc;
}

/* The store's sync lock (SPEC 11.2: one sync of a store at a time): an
** exclusive flock on DIR/sync.lock, held until sync_unlock. When another
** process holds it: with wait, progress reports phase "wait" and this
** blocks until it is free (EINTR, e.g. a signal to stop, gives up); without,
** FIELDSYNC_E_BUSY at once. The lock goes with the process, so a crashed
** sync never leaves it held. */
static int sync_lock(fieldsync *fs, struct sync *S, int wait, int *fd)
{
	char path[4200];
	int k = snprintf(path, sizeof path, "%s/sync.lock", fs->dir);

	*fd = -1;
	if (k < 0 || (size_t)k >= sizeof path)
		return fs_fail(fs, FIELDSYNC_E_USAGE, "data directory path "
			       "too long: %s", fs->dir);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return fs_fail(fs, errno == EACCES || errno == EROFS
				   ? FIELDSYNC_E_READONLY : FIELDSYNC_E_IO,
			       "cannot open %s: %s", path, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return FIELDSYNC_OK;
	if (errno == EWOULDBLOCK && wait) {
		if (S) {
			S->prog.phase = "wait";
			progress(S);
		}
		if (flock(*fd, LOCK_EX) == 0)
			return FIELDSYNC_OK;
	}
	k = errno;
	close(*fd);
	*fd = -1;
	if (k == EWOULDBLOCK || k == EINTR)
		return fs_fail(fs, FIELDSYNC_E_BUSY, "another sync of this "
			       "store is running; try again when it has "
			       "finished");
	return fs_fail(fs, FIELDSYNC_E_IO, "cannot lock %s: %s", path,
		       strerror(k));
}

static void sync_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int fieldsync_sync(fieldsync *fs, const fieldsync_sync_opts *opts,
		   fieldsync_sync_report *report)
{
	fieldsync_sync_report local;
	fieldsync_sync_opts room;
	struct sync S;
	long long clone = 0, notices_before;
	int rc, lockfd = -1, fast = 0, pulled = 0;

	if (!report)
		report = &local;
	memset(report, 0, sizeof *report);
	memset(&S, 0, sizeof S);
	S.fs = fs;
	S.rep = report;
	S.opts = opts;
	S.dropped = -1;
	if ((rc = sync_lock(fs, &S, 1, &lockfd)))
		return rc;
	/* A damaged store is never synced; a nearly full disk gets small
	** sets, one per request (health.c). Both change nothing on failure. */
	if ((rc = fieldsync_check(fs, 0)) ||
	    (rc = fs_sync_room(fs, opts, &room, &S.max_sets))) {
		sync_unlock(lockfd);
		return rc;
	}
	S.opts = &room;
	notices_before = fs_notices_last(fs);
	if ((rc = meta_ll(fs, META_CLONE, &clone)) == FIELDSYNC_OK && clone) {
		/* Known already: this identity is not ours alone any more,
		** so nothing is sent or asked under it (SPEC 11.3). */
		rc = clone_fail(fs, clone);
		goto done;
	}
	if (rc || (rc = load_acked(fs, &S.acked)) ||
	    (rc = open_transport(fs, opts, &S.http)))
		goto done;
	if (S.opts && S.opts->progress)
		fs_http_set_progress(S.http, NULL, NULL);
	rc = sync_fast(&S, &fast, &pulled);
	if (!rc && !fast) {
		rc = authenticate(&S);
		if (!rc)
			rc = acknowledge(&S, S.holds, S.head, 0);
		if (!rc)
			rc = tentative_settle(&S);
	}
	if (!rc)
		rc = verify_held(&S);
	if (!rc && !pulled)
		rc = pull(&S);
	if (!rc)
		rc = push(&S);
	drop_acked(&S);
done:
	/* Notices are committed with the sets that brought them, so a pass
	** that failed half-way still counts those. */
	report->notices = fs_notices_last(fs) - notices_before;
	if (!rc) {
		long long now = fs->now_ms(fs->now_ctx);
		if ((rc = fs_begin(fs)) == FIELDSYNC_OK) {
			if ((rc = meta_set_ll(fs, META_LAST_SYNC, now)) ||
			    (rc = fs_meta_set(fs, META_LAST_ERROR, "")) ||
			    (rc = fs_commit(fs)))
				fs_rollback(fs);
		}
	} else if (rc != FIELDSYNC_E_NOT_ENROLLED) {
		/* Keep the reason for `fieldsync status` (a store never
		** enrolled is left as it is). */
		char msg[sizeof fs->msg];
		int keep = fs->status;
		memcpy(msg, fs->msg, sizeof msg);
		if (fs_begin(fs) == FIELDSYNC_OK) {
			if (fs_meta_set(fs, META_LAST_ERROR, msg) ||
			    fs_commit(fs))
				fs_rollback(fs);
		}
		fs->status = keep;
		memcpy(fs->msg, msg, sizeof msg);
	}
	(void)meta_ll(fs, META_LAST_SEQ, &report->local_seq);
	report->pushed_changes = S.prog.pushed;
	report->connections = fs_http_connections(S.http);
	snprintf(report->tls, sizeof report->tls, "%s", fs_http_tls(S.http));
	snprintf(report->encoding, sizeof report->encoding, "%s",
		 fs_http_coding(S.http) == FS_HTTP_GZIP ? "gzip" : "zstd");
	fs_http_free(S.http);
	sync_unlock(lockfd);
	if (!rc)
		fs_ok(fs);
	return rc;
}

/* POST /v2/enroll for public key pk with a one-time token; pin: the
** certificate pin of an enrollment link, or "". ca receives the absolute
** path of cacert ("" if none). Changes nothing locally. */
static int enroll_key(fieldsync *fs, const char *url, const char *token,
		      const char *cacert, const char *pin,
		      const uint8_t pk[PROTO_PK_BYTES], char ca[PATH_MAX])
{
	fieldsync_sync_report rep;
	char pkhex[PROTO_PK_BYTES * 2 + 1], *name = NULL, *body = NULL;
	cJSON *req = NULL, *res = NULL;
	struct sync S;
	long status;
	int rc;

	ca[0] = '\0';
	memset(&S, 0, sizeof S);
	memset(&rep, 0, sizeof rep);
	S.fs = fs;
	S.rep = &rep;
	S.dropped = -1;
	if (!url || (strncmp(url, "http://", 7) != 0 &&
		     strncmp(url, "https://", 8) != 0))
		return fs_fail_field(fs, FIELDSYNC_E_USAGE, "url", "server URL "
				     "\"%.100s\" must start with http:// or "
				     "https://", url ? url : "");
	if (!token || !*token || strlen(token) > 256)
		return fs_fail_field(fs, FIELDSYNC_E_USAGE, "token", "token "
				     "must be 1 to 256 characters, as HQ gave "
				     "it");
	if (cacert && *cacert && !realpath(cacert, ca))
		return fs_fail_field(fs, FIELDSYNC_E_USAGE, "cacert", "CA "
				     "certificate file \"%.200s\" not found",
				     cacert);
	S.http = fs_http_new(url, ca[0] ? ca : NULL, 10, 15);
	if (!S.http)
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "cannot start libcurl");
	if (pin[0] && fs_http_set_pin(S.http, pin) != 0) {
		rc = fs_fail(fs, FIELDSYNC_E_IO, _("this libcurl cannot check a "
			     "certificate pin"));
		goto out;
	}
	if ((rc = fs_meta_get(fs, FS_META_NAME, &name)))
		goto out;
	proto_hex_encode(pkhex, pk, PROTO_PK_BYTES);
	req = cJSON_CreateObject();
	if (!req || !cJSON_AddStringToObject(req, "token", token) ||
	    !cJSON_AddStringToObject(req, "public_key", pkhex) ||
	    !cJSON_AddStringToObject(req, "name", name ? name : "") ||
	    !(body = cJSON_PrintUnformatted(req))) {
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = call(&S, "POST", "/v2/enroll", body, 0, &status, &res))) {
		char why[400];
		if (rc == FIELDSYNC_E_UNREACHABLE &&
		    fs_http_tls_problem(S.http, why, sizeof why))
			rc = fs_fail(fs, FIELDSYNC_E_TLS, _("cannot enroll: "
				     "%s; nothing changed"), why);
		goto out;
	}
	if (status != 201 && status != 200 &&
	    !(status == 409 && jstr(res, "error") &&
	      strcmp(jstr(res, "error"), "already_enrolled") == 0)) {
		rc = http_error(&S, status, res, "enrollment");
		goto out;
	}
	rc = FIELDSYNC_OK;
out:
	cJSON_Delete(req);
	cJSON_Delete(res);
	free(body);
	free(name);
	fs_http_free(S.http);
	return rc;
}

/* Enrollment by URL and token, or by link (then pin is its pin, else ""):
** enroll this store's key, then remember the server. */
static int enroll(fieldsync *fs, const char *url, const char *token,
		  const char *cacert, const char *pin)
{
	char ca[PATH_MAX];
	int rc;

	if ((rc = enroll_key(fs, url, token, cacert, pin, fs->pk, ca)))
		return rc;
	if ((rc = fs_begin(fs)))
		return rc;
	if ((rc = fs_meta_set(fs, META_URL, url)) ||
	    (rc = fs_meta_set(fs, META_CACERT, ca)) ||
	    (rc = fs_meta_set(fs, META_PIN, pin)) ||
	    (rc = fs_commit(fs))) {
		fs_rollback(fs);
		return rc;
	}
	fs_ok(fs);
	return FIELDSYNC_OK;
}

int fieldsync_enroll(fieldsync *fs, const char *url, const char *token,
		     const char *cacert)
{
	return enroll(fs, url, token, cacert, "");
}

/* Index of hlc in the sorted array a[0..n), or -1. */
static long find_hlc(const proto_hlc *a, size_t n, proto_hlc hlc)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < hlc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo] == hlc ? (long)lo : -1;
}

/* The history entry of the pending change stamped old_s is by the device
** of new_s (same HLC): its author, and a create's owner, become the new
** identity, as every receiver will see them. */
static int history_reauthor(fieldsync *fs, const char *rid, const char *old_s,
			    const char *new_s)
{
	char hlc[PROTO_HLC_HEX + 1], od[PROTO_ID_HEX + 1], nd[PROTO_ID_HEX + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(hlc, sizeof hlc, "%.*s", PROTO_HLC_HEX, old_s);
	snprintf(od, sizeof od, "%s", old_s + PROTO_HLC_HEX + 1);
	snprintf(nd, sizeof nd, "%s", new_s + PROTO_HLC_HEX + 1);
	rc = sqlite3_prepare_v2(fs->db, "UPDATE history SET device = ?1, entry ="
				" replace(entry, ?2, ?1) WHERE record_id = ?3 "
				"AND hlc = ?4 AND device = ?2", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot update the history");
	sqlite3_bind_text(st, 1, nd, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, od, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, hlc, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? FIELDSYNC_OK
				 : fs_sqlfail(fs, rc, "cannot update the "
					      "history");
}

/* Inside reenroll's transaction: the writes still pending were made by
** this store, whose identity becomes nid. Their stamps (hlc, old device)
** in the record states, and every pending base naming one of them, now
** name nid; stamps of writes the server holds as the old device's stay. */
static int restamp_identity(fieldsync *fs, const uint8_t old[PROTO_ID_BYTES],
			    const uint8_t nid[PROTO_ID_BYTES])
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	proto_hlc *hlcs = NULL;
	size_t n = 0, cap = 0;
	int rc;

	rc = sqlite3_prepare_v2(fs->db, "SELECT n, record_id, change, hlc "
				"FROM outbox ORDER BY hlc", -1, &sel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(fs->db, "UPDATE outbox SET change = ? "
					"WHERE n = ?", -1, &upd, NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot read the outbox");
		goto out;
	}
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		proto_hlc h = 0;
		if (proto_hlc_parse((const char *)sqlite3_column_text(sel, 3),
				    &h) != 0) {
			rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "outbox change "
				     "damaged: bad HLC");
			goto out;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			void *p = realloc(hlcs, nc * sizeof *hlcs);
			if (!p) {
				rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of "
					     "memory");
				goto out;
			}
			hlcs = p;
			cap = nc;
		}
		hlcs[n++] = h;
	}
	if (rc != SQLITE_DONE) {
		rc = fs_sqlfail(fs, rc, "cannot read the outbox");
		goto out;
	}
	sqlite3_reset(sel);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *rid = (const char *)sqlite3_column_text(sel, 1);
		const char *text = (const char *)sqlite3_column_text(sel, 2);
		char old_s[PROTO_STAMP_TEXT + 1], new_s[PROTO_STAMP_TEXT + 1];
		cJSON *root = NULL, *state = NULL, *f;
		proto_stamp st;
		proto_change ch;
		proto_err err;
		char *enc = NULL;
		size_t len;
		int rewrote = 0;

		if (proto_change_decode(text, strlen(text), &root, &ch,
					&err) != PROTO_OK) {
			rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "outbox change "
				     "damaged: %s", err.msg);
			goto out;
		}
		for (cJSON *b = ch.base ? ch.base->child : NULL; b;
		     b = b->next) {
			proto_stamp bs;
			if (!cJSON_IsString(b) ||
			    proto_stamp_parse(b->valuestring, &bs) != 0 ||
			    memcmp(bs.device, old, PROTO_ID_BYTES) != 0 ||
			    find_hlc(hlcs, n, bs.hlc) < 0)
				continue;
			memcpy(bs.device, nid, PROTO_ID_BYTES);
			proto_stamp_format(new_s, &bs);
			cJSON_SetValuestring(b, new_s);
			rewrote = 1;
		}
		if (rewrote) {
			if (proto_change_encode(&ch, &enc, &len, &err) !=
			    PROTO_OK) {
				cJSON_Delete(root);
				rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "outbox "
					     "change damaged: %s", err.msg);
				goto out;
			}
			sqlite3_reset(upd);
			sqlite3_bind_text(upd, 1, enc, (int)len,
					  SQLITE_TRANSIENT);
			sqlite3_bind_int64(upd, 2,
					   sqlite3_column_int64(sel, 0));
			free(enc);
			if (sqlite3_step(upd) != SQLITE_DONE) {
				cJSON_Delete(root);
				rc = fs_sqlfail(fs, sqlite3_errcode(fs->db),
						"cannot update the outbox");
				goto out;
			}
		}
		memcpy(st.device, old, PROTO_ID_BYTES);
		st.hlc = ch.hlc;
		proto_stamp_format(old_s, &st);
		memcpy(st.device, nid, PROTO_ID_BYTES);
		proto_stamp_format(new_s, &st);
		cJSON_Delete(root);
		if ((rc = history_reauthor(fs, rid, old_s, new_s)))
			goto out;
		if ((rc = fs_state_load(fs, rid, &state)))
			goto out;
		f = cJSON_GetObjectItemCaseSensitive(state, "f");
		for (cJSON *e = f ? f->child : NULL; e; e = e->next) {
			cJSON *sv = cJSON_GetObjectItemCaseSensitive(e, "s");
			cJSON *vv = cJSON_GetObjectItemCaseSensitive(e, "v");
			if (!cJSON_IsString(sv) ||
			    strcmp(sv->valuestring, old_s) != 0)
				continue;
			cJSON_SetValuestring(sv, new_s);
			/* A pending create: the new identity is its author,
			** so its owner (merge.h) as every receiver sees it. */
			if (strcmp(e->string, PROTO_OWNER_FIELD) == 0 &&
			    cJSON_IsString(vv)) {
				char nid_hex[PROTO_ID_HEX + 1];
				proto_hex_encode(nid_hex, nid, PROTO_ID_BYTES);
				cJSON_SetValuestring(vv, nid_hex);
			}
		}
		rc = state ? fs_state_store(fs, rid, state) : FIELDSYNC_OK;
		cJSON_Delete(state);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? FIELDSYNC_OK
			       : fs_sqlfail(fs, rc, "cannot read the outbox");
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	free(hlcs);
	return rc;
}

/* Inside reenroll's transaction: this store becomes device nid (public key
** pk) at url/ca. Its sets 1..acked, which the server holds as the old
** device's, become that author's history here (chain head and hashes, so
** the old identity's later sets, by the other copy, are pulled and applied
** like any author's); every other set is dropped and its changes wait to be
** built again, as nid's; the pull starts again from 0. */
static int switch_identity(fieldsync *fs, const uint8_t pk[PROTO_PK_BYTES],
			   const char *url, const char *ca)
{
	uint8_t nid[PROTO_ID_BYTES], h[PROTO_HASH_BYTES];
	uint8_t zeros[PROTO_HASH_BYTES] = {0};
	char nhex[PROTO_ID_HEX + 1];
	sqlite3_stmt *st = NULL;
	long long acked = 0;
	int found = 0, rc;

	proto_device_id(pk, nid);
	proto_hex_encode(nhex, nid, PROTO_ID_BYTES);
	if ((rc = load_acked(fs, &acked)) ||
	    (rc = own_set_hash(fs, acked, h, &found)))
		return rc;
	rc = sqlite3_prepare_v2(fs->db, "INSERT OR REPLACE INTO author_sets("
				"device, seq, hash) SELECT ?, seq, hash FROM "
				"sets WHERE seq <= ?", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot change the identity");
	sqlite3_bind_text(st, 1, fs->device_hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, acked);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fs_sqlfail(fs, rc, "cannot change the identity");
	if (acked > 0 && found &&
	    (rc = author_set_head(fs, fs->device_hex, acked, h)))
		return rc;
	if ((rc = exec2(fs, "DELETE FROM sets", 0, 0, "cannot change the "
			"identity")) ||
	    (rc = exec2(fs, "UPDATE outbox SET set_seq = NULL WHERE set_seq "
			"IS NOT NULL", 0, 0, "cannot change the identity")) ||
	    (rc = exec2(fs, "DELETE FROM meta WHERE key = '" META_CLONE "'",
			0, 0, "cannot change the identity")) ||
	    (rc = restamp_identity(fs, fs->device, nid)) ||
	    (rc = fs_meta_set(fs, META_OLD_DEVICE, fs->device_hex)) ||
	    (rc = fs_meta_set(fs, FS_META_DEVICE, nhex)) ||
	    (rc = fs_meta_set(fs, META_URL, url)) ||
	    (rc = fs_meta_set(fs, META_CACERT, ca)) ||
	    (rc = meta_set_ll(fs, META_LAST_SEQ, 0)) ||
	    (rc = meta_set_hash(fs, META_LAST_HASH, zeros)) ||
	    (rc = meta_set_ll(fs, META_HOLDS, 0)) ||
	    (rc = meta_set_ll(fs, META_ACKED, 0)) ||
	    (rc = meta_set_ll(fs, META_CURSOR, 0)))
		return rc;
	return FIELDSYNC_OK;
}

int fieldsync_reenroll(fieldsync *fs, const char *url, const char *token,
		       const char *cacert)
{
	char *stored = NULL, *stored_ca = NULL, *stored_pin = NULL, ca[PATH_MAX];
	const char *pin;
	uint8_t pk[PROTO_PK_BYTES], *sk = NULL;
	int rc, lockfd = -1;

	if ((rc = sync_lock(fs, NULL, 0, &lockfd)))
		return rc;
	if ((rc = fs_meta_get(fs, META_URL, &stored)) ||
	    (rc = fs_meta_get(fs, META_CACERT, &stored_ca)) ||
	    (rc = fs_meta_get(fs, META_PIN, &stored_pin)))
		goto out;
	if (!url)
		url = stored;
	else if (stored && strcmp(url, stored) == 0)
		url = stored; /* the same server: its pin still holds */
	if (!cacert)
		cacert = stored_ca;
	if (!url) {
		rc = fs_fail(fs, FIELDSYNC_E_NOT_ENROLLED, "this store was "
			     "never enrolled: give the server URL, or use "
			     "`fieldsync enroll URL TOKEN`");
		goto out;
	}
	pin = url == stored && stored_pin ? stored_pin : "";
	if (!(sk = sodium_malloc(PROTO_SK_BYTES))) {
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto out;
	}
	/* The new key pair is on disk before the server hears of it, and
	** the store changes only once the server has enrolled it: a crash or
	** a refusal anywhere leaves the store as it was, and a retry reuses
	** the staged key (already_enrolled is then a success). */
	if ((rc = fs_identity_stage(fs, pk, sk)) ||
	    (rc = enroll_key(fs, url, token, cacert, pin, pk, ca)))
		goto out;
	if ((rc = fs_begin(fs)))
		goto out;
	if ((rc = switch_identity(fs, pk, url, ca)) ||
	    (rc = fs_meta_set(fs, META_PIN, pin)) || (rc = fs_commit(fs))) {
		fs_rollback(fs);
		goto out;
	}
	if ((rc = fs_identity_install(fs)))
		goto out;
	fs_ok(fs);
out:
	if (sk)
		sodium_free(sk);
	free(stored);
	free(stored_ca);
	free(stored_pin);
	sync_unlock(lockfd);
	return rc;
}

int fieldsync_enroll_link(fieldsync *fs, const char *link,
			  const char *cacert)
{
	proto_link l;
	proto_err err;
	int rc;

	if (proto_link_parse(link, &l, &err) != PROTO_OK)
		return fs_fail_field(fs, FIELDSYNC_E_USAGE, "link",
				     _("%s; nothing changed"), err.msg);
	if (l.pin[0] && cacert)
		rc = fs_fail_field(fs, FIELDSYNC_E_USAGE, "cacert", _("the "
				   "link pins the server's certificate, so "
				   "--cacert is not needed (and not used): "
				   "leave it out"));
	else
		rc = enroll(fs, l.url, l.token, cacert, l.pin);
	sodium_memzero(&l, sizeof l);
	return rc;
}

int fieldsync_sync_status(fieldsync *fs, cJSON **out)
{
	char *url = NULL, *err = NULL, *old = NULL;
	long long last_sync, holds, local_seq, clone = 0;
	sqlite3_stmt *st = NULL;
	cJSON *o, *arr;
	int rc;

	*out = NULL;
	if ((rc = fs_meta_get(fs, META_URL, &url)) ||
	    (rc = fs_meta_get(fs, META_LAST_ERROR, &err)) ||
	    (rc = meta_ll(fs, META_LAST_SYNC, &last_sync)) ||
	    (rc = meta_ll(fs, META_HOLDS, &holds)) ||
	    (rc = meta_ll(fs, META_LAST_SEQ, &local_seq)))
		goto out;
	o = cJSON_CreateObject();
	if (!o) {
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto out;
	}
	if (url)
		cJSON_AddStringToObject(o, "server", url);
	else
		cJSON_AddNullToObject(o, "server");
	cJSON_AddBoolToObject(o, "enrolled", url != NULL);
	cJSON_AddNumberToObject(o, "last_sync_ms", (double)last_sync);
	cJSON_AddNumberToObject(o, "holds", (double)holds);
	cJSON_AddNumberToObject(o, "local_seq", (double)local_seq);
	cJSON_AddNumberToObject(o, "pending",
				(double)count_ll(fs, "SELECT count(*) FROM "
						 "outbox"));
	cJSON_AddStringToObject(o, "last_error", err ? err : "");
	if ((rc = meta_ll(fs, META_CLONE, &clone)) ||
	    (rc = fs_meta_get(fs, META_OLD_DEVICE, &old))) {
		cJSON_Delete(o);
		goto out;
	}
	if (clone) {
		/* Another copy uses this identity (SPEC 11.3). */
		cJSON *c = cJSON_AddObjectToObject(o, "clone");
		cJSON_AddNumberToObject(c, "seq", (double)clone);
		clone_fail(fs, clone);
		cJSON_AddStringToObject(c, "message", fs->msg);
	} else {
		cJSON_AddNullToObject(o, "clone");
	}
	if (old)
		cJSON_AddStringToObject(o, "replaced_device", old);
	arr = cJSON_AddArrayToObject(o, "refused");
	if (sqlite3_prepare_v2(fs->db, "SELECT record_id, code, message, "
			       "at_ms FROM refused ORDER BY n", -1, &st,
			       NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(
				r, "record",
				(const char *)sqlite3_column_text(st, 0));
			cJSON_AddStringToObject(
				r, "code",
				(const char *)sqlite3_column_text(st, 1));
			cJSON_AddStringToObject(
				r, "message",
				(const char *)sqlite3_column_text(st, 2));
			cJSON_AddNumberToObject(
				r, "at_ms", (double)sqlite3_column_int64(st, 3));
			cJSON_AddItemToArray(arr, r);
		}
	}
	sqlite3_finalize(st);
	*out = o;
	fs_ok(fs);
out:
	free(url);
	free(err);
	free(old);
	return rc;
}

int fieldsync_record_pending(fieldsync *fs, const char *id)
{
	sqlite3_stmt *st = NULL;
	int pending = 0;

	if (sqlite3_prepare_v2(fs->db, "SELECT 1 FROM outbox WHERE record_id "
			       "= ? LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		pending = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return pending;
}

int fieldsync_dump(fieldsync *fs, fieldsync_line_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(fs->db, "SELECT id, state FROM records ORDER "
				"BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the records");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *text = (const char *)sqlite3_column_text(st, 1);
		cJSON *state = NULL;
		proto_err err;
		char *line;
		if (proto_json_parse(text, strlen(text), &state, &err) !=
		    PROTO_OK) {
			sqlite3_finalize(st);
			return fs_fail(fs, FIELDSYNC_E_CORRUPT, "record %s: "
				       "stored state damaged: %s", id, err.msg);
		}
		line = proto_state_canonical(id, state);
		cJSON_Delete(state);
		if (!line) {
			sqlite3_finalize(st);
			return fs_fail(fs, FIELDSYNC_E_CORRUPT, "record %s: "
				       "stored state damaged", id);
		}
		fn(ctx, line);
		free(line);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fs_sqlfail(fs, rc, "cannot read the records");
	fs_ok(fs);
	return FIELDSYNC_OK;
}
