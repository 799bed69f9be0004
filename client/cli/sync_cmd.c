/*
** This file contains the CLI's network commands: `fieldsync enroll` and
** `fieldsync sync [--watch]`, with the progress bar shown on a terminal and
** the watch loop's backoff, plus the bulk tools that tests and benchmarks
** drive sync with: `fieldsync import` (JSON lines, one transaction) and
** `fieldsync dump` (one canonical line per record, to compare replicas).
** Everything else goes through libfieldsync.
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "fieldsync.h"
#include "protocol/i18n.h"
#include "sync_cmd.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int open_dir(const char *dir, fieldsync **fs)
{
	int rc = fieldsync_open(dir, fs);

	if (rc != FIELDSYNC_OK) {
		fprintf(stderr, _("fieldsync: %s\n"), fieldsync_errmsg(*fs));
		fieldsync_close(*fs);
		*fs = NULL;
		return rc <= FIELDSYNC_E_FULL ? EXIT_USAGE : EXIT_FAIL;
	}
	return EXIT_OK;
}

static int exit_for(int status)
{
	switch (status) {
	case FIELDSYNC_OK: return EXIT_OK;
	case FIELDSYNC_E_UNREACHABLE: return EXIT_UNREACHABLE;
	case FIELDSYNC_E_USAGE: return EXIT_USAGE;
	case FIELDSYNC_E_NOT_ENROLLED: return EXIT_USAGE;
	case FIELDSYNC_E_FULL: return EXIT_USAGE; /* as every command */
	default: return EXIT_FAIL;
	}
}

void cli_enroll_help(FILE *out)
{
	fputs(_("usage: fieldsync enroll LINK\n"
		"       fieldsync enroll URL TOKEN [--cacert FILE]\n"
		"\n"
		"Register this device's public key with the HQ server, using a\n"
		"one-time token HQ created with `fieldsyncd token create`.\n"
		"LINK is the enrollment link HQ gives (fieldsync://enroll?url=...\n"
		"&token=...&pin=...; quote it in the shell): it holds the server's\n"
		"URL, the token and, for HTTPS, the pin of the server's\n"
		"certificate, which is then trusted, self-signed or not, and no\n"
		"other certificate is; the pin is kept for every later sync.\n"
		"  --cacert FILE  PEM certificate of a private CA to trust for "
		"HTTPS\n"
		"                 (default: the system's trust store; not with a\n"
		"                 link that has a pin)\n"
		"\n"
		"Examples:\n"
		"  fieldsync enroll 'fieldsync://enroll?url=https://hq.example.org"
		":8443&token=3f9c...e1&pin=b70a...e0'\n"
		"  fieldsync enroll https://hq.example.org:8443 "
		"3f9c2a...e1 --cacert hq-ca.pem\n"
		"Exit status: 0 enrolled, 1 refused (bad or used token) or a TLS\n"
		"problem (certificate unknown or not the pinned one, http vs\n"
		"https: the message says which), 2 usage or a malformed link\n"
		"(nothing changed), 3 server unreachable (try later).\n"), out);
}

int cli_enroll(const char *dir, int argc, char **argv)
{
	const char *url = NULL, *token = NULL, *ca = NULL;
	fieldsync *fs = NULL;
	cJSON *st = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_enroll_help(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--cacert") == 0 && i + 1 < argc) {
			ca = argv[++i];
		} else if (strncmp(argv[i], "--cacert=", 9) == 0) {
			ca = argv[i] + 9;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, _("fieldsync enroll: unknown option %s; "
				"allowed: --cacert FILE\n"), argv[i]);
			return EXIT_USAGE;
		} else if (!url) {
			url = argv[i];
		} else if (!token) {
			token = argv[i];
		} else {
			fprintf(stderr, _("fieldsync enroll: unexpected argument "
				"\"%s\"\n"), argv[i]);
			return EXIT_USAGE;
		}
	}
	if (url && token && strncasecmp(url, "fieldsync:", 10) == 0) {
		fprintf(stderr, _("fieldsync enroll: the link holds the token "
			"already: give the link alone\n"));
		return EXIT_USAGE;
	}
	if (!url || (!token && strncasecmp(url + strspn(url, " \t\r\n"),
					   "fieldsync:", 10) != 0)) {
		fprintf(stderr, _("fieldsync enroll: give the enrollment link "
			"(fieldsync://enroll?...), or URL and TOKEN\n"));
		cli_enroll_help(stderr);
		return EXIT_USAGE;
	}
	if ((rc = open_dir(dir, &fs)))
		return rc;
	rc = token ? fieldsync_enroll(fs, url, token, ca)
		   : fieldsync_enroll_link(fs, url, ca);
	if (rc == FIELDSYNC_OK && fieldsync_sync_status(fs, &st) == FIELDSYNC_OK)
		printf(_("enrolled device %s with %s\n"), fieldsync_device_id(fs),
		       cJSON_GetStringValue(cJSON_GetObjectItem(st, "server")));
	else if (rc != FIELDSYNC_OK)
		fprintf(stderr, "fieldsync enroll: %s\n", fieldsync_errmsg(fs));
	cJSON_Delete(st);
	fieldsync_close(fs);
	return exit_for(rc);
}

