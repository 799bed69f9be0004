/*
** This file contains the data directory and the store of libfieldsync:
** creating and opening it (device key pair, SQLite settings, schema
** migrations), the handle's error state, transactions, the meta table, the
** persisted HLC, and reading and writing record states.
**
** A data directory holds:
**   store.db    SQLite, WAL, synchronous=FULL; PRAGMA user_version = schema
**   device.key  the 64-byte Ed25519 secret key (libsodium layout), mode 0600
**   device.pub  the 32-byte public key
** The device id is proto_device_id(public key) in hex, also kept in meta.
** A directory is initialised once meta holds the device id: init writes the
** keys first and commits the meta rows last, so a crash in between leaves a
** directory that init may simply redo.
**
** Schema version 1:
**   meta(key PRIMARY KEY, value)          device_id, name, hlc, created_ms
**   records(id PRIMARY KEY, kind, state,  state = merge.h JSON; the other
**           deleted, ref, created,         columns are derived from it for
**           updated)                       queries (ref = the id field)
**   outbox(n AUTOINCREMENT, record_id,    one row per local change, in
**          hlc, change, set_seq)           order; change = canonical bytes;
**                                          set_seq is set by sync
** Version 2 adds the sync tables (sync.c), 3 every applied set's hash, 4
** (protocol version 2) history and notices (history.c); versions 1 to 3
** are protocol version 1 stores, refused on open.
** Later versions append to fs_migrations; never edit a released entry.
*/
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <sodium.h>

#include "internal.h"

#define FS_XSTR(x) #x
#define FS_STR(x) FS_XSTR(x)

const char *const fs_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE records("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  ref TEXT,"
	"  created TEXT NOT NULL,"
	"  updated TEXT NOT NULL);"
	"CREATE INDEX records_kind ON records(kind, deleted, created);"
	"CREATE INDEX records_ref ON records(ref) WHERE ref IS NOT NULL;"
	"CREATE TABLE outbox("
	"  n INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  record_id TEXT NOT NULL,"
	"  hlc TEXT NOT NULL,"
	"  change TEXT NOT NULL,"
	"  set_seq INTEGER);"
	"CREATE INDEX outbox_record ON outbox(record_id);"
	"CREATE INDEX outbox_set ON outbox(set_seq);",
	/* 1 -> 2: sync (sync.c): built change sets with their exact bytes,
	** the chain heads of other authors, the server's device roster, and
	** changes the server refused, kept with its reason. */
"CREATE TABLE sets("
	"  seq INTEGER PRIMARY KEY,"
	"  bytes BLOB NOT NULL,"
	"  sig TEXT NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  last_hlc TEXT NOT NULL,"
	"  nchanges INTEGER NOT NULL,"
	"  acked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE authors(device TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
	"  hash BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE roster(device TEXT PRIMARY KEY, pk BLOB NOT NULL,"
	"  name TEXT, role TEXT, revoked_at_cursor INTEGER) WITHOUT ROWID;"
	"CREATE TABLE refused(n INTEGER PRIMARY KEY, record_id TEXT NOT NULL,"
	"  change TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,"
	"  at_ms INTEGER NOT NULL);",
	/* 2 -> 3: sync (sync.c): the hash of every set applied, per author,
	** so a set pulled again is told from a fork (SPEC 11.4). */
	"CREATE TABLE author_sets(device TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  hash BLOB NOT NULL, PRIMARY KEY(device, seq)) WITHOUT ROWID;",
	/* 3 -> 4: protocol version 2 (SPEC 9.6, 9.7): every change applied
	** to a record, local or pulled, as its history entry (history.c),
	** and the notices of news about this device's own records. One
	** change is one (record, hlc, author): applying it again (a restored
	** store pulling its own sets back) adds nothing. */
	"CREATE TABLE history(n INTEGER PRIMARY KEY, record_id TEXT NOT NULL,"
	"  hlc TEXT NOT NULL, device TEXT NOT NULL, entry TEXT NOT NULL,"
	"  local INTEGER NOT NULL, UNIQUE(record_id, hlc, device));"
	"CREATE TABLE notices(n INTEGER PRIMARY KEY, record_id TEXT NOT NULL,"
	"  hlc TEXT NOT NULL, device TEXT NOT NULL, entry TEXT NOT NULL,"
	"  at_ms INTEGER NOT NULL, read INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE(record_id, hlc, device));"
	"CREATE INDEX notices_unread ON notices(read, n);",
};
/* Schema versions 1 to 3 are stores of protocol version 1 (no owners, no
** history): nothing is deployed, so they are refused, not upgraded. */
#define FS_SCHEMA_FIRST_V2 4
const int fs_schema_version =
	(int)(sizeof fs_migrations / sizeof fs_migrations[0]);

static const char *const status_names[FIELDSYNC_E__COUNT] = {
	"ok", "usage", "invalid", "not_initialised", "not_found",
	"ambiguous", "read_only", "disk_full", "exists", "insecure_key",
	"busy", "version", "corrupt", "io", "out_of_memory",
	"unreachable", "refused", "not_enrolled", "tls", "not_owner",
};

