/*
** This file contains the unit tests of changes and change sets
** (protocol/changeset.h): canonical encoding with hand-written expected
** bytes, the encode -> set -> decode round trip byte for byte with
** Vietnamese and Lao text, every bad input refused with its specific code
** and a message naming the member or field, limits (2000 changes, 2 MiB),
** hashing, signing and verification with domain separation, the device-key
** helpers, and the per-device hash chain (next, old, gap, broken).
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "protocol/changeset.h"

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

#define ID1 "a1000000000000000000000000000001"
#define ID2 "a2000000000000000000000000000002"
#define DEV "00112233445566778899aabbccddeeff"
#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
/* 2026-03-29T00:00:00Z in ms, shifted: HLC with counter 0. */
#define HLC0 0x019d36e3ec000000ULL

static uint8_t dev[PROTO_ID_BYTES];
static const uint8_t zeros[PROTO_HASH_BYTES];

static int setup(void **state)
{
	(void)state;
	if (proto_init() != 0)
		return -1;
	return proto_hex_decode(dev, sizeof dev, DEV);
}

/* A change from JSON texts; the trees are returned for freeing. */
typedef struct tchange {
	proto_change c;
	cJSON *fields, *base;
} tchange;

static void tc_make(tchange *t, const char *id, const char *kind, proto_op op,
		    proto_hlc hlc, const char *fields, const char *base)
{
	memset(t, 0, sizeof *t);
	snprintf(t->c.id, sizeof t->c.id, "%s", id);
	t->c.kind = proto_kind_find(kind);
	t->c.op = op;
	t->c.hlc = hlc;
	t->fields = fields ? cJSON_Parse(fields) : NULL;
	t->base = base ? cJSON_Parse(base) : NULL;
	/* A delete and a retract say why (SPEC 5.2). */
	if (op == PROTO_OP_DELETE || op == PROTO_OP_RETRACT)
		t->c.reason = "recorded twice";
	if ((fields && !t->fields) || (base && !t->base))
		fail_msg("test JSON does not parse");
	t->c.fields = t->fields;
	t->c.base = t->base;
}

static void tc_free(tchange *t)
{
	cJSON_Delete(t->fields);
	cJSON_Delete(t->base);
}

static char *encode_ok(const proto_change *c, size_t *len)
{
	char *out = NULL;
	proto_err err;
	expect_code(proto_change_encode(c, &out, len, &err), PROTO_OK, err);
	assert_non_null(out);
	assert_int_equal(strlen(out), *len);
	return out;
}

/* ---- canonical encoding ------------------------------------------------- */

static void test_change_encode_canonical(void **state)
{
	tchange t;
	char *out;
	size_t len;

	(void)state;
	/* Fields given out of order come out in the table's order. */
	tc_make(&t, ID1, "model", PROTO_OP_CREATE, HLC0 + 1,
		"{\"planned_households\":42,\"planned_ha\":3.8,"
		"\"province\":\"Salavan\",\"crop\":\"Mô hình ngô nếp\"}", NULL);
	out = encode_ok(&t.c, &len);
	assert_string_equal(out,
		"{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"create\","
		"\"hlc\":\"019d36e3ec000001\",\"fields\":{\"crop\":"
		"\"Mô hình ngô nếp\",\"province\":\"Salavan\","
		"\"planned_ha\":3.8,\"planned_households\":42}}");
	free(out);
	tc_free(&t);

	/* Update with a base; text with a quote, a backslash and a newline is
	** escaped as JSON requires and nothing else is. */
	tc_make(&t, ID1, "model", PROTO_OP_UPDATE, HLC0 + 2,
		"{\"season\":\"Vụ \\\"mùa\\\" 2025\\\\\\n\",\"crop\":\"ສາລະວັນ\"}",
		"{\"season\":\"019d36e3ec000001-" DEV "\"}");
	out = encode_ok(&t.c, &len);
	assert_string_equal(out,
		"{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"update\","
		"\"hlc\":\"019d36e3ec000002\",\"fields\":{\"crop\":\"ສາລະວັນ\","
		"\"season\":\"Vụ \\\"mùa\\\" 2025\\\\\\n\"},\"base\":{\"season\":"
		"\"019d36e3ec000001-" DEV "\"}}");
	free(out);
	tc_free(&t);

	/* Delete: no fields, no base. */
	tc_make(&t, ID2, "visit", PROTO_OP_DELETE, HLC0 + 3, NULL, NULL);
	out = encode_ok(&t.c, &len);
	assert_string_equal(out, "{\"id\":\"" ID2 "\",\"kind\":\"visit\","
			    "\"op\":\"delete\",\"hlc\":\"019d36e3ec000003\","
			    "\"reason\":\"recorded twice\"}");
	free(out);
	tc_free(&t);

	/* Handover: "to", then "reason"; restore without a reason. */
	tc_make(&t, ID2, "visit", PROTO_OP_HANDOVER, HLC0 + 4, NULL, NULL);
	memcpy(t.c.to, DEV, sizeof t.c.to);
	t.c.reason = "máy mới";
	out = encode_ok(&t.c, &len);
	assert_string_equal(out, "{\"id\":\"" ID2 "\",\"kind\":\"visit\","
			    "\"op\":\"handover\",\"hlc\":\"019d36e3ec000004\","
			    "\"to\":\"" DEV "\",\"reason\":\"máy mới\"}");
	free(out);
	tc_free(&t);
	tc_make(&t, ID2, "visit", PROTO_OP_RESTORE, HLC0 + 5, NULL, NULL);
	out = encode_ok(&t.c, &len);
	assert_string_equal(out, "{\"id\":\"" ID2 "\",\"kind\":\"visit\","
			    "\"op\":\"restore\",\"hlc\":\"019d36e3ec000005\"}");
	free(out);
	tc_free(&t);
	/* An update of an observation (HQ's correction) with its reason. */
	tc_make(&t, ID2, "progress", PROTO_OP_UPDATE, HLC0 + 6,
		"{\"sown_ha\":3.8}", NULL);
	t.c.reason = "38 ha was 3.8";
	out = encode_ok(&t.c, &len);
	assert_string_equal(out, "{\"id\":\"" ID2 "\",\"kind\":\"progress\","
			    "\"op\":\"update\",\"hlc\":\"019d36e3ec000006\","
			    "\"fields\":{\"sown_ha\":3.8},\"reason\":"
			    "\"38 ha was 3.8\"}");
	free(out);
	tc_free(&t);
}

