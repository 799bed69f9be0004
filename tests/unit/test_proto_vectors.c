/*
** This file contains the tests that load the committed protocol test vectors
** (protocol/vectors/, format in its README.md; $VECTORS overrides the folder)
** and check libproto against every one: key pairs and device ids, change-set
** hashes and signatures, the strict decoder's verdict with its error code,
** change index and the name its message must contain, the chain check, the
** canonical re-encoding of valid sets byte for byte, and the merge cases
** applied in every order.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>
#include <sodium.h>

#include "protocol/proto.h"
#include "protocol/changeset.h"
#include "protocol/merge.h"
#include "protocol/owner.h"
#include "protocol/wire.h"
#include "protocol/zdict.h"
#include <zstd.h>
#include <zstd_errors.h>

static const char *vdir(void)
{
	const char *d = getenv("VECTORS");
	return d && *d ? d : "protocol/vectors";
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static cJSON *load_json(const char *path)
{
	size_t len;
	char *text = read_all(path, &len);
	cJSON *j;

	if (!text)
		fail_msg("cannot read %s (run from the tree's top or set "
			 "VECTORS)", path);
	j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!j)
		fail_msg("%s is not JSON", path);
	return j;
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int setup(void **state)
{
	(void)state;
	return proto_init() == 0 ? 0 : -1;
}

/* ---- keys.json ---------------------------------------------------------- */

typedef struct vkey {
	char name[16];
	uint8_t pk[PROTO_PK_BYTES], sk[PROTO_SK_BYTES], id[PROTO_ID_BYTES];
} vkey;

static vkey keys[8];
static size_t nkeys;

static void load_keys(void)
{
	char path[512];
	cJSON *root, *k;

	snprintf(path, sizeof path, "%s/keys.json", vdir());
	root = load_json(path);
	nkeys = 0;
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(root, "keys")) {
		vkey *v = &keys[nkeys++];
		assert_true(nkeys <= sizeof keys / sizeof keys[0]);
		snprintf(v->name, sizeof v->name, "%s", str(k, "name"));
		assert_int_equal(proto_hex_decode(v->pk, sizeof v->pk,
						  str(k, "public_key")), 0);
		assert_int_equal(proto_hex_decode(v->sk, sizeof v->sk,
						  str(k, "secret_key")), 0);
		assert_int_equal(proto_hex_decode(v->id, sizeof v->id,
						  str(k, "device")), 0);
	}
	cJSON_Delete(root);
}

static const vkey *key_named(const char *name)
{
	for (size_t i = 0; name && i < nkeys; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void test_keys(void **state)
{
	char path[512];
	cJSON *root, *k;
	size_t n = 0;

	(void)state;
	snprintf(path, sizeof path, "%s/keys.json", vdir());
	root = load_json(path);
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(root, "keys")) {
		uint8_t seed[32], pk[32], sk[64], id[16], want[64];
		char idhex[PROTO_ID_HEX + 1];

		assert_int_equal(proto_hex_decode(seed, 32, str(k, "seed")), 0);
		assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
		assert_int_equal(proto_hex_decode(want, 32,
						  str(k, "public_key")), 0);
		assert_memory_equal(pk, want, 32);
		assert_int_equal(proto_hex_decode(want, 64,
						  str(k, "secret_key")), 0);
		assert_memory_equal(sk, want, 64);
		/* The device id is bound to the key: libproto derives it. */
		proto_device_id(pk, id);
		proto_hex_encode(idhex, id, 16);
		assert_string_equal(idhex, str(k, "device"));
		n++;
	}
	assert_int_equal(n, 3);
	cJSON_Delete(root);
}

/* ---- sets/NAME.json -------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of sets/NAME.json names (without .json); caller frees. */
static char **list_sets(size_t *n)
{
	char path[512];
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	snprintf(path, sizeof path, "%s/sets", vdir());
	d = opendir(path);
	if (!d)
		fail_msg("cannot open %s", path);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof *names);
			assert_non_null(names);
		}
		names[*n] = strndup(e->d_name, l - 5);
		assert_non_null(names[*n]);
		(*n)++;
	}
	closedir(d);
	qsort(names, *n, sizeof *names, cmp_names);
	return names;
}