const char *fieldsync_status_name(int status)
{
	if (status < 0 || status >= FIELDSYNC_E__COUNT)
		return "unknown";
	return status_names[status];
}

const char *fieldsync_errmsg(const fieldsync *fs)
{
	return fs ? fs->msg : fs_tr(NULL, "out of memory");
}

const char *fieldsync_errfield(const fieldsync *fs)
{
	return fs && fs->field[0] ? fs->field : NULL;
}

const char *fieldsync_device_id(const fieldsync *fs)
{
	return fs ? fs->device_hex : "";
}

void fs_ok(fieldsync *fs)
{
	fs->status = FIELDSYNC_OK;
	fs->msg[0] = '\0';
	fs->detail[0] = '\0';
	fs->field[0] = '\0';
	fs_lang_enter(fs);
}

static int vfail(fieldsync *fs, int status, const char *field,
		 const char *fmt, va_list ap)
{
	fs->status = status;
	/* fmt is an English msgid: the message is in the handle's language.
	** Truncation still leaves a useful (and valid UTF-8) message. */
	vsnprintf(fs->msg, sizeof fs->msg, fs_tr(fs_lang(fs), fmt), ap);
	proto_utf8_copy(fs->msg, fs->msg, sizeof fs->msg - 3);
	fs->detail[0] = '\0';
	snprintf(fs->field, sizeof fs->field, "%s", field ? field : "");
	return status;
}

int fs_fail(fieldsync *fs, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(fs, status, NULL, fmt, ap);
	va_end(ap);
	return status;
}

int fs_fail_field(fieldsync *fs, int status, const char *field,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(fs, status, field, fmt, ap);
	va_end(ap);
	return status;
}

int fs_sqlfail(fieldsync *fs, int rc, const char *what)
{
	int e = fs->db ? sqlite3_system_errno(fs->db) : 0;
	what = fs_tr(fs_lang(fs), what);
	const char *m = fs->db ? sqlite3_errmsg(fs->db) : sqlite3_errstr(rc);
	int prim = rc & 0xff;

	/* A file size limit (ulimit -f, EFBIG) reaches SQLite as a failed
	** write; to the user it is the same as a full disk. */
	if (prim == SQLITE_FULL || e == ENOSPC || e == EFBIG || e == EDQUOT)
		return fs_fail(fs, FIELDSYNC_E_FULL, "%s: disk full or file "
			       "size limit reached (%s); nothing was saved; "
			       "free some space and retry", what,
			       e ? strerror(e) : m);
	if (prim == SQLITE_READONLY || e == EROFS || e == EACCES ||
	    e == EPERM)
		return fs_fail(fs, FIELDSYNC_E_READONLY, "%s: the store in %s "
			       "is not writable (%s)", what, fs->dir,
			       e ? strerror(e) : m);
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return fs_fail(fs, FIELDSYNC_E_BUSY, "%s: the store is busy "
			       "(another fieldsync held it for more than "
			       "%d s); retry", what, FS_BUSY_TIMEOUT_MS / 1000);
	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
		return fs_fail(fs, FIELDSYNC_E_CORRUPT, "%s: the store %s/%s "
			       "is damaged (%s); run `fieldsync doctor` to "
			       "see what can be saved", what, fs->dir,
			       FS_STORE_FILE, m);
	if (prim == SQLITE_NOMEM)
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "%s: out of memory",
			       what);
	return fs_fail(fs, FIELDSYNC_E_IO, "%s: %s%s%s", what, m,
		       e ? ": " : "", e ? strerror(e) : "");
}

int fs_protofail(fieldsync *fs, const proto_err *err, const char *field)
{
	int st = err->code == PROTO_E_NOMEM ? FIELDSYNC_E_NOMEM
					    : FIELDSYNC_E_INVALID;
	fs_fail_field(fs, st, err->field[0] ? err->field : field, "%s",
		      err->msg);
	snprintf(fs->detail, sizeof fs->detail, "%s", err->detail);
	return st;
}

/* ---- small file helpers ---------------------------------------------- */

static int path_join(fieldsync *fs, char *out, size_t n, const char *file)
{
	int k = snprintf(out, n, "%s/%s", fs->dir, file);
	if (k < 0 || (size_t)k >= n)
		return fs_fail(fs, FIELDSYNC_E_USAGE, "data directory path "
			       "too long: %s", fs->dir);
	return FIELDSYNC_OK;
}

