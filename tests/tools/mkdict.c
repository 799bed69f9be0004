/*
** This file contains mkdict, the trainer of the zstd dictionary that is part
** of the protocol (protocol/zstd/README.md, SPEC.md 10.1.1), and the tool
** that measures it.
**
** It reads the committed corpus (protocol/zstd/corpus/records.jsonl, lines
** in `fieldsync import` form, and reasons.txt) and builds the bodies that
** travel in real field syncs, uncompressed and byte for byte as the client
** (client/lib/sync.c) and the server (server/api.c) write them: change sets
** in their canonical encoding (proto_change_encode, proto_set_encode),
** signed, inside POST /v2/push and POST /v3/sync request bodies, and the
** server's answers: /v2/push receipts, /v2/pull pages and /v3/sync answers.
** Eight field devices share the records; each syncs every few hours with
** 1 to 50 new entries (creates, the updates that fill in an outcome or an
** enrolment later, corrections with their base stamps, a few deletions and
** retractions), signs in with its ticket, and pulls what the others sent.
**
** Everything is deterministic: keys from fixed seeds, a fixed simulated
** clock (so fixed HLCs), ids from the corpus, a seeded generator for batch
** sizes and edits, Ed25519 signatures (deterministic), and ZDICT's cover
** trainer with fixed parameters on one thread. Running it again on the same
** corpus with the same libzstd writes the same bytes.
**
** Every tenth record of the corpus (lines 10, 20, ...) is held out of the
** training and used by `measure` with the bench generator's entries.
**
** USAGE
**   mkdict train CORPUSDIR DICT ZDICT_C ZDICT_H [SIZE]
**        train on CORPUSDIR, write the dictionary to DICT and the C
**        embedding to ZDICT_C / ZDICT_H (SIZE bytes at most, default 65536)
**   mkdict samples CORPUSDIR OUTDIR
**        write the training bodies as OUTDIR/NNNNN-SHAPE.json (to look at)
**   mkdict measure CORPUSDIR DICT [GEN.jsonl]
**        bytes per entry of held-out bodies under gzip -6, zstd 3 and 19
**        without and with DICT, as a Markdown table
**   mkdict sizes CORPUSDIR
**        train at 8, 16, 32, 64 and 112 KiB and measure each (no files)
** Exit status: 0 success, 2 usage, 1 failure.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include <zlib.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>
#include <cjson/cJSON.h>

#include "protocol/changeset.h"

#define NDEV          8            /* field devices sharing the corpus */
#define PULL_PAGE     200          /* the client's page (client/lib/sync.c) */
#define SEED          0x66730001u  /* everything random here starts from it */
/* The dictionary's id (written into protocol/zdict.h): in the range
** 32768 .. 2^31-1 that RFC 8878 leaves unregistered, for private use. */
#define DICT_ID       0x66730001u
#define T0_MS         1775808000000LL /* 2026-04-10 08:00:00 UTC */
#define HOUR_MS       3600000LL
/* The client's batching (client/lib/sync.c) for the 5,000-entry push. */
#define SET_MAX_CHANGES 1000
#define SET_MAX_BYTES   (512u * 1024u)
#define PUSH_MAX_BYTES  (1024u * 1024u)
#define PUSH_MAX_SETS   16
/* The trainer's fixed parameters (chosen by measurement, README.md). */
#define COVER_K 1024
#define COVER_D 8
#define DICT_BYTES 65536

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("mkdict: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die("out of memory");
	return d;
}

/* ---- a growing byte buffer ---------------------------------------------- */

typedef struct buf {
	char *p;
	size_t len, cap;
} buf;

static void b_add(buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void b_str(buf *b, const char *s) { b_add(b, s, strlen(s)); }

static void b_fmt(buf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void b_fmt(buf *b, const char *f, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(tmp, sizeof tmp, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		die("b_fmt: too long");
	b_add(b, tmp, (size_t)n);
}

/* A JSON string as the server writes set bytes into a pull page
** (server/api.c sb_json_string). */
static void b_json_string(buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	b_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			b_add(b, "\\\"", 2);
		else if (c == '\\')
			b_add(b, "\\\\", 2);
		else if (c < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4],
				       hex[c & 15]};
			b_add(b, esc, 6);
		} else
			b_add(b, s + i, 1);
	}
	b_add(b, "\"", 1);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	buf b = {0};
	char tmp[65536];
	size_t n;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		b_add(&b, tmp, n);
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	if (!b.p)
		b.p = xstrdup("");
	*len = b.len;
	return b.p;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		die("%s: %s", path, strerror(errno));
	if (n && fwrite(p, 1, n, f) != n)
		die("%s: short write", path);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* ---- the seeded generator (splitmix64) ---------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n) { return (unsigned)(rng() % n); }
static int chance(unsigned pct) { return pick(100) < pct; }

/* 64 hex digits that look like a session, ticket or head: BLAKE2b of a
** label and a counter. */
static void fake_hex64(char out[65], const char *label, uint64_t n)
{
	uint8_t h[32], in[64];
	size_t l = strlen(label);

	if (l > 48)
		l = 48;
	memcpy(in, label, l);
	memcpy(in + l, &n, 8);
	crypto_generichash(h, 32, in, l + 8, NULL, 0);
	proto_hex_encode(out, h, 32);
}

/* ---- keys ----------------------------------------------------------------- */

typedef struct device {
	uint8_t pk[32], sk[64], id[16];
	char id_hex[33];
	int64_t seq;                 /* last set built */
	uint8_t head[32];            /* its hash */
	proto_hlc hlc;               /* last HLC used */
	int64_t cursor;              /* pull cursor */
	int64_t t;                   /* its clock, Unix ms */
	int synced;                  /* has a ticket */
} device;

