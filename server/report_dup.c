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

/* The entries of list, each with its field folded once. NULL-ended
** pointers in *items, folds in *f; -1 when out of memory. */
static int fold_all(const cJSON *list, const char *field, const cJSON ***items,
		    folded **f, size_t *n)
{
	size_t i = 0, cnt = (size_t)cJSON_GetArraySize(list);
	const cJSON *e;

	*items = calloc(cnt + 1, sizeof **items);
	*f = calloc(cnt + 1, sizeof **f);
	*n = cnt;
	if (!*items || !*f)
		return -1;
	cJSON_ArrayForEach(e, list) {
		(*items)[i] = e;
		fold_of(e, field, &(*f)[i]);
		i++;
	}
	return 0;
}

int srv_report_duplicates(cJSON *doc)
{
	const cJSON *visits = cJSON_GetObjectItemCaseSensitive(doc, "visits");
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(doc, "models");
	const cJSON **vi = NULL, **mi = NULL, **di = NULL;
	folded *vf = NULL, *mf = NULL, *df = NULL;
	size_t nv = 0, nm = 0, nd = 0;
	cJSON *out;
	int rc = -1;

	cJSON_DeleteItemFromObjectCaseSensitive(doc, "duplicates");
	if (!(out = cJSON_AddArrayToObject(doc, "duplicates")) ||
	    fold_all(visits, "leader", &vi, &vf, &nv) ||
	    fold_all(models, "crop", &mi, &mf, &nm) ||
	    fold_all(models, "district", &di, &df, &nd))
		goto out;
	/* Pairs are compared on their plain fields first: folds only meet
	** when direction, province and date (a model: province) agree. */
	for (size_t a = 0; a < nv; a++)
		for (size_t b = a + 1; b < nv; b++)
			if (str_eq(vi[a], vi[b], "direction") &&
			    str_eq(vi[a], vi[b], "province") &&
			    str_eq(vi[a], vi[b], "start") &&
			    alike(&vf[a], &vf[b]) &&
			    add_pair(out, "visit", vi[a], vi[b], "same "
				     "direction, province and start date; "
				     "leaders alike"))
				goto out;
	for (size_t a = 0; a < nm; a++)
		for (size_t b = a + 1; b < nm; b++)
			if (str_eq(mi[a], mi[b], "province") && mf[a].n &&
			    same(&mf[a], &mf[b]) &&
			    (!df[a].n || !df[b].n || same(&df[a], &df[b])) &&
			    add_pair(out, "model", mi[a], mi[b], "same crop "
				     "and place"))
				goto out;
	rc = 0;
out:
	free(vi);
	free(vf);
	free(mi);
	free(mf);
	free(di);
	free(df);
	return rc;
}
