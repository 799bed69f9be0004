/*
** This file contains the unit tests of fieldsyncd's authentication state
** (server/auth.c) and per-address throttles (server/ratelimit.c): the
** stateless challenge (valid once, expired, tampered, another device's,
** another process's, replayed, however often a device signs in), the
** sessions checked by any process with the database's key, and that no
** number of challenges, devices or addresses can fill a table so that an
** honest device or address is turned away.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "server/auth.h"
#include "server/ratelimit.h"

#define T0 1775808000000LL

static const char *const DEV_A = "0123456789abcdef0123456789abcdef";
static const char *const DEV_B = "fedcba9876543210fedcba9876543210";

static int setup(void **state)
{
	srv_auth *a = NULL;

	if (sodium_init() < 0 || srv_auth_new(&a) != SRV_OK)
		return -1;
	*state = a;
	return 0;
}

static int teardown(void **state)
{
	srv_auth_free(*state);
	return 0;
}

static void device_n(char out[PROTO_ID_HEX + 1], unsigned n)
{
	snprintf(out, PROTO_ID_HEX + 1, "%08x%08x%08x%08x", n, ~n, n * 7u,
		 n ^ 0x5a5a5a5au);
}

static void test_challenge_once(void **state)
{
	srv_auth *a = *state;
	char ch[SRV_SECRET_HEX + 1], ch2[SRV_SECRET_HEX + 1];

	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0, ch), SRV_OK);
	assert_int_equal(strlen(ch), SRV_SECRET_HEX);
	assert_int_equal(strspn(ch, "0123456789abcdef"), SRV_SECRET_HEX);
	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0, ch2), SRV_OK);
	assert_string_not_equal(ch, ch2);
	/* Checking changes nothing; valid through its last millisecond. */
	assert_int_equal(srv_auth_challenge_check(a, ch, DEV_A, T0), SRV_OK);
	assert_int_equal(srv_auth_challenge_check(a, ch, DEV_A,
						  T0 + SRV_CHALLENGE_TTL_MS),
			 SRV_OK);
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_A, T0 + 1000),
			 SRV_OK);
	/* Replayed: refused, by check and by take. */
	assert_int_equal(srv_auth_challenge_check(a, ch, DEV_A, T0 + 2000),
			 SRV_E_USED);
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_A, T0 + 2000),
			 SRV_E_USED);
	/* The other one is untouched. */
	assert_int_equal(srv_auth_challenge_take(a, ch2, DEV_A, T0 + 2000),
			 SRV_OK);
	/* After its expiry a used challenge is just expired. */
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_A,
						 T0 + SRV_CHALLENGE_TTL_MS + 1),
			 SRV_E_EXPIRED);
}

static void test_challenge_expired(void **state)
{
	srv_auth *a = *state;
	char ch[SRV_SECRET_HEX + 1];

	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0, ch), SRV_OK);
	assert_int_equal(srv_auth_challenge_check(a, ch, DEV_A,
						  T0 + SRV_CHALLENGE_TTL_MS + 1),
			 SRV_E_EXPIRED);
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_A,
						 T0 + 20 * 60 * 1000),
			 SRV_E_EXPIRED);
}

static void test_challenge_tampered(void **state)
{
	srv_auth *a = *state;
	char ch[SRV_SECRET_HEX + 1], t[SRV_SECRET_HEX + 2];
	size_t i;

	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0, ch), SRV_OK);
	/* Every digit matters: nonce, expiry (a longer life) and tag. */
	for (i = 0; i < SRV_SECRET_HEX; i++) {
		memcpy(t, ch, sizeof(ch));
		t[i] = t[i] == 'f' ? '0' : t[i] == '9' ? 'a' : (char)(t[i] + 1);
		assert_int_equal(srv_auth_challenge_check(a, t, DEV_A, T0),
				 SRV_E_NOTFOUND);
		assert_int_equal(srv_auth_challenge_take(a, t, DEV_A, T0),
				 SRV_E_NOTFOUND);
	}
	/* Not well formed. */
	memcpy(t, ch, sizeof(ch));
	t[5] = (char)(t[5] >= 'a' ? t[5] - 32 : 'A'); /* uppercase */
	assert_int_equal(srv_auth_challenge_check(a, t, DEV_A, T0),
			 SRV_E_NOTFOUND);
	memcpy(t, ch, sizeof(ch));
	t[SRV_SECRET_HEX - 1] = 0;
	assert_int_equal(srv_auth_challenge_check(a, t, DEV_A, T0),
			 SRV_E_NOTFOUND);
	memcpy(t, ch, sizeof(ch));
	t[SRV_SECRET_HEX] = '0';
	t[SRV_SECRET_HEX + 1] = 0;
	assert_int_equal(srv_auth_challenge_check(a, t, DEV_A, T0),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_challenge_check(a, "", DEV_A, T0),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_challenge_check(a, NULL, DEV_A, T0),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_challenge_check(a, ch, "not-a-device", T0),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_challenge_new(a, "XYZ", T0, t), SRV_E_ARG);
	assert_string_equal(t, "");
	/* None of that used it up. */
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_A, T0), SRV_OK);
}

