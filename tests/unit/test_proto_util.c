/*
** This file contains the unit tests of the protocol module's shared helpers
** (protocol/proto.h and proto_json_parse): error code names and messages,
** UTF-8 validation, hex, ids, ISO 8601 dates, and the strict JSON parser that
** every untrusted body goes through. Expected values were worked out by hand
** from the inputs (dates: days since 1970-01-01 counted with the leap rule).
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
#include "protocol/changeset.h"

/* Fail with both code names and the message, so a failure says what came
** back instead of two integers. */
#define expect_code(got, want, err) do { \
	proto_code got_ = (got); \
	if (got_ != (want)) \
		fail_msg("got %s (\"%s\"), want %s", proto_code_name(got_), \
			 (err).msg, proto_code_name(want)); \
} while (0)

#define expect_msg_has(err, s) do { \
	if (!strstr((err).msg, (s))) \
		fail_msg("message \"%s\" does not name \"%s\"", (err).msg, (s)); \
} while (0)

static int setup(void **state)
{
	(void)state;
	return proto_init() == 0 ? 0 : -1;
}

/* ---- error codes -------------------------------------------------------- */

static void test_code_names(void **state)
{
	/* The wire names are the ones listed beside each code in proto.h. */
	static const struct { proto_code c; const char *name; } want[] = {
		{PROTO_OK, "ok"},
		{PROTO_E_JSON, "malformed_json"},
		{PROTO_E_TYPE, "wrong_type"},
		{PROTO_E_MISSING, "missing_field"},
		{PROTO_E_RANGE, "out_of_range"},
		{PROTO_E_UTF8, "invalid_utf8"},
		{PROTO_E_TOO_LONG, "too_long"},
		{PROTO_E_UNKNOWN_KIND, "unknown_kind"},
		{PROTO_E_UNKNOWN_FIELD, "unknown_field"},
		{PROTO_E_DUPLICATE_KEY, "duplicate_key"},
		{PROTO_E_VALUE, "invalid_value"},
		{PROTO_E_DATE, "invalid_date"},
		{PROTO_E_FORMAT, "invalid_format"},
		{PROTO_E_SIG_LENGTH, "bad_signature_length"},
		{PROTO_E_BAD_SIG, "bad_signature"},
		{PROTO_E_SEQ_GAP, "sequence_gap"},
		{PROTO_E_CHAIN, "chain_broken"},
		{PROTO_E_TOO_MANY, "too_many"},
		{PROTO_E_TOO_LARGE, "too_large"},
		{PROTO_E_VERSION, "unsupported_version"},
		{PROTO_E_OP, "invalid_op"},
		{PROTO_E_HLC_ORDER, "hlc_order"},
		{PROTO_E_NOMEM, "out_of_memory"},
		{PROTO_E_NOT_OWNER, "not_owner"},
	};
	(void)state;
	assert_int_equal(sizeof want / sizeof want[0], PROTO_E__COUNT);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_string_equal(proto_code_name(want[i].c), want[i].name);
	/* Out of range still gives a printable name, never NULL. */
	assert_non_null(proto_code_name(PROTO_E__COUNT));
	assert_non_null(proto_code_name((proto_code)-1));
}

