/*
** This file contains mkvectors, the generator of the protocol test vectors
** in protocol/vectors/ (format: protocol/vectors/README.md). It is
** deterministic: keys come from fixed seeds (crypto_sign_seed_keypair),
** HLCs and record ids are fixed, Ed25519 signatures are deterministic, so
** running it again writes the same bytes. The committed files are what the
** tests read; this program is how anyone can regenerate or extend them.
**
** The change-set bytes are written out by hand below in their canonical form
** (SPEC.md / changeset.h), not produced by proto_change_encode: the tests then
** check the encoder against them. Hashes, signatures and device ids are
** computed here straight from the spec with libsodium (BLAKE2b, Ed25519), not
** through libproto, so the vectors also check libproto's own code. Every
** expected result ("expect", "decode", "verify", "chain", conflicts, merge
** winners) is written by hand next to the input it describes.
**
** Usage: mkvectors OUTDIR [CORPUSDIR]
**   writes OUTDIR/keys.json, OUTDIR/sets/NAME.bytes + NAME.json,
**   OUTDIR/merge.json; with CORPUSDIR also copies every valid set's bytes
**   there as fuzzing seeds. Exit status 0 on success, 1 on any error.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include <cjson/cJSON.h>

#include "protocol/proto.h"
#include "protocol/wire.h"
#include "protocol/zdict.h"

/* ---- small helpers (the tool exits on failure; libraries never do) ---- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("mkvectors: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* printf into a new malloc'd string. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0)
		die("vsnprintf failed");
	s = malloc((size_t)n + 1);
	if (!s)
		die("out of memory");
	va_start(ap, f);
	if (vsnprintf(s, (size_t)n + 1, f, ap) != n)
		die("vsnprintf changed its mind");
	va_end(ap);
	return s;
}

static char *hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (!s)
		die("out of memory");
	proto_hex_encode(s, b, n);
	return s;
}

static void write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		die("%s: %s", path, strerror(errno));
	if (len && fwrite(buf, 1, len, f) != len)
		die("%s: short write", path);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

static void write_json(const char *path, const cJSON *j)
{
	char *text = cJSON_Print(j);
	char *withnl;
	if (!text)
		die("out of memory");
	withnl = fmt("%s\n", text);
	write_file(path, withnl, strlen(withnl));
	free(text);
	free(withnl);
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
}

/* ---- keys ------------------------------------------------------------- */

typedef struct key {
	const char *name;
	uint8_t seed[32];
	uint8_t pk[32];
	uint8_t sk[64];
	uint8_t id[16];
	char *pk_hex, *sk_hex, *id_hex, *seed_hex;
} key;

static key alice = {.name = "alice"}, bob = {.name = "bob"},
	   hq = {.name = "hq"};

static void key_make(key *k, uint8_t first)
{
	for (int i = 0; i < 32; i++)
		k->seed[i] = (uint8_t)(first + i);
	if (crypto_sign_seed_keypair(k->pk, k->sk, k->seed) != 0)
		die("crypto_sign_seed_keypair failed");
	/* Device id = BLAKE2b-128 of the public key (NOTES "Identity"). */
	crypto_generichash(k->id, 16, k->pk, 32, NULL, 0);
	k->pk_hex = hex(k->pk, 32);
	k->sk_hex = hex(k->sk, 64);
	k->id_hex = hex(k->id, 16);
	k->seed_hex = hex(k->seed, 32);
}

/* ---- hashing and signing, straight from the spec ----------------------- */

static void hash_bytes(const char *b, size_t n, uint8_t out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)b, n, NULL, 0);
}

/* Ed25519 over "fieldsync changeset v2\n" || BLAKE2b-256(bytes). */
static char *sign_bytes(const char *b, size_t n, const key *k)
{
	static const char dom[] = "fieldsync changeset v2\n";
	unsigned char msg[sizeof dom - 1 + 32];
	uint8_t sig[64];

	memcpy(msg, dom, sizeof dom - 1);
	hash_bytes(b, n, msg + sizeof dom - 1);
	crypto_sign_detached(sig, NULL, msg, sizeof msg, k->sk);
	return hex(sig, 64);
}

/* ---- fixed HLCs, ids, stamps ------------------------------------------ */

/* 2026-03-29T00:00:00Z in ms (the 2026-2030 memorandum's signing day). */
#define T0 (20541LL * 86400 * 1000)

static char *H(int k) /* HLC k milliseconds after T0, counter 0 */
{
	char buf[17];

	snprintf(buf, sizeof buf, "%016llx",
		 (unsigned long long)((uint64_t)(T0 + k) << 16));
	return fmt("%s", buf);
}

static char *S(int k, const key *who) /* stamp text of (H(k), who) */
{
	char *h = H(k), *s = fmt("%s-%s", h, who->id_hex);
	free(h);
	return s;
}

