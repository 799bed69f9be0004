/*
** This file contains a fixed pool of store connections shared by the HTTP
** threads: a request takes one, uses it, gives it back. With SQLite in WAL
** mode readers on other connections run while one writer commits.
*/
#ifndef FIELDSYNC_SRV_POOL_H
#define FIELDSYNC_SRV_POOL_H

#include "store.h"

typedef struct srv_pool srv_pool;

/* Open n connections to path. *out NULL and msg set on failure. */
int srv_pool_open(const char *path, int n, srv_pool **out, char *msg,
		  size_t msgsz) SRV_WUR;
/* Take a connection, waiting while all are in use. Never NULL. */
srv_store *srv_pool_get(srv_pool *p);
void srv_pool_put(srv_pool *p, srv_store *s);
/* Close every connection; all must have been put back. Accepts NULL. */
void srv_pool_close(srv_pool *p);

#endif
