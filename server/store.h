/*
** This file contains the server's storage interface: the narrow set of
** operations the HTTP, push, admin and HQ code need from a database. Nothing
** outside server/store*.c knows which database is behind it; a backend is a
** table of functions (srv_store_ops in store_impl.h) and srv_store_open picks
** one by the path's scheme ("sqlite:PATH" or a plain path = SQLite; a
** PostgreSQL URI or libpq connection string = PostgreSQL, store.c).
**
** One srv_store is one connection: it is not shared between threads at the
** same time (the HTTP layer keeps a pool of them, see pool.h). Writes happen
** between srv_store_begin(s, 1) and srv_store_commit / srv_store_rollback;
** reads may run outside a transaction (each statement is then its own).
**
** Every function returns SRV_OK (0) or an SRV_E_* code; srv_store_errmsg()
** gives the last message. Out-parameters are cleared first. Ids are 32 hex,
** hashes are raw 32 bytes, times are unix milliseconds, cursors are the
** global sequence numbers of accepted change sets (1, 2, 3...).
*/
#ifndef FIELDSYNC_SRV_STORE_H
#define FIELDSYNC_SRV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "protocol/proto.h"
#include "protocol/hlc.h"

#define SRV_WUR __attribute__((warn_unused_result))

enum {
	SRV_OK = 0,
	SRV_E_NOTFOUND,   /* no such row */
	SRV_E_EXISTS,     /* unique key already present */
	SRV_E_AMBIGUOUS,  /* a prefix matches more than one row */
	SRV_E_BUSY,       /* database locked beyond the busy timeout */
	SRV_E_IO,         /* the database failed (disk, corruption...) */
	SRV_E_NOMEM,
	SRV_E_ARG,        /* bad argument (caller bug or bad input) */
	SRV_E_EXPIRED,    /* a token, challenge or session past its time */
	SRV_E_USED,       /* a single-use token or challenge already used */
	SRV_E_FULL        /* the database's disk (or quota) is full: transient,
	                  ** nothing was written; try again once there is room */
};

#define SRV_NAME_MAX 200  /* bytes of a device or token name */

/* Device flags, for HQ. */
#define SRV_DEV_FORKED   1u /* pushed two different sets with one seq: two
			    ** stores use its identity (a copied store) */
#define SRV_DEV_RESTORED 2u /* came back with a seq behind what we hold */
#define SRV_DEV_CONFLICTS_CAPPED 0x100u /* had SRV_CONFLICTS_OPEN_MAX open
					** conflicts: later ones not listed */
#define SRV_DEV_FORKS_CAPPED     0x200u /* has SRV_FORKS_MAX fork evidence
					** rows: later forks not kept */

/* The flags as a person reads them: "forked,conflicts-capped", "-" for
** none. Cannot fail (truncates). */
void srv_device_flags_text(unsigned flags, char *out, size_t n);

/* What one device can make the server keep for HQ (issue 9: one device
** made 40,000 conflicts in 0.7 s). Past a cap the data still merges (a
** concurrent edit is decided as always) or the fork is still refused; only
** the entry for HQ is not recorded, and the device is flagged once with an
** event ("conflicts_capped" / "forks_capped"). Resolving conflicts makes
** room again. */
#define SRV_CONFLICTS_OPEN_MAX 1000 /* open conflicts met by one device */
#define SRV_FORKS_MAX 16            /* fork evidence rows (2 sets each) */

typedef struct srv_store srv_store;

typedef struct srv_device {
	char id[PROTO_ID_HEX + 1];
	uint8_t pk[PROTO_PK_BYTES];
	char name[SRV_NAME_MAX + 1];   /* given by HQ when the token was made */
	char client_name[SRV_NAME_MAX + 1]; /* what the device called itself */
	char role[8];                  /* "expert", "leader", "hq" */
	int64_t enrolled_ms;
	int64_t revoked_at_cursor;     /* -1: not revoked */
	int64_t revoked_ms;            /* 0: not revoked */
	int64_t last_seen_ms;          /* 0: never */
	unsigned flags;                /* SRV_DEV_* */
	int64_t head_seq;              /* highest seq held, 0 = none */
	uint8_t head_hash[PROTO_HASH_BYTES]; /* its hash, zeros if none */
	uint64_t last_hlc;             /* last HLC of the head set */
} srv_device;

