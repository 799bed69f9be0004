/*
** This file contains srvdump, a helper for the sync end-to-end tests: it
** prints the records a fieldsyncd database holds in the same canonical form
** as `fieldsync dump` (proto_state_canonical, one line per record, sorted by
** id), so a test can compare the server's state with every device's by
** plain byte comparison.
**
**   srvdump DB      read DB (opened read-only) and print its records
**   srvdump -       read "ID HEX" lines from stdin (HEX: a record's state
**                   text in hex), for a database srvdump cannot open itself:
**                   psql -At -c "SELECT id || ' ' || encode(convert_to(
**                   state, 'UTF8'), 'hex') FROM records ORDER BY id"
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

/* Print one record's canonical line; 0 on success. */
static int dump_one(const char *id, const char *text)
{
	cJSON *state = NULL;
	proto_err err;
	char *line;

	if (proto_json_parse(text, strlen(text), &state, &err) != PROTO_OK) {
		fprintf(stderr, "srvdump: record %s: %s\n", id, err.msg);
		return -1;
	}
	line = proto_state_canonical(id, state);
	cJSON_Delete(state);
	if (!line) {
		fprintf(stderr, "srvdump: record %s: bad state\n", id);
		return -1;
	}
	puts(line);
	free(line);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "ID HEX" lines on stdin, in id order (the query sorts them). */
static int dump_stdin(void)
{
	char *line = NULL, *sp, *text;
	size_t cap = 0, k, n;
	ssize_t len;
	int status = 0;

	while (status == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (!len)
			continue;
		sp = strchr(line, ' ');
		n = sp ? strlen(sp + 1) : 1;
		if (!sp || n % 2) {
			fprintf(stderr, "srvdump: stdin: want \"ID HEX\", got "
				"\"%.40s\"\n", line);
			status = 1;
			break;
		}
		*sp = 0;
		if (!(text = malloc(n / 2 + 1))) {
			status = 1;
			break;
		}
		for (k = 0; k < n / 2; k++) {
			int hi = hexval(sp[1 + 2 * k]), lo = hexval(sp[2 + 2 * k]);
			if (hi < 0 || lo < 0)
				break;
			text[k] = (char)(hi << 4 | lo);
		}
		text[k] = 0;
		if (k != n / 2) {
			fprintf(stderr, "srvdump: record %s: state is not hex\n",
				line);
			status = 1;
		} else if (dump_one(line, text)) {
			status = 1;
		}
		free(text);
	}
	free(line);
	return status == 0 && fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, status = 1;

	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: srvdump DB | srvdump -\nprint the server's records as "
			"canonical lines sorted by id\n");
		return argc == 2 ? 0 : 2;
	}
	if (strcmp(argv[1], "-") == 0)
		return dump_stdin();
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
		if (dump_one(id, text))
			goto out;
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
