/*
** This file contains the dispatch of the storage interface (store.h) to a
** backend's function table (store_impl.h): it picks the backend from the
** path's scheme, clears out-parameters and checks arguments once, so each
** backend only does its database's work.
*/
#include <stdio.h>
#include <string.h>
#include "store_impl.h"

/* A libpq connection string: "keyword=value ...", the first word a
** keyword (letters and _), so a file path with an '=' in a directory name
** ("/srv/a=b/hq.db", "./x=1.db") stays a SQLite path. */
static int is_conninfo(const char *p)
{
	size_t k;

	p += strspn(p, " \t");
	k = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
	return k > 0 && p[k + strspn(p + k, " \t")] == '=';
}

/* The backend of a --db value: "sqlite:PATH" or a plain path is SQLite;
** a PostgreSQL URI (postgresql://, postgres://) or a libpq connection
** string is PostgreSQL. *path is moved past a "sqlite:" prefix. */
static const srv_store_ops *backend_for(const char **path)
{
	if (strncmp(*path, "sqlite:", 7) == 0) {
		*path += 7;
		return &srv_store_sqlite_ops;
	}
	if (strncmp(*path, "postgresql://", 13) == 0 ||
	    strncmp(*path, "postgres://", 11) == 0 || is_conninfo(*path))
		return &srv_store_pg_ops;
	return &srv_store_sqlite_ops;
}

int srv_store_side_path(const char *db, const char *suffix, char *out,
			size_t outsz)
{
	const srv_store_ops *ops;

	if (outsz)
		out[0] = 0;
	if (!db || !*db || !suffix)
		return SRV_E_ARG;
	ops = backend_for(&db);
	return ops->side_path(db, suffix, out, outsz);
}

int srv_store_exists(const char *db)
{
	const srv_store_ops *ops;

	if (!db || !*db)
		return 0;
	ops = backend_for(&db);
	return ops->exists(db);
}

int srv_store_open(const char *path, int create, srv_store **out, char *msg,
		   size_t msgsz)
{
	const srv_store_ops *ops;

	*out = NULL;
	if (msg && msgsz)
		msg[0] = 0;
	if (!path || !*path)
		return SRV_E_ARG;
	ops = backend_for(&path);
	return ops->open(path, create, out, msg, msgsz);
}

void srv_store_close(srv_store *s)
{
	if (s)
		s->ops->close(s);
}

const char *srv_store_errmsg(const srv_store *s)
{
	return s ? s->errmsg : "no store";
}

static void cap_forget(srv_store *s)
{
	s->cap_cursor = 0;
	s->cap_device[0] = 0;
	s->cap_open = 0;
	s->cap_flagged = 0;
}

int srv_store_begin(srv_store *s, int write)
{
	cap_forget(s);
	return s->ops->begin(s, write);
}

int srv_store_commit(srv_store *s)
{
	cap_forget(s);
	return s->ops->commit(s);
}

void srv_store_rollback(srv_store *s)
{
	cap_forget(s);
	s->ops->rollback(s);
}

int srv_store_savepoint(srv_store *s)
{
	return s->ops->savepoint(s, 0);
}

int srv_store_release(srv_store *s)
{
	return s->ops->savepoint(s, 1);
}

void srv_store_rollback_to(srv_store *s)
{
	/* Conflicts counted for the cap may be among those undone. */
	cap_forget(s);
	(void)s->ops->savepoint(s, 2);
}

int srv_store_meta_get(srv_store *s, const char *key, char *buf, size_t bufsz)
{
	if (bufsz)
		buf[0] = 0;
	return s->ops->meta_get(s, key, buf, bufsz);
}

int srv_store_meta_set(srv_store *s, const char *key, const char *value)
{
	return s->ops->meta_set(s, key, value);
}

int srv_store_token_add(srv_store *s, const uint8_t hash[PROTO_HASH_BYTES],
			const srv_token *t)
{
	return s->ops->token_add(s, hash, t);
}

int srv_store_token_get(srv_store *s, const uint8_t hash[PROTO_HASH_BYTES],
			srv_token *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->token_get(s, hash, out);
}

int srv_store_token_use(srv_store *s, const uint8_t hash[PROTO_HASH_BYTES],
			const char *device, int64_t now_ms)
{
	return s->ops->token_use(s, hash, device, now_ms);
}

