/*
** This file contains HQ's semi-annual report engine: from the merged record
** states (merge.h), the device list, the number of open conflicts and the
** targets, it builds one cJSON document (its shape is documented at the top
** of report.c), and renders that document as an aligned terminal table, as
** CSV for a spreadsheet (UTF-8 with BOM, RFC 4180, CRLF) or as JSON.
**
** Pure computation: no clock (the caller passes "now"), no file, no socket,
** no database. The server gathers the input (srv_report_add_state_text has
** the signature of the store's srv_record_cb, so srv_store_records_each can
** feed it directly) and calls srv_report_build, then srv_report_render.
*/
#ifndef FIELDSYNC_SRV_REPORT_H
#define FIELDSYNC_SRV_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "targets.h"

#define SRV_REPORT_WUR __attribute__((warn_unused_result))

#define SRV_REPORT_STALE_DAYS    30 /* model without observation: stale */
#define SRV_REPORT_UNSYNCED_DAYS 14 /* device without sync: listed */

/* A reporting period: both ends included, as days since 1970-01-01. */
typedef struct srv_period {
	long from, to;
	char label[32];   /* "2026H1", or "2026-01-01..2026-03-31" */
} srv_period;

/* "YYYYH1" (1 Nov of YYYY-1 .. 30 Apr YYYY), "YYYYH2" (1 May .. 31 Oct
** YYYY), 'h' accepted too, or "YYYY" (1 Jan .. 31 Dec); year 1901..2999. 0 on success; -1 with msg naming
** the bad text and the accepted forms. */
int srv_period_parse(const char *text, srv_period *out, char *msg,
		     size_t msgsz) SRV_REPORT_WUR;

/* The half-year period whose reporting deadline (10 May for H1, 10
** November for H2, the day itself included) comes next after the day of
** now_ms (unix ms, UTC): the default when HQ names none. 2026-11-05 gives
** 2026H2, 2026-11-11 2027H1. Cannot fail for dates 1901..2998. */
void srv_period_current(int64_t now_ms, srv_period *out);

/* A period from two ISO dates (--from, --to), both included, from <= to.
** 0 on success; -1 with msg naming the bad argument. */
int srv_period_range(const char *from, const char *to, srv_period *out,
		     char *msg, size_t msgsz) SRV_REPORT_WUR;

/* The report's input: records and devices. Create with srv_report_input_new,
** fill, pass to srv_report_build, free with srv_report_input_free. */
typedef struct srv_report_input srv_report_input;

/* New empty input; NULL when out of memory. */
srv_report_input *srv_report_input_new(void);
/* Free the input and everything it holds; accepts NULL. */
void srv_report_input_free(srv_report_input *in);

/* Add one record: id (32 hex) and its merged state, which the input takes
** over (it is freed with the input, also when this fails). Records of other
** kinds, deleted records and malformed states are kept but ignored by the
** report. 0, or -1 when out of memory. */
int srv_report_add_state(srv_report_input *in, const char *id,
			 cJSON *state) SRV_REPORT_WUR;

/* Same from the state's JSON text (as the store keeps it). Matches the
** store's srv_record_cb, with ctx = the srv_report_input: returns 0 to go
** on, nonzero (out of memory, or text that is not JSON) to stop. */
int srv_report_add_state_text(void *ctx, const char *id, const char *kind,
			      const char *state, int64_t updated_cursor);

/* Add one device. name/role may be NULL; last_sync_ms 0 means never synced.
** 0, or -1 when out of memory. */
int srv_report_add_device(srv_report_input *in, const char *id,
			  const char *name, const char *role,
			  int64_t last_sync_ms, int revoked) SRV_REPORT_WUR;

/* Flags of the device added last, for HQ to look at: "forked",
** "restored", comma-joined ("" or NULL: none; as `devices list` shows
** them). 0, or -1 when out of memory. */
int srv_report_device_flags(srv_report_input *in,
			    const char *flags) SRV_REPORT_WUR;

