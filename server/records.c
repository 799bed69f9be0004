/*
** This file contains `fieldsyncd records correct|delete|restore|handover|
** history` (SPEC.md 9.3, 9.6, 9.7): HQ's changes to any record, each ONE
** change set signed with HQ's key and pushed through the normal push path
** (srv_hq_write, shared with `conflicts resolve`), and a record's history
** replayed from the stored sets, which the server only keeps verified
** (signature and chain). Field names and values are checked by
** protocol/records.c, the one source of truth for kinds.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "protocol/changeset.h"
#include "protocol/history.h"
#include "protocol/merge.h"
#include "protocol/records.h"
#include "hq.h"
#include "hqcmd.h"
#include "store.h"

#define EXIT_USAGE 2
#define MAX_FIELDS 64

static const char records_usage[] =
	"usage: fieldsyncd records correct --db PATH ID --FIELD VALUE ... "
	"--reason TEXT\n"
	"       fieldsyncd records delete --db PATH ID --reason TEXT\n"
	"       fieldsyncd records restore --db PATH ID [--reason TEXT]\n"
	"       fieldsyncd records handover --db PATH ID --to DEVICE "
	"--reason TEXT\n"
	"       fieldsyncd records history --db PATH ID [--json]\n"
	"HQ's changes to any record (SPEC 9.6). Each writes one change set\n"
	"signed with HQ's own key (PATH.hqkey), through the same push path as\n"
	"a device's, so every device receives it at its next sync.\n"
	"correct: set fields (the options of the record's kind, as in\n"
	"fieldsync: --sown-ha 3.8) to HQ's values; a correction by HQ.\n"
	"delete: soft deletion (an observation is retracted instead); the\n"
	"record leaves every listing and report but keeps its history.\n"
	"restore: undo a delete. handover: give the record to another device\n"
	"(id or prefix), e.g. a replacement laptop for the same person.\n"
	"history: every change of the record: when, who (name and device),\n"
	"op, fields from -> to, corrections by HQ, reasons.\n"
	"ID is a record id or a prefix of at least 4 hex digits.\n"
	"Works while fieldsyncd serve is running on the same database.\n"
	"Exit status: 0 success, 2 usage error (unknown field, bad value,\n"
	"missing reason), 1 any other failure (no such record, database).\n";

/* ---- finding the record --------------------------------------------- */

typedef struct find_ctx {
	const char *prefix;
	char id[PROTO_ID_HEX + 1];
	int n;
} find_ctx;

static int find_cb(void *ctx, const char *id, const char *kind,
		   const char *state, int64_t updated_cursor)
{
	find_ctx *f = ctx;

	(void)kind; (void)state; (void)updated_cursor;
	if (strncmp(id, f->prefix, strlen(f->prefix)) == 0) {
		if (f->n++ == 0)
			snprintf(f->id, sizeof(f->id), "%s", id);
	}
	return 0;
}

static int is_hex(const char *s)
{
	return *s && strspn(s, "0123456789abcdef") == strlen(s);
}

/* Resolve prefix to a record id and load its state. Returns 0, 1 (not
** found / ambiguous: printed) or 2 (bad prefix: printed). */
static int load_record(srv_store *s, const char *prefix, char id[PROTO_ID_HEX + 1],
		       cJSON **state)
{
	find_ctx f;
	char *text = NULL;
	size_t len = 0;

	*state = NULL;
	if (strlen(prefix) < 4 || strlen(prefix) > PROTO_ID_HEX ||
	    !is_hex(prefix)) {
		fprintf(stderr, "records: \"%s\" is not a record id (at least 4 "
			"of its 32 lowercase hex digits)\n", prefix);
		return EXIT_USAGE;
	}
	memset(&f, 0, sizeof(f));
	f.prefix = prefix;
	if (srv_store_records_each(s, NULL, find_cb, &f)) {
		fprintf(stderr, "records: %s\n", srv_store_errmsg(s));
		return 1;
	}
	if (f.n == 0) {
		fprintf(stderr, "records: no record %s on this server\n", prefix);
		return 1;
	}
	if (f.n > 1) {
		fprintf(stderr, "records: %s matches %d records; give more "
			"digits\n", prefix, f.n);
		return 1;
	}
	memcpy(id, f.id, PROTO_ID_HEX + 1);
	if (srv_store_record_get(s, id, &text, &len) ||
	    !(*state = cJSON_ParseWithLength(text, len)) ||
	    !proto_state_kind(*state)) {
		fprintf(stderr, "records: stored state of record %s is "
			"unreadable\n", id);
		free(text);
		cJSON_Delete(*state);
		*state = NULL;
		return 1;
	}
	free(text);
	return 0;
}

