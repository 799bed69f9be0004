/*
** This file contains `fieldsync ui`, the field app: a local web app served
** by the client on 127.0.0.1 (libmicrohttpd), its pages embedded in the
** binary (client/ui/assets/), everything done through libfieldsync's public
** header. It works with the network cable pulled: nothing is loaded from
** another host.
**
** A local web app is a server, so it keeps the rules of one:
**   - it listens on 127.0.0.1 only and refuses a peer that is not loopback;
**   - each launch makes a random secret; the URL it prints carries it once
**     (/login?k=SECRET), which becomes an HttpOnly, SameSite=Strict cookie
**     (fs_ui_PORT); every other request without that cookie gets 403;
**   - a request whose Host is not 127.0.0.1:PORT or localhost:PORT gets
**     421 (a DNS-rebinding page cannot use the app);
**   - a POST must come from the app's own origin (Origin, else Referer),
**     carry the per-launch CSRF token in X-CSRF-Token (the page reads it
**     from /api/state, which another origin cannot read), and be JSON.
**
** One thread answers requests (MHD's internal polling thread), so the one
** store handle is never used by two threads; a sync runs in a thread of
** its own with its own handle, and the pages poll its progress.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <microhttpd.h>

#include "fieldsync.h"
#include "ui.h"
#include "protocol/i18n.h"

#define UI_MAX_BODY (256 * 1024)
#define UI_MAX_FIELDS 64

typedef struct app {
	char dir[PATH_MAX];
	fieldsync *fs;           /* NULL until the store exists */
	char secret[65];         /* in the URL once, then the cookie */
	char csrf[65];
	char cookie_name[32];
	char host_ip[32], host_name[32];   /* "127.0.0.1:PORT" */
	char origin_ip[48], origin_name[48]; /* "http://127.0.0.1:PORT" */
	unsigned port;
	/* The background sync, guarded by lock. */
	pthread_mutex_t lock;
	int sync_running;
	int sync_done;           /* a result is there */
	pthread_t sync_thread;
	int sync_joinable;
	fieldsync_progress prog;
	char phase[16];
	int sync_rc;
	char sync_msg[600];
	fieldsync_sync_report rep;
	long long sync_end_ms;
	char lang[8];            /* the page's language: "vi", "lo", "en" */
} app;

typedef struct req {
	char *body;
	size_t len, cap;
	int too_big;
	int refused;             /* answered at the first call */
} req;

static volatile sig_atomic_t stop_requested;

/* Set the language of fs (NULL: of this process): lang is one the library
** named supported, so this cannot fail; if it ever did, text stays in the
** previous language, which is harmless. */
static void use_language(fieldsync *fs, const char *lang)
{
	if (fieldsync_set_language(fs, lang) != FIELDSYNC_OK)
		return;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int random_hex(char out[65])
{
	unsigned char b[32];
	size_t got = 0;

	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* Constant-time comparison of a presented secret with ours. */
static int secret_eq(const char *given, const char *want)
{
	size_t n = strlen(want);
	unsigned char d = 0;

	if (!given || strlen(given) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(given[i] ^ want[i]);
	return d == 0;
}

/* ---- responses ---------------------------------------------------------- */

static enum MHD_Result send_bytes(struct MHD_Connection *c, unsigned status,
				  const char *ctype, const void *data,
				  size_t len, enum MHD_ResponseMemoryMode mode,
				  const char *cookie, const char *location)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)data, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; "
				"frame-ancestors 'none'; form-action 'self'");
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	if (location)
		MHD_add_response_header(r, "Location", location);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
				 cJSON *obj)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
	enum MHD_Result ret;

	cJSON_Delete(obj);
	if (!text) {
		static const char oom[] = "{\"error\":\"nomem\",\"message\":"
					  "\"out of memory\"}";
		return send_bytes(c, 503, "application/json", oom,
				  sizeof oom - 1, MHD_RESPMEM_PERSISTENT,
				  NULL, NULL);
	}
	ret = send_bytes(c, status, "application/json; charset=utf-8", text,
			 strlen(text), MHD_RESPMEM_MUST_FREE, NULL, NULL);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
				  const char *code, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", code);
	cJSON_AddStringToObject(o, "message", msg);
	return send_json(c, status, o);
}

