/*
** This file contains the unit tests of libfieldsync's store (client/lib):
** init and open (key files, modes, refusals), local writes (one transaction
** each: record, outbox change with its canonical bytes, persisted HLC),
** the base stamps of an edit, roll-back on every kind of bad input, id
** prefixes, progress summaries, deletes, status, the schema description,
** and the store's health: check and salvage of a damaged page, import by id.
** Each test works in its own fresh directory; the store is inspected
** directly with SQLite where the public API does not show it.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "fieldsync.h"
#include "protocol/changeset.h"
#include "protocol/hlc.h"

/* 2026-04-10T00:00:00Z in ms. */
#define T0 (20553LL * 86400 * 1000)

typedef struct fixture {
	char dir[256];
	fieldsync *fs;
	long long now;   /* the injected wall clock */
} fixture;

static long long fake_now(void *ctx)
{
	return ((fixture *)ctx)->now;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/fs-unit-XXXXXX", base);
	if (!mkdtemp(f->dir))
		return -1;
	f->now = T0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[300];

	fieldsync_close(f->fs);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Init a store in <dir>/data with the fake clock. */
static fieldsync *init_store(fixture *f)
{
	char d[300];
	int rc;

	snprintf(d, sizeof d, "%s/data", f->dir);
	rc = fieldsync_init(d, "Nguyễn Văn An", &f->fs);
	assert_int_equal(rc, FIELDSYNC_OK);
	fieldsync_set_clock(f->fs, fake_now, f);
	return f->fs;
}

static long long sql_int(fixture *f, const char *sql)
{
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(path, sizeof path, "%s/data/store.db", f->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* First column of the first row as a new string (caller frees). */
static char *sql_text(fixture *f, const char *sql)
{
	char path[300], *out = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(path, sizeof path, "%s/data/store.db", f->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static const fieldsync_field model_fields[] = {
	{"crop", "Ngô nếp"},
	{"province", "saravane"},
	{"village", "ສາລະວັນ"},
	{"planned_ha", "5"},
	{"planned_households", "42"},
};

static void add_model(fixture *f, char id[FIELDSYNC_ID_SIZE])
{
	assert_int_equal(fieldsync_add(f->fs, "model", model_fields, 5, id),
			 FIELDSYNC_OK);
}

static void add_progress(fixture *f, const char *model, const char *date,
			 const char *sown, char id[FIELDSYNC_ID_SIZE])
{
	fieldsync_field p[] = {{"model", model}, {"date", date},
			       {"sown_ha", sown}, {"households", "42"}};
	assert_int_equal(fieldsync_add(f->fs, "progress", p, 4, id),
			 FIELDSYNC_OK);
}

/* ---- init and open --------------------------------------------------------- */

static void test_init_then_open(void **state)
{
	fixture *f = *state;
	char d[300], dev[40], path[320];
	struct stat st;

	init_store(f);
	snprintf(dev, sizeof dev, "%s", fieldsync_device_id(f->fs));
	assert_int_equal(strlen(dev), 32);
	assert_true(proto_id_valid(dev));
	snprintf(path, sizeof path, "%s/data/device.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 64);
	fieldsync_close(f->fs);
	f->fs = NULL;

	snprintf(d, sizeof d, "%s/data", f->dir);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_OK);
	assert_string_equal(fieldsync_device_id(f->fs), dev);
	assert_string_equal(fieldsync_errmsg(f->fs), "");
	/* 4: protocol version 2's history and notices */
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 4);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM meta WHERE key = "
				    "'device_id' AND value = (SELECT value FROM "
				    "meta WHERE key = 'device_id')"), 1);
}

static void test_open_not_initialised(void **state)
{
	fixture *f = *state;
	char d[300];
	struct stat st;

	snprintf(d, sizeof d, "%s/nothing", f->dir);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_E_NOT_INIT);
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "fieldsync init"));
	assert_int_equal(stat(d, &st), -1); /* nothing created */
}

