/*
** This file contains the SQLite backend of the storage interface (store.h).
**
** The database runs in WAL mode with synchronous=FULL, so a commit that
** returned is on disk even after a power cut; writers take the lock with
** BEGIN IMMEDIATE; busy_timeout lets admin commands and the server share the
** file. Every statement is prepared once per connection and reused.
**
** Schema (version 1):
**   meta(key, value)                 schema version, HQ device id
**   devices(id, public_key, name, client_name, role, enrolled_at,
**           revoked_at_cursor, revoked_at, last_seen, flags,
**           head_seq, head_hash, last_hlc)   chain head kept on the row
**   tokens(hash, name, role, created_at, expires_at, used_at, device)
**   sets(cursor AUTOINCREMENT = global sequence, device, seq, bytes, sig,
**        hash, received_at, UNIQUE(device, seq))   bytes kept verbatim
**   records(id, kind, state = merge.h state JSON, updated_cursor)
**   conflicts(..., device)           for HQ; device = whose set met it
**                                    (added in place to older databases on
**                                    open, see ensure_conflict_device)
**   forks(...), events(...)          for HQ
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "protocol/changeset.h"
#include "store_impl.h"

#define SCHEMA_VERSION "1"
#define BUSY_TIMEOUT_MS 15000

enum {
	Q_BEGIN_R, Q_BEGIN_W, Q_COMMIT, Q_ROLLBACK,
	Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
	Q_META_GET, Q_META_SET,
	Q_TOKEN_ADD, Q_TOKEN_GET, Q_TOKEN_USE,
	Q_DEV_ADD, Q_DEV_GET, Q_DEV_FIND, Q_DEV_ALL, Q_DEV_REVOKE,
	Q_DEV_SEEN, Q_AUTH_FLOOR, Q_AUTH_FLOOR_GET, Q_DEV_FLAG, Q_DEV_UNFLAG, Q_DEV_HEAD,
	Q_SET_HASH, Q_SET_GET, Q_SET_ADD, Q_SETS_AFTER, Q_SETS_AFTER_DEV,
	Q_MAX_CURSOR,
	Q_REC_GET, Q_REC_PUT, Q_REC_ALL, Q_REC_KIND,
	Q_CONF_ADD, Q_CONF_ALL, Q_CONF_OPEN, Q_CONF_GET, Q_CONF_RESOLVE,
	Q_CONF_COUNT, Q_CONF_OPEN_DEV, Q_CONF_PAGE_ALL, Q_CONF_PAGE_OPEN,
	Q_SET_DEVICE,
	Q_FORK_ADD, Q_FORK_COUNT,
	Q_EVENT_ADD, Q_EVENT_ALL,
	Q__COUNT
};

#define DEV_COLS "id, public_key, name, coalesce(client_name,''), role, " \
	"enrolled_at, coalesce(revoked_at_cursor,-1), coalesce(revoked_at,0), " \
	"coalesce(last_seen,0), flags, head_seq, head_hash, last_hlc"
#define CONF_COLS "id, record, kind, field, winner_value, winner_stamp, " \
	"loser_value, loser_stamp, detected_cursor, detected_at, " \
	"coalesce(resolved_at,0), resolution, coalesce(resolved_cursor,0), " \
	"coalesce(device,'')"

static const char *const sql_text[Q__COUNT] = {
	[Q_BEGIN_R] = "BEGIN",
	[Q_BEGIN_W] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SAVEPOINT] = "SAVEPOINT push_set",
	[Q_RELEASE] = "RELEASE push_set",
	[Q_ROLLBACK_TO] = "ROLLBACK TO push_set",
	[Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[Q_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[Q_TOKEN_ADD] = "INSERT INTO tokens(hash, name, role, created_at, "
		"expires_at) VALUES(?1, ?2, ?3, ?4, ?5)",
	[Q_TOKEN_GET] = "SELECT name, role, created_at, expires_at, "
		"coalesce(used_at,0), coalesce(device,'') FROM tokens "
		"WHERE hash = ?1",
	[Q_TOKEN_USE] = "UPDATE tokens SET used_at = ?3, device = ?2 "
		"WHERE hash = ?1 AND used_at IS NULL",
	[Q_DEV_ADD] = "INSERT INTO devices(id, public_key, name, client_name, "
		"role, enrolled_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_DEV_GET] = "SELECT " DEV_COLS " FROM devices WHERE id = ?1",
	[Q_DEV_FIND] = "SELECT " DEV_COLS " FROM devices WHERE id >= ?1 "
		"AND substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 2",
	[Q_DEV_ALL] = "SELECT " DEV_COLS " FROM devices ORDER BY enrolled_at, id",
	[Q_DEV_REVOKE] = "UPDATE devices SET revoked_at_cursor = "
		"(SELECT coalesce(max(cursor), 0) FROM sets), revoked_at = ?2 "
		"WHERE id = ?1 AND revoked_at_cursor IS NULL "
		"RETURNING revoked_at_cursor",
	[Q_DEV_SEEN] = "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
	[Q_AUTH_FLOOR] = "INSERT INTO auth_floor(device, floor_ms) VALUES(?1, "
		"?2) ON CONFLICT(device) DO UPDATE SET floor_ms = "
		"excluded.floor_ms WHERE floor_ms < excluded.floor_ms",
	[Q_AUTH_FLOOR_GET] = "SELECT floor_ms FROM auth_floor WHERE device = ?1",
	[Q_DEV_FLAG] = "UPDATE devices SET flags = flags | ?2 WHERE id = ?1",
	[Q_DEV_UNFLAG] = "UPDATE devices SET flags = flags & ~?2 WHERE id = ?1",
	[Q_DEV_HEAD] = "UPDATE devices SET head_seq = ?2, head_hash = ?3, "
		"last_hlc = ?4 WHERE id = ?1",
	[Q_SET_HASH] = "SELECT hash FROM sets WHERE device = ?1 AND seq = ?2",
	[Q_SET_GET] = "SELECT bytes, sig FROM sets WHERE device = ?1 AND seq = ?2",
	[Q_SET_ADD] = "INSERT INTO sets(device, seq, bytes, sig, hash, "
		"received_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_SETS_AFTER] = "SELECT cursor, bytes, sig FROM sets WHERE cursor > ?1 "
		"ORDER BY cursor LIMIT ?2",
	[Q_SETS_AFTER_DEV] = "SELECT cursor, bytes, sig, device FROM sets "
		"WHERE cursor > ?1 ORDER BY cursor LIMIT ?2",
	[Q_MAX_CURSOR] = "SELECT coalesce(max(cursor), 0) FROM sets",
	[Q_REC_GET] = "SELECT state FROM records WHERE id = ?1",
	[Q_REC_PUT] = "INSERT INTO records(id, kind, state, updated_cursor) "
		"VALUES(?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET "
		"state = excluded.state, updated_cursor = excluded.updated_cursor",
	[Q_REC_ALL] = "SELECT id, kind, state, updated_cursor FROM records "
		"ORDER BY id",
	[Q_REC_KIND] = "SELECT id, kind, state, updated_cursor FROM records "
		"WHERE kind = ?1 ORDER BY id",
	[Q_CONF_ADD] = "INSERT INTO conflicts(record, kind, field, winner_value, "
		"winner_stamp, loser_value, loser_stamp, detected_cursor, "
		"detected_at, device) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		"nullif(?10, ''))",
	[Q_CONF_ALL] = "SELECT " CONF_COLS " FROM conflicts ORDER BY id",
	[Q_CONF_OPEN] = "SELECT " CONF_COLS " FROM conflicts "
		"WHERE resolved_at IS NULL ORDER BY id",
	[Q_CONF_GET] = "SELECT " CONF_COLS " FROM conflicts WHERE id = ?1",
	[Q_CONF_RESOLVE] = "UPDATE conflicts SET resolved_at = ?4, "
		"resolution = ?2, resolved_cursor = ?3 WHERE id = ?1",
	[Q_CONF_COUNT] = "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL",
	/* conflicts_open_device, a partial index: counts only open ones. */
	[Q_CONF_OPEN_DEV] = "SELECT count(*) FROM conflicts WHERE device = ?1 "
		"AND resolved_at IS NULL",
	[Q_CONF_PAGE_ALL] = "SELECT " CONF_COLS " FROM conflicts WHERE id > ?1 "
		"ORDER BY id LIMIT ?2",
	[Q_CONF_PAGE_OPEN] = "SELECT " CONF_COLS " FROM conflicts WHERE id > ?1 "
		"AND resolved_at IS NULL ORDER BY id LIMIT ?2",
	[Q_SET_DEVICE] = "SELECT device FROM sets WHERE cursor = ?1",
	[Q_FORK_ADD] = "INSERT OR IGNORE INTO forks(device, seq, held_bytes, "
		"held_sig, other_bytes, other_sig, other_hash, detected_at) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_FORK_COUNT] = "SELECT count(*) FROM forks WHERE device = ?1",
	[Q_EVENT_ADD] = "INSERT INTO events(device, kind, detail, at) "
		"VALUES(?1, ?2, ?3, ?4)",
	[Q_EVENT_ALL] = "SELECT id, device, kind, detail, at FROM events "
		"ORDER BY id",
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, "
	"  value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS devices("
	"  id TEXT PRIMARY KEY, public_key BLOB NOT NULL UNIQUE,"
	"  name TEXT NOT NULL, client_name TEXT,"
	"  role TEXT NOT NULL CHECK(role IN ('expert','leader','hq')),"
	"  enrolled_at INTEGER NOT NULL, revoked_at_cursor INTEGER,"
	"  revoked_at INTEGER, last_seen INTEGER,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  head_seq INTEGER NOT NULL DEFAULT 0, head_hash BLOB,"
	"  last_hlc INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS tokens("
	"  hash BLOB PRIMARY KEY, name TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK(role IN ('expert','leader','hq')),"
	"  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  used_at INTEGER, device TEXT);"
	"CREATE TABLE IF NOT EXISTS sets("
	"  cursor INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  device TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  bytes BLOB NOT NULL, sig TEXT NOT NULL, hash BLOB NOT NULL,"
	"  received_at INTEGER NOT NULL, UNIQUE(device, seq));"
	/* Rows in arrival order (rowid), random ids in a narrow index: a
	** set's inserts then dirty few table pages, not one page each. */
	"CREATE TABLE IF NOT EXISTS records("
	"  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL, state TEXT NOT NULL,"
	"  updated_cursor INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS records_kind ON records(kind);"
	"CREATE TABLE IF NOT EXISTS conflicts("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL,"
	"  kind TEXT NOT NULL, field TEXT NOT NULL,"
	"  winner_value TEXT, winner_stamp TEXT NOT NULL,"
	"  loser_value TEXT, loser_stamp TEXT NOT NULL,"
	"  detected_cursor INTEGER NOT NULL, detected_at INTEGER NOT NULL,"
	"  resolved_at INTEGER, resolution TEXT, resolved_cursor INTEGER,"
	"  device TEXT);"
	"CREATE INDEX IF NOT EXISTS conflicts_record ON conflicts(record);"
	"CREATE TABLE IF NOT EXISTS forks("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, device TEXT NOT NULL,"
	"  seq INTEGER NOT NULL, held_bytes BLOB NOT NULL, held_sig TEXT NOT NULL,"
	"  other_bytes BLOB NOT NULL, other_sig TEXT NOT NULL,"
	"  other_hash BLOB NOT NULL, detected_at INTEGER NOT NULL,"
	"  UNIQUE(device, seq, other_hash));"
	/* Per device, the expiry of the newest challenge used: one below it
	** was issued earlier and counts as used in every process (auth.c). */
	"CREATE TABLE IF NOT EXISTS auth_floor(device TEXT PRIMARY KEY,"
	"  floor_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS events("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, device TEXT,"
	"  kind TEXT NOT NULL, detail TEXT, at INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '"
	SCHEMA_VERSION "');";

