/*
** This file contains the PostgreSQL backend of the storage interface
** (store.h), with libpq. store.c sends it every --db value that is a
** PostgreSQL URI (postgresql://, postgres://) or a libpq connection string
** (keyword=value ...). It mirrors store_sqlite.c: the same tables, the same
** answers and error codes, so nothing above store.h can tell them apart.
**
** Durability: every session runs with synchronous_commit = on, so a COMMIT
** that returned is in the server's WAL on disk (with the cluster's fsync on)
** and a 2xx to a device means committed, as on SQLite with synchronous=FULL.
**
** Writers, the pull cursor and device chains (issue 14). SQLite has one
** writer at a time (BEGIN IMMEDIATE), so cursors (sets.cursor, the global
** order pullers follow) are handed out and made visible in one order. On
** PostgreSQL two transactions could each take a number from a sequence and
** commit in the other order: a puller that read cursor 8 while 7 was still
** uncommitted moves its cursor past 7 and never sees it. So here too:
**
**   srv_store_begin(s, 1) is BEGIN (READ COMMITTED) followed by
**   SELECT pg_advisory_xact_lock(WRITE_LOCK): one write transaction at a
**   time per database, across every fieldsyncd process that uses it. The
**   lock is released by COMMIT or ROLLBACK only after the transaction is
**   visible to others. A set's cursor is max(cursor) + 1, computed under
**   the lock, so cursor N+1 is assigned only after the transaction that
**   added N has committed (or rolled back, and then N is reused: it was
**   never seen). Cursors therefore become visible in cursor order with no
**   gaps, and a reader that sees cursor N sees every cursor below it.
**   A push reads the device's chain head (head_seq, head_hash) inside that
**   transaction, after the lock: two pushes of one device through two
**   processes run one after the other, the second sees the first's head,
**   so seq and prev stay exact.
**
** The ops that assign from max(cursor) (set_add, device_revoke) take the
** lock themselves when called outside a write transaction (their own short
** one). Reads inside srv_store_begin(s, 0) run at REPEATABLE READ, one
** snapshot for the transaction as SQLite's read transactions give. Single
** statements outside a transaction run on their own (autocommit).
**
** Busy and lost connections. A lock not granted within lock_timeout (the
** busy timeout, 15 s as on SQLite), a serialization failure or deadlock,
** too many connections, a server shutting down and a lost connection are
** SRV_E_BUSY: the HTTP layer answers 503 "busy" and devices retry. A lost
** connection is marked; the next srv_store_begin (or statement outside a
** transaction) runs PQreset and sets the session up again, so a pool
** recovers after the database restarts. A BEGIN or a read outside a
** transaction that finds its connection dead (the database restarted
** while it sat in the pool) reconnects and runs again at once: nothing
** had been done, so the request goes on instead of failing. A COMMIT whose connection is lost
** may or may not have been applied: BUSY makes the device push again, and
** a set already held is accepted once (the push path compares hashes).
**
** Errors inside a transaction: PostgreSQL aborts the whole transaction on
** any failed statement, SQLite only the statement. The inserts whose
** failure callers expect (a token, device or set already there) use
** ON CONFLICT DO NOTHING and report SRV_E_EXISTS without an error, so the
** transaction stays usable as on SQLite; any other failure is remembered
** and COMMIT then rolls back and returns it.
**
** Files beside the database (HQ's key, the targets file): a SQLite
** database keeps them at PATH.hqkey, PATH.targets. A PostgreSQL database
** has no path; they go in $FIELDSYNCD_STATE_DIR (else
** $XDG_STATE_HOME/fieldsyncd, else $HOME/.local/state/fieldsyncd), named
** pg-DBNAME@HOST.hqkey and so on. Several processes on several machines
** that do HQ writes need the same key file there.
**
** Schema (version 1, the SQLite one with PostgreSQL types: BIGINT for every
** integer, BYTEA for blobs, ids compared in the "C" collation so prefix
** search and order are byte order as in SQLite):
**   meta, devices, tokens, sets(cursor BIGINT PRIMARY KEY, ...),
**   records, conflicts(..., device), forks, events.
** Every statement is parameterised (PQexecParams); blobs are sent and read
** as binary, results are read in binary format.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libpq-fe.h>
#include "protocol/changeset.h"
#include "store_impl.h"

#define SCHEMA_VERSION "1"
/* pg_advisory_xact_lock key of the one writer, the same in every process
** (pg_locks shows it as classid 26213, objid 1697363812). */
#define WRITE_LOCK "112585675093860"
#define BUSY_TIMEOUT "15s"
#define PAGE_ROWS 2000 /* rows per query of the *_each walks */
#define MAX_PARAMS 32

typedef struct pg_store {
	struct srv_store base;
	PGconn *db;
	int in_tx;   /* 0: none, 1: read (REPEATABLE READ), 2: write */
	int tx_rc;   /* first failure inside the transaction, 0: none */
	int broken;  /* connection lost: PQreset before the next use */
} pg_store;

static pg_store *PG(srv_store *s) { return (pg_store *)s; }

/* ---- parameters ---------------------------------------------------------
** Numbers and text go as text (the server infers or the SQL casts their
** type), blobs as binary bytea. */
typedef struct params {
	int n;
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	char num[MAX_PARAMS][24];
} params;

static void p_text(params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_i64(params *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)x);
	p_text(p, p->num[p->n]);
}

/* Blobs (bytea), and text of a given length (binary text is its bytes). */
static void p_blob(params *p, const void *b, size_t n)
{
	/* An empty blob still needs a non-NULL pointer (NULL is SQL NULL). */
	p->v[p->n] = n ? (const char *)b : "";
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

/* ---- results (binary format) ------------------------------------------- */
static int64_t g_i64(const PGresult *r, int row, int col)
{
	const unsigned char *b;
	int n, i;
	uint64_t v = 0;

	if (PQgetisnull(r, row, col))
		return 0;
	b = (const unsigned char *)PQgetvalue(r, row, col);
	n = PQgetlength(r, row, col);
	if (n != 2 && n != 4 && n != 8)
		return 0;
	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	/* Sign-extend the narrower integer types. */
	if (n < 8 && (b[0] & 0x80))
		v |= ~(uint64_t)0 << (n * 8);
	return (int64_t)v;
}

/* Text columns: binary text is the bytes, and libpq ends every value with
** a zero byte; "" for NULL. */
static const char *g_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

static const char *g_text_or_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static void copy_text(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src ? src : "");
}

/* ---- errors ------------------------------------------------------------- */
static void set_msg(pg_store *q, const char *what, const char *text)
{
	size_t n;

	snprintf(q->base.errmsg, sizeof(q->base.errmsg), "%s: %s", what,
		 text && *text ? text : "PostgreSQL failed");
	n = strlen(q->base.errmsg);
	while (n && (q->base.errmsg[n - 1] == '\n' ||
		     q->base.errmsg[n - 1] == ' '))
		q->base.errmsg[--n] = 0;
}

/* SQLSTATE to SRV_E_*: what a device may retry is BUSY (or FULL). */
static int code_for(const char *state)
{
	static const struct { const char *state; int rc; } map[] = {
		{"40001", SRV_E_BUSY},   /* serialization_failure */
		{"40P01", SRV_E_BUSY},   /* deadlock_detected */
		{"55P03", SRV_E_BUSY},   /* lock_not_available: lock_timeout */
		{"57014", SRV_E_BUSY},   /* query_canceled (statement_timeout) */
		{"57P01", SRV_E_BUSY},   /* admin_shutdown */
		{"57P02", SRV_E_BUSY},   /* crash_shutdown */
		{"57P03", SRV_E_BUSY},   /* cannot_connect_now (starting up) */
		{"53300", SRV_E_BUSY},   /* too_many_connections */
		{"53100", SRV_E_FULL},   /* disk_full */
		{"53200", SRV_E_NOMEM},  /* out_of_memory */
	};
	size_t i;

	if (!state)
		return SRV_E_IO;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(state, map[i].state) == 0)
			return map[i].rc;
	if (strncmp(state, "08", 2) == 0) /* connection exceptions */
		return SRV_E_BUSY;
	if (strncmp(state, "23", 2) == 0) /* integrity constraints */
		return SRV_E_EXISTS;
	return SRV_E_IO;
}