static const char ZERO64[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

#define MODEL1   "a1000000000000000000000000000001"
#define MODEL2   "a1000000000000000000000000000002"
#define PROG1    "a2000000000000000000000000000001"
#define PROG2    "a2000000000000000000000000000002"
#define VISIT1   "a3000000000000000000000000000001"
#define TRIP1    "a4000000000000000000000000000001"
#define SCHOL1   "a6000000000000000000000000000001"
#define WORK1    "a7000000000000000000000000000001"
#define WPROG1   "a8000000000000000000000000000001"

/* ---- change sets ------------------------------------------------------- */

static char *set_bytes(const key *k, long long seq, const char *prev,
		       const char *changes)
{
	return fmt("{\"v\":2,\"device\":\"%s\",\"seq\":%lld,\"prev\":\"%s\","
		   "\"changes\":[%s]}", k->id_hex, seq, prev, changes);
}

/* A model create with the given fields text (between the braces). */
static char *model_create(const char *id, int hlc, const char *fields)
{
	char *h = H(hlc);
	char *s = fmt("{\"id\":\"%s\",\"kind\":\"model\",\"op\":\"create\","
		      "\"hlc\":\"%s\",\"fields\":{%s}}", id, h, fields);
	free(h);
	return s;
}

#define F0 "\"crop\":\"Sticky maize\",\"province\":\"Salavan\"," \
	   "\"planned_ha\":3.8,\"planned_households\":42"

static const char *outdir, *corpusdir;
static int nsets;

typedef struct vec {
	const char *name;
	const char *desc;
	const char *bytes;       /* exact bytes (may hold any byte) */
	size_t len;
	const key *signer;       /* who made sig (NULL: sig given) */
	const char *sig;         /* if signer is NULL */
	const key *pk;           /* public key to verify with */
	long long held_seq;
	const char *held_hash;   /* NULL: zeros */
	const char *decode;      /* expected result of each step */
	const char *verify;
	const char *chain;       /* NULL: not checked (decode failed) */
	int is_next;             /* when chain is "ok" */
	int index;               /* offending change, -1 for the set */
	long long seq;           /* seq read (decoded, or named by a
				 ** refusal, SPEC 10.2); 0: not readable */
	const char *names;       /* text the message must contain, or NULL */
	int canonical;           /* bytes are the canonical encoding */
} vec;

static void emit(const vec *v)
{
	char *path, *sig;
	uint8_t h[32];
	char *hh;
	cJSON *j = cJSON_CreateObject();
	const char *expect;

	if (!j)
		die("out of memory");
	/* "expect" is the first step that fails, in the order a receiver
	** runs them: decode, verify, chain (README.md). */
	expect = strcmp(v->decode, "ok") ? v->decode
	       : strcmp(v->verify, "ok") ? v->verify
	       : v->chain ? v->chain : "ok";
	if (strcmp(v->decode, "ok") == 0 && !v->chain)
		die("%s: a decodable set needs a chain expectation", v->name);
	sig = v->signer ? sign_bytes(v->bytes, v->len, v->signer)
			: fmt("%s", v->sig);
	hash_bytes(v->bytes, v->len, h);
	hh = hex(h, 32);

	cJSON_AddStringToObject(j, "name", v->name);
	cJSON_AddStringToObject(j, "description", v->desc);
	path = fmt("%s.bytes", v->name);
	cJSON_AddStringToObject(j, "bytes_file", path);
	free(path);
	cJSON_AddNumberToObject(j, "length", (double)v->len);
	cJSON_AddStringToObject(j, "hash", hh);
	cJSON_AddStringToObject(j, "public_key", v->pk->pk_hex);
	cJSON_AddStringToObject(j, "key", v->pk->name);
	cJSON_AddStringToObject(j, "sig", sig);
	if (v->signer)
		cJSON_AddStringToObject(j, "signed_by", v->signer->name);
	else
		cJSON_AddNullToObject(j, "signed_by");
	cJSON_AddNumberToObject(j, "held_seq", (double)v->held_seq);
	cJSON_AddStringToObject(j, "held_hash",
				v->held_hash ? v->held_hash : ZERO64);
	cJSON_AddStringToObject(j, "expect", expect);
	cJSON_AddStringToObject(j, "decode", v->decode);
	cJSON_AddStringToObject(j, "verify", v->verify);
	if (v->chain)
		cJSON_AddStringToObject(j, "chain", v->chain);
	else
		cJSON_AddNullToObject(j, "chain");
	if (v->chain && strcmp(v->chain, "ok") == 0)
		cJSON_AddBoolToObject(j, "is_next", v->is_next);
	else
		cJSON_AddNullToObject(j, "is_next");
	cJSON_AddNumberToObject(j, "index", v->index);
	if (v->seq > 0)
		cJSON_AddNumberToObject(j, "seq", (double)v->seq);
	else
		cJSON_AddNullToObject(j, "seq");
	if (v->names)
		cJSON_AddStringToObject(j, "message_names", v->names);
	else
		cJSON_AddNullToObject(j, "message_names");
	cJSON_AddBoolToObject(j, "canonical", v->canonical);

	path = fmt("%s/sets/%s.bytes", outdir, v->name);
	write_file(path, v->bytes, v->len);
	free(path);
	path = fmt("%s/sets/%s.json", outdir, v->name);
	write_json(path, j);
	free(path);
	if (corpusdir && strcmp(expect, "ok") == 0) {
		path = fmt("%s/seed_%s", corpusdir, v->name);
		write_file(path, v->bytes, v->len);
		free(path);
	}
	cJSON_Delete(j);
	free(sig);
	free(hh);
	nsets++;
}

/* A decode failure: a set signed correctly by alice whose bytes the
** strict decoder must refuse with `code`; seq: what the refusal names
** (0 when the seq is not readable, SPEC 10.2). */
static void bad(const char *name, const char *desc, const char *bytes,
		const char *code, int index, const char *names, long long seq)
{
	vec v = {.name = name, .desc = desc, .bytes = bytes,
		 .len = strlen(bytes), .signer = &alice, .pk = &alice,
		 .decode = code, .verify = "ok", .index = index,
		 .names = names, .seq = seq};
	emit(&v);
}

/* A set of alice, seq 1, with the given changes. */
static void bad1(const char *name, const char *desc, const char *change,
		 const char *code, int index, const char *names,
		 long long seq)
{
	char *b = set_bytes(&alice, 1, ZERO64, change);
	bad(name, desc, b, code, index, names, seq);
	free(b);
}

/* A set of alice, seq 1, with one create of kind with the given fields. */
static void badk(const char *name, const char *desc, const char *kind,
		 const char *fields, const char *code, const char *names)
{
	char *h = H(1);
	char *c = fmt("{\"id\":\"%s\",\"kind\":\"%s\",\"op\":\"create\","
		      "\"hlc\":\"%s\",\"fields\":{%s}}",
		      strcmp(kind, "work") == 0 ? WORK1 : SCHOL1, kind, h,
		      fields);
	bad1(name, desc, c, code, 0, names, 1);
	free(c);
	free(h);
}

/* Scholarship fields up to (not including) allowance. */
#define SCH0 "\"province\":\"Attapeu\",\"academic_year\":\"2026-2027\"," \
	"\"level\":\"university\",\"school\":\"Trường Đại học Quy Nhơn\"," \
	"\"awarded\":20"
#define WRK0 "\"province\":\"Attapeu\",\"name\":\"Bệnh viện nhỏ Văng " \
	"Tắt\",\"sector\":\"health\""

/* A set of alice, seq 1, with one model create of the given fields. */
static void badf(const char *name, const char *desc, const char *fields,
		 const char *code, const char *names)
{
	char *c = model_create(MODEL2, 1, fields);
	bad1(name, desc, c, code, 0, names, 1);
	free(c);
}

static void sets(void)
{
	char *h1 = H(1), *h2 = H(2), *h3 = H(3), *h4 = H(4), *h5 = H(5),
	     *h6 = H(6), *h7 = H(7), *h8 = H(8);
	char *sA1 = S(1, &alice);
	char *c, *c2, *v1, *v2, *v3, *v4, *b;
	uint8_t hash[32];
	char *hv1, *hv2, *hv4;

	/* -- valid sets: Vietnamese and Lao text, 3.8 ha, every op, every
	**    kind; written in canonical form (members in order, fields in
	**    table order, no whitespace, non-ASCII raw, "\n" escaped). */
	c = fmt("{\"id\":\"" MODEL1 "\",\"kind\":\"model\",\"op\":\"create\","
		"\"hlc\":\"%s\",\"fields\":{\"crop\":\"Mô hình ngô nếp\","
		"\"sector\":\"agriculture\",\"province\":\"Salavan\","
		"\"district\":\"ສາລະວັນ\",\"village\":\"ບ້ານໜອງບົວ\","
		"\"planned_ha\":5,\"planned_households\":42,"
		"\"season\":\"Vụ mùa 2025\",\"start\":\"2025-05-10\"}},"
		"{\"id\":\"" PROG1 "\",\"kind\":\"progress\",\"op\":\"create\","
		"\"hlc\":\"%s\",\"fields\":{\"model\":\"" MODEL1 "\","
		"\"date\":\"2025-07-15\",\"sown_ha\":3.8,\"households\":42,"
		"\"notes\":\"Đã gieo 3,8 ha; 1,2 ha còn lại đang hoàn thành.\\n"
		"ສາລະວັນ\"}}", h1, h2);
	v1 = set_bytes(&alice, 1, ZERO64, c);
	free(c);
	hash_bytes(v1, strlen(v1), hash);
	hv1 = hex(hash, 32);
	{
		vec v = {.name = "valid_model_progress",
			 .desc = "alice's first set: a model (Vietnamese and "
				 "Lao text) and its progress, 3.8 ha sown",
			 .bytes = v1, .len = strlen(v1), .signer = &alice,
			 .pk = &alice, .decode = "ok", .verify = "ok",
			 .chain = "ok", .is_next = 1, .index = -1, .seq = 1,
			 .canonical = 1};
		emit(&v);
	}

	c = fmt("{\"id\":\"" VISIT1 "\",\"kind\":\"visit\",\"op\":\"create\","
		"\"hlc\":\"%s\",\"fields\":{\"direction\":\"out\","
		"\"province\":\"Attapeu\",\"leader\":\"Nguyễn Thị Hoa\","
		"\"title\":\"Phó Giám đốc Sở Ngoại vụ\",\"members\":12,"
		"\"sector\":\"foreign-affairs\","
		"\"host\":\"ພະແນກການຕ່າງປະເທດ ແຂວງອັດຕະປື\","
		"\"start\":\"2026-04-13\",\"end\":\"2026-04-15\","
		"\"purpose\":\"Chúc Tết Bunpimay; ສະບາຍດີປີໃໝ່\","
		"\"outcome\":\"Ký kế hoạch hợp tác năm 2026\"}},"
		"{\"id\":\"" TRIP1 "\",\"kind\":\"trip\",\"op\":\"create\","
		"\"hlc\":\"%s\",\"fields\":{\"expert\":\"BS. Trần Văn Minh\","
		"\"experts\":3,\"specialty\":\"surgery\",\"sector\":\"health\","
		"\"department\":\"Sở Y tế Gia Lai\",\"province\":\"Sekong\","
		"\"site\":\"Sekong provincial hospital\","
		"\"start\":\"2026-05-04\",\"end\":\"2026-05-15\","
		"\"trainings\":4,\"trained\":3,\"patients\":120,"
		"\"outcome\":\"Phẫu thuật nội soi tán sỏi thận \\\"ca khó\\\"\"}},"
		"{\"id\":\"" MODEL1 "\",\"kind\":\"model\",\"op\":\"update\","
		"\"hlc\":\"%s\",\"fields\":{\"crop\":\"Ngô nếp\","
		"\"planned_ha\":5.25},\"base\":{\"crop\":\"%s\","
		"\"planned_ha\":\"%s\"}},"
		"{\"id\":\"" VISIT1 "\",\"kind\":\"visit\",\"op\":\"delete\","
		"\"hlc\":\"%s\",\"reason\":\"recorded twice\"}", h3, h4, h5, sA1, sA1, h6);
	v2 = set_bytes(&alice, 2, hv1, c);
	free(c);
	hash_bytes(v2, strlen(v2), hash);
	hv2 = hex(hash, 32);
	{
		vec v = {.name = "valid_all_ops",
			 .desc = "alice's second set: visit and trip created, "
				 "the model updated with a base, the visit "
				 "deleted; chained to valid_model_progress",
			 .bytes = v2, .len = strlen(v2), .signer = &alice,
			 .pk = &alice, .held_seq = 1, .held_hash = hv1,
			 .decode = "ok", .verify = "ok", .chain = "ok",
			 .is_next = 1, .index = -1, .seq = 2, .canonical = 1};
		emit(&v);
	}

	c = fmt("{\"id\":\"" PROG2 "\",\"kind\":\"progress\",\"op\":\"create\","
		"\"hlc\":\"%s\",\"fields\":{\"model\":\"" MODEL1 "\","
		"\"date\":\"2025-08-20\",\"sown_ha\":5,\"households\":42}}", h7);
	v3 = set_bytes(&alice, 3, hv2, c);
	free(c);
	{
		vec v = {.name = "valid_seq3",
			 .desc = "alice's third set, chained to valid_all_ops",
			 .bytes = v3, .len = strlen(v3), .signer = &alice,
			 .pk = &alice, .held_seq = 2, .held_hash = hv2,
			 .decode = "ok", .verify = "ok", .chain = "ok",
			 .is_next = 1, .index = -1, .seq = 3, .canonical = 1};
		emit(&v);
		v.name = "sequence_gap";
		v.desc = "valid_seq3's bytes when the receiver holds only "
			 "seq 1: seq 2 is missing";
		v.held_seq = 1;
		v.held_hash = hv1;
		v.chain = "sequence_gap";
		emit(&v);
	}

	c = fmt("{\"id\":\"" MODEL1 "\",\"kind\":\"model\",\"op\":\"update\","
		"\"hlc\":\"%s\",\"fields\":{\"crop\":\"Ngô nếp tím\"},"
		"\"base\":{\"crop\":\"%s\"}}", h8, sA1);
	v4 = set_bytes(&bob, 1, ZERO64, c);
	free(c);
	hash_bytes(v4, strlen(v4), hash);
	hv4 = hex(hash, 32);
	{
		vec v = {.name = "valid_bob_update",
			 .desc = "bob's first set: an update of alice's model "
				 "naming the value he saw",
			 .bytes = v4, .len = strlen(v4), .signer = &bob,
			 .pk = &bob, .decode = "ok", .verify = "ok",
			 .chain = "ok", .is_next = 1, .index = -1, .seq = 1,
			 .canonical = 1};
		emit(&v);
	}

	/* 66 Lao letters of 3 bytes + 2 ASCII = exactly 200 bytes. */
	{
		char lao[300] = "";
		for (int i = 0; i < 66; i++)
			strcat(lao, "ນ");
		strcat(lao, "ab");
		c2 = fmt("\"crop\":\"%s\",\"province\":\"Salavan\","
			 "\"planned_ha\":3.8,\"planned_households\":42", lao);
		c = model_create(MODEL2, 1, c2);
		b = set_bytes(&alice, 1, ZERO64, c);
		vec v = {.name = "valid_name_200_bytes",
			 .desc = "a name of exactly 200 bytes (66 Lao letters "
				 "and 2 ASCII): the limit counts bytes",
			 .bytes = b, .len = strlen(b), .signer = &alice,
			 .pk = &alice, .decode = "ok", .verify = "ok",
			 .chain = "ok", .is_next = 1, .index = -1, .seq = 1,
			 .canonical = 1};
		emit(&v);
		free(b);
		free(c);
		free(c2);
		/* One more Lao letter instead of "ab": 201 bytes. */
		strcpy(lao + 66 * 3, "ນ");
		c2 = fmt("\"crop\":\"%s\",\"province\":\"Salavan\","
			 "\"planned_ha\":3.8,\"planned_households\":42", lao);
		badf("name_201_bytes", "a name of 201 bytes (67 Lao letters)",
		     c2, "too_long", "crop");
		free(c2);
	}

	/* Any member order decodes (not canonical: the receiver keeps the
	** bytes, so this is fine). */
	b = fmt("{\"changes\":[{\"fields\":{\"planned_households\":42,"
		"\"planned_ha\":3.8,\"province\":\"Salavan\","
		"\"crop\":\"Sticky maize\"},\"hlc\":\"%s\",\"op\":\"create\","
		"\"kind\":\"model\",\"id\":\"" MODEL2 "\"}],\"prev\":\"%s\","
		"\"seq\":1,\"device\":\"%s\",\"v\":2}", h1, ZERO64,
		alice.id_hex);
	{
		vec v = {.name = "valid_member_order",
			 .desc = "members and fields in reverse order: decoders "
				 "accept any order (not the canonical bytes)",
			 .bytes = b, .len = strlen(b), .signer = &alice,
			 .pk = &alice, .decode = "ok", .verify = "ok",
			 .chain = "ok", .is_next = 1, .index = -1, .seq = 1,
			 .canonical = 0};
		emit(&v);
	}
	free(b);

	/* Created and edited before the device synced: one set writes the
	** same field twice (the second write's base is the first). */
	{
		char *sq = S(1, &hq);
		c = fmt("{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
			"\"op\":\"create\",\"hlc\":\"%s\",\"fields\":{%s}},"
			"{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
			"\"op\":\"update\",\"hlc\":\"%s\",\"fields\":"
			"{\"planned_ha\":5},\"base\":{\"planned_ha\":\"%s\"}}",
			h1, F0, h2, sq);
		b = set_bytes(&hq, 1, ZERO64, c);
		vec v = {.name = "valid_create_then_update",
			 .desc = "hq's first set: a model created, then its "
				 "planned_ha corrected in the same set",
			 .bytes = b, .len = strlen(b), .signer = &hq,
			 .pk = &hq, .decode = "ok", .verify = "ok",
			 .chain = "ok", .is_next = 1, .index = -1, .seq = 1,
			 .canonical = 1};
		emit(&v);
		free(b);
		free(c);
		free(sq);
	}

	/* -- chain --------------------------------------------------------- */
	{
		vec v = {.name = "chain_old",
			 .desc = "valid_model_progress (seq 1) when the receiver "
				 "already holds seq 2: not next; the caller "
				 "compares bytes (duplicate or fork)",
			 .bytes = v1, .len = strlen(v1), .signer = &alice,
			 .pk = &alice, .held_seq = 2, .held_hash = hv2,
			 .decode = "ok", .verify = "ok", .chain = "ok",
			 .is_next = 0, .index = -1, .seq = 1, .canonical = 1};
		emit(&v);
	}
	c = fmt("{\"id\":\"" PROG2 "\",\"kind\":\"progress\",\"op\":\"create\","
		"\"hlc\":\"%s\",\"fields\":{\"model\":\"" MODEL1 "\","
		"\"date\":\"2025-08-20\",\"sown_ha\":5,\"households\":42}}", h7);
	b = set_bytes(&alice, 2, hv4, c);
	{
		vec v = {.name = "wrong_prev",
			 .desc = "alice's seq 2 whose prev is the hash of bob's "
				 "set, not of her seq 1",
			 .bytes = b, .len = strlen(b), .signer = &alice,
			 .pk = &alice, .held_seq = 1, .held_hash = hv1,
			 .decode = "ok", .verify = "ok",
			 .chain = "chain_broken", .index = -1, .seq = 2,
			 .canonical = 1};
		emit(&v);
	}
	free(b);
	b = set_bytes(&alice, 1, hv4, c);
	{
		vec v = {.name = "first_prev_not_zero",
			 .desc = "seq 1 must have prev = 64 zeros",
			 .bytes = b, .len = strlen(b), .signer = &alice,
			 .pk = &alice, .decode = "ok", .verify = "ok",
			 .chain = "chain_broken", .index = -1, .seq = 1,
			 .canonical = 1};
		emit(&v);
	}
	free(b);
	free(c);

	/* -- signatures and damaged bytes ---------------------------------- */
	{
		char *sig = sign_bytes(v1, strlen(v1), &alice);
		char *s2;
		vec v = {.bytes = v1, .len = strlen(v1), .pk = &alice,
			 .decode = "ok", .verify = "bad_signature_length",
			 .chain = "ok", .is_next = 1, .index = -1, .seq = 1,
			 .canonical = 1};

		s2 = fmt("%.126s", sig);
		v.name = "sig_short";
		v.desc = "valid_model_progress with its signature cut to 63 "
			 "bytes";
		v.sig = s2;
		emit(&v);
		free(s2);
		s2 = fmt("%s00", sig);
		v.name = "sig_long";
		v.desc = "the signature with one byte appended (65 bytes)";
		v.sig = s2;
		emit(&v);
		for (char *p = s2; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		s2[128] = '\0';
		v.name = "sig_uppercase";
		v.desc = "the right signature in uppercase hex: the wire "
			 "form is lowercase only";
		v.sig = s2;
		emit(&v);
		v.name = "sig_empty";
		v.desc = "an empty signature";
		v.sig = "";
		emit(&v);
		free(s2);

		v.name = "sig_other_key";
		v.desc = "valid_model_progress signed by bob, checked against "
			 "alice's key";
		v.sig = NULL;
		v.signer = &bob;
		v.verify = "bad_signature";
		emit(&v);

		v.name = "sig_of_other_set";
		v.desc = "alice's signature of valid_all_ops attached to "
			 "valid_model_progress";
		v.signer = NULL;
		free(sig);
		sig = sign_bytes(v2, strlen(v2), &alice);
		v.sig = sig;
		emit(&v);

		/* Tampered: "sown_ha":3.8 becomes 3.9 after signing. */
		char *t = fmt("%s", v1);
		char *at = strstr(t, "\"sown_ha\":3.8");
		if (!at)
			die("tamper target not found");
		at[strlen("\"sown_ha\":3.")] = '9';
		free(sig);
		sig = sign_bytes(v1, strlen(v1), &alice);
		v.name = "tampered_byte";
		v.desc = "valid_model_progress with 3.8 changed to 3.9 after "
			 "signing; still decodes, the signature fails";
		v.bytes = t;
		v.len = strlen(t);
		v.sig = sig;
		emit(&v);
		free(t);

		/* Truncated copies keep the original signature. */
		v.bytes = v1;
		v.chain = NULL;
		v.seq = 0; /* not JSON any more: no seq can be read */
		v.name = "truncated_end";
		v.desc = "valid_model_progress without its last byte";
		v.len = strlen(v1) - 1;
		v.decode = "malformed_json";
		emit(&v);
		v.name = "truncated_changes";
		v.desc = "valid_model_progress cut right after "
			 "\"changes\":[";
		v.len = (size_t)(strstr(v1, "\"changes\":[") - v1) + 11;
		emit(&v);
		v.name = "truncated_mid_utf8";
		v.desc = "valid_model_progress cut inside a Lao letter: the "
			 "bytes are no longer UTF-8";
		v.len = (size_t)(strstr(v1, "ສາລະວັນ") - v1) + 1;
		v.decode = "invalid_utf8";
		emit(&v);
		free(sig);
	}

	/* -- decode failures (signed correctly by alice) ------------------- */
	c = model_create(MODEL2, 1, F0);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"seq\":2,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("duplicate_key_seq", "\"seq\" twice in the set", b,
	    "duplicate_key", -1, "seq", 0);
	free(b);
	free(c);
	/* Duplicate keys are found by the whole-text check: index -1. */
	c = model_create(MODEL2, 1, F0 ",\"crop\":\"Paddy rice\"");
	bad1("duplicate_key_field", "\"crop\" twice in one change's fields",
	     c, "duplicate_key", -1, "crop", 0);
	free(c);
	c = model_create(MODEL2, 1, F0);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":[%s],\"signature\":\"00\"}", alice.id_hex, ZERO64,
		c);
	bad("unknown_member_set", "an unknown member \"signature\" in the "
	    "set", b, "unknown_field", -1, "signature", 1);
	free(b);
	free(c);
	bad1("unknown_member_change", "an unknown member \"author\" in a "
	     "change", "{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
	     "\"op\":\"delete\",\"hlc\":\"019d36e3ec010000\","
	     "\"author\":\"alice\"}", "unknown_field", 0, "author", 1);
	bad1("unknown_kind", "kind \"meeting\" does not exist",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"meeting\",\"op\":\"delete\","
	     "\"hlc\":\"019d36e3ec010000\"}", "unknown_kind", 0, "meeting", 1);
	bad1("kind_plural", "kinds travel by their singular name",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"models\",\"op\":\"delete\","
	     "\"hlc\":\"019d36e3ec010000\"}", "unknown_kind", 0, "models", 1);
	badf("unknown_field", "a model has no field \"color\"",
	     F0 ",\"color\":\"green\"", "unknown_field", "color");
	c = model_create(MODEL2, 1, F0);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":\"1\",\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("wrong_type_seq", "\"seq\" as a string", b, "wrong_type", -1,
	    "seq", 0);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":%s}", alice.id_hex, ZERO64, c);
	bad("wrong_type_changes", "\"changes\" as an object, not an array",
	    b, "wrong_type", -1, "changes", 1);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"changes\":[%s]}",
		alice.id_hex, c);
	bad("missing_prev", "the set has no \"prev\"", b, "missing_field", -1,
	    "prev", 1);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":0,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("seq_zero", "sequence numbers start at 1", b, "out_of_range", -1,
	    "seq", 0);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":9007199254740992,"
		"\"prev\":\"%s\",\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("seq_too_big", "seq 2^53 is past the limit 2^53-1", b,
	    "out_of_range", -1, "seq", 0);
	free(b);
	b = fmt("{\"v\":1,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("version_1", "a set of protocol version 1 (before ownership): "
	    "refused, never guessed", b, "unsupported_version", -1, NULL, 0);
	free(b);
	b = fmt("{\"v\":3,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("version_3", "a set of a later protocol version 3", b,
	    "unsupported_version", -1, NULL, 0);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%.63s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("prev_63_hex", "prev of 63 hex digits", b, "invalid_format", -1,
	    "prev", 1);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":[%s]} x", alice.id_hex, ZERO64, c);
	bad("trailing_bytes", "a valid set followed by \" x\"", b,
	    "malformed_json", -1, NULL, 0);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":[]}", alice.id_hex, ZERO64);
	bad("no_changes", "an empty \"changes\" array", b, "missing_field", -1,
	    "changes", 1);
	free(b);
	free(c);
	bad("not_json", "not JSON at all", "fieldsync", "malformed_json", -1,
	    NULL, 0);
	bad("json_array", "a JSON array, not an object", "[1,2,3]",
	    "wrong_type", -1, NULL, 0);
	badf("wrong_type_int", "planned_households as a string",
	     "\"crop\":\"Sticky maize\",\"province\":\"Salavan\","
	     "\"planned_ha\":3.8,\"planned_households\":\"42\"", "wrong_type",
	     "planned_households");
	badf("wrong_type_text", "crop as a number",
	     "\"crop\":7,\"province\":\"Salavan\",\"planned_ha\":3.8,"
	     "\"planned_households\":42", "wrong_type", "crop");
	badf("missing_required_field", "a model created without its crop",
	     "\"province\":\"Salavan\",\"planned_ha\":3.8,"
	     "\"planned_households\":42", "missing_field", "crop");
	badf("out_of_range_households", "100001 households (at most 100000)",
	     "\"crop\":\"Sticky maize\",\"province\":\"Salavan\","
	     "\"planned_ha\":3.8,\"planned_households\":100001",
	     "out_of_range", "planned_households");
	badf("negative_hectares", "-1 hectares",
	     "\"crop\":\"Sticky maize\",\"province\":\"Salavan\","
	     "\"planned_ha\":-1,\"planned_households\":42", "out_of_range",
	     "planned_ha");
	badf("three_decimals", "3.805 ha: at most two decimals",
	     "\"crop\":\"Sticky maize\",\"province\":\"Salavan\","
	     "\"planned_ha\":3.805,\"planned_households\":42", "out_of_range",
	     "planned_ha");
	badf("fraction_households", "42.5 households",
	     "\"crop\":\"Sticky maize\",\"province\":\"Salavan\","
	     "\"planned_ha\":3.8,\"planned_households\":42.5", "wrong_type",
	     "planned_households");
	/* The whole byte string is checked before parsing: index -1. */
	c = model_create(MODEL2, 1, "\"crop\":\"Ng\xC3\xB4 n\xE1\xBA\","
			 "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			 "\"planned_households\":42");
	bad1("invalid_utf8", "crop holds \"Ng\\xC3\\xB4 n\\xE1\\xBA\" (a "
	     "Vietnamese letter cut in two)", c, "invalid_utf8", -1, NULL, 0);
	free(c);
	badf("province_alias", "\"Saravane\" is an accepted spelling for a "
	     "person, but the wire carries the canonical \"Salavan\"",
	     "\"crop\":\"Sticky maize\",\"province\":\"Saravane\","
	     "\"planned_ha\":3.8,\"planned_households\":42", "invalid_value",
	     "province");
	badf("invalid_date", "2026-02-29 does not exist",
	     F0 ",\"start\":\"2026-02-29\"", "invalid_date", "start");
	badf("control_char", "a text field holding U+0001",
	     "\"crop\":\"Sticky\\u0001maize\",\"province\":\"Salavan\","
	     "\"planned_ha\":3.8,\"planned_households\":42", "invalid_value",
	     "crop");
	bad1("end_before_start", "a visit that ends before it starts",
	     "{\"id\":\"" VISIT1 "\",\"kind\":\"visit\",\"op\":\"create\","
	     "\"hlc\":\"019d36e3ec010000\",\"fields\":{\"direction\":\"in\","
	     "\"province\":\"Sekong\",\"leader\":\"ທ່ານ ບຸນມີ\","
	     "\"members\":5,\"sector\":\"health\",\"start\":\"2026-04-15\","
	     "\"end\":\"2026-04-13\"}}", "out_of_range", 0, "end", 1);
	bad1("progress_delete", "an observation is never deleted (it is "
	     "retracted)", "{\"id\":\"" PROG1 "\",\"kind\":\"progress\","
	     "\"op\":\"delete\",\"hlc\":\"019d36e3ec010000\","
	     "\"reason\":\"typed twice\"}", "invalid_op", 0, "progress", 1);
	bad1("delete_with_fields", "a delete carries no fields",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\",\"op\":\"delete\","
	     "\"hlc\":\"019d36e3ec010000\",\"fields\":{\"crop\":\"x\"}}",
	     "invalid_op", 0, NULL, 1);
	bad1("bad_op", "op \"upsert\" does not exist",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\",\"op\":\"upsert\","
	     "\"hlc\":\"019d36e3ec010000\",\"fields\":{\"crop\":\"x\"}}",
	     "invalid_op", 0, "upsert", 1);
	bad1("bad_hlc", "an HLC of 15 hex digits",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\",\"op\":\"delete\","
	     "\"hlc\":\"019d36e3ec01000\"}", "invalid_format", 0, "hlc", 1);
	bad1("bad_id", "a record id in uppercase hex",
	     "{\"id\":\"A1000000000000000000000000000002\",\"kind\":\"model\","
	     "\"op\":\"delete\",\"hlc\":\"019d36e3ec010000\",\"reason\":\"duplicate\"}",
	     "invalid_format", 0, "id", 1);
	{
		char *sb = S(1, &alice);
		c = fmt("{\"id\":\"" MODEL1 "\",\"kind\":\"model\","
			"\"op\":\"update\",\"hlc\":\"%s\",\"fields\":"
			"{\"crop\":\"x\"},\"base\":{\"crop\":\"%.40s\"}}", h2,
			sb);
		bad1("bad_base_stamp", "a base stamp cut short", c,
		     "invalid_format", 0, "crop", 1);
		free(c);
		free(sb);
	}

	/* Bytes cJSON alone would accept but RFC 8259 does not: refused by
	** the whole-text check (index -1), so other languages agree. */
	c = model_create(MODEL2, 1, "\"crop\":\"a\\u0000b\","
			 "\"province\":\"Salavan\",\"planned_ha\":3.8,"
			 "\"planned_households\":42");
	bad1("nul_escape", "crop holds the escape \\u0000: a NUL would cut "
	     "the value short in C", c, "malformed_json", -1, NULL, 0);
	free(c);
	c = model_create(MODEL2, 1, F0);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":01,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("leading_zero", "\"seq\":01 is not a JSON number", b,
	    "malformed_json", -1, NULL, 0);
	free(b);
	b = fmt("\x01{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("control_whitespace", "a 0x01 byte before the set: JSON "
	    "whitespace is only space, tab, CR and LF", b, "malformed_json",
	    -1, NULL, 0);
	free(b);
	free(c);

	/* HLCs must strictly increase inside a set. */
	c = fmt("{\"id\":\"" MODEL1 "\",\"kind\":\"model\",\"op\":\"delete\","
		"\"hlc\":\"%s\",\"reason\":\"duplicate\"},{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
		"\"op\":\"delete\",\"hlc\":\"%s\",\"reason\":\"duplicate\"}", h2, h2);
	bad1("hlc_equal", "two changes with the same HLC", c, "hlc_order", 1,
	     "hlc", 1);
	free(c);
	c = fmt("{\"id\":\"" MODEL1 "\",\"kind\":\"model\",\"op\":\"delete\","
		"\"hlc\":\"%s\",\"reason\":\"duplicate\"},{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
		"\"op\":\"delete\",\"hlc\":\"%s\",\"reason\":\"duplicate\"}", h2, h1);
	bad1("hlc_decreasing", "the second change's HLC is lower", c,
	     "hlc_order", 1, "hlc", 1);
	free(c);

	/* 2001 deletes with increasing HLCs: one over the limit. */
	{
		size_t n = 2001, cap = n * 128 + 1, off = 0;
		char *all = malloc(cap);
		if (!all)
			die("out of memory");
		for (size_t i = 0; i < n; i++) {
			int w = snprintf(all + off, cap - off,
				"%s{\"id\":\"a5%030zx\",\"kind\":\"visit\","
				"\"op\":\"delete\",\"hlc\":\"%016llx\",\"reason\":\"duplicate\"}",
				i ? "," : "", i,
				(unsigned long long)((uint64_t)(T0 + 10 + (long long)i) << 16));
			if (w < 0 || (size_t)w >= cap - off)
				die("too_many buffer");
			off += (size_t)w;
		}
		bad1("too_many_changes", "2001 changes (at most 2000)", all,
		     "too_many", -1, "2000", 1);
		free(all);
	}

	/* -- seq: one code per condition (SPEC 6.3 step 7) ----------------- */
	c = model_create(MODEL2, 1, F0);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1.5,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("seq_fraction", "seq 1.5: a fraction is the wrong type for an "
	    "integer (as 42.5 households)", b, "wrong_type", -1, "seq", 0);
	free(b);
	b = fmt("{\"v\":2,\"device\":\"%s\",\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("seq_missing", "the set has no \"seq\"", b, "missing_field", -1,
	    "seq", 0);
	free(b);
	free(c);
	badf("int_huge", "1e20 households: a whole number, out of range (not "
	     "the wrong type)", "\"crop\":\"Sticky maize\",\"province\":"
	     "\"Salavan\",\"planned_ha\":3.8,\"planned_households\":1e20",
	     "out_of_range", "planned_households");

	/* -- the order of the checks (SPEC 6.3): each set below has two
	**    faults, and the vector names the one found first. ------------- */
	c = model_create(MODEL2, 1, F0 ",\"color\":\"green\"");
	b = fmt("{\"v\":2,\"device\":\"%s\",\"seq\":1,\"prev\":\"%s\","
		"\"changes\":[%s],\"signature\":\"00\"}", alice.id_hex, ZERO64,
		c);
	bad("order_set_before_changes", "an unknown set member and an "
	    "unknown field in change 0: the set's members come first", b,
	    "unknown_field", -1, "signature", 1);
	free(b);
	free(c);
	c = model_create(MODEL2, 1, F0);
	b = fmt("{\"v\":2,\"device\":\"%.31s\",\"seq\":0,\"prev\":\"%s\","
		"\"changes\":[%s]}", alice.id_hex, ZERO64, c);
	bad("order_device_before_seq", "a 31-digit device and seq 0: device "
	    "and prev are checked before seq", b, "invalid_format", -1,
	    "device", 0);
	free(b);
	free(c);
	{
		char *c0 = model_create(MODEL2, 1, F0 ",\"color\":\"green\"");
		c = fmt("%s,{\"id\":\"" MODEL1 "\",\"kind\":\"meeting\","
			"\"op\":\"delete\",\"hlc\":\"%s\",\"reason\":\"duplicate\"}", c0, h2);
		bad1("order_first_change", "an unknown field in change 0 and "
		     "an unknown kind in change 1: changes in array order", c,
		     "unknown_field", 0, "color", 1);
		free(c);
		free(c0);
	}
	bad1("order_members_before_fields", "an unknown member \"author\" "
	     "and a bad province: a change's members come before its fields",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\",\"op\":\"create\","
	     "\"hlc\":\"019d36e3ec010000\",\"fields\":{\"crop\":\"x\","
	     "\"province\":\"Vientiane\",\"planned_ha\":3.8,"
	     "\"planned_households\":42},\"author\":\"alice\"}",
	     "unknown_field", 0, "author", 1);
	bad1("order_strings_before_formats", "a bad id and no hlc: all four "
	     "of id, kind, op, hlc are looked for before any is parsed",
	     "{\"id\":\"A1\",\"kind\":\"model\",\"op\":\"delete\"}",
	     "missing_field", 0, "hlc", 1);
	bad1("order_id_before_kind", "a bad id and an unknown kind: id, "
	     "kind, op, hlc in that order",
	     "{\"id\":\"A1\",\"kind\":\"meeting\",\"op\":\"delete\","
	     "\"hlc\":\"019d36e3ec010000\"}", "invalid_format", 0, "id", 1);
	badf("order_fields_as_written", "100001 households written before an "
	     "empty crop: fields are checked in the order they are written, "
	     "not the kind's table order", "\"planned_households\":100001,"
	     "\"crop\":\"\",\"province\":\"Salavan\",\"planned_ha\":3.8",
	     "out_of_range", "planned_households");
	badf("order_present_before_required", "no crop and a province not on "
	     "the list: the fields present are checked before the required "
	     "ones are looked for", "\"province\":\"Vientiane\","
	     "\"planned_ha\":3.8,\"planned_households\":42", "invalid_value",
	     "province");
	bad1("order_required_before_end", "a visit without its leader that "
	     "ends before it starts: required fields before the end/start rule",
	     "{\"id\":\"" VISIT1 "\",\"kind\":\"visit\",\"op\":\"create\","
	     "\"hlc\":\"019d36e3ec010000\",\"fields\":{\"direction\":\"in\","
	     "\"province\":\"Sekong\",\"members\":5,\"sector\":\"health\","
	     "\"start\":\"2026-04-15\",\"end\":\"2026-04-13\"}}",
	     "missing_field", 0, "leader", 1);
	c = fmt("{\"id\":\"" MODEL1 "\",\"kind\":\"model\",\"op\":\"delete\","
		"\"hlc\":\"%s\",\"reason\":\"duplicate\"},{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
		"\"op\":\"delete\",\"hlc\":\"%s\",\"reason\":\"duplicate\",\"why\":1}", h2, h2);
	bad1("order_change_before_hlc", "change 1 has the HLC of change 0 and "
	     "an unknown member: a change is validated before its HLC is "
	     "compared", c, "unknown_field", 1, "why", 1);
	free(c);

	/* -- scholarships and friendship works (issue 13): money is whole
	**    đồng, 0..10^13, exact as a JSON number. */
	c = fmt("{\"id\":\"" SCHOL1 "\",\"kind\":\"scholarship\","
		"\"op\":\"create\",\"hlc\":\"%s\",\"fields\":{" SCH0 ","
		"\"enrolled\":17,\"allowance\":1800000,\"notes\":\"Học bổng "
		"toàn phần; ທຶນເຕັມ\"}},"
		"{\"id\":\"" WORK1 "\",\"kind\":\"work\",\"op\":\"create\","
		"\"hlc\":\"%s\",\"fields\":{" WRK0 ",\"site\":\"Sanxay, "
		"ອັດຕະປື\",\"budget\":10000000000000}},"
		"{\"id\":\"" WPROG1 "\",\"kind\":\"work_progress\","
		"\"op\":\"create\",\"hlc\":\"%s\",\"fields\":{\"work\":\""
		WORK1 "\",\"date\":\"2026-06-30\",\"disbursed\":6000000000,"
		"\"built_pct\":40,\"status\":\"under-construction\","
		"\"notes\":\"Đã xong phần móng\"}}", h1, h2, h3);
	b = set_bytes(&alice, 1, ZERO64, c);
	free(c);
	{
		vec v = {.name = "valid_scholarship_work",
			 .desc = "a scholarship batch (1,800,000 VND a month), a "
				 "friendship work of 10^13 VND (the largest "
				 "amount) and its observation",
			 .bytes = b, .len = strlen(b), .signer = &alice,
			 .pk = &alice, .decode = "ok", .verify = "ok",
			 .chain = "ok", .is_next = 1, .index = -1, .seq = 1,
			 .canonical = 1};
		emit(&v);
	}
	free(b);
	badk("money_fraction", "an allowance of 1800000.5 VND: money is whole "
	     "đồng", "scholarship", SCH0 ",\"allowance\":1800000.5",
	     "wrong_type", "allowance");
	badk("money_too_big", "a budget of 10^13 + 1 VND (at most 10^13)",
	     "work", WRK0 ",\"budget\":10000000000001", "out_of_range",
	     "budget");
	badk("level_not_listed", "a scholarship level \"doctorate\" (allowed: "
	     "master, university, college, vocational)", "scholarship",
	     "\"province\":\"Attapeu\",\"academic_year\":\"2026-2027\","
	     "\"level\":\"doctorate\",\"school\":\"Trường Đại học Quy "
	     "Nhơn\",\"awarded\":20", "invalid_value", "level");
	badk("academic_year_gap", "academic year 2026-2028: the second year "
	     "must be the next", "scholarship",
	     "\"province\":\"Attapeu\",\"academic_year\":\"2026-2028\","
	     "\"level\":\"master\",\"school\":\"Trường Đại học Quy "
	     "Nhơn\",\"awarded\":8", "invalid_value", "academic_year");
	badk("academic_year_single", "academic year \"2026\": YYYY-YYYY "
	     "expected", "scholarship",
	     "\"province\":\"Attapeu\",\"academic_year\":\"2026\","
	     "\"level\":\"master\",\"school\":\"Trường Đại học Quy "
	     "Nhơn\",\"awarded\":8", "invalid_value", "academic_year");
	badk("work_sector_not_listed", "a friendship work in agriculture "
	     "(allowed: education, health, culture-sports-tourism)", "work",
	     "\"province\":\"Attapeu\",\"name\":\"Trạm giống\","
	     "\"sector\":\"agriculture\",\"budget\":1", "invalid_value",
	     "sector");
	bad1("work_progress_handover", "an observation is not handed over "
	     "(only records that are not append-only are)",
	     "{\"id\":\"" WPROG1 "\",\"kind\":\"work_progress\","
	     "\"op\":\"handover\",\"hlc\":\"019d36e3ec010000\",\"to\":\""
	     MODEL2 "\"}", "invalid_op", 0, "work_progress", 1);

	/* Ownership ops (SPEC 5.2): what each carries. */
	bad1("delete_no_reason", "a delete says why: \"reason\" is required",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\",\"op\":\"delete\","
	     "\"hlc\":\"019d36e3ec010000\"}", "missing_field", 0, "reason", 1);
	bad1("retract_no_reason", "a retract says why",
	     "{\"id\":\"" PROG1 "\",\"kind\":\"progress\","
	     "\"op\":\"retract\",\"hlc\":\"019d36e3ec010000\"}",
	     "missing_field", 0, "reason", 1);
	bad1("retract_model", "only observations are retracted; a model is "
	     "deleted", "{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
	     "\"op\":\"retract\",\"hlc\":\"019d36e3ec010000\","
	     "\"reason\":\"wrong\"}", "invalid_op", 0, "retract", 1);
	bad1("handover_no_to", "a handover names the new owner in \"to\"",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
	     "\"op\":\"handover\",\"hlc\":\"019d36e3ec010000\"}",
	     "missing_field", 0, "to", 1);
	bad1("handover_bad_to", "\"to\" is a device id in lowercase hex",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
	     "\"op\":\"handover\",\"hlc\":\"019d36e3ec010000\","
	     "\"to\":\"E59E\"}", "invalid_format", 0, "to", 1);
	bad1("to_on_update", "\"to\" belongs to a handover only",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
	     "\"op\":\"update\",\"hlc\":\"019d36e3ec010000\","
	     "\"fields\":{\"planned_ha\":4},\"to\":\"" MODEL2 "\"}",
	     "invalid_op", 0, "to", 1);
	bad1("create_with_reason", "a create carries no reason",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
	     "\"op\":\"create\",\"hlc\":\"019d36e3ec010000\","
	     "\"fields\":{" F0 "},\"reason\":\"new\"}", "invalid_op", 0,
	     "reason", 1);
	bad1("reason_null", "a member present with null is refused",
	     "{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
	     "\"op\":\"delete\",\"hlc\":\"019d36e3ec010000\","
	     "\"reason\":null}", "wrong_type", 0, "reason", 1);
	{
		char *longr = malloc(2002);
		memset(longr, 'x', 2001);
		longr[2001] = 0;
		c = fmt("{\"id\":\"" MODEL2 "\",\"kind\":\"model\","
			"\"op\":\"delete\",\"hlc\":\"019d36e3ec010000\","
			"\"reason\":\"%s\"}", longr);
		bad1("reason_too_long", "a reason of 2001 bytes (at most "
		     "2000)", c, "too_long", 0, "reason", 1);
		free(c);
		free(longr);
	}
	/* HQ's ops in one valid set: a correction of an observation, a
	** handover, a restore, a retract. */
	{
		char *g1 = H(20), *g2 = H(21), *g3 = H(22), *g4 = H(23);
		char *sp = S(4, &alice), *vb;
		c = fmt("{\"id\":\"" PROG1 "\",\"kind\":\"progress\","
			"\"op\":\"update\",\"hlc\":\"%s\",\"fields\":"
			"{\"sown_ha\":3.8},\"base\":{\"sown_ha\":\"%s\"},"
			"\"reason\":\"38 ha was a typing slip for 3.8\"},"
			"{\"id\":\"" MODEL1 "\",\"kind\":\"model\","
			"\"op\":\"handover\",\"hlc\":\"%s\",\"to\":\"%s\","
			"\"reason\":\"Bùi Văn Hùng's new laptop\"},"
			"{\"id\":\"" VISIT1 "\",\"kind\":\"visit\","
			"\"op\":\"restore\",\"hlc\":\"%s\"},"
			"{\"id\":\"" PROG2 "\",\"kind\":\"progress\","
			"\"op\":\"retract\",\"hlc\":\"%s\",\"reason\":"
			"\"ngày 2030 nhập nhầm\"}", g1, sp, g2, bob.id_hex, g3,
			g4);
		vb = set_bytes(&hq, 1, ZERO64, c);
		{
			vec v = {.name = "valid_hq_ownership_ops",
				 .desc = "HQ corrects an observation (update "
					 "with base and reason), hands a model "
					 "to bob, restores a visit and retracts "
					 "an observation",
				 .bytes = vb, .len = strlen(vb), .signer = &hq,
				 .pk = &hq, .decode = "ok", .verify = "ok",
				 .chain = "ok", .is_next = 1, .index = -1,
				 .seq = 1, .canonical = 1};
			emit(&v);
		}
		free(vb);
		free(c);
		free(sp);
		free(g1); free(g2); free(g3); free(g4);
	}

	free(h1); free(h2); free(h3); free(h4); free(h5); free(h6); free(h7);
	free(h8); free(sA1); free(v1); free(v2); free(v3); free(v4);
	free(hv1); free(hv2); free(hv4);
}

