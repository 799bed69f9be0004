/*
** This file contains the HQ report engine: it turns merged record states
** (read only through protocol/merge.h and protocol/records.h), the device
** list, the open-conflict count and the targets into one JSON document, and
** renders that document as a terminal table, CSV or JSON.
**
** RULES (decided here; the README repeats them for HQ):
** - Periods. YYYYH1 = 1 November of YYYY-1 .. 30 April YYYY; YYYYH2 = 1 May
**   .. 31 October YYYY. Each half closes ten days before its reporting
**   deadline (10 May, 10 November), so departments have time to sync the
**   last entries and HQ to compile; together the halves cover every day of
**   the year exactly once. YYYY is the calendar year (1 January .. 31
**   December). Without a period the default is the half whose deadline
**   comes next: up to 10 May YYYYH1, up to 10 November YYYYH2, from 11
**   November (YYYY+1)H1. --from/--to give any other range, both included.
** - A visit or trip belongs to the period when its start date lies in
**   [from, to]; filters (--province, --sector) keep only matching ones.
** - Expert-days = experts (1 when absent) x (end - start + 1) days (1 day
**   when there is no end). Not clipped to the period: a trip counts wholly
**   in the period in which it started, so a trip across a period boundary is
**   counted exactly once.
** - A trip without a sector takes proto_specialty_sector(specialty); if that
**   is unknown too, it is shown under sector "unspecified".
** - "as of" = the earlier of the period's last day and the day of "now".
** - Models. A model's sector is "agriculture" when absent. Its state is its
**   latest progress observation dated on or before `to` (latest by date,
**   then by the stamp of the observation's "date" field, then by id).
**   A model is listed if it has such an observation, or it began on or
**   before `to` (its "start" field; without one, the day of the first
**   write to it). It is stale when it has no observation, or its latest
**   observation is more than stale_days (30) before "as of".
**   percent = sown_ha / planned_ha x 100, rounded to one decimal (3.8/5 ->
**   76); null when planned_ha is 0 or there is no observation.
** - Scholarships (the "education" section): summed per province and
**   academic year, for every academic year whose first year is at most
**   the period's year; rate = enrolled / awarded in whole percent, rounded
**   half up (251 / 300 -> 84); a batch without "enrolled" counts 0.
** - Friendship works: every work with its latest observation dated on or
**   before `to` (as for models); money in whole đồng; the table writes it
**   as proto_money_format does in English ("60,000,000,000 VND", totals
**   also short: "(60 billion VND)"), CSV and JSON keep plain digits.
** - Targets are evaluated for the calendar year of `to` (targets.c), over
**   every record whatever the filters: they are the programme's targets.
** - Devices: all are listed; "not_synced" is true for a device that is not
**   revoked, is not HQ's own identity (role "hq") and has never synced or
**   last synced more than unsynced_days (14) x 24 h before "now".
**
** DOCUMENT (all dates "YYYY-MM-DD"; hectares as numbers with <= 2 decimals):
**
**   {"report":"fieldsync HQ report","version":1,
**    "period":{"label":"2026H1","from":D,"to":D,"year":2026},
**    "as_of":D, "now_ms":N,
**    "filters":{"province":P|null,"sector":S|null},
**    "thresholds":{"stale_days":30,"unsynced_days":14},
**    "summary":{"visits":N,"trips":N,"models":N,"models_stale":N,
**               "targets":N,"targets_met":N,"devices":N,
**               "devices_not_synced":N,"open_conflicts":N},
**    "by_province":[{"province":P, FIGURES}...],   all four, or the filter
**    "by_sector":[{"sector":S, FIGURES}...],       all thirteen (or the
**                                                  filter) + "unspecified"
**                                                  when any trip has none
**    "totals":{FIGURES},
**    (visits, trips and models also carry "author" and "author_device":
**    the owner's name from the roster and its device id)
**    "models":[{"id","crop","sector","province","district","village",
**               "season","planned_ha","planned_households","sown_ha",
**               "households","percent","last_observation","days_since",
**               "observations","stale"}...],    by province, crop, id
**    "visits":[{"id","start","end","direction","province","sector",
**               "leader","title","members","host","purpose","outcome",
**               "high_level"}...],              by start, id
**    "trips":[{"id","start","end","days","province","sector","specialty",
**              "expert","experts","expert_days","department","site",
**              "trainings","trained","patients","outcome"}...],
**    "education":[{"academic_year","province","batches","awarded",
**                  "enrolled","rate"}...],       by year, province
**    "education_totals":{"batches","awarded","enrolled","rate"},
**    "works":[{"id","province","name","sector","site","budget",
**              "disbursed","built_pct","status","last_observation",
**              "notes","observations"}...],     by province, name, id
**    "works_totals":{"works","budget","disbursed"},
**    "targets":{"year":Y,"items":[see targets.c]},
**              with a broken targets file (srv_report_params.targets_error):
**              {"year":Y,"error":"FILE:LINE:COLUMN: what; allowed","items":[]},
**              summary "targets" and "targets_met" null, visits'
**              "high_level" null; every other member as usual
**    "devices":[{"id","name","role","last_sync_ms","last_sync",
**                "days_since","revoked","not_synced","flags"}...]}  by
**                name, id; flags: "" or "forked", "restored",
**                "conflicts-capped", "forks-capped", comma-joined
**
**   FIGURES = "visits_out","members_out","visits_in","members_in","trips",
**   "experts","expert_days","trainings","trained","patients". Absent
**   optional text is null; absent numbers in lists are null.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "protocol/proto.h"
#include "protocol/records.h"
#include "protocol/merge.h"
#include "protocol/i18n.h"
#include "report.h"
#include "report_lang.h"
#include "textbuf.h"

#define DAY_MS 86400000LL

typedef struct rec {
	char *id;
	cJSON *state;
} rec;

typedef struct dev {
	char *id, *name, *role;
	char *flags;              /* for HQ to look at; NULL: none */
	int64_t last;
	int revoked;
} dev;

struct srv_report_input {
	rec *r;
	size_t nr, cr;
	dev *d;
	size_t nd, cd;
};

/* Deleted records and retracted observations count nowhere (SPEC 9.3). */
static int gone(const cJSON *st)
{
	return proto_state_deleted(st) || proto_state_retracted(st);
}

/* The name (from the roster) of the device that owns a record, or NULL. */
static const char *author_name(const srv_report_input *in, const char *owner)
{
	for (size_t i = 0; owner && i < in->nd; i++)
		if (in->d[i].id && strcmp(in->d[i].id, owner) == 0)
			return in->d[i].name;
	return NULL;
}

/* ---- input -------------------------------------------------------------- */

srv_report_input *srv_report_input_new(void)
{
	return calloc(1, sizeof(srv_report_input));
}

void srv_report_input_free(srv_report_input *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->nr; i++) {
		free(in->r[i].id);
		cJSON_Delete(in->r[i].state);
	}
	for (size_t i = 0; i < in->nd; i++) {
		free(in->d[i].id);
		free(in->d[i].name);
		free(in->d[i].role);
		free(in->d[i].flags);
	}
	free(in->r);
	free(in->d);
	free(in);
}

int srv_report_add_state(srv_report_input *in, const char *id, cJSON *state)
{
	char *idc;

	if (in->nr == in->cr) {
		size_t nc = in->cr ? in->cr * 2 : 64;
		rec *g = realloc(in->r, nc * sizeof *g);
		if (!g) {
			cJSON_Delete(state);
			return -1;
		}
		in->r = g;
		in->cr = nc;
	}
	idc = strdup(id ? id : "");
	if (!idc) {
		cJSON_Delete(state);
		return -1;
	}
	in->r[in->nr].id = idc;
	in->r[in->nr++].state = state;
	return 0;
}

int srv_report_add_state_text(void *ctx, const char *id, const char *kind,
			      const char *state, int64_t updated_cursor)
{
	cJSON *s;

	(void)kind;
	(void)updated_cursor;
	s = cJSON_Parse(state);
	if (!s)
		return 1;
	return srv_report_add_state(ctx, id, s) != 0;
}

int srv_report_add_device(srv_report_input *in, const char *id,
			  const char *name, const char *role,
			  int64_t last_sync_ms, int revoked)
{
	dev d = {0};

	if (in->nd == in->cd) {
		size_t nc = in->cd ? in->cd * 2 : 16;
		dev *g = realloc(in->d, nc * sizeof *g);
		if (!g)
			return -1;
		in->d = g;
		in->cd = nc;
	}
	d.id = strdup(id ? id : "");
	d.name = name ? strdup(name) : NULL;
	d.role = role ? strdup(role) : NULL;
	if (!d.id || (name && !d.name) || (role && !d.role)) {
		free(d.id);
		free(d.name);
		free(d.role);
		return -1;
	}
	d.last = last_sync_ms;
	d.revoked = revoked;
	in->d[in->nd++] = d;
	return 0;
}

int srv_report_device_flags(srv_report_input *in, const char *flags)
{
	char *f;

	if (in->nd == 0 || !flags || !*flags)
		return 0;
	if (!(f = strdup(flags)))
		return -1;
	free(in->d[in->nd - 1].flags);
	in->d[in->nd - 1].flags = f;
	return 0;
}

/* ---- periods ------------------------------------------------------------ */

static long ymd(long y, int m, int d)
{
	char s[32];
	long days = 0;

	snprintf(s, sizeof s, "%04ld-%02d-%02d", y, m, d);
	if (proto_date_parse(s, &days) != 0)
		return 0;
	return days;
}

static int year_of(long days)
{
	char s[11];

	proto_date_format(s, days);
	return atoi(s);
}

int srv_period_parse(const char *text, srv_period *out, char *msg,
		     size_t msgsz)
{
	long y = 0;

	memset(out, 0, sizeof *out);
	if (text && strlen(text) == 4 && isdigit((unsigned char)text[0]) &&
	    isdigit((unsigned char)text[1]) &&
	    isdigit((unsigned char)text[2]) &&
	    isdigit((unsigned char)text[3])) {
		y = atol(text);
		if (y < 1901 || y > 2999)
			goto bad;
		/* The whole calendar year, as the yearly targets count it. */
		out->from = ymd(y, 1, 1);
		out->to = ymd(y, 12, 31);
		snprintf(out->label, sizeof out->label, "%04ld", y);
		return 0;
	}
	if (!text || strlen(text) != 6 || (text[4] != 'H' && text[4] != 'h') ||
	    (text[5] != '1' && text[5] != '2'))
		goto bad;
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)text[i]))
			goto bad;
		y = y * 10 + (text[i] - '0');
	}
	if (y < 1901 || y > 2999)
		goto bad;
	if (text[5] == '1') {
		out->from = ymd(y - 1, 11, 1);
		out->to = ymd(y, 4, 30);
	} else {
		out->from = ymd(y, 5, 1);
		out->to = ymd(y, 10, 31);
	}
	snprintf(out->label, sizeof out->label, "%04ldH%c", y, text[5]);
	return 0;
