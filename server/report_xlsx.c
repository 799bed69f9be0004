/*
** This file contains the report as an XLSX workbook (libxlsxwriter): one
** sheet per table of the report (srv_report_tables(), the same tables as
** `--format csv --table`), each with its header row in bold and frozen, an
** autofilter over the header and the rows, numbers written as numbers
** (3.8 stays the number 3.8 whatever the reader's locale), dates as dates
** (shown dd/mm/yyyy), percentages as percentages (76 -> 0.76 shown
** "76.0%"), money grouped by thousands, and column widths that fit the
** widest cell. The cells come typed from srv_report_table_json, so the
** workbook and the CSV files always hold the same figures; the sheets'
** names, the headers and the reference names are in the report's
** language (Vietnamese by default), from the same po/ catalogs as the
** DOCX. A translated sheet name Excel would refuse (more than 31
** characters, one of []:*?/\, the same as another sheet's) falls back to
** the table's name (its --table name, English). A report made with a
** broken targets file has the targets sheet's header row and, in A2, the
** file's mistake in the workbook's language; the other sheets are whole.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>
#include "protocol/i18n.h"
#include "protocol/proto.h"
#include "report.h"
#include "report_lang.h"

#define MAX_WIDTH 60.0

/* A date "YYYY-MM-DD" as a spreadsheet date; 0 if it is one. */
static int as_date(const cJSON *v, lxw_datetime *dt)
{
	long days;

	if (!cJSON_IsString(v) || strlen(v->valuestring) != 10 ||
	    proto_date_parse(v->valuestring, &days) != 0)
		return -1;
	memset(dt, 0, sizeof *dt);
	dt->year = atoi(v->valuestring);
	dt->month = atoi(v->valuestring + 5);
	dt->day = atoi(v->valuestring + 8);
	return 0;
}

static double text_width(const char *s)
{
	double w = (double)srv_display_width(s, strlen(s)) + 2;

	return w > MAX_WIDTH ? MAX_WIDTH : w;
}

typedef struct fmts {
	lxw_format *head, *date, *pct, *money, *wrap;
} fmts;

/* The sheet's name: the translated one when Excel accepts it, else the
** table's name (ASCII, short, distinct: always valid). */
static const char *sheet_name(lxw_workbook *wb, const cJSON *t)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
	const cJSON *sheet = cJSON_GetObjectItemCaseSensitive(t, "sheet");

	if (cJSON_IsString(sheet) &&
	    workbook_validate_sheet_name(wb, sheet->valuestring) ==
	    LXW_NO_ERROR)
		return sheet->valuestring;
	return name->valuestring;
}