static void test_fail_and_clear(void **state)
{
	proto_err err;

	(void)state;
	proto_err_clear(&err);
	assert_int_equal(err.code, PROTO_OK);
	assert_int_equal(err.index, -1);
	assert_string_equal(err.msg, "");

	assert_int_equal(proto_fail(&err, PROTO_E_RANGE, "field \"%s\" is %d",
				    "planned_ha", 7), PROTO_E_RANGE);
	assert_int_equal(err.code, PROTO_E_RANGE);
	assert_string_equal(err.msg, "field \"planned_ha\" is 7");

	/* NULL err: the code still comes back. */
	assert_int_equal(proto_fail(NULL, PROTO_E_JSON, "x"), PROTO_E_JSON);
	proto_err_clear(NULL);

	/* A message longer than the buffer is cut, still NUL-terminated. */
	char big[1000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	(void)proto_fail(&err, PROTO_E_TOO_LONG, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
}

/* ---- UTF-8 -------------------------------------------------------------- */

static void test_utf8_valid(void **state)
{
	static const char *const good[] = {
		"",
		"plain ASCII",
		"Mô hình ngô nếp",                 /* Vietnamese, 2- and 3-byte */
		"Ắt-tạ-pư, Chăm-pa-sắc, Xê-kông",
		"ສາລະວັນ",                          /* Lao, 3-byte */
		"ອັດຕະປື ຈຳປາສັກ ເຊກອງ",
		"\xF0\x9F\x8C\xBD",                 /* U+1F33D ear of maize */
		"\xF4\x8F\xBF\xBF",                 /* U+10FFFF, the last */
		"\xED\x9F\xBF",                     /* U+D7FF, below surrogates */
		"\xEE\x80\x80",                     /* U+E000, above them */
	};
	static const char *const bad[] = {
		"\x80",                 /* lone continuation byte */
		"abc\xBF",
		"\xC0\x80",             /* overlong NUL */
		"\xC1\xBF",             /* overlong 2-byte */
		"\xE0\x80\xAF",         /* overlong 3-byte '/' */
		"\xF0\x80\x80\xAF",     /* overlong 4-byte '/' */
		"\xED\xA0\x80",         /* U+D800 surrogate */
		"\xED\xBF\xBF",         /* U+DFFF surrogate */
		"\xF4\x90\x80\x80",     /* U+110000 */
		"\xF5\x80\x80\x80",
		"\xFF",
		"\xC3",                 /* truncated 2-byte at the end */
		"\xE0\xA0",             /* truncated 3-byte */
		"\xF0\x9F\x8C",         /* truncated 4-byte */
		"\xC3\x28",             /* bad continuation */
		"M\xC3\xB4 h\xC3nh",    /* Vietnamese with a byte lost */
	};
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!proto_utf8_valid(good[i], strlen(good[i])))
			fail_msg("valid UTF-8 #%zu refused", i);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (proto_utf8_valid(bad[i], strlen(bad[i])))
			fail_msg("invalid UTF-8 #%zu accepted", i);
	/* NUL inside the length is refused (the header says "no NUL"). */
	assert_false(proto_utf8_valid("ab\0cd", 5));
	/* The length is what counts: a prefix cut inside a sequence is bad,
	** the same bytes with the full length are good. */
	const char *lao = "ສາ";
	assert_true(proto_utf8_valid(lao, 6));
	assert_false(proto_utf8_valid(lao, 5));
	assert_false(proto_utf8_valid(lao, 4));
	assert_true(proto_utf8_valid(lao, 3));
}

/* ---- hex and ids -------------------------------------------------------- */

static void test_hex(void **state)
{
	const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	char out[2 * sizeof in + 1];
	uint8_t back[sizeof in];

	(void)state;
	proto_hex_encode(out, in, sizeof in);
	assert_string_equal(out, "00017f80abff");
	assert_int_equal(proto_hex_decode(back, sizeof back, out), 0);
	assert_memory_equal(back, in, sizeof in);

	proto_hex_encode(out, in, 0);
	assert_string_equal(out, "");

	/* Exactly 2n lowercase hex digits and nothing else. */
	assert_int_equal(proto_hex_decode(back, 6, "00017F80ABFF"), -1);
	assert_int_equal(proto_hex_decode(back, 6, "00017f80abf"), -1);
	assert_int_equal(proto_hex_decode(back, 6, "00017f80abff0"), -1);
	assert_int_equal(proto_hex_decode(back, 6, "00017f80abfg"), -1);
	assert_int_equal(proto_hex_decode(back, 6, "00017f80ab f"), -1);
	assert_int_equal(proto_hex_decode(back, 6, NULL), -1);
	assert_int_equal(proto_hex_decode(back, 1, "0x"), -1);
}

static void test_id_valid(void **state)
{
	(void)state;
	assert_true(proto_id_valid("0123456789abcdef0123456789abcdef"));
	assert_true(proto_id_valid("00000000000000000000000000000000"));
	assert_false(proto_id_valid("0123456789abcdef0123456789abcde"));
	assert_false(proto_id_valid("0123456789abcdef0123456789abcdef0"));
	assert_false(proto_id_valid("0123456789ABCDEF0123456789abcdef"));
	assert_false(proto_id_valid("0123456789abcdef0123456789abcdeg"));
	assert_false(proto_id_valid("0123456789abcdef-123456789abcdef"));
	assert_false(proto_id_valid(""));
	assert_false(proto_id_valid(NULL));
}

static void test_id_new(void **state)
{
	char a[PROTO_ID_HEX + 1], b[PROTO_ID_HEX + 1];

	(void)state;
	proto_id_new(a);
	proto_id_new(b);
	assert_true(proto_id_valid(a));
	assert_true(proto_id_valid(b));
	/* 128 random bits: equal ids would mean the generator is broken. */
	assert_string_not_equal(a, b);
}

/* ---- dates -------------------------------------------------------------- */

static void test_date_parse_good(void **state)
{
	/* Days since 1970-01-01, counted by hand: 2026-01-01 is 56 years on,
	** 14 of them leap (1972..2024), so 56*365+14 = 20454. */
	static const struct { const char *s; long days; } cases[] = {
		{"1970-01-01", 0},
		{"1970-01-02", 1},
		{"1969-12-31", -1},
		{"2026-01-01", 20454},
		{"2026-03-29", 20454 + 31 + 28 + 28},  /* memorandum signed */
		{"2026-04-30", 20454 + 31 + 28 + 31 + 29},
		{"2024-02-29", 20454 - 365 - 366 + 31 + 28}, /* leap year */
		{"2000-02-29", 11016},  /* divisible by 400: leap */
		{"1900-01-01", -25567}, /* first year allowed */
		{"2999-12-31", 376199}, /* last day allowed */
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long d = 12345;
		if (proto_date_parse(cases[i].s, &d) != 0)
			fail_msg("%s refused", cases[i].s);
		if (d != cases[i].days)
			fail_msg("%s -> %ld, want %ld", cases[i].s, d,
				 cases[i].days);
	}
}

static void test_date_parse_bad(void **state)
{
	static const char *const bad[] = {
		"2026-02-29",  /* 2026 is not a leap year */
		"2100-02-29",  /* divisible by 100, not by 400 */
		"1900-02-29",
		"2026-13-01",  /* no month 13 */
		"2026-00-10",
		"2026-04-31",  /* April has 30 days */
		"2026-06-31",
		"2026-09-31",
		"2026-11-31",
		"2026-01-32",
		"2026-01-00",
		"1899-12-31",  /* before the allowed years */
		"3000-01-01",  /* after them */
		"2026-1-01",
		"2026-01-1",
		"26-01-01",
		"2026/01/01",
		"2026-01-01 ",
		" 2026-01-01",
		"2026-01-01T00:00:00Z",
		"2026-0a-01",
		"+026-01-01",
		"",
		"2026-٠١-01",  /* Arabic-Indic digits are not ASCII digits */
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		long d = 0;
		if (proto_date_parse(bad[i], &d) == 0)
			fail_msg("\"%s\" accepted as a date", bad[i]);
	}
	long d = 0;
	assert_int_equal(proto_date_parse(NULL, &d), -1);
}

static void test_date_format(void **state)
{
	char out[11];

	(void)state;
	proto_date_format(out, 0);
	assert_string_equal(out, "1970-01-01");
	proto_date_format(out, 20454 + 31 + 28 + 28);
	assert_string_equal(out, "2026-03-29");
	proto_date_format(out, 20454 - 365 - 366 + 31 + 28);
	assert_string_equal(out, "2024-02-29");
	proto_date_format(out, -25567);
	assert_string_equal(out, "1900-01-01");
	proto_date_format(out, 376199);
	assert_string_equal(out, "2999-12-31");

	/* Every day of the allowed range survives parse(format(d)). */
	for (long day = -25567; day <= 376199; day++) {
		long back = 0;
		proto_date_format(out, day);
		if (proto_date_parse(out, &back) != 0 || back != day)
			fail_msg("day %ld -> \"%s\" -> %ld", day, out, back);
	}
}

/* ---- strict JSON -------------------------------------------------------- */

static void json_refused(const char *buf, size_t len, proto_code want,
			 const char *name_in_msg)
{
	cJSON *root = (cJSON *)1;
	proto_err err;

	expect_code(proto_json_parse(buf, len, &root, &err), want, err);
	assert_int_equal(err.code, want);
	assert_null(root);
	if (name_in_msg)
		expect_msg_has(err, name_in_msg);
}

static void test_json_parse_good(void **state)
{
	const char *s = "{\"a\":1,\"b\":{\"c\":\"Mô hình ngô nếp\","
			"\"d\":[{\"c\":1},{\"c\":2}]},\"e\":\"ສາລະວັນ\"}  \n";
	cJSON *root = NULL;
	proto_err err;

	(void)state;
	expect_code(proto_json_parse(s, strlen(s), &root, &err), PROTO_OK, err);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "b"), "c")->valuestring,
		"Mô hình ngô nếp");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "e")
			    ->valuestring, "ສາລະວັນ");
	cJSON_Delete(root);

	/* The length is what is parsed, not up to a NUL: a body without one
	** is read correctly. */
	char nonul[] = {'{', '"', 'a', '"', ':', '1', '}', 'X'};
	expect_code(proto_json_parse(nonul, 7, &root, &err), PROTO_OK, err);
	cJSON_Delete(root);
}

