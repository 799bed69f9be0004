/*
** This file contains unit tests of what one device can make the server keep
** for HQ (issue 9 item 12): the open conflicts recorded per device are
** capped at SRV_CONFLICTS_OPEN_MAX and the fork evidence rows at
** SRV_FORKS_MAX; past a cap the data still merges (or the fork is still
** refused), nothing more of that kind is recorded, and the device is flagged
** and an event written once. Then the dashboard's conflict list is read in
** pages (srv_store_conflicts_page and GET /api/conflicts through
** srv_web_handle with a real sign-in). Real SQLite files, real signed sets
** through srv_push_set; the server clock is replaced through srv_clock_ms.
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
#include "server/pool.h"
#include "server/push.h"
#include "server/store.h"
#include "server/web.h"

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
	snprintf(row.name, sizeof(row.name), "device %.8s", d->hex);
	snprintf(row.role, sizeof(row.role), "expert");
	row.enrolled_ms = fake_now;
	assert_int_equal(srv_store_device_add(f->s, &row), SRV_OK);
}

/* The database of one test: DIR/db (SQLite), or with
** FIELDSYNC_TEST_PGHOST set (a PostgreSQL socket directory, superuser
** fieldsync) a fresh database fsunit_caps there, HQ's key in DIR: the same
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
		 "-c 'DROP DATABASE IF EXISTS fsunit_caps' "
		 "-c 'CREATE DATABASE fsunit_caps' >/dev/null", host);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(setenv("FIELDSYNCD_STATE_DIR", dir, 1), 0);
	snprintf(out, outsz, "host=%s dbname=fsunit_caps user=fieldsync", host);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char msg[256];

	assert_non_null(f);
	assert_int_equal(proto_init(), 0);
	srv_clock_ms = fake_clock;
	fake_now = T0;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_server_caps.XXXXXX");
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

/* A record id: 32 hex digits from a tag and a number. */
static void rec_id(char out[PROTO_ID_HEX + 1], unsigned tag, unsigned i)
{
	snprintf(out, PROTO_ID_HEX + 1, "%08x%024x", tag, i);
}

/* Push one signed set of n changes of device d: op "create" makes models
** tag/first.. with crop "Maize", "update" sets their crop to crop without a
** base (a concurrent edit each: the author had not seen the value). seq 0:
** the next one; advance 0 leaves d's chain as it was (for forks). Returns
** srv_push_set's status. */
static int push(fx *f, dev *d, const char *op, unsigned tag, unsigned first,
		unsigned n, const char *crop, int64_t seq, int advance,
		srv_push_result *r)
{
	char **enc = calloc(n, sizeof(*enc)), *out = NULL;
	size_t *lens = calloc(n, sizeof(*lens)), len = 0;
	uint8_t sig[PROTO_SIG_BYTES], h[PROTO_HASH_BYTES];
	char sighex[PROTO_SIG_HEX + 1];
	proto_hlc hlc = d->hlc;
	proto_err e;
	unsigned i;
	int rc;

	assert_non_null(enc);
	assert_non_null(lens);
	if (!seq)
		seq = d->seq + 1;
	for (i = 0; i < n; i++) {
		proto_change c;
		cJSON *fields = cJSON_CreateObject();
		memset(&c, 0, sizeof(c));
		rec_id(c.id, tag, first + i);
		c.kind = proto_kind_find("model");
		cJSON_AddStringToObject(fields, "crop", crop);
		if (strcmp(op, "create") == 0) {
			c.op = PROTO_OP_CREATE;
			cJSON_AddStringToObject(fields, "province", "Salavan");
			cJSON_AddNumberToObject(fields, "planned_ha", 5);
			cJSON_AddNumberToObject(fields, "planned_households",
						42);
		} else {
			c.op = PROTO_OP_UPDATE;
		}
		hlc = proto_hlc_tick(hlc, fake_now);
		c.hlc = hlc;
		c.fields = fields;
		assert_int_equal(proto_change_encode(&c, &enc[i], &lens[i], &e),
				 PROTO_OK);
		cJSON_Delete(fields);
	}
	assert_int_equal(proto_set_encode(d->id, seq, d->head,
					  (const char *const *)enc, lens, n,
					  &out, &len, &e), PROTO_OK);
	for (i = 0; i < n; i++)
		free(enc[i]);
	free(enc);
	free(lens);
	proto_set_sign(out, len, d->sk, sig);
	proto_hex_encode(sighex, sig, PROTO_SIG_BYTES);
	rc = srv_push_set(f->s, out, len, sighex, d->hex, fake_now, r);
	if (rc == 0 && advance) {
		proto_set_hash(out, len, h);
		memcpy(d->head, h, sizeof(h));
		d->seq = seq;
		d->hlc = hlc;
	}
	free(out);
	fake_now += 1000;
	return rc;
}

