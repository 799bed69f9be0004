/*
** This file contains the content codings of request and response bodies
** (SPEC.md 10.1): zstd, with the protocol's dictionary (zdict.h) for what a
** client sends, and the limits a receiver puts on a zstd frame before it
** allocates anything for it. gzip stays as zlib gives it (client and server
** each use zlib directly). Client and server both go through this file, so
** what one writes the other reads.
*/
#ifndef FIELDSYNC_PROTO_WIRE_H
#define FIELDSYNC_PROTO_WIRE_H

#include <stddef.h>
#include <zstd.h>

/* A zstd frame on the wire may declare a window of at most 2^20 bytes
** (1 MiB): a receiver refuses larger ones before allocating it. */
#define PROTO_ZSTD_WINDOW_LOG_MAX 20

/* Compress len bytes of in as one zstd frame into a new buffer (caller
** frees) of *outlen bytes: with the protocol's dictionary when dict is 1
** (the frame names its id), without when 0; level as zstd counts them
** (1..19). NULL when out of memory. Thread-safe. */
unsigned char *proto_zstd_compress(const void *in, size_t len, int dict,
				   int level, size_t *outlen);

/* The same with a context the caller keeps (ZSTD_createCCtx) for one body
** after another: its tables are allocated once, at the size the largest
** needed, instead of once a body (a process that sends many bodies would
** otherwise hold the freed tables of several levels at once). Every
** parameter is set anew each call. table_log > 0 caps the match finder's
** hash and chain tables at 2^table_log entries each (zstd's hashLog and
** chainLog), 0 leaves the level's own: level 19 on 1 MB of JSON needs 34
** MB of tables, capped at 18 3.3 MB for 6% more bytes. Not for two
** threads at once. */
unsigned char *proto_zstd_compress_ctx(ZSTD_CCtx *c, const void *in,
				       size_t len, int dict, int level,
				       int table_log, size_t *outlen);

/* A new zstd decoding context for the wire: window limited to
** PROTO_ZSTD_WINDOW_LOG_MAX, the protocol's dictionary referenced (a frame
** naming it is decoded with it, one naming none without; one naming any
** other id fails with ZSTD_error_dictionary_wrong). NULL when out of
** memory. Free with ZSTD_freeDCtx. */
ZSTD_DCtx *proto_zstd_dctx(void);

/* Bytes a receiver should count for one live context of proto_zstd_dctx
** (its window and buffers), for memory budgets. */
size_t proto_zstd_dctx_cost(void);

/* Why a zstd decoding step failed (code from ZSTD_getErrorCode), as a
** short English phrase for an error message, e.g. "the frame names
** dictionary 7; only the protocol's (1718026241) or none is accepted". */
const char *proto_zstd_why(size_t zret, char *buf, size_t n);

#endif