static void device_make(device *d, const char *label, unsigned n)
{
	uint8_t seed[32], in[64];
	size_t l = strlen(label);
	uint32_t s = SEED;

	memset(d, 0, sizeof *d);
	memcpy(in, label, l);
	memcpy(in + l, &s, 4);
	in[l + 4] = (uint8_t)n;
	crypto_generichash(seed, 32, in, l + 5, NULL, 0);
	if (crypto_sign_seed_keypair(d->pk, d->sk, seed) != 0)
		die("crypto_sign_seed_keypair failed");
	proto_device_id(d->pk, d->id);
	proto_hex_encode(d->id_hex, d->id, 16);
}

/* ---- the corpus ----------------------------------------------------------- */

typedef struct record {
	char id[33];
	const proto_kind_def *kind;
	cJSON *fields;               /* canonical values */
	int line;                    /* 1-based line in the file */
} record;

typedef struct corpus {
	record *r;
	size_t n;
	char **reasons;
	size_t nreasons;
} corpus;

/* One import line ({"id","kind","fields"}, values as typed) into canonical
** values, through the protocol's parser (proto_field_parse), as a front end
** does before it makes a change. */
static void parse_line(const char *path, int line, const char *s, size_t len,
		       record *out, uint64_t idseed)
{
	cJSON *root = NULL, *fields;
	const cJSON *kind, *f, *id;
	proto_err err;

	if (proto_json_parse(s, len, &root, &err) != PROTO_OK)
		die("%s:%d: %s", path, line, err.msg);
	kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	f = cJSON_GetObjectItemCaseSensitive(root, "fields");
	id = cJSON_GetObjectItemCaseSensitive(root, "id");
	if (!cJSON_IsString(kind) || !cJSON_IsObject(f))
		die("%s:%d: expected {\"kind\":..,\"fields\":{..}}", path, line);
	out->kind = proto_kind_find(kind->valuestring);
	if (!out->kind)
		die("%s:%d: unknown kind %s", path, line, kind->valuestring);
	if (cJSON_IsString(id) && proto_id_valid(id->valuestring)) {
		snprintf(out->id, sizeof out->id, "%s", id->valuestring);
	} else {
		uint8_t h[16];
		uint64_t v[2] = {idseed, (uint64_t)line};
		crypto_generichash(h, 16, (const uint8_t *)v, sizeof v, NULL, 0);
		proto_hex_encode(out->id, h, 16);
	}
	fields = cJSON_CreateObject();
	for (const cJSON *m = f->child; m; m = m->next) {
		const proto_field_def *fd = proto_field_find(out->kind, m->string);
		char num[64];
		const char *text = num;
		cJSON *v;
		if (!fd)
			die("%s:%d: a %s has no field %s", path, line,
			    out->kind->name, m->string);
		if (cJSON_IsString(m))
			text = m->valuestring;
		else if (cJSON_IsNumber(m))
			snprintf(num, sizeof num, "%.15g", m->valuedouble);
		else
			die("%s:%d: field %s: not text or a number", path, line,
			    m->string);
		if (proto_field_parse(fd, text, &v, &err) != PROTO_OK)
			die("%s:%d: %s", path, line, err.msg);
		cJSON_AddItemToObject(fields, m->string, v);
	}
	if (proto_record_check(out->kind, fields, 1, &err) != PROTO_OK)
		die("%s:%d: %s", path, line, err.msg);
	out->fields = fields;
	out->line = line;
	cJSON_Delete(root);
}

static void load_jsonl(const char *path, corpus *c, uint64_t idseed)
{
	size_t len, cap = 0;
	char *text = read_file(path, &len), *p = text, *end = text + len;
	int line = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		if (l > 0) {
			if (c->n == cap) {
				cap = cap ? cap * 2 : 1024;
				c->r = xrealloc(c->r, cap * sizeof *c->r);
			}
			parse_line(path, line, p, l, &c->r[c->n++], idseed);
		}
		p += l + 1;
	}
	free(text);
}

static void load_corpus(const char *dir, corpus *c)
{
	char path[4096];
	size_t len;
	char *text, *p, *nl;

	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "%s/records.jsonl", dir);
	load_jsonl(path, c, SEED);
	snprintf(path, sizeof path, "%s/reasons.txt", dir);
	text = read_file(path, &len);
	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (nl > p) {
			c->reasons = xrealloc(c->reasons, (c->nreasons + 1) *
						  sizeof *c->reasons);
			c->reasons[c->nreasons] = xmalloc((size_t)(nl - p) + 1);
			memcpy(c->reasons[c->nreasons], p, (size_t)(nl - p));
			c->reasons[c->nreasons++][nl - p] = '\0';
		}
		if (!*nl)
			break;
	}
	free(text);
	if (!c->nreasons)
		die("%s: no reasons", path);
}

static int held_out(const record *r) { return r->line % 10 == 0; }

/* ---- entries: what a device's outbox holds ------------------------------- */

typedef struct entry {
	const record *rec;
	proto_op op;
	cJSON *fields;               /* create/update: what is written */
	const char *reason;
	struct entry *of;            /* update: the create whose stamp is base */
	int with_base;
	proto_hlc hlc;               /* once sent */
	int dev;
} entry;

typedef struct outbox {
	entry **e;
	size_t n, cap;
} outbox;

