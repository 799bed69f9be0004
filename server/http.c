/*
** This file contains the libmicrohttpd glue (http.h). A connection's life:
**
**   opened      on_connection counts it for its client address; past the
**               share of --max-connections kept for devices, it closes one
**               connection that never showed a live session, the oldest of
**               the address holding the most (so strangers cannot hold every
**               socket, and the busiest stranger pays first).
**   headers     must be complete within --header-timeout of the opening or
**               of the previous request's end: libmicrohttpd only has an
**               idle timeout, which a byte a second defeats, so a watchdog
**               thread shuts such sockets down (libmicrohttpd then closes
**               them in its own thread).
**   1st call    headers known: framing (one Content-Length, or
**               Transfer-Encoding: chunked alone; anything else is 400 and
**               the connection closes: the body's end is unknowable), then
**               Content-Type, Content-Encoding, Content-Length against the
**               endpoint's limit, and for a push the session. A refusal
**               here is answered after the body has been read and dropped
**               (SPEC §10.1): answering and closing while the client still
**               sends makes its TCP stack reset the connection, and the
**               answer is lost.
**   data calls  the body is appended, or decoded (gzip, or zstd with the
**               protocol's dictionary) as it arrives; every limit
**               is checked per piece, so a bomb stops at the first piece
**               that crosses a cap; the bytes held count against the budgets
**               of the server, of the client address and of the device.
**   last call   the body's JSON values are counted, which bounds the tree
**               the parser will build, and that is reserved too; the API
**               answers; the response is compressed as the client asked
**               (zstd, else gzip, else not: SPEC §10.1).
**   completed   one log line: device, method, path, status, bytes, ms.
**
** A body must be complete within --request-timeout of its headers (408
** after, answered if the rest comes soon; the watchdog closes the
** connection otherwise). libmicrohttpd's thread pool with epoll multiplexes
** connections, so a slow client costs a socket and a little memory, never a
** thread.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <zlib.h>
#include <zstd.h>
#include <sodium.h>
#include "hq.h"
#include "protocol/wire.h"
#include "http.h"
#include "web.h"

/* Smaller answers go as they are (a frame's header and checksum would
** eat the gain). */
#define GZIP_MIN_BYTES 256
#define PEM_MAX (1024 * 1024)
#define INFLATE_COST (48u * 1024u) /* zlib's state and window, per gzip body */
#define TRIM_BYTES (1024u * 1024u) /* give memory back after a request this big */
#define WATCH_MS 200               /* the watchdog's period */
#define REPORT_MS 10000            /* at most one summary line this often */
#define MIB (1024u * 1024u)
#define MHD_LOG_MAX 20             /* libmicrohttpd lines per minute, then */
#define MHD_LOG_WINDOW_MS 60000    /* a count of those left out */

enum { WAIT_HEADERS, IN_BODY, ANSWERING };
enum { CUT_NONE, CUT_HEADERS, CUT_DEADLINE, CUT_EVICTED, CUT_N };

typedef struct peer_slot {
	char addr[INET6_ADDRSTRLEN]; /* "" when free */
	unsigned conns;              /* open connections */
	unsigned evictable;          /* of them: no live session seen, not cut */
	size_t held;                 /* bytes reserved by its requests */
} peer_slot;

typedef struct dev_slot {
	char id[PROTO_ID_HEX + 1];   /* "" when free */
	unsigned users;              /* requests counting here */
	size_t held;
} dev_slot;

typedef struct conn {
	struct conn *prev, *next;    /* server.conns */
	MHD_socket fd;
	peer_slot *peer;             /* NULL: not counted (no slot) */
	int64_t since_ms;            /* start of the current phase */
	int phase;                   /* WAIT_HEADERS, IN_BODY, ANSWERING */
	int trusted;                 /* carried a request with a live session */
	int cut;                     /* CUT_*: why we shut it down */
} conn;

typedef struct server {
	srv_ctx *ctx;
	const srv_http_opts *o;
	pthread_mutex_t lock;        /* guards everything below */
	pthread_cond_t idle;
	pthread_cond_t tick;         /* wakes the watchdog to stop */
	int stopping;
	unsigned inflight;           /* requests between 1st call and completion */
	size_t held;                 /* bytes reserved by all requests */
	conn *conns;                 /* open connections */
	unsigned nlive;              /* of them, not cut */
	unsigned soft_limit;         /* nlive past which strangers make room */
	peer_slot *peers;            /* nslots each; used below *_hw */
	dev_slot *devs;
	size_t nslots, peers_hw, devs_hw;
	unsigned long cuts[CUT_N];   /* since the last summary line */
	int64_t report_ms;
	pthread_mutex_t log_lock;    /* libmicrohttpd's messages: */
	int64_t log_window_ms;       /* start of the current minute */
	unsigned long logged, dropped;
} server;

