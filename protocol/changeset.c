/*
** This file contains change and change-set encoding, strict decoding,
** hashing, signing, verification, the per-device hash chain, and device keys.
**
** CHANGE SET FORMAT (SPEC.md section "Change sets" is the full version)
**
** A change set is the UTF-8 JSON text
**
**   {"v":2,"device":"<32 hex>","seq":<1..2^53-1>,"prev":"<64 hex>",
**    "changes":[<change>,...]}
**
** with no whitespace when we encode it, and each change is
**
**   {"id":"<32 hex>","kind":"<kind>","op":"<op>","hlc":"<16 hex>",
**    "fields":{"<field>":<value>,...},"base":{"<field>":"<stamp>",...},
**    "to":"<32 hex>","reason":"<text>"}
**
** The hash is BLAKE2b-256 of those exact bytes; the signature is Ed25519
** over the 55-byte message "fieldsync changeset v2\n" || hash. Receivers
** never re-encode: they hash, verify and store the bytes they received.
*/
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <sodium.h>
#include "changeset.h"

static const char SET_DOMAIN[] = "fieldsync changeset v2\n";
static const char AUTH_DOMAIN[] = "fieldsync auth v2\n";
static const char SYNC_DOMAIN[] = "fieldsync sync v3\n";

const char *proto_op_name(proto_op op)
{
	switch (op) {
	case PROTO_OP_CREATE: return "create";
	case PROTO_OP_UPDATE: return "update";
	case PROTO_OP_DELETE: return "delete";
	case PROTO_OP_RESTORE: return "restore";
	case PROTO_OP_RETRACT: return "retract";
	case PROTO_OP_HANDOVER: return "handover";
	}
	return "?";
}

/* The kinds' wire names, comma-separated, for messages (from the table).
** Static storage, filled once; the table is constant. */
static const char *kind_names(void)
{
	static char buf[256];
	size_t off = 0;

	if (buf[0])
		return buf;
	for (size_t i = 0; i < proto_nkinds; i++) {
		int n = snprintf(buf + off, sizeof buf - off, "%s%s",
				 i ? ", " : "", proto_kinds[i].name);
		if (n < 0 || (size_t)n >= sizeof buf - off)
			break;
		off += (size_t)n;
	}
	return buf;
}

static int op_parse(const char *s, proto_op *op)
{
	if (strcmp(s, "create") == 0)
		*op = PROTO_OP_CREATE;
	else if (strcmp(s, "update") == 0)
		*op = PROTO_OP_UPDATE;
	else if (strcmp(s, "delete") == 0)
		*op = PROTO_OP_DELETE;
	else if (strcmp(s, "restore") == 0)
		*op = PROTO_OP_RESTORE;
	else if (strcmp(s, "retract") == 0)
		*op = PROTO_OP_RETRACT;
	else if (strcmp(s, "handover") == 0)
		*op = PROTO_OP_HANDOVER;
	else
		return -1;
	return 0;
}

/* A reason as it travels: text of 1..PROTO_MAX_TEXT_BYTES bytes, checked
** like a text field (valid UTF-8, no control characters but newline). */
static const proto_field_def reason_def = {
	"reason", PROTO_T_TEXT, 0, 0, 0, PROTO_MAX_TEXT_BYTES, NULL, NULL,
	"Reason", "why the record was changed"
};

/* The members every op carries (SPEC 5.2), apart from fields and base:
** "reason" and "to". */
static proto_code check_extras(const proto_change *c, proto_err *err)
{
	const proto_kind_def *k = c->kind;
	int want_to = c->op == PROTO_OP_HANDOVER;
	int need_reason = c->op == PROTO_OP_DELETE || c->op == PROTO_OP_RETRACT;

	if (c->op == PROTO_OP_CREATE && c->reason)
		return proto_fail(err, PROTO_E_OP, "create: \"reason\" not "
				  "allowed");
	if (need_reason && !c->reason)
		return proto_fail(err, PROTO_E_MISSING, "%s of a %s: \"reason\""
				  " missing (say why)", proto_op_name(c->op),
				  k->name);
	if (c->reason) {
		cJSON tmp;
		memset(&tmp, 0, sizeof tmp);
		tmp.type = cJSON_String;
		tmp.valuestring = (char *)c->reason;
		if (proto_field_check(&reason_def, &tmp, err) != PROTO_OK)
			return err ? err->code : PROTO_E_VALUE;
	}
	if (want_to && !c->to[0])
		return proto_fail(err, PROTO_E_MISSING, "handover: \"to\" "
				  "missing (the device that becomes the owner)");
	if (!want_to && c->to[0])
		return proto_fail(err, PROTO_E_OP, "%s: \"to\" is only for a "
				  "handover", proto_op_name(c->op));
	if (want_to && !proto_id_valid(c->to))
		return proto_fail(err, PROTO_E_FORMAT, "handover \"to\": not a "
				  "device id (32 lowercase hex digits)");
	return PROTO_OK;
}

