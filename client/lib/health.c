/*
** This file contains the health of a store: whether it is intact
** (fieldsync_check: SQLite's quick_check before every sync and on `fieldsync
** status`, the full integrity_check for `fieldsync doctor`), whether a sync
** pass has the room it needs on a nearly full disk (fs_sync_room), and the
** way out of a damaged store: fieldsync_salvage reads every record it still
** can, stepping over damaged pages, and writes each as a JSON line that
** `fieldsync import` takes back into a fresh store.
**
** Room. A pass writes, before anything is sent, the bytes of each change set
** it builds (about the size of the pending changes) and rewrites the outbox
** rows it puts in a set; after each receipt it deletes those rows. In WAL
** mode every write goes to store.db-wal first, which the store lets grow to
** FS_WAL_AUTOCHECKPOINT pages before copying it back. On a disk with room
** to spare that is the fastest way; on a nearly full one a pass instead
** ("tight"): checkpoints after every commit and truncates the WAL (so it
** never holds more than one transaction), builds small sets and sends them
** one per request (so one transaction is small and the outbox pages a
** receipt frees hold the next set), and keeps temporary tables in memory.
** It then needs about FS_TIGHT_TXN_BYTES plus two small sets, whatever is
** pending; when even that is not free it says how much it needs and changes
** nothing.
**
** Salvage. Tables are read in rowid order. Where SQLite reports damage, the
** scan seeks further ahead (1, 2, 4... rowids) until a seek works, then
** bisects back to the first rowid it can reach, so one damaged page or
** subtree costs only its own rows. The outbox is read first: its record
** ids say which records are pending, and a record whose row is lost but
** whose create is in the outbox is rebuilt by merging its changes.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/statvfs.h>

#include "internal.h"

/* ---- is the store intact ----------------------------------------------- */

/* Meta keys written by sync.c, read here only to tell the user what HQ
** holds. */
#define META_HOLDS "holds"
#define META_LAST_SYNC "last_sync_ms"
#define META_URL "server_url"

/* "1-12 (last synced 2026-04-10 08:30 UTC)" or why it is unknown. */
static void what_hq_holds(fieldsync *fs, char *buf, size_t n)
{
	char *holds = NULL, *last = NULL, *url = NULL, when[64] = "never";
	long long ms;

	if (fs_meta_get(fs, META_URL, &url) != FIELDSYNC_OK ||
	    fs_meta_get(fs, META_HOLDS, &holds) != FIELDSYNC_OK ||
	    fs_meta_get(fs, META_LAST_SYNC, &last) != FIELDSYNC_OK) {
		snprintf(buf, n, "what HQ holds cannot be read from this "
			 "store (`fieldsyncd devices list` at HQ shows it)");
		goto out;
	}
	if (!url) {
		snprintf(buf, n, "this device never synced: HQ holds nothing "
			 "of it");
		goto out;
	}
	ms = last ? strtoll(last, NULL, 10) : 0;
	if (ms > 0) {
		time_t t = (time_t)(ms / 1000);
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	}
	snprintf(buf, n, "HQ holds this device's change sets 1-%lld (last "
		 "synced %s)", holds ? strtoll(holds, NULL, 10) : 0LL, when);
out:
	free(holds);
	free(last);
	free(url);
}

