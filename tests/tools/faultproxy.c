/*
** This file contains faultproxy, a TCP proxy for the end-to-end tests and the
** benchmark. It sits between a client and a server on loopback and either
** injects faults (cuts a connection at a chosen byte, stalls it, delivers the
** client's bytes a second time) or emulates a slow link (a bandwidth limit per
** direction shared by all connections, plus a one-way delay). One process,
** one poll() loop, no threads. Faults are drawn per connection from a seeded
** PRNG whose seed is printed at start, so any failing run can be replayed.
**
** USAGE
**   faultproxy --to HOST:PORT [options]
**
**   --to HOST:PORT     upstream server; HOST must be loopback (127.0.0.0/8,
**                      ::1 or a name resolving only to those), anything else
**                      is refused: this machine's network policy forbids it
**   --port N           listen on 127.0.0.1:N (default 0 = any free port)
**   --port-file FILE   write the listening port there (atomically, via
**                      rename); the port is also the first line on stdout
**   --seed S           PRNG seed (default: from time and pid); always printed
**                      to stderr as "faultproxy: seed S" at start
**   --skip-first N     the first N connections pass untouched (default 0)
**   --cut-prob P       probability (0..1) that a connection is cut: both
**                      sides closed with RST after a number of bytes drawn in
**                      [0, --cut-max), counted over both directions
**   --cut-max BYTES    range of the cut offset (default 65536)
**   --cut-after N      cut at exactly N bytes instead (deterministic); alone
**                      it implies --cut-prob 1
**   --stall-prob P     probability that forwarding stops (both directions)
**                      after an offset in [0, --stall-max); sockets stay open
**                      and whatever arrives is discarded, until the client
**                      closes: the client must notice through its own timeout
**   --stall-max BYTES  range of the stall offset (default 65536)
**   --stall-after N    stall at exactly N bytes; alone implies --stall-prob 1
**   --dup-prob P       probability that, after the connection ended (not cut,
**                      not stalled), every byte the server received from the
**                      client is sent again on a fresh upstream connection and
**                      the reply is discarded: a request delivered twice
**   --up-bps N         client->server bandwidth in bits/s (0 = unlimited),
**                      one token bucket shared by all connections: one link
**   --down-bps N       server->client bandwidth in bits/s (0 = unlimited)
**   --delay-ms N       one-way delay added to each direction (round trip 2N);
**                      a connection's TCP handshake is modelled too: what the
**                      client sends leaves no earlier than one round trip
**                      after it connected (its SYN out and the SYN-ACK back),
**                      as on a real link, where the proxy's own loopback
**                      accept would make it free
**   --buffer BYTES     per connection and direction queue limit (default
**                      65536); the proxy stops reading a side when full
**   --max-seconds N    exit on its own after N seconds (default 600)
**   --log FILE         append per-connection log lines there (default stderr)
**   --stats FILE       write the stats line there (rewritten atomically)
**                      instead of stdout
**   --help             this text
**
**   The fault of a connection is one of cut, stall, dup or none: one uniform
**   draw u picks cut if u < cut-prob, stall if u < cut-prob + stall-prob, dup
**   if u < cut-prob + stall-prob + dup-prob (the sum must not exceed 1).
**   Every connection after --skip-first draws exactly two numbers, so the
**   decisions of the K-th connection depend only on the seed and K.
**
**   Log line per connection (at its end):
**     faultproxy: conn 3 fault=cut@1234 end=cut up=1000 down=234 rt=1 ms=12
**   fault is none, skip, cut@N, stall@N or dup; up/down are bytes forwarded,
**   rt the round trips seen (see stats). A dup's replay adds, when it ends:
**     faultproxy: conn 3 dup-replay end=closed sent=83 reply=5202
**
**   Stats, one JSON line on exit and on SIGUSR1 (SIGUSR2 zeroes them, the
**   connection count included, and empties both token buckets, so that what
**   comes after is timed as on an idle link that has no credit saved up):
**     {"bytes_up":N,"bytes_down":N,"connections":N,"round_trips":N,
**      "cuts":N,"stalls":N,"dups":N,"dup_bytes":N,"seconds":F}
**   bytes_* are bytes forwarded to the far side (replays excluded, they are
**   dup_bytes); round_trips counts, per connection, each time data comes
**   from the server after data came from the client (a request/response
**   exchange), summed, except an answer that comes after the client closed
**   its side (a TLS close_notify's reply: nobody waits for it); a TCP
**   handshake is not in it (it carries no data:
**   count one per connection); cuts/stalls count faults that actually fired; dups
**   counts replays made; seconds is the time since start (or last SIGUSR2).
**
**   Exit status: 0 after SIGTERM/SIGINT or --max-seconds; 1 on a runtime
**   error (cannot listen...); 2 on a bad argument.
**
**   Bytes are counted when written to the destination socket, so with
**   --cut-after N the two peers together receive exactly N bytes. Shaping
**   applies the delay first and the bandwidth limit second; a FIFO link gives
**   the same total time either way (delay + bytes / rate). A bucket holds
**   at most 8 ms of the rate (256 bytes at least), so a transfer takes
**   bytes / rate whatever the link did before: a small request is not sent
**   in one free burst. Only TCP payload is counted and shaped: the headers
**   of TCP/IP and TLS records inside the payload are not modelled apart.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define DUP_RECORD_MAX (64u * 1024 * 1024) /* replay no more than this */
#define REPLAY_TIMEOUT_US (10 * 1000000LL) /* give up on a replay reply */
#define SHAPED_SOCKBUF 32768 /* keep kernel buffers near a link's size */
#define CUT_DRAIN_US 500000 /* most a cut waits for written bytes to leave */
#define CUT_POLL_US 2000