int srv_store_device_add(srv_store *s, const srv_device *d)
{
	return s->ops->device_add(s, d);
}

int srv_store_device_get(srv_store *s, const char *id, srv_device *out)
{
	char key[PROTO_ID_HEX + 1];

	/* id may point into *out (re-reading a device): copy it first. */
	snprintf(key, sizeof(key), "%s", id);
	memset(out, 0, sizeof(*out));
	out->revoked_at_cursor = -1;
	return s->ops->device_get(s, key, out);
}

int srv_store_device_find(srv_store *s, const char *prefix, srv_device *out)
{
	memset(out, 0, sizeof(*out));
	out->revoked_at_cursor = -1;
	if (!prefix || !*prefix || strlen(prefix) > PROTO_ID_HEX ||
	    strspn(prefix, "0123456789abcdef") != strlen(prefix))
		return SRV_E_ARG;
	return s->ops->device_find(s, prefix, out);
}

int srv_store_devices_each(srv_store *s, srv_device_cb cb, void *ctx)
{
	return s->ops->devices_each(s, cb, ctx);
}

int srv_store_device_revoke(srv_store *s, const char *id, int64_t now_ms,
			    int64_t *at_cursor)
{
	*at_cursor = 0;
	return s->ops->device_revoke(s, id, now_ms, at_cursor);
}

const char *const srv_store_tables[] = {
	"meta", "devices", "tokens", "sets", "records", "conflicts", "forks",
	"events", "auth_floor", NULL
};

/* Only the tables above: the names go into SQL. */
static int known_table(const char *t)
{
	for (size_t i = 0; srv_store_tables[i]; i++)
		if (strcmp(srv_store_tables[i], t) == 0)
			return 1;
	return 0;
}

int srv_store_rows_each(srv_store *s, const char *table, srv_row_cb cb,
			void *ctx)
{
	if (!known_table(table))
		return SRV_E_ARG;
	return s->ops->rows_each(s, table, cb, ctx);
}

int srv_store_row_put(srv_store *s, const char *table, size_t ncols,
		      const char *const *names, const srv_value *vals)
{
	if (!known_table(table) || ncols == 0 || ncols > 32)
		return SRV_E_ARG;
	for (size_t i = 0; i < ncols; i++)
		if (strspn(names[i], "abcdefghijklmnopqrstuvwxyz_") !=
		    strlen(names[i]))
			return SRV_E_ARG;
	return s->ops->row_put(s, table, ncols, names, vals);
}

int srv_store_rows_done(srv_store *s, const char *table)
{
	if (!known_table(table))
		return SRV_E_ARG;
	return s->ops->rows_done(s, table);
}

int srv_store_auth_floor(srv_store *s, const char *id, int64_t expires_ms)
{
	return s->ops->auth_floor(s, id, expires_ms);
}

int srv_store_auth_floor_get(srv_store *s, const char *id, int64_t *floor_ms)
{
	return s->ops->auth_floor_get(s, id, floor_ms);
}

int srv_store_device_seen(srv_store *s, const char *id, int64_t now_ms)
{
	return s->ops->device_seen(s, id, now_ms);
}

int srv_store_device_flag(srv_store *s, const char *id, unsigned flags)
{
	return s->ops->device_flag(s, id, flags);
}

int srv_store_device_unflag(srv_store *s, const char *id, unsigned flags)
{
	return s->ops->device_unflag(s, id, flags);
}

int srv_store_device_head(srv_store *s, const char *id, int64_t seq,
			  const uint8_t hash[PROTO_HASH_BYTES],
			  uint64_t last_hlc)
{
	return s->ops->device_head(s, id, seq, hash, last_hlc);
}

int srv_store_set_hash(srv_store *s, const char *device, int64_t seq,
		       uint8_t hash[PROTO_HASH_BYTES])
{
	memset(hash, 0, PROTO_HASH_BYTES);
	return s->ops->set_hash(s, device, seq, hash);
}

int srv_store_set_get(srv_store *s, const char *device, int64_t seq,
		      char **bytes, size_t *len, char *sighex)
{
	*bytes = NULL;
	*len = 0;
	sighex[0] = 0;
	return s->ops->set_get(s, device, seq, bytes, len, sighex);
}