/* ---- merge cases ------------------------------------------------------- */

typedef struct mchange {
	const key *author;
	char *change; /* change JSON text, as inside a set */
} mchange;

static cJSON *parse_or_die(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	if (!j)
		die("internal JSON does not parse: %s", text);
	return j;
}

/* An entry of the expected final state: field -> {"v":..., "s":...}. */
static void final_field(cJSON *f, const char *name, const char *value_json,
			int hlc, const key *who)
{
	cJSON *e = cJSON_CreateObject();
	char *s = S(hlc, who);
	cJSON_AddItemToObject(e, "v", parse_or_die(value_json));
	cJSON_AddStringToObject(e, "s", s);
	cJSON_AddItemToObject(f, name, e);
	free(s);
}

static cJSON *conflict(const char *field, const char *wv, int wh,
		       const key *w, const char *lv, int lh, const key *l)
{
	cJSON *c = cJSON_CreateObject();
	char *ws = S(wh, w), *ls = S(lh, l);
	cJSON_AddStringToObject(c, "field", field);
	cJSON_AddStringToObject(c, "winner", ws);
	cJSON_AddItemToObject(c, "winner_value", parse_or_die(wv));
	cJSON_AddStringToObject(c, "loser", ls);
	cJSON_AddItemToObject(c, "loser_value", parse_or_die(lv));
	free(ws);
	free(ls);
	return c;
}

