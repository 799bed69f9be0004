/*
** This file contains the HTTP(S) transport of libfieldsync on top of
** libcurl: one easy handle kept for keep-alive, gzip request bodies (field
** links are slow, JSON compresses well), Accept-Encoding for responses,
** CURLOPT_LOW_SPEED_* so a stalled link is noticed in seconds, and a cap on
** the response size enforced while it streams in.
**
** Trust: the system store, a private CA (--cacert), or a pin from the
** enrollment link: CURLOPT_PINNEDPUBLICKEY "sha256//<base64>" with peer
** verification off, so a self-signed certificate is trusted exactly when
** its public key is the one HQ's link names, and no other is. After a
** failure, fs_http_tls_problem tells a TLS problem (the certificate, http
** vs https) from a network one, probing the other scheme once if needed.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <sodium.h>
#include <zlib.h>
#include "protocol/i18n.h"
#include "protocol/wire.h"
#include "http.h"

struct fs_http {
	CURL *curl;
	char *base;              /* base URL without trailing slash */
	fs_http_progress_fn progress;
	void *progress_ctx;
	char *buf;               /* response being received */
	size_t len, cap;
	int too_big;
	long connect_s;
	char pin[64];            /* "sha256//<base64>", or "" */
	int raw;                 /* this request: fs_http_get_raw */
	int enc;                 /* its Content-Encoding: 0 none, 1 gzip,
				 ** 2 zstd, -1 another */
	int coding;              /* of request bodies: FS_HTTP_ZSTD or _GZIP */
	int link;                /* the last sizeable upload's pace: 0 none
				 ** yet, 1 under FS_HTTP_SLOW_BPS, 2 between,
				 ** 3 from FS_HTTP_FAST_BPS */
	ZSTD_CCtx *zc;           /* kept for every body (proto_zstd_compress_ctx) */
	int zc_busy;             /* a thread is using zc (atomic) */
	CURLcode last_cc;        /* of the last request */
	char last_detail[CURL_ERROR_SIZE];
	char tls[64];            /* "TLSv1.3 / TLS_AES_256_GCM_SHA384", or "" */
	long connects;           /* connections opened so far */
};

/* libcurl's own account of each connection: only the line that names the
** TLS version and cipher is kept (fs_http_tls). */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t size,
		    void *ud)
{
	static const char tag[] = "SSL connection using ";
	fs_http *h = ud;
	size_t n;

	(void)c;
	if (type != CURLINFO_TEXT || size < sizeof tag ||
	    memcmp(data, tag, sizeof tag - 1) != 0)
		return 0;
	data += sizeof tag - 1;
	size -= sizeof tag - 1;
	for (n = 0; n < size && n + 1 < sizeof h->tls && data[n] != '\n' &&
		    data[n] != '\r'; n++)
		h->tls[n] = data[n];
	h->tls[n] = '\0';
	return 0;
}

static int curl_ready;

/* a + b in a new string; NULL when out of memory. */
static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

/* What the answers may come in: zstd (libcurl decodes it, and so does
** page.c) only while request bodies go as zstd too, so that --encoding
** gzip measures gzip alone. */
static const char *accept_list(const fs_http *h)
{
	return h->coding == FS_HTTP_ZSTD ? "zstd, gzip" : "gzip";
}

void fs_http_set_coding(fs_http *h, int coding)
{
	h->coding = coding == FS_HTTP_GZIP ? FS_HTTP_GZIP : FS_HTTP_ZSTD;
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, accept_list(h));
}

int fs_http_coding(const fs_http *h)
{
	return h ? h->coding : FS_HTTP_ZSTD;
}