static void test_init_twice(void **state)
{
	fixture *f = *state;
	fieldsync *again = NULL;
	char d[300], dev[40];

	init_store(f);
	snprintf(dev, sizeof dev, "%s", fieldsync_device_id(f->fs));
	snprintf(d, sizeof d, "%s/data", f->dir);
	assert_int_equal(fieldsync_init(d, "Other", &again), FIELDSYNC_E_EXISTS);
	assert_non_null(strstr(fieldsync_errmsg(again), dev));
	fieldsync_close(again);
}

static void test_insecure_key(void **state)
{
	fixture *f = *state;
	char d[300], key[320];

	init_store(f);
	fieldsync_close(f->fs);
	f->fs = NULL;
	snprintf(d, sizeof d, "%s/data", f->dir);
	snprintf(key, sizeof key, "%s/device.key", d);
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_E_INSECURE);
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "chmod 600"));
	fieldsync_close(f->fs);
	f->fs = NULL;
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_OK);
}

static void test_foreign_public_key(void **state)
{
	fixture *f = *state;
	uint8_t pk[32], sk[64];
	char d[300], pub[320];
	FILE *fp;

	init_store(f);
	fieldsync_close(f->fs);
	f->fs = NULL;
	snprintf(d, sizeof d, "%s/data", f->dir);
	snprintf(pub, sizeof pub, "%s/device.pub", d);
	proto_keypair(pk, sk);
	assert_non_null(fp = fopen(pub, "wb"));
	assert_int_equal(fwrite(pk, 1, 32, fp), 32);
	fclose(fp);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_E_CORRUPT);
}

static void test_newer_schema_refused(void **state)
{
	fixture *f = *state;
	char d[300], path[320];
	sqlite3 *db;

	init_store(f);
	fieldsync_close(f->fs);
	f->fs = NULL;
	snprintf(d, sizeof d, "%s/data", f->dir);
	snprintf(path, sizeof path, "%s/store.db", d);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_E_VERSION);
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "99"));
}

/* A store of protocol version 1 (schemas 1 to 3) is refused, not
** upgraded, with what to do; nothing in it is changed. */
static void test_open_protocol_v1(void **state)
{
	fixture *f = *state;
	char d[300], path[320];
	sqlite3 *db;

	init_store(f);
	fieldsync_close(f->fs);
	f->fs = NULL;
	snprintf(d, sizeof d, "%s/data", f->dir);
	snprintf(path, sizeof path, "%s/store.db", d);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 3", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_E_VERSION);
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "protocol version 1"));
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "fieldsync init"));
	fieldsync_close(f->fs);
	f->fs = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version",
						    -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 3);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void test_bad_name(void **state)
{
	fixture *f = *state;
	char d[300], name[202];

	snprintf(d, sizeof d, "%s/data", f->dir);
	assert_int_equal(fieldsync_init(d, "", &f->fs), FIELDSYNC_E_INVALID);
	fieldsync_close(f->fs);
	memset(name, 'a', 201);
	name[201] = '\0';
	assert_int_equal(fieldsync_init(d, name, &f->fs), FIELDSYNC_E_INVALID);
	assert_string_equal(fieldsync_errfield(f->fs), "name");
	fieldsync_close(f->fs);
	assert_int_equal(fieldsync_init(d, "bad\xc3", &f->fs),
			 FIELDSYNC_E_INVALID);
}

/* ---- writes ------------------------------------------------------------------ */