/* One case. orders: which orders to check conflicts for, each with its
** expected list; final state must be reached by every permutation. */
static cJSON *mcase(cJSON *cases, const char *name, const char *desc,
		    const char *record_id, const char *kind,
		    cJSON *initial, const mchange *ch, size_t n)
{
	cJSON *c = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "description", desc);
	cJSON_AddStringToObject(c, "record_id", record_id);
	cJSON_AddStringToObject(c, "kind", kind);
	if (initial)
		cJSON_AddItemToObject(c, "initial", initial);
	else
		cJSON_AddNullToObject(c, "initial");
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "author", ch[i].author->name);
		cJSON_AddStringToObject(e, "device", ch[i].author->id_hex);
		cJSON_AddItemToObject(e, "change", parse_or_die(ch[i].change));
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddItemToObject(c, "changes", arr);
	cJSON_AddItemToArray(cases, c);
	return c;
}

static void mfinal(cJSON *c, cJSON *f, int deleted)
{
	cJSON *fin = cJSON_CreateObject();
	cJSON_AddStringToObject(fin, "kind",
		cJSON_GetObjectItemCaseSensitive(c, "kind")->valuestring);
	cJSON_AddItemToObject(fin, "f", f);
	cJSON_AddItemToObject(c, "final", fin);
	cJSON_AddBoolToObject(c, "deleted", deleted);
}