static void test_op_names(void **state)
{
	(void)state;
	assert_string_equal(proto_op_name(PROTO_OP_CREATE), "create");
	assert_string_equal(proto_op_name(PROTO_OP_UPDATE), "update");
	assert_string_equal(proto_op_name(PROTO_OP_DELETE), "delete");
	assert_string_equal(proto_op_name(PROTO_OP_RESTORE), "restore");
	assert_string_equal(proto_op_name(PROTO_OP_RETRACT), "retract");
	assert_string_equal(proto_op_name(PROTO_OP_HANDOVER), "handover");
}

static void encode_bad(const char *id, const char *kind, proto_op op,
		       const char *fields, const char *base, proto_code want,
		       const char *msg_has)
{
	tchange t;
	char *out = (char *)1;
	size_t len = 7;
	proto_err err;

	tc_make(&t, id, kind, op, HLC0, fields, base);
	expect_code(proto_change_encode(&t.c, &out, &len, &err), want, err);
	assert_null(out);
	assert_int_equal(len, 0);
	if (msg_has)
		expect_msg_has(err, msg_has);
	tc_free(&t);
}

static void test_change_encode_refusals(void **state)
{
	(void)state;
	encode_bad(ID1, "model", PROTO_OP_CREATE,
		   "{\"province\":\"Salavan\",\"planned_ha\":3.8,"
		   "\"planned_households\":42}", NULL, PROTO_E_MISSING, "crop");
	encode_bad(ID1, "model", PROTO_OP_CREATE, NULL, NULL, PROTO_E_MISSING,
		   "fields");
	encode_bad(ID1, "model", PROTO_OP_UPDATE, "{}", NULL, PROTO_E_MISSING,
		   "fields");
	encode_bad(ID1, "model", PROTO_OP_UPDATE, "{\"color\":\"red\"}", NULL,
		   PROTO_E_UNKNOWN_FIELD, "color");
	encode_bad(ID1, "model", PROTO_OP_UPDATE, "{\"planned_ha\":-2}", NULL,
		   PROTO_E_RANGE, "planned_ha");
	encode_bad(ID1, "model", PROTO_OP_DELETE, "{\"crop\":\"x\"}", NULL,
		   PROTO_E_OP, "delete");
	encode_bad(ID1, "model", PROTO_OP_RETRACT, NULL, NULL, PROTO_E_OP,
		   "retract");
	encode_bad(ID1, "progress", PROTO_OP_HANDOVER, NULL, NULL, PROTO_E_OP,
		   "progress");
	encode_bad(ID1, "model", PROTO_OP_HANDOVER, NULL, NULL,
		   PROTO_E_MISSING, "to");
	{
		tchange t;
		char *out = NULL;
		size_t len;
		proto_err err;
		tc_make(&t, ID1, "model", PROTO_OP_DELETE, HLC0, NULL, NULL);
		t.c.reason = NULL;
		expect_code(proto_change_encode(&t.c, &out, &len, &err),
			    PROTO_E_MISSING, err);
		expect_msg_has(err, "reason");
		t.c.reason = "";
		expect_code(proto_change_encode(&t.c, &out, &len, &err),
			    PROTO_E_VALUE, err);
		tc_free(&t);
	}
	encode_bad(ID1, "progress", PROTO_OP_DELETE, NULL, NULL, PROTO_E_OP,
		   "progress");
	encode_bad("not-an-id", "model", PROTO_OP_DELETE, NULL, NULL,
		   PROTO_E_FORMAT, "id");
	encode_bad(ID1, "model", PROTO_OP_CREATE,
		   "{\"crop\":\"x\",\"province\":\"Salavan\",\"planned_ha\":1,"
		   "\"planned_households\":1}",
		   "{\"crop\":\"019d36e3ec000001-" DEV "\"}", PROTO_E_OP,
		   "base");
	encode_bad(ID1, "model", PROTO_OP_UPDATE, "{\"crop\":\"x\"}",
		   "{\"village\":\"019d36e3ec000001-" DEV "\"}",
		   PROTO_E_UNKNOWN_FIELD, "village");
	encode_bad(ID1, "model", PROTO_OP_UPDATE, "{\"crop\":\"x\"}",
		   "{\"crop\":\"yesterday\"}", PROTO_E_FORMAT, "crop");

	/* No kind at all. */
	tchange t;
	char *out = NULL;
	size_t len;
	proto_err err;
	tc_make(&t, ID1, "meeting", PROTO_OP_DELETE, HLC0, NULL, NULL);
	assert_null(t.c.kind);
	expect_code(proto_change_encode(&t.c, &out, &len, &err),
		    PROTO_E_UNKNOWN_KIND, err);
	tc_free(&t);
}

/* ---- the round trip ------------------------------------------------------ */

