/*
** This file contains a record's history and the notices of libfieldsync
** (SPEC.md 9.7). Every change this store applies to a record, written here
** or pulled, adds one history entry (protocol/history.c makes it, the same
** story the server tells); a pulled change by another device to a record
** this device owns also adds a notice, kept until the user marks it read.
**
**   history(record_id, hlc, device, entry, local)   entry: history.h JSON
**   notices(record_id, hlc, device, entry, at_ms, read)
**
** A change is one (record, hlc, author): applying it again (a restored
** store pulling its own sets back) adds no second entry or notice.
**
** Names are looked up when shown, not when stored: the roster may learn a
** device's name after its changes arrived, and a record's name ("Ngô nếp —
** Salavan") follows its latest values.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "protocol/history.h"

/* Is device hex the owner of state (NULL: no)? */
static int owned_by(const cJSON *state, const char *hex)
{
	const char *o = state ? proto_state_owner(state) : NULL;

	return o && strcmp(o, hex) == 0;
}

static int insert(fieldsync *fs, const char *sql, const char *id,
		  const char *hlc, const char *author, const char *entry,
		  long long n)
{
	sqlite3_stmt *st = NULL;
	int rc = fs_stmt(fs, sql, &st); /* sql: a literal (kept by address) */

	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot save the record's history");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hlc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, entry, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, n);
	rc = sqlite3_step(st);
	fs_stmt_done(fs, st);
	return rc == SQLITE_DONE ? FIELDSYNC_OK
				 : fs_sqlfail(fs, rc, "cannot save the "
					      "record's history");
}

int fs_history_add(fieldsync *fs, const char *id, const cJSON *before,
		   const cJSON *after, const proto_change *ch,
		   const char *author_hex)
{
	char hlc[PROTO_HLC_HEX + 1];
	int local = strcmp(author_hex, fs->device_hex) == 0, rc;
	const char *text;

	/* The entry's text straight into fs's print buffer (no tree). */
	if (proto_history_text(before, after, ch, author_hex, &fs->print_buf,
			       &fs->print_cap) < 0)
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	text = fs->print_buf;
	proto_hlc_format(hlc, ch->hlc);
	rc = insert(fs, "INSERT OR IGNORE INTO history(record_id, hlc, device, "
		    "entry, local) VALUES(?1, ?2, ?3, ?4, ?5)", id, hlc,
		    author_hex, text, local);
	/* News about a record of ours from another device: HQ corrected,
	** deleted, restored, handed over or resolved it, or a value of ours
	** lost to a concurrent edit. */
	if (!rc && !local && (owned_by(before, fs->device_hex) ||
			      owned_by(after, fs->device_hex)))
		rc = insert(fs, "INSERT OR IGNORE INTO notices(record_id, hlc, "
			    "device, entry, at_ms) VALUES(?1, ?2, ?3, ?4, ?5)",
			    id, hlc, author_hex, text,
			    fs->now_ms(fs->now_ctx));
	return rc;
}

/* ---- names ------------------------------------------------------------ */

void fs_roster_who(fieldsync *fs, const char *hex, char *name, size_t n,
		   int *hq)
{
	sqlite3_stmt *st = NULL;

	name[0] = '\0';
	*hq = 0;
	if (fs_stmt(fs, "SELECT name, role FROM roster WHERE "
			       "device = ?", &st) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_text(st, 0))
			snprintf(name, n, "%s",
				 (const char *)sqlite3_column_text(st, 0));
		*hq = sqlite3_column_text(st, 1) &&
		      strcmp((const char *)sqlite3_column_text(st, 1),
			     "hq") == 0;
	}
	fs_stmt_done(fs, st);
}