/* The message of a damaged store: what is wrong, what HQ still has, what
** to do. problems is SQLite's report (or its error). */
static int damaged(fieldsync *fs, const char *check, const char *problems)
{
	char hq[160], pend[64] = "an unknown number of";
	sqlite3_stmt *st = NULL;

	what_hq_holds(fs, hq, sizeof hq);
	if (sqlite3_prepare_v2(fs->db, "SELECT count(*) FROM outbox", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(pend, sizeof pend, "%lld",
			 (long long)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	return fs_fail(fs, FIELDSYNC_E_CORRUPT, "the store %s/%s is damaged "
		       "(%s: %.200s); sync refuses it, so nothing damaged "
		       "reaches HQ. %s; %s changes made here since are only "
		       "in this store. Save what can be read with `fieldsync "
		       "doctor --export FILE`, then follow `fieldsync doctor "
		       "--help`", fs->dir, FS_STORE_FILE, check, problems, hq,
		       pend);
}

int fieldsync_check(fieldsync *fs, int full)
{
	const char *check = full ? "integrity_check" : "quick_check";
	char problems[256] = "", sql[40];
	sqlite3_stmt *st = NULL;
	size_t off = 0;
	int rc, rows = 0, ok = 0;

	if (!fs->db)
		return fs_fail(fs, FIELDSYNC_E_USAGE, "the store is not open");
	fs_ok(fs);
	/* At most 10 problems: the first few say enough. */
	snprintf(sql, sizeof sql, "PRAGMA %s(10)", check);
	rc = sqlite3_prepare_v2(fs->db, sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		rc = SQLITE_OK;
		if (rows++ == 0 && m && strcmp(m, "ok") == 0) {
			ok = 1;
			continue;
		}
		/* integrity_check names the schema first: "*** in database
		** main ***\n" (the only one a store has). */
		if (m && strncmp(m, "*** in database ", 16) == 0 &&
		    strchr(m, '\n'))
			m = strchr(m, '\n') + 1;
		if (m && off < sizeof problems - 1) {
			int w = snprintf(problems + off, sizeof problems - off,
					 "%s%s", off ? "; " : "", m);
			off = w < 0 ? sizeof problems : off + (size_t)w;
		}
	}
	sqlite3_finalize(st);
	for (char *p = problems; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (rc != SQLITE_DONE) {
		int prim = rc & 0xff;
		if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ||
		    prim == SQLITE_IOERR)
			return damaged(fs, check, problems[0]
						  ? problems
						  : sqlite3_errstr(rc));
		return fs_sqlfail(fs, rc, "cannot check the store");
	}
	if (ok && rows == 1)
		return FIELDSYNC_OK;
	return damaged(fs, check, problems[0] ? problems : "no answer");
}

/* ---- room for a sync pass ---------------------------------------------- */

/* Bytes free for this process on the filesystem of the data directory
** (root may use the reserved blocks too), or -1 if unknown. */
static long long free_bytes(const char *dir)
{
	struct statvfs v;

	if (statvfs(dir, &v) != 0)
		return -1;
	return (long long)(geteuid() == 0 ? v.f_bfree : v.f_bavail) *
	       (long long)v.f_frsize;
}

static int pragma_ll(fieldsync *fs, const char *sql, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(fs->db, sql, -1, &st, NULL);

	*out = 0;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? FIELDSYNC_OK
			       : fs_sqlfail(fs, rc, "cannot read the store");
}

static int run(fieldsync *fs, const char *sql, const char *what)
{
	int rc = sqlite3_exec(fs->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? FIELDSYNC_OK : fs_sqlfail(fs, rc, what);
}

/* The persisted bytes of sets the server holds are never sent again (SPEC
** §11.3 lets a client delete them; seq, hash and last HLC stay). Dropping
** them gives their pages back to the store, so the sets of the next pass
** take no new room. Best effort: on a full disk even this may not fit. */
static void drop_acked_bytes(fieldsync *fs)
{
	if (fs_begin(fs) != FIELDSYNC_OK)
		return;
	if (run(fs, "UPDATE sets SET bytes = x'' WHERE acked = 1 AND "
		"length(bytes) > 0", "cannot drop sent sets") != FIELDSYNC_OK ||
	    fs_commit(fs) != FIELDSYNC_OK)
		fs_rollback(fs);
}

int fs_sync_room(fieldsync *fs, const fieldsync_sync_opts *in,
		 fieldsync_sync_opts *out, int *sets_per_request)
{
	long long pend_bytes = 0, pend_n = 0, freelist = 0, page = 4096;
	long long avail, set_bytes, one_set, db_part, wal_part, short_by, avg;
	long want = in && in->max_set_changes > 0 ? in->max_set_changes : 1000;
	long per_set;
	sqlite3_stmt *st = NULL;
	char sql[96];
	int rc;

	if (in)
		*out = *in;
	else
		memset(out, 0, sizeof *out);
	*sets_per_request = 0;
	rc = sqlite3_prepare_v2(fs->db, "SELECT count(*), coalesce(sum("
				"length(CAST(change AS BLOB))), 0) FROM outbox "
				"WHERE set_seq IS NULL", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		pend_n = sqlite3_column_int64(st, 0);
		pend_bytes = sqlite3_column_int64(st, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the outbox");
	/* A set's bytes: its changes, a comma each, and a header. */
	set_bytes = pend_bytes + pend_n + 256;
	avail = free_bytes(fs->dir);
	if (avail < 0 || avail >= 3 * set_bytes + FS_ROOM_COMFORTABLE) {
		/* Room to spare (or no way to tell): the fast settings. */
		drop_acked_bytes(fs);
		snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint = %d",
			 FS_WAL_AUTOCHECKPOINT);
		if ((rc = run(fs, sql, "cannot set up the store")) ||
		    (rc = run(fs, "PRAGMA journal_size_limit = -1", "cannot "
			      "set up the store")) ||
		    (rc = run(fs, "PRAGMA temp_store = DEFAULT", "cannot set "
			      "up the store")))
			return rc;
		fs_ok(fs);
		return FIELDSYNC_OK;
	}
	/* Tight: give back what the WAL still holds, and the pages of sets
	** already sent, before measuring again. */
	(void)sqlite3_exec(fs->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
			   NULL, NULL);
	drop_acked_bytes(fs);
	(void)sqlite3_exec(fs->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
			   NULL, NULL);
	if ((rc = pragma_ll(fs, "PRAGMA freelist_count", &freelist)) ||
	    (rc = pragma_ll(fs, "PRAGMA page_size", &page)))
		return rc;
	avail = free_bytes(fs->dir);
	/* Per change, a pass writes its bytes twice in the set's transaction
	** (the set and the outbox row it marks) and, when the receipt comes,
	** about one page of the outbox's record index (the ids are random,
	** so each deleted row touches another page): sets are made small
	** enough that one transaction stays under FS_TIGHT_TXN_BYTES. */
	avg = pend_n ? pend_bytes / pend_n + 1 : 1;
	per_set = (long)(FS_TIGHT_TXN_BYTES / (2 * avg + page));
	if (per_set < 1)
		per_set = 1;
	if (per_set > want)
		per_set = want;
	one_set = pend_n ? avg * per_set + 256 : 0;
	/* The store grows by the sets built and not yet acknowledged (two:
	** one in flight, the next built meanwhile), less the free pages it
	** has (sets already sent gave theirs back above); the WAL holds one transaction at a time, plus the small writes
	** of a pass (receipt, cursor, roster). */
	/* Pages the outbox frees are not all whole again at once: measured,
	** the store grew besides by about 1% of what a pass sent. */
	db_part = 2 * one_set + pend_bytes / 64 - freelist * page;
	if (db_part < 0)
		db_part = 0;
	wal_part = (pend_n ? per_set * (2 * avg + page) : 0) + FS_ROOM_SLACK;
	short_by = db_part + wal_part - avail;
	if (short_by > 0)
		return fs_fail(fs, FIELDSYNC_E_FULL, "sync needs about %lld KiB "
			       "free on the disk of %s to send %lld pending "
			       "changes (%lld KiB, sent %ld at a time); %lld KiB "
			       "are free: free %lld KiB more and sync again. "
			       "Nothing was changed; every entry is kept",
			       (db_part + wal_part + 1023) / 1024, fs->dir,
			       pend_n, (pend_bytes + 1023) / 1024, per_set,
			       avail / 1024, (short_by + 1023) / 1024);
	if ((rc = run(fs, "PRAGMA wal_autocheckpoint = 1", "cannot set up "
		      "the store")) ||
	    (rc = run(fs, "PRAGMA journal_size_limit = 0", "cannot set up "
		      "the store")) ||
	    (rc = run(fs, "PRAGMA temp_store = MEMORY", "cannot set up the "
		      "store")))
		return rc;
	out->max_set_changes = per_set;
	*sets_per_request = 1;
	fs_ok(fs);
	return FIELDSYNC_OK;
}

/* ---- salvage ----------------------------------------------------------- */

/* Results that mean "this part of the file is damaged", not "the machine
** failed". */
static int is_damage(int rc)
{
	int prim = rc & 0xff;

	return prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ||
	       prim == SQLITE_IOERR || prim == SQLITE_FORMAT ||
	       prim == SQLITE_MISMATCH || prim == SQLITE_RANGE;
}

/* Can the table be entered at rowid q? seek selects the first rowid >= ?1.
** 1: yes (*found is that rowid, or -1 past the end); 0: damaged there;
** -1: another failure, its status in *status. */
static int probe(fieldsync *fs, const char *seek, sqlite3_int64 q,
		 sqlite3_int64 *found, int *status)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(fs->db, seek, -1, &st, NULL);

	*found = -1;
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, q);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*found = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 1;
	if (is_damage(rc))
		return 0;
	*status = fs_sqlfail(fs, rc, "cannot read the store");
	return -1;
}

typedef int (*row_fn)(fieldsync *fs, sqlite3_stmt *st, void *ctx);

/* Call fn for each row of sql (rowid first, rows with rowid >= ?1 in rowid
** order) that can be reached, stepping over damaged parts: a row that
** cannot be read is skipped; a damaged page or subtree is skipped by
** seeking further ahead (doubling the step) until a seek works, then
** bisecting back to the first rowid after the damage. */
static int scan(fieldsync *fs, const char *sql, const char *seek, row_fn fn,
		void *ctx, fieldsync_salvage_report *rep)
{
	sqlite3_int64 from = INT64_MIN, lo, hi, step, found;
	int rc, p, status = FIELDSYNC_OK;

	for (;;) {
		sqlite3_stmt *st = NULL;

		rc = sqlite3_prepare_v2(fs->db, sql, -1, &st, NULL);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			if (!is_damage(rc))
				return fs_sqlfail(fs, rc, "cannot read the "
						  "store");
			rep->bad_ranges++; /* the schema itself */
			return FIELDSYNC_OK;
		}
		sqlite3_bind_int64(st, 1, from);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			sqlite3_int64 id = sqlite3_column_int64(st, 0);
			if ((status = fn(fs, st, ctx)) != FIELDSYNC_OK) {
				sqlite3_finalize(st);
				return status;
			}
			if (id == INT64_MAX) {
				rc = SQLITE_DONE;
				break;
			}
			from = id + 1;
		}
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return FIELDSYNC_OK;
		if (!is_damage(rc))
			return fs_sqlfail(fs, rc, "cannot read the store");
		if ((p = probe(fs, seek, from, &found, &status)) < 0)
			return status;
		if (p == 1) {
			/* The table can be entered here: the row itself is
			** what cannot be read. */
			if (found < 0 || found == INT64_MAX)
				return FIELDSYNC_OK;
			rep->bad_rows++;
			from = found + 1;
			continue;
		}
		rep->bad_ranges++;
		lo = from;
		step = 1;
		for (;;) {
			if (lo > INT64_MAX - step)
				return FIELDSYNC_OK; /* nothing after it */
			hi = lo + step;
			if ((p = probe(fs, seek, hi, &found, &status)) < 0)
				return status;
			if (p == 1)
				break;
			lo = hi;
			if (step < INT64_MAX / 4)
				step *= 2;
		}
		while (hi - lo > 1) {
			sqlite3_int64 mid = lo + (hi - lo) / 2;
			if ((p = probe(fs, seek, mid, &found, &status)) < 0)
				return status;
			if (p == 1)
				hi = mid;
			else
				lo = mid;
		}
		from = hi;
	}
}

/* A sorted set of record ids. */
typedef struct idset {
	char (*ids)[PROTO_ID_HEX + 1];
	size_t n, cap;
} idset;

static int idset_add(fieldsync *fs, idset *s, const char *id)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		void *p = realloc(s->ids, nc * sizeof *s->ids);
		if (!p)
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		s->ids = p;
		s->cap = nc;
	}
	memcpy(s->ids[s->n++], id, PROTO_ID_HEX + 1);
	return FIELDSYNC_OK;
}