/* memmem is a GNU extension; this is all the tests need. */
static int contains(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

static const char *const VI = "Mô hình ngô nếp";
static const char *const LO = "ສາລະວັນ";
static const char *const NOTES = "Đã gieo 3,8 ha; còn 1,2 ha.\n"
				 "ຫວ່ານແລ້ວ 3,8 ເຮັກຕາ";

static void test_round_trip(void **state)
{
	tchange t[3];
	char *enc[3], *set = NULL, *again = NULL;
	size_t lens[3], setlen = 0, againlen = 0;
	uint8_t prev[PROTO_HASH_BYTES];
	proto_set d;
	proto_err err;
	char buf[1024];

	(void)state;
	memset(prev, 0xab, sizeof prev);
	snprintf(buf, sizeof buf, "{\"crop\":\"%s\",\"province\":\"Salavan\","
		 "\"district\":\"%s\",\"planned_ha\":5,"
		 "\"planned_households\":42}", VI, LO);
	tc_make(&t[0], ID1, "model", PROTO_OP_CREATE, HLC0 + 1, buf, NULL);
	cJSON *n = cJSON_CreateObject();
	cJSON_AddStringToObject(n, "model", ID1);
	cJSON_AddStringToObject(n, "date", "2025-07-15");
	cJSON_AddItemToObject(n, "sown_ha", proto_decimal_new(380));
	cJSON_AddNumberToObject(n, "households", 42);
	cJSON_AddStringToObject(n, "notes", NOTES);
	char *ntext = cJSON_PrintUnformatted(n);
	cJSON_Delete(n);
	tc_make(&t[1], ID2, "progress", PROTO_OP_CREATE, HLC0 + 2, ntext, NULL);
	free(ntext);
	tc_make(&t[2], "a3000000000000000000000000000003", "visit",
		PROTO_OP_DELETE, HLC0 + 0x10000, NULL, NULL);
	for (int i = 0; i < 3; i++)
		enc[i] = encode_ok(&t[i].c, &lens[i]);

	expect_code(proto_set_encode(dev, 7, prev, (const char *const *)enc,
				     lens, 3, &set, &setlen, &err),
		    PROTO_OK, err);
	assert_true(setlen <= proto_set_encoded_size(3, lens[0] + lens[1] +
						     lens[2]));
	/* The set is the header and the changes joined by commas. */
	snprintf(buf, sizeof buf, "{\"v\":2,\"device\":\"" DEV "\",\"seq\":7,"
		 "\"prev\":\"%s\",\"changes\":[", "abababababababababababab"
		 "abababababababababababababababababababab");
	assert_memory_equal(set, buf, strlen(buf));
	assert_memory_equal(set + strlen(buf), enc[0], lens[0]);
	assert_memory_equal(set + setlen - 2, "]}", 2);

	expect_code(proto_set_decode(set, setlen, &d, &err), PROTO_OK, err);
	assert_int_equal(d.seq, 7);
	assert_memory_equal(d.device, dev, sizeof dev);
	assert_string_equal(d.device_hex, DEV);
	assert_memory_equal(d.prev, prev, sizeof prev);
	assert_int_equal(d.nchanges, 3);
	assert_string_equal(d.changes[0].kind->name, "model");
	assert_int_equal(d.changes[0].op, PROTO_OP_CREATE);
	assert_true(d.changes[0].hlc == HLC0 + 1);
	assert_int_equal(d.changes[2].op, PROTO_OP_DELETE);
	assert_null(d.changes[2].fields);
	assert_null(d.changes[2].base);
	/* Byte for byte: Vietnamese, Lao, a newline. */
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d.changes[0].fields,
							  "crop");
	assert_int_equal(strlen(v->valuestring), strlen(VI));
	assert_memory_equal(v->valuestring, VI, strlen(VI) + 1);
	v = cJSON_GetObjectItemCaseSensitive(d.changes[0].fields, "district");
	assert_memory_equal(v->valuestring, LO, strlen(LO) + 1);
	v = cJSON_GetObjectItemCaseSensitive(d.changes[1].fields, "notes");
	assert_memory_equal(v->valuestring, NOTES, strlen(NOTES) + 1);
	long long h = 0;
	assert_int_equal(proto_decimal_get(cJSON_GetObjectItemCaseSensitive(
		d.changes[1].fields, "sown_ha"), &h), 0);
	assert_int_equal(h, 380);
	/* Non-ASCII travels raw, not as \u escapes. */
	assert_true(contains(set, setlen, VI));
	assert_true(contains(set, setlen, LO));

	/* Re-encoding what was decoded gives the same bytes. */
	char *enc2[3];
	size_t lens2[3];
	for (int i = 0; i < 3; i++) {
		enc2[i] = encode_ok(&d.changes[i], &lens2[i]);
		assert_int_equal(lens2[i], lens[i]);
		assert_memory_equal(enc2[i], enc[i], lens[i]);
	}
	expect_code(proto_set_encode(d.device, d.seq, d.prev,
				     (const char *const *)enc2, lens2, 3,
				     &again, &againlen, &err), PROTO_OK, err);
	assert_int_equal(againlen, setlen);
	assert_memory_equal(again, set, setlen);

	/* One change alone decodes too (the outbox form). */
	cJSON *root = NULL;
	proto_change one;
	expect_code(proto_change_decode(enc[1], lens[1], &root, &one, &err),
		    PROTO_OK, err);
	assert_non_null(root);
	char *enc3;
	size_t len3;
	enc3 = encode_ok(&one, &len3);
	assert_int_equal(len3, lens[1]);
	assert_memory_equal(enc3, enc[1], len3);
	free(enc3);
	cJSON_Delete(root);
	root = (cJSON *)1;
	expect_code(proto_change_decode("{\"id\":1}", 8, &root, &one, &err),
		    PROTO_E_TYPE, err);
	assert_null(root);

	for (int i = 0; i < 3; i++) {
		free(enc[i]);
		free(enc2[i]);
		tc_free(&t[i]);
	}
	free(set);
	free(again);
	proto_set_free(&d);
	proto_set_free(&d); /* a zeroed set is accepted */
}

/* ---- strict decode: every bad input ------------------------------------- */

#define CH_MODEL(hlc, fields) \
	"{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"create\"," \
	"\"hlc\":\"" hlc "\",\"fields\":{" fields "}}"
#define F_OK "\"crop\":\"Ngô nếp\",\"province\":\"Salavan\"," \
	     "\"planned_ha\":3.8,\"planned_households\":42"
#define SET(seq, changes) \
	"{\"v\":2,\"device\":\"" DEV "\",\"seq\":" seq ",\"prev\":\"" Z64 \
	"\",\"changes\":[" changes "]}"
#define SET1(change) SET("1", change)

static void decode_bad(const char *bytes, size_t len, proto_code want,
		       int index, const char *msg_has)
{
	proto_set d;
	proto_err err;
	static const proto_set zero;

	memset(&d, 0x77, sizeof d);
	proto_code rc = proto_set_decode(bytes, len, &d, &err);
	if (rc == PROTO_OK) {
		/* Free before failing: a wrongly accepted set must not show
		** up as a leak under the sanitizers. */
		proto_set_free(&d);
		fail_msg("accepted, want %s: %.*s", proto_code_name(want),
			 (int)(len > 300 ? 300 : len), bytes);
	}
	expect_code(rc, want, err);
	assert_int_equal(err.code, want);
	if (err.index != index)
		fail_msg("index %d, want %d (\"%s\")", err.index, index,
			 err.msg);
	if (msg_has)
		expect_msg_has(err, msg_has);
	assert_memory_equal(&d, &zero, sizeof d); /* *out zeroed */
}