static void test_add_writes_record_and_change(void **state)
{
	fixture *f = *state;
	char id[FIELDSYNC_ID_SIZE], *change, *dev;
	const char *lens_changes[1];
	size_t lens[1];
	uint8_t device[16], prev[32] = {0};
	char *set = NULL;
	size_t setlen;
	proto_set decoded;
	proto_err err;
	cJSON *rec = NULL;

	init_store(f);
	add_model(f, id);
	assert_true(proto_id_valid(id));
	assert_int_equal(sql_int(f, "SELECT count(*) FROM records"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM outbox WHERE "
				    "set_seq IS NULL"), 1);

	/* The outbox holds canonical change bytes that a change set built
	** from them decodes strictly, as the server will. */
	change = sql_text(f, "SELECT change FROM outbox");
	assert_non_null(change);
	dev = strdup(fieldsync_device_id(f->fs));
	assert_int_equal(proto_hex_decode(device, 16, dev), 0);
	lens_changes[0] = change;
	lens[0] = strlen(change);
	assert_int_equal(proto_set_encode(device, 1, prev, lens_changes, lens, 1,
					  &set, &setlen, &err), PROTO_OK);
	assert_int_equal(proto_set_decode(set, setlen, &decoded, &err),
			 PROTO_OK);
	assert_int_equal(decoded.nchanges, 1);
	assert_string_equal(decoded.changes[0].id, id);
	assert_int_equal(decoded.changes[0].op, PROTO_OP_CREATE);
	assert_int_equal(decoded.changes[0].hlc, (proto_hlc)T0 << 16);
	proto_set_free(&decoded);

	/* Typed text became canonical values. */
	assert_int_equal(fieldsync_show(f->fs, id, &rec), FIELDSYNC_OK);
	{
		const cJSON *v = cJSON_GetObjectItem(rec, "fields");
		assert_string_equal(cJSON_GetObjectItem(v, "province")->valuestring,
				    "Salavan");
		assert_string_equal(cJSON_GetObjectItem(v, "village")->valuestring,
				    "ສາລະວັນ");
		assert_true(cJSON_GetObjectItem(v, "planned_ha")->valuedouble == 5);
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rec, "pending")));
	}
	cJSON_Delete(rec);
	free(set);
	free(dev);
	free(change);
}

static void test_hlc_monotonic_and_persisted(void **state)
{
	fixture *f = *state;
	char id[FIELDSYNC_ID_SIZE], d[300], *h1, *h2, *h3;

	init_store(f);
	add_model(f, id);
	f->now = T0 - 60000; /* the wall clock goes back a minute */
	add_model(f, id);
	h1 = sql_text(f, "SELECT hlc FROM outbox WHERE n = 1");
	h2 = sql_text(f, "SELECT hlc FROM outbox WHERE n = 2");
	assert_true(strcmp(h2, h1) > 0);
	fieldsync_close(f->fs);

	/* A new process, a clock at 1970: still after everything before. */
	snprintf(d, sizeof d, "%s/data", f->dir);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_OK);
	f->now = 0;
	fieldsync_set_clock(f->fs, fake_now, f);
	add_model(f, id);
	h3 = sql_text(f, "SELECT hlc FROM outbox WHERE n = 3");
	assert_true(strcmp(h3, h2) > 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM meta WHERE key = "
				    "'hlc' AND value = (SELECT max(hlc) FROM "
				    "outbox)"), 1);
	free(h1);
	free(h2);
	free(h3);
}

static void test_edit_sends_base(void **state)
{
	fixture *f = *state;
	char id[FIELDSYNC_ID_SIZE], out[FIELDSYNC_ID_SIZE], *stamp, *base;
	fieldsync_field e[] = {{"planned_ha", "5.5"}, {"district", "Lao Ngam"}};
	cJSON *rec = NULL;

	init_store(f);
	add_model(f, id);
	assert_int_equal(fieldsync_show(f->fs, id, &rec), FIELDSYNC_OK);
	stamp = strdup(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "stamps"),
					   "planned_ha")->valuestring);
	cJSON_Delete(rec);
	f->now += 1000;
	assert_int_equal(fieldsync_edit(f->fs, id, e, 2, out), FIELDSYNC_OK);
	assert_string_equal(out, id);
	/* base names the planned_ha stamp seen, and nothing for district,
	** which had no value. */
	base = sql_text(f, "SELECT json_extract(change, '$.base') FROM outbox "
			   "WHERE n = 2");
	assert_non_null(base);
	assert_non_null(strstr(base, stamp));
	assert_null(strstr(base, "district"));
	assert_int_equal(sql_int(f, "SELECT json_extract(change, "
				    "'$.fields.planned_ha') = 5.5 FROM outbox "
				    "WHERE n = 2"), 1);
	assert_int_equal(fieldsync_show(f->fs, id, &rec), FIELDSYNC_OK);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "fields"),
					"planned_ha")->valuedouble == 5.5);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rec,
						"fields"), "crop")->valuestring,
			    "Ngô nếp");
	cJSON_Delete(rec);
	free(base);
	free(stamp);
}