fs_http *fs_http_new(const char *base_url, const char *cacert, long connect_s,
		     long stall_s)
{
	fs_http *h;
	size_t n;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_ready = 1;
	}
	h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->base = strdup(base_url);
	h->curl = curl_easy_init();
	if (!h->base || !h->curl) {
		fs_http_free(h);
		return NULL;
	}
	n = strlen(h->base);
	while (n > 0 && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	h->connect_s = connect_s;
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, connect_s);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 16L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, stall_s);
	h->coding = FS_HTTP_ZSTD;
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, accept_list(h));
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "fieldsync/1");
	/* TLS 1.2 at least; 1.3 (one round trip) whenever the server has it. */
	curl_easy_setopt(h->curl, CURLOPT_SSLVERSION,
			 (long)CURL_SSLVERSION_TLSv1_2);
	/* A ClientHello of 231 bytes instead of 517: on 2G's 100 kbit/s up
	** that is 23 ms of every sync over HTTPS. OpenSSL pads a hello of 256
	** to 511 bytes up to 512, so it pays to stay under 256: HTTP/1.1
	** without ALPN (fieldsyncd speaks nothing else), two groups, and for
	** TLS 1.2 only ECDHE with an AEAD (what fieldsyncd's GnuTLS offers). */
	curl_easy_setopt(h->curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h->curl, CURLOPT_SSL_ENABLE_ALPN, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_EC_CURVES, "X25519:P-256");
	curl_easy_setopt(h->curl, CURLOPT_SSL_CIPHER_LIST,
			 "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
			 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
	curl_easy_setopt(h->curl, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h->curl, CURLOPT_DEBUGDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_VERBOSE, 1L);
	if (cacert)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, cacert);
	return h;
}

void fs_http_free(fs_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	ZSTD_freeCCtx(h->zc);
	free(h->base);
	free(h->buf);
	free(h);
}

int fs_http_set_pin(fs_http *h, const char *hex)
{
	unsigned char key[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	size_t n = 0;

	if (!hex || strlen(hex) != 64 ||
	    sodium_hex2bin(key, sizeof key, hex, 64, NULL, &n, NULL) != 0 ||
	    n != sizeof key)
		return -1;
	sodium_bin2base64(b64, sizeof b64, key, sizeof key,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(h->pin, sizeof h->pin, "sha256//%s", b64);
	/* The pin is the whole of the trust: no CA chain or host name needed,
	** and a certificate with any other key is refused by curl. */
	if (curl_easy_setopt(h->curl, CURLOPT_PINNEDPUBLICKEY, h->pin) !=
	    CURLE_OK) {
		h->pin[0] = '\0';
		return -1;
	}
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	return 0;
}

void fs_http_set_progress(fs_http *h, fs_http_progress_fn fn, void *ctx)
{
	h->progress = fn;
	h->progress_ctx = ctx;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	fs_http *h = ud;
	size_t n = size * nmemb;

	if (h->len + n + 1 > FS_HTTP_MAX_RESPONSE) {
		h->too_big = 1;
		return 0; /* makes curl fail the transfer */
	}
	if (h->len + n + 1 > h->cap) {
		size_t nc = h->cap ? h->cap : 16384;
		char *nb;
		while (nc < h->len + n + 1)
			nc *= 2;
		nb = realloc(h->buf, nc);
		if (!nb)
			return 0;
		h->buf = nb;
		h->cap = nc;
	}
	memcpy(h->buf + h->len, ptr, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return n;
}

/* Raw responses: note the Content-Encoding of the final answer. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	fs_http *h = ud;
	size_t n = size * nmemb;
	static const char name[] = "content-encoding:";

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		h->enc = 0; /* a new answer (after 100 Continue, say) */
	} else if (n > sizeof name - 1 &&
		   strncasecmp(ptr, name, sizeof name - 1) == 0) {
		const char *v = ptr + sizeof name - 1, *e = ptr + n;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == '\r' || e[-1] == '\n' ||
				 e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - v) == 4 && strncasecmp(v, "gzip", 4) == 0)
			h->enc = 1;
		else if ((size_t)(e - v) == 4 &&
			 strncasecmp(v, "zstd", 4) == 0 &&
			 h->coding == FS_HTTP_ZSTD)
			h->enc = 2;
		else if (!((size_t)(e - v) == 8 &&
			   strncasecmp(v, "identity", 8) == 0))
			h->enc = -1;
	}
	return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	fs_http *h = ud;

	(void)dltotal;
	(void)ultotal;
	if (h->progress)
		h->progress(h->progress_ctx, (size_t)ulnow, (size_t)dlnow);
	return 0;
}

