/*
** This file contains the unit tests of the record-kind table and validation
** (protocol/records.h): the kinds and their fields, every reference list's
** lookup with aliases, case-insensitivity and Lao script, parsing typed text
** into canonical values and checking values as they travel (each type with
** its bad inputs, refused with a specific code and a message naming the
** field), whole-record checks, and the decimal/value-format helpers.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/records.h"
#include "protocol/soft.h"

#define expect_code(got, want, err) do { \
	proto_code got_ = (got); \
	if (got_ != (want)) \
		fail_msg("%s:%d: got %s (\"%s\"), want %s", __FILE__, \
			 __LINE__, proto_code_name(got_), (err).msg, \
			 proto_code_name(want)); \
} while (0)

#define expect_msg_has(err, s) do { \
	if (!strstr((err).msg, (s))) \
		fail_msg("%s:%d: message \"%s\" does not name \"%s\"", \
			 __FILE__, __LINE__, (err).msg, (s)); \
} while (0)

static const proto_field_def *field(const char *kind, const char *name)
{
	const proto_kind_def *k = proto_kind_find(kind);
	const proto_field_def *f = k ? proto_field_find(k, name) : NULL;
	if (!f)
		fail_msg("no field %s.%s", kind, name);
	return f;
}

/* ---- kinds and fields --------------------------------------------------- */

static void test_kinds(void **state)
{
	static const char *const names[] = {"visit", "trip", "model",
					    "progress", "scholarship", "work",
					    "work_progress"};
	(void)state;
	assert_int_equal(proto_nkinds, 7);
	for (size_t i = 0; i < 7; i++) {
		const proto_kind_def *k = proto_kind_find(names[i]);
		assert_non_null(k);
		assert_string_equal(k->name, names[i]);
		assert_ptr_equal(proto_kind_find(k->plural), k);
		assert_true(k->nfields > 0);
	}
	assert_string_equal(proto_kind_find("visits")->name, "visit");
	assert_true(proto_kind_find("progress")->append_only);
	assert_false(proto_kind_find("model")->append_only);
	assert_true(proto_kind_find("work_progress")->append_only);
	assert_false(proto_kind_find("work")->append_only);
	assert_false(proto_kind_find("scholarship")->append_only);
	assert_string_equal(proto_kind_find("scholarships")->name,
			    "scholarship");
	assert_string_equal(proto_kind_find("works")->name, "work");
	/* A work's observations point to it as progress points to a model:
	** by an id field named after the parent kind. */
	assert_int_equal(field("work_progress", "work")->type, PROTO_T_ID);
	assert_null(proto_kind_find("meeting"));
	assert_null(proto_kind_find("Visit"));
	assert_null(proto_kind_find(""));
	assert_null(proto_kind_find(NULL));
}

static void test_field_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < proto_nkinds; i++) {
		const proto_kind_def *k = &proto_kinds[i];
		int required = 0;
		for (size_t j = 0; j < k->nfields; j++) {
			const proto_field_def *f = &k->fields[j];
			/* Wire names are snake_case ASCII. */
			for (const char *p = f->name; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
					fail_msg("%s.%s: not snake_case",
						 k->name, f->name);
			assert_ptr_equal(proto_field_find(k, f->name), f);
			assert_non_null(f->help);
			if (f->type == PROTO_T_ENUM)
				assert_non_null(f->ref);
			if (f->type == PROTO_T_TEXT)
				assert_true(f->max_len ==
						    PROTO_MAX_NAME_BYTES ||
					    f->max_len == PROTO_MAX_TEXT_BYTES);
			if (f->type == PROTO_T_INT ||
			    f->type == PROTO_T_DECIMAL)
				assert_true(f->min <= f->max);
			required += f->required;
			/* A field name appears once per kind. */
			for (size_t m = 0; m < j; m++)
				assert_string_not_equal(k->fields[m].name,
							f->name);
		}
		assert_true(required > 0);
	}
	assert_int_equal(field("model", "planned_ha")->type, PROTO_T_DECIMAL);
	assert_string_equal(field("model", "planned_ha")->unit, "ha");
	assert_int_equal(field("progress", "model")->type, PROTO_T_ID);
	assert_null(proto_field_find(proto_kind_find("model"), "color"));
	assert_null(proto_field_find(proto_kind_find("model"), NULL));
	assert_null(proto_field_find(NULL, "crop"));
	/* The reserved tombstone field is no record's field. */
	for (size_t i = 0; i < proto_nkinds; i++)
		assert_null(proto_field_find(&proto_kinds[i], "_deleted"));
}

/* ---- reference lists ---------------------------------------------------- */

static void lookup_is(const proto_ref_list *l, const char *text,
		      const char *want)
{
	const char *got = proto_ref_lookup(l, text);
	if (want == NULL ? got != NULL : (!got || strcmp(got, want) != 0))
		fail_msg("%s lookup \"%s\" -> %s, want %s", l->name, text,
			 got ? got : "NULL", want ? want : "NULL");
}