static int64_t open_conflicts(fx *f)
{
	int64_t n = 0;

	assert_int_equal(srv_store_conflicts_open(f->s, &n), SRV_OK);
	return n;
}

static unsigned flags_of(fx *f, const char *id)
{
	srv_device d;

	assert_int_equal(srv_store_device_get(f->s, id, &d), SRV_OK);
	return d.flags;
}

typedef struct ev_count {
	const char *kind, *device;
	int n;
} ev_count;

static int count_event(void *ctx, const srv_event *e)
{
	ev_count *c = ctx;

	if (strcmp(e->kind, c->kind) == 0 && strcmp(e->device, c->device) == 0)
		c->n++;
	return 0;
}

static int events(fx *f, const char *kind, const char *device)
{
	ev_count c = { kind, device, 0 };

	assert_int_equal(srv_store_events_each(f->s, count_event, &c), SRV_OK);
	return c.n;
}

/* The crop of record tag/i as HQ holds it. */
static void expect_crop(fx *f, unsigned tag, unsigned i, const char *want)
{
	char id[PROTO_ID_HEX + 1], *st = NULL, pat[128];
	size_t len;

	rec_id(id, tag, i);
	assert_int_equal(srv_store_record_get(f->s, id, &st, &len), SRV_OK);
	snprintf(pat, sizeof(pat), "\"%s\"", want);
	if (!strstr(st, pat))
		fail_msg("record %s: %s has no %s", id, st, pat);
	free(st);
}

typedef struct first_open {
	int64_t id[8];
	int n;
} first_open;

static int take_ids(void *ctx, const srv_conflict *c)
{
	first_open *fo = ctx;

	fo->id[fo->n++] = c->id;
	return fo->n == 8;
}

/* More concurrent edits than the cap from one device: the first
** SRV_CONFLICTS_OPEN_MAX are listed, every edit merges, the device is
** flagged once; another device's conflicts are still listed; resolving
** some makes room again. */
static void test_conflict_cap(void **state)
{
	fx *f = *state;
	srv_push_result r;
	const unsigned over = SRV_CONFLICTS_OPEN_MAX + 200;
	first_open fo;
	unsigned i;

	assert_true(over <= 2000); /* one set of that many changes */
	assert_int_equal(push(f, &f->a, "create", 1, 0, over, "Maize", 0, 1,
			      &r), 0);
	assert_int_equal(open_conflicts(f), 0);
	assert_int_equal(push(f, &f->a, "update", 1, 0, over, "Rice", 0, 1,
			      &r), 0);
	assert_int_equal(open_conflicts(f), SRV_CONFLICTS_OPEN_MAX);
	/* the data merged, capped or not */
	expect_crop(f, 1, 0, "Rice");
	expect_crop(f, 1, over - 1, "Rice");
	assert_true(flags_of(f, f->a.hex) & SRV_DEV_CONFLICTS_CAPPED);
	assert_int_equal(events(f, "conflicts_capped", f->a.hex), 1);

	/* More from A: merged, not listed, no second event. */
	assert_int_equal(push(f, &f->a, "update", 1, 0, 10, "Cassava", 0, 1,
			      &r), 0);
	expect_crop(f, 1, 9, "Cassava");
	assert_int_equal(open_conflicts(f), SRV_CONFLICTS_OPEN_MAX);
	assert_int_equal(events(f, "conflicts_capped", f->a.hex), 1);

	/* B's are its own: listed. */
	assert_int_equal(push(f, &f->b, "create", 2, 0, 3, "Maize", 0, 1, &r),
			 0);
	assert_int_equal(push(f, &f->b, "update", 2, 0, 3, "Rice", 0, 1, &r),
			 0);
	assert_int_equal(open_conflicts(f), SRV_CONFLICTS_OPEN_MAX + 3);
	assert_false(flags_of(f, f->b.hex) & SRV_DEV_CONFLICTS_CAPPED);

	/* HQ resolves five of A's: five more of A's are listed again. */
	memset(&fo, 0, sizeof(fo));
	assert_int_equal(srv_store_conflicts_each(f->s, 1, take_ids, &fo),
			 SRV_OK);
	assert_int_equal(srv_store_begin(f->s, 1), SRV_OK);
	for (i = 0; i < 5; i++)
		assert_int_equal(srv_store_conflict_resolve(f->s, fo.id[i],
							    "{}", 1, fake_now),
				 SRV_OK);
	assert_int_equal(srv_store_commit(f->s), SRV_OK);
	assert_int_equal(open_conflicts(f), SRV_CONFLICTS_OPEN_MAX - 2);
	assert_int_equal(push(f, &f->a, "update", 1, 100, 20, "Coffee", 0, 1,
			      &r), 0);
	assert_int_equal(open_conflicts(f), SRV_CONFLICTS_OPEN_MAX + 3);
	expect_crop(f, 1, 119, "Coffee");
}