static int failures;

#define vfail(name, ...) do { \
	fprintf(stderr, "vector %s: ", name); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	failures++; \
} while (0)

/* Re-encode a decoded set with libproto's encoder and compare bytes. */
static void check_canonical(const char *name, const proto_set *set,
			    const char *bytes, size_t len)
{
	char **enc = calloc(set->nchanges, sizeof *enc);
	size_t *lens = calloc(set->nchanges, sizeof *lens);
	char *out = NULL;
	size_t outlen = 0;
	proto_err err;

	assert_non_null(enc);
	assert_non_null(lens);
	for (size_t i = 0; i < set->nchanges; i++) {
		if (proto_change_encode(&set->changes[i], &enc[i], &lens[i],
					&err) != PROTO_OK) {
			vfail(name, "change %zu does not re-encode: %s", i,
			      err.msg);
			goto out;
		}
	}
	if (proto_set_encode(set->device, set->seq, set->prev,
			     (const char *const *)enc, lens, set->nchanges,
			     &out, &outlen, &err) != PROTO_OK) {
		vfail(name, "set does not re-encode: %s", err.msg);
		goto out;
	}
	if (outlen != len || memcmp(out, bytes, len) != 0)
		vfail(name, "re-encoding differs from the canonical bytes:\n"
		      "  want %.*s\n  got  %.*s", (int)len, bytes, (int)outlen,
		      out);
out:
	for (size_t i = 0; i < set->nchanges; i++)
		free(enc[i]);
	free(enc);
	free(lens);
	free(out);
}

