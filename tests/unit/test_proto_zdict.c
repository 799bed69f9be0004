/*
** This file contains the unit tests of the wire's zstd dictionary
** (protocol/zdict.h, protocol/zstd/): the bytes libproto embeds are the
** committed protocol/zstd/fieldsync-1.dict; the dictionary's header names
** PROTO_ZDICT_ID; a push body (a change set of the vectors in the shape of
** SPEC 10.6) makes the round trip through a frame made with the dictionary,
** that frame names the dictionary, cannot be read without it or with another
** dictionary, and is smaller than the frame made without it; and the
** training corpus is valid UTF-8 in NFC, one JSON object a line.
** Run from the repository's root (tests/run.sh does).
** Re-training the dictionary byte for byte is tests/e2e/zdict.t.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <uninorm.h>
#include <zdict.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "protocol/changeset.h"
#include "protocol/zdict.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void test_embedded_is_the_file(void **state)
{
	size_t len;
	char *file = slurp("protocol/zstd/fieldsync-1.dict", &len);

	(void)state;
	assert_int_equal(proto_zdict_len, len);
	assert_int_equal(proto_zdict_len, PROTO_ZDICT_BYTES);
	assert_memory_equal(proto_zdict, file, len);
	free(file);
}

static void test_dict_id(void **state)
{
	(void)state;
	assert_int_equal(ZSTD_getDictID_fromDict(proto_zdict, proto_zdict_len),
			 PROTO_ZDICT_ID);
	assert_int_equal(ZDICT_getDictID(proto_zdict, proto_zdict_len),
			 PROTO_ZDICT_ID);
	/* In the range RFC 8878 leaves unregistered (private use). */
	assert_true(PROTO_ZDICT_ID >= 32768u && PROTO_ZDICT_ID < 0x80000000u);
	/* A zstd dictionary (magic 0xEC30A437), not raw content. */
	assert_int_equal((unsigned char)proto_zdict[0], 0x37);
	assert_int_equal((unsigned char)proto_zdict[3], 0xec);
	assert_false(ZDICT_isError(ZDICT_getDictHeaderSize(proto_zdict,
							   proto_zdict_len)));
}

/* {"sets":[{"set":BYTES,"sig":HEX}]} of a vector set, as a client sends. */
static char *push_body(const char *name)
{
	char path[256], *bytes, *jtext, *body;
	size_t len;
	cJSON *j, *root, *arr, *o;
	const cJSON *sig;

	snprintf(path, sizeof path, "protocol/vectors/sets/%s.bytes", name);
	bytes = slurp(path, &len);
	snprintf(path, sizeof path, "protocol/vectors/sets/%s.json", name);
	jtext = slurp(path, &len);
	j = cJSON_Parse(jtext);
	assert_non_null(j);
	sig = cJSON_GetObjectItemCaseSensitive(j, "sig");
	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "sets");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "set", bytes);
	cJSON_AddStringToObject(o, "sig", cJSON_IsString(sig) ? sig->valuestring
							     : "00");
	cJSON_AddItemToArray(arr, o);
	body = cJSON_PrintUnformatted(root);
	assert_non_null(body);
	cJSON_Delete(root);
	cJSON_Delete(j);
	free(jtext);
	free(bytes);
	return body;
}

static void round_trip(const char *body, int level)
{
	size_t n = strlen(body), cap = ZSTD_compressBound(n), z, plain, back;
	char *frame = malloc(cap), *out = malloc(n + 1), *frame0 = malloc(cap);
	ZSTD_CDict *cd = ZSTD_createCDict(proto_zdict, proto_zdict_len, level);
	ZSTD_DDict *dd = ZSTD_createDDict(proto_zdict, proto_zdict_len);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	/* Another dictionary: raw content, its own id 0. */
	static const char other[] = "{\"sets\":[{\"set\":\"{\\\"v\\\":2,"
				    "\\\"device\\\":\\\"\"}]}";

	assert_non_null(frame);
	assert_non_null(out);
	assert_non_null(cd);
	assert_non_null(dd);
	z = ZSTD_compress_usingCDict(cc, frame, cap, body, n, cd);
	assert_false(ZSTD_isError(z));
	assert_int_equal(ZSTD_getDictID_fromFrame(frame, z), PROTO_ZDICT_ID);
	back = ZSTD_decompress_usingDDict(dc, out, n + 1, frame, z, dd);
	assert_false(ZSTD_isError(back));
	assert_int_equal(back, n);
	assert_memory_equal(out, body, n);
	/* Without the dictionary, or with another, the frame is unreadable. */
	back = ZSTD_decompressDCtx(dc, out, n + 1, frame, z);
	assert_true(ZSTD_isError(back));
	assert_int_equal(ZSTD_getErrorCode(back), ZSTD_error_dictionary_wrong);
	back = ZSTD_decompress_usingDict(dc, out, n + 1, frame, z, other,
					 sizeof other - 1);
	assert_true(ZSTD_isError(back));
	/* The dictionary earns its place on a small body. */
	plain = ZSTD_compressCCtx(cc, frame0, cap, body, n, level);
	assert_false(ZSTD_isError(plain));
	if (!(z < plain))
		fail_msg("level %d: %zu bytes with the dictionary, %zu without",
			 level, z, plain);
	ZSTD_freeCDict(cd);
	ZSTD_freeDDict(dd);
	ZSTD_freeCCtx(cc);
	ZSTD_freeDCtx(dc);
	free(frame);
	free(frame0);
	free(out);
}

static void test_round_trip(void **state)
{
	static const char *const names[] = {"valid_all_ops",
					    "valid_create_then_update",
					    "valid_bob_update"};

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char *body = push_body(names[i]);
		round_trip(body, 3);
		round_trip(body, 19);
		free(body);
	}
}

static void test_corpus_text(void **state)
{
	size_t len, lines = 0;
	char *text = slurp("protocol/zstd/corpus/records.jsonl", &len), *p, *nl;

	(void)state;
	assert_true(proto_utf8_valid(text, len));
	for (p = text; p < text + len; p = nl + 1) {
		size_t l, nlen = 0;
		uint8_t *norm;
		cJSON *j;
		proto_err err;
		nl = memchr(p, '\n', (size_t)(text + len - p));
		assert_non_null(nl); /* every line ends */
		l = (size_t)(nl - p);
		norm = u8_normalize(UNINORM_NFC, (const uint8_t *)p, l, NULL,
				    &nlen);
		assert_non_null(norm);
		if (nlen != l || memcmp(norm, p, l))
			fail_msg("records.jsonl line %zu is not NFC", lines + 1);
		free(norm);
		if (proto_json_parse(p, l, &j, &err) != PROTO_OK)
			fail_msg("line %zu: %s", lines + 1, err.msg);
		assert_true(cJSON_IsObject(j));
		assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "kind")));
		assert_true(cJSON_IsObject(cJSON_GetObjectItem(j, "fields")));
		cJSON_Delete(j);
		lines++;
	}
	/* A few hundred to two thousand records. */
	assert_true(lines >= 300 && lines <= 2000);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_is_the_file),
		cmocka_unit_test(test_dict_id),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_corpus_text),
	};
	if (proto_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("proto_zdict", tests, NULL, NULL);
}