/* A library failure: status from the code, the library's message. */
static enum MHD_Result send_fs_error(struct MHD_Connection *c, app *a, int rc)
{
	cJSON *o = cJSON_CreateObject();
	const char *field = fieldsync_errfield(a->fs);
	unsigned st = rc == FIELDSYNC_E_NOT_FOUND ? 404 :
		      rc <= FIELDSYNC_E_INVALID ? 422 :
		      rc == FIELDSYNC_E_AMBIGUOUS ? 409 :
		      rc == FIELDSYNC_E_BUSY ? 503 : 500;

	cJSON_AddStringToObject(o, "error", fieldsync_status_name(rc));
	cJSON_AddStringToObject(o, "message", fieldsync_errmsg(a->fs));
	if (field)
		cJSON_AddStringToObject(o, "field", field);
	return send_json(c, st, o);
}

/* ---- the background sync ------------------------------------------------ */

static void on_progress(void *ctx, const fieldsync_progress *p)
{
	app *a = ctx;

	pthread_mutex_lock(&a->lock);
	a->prog = *p;
	snprintf(a->phase, sizeof a->phase, "%s", p->phase ? p->phase : "");
	a->prog.phase = NULL;
	pthread_mutex_unlock(&a->lock);
}

static void *sync_thread(void *ctx)
{
	app *a = ctx;
	fieldsync *fs = NULL;
	fieldsync_sync_opts opts;
	fieldsync_sync_report rep;
	int rc;
	char msg[600] = "";

	memset(&opts, 0, sizeof opts);
	memset(&rep, 0, sizeof rep);
	opts.progress = on_progress;
	opts.progress_ctx = a;
	if (getenv("FIELDSYNC_STALL_SECONDS"))
		opts.stall_timeout_s = atol(getenv("FIELDSYNC_STALL_SECONDS"));
	rc = fieldsync_open(a->dir, &fs);
	if (rc == FIELDSYNC_OK) {
		pthread_mutex_lock(&a->lock);
		use_language(fs, a->lang);
		pthread_mutex_unlock(&a->lock);
		rc = fieldsync_sync(fs, &opts, &rep);
	}
	snprintf(msg, sizeof msg, "%s", fieldsync_errmsg(fs));
	fieldsync_close(fs);
	pthread_mutex_lock(&a->lock);
	a->sync_rc = rc;
	snprintf(a->sync_msg, sizeof a->sync_msg, "%s", msg);
	a->rep = rep;
	a->sync_running = 0;
	a->sync_done = 1;
	a->sync_end_ms = now_ms();
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* The outcome in a word the page turns into a sentence. */
static const char *outcome(int rc)
{
	switch (rc) {
	case FIELDSYNC_OK: return "synced";
	case FIELDSYNC_E_UNREACHABLE: return "unreachable";
	case FIELDSYNC_E_REFUSED: return "refused";
	case FIELDSYNC_E_NOT_ENROLLED: return "not_enrolled";
	default: return "failed";
	}
}

static cJSON *sync_json(app *a)
{
	cJSON *o = cJSON_CreateObject(), *p, *r;

	pthread_mutex_lock(&a->lock);
	cJSON_AddBoolToObject(o, "running", a->sync_running);
	p = cJSON_AddObjectToObject(o, "progress");
	cJSON_AddStringToObject(p, "phase", a->phase);
	cJSON_AddNumberToObject(p, "pushed", (double)a->prog.pushed);
	cJSON_AddNumberToObject(p, "to_push", (double)a->prog.to_push);
	cJSON_AddNumberToObject(p, "pulled", (double)a->prog.pulled);
	cJSON_AddNumberToObject(p, "bytes_up", (double)a->prog.bytes_up);
	cJSON_AddNumberToObject(p, "bytes_down", (double)a->prog.bytes_down);
	if (a->sync_done) {
		r = cJSON_AddObjectToObject(o, "result");
		cJSON_AddStringToObject(r, "outcome", outcome(a->sync_rc));
		cJSON_AddStringToObject(r, "code",
					fieldsync_status_name(a->sync_rc));
		cJSON_AddStringToObject(r, "message", a->sync_msg);
		cJSON_AddStringToObject(r, "warning", a->rep.warning);
		cJSON_AddNumberToObject(r, "pushed", (double)a->rep.pushed_changes);
		cJSON_AddNumberToObject(r, "pulled", (double)a->rep.pulled_changes);
		cJSON_AddNumberToObject(r, "refused",
					(double)a->rep.refused_changes);
		cJSON_AddNumberToObject(r, "bytes_up", (double)a->rep.bytes_up);
		cJSON_AddNumberToObject(r, "bytes_down",
					(double)a->rep.bytes_down);
		cJSON_AddNumberToObject(r, "finished_ms", (double)a->sync_end_ms);
	}
	pthread_mutex_unlock(&a->lock);
	return o;
}

static enum MHD_Result start_sync(struct MHD_Connection *c, app *a)
{
	int busy;

	pthread_mutex_lock(&a->lock);
	busy = a->sync_running;
	if (!busy) {
		if (a->sync_joinable)
			pthread_join(a->sync_thread, NULL);
		a->sync_joinable = 0;
		memset(&a->prog, 0, sizeof a->prog);
		snprintf(a->phase, sizeof a->phase, "auth");
		a->sync_running = 1;
		a->sync_done = 0;
		if (pthread_create(&a->sync_thread, NULL, sync_thread, a) == 0) {
			a->sync_joinable = 1;
		} else {
			a->sync_running = 0;
			busy = -1;
		}
	}
	pthread_mutex_unlock(&a->lock);
	if (busy < 0)
		return send_error(c, 503, "no_thread",
				  _("cannot start the sync; try again"));
	return send_json(c, busy ? 200 : 202, sync_json(a));
}

/* ---- requests ----------------------------------------------------------- */

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static const char *query(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static int peer_is_loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)
			>> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

static int host_ok(app *a, struct MHD_Connection *c)
{
	const char *h = header(c, "Host");

	return h && (strcmp(h, a->host_ip) == 0 ||
		     strcmp(h, a->host_name) == 0);
}

/* A POST from the app's own pages: same origin and the CSRF token. */
static int same_origin(app *a, struct MHD_Connection *c)
{
	const char *o = header(c, "Origin");
	const char *ref = header(c, "Referer");
	const char *tok = header(c, "X-CSRF-Token");
	size_t li = strlen(a->origin_ip), ln = strlen(a->origin_name);

	if (o) {
		if (strcmp(o, a->origin_ip) != 0 &&
		    strcmp(o, a->origin_name) != 0)
			return 0;
	} else if (!ref || !((strncmp(ref, a->origin_ip, li) == 0 &&
			      ref[li] == '/') ||
			     (strncmp(ref, a->origin_name, ln) == 0 &&
			      ref[ln] == '/'))) {
		return 0;
	}
	return secret_eq(tok, a->csrf);
}

/* The form's fields from {"fields":{name:text,...}}; texts stay owned by
** the tree. */
static int form_fields(const cJSON *body, fieldsync_field *f, size_t *n,
		       const char **bad)
{
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(body, "fields");
	const cJSON *it;

	*n = 0;
	*bad = NULL;
	if (!cJSON_IsObject(fields))
		return -1;
	cJSON_ArrayForEach(it, fields) {
		if (!cJSON_IsString(it) || *n == UI_MAX_FIELDS) {
			*bad = it->string;
			return -1;
		}
		f[*n].name = it->string;
		f[*n].text = it->valuestring;
		(*n)++;
	}
	return 0;
}

static const char *jstr(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static int open_store(app *a)
{
	if (a->fs)
		return FIELDSYNC_OK;
	if (fieldsync_open(a->dir, &a->fs) != FIELDSYNC_OK) {
		fieldsync_close(a->fs);
		a->fs = NULL;
		return -1;
	}
	use_language(a->fs, a->lang);
	return FIELDSYNC_OK;
}

/* The page says its language in X-Lang (or ?lang=); messages of the
** library and of this file follow it. An unknown one is ignored. */
static void take_language(app *a, struct MHD_Connection *c)
{
	const char *l = header(c, "X-Lang");

	if (!l)
		l = query(c, "lang");
	if (!l || !fieldsync_language_name(l) || strlen(l) >= sizeof a->lang ||
	    strcmp(l, a->lang) == 0)
		return;
	pthread_mutex_lock(&a->lock);
	snprintf(a->lang, sizeof a->lang, "%s", l);
	pthread_mutex_unlock(&a->lock);
	use_language(NULL, a->lang);
	if (a->fs)
		use_language(a->fs, a->lang);
}

static enum MHD_Result api_state(struct MHD_Connection *c, app *a)
{
	cJSON *o = cJSON_CreateObject(), *st = NULL, *sy = NULL, *nt = NULL;

	cJSON_AddStringToObject(o, "csrf", a->csrf);
	if (open_store(a) != FIELDSYNC_OK) {
		cJSON_AddBoolToObject(o, "initialised", 0);
		cJSON_AddStringToObject(o, "dir", a->dir);
		return send_json(c, 200, o);
	}
	cJSON_AddBoolToObject(o, "initialised", 1);
	if (fieldsync_status_get(a->fs, &st) == FIELDSYNC_OK)
		cJSON_AddItemToObject(o, "status", st);
	if (fieldsync_sync_status(a->fs, &sy) == FIELDSYNC_OK)
		cJSON_AddItemToObject(o, "sync", sy);
	/* Unread news about this device's records, in the page's language:
	** the home page shows them until they are marked read. */
	if (fieldsync_notices(a->fs, 0, &nt) == FIELDSYNC_OK)
		cJSON_AddItemToObject(o, "notices", nt);
	cJSON_AddItemToObject(o, "running", sync_json(a));
	return send_json(c, 200, o);
}

static enum MHD_Result api_records(struct MHD_Connection *c, app *a)
{
	fieldsync_filter f;
	cJSON *out = NULL;
	int rc;

	memset(&f, 0, sizeof f);
	f.kind = query(c, "kind");
	f.text = query(c, "q");
	f.province = query(c, "province");
	f.sector = query(c, "sector");
	f.from = query(c, "from");
	f.to = query(c, "to");
	if ((rc = fieldsync_find(a->fs, &f, &out)))
		return send_fs_error(c, a, rc);
	return send_json(c, 200, out);
}

static enum MHD_Result api_record(struct MHD_Connection *c, app *a)
{
	const char *id = query(c, "id");
	cJSON *out = NULL;
	char title[400];
	int rc;

	if (!id || !*id)
		return send_error(c, 400, "usage", _("id is missing"));
	if ((rc = fieldsync_show(a->fs, id, &out)))
		return send_fs_error(c, a, rc);
	cJSON_AddStringToObject(out, "title",
				fieldsync_title(out, title, sizeof title));
	return send_json(c, 200, out);
}

/* Every change of a record, for its page. */
static enum MHD_Result api_history(struct MHD_Connection *c, app *a)
{
	const char *id = query(c, "id");
	cJSON *out = NULL;
	int rc;

	if (!id || !*id)
		return send_error(c, 400, "usage", _("id is missing"));
	if ((rc = fieldsync_history(a->fs, id, &out)))
		return send_fs_error(c, a, rc);
	return send_json(c, 200, out);
}

/* Mark notice n read ({"n": N}; 0 or absent: all); answers the state. */
static enum MHD_Result api_notices_read(struct MHD_Connection *c, app *a,
					const cJSON *body)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "n");
	double v = cJSON_IsNumber(n) ? n->valuedouble : 0;
	int rc;

	if ((n && !cJSON_IsNumber(n)) || v < 0 || v > 9e15 ||
	    v != (double)(long long)v)
		return send_error(c, 400, "usage", _("n must be a notice's "
				  "number, or 0 for all"));
	if ((rc = fieldsync_notices_read(a->fs, (long long)v, NULL)))
		return send_fs_error(c, a, rc);
	return api_state(c, a);
}

