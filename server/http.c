/*
** This file contains the libmicrohttpd glue (http.h). A request's life:
**
**   1st call    headers known: method, Content-Type (POST must be
**               application/json), Content-Encoding (identity or gzip),
**               Content-Length against the limit: refuse here, before any
**               body byte is read (no "100 Continue" is sent then).
**   data calls  the body is appended, or inflated as it arrives; every limit
**               is checked per piece, so a bomb stops at the first piece
**               that crosses a cap, never after.
**   last call   the API answers; the response is gzipped if accepted.
**   completed   one log line: device, method, path, status, bytes, ms.
**
** libmicrohttpd's own thread pool with epoll multiplexes connections, so a
** client trickling one byte a second costs a socket and a little memory,
** never a thread; idle connections are closed by CONNECTION_TIMEOUT.
*/
#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <zlib.h>
#include "hq.h"
#include "http.h"
#include "web.h"

#define GZIP_MIN_BYTES 1024
#define BUFFER_BUDGET (512u * 1024u * 1024u) /* body bytes held at once */
#define PEM_MAX (1024 * 1024)

typedef struct server {
	srv_ctx *ctx;
	const srv_http_opts *o;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned inflight;         /* requests between 1st call and completion */
	size_t buffered;           /* body bytes held by all requests */
} server;

