/*
** This file contains what the files of libfieldsync share and the public
** header does not show: the handle's layout, the store's schema version and
** migrations, error helpers, and the record-state helpers that local writes
** (write.c) and, later, pulled changes (sync) both go through, so there is one
** path from a change to a stored record. Names shared between files carry the
** fs_ prefix; nothing here is part of the public interface.
*/
#ifndef FIELDSYNC_INTERNAL_H
#define FIELDSYNC_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "fieldsync.h"
#include "protocol/proto.h"
#include "protocol/hlc.h"
#include "protocol/records.h"
#include "protocol/changeset.h"
#include "protocol/merge.h"

/* Files in a data directory. */
#define FS_STORE_FILE "store.db"
#define FS_KEY_FILE "device.key"
#define FS_PUB_FILE "device.pub"

/* How long a writer waits for another process holding the store. */
#define FS_BUSY_TIMEOUT_MS 10000

/* WAL pages written before SQLite copies them back into store.db (open_db;
** a pass on a nearly full disk checkpoints after every commit instead). */
#define FS_WAL_AUTOCHECKPOINT 8192
/* Room (health.c, fs_sync_room): free space beyond three times the pending
** sets at which a pass needs no care (the WAL may reach 32 MiB); the most
** one transaction of a pass writes when there is less; and what the small
** writes of a pass take besides. */
#define FS_ROOM_COMFORTABLE (48LL * 1024 * 1024)
#define FS_TIGHT_TXN_BYTES (128LL * 1024)
#define FS_ROOM_SLACK (64LL * 1024)

/* Meta keys (table meta). The sync issue adds its own (cursor, server...). */
#define FS_META_DEVICE "device_id"
#define FS_META_NAME "name"
#define FS_META_HLC "hlc"
#define FS_META_CREATED "created_ms"

struct fieldsync {
	sqlite3 *db;
	char *dir;                        /* data directory as given */
	char device_hex[PROTO_ID_HEX + 1]; /* "" until opened */
	uint8_t device[PROTO_ID_BYTES];
	uint8_t pk[PROTO_PK_BYTES];
	uint8_t *sk;                      /* sodium_malloc'd; NULL if closed */
	long long (*now_ms)(void *ctx);   /* wall clock; replaceable for tests */
	void *now_ctx;
	int status;                       /* last failure, FIELDSYNC_OK after success */
	char msg[1024];                   /* its message */
	char field[64];                   /* field it is about, "" if none */
	long import_skipped;              /* see fieldsync_import_skipped */
	/* Statements run once per record in bulk work (pull, import), kept
	** prepared: preparing them each time cost more than running them.
	** Finalized by fieldsync_close. */
	sqlite3_stmt *st_state_load;
	sqlite3_stmt *st_state_store;
};

/* Schema: fs_migrations[i] takes user_version i to i+1. */
extern const char *const fs_migrations[];
extern const int fs_schema_version;

/* Record a failure on fs and return status. */
int fs_fail(fieldsync *fs, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int fs_fail_field(fieldsync *fs, int status, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A failure from SQLite (rc, plus errno when it says disk full or read-only)
** mapped to a status; what says what was being done. */
int fs_sqlfail(fieldsync *fs, int rc, const char *what);
/* A failure from the protocol module: invalid input unless out of memory. */
int fs_protofail(fieldsync *fs, const proto_err *err, const char *field);
/* Clear the last failure. */
void fs_ok(fieldsync *fs);

/* Transactions: BEGIN IMMEDIATE (writers queue at the start, never deadlock
** upgrading a read lock), COMMIT, ROLLBACK (ignores errors). */
int fs_begin(fieldsync *fs) FIELDSYNC_WUR;
int fs_commit(fieldsync *fs) FIELDSYNC_WUR;
void fs_rollback(fieldsync *fs);

/* Meta table. fs_meta_get: *out is malloc'd (caller frees), NULL if absent. */
int fs_meta_get(fieldsync *fs, const char *key, char **out) FIELDSYNC_WUR;
int fs_meta_set(fieldsync *fs, const char *key, const char *value)
	FIELDSYNC_WUR;

/* A new identity for fieldsync_reenroll (sync.c), in two steps so that a
** crash at any point leaves a store that opens. fs_identity_stage: the key
** pair staged in device.key.new / device.pub.new, made now or kept from an
** attempt that did not finish (whose enrollment is then reused); pk and sk
** (PROTO_SK_BYTES of the caller's secure memory) receive it.
** fs_identity_install: after the store's meta device_id was committed as
** the staged key's, move the staged files into place and load them into fs
** (fieldsync_open finishes this itself after a crash). */
int fs_identity_stage(fieldsync *fs, uint8_t pk[PROTO_PK_BYTES], uint8_t *sk)
	FIELDSYNC_WUR;
int fs_identity_install(fieldsync *fs) FIELDSYNC_WUR;

/* Next local HLC: tick from the persisted value with the wall clock and
** persist it. Call inside a write transaction. */
int fs_hlc_next(fieldsync *fs, proto_hlc *out) FIELDSYNC_WUR;

/* Record states (merge.h layout) as stored in table records. fs_state_load
** sets *state to NULL when the id is unknown (not an error). fs_state_store
** writes the state and its derived columns (kind, deleted, ref, stamps). */
int fs_state_load(fieldsync *fs, const char *id, cJSON **state) FIELDSYNC_WUR;
int fs_state_store(fieldsync *fs, const char *id, const cJSON *state)
	FIELDSYNC_WUR;

/* Full id of the live record matching prefix (see fieldsync_resolve); works
** inside or outside a transaction. what names the argument in messages. */
int fs_resolve(fieldsync *fs, const char *prefix, const char *what,
	       char id[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Get a sync pass ready for the room the disk has (health.c): *out is a
** copy of in (may be NULL) with the set size a nearly full disk needs, and
** *sets_per_request the sets per push request then (0: the default). When
** even a careful pass would not fit, FIELDSYNC_E_FULL says how much space
** it needs; nothing is changed. */
int fs_sync_room(fieldsync *fs, const fieldsync_sync_opts *in,
		 fieldsync_sync_opts *out, int *sets_per_request)
	FIELDSYNC_WUR;

/* The field of kind k that points to records of kind parent (an id field
** named after it, e.g. progress.model), or NULL. */
const proto_field_def *fs_ref_field(const proto_kind_def *k,
				    const proto_kind_def *parent);

#endif
