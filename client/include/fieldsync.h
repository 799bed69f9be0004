/*
** This file contains the public interface of libfieldsync, the offline store
** of a fieldsync device: open or create a data directory (SQLite store plus
** the device's Ed25519 key pair), record visits, expert trips, demonstration
** models and their progress, correct and delete them, and query them. Every
** write is committed together with its outbox change (what sync later sends)
** in one transaction. Front ends (the fieldsync CLI, a GUI, a mobile app) use
** only this header; the record kinds and their rules come from the protocol
** module and are described at run time by fieldsync_schema().
**
** Memory: values cross this interface as cJSON trees (<cjson/cJSON.h>). A
** function that hands out a tree through an out-parameter gives it to the
** caller, who frees it with cJSON_Delete(). Strings passed in are copied or
** used only during the call. Strings returned as `const char *` belong to
** the library and stay valid until the next call on the same handle.
**
** Threads: one handle is used by one thread at a time. Several processes (or
** handles) may use the same data directory at once: writers wait for each
** other (up to about 10 s) instead of failing.
*/
#ifndef FIELDSYNC_H
#define FIELDSYNC_H

#include <stddef.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FIELDSYNC_WUR __attribute__((warn_unused_result))

/* A record id is 32 lowercase hex digits; buffers hold the NUL too. */
#define FIELDSYNC_ID_SIZE 33
/* Shortest id prefix accepted where an id is asked. */
#define FIELDSYNC_MIN_PREFIX 4

/* Status codes. 0 is success; every failure also sets a message that
** fieldsync_errmsg() returns. The codes up to FIELDSYNC_E_FULL are the
** caller's input or environment (a CLI exits 2 for them); the rest are
** failures of the store or the system. */
typedef enum fieldsync_status {
	FIELDSYNC_OK = 0,
	FIELDSYNC_E_USAGE,     /* malformed request: unknown field, empty edit */
	FIELDSYNC_E_INVALID,   /* a value the record kind does not allow */
	FIELDSYNC_E_NOT_INIT,  /* no store in the data directory: run init */
	FIELDSYNC_E_NOT_FOUND, /* no record has that id (prefix) */
	FIELDSYNC_E_AMBIGUOUS, /* the prefix matches several records */
	FIELDSYNC_E_READONLY,  /* the data directory or store is not writable */
	FIELDSYNC_E_FULL,      /* disk full or file size limit reached */
	FIELDSYNC_E_EXISTS,    /* init: the directory already holds a store */
	FIELDSYNC_E_INSECURE,  /* the secret key file is readable by others */
	FIELDSYNC_E_BUSY,      /* another process held the store too long */
	FIELDSYNC_E_VERSION,   /* store written by a newer fieldsync */
	FIELDSYNC_E_CORRUPT,   /* store or key files damaged */
	FIELDSYNC_E_IO,        /* other I/O or SQLite failure */
	FIELDSYNC_E_NOMEM,     /* out of memory */
	FIELDSYNC_E_UNREACHABLE, /* sync: server not reachable; nothing lost */
	FIELDSYNC_E_REFUSED,   /* sync: the server refused (reason in errmsg) */
	FIELDSYNC_E_NOT_ENROLLED, /* sync: run `fieldsync enroll` first */
	FIELDSYNC_E_TLS,       /* enroll: the server's certificate is unknown or
				** not the pinned one, or http vs https */
	FIELDSYNC_E_NOT_OWNER, /* the record belongs to another device: only its
				** owner or HQ may change it (SPEC 9.6) */
	FIELDSYNC_E__COUNT
} fieldsync_status;

typedef struct fieldsync fieldsync;

/* One field of a write, as a person typed it: name is the field's wire name
** ("planned_ha"), text its value ("3.8", "Saravane", "2026-04-10"). An id
** field (progress "model") accepts any unique id prefix. */
typedef struct fieldsync_field {
	const char *name;
	const char *text;
} fieldsync_field;

/* Short constant name of a status ("not_found"); never NULL. */
const char *fieldsync_status_name(int status);

/* Message of the handle's last failure, naming what is wrong and what is
** allowed; "" after a success. fs may be NULL (then "out of memory", the
** only way an open or init call leaves no handle). Owned by the handle. */
const char *fieldsync_errmsg(const fieldsync *fs);

/* Wire name of the field the last failure is about ("planned_ha"), or NULL
** when the failure is not about one field. Owned by the handle. */
const char *fieldsync_errfield(const fieldsync *fs);

