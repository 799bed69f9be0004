/*
** Unit tests of protocol/wire.c: zstd frames with the protocol's
** dictionary round-trip; a frame that names no dictionary is read too; one
** whose header names another id fails as dictionary_wrong; a window over
** the limit is refused from the header; a context's memory after the
** largest allowed window stays within proto_zstd_dctx_cost().
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "protocol/wire.h"
#include "protocol/zdict.h"

static const char body[] =
	"{\"sets\":[{\"set\":\"{\\\"v\\\":2,\\\"device\\\":\\\"0123456789abcdef"
	"0123456789abcdef\\\",\\\"seq\\\":3,\\\"changes\\\":[{\\\"op\\\":\\\"create"
	"\\\",\\\"kind\\\":\\\"visit\\\",\\\"fields\\\":{\\\"province\\\":\\\"Salavan"
	"\\\",\\\"leader\\\":\\\"Nguyễn Thị Hoa\\\",\\\"host\\\":\\\"ພະແນກກະສິກຳ"
	"\\\"}}]}\",\"sig\":\"00\"}]}";

/* Decode n bytes of frame with ctx into out (cap); the last return of
** ZSTD_decompressStream, *outlen what came out. */
static size_t decode(ZSTD_DCtx *d, const void *frame, size_t n, void *out,
		     size_t cap, size_t *outlen)
{
	ZSTD_inBuffer in = { frame, n, 0 };
	ZSTD_outBuffer o = { out, cap, 0 };
	size_t zr = 1;

	while (in.pos < in.size || zr) {
		size_t before = o.pos + in.pos;
		zr = ZSTD_decompressStream(d, &o, &in);
		if (ZSTD_isError(zr) || o.pos + in.pos == before)
			break;
	}
	*outlen = o.pos;
	return zr;
}

/* z (n bytes) names the dictionary or none as dict says and decodes with
** d to exactly body; d is left ready for the next frame. */
static void assert_body_frame(ZSTD_DCtx *d, const unsigned char *z, size_t n,
			      int dict)
{
	unsigned char out[4096];
	size_t m;

	assert_int_equal(ZSTD_getDictID_fromFrame(z, n),
			 dict ? PROTO_ZDICT_ID : 0);
	assert_int_equal(decode(d, z, n, out, sizeof out, &m), 0);
	assert_int_equal(m, sizeof body - 1);
	assert_memory_equal(out, body, m);
	assert_int_equal(ZSTD_DCtx_reset(d, ZSTD_reset_session_only), 0);
}

static void test_round_trip(void **state)
{
	size_t n;
	unsigned char *z;
	ZSTD_DCtx *d = proto_zstd_dctx();
	int dict;

	(void)state;
	assert_non_null(d);
	for (dict = 0; dict <= 1; dict++) {
		z = proto_zstd_compress(body, sizeof body - 1, dict, 19, &n);
		assert_non_null(z);
		assert_body_frame(d, z, n, dict);
		free(z);
	}
	ZSTD_freeDCtx(d);
}

/* One kept context, body after body at levels and dictionaries that
** change each time (as a client's pass does), makes exactly the frames a
** fresh context makes: nothing of one body's settings leaks into the
** next (a dictionary left referenced, a level, the window). */
static void test_kept_context(void **state)
{
	static const struct { int dict, level; } runs[] = {
		{ 1, 19 }, { 1, 6 }, { 0, 3 }, { 1, 3 }, { 0, 19 }, { 1, 19 },
	};
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_DCtx *d = proto_zstd_dctx();
	size_t i;

	(void)state;
	assert_non_null(c);
	assert_non_null(d);
	for (i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		size_t n, k;
		unsigned char *z = proto_zstd_compress_ctx(c, body, sizeof body - 1,
							   runs[i].dict,
							   runs[i].level, 0, &n);
		unsigned char *f = proto_zstd_compress(body, sizeof body - 1,
						       runs[i].dict,
						       runs[i].level, &k);

		assert_non_null(z);
		assert_non_null(f);
		assert_int_equal(n, k);
		assert_memory_equal(z, f, n);
		assert_body_frame(d, z, n, runs[i].dict);
		free(z);
		free(f);
	}
	ZSTD_freeCCtx(c);
	ZSTD_freeDCtx(d);
}

