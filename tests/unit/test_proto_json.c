/*
** This file contains the bounded tests of the strict JSON parser on large
** and deep documents (issue 9 item 8): objects of up to 100,000 members,
** with a duplicate name at the first, last, middle and neighbouring
** positions, names sharing a long prefix, \u-escaped and non-ASCII names,
** nesting at and over the limit of 64. The cost of the duplicate-key check
** is checked by counting name comparisons (proto_json_name_compares), never
** by timing. The documents are built by tests/fuzz/fuzz_proto_json.c,
** included here so the fuzzer and these tests check the same properties;
** every input that fuzzer saved is replayed too.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static const char *current_input = "?";
#define FUZZ_FAIL(...) do { \
	print_error("input %s: ", current_input); \
	fail_msg(__VA_ARGS__); \
} while (0)
#include "tests/fuzz/fuzz_proto_json.c"
#include "tests/unit/corpus_replay.h"

static int setup(void **state)
{
	(void)state;
	return proto_init() == 0 ? 0 : -1;
}

/* k containers, one in the other: objects {"a":...} or arrays [...],
** around inner (a value, or "" for an empty innermost container). */
static void nest_expect(int k, int objects, const char *inner,
			proto_code want)
{
	fj_buf o = {NULL, 0, 0};

	for (int i = 0; i < k; i++)
		fj_puts(&o, objects ? (i == k - 1 && !*inner ? "{" : "{\"a\":")
				    : "[");
	fj_puts(&o, inner);
	for (int i = 0; i < k; i++)
		fj_puts(&o, objects ? "}" : "]");
	fj_expect(o.b, o.len, want, NULL, (size_t)k, 3);
	free(o.b);
}

static void nest_cases(void)
{
	for (int objects = 0; objects <= 1; objects++) {
		nest_expect(FJ_LIMIT, objects, "", PROTO_OK);
		nest_expect(FJ_LIMIT, objects, "1", PROTO_OK);
		nest_expect(FJ_LIMIT, objects, "\"x\"", PROTO_OK);
		nest_expect(FJ_LIMIT + 1, objects, "", PROTO_E_JSON);
		nest_expect(FJ_LIMIT + 1, objects, "1", PROTO_E_JSON);
		nest_expect(10000, objects, "", PROTO_E_JSON);
	}
}

/* The names a, aa, aaa, ... (n of them; each a prefix of the next), then,
** if again, the name of that many a's once more, written as escapes. */
static void prefix_names(size_t n, size_t again, proto_code want)
{
	fj_buf o = {NULL, 0, 0};

	fj_puts(&o, "{");
	for (size_t i = 1; i <= n; i++) {
		fj_puts(&o, i > 1 ? ",\"" : "\"");
		for (size_t k = 0; k < i; k++)
			fj_puts(&o, "a");
		fj_puts(&o, "\":0");
	}
	if (again) {
		fj_puts(&o, ",\"");
		for (size_t k = 0; k < again; k++)
			fj_puts(&o, k % 2 ? "a" : "\\u0061");
		fj_puts(&o, "\":1");
	}
	fj_puts(&o, "}");
	fj_expect(o.b, o.len, want, again ? "aaa" : NULL, n + !!again, n + 1);
	free(o.b);
}

static void json_cases(void)
{
	static const char *const raw[] = {
		"{\"a\":1,\"\\u0061\":2}",
		"{\"a\":1,\"b\":{\"a\":1,\"b\":[{\"c\":1},{\"c\":2}]}}",
		"[{\"x\":1,\"x\":1}]",
		"{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
		"{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,"
		"\"k7\":1,\"k8\":1,\"k9\":1,\"k10\":1,\"k\\u0035\":1}",
		"{\"a\":1,\"a\":2", /* not JSON: the reference is not asked */
	};

	prefix_names(2000, 0, PROTO_OK);
	prefix_names(2000, 1000, PROTO_E_DUPLICATE_KEY);
	prefix_names(2000, 2000, PROTO_E_DUPLICATE_KEY);
	prefix_names(5, 3, PROTO_E_DUPLICATE_KEY); /* checked pairwise */
	for (size_t i = 0; i < sizeof raw / sizeof *raw; i++)
		fj_raw(raw[i], strlen(raw[i]));
	fj_expect(raw[0], strlen(raw[0]), PROTO_E_DUPLICATE_KEY, "a", 2, 3);
	fj_expect(raw[3], strlen(raw[3]), PROTO_E_DUPLICATE_KEY, NULL, 2, 3);
	fj_expect(raw[4], strlen(raw[4]), PROTO_E_DUPLICATE_KEY, "k5", 11, 11);
}

