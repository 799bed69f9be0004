/*
** This file contains the possible duplicates of a report document
** (report_lang.h): entries that look like one thing recorded twice, for HQ
** to look at. Nothing is merged: two devices may well have recorded two
** real visits on one day, and only a person can tell.
**
**   visits  the same direction, province and start date, and leaders alike:
**           their folded names (protocol/fold.h: case, Vietnamese marks,
**           spaces and punctuation ignored) equal, or one inside the other
**           ("Đoàn Sở Y tế" and "Đoàn Sở Y tế tỉnh Attapeu");
**   models  the same folded crop and province, and the same folded district
**           when both name one.
**
** "duplicates": [{"kind":"visit"|"model","ids":[A,B],"why":"..."}...],
** one entry per pair, in the order of the document's lists.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "protocol/fold.h"
#include "report_lang.h"

#define FOLD_N 128

typedef struct folded {
	uint32_t c[FOLD_N];
	size_t n;
} folded;

static void fold_of(const cJSON *o, const char *field, folded *f)
{
	f->n = proto_fold(cJSON_GetStringValue(
				  cJSON_GetObjectItemCaseSensitive(o, field)),
			  f->c, FOLD_N);
}

static int same(const folded *a, const folded *b)
{
	return a->n == b->n && memcmp(a->c, b->c, a->n * sizeof a->c[0]) == 0;
}

/* Is a (non-empty) inside b, or b inside a? */
static int alike(const folded *a, const folded *b)
{
	const folded *s = a->n <= b->n ? a : b, *l = a->n <= b->n ? b : a;

	if (!s->n)
		return 0;
	for (size_t i = 0; i + s->n <= l->n; i++)
		if (memcmp(l->c + i, s->c, s->n * sizeof s->c[0]) == 0)
			return 1;
	return 0;
}

static int str_eq(const cJSON *a, const cJSON *b, const char *field)
{
	const char *x = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(a, field));
	const char *y = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(b, field));

	return x && y && strcmp(x, y) == 0;
}

static int add_pair(cJSON *out, const char *kind, const cJSON *a,
		    const cJSON *b, const char *why)
{
	cJSON *o = cJSON_CreateObject(), *ids;

	if (!o || !cJSON_AddItemToArray(out, o) ||
	    !cJSON_AddStringToObject(o, "kind", kind) ||
	    !(ids = cJSON_AddArrayToObject(o, "ids")) ||
	    !cJSON_AddItemToArray(ids, cJSON_CreateString(cJSON_GetStringValue(
				  cJSON_GetObjectItemCaseSensitive(a, "id")))) ||
	    !cJSON_AddItemToArray(ids, cJSON_CreateString(cJSON_GetStringValue(
				  cJSON_GetObjectItemCaseSensitive(b, "id")))) ||
	    !cJSON_AddStringToObject(o, "why", why))
		return -1;
	return 0;
}

int srv_report_duplicates(cJSON *doc)
{
	const cJSON *visits = cJSON_GetObjectItemCaseSensitive(doc, "visits");
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(doc, "models");
	const cJSON *a, *b;
	cJSON *out;
	folded *fa = malloc(2 * sizeof *fa), *fb;

	cJSON_DeleteItemFromObjectCaseSensitive(doc, "duplicates");
	if (!fa || !(out = cJSON_AddArrayToObject(doc, "duplicates"))) {
		free(fa);
		return -1;
	}
	fb = fa + 1;
	cJSON_ArrayForEach(a, visits) {
		fold_of(a, "leader", fa);
		for (b = a->next; b; b = b->next) {
			if (!str_eq(a, b, "direction") ||
			    !str_eq(a, b, "province") || !str_eq(a, b, "start"))
				continue;
			fold_of(b, "leader", fb);
			if (alike(fa, fb) &&
			    add_pair(out, "visit", a, b, "same direction, "
				     "province and start date; leaders "
				     "alike")) {
				free(fa);
				return -1;
			}
		}
	}
	cJSON_ArrayForEach(a, models) {
		for (b = a->next; b; b = b->next) {
			folded da, db;
			if (!str_eq(a, b, "province"))
				continue;
			fold_of(a, "crop", fa);
			fold_of(b, "crop", fb);
			if (!same(fa, fb) || !fa->n)
				continue;
			fold_of(a, "district", &da);
			fold_of(b, "district", &db);
			if (da.n && db.n && !same(&da, &db))
				continue;
			if (add_pair(out, "model", a, b, "same crop and "
				     "place")) {
				free(fa);
				return -1;
			}
		}
	}
	free(fa);
	return 0;
}
