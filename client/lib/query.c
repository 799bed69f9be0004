/*
** This file contains the read side of libfieldsync: listing and showing
** records (with each model's observations summarised), the device status,
** and the description of the record kinds that front ends build their forms
** and options from (fieldsync_schema, generated from the protocol's table).
**
** A record as returned:
**   {"id":..,"kind":..,"fields":{name:value},"created":stamp,"updated":stamp,
**    "pending":bool, CHILD:{"count":N,"latest":{"id":..,"fields":{..}}|null}}
** where CHILD is each kind with an id field named after this kind (a model's
** "progress"); latest = highest date field, then highest stamp.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *type_name(proto_type t)
{
	switch (t) {
	case PROTO_T_TEXT: return "text";
	case PROTO_T_ENUM: return "enum";
	case PROTO_T_INT: return "int";
	case PROTO_T_DECIMAL: return "decimal";
	case PROTO_T_DATE: return "date";
	case PROTO_T_ID: return "id";
	case PROTO_T_YEARS: return "years";
	}
	return "text";
}

static cJSON *field_schema(const proto_field_def *f, const char *lang)
{
	cJSON *o = cJSON_CreateObject(), *a, *ch, *c;
	int ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "name", f->name);
	ok = ok && cJSON_AddStringToObject(o, "type", type_name(f->type));
	ok = ok && cJSON_AddBoolToObject(o, "required", f->required);
	ok = ok && cJSON_AddStringToObject(o, "label", fs_tr(lang, f->label));
	ok = ok && cJSON_AddStringToObject(o, "help", f->help
					   ? fs_tr(lang, f->help) : "");
	if (ok && f->unit)
		ok = cJSON_AddStringToObject(o, "unit", f->unit) &&
		     cJSON_AddStringToObject(o, "unit_label",
					     fs_tr(lang, f->unit));
	if (ok && f->type == PROTO_T_TEXT)
		ok = cJSON_AddNumberToObject(o, "max_bytes",
					     (double)f->max_len) != NULL;
	if (ok && f->type == PROTO_T_INT)
		ok = cJSON_AddNumberToObject(o, "min", (double)f->min) &&
		     cJSON_AddNumberToObject(o, "max", (double)f->max);
	if (ok && f->type == PROTO_T_DECIMAL)
		ok = cJSON_AddItemToObject(o, "min",
					   proto_decimal_new(f->min)) &&
		     cJSON_AddItemToObject(o, "max",
					   proto_decimal_new(f->max));
	if (ok && f->type == PROTO_T_ID && proto_kind_find(f->name))
		ok = cJSON_AddStringToObject(o, "ref", f->name) != NULL;
	if (ok && f->type == PROTO_T_ENUM && f->ref) {
		ok = (a = cJSON_AddArrayToObject(o, "allowed")) &&
		     (ch = cJSON_AddArrayToObject(o, "choices"));
		for (size_t i = 0; ok && i < f->ref->count; i++) {
			const proto_ref_entry *e = &f->ref->entries[i];
			ok = cJSON_AddItemToArray(a, cJSON_CreateString(
					e->name));
			ok = ok && (c = cJSON_CreateObject()) &&
			     cJSON_AddItemToArray(ch, c);
			ok = ok && cJSON_AddStringToObject(c, "value",
							   e->name) &&
			     cJSON_AddStringToObject(c, "label",
						     fs_tr(lang, e->label));
		}
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *fieldsync_schema_lang(const char *lang)
{
	cJSON *arr;
	const char *l = lang ? fs_lang_norm(lang) : fs_lang(NULL);

	if (!l)
		return NULL;
	arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < proto_nkinds; i++) {
		const proto_kind_def *k = &proto_kinds[i];
		cJSON *o = cJSON_CreateObject(), *fa = NULL, *ta = NULL;
		int ok;
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return NULL;
		}
		/* From here arr owns o: deleting arr frees everything. */
		ok = cJSON_AddStringToObject(o, "kind", k->name) &&
		     cJSON_AddStringToObject(o, "plural", k->plural) &&
		     cJSON_AddStringToObject(o, "label", fs_tr(l, k->label)) &&
		     cJSON_AddStringToObject(o, "label_plural",
					     fs_tr(l, k->label_plural)) &&
		     cJSON_AddBoolToObject(o, "append_only", k->append_only) &&
		     (ta = cJSON_AddArrayToObject(o, "title")) &&
		     (fa = cJSON_AddArrayToObject(o, "fields"));
		for (size_t j = 0; ok && j < 4 && k->title[j]; j++)
			ok = cJSON_AddItemToArray(ta,
					cJSON_CreateString(k->title[j]));
		for (size_t j = 0; ok && j < k->nfields; j++) {
			cJSON *fo = field_schema(&k->fields[j], l);
			ok = fo && cJSON_AddItemToArray(fa, fo);
		}
		if (!ok) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