/* More different sets with one seq than the cap: every one is refused as a
** fork, at most SRV_FORKS_MAX are kept, the device is flagged once. */
static void test_fork_cap(void **state)
{
	fx *f = *state;
	srv_push_result r;
	int64_t n = 0;
	char crop[32];
	unsigned i;

	assert_int_equal(push(f, &f->a, "create", 3, 0, 1, "Maize", 0, 1, &r),
			 0);
	memset(f->a.head, 0, PROTO_HASH_BYTES); /* as set 1 had it */
	for (i = 0; i < SRV_FORKS_MAX + 5; i++) {
		snprintf(crop, sizeof(crop), "Fork %u", i);
		assert_int_equal(push(f, &f->a, "create", 3, 0, 1, crop, 1, 0,
				      &r), 409);
		assert_string_equal(r.code, "fork");
	}
	assert_int_equal(srv_store_forks_count(f->s, f->a.hex, &n), SRV_OK);
	assert_int_equal(n, SRV_FORKS_MAX);
	assert_true(flags_of(f, f->a.hex) & SRV_DEV_FORKED);
	assert_true(flags_of(f, f->a.hex) & SRV_DEV_FORKS_CAPPED);
	assert_int_equal(events(f, "forks_capped", f->a.hex), 1);
	expect_crop(f, 3, 0, "Maize"); /* the held set is still the one */
}

typedef struct page {
	int64_t last;
	int n, ordered;
} page;

static int page_cb(void *ctx, const srv_conflict *c)
{
	page *p = ctx;

	if (c->id <= p->last || c->resolved_ms != 0)
		p->ordered = 0;
	p->last = c->id;
	p->n++;
	return 0;
}

/* Every open conflict exactly once, in id order, in pages of at most
** limit; next = 0 on the last page. */
static void test_conflict_pages(void **state)
{
	fx *f = *state;
	srv_push_result r;
	int64_t after = 0, next = -1, total = 0;
	int pages = 0;

	assert_int_equal(push(f, &f->a, "create", 4, 0, 700, "Maize", 0, 1, &r),
			 0);
	assert_int_equal(push(f, &f->a, "update", 4, 0, 700, "Rice", 0, 1, &r),
			 0);
	assert_int_equal(open_conflicts(f), 700);
	do {
		page p = { after, 0, 1 };
		assert_int_equal(srv_store_conflicts_page(f->s, 1, after, 300,
							  page_cb, &p, &next),
				 SRV_OK);
		assert_true(p.ordered);
		assert_true(p.n <= 300);
		assert_int_equal(next, p.n == 300 && total + p.n < 700 ?
				       p.last : 0);
		total += p.n;
		after = p.last;
		pages++;
	} while (next);
	assert_int_equal(total, 700);
	assert_int_equal(pages, 3);
}

/* ---- GET /api/conflicts through the dashboard's handler ----------------- */

static srv_ctx web_ctx(fx *f)
{
	srv_ctx ctx;
	char msg[256];

	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(srv_pool_open(f->path, 1, &ctx.pool, msg, sizeof(msg)),
			 SRV_OK);
	assert_int_equal(srv_web_new(f->path, 0, &ctx.web), SRV_OK);
	assert_int_equal(srv_auth_new(&ctx.auth), SRV_OK);
	snprintf(ctx.hq_device, sizeof(ctx.hq_device), "%s", f->hq);
	return ctx;
}

/* Sign in with a fresh hq token; cookie gets the session value. */
static void sign_in(fx *f, srv_ctx *ctx, char cookie[65])
{
	const char *tok = "00112233445566778899aabbccddeeff"
			  "00112233445566778899aabbccddeeff";
	char body[160];
	uint8_t h[PROTO_HASH_BYTES];
	srv_token t;
	srv_web_req q;
	srv_resp resp;
	const char *v;

	crypto_generichash(h, sizeof(h), (const unsigned char *)tok,
			   strlen(tok), NULL, 0);
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "HQ staff");
	snprintf(t.role, sizeof(t.role), "hq");
	t.created_ms = fake_now;
	t.expires_ms = fake_now + 86400000;
	assert_int_equal(srv_store_token_add(f->s, h, &t), SRV_OK);
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", tok);
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.path = "/login";
	q.body = body;
	q.body_len = strlen(body);
	srv_web_handle(ctx, &q, &resp);
	assert_int_equal(resp.status, 200);
	v = strstr(resp.cookie, SRV_WEB_COOKIE "=");
	assert_non_null(v);
	memcpy(cookie, v + strlen(SRV_WEB_COOKIE "="), 64);
	cookie[64] = 0;
	srv_resp_free(&resp);
}

