/*
** This file contains the libFuzzer target for the change-set decoder and
** everything a receiver runs after it. Arbitrary bytes go to
** proto_set_decode; for inputs that decode, the target also runs
** proto_set_verify_hex, proto_chain_check against several held states, the
** canonical re-encoding, and proto_merge_apply on fresh states, and checks
** properties that must hold for every input:
**
**   - a refusal carries a code, the same code in err, and a message;
**   - signing the bytes with a test key and verifying gives ok; a wrong or
**     short signature is refused with the right code;
**   - the chain check agrees with seq/prev arithmetic;
**   - the decoded changes re-encode, the re-encoding decodes, and encoding
**     that again gives the same bytes (canonical form is a fixed point);
**   - merging the changes in set order and in reverse order gives the same
**     records (last-writer-wins converges whatever the delivery order).
**
** A broken property calls FUZZ_FAIL (abort by default, so libFuzzer saves
** the input). tests/unit/test_proto_corpus.c includes this file with its
** own FUZZ_FAIL and replays every saved input as a regular test.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "protocol/proto.h"
#include "protocol/changeset.h"
#include "protocol/merge.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) do { \
	fprintf(stderr, "fuzz_proto_changeset: "); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	abort(); \
} while (0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed test key (seed 0x00..0x1f: "alice" of protocol/vectors). */
static uint8_t fz_pk[PROTO_PK_BYTES], fz_sk[PROTO_SK_BYTES];

static void fz_init(void)
{
	static int done;
	uint8_t seed[32];

	if (done)
		return;
	if (proto_init() != 0)
		FUZZ_FAIL("proto_init failed");
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	crypto_sign_seed_keypair(fz_pk, fz_sk, seed);
	done = 1;
}

/* Records touched by one set: id -> state. */
typedef struct fz_rec {
	char id[PROTO_ID_HEX + 1];
	cJSON *state;
	int bad;          /* a kind clash made this record order-dependent */
} fz_rec;

static fz_rec *fz_find(fz_rec *recs, size_t *n, const char *id)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(recs[i].id, id) == 0)
			return &recs[i];
	memcpy(recs[*n].id, id, sizeof recs[*n].id);
	recs[*n].state = NULL;
	recs[*n].bad = 0;
	return &recs[(*n)++];
}

static fz_rec *fz_lookup(fz_rec *recs, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(recs[i].id, id) == 0)
			return &recs[i];
	return NULL;
}

static void fz_count(void *ctx, const proto_conflict *c)
{
	if (!c->field || !c->winner_value || !c->loser_value)
		FUZZ_FAIL("conflict report with a NULL member");
	if (proto_stamp_cmp(&c->winner, &c->loser) <= 0)
		FUZZ_FAIL("conflict winner does not have the greater stamp");
	(*(size_t *)ctx)++;
}

/* Apply every change of set in forward (dir=1) or reverse order. */
static void fz_merge(const proto_set *set, fz_rec *recs, size_t *nrecs,
		     int dir)
{
	size_t nconf = 0;

	for (size_t k = 0; k < set->nchanges; k++) {
		size_t i = dir > 0 ? k : set->nchanges - 1 - k;
		const proto_change *ch = &set->changes[i];
		fz_rec *r = fz_find(recs, nrecs, ch->id);
		proto_err err;
		int changed = -1;
		cJSON *before = r->state;
		proto_code rc = proto_merge_apply(&r->state, ch, set->device,
						  fz_count, &nconf, &changed,
						  &err);
		if (rc == PROTO_E_VALUE) {
			/* Same id, another kind: refused, state unchanged. */
			if (r->state != before)
				FUZZ_FAIL("refused merge changed the state");
			r->bad = 1;
			continue;
		}
		if (rc != PROTO_OK)
			FUZZ_FAIL("merge_apply: %s: %s", proto_code_name(rc),
				  err.msg);
		if (changed != 0 && changed != 1)
			FUZZ_FAIL("merge_apply left *changed at %d", changed);
		if (!r->state || proto_state_kind(r->state) != ch->kind)
			FUZZ_FAIL("merged state has the wrong kind");
	}
}