/* The op rules shared by encode and decode: which members an op carries and
** what their values must be. fields/base may be NULL. */
static proto_code check_change(const proto_change *c, proto_err *err)
{
	const proto_kind_def *k = c->kind;
	proto_code rc;

	if (!k)
		return proto_fail(err, PROTO_E_UNKNOWN_KIND, "change has no "
				  "kind");
	if (!proto_id_valid(c->id))
		return proto_fail(err, PROTO_E_FORMAT, "change \"id\": not a "
				  "record id (32 lowercase hex digits)");
	/* Observations are appended, corrected by HQ (update) or retracted;
	** other records are deleted, restored and handed over, never
	** retracted. */
	if (k->append_only && (c->op == PROTO_OP_DELETE ||
			       c->op == PROTO_OP_RESTORE ||
			       c->op == PROTO_OP_HANDOVER))
		return proto_fail(err, PROTO_E_OP, "%s records are append-only:"
				  " op \"%s\" not allowed; allowed: create, "
				  "update (by HQ), retract", k->name,
				  proto_op_name(c->op));
	if (!k->append_only && c->op == PROTO_OP_RETRACT)
		return proto_fail(err, PROTO_E_OP, "op \"retract\" is only for "
				  "observations; a %s is deleted instead",
				  k->name);
	if (c->op == PROTO_OP_CREATE || c->op == PROTO_OP_UPDATE) {
		rc = check_extras(c, err);
		if (rc != PROTO_OK)
			return rc;
	}
	switch (c->op) {
	case PROTO_OP_CREATE:
		if (!c->fields)
			return proto_fail(err, PROTO_E_MISSING, "create of a "
					  "%s: \"fields\" missing", k->name);
		if (c->base)
			return proto_fail(err, PROTO_E_OP, "create: \"base\" "
					  "not allowed (nothing was seen "
					  "before a create)");
		return proto_record_check(k, c->fields, 1, err);
	case PROTO_OP_UPDATE:
		if (!c->fields)
			return proto_fail(err, PROTO_E_MISSING, "update of a "
					  "%s: \"fields\" missing", k->name);
		if (!cJSON_IsObject(c->fields) || !c->fields->child)
			return proto_fail(err, PROTO_E_MISSING, "update of a "
					  "%s: \"fields\" must name at least "
					  "one field", k->name);
		rc = proto_record_check(k, c->fields, 0, err);
		if (rc != PROTO_OK)
			return rc;
		if (c->base) {
			if (!cJSON_IsObject(c->base))
				return proto_fail(err, PROTO_E_TYPE, "\"base\" "
						  "must be an object");
			for (const cJSON *b = c->base->child; b; b = b->next) {
				proto_stamp st;
				if (!cJSON_GetObjectItemCaseSensitive(
					    c->fields, b->string))
					return proto_fail(err,
						PROTO_E_UNKNOWN_FIELD,
						"\"base\" names \"%.60s\", "
						"which the update does not "
						"write", b->string);
				if (!cJSON_IsString(b) ||
				    proto_stamp_parse(b->valuestring, &st))
					return proto_fail(err, PROTO_E_FORMAT,
						"\"base\".\"%.60s\": expected a "
						"stamp \"<16 hex>-<32 hex>\"",
						b->string);
			}
		}
		return PROTO_OK;
	case PROTO_OP_DELETE:
	case PROTO_OP_RESTORE:
	case PROTO_OP_RETRACT:
	case PROTO_OP_HANDOVER:
		if (c->fields || c->base)
			return proto_fail(err, PROTO_E_OP, "%s carries no "
					  "\"fields\" and no \"base\"",
					  proto_op_name(c->op));
		return check_extras(c, err);
	}
	return proto_fail(err, PROTO_E_OP, "unknown op");
}

