/*
** This file contains the form helpers of libfieldsync (fieldsync_form.h):
** checking a whole form at once, soft warnings, and search. Nothing here
** writes: the checks run the same parsers and record rules as add and edit
** (proto_field_parse, proto_record_check), so a form that passes here is
** one those accept, and their messages are the library's own.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "protocol/i18n.h"
#include "protocol/soft.h"

static int add_item(cJSON *arr, const char *field, const char *code,
		    const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -1;
	}
	if (!(field ? cJSON_AddStringToObject(o, "field", field)
		    : cJSON_AddNullToObject(o, "field")) ||
	    !cJSON_AddStringToObject(o, "code", code) ||
	    !cJSON_AddStringToObject(o, "message", msg))
		return -1;
	return 0;
}

/* Values of the parent record an id field of k names, and of that parent's
** latest child of kind k (both may end NULL). */
static int load_parent(fieldsync *fs, const proto_kind_def *k,
		       const cJSON *values, cJSON **parent_rec,
		       const cJSON **parent, const cJSON **latest)
{
	*parent_rec = NULL;
	*parent = *latest = NULL;
	for (size_t i = 0; i < k->nfields; i++) {
		const proto_field_def *f = &k->fields[i];
		const cJSON *v;
		const cJSON *child, *l;
		int rc;
		if (f->type != PROTO_T_ID || !proto_kind_find(f->name))
			continue;
		v = cJSON_GetObjectItemCaseSensitive(values, f->name);
		if (!cJSON_IsString(v))
			continue;
		if ((rc = fieldsync_show(fs, v->valuestring, parent_rec)))
			return rc;
		*parent = cJSON_GetObjectItemCaseSensitive(*parent_rec,
							   "fields");
		child = cJSON_GetObjectItemCaseSensitive(*parent_rec, k->name);
		l = cJSON_GetObjectItemCaseSensitive(child, "latest");
		if (cJSON_IsObject(l))
			*latest = cJSON_GetObjectItemCaseSensitive(l, "fields");
		return FIELDSYNC_OK;
	}
	return FIELDSYNC_OK;
}