int srv_store_set_add(srv_store *s, const char *device, int64_t seq,
		      const char *bytes, size_t len, const char *sighex,
		      const uint8_t hash[PROTO_HASH_BYTES], int64_t now_ms,
		      int64_t *cursor)
{
	*cursor = 0;
	return s->ops->set_add(s, device, seq, bytes, len, sighex, hash, now_ms,
			       cursor);
}

int srv_store_sets_after_skip(srv_store *s, int64_t after, int limit,
			      size_t max_bytes, const char *skip,
			      srv_set_cb cb, void *ctx, int *more,
			      int64_t *scanned)
{
	*more = 0;
	*scanned = after;
	return s->ops->sets_after_skip(s, after, limit, max_bytes, skip, cb,
				       ctx, more, scanned);
}

int srv_store_sets_after(srv_store *s, int64_t after, int limit,
			 size_t max_bytes, srv_set_cb cb, void *ctx, int *more)
{
	*more = 0;
	if (after < 0 || limit < 1)
		return SRV_E_ARG;
	return s->ops->sets_after(s, after, limit, max_bytes, cb, ctx, more);
}

int srv_store_max_cursor(srv_store *s, int64_t *cursor)
{
	*cursor = 0;
	return s->ops->max_cursor(s, cursor);
}

int srv_store_record_get(srv_store *s, const char *id, char **state,
			 size_t *len)
{
	*state = NULL;
	*len = 0;
	return s->ops->record_get(s, id, state, len);
}

int srv_store_record_put(srv_store *s, const char *id, const char *kind,
			 const char *state, size_t len, int64_t cursor)
{
	return s->ops->record_put(s, id, kind, state, len, cursor);
}

int srv_store_records_each(srv_store *s, const char *kind, srv_record_cb cb,
			   void *ctx)
{
	return s->ops->records_each(s, kind, cb, ctx);
}

/* srv_store_conflicts_page's callback wrapper: remembers the last id. */
typedef struct page_ctx {
	srv_conflict_cb cb;
	void *ctx;
	int64_t last;
} page_ctx;

static int page_cb(void *vp, const srv_conflict *c)
{
	page_ctx *p = vp;

	p->last = c->id;
	return p->cb(p->ctx, c);
}

/* Flag device (once) for reaching a cap, with an event saying which. */
static int cap_reached(srv_store *s, const char *device, unsigned flag,
		       const char *kind, const char *detail, int64_t now_ms)
{
	srv_device d;
	int rc = srv_store_device_get(s, device, &d);

	if (rc == SRV_E_NOTFOUND)
		return SRV_OK;
	if (rc || (d.flags & flag))
		return rc;
	rc = s->ops->device_flag(s, device, flag);
	if (!rc)
		rc = s->ops->event_add(s, device, kind, detail, now_ms);
	return rc;
}

/* Make s->cap_device = device with its open count (cached per device). */
static int cap_load(srv_store *s, const char *device)
{
	int rc;

	if (strcmp(s->cap_device, device) == 0)
		return SRV_OK;
	s->cap_open = 0;
	s->cap_flagged = 0;
	snprintf(s->cap_device, sizeof(s->cap_device), "%s", device);
	rc = device[0] ? s->ops->conflicts_open_of(s, device, &s->cap_open)
		       : SRV_OK;
	if (rc)
		cap_forget(s);
	return rc;
}

int srv_store_conflict_add(srv_store *s, srv_conflict *c)
{
	char detail[96], dev[PROTO_ID_HEX + 1];
	int rc;

	c->id = 0;
	/* All the conflicts of one set share its cursor and device: look the
	** device and its count up once per set, then count in memory. */
	if (!c->device[0] && c->detected_cursor > 0) {
		if (s->cap_cursor != c->detected_cursor) {
			dev[0] = 0;
			rc = s->ops->set_device(s, c->detected_cursor, dev);
			if (rc && rc != SRV_E_NOTFOUND)
				return rc;
			if ((rc = cap_load(s, rc ? "" : dev)))
				return rc;
			s->cap_cursor = c->detected_cursor;
		}
		memcpy(c->device, s->cap_device, sizeof(c->device));
	} else if ((rc = cap_load(s, c->device))) {
		return rc;
	}
	if (c->device[0] && s->cap_open >= SRV_CONFLICTS_OPEN_MAX) {
		if (s->cap_flagged)
			return SRV_OK;
		snprintf(detail, sizeof(detail), "{\"limit\":%d,\"cursor\":"
			 "%lld}", SRV_CONFLICTS_OPEN_MAX,
			 (long long)c->detected_cursor);
		rc = cap_reached(s, c->device, SRV_DEV_CONFLICTS_CAPPED,
				 "conflicts_capped", detail, c->detected_ms);
		if (!rc)
			s->cap_flagged = 1;
		return rc;
	}
	rc = s->ops->conflict_add(s, c);
	if (!rc && c->device[0])
		s->cap_open++;
	return rc;
}

