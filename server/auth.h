/*
** This file contains the server's short-lived secrets: authentication
** challenges (random, 120 s, single use) and session tokens (random, 15 min).
** They live in memory, guarded by a mutex: a restart of fieldsyncd ends every
** session and the devices simply authenticate again. Only the BLAKE2b hash of
** each secret is kept, compared with sodium_memcmp.
*/
#ifndef FIELDSYNC_SRV_AUTH_H
#define FIELDSYNC_SRV_AUTH_H

#include <stdint.h>
#include "store.h"

#define SRV_CHALLENGE_TTL_MS (120 * 1000)
#define SRV_SESSION_TTL_MS   (15 * 60 * 1000)
#define SRV_SECRET_HEX 64    /* challenges and session tokens: 32 bytes hex */

typedef struct srv_auth srv_auth;

/* New empty table; *out NULL on failure (SRV_E_NOMEM). Free with
** srv_auth_free (accepts NULL). */
int srv_auth_new(srv_auth **out) SRV_WUR;
void srv_auth_free(srv_auth *a);

/* A new challenge for device, valid SRV_CHALLENGE_TTL_MS; out holds 65
** bytes. SRV_E_BUSY if the table is full of live challenges. */
int srv_auth_challenge_new(srv_auth *a, const char *device, int64_t now_ms,
			   char out[SRV_SECRET_HEX + 1]) SRV_WUR;
/* Use a challenge once: SRV_OK if it was issued to device and is live;
** SRV_E_NOTFOUND (never issued, or to another device), SRV_E_USED,
** SRV_E_EXPIRED. Whatever the answer, it can never be used again. */
int srv_auth_challenge_take(srv_auth *a, const char *challenge,
			    const char *device, int64_t now_ms) SRV_WUR;

/* A new session for device, valid SRV_SESSION_TTL_MS; out holds 65 bytes. */
int srv_auth_session_new(srv_auth *a, const char *device, int64_t now_ms,
			 char out[SRV_SECRET_HEX + 1]) SRV_WUR;
/* The device of a live session: SRV_OK and device filled; SRV_E_EXPIRED;
** SRV_E_NOTFOUND for anything else. */
int srv_auth_session_check(srv_auth *a, const char *token, int64_t now_ms,
			   char device[PROTO_ID_HEX + 1]) SRV_WUR;

#endif
