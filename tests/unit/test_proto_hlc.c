/*
** This file contains the unit tests of the hybrid logical clock and stamps
** (protocol/hlc.h): tick and recv against a wall clock that stands still,
** jumps ahead and goes back; the 16-hex-digit wire form and its parser; and
** the total order of stamps (HLC first, then the device id's bytes).
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/hlc.h"

/* 2026-03-29T00:00:00Z in ms (20541 days since the epoch). */
#define T0 (20541LL * 86400 * 1000)

static void test_hlc_ms(void **state)
{
	(void)state;
	assert_int_equal(proto_hlc_ms(((proto_hlc)T0 << 16) | 0xffff), T0);
	assert_int_equal(proto_hlc_ms((proto_hlc)T0 << 16), T0);
	assert_int_equal(proto_hlc_ms(0xffff), 0);
}

static void test_tick(void **state)
{
	proto_hlc h;

	(void)state;
	/* Fresh clock: the wall clock wins, counter 0. */
	h = proto_hlc_tick(0, T0);
	assert_true(h == (proto_hlc)T0 << 16);
	/* Same millisecond twice: the counter moves. */
	h = proto_hlc_tick(h, T0);
	assert_true(h == ((proto_hlc)T0 << 16) + 1);
	/* The wall clock moves on: counter back to 0. */
	h = proto_hlc_tick(h, T0 + 5);
	assert_true(h == (proto_hlc)(T0 + 5) << 16);
	/* The wall clock goes back an hour: HLC still increases. */
	proto_hlc before = h;
	h = proto_hlc_tick(h, T0 - 3600 * 1000);
	assert_true(h == before + 1);
	assert_int_equal(proto_hlc_ms(h), T0 + 5);

	/* A thousand ticks in one millisecond stay strictly increasing. */
	proto_hlc last = h;
	for (int i = 0; i < 1000; i++) {
		proto_hlc n = proto_hlc_tick(last, T0 + 5);
		assert_true(n > last);
		last = n;
	}
}

static void test_recv(void **state)
{
	proto_hlc local = (proto_hlc)T0 << 16;
	proto_hlc remote_ahead = ((proto_hlc)(T0 + 60000) << 16) | 7;
	proto_hlc h;

	(void)state;
	/* Remote ahead of both: one past the remote. */
	h = proto_hlc_recv(local, remote_ahead, T0);
	assert_true(h == remote_ahead + 1);
	/* Local ahead of remote and wall clock: one past local. */
	h = proto_hlc_recv(remote_ahead, local, T0);
	assert_true(h == remote_ahead + 1);
	/* Wall clock ahead of both: the wall clock. */
	h = proto_hlc_recv(local, local - 5, T0 + 10);
	assert_true(h == (proto_hlc)(T0 + 10) << 16);
	/* Equal local and remote: one past them. */
	h = proto_hlc_recv(local, local, T0);
	assert_true(h == local + 1);
	/* A tick after recv stays above the remote value: what we write after
	** seeing a write sorts after it, whatever our own clock says. */
	h = proto_hlc_recv(0, remote_ahead, T0 - 86400000LL);
	assert_true(proto_hlc_tick(h, T0 - 86400000LL) > remote_ahead);
}

static void test_format_parse(void **state)
{
	char out[PROTO_HLC_HEX + 1];
	proto_hlc h = 0;

	(void)state;
	proto_hlc_format(out, 0);
	assert_string_equal(out, "0000000000000000");
	proto_hlc_format(out, 0x0123456789abcdefULL);
	assert_string_equal(out, "0123456789abcdef");
	proto_hlc_format(out, UINT64_MAX);
	assert_string_equal(out, "ffffffffffffffff");
	/* T0 = 1774742400000 ms = 0x19d36e3ec00; shifted 16 bits. */
	proto_hlc_format(out, (proto_hlc)T0 << 16 | 3);
	assert_string_equal(out, "019d36e3ec000003");

	assert_int_equal(proto_hlc_parse("0123456789abcdef", &h), 0);
	assert_true(h == 0x0123456789abcdefULL);
	assert_int_equal(proto_hlc_parse("019d36e3ec000003", &h), 0);
	assert_true(h == ((proto_hlc)T0 << 16 | 3));
	assert_int_equal(proto_hlc_parse("ffffffffffffffff", &h), 0);
	assert_true(h == UINT64_MAX);

	static const char *const bad[] = {
		"0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0",
		"0123456789abcdeg", "", " 123456789abcdef", "0x23456789abcdef",
		"-123456789abcdef",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		h = 42;
		if (proto_hlc_parse(bad[i], &h) == 0)
			fail_msg("HLC \"%s\" accepted", bad[i]);
	}
	assert_int_equal(proto_hlc_parse(NULL, &h), -1);
}

