/*
** This file contains the option parser shared by fieldsyncd's commands
** (admin.c, hqcmd.c): "--name value", "--name=value", flags, --help, and
** positional arguments, with a message naming the bad argument.
*/
#ifndef FIELDSYNC_SRV_ARGS_H
#define FIELDSYNC_SRV_ARGS_H

#include <stddef.h>

#define SRV_EXIT_USAGE 2

typedef struct srv_opt {
	const char *name;   /* "--db" */
	int has_arg;
	const char **val;   /* where the value goes; "1" for flags */
} srv_opt;

/* Parse argv[1..] into opts and up to maxpos positional arguments (pos,
** count in *npos). Returns 0; SRV_EXIT_USAGE after printing the problem,
** prefixed with cmd, and usage to stderr; -1 after printing usage to stdout
** for --help. */
int srv_args_parse(int argc, char **argv, const srv_opt *opts, size_t nopts,
		   const char **pos, int maxpos, int *npos, const char *cmd,
		   const char *usage);

#endif
