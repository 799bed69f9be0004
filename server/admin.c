/*
** This file contains the fieldsyncd commands (admin.h). The admin commands
** open the same database as a running server (SQLite WAL + busy timeout), so
** HQ can create tokens and revoke devices without stopping it: the server
** reads revocation inside every push transaction.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <sodium.h>
#include "protocol/changeset.h"
#include "protocol/link.h"
#include "admin.h"
#include "args.h"
#include "enroll_link.h"
#include "hq.h"
#include "http.h"
#include "web.h"

#define EXIT_USAGE 2
#define STR_(x) #x
#define STR(x) STR_(x)


/* The shared parser, with the command's own name in messages. */
static int parse_args(int argc, char **argv, const srv_opt *opts,
		      size_t nopts, const char **pos, int maxpos, int *npos,
		      const char *usage)
{
	return srv_args_parse(argc, argv, opts, nopts, pos, maxpos, npos,
			      argv[0], usage);
}

static int need_db(const char *cmd, const char *db, const char *usage)
{
	if (db && *db)
		return 0;
	fprintf(stderr, "%s: --db PATH is required\n%s", cmd, usage);
	return EXIT_USAGE;
}

static int init_proto(void)
{
	if (proto_init() != 0) {
		fprintf(stderr, "fieldsyncd: libsodium cannot initialise\n");
		return 1;
	}
	return 0;
}