static enum MHD_Result api_save(struct MHD_Connection *c, app *a,
				const cJSON *body, int check_only)
{
	fieldsync_field f[UI_MAX_FIELDS];
	size_t n;
	const char *bad, *kind = jstr(body, "kind"), *id = jstr(body, "id");
	int confirm = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body,
							"confirm"));
	char newid[FIELDSYNC_ID_SIZE];
	cJSON *res = NULL, *o;
	int rc;

	if (form_fields(body, f, &n, &bad))
		return send_error(c, 400, "usage", bad ? "every field value "
				  "must be text" : "\"fields\" must be an "
				  "object of field name to text");
	if (id && !*id)
		id = NULL;
	if (!id && !kind)
		return send_error(c, 400, "usage", _("give kind (new record) "
				  "or id (edit)"));
	if ((rc = fieldsync_form_check(a->fs, kind, id, f, n, &res)))
		return send_fs_error(c, a, rc);
	if (check_only)
		return send_json(c, 200, res);
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res,
							"errors")) > 0)
		return send_json(c, 422, res);
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res,
					"warnings")) > 0 && !confirm)
		return send_json(c, 409, res);
	cJSON_Delete(res);
	if (id && n == 0) {
		if ((rc = fieldsync_resolve(a->fs, id, newid)))
			return send_fs_error(c, a, rc);
	} else if (id) {
		rc = fieldsync_edit(a->fs, id, f, n, newid);
	} else {
		rc = fieldsync_add(a->fs, kind, f, n, newid);
	}
	if (rc)
		return send_fs_error(c, a, rc);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", newid);
	cJSON_AddBoolToObject(o, "saved", 1);
	return send_json(c, id ? 200 : 201, o);
}