#define BAD(s, code, index, name) decode_bad(s, strlen(s), code, index, name)

static void test_decode_good_baseline(void **state)
{
	/* The sets below differ from this one by one defect each. */
	static const char good[] = SET1(CH_MODEL("019d36e3ec000001", F_OK));
	proto_set d;
	proto_err err;

	(void)state;
	expect_code(proto_set_decode(good, strlen(good), &d, &err), PROTO_OK,
		    err);
	proto_set_free(&d);
}

static void test_decode_refusals(void **state)
{
	(void)state;
	/* malformed JSON */
	BAD("", PROTO_E_JSON, -1, NULL);
	BAD("{", PROTO_E_JSON, -1, NULL);
	BAD("fieldsync", PROTO_E_JSON, -1, NULL);
	BAD(SET1(CH_MODEL("019d36e3ec000001", F_OK)) "x", PROTO_E_JSON, -1,
	    NULL);
	BAD(SET1(CH_MODEL("019d36e3ec000001", F_OK)) "{}", PROTO_E_JSON, -1,
	    NULL);
	BAD("[" SET1(CH_MODEL("019d36e3ec000001", F_OK)) "]", PROTO_E_TYPE, -1,
	    NULL);
	/* duplicate keys at every level */
	BAD("{\"v\":2,\"v\":2,\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "]}",
	    PROTO_E_DUPLICATE_KEY, -1, "v");
	BAD(SET1("{\"id\":\"" ID1 "\",\"op\":\"delete\",\"kind\":\"model\","
		 "\"op\":\"delete\",\"hlc\":\"019d36e3ec000001\"}"),
	    PROTO_E_DUPLICATE_KEY, -1, "op");
	BAD(SET1(CH_MODEL("019d36e3ec000001", F_OK ",\"planned_ha\":5")),
	    PROTO_E_DUPLICATE_KEY, -1, "planned_ha");
	/* unknown members, kinds, fields */
	BAD("{\"v\":2,\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "],"
	    "\"extra\":true}", PROTO_E_UNKNOWN_FIELD, -1, "extra");
	BAD(SET1("{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"delete\","
		 "\"hlc\":\"019d36e3ec000001\",\"why\":1}"),
	    PROTO_E_UNKNOWN_FIELD, 0, "why");
	BAD(SET1("{\"id\":\"" ID1 "\",\"kind\":\"meeting\",\"op\":\"delete\","
		 "\"hlc\":\"019d36e3ec000001\"}"), PROTO_E_UNKNOWN_KIND, 0,
	    "meeting");
	BAD(SET1(CH_MODEL("019d36e3ec000001", F_OK ",\"color\":\"green\"")),
	    PROTO_E_UNKNOWN_FIELD, 0, "color");
	/* wrong types */
	BAD(SET("\"1\"", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_TYPE, -1,
	    "seq");
	BAD("{\"v\":\"1\",\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "]}",
	    PROTO_E_TYPE, -1, "v");
	BAD("{\"v\":2,\"device\":7,\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "]}",
	    PROTO_E_TYPE, -1, "device");
	BAD("{\"v\":2,\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":{}}", PROTO_E_TYPE, -1, "changes");
	BAD(SET1("[]"), PROTO_E_TYPE, 0, "change");
	BAD(SET1("{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"update\","
		 "\"hlc\":\"019d36e3ec000001\",\"fields\":[1]}"),
	    PROTO_E_TYPE, 0, "fields");
	BAD(SET1("{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"delete\","
		 "\"hlc\":19}"), PROTO_E_TYPE, 0, "hlc");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":[\"x\"],"
			  "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			  "\"planned_households\":42")),
	    PROTO_E_TYPE, 0, "crop");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"x\","
			  "\"province\":\"Salavan\",\"planned_ha\":\"3.8\","
			  "\"planned_households\":42")),
	    PROTO_E_TYPE, 0, "planned_ha");
	/* missing members and fields */
	BAD("{\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "]}",
	    PROTO_E_MISSING, -1, "v");
	BAD("{\"v\":2,\"seq\":1,\"prev\":\"" Z64 "\",\"changes\":["
	    CH_MODEL("019d36e3ec000001", F_OK) "]}", PROTO_E_MISSING, -1,
	    "device");
	BAD("{\"v\":2,\"device\":\"" DEV "\",\"prev\":\"" Z64 "\",\"changes\":["
	    CH_MODEL("019d36e3ec000001", F_OK) "]}", PROTO_E_MISSING, -1,
	    "seq");
	BAD("{\"v\":2,\"device\":\"" DEV "\",\"seq\":1,\"changes\":["
	    CH_MODEL("019d36e3ec000001", F_OK) "]}", PROTO_E_MISSING, -1,
	    "prev");
	BAD("{\"v\":2,\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"" Z64 "\"}",
	    PROTO_E_MISSING, -1, "changes");
	BAD(SET1(""), PROTO_E_MISSING, -1, "changes");
	BAD(SET1("{\"kind\":\"model\",\"op\":\"delete\","
		 "\"hlc\":\"019d36e3ec000001\"}"), PROTO_E_MISSING, 0, "id");
	BAD(SET1("{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"delete\"}"),
	    PROTO_E_MISSING, 0, "hlc");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"x\","
			  "\"province\":\"Salavan\",\"planned_ha\":3.8")),
	    PROTO_E_MISSING, 0, "planned_households");
	BAD(SET1("{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"create\","
		 "\"hlc\":\"019d36e3ec000001\"}"), PROTO_E_MISSING, 0,
	    "fields");
	/* out of range numbers */
	BAD(SET("0", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_RANGE, -1,
	    "seq");
	BAD(SET("-3", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_RANGE, -1,
	    "seq");
	/* a fraction is the wrong type for an integer (SPEC 3.1), as for an
	** int field; only an integral value can be out of range */
	BAD(SET("1.5", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_TYPE, -1,
	    "seq");
	BAD(SET("-0.5", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_TYPE, -1,
	    "seq");
	BAD(SET("1e300", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_RANGE,
	    -1, "seq");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"x\","
			  "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			  "\"planned_households\":1e20")),
	    PROTO_E_RANGE, 0, "planned_households");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"x\","
			  "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			  "\"planned_households\":-1e300")),
	    PROTO_E_RANGE, 0, "planned_households");
	BAD(SET("9007199254740992", CH_MODEL("019d36e3ec000001", F_OK)),
	    PROTO_E_RANGE, -1, "seq");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"x\","
			  "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			  "\"planned_households\":100001")),
	    PROTO_E_RANGE, 0, "planned_households");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"x\","
			  "\"province\":\"Salavan\",\"planned_ha\":1e7,"
			  "\"planned_households\":1")),
	    PROTO_E_RANGE, 0, "planned_ha");
	/* version */
	BAD("{\"v\":1,\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "]}",
	    PROTO_E_VERSION, -1, "2");
	/* invalid UTF-8 anywhere in the bytes; a NUL byte */
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"Ng\xC3\","
			  "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			  "\"planned_households\":42")),
	    PROTO_E_UTF8, -1, NULL);
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"\xED\xA0\x80\","
			  "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			  "\"planned_households\":42")),
	    PROTO_E_UTF8, -1, NULL);
	{
		static const char withnul[] = SET1(CH_MODEL("019d36e3ec000001",
							   F_OK)) "\0";
		decode_bad(withnul, sizeof withnul - 1, PROTO_E_UTF8, -1, NULL);
	}
	/* over-long strings: 2001 bytes of notes */
	{
		char *s = malloc(4000), *notes = malloc(2002);
		memset(notes, 'n', 2001);
		notes[2001] = '\0';
		snprintf(s, 4000, SET1("{\"id\":\"" ID2 "\",\"kind\":\"progress\","
			 "\"op\":\"create\",\"hlc\":\"019d36e3ec000001\","
			 "\"fields\":{\"model\":\"" ID1 "\",\"date\":"
			 "\"2025-07-15\",\"sown_ha\":3.8,\"households\":42,"
			 "\"notes\":\"%s\"}}"), notes);
		BAD(s, PROTO_E_TOO_LONG, 0, "notes");
		notes[2000] = '\0'; /* exactly the limit: accepted */
		snprintf(s, 4000, SET1("{\"id\":\"" ID2 "\",\"kind\":\"progress\","
			 "\"op\":\"create\",\"hlc\":\"019d36e3ec000001\","
			 "\"fields\":{\"model\":\"" ID1 "\",\"date\":"
			 "\"2025-07-15\",\"sown_ha\":3.8,\"households\":42,"
			 "\"notes\":\"%s\"}}"), notes);
		proto_set d;
		proto_err err;
		expect_code(proto_set_decode(s, strlen(s), &d, &err), PROTO_OK,
			    err);
		proto_set_free(&d);
		free(s);
		free(notes);
	}
	/* formats */
	BAD("{\"v\":2,\"device\":\"" DEV "0\",\"seq\":1,\"prev\":\"" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "]}",
	    PROTO_E_FORMAT, -1, "device");
	BAD("{\"v\":2,\"device\":\"" DEV "\",\"seq\":1,\"prev\":\"X" Z64
	    "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK) "]}",
	    PROTO_E_FORMAT, -1, "prev");
	BAD(SET1(CH_MODEL("019D36E3EC000001", F_OK)), PROTO_E_FORMAT, 0,
	    "hlc");
	BAD(SET1(CH_MODEL("019d36e3ec000001", F_OK ",\"start\":\"2026-04-31\"")),
	    PROTO_E_DATE, 0, "start");
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"x\","
			  "\"province\":\"Saravane\",\"planned_ha\":3.8,"
			  "\"planned_households\":42")),
	    PROTO_E_VALUE, 0, "province");
	/* ops */
	BAD(SET1("{\"id\":\"" ID1 "\",\"kind\":\"model\",\"op\":\"erase\","
		 "\"hlc\":\"019d36e3ec000001\"}"), PROTO_E_OP, 0, "erase");
	BAD(SET1("{\"id\":\"" ID2 "\",\"kind\":\"progress\",\"op\":\"delete\","
		 "\"hlc\":\"019d36e3ec000001\"}"), PROTO_E_OP, 0, "progress");
	/* HLCs must strictly increase; the second change is named */
	BAD(SET1(CH_MODEL("019d36e3ec000002", F_OK) ","
		 CH_MODEL("019d36e3ec000002", F_OK)), PROTO_E_HLC_ORDER, 1,
	    "hlc");
	BAD(SET1(CH_MODEL("019d36e3ec000002", F_OK) ","
		 CH_MODEL("019d36e3ec000003", F_OK) ","
		 CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_HLC_ORDER, 2,
	    "hlc");
	/* a defect in the third change is reported with index 2 */
	BAD(SET1(CH_MODEL("019d36e3ec000001", F_OK) ","
		 CH_MODEL("019d36e3ec000002", F_OK) ","
		 CH_MODEL("019d36e3ec000003", F_OK ",\"color\":1")),
	    PROTO_E_UNKNOWN_FIELD, 2, "color");
}