static int fail_res(pg_store *q, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *text = r ? PQresultErrorMessage(r) : NULL;
	int rc;

	if (!text || !*text)
		text = PQerrorMessage(q->db);
	set_msg(q, what, text);
	if (PQstatus(q->db) != CONNECTION_OK) {
		q->broken = 1;
		return SRV_E_BUSY;
	}
	rc = code_for(state);
	if (state && (strcmp(state, "57P01") == 0 ||
		      strcmp(state, "57P02") == 0))
		q->broken = 1;
	return rc;
}

/* ---- the session --------------------------------------------------------- */
static void no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Settings every session needs, again after each reconnect. */
static int session_setup(PGconn *db, char *msg, size_t msgsz)
{
	static const char *const sql[] = {
		"SET synchronous_commit = on",
		"SET client_encoding = 'UTF8'",
		"SET lock_timeout = '" BUSY_TIMEOUT "'",
		"SET client_min_messages = warning",
		"SET default_transaction_isolation = 'read committed'",
	};
	size_t i;

	PQsetNoticeProcessor(db, no_notices, NULL);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		PGresult *r = PQexecParams(db, sql[i], 0, NULL, NULL, NULL,
					   NULL, 0);
		int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			snprintf(msg, msgsz, "%s: %s", sql[i],
				 r ? PQresultErrorMessage(r)
				   : PQerrorMessage(db));
		PQclear(r);
		if (!ok)
			return -1;
	}
	return 0;
}

/* A lost connection comes back here (PQreset), or the caller is told to
** retry later. */
static int reconnect(pg_store *q)
{
	char msg[200];

	if (!q->broken && PQstatus(q->db) == CONNECTION_OK)
		return SRV_OK;
	PQreset(q->db);
	if (PQstatus(q->db) != CONNECTION_OK) {
		set_msg(q, "database connection lost, reconnecting failed",
			PQerrorMessage(q->db));
		return SRV_E_BUSY;
	}
	if (session_setup(q->db, msg, sizeof(msg))) {
		set_msg(q, "database connection set up", msg);
		return SRV_E_BUSY;
	}
	q->broken = 0;
	return SRV_OK;
}

/* Run one statement; *out is its result on SRV_OK (PQclear it). Inside a
** transaction that already failed, nothing runs: the first failure (and
** its message) is what the caller gets. */
static int run(pg_store *q, const char *what, const char *sql,
	       const params *p, PGresult **out)
{
	PGresult *r;
	ExecStatusType st;
	int rc, tries;

	*out = NULL;
	if (q->in_tx && q->tx_rc)
		return q->tx_rc;
	if (!q->in_tx && (rc = reconnect(q)))
		return rc;
	if (q->in_tx && q->broken) {
		set_msg(q, what, "database connection lost");
		return q->tx_rc = SRV_E_BUSY;
	}
	for (tries = 0;; tries++) {
		r = PQexecParams(q->db, sql, p ? p->n : 0, NULL,
				 p ? p->v : NULL, p ? p->len : NULL,
				 p ? p->fmt : NULL, 1);
		st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			*out = r;
			return SRV_OK;
		}
		rc = fail_res(q, r, what);
		PQclear(r);
		/* A connection found dead (the database restarted since its
		** last use) is made again once, for what is safe to repeat:
		** BEGIN and reads outside a transaction. Anything else may
		** have been applied: the caller is told BUSY and retries. */
		if (tries || !q->broken || q->in_tx ||
		    (strncmp(sql, "BEGIN", 5) != 0 &&
		     strncmp(sql, "SELECT", 6) != 0) ||
		    reconnect(q) != SRV_OK)
			break;
	}
	if (q->in_tx)
		q->tx_rc = rc;
	return rc;
}

/* A statement whose rows are not needed. */
static int run_done(pg_store *q, const char *what, const char *sql,
		    const params *p)
{
	PGresult *r;
	int rc = run(q, what, sql, p, &r);

	PQclear(r);
	return rc;
}

/* A statement that changes rows: *changed is how many. */
static int run_changes(pg_store *q, const char *what, const char *sql,
		       const params *p, long *changed)
{
	PGresult *r;
	int rc = run(q, what, sql, p, &r);

	*changed = rc ? 0 : strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return rc;
}

/* ---- schema -------------------------------------------------------------- */
static const char *const schema_sql[] = {
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, "
	"  value TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS devices("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  public_key BYTEA NOT NULL UNIQUE,"
	"  name TEXT NOT NULL, client_name TEXT,"
	"  role TEXT NOT NULL CHECK(role IN ('expert','leader','hq')),"
	"  enrolled_at BIGINT NOT NULL, revoked_at_cursor BIGINT,"
	"  revoked_at BIGINT, last_seen BIGINT,"
	"  flags BIGINT NOT NULL DEFAULT 0,"
	"  head_seq BIGINT NOT NULL DEFAULT 0, head_hash BYTEA,"
	"  last_hlc BIGINT NOT NULL DEFAULT 0)",
	"CREATE TABLE IF NOT EXISTS tokens("
	"  hash BYTEA PRIMARY KEY, name TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK(role IN ('expert','leader','hq')),"
	"  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	"  used_at BIGINT, device TEXT COLLATE \"C\")",
	/* cursor: assigned as max + 1 under the write lock (see the top). */
	"CREATE TABLE IF NOT EXISTS sets("
	"  cursor BIGINT PRIMARY KEY,"
	"  device TEXT COLLATE \"C\" NOT NULL, seq BIGINT NOT NULL,"
	"  bytes BYTEA NOT NULL, sig TEXT NOT NULL, hash BYTEA NOT NULL,"
	"  received_at BIGINT NOT NULL, UNIQUE(device, seq))",
	"CREATE TABLE IF NOT EXISTS records("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  kind TEXT NOT NULL, state TEXT NOT NULL,"
	"  updated_cursor BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS records_kind ON records(kind)",
	"CREATE TABLE IF NOT EXISTS conflicts("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  record TEXT COLLATE \"C\" NOT NULL,"
	"  kind TEXT NOT NULL, field TEXT NOT NULL,"
	"  winner_value TEXT, winner_stamp TEXT NOT NULL,"
	"  loser_value TEXT, loser_stamp TEXT NOT NULL,"
	"  detected_cursor BIGINT NOT NULL, detected_at BIGINT NOT NULL,"
	"  resolved_at BIGINT, resolution TEXT, resolved_cursor BIGINT,"
	"  device TEXT COLLATE \"C\")",
	"CREATE INDEX IF NOT EXISTS conflicts_record ON conflicts(record)",
	"CREATE INDEX IF NOT EXISTS conflicts_open_device ON "
	"  conflicts(device) WHERE resolved_at IS NULL",
	"CREATE TABLE IF NOT EXISTS forks("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  device TEXT COLLATE \"C\" NOT NULL, seq BIGINT NOT NULL,"
	"  held_bytes BYTEA NOT NULL, held_sig TEXT NOT NULL,"
	"  other_bytes BYTEA NOT NULL, other_sig TEXT NOT NULL,"
	"  other_hash BYTEA NOT NULL, detected_at BIGINT NOT NULL,"
	"  UNIQUE(device, seq, other_hash))",
	/* Per device, the expiry of the newest challenge used (auth.c). */
	"CREATE TABLE IF NOT EXISTS auth_floor("
	"  device TEXT COLLATE \"C\" PRIMARY KEY, floor_ms BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS events("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  device TEXT COLLATE \"C\","
	"  kind TEXT NOT NULL, detail TEXT, at BIGINT NOT NULL)",
	"INSERT INTO meta(key, value) VALUES('schema', '" SCHEMA_VERSION "') "
	"  ON CONFLICT (key) DO NOTHING",
};

/* A short description for messages: never the password. */
static void describe(const char *conninfo, char *out, size_t outsz)
{
	PQconninfoOption *o = PQconninfoParse(conninfo, NULL), *i;
	const char *db = NULL, *host = NULL;

	for (i = o; i && i->keyword; i++) {
		if (strcmp(i->keyword, "dbname") == 0 && i->val && *i->val)
			db = i->val;
		else if (strcmp(i->keyword, "host") == 0 && i->val && *i->val)
			host = i->val;
	}
	snprintf(out, outsz, "PostgreSQL database %s%s%s", db ? db : "(default)",
		 host ? " on " : "", host ? host : "");
	PQconninfoFree(o);
}

