/*
** This file contains hammer, the attack client of the server isolation tests
** (tests/e2e/server_*.t): the hostile clients of issue 9, bounded in count
** and time, on loopback only. Every address it binds to or connects to must
** be in 127.0.0.0/8; anything else is refused.
**
** USAGE
**   hammer loris  --port P [--from A[-B]] [--per-addr N] [--seconds S]
**                 [--reconnect-ms R] [--once]
**       N connections from each source address A..B (default 127.0.0.1,
**       10), each sending request headers one byte a second and never
**       finishing them; a connection the server closes is opened again R ms
**       later (default 1000) unless --once. After S seconds (default 10),
**       or on SIGTERM, it prints one line:
**         loris opened=N closed_by_server=M connect_failed=F max_open=X
**                open_at_end=Y bytes_max=Z
**       (max_open: most connections open at once, sampled every 100 ms;
**       bytes_max: most header bytes one connection sent before its end).
**   hammer upload --port P --path PATH [--count N] [--from A]
**                 [--session TOKEN | --sessions FILE]
**                 (--gzip-json BYTES | --plain-json BYTES) [--wrap-sets]
**                 [--hold S [--trickle]] [--then-health] [--timeout S]
**                 [--rounds R]
**       N connections at once (default 1), each POSTing a JSON array of
**       digits of BYTES bytes (gzip-compressed, or as it is), wrapped as
**       {"sets":[...]} with --wrap-sets, with Content-Length. --sessions
**       gives one bearer token a line, used in turn. Without --hold it
**       sends the whole body and reads the answer (R times, each on a new
**       connection; default 1); with --hold it sends all but the last 64
**       bytes, prints "upload I holding sent=B", and then waits S seconds
**       reading (--trickle: sending one more byte a second meanwhile). One
**       line per connection and round:
**         upload I sent=B total=T send_error=0|ERRNO status=S code=C
**                closed=0|1 [health=S]
**       (status 0: no answer; closed: the server closed the connection;
**       health: the status of a GET /v2/health sent afterwards on the same
**       connection, with --then-health).
**   hammer raw    --port P [--wait-ms MS]
**       Sends stdin's bytes as they are, reads until the server closes or is
**       silent for MS ms (default 3000), prints
**         raw status=S code=C closed=0|1
**   --host H (default 127.0.0.1) is where to connect, also loopback only.
**
** Exit status: 0 when it ran (whatever the server did), 2 on a usage error.
*/
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static const char *host = "127.0.0.1";
static int port;
static volatile sig_atomic_t stopping; /* SIGTERM, SIGINT: finish and report */

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die_usage(const char *what)
{
	fprintf(stderr, "hammer: %s (see the top of tests/tools/hammer.c)\n",
		what);
	exit(2);
}

static int loopback(const char *a, struct in_addr *out)
{
	return inet_pton(AF_INET, a, out) == 1 &&
	       (ntohl(out->s_addr) >> 24) == 127;
}

