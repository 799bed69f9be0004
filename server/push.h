/*
** This file contains the acceptance of one signed change set: strict decode,
** signature against the author's enrolled key, revocation, the hash chain,
** the HLC rules, record validation, then the merge of every change and the
** verbatim storage of bytes and signature, all in one transaction. It is
** below HTTP, so the push endpoint, HQ's own resolutions, imports from files
** and the fuzzer all go through the same door.
*/
#ifndef FIELDSYNC_SRV_PUSH_H
#define FIELDSYNC_SRV_PUSH_H

#include <stddef.h>
#include <stdint.h>
#include "protocol/proto.h"
#include "store.h"

typedef struct srv_push_result {
	int status;           /* HTTP status: 200 accepted or duplicate */
	const char *code;     /* wire error code, NULL when accepted */
	char msg[400];        /* what is wrong and what to do */
	int64_t seq;          /* the set's seq, -1 if it could not be read
			      ** (not strict JSON, v != 1, seq invalid) */
	int index;            /* offending change, -1 for the whole set */
	int64_t expected_seq; /* sequence_gap: the seq the server expects */
	int64_t ahead_ms;     /* clock_ahead: how far ahead of the server */
	uint64_t last_hlc;    /* hlc_order: last HLC of the device's head */
	int has_last_hlc;
	int duplicate;        /* held already: success, nothing changed */
	int64_t cursor;       /* global cursor given to the set */
	size_t conflicts;     /* concurrent edits recorded */
} srv_push_result;

/* Accept one change set (bytes as they travelled, signature as 128 hex).
** author: the authenticated device, which must be the set's device; NULL
** accepts a set by any enrolled device (HQ's own, imports). Returns 0 when
** accepted or already held (r->duplicate), else r->status (4xx/5xx) with
** r->code and r->msg; a refused set changes nothing, except that a fork is
** kept as evidence and its device flagged. */
int srv_push_set(srv_store *s, const char *bytes, size_t len,
		 const char *sighex, const char *author, int64_t now_ms,
		 srv_push_result *r);

/* The sets of one push request in one transaction: srv_push_begin takes
** the write lock; srv_push_set_in accepts one set as srv_push_set does, in
** a savepoint of that transaction (a refused set changes nothing, a fork's
** evidence is kept); srv_push_end commits, and only then is any of them
** held: on failure none of the request's sets are (rolled back). Between
** begin and end nothing else may use s. */
int srv_push_begin(srv_store *s) SRV_WUR;
int srv_push_set_in(srv_store *s, const char *bytes, size_t len,
		    const char *sighex, const char *author, int64_t now_ms,
		    srv_push_result *r);
int srv_push_end(srv_store *s) SRV_WUR;

/* HTTP status for a protocol error code found in a request itself (body,
** query): 400, or 503 when out of memory. Inside a change set the status is
** 422 (403 bad_signature, 409 chain codes), see srv_push_set. */
int srv_proto_status(proto_code code);

#endif
