/*
** This file contains the libFuzzer target for the client's pull page reader
** (client/lib/page.c), checked against the whole-body parser it stands in
** for: the input is a page body; read one entry at a time (fs_page_read),
** plain and gzip'd, it must be accepted exactly when proto_json_parse
** accepts the whole body as an object whose "sets" is an array, give the
** same entries in order (printed back by cJSON) and the same "next" and
** "more"; fs_page_skim must agree on the outline (entries, next, more,
** last cursor) whenever the reader accepts. The first input byte picks
** where a callback stops the reading (0: never), which must then be what
** the reader returns.
**
** A broken property calls FUZZ_FAIL (abort by default, so libFuzzer saves
** the input). tests/unit/test_client_page.c includes this file with its own
** FUZZ_FAIL and replays the saved inputs (tests/fuzz/corpus/
** fuzz_client_page). The reader itself is included here (it needs only
** the protocol module and zlib) unless FUZZ_PAGE_LINKED says it is linked.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "protocol/proto.h"
#include "protocol/changeset.h"
#ifndef FUZZ_PAGE_LINKED
#include "client/lib/page.c"
#else
#include "client/lib/page.h"
#include "protocol/wire.h"
#endif

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) do { \
	fprintf(stderr, "fuzz_client_page: "); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	abort(); \
} while (0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FP_MAX (1u << 20)

struct fp_seen {
	size_t n;
	int stop_at;      /* 1-based entry at which to answer 9; 0 never */
	char **text;      /* each entry printed back */
	size_t cap;
};

static int fp_entry(void *ctx, const cJSON *e)
{
	struct fp_seen *s = ctx;
	char *t = cJSON_PrintUnformatted((cJSON *)(uintptr_t)e);

	if (!t)
		FUZZ_FAIL("out of memory printing an entry");
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		char **nt = realloc(s->text, nc * sizeof *nt);
		if (!nt)
			FUZZ_FAIL("out of memory");
		s->text = nt;
		s->cap = nc;
	}
	s->text[s->n++] = t;
	return s->stop_at && (int)s->n == s->stop_at ? 9 : 0;
}

static void fp_free(struct fp_seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->text[i]);
	free(s->text);
	memset(s, 0, sizeof *s);
}