/* Add an order with its expected conflicts (NULL-terminated list). */
static void morder(cJSON *c, const int *order, size_t n, ...)
{
	cJSON *orders = cJSON_GetObjectItemCaseSensitive(c, "orders");
	cJSON *o = cJSON_CreateObject(), *ord = cJSON_CreateIntArray(order,
								  (int)n);
	cJSON *confs = cJSON_CreateArray(), *x;
	va_list ap;

	if (!orders) {
		orders = cJSON_CreateArray();
		cJSON_AddItemToObject(c, "orders", orders);
	}
	va_start(ap, n);
	while ((x = va_arg(ap, cJSON *)) != NULL)
		cJSON_AddItemToArray(confs, x);
	va_end(ap);
	cJSON_AddItemToObject(o, "order", ord);
	cJSON_AddItemToObject(o, "conflicts", confs);
	cJSON_AddItemToArray(orders, o);
}

static char *upd(const char *id, int hlc, const char *fields,
		 const char *base)
{
	char *h = H(hlc);
	char *s = base ? fmt("{\"id\":\"%s\",\"kind\":\"model\",\"op\":\"update\","
			     "\"hlc\":\"%s\",\"fields\":{%s},\"base\":{%s}}",
			     id, h, fields, base)
		       : fmt("{\"id\":\"%s\",\"kind\":\"model\",\"op\":\"update\","
			     "\"hlc\":\"%s\",\"fields\":{%s}}", id, h, fields);
	free(h);
	return s;
}

static char *basef(const char *field, int hlc, const key *who)
{
	char *s = S(hlc, who), *r = fmt("\"%s\":\"%s\"", field, s);
	free(s);
	return r;
}