/* Copy the members of src into a new object in the kind's table order. */
static cJSON *ordered_copy(const proto_kind_def *k, const cJSON *src)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	for (size_t i = 0; i < k->nfields; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(
			src, k->fields[i].name);
		cJSON *dup;
		if (!v)
			continue;
		dup = cJSON_Duplicate(v, 1);
		if (!dup || !cJSON_AddItemToObject(o, k->fields[i].name, dup)) {
			cJSON_Delete(dup);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

proto_code proto_change_encode(const proto_change *c, char **out,
			       size_t *outlen, proto_err *err)
{
	char hlc[PROTO_HLC_HEX + 1];
	cJSON *o = NULL, *f;
	proto_code rc;
	char *text;

	*out = NULL;
	if (outlen)
		*outlen = 0;
	proto_err_clear(err);
	rc = check_change(c, err);
	if (rc != PROTO_OK)
		return rc;
	proto_hlc_format(hlc, c->hlc);
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "id", c->id) ||
	    !cJSON_AddStringToObject(o, "kind", c->kind->name) ||
	    !cJSON_AddStringToObject(o, "op", proto_op_name(c->op)) ||
	    !cJSON_AddStringToObject(o, "hlc", hlc))
		goto nomem;
	if (c->fields) {
		f = ordered_copy(c->kind, c->fields);
		if (!f || !cJSON_AddItemToObject(o, "fields", f)) {
			cJSON_Delete(f);
			goto nomem;
		}
	}
	if (c->base && c->base->child) {
		f = ordered_copy(c->kind, c->base);
		if (!f || !cJSON_AddItemToObject(o, "base", f)) {
			cJSON_Delete(f);
			goto nomem;
		}
	}
	if (c->to[0] && !cJSON_AddStringToObject(o, "to", c->to))
		goto nomem;
	if (c->reason && !cJSON_AddStringToObject(o, "reason", c->reason))
		goto nomem;
	text = cJSON_PrintUnformatted(o);
	if (!text)
		goto nomem;
	cJSON_Delete(o);
	*out = text;
	if (outlen)
		*outlen = strlen(text);
	return PROTO_OK;
nomem:
	cJSON_Delete(o);
	return proto_fail(err, PROTO_E_NOMEM, "out of memory encoding a "
			  "change");
}

/* {"v":2,"device":"<32>","seq":<up to 16 digits>,"prev":"<64>","changes":[ ]} */
#define SET_HEADER_MAX (8 + 10 + 32 + 8 + 16 + 9 + 64 + 13 + 2)

size_t proto_set_encoded_size(size_t n, size_t change_bytes)
{
	return SET_HEADER_MAX + change_bytes + (n ? n - 1 : 0);
}