bad:
	snprintf(msg, msgsz, "--period: \"%.40s\" is not a period; expected "
		 "YYYYH1 (1 November of the year before to 30 April) or "
		 "YYYYH2 (1 May to 31 October), e.g. 2026H1, or YYYY (the "
		 "calendar year)",
		 text ? text : "");
	return -1;
}

void srv_period_current(int64_t now_ms, srv_period *out)
{
	char d[11], label[8];
	long day = (long)(now_ms >= 0 ? now_ms / DAY_MS
				      : -((-now_ms + DAY_MS - 1) / DAY_MS));
	int y, m, dd, h;
	char msg[8];

	proto_date_format(d, day);
	y = atoi(d);
	m = atoi(d + 5);
	dd = atoi(d + 8);
	/* The half whose deadline comes next: H1 is due 10 May, H2 10
	** November, both days still reporting the half just closed. */
	if (m < 5 || (m == 5 && dd <= 10))
		h = 1;
	else if (m < 11 || (m == 11 && dd <= 10))
		h = 2;
	else {
		h = 1;
		y++;
	}
	snprintf(label, sizeof label, "%04dH%d", y, h);
	if (srv_period_parse(label, out, msg, sizeof msg) != 0)
		memset(out, 0, sizeof *out);
}

int srv_period_range(const char *from, const char *to, srv_period *out,
		     char *msg, size_t msgsz)
{
	memset(out, 0, sizeof *out);
	if (!from || proto_date_parse(from, &out->from) != 0) {
		snprintf(msg, msgsz, "--from: \"%.40s\" is not a date; "
			 "expected YYYY-MM-DD, e.g. 2026-01-01",
			 from ? from : "");
		return -1;
	}
	if (!to || proto_date_parse(to, &out->to) != 0) {
		snprintf(msg, msgsz, "--to: \"%.40s\" is not a date; "
			 "expected YYYY-MM-DD, e.g. 2026-06-30", to ? to : "");
		return -1;
	}
	if (out->to < out->from) {
		snprintf(msg, msgsz, "--to %s is before --from %s", to, from);
		memset(out, 0, sizeof *out);
		return -1;
	}
	snprintf(out->label, sizeof out->label, "%s..%s", from, to);
	return 0;
}

/* ---- reading states ----------------------------------------------------- */

static const char *get_str(const cJSON *st, const char *f)
{
	const cJSON *v = proto_state_get(st, f, NULL);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int get_int(const cJSON *st, const char *f, long long *out)
{
	const cJSON *v = proto_state_get(st, f, NULL);
	long long h;

	/* Whole numbers are exact in hundredths too; one helper for both. */
	if (!v || proto_decimal_get(v, &h) != 0 || h % 100 != 0)
		return -1;
	*out = h / 100;
	return 0;
}

static int get_date(const cJSON *st, const char *f, long *out)
{
	const char *s = get_str(st, f);

	return s && proto_date_parse(s, out) == 0 ? 0 : -1;
}

/* The day of the earliest write to a record: when it was created. */
static long first_write_day(const cJSON *st)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(st, "f");
	int64_t min = -1;

	for (const cJSON *e = f ? f->child : NULL; e; e = e->next) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "s");
		proto_stamp stamp;
		if (cJSON_IsString(s) &&
		    proto_stamp_parse(s->valuestring, &stamp) == 0 &&
		    (min < 0 || proto_hlc_ms(stamp.hlc) < min))
			min = proto_hlc_ms(stamp.hlc);
	}
	return min < 0 ? 0 : (long)(min / DAY_MS);
}

/* Fill a from a visit or trip state; -1 if a required field is unusable
** (a state that passed proto_record_check never is). */
static int read_activity(const char *id, const cJSON *st,
			 const proto_kind_def *k, srv_activity *a)
{
	long long n;

	memset(a, 0, sizeof *a);
	a->id = id;
	a->province = get_str(st, "province");
	if (!a->province || get_date(st, "start", &a->start) != 0)
		return -1;
	if (get_date(st, "end", &a->end) != 0 || a->end < a->start)
		a->end = a->start;
	a->sector = get_str(st, "sector");
	if (strcmp(k->name, "visit") == 0) {
		a->kind = SRV_ACT_VISIT;
		a->direction = get_str(st, "direction");
		a->title = get_str(st, "title");
		if (!a->direction || get_int(st, "members", &a->members) != 0)
			return -1;
	} else {
		a->kind = SRV_ACT_TRIP;
		a->direction = "out";
		if (!a->sector)
			a->sector = proto_specialty_sector(
				get_str(st, "specialty"));
		a->experts = get_int(st, "experts", &n) == 0 ? n : 1;
		a->expert_days = a->experts * (a->end - a->start + 1);
		a->trainings = get_int(st, "trainings", &n) == 0 ? n : 0;
		a->trained = get_int(st, "trained", &n) == 0 ? n : 0;
		a->patients = get_int(st, "patients", &n) == 0 ? n : 0;
	}
	return 0;
}

/* ---- building the document ---------------------------------------------- */

/* cJSON's adders return NULL when out of memory; rather than test each of
** the hundred calls below, they go through these, which remember a failure
** in b->oom, checked once at the end. */
typedef struct builder {
	int oom;
} builder;

static cJSON *b_obj(builder *b, cJSON *parent, const char *key)
{
	cJSON *o = key ? cJSON_AddObjectToObject(parent, key)
		       : cJSON_CreateObject();
	if (!o)
		b->oom = 1;
	else if (!key && parent && !cJSON_AddItemToArray(parent, o)) {
		cJSON_Delete(o);
		o = NULL;
		b->oom = 1;
	}
	return o;
}

static cJSON *b_arr(builder *b, cJSON *parent, const char *key)
{
	cJSON *a = parent ? cJSON_AddArrayToObject(parent, key) : NULL;

	if (!a)
		b->oom = 1;
	return a;
}

static void b_str(builder *b, cJSON *o, const char *k, const char *v)
{
	if (!o)
		return;
	if (!(v ? cJSON_AddStringToObject(o, k, v)
		: cJSON_AddNullToObject(o, k)))
		b->oom = 1;
}

static void b_num(builder *b, cJSON *o, const char *k, double v)
{
	if (o && !cJSON_AddNumberToObject(o, k, v))
		b->oom = 1;
}

static void b_bool(builder *b, cJSON *o, const char *k, int v)
{
	if (o && !cJSON_AddBoolToObject(o, k, v))
		b->oom = 1;
}

static void b_null(builder *b, cJSON *o, const char *k)
{
	if (o && !cJSON_AddNullToObject(o, k))
		b->oom = 1;
}

static void b_date(builder *b, cJSON *o, const char *k, long days)
{
	char d[11];

	proto_date_format(d, days);
	b_str(b, o, k, d);
}

/* A number field copied from a state, or null. */
static void b_field_num(builder *b, cJSON *o, const cJSON *st, const char *f)
{
	const cJSON *v = proto_state_get(st, f, NULL);
	cJSON *d;

	if (!o)
		return;
	d = cJSON_IsNumber(v) ? cJSON_Duplicate(v, 0) : cJSON_CreateNull();
	if (!d || !cJSON_AddItemToObject(o, f, d)) {
		cJSON_Delete(d);
		b->oom = 1;
	}
}

static void b_ha(builder *b, cJSON *o, const char *k, long long hundredths)
{
	cJSON *v;

	if (!o)
		return;
	v = proto_decimal_new(hundredths);
	if (!v || !cJSON_AddItemToObject(o, k, v)) {
		cJSON_Delete(v);
		b->oom = 1;
	}
}

typedef struct figures {
	long long visits_out, members_out, visits_in, members_in, trips,
		experts, expert_days, trainings, trained, patients;
} figures;

static void figures_add(figures *f, const srv_activity *a)
{
	if (a->kind == SRV_ACT_VISIT) {
		if (strcmp(a->direction, "in") == 0) {
			f->visits_in++;
			f->members_in += a->members;
		} else {
			f->visits_out++;
			f->members_out += a->members;
		}
	} else {
		f->trips++;
		f->experts += a->experts;
		f->expert_days += a->expert_days;
		f->trainings += a->trainings;
		f->trained += a->trained;
		f->patients += a->patients;
	}
}

static void b_figures(builder *b, cJSON *o, const figures *f)
{
	b_num(b, o, "visits_out", (double)f->visits_out);
	b_num(b, o, "members_out", (double)f->members_out);
	b_num(b, o, "visits_in", (double)f->visits_in);
	b_num(b, o, "members_in", (double)f->members_in);
	b_num(b, o, "trips", (double)f->trips);
	b_num(b, o, "experts", (double)f->experts);
	b_num(b, o, "expert_days", (double)f->expert_days);
	b_num(b, o, "trainings", (double)f->trainings);
	b_num(b, o, "trained", (double)f->trained);
	b_num(b, o, "patients", (double)f->patients);
}

/* Sort keys: strings compared bytewise, NULL first. */
static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

typedef struct act_ref {
	const srv_activity *a;
	const cJSON *state;
} act_ref;

static int cmp_act(const void *x, const void *y)
{
	const act_ref *p = x, *q = y;

	if (p->a->start != q->a->start)
		return p->a->start < q->a->start ? -1 : 1;
	return strcmp(p->a->id, q->a->id);
}

typedef struct model_row {
	const char *id;
	const cJSON *state;
	const char *province, *sector, *crop;
	const cJSON *latest;     /* latest observation state, or NULL */
	long latest_day;
	proto_stamp latest_stamp;
	const char *latest_id;
	long observations;
} model_row;

static int cmp_model(const void *x, const void *y)
{
	const model_row *p = x, *q = y;
	int c = cmp_str(p->province, q->province);

	if (!c)
		c = cmp_str(p->crop, q->crop);
	return c ? c : strcmp(p->id, q->id);
}

static int cmp_dev(const void *x, const void *y)
{
	const dev *p = *(const dev *const *)x, *q = *(const dev *const *)y;
	int c = cmp_str(p->name, q->name);

	return c ? c : strcmp(p->id, q->id);
}

static int in_list(const proto_ref_list *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->entries[i].name, name) == 0)
			return 1;
	return 0;
}

static int matches_filters(const srv_report_params *p, const char *province,
			   const char *sector)
{
	if (p->province && (!province || strcmp(p->province, province) != 0))
		return 0;
	if (p->sector && (!sector || strcmp(p->sector, sector) != 0))
		return 0;
	return 1;
}

/* A whole-đồng amount or count of a state, or -1 when absent (money is an
** int field 0..10^13: exact in a double). */
static long long get_whole(const cJSON *st, const char *f)
{
	const cJSON *v = proto_state_get(st, f, NULL);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9007199254740991.0 ||
	    v->valuedouble != (double)(long long)v->valuedouble)
		return -1;
	return (long long)v->valuedouble;
}

