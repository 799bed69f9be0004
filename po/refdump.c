/*
** This file contains refdump, a build-time helper: it prints the protocol's
** reference lists as JSON, each canonical (wire) name with its English
** label, {"province":{"Attapeu":"Attapeu",...},"sector":{"industry-trade":
** "industry and trade",...},...}, so that a web page shows a wire name in
** the reader's language: label from here, then the label's translation
** from the catalogs' dictionary (po/po2json.sh). One source: the table in
** protocol/records.c.
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
	if (!ok || !(s = cJSON_PrintUnformatted(o))) {
		fputs("refdump: out of memory\n", stderr);
		return 1;
	}
	puts(s);
	free(s);
	cJSON_Delete(o);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
