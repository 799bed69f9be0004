/*
** This file contains libfieldsync's private HTTP(S) transport: one libcurl
** easy handle reused for keep-alive, gzip request bodies, compressed
** responses, timeouts that notice a dead or stalled link in seconds, a hard
** cap on what a response may hold, and an optional progress callback.
** Only the sync engine uses it.
*/
#ifndef FIELDSYNC_HTTP_H
#define FIELDSYNC_HTTP_H

#include <stddef.h>

#define FS_HTTP_MAX_RESPONSE (64u * 1024u * 1024u)

typedef struct fs_http fs_http;

/* Progress: bytes sent and received so far in the current request. */
typedef void (*fs_http_progress_fn)(void *ctx, size_t up, size_t down);

/* A response. body is NUL-terminated (the NUL is not counted in len) and
** owned by the caller after fs_http_request succeeds: free() it. */
typedef struct fs_http_response {
	long status;      /* HTTP status, e.g. 200 */
	char *body;
	size_t len;
	size_t sent;      /* bytes on the wire up (after compression) */
	size_t received;  /* bytes on the wire down (before decompression) */
	int gzip;         /* fs_http_get_raw: the body's coding, FS_HTTP_GZIP
			  ** or FS_HTTP_ZSTD (page.h's FS_PAGE_*), 0 plain */
} fs_http_response;

/* New transport for base_url ("https://hq.example:8443"). cacert may be NULL
** (system trust store). Timeouts: connect_s to connect, and a transfer that
** moves fewer than 16 bytes/s for stall_s seconds is abandoned. Returns NULL
** when out of memory or libcurl cannot start. */
fs_http *fs_http_new(const char *base_url, const char *cacert, long connect_s,
		     long stall_s);

/* Free the transport; accepts NULL. */
void fs_http_free(fs_http *h);

void fs_http_set_progress(fs_http *h, fs_http_progress_fn fn, void *ctx);

/* Trust the server's certificate by its public key alone: hex is the
** SHA-256 of its DER SubjectPublicKeyInfo (64 hex digits, from the
** enrollment link). Any certificate with another key is then refused, a
** self-signed one with this key accepted. Returns 0, or -1 (bad hex, or a
** libcurl without pinning) and the transport is unchanged. */
int fs_http_set_pin(fs_http *h, const char *hex) __attribute__((warn_unused_result));

/* After fs_http_request failed: 1, with a message in plain words in msg (n
** bytes), when the failure is about TLS rather than the network: the
** certificate is unknown or does not match the pin, or the URL says http
** where the server speaks https (or the reverse; found by one short probe
** of the other scheme on the same port). 0 when it is a network failure
** (unreachable, try later). */
int fs_http_tls_problem(fs_http *h, char *msg, size_t n);

/* How request bodies are compressed (SPEC 10.1) and, with it, what the
** answers may come in: zstd with the protocol's dictionary (the default;
** answers zstd or gzip), or gzip alone (--encoding gzip; answers gzip). */
#define FS_HTTP_GZIP 1
#define FS_HTTP_ZSTD 2
void fs_http_set_coding(fs_http *h, int coding);
int fs_http_coding(const fs_http *h);

/* A body of at most this many bytes is compressed at zstd's strongest
** level, 19 (milliseconds); a larger one by the pace of the last upload
** of 16 KiB or more (its bytes over its whole request, the server's work
** included): under FS_HTTP_SLOW_BPS bytes/s 19 with its tables capped
** at 2^FS_HTTP_ZSTD_TABLE_LOG; from FS_HTTP_FAST_BPS 3; else, or before
** any, 6. */
#define FS_HTTP_ZSTD_SMALL (64u * 1024u)
#define FS_HTTP_ZSTD_TABLE_LOG 18
#define FS_HTTP_SLOW_BPS (32 * 1024)
#define FS_HTTP_FAST_BPS (2 * 1024 * 1024)

/* fs_http_request's gzip argument for a body compressed already, by
** fs_http_compress, which says which in *pre. */
#define FS_HTTP_PRE_GZIP 2
#define FS_HTTP_PRE_ZSTD 3

/* Compress len bytes of in as the transport's coding says into a new
** buffer (caller frees) of *outlen bytes; *pre is what to pass as
** fs_http_request's gzip argument to send it. NULL when out of memory. */
unsigned char *fs_http_compress(fs_http *h, const char *in, size_t len,
			        size_t *outlen, int *pre);

/* gzip-compress len bytes of in into a new buffer (caller frees) of
** *outlen bytes; NULL when out of memory. */
unsigned char *fs_http_gzip(const char *in, size_t len, size_t *outlen);

/* Perform METHOD base_url+path. bearer (may be NULL) is sent as
** "Authorization: Bearer ..." (one starting "Ticket " as it is). A body (may be NULL) is sent as
** application/json, compressed (fs_http_compress) when gzip is 1;
** FS_HTTP_PRE_GZIP or _ZSTD say body is compressed already and is sent as
** it is, 0 that it goes plain. Returns 0 when an
** HTTP response arrived (whatever its status) and fills *resp; -1 when the
** server could not be reached or the transfer failed (timeout, cut
** connection, response too large), with a message in errbuf (256 bytes). */
int fs_http_request(fs_http *h, const char *method, const char *path,
		    const char *bearer, const char *body, size_t len, int gzip,
		    fs_http_response *resp, char errbuf[256])
	__attribute__((warn_unused_result));

/* The TLS version and cipher of the last TLS connection ("" if none yet),
** as libcurl names them, e.g. "TLSv1.3 / TLS_AES_256_GCM_SHA384"; and how
** many connections the requests so far opened (one, when kept alive). */
const char *fs_http_tls(const fs_http *h);
long fs_http_connections(const fs_http *h);

/* GET base_url+path as fs_http_request does, but the body is left as it
** came off the wire: resp->gzip says its coding (FS_HTTP_GZIP, or
** FS_HTTP_ZSTD when the transport asks for zstd), 0 when plain. The size cap applies to those bytes;
** decoding them is the caller's (page.h). Returns as fs_http_request;
** an answer in an encoding not asked for is a failed transfer (-1). */
int fs_http_get_raw(fs_http *h, const char *path, const char *bearer,
		    fs_http_response *resp, char errbuf[256])
	__attribute__((warn_unused_result));

#endif