static proto_hlc state_max_hlc(const cJSON *state)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(state, "f");
	proto_hlc max = 0;
	proto_stamp st;

	for (const cJSON *e = f ? f->child : NULL; e; e = e->next) {
		const cJSON *st_text = cJSON_GetObjectItemCaseSensitive(e, "s");
		if (cJSON_IsString(st_text) &&
		    proto_stamp_parse(st_text->valuestring, &st) == 0 &&
		    st.hlc > max)
			max = st.hlc;
	}
	return max;
}

/* ---- device names --------------------------------------------------- */

static void device_label(srv_store *s, const char *id, char *out, size_t n)
{
	srv_device d;

	if (id && *id && srv_store_device_get(s, id, &d) == SRV_OK)
		snprintf(out, n, "%s (%.8s)", d.name[0] ? d.name :
			 d.client_name, id);
	else
		snprintf(out, n, "%.8s", id ? id : "-");
}

/* ---- history -------------------------------------------------------- */

typedef struct hist_ctx {
	srv_store *s;
	const char *id;
	char hq[PROTO_ID_HEX + 1];
	cJSON *state;   /* the record as replayed so far */
	cJSON *entries; /* array */
	int64_t last;   /* last cursor read */
	int rc;
} hist_ctx;

static int hist_cb(void *vctx, int64_t cursor, const char *bytes, size_t len,
		   const char *sighex)
{
	hist_ctx *h = vctx;
	proto_set set;
	proto_err e;
	size_t i;

	(void)sighex;
	h->last = cursor;
	if (proto_set_decode(bytes, len, &set, &e) != PROTO_OK)
		return 0; /* every stored set decoded when it was pushed */
	for (i = 0; i < set.nchanges; i++) {
		const proto_change *ch = &set.changes[i];
		cJSON *before, *entry;
		int changed = 0;

		if (strcmp(ch->id, h->id) != 0)
			continue;
		before = h->state ? cJSON_Duplicate(h->state, 1) : NULL;
		if (proto_merge_apply(&h->state, ch, set.device, NULL, NULL,
				      &changed, &e) != PROTO_OK) {
			cJSON_Delete(before);
			continue;
		}
		entry = proto_history_entry(before, h->state, ch,
					    set.device_hex);
		cJSON_Delete(before);
		if (!entry) {
			h->rc = SRV_E_NOMEM;
			proto_set_free(&set);
			return 1;
		}
		cJSON_AddNumberToObject(entry, "cursor", (double)cursor);
		cJSON_AddBoolToObject(entry, "hq",
				      strcmp(set.device_hex, h->hq) == 0);
		cJSON_AddBoolToObject(entry, "verified", 1);
		{
			srv_device d;
			if (srv_store_device_get(h->s, set.device_hex, &d) ==
			    SRV_OK)
				cJSON_AddStringToObject(entry, "name",
					d.name[0] ? d.name : d.client_name);
			else
				cJSON_AddNullToObject(entry, "name");
		}
		cJSON_AddItemToArray(h->entries, entry);
	}
	proto_set_free(&set);
	return 0;
}

static void print_value(const cJSON *v)
{
	char *t;

	if (!v || cJSON_IsNull(v)) {
		fputs("-", stdout);
		return;
	}
	if (cJSON_IsString(v)) {
		fputs(v->valuestring, stdout);
		return;
	}
	t = cJSON_PrintUnformatted(v);
	fputs(t ? t : "?", stdout);
	cJSON_free(t);
}