int srv_store_conflicts_page(srv_store *s, int open_only, int64_t after,
			     int limit, srv_conflict_cb cb, void *ctx,
			     int64_t *next)
{
	page_ctx p = { cb, ctx, 0 };
	int more = 0, rc;

	*next = 0;
	if (after < 0 || limit < 1)
		return SRV_E_ARG;
	rc = s->ops->conflicts_page(s, open_only, after, limit, page_cb, &p,
				    &more);
	if (!rc && more)
		*next = p.last;
	return rc;
}

int srv_store_conflicts_each(srv_store *s, int open_only, srv_conflict_cb cb,
			     void *ctx)
{
	return s->ops->conflicts_each(s, open_only, cb, ctx);
}

int srv_store_conflict_get(srv_store *s, int64_t id, srv_conflict_cb cb,
			   void *ctx)
{
	return s->ops->conflict_get(s, id, cb, ctx);
}

int srv_store_conflict_resolve(srv_store *s, int64_t id, const char *resolution,
			       int64_t cursor, int64_t now_ms)
{
	cap_forget(s);
	return s->ops->conflict_resolve(s, id, resolution, cursor, now_ms);
}

int srv_store_conflicts_open(srv_store *s, int64_t *count)
{
	*count = 0;
	return s->ops->conflicts_open(s, count);
}

int srv_store_fork_add(srv_store *s, const char *device, int64_t seq,
		       const char *held, size_t held_len, const char *held_sig,
		       const char *other, size_t other_len,
		       const char *other_sig, int64_t now_ms)
{
	char detail[96];
	int64_t n = 0;
	int rc = s->ops->forks_count(s, device, &n);

	if (rc)
		return rc;
	if (n >= SRV_FORKS_MAX) {
		snprintf(detail, sizeof(detail), "{\"limit\":%d,\"seq\":%lld}",
			 SRV_FORKS_MAX, (long long)seq);
		return cap_reached(s, device, SRV_DEV_FORKS_CAPPED,
				   "forks_capped", detail, now_ms);
	}
	return s->ops->fork_add(s, device, seq, held, held_len, held_sig, other,
				other_len, other_sig, now_ms);
}

int srv_store_forks_count(srv_store *s, const char *device, int64_t *count)
{
	*count = 0;
	return s->ops->forks_count(s, device, count);
}

int srv_store_event_add(srv_store *s, const char *device, const char *kind,
			const char *detail, int64_t now_ms)
{
	return s->ops->event_add(s, device, kind, detail, now_ms);
}

int srv_store_events_each(srv_store *s, srv_event_cb cb, void *ctx)
{
	return s->ops->events_each(s, cb, ctx);
}

int srv_store_check(srv_store *s) { return s->ops->check(s); }

void srv_device_flags_text(unsigned f, char *out, size_t n)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{SRV_DEV_FORKED, "forked"},
		{SRV_DEV_RESTORED, "restored"},
		{SRV_DEV_CONFLICTS_CAPPED, "conflicts-capped"},
		{SRV_DEV_FORKS_CAPPED, "forks-capped"},
	};
	size_t k = 0;

	if (!n)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		int w;
		if (!(f & names[i].bit))
			continue;
		w = snprintf(out + k, n - k, "%s%s", k ? "," : "",
			     names[i].name);
		if (w < 0 || (size_t)w >= n - k)
			break;
		k += (size_t)w;
	}
	if (!*out)
		snprintf(out, n, "-");
}
