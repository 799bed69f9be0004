/*
** This file contains a libFuzzer target for fieldsyncd's push endpoint below
** the socket: arbitrary bytes go to srv_api_handle as the body of an
** authenticated POST /v2/push. When the input starts with 'S', the rest is
** taken as change-set bytes, signed with the enrolled device's key and
** wrapped in a push body, so the fuzzer also reaches the chain, HLC and
** merge code behind the signature check. When it starts with 'T', the rest
** is the body of a one-request POST /v3/sync under a fresh, validly signed
** ticket (SPEC 10.12); with 'A', the rest is that request's Authorization
** header. The database lives in a temporary directory made once per
** process.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "protocol/changeset.h"
#include "server/api.h"
#include "tests/fuzz/fuzz_tmpdir.h"
#include "server/hq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static srv_ctx ctx;
static uint8_t sk[PROTO_SK_BYTES];
static char session[SRV_SECRET_HEX + 1];
static char bearer[SRV_SECRET_HEX + 16];
static char dev_id[PROTO_ID_HEX + 1];

static void setup(void)
{
	const char *dir;
	char path[256], msg[256];
	srv_store *s = NULL;
	srv_device d;
	uint8_t id[PROTO_ID_BYTES];

	if (proto_init() || !(dir = fuzz_tmpdir_make("fuzz_server_push")))
		abort();
	snprintf(path, sizeof(path), "%s/db", dir);
	if (srv_db_open(path, 1, &s, ctx.hq_device, msg, sizeof(msg)))
		abort();
	memset(&d, 0, sizeof(d));
	proto_keypair(d.pk, sk);
	proto_device_id(d.pk, id);
	proto_hex_encode(d.id, id, PROTO_ID_BYTES);
	snprintf(d.name, sizeof(d.name), "fuzz");
	snprintf(d.role, sizeof(d.role), "expert");
	d.enrolled_ms = 1;
	if (srv_store_device_add(s, &d))
		abort();
	srv_store_close(s);
	if (srv_pool_open(path, 1, &ctx.pool, msg, sizeof(msg)) ||
	    srv_auth_new(&ctx.auth) ||
	    srv_auth_session_new(ctx.auth, d.id, srv_clock_ms(), session))
		abort();
	snprintf(bearer, sizeof(bearer), "Bearer %s", session);
	memcpy(dev_id, d.id, sizeof(dev_id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	srv_req req;
	srv_resp resp;
	char *body = NULL, *bytes = NULL, sighex[PROTO_SIG_HEX + 1];
	uint8_t sig[PROTO_SIG_BYTES];
	cJSON *o = NULL, *arr, *it;

	if (!ready) {
		setup();
		ready = 1;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/v2/push";
	req.authorization = bearer;
	if (size > 0 && (data[0] == 'T' || data[0] == 'A')) {
		static char hdr[400];
		char ticket[SRV_SECRET_HEX + 1];

		req.path = "/v3/sync";
		if (srv_auth_ticket_new(ctx.auth, dev_id, srv_clock_ms(), ticket))
			abort();
		proto_sync_sign(ticket, sk, sighex);
		snprintf(hdr, sizeof(hdr), "Ticket %s.%s.%s", dev_id, ticket,
			 sighex);
		body = malloc(size);
		if (!body)
			return 0;
		memcpy(body, data + 1, size - 1);
		body[size - 1] = 0;
		if (data[0] == 'A') {
			req.authorization = body;
			req.body = "{\"local_seq\":0,\"after\":0,\"sets\":[]}";
		} else {
			req.authorization = hdr;
			req.body = body;
		}
		req.body_len = data[0] == 'A' ? strlen(req.body) : size - 1;
		srv_api_handle(&ctx, &req, &resp);
		if (resp.status < 200 || resp.status > 599 || !resp.body)
			abort();
		srv_resp_free(&resp);
		free(body);
		return 0;
	}
	if (size > 0 && data[0] == 'S') {
		bytes = malloc(size);
		if (!bytes)
			return 0;
		memcpy(bytes, data + 1, size - 1);
		bytes[size - 1] = 0;
		proto_set_sign(bytes, strlen(bytes), sk, sig);
		proto_hex_encode(sighex, sig, PROTO_SIG_BYTES);
		o = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(o, "sets");
		it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "set", bytes);
		cJSON_AddStringToObject(it, "sig", sighex);
		cJSON_AddItemToArray(arr, it);
		body = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!body) {
			free(bytes);
			return 0;
		}
		req.body = body;
		req.body_len = strlen(body);
	} else {
		req.body = (const char *)data;
		req.body_len = size;
	}
	srv_api_handle(&ctx, &req, &resp);
	if (resp.status < 200 || resp.status > 599 || !resp.body)
		abort();
	srv_resp_free(&resp);
	cJSON_free(body);
	free(bytes);
	return 0;
}
