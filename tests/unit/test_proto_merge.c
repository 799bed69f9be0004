/*
** This file contains the unit tests of the merge rule (protocol/merge.h):
** the two decisions (does a write replace a value; is it concurrent), then
** proto_merge_apply on records: last-writer-wins converging in both orders,
** an equal-HLC tie broken by device id, tombstones, concurrent edits
** reported exactly when the declared base differs from the value met,
** idempotent re-application, refusals that leave the state untouched, and a
** stable canonical dump (proto_state_canonical) checked against hand-written
** text.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/merge.h"

#define expect_code(got, want, err) do { \
	proto_code got_ = (got); \
	if (got_ != (want)) \
		fail_msg("%s:%d: got %s (\"%s\"), want %s", __FILE__, \
			 __LINE__, proto_code_name(got_), (err).msg, \
			 proto_code_name(want)); \
} while (0)

#define ID "a1000000000000000000000000000001"
#define DA "0a000000000000000000000000000000" /* device A < device B */
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

static proto_stamp st(proto_hlc h, const uint8_t *dev)
{
	proto_stamp s;
	s.hlc = h;
	memcpy(s.device, dev, 16);
	return s;
}

/* ---- the two decisions -------------------------------------------------- */

static void test_takes(void **state)
{
	proto_stamp a5 = st(5, devA), b5 = st(5, devB), a6 = st(6, devA);

	(void)state;
	assert_true(proto_merge_takes(NULL, &a5));
	assert_true(proto_merge_takes(&a5, &a6));
	assert_false(proto_merge_takes(&a6, &a5));
	assert_false(proto_merge_takes(&a5, &a5)); /* the same write */
	/* Equal HLC: the greater device id wins, from either side. */
	assert_true(proto_merge_takes(&a5, &b5));
	assert_false(proto_merge_takes(&b5, &a5));
	/* HLC beats device id. */
	assert_true(proto_merge_takes(&b5, &a6));
}

static void test_concurrent(void **state)
{
	proto_stamp cur = st(5, devA), in = st(7, devB), other = st(3, devA);
	cJSON *x = cJSON_CreateString("x"), *y = cJSON_CreateString("y");
	cJSON *x2 = cJSON_CreateString("x");

	(void)state;
	/* Nothing there: not concurrent. */
	assert_false(proto_merge_concurrent(NULL, NULL, NULL, &in, y));
	/* The write meets itself (re-delivery): not concurrent. */
	assert_false(proto_merge_concurrent(&in, y, NULL, &in, y));
	/* Same value: nothing to report. */
	assert_false(proto_merge_concurrent(&cur, x, NULL, &in, x2));
	/* Base = the value met: the author saw it, a plain edit. */
	assert_false(proto_merge_concurrent(&cur, x, &cur, &in, y));
	/* No base: the author saw no value, yet one was there. */
	assert_true(proto_merge_concurrent(&cur, x, NULL, &in, y));
	/* Base = an older value: the author had not seen this one. */
	assert_true(proto_merge_concurrent(&cur, x, &other, &in, y));
	/* Also when the incoming write is the older one (it loses). */
	proto_stamp old = st(1, devB);
	assert_true(proto_merge_concurrent(&cur, x, NULL, &old, y));
	cJSON_Delete(x);
	cJSON_Delete(y);
	cJSON_Delete(x2);
}

/* ---- apply --------------------------------------------------------------- */

typedef struct rec {
	int n;
	char field[8][32];
	proto_stamp winner[8], loser[8];
	char wv[8][64], lv[8][64];
} rec;

static void on_conflict(void *ctx, const proto_conflict *c)
{
	rec *r = ctx;
	if (r->n >= 8)
		fail_msg("too many conflicts");
	assert_string_equal(c->record_id, ID);
	assert_non_null(c->kind);
	snprintf(r->field[r->n], 32, "%s", c->field);
	r->winner[r->n] = c->winner;
	r->loser[r->n] = c->loser;
	proto_value_format(c->winner_value, r->wv[r->n], 64);
	proto_value_format(c->loser_value, r->lv[r->n], 64);
	r->n++;
}