static void ob_insert(outbox *o, size_t at, entry *e)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 256;
		o->e = xrealloc(o->e, o->cap * sizeof *o->e);
	}
	if (at > o->n)
		at = o->n;
	memmove(o->e + at + 1, o->e + at, (o->n - at) * sizeof *o->e);
	o->e[at] = e;
	o->n++;
}

static entry *entry_new(const record *r, proto_op op, int dev)
{
	entry *e = xmalloc(sizeof *e);
	memset(e, 0, sizeof *e);
	e->rec = r;
	e->op = op;
	e->dev = dev;
	return e;
}

/* Move field name from a record's fields into a later update. */
static entry *defer_field(entry *create, const char *name)
{
	cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(create->fields, name);
	entry *u;

	if (!v)
		return NULL;
	u = entry_new(create->rec, PROTO_OP_UPDATE, create->dev);
	u->fields = cJSON_CreateObject();
	cJSON_AddItemToObject(u->fields, name, v);
	u->of = create;
	return u;
}

/* A correction of a number the create wrote: the same field, another
** value, with the create's stamp as base. */
static entry *correction(entry *create, const corpus *c)
{
	const proto_kind_def *k = create->rec->kind;
	for (size_t i = 0; i < k->nfields; i++) {
		const proto_field_def *f = &k->fields[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(create->fields,
								  f->name);
		entry *u;
		double x;
		if (!v || (f->type != PROTO_T_INT && f->type != PROTO_T_DECIMAL))
			continue;
		if (f->type == PROTO_T_INT && !strcmp(f->name, "budget"))
			continue;
		x = v->valuedouble + 1;
		if (f->type == PROTO_T_INT && x > (double)f->max)
			continue;
		if (f->type == PROTO_T_DECIMAL && x * 100 > (double)f->max)
			continue;
		u = entry_new(create->rec, PROTO_OP_UPDATE, create->dev);
		u->fields = cJSON_CreateObject();
		cJSON_AddNumberToObject(u->fields, f->name, x);
		u->of = create;
		u->with_base = 1;
		if (chance(60))
			u->reason = c->reasons[pick((unsigned)c->nreasons)];
		return u;
	}
	return NULL;
}

/* Edits made later than their record: each waits until its device's
** outbox has grown to `due` entries. */
typedef struct pending {
	entry *e;
	size_t due;
} pending;

typedef struct pendings {
	pending *p;
	size_t n, cap;
} pendings;

static void later(pendings *q, entry *e, size_t due)
{
	if (!e)
		return;
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		q->p = xrealloc(q->p, q->cap * sizeof *q->p);
	}
	q->p[q->n].e = e;
	q->p[q->n++].due = due;
}

/* Move the edits that are due (all with flush) to the outbox, in the
** order they were made. */
static void due(pendings *q, outbox *o, int flush)
{
	size_t k = 0;
	for (size_t i = 0; i < q->n; i++)
		if (flush || q->p[i].due <= o->n)
			ob_insert(o, o->n, q->p[i].e);
		else
			q->p[k++] = q->p[i];
	q->n = k;
}

/* Share the records out among the devices (an observation goes to its
** parent's author) and add the edits a month of field work brings: fields
** written after the fact (a visit's outcome, a batch's enrolment), a
** correction of a number with the stamp it overwrites as base, a few
** deletions and retractions with their reasons. */
static void fill_outboxes(const corpus *c, int training, outbox ob[NDEV])
{
	int *owner = xmalloc(c->n * sizeof *owner);
	pendings q[NDEV];

	memset(q, 0, sizeof q);
	for (size_t i = 0; i < c->n; i++) {
		const record *r = &c->r[i];
		const char *k = r->kind->name;
		int dev = (int)pick(NDEV);
		entry *e;
		size_t at;
		owner[i] = -1;
		if (held_out(r) == training)
			continue;
		if (r->kind->append_only) {
			const char *parent = r->kind->fields[0].name;
			const cJSON *p = cJSON_GetObjectItemCaseSensitive(
				r->fields, parent);
			for (size_t j = 0; p && j < i; j++)
				if (owner[j] >= 0 && !strcmp(c->r[j].id,
							     p->valuestring))
					dev = owner[j];
		}
		owner[i] = dev;
		e = entry_new(r, PROTO_OP_CREATE, dev);
		e->fields = cJSON_Duplicate(r->fields, 1);
		ob_insert(&ob[dev], ob[dev].n, e);
		at = ob[dev].n;
		if (!strcmp(k, "visit") && chance(35))
			later(&q[dev], defer_field(e, "outcome"), at + 3 + pick(40));
		else if (!strcmp(k, "trip") && chance(30))
			later(&q[dev], defer_field(e, "outcome"), at + 3 + pick(40));
		else if (!strcmp(k, "scholarship") && chance(50))
			later(&q[dev], defer_field(e, "enrolled"), at + 3 + pick(60));
		if (!strcmp(k, "visit") && chance(10))
			later(&q[dev], defer_field(e, "end"), at + 2 + pick(20));
		if (!r->kind->append_only && chance(6))
			later(&q[dev], correction(e, c), at + 1 + pick(30));
		if (!r->kind->append_only && chance(2)) {
			entry *d = entry_new(r, PROTO_OP_DELETE, dev);
			d->reason = c->reasons[pick((unsigned)c->nreasons)];
			later(&q[dev], d, at + 5 + pick(60));
		} else if (r->kind->append_only && chance(2)) {
			entry *d = entry_new(r, PROTO_OP_RETRACT, dev);
			d->reason = c->reasons[pick((unsigned)c->nreasons)];
			later(&q[dev], d, at + 2 + pick(30));
		}
		due(&q[dev], &ob[dev], 0);
	}
	for (int d = 0; d < NDEV; d++) {
		due(&q[d], &ob[d], 1);
		free(q[d].p);
	}
	free(owner);
}

