/*
** This file contains the unit tests of the pull page reader
** (client/lib/page.c): a page read one entry at a time, plain or gzip'd,
** gives the same entries and members as proto_json_parse of the whole
** page would, and whatever proto_json_parse refuses in a page (grammar,
** duplicate keys at any level, bad UTF-8, NUL, depth, trailing bytes) the
** reader refuses too, as do a cut or damaged gzip stream and a page over
** its size limit. Gzip'd bodies are made here with zlib, as the server
** does. The saved inputs of the page fuzz target are replayed through its
** check (the reader against proto_json_parse of the whole page).
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "client/lib/page.h"
#include "protocol/changeset.h"
#include "protocol/proto.h"
#include "corpus_replay.h"

/* The fuzz target's whole check, on the saved inputs (the reader is
** linked from libfieldsync here). */
static const char *current_input = "?";
#define FUZZ_FAIL(...) do { \
	print_error("input %s: ", current_input); \
	fail_msg(__VA_ARGS__); \
} while (0)
#define FUZZ_PAGE_LINKED 1
#include "tests/fuzz/fuzz_client_page.c"

/* gzip in (len bytes) as the server's respond() does. */
static char *gz(const char *in, size_t len, size_t *out)
{
	z_stream z;
	size_t cap = compressBound((uLong)len) + 64;
	char *buf = malloc(cap);

	assert_non_null(buf);
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out = z.total_out;
	deflateEnd(&z);
	return buf;
}

struct seen {
	int n;
	char text[8][256];  /* each entry printed back */
	int stop_at;        /* return 7 from this entry (1-based); 0 never */
};

static int on_entry(void *ctx, const cJSON *e)
{
	struct seen *s = ctx;
	char *t = cJSON_PrintUnformatted((cJSON *)e);

	assert_non_null(t);
	if (s->n < 8)
		snprintf(s->text[s->n], sizeof s->text[0], "%s", t);
	free(t);
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

/* Read page both plain and gzip'd; both must agree. Returns the code. */
static int read_both(const char *page, struct seen *s, fs_page_info *info,
		     char *why, size_t whyn)
{
	struct seen s2;
	fs_page_info i2;
	char why2[256];
	size_t zlen;
	char *z = gz(page, strlen(page), &zlen);
	int rc = fs_page_read(page, strlen(page), 0, 1u << 20, on_entry, s,
			      info, why, whyn);
	int rc2;

	memset(&s2, 0, sizeof s2);
	s2.stop_at = s->stop_at;
	rc2 = fs_page_read(z, zlen, 1, 1u << 20, on_entry, &s2, &i2, why2,
			   sizeof why2);
	free(z);
	assert_int_equal(rc, rc2);
	assert_int_equal(s->n, s2.n);
	for (int i = 0; i < s->n && i < 8; i++)
		assert_string_equal(s->text[i], s2.text[i]);
	if (rc == 0) {
		assert_int_equal(info->nsets, i2.nsets);
		assert_int_equal(info->has_next, i2.has_next);
		assert_int_equal(info->next, i2.next);
		assert_int_equal(info->more, i2.more);
	}
	return rc;
}

static void test_page_entries(void **state)
{
	static const char page[] =
		"{\"sets\":[{\"cursor\":1,\"set\":\"{\\\"a\\\":\\\"x\\\\\\\"]}\\\"}\","
		"\"sig\":\"ab\"} , {\"cursor\":2,\"set\":\"\\u00e9 ນາ\","
		"\"sig\":\"cd\",\"extra\":[1,{\"k\":[]}]}],\n"
		"\"other\":{\"x\":[true,null]},\"next\":17,\"more\":true}  \n";
	struct seen s;
	fs_page_info info;
	char why[256];
	cJSON *whole = NULL;
	proto_err err;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(read_both(page, &s, &info, why, sizeof why), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(info.nsets, 2);
	assert_int_equal(info.has_next, 1);
	assert_int_equal(info.next, 17);
	assert_int_equal(info.more, 1);
	/* The entries are what the whole page parsed at once holds. */
	assert_int_equal(proto_json_parse(page, strlen(page), &whole, &err),
			 PROTO_OK);
	for (int i = 0; i < 2; i++) {
		char *t = cJSON_PrintUnformatted(cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(whole, "sets"), i));
		assert_string_equal(t, s.text[i]);
		free(t);
	}
	cJSON_Delete(whole);
}

static void test_page_members(void **state)
{
	struct seen s;
	fs_page_info info;
	char why[256];

	(void)state;
	/* Members in another order, no "next", "more" false, no entry. */
	memset(&s, 0, sizeof s);
	assert_int_equal(read_both("{\"more\":false,\"sets\":[]}", &s, &info,
				   why, sizeof why),
			 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(info.nsets, 0);
	assert_int_equal(info.has_next, 0);
	assert_int_equal(info.more, 0);
	/* A name spelled with an escape is the same name. */
	memset(&s, 0, sizeof s);
	assert_int_equal(read_both("{\"se\\u0074s\":[{\"cursor\":3}],"
				   "\"next\":\"9\"}",
				   &s, &info, why, sizeof why),
			 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(info.has_next, 0); /* not a number */
	/* The callback's answer stops the reading and is returned. */
	memset(&s, 0, sizeof s);
	s.stop_at = 2;
	assert_int_equal(read_both("{\"sets\":[1,2,3],\"more\":true}", &s,
				   &info, why, sizeof why),
			 7);
	assert_int_equal(s.n, 2);
}

static void test_page_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"sets\":{}}",
		"{\"sets\":[] ",
		"{\"sets\":[]}x",
		"{\"sets\":[]}{}",
		"{\"sets\":[],\"sets\":[]}",
		"{\"sets\":[],\"se\\u0074s\":[]}",
		"{\"more\":true,\"more\":false,\"sets\":[]}",
		"{\"sets\":[{\"cursor\":1,\"cursor\":2}]}",
		"{\"sets\":[{\"a\":{\"b\":1,\"b\":2}}]}",
		"{\"sets\":[{\"set\":\"x\\u0000y\"}]}",
		"{\"sets\":[{\"set\":\"\xc3\"}]}",
		"{\"sets\":[\"\xff\"]}",
		"{\"sets\":[01]}",
		"{\"sets\":[1,]}",
		"{\"sets\":[,1]}",
		"{\"sets\":[1 2]}",
		"{\"sets\":[1],}",
		"{\"sets\":[tru]}",
		"{\"sets\":[{\"a\":1}}",
		"{\"sets\":[\"unterminated]}",
		"{sets:[]}",
		"{\"sets\" []}",
		"{\"sets\":[]\x01}",
		"{\"sets\":[],\"next\":1.}",
	};
	struct seen s;
	fs_page_info info;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&s, 0, sizeof s);
		why[0] = '\0';
		if (bad[i][0] == '\0') {
			assert_int_equal(fs_page_read(bad[i], 0, 0, 100,
						      on_entry, &s, &info, why,
						      sizeof why),
					 FS_PAGE_BAD);
			continue;
		}
		assert_int_equal(read_both(bad[i], &s, &info, why, sizeof why),
				 FS_PAGE_BAD);
		assert_true(why[0] != '\0');
	}
}