/* Whole percent of part in whole, rounded half up (251 of 300 -> 84). */
static void b_rate(builder *b, cJSON *o, const char *k, long long part,
		   long long whole)
{
	if (whole > 0)
		b_num(b, o, k, (double)((part * 100 + whole / 2) / whole));
	else
		b_null(b, o, k);
}

typedef struct edu_row {
	const char *province, *year;
	long long batches, awarded, enrolled;
} edu_row;

static int cmp_edu(const void *x, const void *y)
{
	const edu_row *p = x, *q = y;
	int c = strcmp(p->year, q->year);
	return c ? c : strcmp(p->province, q->province);
}

/* The education section: scholarships awarded and students enrolled per
** province and academic year, for academic years that began by the end of
** the period (first year <= the period's year), every earlier year
** included (the plan counts over the whole period); a batch without
** "enrolled" counts 0 enrolled. Filters: province; a sector other than
** education leaves the section empty. */
static void education_section(builder *b, cJSON *doc,
			       const srv_report_input *in,
			       const srv_report_params *p, int year)
{
	edu_row *rows = calloc(in->nr + 1, sizeof *rows), tot = {0};
	size_t n = 0;
	cJSON *arr, *o;

	if (!rows) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < in->nr; i++) {
		const cJSON *st = in->r[i].state;
		const proto_kind_def *k = proto_state_kind(st);
		const char *prov, *ay;
		long long aw, en;
		size_t j;
		if (!k || strcmp(k->name, "scholarship") != 0 ||
		    gone(st))
			continue;
		prov = get_str(st, "province");
		ay = get_str(st, "academic_year");
		aw = get_whole(st, "awarded");
		en = get_whole(st, "enrolled");
		if (!prov || !ay || strlen(ay) != 9 || aw < 0 ||
		    atoi(ay) > year || !matches_filters(p, prov, "education"))
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(rows[j].province, prov) == 0 &&
			    strcmp(rows[j].year, ay) == 0)
				break;
		if (j == n) {
			rows[n].province = prov;
			rows[n++].year = ay;
		}
		rows[j].batches++;
		rows[j].awarded += aw;
		rows[j].enrolled += en > 0 ? en : 0;
		tot.batches++;
		tot.awarded += aw;
		tot.enrolled += en > 0 ? en : 0;
	}
	qsort(rows, n, sizeof *rows, cmp_edu);
	arr = b_arr(b, doc, "education");
	for (size_t j = 0; arr && j < n; j++) {
		o = b_obj(b, arr, NULL);
		b_str(b, o, "academic_year", rows[j].year);
		b_str(b, o, "province", rows[j].province);
		b_num(b, o, "batches", (double)rows[j].batches);
		b_num(b, o, "awarded", (double)rows[j].awarded);
		b_num(b, o, "enrolled", (double)rows[j].enrolled);
		b_rate(b, o, "rate", rows[j].enrolled, rows[j].awarded);
	}
	o = b_obj(b, doc, "education_totals");
	b_num(b, o, "batches", (double)tot.batches);
	b_num(b, o, "awarded", (double)tot.awarded);
	b_num(b, o, "enrolled", (double)tot.enrolled);
	b_rate(b, o, "rate", tot.enrolled, tot.awarded);
	free(rows);
}

/* The friendship-works section: every work (filters: province, sector),
** with its latest observation dated on or before the period's end (latest
** by date, then by the stamp of its "date" field, then by id, as for
** models). */
static void works_section(builder *b, cJSON *doc, const srv_report_input *in,
			  const srv_report_params *p)
{
	model_row *w = calloc(in->nr + 1, sizeof *w);
	size_t n = 0;
	long long budget = 0, disbursed = 0;
	cJSON *arr, *o;

	if (!w) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < in->nr; i++) {
		const cJSON *st = in->r[i].state;
		const proto_kind_def *k = proto_state_kind(st);
		if (!k || strcmp(k->name, "work") != 0 ||
		    gone(st))
			continue;
		w[n].id = in->r[i].id;
		w[n].state = st;
		w[n].province = get_str(st, "province");
		w[n].sector = get_str(st, "sector");
		w[n].crop = get_str(st, "name");
		if (w[n].province && w[n].sector &&
		    matches_filters(p, w[n].province, w[n].sector))
			n++;
	}
	for (size_t i = 0; i < in->nr && n; i++) {
		const cJSON *st = in->r[i].state;
		const proto_kind_def *k = proto_state_kind(st);
		const char *wid;
		long day;
		proto_stamp stamp;
		if (!k || strcmp(k->name, "work_progress") != 0 ||
		    gone(st))
			continue;
		wid = get_str(st, "work");
		if (!wid || get_date(st, "date", &day) != 0 ||
		    day > p->period.to || !proto_state_get(st, "date", &stamp))
			continue;
		for (size_t j = 0; j < n; j++) {
			model_row *m = &w[j];
			if (strcmp(m->id, wid) != 0)
				continue;
			m->observations++;
			if (!m->latest || day > m->latest_day ||
			    (day == m->latest_day &&
			     (proto_stamp_cmp(&stamp, &m->latest_stamp) > 0 ||
			      (proto_stamp_cmp(&stamp, &m->latest_stamp) == 0 &&
			       strcmp(in->r[i].id, m->latest_id) > 0)))) {
				m->latest = st;
				m->latest_day = day;
				m->latest_stamp = stamp;
				m->latest_id = in->r[i].id;
			}
			break;
		}
	}
	qsort(w, n, sizeof *w, cmp_model);
	arr = b_arr(b, doc, "works");
	for (size_t j = 0; arr && j < n; j++) {
		const model_row *m = &w[j];
		long long bu = get_whole(m->state, "budget");
		o = b_obj(b, arr, NULL);
		b_str(b, o, "id", m->id);
		b_str(b, o, "province", m->province);
		b_str(b, o, "name", m->crop);
		b_str(b, o, "sector", m->sector);
		b_str(b, o, "site", get_str(m->state, "site"));
		b_field_num(b, o, m->state, "budget");
		budget += bu > 0 ? bu : 0;
		if (m->latest) {
			long long d = get_whole(m->latest, "disbursed");
			b_field_num(b, o, m->latest, "disbursed");
			b_field_num(b, o, m->latest, "built_pct");
			b_str(b, o, "status", get_str(m->latest, "status"));
			b_date(b, o, "last_observation", m->latest_day);
			b_str(b, o, "notes", get_str(m->latest, "notes"));
			disbursed += d > 0 ? d : 0;
		} else {
			b_null(b, o, "disbursed");
			b_null(b, o, "built_pct");
			b_null(b, o, "status");
			b_null(b, o, "last_observation");
			b_null(b, o, "notes");
		}
		b_num(b, o, "observations", (double)m->observations);
	}
	o = b_obj(b, doc, "works_totals");
	b_num(b, o, "works", (double)n);
	b_num(b, o, "budget", (double)budget);
	b_num(b, o, "disbursed", (double)disbursed);
	free(w);
}

