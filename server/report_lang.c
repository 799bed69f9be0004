/*
** This file contains the words of the report's documents: the language
** (i18n/lang.h, the po/ catalogs), numbers and dates as the language writes
** them, reference names in the language, and the period in words with its
** dates and reporting deadline. Pure text work: no file, no clock.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n/lang.h"
#include "protocol/i18n.h"
#include "protocol/proto.h"
#include "report_lang.h"

const char *srv_report_lang(const char *arg)
{
	return arg ? i18n_lang_norm(arg) : i18n_lang_from_env();
}

const char *srv_rtr(const char *lang, const char *msgid)
{
	return i18n_tr(lang, msgid);
}

const char *srv_rntr(const char *lang, const char *singular,
		     const char *plural, unsigned long n)
{
	return i18n_ntr(lang, singular, plural, n);
}

const char *srv_report_ref(const char *lang, const proto_ref_list *l,
			   const char *name)
{
	const proto_ref_entry *e;

	if (!name)
		return "";
	e = proto_ref_entry_find(l, name);
	if (!e)
		return name;
	if (!lang || strcmp(lang, "en") == 0)
		return e->name;
	return i18n_tr(lang, e->label);
}

char *srv_report_num(const char *lang, double v, char *buf, size_t bufsz)
{
	const proto_money_style *st = proto_money_style_get(lang);
	long long h = llround(fabs(v) * 100), whole = h / 100;
	char d[32], out[64];
	size_t len, o = 0;

	if (v < 0 && h)
		out[o++] = '-';
	snprintf(d, sizeof d, "%lld", whole);
	len = strlen(d);
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = st->group;
		out[o++] = d[i];
	}
	if (h % 100) {
		out[o++] = st->point;
		out[o++] = (char)('0' + h % 100 / 10);
		if (h % 10)
			out[o++] = (char)('0' + h % 10);
	}
	out[o] = '\0';
	snprintf(buf, bufsz, "%s", out);
	return buf;
}

char *srv_report_date(const char *iso, char *buf, size_t bufsz)
{
	long days;

	if (!iso) {
		if (bufsz)
			buf[0] = '\0';
		return buf;
	}
	if (strlen(iso) == 10 && proto_date_parse(iso, &days) == 0)
		snprintf(buf, bufsz, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	else
		proto_utf8_copy(buf, iso, bufsz);
	return buf;
}

static const char *str_at(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int srv_report_period_text(const cJSON *doc, const char *lang, char *buf,
			   size_t bufsz)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "period");
	const char *label = str_at(p, "label"), *from = str_at(p, "from");
	const char *to = str_at(p, "to");
	char f[16], t[16], due[16];
	int n, year;

	if (bufsz)
		buf[0] = '\0';
	if (!label || !from || !to || bufsz == 0)
		return -1;
	srv_report_date(from, f, sizeof f);
	srv_report_date(to, t, sizeof t);
	year = atoi(label);
	if (strlen(label) == 6 && (label[4] == 'H' || label[4] == 'h') &&
	    (label[5] == '1' || label[5] == '2')) {
		/* The half's deadline: 10 May (H1) or 10 November (H2). */
		snprintf(due, sizeof due, "10/%s/%04d",
			 label[5] == '1' ? "05" : "11", year);
		/* TRANSLATORS: a reporting half-year in words: its first and
		** last day (dd/mm/yyyy), then the day the departments'
		** reports are due. */
		n = snprintf(buf, bufsz, srv_rtr(lang, N_("6 months, %s – %s, "
			     "due %s")), f, t, due);
	} else if (strlen(label) == 4) {
		/* TRANSLATORS: a calendar year as a reporting period, then
		** its first and last day. */
		n = snprintf(buf, bufsz, srv_rtr(lang, N_("Year %d, %s – %s")),
			     year, f, t);
	} else {
		n = snprintf(buf, bufsz, "%s – %s", f, t);
	}
	if (n < 0 || (size_t)n >= bufsz) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

int srv_report_localize(cJSON *doc, const char *lang)
{
	char text[256];
	cJSON *l, *pt;

	if (!lang)
		lang = srv_report_lang(NULL);
	if (!cJSON_IsObject(doc) ||
	    srv_report_period_text(doc, lang, text, sizeof text) != 0)
		return -1;
	l = cJSON_CreateString(lang);
	pt = cJSON_CreateString(text);
	if (!l || !pt) {
		cJSON_Delete(l);
		cJSON_Delete(pt);
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "lang");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "period_text");
	cJSON_AddItemToObject(doc, "lang", l);
	cJSON_AddItemToObject(doc, "period_text", pt);
	return 0;
}