/* Level 19 with its tables capped (what a client uses for a large body
** on a slow link): a frame any receiver decodes, with the window the
** protocol allows, from a context whose tables stay at the cap's size. */
static void test_capped_tables(void **state)
{
	size_t big = (size_t)1 << 20, n, m = 0, zr, cap = (size_t)1 << 21;
	char *in = malloc(big), *out = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_DCtx *d = proto_zstd_dctx();
	unsigned char *z;
	size_t i;

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	for (i = 0; i < big; i++)
		in[i] = "Attapeu Champasak Salavan Sekong "[(i * 7 + i / 97) % 33];
	z = proto_zstd_compress_ctx(c, in, big, 1, 19, 18, &n);
	assert_non_null(z);
	print_message("1 MiB at level 19, tables 2^18: %zu bytes, context %zu\n",
		      n, ZSTD_sizeof_CCtx(c));
	assert_true(ZSTD_sizeof_CCtx(c) < (size_t)8 << 20);
	/* proto_zstd_dctx refuses a window over the protocol's. */
	zr = decode(d, z, n, (unsigned char *)out, cap, &m);
	assert_false(ZSTD_isError(zr));
	assert_int_equal(m, big);
	assert_memory_equal(out, in, big);
	free(z);
	free(in);
	free(out);
	ZSTD_freeCCtx(c);
	ZSTD_freeDCtx(d);
}

static void test_other_dictionary(void **state)
{
	size_t n, m;
	unsigned char *z, out[4096];
	ZSTD_DCtx *d = proto_zstd_dctx();
	const unsigned char id[4] = { PROTO_ZDICT_ID & 0xff,
				      (PROTO_ZDICT_ID >> 8) & 0xff,
				      (PROTO_ZDICT_ID >> 16) & 0xff,
				      (PROTO_ZDICT_ID >> 24) & 0xff };
	unsigned char *p;
	char why[160];
	size_t zr;

	(void)state;
	z = proto_zstd_compress(body, sizeof body - 1, 1, 3, &n);
	assert_non_null(z);
	/* The header's Dictionary_ID (4 bytes, little endian) names 7. */
	for (p = z; p + 4 <= z + 18 && memcmp(p, id, 4) != 0; p++)
		;
	assert_true(p + 4 <= z + 18);
	memcpy(p, "\x07\0\0\0", 4);
	assert_int_equal(ZSTD_getDictID_fromFrame(z, n), 7);
	zr = decode(d, z, n, out, sizeof out, &m);
	assert_true(ZSTD_isError(zr));
	assert_int_equal(ZSTD_getErrorCode(zr), ZSTD_error_dictionary_wrong);
	assert_non_null(strstr(proto_zstd_why(zr, why, sizeof why),
			       "dictionary"));
	free(z);
	ZSTD_freeDCtx(d);
}

static void test_window(void **state)
{
	size_t big = (size_t)4 << 20, n, m, zr, cap = 1 << 16;
	char *in = malloc(big), *out = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_DCtx *d = proto_zstd_dctx();
	unsigned char *z = malloc(ZSTD_compressBound(big));
	size_t i, total = 0;

	(void)state;
	assert_non_null(in);
	for (i = 0; i < big; i++) /* compressible, not trivially */
		in[i] = "Attapeu Champasak Salavan Sekong "[(i * 7 + i / 97) % 33];
	/* A window of 2^22: refused from the header. */
	assert_int_equal(ZSTD_isError(ZSTD_CCtx_setParameter(c,
			 ZSTD_c_windowLog, 22)), 0);
	n = ZSTD_compress2(c, z, ZSTD_compressBound(big), in, big);
	assert_false(ZSTD_isError(n));
	zr = decode(d, z, n, out, cap, &m);
	assert_true(ZSTD_isError(zr));
	assert_int_equal(ZSTD_getErrorCode(zr),
			 ZSTD_error_frameParameter_windowTooLarge);
	/* The largest window allowed decodes, in pieces, and the context
	** then holds no more than the cost a server budgets for it. */
	free(z);
	z = proto_zstd_compress(in, big, 1, 3, &n);
	assert_non_null(z);
	assert_int_equal(ZSTD_DCtx_reset(d, ZSTD_reset_session_only), 0);
	{
		ZSTD_inBuffer zi = { z, n, 0 };
		do {
			ZSTD_outBuffer o = { out, cap, 0 };
			zr = ZSTD_decompressStream(d, &o, &zi);
			assert_false(ZSTD_isError(zr));
			assert_memory_equal(out, in + total, o.pos);
			total += o.pos;
		} while (zr != 0);
	}
	assert_int_equal(total, big);
	print_message("context %zu bytes, cost %zu\n", ZSTD_sizeof_DCtx(d),
		      proto_zstd_dctx_cost());
	assert_true(ZSTD_sizeof_DCtx(d) <= proto_zstd_dctx_cost());
	free(z);
	free(in);
	free(out);
	ZSTD_freeCCtx(c);
	ZSTD_freeDCtx(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_kept_context),
		cmocka_unit_test(test_capped_tables),
		cmocka_unit_test(test_other_dictionary),
		cmocka_unit_test(test_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