unsigned char *fs_http_gzip(const char *in, size_t len, size_t *outlen)
{
	z_stream z;
	unsigned char *out;
	size_t cap;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)len) + 32;
	out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

unsigned char *fs_http_compress(fs_http *h, const char *in, size_t len,
			        size_t *outlen, int *pre)
{
	if (h->coding == FS_HTTP_GZIP) {
		*pre = FS_HTTP_PRE_GZIP;
		return fs_http_gzip(in, len, outlen);
	}
	*pre = FS_HTTP_PRE_ZSTD;
	/* The field's bodies (a day's entries) are small: the strongest
	** level costs milliseconds there. A large one (1 MB of JSON, two
	** sets of 1,000 entries) by the pace of the last upload: under
	** 32 KiB/s (2G's 12.5) level 19 with its tables capped at 2^18
	** (0.37 s, 70 kB, 3.3 MB; uncapped 66 kB but 34 MB), whose 19 kB fewer
	** than level 6 pay for its 0.36 s below ~50 kB/s; from 2 MiB/s, as
	** on loopback, level 3 (3 ms, 1.3 MB, 20% more than 6); between,
	** level 6 (8 ms, 89 kB, 3.6 MB; level 9 would save 10% for 12.8 MB),
	** and 6 too before any pace is known: the first request and the one
	** compressed while it is in flight (19 there would cost loopback
	** 1.2 s of a 100,000 push, and save 2G 1.5 s of a 5,000 one). The
	** client's peak RSS matters on a phone. (Measured here, with the
	** protocol's dictionary.) */
	int level = 6, tables = 0, own;
	int link = __atomic_load_n(&h->link, __ATOMIC_RELAXED);
	unsigned char *out;
	ZSTD_CCtx *c;

	if (len <= FS_HTTP_ZSTD_SMALL) {
		level = 19;
	} else if (link == 1) {
		level = 19;
		tables = FS_HTTP_ZSTD_TABLE_LOG;
	} else if (link == 3) {
		level = 3;
	}
	/* The sync compresses on one thread; should two ever overlap, the
	** second gets a context of its own rather than a shared one. */
	own = __atomic_exchange_n(&h->zc_busy, 1, __ATOMIC_ACQUIRE);
	c = own ? ZSTD_createCCtx() : h->zc ? h->zc : (h->zc = ZSTD_createCCtx());
	out = c ? proto_zstd_compress_ctx(c, in, len, 1, level, tables, outlen)
		: NULL;
	if (own)
		ZSTD_freeCCtx(c);
	else
		__atomic_store_n(&h->zc_busy, 0, __ATOMIC_RELEASE);
	return out;
}