cJSON *fieldsync_schema(void)
{
	return fieldsync_schema_lang(NULL);
}

/* ---- records ----------------------------------------------------------- */

#define RECORD_COLS "id, kind, state, created, updated, " \
	"EXISTS(SELECT 1 FROM outbox o WHERE o.record_id = r.id)"

/* Build the JSON of one row selected with RECORD_COLS. *stamps (may be
** NULL) receives field -> stamp text. */
static int row_json(fieldsync *fs, sqlite3_stmt *st, int with_stamps,
		    cJSON **out)
{
	const char *text = (const char *)sqlite3_column_text(st, 2);
	cJSON *state = NULL, *o = NULL, *values = NULL, *stamps = NULL;
	const cJSON *f;
	int ok;

	*out = NULL;
	state = text ? cJSON_Parse(text) : NULL;
	if (!state || !proto_state_kind(state)) {
		cJSON_Delete(state);
		return fs_fail(fs, FIELDSYNC_E_CORRUPT, "record %s: stored "
			       "state is damaged",
			       (const char *)sqlite3_column_text(st, 0));
	}
	values = proto_state_values(state);
	o = cJSON_CreateObject();
	ok = values && o;
	ok = ok && cJSON_AddStringToObject(o, "id",
				(const char *)sqlite3_column_text(st, 0));
	ok = ok && cJSON_AddStringToObject(o, "kind",
				(const char *)sqlite3_column_text(st, 1));
	ok = ok && cJSON_AddItemToObject(o, "fields", values);
	if (ok)
		values = NULL;
	ok = ok && cJSON_AddStringToObject(o, "created",
				(const char *)sqlite3_column_text(st, 3));
	ok = ok && cJSON_AddStringToObject(o, "updated",
				(const char *)sqlite3_column_text(st, 4));
	ok = ok && cJSON_AddBoolToObject(o, "pending",
					 sqlite3_column_int(st, 5));
	if (ok) {
		/* Who may change it (SPEC 9.6): the owner's id and roster name,
		** mine when this device owns it; deleted and retracted marks. */
		const char *owner = proto_state_owner(state);
		char name[128] = "";

		int hq;

		if (owner)
			fs_roster_who(fs, owner, name, sizeof name, &hq);
		ok = (!owner || cJSON_AddStringToObject(o, "owner", owner)) &&
		     (!name[0] ||
		      cJSON_AddStringToObject(o, "owner_name", name)) &&
		     cJSON_AddBoolToObject(o, "mine", !owner ||
					   !strcmp(owner, fs->device_hex)) &&
		     cJSON_AddBoolToObject(o, "deleted",
					   proto_state_deleted(state)) &&
		     cJSON_AddBoolToObject(o, "retracted",
					   proto_state_retracted(state));
	}
	if (ok && with_stamps) {
		ok = (stamps = cJSON_AddObjectToObject(o, "stamps")) != NULL;
		f = cJSON_GetObjectItemCaseSensitive(state, "f");
		for (const cJSON *e = f ? f->child : NULL; ok && e;
		     e = e->next) {
			const cJSON *s = cJSON_GetObjectItemCaseSensitive(e,
									 "s");
			if (cJSON_IsString(s) &&
			    strcmp(e->string, PROTO_DELETED_FIELD) != 0)
				ok = cJSON_AddStringToObject(
					     stamps, e->string,
					     s->valuestring) != NULL;
		}
	}
	cJSON_Delete(state);
	cJSON_Delete(values);
	if (!ok) {
		cJSON_Delete(o);
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	}
	*out = o;
	return FIELDSYNC_OK;
}

/* Is record a later observation than b? Highest date field, then stamp. */
static int later(const proto_kind_def *ck, const cJSON *a, const cJSON *b)
{
	const cJSON *fa = cJSON_GetObjectItemCaseSensitive(a, "fields");
	const cJSON *fb = cJSON_GetObjectItemCaseSensitive(b, "fields");
	int c = 0;

	for (size_t i = 0; i < ck->nfields && c == 0; i++) {
		const cJSON *da, *db;
		if (ck->fields[i].type != PROTO_T_DATE)
			continue;
		da = cJSON_GetObjectItemCaseSensitive(fa, ck->fields[i].name);
		db = cJSON_GetObjectItemCaseSensitive(fb, ck->fields[i].name);
		c = strcmp(cJSON_IsString(da) ? da->valuestring : "",
			   cJSON_IsString(db) ? db->valuestring : "");
		break;
	}
	if (c == 0)
		c = strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				   a, "created")),
			   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				   b, "created")));
	return c > 0;
}