static void fz_check_merge(const proto_set *set)
{
	fz_rec *fwd = calloc(set->nchanges, sizeof *fwd);
	fz_rec *rev = calloc(set->nchanges, sizeof *rev);
	size_t nf = 0, nr = 0;

	if (!fwd || !rev)
		FUZZ_FAIL("out of memory");
	fz_merge(set, fwd, &nf, 1);
	fz_merge(set, rev, &nr, -1);
	if (nf != nr)
		FUZZ_FAIL("record count differs by order");
	for (size_t i = 0; i < nf; i++) {
		fz_rec *b = fz_lookup(rev, nr, fwd[i].id);
		char *ca, *cb;
		if (!b)
			FUZZ_FAIL("record only in one order");
		if (fwd[i].bad || b->bad)
			continue;
		ca = proto_state_canonical(fwd[i].id, fwd[i].state);
		cb = proto_state_canonical(b->id, b->state);
		if (!ca || !cb)
			FUZZ_FAIL("proto_state_canonical returned NULL");
		if (strcmp(ca, cb) != 0)
			FUZZ_FAIL("merge does not converge:\n  forward %s\n"
				  "  reverse %s", ca, cb);
		free(ca);
		free(cb);
	}
	for (size_t i = 0; i < nf; i++)
		cJSON_Delete(fwd[i].state);
	for (size_t i = 0; i < nr; i++)
		cJSON_Delete(rev[i].state);
	free(fwd);
	free(rev);
}

/* Encode the decoded set canonically; NULL if too large to re-encode. */
static char *fz_encode(const proto_set *set, size_t *len)
{
	char **enc = calloc(set->nchanges, sizeof *enc);
	size_t *lens = calloc(set->nchanges, sizeof *lens);
	char *out = NULL;
	proto_err err;
	proto_code rc;

	*len = 0;
	if (!enc || !lens)
		FUZZ_FAIL("out of memory");
	for (size_t i = 0; i < set->nchanges; i++) {
		rc = proto_change_encode(&set->changes[i], &enc[i], &lens[i],
					 &err);
		if (rc != PROTO_OK)
			FUZZ_FAIL("decoded change %zu does not encode: %s: %s",
				  i, proto_code_name(rc), err.msg);
	}
	rc = proto_set_encode(set->device, set->seq, set->prev,
			      (const char *const *)enc, lens, set->nchanges,
			      &out, len, &err);
	if (rc != PROTO_OK && rc != PROTO_E_TOO_LARGE)
		FUZZ_FAIL("decoded set does not encode: %s: %s",
			  proto_code_name(rc), err.msg);
	for (size_t i = 0; i < set->nchanges; i++)
		free(enc[i]);
	free(enc);
	free(lens);
	return out;
}

static void fz_check_canonical(const proto_set *set)
{
	size_t l1, l2;
	char *b1 = fz_encode(set, &l1), *b2;
	proto_set again;
	proto_err err;
	proto_code rc;

	if (!b1)
		return;
	rc = proto_set_decode(b1, l1, &again, &err);
	if (rc != PROTO_OK)
		FUZZ_FAIL("canonical bytes do not decode: %s: %s\n  %.*s",
			  proto_code_name(rc), err.msg, (int)l1, b1);
	if (again.nchanges != set->nchanges || again.seq != set->seq)
		FUZZ_FAIL("canonical bytes decode to another set");
	b2 = fz_encode(&again, &l2);
	if (!b2 || l1 != l2 || memcmp(b1, b2, l1) != 0)
		FUZZ_FAIL("canonical encoding is not a fixed point:\n  %.*s\n"
			  "  %.*s", (int)l1, b1, (int)l2, b2 ? b2 : "");
	free(b2);
	free(b1);
	proto_set_free(&again);
}