enum fault { F_NONE, F_SKIP, F_CUT, F_STALL, F_DUP };

struct opts {
	unsigned port;
	const char *port_file;
	const char *to;
	const char *log_path;
	const char *stats_path;
	uint64_t seed;
	int seed_set;
	uint64_t skip_first;
	double cut_prob, stall_prob, dup_prob; /* < 0: not given */
	uint64_t cut_max, stall_max;
	int64_t cut_after, stall_after; /* < 0: not given */
	uint64_t up_bps, down_bps;
	uint64_t delay_ms;
	uint64_t buffer;
	uint64_t max_seconds;
};

struct chunk {
	struct chunk *next;
	int64_t due; /* monotonic us when the delay has passed */
	size_t len, off;
	unsigned char data[];
};

/* One direction of a connection: source socket -> queue -> destination. */
struct dir {
	struct chunk *head, *tail;
	size_t queued;
	int eof;      /* the source sent FIN */
	int shut;     /* FIN passed on to the destination */
	int blocked;  /* destination send buffer full: wait for POLLOUT */
	uint64_t fwd; /* bytes written to the destination */
};

struct conn {
	uint64_t id;
	int cfd, ufd;   /* client side, upstream side (-1 when closed) */
	int connecting; /* upstream connect() in progress */
	struct dir up, down;
	enum fault fault;
	uint64_t at;    /* cut/stall offset over both directions */
	int stalled;
	int64_t cutting; /* cut fired: RST once sent bytes left (deadline) */
	int last_up;    /* last data read came from the client */
	uint64_t rts;
	unsigned char *rec; /* bytes sent upstream, kept for a dup replay */
	size_t rec_len, rec_cap;
	int rec_over;   /* too much to keep: no replay */
	int64_t start;
	int dead;
	const char *end;
};

/* A second delivery of a finished connection's client bytes. */
struct replay {
	uint64_t id;
	int fd;
	int connecting;
	int shut;       /* the whole request is sent and FIN passed on */
	unsigned char *buf;
	size_t len, off;
	uint64_t reply;
	int64_t deadline;
	int done;
	const char *end;
};

struct bucket {
	double rate;   /* bytes per second; 0 = unlimited */
	double tokens;
	double burst;  /* what a wait waits for */
	double cap;    /* what the bucket may hold: a late wake-up keeps its due */
	int64_t last;
};

struct stats {
	uint64_t bytes_up, bytes_down, connections, round_trips;
	uint64_t cuts, stalls, dups, dup_bytes;
	int64_t since;
};

static struct opts O;
static FILE *logfp;
static struct stats S;
static uint64_t conn_ids; /* never reset: connection ids stay unique */
static struct bucket up_bucket, down_bucket;
static struct sockaddr_storage up_addr;
static socklen_t up_addrlen;
static uint64_t rng_state;
static struct conn **conns;
static size_t nconns, capconns;
static struct replay **replays;
static size_t nreplays, capreplays;
static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_stop, got_usr1, got_usr2;
static int exiting; /* no new replays while shutting down */

/* ---- small helpers (a tool: it may exit on failure) ---- */

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("faultproxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;
	fputs("faultproxy: ", logfp);
	va_start(ap, fmt);
	vfprintf(logfp, fmt, ap);
	va_end(ap);
	fputc('\n', logfp);
	fflush(logfp);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die(1, "out of memory (%zu bytes)", n);
	return p;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64: tiny, good enough, and the same on every machine. */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die(1, "fcntl: %s", strerror(errno));
}

/* Close so the peer gets RST, not FIN: that is what a dropped link looks
** like to a TCP stack on the far side of a middlebox that gave up. */
static void close_rst(int fd)
{
	struct linger lg = { 1, 0 };
	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

/* ---- argument parsing ---- */

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		die(2, "%s: '%s' is not a whole number in [%" PRIu64 ", %" PRIu64 "]",
		    opt, s ? s : "", min, max);
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		die(2, "%s: '%s' is not a whole number in [%" PRIu64 ", %" PRIu64 "]",
		    opt, s, min, max);
	return (uint64_t)v;
}

static double parse_prob(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = s && *s ? strtod(s, &end) : -1;
	if (!s || !*s || errno || *end || !(v >= 0.0 && v <= 1.0))
		die(2, "%s: '%s' is not a probability in [0, 1]", opt, s ? s : "");
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: faultproxy --to HOST:PORT [options]\n"
	      "  a fault-injecting, link-shaping TCP proxy on 127.0.0.1 for tests\n"
	      "  --to HOST:PORT     upstream, loopback only (127.0.0.0/8, ::1)\n"
	      "  --port N           listen port on 127.0.0.1 (default 0: any free)\n"
	      "  --port-file FILE   write the port there (also 1st line of stdout)\n"
	      "  --seed S           PRNG seed (printed at start; default from time)\n"
	      "  --skip-first N     first N connections pass untouched\n"
	      "  --cut-prob P       P in [0,1]: RST both sides after a random offset\n"
	      "  --cut-max BYTES    cut offset drawn in [0, BYTES) (default 65536)\n"
	      "  --cut-after N      cut at exactly N bytes (implies --cut-prob 1)\n"
	      "  --stall-prob P     stop forwarding after a random offset\n"
	      "  --stall-max BYTES  stall offset range (default 65536)\n"
	      "  --stall-after N    stall at exactly N bytes (implies --stall-prob 1)\n"
	      "  --dup-prob P       replay the client's bytes on a new connection\n"
	      "  --up-bps N         client->server bits/s, shared (0 = unlimited)\n"
	      "  --down-bps N       server->client bits/s, shared (0 = unlimited)\n"
	      "  --delay-ms N       one-way delay each direction (RTT = 2N)\n"
	      "  --buffer BYTES     queue limit per connection and direction (65536)\n"
	      "  --max-seconds N    exit after N seconds (default 600)\n"
	      "  --log FILE         per-connection log (default stderr)\n"
	      "  --stats FILE       JSON stats there instead of stdout\n"
	      "  --help             this text\n"
	      "stats (exit, SIGUSR1; SIGUSR2 resets): {\"bytes_up\":N,\"bytes_down\":N,\n"
	      "  \"connections\":N,\"round_trips\":N,\"cuts\":N,\"stalls\":N,\"dups\":N,\n"
	      "  \"dup_bytes\":N,\"seconds\":F}\n"
	      "exit status: 0 on SIGTERM/SIGINT/--max-seconds, 1 runtime error,\n"
	      "  2 bad argument\n",
	      f);
}