/* ---- sets ----------------------------------------------------------------- */

typedef struct set {
	char *bytes;
	size_t len;
	char sig[PROTO_SIG_HEX + 1];
	int dev;
	int64_t seq, cursor;
	size_t nchanges;
} set;

/* The canonical bytes of one entry at hlc. */
static char *encode_entry(entry *e, const device *devs, proto_hlc hlc,
			  size_t *len)
{
	proto_change ch;
	proto_err err;
	cJSON *base = NULL;
	char *out;

	memset(&ch, 0, sizeof ch);
	snprintf(ch.id, sizeof ch.id, "%s", e->rec->id);
	ch.kind = e->rec->kind;
	ch.op = e->op;
	ch.hlc = hlc;
	ch.fields = e->fields;
	ch.reason = e->reason;
	if (e->op == PROTO_OP_UPDATE && e->with_base && e->of && e->of->hlc) {
		proto_stamp st;
		char text[PROTO_STAMP_TEXT + 1];
		st.hlc = e->of->hlc;
		memcpy(st.device, devs[e->of->dev].id, 16);
		proto_stamp_format(text, &st);
		base = cJSON_CreateObject();
		for (const cJSON *m = e->fields->child; m; m = m->next)
			cJSON_AddStringToObject(base, m->string, text);
		ch.base = base;
	}
	if (proto_change_encode(&ch, &out, len, &err) != PROTO_OK)
		die("record line %d: %s", e->rec->line, err.msg);
	e->hlc = hlc;
	cJSON_Delete(base);
	return out;
}

/* The next set of device d from n entries, made at its clock. */
static set build_set(device *devs, int dn, entry **es, size_t n)
{
	device *d = &devs[dn];
	char **enc = xmalloc(n * sizeof *enc);
	size_t *lens = xmalloc(n * sizeof *lens);
	uint8_t sig[64];
	proto_err err;
	set s;

	memset(&s, 0, sizeof s);
	for (size_t i = 0; i < n; i++) {
		/* Entries typed a few minutes apart before the sync. */
		int64_t at = d->t - (int64_t)(n - i) * (60000 + pick(600000));
		d->hlc = proto_hlc_tick(d->hlc, at);
		enc[i] = encode_entry(es[i], devs, d->hlc, &lens[i]);
	}
	if (proto_set_encode(d->id, d->seq + 1, d->head,
			     (const char *const *)enc, lens, n, &s.bytes,
			     &s.len, &err) != PROTO_OK)
		die("set %lld of device %d: %s", (long long)d->seq + 1, dn,
		    err.msg);
	proto_set_sign(s.bytes, s.len, d->sk, sig);
	proto_hex_encode(s.sig, sig, 64);
	proto_set_hash(s.bytes, s.len, d->head);
	s.dev = dn;
	s.seq = ++d->seq;
	s.nchanges = n;
	for (size_t i = 0; i < n; i++)
		free(enc[i]);
	free(enc);
	free(lens);
	return s;
}

/* ---- bodies, as the client and the server write them --------------------- */

/* {"sets":[{"set":..,"sig":..},...]} as push_body does (cJSON). */
static char *push_sets_json(const set *const *ss, size_t n)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "sets");
	char *out;

	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "set", ss[i]->bytes);
		cJSON_AddStringToObject(o, "sig", ss[i]->sig);
		cJSON_AddItemToArray(arr, o);
	}
	out = cJSON_PrintUnformatted(root);
	if (!out)
		die("out of memory");
	cJSON_Delete(root);
	return out;
}

/* The /v3/sync body: push_body's sets after the sync's members. */
static char *sync_request(const set *const *ss, size_t n, int64_t local_seq,
			  int64_t after)
{
	char *sets = push_sets_json(ss, n);
	buf b = {0};

	b_fmt(&b, "{\"local_seq\":%lld,\"after\":%lld,\"limit\":%d,\"own\":0,",
	      (long long)local_seq, (long long)after, PULL_PAGE);
	b_str(&b, sets + 1);
	free(sets);
	return b.p;
}

/* The receipt of a push (push_sets in server/api.c), status last. */
static void push_receipt(buf *b, const set *const *ss, size_t n,
			 const device *d, int with_status)
{
	char head[65];

	proto_hex_encode(head, d->head, 32);
	b_str(b, "{\"accepted\":[");
	for (size_t i = 0; i < n; i++)
		b_fmt(b, "%s%lld", i ? "," : "", (long long)ss[i]->seq);
	b_fmt(b, "],\"duplicates\":[],\"holds\":%lld,\"head\":\"%s\"",
	      (long long)d->seq, head);
	if (with_status)
		b_str(b, ",\"status\":200");
	b_str(b, "}");
}

/* One pull page after `after` for device dn, own=0 (pull_page in
** server/api.c); returns the new cursor, *more. */
static int64_t pull_page(buf *b, set *const *all, size_t nall, int dn,
			 int64_t after, size_t limit, int *more,
			 size_t *nentries)
{
	int64_t last = after;
	size_t k = 0, i;

	b_str(b, "{\"sets\":[");
	*more = 0;
	for (i = 0; i < nall; i++) {
		const set *s = all[i];
		if (s->cursor <= after)
			continue;
		if (s->dev == dn) {
			if (k < limit)
				last = s->cursor;
			continue;
		}
		if (k == limit) {
			*more = 1;
			break;
		}
		b_fmt(b, "%s{\"cursor\":%lld,\"set\":", k ? "," : "",
		      (long long)s->cursor);
		b_json_string(b, s->bytes, s->len);
		b_fmt(b, ",\"sig\":\"%s\"}", s->sig);
		*nentries += s->nchanges;
		last = s->cursor;
		k++;
	}
	b_fmt(b, "],\"next\":%lld,\"more\":%s}", (long long)last,
	      *more ? "true" : "false");
	return last;
}