static int idcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sort and drop duplicates. */
static void idset_seal(idset *s)
{
	size_t k = 0;

	if (!s->n)
		return;
	qsort(s->ids, s->n, sizeof *s->ids, idcmp);
	for (size_t i = 1; i < s->n; i++)
		if (strcmp(s->ids[i], s->ids[k]) != 0)
			memcpy(s->ids[++k], s->ids[i], PROTO_ID_HEX + 1);
	s->n = k + 1;
}

static int idset_has(const idset *s, const char *id)
{
	return s->n && bsearch(id, s->ids, s->n, sizeof *s->ids, idcmp);
}

struct salvage {
	fieldsync_line_fn fn;
	void *ctx;
	fieldsync_salvage_report *rep;
	idset pending;          /* ids with outbox changes */
	idset seen;             /* ids whose row was read */
	int pass;               /* 1: kinds that point to none; 2: the others */
	char **later;           /* rebuilt lines of pass-2 kinds */
	size_t nlater, caplater;
};

/* Kinds with an id field (progress -> model) are written after the rest,
** so that an import finds what they point to. */
static int pass_of(const proto_kind_def *k)
{
	return fs_ref_field(k, NULL) ? 2 : 1;
}

/* The JSON line of a live record; NULL when out of memory. */
static char *record_line(const char *id, const cJSON *state, int pending)
{
	const proto_kind_def *k = proto_state_kind(state);
	cJSON *o = cJSON_CreateObject(), *vals = proto_state_values(state);
	char *line = NULL;

	if (o && vals && k && cJSON_AddStringToObject(o, "id", id) &&
	    cJSON_AddStringToObject(o, "kind", k->name)) {
		cJSON_AddItemToObject(o, "fields", vals);
		vals = NULL;
		if (cJSON_AddBoolToObject(o, "pending", pending))
			line = cJSON_PrintUnformatted(o);
	}
	cJSON_Delete(vals);
	cJSON_Delete(o);
	return line;
}