/* GET /api/conflicts with up to three query parameters (NULL ends). */
static cJSON *get_conflicts(srv_ctx *ctx, const char *cookie, int *status,
			    const char *k1, const char *v1, const char *k2,
			    const char *v2)
{
	srv_web_req q;
	srv_resp resp;
	cJSON *o;

	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.path = "/api/conflicts";
	q.cookie = cookie;
	if (k1) {
		q.args[q.nargs][0] = k1;
		q.args[q.nargs++][1] = v1;
	}
	if (k2) {
		q.args[q.nargs][0] = k2;
		q.args[q.nargs++][1] = v2;
	}
	srv_web_handle(ctx, &q, &resp);
	*status = resp.status;
	o = cJSON_ParseWithLength(resp.body, resp.len);
	srv_resp_free(&resp);
	assert_non_null(o);
	return o;
}

static void test_api_conflicts_pages(void **state)
{
	fx *f = *state;
	srv_push_result r;
	srv_ctx ctx;
	char cookie[65], after[32];
	const cJSON *next, *arr, *it, *capped;
	cJSON *o;
	int status, total = 0, pages = 0;
	int64_t last = 0;

	/* 1200 edits from A (1000 listed, A capped), 50 from B */
	assert_int_equal(push(f, &f->a, "create", 5, 0, 1200, "Maize", 0, 1,
			      &r), 0);
	assert_int_equal(push(f, &f->a, "update", 5, 0, 1200, "Rice", 0, 1,
			      &r), 0);
	assert_int_equal(push(f, &f->b, "create", 6, 0, 50, "Maize", 0, 1, &r),
			 0);
	assert_int_equal(push(f, &f->b, "update", 6, 0, 50, "Rice", 0, 1, &r),
			 0);
	ctx = web_ctx(f);
	sign_in(f, &ctx, cookie);

	/* Without limit: the default page, not everything. */
	o = get_conflicts(&ctx, cookie, &status, NULL, NULL, NULL, NULL);
	assert_int_equal(status, 200);
	assert_int_equal(cJSON_GetObjectItem(o, "open")->valueint,
			 SRV_CONFLICTS_OPEN_MAX + 50);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "conflicts")),
			 SRV_WEB_PAGE_DEFAULT);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "next")));
	/* The capped device is named for HQ. */
	capped = cJSON_GetObjectItem(o, "capped_devices");
	assert_int_equal(cJSON_GetArraySize(capped), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(capped, 0),
						"id")->valuestring, f->a.hex);
	cJSON_Delete(o);

	/* Page through with limit=400 following next. */
	snprintf(after, sizeof(after), "0");
	for (;;) {
		o = get_conflicts(&ctx, cookie, &status, "limit", "400", "after",
				  after);
		assert_int_equal(status, 200);
		arr = cJSON_GetObjectItem(o, "conflicts");
		assert_true(cJSON_GetArraySize(arr) <= 400);
		cJSON_ArrayForEach(it, arr) {
			int64_t id = (int64_t)cJSON_GetObjectItem(it, "id")
					     ->valuedouble;
			assert_true(id > last);
			last = id;
			total++;
		}
		pages++;
		next = cJSON_GetObjectItem(o, "next");
		if (cJSON_IsNull(next)) {
			cJSON_Delete(o);
			break;
		}
		assert_int_equal((int64_t)next->valuedouble, last);
		snprintf(after, sizeof(after), "%lld", (long long)last);
		cJSON_Delete(o);
	}
	assert_int_equal(total, SRV_CONFLICTS_OPEN_MAX + 50);
	assert_int_equal(pages, 3);

	/* Bad values are refused, naming what is allowed. */
	o = get_conflicts(&ctx, cookie, &status, "limit", "0", NULL, NULL);
	assert_int_equal(status, 400);
	assert_non_null(strstr(cJSON_GetObjectItem(o, "message")->valuestring,
			       "limit"));
	cJSON_Delete(o);
	o = get_conflicts(&ctx, cookie, &status, "limit", "100000", NULL, NULL);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
	o = get_conflicts(&ctx, cookie, &status, "after", "-3", NULL, NULL);
	assert_int_equal(status, 400);
	assert_non_null(strstr(cJSON_GetObjectItem(o, "message")->valuestring,
			       "after"));
	cJSON_Delete(o);
	o = get_conflicts(&ctx, cookie, &status, "after", "12x", NULL, NULL);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
	srv_web_free(ctx.web);
	srv_auth_free(ctx.auth);
	srv_pool_close(ctx.pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conflict_cap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fork_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_api_conflicts_pages, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