int srv_report_build(const srv_report_input *in, const srv_report_params *p,
		     cJSON **out, char *msg, size_t msgsz)
{
	builder b = {0};
	srv_activity *acts = NULL;
	const cJSON **act_state = NULL;
	act_ref *sel = NULL;
	model_row *models = NULL;
	const dev **devs = NULL;
	figures *fprov = NULL, *fsec = NULL, funspec = {0}, ftot = {0};
	size_t nacts = 0, nsel = 0, nmodels = 0, nvisits = 0, ntrips = 0;
	long now_day, as_of, stale_days, unsynced_days;
	long long stale_count = 0, not_synced = 0, targets_met = 0;
	int has_unspec = 0, year;
	cJSON *doc = NULL, *o, *arr, *titems = NULL;
	int rc = -1;

	*out = NULL;
	if (msgsz)
		msg[0] = '\0';
	if (!in || !p || p->period.to < p->period.from) {
		snprintf(msg, msgsz, "report: the period's end is before its "
			 "start");
		return -1;
	}
	if (p->province && !in_list(&proto_provinces, p->province)) {
		snprintf(msg, msgsz, "--province: unknown province \"%.40s\"; "
			 "allowed: %s", p->province,
			 proto_ref_names(&proto_provinces));
		return -1;
	}
	if (p->sector && !in_list(&proto_sectors, p->sector)) {
		snprintf(msg, msgsz, "--sector: unknown sector \"%.40s\"; "
			 "allowed: %s", p->sector,
			 proto_ref_names(&proto_sectors));
		return -1;
	}
	stale_days = p->stale_days > 0 ? p->stale_days : SRV_REPORT_STALE_DAYS;
	unsynced_days = p->unsynced_days > 0 ? p->unsynced_days
					     : SRV_REPORT_UNSYNCED_DAYS;
	/* Floor division: a "now" before 1970 is nonsense but must not
	** round toward the wrong day. */
	now_day = (long)(p->now_ms >= 0 ? p->now_ms / DAY_MS
					: -((-p->now_ms + DAY_MS - 1) / DAY_MS));
	as_of = p->period.to < now_day ? p->period.to : now_day;
	year = year_of(p->period.to);

	acts = calloc(in->nr + 1, sizeof *acts);
	act_state = calloc(in->nr + 1, sizeof *act_state);
	sel = calloc(in->nr + 1, sizeof *sel);
	models = calloc(in->nr + 1, sizeof *models);
	devs = calloc(in->nd + 1, sizeof *devs);
	fprov = calloc(proto_provinces.count, sizeof *fprov);
	fsec = calloc(proto_sectors.count, sizeof *fsec);
	if (!acts || !act_state || !sel || !models || !devs || !fprov || !fsec)
		goto oom;

	/* Pass 1: activities (all of them, for the targets) and models. */
	for (size_t i = 0; i < in->nr; i++) {
		const cJSON *st = in->r[i].state;
		const proto_kind_def *k = proto_state_kind(st);
		if (!k || gone(st))
			continue;
		if (strcmp(k->name, "visit") == 0 ||
		    strcmp(k->name, "trip") == 0) {
			if (read_activity(in->r[i].id, st, k,
					  &acts[nacts]) == 0)
				act_state[nacts++] = st;
		} else if (strcmp(k->name, "scholarship") == 0 ||
			   strcmp(k->name, "work") == 0) {
			/* For the targets only: a batch counts in the
			** calendar year its academic year begins (from 1
			** September), a work on the day it was first
			** recorded. */
			srv_activity *a = &acts[nacts];
			const char *ay = get_str(st, "academic_year");
			memset(a, 0, sizeof *a);
			a->id = in->r[i].id;
			a->province = get_str(st, "province");
			a->sector = get_str(st, "sector");
			a->direction = "out";
			if (k->name[0] == 's') {
				a->kind = SRV_ACT_SCHOLARSHIP;
				a->sector = "education";
				a->awarded = get_whole(st, "awarded");
				a->start = ay && strlen(ay) == 9
					? ymd(atol(ay), 9, 1) : -1;
				if (a->start < 0 || a->awarded < 0)
					a->province = NULL;
			} else {
				a->kind = SRV_ACT_WORK;
				a->budget = get_whole(st, "budget");
				a->start = first_write_day(st);
				if (a->budget < 0)
					a->budget = 0;
			}
			a->end = a->start;
			if (a->province)
				act_state[nacts++] = st;
		} else if (strcmp(k->name, "model") == 0) {
			model_row *m = &models[nmodels];
			memset(m, 0, sizeof *m);
			m->id = in->r[i].id;
			m->state = st;
			m->province = get_str(st, "province");
			m->sector = get_str(st, "sector");
			if (!m->sector)
				m->sector = "agriculture";
			m->crop = get_str(st, "crop");
			if (m->province && matches_filters(p, m->province,
							   m->sector))
				nmodels++;
		}
	}
	/* Pass 2: each model's latest observation on or before `to`. */
	for (size_t i = 0; i < in->nr && nmodels; i++) {
		const cJSON *st = in->r[i].state;
		const proto_kind_def *k = proto_state_kind(st);
		const char *mid;
		long day;
		proto_stamp stamp;
		if (!k || strcmp(k->name, "progress") != 0 ||
		    gone(st))
			continue;
		mid = get_str(st, "model");
		if (!mid || get_date(st, "date", &day) != 0 ||
		    day > p->period.to)
			continue;
		if (!proto_state_get(st, "date", &stamp))
			continue;
		for (size_t j = 0; j < nmodels; j++) {
			model_row *m = &models[j];
			int newer;
			if (strcmp(m->id, mid) != 0)
				continue;
			m->observations++;
			newer = !m->latest || day > m->latest_day ||
				(day == m->latest_day &&
				 (proto_stamp_cmp(&stamp, &m->latest_stamp) > 0 ||
				  (proto_stamp_cmp(&stamp,
						   &m->latest_stamp) == 0 &&
				   strcmp(in->r[i].id, m->latest_id) > 0)));
			if (newer) {
				m->latest = st;
				m->latest_day = day;
				m->latest_stamp = stamp;
				m->latest_id = in->r[i].id;
			}
			break;
		}
	}

	doc = cJSON_CreateObject();
	if (!doc)
		goto oom;
	b_str(&b, doc, "report", "fieldsync HQ report");
	b_num(&b, doc, "version", 1);
	o = b_obj(&b, doc, "period");
	b_str(&b, o, "label", p->period.label);
	b_date(&b, o, "from", p->period.from);
	b_date(&b, o, "to", p->period.to);
	b_num(&b, o, "year", year);
	b_date(&b, doc, "as_of", as_of);
	b_num(&b, doc, "now_ms", (double)p->now_ms);
	o = b_obj(&b, doc, "filters");
	b_str(&b, o, "province", p->province);
	b_str(&b, o, "sector", p->sector);
	o = b_obj(&b, doc, "thresholds");
	b_num(&b, o, "stale_days", (double)stale_days);
	b_num(&b, o, "unsynced_days", (double)unsynced_days);

	/* The activities of the period, through the filters. */
	for (size_t i = 0; i < nacts; i++) {
		const srv_activity *a = &acts[i];
		if ((a->kind != SRV_ACT_VISIT && a->kind != SRV_ACT_TRIP) ||
		    a->start < p->period.from || a->start > p->period.to ||
		    !matches_filters(p, a->province, a->sector))
			continue;
		sel[nsel].a = a;
		sel[nsel++].state = act_state[i];
		for (size_t j = 0; j < proto_provinces.count; j++)
			if (strcmp(proto_provinces.entries[j].name,
				   a->province) == 0)
				figures_add(&fprov[j], a);
		if (!a->sector) {
			figures_add(&funspec, a);
			has_unspec = 1;
		}
		for (size_t j = 0; a->sector && j < proto_sectors.count; j++)
			if (strcmp(proto_sectors.entries[j].name,
				   a->sector) == 0)
				figures_add(&fsec[j], a);
		figures_add(&ftot, a);
	}
	qsort(sel, nsel, sizeof *sel, cmp_act);

	arr = b_arr(&b, doc, "by_province");
	for (size_t j = 0; arr && j < proto_provinces.count; j++) {
		const char *name = proto_provinces.entries[j].name;
		if (p->province && strcmp(p->province, name) != 0)
			continue;
		o = b_obj(&b, arr, NULL);
		b_str(&b, o, "province", name);
		b_figures(&b, o, &fprov[j]);
	}
	arr = b_arr(&b, doc, "by_sector");
	for (size_t j = 0; arr && j < proto_sectors.count; j++) {
		const char *name = proto_sectors.entries[j].name;
		if (p->sector && strcmp(p->sector, name) != 0)
			continue;
		o = b_obj(&b, arr, NULL);
		b_str(&b, o, "sector", name);
		b_figures(&b, o, &fsec[j]);
	}
	if (arr && has_unspec) {
		o = b_obj(&b, arr, NULL);
		b_str(&b, o, "sector", "unspecified");
		b_figures(&b, o, &funspec);
	}
	o = b_obj(&b, doc, "totals");
	b_figures(&b, o, &ftot);

	/* Models. */
	{
		size_t keep = 0;
		for (size_t j = 0; j < nmodels; j++) {
			model_row *m = &models[j];
			long began;
			if (get_date(m->state, "start", &began) != 0)
				began = first_write_day(m->state);
			if (m->latest || began <= p->period.to)
				models[keep++] = *m;
		}
		nmodels = keep;
	}
	qsort(models, nmodels, sizeof *models, cmp_model);
	arr = b_arr(&b, doc, "models");
	for (size_t j = 0; arr && j < nmodels; j++) {
		const model_row *m = &models[j];
		long long planned = 0, sown = 0;
		const cJSON *pv = proto_state_get(m->state, "planned_ha", NULL);
		int stale;
		o = b_obj(&b, arr, NULL);
		b_str(&b, o, "id", m->id);
		b_str(&b, o, "author", author_name(in, proto_state_owner(m->state)));
		b_str(&b, o, "author_device", proto_state_owner(m->state));
		b_str(&b, o, "crop", m->crop);
		b_str(&b, o, "sector", m->sector);
		b_str(&b, o, "province", m->province);
		b_str(&b, o, "district", get_str(m->state, "district"));
		b_str(&b, o, "village", get_str(m->state, "village"));
		b_str(&b, o, "season", get_str(m->state, "season"));
		b_field_num(&b, o, m->state, "planned_ha");
		b_field_num(&b, o, m->state, "planned_households");
		if (!pv || proto_decimal_get(pv, &planned) != 0)
			planned = 0;
		if (m->latest) {
			const cJSON *sv = proto_state_get(m->latest, "sown_ha",
							  NULL);
			if (!sv || proto_decimal_get(sv, &sown) != 0)
				sown = 0;
			b_ha(&b, o, "sown_ha", sown);
			b_field_num(&b, o, m->latest, "households");
			if (planned > 0)
				/* tenths of a percent, rounded half up */
				b_num(&b, o, "percent",
				      (double)((sown * 1000 + planned / 2) /
					       planned) / 10.0);
			else
				b_null(&b, o, "percent");
			b_date(&b, o, "last_observation", m->latest_day);
			b_num(&b, o, "days_since",
			      (double)(as_of - m->latest_day));
			stale = as_of - m->latest_day > stale_days;
		} else {
			b_null(&b, o, "sown_ha");
			b_null(&b, o, "households");
			b_null(&b, o, "percent");
			b_null(&b, o, "last_observation");
			b_null(&b, o, "days_since");
			stale = 1;
		}
		b_num(&b, o, "observations", (double)m->observations);
		b_bool(&b, o, "stale", stale);
		stale_count += stale;
	}

	education_section(&b, doc, in, p, year);
	works_section(&b, doc, in, p);

	/* Dated lists. */
	arr = b_arr(&b, doc, "visits");
	for (size_t j = 0; arr && j < nsel; j++) {
		const srv_activity *a = sel[j].a;
		const cJSON *st = sel[j].state;
		if (a->kind != SRV_ACT_VISIT)
			continue;
		nvisits++;
		o = b_obj(&b, arr, NULL);
		b_str(&b, o, "id", a->id);
		b_date(&b, o, "start", a->start);
		if (get_str(st, "end"))
			b_date(&b, o, "end", a->end);
		else
			b_null(&b, o, "end");
		b_str(&b, o, "direction", a->direction);
		b_str(&b, o, "province", a->province);
		b_str(&b, o, "sector", a->sector);
		b_str(&b, o, "leader", get_str(st, "leader"));
		b_str(&b, o, "author", author_name(in, proto_state_owner(st)));
		b_str(&b, o, "author_device", proto_state_owner(st));
		b_str(&b, o, "title", a->title);
		b_num(&b, o, "members", (double)a->members);
		b_str(&b, o, "host", get_str(st, "host"));
		b_str(&b, o, "purpose", get_str(st, "purpose"));
		b_str(&b, o, "outcome", get_str(st, "outcome"));
		/* The targets file says what is high-level: when it has a
		** mistake nobody knows, which null says (not false). */
		if (p->targets_error)
			b_null(&b, o, "high_level");
		else
			b_bool(&b, o, "high_level",
			       srv_targets_high_level(p->targets, a));
	}
	arr = b_arr(&b, doc, "trips");
	for (size_t j = 0; arr && j < nsel; j++) {
		const srv_activity *a = sel[j].a;
		const cJSON *st = sel[j].state;
		if (a->kind != SRV_ACT_TRIP)
			continue;
		ntrips++;
		o = b_obj(&b, arr, NULL);
		b_str(&b, o, "id", a->id);
		b_date(&b, o, "start", a->start);
		if (get_str(st, "end"))
			b_date(&b, o, "end", a->end);
		else
			b_null(&b, o, "end");
		b_num(&b, o, "days", (double)(a->end - a->start + 1));
		b_str(&b, o, "province", a->province);
		b_str(&b, o, "sector", a->sector);
		b_str(&b, o, "specialty", get_str(st, "specialty"));
		b_str(&b, o, "expert", get_str(st, "expert"));
		b_str(&b, o, "author", author_name(in, proto_state_owner(st)));
		b_str(&b, o, "author_device", proto_state_owner(st));
		b_num(&b, o, "experts", (double)a->experts);
		b_num(&b, o, "expert_days", (double)a->expert_days);
		b_str(&b, o, "department", get_str(st, "department"));
		b_str(&b, o, "site", get_str(st, "site"));
		b_field_num(&b, o, st, "trainings");
		b_field_num(&b, o, st, "trained");
		b_field_num(&b, o, st, "patients");
		b_str(&b, o, "outcome", get_str(st, "outcome"));
	}

	/* Targets, over every activity (not the filtered ones). */
	o = b_obj(&b, doc, "targets");
	b_num(&b, o, "year", year);
	if (p->targets_error)
		b_str(&b, o, "error", p->targets_error);
	if (o && srv_targets_eval(p->targets_error ? NULL : p->targets, acts,
				  nacts, year, p->period.to, as_of,
				  &titems) != 0)
		goto oom;
	if (o) {
		for (const cJSON *t = titems->child; t; t = t->next)
			targets_met += cJSON_IsTrue(
				cJSON_GetObjectItemCaseSensitive(t, "met"));
		cJSON_AddItemToObject(o, "items", titems);
		titems = NULL;
	}

	/* Devices. */
	for (size_t j = 0; j < in->nd; j++)
		devs[j] = &in->d[j];
	qsort(devs, in->nd, sizeof *devs, cmp_dev);
	arr = b_arr(&b, doc, "devices");
	for (size_t j = 0; arr && j < in->nd; j++) {
		const dev *d = devs[j];
		int ns = !d->revoked && cmp_str(d->role, "hq") != 0 &&
			 (d->last <= 0 ||
			  p->now_ms - d->last > unsynced_days * DAY_MS);
		o = b_obj(&b, arr, NULL);
		b_str(&b, o, "id", d->id);
		b_str(&b, o, "name", d->name);
		b_str(&b, o, "role", d->role);
		if (d->last > 0) {
			b_num(&b, o, "last_sync_ms", (double)d->last);
			b_date(&b, o, "last_sync", (long)(d->last / DAY_MS));
			b_num(&b, o, "days_since",
			      (double)((p->now_ms - d->last) / DAY_MS));
		} else {
			b_null(&b, o, "last_sync_ms");
			b_null(&b, o, "last_sync");
			b_null(&b, o, "days_since");
		}
		b_bool(&b, o, "revoked", d->revoked);
		b_bool(&b, o, "not_synced", ns);
		b_str(&b, o, "flags", d->flags ? d->flags : "");
		not_synced += ns;
	}

	o = b_obj(&b, doc, "summary");
	b_num(&b, o, "visits", (double)nvisits);
	b_num(&b, o, "trips", (double)ntrips);
	b_num(&b, o, "models", (double)nmodels);
	b_num(&b, o, "models_stale", (double)stale_count);
	if (p->targets_error) {
		/* Unknown, not zero: "0 of 0 targets met" would read as a
		** year without targets. */
		b_null(&b, o, "targets");
		b_null(&b, o, "targets_met");
	} else {
		b_num(&b, o, "targets",
		      (double)srv_targets_count(p->targets));
		b_num(&b, o, "targets_met", (double)targets_met);
	}
	b_num(&b, o, "devices", (double)in->nd);
	b_num(&b, o, "devices_not_synced", (double)not_synced);
	b_num(&b, o, "open_conflicts", (double)p->open_conflicts);
	if (b.oom)
		goto oom;
	*out = doc;
	doc = NULL;
	rc = 0;
	goto done;
oom:
	snprintf(msg, msgsz, "report: out of memory");
done:
	cJSON_Delete(doc);
	cJSON_Delete(titems);
	free(acts);
	free(act_state);
	free(sel);
	free(models);
	free(devs);
	free(fprov);
	free(fsec);
	return rc;
}