typedef struct sq_store {
	struct srv_store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[Q__COUNT];
	int in_tx;
} sq_store;

static sq_store *SQ(srv_store *s) { return (sq_store *)s; }

static int fail_db(sq_store *q, int rc, const char *what)
{
	snprintf(q->base.errmsg, sizeof(q->base.errmsg), "%s: %s", what,
		 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SRV_E_BUSY;
	case SQLITE_NOMEM:
		return SRV_E_NOMEM;
	case SQLITE_FULL:
		return SRV_E_FULL;
	case SQLITE_CONSTRAINT:
		return SRV_E_EXISTS;
	default:
		return SRV_E_IO;
	}
}

/* The statement for q, prepared on first use and reset for reuse. */
static int stmt(sq_store *q, int which, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if (!q->stmt[which]) {
		rc = sqlite3_prepare_v3(q->db, sql_text[which], -1,
					SQLITE_PREPARE_PERSISTENT,
					&q->stmt[which], NULL);
		if (rc != SQLITE_OK)
			return fail_db(q, rc, "prepare");
	}
	sqlite3_reset(q->stmt[which]);
	sqlite3_clear_bindings(q->stmt[which]);
	*out = q->stmt[which];
	return SRV_OK;
}

/* Run a statement that returns no rows (or whose rows are ignored). */
static int run_done(sq_store *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail_db(q, rc, what);
	return SRV_OK;
}

