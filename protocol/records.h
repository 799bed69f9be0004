/*
** This file contains the record kinds and their fields: the one table that
** drives validation on the client and on the server, the reference lists
** (provinces, sectors, specialties, directions) with their accepted spellings,
** and the functions that check a field value or a whole record.
**
** Field values are cJSON items: text, enum, date and id fields are JSON
** strings; int fields are JSON numbers with no fraction; decimal fields are
** JSON numbers with at most two decimal places (hectares). Money is an int
** field of whole đồng with max 10^13 (unit "VND"), exact in a double.
*/
#ifndef FIELDSYNC_RECORDS_H
#define FIELDSYNC_RECORDS_H

#include <cjson/cJSON.h>
#include "proto.h"

typedef enum proto_type {
	PROTO_T_TEXT,    /* UTF-8 string, 1..max_len bytes */
	PROTO_T_ENUM,    /* one of a reference list's canonical names */
	PROTO_T_INT,     /* integer in [min, max] */
	PROTO_T_DECIMAL, /* number with <= 2 decimals; min/max in hundredths */
	PROTO_T_DATE,    /* "YYYY-MM-DD" */
	PROTO_T_ID,      /* 32 lowercase hex digits: a record id */
	PROTO_T_YEARS    /* "YYYY-YYYY", the second year the next: an
			 ** academic year "2026-2027" */
} proto_type;

/* A reference list: canonical names plus accepted spellings. Display text
** (labels, units, help) is English marked N_() (protocol/i18n.h); the
** catalogs in po/ translate it, and a front end's library shows it in the
** user's language. The Vietnamese and Lao names people type are aliases
** here, so every side (the server's targets file too) accepts them. */
typedef struct proto_ref_entry {
	const char *name;        /* canonical, as stored and sent: "Salavan" */
	const char *label;       /* English display name: "industry and trade" */
	const char *aliases[16]; /* other accepted spellings, NULL-terminated */
} proto_ref_entry;

typedef struct proto_ref_list {
	const char *name;                /* "province" */
	const char *label;               /* the noun in messages: "province" */
	const proto_ref_entry *entries;
	size_t count;
	/* Words people write before or after a name ("tỉnh Salavan",
	** "Salavan province"): a front end may drop them before matching. */
	const char *affixes[8];
} proto_ref_list;

extern const proto_ref_list proto_provinces;
extern const proto_ref_list proto_sectors;
extern const proto_ref_list proto_specialties;
extern const proto_ref_list proto_directions;
extern const proto_ref_list proto_levels;        /* scholarship level */
extern const proto_ref_list proto_work_sectors;  /* education, health, culture */
extern const proto_ref_list proto_work_statuses; /* a friendship work's state */

typedef struct proto_field_def {
	const char *name;        /* wire name, snake_case: "planned_ha" */
	proto_type type;
	int required;            /* must be present when the record is created */
	long long min, max;      /* INT: bounds; DECIMAL: bounds in hundredths */
	size_t max_len;          /* TEXT: byte limit */
	const proto_ref_list *ref; /* ENUM: allowed values */
	const char *unit;        /* "ha", "people", "days" or NULL */
	const char *label;       /* form label: "Planned area" */
	const char *help;        /* one line for --help and SPEC.md */
} proto_field_def;

typedef struct proto_kind_def {
	const char *name;        /* "visit" */
	const char *plural;      /* "visits" */
	const char *label;       /* "Delegation visit" */
	const char *label_plural; /* "Delegation visits" */
	const proto_field_def *fields;
	size_t nfields;
	int append_only;         /* 1: only "create" (progress observations) */
	/* Fields that name a record for a person, in order ("Ngô nếp —
	** Salavan, Lao Ngam": crop, then province, district); NULL-ended. */
	const char *title[4];
} proto_kind_def;

extern const proto_kind_def proto_kinds[];
extern const size_t proto_nkinds;

