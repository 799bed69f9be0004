/*
** This file contains the in-memory tables of challenges and sessions (see
** auth.h). Each table is open addressing keyed by the BLAKE2b-256 hash of the
** secret (uniformly random, so its first bytes are a good slot index); slots
** are never emptied, only reused once their entry is long dead, so a probe
** can stop at the first empty slot. Expired entries stay findable for a
** while so the answer can say "expired" rather than "invalid".
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "auth.h"

#define SESSION_SLOTS 16384
#define CHALLENGE_SLOTS 8192
#define PROBE_MAX 128
#define KEEP_DEAD_MS (60LL * 60 * 1000) /* report "expired" for an hour */

typedef struct slot {
	uint8_t hash[32];
	char device[PROTO_ID_HEX + 1];
	int64_t expires_ms;
	int used;       /* 0 empty, 1 live, 2 used (challenges) */
} slot;

typedef struct table {
	slot *slots;
	size_t n;
} table;

struct srv_auth {
	pthread_mutex_t lock;
	table sessions;
	table challenges;
};

static int table_init(table *t, size_t n)
{
	t->slots = calloc(n, sizeof(slot));
	t->n = n;
	return t->slots ? 0 : -1;
}

static size_t slot_index(const table *t, const uint8_t h[32])
{
	uint32_t v;

	memcpy(&v, h, sizeof(v));
	return v % t->n;
}

static void hash_secret(const char *text, uint8_t h[32])
{
	crypto_generichash(h, 32, (const unsigned char *)text, strlen(text),
			   NULL, 0);
}

/* The slot holding h, or NULL. */
static slot *table_find(table *t, const uint8_t h[32])
{
	size_t i = slot_index(t, h), k;

	for (k = 0; k < PROBE_MAX; k++) {
		slot *s = &t->slots[(i + k) % t->n];
		if (!s->used)
			return NULL;
		if (sodium_memcmp(s->hash, h, 32) == 0)
			return s;
	}
	return NULL;
}

/* A slot for a new entry: empty, or dead for long enough. */
static slot *table_place(table *t, const uint8_t h[32], int64_t now_ms)
{
	size_t i = slot_index(t, h), k;

	for (k = 0; k < PROBE_MAX; k++) {
		slot *s = &t->slots[(i + k) % t->n];
		if (!s->used || s->expires_ms + KEEP_DEAD_MS < now_ms)
			return s;
	}
	return NULL;
}

/* Random 32 bytes as hex, placed in t for device. */
static int secret_new(srv_auth *a, table *t, const char *device,
		      int64_t now_ms, int64_t ttl, char out[SRV_SECRET_HEX + 1])
{
	uint8_t raw[32], h[32];
	slot *s;
	int rc = SRV_E_BUSY;

	out[0] = 0;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, SRV_SECRET_HEX + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	hash_secret(out, h);
	pthread_mutex_lock(&a->lock);
	s = table_place(t, h, now_ms);
	if (s) {
		memcpy(s->hash, h, 32);
		snprintf(s->device, sizeof(s->device), "%s", device);
		s->expires_ms = now_ms + ttl;
		s->used = 1;
		rc = SRV_OK;
	}
	pthread_mutex_unlock(&a->lock);
	if (rc != SRV_OK)
		sodium_memzero(out, SRV_SECRET_HEX + 1);
	return rc;
}

static int well_formed(const char *text)
{
	return text && strlen(text) == SRV_SECRET_HEX &&
	       strspn(text, "0123456789abcdef") == SRV_SECRET_HEX;
}

int srv_auth_new(srv_auth **out)
{
	srv_auth *a;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return SRV_E_NOMEM;
	if (table_init(&a->sessions, SESSION_SLOTS) ||
	    table_init(&a->challenges, CHALLENGE_SLOTS)) {
		free(a->sessions.slots);
		free(a);
		return SRV_E_NOMEM;
	}
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return SRV_OK;
}

void srv_auth_free(srv_auth *a)
{
	if (!a)
		return;
	sodium_memzero(a->sessions.slots, a->sessions.n * sizeof(slot));
	free(a->sessions.slots);
	free(a->challenges.slots);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int srv_auth_challenge_new(srv_auth *a, const char *device, int64_t now_ms,
			   char out[SRV_SECRET_HEX + 1])
{
	return secret_new(a, &a->challenges, device, now_ms,
			  SRV_CHALLENGE_TTL_MS, out);
}

int srv_auth_challenge_take(srv_auth *a, const char *challenge,
			    const char *device, int64_t now_ms)
{
	uint8_t h[32];
	slot *s;
	int rc = SRV_E_NOTFOUND;

	if (!well_formed(challenge))
		return SRV_E_NOTFOUND;
	hash_secret(challenge, h);
	pthread_mutex_lock(&a->lock);
	s = table_find(&a->challenges, h);
	if (s && strcmp(s->device, device) == 0) {
		if (s->used == 2)
			rc = SRV_E_USED;
		else if (s->expires_ms < now_ms)
			rc = SRV_E_EXPIRED;
		else
			rc = SRV_OK;
	}
	/* Burnt on any attempt, so a challenge cannot be tried twice. */
	if (s)
		s->used = 2;
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int srv_auth_session_new(srv_auth *a, const char *device, int64_t now_ms,
			 char out[SRV_SECRET_HEX + 1])
{
	return secret_new(a, &a->sessions, device, now_ms, SRV_SESSION_TTL_MS,
			  out);
}

int srv_auth_session_check(srv_auth *a, const char *token, int64_t now_ms,
			   char device[PROTO_ID_HEX + 1])
{
	uint8_t h[32];
	slot *s;
	int rc = SRV_E_NOTFOUND;

	device[0] = 0;
	if (!well_formed(token))
		return SRV_E_NOTFOUND;
	hash_secret(token, h);
	pthread_mutex_lock(&a->lock);
	s = table_find(&a->sessions, h);
	if (s) {
		if (s->expires_ms < now_ms) {
			rc = SRV_E_EXPIRED;
		} else {
			memcpy(device, s->device, PROTO_ID_HEX + 1);
			rc = SRV_OK;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}