static void apply(cJSON **s, proto_op op, proto_hlc hlc, const uint8_t *dev,
		  const char *fields, const char *base, rec *r, int *changed)
{
	proto_change c;
	cJSON *f = fields ? cJSON_Parse(fields) : NULL;
	cJSON *b = base ? cJSON_Parse(base) : NULL;
	proto_err err;
	int ch = -1;

	if ((fields && !f) || (base && !b))
		fail_msg("test JSON does not parse");
	memset(&c, 0, sizeof c);
	memcpy(c.id, ID, sizeof c.id);
	c.kind = proto_kind_find("model");
	c.op = op;
	c.hlc = hlc;
	c.fields = f;
	c.base = b;
	if (op == PROTO_OP_DELETE || op == PROTO_OP_RETRACT)
		c.reason = "recorded twice";
	expect_code(proto_merge_apply(s, &c, dev, r ? on_conflict : NULL, r,
				      &ch, &err), PROTO_OK, err);
	if (changed)
		*changed = ch;
	/* The state owns copies: the change's trees can go. */
	cJSON_Delete(f);
	cJSON_Delete(b);
}

#define CREATE "{\"crop\":\"Ngô nếp\",\"province\":\"Salavan\"," \
	       "\"planned_ha\":5,\"planned_households\":42}"

static const char *text_of(const cJSON *s, const char *field)
{
	const cJSON *v = proto_state_get(s, field, NULL);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_create_and_get(void **state)
{
	cJSON *s = NULL;
	int changed = -1;
	proto_stamp got;

	(void)state;
	apply(&s, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, NULL, &changed);
	assert_int_equal(changed, 1);
	assert_non_null(s);
	assert_ptr_equal(proto_state_kind(s), proto_kind_find("model"));
	assert_false(proto_state_deleted(s));
	assert_string_equal(text_of(s, "crop"), "Ngô nếp");
	assert_non_null(proto_state_get(s, "planned_ha", &got));
	assert_true(got.hlc == H(1));
	assert_memory_equal(got.device, devA, 16);
	assert_null(proto_state_get(s, "village", NULL));
	cJSON *vals = proto_state_values(s);
	assert_int_equal(cJSON_GetArraySize(vals), 4);
	cJSON_Delete(vals);
	cJSON_Delete(s);
}

/* Regression for REQUESTS.md #1: a second write keeps the field's name. */
static void test_update_replaces_field(void **state)
{
	cJSON *s = NULL;
	int changed = -1;

	(void)state;
	apply(&s, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, NULL, NULL);
	apply(&s, PROTO_OP_UPDATE, H(2), devA, "{\"crop\":\"Sticky maize\"}",
	      NULL, NULL, &changed);
	assert_int_equal(changed, 1);
	assert_non_null(text_of(s, "crop"));
	assert_string_equal(text_of(s, "crop"), "Sticky maize");
	/* Fields after it are still found. */
	assert_non_null(proto_state_get(s, "planned_households", NULL));
	cJSON *vals = proto_state_values(s);
	assert_int_equal(cJSON_GetArraySize(vals), 4);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(vals, "crop"));
	cJSON_Delete(vals);
	cJSON_Delete(s);
}

static void test_lww_both_orders(void **state)
{
	cJSON *s1 = NULL, *s2 = NULL;
	char *c1, *c2;

	(void)state;
	/* Order 1: A's create, A's edit at 3, B's edit at 4. */
	apply(&s1, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, NULL, NULL);
	apply(&s1, PROTO_OP_UPDATE, H(3), devA, "{\"crop\":\"A\",\"planned_ha\":3.8}",
	      NULL, NULL, NULL);
	apply(&s1, PROTO_OP_UPDATE, H(4), devB, "{\"crop\":\"B\"}", NULL, NULL,
	      NULL);
	/* Order 2: the reverse. */
	apply(&s2, PROTO_OP_UPDATE, H(4), devB, "{\"crop\":\"B\"}", NULL, NULL,
	      NULL);
	apply(&s2, PROTO_OP_UPDATE, H(3), devA, "{\"crop\":\"A\",\"planned_ha\":3.8}",
	      NULL, NULL, NULL);
	apply(&s2, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, NULL, NULL);
	assert_string_equal(text_of(s1, "crop"), "B");
	assert_string_equal(text_of(s2, "crop"), "B");
	c1 = proto_state_canonical(ID, s1);
	c2 = proto_state_canonical(ID, s2);
	assert_non_null(c1);
	assert_string_equal(c1, c2);
	/* Written out by hand: table order, values as JSON, stamps. */
	assert_string_equal(c1,
		ID " model crop=\"B\"@019d36e3ec000004-" DB
		" province=\"Salavan\"@019d36e3ec000001-" DA
		" planned_ha=3.8@019d36e3ec000003-" DA
		" planned_households=42@019d36e3ec000001-" DA
		" _owner=\"" DA "\"@019d36e3ec000001-" DA);
	free(c1);
	free(c2);
	cJSON_Delete(s1);
	cJSON_Delete(s2);
}