static int emit(fieldsync *fs, struct salvage *sv, const char *id,
		const cJSON *state)
{
	int pending = idset_has(&sv->pending, id);
	char *line = record_line(id, state, pending);

	if (!line)
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	sv->fn(sv->ctx, line);
	free(line);
	sv->rep->records++;
	sv->rep->pending += pending;
	return FIELDSYNC_OK;
}

static int outbox_row(fieldsync *fs, sqlite3_stmt *st, void *ctx)
{
	struct salvage *sv = ctx;
	const char *id = (const char *)sqlite3_column_text(st, 1);

	if (!id || !proto_id_valid(id)) {
		sv->rep->bad_rows++;
		return FIELDSYNC_OK;
	}
	sv->rep->outbox++;
	return idset_add(fs, &sv->pending, id);
}

/* Parse a stored state; NULL if it makes no sense. */
static cJSON *state_parse(const char *text, int len)
{
	cJSON *state = NULL;
	proto_err err;

	if (!text || len <= 0 ||
	    proto_json_parse(text, (size_t)len, &state, &err) != PROTO_OK)
		return NULL;
	if (!proto_state_kind(state)) {
		cJSON_Delete(state);
		return NULL;
	}
	return state;
}

static int record_row(fieldsync *fs, sqlite3_stmt *st, void *ctx)
{
	struct salvage *sv = ctx;
	const char *id = (const char *)sqlite3_column_text(st, 1);
	const char *text = (const char *)sqlite3_column_text(st, 2);
	cJSON *state;
	int rc = FIELDSYNC_OK;

	state = id && proto_id_valid(id)
			? state_parse(text, sqlite3_column_bytes(st, 2))
			: NULL;
	if (!state) {
		sv->rep->bad_rows += sv->pass == 1;
		return FIELDSYNC_OK;
	}
	if (sv->pass == 1 && !(rc = idset_add(fs, &sv->seen, id)) &&
	    proto_state_deleted(state))
		sv->rep->deleted++;
	if (!rc && !proto_state_deleted(state) &&
	    pass_of(proto_state_kind(state)) == sv->pass)
		rc = emit(fs, sv, id, state);
	cJSON_Delete(state);
	return rc;
}