/* Add CHILD summaries (see file comment) to record o of kind k; with
** all_items, every observation too, oldest first. */
static int add_children(fieldsync *fs, const proto_kind_def *k, cJSON *o,
			int all_items)
{
	const char *id = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(o, "id"));
	sqlite3_stmt *st = NULL;
	int rc = FIELDSYNC_OK, src;

	for (size_t i = 0; i < proto_nkinds && rc == FIELDSYNC_OK; i++) {
		const proto_kind_def *ck = &proto_kinds[i];
		cJSON *sum, *items = NULL, *latest = NULL, *row;
		int count = 0;

		if (!fs_ref_field(ck, k))
			continue;
		if (!(sum = cJSON_AddObjectToObject(o, ck->name)) ||
		    !(items = cJSON_CreateArray()))
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		rc = sqlite3_prepare_v2(fs->db, "SELECT " RECORD_COLS " FROM "
					"records r WHERE ref = ? AND kind = ? "
					"AND deleted = 0 ORDER BY created", -1,
					&st, NULL);
		if (rc != SQLITE_OK) {
			cJSON_Delete(items);
			return fs_sqlfail(fs, rc, "cannot read the store");
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ck->name, -1, SQLITE_STATIC);
		rc = FIELDSYNC_OK;
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if ((rc = row_json(fs, st, 0, &row)))
				break;
			cJSON_AddItemToArray(items, row);
			if (!latest || later(ck, row, latest))
				latest = row;
			count++;
		}
		if (rc == FIELDSYNC_OK && src != SQLITE_DONE)
			rc = fs_sqlfail(fs, src, "cannot read the store");
		sqlite3_finalize(st);
		st = NULL;
		if (rc == FIELDSYNC_OK) {
			int ok = cJSON_AddNumberToObject(sum, "count", count) &&
				 cJSON_AddItemToObject(sum, "latest",
					latest ? cJSON_Duplicate(latest, 1)
					       : cJSON_CreateNull());
			if (ok && all_items) {
				/* Observations in date order for reading. */
				cJSON *sorted = cJSON_CreateArray();
				while (sorted && cJSON_GetArraySize(items)) {
					int best = 0, n = cJSON_GetArraySize(items);
					for (int j = 1; j < n; j++)
						if (later(ck, cJSON_GetArrayItem(items, best),
							  cJSON_GetArrayItem(items, j)))
							best = j;
					cJSON_AddItemToArray(sorted,
						cJSON_DetachItemFromArray(items, best));
				}
				ok = sorted && cJSON_AddItemToObject(sum, "items",
								     sorted);
			}
			if (!ok)
				rc = fs_fail(fs, FIELDSYNC_E_NOMEM,
					     "out of memory");
		}
		cJSON_Delete(items);
	}
	return rc;
}

/* The state of the record row (of kind k) points to through its id field
** (an observation's model), in *parent (NULL if none). The province filter
** uses it for kinds that have no province of their own. */
static int parent_province(fieldsync *fs, const proto_kind_def *k,
			   const cJSON *row, cJSON **parent)
{
	const proto_field_def *rf = fs_ref_field(k, NULL);
	const cJSON *ref;

	*parent = NULL;
	if (!rf)
		return FIELDSYNC_OK;
	ref = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(row, "fields"), rf->name);
	if (!cJSON_IsString(ref))
		return FIELDSYNC_OK;
	return fs_state_load(fs, ref->valuestring, parent);
}

int fieldsync_list(fieldsync *fs, const char *kind, const char *province,
		   cJSON **out)
{
	const proto_kind_def *k = NULL;
	const char *prov = NULL;
	sqlite3_stmt *st = NULL;
	cJSON *arr = NULL, *row, *parent = NULL;
	int rc;

	*out = NULL;
	fs_ok(fs);
	if (kind && !(k = proto_kind_find(kind))) {
		char names[256] = "";
		size_t off = 0;
		for (size_t i = 0; i < proto_nkinds; i++) {
			int n = snprintf(names + off, sizeof names - off,
					 "%s%s", i ? ", " : "",
					 proto_kinds[i].plural);
			if (n < 0 || (size_t)n >= sizeof names - off)
				break;
			off += (size_t)n;
		}
		return fs_fail_field(fs, FIELDSYNC_E_USAGE, "kind", "unknown "
				     "record kind \"%.40s\"; kinds: %s", kind,
				     names);
	}
	if (province && (rc = fs_input_ref(fs, &proto_provinces, "province",
					   province, &prov)))
		return rc;
	if (!(arr = cJSON_CreateArray()))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	rc = sqlite3_prepare_v2(fs->db, "SELECT " RECORD_COLS " FROM records r "
				"WHERE deleted = 0 AND (?1 IS NULL OR kind = ?1) "
				"ORDER BY created, id", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot read the store");
		goto fail;
	}
	if (k)
		sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const proto_kind_def *rk = proto_kind_find(
			(const char *)sqlite3_column_text(st, 1));
		const cJSON *pv;
		if ((rc = row_json(fs, st, 0, &row)))
			goto fail;
		pv = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(row, "fields"),
			"province");
		if (prov && !pv && rk && (rc = parent_province(fs, rk, row,
							       &parent))) {
			cJSON_Delete(row);
			goto fail;
		}
		if (prov && !pv && parent)
			pv = proto_state_get(parent, "province", NULL);
		if (prov && (!cJSON_IsString(pv) ||
			     strcmp(pv->valuestring, prov) != 0)) {
			cJSON_Delete(row);
			cJSON_Delete(parent);
			parent = NULL;
			continue;
		}
		cJSON_Delete(parent);
		parent = NULL;
		cJSON_AddItemToArray(arr, row);
		if (rk && (rc = add_children(fs, rk, row, 0)))
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		rc = fs_sqlfail(fs, rc, "cannot read the store");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = arr;
	return FIELDSYNC_OK;