static void parse_args(int argc, char **argv)
{
	int i;

	memset(&O, 0, sizeof O);
	O.cut_prob = O.stall_prob = O.dup_prob = -1;
	O.cut_after = O.stall_after = -1;
	O.cut_max = O.stall_max = 65536;
	O.buffer = 65536;
	O.max_seconds = 600;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (strncmp(a, "--", 2) != 0)
			die(2, "unexpected argument '%s' (see --help)", a);
		if (!v)
			die(2, "%s needs a value (see --help)", a);
		i++;
		if (!strcmp(a, "--to"))
			O.to = v;
		else if (!strcmp(a, "--port"))
			O.port = (unsigned)parse_u64(a, v, 0, 65535);
		else if (!strcmp(a, "--port-file"))
			O.port_file = v;
		else if (!strcmp(a, "--seed")) {
			O.seed = parse_u64(a, v, 0, UINT64_MAX);
			O.seed_set = 1;
		} else if (!strcmp(a, "--skip-first"))
			O.skip_first = parse_u64(a, v, 0, UINT64_MAX);
		else if (!strcmp(a, "--cut-prob"))
			O.cut_prob = parse_prob(a, v);
		else if (!strcmp(a, "--cut-max"))
			O.cut_max = parse_u64(a, v, 1, INT64_MAX);
		else if (!strcmp(a, "--cut-after"))
			O.cut_after = (int64_t)parse_u64(a, v, 0, INT64_MAX);
		else if (!strcmp(a, "--stall-prob"))
			O.stall_prob = parse_prob(a, v);
		else if (!strcmp(a, "--stall-max"))
			O.stall_max = parse_u64(a, v, 1, INT64_MAX);
		else if (!strcmp(a, "--stall-after"))
			O.stall_after = (int64_t)parse_u64(a, v, 0, INT64_MAX);
		else if (!strcmp(a, "--dup-prob"))
			O.dup_prob = parse_prob(a, v);
		else if (!strcmp(a, "--up-bps"))
			O.up_bps = parse_u64(a, v, 0, 1000000000000ULL);
		else if (!strcmp(a, "--down-bps"))
			O.down_bps = parse_u64(a, v, 0, 1000000000000ULL);
		else if (!strcmp(a, "--delay-ms"))
			O.delay_ms = parse_u64(a, v, 0, 600000);
		else if (!strcmp(a, "--buffer"))
			O.buffer = parse_u64(a, v, 1, 1024 * 1024 * 1024);
		else if (!strcmp(a, "--max-seconds"))
			O.max_seconds = parse_u64(a, v, 1, 7 * 86400);
		else if (!strcmp(a, "--log"))
			O.log_path = v;
		else if (!strcmp(a, "--stats"))
			O.stats_path = v;
		else
			die(2, "unknown option '%s' (see --help)", a);
	}
	if (!O.to)
		die(2, "--to HOST:PORT is required (see --help)");
	if (O.cut_prob < 0)
		O.cut_prob = O.cut_after >= 0 ? 1.0 : 0.0;
	if (O.stall_prob < 0)
		O.stall_prob = O.stall_after >= 0 ? 1.0 : 0.0;
	if (O.dup_prob < 0)
		O.dup_prob = 0.0;
	if (O.cut_prob + O.stall_prob + O.dup_prob > 1.0 + 1e-9)
		die(2, "--cut-prob + --stall-prob + --dup-prob = %g exceeds 1 "
		       "(one fault per connection)",
		    O.cut_prob + O.stall_prob + O.dup_prob);
}

