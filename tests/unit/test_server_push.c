/*
** This file contains unit tests of the server below the socket: the store
** (SQLite backend), srv_push_set (accept, duplicate, fork evidence, gap,
** broken chain, HLC order, clock bound, wrong author, revoked device,
** conflicts) and the auth tables, with the server clock replaced through
** srv_clock_ms so time can move.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <cjson/cJSON.h>
#include "protocol/changeset.h"
#include "server/auth.h"
#include "server/hq.h"
#include "server/push.h"
#include "server/store.h"

#define T0 1780000000000LL /* 2026-05-28 */

static int64_t fake_now = T0;
static int64_t fake_clock(void) { return fake_now; }

typedef struct dev {
	uint8_t sk[PROTO_SK_BYTES], pk[PROTO_PK_BYTES], id[PROTO_ID_BYTES];
	char hex[PROTO_ID_HEX + 1];
	int64_t seq;
	uint8_t head[PROTO_HASH_BYTES];
	proto_hlc hlc;
} dev;

typedef struct fx {
	char dir[64], path[96];
	srv_store *s;
	char hq[PROTO_ID_HEX + 1];
	dev a, b;
} fx;

static void dev_new(fx *f, dev *d)
{
	srv_device row;

	memset(d, 0, sizeof(*d));
	proto_keypair(d->pk, d->sk);
	proto_device_id(d->pk, d->id);
	proto_hex_encode(d->hex, d->id, PROTO_ID_BYTES);
	memset(&row, 0, sizeof(row));
	memcpy(row.id, d->hex, sizeof(row.id));
	memcpy(row.pk, d->pk, sizeof(row.pk));
	snprintf(row.name, sizeof(row.name), "test");
	snprintf(row.role, sizeof(row.role), "expert");
	row.enrolled_ms = fake_now;
	assert_int_equal(srv_store_device_add(f->s, &row), SRV_OK);
}