/* Parse the typed fields into values (canonical), reporting every fault
** into errors. Each goes through fieldsync_field_parse, the path add and
** edit take (input as people type it, then the protocol's strict parse). */
static int parse_all(fieldsync *fs, const proto_kind_def *k,
		     const fieldsync_field *in, size_t n, cJSON *values,
		     cJSON *errors)
{
	for (size_t i = 0; i < n; i++) {
		const proto_field_def *f = proto_field_find(k, in[i].name);
		const char *text = in[i].text ? in[i].text : "";
		cJSON *v = NULL;
		char msg[400];
		int rc;
		if (!f) {
			snprintf(msg, sizeof msg, _("a %s has no field "
				 "\"%.60s\""), k->name, in[i].name ?
				 in[i].name : "");
			if (add_item(errors, NULL, "unknown_field", msg))
				return FIELDSYNC_E_NOMEM;
			continue;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(values, f->name);
		if (!text[strspn(text, " \t\r\n")]) {
			if (f->required && add_item(errors, f->name,
					"missing_field",
					_("This field is required.")))
				return FIELDSYNC_E_NOMEM;
			continue;
		}
		rc = fieldsync_field_parse(fs, k->name, f->name, text, &v);
		if (rc == FIELDSYNC_E_NOMEM)
			return rc;
		if (rc) {
			const char *d = fieldsync_errdetail(fs);
			if (add_item(errors, f->name, fieldsync_status_name(rc),
				     d && *d ? d : fieldsync_errmsg(fs)))
				return FIELDSYNC_E_NOMEM;
			continue;
		}
		cJSON_AddItemToObject(values, f->name, v);
	}
	return FIELDSYNC_OK;
}

/* The sentence a person reads for a soft warning. */
static void soft_text(const proto_kind_def *k, const proto_soft *w,
		      char *msg, size_t n)
{
	const proto_field_def *f, *o;

	switch (w->code) {
	case PROTO_SOFT_FUTURE:
		snprintf(msg, n, _("The date %s is in the future (today is "
			 "%s)."), w->value, w->limit);
		return;
	case PROTO_SOFT_ABOVE_PLAN:
		snprintf(msg, n, _("%s is more than the %s planned."),
			 w->value, w->limit);
		return;
	case PROTO_SOFT_OLDER:
		snprintf(msg, n, _("This observation (%s) is older than the "
			 "latest one (%s)."), w->value, w->limit);
		return;
	case PROTO_SOFT_ABOVE_FIELD:
		f = proto_field_find(k, w->field);
		o = proto_field_find(k, w->other);
		/* TRANSLATORS: "Students enrolled (13) is more than
		** Scholarships awarded (12)." */
		snprintf(msg, n, _("%s (%s) is more than %s (%s)."),
			 f ? _(f->label) : w->field, w->value,
			 o ? _(o->label) : w->other, w->limit);
		return;
	}
	snprintf(msg, n, "%s", w->value);
}

int fieldsync_form_check(fieldsync *fs, const char *kind, const char *prefix,
		    const fieldsync_field *f, size_t n, cJSON **out)
{
	const proto_kind_def *k;
	cJSON *res = NULL, *errors, *warnings, *values = NULL, *rec = NULL;
	cJSON *parent_rec = NULL;
	const cJSON *parent = NULL, *latest = NULL;
	proto_soft soft[8];
	proto_err err;
	size_t nsoft;
	int rc;

	*out = NULL;
	if (prefix) {
		const cJSON *kv;
		if ((rc = fieldsync_show(fs, prefix, &rec)))
			return rc;
		kv = cJSON_GetObjectItemCaseSensitive(rec, "kind");
		k = proto_kind_find(cJSON_GetStringValue(kv));
		values = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec,
					 "fields"), 1);
		cJSON_Delete(rec);
		if (!k || !values) {
			cJSON_Delete(values);
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		}
	} else {
		if (!(k = proto_kind_find(kind)))
			return fs_fail_field(fs, FIELDSYNC_E_USAGE, "kind",
					     "unknown record kind \"%.40s\"",
					     kind ? kind : "");
		values = cJSON_CreateObject();
	}
	res = cJSON_CreateObject();
	errors = cJSON_AddArrayToObject(res, "errors");
	warnings = cJSON_AddArrayToObject(res, "warnings");
	if (!values || !errors || !warnings) {
		rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		goto done;
	}
	if ((rc = parse_all(fs, k, f, n, values, errors)))
		goto fail_nomem;
	/* Required fields the form left out altogether. */
	for (size_t i = 0; !prefix && i < k->nfields; i++) {
		const proto_field_def *fd = &k->fields[i];
		int given = 0;
		for (size_t j = 0; j < n; j++)
			given |= f[j].name && strcmp(f[j].name, fd->name) == 0;
		if (fd->required && !given &&
		    add_item(errors, fd->name, "missing_field",
			     _("This field is required.")))
			goto fail_nomem;
	}
	if (cJSON_GetArraySize(errors) > 0)
		goto ok;
	if (proto_record_check(k, values, 1, &err) != PROTO_OK) {
		if (err.code == PROTO_E_NOMEM ||
		    add_item(errors, err.field[0] ? err.field : NULL,
			     proto_code_name(err.code),
			     err.detail[0] ? err.detail : err.msg))
			goto fail_nomem;
		goto ok;
	}
	if ((rc = load_parent(fs, k, values, &parent_rec, &parent, &latest)))
		goto done;
	nsoft = proto_soft_check(k, values, parent, latest,
				 (long)(fs->now_ms(fs->now_ctx) / 86400000),
				 soft, sizeof soft / sizeof soft[0]);
	for (size_t i = 0; i < nsoft && i < sizeof soft / sizeof soft[0]; i++) {
		char msg[400];
		soft_text(k, &soft[i], msg, sizeof msg);
		if (add_item(warnings, soft[i].field,
			     proto_soft_name(soft[i].code), msg))
			goto fail_nomem;
	}
ok:
	*out = res;
	res = NULL;
	fs_ok(fs);
	rc = FIELDSYNC_OK;
	goto done;
fail_nomem:
	rc = fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
done:
	cJSON_Delete(parent_rec);
	cJSON_Delete(values);
	cJSON_Delete(res);
	return rc;
}

/* ---- titles and search ------------------------------------------------ */

char *fieldsync_title(const cJSON *record, char *buf, size_t bufsz)
{
	const proto_kind_def *k = proto_kind_find(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(record, "kind")));
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(record,
							       "fields");
	size_t off = 0;
	int parts = 0;

	if (!bufsz)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; k && i < 4 && k->title[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(fields,
								  k->title[i]);
		char val[200];
		int w;
		if (!v)
			continue;
		proto_value_format(v, val, sizeof val);
		w = snprintf(buf + off, bufsz - off, "%s%s",
			     parts == 0 ? "" : parts == 1 ? " — " : ", ", val);
		if (w < 0 || (size_t)w >= bufsz - off)
			break;
		off += (size_t)w;
		parts++;
	}
	return buf;
}