/* Resolves --to and checks every address it names is loopback. */
static void resolve_upstream(void)
{
	char host[256], addrtxt[INET6_ADDRSTRLEN];
	const char *colon = strrchr(O.to, ':');
	const char *port;
	size_t hl;
	struct addrinfo hints, *res = NULL, *ai;
	int rc;

	if (!colon || colon == O.to || !colon[1])
		die(2, "--to: '%s' is not HOST:PORT (e.g. 127.0.0.1:8080)", O.to);
	port = colon + 1;
	(void)parse_u64("--to port", port, 1, 65535);
	hl = (size_t)(colon - O.to);
	if (hl >= sizeof host)
		die(2, "--to: host name too long");
	memcpy(host, O.to, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		die(2, "--to: cannot resolve '%s': %s", host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		int loop = 0;
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)ai->ai_addr;
			loop = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
			inet_ntop(AF_INET, &s4->sin_addr, addrtxt, sizeof addrtxt);
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)ai->ai_addr;
			loop = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
			inet_ntop(AF_INET6, &s6->sin6_addr, addrtxt, sizeof addrtxt);
		} else {
			snprintf(addrtxt, sizeof addrtxt, "(family %d)", ai->ai_family);
		}
		if (!loop) {
			freeaddrinfo(res);
			die(2, "--to: '%s' is %s, not a loopback address; only "
			       "127.0.0.0/8 and ::1 are allowed (this machine's network "
			       "policy forbids other addresses)",
			    host, addrtxt);
		}
	}
	memcpy(&up_addr, res->ai_addr, res->ai_addrlen);
	up_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* ---- signals (self-pipe, so poll() wakes up) ---- */

static void on_signal(int sig)
{
	int saved = errno;
	char c = 0;

	if (sig == SIGUSR1)
		got_usr1 = 1;
	else if (sig == SIGUSR2)
		got_usr2 = 1;
	else
		got_stop = 1;
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* pipe full: a wakeup is already pending */
	}
	errno = saved;
}