static void copy_text(char *dst, size_t dstsz, const unsigned char *src)
{
	snprintf(dst, dstsz, "%s", src ? (const char *)src : "");
}

static int exec_simple(sq_store *q, int which)
{
	sqlite3_stmt *st;
	int rc = stmt(q, which, &st);

	if (rc)
		return rc;
	return run_done(q, st, sql_text[which]);
}

/* ---- checkpoints off the request path ----------------------------------
** SQLite's automatic checkpoint runs inside the COMMIT that crosses the WAL
** threshold, so one push request in every few paid for copying 32 MB back
** into the database while its device waited. Instead the WAL hook wakes one
** thread per process, which checkpoints (PASSIVE: it never blocks writers
** or readers) on a connection it opens for the purpose and closes after.
** Durability does not change: commits sync the WAL (synchronous=FULL)
** before they return, whenever the copy back happens. A database other
** than the one the thread serves (tests open several) is checkpointed
** inline as before. */
#define CKPT_FRAMES 8192 /* 32 MB of 4 KiB pages, as the pragma said */

static pthread_mutex_t ckpt_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ckpt_cv = PTHREAD_COND_INITIALIZER;
static char *ckpt_path;   /* the database the thread serves; NULL: none */
static int ckpt_pending;

static void *ckpt_main(void *arg)
{
	(void)arg;
	for (;;) {
		sqlite3 *db = NULL;
		pthread_mutex_lock(&ckpt_mu);
		while (!ckpt_pending)
			pthread_cond_wait(&ckpt_cv, &ckpt_mu);
		ckpt_pending = 0;
		pthread_mutex_unlock(&ckpt_mu);
		/* ckpt_path never changes once set. */
		if (sqlite3_open_v2(ckpt_path, &db, SQLITE_OPEN_READWRITE |
				    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
			sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
			sqlite3_wal_checkpoint_v2(db, NULL,
						  SQLITE_CHECKPOINT_PASSIVE,
						  NULL, NULL);
		}
		sqlite3_close(db);
	}
	return NULL;
}

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	const char *path = sqlite3_db_filename(db, name);
	int handed = 0;

	(void)ctx;
	if (frames < CKPT_FRAMES)
		return SQLITE_OK;
	pthread_mutex_lock(&ckpt_mu);
	if (!ckpt_path && path && path[0] && (ckpt_path = strdup(path))) {
		pthread_t th;
		pthread_attr_t at;
		int ok = pthread_attr_init(&at) == 0;
		ok = ok && pthread_attr_setdetachstate(
				   &at, PTHREAD_CREATE_DETACHED) == 0 &&
		     pthread_create(&th, &at, ckpt_main, NULL) == 0;
		if (!ok) {
			free(ckpt_path);
			ckpt_path = NULL;
		}
		pthread_attr_destroy(&at);
	}
	if (ckpt_path && path && strcmp(ckpt_path, path) == 0) {
		ckpt_pending = 1;
		pthread_cond_signal(&ckpt_cv);
		handed = 1;
	}
	pthread_mutex_unlock(&ckpt_mu);
	if (!handed)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
	return SQLITE_OK;
}