static void test_provinces(void **state)
{
	const proto_ref_list *p = &proto_provinces;

	(void)state;
	assert_int_equal(p->count, 4);
	lookup_is(p, "Attapeu", "Attapeu");
	lookup_is(p, "Attapu", "Attapeu");
	lookup_is(p, "attapu", "Attapeu");
	lookup_is(p, "ATTAPEU", "Attapeu");
	lookup_is(p, "Champassak", "Champasak");
	lookup_is(p, "champasak", "Champasak");
	lookup_is(p, "Salavan", "Salavan");
	lookup_is(p, "saravane", "Salavan");
	lookup_is(p, "SARAVAN", "Salavan");
	lookup_is(p, "Sekong", "Sekong");
	lookup_is(p, "XEKONG", "Sekong");
	lookup_is(p, "Xe Kong", "Sekong");
	lookup_is(p, "xe kong", "Sekong");
	/* Lao script and Vietnamese spellings from DOMAIN.md. */
	lookup_is(p, "ອັດຕະປື", "Attapeu");
	lookup_is(p, "ຈຳປາສັກ", "Champasak");
	lookup_is(p, "ສາລະວັນ", "Salavan");
	lookup_is(p, "ເຊກອງ", "Sekong");
	lookup_is(p, "Ắt-tạ-pư", "Attapeu");
	lookup_is(p, "Chăm-pa-sắc", "Champasak");
	lookup_is(p, "Sa-la-van", "Salavan");
	lookup_is(p, "Xê-kông", "Sekong");
	/* Not provinces of the programme, or not whole names. */
	lookup_is(p, "Vientiane", NULL);
	lookup_is(p, "Gia Lai", NULL);
	lookup_is(p, "Sala", NULL);
	lookup_is(p, "Salavann", NULL);
	lookup_is(p, "ສາລະ", NULL);
	lookup_is(p, "", NULL);
	lookup_is(p, NULL, NULL);
	assert_string_equal(proto_ref_names(p),
			    "Attapeu, Champasak, Salavan, Sekong");
}

static void test_sectors_specialties_directions(void **state)
{
	(void)state;
	assert_int_equal(proto_sectors.count, 13); /* DOMAIN.md: thirteen */
	lookup_is(&proto_sectors, "health", "health");
	lookup_is(&proto_sectors, "HEALTH", "health");
	lookup_is(&proto_sectors, "y tế", "health");
	lookup_is(&proto_sectors, "nông nghiệp", "agriculture");
	lookup_is(&proto_sectors, "Industry and Trade", "industry-trade");
	lookup_is(&proto_sectors, "công thương", "industry-trade");
	lookup_is(&proto_sectors, "friendship works", "friendship-works");
	lookup_is(&proto_sectors, "Foreign Affairs", "foreign-affairs");
	lookup_is(&proto_sectors, "đối ngoại", "foreign-affairs");
	lookup_is(&proto_sectors, "youth exchange", "youth");
	lookup_is(&proto_sectors, "defence and security", "defence-security");
	lookup_is(&proto_sectors, "sports", NULL);
	for (size_t i = 0; i < proto_sectors.count; i++) {
		const char *n = proto_sectors.entries[i].name;
		lookup_is(&proto_sectors, n, n);
		assert_non_null(strstr(proto_ref_names(&proto_sectors), n));
	}

	lookup_is(&proto_specialties, "surgery", "surgery");
	lookup_is(&proto_specialties, "Surgeon", "surgery");
	lookup_is(&proto_specialties, "pediatrics", "paediatrics");
	lookup_is(&proto_specialties, "VET", "veterinary");
	lookup_is(&proto_specialties, "astrology", NULL);
	assert_string_equal(proto_specialty_sector("surgery"), "health");
	assert_string_equal(proto_specialty_sector("crop"), "agriculture");
	assert_null(proto_specialty_sector("astrology"));

	assert_int_equal(proto_directions.count, 2);
	lookup_is(&proto_directions, "out", "out");
	lookup_is(&proto_directions, "Outbound", "out");
	lookup_is(&proto_directions, "INBOUND", "in");
	lookup_is(&proto_directions, "sideways", NULL);
	assert_string_equal(proto_ref_names(&proto_directions), "out, in");
}

/* ---- proto_field_parse: text typed by a person -------------------------- */

static cJSON *parse_ok(const char *kind, const char *name, const char *text)
{
	cJSON *v = NULL;
	proto_err err;
	proto_err_clear(&err);
	expect_code(proto_field_parse(field(kind, name), text, &v, &err),
		    PROTO_OK, err);
	assert_non_null(v);
	return v;
}

static void parse_bad(const char *kind, const char *name, const char *text,
		      proto_code want, const char *msg_has)
{
	cJSON *v = (cJSON *)1;
	proto_err err;
	proto_err_clear(&err);
	expect_code(proto_field_parse(field(kind, name), text, &v, &err), want,
		    err);
	assert_null(v);
	assert_int_equal(err.code, want);
	expect_msg_has(err, msg_has);
}