static void setup_signals(void)
{
	struct sigaction sa;
	int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	size_t i;

	if (pipe(sig_pipe) < 0)
		die(1, "pipe: %s", strerror(errno));
	set_nonblock(sig_pipe[0]);
	set_nonblock(sig_pipe[1]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			die(1, "sigaction: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
}

/* ---- stats ---- */

static void stats_print(int64_t now)
{
	char line[512];
	int n = snprintf(line, sizeof line,
	                 "{\"bytes_up\":%" PRIu64 ",\"bytes_down\":%" PRIu64
	                 ",\"connections\":%" PRIu64 ",\"round_trips\":%" PRIu64
	                 ",\"cuts\":%" PRIu64 ",\"stalls\":%" PRIu64 ",\"dups\":%" PRIu64
	                 ",\"dup_bytes\":%" PRIu64 ",\"seconds\":%.3f}\n",
	                 S.bytes_up, S.bytes_down, S.connections, S.round_trips, S.cuts,
	                 S.stalls, S.dups, S.dup_bytes, (double)(now - S.since) / 1e6);

	if (n < 0 || (size_t)n >= sizeof line) {
		logmsg("stats line truncated");
		return;
	}
	if (O.stats_path) {
		char tmp[4096];
		FILE *f;
		int m = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", O.stats_path, (long)getpid());
		if (m < 0 || (size_t)m >= sizeof tmp) {
			logmsg("--stats path too long");
			return;
		}
		f = fopen(tmp, "w");
		if (!f || fputs(line, f) == EOF || fclose(f) != 0 || rename(tmp, O.stats_path) != 0)
			logmsg("cannot write --stats %s: %s", O.stats_path, strerror(errno));
	} else {
		fputs(line, stdout);
		fflush(stdout);
	}
}

/* ---- token buckets ---- */

/* An idle link that saved nothing up (at start, and on SIGUSR2). */
static void bucket_empty(struct bucket *b, int64_t now)
{
	b->tokens = 0;
	b->last = now;
}

static void bucket_init(struct bucket *b, uint64_t bps, int64_t now)
{
	b->rate = (double)bps / 8.0;
	/* A burst of 2 ms or 64 bytes, whichever is larger: small enough that
	** a transfer's time is bytes / rate even after an idle spell, large
	** enough that the loop does not spin (500 wake-ups a second at most). */
	b->burst = b->rate / 500.0 > 64.0 ? b->rate / 500.0 : 64.0;
	/* poll() sleeps whole milliseconds and wakes late: the credit of an
	** oversleep is kept up to 4 bursts, or every wait would slow the link. */
	b->cap = 4 * b->burst;
	bucket_empty(b, now);
}

static void bucket_refill(struct bucket *b, int64_t now)
{
	if (b->rate <= 0)
		return;
	b->tokens += b->rate * (double)(now - b->last) / 1e6;
	if (b->tokens > b->cap)
		b->tokens = b->cap;
	b->last = now;
}

static size_t bucket_allow(const struct bucket *b, size_t want)
{
	double t;
	if (b->rate <= 0)
		return want;
	t = floor(b->tokens);
	if (t <= 0)
		return 0;
	return (double)want < t ? want : (size_t)t;
}

static void bucket_take(struct bucket *b, size_t n)
{
	if (b->rate > 0)
		b->tokens -= (double)n;
}

/* Microseconds until `need` bytes may be sent (0: now). */
static int64_t bucket_wait(const struct bucket *b, size_t need)
{
	double n = (double)need;
	if (b->rate <= 0)
		return 0;
	if (n > b->burst)
		n = b->burst;
	if (b->tokens >= n)
		return 0;
	return (int64_t)ceil((n - b->tokens) / b->rate * 1e6);
}

/* ---- connections ---- */

static const char *fault_text(const struct conn *c, char *buf, size_t n)
{
	switch (c->fault) {
	case F_SKIP: return "skip";
	case F_DUP: return "dup";
	case F_CUT: snprintf(buf, n, "cut@%" PRIu64, c->at); return buf;
	case F_STALL: snprintf(buf, n, "stall@%" PRIu64, c->at); return buf;
	case F_NONE: break;
	}
	return "none";
}

static void dir_free(struct dir *d)
{
	while (d->head) {
		struct chunk *k = d->head;
		d->head = k->next;
		free(k);
	}
	d->tail = NULL;
	d->queued = 0;
}

/* Ends a connection. rst: the peers see RST (a cut, an error mirrored). */
static void conn_end(struct conn *c, const char *why, int rst)
{
	if (c->dead)
		return;
	if (rst) {
		close_rst(c->cfd);
		close_rst(c->ufd);
	} else {
		if (c->cfd >= 0)
			close(c->cfd);
		if (c->ufd >= 0)
			close(c->ufd);
	}
	c->cfd = c->ufd = -1;
	dir_free(&c->up);
	dir_free(&c->down);
	c->dead = 1;
	c->end = why;
}

/* Bytes written to fd that the kernel has not sent yet. */
static int unsent(int fd)
{
	int n = 0;
	if (fd < 0 || ioctl(fd, SIOCOUTQNSD, &n) < 0)
		return 0;
	return n;
}

/* Fires a cut or stall once the connection has carried its offset. A cut
** first lets the bytes already written leave the socket (an RST would
** discard them), so the peers receive exactly the offset. */
static void conn_check_fault(struct conn *c, int64_t now)
{
	if (c->dead || c->stalled || c->cutting)
		return;
	if ((c->fault != F_CUT && c->fault != F_STALL) || c->up.fwd + c->down.fwd < c->at)
		return;
	if (c->fault == F_CUT) {
		S.cuts++;
		c->cutting = now + CUT_DRAIN_US;
		dir_free(&c->up);
		dir_free(&c->down);
		if (!unsent(c->cfd) && !unsent(c->ufd))
			conn_end(c, "cut", 1);
		return;
	}
	S.stalls++;
	c->stalled = 1;
	dir_free(&c->up);
	dir_free(&c->down);
}

static void conn_record(struct conn *c, const unsigned char *p, size_t n)
{
	if (c->fault != F_DUP || c->rec_over)
		return;
	if (c->rec_len + n > DUP_RECORD_MAX) {
		c->rec_over = 1;
		free(c->rec);
		c->rec = NULL;
		c->rec_len = c->rec_cap = 0;
		return;
	}
	if (c->rec_len + n > c->rec_cap) {
		size_t cap = c->rec_cap ? c->rec_cap : 4096;
		unsigned char *p2;
		while (cap < c->rec_len + n)
			cap *= 2;
		p2 = realloc(c->rec, cap);
		if (!p2)
			die(1, "out of memory recording conn %" PRIu64, c->id);
		c->rec = p2;
		c->rec_cap = cap;
	}
	memcpy(c->rec + c->rec_len, p, n);
	c->rec_len += n;
}

static int start_connect(int *connecting)
{
	int fd = socket(up_addr.ss_family, SOCK_STREAM, 0);
	*connecting = 0;
	if (fd < 0)
		return -1;
	set_nonblock(fd);
	if (O.up_bps || O.down_bps) {
		int sz = SHAPED_SOCKBUF;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	}
	if (connect(fd, (const struct sockaddr *)&up_addr, up_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		*connecting = 1;
	}
	return fd;
}

static void conn_accept(int cfd, int64_t now)
{
	struct conn *c = xmalloc(sizeof *c);

	memset(c, 0, sizeof *c);
	c->id = ++conn_ids;
	S.connections++;
	c->cfd = cfd;
	c->ufd = -1;
	c->start = now;
	set_nonblock(cfd);
	if (c->id <= O.skip_first) {
		c->fault = F_SKIP;
	} else {
		double u = (double)(rng_next() >> 11) * 0x1p-53;
		uint64_t r = rng_next();
		if (u < O.cut_prob) {
			c->fault = F_CUT;
			c->at = O.cut_after >= 0 ? (uint64_t)O.cut_after : r % O.cut_max;
		} else if (u < O.cut_prob + O.stall_prob) {
			c->fault = F_STALL;
			c->at = O.stall_after >= 0 ? (uint64_t)O.stall_after : r % O.stall_max;
		} else if (u < O.cut_prob + O.stall_prob + O.dup_prob) {
			c->fault = F_DUP;
		}
	}
	if (nconns == capconns) {
		size_t cap = capconns ? capconns * 2 : 16;
		struct conn **p = realloc(conns, cap * sizeof *p);
		if (!p)
			die(1, "out of memory");
		conns = p;
		capconns = cap;
	}
	conns[nconns++] = c;

	/* A cut at 0 never reaches the server, as a link dead on arrival. */
	if (c->fault == F_CUT && c->at == 0) {
		conn_check_fault(c, now);
		return;
	}
	c->ufd = start_connect(&c->connecting);
	if (c->ufd < 0) {
		logmsg("conn %" PRIu64 ": upstream %s: %s", c->id, O.to, strerror(errno));
		conn_end(c, "upstream-refused", 1);
		return;
	}
	conn_check_fault(c, now);
}

/* Reads what one side sent into the other direction's queue. */
static void conn_read(struct conn *c, int from_client, int64_t now)
{
	unsigned char buf[READ_CHUNK];
	struct dir *d = from_client ? &c->up : &c->down;
	int fd = from_client ? c->cfd : c->ufd;
	size_t room = O.buffer > d->queued ? (size_t)O.buffer - d->queued : 0;
	ssize_t n;
	struct chunk *k;

	if (c->cutting)
		return;
	if (c->stalled)
		room = sizeof buf; /* read and discard: the link is a black hole */
	if (room == 0 || d->eof)
		return;
	n = recv(fd, buf, room < sizeof buf ? room : sizeof buf, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_end(c, from_client ? "client-error" : "server-error", 1);
		return;
	}
	if (n == 0) {
		d->eof = 1;
		if (c->stalled) {
			if (from_client) {
				conn_end(c, "stall,client-closed", 0);
			} else {
				/* Keep the client hanging: the server's close is not
				** visible through a stalled link. */
				close(c->ufd);
				c->ufd = -1;
			}
		}
		return;
	}
	if (c->stalled)
		return;
	if (from_client) {
		c->last_up = 1;
	} else if (c->last_up && !c->up.eof) {
		c->last_up = 0;
		c->rts++;
		S.round_trips++;
	}
	k = xmalloc(sizeof *k + (size_t)n);
	k->next = NULL;
	k->due = now + (int64_t)O.delay_ms * 1000;
	/* The TCP handshake: the client's bytes cannot leave before its SYN
	** went out and the SYN-ACK came back, one round trip after connect. */
	if (from_client && O.delay_ms && now < c->start + 2 * (int64_t)O.delay_ms * 1000)
		k->due = c->start + 3 * (int64_t)O.delay_ms * 1000;
	k->len = (size_t)n;
	k->off = 0;
	memcpy(k->data, buf, (size_t)n);
	if (d->tail)
		d->tail->next = k;
	else
		d->head = k;
	d->tail = k;
	d->queued += (size_t)n;
}

/* Writes what is due and allowed by the bucket and the fault offset. */
static void conn_flush(struct conn *c, int to_server, int64_t now)
{
	struct dir *d = to_server ? &c->up : &c->down;
	struct bucket *b = to_server ? &up_bucket : &down_bucket;

	while (!c->dead && !c->stalled && !c->cutting && d->head && !d->blocked) {
		struct chunk *k = d->head;
		int fd = to_server ? c->ufd : c->cfd;
		size_t want = k->len - k->off;
		ssize_t n;

		if (k->due > now)
			break;
		if (c->fault == F_CUT || c->fault == F_STALL) {
			uint64_t left = c->at - (c->up.fwd + c->down.fwd);
			if (want > left)
				want = (size_t)left;
		}
		want = bucket_allow(b, want);
		if (want == 0)
			break;
		n = send(fd, k->data + k->off, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				d->blocked = 1;
				break;
			}
			if (errno == EINTR)
				continue;
			conn_end(c, to_server ? "server-error" : "client-error", 1);
			return;
		}
		bucket_take(b, (size_t)n);
		d->fwd += (uint64_t)n;
		if (to_server) {
			S.bytes_up += (uint64_t)n;
			conn_record(c, k->data + k->off, (size_t)n);
		} else {
			S.bytes_down += (uint64_t)n;
		}
		k->off += (size_t)n;
		d->queued -= (size_t)n;
		if (k->off == k->len) {
			d->head = k->next;
			if (!d->head)
				d->tail = NULL;
			free(k);
		}
		conn_check_fault(c, now);
	}
	if (!c->dead && !c->stalled && !c->cutting && d->eof && !d->head && !d->shut) {
		(void)shutdown(to_server ? c->ufd : c->cfd, SHUT_WR);
		d->shut = 1;
	}
}

static void conn_pump(struct conn *c, int64_t now)
{
	if (c->cutting && !c->dead) {
		if (now >= c->cutting || (!unsent(c->cfd) && !unsent(c->ufd)))
			conn_end(c, "cut", 1);
		return;
	}
	if (c->dead || c->stalled || c->connecting)
		return;
	conn_flush(c, 1, now);
	conn_flush(c, 0, now);
	if (!c->dead && c->up.shut && c->down.shut)
		conn_end(c, "closed", 0);
}

/* Earliest time this connection needs attention without any I/O event. */
static int64_t conn_next_due(const struct conn *c, int64_t now)
{
	int64_t t = INT64_MAX;
	int i;

	if (c->cutting && !c->dead)
		return now + CUT_POLL_US;
	if (c->dead || c->stalled || c->connecting)
		return t;
	for (i = 0; i < 2; i++) {
		const struct dir *d = i ? &c->up : &c->down;
		const struct bucket *b = i ? &up_bucket : &down_bucket;
		int64_t due;
		if (!d->head || d->blocked)
			continue;
		if (d->head->due > now)
			due = d->head->due;
		else
			due = now + bucket_wait(b, d->head->len - d->head->off);
		if (due < t)
			t = due;
	}
	return t;
}

/* ---- replays (dup fault) ---- */

static void replay_start(struct conn *c, int64_t now)
{
	struct replay *r;

	if (c->rec_over) {
		logmsg("conn %" PRIu64 ": dup skipped, more than %u bytes", c->id,
		       DUP_RECORD_MAX);
		return;
	}
	r = xmalloc(sizeof *r);
	memset(r, 0, sizeof *r);
	r->id = c->id;
	r->buf = c->rec;
	r->len = c->rec_len;
	c->rec = NULL;
	r->deadline = now + REPLAY_TIMEOUT_US;
	r->fd = start_connect(&r->connecting);
	if (r->fd < 0) {
		logmsg("conn %" PRIu64 ": dup: upstream %s: %s", c->id, O.to, strerror(errno));
		free(r->buf);
		free(r);
		return;
	}
	S.dups++;
	if (nreplays == capreplays) {
		size_t cap = capreplays ? capreplays * 2 : 8;
		struct replay **p = realloc(replays, cap * sizeof *p);
		if (!p)
			die(1, "out of memory");
		replays = p;
		capreplays = cap;
	}
	replays[nreplays++] = r;
}

static void replay_io(struct replay *r, short revents)
{
	if (r->connecting) {
		int err = 0;
		socklen_t el = sizeof err;
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			r->done = 1;
			r->end = "connect-failed";
			return;
		}
		r->connecting = 0;
	}
	while (r->off < r->len) {
		ssize_t n = send(r->fd, r->buf + r->off, r->len - r->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			r->done = 1;
			r->end = "send-error";
			return;
		}
		r->off += (size_t)n;
		S.dup_bytes += (uint64_t)n;
	}
	if (!r->shut) {
		/* As the original client did, so the server ends its reply. */
		(void)shutdown(r->fd, SHUT_WR);
		r->shut = 1;
	}
	for (;;) {
		unsigned char buf[READ_CHUNK];
		ssize_t n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			r->reply += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		r->done = 1;
		r->end = n == 0 ? "closed" : "recv-error";
		return;
	}
}

static void replay_free(struct replay *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}

/* ---- listening ---- */

static int listen_on(unsigned port, unsigned *bound)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (O.up_bps || O.down_bps) {
		/* Set before listen() so accepted sockets inherit it and the
		** window advertised to the client stays near a link's size. */
		int sz = SHAPED_SOCKBUF;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die(1, "cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
	if (listen(fd, 128) < 0)
		die(1, "listen: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		die(1, "getsockname: %s", strerror(errno));
	*bound = ntohs(sa.sin_port);
	set_nonblock(fd);
	return fd;
}

static void write_port_file(unsigned port)
{
	char tmp[4096];
	FILE *f;
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", O.port_file, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof tmp)
		die(2, "--port-file: path too long");
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0)
		die(1, "--port-file: cannot write '%s': %s", tmp, strerror(errno));
	if (rename(tmp, O.port_file) != 0)
		die(1, "--port-file: cannot rename to '%s': %s", O.port_file, strerror(errno));
}

/* ---- the loop ---- */

enum pkind { P_SIG, P_LISTEN, P_CLIENT, P_UP, P_REPLAY };
struct pref {
	enum pkind kind;
	void *obj;
};

static void reap(int64_t now)
{
	size_t i = 0;
	char fb[48];

	while (i < nconns) {
		struct conn *c = conns[i];
		if (!c->dead) {
			i++;
			continue;
		}
		logmsg("conn %" PRIu64 " fault=%s end=%s up=%" PRIu64 " down=%" PRIu64
		       " rt=%" PRIu64 " ms=%" PRId64,
		       c->id, fault_text(c, fb, sizeof fb), c->end, c->up.fwd, c->down.fwd,
		       c->rts, (now - c->start) / 1000);
		if (c->fault == F_DUP && !exiting)
			replay_start(c, now);
		free(c->rec);
		free(c);
		conns[i] = conns[--nconns];
	}
	i = 0;
	while (i < nreplays) {
		struct replay *r = replays[i];
		if (!r->done && now >= r->deadline) {
			r->done = 1;
			r->end = "timeout";
		}
		if (!r->done) {
			i++;
			continue;
		}
		logmsg("conn %" PRIu64 " dup-replay end=%s sent=%zu reply=%" PRIu64, r->id,
		       r->end, r->off, r->reply);
		replay_free(r);
		replays[i] = replays[--nreplays];
	}
}

static void conn_io(struct conn *c, int client_side, short revents, int64_t now)
{
	if (c->dead)
		return;
	if (!client_side && c->connecting) {
		int err = 0;
		socklen_t el = sizeof err;
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			logmsg("conn %" PRIu64 ": upstream %s: %s", c->id, O.to,
			       strerror(err ? err : errno));
			conn_end(c, "upstream-refused", 1);
			return;
		}
		c->connecting = 0;
		return;
	}
	if (revents & POLLOUT) {
		if (client_side)
			c->down.blocked = 0;
		else
			c->up.blocked = 0;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		conn_read(c, client_side, now);
}

int main(int argc, char **argv)
{
	struct pollfd *pfd = NULL;
	struct pref *pref = NULL;
	size_t cap = 0;
	unsigned port = 0;
	int lfd;
	int64_t start, deadline, listen_pause = 0;
	const char *why = "max-seconds";
	size_t rr = 0;

	parse_args(argc, argv);
	logfp = stderr;
	if (O.log_path) {
		logfp = fopen(O.log_path, "a");
		if (!logfp)
			die(2, "--log: cannot open '%s': %s", O.log_path, strerror(errno));
	}
	resolve_upstream();
	if (!O.seed_set) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		O.seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
		         ((uint64_t)getpid() << 32);
	}
	rng_state = O.seed;
	setup_signals();
	lfd = listen_on(O.port, &port);
	start = now_us();
	S.since = start;
	deadline = start + (int64_t)O.max_seconds * 1000000;
	bucket_init(&up_bucket, O.up_bps, start);
	bucket_init(&down_bucket, O.down_bps, start);

	if (logfp != stderr) /* the log line below goes to stderr otherwise */
		fprintf(stderr, "faultproxy: seed %" PRIu64 "\n", O.seed);
	logmsg("seed %" PRIu64 " listen 127.0.0.1:%u to %s skip-first %" PRIu64
	       " cut %g (after %" PRId64 ", max %" PRIu64 ") stall %g (after %" PRId64
	       ", max %" PRIu64 ") dup %g up-bps %" PRIu64 " down-bps %" PRIu64
	       " delay-ms %" PRIu64,
	       O.seed, port, O.to, O.skip_first, O.cut_prob, O.cut_after, O.cut_max,
	       O.stall_prob, O.stall_after, O.stall_max, O.dup_prob, O.up_bps, O.down_bps,
	       O.delay_ms);
	if (O.port_file)
		write_port_file(port);
	printf("%u\n", port);
	fflush(stdout);

	for (;;) {
		int64_t now = now_us(), next = deadline;
		size_t np = 0, i, need;
		int timeout, rc;

		if (got_stop) {
			why = "signal";
			break;
		}
		if (now >= deadline)
			break;
		if (got_usr1) {
			got_usr1 = 0;
			stats_print(now);
		}
		if (got_usr2) {
			got_usr2 = 0;
			memset(&S, 0, sizeof S);
			S.since = now;
			bucket_empty(&up_bucket, now);
			bucket_empty(&down_bucket, now);
			logmsg("stats reset");
		}
		bucket_refill(&up_bucket, now);
		bucket_refill(&down_bucket, now);
		/* Rotate who is served first so one connection cannot take every
		** token of a shared bucket. */
		if (nconns) {
			rr = (rr + 1) % nconns;
			for (i = 0; i < nconns; i++)
				conn_pump(conns[(rr + i) % nconns], now);
		}
		reap(now);

		need = 2 + 2 * nconns + nreplays;
		if (need > cap) {
			cap = need * 2;
			pfd = realloc(pfd, cap * sizeof *pfd);
			pref = realloc(pref, cap * sizeof *pref);
			if (!pfd || !pref)
				die(1, "out of memory");
		}
		pfd[np] = (struct pollfd){ sig_pipe[0], POLLIN, 0 };
		pref[np++] = (struct pref){ P_SIG, NULL };
		if (now >= listen_pause) {
			pfd[np] = (struct pollfd){ lfd, POLLIN, 0 };
			pref[np++] = (struct pref){ P_LISTEN, NULL };
		} else if (listen_pause < next) {
			next = listen_pause;
		}
		for (i = 0; i < nconns; i++) {
			struct conn *c = conns[i];
			short ce = 0, ue = 0;
			int64_t t = conn_next_due(c, now);
			if (t < next)
				next = t;
			if (c->dead || c->cutting) {
				/* nothing: a cut is waiting for its bytes to leave */
			} else if (c->stalled) {
				ce = c->cfd >= 0 ? POLLIN : 0;
				ue = c->ufd >= 0 ? (c->connecting ? POLLOUT : POLLIN) : 0;
			} else if (c->connecting) {
				ce = !c->up.eof && c->up.queued < O.buffer ? POLLIN : 0;
				ue = POLLOUT;
			} else {
				if (!c->up.eof && c->up.queued < O.buffer)
					ce |= POLLIN;
				if (c->down.blocked)
					ce |= POLLOUT;
				if (!c->down.eof && c->down.queued < O.buffer)
					ue |= POLLIN;
				if (c->up.blocked)
					ue |= POLLOUT;
			}
			/* Only sockets we want something from: a half-closed socket
			** reports POLLHUP for ever and would spin the loop. */
			if (ce) {
				pfd[np] = (struct pollfd){ c->cfd, ce, 0 };
				pref[np++] = (struct pref){ P_CLIENT, c };
			}
			if (ue) {
				pfd[np] = (struct pollfd){ c->ufd, ue, 0 };
				pref[np++] = (struct pref){ P_UP, c };
			}
		}
		for (i = 0; i < nreplays; i++) {
			struct replay *r = replays[i];
			short ev = r->connecting || !r->shut ? POLLOUT : POLLIN;
			pfd[np] = (struct pollfd){ r->fd, ev, 0 };
			pref[np++] = (struct pref){ P_REPLAY, r };
			if (r->deadline < next)
				next = r->deadline;
		}
		timeout = next <= now ? 0 : (int)((next - now + 999) / 1000);
		if (timeout > 1000)
			timeout = 1000;

		rc = poll(pfd, (nfds_t)np, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die(1, "poll: %s", strerror(errno));
		}
		now = now_us();
		for (i = 0; i < np && rc > 0; i++) {
			short re = pfd[i].revents;
			if (!re)
				continue;
			switch (pref[i].kind) {
			case P_SIG: {
				char b[64];
				while (read(sig_pipe[0], b, sizeof b) > 0)
					;
				break;
			}
			case P_LISTEN:
				for (;;) {
					int cfd = accept(lfd, NULL, NULL);
					if (cfd < 0) {
						if (errno == EMFILE || errno == ENFILE) {
							logmsg("accept: %s; pausing", strerror(errno));
							listen_pause = now + 100000;
						}
						break;
					}
					conn_accept(cfd, now);
				}
				break;
			case P_CLIENT:
				conn_io(pref[i].obj, 1, re, now);
				break;
			case P_UP:
				conn_io(pref[i].obj, 0, re, now);
				break;
			case P_REPLAY:
				replay_io(pref[i].obj, re);
				break;
			}
		}
	}

	{
		int64_t now = now_us();
		size_t i;
		exiting = 1;
		for (i = 0; i < nconns; i++)
			conn_end(conns[i], "proxy-exit", 0);
		reap(now);
		for (i = 0; i < nreplays; i++) {
			replays[i]->done = 1;
			replays[i]->end = "proxy-exit";
		}
		reap(now);
		logmsg("exiting (%s)", why);
		stats_print(now);
	}
	free(conns);
	free(replays);
	free(pfd);
	free(pref);
	close(lfd);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	if (logfp != stderr)
		fclose(logfp);
	return 0;
}
