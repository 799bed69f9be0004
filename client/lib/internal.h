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

/* Statements fs_stmt keeps prepared (one handle uses about twenty). */
#define FS_STMT_SLOTS 48

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
	char msg[1024];                   /* its message (translated: room for Lao) */
	char detail[1024];                /* msg without the field's name, or "" */
	char field[64];                   /* field it is about, "" if none */
	long import_skipped;              /* see fieldsync_import_skipped */
	const char *lang;                 /* "vi", "lo", "en"; NULL: the default */
	/* Statements run once per record in bulk work (pull, import), kept
	** prepared: preparing them each time cost more than running them.
	** Finalized by fieldsync_close. */
	sqlite3_stmt *st_state_load;
	sqlite3_stmt *st_state_store;
	/* fs_stmt's cache: statements of the per-row and per-set paths
	** (history, chain heads, roster), keyed by their SQL text. */
	struct fs_stmt_slot {
		const char *sql;          /* the caller's literal */
		sqlite3_stmt *st;
	} stmts[FS_STMT_SLOTS];
	char *print_buf;                  /* fs_print's buffer, reused */
	size_t print_cap;
};

/* ---- languages (lang.c) and input as people type it (input.c) ---- */

/* The default language when the environment names no supported one. */
#define FS_LANG_DEFAULT "vi"

/* "vi", "lo" or "en" for a language tag ("vi_VN.UTF-8", "lo-LA", "EN"),
** NULL if unsupported. Static strings. */
const char *fs_lang_norm(const char *tag);
/* The handle's language (fs may be NULL: the process default). */
const char *fs_lang(const fieldsync *fs);
/* msgid in language lang (NULL: the process default); msgid itself when
** the catalog has no translation, for English, and for "" or NULL.
** Returned text is static (the catalog's); cannot fail. */
const char *fs_tr(const char *lang, const char *msgid)
	__attribute__((format_arg(2)));
/* Make the protocol module's messages on this thread speak fs's language.
** fs_ok calls it, so every public call on a handle does. */
void fs_lang_enter(const fieldsync *fs);

/* Text typed by a person for field f, in the strict form the protocol
** parses (proto_field_parse): NFC-normalised and trimmed; decimal comma;
** dates as DD/MM/YYYY and with one-digit months and days; reference names
** matched without diacritics, case, spaces and the words around them
** ("tỉnh Salavan"). *out is malloc'd (caller frees). On failure *out is
** NULL and fs holds the message (about field f), "did you mean" included. */
int fs_input_field(fieldsync *fs, const proto_field_def *f, const char *text,
		   char **out) FIELDSYNC_WUR;
/* Canonical name of the entry of list l that text (as typed) names; with
** field (its wire name) set the failure on fs, else only return NULL. */
int fs_input_ref(fieldsync *fs, const proto_ref_list *l, const char *field,
		 const char *text, const char **canon) FIELDSYNC_WUR;
/* 1 if needle occurs in hay once both are folded as reference names are
** (case, Vietnamese marks, spaces and punctuation ignored: "ngo nep" is in
** "Ngô nếp (sticky maize)"); an empty needle is in everything. */
int fs_text_contains(const char *hay, const char *needle);
/* The display name of a list's entry in a language: the wire name in
** English, the translated label otherwise. */
const char *fs_ref_display(const proto_ref_entry *e, const char *lang);

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

/* The statement for sql (a string literal: it is kept by address),
** prepared on the first call and kept until fieldsync_close, reset and
** with no bindings. The caller binds, steps and calls fs_stmt_done, never
** sqlite3_finalize. Returns an SQLite code (SQLITE_OK, *out set). Once
** every slot is taken, further statements are prepared for the one call
** and fs_stmt_done finalizes them. */
int fs_stmt(fieldsync *fs, const char *sql, sqlite3_stmt **out);
/* After fs_stmt: reset st (no lock held, no pointer into the caller's
** buffers kept) or finalize it when it was not cached; accepts NULL. */
void fs_stmt_done(fieldsync *fs, sqlite3_stmt *st);
/* item as cJSON_PrintUnformatted writes it, in fs's buffer (valid until
** the next fs_print on fs; the caller does not free it); NULL when out
** of memory. Saves a malloc and the buffer's regrowth per record. */
const char *fs_print(fieldsync *fs, const cJSON *item);

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
/* The same for deleted records (undelete). */
int fs_resolve_deleted(fieldsync *fs, const char *prefix, const char *what,
		       char id[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Any record, live, deleted or retracted (history). */
int fs_resolve_any(fieldsync *fs, const char *prefix, const char *what,
		   char id[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* History and notices (history.c). fs_history_add records that change ch
** by author_hex turned record id from before (NULL: none) into after, inside
** the caller's write transaction: one history entry, and a notice when the
** author is another device and this device owns the record. Every path that
** applies a change calls it (local writes, pulled sets). */
int fs_history_add(fieldsync *fs, const char *id, const cJSON *before,
		   const cJSON *after, const proto_change *ch,
		   const char *author_hex) FIELDSYNC_WUR;
/* The roster's name of device hex into name ("" when unknown) and whether
** its role is HQ (*hq). Cannot fail: an unreadable roster knows nobody. */
void fs_roster_who(fieldsync *fs, const char *hex, char *name, size_t n,
		   int *hq);
/* The highest notice number so far (0: none). */
long long fs_notices_last(fieldsync *fs);

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