/* ---- rendering ---------------------------------------------------------- */

typedef srv_textbuf buf;

static void put_spaces(buf *b, size_t n)
{
	static const char sp[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
		srv_textbuf_put(b, sp, k);
		n -= k;
	}
}

/* Decode one UTF-8 code point at s (n bytes left); returns its length and
** the code point in *cp, or 1 and 0xFFFD for a bad byte. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], need, v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
	if (!need || c > 0xF4 || need >= n) {
		*cp = 0xFFFD;
		return 1;
	}
	v = c & (0x3Fu >> need);
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	*cp = v;
	return need + 1;
}

static int cp_width(unsigned c)
{
	/* Zero width: combining marks of the scripts fieldsync meets (Lao
	** vowel signs above/below and tone marks, Thai likewise, combining
	** diacritics a Vietnamese keyboard may send decomposed), joiners. */
	if ((c >= 0x0300 && c <= 0x036F) || c == 0x0E31 ||
	    (c >= 0x0E34 && c <= 0x0E3A) || (c >= 0x0E47 && c <= 0x0E4E) ||
	    c == 0x0EB1 || (c >= 0x0EB4 && c <= 0x0EBC) ||
	    (c >= 0x0EC8 && c <= 0x0ECE) || (c >= 0x1AB0 && c <= 0x1AFF) ||
	    (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x200B && c <= 0x200F) ||
	    (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
	    (c >= 0xFE20 && c <= 0xFE2F) || c == 0xFEFF)
		return 0;
	/* Two columns: East Asian wide and fullwidth forms. */
	if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF &&
					     c != 0x303F) ||
	    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
	    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
	    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
	    (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD))
		return 2;
	return 1;
}

size_t srv_display_width(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t w = 0, i = 0;

	while (i < len) {
		unsigned cp;
		i += utf8_next(u + i, len - i, &cp);
		w += (size_t)cp_width(cp);
	}
	return w;
}

/* How a column's cell is shown beyond its JSON value (cell_value): a
** reference name in the reader's language, a record or device named as a
** person reads it, a conflict's value of any JSON type as text. */
enum {
	V_RAW,          /* the value as it is */
	V_REF,          /* a name of the column's reference list */
	V_DIRECTION,    /* "in"/"out" as the DOCX writes them */
	V_STATUS,       /* a target's status */
	V_MODEL,        /* an observation's model: "crop — province" */
	V_WHAT,         /* a conflict's record by what it is, else its id */
	V_VALUE,        /* a conflict's value: objects and arrays as JSON */
	V_DEVICE        /* a device id: that device's name, else the id */
};

/* A column of a rendered section: the document member it shows ("a.b" for
** a nested one), its header (English: the CSV's and the table's, and the
** msgid of the translated workbook unless tr names a clearer one where the
** English word is ambiguous), whether it is numeric (right-aligned; 2 =
** money), and how its cells are shown. */
typedef struct col {
	const char *key;
	const char *head;
	int num;
	int show;
	const proto_ref_list *ref;  /* V_REF */
	const char *tr;
} col;

typedef struct section {
	const char *key;        /* array member of the document */
	const char *title;
	const col *cols;
	size_t ncols;
	const char *only;       /* show only rows where this member is true */
	const char *total;      /* object member appended as a "Total" row */
} section;

#define NC(a) (sizeof(a) / sizeof((a)[0]))

/* The table's line above a broken targets file's message (English, as the
** whole table is). */
#define TARGETS_ERROR_LEAD \
	"The targets file has a mistake, so no target is evaluated " \
	"(every other section is complete):"

/* The headers are msgids (N_): the workbook writes them in the report's
** language (srv_report_table_json with a language). */
#define FIGURE_COLS \
	{"visits_out", N_("Visits out"), 1, 0, NULL, NULL}, \
	{"members_out", N_("Members out"), 1, 0, NULL, NULL}, \
	{"visits_in", N_("Visits in"), 1, 0, NULL, NULL}, \
	{"members_in", N_("Members in"), 1, 0, NULL, NULL}, \
	{"trips", N_("Trips"), 1, 0, NULL, NULL}, \
	{"expert_days", N_("Expert-days"), 1, 0, NULL, NULL}, \
	{"trainings", N_("Trainings"), 1, 0, NULL, NULL}, \
	{"trained", N_("Trained"), 1, 0, NULL, NULL}, \
	{"patients", N_("Patients"), 1, 0, NULL, NULL}

static const col prov_cols[] = {
	{"province", N_("Province"), 0, V_REF, &proto_provinces, NULL},
	FIGURE_COLS};
static const col sect_cols[] = {
	{"sector", N_("Sector"), 0, V_REF, &proto_sectors, NULL},
	FIGURE_COLS};
static const col model_cols[] = {
	{"crop", N_("Crop"), 0, 0, NULL, NULL},
	{"province", N_("Province"), 0, V_REF, &proto_provinces, NULL},
	{"district", N_("District"), 0, 0, NULL, NULL},
	{"village", N_("Village"), 0, 0, NULL, NULL},
	{"planned_ha", N_("Planned ha"), 1, 0, NULL, NULL},
	{"sown_ha", N_("Sown ha"), 1, 0, NULL, NULL},
	{"percent", N_("Done %"), 1, 0, NULL, NULL},
	/* TRANSLATORS: a column: the households a model planned. */
	{"planned_households", "Planned hh", 1, 0, NULL,
	 N_("Planned households")},
	{"households", N_("Households"), 1, 0, NULL, NULL},
	{"last_observation", N_("Last observation"), 0, 0, NULL, NULL},
	/* TRANSLATORS: a column: "yes" when a model has had no observation
	** for too long. */
	{"stale", N_("Stale"), 0, 0, NULL, NULL},
	/* TRANSLATORS: a column: the name of the device that recorded the
	** entry. */
	{"author", N_("Author"), 0, 0, NULL, NULL}};
static const col obs_cols[] = {
	{"crop", "Model", 0, V_MODEL, NULL, N_("Model (crop — province)")},
	{"date", N_("Date"), 0, 0, NULL, NULL},
	{"sown_ha", N_("Sown ha"), 1, 0, NULL, NULL},
	{"households", N_("Households"), 1, 0, NULL, NULL},
	{"notes", N_("Notes"), 0, 0, NULL, NULL},
	{"author", N_("Author"), 0, 0, NULL, NULL}};
static const col visit_cols[] = {
	/* TRANSLATORS: a column: the first day of a visit or trip. */
	{"start", N_("Start"), 0, 0, NULL, NULL},
	/* TRANSLATORS: a column: the last day of a visit or trip. */
	{"end", N_("End"), 0, 0, NULL, NULL},
	{"direction", N_("Direction"), 0, V_DIRECTION, NULL, NULL},
	{"province", N_("Province"), 0, V_REF, &proto_provinces, NULL},
	{"sector", N_("Sector"), 0, V_REF, &proto_sectors, NULL},
	{"leader", "Leader", 0, 0, NULL, N_("Delegation leader")},
	{"title", "Title", 0, 0, NULL, N_("Leader's title")},
	{"members", N_("Members"), 1, 0, NULL, NULL},
	/* TRANSLATORS: a column: who received the delegation. */
	{"host", N_("Host"), 0, 0, NULL, NULL},
	{"author", N_("Author"), 0, 0, NULL, NULL}};
static const col trip_cols[] = {
	{"start", N_("Start"), 0, 0, NULL, NULL},
	{"end", N_("End"), 0, 0, NULL, NULL},
	{"province", N_("Province"), 0, V_REF, &proto_provinces, NULL},
	{"sector", N_("Sector"), 0, V_REF, &proto_sectors, NULL},
	{"specialty", N_("Specialty"), 0, V_REF, &proto_specialties, NULL},
	{"expert", N_("Expert"), 0, 0, NULL, NULL},
	{"site", N_("Site"), 0, 0, NULL, NULL},
	/* TRANSLATORS: a column: how many experts went on a trip. */
	{"experts", "Experts", 1, 0, NULL, N_("Number of experts")},
	{"expert_days", N_("Expert-days"), 1, 0, NULL, NULL},
	{"trainings", N_("Trainings"), 1, 0, NULL, NULL},
	{"trained", N_("Trained"), 1, 0, NULL, NULL},
	{"patients", N_("Patients"), 1, 0, NULL, NULL},
	{"author", N_("Author"), 0, 0, NULL, NULL}};