/* The database of one test: DIR/db (SQLite), or with
** FIELDSYNC_TEST_PGHOST set (a PostgreSQL socket directory, superuser
** fieldsync) a fresh database fsunit_push there, HQ's key in DIR: the same
** tests then run on the PostgreSQL store. */
static void db_path(const char *dir, char *out, size_t outsz)
{
	const char *host = getenv("FIELDSYNC_TEST_PGHOST");
	char cmd[600];

	if (!host || !*host) {
		snprintf(out, outsz, "%s/db", dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "PGOPTIONS=--client-min-messages=warning psql -X -q -h '%s' -U fieldsync -d postgres "
		 "-c 'DROP DATABASE IF EXISTS fsunit_push' "
		 "-c 'CREATE DATABASE fsunit_push' >/dev/null", host);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(setenv("FIELDSYNCD_STATE_DIR", dir, 1), 0);
	snprintf(out, outsz, "host=%s dbname=fsunit_push user=fieldsync", host);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char msg[256];

	assert_non_null(f);
	assert_int_equal(proto_init(), 0);
	srv_clock_ms = fake_clock;
	fake_now = T0;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_server_push.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	db_path(f->dir, f->path, sizeof(f->path));
	assert_int_equal(srv_db_open(f->path, 1, &f->s, f->hq, msg, sizeof(msg)),
			 SRV_OK);
	dev_new(f, &f->a);
	dev_new(f, &f->b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[160];

	srv_store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* One signed set of changes given as JSON text: [{"id","kind","op",
** "fields","base"}]; hlc_ms 0 = the fake clock. advance: move d's chain. */
static char *mkset(dev *d, const char *changes, int64_t seq, int64_t hlc_ms,
		   int advance, char sighex[PROTO_SIG_HEX + 1], size_t *len)
{
	cJSON *arr = cJSON_Parse(changes), *it;
	char *enc[8], *out = NULL;
	size_t lens[8], n = 0, i;
	uint8_t sig[PROTO_SIG_BYTES], h[PROTO_HASH_BYTES];
	proto_hlc hlc = d->hlc;
	proto_err e;

	assert_non_null(arr);
	cJSON_ArrayForEach(it, arr) {
		proto_change c;
		memset(&c, 0, sizeof(c));
		snprintf(c.id, sizeof(c.id), "%s",
			 cJSON_GetObjectItem(it, "id")->valuestring);
		c.kind = proto_kind_find(cJSON_GetObjectItem(it, "kind")->valuestring);
		c.op = strcmp(cJSON_GetObjectItem(it, "op")->valuestring,
			      "create") == 0 ? PROTO_OP_CREATE : PROTO_OP_UPDATE;
		hlc = proto_hlc_tick(hlc, hlc_ms ? hlc_ms : fake_now);
		c.hlc = hlc;
		c.fields = cJSON_GetObjectItem(it, "fields");
		c.base = cJSON_GetObjectItem(it, "base");
		assert_int_equal(proto_change_encode(&c, &enc[n], &lens[n], &e),
				 PROTO_OK);
		n++;
	}
	assert_int_equal(proto_set_encode(d->id, seq, d->head,
					  (const char *const *)enc, lens, n,
					  &out, len, &e), PROTO_OK);
	for (i = 0; i < n; i++)
		free(enc[i]);
	cJSON_Delete(arr);
	proto_set_sign(out, *len, d->sk, sig);
	proto_hex_encode(sighex, sig, PROTO_SIG_BYTES);
	if (advance) {
		proto_set_hash(out, *len, h);
		memcpy(d->head, h, sizeof(h));
		d->seq = seq;
		d->hlc = hlc;
	}
	return out;
}

#define MODEL "00000000000000000000000000000001"
#define MODEL2 "00000000000000000000000000000002"
static const char create_model[] =
	"[{\"id\":\"" MODEL "\",\"kind\":\"model\",\"op\":\"create\","
	"\"fields\":{\"crop\":\"Sticky maize\",\"province\":\"Salavan\","
	"\"planned_ha\":5,\"planned_households\":42}}]";

static int64_t count(fx *f, const char *what)
{
	int64_t n = 0;

	if (strcmp(what, "cursor") == 0)
		assert_int_equal(srv_store_max_cursor(f->s, &n), SRV_OK);
	else if (strcmp(what, "conflicts") == 0)
		assert_int_equal(srv_store_conflicts_open(f->s, &n), SRV_OK);
	else
		assert_int_equal(srv_store_forks_count(f->s, what, &n), SRV_OK);
	return n;
}

static void test_hq_identity(void **state)
{
	fx *f = *state;
	srv_device d;
	uint8_t sk[PROTO_SK_BYTES], pk[PROTO_PK_BYTES], id[PROTO_ID_BYTES];
	char msg[256], hex[PROTO_ID_HEX + 1], again[PROTO_ID_HEX + 1];
	srv_store *s2 = NULL;

	assert_int_equal(srv_store_device_get(f->s, f->hq, &d), SRV_OK);
	assert_string_equal(d.role, "hq");
	assert_int_equal(srv_hq_key_load(f->path, sk, msg, sizeof(msg)), SRV_OK);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	proto_device_id(pk, id);
	proto_hex_encode(hex, id, PROTO_ID_BYTES);
	assert_string_equal(hex, f->hq);
	/* Opening again keeps the same identity. */
	assert_int_equal(srv_db_open(f->path, 1, &s2, again, msg, sizeof(msg)),
			 SRV_OK);
	assert_string_equal(again, f->hq);
	srv_store_close(s2);
}

/* The floors of used challenges and signed-out dashboard sessions: raised
** only upwards (SRV_E_USED at or below), read back, unknown ids absent;
** seen by a second connection at once. */
static void test_auth_floor(void **state)
{
	fx *f = *state;
	srv_store *s2 = NULL;
	char msg[256], hq[PROTO_ID_HEX + 1];
	int64_t v = -1;

	assert_int_equal(srv_store_auth_floor_get(f->s, "web:00aa", &v),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_store_auth_floor(f->s, "web:00aa", 5000), SRV_OK);
	assert_int_equal(srv_store_auth_floor(f->s, "web:00aa", 5000),
			 SRV_E_USED);
	assert_int_equal(srv_store_auth_floor(f->s, "web:00aa", 4000),
			 SRV_E_USED);
	assert_int_equal(srv_db_open(f->path, 0, &s2, hq, msg, sizeof(msg)),
			 SRV_OK);
	assert_int_equal(srv_store_auth_floor_get(s2, "web:00aa", &v), SRV_OK);
	assert_true(v == 5000);
	assert_int_equal(srv_store_auth_floor(s2, "web:00aa", 6000), SRV_OK);
	assert_int_equal(srv_store_auth_floor_get(f->s, "web:00aa", &v), SRV_OK);
	assert_true(v == 6000);
	assert_int_equal(srv_store_auth_floor_get(f->s, "web:00ab", &v),
			 SRV_E_NOTFOUND);
	srv_store_close(s2);
}

static void test_accept_duplicate(void **state)
{
	fx *f = *state;
	srv_push_result r;
	char sig[PROTO_SIG_HEX + 1], *st = NULL;
	size_t len, sl;
	char *set = mkset(&f->a, create_model, 1, 0, 1, sig, &len);
	srv_device d;

	assert_int_equal(srv_push_set(f->s, set, len, sig, f->a.hex, fake_now,
				      &r), 0);
	assert_int_equal(r.cursor, 1);
	assert_int_equal(r.duplicate, 0);
	assert_int_equal(srv_store_record_get(f->s, MODEL, &st, &sl), SRV_OK);
	assert_non_null(strstr(st, "Sticky maize"));
	free(st);
	assert_int_equal(srv_store_device_get(f->s, f->a.hex, &d), SRV_OK);
	assert_int_equal(d.head_seq, 1);
	assert_memory_equal(d.head_hash, f->a.head, PROTO_HASH_BYTES);
	/* Again: success, nothing new. */
	assert_int_equal(srv_push_set(f->s, set, len, sig, f->a.hex, fake_now,
				      &r), 0);
	assert_int_equal(r.duplicate, 1);
	assert_int_equal(count(f, "cursor"), 1);
	free(set);
}

/* Sign hand-made set bytes (mkset can only make valid sets). */
static void sign_text(const dev *d, const char *bytes,
		      char sighex[PROTO_SIG_HEX + 1])
{
	uint8_t sig[PROTO_SIG_BYTES];

	proto_set_sign(bytes, strlen(bytes), d->sk, sig);
	proto_hex_encode(sighex, sig, PROTO_SIG_BYTES);
}

/* A refusal found inside a set names its seq whenever the decoder could
** read it (SPEC 10.2): a client rebuilds only after a refusal naming the
** seq (SPEC 11.5), so a null there would leave it stuck (issue 9 item 14). */
static void test_refusal_seq(void **state)
{
	fx *f = *state;
	srv_push_result r;
	char sig[PROTO_SIG_HEX + 1], prev[PROTO_HASH_HEX + 1];
	char hlc[PROTO_HLC_HEX + 1], bytes[1024];
	size_t len;
	char *s1 = mkset(&f->a, create_model, 1, 0, 1, sig, &len);

	assert_int_equal(srv_push_set(f->s, s1, len, sig, f->a.hex, fake_now,
				      &r), 0);
	free(s1);
	proto_hex_encode(prev, f->a.head, PROTO_HASH_BYTES);
	proto_hlc_format(hlc, proto_hlc_tick(f->a.hlc, fake_now));
	/* An update writing a field models do not have: change 0 refused. */
	snprintf(bytes, sizeof(bytes), "{\"v\":2,\"device\":\"%s\",\"seq\":2,"
		 "\"prev\":\"%s\",\"changes\":[{\"id\":\"" MODEL "\","
		 "\"kind\":\"model\",\"op\":\"update\",\"hlc\":\"%s\","
		 "\"fields\":{\"colour\":\"red\"}}]}", f->a.hex, prev, hlc);
	sign_text(&f->a, bytes, sig);
	assert_int_equal(srv_push_set(f->s, bytes, strlen(bytes), sig, f->a.hex,
				      fake_now, &r), 422);
	assert_string_equal(r.code, "unknown_field");
	assert_int_equal(r.index, 0);
	assert_int_equal(r.seq, 2);
	/* A set-level fault in a set whose seq is valid: named too. */
	snprintf(bytes, sizeof(bytes), "{\"v\":2,\"device\":\"%s\",\"seq\":2,"
		 "\"prev\":\"%s\",\"changes\":[]}", f->a.hex, prev);
	sign_text(&f->a, bytes, sig);
	assert_int_equal(srv_push_set(f->s, bytes, strlen(bytes), sig, f->a.hex,
				      fake_now, &r), 422);
	assert_string_equal(r.code, "missing_field");
	assert_int_equal(r.index, -1);
	assert_int_equal(r.seq, 2);
	/* A seq that is not a valid one cannot be named. */
	snprintf(bytes, sizeof(bytes), "{\"v\":2,\"device\":\"%s\",\"seq\":2.5,"
		 "\"prev\":\"%s\",\"changes\":[]}", f->a.hex, prev);
	sign_text(&f->a, bytes, sig);
	assert_int_equal(srv_push_set(f->s, bytes, strlen(bytes), sig, f->a.hex,
				      fake_now, &r), 422);
	assert_string_equal(r.code, "wrong_type");
	assert_int_equal(r.seq, -1);
	assert_int_equal(count(f, "cursor"), 1);
}

static void test_refusals(void **state)
{
	fx *f = *state;
	srv_push_result r;
	char sig[PROTO_SIG_HEX + 1], sig2[PROTO_SIG_HEX + 1];
	size_t len, len2;
	char *s1 = mkset(&f->a, create_model, 1, 0, 1, sig, &len), *s2;
	dev saved;

	assert_int_equal(srv_push_set(f->s, s1, len, sig, f->a.hex, fake_now,
				      &r), 0);
	/* Another device's session. */
	assert_int_equal(srv_push_set(f->s, s1, len, sig, f->b.hex, fake_now,
				      &r), 403);
	assert_string_equal(r.code, "device_mismatch");
	/* Gap. */
	saved = f->a;
	s2 = mkset(&f->a, create_model, 3, 0, 0, sig2, &len2);
	assert_int_equal(srv_push_set(f->s, s2, len2, sig2, f->a.hex, fake_now,
				      &r), 409);
	assert_string_equal(r.code, "sequence_gap");
	assert_int_equal(r.expected_seq, 2);
	free(s2);
	/* Broken chain. */
	memset(f->a.head, 7, PROTO_HASH_BYTES);
	s2 = mkset(&f->a, create_model, 2, 0, 0, sig2, &len2);
	f->a = saved;
	assert_int_equal(srv_push_set(f->s, s2, len2, sig2, f->a.hex, fake_now,
				      &r), 409);
	assert_string_equal(r.code, "chain_broken");
	free(s2);
	/* Clock ahead by a day: refused, nothing stored. */
	s2 = mkset(&f->a, create_model, 2, fake_now + 86400000, 0, sig2, &len2);
	assert_int_equal(srv_push_set(f->s, s2, len2, sig2, f->a.hex, fake_now,
				      &r), 422);
	assert_string_equal(r.code, "clock_ahead");
	assert_true(r.ahead_ms >= 86400000);
	free(s2);
	/* Tampered: one byte changed. */
	s2 = mkset(&f->a, create_model, 2, 0, 0, sig2, &len2);
	s2[len2 - 5] = s2[len2 - 5] == '4' ? '5' : '4';
	assert_int_equal(srv_push_set(f->s, s2, len2, sig2, f->a.hex, fake_now,
				      &r), 403);
	assert_string_equal(r.code, "bad_signature");
	free(s2);
	assert_int_equal(count(f, "cursor"), 1);
	/* Fork: a different set 1. Evidence kept, device flagged. */
	memset(f->a.head, 0, PROTO_HASH_BYTES);
	f->a.hlc = 0;
	s2 = mkset(&f->a, "[{\"id\":\"" MODEL "\",\"kind\":\"model\",\"op\":"
		   "\"update\",\"fields\":{\"crop\":\"Rice\"}}]", 1, 0, 0, sig2,
		   &len2);
	assert_int_equal(srv_push_set(f->s, s2, len2, sig2, f->a.hex, fake_now,
				      &r), 409);
	assert_string_equal(r.code, "fork");
	assert_int_equal(count(f, f->a.hex), 1);
	assert_int_equal(srv_push_set(f->s, s2, len2, sig2, f->a.hex, fake_now,
				      &r), 409);
	assert_int_equal(count(f, f->a.hex), 1); /* kept once */
	{
		srv_device d;
		assert_int_equal(srv_store_device_get(f->s, f->a.hex, &d), 0);
		assert_true(d.flags & SRV_DEV_FORKED);
	}
	assert_int_equal(count(f, "cursor"), 1);
	free(s2);
	free(s1);
}

static void test_revoked_and_conflict(void **state)
{
	fx *f = *state;
	srv_push_result r;
	char sig[PROTO_SIG_HEX + 1], *s, stamp[PROTO_STAMP_TEXT + 1], ch[512];
	size_t len;
	int64_t at;
	proto_stamp st;

	s = mkset(&f->a, create_model, 1, 0, 1, sig, &len);
	assert_int_equal(srv_push_set(f->s, s, len, sig, NULL, fake_now, &r), 0);
	free(s);
	memset(&st, 0, sizeof(st));
	st.hlc = f->a.hlc;
	memcpy(st.device, f->a.id, PROTO_ID_BYTES);
	proto_stamp_format(stamp, &st);
	/* A and B both change crop having seen A's create: concurrent. */
	snprintf(ch, sizeof(ch), "[{\"id\":\"" MODEL "\",\"kind\":\"model\","
		 "\"op\":\"update\",\"fields\":{\"crop\":\"%s\"},\"base\":"
		 "{\"crop\":\"%s\"}}]", "Nếp", stamp);
	fake_now += 1000;
	s = mkset(&f->a, ch, 2, 0, 1, sig, &len);
	assert_int_equal(srv_push_set(f->s, s, len, sig, NULL, fake_now, &r), 0);
	free(s);
	snprintf(ch, sizeof(ch), "[{\"id\":\"" MODEL "\",\"kind\":\"model\","
		 "\"op\":\"update\",\"fields\":{\"crop\":\"%s\"},\"base\":"
		 "{\"crop\":\"%s\"}}]", "ເຂົ້າໜຽວ", stamp);
	/* B may not change A's record (SPEC 9.6): the whole set is refused,
	** naming the change, and nothing of it is kept. */
	s = mkset(&f->b, ch, 1, 0, 1, sig, &len);
	assert_int_equal(srv_push_set(f->s, s, len, sig, NULL, fake_now, &r),
			 403);
	assert_string_equal(r.code, "not_owner");
	assert_int_equal(r.index, 0);
	assert_non_null(strstr(r.msg, f->a.hex));
	assert_int_equal(count(f, "conflicts"), 0);
	assert_int_equal(count(f, "cursor"), 2);
	free(s);
	/* A's own change of crop again, having seen only the create: a
	** concurrent edit of its own earlier write, reported. */
	snprintf(ch, sizeof(ch), "[{\"id\":\"" MODEL "\",\"kind\":\"model\","
		 "\"op\":\"update\",\"fields\":{\"crop\":\"%s\"},\"base\":"
		 "{\"crop\":\"%s\"}}]", "ເຂົ້າໜຽວ", stamp);
	s = mkset(&f->a, ch, 3, 0, 1, sig, &len);
	assert_int_equal(srv_push_set(f->s, s, len, sig, NULL, fake_now, &r), 0);
	assert_int_equal(r.conflicts, 1);
	assert_int_equal(count(f, "conflicts"), 1);
	free(s);
	/* Revoke B: its next set is refused; the earlier one stays. */
	assert_int_equal(srv_store_begin(f->s, 1), SRV_OK);
	assert_int_equal(srv_store_device_revoke(f->s, f->b.hex, fake_now, &at),
			 SRV_OK);
	assert_int_equal(srv_store_commit(f->s), SRV_OK);
	assert_int_equal(at, 3);
	s = mkset(&f->b, create_model, 2, 0, 0, sig, &len);
	assert_int_equal(srv_push_set(f->s, s, len, sig, f->b.hex, fake_now,
				      &r), 403);
	assert_string_equal(r.code, "device_revoked");
	assert_int_equal(count(f, "cursor"), 3);
	free(s);
}

/* One request's sets in one transaction (srv_push_begin/_set_in/_end):
** sets accepted, a duplicate, then refused sets (nothing of one kept,
** the changes it had applied before its refused one included), a fork
** kept as evidence beside an accepted set, committed together; a
** request whose transaction is rolled back instead keeps none of them;
** the same refusals as one set per transaction. */
static void test_batch(void **state)
{
	fx *f = *state;
	srv_push_result r;
	char sig1[PROTO_SIG_HEX + 1], sig2[PROTO_SIG_HEX + 1];
	char sig3[PROTO_SIG_HEX + 1], sigf[PROTO_SIG_HEX + 1], *st = NULL;
	char ch[512], stamp[PROTO_STAMP_TEXT + 1];
	size_t l1, l2, l3, lf, sl;
	char *s1, *s2, *s3, *sf;
	srv_device d;
	dev start;
	proto_stamp ps;

	start = f->a;
	s1 = mkset(&f->a, create_model, 1, 0, 1, sig1, &l1);
	memset(&ps, 0, sizeof(ps));
	ps.hlc = f->a.hlc;
	memcpy(ps.device, f->a.id, PROTO_ID_BYTES);
	proto_stamp_format(stamp, &ps);
	fake_now += 1000;
	snprintf(ch, sizeof(ch), "[{\"id\":\"" MODEL "\",\"kind\":\"model\","
		 "\"op\":\"update\",\"fields\":{\"crop\":\"Nếp\"},\"base\":"
		 "{\"crop\":\"%s\"}}]", stamp);
	s2 = mkset(&f->a, ch, 2, 0, 1, sig2, &l2);
	/* Set 3 meets a concurrent edit (base: the create's crop, which set
	** 2 replaced). */
	snprintf(ch, sizeof(ch), "[{\"id\":\"" MODEL "\",\"kind\":\"model\","
		 "\"op\":\"update\",\"fields\":{\"crop\":\"ເຂົ້າ\"},\"base\":"
		 "{\"crop\":\"%s\"}}]", stamp);
	fake_now += 1000;
	s3 = mkset(&f->a, ch, 3, 0, 0, sig3, &l3);

	/* Rolled back: nothing held, as if the request never came. */
	assert_int_equal(srv_push_begin(f->s), SRV_OK);
	assert_int_equal(srv_push_set_in(f->s, s1, l1, sig1, f->a.hex,
					 fake_now, &r), 0);
	assert_int_equal(srv_push_set_in(f->s, s2, l2, sig2, f->a.hex,
					 fake_now, &r), 0);
	srv_store_rollback(f->s);
	assert_int_equal(count(f, "cursor"), 0);
	assert_int_equal(srv_store_device_get(f->s, f->a.hex, &d), SRV_OK);
	assert_int_equal(d.head_seq, 0);

	/* Committed: 1 and 2 held, 3's signature refused and nothing of it
	** kept (not its conflict either); a set-level refusal inside the
	** transaction leaves it usable. */
	assert_int_equal(srv_push_begin(f->s), SRV_OK);
	assert_int_equal(srv_push_set_in(f->s, s1, l1, sig1, f->a.hex,
					 fake_now, &r), 0);
	assert_int_equal(r.cursor, 1);
	assert_int_equal(srv_push_set_in(f->s, s2, l2, sig2, f->a.hex,
					 fake_now, &r), 0);
	assert_int_equal(r.cursor, 2);
	/* Again within the request: a duplicate. */
	assert_int_equal(srv_push_set_in(f->s, s1, l1, sig1, f->a.hex,
					 fake_now, &r), 0);
	assert_int_equal(r.duplicate, 1);
	/* A sig for other bytes: refused before any work. */
	assert_int_equal(srv_push_set_in(f->s, s3, l3, sig1, f->a.hex,
					 fake_now, &r), 403);
	assert_string_equal(r.code, "bad_signature");
	/* B's set creates a record, then changes A's: refused at its second
	** change, and its first is undone with it (the savepoint). */
	{
		char *sb, sigb[PROTO_SIG_HEX + 1];
		size_t lb;
		sb = mkset(&f->b, "[{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
			   "\"op\":\"create\",\"fields\":{\"crop\":\"Ngô\","
			   "\"province\":\"Sekong\",\"planned_ha\":2,"
			   "\"planned_households\":9}},{\"id\":\"" MODEL "\","
			   "\"kind\":\"model\",\"op\":\"update\",\"fields\":"
			   "{\"crop\":\"B's\"}}]", 1, 0, 0, sigb, &lb);
		assert_int_equal(srv_push_set_in(f->s, sb, lb, sigb, f->b.hex,
						 fake_now, &r), 403);
		assert_string_equal(r.code, "not_owner");
		assert_int_equal(r.index, 1);
		free(sb);
	}
	assert_int_equal(srv_push_end(f->s), SRV_OK);
	assert_int_equal(srv_store_record_get(f->s, MODEL2, &st, &sl),
			 SRV_E_NOTFOUND);
	assert_int_equal(srv_store_device_get(f->s, f->b.hex, &d), SRV_OK);
	assert_int_equal(d.head_seq, 0);
	assert_int_equal(count(f, "cursor"), 2);
	assert_int_equal(count(f, "conflicts"), 0);
	assert_int_equal(srv_store_device_get(f->s, f->a.hex, &d), SRV_OK);
	assert_int_equal(d.head_seq, 2);
	assert_memory_equal(d.head_hash, f->a.head, PROTO_HASH_BYTES);
	assert_int_equal(srv_store_record_get(f->s, MODEL, &st, &sl), SRV_OK);
	assert_non_null(strstr(st, "Nếp"));
	free(st);

	/* In one request: set 3 with its conflict accepted, then another set
	** 1 (a fork): refused, its evidence kept with set 3. */
	f->a.seq = 2;
	assert_int_equal(srv_push_begin(f->s), SRV_OK);
	assert_int_equal(srv_push_set_in(f->s, s3, l3, sig3, f->a.hex,
					 fake_now, &r), 0);
	assert_int_equal(r.conflicts, 1);
	{
		dev other = start;
		sf = mkset(&other, "[{\"id\":\"" MODEL "\",\"kind\":"
			   "\"model\",\"op\":\"update\",\"fields\":{\"crop\":"
			   "\"Rice\"}}]", 1, 0, 0, sigf, &lf);
	}
	assert_int_equal(srv_push_set_in(f->s, sf, lf, sigf, f->a.hex,
					 fake_now, &r), 409);
	assert_string_equal(r.code, "fork");
	assert_int_equal(srv_push_end(f->s), SRV_OK);
	assert_int_equal(count(f, "cursor"), 3);
	assert_int_equal(count(f, "conflicts"), 1);
	assert_int_equal(count(f, f->a.hex), 1);
	assert_int_equal(srv_store_device_get(f->s, f->a.hex, &d), SRV_OK);
	assert_true(d.flags & SRV_DEV_FORKED);
	assert_int_equal(d.head_seq, 3);
	free(s1);
	free(s2);
	free(s3);
	free(sf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hq_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_duplicate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_seq, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_revoked_and_conflict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