typedef struct rq {
	int64_t start_ms;
	char method[8];
	char path[72];
	char *body;
	size_t len, cap, limit;    /* limit: max body held (after inflation) */
	size_t wire;               /* bytes received as sent */
	size_t reserved;           /* counted in the budgets below */
	srv_body_limits lim;       /* of this endpoint */
	int wants_body;            /* a POST whose body is read */
	int gzip;                  /* Content-Encoding: gzip */
	int zstd;                  /* Content-Encoding: zstd */
	int z_ready, z_end;        /* decoder started / frame or stream ended */
	z_stream z;
	ZSTD_DCtx *zd;
	int refused;               /* resp holds an error; ignore the rest */
	int close;                 /* answer with "Connection: close" */
	int queued;
	int web;                   /* a dashboard request (web.h) */
	size_t web_limit;          /* its body limit; 0: no body is read */
	char peer[INET6_ADDRSTRLEN]; /* client address as text, "" unknown */
	conn *k;                   /* its connection; NULL: not tracked */
	peer_slot *pslot;          /* budgets charged: address, device */
	dev_slot *dev;
	int status;
	size_t out_len;
	const char *out_coding;    /* the answer's Content-Encoding, or NULL */
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

/* ---- connections, addresses, devices (all with sv->lock held) ------- */

static peer_slot *peer_get(server *sv, const char *addr)
{
	size_t i, fr = sv->nslots;

	for (i = 0; i < sv->peers_hw; i++) {
		if (strcmp(sv->peers[i].addr, addr) == 0 && addr[0])
			return &sv->peers[i];
		if (!sv->peers[i].addr[0] && fr == sv->nslots)
			fr = i;
	}
	if (fr == sv->nslots && sv->peers_hw < sv->nslots)
		fr = sv->peers_hw++;
	if (fr == sv->nslots)
		return NULL;
	memset(&sv->peers[fr], 0, sizeof(sv->peers[fr]));
	snprintf(sv->peers[fr].addr, sizeof(sv->peers[fr].addr), "%s",
		 addr[0] ? addr : "?");
	return &sv->peers[fr];
}

static void peer_maybe_free(peer_slot *p)
{
	if (p && p->conns == 0 && p->held == 0)
		p->addr[0] = '\0';
}

static dev_slot *dev_get(server *sv, const char *id)
{
	size_t i, fr = sv->nslots;

	for (i = 0; i < sv->devs_hw; i++) {
		if (strcmp(sv->devs[i].id, id) == 0)
			return &sv->devs[i];
		if (!sv->devs[i].id[0] && fr == sv->nslots)
			fr = i;
	}
	if (fr == sv->nslots && sv->devs_hw < sv->nslots)
		fr = sv->devs_hw++;
	if (fr == sv->nslots)
		return NULL;
	memset(&sv->devs[fr], 0, sizeof(sv->devs[fr]));
	snprintf(sv->devs[fr].id, sizeof(sv->devs[fr].id), "%s", id);
	return &sv->devs[fr];
}

/* Shut the socket down; libmicrohttpd sees the end of the stream and
** closes the connection in its own thread (and tells on_connection, which
** waits for sv->lock, so the descriptor is still this connection's). */
static void cut(server *sv, conn *k, int why)
{
	if (k->cut)
		return;
	k->cut = why;
	sv->nlive--;
	if (!k->trusted && k->peer)
		k->peer->evictable--;
	sv->cuts[why]++;
	shutdown(k->fd, SHUT_RDWR);
}

/* Room for a new connection: close the oldest connection that never showed
** a live session and is not being answered, from the address with the most
** such connections. Nothing when every connection is a device's. */
static void evict(server *sv, const conn *newk)
{
	peer_slot *best = NULL;
	conn *k, *victim = NULL;
	size_t i;

	for (i = 0; i < sv->peers_hw; i++)
		if (sv->peers[i].addr[0] && sv->peers[i].evictable > 0 &&
		    (!best || sv->peers[i].evictable > best->evictable))
			best = &sv->peers[i];
	if (!best)
		return;
	for (k = sv->conns; k; k = k->next)
		if (k->peer == best && !k->trusted && !k->cut && k != newk &&
		    k->phase != ANSWERING &&
		    (!victim || k->since_ms < victim->since_ms))
			victim = k;
	if (victim)
		cut(sv, victim, CUT_EVICTED);
}

static void on_connection(void *cls, struct MHD_Connection *c,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	server *sv = cls;
	conn *k = *socket_context;
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN];

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = NULL;
		ci = MHD_get_connection_info(c,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(k = calloc(1, sizeof(*k))))
			return; /* not tracked: only MHD's own limits apply */
		k->fd = ci->connect_fd;
		k->since_ms = mono_ms();
		k->phase = WAIT_HEADERS;
		addr[0] = '\0';
		ci = MHD_get_connection_info(c,
					     MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)
					  sa)->sin_addr, addr, sizeof(addr));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6
					  *)sa)->sin6_addr, addr, sizeof(addr));
		}
		pthread_mutex_lock(&sv->lock);
		k->peer = peer_get(sv, addr);
		if (k->peer) {
			k->peer->conns++;
			k->peer->evictable++;
		}
		k->next = sv->conns;
		if (sv->conns)
			sv->conns->prev = k;
		sv->conns = k;
		sv->nlive++;
		if (sv->nlive > sv->soft_limit)
			evict(sv, k);
		pthread_mutex_unlock(&sv->lock);
		*socket_context = k;
		return;
	}
	if (!k)
		return;
	pthread_mutex_lock(&sv->lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		sv->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	if (!k->cut) {
		sv->nlive--;
		if (!k->trusted && k->peer)
			k->peer->evictable--;
	}
	if (k->peer) {
		k->peer->conns--;
		peer_maybe_free(k->peer);
	}
	pthread_mutex_unlock(&sv->lock);
	free(k);
	*socket_context = NULL;
}

