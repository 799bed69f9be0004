/*
** This file contains libfieldsync's private reader of pull pages (SPEC.md,
** GET /v2/pull): the page is read from its body as it came off the wire
** (gzip, zstd or plain), one entry of "sets" at a time, so a page of megabytes is
** never held decoded, nor as one cJSON tree, while it is applied. Only the
** sync engine uses it.
*/
#ifndef FIELDSYNC_PAGE_H
#define FIELDSYNC_PAGE_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* The page's members besides its entries, known once it was read whole. */
typedef struct fs_page_info {
	long long nsets;      /* entries in "sets" */
	int has_next;         /* "next" is present and a number */
	long long next;       /* its value (as jnum in sync.c reads it) */
	int more;             /* "more" is true */
	int has_last;         /* fs_page_skim: the last entry's "cursor" is */
	long long last_cursor; /* a number, this one */
} fs_page_info;

/* Called for each entry of "sets", in order, with the entry as a strict
** cJSON tree (proto_json_parse rules: RFC 8259, UTF-8, no duplicate
** key); the tree is freed when fn returns. A non-zero return stops the
** reading and is what fs_page_read returns. */
typedef int (*fs_page_fn)(void *ctx, const cJSON *entry);

/* Read the page body (len bytes; gzip: FS_PAGE_GZIP or FS_PAGE_ZSTD when it
** is a gzip stream or a zstd frame, 0 when plain, as its
** Content-Encoding said). Returns 0 when the whole body is one JSON object
** whose "sets" is an array and every fn returned 0 (*info filled); what
** fn returned when it stopped; FS_PAGE_BAD when the body is not such a
** page, with the reason in why (n bytes); FS_PAGE_NOMEM when out of
** memory. The decoded body may not exceed max bytes. */
#define FS_PAGE_GZIP 1
#define FS_PAGE_ZSTD 2
#define FS_PAGE_BAD   (-1)
#define FS_PAGE_NOMEM (-2)
int fs_page_read(const char *body, size_t len, int gzip, size_t max,
		 fs_page_fn fn, void *ctx, fs_page_info *info, char *why,
		 size_t n);

/* Read the page's outline only: its members and how many entries, and
** the "cursor" of the last entry, without parsing the entries (so without
** checking them: fs_page_read does). For knowing where the next page
** starts while this one is being applied. Returns 0, FS_PAGE_BAD or
** FS_PAGE_NOMEM as fs_page_read does. Touches nothing but its arguments
** (safe on another thread while fs_page_read reads the same body). */
int fs_page_skim(const char *body, size_t len, int gzip, size_t max,
		 fs_page_info *info, char *why, size_t n);

/* The whole body decoded (as gzip says) into a new
** NUL-terminated buffer of *outlen bytes (caller frees); NULL when it is
** not valid in its coding, exceeds max bytes, or out of memory. For
** answers other than a page (errors), which are small. */
char *fs_page_decode(const char *body, size_t len, int gzip, size_t max,
		     size_t *outlen);

#endif
