/*
** This file contains `fieldsyncd migrate` (migrate.c): a whole database
** copied, verbatim and checked, into an empty one of any backend.
*/
#ifndef FIELDSYNC_SRV_MIGRATE_H
#define FIELDSYNC_SRV_MIGRATE_H
int srv_cmd_migrate(int argc, char **argv);
#endif
