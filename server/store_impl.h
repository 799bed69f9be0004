/*
** This file contains what a storage backend implements: one function per
** srv_store_* operation of store.h, in a table. store.c dispatches through it
** after clearing out-parameters, so a backend can assume they are cleared.
** A backend's handle struct starts with struct srv_store (its "base").
*/
#ifndef FIELDSYNC_SRV_STORE_IMPL_H
#define FIELDSYNC_SRV_STORE_IMPL_H

#include "store.h"

typedef struct srv_store_ops {
	const char *name;
	int (*open)(const char *path, int create, srv_store **out, char *msg,
		    size_t msgsz);
	void (*close)(srv_store *s);
	int (*begin)(srv_store *s, int write);
	int (*commit)(srv_store *s);
	void (*rollback)(srv_store *s);
	/* One savepoint inside a write transaction (store.h): op 0 marks
	** it, 1 releases it (keeps what was done), 2 rolls back to it and
	** releases it (cannot fail: a failure is left for the commit). */
	int (*savepoint)(srv_store *s, int op);
	int (*meta_get)(srv_store *s, const char *key, char *buf, size_t bufsz);
	int (*meta_set)(srv_store *s, const char *key, const char *value);
	int (*token_add)(srv_store *s, const uint8_t *hash, const srv_token *t);
	int (*token_get)(srv_store *s, const uint8_t *hash, srv_token *out);
	int (*token_use)(srv_store *s, const uint8_t *hash, const char *device,
			 int64_t now_ms);
	int (*device_add)(srv_store *s, const srv_device *d);
	int (*device_get)(srv_store *s, const char *id, srv_device *out);
	int (*device_find)(srv_store *s, const char *prefix, srv_device *out);
	int (*devices_each)(srv_store *s, srv_device_cb cb, void *ctx);
	int (*device_revoke)(srv_store *s, const char *id, int64_t now_ms,
			     int64_t *at_cursor);
	int (*device_seen)(srv_store *s, const char *id, int64_t now_ms);
	int (*auth_floor)(srv_store *s, const char *id, int64_t expires_ms);
	int (*auth_floor_get)(srv_store *s, const char *id, int64_t *floor_ms);
	int (*rows_each)(srv_store *s, const char *table, srv_row_cb cb,
			 void *ctx);
	int (*row_put)(srv_store *s, const char *table, size_t ncols,
		       const char *const *names, const srv_value *vals);
	int (*rows_done)(srv_store *s, const char *table);
	int (*device_flag)(srv_store *s, const char *id, unsigned flags);
	int (*device_unflag)(srv_store *s, const char *id, unsigned flags);
	int (*device_head)(srv_store *s, const char *id, int64_t seq,
			   const uint8_t *hash, uint64_t last_hlc);
	int (*set_hash)(srv_store *s, const char *device, int64_t seq,
			uint8_t *hash);
	int (*set_get)(srv_store *s, const char *device, int64_t seq,
		       char **bytes, size_t *len, char *sighex);
	int (*set_add)(srv_store *s, const char *device, int64_t seq,
		       const char *bytes, size_t len, const char *sighex,
		       const uint8_t *hash, int64_t now_ms, int64_t *cursor);
	int (*sets_after)(srv_store *s, int64_t after, int limit,
			  size_t max_bytes, srv_set_cb cb, void *ctx, int *more);
	int (*sets_after_skip)(srv_store *s, int64_t after, int limit,
			       size_t max_bytes, const char *skip,
			       srv_set_cb cb, void *ctx, int *more,
			       int64_t *scanned);
	int (*max_cursor)(srv_store *s, int64_t *cursor);
	int (*record_get)(srv_store *s, const char *id, char **state,
			  size_t *len);
	int (*record_put)(srv_store *s, const char *id, const char *kind,
			  const char *state, size_t len, int64_t cursor);
	int (*records_each)(srv_store *s, const char *kind, srv_record_cb cb,
			    void *ctx);
	int (*conflict_add)(srv_store *s, srv_conflict *c);
	int (*conflicts_each)(srv_store *s, int open_only, srv_conflict_cb cb,
			      void *ctx);
	int (*conflict_get)(srv_store *s, int64_t id, srv_conflict_cb cb,
			    void *ctx);
	int (*conflict_resolve)(srv_store *s, int64_t id, const char *resolution,
				int64_t cursor, int64_t now_ms);
	int (*conflicts_open)(srv_store *s, int64_t *count);
	/* For the caps (store.c): the device of the set at cursor
	** (SRV_E_NOTFOUND if none), a device's open conflicts, a page. */
	int (*set_device)(srv_store *s, int64_t cursor, char *device);
	int (*conflicts_open_of)(srv_store *s, const char *device,
				 int64_t *count);
	int (*conflicts_page)(srv_store *s, int open_only, int64_t after,
			      int limit, srv_conflict_cb cb, void *ctx,
			      int *more);
	int (*fork_add)(srv_store *s, const char *device, int64_t seq,
			const char *held, size_t held_len, const char *held_sig,
			const char *other, size_t other_len,
			const char *other_sig, int64_t now_ms);
	int (*forks_count)(srv_store *s, const char *device, int64_t *count);
	int (*event_add)(srv_store *s, const char *device, const char *kind,
			 const char *detail, int64_t now_ms);
	int (*events_each)(srv_store *s, srv_event_cb cb, void *ctx);
	int (*check)(srv_store *s);
	/* No handle: where a file kept beside the database goes (path is the
	** --db value without a "sqlite:" prefix), and whether a database may
	** be there to open without creating it. */
	int (*side_path)(const char *path, const char *suffix, char *out,
			 size_t outsz);
	int (*exists)(const char *path);
} srv_store_ops;

struct srv_store {
	const srv_store_ops *ops;
	char errmsg[256];
	/* store.c's count for the conflict cap, valid inside one transaction
	** (cleared by begin, commit, rollback and resolve): the device of the
	** set at cap_cursor and how many open conflicts it has. */
	int64_t cap_cursor;            /* 0: nothing cached */
	char cap_device[PROTO_ID_HEX + 1];
	int64_t cap_open;
	int cap_flagged;               /* the flag is set (or was) */
};

/* The SQLite backend (store_sqlite.c). */
extern const srv_store_ops srv_store_sqlite_ops;
/* The PostgreSQL backend (store_pg.c). */
extern const srv_store_ops srv_store_pg_ops;

#endif