static void check_set_vector(const char *name, size_t *nok, size_t *nbad)
{
	char path[512];
	cJSON *v;
	char *bytes;
	size_t len;
	uint8_t pk[PROTO_PK_BYTES], held_hash[PROTO_HASH_BYTES];
	uint8_t hash[PROTO_HASH_BYTES];
	char hashhex[PROTO_HASH_HEX + 1];
	proto_set set;
	proto_err err;
	proto_code rc;
	const char *want_decode, *want_verify, *want_chain, *expect, *names;
	const char *first = "ok";
	const cJSON *j;

	snprintf(path, sizeof path, "%s/sets/%s.json", vdir(), name);
	v = load_json(path);
	snprintf(path, sizeof path, "%s/sets/%s", vdir(),
		 str(v, "bytes_file") ? str(v, "bytes_file") : "?");
	bytes = read_all(path, &len);
	if (!bytes)
		fail_msg("vector %s: cannot read %s", name, path);
	want_decode = str(v, "decode");
	want_verify = str(v, "verify");
	want_chain = str(v, "chain");
	expect = str(v, "expect");
	names = str(v, "message_names");
	assert_non_null(want_decode);
	assert_non_null(want_verify);
	assert_non_null(expect);
	if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "length"))
	    != (double)len)
		vfail(name, "bytes file is %zu bytes, the vector says %g", len,
		      cJSON_GetNumberValue(
			      cJSON_GetObjectItemCaseSensitive(v, "length")));

	/* The hash of the exact bytes. */
	proto_set_hash(bytes, len, hash);
	proto_hex_encode(hashhex, hash, sizeof hash);
	if (!str(v, "hash") || strcmp(hashhex, str(v, "hash")) != 0)
		vfail(name, "hash %s, want %s", hashhex, str(v, "hash"));

	/* Step 1: strict decode. */
	rc = proto_set_decode(bytes, len, &set, &err);
	if (strcmp(proto_code_name(rc), want_decode) != 0) {
		vfail(name, "decode: got %s (\"%s\"), want %s",
		      proto_code_name(rc), err.msg, want_decode);
	} else if (rc != PROTO_OK) {
		j = cJSON_GetObjectItemCaseSensitive(v, "index");
		if (cJSON_IsNumber(j) && err.index != j->valueint)
			vfail(name, "decode error index %d, want %d (\"%s\")",
			      err.index, j->valueint, err.msg);
		if (names && !strstr(err.msg, names))
			vfail(name, "message \"%s\" does not name \"%s\"",
			      err.msg, names);
		if (err.code != rc)
			vfail(name, "err.code %d differs from the returned %d",
			      err.code, rc);
	}
	/* The seq as read: decoded, or named by the refusal whenever it is
	** readable (SPEC 10.2); null in the vector when it is not. */
	j = cJSON_GetObjectItemCaseSensitive(v, "seq");
	if (!cJSON_IsNumber(j) && !cJSON_IsNull(j))
		vfail(name, "no \"seq\" (a number or null)");
	{
		int64_t got = rc == PROTO_OK ? set.seq : err.seq;
		int64_t want = cJSON_IsNumber(j) ? (int64_t)j->valuedouble : 0;
		if (got != want)
			vfail(name, "seq read %lld, want %s%lld", (long long)got,
			      want ? "" : "null = ", (long long)want);
	}
	if (rc != PROTO_OK)
		first = proto_code_name(rc);

	/* Step 2: the signature over the exact bytes. */
	if (proto_hex_decode(pk, sizeof pk, str(v, "public_key")) != 0)
		fail_msg("vector %s: bad public_key", name);
	rc = proto_set_verify_hex(bytes, len, str(v, "sig"), pk, &err);
	if (strcmp(proto_code_name(rc), want_verify) != 0)
		vfail(name, "verify: got %s (\"%s\"), want %s",
		      proto_code_name(rc), err.msg, want_verify);
	if (rc != PROTO_OK && !strcmp(first, "ok"))
		first = proto_code_name(rc);
	/* Ed25519 is deterministic: signing again gives the same sig. */
	if (rc == PROTO_OK && key_named(str(v, "signed_by"))) {
		uint8_t sig[PROTO_SIG_BYTES];
		char sighex[PROTO_SIG_HEX + 1];
		proto_set_sign(bytes, len, key_named(str(v, "signed_by"))->sk,
			       sig);
		proto_hex_encode(sighex, sig, sizeof sig);
		if (strcmp(sighex, str(v, "sig")) != 0)
			vfail(name, "proto_set_sign gives %s, want %s", sighex,
			      str(v, "sig"));
	}

	/* Step 3: the chain, for sets that decoded. */
	if (set.root) {
		int is_next = -1;
		const cJSON *hs = cJSON_GetObjectItemCaseSensitive(v,
								  "held_seq");
		if (proto_hex_decode(held_hash, sizeof held_hash,
				     str(v, "held_hash")) != 0)
			fail_msg("vector %s: bad held_hash", name);
		rc = proto_chain_check((int64_t)cJSON_GetNumberValue(hs),
				       held_hash, &set, &is_next, &err);
		if (!want_chain || strcmp(proto_code_name(rc), want_chain))
			vfail(name, "chain: got %s (\"%s\"), want %s",
			      proto_code_name(rc), err.msg,
			      want_chain ? want_chain : "null");
		j = cJSON_GetObjectItemCaseSensitive(v, "is_next");
		if (rc == PROTO_OK && cJSON_IsBool(j) &&
		    is_next != cJSON_IsTrue(j))
			vfail(name, "is_next %d, want %d", is_next,
			      cJSON_IsTrue(j));
		if (rc != PROTO_OK && !strcmp(first, "ok"))
			first = proto_code_name(rc);
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v,
								  "canonical")))
			check_canonical(name, &set, bytes, len);
	}
	if (strcmp(first, expect) != 0)
		vfail(name, "first failing step gives %s, want %s", first,
		      expect);
	if (!strcmp(expect, "ok"))
		(*nok)++;
	else
		(*nbad)++;
	proto_set_free(&set);
	free(bytes);
	cJSON_Delete(v);
}

static void test_sets(void **state)
{
	size_t n, nok = 0, nbad = 0;
	char **names;

	(void)state;
	load_keys();
	names = list_sets(&n);
	failures = 0;
	for (size_t i = 0; i < n; i++) {
		check_set_vector(names[i], &nok, &nbad);
		free(names[i]);
	}
	free(names);
	print_message("%zu set vectors: %zu accepted, %zu refused\n", n, nok,
		      nbad);
	/* A missing or emptied folder must not pass quietly. */
	assert_true(nok >= 5);
	assert_true(nbad >= 40);
	if (failures)
		fail_msg("%d vector checks failed (listed above)", failures);
}

/* ---- merge.json --------------------------------------------------------- */

