/*
** This file contains the soft rules of a record: values the protocol
** accepts but a person probably did not mean (sown hectares above the
** model's plan, a date in the future, an observation older than the latest
** one, more students enrolled than scholarships awarded). Front ends ask the user to confirm instead of refusing; the wire
** never checks them. The rules come from one table (soft.c), so every front
** end warns alike and a new kind only adds rows.
*/
#ifndef FIELDSYNC_SOFT_H
#define FIELDSYNC_SOFT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "records.h"

typedef enum proto_soft_code {
	PROTO_SOFT_FUTURE = 1,    /* a date after today */
	PROTO_SOFT_ABOVE_PLAN,    /* a value above the parent's planned value */
	PROTO_SOFT_OLDER,         /* dated before the parent's latest child */
	PROTO_SOFT_ABOVE_FIELD    /* above another field of the same record
				  ** (enrolled above awarded) */
} proto_soft_code;

typedef struct proto_soft {
	proto_soft_code code;
	const char *field;        /* the field it is about (static) */
	const char *other;        /* the parent's or this record's field
				  ** compared with, or NULL */
	char value[48];           /* the value, as a person reads it */
	char limit[48];           /* what it was compared with */
} proto_soft;

/* snake_case name of a code ("above_plan"). */
const char *proto_soft_name(proto_soft_code code);

/* Check values (field -> canonical value, a complete record of kind k)
** against the soft rules. parent: the record an id field of k points to
** (its values), or NULL; latest: values of that parent's latest other child
** of kind k, or NULL; today: days since 1970. Writes up to max warnings to
** out and returns how many there are (may exceed max). */
size_t proto_soft_check(const proto_kind_def *k, const cJSON *values,
			const cJSON *parent, const cJSON *latest, long today,
			proto_soft *out, size_t max);

#endif
