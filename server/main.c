/*
** This file contains fieldsyncd's entry point: it dispatches to the command
** named by argv[1] (admin.h). Kept out of libsrv.a so tests link the rest.
*/
#include <stdio.h>
#include <string.h>
#include "admin.h"
#include "hqcmd.h"
#include "migrate.h"

static const char usage[] =
	"usage: fieldsyncd COMMAND [OPTIONS]   (COMMAND --help for details)\n"
	"  serve --db PATH [--listen HOST:PORT] [--tls-cert F --tls-key F]\n"
	"                                 serve the sync API (HTTP or HTTPS)\n"
	"  init --db PATH                 create the database and HQ's key\n"
	"                                 (the only command that creates one)\n"
	"  token create --db PATH --name NAME --role expert|leader|hq\n"
	"               [--expires DURATION]  one-time enrollment token\n"
	"               [--url URL [--tls-cert F] [--qr F.png]]  and its link\n"
	"  devices list --db PATH [--json]    enrolled devices\n"
	"  devices revoke --db PATH DEVICE    refuse a lost device's new data\n"
	"  report --db PATH [--period YYYYH1|YYYYH2|YYYY | --from D --to D]\n"
	"         [--format table|csv|json] [--province P] [--sector S]\n"
	"                                 HQ's semi-annual report\n"
	"  conflicts list|show|resolve --db PATH [ID] [--keep VALUE_OR_DEVICE]\n"
	"  records correct|delete|restore|handover|history --db PATH ID ...\n"
	"                                 concurrent edits, HQ's decision\n"
	"  migrate --from DB --to DB      copy a database into an empty one\n"
	"                                 (SQLite -> PostgreSQL), checked\n"
	"PATH: a SQLite file, or a PostgreSQL URI (postgresql://...) or\n"
	"connection string (\"host=/run/postgresql dbname=fieldsync\").\n"
	"The dashboard: `serve`, then open / and sign in with an hq token.\n"
	"Exit status: 0 success, 2 usage error, 1 any other failure.\n";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "serve", srv_cmd_serve },
		{ "init", srv_cmd_init },
		{ "token", srv_cmd_token },
		{ "devices", srv_cmd_devices },
		{ "report", srv_cmd_report },
		{ "conflicts", srv_cmd_conflicts },
		{ "records", srv_cmd_records },
		{ "migrate", srv_cmd_migrate },
	};
	size_t i;

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "fieldsyncd: unknown command \"%s\"\n%s", argv[1],
		usage);
	return 2;
}
