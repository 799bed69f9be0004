/*
** This file contains the libFuzzer target for the enrollment-link parser
** (proto_link_parse): a link is pasted by a person or read from a file or a
** QR code, so it is untrusted input. Properties:
**   - it never crashes or reads out of bounds (ASan, UBSan);
**   - a refusal clears the result and says why (a message);
**   - an accepted link has a valid URL, 64-hex token and pin "" or 64 hex,
**     and writing it again (proto_link_format) gives a link that parses back
**     to exactly the same values.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/link.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_proto_link: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } while (0)

static int hex_ok(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), again[PROTO_LINK_MAX_BYTES + 1];
	proto_link l, m;
	proto_err err;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (proto_link_parse(text, &l, &err) != PROTO_OK) {
		if (l.url[0] || l.token[0] || l.pin[0])
			FAIL("a refused link left values behind");
		if (!err.msg[0])
			FAIL("a refusal without a message");
		free(text);
		return 0;
	}
	if (proto_link_check_url(l.url, &err) != PROTO_OK)
		FAIL("accepted a link whose URL is refused: %s", err.msg);
	if (!hex_ok(l.token, PROTO_LINK_TOKEN_HEX))
		FAIL("accepted a token that is not 64 lowercase hex");
	if (l.pin[0] && !hex_ok(l.pin, PROTO_LINK_PIN_HEX))
		FAIL("accepted a pin that is not 64 lowercase hex");
	if (proto_link_format(l.url, l.token, l.pin, again, sizeof again,
			      &err) != PROTO_OK)
		FAIL("cannot write back an accepted link: %s", err.msg);
	if (proto_link_parse(again, &m, &err) != PROTO_OK)
		FAIL("the written link does not parse: %s", err.msg);
	if (strcmp(l.url, m.url) || strcmp(l.token, m.token) ||
	    strcmp(l.pin, m.pin))
		FAIL("the written link parses to other values");
	free(text);
	return 0;
}
