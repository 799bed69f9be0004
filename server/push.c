/*
** This file contains srv_push_set (push.h). Order of the checks, cheapest
** and least stateful first: size, strict decode, author, signature; then,
** holding the write lock so nothing moves underneath: revocation, chain
** (duplicate, fork, gap, broken link), HLC order and clock bound; then the
** set gets its cursor and each change is validated and merged at row level.
** Any failure after BEGIN rolls everything back. A push request's sets share
** one transaction (srv_push_begin/_end), each set in a savepoint of it: a set
** is still all or nothing, and the request's sets are written in one commit
** instead of one each (every set's commit rewrote the random-keyed index of
** record ids, more bytes than the set's own rows).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "protocol/changeset.h"
#include "protocol/merge.h"
#include "protocol/owner.h"
#include "push.h"

typedef struct conflict_ctx {
	srv_store *s;
	int64_t cursor;
	int64_t now_ms;
	int author_hq;    /* the set's author has role "hq" (SPEC 9.6) */
	int rc;           /* first store error inside the callback */
	size_t count;
} conflict_ctx;

int srv_proto_status(proto_code code)
{
	return code == PROTO_OK ? 200 : code == PROTO_E_NOMEM ? 503 : 400;
}

/* Status of a protocol code found inside a change set (SPEC.md 10.10). */
static int set_status(proto_code code)
{
	switch (code) {
	case PROTO_E_BAD_SIG:
		return 403;
	case PROTO_E_SEQ_GAP:
	case PROTO_E_CHAIN:
		return 409;
	case PROTO_E_NOMEM:
		return 503;
	case PROTO_E_NOT_OWNER:
		return 403;
	default:
		return 422;
	}
}

static int refuse(srv_push_result *r, int status, const char *code,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(srv_push_result *r, int status, const char *code,
		  const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return status;
}

static int refuse_proto(srv_push_result *r, proto_code pc, const proto_err *e)
{
	r->index = e->index;
	if (pc == PROTO_E_NOMEM)
		return refuse(r, 503, "busy", "out of memory; try again");
	return refuse(r, set_status(pc), proto_code_name(pc), "%s",
		      e->msg[0] ? e->msg : proto_code_name(pc));
}

static int refuse_store(srv_push_result *r, srv_store *s, int rc)
{
	if (rc == SRV_E_BUSY)
		return refuse(r, 503, "busy", "the database is busy; try again "
			      "(%s)", srv_store_errmsg(s));
	if (rc == SRV_E_FULL)
		return refuse(r, 503, "storage_full", "the server's disk is "
			      "full (%s); nothing was stored: try again later",
			      srv_store_errmsg(s));
	return refuse(r, 500, "internal_error", "storage failed: %s",
		      srv_store_errmsg(s));
}

static void on_conflict(void *vctx, const proto_conflict *c)
{
	conflict_ctx *ctx = vctx;
	srv_conflict sc;
	char *wv = NULL, *lv = NULL;
	int rc;

	if (ctx->rc)
		return;
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.record, sizeof(sc.record), "%s", c->record_id);
	snprintf(sc.kind, sizeof(sc.kind), "%s", c->kind ? c->kind->name : "");
	snprintf(sc.field, sizeof(sc.field), "%s", c->field);
	wv = c->winner_value ? cJSON_PrintUnformatted(c->winner_value) : NULL;
	lv = c->loser_value ? cJSON_PrintUnformatted(c->loser_value) : NULL;
	if ((c->winner_value && !wv) || (c->loser_value && !lv)) {
		ctx->rc = SRV_E_NOMEM;
		goto out;
	}
	sc.winner_value = wv;
	sc.loser_value = lv;
	proto_stamp_format(sc.winner_stamp, &c->winner);
	proto_stamp_format(sc.loser_stamp, &c->loser);
	sc.detected_cursor = ctx->cursor;
	sc.detected_ms = ctx->now_ms;
	rc = srv_store_conflict_add(ctx->s, &sc);
	if (rc)
		ctx->rc = rc;
	else
		ctx->count++;
out:
	cJSON_free(wv);
	cJSON_free(lv);
}