static void merges(void)
{
	cJSON *root = cJSON_CreateObject(), *cases = cJSON_CreateArray();
	cJSON *c, *f;
	char *path, *bA1crop = basef("crop", 1, &alice),
	     *bA1hh = basef("planned_households", 1, &alice);
	mchange ch[4];
	/* A create writes the reserved field _owner: its author (SPEC 9.1). */
	char *alice_json = fmt("\"%s\"", alice.id_hex);
	const char *create_fields = "\"crop\":\"Ngô nếp\",\"province\":"
		"\"Salavan\",\"planned_ha\":5,\"planned_households\":42";
	/* The device with the greater id bytes wins a tie of HLCs. */
	const key *hi = memcmp(alice.id, bob.id, 16) > 0 ? &alice : &bob;
	const key *lo = hi == &alice ? &bob : &alice;

	cJSON_AddStringToObject(root, "description",
		"Merge cases: apply the changes in every order; the final "
		"state must be the same; conflicts are checked for the "
		"listed (causal) orders. See README.md.");
	cJSON_AddItemToObject(root, "cases", cases);

	/* 1. Last writer wins; a write that overwrote a value its author
	**    had not seen is a concurrent edit. */
	ch[0].author = &alice;
	ch[0].change = model_create(MODEL1, 1, create_fields);
	ch[1].author = &bob;
	ch[1].change = upd(MODEL1, 2, "\"crop\":\"Mô hình ngô nếp\"", bA1crop);
	ch[2].author = &alice;
	ch[2].change = upd(MODEL1, 3, "\"crop\":\"Sticky maize\"", bA1crop);
	c = mcase(cases, "lww_concurrent",
		  "bob and alice both edit crop having seen only the create; "
		  "alice's later HLC wins; the edit is reported as concurrent "
		  "whichever arrives second",
		  MODEL1, "model", NULL, ch, 3);
	f = cJSON_CreateObject();
	final_field(f, "crop", "\"Sticky maize\"", 3, &alice);
	final_field(f, "province", "\"Salavan\"", 1, &alice);
	final_field(f, "planned_ha", "5", 1, &alice);
	final_field(f, "planned_households", "42", 1, &alice);
	final_field(f, "_owner", alice_json, 1, &alice);
	mfinal(c, f, 0);
	morder(c, (const int[]){0, 1, 2}, 3,
	       conflict("crop", "\"Sticky maize\"", 3, &alice,
			"\"Mô hình ngô nếp\"", 2, &bob), (cJSON *)NULL);
	morder(c, (const int[]){0, 2, 1}, 3,
	       conflict("crop", "\"Sticky maize\"", 3, &alice,
			"\"Mô hình ngô nếp\"", 2, &bob), (cJSON *)NULL);
	for (int i = 0; i < 3; i++)
		free(ch[i].change);

	/* 2. Sequential edits: each author saw the value he replaced. */
	ch[0].author = &alice;
	ch[0].change = model_create(MODEL1, 1, create_fields);
	ch[1].author = &bob;
	ch[1].change = upd(MODEL1, 2, "\"crop\":\"Ngô nếp tím\"", bA1crop);
	{
		char *b = basef("crop", 2, &bob);
		ch[2].author = &alice;
		ch[2].change = upd(MODEL1, 3, "\"crop\":\"Sticky maize\"", b);
		free(b);
	}
	c = mcase(cases, "sequential_no_conflict",
		  "alice edits crop after seeing bob's edit (base = bob's "
		  "stamp): no concurrent edit",
		  MODEL1, "model", NULL, ch, 3);
	f = cJSON_CreateObject();
	final_field(f, "crop", "\"Sticky maize\"", 3, &alice);
	final_field(f, "province", "\"Salavan\"", 1, &alice);
	final_field(f, "planned_ha", "5", 1, &alice);
	final_field(f, "planned_households", "42", 1, &alice);
	final_field(f, "_owner", alice_json, 1, &alice);
	mfinal(c, f, 0);
	morder(c, (const int[]){0, 1, 2}, 3, (cJSON *)NULL);
	for (int i = 0; i < 3; i++)
		free(ch[i].change);

	/* 3. Equal HLCs: the greater device id wins. */
	ch[0].author = &alice;
	ch[0].change = model_create(MODEL1, 1, create_fields);
	ch[1].author = &alice;
	{
		char *b = basef("planned_ha", 1, &alice);
		ch[1].change = upd(MODEL1, 5, "\"planned_ha\":3.8", b);
		ch[2].author = &bob;
		ch[2].change = upd(MODEL1, 5, "\"planned_ha\":4.2", b);
		free(b);
	}
	c = mcase(cases, "tie_device_id",
		  "alice and bob write planned_ha with the same HLC: the "
		  "device id with the greater bytes wins (here: the "
		  "'winner' below)", MODEL1, "model", NULL, ch, 3);
	cJSON_AddStringToObject(c, "tie_winner", hi->name);
	f = cJSON_CreateObject();
	final_field(f, "crop", "\"Ngô nếp\"", 1, &alice);
	final_field(f, "province", "\"Salavan\"", 1, &alice);
	final_field(f, "planned_ha", hi == &alice ? "3.8" : "4.2", 5, hi);
	final_field(f, "planned_households", "42", 1, &alice);
	final_field(f, "_owner", alice_json, 1, &alice);
	mfinal(c, f, 0);
	morder(c, (const int[]){0, 1, 2}, 3,
	       conflict("planned_ha", hi == &alice ? "3.8" : "4.2", 5, hi,
			hi == &alice ? "4.2" : "3.8", 5, lo), (cJSON *)NULL);
	morder(c, (const int[]){0, 2, 1}, 3,
	       conflict("planned_ha", hi == &alice ? "3.8" : "4.2", 5, hi,
			hi == &alice ? "4.2" : "3.8", 5, lo), (cJSON *)NULL);
	for (int i = 0; i < 3; i++)
		free(ch[i].change);

	/* 4. Tombstone: a delete wins whatever comes after; the fields
	**    still merge underneath. */
	ch[0].author = &alice;
	ch[0].change = model_create(MODEL1, 1, create_fields);
	{
		char *h = H(4);
		ch[1].author = &hq;
		ch[1].change = fmt("{\"id\":\"" MODEL1 "\",\"kind\":\"model\","
				   "\"op\":\"delete\",\"hlc\":\"%s\",\"reason\":\"duplicate\"}", h);
		free(h);
	}
	ch[2].author = &alice;
	ch[2].change = upd(MODEL1, 6, "\"planned_households\":50", bA1hh);
	c = mcase(cases, "tombstone",
		  "HQ deletes the model; alice, not having seen it, raises "
		  "households later: the record stays deleted, and the "
		  "delete and the edit are reported (field _deleted) in "
		  "either order",
		  MODEL1, "model", NULL, ch, 3);
	f = cJSON_CreateObject();
	final_field(f, "crop", "\"Ngô nếp\"", 1, &alice);
	final_field(f, "province", "\"Salavan\"", 1, &alice);
	final_field(f, "planned_ha", "5", 1, &alice);
	final_field(f, "planned_households", "50", 6, &alice);
	final_field(f, "_deleted", "true", 4, &hq);
	final_field(f, "_owner", alice_json, 1, &alice);
	mfinal(c, f, 1);
	/* Either order: the delete (true at HQ's stamp 4) wins over alice's
	** edit (its fields, at her stamp 6). */
	morder(c, (const int[]){0, 1, 2}, 3,
	       conflict("_deleted", "true", 4, &hq,
			"{\"planned_households\":50}", 6, &alice),
	       (cJSON *)NULL);
	morder(c, (const int[]){0, 2, 1}, 3,
	       conflict("_deleted", "true", 4, &hq,
			"{\"planned_households\":50}", 6, &alice),
	       (cJSON *)NULL);
	for (int i = 0; i < 3; i++)
		free(ch[i].change);

	/* 5. Same value written twice: not a conflict. */
	ch[0].author = &alice;
	ch[0].change = model_create(MODEL1, 1, create_fields);
	ch[1].author = &bob;
	ch[1].change = upd(MODEL1, 2, "\"planned_ha\":3.8", NULL);
	ch[2].author = &alice;
	ch[2].change = upd(MODEL1, 3, "\"planned_ha\":3.8", NULL);
	c = mcase(cases, "same_value",
		  "bob and alice both set planned_ha to 3.8 without a base: "
		  "bob's write meets 5 (a conflict), alice's meets the same "
		  "3.8 (not a conflict)", MODEL1, "model", NULL, ch, 3);
	f = cJSON_CreateObject();
	final_field(f, "crop", "\"Ngô nếp\"", 1, &alice);
	final_field(f, "province", "\"Salavan\"", 1, &alice);
	final_field(f, "planned_ha", "3.8", 3, &alice);
	final_field(f, "planned_households", "42", 1, &alice);
	final_field(f, "_owner", alice_json, 1, &alice);
	mfinal(c, f, 0);
	morder(c, (const int[]){0, 1, 2}, 3,
	       conflict("planned_ha", "3.8", 2, &bob, "5", 1, &alice),
	       (cJSON *)NULL);
	for (int i = 0; i < 3; i++)
		free(ch[i].change);

	/* 6. A clock far behind: the late write loses and is reported. */
	{
		cJSON *init = cJSON_CreateObject(), *fi = cJSON_CreateObject();
		cJSON_AddStringToObject(init, "kind", "model");
		final_field(fi, "crop", "\"Paddy rice\"", 100, &alice);
		final_field(fi, "province", "\"Sekong\"", 100, &alice);
		final_field(fi, "planned_ha", "5", 100, &alice);
		final_field(fi, "planned_households", "30", 100, &alice);
		cJSON_AddItemToObject(init, "f", fi);
		ch[0].author = &bob;
		ch[0].change = upd(MODEL1, -86400000, "\"planned_ha\":4", NULL);
		ch[1].author = &hq;
		{
			char *b = basef("planned_households", 100, &alice);
			ch[1].change = upd(MODEL1, 200,
					   "\"planned_households\":32", b);
			free(b);
		}
		c = mcase(cases, "initial_state_old_clock",
			  "from a stored state: bob's device clock is a day "
			  "behind, his write loses (reported); HQ corrects "
			  "households having seen alice's value",
			  MODEL1, "model", init, ch, 2);
		f = cJSON_CreateObject();
		final_field(f, "crop", "\"Paddy rice\"", 100, &alice);
		final_field(f, "province", "\"Sekong\"", 100, &alice);
		final_field(f, "planned_ha", "5", 100, &alice);
		final_field(f, "planned_households", "32", 200, &hq);
		mfinal(c, f, 0);
		morder(c, (const int[]){0, 1}, 2,
		       conflict("planned_ha", "5", 100, &alice, "4",
				-86400000, &bob), (cJSON *)NULL);
		morder(c, (const int[]){1, 0}, 2,
		       conflict("planned_ha", "5", 100, &alice, "4",
				-86400000, &bob), (cJSON *)NULL);
		free(ch[0].change);
		free(ch[1].change);
	}

	/* 7. HQ resolves a conflict: its write names the winner as base. */
	ch[0].author = &alice;
	ch[0].change = model_create(MODEL1, 1, create_fields);
	ch[1].author = &bob;
	ch[1].change = upd(MODEL1, 2, "\"crop\":\"Ngô nếp tím\"", bA1crop);
	ch[2].author = &alice;
	ch[2].change = upd(MODEL1, 3, "\"crop\":\"Ngô nếp trắng\"", bA1crop);
	{
		char *b = basef("crop", 3, &alice);
		ch[3].author = &hq;
		ch[3].change = upd(MODEL1, 10, "\"crop\":\"Ngô nếp tím\"", b);
		free(b);
	}
	c = mcase(cases, "hq_resolution",
		  "a concurrent edit, then HQ's resolution naming the winner "
		  "as base: it wins and is not itself a conflict",
		  MODEL1, "model", NULL, ch, 4);
	f = cJSON_CreateObject();
	final_field(f, "crop", "\"Ngô nếp tím\"", 10, &hq);
	final_field(f, "province", "\"Salavan\"", 1, &alice);
	final_field(f, "planned_ha", "5", 1, &alice);
	final_field(f, "planned_households", "42", 1, &alice);
	final_field(f, "_owner", alice_json, 1, &alice);
	mfinal(c, f, 0);
	morder(c, (const int[]){0, 1, 2, 3}, 4,
	       conflict("crop", "\"Ngô nếp trắng\"", 3, &alice,
			"\"Ngô nếp tím\"", 2, &bob), (cJSON *)NULL);
	for (int i = 0; i < 4; i++)
		free(ch[i].change);

	path = fmt("%s/merge.json", outdir);
	write_json(path, root);
	free(path);
	cJSON_Delete(root);
	free(bA1crop);
	free(bA1hh);
	free(alice_json);
}

