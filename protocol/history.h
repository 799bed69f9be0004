/*
** This file contains a record's history as every replica writes it (SPEC.md
** 9.7): one entry per change applied, made from the state before and after
** the merge, so that client and server tell the same story of a record —
** who, when, which fields from what to what, and whether the write won.
**
**   {"hlc":"<16 hex>","ms":<HLC wall clock, ms>,"device":"<32 hex>",
**    "op":"update","reason":"...","to":"<32 hex>",
**    "fields":[{"field":"sown_ha","from":38,"to":3.8,"won":true},...]}
**
** "reason" and "to" appear when the change carries them. "fields" lists the
** fields the change wrote, the reserved ones (_owner, _deleted, _retracted)
** included; "from" is the value the replica held before (null: none), "won"
** whether the change's value is now the field's value (false: a higher
** stamp already held it).
*/
#ifndef FIELDSYNC_HISTORY_H
#define FIELDSYNC_HISTORY_H
#include <cjson/cJSON.h>
#include "changeset.h"

/* The history entry of ch, by author_hex, that turned before (NULL: no
** record yet) into after. New tree the caller frees; NULL when out of
** memory. */
cJSON *proto_history_entry(const cJSON *before, const cJSON *after,
			   const proto_change *ch, const char *author_hex);

/* The same entry as text, byte for byte what cJSON_PrintUnformatted gives
** for proto_history_entry's tree, written without building the tree (a
** pull applies one per change: the tree cost more than the insert). The
** text goes to *buf, NUL-terminated, which holds *cap bytes and is grown
** with realloc as needed (both may start NULL/0; the caller frees *buf).
** Returns the text's length, or -1 when out of memory (*buf stays valid
** to free). */
long proto_history_text(const cJSON *before, const cJSON *after,
			const proto_change *ch, const char *author_hex,
			char **buf, size_t *cap);
#endif