/* Status for a failed system call on the data directory. */
static int sysfail(fieldsync *fs, int e, const char *what, const char *path)
{
	what = fs_tr(fs_lang(fs), what);
	if (e == EACCES || e == EROFS || e == EPERM)
		return fs_fail(fs, FIELDSYNC_E_READONLY, "%s %s: %s; the data "
			       "directory must be writable (use --dir or "
			       "FIELDSYNC_DIR to choose another)", what, path,
			       strerror(e));
	if (e == ENOSPC || e == EFBIG || e == EDQUOT)
		return fs_fail(fs, FIELDSYNC_E_FULL, "%s %s: %s", what, path,
			       strerror(e));
	if (e == ENOMEM)
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	return fs_fail(fs, FIELDSYNC_E_IO, "%s %s: %s", what, path,
		       strerror(e));
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(fieldsync *fs, const char *dir)
{
	char buf[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof buf)
		return fs_fail(fs, FIELDSYNC_E_USAGE, "bad data directory "
			       "path \"%s\"", dir);
	memcpy(buf, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return sysfail(fs, errno, "cannot create directory",
				       buf);
		buf[i] = i == len ? '\0' : '/';
	}
	return FIELDSYNC_OK;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write a small file durably: temp file, fsync, rename, fsync the dir. */
static int write_file(fieldsync *fs, const char *name, const void *data,
		      size_t len, mode_t mode)
{
	char path[4200], tmp[4210];
	int fd = -1, rc;
	size_t off = 0;

	if ((rc = path_join(fs, path, sizeof path, name)) != FIELDSYNC_OK)
		return rc;
	snprintf(tmp, sizeof tmp, "%s.tmp", path); /* cannot truncate */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return sysfail(fs, errno, "cannot create", tmp);
	/* The umask may have narrowed mode; never widened it. Set it exactly
	** so device.pub is readable and device.key is not. */
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	fsync_dir(fs->dir); /* best effort: the store commit follows */
	return FIELDSYNC_OK;
fail:
	rc = sysfail(fs, errno, "cannot write", path);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* Read exactly len bytes from a regular file into buf. If private_key, the
** file must not be accessible by group or others. */
static int read_file(fieldsync *fs, const char *name, void *buf, size_t len,
		     int private_key)
{
	char path[4200];
	struct stat st;
	int fd, rc = FIELDSYNC_OK;
	size_t off = 0;

	if ((rc = path_join(fs, path, sizeof path, name)) != FIELDSYNC_OK)
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return fs_fail(fs, FIELDSYNC_E_CORRUPT, "%s is missing;"
				       " the data directory is incomplete",
				       path);
		/* Not sysfail: an unreadable key is not a full disk nor a
		** read-only directory. */
		return fs_fail(fs, errno == ENOMEM ? FIELDSYNC_E_NOMEM
				   : FIELDSYNC_E_IO, "cannot read %s: %s", path,
			       strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		rc = sysfail(fs, errno, "cannot stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size != len) {
		rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "%s: not a %zu-byte "
			     "key file", path, len);
		goto out;
	}
	if (private_key && (st.st_mode & 077)) {
		rc = fs_fail(fs, FIELDSYNC_E_INSECURE, "%s is accessible by "
			     "group or others (mode %04o); refusing to use "
			     "it; fix with: chmod 600 %s", path,
			     (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (off < len) {
		ssize_t r = read(fd, (char *)buf + off, len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? sysfail(fs, errno, "cannot read", path)
				   : fs_fail(fs, FIELDSYNC_E_CORRUPT,
					     "%s: short file", path);
			goto out;
		}
		off += (size_t)r;
	}
out:
	close(fd);
	return rc;
}

/* ---- SQLite ------------------------------------------------------------ */

static int exec(fieldsync *fs, const char *sql, const char *what)
{
	int rc = sqlite3_exec(fs->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? FIELDSYNC_OK : fs_sqlfail(fs, rc, what);
}

int fs_begin(fieldsync *fs)
{
	return exec(fs, "BEGIN IMMEDIATE", "cannot start a write");
}

int fs_commit(fieldsync *fs)
{
	int rc = exec(fs, "COMMIT", "cannot commit");
	if (rc != FIELDSYNC_OK)
		fs_rollback(fs);
	return rc;
}

void fs_rollback(fieldsync *fs)
{
	if (!sqlite3_get_autocommit(fs->db))
		sqlite3_exec(fs->db, "ROLLBACK", NULL, NULL, NULL);
}

int fs_meta_get(fieldsync *fs, const char *key, char **out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	rc = fs_stmt(fs, "SELECT value FROM meta WHERE key = ?", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the store");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		*out = strdup(v ? v : "");
		rc = *out ? FIELDSYNC_OK
			  : fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = FIELDSYNC_OK;
	} else {
		rc = fs_sqlfail(fs, rc, "cannot read the store");
	}
	fs_stmt_done(fs, st);
	return rc;
}

int fs_meta_set(fieldsync *fs, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = fs_stmt(fs, "INSERT INTO meta(key, value) "
				"VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET "
				"value = excluded.value", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot write the store");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	fs_stmt_done(fs, st);
	return rc == SQLITE_DONE ? FIELDSYNC_OK
				 : fs_sqlfail(fs, rc, "cannot write the store");
}

static int user_version(fieldsync *fs, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(fs->db, "PRAGMA user_version", -1, &st,
				    NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? FIELDSYNC_OK
			       : fs_sqlfail(fs, rc, "cannot read the store");
}

/* Bring the schema to fs_schema_version in one transaction. */
static int migrate(fieldsync *fs)
{
	char sql[64];
	int v, rc;

	if ((rc = user_version(fs, &v)) != FIELDSYNC_OK)
		return rc;
	if (v == fs_schema_version)
		return FIELDSYNC_OK;
	if (v > fs_schema_version)
		return fs_fail(fs, FIELDSYNC_E_VERSION, "the store in %s has "
			       "schema version %d; this fieldsync knows only "
			       "up to %d: upgrade fieldsync", fs->dir, v,
			       fs_schema_version);
	if (v > 0 && v < FS_SCHEMA_FIRST_V2)
		return fs_fail(fs, FIELDSYNC_E_VERSION, "the store in %s was "
			       "written by an older fieldsync (protocol "
			       "version 1, schema version %d) and cannot be "
			       "used by this one (protocol version 2: record "
			       "owners and history): keep the directory as it "
			       "is, make a new one with `fieldsync init`, "
			       "enroll it, and enter its records again",
			       fs->dir, v);
	if ((rc = fs_begin(fs)) != FIELDSYNC_OK)
		return rc;
	/* Another process may have migrated while we waited for the lock
	** (or made the store with another fieldsync): the same checks. */
	if ((rc = user_version(fs, &v)) != FIELDSYNC_OK)
		goto fail;
	if (v > fs_schema_version || (v > 0 && v < FS_SCHEMA_FIRST_V2)) {
		fs_rollback(fs);
		return migrate(fs);
	}
	for (; v < fs_schema_version; v++)
		if ((rc = exec(fs, fs_migrations[v], "cannot upgrade the "
			       "store")) != FIELDSYNC_OK)
			goto fail;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
		 fs_schema_version);
	if ((rc = exec(fs, sql, "cannot upgrade the store")) != FIELDSYNC_OK)
		goto fail;
	return fs_commit(fs);
fail:
	fs_rollback(fs);
	return rc;
}

static int open_db(fieldsync *fs, int create)
{
	char path[4200];
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if ((rc = path_join(fs, path, sizeof path, FS_STORE_FILE)))
		return rc;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &fs->db, flags, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot open the store");
	sqlite3_extended_result_codes(fs->db, 1);
	sqlite3_busy_timeout(fs->db, FS_BUSY_TIMEOUT_MS);
	/* synchronous=FULL: in WAL mode NORMAL may lose the last commits on
	** power loss, and an entry the user saw saved must survive. */
	if ((rc = exec(fs, "PRAGMA journal_mode = WAL", "cannot open the "
		       "store")) != FIELDSYNC_OK ||
	    (rc = exec(fs, "PRAGMA synchronous = FULL", "cannot open the "
		       "store")) != FIELDSYNC_OK ||
	    /* A bulk sync rewrites the same outbox and index pages many
	    ** times: checkpoint every 32 MB of WAL rather than every 4 MB
	    ** so each page is copied back once, and keep 8 MB of pages in
	    ** memory rather than 2 MB. Commits still sync the WAL. */
	    (rc = exec(fs, "PRAGMA wal_autocheckpoint = "
		       FS_STR(FS_WAL_AUTOCHECKPOINT), "cannot open the "
		       "store")) != FIELDSYNC_OK ||
	    (rc = exec(fs, "PRAGMA cache_size = -8192", "cannot open the "
		       "store")) != FIELDSYNC_OK ||
	    /* Debian's SQLite zeroes every freed page (secure_delete): each
	    ** page a receipt frees in the outbox would be written once more,
	    ** doubling what a pass needs on a nearly full disk. FAST zeroes
	    ** deleted content only on pages written anyway; the same values
	    ** stay in the records table in any case. */
	    (rc = exec(fs, "PRAGMA secure_delete = FAST", "cannot open the "
		       "store")) != FIELDSYNC_OK ||
	    /* Check each page's cells as it is read, so that more damage
	    ** makes a command fail instead of reading garbage. */
	    (rc = exec(fs, "PRAGMA cell_size_check = ON", "cannot open the "
		       "store")) != FIELDSYNC_OK)
		return rc;
	return migrate(fs);
}

static long long real_now_ms(void *ctx)
{
	struct timeval tv;
	(void)ctx;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void fieldsync_set_clock(fieldsync *fs, long long (*now_ms)(void *ctx),
			 void *ctx)
{
	fs->now_ms = now_ms ? now_ms : real_now_ms;
	fs->now_ctx = now_ms ? ctx : NULL;
}

/* A handle with its key buffer, not yet opened. */
static fieldsync *handle_new(const char *dir)
{
	fieldsync *fs;

	if (proto_init() != 0)
		return NULL;
	fs = calloc(1, sizeof *fs);
	if (!fs)
		return NULL;
	fs->dir = strdup(dir ? dir : "");
	fs->sk = sodium_malloc(PROTO_SK_BYTES);
	if (!fs->dir || !fs->sk) {
		fieldsync_close(fs);
		return NULL;
	}
	fs->now_ms = real_now_ms;
	return fs;
}

void fieldsync_close(fieldsync *fs)
{
	if (!fs)
		return;
	sqlite3_finalize(fs->st_state_load);
	sqlite3_finalize(fs->st_state_store);
	for (size_t i = 0; i < FS_STMT_SLOTS; i++)
		sqlite3_finalize(fs->stmts[i].st);
	free(fs->print_buf);
	if (fs->db)
		sqlite3_close_v2(fs->db);
	if (fs->sk)
		sodium_free(fs->sk); /* zeroes the memory */
	free(fs->dir);
	free(fs);
}

#define FS_KEY_NEW FS_KEY_FILE ".new"
#define FS_PUB_NEW FS_PUB_FILE ".new"

/* fieldsync_reenroll (sync.c) commits the store's new device id, then
** renames the staged key files into place: when a crash came in between,
** the staged public key is the store's, and the renames are finished here.
** 1 if it did so, else 0 (nothing changed). */
static int identity_roll_forward(fieldsync *fs, const char *meta_id)
{
	char path[4200], staged[4210], hex[PROTO_ID_HEX + 1];
	const char *names[2] = {FS_PUB_FILE, FS_KEY_FILE};
	uint8_t pk[PROTO_PK_BYTES], id[PROTO_ID_BYTES];
	int moved = 0;

	if (read_file(fs, FS_PUB_NEW, pk, sizeof pk, 0) != FIELDSYNC_OK &&
	    read_file(fs, FS_PUB_FILE, pk, sizeof pk, 0) != FIELDSYNC_OK)
		return 0;
	proto_device_id(pk, id);
	proto_hex_encode(hex, id, PROTO_ID_BYTES);
	if (strcmp(hex, meta_id) != 0)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (path_join(fs, path, sizeof path, names[i]) != FIELDSYNC_OK)
			return 0;
		snprintf(staged, sizeof staged, "%s.new", path);
		if (access(staged, F_OK) == 0 && rename(staged, path) == 0)
			moved = 1;
	}
	if (moved)
		fsync_dir(fs->dir);
	return moved;
}

int fs_identity_stage(fieldsync *fs, uint8_t pk[PROTO_PK_BYTES], uint8_t *sk)
{
	int rc;

	if (read_file(fs, FS_KEY_NEW, sk, PROTO_SK_BYTES, 1) == FIELDSYNC_OK &&
	    read_file(fs, FS_PUB_NEW, pk, PROTO_PK_BYTES, 0) == FIELDSYNC_OK &&
	    sodium_memcmp(sk + 32, pk, PROTO_PK_BYTES) == 0) {
		fs_ok(fs);
		return FIELDSYNC_OK;
	}
	proto_keypair(pk, sk);
	if ((rc = write_file(fs, FS_KEY_NEW, sk, PROTO_SK_BYTES, 0600)) ||
	    (rc = write_file(fs, FS_PUB_NEW, pk, PROTO_PK_BYTES, 0644))) {
		sodium_memzero(sk, PROTO_SK_BYTES);
		return rc;
	}
	fs_ok(fs);
	return FIELDSYNC_OK;
}

static int load_identity(fieldsync *fs);

int fs_identity_install(fieldsync *fs)
{
	char *meta_id = NULL;
	int rc;

	if ((rc = fs_meta_get(fs, FS_META_DEVICE, &meta_id)))
		return rc;
	if (meta_id)
		identity_roll_forward(fs, meta_id);
	free(meta_id);
	return load_identity(fs);
}

/* Load and check the key pair against meta; fills device/pk/sk. */
static int load_identity(fieldsync *fs)
{
	uint8_t id[PROTO_ID_BYTES];
	char hex[PROTO_ID_HEX + 1];
	char *meta_id = NULL;
	int rc;

	if ((rc = fs_meta_get(fs, FS_META_DEVICE, &meta_id)) != FIELDSYNC_OK)
		return rc;
	if (!meta_id) {
		rc = fs_fail(fs, FIELDSYNC_E_NOT_INIT, "the data directory "
			     "%s was never fully initialised; run: fieldsync "
			     "init --name NAME", fs->dir);
		goto out;
	}
	if ((rc = read_file(fs, FS_KEY_FILE, fs->sk, PROTO_SK_BYTES, 1)) ||
	    (rc = read_file(fs, FS_PUB_FILE, fs->pk, PROTO_PK_BYTES, 0)))
		goto out;
	/* libsodium's secret key ends with the public key. */
	proto_device_id(fs->pk, id);
	proto_hex_encode(hex, id, PROTO_ID_BYTES);
	if ((sodium_memcmp(fs->sk + 32, fs->pk, PROTO_PK_BYTES) != 0 ||
	     strcmp(hex, meta_id) != 0) &&
	    identity_roll_forward(fs, meta_id)) {
		free(meta_id);
		return load_identity(fs);
	}
	if (sodium_memcmp(fs->sk + 32, fs->pk, PROTO_PK_BYTES) != 0 ||
	    strcmp(hex, meta_id) != 0) {
		rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "%s/%s and %s do not "
			     "belong to this store (device %s)", fs->dir,
			     FS_KEY_FILE, FS_PUB_FILE, meta_id);
		goto out;
	}
	memcpy(fs->device, id, sizeof id);
	memcpy(fs->device_hex, hex, sizeof hex);
out:
	if (rc != FIELDSYNC_OK)
		sodium_memzero(fs->sk, PROTO_SK_BYTES);
	free(meta_id);
	return rc;
}

/* Is the directory writable by us? access() also reports read-only
** mounts (EROFS). */
static int check_writable(fieldsync *fs, const char *path)
{
	if (access(path, W_OK) != 0)
		return sysfail(fs, errno, "cannot write to", path);
	return FIELDSYNC_OK;
}

int fieldsync_open(const char *dir, fieldsync **out)
{
	char path[4200];
	struct stat st;
	fieldsync *fs;
	int rc;

	*out = NULL;
	if (!(fs = handle_new(dir)))
		return FIELDSYNC_E_NOMEM;
	*out = fs;
	if ((rc = path_join(fs, path, sizeof path, FS_STORE_FILE)))
		return rc;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return fs_fail(fs, FIELDSYNC_E_NOT_INIT, "no fieldsync "
				       "store in %s; run: fieldsync init --name "
				       "NAME (or choose the directory with "
				       "--dir or FIELDSYNC_DIR)", dir);
		return sysfail(fs, errno, "cannot access", path);
	}
	if ((rc = check_writable(fs, dir)) || (rc = check_writable(fs, path)))
		return rc;
	if ((rc = open_db(fs, 0)) || (rc = load_identity(fs)))
		return rc;
	fs_ok(fs);
	return FIELDSYNC_OK;
}

int fieldsync_open_damaged(const char *dir, fieldsync **out)
{
	char path[4200], *id = NULL;
	struct stat st;
	fieldsync *fs;
	int rc;

	*out = NULL;
	if (!(fs = handle_new(dir)))
		return FIELDSYNC_E_NOMEM;
	*out = fs;
	if ((rc = path_join(fs, path, sizeof path, FS_STORE_FILE)))
		return rc;
	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? fs_fail(fs, FIELDSYNC_E_NOT_INIT, "no fieldsync "
					 "store in %s", dir)
			       : sysfail(fs, errno, "cannot access", path);
	rc = sqlite3_open_v2(path, &fs->db, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot open the store");
	sqlite3_extended_result_codes(fs->db, 1);
	sqlite3_busy_timeout(fs->db, FS_BUSY_TIMEOUT_MS);
	(void)sqlite3_exec(fs->db, "PRAGMA cell_size_check = ON", NULL, NULL,
			   NULL);
	/* The device id, if meta can still be read: for messages only. */
	if (fs_meta_get(fs, FS_META_DEVICE, &id) == FIELDSYNC_OK && id &&
	    proto_id_valid(id))
		snprintf(fs->device_hex, sizeof fs->device_hex, "%s", id);
	free(id);
	fs_ok(fs);
	return FIELDSYNC_OK;
}

/* The user's name: UTF-8, 1..PROTO_MAX_NAME_BYTES bytes, no control
** characters (it is shown in tables and reports). */
static int check_name(fieldsync *fs, const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, "name", "the "
				     "name must not be empty");
	if (!proto_utf8_valid(name, len))
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, "name", "the "
				     "name is not valid UTF-8");
	if (len > PROTO_MAX_NAME_BYTES)
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, "name", "the "
				     "name is %zu bytes; at most %u allowed",
				     len, PROTO_MAX_NAME_BYTES);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return fs_fail_field(fs, FIELDSYNC_E_INVALID, "name",
					     "the name contains a control "
					     "character");
	return FIELDSYNC_OK;
}

int fieldsync_init(const char *dir, const char *name, fieldsync **out)
{
	char path[4200], hlc[PROTO_HLC_HEX + 1], ms[32];
	char *existing = NULL;
	struct stat st;
	fieldsync *fs;
	int rc;

	*out = NULL;
	if (!(fs = handle_new(dir)))
		return FIELDSYNC_E_NOMEM;
	*out = fs;
	if ((rc = check_name(fs, name)) || (rc = make_dirs(fs, dir)))
		return rc;
	if ((rc = check_writable(fs, dir)) ||
	    (rc = path_join(fs, path, sizeof path, FS_STORE_FILE)))
		return rc;
	if (stat(path, &st) == 0) {
		/* A store exists: initialised unless init crashed before its
		** last commit. */
		if ((rc = open_db(fs, 0)) ||
		    (rc = fs_meta_get(fs, FS_META_DEVICE, &existing)))
			return rc;
		if (existing) {
			rc = fs_fail(fs, FIELDSYNC_E_EXISTS, "%s already holds "
				     "the store of device %s; nothing "
				     "changed", dir, existing);
			free(existing);
			return rc;
		}
	}
	proto_keypair(fs->pk, fs->sk);
	proto_device_id(fs->pk, fs->device);
	proto_hex_encode(fs->device_hex, fs->device, PROTO_ID_BYTES);
	if ((rc = write_file(fs, FS_KEY_FILE, fs->sk, PROTO_SK_BYTES, 0600)) ||
	    (rc = write_file(fs, FS_PUB_FILE, fs->pk, PROTO_PK_BYTES, 0644)))
		goto fail;
	if (!fs->db) {
		/* The store holds the user's entries: create it private;
		** SQLite gives its -wal and -shm files the same mode. */
		int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			      0600);
		if (fd < 0) {
			rc = sysfail(fs, errno, "cannot create", path);
			goto fail;
		}
		close(fd);
		if ((rc = open_db(fs, 1)))
			goto fail;
	}
	proto_hlc_format(hlc, 0);
	snprintf(ms, sizeof ms, "%lld", fs->now_ms(fs->now_ctx));
	if ((rc = fs_begin(fs)))
		goto fail;
	if ((rc = fs_meta_set(fs, FS_META_NAME, name)) ||
	    (rc = fs_meta_set(fs, FS_META_HLC, hlc)) ||
	    (rc = fs_meta_set(fs, FS_META_CREATED, ms)) ||
	    (rc = fs_meta_set(fs, FS_META_DEVICE, fs->device_hex))) {
		fs_rollback(fs);
		goto fail;
	}
	if ((rc = fs_commit(fs)))
		goto fail;
	fs_ok(fs);
	return FIELDSYNC_OK;
fail:
	fs->device_hex[0] = '\0';
	sodium_memzero(fs->sk, PROTO_SK_BYTES);
	return rc;
}

/* ---- HLC and record states ------------------------------------------- */

int fs_hlc_next(fieldsync *fs, proto_hlc *out)
{
	char *text = NULL, hex[PROTO_HLC_HEX + 1];
	proto_hlc last = 0;
	int rc;

	*out = 0;
	if ((rc = fs_meta_get(fs, FS_META_HLC, &text)))
		return rc;
	if (text && proto_hlc_parse(text, &last) != 0) {
		free(text);
		return fs_fail(fs, FIELDSYNC_E_CORRUPT, "the store's clock "
			       "value is damaged");
	}
	free(text);
	last = proto_hlc_tick(last, (int64_t)fs->now_ms(fs->now_ctx));
	proto_hlc_format(hex, last);
	if ((rc = fs_meta_set(fs, FS_META_HLC, hex)))
		return rc;
	*out = last;
	return FIELDSYNC_OK;
}

/* The statement in *slot, prepared on first use and kept (see struct
** fieldsync); the caller resets it after use with done_cached. */
static int cached(fieldsync *fs, sqlite3_stmt **slot, const char *sql,
		  sqlite3_stmt **out)
{
	int rc = SQLITE_OK;

	if (!*slot)
		rc = sqlite3_prepare_v3(fs->db, sql, -1,
					SQLITE_PREPARE_PERSISTENT, slot, NULL);
	*out = *slot;
	return rc;
}

/* Leave a kept statement idle, holding no lock and no pointer to the
** caller's buffers. */
static void done_cached(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int fs_stmt(fieldsync *fs, const char *sql, sqlite3_stmt **out)
{
	struct fs_stmt_slot *free_slot = NULL;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < FS_STMT_SLOTS; i++) {
		struct fs_stmt_slot *s = &fs->stmts[i];
		if (s->sql == sql) {
			*out = s->st;
			return SQLITE_OK;
		}
		if (!s->sql && !free_slot)
			free_slot = s;
	}
	if (!free_slot)
		return sqlite3_prepare_v2(fs->db, sql, -1, out, NULL);
	rc = sqlite3_prepare_v3(fs->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&free_slot->st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(free_slot->st);
		free_slot->st = NULL;
		return rc;
	}
	free_slot->sql = sql;
	*out = free_slot->st;
	return SQLITE_OK;
}

void fs_stmt_done(fieldsync *fs, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < FS_STMT_SLOTS; i++)
		if (fs->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	sqlite3_finalize(st);
}

const char *fs_print(fieldsync *fs, const cJSON *item)
{
	for (;;) {
		if (fs->print_cap &&
		    cJSON_PrintPreallocated((cJSON *)item, fs->print_buf,
					    (int)fs->print_cap, 0))
			return fs->print_buf;
		{
			size_t nc = fs->print_cap ? fs->print_cap * 2 : 16384;
			char *nb;
			if (nc > (size_t)INT_MAX / 2)
				return NULL;
			if (!(nb = realloc(fs->print_buf, nc)))
				return NULL;
			fs->print_buf = nb;
			fs->print_cap = nc;
		}
	}
}

int fs_state_load(fieldsync *fs, const char *id, cJSON **state)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*state = NULL;
	rc = cached(fs, &fs->st_state_load, "SELECT state FROM records WHERE "
		    "id = ?", &st);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the store");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		*state = s ? cJSON_ParseWithLength(s, (size_t)n) : NULL;
		rc = *state && proto_state_kind(*state)
			     ? FIELDSYNC_OK
			     : fs_fail(fs, FIELDSYNC_E_CORRUPT, "record %s: "
				       "stored state is damaged", id);
		if (rc != FIELDSYNC_OK) {
			cJSON_Delete(*state);
			*state = NULL;
		}
	} else if (rc == SQLITE_DONE) {
		rc = FIELDSYNC_OK;
	} else {
		rc = fs_sqlfail(fs, rc, "cannot read the store");
	}
	done_cached(st);
	return rc;
}

const proto_field_def *fs_ref_field(const proto_kind_def *k,
				    const proto_kind_def *parent)
{
	for (size_t i = 0; i < k->nfields; i++)
		if (k->fields[i].type == PROTO_T_ID &&
		    (!parent || strcmp(k->fields[i].name, parent->name) == 0))
			return &k->fields[i];
	return NULL;
}

int fs_state_store(fieldsync *fs, const char *id, const cJSON *state)
{
	const proto_kind_def *k = proto_state_kind(state);
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(state, "f");
	const proto_field_def *rf;
	const cJSON *ref = NULL;
	const char *lo = NULL, *hi = NULL;
	sqlite3_stmt *st = NULL;
	const char *text;
	int rc;

	if (!k)
		return fs_fail(fs, FIELDSYNC_E_CORRUPT, "record %s: malformed "
			       "state", id);
	/* Stamp texts compare like stamps: fixed-width hex HLC first. */
	for (const cJSON *e = f ? f->child : NULL; e; e = e->next) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "s");
		if (!cJSON_IsString(s))
			continue;
		if (!lo || strcmp(s->valuestring, lo) < 0)
			lo = s->valuestring;
		if (!hi || strcmp(s->valuestring, hi) > 0)
			hi = s->valuestring;
	}
	if ((rf = fs_ref_field(k, NULL)))
		ref = proto_state_get(state, rf->name, NULL);
	if (!(text = fs_print(fs, state)))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	rc = cached(fs, &fs->st_state_store,
		"INSERT INTO records(id, kind, state, deleted, ref, created, "
		"updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT(id) DO UPDATE SET state = excluded.state, "
		"deleted = excluded.deleted, ref = excluded.ref, "
		"created = min(created, excluded.created), "
		"updated = excluded.updated", &st);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot save the record");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, proto_state_deleted(state) ? 1
				: proto_state_retracted(state) ? 2 : 0);
	if (cJSON_IsString(ref))
		sqlite3_bind_text(st, 5, ref->valuestring, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, lo ? lo : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, hi ? hi : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? FIELDSYNC_OK
			       : fs_sqlfail(fs, rc, "cannot save the record");
out:
	done_cached(st);
	return rc;
}