static const col target_cols[] = {
	/* TRANSLATORS: a column: a target's short name in the targets file
	** (health-staff-trained). */
	{"name", "Target", 0, 0, NULL, N_("Target code")},
	{"window.from", N_("From"), 0, 0, NULL, NULL},
	{"window.to", N_("To"), 0, 0, NULL, NULL},
	{"expected", N_("Expected"), 1, 0, NULL, NULL},
	{"actual", N_("Actual"), 1, 0, NULL, NULL},
	{"status", N_("Status"), 0, V_STATUS, NULL, NULL},
	{"label", N_("Description"), 0, 0, NULL, NULL}};
/* num 2: an amount of money, "15,000,000,000 VND" in the table; in CSV
** plain digits under "HEAD VND". */
static const col edu_cols[] = {
	{"academic_year", N_("Academic year"), 0, 0, NULL, NULL},
	{"province", N_("Province"), 0, V_REF, &proto_provinces, NULL},
	/* TRANSLATORS: a column: scholarships awarded. */
	{"awarded", N_("Awarded"), 1, 0, NULL, NULL},
	/* TRANSLATORS: a column: scholarship students enrolled. */
	{"enrolled", N_("Enrolled"), 1, 0, NULL, NULL},
	{"rate", N_("Enrolled %"), 1, 0, NULL, NULL}};
static const col work_cols[] = {
	{"province", N_("Province"), 0, V_REF, &proto_provinces, NULL},
	{"name", N_("Work"), 0, 0, NULL, NULL},
	{"sector", N_("Sector"), 0, V_REF, &proto_work_sectors, NULL},
	{"budget", N_("Budget"), 2, 0, NULL, NULL},
	{"disbursed", N_("Disbursed"), 2, 0, NULL, NULL},
	{"built_pct", N_("Built %"), 1, 0, NULL, NULL},
	{"status", N_("Status"), 0, V_REF, &proto_work_statuses, NULL},
	{"last_observation", N_("Last observation"), 0, 0, NULL, NULL},
	/* TRANSLATORS: a column: the notes of the latest observation. */
	{"notes", N_("Latest notes"), 0, 0, NULL, NULL}};
static const col conflict_cols[] = {
	{"what", N_("Record"), 0, V_WHAT, NULL, NULL},
	{"field", N_("Field"), 0, 0, NULL, NULL},
	{"winner_value", N_("Value kept"), 0, V_VALUE, NULL, NULL},
	/* TRANSLATORS: a column: the device whose value a conflict kept. */
	{"winner_device", N_("Device kept"), 0, V_DEVICE, NULL, NULL},
	{"loser_value", N_("Other value"), 0, V_VALUE, NULL, NULL},
	/* TRANSLATORS: a column: the device whose value a conflict set
	** aside. */
	{"loser_device", N_("Other device"), 0, V_DEVICE, NULL, NULL}};
static const col device_cols[] = {
	{"name", N_("Device"), 0, 0, NULL, NULL},
	{"role", N_("Role"), 0, 0, NULL, NULL},
	{"id", N_("Id"), 0, 0, NULL, NULL},
	{"last_sync", N_("Last sync"), 0, 0, NULL, NULL},
	{"days_since", N_("Days"), 1, 0, NULL, NULL}};

static const section sections[] = {
	{"by_province", "By province", prov_cols, NC(prov_cols), NULL,
	 "totals"},
	{"by_sector", "By sector", sect_cols, NC(sect_cols), NULL, "totals"},
	{"models", "Demonstration models", model_cols, NC(model_cols), NULL,
	 NULL},
	{"observations", "Progress observations", obs_cols, NC(obs_cols),
	 NULL, NULL},
	{"education", "Education: scholarships", edu_cols, NC(edu_cols),
	 NULL, "education_totals"},
	{"works", "Friendship works", work_cols, NC(work_cols), NULL,
	 "works_totals"},
	{"visits", "Delegation visits", visit_cols, NC(visit_cols), NULL,
	 NULL},
	{"trips", "Expert trips", trip_cols, NC(trip_cols), NULL, NULL},
	{"targets.items", "Targets", target_cols, NC(target_cols), NULL,
	 NULL},
	{"conflicts", "Open conflicts", conflict_cols, NC(conflict_cols),
	 NULL, NULL},
	{"devices", "Devices not synced", device_cols, NC(device_cols),
	 "not_synced", NULL},
};

/* The summary's items: the document member and its label (a msgid). */
static const col sum_items[] = {
	{"period.label", N_("Period"), 0, 0, NULL, NULL},
	{"period.from", N_("From"), 0, 0, NULL, NULL},
	{"period.to", N_("To"), 0, 0, NULL, NULL},
	/* TRANSLATORS: the day a report's figures are counted up to. */
	{"as_of", N_("As of"), 0, 0, NULL, NULL},
	{"filters.province", N_("Province filter"), 0, V_REF,
	 &proto_provinces, NULL},
	{"filters.sector", N_("Sector filter"), 0, V_REF, &proto_sectors,
	 NULL},
	{"summary.visits", N_("Delegation visits"), 1, 0, NULL, NULL},
	{"summary.trips", N_("Expert trips"), 1, 0, NULL, NULL},
	{"summary.models", N_("Demonstration models"), 1, 0, NULL, NULL},
	{"summary.models_stale", "Models stale", 1, 0, NULL, NULL},
	{"summary.targets_met", N_("Targets met"), 1, 0, NULL, NULL},
	{"summary.targets", N_("Targets"), 1, 0, NULL, NULL},
	{"summary.devices_not_synced", "Devices not synced", 1, 0, NULL,
	 NULL},
	{"summary.open_conflicts", N_("Open conflicts"), 1, 0, NULL, NULL},
	{"education_totals.awarded", N_("Scholarships awarded"), 1, 0, NULL,
	 NULL},
	{"education_totals.enrolled", N_("Students enrolled"), 1, 0, NULL,
	 NULL},
	{"education_totals.rate", N_("Enrolled %"), 1, 0, NULL, NULL},
	{"works_totals.works", N_("Friendship works"), 1, 0, NULL, NULL},
	{"works_totals.budget", N_("Friendship works budget"), 2, 0, NULL,
	 NULL},
	{"works_totals.disbursed", N_("Friendship works disbursed"), 2, 0,
	 NULL, NULL},
};

/* A member by "a" or "a.b" path; NULL if absent. */
static const cJSON *member(const cJSON *o, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];

	if (!dot)
		return cJSON_GetObjectItemCaseSensitive(o, path);
	if ((size_t)(dot - path) >= sizeof head)
		return NULL;
	memcpy(head, path, (size_t)(dot - path));
	head[dot - path] = '\0';
	return member(cJSON_GetObjectItemCaseSensitive(o, head), dot + 1);
}

/* A cell's text; empty for null/absent (the table shows "-"). Numbers go
** through proto_value_format: integers plain, decimals shortest ("3.8"). */
static const char *cell_text(const cJSON *v, char *tmp, size_t tmpsz)
{
	if (!v || cJSON_IsNull(v))
		return "";
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "yes" : "no";
	if (cJSON_IsString(v))
		return v->valuestring;
	return proto_value_format(v, tmp, tmpsz);
}

/* msgid in lang; itself without a language (the CSV and the table are
** English). */
static const char *tr(const char *lang, const char *msgid)
	__attribute__((format_arg(2)));