/* Merge one change into its record's stored state. */
static int apply_change(srv_store *s, const proto_set *set, size_t i,
			conflict_ctx *cctx, srv_push_result *r)
{
	const proto_change *ch = &set->changes[i];
	char *text = NULL, *out = NULL;
	size_t len = 0;
	cJSON *state = NULL;
	proto_err e;
	proto_code pc;
	int rc, changed = 0, ret = 0;

	/* A create's fields were checked complete and valid by
	** proto_set_decode (changeset.h: "every field known to its kind and
	** valid"), and the decoded set is not modified since: checking them
	** again here cost a tenth of the push and could not fail. */
	rc = srv_store_record_get(s, ch->id, &text, &len);
	if (rc == SRV_OK) {
		state = cJSON_ParseWithLength(text, len);
		if (!state) {
			ret = refuse(r, 500, "internal_error", "stored state of "
				     "record %s is unreadable", ch->id);
			goto out;
		}
	} else if (rc != SRV_E_NOTFOUND) {
		ret = refuse_store(r, s, rc);
		goto out;
	}
	/* Who may change what (SPEC 9.6): on the state held here, in the
	** order sets are accepted, as every other receiver decides. */
	pc = proto_owner_check(state, ch, set->device_hex, cctx->author_hq,
			       &e);
	if (pc != PROTO_OK) {
		ret = refuse_proto(r, pc, &e);
		r->index = (int)i;
		goto out;
	}
	pc = proto_merge_apply(&state, ch, set->device, on_conflict, cctx,
			       &changed, &e);
	if (pc != PROTO_OK) {
		ret = refuse_proto(r, pc, &e);
		r->index = (int)i;
		goto out;
	}
	if (cctx->rc) {
		ret = refuse_store(r, s, cctx->rc);
		goto out;
	}
	if (changed) {
		out = cJSON_PrintUnformatted(state);
		if (!out) {
			ret = refuse(r, 503, "busy", "out of memory; try again");
			goto out;
		}
		rc = srv_store_record_put(s, ch->id, ch->kind->name, out,
					  strlen(out), cctx->cursor);
		if (rc)
			ret = refuse_store(r, s, rc);
	}
out:
	cJSON_free(out);
	cJSON_Delete(state);
	free(text);
	return ret;
}

/* Keep both versions of a forked seq, in a transaction of their own so the
** evidence stays although the set is refused. */
/* The transaction of one set: its own (srv_push_set), or a savepoint in
** the request's (srv_push_set_in, after srv_push_begin). */
static int tx_begin(srv_store *s, int batched)
{
	return batched ? srv_store_savepoint(s) : srv_store_begin(s, 1);
}

static int tx_commit(srv_store *s, int batched)
{
	return batched ? srv_store_release(s) : srv_store_commit(s);
}

/* Undo the set's work; *open says whether its transaction is still open
** (cleared here), since a rollback without one must not touch the
** request's transaction. */
static void tx_abort(srv_store *s, int batched, int *open)
{
	if (!*open)
		return;
	*open = 0;
	if (batched)
		srv_store_rollback_to(s);
	else
		srv_store_rollback(s);
}

static void keep_fork(srv_store *s, const proto_set *set, const char *bytes,
		      size_t len, const char *sighex, int64_t now_ms,
		      int batched)
{
	char *held = NULL, held_sig[PROTO_SIG_HEX + 1], detail[96];
	size_t held_len = 0;
	int open = 0;

	if (srv_store_set_get(s, set->device_hex, set->seq, &held, &held_len,
			      held_sig) != SRV_OK)
		return;
	snprintf(detail, sizeof(detail), "{\"seq\":%lld}", (long long)set->seq);
	if ((open = tx_begin(s, batched) == SRV_OK) &&
	    srv_store_fork_add(s, set->device_hex, set->seq, held, held_len,
			       held_sig, bytes, len, sighex, now_ms) == SRV_OK &&
	    srv_store_device_flag(s, set->device_hex, SRV_DEV_FORKED) == SRV_OK &&
	    srv_store_event_add(s, set->device_hex, "fork", detail,
				now_ms) == SRV_OK &&
	    tx_commit(s, batched) == SRV_OK) {
		free(held);
		return;
	}
	tx_abort(s, batched, &open);
	free(held);
}