fail:
	sqlite3_finalize(st);
	cJSON_Delete(arr);
	return rc;
}

int fieldsync_show(fieldsync *fs, const char *prefix, cJSON **out)
{
	char id[FIELDSYNC_ID_SIZE];
	sqlite3_stmt *st = NULL;
	cJSON *o = NULL;
	int rc;

	*out = NULL;
	fs_ok(fs);
	if ((rc = fs_resolve(fs, prefix, "ID", id)))
		return rc;
	rc = sqlite3_prepare_v2(fs->db, "SELECT " RECORD_COLS " FROM records r "
				"WHERE id = ?", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the store");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE
			     ? fs_fail(fs, FIELDSYNC_E_NOT_FOUND, "record %s "
				       "vanished", id)
			     : fs_sqlfail(fs, rc, "cannot read the store");
		goto out;
	}
	if ((rc = row_json(fs, st, 1, &o)))
		goto out;
	rc = add_children(fs, proto_kind_find((const char *)
					      sqlite3_column_text(st, 1)),
			  o, 1);
out:
	sqlite3_finalize(st);
	if (rc != FIELDSYNC_OK) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return FIELDSYNC_OK;
}

static int count_rows(fieldsync *fs, const char *sql, const char *arg,
		      long long *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(fs->db, sql, -1, &st, NULL);

	*n = 0;
	if (rc != SQLITE_OK)
		return fs_sqlfail(fs, rc, "cannot read the store");
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? FIELDSYNC_OK
				: fs_sqlfail(fs, rc, "cannot read the store");
}

int fieldsync_status_get(fieldsync *fs, cJSON **out)
{
	char *name = NULL, *hlc = NULL;
	cJSON *o = NULL, *rec;
	long long n;
	int rc, ok;

	*out = NULL;
	fs_ok(fs);
	/* One read transaction, so the counts agree with each other. */
	if (sqlite3_exec(fs->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fs_sqlfail(fs, sqlite3_errcode(fs->db), "cannot read "
				  "the store");
	if ((rc = fs_meta_get(fs, FS_META_NAME, &name)) ||
	    (rc = fs_meta_get(fs, FS_META_HLC, &hlc)))
		goto out;
	o = cJSON_CreateObject();
	ok = o && cJSON_AddStringToObject(o, "device", fs->device_hex) &&
	     cJSON_AddStringToObject(o, "name", name ? name : "") &&
	     cJSON_AddStringToObject(o, "dir", fs->dir) &&
	     cJSON_AddNumberToObject(o, "schema", fs_schema_version) &&
	     cJSON_AddStringToObject(o, "hlc", hlc ? hlc : "") &&
	     (rec = cJSON_AddObjectToObject(o, "records"));
	for (size_t i = 0; ok && i < proto_nkinds; i++) {
		if ((rc = count_rows(fs, "SELECT count(*) FROM records WHERE "
				     "kind = ? AND deleted = 0",
				     proto_kinds[i].name, &n)))
			goto out;
		ok = cJSON_AddNumberToObject(rec, proto_kinds[i].name,
					     (double)n) != NULL;
	}
	if (ok && (rc = count_rows(fs, "SELECT count(*) FROM outbox", NULL,
				   &n)))
		goto out;
	ok = ok && cJSON_AddNumberToObject(o, "pending", (double)n);
	rc = ok ? FIELDSYNC_OK : fs_fail(fs, FIELDSYNC_E_NOMEM,
					 "out of memory");
out:
	sqlite3_exec(fs->db, "COMMIT", NULL, NULL, NULL);
	free(name);
	free(hlc);
	if (rc != FIELDSYNC_OK) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return FIELDSYNC_OK;
}
