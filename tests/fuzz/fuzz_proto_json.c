/*
** This file contains the libFuzzer target for the strict JSON parser
** (proto_json_parse) on large objects: its duplicate-key check and nesting
** limit. An input is read in one of two ways, chosen by its first byte:
**
**   raw     (first byte even) the rest is parsed as it is; when the parser
**           accepts it, or refuses it as duplicate_key, an independent
**           reference (a hash set of the names of each object) must agree;
**   recipe  (first byte odd) the bytes describe a document to build: an
**           object of up to 100,000 members, with names of a chosen style
**           (short, a long shared prefix, partly \u-escaped, non-ASCII),
**           optionally one duplicate name at any two positions (written with
**           other escapes than the first), inside up to 70 levels of
**           nesting, and members whose values are small objects. What the
**           parser must answer is known from the recipe.
**
** For both, the parser's member-name comparisons (proto_json_name_compares)
** must stay within c * M * log2(largest object) for M members in all: a
** check that went quadratic again fails here on the first large input,
** without timing anything. The recipe form lets inputs far below libFuzzer's
** -max_len reach the sizes that matter.
**
** A broken property calls FUZZ_FAIL (abort by default, so libFuzzer saves
** the input). tests/unit/test_proto_json.c includes this file with its own
** FUZZ_FAIL, runs fixed recipes through it and replays the saved inputs.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proto.h"
#include "protocol/changeset.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) do { \
	fprintf(stderr, "fuzz_proto_json: "); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	abort(); \
} while (0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FJ_MAX_MEMBERS 100000
#define FJ_MAX_DEPTH   70   /* beyond the parser's limit of 64 */
#define FJ_LIMIT       64   /* containers the parser allows, nested */
#define FJ_MAX_BYTES   (8u * 1024u * 1024u) /* document size, about */

/* Name styles of a recipe. */
enum { FJ_SHORT, FJ_PREFIX, FJ_ESCAPED, FJ_UTF8, FJ_NSTYLES };

typedef struct fj_recipe {
	size_t n;          /* members of the big object, >= 1 */
	int style;         /* FJ_SHORT ... */
	size_t prefix;     /* FJ_PREFIX: bytes every name starts with */
	int depth;         /* containers around the big object, 0..70 */
	int arrays;        /* the enclosing containers are arrays */
	int sub;           /* each member's value is a small object */
	int dup;           /* member q gets member p's name */
	size_t p, q;       /* p != q, both < n */
	int subdup;        /* the value of member p holds a duplicate name */
	const char *tail;  /* bytes appended to every name (printable) */
	size_t tail_len;
} fj_recipe;

typedef struct fj_buf {
	char *b;
	size_t len, cap;
} fj_buf;

static void fj_put(fj_buf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n + 1)
			cap *= 2;
		o->b = realloc(o->b, cap);
		if (!o->b)
			FUZZ_FAIL("out of memory building a document");
		o->cap = cap;
	}
	memcpy(o->b + o->len, s, n);
	o->len += n;
	o->b[o->len] = '\0';
}

static void fj_puts(fj_buf *o, const char *s)
{
	fj_put(o, s, strlen(s));
}

/* The decoded name of member i (NUL-ended in out, which holds 8192). */
static size_t fj_name(const fj_recipe *r, size_t i, char *out)
{
	size_t n = 0;

	if (r->style == FJ_PREFIX)
		for (; n < r->prefix; n++)
			out[n] = (char)('a' + n % 26);
	if (r->style == FJ_UTF8) {
		static const char lao_vi[] = "ສາລະວັນ-ngô-"; /* multi-byte */
		memcpy(out, lao_vi, sizeof lao_vi - 1);
		n = sizeof lao_vi - 1;
	}
	n += (size_t)snprintf(out + n, 32, "k%zu", i);
	memcpy(out + n, r->tail, r->tail_len);
	n += r->tail_len;
	out[n] = '\0';
	return n;
}

/* Write a decoded name as a JSON string. alt: escape it differently (the
** ASCII letters and digits as \u00XX, every other one), so that equal
** names need not be equal bytes. */
static void fj_put_name(fj_buf *o, const char *name, size_t len, int alt)
{
	char esc[8];

	fj_put(o, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		int letter = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (alt && letter && i % 2 == 0) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			fj_put(o, esc, 6);
		} else {
			fj_put(o, (const char *)&name[i], 1);
		}
	}
	fj_put(o, "\"", 1);
}