/* A socket bound to src (NULL: any) connecting to host:port; nonblocking
** when nb. -1 on failure. */
static int dial(const struct in_addr *src, int nb)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	if (src) {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr = *src;
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd);
			return -1;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (nb)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    !(nb && errno == EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- loris ---------------------------------------------------------- */

typedef struct lconn {
	int fd;                 /* -1: closed, waiting to reopen */
	int64_t next_ms;        /* next byte, or next reopen */
	size_t sent;
	int done;               /* --once: it ended, not reopened */
	struct in_addr src;
} lconn;

static int cmd_loris(int argc, char **argv)
{
	static const char hdr[] = "GET /v2/health HTTP/1.1\r\nHost: 127.0.0.1"
		"\r\nUser-Agent: hammer-loris\r\nX-Pad: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *from = "127.0.0.1";
	int per = 10, secs = 10, reconnect = 1000, once = 0, i, n;
	struct in_addr lo, hi;
	char buf[256];
	lconn *c;
	struct pollfd *pf;
	long opened = 0, closed = 0, failed = 0, max_open = 0, bytes_max = 0;
	int64_t end, t, sample = 0;
	unsigned naddr;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--once"))
			once = 1;
		else if (i + 1 >= argc)
			die_usage("an option needs a value");
		else if (!strcmp(argv[i], "--from"))
			from = argv[++i];
		else if (!strcmp(argv[i], "--per-addr"))
			per = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds"))
			secs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reconnect-ms"))
			reconnect = atoi(argv[++i]);
		else
			die_usage("unknown loris option");
	}
	snprintf(buf, sizeof(buf), "%s", from);
	{
		char *dash = strchr(buf, '-');
		if (dash)
			*dash++ = '\0';
		if (!loopback(buf, &lo) || !loopback(dash ? dash : buf, &hi) ||
		    ntohl(hi.s_addr) < ntohl(lo.s_addr))
			die_usage("--from must be A or A-B in 127.0.0.0/8");
	}
	naddr = ntohl(hi.s_addr) - ntohl(lo.s_addr) + 1;
	if (per < 1 || per > 1000 || naddr > 64 || secs < 1 || secs > 120)
		die_usage("--per-addr 1..1000, at most 64 addresses, "
			  "--seconds 1..120");
	raise_nofile();
	n = (int)naddr * per;
	c = calloc((size_t)n, sizeof(*c));
	pf = calloc((size_t)n, sizeof(*pf));
	if (!c || !pf)
		return 1;
	t = now_ms();
	for (i = 0; i < n; i++) {
		c[i].fd = -1;
		c[i].src.s_addr = htonl(ntohl(lo.s_addr) + (unsigned)(i / per));
		c[i].next_ms = t + (i % 100) * 10; /* spread the opening */
	}
	end = t + (int64_t)secs * 1000;
	while ((t = now_ms()) < end && !stopping) {
		long open_now = 0;
		for (i = 0; i < n; i++) {
			pf[i].fd = c[i].fd;
			pf[i].events = POLLIN;
			pf[i].revents = 0;
			if (c[i].fd >= 0)
				open_now++;
			if (c[i].fd < 0 && c[i].next_ms <= t && !c[i].done) {
				c[i].fd = dial(&c[i].src, 1);
				c[i].sent = 0;
				if (c[i].fd < 0) {
					failed++;
					c[i].next_ms = t + reconnect;
					c[i].done = once;
				} else {
					opened++;
					c[i].next_ms = t + 50;
				}
			} else if (c[i].fd >= 0 && c[i].next_ms <= t) {
				ssize_t w = send(c[i].fd, hdr + c[i].sent %
						 (sizeof(hdr) - 1), 1,
						 MSG_NOSIGNAL);
				if (w == 1) {
					c[i].sent++;
					if ((long)c[i].sent > bytes_max)
						bytes_max = (long)c[i].sent;
				}
				c[i].next_ms = t + 1000;
			}
		}
		if (t >= sample) {
			if (open_now > max_open)
				max_open = open_now;
			sample = t + 100;
		}
		if (poll(pf, (nfds_t)n, 20) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (c[i].fd < 0 || !pf[i].revents)
				continue;
			if ((pf[i].revents & POLLIN) &&
			    recv(c[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				continue; /* an answer; wait for the close */
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			close(c[i].fd);
			c[i].fd = -1;
			closed++;
			c[i].next_ms = now_ms() + reconnect;
			c[i].done = once;
		}
	}
	{
		long open_end = 0;
		for (i = 0; i < n; i++)
			if (c[i].fd >= 0) {
				open_end++;
				close(c[i].fd);
			}
		printf("loris opened=%ld closed_by_server=%ld connect_failed=%ld "
		       "max_open=%ld open_at_end=%ld bytes_max=%ld\n", opened,
		       closed, failed, max_open, open_end, bytes_max);
	}
	free(c);
	free(pf);
	return 0;
}

/* ---- upload --------------------------------------------------------- */

static const char *up_path;
static char *up_body;            /* what goes on the wire */
static size_t up_len;
static int up_gzip, up_hold = -1, up_health, up_timeout = 20, up_trickle;
static int up_rounds = 1;
static struct in_addr up_src;
static int up_has_src;
static char **up_sessions;
static size_t up_nsessions;

/* A JSON array of digits, BYTES long (at least 2): "[0,0,...,7,0]", mostly
** zeros so that it compresses some 40 times (the did 63). */
static char *digits(size_t bytes, int wrap, size_t *len)
{
	const char *pre = wrap ? "{\"sets\":" : "", *post = wrap ? "}" : "";
	size_t np = strlen(pre), i, m, n = bytes < 2 ? 2 : bytes;
	char *p = malloc(np + n + 2);
	uint32_t r = 12345;

	if (!p)
		return NULL;
	memcpy(p, pre, np);
	p[np] = '[';
	m = n - 2; /* bytes between the brackets: "d,d,...,d" */
	for (i = 0; i < m; i += 2) {
		r = r * 1103515245u + 12345u;
		p[np + 1 + i] = (r >> 16) % 50 == 0 ?
				(char)('0' + (r >> 8) % 10) : '0';
		if (i + 1 < m)
			p[np + 2 + i] = ',';
	}
	if (m > 0 && m % 2 == 0) { /* it would end with a comma: "...,10" */
		p[np + m - 1] = '1';
		p[np + m] = '0';
	}
	p[np + n - 1] = ']';
	memcpy(p + np + n, post, strlen(post) + 1);
	*len = np + n + strlen(post);
	return p;
}

static char *gzip_buf(const char *in, size_t n, size_t *out_len)
{
	z_stream z;
	size_t cap = compressBound((uLong)n) + 64;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 9,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* Read one answer (headers + Content-Length body) or until close/timeout;
** returns its status (0: none), code filled from "error", *closed set. */
static int read_answer(int fd, int wait_s, char *code, size_t codesz,
		       int *closed)
{
	static _Thread_local char buf[65536];
	size_t len = 0;
	int64_t end = now_ms() + (int64_t)wait_s * 1000;
	struct pollfd p;
	int status = 0;
	char *hend, *cl, *e;
	ssize_t r;

	code[0] = '\0';
	*closed = 0;
	for (;;) {
		int64_t left = end - now_ms();
		if (left <= 0)
			break;
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)left) <= 0)
			break;
		r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (r <= 0) {
			*closed = 1;
			break;
		}
		len += (size_t)r;
		buf[len] = '\0';
		hend = strstr(buf, "\r\n\r\n");
		if (hend) {
			cl = strcasestr(buf, "\r\nContent-Length:");
			if (cl && cl < hend &&
			    len >= (size_t)(hend + 4 - buf) +
				   strtoul(cl + 17, NULL, 10))
				break;
		}
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	if (len > 12 && strncmp(buf, "HTTP/1.", 7) == 0)
		status = atoi(buf + 9);
	if ((e = strstr(buf, "\"error\":\""))) {
		size_t i;
		e += 9;
		for (i = 0; e[i] && e[i] != '"' && i + 1 < codesz; i++)
			code[i] = e[i];
		code[i] = '\0';
	}
	if (!*closed && strcasestr(buf, "\r\nConnection: close")) {
		/* it says so: see that it does */
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 2000) > 0 && recv(fd, buf, 1, 0) <= 0)
			*closed = 1;
	}
	return status;
}