static char *fp_gzip(const char *in, size_t len, size_t *out)
{
	z_stream z;
	size_t cap = compressBound((uLong)len) + 64;
	char *buf = malloc(cap);

	*out = 0;
	if (!buf)
		return NULL;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(buf);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		return NULL;
	}
	*out = z.total_out;
	deflateEnd(&z);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body;
	size_t len, zlen = 0;
	struct fp_seen a, b;
	fs_page_info ia, ib, is;
	char why[256], *z;
	cJSON *whole = NULL, *sets;
	proto_err err;
	int stop, ra, rb, rs, whole_ok;

	if (size < 1 || size > FP_MAX)
		return 0;
	stop = data[0] % 8;
	body = (const char *)data + 1;
	len = size - 1;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.stop_at = b.stop_at = stop;
	ra = fs_page_read(body, len, 0, FP_MAX, fp_entry, &a, &ia, why,
			  sizeof why);
	if (ra != 0 && ra != FS_PAGE_BAD && ra != 9)
		FUZZ_FAIL("reader returned %d", ra);
	if (ra == FS_PAGE_BAD && !why[0])
		FUZZ_FAIL("refused without a reason");

	whole_ok = proto_json_parse(body, len, &whole, &err) == PROTO_OK &&
		   cJSON_IsObject(whole) &&
		   cJSON_IsArray(sets = cJSON_GetObjectItemCaseSensitive(
					 whole, "sets"));
	if (ra == 0 && !whole_ok)
		FUZZ_FAIL("the reader accepted a page the whole parser refuses");
	if (ra == FS_PAGE_BAD && whole_ok)
		FUZZ_FAIL("the reader refused a page the whole parser accepts: "
			  "%s", why);
	if (whole_ok) {
		size_t i = 0;
		const cJSON *e, *nx = cJSON_GetObjectItemCaseSensitive(whole,
								       "next");
		cJSON_ArrayForEach(e, sets) {
			char *t;
			if (i >= a.n)
				break;
			t = cJSON_PrintUnformatted((cJSON *)(uintptr_t)e);
			if (!t || strcmp(t, a.text[i]) != 0)
				FUZZ_FAIL("entry %zu differs", i);
			free(t);
			i++;
		}
		if (ra == 0) {
			if (i != a.n ||
			    (size_t)cJSON_GetArraySize(sets) != a.n ||
			    ia.nsets != (long long)a.n)
				FUZZ_FAIL("entry counts differ");
			if (ia.has_next != cJSON_IsNumber(nx) ||
			    (ia.has_next &&
			     ia.next != (long long)nx->valuedouble))
				FUZZ_FAIL("next differs");
			if (ia.more != cJSON_IsTrue(
				    cJSON_GetObjectItemCaseSensitive(whole,
								     "more")))
				FUZZ_FAIL("more differs");
		} else if (ra == 9 && (int)a.n != stop) {
			FUZZ_FAIL("stopped after %zu entries, not %d", a.n,
				  stop);
		}
	}
	cJSON_Delete(whole);

	/* The same body gzip'd: the same answer and entries. */
	z = fp_gzip(body, len, &zlen);
	if (z) {
		rb = fs_page_read(z, zlen, 1, FP_MAX, fp_entry, &b, &ib, why,
				  sizeof why);
		if (rb != ra || b.n != a.n)
			FUZZ_FAIL("gzip'd: %d after %zu entries, plain: %d "
				  "after %zu", rb, b.n, ra, a.n);
		for (size_t i = 0; i < a.n; i++)
			if (strcmp(a.text[i], b.text[i]) != 0)
				FUZZ_FAIL("gzip'd entry %zu differs", i);
		/* The outline, where the reader accepts. */
		if (ra == 0) {
			rs = fs_page_skim(z, zlen, 1, FP_MAX, &is, why,
					  sizeof why);
			if (rs != 0 || is.nsets != ia.nsets ||
			    is.has_next != ia.has_next ||
			    is.next != ia.next || is.more != ia.more)
				FUZZ_FAIL("the outline differs (%d)", rs);
			if (a.n) {
				cJSON *last = cJSON_Parse(a.text[a.n - 1]);
				const cJSON *k =
					cJSON_GetObjectItemCaseSensitive(
						last, "cursor");
				if (is.has_last != cJSON_IsNumber(k) ||
				    (is.has_last &&
				     is.last_cursor !=
					     (long long)k->valuedouble))
					FUZZ_FAIL("last cursor differs");
				cJSON_Delete(last);
			}
		}
		free(z);
	}
	/* As a zstd frame with the protocol's dictionary: the same again. */
	fp_free(&b);
	memset(&b, 0, sizeof b);
	b.stop_at = stop;
	z = (char *)proto_zstd_compress(body, len, 1, 1, &zlen);
	if (z) {
		rb = fs_page_read(z, zlen, FS_PAGE_ZSTD, FP_MAX, fp_entry, &b,
				  &ib, why, sizeof why);
		if (rb != ra || b.n != a.n)
			FUZZ_FAIL("zstd: %d after %zu entries, plain: %d "
				  "after %zu", rb, b.n, ra, a.n);
		for (size_t i = 0; i < a.n; i++)
			if (strcmp(a.text[i], b.text[i]) != 0)
				FUZZ_FAIL("zstd entry %zu differs", i);
		free(z);
	}
	/* The input itself as a zstd body: refused or read, never a crash. */
	(void)fs_page_read(body, len, FS_PAGE_ZSTD, FP_MAX, NULL, NULL, &is,
			   why, sizeof why);
	fp_free(&a);
	fp_free(&b);
	return 0;
}