/* Keep line (malloc'd, taken over) to write after pass 2. */
static int keep_for_later(fieldsync *fs, struct salvage *sv, char *line)
{
	if (line && sv->nlater == sv->caplater) {
		size_t nc = sv->caplater ? sv->caplater * 2 : 64;
		char **p = realloc(sv->later, nc * sizeof *p);
		if (!p) {
			free(line);
			line = NULL;
		} else {
			sv->later = p;
			sv->caplater = nc;
		}
	}
	if (!line)
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	sv->later[sv->nlater++] = line;
	return FIELDSYNC_OK;
}

/* A record whose row is lost, from its outbox changes: only when it was
** created here (the outbox has its create), else what HQ holds is the
** rest of it and the edits alone cannot stand as a record. */
static int rebuild(fieldsync *fs, struct salvage *sv, const char *id)
{
	uint8_t author[PROTO_ID_BYTES] = {0};
	sqlite3_stmt *st = NULL;
	cJSON *state = NULL;
	int rc, created = 0, bad = 0;

	if (fs->device_hex[0])
		(void)!proto_hex_decode(author, sizeof author, fs->device_hex);
	rc = sqlite3_prepare_v2(fs->db, "SELECT change FROM outbox WHERE "
				"record_id = ?1 ORDER BY n", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		if (!is_damage(rc))
			return fs_sqlfail(fs, rc, "cannot read the outbox");
		sv->rep->bad_rows++;
		return FIELDSYNC_OK;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);
		cJSON *root = NULL;
		proto_change ch;
		proto_err err;
		int changed;
		if (!text || proto_change_decode(text, strlen(text), &root, &ch,
						 &err) != PROTO_OK ||
		    strcmp(ch.id, id) != 0 ||
		    proto_merge_apply(&state, &ch, author, NULL, NULL,
				      &changed, &err) != PROTO_OK) {
			cJSON_Delete(root);
			bad = 1;
			continue;
		}
		created |= ch.op == PROTO_OP_CREATE;
		cJSON_Delete(root);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && !is_damage(rc)) {
		cJSON_Delete(state);
		return fs_sqlfail(fs, rc, "cannot read the outbox");
	}
	rc = FIELDSYNC_OK;
	if (!state || !created || bad) {
		sv->rep->bad_rows++;
	} else if (proto_state_deleted(state)) {
		sv->rep->deleted++;
	} else if (pass_of(proto_state_kind(state)) == 1) {
		sv->rep->rebuilt++;
		rc = emit(fs, sv, id, state);
	} else {
		sv->rep->rebuilt++;
		rc = keep_for_later(fs, sv, record_line(id, state, 1));
	}
	cJSON_Delete(state);
	return rc;
}

