/*
** This file contains the HTTP(S) transport of libfieldsync on top of
** libcurl: one easy handle kept for keep-alive, gzip request bodies (field
** links are slow, JSON compresses well), Accept-Encoding for responses,
** CURLOPT_LOW_SPEED_* so a stalled link is noticed in seconds, and a cap on
** the response size enforced while it streams in.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <zlib.h>
#include "http.h"

struct fs_http {
	CURL *curl;
	char *base;              /* base URL without trailing slash */
	fs_http_progress_fn progress;
	void *progress_ctx;
	char *buf;               /* response being received */
	size_t len, cap;
	int too_big;
};

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
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, connect_s);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 16L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, stall_s);
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "fieldsync/1");
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
	free(h->base);
	free(h->buf);
	free(h);
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

int fs_http_request(fs_http *h, const char *method, const char *path,
		    const char *bearer, const char *body, size_t len, int gz,
		    fs_http_response *resp, char errbuf[256])
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
		auth = concat("Authorization: Bearer ", bearer);
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
		if (gz == 2) {
			hdrs = curl_slist_append(hdrs,
						 "Content-Encoding: gzip");
		} else if (gz) {
			zbody = fs_http_gzip(body, len, &zlen);
			if (!zbody) {
				snprintf(errbuf, 256, "out of memory "
					 "compressing the request");
				goto out;
			}
			hdrs = curl_slist_append(hdrs,
						 "Content-Encoding: gzip");
		}
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
	cc = curl_easy_perform(h->curl);
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