/* During --hold: read (and, with --trickle, send a byte a second) until the
** server closes or S seconds pass; returns the status of an answer. */
static int hold(int fd, size_t *sent, char *code, size_t codesz, int *closed)
{
	int64_t end = now_ms() + (int64_t)up_hold * 1000;
	int status = 0;

	*closed = 0;
	code[0] = '\0';
	while (now_ms() < end && !*closed && !status) {
		if (up_trickle && *sent < up_len &&
		    send(fd, up_body + *sent, 1, MSG_NOSIGNAL) == 1)
			(*sent)++;
		status = read_answer(fd, 1, code, codesz, closed);
	}
	return status;
}

static void *upload_one(void *arg)
{
	size_t idx = (size_t)(uintptr_t)arg, sent = 0, stop;
	char head[1024], code[64], out[512];
	int fd, hn, status = 0, closed = 0, send_err = 0, health = -1;
	ssize_t w;

	fd = dial(up_has_src ? &up_src : NULL, 0);
	if (fd < 0) {
		printf("upload %zu sent=0 total=%zu send_error=%d status=0 "
		       "code= closed=1\n", idx, up_len, errno);
		return NULL;
	}
	hn = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: "
		      "127.0.0.1\r\nContent-Type: application/json\r\n%s"
		      "%s%s%sContent-Length: %zu\r\n\r\n", up_path,
		      up_gzip ? "Content-Encoding: gzip\r\n" : "",
		      up_nsessions ? "Authorization: Bearer " : "",
		      up_nsessions ? up_sessions[idx % up_nsessions] : "",
		      up_nsessions ? "\r\n" : "", up_len);
	if (send(fd, head, (size_t)hn, MSG_NOSIGNAL) != hn)
		send_err = errno;
	stop = up_hold >= 0 && up_len > 64 ? up_len - 64 : up_len;
	while (!send_err && sent < stop) {
		w = send(fd, up_body + sent, stop - sent < 65536 ? stop - sent
			 : 65536, MSG_NOSIGNAL);
		if (w <= 0) {
			send_err = errno ? errno : EPIPE;
			break;
		}
		sent += (size_t)w;
	}
	if (up_hold >= 0 && !send_err) {
		printf("upload %zu holding sent=%zu\n", idx, sent);
		status = hold(fd, &sent, code, sizeof(code), &closed);
	} else {
		status = read_answer(fd, up_timeout, code, sizeof(code),
				     &closed);
	}
	if (up_health && status && !closed) {
		static const char h[] = "GET /v2/health HTTP/1.1\r\nHost: "
					"127.0.0.1\r\n\r\n";
		char c2[64];
		int cl2;
		health = 0;
		if (send(fd, h, sizeof(h) - 1, MSG_NOSIGNAL) ==
		    (ssize_t)(sizeof(h) - 1))
			health = read_answer(fd, 5, c2, sizeof(c2), &cl2);
	}
	close(fd);
	snprintf(out, sizeof(out), "upload %zu sent=%zu total=%zu "
		 "send_error=%d status=%d code=%s closed=%d", idx, sent,
		 up_len, send_err, status, code, closed);
	if (health >= 0)
		printf("%s health=%d\n", out, health);
	else
		printf("%s\n", out);
	fflush(stdout);
	return NULL;
}

