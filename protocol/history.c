/*
** This file contains the history entry of one applied change (history.h):
** the same bytes of story on the server and on every client.
*/
#include <limits.h>
#include <stdlib.h>
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

/* ---- the entry as text, without the tree ------------------------------
** Every value (names, strings, numbers, the values from the states and
** the change) is printed by cJSON's own printer from a node (the state's
** or change's node itself, or one on the stack), so the text is the one
** cJSON_PrintUnformatted writes for the tree by construction; only the
** punctuation between them is written here, in the tree's member order. */
struct text {
	char **buf;
	size_t *cap;
	size_t len;
	int failed;
};

static int grow(struct text *t, size_t need)
{
	size_t nc = *t->cap ? *t->cap : 1024;
	char *nb;

	if (t->len + need + 1 <= *t->cap)
		return 0;
	while (nc < t->len + need + 1) {
		if (nc > (size_t)INT_MAX / 2) {
			t->failed = 1;
			return -1;
		}
		nc *= 2;
	}
	if (!(nb = realloc(*t->buf, nc))) {
		t->failed = 1;
		return -1;
	}
	*t->buf = nb;
	*t->cap = nc;
	return 0;
}

static void put_raw(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->failed || grow(t, n))
		return;
	memcpy(*t->buf + t->len, s, n + 1);
	t->len += n;
}

/* v as cJSON prints it (its name, if any, is not printed). */
static void put_value(struct text *t, const cJSON *v)
{
	size_t room = 256;

	while (!t->failed) {
		size_t have;
		if (grow(t, room))
			return;
		have = *t->cap - t->len;
		/* cJSON wants a little slack beyond what it writes. */
		if (have > (size_t)INT_MAX)
			have = INT_MAX;
		if (cJSON_PrintPreallocated((cJSON *)(uintptr_t)v,
					    *t->buf + t->len, (int)have, 0)) {
			t->len += strlen(*t->buf + t->len);
			return;
		}
		room = have * 2;
	}
}

static void put_string(struct text *t, const char *s)
{
	cJSON n;

	memset(&n, 0, sizeof n);
	n.type = cJSON_String;
	n.valuestring = (char *)(uintptr_t)s;
	put_value(t, &n);
}

static void put_field(struct text *t, int first, const char *name,
		      const cJSON *before, const cJSON *after,
		      const cJSON *value, const proto_stamp *in)
{
	const cJSON *from = before ? proto_state_get(before, name, NULL)
				   : NULL;
	proto_stamp now;
	const cJSON *cur = proto_state_get(after, name, &now);
	int won = cur && proto_stamp_cmp(&now, in) == 0;

	put_raw(t, first ? "{\"field\":" : ",{\"field\":");
	put_string(t, name);
	put_raw(t, ",\"from\":");
	if (from)
		put_value(t, from);
	else
		put_raw(t, "null");
	put_raw(t, ",\"to\":");
	put_value(t, value);
	put_raw(t, won ? ",\"won\":true}" : ",\"won\":false}");
}

long proto_history_text(const cJSON *before, const cJSON *after,
			const proto_change *ch, const char *author_hex,
			char **buf, size_t *cap)
{
	char hlc[PROTO_HLC_HEX + 1];
	struct text t = {buf, cap, 0, 0};
	proto_stamp in;
	cJSON num, v;
	const char *reserved = NULL;
	int first = 1;

	in.hlc = ch->hlc;
	if (proto_hex_decode(in.device, PROTO_ID_BYTES, author_hex) != 0)
		memset(in.device, 0, sizeof in.device);
	proto_hlc_format(hlc, ch->hlc);
	memset(&num, 0, sizeof num);
	num.type = cJSON_Number;
	cJSON_SetNumberHelper(&num, (double)proto_hlc_ms(ch->hlc));
	put_raw(&t, "{\"hlc\":");
	put_string(&t, hlc);
	put_raw(&t, ",\"ms\":");
	put_value(&t, &num);
	put_raw(&t, ",\"device\":");
	put_string(&t, author_hex);
	put_raw(&t, ",\"op\":");
	put_string(&t, proto_op_name(ch->op));
	if (ch->reason) {
		put_raw(&t, ",\"reason\":");
		put_string(&t, ch->reason);
	}
	if (ch->to[0]) {
		put_raw(&t, ",\"to\":");
		put_string(&t, ch->to);
	}
	put_raw(&t, ",\"fields\":[");
	memset(&v, 0, sizeof v);
	switch (ch->op) {
	case PROTO_OP_CREATE:
		reserved = PROTO_OWNER_FIELD;
		v.type = cJSON_String;
		v.valuestring = (char *)(uintptr_t)author_hex;
		break;
	case PROTO_OP_HANDOVER:
		reserved = PROTO_OWNER_FIELD;
		v.type = cJSON_String;
		v.valuestring = (char *)(uintptr_t)ch->to;
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_RESTORE:
		reserved = PROTO_DELETED_FIELD;
		v.type = ch->op == PROTO_OP_DELETE ? cJSON_True : cJSON_False;
		break;
	case PROTO_OP_RETRACT:
		reserved = PROTO_RETRACTED_FIELD;
		v.type = cJSON_True;
		break;
	case PROTO_OP_UPDATE:
		break;
	}
	if (reserved) {
		put_field(&t, first, reserved, before, after, &v, &in);
		first = 0;
	}
	if (ch->fields)
		for (const cJSON *m = ch->fields->child; m; m = m->next) {
			put_field(&t, first, m->string, before, after, m, &in);
			first = 0;
		}
	put_raw(&t, "]}");
	return t.failed ? -1 : (long)t.len;
}