static void test_challenge_other_device(void **state)
{
	srv_auth *a = *state, *other = NULL;
	char ch[SRV_SECRET_HEX + 1];

	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0, ch), SRV_OK);
	assert_int_equal(srv_auth_challenge_check(a, ch, DEV_B, T0),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_B, T0),
			 SRV_E_NOTFOUND);
	/* Another server process (a restart): another key. */
	assert_int_equal(srv_auth_new(&other), SRV_OK);
	assert_int_equal(srv_auth_challenge_check(other, ch, DEV_A, T0),
			 SRV_E_NOTFOUND);
	srv_auth_free(other);
	/* Failed attempts by others do not burn it for its device. */
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_A, T0), SRV_OK);
}

/* The attack of issue 9 item 6, below the socket: far more challenges for
** one device (HQ's id is public) than the old 8192-slot table held. */
static void test_challenge_flood(void **state)
{
	srv_auth *a = *state;
	char ch[SRV_SECRET_HEX + 1], ses[SRV_SECRET_HEX + 1];
	char dev[PROTO_ID_HEX + 1];
	int i;

	for (i = 0; i < 100000; i++)
		assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0 + i / 50,
							ch), SRV_OK);
	assert_int_equal(srv_auth_challenge_new(a, DEV_B, T0 + 2000, ch),
			 SRV_OK);
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_B, T0 + 2001),
			 SRV_OK);
	assert_int_equal(srv_auth_session_new(a, DEV_B, T0 + 2001, ses),
			 SRV_OK);
	assert_int_equal(srv_auth_session_check(a, ses, T0 + 2002, dev),
			 SRV_OK);
	assert_string_equal(dev, DEV_B);
	/* And the flooded device itself still signs in. */
	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0 + 2000, ch),
			 SRV_OK);
	assert_int_equal(srv_auth_challenge_take(a, ch, DEV_A, T0 + 2001),
			 SRV_OK);
}

/* A device that signs in again and again: never refused, and every
** challenge it used stays used, however many it used (the last
** SRV_USED_CHALLENGES_KEPT one by one, older ones through the watermark). */
static void test_challenges_per_device(void **state)
{
	srv_auth *a = *state;
	char ch[100][SRV_SECRET_HEX + 1], fresh[SRV_SECRET_HEX + 1];
	char early[SRV_SECRET_HEX + 1];
	int i;

	/* Issued first, never used, to be presented late. */
	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0, early), SRV_OK);
	for (i = 0; i < 100; i++) {
		assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0 + 1 + i,
							ch[i]), SRV_OK);
		assert_int_equal(srv_auth_challenge_take(a, ch[i], DEV_A,
							 T0 + 1 + i), SRV_OK);
	}
	for (i = 0; i < 100; i++)
		assert_int_equal(srv_auth_challenge_take(a, ch[i], DEV_A,
							 T0 + 200), SRV_E_USED);
	/* Older than every challenge remembered one by one: it may have
	** been used, so it is refused (a client uses a challenge at once). */
	assert_int_equal(srv_auth_challenge_check(a, early, DEV_A, T0 + 200),
			 SRV_E_USED);
	/* A new one works; so does another device's. */
	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0 + 200, fresh),
			 SRV_OK);
	assert_int_equal(srv_auth_challenge_take(a, fresh, DEV_A, T0 + 201),
			 SRV_OK);
	assert_int_equal(srv_auth_challenge_new(a, DEV_B, T0, fresh), SRV_OK);
	assert_int_equal(srv_auth_challenge_take(a, fresh, DEV_B, T0 + 201),
			 SRV_OK);
	/* Up to SRV_USED_CHALLENGES_KEPT challenges in flight at once, used
	** in any order, all work. */
	for (i = 0; i < SRV_USED_CHALLENGES_KEPT; i++)
		assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0 + 300 + i,
							ch[i]), SRV_OK);
	for (i = SRV_USED_CHALLENGES_KEPT - 1; i >= 0; i--)
		assert_int_equal(srv_auth_challenge_take(a, ch[i], DEV_A,
							 T0 + 400), SRV_OK);
}

