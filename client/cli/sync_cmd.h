/*
** This file contains the CLI's network and bulk commands (sync_cmd.c): each takes the
** resolved data directory and the command's own argv (argv[0] = command) and
** returns the process exit status.
*/
#ifndef FIELDSYNC_CLI_SYNC_CMD_H
#define FIELDSYNC_CLI_SYNC_CMD_H

#include <stdio.h>

int cli_enroll(const char *dir, int argc, char **argv);
int cli_sync(const char *dir, int argc, char **argv);
int cli_reenroll(const char *dir, int argc, char **argv);
/* Bulk add from JSON lines, and the canonical dump for convergence checks:
** tools for tests, benchmarks and moving data in, beside sync. */
int cli_import(const char *dir, int argc, char **argv);
int cli_dump(const char *dir, int argc, char **argv);
void cli_enroll_help(FILE *out);
void cli_sync_help(FILE *out);
void cli_reenroll_help(FILE *out);

#endif