/* A refused call: the status, a message, and the field it names. A macro
** so that a failure reports the caller's line. */
#define expect_refused(f, call, want, field)                                  \
	do {                                                                  \
		int rc_ = (call);                                             \
		assert_int_equal(rc_, (want));                                \
		assert_true(fieldsync_errmsg((f)->fs)[0] != '\0');            \
		if ((field) != NULL)                                          \
			assert_string_equal(fieldsync_errfield((f)->fs),      \
					    (const char *)(field));           \
	} while (0)

/* Every refused write leaves records, outbox and the HLC as they were. */
static void test_bad_input_rolls_back(void **state)
{
	fixture *f = *state;
	char id[FIELDSYNC_ID_SIZE], m[FIELDSYNC_ID_SIZE], *hlc, *hlc2;
	long long nrec, nout;
	fieldsync_field bad_prov[] = {{"crop", "x"}, {"province", "Vientiane"},
				      {"planned_ha", "1"},
				      {"planned_households", "2"}};
	fieldsync_field neg_ha[] = {{"crop", "x"}, {"province", "Sekong"},
				    {"planned_ha", "-1"},
				    {"planned_households", "2"}};
	fieldsync_field missing[] = {{"crop", "x"}, {"province", "Sekong"},
				     {"planned_ha", "1"}};
	fieldsync_field unknown[] = {{"colour", "red"}};
	fieldsync_field twice[] = {{"crop", "a"}, {"crop", "b"}};
	fieldsync_field visit[] = {{"direction", "out"}, {"province", "Attapu"},
				   {"leader", "Đoàn công tác Sở Y tế Gia Lai"},
				   {"members", "6"}, {"sector", "health"},
				   {"start", "2026-04-10"}};
	fieldsync_field end_before[] = {{"end", "2026-04-01"}};
	char v[FIELDSYNC_ID_SIZE];
	fieldsync_field bad_utf8[] = {{"village", "\xc0\xaf"}};

	init_store(f);
	add_model(f, m);
	assert_int_equal(fieldsync_add(f->fs, "visit", visit, 6, v),
			 FIELDSYNC_OK);
	nrec = sql_int(f, "SELECT count(*) FROM records");
	nout = sql_int(f, "SELECT count(*) FROM outbox");
	hlc = sql_text(f, "SELECT value FROM meta WHERE key = 'hlc'");

	expect_refused(f, fieldsync_add(f->fs, "model", bad_prov, 4, id),
		       FIELDSYNC_E_INVALID, "province");
	assert_string_equal(id, "");
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "Attapeu, Champasak"));
	expect_refused(f, fieldsync_add(f->fs, "model", neg_ha, 4, id),
		       FIELDSYNC_E_INVALID, "planned_ha");
	expect_refused(f, fieldsync_add(f->fs, "model", missing, 3, id),
		       FIELDSYNC_E_INVALID, "planned_households");
	expect_refused(f, fieldsync_add(f->fs, "model", unknown, 1, id),
		       FIELDSYNC_E_USAGE, "colour");
	expect_refused(f, fieldsync_add(f->fs, "bird", unknown, 1, id),
		       FIELDSYNC_E_USAGE, NULL);
	expect_refused(f, fieldsync_edit(f->fs, m, twice, 2, id),
		       FIELDSYNC_E_USAGE, "crop");
	expect_refused(f, fieldsync_edit(f->fs, v, end_before, 1, id),
		       FIELDSYNC_E_INVALID, "end");
	expect_refused(f, fieldsync_edit(f->fs, m, bad_utf8, 1, id),
		       FIELDSYNC_E_INVALID, "village");
	expect_refused(f, fieldsync_edit(f->fs, m, twice, 0, id),
		       FIELDSYNC_E_USAGE, NULL);

	assert_int_equal(sql_int(f, "SELECT count(*) FROM records"), nrec);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM outbox"), nout);
	hlc2 = sql_text(f, "SELECT value FROM meta WHERE key = 'hlc'");
	assert_string_equal(hlc, hlc2);
	free(hlc);
	free(hlc2);
}