/* conflicts.device and its partial index came after schema 1 was in use:
** a database without them gets them here, once, under the write lock (the
** column is filled from the sets the conflicts were met by). Additive, so
** the schema version stays 1 and older binaries still open the file. */
static int ensure_conflict_device(sqlite3 *db, const char *path, char *msg,
				  size_t msgsz)
{
	static const char probe[] = "SELECT 1 FROM sqlite_master WHERE type = "
		"'index' AND name = 'conflicts_open_device'";
	static const char migrate[] =
		"ALTER TABLE conflicts ADD COLUMN device TEXT;"
		"UPDATE conflicts SET device = (SELECT s.device FROM sets s "
		"  WHERE s.cursor = conflicts.detected_cursor);";
	static const char index[] =
		"CREATE INDEX IF NOT EXISTS conflicts_open_device ON "
		"conflicts(device) WHERE resolved_at IS NULL;";
	sqlite3_stmt *st = NULL;
	char *emsg = NULL;
	int rc, have;

	rc = sqlite3_prepare_v2(db, probe, -1, &st, NULL);
	have = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (have)
		return 0;
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &emsg);
	if (rc == SQLITE_OK) {
		/* Another process may have done it meanwhile. */
		rc = sqlite3_prepare_v2(db, "SELECT device FROM conflicts "
					"LIMIT 0", -1, &st, NULL);
		sqlite3_finalize(st);
		rc = rc == SQLITE_OK ? SQLITE_OK
				     : sqlite3_exec(db, migrate, NULL, NULL,
						    &emsg);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, index, NULL, NULL, &emsg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &emsg);
	if (rc != SQLITE_OK) {
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		snprintf(msg, msgsz, "cannot add conflicts.device to %s: %s",
			 path, emsg ? emsg : sqlite3_errstr(rc));
		sqlite3_free(emsg);
		return -1;
	}
	return 0;
}

static int sq_open(const char *path, int create, srv_store **out, char *msg,
		   size_t msgsz)
{
	sq_store *q = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc, ret = SRV_E_IO;
	char *emsg = NULL;
	sqlite3_stmt *st = NULL;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	q = calloc(1, sizeof(*q));
	if (!q)
		return SRV_E_NOMEM;
	q->base.ops = &srv_store_sqlite_ops;
	rc = sqlite3_open_v2(path, &q->db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msgsz, "cannot open database %s: %s", path,
			 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(q->db, 1);
	rc = sqlite3_exec(q->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			  "PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"
			  /* A bigger cache than the default. No mmap: mapped
			  ** pages of the file count in the server's resident
			  ** memory, and a full pull touched every set page
			  ** (peak RSS past 96 MB for one device). */
			  "PRAGMA cache_size=-16384;",
			  NULL, NULL, &emsg);
	/* Replaces the automatic checkpoint (see wal_hook). */
	if (rc == SQLITE_OK)
		sqlite3_wal_hook(q->db, wal_hook, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msgsz, "cannot set up database %s: %s", path,
			 emsg ? emsg : sqlite3_errstr(rc));
		goto out;
	}
	if (create) {
		/* Serialised against other processes creating it at once. */
		rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, &emsg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(q->db, schema_sql, NULL, NULL, &emsg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, &emsg);
		if (rc != SQLITE_OK) {
			sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
			snprintf(msg, msgsz, "cannot create schema in %s: %s",
				 path, emsg ? emsg : sqlite3_errstr(rc));
			goto out;
		}
	}
	rc = sqlite3_prepare_v2(q->db,
				"SELECT value FROM meta WHERE key = 'schema'",
				-1, &st, NULL);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		snprintf(msg, msgsz,
			 "%s is not a fieldsyncd database (run `fieldsyncd "
			 "init --db %s` to create one)", path, path);
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), SCHEMA_VERSION)) {
		snprintf(msg, msgsz, "%s has schema version %s; this "
			 "fieldsyncd knows version " SCHEMA_VERSION, path,
			 (const char *)sqlite3_column_text(st, 0));
		goto out;
	}
	if (ensure_conflict_device(q->db, path, msg, msgsz))
		goto out;
	ret = SRV_OK;
out:
	sqlite3_finalize(st);
	sqlite3_free(emsg);
	if (ret != SRV_OK) {
		sqlite3_close(q->db);
		free(q);
		return ret;
	}
	*out = &q->base;
	return SRV_OK;
}

static void sq_close(srv_store *s)
{
	sq_store *q = SQ(s);
	int i;

	if (q->in_tx)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	/* The last connection to close checkpoints the WAL into the db. */
	sqlite3_close(q->db);
	free(q);
}

static int sq_begin(srv_store *s, int write)
{
	sq_store *q = SQ(s);
	int rc = exec_simple(q, write ? Q_BEGIN_W : Q_BEGIN_R);

	if (rc == SRV_OK)
		q->in_tx = 1;
	return rc;
}

static int sq_commit(srv_store *s)
{
	sq_store *q = SQ(s);
	int rc = exec_simple(q, Q_COMMIT);

	if (rc == SRV_OK)
		q->in_tx = 0;
	else
		srv_store_rollback(s);
	return rc;
}

static void sq_rollback(srv_store *s)
{
	sq_store *q = SQ(s);
	char keep[sizeof(q->base.errmsg)];

	/* After SQLITE_FULL, IOERR, NOMEM or BUSY SQLite may have rolled back
	** by itself: then there is nothing to do. */
	q->in_tx = 0;
	if (sqlite3_get_autocommit(q->db))
		return;
	/* The message of the error that led here is what the caller reports;
	** a ROLLBACK, whatever it says, must not replace it. */
	memcpy(keep, q->base.errmsg, sizeof(keep));
	(void)exec_simple(q, Q_ROLLBACK);
	memcpy(q->base.errmsg, keep, sizeof(keep));
}

static int sq_savepoint(srv_store *s, int op)
{
	sq_store *q = SQ(s);
	char keep[sizeof(q->base.errmsg)];

	if (op == 0)
		return exec_simple(q, Q_SAVEPOINT);
	if (op == 1)
		return exec_simple(q, Q_RELEASE);
	/* After SQLITE_FULL, IOERR, NOMEM or BUSY SQLite may have rolled
	** back the whole transaction: then the commit fails, as it should. */
	if (sqlite3_get_autocommit(q->db))
		return SRV_OK;
	memcpy(keep, q->base.errmsg, sizeof(keep));
	(void)exec_simple(q, Q_ROLLBACK_TO);
	(void)exec_simple(q, Q_RELEASE);
	memcpy(q->base.errmsg, keep, sizeof(keep));
	return SRV_OK;
}