/* The wire form's string order is the numeric order (fixed width hex). */
static void test_format_order(void **state)
{
	proto_hlc vals[] = {0, 1, 0xf, 0x10, 0xffff, 0x10000,
			    (proto_hlc)T0 << 16, ((proto_hlc)T0 << 16) + 1,
			    ((proto_hlc)(T0 + 1)) << 16, UINT64_MAX - 1,
			    UINT64_MAX};
	size_t n = sizeof vals / sizeof vals[0];
	char a[PROTO_HLC_HEX + 1], b[PROTO_HLC_HEX + 1];

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			proto_hlc_format(a, vals[i]);
			proto_hlc_format(b, vals[j]);
			int sc = strcmp(a, b);
			int nc = vals[i] < vals[j] ? -1 : vals[i] > vals[j];
			assert_int_equal(sc < 0 ? -1 : sc > 0, nc);
		}
}

static proto_stamp mk(proto_hlc h, uint8_t first, uint8_t last)
{
	proto_stamp s;
	memset(&s, 0, sizeof s);
	s.hlc = h;
	s.device[0] = first;
	s.device[PROTO_ID_BYTES - 1] = last;
	return s;
}

static int sign(int v) { return v < 0 ? -1 : v > 0; }

static void test_stamp_cmp(void **state)
{
	proto_stamp a = mk(100, 0xff, 0xff), b = mk(101, 0x00, 0x00);
	proto_stamp c = mk(100, 0x01, 0x00), d = mk(100, 0x01, 0x01);

	(void)state;
	/* HLC decides before the device id. */
	assert_int_equal(sign(proto_stamp_cmp(&a, &b)), -1);
	assert_int_equal(sign(proto_stamp_cmp(&b, &a)), 1);
	/* Equal HLC: device id bytes in order, first byte most significant. */
	assert_int_equal(sign(proto_stamp_cmp(&c, &a)), -1);
	assert_int_equal(sign(proto_stamp_cmp(&c, &d)), -1);
	assert_int_equal(sign(proto_stamp_cmp(&d, &c)), 1);
	/* Equal stamps. */
	proto_stamp e = d;
	assert_int_equal(proto_stamp_cmp(&d, &e), 0);
	/* Total order: antisymmetric and transitive over a small set. */
	proto_stamp all[] = {a, b, c, d, mk(0, 0, 0), mk(UINT64_MAX, 0, 0)};
	size_t n = sizeof all / sizeof all[0];
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			assert_int_equal(sign(proto_stamp_cmp(&all[i], &all[j])),
					 -sign(proto_stamp_cmp(&all[j], &all[i])));
			for (size_t k = 0; k < n; k++)
				if (proto_stamp_cmp(&all[i], &all[j]) < 0 &&
				    proto_stamp_cmp(&all[j], &all[k]) < 0)
					assert_true(proto_stamp_cmp(&all[i],
								    &all[k]) < 0);
		}
}

static void test_stamp_text(void **state)
{
	proto_stamp s = mk(0x0123456789abcdefULL, 0xab, 0x01), back;
	char out[PROTO_STAMP_TEXT + 1];

	(void)state;
	proto_stamp_format(out, &s);
	assert_string_equal(out, "0123456789abcdef-ab000000000000000000000000000001");
	assert_int_equal(strlen(out), 49);
	memset(&back, 0x55, sizeof back);
	assert_int_equal(proto_stamp_parse(out, &back), 0);
	assert_true(back.hlc == s.hlc);
	assert_memory_equal(back.device, s.device, PROTO_ID_BYTES);

	static const char *const bad[] = {
		"0123456789abcdef_ab000000000000000000000000000001",
		"0123456789abcdefab000000000000000000000000000001",
		"0123456789abcdef-ab00000000000000000000000000001",
		"0123456789abcdef-ab0000000000000000000000000000011",
		"0123456789ABCDEF-ab000000000000000000000000000001",
		"0123456789abcdef-AB000000000000000000000000000001",
		"0123456789abcde-fab000000000000000000000000000001",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (proto_stamp_parse(bad[i], &back) == 0)
			fail_msg("stamp \"%s\" accepted", bad[i]);
	assert_int_equal(proto_stamp_parse(NULL, &back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hlc_ms),
		cmocka_unit_test(test_tick),
		cmocka_unit_test(test_recv),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_format_order),
		cmocka_unit_test(test_stamp_cmp),
		cmocka_unit_test(test_stamp_text),
	};
	return cmocka_run_group_tests_name("proto_hlc", tests, NULL, NULL);
}