/* ---- ids ----------------------------------------------------------------------- */

static void test_resolve_prefixes(void **state)
{
	fixture *f = *state;
	char id[FIELDSYNC_ID_SIZE], got[FIELDSYNC_ID_SIZE], up[8];
	char pref[5] = "";
	int i, n = 0;

	init_store(f);
	add_model(f, id);
	assert_int_equal(fieldsync_resolve(f->fs, id, got), FIELDSYNC_OK);
	assert_string_equal(got, id);
	for (i = 0; i < 6; i++)
		up[i] = (char)(id[i] >= 'a' ? id[i] - 32 : id[i]);
	up[6] = '\0';
	assert_int_equal(fieldsync_resolve(f->fs, up, got), FIELDSYNC_OK);
	assert_string_equal(got, id);
	assert_int_equal(fieldsync_resolve(f->fs, "abc", got), FIELDSYNC_E_USAGE);
	assert_int_equal(fieldsync_resolve(f->fs, "xyzw", got), FIELDSYNC_E_USAGE);
	snprintf(up, sizeof up, "%.4s", id);
	up[0] = up[0] == '0' ? '1' : '0';
	assert_int_equal(fieldsync_resolve(f->fs, up, got),
			 FIELDSYNC_E_NOT_FOUND);

	/* Add until two ids share their first 4 digits (~320 expected). */
	while (!pref[0] && n++ < 4000) {
		char *p;
		add_model(f, id);
		p = sql_text(f, "SELECT substr(id, 1, 4) p FROM records GROUP "
				"BY p HAVING count(*) > 1");
		if (p)
			snprintf(pref, sizeof pref, "%s", p);
		free(p);
	}
	assert_true(pref[0]);
	assert_int_equal(fieldsync_resolve(f->fs, pref, got),
			 FIELDSYNC_E_AMBIGUOUS);
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "ambiguous"));
}

/* ---- progress, delete, list, status ---------------------------------------- */