static int sq_meta_get(srv_store *s, const char *key, char *buf, size_t bufsz)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_META_GET, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_text(buf, bufsz, sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SRV_E_NOTFOUND;
	return fail_db(q, rc, "meta");
}

static int sq_meta_set(srv_store *s, const char *key, const char *value)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_META_SET, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return run_done(q, st, "meta");
}

static int sq_token_add(srv_store *s, const uint8_t *hash, const srv_token *t)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_TOKEN_ADD, &st);

	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, hash, PROTO_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t->created_ms);
	sqlite3_bind_int64(st, 5, t->expires_ms);
	return run_done(q, st, "token");
}

static int sq_token_get(srv_store *s, const uint8_t *hash, srv_token *out)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_TOKEN_GET, &st);

	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, hash, PROTO_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_text(out->name, sizeof(out->name), sqlite3_column_text(st, 0));
		copy_text(out->role, sizeof(out->role), sqlite3_column_text(st, 1));
		out->created_ms = sqlite3_column_int64(st, 2);
		out->expires_ms = sqlite3_column_int64(st, 3);
		out->used_ms = sqlite3_column_int64(st, 4);
		copy_text(out->device, sizeof(out->device),
			  sqlite3_column_text(st, 5));
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_E_NOTFOUND : fail_db(q, rc, "token");
}

static int sq_token_use(srv_store *s, const uint8_t *hash, const char *device,
			int64_t now_ms)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_TOKEN_USE, &st);

	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, hash, PROTO_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	rc = run_done(q, st, "token");
	if (rc == SRV_OK && sqlite3_changes(q->db) != 1)
		rc = SRV_E_NOTFOUND;
	return rc;
}

static int sq_device_add(srv_store *s, const srv_device *d)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_ADD, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, d->pk, PROTO_PK_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->client_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, d->enrolled_ms);
	return run_done(q, st, "device");
}

static void read_device(sqlite3_stmt *st, srv_device *d)
{
	const void *b;

	memset(d, 0, sizeof(*d));
	copy_text(d->id, sizeof(d->id), sqlite3_column_text(st, 0));
	b = sqlite3_column_blob(st, 1);
	if (b && sqlite3_column_bytes(st, 1) == PROTO_PK_BYTES)
		memcpy(d->pk, b, PROTO_PK_BYTES);
	copy_text(d->name, sizeof(d->name), sqlite3_column_text(st, 2));
	copy_text(d->client_name, sizeof(d->client_name),
		  sqlite3_column_text(st, 3));
	copy_text(d->role, sizeof(d->role), sqlite3_column_text(st, 4));
	d->enrolled_ms = sqlite3_column_int64(st, 5);
	d->revoked_at_cursor = sqlite3_column_int64(st, 6);
	d->revoked_ms = sqlite3_column_int64(st, 7);
	d->last_seen_ms = sqlite3_column_int64(st, 8);
	d->flags = (unsigned)sqlite3_column_int64(st, 9);
	d->head_seq = sqlite3_column_int64(st, 10);
	b = sqlite3_column_blob(st, 11);
	if (b && sqlite3_column_bytes(st, 11) == PROTO_HASH_BYTES)
		memcpy(d->head_hash, b, PROTO_HASH_BYTES);
	d->last_hlc = (uint64_t)sqlite3_column_int64(st, 12);
}

static int sq_device_get(srv_store *s, const char *id, srv_device *out)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_GET, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_device(st, out);
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_E_NOTFOUND : fail_db(q, rc, "device");
}

static int sq_device_find(srv_store *s, const char *prefix, srv_device *out)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_FIND, &st), n = 0;

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0)
			read_device(st, out);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail_db(q, rc, "device");
	if (n == 0)
		return SRV_E_NOTFOUND;
	return n == 1 ? SRV_OK : SRV_E_AMBIGUOUS;
}

static int sq_devices_each(srv_store *s, srv_device_cb cb, void *ctx)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	srv_device d;
	int rc = stmt(q, Q_DEV_ALL, &st);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_device(st, &d);
		if (cb(ctx, &d)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "devices");
}

static int sq_device_revoke(srv_store *s, const char *id, int64_t now_ms,
			    int64_t *at_cursor)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_REVOKE, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*at_cursor = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "revoke");
	}
	sqlite3_reset(st);
	/* Unknown or already revoked: the caller tells them apart. */
	return rc == SQLITE_DONE ? SRV_E_NOTFOUND : fail_db(q, rc, "revoke");
}

static int sq_device_seen(srv_store *s, const char *id, int64_t now_ms)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_SEEN, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	return run_done(q, st, "device");
}

static int sq_auth_floor(srv_store *s, const char *id, int64_t expires_ms)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_AUTH_FLOOR, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, expires_ms);
	if ((rc = run_done(q, st, "auth floor")))
		return rc;
	return sqlite3_changes(q->db) == 1 ? SRV_OK : SRV_E_USED;
}

static int sq_auth_floor_get(srv_store *s, const char *id, int64_t *floor_ms)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_AUTH_FLOOR_GET, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*floor_ms = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SRV_E_NOTFOUND;
	return fail_db(q, rc, "auth floor");
}

/* ---- rows (migrate) ------------------------------------------------- */