static int cmd_upload(int argc, char **argv)
{
	size_t bytes = 0, n, i, count = 1;
	int wrap = 0, plain = -1;
	const char *sess = NULL, *sessf = NULL;
	char *json, line[256];
	pthread_t *th;
	FILE *f;

	for (i = 2; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--wrap-sets"))
			wrap = 1;
		else if (!strcmp(argv[i], "--then-health"))
			up_health = 1;
		else if (!strcmp(argv[i], "--trickle"))
			up_trickle = 1;
		else if (i + 1 >= (size_t)argc)
			die_usage("an option needs a value");
		else if (!strcmp(argv[i], "--path"))
			up_path = argv[++i];
		else if (!strcmp(argv[i], "--count"))
			count = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--from")) {
			if (!loopback(argv[++i], &up_src))
				die_usage("--from must be in 127.0.0.0/8");
			up_has_src = 1;
		} else if (!strcmp(argv[i], "--session"))
			sess = argv[++i];
		else if (!strcmp(argv[i], "--sessions"))
			sessf = argv[++i];
		else if (!strcmp(argv[i], "--gzip-json")) {
			bytes = strtoul(argv[++i], NULL, 10);
			plain = 0;
		} else if (!strcmp(argv[i], "--plain-json")) {
			bytes = strtoul(argv[++i], NULL, 10);
			plain = 1;
		} else if (!strcmp(argv[i], "--hold"))
			up_hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--timeout"))
			up_timeout = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rounds"))
			up_rounds = atoi(argv[++i]);
		else
			die_usage("unknown upload option");
	}
	if (!up_path || plain < 0 || count < 1 || count > 64 ||
	    bytes > 256u * 1024 * 1024 || up_hold > 120 || up_timeout < 1 ||
	    up_timeout > 120 || up_rounds < 1 || up_rounds > 20)
		die_usage("upload needs --path and --gzip-json or --plain-json; "
			  "--count 1..64, at most 256 MiB, --hold 0..120, "
			  "--rounds 1..20");
	if (sess) {
		up_sessions = malloc(sizeof(char *));
		up_sessions[up_nsessions++] = strdup(sess);
	} else if (sessf) {
		if (!(f = fopen(sessf, "r")))
			die_usage("cannot read --sessions");
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = '\0';
			if (!line[0])
				continue;
			up_sessions = realloc(up_sessions, (up_nsessions + 1) *
					      sizeof(char *));
			up_sessions[up_nsessions++] = strdup(line);
		}
		fclose(f);
	}
	json = digits(bytes, wrap, &n);
	if (!json)
		return 1;
	up_gzip = !plain;
	if (up_gzip) {
		up_body = gzip_buf(json, n, &up_len);
		free(json);
		if (!up_body)
			return 1;
	} else {
		up_body = json;
		up_len = n;
	}
	th = calloc(count, sizeof(*th));
	for (; up_rounds > 0; up_rounds--) {
		for (i = 0; i < count; i++)
			pthread_create(&th[i], NULL, upload_one,
				       (void *)(uintptr_t)i);
		for (i = 0; i < count; i++)
			pthread_join(th[i], NULL);
	}
	free(th);
	free(up_body);
	return 0;
}

