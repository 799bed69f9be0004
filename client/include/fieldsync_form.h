/*
** This file contains the form part of libfieldsync's public interface: what
** a form-based front end (the field app) needs beyond add and edit: every
** fault of a form at once, the soft warnings a person confirms, and search
** over the records with the names people know them by. It is included by
** fieldsync.h; see that header for handles, status codes and memory rules.
*/
#ifndef FIELDSYNC_FORM_H
#define FIELDSYNC_FORM_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Check a form without writing anything: n fields as typed, for a new
** record of kind (prefix NULL) or for an edit of the record whose id starts
** with prefix (kind may then be NULL). *out (caller frees) is
**   {"errors":[{"field":NAME|null,"code":C,"message":M}],
**    "warnings":[{"field":NAME,"code":C,"message":M}]}
** errors: every field that fieldsync_add/fieldsync_edit would refuse, each
** with the library's message (missing required fields too; "field" null for
** a fault of the whole record); warnings: soft rules (protocol/soft.h) the
** user should confirm. Returns FIELDSYNC_OK when the check itself ran (even
** with errors), else a failure (unknown kind or record, store failure). */
int fieldsync_form_check(fieldsync *fs, const char *kind, const char *prefix,
		    const fieldsync_field *f, size_t n, cJSON **out)
	FIELDSYNC_WUR;

/* What fieldsync_find selects; NULL or "" members select everything. */
typedef struct fieldsync_filter {
	const char *kind;      /* "model" or plural; NULL: every kind */
	const char *text;      /* words found in any text field */
	const char *province;  /* any accepted spelling */
	const char *sector;    /* any accepted spelling */
	const char *from, *to; /* date range on the kind's first date field */
} fieldsync_filter;

/* Live records matching the filter, as fieldsync_list returns them plus
** "title": the record named by what it is ("Ngô nếp — Salavan, Lao Ngam",
** from the kind's title fields). Newest first. Unknown province/sector
** names and bad dates are FIELDSYNC_E_INVALID with a message. */
int fieldsync_find(fieldsync *fs, const fieldsync_filter *filter,
		   cJSON **out) FIELDSYNC_WUR;

/* The record's title as in fieldsync_find, for a record object of
** fieldsync_list/show; writes at most bufsz bytes; returns buf. */
char *fieldsync_title(const cJSON *record, char *buf, size_t bufsz);

#endif