int srv_record_history(srv_store *s, const char *hq, const char *id,
		       cJSON **entries, cJSON **state)
{
	hist_ctx h;
	int64_t after = 0;
	int more = 1;

	*entries = NULL;
	if (state)
		*state = NULL;
	memset(&h, 0, sizeof(h));
	h.s = s;
	h.id = id;
	snprintf(h.hq, sizeof(h.hq), "%s", hq);
	h.entries = cJSON_CreateArray();
	if (!h.entries)
		return SRV_E_NOMEM;
	while (more) {
		int64_t before = after;
		if (srv_store_sets_after(s, after, 500, 64u << 20, hist_cb,
					 &h, &more)) {
			h.rc = SRV_E_IO;
			break;
		}
		after = h.last;
		if (h.rc || after == before)
			break;
	}
	if (h.rc) {
		cJSON_Delete(h.entries);
		cJSON_Delete(h.state);
		return h.rc;
	}
	*entries = h.entries;
	if (state)
		*state = h.state;
	else
		cJSON_Delete(h.state);
	return SRV_OK;
}

static int cmd_history(srv_store *s, const char *hq, const char *id, int json)
{
	hist_ctx h;
	const cJSON *e;
	int rc;

	memset(&h, 0, sizeof(h));
	rc = srv_record_history(s, hq, id, &h.entries, &h.state);
	if (rc) {
		fprintf(stderr, "records history: %s\n", rc == SRV_E_NOMEM ?
			"out of memory" : srv_store_errmsg(s));
		return 1;
	}
	if (json) {
		char *t = cJSON_Print(h.entries);
		if (!t)
			goto fail;
		printf("%s\n", t);
		cJSON_free(t);
	} else {
		printf("history of %s (%s): %d changes, each signature and "
		       "chain verified when the server accepted it\n", id,
		       h.state && proto_state_kind(h.state) ?
		       proto_state_kind(h.state)->name : "?",
		       cJSON_GetArraySize(h.entries));
		cJSON_ArrayForEach(e, h.entries) {
			const cJSON *ms = cJSON_GetObjectItem(e, "ms");
			const cJSON *dev = cJSON_GetObjectItem(e, "device");
			const cJSON *op = cJSON_GetObjectItem(e, "op");
			const cJSON *reason = cJSON_GetObjectItem(e, "reason");
			const cJSON *to = cJSON_GetObjectItem(e, "to");
			const cJSON *f;
			char when[32], who[256];
			time_t t = (time_t)((cJSON_IsNumber(ms) ?
					     ms->valuedouble : 0) / 1000);
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
			device_label(s, cJSON_IsString(dev) ? dev->valuestring
				     : NULL, who, sizeof(who));
			printf("%s  %s  %s%s", when, who,
			       cJSON_IsString(op) ? op->valuestring : "?",
			       cJSON_IsTrue(cJSON_GetObjectItem(e, "hq")) ?
			       "  (correction by HQ)" : "");
			if (cJSON_IsString(to)) {
				char tl[256];
				device_label(s, to->valuestring, tl, sizeof(tl));
				printf("  to %s", tl);
			}
			printf("  [signature and chain verified]\n");
			cJSON_ArrayForEach(f, cJSON_GetObjectItem(e, "fields")) {
				const cJSON *fn = cJSON_GetObjectItem(f, "field");
				printf("    %s: ", cJSON_IsString(fn) ?
				       fn->valuestring : "?");
				print_value(cJSON_GetObjectItem(f, "from"));
				fputs(" -> ", stdout);
				print_value(cJSON_GetObjectItem(f, "to"));
				if (cJSON_IsFalse(cJSON_GetObjectItem(f, "won")))
					fputs("  (lost to a later write)", stdout);
				fputs("\n", stdout);
			}
			if (cJSON_IsString(reason))
				printf("    reason: %s\n", reason->valuestring);
		}
	}
	cJSON_Delete(h.entries);
	cJSON_Delete(h.state);
	return 0;
fail:
	cJSON_Delete(h.entries);
	cJSON_Delete(h.state);
	return 1;
}

/* ---- HQ's changes ----------------------------------------------------- */

/* "--sown-ha" -> "sown_ha" */
static void opt_field(const char *opt, char *out, size_t n)
{
	size_t i;

	snprintf(out, n, "%s", opt + 2);
	for (i = 0; out[i]; i++)
		if (out[i] == '-')
			out[i] = '_';
}