/* Nesting: the page's own two levels count, as in proto_json_parse. */
static void test_page_depth(void **state)
{
	char page[400];
	struct seen s;
	fs_page_info info;
	char why[256];
	cJSON *whole = NULL;
	proto_err err;

	(void)state;
	for (int extra = PROTO_JSON_MAX_DEPTH - 3;
	     extra <= PROTO_JSON_MAX_DEPTH - 1; extra++) {
		int n = snprintf(page, sizeof page, "{\"sets\":[");
		/* The entry is level 2; extra arrays inside it. */
		n += snprintf(page + n, sizeof page - (size_t)n, "{\"x\":");
		for (int i = 0; i < extra; i++)
			page[n++] = '[';
		for (int i = 0; i < extra; i++)
			page[n++] = ']';
		snprintf(page + n, sizeof page - (size_t)n, "}]}");
		memset(&s, 0, sizeof s);
		{
			int whole_ok = proto_json_parse(page, strlen(page),
							&whole, &err) ==
				       PROTO_OK;
			int rc = read_both(page, &s, &info, why, sizeof why);
			cJSON_Delete(whole);
			whole = NULL;
			assert_int_equal(rc == 0, whole_ok);
		}
	}
}

static void test_page_gzip_faults(void **state)
{
	static const char page[] = "{\"sets\":[{\"cursor\":1,\"set\":\"s\","
				   "\"sig\":\"x\"}],\"more\":false}";
	struct seen s;
	fs_page_info info;
	char why[256];
	size_t zlen;
	char *z = gz(page, strlen(page), &zlen), *two, *plain;
	size_t n;

	(void)state;
	/* Cut anywhere: refused (an entry may have been seen first). */
	for (size_t cut = 0; cut < zlen; cut++) {
		memset(&s, 0, sizeof s);
		assert_int_equal(fs_page_read(z, cut, 1, 1u << 20, on_entry, &s,
					      &info, why, sizeof why),
				 FS_PAGE_BAD);
	}
	/* A flipped byte in the deflate data or the CRC: refused. */
	for (size_t at = 10; at < zlen; at++) {
		z[at] ^= 0x55;
		memset(&s, 0, sizeof s);
		assert_int_not_equal(fs_page_read(z, zlen, 1, 1u << 20,
						  on_entry, &s, &info, why,
						  sizeof why),
				     0);
		z[at] ^= 0x55;
	}
	/* Bytes after the gzip stream: refused. */
	two = malloc(zlen + 1);
	assert_non_null(two);
	memcpy(two, z, zlen);
	two[zlen] = 0;
	memset(&s, 0, sizeof s);
	assert_int_equal(fs_page_read(two, zlen + 1, 1, 1u << 20, on_entry, &s,
				      &info, why, sizeof why),
			 FS_PAGE_BAD);
	free(two);
	/* Over the limit, decoded or plain: refused. */
	assert_int_equal(fs_page_read(z, zlen, 1, strlen(page) - 1, on_entry,
				      &s, &info, why, sizeof why),
			 FS_PAGE_BAD);
	assert_int_equal(fs_page_read(page, strlen(page), 0, strlen(page) - 1,
				      on_entry, &s, &info, why, sizeof why),
			 FS_PAGE_BAD);
	/* fs_page_decode gives the page back, and refuses what is cut. */
	plain = fs_page_decode(z, zlen, 1, 1u << 20, &n);
	assert_non_null(plain);
	assert_int_equal(n, strlen(page));
	assert_string_equal(plain, page);
	free(plain);
	assert_null(fs_page_decode(z, zlen - 1, 1, 1u << 20, &n));
	assert_null(fs_page_decode(z, zlen, 1, 10, &n));
	plain = fs_page_decode(page, strlen(page), 0, 1u << 20, &n);
	assert_non_null(plain);
	assert_string_equal(plain, page);
	free(plain);
	free(z);
}