typedef struct srv_token {
	char name[SRV_NAME_MAX + 1];
	char role[8];
	int64_t created_ms;
	int64_t expires_ms;
	int64_t used_ms;               /* 0: unused */
	char device[PROTO_ID_HEX + 1]; /* device enrolled with it, or "" */
} srv_token;

typedef struct srv_conflict {
	int64_t id;                    /* set by the store on add; 0: capped */
	char device[PROTO_ID_HEX + 1]; /* whose set met it; "" = the author
	                               ** of the set at detected_cursor */
	char record[PROTO_ID_HEX + 1];
	char kind[16];
	char field[64];
	const char *winner_value;      /* JSON text */
	char winner_stamp[PROTO_STAMP_TEXT + 1];
	const char *loser_value;       /* JSON text */
	char loser_stamp[PROTO_STAMP_TEXT + 1];
	int64_t detected_cursor;       /* cursor of the set that met it */
	int64_t detected_ms;
	int64_t resolved_ms;           /* 0: open */
	const char *resolution;        /* free text / JSON, NULL if open */
	int64_t resolved_cursor;       /* cursor of HQ's resolving set, 0 */
} srv_conflict;

typedef struct srv_event {
	int64_t id;
	char device[PROTO_ID_HEX + 1];
	const char *kind;              /* "restore", "fork", "revoke", ... */
	const char *detail;            /* JSON text */
	int64_t at_ms;
} srv_event;

/* Callbacks for the *_each functions; return nonzero to stop early. */
typedef int (*srv_device_cb)(void *ctx, const srv_device *d);
typedef int (*srv_set_cb)(void *ctx, int64_t cursor, const char *bytes,
			  size_t len, const char *sighex);
typedef int (*srv_record_cb)(void *ctx, const char *id, const char *kind,
			     const char *state, int64_t updated_cursor);
typedef int (*srv_conflict_cb)(void *ctx, const srv_conflict *c);
typedef int (*srv_event_cb)(void *ctx, const srv_event *e);

/* Open (create=1: create the schema if missing) the database at path.
** On success *out is a new handle (srv_store_close it); on failure *out is
** NULL and msg holds the reason. */
int srv_store_open(const char *path, int create, srv_store **out, char *msg,
		   size_t msgsz) SRV_WUR;
/* Where the file with suffix (".hqkey", ".targets") kept beside database
** db goes: SQLite PATH + suffix; PostgreSQL a state directory (store_pg.c
** says which). SRV_E_ARG if it does not fit in outsz. */
int srv_store_side_path(const char *db, const char *suffix, char *out,
			size_t outsz) SRV_WUR;
/* 0 if there is certainly no database at db to open without creating it
** (SQLite: no such file); 1 otherwise (srv_store_open then says). */
int srv_store_exists(const char *db);
/* Close; accepts NULL. Rolls back an open transaction. */
void srv_store_close(srv_store *s);
/* Last error message of this handle; never NULL. */
const char *srv_store_errmsg(const srv_store *s);

/* Transactions: write=1 takes the write lock at once (SQLite: BEGIN
** IMMEDIATE; PostgreSQL: one advisory lock, see store_pg.c) so two
** writers never deadlock on an upgrade, and change sets get their cursors
** in commit order. write=0 reads one consistent snapshot. */
int srv_store_begin(srv_store *s, int write) SRV_WUR;
int srv_store_commit(srv_store *s) SRV_WUR;
void srv_store_rollback(srv_store *s); /* no-op without a transaction */
/* One savepoint inside a write transaction (one level; push.c gives each
** set of a request its own, the request one transaction):
** srv_store_savepoint marks the point, srv_store_release keeps what was
** done since, srv_store_rollback_to undoes it and ends the savepoint (it
** cannot fail: a transaction the database gave up fails its commit). */
int srv_store_savepoint(srv_store *s) SRV_WUR;
int srv_store_release(srv_store *s) SRV_WUR;
void srv_store_rollback_to(srv_store *s);

/* Small key/value settings (schema version, HQ device id). */
int srv_store_meta_get(srv_store *s, const char *key, char *buf,
		       size_t bufsz) SRV_WUR;
int srv_store_meta_set(srv_store *s, const char *key,
		       const char *value) SRV_WUR;

/* Enrollment tokens, by the BLAKE2b-256 hash of the token text: the token
** itself is never stored. */
int srv_store_token_add(srv_store *s, const uint8_t hash[PROTO_HASH_BYTES],
			const srv_token *t) SRV_WUR;
