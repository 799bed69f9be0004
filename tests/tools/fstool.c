/*
** This file contains fstool, a small client for the server's end-to-end
** tests and benchmarks. It links only the protocol module (and libcurl), so
** tests can build correct and deliberately wrong requests without the real
** client:
**
**   fstool keygen DIR          new device key: DIR/sk DIR/pk DIR/id (0600),
**                              and chain state DIR/seq DIR/head DIR/hlc
**   fstool mkset --key DIR [--seq N] [--prev HEX] [--hlc HEX] [--no-save]
**                              < changes.json   (array of {id?,kind,op,
**                              fields?,base?,hlc?,reason?,to?}); prints
**                              {"set","sig"}
**                              and advances DIR's chain state
**   fstool sign --key DIR      < bytes: signature hex of exactly stdin
**   fstool hash                < bytes: BLAKE2b-256 hex of exactly stdin
**   fstool authsign --key DIR CHALLENGE   signature of an auth challenge
**   fstool ticketauth --key DIR TICKET    the Authorization header value of
**                              a /v3/sync with TICKET (SPEC 10.12)
**   fstool session --key DIR --url URL [--cacert F] [--local-seq N]
**                              challenge + session; prints the session
**   fstool load --key DIR --url URL --sets N --changes M --acked FILE
**               [--cacert F]   pushes N sets of M trip records, one at a
**                              time, retrying through server restarts and
**                              re-authenticating; appends "seq" to FILE
**                              after each 2xx
** Exit status: 0 success, 2 usage, 1 failure.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>
#include "protocol/changeset.h"

static const char usage[] =
	"usage: fstool keygen DIR\n"
	"       fstool mkset --key DIR [--seq N] [--prev HEX] [--hlc HEX] "
	"[--no-save] < changes.json\n"
	"       fstool sign --key DIR < bytes\n"
	"       fstool hash < bytes\n"
	"       fstool authsign --key DIR CHALLENGE\n"
	"       fstool ticketauth --key DIR TICKET\n"
	"       fstool session --key DIR --url URL [--cacert F] "
	"[--local-seq N]\n"
	"       fstool load --key DIR --url URL --sets N --changes M "
	"--acked FILE [--cacert F]\n";

static int die_usage(const char *why)
{
	fprintf(stderr, "fstool: %s\n%s", why, usage);
	return 2;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap + 1), *np;

	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			np = realloc(buf, cap * 2 + 1);
			if (!np) {
				free(buf);
				return NULL;
			}
			buf = np;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

static int write_file(const char *dir, const char *name, const char *text,
		      int mode)
{
	char path[4096];
	int fd;
	size_t n = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n ||
	    write(fd, "\n", 1) != 1) {
		fprintf(stderr, "fstool: cannot write %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int read_line(const char *dir, const char *name, char *out, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || !fgets(out, (int)n, f)) {
		fprintf(stderr, "fstool: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	return 0;
}

typedef struct key {
	uint8_t sk[PROTO_SK_BYTES];
	uint8_t pk[PROTO_PK_BYTES];
	uint8_t id[PROTO_ID_BYTES];
	char idhex[PROTO_ID_HEX + 1];
} key;

static int key_load(const char *dir, key *k)
{
	char hex[PROTO_SK_BYTES * 2 + 8];

	if (read_line(dir, "sk", hex, sizeof(hex)) ||
	    proto_hex_decode(k->sk, PROTO_SK_BYTES, hex)) {
		fprintf(stderr, "fstool: %s/sk is not a secret key\n", dir);
		return -1;
	}
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	proto_device_id(k->pk, k->id);
	proto_hex_encode(k->idhex, k->id, PROTO_ID_BYTES);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_keygen(int argc, char **argv)
{
	key k;
	char hex[PROTO_SK_BYTES * 2 + 1], zeros[PROTO_HASH_HEX + 1];

	if (argc != 2)
		return die_usage("keygen takes DIR");
	if (mkdir(argv[1], 0700) && errno != EEXIST) {
		fprintf(stderr, "fstool: mkdir %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	proto_keypair(k.pk, k.sk);
	proto_device_id(k.pk, k.id);
	proto_hex_encode(k.idhex, k.id, PROTO_ID_BYTES);
	proto_hex_encode(hex, k.sk, PROTO_SK_BYTES);
	memset(zeros, '0', PROTO_HASH_HEX);
	zeros[PROTO_HASH_HEX] = 0;
	if (write_file(argv[1], "sk", hex, 0600))
		return 1;
	proto_hex_encode(hex, k.pk, PROTO_PK_BYTES);
	if (write_file(argv[1], "pk", hex, 0600) ||
	    write_file(argv[1], "id", k.idhex, 0600) ||
	    write_file(argv[1], "seq", "0", 0600) ||
	    write_file(argv[1], "head", zeros, 0600) ||
	    write_file(argv[1], "hlc", "0000000000000000", 0600))
		return 1;
	printf("%s\n", k.idhex);
	return 0;
}

/* Build and sign one set from a JSON array of changes. *out malloc'd:
** {"set":"...","sig":"..."}. Updates *seq/prev/hlc to the new head. */
static int make_set(const key *k, const cJSON *arr, int64_t seq,
		    uint8_t prev[PROTO_HASH_BYTES], proto_hlc *hlc,
		    char **bytes_out, size_t *blen, char sighex[PROTO_SIG_HEX + 1])
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	char **enc = calloc(n ? n : 1, sizeof(char *));
	size_t *lens = calloc(n ? n : 1, sizeof(size_t));
	const cJSON *it;
	proto_err e;
	uint8_t sig[PROTO_SIG_BYTES];
	int ret = -1;

	*bytes_out = NULL;
	if (!enc || !lens)
		goto out;
	cJSON_ArrayForEach(it, arr) {
		proto_change c;
		const cJSON *v;
		memset(&c, 0, sizeof(c));
		v = cJSON_GetObjectItemCaseSensitive(it, "id");
		if (cJSON_IsString(v))
			snprintf(c.id, sizeof(c.id), "%s", v->valuestring);
		else
			proto_id_new(c.id);
		v = cJSON_GetObjectItemCaseSensitive(it, "kind");
		c.kind = cJSON_IsString(v) ? proto_kind_find(v->valuestring)
					   : NULL;
		if (!c.kind) {
			fprintf(stderr, "fstool: change %zu: unknown kind\n", i);
			goto out;
		}
		v = cJSON_GetObjectItemCaseSensitive(it, "op");
		c.op = PROTO_OP_DELETE; /* an unknown op: delete, as before */
		if (!cJSON_IsString(v))
			c.op = PROTO_OP_CREATE;
		else
			for (int o = PROTO_OP_CREATE; o <= PROTO_OP_HANDOVER; o++)
				if (!strcmp(v->valuestring,
					    proto_op_name((proto_op)o)))
					c.op = (proto_op)o;
		v = cJSON_GetObjectItemCaseSensitive(it, "reason");
		c.reason = cJSON_IsString(v) ? v->valuestring : NULL;
		v = cJSON_GetObjectItemCaseSensitive(it, "to");
		if (cJSON_IsString(v))
			snprintf(c.to, sizeof(c.to), "%s", v->valuestring);
		v = cJSON_GetObjectItemCaseSensitive(it, "hlc");
		if (cJSON_IsString(v)) {
			if (proto_hlc_parse(v->valuestring, &c.hlc)) {
				fprintf(stderr, "fstool: change %zu: bad hlc\n",
					i);
				goto out;
			}
		} else {
			c.hlc = proto_hlc_tick(*hlc, now_ms());
		}
		*hlc = c.hlc;
		c.fields = cJSON_GetObjectItemCaseSensitive(it, "fields");
		c.base = cJSON_GetObjectItemCaseSensitive(it, "base");
		if (proto_change_encode(&c, &enc[i], &lens[i], &e) != PROTO_OK) {
			fprintf(stderr, "fstool: change %zu: %s: %s\n", i,
				proto_code_name(e.code), e.msg);
			goto out;
		}
		i++;
	}
	if (proto_set_encode(k->id, seq, prev, (const char *const *)enc, lens,
			     n, bytes_out, blen, &e) != PROTO_OK) {
		fprintf(stderr, "fstool: set: %s: %s\n", proto_code_name(e.code),
			e.msg);
		goto out;
	}
	proto_set_sign(*bytes_out, *blen, k->sk, sig);
	proto_hex_encode(sighex, sig, PROTO_SIG_BYTES);
	proto_set_hash(*bytes_out, *blen, prev);
	ret = 0;