static int exec_list(pg_store *q, const char *const *sql, size_t n)
{
	size_t i;
	int rc = SRV_OK;

	for (i = 0; i < n && rc == SRV_OK; i++)
		rc = run_done(q, "schema", sql[i], NULL);
	return rc;
}

static int pg_begin(srv_store *s, int write);
static int pg_commit(srv_store *s);
static void pg_rollback(srv_store *s);

static int create_schema(pg_store *q)
{
	/* The write lock also serialises two inits of one database. */
	int rc = pg_begin(&q->base, 1);

	if (rc == SRV_OK)
		rc = exec_list(q, schema_sql,
			       sizeof(schema_sql) / sizeof(schema_sql[0]));
	if (rc == SRV_OK)
		rc = pg_commit(&q->base);
	else
		pg_rollback(&q->base);
	return rc;
}

static int pg_open(const char *path, int create, srv_store **out, char *msg,
		   size_t msgsz)
{
	pg_store *q;
	PGresult *r = NULL;
	params p = {0};
	char desc[300];
	int rc;

	describe(path, desc, sizeof(desc));
	q = calloc(1, sizeof(*q));
	if (!q)
		return SRV_E_NOMEM;
	q->base.ops = &srv_store_pg_ops;
	q->db = PQconnectdb(path);
	if (!q->db || PQstatus(q->db) != CONNECTION_OK) {
		snprintf(msg, msgsz, "cannot connect to %s: %s", desc,
			 q->db ? PQerrorMessage(q->db) : "out of memory");
		rc = SRV_E_IO;
		goto fail;
	}
	if (session_setup(q->db, msg, msgsz)) {
		rc = SRV_E_IO;
		goto fail;
	}
	if (create && (rc = create_schema(q)) != SRV_OK) {
		snprintf(msg, msgsz, "cannot create schema in %s: %s", desc,
			 q->base.errmsg);
		goto fail;
	}
	p_text(&p, "schema");
	rc = run(q, "meta", "SELECT value FROM meta WHERE key = $1", &p, &r);
	if (rc || PQntuples(r) != 1) {
		snprintf(msg, msgsz, "%s is not a fieldsyncd database (run "
			 "`fieldsyncd init --db URL` to create one)", desc);
		rc = SRV_E_IO;
		goto fail;
	}
	if (strcmp(g_text(r, 0, 0), SCHEMA_VERSION)) {
		snprintf(msg, msgsz, "%s has schema version %s; this "
			 "fieldsyncd knows version " SCHEMA_VERSION, desc,
			 g_text(r, 0, 0));
		rc = SRV_E_IO;
		goto fail;
	}
	PQclear(r);
	*out = &q->base;
	return SRV_OK;
fail:
	PQclear(r);
	/* libpq's messages end with a newline. */
	if (msg && msgsz && *msg && msg[strlen(msg) - 1] == '\n')
		msg[strlen(msg) - 1] = 0;
	PQfinish(q->db);
	free(q);
	return rc;
}

static void pg_close(srv_store *s)
{
	pg_store *q = PG(s);

	/* Closing the connection rolls back an open transaction. */
	PQfinish(q->db);
	free(q);
}

static int pg_begin(srv_store *s, int write)
{
	pg_store *q = PG(s);
	int rc;

	if (q->in_tx) {
		set_msg(q, "begin", "a transaction is already open");
		return SRV_E_IO;
	}
	if ((rc = reconnect(q)))
		return rc;
	rc = run_done(q, "begin", write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
					: "BEGIN ISOLATION LEVEL REPEATABLE READ",
		      NULL);
	if (rc)
		return rc;
	q->in_tx = write ? 2 : 1;
	q->tx_rc = 0;
	if (write) {
		/* The one writer (see the top): waits at most lock_timeout,
		** then SRV_E_BUSY as SQLite's busy timeout. */
		rc = run_done(q, "write lock",
			      "SELECT pg_advisory_xact_lock(" WRITE_LOCK ")",
			      NULL);
		if (rc) {
			pg_rollback(s);
			return rc;
		}
	}
	return SRV_OK;
}

static void pg_rollback(srv_store *s)
{
	pg_store *q = PG(s);
	char keep[sizeof(q->base.errmsg)];
	PGresult *r;

	if (!q->in_tx)
		return;
	q->in_tx = 0;
	q->tx_rc = 0;
	if (q->broken || PQstatus(q->db) != CONNECTION_OK)
		return; /* the server rolled back when the connection went */
	/* The message of the error that led here is what the caller
	** reports; a ROLLBACK, whatever it says, must not replace it. */
	memcpy(keep, q->base.errmsg, sizeof(keep));
	r = PQexecParams(q->db, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 1);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (PQstatus(q->db) != CONNECTION_OK)
			q->broken = 1;
	}
	PQclear(r);
	memcpy(q->base.errmsg, keep, sizeof(keep));
}

static int pg_savepoint(srv_store *s, int op)
{
	pg_store *q = PG(s);
	char keep[sizeof(q->base.errmsg)];
	int failed;

	if (op == 0)
		return run_done(q, "savepoint", "SAVEPOINT push_set", NULL);
	if (op == 1)
		return run_done(q, "savepoint", "RELEASE SAVEPOINT push_set",
				NULL);
	if (!q->in_tx || q->broken)
		return SRV_OK; /* the commit fails, as it should */
	/* The failure inside the savepoint is undone with it: the
	** transaction can go on (and the caller reports that failure). */
	memcpy(keep, q->base.errmsg, sizeof(keep));
	failed = q->tx_rc;
	q->tx_rc = 0;
	if (run_done(q, "savepoint", "ROLLBACK TO SAVEPOINT push_set", NULL) ||
	    run_done(q, "savepoint", "RELEASE SAVEPOINT push_set", NULL))
		q->tx_rc = q->tx_rc ? q->tx_rc : failed ? failed : SRV_E_IO;
	memcpy(q->base.errmsg, keep, sizeof(keep));
	return SRV_OK;
}

static int pg_commit(srv_store *s)
{
	pg_store *q = PG(s);
	PGresult *r;
	int rc;

	if (!q->in_tx) {
		set_msg(q, "commit", "no transaction is open");
		return SRV_E_IO;
	}
	if (q->tx_rc) {
		rc = q->tx_rc;
		pg_rollback(s);
		return rc;
	}
	rc = run(q, "commit", "COMMIT", NULL, &r);
	/* COMMIT of a transaction the server aborted answers ROLLBACK. */
	if (rc == SRV_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		set_msg(q, "commit", "the transaction was rolled back");
		rc = SRV_E_IO;
	}
	PQclear(r);
	if (rc == SRV_OK) {
		q->in_tx = 0;
		q->tx_rc = 0;
	} else {
		pg_rollback(s);
	}
	return rc;
}

/* For the ops that assign from max(cursor): a write transaction of their
** own when the caller has none. *own says whether to end it. */
static int need_write(pg_store *q, const char *what, int *own)
{
	int rc;

	*own = 0;
	if (q->in_tx == 2)
		return SRV_OK;
	if (q->in_tx == 1) {
		set_msg(q, what, "needs a write transaction");
		return SRV_E_ARG;
	}
	if ((rc = pg_begin(&q->base, 1)))
		return rc;
	*own = 1;
	return SRV_OK;
}

static int end_own(pg_store *q, int own, int rc)
{
	if (!own)
		return rc;
	if (rc == SRV_OK)
		return pg_commit(&q->base);
	pg_rollback(&q->base);
	return rc;
}

/* ---- meta, tokens -------------------------------------------------------- */
static int pg_meta_get(srv_store *s, const char *key, char *buf, size_t bufsz)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int rc;

	p_text(&p, key);
	rc = run(q, "meta", "SELECT value FROM meta WHERE key = $1", &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = SRV_E_NOTFOUND;
	else
		copy_text(buf, bufsz, g_text(r, 0, 0));
	PQclear(r);
	return rc;
}

static int pg_meta_set(srv_store *s, const char *key, const char *value)
{
	params p = {0};

	p_text(&p, key);
	p_text(&p, value);
	return run_done(PG(s), "meta", "INSERT INTO meta(key, value) "
			"VALUES($1, $2) ON CONFLICT (key) DO UPDATE SET "
			"value = excluded.value", &p);
}