typedef struct srv_report_params {
	srv_period period;
	const char *province;     /* canonical name (proto_ref_lookup), or NULL */
	const char *sector;       /* canonical name, or NULL */
	int64_t now_ms;           /* the report's "now", unix ms (UTC) */
	int stale_days;           /* 0: SRV_REPORT_STALE_DAYS */
	int unsynced_days;        /* 0: SRV_REPORT_UNSYNCED_DAYS */
	int64_t open_conflicts;
	const srv_targets *targets; /* NULL: no targets section items */
	/* The targets file's mistake ("FILE:LINE:COLUMN: what is wrong;
	** what is allowed"), or NULL. When set, targets is ignored: the
	** targets section carries this text as "error" with no items, the
	** summary's target counts are null, and so is each visit's
	** "high_level" (the file defines what is high-level); every other
	** section is built as usual. */
	const char *targets_error;
} srv_report_params;

/* Build the report. On success *out is a new cJSON document (caller deletes)
** and 0 is returned; on failure *out is NULL, -1 is returned and msg says
** why (bad parameter, out of memory). */
int srv_report_build(const srv_report_input *in, const srv_report_params *p,
		     cJSON **out, char *msg, size_t msgsz) SRV_REPORT_WUR;

typedef enum srv_report_format {
	SRV_REPORT_TABLE,
	SRV_REPORT_CSV,
	SRV_REPORT_JSON,
	SRV_REPORT_XLSX           /* a file: srv_report_write_xlsx */
} srv_report_format;

/* "table", "csv", "json" or "xlsx"; 0 on success, -1 otherwise. */
int srv_report_format_parse(const char *text,
			    srv_report_format *out) SRV_REPORT_WUR;

/* Render a document made by srv_report_build. On success *out is a malloc'd
** NUL-ended text (caller frees) of *outlen bytes and 0 is returned; on
** failure (out of memory, not a report document) *out is NULL and -1. */
int srv_report_render(const cJSON *report, srv_report_format fmt, char **out,
		      size_t *outlen) SRV_REPORT_WUR;

/* One table of the report as CSV (UTF-8 with BOM, RFC 4180, CRLF): its
** header row and its rows, nothing else, so that a file is one rectangular
** table. table is one of srv_report_tables(). On success *out is a malloc'd
** NUL-ended text (caller frees) of *outlen bytes and 0 is returned; -2 for
** an unknown table, -1 out of memory or not a report (*out NULL). */
int srv_report_render_csv_table(const cJSON *report, const char *table,
				char **out, size_t *outlen) SRV_REPORT_WUR;

/* One table of the report with typed cells, for writers of other formats
** (the XLSX workbook): {"name":T,"sheet":S,"columns":[{"head":H,"kind":
** "text"|"number"|"money"|"percent"}...],"rows":[[V...]...]}, V copied
** from the document (numbers stay numbers, dates "YYYY-MM-DD" strings,
** absent null); a "Total" row last where the table has one; the
** summary, whose rows hold values of several kinds, also has
** "row_kinds":[K...], one per row, for its value column. lang NULL:
** the CSV's English headers and the document's values; "vi", "lo" or "en"
** (srv_report_lang): the sheet's name S and the headers in that language,
** reference names (provinces, sectors, specialties, work statuses), a
** visit's direction, a target's status and yes/no as the DOCX writes them
** in it. The targets table of a report made with a broken targets file
** also has "error":"MESSAGE" (and no rows). *out is new (caller deletes)
** and 0 is returned; -2 for an unknown table, -1 out of memory. */
int srv_report_table_json(const cJSON *report, const char *table,
			  const char *lang, cJSON **out) SRV_REPORT_WUR;

/* The report as an XLSX workbook at path (report_xlsx.c): one sheet per
** table, named, headed and valued in lang as srv_report_table_json gives
** them, typed cells, header rows, filters. 0 on success; -1 with msg
** (cannot create or write the file, out of memory). */
int srv_report_write_xlsx(const cJSON *report, const char *lang,
			  const char *path, char *msg,
			  size_t msgsz) SRV_REPORT_WUR;

/* The table names, comma-separated, for messages. Cannot fail. */
const char *srv_report_tables(void);

/* 1 if name is one of srv_report_tables(), else 0. Cannot fail. */
int srv_report_table_known(const char *name);

/* Display width of UTF-8 text in a terminal: one column per code point,
** zero for combining marks (Lao vowel and tone marks, Vietnamese combining
** accents) and zero-width joiners, two for East Asian wide characters.
** Cannot fail; invalid bytes count one column each. */
size_t srv_display_width(const char *s, size_t len);

#endif
