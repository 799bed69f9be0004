/*
** This file contains the part of a report document that only the store
** knows and the engine (report.c, which sees merged states and devices but
** no conflict and no author) does not build: the period's progress
** observations of the listed models, the open conflicts with the record
** each is about named as a person reads it, the notes of each model's
** latest observation, and the author of every entry (its owner's device
** and that device's name). One pass over the records, one over the open
** conflicts, inside the caller's read transaction.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "protocol/merge.h"
#include "protocol/records.h"
#include "hqcmd.h"
#include "report_lang.h"

/* An entry of the document found by record id. */
typedef struct ent {
	const char *id;
	cJSON *obj;
	int kind;               /* 'v' visit, 't' trip, 'm' model, 'c' conflict */
	proto_hlc notes_hlc;    /* model: stamp of the latest notes taken */
	int has_notes;
} ent;

typedef struct more {
	cJSON *doc, *obs, *conf;
	ent *e;
	size_t ne, ce;
	const char *from, *to;
	int oom;
} more;

static int ent_cmp(const void *a, const void *b)
{
	const ent *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->kind - y->kind;
}

static void ent_add(more *m, cJSON *obj, const char *idkey, int kind)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, idkey);
	ent *n;

	if (!cJSON_IsString(id))
		return;
	if (m->ne == m->ce) {
		size_t c = m->ce ? m->ce * 2 : 64;
		if (!(n = realloc(m->e, c * sizeof *n))) {
			m->oom = 1;
			return;
		}
		m->e = n;
		m->ce = c;
	}
	m->e[m->ne++] = (ent){id->valuestring, obj, kind, 0, 0};
}

static void ent_index(more *m, const char *arr, const char *idkey, int kind)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(m->doc, arr);

	for (cJSON *o = cJSON_IsArray(a) ? a->child : NULL; o; o = o->next)
		ent_add(m, o, idkey, kind);
}

/* The first entry for id of the given kind (0: any), or NULL. */
static ent *ent_find(more *m, const char *id, int kind)
{
	ent key = {id, NULL, 0, 0, 0}, *lo = m->e, *hi = m->e + m->ne;

	/* Lower bound of (id, 0), then scan the equal ids. */
	while (lo < hi) {
		ent *mid = lo + (hi - lo) / 2;
		if (ent_cmp(mid, &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->e + m->ne && strcmp(lo->id, id) == 0; lo++)
		if (!kind || lo->kind == kind)
			return lo;
	return NULL;
}

static const char *sval(const cJSON *st, const char *f)
{
	const cJSON *v = proto_state_get(st, f, NULL);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void put_str(more *m, cJSON *o, const char *k, const char *v)
{
	if (!(v ? cJSON_AddStringToObject(o, k, v)
		: cJSON_AddNullToObject(o, k)))
		m->oom = 1;
}

static void put_val(more *m, cJSON *o, const char *k, const cJSON *v)
{
	cJSON *c = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();

	if (!c) {
		m->oom = 1;
		return;
	}
	cJSON_AddItemToObject(o, k, c);
}

static void set_author_device(more *m, cJSON *o, const cJSON *st)
{
	const char *owner = proto_state_owner(st);

	if (owner && !cJSON_GetObjectItemCaseSensitive(o, "author_device"))
		put_str(m, o, "author_device", owner);
}

/* "Ngô nếp — Salavan, Lao Ngam": the kind's title fields, the first, a
** dash, the others comma-joined (protocol/records.h). */
static void title_of(const cJSON *st, char *buf, size_t bufsz)
{
	const proto_kind_def *k = proto_state_kind(st);
	size_t o = 0;
	int n = 0;

	buf[0] = '\0';
	for (size_t i = 0; k && i < 4 && k->title[i]; i++) {
		char tmp[256];
		const cJSON *v = proto_state_get(st, k->title[i], NULL);
		int w;
		if (!v)
			continue;
		proto_value_format(v, tmp, sizeof tmp);
		w = snprintf(buf + o, bufsz - o, "%s%s",
			     n == 0 ? "" : n == 1 ? " — " : ", ", tmp);
		if (w < 0 || (size_t)w >= bufsz - o)
			break;
		o += (size_t)w;
		n++;
	}
}

static void take_progress(more *m, const char *id, const cJSON *st)
{
	const char *model = sval(st, "model"), *date = sval(st, "date");
	proto_stamp ds;
	ent *e;
	cJSON *o;

	if (!model || !date || proto_state_retracted(st) ||
	    !(e = ent_find(m, model, 'm')))
		return;
	(void)proto_state_get(st, "date", &ds);
	/* The notes of the model's latest observation: the one the report
	** took (same date), the latest written when two share the day. */
	{
		const cJSON *last = cJSON_GetObjectItemCaseSensitive(
			e->obj, "last_observation");
		if (cJSON_IsString(last) && strcmp(last->valuestring, date) == 0 &&
		    (!e->has_notes || ds.hlc > e->notes_hlc)) {
			cJSON_DeleteItemFromObjectCaseSensitive(e->obj, "notes");
			put_str(m, e->obj, "notes", sval(st, "notes"));
			e->has_notes = 1;
			e->notes_hlc = ds.hlc;
		}
	}
	if (strcmp(date, m->from) < 0 || strcmp(date, m->to) > 0)
		return;
	if (!(o = cJSON_CreateObject())) {
		m->oom = 1;
		return;
	}
	cJSON_AddItemToArray(m->obs, o);
	put_str(m, o, "id", id);
	put_str(m, o, "model", model);
	put_val(m, o, "crop", cJSON_GetObjectItemCaseSensitive(e->obj, "crop"));
	put_val(m, o, "province",
		cJSON_GetObjectItemCaseSensitive(e->obj, "province"));
	put_str(m, o, "date", date);
	put_val(m, o, "sown_ha", proto_state_get(st, "sown_ha", NULL));
	put_val(m, o, "households", proto_state_get(st, "households", NULL));
	put_str(m, o, "notes", sval(st, "notes"));
	set_author_device(m, o, st);
}

static int record_cb(void *ctx, const char *id, const char *kind,
		     const char *text, int64_t cursor)
{
	more *m = ctx;
	cJSON *st = cJSON_Parse(text);
	int deleted, named = 0;
	char what[600];

	(void)cursor;
	if (!st)
		return 0; /* the engine ignores malformed states too */
	deleted = proto_state_deleted(st);
	for (ent *e = ent_find(m, id, 0);
	     e && e < m->e + m->ne && strcmp(e->id, id) == 0; e++) {
		if (e->kind != 'c') {
			if (!deleted)
				set_author_device(m, e->obj, st);
			continue;
		}
		if (!named) {
			title_of(st, what, sizeof what);
			named = 1;
		}
		if (!cJSON_GetObjectItemCaseSensitive(e->obj, "what"))
			put_str(m, e->obj, "what", what);
	}
	if (!deleted && strcmp(kind, "progress") == 0)
		take_progress(m, id, st);
	cJSON_Delete(st);
	return m->oom;
}

static int conflict_cb(void *ctx, const srv_conflict *c)
{
	more *m = ctx;
	cJSON *o = srv_conflict_json(c);

	if (!o) {
		m->oom = 1;
		return 1;
	}
	cJSON_AddItemToArray(m->conf, o);
	return 0;
}

static int obs_cmp(const void *a, const void *b)
{
	const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	static const char *const keys[] = {"date", "crop", "id"};

	for (size_t i = 0; i < 3; i++) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(x, keys[i]);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(y, keys[i]);
		int c = strcmp(cJSON_IsString(u) ? u->valuestring : "",
			       cJSON_IsString(v) ? v->valuestring : "");
		if (c)
			return c;
	}
	return 0;
}

/* Sort the observations (cJSON arrays are lists: detach, sort, re-add). */
static int sort_obs(cJSON *arr)
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	cJSON **v;

	if (n < 2)
		return 0;
	if (!(v = malloc(n * sizeof *v)))
		return -1;
	while (arr->child)
		v[i++] = cJSON_DetachItemViaPointer(arr, arr->child);
	qsort(v, n, sizeof *v, obs_cmp);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
	return 0;
}

/* "author": the name of the device author_device, where absent. */
static void name_authors(more *m, cJSON *arr)
{
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(m->doc, "devices");

	for (cJSON *o = arr ? arr->child : NULL; o; o = o->next) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(o,
							  "author_device");
		if (!cJSON_IsString(d) ||
		    cJSON_GetObjectItemCaseSensitive(o, "author"))
			continue;
		for (const cJSON *v = devs ? devs->child : NULL; v; v = v->next) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(v,
									   "id");
			const cJSON *nm = cJSON_GetObjectItemCaseSensitive(
				v, "name");
			if (cJSON_IsString(id) && cJSON_IsString(nm) &&
			    strcmp(id->valuestring, d->valuestring) == 0) {
				put_str(m, o, "author", nm->valuestring);
				break;
			}
		}
	}
}

