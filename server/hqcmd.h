/*
** This file contains HQ's side of fieldsyncd: the `report` and `conflicts`
** commands, and the three operations they share with the web dashboard
** (web.c): finding the targets file, gathering a report from the store, and
** resolving a conflict with a change set signed by HQ's own key. The report
** engine itself (report.c) and the targets (targets.c) know no database;
** this file is where the store meets them.
*/
#ifndef FIELDSYNC_SRV_HQCMD_H
#define FIELDSYNC_SRV_HQCMD_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "protocol/changeset.h"
#include "report.h"
#include "store.h"
#include "targets.h"

/* The commands (argv[0] is the command name); they return the exit status:
** 0 success, 2 usage error, 1 anything else. */
int srv_cmd_report(int argc, char **argv);
int srv_cmd_conflicts(int argc, char **argv);
int srv_cmd_records(int argc, char **argv); /* records.c */

/* The targets of a database. explicit_path (--targets) if given; else
** "DB.targets" beside the database, created from the shipped default on
** first use so HQ has a file to edit; else (the file cannot be created)
** the default built into fieldsyncd. On success *out is a new object
** (srv_targets_free) and source names where it came from (a path or
** "built-in default"); *created is 1 when this call wrote DB.targets. On
** failure *out is NULL, -1 is returned and msg says why ("FILE:LINE:COL:
** what is wrong" for a mistake in the file). */
int srv_hq_targets(const char *db_path, const char *explicit_path,
		   srv_targets **out, char *source, size_t sourcesz,
		   int *created, char *msg, size_t msgsz) SRV_WUR;

/* Build a report from the store: every record (merged states), every
** device with its last sync, the number of open conflicts, read in one
** read transaction. p->open_conflicts is filled here. On success *out is
** the document (cJSON_Delete it) and 0 is returned; on failure *out is NULL,
** -1 is returned and msg says why. */
int srv_hq_report(srv_store *s, srv_report_params *p, cJSON **out, char *msg,
		  size_t msgsz) SRV_WUR;

/* One conflict as JSON: {"id","record","kind","field","winner_value",
** "winner_stamp","winner_device","loser_value","loser_stamp",
** "loser_device","detected_cursor","detected_ms","resolved_ms",
** "resolved_cursor","resolution"}; values as JSON values, not text. NULL
** when out of memory. */
cJSON *srv_conflict_json(const srv_conflict *c);

/* What srv_hq_resolve did. */
typedef struct srv_resolution {
	int64_t cursor;        /* cursor of HQ's change set */
	int64_t seq;           /* its seq in HQ's chain */
	size_t resolved;       /* open conflicts on that field now resolved */
	char keep[8];          /* "value" or "device" */
	char device[PROTO_ID_HEX + 1]; /* the device whose value was kept */
	char value[512];       /* the value written, as JSON text */
} srv_resolution;

/* Resolve conflict id: HQ writes the chosen value to the conflict's field
** as a change set signed with HQ's key (next in HQ's own chain, base = the
** field's current stamp, HLC above every HLC the record carries), pushed
** through srv_push_set like a device's set so every device pulls it; then
** every open conflict on that record field is marked resolved. keep is a
** device id or prefix of the conflict's winner or loser ("device:" forces
** this reading), or a value as a person types it ("value:" forces it).
** Serialised with other resolutions by a lock on DB.hqkey. Returns SRV_OK;
** SRV_E_ARG (bad keep: msg says why, a usage error), SRV_E_NOTFOUND, SRV_E_USED
** (already resolved), or another code, with msg set. */
int srv_hq_resolve(srv_store *s, const char *db_path, int64_t id,
		   const char *keep, srv_resolution *res, char *msg,
		   size_t msgsz) SRV_WUR;

/* Take the lock that serialises HQ's writes on a database (DB.hqkey):
** two at once would both take HQ's next seq and look like a forked chain.
** *lockfd is -1 or an open descriptor the caller closes (releasing the
** lock) on success and failure alike. Returns SRV_OK or a code, msg set. */
int srv_hq_lock(const char *db_path, int *lockfd, char *msg,
		size_t msgsz) SRV_WUR;

/* What srv_hq_write stored. */
typedef struct srv_hq_written {
	int64_t cursor;        /* cursor of HQ's change set */
	int64_t seq;           /* its seq in HQ's chain */
} srv_hq_written;

/* Write one change as a set signed with HQ's key (PATH.hqkey), next in
** HQ's own chain, through srv_push_set like any device's set (verified,
** ownership-checked, merged, pulled by every device). ch's hlc is set
** above floor and HQ's last HLC. The caller holds srv_hq_lock. Returns
** SRV_OK (w filled) or a code with msg set (the push's refusal named). */
int srv_hq_write(srv_store *s, const char *db_path, proto_change *ch,
		 proto_hlc floor, int64_t now, srv_hq_written *w, char *msg,
		 size_t msgsz) SRV_WUR;

/* What record id is, for a person: its kind's title fields ("Ngô nếp —
** Salavan, Lao Ngam"), as fieldsync names it; "" if the record is unknown. */
void srv_record_title(srv_store *s, const char *id, char *buf, size_t n);

/* The history of record id (SPEC 9.7), replayed from the sets the store
** holds in cursor order: *entries a new array of history entries (plus
** cursor, hq (the author is HQ, whose device id is hq), verified and the
** author's roster name), *state (may be NULL) the record as replayed (NULL
** if no set touches it). SRV_OK, SRV_E_NOMEM or SRV_E_IO. */
int srv_record_history(srv_store *s, const char *hq, const char *id,
		       cJSON **entries, cJSON **state) SRV_WUR;

#endif