static void test_parse_text(void **state)
{
	char big[PROTO_MAX_NAME_BYTES + 2];
	cJSON *v;

	(void)state;
	v = parse_ok("model", "crop", "Mô hình ngô nếp");
	assert_string_equal(v->valuestring, "Mô hình ngô nếp");
	cJSON_Delete(v);
	v = parse_ok("model", "village", "ບ້ານໜອງບົວ");
	assert_string_equal(v->valuestring, "ບ້ານໜອງບົວ");
	cJSON_Delete(v);
	v = parse_ok("progress", "notes", "line 1\nline 2\tend");
	assert_string_equal(v->valuestring, "line 1\nline 2\tend");
	cJSON_Delete(v);
	/* Exactly the limit in bytes, then one more. */
	memset(big, 'a', PROTO_MAX_NAME_BYTES);
	big[PROTO_MAX_NAME_BYTES] = '\0';
	cJSON_Delete(parse_ok("model", "crop", big));
	big[PROTO_MAX_NAME_BYTES] = 'a';
	big[PROTO_MAX_NAME_BYTES + 1] = '\0';
	parse_bad("model", "crop", big, PROTO_E_TOO_LONG, "crop");
	parse_bad("model", "crop", "", PROTO_E_VALUE, "crop");
	parse_bad("model", "crop", "Ng\xC3", PROTO_E_UTF8, "crop");
	parse_bad("model", "crop", "a\x01" "b", PROTO_E_VALUE, "crop");
	parse_bad("model", "crop", "a\x7f" "b", PROTO_E_VALUE, "crop");
	parse_bad("model", "crop", NULL, PROTO_E_MISSING, "crop");
}

static void test_parse_enum(void **state)
{
	cJSON *v;

	(void)state;
	v = parse_ok("model", "province", "saravane");
	assert_string_equal(v->valuestring, "Salavan");
	cJSON_Delete(v);
	v = parse_ok("trip", "province", "ອັດຕະປື");
	assert_string_equal(v->valuestring, "Attapeu");
	cJSON_Delete(v);
	v = parse_ok("visit", "direction", "Inbound");
	assert_string_equal(v->valuestring, "in");
	cJSON_Delete(v);
	v = parse_ok("trip", "specialty", "Surgeon");
	assert_string_equal(v->valuestring, "surgery");
	cJSON_Delete(v);
	/* Refusals name the list and give the allowed values. */
	parse_bad("model", "province", "Vientiane", PROTO_E_VALUE, "province");
	parse_bad("model", "province", "Vientiane", PROTO_E_VALUE,
		  "Attapeu, Champasak, Salavan, Sekong");
	parse_bad("visit", "direction", "sideways", PROTO_E_VALUE,
		  "direction");
	parse_bad("visit", "sector", "sports", PROTO_E_VALUE, "sector");
	parse_bad("model", "province", "\xC3\x28", PROTO_E_UTF8, "province");
}

static void test_parse_int(void **state)
{
	cJSON *v;

	(void)state;
	v = parse_ok("model", "planned_households", "42");
	assert_true(cJSON_IsNumber(v) && v->valuedouble == 42);
	cJSON_Delete(v);
	v = parse_ok("model", "planned_households", "0");
	assert_true(v->valuedouble == 0);
	cJSON_Delete(v);
	v = parse_ok("visit", "members", "1000");
	cJSON_Delete(v);
	parse_bad("visit", "members", "1001", PROTO_E_RANGE, "members");
	parse_bad("visit", "members", "0", PROTO_E_RANGE, "members");
	parse_bad("model", "planned_households", "-1", PROTO_E_RANGE,
		  "planned_households");
	parse_bad("model", "planned_households", "100001", PROTO_E_RANGE,
		  "planned_households");
	parse_bad("model", "planned_households", "4.5", PROTO_E_TYPE,
		  "planned_households");
	parse_bad("model", "planned_households", "forty", PROTO_E_TYPE,
		  "planned_households");
	parse_bad("model", "planned_households", "42abc", PROTO_E_TYPE,
		  "planned_households");
	parse_bad("model", "planned_households", "", PROTO_E_TYPE,
		  "planned_households");
	parse_bad("model", "planned_households", " 42", PROTO_E_TYPE,
		  "planned_households");
	parse_bad("model", "planned_households", "99999999999999999999",
		  PROTO_E_TYPE, "planned_households");
}

