/*
** This file contains refdump, a build-time helper: it prints the protocol's
** reference lists as JSON, each canonical (wire) name with its English
** label, {"province":{"Attapeu":"Attapeu",...},"sector":{"industry-trade":
** "industry and trade",...},...}, so that a web page shows a wire name in
** the reader's language: label from here, then the label's translation
** from the catalogs' dictionary (po/po2json.sh). One source: the table in
** protocol/records.c. Also the money styles of proto_money_format, under
** "money", so the dashboard writes amounts as the CLI does.
*/
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "protocol/records.h"

int main(void)
{
	const proto_ref_list *lists[] = {&proto_provinces, &proto_sectors,
					 &proto_specialties, &proto_directions,
					 &proto_levels, &proto_work_sectors,
					 &proto_work_statuses};
	cJSON *o = cJSON_CreateObject(), *kinds, *l;
	char *s;
	int ok = o != NULL;

	for (size_t i = 0; ok && i < sizeof lists / sizeof lists[0]; i++) {
		ok = (l = cJSON_AddObjectToObject(o, lists[i]->name)) != NULL;
		for (size_t j = 0; ok && j < lists[i]->count; j++)
			ok = cJSON_AddStringToObject(l, lists[i]->entries[j].name,
						     lists[i]->entries[j].label)
			     != NULL;
	}
	/* The kinds too: "visit" -> "Delegation visit". */
	ok = ok && (kinds = cJSON_AddObjectToObject(o, "kind")) != NULL;
	for (size_t i = 0; ok && i < proto_nkinds; i++)
		ok = cJSON_AddStringToObject(kinds, proto_kinds[i].name,
					     proto_kinds[i].label) != NULL;
	/* Each kind's fields: "fields":{"model":{"planned_ha":["Planned
	** area",null],"province":["Province","province"],...}}: the label,
	** and the reference list of an enum field, for a record's page. */
	ok = ok && (kinds = cJSON_AddObjectToObject(o, "fields")) != NULL;
	for (size_t i = 0; ok && i < proto_nkinds; i++) {
		const proto_kind_def *k = &proto_kinds[i];
		ok = (l = cJSON_AddObjectToObject(kinds, k->name)) != NULL;
		for (size_t j = 0; ok && j < k->nfields; j++) {
			cJSON *pair = cJSON_CreateArray();
			ok = pair && cJSON_AddItemToObject(l, k->fields[j].name,
							   pair) &&
			     cJSON_AddItemToArray(pair, cJSON_CreateString(
					     k->fields[j].label)) &&
			     cJSON_AddItemToArray(pair, k->fields[j].ref
					? cJSON_CreateString(k->fields[j].ref->name)
					: cJSON_CreateNull());
		}
	}
	/* How each language writes money (proto_money_format's styles):
	** "money":{"vi":{"group":".","point":",","unit":"đ","billion":
	** "tỷ đồng","million":"triệu đồng"},...}. */
	ok = ok && (kinds = cJSON_AddObjectToObject(o, "money")) != NULL;
	for (size_t i = 0; ok && i < 3; i++) {
		static const char *const langs[] = {"vi", "lo", "en"};
		const proto_money_style *st = proto_money_style_get(langs[i]);
		char g[2] = {st->group, 0}, pt[2] = {st->point, 0};
		ok = (l = cJSON_AddObjectToObject(kinds, langs[i])) != NULL &&
		     cJSON_AddStringToObject(l, "group", g) &&
		     cJSON_AddStringToObject(l, "point", pt) &&
		     cJSON_AddStringToObject(l, "unit", st->unit) &&
		     cJSON_AddStringToObject(l, "billion", st->billion) &&
		     cJSON_AddStringToObject(l, "million", st->million);
	}
	if (!ok || !(s = cJSON_PrintUnformatted(o))) {
		fputs("refdump: out of memory\n", stderr);
		return 1;
	}
	puts(s);
	free(s);
	cJSON_Delete(o);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
