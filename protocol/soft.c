/*
** This file contains the soft rules (soft.h) and their table.
*/
#include <stdio.h>
#include <string.h>
#include "proto.h"
#include "soft.h"

/* A child's value compared with its parent's plan: (kind, field, parent
** field). The parent is the record the kind's id field points to. */
static const struct {
	const char *kind, *field, *parent_field;
} above_plan[] = {
	{"progress", "sown_ha", "planned_ha"},
	{"progress", "households", "planned_households"},
	{"work_progress", "disbursed", "budget"},
};

/* A value compared with another field of the same record: (kind, field,
** other field): "enrolled above awarded". */
static const struct {
	const char *kind, *field, *other;
} above_field[] = {
	{"scholarship", "enrolled", "awarded"},
};

/* A child kind whose date orders its observations. */
static const struct {
	const char *kind, *date_field;
} ordered[] = {
	{"progress", "date"},
	{"work_progress", "date"},
};

const char *proto_soft_name(proto_soft_code code)
{
	switch (code) {
	case PROTO_SOFT_FUTURE: return "future_date";
	case PROTO_SOFT_ABOVE_PLAN: return "above_plan";
	case PROTO_SOFT_OLDER: return "older_than_latest";
	case PROTO_SOFT_ABOVE_FIELD: return "above_field";
	}
	return "warning";
}

static void add(proto_soft *out, size_t max, size_t *n, proto_soft_code code,
		const char *field, const char *other, const cJSON *v,
		const cJSON *limit)
{
	if (*n < max) {
		proto_soft *w = &out[*n];
		memset(w, 0, sizeof(*w));
		w->code = code;
		w->field = field;
		w->other = other;
		proto_value_format(v, w->value, sizeof w->value);
		proto_value_format(limit, w->limit, sizeof w->limit);
	}
	(*n)++;
}

/* -1, 0, 1 comparing two numbers or two dates; 2 if not comparable. */
static int compare(const cJSON *a, const cJSON *b)
{
	long da, db;

	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return (a->valuedouble > b->valuedouble) -
		       (a->valuedouble < b->valuedouble);
	if (cJSON_IsString(a) && cJSON_IsString(b) &&
	    proto_date_parse(a->valuestring, &da) == 0 &&
	    proto_date_parse(b->valuestring, &db) == 0)
		return (da > db) - (da < db);
	return 2;
}

size_t proto_soft_check(const proto_kind_def *k, const cJSON *values,
			const cJSON *parent, const cJSON *latest, long today,
			proto_soft *out, size_t max)
{
	size_t n = 0;
	char today_text[11];
	cJSON *t;

	if (!k || !cJSON_IsObject(values))
		return 0;
	proto_date_format(today_text, today);
	t = cJSON_CreateString(today_text);
	for (size_t i = 0; t && i < k->nfields; i++) {
		const proto_field_def *f = &k->fields[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(values,
								  f->name);
		if (f->type == PROTO_T_DATE && v && compare(v, t) == 1)
			add(out, max, &n, PROTO_SOFT_FUTURE, f->name, NULL, v,
			    t);
	}
	cJSON_Delete(t);
	for (size_t i = 0; parent && i < sizeof above_plan / sizeof above_plan[0];
	     i++) {
		const cJSON *v, *p;
		if (strcmp(above_plan[i].kind, k->name) != 0)
			continue;
		v = cJSON_GetObjectItemCaseSensitive(values,
						     above_plan[i].field);
		p = cJSON_GetObjectItemCaseSensitive(parent,
						     above_plan[i].parent_field);
		if (v && p && compare(v, p) == 1)
			add(out, max, &n, PROTO_SOFT_ABOVE_PLAN,
			    above_plan[i].field, above_plan[i].parent_field,
			    v, p);
	}
	for (size_t i = 0; i < sizeof above_field / sizeof above_field[0];
	     i++) {
		const cJSON *v, *o;
		if (strcmp(above_field[i].kind, k->name) != 0)
			continue;
		v = cJSON_GetObjectItemCaseSensitive(values,
						     above_field[i].field);
		o = cJSON_GetObjectItemCaseSensitive(values,
						     above_field[i].other);
		if (v && o && compare(v, o) == 1)
			add(out, max, &n, PROTO_SOFT_ABOVE_FIELD,
			    above_field[i].field, above_field[i].other, v, o);
	}
	for (size_t i = 0; latest && i < sizeof ordered / sizeof ordered[0];
	     i++) {
		const cJSON *v, *l;
		if (strcmp(ordered[i].kind, k->name) != 0)
			continue;
		v = cJSON_GetObjectItemCaseSensitive(values,
						     ordered[i].date_field);
		l = cJSON_GetObjectItemCaseSensitive(latest,
						     ordered[i].date_field);
		if (v && l && compare(v, l) == -1)
			add(out, max, &n, PROTO_SOFT_OLDER,
			    ordered[i].date_field, NULL, v, l);
	}
	return n;
}