proto_code proto_set_encode(const uint8_t device[PROTO_ID_BYTES], int64_t seq,
			    const uint8_t prev[PROTO_HASH_BYTES],
			    const char *const *changes, const size_t *lens,
			    size_t n, char **out, size_t *outlen,
			    proto_err *err)
{
	char dev[PROTO_ID_HEX + 1], ph[PROTO_HASH_HEX + 1];
	size_t total = 0, off;
	char *buf;
	int w;

	*out = NULL;
	if (outlen)
		*outlen = 0;
	proto_err_clear(err);
	if (n == 0)
		return proto_fail(err, PROTO_E_MISSING, "a change set holds at "
				  "least one change");
	if (n > PROTO_MAX_CHANGES)
		return proto_fail(err, PROTO_E_TOO_MANY, "%zu changes in one "
				  "set; at most %d allowed", n,
				  PROTO_MAX_CHANGES);
	if (seq < 1 || seq > PROTO_MAX_SEQ)
		return proto_fail(err, PROTO_E_RANGE, "\"seq\": %lld out of "
				  "range 1 to 2^53-1", (long long)seq);
	for (size_t i = 0; i < n; i++)
		total += lens[i];
	if (total > PROTO_MAX_SET_BYTES)
		return proto_fail(err, PROTO_E_TOO_LARGE, "change set of %zu "
				  "bytes; at most %u allowed", total,
				  PROTO_MAX_SET_BYTES);
	buf = malloc(proto_set_encoded_size(n, total) + 1);
	if (!buf)
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	proto_hex_encode(dev, device, PROTO_ID_BYTES);
	proto_hex_encode(ph, prev, PROTO_HASH_BYTES);
	w = snprintf(buf, SET_HEADER_MAX + 1,
		     "{\"v\":%d,\"device\":\"%s\",\"seq\":%lld,\"prev\":\"%s\","
		     "\"changes\":[", PROTO_VERSION, dev, (long long)seq, ph);
	if (w < 0 || w >= SET_HEADER_MAX) {
		free(buf);
		return proto_fail(err, PROTO_E_NOMEM, "set header overflow");
	}
	off = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf[off++] = ',';
		memcpy(buf + off, changes[i], lens[i]);
		off += lens[i];
	}
	buf[off++] = ']';
	buf[off++] = '}';
	buf[off] = '\0';
	if (off > PROTO_MAX_SET_BYTES) {
		free(buf);
		return proto_fail(err, PROTO_E_TOO_LARGE, "change set of %zu "
				  "bytes; at most %u allowed", off,
				  PROTO_MAX_SET_BYTES);
	}
	*out = buf;
	if (outlen)
		*outlen = off;
	return PROTO_OK;
}

void proto_set_free(proto_set *set)
{
	if (!set)
		return;
	cJSON_Delete(set->root);
	free(set->changes);
	memset(set, 0, sizeof *set);
}

/* Only the names in `allowed` (NULL-terminated) may appear in object o. */
static proto_code only_members(const cJSON *o, const char *const *allowed,
			       const char *what, proto_err *err)
{
	for (const cJSON *m = o->child; m; m = m->next) {
		int ok = 0;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], m->string) == 0)
				ok = 1;
		if (!ok)
			return proto_fail(err, PROTO_E_UNKNOWN_FIELD,
					  "%s: unknown member \"%.60s\"", what,
					  m->string);
	}
	return PROTO_OK;
}

static proto_code get_string(const cJSON *o, const char *name,
			     const char *what, const cJSON **out,
			     proto_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	*out = NULL;
	if (!v)
		return proto_fail(err, PROTO_E_MISSING, "%s: \"%s\" missing",
				  what, name);
	if (!cJSON_IsString(v) || !v->valuestring)
		return proto_fail(err, PROTO_E_TYPE, "%s: \"%s\" must be a "
				  "string", what, name);
	*out = v;
	return PROTO_OK;
}

