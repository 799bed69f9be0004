/*
** This file contains the local writes of libfieldsync: add, edit, delete.
** Each is one transaction (BEGIN IMMEDIATE ... COMMIT):
**
**   1. parse the typed text of each field with proto_field_parse (id fields
**      accept a unique prefix, resolved inside the transaction);
**   2. tick the HLC from its persisted value and persist the new one;
**   3. build the proto_change (update: "base" = the stamp of each written
**      field's current value, when it has one);
**   4. apply it to the stored state with proto_merge_apply, the merge path
**      pulled changes take too, and check the merged values with
**      proto_record_check;
**   5. encode the change's canonical bytes (proto_change_encode) and append
**      them to the outbox; store the new state; commit.
**
** Any failure rolls back, so the store is unchanged. The bulk import
** (fieldsync_import) runs the same add path for every line inside one
** transaction: all lines or none. Validation, field lists
** and reference lists all come from the protocol module's kind table.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "protocol/owner.h"

/* "visit, trip, model, progress" for messages. */
static const char *kind_names(void)
{
	static char buf[256];
	size_t off = 0;

	if (buf[0])
		return buf;
	for (size_t i = 0; i < proto_nkinds && off < sizeof buf - 1; i++) {
		int n = snprintf(buf + off, sizeof buf - off, "%s%s",
				 i ? ", " : "", proto_kinds[i].name);
		if (n < 0 || (size_t)n >= sizeof buf - off)
			break;
		off += (size_t)n;
	}
	return buf;
}

static void field_names(const proto_kind_def *k, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k->nfields; i++) {
		int w = snprintf(buf + off, n - off, "%s%s", i ? ", " : "",
				 k->fields[i].name);
		if (w < 0 || (size_t)w >= n - off)
			break;
		off += (size_t)w;
	}
}

static int unknown_field(fieldsync *fs, const proto_kind_def *k,
			 const char *name)
{
	char names[512];

	field_names(k, names, sizeof names);
	return fs_fail_field(fs, FIELDSYNC_E_USAGE, name, "a %s has no field "
			     "\"%.60s\"; fields: %s", k->name,
			     name ? name : "", names);
}

static int find_kind(fieldsync *fs, const char *name,
		     const proto_kind_def **out)
{
	*out = proto_kind_find(name);
	if (!*out)
		return fs_fail_field(fs, FIELDSYNC_E_USAGE, "kind", "unknown "
				     "record kind \"%.40s\"; kinds: %s",
				     name ? name : "", kind_names());
	return FIELDSYNC_OK;
}

/* One typed value of field f of kind k as its canonical value (*v, a new
** item). An id field's text is a prefix of a live record of the kind it is
** named after; other text goes through input.c, then the protocol. */
static int parse_value(fieldsync *fs, const proto_field_def *f,
		       const char *text, cJSON **v)
{
	char id[FIELDSYNC_ID_SIZE];
	cJSON *parent = NULL;
	char *norm = NULL;
	proto_err err;
	int rc;

	*v = NULL;
	if (f->type == PROTO_T_ID) {
		const proto_kind_def *pk = proto_kind_find(f->name);
		if ((rc = fs_resolve(fs, text, f->name, id)) ||
		    (rc = fs_state_load(fs, id, &parent)))
			return rc;
		if (pk && proto_state_kind(parent) != pk) {
			rc = fs_fail_field(fs, FIELDSYNC_E_INVALID, f->name,
					   "%s %s is a %s, not a %s", f->name,
					   id, proto_state_kind(parent)->name,
					   pk->name);
			cJSON_Delete(parent);
			return rc;
		}
		cJSON_Delete(parent);
		if (proto_field_parse(f, id, v, &err) != PROTO_OK)
			return fs_protofail(fs, &err, f->name);
		return FIELDSYNC_OK;
	}
	if ((rc = fs_input_field(fs, f, text, &norm)))
		return rc;
	if (proto_field_parse(f, norm, v, &err) != PROTO_OK)
		rc = fs_protofail(fs, &err, f->name);
	free(norm);
	return rc;
}