static void fmt_time(char *out, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(out, n, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int srv_parse_duration(const char *s, long long *ms)
{
	char *end;
	long long v, unit;

	*ms = 0;
	if (!s || !*s || strspn(s, "0123456789") == 0)
		return -1;
	v = strtoll(s, &end, 10);
	if (end[0] == 0 || end[1] != 0)
		return -1;
	switch (end[0]) {
	case 's': unit = 1000; break;
	case 'm': unit = 60000; break;
	case 'h': unit = 3600000; break;
	case 'd': unit = 86400000; break;
	default: return -1;
	}
	if (v <= 0 || v > 3650LL * 86400000 / unit)
		return -1;
	*ms = v * unit;
	return 0;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	v = strtoul(s, &end, 10);
	if (v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* ---- serve ---------------------------------------------------------- */

static const char serve_usage[] =
	"usage: fieldsyncd serve --db PATH [--listen HOST:PORT]\n"
	"                        [--tls-cert FILE --tls-key FILE]\n"
	"                        [--threads N] [--max-connections N]\n"
	"                        [--max-per-ip N] [--idle-timeout SECONDS]\n"
	"                        [--header-timeout SECONDS]\n"
	"                        [--request-timeout SECONDS]\n"
	"Serve the sync API from the database PATH, which `fieldsyncd init\n"
	"--db PATH` made (serve refuses a path where there is none, so a\n"
	"typo cannot start a second, empty HQ). --listen defaults to\n"
	"127.0.0.1:8080; port 0 picks a free port (printed on stderr); an\n"
	"address in use is an error (exit 1). With --tls-cert/--tls-key\n"
	"(PEM) it serves HTTPS. One log line per request goes to stderr.\n"
	"SIGTERM or SIGINT: stop accepting, finish requests, close the db.\n"
	"HQ's read-only dashboard is at / (sign in with an hq token; its\n"
	"targets come from PATH.targets, see `fieldsyncd report --help`).\n"
	"Defaults: 4 threads, 1000 connections (10% of them kept for devices\n"
	"with a session), 200 per IP address, idle timeout 30 s, request\n"
	"headers within 10 s, request body within 120 s.\n";

/* The key of challenges and sessions (auth.h), the same for every
** fieldsyncd serving this database: meta "auth_key", made by the first
** one to serve it (a write transaction, so two starting at once agree). */
static int auth_key(srv_pool *pool, srv_auth *a, char *msg, size_t msgsz)
{
	char hex[SRV_SECRET_HEX + 1] = "";
	uint8_t key[32];
	srv_store *s = srv_pool_get(pool);
	int rc = srv_store_begin(s, 1);

	if (!rc)
		rc = srv_store_meta_get(s, "auth_key", hex, sizeof(hex));
	if (rc == SRV_E_NOTFOUND || (!rc && (strlen(hex) != SRV_SECRET_HEX ||
				     proto_hex_decode(key, sizeof(key), hex)))) {
		randombytes_buf(key, sizeof(key));
		proto_hex_encode(hex, key, sizeof(key));
		rc = srv_store_meta_set(s, "auth_key", hex);
	}
	if (!rc)
		rc = srv_store_commit(s);
	if (rc) {
		snprintf(msg, msgsz, "cannot read or make the sessions' key: "
			 "%s", srv_store_errmsg(s));
		srv_store_rollback(s);
	} else {
		srv_auth_set_key(a, key);
	}
	srv_pool_put(pool, s);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return rc ? -1 : 0;
}

int srv_cmd_serve(int argc, char **argv)
{
	const char *db = NULL, *listen = NULL, *cert = NULL, *key = NULL;
	const char *threads = NULL, *maxc = NULL, *perip = NULL, *idle = NULL;
	const char *reqt = NULL, *hdrt = NULL, *pos[1];
	srv_opt opts[] = { { "--db", 1, &db }, { "--listen", 1, &listen },
		       { "--tls-cert", 1, &cert }, { "--tls-key", 1, &key },
		       { "--threads", 1, &threads },
		       { "--max-connections", 1, &maxc },
		       { "--max-per-ip", 1, &perip },
		       { "--idle-timeout", 1, &idle },
		       { "--header-timeout", 1, &hdrt },
		       { "--request-timeout", 1, &reqt } };
	srv_http_opts o;
	srv_ctx ctx;
	srv_store *s = NULL;
	char msg[512];
	int npos, rc, ret = 1;

	rc = parse_args(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), pos,
			0, &npos, serve_usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = need_db("serve", db, serve_usage)))
		return rc;
	srv_http_defaults(&o);
	o.listen = listen ? listen : "127.0.0.1:8080";
	o.tls_cert = cert;
	o.tls_key = key;
	if ((threads && parse_uint(threads, 1, 64, &o.threads)) ||
	    (maxc && parse_uint(maxc, 1, 100000, &o.conn_limit)) ||
	    (perip && parse_uint(perip, 1, 100000, &o.per_ip_limit)) ||
	    (idle && parse_uint(idle, 1, 3600, &o.idle_timeout_s)) ||
	    (hdrt && parse_uint(hdrt, 1, 3600, &o.header_timeout_s)) ||
	    (reqt && parse_uint(reqt, 1, 3600, &o.request_timeout_s))) {
		fprintf(stderr, "serve: --threads takes 1..64, --max-connections"
			" and --max-per-ip 1..100000, the timeouts 1..3600 "
			"seconds\n");
		return EXIT_USAGE;
	}
	if (!!cert != !!key) {
		fprintf(stderr, "serve: --tls-cert and --tls-key go together\n");
		return EXIT_USAGE;
	}
	if (init_proto())
		return 1;
	memset(&ctx, 0, sizeof(ctx));
	/* Only init creates a database (and HQ's key): see init_usage. */
	if (srv_db_open(db, 0, &s, ctx.hq_device, msg, sizeof(msg))) {
		fprintf(stderr, "serve: %s\n", msg);
		return 1;
	}
	srv_store_close(s);
	if (srv_pool_open(db, (int)o.threads, &ctx.pool, msg, sizeof(msg))) {
		fprintf(stderr, "serve: %s\n", msg);
		goto out;
	}
	if (srv_auth_new(&ctx.auth) || srv_web_new(db, cert != NULL, &ctx.web)) {
		fprintf(stderr, "serve: out of memory\n");
		goto out;
	}
	if (auth_key(ctx.pool, ctx.auth, msg, sizeof(msg))) {
		fprintf(stderr, "serve: %s\n", msg);
		goto out;
	}
	if (srv_http_serve(&ctx, &o, msg, sizeof(msg))) {
		fprintf(stderr, "serve: %s\n", msg);
		goto out;
	}
	ret = 0;
out:
	srv_web_free(ctx.web);
	srv_auth_free(ctx.auth);
	srv_pool_close(ctx.pool);
	if (ret == 0)
		fprintf(stderr, "fieldsyncd: database closed\n");
	return ret;
}

/* ---- init ----------------------------------------------------------- */

static const char init_usage[] =
	"usage: fieldsyncd init --db PATH\n"
	"Create the database (if missing) and HQ's key pair (PATH.hqkey,\n"
	"mode 0600). Prints HQ's device id. Running it again changes nothing.\n"
	"PATH may be a PostgreSQL URI or connection string: the schema is\n"
	"made in that (existing) database, the key goes in the state\n"
	"directory ($FIELDSYNCD_STATE_DIR, see fieldsyncd(8)).\n"
	"It is the only command that creates a database: the others refuse\n"
	"a PATH where there is none.\n";

int srv_cmd_init(int argc, char **argv)
{
	const char *db = NULL, *pos[1];
	srv_opt opts[] = { { "--db", 1, &db } };
	srv_store *s = NULL;
	char msg[512], hq[PROTO_ID_HEX + 1];
	int npos, rc;

	rc = parse_args(argc, argv, opts, 1, pos, 0, &npos, init_usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = need_db("init", db, init_usage)))
		return rc;
	if (init_proto())
		return 1;
	if (srv_db_open(db, 1, &s, hq, msg, sizeof(msg))) {
		fprintf(stderr, "init: %s\n", msg);
		return 1;
	}
	srv_store_close(s);
	printf("%s\n", hq);
	return 0;
}

/* ---- token ---------------------------------------------------------- */

static const char token_usage[] =
	"usage: fieldsyncd token create --db PATH --name NAME\n"
	"                               --role expert|leader|hq\n"
	"                               [--expires DURATION]\n"
	"                               [--url URL [--tls-cert FILE]"
	" [--qr FILE.png]]\n"
	"Create a one-time enrollment token and print it on stdout. Give it\n"
	"to the person enrolling a device (`fieldsync enroll URL TOKEN`); it\n"
	"works once. DURATION: a number and s, m, h or d (default 7d, at most\n"
	"3650d). Only a hash of the token is stored. The database must exist\n"
	"(`fieldsyncd init --db PATH`).\n"
	"With --url (the server's address as devices reach it), a second\n"
	"line follows: the enrollment link, fieldsync://enroll?url=...&token=\n"
	"...[&pin=...], for `fieldsync enroll LINK` or the field app.\n"
	"--tls-cert FILE (the certificate `serve --tls-cert` uses, https URLs\n"
	"only) adds its pin (SHA-256 of its public key): a device then trusts\n"
	"that certificate, self-signed or not, and no other. --qr FILE.png\n"
	"also writes the link as a QR code (mode 0600: it holds the token).\n"
	"An hq token also signs in to the dashboard (`fieldsyncd serve`, /):\n"
	"sign-in does not use it up; it works until it expires, unless it\n"
	"enrolled a device. Each sign-in lasts 12 hours.\n";

static int valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SRV_NAME_MAX || !proto_utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int srv_cmd_token(int argc, char **argv)
{
	const char *db = NULL, *name = NULL, *role = NULL, *exp = NULL;
	const char *url = NULL, *cert = NULL, *qr = NULL;
	const char *pos[1];
	srv_opt opts[] = { { "--db", 1, &db }, { "--name", 1, &name },
		       { "--role", 1, &role }, { "--expires", 1, &exp },
		       { "--url", 1, &url }, { "--tls-cert", 1, &cert },
		       { "--qr", 1, &qr } };
	srv_store *s = NULL;
	srv_token t;
	uint8_t raw[32], h[PROTO_HASH_BYTES];
	char tok[65], msg[512], hq[PROTO_ID_HEX + 1], when[32];
	char pin[65] = "", link[PROTO_LINK_MAX_BYTES + 1] = "", qrtmp[4096] = "";
	long long ttl = 7LL * 86400000;
	int npos, rc, ret = 1;

	rc = parse_args(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), pos,
			1, &npos, token_usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (npos != 1 || strcmp(pos[0], "create") != 0) {
		fprintf(stderr, "token: the subcommand is \"create\"\n%s",
			token_usage);
		return EXIT_USAGE;
	}
	if ((rc = need_db("token create", db, token_usage)))
		return rc;
	if (!name || !valid_name(name)) {
		fprintf(stderr, "token create: --name is required: 1 to %d "
			"bytes of UTF-8 text without control characters\n",
			SRV_NAME_MAX);
		return EXIT_USAGE;
	}
	if (!role || (strcmp(role, "expert") && strcmp(role, "leader") &&
		      strcmp(role, "hq"))) {
		fprintf(stderr, "token create: --role must be one of expert, "
			"leader, hq (got \"%s\")\n", role ? role : "");
		return EXIT_USAGE;
	}
	if (exp && srv_parse_duration(exp, &ttl)) {
		fprintf(stderr, "token create: --expires \"%s\" is not a "
			"duration: use a number and s, m, h or d (e.g. 7d, "
			"12h, 30m), at most 3650d\n", exp);
		return EXIT_USAGE;
	}
	if ((rc = srv_link_options(url, cert, qr, pin)))
		return rc;
	if (init_proto())
		return 1;
	if (srv_db_open(db, 0, &s, hq, msg, sizeof(msg))) {
		fprintf(stderr, "token create: %s\n", msg);
		return 1;
	}
	randombytes_buf(raw, sizeof(raw));
	proto_hex_encode(tok, raw, sizeof(raw));
	/* The link and its QR file are made before the token is stored, so a
	** failure leaves neither a token nobody has nor a half-written file. */
	if (url && srv_link_make(url, tok, pin, qr, link, qrtmp, sizeof(qrtmp)))
		goto out;
	crypto_generichash(h, sizeof(h), (const unsigned char *)tok,
			   strlen(tok), NULL, 0);
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.role, sizeof(t.role), "%s", role);
	t.created_ms = srv_clock_ms();
	t.expires_ms = t.created_ms + ttl;
	rc = srv_store_token_add(s, h, &t);
	if (rc) {
		fprintf(stderr, "token create: %s\n", srv_store_errmsg(s));
		goto out;
	}
	if (qr && srv_file_commit(qrtmp, qr, msg, sizeof(msg))) {
		qrtmp[0] = '\0';
		fprintf(stderr, "token create: %s (the token was stored; "
			"run again for a new one)\n", msg);
		goto out;
	}
	qrtmp[0] = '\0';
	fmt_time(when, sizeof(when), t.expires_ms);
	printf("%s\n", tok);
	if (url)
		printf("%s\n", link);
	fprintf(stderr, "token for \"%s\" (role %s), valid once, until %s\n",
		name, role, when);
	if (url)
		srv_link_notes(url, pin, qr);
	ret = 0;
out:
	srv_file_abort(qrtmp);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(link, sizeof(link));
	srv_store_close(s);
	return ret;
}

