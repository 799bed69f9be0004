/*
** This file contains the hybrid logical clock and stamps. See hlc.h for the
** format: 48 bits of milliseconds, 16 bits of counter, 16 hex digits on the
** wire, and the total order of stamps (HLC, then device id bytes).
*/
#include <string.h>
#include "hlc.h"

static proto_hlc physical(int64_t now_ms)
{
	if (now_ms < 0)
		now_ms = 0;
	if (now_ms > (int64_t)0xFFFFFFFFFFFFLL)
		now_ms = (int64_t)0xFFFFFFFFFFFFLL;
	return (proto_hlc)now_ms << 16;
}

proto_hlc proto_hlc_tick(proto_hlc last, int64_t now_ms)
{
	proto_hlc pt = physical(now_ms);
	return pt > last ? pt : last + 1;
}

proto_hlc proto_hlc_recv(proto_hlc last, proto_hlc remote, int64_t now_ms)
{
	proto_hlc pt = physical(now_ms);
	proto_hlc l = last > remote ? last : remote;
	return pt > l ? pt : l + 1;
}

void proto_hlc_format(char out[PROTO_HLC_HEX + 1], proto_hlc h)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = PROTO_HLC_HEX - 1; i >= 0; i--) {
		out[i] = digits[h & 15];
		h >>= 4;
	}
	out[PROTO_HLC_HEX] = '\0';
}

int proto_hlc_parse(const char *s, proto_hlc *out)
{
	proto_hlc h = 0;

	if (!s)
		return -1;
	for (int i = 0; i < PROTO_HLC_HEX; i++) {
		char c = s[i];
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		h = h << 4 | (proto_hlc)v;
	}
	if (s[PROTO_HLC_HEX] != '\0')
		return -1;
	*out = h;
	return 0;
}

int proto_stamp_cmp(const proto_stamp *a, const proto_stamp *b)
{
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	return memcmp(a->device, b->device, PROTO_ID_BYTES);
}

void proto_stamp_format(char out[PROTO_STAMP_TEXT + 1], const proto_stamp *s)
{
	proto_hlc_format(out, s->hlc);
	out[PROTO_HLC_HEX] = '-';
	proto_hex_encode(out + PROTO_HLC_HEX + 1, s->device, PROTO_ID_BYTES);
}

int proto_stamp_parse(const char *s, proto_stamp *out)
{
	char hlc[PROTO_HLC_HEX + 1];

	if (!s || strlen(s) != PROTO_STAMP_TEXT || s[PROTO_HLC_HEX] != '-')
		return -1;
	memcpy(hlc, s, PROTO_HLC_HEX);
	hlc[PROTO_HLC_HEX] = '\0';
	if (proto_hlc_parse(hlc, &out->hlc) != 0)
		return -1;
	return proto_hex_decode(out->device, PROTO_ID_BYTES,
				s + PROTO_HLC_HEX + 1);
}