/* Parse n typed fields of kind k into a new object of canonical values.
** Must run inside the write transaction (id fields are looked up). */
static int parse_fields(fieldsync *fs, const proto_kind_def *k,
			const fieldsync_field *in, size_t n, cJSON **out)
{
	cJSON *obj, *v = NULL;
	int rc = FIELDSYNC_OK;

	*out = NULL;
	if (!(obj = cJSON_CreateObject()))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const proto_field_def *f = proto_field_find(k, in[i].name);
		if (!f) {
			rc = unknown_field(fs, k, in[i].name);
			goto fail;
		}
		if (cJSON_GetObjectItemCaseSensitive(obj, f->name)) {
			rc = fs_fail_field(fs, FIELDSYNC_E_USAGE, f->name,
					   "field \"%s\" given twice", f->name);
			goto fail;
		}
		if ((rc = parse_value(fs, f, in[i].text, &v)))
			goto fail;
		cJSON_AddItemToObject(obj, f->name, v);
		v = NULL;
	}
	*out = obj;
	return FIELDSYNC_OK;
fail:
	cJSON_Delete(obj);
	return rc;
}

int fieldsync_field_parse(fieldsync *fs, const char *kind, const char *field,
			  const char *text, cJSON **value)
{
	const proto_kind_def *k;
	const proto_field_def *f;
	int rc;

	*value = NULL;
	fs_ok(fs);
	if ((rc = find_kind(fs, kind, &k)))
		return rc;
	if (!(f = proto_field_find(k, field)))
		return unknown_field(fs, k, field);
	return parse_value(fs, f, text, value);
}