static void fz_check_sig_chain(const char *bytes, size_t len,
			       const proto_set *set)
{
	uint8_t sig[PROTO_SIG_BYTES], h[PROTO_HASH_BYTES];
	char sighex[PROTO_SIG_HEX + 1];
	proto_err err;
	proto_code rc;
	int next = -1;

	proto_set_sign(bytes, len, fz_sk, sig);
	proto_hex_encode(sighex, sig, sizeof sig);
	rc = proto_set_verify_hex(bytes, len, sighex, fz_pk, &err);
	if (rc != PROTO_OK)
		FUZZ_FAIL("own signature refused: %s", err.msg);
	sighex[0] = sighex[0] == '0' ? '1' : '0';
	if (proto_set_verify_hex(bytes, len, sighex, fz_pk, &err) !=
	    PROTO_E_BAD_SIG)
		FUZZ_FAIL("altered signature not refused as bad_signature");
	sighex[PROTO_SIG_HEX - 2] = '\0';
	if (proto_set_verify_hex(bytes, len, sighex, fz_pk, &err) !=
	    PROTO_E_SIG_LENGTH)
		FUZZ_FAIL("short signature not refused as "
			  "bad_signature_length");

	/* held = seq-1 with the set's prev: next in chain. */
	rc = proto_chain_check(set->seq - 1, set->prev, set, &next, &err);
	if (set->seq == 1) {
		static const uint8_t zero[PROTO_HASH_BYTES];
		int z = memcmp(set->prev, zero, sizeof zero) == 0;
		if (z ? (rc != PROTO_OK || next != 1) : rc != PROTO_E_CHAIN)
			FUZZ_FAIL("chain check of a first set: %s next=%d",
				  proto_code_name(rc), next);
	} else if (rc != PROTO_OK || next != 1) {
		FUZZ_FAIL("chain check of the next set: %s next=%d",
			  proto_code_name(rc), next);
	}
	/* held = seq: already held (duplicate or fork), not next. */
	proto_set_hash(bytes, len, h);
	rc = proto_chain_check(set->seq, h, set, &next, &err);
	if (rc != PROTO_OK || next != 0)
		FUZZ_FAIL("chain check of a held set: %s next=%d",
			  proto_code_name(rc), next);
	/* held = seq-2: a gap. */
	if (set->seq >= 2) {
		rc = proto_chain_check(set->seq - 2, set->prev, set, &next,
				       &err);
		if (rc != PROTO_E_SEQ_GAP)
			FUZZ_FAIL("gap not seen: %s", proto_code_name(rc));
	}
	/* held = seq-1 with another hash: broken chain. */
	if (set->seq >= 2) {
		memcpy(h, set->prev, sizeof h);
		h[0] ^= 1;
		rc = proto_chain_check(set->seq - 1, h, set, &next, &err);
		if (rc != PROTO_E_CHAIN)
			FUZZ_FAIL("broken chain not seen: %s",
				  proto_code_name(rc));
	}
}

/* The whole check for one input; FUZZ_FAIL on a broken property. */
static void fuzz_one(const uint8_t *data, size_t size)
{
	const char *bytes = (const char *)data;
	proto_set set;
	proto_err err;
	proto_code rc;

	fz_init();
	memset(&set, 0x5a, sizeof set);
	rc = proto_set_decode(bytes, size, &set, &err);
	if (rc != PROTO_OK) {
		static const proto_set zero;
		if (rc >= PROTO_E__COUNT || err.code != rc || !err.msg[0])
			FUZZ_FAIL("refusal without a consistent code and "
				  "message: %d/%d \"%s\"", rc, err.code,
				  err.msg);
		if (memcmp(&set, &zero, sizeof set) != 0)
			FUZZ_FAIL("refused set not zeroed");
		if (err.index < -1 || err.index >= PROTO_MAX_CHANGES)
			FUZZ_FAIL("error index %d out of range", err.index);
		return;
	}
	if (set.nchanges < 1 || set.nchanges > PROTO_MAX_CHANGES ||
	    set.seq < 1 || set.seq > PROTO_MAX_SEQ || !set.root)
		FUZZ_FAIL("decoded set outside the limits");
	for (size_t i = 0; i < set.nchanges; i++)
		if (!set.changes[i].kind ||
		    (i && set.changes[i].hlc <= set.changes[i - 1].hlc))
			FUZZ_FAIL("decoded change %zu breaks the rules", i);
	fz_check_sig_chain(bytes, size, &set);
	fz_check_canonical(&set);
	fz_check_merge(&set);
	proto_set_free(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	return 0;
}