/* ---- samples ----------------------------------------------------------------- */

typedef struct samples {
	char **body;
	size_t *len;
	const char **shape;
	size_t n, cap;
} samples;

static void sample_add(samples *s, char *body, size_t len, const char *shape)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 512;
		s->body = xrealloc(s->body, s->cap * sizeof *s->body);
		s->len = xrealloc(s->len, s->cap * sizeof *s->len);
		s->shape = xrealloc(s->shape, s->cap * sizeof *s->shape);
	}
	s->body[s->n] = body;
	s->len[s->n] = len;
	s->shape[s->n] = shape;
	s->n++;
}

/* Batch sizes of field syncs: mostly a few entries, sometimes a day's
** work, at most 50. */
static size_t batch_size(void)
{
	unsigned r = pick(100);
	if (r < 30)
		return 1 + pick(3);
	if (r < 65)
		return 4 + pick(8);
	if (r < 90)
		return 12 + pick(14);
	return 26 + pick(25);
}

/* The simulated month: each device syncs when its clock is the earliest,
** pushing the next batch of its outbox and pulling what the others sent. */
static void simulate(const corpus *c, samples *out)
{
	device devs[NDEV];
	outbox ob[NDEV];
	size_t pos[NDEV];
	set **all = NULL;
	size_t nall = 0, capall = 0;
	int64_t cursor = 0;
	uint64_t counter = 0;

	rng_state = SEED;
	memset(ob, 0, sizeof ob);
	for (int i = 0; i < NDEV; i++) {
		device_make(&devs[i], "fieldsync zdict device", (unsigned)i);
		devs[i].t = T0_MS + (int64_t)pick(24) * HOUR_MS;
		pos[i] = 0;
	}
	fill_outboxes(c, 1, ob);
	for (;;) {
		int dn = -1;
		device *d;
		size_t n;
		set *s;
		char *req, ses[65], tic[65], prevhead[65];
		buf ans = {0};
		int more = 0, v3;
		size_t got = 0;

		for (int i = 0; i < NDEV; i++)
			if (pos[i] < ob[i].n && (dn < 0 || devs[i].t < devs[dn].t))
				dn = i;
		if (dn < 0)
			break;
		d = &devs[dn];
		n = batch_size();
		if (n > ob[dn].n - pos[dn])
			n = ob[dn].n - pos[dn];
		proto_hex_encode(prevhead, d->head, 32);
		s = xmalloc(sizeof *s);
		*s = build_set(devs, dn, ob[dn].e + pos[dn], n);
		pos[dn] += n;
		s->cursor = ++cursor;
		if (nall == capall) {
			capall = capall ? capall * 2 : 1024;
			all = xrealloc(all, capall * sizeof *all);
		}
		all[nall++] = s;
		/* A device with a ticket syncs in one request (most of the
		** time); on its first sync, or when the ticket was refused, it
		** signs in and pushes through /v2/push. */
		v3 = d->synced && chance(88);
		if (v3) {
			req = sync_request((const set *const *)&s, 1,
					   s->seq - 1, d->cursor);
			sample_add(out, req, strlen(req), "sync-request");
			fake_hex64(ses, "session", ++counter);
			fake_hex64(tic, "ticket", counter);
			b_fmt(&ans, "{\"session\":\"%s\",\"expires_in\":900,"
			      "\"server_time\":%lld,\"holds\":%lld,\"head\":"
			      "\"%s\",\"ticket\":\"%s\",\"ticket_expires_in\":"
			      "2592000,\"push\":", ses,
			      (long long)(d->t + 400 + pick(800)),
			      (long long)s->seq - 1, prevhead, tic);
			push_receipt(&ans, (const set *const *)&s, 1, d, 1);
			b_str(&ans, ",\"pull\":");
			d->cursor = pull_page(&ans, all, nall, dn, d->cursor,
					      PULL_PAGE, &more, &got);
			b_str(&ans, "}");
			sample_add(out, ans.p, ans.len, "sync-answer");
		} else {
			req = push_sets_json((const set *const *)&s, 1);
			sample_add(out, req, strlen(req), "push-request");
			push_receipt(&ans, (const set *const *)&s, 1, d, 0);
			sample_add(out, ans.p, ans.len, "push-answer");
			more = 1;
		}
		while (more) {
			buf page = {0};
			got = 0;
			d->cursor = pull_page(&page, all, nall, dn, d->cursor,
					      PULL_PAGE, &more, &got);
			sample_add(out, page.p, page.len, "pull-page");
		}
		d->synced = 1;
		/* The next sync: a few hours later, sometimes the next day. */
		d->t += HOUR_MS * (1 + (int64_t)pick(chance(70) ? 8 : 40)) +
			(int64_t)pick(3600000);
	}
	for (size_t i = 0; i < nall; i++) {
		free(all[i]->bytes);
		free(all[i]);
	}
	free(all);
	for (int i = 0; i < NDEV; i++) {
		for (size_t j = 0; j < ob[i].n; j++) {
			cJSON_Delete(ob[i].e[j]->fields);
			free(ob[i].e[j]);
		}
		free(ob[i].e);
	}
}