/* ---- raw ------------------------------------------------------------ */

static int cmd_raw(int argc, char **argv)
{
	int i, wait_ms = 3000, fd, status, closed;
	char *req = NULL, code[64];
	size_t len = 0, cap = 0, r;

	for (i = 2; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--wait-ms"))
			wait_ms = atoi(argv[++i]);
		else
			die_usage("unknown raw option");
	}
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > 16u * 1024 * 1024 || !(req = realloc(req, cap)))
				die_usage("stdin too large");
		}
		r = fread(req + len, 1, cap - len, stdin);
		if (r == 0)
			break;
		len += r;
	}
	if ((fd = dial(NULL, 0)) < 0) {
		printf("raw status=0 code= closed=1\n");
		return 0;
	}
	if (len && send(fd, req, len, MSG_NOSIGNAL) < 0) {
		printf("raw status=0 code= closed=1 send_error=%d\n", errno);
		return 0;
	}
	status = read_answer(fd, (wait_ms + 999) / 1000, code, sizeof(code),
			     &closed);
	if (!closed) {
		/* answered, and still open? give it wait_ms more to close */
		struct pollfd p = { fd, POLLIN, 0 };
		char b;
		if (poll(&p, 1, wait_ms) > 0 && recv(fd, &b, 1, 0) <= 0)
			closed = 1;
	}
	printf("raw status=%d code=%s closed=%d\n", status, code, closed);
	close(fd);
	free(req);
	return 0;
}

int main(int argc, char **argv)
{
	struct in_addr a;
	int i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 2; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--host"))
			host = argv[i + 1];
		else
			continue;
		memmove(argv + i, argv + i + 2, (size_t)(argc - i - 2) *
			sizeof(char *));
		argc -= 2;
		i--;
	}
	if (argc < 2 || port < 1 || port > 65535)
		die_usage("usage: hammer loris|upload|raw --port P ...");
	if (!loopback(host, &a))
		die_usage("--host must be in 127.0.0.0/8");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "loris")) {
		signal(SIGTERM, on_stop); /* report, then exit */
		signal(SIGINT, on_stop);
		return cmd_loris(argc, argv);
	}
	if (!strcmp(argv[1], "upload"))
		return cmd_upload(argc, argv);
	if (!strcmp(argv[1], "raw"))
		return cmd_raw(argc, argv);
	die_usage("unknown command");
	return 2;
}
