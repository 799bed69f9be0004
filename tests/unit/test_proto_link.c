/*
** This file contains the unit tests of the enrollment link
** (protocol/link.h): links written by hand parse to the values they spell,
** what proto_link_format writes parses back, and every malformed link is
** refused with a message naming what is wrong, leaving the result cleared.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/proto.h"
#include "protocol/link.h"

#define T64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define P64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

#define expect_code(got, want, err) do { \
	proto_code got_ = (got); \
	if (got_ != (want)) \
		fail_msg("got %s (\"%s\"), want %s", proto_code_name(got_), \
			 (err).msg, proto_code_name(want)); \
} while (0)

static void refused(const char *text, proto_code want, const char *names)
{
	proto_link l;
	proto_err err;

	memset(&l, 'x', sizeof l);
	expect_code(proto_link_parse(text, &l, &err), want, err);
	if (names && !strstr(err.msg, names))
		fail_msg("message \"%s\" does not name \"%s\" (link %s)",
			 err.msg, names, text);
	assert_string_equal(l.url, "");
	assert_string_equal(l.token, "");
	assert_string_equal(l.pin, "");
}

static void test_parse_good(void **state)
{
	proto_link l;
	proto_err err;

	(void)state;
	expect_code(proto_link_parse("fieldsync://enroll?url=https://127.0.0.1:"
				     "8443&token=" T64 "&pin=" P64, &l, &err),
		    PROTO_OK, err);
	assert_string_equal(l.url, "https://127.0.0.1:8443");
	assert_string_equal(l.token, T64);
	assert_string_equal(l.pin, P64);

	/* Any order, percent escapes (either case), no pin, spaces around,
	** upper-case scheme and action (URI schemes ignore case). */
	expect_code(proto_link_parse("  FieldSync://ENROLL?token=" T64
				     "&url=http%3a%2F%2Fhq.example%3A8080%2Ffs"
				     "\r\n", &l, &err), PROTO_OK, err);
	assert_string_equal(l.url, "http://hq.example:8080/fs");
	assert_string_equal(l.token, T64);
	assert_string_equal(l.pin, "");

	/* IPv6 literal. */
	expect_code(proto_link_parse("fieldsync://enroll?url=https://[::1]:8443"
				     "&token=" T64, &l, &err), PROTO_OK, err);
	assert_string_equal(l.url, "https://[::1]:8443");
}

static void test_format_round_trip(void **state)
{
	static const char *const urls[] = {
		"https://127.0.0.1:8443", "http://hq.example.org",
		"https://hq.example.org:8443/fieldsync",
		"https://[::1]:1234", "http://a.b/x;y=1,2",
	};
	char out[PROTO_LINK_MAX_BYTES + 1];
	proto_link l;
	proto_err err;

	(void)state;
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		const char *pin = urls[i][4] == 's' ? P64 : NULL;
		expect_code(proto_link_format(urls[i], T64, pin, out,
					      sizeof out, &err), PROTO_OK, err);
		expect_code(proto_link_parse(out, &l, &err), PROTO_OK, err);
		assert_string_equal(l.url, urls[i]);
		assert_string_equal(l.token, T64);
		assert_string_equal(l.pin, pin ? pin : "");
	}
	/* The readable form: ":" and "/" are left as they are. */
	expect_code(proto_link_format("https://127.0.0.1:8443", T64, P64, out,
				      sizeof out, &err), PROTO_OK, err);
	assert_string_equal(out, "fieldsync://enroll?url=https://127.0.0.1:8443"
			    "&token=" T64 "&pin=" P64);
	/* A URL character that means something in the link is escaped. */
	expect_code(proto_link_format("http://h/a&b=c+d%", T64, NULL, out,
				      sizeof out, &err), PROTO_OK, err);
	assert_non_null(strstr(out, "url=http://h/a%26b%3Dc%2Bd%25&"));
	/* Too small a buffer, bad values. */
	expect_code(proto_link_format("http://h", T64, NULL, out, 20, &err),
		    PROTO_E_TOO_LONG, err);
	expect_code(proto_link_format("ftp://h", T64, NULL, out, sizeof out,
				      &err), PROTO_E_FORMAT, err);
	expect_code(proto_link_format("http://h", "abc", NULL, out, sizeof out,
				      &err), PROTO_E_FORMAT, err);
	expect_code(proto_link_format("http://h", T64, P64, out, sizeof out,
				      &err), PROTO_E_FORMAT, err);
}