static void test_parse_decimal(void **state)
{
	cJSON *v;
	long long h = 0;

	(void)state;
	v = parse_ok("model", "planned_ha", "3.8");
	assert_int_equal(proto_decimal_get(v, &h), 0);
	assert_int_equal(h, 380);
	cJSON_Delete(v);
	v = parse_ok("model", "planned_ha", "5");
	assert_int_equal(proto_decimal_get(v, &h), 0);
	assert_int_equal(h, 500);
	cJSON_Delete(v);
	v = parse_ok("progress", "sown_ha", "1.25");
	assert_int_equal(proto_decimal_get(v, &h), 0);
	assert_int_equal(h, 125);
	cJSON_Delete(v);
	v = parse_ok("progress", "sown_ha", "0.29");
	assert_int_equal(proto_decimal_get(v, &h), 0);
	assert_int_equal(h, 29);
	cJSON_Delete(v);
	v = parse_ok("model", "planned_ha", "1000000");
	cJSON_Delete(v);
	parse_bad("model", "planned_ha", "1000000.01", PROTO_E_RANGE,
		  "planned_ha");
	parse_bad("model", "planned_ha", "3.805", PROTO_E_RANGE, "planned_ha");
	parse_bad("model", "planned_ha", "-1", PROTO_E_RANGE, "planned_ha");
	parse_bad("model", "planned_ha", "3,8", PROTO_E_TYPE, "planned_ha");
	parse_bad("model", "planned_ha", "3.", PROTO_E_TYPE, "planned_ha");
	parse_bad("model", "planned_ha", "abc", PROTO_E_TYPE, "planned_ha");
	parse_bad("model", "planned_ha", "", PROTO_E_TYPE, "planned_ha");
	parse_bad("model", "planned_ha", "1e3", PROTO_E_TYPE, "planned_ha");
}

static void test_parse_date_id(void **state)
{
	cJSON *v;

	(void)state;
	v = parse_ok("visit", "start", "2026-04-10");
	assert_string_equal(v->valuestring, "2026-04-10");
	cJSON_Delete(v);
	v = parse_ok("visit", "start", "2028-02-29");
	cJSON_Delete(v);
	parse_bad("visit", "start", "2026-02-29", PROTO_E_DATE, "start");
	parse_bad("visit", "end", "2026-13-01", PROTO_E_DATE, "end");
	parse_bad("visit", "end", "2026-04-31", PROTO_E_DATE, "end");
	parse_bad("progress", "date", "10/04/2026", PROTO_E_DATE, "date");
	v = parse_ok("progress", "model", "a1000000000000000000000000000001");
	assert_string_equal(v->valuestring, "a1000000000000000000000000000001");
	cJSON_Delete(v);
	parse_bad("progress", "model", "A1000000000000000000000000000001",
		  PROTO_E_FORMAT, "model");
	parse_bad("progress", "model", "a100", PROTO_E_FORMAT, "model");
}

/* ---- proto_field_check: values as they travel --------------------------- */

static void check_ok(const char *kind, const char *name, const char *json)
{
	cJSON *v = cJSON_Parse(json);
	proto_err err;
	assert_non_null(v);
	proto_err_clear(&err);
	expect_code(proto_field_check(field(kind, name), v, &err), PROTO_OK,
		    err);
	cJSON_Delete(v);
}

static void check_bad(const char *kind, const char *name, const char *json,
		      proto_code want)
{
	cJSON *v = json ? cJSON_Parse(json) : NULL;
	proto_err err;
	if (json && !v)
		fail_msg("test JSON %s does not parse", json);
	proto_err_clear(&err);
	expect_code(proto_field_check(field(kind, name), v, &err), want, err);
	assert_int_equal(err.code, want);
	expect_msg_has(err, name);
	cJSON_Delete(v);
}

static void test_check_each_type(void **state)
{
	(void)state;
	/* text */
	check_ok("model", "crop", "\"Mô hình ngô nếp\"");
	check_ok("model", "district", "\"ສາລະວັນ\"");
	check_bad("model", "crop", "7", PROTO_E_TYPE);
	check_bad("model", "crop", "null", PROTO_E_TYPE);
	check_bad("model", "crop", "[\"a\"]", PROTO_E_TYPE);
	check_bad("model", "crop", "\"\"", PROTO_E_VALUE);
	check_bad("model", "crop", "\"a\\u0001b\"", PROTO_E_VALUE);
	check_bad("model", "crop", NULL, PROTO_E_MISSING);
	{
		/* 67 Lao letters = 201 bytes, over the 200-byte limit. */
		char s[700] = "\"";
		for (int i = 0; i < 67; i++)
			strcat(s, "ສ");
		strcat(s, "\"");
		check_bad("model", "crop", s, PROTO_E_TOO_LONG);
		s[1 + 66 * 3] = '"';
		s[2 + 66 * 3] = '\0';
		check_ok("model", "crop", s);
	}
	/* enum: canonical names only on the wire */
	check_ok("model", "province", "\"Salavan\"");
	check_bad("model", "province", "\"Saravane\"", PROTO_E_VALUE);
	check_bad("model", "province", "\"salavan\"", PROTO_E_VALUE);
	check_bad("model", "province", "3", PROTO_E_TYPE);
	/* int */
	check_ok("visit", "members", "1");
	check_ok("visit", "members", "1000");
	check_bad("visit", "members", "0", PROTO_E_RANGE);
	check_bad("visit", "members", "1001", PROTO_E_RANGE);
	check_bad("visit", "members", "12.5", PROTO_E_TYPE);
	check_bad("visit", "members", "\"12\"", PROTO_E_TYPE);
	check_bad("visit", "members", "true", PROTO_E_TYPE);
	/* whole but beyond every bound: out of range (SPEC 3.1), not the
	** wrong type, which is for strings, fractions and the like */
	check_bad("visit", "members", "1e300", PROTO_E_RANGE);
	check_bad("visit", "members", "-1e300", PROTO_E_RANGE);
	check_bad("visit", "members", "1.5e0", PROTO_E_TYPE);
	/* decimal */
	check_ok("model", "planned_ha", "3.8");
	check_ok("model", "planned_ha", "0");
	check_ok("model", "planned_ha", "5.25");
	check_ok("model", "planned_ha", "1000000");
	check_bad("model", "planned_ha", "1000000.01", PROTO_E_RANGE);
	check_bad("model", "planned_ha", "-0.01", PROTO_E_RANGE);
	check_bad("model", "planned_ha", "3.805", PROTO_E_RANGE);
	check_bad("model", "planned_ha", "\"3.8\"", PROTO_E_TYPE);
	/* date */
	check_ok("trip", "start", "\"2024-02-29\"");
	check_bad("trip", "start", "\"2026-02-29\"", PROTO_E_DATE);
	check_bad("trip", "start", "\"2026-04-31\"", PROTO_E_DATE);
	check_bad("trip", "start", "\"2026-13-01\"", PROTO_E_DATE);
	check_bad("trip", "start", "20260410", PROTO_E_TYPE);
	/* id */
	check_ok("progress", "model", "\"a1000000000000000000000000000001\"");
	check_bad("progress", "model", "\"a10000000000000000000000000000011\"",
		  PROTO_E_FORMAT);
	check_bad("progress", "model", "true", PROTO_E_TYPE);
}

