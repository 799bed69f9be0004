/*
** This file contains the unit tests of a record's history entry
** (protocol/history.h): proto_history_text writes, byte for byte, what
** cJSON_PrintUnformatted writes for proto_history_entry's tree, for every
** op (create, update, delete, restore, retract, handover), with a reason
** and a new owner, values of every type the states hold (text with
** quotes, backslashes, control characters, Vietnamese and Lao; whole and
** fractional numbers, large and negative ones; true, false, null), fields
** that won and fields that lost to a higher stamp, from no record and from
** one; and into a buffer that starts empty or too small.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/history.h"
#include "protocol/merge.h"

#define ID "a1000000000000000000000000000001"
#define DA "0a000000000000000000000000000000"
#define DB "0b000000000000000000000000000000"
#define H(k) (0x019d36e3ec000000ULL + (proto_hlc)(k))

static uint8_t devA[16], devB[16];

static int setup(void **state)
{
	(void)state;
	if (proto_init() != 0)
		return -1;
	return proto_hex_decode(devA, 16, DA) | proto_hex_decode(devB, 16, DB);
}

/* Apply one change to *s and check both forms of its history entry. The
** buffer given to proto_history_text starts at cap bytes (0: none). */
static void step(cJSON **s, proto_op op, proto_hlc hlc, const char *dev_hex,
		 const uint8_t *dev, const char *fields, const char *reason,
		 const char *to, size_t cap)
{
	proto_change c;
	cJSON *f = fields ? cJSON_Parse(fields) : NULL;
	cJSON *before = *s ? cJSON_Duplicate(*s, 1) : NULL, *tree;
	char *want, *buf = cap ? malloc(cap) : NULL;
	proto_err err;
	long n;
	int changed = 0;

	if (fields && !f)
		fail_msg("test JSON does not parse: %s", fields);
	memset(&c, 0, sizeof c);
	memcpy(c.id, ID, sizeof c.id);
	c.kind = proto_kind_find("model");
	c.op = op;
	c.hlc = hlc;
	c.fields = f;
	c.reason = reason;
	if (to)
		snprintf(c.to, sizeof c.to, "%s", to);
	if (proto_merge_apply(s, &c, dev, NULL, NULL, &changed, &err) !=
	    PROTO_OK)
		fail_msg("merge refused: %s", err.msg);
	tree = proto_history_entry(before, *s, &c, dev_hex);
	assert_non_null(tree);
	want = cJSON_PrintUnformatted(tree);
	assert_non_null(want);
	n = proto_history_text(before, *s, &c, dev_hex, &buf, &cap);
	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(want));
	assert_string_equal(buf, want);
	assert_true(cap > (size_t)n);
	free(want);
	free(buf);
	cJSON_Delete(tree);
	cJSON_Delete(before);
	cJSON_Delete(f);
}

static void test_history_text_ops(void **state)
{
	static const size_t caps[] = {0, 1, 17, 4096};
	(void)state;
	for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
		cJSON *s = NULL;
		size_t cap = caps[k];
		step(&s, PROTO_OP_CREATE, H(1), DA, devA,
		     "{\"crop\":\"Ngô nếp \\\"ຂ້າວໜຽວ\\\" \\\\ a\\tb\\u0001\","
		     "\"province\":\"Salavan\",\"planned_ha\":5,"
		     "\"planned_households\":42}", NULL, NULL, cap);
		step(&s, PROTO_OP_UPDATE, H(3), DA, devA,
		     "{\"planned_ha\":3.8,\"planned_households\":7}", NULL,
		     NULL, cap);
		/* Written again at a lower stamp by B: it loses. */
		step(&s, PROTO_OP_UPDATE, H(2), DB, devB,
		     "{\"planned_ha\":0.1,\"crop\":\"x\"}", NULL, NULL, cap);
		step(&s, PROTO_OP_UPDATE, H(4), DB, devB,
		     "{\"planned_ha\":123456.75,\"season\":\"Vụ mùa 2026\"}",
		     NULL, NULL, cap);
		step(&s, PROTO_OP_DELETE, H(5), DA, devA, NULL,
		     "recorded twice – ບັນທຶກຊ້ຳ", NULL, cap);
		step(&s, PROTO_OP_RESTORE, H(6), DA, devA, NULL, NULL, NULL,
		     cap);
		step(&s, PROTO_OP_HANDOVER, H(7), DA, devA, NULL, "moved",
		     DB, cap);
		step(&s, PROTO_OP_RETRACT, H(8), DB, devB, NULL, "wrong model",
		     NULL, cap);
		cJSON_Delete(s);
	}
}

/* Numbers as cJSON prints them: whole ones past int, fractions that need
** 17 digits, negative ones; the "ms" of an HLC far in the future. */
static void test_history_text_numbers(void **state)
{
	static const char *const vals[] = {
		"0", "-0.5", "2147483647", "2147483648", "-2147483649",
		"9007199254740991", "0.1", "0.30000000000000004", "1e300",
		"123456789.123456789", "5e-324",
	};
	(void)state;
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		cJSON *s = NULL;
		char fields[160];
		snprintf(fields, sizeof fields, "{\"crop\":\"c\",\"province\":"
			 "\"Salavan\",\"planned_ha\":%s,"
			 "\"planned_households\":1}", vals[i]);
		cJSON *f = cJSON_Parse(fields);
		/* Values the merge itself takes (validation is decode's). */
		assert_non_null(f);
		cJSON_Delete(f);
		step(&s, PROTO_OP_CREATE, H(1) + ((proto_hlc)i << 40), DA, devA,
		     fields, NULL, NULL, 0);
		cJSON_Delete(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_text_ops),
		cmocka_unit_test(test_history_text_numbers),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