void cli_reenroll_help(FILE *out)
{
	fprintf(out,
		"usage: fieldsync reenroll [URL] TOKEN [--cacert FILE]\n"
		"\n"
		"Make this store a new device. For a store whose identity "
		"another copy\n"
		"uses (a copied or restored data directory: `fieldsync sync` "
		"then stops\n"
		"with \"another copy of this store ...\" and keeps every "
		"entry): a new\n"
		"key pair is enrolled with a fresh one-time token from HQ "
		"(`fieldsyncd\n"
		"token create`), and the next `fieldsync sync` sends every "
		"change the\n"
		"server does not hold from this store, as the new device's. "
		"What the\n"
		"server holds from the old identity stays its, and the other "
		"copy goes\n"
		"on using it; this store pulls that copy's entries too.\n"
		"  URL            the server (default: the one this store "
		"uses)\n"
		"  --cacert FILE  as for enroll (default: the one this store "
		"uses)\n"
		"\n"
		"Example:\n"
		"  fieldsync reenroll 3f9c2a...e1 && fieldsync sync\n"
		"Exit status: 0 re-enrolled, 1 refused (bad or used token) or "
		"a sync\nis running, 2 usage, 3 server unreachable (nothing "
		"changed).\n");
}

int cli_reenroll(const char *dir, int argc, char **argv)
{
	const char *pos[2] = {NULL, NULL}, *ca = NULL, *url, *token;
	fieldsync *fs = NULL;
	char old[64];
	int rc, npos = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_reenroll_help(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--cacert") == 0 && i + 1 < argc) {
			ca = argv[++i];
		} else if (strncmp(argv[i], "--cacert=", 9) == 0) {
			ca = argv[i] + 9;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "fieldsync reenroll: unknown option "
				"%s; allowed: --cacert FILE\n", argv[i]);
			return EXIT_USAGE;
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			fprintf(stderr, "fieldsync reenroll: unexpected "
				"argument \"%s\"\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (npos == 0) {
		fprintf(stderr, "fieldsync reenroll: TOKEN required\n");
		cli_reenroll_help(stderr);
		return EXIT_USAGE;
	}
	url = npos == 2 ? pos[0] : NULL;
	token = npos == 2 ? pos[1] : pos[0];
	if ((rc = open_dir(dir, &fs)))
		return rc;
	snprintf(old, sizeof old, "%s", fieldsync_device_id(fs));
	rc = fieldsync_reenroll(fs, url, token, ca);
	if (rc == FIELDSYNC_OK) {
		cJSON *st = NULL;
		double pending = 0;
		if (fieldsync_sync_status(fs, &st) == FIELDSYNC_OK)
			pending = cJSON_GetNumberValue(
				cJSON_GetObjectItemCaseSensitive(st,
								 "pending"));
		cJSON_Delete(st);
		printf("this store is now device %s (it was %s, which stays "
		       "the other copy's); %.0f changes will be sent as the "
		       "new device's: run `fieldsync sync`\n",
		       fieldsync_device_id(fs), old, pending);
	} else {
		fprintf(stderr, "fieldsync reenroll: %s\n",
			fieldsync_errmsg(fs));
	}
	fieldsync_close(fs);
	return exit_for(rc);
}