static const char *tr(const char *lang, const char *msgid)
{
	return lang ? srv_rtr(lang, msgid) : msgid;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = member(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The name of device id among the document's devices, else id. */
static const char *device_name(const cJSON *doc, const char *id)
{
	const cJSON *devs = member(doc, "devices");

	for (const cJSON *d = devs ? devs->child : NULL; id && d; d = d->next) {
		const char *i = str_of(d, "id"), *n = str_of(d, "name");
		if (i && n && *n && strcmp(i, id) == 0)
			return n;
	}
	return id;
}

/* The value of column c in row as a new cJSON (null when absent; NULL
** when out of memory): the document's value, or what c->show makes of it.
** Without lang (CSV, the table) reference names stay canonical and
** booleans booleans; with lang they are written in it, as the DOCX writes
** them. */
static cJSON *cell_value(const cJSON *doc, const cJSON *row, const col *c,
			 const char *lang)
{
	const cJSON *v = member(row, c->key);
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	char tmp[600];

	switch (c->show) {
	case V_MODEL: {
		const char *crop = str_of(row, "crop");
		snprintf(tmp, sizeof tmp, "%s — %s", crop ? crop : "-",
			 srv_report_ref(lang, &proto_provinces,
					str_of(row, "province")));
		return cJSON_CreateString(tmp);
	}
	case V_WHAT:
		s = s && *s ? s : str_of(row, "record");
		return s ? cJSON_CreateString(s) : cJSON_CreateNull();
	case V_VALUE:
		if (cJSON_IsObject(v) || cJSON_IsArray(v) || cJSON_IsBool(v)) {
			char *j = cJSON_PrintUnformatted(v);
			cJSON *o = j ? cJSON_CreateString(j) : NULL;
			free(j);
			return o;
		}
		break;
	case V_DEVICE:
		if (s)
			return cJSON_CreateString(device_name(doc, s));
		break;
	default:
		break;
	}
	if (!lang)
		return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
	if (cJSON_IsBool(v))
		return cJSON_CreateString(cJSON_IsTrue(v) ? srv_rtr(lang, N_("yes"))
					  : srv_rtr(lang, N_("no")));
	if (s && c->show == V_REF)
		return cJSON_CreateString(srv_report_ref(lang, c->ref, s));
	if (s && c->show == V_DIRECTION)
		return cJSON_CreateString(strcmp(s, "in") == 0
			? srv_rtr(lang, N_("inbound")) : strcmp(s, "out") == 0
			? srv_rtr(lang, N_("outbound")) : s);
	if (s && c->show == V_STATUS)
		return cJSON_CreateString(strcmp(s, "met") == 0
			? srv_rtr(lang, N_("met")) : strcmp(s, "missed") == 0
			? srv_rtr(lang, N_("missed")) : strcmp(s, "pending") == 0
			? srv_rtr(lang, N_("pending")) : s);
	return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
}

/* The header of column c: English without lang, else its msgid (tr when
** it has one) in lang. */
static const char *col_head(const col *c, const char *lang)
{
	return lang ? srv_rtr(lang, c->tr ? c->tr : c->head) : c->head;
}

/* The label of summary item i in lang (English without): the thresholds
** in the words of the two that have one; with vnd, money items end in
** " VND" (CSV and the workbook keep plain digits). h holds the text when
** it is made; returns the label. */
static const char *summary_head(const cJSON *doc, size_t i, const char *lang,
				int vnd, char *h, size_t hsz)
{
	const char *key = sum_items[i].key;
	const cJSON *d;

	if (strcmp(key, "summary.models_stale") == 0) {
		d = member(doc, "thresholds.stale_days");
		snprintf(h, hsz, tr(lang, N_("Models stale (no observation for "
					    "more than %d days)")),
			 cJSON_IsNumber(d) ? d->valueint : 30);
		return h;
	}
	if (strcmp(key, "summary.devices_not_synced") == 0) {
		d = member(doc, "thresholds.unsynced_days");
		snprintf(h, hsz, tr(lang, N_("Devices not synced for more "
					    "than %d days")),
			 cJSON_IsNumber(d) ? d->valueint : 14);
		return h;
	}
	if (sum_items[i].num == 2 && vnd) {
		snprintf(h, hsz, "%.120s VND", tr(lang, sum_items[i].head));
		return h;
	}
	return tr(lang, sum_items[i].head);
}

/* The rows of a section as a grid of strings (header row first). */
typedef struct grid {
	char **cell;           /* rows x cols, malloc'd strings */
	unsigned char *text;   /* rows x cols: 1 = a text value of the
	                       ** document (not a number, date, header) */
	size_t rows, cols;
} grid;

static void grid_free(grid *g)
{
	for (size_t i = 0; g->cell && i < g->rows * g->cols; i++)
		free(g->cell[i]);
	free(g->cell);
	free(g->text);
	memset(g, 0, sizeof *g);
}

/* "60,000,000,000 VND": a whole amount as proto_money_format writes it in
** English (the table's language); with short_form, "60,000,000,000 VND
** (60 billion VND)" from a billion up. Other values as cell_text. */
static const char *money_text(const cJSON *v, int short_form, char *tmp,
			      size_t tmpsz)
{
	char s[64];

	if (!cJSON_IsNumber(v) ||
	    proto_money_format((long long)v->valuedouble, "en", 0, tmp,
			       tmpsz) != 0)
		return cell_text(v, tmp, tmpsz);
	if (short_form && v->valuedouble >= 1e9 &&
	    proto_money_format((long long)v->valuedouble, "en", 1, s,
			       sizeof s) == 0) {
		size_t n = strlen(tmp);
		if ((size_t)snprintf(tmp + n, tmpsz - n, " (%s)", s) >=
		    tmpsz - n)
			tmp[n] = '\0';
	}
	return tmp;
}

/* The rows of section s; with group, money columns as money_text writes
** them (the table; CSV keeps plain digits for spreadsheets, the unit in
** the column's heading: "Budget VND"). */
static int grid_make(const cJSON *doc, const section *s, grid *g, int group)
{
	const cJSON *arr = member(doc, s->key);
	const cJSON *tot = s->total ? member(doc, s->total) : NULL;
	size_t n = 1, r = 0;
	char tmp[64];

	memset(g, 0, sizeof *g);
	for (const cJSON *row = arr ? arr->child : NULL; row; row = row->next)
		n++;
	if (tot)
		n++;
	g->cols = s->ncols;
	g->cell = calloc(n * s->ncols, sizeof *g->cell);
	g->text = calloc(n * s->ncols, 1);
	if (!g->cell || !g->text)
		return -1;
	g->rows = n;
	for (size_t c = 0; c < s->ncols; c++) {
		char h[64];
		snprintf(h, sizeof h, "%s%s", s->cols[c].head,
			 !group && s->cols[c].num == 2 ? " VND" : "");
		if (!(g->cell[c] = strdup(h)))
			return -1;
	}
	r = 1;
	for (const cJSON *row = arr ? arr->child : NULL; row; row = row->next) {
		if (s->only && !cJSON_IsTrue(member(row, s->only)))
			continue;
		for (size_t c = 0; c < s->ncols; c++) {
			cJSON *v = cell_value(doc, row, &s->cols[c], NULL);
			const char *t;
			if (!v)
				return -1;
			t = group && s->cols[c].num == 2
				? money_text(v, 0, tmp, sizeof tmp)
				: cell_text(v, tmp, sizeof tmp);
			g->cell[r * s->ncols + c] = strdup(t);
			g->text[r * s->ncols + c] = cJSON_IsString(v);
			cJSON_Delete(v);
			if (!g->cell[r * s->ncols + c])
				return -1;
		}
		r++;
	}
	if (tot) {
		for (size_t c = 0; c < s->ncols; c++) {
			const cJSON *v = member(tot, s->cols[c].key);
			const char *t = c == 0 ? "Total"
				: group && s->cols[c].num == 2
				? money_text(v, 1, tmp, sizeof tmp)
				: cell_text(v, tmp, sizeof tmp);
			if (!(g->cell[r * s->ncols + c] = strdup(t)))
				return -1;
		}
		r++;
	}
	g->rows = r;
	return 0;
}

/* The summary as (item, value) rows; with group (the table), money as
** money_text writes it, long and short ("60,000,000,000 VND (60 billion
** VND)"), else plain digits under "... VND". */
static int summary_grid(const cJSON *doc, grid *g, int group)
{
	char tmp[64], h[160];

	memset(g, 0, sizeof *g);
	g->cols = 2;
	g->cell = calloc((NC(sum_items) + 1) * 2, sizeof *g->cell);
	g->text = calloc((NC(sum_items) + 1) * 2, 1);
	if (!g->cell || !g->text)
		return -1;
	g->rows = NC(sum_items) + 1;
	if (!(g->cell[0] = strdup("Item")) || !(g->cell[1] = strdup("Value")))
		return -1;
	for (size_t i = 0; i < NC(sum_items); i++) {
		const char *head = summary_head(doc, i, NULL, !group, h,
						sizeof h);
		const cJSON *v = member(doc, sum_items[i].key);
		int money = sum_items[i].num == 2;
		if (!(g->cell[(i + 1) * 2] = strdup(head)) ||
		    !(g->cell[(i + 1) * 2 + 1] = strdup(
			      money && group ? money_text(v, 1, tmp, sizeof tmp)
					     : cell_text(v, tmp, sizeof tmp))))
			return -1;
		g->text[(i + 1) * 2 + 1] = cJSON_IsString(v);
	}
	return 0;
}

/* Table cells on one line: newlines and tabs in free text become spaces. */
static void put_cell_line(buf *b, const char *s)
{
	for (const char *p = s; *p; p++)
		srv_textbuf_put(b, (*p == '\n' || *p == '\t' || *p == '\r') ? " " : p, 1);
}

static void table_section(buf *b, const char *title, const grid *g,
			  const int *num)
{
	size_t *w = calloc(g->cols, sizeof *w);

	if (!w) {
		b->oom = 1;
		return;
	}
	for (size_t r = 0; r < g->rows; r++)
		for (size_t c = 0; c < g->cols; c++) {
			const char *t = g->cell[r * g->cols + c];
			size_t cw = *t ? srv_display_width(t, strlen(t)) : 1;
			if (cw > w[c])
				w[c] = cw;
		}
	srv_textbuf_puts(b, title);
	srv_textbuf_puts(b, "\n");
	for (size_t r = 0; r < g->rows; r++) {
		for (size_t c = 0; c < g->cols; c++) {
			const char *t = g->cell[r * g->cols + c];
			size_t cw;
			if (!*t)
				t = "-";
			cw = srv_display_width(t, strlen(t));
			if (c > 0)
				srv_textbuf_puts(b, "  ");
			if (num[c]) {
				put_spaces(b, w[c] - cw);
				put_cell_line(b, t);
			} else {
				put_cell_line(b, t);
				if (c + 1 < g->cols)
					put_spaces(b, w[c] - cw);
			}
		}
		srv_textbuf_puts(b, "\n");
		if (r == 0) {
			for (size_t c = 0; c < g->cols; c++) {
				if (c > 0)
					srv_textbuf_puts(b, "  ");
				for (size_t k = 0; k < w[c]; k++)
					srv_textbuf_puts(b, "-");
			}
			srv_textbuf_puts(b, "\n");
		}
	}
	if (g->rows == 1)
		srv_textbuf_puts(b, "(none)\n");
	srv_textbuf_puts(b, "\n");
	free(w);
}

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes
** doubled; everything else is written as is, bytes untouched.
** Formula injection (OWASP "CSV Injection"): spreadsheet programs run a
** cell that begins with = + - @, a tab or a CR as a formula, so a text
** value (text = 1) beginning with one of them is written quoted with a '
** in front, which they show as text ('=1+2 shows =1+2). Numbers are never
** text here (text = 0), so -3 stays the number -3. */
static void csv_field(buf *b, const char *s, int text)
{
	int formula = text && *s && strchr("=+-@\t\r", *s);

	if (!formula && !strpbrk(s, ",\"\r\n")) {
		srv_textbuf_puts(b, s);
		return;
	}
	srv_textbuf_puts(b, formula ? "\"'" : "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			srv_textbuf_puts(b, "\"\"");
		else
			srv_textbuf_put(b, p, 1);
	}
	srv_textbuf_puts(b, "\"");
}

static void csv_section(buf *b, const char *title, const grid *g)
{
	csv_field(b, title, 1);
	srv_textbuf_puts(b, "\r\n");
	for (size_t r = 0; r < g->rows; r++) {
		for (size_t c = 0; c < g->cols; c++) {
			if (c > 0)
				srv_textbuf_puts(b, ",");
			csv_field(b, g->cell[r * g->cols + c],
				  g->text[r * g->cols + c]);
		}
		srv_textbuf_puts(b, "\r\n");
	}
	srv_textbuf_puts(b, "\r\n");
}

/* The tables `--format csv --table NAME` writes, one per file, and the
** workbook's sheets, in this order: the CLI's name, the section shown
** (NULL: the summary) and the sheet's name (a msgid; Excel allows 31
** characters and none of []:*?/\ , which the workbook checks). */
static const struct {
	const char *name, *key, *sheet;
} csv_tables[] = {
	{"summary", NULL, N_("Summary")},
	{"provinces", "by_province", N_("By province")},
	{"sectors", "by_sector", N_("By sector")},
	/* TRANSLATORS: a sheet of the workbook: the delegation visits. */
	{"visits", "visits", N_("Visits")},
	{"trips", "trips", N_("Trips")},
	{"models", "models", N_("Models")},
	/* TRANSLATORS: a sheet of the workbook: the models' progress
	** observations. */
	{"observations", "observations", N_("Observations")},
	{"scholarships", "education", N_("Scholarships")},
	/* TRANSLATORS: a sheet of the workbook: the friendship works. */
	{"works", "works", N_("Works")},
	{"targets", "targets.items", N_("Targets")},
	{"conflicts", "conflicts", N_("Conflicts")},
	{"devices", "devices", N_("Devices")},
};

const char *srv_report_tables(void)
{
	return "summary, provinces, sectors, visits, trips, models, "
	       "observations, scholarships, works, targets, conflicts, devices";
}

/* The index of table name in csv_tables, or -1. */
static int table_index(const char *name)
{
	for (size_t i = 0; name && i < NC(csv_tables); i++)
		if (strcmp(csv_tables[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The section of table i; NULL for the summary. */
static const section *table_section_of(int i)
{
	for (size_t k = 0; csv_tables[i].key && k < NC(sections); k++)
		if (strcmp(sections[k].key, csv_tables[i].key) == 0)
			return &sections[k];
	return NULL;
}

int srv_report_table_known(const char *name)
{
	return table_index(name) >= 0;
}

int srv_report_render_csv_table(const cJSON *report, const char *table,
				char **out, size_t *outlen)
{
	buf b = {0};
	grid g = {0};
	const section *s;
	int i, rc;

	*out = NULL;
	if (outlen)
		*outlen = 0;
	if ((i = table_index(table)) < 0)
		return -2;
	if (!cJSON_IsObject(report) ||
	    !cJSON_IsString(member(report, "period.label")))
		return -1;
	s = table_section_of(i);
	rc = s ? grid_make(report, s, &g, 0) : summary_grid(report, &g, 0);
	if (rc != 0)
		b.oom = 1;
	srv_textbuf_puts(&b, "\xEF\xBB\xBF"); /* spreadsheets read it as UTF-8 */
	/* One rectangular table: the header row, then the rows. */
	for (size_t r = 0; !b.oom && r < g.rows; r++) {
		for (size_t c = 0; c < g.cols; c++) {
			if (c > 0)
				srv_textbuf_puts(&b, ",");
			csv_field(&b, g.cell[r * g.cols + c],
				  g.text[r * g.cols + c]);
		}
		srv_textbuf_puts(&b, "\r\n");
	}
	grid_free(&g);
	if (b.oom) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	if (outlen)
		*outlen = b.len;
	return 0;
}

static int add_col(cJSON *cols, const char *head, const char *kind)
{
	cJSON *c = cJSON_CreateObject();

	if (!c || !cJSON_AddStringToObject(c, "head", head) ||
	    !cJSON_AddStringToObject(c, "kind", kind)) {
		cJSON_Delete(c);
		return -1;
	}
	cJSON_AddItemToArray(cols, c);
	return 0;
}

static const char *col_kind(const col *c)
{
	if (c->num == 2)
		return "money";
	if (strcmp(c->key, "percent") == 0 || strcmp(c->key, "rate") == 0 ||
	    strcmp(c->key, "built_pct") == 0)
		return "percent";
	return c->num ? "number" : "text";
}

/* Append to rows a row of the given cells (taken over, also on failure);
** 0, or -1 when one is NULL (out of memory). */
static int add_row(cJSON *rows, cJSON **cells, size_t n)
{
	cJSON *row = cJSON_CreateArray();
	int rc = row ? 0 : -1;

	for (size_t i = 0; i < n; i++) {
		if (!cells[i] || rc) {
			cJSON_Delete(cells[i]);
			rc = -1;
			continue;
		}
		cJSON_AddItemToArray(row, cells[i]);
	}
	if (rc) {
		cJSON_Delete(row);
		return -1;
	}
	cJSON_AddItemToArray(rows, row);
	return 0;
}

/* The summary's typed rows: label, value; its values are of several
** kinds (a count, the enrolment rate, money), so "row_kinds" gives each
** row's. */
static int summary_rows(const cJSON *report, const char *lang, cJSON *t,
			cJSON *cols, cJSON *rows)
{
	cJSON *kinds = cJSON_AddArrayToObject(t, "row_kinds");
	char h[160];

	if (!kinds || add_col(cols, tr(lang, N_("Item")), "text") ||
	    add_col(cols, tr(lang, N_("Value")), "number"))
		return -1;
	for (size_t i = 0; i < NC(sum_items); i++) {
		const col *c = &sum_items[i];
		cJSON *cells[2] = {
			cJSON_CreateString(summary_head(report, i, lang, 1, h,
							sizeof h)),
			cell_value(report, report, c, lang)};
		cJSON *k = cJSON_CreateString(
			c->num == 2 ? "money"
			: strcmp(c->key, "education_totals.rate") == 0
			? "percent" : c->num ? "number" : "text");
		if (!k || add_row(rows, cells, 2)) {
			cJSON_Delete(k);
			return -1;
		}
		cJSON_AddItemToArray(kinds, k);
	}
	return 0;
}

int srv_report_table_json(const cJSON *report, const char *table,
			  const char *lang, cJSON **out)
{
	const section *s;
	const cJSON *arr, *tot;
	cJSON *t = NULL, *cols, *rows;
	cJSON *cells[16];
	size_t n;
	int i;

	*out = NULL;
	if ((i = table_index(table)) < 0)
		return -2;
	s = table_section_of(i);
	if (!(t = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(t, "name", csv_tables[i].name) ||
	    !cJSON_AddStringToObject(t, "sheet",
				     tr(lang, csv_tables[i].sheet)) ||
	    !(cols = cJSON_AddArrayToObject(t, "columns")) ||
	    !(rows = cJSON_AddArrayToObject(t, "rows")))
		goto oom;
	if (!s) {
		if (summary_rows(report, lang, t, cols, rows))
			goto oom;
		*out = t;
		return 0;
	}
	for (size_t c = 0; c < s->ncols; c++)
		if (add_col(cols, col_head(&s->cols[c], lang),
			    col_kind(&s->cols[c])))
			goto oom;
	/* A broken targets file: its message, for the writer to show in
	** place of the rows (there are none). */
	if (strcmp(s->key, "targets.items") == 0 &&
	    cJSON_IsString(member(report, "targets.error")) &&
	    !cJSON_AddStringToObject(t, "error", member(report,
				     "targets.error")->valuestring))
		goto oom;
	/* No section has more columns than cells (trips: 13). */
	n = s->ncols < NC(cells) ? s->ncols : NC(cells);
	arr = member(report, s->key);
	for (const cJSON *r = arr ? arr->child : NULL; r; r = r->next) {
		if (s->only && !cJSON_IsTrue(member(r, s->only)))
			continue;
		for (size_t c = 0; c < n; c++)
			cells[c] = cell_value(report, r, &s->cols[c], lang);
		if (add_row(rows, cells, n))
			goto oom;
	}
	if (s->total && (tot = member(report, s->total))) {
		cells[0] = cJSON_CreateString(tr(lang, N_("Total")));
		for (size_t c = 1; c < n; c++) {
			const cJSON *v = member(tot, s->cols[c].key);
			cells[c] = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
		}
		if (add_row(rows, cells, n))
			goto oom;
	}
	*out = t;
	return 0;
oom:
	cJSON_Delete(t);
	return -1;
}

int srv_report_format_parse(const char *text, srv_report_format *out)
{
	if (!text)
		return -1;
	if (strcmp(text, "table") == 0)
		*out = SRV_REPORT_TABLE;
	else if (strcmp(text, "csv") == 0)
		*out = SRV_REPORT_CSV;
	else if (strcmp(text, "json") == 0)
		*out = SRV_REPORT_JSON;
	else if (strcmp(text, "xlsx") == 0)
		*out = SRV_REPORT_XLSX;
	else
		return -1;
	return 0;
}

int srv_report_render(const cJSON *report, srv_report_format fmt, char **out,
		      size_t *outlen)
{
	buf b = {0};
	grid g = {0};
	const cJSON *period = member(report, "period.label");
	int num[16];

	*out = NULL;
	if (outlen)
		*outlen = 0;
	if (!cJSON_IsObject(report) || !cJSON_IsString(period) ||
	    fmt == SRV_REPORT_XLSX)
		return -1;
	if (fmt == SRV_REPORT_JSON) {
		char *j = cJSON_Print(report);
		if (!j)
			return -1;
		srv_textbuf_puts(&b, j);
		srv_textbuf_puts(&b, "\n");
		free(j);
		goto finish;
	}
	if (fmt == SRV_REPORT_CSV)
		srv_textbuf_puts(&b, "\xEF\xBB\xBF"); /* spreadsheets read it as UTF-8 */
	else {
		const cJSON *from = member(report, "period.from");
		const cJSON *to = member(report, "period.to");
		srv_textbuf_printf(&b, "fieldsync HQ report %s (%s to %s)\n\n",
		     period->valuestring,
		     cJSON_IsString(from) ? from->valuestring : "?",
		     cJSON_IsString(to) ? to->valuestring : "?");
	}
	if (summary_grid(report, &g, fmt == SRV_REPORT_TABLE) != 0)
		b.oom = 1;
	else if (fmt == SRV_REPORT_CSV)
		csv_section(&b, "Summary", &g);
	else {
		num[0] = 0;
		num[1] = 0;
		table_section(&b, "Summary", &g, num);
	}
	grid_free(&g);
	for (size_t i = 0; i < NC(sections) && !b.oom; i++) {
		const section *s = &sections[i];
		char title[128];
		if (grid_make(report, s, &g, fmt == SRV_REPORT_TABLE) != 0) {
			b.oom = 1;
			break;
		}
		snprintf(title, sizeof title, "%s", s->title);
		if (strcmp(s->key, "targets.items") == 0) {
			const cJSON *y = member(report, "targets.year");
			snprintf(title, sizeof title, "Targets %d",
				 cJSON_IsNumber(y) ? y->valueint : 0);
		} else if (s->only) {
			const cJSON *d = member(report,
						"thresholds.unsynced_days");
			snprintf(title, sizeof title, "Devices not synced for "
				 "more than %d days",
				 cJSON_IsNumber(d) ? d->valueint : 14);
		}
		if (strcmp(s->key, "targets.items") == 0 &&
		    cJSON_IsString(member(report, "targets.error"))) {
			/* A broken targets file: this section says so, in
			** place of its (empty) table; the others are whole. */
			const char *e = member(report,
					       "targets.error")->valuestring;
			if (fmt == SRV_REPORT_CSV) {
				csv_field(&b, title, 1);
				srv_textbuf_puts(&b, "\r\n");
				csv_field(&b, "Error", 1);
				srv_textbuf_puts(&b, ",");
				csv_field(&b, e, 1);
				srv_textbuf_puts(&b, "\r\n\r\n");
			} else {
				srv_textbuf_printf(&b, "%s\n%s\n  ", title,
					TARGETS_ERROR_LEAD);
				put_cell_line(&b, e);
				srv_textbuf_puts(&b, "\n\n");
			}
		} else if (fmt == SRV_REPORT_CSV) {
			csv_section(&b, title, &g);
		} else {
			for (size_t c = 0; c < s->ncols && c < NC(num); c++)
				num[c] = s->cols[c].num;
			table_section(&b, title, &g, num);
		}
		grid_free(&g);
	}
	grid_free(&g);
finish:
	if (b.oom) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	if (outlen)
		*outlen = b.len;
	return 0;
}