static enum MHD_Result api_delete(struct MHD_Connection *c, app *a,
				  const cJSON *body)
{
	const char *id = jstr(body, "id");
	char full[FIELDSYNC_ID_SIZE];
	cJSON *o;
	int rc;

	if (!id || !*id)
		return send_error(c, 400, "usage", _("id is missing"));
	if ((rc = fieldsync_delete(a->fs, id, jstr(body, "reason"), full)))
		return send_fs_error(c, a, rc);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", full);
	cJSON_AddBoolToObject(o, "deleted", 1);
	return send_json(c, 200, o);
}

/* Restore a deleted record or retract an observation (SPEC 9.3), with the
** reason the person gave. */
static enum MHD_Result api_unwrite(struct MHD_Connection *c, app *a,
				   const cJSON *body, int retract)
{
	const char *id = jstr(body, "id"), *reason = jstr(body, "reason");
	char full[FIELDSYNC_ID_SIZE];
	cJSON *o;
	int rc;

	if (!id || !*id)
		return send_error(c, 400, "usage", _("id is missing"));
	rc = retract ? fieldsync_retract(a->fs, id, reason, full)
		     : fieldsync_undelete(a->fs, id, reason, full);
	if (rc)
		return send_fs_error(c, a, rc);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", full);
	cJSON_AddBoolToObject(o, retract ? "retracted" : "restored", 1);
	return send_json(c, 200, o);
}