static void test_sessions(void **state)
{
	srv_auth *a = *state, *other = NULL, *stranger = NULL;
	char ses[SRV_SECRET_HEX + 1], b[SRV_SECRET_HEX + 1];
	char t[SRV_SECRET_HEX + 1], dev[PROTO_ID_HEX + 1];
	uint8_t key[32];
	int i;

	memset(key, 7, sizeof(key));
	srv_auth_set_key(a, key);
	assert_int_equal(srv_auth_session_new(a, DEV_A, T0, ses), SRV_OK);
	assert_int_equal(strspn(ses, "0123456789abcdef"), SRV_SECRET_HEX);
	assert_int_equal(srv_auth_session_new(a, DEV_B, T0, b), SRV_OK);
	assert_int_equal(srv_auth_session_check(a, ses, T0 + 100, dev), SRV_OK);
	assert_string_equal(dev, DEV_A);
	assert_int_equal(srv_auth_session_check(a, b, T0 + 100, dev), SRV_OK);
	assert_string_equal(dev, DEV_B);
	/* Another process with the database's key checks it by itself; one
	** with another key does not know it. */
	assert_int_equal(srv_auth_new(&other), SRV_OK);
	assert_int_equal(srv_auth_new(&stranger), SRV_OK);
	srv_auth_set_key(other, key);
	assert_int_equal(srv_auth_session_check(other, ses, T0 + 100, dev),
			 SRV_OK);
	assert_string_equal(dev, DEV_A);
	assert_int_equal(srv_auth_session_check(stranger, ses, T0 + 100, dev),
			 SRV_E_NOTFOUND);
	srv_auth_free(other);
	srv_auth_free(stranger);
	/* Valid SRV_SESSION_TTL_MS, then expired (not "unknown"). */
	assert_int_equal(srv_auth_session_check(a, b, T0 + SRV_SESSION_TTL_MS,
						dev), SRV_OK);
	assert_int_equal(srv_auth_session_check(a, b, T0 + SRV_SESSION_TTL_MS
						+ 1001, dev), SRV_E_EXPIRED);
	assert_string_equal(dev, "");
	/* Altered anywhere (the device, the end, the tag): unknown. */
	for (i = 0; i < SRV_SECRET_HEX; i += 3) {
		memcpy(t, b, sizeof(t));
		t[i] = t[i] == '0' ? '1' : '0';
		assert_int_equal(srv_auth_session_check(a, t, T0 + 100, dev),
				 SRV_E_NOTFOUND);
	}
	/* B's session under A's id. */
	memcpy(t, b, sizeof(t));
	memcpy(t, DEV_A, PROTO_ID_HEX);
	assert_int_equal(srv_auth_session_check(a, t, T0 + 100, dev),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_session_check(a, "", T0, dev),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_session_check(a, NULL, T0, dev),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_session_new(a, "XYZ", T0, t), SRV_E_ARG);
}

