/*
** This file contains the server's short-lived authentication state:
** challenges (120 s, single use), session tokens (15 min) and the
** per-address throttles of guessing (enrollment, dashboard sign-in).
**
** Challenges and sessions are not stored: each is 32 bytes the server can
** check by itself (a challenge: random nonce, expiry and a MAC over them
** and the device id; a session: the device id, its end and a MAC) under a
** key every fieldsyncd of one database shares (srv_auth_set_key, the
** database's meta "auth_key"), so asking for challenges, however often,
** uses no memory, and a device may authenticate with one process and push
** or pull through another. What is stored is per device, and only after a
** valid signature: the challenges it has used, a few in this process's
** memory and, in the database, the expiry of the newest one
** (srv_store_auth_floor), so each challenge works once across processes.
*/
#ifndef FIELDSYNC_SRV_AUTH_H
#define FIELDSYNC_SRV_AUTH_H

#include <stdint.h>
#include "store.h"

#define SRV_CHALLENGE_TTL_MS (120 * 1000)
#define SRV_SESSION_TTL_MS   (15 * 60 * 1000)
#define SRV_SECRET_HEX 64    /* challenges and session tokens: 32 bytes hex */
#define SRV_USED_CHALLENGES_KEPT 8 /* per device; older ones count as used */

/* Per-address throttles (ratelimit.h): SRV_LIMIT_BURST attempts, one more
** every SRV_LIMIT_REFILL_MS; a successful attempt is given back. */
typedef enum srv_limit {
	SRV_LIMIT_ENROLL,    /* POST /v2/enroll */
	SRV_LIMIT_LOGIN,     /* POST /login (dashboard) */
	SRV_LIMIT_COUNT
} srv_limit;
#define SRV_LIMIT_BURST 10
#define SRV_LIMIT_REFILL_MS 6000

typedef struct srv_auth srv_auth;

/* New empty state with a fresh random key; *out NULL on failure
** (SRV_E_NOMEM). Free with srv_auth_free (accepts NULL). */
int srv_auth_new(srv_auth **out) SRV_WUR;
/* Use key (32 bytes) for challenges and sessions: the key every fieldsyncd
** serving the same database shares. Call before serving. */
void srv_auth_set_key(srv_auth *a, const uint8_t key[32]);
/* The expiry of a challenge made for device (after srv_auth_challenge_take
** accepted it): SRV_OK, or SRV_E_NOTFOUND when it is not one. */
int srv_auth_challenge_expiry(srv_auth *a, const char *challenge,
			      const char *device, int64_t *expires_ms) SRV_WUR;
void srv_auth_free(srv_auth *a);

/* A new challenge for device (32 lowercase hex digits), valid
** SRV_CHALLENGE_TTL_MS; out holds 65 bytes. Stores nothing. SRV_OK, or
** SRV_E_ARG (out "") if device is not a device id. */
int srv_auth_challenge_new(srv_auth *a, const char *device, int64_t now_ms,
			   char out[SRV_SECRET_HEX + 1]) SRV_WUR;

/* Whether a challenge could be used by device now; changes nothing.
** SRV_OK; SRV_E_NOTFOUND (not made by this process, altered, or made for
** another device), SRV_E_EXPIRED, SRV_E_USED (a session was opened with
** it). */
int srv_auth_challenge_check(srv_auth *a, const char *challenge,
			     const char *device, int64_t now_ms) SRV_WUR;

/* Use a challenge once, after its signature verified: the checks of
** srv_auth_challenge_check (SRV_E_USED when a concurrent request used it
** first), then SRV_OK: it can never be used again. A device's last
** SRV_USED_CHALLENGES_KEPT used challenges are kept one by one; every
** challenge it was issued before those counts as used (SRV_E_USED), so a
** device that signs in often costs no more memory. SRV_E_BUSY, very
** unlikely: no slot is free for the device's record. */
int srv_auth_challenge_take(srv_auth *a, const char *challenge,
			    const char *device, int64_t now_ms) SRV_WUR;