static enum MHD_Result api_init(struct MHD_Connection *c, app *a,
				const cJSON *body)
{
	const char *name = jstr(body, "name");
	int rc;

	if (a->fs)
		return send_error(c, 409, "exists", _("this device is already "
				  "set up"));
	if (!name)
		name = "";
	rc = fieldsync_init(a->dir, name, &a->fs);
	if (rc == FIELDSYNC_OK)
		use_language(a->fs, a->lang);
	if (rc != FIELDSYNC_OK) {
		enum MHD_Result r = send_fs_error(c, a, rc);
		fieldsync_close(a->fs);
		a->fs = NULL;
		return r;
	}
	return api_state(c, a);
}

static enum MHD_Result api_enroll(struct MHD_Connection *c, app *a,
				  const cJSON *body)
{
	const char *link = jstr(body, "link");
	int rc;

	if (!link || !*link)
		return send_error(c, 400, "usage", _("paste the enrollment link "
				  "HQ gave you"));
	rc = fieldsync_enroll_link(a->fs, link, NULL);
	if (rc != FIELDSYNC_OK) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", fieldsync_status_name(rc));
		cJSON_AddStringToObject(o, "message", fieldsync_errmsg(a->fs));
		return send_json(c, rc == FIELDSYNC_E_USAGE ? 422 : 502, o);
	}
	return api_state(c, a);
}