/* One line now and then on what the limits closed, for the operator. */
static void report_cuts(server *sv)
{
	unsigned long *n = sv->cuts;

	if (!n[CUT_HEADERS] && !n[CUT_DEADLINE] && !n[CUT_EVICTED])
		return;
	fprintf(stderr, "fieldsyncd: closed %lu connections in the last %d s: "
		"%lu without request headers within %u s, %lu with a request "
		"unfinished past its deadline, %lu to make room for devices "
		"(%u open)\n", n[CUT_HEADERS] + n[CUT_DEADLINE] +
		n[CUT_EVICTED], REPORT_MS / 1000, n[CUT_HEADERS],
		sv->o->header_timeout_s, n[CUT_DEADLINE], n[CUT_EVICTED],
		sv->nlive);
	memset(sv->cuts, 0, sizeof(sv->cuts));
}

/* Deadlines libmicrohttpd does not have: the headers, the whole body. */
static void *watchdog(void *arg)
{
	server *sv = arg;
	struct timespec ts;
	int64_t now, hdr_ms, body_ms, grace;
	conn *k;

	hdr_ms = (int64_t)sv->o->header_timeout_s * 1000;
	grace = sv->o->request_timeout_s < SRV_HTTP_DRAIN_GRACE_S ?
		sv->o->request_timeout_s : SRV_HTTP_DRAIN_GRACE_S;
	body_ms = ((int64_t)sv->o->request_timeout_s + grace) * 1000;
	pthread_mutex_lock(&sv->lock);
	sv->report_ms = mono_ms();
	while (!sv->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WATCH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sv->tick, &sv->lock, &ts);
		if (sv->stopping)
			break;
		now = mono_ms();
		for (k = sv->conns; k; k = k->next) {
			if (k->cut)
				continue;
			if (k->phase == WAIT_HEADERS &&
			    now - k->since_ms > hdr_ms)
				cut(sv, k, CUT_HEADERS);
			else if (k->phase == IN_BODY &&
				 now - k->since_ms > body_ms)
				cut(sv, k, CUT_DEADLINE);
		}
		if (now - sv->report_ms >= REPORT_MS) {
			report_cuts(sv);
			sv->report_ms = now;
		}
	}
	pthread_mutex_unlock(&sv->lock);
	return NULL;
}

/* libmicrohttpd's own messages ("Connection was closed by remote side with
** incomplete request."), at most MHD_LOG_MAX a minute: a connection flood
** would otherwise write one line per connection. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	server *sv = cls;
	char line[400];
	int64_t now = mono_ms();
	int n;

	pthread_mutex_lock(&sv->log_lock);
	if (now - sv->log_window_ms >= MHD_LOG_WINDOW_MS) {
		if (sv->dropped)
			fprintf(stderr, "fieldsyncd: libmicrohttpd: %lu more "
				"messages in the last minute not shown\n",
				sv->dropped);
		sv->log_window_ms = now;
		sv->logged = sv->dropped = 0;
	}
	if (sv->logged++ < MHD_LOG_MAX) {
		n = vsnprintf(line, sizeof(line), fmt, ap);
		if (n > 0) {
			if ((size_t)n >= sizeof(line))
				n = (int)sizeof(line) - 1;
			while (n > 0 && line[n - 1] == '\n')
				line[--n] = '\0';
			fprintf(stderr, "fieldsyncd: libmicrohttpd: %s\n", line);
		}
	} else {
		sv->dropped++;
	}
	pthread_mutex_unlock(&sv->log_lock);
}

/* The request came with a live session: its connection is a device's (not
** closed to make room), and its bytes count for that device too. */
static void trust(server *sv, rq *q, const char *device)
{
	pthread_mutex_lock(&sv->lock);
	if (q->k && !q->k->trusted) {
		q->k->trusted = 1;
		if (!q->k->cut && q->k->peer)
			q->k->peer->evictable--;
	}
	if (!q->dev && q->reserved == 0 && (q->dev = dev_get(sv, device)))
		q->dev->users++;
	pthread_mutex_unlock(&sv->lock);
}