/* ---- proto_record_check -------------------------------------------------- */

static void record_bad(const char *kind, const char *json, int complete,
		       proto_code want, const char *msg_has)
{
	cJSON *v = cJSON_Parse(json);
	proto_err err;
	assert_non_null(v);
	proto_err_clear(&err);
	expect_code(proto_record_check(proto_kind_find(kind), v, complete,
				       &err), want, err);
	if (msg_has)
		expect_msg_has(err, msg_has);
	cJSON_Delete(v);
}

static void test_record_check(void **state)
{
	const char *model = "{\"crop\":\"Ngô nếp\",\"province\":\"Salavan\","
			    "\"planned_ha\":5,\"planned_households\":42}";
	cJSON *v;
	proto_err err;

	(void)state;
	v = cJSON_Parse(model);
	expect_code(proto_record_check(proto_kind_find("model"), v, 1, &err),
		    PROTO_OK, err);
	cJSON_Delete(v);
	/* Each required field missing in turn. */
	static const char *const req[] = {"crop", "province", "planned_ha",
					  "planned_households"};
	for (size_t i = 0; i < 4; i++) {
		v = cJSON_Parse(model);
		cJSON_DeleteItemFromObjectCaseSensitive(v, req[i]);
		char *t = cJSON_PrintUnformatted(v);
		record_bad("model", t, 1, PROTO_E_MISSING, req[i]);
		/* An edit (complete=0) needs no required field. */
		expect_code(proto_record_check(proto_kind_find("model"), v, 0,
					       &err), PROTO_OK, err);
		free(t);
		cJSON_Delete(v);
	}
	record_bad("model", "{\"planned_ha\":3.8}", 1, PROTO_E_MISSING, "crop");
	record_bad("model", "{\"color\":\"green\"}", 0, PROTO_E_UNKNOWN_FIELD,
		   "color");
	record_bad("model", "{\"planned_ha\":\"x\"}", 0, PROTO_E_TYPE,
		   "planned_ha");
	record_bad("model", "[1]", 0, PROTO_E_TYPE, NULL);
	/* A visit's end may equal its start, never precede it. */
#define VISIT "{\"direction\":\"out\",\"province\":\"Sekong\"," \
	      "\"leader\":\"Nguyễn Thị Hoa\",\"members\":5," \
	      "\"sector\":\"health\",\"start\":\"2026-04-15\"," \
	      "\"end\":\"%s\"}"
	char buf[512];
	snprintf(buf, sizeof buf, VISIT, "2026-04-15");
	v = cJSON_Parse(buf);
	expect_code(proto_record_check(proto_kind_find("visit"), v, 1, &err),
		    PROTO_OK, err);
	cJSON_Delete(v);
	snprintf(buf, sizeof buf, VISIT, "2026-04-14");
	record_bad("visit", buf, 1, PROTO_E_RANGE, "end");
	snprintf(buf, sizeof buf, VISIT, "2025-12-31");
	record_bad("visit", buf, 1, PROTO_E_RANGE, "end");
	record_bad("trip", "{\"start\":\"2026-05-04\",\"end\":\"2026-05-03\"}",
		   0, PROTO_E_RANGE, "end");
}

/* ---- decimal and value helpers ------------------------------------------ */

/* The scholarship and work kinds (issue 13): money is whole đồng up to
** 10^13, a level is one of four, an academic year is YYYY-YYYY+1. */
#define SCHOLAR "{\"province\":\"Attapeu\",\"academic_year\":%s," \
	"\"level\":%s,\"school\":\"Trường Đại học Quy Nhơn\"," \
	"\"awarded\":20,\"enrolled\":17,\"allowance\":%s}"