/* ---- devices -------------------------------------------------------- */

static const char devices_usage[] =
	"usage: fieldsyncd devices list --db PATH [--json]\n"
	"       fieldsyncd devices revoke --db PATH DEVICE\n"
	"       fieldsyncd devices clear-flag --db PATH DEVICE "
	"[--flag NAME|all]\n"
	"list: every device with its role, name, enrollment, last sync, the\n"
	"highest change-set number held, and its state (active or revoked;\n"
	"flags: forked = pushed two different sets with one number: two\n"
	"stores use its identity, e.g. a copied data directory, whose copy\n"
	"keeps its entries and re-enrolls as a new device; restored = came\n"
	"back with fewer sets than the server holds: an old backup, or such\n"
	"a copy; conflicts-capped = had " STR(SRV_CONFLICTS_OPEN_MAX) " open\n"
	"conflicts, so its later concurrent edits are merged but not listed;\n"
	"forks-capped = " STR(SRV_FORKS_MAX) " forks are kept as evidence, "
	"later ones are not).\n"
	"revoke: refuse the device's later change sets; the ones accepted so\n"
	"far stay valid. DEVICE is its id or a unique prefix of it.\n"
	"clear-flag: after looking, clear a flag (default all); the events\n"
	"and the fork evidence stay, and a new fork or restore sets it again.\n";