static int perform(fs_http *h, const char *method, const char *path,
		   const char *bearer, const char *body, size_t len, int gz,
		   int raw, fs_http_response *resp, char errbuf[256])
{
	char curlerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	unsigned char *zbody = NULL;
	size_t zlen = 0;
	char *url = NULL, *auth = NULL;
	curl_off_t up = 0, down = 0;
	CURLcode cc;
	int rc = -1;

	memset(resp, 0, sizeof *resp);
	errbuf[0] = '\0';
	h->len = 0;
	h->too_big = 0;
	url = concat(h->base, path);
	if (!url) {
		snprintf(errbuf, 256, "out of memory");
		goto out;
	}
	if (bearer) {
		/* A session, or a whole "Ticket ..." credential (/v3/sync). */
		auth = strncmp(bearer, "Ticket ", 7) == 0
			       ? concat("Authorization: ", bearer)
			       : concat("Authorization: Bearer ", bearer);
		if (!auth) {
			snprintf(errbuf, 256, "out of memory");
			goto out;
		}
		hdrs = curl_slist_append(hdrs, auth);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	if (body) {
		hdrs = curl_slist_append(hdrs,
					 "Content-Type: application/json");
		if (gz == 1) {
			zbody = fs_http_compress(h, body, len, &zlen, &gz);
			if (!zbody) {
				snprintf(errbuf, 256, "out of memory "
					 "compressing the request");
				goto out;
			}
		}
		if (gz == FS_HTTP_PRE_GZIP)
			hdrs = curl_slist_append(hdrs,
						 "Content-Encoding: gzip");
		else if (gz == FS_HTTP_PRE_ZSTD)
			hdrs = curl_slist_append(hdrs,
						 "Content-Encoding: zstd");
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS,
				 zbody ? (const char *)zbody : body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(zbody ? zlen : len));
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, h->progress ? 0L : 1L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
	h->enc = 0;
	if (raw) {
		curl_easy_setopt(h->curl, CURLOPT_HTTP_CONTENT_DECODING, 0L);
		curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
	}
	cc = curl_easy_perform(h->curl);
	if (raw) {
		curl_easy_setopt(h->curl, CURLOPT_HTTP_CONTENT_DECODING, 1L);
		curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, NULL);
		curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, NULL);
	}
	h->last_cc = cc;
	{
		long nc = 0;
		if (curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &nc) ==
		    CURLE_OK && nc > 0)
			h->connects += nc;
	}
	snprintf(h->last_detail, sizeof h->last_detail, "%s", curlerr);
	if (cc != CURLE_OK) {
		if (h->too_big)
			snprintf(errbuf, 256, "response larger than %u bytes",
				 FS_HTTP_MAX_RESPONSE);
		else
			snprintf(errbuf, 256, "%.100s: %.140s", curl_easy_strerror(cc),
				 curlerr[0] ? curlerr : url);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h->curl, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(h->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
	resp->sent = (size_t)up;
	resp->received = (size_t)down;
	if (up >= 16384) {
		curl_off_t bps = 0;
		if (curl_easy_getinfo(h->curl, CURLINFO_SPEED_UPLOAD_T, &bps) ==
		    CURLE_OK)
			__atomic_store_n(&h->link,
					 bps < FS_HTTP_SLOW_BPS   ? 1
					 : bps >= FS_HTTP_FAST_BPS ? 3
								   : 2,
					 __ATOMIC_RELAXED);
	}
	if (raw && h->enc < 0) {
		snprintf(errbuf, 256, "the server answered in an encoding "
			 "this client did not ask for");
		goto out;
	}
	resp->gzip = raw ? h->enc : 0;
	resp->body = h->buf ? h->buf : calloc(1, 1);
	resp->len = h->len;
	h->buf = NULL;
	h->cap = 0;
	h->len = 0;
	if (!resp->body) {
		snprintf(errbuf, 256, "out of memory");
		goto out;
	}
	rc = 0;
out:
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	free(zbody);
	free(url);
	free(auth);
	return rc;
}

int fs_http_request(fs_http *h, const char *method, const char *path,
		    const char *bearer, const char *body, size_t len, int gz,
		    fs_http_response *resp, char errbuf[256])
{
	return perform(h, method, path, bearer, body, len, gz, 0, resp,
		       errbuf);
}

int fs_http_get_raw(fs_http *h, const char *path, const char *bearer,
		    fs_http_response *resp, char errbuf[256])
{
	return perform(h, "GET", path, bearer, NULL, 0, 0, 1, resp, errbuf);
}

/* ---- telling a TLS problem from a dead link ----------------------------- */

enum { PROBE_SPEAKS, PROBE_NO_CONNECT, PROBE_OTHER };

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
	(void)p;
	(void)ud;
	return size * nmemb;
}

