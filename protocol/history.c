/*
** This file contains the history entry of one applied change (history.h):
** the same bytes of story on the server and on every client.
*/
#include <string.h>
#include "history.h"
#include "merge.h"

/* Add {"field","from","to","won"} for field name to arr. -1 on OOM. */
static int add_field(cJSON *arr, const char *name, const cJSON *before,
		     const cJSON *after, const cJSON *value,
		     const proto_stamp *in)
{
	const cJSON *from = before ? proto_state_get(before, name, NULL)
				   : NULL;
	proto_stamp now;
	const cJSON *cur = proto_state_get(after, name, &now);
	cJSON *o = cJSON_CreateObject();
	int won = cur && proto_stamp_cmp(&now, in) == 0;

	if (!o || !cJSON_AddItemToArray(arr, o) ||
	    !cJSON_AddStringToObject(o, "field", name) ||
	    !cJSON_AddItemToObject(o, "from", from ? cJSON_Duplicate(from, 1)
						   : cJSON_CreateNull()) ||
	    !cJSON_AddItemToObject(o, "to", cJSON_Duplicate(value, 1)) ||
	    !cJSON_AddBoolToObject(o, "won", won))
		return -1;
	return 0;
}

cJSON *proto_history_entry(const cJSON *before, const cJSON *after,
			   const proto_change *ch, const char *author_hex)
{
	char hlc[PROTO_HLC_HEX + 1];
	cJSON *e = cJSON_CreateObject(), *arr, *v = NULL;
	proto_stamp in;
	const char *reserved = NULL;

	if (!e)
		return NULL;
	in.hlc = ch->hlc;
	if (proto_hex_decode(in.device, PROTO_ID_BYTES, author_hex) != 0)
		memset(in.device, 0, sizeof in.device);
	proto_hlc_format(hlc, ch->hlc);
	if (!cJSON_AddStringToObject(e, "hlc", hlc) ||
	    !cJSON_AddNumberToObject(e, "ms", (double)proto_hlc_ms(ch->hlc)) ||
	    !cJSON_AddStringToObject(e, "device", author_hex) ||
	    !cJSON_AddStringToObject(e, "op", proto_op_name(ch->op)) ||
	    (ch->reason && !cJSON_AddStringToObject(e, "reason", ch->reason)) ||
	    (ch->to[0] && !cJSON_AddStringToObject(e, "to", ch->to)) ||
	    !(arr = cJSON_AddArrayToObject(e, "fields")))
		goto nomem;
	switch (ch->op) {
	case PROTO_OP_CREATE:
		reserved = PROTO_OWNER_FIELD;
		v = cJSON_CreateString(author_hex);
		break;
	case PROTO_OP_HANDOVER:
		reserved = PROTO_OWNER_FIELD;
		v = cJSON_CreateString(ch->to);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_RESTORE:
		reserved = PROTO_DELETED_FIELD;
		v = cJSON_CreateBool(ch->op == PROTO_OP_DELETE);
		break;
	case PROTO_OP_RETRACT:
		reserved = PROTO_RETRACTED_FIELD;
		v = cJSON_CreateTrue();
		break;
	case PROTO_OP_UPDATE:
		break;
	}
	if (reserved && (!v || add_field(arr, reserved, before, after, v,
					 &in)))
		goto nomem;
	cJSON_Delete(v);
	v = NULL;
	if (ch->fields)
		for (const cJSON *m = ch->fields->child; m; m = m->next)
			if (add_field(arr, m->string, before, after, m, &in))
				goto nomem;
	return e;
nomem:
	cJSON_Delete(v);
	cJSON_Delete(e);
	return NULL;
}