static void test_json_parse_bad(void **state)
{
	(void)state;
	json_refused("", 0, PROTO_E_JSON, NULL);
	json_refused("{", 1, PROTO_E_JSON, NULL);
	json_refused("{\"a\":}", 6, PROTO_E_JSON, NULL);
	json_refused("{\"a\":1}x", 8, PROTO_E_JSON, NULL);
	json_refused("{\"a\":1}{}", 9, PROTO_E_JSON, NULL);
	json_refused("{\"a\":1,\"a\":2}", 13, PROTO_E_DUPLICATE_KEY, "a");
	json_refused("{\"x\":{\"seq\":1,\"seq\":1}}", 23,
		     PROTO_E_DUPLICATE_KEY, "seq");
	json_refused("{\"x\":[{\"crop\":1,\"b\":2,\"crop\":3}]}", 33,
		     PROTO_E_DUPLICATE_KEY, "crop");
	json_refused("{\"a\":\"\xC3\x28\"}", 10, PROTO_E_UTF8, NULL);
	/* A NUL inside the body: cJSON would stop there; we refuse. */
	json_refused("{\"a\":1}\0 ", 9, PROTO_E_UTF8, NULL);
	json_refused("{\"a\":\"x\0y\"}", 11, PROTO_E_UTF8, NULL);

	/* Nesting past the limit is refused, not a stack overflow. */
	size_t depth = 10000, n = 0;
	char *deep = malloc(2 * depth + 1);
	assert_non_null(deep);
	for (size_t i = 0; i < depth; i++)
		deep[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[n++] = ']';
	json_refused(deep, n, PROTO_E_JSON, NULL);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_names),
		cmocka_unit_test(test_fail_and_clear),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_id_new),
		cmocka_unit_test(test_date_parse_good),
		cmocka_unit_test(test_date_parse_bad),
		cmocka_unit_test(test_date_format),
		cmocka_unit_test(test_json_parse_good),
		cmocka_unit_test(test_json_parse_bad),
	};
	return cmocka_run_group_tests_name("proto_util", tests, setup, NULL);
}