static proto_code decode_change(const cJSON *o, proto_change *c,
				proto_err *err)
{
	static const char *const allowed[] = {"id", "kind", "op", "hlc",
					      "fields", "base", "to",
					      "reason", NULL};
	const cJSON *id, *kind, *op, *hlc, *to, *reason;
	proto_code rc;

	memset(c, 0, sizeof *c);
	if (!cJSON_IsObject(o))
		return proto_fail(err, PROTO_E_TYPE, "change must be an "
				  "object");
	rc = only_members(o, allowed, "change", err);
	if (rc == PROTO_OK)
		rc = get_string(o, "id", "change", &id, err);
	if (rc == PROTO_OK)
		rc = get_string(o, "kind", "change", &kind, err);
	if (rc == PROTO_OK)
		rc = get_string(o, "op", "change", &op, err);
	if (rc == PROTO_OK)
		rc = get_string(o, "hlc", "change", &hlc, err);
	if (rc != PROTO_OK)
		return rc;
	if (!proto_id_valid(id->valuestring))
		return proto_fail(err, PROTO_E_FORMAT, "change \"id\": \"%.40s\""
				  " is not 32 lowercase hex digits",
				  id->valuestring);
	memcpy(c->id, id->valuestring, PROTO_ID_HEX + 1);
	c->kind = proto_kind_find(kind->valuestring);
	if (!c->kind || strcmp(c->kind->name, kind->valuestring) != 0)
		return proto_fail(err, PROTO_E_UNKNOWN_KIND, "unknown kind "
				  "\"%.40s\"; allowed: %s", kind->valuestring,
				  kind_names());
	if (op_parse(op->valuestring, &c->op) != 0)
		return proto_fail(err, PROTO_E_OP, "unknown op \"%.40s\"; "
				  "allowed: create, update, delete, restore, "
				  "retract, handover", op->valuestring);
	if (proto_hlc_parse(hlc->valuestring, &c->hlc) != 0)
		return proto_fail(err, PROTO_E_FORMAT, "change \"hlc\": "
				  "\"%.40s\" is not 16 lowercase hex digits",
				  hlc->valuestring);
	c->fields = cJSON_GetObjectItemCaseSensitive(o, "fields");
	c->base = cJSON_GetObjectItemCaseSensitive(o, "base");
	if (c->fields && !cJSON_IsObject(c->fields))
		return proto_fail(err, PROTO_E_TYPE, "change \"fields\" must "
				  "be an object");
	to = cJSON_GetObjectItemCaseSensitive(o, "to");
	if (to) {
		if (!cJSON_IsString(to))
			return proto_fail(err, PROTO_E_TYPE, "change \"to\" "
					  "must be a string");
		if (!proto_id_valid(to->valuestring))
			return proto_fail(err, PROTO_E_FORMAT, "change \"to\": "
					  "\"%.40s\" is not a device id (32 "
					  "lowercase hex digits)",
					  to->valuestring);
		memcpy(c->to, to->valuestring, PROTO_ID_HEX + 1);
	}
	reason = cJSON_GetObjectItemCaseSensitive(o, "reason");
	if (reason) {
		if (!cJSON_IsString(reason))
			return proto_fail(err, PROTO_E_TYPE, "change \"reason\" "
					  "must be a string");
		c->reason = reason->valuestring;
	}
	return check_change(c, err);
}

proto_code proto_change_decode(const char *bytes, size_t len, cJSON **root,
			       proto_change *out, proto_err *err)
{
	proto_code rc;

	*root = NULL;
	memset(out, 0, sizeof *out);
	proto_err_clear(err);
	if (len > PROTO_MAX_SET_BYTES)
		return proto_fail(err, PROTO_E_TOO_LARGE, "change of %zu bytes;"
				  " at most %u allowed", len,
				  PROTO_MAX_SET_BYTES);
	rc = proto_json_parse(bytes, len, root, err);
	if (rc != PROTO_OK)
		return rc;
	rc = decode_change(*root, out, err);
	if (rc != PROTO_OK) {
		cJSON_Delete(*root);
		*root = NULL;
		memset(out, 0, sizeof *out);
	}
	return rc;
}

/* The set's "seq" (SPEC 6.3 step 6), one code per condition: absent is
** missing_field; not a number, or a number with a fraction, wrong_type (as
** for every integer, SPEC 3.1); a whole number outside 1..2^53-1,
** out_of_range. */
static proto_code seq_get(const cJSON *root, int64_t *out, proto_err *err)
{
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(root, "seq");
	double x;

	*out = 0;
	if (!seq)
		return proto_fail(err, PROTO_E_MISSING, "change set: \"seq\" "
				  "missing");
	if (!cJSON_IsNumber(seq))
		return proto_fail(err, PROTO_E_TYPE, "change set: \"seq\" must "
				  "be a whole number, not %s", cJSON_IsString(seq)
				  ? "a string" : "this JSON type");
	x = seq->valuedouble;
	if (x != floor(x))
		return proto_fail(err, PROTO_E_TYPE, "change set \"seq\": %g is "
				  "not a whole number", x);
	if (x < 1 || x > (double)PROTO_MAX_SEQ)
		return proto_fail(err, PROTO_E_RANGE, "change set \"seq\": %g; "
				  "allowed a whole number from 1 to 2^53-1", x);
	*out = (int64_t)x;
	return PROTO_OK;
}

/* The seq a refusal can name (SPEC 10.2): that of a root that is an object
** with "v" 1 and a valid "seq", whichever check failed; else 0. */
static int64_t readable_seq(const cJSON *root)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "v");
	int64_t seq;

	if (!cJSON_IsObject(root) || !cJSON_IsNumber(v) ||
	    v->valuedouble != PROTO_VERSION)
		return 0;
	return seq_get(root, &seq, NULL) == PROTO_OK ? seq : 0;
}

