/*
** This file contains the merge rule: field-level last-writer-wins ordered by
** stamp (HLC, device id), tombstones, and the detection of concurrent edits.
** The same code runs on every replica, so all replicas converge whatever the
** order in which changes arrive.
**
** A record's state is a cJSON object owned by the caller:
**
**   {"kind":"model","f":{"crop":{"v":"Sticky maize","s":"<stamp>"},...}}
**
** where "s" is the stamp text "<hlc>-<device>" of the write that set "v".
** Reserved fields (never wire fields) follow the same rule, each written by
** one op with the change's stamp: "_owner" (the device id of the record's
** owner: written by create with the author, by handover with "to"),
** "_deleted" (true by delete, false by restore: a record whose "_deleted"
** is true is gone for every reader) and "_retracted" (true by retract: the
** observation no longer counts).
*/
#ifndef FIELDSYNC_MERGE_H
#define FIELDSYNC_MERGE_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "hlc.h"
#include "changeset.h"

#define PROTO_DELETED_FIELD "_deleted"
#define PROTO_OWNER_FIELD "_owner"
#define PROTO_RETRACTED_FIELD "_retracted"

/* Does a write stamped `in` replace a value stamped `cur`? 1 if cur is NULL
** or in > cur, else 0 (equal stamps: the same write, nothing to do). */
int proto_merge_takes(const proto_stamp *cur, const proto_stamp *in);

/* Is a write concurrent with the value it meets? It is when a value exists,
** it is not the write itself, its value differs, and it is not the value the
** author declared it saw (base; NULL = saw nothing). */
int proto_merge_concurrent(const proto_stamp *cur, const cJSON *cur_value,
			   const proto_stamp *base, const proto_stamp *in,
			   const cJSON *in_value);

/* One concurrent edit, reported to the caller of proto_merge_apply. A
** delete and an edit that did not see each other are reported with field
** "_deleted": the winner is the delete (value true), the loser the edit
** (value: the object of fields it wrote). */
typedef struct proto_conflict {
	const char *record_id;
	const proto_kind_def *kind;
	const char *field;
	const cJSON *winner_value;
	proto_stamp winner;
	const cJSON *loser_value;
	proto_stamp loser;
} proto_conflict;

typedef void (*proto_conflict_fn)(void *ctx, const proto_conflict *c);

/* Apply one change by author to *state (NULL: no record yet; a new state is
** created). Field by field: the higher stamp wins. Concurrent edits are
** reported through cb (may be NULL). *changed is set to 1 if the state
** changed. Errors: the state belongs to another kind (PROTO_E_VALUE), a
** malformed state or base stamp (PROTO_E_FORMAT), out of memory. On error
** *state is unchanged. */
proto_code proto_merge_apply(cJSON **state, const proto_change *ch,
			     const uint8_t author[PROTO_ID_BYTES],
			     proto_conflict_fn cb, void *ctx, int *changed,
			     proto_err *err) PROTO_WUR;

/* Kind of a state, NULL if malformed. */
const proto_kind_def *proto_state_kind(const cJSON *state);

/* 1 if the record is deleted (tombstone), else 0. */
int proto_state_deleted(const cJSON *state);
/* 1 if the observation is retracted, else 0. */
int proto_state_retracted(const cJSON *state);
/* The owner's device id (32 hex), or NULL when the state names none. */
const char *proto_state_owner(const cJSON *state);

/* The current value of a field, or NULL; with its stamp in *stamp if
** stamp != NULL and the field exists. */
const cJSON *proto_state_get(const cJSON *state, const char *field,
			     proto_stamp *stamp);

/* The plain values (object field -> value, tombstone excluded), new tree the
** caller frees; NULL when out of memory. */
cJSON *proto_state_values(const cJSON *state);

/* Canonical one-line dump of a record for convergence checks:
** "<id> <kind> <field>=<json value>@<stamp> ..." with fields in table order,
** then _owner, _deleted and _retracted. malloc'd, caller frees; NULL on malformed state or OOM. */
char *proto_state_canonical(const char *id, const cJSON *state);

#endif
