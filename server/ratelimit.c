/*
** This file contains the per-address token buckets of ratelimit.h. A bucket
** is one number, the time at which it is full again ("full_at"): at time now
** it lacks min(full_at - now, capacity) milliseconds' worth of attempts, an
** attempt costs refill_ms, and the capacity is burst * refill_ms. The table
** is open addressing over SRV_RL_SLOTS slots, indexed by SipHash of the
** address under a per-process random key (so nobody can aim many addresses
** at one slot); slots are never emptied, only handed to a new address, so a
** probe stops at the first slot never used.
*/
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "ratelimit.h"

#define RL_PROBE 32
#define KEY_BYTES 17 /* family (0 unknown, 1 other text, 4, 6) + address */

typedef struct bucket {
	uint8_t key[KEY_BYTES];
	uint8_t used;        /* 0: never used */
	int64_t full_at_ms;  /* full again at this time */
} bucket;

struct srv_rl {
	pthread_mutex_t lock;
	int64_t refill_ms;
	int64_t capacity_ms; /* burst * refill_ms */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	bucket slots[SRV_RL_SLOTS];
};

int srv_rl_new(unsigned burst, int64_t refill_ms, srv_rl **out)
{
	srv_rl *rl;

	*out = NULL;
	if (burst < 1 || refill_ms < 1)
		return SRV_E_ARG;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return SRV_E_NOMEM;
	rl->refill_ms = refill_ms;
	rl->capacity_ms = (int64_t)burst * refill_ms;
	randombytes_buf(rl->hkey, sizeof(rl->hkey));
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return SRV_OK;
}

void srv_rl_free(srv_rl *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	sodium_memzero(rl, sizeof(*rl));
	free(rl);
}

/* The bucket key of an address in text. */
static void peer_key(const char *peer, uint8_t key[KEY_BYTES])
{
	uint8_t a6[16];

	memset(key, 0, KEY_BYTES);
	if (!peer || !peer[0])
		return;
	if (inet_pton(AF_INET, peer, key + 1) == 1) {
		key[0] = 4;
	} else if (inet_pton(AF_INET6, peer, a6) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
						    0, 0xff, 0xff };
		if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, a6 + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a6, 8); /* the /64 */
		}
	} else {
		key[0] = 1;
		crypto_generichash(key + 1, 16, (const unsigned char *)peer,
				   strlen(peer), NULL, 0);
	}
}

/* How much the bucket lacks at now, in ms of refill (0: full). */
static int64_t deficit(const srv_rl *rl, const bucket *b, int64_t now_ms)
{
	int64_t d = b->full_at_ms - now_ms;

	/* Clamped: a clock set back must not lock an address out for long. */
	return d <= 0 ? 0 : d > rl->capacity_ms ? rl->capacity_ms : d;
}

static size_t slot_index(const srv_rl *rl, const uint8_t key[KEY_BYTES])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key, KEY_BYTES, rl->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v % SRV_RL_SLOTS);
}

/* The bucket of key; with make, a new (full) one if it has none, in the
** first never-used slot or else the slot of the fullest bucket. NULL
** without make when it has none. Call with the lock held. */
static bucket *lookup(srv_rl *rl, const uint8_t key[KEY_BYTES], int64_t now_ms,
		      int make)
{
	size_t i = slot_index(rl, key), k;
	bucket *spare = NULL;
	int64_t spare_d = 0;

	for (k = 0; k < RL_PROBE; k++) {
		bucket *b = &rl->slots[(i + k) % SRV_RL_SLOTS];
		int64_t d;

		if (!b->used) {
			spare = b;
			break;
		}
		if (memcmp(b->key, key, KEY_BYTES) == 0)
			return b;
		d = deficit(rl, b, now_ms);
		if (!spare || d < spare_d) {
			spare = b;
			spare_d = d;
		}
	}
	if (!make)
		return NULL;
	memcpy(spare->key, key, KEY_BYTES);
	spare->used = 1;
	spare->full_at_ms = now_ms;
	return spare;
}

unsigned srv_rl_take(srv_rl *rl, const char *peer, int64_t now_ms)
{
	uint8_t key[KEY_BYTES];
	bucket *b;
	int64_t d, wait_ms;
	unsigned ret = 0;

	peer_key(peer, key);
	pthread_mutex_lock(&rl->lock);
	b = lookup(rl, key, now_ms, 1);
	d = deficit(rl, b, now_ms);
	wait_ms = d + rl->refill_ms - rl->capacity_ms;
	if (wait_ms <= 0)
		b->full_at_ms = now_ms + d + rl->refill_ms;
	else
		ret = (unsigned)((wait_ms + 999) / 1000);
	pthread_mutex_unlock(&rl->lock);
	return ret;
}

void srv_rl_refund(srv_rl *rl, const char *peer, int64_t now_ms)
{
	uint8_t key[KEY_BYTES];
	bucket *b;
	int64_t d;

	peer_key(peer, key);
	pthread_mutex_lock(&rl->lock);
	b = lookup(rl, key, now_ms, 0);
	if (b) {
		d = deficit(rl, b, now_ms) - rl->refill_ms;
		b->full_at_ms = now_ms + (d > 0 ? d : 0);
	}
	pthread_mutex_unlock(&rl->lock);
}