/* Kind by wire name or plural ("visit", "visits"); NULL if unknown. */
const proto_kind_def *proto_kind_find(const char *name);

/* Field of a kind by wire name; NULL if the kind has no such field. */
const proto_field_def *proto_field_find(const proto_kind_def *k,
					const char *name);

/* Canonical name for text matched case-insensitively against a list's names,
** English labels and aliases ("saravane" -> "Salavan"); NULL if it matches
** nothing. */
const char *proto_ref_lookup(const proto_ref_list *list, const char *text);

/* The sector a specialty implies ("surgery" -> "health"), or NULL. Reports
** use it for trips recorded without a sector. */
const char *proto_specialty_sector(const char *specialty);

/* Comma-separated canonical names of a list, for error messages. Static
** storage; cannot fail. */
const char *proto_ref_names(const proto_ref_list *list);

/* The entry whose canonical name is name, or NULL. */
const proto_ref_entry *proto_ref_entry_find(const proto_ref_list *list,
					    const char *name);

/* Check one field value as it travels (canonical form). Returns PROTO_OK or a
** code with err naming the field, what is wrong and what is allowed. */
proto_code proto_field_check(const proto_field_def *f, const cJSON *v,
			     proto_err *err) PROTO_WUR;

/* Parse text typed by a person into a canonical value: trims nothing,
** matches enums case-insensitively with aliases, accepts "3.8" for decimals.
** On success *out is a new cJSON item the caller frees; on failure *out is
** NULL and err says why. */
proto_code proto_field_parse(const proto_field_def *f, const char *text,
			     cJSON **out, proto_err *err) PROTO_WUR;

/* Check a whole record's values (an object field -> value): every member is a
** known field with a valid value; if complete, every required field is
** present; cross-field rules hold (end >= start, sown <= 10 x planned...).
** Used for a create (complete=1) and for the merged state of an edit. */
proto_code proto_record_check(const proto_kind_def *k, const cJSON *values,
			      int complete, proto_err *err) PROTO_WUR;

/* Decimal helpers: hundredths <-> JSON number. proto_decimal_get returns 0
** and sets *hundredths if v is a number with at most two decimals, else -1. */
int proto_decimal_get(const cJSON *v, long long *hundredths) PROTO_WUR;
cJSON *proto_decimal_new(long long hundredths);

/* Format a value for a person ("3.8", "Salavan", "2026-04-10") into buf.
** Returns buf. Cannot fail (truncates to bufsz-1 bytes at a UTF-8 boundary). */
char *proto_value_format(const cJSON *v, char *buf, size_t bufsz);

/* An amount of whole đồng (0..10^13) as people write it in lang ("vi", "lo",
** "en"; anything else is English): grouped by thousands with the language's
** separator and its name of the currency, "15.000.000.000 đ",
** "15.000.000.000 ດົ່ງ", "15,000,000,000 VND". With short_form, in billions
** or millions rounded half up to two decimals: "15 tỷ đồng", "2,5 tỷ đồng",
** "15 billion VND", "500 million VND" (below a million as the long form).
** Returns 0 and fills buf; -1 (buf "") when dong is out of range or buf is
** too small. The currency is đồng in every language: the plan's money is
** Vietnamese. */
int proto_money_format(long long dong, const char *lang, int short_form,
		       char *buf, size_t bufsz) PROTO_WUR;

/* How a language writes money, for front ends that format in their own
** code (the dashboard gets these through po/refdump). */
typedef struct proto_money_style {
	const char *lang;
	char group, point;      /* thousands separator, decimal sign */
	const char *unit;       /* after the long form: "đ" */
	const char *billion;    /* after the short form >= 10^9: "tỷ đồng" */
	const char *million;    /* after the short form >= 10^6 */
} proto_money_style;

/* The style of lang, English for any other; never NULL, static. */
const proto_money_style *proto_money_style_get(const char *lang);

#endif