/* What the record is, for a person, from its title fields ("Ngô nếp —
** Salavan, Lao Ngam"); an observation is named after its model or work
** too ("Ngô nếp — Salavan: Progress observation 2026-10-01 — 3.8"). The
** kind's label when there is nothing else. */
static void record_name(fieldsync *fs, const char *id, char *buf, size_t n,
			int depth)
{
	cJSON *state = NULL, *rec = NULL, *vals;
	const proto_kind_def *k;
	const proto_field_def *rf;
	char own[400], parent[400] = "";

	snprintf(buf, n, "%.8s", id);
	if (fs_state_load(fs, id, &state) || !state ||
	    !(k = proto_state_kind(state))) {
		cJSON_Delete(state);
		return;
	}
	vals = proto_state_values(state);
	rec = cJSON_CreateObject();
	if (rec && vals && cJSON_AddStringToObject(rec, "kind", k->name) &&
	    cJSON_AddItemToObject(rec, "fields", vals)) {
		vals = NULL;
		fieldsync_title(rec, own, sizeof own);
	} else {
		own[0] = '\0';
	}
	if (depth == 0 && (rf = fs_ref_field(k, NULL))) {
		const cJSON *p = proto_state_get(state, rf->name, NULL);
		if (cJSON_IsString(p))
			record_name(fs, p->valuestring, parent, sizeof parent,
				    1);
	}
	if (parent[0])
		snprintf(buf, n, "%s: %s %s", parent,
			 fs_tr(fs_lang(fs), k->label), own);
	else if (own[0])
		snprintf(buf, n, "%s", own);
	else
		snprintf(buf, n, "%s %.8s", fs_tr(fs_lang(fs), k->label), id);
	proto_utf8_copy(buf, buf, n);
	cJSON_Delete(vals);
	cJSON_Delete(rec);
	cJSON_Delete(state);
}

/* Add name (roster name or null) and hq (the author is HQ) to entry e. */
static int add_author(fieldsync *fs, cJSON *e, const char *hex)
{
	char name[200];
	int hq;

	fs_roster_who(fs, hex, name, sizeof name, &hq);
	return (name[0] ? cJSON_AddStringToObject(e, "name", name)
			: cJSON_AddNullToObject(e, "name")) &&
	       cJSON_AddBoolToObject(e, "hq", hq);
}

/* ---- history ---------------------------------------------------------- */

/* Each _owner field of entry e gets to_name: the roster name of the device
** it names (omitted when unknown). 0 when out of memory. */
static int owner_names(fieldsync *fs, cJSON *e)
{
	cJSON *f;
	char name[200];
	int hq;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "fields")) {
		const char *to = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(f, "to"));
		if (!to || strcmp(cJSON_GetStringValue(
			     cJSON_GetObjectItemCaseSensitive(f, "field")) ?
			     cJSON_GetStringValue(
			     cJSON_GetObjectItemCaseSensitive(f, "field")) : "",
			     PROTO_OWNER_FIELD) != 0)
			continue;
		fs_roster_who(fs, to, name, sizeof name, &hq);
		if (name[0] && !cJSON_AddStringToObject(f, "to_name", name))
			return 0;
	}
	return 1;
}