typedef struct seen {
	size_t n;
	cJSON *list; /* array of {"field","winner","winner_value",...} */
} seen;

static void on_conflict(void *ctx, const proto_conflict *c)
{
	seen *s = ctx;
	char w[PROTO_STAMP_TEXT + 1], l[PROTO_STAMP_TEXT + 1];
	cJSON *o = cJSON_CreateObject();

	proto_stamp_format(w, &c->winner);
	proto_stamp_format(l, &c->loser);
	cJSON_AddStringToObject(o, "field", c->field);
	cJSON_AddStringToObject(o, "winner", w);
	cJSON_AddItemToObject(o, "winner_value",
			      cJSON_Duplicate(c->winner_value, 1));
	cJSON_AddStringToObject(o, "loser", l);
	cJSON_AddItemToObject(o, "loser_value",
			      cJSON_Duplicate(c->loser_value, 1));
	cJSON_AddItemToArray(s->list, o);
	s->n++;
}

/* Decode one change of merge.json by wrapping it in a one-change set. */
static void decode_change(const cJSON *entry, proto_set *set)
{
	static const char zeros[] = "00000000000000000000000000000000"
				    "00000000000000000000000000000000";
	char *ch = cJSON_PrintUnformatted(
		cJSON_GetObjectItemCaseSensitive(entry, "change"));
	size_t cap = strlen(ch) + 256;
	char *b = malloc(cap);
	proto_err err;
	proto_code rc;

	assert_non_null(b);
	snprintf(b, cap, "{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		 "\"changes\":[%s]}", str(entry, "device"), zeros, ch);
	rc = proto_set_decode(b, strlen(b), set, &err);
	if (rc != PROTO_OK)
		fail_msg("merge change does not decode: %s: %s", err.msg, b);
	free(ch);
	free(b);
}

