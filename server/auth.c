/*
** This file contains challenges, sessions and throttles (see auth.h).
**
** CHALLENGE FORMAT (32 bytes, sent as 64 lowercase hex digits; opaque to the
** client, which signs the hex text, SPEC.md §10.5):
**
**   bytes  0..7   nonce, random
**   bytes  8..15  expiry, Unix ms, unsigned big-endian
**   bytes 16..31  tag = BLAKE2b-128 keyed with the 32-byte key (the
**                 database's, shared by every fieldsyncd serving it) over
**                 "fieldsync challenge v1\n" || bytes 0..15 || the device
**                 id (16 bytes)
**
** A challenge is valid when its tag matches for the device that presents
** it and its expiry has not passed; nothing is kept when one is issued.
**
** SESSION FORMAT (32 bytes, 64 hex): the device id (16), the session's
** end in Unix seconds (4, big-endian), and a tag (12) = BLAKE2b-96 keyed
** with the same key over "fieldsync session v1\n" || bytes 0..19.
**
** DEVICE RECORDS. What is kept, per device, is written only once a
** signature has verified (srv_auth_challenge_take): the tags of the last
** challenges it used, until they expire, and a watermark below which every
** challenge counts as used (the expiry of the newest used tag forgotten to
** make room), which together make each challenge single use in this
** process in bounded memory (api.c also raises the database's floor,
** srv_store_auth_floor, for the other processes). The records are an
** open-addressing table indexed by SipHash of the id under a random key;
** slots are never emptied, only reused once their record is dead (or, when
** a probe window is full, the record that holds no live challenge gives
** up its slot), so a probe stops at the first slot never used.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "auth.h"
#include "ratelimit.h"

#define DEV_SLOTS 4096
#define PROBE_MAX 64
#define NONCE_BYTES 8
#define TAG_BYTES 16
#define TAG_DOMAIN "fieldsync challenge v1\n"
/* A ticket has a challenge's form (nonce 8, expiry 8, tag 16) under its
** own domain, so neither is ever taken for the other. */
#define TICKET_DOMAIN "fieldsync ticket v1\n"

typedef struct used_ch {
	uint8_t tag[TAG_BYTES];
	int64_t expires_ms;  /* the challenge's expiry; past: free entry */
} used_ch;

typedef struct dev {
	uint8_t id[PROTO_ID_BYTES];
	int used;            /* 0: slot never used */
	int64_t used_upto_ms; /* challenges expiring up to this count as used */
	used_ch ch[SRV_USED_CHALLENGES_KEPT];
} dev;

struct srv_auth {
	pthread_mutex_t lock;
	uint8_t mac_key[32];
	uint8_t idx_key[crypto_shorthash_KEYBYTES];
	dev *devs;           /* DEV_SLOTS */
	srv_rl *limits[SRV_LIMIT_COUNT];
};

int srv_auth_new(srv_auth **out)
{
	srv_auth *a;
	int i;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return SRV_E_NOMEM;
	a->devs = calloc(DEV_SLOTS, sizeof(dev));
	for (i = 0; a->devs && i < SRV_LIMIT_COUNT; i++)
		if (srv_rl_new(SRV_LIMIT_BURST, SRV_LIMIT_REFILL_MS,
			       &a->limits[i]))
			break;
	if (!a->devs || i < SRV_LIMIT_COUNT) {
		for (i = 0; i < SRV_LIMIT_COUNT; i++)
			srv_rl_free(a->limits[i]);
		free(a->devs);
		free(a);
		return SRV_E_NOMEM;
	}
	randombytes_buf(a->mac_key, sizeof(a->mac_key));
	randombytes_buf(a->idx_key, sizeof(a->idx_key));
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return SRV_OK;
}

void srv_auth_set_key(srv_auth *a, const uint8_t key[32])
{
	memcpy(a->mac_key, key, sizeof(a->mac_key));
}