/* The base URL with the other scheme and the same port, into alt (no
** trailing slash). 0, or -1 if curl cannot take the URL apart. */
static int other_scheme(const char *base, int tls, char *alt, size_t n)
{
	CURLU *u = curl_url();
	char *port = NULL, *s = NULL;
	int rc = -1;

	alt[0] = '\0';
	if (!u || curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_SCHEME, tls ? "https" : "http", 0) !=
		    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PORT, port, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto out;
	if (snprintf(alt, n, "%s", s) < (int)n) {
		size_t l = strlen(alt);
		while (l > 0 && alt[l - 1] == '/')
			alt[--l] = '\0';
		rc = 0;
	} else {
		alt[0] = '\0';
	}
out:
	curl_free(port);
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

/* Does the server at alt speak HTTPS (tls: a handshake completes, whatever
** its certificate) or plain HTTP (an HTTP answer to GET /v2/health)? */
static int probe(const fs_http *h, const char *alt, int tls)
{
	char url[600];
	CURL *c;
	CURLcode cc;

	if (snprintf(url, sizeof url, "%s%s", alt, tls ? "" : "/v2/health") >=
	    (int)sizeof url || !(c = curl_easy_init()))
		return PROBE_OTHER;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h->connect_s + 5);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (tls) {
		curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	cc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (cc == CURLE_OK)
		return PROBE_SPEAKS;
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	    cc == CURLE_OPERATION_TIMEDOUT)
		return PROBE_NO_CONNECT;
	return PROBE_OTHER;
}

int fs_http_tls_problem(fs_http *h, char *msg, size_t n)
{
	int https = strncasecmp(h->base, "https://", 8) == 0;
	const char *detail = h->last_detail[0] ? h->last_detail
					       : curl_easy_strerror(h->last_cc);
	char alt[520];

	msg[0] = '\0';
	switch (h->last_cc) {
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		snprintf(msg, n, _("the server's certificate does not match "
			 "the pin in the enrollment link: this is not the "
			 "server HQ named (or HQ has changed its "
			 "certificate); ask HQ for a new link"));
		return 1;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(msg, n, _("the server's certificate is not trusted "
			 "(%.120s): enroll with the link that `fieldsyncd "
			 "token create --url URL --tls-cert FILE` prints at HQ "
			 "(it holds the certificate's pin), or give --cacert "
			 "FILE with the CA that signed it"), detail);
		return 1;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		snprintf(msg, n, _("TLS failed: %.160s"), detail);
		return 1;
	case CURLE_SSL_CONNECT_ERROR:
		if (!https || other_scheme(h->base, 0, alt, sizeof alt) != 0)
			break;
		switch (probe(h, alt, 0)) {
		case PROBE_SPEAKS:
			snprintf(msg, n, _("the server at %.200s speaks plain "
				 "HTTP, not HTTPS: its URL starts with http:// "
				 "(%.200s)"), h->base, alt);
			return 1;
		case PROBE_NO_CONNECT:
			return 0; /* the link is down: unreachable */
		default:
			snprintf(msg, n, _("the TLS handshake with the server "
				 "failed: %.160s"), detail);
			return 1;
		}
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (https || other_scheme(h->base, 1, alt, sizeof alt) != 0 ||
		    probe(h, alt, 1) != PROBE_SPEAKS)
			break;
		snprintf(msg, n, _("the server at %.200s speaks HTTPS, not plain "
			 "HTTP: its URL starts with https:// (%.200s)"),
			 h->base, alt);
		return 1;
	default:
		break;
	}
	return 0;
}

const char *fs_http_tls(const fs_http *h)
{
	return h ? h->tls : "";
}

long fs_http_connections(const fs_http *h)
{
	return h ? h->connects : 0;
}