static int list_row(void *ctx, const srv_device *d)
{
	char en[32], seen[32], fl[96];

	(void)ctx;
	fmt_time(en, sizeof(en), d->enrolled_ms);
	fmt_time(seen, sizeof(seen), d->last_seen_ms);
	srv_device_flags_text(d->flags, fl, sizeof(fl));
	printf("%-32s  %-6s  %-20s  %-20s  %7lld  %-7s  %-15s  %s\n", d->id,
	       d->role, en, seen, (long long)d->head_seq,
	       d->revoked_at_cursor >= 0 ? "revoked" : "active", fl, d->name);
	return 0;
}

static int list_json(void *ctx, const srv_device *d)
{
	cJSON *arr = ctx, *o = cJSON_CreateObject();
	char pk[PROTO_PK_BYTES * 2 + 1], fl[96];

	proto_hex_encode(pk, d->pk, PROTO_PK_BYTES);
	srv_device_flags_text(d->flags, fl, sizeof(fl));
	if (!o)
		return 1;
	cJSON_AddStringToObject(o, "device", d->id);
	cJSON_AddStringToObject(o, "public_key", pk);
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "client_name", d->client_name);
	cJSON_AddStringToObject(o, "role", d->role);
	cJSON_AddNumberToObject(o, "enrolled_at", (double)d->enrolled_ms);
	if (d->last_seen_ms)
		cJSON_AddNumberToObject(o, "last_seen", (double)d->last_seen_ms);
	else
		cJSON_AddNullToObject(o, "last_seen");
	cJSON_AddNumberToObject(o, "holds", (double)d->head_seq);
	cJSON_AddBoolToObject(o, "revoked", d->revoked_at_cursor >= 0);
	if (d->revoked_at_cursor >= 0)
		cJSON_AddNumberToObject(o, "revoked_at_cursor",
					(double)d->revoked_at_cursor);
	else
		cJSON_AddNullToObject(o, "revoked_at_cursor");
	cJSON_AddBoolToObject(o, "forked", (d->flags & SRV_DEV_FORKED) != 0);
	cJSON_AddBoolToObject(o, "restored",
			      (d->flags & SRV_DEV_RESTORED) != 0);
	cJSON_AddBoolToObject(o, "conflicts_capped",
			      (d->flags & SRV_DEV_CONFLICTS_CAPPED) != 0);
	cJSON_AddBoolToObject(o, "forks_capped",
			      (d->flags & SRV_DEV_FORKS_CAPPED) != 0);
	cJSON_AddItemToArray(arr, o);
	return 0;
}