void cli_sync_help(FILE *out)
{
	fprintf(out,
		_("usage: fieldsync sync [--watch] [--interval SECONDS] "
		"[--max-backoff SECONDS] [--encoding zstd|gzip] [--json]\n"
		"\n"
		"One sync pass: authenticate, pull what others recorded, push "
		"this\n"
		"device's pending entries as signed change sets.\n"
		"  --watch            keep going: retry with exponential "
		"backoff (with\n"
		"                     jitter) while the server is unreachable, "
		"then sync\n"
		"                     every --interval seconds (default 60); "
		"Ctrl-C or\n"
		"                     SIGTERM stops it between steps\n"
		"  --max-backoff S    cap of the retry delay (default 300)\n"
		"  --encoding E       request bodies as zstd (default) or gzip\n"
		"  --json             print the pass's figures as JSON\n"
		"A progress bar is shown on stderr when it is a terminal.\n"
		"One sync of a store runs at a time: a sync that finds "
		"another\nrunning (e.g. `sync --watch`) says so and waits "
		"for it.\n"
		"When another copy of this store (a copied data directory) "
		"uses its\nidentity, sync keeps every entry, stops and "
		"says so: see `fieldsync\nreenroll --help`.\n"
		"\n"
		"Example:\n"
		"  fieldsync sync\n"
		"  fieldsync sync --watch --interval 120\n"
		"Exit status: 0 synced, 1 refused by the server (reason "
		"printed),\n"
		"2 usage, not enrolled or disk full (the room it needs is "
		"printed),\n3 server unreachable (nothing is "
		"lost;\n"
		"try later). A single change the server refuses (an invalid "
		"value)\n"
		"is set aside with the server's reason (`fieldsync status` "
		"lists it)\n"
		"and the rest is sent: the pass still exits 0, with a notice "
		"on stderr.\n"
		"With --watch: the status of the last pass; SIGINT/SIGTERM "
		"stop it\n"
		"between steps (0 if that pass synced, 3 if the server was "
		"unreachable),\n"
		"and a refusal (1) ends the watch, since a person must act.\n"
		"Test knobs: FIELDSYNC_STALL_SECONDS (stall timeout), "
		"FIELDSYNC_SET_CHANGES\n"
		"(changes per set, default 1000).\n"));
}

struct bar {
	int tty;
	struct timespec t0;
};

static double elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(void *ctx, const fieldsync_progress *p)
{
	struct bar *b = ctx;
	double s = elapsed(&b->t0), kb;
	char line[160];
	int width = 24, fill = 0;

	if (strcmp(p->phase, "wait") == 0) {
		fputs("fieldsync sync: another sync of this store is running; "
		      "waiting for it to finish\n", stderr);
		fflush(stderr);
		return;
	}
	if (!b->tty)
		return;
	if (p->to_push > 0)
		fill = (int)(width * p->pushed / p->to_push);
	if (fill > width)
		fill = width;
	kb = (double)(p->bytes_up + p->bytes_down) / 1024.0;
	snprintf(line, sizeof line,
		 "\r%-5s [%.*s%*s] pushed %lld/%lld  pulled %lld  %.0f KiB  "
		 "%.1f KiB/s ",
		 p->phase, fill, "########################", width - fill, "",
		 p->pushed, p->to_push, p->pulled, kb, s > 0 ? kb / s : 0.0);
	fputs(line, stderr);
	fflush(stderr);
}

static void print_report(const fieldsync_sync_report *r, int json, int rc,
			 fieldsync *fs)
{
	if (json) {
		printf("{\"status\":\"%s\",\"pushed_sets\":%lld,"
		       "\"pushed_changes\":%lld,\"pulled_sets\":%lld,"
		       "\"pulled_changes\":%lld,\"refused_changes\":%lld,"
		       "\"restamped\":%lld,\"recovered_sets\":%lld,"
		       "\"bytes_up\":%lld,\"bytes_down\":%lld,"
		       "\"requests\":%lld,\"holds\":%lld,\"local_seq\":%lld,"
		       "\"notices\":%lld,\"connections\":%lld,\"tls\":\"%s\","
		       "\"encoding\":\"%s\"}\n",
		       fieldsync_status_name(rc), r->pushed_sets,
		       r->pushed_changes, r->pulled_sets, r->pulled_changes,
		       r->refused_changes, r->restamped, r->recovered_sets,
		       r->bytes_up, r->bytes_down, r->requests, r->holds,
		       r->local_seq, r->notices, r->connections, r->tls,
		       r->encoding);
		return;
	}
	if (rc == FIELDSYNC_OK)
		printf(_("synced: pushed %lld changes, pulled %lld changes "
		       "(%lld sets); server holds 1-%lld of %lld; %lld bytes "
		       "up, %lld down\n"),
		       r->pushed_changes, r->pulled_changes, r->pulled_sets,
		       r->holds, r->local_seq, r->bytes_up, r->bytes_down);
	if (r->notices)
		printf(_("%lld new notices about your records: see "
			 "`fieldsync notices`\n"), r->notices);
	if (r->refused_changes)
		fprintf(stderr, _("fieldsync sync: %lld changes were refused by "
			"the server and set aside; see `fieldsync status`\n"),
			r->refused_changes);
	if (r->recovered_sets)
		fprintf(stderr, _("fieldsync sync: this store was behind the "
			"server (restored from a backup? or another copy of "
			"this store in use?): recovered %lld of this device's "
			"change sets from the server\n"),
			r->recovered_sets);
	if (r->warning[0])
		fprintf(stderr, _("fieldsync sync: warning: %s\n"), r->warning);
	if (rc != FIELDSYNC_OK)
		fprintf(stderr, _("fieldsync sync: %s\n"), fieldsync_errmsg(fs));
}