int srv_report_more(srv_store *s, cJSON *doc, char *msg, size_t msgsz)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "period");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(p, "from");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(p, "to");
	more m = {0};
	int rc;

	if (!cJSON_IsString(from) || !cJSON_IsString(to)) {
		snprintf(msg, msgsz, "not a report document");
		return -1;
	}
	m.doc = doc;
	m.from = from->valuestring;
	m.to = to->valuestring;
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "observations");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "conflicts");
	if (!(m.obs = cJSON_AddArrayToObject(doc, "observations")) ||
	    !(m.conf = cJSON_AddArrayToObject(doc, "conflicts")))
		goto oom;
	rc = srv_store_conflicts_each(s, 1, conflict_cb, &m);
	if (rc && !m.oom) {
		snprintf(msg, msgsz, "reading the conflicts: %s",
			 srv_store_errmsg(s));
		goto fail;
	}
	ent_index(&m, "visits", "id", 'v');
	ent_index(&m, "trips", "id", 't');
	ent_index(&m, "models", "id", 'm');
	ent_index(&m, "conflicts", "record", 'c');
	if (m.oom)
		goto oom;
	if (m.ne)
		qsort(m.e, m.ne, sizeof *m.e, ent_cmp);
	rc = srv_store_records_each(s, NULL, record_cb, &m);
	if (rc && !m.oom) {
		snprintf(msg, msgsz, "reading the records: %s",
			 srv_store_errmsg(s));
		goto fail;
	}
	if (m.oom || sort_obs(m.obs) != 0)
		goto oom;
	name_authors(&m, cJSON_GetObjectItemCaseSensitive(doc, "visits"));
	name_authors(&m, cJSON_GetObjectItemCaseSensitive(doc, "trips"));
	name_authors(&m, cJSON_GetObjectItemCaseSensitive(doc, "models"));
	name_authors(&m, m.obs);
	if (m.oom)
		goto oom;
	free(m.e);
	return 0;
oom:
	snprintf(msg, msgsz, "out of memory");
fail:
	free(m.e);
	return -1;
}