out:
	for (i = 0; enc && i < n; i++)
		free(enc[i]);
	free(enc);
	free(lens);
	return ret;
}

static char *push_object(const char *bytes, const char *sighex)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(o, "set", bytes);
	cJSON_AddStringToObject(o, "sig", sighex);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static int cmd_mkset(int argc, char **argv)
{
	const char *dir = NULL, *seqs = NULL, *prevs = NULL, *hlcs = NULL;
	char line[256], sighex[PROTO_SIG_HEX + 1], *in, *bytes = NULL, *obj;
	uint8_t prev[PROTO_HASH_BYTES];
	proto_hlc hlc = 0;
	int64_t seq;
	size_t len, blen;
	int i, save = 1, ret = 1;
	cJSON *arr;
	key k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-save") == 0)
			save = 0;
		else if (i + 1 < argc && strcmp(argv[i], "--key") == 0)
			dir = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--seq") == 0)
			seqs = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--prev") == 0)
			prevs = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--hlc") == 0)
			hlcs = argv[++i];
		else
			return die_usage("mkset: unknown argument");
	}
	if (!dir || key_load(dir, &k))
		return die_usage("mkset needs --key DIR");
	if (read_line(dir, "seq", line, sizeof(line)))
		return 1;
	seq = seqs ? atoll(seqs) : atoll(line) + 1;
	if (read_line(dir, "head", line, sizeof(line)) ||
	    proto_hex_decode(prev, PROTO_HASH_BYTES, prevs ? prevs : line))
		return die_usage("mkset: bad --prev or DIR/head");
	if (read_line(dir, "hlc", line, sizeof(line)) ||
	    proto_hlc_parse(hlcs ? hlcs : line, &hlc))
		return die_usage("mkset: bad --hlc or DIR/hlc");
	if (hlcs)
		hlc -= 1; /* the first change gets exactly --hlc */
	in = read_all(stdin, &len);
	arr = in ? cJSON_ParseWithLength(in, len) : NULL;
	free(in);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return die_usage("mkset: stdin must be a JSON array of changes");
	}
	if (hlcs) {
		/* --hlc H: the changes get H, H+1, ... unless they say. */
		cJSON *it;
		proto_hlc h = hlc + 1;
		char hx[PROTO_HLC_HEX + 1];
		cJSON_ArrayForEach(it, arr) {
			if (!cJSON_GetObjectItemCaseSensitive(it, "hlc")) {
				proto_hlc_format(hx, h++);
				cJSON_AddStringToObject(it, "hlc", hx);
			}
		}
	}
	if (make_set(&k, arr, seq, prev, &hlc, &bytes, &blen, sighex))
		goto out;
	obj = push_object(bytes, sighex);
	printf("%s\n", obj);
	free(obj);
	if (save) {
		char hx[PROTO_HASH_HEX + 1];
		snprintf(line, sizeof(line), "%lld", (long long)seq);
		proto_hex_encode(hx, prev, PROTO_HASH_BYTES);
		if (write_file(dir, "seq", line, 0600) ||
		    write_file(dir, "head", hx, 0600))
			goto out;
		proto_hlc_format(line, hlc);
		if (write_file(dir, "hlc", line, 0600))
			goto out;
	}
	ret = 0;