static void samples_free(samples *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->body[i]);
	free(s->body);
	free(s->len);
	free(s->shape);
	memset(s, 0, sizeof *s);
}

/* ---- training ------------------------------------------------------------- */

static size_t train(const samples *s, void *dict, size_t cap)
{
	size_t total = 0, r;
	char *all;
	ZDICT_cover_params_t p;

	for (size_t i = 0; i < s->n; i++)
		total += s->len[i];
	all = xmalloc(total);
	total = 0;
	for (size_t i = 0; i < s->n; i++) {
		memcpy(all + total, s->body[i], s->len[i]);
		total += s->len[i];
	}
	memset(&p, 0, sizeof p);
	p.k = COVER_K;
	p.d = COVER_D;
	p.nbThreads = 1;
	p.zParams.compressionLevel = 3;
	p.zParams.notificationLevel = 0;
	p.zParams.dictID = DICT_ID;
	r = ZDICT_trainFromBuffer_cover(dict, cap, all, s->len, (unsigned)s->n,
					p);
	free(all);
	if (ZDICT_isError(r))
		die("ZDICT_trainFromBuffer_cover: %s", ZDICT_getErrorName(r));
	return r;
}

static void write_c(const char *cpath, const char *hpath, const uint8_t *d,
		    size_t n, size_t nsamples, size_t total)
{
	buf c = {0}, h = {0};
	uint8_t sha[crypto_hash_sha256_BYTES];
	char shahex[2 * crypto_hash_sha256_BYTES + 1];

	crypto_hash_sha256(sha, d, n);
	proto_hex_encode(shahex, sha, sizeof sha);
	b_fmt(&c, "/*\n** This file contains the zstd dictionary of the "
	      "fieldsync wire (SPEC.md),\n** the bytes of "
	      "protocol/zstd/fieldsync-1.dict.\n**\n** Generated by mkdict "
	      "(tests/tools/mkdict.c, `make dict`); do not edit.\n** %zu "
	      "bytes, id %u (0x%08x), SHA-256\n** %s.\n** Trained on %zu "
	      "bodies (%zu bytes) built from protocol/zstd/corpus/.\n*/\n"
	      "#include \"zdict.h\"\n\nconst unsigned char proto_zdict[] = {\n",
	      n, (unsigned)DICT_ID, (unsigned)DICT_ID, shahex, nsamples, total);
	for (size_t i = 0; i < n; i++)
		b_fmt(&c, "%s0x%02x,%s", i % 12 ? " " : "\t", d[i],
		      i % 12 == 11 || i + 1 == n ? "\n" : "");
	b_fmt(&c, "};\n\nconst size_t proto_zdict_len = sizeof proto_zdict;\n");
	write_file(cpath, c.p, c.len);
	b_fmt(&h, "/*\n** This file contains the zstd dictionary of the "
	      "fieldsync wire: a zstd\n** frame on the wire references this "
	      "dictionary's id or none (SPEC.md).\n**\n** Generated by mkdict "
	      "(tests/tools/mkdict.c, `make dict`); do not edit.\n*/\n"
	      "#ifndef FIELDSYNC_ZDICT_H\n#define FIELDSYNC_ZDICT_H\n\n"
	      "#include <stddef.h>\n\n"
	      "/* The dictionary's id, in its header and in every frame made "
	      "with it:\n** 0x66730001, in the range (32768 .. 2^31-1) that "
	      "zstd leaves for\n** private use. */\n"
	      "#define PROTO_ZDICT_ID 0x66730001u\n\n"
	      "/* Its size in bytes. */\n#define PROTO_ZDICT_BYTES %zu\n\n"
	      "extern const unsigned char proto_zdict[];\n"
	      "extern const size_t proto_zdict_len;\n\n#endif\n", n);
	write_file(hpath, h.p, h.len);
	free(c.p);
	free(h.p);
}

/* ---- measuring ------------------------------------------------------------- */

enum { C_GZIP, C_ZSTD3, C_ZSTD19, C_DICT3, C_DICT19, C_N };
static const char *const cnames[C_N] = {"gzip -6", "zstd 3", "zstd 19",
					"zstd 3 + dict", "zstd 19 + dict"};

static size_t gzip6(const char *p, size_t n)
{
	z_stream z;
	size_t cap = compressBound((uLong)n) + 64, out;
	unsigned char *o = xmalloc(cap);

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		die("deflateInit2 failed");
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = o;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("deflate failed");
	out = z.total_out;
	deflateEnd(&z);
	free(o);
	return out;
}

typedef struct zctx {
	ZSTD_CCtx *cc;
	ZSTD_DCtx *dc;
	ZSTD_CDict *cd[2];
	ZSTD_DDict *dd;
} zctx;

/* Compressed size, after checking the frame decodes back to the body. */
static size_t zsize(zctx *z, int which, const char *p, size_t n)
{
	size_t cap = ZSTD_compressBound(n), r, back;
	char *o = xmalloc(cap), *d = xmalloc(n + 1);

	if (which == C_ZSTD3 || which == C_ZSTD19)
		r = ZSTD_compressCCtx(z->cc, o, cap, p, n,
				      which == C_ZSTD3 ? 3 : 19);
	else
		r = ZSTD_compress_usingCDict(z->cc, o, cap, p, n,
					     z->cd[which == C_DICT19]);
	if (ZSTD_isError(r))
		die("zstd: %s", ZSTD_getErrorName(r));
	back = which == C_ZSTD3 || which == C_ZSTD19
		       ? ZSTD_decompressDCtx(z->dc, d, n + 1, o, r)
		       : ZSTD_decompress_usingDDict(z->dc, d, n + 1, o, r,
						    z->dd);
	if (ZSTD_isError(back) || back != n || memcmp(d, p, n))
		die("zstd round trip failed");
	free(o);
	free(d);
	return r;
}