static int push_one(srv_store *s, const char *bytes, size_t len,
		    const char *sighex, const char *author, int64_t now_ms,
		    int batched, srv_push_result *r)
{
	proto_set set;
	proto_err e;
	proto_code pc;
	srv_device dev;
	uint8_t hash[PROTO_HASH_BYTES], held[PROTO_HASH_BYTES];
	conflict_ctx cctx;
	proto_hlc last;
	int rc, is_next = 0, ret = 0, open = 0;
	size_t i;

	memset(r, 0, sizeof(*r));
	memset(&set, 0, sizeof(set));
	r->status = 200;
	r->seq = -1;
	r->index = -1;
	if (len > PROTO_MAX_SET_BYTES)
		return refuse(r, 422, "too_large", "change set is %zu bytes; "
			      "the limit is %u", len, PROTO_MAX_SET_BYTES);
	pc = proto_set_decode(bytes, len, &set, &e);
	if (pc != PROTO_OK) {
		/* Name the seq whenever the decoder could read it (SPEC
		** 10.2): a client rebuilds only after a refusal naming it. */
		r->seq = e.seq > 0 ? e.seq : -1;
		return refuse_proto(r, pc, &e);
	}
	r->seq = set.seq;
	if (author && strcmp(author, set.device_hex) != 0) {
		ret = refuse(r, 403, "device_mismatch", "change set %lld is by "
			     "device %s but this session is device %s; a "
			     "device pushes only its own change sets",
			     (long long)set.seq, set.device_hex, author);
		goto out;
	}
	rc = srv_store_device_get(s, set.device_hex, &dev);
	if (rc == SRV_E_NOTFOUND) {
		ret = refuse(r, 404, "unknown_device", "device %s is not "
			     "enrolled", set.device_hex);
		goto out;
	} else if (rc) {
		ret = refuse_store(r, s, rc);
		goto out;
	}
	pc = proto_set_verify_hex(bytes, len, sighex, dev.pk, &e);
	if (pc != PROTO_OK) {
		ret = refuse_proto(r, pc, &e);
		goto out;
	}
	proto_set_hash(bytes, len, hash);

	rc = tx_begin(s, batched);
	open = rc == SRV_OK;
	if (!rc)
		rc = srv_store_device_get(s, set.device_hex, &dev);
	if (rc) {
		ret = refuse_store(r, s, rc);
		goto out;
	}
	if (dev.revoked_at_cursor >= 0) {
		ret = refuse(r, 403, "device_revoked", "device %s was revoked "
			     "by HQ; its change sets are no longer accepted",
			     set.device_hex);
		goto out;
	}
	pc = proto_chain_check(dev.head_seq, dev.head_hash, &set, &is_next, &e);
	if (pc == PROTO_E_SEQ_GAP) {
		r->expected_seq = dev.head_seq + 1;
		ret = refuse(r, 409, "sequence_gap", "change set %lld arrived "
			     "but the server holds up to %lld; send %lld first",
			     (long long)set.seq, (long long)dev.head_seq,
			     (long long)dev.head_seq + 1);
		goto out;
	} else if (pc == PROTO_E_CHAIN) {
		ret = refuse(r, 409, "chain_broken", "change set %lld does not "
			     "name the hash of set %lld as its prev",
			     (long long)set.seq, (long long)dev.head_seq);
		goto out;
	} else if (pc != PROTO_OK) {
		ret = refuse_proto(r, pc, &e);
		goto out;
	}
	if (!is_next) {
		rc = srv_store_set_hash(s, set.device_hex, set.seq, held);
		if (rc) {
			ret = refuse_store(r, s, rc);
			goto out;
		}
		tx_abort(s, batched, &open);
		if (memcmp(held, hash, sizeof(hash)) == 0) {
			r->duplicate = 1;
			goto out;
		}
		keep_fork(s, &set, bytes, len, sighex, now_ms, batched);
		ret = refuse(r, 409, "fork", "the server already holds a "
			     "different change set %lld from device %s; both "
			     "are kept as evidence and HQ is told",
			     (long long)set.seq, set.device_hex);
		goto out;
	}
	if (set.changes[0].hlc <= dev.last_hlc) {
		r->index = 0;
		r->last_hlc = dev.last_hlc;
		r->has_last_hlc = 1;
		ret = refuse(r, 422, "hlc_order", "the first HLC of change "
			     "set %lld is not after the last HLC of set %lld",
			     (long long)set.seq, (long long)dev.head_seq);
		goto out;
	}
	last = set.changes[set.nchanges - 1].hlc;
	if (proto_hlc_ms(last) > now_ms + PROTO_MAX_CLOCK_AHEAD_MS) {
		for (i = 0; i < set.nchanges; i++)
			if (proto_hlc_ms(set.changes[i].hlc) >
			    now_ms + PROTO_MAX_CLOCK_AHEAD_MS)
				break;
		r->index = (int)i;
		r->ahead_ms = proto_hlc_ms(last) - now_ms;
		ret = refuse(r, 422, "clock_ahead", "change set %lld is stamped "
			     "%lld s ahead of the server clock (the limit is "
			     "%lld s): the device clock is wrong. Nothing was "
			     "stored and the data stays on the device: fix the "
			     "clock and sync again", (long long)set.seq,
			     (long long)(r->ahead_ms / 1000),
			     (long long)(PROTO_MAX_CLOCK_AHEAD_MS / 1000));
		goto out;
	}
	rc = srv_store_set_add(s, set.device_hex, set.seq, bytes, len, sighex,
			       hash, now_ms, &r->cursor);
	if (rc) {
		ret = refuse_store(r, s, rc);
		goto out;
	}
	memset(&cctx, 0, sizeof(cctx));
	cctx.s = s;
	cctx.cursor = r->cursor;
	cctx.now_ms = now_ms;
	cctx.author_hq = strcmp(dev.role, "hq") == 0;
	for (i = 0; i < set.nchanges; i++) {
		ret = apply_change(s, &set, i, &cctx, r);
		if (ret)
			goto out;
	}
	rc = srv_store_device_head(s, set.device_hex, set.seq, hash, last);
	if (!rc)
		rc = srv_store_device_seen(s, set.device_hex, now_ms);
	if (!rc) {
		rc = tx_commit(s, batched);
		/* A failed COMMIT rolled back; a failed RELEASE did not. */
		if (!rc || !batched)
			open = 0;
	}
	if (rc) {
		ret = refuse_store(r, s, rc);
		goto out;
	}
	r->conflicts = cctx.count;
out:
	if (ret) {
		r->cursor = 0;
		r->conflicts = 0;
	}
	tx_abort(s, batched, &open);
	proto_set_free(&set);
	return ret;
}

int srv_push_set(srv_store *s, const char *bytes, size_t len,
		 const char *sighex, const char *author, int64_t now_ms,
		 srv_push_result *r)
{
	return push_one(s, bytes, len, sighex, author, now_ms, 0, r);
}

int srv_push_begin(srv_store *s)
{
	return srv_store_begin(s, 1);
}

int srv_push_set_in(srv_store *s, const char *bytes, size_t len,
		    const char *sighex, const char *author, int64_t now_ms,
		    srv_push_result *r)
{
	return push_one(s, bytes, len, sighex, author, now_ms, 1, r);
}

int srv_push_end(srv_store *s)
{
	return srv_store_commit(s);
}