out:
	free(bytes);
	cJSON_Delete(arr);
	return ret;
}

static int cmd_sign_hash(int argc, char **argv, int sign)
{
	uint8_t out[PROTO_SIG_BYTES];
	char hex[PROTO_SIG_HEX + 1];
	size_t len;
	char *in;
	key k;

	if (sign && (argc != 3 || strcmp(argv[1], "--key") ||
		     key_load(argv[2], &k)))
		return die_usage("sign needs --key DIR");
	in = read_all(stdin, &len);
	if (!in)
		return 1;
	if (sign) {
		proto_set_sign(in, len, k.sk, out);
		proto_hex_encode(hex, out, PROTO_SIG_BYTES);
	} else {
		proto_set_hash(in, len, out);
		proto_hex_encode(hex, out, PROTO_HASH_BYTES);
	}
	free(in);
	printf("%s\n", hex);
	return 0;
}

static int cmd_authsign(int argc, char **argv)
{
	char sig[PROTO_SIG_HEX + 1];
	key k;

	if (argc != 4 || strcmp(argv[1], "--key") || key_load(argv[2], &k))
		return die_usage("authsign needs --key DIR CHALLENGE");
	proto_auth_sign(argv[3], k.sk, sig);
	printf("%s\n", sig);
	return 0;
}

/* "Ticket DEVICE.TICKET.SIGNATURE": the Authorization of a /v3/sync. */
static int cmd_ticketauth(int argc, char **argv)
{
	char sig[PROTO_SIG_HEX + 1];
	key k;

	if (argc != 4 || strcmp(argv[1], "--key") || key_load(argv[2], &k))
		return die_usage("ticketauth needs --key DIR TICKET");
	proto_sync_sign(argv[3], k.sk, sig);
	printf("Ticket %s.%s.%s\n", k.idhex, argv[3], sig);
	return 0;
}

/* ---- HTTP ---------------------------------------------------------- */