/* Does list `got` hold the same conflicts as `want`, in any order? */
static int same_conflicts(const cJSON *got, const cJSON *want)
{
	int ng = cJSON_GetArraySize(got), nw = cJSON_GetArraySize(want);
	char used[64] = {0};
	const cJSON *w;

	if (ng != nw || ng > 64)
		return 0;
	cJSON_ArrayForEach(w, want) {
		int found = 0, i = 0;
		const cJSON *g;
		cJSON_ArrayForEach(g, got) {
			if (!used[i] && cJSON_Compare(g, w, 1)) {
				used[i] = 1;
				found = 1;
				break;
			}
			i++;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* Apply the case's changes in `order`; return the state (caller frees). */
static cJSON *run_order(const cJSON *cs, const int *order, size_t n,
			seen *conf)
{
	const cJSON *init = cJSON_GetObjectItemCaseSensitive(cs, "initial");
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(cs, "changes");
	cJSON *state = cJSON_IsObject(init) ? cJSON_Duplicate(init, 1) : NULL;

	for (size_t i = 0; i < n; i++) {
		const cJSON *e = cJSON_GetArrayItem(changes, order[i]);
		proto_set set;
		proto_err err;
		int changed = -1;

		decode_change(e, &set);
		proto_code rc = proto_merge_apply(&state, &set.changes[0],
						  set.device, on_conflict,
						  conf, &changed, &err);
		if (rc != PROTO_OK)
			fail_msg("case %s: merge_apply: %s: %s",
				 str(cs, "name"), proto_code_name(rc),
				 err.msg);
		proto_set_free(&set);
	}
	return state;
}

/* Compare a state with the expected {"kind","f"} exactly. */
static void check_final(const cJSON *cs, const cJSON *state,
			const char *order_text)
{
	const cJSON *want = cJSON_GetObjectItemCaseSensitive(cs, "final");
	const cJSON *wf = cJSON_GetObjectItemCaseSensitive(want, "f");
	const cJSON *gf = cJSON_GetObjectItemCaseSensitive(state, "f");
	const cJSON *e;

	if (!str(state, "kind") || strcmp(str(state, "kind"), str(want, "kind")))
		fail_msg("case %s order %s: kind %s", str(cs, "name"),
			 order_text, str(state, "kind"));
	cJSON_ArrayForEach(e, wf) {
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(gf, e->string);
		if (!g || !cJSON_Compare(g, e, 1)) {
			char *gt = g ? cJSON_PrintUnformatted(g) : NULL;
			char *wt = cJSON_PrintUnformatted(e);
			fail_msg("case %s order %s: field %s is %s, want %s",
				 str(cs, "name"), order_text, e->string,
				 gt ? gt : "(absent)", wt);
		}
	}
	cJSON_ArrayForEach(e, gf)
		if (!cJSON_GetObjectItemCaseSensitive(wf, e->string))
			fail_msg("case %s order %s: unexpected field %s",
				 str(cs, "name"), order_text, e->string);
	assert_int_equal(proto_state_deleted(state),
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				 cs, "deleted")));
}

static int next_perm(int *a, size_t n)
{
	size_t i, j;
	if (n < 2)
		return 0;
	for (i = n - 1; i > 0 && a[i - 1] >= a[i]; i--)
		;
	if (i == 0)
		return 0;
	for (j = n - 1; a[j] <= a[i - 1]; j--)
		;
	int t = a[i - 1]; a[i - 1] = a[j]; a[j] = t;
	for (j = n - 1; i < j; i++, j--) {
		t = a[i]; a[i] = a[j]; a[j] = t;
	}
	return 1;
}

static void test_merge(void **state)
{
	char path[512];
	cJSON *root, *cs;
	size_t ncases = 0, nruns = 0, norders = 0;

	(void)state;
	snprintf(path, sizeof path, "%s/merge.json", vdir());
	root = load_json(path);
	cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
		size_t n = (size_t)cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(cs, "changes"));
		int order[8];
		char *canon0 = NULL;
		const cJSON *o;

		assert_true(n >= 1 && n <= 8);
		for (size_t i = 0; i < n; i++)
			order[i] = (int)i;
		/* Every order converges to the expected state. */
		do {
			char ot[32] = "";
			seen conf = {0, cJSON_CreateArray()};
			for (size_t i = 0; i < n; i++)
				ot[i] = (char)('0' + order[i]);
			cJSON *st = run_order(cs, order, n, &conf);
			check_final(cs, st, ot);
			char *canon = proto_state_canonical(
				str(cs, "record_id"), st);
			assert_non_null(canon);
			if (!canon0)
				canon0 = canon;
			else {
				assert_string_equal(canon, canon0);
				free(canon);
			}
			cJSON_Delete(conf.list);
			cJSON_Delete(st);
			nruns++;
		} while (next_perm(order, n));
		free(canon0);

		/* The listed (causal) orders report exactly these conflicts. */
		cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(cs,
								     "orders")) {
			const cJSON *ord = cJSON_GetObjectItemCaseSensitive(
				o, "order"), *x;
			size_t k = 0;
			seen conf = {0, cJSON_CreateArray()};
			cJSON_ArrayForEach(x, ord)
				order[k++] = x->valueint;
			assert_int_equal(k, n);
			cJSON *st = run_order(cs, order, n, &conf);
			if (!same_conflicts(conf.list,
					    cJSON_GetObjectItemCaseSensitive(
						    o, "conflicts"))) {
				char *g = cJSON_PrintUnformatted(conf.list);
				char *w = cJSON_PrintUnformatted(
					cJSON_GetObjectItemCaseSensitive(
						o, "conflicts"));
				fail_msg("case %s: conflicts\n  got  %s\n  "
					 "want %s", str(cs, "name"), g, w);
			}
			cJSON_Delete(conf.list);
			cJSON_Delete(st);
			norders++;
		}
		ncases++;
	}
	print_message("%zu merge cases, %zu orders applied, %zu conflict "
		      "checks\n", ncases, nruns, norders);
	assert_true(ncases >= 5);
	cJSON_Delete(root);
}

/* ---- owner.json --------------------------------------------------------- */