typedef struct row {
	char what[96];
	size_t bodies, entries, raw;
	size_t c[C_N];
} row;

static void row_add(zctx *z, row *r, const char *body, size_t len,
		    size_t entries)
{
	r->bodies++;
	r->entries += entries;
	r->raw += len;
	r->c[C_GZIP] += gzip6(body, len);
	for (int i = C_ZSTD3; i < C_N; i++)
		r->c[i] += zsize(z, i, body, len);
}

/* Outbox entries for a held-out list: creates only, the way new entries
** leave a device. */
static entry **creates(const corpus *c, int want_held, size_t *n)
{
	entry **e = xmalloc(c->n * sizeof *e);
	*n = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (want_held >= 0 && held_out(&c->r[i]) != want_held)
			continue;
		e[*n] = entry_new(&c->r[i], PROTO_OP_CREATE, 0);
		e[*n]->fields = c->r[i].fields;
		(*n)++;
	}
	return e;
}

/* The held-out shapes of one entry list into rows[0..4]. */
static void measure_list(zctx *z, entry **es, size_t n, row *rows,
			 const char *label)
{
	device devs[3];
	char *body;

	for (int i = 0; i < 3; i++) {
		device_make(&devs[i], "fieldsync zdict measure", (unsigned)i);
		devs[i].t = T0_MS + 40 * 24 * HOUR_MS;
		devs[i].seq = 41 + 7 * i; /* devices that synced before */
		crypto_generichash(devs[i].head, 32, devs[i].id, 16, NULL, 0);
	}
	snprintf(rows[0].what, sizeof rows[0].what,
		 "%s: /v3/sync request, 1 entry", label);
	snprintf(rows[1].what, sizeof rows[1].what,
		 "%s: /v3/sync request, 10 entries", label);
	snprintf(rows[2].what, sizeof rows[2].what,
		 "%s: pull page, 50 entries (10 sets of 5)", label);
	snprintf(rows[3].what, sizeof rows[3].what,
		 "%s: push of all %zu entries, client batches", label, n);
	/* 1 and 10 entries: every entry once in each shape. */
	for (size_t i = 0; i < n; i++) {
		set s = build_set(devs, 0, es + i, 1);
		const set *sp = &s;
		body = sync_request(&sp, 1, s.seq - 1, 1200 + (int64_t)i);
		row_add(z, &rows[0], body, strlen(body), 1);
		free(body);
		free(s.bytes);
		devs[0].t += HOUR_MS;
	}
	for (size_t i = 0; i + 10 <= n; i += 10) {
		set s = build_set(devs, 1, es + i, 10);
		const set *sp = &s;
		body = sync_request(&sp, 1, s.seq - 1, 1300 + (int64_t)i);
		row_add(z, &rows[1], body, strlen(body), 10);
		free(body);
		free(s.bytes);
		devs[1].t += HOUR_MS;
	}
	/* Pull pages of 10 sets of 5 entries, from the three devices. */
	for (size_t i = 0; i + 50 <= n; i += 50) {
		set *ss[10];
		int more;
		size_t got = 0;
		buf page = {0};
		for (int k = 0; k < 10; k++) {
			ss[k] = xmalloc(sizeof *ss[k]);
			*ss[k] = build_set(devs, k % 3, es + i + 5 * (size_t)k, 5);
			ss[k]->cursor = 5000 + (int64_t)(i + (size_t)k);
			devs[k % 3].t += HOUR_MS;
		}
		pull_page(&page, ss, 10, 99, 4999 + (int64_t)i, PULL_PAGE, &more,
			  &got);
		row_add(z, &rows[2], page.p, page.len, got);
		free(page.p);
		for (int k = 0; k < 10; k++) {
			free(ss[k]->bytes);
			free(ss[k]);
		}
	}
	/* Everything pushed as the client batches it: sets of at most 1000
	** changes and 512 KiB, requests of at most 16 sets and 1 MiB; the
	** first request is a /v3/sync, the others /v2/push. */
	{
		size_t at = 0, nsets = 0;
		set *ss = xmalloc((n / 1 + 1) * sizeof *ss);
		int first = 1;
		while (at < n) {
			size_t k = 0, bytes = 0;
			char *tmp;
			size_t tl;
			while (at + k < n && k < SET_MAX_CHANGES) {
				tmp = encode_entry(es[at + k], devs, 1, &tl);
				free(tmp);
				if (k > 0 && bytes + tl + 1 > SET_MAX_BYTES)
					break;
				bytes += tl + 1;
				k++;
			}
			ss[nsets++] = build_set(devs, 2, es + at, k);
			at += k;
		}
		for (size_t i = 0; i < nsets;) {
			const set *req[PUSH_MAX_SETS];
			size_t k = 0, bytes = 0, ch = 0;
			while (i + k < nsets && k < PUSH_MAX_SETS &&
			       (k == 0 || bytes + ss[i + k].len <= PUSH_MAX_BYTES)) {
				req[k] = &ss[i + k];
				bytes += ss[i + k].len;
				ch += ss[i + k].nchanges;
				k++;
			}
			body = first ? sync_request(req, k, req[0]->seq - 1, 7)
				     : push_sets_json(req, k);
			row_add(z, &rows[3], body, strlen(body), ch);
			free(body);
			first = 0;
			i += k;
		}
		for (size_t i = 0; i < nsets; i++)
			free(ss[i].bytes);
		free(ss);
	}
}

