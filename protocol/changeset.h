/*
** This file contains changes and change sets: canonical encoding, strict
** decoding, hashing, signing, verification and the per-device hash chain.
**
** A change set travels as its exact bytes (compact UTF-8 JSON) plus a
** detached Ed25519 signature. Nobody re-serialises it: the receiver hashes and
** verifies the bytes it got, stores them verbatim and hands them on.
**
**   bytes   = {"v":2,"device":D,"seq":N,"prev":P,"changes":[C,...]}
**   hash    = BLAKE2b-256(bytes)                        (32 bytes)
**   signed  = "fieldsync changeset v2\n" || hash         (23 + 32 bytes)
**   sig     = Ed25519-detached(signed, device secret key) (64 bytes)
**
**   C = {"id":I,"kind":K,"op":O,"hlc":H,"fields":{name:value,...},
**        "base":{name:stamp,...},"to":DEVICE,"reason":TEXT}
**
**   O = create | update | delete | restore | retract | handover
**
** "fields" only on create and update; "base" only on update and names, for
** each field written, the stamp of the value the author saw (omitted for a
** field the author saw no value for); "to" only on handover (the new owner);
** "reason" required on delete and retract, optional on update, restore and
** handover. Who may send which op is owner.h's rule. SPEC.md gives every
** rule.
*/
#ifndef FIELDSYNC_CHANGESET_H
#define FIELDSYNC_CHANGESET_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "proto.h"
#include "hlc.h"
#include "records.h"

typedef enum proto_op {
	PROTO_OP_CREATE,
	PROTO_OP_UPDATE,
	PROTO_OP_DELETE,   /* soft: the record leaves every listing */
	PROTO_OP_RESTORE,  /* undoes a delete */
	PROTO_OP_RETRACT,  /* an observation no longer counts */
	PROTO_OP_HANDOVER  /* HQ gives the record to device "to" */
} proto_op;

/* "create", "update", "delete", "restore", "retract", "handover". */
const char *proto_op_name(proto_op op);

typedef struct proto_change {
	char id[PROTO_ID_HEX + 1];    /* the record's id */
	const proto_kind_def *kind;
	proto_op op;
	proto_hlc hlc;                /* stamp = (hlc, set's device) */
	const cJSON *fields;          /* object name -> value; NULL for delete */
	const cJSON *base;            /* object name -> stamp text, or NULL */
	const char *reason;           /* why (delete, retract...), or NULL */
	char to[PROTO_ID_HEX + 1];    /* handover: the new owner; else "" */
} proto_change;

typedef struct proto_set {
	uint8_t device[PROTO_ID_BYTES];
	char device_hex[PROTO_ID_HEX + 1];
	int64_t seq;                  /* 1, 2, 3... per device */
	uint8_t prev[PROTO_HASH_BYTES]; /* hash of set seq-1; zeros for seq 1 */
	size_t nchanges;
	proto_change *changes;        /* point into root */
	cJSON *root;                  /* owns everything above */
} proto_set;

/* Canonical bytes of one change (no whitespace, members in the order of the
** table above, fields in the kind's table order). Validates every field and
** the op rules. On success *out is malloc'd (caller frees) and NUL-ended;
** on failure *out is NULL. */
proto_code proto_change_encode(const proto_change *c, char **out,
			       size_t *outlen, proto_err *err) PROTO_WUR;

/* Assemble a change set from changes already encoded by proto_change_encode.
** Checks count and size limits. *out is malloc'd, caller frees. */
proto_code proto_set_encode(const uint8_t device[PROTO_ID_BYTES], int64_t seq,
			    const uint8_t prev[PROTO_HASH_BYTES],
			    const char *const *changes, const size_t *lens,
			    size_t n, char **out, size_t *outlen,
			    proto_err *err) PROTO_WUR;

/* Bytes a set header and n changes of total change bytes will take; for
** batching by size. Cannot fail. */
size_t proto_set_encoded_size(size_t n, size_t change_bytes);

/* Strict decode: valid UTF-8, one JSON object with nothing after it, no
** duplicate keys at any level, no unknown members, right types, every field
** known to its kind and valid, HLCs strictly increasing, limits respected.
** On success fills *out (free with proto_set_free); on failure *out is zeroed
** and err->index names the offending change (or -1). */
proto_code proto_set_decode(const char *bytes, size_t len, proto_set *out,
			    proto_err *err) PROTO_WUR;

