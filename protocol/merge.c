/*
** This file contains the merge rule shared by every replica: field-level
** last-writer-wins by stamp (HLC, then device id), tombstones as the reserved
** field "_deleted", and concurrent-edit detection through the "base" stamps a
** writer declares. Because the decision depends only on the stamps and not on
** arrival order, applying the same changes in any order gives the same state.
*/
#include <stdlib.h>
#include <string.h>
#include "merge.h"

int proto_merge_takes(const proto_stamp *cur, const proto_stamp *in)
{
	return !cur || proto_stamp_cmp(in, cur) > 0;
}

int proto_merge_concurrent(const proto_stamp *cur, const cJSON *cur_value,
			   const proto_stamp *base, const proto_stamp *in,
			   const cJSON *in_value)
{
	if (!cur || proto_stamp_cmp(cur, in) == 0)
		return 0;
	if (cur_value && in_value && cJSON_Compare(cur_value, in_value, 1))
		return 0;
	return !base || proto_stamp_cmp(base, cur) != 0;
}

const proto_kind_def *proto_state_kind(const cJSON *state)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(state, "kind");

	return cJSON_IsString(k) ? proto_kind_find(k->valuestring) : NULL;
}

const cJSON *proto_state_get(const cJSON *state, const char *field,
			     proto_stamp *stamp)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(state, "f");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(f, field);
	const cJSON *s;

	if (!e)
		return NULL;
	if (stamp) {
		s = cJSON_GetObjectItemCaseSensitive(e, "s");
		if (!cJSON_IsString(s) ||
		    proto_stamp_parse(s->valuestring, stamp) != 0)
			memset(stamp, 0, sizeof *stamp);
	}
	return cJSON_GetObjectItemCaseSensitive(e, "v");
}

int proto_state_deleted(const cJSON *state)
{
	return cJSON_IsTrue(proto_state_get(state, PROTO_DELETED_FIELD, NULL));
}

int proto_state_retracted(const cJSON *state)
{
	return cJSON_IsTrue(proto_state_get(state, PROTO_RETRACTED_FIELD,
					    NULL));
}

const char *proto_state_owner(const cJSON *state)
{
	const cJSON *o = proto_state_get(state, PROTO_OWNER_FIELD, NULL);

	return cJSON_IsString(o) && proto_id_valid(o->valuestring)
		       ? o->valuestring : NULL;
}

/* A delete and an edit that did not see each other (SPEC 9.4): an edit
** meeting a deleted record, or a delete meeting field writes stamped after
** it (the deleter had not seen them: its clock would be above them). The
** conflict has field "_deleted"; the winner is the delete (true), the loser
** the edit, as the object of the fields it wrote. */
static void report_delete_edit(const cJSON *f, const proto_change *ch,
			       const proto_stamp *in, proto_conflict_fn cb,
			       void *ctx)
{
	static cJSON true_item = { .type = cJSON_True };
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(f,
							  PROTO_DELETED_FIELD);
	const cJSON *dv = d ? cJSON_GetObjectItemCaseSensitive(d, "v") : NULL;
	const cJSON *ds = d ? cJSON_GetObjectItemCaseSensitive(d, "s") : NULL;
	proto_conflict c;
	proto_stamp st, best;
	cJSON *later = NULL;
	int have = 0;

	if (!cb)
		return;
	memset(&c, 0, sizeof c);
	c.record_id = ch->id;
	c.kind = ch->kind;
	c.field = PROTO_DELETED_FIELD;
	c.winner_value = &true_item;
	if (ch->op == PROTO_OP_UPDATE) {
		if (!cJSON_IsTrue(dv) || !cJSON_IsString(ds) ||
		    proto_stamp_parse(ds->valuestring, &c.winner) != 0)
			return;
		c.loser_value = ch->fields;
		c.loser = *in;
		cb(ctx, &c);
		return;
	}
	if (ch->op != PROTO_OP_DELETE || cJSON_IsTrue(dv))
		return;
	for (const cJSON *e = f->child; e; e = e->next) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "s");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "v");
		if (e->string[0] == '_' || !v || !cJSON_IsString(s) ||
		    proto_stamp_parse(s->valuestring, &st) != 0 ||
		    proto_stamp_cmp(&st, in) <= 0)
			continue;
		if (!later && !(later = cJSON_CreateObject()))
			return;
		if (!cJSON_AddItemToObject(later, e->string,
					   cJSON_Duplicate(v, 1))) {
			cJSON_Delete(later);
			return;
		}
		if (!have || proto_stamp_cmp(&st, &best) > 0)
			best = st;
		have = 1;
	}
	if (!later)
		return;
	c.winner = *in;
	c.loser = best;
	c.loser_value = later;
	cb(ctx, &c);
	cJSON_Delete(later);
}