/* A refusal names the set's seq whenever the decoder could read it: the
** bytes are strict JSON, an object, "v" is 1 and "seq" is valid (SPEC
** 10.2); err.seq is 0 otherwise. A push refusal without it leaves a client
** that follows SPEC 11.5 unable to rebuild (issue 9 item 14). */
static char *many_deletes(size_t n, size_t *len);

static void refused_seq(const char *bytes, proto_code want, int index,
			int64_t want_seq)
{
	proto_set d;
	proto_err err;
	proto_code rc = proto_set_decode(bytes, strlen(bytes), &d, &err);

	if (rc == PROTO_OK)
		proto_set_free(&d);
	expect_code(rc, want, err);
	if (err.index != index)
		fail_msg("index %d, want %d (\"%s\")", err.index, index,
			 err.msg);
	if (err.seq != want_seq)
		fail_msg("err.seq %lld, want %lld (%s: \"%s\")",
			 (long long)err.seq, (long long)want_seq,
			 proto_code_name(rc), err.msg);
}

static void test_refusal_seq(void **state)
{
	char *many;
	size_t len;

	(void)state;
	/* change-level refusals: the seq was read before the changes */
	refused_seq(SET("7", CH_MODEL("019d36e3ec000001", F_OK ",\"color\":1")),
		    PROTO_E_UNKNOWN_FIELD, 0, 7);
	refused_seq(SET("7", CH_MODEL("019d36e3ec000001", F_OK) ","
			CH_MODEL("019d36e3ec000002", "\"crop\":\"x\","
				 "\"province\":\"Salavan\",\"planned_ha\":3.8,"
				 "\"planned_households\":100001")),
		    PROTO_E_RANGE, 1, 7);
	refused_seq(SET("9007199254740991",
			CH_MODEL("019d36e3ec000002", F_OK) ","
			CH_MODEL("019d36e3ec000001", F_OK)),
		    PROTO_E_HLC_ORDER, 1, 9007199254740991LL);
	refused_seq(SET("12", ""), PROTO_E_MISSING, -1, 12);
	/* set-level refusals of a set whose seq is valid: named too, also
	** when the failing check comes before seq in the order of 6.3 */
	refused_seq("{\"v\":2,\"device\":\"" DEV "\",\"seq\":5,\"prev\":\""
		    Z64 "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK)
		    "],\"extra\":true}", PROTO_E_UNKNOWN_FIELD, -1, 5);
	refused_seq("{\"v\":2,\"device\":\"" DEV "0\",\"seq\":5,\"prev\":\""
		    Z64 "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK)
		    "]}", PROTO_E_FORMAT, -1, 5);
	refused_seq("{\"v\":2,\"seq\":5,\"prev\":\"" Z64 "\",\"changes\":["
		    CH_MODEL("019d36e3ec000001", F_OK) "]}", PROTO_E_MISSING,
		    -1, 5);
	many = many_deletes(PROTO_MAX_CHANGES + 1, &len);
	refused_seq(many, PROTO_E_TOO_MANY, -1, 1);
	free(many);
	/* not readable: no seq, a bad one, another version, not strict
	** JSON (syntax, UTF-8, duplicate keys), not an object */
	refused_seq("{\"v\":2,\"device\":\"" DEV "\",\"prev\":\"" Z64
		    "\",\"changes\":[]}", PROTO_E_MISSING, -1, 0);
	refused_seq(SET("0", CH_MODEL("019d36e3ec000001", F_OK)),
		    PROTO_E_RANGE, -1, 0);
	refused_seq(SET("2.5", CH_MODEL("019d36e3ec000001", F_OK)),
		    PROTO_E_TYPE, -1, 0);
	refused_seq(SET("\"3\"", CH_MODEL("019d36e3ec000001", F_OK)),
		    PROTO_E_TYPE, -1, 0);
	refused_seq("{\"v\":1,\"device\":\"" DEV "\",\"seq\":5,\"prev\":\""
		    Z64 "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK)
		    "]}", PROTO_E_VERSION, -1, 0);
	refused_seq("{\"device\":\"" DEV "\",\"seq\":5,\"prev\":\""
		    Z64 "\",\"changes\":[" CH_MODEL("019d36e3ec000001", F_OK)
		    "]}", PROTO_E_MISSING, -1, 0);
	refused_seq(SET("5", CH_MODEL("019d36e3ec000001", F_OK)) "x",
		    PROTO_E_JSON, -1, 0);
	refused_seq(SET("5", CH_MODEL("019d36e3ec000001",
				      F_OK ",\"crop\":\"y\"")),
		    PROTO_E_DUPLICATE_KEY, -1, 0);
	refused_seq("[" SET("5", CH_MODEL("019d36e3ec000001", F_OK)) "]",
		    PROTO_E_TYPE, -1, 0);
	/* accepted: err cleared */
	refused_seq(SET("5", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_OK, -1,
		    0);
}

/* Strictness (protocol/REQUESTS.md S1/2, S2, 3, fixed 12:20): cJSON alone
** accepts these bytes; an interoperable decoder must not. */
static void test_decode_nul_escape(void **state)
{
	/* "a\u0000b": cJSON stores "a" and drops the rest silently, so the
	** value every replica stores differs from the value that was signed.
	** The lead's decision: refused by the RFC 8259 scan, malformed_json. */
	(void)state;
	BAD(SET1(CH_MODEL("019d36e3ec000001", "\"crop\":\"a\\u0000b\","
			  "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			  "\"planned_households\":42")),
	    PROTO_E_JSON, -1, NULL);
	/* An escaped backslash before "u0000" is no NUL: accepted. */
	static const char ok[] = SET1(CH_MODEL("019d36e3ec000001",
		"\"crop\":\"a\\\\u0000b\",\"province\":\"Salavan\","
		"\"planned_ha\":3.8,\"planned_households\":42"));
	proto_set d;
	proto_err err;
	expect_code(proto_set_decode(ok, strlen(ok), &d, &err), PROTO_OK, err);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		d.changes[0].fields, "crop")->valuestring, "a\\u0000b");
	proto_set_free(&d);
}