/* Apply each case's steps in order: ownership rule, then the merge; compare
** verdicts, reported conflict fields and final states. */
static void test_owner(void **unused)
{
	char path[512];
	cJSON *root, *cs;
	const cJSON *roles;
	size_t ncases = 0, nsteps = 0, nrefused = 0;

	(void)unused;
	snprintf(path, sizeof path, "%s/owner.json", vdir());
	root = load_json(path);
	roles = cJSON_GetObjectItemCaseSensitive(root, "roles");
	cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
		cJSON *states = cJSON_CreateObject();
		const cJSON *st, *fin;
		cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(cs,
								  "steps")) {
			proto_set set;
			proto_err err;
			proto_code rc;
			const char *role = str(roles, str(st, "author"));
			cJSON *state;
			seen conf = {0, cJSON_CreateArray()};
			int changed, i = 0;
			const cJSON *w, *g;

			decode_change(st, &set);
			state = cJSON_DetachItemFromObjectCaseSensitive(
				states, set.changes[0].id);
			rc = proto_owner_check(state, &set.changes[0],
					       str(st, "device"),
					       role && !strcmp(role, "hq"), &err);
			if (strcmp(proto_code_name(rc), str(st, "expect")))
				fail_msg("case %s step %zu: %s, want %s (%s)",
					 str(cs, "name"), nsteps,
					 proto_code_name(rc), str(st, "expect"),
					 err.msg);
			if (rc == PROTO_OK) {
				rc = proto_merge_apply(&state, &set.changes[0],
						       set.device, on_conflict,
						       &conf, &changed, &err);
				assert_int_equal(rc, PROTO_OK);
			} else {
				assert_non_null(strstr(err.msg, "record"));
				nrefused++;
			}
			w = cJSON_GetObjectItemCaseSensitive(st, "conflicts");
			if (cJSON_GetArraySize(w) != cJSON_GetArraySize(conf.list))
				fail_msg("case %s step %zu: %d conflicts, want "
					 "%d", str(cs, "name"), nsteps,
					 cJSON_GetArraySize(conf.list),
					 cJSON_GetArraySize(w));
			cJSON_ArrayForEach(g, conf.list)
				assert_string_equal(str(g, "field"),
					cJSON_GetArrayItem(w, i++)->valuestring);
			cJSON_Delete(conf.list);
			if (state)
				cJSON_AddItemToObject(states, set.changes[0].id,
						      state);
			proto_set_free(&set);
			nsteps++;
		}
		cJSON_ArrayForEach(fin, cJSON_GetObjectItemCaseSensitive(cs,
								  "final")) {
			const cJSON *state = cJSON_GetObjectItemCaseSensitive(
				states, fin->string), *v;
			assert_non_null(state);
			assert_string_equal(proto_state_owner(state),
					    str(fin, "owner"));
			assert_int_equal(proto_state_deleted(state),
				cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
					fin, "deleted")));
			assert_int_equal(proto_state_retracted(state),
				cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
					fin, "retracted")));
			cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(
						   fin, "values")) {
				const cJSON *got = proto_state_get(state,
							v->string, NULL);
				if (!got || !cJSON_Compare(got, v, 1))
					fail_msg("case %s: record %s field %s",
						 str(cs, "name"), fin->string,
						 v->string);
			}
		}
		cJSON_Delete(states);
		ncases++;
	}
	print_message("%zu ownership cases, %zu steps, %zu refused\n", ncases,
		      nsteps, nrefused);
	assert_true(ncases >= 8 && nrefused >= 9);
	cJSON_Delete(root);
}

/* ---- auth.json ---------------------------------------------------------- */