/* A page of many megabytes decoded goes through the 64 KiB window: every
** entry comes out whole, in order. */
static void test_page_large(void **state)
{
	const int nsets = 300;
	size_t cap = (size_t)nsets * 20000 + 100, n = 0, zlen;
	char *page = malloc(cap), *z;
	struct seen s;
	fs_page_info info;
	char why[256];

	(void)state;
	assert_non_null(page);
	n += (size_t)snprintf(page + n, cap - n, "{\"sets\":[");
	for (int i = 0; i < nsets; i++) {
		n += (size_t)snprintf(page + n, cap - n, "%s{\"cursor\":%d,"
				      "\"set\":\"", i ? "," : "", i + 1);
		for (int j = 0; j < 19000; j++)
			page[n++] = j % 97 == 0 ? ' ' : (char)('a' + j % 26);
		n += (size_t)snprintf(page + n, cap - n, "\\\"\",\"sig\":"
				      "\"00\"}");
	}
	n += (size_t)snprintf(page + n, cap - n, "],\"next\":%d,\"more\":"
			      "false}", nsets);
	z = gz(page, n, &zlen);
	memset(&s, 0, sizeof s);
	assert_int_equal(fs_page_read(z, zlen, 1, cap, on_entry, &s, &info,
				      why, sizeof why),
			 0);
	assert_int_equal(s.n, nsets);
	assert_int_equal(info.next, nsets);
	memset(&s, 0, sizeof s);
	assert_int_equal(fs_page_read(page, n, 0, cap, on_entry, &s, &info,
				      why, sizeof why),
			 0);
	assert_int_equal(s.n, nsets);
	free(z);
	free(page);
}

/* Every saved input of tests/fuzz/fuzz_client_page.c passes its check. */
static void test_page_corpus(void **state)
{
	size_t n;

	(void)state;
	current_input = "tests/fuzz/corpus/fuzz_client_page";
	n = corpus_replay("tests/fuzz/corpus/fuzz_client_page",
			  LLVMFuzzerTestOneInput);
	assert_true(n >= 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_corpus),
		cmocka_unit_test(test_page_entries),
		cmocka_unit_test(test_page_members),
		cmocka_unit_test(test_page_refused),
		cmocka_unit_test(test_page_depth),
		cmocka_unit_test(test_page_gzip_faults),
		cmocka_unit_test(test_page_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