static void test_tie_device_id(void **state)
{
	cJSON *s1 = NULL, *s2 = NULL;
	proto_stamp w;

	(void)state;
	apply(&s1, PROTO_OP_UPDATE, H(5), devA, "{\"crop\":\"A\"}", NULL, NULL,
	      NULL);
	apply(&s1, PROTO_OP_UPDATE, H(5), devB, "{\"crop\":\"B\"}", NULL, NULL,
	      NULL);
	apply(&s2, PROTO_OP_UPDATE, H(5), devB, "{\"crop\":\"B\"}", NULL, NULL,
	      NULL);
	apply(&s2, PROTO_OP_UPDATE, H(5), devA, "{\"crop\":\"A\"}", NULL, NULL,
	      NULL);
	/* 0b... > 0a...: B wins both ways. */
	assert_string_equal(text_of(s1, "crop"), "B");
	assert_string_equal(text_of(s2, "crop"), "B");
	proto_state_get(s2, "crop", &w);
	assert_memory_equal(w.device, devB, 16);
	cJSON_Delete(s1);
	cJSON_Delete(s2);
}

static void test_tombstone(void **state)
{
	cJSON *s1 = NULL, *s2 = NULL;
	char *c1, *c2;
	int changed = -1;

	(void)state;
	apply(&s1, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, NULL, NULL);
	apply(&s1, PROTO_OP_DELETE, H(2), devB, NULL, NULL, NULL, &changed);
	assert_int_equal(changed, 1);
	assert_true(proto_state_deleted(s1));
	/* A later edit does not bring it back. */
	apply(&s1, PROTO_OP_UPDATE, H(3), devA, "{\"crop\":\"again\"}", NULL,
	      NULL, NULL);
	assert_true(proto_state_deleted(s1));
	/* Values exclude the tombstone. */
	cJSON *vals = proto_state_values(s1);
	assert_null(cJSON_GetObjectItemCaseSensitive(vals, "_deleted"));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(vals, "crop")
			    ->valuestring, "again");
	cJSON_Delete(vals);
	/* The delete arriving first converges to the same record. */
	apply(&s2, PROTO_OP_DELETE, H(2), devB, NULL, NULL, NULL, NULL);
	assert_true(proto_state_deleted(s2));
	apply(&s2, PROTO_OP_UPDATE, H(3), devA, "{\"crop\":\"again\"}", NULL,
	      NULL, NULL);
	apply(&s2, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, NULL, NULL);
	c1 = proto_state_canonical(ID, s1);
	c2 = proto_state_canonical(ID, s2);
	assert_string_equal(c1, c2);
	/* _deleted comes last. */
	const char *tail = " _deleted=true@019d36e3ec000002-" DB;
	assert_string_equal(c1 + strlen(c1) - strlen(tail), tail);
	free(c1);
	free(c2);
	cJSON_Delete(s1);
	cJSON_Delete(s2);
}

