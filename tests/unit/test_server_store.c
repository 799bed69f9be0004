/*
** Unit tests of the store's backend choice (server/store.c): which --db
** values are SQLite paths and which are PostgreSQL, seen through where each
** keeps its side files (srv_store_side_path) and srv_store_exists. No
** database is opened.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "server/store.h"

static void side(const char *db, const char *want)
{
	char out[512];

	assert_int_equal(srv_store_side_path(db, ".hqkey", out, sizeof(out)),
			 SRV_OK);
	assert_string_equal(out, want);
}

static void test_sqlite_paths(void **state)
{
	(void)state;
	side("/srv/fieldsync/hq.db", "/srv/fieldsync/hq.db.hqkey");
	side("sqlite:/srv/hq.db", "/srv/hq.db.hqkey");
	side("hq.db", "hq.db.hqkey");
	/* An '=' in a directory or file name is still a path. */
	side("/srv/a=b/hq.db", "/srv/a=b/hq.db.hqkey");
	side("./x=1.db", "./x=1.db.hqkey");
	assert_int_equal(srv_store_exists("/nonexistent/fieldsync/hq.db"), 0);
	assert_int_equal(srv_store_exists("/"), 1);
}

static void test_postgresql_values(void **state)
{
	(void)state;
	assert_int_equal(setenv("FIELDSYNCD_STATE_DIR", "/st", 1), 0);
	unsetenv("PGHOST");
	unsetenv("PGDATABASE");
	side("postgresql://hq.example.org/fieldsync",
	     "/st/pg-fieldsync@hq.example.org.hqkey");
	side("postgres://u@db1:5433/fs", "/st/pg-fs@db1.hqkey");
	/* A socket directory as host: one file name all the same. */
	side("postgresql:///fs?host=/tmp/pg%20x", "/st/pg-fs@_tmp_pg_x.hqkey");
	side("host=/run/postgresql dbname=fs", "/st/pg-fs@_run_postgresql.hqkey");
	side("  dbname = fs", "/st/pg-fs@local.hqkey");
	/* The URI and the conninfo of one database agree. */
	side("host=db1 dbname=fs port=5433", "/st/pg-fs@db1.hqkey");
	assert_int_equal(setenv("PGDATABASE", "prog", 1), 0);
	side("host=db1", "/st/pg-prog@db1.hqkey");
	unsetenv("PGDATABASE");
	/* PostgreSQL says at open whether the schema is there. */
	assert_int_equal(srv_store_exists("dbname=nonexistent"), 1);
}

static void test_bad_values(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(setenv("FIELDSYNCD_STATE_DIR", "/st", 1), 0);
	/* libpq refuses it (an unknown keyword): no file name is made up. */
	assert_int_equal(srv_store_side_path("dbname=fs bogus=1", ".hqkey", out,
					     sizeof(out)), SRV_E_ARG);
	assert_string_equal(out, "");
	assert_int_equal(srv_store_side_path("", ".hqkey", out, sizeof(out)),
			 SRV_E_ARG);
	/* Too long for the buffer. */
	assert_int_equal(srv_store_side_path("/a/very/long/path/that/does/not/"
					     "fit/in/sixty/four/bytes/hq.db",
					     ".hqkey", out, sizeof(out)),
			 SRV_E_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite_paths),
		cmocka_unit_test(test_postgresql_values),
		cmocka_unit_test(test_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