static int sq_rows_each(srv_store *s, const char *table, srv_row_cb cb,
			void *ctx)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st = NULL;
	char sql[96];
	const char *names[32];
	srv_value vals[32];
	int rc, n;

	/* Key order: the rowid, or the primary key of a WITHOUT ROWID table
	** (the table's own order). */
	/* records.rid is this file's own (arrival order on disk): not a
	** column of the database's rows. */
	if (strcmp(table, "records") == 0)
		snprintf(sql, sizeof(sql), "SELECT id, kind, state, "
			 "updated_cursor FROM records ORDER BY rid");
	else
		snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail_db(q, rc, table);
	n = sqlite3_column_count(st);
	if (n > 32) {
		sqlite3_finalize(st);
		return SRV_E_ARG;
	}
	for (int i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			memset(&vals[i], 0, sizeof(vals[i]));
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				vals[i].type = SRV_V_INT;
				vals[i].i = sqlite3_column_int64(st, i);
				break;
			case SQLITE_TEXT:
				vals[i].type = SRV_V_TEXT;
				vals[i].p = (const char *)sqlite3_column_text(st,
									      i);
				vals[i].len = (size_t)sqlite3_column_bytes(st, i);
				break;
			case SQLITE_BLOB:
				vals[i].type = SRV_V_BLOB;
				vals[i].p = sqlite3_column_blob(st, i);
				vals[i].len = (size_t)sqlite3_column_bytes(st, i);
				break;
			default:
				vals[i].type = SRV_V_NULL;
			}
		}
		if (cb(ctx, (size_t)n, names, vals)) {
			sqlite3_finalize(st);
			return SRV_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, table);
}

static int sq_row_put(srv_store *s, const char *table, size_t ncols,
		      const char *const *names, const srv_value *vals)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st = NULL;
	char sql[2048];
	size_t off;
	int rc;

	off = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s(", table);
	for (size_t i = 0; i < ncols && off < sizeof(sql); i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s%s",
					i ? "," : "", names[i]);
	if (off < sizeof(sql))
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
					") VALUES(");
	for (size_t i = 0; i < ncols && off < sizeof(sql); i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s?",
					i ? "," : "");
	if (off + 2 >= sizeof(sql))
		return SRV_E_ARG;
	memcpy(sql + off, ")", 2);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail_db(q, rc, table);
	for (size_t i = 0; i < ncols; i++) {
		int k = (int)i + 1;
		switch (vals[i].type) {
		case SRV_V_INT:
			sqlite3_bind_int64(st, k, vals[i].i);
			break;
		case SRV_V_TEXT:
			sqlite3_bind_text(st, k, vals[i].p, (int)vals[i].len,
					  SQLITE_STATIC);
			break;
		case SRV_V_BLOB:
			sqlite3_bind_blob(st, k, vals[i].p, (int)vals[i].len,
					  SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(st, k);
		}
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, table);
}

/* AUTOINCREMENT keys continue after the highest row put by themselves. */
static int sq_rows_done(srv_store *s, const char *table)
{
	(void)s;
	(void)table;
	return SRV_OK;
}

static int sq_device_flag(srv_store *s, const char *id, unsigned flags)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_FLAG, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, flags);
	return run_done(q, st, "device");
}

static int sq_device_unflag(srv_store *s, const char *id, unsigned flags)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_UNFLAG, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, flags);
	return run_done(q, st, "device");
}

static int sq_device_head(srv_store *s, const char *id, int64_t seq,
			  const uint8_t *hash, uint64_t last_hlc)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_DEV_HEAD, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_blob(st, 3, hash, PROTO_HASH_BYTES, SQLITE_STATIC);
	/* HLCs fit in 63 bits until the year 4199 (48-bit ms << 16). */
	sqlite3_bind_int64(st, 4, (sqlite3_int64)last_hlc);
	rc = run_done(q, st, "device head");
	if (rc == SRV_OK && sqlite3_changes(q->db) != 1)
		rc = SRV_E_NOTFOUND;
	return rc;
}

static int sq_set_hash(srv_store *s, const char *device, int64_t seq,
		       uint8_t *hash)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_SET_HASH, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) == PROTO_HASH_BYTES)
			memcpy(hash, sqlite3_column_blob(st, 0),
			       PROTO_HASH_BYTES);
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_E_NOTFOUND : fail_db(q, rc, "set");
}

static int sq_set_get(srv_store *s, const char *device, int64_t seq,
		      char **bytes, size_t *len, char *sighex)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_SET_GET, &st), n;

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 0);
		*bytes = malloc((size_t)n + 1);
		if (!*bytes) {
			sqlite3_reset(st);
			return SRV_E_NOMEM;
		}
		if (n)
			memcpy(*bytes, sqlite3_column_blob(st, 0), (size_t)n);
		(*bytes)[n] = 0;
		*len = (size_t)n;
		copy_text(sighex, PROTO_SIG_HEX + 1, sqlite3_column_text(st, 1));
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_E_NOTFOUND : fail_db(q, rc, "set");
}

static int sq_set_add(srv_store *s, const char *device, int64_t seq,
		      const char *bytes, size_t len, const char *sighex,
		      const uint8_t *hash, int64_t now_ms, int64_t *cursor)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_SET_ADD, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_blob64(st, 3, bytes, len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sighex, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, hash, PROTO_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	rc = run_done(q, st, "set");
	if (rc == SRV_OK)
		*cursor = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static int sq_sets_after(srv_store *s, int64_t after, int limit,
			 size_t max_bytes, srv_set_cb cb, void *ctx, int *more)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	size_t total = 0, n;
	int rc = stmt(q, Q_SETS_AFTER, &st), count = 0;

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, after);
	/* One more than asked, to know whether more remain. */
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = (size_t)sqlite3_column_bytes(st, 1);
		if (count == limit || (count > 0 && total + n > max_bytes)) {
			*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		total += n;
		count++;
		if (cb(ctx, sqlite3_column_int64(st, 0),
		       (const char *)sqlite3_column_blob(st, 1), n,
		       (const char *)sqlite3_column_text(st, 2))) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "sets");
}