int srv_store_token_get(srv_store *s, const uint8_t hash[PROTO_HASH_BYTES],
			srv_token *out) SRV_WUR;
/* Marks an unused token used by device; SRV_E_NOTFOUND if none unused. */
int srv_store_token_use(srv_store *s, const uint8_t hash[PROTO_HASH_BYTES],
			const char *device, int64_t now_ms) SRV_WUR;

/* Devices. device_add: SRV_E_EXISTS if the id or key is enrolled. */
int srv_store_device_add(srv_store *s, const srv_device *d) SRV_WUR;
int srv_store_device_get(srv_store *s, const char *id,
			 srv_device *out) SRV_WUR;
/* By a unique id prefix (>= 1 hex digit): SRV_E_AMBIGUOUS if several. */
int srv_store_device_find(srv_store *s, const char *prefix,
			  srv_device *out) SRV_WUR;
int srv_store_devices_each(srv_store *s, srv_device_cb cb, void *ctx) SRV_WUR;
/* Revoke at the current highest cursor (sets up to it stay valid). */
int srv_store_device_revoke(srv_store *s, const char *id, int64_t now_ms,
			    int64_t *at_cursor) SRV_WUR;
/* Raise device id's floor of used challenges to expires_ms (auth.c): SRV_OK
** when it was below, SRV_E_USED when a challenge expiring at or after
** expires_ms was used already, by this or another fieldsyncd of the same
** database. One statement, atomic outside a transaction. */
int srv_store_auth_floor(srv_store *s, const char *id,
			 int64_t expires_ms) SRV_WUR;
/* The floor of id (SRV_OK, *floor_ms set) or SRV_E_NOTFOUND: the
** dashboard's signed-out sessions are kept as floors (web.c). */
int srv_store_auth_floor_get(srv_store *s, const char *id,
			     int64_t *floor_ms) SRV_WUR;
int srv_store_device_seen(srv_store *s, const char *id,
			  int64_t now_ms) SRV_WUR;
int srv_store_device_flag(srv_store *s, const char *id,
			  unsigned flags) SRV_WUR;
/* Clear flags of a device (HQ looked at them: devices clear-flag). */
int srv_store_device_unflag(srv_store *s, const char *id,
			    unsigned flags) SRV_WUR;
/* The device's chain head after accepting a set. */
int srv_store_device_head(srv_store *s, const char *id, int64_t seq,
			  const uint8_t hash[PROTO_HASH_BYTES],
			  uint64_t last_hlc) SRV_WUR;

/* Change sets, stored verbatim. set_hash: hash of (device, seq) held. */
int srv_store_set_hash(srv_store *s, const char *device, int64_t seq,
		       uint8_t hash[PROTO_HASH_BYTES]) SRV_WUR;
/* *bytes malloc'd (caller frees), sighex holds 129 bytes. */
int srv_store_set_get(srv_store *s, const char *device, int64_t seq,
		      char **bytes, size_t *len, char *sighex) SRV_WUR;
int srv_store_set_add(srv_store *s, const char *device, int64_t seq,
		      const char *bytes, size_t len, const char *sighex,
		      const uint8_t hash[PROTO_HASH_BYTES], int64_t now_ms,
		      int64_t *cursor) SRV_WUR;
/* Sets with cursor > after, in cursor order, at most limit of them and,
** after the first, no more than max_bytes of set bytes in all. *more is set
** to 1 if sets remain after the last one given. */
int srv_store_sets_after(srv_store *s, int64_t after, int limit,
			 size_t max_bytes, srv_set_cb cb, void *ctx,
			 int *more) SRV_WUR;
/* The same, leaving out the sets of device skip (a device pulling does not
** need its own sets back). Skipped sets count toward neither limit nor
** max_bytes; *scanned is set to the highest cursor looked at, so a reader
** can move past a run of skipped sets. */
int srv_store_sets_after_skip(srv_store *s, int64_t after, int limit,
			      size_t max_bytes, const char *skip,
			      srv_set_cb cb, void *ctx, int *more,
			      int64_t *scanned) SRV_WUR;
int srv_store_max_cursor(srv_store *s, int64_t *cursor) SRV_WUR;

/* Records: merge.h state JSON. record_get: *state malloc'd or NULL with
** SRV_E_NOTFOUND. */
int srv_store_record_get(srv_store *s, const char *id, char **state,
			 size_t *len) SRV_WUR;