/* A challenge made by one process is checked by another with the same
** key (the database's), and its expiry read back for the database's
** floor. */
/* Dashboard sessions: checked by any process with the key, by no other;
** valid until their end, then expired; altered anywhere, unknown; each
** its own nonce (the sign-out id) and a CSRF token that every process with
** the key computes alike, which differs from session to session. */
static void test_web_sessions(void **state)
{
	srv_auth *a = *state, *other, *stranger;
	uint8_t key[32];
	char c1[SRV_SECRET_HEX + 1], c2[SRV_SECRET_HEX + 1];
	char t[SRV_SECRET_HEX + 1], x1[SRV_SECRET_HEX + 1];
	char x2[SRV_SECRET_HEX + 1], id1[SRV_WEB_SIGNOUT_ID];
	char id2[SRV_WEB_SIGNOUT_ID];
	int64_t end = 0;
	int i;

	memset(key, 9, sizeof(key));
	srv_auth_set_key(a, key);
	assert_int_equal(srv_auth_web_new(a, T0, 1000, c1), SRV_OK);
	assert_int_equal(srv_auth_web_new(a, T0, 1000, c2), SRV_OK);
	assert_int_equal(strspn(c1, "0123456789abcdef"), SRV_SECRET_HEX);
	assert_string_not_equal(c1, c2);
	assert_int_equal(srv_auth_web_check(a, c1, T0 + 999, &end), SRV_OK);
	assert_true(end == T0 + 1000);
	assert_int_equal(srv_auth_web_check(a, c1, T0 + 1000, NULL),
			 SRV_E_EXPIRED);
	assert_int_equal(srv_auth_web_new(a, T0, 0, t), SRV_E_ARG);
	assert_int_equal(srv_auth_new(&other), SRV_OK);
	assert_int_equal(srv_auth_new(&stranger), SRV_OK);
	srv_auth_set_key(other, key);
	assert_int_equal(srv_auth_web_check(other, c1, T0, NULL), SRV_OK);
	assert_int_equal(srv_auth_web_check(stranger, c1, T0, NULL),
			 SRV_E_NOTFOUND);
	srv_auth_web_csrf(a, c1, x1);
	srv_auth_web_csrf(other, c1, x2);
	assert_string_equal(x1, x2);
	srv_auth_web_csrf(stranger, c1, x2);
	assert_string_not_equal(x1, x2);
	srv_auth_web_csrf(a, c2, x2);
	assert_string_not_equal(x1, x2);
	/* A device session is no dashboard session, and the reverse. */
	assert_int_equal(srv_auth_session_new(a, DEV_A, T0, t), SRV_OK);
	assert_int_equal(srv_auth_web_check(a, t, T0, NULL), SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_session_check(a, c1, T0, x2),
			 SRV_E_NOTFOUND);
	srv_auth_free(other);
	srv_auth_free(stranger);
	for (i = 0; i < SRV_SECRET_HEX; i += 3) {
		memcpy(t, c1, sizeof(t));
		t[i] = t[i] == '0' ? '1' : '0';
		assert_int_equal(srv_auth_web_check(a, t, T0, NULL),
				 SRV_E_NOTFOUND);
	}
	assert_int_equal(srv_auth_web_check(a, NULL, T0, NULL),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_auth_web_check(a, "abc", T0, NULL),
			 SRV_E_NOTFOUND);
	srv_auth_web_signout_id(c1, id1);
	srv_auth_web_signout_id(c2, id2);
	assert_int_equal(strncmp(id1, "web:", 4), 0);
	assert_int_equal(strlen(id1), SRV_WEB_SIGNOUT_ID - 1);
	assert_string_not_equal(id1, id2);
}

static void test_challenge_other_process(void **state)
{
	srv_auth *a = *state, *other = NULL;
	char ch[SRV_SECRET_HEX + 1];
	uint8_t key[32];
	int64_t exp = 0;

	memset(key, 9, sizeof(key));
	srv_auth_set_key(a, key);
	assert_int_equal(srv_auth_new(&other), SRV_OK);
	assert_int_equal(srv_auth_challenge_new(a, DEV_A, T0, ch), SRV_OK);
	assert_int_equal(srv_auth_challenge_check(other, ch, DEV_A, T0 + 1),
			 SRV_E_NOTFOUND);
	srv_auth_set_key(other, key);
	assert_int_equal(srv_auth_challenge_check(other, ch, DEV_A, T0 + 1),
			 SRV_OK);
	assert_int_equal(srv_auth_challenge_expiry(other, ch, DEV_A, &exp),
			 SRV_OK);
	assert_int_equal(exp, T0 + SRV_CHALLENGE_TTL_MS);
	assert_int_equal(srv_auth_challenge_expiry(other, ch, DEV_B, &exp),
			 SRV_E_NOTFOUND);
	srv_auth_free(other);
}

/* Many more signed-in devices than the table has slots: sessions take no
** slot at all, so every one works. */
static void test_many_devices(void **state)
{
	srv_auth *a = *state;
	char ses[SRV_SECRET_HEX + 1], first[SRV_SECRET_HEX + 1];
	char dev[PROTO_ID_HEX + 1], got[PROTO_ID_HEX + 1], d0[PROTO_ID_HEX + 1];
	unsigned n;

	for (n = 0; n < 20000; n++) {
		device_n(dev, n);
		assert_int_equal(srv_auth_session_new(a, dev, T0 + n, ses),
				 SRV_OK);
		if (n == 0) {
			memcpy(first, ses, sizeof(ses));
			memcpy(d0, dev, sizeof(dev));
		}
	}
	assert_int_equal(srv_auth_session_check(a, ses, T0 + n, got), SRV_OK);
	assert_string_equal(got, dev);
	assert_int_equal(srv_auth_session_check(a, first, T0 + n, got), SRV_OK);
	assert_string_equal(got, d0);
}