#define WORK "{\"province\":\"Attapeu\",\"name\":\"Bệnh viện nhỏ " \
	"Văng Tắt\",\"sector\":%s,\"site\":\"Sanxay\",\"budget\":%s}"

static void scholar(const char *year, const char *level, const char *money,
		    proto_code want, const char *msg_has)
{
	char buf[512];
	snprintf(buf, sizeof buf, SCHOLAR, year, level, money);
	record_bad("scholarship", buf, 1, want, msg_has);
}

static void work(const char *sector, const char *money, proto_code want,
		 const char *msg_has)
{
	char buf[512];
	snprintf(buf, sizeof buf, WORK, sector, money);
	record_bad("work", buf, 1, want, msg_has);
}

static void test_scholarship_work(void **state)
{
	cJSON *v;
	proto_err err;
	char buf[64];

	(void)state;
	scholar("\"2026-2027\"", "\"university\"", "1800000", PROTO_OK, NULL);
	scholar("\"2026-2027\"", "\"master\"", "0", PROTO_OK, NULL);
	/* 10^13 is the largest amount; one đồng more is out of range. */
	scholar("\"2026-2027\"", "\"college\"", "10000000000000", PROTO_OK,
		NULL);
	scholar("\"2026-2027\"", "\"college\"", "10000000000001",
		PROTO_E_RANGE, "allowance");
	scholar("\"2026-2027\"", "\"college\"", "1e14", PROTO_E_RANGE,
		"allowance");
	/* Money is whole đồng: a fraction is the wrong type, like every
	** integer (SPEC 3.1); a string too. */
	scholar("\"2026-2027\"", "\"vocational\"", "1800000.5",
		PROTO_E_TYPE, "allowance");
	scholar("\"2026-2027\"", "\"vocational\"", "\"1800000\"",
		PROTO_E_TYPE, "allowance");
	scholar("\"2026-2027\"", "\"vocational\"", "-1", PROTO_E_RANGE,
		"allowance");
	/* A level not in the list, or an alias on the wire. */
	scholar("\"2026-2027\"", "\"doctorate\"", "0", PROTO_E_VALUE,
		"master, university, college, vocational");
	scholar("\"2026-2027\"", "\"đại học\"", "0", PROTO_E_VALUE, "level");
	/* The academic year is YYYY-YYYY, the second year the next. */
	scholar("\"2026-2028\"", "\"master\"", "0", PROTO_E_VALUE,
		"academic_year");
	scholar("\"2026\"", "\"master\"", "0", PROTO_E_VALUE, "YYYY-YYYY");
	scholar("\"2026/2027\"", "\"master\"", "0", PROTO_E_VALUE,
		"academic_year");
	scholar("\"2027-2026\"", "\"master\"", "0", PROTO_E_VALUE,
		"academic_year");
	scholar("\"2026-2027 \"", "\"master\"", "0", PROTO_E_VALUE,
		"academic_year");
	scholar("\"٢٠٢٦-2027\"", "\"master\"", "0", PROTO_E_VALUE,
		"academic_year");
	scholar("2026", "\"master\"", "0", PROTO_E_TYPE, "academic_year");
	/* Enrolled above awarded is a soft warning, never a refusal. */
	record_bad("scholarship", "{\"province\":\"Sekong\","
		   "\"academic_year\":\"2025-2026\",\"level\":\"college\","
		   "\"school\":\"Cao đẳng Y tế Gia Lai\",\"awarded\":12,"
		   "\"enrolled\":13}", 1, PROTO_OK, NULL);
	record_bad("scholarship", "{\"enrolled\":251}", 0, PROTO_OK, NULL);
	{
		/* ... which the soft rules name: one warning when enrolled
		** exceeds awarded, none when they are equal. */
		proto_soft w[4];
		cJSON *r = cJSON_Parse("{\"awarded\":12,\"enrolled\":13}");
		const proto_kind_def *k = proto_kind_find("scholarship");
		assert_int_equal(proto_soft_check(k, r, NULL, NULL, 0, w, 4),
				 1);
		assert_int_equal(w[0].code, PROTO_SOFT_ABOVE_FIELD);
		assert_string_equal(w[0].field, "enrolled");
		assert_string_equal(w[0].other, "awarded");
		assert_string_equal(w[0].value, "13");
		assert_string_equal(w[0].limit, "12");
		assert_string_equal(proto_soft_name(w[0].code), "above_field");
		cJSON_ReplaceItemInObject(r, "enrolled",
					  cJSON_CreateNumber(12));
		assert_int_equal(proto_soft_check(k, r, NULL, NULL, 0, w, 4),
				 0);
		cJSON_Delete(r);
	}
	record_bad("scholarship", "{\"school\":\"X\"}", 1, PROTO_E_MISSING,
		   "province");

	work("\"health\"", "15000000000", PROTO_OK, NULL);
	work("\"education\"", "10000000000000", PROTO_OK, NULL);
	work("\"culture-sports-tourism\"", "0", PROTO_OK, NULL);
	work("\"health\"", "10000000000001", PROTO_E_RANGE, "budget");
	work("\"health\"", "15000000000.5", PROTO_E_TYPE, "budget");
	/* Only three sectors build works. */
	work("\"agriculture\"", "1", PROTO_E_VALUE,
	     "education, health, culture-sports-tourism");
	record_bad("work_progress", "{\"work\":"
		   "\"a5000000000000000000000000000001\",\"date\":"
		   "\"2026-06-30\",\"disbursed\":6000000000,\"built_pct\":40,"
		   "\"status\":\"under-construction\"}", 1, PROTO_OK, NULL);
	record_bad("work_progress", "{\"built_pct\":101}", 0, PROTO_E_RANGE,
		   "built_pct");
	record_bad("work_progress", "{\"status\":\"abandoned\"}", 0,
		   PROTO_E_VALUE, "planned, under-construction, handed-over");

	/* People type the Vietnamese and Lao names; the wire gets the
	** canonical one. */
	assert_string_equal(proto_ref_lookup(&proto_levels, "thạc sĩ"),
			    "master");
	assert_string_equal(proto_ref_lookup(&proto_levels, "ປະລິນຍາຕີ"),
			    "university");
	assert_string_equal(proto_ref_lookup(&proto_levels, "Cao đẳng"),
			    "college");
	assert_string_equal(proto_ref_lookup(&proto_work_statuses,
					     "đang thi công"),
			    "under-construction");
	assert_string_equal(proto_ref_lookup(&proto_work_statuses,
					     "ມອບໃຫ້ແລ້ວ"), "handed-over");
	assert_string_equal(proto_ref_lookup(&proto_work_sectors, "y tế"),
			    "health");
	assert_null(proto_ref_lookup(&proto_work_sectors, "nông nghiệp"));

	/* Parsing typed text: the academic year and whole-đồng money. */
	expect_code(proto_field_parse(field("scholarship", "academic_year"),
				      "2026-2027", &v, &err), PROTO_OK, err);
	assert_string_equal(v->valuestring, "2026-2027");
	cJSON_Delete(v);
	expect_code(proto_field_parse(field("scholarship", "academic_year"),
				      "2026-2026", &v, &err), PROTO_E_VALUE,
		    err);
	assert_null(v);
	expect_code(proto_field_parse(field("work", "budget"),
				      "10000000000000", &v, &err), PROTO_OK,
		    err);
	/* Exact through a double and back to text. */
	assert_string_equal(proto_value_format(v, buf, sizeof buf),
			    "10000000000000");
	cJSON_Delete(v);
	expect_code(proto_field_parse(field("work", "budget"),
				      "10000000000001", &v, &err),
		    PROTO_E_RANGE, err);
	expect_code(proto_field_parse(field("work", "budget"), "1.5", &v,
				      &err), PROTO_E_TYPE, err);
	/* Every amount up to 10^13 survives a JSON round trip exactly. */
	{
		static const long long amounts[] = {
			0, 1, 1800000, 15000000000LL, 9999999999999LL,
			10000000000000LL};
		for (size_t i = 0; i < sizeof amounts / sizeof amounts[0];
		     i++) {
			cJSON *n = cJSON_CreateNumber((double)amounts[i]);
			char *t = cJSON_PrintUnformatted(n);
			cJSON *back = cJSON_Parse(t);
			char want[32];
			snprintf(want, sizeof want, "%lld", amounts[i]);
			assert_string_equal(t, want);
			assert_true((long long)back->valuedouble ==
				    amounts[i]);
			free(t);
			cJSON_Delete(n);
			cJSON_Delete(back);
		}
	}
}