/* ---- ownership cases (owner.json) ---------------------------------------- */

/* One step: author, the change text, the expected verdict and the fields
** of the concurrent edits expected when it applies (NULL-ended). */
static void ostep(cJSON *steps, const key *who, char *change,
		  const char *expect, const char *conflict_field)
{
	cJSON *e = cJSON_CreateObject(), *cf = cJSON_CreateArray();

	cJSON_AddStringToObject(e, "author", who->name);
	cJSON_AddStringToObject(e, "device", who->id_hex);
	cJSON_AddItemToObject(e, "change", parse_or_die(change));
	cJSON_AddStringToObject(e, "expect", expect);
	if (conflict_field)
		cJSON_AddItemToArray(cf, cJSON_CreateString(conflict_field));
	cJSON_AddItemToObject(e, "conflicts", cf);
	cJSON_AddItemToArray(steps, e);
	free(change);
}

static cJSON *ocase(cJSON *cases, const char *name, const char *desc)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "description", desc);
	cJSON_AddItemToObject(c, "steps", cJSON_CreateArray());
	cJSON_AddItemToObject(c, "final", cJSON_CreateObject());
	cJSON_AddItemToArray(cases, c);
	return c;
}

/* Expected final state of one record: owner, deleted, retracted and some
** values (a JSON object text). */
static void ofinal(cJSON *c, const char *id, const key *owner, int deleted,
		   int retracted, const char *values)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "owner", owner->id_hex);
	cJSON_AddBoolToObject(r, "deleted", deleted);
	cJSON_AddBoolToObject(r, "retracted", retracted);
	cJSON_AddItemToObject(r, "values", parse_or_die(values));
	cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(c, "final"),
			      id, r);
}

#define OVISIT "\"direction\":\"out\",\"province\":\"Sekong\"," \
	"\"leader\":\"Nguyễn Thị Hoa\",\"members\":12,\"sector\":\"health\"," \
	"\"start\":\"2026-04-13\",\"end\":\"2026-04-15\""

static char *ochange(const char *id, const char *kind, const char *op,
		     int hlc, const char *rest)
{
	char *h = H(hlc);
	char *s = fmt("{\"id\":\"%s\",\"kind\":\"%s\",\"op\":\"%s\","
		      "\"hlc\":\"%s\"%s%s}", id, kind, op, h,
		      rest && rest[0] ? "," : "", rest ? rest : "");
	free(h);
	return s;
}

static void owners(void)
{
	cJSON *root = cJSON_CreateObject(), *cases = cJSON_CreateArray();
	cJSON *roles = cJSON_CreateObject(), *c, *st;
	char *path, *t, *b;

	cJSON_AddStringToObject(root, "description",
		"Ownership cases (SPEC 9.6): apply the steps in order, each "
		"checked by the ownership rule against the state held so far "
		"and, when allowed, merged; compare each verdict, the "
		"concurrent edits each allowed step reports, and the final "
		"states. See README.md.");
	cJSON_AddStringToObject(roles, alice.name, "expert");
	cJSON_AddStringToObject(roles, bob.name, "leader");
	cJSON_AddStringToObject(roles, hq.name, "hq");
	cJSON_AddItemToObject(root, "roles", roles);
	cJSON_AddItemToObject(root, "cases", cases);

	/* 1. A field device changes only its own records. */
	c = ocase(cases, "field_device_other_record",
		  "bob may neither update nor delete alice's visit; alice "
		  "may; nothing of bob's is applied");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &alice, ochange(VISIT1, "visit", "create", 1,
				  "\"fields\":{" OVISIT "}"), "ok", NULL);
	b = S(1, &alice);
	t = fmt("\"fields\":{\"members\":30},\"base\":{\"members\":\"%s\"}", b);
	ostep(st, &bob, ochange(VISIT1, "visit", "update", 2, t),
	      "not_owner", NULL);
	free(t);
	ostep(st, &bob, ochange(VISIT1, "visit", "delete", 3,
				"\"reason\":\"not needed\""), "not_owner",
	      NULL);
	t = fmt("\"fields\":{\"members\":13},\"base\":{\"members\":\"%s\"}", b);
	ostep(st, &alice, ochange(VISIT1, "visit", "update", 4, t), "ok",
	      NULL);
	free(t);
	free(b);
	ofinal(c, VISIT1, &alice, 0, 0, "{\"members\":13,\"province\":"
	       "\"Sekong\"}");

	/* 2. HQ corrects a mistyped observation; its author may not edit
	**    it (retract and record again instead). */
	c = ocase(cases, "observation_correction",
		  "alice's observation says 38 ha; alice may not update it; "
		  "HQ corrects it to 3.8 with a reason; it stays alice's");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &alice, ochange(MODEL1, "model", "create", 1, "\"fields\":{"
				  F0 "}"), "ok", NULL);
	ostep(st, &alice, ochange(PROG1, "progress", "create", 2,
				  "\"fields\":{\"model\":\"" MODEL1 "\","
				  "\"date\":\"2026-06-10\",\"sown_ha\":38,"
				  "\"households\":42}"), "ok", NULL);
	b = S(2, &alice);
	t = fmt("\"fields\":{\"sown_ha\":3.8},\"base\":{\"sown_ha\":\"%s\"}",
		b);
	ostep(st, &alice, ochange(PROG1, "progress", "update", 3, t),
	      "not_owner", NULL);
	free(t);
	t = fmt("\"fields\":{\"sown_ha\":3.8},\"base\":{\"sown_ha\":\"%s\"},"
		"\"reason\":\"38 ha was a typing slip for 3.8\"", b);
	ostep(st, &hq, ochange(PROG1, "progress", "update", 4, t), "ok",
	      NULL);
	free(t);
	free(b);
	ofinal(c, PROG1, &alice, 0, 0, "{\"sown_ha\":3.8,\"households\":42}");

	/* 3. Handover: only HQ; from then on only the new owner. */
	c = ocase(cases, "handover",
		  "bob may not take alice's model; HQ hands it to bob; then "
		  "alice's update is refused and bob's accepted");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &alice, ochange(MODEL1, "model", "create", 1, "\"fields\":{"
				  F0 "}"), "ok", NULL);
	t = fmt("\"to\":\"%s\"", bob.id_hex);
	ostep(st, &bob, ochange(MODEL1, "model", "handover", 2, t),
	      "not_owner", NULL);
	free(t);
	t = fmt("\"to\":\"%s\",\"reason\":\"new laptop for the same "
		"person\"", bob.id_hex);
	ostep(st, &hq, ochange(MODEL1, "model", "handover", 3, t), "ok", NULL);
	free(t);
	ostep(st, &alice, ochange(MODEL1, "model", "update", 4,
				  "\"fields\":{\"planned_ha\":4}"),
	      "not_owner", NULL);
	b = S(1, &alice);
	t = fmt("\"fields\":{\"planned_ha\":4.5},\"base\":{\"planned_ha\":"
		"\"%s\"}", b);
	ostep(st, &bob, ochange(MODEL1, "model", "update", 5, t), "ok", NULL);
	free(t);
	free(b);
	ofinal(c, MODEL1, &bob, 0, 0, "{\"planned_ha\":4.5,\"crop\":"
	       "\"Sticky maize\"}");

	/* 4. Retract: the author or HQ. */
	c = ocase(cases, "retract",
		  "bob may not retract alice's observation dated 2030; alice "
		  "retracts it");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &alice, ochange(MODEL1, "model", "create", 1, "\"fields\":{"
				  F0 "}"), "ok", NULL);
	ostep(st, &alice, ochange(PROG1, "progress", "create", 2,
				  "\"fields\":{\"model\":\"" MODEL1 "\","
				  "\"date\":\"2030-06-10\",\"sown_ha\":3.8,"
				  "\"households\":42}"),
	      "ok", NULL);
	ostep(st, &bob, ochange(PROG1, "progress", "retract", 3,
				"\"reason\":\"wrong\""), "not_owner", NULL);
	ostep(st, &alice, ochange(PROG1, "progress", "retract", 4,
				  "\"reason\":\"năm 2030 nhập nhầm, là "
				  "2026\""), "ok", NULL);
	ofinal(c, PROG1, &alice, 0, 1, "{\"date\":\"2030-06-10\"}");

	/* 5. Delete and restore: the owner or HQ. */
	c = ocase(cases, "delete_restore",
		  "alice deletes and restores her visit; bob may not "
		  "restore it; HQ deletes and restores it too");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &alice, ochange(VISIT1, "visit", "create", 1,
				  "\"fields\":{" OVISIT "}"), "ok", NULL);
	ostep(st, &alice, ochange(VISIT1, "visit", "delete", 2,
				  "\"reason\":\"recorded twice\""), "ok",
	      NULL);
	ostep(st, &bob, ochange(VISIT1, "visit", "restore", 3, NULL),
	      "not_owner", NULL);
	ostep(st, &alice, ochange(VISIT1, "visit", "restore", 4,
				  "\"reason\":\"it was not a duplicate\""),
	      "ok", NULL);
	ostep(st, &hq, ochange(VISIT1, "visit", "delete", 5,
			       "\"reason\":\"test entry\""), "ok", NULL);
	ostep(st, &hq, ochange(VISIT1, "visit", "restore", 6, NULL), "ok",
	      NULL);
	ofinal(c, VISIT1, &alice, 0, 0, "{\"members\":12}");

	/* 6. A create cannot take over another device's record. */
	c = ocase(cases, "create_takeover",
		  "bob's create of alice's record id is refused; alice's own "
		  "create delivered again is harmless");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &alice, ochange(MODEL1, "model", "create", 1, "\"fields\":{"
				  F0 "}"), "ok", NULL);
	ostep(st, &bob, ochange(MODEL1, "model", "create", 2, "\"fields\":{"
				"\"crop\":\"Lúa\",\"province\":\"Sekong\","
				"\"planned_ha\":1,\"planned_households\":1}"),
	      "not_owner", NULL);
	ostep(st, &alice, ochange(MODEL1, "model", "create", 1, "\"fields\":{"
				  F0 "}"), "ok", NULL);
	ofinal(c, MODEL1, &alice, 0, 0, "{\"crop\":\"Sticky maize\"}");

	/* 7. A record the receiver does not hold. */
	c = ocase(cases, "unknown_record",
		  "bob updates a record nobody created: refused; HQ may (its "
		  "write waits for the create)");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &bob, ochange(MODEL2, "model", "update", 1,
				"\"fields\":{\"planned_ha\":2}"), "not_owner",
	      NULL);

	/* 8. Delete and edit that did not see each other: reported. */
	c = ocase(cases, "delete_edit_conflict",
		  "HQ deletes alice's visit while alice, offline, edits it "
		  "(reported, field _deleted; the record stays deleted); HQ "
		  "corrects her model while alice deletes it without having "
		  "seen the correction (reported)");
	st = cJSON_GetObjectItemCaseSensitive(c, "steps");
	ostep(st, &alice, ochange(VISIT1, "visit", "create", 1,
				  "\"fields\":{" OVISIT "}"), "ok", NULL);
	ostep(st, &hq, ochange(VISIT1, "visit", "delete", 5,
			       "\"reason\":\"entered by mistake\""), "ok",
	      NULL);
	b = S(1, &alice);
	t = fmt("\"fields\":{\"members\":14},\"base\":{\"members\":\"%s\"}", b);
	ostep(st, &alice, ochange(VISIT1, "visit", "update", 3, t), "ok",
	      "_deleted");
	free(t);
	ostep(st, &alice, ochange(MODEL1, "model", "create", 2, "\"fields\":{"
				  F0 "}"), "ok", NULL);
	t = fmt("\"fields\":{\"planned_ha\":4},\"base\":{\"planned_ha\":"
		"\"%s\"},\"reason\":\"plan revised\"", b);
	free(b);
	b = S(2, &alice);
	free(t);
	t = fmt("\"fields\":{\"planned_ha\":4},\"base\":{\"planned_ha\":"
		"\"%s\"},\"reason\":\"plan revised\"", b);
	ostep(st, &hq, ochange(MODEL1, "model", "update", 8, t), "ok", NULL);
	free(t);
	free(b);
	ostep(st, &alice, ochange(MODEL1, "model", "delete", 7,
				  "\"reason\":\"model abandoned\""), "ok",
	      "_deleted");
	ofinal(c, VISIT1, &alice, 1, 0, "{\"members\":14}");
	ofinal(c, MODEL1, &alice, 1, 0, "{\"planned_ha\":4}");

	path = fmt("%s/owner.json", outdir);
	write_json(path, root);
	free(path);
	cJSON_Delete(root);
}