static void test_progress_latest(void **state)
{
	fixture *f = *state;
	char m[FIELDSYNC_ID_SIZE], p[FIELDSYNC_ID_SIZE], v[FIELDSYNC_ID_SIZE];
	char latest[FIELDSYNC_ID_SIZE], pref[9];
	fieldsync_field visit[] = {{"direction", "in"}, {"province", "Sekong"},
				   {"leader", "ທ່ານ ບຸນມີ"}, {"members", "4"},
				   {"sector", "agriculture"},
				   {"start", "2026-04-10"}};
	fieldsync_field pv[] = {{"model", v}, {"date", "2026-01-01"},
				{"sown_ha", "1"}, {"households", "2"}};
	fieldsync_field note[] = {{"notes", "x"}};
	cJSON *list = NULL, *rec = NULL;
	const cJSON *sum;

	init_store(f);
	add_model(f, m);
	snprintf(pref, sizeof pref, "%.8s", m);
	add_progress(f, pref, "2025-09-30", "3.8", latest);
	add_progress(f, m, "2025-08-01", "2", p);       /* earlier date */
	f->now += 10;
	add_progress(f, m, "2025-09-30", "3.5", p);     /* same date, later */
	memcpy(latest, p, sizeof latest);

	assert_int_equal(fieldsync_list(f->fs, "models", NULL, &list),
			 FIELDSYNC_OK);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	sum = cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "progress");
	assert_int_equal(cJSON_GetObjectItem(sum, "count")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(sum,
						"latest"), "id")->valuestring,
			    latest);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
			sum, "latest"), "fields"), "sown_ha")->valuedouble == 3.5);
	cJSON_Delete(list);

	/* show lists every observation, by date. */
	assert_int_equal(fieldsync_show(f->fs, m, &rec), FIELDSYNC_OK);
	sum = cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "progress"), "items");
	assert_int_equal(cJSON_GetArraySize(sum), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(
			cJSON_GetArrayItem(sum, 0), "fields"), "date")->valuestring,
			    "2025-08-01");
	cJSON_Delete(rec);

	/* Progress of something that is not a model; editing or deleting an
	** observation. */
	assert_int_equal(fieldsync_add(f->fs, "visit", visit, 6, v), FIELDSYNC_OK);
	expect_refused(f, fieldsync_add(f->fs, "progress", pv, 4, p),
		       FIELDSYNC_E_INVALID, "model");
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "not a model"));
	expect_refused(f, fieldsync_edit(f->fs, latest, note, 1, p),
		       FIELDSYNC_E_INVALID, NULL);
	expect_refused(f, fieldsync_delete(f->fs, latest, "typed twice", p),
		       FIELDSYNC_E_INVALID, NULL);
}

static void test_delete_and_status(void **state)
{
	fixture *f = *state;
	char m[FIELDSYNC_ID_SIZE], m2[FIELDSYNC_ID_SIZE], out[FIELDSYNC_ID_SIZE];
	fieldsync_field sekong[] = {{"crop", "Lúa nước"}, {"province", "Xekong"},
				    {"planned_ha", "5"},
				    {"planned_households", "30"}};
	cJSON *list = NULL, *st = NULL;

	init_store(f);
	add_model(f, m);
	assert_int_equal(fieldsync_add(f->fs, "model", sekong, 4, m2),
			 FIELDSYNC_OK);
	assert_int_equal(fieldsync_list(f->fs, NULL, "xe kong", &list),
			 FIELDSYNC_OK);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0),
						"id")->valuestring, m2);
	cJSON_Delete(list);
	assert_int_equal(fieldsync_list(f->fs, NULL, "Hanoi", &list),
			 FIELDSYNC_E_INVALID);
	assert_null(list);

	assert_int_equal(fieldsync_delete(f->fs, m, "recorded twice", out), FIELDSYNC_OK);
	assert_string_equal(out, m);
	assert_int_equal(fieldsync_show(f->fs, m, &list), FIELDSYNC_E_NOT_FOUND);
	assert_int_equal(fieldsync_delete(f->fs, m, "recorded twice", out), FIELDSYNC_E_NOT_FOUND);
	assert_int_equal(fieldsync_list(f->fs, "model", NULL, &list),
			 FIELDSYNC_OK);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM outbox WHERE "
				    "json_extract(change, '$.op') = 'delete' "
				    "AND json_extract(change, '$.fields') IS "
				    "NULL"), 1);

	assert_int_equal(fieldsync_status_get(f->fs, &st), FIELDSYNC_OK);
	assert_int_equal(cJSON_GetObjectItem(st, "pending")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "records"),
					     "model")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(st, "name")->valuestring,
			    "Nguyễn Văn An");
	assert_string_equal(cJSON_GetObjectItem(st, "device")->valuestring,
			    fieldsync_device_id(f->fs));
	cJSON_Delete(st);
}

/* ---- health: check, salvage, import by id -------------------------------- */

struct lines {
	int n;
	char ids[64][FIELDSYNC_ID_SIZE];
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	cJSON *o = cJSON_Parse(line);
	const cJSON *id = cJSON_GetObjectItem(o, "id");