/* Build the document of a recipe into o; returns the members in all. */
static size_t fj_build(const fj_recipe *r, fj_buf *o)
{
	static char name[8192];
	size_t members = r->n;
	char num[32];

	for (int d = 0; d < r->depth; d++) {
		if (r->arrays) {
			fj_puts(o, "[0,");
		} else {
			fj_puts(o, "{\"a\":0,\"x\":");
			members += 2;
		}
	}
	fj_put(o, "{", 1);
	for (size_t i = 0; i < r->n; i++) {
		size_t k = r->dup && i == r->q ? r->p : i;
		size_t len = fj_name(r, k, name);
		if (i)
			fj_put(o, ",", 1);
		fj_put_name(o, name, len, r->style == FJ_ESCAPED ?
			    (int)(i % 3 == 0) : r->dup && i == r->q);
		fj_put(o, ":", 1);
		if (r->subdup && i == r->p) {
			fj_puts(o, "{\"b\":1,\"c\":2,\"b\":3}");
			members += 3;
		} else if (r->sub) {
			snprintf(num, sizeof num, "%zu", i);
			fj_puts(o, "{\"b\":");
			fj_puts(o, num);
			fj_puts(o, ",\"c\":[1,{\"d\":true}]}");
			members += 3;
		} else {
			snprintf(num, sizeof num, "%zu", i % 1000);
			fj_puts(o, num);
		}
	}
	fj_put(o, "}", 1);
	for (int d = 0; d < r->depth; d++)
		fj_put(o, r->arrays ? "]" : "}", 1);
	return members;
}

static unsigned fj_log2(size_t n)
{
	unsigned l = 1;

	while (n > 1) {
		n >>= 1;
		l++;
	}
	return l;
}

/* The cost bound: sorting n names takes at most about n log2 n
** comparisons (mergesort) or 2 n log2 n (introsort's worst case); an object
** of up to 8 members is checked pairwise (at most 28 = 3.5 per member). */
static unsigned long fj_bound(size_t members, size_t largest)
{
	return (unsigned long)members * (8 + 3 * fj_log2(largest));
}

/* Parse buf and check the answer: want is the code the parser must give
** (PROTO_OK, PROTO_E_DUPLICATE_KEY or PROTO_E_JSON); dupname the name the
** message must show (its first 64 bytes), or NULL. */
static void fj_expect(const char *buf, size_t len, proto_code want,
		      const char *dupname, size_t members, size_t largest)
{
	unsigned long before = proto_json_name_compares, used;
	cJSON *root = NULL;
	proto_err err;
	proto_code rc = proto_json_parse(buf, len, &root, &err);

	used = proto_json_name_compares - before;
	if (rc != want)
		FUZZ_FAIL("%zu bytes, %zu members: got %s (%s), want %s", len,
			  members, proto_code_name(rc), err.msg,
			  proto_code_name(want));
	if ((rc == PROTO_OK) != (root != NULL))
		FUZZ_FAIL("tree and code disagree");
	if (rc != PROTO_OK && (err.code != rc || !err.msg[0]))
		FUZZ_FAIL("refusal without a consistent code and message");
	if (dupname && strstr(err.msg, dupname) == NULL)
		FUZZ_FAIL("duplicate \"%.64s\" not named in \"%s\"", dupname,
			  err.msg);
	if (used > fj_bound(members, largest))
		FUZZ_FAIL("%lu name comparisons for %zu members (largest "
			  "object %zu): more than %lu, the check is not n log n",
			  used, members, largest, fj_bound(members, largest));
	cJSON_Delete(root);
}

/* Run one recipe: build, parse, compare with what the recipe implies. */
static void fj_run(const fj_recipe *r)
{
	static char name[8192];
	fj_buf o = {NULL, 0, 0};
	size_t members = fj_build(r, &o);
	proto_code want = PROTO_OK;
	const char *dupname = NULL;
	char shown[65];

	/* The big object is the (depth+1)-th container, a member's small
	** object value adds 3 (the duplicate's, 1); 64 are allowed. */
	int levels = r->depth + 1;

	if (r->sub && (r->n > 1 || !r->subdup))
		levels += 3;
	else if (r->subdup)
		levels += 1;
	if (levels > FJ_LIMIT)
		want = PROTO_E_JSON;
	else if (r->dup || r->subdup)
		want = PROTO_E_DUPLICATE_KEY;
	if (want == PROTO_E_DUPLICATE_KEY && !(r->dup && r->subdup)) {
		if (r->dup)
			fj_name(r, r->p, name);
		else
			strcpy(name, "b");
		/* The message shows at most 64 bytes of the name. */
		{
			size_t k = strlen(name);
			if (k > sizeof shown - 1)
				k = sizeof shown - 1;
			memcpy(shown, name, k);
			shown[k] = '\0';
		}
		dupname = shown;
		/* Do not cut a UTF-8 sequence: keep only whole ASCII. */
		for (size_t i = 0; shown[i]; i++)
			if ((unsigned char)shown[i] >= 0x80) {
				shown[i] = '\0';
				break;
			}
	}
	fj_expect(o.b, o.len, want, dupname, members, r->n > 3 ? r->n : 3);
	free(o.b);
}

/* ---- the reference for raw inputs ---------------------------------------
** A chained hash set of the names of one object: another algorithm than
** the parser's sort, so a shared mistake is unlikely. */
typedef struct fj_ref {
	const char **slot;
	size_t cap;
} fj_ref;