/* The ownership rule (SPEC 9.6) on a local write, before anything is
** written: refused with the owner's name from the roster when known. */
static int owner_refusal(fieldsync *fs, const proto_change *ch,
			 const cJSON *state)
{
	const char *owner = state ? proto_state_owner(state) : NULL;
	char name[128] = "";
	sqlite3_stmt *st = NULL;
	proto_err err;

	if (proto_owner_check(state, ch, fs->device_hex, 0, &err) == PROTO_OK)
		return FIELDSYNC_OK;
	if (owner && sqlite3_prepare_v2(fs->db, "SELECT name FROM roster "
					"WHERE device = ?", -1, &st,
					NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0))
			snprintf(name, sizeof name, "%s",
				 (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (ch->kind->append_only && owner && !strcmp(owner, fs->device_hex))
		return fs_fail_field(fs, FIELDSYNC_E_NOT_OWNER, "ID", "%s is "
				     "an observation: it is never edited; "
				     "retract it and record it again (HQ may "
				     "correct it)", ch->id);
	return fs_fail_field(fs, FIELDSYNC_E_NOT_OWNER, "ID", "%s belongs to "
			     "%s (device %.8s); only its owner or HQ may change "
			     "it: ask HQ to correct it", ch->id,
			     name[0] ? name : "another device",
			     owner ? owner : "?");
}

/* An observation dated more than one day after today (the device's clock,
** local time) is refused at entry: a year typed 2030 for 2026 would
** otherwise be the model's latest observation until retracted. The wire
** rule stays the same (SPEC 9.3): this is the entry's check, not the
** protocol's, and other kinds (a visit being planned) may name any date. */
static int future_date_refusal(fieldsync *fs, const proto_kind_def *k,
			       const cJSON *fields)
{
	char limit[16];
	time_t now = time(NULL) + 24 * 60 * 60;
	struct tm tm;

	if (!k->append_only || !fields)
		return FIELDSYNC_OK;
	if (!localtime_r(&now, &tm) ||
	    strftime(limit, sizeof limit, "%Y-%m-%d", &tm) == 0)
		return FIELDSYNC_OK;
	for (const cJSON *m = fields->child; m; m = m->next) {
		const proto_field_def *f = proto_field_find(k, m->string);
		if (!f || f->type != PROTO_T_DATE || !cJSON_IsString(m) ||
		    strcmp(m->valuestring, limit) <= 0)
			continue;
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, m->string,
				     "%s is more than one day in the future; "
				     "an observation is dated on or before %s",
				     m->valuestring, limit);
	}
	return FIELDSYNC_OK;
}

/* Steps 2-5 of the file comment for one change to record id, whose current
** state is *state (NULL for a create; replaced by the merged state). */
static int write_change(fieldsync *fs, const proto_kind_def *k, proto_op op,
			const char *id, const cJSON *fields, const cJSON *base,
			const char *reason, cJSON **state)
{
	char hlc[PROTO_HLC_HEX + 1];
	proto_change ch;
	proto_err err;
	cJSON *values = NULL, *before = NULL;
	char *bytes = NULL;
	size_t len = 0;
	sqlite3_stmt *st = NULL;
	int rc, changed;

	memset(&ch, 0, sizeof ch);
	snprintf(ch.id, sizeof ch.id, "%s", id);
	ch.kind = k;
	ch.op = op;
	ch.fields = fields;
	ch.base = base;
	ch.reason = reason;
	if ((rc = owner_refusal(fs, &ch, *state)) ||
	    (rc = future_date_refusal(fs, k, fields)))
		return rc;
	if ((rc = fs_hlc_next(fs, &ch.hlc)))
		return rc;
	if (*state && !(before = cJSON_Duplicate(*state, 1)))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	if (proto_merge_apply(state, &ch, fs->device, NULL, NULL, &changed,
			      &err) != PROTO_OK) {
		cJSON_Delete(before);
		return fs_protofail(fs, &err, NULL);
	}
	if (op == PROTO_OP_CREATE || op == PROTO_OP_UPDATE) {
		if (!(values = proto_state_values(*state))) {
			rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
			goto out;
		}
		if (proto_record_check(k, values, op == PROTO_OP_CREATE,
				       &err) != PROTO_OK) {
			rc = fs_protofail(fs, &err, NULL);
			goto out;
		}
	}
	if (proto_change_encode(&ch, &bytes, &len, &err) != PROTO_OK) {
		rc = fs_protofail(fs, &err, NULL);
		goto out;
	}
	if ((rc = fs_state_store(fs, id, *state)) ||
	    (rc = fs_history_add(fs, id, before, *state, &ch,
				 fs->device_hex)))
		goto out;
	rc = sqlite3_prepare_v2(fs->db, "INSERT INTO outbox(record_id, hlc, "
				"change) VALUES(?, ?, ?)", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = fs_sqlfail(fs, rc, "cannot save the change");
		goto out;
	}
	proto_hlc_format(hlc, ch.hlc);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hlc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, bytes, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? FIELDSYNC_OK
			       : fs_sqlfail(fs, rc, "cannot save the change");
out:
	sqlite3_finalize(st);
	free(bytes);
	cJSON_Delete(values);
	cJSON_Delete(before);
	return rc;
}

/* One add inside the caller's write transaction: checks, parse, write.
** Shared by fieldsync_add and the bulk import, so both validate alike. */
static int add_in_tx(fieldsync *fs, const char *kind, const fieldsync_field *f,
		     size_t n, const char *want_id,
		     char id_out[FIELDSYNC_ID_SIZE])
{
	const proto_kind_def *k;
	char id[FIELDSYNC_ID_SIZE];
	cJSON *fields = NULL, *state = NULL;
	int rc;

	id_out[0] = '\0';
	if ((rc = find_kind(fs, kind, &k)))
		return rc;
	/* Unknown fields, then missing required ones: one clear message
	** naming the field. */
	for (size_t i = 0; i < n; i++)
		if (!proto_field_find(k, f[i].name))
			return unknown_field(fs, k, f[i].name);
	for (size_t i = 0; i < k->nfields; i++) {
		size_t j = 0;
		if (!k->fields[i].required)
			continue;
		while (j < n && (!f[j].name ||
				 strcmp(f[j].name, k->fields[i].name) != 0))
			j++;
		if (j == n)
			return fs_fail_field(fs, FIELDSYNC_E_INVALID,
					     k->fields[i].name, "a %s needs "
					     "field \"%s\" (%s)", k->name,
					     k->fields[i].name,
					     fs_tr(fs_lang(fs),
						   k->fields[i].help));
	}
	if ((rc = parse_fields(fs, k, f, n, &fields)))
		goto out;
	if (want_id)
		snprintf(id, sizeof id, "%s", want_id);
	else
		proto_id_new(id);
	if ((rc = write_change(fs, k, PROTO_OP_CREATE, id, fields, NULL, NULL,
			       &state)))
		goto out;
	memcpy(id_out, id, FIELDSYNC_ID_SIZE);
out:
	cJSON_Delete(fields);
	cJSON_Delete(state);
	return rc;
}

int fieldsync_add(fieldsync *fs, const char *kind, const fieldsync_field *f,
		  size_t n, char id_out[FIELDSYNC_ID_SIZE])
{
	int rc;

	id_out[0] = '\0';
	fs_ok(fs);
	if ((rc = fs_begin(fs)))
		return rc;
	if ((rc = add_in_tx(fs, kind, f, n, NULL, id_out)) ||
	    (rc = fs_commit(fs))) {
		fs_rollback(fs);
		id_out[0] = '\0';
	}
	return rc;
}

/* ---- bulk import --------------------------------------------------------- */

#define IMPORT_MAX_FIELDS 64

/* Prefix the handle's message with "line N: " and the field it is about
** (the field stays set for fieldsync_errfield). */
static int at_line(fieldsync *fs, int rc, long line)
{
	char msg[sizeof fs->msg], field[sizeof fs->field];

	snprintf(msg, sizeof msg, "%s", fieldsync_errdetail(fs));
	memcpy(field, fs->field, sizeof field);
	if (field[0])
		fs_fail_field(fs, rc, field, "line %ld: field \"%s\": %s",
			      line, field, msg);
	else
		fs_fail_field(fs, rc, NULL, "line %ld: %s", line, msg);
	return rc;
}

/* One JSON line {"kind":K,"fields":{name:text,...}} added in the open
** transaction. Values are what a person would type: strings (numbers are
** accepted and read as their shortest decimal text). With "id" (as
** fieldsync_salvage writes), the record gets that id, or the line is left
** out (id_out "") when the store holds that id already. */
static int import_line(fieldsync *fs, const char *buf, size_t len, long line,
		       char id_out[FIELDSYNC_ID_SIZE])
{
	fieldsync_field f[IMPORT_MAX_FIELDS];
	char nums[IMPORT_MAX_FIELDS][32];
	cJSON *root = NULL, *held = NULL;
	const cJSON *kind, *fields, *m, *id, *pending;
	proto_err err;
	size_t n = 0;
	int rc;

	id_out[0] = '\0';

	if (proto_json_parse(buf, len, &root, &err) != PROTO_OK) {
		rc = fs_fail(fs, FIELDSYNC_E_USAGE, "line %ld: not a JSON "
			     "object: %s", line, err.msg);
		goto out;
	}
	kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	fields = cJSON_GetObjectItemCaseSensitive(root, "fields");
	if (!cJSON_IsObject(root) || !cJSON_IsString(kind) ||
	    !cJSON_IsObject(fields)) {
		rc = fs_fail(fs, FIELDSYNC_E_USAGE, "line %ld: expected "
			     "{\"kind\":\"visit\",\"fields\":{\"province\":"
			     "\"Salavan\",...}}", line);
		goto out;
	}
	for (m = root->child; m; m = m->next)
		if (strcmp(m->string, "kind") != 0 &&
		    strcmp(m->string, "fields") != 0 &&
		    strcmp(m->string, "id") != 0 &&
		    strcmp(m->string, "pending") != 0) {
			rc = fs_fail(fs, FIELDSYNC_E_USAGE, "line %ld: unknown "
				     "member \"%.60s\"; allowed: kind, fields, "
				     "id, pending", line, m->string);
			goto out;
		}
	id = cJSON_GetObjectItemCaseSensitive(root, "id");
	pending = cJSON_GetObjectItemCaseSensitive(root, "pending");
	if (id && (!cJSON_IsString(id) || !proto_id_valid(id->valuestring))) {
		rc = fs_fail_field(fs, FIELDSYNC_E_USAGE, "id", "line %ld: "
				   "\"id\" must be a record id: 32 lowercase "
				   "hex digits", line);
		goto out;
	}
	if (pending && !cJSON_IsBool(pending)) {
		rc = fs_fail(fs, FIELDSYNC_E_USAGE, "line %ld: \"pending\" "
			     "must be true or false", line);
		goto out;
	}
	if (id) {
		if ((rc = fs_state_load(fs, id->valuestring, &held)))
			goto out;
		if (held) { /* already here: keep what the store holds */
			cJSON_Delete(held);
			fs->import_skipped++;
			rc = FIELDSYNC_OK;
			goto out;
		}
	}
	for (m = fields->child; m; m = m->next) {
		if (n == IMPORT_MAX_FIELDS) {
			rc = fs_fail(fs, FIELDSYNC_E_USAGE, "line %ld: more "
				     "than %d fields", line, IMPORT_MAX_FIELDS);
			goto out;
		}
		f[n].name = m->string;
		if (cJSON_IsString(m)) {
			f[n].text = m->valuestring;
		} else if (cJSON_IsNumber(m)) {
			snprintf(nums[n], sizeof nums[n], "%.15g",
				 m->valuedouble);
			f[n].text = nums[n];
		} else {
			rc = fs_fail_field(fs, FIELDSYNC_E_USAGE, m->string,
					   "line %ld: field \"%.60s\": give "
					   "the value as text, as typed", line,
					   m->string);
			goto out;
		}
		n++;
	}
	if ((rc = add_in_tx(fs, kind->valuestring, f, n,
			    id ? id->valuestring : NULL, id_out)))
		rc = at_line(fs, rc, line);
out:
	cJSON_Delete(root);
	return rc;
}

int fieldsync_import(fieldsync *fs, FILE *in, fieldsync_id_fn on_id,
		     void *ctx, long *count)
{
	char (*ids)[FIELDSYNC_ID_SIZE] = NULL, *buf = NULL;
	size_t cap = 0, nids = 0, idcap = 0;
	ssize_t len;
	long line = 0;
	int rc;

	*count = 0;
	fs_ok(fs);
	fs->import_skipped = 0;
	if ((rc = fs_begin(fs)))
		return rc;
	while ((len = getline(&buf, &cap, in)) >= 0) {
		size_t l = (size_t)len;
		line++;
		while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
			l--;
		if (l == 0)
			continue; /* blank lines are allowed */
		if (nids == idcap) {
			size_t nc = idcap ? idcap * 2 : 1024;
			void *p = realloc(ids, nc * sizeof *ids);
			if (!p) {
				rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of "
					     "memory");
				goto fail;
			}
			ids = p;
			idcap = nc;
		}
		if ((rc = import_line(fs, buf, l, line, ids[nids])))
			goto fail;
		if (ids[nids][0]) /* "" when left out */
			nids++;
	}
	if (ferror(in)) {
		rc = fs_fail(fs, FIELDSYNC_E_IO, "reading the import after "
			     "line %ld failed; nothing was imported", line);
		goto fail;
	}
	if ((rc = fs_commit(fs)))
		goto fail;
	*count = (long)nids;
	for (size_t i = 0; on_id && i < nids; i++)
		on_id(ctx, ids[i]);
	free(ids);
	free(buf);
	return FIELDSYNC_OK;
fail:
	fs_rollback(fs);
	fs->import_skipped = 0;
	free(ids);
	free(buf);
	return rc;
}