static enum MHD_Result serve_asset(struct MHD_Connection *c, const char *url)
{
	const ui_asset *as = ui_asset_find(strcmp(url, "/") == 0 ?
					   "/index.html" : url);

	if (!as)
		return send_error(c, 404, "not_found", _("no such page"));
	return send_bytes(c, 200, as->ctype, as->bytes, as->len,
			  MHD_RESPMEM_PERSISTENT, NULL, NULL);
}

static const char forbidden_page[] =
	"<!doctype html><meta charset=utf-8><title>fieldsync</title>"
	"<p>Mở ứng dụng bằng đường dẫn mà lệnh <code>fieldsync ui</code> đã "
	"in ra.</p><p>ເປີດແອັບດ້ວຍລິ້ງທີ່ຄຳສັ່ງ <code>fieldsync ui</code> "
	"ພິມອອກ.</p><p>Open the app with the link that "
	"<code>fieldsync ui</code> printed.</p>";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	app *a = cls;
	req *q = *con_cls;
	const char *cookie;
	cJSON *body = NULL;
	enum MHD_Result ret;
	int is_post = strcmp(method, "POST") == 0;

	(void)version;
	if (!q) {
		if (!(q = calloc(1, sizeof *q)))
			return MHD_NO;
		*con_cls = q;
		if (!peer_is_loopback(c))
			return MHD_NO;
		if (!host_ok(a, c)) {
			q->refused = 1;
			return send_error(c, 421, "wrong_host", _("this app "
					  "answers only at 127.0.0.1 or "
					  "localhost on its own port"));
		}
		if (strcmp(method, "GET") == 0 && strcmp(url, "/login") == 0) {
			char ck[200];
			q->refused = 1;
			if (!secret_eq(query(c, "k"), a->secret))
				return send_bytes(c, 403, "text/html; "
					"charset=utf-8", forbidden_page,
					sizeof forbidden_page - 1,
					MHD_RESPMEM_PERSISTENT, NULL, NULL);
			snprintf(ck, sizeof ck, "%s=%s; Path=/; HttpOnly; "
				 "SameSite=Strict", a->cookie_name, a->secret);
			return send_bytes(c, 303, "text/plain", "", 0,
					  MHD_RESPMEM_PERSISTENT, ck, "/");
		}
		cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
						     a->cookie_name);
		if (!secret_eq(cookie, a->secret)) {
			q->refused = 1;
			if (strncmp(url, "/api/", 5) == 0)
				return send_error(c, 403, "no_session",
						  _("open the app with the link "
						  "fieldsync ui printed"));
			return send_bytes(c, 403, "text/html; charset=utf-8",
					  forbidden_page,
					  sizeof forbidden_page - 1,
					  MHD_RESPMEM_PERSISTENT, NULL, NULL);
		}
		if (is_post) {
			const char *ct = header(c, "Content-Type");
			if (!same_origin(a, c)) {
				q->refused = 1;
				return send_error(c, 403, "cross_origin",
						  _("a change must come from "
						  "the app's own pages"));
			}
			if (!ct || strncasecmp(ct, "application/json", 16)) {
				q->refused = 1;
				return send_error(c, 415, "wrong_content_type",
						  _("send application/json"));
			}
		} else if (strcmp(method, "GET") != 0 &&
			   strcmp(method, "HEAD") != 0) {
			q->refused = 1;
			return send_error(c, 405, "wrong_method",
					  _("allowed: GET, POST"));
		}
		return MHD_YES;
	}
	if (q->refused) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (!*upload_size)
		take_language(a, c);
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (q->too_big || q->len + n > UI_MAX_BODY) {
			q->too_big = 1;
			return MHD_YES;
		}
		if (q->len + n > q->cap) {
			size_t cap = q->cap ? q->cap : 4096;
			char *nb;
			while (cap < q->len + n)
				cap *= 2;
			if (!(nb = realloc(q->body, cap)))
				return MHD_NO;
			q->body = nb;
			q->cap = cap;
		}
		memcpy(q->body + q->len, upload, n);
		q->len += n;
		return MHD_YES;
	}
	if (!is_post) {
		if (strncmp(url, "/api/", 5) != 0)
			return serve_asset(c, url);
		if (strcmp(url, "/api/state") == 0)
			return api_state(c, a);
		if (strcmp(url, "/api/schema") == 0)
			return send_json(c, 200, fieldsync_schema_lang(a->lang));
		if (strcmp(url, "/api/sync") == 0)
			return send_json(c, 200, sync_json(a));
		if (open_store(a) != FIELDSYNC_OK)
			return send_error(c, 409, "not_init", _("set up this "
					  "device first"));
		if (strcmp(url, "/api/records") == 0)
			return api_records(c, a);
		if (strcmp(url, "/api/history") == 0)
			return api_history(c, a);
		if (strcmp(url, "/api/record") == 0)
			return api_record(c, a);
		return send_error(c, 404, "not_found", _("no such request"));
	}
	if (q->too_big)
		return send_error(c, 413, "body_too_large", _("the request is "
				  "too large"));
	body = cJSON_ParseWithLength(q->body ? q->body : "", q->len);
	if (!cJSON_IsObject(body)) {
		cJSON_Delete(body);
		return send_error(c, 400, "malformed_json",
				  _("the body must be a JSON object"));
	}
	if (strcmp(url, "/api/init") == 0) {
		ret = api_init(c, a, body);
	} else if (open_store(a) != FIELDSYNC_OK) {
		ret = send_error(c, 409, "not_init", _("set up this device "
				 "first"));
	} else if (strcmp(url, "/api/save") == 0) {
		ret = api_save(c, a, body, 0);
	} else if (strcmp(url, "/api/check") == 0) {
		ret = api_save(c, a, body, 1);
	} else if (strcmp(url, "/api/delete") == 0) {
		ret = api_delete(c, a, body);
	} else if (strcmp(url, "/api/undelete") == 0) {
		ret = api_unwrite(c, a, body, 0);
	} else if (strcmp(url, "/api/retract") == 0) {
		ret = api_unwrite(c, a, body, 1);
	} else if (strcmp(url, "/api/notices/read") == 0) {
		ret = api_notices_read(c, a, body);
	} else if (strcmp(url, "/api/sync") == 0) {
		ret = start_sync(c, a);
	} else if (strcmp(url, "/api/enroll") == 0) {
		ret = api_enroll(c, a, body);
	} else {
		ret = send_error(c, 404, "not_found", _("no such request"));
	}
	cJSON_Delete(body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	req *q = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

/* ---- command line ------------------------------------------------------- */

void ui_help(FILE *out)
{
	fprintf(out,
		"usage: fieldsync ui [--port N] [--no-browser] [--url-file FILE]\n"
		"\n"
		"Start the field app: forms for visits, trips, models and their\n"
		"progress, search, and sync, in Vietnamese, Lao or English. It\n"
		"listens on 127.0.0.1 only, prints the address to open (with a\n"
		"secret that is new at each start) and opens the browser.\n"
		"\n"
		"  --port N        listen on port N (default: a free port)\n"
		"  --no-browser    do not open the browser, only print the address\n"
		"  --url-file FILE also write the address to FILE (mode 0600)\n"
		"\n"
		"Stop it with Ctrl-C. Exit status: 0 stopped, 1 could not start,\n"
		"2 usage.\n");
}

static void open_browser(const char *url)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Detach: the browser outlives nothing of ours. */
		if (fork() == 0) {
			int fd = open("/dev/null", O_RDWR);
			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execlp("xdg-open", "xdg-open", url, (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int parse_port(const char *s, unsigned *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 65535)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int ui_main(const char *dir, int argc, char **argv)
{
	static app a;
	struct sockaddr_in sin;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	const char *url_file = NULL;
	char url[200];
	unsigned port = 0;
	int browser = 1;
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			ui_help(stdout);
			return 0;
		} else if (strcmp(argv[i], "--no-browser") == 0) {
			browser = 0;
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			if (parse_port(argv[++i], &port)) {
				fprintf(stderr, "fieldsync ui: --port: \"%s\" is "
					"not a port number (0 to 65535)\n",
					argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--url-file") == 0 && i + 1 < argc) {
			url_file = argv[++i];
		} else {
			fprintf(stderr, "fieldsync ui: unknown argument \"%s\"; "
				"allowed: --port N, --no-browser, --url-file "
				"FILE\n", argv[i]);
			return 2;
		}
	}
	memset(&a, 0, sizeof a);
	if (strlen(dir) >= sizeof a.dir) {
		fprintf(stderr, "fieldsync ui: data directory path too long\n");
		return 2;
	}
	snprintf(a.dir, sizeof a.dir, "%s", dir);
	snprintf(a.lang, sizeof a.lang, "%s", fieldsync_language(NULL));
	pthread_mutex_init(&a.lock, NULL);
	if (random_hex(a.secret) || random_hex(a.csrf)) {
		fprintf(stderr, "fieldsync ui: no random numbers: %s\n",
			strerror(errno));
		return 1;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, &a,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, &a,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "fieldsync ui: cannot listen on 127.0.0.1:%u: "
			"%s\n", port, port ? "the port is in use or not "
			"allowed (try another --port, or none)" :
			strerror(errno));
		return 1;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	a.port = di ? di->port : port;
	snprintf(a.cookie_name, sizeof a.cookie_name, "fs_ui_%u", a.port);
	snprintf(a.host_ip, sizeof a.host_ip, "127.0.0.1:%u", a.port);
	snprintf(a.host_name, sizeof a.host_name, "localhost:%u", a.port);
	snprintf(a.origin_ip, sizeof a.origin_ip, "http://127.0.0.1:%u",
		 a.port);
	snprintf(a.origin_name, sizeof a.origin_name, "http://localhost:%u",
		 a.port);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/login?k=%s", a.port,
		 a.secret);
	if (url_file) {
		FILE *f;
		int fd = open(url_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "fieldsync ui: cannot write %s: %s\n",
				url_file, strerror(errno));
			if (fd >= 0)
				close(fd);
			MHD_stop_daemon(d);
			return 1;
		}
		fprintf(f, "%s\n", url);
		fclose(f);
	}
	printf("fieldsync ui: open %s\n(Ctrl-C stops the app; your entries "
	       "are saved as you go.)\n", url);
	fflush(stdout);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (browser)
		open_browser(url);
	while (!stop_requested)
		pause();
	MHD_stop_daemon(d);
	pthread_mutex_lock(&a.lock);
	if (a.sync_joinable) {
		pthread_mutex_unlock(&a.lock);
		pthread_join(a.sync_thread, NULL);
	} else {
		pthread_mutex_unlock(&a.lock);
	}
	fieldsync_close(a.fs);
	return 0;
}
