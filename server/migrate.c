/*
** This file contains `fieldsyncd migrate --from DB --to DB`: a copy of a
** whole server database into an empty one of any backend (a SQLite file
** into PostgreSQL, issue 14), verbatim: every row of every table with its
** keys (cursors, ids), sets and signatures byte for byte, devices and
** their chain heads, tokens, conflicts, forks, events; and the files that
** go with a database (HQ's key, the targets file). Then it checks the copy:
** each table holds as many rows as the source, and the rows are the same
** (a digest of every row, in any order).
**
** The target must be empty: no device, token, set or record (its schema
** is made if needed). The copy is one write transaction on the target, so
** a failure leaves it empty. The source is only read, in one read
** transaction: run it with the server stopped, or the copy is of one
** moment.
*/
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "hq.h"
#include "migrate.h"
#include "store.h"

static const char migrate_usage[] =
	"usage: fieldsyncd migrate --from DB --to DB\n"
	"\n"
	"Copy a whole server database into an empty one: every row of every\n"
	"table as it is (change sets and signatures byte for byte, cursors,\n"
	"devices, tokens, conflicts, events, records), HQ's key and the\n"
	"targets file; then check that the copy holds the same rows. DB is a\n"
	"SQLite file (PATH or sqlite:PATH) or a PostgreSQL URI or connection\n"
	"string (postgresql://user@host/dbname). The target's schema is made\n"
	"if needed; a target that holds devices, tokens, sets or records is\n"
	"refused. Stop fieldsyncd serve on the source first.\n"
	"Exit status: 0 copied and checked, 2 usage, 1 anything else.\n";

typedef struct copy {
	srv_store *to;
	const char *table;
	int64_t rows;
	int rc;
	char msg[300];
} copy;

static int put_row(void *vctx, size_t n, const char *const *names,
		   const srv_value *vals)
{
	copy *c = vctx;

	/* The schema version is the target backend's own. */
	if (strcmp(c->table, "meta") == 0 && n >= 1 && vals[0].type ==
	    SRV_V_TEXT && strcmp(vals[0].p, "schema") == 0)
		return 0;
	c->rc = srv_store_row_put(c->to, c->table, n, names, vals);
	if (c->rc) {
		snprintf(c->msg, sizeof(c->msg), "%s", srv_store_errmsg(c->to));
		return 1;
	}
	c->rows++;
	return 0;
}

/* ---- checking the copy ---------------------------------------------- */

typedef struct digest {
	const char *table;
	uint8_t (*h)[32];
	size_t n, cap;
	int oom;
} digest;

static void upd_val(crypto_generichash_state *st, const srv_value *v)
{
	uint8_t tag = (uint8_t)v->type, len[8];
	uint64_t l = v->type == SRV_V_INT ? 8 : (uint64_t)v->len;

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(l >> (8 * i));
	crypto_generichash_update(st, &tag, 1);
	crypto_generichash_update(st, len, 8);
	if (v->type == SRV_V_INT) {
		uint8_t b[8];
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)((uint64_t)v->i >> (8 * i));
		crypto_generichash_update(st, b, 8);
	} else if (v->type != SRV_V_NULL) {
		crypto_generichash_update(st, (const uint8_t *)v->p, v->len);
	}
}

/* One hash per row, of its columns by name (any column order) and typed
** values; the table's digest is the sorted list's. */
static int hash_row(void *vctx, size_t n, const char *const *names,
		    const srv_value *vals)
{
	digest *d = vctx;
	crypto_generichash_state st;
	size_t order[32];

	if (strcmp(d->table, "meta") == 0 && n >= 1 &&
	    vals[0].type == SRV_V_TEXT && strcmp(vals[0].p, "schema") == 0)
		return 0;
	if (n > 32)
		n = 32;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[order[j - 1]],
						   names[order[j]]) > 0; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 1024;
		void *p = realloc(d->h, nc * sizeof(*d->h));
		if (!p) {
			d->oom = 1;
			return 1;
		}
		d->h = p;
		d->cap = nc;
	}
	crypto_generichash_init(&st, NULL, 0, 32);
	for (size_t i = 0; i < n; i++) {
		const char *nm = names[order[i]];
		crypto_generichash_update(&st, (const uint8_t *)nm,
					  strlen(nm) + 1);
		upd_val(&st, &vals[order[i]]);
	}
	crypto_generichash_final(&st, d->h[d->n++], 32);
	return 0;
}

static int cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* The digest of table in s (rows' hashes sorted, hashed), and its rows. */
static int table_digest(srv_store *s, const char *table, uint8_t out[32],
			size_t *rows)
{
	digest d = { table, NULL, 0, 0, 0 };
	int rc = srv_store_rows_each(s, table, hash_row, &d);

	if (!rc && d.oom)
		rc = SRV_E_NOMEM;
	if (!rc) {
		if (d.n)
			qsort(d.h, d.n, sizeof(*d.h), cmp32);
		crypto_generichash(out, 32, (const uint8_t *)d.h, d.n * 32,
				   NULL, 0);
		*rows = d.n;
	}
	free(d.h);
	return rc;
}

/* ---- files beside a database ---------------------------------------- */

/* Copy file from to a new file to with mode (HQ's key: 0600); a source
** that does not exist is no error (nothing to copy). */
static int copy_file(const char *from, const char *to, int mode, char *msg,
		     size_t msgsz)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	char buf[8192];
	ssize_t n;
	int ok = 1;

	if (in < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(msg, msgsz, "cannot read %s: %s", from,
			 strerror(errno));
		return -1;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		snprintf(msg, msgsz, "cannot create %s: %s", to,
			 strerror(errno));
		close(in);
		return -1;
	}
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, (size_t)n) == n;
	ok = ok && n == 0 && fsync(out) == 0;
	sodium_memzero(buf, sizeof(buf));
	close(in);
	if (close(out) != 0 || !ok) {
		snprintf(msg, msgsz, "cannot write %s", to);
		return -1;
	}
	return 0;
}