/* Find DEVICE by id or prefix for subcommand what; 0, or the exit status
** after a message. */
static int find_device(srv_store *s, const char *what, const char *prefix,
		       srv_device *d)
{
	int rc = srv_store_device_find(s, prefix, d);

	if (rc == SRV_E_ARG) {
		fprintf(stderr, "devices %s: \"%s\" is not a device id or "
			"prefix (lowercase hex digits)\n", what, prefix);
		return EXIT_USAGE;
	} else if (rc == SRV_E_NOTFOUND) {
		fprintf(stderr, "devices %s: no device %s (see `fieldsyncd "
			"devices list`)\n", what, prefix);
		return 1;
	} else if (rc == SRV_E_AMBIGUOUS) {
		fprintf(stderr, "devices %s: %s matches several devices; "
			"give more digits\n", what, prefix);
		return 1;
	} else if (rc) {
		fprintf(stderr, "devices %s: %s\n", what, srv_store_errmsg(s));
		return 1;
	}
	return 0;
}

static int devices_revoke(srv_store *s, const char *prefix)
{
	srv_device d;
	int64_t at = 0;
	char det[64];
	int rc;

	if ((rc = find_device(s, "revoke", prefix, &d)))
		return rc;
	if (strcmp(d.role, "hq") == 0) {
		fprintf(stderr, "devices revoke: %s is HQ's own identity; it "
			"cannot be revoked\n", d.id);
		return 1;
	}
	if (d.revoked_at_cursor >= 0) {
		printf("%s (%s) was already revoked at cursor %lld\n", d.id,
		       d.name, (long long)d.revoked_at_cursor);
		return 0;
	}
	rc = srv_store_begin(s, 1);
	if (!rc)
		rc = srv_store_device_revoke(s, d.id, srv_clock_ms(), &at);
	if (!rc) {
		snprintf(det, sizeof(det), "{\"at_cursor\":%lld}", (long long)at);
		rc = srv_store_event_add(s, d.id, "revoke", det, srv_clock_ms());
	}
	if (!rc)
		rc = srv_store_commit(s);
	if (rc) {
		fprintf(stderr, "devices revoke: %s\n", rc == SRV_E_NOTFOUND ?
			"the device was revoked meanwhile" : srv_store_errmsg(s));
		srv_store_rollback(s);
		return 1;
	}
	printf("revoked %s (%s); its change sets up to cursor %lld stay "
	       "valid, later ones are refused\n", d.id, d.name, (long long)at);
	return 0;
}

static int devices_clear_flag(srv_store *s, const char *prefix,
			      unsigned mask, const char *name)
{
	srv_device d;
	char det[64], fl[32];
	int rc;

	if ((rc = find_device(s, "clear-flag", prefix, &d)))
		return rc;
	if (!(d.flags & mask)) {
		printf("%s (%s) has no flag %s; nothing changed\n", d.id,
		       d.name, name);
		return 0;
	}
	srv_device_flags_text(d.flags & mask, fl, sizeof(fl));
	snprintf(det, sizeof(det), "{\"cleared\":\"%s\"}", fl);
	rc = srv_store_begin(s, 1);
	if (!rc)
		rc = srv_store_device_unflag(s, d.id, mask);
	if (!rc)
		rc = srv_store_event_add(s, d.id, "clear-flag", det,
					 srv_clock_ms());
	if (!rc)
		rc = srv_store_commit(s);
	if (rc) {
		fprintf(stderr, "devices clear-flag: %s\n", srv_store_errmsg(s));
		srv_store_rollback(s);
		return 1;
	}
	printf("cleared %s of %s (%s); its events and fork evidence stay\n",
	       fl, d.id, d.name);
	return 0;
}