/* Apply one field write to the entries object f. */
static proto_code apply_field(cJSON *f, const proto_change *ch,
			      const char *name, const cJSON *value,
			      const proto_stamp *in, proto_conflict_fn cb,
			      void *ctx, int *changed, proto_err *err)
{
	cJSON *cur = cJSON_GetObjectItemCaseSensitive(f, name);
	const cJSON *cur_v = NULL, *b;
	proto_stamp cs, bs, *base = NULL;
	char text[PROTO_STAMP_TEXT + 1];
	cJSON *entry, *dup;

	if (cur) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(cur, "s");
		cur_v = cJSON_GetObjectItemCaseSensitive(cur, "v");
		if (!cur_v || !cJSON_IsString(s) ||
		    proto_stamp_parse(s->valuestring, &cs) != 0)
			return proto_fail(err, PROTO_E_FORMAT, "record %s: "
					  "stored field \"%s\" is malformed",
					  ch->id, name);
	}
	b = ch->base ? cJSON_GetObjectItemCaseSensitive(ch->base, name) : NULL;
	if (b) {
		if (!cJSON_IsString(b) ||
		    proto_stamp_parse(b->valuestring, &bs) != 0)
			return proto_fail(err, PROTO_E_FORMAT, "base of \"%s\":"
					  " not a stamp", name);
		base = &bs;
	}
	if (cur && proto_merge_concurrent(&cs, cur_v, base, in, value) && cb) {
		proto_conflict c;
		int in_wins = proto_merge_takes(&cs, in);
		c.record_id = ch->id;
		c.kind = ch->kind;
		c.field = name;
		c.winner_value = in_wins ? value : cur_v;
		c.winner = in_wins ? *in : cs;
		c.loser_value = in_wins ? cur_v : value;
		c.loser = in_wins ? cs : *in;
		cb(ctx, &c);
	}
	if (!proto_merge_takes(cur ? &cs : NULL, in))
		return PROTO_OK;
	proto_stamp_format(text, in);
	entry = cJSON_CreateObject();
	dup = cJSON_Duplicate(value, 1);
	if (!entry || !dup || !cJSON_AddItemToObject(entry, "v", dup)) {
		cJSON_Delete(dup);
		cJSON_Delete(entry);
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	}
	if (!cJSON_AddStringToObject(entry, "s", text)) {
		cJSON_Delete(entry);
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	}
	/* ReplaceItemInObject (not ...ViaPointer) keeps the member's name. */
	if (cur) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(f, name, entry)) {
			cJSON_Delete(entry);
			return proto_fail(err, PROTO_E_NOMEM, "out of memory");
		}
	} else if (!cJSON_AddItemToObject(f, name, entry)) {
		cJSON_Delete(entry);
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	}
	*changed = 1;
	return PROTO_OK;
}