int fieldsync_salvage(fieldsync *fs, fieldsync_line_fn fn, void *ctx,
		      fieldsync_salvage_report *rep)
{
	static const char rec_sql[] = "SELECT rowid, id, state FROM records "
				      "WHERE rowid >= ?1 ORDER BY rowid";
	static const char rec_seek[] = "SELECT rowid FROM records WHERE "
				       "rowid >= ?1 ORDER BY rowid LIMIT 1";
	fieldsync_salvage_report local;
	struct salvage sv;
	int rc;

	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof *rep);
	memset(&sv, 0, sizeof sv);
	sv.fn = fn;
	sv.ctx = ctx;
	sv.rep = rep;
	if (!fs->db)
		return fs_fail(fs, FIELDSYNC_E_USAGE, "the store is not open");
	fs_ok(fs);
	if ((rc = scan(fs, "SELECT n, record_id FROM outbox WHERE n >= ?1 "
		       "ORDER BY n", "SELECT n FROM outbox WHERE n >= ?1 ORDER "
		       "BY n LIMIT 1", outbox_row, &sv, rep)))
		goto out;
	idset_seal(&sv.pending);
	sv.pass = 1;
	if ((rc = scan(fs, rec_sql, rec_seek, record_row, &sv, rep)))
		goto out;
	idset_seal(&sv.seen);
	for (size_t i = 0; i < sv.pending.n; i++)
		if (!idset_has(&sv.seen, sv.pending.ids[i]) &&
		    (rc = rebuild(fs, &sv, sv.pending.ids[i])))
			goto out;
	sv.pass = 2;
	/* Damage met again is not counted twice. */
	{
		fieldsync_salvage_report again = *rep;
		sv.rep = &again;
		rc = scan(fs, rec_sql, rec_seek, record_row, &sv, &again);
		rep->records = again.records;
		rep->pending = again.pending;
		sv.rep = rep;
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < sv.nlater; i++) {
		fn(ctx, sv.later[i]);
		rep->records++;
		rep->pending++;
	}
	fs_ok(fs);
out:
	for (size_t i = 0; i < sv.nlater; i++)
		free(sv.later[i]);
	free(sv.later);
	free(sv.pending.ids);
	free(sv.seen.ids);
	return rc;
}