static size_t fj_hash(const char *s)
{
	size_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* 1 if some object in the tree has two members with one name. */
static int fj_ref_dups(const cJSON *node, size_t *members, size_t *largest)
{
	size_t n = 0;

	for (const cJSON *c = node->child; c; c = c->next)
		n++;
	if (cJSON_IsObject(node)) {
		fj_ref t;
		*members += n;
		if (n > *largest)
			*largest = n;
		t.cap = 2 * n + 1;
		t.slot = calloc(t.cap, sizeof *t.slot);
		if (!t.slot)
			FUZZ_FAIL("out of memory");
		for (const cJSON *c = node->child; c; c = c->next) {
			size_t h = fj_hash(c->string) % t.cap;
			while (t.slot[h] && strcmp(t.slot[h], c->string) != 0)
				h = (h + 1) % t.cap;
			if (t.slot[h]) {
				free(t.slot);
				return 1;
			}
			t.slot[h] = c->string;
		}
		free(t.slot);
	}
	for (const cJSON *c = node->child; c; c = c->next)
		if (fj_ref_dups(c, members, largest))
			return 1;
	return 0;
}

static void fj_raw(const char *buf, size_t len)
{
	unsigned long before = proto_json_name_compares, used;
	size_t members = 0, largest = 3;
	cJSON *root = NULL, *lax;
	proto_err err;
	proto_code rc = proto_json_parse(buf, len, &root, &err);
	int dups;

	used = proto_json_name_compares - before;
	if (rc != PROTO_OK && (err.code != rc || !err.msg[0] || root))
		FUZZ_FAIL("refusal without a consistent code and message");
	if (rc != PROTO_OK && rc != PROTO_E_DUPLICATE_KEY)
		return;
	/* Accepted or refused for a duplicate: the text is valid JSON, so
	** cJSON alone builds the same tree, duplicates included. */
	lax = rc == PROTO_OK ? root : cJSON_ParseWithLength(buf, len);
	if (!lax)
		FUZZ_FAIL("duplicate_key for a text cJSON cannot parse");
	dups = fj_ref_dups(lax, &members, &largest);
	if (dups != (rc == PROTO_E_DUPLICATE_KEY))
		FUZZ_FAIL("parser says %s, the reference %s",
			  proto_code_name(rc), dups ? "duplicate" : "none");
	if (rc == PROTO_OK && used > fj_bound(members, largest))
		FUZZ_FAIL("%lu name comparisons for %zu members: not n log n",
			  used, members);
	if (lax != root)
		cJSON_Delete(lax);
	cJSON_Delete(root);
}

/* Read a recipe from the input's bytes (any bytes make some recipe). */
static void fj_recipe_read(const uint8_t *d, size_t size, fj_recipe *r,
			   char *tail)
{
	uint8_t b[12] = {0};
	size_t t = 0;

	memcpy(b, d, size < sizeof b ? size : sizeof b);
	memset(r, 0, sizeof *r);
	/* Sizes spread evenly on a log scale, 1 to FJ_MAX_MEMBERS: most
	** inputs stay quick, every size is reachable. */
	r->n = 1 + (((size_t)b[1] << 16 | (size_t)b[2] << 8 | b[11]) %
		    ((size_t)16 << (b[3] & 15))) % FJ_MAX_MEMBERS;
	r->style = (b[3] >> 4) % FJ_NSTYLES;
	r->prefix = (size_t)b[4] * 16; /* up to 4080 bytes */
	r->depth = b[5] % (FJ_MAX_DEPTH + 1);
	r->arrays = b[6] >> 7;
	r->sub = (b[6] >> 6) & 1;
	r->dup = b[6] & 1;
	r->subdup = (b[6] >> 1) & 1;
	r->p = ((size_t)b[7] << 8 | b[8]) * (1 + (b[11] & 3)) % r->n;
	r->q = ((size_t)b[9] << 8 | b[10]) * (1 + (b[11] >> 6)) % r->n;
	/* Keep the document within the largest body a server inflates. */
	if (r->style == FJ_PREFIX && r->n * (r->prefix + 16) > FJ_MAX_BYTES)
		r->n = FJ_MAX_BYTES / (r->prefix + 16);
	r->p %= r->n;
	r->q %= r->n;
	if (r->p == r->q)
		r->q = (r->p + 1) % r->n;
	if (r->n < 2)
		r->dup = 0;
	if (r->p > r->q) {
		size_t x = r->p;
		r->p = r->q;
		r->q = x;
	}
	/* The rest, as printable ASCII other than '"' and '\', names' tail;
	** a tail that is all digits could make "k1"+"23" equal "k12"+"3",
	** so a '.' leads it. */
	for (size_t i = sizeof b; i < size && t < 64; i++) {
		char c = (char)(0x20 + d[i] % 0x5f);
		if (t == 0)
			tail[t++] = '.';
		if (c != '"' && c != '\\')
			tail[t++] = c;
	}
	tail[t] = '\0';
	r->tail = tail;
	r->tail_len = t;
}

static void fj_one(const uint8_t *data, size_t size)
{
	static int ready;
	char tail[72];
	fj_recipe r;

	if (!ready) {
		if (proto_init() != 0)
			FUZZ_FAIL("proto_init failed");
		ready = 1;
	}
	if (size == 0 || (data[0] & 1) == 0) {
		fj_raw(size ? (const char *)data + 1 : "", size ? size - 1 : 0);
		return;
	}
	fj_recipe_read(data, size, &r, tail);
	fj_run(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fj_one(data, size);
	return 0;
}