static void test_auth(void **state)
{
	char path[512], sig[PROTO_SIG_HEX + 1], bad[PROTO_SIG_HEX + 1];
	cJSON *root, *cs;
	proto_err e;
	size_t n = 0;

	(void)state;
	snprintf(path, sizeof path, "%s/auth.json", vdir());
	root = load_json(path);
	cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
		const vkey *k = key_named(str(cs, "key"));
		const char *dom = str(cs, "domain"), *text = str(cs, "text");
		const char *want = str(cs, "signature");
		int ticket;

		assert_non_null(k);
		assert_non_null(dom);
		ticket = strcmp(dom, "fieldsync sync v3\n") == 0;
		assert_true(ticket || strcmp(dom, "fieldsync auth v2\n") == 0);
		/* The reference signs exactly what the vector says ... */
		if (ticket)
			proto_sync_sign(text, k->sk, sig);
		else
			proto_auth_sign(text, k->sk, sig);
		assert_string_equal(sig, want);
		/* ... verifies it, and never for the other domain. */
		assert_int_equal(ticket ? proto_sync_verify(text, want, k->pk, &e)
					: proto_auth_verify(text, want, k->pk, &e),
				 PROTO_OK);
		assert_int_equal(ticket ? proto_auth_verify(text, want, k->pk, &e)
					: proto_sync_verify(text, want, k->pk, &e),
				 PROTO_E_BAD_SIG);
		memcpy(bad, want, sizeof bad);
		bad[0] = bad[0] == '0' ? '1' : '0';
		assert_int_equal(ticket ? proto_sync_verify(text, bad, k->pk, &e)
					: proto_auth_verify(text, bad, k->pk, &e),
				 PROTO_E_BAD_SIG);
		if (ticket) {
			char hdr[512], dev[PROTO_ID_HEX + 1];
			proto_hex_encode(dev, k->id, sizeof k->id);
			snprintf(hdr, sizeof hdr, "Ticket %s.%s.%s", dev, text,
				 want);
			assert_string_equal(hdr, str(cs, "authorization"));
		}
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(root);
}

/* ---- zstd.json ---------------------------------------------------------- */

static void test_zstd(void **state)
{
	char path[512], sum[65];
	unsigned char d[32], *frame, *out;
	cJSON *root, *cs, *dict;
	const char *text;
	size_t n = 0, flen, cap;
	FILE *f;
	long dlen;
	unsigned char *file;

	(void)state;
	snprintf(path, sizeof path, "%s/zstd.json", vdir());
	root = load_json(path);
	dict = cJSON_GetObjectItemCaseSensitive(root, "dictionary");
	/* The dictionary: the id and SHA-256 the vector states are the
	** embedded bytes', and the file's bytes are the same. */
	assert_int_equal((unsigned)cJSON_GetObjectItem(dict, "id")->valuedouble,
			 PROTO_ZDICT_ID);
	crypto_hash_sha256(d, proto_zdict, proto_zdict_len);
	proto_hex_encode(sum, d, 32);
	assert_string_equal(sum, str(dict, "sha256"));
	snprintf(path, sizeof path, "%s/../zstd/fieldsync-1.dict", vdir());
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	dlen = ftell(f);
	assert_int_equal((size_t)dlen, proto_zdict_len);
	rewind(f);
	file = malloc((size_t)dlen);
	assert_int_equal(fread(file, 1, (size_t)dlen, f), (size_t)dlen);
	fclose(f);
	assert_memory_equal(file, proto_zdict, proto_zdict_len);
	free(file);
	text = str(root, "text");
	assert_non_null(text);
	cap = strlen(text) + 64;
	out = malloc(cap);
	cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
		const char *hx = str(cs, "frame");
		ZSTD_DCtx *dc = proto_zstd_dctx();
		ZSTD_inBuffer in;
		ZSTD_outBuffer o = { out, cap, 0 };
		size_t zr;
		int valid = cJSON_IsTrue(cJSON_GetObjectItem(cs, "valid"));

		assert_non_null(hx);
		flen = strlen(hx) / 2;
		frame = malloc(flen);
		assert_int_equal(proto_hex_decode(frame, flen, hx), 0);
		assert_int_equal(ZSTD_getDictID_fromFrame(frame, flen),
				 (unsigned)cJSON_GetObjectItem(cs,
					"dictionary_id")->valuedouble);
		in.src = frame;
		in.size = flen;
		in.pos = 0;
		zr = ZSTD_decompressStream(dc, &o, &in);
		if (valid) {
			assert_int_equal(zr, 0);
			assert_int_equal(o.pos, strlen(text));
			assert_memory_equal(out, text, o.pos);
		} else {
			assert_true(ZSTD_isError(zr));
			assert_int_equal(ZSTD_getErrorCode(zr),
					 ZSTD_error_dictionary_wrong);
			assert_int_equal(o.pos, 0);
		}
		ZSTD_freeDCtx(dc);
		free(frame);
		n++;
	}
	assert_int_equal(n, 3);
	free(out);
	cJSON_Delete(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_zstd),
	};
	return cmocka_run_group_tests_name("proto_vectors", tests, setup,
					   NULL);
}