/* The last failure's message without the field's name, for a form that
** shows it next to the field (fieldsync_errmsg() says 'field "sown_ha":
** ...'); the same as fieldsync_errmsg() when the message does not start
** with the field. Owned by the handle. */
const char *fieldsync_errdetail(const fieldsync *fs);

/* Languages: "vi" (Vietnamese), "lo" (Lao), "en" (English, the source
** language of the catalogs). Messages, labels, help texts, units and
** reference-list names follow a handle's language; a handle without one
** follows the process default, which is the first supported language of
** LANGUAGE, else of the locale (LC_ALL, LC_MESSAGES, LANG), else Vietnamese.
** fieldsync_set_language(fs, lang) sets a handle's language; fs NULL sets
** the process default (also for a front end's own gettext calls, domain
** "fieldsync"); lang NULL takes it from the environment again. lang may be
** a locale name ("lo_LA.UTF-8"). FIELDSYNC_E_USAGE for any other language.
** Catalogs: $FIELDSYNC_LOCALEDIR, else the build tree's, else the installed
** ones (PREFIX/share/locale); without them text stays English. */
int fieldsync_set_language(fieldsync *fs, const char *lang) FIELDSYNC_WUR;

/* The language in effect for fs (NULL: the process default): "vi", "lo" or
** "en". Static string; cannot fail. */
const char *fieldsync_language(const fieldsync *fs);

/* A language's own name ("Tiếng Việt", "ພາສາລາວ", "English") for a
** language switch, or NULL if lang is not supported. Static string. */
const char *fieldsync_language_name(const char *lang);

/* An amount of whole đồng (0..10^13) in fs's language (NULL: the process
** default), as people write it: "15.000.000.000 đ", "15,000,000,000 VND";
** with short_form in billions or millions ("15 tỷ đồng", "2.5 billion
** VND"). Fills buf; FIELDSYNC_E_USAGE (buf "") if dong is out of range or
** buf too small (64 bytes always suffice). */
int fieldsync_money_format(const fieldsync *fs, long long dong,
			   int short_form, char *buf,
			   size_t bufsz) FIELDSYNC_WUR;

/* Create a data directory (made if missing, mode 0700) with a new store, a
** new Ed25519 key pair (device.key mode 0600, device.pub) and the user's
** name. Like sqlite3_open, *out receives a handle even on failure (for
** fieldsync_errmsg) unless memory ran out; close it either way. Fails with
** FIELDSYNC_E_EXISTS if dir already holds an initialised store. */
int fieldsync_init(const char *dir, const char *name, fieldsync **out)
	FIELDSYNC_WUR;

/* Open an initialised data directory. Creates nothing: a missing store is
** FIELDSYNC_E_NOT_INIT. Refuses (FIELDSYNC_E_INSECURE) a device.key that
** group or others may access. Upgrades an older store schema. *out as for
** fieldsync_init. */
int fieldsync_open(const char *dir, fieldsync **out) FIELDSYNC_WUR;

/* Open a store only to examine and salvage it (fieldsync_check,
** fieldsync_salvage), even when damaged: read-only, no schema upgrade, and
** neither the key files nor a readable meta table are required. Every write
** through this handle fails. *out as for fieldsync_init. */
int fieldsync_open_damaged(const char *dir, fieldsync **out) FIELDSYNC_WUR;

/* Close the handle and wipe its secret key. Accepts NULL. */
void fieldsync_close(fieldsync *fs);

/* The device id (32 hex digits); "" if the handle failed to open. */
const char *fieldsync_device_id(const fieldsync *fs);

/* Replace the wall clock (milliseconds since 1970) used for HLC stamps, for
** tests; NULL restores the real clock. Cannot fail. */
void fieldsync_set_clock(fieldsync *fs, long long (*now_ms)(void *ctx),
			 void *ctx);

/* The record kinds and their fields, from the protocol's table, with the
** display texts in the process default language:
**   [{"kind":"visit","plural":"visits","label":"Chuyến thăm của đoàn",
**     "label_plural":"...","append_only":false,
**     "title":["leader","province","start"],
**     "fields":[{"name":"province","type":"enum","required":true,
**                "label":"Tỉnh","help":"...","unit":"ha"?,
**                "unit_label":"ha"?,"allowed":["Attapeu",...]?,
**                "choices":[{"value":"Attapeu","label":"Attapeu"},...]?,
**                "max_bytes":200?,"min":0?,"max":1000?,"ref":"model"?}]}]
** Wire names (kind, name, allowed, choices' value, unit) never change with
** the language; label, label_plural, help, unit_label and choices' label do.
** "ref" names the kind an id field points to; "title" the fields that name
** a record for a person, in order. New tree, caller frees; NULL
** only when out of memory. Needs no handle. */
cJSON *fieldsync_schema(void);