long fieldsync_import_skipped(const fieldsync *fs)
{
	return fs ? fs->import_skipped : 0;
}

/* Resolve prefix and load the live record's state and kind, refusing
** append-only kinds (their records never change once made). */
static int load_mutable(fieldsync *fs, const char *prefix, int deleting,
			char id[FIELDSYNC_ID_SIZE], cJSON **state,
			const proto_kind_def **k)
{
	int rc;

	*state = NULL;
	*k = NULL;
	if ((rc = fs_resolve(fs, prefix, "ID", id)) ||
	    (rc = fs_state_load(fs, id, state)))
		return rc;
	if (!*state)
		return fs_fail(fs, FIELDSYNC_E_NOT_FOUND, "record %s vanished",
			       id);
	*k = proto_state_kind(*state);
	if ((*k)->append_only && deleting)
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, "ID", "%s is a "
				     "%s observation: they are append-only and "
				     "cannot be deleted; record a new "
				     "observation instead", id, (*k)->name);
	if ((*k)->append_only)
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, "ID", "%s is a "
				     "%s observation: they are append-only and "
				     "cannot be edited; record a new "
				     "observation instead", id, (*k)->name);
	return FIELDSYNC_OK;
}

int fieldsync_edit(fieldsync *fs, const char *prefix, const fieldsync_field *f,
		   size_t n, char id_out[FIELDSYNC_ID_SIZE])
{
	const proto_kind_def *k;
	char id[FIELDSYNC_ID_SIZE], stext[PROTO_STAMP_TEXT + 1];
	cJSON *fields = NULL, *state = NULL, *base = NULL;
	int rc;

	if (id_out)
		id_out[0] = '\0';
	fs_ok(fs);
	if (n == 0)
		return fs_fail(fs, FIELDSYNC_E_USAGE, "nothing to change: give "
			       "at least one field and its new value");
	if ((rc = fs_begin(fs)))
		return rc;
	if ((rc = load_mutable(fs, prefix, 0, id, &state, &k)) ||
	    (rc = parse_fields(fs, k, f, n, &fields)))
		goto fail;
	/* base: what this device saw for each field it overwrites, so a
	** concurrent edit elsewhere is recognised as one. */
	if (!(base = cJSON_CreateObject())) {
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto fail;
	}
	for (const cJSON *m = fields->child; m; m = m->next) {
		proto_stamp s;
		if (!proto_state_get(state, m->string, &s))
			continue;
		proto_stamp_format(stext, &s);
		if (!cJSON_AddStringToObject(base, m->string, stext)) {
			rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
			goto fail;
		}
	}
	if ((rc = write_change(fs, k, PROTO_OP_UPDATE, id, fields,
			       base->child ? base : NULL, NULL, &state)) ||
	    (rc = fs_commit(fs)))
		goto fail;
	if (id_out)
		memcpy(id_out, id, FIELDSYNC_ID_SIZE);
	cJSON_Delete(base);
	cJSON_Delete(fields);
	cJSON_Delete(state);
	return FIELDSYNC_OK;
fail:
	fs_rollback(fs);
	cJSON_Delete(base);
	cJSON_Delete(fields);
	cJSON_Delete(state);
	return rc;
}