proto_code proto_merge_apply(cJSON **state, const proto_change *ch,
			     const uint8_t author[PROTO_ID_BYTES],
			     proto_conflict_fn cb, void *ctx, int *changed,
			     proto_err *err)
{
	proto_stamp in;
	cJSON *work, *f, *tomb = NULL;
	const cJSON *fields;
	proto_code rc = PROTO_OK;

	*changed = 0;
	proto_err_clear(err);
	in.hlc = ch->hlc;
	memcpy(in.device, author, PROTO_ID_BYTES);
	/* Work on a copy so that a failure half-way leaves *state untouched. */
	if (*state) {
		const proto_kind_def *k = proto_state_kind(*state);
		if (!k)
			return proto_fail(err, PROTO_E_FORMAT, "record %s: "
					  "stored state is malformed", ch->id);
		if (k != ch->kind)
			return proto_fail(err, PROTO_E_VALUE, "record %s is a "
					  "%s; a change for a %s cannot apply "
					  "to it", ch->id, k->name,
					  ch->kind->name);
		work = cJSON_Duplicate(*state, 1);
	} else {
		work = cJSON_CreateObject();
		if (work && (!cJSON_AddStringToObject(work, "kind",
						      ch->kind->name) ||
			     !cJSON_AddObjectToObject(work, "f"))) {
			cJSON_Delete(work);
			work = NULL;
		}
	}
	if (!work)
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	f = cJSON_GetObjectItemCaseSensitive(work, "f");
	if (!cJSON_IsObject(f)) {
		cJSON_Delete(work);
		return proto_fail(err, PROTO_E_FORMAT, "record %s: stored "
				  "state has no fields object", ch->id);
	}
	/* Every op but update writes a reserved field (merge.h): one more
	** last-writer-wins field with the change's stamp. */
	if (ch->op != PROTO_OP_UPDATE) {
		char author_hex[PROTO_ID_HEX + 1];
		cJSON *r = NULL;
		proto_hex_encode(author_hex, author, PROTO_ID_BYTES);
		tomb = cJSON_CreateObject();
		switch (ch->op) {
		case PROTO_OP_CREATE:
			r = cJSON_AddStringToObject(tomb, PROTO_OWNER_FIELD,
						    author_hex);
			break;
		case PROTO_OP_HANDOVER:
			r = cJSON_AddStringToObject(tomb, PROTO_OWNER_FIELD,
						    ch->to);
			break;
		case PROTO_OP_DELETE:
			r = cJSON_AddTrueToObject(tomb, PROTO_DELETED_FIELD);
			break;
		case PROTO_OP_RESTORE:
			r = cJSON_AddFalseToObject(tomb, PROTO_DELETED_FIELD);
			break;
		case PROTO_OP_RETRACT:
			r = cJSON_AddTrueToObject(tomb, PROTO_RETRACTED_FIELD);
			break;
		case PROTO_OP_UPDATE:
			break;
		}
		if (!tomb || !r) {
			cJSON_Delete(tomb);
			cJSON_Delete(work);
			return proto_fail(err, PROTO_E_NOMEM, "out of memory");
		}
	}
	if (ch->op == PROTO_OP_UPDATE || ch->op == PROTO_OP_DELETE)
		report_delete_edit(f, ch, &in, cb, ctx);
	/* Reserved fields are never reported as concurrent edits: their
	** stories are told by the delete/edit report above and by history. */
	if (tomb)
		for (const cJSON *m = tomb->child; m && !rc; m = m->next)
			rc = apply_field(f, ch, m->string, m, &in, NULL, NULL,
					 changed, err);
	fields = ch->op == PROTO_OP_CREATE || ch->op == PROTO_OP_UPDATE
		 ? ch->fields : NULL;
	for (const cJSON *m = fields ? fields->child : NULL; m && !rc;
	     m = m->next)
		rc = apply_field(f, ch, m->string, m, &in, cb, ctx, changed,
				 err);
	cJSON_Delete(tomb);
	if (rc != PROTO_OK) {
		cJSON_Delete(work);
		*changed = 0;
		return rc;
	}
	/* A brand-new state is a change even if it somehow got no field. */
	if (!*state)
		*changed = 1;
	cJSON_Delete(*state);
	*state = work;
	return PROTO_OK;
}

cJSON *proto_state_values(const cJSON *state)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(state, "f");
	cJSON *out = cJSON_CreateObject();

	if (!out)
		return NULL;
	for (const cJSON *e = f ? f->child : NULL; e; e = e->next) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "v");
		cJSON *dup;
		if (e->string[0] == '_' || !v)
			continue;
		dup = cJSON_Duplicate(v, 1);
		if (!dup || !cJSON_AddItemToObject(out, e->string, dup)) {
			cJSON_Delete(dup);
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

/* Append "s" to a growing buffer; -1 when out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 256);
		char *nb;
		while (nc < *len + n + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

static int append_field(char **buf, size_t *len, size_t *cap, const char *name,
			const cJSON *entry)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, "v");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(entry, "s");
	char *text;
	int rc;

	if (!v || !cJSON_IsString(s))
		return -1;
	text = cJSON_PrintUnformatted(v);
	if (!text)
		return -1;
	rc = append(buf, len, cap, " ") || append(buf, len, cap, name) ||
	     append(buf, len, cap, "=") || append(buf, len, cap, text) ||
	     append(buf, len, cap, "@") ||
	     append(buf, len, cap, s->valuestring);
	free(text);
	return rc ? -1 : 0;
}

char *proto_state_canonical(const char *id, const cJSON *state)
{
	const proto_kind_def *k = proto_state_kind(state);
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(state, "f");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	const cJSON *e;

	if (!k || !cJSON_IsObject(f))
		return NULL;
	if (append(&buf, &len, &cap, id) || append(&buf, &len, &cap, " ") ||
	    append(&buf, &len, &cap, k->name))
		goto fail;
	for (size_t i = 0; i < k->nfields; i++) {
		e = cJSON_GetObjectItemCaseSensitive(f, k->fields[i].name);
		if (e && append_field(&buf, &len, &cap, k->fields[i].name, e))
			goto fail;
	}
	{
		static const char *const reserved[] = {
			PROTO_OWNER_FIELD, PROTO_DELETED_FIELD,
			PROTO_RETRACTED_FIELD };
		for (size_t i = 0; i < 3; i++) {
			e = cJSON_GetObjectItemCaseSensitive(f, reserved[i]);
			if (e && append_field(&buf, &len, &cap, reserved[i], e))
				goto fail;
		}
	}
	return buf;
fail:
	free(buf);
	return NULL;
}
