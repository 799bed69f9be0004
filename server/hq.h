/*
** This file contains the server's own device identity ("HQ"): an Ed25519
** key pair made when the database is first initialised. The secret key lives
** in a file beside the database (PATH.hqkey, mode 0600, 128 hex digits and a
** newline); the public key is an ordinary device row with role "hq", so HQ's
** change sets (conflict resolutions) are verified like any other.
*/
#ifndef FIELDSYNC_SRV_HQ_H
#define FIELDSYNC_SRV_HQ_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

/* Make sure the database at db_path (open as s) has its HQ identity,
** creating the key file and device row if missing. hq_id gets the HQ device
** id. Safe against two processes doing it at once. */
int srv_hq_ensure(srv_store *s, const char *db_path,
		  char hq_id[PROTO_ID_HEX + 1], char *msg, size_t msgsz) SRV_WUR;

/* The key file path for a database path ("PATH.hqkey"). */
int srv_hq_key_path(const char *db_path, char *out, size_t outsz) SRV_WUR;
/* The targets file beside the database ("DB.targets"). */
int srv_hq_targets_path(const char *db_path, char *out, size_t outsz);

/* Load HQ's secret key (64 bytes, libsodium form) from the key file; the
** caller wipes it (sodium_memzero) when done. */
int srv_hq_key_load(const char *db_path, uint8_t sk[PROTO_SK_BYTES],
		    char *msg, size_t msgsz) SRV_WUR;

/* Open the database at path, creating it (schema and HQ identity) when
** create is 1. Shared by serve and the admin commands. */
int srv_db_open(const char *path, int create, srv_store **out,
		char hq_id[PROTO_ID_HEX + 1], char *msg, size_t msgsz) SRV_WUR;

/* Wall clock in unix milliseconds, through a pointer tests may replace. */
extern int64_t (*srv_clock_ms)(void);

#endif