static void test_concurrent_iff_base_differs(void **state)
{
	cJSON *s = NULL;
	rec r;
	char baseA1[128], baseB2[128];

	(void)state;
	snprintf(baseA1, sizeof baseA1, "{\"crop\":\"019d36e3ec000001-" DA "\"}");
	snprintf(baseB2, sizeof baseB2, "{\"crop\":\"019d36e3ec000002-" DB "\"}");
	memset(&r, 0, sizeof r);
	apply(&s, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, &r, NULL);
	assert_int_equal(r.n, 0);
	/* B saw A's create: base matches, no conflict. */
	apply(&s, PROTO_OP_UPDATE, H(2), devB, "{\"crop\":\"B\"}", baseA1, &r,
	      NULL);
	assert_int_equal(r.n, 0);
	/* A also saw only its create: base differs from B's value met. */
	apply(&s, PROTO_OP_UPDATE, H(3), devA, "{\"crop\":\"A\"}", baseA1, &r,
	      NULL);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.field[0], "crop");
	assert_true(r.winner[0].hlc == H(3));
	assert_memory_equal(r.winner[0].device, devA, 16);
	assert_string_equal(r.wv[0], "A");
	assert_true(r.loser[0].hlc == H(2));
	assert_memory_equal(r.loser[0].device, devB, 16);
	assert_string_equal(r.lv[0], "B");
	/* HQ resolves having seen A's value: no new conflict. */
	char baseA3[128];
	snprintf(baseA3, sizeof baseA3, "{\"crop\":\"019d36e3ec000003-" DA "\"}");
	apply(&s, PROTO_OP_UPDATE, H(9), devB, "{\"crop\":\"B\"}", baseA3, &r,
	      NULL);
	assert_int_equal(r.n, 1);
	assert_string_equal(text_of(s, "crop"), "B");
	/* A write with an outdated base that loses is still reported. */
	apply(&s, PROTO_OP_UPDATE, H(4), devA, "{\"crop\":\"late\"}", baseB2,
	      &r, NULL);
	assert_int_equal(r.n, 2);
	assert_true(r.winner[1].hlc == H(9));
	assert_string_equal(r.lv[1], "late");
	assert_string_equal(text_of(s, "crop"), "B");
	/* No base on an update that meets a value: reported. */
	apply(&s, PROTO_OP_UPDATE, H(10), devA, "{\"planned_ha\":3.8}", NULL,
	      &r, NULL);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.field[2], "planned_ha");
	assert_string_equal(r.wv[2], "3.8");
	assert_string_equal(r.lv[2], "5");
	/* Writing the value already there: not reported. */
	apply(&s, PROTO_OP_UPDATE, H(11), devB, "{\"planned_ha\":3.8}", NULL,
	      &r, NULL);
	assert_int_equal(r.n, 3);
	cJSON_Delete(s);
}

static void test_idempotent(void **state)
{
	cJSON *s = NULL;
	rec r;
	int changed = -1;
	char *c1, *c2;

	(void)state;
	memset(&r, 0, sizeof r);
	apply(&s, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, &r, NULL);
	apply(&s, PROTO_OP_UPDATE, H(2), devB, "{\"crop\":\"B\"}", NULL, &r,
	      NULL);
	c1 = proto_state_canonical(ID, s);
	int before = r.n;
	/* The same change again (a re-delivered set): nothing moves. */
	apply(&s, PROTO_OP_UPDATE, H(2), devB, "{\"crop\":\"B\"}", NULL, &r,
	      &changed);
	assert_int_equal(changed, 0);
	assert_int_equal(r.n, before);
	apply(&s, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, &r, &changed);
	assert_int_equal(changed, 0);
	/* An older write that loses does not change the state either. */
	apply(&s, PROTO_OP_UPDATE, H(0), devA, "{\"village\":\"ບ້ານ\"}", NULL,
	      &r, &changed);
	assert_int_equal(changed, 1); /* village was empty: it is taken */
	apply(&s, PROTO_OP_UPDATE, H(0), devA, "{\"crop\":\"old\"}", NULL, &r,
	      &changed);
	assert_int_equal(changed, 0);
	c2 = proto_state_canonical(ID, s);
	assert_string_not_equal(c1, c2); /* only by the village */
	assert_non_null(strstr(c2, "village=\"ບ້ານ\""));
	free(c1);
	free(c2);
	cJSON_Delete(s);
}