typedef struct rq {
	int64_t start_ms;
	char method[8];
	char path[72];
	char *body;
	size_t len, cap, limit;    /* limit: max body (after inflation) */
	size_t wire;               /* bytes received as sent */
	size_t reserved;           /* counted in server.buffered */
	int gzip;
	int z_ready, z_end;
	z_stream z;
	int refused;               /* resp holds an error; ignore the rest */
	int queued;
	int early_tried;           /* tried to answer before the body's end */
	int web;                   /* a dashboard request (web.h) */
	size_t web_limit;          /* its body limit; 0: no body is read */
	char peer[INET6_ADDRSTRLEN]; /* client address as text, "" unknown */
	int status;
	size_t out_len;
	srv_resp resp;
} rq;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void refuse(rq *q, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void refuse(rq *q, int status, const char *code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (q->refused)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srv_resp_error(&q->resp, status, code, "%s", msg);
	q->refused = 1;
}

/* Reserve n more body bytes against the server-wide budget. */
static int reserve(server *sv, rq *q, size_t n)
{
	int ok;

	pthread_mutex_lock(&sv->lock);
	ok = sv->buffered + n <= BUFFER_BUDGET;
	if (ok) {
		sv->buffered += n;
		q->reserved += n;
	}
	pthread_mutex_unlock(&sv->lock);
	return ok;
}

static int grow(server *sv, rq *q, size_t need)
{
	size_t want;
	char *p;

	if (need <= q->cap)
		return 0;
	want = q->cap ? q->cap * 2 : 16384;
	while (want < need)
		want *= 2;
	if (want > q->limit + 1)
		want = q->limit + 1;
	if (want < need)
		return -1;
	if (!reserve(sv, q, want - q->cap)) {
		refuse(q, 503, "busy", "the server is holding too many large "
		       "requests; try again shortly");
		return -1;
	}
	p = realloc(q->body, want);
	if (!p) {
		refuse(q, 503, "busy", "out of memory; try again");
		return -1;
	}
	q->body = p;
	q->cap = want;
	return 0;
}

static void take_plain(server *sv, rq *q, const char *data, size_t n)
{
	if (q->len + n > q->limit) {
		refuse(q, 413, "body_too_large", "the request body is over "
		       "%zu bytes", q->limit);
		return;
	}
	if (grow(sv, q, q->len + n))
		return;
	memcpy(q->body + q->len, data, n);
	q->len += n;
}

static void take_gzip(server *sv, rq *q, const char *data, size_t n)
{
	int zr;

	if (!q->z_ready) {
		memset(&q->z, 0, sizeof(q->z));
		if (inflateInit2(&q->z, 16 + MAX_WBITS) != Z_OK) {
			refuse(q, 503, "busy", "out of memory; try again");
			return;
		}
		q->z_ready = 1;
	}
	if (q->z_end) {
		refuse(q, 400, "bad_encoding", "bytes after the end of the "
		       "gzip stream");
		return;
	}
	q->z.next_in = (Bytef *)(uintptr_t)data;
	q->z.avail_in = (uInt)n;
	while (q->z.avail_in > 0 && !q->refused) {
		if (q->len == q->cap &&
		    grow(sv, q, q->cap ? q->cap + 1 : 16384)) {
			if (!q->refused)
				refuse(q, 413, "inflated_too_large", "the "
				       "body inflates to over %u bytes",
				       PROTO_MAX_INFLATED);
			return;
		}
		q->z.next_out = (Bytef *)q->body + q->len;
		q->z.avail_out = (uInt)(q->cap - q->len);
		zr = inflate(&q->z, Z_NO_FLUSH);
		q->len = q->cap - q->z.avail_out;
		if (q->len > PROTO_MAX_INFLATED) {
			refuse(q, 413, "inflated_too_large", "the body inflates "
			       "to over %u bytes", PROTO_MAX_INFLATED);
			return;
		}
		if (q->len > (size_t)PROTO_MAX_INFLATE_RATIO * q->wire) {
			refuse(q, 413, "inflated_too_large", "the body inflates "
			       "more than %d times its compressed size",
			       PROTO_MAX_INFLATE_RATIO);
			return;
		}
		if (zr == Z_STREAM_END) {
			q->z_end = 1;
			if (q->z.avail_in)
				refuse(q, 400, "bad_encoding", "bytes after the "
				       "end of the gzip stream");
			return;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			refuse(q, 400, "bad_encoding", "the body is not valid "
			       "gzip (%s)", q->z.msg ? q->z.msg : "error");
			return;
		}
	}
}

static int header_is(const char *v, const char *want)
{
	size_t n = strlen(want);

	return v && strncasecmp(v, want, n) == 0 &&
	       (v[n] == 0 || v[n] == ';' || v[n] == ' ');
}

/* Checks on the headers alone, before any body byte. */
static void check_headers(struct MHD_Connection *c, rq *q)
{
	const char *ct, *ce, *cl;
	char *end;
	unsigned long long n;

	if (strcmp(q->method, "POST") != 0 ||
	    (q->web ? !q->web_limit : !srv_api_takes_body(q->path)))
		return;
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if (!header_is(ct, "application/json")) {
		refuse(q, 415, "wrong_content_type", "POST bodies must be "
		       "\"Content-Type: application/json\", not \"%.64s\"",
		       ct ? ct : "(none)");
		return;
	}
	ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					 "Content-Encoding");
	if (ce && strcasecmp(ce, "gzip") == 0) {
		q->gzip = 1;
	} else if (ce && strcasecmp(ce, "identity") != 0) {
		refuse(q, 415, "unsupported_encoding", "Content-Encoding "
		       "\"%.32s\" is not supported; use gzip or none", ce);
		return;
	}
	q->limit = q->web ? q->web_limit : q->gzip ? PROTO_MAX_INFLATED :
		   PROTO_MAX_BODY_BYTES;
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (cl) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (!errno && *end == 0 && n > (q->web ? q->web_limit :
						PROTO_MAX_BODY_BYTES))
			refuse(q, 413, "body_too_large", "the request body is "
			       "%llu bytes; the limit is %zu", n,
			       q->web ? q->web_limit :
			       (size_t)PROTO_MAX_BODY_BYTES);
	}
}

static int accepts_gzip(struct MHD_Connection *c)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Accept-Encoding");
	const char *p = ae ? strstr(ae, "gzip") : NULL;

	/* "gzip;q=0" declines it. */
	return p && strncmp(p + 4, ";q=0", 4) != 0;
}