int srv_cmd_devices(int argc, char **argv)
{
	const char *db = NULL, *json = NULL, *flag = NULL, *pos[2];
	srv_opt opts[] = { { "--db", 1, &db }, { "--json", 0, &json },
			   { "--flag", 1, &flag } };
	unsigned mask = SRV_DEV_FORKED | SRV_DEV_RESTORED |
			SRV_DEV_CONFLICTS_CAPPED | SRV_DEV_FORKS_CAPPED;
	srv_store *s = NULL;
	char msg[512], hq[PROTO_ID_HEX + 1], *text;
	cJSON *arr = NULL;
	int npos, rc, ret = 1;

	rc = parse_args(argc, argv, opts, 3, pos, 2, &npos, devices_usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (npos < 1 || (strcmp(pos[0], "list") && strcmp(pos[0], "revoke") &&
			 strcmp(pos[0], "clear-flag"))) {
		fprintf(stderr, "devices: the subcommand is list, revoke or "
			"clear-flag\n%s", devices_usage);
		return EXIT_USAGE;
	}
	if (flag && strcmp(pos[0], "clear-flag") != 0) {
		fprintf(stderr, "devices %s: --flag belongs to clear-flag\n%s",
			pos[0], devices_usage);
		return EXIT_USAGE;
	}
	if (flag && strcmp(flag, "forked") == 0) {
		mask = SRV_DEV_FORKED;
	} else if (flag && strcmp(flag, "restored") == 0) {
		mask = SRV_DEV_RESTORED;
	} else if (flag && strcmp(flag, "conflicts-capped") == 0) {
		mask = SRV_DEV_CONFLICTS_CAPPED;
	} else if (flag && strcmp(flag, "forks-capped") == 0) {
		mask = SRV_DEV_FORKS_CAPPED;
	} else if (flag && strcmp(flag, "all") != 0) {
		fprintf(stderr, "devices clear-flag: unknown flag \"%s\"; "
			"allowed: forked, restored, conflicts-capped, "
			"forks-capped, all\n", flag);
		return EXIT_USAGE;
	}
	if ((strcmp(pos[0], "list") == 0 && npos != 1) ||
	    (strcmp(pos[0], "list") != 0 && npos != 2)) {
		fprintf(stderr, "devices %s: wrong number of arguments\n%s",
			pos[0], devices_usage);
		return EXIT_USAGE;
	}
	if ((rc = need_db("devices", db, devices_usage)))
		return rc;
	if (init_proto())
		return 1;
	if (srv_db_open(db, 0, &s, hq, msg, sizeof(msg))) {
		fprintf(stderr, "devices: %s\n", msg);
		return 1;
	}
	if (strcmp(pos[0], "revoke") == 0) {
		ret = devices_revoke(s, pos[1]);
		goto out;
	}
	if (strcmp(pos[0], "clear-flag") == 0) {
		ret = devices_clear_flag(s, pos[1], mask, flag ? flag : "set");
		goto out;
	}
	if (json) {
		arr = cJSON_CreateArray();
		rc = arr ? srv_store_devices_each(s, list_json, arr) : SRV_E_NOMEM;
		text = rc ? NULL : cJSON_Print(arr);
		if (text)
			printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(arr);
		if (!text)
			rc = rc ? rc : SRV_E_NOMEM;
	} else {
		printf("%-32s  %-6s  %-20s  %-20s  %7s  %-7s  %-15s  %s\n",
		       "DEVICE", "ROLE", "ENROLLED", "LAST SEEN", "HOLDS",
		       "STATE", "FLAGS", "NAME");
		rc = srv_store_devices_each(s, list_row, NULL);
	}
	if (rc) {
		fprintf(stderr, "devices list: %s\n", srv_store_errmsg(s));
		goto out;
	}
	ret = 0;
out:
	srv_store_close(s);
	return ret;
}