static int sq_sets_after_skip(srv_store *s, int64_t after, int limit,
			      size_t max_bytes, const char *skip,
			      srv_set_cb cb, void *ctx, int *more,
			      int64_t *scanned)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	size_t total = 0, n;
	int rc = stmt(q, Q_SETS_AFTER_DEV, &st), count = 0;

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, after);
	/* Skipped rows are read too; scan a bounded window per page so a long
	** run of the reader's own sets costs a few pages, never a stall. */
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit * 4 + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t cur = sqlite3_column_int64(st, 0);
		const char *dev = (const char *)sqlite3_column_text(st, 3);
		n = (size_t)sqlite3_column_bytes(st, 1);
		if (count == limit || (count > 0 && total + n > max_bytes)) {
			*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		if (skip && dev && strcmp(dev, skip) == 0) {
			*scanned = cur;
			continue;
		}
		total += n;
		count++;
		*scanned = cur;
		if (cb(ctx, cur, (const char *)sqlite3_column_blob(st, 1), n,
		       (const char *)sqlite3_column_text(st, 2))) {
			rc = SQLITE_DONE;
			break;
		}
	}
	/* The window ended with rows possibly left beyond it. */
	if (rc == SQLITE_DONE && !*more) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, *scanned);
		sqlite3_bind_int64(st, 2, 1);
		if (sqlite3_step(st) == SQLITE_ROW)
			*more = 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "sets");
}

static int sq_max_cursor(srv_store *s, int64_t *cursor)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_MAX_CURSOR, &st);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*cursor = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? SRV_OK : fail_db(q, rc, "cursor");
}

static int sq_record_get(srv_store *s, const char *id, char **state,
			 size_t *len)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_REC_GET, &st), n;

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 0);
		*state = malloc((size_t)n + 1);
		if (!*state) {
			sqlite3_reset(st);
			return SRV_E_NOMEM;
		}
		memcpy(*state, sqlite3_column_text(st, 0), (size_t)n);
		(*state)[n] = 0;
		*len = (size_t)n;
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_E_NOTFOUND : fail_db(q, rc, "record");
}

static int sq_record_put(srv_store *s, const char *id, const char *kind,
			 const char *state, size_t len, int64_t cursor)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_REC_PUT, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text64(st, 3, state, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int64(st, 4, cursor);
	return run_done(q, st, "record");
}

static int sq_records_each(srv_store *s, const char *kind, srv_record_cb cb,
			   void *ctx)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, kind ? Q_REC_KIND : Q_REC_ALL, &st);

	if (rc)
		return rc;
	if (kind)
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2),
		       sqlite3_column_int64(st, 3))) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "records");
}

static int sq_conflict_add(srv_store *s, srv_conflict *c)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_CONF_ADD, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, c->record, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->winner_value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->winner_stamp, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->loser_value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, c->loser_stamp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, c->detected_cursor);
	sqlite3_bind_int64(st, 9, c->detected_ms);
	sqlite3_bind_text(st, 10, c->device, -1, SQLITE_STATIC);
	rc = run_done(q, st, "conflict");
	if (rc == SRV_OK)
		c->id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static void read_conflict(sqlite3_stmt *st, srv_conflict *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	copy_text(c->record, sizeof(c->record), sqlite3_column_text(st, 1));
	copy_text(c->kind, sizeof(c->kind), sqlite3_column_text(st, 2));
	copy_text(c->field, sizeof(c->field), sqlite3_column_text(st, 3));
	c->winner_value = (const char *)sqlite3_column_text(st, 4);
	copy_text(c->winner_stamp, sizeof(c->winner_stamp),
		  sqlite3_column_text(st, 5));
	c->loser_value = (const char *)sqlite3_column_text(st, 6);
	copy_text(c->loser_stamp, sizeof(c->loser_stamp),
		  sqlite3_column_text(st, 7));
	c->detected_cursor = sqlite3_column_int64(st, 8);
	c->detected_ms = sqlite3_column_int64(st, 9);
	c->resolved_ms = sqlite3_column_int64(st, 10);
	c->resolution = (const char *)sqlite3_column_text(st, 11);
	c->resolved_cursor = sqlite3_column_int64(st, 12);
	copy_text(c->device, sizeof(c->device), sqlite3_column_text(st, 13));
}

static int conflicts_run(sq_store *q, sqlite3_stmt *st, srv_conflict_cb cb,
			 void *ctx, int *found)
{
	srv_conflict c;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_conflict(st, &c);
		(*found)++;
		if (cb(ctx, &c)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "conflicts");
}

static int sq_conflicts_each(srv_store *s, int open_only, srv_conflict_cb cb,
			     void *ctx)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int found = 0, rc = stmt(q, open_only ? Q_CONF_OPEN : Q_CONF_ALL, &st);

	if (rc)
		return rc;
	return conflicts_run(q, st, cb, ctx, &found);
}

static int sq_conflict_get(srv_store *s, int64_t id, srv_conflict_cb cb,
			   void *ctx)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int found = 0, rc = stmt(q, Q_CONF_GET, &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = conflicts_run(q, st, cb, ctx, &found);
	if (rc == SRV_OK && !found)
		rc = SRV_E_NOTFOUND;
	return rc;
}