void srv_auth_free(srv_auth *a)
{
	int i;

	if (!a)
		return;
	for (i = 0; i < SRV_LIMIT_COUNT; i++)
		srv_rl_free(a->limits[i]);
	sodium_memzero(a->devs, DEV_SLOTS * sizeof(dev));
	free(a->devs);
	pthread_mutex_destroy(&a->lock);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

/* ---- device records ------------------------------------------------- */

static int ch_live(const dev *d, int64_t now_ms)
{
	size_t i;

	if (d->used_upto_ms >= now_ms)
		return 1;
	for (i = 0; i < SRV_USED_CHALLENGES_KEPT; i++)
		if (d->ch[i].expires_ms >= now_ms)
			return 1;
	return 0;
}

/* The last moment anything in d is live. */
static int64_t dev_end(const dev *d)
{
	int64_t end = d->used_upto_ms;
	size_t i;

	for (i = 0; i < SRV_USED_CHALLENGES_KEPT; i++)
		if (d->ch[i].expires_ms > end)
			end = d->ch[i].expires_ms;
	return end;
}

/* The record of id; with make, a new empty one if it has none (NULL when
** every slot of its probe window holds a live challenge). Call with the
** lock held. */
static dev *dev_find(srv_auth *a, const uint8_t id[PROTO_ID_BYTES],
		     int64_t now_ms, int make)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	size_t i, k;
	dev *spare = NULL;
	int64_t spare_end = 0;

	crypto_shorthash(h, id, PROTO_ID_BYTES, a->idx_key);
	memcpy(&v, h, sizeof(v));
	i = (size_t)(v % DEV_SLOTS);
	for (k = 0; k < PROBE_MAX; k++) {
		dev *d = &a->devs[(i + k) % DEV_SLOTS];
		int64_t end;

		if (!d->used) {
			spare = d;
			break;
		}
		if (memcmp(d->id, id, PROTO_ID_BYTES) == 0)
			return d;
		/* Dead records first; then one without a live challenge
		** (only its sessions end early: the device signs in again). */
		if (ch_live(d, now_ms))
			continue;
		end = dev_end(d);
		if (end < now_ms)
			end = 0;
		if (!spare || end < spare_end) {
			spare = d;
			spare_end = end;
		}
	}
	if (!make || !spare)
		return NULL;
	memset(spare, 0, sizeof(*spare));
	memcpy(spare->id, id, PROTO_ID_BYTES);
	spare->used = 1;
	return spare;
}

/* ---- challenges ----------------------------------------------------- */

static void tag_under(const srv_auth *a, const char *domain,
		      const uint8_t head[16], const uint8_t id[PROTO_ID_BYTES],
		      uint8_t tag[TAG_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, a->mac_key, sizeof(a->mac_key),
				TAG_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)domain,
				  strlen(domain));
	crypto_generichash_update(&st, head, NONCE_BYTES + 8);
	crypto_generichash_update(&st, id, PROTO_ID_BYTES);
	crypto_generichash_final(&st, tag, TAG_BYTES);
}

static void challenge_tag(const srv_auth *a, const uint8_t head[16],
			  const uint8_t id[PROTO_ID_BYTES],
			  uint8_t tag[TAG_BYTES])
{
	tag_under(a, TAG_DOMAIN, head, id, tag);
}

/* nonce (8) || expiry now_ms + ttl_ms (8, big-endian) || tag under
** domain for device: a challenge or a ticket, as 64 hex digits. */
static int mint(srv_auth *a, const char *domain, const char *device,
		int64_t now_ms, int64_t ttl_ms, char out[SRV_SECRET_HEX + 1])
{
	uint8_t raw[32], id[PROTO_ID_BYTES];
	uint64_t exp = (uint64_t)(now_ms + ttl_ms);
	int i;

	out[0] = 0;
	if (!device || proto_hex_decode(id, sizeof(id), device))
		return SRV_E_ARG;
	randombytes_buf(raw, NONCE_BYTES);
	for (i = 0; i < 8; i++)
		raw[NONCE_BYTES + i] = (uint8_t)(exp >> (56 - 8 * i));
	tag_under(a, domain, raw, id, raw + NONCE_BYTES + 8);
	proto_hex_encode(out, raw, sizeof(raw));
	return SRV_OK;
}

int srv_auth_challenge_new(srv_auth *a, const char *device, int64_t now_ms,
			   char out[SRV_SECRET_HEX + 1])
{
	return mint(a, TAG_DOMAIN, device, now_ms, SRV_CHALLENGE_TTL_MS, out);
}