static int write_sheet(lxw_workbook *wb, const fmts *f, const cJSON *t,
		       const char *lang)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(t, "error");
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(t, "columns");
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(t, "rows");
	const cJSON *row_kinds = cJSON_GetObjectItemCaseSensitive(t,
								  "row_kinds");
	int ncols = cJSON_GetArraySize(cols), nrows = cJSON_GetArraySize(rows);
	lxw_worksheet *ws = workbook_add_worksheet(wb, sheet_name(wb, t));
	double *w;
	int c, r;

	if (!ws || ncols <= 0 || !(w = calloc((size_t)ncols, sizeof *w)))
		return -1;
	c = 0;
	for (const cJSON *h = cols->child; h; h = h->next, c++) {
		const char *head = cJSON_GetObjectItemCaseSensitive(h,
						"head")->valuestring;
		worksheet_write_string(ws, 0, (lxw_col_t)c, head, f->head);
		w[c] = text_width(head);
	}
	r = 1;
	for (const cJSON *row = rows->child; row; row = row->next, r++) {
		const cJSON *h = cols->child;
		const cJSON *rk = cJSON_GetArrayItem(row_kinds, r - 1);
		c = 0;
		for (const cJSON *v = row->child; v && h;
		     v = v->next, h = h->next, c++) {
			/* A row's own kind (the summary's) wins for its
			** value; the header's otherwise. */
			const char *kind = c > 0 && cJSON_IsString(rk)
				? rk->valuestring
				: cJSON_GetObjectItemCaseSensitive(
					h, "kind")->valuestring;
			lxw_datetime dt;
			char tmp[64];
			double cw = 0;
			if (cJSON_IsNumber(v)) {
				if (strcmp(kind, "percent") == 0) {
					worksheet_write_number(ws, (lxw_row_t)r,
						(lxw_col_t)c,
						v->valuedouble / 100, f->pct);
				} else {
					worksheet_write_number(ws, (lxw_row_t)r,
						(lxw_col_t)c, v->valuedouble,
						strcmp(kind, "money") == 0
						? f->money : NULL);
				}
				snprintf(tmp, sizeof tmp, "%.15g",
					 v->valuedouble);
				cw = (double)strlen(tmp) + 3 +
				     (strcmp(kind, "money") == 0
				      ? (double)strlen(tmp) / 3 : 0);
			} else if (as_date(v, &dt) == 0) {
				worksheet_write_datetime(ws, (lxw_row_t)r,
					(lxw_col_t)c, &dt, f->date);
				cw = 12;
			} else if (cJSON_IsString(v)) {
				worksheet_write_string(ws, (lxw_row_t)r,
					(lxw_col_t)c, v->valuestring, NULL);
				cw = text_width(v->valuestring);
			} else if (cJSON_IsBool(v)) {
				worksheet_write_string(ws, (lxw_row_t)r,
					(lxw_col_t)c, cJSON_IsTrue(v) ? "yes"
					: "no", NULL);
				cw = 5;
			}
			if (cw > w[c])
				w[c] = cw;
		}
	}
	if (cJSON_IsString(err)) {
		/* The targets file's mistake, where the rows would be; its
		** column is not widened (the text runs over the empty cells
		** to its right). */
		char text[1400];
		int n = snprintf(text, sizeof text, srv_rtr(lang, N_("The "
				 "targets file has a mistake, so no target "
				 "is evaluated: %s")), err->valuestring);
		if (n < 0 || (size_t)n >= sizeof text) {
			free(w);
			return -1;
		}
		worksheet_write_string(ws, 1, 0, text, NULL);
	}
	for (c = 0; c < ncols; c++)
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w[c],
				     NULL);
	worksheet_freeze_panes(ws, 1, 0);
	worksheet_autofilter(ws, 0, 0, (lxw_row_t)(nrows > 0 ? nrows : 0),
			     (lxw_col_t)(ncols - 1));
	free(w);
	return 0;
}

int srv_report_write_xlsx(const cJSON *report, const char *lang,
			  const char *path, char *msg, size_t msgsz)
{
	lxw_workbook *wb = workbook_new(path);
	const char *names = srv_report_tables();
	fmts f;
	lxw_error e;
	int rc = 0;

	if (!wb) {
		snprintf(msg, msgsz, "cannot create the workbook %s", path);
		return -1;
	}
	f.head = workbook_add_format(wb);
	f.date = workbook_add_format(wb);
	f.pct = workbook_add_format(wb);
	f.money = workbook_add_format(wb);
	format_set_bold(f.head);
	format_set_num_format(f.date, "dd/mm/yyyy");
	format_set_num_format(f.pct, "0.0%");
	format_set_num_format(f.money, "#,##0");
	for (const char *p = names; *p && rc == 0;) {
		char name[32];
		size_t n = strcspn(p, ",");
		cJSON *t = NULL;
		if (n >= sizeof name) {
			rc = -1;
			break;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if (srv_report_table_json(report, name, lang, &t) != 0 ||
		    write_sheet(wb, &f, t, lang) != 0) {
			snprintf(msg, msgsz, "out of memory writing the "
				 "sheet %s", name);
			rc = -1;
		}
		cJSON_Delete(t);
		p += n;
		p += strspn(p, ", ");
	}
	e = workbook_close(wb);
	if (rc == 0 && e != LXW_NO_ERROR) {
		snprintf(msg, msgsz, "cannot write %s: %s", path,
			 lxw_strerror(e));
		rc = -1;
	}
	return rc;
}