static void test_ratelimit(void **state)
{
	srv_rl *rl = NULL;
	int i;

	(void)state;
	assert_int_equal(srv_rl_new(0, 1000, &rl), SRV_E_ARG);
	assert_null(rl);
	assert_int_equal(srv_rl_new(5, 2000, &rl), SRV_OK);
	for (i = 0; i < 5; i++)
		assert_int_equal(srv_rl_take(rl, "127.0.0.2", T0), 0);
	assert_int_equal(srv_rl_take(rl, "127.0.0.2", T0), 2);
	assert_int_equal(srv_rl_take(rl, "127.0.0.2", T0 + 1500), 1);
	/* Another address is not affected. */
	assert_int_equal(srv_rl_take(rl, "127.0.0.3", T0), 0);
	/* One more every 2 s. */
	assert_int_equal(srv_rl_take(rl, "127.0.0.2", T0 + 2000), 0);
	assert_int_equal(srv_rl_take(rl, "127.0.0.2", T0 + 2000), 2);
	/* Full again after 5 x 2 s. */
	for (i = 0; i < 5; i++)
		assert_int_equal(srv_rl_take(rl, "127.0.0.2", T0 + 12000), 0);
	assert_int_not_equal(srv_rl_take(rl, "127.0.0.2", T0 + 12000), 0);
	/* Refunded attempts (successes) do not count. */
	for (i = 0; i < 50; i++) {
		assert_int_equal(srv_rl_take(rl, "10.1.1.1", T0), 0);
		srv_rl_refund(rl, "10.1.1.1", T0);
	}
	/* IPv6 by its /64; an IPv4-mapped address is its IPv4. */
	for (i = 0; i < 5; i++)
		assert_int_equal(srv_rl_take(rl, i & 1 ? "2001:db8::1" :
					     "2001:db8::ffff:2", T0), 0);
	assert_int_not_equal(srv_rl_take(rl, "2001:db8:0:0:abcd::9", T0), 0);
	assert_int_equal(srv_rl_take(rl, "2001:db8:0:1::1", T0), 0);
	assert_int_not_equal(srv_rl_take(rl, "::ffff:127.0.0.2", T0 + 12000),
			     0);
	/* Unknown addresses share one bucket. */
	for (i = 0; i < 5; i++)
		assert_int_equal(srv_rl_take(rl, i & 1 ? NULL : "", T0), 0);
	assert_int_not_equal(srv_rl_take(rl, "", T0), 0);
	/* A clock set back does not lock an address out for longer than a
	** full refill. */
	assert_true(srv_rl_take(rl, "127.0.0.2", T0 - 3600 * 1000) <= 10);
	srv_rl_free(rl);
	srv_rl_free(NULL);
}

/* Far more addresses than slots, every one throttled: a new address still
** gets its attempts, and so does one that was there from the start. */
static void test_ratelimit_full_table(void **state)
{
	srv_rl *rl = NULL;
	char peer[32];
	unsigned n;
	int i;

	(void)state;
	assert_int_equal(srv_rl_new(3, 60000, &rl), SRV_OK);
	for (n = 0; n < 4 * SRV_RL_SLOTS; n++) {
		snprintf(peer, sizeof(peer), "10.%u.%u.%u", n >> 16 & 255,
			 n >> 8 & 255, n & 255);
		for (i = 0; i < 3; i++)
			assert_int_equal(srv_rl_take(rl, peer, T0), 0);
		assert_int_not_equal(srv_rl_take(rl, peer, T0), 0);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(srv_rl_take(rl, "192.0.2.7", T0 + 1), 0);
	assert_int_not_equal(srv_rl_take(rl, "192.0.2.7", T0 + 1), 0);
	srv_rl_free(rl);
}

static void test_throttles(void **state)
{
	srv_auth *a = *state;
	int i;

	for (i = 0; i < SRV_LIMIT_BURST; i++)
		assert_int_equal(srv_auth_throttle(a, SRV_LIMIT_ENROLL,
						   "127.0.0.2", T0), 0);
	assert_int_equal(srv_auth_throttle(a, SRV_LIMIT_ENROLL, "127.0.0.2",
					   T0), SRV_LIMIT_REFILL_MS / 1000);
	/* The dashboard's sign-in has its own buckets. */
	assert_int_equal(srv_auth_throttle(a, SRV_LIMIT_LOGIN, "127.0.0.2",
					   T0), 0);
	srv_auth_unthrottle(a, SRV_LIMIT_ENROLL, "127.0.0.2", T0);
	assert_int_equal(srv_auth_throttle(a, SRV_LIMIT_ENROLL, "127.0.0.2",
					   T0), 0);
	assert_int_equal(srv_auth_throttle(NULL, SRV_LIMIT_ENROLL, "x", T0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_challenge_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_challenge_expired, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_challenge_tampered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_challenge_other_device,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_flood, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_challenges_per_device,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_web_sessions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_challenge_other_process,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_devices, setup,
						teardown),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_ratelimit_full_table),
		cmocka_unit_test_setup_teardown(test_throttles, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
