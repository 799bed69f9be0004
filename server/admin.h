/*
** This file contains fieldsyncd's commands: serve, init, token and devices.
** Each takes its own argv (argv[0] is the command name), prints --help, and
** returns the process exit status: 0 success, 2 usage error, 1 anything else.
** main.c only dispatches to them.
*/
#ifndef FIELDSYNC_SRV_ADMIN_H
#define FIELDSYNC_SRV_ADMIN_H

int srv_cmd_serve(int argc, char **argv);
int srv_cmd_init(int argc, char **argv);
int srv_cmd_token(int argc, char **argv);
int srv_cmd_devices(int argc, char **argv);

/* Parse "7d", "12h", "30m", "45s" into milliseconds; 0 on success. */
int srv_parse_duration(const char *s, long long *ms);

#endif