	assert_non_null(o);
	assert_true(cJSON_IsString(id));
	if (l->n < 64)
		snprintf(l->ids[l->n], FIELDSYNC_ID_SIZE, "%s", id->valuestring);
	l->n++;
	cJSON_Delete(o);
}

/* Overwrite page `page` of the closed store with pseudo-random bytes. */
static void damage_page(fixture *f, long long page)
{
	char path[300];
	unsigned char buf[4096];
	unsigned x = 12345;
	FILE *fp;

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
	snprintf(path, sizeof path, "%s/data/store.db", f->dir);
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, (long)((page - 1) * 4096), SEEK_SET), 0);
	assert_int_equal(fwrite(buf, 1, sizeof buf, fp), sizeof buf);
	assert_int_equal(fclose(fp), 0);
}

static void test_check_and_salvage(void **state)
{
	fixture *f = *state;
	char m[FIELDSYNC_ID_SIZE], p[FIELDSYNC_ID_SIZE], d[300];
	fieldsync_salvage_report rep;
	struct lines l;
	long long page, cells;

	init_store(f);
	for (int i = 0; i < 40; i++)
		add_model(f, m);
	add_progress(f, m, "2026-04-10", "1.5", p);
	/* Intact: not flagged, and everything salvaged. */
	assert_int_equal(fieldsync_check(f->fs, 0), FIELDSYNC_OK);
	assert_int_equal(fieldsync_check(f->fs, 1), FIELDSYNC_OK);
	memset(&l, 0, sizeof l);
	assert_int_equal(fieldsync_salvage(f->fs, collect, &l, &rep),
			 FIELDSYNC_OK);
	assert_int_equal(l.n, 41);
	assert_int_equal(rep.records, 41);
	assert_int_equal(rep.pending, 41);
	assert_int_equal(rep.bad_ranges + rep.bad_rows + rep.rebuilt, 0);
	/* The progress (it points to a model) comes after every model. */
	assert_string_equal(l.ids[40], p);
	fieldsync_close(f->fs);
	f->fs = NULL;

	/* A leaf of the records table, not the first. */
	page = sql_int(f, "SELECT pageno FROM dbstat WHERE name = 'records' "
			  "AND pagetype = 'leaf' ORDER BY path LIMIT 1 "
			  "OFFSET 1");
	cells = sql_int(f, "SELECT ncell FROM dbstat WHERE name = 'records' "
			   "AND pagetype = 'leaf' ORDER BY path LIMIT 1 "
			   "OFFSET 1");
	assert_true(page > 1 && cells > 0);
	damage_page(f, page);
	snprintf(d, sizeof d, "%s/data", f->dir);
	assert_int_equal(fieldsync_open(d, &f->fs), FIELDSYNC_OK);
	assert_int_equal(fieldsync_check(f->fs, 0), FIELDSYNC_E_CORRUPT);
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "is damaged"));
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "fieldsync doctor"));
	assert_int_equal(fieldsync_check(f->fs, 1), FIELDSYNC_E_CORRUPT);
	fieldsync_close(f->fs);

	/* Salvage steps over the page and rebuilds its records (all were
	** created here, so the outbox has them). */
	assert_int_equal(fieldsync_open_damaged(d, &f->fs), FIELDSYNC_OK);
	memset(&l, 0, sizeof l);
	assert_int_equal(fieldsync_salvage(f->fs, collect, &l, &rep),
			 FIELDSYNC_OK);
	assert_int_equal(l.n, 41);
	assert_int_equal(rep.records, 41);
	assert_int_equal(rep.rebuilt, cells);
	assert_true(rep.bad_ranges >= 1);
	assert_int_equal(rep.outbox, 41);
	assert_string_equal(l.ids[40], p);
}

