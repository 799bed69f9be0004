/*
** This file contains the reader of pull pages (page.h). A page is
**
**   {"sets":[{"cursor":N,"set":"<set bytes>","sig":"<hex>"},...],
**    "next":N,"more":true|false}
**
** (SPEC.md, GET /v2/pull; members in any order, others allowed). It is
** read straight from the body as received, inflating 64 KiB at a time: the
** outer object and the "sets" array are walked here, byte by byte, and
** each value inside them (an entry, "next", "more", any other member, and
** each member name) is cut out whole and given to proto_json_parse, so
** every byte of the page passes the same strict rules as any other
** answer: RFC 8259 grammar, UTF-8 without NUL, no duplicate key, at most
** PROTO_JSON_MAX_DEPTH levels counted from the page's top. Memory is the
** body as it came (compressed), one window, and one entry at a time,
** instead of the decoded page and its whole cJSON tree (8 MB each for a
** full page).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "protocol/proto.h"
#include "protocol/changeset.h"
#include "protocol/wire.h"
#include "page.h"

#define WINDOW (64u * 1024u)

struct reader {
	const unsigned char *in;  /* the body as received */
	size_t inlen;
	int gzip;                 /* the body's coding: FS_PAGE_GZIP, _ZSTD,
				  ** or 0 (plain) */
	ZSTD_DCtx *zd;            /* zstd: its decoder */
	ZSTD_inBuffer zin;
	z_stream z;
	int zlive;                /* inflateInit2 done */
	int zend;                 /* Z_STREAM_END seen */
	unsigned char *win;       /* gzip: decoded window */
	const unsigned char *p, *e; /* unread bytes of the window */
	size_t before;            /* decoded bytes before the window */
	size_t max;
	int failed;               /* FS_PAGE_BAD or FS_PAGE_NOMEM */
	char *why;
	size_t whyn;
};

static int fail(struct reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return r->failed;
	r->failed = code;
	va_start(ap, fmt);
	vsnprintf(r->why, r->whyn, fmt, ap);
	va_end(ap);
	return code;
}

/* Offset of the next unread decoded byte. */
static size_t pos(const struct reader *r)
{
	return r->before + (size_t)(r->p - (r->gzip ? r->win : r->in));
}

/* Make at least one unread byte available: 1, or 0 at the end of the
** body, or a failure code. */
static int fill(struct reader *r)
{
	if (r->p < r->e)
		return 1;
	if (r->failed)
		return r->failed;
	if (!r->gzip || r->zend)
		return 0;
	r->before += (size_t)(r->e - r->win);
	if (r->gzip == FS_PAGE_ZSTD) {
		ZSTD_outBuffer out = { r->win, WINDOW, 0 };
		char zwhy[160];
		while (out.pos == 0) {
			size_t zr = ZSTD_decompressStream(r->zd, &out, &r->zin);
			if (ZSTD_isError(zr))
				return fail(r, ZSTD_getErrorCode(zr) ==
						       ZSTD_error_memory_allocation
					       ? FS_PAGE_NOMEM : FS_PAGE_BAD,
					    "the zstd frame is damaged: %s",
					    proto_zstd_why(zr, zwhy,
							   sizeof zwhy));
			if (zr == 0) {
				r->zend = 1;
				if (r->zin.pos < r->zin.size)
					return fail(r, FS_PAGE_BAD, "bytes after "
						    "the end of the zstd frame");
				break;
			}
			if (r->zin.pos == r->zin.size && out.pos < out.size)
				return fail(r, FS_PAGE_BAD, "the zstd frame is "
					    "cut short");
		}
		r->p = r->win;
		r->e = r->win + out.pos;
		if (r->before + out.pos > r->max)
			return fail(r, FS_PAGE_BAD, "the page decodes to more "
				    "than %zu bytes", r->max);
		return r->p < r->e ? 1 : 0;
	}
	r->z.next_out = r->win;
	r->z.avail_out = WINDOW;
	while (r->z.avail_out == WINDOW) {
		int zr = inflate(&r->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			r->zend = 1;
			if (r->z.avail_in)
				return fail(r, FS_PAGE_BAD, "bytes after the "
					    "end of the gzip stream");
			break;
		}
		if (zr == Z_MEM_ERROR)
			return fail(r, FS_PAGE_NOMEM, "out of memory");
		if (zr != Z_OK || (r->z.avail_in == 0 &&
				   r->z.avail_out == WINDOW))
			return fail(r, FS_PAGE_BAD, "the gzip stream is %s",
				    zr == Z_OK || zr == Z_BUF_ERROR
					    ? "cut short" : "damaged");
	}
	r->p = r->win;
	r->e = r->win + (WINDOW - r->z.avail_out);
	if (r->before + (size_t)(r->e - r->p) > r->max)
		return fail(r, FS_PAGE_BAD, "the page decodes to more than "
			    "%zu bytes", r->max);
	return r->p < r->e ? 1 : 0;
}

