/*
** This file contains the unit tests of the CLI's display-width and table
** code (client/cli/table.c, included here since the CLI is not a library):
** widths of Vietnamese (precomposed and decomposed), Lao with its vowel and
** tone marks, wide and invalid characters; cutting text to a width without
** splitting a character; and the exact bytes of a small aligned table,
** worked out by hand.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client/cli/table.c"

static size_t w(const char *s)
{
	return cli_width(s, strlen(s));
}

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(w(""), 0);
	assert_int_equal(w("Salavan"), 7);
	/* "Nguyễn": ễ precomposed (U+1EC5) is one column... */
	assert_int_equal(w("Nguy\xe1\xbb\x85n"), 6);
	/* ...and so is e + U+0302 + U+0303 (decomposed). */
	assert_int_equal(w("Nguye\xcc\x82\xcc\x83n"), 6);
	/* ສາລະວັນ: 7 code points, U+0EB1 (vowel sign above) takes none. */
	assert_int_equal(w("ສາລະວັນ"), 6);
	/* ເຊກອງ: 5 letters, all spacing. */
	assert_int_equal(w("ເຊກອງ"), 5);
	/* ບ້ານ: U+0EC9 (tone mark) takes none. */
	assert_int_equal(w("ບ້ານ"), 3);
	/* CJK is two columns each. */
	assert_int_equal(w("\xe4\xb8\xad\xe6\x96\x87"), 4);
	/* Invalid bytes count one each, and never read past the end. */
	assert_int_equal(cli_width("a\xff\xc3", 3), 3);
	assert_int_equal(cli_width("\xe1\xbb", 2), 2);
}

static void test_fit(void **state)
{
	(void)state;
	assert_int_equal(cli_fit("Salavan", 3), 3);
	/* "Nguyễn" in 5 columns: "Nguyễ" = 4 + 3 bytes. */
	assert_int_equal(cli_fit("Nguy\xe1\xbb\x85n", 5), 7);
	/* "ບ້ານ" in 1 column keeps the tone mark with its consonant. */
	assert_int_equal(cli_fit("ບ້ານ", 1), 6);
	/* A wide character that does not fit is left out whole. */
	assert_int_equal(cli_fit("a\xe4\xb8\xad", 2), 1);
}

static void test_table(void **state)
{
	const char *headers[] = {"id", "province", "note", "ha"};
	const int right[] = {0, 0, 0, 1};
	const char *r1[] = {"aa", "ສາລະວັນ", "", "5"};
	const char *r2[] = {"b", "Sekong", NULL, "3.8"};
	const char *r3[] = {"c", "Nguy\xe1\xbb\x85n Văn An", "", ""};
	cli_table *t;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_non_null(t = cli_table_new(4, headers, right));
	assert_int_equal(cli_table_add(t, r1), 0);
	assert_int_equal(cli_table_add(t, r2), 0);
	assert_int_equal(cli_table_add(t, r3), 0);
	assert_non_null(out = open_memstream(&buf, &len));
	cli_table_print(t, out, 8);
	fclose(out);
	/* Column widths: id 2; province max(8, 6, 6, 8: "Nguyễn Văn An" cut
	** to 7 columns "Nguyễn " plus "…") = 8;
	** note is empty everywhere and left out; ha 3, right-aligned.
	** Padding only before a following cell: no trailing blanks. */
	assert_string_equal(buf,
		"id  province   ha\n"
		"aa  ສາລະວັນ" "      5\n"
		"b   Sekong    3.8\n"
		"c   Nguy\xe1\xbb\x85n \xe2\x80\xa6\n");
	free(buf);
	cli_table_free(t);
	cli_table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