/* Sleep up to s seconds, waking early when a stop is requested. */
static void nap(double s)
{
	while (s > 0 && !stop_requested) {
		double step = s < 0.2 ? s : 0.2;
		struct timespec ts = {(time_t)step,
				      (long)((step - (double)(time_t)step) *
					     1e9)};
		nanosleep(&ts, NULL);
		s -= step;
	}
}

static int parse_seconds(const char *opt, const char *v, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > 86400) {
		fprintf(stderr, _("fieldsync sync: %s \"%s\": expected whole "
			"seconds from 1 to 86400\n"), opt, v);
		return -1;
	}
	*out = n;
	return 0;
}

int cli_sync(const char *dir, int argc, char **argv)
{
	int watch = 0, json = 0, rc, code = EXIT_OK, encoding = 0;
	long interval = 60, max_backoff = 300;
	fieldsync_sync_opts opts;
	fieldsync_sync_report rep;
	fieldsync *fs = NULL;
	struct bar bar;
	double backoff = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_sync_help(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--watch") == 0) {
			watch = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			if (parse_seconds("--interval", argv[++i], &interval))
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--max-backoff") == 0 &&
			   i + 1 < argc) {
			if (parse_seconds("--max-backoff", argv[++i],
					  &max_backoff))
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--encoding") == 0 &&
			   i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "zstd") == 0) {
				encoding = FIELDSYNC_ZSTD;
			} else if (strcmp(argv[i], "gzip") == 0) {
				encoding = FIELDSYNC_GZIP;
			} else {
				fprintf(stderr, _("fieldsync sync: --encoding "
					"\"%s\": expected zstd or gzip\n"),
					argv[i]);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, _("fieldsync sync: unknown argument "
				"\"%s\"; allowed: --watch, --interval S, "
				"--max-backoff S, --encoding zstd|gzip, "
				"--json\n"), argv[i]);
			return EXIT_USAGE;
		}
	}
	if ((rc = open_dir(dir, &fs)))
		return rc;
	memset(&opts, 0, sizeof opts);
	opts.encoding = encoding;
	bar.tty = isatty(2) && !json;
	opts.progress = on_progress;
	opts.progress_ctx = &bar;
	/* Tests shorten the stall timeout to keep fault runs fast. */
	if (getenv("FIELDSYNC_STALL_SECONDS"))
		opts.stall_timeout_s = atol(getenv("FIELDSYNC_STALL_SECONDS"));
	/* ... and make many small sets from few entries. */
	if (getenv("FIELDSYNC_SET_CHANGES"))
		opts.max_set_changes = atol(getenv("FIELDSYNC_SET_CHANGES"));
	if (watch) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	do {
		clock_gettime(CLOCK_MONOTONIC, &bar.t0);
		rc = fieldsync_sync(fs, &opts, &rep);
		if (bar.tty)
			fputs("\n", stderr);
		print_report(&rep, json, rc, fs);
		fflush(stdout);
		code = exit_for(rc);
		if (!watch || stop_requested)
			break;
		if (rc == FIELDSYNC_E_UNREACHABLE) {
			/* Exponential backoff, capped, with +-25% jitter so
			** many devices returning at once do not stampede. */
			double jitter = 0.75 + 0.5 * (randombytes_uniform(
							     1000) / 1000.0);
			fprintf(stderr, _("fieldsync sync: retrying in %.0f s\n"),
				backoff * jitter);
			nap(backoff * jitter);
			backoff = backoff * 2 > (double)max_backoff
					  ? (double)max_backoff
					  : backoff * 2;
		} else if (rc == FIELDSYNC_OK) {
			backoff = 1;
			nap((double)interval);
		} else {
			break; /* refused: a person must act */
		}
	} while (!stop_requested);
	fieldsync_close(fs);
	return code;
}

/* ---- import and dump ---------------------------------------------------- */

