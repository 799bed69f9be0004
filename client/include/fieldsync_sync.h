/*
** This file contains the sync part of libfieldsync's public interface:
** enrolling a device with the HQ server and one sync pass (authenticate,
** pull every page after the stored cursor, push the outbox as signed change
** sets). It is included by fieldsync.h; see that header for handles, status
** codes and memory rules.
*/
#ifndef FIELDSYNC_SYNC_H
#define FIELDSYNC_SYNC_H

#include <cjson/cJSON.h>

/* What a sync pass is doing, for a progress bar. */
typedef struct fieldsync_progress {
	const char *phase;        /* "wait" (another sync of this store is
				  ** running), "auth", "pull", "push" */
	long long pushed;         /* changes the server has acknowledged */
	long long to_push;        /* changes this pass will push */
	long long pulled;         /* changes pulled and applied */
	long long bytes_up;       /* bytes on the wire so far */
	long long bytes_down;
} fieldsync_progress;

typedef void (*fieldsync_progress_fn)(void *ctx, const fieldsync_progress *p);

typedef struct fieldsync_sync_opts {
	long connect_timeout_s;   /* 0: 10 s */
	long stall_timeout_s;     /* 0: 15 s; a transfer stalled this long fails */
	long max_set_changes;     /* 0: 1000; smaller sets lose less when a
				  ** slow link is cut (and tests get many) */
	fieldsync_progress_fn progress; /* may be NULL */
	void *progress_ctx;
	int encoding;             /* request bodies: 0 or FIELDSYNC_ZSTD, zstd
				  ** with the protocol's dictionary (answers
				  ** zstd or gzip); FIELDSYNC_GZIP, gzip (and
				  ** answers gzip) */
} fieldsync_sync_opts;

#define FIELDSYNC_ZSTD 2
#define FIELDSYNC_GZIP 1

/* What one pass did. */
typedef struct fieldsync_sync_report {
	long long pushed_sets, pushed_changes; /* newly held by the server */
	long long pulled_sets, pulled_changes;
	long long refused_changes;   /* moved aside this pass, see status */
	long long restamped;         /* pending changes re-dated (clock ahead) */
	long long recovered_sets;    /* own sets pulled back after a restore */
	long long bytes_up, bytes_down;
	long long requests;          /* HTTP requests made */
	long long holds;             /* server holds this device's sets 1..holds */
	long long local_seq;         /* highest set this device built */
	long long notices;           /* new notices this pass brought */
	long long connections;       /* TCP (TLS) connections opened */
	char tls[64];                /* TLS version / cipher, "" over HTTP */
	char encoding[8];            /* request bodies went as "zstd" or
				  ** "gzip" (an older server takes only gzip) */
	char warning[512];           /* "" or something the user should know */
} fieldsync_sync_report;

/* Register this device's public key with the server at url using a one-time
** enrollment token from HQ. cacert (may be NULL: system trust store) is a
** PEM file for a private CA; its absolute path is remembered for later
** syncs. Returns FIELDSYNC_OK, FIELDSYNC_E_UNREACHABLE, FIELDSYNC_E_REFUSED
** (the server's reason in fieldsync_errmsg), FIELDSYNC_E_TLS (below) or a
** local failure. */
int fieldsync_enroll(fieldsync *fs, const char *url, const char *token,
		     const char *cacert) FIELDSYNC_WUR;

/* Enroll with an enrollment link as HQ gives it (`fieldsyncd token create
** --url`): "fieldsync://enroll?url=...&token=...[&pin=...]", spaces and
** newlines around it ignored. The link is checked strictly first (unknown
** scheme or parameter, bad hex, too long: FIELDSYNC_E_USAGE, nothing
** changed, nothing sent). With a pin the server's certificate is trusted by
** its public key alone (self-signed is fine, any other key is refused) and
** the pin is kept for later syncs; cacert (may be NULL) is then not
** allowed. Returns as fieldsync_enroll. Both also return FIELDSYNC_E_TLS
** when the failure is the server's certificate (unknown, not the pinned
** one) or http vs https, with what to do in fieldsync_errmsg: that is not
** fixed by trying later, so it is not FIELDSYNC_E_UNREACHABLE. */
int fieldsync_enroll_link(fieldsync *fs, const char *link,
			  const char *cacert) FIELDSYNC_WUR;

/* One sync pass. report (may be NULL) is filled even on failure. Returns
** FIELDSYNC_OK (everything pushed and pulled), FIELDSYNC_E_UNREACHABLE
** (server not reachable or link dropped: nothing is lost, try later),
** FIELDSYNC_E_REFUSED (the server refused: revoked device, broken chain;
** or the server holds another set with one of this store's numbers: a copy
** of this store uses its identity, see fieldsync_reenroll; the reason is
** in fieldsync_errmsg), FIELDSYNC_E_NOT_ENROLLED, or a local failure.
** Syncs of one store run one at a time (a lock file in its directory, for
** every process): when another is running, the progress callback gets
** phase "wait" and the pass waits for it; FIELDSYNC_E_BUSY if the wait is
** interrupted by a signal. */
int fieldsync_sync(fieldsync *fs, const fieldsync_sync_opts *opts,
		   fieldsync_sync_report *report) FIELDSYNC_WUR;

/* Make this store a new device, for a store whose identity another copy
** uses (sync refused with "another copy of this store"; any store may do
** it). A new key pair is enrolled at url (NULL: the server this store uses)
** with a fresh one-time token from HQ, cacert as for fieldsync_enroll (NULL:
** the one this store uses). The sets the server holds as this store's stay
** the old identity's history; every change the server does not hold as
** this store's is sent by the next sync as the new device's. A crash or a
** refusal leaves the store as it was (run it again). Returns FIELDSYNC_OK,
** FIELDSYNC_E_UNREACHABLE, FIELDSYNC_E_REFUSED (the token; the reason in
** fieldsync_errmsg), FIELDSYNC_E_BUSY (a sync of the store is running),
** FIELDSYNC_E_NOT_ENROLLED, or a local failure. */
int fieldsync_reenroll(fieldsync *fs, const char *url, const char *token,
		       const char *cacert) FIELDSYNC_WUR;

/* Sync state as a new JSON object (caller frees): server, enrolled,
** last_sync_ms, holds, local_seq, pending (changes not yet held by the
** server), refused (array of {record, code, message}), last_error, clone
** (null, or {seq, message} when the server holds another set of this
** identity at seq: see fieldsync_reenroll), replaced_device (the identity
** before a reenroll, if any). */
int fieldsync_sync_status(fieldsync *fs, cJSON **out) FIELDSYNC_WUR;

/* 1 if record id has local changes the server does not hold yet. */
int fieldsync_record_pending(fieldsync *fs, const char *id);

/* Every record held here, tombstones included, sorted by id, as the
** canonical lines of proto_state_canonical ("ID KIND f=V@STAMP ..."): fn is
** called once per record. Replicas that converged give identical lines. */
typedef void (*fieldsync_line_fn)(void *ctx, const char *line);
int fieldsync_dump(fieldsync *fs, fieldsync_line_fn fn, void *ctx)
	FIELDSYNC_WUR;

#endif