/* delete, restore, retract: one op without fields on the record prefix
** names; which: 0 live records, 1 deleted ones. */
static int simple_op(fieldsync *fs, const char *prefix, proto_op op,
		     const char *reason, char id_out[FIELDSYNC_ID_SIZE])
{
	const proto_kind_def *k;
	char id[FIELDSYNC_ID_SIZE];
	cJSON *state = NULL;
	int rc;

	if (id_out)
		id_out[0] = '\0';
	fs_ok(fs);
	if ((op == PROTO_OP_DELETE || op == PROTO_OP_RETRACT) &&
	    (!reason || !reason[0]))
		return op == PROTO_OP_DELETE
		       ? fs_fail_field(fs, FIELDSYNC_E_USAGE, "reason", "say "
				       "why (--reason TEXT): a deletion keeps "
				       "who and why in the record's history")
		       : fs_fail_field(fs, FIELDSYNC_E_USAGE, "reason", "say "
				       "why (--reason TEXT): a retraction keeps "
				       "who and why in the record's history");
	if ((rc = fs_begin(fs)))
		return rc;
	if (op == PROTO_OP_RESTORE)
		rc = fs_resolve_deleted(fs, prefix, "ID", id);
	else
		rc = fs_resolve(fs, prefix, "ID", id);
	if (rc || (rc = fs_state_load(fs, id, &state)))
		goto fail;
	if (!state) {
		rc = fs_fail(fs, FIELDSYNC_E_NOT_FOUND, "record %s vanished",
			     id);
		goto fail;
	}
	k = proto_state_kind(state);
	if (k->append_only && op != PROTO_OP_RETRACT) {
		rc = fs_fail_field(fs, FIELDSYNC_E_INVALID, "ID", "%s is a %s "
				   "observation: observations are never "
				   "deleted; retract it instead (fieldsync "
				   "retract ID --reason TEXT)", id, k->name);
		goto fail;
	}
	if (!k->append_only && op == PROTO_OP_RETRACT) {
		rc = fs_fail_field(fs, FIELDSYNC_E_INVALID, "ID", "%s is a %s, "
				   "not an observation: delete it instead", id,
				   k->name);
		goto fail;
	}
	if ((rc = write_change(fs, k, op, id, NULL, NULL, reason, &state)) ||
	    (rc = fs_commit(fs)))
		goto fail;
	if (id_out)
		memcpy(id_out, id, FIELDSYNC_ID_SIZE);
	cJSON_Delete(state);
	return FIELDSYNC_OK;
fail:
	fs_rollback(fs);
	cJSON_Delete(state);
	return rc;
}

int fieldsync_delete(fieldsync *fs, const char *prefix, const char *reason,
		     char id_out[FIELDSYNC_ID_SIZE])
{
	return simple_op(fs, prefix, PROTO_OP_DELETE, reason, id_out);
}

int fieldsync_undelete(fieldsync *fs, const char *prefix, const char *reason,
		       char id_out[FIELDSYNC_ID_SIZE])
{
	return simple_op(fs, prefix, PROTO_OP_RESTORE,
			 reason && reason[0] ? reason : NULL, id_out);
}

int fieldsync_retract(fieldsync *fs, const char *prefix, const char *reason,
		      char id_out[FIELDSYNC_ID_SIZE])
{
	return simple_op(fs, prefix, PROTO_OP_RETRACT, reason, id_out);
}
