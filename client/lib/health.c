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
		       "(%s: %.200s); it is not synced, so nothing damaged "
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
		if (m && off < sizeof problems - 1) {
			int w = snprintf(problems + off, sizeof problems - off,
					 "%s%s", off ? "; " : "", m);
			off = w < 0 ? sizeof problems : off + (size_t)w;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		int prim = rc & 0xff;
		if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ||
		    prim == SQLITE_IOERR)
			return damaged(fs, check, sqlite3_errstr(rc));
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