/* An insert with ON CONFLICT DO NOTHING: no row is SRV_E_EXISTS, and the
** transaction goes on as SQLite's does after a constraint failure. */
static int insert_new(pg_store *q, const char *what, const char *sql,
		      const params *p)
{
	long n;
	int rc = run_changes(q, what, sql, p, &n);

	if (rc == SRV_OK && n != 1) {
		set_msg(q, what, "UNIQUE constraint failed (already there)");
		rc = SRV_E_EXISTS;
	}
	return rc;
}

static int pg_token_add(srv_store *s, const uint8_t *hash, const srv_token *t)
{
	params p = {0};

	p_blob(&p, hash, PROTO_HASH_BYTES);
	p_text(&p, t->name);
	p_text(&p, t->role);
	p_i64(&p, t->created_ms);
	p_i64(&p, t->expires_ms);
	return insert_new(PG(s), "token", "INSERT INTO tokens(hash, name, "
			  "role, created_at, expires_at) VALUES($1, $2, $3, "
			  "$4, $5) ON CONFLICT DO NOTHING", &p);
}

static int pg_token_get(srv_store *s, const uint8_t *hash, srv_token *out)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int rc;

	p_blob(&p, hash, PROTO_HASH_BYTES);
	rc = run(q, "token", "SELECT name, role, created_at, expires_at, "
		 "coalesce(used_at, 0), coalesce(device, '') FROM tokens "
		 "WHERE hash = $1", &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return SRV_E_NOTFOUND;
	}
	copy_text(out->name, sizeof(out->name), g_text(r, 0, 0));
	copy_text(out->role, sizeof(out->role), g_text(r, 0, 1));
	out->created_ms = g_i64(r, 0, 2);
	out->expires_ms = g_i64(r, 0, 3);
	out->used_ms = g_i64(r, 0, 4);
	copy_text(out->device, sizeof(out->device), g_text(r, 0, 5));
	PQclear(r);
	return SRV_OK;
}

static int pg_token_use(srv_store *s, const uint8_t *hash, const char *device,
			int64_t now_ms)
{
	params p = {0};
	long n;
	int rc;

	p_blob(&p, hash, PROTO_HASH_BYTES);
	p_text(&p, device);
	p_i64(&p, now_ms);
	rc = run_changes(PG(s), "token", "UPDATE tokens SET used_at = $3, "
			 "device = $2 WHERE hash = $1 AND used_at IS NULL", &p,
			 &n);
	if (rc == SRV_OK && n != 1)
		rc = SRV_E_NOTFOUND;
	return rc;
}

/* ---- devices ------------------------------------------------------------- */
#define DEV_COLS "id, public_key, name, coalesce(client_name, ''), role, " \
	"enrolled_at, coalesce(revoked_at_cursor, -1), " \
	"coalesce(revoked_at, 0), coalesce(last_seen, 0), flags, head_seq, " \
	"head_hash, last_hlc"

static void read_device(const PGresult *r, int row, srv_device *d)
{
	memset(d, 0, sizeof(*d));
	copy_text(d->id, sizeof(d->id), g_text(r, row, 0));
	if (!PQgetisnull(r, row, 1) && PQgetlength(r, row, 1) == PROTO_PK_BYTES)
		memcpy(d->pk, PQgetvalue(r, row, 1), PROTO_PK_BYTES);
	copy_text(d->name, sizeof(d->name), g_text(r, row, 2));
	copy_text(d->client_name, sizeof(d->client_name), g_text(r, row, 3));
	copy_text(d->role, sizeof(d->role), g_text(r, row, 4));
	d->enrolled_ms = g_i64(r, row, 5);
	d->revoked_at_cursor = g_i64(r, row, 6);
	d->revoked_ms = g_i64(r, row, 7);
	d->last_seen_ms = g_i64(r, row, 8);
	d->flags = (unsigned)g_i64(r, row, 9);
	d->head_seq = g_i64(r, row, 10);
	if (!PQgetisnull(r, row, 11) &&
	    PQgetlength(r, row, 11) == PROTO_HASH_BYTES)
		memcpy(d->head_hash, PQgetvalue(r, row, 11), PROTO_HASH_BYTES);
	d->last_hlc = (uint64_t)g_i64(r, row, 12);
}

static int pg_device_add(srv_store *s, const srv_device *d)
{
	params p = {0};

	p_text(&p, d->id);
	p_blob(&p, d->pk, PROTO_PK_BYTES);
	p_text(&p, d->name);
	p_text(&p, d->client_name);
	p_text(&p, d->role);
	p_i64(&p, d->enrolled_ms);
	return insert_new(PG(s), "device", "INSERT INTO devices(id, "
			  "public_key, name, client_name, role, enrolled_at) "
			  "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO "
			  "NOTHING", &p);
}

static int pg_device_get(srv_store *s, const char *id, srv_device *out)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int rc;

	p_text(&p, id);
	rc = run(q, "device", "SELECT " DEV_COLS " FROM devices WHERE id = $1",
		 &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = SRV_E_NOTFOUND;
	else
		read_device(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_device_find(srv_store *s, const char *prefix, srv_device *out)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int rc, n;

	p_text(&p, prefix);
	rc = run(q, "device", "SELECT " DEV_COLS " FROM devices WHERE "
		 "id >= $1::text AND left(id, length($1::text)) = $1::text "
		 "ORDER BY id LIMIT 2", &p, &r);
	if (rc)
		return rc;
	n = PQntuples(r);
	if (n > 0)
		read_device(r, 0, out);
	PQclear(r);
	if (n == 0)
		return SRV_E_NOTFOUND;
	return n == 1 ? SRV_OK : SRV_E_AMBIGUOUS;
}

static int pg_devices_each(srv_store *s, srv_device_cb cb, void *ctx)
{
	pg_store *q = PG(s);
	PGresult *r;
	srv_device d;
	int rc, i, n;

	/* Devices are few (one per person in the field): one query. */
	rc = run(q, "devices", "SELECT " DEV_COLS " FROM devices "
		 "ORDER BY enrolled_at, id", NULL, &r);
	if (rc)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		read_device(r, i, &d);
		if (cb(ctx, &d))
			break;
	}
	PQclear(r);
	return SRV_OK;
}

static int pg_device_revoke(srv_store *s, const char *id, int64_t now_ms,
			    int64_t *at_cursor)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int own, rc;

	/* The highest cursor must be read under the write lock: a push
	** committing meanwhile would otherwise get a cursor past the one
	** recorded, from a device already revoked. */
	if ((rc = need_write(q, "revoke", &own)))
		return rc;
	p_text(&p, id);
	p_i64(&p, now_ms);
	rc = run(q, "revoke", "UPDATE devices SET revoked_at_cursor = "
		 "(SELECT coalesce(max(cursor), 0) FROM sets), "
		 "revoked_at = $2 WHERE id = $1 AND revoked_at_cursor IS NULL "
		 "RETURNING revoked_at_cursor", &p, &r);
	if (rc == SRV_OK) {
		/* Unknown or already revoked: the caller tells them apart. */
		if (PQntuples(r) == 0)
			rc = SRV_E_NOTFOUND;
		else
			*at_cursor = g_i64(r, 0, 0);
		PQclear(r);
	}
	if (own && rc == SRV_E_NOTFOUND) {
		pg_rollback(s);
		return rc;
	}
	return end_own(q, own, rc);
}

static int device_update(srv_store *s, const char *sql, const char *id,
			 int64_t v)
{
	params p = {0};

	p_text(&p, id);
	p_i64(&p, v);
	return run_done(PG(s), "device", sql, &p);
}

static int pg_device_seen(srv_store *s, const char *id, int64_t now_ms)
{
	return device_update(s, "UPDATE devices SET last_seen = $2 "
			     "WHERE id = $1", id, now_ms);
}

static int pg_auth_floor(srv_store *s, const char *id, int64_t expires_ms)
{
	params p = {0};
	long n = 0;
	int rc;

	p_text(&p, id);
	p_i64(&p, expires_ms);
	rc = run_changes(PG(s), "auth floor", "INSERT INTO auth_floor(device, "
			 "floor_ms) VALUES($1, $2::bigint) ON CONFLICT (device) "
			 "DO UPDATE SET floor_ms = excluded.floor_ms WHERE "
			 "auth_floor.floor_ms < excluded.floor_ms", &p, &n);
	if (rc)
		return rc;
	return n == 1 ? SRV_OK : SRV_E_USED;
}