/* 1 if every word of text occurs in some text or enum field of rec. */
static int text_match(const proto_kind_def *k, const cJSON *fields,
		      const char *text)
{
	char word[256];
	const char *p = text;

	while (*p) {
		size_t l;
		int found = 0;
		while (*p == ' ')
			p++;
		l = strcspn(p, " ");
		if (!l)
			break;
		if (l >= sizeof word)
			l = sizeof word - 1;
		memcpy(word, p, l);
		word[l] = '\0';
		p += l;
		for (size_t i = 0; !found && i < k->nfields; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(
				fields, k->fields[i].name);
			if (cJSON_IsString(v) &&
			    (k->fields[i].type == PROTO_T_TEXT ||
			     k->fields[i].type == PROTO_T_ENUM))
				found = fs_text_contains(v->valuestring, word);
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* A record's sector: its own, or the one its specialty implies; "". */
static const char *record_sector(const cJSON *fields)
{
	const char *s = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(fields, "sector"));
	const char *sp = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(fields, "specialty"));

	if (!s && sp)
		s = proto_specialty_sector(sp);
	return s ? s : "";
}

static const char *first_date_field(const proto_kind_def *k)
{
	for (size_t i = 0; i < k->nfields; i++)
		if (k->fields[i].type == PROTO_T_DATE)
			return k->fields[i].name;
	return NULL;
}

static int check_date(fieldsync *fs, const char *name, const char *v)
{
	long d;

	if (v && *v && proto_date_parse(v, &d) != 0)
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, name, "%s: "
				     "\"%.40s\" is not a date (YYYY-MM-DD)",
				     name, v);
	return FIELDSYNC_OK;
}

int fieldsync_find(fieldsync *fs, const fieldsync_filter *flt, cJSON **out)
{
	const fieldsync_filter none = {0};
	const char *sector = NULL;
	cJSON *all = NULL, *res;
	int rc;

	*out = NULL;
	if (!flt)
		flt = &none;
	if (flt->sector && *flt->sector &&
	    !(sector = proto_ref_lookup(&proto_sectors, flt->sector)))
		return fs_fail_field(fs, FIELDSYNC_E_INVALID, "sector",
				     "unknown sector \"%.60s\"; sectors: %s",
				     flt->sector,
				     proto_ref_names(&proto_sectors));
	if ((rc = check_date(fs, "from", flt->from)) ||
	    (rc = check_date(fs, "to", flt->to)))
		return rc;
	if ((rc = fieldsync_list(fs, flt->kind && *flt->kind ? flt->kind :
				 NULL, flt->province && *flt->province ?
				 flt->province : NULL, &all)))
		return rc;
	if (!(res = cJSON_CreateArray())) {
		cJSON_Delete(all);
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	}
	/* Newest first: walk the oldest-first list backwards. */
	for (int i = cJSON_GetArraySize(all) - 1; i >= 0; i--) {
		cJSON *r = cJSON_GetArrayItem(all, i);
		const proto_kind_def *k = proto_kind_find(cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(r, "kind")));
		const cJSON *fields = cJSON_GetObjectItemCaseSensitive(r,
								"fields");
		const char *df = k ? first_date_field(k) : NULL;
		const cJSON *dv = df ? cJSON_GetObjectItemCaseSensitive(fields,
								df) : NULL;
		const char *d = cJSON_GetStringValue(dv);
		char title[400];
		if (!k)
			continue;
		if (sector && strcmp(record_sector(fields), sector) != 0)
			continue;
		if (flt->from && *flt->from && (!d || strcmp(d, flt->from) < 0))
			continue;
		if (flt->to && *flt->to && (!d || strcmp(d, flt->to) > 0))
			continue;
		if (flt->text && *flt->text && !text_match(k, fields, flt->text))
			continue;
		cJSON_DetachItemViaPointer(all, r);
		fieldsync_title(r, title, sizeof title);
		if (!cJSON_AddStringToObject(r, "title", title) ||
		    !cJSON_AddItemToArray(res, r)) {
			cJSON_Delete(r);
			cJSON_Delete(res);
			cJSON_Delete(all);
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		}
	}
	cJSON_Delete(all);
	*out = res;
	fs_ok(fs);
	return FIELDSYNC_OK;
}