static void test_decode_non_rfc_json(void **state)
{
	/* RFC 8259 has no leading zeros, no bare trailing dot, and only
	** space, tab, CR and LF as whitespace; another language's JSON parser
	** refuses these bytes, so must we. */
	(void)state;
	BAD(SET("01", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_JSON, -1,
	    NULL);
	BAD(SET("1.", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_JSON, -1,
	    NULL);
	BAD("\x01" SET1(CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_JSON, -1,
	    NULL);
	BAD(SET("\x0b" "1", CH_MODEL("019d36e3ec000001", F_OK)), PROTO_E_JSON,
	    -1, NULL);
}

/* ---- limits ------------------------------------------------------------- */

/* n visit deletes with increasing HLCs, as one set's bytes. */
static char *many_deletes(size_t n, size_t *len)
{
	size_t cap = 200 + n * 120, off;
	char *s = malloc(cap);
	assert_non_null(s);
	off = (size_t)snprintf(s, cap, "{\"v\":2,\"device\":\"" DEV "\","
			       "\"seq\":1,\"prev\":\"" Z64 "\",\"changes\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off,
			"%s{\"id\":\"a5%030zx\",\"kind\":\"visit\","
			"\"op\":\"delete\",\"hlc\":\"%016llx\",\"reason\":\"x\"}",
			i ? "," : "",
			i, (unsigned long long)(HLC0 + 1 + i));
	off += (size_t)snprintf(s + off, cap - off, "]}");
	*len = off;
	return s;
}

static void test_limits(void **state)
{
	size_t len;
	char *s;
	proto_set d;
	proto_err err;

	(void)state;
	s = many_deletes(PROTO_MAX_CHANGES, &len);
	expect_code(proto_set_decode(s, len, &d, &err), PROTO_OK, err);
	assert_int_equal(d.nchanges, PROTO_MAX_CHANGES);
	proto_set_free(&d);
	free(s);
	s = many_deletes(PROTO_MAX_CHANGES + 1, &len);
	decode_bad(s, len, PROTO_E_TOO_MANY, -1, "2000");
	free(s);

	/* More bytes than a set may have: refused before parsing. */
	len = PROTO_MAX_SET_BYTES + 1;
	s = malloc(len);
	memset(s, ' ', len);
	s[0] = '{';
	s[len - 1] = '}';
	decode_bad(s, len, PROTO_E_TOO_LARGE, -1, NULL);
	free(s);

	/* The encoder enforces the same limits. */
	const char *one = "{}";
	size_t onel = 2;
	const char **many = malloc((PROTO_MAX_CHANGES + 1) * sizeof *many);
	size_t *lens = malloc((PROTO_MAX_CHANGES + 1) * sizeof *lens);
	for (size_t i = 0; i <= PROTO_MAX_CHANGES; i++) {
		many[i] = one;
		lens[i] = onel;
	}
	char *out = (char *)1;
	expect_code(proto_set_encode(dev, 1, zeros, many, lens,
				     PROTO_MAX_CHANGES + 1, &out, &len, &err),
		    PROTO_E_TOO_MANY, err);
	assert_null(out);
	expect_code(proto_set_encode(dev, 1, zeros, many, lens, 0, &out, &len,
				     &err), PROTO_E_MISSING, err);
	expect_code(proto_set_encode(dev, 0, zeros, many, lens, 1, &out, &len,
				     &err), PROTO_E_RANGE, err);
	expect_msg_has(err, "seq");
	expect_code(proto_set_encode(dev, PROTO_MAX_SEQ + 1, zeros, many, lens,
				     1, &out, &len, &err), PROTO_E_RANGE, err);
	char *huge = malloc(PROTO_MAX_SET_BYTES);
	memset(huge, 'x', PROTO_MAX_SET_BYTES);
	many[0] = huge;
	lens[0] = PROTO_MAX_SET_BYTES;
	expect_code(proto_set_encode(dev, 1, zeros, many, lens, 1, &out, &len,
				     &err), PROTO_E_TOO_LARGE, err);
	assert_null(out);
	free(huge);
	free(many);
	free(lens);
}

/* ---- hashing, signing, keys --------------------------------------------- */

static void test_hash(void **state)
{
	uint8_t h[PROTO_HASH_BYTES];
	char hex[PROTO_HASH_HEX + 1];

	(void)state;
	/* BLAKE2b-256 reference values (RFC 7693 parameters, 32-byte out). */
	proto_set_hash("", 0, h);
	proto_hex_encode(hex, h, sizeof h);
	assert_string_equal(hex, "0e5751c026e543b2e8ab2eb06099daa1"
			    "d1e5df47778f7787faab45cdf12fe3a8");
	proto_set_hash("abc", 3, h);
	proto_hex_encode(hex, h, sizeof h);
	assert_string_equal(hex, "bddd813c634239723171ef3fee98579b"
			    "94964e3bb1cb3e427262c8c068d52319");
	/* Only len bytes count. */
	proto_set_hash("abcdef", 3, h);
	proto_hex_encode(hex, h, sizeof h);
	assert_string_equal(hex, "bddd813c634239723171ef3fee98579b"
			    "94964e3bb1cb3e427262c8c068d52319");
}

static void test_sign_verify(void **state)
{
	static const char bytes[] = SET1(CH_MODEL("019d36e3ec000001", F_OK));
	size_t len = sizeof bytes - 1;
	uint8_t pk[32], sk[64], pk2[32], sk2[64], sig[64], bad[64];
	char sighex[PROTO_SIG_HEX + 1];
	proto_err err;

	(void)state;
	proto_keypair(pk, sk);
	proto_keypair(pk2, sk2);
	assert_memory_not_equal(pk, pk2, 32);
	proto_set_sign(bytes, len, sk, sig);
	expect_code(proto_set_verify(bytes, len, sig, 64, pk, &err), PROTO_OK,
		    err);
	proto_hex_encode(sighex, sig, 64);
	expect_code(proto_set_verify_hex(bytes, len, sighex, pk, &err),
		    PROTO_OK, err);

	/* Another key. */
	expect_code(proto_set_verify(bytes, len, sig, 64, pk2, &err),
		    PROTO_E_BAD_SIG, err);
	/* One byte of the set changed. */
	char *t = strdup(bytes);
	t[strlen(t) - 10] ^= 1;
	expect_code(proto_set_verify(t, len, sig, 64, pk, &err),
		    PROTO_E_BAD_SIG, err);
	free(t);
	/* One byte fewer. */
	expect_code(proto_set_verify(bytes, len - 1, sig, 64, pk, &err),
		    PROTO_E_BAD_SIG, err);
	/* One bit of the signature. */
	memcpy(bad, sig, 64);
	bad[10] ^= 0x20;
	expect_code(proto_set_verify(bytes, len, bad, 64, pk, &err),
		    PROTO_E_BAD_SIG, err);
	/* Wrong lengths. */
	expect_code(proto_set_verify(bytes, len, sig, 63, pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	expect_msg_has(err, "64");
	expect_code(proto_set_verify(bytes, len, sig, 65, pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	expect_code(proto_set_verify(bytes, len, NULL, 64, pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	char h2[PROTO_SIG_HEX + 3];
	memcpy(h2, sighex, 126);
	h2[126] = '\0';
	expect_code(proto_set_verify_hex(bytes, len, h2, pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	snprintf(h2, sizeof h2, "%s00", sighex);
	expect_code(proto_set_verify_hex(bytes, len, h2, pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	snprintf(h2, sizeof h2, "%s", sighex);
	for (char *p = h2; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	expect_code(proto_set_verify_hex(bytes, len, h2, pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	expect_code(proto_set_verify_hex(bytes, len, "", pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	expect_code(proto_set_verify_hex(bytes, len, NULL, pk, &err),
		    PROTO_E_SIG_LENGTH, err);

	/* Domain separation: an Ed25519 signature of the raw bytes, or of
	** the bare hash, is not a change-set signature. */
	uint8_t h[32], raw[64];
	crypto_sign_detached(raw, NULL, (const unsigned char *)bytes, len, sk);
	expect_code(proto_set_verify(bytes, len, raw, 64, pk, &err),
		    PROTO_E_BAD_SIG, err);
	proto_set_hash(bytes, len, h);
	crypto_sign_detached(raw, NULL, h, 32, sk);
	expect_code(proto_set_verify(bytes, len, raw, 64, pk, &err),
		    PROTO_E_BAD_SIG, err);
	/* ...and the spec's message is exactly prefix || hash. */
	unsigned char msg[23 + 32];
	memcpy(msg, "fieldsync changeset v2\n", 23);
	memcpy(msg + 23, h, 32);
	crypto_sign_detached(raw, NULL, msg, sizeof msg, sk);
	assert_memory_equal(raw, sig, 64);
}

static void test_auth(void **state)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64];
	char sighex[PROTO_SIG_HEX + 1];
	const char *ch = "5f1c0e9a7b3d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
	proto_err err;

	(void)state;
	proto_keypair(pk, sk);
	proto_keypair(pk2, sk2);
	proto_auth_sign(ch, sk, sighex);
	assert_int_equal(strlen(sighex), PROTO_SIG_HEX);
	expect_code(proto_auth_verify(ch, sighex, pk, &err), PROTO_OK, err);
	expect_code(proto_auth_verify(ch, sighex, pk2, &err), PROTO_E_BAD_SIG,
		    err);
	expect_code(proto_auth_verify("another challenge", sighex, pk, &err),
		    PROTO_E_BAD_SIG, err);
	expect_code(proto_auth_verify(ch, "abcd", pk, &err),
		    PROTO_E_SIG_LENGTH, err);
	/* An auth signature is no change-set signature, and back. */
	expect_code(proto_set_verify_hex(ch, strlen(ch), sighex, pk, &err),
		    PROTO_E_BAD_SIG, err);
	uint8_t sig[64];
	proto_set_sign(ch, strlen(ch), sk, sig);
	proto_hex_encode(sighex, sig, 64);
	expect_code(proto_auth_verify(ch, sighex, pk, &err), PROTO_E_BAD_SIG,
		    err);
}

static void test_device_id(void **state)
{
	uint8_t pk[32], sk[64], id[16], want[16];

	(void)state;
	proto_keypair(pk, sk);
	proto_device_id(pk, id);
	crypto_generichash(want, 16, pk, 32, NULL, 0);
	assert_memory_equal(id, want, 16);
	/* The secret key holds the public key (libsodium layout): a pair. */
	assert_memory_equal(sk + 32, pk, 32);
}

/* ---- the chain ----------------------------------------------------------- */

static void decode_seq_prev(const char *seq, const char *prev, proto_set *d)
{
	char buf[1024];
	proto_err err;
	snprintf(buf, sizeof buf, "{\"v\":2,\"device\":\"" DEV "\",\"seq\":%s,"
		 "\"prev\":\"%s\",\"changes\":[%s]}", seq, prev,
		 CH_MODEL("019d36e3ec000001", F_OK));
	expect_code(proto_set_decode(buf, strlen(buf), d, &err), PROTO_OK, err);
}

static void test_chain(void **state)
{
	proto_set d;
	proto_err err;
	int next = -1;
	uint8_t h1[32];
	char h1hex[65], other[65];

	(void)state;
	memset(h1, 0xc4, sizeof h1);
	proto_hex_encode(h1hex, h1, 32);
	memcpy(other, h1hex, 65);
	other[0] = 'd';

	/* First set: seq 1, prev zeros, nothing held. */
	decode_seq_prev("1", Z64, &d);
	expect_code(proto_chain_check(0, zeros, &d, &next, &err), PROTO_OK,
		    err);
	assert_int_equal(next, 1);
	/* held_hash is ignored when nothing is held. */
	expect_code(proto_chain_check(0, h1, &d, &next, &err), PROTO_OK, err);
	assert_int_equal(next, 1);
	proto_set_free(&d);
	/* seq 1 with another prev: broken. */
	decode_seq_prev("1", h1hex, &d);
	expect_code(proto_chain_check(0, zeros, &d, &next, &err),
		    PROTO_E_CHAIN, err);
	assert_int_equal(next, 0);
	proto_set_free(&d);

	/* Next: seq 2 whose prev is the held hash. */
	decode_seq_prev("2", h1hex, &d);
	next = -1;
	expect_code(proto_chain_check(1, h1, &d, &next, &err), PROTO_OK, err);
	assert_int_equal(next, 1);
	/* Old: already held (duplicate or fork, the caller compares). */
	next = -1;
	expect_code(proto_chain_check(2, h1, &d, &next, &err), PROTO_OK, err);
	assert_int_equal(next, 0);
	next = -1;
	expect_code(proto_chain_check(9, h1, &d, &next, &err), PROTO_OK, err);
	assert_int_equal(next, 0);
	/* Gap: held 0, seq 2 arrives; the message names the expected seq. */
	next = -1;
	expect_code(proto_chain_check(0, zeros, &d, &next, &err),
		    PROTO_E_SEQ_GAP, err);
	assert_int_equal(next, 0);
	expect_msg_has(err, "1");
	proto_set_free(&d);
	decode_seq_prev("5", h1hex, &d);
	expect_code(proto_chain_check(2, h1, &d, &next, &err), PROTO_E_SEQ_GAP,
		    err);
	expect_msg_has(err, "3");
	proto_set_free(&d);
	/* Broken: seq held+1 but prev is another hash. */
	decode_seq_prev("2", other, &d);
	next = -1;
	expect_code(proto_chain_check(1, h1, &d, &next, &err), PROTO_E_CHAIN,
		    err);
	assert_int_equal(next, 0);
	proto_set_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_change_encode_canonical),
		cmocka_unit_test(test_change_encode_refusals),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_good_baseline),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_refusal_seq),
		cmocka_unit_test(test_decode_nul_escape),
		cmocka_unit_test(test_decode_non_rfc_json),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_device_id),
		cmocka_unit_test(test_chain),
	};
	return cmocka_run_group_tests_name("proto_changeset", tests, setup,
					   NULL);
}