/* gzip body into a new malloc'd buffer; NULL if not smaller or on error. */
static char *gzip_body(const char *in, size_t n, size_t *outlen)
{
	z_stream z;
	char *out;
	size_t cap = compressBound((uLong)n) + 64;

	*outlen = 0;
	out = malloc(cap);
	if (!out)
		return NULL;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= n) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static enum MHD_Result respond(struct MHD_Connection *c, rq *q)
{
	struct MHD_Response *r;
	char *body, *gz = NULL;
	size_t len, gzlen = 0;
	enum MHD_Result ret;

	len = q->resp.len;
	body = malloc(len ? len : 1);
	if (!body)
		return MHD_NO;
	memcpy(body, q->resp.body, len);
	if (len >= GZIP_MIN_BYTES && accepts_gzip(c))
		gz = gzip_body(body, len, &gzlen);
	if (gz) {
		free(body);
		body = gz;
		len = gzlen;
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", q->resp.ctype ?
				q->resp.ctype : "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (q->resp.web) {
		/* The pages use no inline script or style and no other host. */
		MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'self'; "
					"frame-ancestors 'none'");
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
		if (q->resp.cookie[0])
			MHD_add_response_header(r, "Set-Cookie",
						q->resp.cookie);
	}
	MHD_add_response_header(r, "Vary", "Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, "Content-Encoding", "gzip");
	if (q->resp.status == 503)
		MHD_add_response_header(r, "Retry-After", "5");
	else if (q->resp.retry_after[0])
		MHD_add_response_header(r, "Retry-After", q->resp.retry_after);
	if (q->resp.status == 405 && q->resp.allow)
		MHD_add_response_header(r, "Allow", q->resp.allow);
	else if (q->resp.status == 405)
		MHD_add_response_header(r, "Allow", strstr(q->path, "pull") ||
					strstr(q->path, "health") ||
					strstr(q->path, "devices") ? "GET" : "POST");
	ret = MHD_queue_response(c, (unsigned)q->resp.status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES) {
		q->queued = 1;
		q->status = q->resp.status;
		q->out_len = len;
	}
	return ret;
}

static void copy_clean(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < dstsz; i++)
		dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = 0;
}

/* Remembers a query parameter other than after and limit. */
static enum MHD_Result other_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	const char **unknown = cls;

	(void)kind;
	(void)value;
	if (strcmp(key, "after") != 0 && strcmp(key, "limit") != 0 &&
	    strcmp(key, "own") != 0 && !*unknown)
		*unknown = key;
	return MHD_YES;
}

/* Collects the query parameters of a dashboard request. */
static enum MHD_Result web_arg(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	srv_web_req *w = cls;

	(void)kind;
	if (w->nargs == SRV_WEB_MAX_ARGS) {
		w->too_many_args = 1;
		return MHD_NO;
	}
	w->args[w->nargs][0] = key;
	w->args[w->nargs++][1] = value;
	return MHD_YES;
}

static void web_answer(server *sv, struct MHD_Connection *c, rq *q,
		       const char *url, const char *method)
{
	srv_web_req w;

	memset(&w, 0, sizeof(w));
	w.method = method;
	w.path = url;
	w.cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
					       SRV_WEB_COOKIE);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, web_arg, &w);
	w.body = q->body;
	w.body_len = q->len;
	w.peer = q->peer;
	srv_web_handle(sv->ctx, &w, &q->resp);
}