/* Decode challenge and check its tag for device: 0 with tag and expiry
** filled, else -1. */
static int challenge_open(const srv_auth *a, const char *challenge,
			  const char *device, uint8_t id[PROTO_ID_BYTES],
			  uint8_t tag[TAG_BYTES], int64_t *expires_ms)
{
	uint8_t raw[32];
	uint64_t exp = 0;
	int i;

	if (!challenge || !device || strlen(challenge) != SRV_SECRET_HEX ||
	    proto_hex_decode(raw, sizeof(raw), challenge) ||
	    proto_hex_decode(id, PROTO_ID_BYTES, device))
		return -1;
	challenge_tag(a, raw, id, tag);
	if (sodium_memcmp(tag, raw + NONCE_BYTES + 8, TAG_BYTES) != 0)
		return -1;
	for (i = 0; i < 8; i++)
		exp = exp << 8 | raw[NONCE_BYTES + i];
	*expires_ms = exp > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)exp;
	return 0;
}

static int ch_used(const dev *d, const uint8_t tag[TAG_BYTES], int64_t exp,
		   int64_t now_ms)
{
	size_t i;

	if (exp <= d->used_upto_ms)
		return 1;
	for (i = 0; i < SRV_USED_CHALLENGES_KEPT; i++)
		if (d->ch[i].expires_ms >= now_ms &&
		    sodium_memcmp(d->ch[i].tag, tag, TAG_BYTES) == 0)
			return 1;
	return 0;
}