static int pg_auth_floor_get(srv_store *s, const char *id, int64_t *floor_ms)
{
	params p = {0};
	PGresult *r;
	int rc;

	p_text(&p, id);
	rc = run(PG(s), "auth floor", "SELECT floor_ms FROM auth_floor "
		 "WHERE device = $1", &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = SRV_E_NOTFOUND;
	else
		*floor_ms = g_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* ---- rows (migrate) ---------------------------------------------------- */

/* Each table's key, for the order of a walk; and whether it numbers its
** rows with an identity (rows_done moves it past the highest put). */
static const struct {
	const char *table, *key;
	int identity;
} row_tables[] = {
	{"meta", "key", 0}, {"devices", "id", 0}, {"tokens", "hash", 0},
	{"sets", "cursor", 0}, {"records", "id", 0}, {"conflicts", "id", 1},
	{"forks", "id", 1}, {"events", "id", 1}, {"auth_floor", "device", 0},
};

static int row_table(const char *t)
{
	for (size_t i = 0; i < sizeof(row_tables) / sizeof(row_tables[0]); i++)
		if (strcmp(row_tables[i].table, t) == 0)
			return (int)i;
	return -1;
}

static int pg_rows_each(srv_store *s, const char *table, srv_row_cb cb,
			void *ctx)
{
	pg_store *q = PG(s);
	PGresult *r = NULL;
	char sql[128];
	const char *names[32];
	srv_value vals[32];
	int t = row_table(table), rc, n, rows;

	if (t < 0)
		return SRV_E_ARG;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s", table,
		 row_tables[t].key);
	if ((rc = run(q, table, sql, NULL, &r)))
		return rc;
	n = PQnfields(r);
	rows = PQntuples(r);
	if (n > 32) {
		PQclear(r);
		return SRV_E_ARG;
	}
	for (int c = 0; c < n; c++)
		names[c] = PQfname(r, c);
	for (int i = 0; i < rows; i++) {
		for (int c = 0; c < n; c++) {
			memset(&vals[c], 0, sizeof(vals[c]));
			if (PQgetisnull(r, i, c)) {
				vals[c].type = SRV_V_NULL;
			} else if (PQftype(r, c) == 20 || PQftype(r, c) == 23 ||
				   PQftype(r, c) == 21) { /* int8, int4, int2 */
				vals[c].type = SRV_V_INT;
				vals[c].i = g_i64(r, i, c);
			} else if (PQftype(r, c) == 17) { /* bytea */
				vals[c].type = SRV_V_BLOB;
				vals[c].p = PQgetvalue(r, i, c);
				vals[c].len = (size_t)PQgetlength(r, i, c);
			} else {
				vals[c].type = SRV_V_TEXT;
				vals[c].p = PQgetvalue(r, i, c);
				vals[c].len = (size_t)PQgetlength(r, i, c);
			}
		}
		if (cb(ctx, (size_t)n, names, vals))
			break;
	}
	PQclear(r);
	return SRV_OK;
}

static int pg_row_put(srv_store *s, const char *table, size_t ncols,
		      const char *const *names, const srv_value *vals)
{
	pg_store *q = PG(s);
	params p = {0};
	char sql[2048];
	size_t off;
	int own = 0, rc;

	if (row_table(table) < 0 || ncols > MAX_PARAMS)
		return SRV_E_ARG;
	off = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s(", table);
	for (size_t i = 0; i < ncols && off < sizeof(sql); i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s%s",
					i ? "," : "", names[i]);
	if (off < sizeof(sql))
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
					") VALUES(");
	for (size_t i = 0; i < ncols && off < sizeof(sql); i++) {
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s$%zu%s",
					i ? "," : "", i + 1,
					vals[i].type == SRV_V_INT ? "::bigint"
								  : "");
		switch (vals[i].type) {
		case SRV_V_INT:
			p_i64(&p, vals[i].i);
			break;
		case SRV_V_TEXT:
			p_text(&p, vals[i].p);
			break;
		case SRV_V_BLOB:
			p_blob(&p, vals[i].p, vals[i].len);
			break;
		default:
			p.v[p.n] = NULL;
			p.len[p.n] = 0;
			p.fmt[p.n] = 0;
			p.n++;
		}
	}
	if (off + 2 >= sizeof(sql))
		return SRV_E_ARG;
	memcpy(sql + off, ")", 2);
	if ((rc = need_write(q, table, &own)))
		return rc;
	rc = run_done(q, table, sql, &p);
	return end_own(q, own, rc);
}

static int pg_rows_done(srv_store *s, const char *table)
{
	pg_store *q = PG(s);
	char sql[256];
	int t = row_table(table);

	if (t < 0)
		return SRV_E_ARG;
	if (!row_tables[t].identity)
		return SRV_OK;
	snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s', "
		 "'id'), coalesce((SELECT max(id) FROM %s), 0) + 1, false)",
		 table, table);
	return run_done(q, table, sql, NULL);
}

static int pg_device_flag(srv_store *s, const char *id, unsigned flags)
{
	return device_update(s, "UPDATE devices SET flags = flags | "
			     "$2::bigint WHERE id = $1", id, flags);
}

static int pg_device_unflag(srv_store *s, const char *id, unsigned flags)
{
	return device_update(s, "UPDATE devices SET flags = flags & "
			     "~$2::bigint WHERE id = $1", id, flags);
}

static int pg_device_head(srv_store *s, const char *id, int64_t seq,
			  const uint8_t *hash, uint64_t last_hlc)
{
	params p = {0};
	long n;
	int rc;

	p_text(&p, id);
	p_i64(&p, seq);
	p_blob(&p, hash, PROTO_HASH_BYTES);
	/* HLCs fit in 63 bits until the year 4199 (48-bit ms << 16). */
	p_i64(&p, (int64_t)last_hlc);
	rc = run_changes(PG(s), "device head", "UPDATE devices SET "
			 "head_seq = $2, head_hash = $3, last_hlc = $4 "
			 "WHERE id = $1", &p, &n);
	if (rc == SRV_OK && n != 1)
		rc = SRV_E_NOTFOUND;
	return rc;
}

/* ---- sets ----------------------------------------------------------------- */
static int pg_set_hash(srv_store *s, const char *device, int64_t seq,
		       uint8_t *hash)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int rc;

	p_text(&p, device);
	p_i64(&p, seq);
	rc = run(q, "set", "SELECT hash FROM sets WHERE device = $1 AND "
		 "seq = $2", &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = SRV_E_NOTFOUND;
	else if (PQgetlength(r, 0, 0) == PROTO_HASH_BYTES)
		memcpy(hash, PQgetvalue(r, 0, 0), PROTO_HASH_BYTES);
	PQclear(r);
	return rc;
}

static int pg_set_get(srv_store *s, const char *device, int64_t seq,
		      char **bytes, size_t *len, char *sighex)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	size_t n;
	int rc;

	p_text(&p, device);
	p_i64(&p, seq);
	rc = run(q, "set", "SELECT bytes, sig FROM sets WHERE device = $1 "
		 "AND seq = $2", &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return SRV_E_NOTFOUND;
	}
	n = (size_t)PQgetlength(r, 0, 0);
	*bytes = malloc(n + 1);
	if (!*bytes) {
		PQclear(r);
		return SRV_E_NOMEM;
	}
	memcpy(*bytes, PQgetvalue(r, 0, 0), n);
	(*bytes)[n] = 0;
	*len = n;
	copy_text(sighex, PROTO_SIG_HEX + 1, g_text(r, 0, 1));
	PQclear(r);
	return SRV_OK;
}