/* ---- body ----------------------------------------------------------- */

/* Reserve n more bytes for q against the budgets of the server, of the
** client's address and of the device; NULL, or which one is full. */
static const char *reserve(server *sv, rq *q, size_t n)
{
	const char *full = NULL;

	pthread_mutex_lock(&sv->lock);
	if (sv->held + n > SRV_HTTP_BUDGET)
		full = "server";
	else if (q->pslot && q->pslot->held + n > SRV_HTTP_ADDR_BUDGET)
		full = "address";
	else if (q->dev && q->dev->held + n > SRV_HTTP_DEVICE_BUDGET)
		full = "device";
	if (!full) {
		sv->held += n;
		if (q->pslot)
			q->pslot->held += n;
		if (q->dev)
			q->dev->held += n;
		q->reserved += n;
	}
	pthread_mutex_unlock(&sv->lock);
	return full;
}

static void refuse_busy(rq *q, const char *full)
{
	if (strcmp(full, "address") == 0)
		refuse(q, 503, "busy", "requests from your address (%s) hold "
		       "%u MiB of memory already, the limit per address; try "
		       "again shortly", q->peer, SRV_HTTP_ADDR_BUDGET / MIB);
	else if (strcmp(full, "device") == 0)
		refuse(q, 503, "busy", "this device's requests in progress hold "
		       "%u MiB of memory already, the limit per device; send "
		       "one request at a time", SRV_HTTP_DEVICE_BUDGET / MIB);
	else
		refuse(q, 503, "busy", "the server is holding too many large "
		       "requests; try again shortly");
}

static int grow(server *sv, rq *q, size_t need)
{
	const char *full;
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
	if ((full = reserve(sv, q, want - q->cap))) {
		refuse_busy(q, full);
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
		       "%zu bytes, the limit for %s", q->limit, q->path);
		return;
	}
	if (grow(sv, q, q->len + n))
		return;
	memcpy(q->body + q->len, data, n);
	q->len += n;
}