static void test_refusals_leave_state(void **state)
{
	cJSON *s = NULL, *copy;
	proto_change c;
	proto_err err;
	int changed = -1;

	(void)state;
	apply(&s, PROTO_OP_CREATE, H(1), devA, CREATE, NULL, NULL, NULL);
	copy = cJSON_Duplicate(s, 1);
	cJSON *before = s;

	/* A change for another kind. */
	memset(&c, 0, sizeof c);
	memcpy(c.id, ID, sizeof c.id);
	c.kind = proto_kind_find("visit");
	c.op = PROTO_OP_DELETE;
	c.hlc = H(5);
	expect_code(proto_merge_apply(&s, &c, devB, NULL, NULL, &changed, &err),
		    PROTO_E_VALUE, err);
	assert_int_equal(changed, 0);
	assert_ptr_equal(s, before);
	assert_true(cJSON_Compare(s, copy, 1));

	/* A malformed base stamp. */
	cJSON *f = cJSON_Parse("{\"crop\":\"x\"}");
	cJSON *b = cJSON_Parse("{\"crop\":\"not a stamp\"}");
	c.kind = proto_kind_find("model");
	c.op = PROTO_OP_UPDATE;
	c.fields = f;
	c.base = b;
	expect_code(proto_merge_apply(&s, &c, devB, NULL, NULL, &changed, &err),
		    PROTO_E_FORMAT, err);
	assert_true(cJSON_Compare(s, copy, 1));
	cJSON_Delete(b);

	/* A malformed stored state. */
	cJSON *bad = cJSON_Parse("{\"kind\":\"model\",\"f\":{\"crop\":"
				 "{\"v\":\"x\",\"s\":\"garbage\"}}}");
	cJSON *badcopy = cJSON_Duplicate(bad, 1);
	c.base = NULL;
	expect_code(proto_merge_apply(&bad, &c, devB, NULL, NULL, &changed,
				      &err), PROTO_E_FORMAT, err);
	assert_true(cJSON_Compare(bad, badcopy, 1));
	cJSON *nokind = cJSON_Parse("{\"f\":{}}");
	expect_code(proto_merge_apply(&nokind, &c, devB, NULL, NULL, &changed,
				      &err), PROTO_E_FORMAT, err);
	assert_null(proto_state_kind(nokind));
	assert_null(proto_state_canonical(ID, nokind));
	cJSON_Delete(nokind);
	cJSON_Delete(bad);
	cJSON_Delete(badcopy);
	cJSON_Delete(f);
	cJSON_Delete(copy);
	cJSON_Delete(s);
}

static void test_canonical_stable(void **state)
{
	/* Two states with the same entries inserted in different orders. */
	const char *a = "{\"kind\":\"model\",\"f\":{"
		"\"planned_ha\":{\"v\":3.8,\"s\":\"019d36e3ec000002-" DB "\"},"
		"\"_deleted\":{\"v\":true,\"s\":\"019d36e3ec000003-" DA "\"},"
		"\"crop\":{\"v\":\"Mô hình ngô nếp\",\"s\":\"019d36e3ec000001-"
		DA "\"}}}";
	const char *b = "{\"f\":{"
		"\"crop\":{\"s\":\"019d36e3ec000001-" DA "\",\"v\":"
		"\"Mô hình ngô nếp\"},"
		"\"planned_ha\":{\"v\":3.8,\"s\":\"019d36e3ec000002-" DB "\"},"
		"\"_deleted\":{\"v\":true,\"s\":\"019d36e3ec000003-" DA "\"}},"
		"\"kind\":\"model\"}";
	cJSON *sa = cJSON_Parse(a), *sb = cJSON_Parse(b);
	char *ca, *ca2, *cb;

	(void)state;
	ca = proto_state_canonical(ID, sa);
	ca2 = proto_state_canonical(ID, sa);
	cb = proto_state_canonical(ID, sb);
	assert_string_equal(ca, ca2);
	assert_string_equal(ca, cb);
	assert_string_equal(ca, ID " model crop=\"Mô hình ngô nếp\"@"
			    "019d36e3ec000001-" DA " planned_ha=3.8@"
			    "019d36e3ec000002-" DB " _deleted=true@"
			    "019d36e3ec000003-" DA);
	assert_true(proto_state_deleted(sa));
	free(ca);
	free(ca2);
	free(cb);
	cJSON_Delete(sa);
	cJSON_Delete(sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_takes),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_create_and_get),
		cmocka_unit_test(test_update_replaces_field),
		cmocka_unit_test(test_lww_both_orders),
		cmocka_unit_test(test_tie_device_id),
		cmocka_unit_test(test_tombstone),
		cmocka_unit_test(test_concurrent_iff_base_differs),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_refusals_leave_state),
		cmocka_unit_test(test_canonical_stable),
	};
	return cmocka_run_group_tests_name("proto_merge", tests, setup, NULL);
}
