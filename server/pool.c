/*
** This file contains the connection pool (pool.h): a stack of idle store
** handles under a mutex, with a condition variable to wait on when empty.
*/
#include <pthread.h>
#include <stdlib.h>
#include "pool.h"

struct srv_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int n, idle;
	srv_store **conns;  /* conns[0..idle) are free */
};

int srv_pool_open(const char *path, int n, srv_pool **out, char *msg,
		  size_t msgsz)
{
	srv_pool *p;
	int i, rc = SRV_OK;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->conns = calloc((size_t)n, sizeof(*p->conns)))) {
		free(p);
		return SRV_E_NOMEM;
	}
	for (i = 0; i < n && rc == SRV_OK; i++) {
		rc = srv_store_open(path, 0, &p->conns[i], msg, msgsz);
		if (rc == SRV_OK)
			p->idle++;
	}
	p->n = p->idle;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	if (rc != SRV_OK) {
		srv_pool_close(p);
		return rc;
	}
	*out = p;
	return SRV_OK;
}

srv_store *srv_pool_get(srv_pool *p)
{
	srv_store *s;

	pthread_mutex_lock(&p->lock);
	while (p->idle == 0)
		pthread_cond_wait(&p->freed, &p->lock);
	s = p->conns[--p->idle];
	pthread_mutex_unlock(&p->lock);
	return s;
}

void srv_pool_put(srv_pool *p, srv_store *s)
{
	if (!s)
		return;
	srv_store_rollback(s); /* never hand on an open transaction */
	pthread_mutex_lock(&p->lock);
	p->conns[p->idle++] = s;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

void srv_pool_close(srv_pool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->idle; i++)
		srv_store_close(p->conns[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->conns);
	free(p);
}