typedef struct http {
	CURL *c;
	const char *url;
	const char *cacert;
	char session[80];
	char *body;
	size_t len;
} http;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	http *h = ud;
	char *np = realloc(h->body, h->len + sz * n + 1);

	if (!np)
		return 0;
	h->body = np;
	memcpy(h->body + h->len, p, sz * n);
	h->len += sz * n;
	h->body[h->len] = 0;
	return sz * n;
}

/* POST JSON to path; returns the HTTP status, 0 if no answer. */
static long post(http *h, const char *path, const char *json, int auth)
{
	struct curl_slist *hd = NULL;
	char url[1024], bearer[128];
	long status = 0;

	free(h->body);
	h->body = NULL;
	h->len = 0;
	snprintf(url, sizeof(url), "%s%s", h->url, path);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Expect:");
	if (auth) {
		snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
			 h->session);
		hd = curl_slist_append(hd, bearer);
	}
	curl_easy_reset(h->c);
	curl_easy_setopt(h->c, CURLOPT_URL, url);
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h->c, CURLOPT_TIMEOUT, 30L);
	/* As the curl tool does: CURL_CA_BUNDLE when no --cacert (the tests'
	** HTTPS runs set it). */
	if (!h->cacert && getenv("CURL_CA_BUNDLE") && *getenv("CURL_CA_BUNDLE"))
		h->cacert = getenv("CURL_CA_BUNDLE");
	if (h->cacert)
		curl_easy_setopt(h->c, CURLOPT_CAINFO, h->cacert);
	if (curl_easy_perform(h->c) == CURLE_OK)
		curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	return status;
}

static const char *member(const char *body, const char *name, char *out,
			  size_t n)
{
	cJSON *o = body ? cJSON_Parse(body) : NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	out[0] = 0;
	if (cJSON_IsString(v))
		snprintf(out, n, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(out, n, "%.0f", v->valuedouble);
	cJSON_Delete(o);
	return out;
}

static int authenticate(http *h, const key *k, long long local_seq)
{
	char json[512], ch[128], sig[PROTO_SIG_HEX + 1];
	long st;

	snprintf(json, sizeof(json), "{\"device\":\"%s\"}", k->idhex);
	st = post(h, "/v2/auth/challenge", json, 0);
	if (st != 200) {
		fprintf(stderr, "fstool: challenge: %ld %s\n", st,
			h->body ? h->body : "");
		return -1;
	}
	member(h->body, "challenge", ch, sizeof(ch));
	proto_auth_sign(ch, k->sk, sig);
	snprintf(json, sizeof(json), "{\"device\":\"%s\",\"challenge\":"
		 "\"%s\",\"signature\":\"%s\",\"local_seq\":%lld}",
		 k->idhex, ch, sig, local_seq < 0 ? 0 : local_seq);
	st = post(h, "/v2/auth/session", json, 0);
	if (st != 200) {
		fprintf(stderr, "fstool: session: %ld %s\n", st,
			h->body ? h->body : "");
		return -1;
	}
	member(h->body, "session", h->session, sizeof(h->session));
	return 0;
}

typedef struct netopts {
	const char *dir, *url, *cacert, *acked;
	long long sets, changes, local_seq;
} netopts;

static int net_args(int argc, char **argv, netopts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->local_seq = -1;
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--key") == 0)
			o->dir = argv[i + 1];
		else if (strcmp(argv[i], "--url") == 0)
			o->url = argv[i + 1];
		else if (strcmp(argv[i], "--cacert") == 0)
			o->cacert = argv[i + 1];
		else if (strcmp(argv[i], "--acked") == 0)
			o->acked = argv[i + 1];
		else if (strcmp(argv[i], "--sets") == 0)
			o->sets = atoll(argv[i + 1]);
		else if (strcmp(argv[i], "--changes") == 0)
			o->changes = atoll(argv[i + 1]);
		else if (strcmp(argv[i], "--local-seq") == 0)
			o->local_seq = atoll(argv[i + 1]);
		else
			return -1;
	}
	return i == argc && o->dir && o->url ? 0 : -1;
}

static int cmd_session(int argc, char **argv)
{
	netopts o;
	http h;
	key k;
	int rc;

	if (net_args(argc, argv, &o) || key_load(o.dir, &k))
		return die_usage("session needs --key DIR --url URL");
	memset(&h, 0, sizeof(h));
	h.c = curl_easy_init();
	h.url = o.url;
	h.cacert = o.cacert;
	rc = authenticate(&h, &k, o.local_seq);
	if (rc == 0)
		printf("%s\n", h.session);
	free(h.body);
	curl_easy_cleanup(h.c);
	return rc ? 1 : 0;
}