static void test_decimal_and_format(void **state)
{
	char buf[64];
	long long h = -1;
	cJSON *v;

	(void)state;
	v = proto_decimal_new(380);
	assert_int_equal(proto_decimal_get(v, &h), 0);
	assert_int_equal(h, 380);
	assert_string_equal(proto_value_format(v, buf, sizeof buf), "3.8");
	char *p = cJSON_PrintUnformatted(v);
	assert_string_equal(p, "3.8"); /* travels as 3.8, not 3.7999... */
	free(p);
	cJSON_Delete(v);
	v = proto_decimal_new(525);
	assert_string_equal(proto_value_format(v, buf, sizeof buf), "5.25");
	cJSON_Delete(v);
	v = proto_decimal_new(500);
	assert_string_equal(proto_value_format(v, buf, sizeof buf), "5");
	cJSON_Delete(v);
	v = cJSON_CreateString("x");
	assert_int_equal(proto_decimal_get(v, &h), -1);
	cJSON_Delete(v);
	v = cJSON_CreateNumber(0.125);
	assert_int_equal(proto_decimal_get(v, &h), -1);
	cJSON_Delete(v);

	v = cJSON_CreateNumber(42);
	assert_string_equal(proto_value_format(v, buf, sizeof buf), "42");
	cJSON_Delete(v);
	v = cJSON_CreateTrue();
	assert_string_equal(proto_value_format(v, buf, sizeof buf), "true");
	cJSON_Delete(v);
	v = cJSON_CreateString("ສາລະວັນ");
	assert_string_equal(proto_value_format(v, buf, sizeof buf), "ສາລະວັນ");
	/* Truncation never cuts a Lao letter (3 bytes) in half. */
	assert_string_equal(proto_value_format(v, buf, 5), "ສ");
	assert_string_equal(proto_value_format(v, buf, 7), "ສາ");
	assert_string_equal(proto_value_format(v, buf, 3), "");
	cJSON_Delete(v);
}