int fieldsync_history(fieldsync *fs, const char *prefix, cJSON **out)
{
	char id[FIELDSYNC_ID_SIZE], name[400];
	sqlite3_stmt *st = NULL;
	cJSON *o = NULL, *arr, *state = NULL;
	const proto_kind_def *k;
	int rc;

	*out = NULL;
	fs_ok(fs);
	if ((rc = fs_resolve_any(fs, prefix, "ID", id)))
		return rc;
	if ((rc = fs_state_load(fs, id, &state)))
		return rc;
	k = state ? proto_state_kind(state) : NULL;
	record_name(fs, id, name, sizeof name, 0);
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "id", id) ||
	    !cJSON_AddStringToObject(o, "kind", k ? k->name : "") ||
	    !cJSON_AddStringToObject(o, "name", name) ||
	    !cJSON_AddBoolToObject(o, "deleted", proto_state_deleted(state)) ||
	    !cJSON_AddBoolToObject(o, "retracted",
				   proto_state_retracted(state)) ||
	    !(arr = cJSON_AddArrayToObject(o, "entries"))) {
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto out;
	}
	rc = sqlite3_prepare_v2(fs->db, "SELECT entry, local, device FROM "
				"history WHERE record_id = ? ORDER BY n", -1,
				&st, NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot read the record's history");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		cJSON *e = t ? cJSON_Parse(t) : NULL;
		int local = sqlite3_column_int(st, 1);

		if (!e) {
			rc = fs_fail(fs, FIELDSYNC_E_CORRUPT, "record %s: a "
				     "history entry is damaged", id);
			goto out;
		}
		cJSON_AddItemToArray(arr, e);
		/* A pulled change was applied only once its set's signature
		** and place in its author's chain were verified (SPEC 11);
		** this device's own changes are signed by it when sent. */
		if (!owner_names(fs, e) ||
		    !add_author(fs, e, (const char *)sqlite3_column_text(st,
									 2)) ||
		    !cJSON_AddBoolToObject(e, "local", local) ||
		    !cJSON_AddBoolToObject(e, "verified", !local)) {
			rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? FIELDSYNC_OK
			       : fs_sqlfail(fs, rc, "cannot read the "
					    "record's history");
out:
	sqlite3_finalize(st);
	cJSON_Delete(state);
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return FIELDSYNC_OK;
}

/* ---- notices ---------------------------------------------------------- */

/* "Planned area 38 → 3.8; Members 6 → 7" for the fields of entry e of a
** record of kind k, the reserved fields left out; lost (may be NULL) is
** set when one of the change's values did not win. */
static void fields_text(fieldsync *fs, const proto_kind_def *k,
			const cJSON *e, char *buf, size_t n, int *lost)
{
	const cJSON *f;
	size_t off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "fields")) {
		const char *name = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(f, "field"));
		const proto_field_def *fd = proto_field_find(k, name);
		const cJSON *from = cJSON_GetObjectItemCaseSensitive(f, "from");
		char a[200], b[200];
		int w;

		if (!name || name[0] == '_')
			continue;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "won")) &&
		    lost)
			*lost = 1;
		if (!from || cJSON_IsNull(from))
			snprintf(a, sizeof a, "-");
		else
			proto_value_format(from, a, sizeof a);
		proto_value_format(cJSON_GetObjectItemCaseSensitive(f, "to"),
				   b, sizeof b);
		w = snprintf(buf + off, n - off, "%s%s %s → %s",
			     off ? "; " : "",
			     fd ? fs_tr(fs_lang(fs), fd->label) : name, a, b);
		if (w < 0 || (size_t)w >= n - off)
			break;
		off += (size_t)w;
	}
	proto_utf8_copy(buf, buf, n);
}

/* The sentence of a notice, in fs's language. */
static void notice_text(fieldsync *fs, const cJSON *e, const char *rec,
			const proto_kind_def *k, const char *who, int hq,
			char *buf, size_t n)
{
	const char *lang = fs_lang(fs);
	const char *op = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(e, "op"));
	const char *reason = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(e, "reason"));
	const char *to = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(e, "to"));
	char by[300], fields[1200], tail[1200] = "", toname[200];
	int lost = 0, tohq;
	size_t len;

	if (hq && strcmp(who, "HQ") != 0)
		snprintf(by, sizeof by, fs_tr(lang, "HQ (%s)"), who);
	else if (hq)
		snprintf(by, sizeof by, "%s", fs_tr(lang, "HQ"));
	else
		snprintf(by, sizeof by, "%s", who);
	fields_text(fs, k, e, fields, sizeof fields, &lost);
	op = op ? op : "";
	if (!strcmp(op, "delete"))
		snprintf(buf, n, fs_tr(lang, "%s deleted %s"), by, rec);
	else if (!strcmp(op, "restore"))
		snprintf(buf, n, fs_tr(lang, "%s restored %s"), by, rec);
	else if (!strcmp(op, "retract"))
		snprintf(buf, n, fs_tr(lang, "%s retracted %s"), by, rec);
	else if (!strcmp(op, "handover")) {
		fs_roster_who(fs, to ? to : "", toname, sizeof toname, &tohq);
		if (!toname[0])
			snprintf(toname, sizeof toname, "%.8s", to ? to : "?");
		snprintf(buf, n, fs_tr(lang, "%s handed %s over to %s"), by,
			 rec, toname);
	} else if (hq)
		snprintf(buf, n, fs_tr(lang, "%s corrected %s: %s"), by, rec,
			 fields);
	else
		snprintf(buf, n, fs_tr(lang, "%s changed %s: %s"), by, rec,
			 fields);
	if (lost)
		snprintf(tail, sizeof tail, "%s", fs_tr(lang, " (not applied: "
			 "your later change stands)"));
	len = strlen(buf);
	if (len < n)
		snprintf(buf + len, n - len, "%s", tail);
	if (reason && reason[0]) {
		len = strlen(buf);
		if (len < n)
			snprintf(buf + len, n - len, fs_tr(lang, " — reason: "
				 "%s"), reason);
	}
	proto_utf8_copy(buf, buf, n);
}