static fj_recipe recipe(size_t n, int style)
{
	fj_recipe r;

	memset(&r, 0, sizeof r);
	r.n = n;
	r.style = style;
	r.prefix = 300;
	r.tail = "";
	return r;
}

/* Large objects without a duplicate are accepted, in every name style,
** and the check's comparisons stay within c * n log2 n (fj_expect). With
** the pairwise check of old, 40,000 members took 800 million comparisons. */
static void test_large_unique(void **state)
{
	static const size_t sizes[] = {9, 1000, 40000};
	fj_recipe r;

	(void)state;
	current_input = "large unique";
	for (int style = 0; style < FJ_NSTYLES; style++)
		for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
			r = recipe(sizes[i], style);
			fj_run(&r);
			r.sub = 1; /* and 3 small objects per member */
			fj_run(&r);
		}
	r = recipe(100000, FJ_SHORT);
	fj_run(&r);
}

/* A duplicate is found wherever its two members are, however its second
** occurrence is escaped, and named in the message. */
static void test_large_duplicates(void **state)
{
	const size_t n = 40000;
	const size_t pairs[][2] = {
		{0, 1}, {0, n - 1}, {n - 2, n - 1}, {n / 2, n / 2 + 1},
		{1, n / 2}, {n / 3, 2 * n / 3}, {12345, 12346},
	};
	fj_recipe r;

	(void)state;
	current_input = "large duplicates";
	for (int style = 0; style < FJ_NSTYLES; style++)
		for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
			r = recipe(n, style);
			r.dup = 1;
			r.p = pairs[i][0];
			r.q = pairs[i][1];
			fj_run(&r);
		}
	/* In a small object that is the value of a member of a large one. */
	for (size_t p = 0; p < n; p += n / 4 - 1) {
		r = recipe(n, FJ_SHORT);
		r.sub = 1;
		r.subdup = 1;
		r.p = p;
		fj_run(&r);
	}
	r = recipe(n, FJ_SHORT);
	r.subdup = 1;
	r.p = n - 1;
	fj_run(&r);
	/* Names that are prefixes of one another are not duplicates, and
	** names equal only once decoded are. */
	json_cases();
}

/* Nesting: at most 64 arrays or objects, one inside the other. */
static void test_nesting(void **state)
{
	fj_recipe r;

	(void)state;
	current_input = "nesting";
	/* The large object as the 64th container: accepted, duplicates
	** still found there; as the 65th: refused, whatever it holds. */
	for (int arrays = 0; arrays <= 1; arrays++) {
		r = recipe(5000, FJ_SHORT);
		r.arrays = arrays;
		r.depth = FJ_LIMIT - 1;
		fj_run(&r);
		r.dup = 1;
		r.p = 4000;
		r.q = 4999;
		fj_run(&r);
		r.depth = FJ_LIMIT;
		fj_run(&r);
		r.dup = 0;
		fj_run(&r);
		r.depth = FJ_MAX_DEPTH;
		fj_run(&r);
	}
	nest_cases();
}

static void test_replay_corpus(void **state)
{
	size_t n;

	(void)state;
	current_input = "tests/fuzz/corpus/fuzz_proto_json";
	n = corpus_replay("tests/fuzz/corpus/fuzz_proto_json",
			  LLVMFuzzerTestOneInput);
	print_message("replayed %zu inputs\n", n);
	assert_true(n >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_unique),
		cmocka_unit_test(test_large_duplicates),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_replay_corpus),
	};
	return cmocka_run_group_tests_name("proto_json", tests, setup, NULL);
}