static int pg_set_add(srv_store *s, const char *device, int64_t seq,
		      const char *bytes, size_t len, const char *sighex,
		      const uint8_t *hash, int64_t now_ms, int64_t *cursor)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int own, rc;

	if (len > 0x7fffffff) {
		set_msg(q, "set", "change set too large for one value");
		return SRV_E_ARG;
	}
	/* The cursor is max + 1 under the write lock (see the top). */
	if ((rc = need_write(q, "set", &own)))
		return rc;
	p_text(&p, device);
	p_i64(&p, seq);
	p_blob(&p, bytes, len);
	p_text(&p, sighex);
	p_blob(&p, hash, PROTO_HASH_BYTES);
	p_i64(&p, now_ms);
	rc = run(q, "set", "INSERT INTO sets(cursor, device, seq, bytes, sig, "
		 "hash, received_at) SELECT coalesce(max(cursor), 0) + 1, $1, "
		 "$2, $3, $4, $5, $6 FROM sets ON CONFLICT DO NOTHING "
		 "RETURNING cursor", &p, &r);
	if (rc == SRV_OK) {
		if (PQntuples(r) != 1) {
			set_msg(q, "set", "UNIQUE constraint failed: "
				"sets.device, sets.seq");
			rc = SRV_E_EXISTS;
		} else {
			*cursor = g_i64(r, 0, 0);
		}
		PQclear(r);
	}
	return end_own(q, own, rc);
}

/* The sets of a page are chosen first from their sizes alone (the limit
** and max_bytes rules need no bytes), then only those are read: a page
** never holds more set bytes in memory than it hands on. Cursors between
** `after` and the last one chosen are all committed (see the top), so the
** second query reads exactly the rows the first one chose. */
typedef struct set_row {
	int64_t cursor;
	size_t n;
	int mine;
} set_row;

static int deliver_sets(pg_store *q, int64_t after, int64_t hi,
			const char *skip, srv_set_cb cb, void *ctx,
			int64_t *stopped)
{
	params p = {0};
	PGresult *r;
	int rc, i, n;

	*stopped = 0;
	p_i64(&p, after);
	p_i64(&p, hi);
	if (skip) {
		p_text(&p, skip);
		rc = run(q, "sets", "SELECT cursor, bytes, sig FROM sets "
			 "WHERE cursor > $1 AND cursor <= $2 AND device <> $3 "
			 "ORDER BY cursor", &p, &r);
	} else {
		rc = run(q, "sets", "SELECT cursor, bytes, sig FROM sets "
			 "WHERE cursor > $1 AND cursor <= $2 ORDER BY cursor",
			 &p, &r);
	}
	if (rc)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		int64_t cur = g_i64(r, i, 0);
		if (cb(ctx, cur, PQgetvalue(r, i, 1),
		       (size_t)PQgetlength(r, i, 1), g_text(r, i, 2))) {
			*stopped = cur;
			break;
		}
	}
	PQclear(r);
	return SRV_OK;
}

/* Cursor, size and (with skip) whether it is skip's, for up to window
** sets after `after`. */
static int set_sizes(pg_store *q, int64_t after, int64_t window,
		     const char *skip, PGresult **r)
{
	params p = {0};

	p_i64(&p, after);
	p_i64(&p, window);
	p_text(&p, skip ? skip : "");
	return run(q, "sets", "SELECT cursor, octet_length(bytes), "
		   "(device = $3)::int FROM sets WHERE cursor > $1 "
		   "ORDER BY cursor LIMIT $2", &p, r);
}

static int pg_sets_after(srv_store *s, int64_t after, int limit,
			 size_t max_bytes, srv_set_cb cb, void *ctx, int *more)
{
	pg_store *q = PG(s);
	PGresult *r;
	size_t total = 0, n;
	int64_t hi = 0, stopped;
	int rc, i, rows, count = 0;

	/* One more than asked, to know whether more remain. */
	if ((rc = set_sizes(q, after, (int64_t)limit + 1, NULL, &r)))
		return rc;
	rows = PQntuples(r);
	for (i = 0; i < rows; i++) {
		n = (size_t)g_i64(r, i, 1);
		if (count == limit || (count > 0 && total + n > max_bytes)) {
			*more = 1;
			break;
		}
		total += n;
		count++;
		hi = g_i64(r, i, 0);
	}
	PQclear(r);
	if (!count)
		return SRV_OK;
	return deliver_sets(q, after, hi, NULL, cb, ctx, &stopped);
}

static int pg_sets_after_skip(srv_store *s, int64_t after, int limit,
			      size_t max_bytes, const char *skip,
			      srv_set_cb cb, void *ctx, int *more,
			      int64_t *scanned)
{
	pg_store *q = PG(s);
	PGresult *r;
	params p = {0};
	size_t total = 0, n;
	int64_t hi = 0, stopped = 0, cur;
	int rc, i, rows, count = 0;

	/* Skipped rows are read too; scan a bounded window per page so a long
	** run of the reader's own sets costs a few pages, never a stall. */
	if ((rc = set_sizes(q, after, (int64_t)limit * 4 + 1, skip, &r)))
		return rc;
	rows = PQntuples(r);
	for (i = 0; i < rows; i++) {
		cur = g_i64(r, i, 0);
		n = (size_t)g_i64(r, i, 1);
		if (count == limit || (count > 0 && total + n > max_bytes)) {
			*more = 1;
			break;
		}
		*scanned = cur;
		if (skip && g_i64(r, i, 2))
			continue;
		total += n;
		count++;
		hi = cur;
	}
	PQclear(r);
	if (count && (rc = deliver_sets(q, after, hi, skip, cb, ctx,
					&stopped)))
		return rc;
	if (stopped)
		*scanned = stopped;
	/* The window ended with rows possibly left beyond it. */
	if (!*more) {
		p_i64(&p, *scanned);
		rc = run(q, "sets", "SELECT 1 FROM sets WHERE cursor > $1 "
			 "LIMIT 1", &p, &r);
		if (rc)
			return rc;
		if (PQntuples(r) > 0)
			*more = 1;
		PQclear(r);
	}
	return SRV_OK;
}

static int pg_max_cursor(srv_store *s, int64_t *cursor)
{
	pg_store *q = PG(s);
	PGresult *r;
	int rc = run(q, "cursor", "SELECT coalesce(max(cursor), 0) FROM sets",
		     NULL, &r);

	if (rc)
		return rc;
	*cursor = g_i64(r, 0, 0);
	PQclear(r);
	return SRV_OK;
}

static int pg_set_device(srv_store *s, int64_t cursor, char *device)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int rc;

	p_i64(&p, cursor);
	rc = run(q, "set", "SELECT device FROM sets WHERE cursor = $1", &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = SRV_E_NOTFOUND;
	else
		copy_text(device, PROTO_ID_HEX + 1, g_text(r, 0, 0));
	PQclear(r);
	return rc;
}

/* ---- records --------------------------------------------------------------- */
static int pg_record_get(srv_store *s, const char *id, char **state,
			 size_t *len)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	size_t n;
	int rc;

	p_text(&p, id);
	rc = run(q, "record", "SELECT state FROM records WHERE id = $1", &p,
		 &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return SRV_E_NOTFOUND;
	}
	n = (size_t)PQgetlength(r, 0, 0);
	*state = malloc(n + 1);
	if (!*state) {
		PQclear(r);
		return SRV_E_NOMEM;
	}
	memcpy(*state, PQgetvalue(r, 0, 0), n);
	(*state)[n] = 0;
	*len = n;
	PQclear(r);
	return SRV_OK;
}

static int pg_record_put(srv_store *s, const char *id, const char *kind,
			 const char *state, size_t len, int64_t cursor)
{
	params p = {0};

	if (len > 0x7fffffff) {
		set_msg(PG(s), "record", "state too large for one value");
		return SRV_E_ARG;
	}
	p_text(&p, id);
	p_text(&p, kind);
	/* Exactly len bytes: text in binary format is its bytes (the server
	** still checks they are valid UTF-8). */
	p_blob(&p, state, len);
	p_i64(&p, cursor);
	return run_done(PG(s), "record", "INSERT INTO records(id, kind, state, "
			"updated_cursor) VALUES($1, $2, $3, $4) ON CONFLICT (id) "
			"DO UPDATE SET state = excluded.state, "
			"updated_cursor = excluded.updated_cursor", &p);
}