/* Strict decode of one change as encoded by proto_change_encode (the form
** an outbox keeps). On success *root owns the tree *out points into
** (cJSON_Delete it); on failure *root is NULL. */
proto_code proto_change_decode(const char *bytes, size_t len, cJSON **root,
			       proto_change *out, proto_err *err) PROTO_WUR;

/* Free what proto_set_decode allocated. Accepts a zeroed set. */
void proto_set_free(proto_set *set);

/* BLAKE2b-256 of the exact bytes. Cannot fail. */
void proto_set_hash(const char *bytes, size_t len,
		    uint8_t out[PROTO_HASH_BYTES]);

/* Sign the exact bytes with a device secret key (64 bytes, libsodium form).
** Cannot fail. */
void proto_set_sign(const char *bytes, size_t len,
		    const uint8_t sk[PROTO_SK_BYTES],
		    uint8_t sig[PROTO_SIG_BYTES]);

/* Verify sig (siglen bytes) over the exact bytes with public key pk.
** PROTO_OK, PROTO_E_SIG_LENGTH (siglen != 64) or PROTO_E_BAD_SIG. */
proto_code proto_set_verify(const char *bytes, size_t len,
			    const uint8_t *sig, size_t siglen,
			    const uint8_t pk[PROTO_PK_BYTES],
			    proto_err *err) PROTO_WUR;

/* Same, with the signature as hex text (as it travels). A hex string that is
** not 128 lowercase hex digits is PROTO_E_SIG_LENGTH. */
proto_code proto_set_verify_hex(const char *bytes, size_t len,
				const char *sighex,
				const uint8_t pk[PROTO_PK_BYTES],
				proto_err *err) PROTO_WUR;

/* Where set fits the device's chain, given the last sequence number held
** (0 if none) and its hash. PROTO_OK with *is_next=1 if set is seq held+1
** with prev == held hash; PROTO_OK with *is_next=0 if seq <= held (the caller
** compares bytes: same = duplicate, different = fork); PROTO_E_SEQ_GAP if
** seq > held+1; PROTO_E_CHAIN if seq == held+1 and prev differs. */
proto_code proto_chain_check(int64_t held_seq,
			     const uint8_t held_hash[PROTO_HASH_BYTES],
			     const proto_set *set, int *is_next,
			     proto_err *err) PROTO_WUR;

/* Device keys and ids. proto_keypair fills pk/sk from libsodium's CSPRNG;
** proto_device_id derives the device id: BLAKE2b-128 of the public key. */
void proto_keypair(uint8_t pk[PROTO_PK_BYTES], uint8_t sk[PROTO_SK_BYTES]);
void proto_device_id(const uint8_t pk[PROTO_PK_BYTES],
		     uint8_t id[PROTO_ID_BYTES]);

/* A new random record id as 32 hex digits (out holds 33 bytes). */
void proto_id_new(char out[PROTO_ID_HEX + 1]);

/* Authentication: the device signs "fieldsync auth v2\n" || challenge text.
** sighex holds 129 bytes. */
void proto_auth_sign(const char *challenge, const uint8_t sk[PROTO_SK_BYTES],
		     char sighex[PROTO_SIG_HEX + 1]);
proto_code proto_auth_verify(const char *challenge, const char *sighex,
			     const uint8_t pk[PROTO_PK_BYTES],
			     proto_err *err) PROTO_WUR;

/* One-request sync (SPEC 10.12, protocol version 3): the device signs
** "fieldsync sync v3\n" || ticket text (the ticket its last sync gave it). */
void proto_sync_sign(const char *ticket, const uint8_t sk[PROTO_SK_BYTES],
		     char sighex[PROTO_SIG_HEX + 1]);
proto_code proto_sync_verify(const char *ticket, const char *sighex,
			     const uint8_t pk[PROTO_PK_BYTES],
			     proto_err *err) PROTO_WUR;

/* Strict JSON parse used for every untrusted body: checks UTF-8, parses
** exactly len bytes, refuses trailing bytes and duplicate keys at any level.
** On success *out is the tree (cJSON_Delete it). */
proto_code proto_json_parse(const char *buf, size_t len, cJSON **out,
			    proto_err *err) PROTO_WUR;

/* Member-name comparisons the duplicate-key check of proto_json_parse has
** made in this thread since it started: tests read it to check that the
** cost of the check grows as n log n, not n^2, without timing anything. */
extern _Thread_local unsigned long proto_json_name_compares;

/* Must be called once before any function above (wraps sodium_init).
** Returns 0 on success, -1 if libsodium cannot initialise. */
int proto_init(void) PROTO_WUR;

#endif
