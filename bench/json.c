/*
** This file contains the strict-decoder benchmark of `make bench` (issue 9
** item 8): how long proto_json_parse and proto_set_decode take on large
** objects, and how that grows with the number of members. A pairwise
** duplicate-key check took 3 s for one object of 40,000 members; a check in
** n log n comparisons grows about 12x for 10x the members, a quadratic one
** 100x. It measures and prints; it asserts nothing about time. Exit status
** 1 only when a document is not answered as it must be (accepted, or
** refused with the expected code).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "protocol/changeset.h"

typedef struct buf {
	char *b;
	size_t len, cap;
} buf;

static void put(buf *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1 << 16;
		while (cap < o->len + n + 1)
			cap *= 2;
		o->b = realloc(o->b, cap);
		if (!o->b) {
			fprintf(stderr, "bench/json: out of memory\n");
			exit(2);
		}
		o->cap = cap;
	}
	memcpy(o->b + o->len, s, n + 1);
	o->len += n;
}

/* n members "<prefix>k<i>":<i % 1000> in one object; a duplicate of the
** first name as the last member when dup. */
static void object(buf *o, size_t n, const char *prefix, int dup)
{
	char m[64];

	put(o, "{");
	for (size_t i = 0; i < n; i++) {
		snprintf(m, sizeof m, "%s\"", i ? "," : "");
		put(o, m);
		put(o, prefix);
		snprintf(m, sizeof m, "k%zu\":%zu", dup && i == n - 1 ? 0 : i,
			 i % 1000);
		put(o, m);
	}
	put(o, "}");
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int failures;

/* Best of `runs` timings of proto_json_parse (set = 0) or proto_set_decode
** (set = 1) on o, which must give want. */
static double timed(const buf *o, int set, proto_code want, int runs)
{
	double best = 1e9;

	for (int r = 0; r < runs; r++) {
		proto_err err;
		proto_code rc;
		double t0 = now_s(), t;
		if (set) {
			proto_set s;
			rc = proto_set_decode(o->b, o->len, &s, &err);
			t = now_s() - t0;
			proto_set_free(&s);
		} else {
			cJSON *root = NULL;
			rc = proto_json_parse(o->b, o->len, &root, &err);
			t = now_s() - t0;
			cJSON_Delete(root);
		}
		if (rc != want) {
			printf("  WRONG ANSWER: %s (%s), expected %s\n",
			       proto_code_name(rc), err.msg,
			       proto_code_name(want));
			failures++;
		}
		if (t < best)
			best = t;
	}
	return best;
}

static void row(const char *what, size_t n, size_t bytes, double s,
		double prev_s, size_t prev_n)
{
	char growth[64] = "";

	if (prev_s > 0 && prev_n)
		snprintf(growth, sizeof growth, "%.1fx for %.1fx members",
			 s / prev_s, (double)n / (double)prev_n);
	printf("| %s | %zu | %.2f MB | %.1f ms | %.0f ns | %s |\n", what, n,
	       (double)bytes / 1e6, s * 1e3, s * 1e9 / (double)n, growth);
}

static void series(const char *what, const char *prefix, const size_t *ns,
		   size_t count)
{
	double prev = 0;
	size_t prev_n = 0;

	for (size_t i = 0; i < count; i++) {
		buf o = {NULL, 0, 0};
		double s;
		object(&o, ns[i], prefix, 0);
		s = timed(&o, 0, PROTO_OK, ns[i] > 200000 ? 2 : 3);
		row(what, ns[i], o.len, s, prev, prev_n);
		free(o.b);
		prev = s;
		prev_n = ns[i];
	}
}

int main(void)
{
	static const size_t sizes[] = {1000, 10000, 40000, 100000, 400000,
				       1000000};
	static const size_t long_sizes[] = {1000, 10000, 25000};
	char prefix[301], version[32];
	buf o = {NULL, 0, 0};
	double s;

	if (proto_init() != 0)
		return 2;
	printf("Strict JSON decoder (proto_json_parse, proto_set_decode): "
	       "best of 3 runs (2 above 200,000 members)\n\n");
	printf("| document | members | bytes | time | per member | growth |\n");
	printf("|---|---|---|---|---|---|\n");
	series("one object, names k0..kN", "", sizes,
	       sizeof sizes / sizeof *sizes);
	memset(prefix, 'p', 300);
	prefix[300] = '\0';
	series("one object, names sharing a 300-byte prefix", prefix,
	       long_sizes, sizeof long_sizes / sizeof *long_sizes);

	/* A duplicate as the very last member of 40,000: found, not missed. */
	object(&o, 40000, "", 1);
	s = timed(&o, 0, PROTO_E_DUPLICATE_KEY, 3);
	row("40,000 members, the last a duplicate (refused)", 40000, o.len, s,
	    0, 0);
	free(o.b);

	/* 63 objects one in the other, each with 1,000 members. */
	memset(&o, 0, sizeof o);
	for (int d = 0; d < 63; d++) {
		object(&o, 1000, "", 0);
		o.len--; /* reopen it: one more member, the next level */
		put(&o, ",\"x\":");
	}
	put(&o, "0");
	for (int d = 0; d < 63; d++)
		put(&o, "}");
	s = timed(&o, 0, PROTO_OK, 3);
	row("63 nested objects of 1,000 members", 63 * 1001, o.len, s, 0, 0);
	free(o.b);

	/* A change set just under 2 MiB whose change's fields object has
	** 150,000 members: refused (unknown_field) after the full check. */
	memset(&o, 0, sizeof o);
	snprintf(version, sizeof version, "{\"v\":%d,", PROTO_VERSION);
	put(&o, version);
	put(&o, "\"device\":\"40bca4eaf9d2b097ff8dbaa4d61767ed\","
		"\"seq\":1,\"prev\":\"0000000000000000000000000000000000000000"
		"000000000000000000000000\",\"changes\":[{\"id\":"
		"\"5f0c3a8e9b1d4e7fa2c6b8d0e1f23456\",\"kind\":\"trip\","
		"\"op\":\"create\",\"hlc\":\"019d36e3ec000000\",\"fields\":");
	object(&o, 150000, "", 0);
	put(&o, "}]}");
	s = timed(&o, 1, PROTO_E_UNKNOWN_FIELD, 3);
	row("a change set whose fields hold 150,000 members (refused)", 150000,
	    o.len, s, 0, 0);
	free(o.b);
	printf("\n%s\n", failures ? "bench/json: WRONG ANSWERS (see above)"
				  : "every document answered as expected");
	return failures ? 1 : 0;
}