/* The client's address as text ("127.0.0.1", "::1"), for per-address
** limits and the log; "" when libmicrohttpd does not say. */
static void peer_text(struct MHD_Connection *c, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	out[0] = '\0';
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  out, (socklen_t)outsz);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	server *sv = cls;
	rq *q = *con_cls;
	srv_req req;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->start_ms = mono_ms();
		copy_clean(q->method, sizeof(q->method), method);
		copy_clean(q->path, sizeof(q->path), url);
		q->limit = PROTO_MAX_BODY_BYTES;
		if (sv->ctx->web && srv_web_path(url)) {
			q->web = 1;
			q->web_limit = srv_web_body_limit(q->method, url);
		}
		peer_text(c, q->peer, sizeof(q->peer));
		*con_cls = q;
		pthread_mutex_lock(&sv->lock);
		sv->inflight++;
		pthread_mutex_unlock(&sv->lock);
		check_headers(c, q);
		if (q->refused)
			return respond(c, q);
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		q->wire += n;
		if (q->queued)
			return MHD_YES;
		if (!q->refused && mono_ms() - q->start_ms >
				   (int64_t)sv->o->request_timeout_s * 1000)
			refuse(q, 408, "request_timeout", "the request body "
			       "took longer than %u s", sv->o->request_timeout_s);
		if (!q->refused && strcmp(q->method, "POST") == 0 &&
		    (q->web ? q->web_limit > 0 : srv_api_takes_body(q->path))) {
			if (q->wire > PROTO_MAX_BODY_BYTES)
				refuse(q, 413, "body_too_large", "the request "
				       "body is over %u bytes",
				       PROTO_MAX_BODY_BYTES);
			else if (q->gzip)
				take_gzip(sv, q, upload_data, n);
			else
				take_plain(sv, q, upload_data, n);
		}
		if (!q->refused)
			return MHD_YES;
		/* libmicrohttpd 0.9.75 cannot answer before the body is read:
		** the refused body is then read and dropped (nothing is kept
		** or inflated) and the answer goes out at its end; a client
		** that keeps sending far past the limit, or for too long, is
		** cut off without one. */
		if (!q->early_tried) {
			q->early_tried = 1;
			if (respond(c, q) == MHD_YES)
				return MHD_YES;
		}
		if (q->wire > 2 * (size_t)PROTO_MAX_BODY_BYTES ||
		    mono_ms() - q->start_ms >
			    (int64_t)sv->o->request_timeout_s * 1000 * 2)
			return MHD_NO;
		return MHD_YES;
	}
	if (q->queued)
		return MHD_YES;
	if (!q->refused && q->gzip && !q->z_end && q->wire > 0)
		refuse(q, 400, "truncated_body", "the gzip stream ends before "
		       "its end marker: the body was cut short");
	if (!q->refused && q->web) {
		web_answer(sv, c, q, url, method);
	} else if (!q->refused) {
		memset(&req, 0, sizeof(req));
		req.method = method;
		req.path = url;
		req.q_after = MHD_lookup_connection_value(c,
				MHD_GET_ARGUMENT_KIND, "after");
		req.q_limit = MHD_lookup_connection_value(c,
				MHD_GET_ARGUMENT_KIND, "limit");
		req.q_own = MHD_lookup_connection_value(c,
				MHD_GET_ARGUMENT_KIND, "own");
		req.authorization = MHD_lookup_connection_value(c,
				MHD_HEADER_KIND, "Authorization");
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND,
					  other_arg, (void *)&req.q_unknown);
		req.body = q->body;
		req.body_len = q->len;
		req.peer = q->peer;
		srv_api_handle(sv->ctx, &req, &q->resp);
	}
	return respond(c, q);
}

static void log_line(rq *q, enum MHD_RequestTerminationCode toe)
{
	char line[512], ts[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || q->queued)
		n = snprintf(line, sizeof(line), "%s %s %s %s %d%s%s in=%zu "
			     "out=%zu %lldms\n", ts,
			     q->resp.device[0] ? q->resp.device : "-",
			     q->method, q->path, q->status,
			     q->resp.code ? " " : "",
			     q->resp.code ? q->resp.code : "", q->wire,
			     q->out_len, (long long)(mono_ms() - q->start_ms));
	else
		n = snprintf(line, sizeof(line), "%s %s %s %s - aborted "
			     "(%s) in=%zu out=0 %lldms\n", ts,
			     q->resp.device[0] ? q->resp.device : "-",
			     q->method, q->path,
			     toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED
				     ? "idle timeout" :
			     toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN
				     ? "shutdown" : "connection closed",
			     q->wire, (long long)(mono_ms() - q->start_ms));
	if (n > 0)
		(void)!write(2, line, (size_t)n < sizeof(line) ? (size_t)n :
				      sizeof(line) - 1);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	server *sv = cls;
	rq *q = *con_cls;

	(void)c;
	if (!q)
		return;
	log_line(q, toe);
	if (q->z_ready)
		inflateEnd(&q->z);
	free(q->body);
	srv_resp_free(&q->resp);
	pthread_mutex_lock(&sv->lock);
	sv->buffered -= q->reserved;
	sv->inflight--;
	if (sv->inflight == 0)
		pthread_cond_broadcast(&sv->idle);
	pthread_mutex_unlock(&sv->lock);
	free(q);
	*con_cls = NULL;
}

