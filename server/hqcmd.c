/*
** This file contains HQ's commands and their shared operations (hqcmd.h):
** `fieldsyncd report`, `fieldsyncd conflicts list|show|resolve`, the search
** for the targets file, the gathering of a report from the store, and the
** resolution of a conflict as a change set signed with HQ's key. Both
** commands open the same database as a running server (SQLite WAL and a
** busy timeout), so HQ uses them without stopping it.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "protocol/changeset.h"
#include "protocol/merge.h"
#include "protocol/records.h"
#include "args.h"
#include "hq.h"
#include "hqcmd.h"
#include "push.h"
#include "report_lang.h"

#define EXIT_USAGE 2

/* ---- arguments ------------------------------------------------------ */



static int parse_days(const char *s, int *out)
{
	char *end;
	long v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 5)
		return -1;
	v = strtol(s, &end, 10);
	if (v < 1 || v > 3650)
		return -1;
	*out = (int)v;
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

/* ---- targets -------------------------------------------------------- */

/* Write the shipped default to path, only if no file is there yet. */
static int write_default(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (done < srv_targets_default_len) {
		n = write(fd, srv_targets_default_text + done,
			  srv_targets_default_len - done);
		if (n <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

int srv_hq_targets(const char *db_path, const char *explicit_path,
		   srv_targets **out, char *source, size_t sourcesz,
		   int *created, char *msg, size_t msgsz)
{
	char path[4096];

	*out = NULL;
	*created = 0;
	if (explicit_path) {
		snprintf(source, sourcesz, "%s", explicit_path);
		return srv_targets_load(explicit_path, out, msg, msgsz);
	}
	if (srv_hq_targets_path(db_path, path, sizeof(path))) {
		snprintf(msg, msgsz, "database path too long");
		return -1;
	}
	if (access(path, F_OK) != 0 && errno == ENOENT &&
	    write_default(path) == 0)
		*created = 1;
	if (access(path, F_OK) == 0) {
		snprintf(source, sourcesz, "%s", path);
		return srv_targets_load(path, out, msg, msgsz);
	}
	/* A read-only directory: the report still has the plan's targets. */
	snprintf(source, sourcesz, "built-in default");
	return srv_targets_parse(srv_targets_default_text,
				 srv_targets_default_len, "targets.default",
				 out, msg, msgsz);
}

/* ---- report --------------------------------------------------------- */

static int add_device_cb(void *ctx, const srv_device *d)
{
	char fl[96];

	srv_device_flags_text(d->flags, fl, sizeof(fl));
	if (strcmp(fl, "-") == 0)
		fl[0] = '\0';
	return srv_report_add_device(ctx, d->id, d->name, d->role,
				     d->last_seen_ms,
				     d->revoked_at_cursor >= 0) != 0 ||
	       srv_report_device_flags(ctx, fl) != 0;
}

int srv_hq_report(srv_store *s, srv_report_params *p, cJSON **out, char *msg,
		  size_t msgsz)
{
	srv_report_input *in = srv_report_input_new();
	int rc, ret = -1;

	*out = NULL;
	if (!in) {
		snprintf(msg, msgsz, "out of memory");
		return -1;
	}
	/* One read transaction: records, devices and conflicts agree. */
	rc = srv_store_begin(s, 0);
	if (!rc)
		rc = srv_store_records_each(s, NULL, srv_report_add_state_text,
					    in);
	if (!rc)
		rc = srv_store_devices_each(s, add_device_cb, in);
	if (!rc)
		rc = srv_store_conflicts_open(s, &p->open_conflicts);
	if (rc) {
		snprintf(msg, msgsz, "reading the database: %s",
			 srv_store_errmsg(s));
		goto out;
	}
	/* Observations, conflicts and authors (report_more.c) in the same
	** transaction. */
	if (srv_report_build(in, p, out, msg, msgsz) == 0 &&
	    srv_report_more(s, *out, msg, msgsz) == 0) {
		if (srv_report_duplicates(*out) == 0)
			ret = 0;
		else
			snprintf(msg, msgsz, "out of memory");
	}
out:
	srv_store_rollback(s);
	if (ret) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	srv_report_input_free(in);
	return ret;
}

static const char report_usage[] =
	"usage: fieldsyncd report --db PATH [--period YYYYH1|YYYYH2|YYYY |\n"
	"                         --from YYYY-MM-DD --to YYYY-MM-DD]\n"
	"                         [--format table|csv|json|xlsx|docx]\n"
	"                         [--table T] [--output FILE | -o FILE]\n"
	"                         [--lang vi|lo|en]\n"
	"                         [--province P]\n"
	"                         [--sector S] [--targets FILE]\n"
	"                         [--stale-days N] [--unsynced-days N]\n"
	"HQ's report: per province and per sector, delegation visits out and\n"
	"in (count, members), expert trips (count, expert-days), trainings,\n"
	"people trained, patients seen; each demonstration model's planned vs\n"
	"sown hectares and households; the programme's targets for the year\n"
	"of the period; devices not synced; open conflicts.\n"
	"Periods: YYYYH1 = 1 November of YYYY-1 to 30 April YYYY, YYYYH2 =\n"
	"1 May to 31 October YYYY (each closes ten days before the 10 May and\n"
	"10 November deadlines); YYYY = the calendar year. Without --period\n"
	"or --from/--to: the half whose deadline comes next (on 5 November\n"
	"YYYYH2, due 10 November; from 11 November (YYYY+1)H1).\n"
	"--from/--to: any range, both days included.\n"
	"--format: table (default, for a terminal), csv (UTF-8 with BOM, for a\n"
	"spreadsheet; one table per file, chosen with --table), json\n"
	"(documented in README.md), xlsx (a workbook, one sheet per table,\n"
	"written to --output FILE), docx (the report as a Word document, in\n"
	"sentences and tables, one section per sector, written to --output\n"
	"FILE).\n"
	"--lang: the language of the docx and xlsx files and of the period in\n"
	"words (\"period_text\" in JSON): vi (default), lo or en; without it,\n"
	"LANGUAGE, LC_ALL, LC_MESSAGES or LANG when they name one of them.\n"
	"--table T (with --format csv): summary, provinces, sectors, visits,\n"
	"trips, models, observations (the models' progress observations of\n"
	"the period), scholarships, works, targets, conflicts (the open ones)\n"
	"or devices; the xlsx file has one sheet for each.\n"
	"--province/--sector: keep one province or sector (any accepted\n"
	"spelling: Saravane, \"y tế\"...). Targets are always programme-wide.\n"
	"--targets FILE: the targets file; default PATH.targets beside the\n"
	"database, created from the shipped 2026-2030 plan on first use (edit\n"
	"it with any text editor). A mistake in it (its line and what is\n"
	"allowed are named) leaves the targets section empty with that\n"
	"message and a warning on stderr; every other section is complete\n"
	"and the exit status is 0.\n"
	"--stale-days N: a model without observation for more than N days is\n"
	"stale (default 30). --unsynced-days N: devices silent for more than N\n"
	"days are flagged (default 14). N is 1..3650.\n"
	"The database may be in use by a running fieldsyncd serve.\n"
	"Exit status: 0 success, 2 usage error, 1 any other failure.\n";

int srv_cmd_report(int argc, char **argv)
{
	const char *db = NULL, *period = NULL, *from = NULL, *to = NULL;
	const char *format = NULL, *prov = NULL, *sect = NULL, *tfile = NULL;
	const char *stale = NULL, *unsynced = NULL, *table = NULL, *pos[1];
	const char *ofile = NULL, *langarg = NULL, *lang;
	srv_opt opts[] = { { "--lang", 1, &langarg }, { "--db", 1, &db }, { "--period", 1, &period },
		       { "--from", 1, &from }, { "--to", 1, &to },
		       { "--format", 1, &format }, { "--province", 1, &prov },
		       { "--sector", 1, &sect }, { "--targets", 1, &tfile },
		       { "--stale-days", 1, &stale },
		       { "--unsynced-days", 1, &unsynced },
		       { "--table", 1, &table }, { "--output", 1, &ofile } };
	srv_report_params p;
	srv_report_format fmt = SRV_REPORT_TABLE;
	srv_targets *t = NULL;
	srv_store *s = NULL;
	cJSON *doc = NULL;
	char msg[600], tmsg[600], hq[PROTO_ID_HEX + 1], source[4200];
	char *text = NULL;
	size_t len = 0;
	int npos, rc, created = 0, ret = 1, docx = 0;

	/* -o FILE is short for --output FILE. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0)
			argv[i] = (char *)"--output";
	rc = srv_args_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), pos,
			0, &npos, "report", report_usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!db || !*db) {
		fprintf(stderr, "report: --db PATH is required\n%s",
			report_usage);
		return EXIT_USAGE;
	}
	memset(&p, 0, sizeof(p));
	p.now_ms = srv_clock_ms();
	if (period && (from || to)) {
		fprintf(stderr, "report: give either --period or --from and "
			"--to, not both\n");
		return EXIT_USAGE;
	}
	if (period) {
		if (srv_period_parse(period, &p.period, msg, sizeof(msg))) {
			fprintf(stderr, "report: %s\n", msg);
			return EXIT_USAGE;
		}
	} else if (from || to) {
		if (!from || !to) {
			fprintf(stderr, "report: --from and --to go together "
				"(both days are included)\n");
			return EXIT_USAGE;
		}
		if (srv_period_range(from, to, &p.period, msg, sizeof(msg))) {
			fprintf(stderr, "report: %s\n", msg);
			return EXIT_USAGE;
		}
	} else {
		srv_period_current(p.now_ms, &p.period);
	}
	if (format && strcmp(format, "docx") == 0)
		docx = 1;
	else if (format && srv_report_format_parse(format, &fmt)) {
		fprintf(stderr, "report: --format \"%s\" is not known; "
			"allowed: table, csv, json, xlsx, docx\n", format);
		return EXIT_USAGE;
	}
	if ((docx || fmt == SRV_REPORT_XLSX) && (!ofile || !*ofile)) {
		fprintf(stderr, "report: --format %s writes a file; name it "
			"with --output FILE\n", docx ? "docx" : "xlsx");
		return EXIT_USAGE;
	}
	if (!(lang = srv_report_lang(langarg))) {
		fprintf(stderr, "report: --lang \"%s\" is not known; "
			"allowed: vi, lo, en\n", langarg);
		return EXIT_USAGE;
	}
	if (fmt == SRV_REPORT_CSV && !table) {
		fprintf(stderr, "report: --format csv writes one table; name "
			"it with --table, one of: %s\n", srv_report_tables());
		return EXIT_USAGE;
	}
	if (table && (docx || fmt != SRV_REPORT_CSV)) {
		fprintf(stderr, "report: --table goes with --format csv\n");
		return EXIT_USAGE;
	}
	if (table && !srv_report_table_known(table)) {
		fprintf(stderr, "report: --table \"%s\" is not a table of the "
			"report; tables: %s\n", table, srv_report_tables());
		return EXIT_USAGE;
	}
	if (prov && !(p.province = proto_ref_lookup(&proto_provinces, prov))) {
		fprintf(stderr, "report: --province: unknown province \"%s\"; "
			"allowed: %s\n", prov, proto_ref_names(&proto_provinces));
		return EXIT_USAGE;
	}
	if (sect && !(p.sector = proto_ref_lookup(&proto_sectors, sect))) {
		fprintf(stderr, "report: --sector: unknown sector \"%s\"; "
			"allowed: %s\n", sect, proto_ref_names(&proto_sectors));
		return EXIT_USAGE;
	}
	if ((stale && parse_days(stale, &p.stale_days)) ||
	    (unsynced && parse_days(unsynced, &p.unsynced_days))) {
		fprintf(stderr, "report: --%s \"%s\" is not a number of days; "
			"allowed: 1 to 3650\n", stale && parse_days(stale,
			&p.stale_days) ? "stale-days" : "unsynced-days",
			stale && parse_days(stale, &p.stale_days) ? stale :
			unsynced);
		return EXIT_USAGE;
	}
	if (proto_init() != 0) {
		fprintf(stderr, "report: libsodium cannot initialise\n");
		return 1;
	}
	if (srv_db_open(db, 0, &s, hq, msg, sizeof(msg))) {
		fprintf(stderr, "report: %s\n", msg);
		return 1;
	}
	/* A mistake in the targets file costs the targets section only: HQ
	** still gets every other figure on the day the report is due, the
	** section carries the message, and stderr shows it too. */
	if (srv_hq_targets(db, tfile, &t, source, sizeof(source), &created,
			   tmsg, sizeof(tmsg))) {
		fprintf(stderr, "report: warning: targets file: %s; the "
			"targets section shows this mistake, every other "
			"section is complete\n", tmsg);
		p.targets_error = tmsg;
	}
	if (created)
		fprintf(stderr, "report: created %s from the shipped targets "
			"(2026-2030 plan); edit it to change the targets\n",
			source);
	p.targets = t;
	if (srv_hq_report(s, &p, &doc, msg, sizeof(msg))) {
		fprintf(stderr, "report: %s\n", msg);
		goto out;
	}
	if (srv_report_localize(doc, lang) != 0) {
		fprintf(stderr, "report: out of memory\n");
		goto out;
	}
	if (docx) {
		if (srv_report_write_docx(doc, lang, ofile, msg, sizeof(msg))) {
			fprintf(stderr, "report: %s\n", msg);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (fmt == SRV_REPORT_XLSX) {
		if (srv_report_write_xlsx(doc, lang, ofile, msg, sizeof(msg))) {
			fprintf(stderr, "report: %s\n", msg);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (fmt == SRV_REPORT_CSV
	    ? srv_report_render_csv_table(doc, table, &text, &len)
	    : srv_report_render(doc, fmt, &text, &len)) {
		fprintf(stderr, "report: out of memory\n");
		goto out;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "report: cannot write the report: %s\n",
			strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(text);
	cJSON_Delete(doc);
	srv_targets_free(t);
	srv_store_close(s);
	return ret;
}

/* ---- conflicts: reading --------------------------------------------- */

/* A conflict copied out of the store's callback (it owns its strings). */
typedef struct conf {
	srv_conflict c;
	char *winner_value, *loser_value, *resolution;
	int found;
} conf;

static void conf_clear(conf *k)
{
	free(k->winner_value);
	free(k->loser_value);
	free(k->resolution);
	memset(k, 0, sizeof(*k));
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

static int conf_copy(void *ctx, const srv_conflict *c)
{
	conf *k = ctx;
	int oom = 0;

	conf_clear(k);
	k->c = *c;
	k->winner_value = dup_or_null(c->winner_value, &oom);
	k->loser_value = dup_or_null(c->loser_value, &oom);
	k->resolution = dup_or_null(c->resolution, &oom);
	k->c.winner_value = k->winner_value;
	k->c.loser_value = k->loser_value;
	k->c.resolution = k->resolution;
	k->found = 1;
	return oom;
}

/* The device part of a stamp text ("<hlc>-<device>"), or "". */
static const char *stamp_device(const char *stamp)
{
	const char *d = strchr(stamp, '-');

	return d ? d + 1 : "";
}

static int add_value(cJSON *o, const char *name, const char *text)
{
	cJSON *v = text ? cJSON_Parse(text) : cJSON_CreateNull();

	if (!v && text)
		v = cJSON_CreateString(text); /* kept as stored, readable */
	if (!v)
		return 0;
	return cJSON_AddItemToObject(o, name, v);
}

static int add_num_or_null(cJSON *o, const char *name, int64_t v, int isnull)
{
	return isnull ? cJSON_AddNullToObject(o, name) != NULL
		      : cJSON_AddNumberToObject(o, name, (double)v) != NULL;
}

cJSON *srv_conflict_json(const srv_conflict *c)
{
	cJSON *o = cJSON_CreateObject();
	int ok;

	if (!o)
		return NULL;
	ok = cJSON_AddNumberToObject(o, "id", (double)c->id) &&
	     cJSON_AddStringToObject(o, "record", c->record) &&
	     cJSON_AddStringToObject(o, "kind", c->kind) &&
	     cJSON_AddStringToObject(o, "field", c->field) &&
	     add_value(o, "winner_value", c->winner_value) &&
	     cJSON_AddStringToObject(o, "winner_stamp", c->winner_stamp) &&
	     cJSON_AddStringToObject(o, "winner_device",
				     stamp_device(c->winner_stamp)) &&
	     add_value(o, "loser_value", c->loser_value) &&
	     cJSON_AddStringToObject(o, "loser_stamp", c->loser_stamp) &&
	     cJSON_AddStringToObject(o, "loser_device",
				     stamp_device(c->loser_stamp)) &&
	     cJSON_AddNumberToObject(o, "detected_cursor",
				     (double)c->detected_cursor) &&
	     cJSON_AddNumberToObject(o, "detected_ms",
				     (double)c->detected_ms) &&
	     add_num_or_null(o, "resolved_ms", c->resolved_ms,
			     c->resolved_ms == 0) &&
	     add_num_or_null(o, "resolved_cursor", c->resolved_cursor,
			     c->resolved_ms == 0) &&
	     add_value(o, "resolution", c->resolution);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- conflicts: resolving ------------------------------------------- */

static int fail(char *msg, size_t msgsz, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *msg, size_t msgsz, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return rc;
}

/* Is text a device of the conflict (id or prefix of >= 4 hex digits)?
** 1 winner, 2 loser, 0 neither, -1 both. */
static int keep_device(const conf *k, const char *text)
{
	const char *w = stamp_device(k->c.winner_stamp);
	const char *l = stamp_device(k->c.loser_stamp);
	size_t n = strlen(text);
	int mw, ml;

	if (n < 4 || n > PROTO_ID_HEX ||
	    strspn(text, "0123456789abcdef") != n)
		return 0;
	mw = strncmp(w, text, n) == 0;
	ml = strncmp(l, text, n) == 0;
	return mw && ml ? -1 : mw ? 1 : ml ? 2 : 0;
}

/* The highest HLC among a state's field stamps (0 if none). */
static proto_hlc state_max_hlc(const cJSON *state)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(state, "f");
	proto_hlc max = 0;
	proto_stamp st;

	for (const cJSON *e = f ? f->child : NULL; e; e = e->next) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "s");
		if (cJSON_IsString(s) &&
		    proto_stamp_parse(s->valuestring, &st) == 0 && st.hlc > max)
			max = st.hlc;
	}
	return max;
}

typedef struct same_field {
	const char *record, *field;
	int64_t ids[256];
	size_t n;
} same_field;

static int same_field_cb(void *ctx, const srv_conflict *c)
{
	same_field *sf = ctx;

	if (strcmp(c->record, sf->record) == 0 &&
	    strcmp(c->field, sf->field) == 0 && sf->n < 256)
		sf->ids[sf->n++] = c->id;
	return 0;
}

int srv_hq_lock(const char *db_path, int *lockfd, char *msg, size_t msgsz)
{
	char keypath[4096];
	int rc;

	*lockfd = -1;
	if ((rc = srv_hq_key_path(db_path, keypath, sizeof(keypath))))
		return fail(msg, msgsz, rc, "database path too long");
	*lockfd = open(keypath, O_RDONLY | O_CLOEXEC);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX) != 0)
		return fail(msg, msgsz, SRV_E_IO, "cannot lock HQ key %s: %s",
			    keypath, strerror(errno));
	return SRV_OK;
}

int srv_hq_write(srv_store *s, const char *db_path, proto_change *ch,
		 proto_hlc floor, int64_t now, srv_hq_written *w, char *msg,
		 size_t msgsz)
{
	srv_device hq;
	srv_push_result pr;
	proto_err e;
	uint8_t sk[PROTO_SK_BYTES], sig[PROTO_SIG_BYTES];
	uint8_t devid[PROTO_ID_BYTES];
	char hq_id[PROTO_ID_HEX + 1], sighex[PROTO_SIG_HEX + 1];
	char *change = NULL, *set = NULL;
	size_t change_len = 0, set_len = 0;
	int rc;

	memset(w, 0, sizeof(*w));
	memset(sk, 0, sizeof(sk));
	rc = srv_store_meta_get(s, "hq_device", hq_id, sizeof(hq_id));
	if (!rc)
		rc = srv_store_device_get(s, hq_id, &hq);
	if (rc) {
		rc = fail(msg, msgsz, rc, "HQ's identity: %s",
			  srv_store_errmsg(s));
		goto out;
	}
	rc = srv_hq_key_load(db_path, sk, msg, msgsz);
	if (rc)
		goto out;
	/* Above floor (every HLC the record carries) and HQ's own last HLC,
	** so it wins on every replica. */
	ch->hlc = proto_hlc_recv(hq.last_hlc, floor, now);
	if (proto_change_encode(ch, &change, &change_len, &e) != PROTO_OK) {
		rc = fail(msg, msgsz, SRV_E_ARG, "cannot encode HQ's change: "
			  "%s", e.msg);
		goto out;
	}
	{
		const char *const one[1] = { change };
		const size_t lens[1] = { change_len };

		proto_device_id(hq.pk, devid);
		if (proto_set_encode(devid, hq.head_seq + 1, hq.head_hash, one,
				     lens, 1, &set, &set_len, &e) != PROTO_OK) {
			rc = fail(msg, msgsz, SRV_E_ARG, "cannot encode HQ's "
				  "change set: %s", e.msg);
			goto out;
		}
	}
	proto_set_sign(set, set_len, sk, sig);
	proto_hex_encode(sighex, sig, sizeof(sig));

	/* The same door as a device's push: verified, chained, merged, given
	** a cursor, and pulled by every device. */
	if (srv_push_set(s, set, set_len, sighex, NULL, now, &pr) != 0) {
		rc = fail(msg, msgsz, SRV_E_IO, "the server refused HQ's "
			  "change set: %s %s", pr.code ? pr.code : "",
			  pr.msg);
		goto out;
	}
	w->cursor = pr.cursor;
	w->seq = hq.head_seq + 1;
	rc = SRV_OK;
out:
	sodium_memzero(sk, sizeof(sk));
	free(set);
	free(change);
	return rc;
}

int srv_hq_resolve(srv_store *s, const char *db_path, int64_t id,
		   const char *keep, srv_resolution *res, char *msg,
		   size_t msgsz)
{
	conf k;
	const proto_kind_def *kind;
	const proto_field_def *fdef;
	proto_change ch;
	proto_stamp cur_stamp;
	proto_err e;
	struct { int64_t head_seq; } hq;
	struct { int64_t cursor; } pr;
	srv_hq_written hw;
	same_field sf;
	char stamp[PROTO_STAMP_TEXT + 1];
	char *state_text = NULL, *vtext = NULL, *resolution = NULL;
	size_t state_len = 0, i;
	cJSON *state = NULL, *value = NULL, *fields = NULL, *base = NULL;
	cJSON *vals = NULL, *rj = NULL;
	const cJSON *cur;
	const char *ktext = keep, *dev = NULL;
	int rc, lockfd = -1, which = 0, force = 0;
	int64_t now;

	memset(res, 0, sizeof(*res));
	memset(&k, 0, sizeof(k));
	/* One resolution at a time per database: two at once would both
	** take HQ's next seq and look like a forked chain. */
	if ((rc = srv_hq_lock(db_path, &lockfd, msg, msgsz)))
		goto out;
	rc = srv_store_conflict_get(s, id, conf_copy, &k);
	if (rc == SRV_E_NOTFOUND || (!rc && !k.found)) {
		rc = fail(msg, msgsz, SRV_E_NOTFOUND, "no conflict %lld (see "
			  "`fieldsyncd conflicts list --all`)", (long long)id);
		goto out;
	} else if (rc) {
		rc = fail(msg, msgsz, rc, "%s", srv_store_errmsg(s));
		goto out;
	}
	if (k.c.resolved_ms) {
		rc = fail(msg, msgsz, SRV_E_USED, "conflict %lld was already "
			  "resolved (HQ's change set at cursor %lld)",
			  (long long)id, (long long)k.c.resolved_cursor);
		goto out;
	}
	kind = proto_kind_find(k.c.kind);
	if (kind && strcmp(k.c.field, "_deleted") == 0) {
		/* A delete and an edit that did not see each other (SPEC
		** 9.3): the winner is the delete. Keeping the delete writes
		** HQ's delete (so the decision is signed and pulled), keeping
		** the edit writes HQ's restore. */
		int keep_del;

		which = strcmp(keep, "delete") == 0 ? 1 :
			strcmp(keep, "edit") == 0 ? 2 :
			keep_device(&k, strncmp(keep, "device:", 7) == 0 ?
				    keep + 7 : keep);
		if (which <= 0) {
			rc = fail(msg, msgsz, SRV_E_ARG, "conflict %lld is a "
				  "delete against an edit: --keep delete, "
				  "--keep edit (restores the record), or a "
				  "device of the conflict (%.8s..., %.8s...)",
				  (long long)id, stamp_device(k.c.winner_stamp),
				  stamp_device(k.c.loser_stamp));
			goto out;
		}
		keep_del = which == 1;
		dev = stamp_device(which == 1 ? k.c.winner_stamp
					      : k.c.loser_stamp);
		rc = srv_store_record_get(s, k.c.record, &state_text, &state_len);
		if (rc || !(state = cJSON_ParseWithLength(state_text,
							  state_len))) {
			rc = fail(msg, msgsz, rc ? rc : SRV_E_IO, "record %s of "
				  "conflict %lld is unreadable", k.c.record,
				  (long long)id);
			goto out;
		}
		value = cJSON_CreateBool(keep_del);
		if (!value) {
			rc = fail(msg, msgsz, SRV_E_NOMEM, "out of memory");
			goto out;
		}
		memset(&ch, 0, sizeof(ch));
		memcpy(ch.id, k.c.record, sizeof(ch.id));
		ch.kind = kind;
		ch.op = keep_del ? PROTO_OP_DELETE : PROTO_OP_RESTORE;
		ch.reason = keep_del ? "HQ keeps the delete (conflict resolved)"
				     : "HQ keeps the edit (conflict resolved)";
		now = srv_clock_ms();
		rc = srv_hq_write(s, db_path, &ch, state_max_hlc(state), now,
				  &hw, msg, msgsz);
		if (rc)
			goto out;
		pr.cursor = hw.cursor;
		hq.head_seq = hw.seq - 1;
		goto mark;
	}
	fdef = kind ? proto_field_find(kind, k.c.field) : NULL;
	if (!kind || !fdef || kind->append_only) {
		rc = fail(msg, msgsz, SRV_E_ARG, "conflict %lld is about %s "
			  "\"%s\", which cannot be edited; nothing to resolve "
			  "with --keep", (long long)id, k.c.kind, k.c.field);
		goto out;
	}

	/* What to write: a device's value, or a value typed by HQ. */
	if (strncmp(keep, "device:", 7) == 0) {
		ktext = keep + 7;
		force = 1;
	} else if (strncmp(keep, "value:", 6) == 0) {
		ktext = keep + 6;
		force = 2;
	}
	if (force != 2)
		which = keep_device(&k, ktext);
	if (which < 0) {
		rc = fail(msg, msgsz, SRV_E_ARG, "--keep %s matches both "
			  "devices of conflict %lld; give more digits",
			  ktext, (long long)id);
		goto out;
	}
	if (which == 0 && force == 1) {
		rc = fail(msg, msgsz, SRV_E_ARG, "--keep %s: not a device of "
			  "conflict %lld; its devices are %s (value %s) and "
			  "%s (value %s)", keep, (long long)id,
			  stamp_device(k.c.winner_stamp),
			  k.c.winner_value ? k.c.winner_value : "none",
			  stamp_device(k.c.loser_stamp),
			  k.c.loser_value ? k.c.loser_value : "none");
		goto out;
	}
	if (which) {
		const char *t = which == 1 ? k.c.winner_value : k.c.loser_value;
		dev = stamp_device(which == 1 ? k.c.winner_stamp
					      : k.c.loser_stamp);
		value = t ? cJSON_Parse(t) : NULL;
		if (!value) {
			rc = fail(msg, msgsz, SRV_E_ARG, "device %s wrote no "
				  "value to keep in conflict %lld", dev,
				  (long long)id);
			goto out;
		}
	} else if (proto_field_parse(fdef, ktext, &value, &e) != PROTO_OK) {
		rc = fail(msg, msgsz, SRV_E_ARG, "--keep \"%s\" is neither a "
			  "device of conflict %lld (%.8s..., %.8s...) nor a "
			  "value for %s: %s", keep, (long long)id,
			  stamp_device(k.c.winner_stamp),
			  stamp_device(k.c.loser_stamp), k.c.field, e.msg);
		goto out;
	}

	/* The record as it is now: the base is its current value's stamp. */
	rc = srv_store_record_get(s, k.c.record, &state_text, &state_len);
	if (rc) {
		rc = fail(msg, msgsz, rc, "record %s of conflict %lld: %s",
			  k.c.record, (long long)id, rc == SRV_E_NOTFOUND ?
			  "not found" : srv_store_errmsg(s));
		goto out;
	}
	state = cJSON_ParseWithLength(state_text, state_len);
	if (!state || proto_state_kind(state) != kind) {
		rc = fail(msg, msgsz, SRV_E_IO, "stored state of record %s is "
			  "unreadable", k.c.record);
		goto out;
	}
	if (proto_state_deleted(state)) {
		rc = fail(msg, msgsz, SRV_E_ARG, "record %s was deleted since; "
			  "there is nothing to resolve", k.c.record);
		goto out;
	}
	vals = proto_state_values(state);
	if (!vals) {
		rc = fail(msg, msgsz, SRV_E_NOMEM, "out of memory");
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(vals, k.c.field);
	if (!cJSON_AddItemReferenceToObject(vals, k.c.field, value)) {
		rc = fail(msg, msgsz, SRV_E_NOMEM, "out of memory");
		goto out;
	}
	if (proto_record_check(kind, vals, 0, &e) != PROTO_OK) {
		rc = fail(msg, msgsz, SRV_E_ARG, "keeping that value would "
			  "make record %s invalid: %s", k.c.record, e.msg);
		goto out;
	}
	cur = proto_state_get(state, k.c.field, &cur_stamp);

	/* The change: base = the value it replaces, so it is a resolution,
	** not one more concurrent edit. */
	now = srv_clock_ms();
	fields = cJSON_CreateObject();
	base = cJSON_CreateObject();
	if (!fields || !base ||
	    !cJSON_AddItemReferenceToObject(fields, k.c.field, value)) {
		rc = fail(msg, msgsz, SRV_E_NOMEM, "out of memory");
		goto out;
	}
	if (cur) {
		proto_stamp_format(stamp, &cur_stamp);
		if (!cJSON_AddStringToObject(base, k.c.field, stamp)) {
			rc = fail(msg, msgsz, SRV_E_NOMEM, "out of memory");
			goto out;
		}
	}
	memset(&ch, 0, sizeof(ch));
	memcpy(ch.id, k.c.record, sizeof(ch.id));
	ch.kind = kind;
	ch.op = PROTO_OP_UPDATE;
	ch.fields = fields;
	ch.base = cur ? base : NULL;
	rc = srv_hq_write(s, db_path, &ch, state_max_hlc(state), now, &hw,
			  msg, msgsz);
	if (rc)
		goto out;
	pr.cursor = hw.cursor;
	hq.head_seq = hw.seq - 1;

mark:
	vtext = cJSON_PrintUnformatted(value);
	rj = cJSON_CreateObject();
	if (!vtext || !rj ||
	    !cJSON_AddStringToObject(rj, "keep", which ? "device" : "value") ||
	    !(dev ? cJSON_AddStringToObject(rj, "device", dev)
		  : cJSON_AddNullToObject(rj, "device")) ||
	    !cJSON_AddItemReferenceToObject(rj, "value", value) ||
	    !cJSON_AddNumberToObject(rj, "seq", (double)(hq.head_seq + 1)) ||
	    !cJSON_AddNumberToObject(rj, "cursor", (double)pr.cursor) ||
	    !(resolution = cJSON_PrintUnformatted(rj))) {
		rc = fail(msg, msgsz, SRV_E_NOMEM, "HQ's value is stored (cursor "
			  "%lld) but the conflict could not be marked: out of "
			  "memory; run the command again", (long long)pr.cursor);
		goto out;
	}
	/* Every open conflict on this field is settled by the same write. */
	memset(&sf, 0, sizeof(sf));
	sf.record = k.c.record;
	sf.field = k.c.field;
	rc = srv_store_begin(s, 1);
	if (!rc)
		rc = srv_store_conflicts_each(s, 1, same_field_cb, &sf);
	for (i = 0; !rc && i < sf.n; i++)
		rc = srv_store_conflict_resolve(s, sf.ids[i], resolution,
						pr.cursor, now);
	if (!rc)
		rc = srv_store_commit(s);
	if (rc) {
		srv_store_rollback(s);
		rc = fail(msg, msgsz, rc, "HQ's value is stored (cursor %lld) "
			  "but the conflict could not be marked resolved: %s; "
			  "run the command again", (long long)pr.cursor,
			  srv_store_errmsg(s));
		goto out;
	}
	res->cursor = pr.cursor;
	res->seq = hq.head_seq + 1;
	res->resolved = sf.n;
	snprintf(res->keep, sizeof(res->keep), "%s", which ? "device" : "value");
	snprintf(res->device, sizeof(res->device), "%s", dev ? dev : "");
	snprintf(res->value, sizeof(res->value), "%s", vtext);
	rc = SRV_OK;
out:
	if (lockfd >= 0)
		close(lockfd); /* releases the lock */
	cJSON_free(resolution);
	cJSON_Delete(rj);
	cJSON_free(vtext);
	cJSON_Delete(fields);
	cJSON_Delete(base);
	cJSON_Delete(vals);
	cJSON_Delete(value);
	cJSON_Delete(state);
	free(state_text);
	conf_clear(&k);
	return rc;
}

/* ---- conflicts: the command ----------------------------------------- */

static const char conflicts_usage[] =
	"usage: fieldsyncd conflicts list --db PATH [--json] [--all]\n"
	"       fieldsyncd conflicts show --db PATH ID [--json]\n"
	"       fieldsyncd conflicts resolve --db PATH ID --keep "
	"VALUE_OR_DEVICE\n"
	"Concurrent edits: two devices changed the same field of a record\n"
	"without seeing each other's value. Every replica already shows the\n"
	"same winner (the later write); HQ decides which value is right.\n"
	"list: open conflicts (--all: resolved ones too), oldest first.\n"
	"show: one conflict, both values, their devices, the current value.\n"
	"resolve: HQ writes the kept value as a change set signed with HQ's\n"
	"own key (PATH.hqkey); every device receives it at its next sync, so\n"
	"all converge on it. Every open conflict on the same field of the\n"
	"same record is resolved by it. --keep takes either the id (or a\n"
	"prefix of at least 4 hex digits) of one of the conflict's two\n"
	"devices, whose value is kept, or a value as you would type it in\n"
	"fieldsync (\"5.5\", \"Saravane\", \"2026-05-01\"). Write device:PREFIX\n"
	"or value:TEXT when a value could be read as a device prefix.\n"
	"Works while fieldsyncd serve is running on the same database.\n"
	"Exit status: 0 success, 2 usage error (bad ID or --keep), 1 any\n"
	"other failure (no such conflict, already resolved, database).\n";

/* Pad to a display width (Vietnamese and Lao line up in a terminal). */
static void put_col(const char *s, size_t width)
{
	size_t w = srv_display_width(s, strlen(s));

	fputs(s, stdout);
	while (w++ < width)
		putchar(' ');
}

static void device_label(srv_store *s, const char *stamp, char *out,
			 size_t outsz)
{
	srv_device d;
	const char *id = stamp_device(stamp);

	if (srv_store_device_get(s, id, &d) == SRV_OK)
		snprintf(out, outsz, "%.8s %s", id, d.name);
	else
		snprintf(out, outsz, "%.8s", id);
}

typedef struct list_ctx {
	srv_store *s;
	cJSON *arr;    /* --json */
	int oom;
	size_t n;
} list_ctx;

/* What a record is, for a person: its kind's title fields from the
** record's state ("Ngô nếp — Salavan, Lao Ngam"), as fieldsync names it;
** "" if the record is unknown. */
void srv_record_title(srv_store *s, const char *id, char *buf, size_t n)
{
	char *text = NULL;
	size_t len = 0, off = 0;
	cJSON *st = NULL;
	const proto_kind_def *k;
	int parts = 0;

	buf[0] = '\0';
	if (srv_store_record_get(s, id, &text, &len) != SRV_OK)
		return;
	st = cJSON_ParseWithLength(text, len);
	free(text);
	k = st ? proto_state_kind(st) : NULL;
	for (size_t i = 0; k && i < 4 && k->title[i]; i++) {
		const cJSON *v = proto_state_get(st, k->title[i], NULL);
		char val[200];
		int w;

		if (!v || cJSON_IsNull(v))
			continue;
		proto_value_format(v, val, sizeof val);
		w = snprintf(buf + off, n - off, "%s%s",
			     parts == 0 ? "" : parts == 1 ? " — " : ", ", val);
		if (w < 0 || (size_t)w >= n - off)
			break;
		off += (size_t)w;
		parts++;
	}
	cJSON_Delete(st);
}

static int list_cb(void *vctx, const srv_conflict *c)
{
	list_ctx *l = vctx;
	char w[300], lo[300], wd[240], ld[240], when[32], idtxt[24];
	char title[400];
	cJSON *o;

	l->n++;
	if (l->arr) {
		o = srv_conflict_json(c);
		srv_record_title(l->s, c->record, title, sizeof(title));
		if (o && !cJSON_AddStringToObject(o, "record_name", title)) {
			cJSON_Delete(o);
			o = NULL;
		}
		if (!o || !cJSON_AddItemToArray(l->arr, o)) {
			cJSON_Delete(o);
			l->oom = 1;
			return 1;
		}
		return 0;
	}
	device_label(l->s, c->winner_stamp, wd, sizeof(wd));
	device_label(l->s, c->loser_stamp, ld, sizeof(ld));
	snprintf(w, sizeof(w), "%.40s (%s)",
		 c->winner_value ? c->winner_value : "-", wd);
	snprintf(lo, sizeof(lo), "%.40s (%s)",
		 c->loser_value ? c->loser_value : "-", ld);
	fmt_time(when, sizeof(when), c->detected_ms);
	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)c->id);
	put_col(idtxt, 5);
	printf(" %.8s  ", c->record);
	put_col(c->kind, 9);
	put_col(c->field, 20);
	put_col(w, 36);
	put_col(lo, 36);
	srv_record_title(l->s, c->record, title, sizeof(title));
	printf("%s  %-8s  %s\n", when, c->resolved_ms ? "resolved" : "open",
	       title);
	return 0;
}

static int show_conflict(srv_store *s, const conf *k, int json)
{
	char wd[240], ld[240], when[32], stamp[PROTO_STAMP_TEXT + 1];
	char *st = NULL, *text = NULL, curv[512];
	size_t stlen = 0;
	cJSON *state = NULL, *o = NULL;
	const cJSON *cur = NULL;
	proto_stamp cs;
	int ret = 1;

	if (srv_store_record_get(s, k->c.record, &st, &stlen) == SRV_OK)
		state = cJSON_ParseWithLength(st, stlen);
	if (state)
		cur = proto_state_get(state, k->c.field, &cs);
	if (json) {
		o = srv_conflict_json(&k->c);
		if (!o)
			goto out;
		if (cur) {
			proto_stamp_format(stamp, &cs);
			if (!cJSON_AddItemToObject(o, "current_value",
						   cJSON_Duplicate(cur, 1)) ||
			    !cJSON_AddStringToObject(o, "current_stamp", stamp))
				goto out;
		}
		text = cJSON_Print(o);
		if (!text)
			goto out;
		printf("%s\n", text);
		ret = 0;
		goto out;
	}
	device_label(s, k->c.winner_stamp, wd, sizeof(wd));
	device_label(s, k->c.loser_stamp, ld, sizeof(ld));
	printf("conflict %lld (%s)\n", (long long)k->c.id,
	       k->c.resolved_ms ? "resolved" : "open");
	printf("record    %s (%s)\n", k->c.record, k->c.kind);
	printf("field     %s\n", k->c.field);
	printf("winner    %s  by %s\n          stamp %s\n",
	       k->c.winner_value ? k->c.winner_value : "-", wd,
	       k->c.winner_stamp);
	printf("loser     %s  by %s\n          stamp %s\n",
	       k->c.loser_value ? k->c.loser_value : "-", ld,
	       k->c.loser_stamp);
	if (cur) {
		proto_stamp_format(stamp, &cs);
		printf("current   %s\n          stamp %s\n",
		       proto_value_format(cur, curv, sizeof(curv)), stamp);
	}
	fmt_time(when, sizeof(when), k->c.detected_ms);
	printf("detected  %s (change set at cursor %lld)\n", when,
	       (long long)k->c.detected_cursor);
	if (k->c.resolved_ms) {
		fmt_time(when, sizeof(when), k->c.resolved_ms);
		printf("resolved  %s by HQ's change set at cursor %lld: %s\n",
		       when, (long long)k->c.resolved_cursor,
		       k->c.resolution ? k->c.resolution : "");
	} else {
		printf("resolve   fieldsyncd conflicts resolve --db DB %lld "
		       "--keep %.8s (or --keep %.8s, or a value)\n",
		       (long long)k->c.id, stamp_device(k->c.winner_stamp),
		       stamp_device(k->c.loser_stamp));
	}
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "conflicts show: out of memory\n");
	cJSON_free(text);
	cJSON_Delete(o);
	cJSON_Delete(state);
	free(st);
	return ret;
}

static int parse_conflict_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	*id = 0;
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 15)
		return -1;
	v = strtoll(s, &end, 10);
	if (v < 1)
		return -1;
	*id = v;
	return 0;
}

int srv_cmd_conflicts(int argc, char **argv)
{
	const char *db = NULL, *json = NULL, *all = NULL, *keep = NULL;
	const char *pos[2];
	srv_opt opts[] = { { "--db", 1, &db }, { "--json", 0, &json },
		       { "--all", 0, &all }, { "--keep", 1, &keep } };
	srv_store *s = NULL;
	srv_resolution r;
	list_ctx l;
	conf k;
	char msg[1024], hq[PROTO_ID_HEX + 1], *text = NULL;
	int64_t id = 0, open_n = 0;
	int npos, rc, ret = 1, sub;

	memset(&k, 0, sizeof(k));
	rc = srv_args_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), pos,
			2, &npos, "conflicts", conflicts_usage);
	if (rc)
		return rc < 0 ? 0 : rc;
	sub = npos < 1 ? 0 : strcmp(pos[0], "list") == 0 ? 1 :
	      strcmp(pos[0], "show") == 0 ? 2 :
	      strcmp(pos[0], "resolve") == 0 ? 3 : 0;
	if (!sub) {
		fprintf(stderr, "conflicts: the subcommand is list, show or "
			"resolve%s%s%s\n%s", npos ? " (not \"" : "",
			npos ? pos[0] : "", npos ? "\")" : "", conflicts_usage);
		return EXIT_USAGE;
	}
	if ((sub == 1 && npos != 1) || (sub > 1 && npos != 2)) {
		fprintf(stderr, "conflicts %s: %s\n%s", pos[0], sub == 1 ?
			"takes no argument" : "takes one conflict ID",
			conflicts_usage);
		return EXIT_USAGE;
	}
	if (sub > 1 && parse_conflict_id(pos[1], &id)) {
		fprintf(stderr, "conflicts %s: \"%s\" is not a conflict ID "
			"(a number from `fieldsyncd conflicts list`)\n",
			pos[0], pos[1]);
		return EXIT_USAGE;
	}
	if ((sub == 3) != (keep != NULL) || (all && sub != 1) ||
	    (json && sub == 3)) {
		fprintf(stderr, "conflicts %s: %s\n%s", pos[0], sub == 3 ?
			(keep ? "--json is for list and show" :
			 "--keep VALUE_OR_DEVICE is required") :
			keep ? "--keep is for resolve" :
			"--all is for list", conflicts_usage);
		return EXIT_USAGE;
	}
	if (keep && !*keep) {
		fprintf(stderr, "conflicts resolve: --keep is empty; give a "
			"device id prefix or a value\n");
		return EXIT_USAGE;
	}
	if (!db || !*db) {
		fprintf(stderr, "conflicts: --db PATH is required\n%s",
			conflicts_usage);
		return EXIT_USAGE;
	}
	if (proto_init() != 0) {
		fprintf(stderr, "conflicts: libsodium cannot initialise\n");
		return 1;
	}
	if (srv_db_open(db, 0, &s, hq, msg, sizeof(msg))) {
		fprintf(stderr, "conflicts: %s\n", msg);
		return 1;
	}
	if (sub == 1) {
		memset(&l, 0, sizeof(l));
		l.s = s;
		if (json && !(l.arr = cJSON_CreateArray())) {
			fprintf(stderr, "conflicts list: out of memory\n");
			goto out;
		}
		if (!json) {
			put_col("ID", 5);
			printf(" %-8s  ", "RECORD");
			put_col("KIND", 9);
			put_col("FIELD", 20);
			put_col("WINNER (DEVICE)", 36);
			put_col("LOSER (DEVICE)", 36);
			printf("%-20s  %-8s  %s\n", "DETECTED", "STATE", "RECORD NAME");
		}
		rc = srv_store_conflicts_each(s, !all, list_cb, &l);
		if (!rc)
			rc = srv_store_conflicts_open(s, &open_n);
		if (rc || l.oom) {
			fprintf(stderr, "conflicts list: %s\n", l.oom ?
				"out of memory" : srv_store_errmsg(s));
			cJSON_Delete(l.arr);
			goto out;
		}
		if (json) {
			cJSON *o = cJSON_CreateObject();
			if (!o || !cJSON_AddNumberToObject(o, "open",
							   (double)open_n) ||
			    !cJSON_AddItemToObject(o, "conflicts", l.arr)) {
				cJSON_Delete(o);
				cJSON_Delete(l.arr);
				fprintf(stderr, "conflicts list: out of "
					"memory\n");
				goto out;
			}
			text = cJSON_Print(o);
			cJSON_Delete(o);
			if (!text) {
				fprintf(stderr, "conflicts list: out of "
					"memory\n");
				goto out;
			}
			printf("%s\n", text);
		} else {
			printf("%lld open conflict%s\n", (long long)open_n,
			       open_n == 1 ? "" : "s");
		}
		ret = 0;
		goto out;
	}
	if (sub == 2) {
		rc = srv_store_conflict_get(s, id, conf_copy, &k);
		if (rc == SRV_E_NOTFOUND) {
			fprintf(stderr, "conflicts show: no conflict %lld (see "
				"`fieldsyncd conflicts list --all`)\n",
				(long long)id);
			goto out;
		} else if (rc) {
			fprintf(stderr, "conflicts show: %s\n",
				srv_store_errmsg(s));
			goto out;
		}
		ret = show_conflict(s, &k, json != NULL);
		goto out;
	}
	rc = srv_hq_resolve(s, db, id, keep, &r, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "conflicts resolve: %s\n", msg);
		ret = rc == SRV_E_ARG ? EXIT_USAGE : 1;
		goto out;
	}
	printf("resolved conflict %lld: HQ wrote %s%s%s%s as change set %lld "
	       "of HQ (cursor %lld); %zu open conflict%s on this field "
	       "closed; devices get it at their next sync\n", (long long)id,
	       r.value, r.device[0] ? " (the value of device " : "",
	       r.device, r.device[0] ? ")" : "", (long long)r.seq,
	       (long long)r.cursor, r.resolved, r.resolved == 1 ? "" : "s");
	ret = 0;
out:
	cJSON_free(text);
	conf_clear(&k);
	srv_store_close(s);
	return ret;
}