static void take_gzip(server *sv, rq *q, const char *data, size_t n)
{
	const char *full;
	int zr;

	if (!q->z_ready) {
		if ((full = reserve(sv, q, INFLATE_COST))) {
			refuse_busy(q, full);
			return;
		}
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
				       "body inflates to over %zu bytes, the "
				       "limit for %s", q->limit, q->path);
			return;
		}
		q->z.next_out = (Bytef *)q->body + q->len;
		q->z.avail_out = (uInt)(q->cap - q->len);
		zr = inflate(&q->z, Z_NO_FLUSH);
		q->len = q->cap - q->z.avail_out;
		if (q->len > q->limit) {
			refuse(q, 413, "inflated_too_large", "the body inflates "
			       "to over %zu bytes, the limit for %s", q->limit,
			       q->path);
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

/* FIELDSYNCD_NO_ZSTD=1 (a test knob, read once at start): behave as a
** server of before zstd, which refuses zstd bodies (415
** unsupported_encoding) and never answers in it, so that the client's
** fallback to gzip (SPEC 10.1) can be tested. */
static int no_zstd;

/* A zstd body (SPEC 10.1): one frame, with the protocol's dictionary or
** none, its window at most 2^PROTO_ZSTD_WINDOW_LOG_MAX bytes (refused
** from its header, before the window is allocated); decoded as it
** arrives, under the same caps as gzip. */
static void take_zstd(server *sv, rq *q, const char *data, size_t n)
{
	ZSTD_inBuffer in = { data, n, 0 };
	const char *full;
	char why[160];

	if (!q->z_ready) {
		if ((full = reserve(sv, q, proto_zstd_dctx_cost()))) {
			refuse_busy(q, full);
			return;
		}
		if (!(q->zd = proto_zstd_dctx())) {
			refuse(q, 503, "busy", "out of memory; try again");
			return;
		}
		q->z_ready = 1;
	}
	while (in.pos < in.size && !q->refused) {
		ZSTD_outBuffer out;
		size_t zr;
		if (q->z_end) {
			refuse(q, 400, "bad_encoding", "bytes after the end of "
			       "the zstd frame");
			return;
		}
		if (q->len == q->cap &&
		    grow(sv, q, q->cap ? q->cap + 1 : 16384)) {
			if (!q->refused)
				refuse(q, 413, "inflated_too_large", "the "
				       "body decodes to over %zu bytes, the "
				       "limit for %s", q->limit, q->path);
			return;
		}
		out.dst = q->body + q->len;
		out.size = q->cap - q->len;
		out.pos = 0;
		zr = ZSTD_decompressStream(q->zd, &out, &in);
		q->len += out.pos;
		if (ZSTD_isError(zr)) {
			refuse(q, 400, "bad_encoding", "the body is not valid "
			       "zstd: %s", proto_zstd_why(zr, why, sizeof why));
			return;
		}
		if (q->len > q->limit) {
			refuse(q, 413, "inflated_too_large", "the body decodes "
			       "to over %zu bytes, the limit for %s", q->limit,
			       q->path);
			return;
		}
		if (q->len > (size_t)PROTO_MAX_INFLATE_RATIO * q->wire) {
			refuse(q, 413, "inflated_too_large", "the body decodes "
			       "to more than %d times its compressed size",
			       PROTO_MAX_INFLATE_RATIO);
			return;
		}
		if (zr == 0)
			q->z_end = 1;
		else if (out.pos == 0 && in.pos == in.size)
			break;
	}
}

/* An upper bound on the number of values cJSON builds from p[0..n): each
** bracket, each string (keys too) and each run of other bytes outside
** strings is one. Counting stops past max. Linear, no allocation. */
static size_t json_values(const char *p, size_t n, size_t max)
{
	size_t i = 0, v = 0;

	while (i < n && v <= max) {
		char ch = p[i];
		if (ch == '"') {
			/* To the closing quote: the next quote not escaped,
			** found with memchr (an odd run of backslashes before
			** a quote escapes it) rather than byte by byte. */
			v++;
			for (i++;;) {
				const char *q = memchr(p + i, '"', n - i);
				size_t k, bs = 0;
				if (!q) {
					i = n;
					break;
				}
				k = (size_t)(q - p);
				while (k - bs > i && p[k - bs - 1] == '\\')
					bs++;
				i = k + 1;
				if (bs % 2 == 0)
					break;
			}
		} else if (ch == '{' || ch == '[') {
			v++;
			i++;
		} else if (strchr(" \t\r\n,:}]", ch)) {
			i++;
		} else {
			v++;
			while (i < n && !strchr(" \t\r\n,:{}[]\"", p[i]))
				i++;
		}
	}
	return v;
}

/* Before the body is parsed: a bound on its tree, reserved in the budgets
** (the parser copies every string, hence the body's length again). */
static void reserve_tree(server *sv, rq *q)
{
	size_t v = json_values(q->body, q->len, q->lim.values);
	const char *full;

	if (v > q->lim.values) {
		refuse(q, 413, "too_many", "the request body holds more than "
		       "%zu JSON values (each bracket, string, number or "
		       "literal counts); that is the limit for %s", q->lim.values,
		       q->path);
		return;
	}
	if ((full = reserve(sv, q, v * (sizeof(cJSON) + 1) + q->len)))
		refuse_busy(q, full);
}

static int header_is(const char *v, const char *want)
{
	size_t n = strlen(want);

	return v && strncasecmp(v, want, n) == 0 &&
	       (v[n] == 0 || v[n] == ';' || v[n] == ' ');
}

typedef struct framing {
	unsigned cl, te;            /* how many of each header */
	const char *cl_first, *cl_other, *cl_bad, *te_value;
} framing;

static enum MHD_Result framing_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	framing *f = cls;

	(void)kind;
	if (!value)
		value = "";
	if (strcasecmp(key, "Content-Length") == 0) {
		if (!*value || strspn(value, "0123456789") != strlen(value))
			f->cl_bad = value;
		else if (!f->cl_first)
			f->cl_first = value;
		else if (strtoull(f->cl_first, NULL, 10) !=
			 strtoull(value, NULL, 10))
			f->cl_other = value;
		f->cl++;
	} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		f->te++;
		f->te_value = value;
	}
	return MHD_YES;
}

/* Where the body ends must be certain: behind a proxy that reads it
** otherwise, the rest would be taken for another request (smuggling). */
static void check_framing(struct MHD_Connection *c, rq *q)
{
	framing f;

	memset(&f, 0, sizeof(f));
	MHD_get_connection_values(c, MHD_HEADER_KIND, framing_arg, &f);
	if (f.cl && f.te)
		refuse(q, 400, "bad_framing", "the request has both "
		       "Content-Length and Transfer-Encoding; send one of them");
	else if (f.te > 1 || (f.te && strcasecmp(f.te_value, "chunked") != 0))
		refuse(q, 400, "bad_framing", "Transfer-Encoding \"%.32s\" is "
		       "not supported; only a single \"chunked\" is",
		       f.te > 1 ? "(several headers)" : f.te_value);
	else if (f.cl_bad)
		refuse(q, 400, "bad_framing", "Content-Length \"%.32s\" is not "
		       "a number of bytes", f.cl_bad);
	else if (f.cl_other)
		refuse(q, 400, "bad_framing", "two different Content-Length "
		       "values (%.24s and %.24s)", f.cl_first, f.cl_other);
	if (q->refused)
		q->close = 1;
}