static int pg_records_each(srv_store *s, const char *kind, srv_record_cb cb,
			   void *ctx)
{
	pg_store *q = PG(s);
	char last[PROTO_ID_HEX + 1] = "";
	int rc, i, n;

	/* Pages by id, so every record is never in memory at once and the
	** callback may use the store between rows. */
	for (;;) {
		params p = {0};
		PGresult *r;

		p_text(&p, last);
		p_i64(&p, PAGE_ROWS);
		if (kind) {
			p_text(&p, kind);
			rc = run(q, "records", "SELECT id, kind, state, "
				 "updated_cursor FROM records WHERE id > $1 "
				 "AND kind = $3 ORDER BY id LIMIT $2", &p, &r);
		} else {
			rc = run(q, "records", "SELECT id, kind, state, "
				 "updated_cursor FROM records WHERE id > $1 "
				 "ORDER BY id LIMIT $2", &p, &r);
		}
		if (rc)
			return rc;
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			if (cb(ctx, g_text(r, i, 0), g_text(r, i, 1),
			       g_text(r, i, 2), g_i64(r, i, 3))) {
				PQclear(r);
				return SRV_OK;
			}
		}
		if (n > 0)
			copy_text(last, sizeof(last), g_text(r, n - 1, 0));
		PQclear(r);
		if (n < PAGE_ROWS)
			return SRV_OK;
	}
}

/* ---- conflicts ------------------------------------------------------------- */
#define CONF_COLS "id, record, kind, field, winner_value, winner_stamp, " \
	"loser_value, loser_stamp, detected_cursor, detected_at, " \
	"coalesce(resolved_at, 0), resolution, coalesce(resolved_cursor, 0), " \
	"coalesce(device, '')"

static void read_conflict(const PGresult *r, int row, srv_conflict *c)
{
	memset(c, 0, sizeof(*c));
	c->id = g_i64(r, row, 0);
	copy_text(c->record, sizeof(c->record), g_text(r, row, 1));
	copy_text(c->kind, sizeof(c->kind), g_text(r, row, 2));
	copy_text(c->field, sizeof(c->field), g_text(r, row, 3));
	c->winner_value = g_text_or_null(r, row, 4);
	copy_text(c->winner_stamp, sizeof(c->winner_stamp), g_text(r, row, 5));
	c->loser_value = g_text_or_null(r, row, 6);
	copy_text(c->loser_stamp, sizeof(c->loser_stamp), g_text(r, row, 7));
	c->detected_cursor = g_i64(r, row, 8);
	c->detected_ms = g_i64(r, row, 9);
	c->resolved_ms = g_i64(r, row, 10);
	c->resolution = g_text_or_null(r, row, 11);
	c->resolved_cursor = g_i64(r, row, 12);
	copy_text(c->device, sizeof(c->device), g_text(r, row, 13));
}

static int pg_conflict_add(srv_store *s, srv_conflict *c)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	int rc;

	p_text(&p, c->record);
	p_text(&p, c->kind);
	p_text(&p, c->field);
	p_text(&p, c->winner_value);
	p_text(&p, c->winner_stamp);
	p_text(&p, c->loser_value);
	p_text(&p, c->loser_stamp);
	p_i64(&p, c->detected_cursor);
	p_i64(&p, c->detected_ms);
	p_text(&p, c->device);
	rc = run(q, "conflict", "INSERT INTO conflicts(record, kind, field, "
		 "winner_value, winner_stamp, loser_value, loser_stamp, "
		 "detected_cursor, detected_at, device) VALUES($1, $2, $3, $4, "
		 "$5, $6, $7, $8, $9, nullif($10, '')) RETURNING id", &p, &r);
	if (rc)
		return rc;
	c->id = g_i64(r, 0, 0);
	PQclear(r);
	return SRV_OK;
}

/* Conflicts with id > after, in id order, at most limit + 1 rows (the
** one more says whether more remain). */
static int conflict_rows(pg_store *q, int open_only, int64_t after,
			 int64_t limit, PGresult **r)
{
	params p = {0};

	p_i64(&p, after);
	p_i64(&p, limit);
	return run(q, "conflicts", open_only
		   ? "SELECT " CONF_COLS " FROM conflicts WHERE id > $1 AND "
		     "resolved_at IS NULL ORDER BY id LIMIT $2"
		   : "SELECT " CONF_COLS " FROM conflicts WHERE id > $1 "
		     "ORDER BY id LIMIT $2", &p, r);
}

static int pg_conflicts_page(srv_store *s, int open_only, int64_t after,
			     int limit, srv_conflict_cb cb, void *ctx,
			     int *more)
{
	pg_store *q = PG(s);
	PGresult *r;
	srv_conflict c;
	int rc, i, n;

	rc = conflict_rows(q, open_only, after, (int64_t)limit + 1, &r);
	if (rc)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (i == limit) {
			*more = 1;
			break;
		}
		read_conflict(r, i, &c);
		if (cb(ctx, &c))
			break;
	}
	PQclear(r);
	return SRV_OK;
}

static int pg_conflicts_each(srv_store *s, int open_only, srv_conflict_cb cb,
			     void *ctx)
{
	pg_store *q = PG(s);
	int64_t after = 0;
	srv_conflict c;
	int rc, i, n;

	/* Pages by id, as records_each. */
	for (;;) {
		PGresult *r;

		if ((rc = conflict_rows(q, open_only, after, PAGE_ROWS, &r)))
			return rc;
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			read_conflict(r, i, &c);
			after = c.id;
			if (cb(ctx, &c)) {
				PQclear(r);
				return SRV_OK;
			}
		}
		PQclear(r);
		if (n < PAGE_ROWS)
			return SRV_OK;
	}
}

static int pg_conflict_get(srv_store *s, int64_t id, srv_conflict_cb cb,
			   void *ctx)
{
	pg_store *q = PG(s);
	params p = {0};
	PGresult *r;
	srv_conflict c;
	int rc;

	p_i64(&p, id);
	rc = run(q, "conflicts", "SELECT " CONF_COLS " FROM conflicts "
		 "WHERE id = $1", &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = SRV_E_NOTFOUND;
	} else {
		read_conflict(r, 0, &c);
		cb(ctx, &c);
	}
	PQclear(r);
	return rc;
}

static int pg_conflict_resolve(srv_store *s, int64_t id, const char *resolution,
			       int64_t cursor, int64_t now_ms)
{
	params p = {0};
	long n;
	int rc;

	p_i64(&p, id);
	p_text(&p, resolution);
	p_i64(&p, cursor);
	p_i64(&p, now_ms);
	rc = run_changes(PG(s), "conflict", "UPDATE conflicts SET "
			 "resolved_at = $4, resolution = $2, "
			 "resolved_cursor = $3 WHERE id = $1", &p, &n);
	if (rc == SRV_OK && n != 1)
		rc = SRV_E_NOTFOUND;
	return rc;
}

static int count_query(pg_store *q, const char *sql, const char *arg,
		       int64_t *count)
{
	params p = {0};
	PGresult *r;
	int rc;

	if (arg)
		p_text(&p, arg);
	rc = run(q, "count", sql, arg ? &p : NULL, &r);
	if (rc)
		return rc;
	*count = g_i64(r, 0, 0);
	PQclear(r);
	return SRV_OK;
}

static int pg_conflicts_open(srv_store *s, int64_t *count)
{
	return count_query(PG(s), "SELECT count(*) FROM conflicts "
			   "WHERE resolved_at IS NULL", NULL, count);
}

static int pg_conflicts_open_of(srv_store *s, const char *device,
				int64_t *count)
{
	/* conflicts_open_device, a partial index: counts only open ones. */
	return count_query(PG(s), "SELECT count(*) FROM conflicts WHERE "
			   "device = $1 AND resolved_at IS NULL", device,
			   count);
}

/* ---- forks, events ---------------------------------------------------------- */
static int pg_fork_add(srv_store *s, const char *device, int64_t seq,
		       const char *held, size_t held_len, const char *held_sig,
		       const char *other, size_t other_len,
		       const char *other_sig, int64_t now_ms)
{
	uint8_t h[PROTO_HASH_BYTES];
	params p = {0};

	proto_set_hash(other, other_len, h);
	p_text(&p, device);
	p_i64(&p, seq);
	p_blob(&p, held, held_len);
	p_text(&p, held_sig);
	p_blob(&p, other, other_len);
	p_text(&p, other_sig);
	p_blob(&p, h, PROTO_HASH_BYTES);
	p_i64(&p, now_ms);
	/* The same evidence twice keeps one copy (INSERT OR IGNORE). */
	return run_done(PG(s), "fork", "INSERT INTO forks(device, seq, "
			"held_bytes, held_sig, other_bytes, other_sig, "
			"other_hash, detected_at) VALUES($1, $2, $3, $4, $5, "
			"$6, $7, $8) ON CONFLICT DO NOTHING", &p);
}

