/*
** This file contains srvdump, a helper for the sync end-to-end tests: it
** prints the records a fieldsyncd database holds in the same canonical form
** as `fieldsync dump` (proto_state_canonical, one line per record, sorted by
** id), so a test can compare the server's state with every device's by
** plain byte comparison.
**
**   srvdump DB      read DB (opened read-only) and print its records
**
** Exit status: 0 success, 2 usage, 1 failure (unreadable db, damaged state).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "protocol/changeset.h"
#include "protocol/merge.h"

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, status = 1;

	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: srvdump DB\nprint the server's records as "
			"canonical lines sorted by id\n");
		return argc == 2 ? 0 : 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK ||
	    sqlite3_busy_timeout(db, 10000) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id, state FROM records ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "srvdump: %s: %s\n", argv[1],
			sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *text = (const char *)sqlite3_column_text(st, 1);
		cJSON *state = NULL;
		proto_err err;
		char *line;
		if (proto_json_parse(text, strlen(text), &state, &err) !=
		    PROTO_OK) {
			fprintf(stderr, "srvdump: record %s: %s\n", id,
				err.msg);
			goto out;
		}
		line = proto_state_canonical(id, state);
		cJSON_Delete(state);
		if (!line) {
			fprintf(stderr, "srvdump: record %s: bad state\n", id);
			goto out;
		}
		puts(line);
		free(line);
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "srvdump: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return status;
}