/* A new session for device, valid SRV_SESSION_TTL_MS (rounded up to the
** second); out holds 65 bytes. Stores nothing. SRV_E_ARG (bad device id). */
int srv_auth_session_new(srv_auth *a, const char *device, int64_t now_ms,
			 char out[SRV_SECRET_HEX + 1]) SRV_WUR;
/* The device of a live session: SRV_OK and device filled; SRV_E_EXPIRED;
** SRV_E_NOTFOUND for anything else. */
int srv_auth_session_check(srv_auth *a, const char *token, int64_t now_ms,
			   char device[PROTO_ID_HEX + 1]) SRV_WUR;

/* Tickets (SPEC 10.12, /v3/sync): what a device signs instead of a
** challenge, handed out with each sync for the next, so a device that
** synced in the last SRV_TICKET_TTL_MS needs no round trip to sign in.
** A challenge's form under another domain; nothing is kept when one is
** issued. srv_auth_ticket_check: SRV_OK (the ticket is this server's, for
** device, unexpired; *expires_ms its end), SRV_E_EXPIRED, SRV_E_NOTFOUND.
** Each works once: api.c raises the device's ticket floor in the
** database (srv_store_auth_floor under srv_auth_ticket_floor_id) to the
** ticket's end, so it, and every ticket issued before it, is used. */
#define SRV_TICKET_TTL_MS (30LL * 24 * 3600 * 1000)
#define SRV_TICKET_FLOOR_ID (7 + PROTO_ID_HEX + 1)
int srv_auth_ticket_new(srv_auth *a, const char *device, int64_t now_ms,
			char out[SRV_SECRET_HEX + 1]) SRV_WUR;
int srv_auth_ticket_check(srv_auth *a, const char *ticket, const char *device,
			  int64_t now_ms, int64_t *expires_ms) SRV_WUR;
void srv_auth_ticket_floor_id(const char *device,
			      char out[SRV_TICKET_FLOOR_ID]);

/* Dashboard sessions (web.c), checked like device sessions by any
** fieldsyncd of the database: 32 bytes (64 hex, the cookie) = a random
** nonce (12), the end in Unix ms (8, big-endian) and a tag (12) under the
** key. srv_auth_web_new makes one valid ttl_ms from now_ms; out holds 65
** bytes. srv_auth_web_check: SRV_OK for a live one (*end_ms filled when
** not NULL), SRV_E_EXPIRED, SRV_E_NOTFOUND for anything else; a cookie
** whose tag fails costs no database access. What is signed out is kept in
** the database by the caller (srv_store_auth_floor under
** srv_auth_web_signout_id). srv_auth_web_csrf: the session's CSRF token
** (64 hex + NUL), a keyed hash of the cookie no other site can compute. */
#define SRV_WEB_NONCE_BYTES 12
int srv_auth_web_new(srv_auth *a, int64_t now_ms, int64_t ttl_ms,
		     char out[SRV_SECRET_HEX + 1]) SRV_WUR;
int srv_auth_web_check(srv_auth *a, const char *cookie, int64_t now_ms,
		       int64_t *end_ms) SRV_WUR;
void srv_auth_web_csrf(srv_auth *a, const char *cookie,
		       char out[SRV_SECRET_HEX + 1]);
/* The auth_floor key that marks cookie (already checked) signed out:
** "web:" and its nonce in hex; out holds SRV_WEB_SIGNOUT_ID bytes. */
#define SRV_WEB_SIGNOUT_ID (4 + 2 * SRV_WEB_NONCE_BYTES + 1)
void srv_auth_web_signout_id(const char *cookie,
			     char out[SRV_WEB_SIGNOUT_ID]);

/* Take one attempt of kind from the address peer (text, as srv_req.peer):
** 0 when allowed, else the seconds until it would be (answer 429 with
** Retry-After). srv_auth_unthrottle gives the attempt back when it
** succeeded. Both cannot fail. */
unsigned srv_auth_throttle(srv_auth *a, srv_limit kind, const char *peer,
			   int64_t now_ms);
void srv_auth_unthrottle(srv_auth *a, srv_limit kind, const char *peer,
			 int64_t now_ms);

#endif