static void test_import_with_ids(void **state)
{
	fixture *f = *state;
	const char *line = "{\"id\":\"00112233445566778899aabbccddeeff\","
			   "\"kind\":\"model\",\"fields\":{\"crop\":\"Lúa\","
			   "\"province\":\"Sekong\",\"planned_ha\":2.5,"
			   "\"planned_households\":10},\"pending\":true}\n";
	char buf[1024];
	cJSON *rec = NULL;
	FILE *in;
	long n = -1;

	init_store(f);
	snprintf(buf, sizeof buf, "%s%s", line, line);
	in = fmemopen(buf, strlen(buf), "r");
	assert_int_equal(fieldsync_import(f->fs, in, NULL, NULL, &n),
			 FIELDSYNC_OK);
	fclose(in);
	/* The second line names the record the first one made. */
	assert_int_equal(n, 1);
	assert_int_equal(fieldsync_import_skipped(f->fs), 1);
	assert_int_equal(fieldsync_show(f->fs, "00112233445566778899aabbccddeeff",
					&rec), FIELDSYNC_OK);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rec,
			    "fields"), "province")->valuestring, "Sekong");
	cJSON_Delete(rec);
	/* Again: all left out, nothing changed. */
	in = fmemopen(buf, strlen(buf), "r");
	assert_int_equal(fieldsync_import(f->fs, in, NULL, NULL, &n),
			 FIELDSYNC_OK);
	fclose(in);
	assert_int_equal(n, 0);
	assert_int_equal(fieldsync_import_skipped(f->fs), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM outbox"), 1);
	/* A bad id is refused. */
	snprintf(buf, sizeof buf, "{\"id\":\"00112233445566778899AABBCCDDEEFF\","
		 "\"kind\":\"model\",\"fields\":{}}\n");
	in = fmemopen(buf, strlen(buf), "r");
	assert_int_equal(fieldsync_import(f->fs, in, NULL, NULL, &n),
			 FIELDSYNC_E_USAGE);
	fclose(in);
	assert_non_null(strstr(fieldsync_errmsg(f->fs), "32 lowercase hex"));
}

static void test_schema_from_protocol_table(void **state)
{
	cJSON *s = fieldsync_schema();
	const cJSON *k, *fl, *found = NULL;
	size_t i;

	(void)state;
	assert_non_null(s);
	assert_int_equal((size_t)cJSON_GetArraySize(s), proto_nkinds);
	for (i = 0; i < proto_nkinds; i++) {
		k = cJSON_GetArrayItem(s, (int)i);
		assert_string_equal(cJSON_GetObjectItem(k, "kind")->valuestring,
				    proto_kinds[i].name);
		assert_int_equal((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(
					 k, "fields")), proto_kinds[i].nfields);
	}
	k = cJSON_GetArrayItem(s, 2);
	cJSON_ArrayForEach(fl, cJSON_GetObjectItem(k, "fields"))
		if (strcmp(cJSON_GetObjectItem(fl, "name")->valuestring,
			   "planned_ha") == 0)
			found = fl;
	assert_non_null(found);
	assert_string_equal(cJSON_GetObjectItem(found, "type")->valuestring,
			    "decimal");
	assert_string_equal(cJSON_GetObjectItem(found, "unit")->valuestring,
			    "ha");
	k = cJSON_GetArrayItem(s, 3);
	fl = cJSON_GetArrayItem(cJSON_GetObjectItem(k, "fields"), 0);
	assert_string_equal(cJSON_GetObjectItem(fl, "ref")->valuestring, "model");
	cJSON_Delete(s);
	assert_string_equal(fieldsync_errmsg(NULL), "out of memory");
	assert_string_equal(fieldsync_status_name(FIELDSYNC_E_AMBIGUOUS),
			    "ambiguous");
}

int main(void)
{
	/* The messages checked here are the English ones. */
	if (fieldsync_set_language(NULL, "en") != FIELDSYNC_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_then_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_not_initialised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insecure_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_public_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_protocol_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_writes_record_and_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlc_monotonic_and_persisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_sends_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_latest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_status, setup, teardown),
		cmocka_unit_test(test_schema_from_protocol_table),
		cmocka_unit_test_setup_teardown(test_check_and_salvage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_with_ids, setup, teardown),
	};
	if (proto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