int srv_cmd_records(int argc, char **argv)
{
	const char *db = NULL, *reason = NULL, *to = NULL, *idp = NULL;
	const char *fnames[MAX_FIELDS], *fvals[MAX_FIELDS], *sub;
	char names[MAX_FIELDS][64], id[PROTO_ID_HEX + 1], hq[PROTO_ID_HEX + 1];
	char msg[1024], todev[PROTO_ID_HEX + 1] = "", stamp[PROTO_STAMP_TEXT + 1];
	int json = 0, nf = 0, i, ret = 1, lockfd = -1, op;
	srv_store *s = NULL;
	cJSON *state = NULL, *fields = NULL, *base = NULL, *vals = NULL;
	const proto_kind_def *kind;
	proto_change ch;
	proto_err e;
	srv_hq_written w;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(records_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	op = strcmp(sub, "correct") == 0 ? PROTO_OP_UPDATE :
	     strcmp(sub, "delete") == 0 ? PROTO_OP_DELETE :
	     strcmp(sub, "restore") == 0 ? PROTO_OP_RESTORE :
	     strcmp(sub, "handover") == 0 ? PROTO_OP_HANDOVER :
	     strcmp(sub, "history") == 0 ? -1 : -2;
	if (op == -2) {
		fprintf(stderr, "records: the subcommand is correct, delete, "
			"restore, handover or history (not \"%s\")\n%s", sub,
			records_usage);
		return EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0) {
			fputs(records_usage, stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0 && op == -1) {
			json = 1;
		} else if (strncmp(a, "--", 2) == 0 && a[2]) {
			if (i + 1 >= argc) {
				fprintf(stderr, "records %s: %s needs a value\n",
					sub, a);
				return EXIT_USAGE;
			}
			if (strcmp(a, "--db") == 0)
				db = argv[++i];
			else if (strcmp(a, "--reason") == 0)
				reason = argv[++i];
			else if (strcmp(a, "--to") == 0 && op == PROTO_OP_HANDOVER)
				to = argv[++i];
			else if (op == PROTO_OP_UPDATE && nf < MAX_FIELDS) {
				fnames[nf] = a;
				fvals[nf++] = argv[++i];
			} else {
				fprintf(stderr, "records %s: unknown option %s\n%s",
					sub, a, records_usage);
				return EXIT_USAGE;
			}
		} else if (!idp) {
			idp = a;
		} else {
			fprintf(stderr, "records %s: takes one record ID\n", sub);
			return EXIT_USAGE;
		}
	}
	if (!db || !*db || !idp) {
		fprintf(stderr, "records %s: --db PATH and a record ID are "
			"required\n%s", sub, records_usage);
		return EXIT_USAGE;
	}
	if ((op == PROTO_OP_UPDATE || op == PROTO_OP_DELETE ||
	     op == PROTO_OP_HANDOVER) && (!reason || !*reason)) {
		fprintf(stderr, "records %s: --reason TEXT is required (why HQ "
			"changes another's record; every device keeps it in "
			"the record's history)\n", sub);
		return EXIT_USAGE;
	}
	if (op == PROTO_OP_UPDATE && nf == 0) {
		fprintf(stderr, "records correct: give at least one --FIELD "
			"VALUE (the options of the record's kind)\n");
		return EXIT_USAGE;
	}
	if (op == PROTO_OP_HANDOVER && (!to || !*to)) {
		fprintf(stderr, "records handover: --to DEVICE is required\n");
		return EXIT_USAGE;
	}
	if (proto_init() != 0) {
		fprintf(stderr, "records: libsodium cannot initialise\n");
		return 1;
	}
	if (srv_db_open(db, 0, &s, hq, msg, sizeof(msg))) {
		fprintf(stderr, "records: %s\n", msg);
		return 1;
	}
	if (op != -1 && srv_hq_lock(db, &lockfd, msg, sizeof(msg))) {
		fprintf(stderr, "records %s: %s\n", sub, msg);
		goto out;
	}
	if ((ret = load_record(s, idp, id, &state)))
		goto out;
	ret = 1;
	kind = proto_state_kind(state);
	if (op == -1) {
		ret = cmd_history(s, hq, id, json);
		goto out;
	}
	if (op == PROTO_OP_DELETE && kind->append_only)
		op = PROTO_OP_RETRACT; /* observations are retracted */
	if ((op == PROTO_OP_DELETE && proto_state_deleted(state)) ||
	    (op == PROTO_OP_RETRACT && proto_state_retracted(state))) {
		fprintf(stderr, "records %s: %s %s is already %s\n", sub,
			kind->name, id, op == PROTO_OP_DELETE ? "deleted" :
			"retracted");
		goto out;
	}
	if (op == PROTO_OP_RESTORE && !proto_state_deleted(state)) {
		fprintf(stderr, "records restore: %s %s is not deleted\n",
			kind->name, id);
		goto out;
	}
	if (op == PROTO_OP_UPDATE && (proto_state_deleted(state) ||
				      proto_state_retracted(state))) {
		fprintf(stderr, "records correct: %s %s is deleted; restore it "
			"first\n", kind->name, id);
		goto out;
	}
	if (op == PROTO_OP_HANDOVER) {
		srv_device d;
		int rc = srv_store_device_find(s, to, &d);
		if (rc || !d.id[0]) {
			fprintf(stderr, "records handover: --to %s: no such "
				"device (see `fieldsyncd devices list`)\n", to);
			ret = EXIT_USAGE;
			goto out;
		}
		snprintf(todev, sizeof(todev), "%s", d.id);
	}
	fields = cJSON_CreateObject();
	base = cJSON_CreateObject();
	vals = proto_state_values(state);
	if (!fields || !base || !vals)
		goto oom;
	for (i = 0; i < nf; i++) {
		const proto_field_def *fd;
		proto_stamp st;
		cJSON *v = NULL;

		opt_field(fnames[i], names[i], sizeof(names[i]));
		fd = proto_field_find(kind, names[i]);
		if (!fd || names[i][0] == '_') {
			fprintf(stderr, "records correct: %s has no field \"%s\" "
				"(%s)\n", kind->name, names[i], fnames[i]);
			ret = EXIT_USAGE;
			goto out;
		}
		if (proto_field_parse(fd, fvals[i], &v, &e) != PROTO_OK) {
			fprintf(stderr, "records correct: %s \"%s\": %s\n",
				fnames[i], fvals[i], e.msg);
			ret = EXIT_USAGE;
			goto out;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(fields, names[i]);
		cJSON_AddItemToObject(fields, names[i], v);
		cJSON_DeleteItemFromObjectCaseSensitive(vals, names[i]);
		if (!cJSON_AddItemReferenceToObject(vals, names[i], v))
			goto oom;
		if (proto_state_get(state, names[i], &st)) {
			proto_stamp_format(stamp, &st);
			cJSON_DeleteItemFromObjectCaseSensitive(base, names[i]);
			if (!cJSON_AddStringToObject(base, names[i], stamp))
				goto oom;
		}
	}
	if (op == PROTO_OP_UPDATE &&
	    proto_record_check(kind, vals, 0, &e) != PROTO_OK) {
		fprintf(stderr, "records correct: that would make %s %s "
			"invalid: %s\n", kind->name, id, e.msg);
		ret = EXIT_USAGE;
		goto out;
	}
	memset(&ch, 0, sizeof(ch));
	memcpy(ch.id, id, sizeof(ch.id));
	ch.kind = kind;
	ch.op = (proto_op)op;
	ch.fields = op == PROTO_OP_UPDATE ? fields : NULL;
	ch.base = op == PROTO_OP_UPDATE && base->child ? base : NULL;
	ch.reason = reason && *reason ? reason : NULL;
	if (op == PROTO_OP_HANDOVER)
		memcpy(ch.to, todev, sizeof(ch.to));
	if (srv_hq_write(s, db, &ch, state_max_hlc(state), srv_clock_ms(), &w,
			 msg, sizeof(msg))) {
		fprintf(stderr, "records %s: %s\n", sub, msg);
		goto out;
	}
	printf("HQ wrote the %s of %s %s as change set %lld of HQ (cursor "
	       "%lld); devices receive it at their next sync\n",
	       proto_op_name(ch.op), kind->name, id, (long long)w.seq,
	       (long long)w.cursor);
	ret = 0;
	goto out;
oom:
	fprintf(stderr, "records: out of memory\n");
	ret = 1;
out:
	if (lockfd >= 0)
		close(lockfd);
	cJSON_Delete(vals);
	cJSON_Delete(fields);
	cJSON_Delete(base);
	cJSON_Delete(state);
	srv_store_close(s);
	return ret;
}