/* The next byte without taking it: 0-255, -1 at the end, or a failure
** code below -1 (never a valid byte: failures are negative). */
static int peek(struct reader *r)
{
	int f = fill(r);

	if (f == 1)
		return *r->p;
	return f == 0 ? -1 : -1 + f;
}

static void skip_ws(struct reader *r)
{
	int c;

	while ((c = peek(r)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		r->p++;
}

/* Take the byte c (after whitespace) or fail naming what was expected. */
static int expect(struct reader *r, int c, const char *what)
{
	skip_ws(r);
	if (peek(r) != c)
		return fail(r, FS_PAGE_BAD, "malformed JSON at byte %zu of "
			    "the page: expected %s", pos(r), what);
	r->p++;
	return 0;
}

/* A growable buffer for the value being cut out. */
struct buf {
	char *p;
	size_t len, cap;
};

static int put(struct reader *r, struct buf *b, int c)
{
	if (b->len + 2 > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4096;
		char *np = realloc(b->p, nc);
		if (!np)
			return fail(r, FS_PAGE_NOMEM, "out of memory");
		b->p = np;
		b->cap = nc;
	}
	b->p[b->len++] = (char)c;
	return 0;
}

/* Copy the unread bytes of the window up to (not including) stop into b. */
static int put_run(struct reader *r, struct buf *b, const unsigned char *stop)
{
	size_t n = (size_t)(stop - r->p);

	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		char *np;
		while (nc < b->len + n + 1)
			nc *= 2;
		if (!(np = realloc(b->p, nc)))
			return fail(r, FS_PAGE_NOMEM, "out of memory");
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, r->p, n);
	b->len += n;
	r->p = stop;
	return 0;
}

/* Cut out the rest of a string whose opening quote is in b already, up to
** and including its closing quote. Escapes are only stepped over here
** (proto_json_parse checks them). */
static int cut_string(struct reader *r, struct buf *b)
{
	for (;;) {
		const unsigned char *q;
		int c;
		if (fill(r) != 1)
			return fail(r, FS_PAGE_BAD, "malformed JSON at byte %zu "
				    "of the page: unterminated string", pos(r));
		/* Runs of plain bytes are copied at once. */
		for (q = r->p; q < r->e && *q != '"' && *q != '\\'; q++)
			;
		if (put_run(r, b, q))
			return r->failed;
		if (r->p == r->e)
			continue;
		c = *r->p++;
		if (put(r, b, c))
			return r->failed;
		if (c == '"')
			return 0;
		/* A backslash: the next byte is part of the escape. */
		if ((c = peek(r)) < 0)
			return fail(r, FS_PAGE_BAD, "malformed JSON at byte %zu "
				    "of the page: unterminated escape", pos(r));
		r->p++;
		if (put(r, b, c))
			return r->failed;
	}
}

/* Cut out one whole JSON value into b (NUL-terminated), the next one in
** the page after whitespace. depth: the containers around it. Only its
** extent is found here, by brackets outside strings; its grammar is
** proto_json_parse's to check. */
static int cut_value(struct reader *r, struct buf *b, int depth)
{
	int c, nest = 0;

	b->len = 0;
	skip_ws(r);
	c = peek(r);
	if (c == '"') {
		r->p++;
		if (put(r, b, c) || cut_string(r, b))
			return r->failed;
	} else if (c == '{' || c == '[') {
		do {
			c = peek(r);
			if (c < 0)
				return fail(r, FS_PAGE_BAD, "malformed JSON at "
					    "byte %zu of the page: unexpected "
					    "end", pos(r));
			r->p++;
			if (put(r, b, c))
				return r->failed;
			if (c == '"') {
				if (cut_string(r, b))
					return r->failed;
			} else if (c == '{' || c == '[') {
				if (depth + nest >= PROTO_JSON_MAX_DEPTH)
					return fail(r, FS_PAGE_BAD, "malformed "
						    "JSON at byte %zu of the "
						    "page: arrays and objects "
						    "nested more than %d deep",
						    pos(r),
						    PROTO_JSON_MAX_DEPTH);
				nest++;
			} else if (c == '}' || c == ']') {
				nest--;
			}
		} while (nest > 0);
	} else {
		/* A number or literal: up to the next delimiter. */
		while ((c = peek(r)) >= 0 && c != ',' && c != '}' &&
		       c != ']' && c != ' ' && c != '\t' && c != '\n' &&
		       c != '\r') {
			r->p++;
			if (put(r, b, c))
				return r->failed;
		}
		if (b->len == 0)
			return fail(r, FS_PAGE_BAD, "malformed JSON at byte %zu "
				    "of the page: expected a value", pos(r));
	}
	if (r->failed)
		return r->failed;
	b->p[b->len] = '\0';
	return 0;
}

/* Parse b as one value (strict), or fail with proto_json_parse's reason. */
static int parse_cut(struct reader *r, const struct buf *b, size_t at,
		     cJSON **out)
{
	proto_err err;
	proto_code pc = proto_json_parse(b->p, b->len, out, &err);

	if (pc == PROTO_E_NOMEM)
		return fail(r, FS_PAGE_NOMEM, "out of memory");
	if (pc != PROTO_OK)
		return fail(r, FS_PAGE_BAD, "malformed JSON in the value at "
			    "byte %zu of the page: %s", at, err.msg);
	return 0;
}

/* Skimming: the last entry (in b, cut at byte at) gives its cursor. */
static int skim_last(struct reader *r, const struct buf *b, size_t at,
		     fs_page_info *info)
{
	cJSON *e = NULL, *k;

	if (parse_cut(r, b, at, &e))
		return r->failed;
	k = cJSON_GetObjectItemCaseSensitive(e, "cursor");
	if (cJSON_IsNumber(k)) {
		info->has_last = 1;
		info->last_cursor = (long long)k->valuedouble;
	}
	cJSON_Delete(e);
	return 0;
}

/* fn NULL: skim (entries cut, counted, not parsed; see fs_page_skim). */
static int read_page(struct reader *r, fs_page_fn fn, void *ctx,
		     fs_page_info *info)
{
	struct buf b = {NULL, 0, 0};
	char **names = NULL;
	size_t nnames = 0;
	int rc = 0, c, have_sets = 0;

	if (expect(r, '{', "a JSON object"))
		goto out;
	skip_ws(r);
	if (peek(r) == '}') {
		r->p++;
		goto end;
	}
	for (;;) {
		cJSON *name = NULL, *v = NULL;
		char **nn;
		size_t at;
		skip_ws(r);
		at = pos(r);
		if (peek(r) != '"') {
			fail(r, FS_PAGE_BAD, "malformed JSON at byte %zu of "
			     "the page: expected a member name", at);
			goto out;
		}
		if (cut_value(r, &b, 1) || parse_cut(r, &b, at, &name))
			goto out;
		for (size_t i = 0; i < nnames; i++)
			if (strcmp(names[i], name->valuestring) == 0) {
				fail(r, FS_PAGE_BAD, "duplicate key \"%.64s\" "
				     "in the page", name->valuestring);
				cJSON_Delete(name);
				goto out;
			}
		nn = realloc(names, (nnames + 1) * sizeof *names);
		if (!nn || !(nn[nnames] = strdup(name->valuestring))) {
			if (nn)
				names = nn;
			cJSON_Delete(name);
			fail(r, FS_PAGE_NOMEM, "out of memory");
			goto out;
		}
		names = nn;
		nnames++;
		if (expect(r, ':', "':'")) {
			cJSON_Delete(name);
			goto out;
		}
		skip_ws(r);
		if (strcmp(name->valuestring, "sets") == 0 && peek(r) == '[') {
			cJSON_Delete(name);
			have_sets = 1;
			r->p++;
			skip_ws(r);
			if (peek(r) == ']') {
				r->p++;
			} else {
				for (;;) {
					cJSON *entry = NULL;
					skip_ws(r);
					at = pos(r);
					if (cut_value(r, &b, 2) ||
					    (fn && parse_cut(r, &b, at,
							     &entry)))
						goto out;
					info->nsets++;
					rc = fn ? fn(ctx, entry) : 0;
					cJSON_Delete(entry);
					if (rc)
						goto out;
					skip_ws(r);
					c = peek(r);
					r->p += c == ',' || c == ']';
					if (c == ']') {
						if (!fn && skim_last(r, &b, at,
								     info))
							goto out;
						break;
					}
					if (c != ',') {
						fail(r, FS_PAGE_BAD, "malformed "
						     "JSON at byte %zu of the "
						     "page: expected ',' or "
						     "']'", pos(r));
						goto out;
					}
				}
			}
		} else {
			at = pos(r);
			if (cut_value(r, &b, 1) || parse_cut(r, &b, at, &v)) {
				cJSON_Delete(name);
				goto out;
			}
			if (strcmp(name->valuestring, "next") == 0 &&
			    cJSON_IsNumber(v)) {
				info->has_next = 1;
				info->next = (long long)v->valuedouble;
			} else if (strcmp(name->valuestring, "more") == 0) {
				info->more = cJSON_IsTrue(v);
			}
			cJSON_Delete(name);
			cJSON_Delete(v);
		}
		skip_ws(r);
		c = peek(r);
		r->p += c == ',' || c == '}';
		if (c == '}')
			break;
		if (c != ',') {
			fail(r, FS_PAGE_BAD, "malformed JSON at byte %zu of the "
			     "page: expected ',' or '}'", pos(r));
			goto out;
		}
	}
end:
	skip_ws(r);
	if (peek(r) != -1 && !r->failed)
		fail(r, FS_PAGE_BAD, "trailing bytes after the JSON value at "
		     "byte %zu of the page", pos(r));
	else if (!have_sets && !r->failed)
		fail(r, FS_PAGE_BAD, "the page has no \"sets\" array");
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(b.p);
	return rc ? rc : r->failed;
}

static int reader_open(struct reader *r, const char *body, size_t len,
		       int gzip, size_t max, char *why, size_t n)
{
	memset(r, 0, sizeof *r);
	r->in = (const unsigned char *)body;
	r->inlen = len;
	r->gzip = gzip;
	r->max = max;
	r->why = why;
	r->whyn = n;
	if (n)
		why[0] = '\0';
	if (!gzip) {
		r->p = r->in;
		r->e = r->in + len;
		if (len > max)
			return fail(r, FS_PAGE_BAD, "the page is more than %zu "
				    "bytes", max);
		return 0;
	}
	if (!(r->win = malloc(WINDOW)))
		return fail(r, FS_PAGE_NOMEM, "out of memory");
	r->p = r->e = r->win;
	if (gzip == FS_PAGE_ZSTD) {
		if (!(r->zd = proto_zstd_dctx()))
			return fail(r, FS_PAGE_NOMEM, "out of memory");
		r->zin.src = body;
		r->zin.size = len;
		r->zin.pos = 0;
		return 0;
	}
	r->z.next_in = (Bytef *)(size_t)body;
	r->z.avail_in = (uInt)len;
	if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
		return fail(r, FS_PAGE_NOMEM, "out of memory");
	r->zlive = 1;
	return 0;
}

static void reader_close(struct reader *r)
{
	if (r->zlive)
		inflateEnd(&r->z);
	ZSTD_freeDCtx(r->zd);
	free(r->win);
}

int fs_page_read(const char *body, size_t len, int gzip, size_t max,
		 fs_page_fn fn, void *ctx, fs_page_info *info, char *why,
		 size_t n)
{
	struct reader r;
	int rc;

	memset(info, 0, sizeof *info);
	rc = reader_open(&r, body, len, gzip, max, why, n);
	if (!rc)
		rc = read_page(&r, fn, ctx, info);
	reader_close(&r);
	return rc;
}

int fs_page_skim(const char *body, size_t len, int gzip, size_t max,
		 fs_page_info *info, char *why, size_t n)
{
	struct reader r;
	int rc;

	memset(info, 0, sizeof *info);
	rc = reader_open(&r, body, len, gzip, max, why, n);
	if (!rc)
		rc = read_page(&r, NULL, NULL, info);
	reader_close(&r);
	return rc;
}

char *fs_page_decode(const char *body, size_t len, int gzip, size_t max,
		     size_t *outlen)
{
	struct reader r;
	struct buf b = {NULL, 0, 0};
	char why[8];
	int f;

	*outlen = 0;
	if (reader_open(&r, body, len, gzip, max, why, sizeof why) == 0)
		while ((f = fill(&r)) == 1)
			if (put_run(&r, &b, r.e))
				break;
	if (r.failed || put(&r, &b, 0)) {
		reader_close(&r);
		free(b.p);
		return NULL;
	}
	reader_close(&r);
	*outlen = b.len - 1;
	return b.p;
}