static int resolve_where(fieldsync *fs, const char *prefix, const char *what,
			 int deleted, char id[FIELDSYNC_ID_SIZE]);

int fs_resolve(fieldsync *fs, const char *prefix, const char *what,
	       char id[FIELDSYNC_ID_SIZE])
{
	return resolve_where(fs, prefix, what, 0, id);
}

int fs_resolve_deleted(fieldsync *fs, const char *prefix, const char *what,
		       char id[FIELDSYNC_ID_SIZE])
{
	return resolve_where(fs, prefix, what, 1, id);
}

int fs_resolve_any(fieldsync *fs, const char *prefix, const char *what,
		   char id[FIELDSYNC_ID_SIZE])
{
	return resolve_where(fs, prefix, what, -1, id);
}

/* Column records.deleted: 0 live, 1 deleted, 2 a retracted observation;
** deleted -1 takes any. */
static int resolve_where(fieldsync *fs, const char *prefix, const char *what,
			 int deleted, char id[FIELDSYNC_ID_SIZE])
{
	char lo[PROTO_ID_HEX + 1], hi[PROTO_ID_HEX + 2], found[6][40];
	size_t len = prefix ? strlen(prefix) : 0;
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	id[0] = '\0';
	if (len < FIELDSYNC_MIN_PREFIX || len > PROTO_ID_HEX)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char c = prefix[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			goto bad;
		lo[i] = c;
	}
	lo[len] = '\0';
	/* Ids are lowercase hex, all below "g": [p, p+"g") is the prefix. */
	snprintf(hi, sizeof hi, "%sg", lo);
	rc = sqlite3_prepare_v2(fs->db, "SELECT id FROM records WHERE id >= ?1 "
				"AND id < ?2 AND (?3 < 0 OR deleted = ?3) "
				"ORDER BY id "
				"LIMIT 6", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the store");
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, deleted);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 6)
		snprintf(found[n++], sizeof found[0], "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fs_sqlfail(fs, rc, "cannot read the store");
	if (n == 0)
		return fs_fail_field(fs, FIELDSYNC_E_NOT_FOUND, what, "%s "
				     "\"%s\": no record has an id starting "
				     "with it", what, prefix);
	if (n > 1)
		return fs_fail_field(fs, FIELDSYNC_E_AMBIGUOUS, what, "%s "
				     "\"%s\" is ambiguous: it starts %s%d "
				     "ids (%s, %s%s); give more digits", what,
				     prefix, n > 5 ? "more than " : "",
				     n > 5 ? 5 : n, found[0], found[1],
				     n > 2 ? ", ..." : "");
	memcpy(id, found[0], FIELDSYNC_ID_SIZE);
	return FIELDSYNC_OK;
bad:
	return fs_fail_field(fs, FIELDSYNC_E_USAGE, what, "%s \"%.40s\": "
			     "expected an id or its first %d or more hex "
			     "digits", what, prefix ? prefix : "",
			     FIELDSYNC_MIN_PREFIX);
}

int fieldsync_resolve(fieldsync *fs, const char *prefix,
		      char id_out[FIELDSYNC_ID_SIZE])
{
	int rc = fs_resolve(fs, prefix, "ID", id_out);
	if (rc == FIELDSYNC_OK)
		fs_ok(fs);
	return rc;
}
