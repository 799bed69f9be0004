/*
** This file contains what the report's documents (DOCX, XLSX, the period
** in words in the JSON) need beyond the report engine (report.h): the
** language they are written in (vi by default, lo, en, through the po/
** catalogs and i18n/lang.h), numbers, dates and reference names as people
** of that language write them, the period in words with its dates and
** deadline (report_lang.c), the observations and open conflicts of the
** period with the author of each entry, read from the store
** (report_more.c), and the Word document itself (report_docx.c).
*/
#ifndef FIELDSYNC_SRV_REPORT_LANG_H
#define FIELDSYNC_SRV_REPORT_LANG_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "protocol/records.h"
#include "report.h"
#include "store.h"

/* The language of a --lang argument ("vi", "lo", "en" or a locale tag such
** as vi_VN.UTF-8; NULL: the environment's, LANGUAGE/LC_ALL/LC_MESSAGES/
** LANG, Vietnamese when none names one). Static "vi", "lo" or "en"; NULL
** for a tag naming none of them. Cannot fail otherwise. */
const char *srv_report_lang(const char *arg);

/* msgid (English) in lang; msgid itself in English or without catalogs. */
const char *srv_rtr(const char *lang, const char *msgid)
	__attribute__((format_arg(2)));
/* The plural form for n in lang. */
const char *srv_rntr(const char *lang, const char *singular,
		     const char *plural, unsigned long n)
	__attribute__((format_arg(2))) __attribute__((format_arg(3)));

/* The display name of the entry name of list l in lang: the canonical name
** in English, the translated label otherwise ("agriculture" -> "nông
** nghiệp", "Salavan" -> "ສາລະວັນ" in Lao); name itself when the list has
** no such entry; "" for NULL. Cannot fail. */
const char *srv_report_ref(const char *lang, const proto_ref_list *l,
			   const char *name);

/* A number with at most two decimals as lang writes it: the decimal sign
** and thousands separator of proto_money_style_get (vi "3,8", "1.016";
** en "3.8", "1,016"), trailing zeros dropped ("5", "76"). Returns buf
** (at least 32 bytes). Cannot fail. */
char *srv_report_num(const char *lang, double v, char *buf, size_t bufsz);

/* "YYYY-MM-DD" as dd/mm/yyyy (every language of the programme writes the
** day first); "" for NULL; other text copied. Returns buf (>= 11 bytes). */
char *srv_report_date(const char *iso, char *buf, size_t bufsz);

/* The period of a report document in words with its dates in lang: a half
** "6 tháng, 01/05/2026 – 31/10/2026, hạn nộp 10/11/2026" (deadlines 10
** May and 10 November), a year "Năm 2026, 01/01/2026 – 31/12/2026", any
** other range its dates. 0 on success, -1 (buf "") when doc has no period
** or buf is too small. */
int srv_report_period_text(const cJSON *doc, const char *lang, char *buf,
			   size_t bufsz);

/* Add "lang" and "period_text" to a report document. 0, or -1 when out of
** memory or doc is not a report (doc unchanged). */
int srv_report_localize(cJSON *doc, const char *lang);

/* Add to a report document what only the store knows, read inside the
** caller's read transaction: "observations" (every progress observation,
** not retracted, of a model the report lists, dated within the period:
** id, model, crop, province, date, sown_ha, households, notes, author,
** author_device; by date, crop, id), "conflicts" (open conflicts, as
** srv_conflict_json plus "what": the record named as a person reads it),
** each listed model's "notes" of its latest observation, and for every
** visit, trip, model and observation that has none yet "author_device"
** (its owner) and "author" (that device's name). 0 on success; -1 with
** msg (reading the store, out of memory). */
int srv_report_more(srv_store *s, cJSON *doc, char *msg,
		    size_t msgsz) SRV_REPORT_WUR;

/* Add "duplicates" to a report document: pairs of visits and of models
** that look like one thing recorded twice (report_dup.c says when), for HQ
** to look at; nothing is merged. 0, or -1 when out of memory. */
int srv_report_duplicates(cJSON *doc) SRV_REPORT_WUR;

/* The report as a Word document (WordprocessingML in a ZIP written with
** libzip) at path, in lang (report_docx.c). 0 on success; -1 with msg
** (cannot write the file, out of memory, not a report). */
int srv_report_write_docx(const cJSON *doc, const char *lang,
			  const char *path, char *msg,
			  size_t msgsz) SRV_REPORT_WUR;

#endif