proto_code proto_set_decode(const char *bytes, size_t len, proto_set *out,
			    proto_err *err)
{
	static const char *const allowed[] = {"v", "device", "seq", "prev",
					      "changes", NULL};
	const cJSON *v, *device, *prev, *changes, *c;
	cJSON *root = NULL;
	proto_code rc;
	size_t n, i;

	memset(out, 0, sizeof *out);
	proto_err_clear(err);
	if (len > PROTO_MAX_SET_BYTES)
		return proto_fail(err, PROTO_E_TOO_LARGE, "change set of %zu "
				  "bytes; at most %u allowed", len,
				  PROTO_MAX_SET_BYTES);
	rc = proto_json_parse(bytes, len, &root, err);
	if (rc != PROTO_OK)
		return rc;
	if (!cJSON_IsObject(root)) {
		rc = proto_fail(err, PROTO_E_TYPE, "a change set must be a "
				"JSON object");
		goto fail;
	}
	rc = only_members(root, allowed, "change set", err);
	if (rc != PROTO_OK)
		goto fail;
	v = cJSON_GetObjectItemCaseSensitive(root, "v");
	if (!v) {
		rc = proto_fail(err, PROTO_E_MISSING, "change set: \"v\" "
				"missing");
		goto fail;
	}
	if (!cJSON_IsNumber(v)) {
		rc = proto_fail(err, PROTO_E_TYPE, "change set: \"v\" must be "
				"a number");
		goto fail;
	}
	if (v->valuedouble != PROTO_VERSION) {
		rc = proto_fail(err, PROTO_E_VERSION, "change set version %g "
				"not supported; this side speaks version %d "
				"only (upgrade the older side)",
				v->valuedouble, PROTO_VERSION);
		goto fail;
	}
	rc = get_string(root, "device", "change set", &device, err);
	if (rc == PROTO_OK)
		rc = get_string(root, "prev", "change set", &prev, err);
	if (rc != PROTO_OK)
		goto fail;
	if (proto_hex_decode(out->device, PROTO_ID_BYTES,
			     device->valuestring) != 0) {
		rc = proto_fail(err, PROTO_E_FORMAT, "change set \"device\": "
				"not 32 lowercase hex digits");
		goto fail;
	}
	memcpy(out->device_hex, device->valuestring, PROTO_ID_HEX + 1);
	if (proto_hex_decode(out->prev, PROTO_HASH_BYTES,
			     prev->valuestring) != 0) {
		rc = proto_fail(err, PROTO_E_FORMAT, "change set \"prev\": "
				"not 64 lowercase hex digits");
		goto fail;
	}
	rc = seq_get(root, &out->seq, err);
	if (rc != PROTO_OK)
		goto fail;
	changes = cJSON_GetObjectItemCaseSensitive(root, "changes");
	if (!changes) {
		rc = proto_fail(err, PROTO_E_MISSING, "change set: \"changes\" "
				"missing");
		goto fail;
	}
	if (!cJSON_IsArray(changes)) {
		rc = proto_fail(err, PROTO_E_TYPE, "change set: \"changes\" "
				"must be an array");
		goto fail;
	}
	n = (size_t)cJSON_GetArraySize(changes);
	if (n == 0) {
		rc = proto_fail(err, PROTO_E_MISSING, "change set: \"changes\""
				" is empty; at least one change required");
		goto fail;
	}
	if (n > PROTO_MAX_CHANGES) {
		rc = proto_fail(err, PROTO_E_TOO_MANY, "change set holds %zu "
				"changes; at most %d allowed", n,
				PROTO_MAX_CHANGES);
		goto fail;
	}
	out->changes = calloc(n, sizeof *out->changes);
	if (!out->changes) {
		rc = proto_fail(err, PROTO_E_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0, c = changes->child; c; c = c->next, i++) {
		rc = decode_change(c, &out->changes[i], err);
		if (rc == PROTO_OK && i > 0 &&
		    out->changes[i].hlc <= out->changes[i - 1].hlc)
			rc = proto_fail(err, PROTO_E_HLC_ORDER, "change %zu: "
					"hlc not greater than the previous "
					"change's; HLCs must strictly increase",
					i);
		if (rc != PROTO_OK) {
			if (err) {
				char tmp[sizeof err->msg];
				memcpy(tmp, err->msg, sizeof tmp);
				snprintf(err->msg, sizeof err->msg,
					 "change %zu: %.280s", i, tmp);
				err->index = (int)i;
			}
			goto fail;
		}
	}
	out->nchanges = n;
	out->root = root;
	return PROTO_OK;
fail:
	if (err)
		err->seq = readable_seq(root);
	free(out->changes);
	cJSON_Delete(root);
	memset(out, 0, sizeof *out);
	return rc;
}

void proto_set_hash(const char *bytes, size_t len,
		    uint8_t out[PROTO_HASH_BYTES])
{
	crypto_generichash(out, PROTO_HASH_BYTES, (const unsigned char *)bytes,
			   len, NULL, 0);
}

/* The signed message: domain prefix (no NUL) followed by the raw hash. */
static size_t signed_message(const char *bytes, size_t len,
			     unsigned char msg[sizeof SET_DOMAIN - 1 +
					       PROTO_HASH_BYTES])
{
	memcpy(msg, SET_DOMAIN, sizeof SET_DOMAIN - 1);
	proto_set_hash(bytes, len, msg + sizeof SET_DOMAIN - 1);
	return sizeof SET_DOMAIN - 1 + PROTO_HASH_BYTES;
}

void proto_set_sign(const char *bytes, size_t len,
		    const uint8_t sk[PROTO_SK_BYTES],
		    uint8_t sig[PROTO_SIG_BYTES])
{
	unsigned char msg[sizeof SET_DOMAIN - 1 + PROTO_HASH_BYTES];
	size_t n = signed_message(bytes, len, msg);

	crypto_sign_detached(sig, NULL, msg, n, sk);
}

proto_code proto_set_verify(const char *bytes, size_t len,
			    const uint8_t *sig, size_t siglen,
			    const uint8_t pk[PROTO_PK_BYTES], proto_err *err)
{
	unsigned char msg[sizeof SET_DOMAIN - 1 + PROTO_HASH_BYTES];
	size_t n;

	proto_err_clear(err);
	if (!sig || siglen != PROTO_SIG_BYTES)
		return proto_fail(err, PROTO_E_SIG_LENGTH, "signature is %zu "
				  "bytes; Ed25519 signatures are %d bytes",
				  sig ? siglen : 0, PROTO_SIG_BYTES);
	n = signed_message(bytes, len, msg);
	if (crypto_sign_verify_detached(sig, msg, n, pk) != 0)
		return proto_fail(err, PROTO_E_BAD_SIG, "signature does not "
				  "match the change set's bytes and the "
				  "device's public key");
	return PROTO_OK;
}

proto_code proto_set_verify_hex(const char *bytes, size_t len,
				const char *sighex,
				const uint8_t pk[PROTO_PK_BYTES],
				proto_err *err)
{
	uint8_t sig[PROTO_SIG_BYTES];

	proto_err_clear(err);
	if (!sighex || proto_hex_decode(sig, PROTO_SIG_BYTES, sighex) != 0)
		return proto_fail(err, PROTO_E_SIG_LENGTH, "signature must be "
				  "%d lowercase hex digits (%d bytes); got %zu "
				  "characters", PROTO_SIG_HEX, PROTO_SIG_BYTES,
				  sighex ? strlen(sighex) : 0);
	return proto_set_verify(bytes, len, sig, sizeof sig, pk, err);
}

proto_code proto_chain_check(int64_t held_seq,
			     const uint8_t held_hash[PROTO_HASH_BYTES],
			     const proto_set *set, int *is_next,
			     proto_err *err)
{
	static const uint8_t zeros[PROTO_HASH_BYTES];

	*is_next = 0;
	proto_err_clear(err);
	if (held_seq == 0)
		held_hash = zeros;
	if (set->seq <= held_seq)
		return PROTO_OK;
	if (set->seq > held_seq + 1)
		return proto_fail(err, PROTO_E_SEQ_GAP, "change set %lld "
				  "arrived but %lld is the next expected: "
				  "sets %lld to %lld are missing",
				  (long long)set->seq, (long long)held_seq + 1,
				  (long long)held_seq + 1,
				  (long long)set->seq - 1);
	if (sodium_memcmp(set->prev, held_hash, PROTO_HASH_BYTES) != 0)
		return proto_fail(err, PROTO_E_CHAIN, "change set %lld: "
				  "\"prev\" is not the hash of set %lld",
				  (long long)set->seq, (long long)held_seq);
	*is_next = 1;
	return PROTO_OK;
}

void proto_keypair(uint8_t pk[PROTO_PK_BYTES], uint8_t sk[PROTO_SK_BYTES])
{
	crypto_sign_keypair(pk, sk);
}

void proto_device_id(const uint8_t pk[PROTO_PK_BYTES],
		     uint8_t id[PROTO_ID_BYTES])
{
	crypto_generichash(id, PROTO_ID_BYTES, pk, PROTO_PK_BYTES, NULL, 0);
}

void proto_id_new(char out[PROTO_ID_HEX + 1])
{
	uint8_t raw[PROTO_ID_BYTES];

	randombytes_buf(raw, sizeof raw);
	proto_hex_encode(out, raw, sizeof raw);
}

/* Ed25519 over domain || text (the challenge or ticket as it came). */
static void sign_text(const char *domain, const char *text,
		      const uint8_t sk[PROTO_SK_BYTES],
		      char sighex[PROTO_SIG_HEX + 1])
{
	size_t dlen = strlen(domain), clen = strlen(text);
	size_t n = dlen + clen;
	unsigned char *msg = malloc(n ? n : 1);
	uint8_t sig[PROTO_SIG_BYTES];

	if (!msg) {
		/* Cannot sign without memory: produce an all-zero signature,
		** which never verifies, rather than crash. */
		memset(sig, 0, sizeof sig);
	} else {
		memcpy(msg, domain, dlen);
		memcpy(msg + dlen, text, clen);
		crypto_sign_detached(sig, NULL, msg, n, sk);
		free(msg);
	}
	proto_hex_encode(sighex, sig, sizeof sig);
}

static proto_code verify_text(const char *domain, const char *what,
			      const char *text, const char *sighex,
			      const uint8_t pk[PROTO_PK_BYTES], proto_err *err)
{
	uint8_t sig[PROTO_SIG_BYTES];
	size_t dlen = strlen(domain), clen, n;
	unsigned char *msg;
	int bad;

	proto_err_clear(err);
	if (!text)
		return proto_fail(err, PROTO_E_MISSING, "%s missing", what);
	if (!sighex || proto_hex_decode(sig, sizeof sig, sighex) != 0)
		return proto_fail(err, PROTO_E_SIG_LENGTH, "signature must be "
				  "%d lowercase hex digits", PROTO_SIG_HEX);
	clen = strlen(text);
	n = dlen + clen;
	msg = malloc(n);
	if (!msg)
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	memcpy(msg, domain, dlen);
	memcpy(msg + dlen, text, clen);
	bad = crypto_sign_verify_detached(sig, msg, n, pk);
	free(msg);
	if (bad)
		return proto_fail(err, PROTO_E_BAD_SIG, "%s signature does not "
				  "verify with the device's key", what);
	return PROTO_OK;
}

void proto_auth_sign(const char *challenge, const uint8_t sk[PROTO_SK_BYTES],
		     char sighex[PROTO_SIG_HEX + 1])
{
	sign_text(AUTH_DOMAIN, challenge, sk, sighex);
}

proto_code proto_auth_verify(const char *challenge, const char *sighex,
			     const uint8_t pk[PROTO_PK_BYTES], proto_err *err)
{
	return verify_text(AUTH_DOMAIN, "challenge", challenge, sighex, pk,
			   err);
}

void proto_sync_sign(const char *ticket, const uint8_t sk[PROTO_SK_BYTES],
		     char sighex[PROTO_SIG_HEX + 1])
{
	sign_text(SYNC_DOMAIN, ticket, sk, sighex);
}

proto_code proto_sync_verify(const char *ticket, const char *sighex,
			     const uint8_t pk[PROTO_PK_BYTES], proto_err *err)
{
	return verify_text(SYNC_DOMAIN, "ticket", ticket, sighex, pk, err);
}