int srv_cmd_migrate(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	srv_store *src = NULL, *dst = NULL;
	char msg[600], a[4200], b[4200];
	copy c;
	int ret = 1, i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(migrate_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			from = argv[++i];
		} else if (!strcmp(argv[i], "--to") && i + 1 < argc) {
			to = argv[++i];
		} else {
			fprintf(stderr, "migrate: unknown argument \"%s\" "
				"(allowed: --from DB, --to DB)\n%s", argv[i],
				migrate_usage);
			return 2;
		}
	}
	if (!from || !to || !*from || !*to) {
		fprintf(stderr, "migrate: --from DB and --to DB are both "
			"needed\n%s", migrate_usage);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "migrate: libsodium cannot initialise\n");
		return 1;
	}
	if (srv_store_open(from, 0, &src, msg, sizeof(msg))) {
		fprintf(stderr, "migrate: the source: %s\n", msg);
		return 1;
	}
	if (srv_store_open(to, 1, &dst, msg, sizeof(msg))) {
		fprintf(stderr, "migrate: the target: %s\n", msg);
		goto out;
	}
	/* Empty means nothing a server made: no device, token, set, record. */
	{
		static const char *const must_be_empty[] = {
			"devices", "tokens", "sets", "records", NULL };
		for (i = 0; must_be_empty[i]; i++) {
			uint8_t h[32];
			size_t rows = 0;
			if ((rc = table_digest(dst, must_be_empty[i], h,
					       &rows))) {
				fprintf(stderr, "migrate: reading the target: "
					"%s\n", srv_store_errmsg(dst));
				goto out;
			}
			if (rows) {
				fprintf(stderr, "migrate: the target %s is not "
					"empty (%zu rows in %s): migrate copies "
					"into a new database only; nothing was "
					"changed\n", to, rows, must_be_empty[i]);
				goto out;
			}
		}
	}
	memset(&c, 0, sizeof(c));
	c.to = dst;
	if ((rc = srv_store_begin(src, 0)) || (rc = srv_store_begin(dst, 1))) {
		fprintf(stderr, "migrate: %s\n", rc ? srv_store_errmsg(rc == 0 ?
			src : dst) : "");
		goto out;
	}
	for (i = 0; srv_store_tables[i]; i++) {
		c.table = srv_store_tables[i];
		c.rows = 0;
		rc = srv_store_rows_each(src, c.table, put_row, &c);
		if (!rc && !c.rc)
			rc = srv_store_rows_done(dst, c.table);
		if (rc || c.rc) {
			fprintf(stderr, "migrate: copying %s: %s; the target "
				"was left as it was\n", c.table, c.rc ? c.msg :
				srv_store_errmsg(rc ? src : dst));
			srv_store_rollback(dst);
			srv_store_rollback(src);
			goto out;
		}
		printf("%-11s %lld rows\n", c.table, (long long)c.rows);
	}
	if ((rc = srv_store_commit(dst))) {
		fprintf(stderr, "migrate: committing the copy: %s\n",
			srv_store_errmsg(dst));
		srv_store_rollback(src);
		goto out;
	}
	/* The check: the same rows, table by table. */
	for (i = 0; srv_store_tables[i]; i++) {
		uint8_t h1[32], h2[32];
		size_t r1 = 0, r2 = 0;
		if (table_digest(src, srv_store_tables[i], h1, &r1) ||
		    table_digest(dst, srv_store_tables[i], h2, &r2)) {
			fprintf(stderr, "migrate: checking %s: cannot read\n",
				srv_store_tables[i]);
			srv_store_rollback(src);
			goto out;
		}
		if (r1 != r2 || memcmp(h1, h2, 32) != 0) {
			fprintf(stderr, "migrate: the copy of %s differs from "
				"the source (%zu rows, %zu copied)\n",
				srv_store_tables[i], r1, r2);
			srv_store_rollback(src);
			goto out;
		}
	}
	srv_store_rollback(src);
	/* HQ's key and the targets file go with the database. */
	if (srv_hq_key_path(from, a, sizeof(a)) == SRV_OK &&
	    srv_hq_key_path(to, b, sizeof(b)) == SRV_OK &&
	    copy_file(a, b, 0600, msg, sizeof(msg))) {
		fprintf(stderr, "migrate: HQ's key: %s\n", msg);
		goto out;
	}
	if (srv_hq_targets_path(from, a, sizeof(a)) == SRV_OK &&
	    srv_hq_targets_path(to, b, sizeof(b)) == SRV_OK &&
	    copy_file(a, b, 0644, msg, sizeof(msg))) {
		fprintf(stderr, "migrate: the targets file: %s\n", msg);
		goto out;
	}
	printf("copied and checked: every table of %s is in %s, row for row\n",
	       from, to);
	ret = 0;
out:
	srv_store_close(src);
	srv_store_close(dst);
	return ret;
}