/* ---- money as people write it ------------------------------------------ */

static void expect_money(long long dong, const char *lang, int short_form,
			 const char *want)
{
	char buf[64];
	if (proto_money_format(dong, lang, short_form, buf, sizeof buf) != 0)
		fail_msg("%lld %s %d: refused, want \"%s\"", dong, lang,
			 short_form, want);
	if (strcmp(buf, want) != 0)
		fail_msg("%lld %s %d: \"%s\", want \"%s\"", dong, lang,
			 short_form, buf, want);
}

static void test_money_format(void **state)
{
	char buf[64], small[8];
	(void)state;
	/* Long form: digits grouped by three from the right. */
	expect_money(0, "vi", 0, "0 đ");
	expect_money(999, "vi", 0, "999 đ");
	expect_money(1000, "vi", 0, "1.000 đ");
	expect_money(1000, "en", 0, "1,000 VND");
	expect_money(1000, "lo", 0, "1.000 ດົ່ງ");
	expect_money(15000000000LL, "vi", 0, "15.000.000.000 đ");
	expect_money(15000000000LL, "lo", 0, "15.000.000.000 ດົ່ງ");
	expect_money(15000000000LL, "en", 0, "15,000,000,000 VND");
	/* 10^13, the largest amount: 14 digits, groups 10|000|000|000|000. */
	expect_money(10000000000000LL, "vi", 0, "10.000.000.000.000 đ");
	expect_money(10000000000000LL, "en", 0, "10,000,000,000,000 VND");
	/* An unknown language writes English. */
	expect_money(1234567, "fr", 0, "1,234,567 VND");
	expect_money(1234567, NULL, 0, "1,234,567 VND");
	/* Short form: 15 x 10^9 = 15 billion; 60 x 10^9 the four works. */
	expect_money(15000000000LL, "vi", 1, "15 tỷ đồng");
	expect_money(60000000000LL, "vi", 1, "60 tỷ đồng");
	expect_money(15000000000LL, "en", 1, "15 billion VND");
	expect_money(15000000000LL, "lo", 1, "15 ຕື້ດົ່ງ");
	/* 2.5 x 10^9: one decimal, the language's decimal sign. */
	expect_money(2500000000LL, "vi", 1, "2,5 tỷ đồng");
	expect_money(2500000000LL, "en", 1, "2.5 billion VND");
	/* 2,345,678,901 = 2.345678901 billion -> 2.35 (half up). */
	expect_money(2345678901LL, "vi", 1, "2,35 tỷ đồng");
	/* 2,004,999,999 -> 2.004999999 -> 2.00 -> "2". */
	expect_money(2004999999LL, "en", 1, "2 billion VND");
	/* 10^13 = 10,000 billion, grouped. */
	expect_money(10000000000000LL, "vi", 1, "10.000 tỷ đồng");
	expect_money(10000000000000LL, "en", 1, "10,000 billion VND");
	/* Millions: 500 x 10^6; 999,995,000 rounds to 1000.00 million, which
	** is written 1 billion (999,995,000 / 10^9 = 0.999995 -> 1.00). */
	expect_money(500000000LL, "vi", 1, "500 triệu đồng");
	expect_money(1500000LL, "en", 1, "1.5 million VND");
	expect_money(999995000LL, "en", 1, "1 billion VND");
	expect_money(999994999LL, "en", 1, "999.99 million VND");
	/* Below a million the short form is the long one. */
	expect_money(0, "vi", 1, "0 đ");
	expect_money(999, "en", 1, "999 VND");
	/* Refusals: negative, above 10^13, a buffer too small ("1.000 đ" is
	** 8 bytes with "đ" being two, plus the terminator = 9 > 8). */
	assert_int_equal(proto_money_format(-1, "vi", 0, buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(proto_money_format(10000000000001LL, "vi", 0, buf,
					    sizeof buf), -1);
	assert_int_equal(proto_money_format(1000, "vi", 0, small,
					    sizeof small), -1);
	assert_string_equal(small, "");
	assert_int_equal(proto_money_format(999, "vi", 0, small,
					    sizeof small), 0);
	assert_string_equal(small, "999 đ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_format),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_provinces),
		cmocka_unit_test(test_sectors_specialties_directions),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_parse_enum),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_decimal),
		cmocka_unit_test(test_parse_date_id),
		cmocka_unit_test(test_check_each_type),
		cmocka_unit_test(test_record_check),
		cmocka_unit_test(test_decimal_and_format),
		cmocka_unit_test(test_scholarship_work),
	};
	return cmocka_run_group_tests_name("proto_records", tests, NULL, NULL);
}