static void print_id(void *ctx, const char *id)
{
	(void)ctx;
	printf("%s\n", id);
}

int cli_import(const char *dir, int argc, char **argv)
{
	const char *path = NULL;
	fieldsync *fs = NULL;
	FILE *in;
	long n = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf(_("usage: fieldsync import FILE|-\n"
			       "\n"
			       "Add many records at once from JSON lines, one "
			       "record a line:\n"
			       "  {\"kind\":\"visit\",\"fields\":{\"direction\":"
			       "\"out\",\"province\":\"Salavan\",...}}\n"
			       "Field names are the wire names (planned_ha), "
			       "values text as typed\n"
			       "for `add` and checked the same way. All lines "
			       "are added in one\n"
			       "transaction: on any error nothing is added and "
			       "the error names the\n"
			       "line and the field. Prints the new ids, one a "
			       "line, in input order.\n"
			       "A line may carry \"id\" (as `fieldsync doctor "
			       "--export` writes): the\nrecord keeps that id, "
			       "or the line is left out if the store has it.\n"
			       "FILE - reads stdin.\n"
			       "\n"
			       "Example:\n"
			       "  fieldsync import visits.jsonl\n"
			       "Exit status: 0 imported, 2 bad input (nothing "
			       "imported), 1 other failure.\n"));
			return EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, _("fieldsync import: unknown option %s; "
				"usage: fieldsync import FILE|-\n"), argv[i]);
			return EXIT_USAGE;
		} else if (!path) {
			path = argv[i];
		} else {
			fprintf(stderr, _("fieldsync import: unexpected argument "
				"\"%s\"; one FILE (or - for stdin)\n"),
				argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!path) {
		fprintf(stderr, _("fieldsync import: missing FILE (a JSON lines "
			"file, or - for stdin)\n"));
		return EXIT_USAGE;
	}
	in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!in) {
		fprintf(stderr, _("fieldsync import: cannot open \"%s\": %s\n"),
			path, strerror(errno));
		return EXIT_USAGE;
	}
	if ((rc = open_dir(dir, &fs)) == EXIT_OK) {
		rc = fieldsync_import(fs, in, print_id, NULL, &n);
		if (rc != FIELDSYNC_OK) {
			fprintf(stderr, _("fieldsync import: %s\n"),
				fieldsync_errmsg(fs));
			rc = rc == FIELDSYNC_E_USAGE ||
					     rc == FIELDSYNC_E_INVALID ||
					     rc == FIELDSYNC_E_NOT_FOUND ||
					     rc == FIELDSYNC_E_AMBIGUOUS ||
					     rc == FIELDSYNC_E_FULL ||
					     rc == FIELDSYNC_E_READONLY
				     ? EXIT_USAGE
				     : EXIT_FAIL;
		} else {
			fprintf(stderr, _("fieldsync import: %ld records "
				"added\n"), n);
			if (fieldsync_import_skipped(fs))
				fprintf(stderr, _("fieldsync import: %ld lines "
					"left out: a record with their id is "
					"here already\n"),
					fieldsync_import_skipped(fs));
			rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
		}
		fieldsync_close(fs);
	}
	if (in != stdin)
		fclose(in);
	return rc;
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	puts(line);
}

int cli_dump(const char *dir, int argc, char **argv)
{
	fieldsync *fs = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf(_("usage: fieldsync dump\n"
			       "\n"
			       "Print every record this device holds, deleted "
			       "ones included, one\n"
			       "canonical line each, sorted by id:\n"
			       "  ID KIND FIELD=VALUE@STAMP ...\n"
			       "Two replicas that converged print the same "
			       "bytes (the server's\n"
			       "records give the same lines), so `diff` "
			       "compares them.\n"
			       "Exit status: 0 ok, 2 usage, 1 other "
			       "failure.\n"));
			return EXIT_OK;
		}
		fprintf(stderr, _("fieldsync dump: unexpected argument \"%s\"; "
			"it takes none\n"), argv[i]);
		return EXIT_USAGE;
	}
	if ((rc = open_dir(dir, &fs)))
		return rc;
	rc = fieldsync_dump(fs, print_line, NULL);
	if (rc != FIELDSYNC_OK)
		fprintf(stderr, _("fieldsync dump: %s\n"), fieldsync_errmsg(fs));
	fieldsync_close(fs);
	if (fflush(stdout) != 0)
		return EXIT_FAIL;
	return rc == FIELDSYNC_OK ? EXIT_OK : EXIT_FAIL;
}