int fieldsync_notices(fieldsync *fs, int all, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	cJSON *arr;
	int rc;

	*out = NULL;
	fs_ok(fs);
	if (!(arr = cJSON_CreateArray()))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	rc = sqlite3_prepare_v2(fs->db, "SELECT n, record_id, device, entry, "
				"at_ms, read FROM notices WHERE ?1 OR read = 0 "
				"ORDER BY n", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		cJSON_Delete(arr);
		return fs_sqlfail(fs, rc, "cannot read the notices");
	}
	sqlite3_bind_int(st, 1, all != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 1);
		const char *dev = (const char *)sqlite3_column_text(st, 2);
		const char *t = (const char *)sqlite3_column_text(st, 3);
		cJSON *e = t ? cJSON_Parse(t) : NULL, *state = NULL;
		const proto_kind_def *k = NULL;
		char rec[400], who[200], text[3000];
		int hq, ok;

		if (!e || !id || !dev) {
			cJSON_Delete(e);
			continue; /* a damaged notice is not worth failing on */
		}
		if (fs_state_load(fs, id, &state) == FIELDSYNC_OK && state)
			k = proto_state_kind(state);
		cJSON_Delete(state);
		record_name(fs, id, rec, sizeof rec, 0);
		fs_roster_who(fs, dev, who, sizeof who, &hq);
		if (!who[0])
			snprintf(who, sizeof who, "%.8s", dev);
		notice_text(fs, e, rec, k, who, hq, text, sizeof text);
		ok = cJSON_AddNumberToObject(e, "n", (double)
					     sqlite3_column_int64(st, 0)) &&
		     cJSON_AddStringToObject(e, "record", id) &&
		     cJSON_AddStringToObject(e, "record_name", rec) &&
		     cJSON_AddStringToObject(e, "kind", k ? k->name : "") &&
		     cJSON_AddNumberToObject(e, "at_ms", (double)
					     sqlite3_column_int64(st, 4)) &&
		     cJSON_AddBoolToObject(e, "read",
					   sqlite3_column_int(st, 5)) &&
		     add_author(fs, e, dev) &&
		     cJSON_AddStringToObject(e, "text", text);
		cJSON_AddItemToArray(arr, e);
		if (!ok) {
			sqlite3_finalize(st);
			cJSON_Delete(arr);
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(arr);
		return fs_sqlfail(fs, rc, "cannot read the notices");
	}
	*out = arr;
	return FIELDSYNC_OK;
}

int fieldsync_notices_read(fieldsync *fs, long long n, long long *count)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (count)
		*count = 0;
	fs_ok(fs);
	if (n < 0)
		return fs_fail(fs, FIELDSYNC_E_USAGE, "notice number %lld: "
			       "expected a number from `fieldsync notices`, "
			       "or all", n);
	if ((rc = fs_begin(fs)))
		return rc;
	rc = sqlite3_prepare_v2(fs->db, "UPDATE notices SET read = 1 WHERE "
				"read = 0 AND (?1 = 0 OR n = ?1)", -1, &st,
				NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot save the notices");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = fs_sqlfail(fs, rc, "cannot save the notices");
		goto fail;
	}
	if (count)
		*count = sqlite3_changes(fs->db);
	if (n > 0 && sqlite3_changes(fs->db) == 0) {
		/* Already read is fine; a number that never was is not. */
		long long have = 0;
		rc = sqlite3_prepare_v2(fs->db, "SELECT count(*) FROM notices "
					"WHERE n = ?", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, n);
			if (sqlite3_step(st) == SQLITE_ROW)
				have = sqlite3_column_int64(st, 0);
		}
		sqlite3_finalize(st);
		if (!have) {
			fs_rollback(fs);
			return fs_fail(fs, FIELDSYNC_E_NOT_FOUND, "there is no "
				       "notice %lld: `fieldsync notices --all` "
				       "lists them", n);
		}
	}
	return fs_commit(fs);
fail:
	fs_rollback(fs);
	return rc;
}

long long fs_notices_last(fieldsync *fs)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;

	if (sqlite3_prepare_v2(fs->db, "SELECT coalesce(max(n), 0) FROM "
			       "notices", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
