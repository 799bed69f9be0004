/*
** This file contains a libFuzzer target for fieldsyncd's unauthenticated
** endpoints below the socket: arbitrary bytes go to srv_api_handle as the
** body of POST /v2/enroll, /v2/auth/challenge or /v2/auth/session (chosen by
** the input's length modulo 3, so every input exercises one of them whole).
** A real token and an enrolled device exist, so valid-looking inputs reach
** the database code.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "protocol/changeset.h"
#include "server/api.h"
#include "tests/fuzz/fuzz_tmpdir.h"
#include "server/hq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static srv_ctx ctx;

static void setup(void)
{
	const char *dir;
	char path[256], msg[256];
	srv_store *s = NULL;
	srv_token t;
	uint8_t h[PROTO_HASH_BYTES];
	static const char token[] = "00112233445566778899aabbccddeeff"
				    "00112233445566778899aabbccddeeff";

	if (proto_init() || !(dir = fuzz_tmpdir_make("fuzz_server_enroll")))
		abort();
	snprintf(path, sizeof(path), "%s/db", dir);
	if (srv_db_open(path, 1, &s, ctx.hq_device, msg, sizeof(msg)))
		abort();
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "fuzz");
	snprintf(t.role, sizeof(t.role), "expert");
	t.created_ms = 1;
	t.expires_ms = INT64_MAX / 2;
	crypto_generichash(h, sizeof(h), (const unsigned char *)token,
			   strlen(token), NULL, 0);
	if (srv_store_token_add(s, h, &t))
		abort();
	srv_store_close(s);
	if (srv_pool_open(path, 1, &ctx.pool, msg, sizeof(msg)) ||
	    srv_auth_new(&ctx.auth))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/v2/enroll", "/v2/auth/challenge",
					     "/v2/auth/session" };
	static int ready;
	static unsigned n;
	char peer[32];
	srv_req req;
	srv_resp resp;

	if (!ready) {
		setup();
		ready = 1;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = paths[size % 3];
	req.body = (const char *)data;
	req.body_len = size;
	/* A new address for each input: enrollments are limited per address
	** (auth.h), and the limiter's table gets exercised too. */
	n++;
	snprintf(peer, sizeof(peer), "10.%u.%u.%u", n >> 16 & 255,
		 n >> 8 & 255, n & 255);
	req.peer = peer;
	srv_api_handle(&ctx, &req, &resp);
	if (resp.status < 200 || resp.status > 599 || !resp.body)
		abort();
	srv_resp_free(&resp);
	return 0;
}