static int sq_conflict_resolve(srv_store *s, int64_t id, const char *resolution,
			       int64_t cursor, int64_t now_ms)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_CONF_RESOLVE, &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, resolution, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, cursor);
	sqlite3_bind_int64(st, 4, now_ms);
	rc = run_done(q, st, "conflict");
	if (rc == SRV_OK && sqlite3_changes(q->db) != 1)
		rc = SRV_E_NOTFOUND;
	return rc;
}

static int count_query(sq_store *q, int which, const char *arg, int64_t *count)
{
	sqlite3_stmt *st;
	int rc = stmt(q, which, &st);

	if (rc)
		return rc;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? SRV_OK : fail_db(q, rc, "count");
}

static int sq_conflicts_open(srv_store *s, int64_t *count)
{
	return count_query(SQ(s), Q_CONF_COUNT, NULL, count);
}

static int sq_conflicts_open_of(srv_store *s, const char *device,
				int64_t *count)
{
	return count_query(SQ(s), Q_CONF_OPEN_DEV, device, count);
}

static int sq_conflicts_page(srv_store *s, int open_only, int64_t after,
			     int limit, srv_conflict_cb cb, void *ctx,
			     int *more)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	srv_conflict c;
	int n = 0, rc = stmt(q, open_only ? Q_CONF_PAGE_OPEN : Q_CONF_PAGE_ALL,
			     &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, after);
	/* One more than asked, to know whether more remain. */
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		n++;
		read_conflict(st, &c);
		if (cb(ctx, &c)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "conflicts");
}

static int sq_set_device(srv_store *s, int64_t cursor, char *device)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_SET_DEVICE, &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, cursor);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_text(device, PROTO_ID_HEX + 1, sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		return SRV_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_E_NOTFOUND : fail_db(q, rc, "set");
}

static int sq_fork_add(srv_store *s, const char *device, int64_t seq,
		       const char *held, size_t held_len, const char *held_sig,
		       const char *other, size_t other_len,
		       const char *other_sig, int64_t now_ms)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	uint8_t h[PROTO_HASH_BYTES];
	int rc = stmt(q, Q_FORK_ADD, &st);

	if (rc)
		return rc;
	proto_set_hash(other, other_len, h);
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_blob64(st, 3, held, held_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, held_sig, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 5, other, other_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, other_sig, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, h, PROTO_HASH_BYTES, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, now_ms);
	return run_done(q, st, "fork");
}

static int sq_forks_count(srv_store *s, const char *device, int64_t *count)
{
	return count_query(SQ(s), Q_FORK_COUNT, device, count);
}

static int sq_event_add(srv_store *s, const char *device, const char *kind,
			const char *detail, int64_t now_ms)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	int rc = stmt(q, Q_EVENT_ADD, &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	return run_done(q, st, "event");
}

static int sq_events_each(srv_store *s, srv_event_cb cb, void *ctx)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	srv_event e;
	int rc = stmt(q, Q_EVENT_ALL, &st);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.id = sqlite3_column_int64(st, 0);
		copy_text(e.device, sizeof(e.device), sqlite3_column_text(st, 1));
		e.kind = (const char *)sqlite3_column_text(st, 2);
		e.detail = (const char *)sqlite3_column_text(st, 3);
		e.at_ms = sqlite3_column_int64(st, 4);
		if (cb(ctx, &e)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SRV_OK : fail_db(q, rc, "events");
}

static int sq_check(srv_store *s)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st = NULL;
	int rc, ok = 0;

	rc = sqlite3_prepare_v2(q->db, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail_db(q, rc, "integrity_check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (r && strcmp(r, "ok") == 0)
			ok = 1;
		else
			snprintf(q->base.errmsg, sizeof(q->base.errmsg),
				 "integrity_check: %s", r ? r : "?");
	}
	sqlite3_finalize(st);
	return ok ? SRV_OK : SRV_E_IO;
}

/* Files beside the database: PATH.hqkey, PATH.targets. */
static int sq_side_path(const char *path, const char *suffix, char *out,
			size_t outsz)
{
	int n = snprintf(out, outsz, "%s%s", path, suffix);

	return n < 0 || (size_t)n >= outsz ? SRV_E_ARG : SRV_OK;
}

static int sq_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

const srv_store_ops srv_store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
	.token_add = sq_token_add,
	.token_get = sq_token_get,
	.token_use = sq_token_use,
	.device_add = sq_device_add,
	.device_get = sq_device_get,
	.device_find = sq_device_find,
	.devices_each = sq_devices_each,
	.device_revoke = sq_device_revoke,
	.device_seen = sq_device_seen,
	.auth_floor = sq_auth_floor,
	.auth_floor_get = sq_auth_floor_get,
	.rows_each = sq_rows_each,
	.row_put = sq_row_put,
	.rows_done = sq_rows_done,
	.device_flag = sq_device_flag,
	.device_unflag = sq_device_unflag,
	.device_head = sq_device_head,
	.set_hash = sq_set_hash,
	.set_get = sq_set_get,
	.set_add = sq_set_add,
	.sets_after = sq_sets_after,
	.sets_after_skip = sq_sets_after_skip,
	.max_cursor = sq_max_cursor,
	.record_get = sq_record_get,
	.record_put = sq_record_put,
	.records_each = sq_records_each,
	.conflict_add = sq_conflict_add,
	.conflicts_each = sq_conflicts_each,
	.conflict_get = sq_conflict_get,
	.conflict_resolve = sq_conflict_resolve,
	.conflicts_open = sq_conflicts_open,
	.set_device = sq_set_device,
	.conflicts_open_of = sq_conflicts_open_of,
	.conflicts_page = sq_conflicts_page,
	.fork_add = sq_fork_add,
	.forks_count = sq_forks_count,
	.event_add = sq_event_add,
	.events_each = sq_events_each,
	.check = sq_check,
	.side_path = sq_side_path,
	.exists = sq_exists,
};