/* The checks common to check and take; with take, also records the use. */
static int challenge_use(srv_auth *a, const char *challenge,
			 const char *device, int64_t now_ms, int take)
{
	uint8_t id[PROTO_ID_BYTES], tag[TAG_BYTES];
	int64_t exp;
	dev *d;
	used_ch *u = NULL;
	size_t i;
	int rc = SRV_OK;

	if (challenge_open(a, challenge, device, id, tag, &exp))
		return SRV_E_NOTFOUND;
	if (exp < now_ms)
		return SRV_E_EXPIRED;
	pthread_mutex_lock(&a->lock);
	d = dev_find(a, id, now_ms, take);
	if (d && ch_used(d, tag, exp, now_ms)) {
		rc = SRV_E_USED;
	} else if (take && !d) {
		rc = SRV_E_BUSY;
	} else if (take) {
		/* A free entry, else the one expiring first, forgotten one by
		** one but still refused through the watermark. */
		for (i = 0; i < SRV_USED_CHALLENGES_KEPT; i++) {
			if (!u || d->ch[i].expires_ms < u->expires_ms)
				u = &d->ch[i];
			if (u->expires_ms < now_ms)
				break;
		}
		if (u->expires_ms >= now_ms && u->expires_ms > d->used_upto_ms)
			d->used_upto_ms = u->expires_ms;
		memcpy(u->tag, tag, TAG_BYTES);
		u->expires_ms = exp;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int srv_auth_challenge_check(srv_auth *a, const char *challenge,
			     const char *device, int64_t now_ms)
{
	return challenge_use(a, challenge, device, now_ms, 0);
}

int srv_auth_challenge_take(srv_auth *a, const char *challenge,
			    const char *device, int64_t now_ms)
{
	return challenge_use(a, challenge, device, now_ms, 1);
}

int srv_auth_challenge_expiry(srv_auth *a, const char *challenge,
			      const char *device, int64_t *expires_ms)
{
	uint8_t id[PROTO_ID_BYTES], tag[TAG_BYTES];

	return challenge_open(a, challenge, device, id, tag, expires_ms)
		       ? SRV_E_NOTFOUND : SRV_OK;
}

/* ---- sessions ------------------------------------------------------- */

/* A session token is 32 bytes, like a challenge: the device id (16), its
** end in seconds since the epoch (4, big-endian) and a tag (12) of both
** under the key. Any fieldsyncd holding the key (every one serving the
** same database, srv_auth_set_key) checks it by itself, and nothing is
** stored: signed-in devices cost no memory. Revocation needs no session
** list either: every request checks that its device is live. */
#define SESS_TAG_BYTES 12
#define SESS_DOMAIN "fieldsync session v1\n"

static void session_tag(const srv_auth *a, const uint8_t head[20],
			uint8_t tag[SESS_TAG_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, a->mac_key, sizeof(a->mac_key),
				SESS_TAG_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)SESS_DOMAIN,
				  sizeof(SESS_DOMAIN) - 1);
	crypto_generichash_update(&st, head, 20);
	crypto_generichash_final(&st, tag, SESS_TAG_BYTES);
}

int srv_auth_session_new(srv_auth *a, const char *device, int64_t now_ms,
			 char out[SRV_SECRET_HEX + 1])
{
	uint8_t raw[32];
	uint32_t end = (uint32_t)((now_ms + SRV_SESSION_TTL_MS + 999) / 1000);
	int i;

	out[0] = 0;
	if (!device || proto_hex_decode(raw, PROTO_ID_BYTES, device))
		return SRV_E_ARG;
	for (i = 0; i < 4; i++)
		raw[PROTO_ID_BYTES + i] = (uint8_t)(end >> (24 - 8 * i));
	session_tag(a, raw, raw + 20);
	proto_hex_encode(out, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	return SRV_OK;
}

int srv_auth_session_check(srv_auth *a, const char *token, int64_t now_ms,
			   char device[PROTO_ID_HEX + 1])
{
	uint8_t raw[32], tag[SESS_TAG_BYTES];
	uint32_t end = 0;
	int i, rc = SRV_E_NOTFOUND;

	device[0] = 0;
	if (!token || strlen(token) != SRV_SECRET_HEX ||
	    proto_hex_decode(raw, sizeof(raw), token))
		return SRV_E_NOTFOUND;
	session_tag(a, raw, tag);
	if (sodium_memcmp(tag, raw + 20, SESS_TAG_BYTES) == 0) {
		for (i = 0; i < 4; i++)
			end = end << 8 | raw[PROTO_ID_BYTES + i];
		if ((int64_t)end * 1000 < now_ms) {
			rc = SRV_E_EXPIRED;
		} else {
			proto_hex_encode(device, raw, PROTO_ID_BYTES);
			rc = SRV_OK;
		}
	}
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

/* ---- tickets ---------------------------------------------------------- */


int srv_auth_ticket_new(srv_auth *a, const char *device, int64_t now_ms,
			char out[SRV_SECRET_HEX + 1])
{
	return mint(a, TICKET_DOMAIN, device, now_ms, SRV_TICKET_TTL_MS, out);
}

int srv_auth_ticket_check(srv_auth *a, const char *ticket, const char *device,
			  int64_t now_ms, int64_t *expires_ms)
{
	uint8_t raw[32], id[PROTO_ID_BYTES], tag[TAG_BYTES];
	uint64_t exp = 0;
	int i;

	*expires_ms = 0;
	if (!ticket || !device || strlen(ticket) != SRV_SECRET_HEX ||
	    proto_hex_decode(raw, sizeof(raw), ticket) ||
	    proto_hex_decode(id, PROTO_ID_BYTES, device))
		return SRV_E_NOTFOUND;
	tag_under(a, TICKET_DOMAIN, raw, id, tag);
	if (sodium_memcmp(tag, raw + NONCE_BYTES + 8, TAG_BYTES) != 0)
		return SRV_E_NOTFOUND;
	for (i = 0; i < 8; i++)
		exp = exp << 8 | raw[NONCE_BYTES + i];
	if (exp > (uint64_t)INT64_MAX)
		return SRV_E_NOTFOUND;
	*expires_ms = (int64_t)exp;
	return (int64_t)exp <= now_ms ? SRV_E_EXPIRED : SRV_OK;
}

void srv_auth_ticket_floor_id(const char *device,
			      char out[SRV_TICKET_FLOOR_ID])
{
	snprintf(out, SRV_TICKET_FLOOR_ID, "ticket:%.*s", PROTO_ID_HEX,
		 device ? device : "");
}

/* ---- dashboard sessions --------------------------------------------- */

#define WEB_TAG_BYTES 12
#define WEB_DOMAIN "fieldsync web session v1\n"
#define WEB_CSRF_DOMAIN "fieldsync web csrf v1\n"
#define WEB_HEAD (SRV_WEB_NONCE_BYTES + 8)

static void web_tag(const srv_auth *a, const uint8_t head[WEB_HEAD],
		    uint8_t tag[WEB_TAG_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, a->mac_key, sizeof(a->mac_key),
				WEB_TAG_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)WEB_DOMAIN,
				  sizeof(WEB_DOMAIN) - 1);
	crypto_generichash_update(&st, head, WEB_HEAD);
	crypto_generichash_final(&st, tag, WEB_TAG_BYTES);
}

int srv_auth_web_new(srv_auth *a, int64_t now_ms, int64_t ttl_ms,
		     char out[SRV_SECRET_HEX + 1])
{
	uint8_t raw[WEB_HEAD + WEB_TAG_BYTES];
	uint64_t end = (uint64_t)(now_ms + ttl_ms);
	int i;

	out[0] = 0;
	if (now_ms < 0 || ttl_ms <= 0)
		return SRV_E_ARG;
	randombytes_buf(raw, SRV_WEB_NONCE_BYTES);
	for (i = 0; i < 8; i++)
		raw[SRV_WEB_NONCE_BYTES + i] = (uint8_t)(end >> (56 - 8 * i));
	web_tag(a, raw, raw + WEB_HEAD);
	proto_hex_encode(out, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	return SRV_OK;
}

int srv_auth_web_check(srv_auth *a, const char *cookie, int64_t now_ms,
		       int64_t *end_ms)
{
	uint8_t raw[WEB_HEAD + WEB_TAG_BYTES], tag[WEB_TAG_BYTES];
	uint64_t end = 0;
	int i, rc = SRV_E_NOTFOUND;

	if (!cookie || strlen(cookie) != 2 * sizeof(raw) ||
	    proto_hex_decode(raw, sizeof(raw), cookie))
		return SRV_E_NOTFOUND;
	web_tag(a, raw, tag);
	if (sodium_memcmp(tag, raw + WEB_HEAD, WEB_TAG_BYTES) == 0) {
		for (i = 0; i < 8; i++)
			end = end << 8 | raw[SRV_WEB_NONCE_BYTES + i];
		if (end > INT64_MAX || (int64_t)end <= now_ms) {
			rc = SRV_E_EXPIRED;
		} else {
			if (end_ms)
				*end_ms = (int64_t)end;
			rc = SRV_OK;
		}
	}
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

void srv_auth_web_csrf(srv_auth *a, const char *cookie,
		       char out[SRV_SECRET_HEX + 1])
{
	crypto_generichash_state st;
	uint8_t h[SRV_SECRET_HEX / 2];

	crypto_generichash_init(&st, a->mac_key, sizeof(a->mac_key),
				sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)WEB_CSRF_DOMAIN,
				  sizeof(WEB_CSRF_DOMAIN) - 1);
	if (cookie)
		crypto_generichash_update(&st, (const unsigned char *)cookie,
					  strlen(cookie));
	crypto_generichash_final(&st, h, sizeof(h));
	proto_hex_encode(out, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
}

void srv_auth_web_signout_id(const char *cookie, char out[SRV_WEB_SIGNOUT_ID])
{
	snprintf(out, SRV_WEB_SIGNOUT_ID, "web:%.*s",
		 2 * SRV_WEB_NONCE_BYTES, cookie ? cookie : "");
}

/* ---- throttles ------------------------------------------------------ */

unsigned srv_auth_throttle(srv_auth *a, srv_limit kind, const char *peer,
			   int64_t now_ms)
{
	if (!a || (int)kind < 0 || (int)kind >= SRV_LIMIT_COUNT)
		return 0;
	return srv_rl_take(a->limits[kind], peer, now_ms);
}

void srv_auth_unthrottle(srv_auth *a, srv_limit kind, const char *peer,
			 int64_t now_ms)
{
	if (a && (int)kind >= 0 && (int)kind < SRV_LIMIT_COUNT)
		srv_rl_refund(a->limits[kind], peer, now_ms);
}