/* Checks on the headers alone, before any body byte. */
static void check_headers(server *sv, struct MHD_Connection *c, rq *q)
{
	const char *ct, *ce, *cl, *auth;
	char *end;
	unsigned long long n;
	srv_resp peek;
	int push = !q->web && strcmp(q->path, "/v2/push") == 0;
	int sync = !q->web && strcmp(q->path, "/v3/sync") == 0;
	char tk[SRV_SECRET_HEX + 1], sg[PROTO_SIG_HEX + 1];
	int64_t tk_end;

	check_framing(c, q);
	if (q->refused)
		return;
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!q->wants_body) {
		/* pull, devices: only to know the connection is a device's;
		** the endpoint answers for the session. */
		if (!q->web && auth) {
			memset(&peek, 0, sizeof(peek));
			if (srv_api_session(sv->ctx, auth, &peek) == 0)
				trust(sv, q, peek.device);
			srv_resp_free(&peek);
		}
		return;
	}
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
	} else if (ce && strcasecmp(ce, "zstd") == 0 && !no_zstd) {
		q->zstd = 1;
	} else if (ce && strcasecmp(ce, "identity") != 0) {
		refuse(q, 415, "unsupported_encoding", "Content-Encoding "
		       "\"%.32s\" is not supported; use %s", ce,
		       no_zstd ? "gzip or none" : "zstd, gzip or none");
		return;
	}
	q->limit = q->gzip || q->zstd ? q->lim.inflated : q->lim.sent;
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (cl) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (!errno && *end == 0 && n > q->lim.sent) {
			refuse(q, 413, "body_too_large", "the request body is "
			       "%llu bytes; the limit for %s is %zu", n, q->path,
			       q->lim.sent);
			return;
		}
	}
	/* A push is a device's: without a live session its body is not
	** worth holding, so the 401 comes now (answered once it is read). */
	if (push) {
		if (srv_api_session(sv->ctx, auth, &q->resp))
			q->refused = 1;
		else
			trust(sv, q, q->resp.device);
	}
	/* So is a one-request sync's: its ticket, which only a signed-in
	** device was given, is checked by its tag before any body byte is
	** held (the signature and single use come after, in api.c). */
	if (sync) {
		if (srv_api_ticket(sv->ctx, auth, &q->resp, tk, sg, &tk_end))
			q->refused = 1;
		else
			trust(sv, q, q->resp.device);
		sodium_memzero(tk, sizeof(tk));
	}
}

/* A refusal from the headers is answered at once only when no body is on
** its way (the client waits for "100 Continue") or it cannot be read to
** its end: framing unknown, or more than SRV_HTTP_DRAIN_MAX announced. The
** connection then closes. Otherwise the body is read and dropped first. */
static int answer_now(struct MHD_Connection *c, rq *q)
{
	const char *ex = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Expect");
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Content-Length");

	if (!q->close && !(ex && strcasecmp(ex, "100-continue") == 0) &&
	    !(cl && strtoull(cl, NULL, 10) > SRV_HTTP_DRAIN_MAX))
		return 0;
	q->close = 1;
	return 1;
}

/* 1 if the request's Accept-Encoding lists coding (a token of the
** comma-separated list, any case) without ";q=0". */
static int accepts(struct MHD_Connection *c, const char *coding)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Accept-Encoding");
	size_t n = strlen(coding);

	while (ae && *ae) {
		const char *e = strchr(ae, ','), *t = ae, *te;
		if (!e)
			e = ae + strlen(ae);
		while (t < e && (*t == ' ' || *t == '\t'))
			t++;
		te = t;
		while (te < e && *te != ';' && *te != ' ' && *te != '\t')
			te++;
		if ((size_t)(te - t) == n && strncasecmp(t, coding, n) == 0) {
			/* q=0, q=0.0, q=0.00...: declined. */
			const char *qv = strstr(te, "q=");
			if (qv && qv < e) {
				qv += 2;
				while (qv < e && (*qv == '0' || *qv == '.'))
					qv++;
				return qv < e && *qv >= '1' && *qv <= '9';
			}
			return 1;
		}
		ae = *e ? e + 1 : e;
	}
	return 0;
}

/* zstd frame of body (no dictionary: any zstd decoder reads it) into a
** new malloc'd buffer; NULL if not smaller or on error. */
static char *zstd_body(const char *in, size_t n, size_t *outlen)
{
	char *out = (char *)proto_zstd_compress(in, n, 0, 3, outlen);

	if (out && *outlen >= n) {
		free(out);
		out = NULL;
	}
	return out;
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
	const char *coding = NULL;
	size_t len, gzlen = 0;
	enum MHD_Result ret;

	len = q->resp.len;
	body = malloc(len ? len : 1);
	if (!body)
		return MHD_NO;
	memcpy(body, q->resp.body, len);
	if (len >= GZIP_MIN_BYTES && !no_zstd && accepts(c, "zstd")) {
		if ((gz = zstd_body(body, len, &gzlen)))
			coding = "zstd";
	} else if (len >= GZIP_MIN_BYTES && accepts(c, "gzip")) {
		if ((gz = gzip_body(body, len, &gzlen)))
			coding = "gzip";
	}
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
		if (q->resp.disposition[0])
			MHD_add_response_header(r, "Content-Disposition",
						q->resp.disposition);
	}
	MHD_add_response_header(r, "Vary", "Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, "Content-Encoding", coding);
	if (q->resp.status == 503)
		MHD_add_response_header(r, "Retry-After", "5");
	else if (q->resp.retry_after[0])
		MHD_add_response_header(r, "Retry-After", q->resp.retry_after);
	if (q->close)
		MHD_add_response_header(r, "Connection", "close");
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
		q->out_coding = coding;
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
	w.csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     "X-CSRF-Token");
	w.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	w.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	w.ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					      "Content-Type");
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