static void test_parse_bad(void **state)
{
	char big[2100];

	(void)state;
	refused("", PROTO_E_FORMAT, "fieldsync://enroll?");
	refused("https://hq.example:8443", PROTO_E_FORMAT, "fieldsync://enroll?");
	refused("fieldsync://join?url=http://h&token=" T64, PROTO_E_FORMAT,
		"fieldsync://enroll?");
	refused("fieldsync:enroll?url=http://h&token=" T64, PROTO_E_FORMAT,
		"fieldsync://enroll?");
	refused("fieldsync://enroll?url=http://h&token=" T64 "&name=x",
		PROTO_E_UNKNOWN_FIELD, "\"name\"");
	refused("fieldsync://enroll?url=http://h&token=" T64 "&token=" T64,
		PROTO_E_DUPLICATE_KEY, "token");
	refused("fieldsync://enroll?url=http://h&url=http://h&token=" T64,
		PROTO_E_DUPLICATE_KEY, "url");
	refused("fieldsync://enroll?url=http://h", PROTO_E_MISSING, "token");
	refused("fieldsync://enroll?token=" T64, PROTO_E_MISSING, "url");
	/* token and pin: exactly 64 hex digits */
	refused("fieldsync://enroll?url=http://h&token=" T64 "0",
		PROTO_E_FORMAT, "64 hex");
	refused("fieldsync://enroll?url=http://h&token=0123",
		PROTO_E_FORMAT, "token");
	refused("fieldsync://enroll?url=http://h&token="
		"g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		PROTO_E_FORMAT, "not all lowercase hex");
	refused("fieldsync://enroll?url=https://h&token=" T64 "&pin=abc",
		PROTO_E_FORMAT, "pin");
	/* hex is lowercase everywhere (SPEC 2.3) */
	refused("fieldsync://enroll?url=http://h&token="
		"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		PROTO_E_FORMAT, "lowercase");
	refused("fieldsync://enroll?url=https://h&token=" T64 "&pin="
		"FEDCBA9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		PROTO_E_FORMAT, "pin");
	refused("fieldsync://enroll?url=http://h&token=" T64 "&pin=" P64,
		PROTO_E_FORMAT, "https");
	/* the URL */
	refused("fieldsync://enroll?url=ftp://h&token=" T64, PROTO_E_FORMAT,
		"http:// or https://");
	refused("fieldsync://enroll?url=https://&token=" T64, PROTO_E_FORMAT,
		"host");
	refused("fieldsync://enroll?url=http://h%3Fx&token=" T64,
		PROTO_E_FORMAT, "query");
	refused("fieldsync://enroll?url=http://h%00&token=" T64,
		PROTO_E_FORMAT, "NUL");
	refused("fieldsync://enroll?url=http://h%2&token=" T64,
		PROTO_E_FORMAT, "escape");
	refused("fieldsync://enroll?url=http://h%zz&token=" T64,
		PROTO_E_FORMAT, "escape");
	/* syntax */
	refused("fieldsync://enroll?url=http://h&token=" T64 "&",
		PROTO_E_FORMAT, "&");
	refused("fieldsync://enroll?url=http://h&&token=" T64,
		PROTO_E_FORMAT, "NAME=VALUE");
	refused("fieldsync://enroll?url=&token=" T64, PROTO_E_FORMAT, "empty");
	refused("fieldsync://enroll?url=http://h a&token=" T64, PROTO_E_FORMAT,
		"byte");
	refused("fieldsync://enroll?url=http://h&token=" T64 "#x",
		PROTO_E_FORMAT, "byte");
	refused("fieldsync://enroll?url=http://h+a&token=" T64,
		PROTO_E_FORMAT, "+");
	refused("fieldsync://enroll?url=http://h=a&token=" T64,
		PROTO_E_FORMAT, "=");
	refused("fieldsync://enroll?url=http://\xc3\xa9&token=" T64,
		PROTO_E_FORMAT, "ASCII");
	/* overlong: the whole link, and the URL alone */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "fieldsync://enroll?url=http://", 30);
	refused(big, PROTO_E_TOO_LONG, "1024");
	snprintf(big, sizeof big, "fieldsync://enroll?token=%s&url=http://%0600d",
		 T64, 0);
	refused(big, PROTO_E_TOO_LONG, "512");
	refused(NULL, PROTO_E_FORMAT, NULL);
}

static void test_is_link(void **state)
{
	(void)state;
	assert_true(proto_link_is_link("fieldsync://enroll?x"));
	assert_true(proto_link_is_link(" \nFIELDSYNC:x"));
	assert_false(proto_link_is_link("https://hq"));
	assert_false(proto_link_is_link("fieldsyn"));
	assert_false(proto_link_is_link(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_is_link),
	};
	return cmocka_run_group_tests_name("proto_link", tests, NULL, NULL);
}