static int pg_forks_count(srv_store *s, const char *device, int64_t *count)
{
	return count_query(PG(s), "SELECT count(*) FROM forks WHERE "
			   "device = $1", device, count);
}

static int pg_event_add(srv_store *s, const char *device, const char *kind,
			const char *detail, int64_t now_ms)
{
	params p = {0};

	p_text(&p, device);
	p_text(&p, kind);
	p_text(&p, detail);
	p_i64(&p, now_ms);
	return run_done(PG(s), "event", "INSERT INTO events(device, kind, "
			"detail, at) VALUES($1, $2, $3, $4)", &p);
}

static int pg_events_each(srv_store *s, srv_event_cb cb, void *ctx)
{
	pg_store *q = PG(s);
	int64_t after = 0;
	srv_event e;
	int rc, i, n;

	for (;;) {
		params p = {0};
		PGresult *r;

		p_i64(&p, after);
		p_i64(&p, PAGE_ROWS);
		rc = run(q, "events", "SELECT id, device, kind, detail, at "
			 "FROM events WHERE id > $1 ORDER BY id LIMIT $2", &p,
			 &r);
		if (rc)
			return rc;
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			memset(&e, 0, sizeof(e));
			e.id = after = g_i64(r, i, 0);
			copy_text(e.device, sizeof(e.device), g_text(r, i, 1));
			e.kind = g_text(r, i, 2);
			e.detail = g_text_or_null(r, i, 3);
			e.at_ms = g_i64(r, i, 4);
			if (cb(ctx, &e)) {
				PQclear(r);
				return SRV_OK;
			}
		}
		PQclear(r);
		if (n < PAGE_ROWS)
			return SRV_OK;
	}
}

/* ---- check ------------------------------------------------------------------ */
/* PostgreSQL has no integrity_check; this reads every stored byte (damage
** the server detects surfaces as an error), and checks what the schema
** cannot say: the version, and that every set belongs to a device. */
static int pg_check(srv_store *s)
{
	static const struct { const char *what, *sql; } checks[] = {
		{"sets whose device is unknown",
		 "SELECT count(*) FROM sets s WHERE NOT EXISTS "
		 "(SELECT 1 FROM devices d WHERE d.id = s.device)"},
		{"sets that cannot be read",
		 "SELECT count(*) FROM sets WHERE md5(bytes) IS NULL OR "
		 "md5(hash) IS NULL OR sig IS NULL"},
		{"records that cannot be read",
		 "SELECT count(*) FROM records WHERE md5(state) IS NULL"},
		{"forks that cannot be read",
		 "SELECT count(*) FROM forks WHERE md5(held_bytes) IS NULL OR "
		 "md5(other_bytes) IS NULL"},
	};
	pg_store *q = PG(s);
	char v[16];
	int64_t n;
	size_t i;
	int rc;

	if ((rc = pg_meta_get(s, "schema", v, sizeof(v))))
		return rc;
	if (strcmp(v, SCHEMA_VERSION) != 0) {
		set_msg(q, "check", "schema version is not " SCHEMA_VERSION);
		return SRV_E_IO;
	}
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if ((rc = count_query(q, checks[i].sql, NULL, &n)))
			return rc;
		if (n) {
			snprintf(q->base.errmsg, sizeof(q->base.errmsg),
				 "check: %lld %s", (long long)n,
				 checks[i].what);
			return SRV_E_IO;
		}
	}
	return SRV_OK;
}

/* ---- where files beside the database go -------------------------------------- */
/* mkdir -p with mode 0700; failures show later, when the key is written. */
static void mkdir_private(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			*p = '/';
			return;
		}
		*p = '/';
	}
	(void)mkdir(path, 0700);
}

static int pg_side_path(const char *path, const char *suffix, char *out,
			size_t outsz)
{
	PQconninfoOption *o = PQconninfoParse(path, NULL), *i;
	const char *dir = getenv("FIELDSYNCD_STATE_DIR"), *db = "", *host = "";
	char base[4096], name[256];
	size_t k;
	int n;

	if (!o)
		return SRV_E_ARG;
	for (i = o; i->keyword; i++) {
		if (strcmp(i->keyword, "dbname") == 0 && i->val)
			db = i->val;
		else if (strcmp(i->keyword, "host") == 0 && i->val)
			host = i->val;
	}
	/* The defaults libpq would use, so two spellings agree. */
	if (!*db)
		db = getenv("PGDATABASE") ? getenv("PGDATABASE") : "";
	if (!*host)
		host = getenv("PGHOST") ? getenv("PGHOST") : "";
	n = snprintf(name, sizeof(name), "pg-%s@%s", *db ? db : "default",
		     *host ? host : "local");
	PQconninfoFree(o);
	if (n < 0 || (size_t)n >= sizeof(name))
		return SRV_E_ARG;
	/* One file name: a host that is a socket directory has slashes. */
	for (k = 0; name[k]; k++)
		if (!(name[k] == '-' || name[k] == '_' || name[k] == '.' ||
		      name[k] == '@' || (name[k] >= '0' && name[k] <= '9') ||
		      (name[k] >= 'a' && name[k] <= 'z') ||
		      (name[k] >= 'A' && name[k] <= 'Z')))
			name[k] = '_';
	if (dir && *dir) {
		n = snprintf(base, sizeof(base), "%s", dir);
	} else if (getenv("XDG_STATE_HOME") && *getenv("XDG_STATE_HOME")) {
		n = snprintf(base, sizeof(base), "%s/fieldsyncd",
			     getenv("XDG_STATE_HOME"));
	} else if (getenv("HOME") && *getenv("HOME")) {
		n = snprintf(base, sizeof(base), "%s/.local/state/fieldsyncd",
			     getenv("HOME"));
	} else {
		return SRV_E_ARG;
	}
	if (n < 0 || (size_t)n >= sizeof(base))
		return SRV_E_ARG;
	/* The default one is made on first use, private: it holds HQ's
	** signing key. FIELDSYNCD_STATE_DIR must exist (a mistyped one is
	** then an error naming the key file, not a new directory). */
	if (!dir || !*dir)
		mkdir_private(base);
	n = snprintf(out, outsz, "%s/%s%s", base, name, suffix);
	return n < 0 || (size_t)n >= outsz ? SRV_E_ARG : SRV_OK;
}

static int pg_exists(const char *path)
{
	(void)path;
	return 1; /* open says whether the schema is there */
}

const srv_store_ops srv_store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.token_add = pg_token_add,
	.token_get = pg_token_get,
	.token_use = pg_token_use,
	.device_add = pg_device_add,
	.device_get = pg_device_get,
	.device_find = pg_device_find,
	.devices_each = pg_devices_each,
	.device_revoke = pg_device_revoke,
	.device_seen = pg_device_seen,
	.auth_floor = pg_auth_floor,
	.auth_floor_get = pg_auth_floor_get,
	.rows_each = pg_rows_each,
	.row_put = pg_row_put,
	.rows_done = pg_rows_done,
	.device_flag = pg_device_flag,
	.device_unflag = pg_device_unflag,
	.device_head = pg_device_head,
	.set_hash = pg_set_hash,
	.set_get = pg_set_get,
	.set_add = pg_set_add,
	.sets_after = pg_sets_after,
	.sets_after_skip = pg_sets_after_skip,
	.max_cursor = pg_max_cursor,
	.record_get = pg_record_get,
	.record_put = pg_record_put,
	.records_each = pg_records_each,
	.conflict_add = pg_conflict_add,
	.conflicts_each = pg_conflicts_each,
	.conflict_get = pg_conflict_get,
	.conflict_resolve = pg_conflict_resolve,
	.conflicts_open = pg_conflicts_open,
	.set_device = pg_set_device,
	.conflicts_open_of = pg_conflicts_open_of,
	.conflicts_page = pg_conflicts_page,
	.fork_add = pg_fork_add,
	.forks_count = pg_forks_count,
	.event_add = pg_event_add,
	.events_each = pg_events_each,
	.check = pg_check,
	.side_path = pg_side_path,
	.exists = pg_exists,
};
