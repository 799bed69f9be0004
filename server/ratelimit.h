/*
** This file contains per-address token buckets: a bounded table that slows
** down guessing from one client address (enrollment tokens, dashboard
** sign-in) and leaves every other address alone. An address is keyed as
** libmicrohttpd reports it: IPv4 whole, IPv6 by its /64 (one host owns a
** whole /64), an IPv4-mapped IPv6 address as the IPv4 it maps.
**
** The table has a fixed number of slots and never refuses a new address: a
** full bucket is the same as no bucket, so the slot holding the fullest one
** is given to the newcomer. Filling the table therefore cannot lock anyone
** out; at worst it makes the limiter forget an address that had been
** slowed down.
*/
#ifndef FIELDSYNC_SRV_RATELIMIT_H
#define FIELDSYNC_SRV_RATELIMIT_H

#include <stdint.h>
#include "store.h"

#define SRV_RL_SLOTS 4096  /* addresses remembered at once */

typedef struct srv_rl srv_rl;

/* A table of buckets holding burst attempts each, refilled one attempt per
** refill_ms (burst >= 1, refill_ms >= 1, else SRV_E_ARG). *out is NULL on
** failure (SRV_E_NOMEM). Free with srv_rl_free (accepts NULL). */
int srv_rl_new(unsigned burst, int64_t refill_ms, srv_rl **out) SRV_WUR;
void srv_rl_free(srv_rl *rl);

/* Take one attempt from the bucket of peer (the client's address as text;
** NULL or "" share one bucket). Returns 0 when granted, else the number of
** seconds (>= 1) until an attempt would be granted; a refused attempt
** takes nothing. Cannot fail. */
unsigned srv_rl_take(srv_rl *rl, const char *peer, int64_t now_ms);

/* Give back one attempt taken for peer (it turned out to be no guess: a
** valid token). Cannot fail; does nothing if the bucket is full. */
void srv_rl_refund(srv_rl *rl, const char *peer, int64_t now_ms);

#endif