static char *read_pem(const char *path, char *msg, size_t msgsz)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (!f) {
		snprintf(msg, msgsz, "cannot read %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	buf = malloc(PEM_MAX + 1);
	if (buf) {
		n = fread(buf, 1, PEM_MAX, f);
		buf[n] = 0;
		if (n == 0 || n == PEM_MAX || !strstr(buf, "-----BEGIN")) {
			snprintf(msg, msgsz, "%s is not a PEM file", path);
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss,
			int *v6, char *msg, size_t msgsz)
{
	char host[256];
	const char *colon, *port;
	struct addrinfo hints, *res = NULL;
	int rc;

	*v6 = 0;
	if (!listen || !*listen)
		goto bad;
	if (listen[0] == '[') {
		colon = strstr(listen, "]:");
		if (!colon || (size_t)(colon - listen - 1) >= sizeof(host))
			goto bad;
		memcpy(host, listen + 1, (size_t)(colon - listen - 1));
		host[colon - listen - 1] = 0;
		port = colon + 2;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= sizeof(host))
			goto bad;
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = 0;
		port = colon + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) ||
	    atol(port) > 65535)
		goto bad;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc || !res) {
		snprintf(msg, msgsz, "--listen %s: %s", listen, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(msg, msgsz, "--listen must be HOST:PORT (e.g. 127.0.0.1:8443 "
		 "or [::1]:8443 or :8443), not \"%s\"", listen ? listen : "");
	return -1;
}

void srv_http_defaults(srv_http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threads = 4;
	o->conn_limit = 1000;
	o->per_ip_limit = 200;
	o->idle_timeout_s = 30;
	o->request_timeout_s = 120;
	o->drain_timeout_s = 10;
}

int srv_http_serve(srv_ctx *ctx, const srv_http_opts *o, char *msg,
		   size_t msgsz)
{
	struct sockaddr_storage ss;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	server sv;
	sigset_t set;
	char *cert = NULL, *key = NULL, host[128];
	unsigned flags;
	int v6, sig = 0, ret = -1;
	struct timespec until;
	MHD_socket ls;

	memset(&sv, 0, sizeof(sv));
	sv.ctx = ctx;
	sv.o = o;
	pthread_mutex_init(&sv.lock, NULL);
	pthread_cond_init(&sv.idle, NULL);
	if (parse_listen(o->listen, &ss, &v6, msg, msgsz))
		goto out;
	if (!!o->tls_cert != !!o->tls_key) {
		snprintf(msg, msgsz, "--tls-cert and --tls-key go together");
		goto out;
	}
	if (o->tls_cert && (!(cert = read_pem(o->tls_cert, msg, msgsz)) ||
			    !(key = read_pem(o->tls_key, msg, msgsz))))
		goto out;
	/* Threads started below inherit this mask; only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (cert)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &sv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)o->threads,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->idle_timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			(unsigned int)o->per_ip_limit,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv,
		cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key,
		MHD_OPTION_END);
	if (!d) {
		snprintf(msg, msgsz, "cannot listen on %s (address in use, or "
			 "a bad TLS certificate/key)", o->listen);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (getnameinfo((struct sockaddr *)&ss, v6 ? sizeof(struct sockaddr_in6)
			: sizeof(struct sockaddr_in), host, sizeof(host), NULL,
			0, NI_NUMERICHOST))
		snprintf(host, sizeof(host), "?");
	/* Tests read the port from this line when they listen on port 0. */
	fprintf(stderr, "fieldsyncd: listening on %s://%s%s%s:%u (HQ device "
		"%s)\n", cert ? "https" : "http", v6 ? "[" : "", host,
		v6 ? "]" : "", info ? (unsigned)info->port : 0, ctx->hq_device);
	while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	fprintf(stderr, "fieldsyncd: %s: no new connections; finishing "
		"requests in progress\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	ls = MHD_quiesce_daemon(d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += o->drain_timeout_s;
	pthread_mutex_lock(&sv.lock);
	while (sv.inflight > 0 &&
	       pthread_cond_timedwait(&sv.idle, &sv.lock, &until) == 0)
		;
	if (sv.inflight)
		fprintf(stderr, "fieldsyncd: %u requests still open after "
			"%u s; closing them\n", sv.inflight, o->drain_timeout_s);
	pthread_mutex_unlock(&sv.lock);
	MHD_stop_daemon(d);
	fprintf(stderr, "fieldsyncd: stopped\n");
	ret = 0;
out:
	free(cert);
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	pthread_mutex_destroy(&sv.lock);
	pthread_cond_destroy(&sv.idle);
	return ret;
}