int srv_store_record_put(srv_store *s, const char *id, const char *kind,
			 const char *state, size_t len,
			 int64_t cursor) SRV_WUR;
/* kind NULL: every record. Order: by id. */
int srv_store_records_each(srv_store *s, const char *kind, srv_record_cb cb,
			   void *ctx) SRV_WUR;

/* Concurrent edits kept for HQ. conflict_add records c (device "" is
** filled in from detected_cursor) unless its device already has
** SRV_CONFLICTS_OPEN_MAX open ones: then nothing is added, c->id stays 0,
** the result is still SRV_OK, and the device gets SRV_DEV_CONFLICTS_CAPPED
** and one "conflicts_capped" event (when it did not have the flag). Call
** it inside a write transaction (the push's). */
int srv_store_conflict_add(srv_store *s, srv_conflict *c) SRV_WUR;
int srv_store_conflicts_each(srv_store *s, int open_only, srv_conflict_cb cb,
			     void *ctx) SRV_WUR;
/* One page: conflicts with id > after in id order, at most limit (1..).
** *next is the id of the last one given when more follow, else 0; pass it
** as after for the next page. */
int srv_store_conflicts_page(srv_store *s, int open_only, int64_t after,
			     int limit, srv_conflict_cb cb, void *ctx,
			     int64_t *next) SRV_WUR;
/* cb is called once with the conflict; SRV_E_NOTFOUND if none. */
int srv_store_conflict_get(srv_store *s, int64_t id, srv_conflict_cb cb,
			   void *ctx) SRV_WUR;
int srv_store_conflict_resolve(srv_store *s, int64_t id, const char *resolution,
			       int64_t cursor, int64_t now_ms) SRV_WUR;
int srv_store_conflicts_open(srv_store *s, int64_t *count) SRV_WUR;

/* Evidence of a forked chain: the set held and the different one pushed with
** the same seq. Adding the same evidence twice keeps one copy. A device
** keeps at most SRV_FORKS_MAX rows: past that nothing is added (SRV_OK) and
** the device gets SRV_DEV_FORKS_CAPPED and one "forks_capped" event. */
int srv_store_fork_add(srv_store *s, const char *device, int64_t seq,
		       const char *held, size_t held_len, const char *held_sig,
		       const char *other, size_t other_len,
		       const char *other_sig, int64_t now_ms) SRV_WUR;
int srv_store_forks_count(srv_store *s, const char *device,
			  int64_t *count) SRV_WUR;

/* Events for HQ (restores, forks, revocations). */
int srv_store_event_add(srv_store *s, const char *device, const char *kind,
			const char *detail, int64_t now_ms) SRV_WUR;
int srv_store_events_each(srv_store *s, srv_event_cb cb, void *ctx) SRV_WUR;

/* Full consistency check of the database; SRV_OK if sound. */
int srv_store_check(srv_store *s) SRV_WUR;

/* ---- a whole database, row by row (fieldsyncd migrate) ---------------- */

/* One column's value as the database holds it. */
typedef enum srv_vtype { SRV_V_NULL, SRV_V_INT, SRV_V_TEXT, SRV_V_BLOB }
	srv_vtype;
typedef struct srv_value {
	srv_vtype type;
	int64_t i;          /* SRV_V_INT */
	const char *p;      /* SRV_V_TEXT (NUL-ended), SRV_V_BLOB */
	size_t len;         /* bytes of p */
} srv_value;

/* Every table a database holds, in the order a copy writes them (the ones
** others point to first); NULL-ended. */
extern const char *const srv_store_tables[];

/* A row: ncols columns, names[i] = vals[i]; nonzero stops the walk. */
typedef int (*srv_row_cb)(void *ctx, size_t ncols, const char *const *names,
			  const srv_value *vals);
/* Every row of table, in key order, with every column as stored. */
int srv_store_rows_each(srv_store *s, const char *table, srv_row_cb cb,
			void *ctx) SRV_WUR;
/* Insert a row exactly as given (its keys included), inside a write
** transaction. SRV_E_EXISTS when its key is taken. */
int srv_store_row_put(srv_store *s, const char *table, size_t ncols,
		      const char *const *names, const srv_value *vals) SRV_WUR;
/* After a table's rows were put: whatever numbers new rows (a cursor, an
** id) continues after the highest put. */
int srv_store_rows_done(srv_store *s, const char *table) SRV_WUR;

#endif