/* The same in language lang ("vi", "lo", "en"); NULL also for an unknown
** language. */
cJSON *fieldsync_schema_lang(const char *lang);

/* Parse one value as a person typed it for field `field` of kind, with the
** rules of fieldsync_add (below), without writing anything: a form can check
** every field and show each failure next to its field at once. On success
** *value is the canonical value (a new item, caller frees); on failure it
** is NULL and fieldsync_errdetail() says why, in the handle's language. */
int fieldsync_field_parse(fieldsync *fs, const char *kind, const char *field,
			  const char *text, cJSON **value) FIELDSYNC_WUR;

/* Record a new record of kind ("visit", "trip", "model", "progress"; plurals
** accepted) from n fields as typed. Every required field must be present.
** Input is taken as people type it: text is stored NFC-normalised and
** trimmed; "3,8" is 3.8; dates may be DD/MM/YYYY or 2026-6-20; names of
** provinces, sectors, specialties and directions match in any language,
** without diacritics or case ("nong nghiep", "tỉnh Salavan", "ແຂວງສາລະວັນ"),
** and a wrong one is answered with "did you mean ...?".
** Writes the record and its outbox change in one transaction. On success
** id_out holds the new id; on failure it is "" and the store is unchanged. */
int fieldsync_add(fieldsync *fs, const char *kind, const fieldsync_field *f,
		  size_t n, char id_out[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Called with each new id, in input order, once an import has committed. */
typedef void (*fieldsync_id_fn)(void *ctx, const char *id);

/* Bulk add: read JSON lines from in, each
**   {"kind":"visit","fields":{"province":"Salavan","members":"6",...}}
** with values as a person would type them (as for fieldsync_add, which
** checks every line the same way; numbers are read as their decimal text),
** and add them all in ONE transaction: all lines or none. Blank lines are
** skipped. On failure the store is unchanged and the message starts with
** "line N: " (fieldsync_errfield names the field when one is at fault). On
** success *count is the number of records added and on_id (may be NULL) is
** called with each new id. */
int fieldsync_import(fieldsync *fs, FILE *in, fieldsync_id_fn on_id,
		     void *ctx, long *count) FIELDSYNC_WUR;

/* A line may also carry "id" (32 lowercase hex digits, as
** fieldsync_salvage writes): the record is added with that id, or, when
** this store holds a record with that id already, the line is left out
** (counted by fieldsync_import_skipped) and the stored record kept. A
** member "pending" (true/false, written by fieldsync_salvage) is ignored. */

/* Lines the last fieldsync_import on fs left out because their id was
** held already (0 when it failed). */
long fieldsync_import_skipped(const fieldsync *fs);

/* Change n fields (n >= 1) of the record whose id starts with prefix. The
** merged record must still be valid. Append-only kinds cannot be edited.
** id_out receives the full id (may be NULL). */
int fieldsync_edit(fieldsync *fs, const char *prefix, const fieldsync_field *f,
		   size_t n, char id_out[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Delete the record whose id starts with prefix, saying why (reason: 1 to
** 2000 bytes, required): it disappears from every listing but keeps its
** history and can be restored (fieldsync_undelete). Observations are
** retracted instead (fieldsync_retract). Only the record's owner may delete
** it (FIELDSYNC_E_NOT_OWNER names the owner). id_out may be NULL. */
int fieldsync_delete(fieldsync *fs, const char *prefix, const char *reason,
		     char id_out[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Restore a deleted record (its owner only); reason may be NULL. */
int fieldsync_undelete(fieldsync *fs, const char *prefix, const char *reason,
		       char id_out[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Retract an observation (progress, work_progress) this device recorded,
** saying why (required): it no longer counts anywhere and stays in its
** model's history as retracted. */
int fieldsync_retract(fieldsync *fs, const char *prefix, const char *reason,
		      char id_out[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Every change of the record (live, deleted or retracted) whose id starts
** with prefix, oldest first, as a new JSON object (caller frees): id, kind,
** name (what the record is: "Ngô nếp — Salavan"), deleted, retracted, and
** entries, each SPEC.md 9.7's history entry (hlc, ms, device, op, reason,
** to, fields: [{field, from, to, won}]) plus name (the author's name in
** the roster, or null), hq (the author is HQ: a correction), local (made on
** this device) and verified (pulled: its set's signature and chain were
** checked before it was applied). */
int fieldsync_history(fieldsync *fs, const char *prefix, cJSON **out)
	FIELDSYNC_WUR;

/* Notices: news a sync brought about this device's own records (HQ
** corrected, deleted, restored or handed one over, or resolved a conflict
** on it; a value of ours lost to a concurrent edit). A new JSON array
** (caller frees), oldest first, of the unread ones (all: every one), each a
** history entry plus n (its number), record, record_name, kind, at_ms
** (when it arrived), read, name, hq and text (the sentence, in fs's
** language). */
int fieldsync_notices(fieldsync *fs, int all, cJSON **out) FIELDSYNC_WUR;

/* Mark notice n read (0: every unread one); *count (may be NULL) receives
** how many were newly marked. FIELDSYNC_E_NOT_FOUND for a number that is
** no notice. */
int fieldsync_notices_read(fieldsync *fs, long long n, long long *count)
	FIELDSYNC_WUR;

/* Full id of the live record whose id starts with prefix (>= 4 hex digits,
** case-insensitive). FIELDSYNC_E_NOT_FOUND or FIELDSYNC_E_AMBIGUOUS (the
** message lists the candidates). */
int fieldsync_resolve(fieldsync *fs, const char *prefix,
		      char id_out[FIELDSYNC_ID_SIZE]) FIELDSYNC_WUR;

/* Live records, oldest first, as a new array (caller frees):
**   [{"id":..,"kind":..,"fields":{name:value,...},"created":stamp,
**     "updated":stamp,"pending":bool,
**     "progress":{"count":N,"latest":{"id":..,"fields":{..}}|null}}]
** The "progress" member (one per kind whose id field points here) summarises
** the observations; latest = highest date, then highest stamp. kind NULL
** lists every kind; province (any accepted spelling) NULL for all. */
int fieldsync_list(fieldsync *fs, const char *kind, const char *province,
		   cJSON **out) FIELDSYNC_WUR;

/* One live record by id prefix, as in fieldsync_list plus "stamps"
** ({field: stamp text}) and, for a model, every observation in
** "progress":{"count","latest","items":[...]}. New tree, caller frees. */
int fieldsync_show(fieldsync *fs, const char *prefix, cJSON **out)
	FIELDSYNC_WUR;

/* Device and store summary (caller frees):
**   {"device":id,"name":..,"dir":..,"schema":N,"hlc":"16hex",
**    "records":{"visit":N,...},"pending":N}
** pending = changes in the outbox waiting to be sent. */
int fieldsync_status_get(fieldsync *fs, cJSON **out) FIELDSYNC_WUR;

/* Check that the store is intact. full = 0: SQLite's quick_check (every
** page's structure; reads the whole store once, as sync and `fieldsync
** status` do); full = 1: integrity_check (also every index against its
** table; slower). FIELDSYNC_OK, or FIELDSYNC_E_CORRUPT with a message
** naming the first problems, what HQ still holds of this device and how to
** recover (fieldsync_salvage). Changes nothing. */
int fieldsync_check(fieldsync *fs, int full) FIELDSYNC_WUR;

#include "fieldsync_sync.h"
#include "fieldsync_form.h"

/* What fieldsync_salvage found. */
typedef struct fieldsync_salvage_report {
	long long records;     /* live records written */
	long long pending;     /* of them: changes HQ does not hold yet */
	long long rebuilt;     /* of them: row lost, rebuilt from the outbox */
	long long deleted;     /* deleted records (not written) */
	long long outbox;      /* outbox changes read */
	long long bad_rows;    /* rows read but unusable, or edits whose record
				** is lost */
	long long bad_ranges;  /* damaged stretches stepped over (rows lost) */
} fieldsync_salvage_report;

/* Read every record the store still holds, stepping over damaged pages,
** and call fn with each live record as one JSON line that fieldsync_import
** takes back (into a fresh store):
**   {"id":"..","kind":"visit","fields":{"province":"Attapeu",..},
**    "pending":true}
** "pending": the record has changes HQ does not hold yet. Kinds that point
** to another (progress -> model) come after the others. A record whose row
** is lost but whose creation is in the outbox is rebuilt from its changes.
** Best on a handle from fieldsync_open_damaged; changes nothing. rep (may
** be NULL) is filled even on failure. Fails on I/O or memory errors, not
** on damage (that is counted in rep). */
int fieldsync_salvage(fieldsync *fs, fieldsync_line_fn fn, void *ctx,
		      fieldsync_salvage_report *rep) FIELDSYNC_WUR;

#ifdef __cplusplus
}
#endif
#endif