/* The connection's phase, for the watchdog. */
static void set_phase(server *sv, rq *q, int phase, int64_t since)
{
	if (!q->k)
		return;
	pthread_mutex_lock(&sv->lock);
	q->k->phase = phase;
	q->k->since_ms = since;
	pthread_mutex_unlock(&sv->lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	server *sv = cls;
	rq *q = *con_cls;
	srv_req req;
	const union MHD_ConnectionInfo *ci;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->start_ms = mono_ms();
		copy_clean(q->method, sizeof(q->method), method);
		copy_clean(q->path, sizeof(q->path), url);
		if (sv->ctx->web && srv_web_path(url)) {
			q->web = 1;
			q->web_limit = srv_web_body_limit(q->method, url);
			q->lim.sent = q->lim.inflated = q->web_limit;
			q->wants_body = strcmp(q->method, "POST") == 0 &&
					q->web_limit > 0;
		} else if (strcmp(q->method, "POST") == 0 &&
			   srv_api_takes_body(q->path)) {
			q->lim = srv_api_body_limits(q->path);
			q->wants_body = 1;
		}
		q->limit = q->lim.sent;
		peer_text(c, q->peer, sizeof(q->peer));
		ci = MHD_get_connection_info(c,
					     MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		q->k = ci ? ci->socket_context : NULL;
		*con_cls = q;
		pthread_mutex_lock(&sv->lock);
		sv->inflight++;
		q->pslot = q->k ? q->k->peer : NULL;
		pthread_mutex_unlock(&sv->lock);
		set_phase(sv, q, IN_BODY, q->start_ms);
		check_headers(sv, c, q);
		if (q->refused && answer_now(c, q))
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
		if (!q->refused && q->wants_body) {
			if (q->wire > q->lim.sent)
				refuse(q, 413, "body_too_large", "the request "
				       "body is over %zu bytes, the limit for "
				       "%s", q->lim.sent, q->path);
			else if (q->gzip)
				take_gzip(sv, q, upload_data, n);
			else if (q->zstd)
				take_zstd(sv, q, upload_data, n);
			else
				take_plain(sv, q, upload_data, n);
		}
		/* A refused body is read and dropped (nothing is kept or
		** inflated) and answered at its end, so that the client gets
		** the answer (libmicrohttpd 0.9.75 cannot answer mid-upload,
		** and closing now would reset the client's connection); one
		** that goes on far past the limit is cut off without one, and
		** so is one past its deadline (watchdog). */
		if (q->refused && q->wire > SRV_HTTP_DRAIN_MAX)
			return MHD_NO;
		return MHD_YES;
	}
	if (q->queued)
		return MHD_YES;
	set_phase(sv, q, ANSWERING, mono_ms());
	if (!q->refused && (q->gzip || q->zstd) && !q->z_end && q->wire > 0)
		refuse(q, 400, "truncated_body", "the %s ends before its end "
		       "marker: the body was cut short",
		       q->gzip ? "gzip stream" : "zstd frame");
	if (!q->refused && q->wants_body && !q->web && q->len > 0)
		reserve_tree(sv, q);
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

static void log_line(rq *q, enum MHD_RequestTerminationCode toe, int why)
{
	char line[512], ts[32], enc[24];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* The codings, body>answer ("-" none), when either has one. */
	enc[0] = '\0';
	if (q->gzip || q->zstd || q->out_coding)
		snprintf(enc, sizeof(enc), " enc=%s>%s",
			 q->gzip ? "gzip" : q->zstd ? "zstd" : "-",
			 q->out_coding ? q->out_coding : "-");
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || q->queued)
		n = snprintf(line, sizeof(line), "%s %s %s %s %d%s%s in=%zu "
			     "out=%zu %lldms%s\n", ts,
			     q->resp.device[0] ? q->resp.device : "-",
			     q->method, q->path, q->status,
			     q->resp.code ? " " : "",
			     q->resp.code ? q->resp.code : "", q->wire,
			     q->out_len, (long long)(mono_ms() - q->start_ms),
			     enc);
	else
		n = snprintf(line, sizeof(line), "%s %s %s %s - aborted "
			     "(%s) in=%zu out=0 %lldms\n", ts,
			     q->resp.device[0] ? q->resp.device : "-",
			     q->method, q->path,
			     why == CUT_DEADLINE ? "request deadline" :
			     why == CUT_EVICTED ? "closed to make room for "
						  "devices" :
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
	int why = 0;

	(void)c;
	if (!q)
		return;
	if (q->z_ready && q->gzip)
		inflateEnd(&q->z);
	ZSTD_freeDCtx(q->zd);
	free(q->body);
	q->body = NULL;
	pthread_mutex_lock(&sv->lock);
	sv->held -= q->reserved;
	if (q->pslot) {
		q->pslot->held -= q->reserved;
		peer_maybe_free(q->pslot);
	}
	if (q->dev) {
		q->dev->held -= q->reserved;
		if (--q->dev->users == 0)
			q->dev->id[0] = '\0';
	}
	if (q->k) {
		why = q->k->cut;
		q->k->phase = WAIT_HEADERS;
		q->k->since_ms = mono_ms();
	}
	sv->inflight--;
	if (sv->inflight == 0)
		pthread_cond_broadcast(&sv->idle);
	pthread_mutex_unlock(&sv->lock);
	log_line(q, toe, why);
#ifdef __GLIBC__
	/* Large bodies came from the heap of this thread's arena; hand the
	** pages back rather than keep the peak for ever. */
	if (q->reserved >= TRIM_BYTES)
		malloc_trim(0);
#endif
	srv_resp_free(&q->resp);
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
	o->header_timeout_s = 10;
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
	const char *nz;
	unsigned flags;
	int v6, sig = 0, ret = -1;
	struct timespec until;
	struct rlimit rl;
	pthread_t wd;
	int wd_started = 0;
	MHD_socket ls;

	memset(&sv, 0, sizeof(sv));
	sv.ctx = ctx;
	sv.o = o;
	pthread_mutex_init(&sv.lock, NULL);
	pthread_cond_init(&sv.idle, NULL);
	pthread_cond_init(&sv.tick, NULL);
	pthread_mutex_init(&sv.log_lock, NULL);
	sv.log_window_ms = mono_ms();
	/* Every connection has one address slot and at most one device slot. */
	sv.nslots = (size_t)o->conn_limit + 1;
	sv.peers = calloc(sv.nslots, sizeof(*sv.peers));
	sv.devs = calloc(sv.nslots, sizeof(*sv.devs));
	if (!sv.peers || !sv.devs) {
		snprintf(msg, msgsz, "out of memory");
		goto out;
	}
	sv.soft_limit = o->conn_limit - o->conn_limit * SRV_HTTP_RESERVE_PCT /
					       100;
	if (parse_listen(o->listen, &ss, &v6, msg, msgsz))
		goto out;
	/* A socket per connection, and some for the database and TLS. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)o->conn_limit + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)o->conn_limit + 64 ?
			      rl.rlim_max : (rlim_t)o->conn_limit + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 ||
		    rl.rlim_cur < (rlim_t)o->conn_limit + 64)
			fprintf(stderr, "fieldsyncd: warning: only %llu open "
				"files allowed (ulimit -n) for %u connections\n",
				(unsigned long long)rl.rlim_cur, o->conn_limit);
	}
#ifdef __GLIBC__
	/* Large bodies in their own mappings, returned to the system when
	** freed (glibc would otherwise raise the threshold after the first). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
	if (!!o->tls_cert != !!o->tls_key) {
		snprintf(msg, msgsz, "--tls-cert and --tls-key go together");
		goto out;
	}
	if (o->tls_cert && (!(cert = read_pem(o->tls_cert, msg, msgsz)) ||
			    !(key = read_pem(o->tls_key, msg, msgsz))))
		goto out;
	nz = getenv("FIELDSYNCD_NO_ZSTD");
	no_zstd = nz && strcmp(nz, "1") == 0;
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
	/* The logger first: libmicrohttpd uses its own for anything said
	** before it has read this option. */
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &sv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &sv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)o->threads,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->idle_timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			(unsigned int)o->per_ip_limit,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &sv,
		cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key,
		/* TLS 1.3 (one round trip) and 1.2, nothing older. */
		MHD_OPTION_HTTPS_PRIORITIES,
			"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_END);
	if (!d) {
		snprintf(msg, msgsz, "cannot listen on %s (address in use, or "
			 "a bad TLS certificate/key)", o->listen);
		goto out;
	}
	if (pthread_create(&wd, NULL, watchdog, &sv) != 0) {
		snprintf(msg, msgsz, "cannot start a thread");
		MHD_stop_daemon(d);
		goto out;
	}
	wd_started = 1;
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
	if (wd_started) {
		pthread_mutex_lock(&sv.lock);
		sv.stopping = 1;
		pthread_cond_broadcast(&sv.tick);
		pthread_mutex_unlock(&sv.lock);
		pthread_join(wd, NULL);
	}
	free(sv.peers);
	free(sv.devs);
	free(cert);
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	pthread_mutex_destroy(&sv.lock);
	pthread_cond_destroy(&sv.idle);
	pthread_cond_destroy(&sv.tick);
	pthread_mutex_destroy(&sv.log_lock);
	return ret;
}