/* Push sets one by one through server restarts: a set is re-sent until the
** server answers 2xx, so every seq written to the acked file was
** acknowledged. */
static int cmd_load(int argc, char **argv)
{
	netopts o;
	http h;
	key k;
	uint8_t prev[PROTO_HASH_BYTES];
	proto_hlc hlc = 0;
	char *bytes = NULL, *obj = NULL, *body = NULL, sighex[PROTO_SIG_HEX + 1];
	size_t blen, bodylen;
	long long s, c;
	int64_t deadline;
	long st;
	FILE *acked = NULL;
	int ret = 1, authed = 0;

	if (net_args(argc, argv, &o) || !o.acked || o.sets < 1 ||
	    o.changes < 1 || key_load(o.dir, &k))
		return die_usage("load needs --key --url --sets --changes "
				 "--acked");
	memset(&h, 0, sizeof(h));
	h.c = curl_easy_init();
	h.url = o.url;
	h.cacert = o.cacert;
	memset(prev, 0, sizeof(prev));
	acked = fopen(o.acked, "a");
	if (!acked)
		goto out;
	for (s = 1; s <= o.sets; s++) {
		cJSON *arr = cJSON_CreateArray();
		for (c = 0; c < o.changes; c++) {
			cJSON *ch = cJSON_CreateObject(), *f;
			cJSON_AddStringToObject(ch, "kind", "trip");
			cJSON_AddStringToObject(ch, "op", "create");
			f = cJSON_AddObjectToObject(ch, "fields");
			cJSON_AddStringToObject(f, "expert", "Nguyễn Thị Hoa");
			cJSON_AddStringToObject(f, "specialty", "veterinary");
			cJSON_AddStringToObject(f, "province", "Salavan");
			cJSON_AddStringToObject(f, "start", "2026-04-10");
			cJSON_AddNumberToObject(f, "patients",
						(double)((s * 100 + c) % 1000000));
			cJSON_AddItemToArray(arr, ch);
		}
		free(bytes);
		bytes = NULL;
		if (make_set(&k, arr, s, prev, &hlc, &bytes, &blen, sighex)) {
			cJSON_Delete(arr);
			goto out;
		}
		cJSON_Delete(arr);
		free(obj);
		obj = push_object(bytes, sighex);
		bodylen = strlen(obj) + 16;
		free(body);
		body = malloc(bodylen);
		snprintf(body, bodylen, "{\"sets\":[%s]}", obj);
		deadline = now_ms() + 120000;
		for (;;) {
			if (now_ms() > deadline) {
				fprintf(stderr, "fstool: set %lld: no answer "
					"for 120 s\n", s);
				goto out;
			}
			if (!authed && authenticate(&h, &k, -1)) {
				usleep(100000);
				continue;
			}
			authed = 1;
			st = post(&h, "/v2/push", body, 1);
			if (st == 200)
				break;
			if (st == 401) {
				authed = 0;
				continue;
			}
			if (st >= 400 && st != 503) {
				fprintf(stderr, "fstool: set %lld refused: %ld "
					"%s\n", s, st, h.body ? h.body : "");
				goto out;
			}
			usleep(100000); /* down or restarting */
		}
		fprintf(acked, "%lld\n", s);
		fflush(acked);
	}
	ret = 0;
out:
	if (acked)
		fclose(acked);
	free(bytes);
	free(obj);
	free(body);
	free(h.body);
	curl_easy_cleanup(h.c);
	return ret;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2)
		return die_usage("a command is needed");
	if (strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (proto_init() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "fstool: cannot initialise\n");
		return 1;
	}
	if (strcmp(argv[1], "keygen") == 0)
		rc = cmd_keygen(argc - 1, argv + 1);
	else if (strcmp(argv[1], "mkset") == 0)
		rc = cmd_mkset(argc - 1, argv + 1);
	else if (strcmp(argv[1], "sign") == 0)
		rc = cmd_sign_hash(argc - 1, argv + 1, 1);
	else if (strcmp(argv[1], "hash") == 0)
		rc = cmd_sign_hash(argc - 1, argv + 1, 0);
	else if (strcmp(argv[1], "authsign") == 0)
		rc = cmd_authsign(argc - 1, argv + 1);
	else if (strcmp(argv[1], "ticketauth") == 0)
		rc = cmd_ticketauth(argc - 1, argv + 1);
	else if (strcmp(argv[1], "session") == 0)
		rc = cmd_session(argc - 1, argv + 1);
	else if (strcmp(argv[1], "load") == 0)
		rc = cmd_load(argc - 1, argv + 1);
	else
		rc = die_usage("unknown command");
	curl_global_cleanup();
	return rc;
}