static void print_rows(const row *rows, size_t n)
{
	printf("| body | bodies | entries | raw B/entry |");
	for (int i = 0; i < C_N; i++)
		printf(" %s |", cnames[i]);
	printf("\n|---|---:|---:|---:|");
	for (int i = 0; i < C_N; i++)
		printf("---:|");
	printf("\n");
	for (size_t r = 0; r < n; r++) {
		if (!rows[r].entries)
			continue;
		printf("| %s | %zu | %zu | %.1f |", rows[r].what, rows[r].bodies,
		       rows[r].entries,
		       (double)rows[r].raw / (double)rows[r].entries);
		for (int i = 0; i < C_N; i++)
			printf(" %.1f |", (double)rows[r].c[i] /
						  (double)rows[r].entries);
		printf("\n");
	}
}

static void measure(const corpus *c, const void *dict, size_t dlen,
		    const char *genpath)
{
	zctx z;
	row rows[8];
	entry **es;
	size_t n;

	memset(rows, 0, sizeof rows);
	z.cc = ZSTD_createCCtx();
	z.dc = ZSTD_createDCtx();
	z.cd[0] = ZSTD_createCDict(dict, dlen, 3);
	z.cd[1] = ZSTD_createCDict(dict, dlen, 19);
	z.dd = ZSTD_createDDict(dict, dlen);
	if (!z.cc || !z.dc || !z.cd[0] || !z.cd[1] || !z.dd)
		die("zstd: cannot create contexts");
	es = creates(c, 1, &n);
	measure_list(&z, es, n, rows, "held-out corpus");
	for (size_t i = 0; i < n; i++)
		free(es[i]);
	free(es);
	if (genpath) {
		corpus g;
		memset(&g, 0, sizeof g);
		load_jsonl(genpath, &g, SEED + 1);
		es = creates(&g, -1, &n);
		measure_list(&z, es, n, rows + 4, "bench/gen.c");
		for (size_t i = 0; i < n; i++) {
			free(es[i]);
			cJSON_Delete(g.r[i].fields);
		}
		free(es);
		free(g.r);
	}
	print_rows(rows, 8);
	ZSTD_freeCCtx(z.cc);
	ZSTD_freeDCtx(z.dc);
	ZSTD_freeCDict(z.cd[0]);
	ZSTD_freeCDict(z.cd[1]);
	ZSTD_freeDDict(z.dd);
}

/* ---- main ----------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr,
		"usage: mkdict train CORPUSDIR DICT ZDICT_C ZDICT_H [SIZE]\n"
		"       mkdict samples CORPUSDIR OUTDIR\n"
		"       mkdict measure CORPUSDIR DICT [GEN.jsonl]\n"
		"       mkdict sizes CORPUSDIR [GEN.jsonl]\n");
	return 2;
}

int main(int argc, char **argv)
{
	corpus c;
	samples s;
	size_t total = 0;

	if (argc < 3)
		return usage();
	if (proto_init() != 0)
		die("libsodium cannot initialise");
	load_corpus(argv[2], &c);
	memset(&s, 0, sizeof s);
	if (!strcmp(argv[1], "train") && (argc == 6 || argc == 7)) {
		size_t cap = argc == 7 ? strtoul(argv[6], NULL, 10) : DICT_BYTES;
		uint8_t *dict = xmalloc(cap);
		size_t n;
		simulate(&c, &s);
		for (size_t i = 0; i < s.n; i++)
			total += s.len[i];
		n = train(&s, dict, cap);
		write_file(argv[3], dict, n);
		write_c(argv[4], argv[5], dict, n, s.n, total);
		fprintf(stderr, "mkdict: %zu bodies, %zu bytes -> %s (%zu "
			"bytes, id %u)\n", s.n, total, argv[3], n,
			ZDICT_getDictID(dict, n));
		free(dict);
	} else if (!strcmp(argv[1], "samples") && argc == 4) {
		simulate(&c, &s);
		mkdir(argv[3], 0755);
		for (size_t i = 0; i < s.n; i++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%05zu-%s.json", argv[3],
				 i, s.shape[i]);
			write_file(path, s.body[i], s.len[i]);
			total += s.len[i];
		}
		printf("%zu bodies, %zu bytes\n", s.n, total);
	} else if (!strcmp(argv[1], "measure") && (argc == 4 || argc == 5)) {
		size_t dlen;
		char *dict = read_file(argv[3], &dlen);
		measure(&c, dict, dlen, argc == 5 ? argv[4] : NULL);
		free(dict);
	} else if (!strcmp(argv[1], "sizes") && (argc == 3 || argc == 4)) {
		static const size_t sizes[] = {8192, 16384, 32768, 65536,
					       114688};
		simulate(&c, &s);
		for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
			uint8_t *dict = xmalloc(sizes[i]);
			size_t n = train(&s, dict, sizes[i]);
			printf("\n### dictionary of %zu bytes\n\n", n);
			fflush(stdout);
			measure(&c, dict, n, argc == 4 ? argv[3] : NULL);
			free(dict);
		}
	} else {
		return usage();
	}
	samples_free(&s);
	for (size_t i = 0; i < c.n; i++)
		cJSON_Delete(c.r[i].fields);
	free(c.r);
	for (size_t i = 0; i < c.nreasons; i++)
		free(c.reasons[i]);
	free(c.reasons);
	return 0;
}