static void keys(void)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	const key *all[] = {&alice, &bob, &hq};
	char *path;

	cJSON_AddStringToObject(root, "description",
		"Ed25519 key pairs from fixed seeds (crypto_sign_seed_keypair)."
		" device = BLAKE2b-128(public_key). Test keys only.");
	for (size_t i = 0; i < 3; i++) {
		cJSON *k = cJSON_CreateObject();
		cJSON_AddStringToObject(k, "name", all[i]->name);
		cJSON_AddStringToObject(k, "seed", all[i]->seed_hex);
		cJSON_AddStringToObject(k, "public_key", all[i]->pk_hex);
		cJSON_AddStringToObject(k, "secret_key", all[i]->sk_hex);
		cJSON_AddStringToObject(k, "device", all[i]->id_hex);
		cJSON_AddItemToArray(arr, k);
	}
	cJSON_AddItemToObject(root, "keys", arr);
	path = fmt("%s/keys.json", outdir);
	write_json(path, root);
	free(path);
	cJSON_Delete(root);
}

/* ---- authentication (auth.json) ------------------------------------------- */

/* Ed25519 over domain || text, straight from the spec (10.5, 10.12). */
static char *sign_text(const char *dom, const char *text, const key *k)
{
	char *msg = fmt("%s%s", dom, text);
	uint8_t sig[64];

	crypto_sign_detached(sig, NULL, (const unsigned char *)msg,
			     strlen(msg), k->sk);
	free(msg);
	return hex(sig, 64);
}

static void auths(void)
{
	static const char ch[] =
		"7c1e9f0a5b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4";
	static const char tk[] =
		"5d0c3a9e1f2b4c6d8e0f1a2b3c4d5e6f0000019e8b6e3f40a1b2c3d4e5f60718";
	cJSON *root = cJSON_CreateObject(), *cases, *c;
	char *sig, *p, *auth;

	cJSON_AddStringToObject(root, "description", "What a device signs to "
		"authenticate (SPEC 10.5, 10.12): Ed25519, detached, over the "
		"domain prefix and the server's text as it came (64 hex "
		"digits, signed as ASCII). key: a name from keys.json. A "
		"receiver checks that the signature verifies with the key's "
		"public key, and that it does not verify for the other domain "
		"(a challenge signature is no ticket signature) nor for any "
		"other text.");
	cases = cJSON_AddArrayToObject(root, "cases");
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "name", "challenge");
	cJSON_AddStringToObject(c, "key", alice.name);
	cJSON_AddStringToObject(c, "domain", "fieldsync auth v2\n");
	cJSON_AddStringToObject(c, "text", ch);
	sig = sign_text("fieldsync auth v2\n", ch, &alice);
	cJSON_AddStringToObject(c, "signature", sig);
	free(sig);
	cJSON_AddItemToArray(cases, c);
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "name", "ticket");
	cJSON_AddStringToObject(c, "key", alice.name);
	cJSON_AddStringToObject(c, "domain", "fieldsync sync v3\n");
	cJSON_AddStringToObject(c, "text", tk);
	sig = sign_text("fieldsync sync v3\n", tk, &alice);
	cJSON_AddStringToObject(c, "signature", sig);
	auth = fmt("Ticket %s.%s.%s", alice.id_hex, tk, sig);
	cJSON_AddStringToObject(c, "authorization", auth);
	free(auth);
	free(sig);
	cJSON_AddItemToArray(cases, c);
	p = fmt("%s/auth.json", outdir);
	write_json(p, root);
	free(p);
	cJSON_Delete(root);
}

/* ---- zstd on the wire (zstd.json) ----------------------------------------- */

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(b = malloc((size_t)len + 1)) ||
	    fread(b, 1, (size_t)len, f) != (size_t)len)
		die("cannot read %s", path);
	fclose(f);
	b[len] = '\0';
	*n = (size_t)len;
	return b;
}

/* A push body of the valid_all_ops set (its bytes and signature as
** sets/ has them), compressed: with the protocol's dictionary, without,
** and the first frame with its header's Dictionary_ID changed to 7. */
static void zstds(void)
{
	cJSON *root = cJSON_CreateObject(), *cases, *c, *env, *arr, *it, *sj;
	char *p, *bytes, *text, *h;
	unsigned char *z, dsum[32];
	size_t n, zn, i;
	int dict;

	p = fmt("%s/sets/valid_all_ops.bytes", outdir);
	bytes = read_file(p, &n);
	free(p);
	p = fmt("%s/sets/valid_all_ops.json", outdir);
	text = read_file(p, &n);
	free(p);
	sj = cJSON_Parse(text);
	free(text);
	if (!sj || !cJSON_IsString(cJSON_GetObjectItem(sj, "sig")))
		die("sets/valid_all_ops.json has no sig");
	env = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(env, "sets");
	it = cJSON_CreateObject();
	cJSON_AddStringToObject(it, "set", bytes);
	cJSON_AddStringToObject(it, "sig",
				cJSON_GetObjectItem(sj, "sig")->valuestring);
	cJSON_AddItemToArray(arr, it);
	text = cJSON_PrintUnformatted(env);
	cJSON_Delete(env);
	cJSON_Delete(sj);
	free(bytes);
	crypto_hash_sha256(dsum, proto_zdict, proto_zdict_len);
	cJSON_AddStringToObject(root, "description", "zstd on the wire (SPEC "
		"10.1.1): each case's frame (hex) decodes to text (a /v2/push "
		"body) when the receiver holds the protocol's dictionary; "
		"the case other_dictionary names id 7 and must be refused "
		"(bad_encoding) without being decoded.");
	h = hex(dsum, 32);
	c = cJSON_AddObjectToObject(root, "dictionary");
	cJSON_AddStringToObject(c, "file", "protocol/zstd/fieldsync-1.dict");
	cJSON_AddNumberToObject(c, "id", PROTO_ZDICT_ID);
	cJSON_AddNumberToObject(c, "bytes", (double)proto_zdict_len);
	cJSON_AddStringToObject(c, "sha256", h);
	free(h);
	cJSON_AddStringToObject(root, "text", text);
	cases = cJSON_AddArrayToObject(root, "cases");
	for (dict = 1; dict >= 0; dict--) {
		z = proto_zstd_compress(text, strlen(text), dict, 19, &zn);
		if (!z)
			die("zstd failed");
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", dict ? "with_dictionary"
							: "without_dictionary");
		cJSON_AddNumberToObject(c, "dictionary_id",
					dict ? PROTO_ZDICT_ID : 0);
		cJSON_AddTrueToObject(c, "valid");
		h = hex(z, zn);
		cJSON_AddStringToObject(c, "frame", h);
		free(h);
		cJSON_AddItemToArray(cases, c);
		if (dict) {
			/* Dictionary_ID: 4 bytes little endian in the header. */
			for (i = 4; i + 4 <= 18 && i + 4 <= zn; i++)
				if (z[i] == (PROTO_ZDICT_ID & 0xff) &&
				    z[i + 1] == ((PROTO_ZDICT_ID >> 8) & 0xff) &&
				    z[i + 2] == ((PROTO_ZDICT_ID >> 16) & 0xff) &&
				    z[i + 3] == ((PROTO_ZDICT_ID >> 24) & 0xff))
					break;
			if (i + 4 > 18)
				die("no dictionary id in the frame header");
			memcpy(z + i, "\x07\0\0\0", 4);
			c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "name", "other_dictionary");
			cJSON_AddNumberToObject(c, "dictionary_id", 7);
			cJSON_AddFalseToObject(c, "valid");
			cJSON_AddStringToObject(c, "error", "bad_encoding");
			h = hex(z, zn);
			cJSON_AddStringToObject(c, "frame", h);
			free(h);
			cJSON_AddItemToArray(cases, c);
		}
		free(z);
	}
	free(text);
	p = fmt("%s/zstd.json", outdir);
	write_json(p, root);
	free(p);
	cJSON_Delete(root);
}

int main(int argc, char **argv)
{
	char *p;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: mkvectors OUTDIR [CORPUSDIR]\n"
		       "Writes the protocol test vectors (keys.json, sets/, "
		       "merge.json, owner.json, auth.json, zstd.json) into OUTDIR,\nand with CORPUSDIR the valid "
		       "sets' bytes as fuzzing seeds. Deterministic.\n"
		       "Exit status: 0 success, 1 error, 2 usage.\n");
		return 0;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mkvectors OUTDIR [CORPUSDIR]\n");
		return 2;
	}
	if (sodium_init() < 0)
		die("libsodium cannot initialise");
	outdir = argv[1];
	corpusdir = argc == 3 ? argv[2] : NULL;
	mkdir_p(outdir);
	p = fmt("%s/sets", outdir);
	mkdir_p(p);
	free(p);
	if (corpusdir)
		mkdir_p(corpusdir);
	key_make(&alice, 0x00);
	key_make(&bob, 0x20);
	key_make(&hq, 0x40);
	keys();
	sets();
	merges();
	owners();
	auths();
	zstds();
	printf("mkvectors: wrote keys.json, %d sets, merge.json, owner.json, auth.json, zstd.json "
	       "to %s\n",
	       nsets, outdir);
	return 0;
}
